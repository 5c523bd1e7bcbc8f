//! Helpers for the CLI integration tests: run the real `folio` binary in a temporary
//! directory with a fixed working date and user, and compare what the ledger shows before and
//! after a refused command.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use redb::ReadableDatabase;

/// The working date of most tests: after the demo's drafts (November 2026), inside 2026.
pub const TODAY: &str = "2026-11-25";
/// The acting user written into the audit log.
pub const USER: &str = "alice";
/// The demo company's SIREN (fixtures/demo/company.toml).
pub const DEMO_SIREN: &str = "852147362";
/// A valid SIREN for blank companies.
pub const SIREN: &str = "732829320";

/// The columns of `report journal --format csv`.
pub const JOURNAL_HEADER: &str =
    "journal,number,date,piece,label,account,third_party,debit,credit,status";

/// One temporary directory with (usually) one ledger in it.
pub struct Folio {
    pub dir: tempfile::TempDir,
    pub ledger: PathBuf,
    pub today: String,
    pub user: String,
}

impl Folio {
    /// An empty directory; the ledger path does not exist yet.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let ledger = dir.path().join("test.ledger");
        Folio {
            dir,
            ledger,
            today: TODAY.to_string(),
            user: USER.to_string(),
        }
    }

    /// The demo company, built with `folio demo PATH`.
    pub fn demo() -> Self {
        let folio = Folio::empty();
        let path = folio.arg_path(&folio.ledger);
        let out = folio.bare(&["demo", &path]);
        assert_success(&out, "folio demo");
        folio
    }

    /// A blank company: fiscal year 2026, PCG chart, default journals, a customer `CACME`
    /// (411000) and a supplier `FSUP` (401000).
    pub fn blank() -> Self {
        let folio = Folio::empty();
        folio.ok(&w(&format!(
            "init --name 'Test SARL' --siren {SIREN} --start 2026-01-01"
        )));
        folio.ok(&w("parties add CACME Acme --kind customer"));
        folio.ok(&w("parties add FSUP 'Fournisseur SA' --kind supplier"));
        folio
    }

    pub fn with_today(mut self, today: &str) -> Self {
        self.today = today.to_string();
        self
    }

    pub fn set_today(&mut self, today: &str) {
        self.today = today.to_string();
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn arg_path(&self, path: &Path) -> String {
        path.to_str()
            .unwrap_or_else(|| panic!("non-UTF-8 path {}", path.display()))
            .to_string()
    }

    /// Writes a file in the test directory; returns its name (relative to the directory, which
    /// is the working directory of every command, so error messages show that name).
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        std::fs::write(self.path(name), contents)
            .unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
        name.to_string()
    }

    /// The command, with a controlled environment and the test directory as working directory.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_folio"));
        command
            .current_dir(self.dir.path())
            .env_remove("FOLIO_LEDGER")
            .env("FOLIO_TODAY", &self.today)
            .env("USER", &self.user)
            .env("LOGNAME", &self.user)
            .env("TMPDIR", self.dir.path());
        command
    }

    /// Runs `folio ARGS` without `--ledger`.
    pub fn bare<S: AsRef<str>>(&self, args: &[S]) -> Output {
        self.command()
            .args(args.iter().map(AsRef::as_ref))
            .output()
            .unwrap_or_else(|e| panic!("cannot run folio: {e}"))
    }

    /// Runs `folio --ledger LEDGER ARGS`.
    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> Output {
        let ledger = self.arg_path(&self.ledger);
        let mut command = self.command();
        command
            .arg("--ledger")
            .arg(ledger)
            .args(args.iter().map(AsRef::as_ref));
        command
            .output()
            .unwrap_or_else(|e| panic!("cannot run folio: {e}"))
    }

    /// Runs a command that must succeed; returns its standard output.
    pub fn ok<S: AsRef<str>>(&self, args: &[S]) -> String {
        let out = self.run(args);
        assert_success(&out, &joined(args));
        stdout(&out)
    }

    /// Runs a command that must fail with a message; returns its standard error.
    pub fn fail<S: AsRef<str>>(&self, args: &[S]) -> String {
        let out = self.run(args);
        assert_failure(&out, &joined(args))
    }

    /// Runs a command that must fail, with a message containing every `expected` piece, and
    /// leave the ledger as it was. Returns the message.
    pub fn refuses<S: AsRef<str>>(&self, args: &[S], expected: &[&str]) -> String {
        let before = self.snapshot();
        let message = self.fail(args);
        for piece in expected {
            assert!(
                message.contains(piece),
                "`folio {}`: expected `{piece}` in the error, got: {message}",
                joined(args)
            );
        }
        let after = self.snapshot();
        before.assert_same(&after, &joined(args));
        message
    }

    /// What the ledger shows: journal, balances, years, chart, journals, parties, audit log.
    pub fn snapshot(&self) -> Snapshot {
        let all = ["--from", "2000-01-01", "--to", "2099-12-31"];
        let mut views = BTreeMap::new();
        let mut add = |name: &str, args: Vec<&str>| {
            views.insert(name.to_string(), self.ok(&args));
        };
        add(
            "journal",
            [&["report", "journal", "--format", "csv"][..], &all].concat(),
        );
        add(
            "balance",
            [&["report", "balance", "--format", "csv"][..], &all].concat(),
        );
        add("years", vec!["year", "list", "--format", "csv"]);
        add("accounts", vec!["accounts", "--format", "csv", "list"]);
        add("journals", vec!["journals", "--format", "csv", "list"]);
        add("parties", vec!["parties", "--format", "csv", "list"]);
        add("log", vec!["log", "all", "--format", "csv"]);
        Snapshot { views }
    }

    /// Trial balance over RANGE (`--year 2026`, `--from … --to …`) as account -> balance.
    pub fn balances(&self, range: &str) -> BTreeMap<String, String> {
        let text = self.ok(&w(&format!("report balance --format csv {range}")));
        csv_records(&text)
            .into_iter()
            .map(|r| (r["account"].clone(), r["balance"].clone()))
            .collect()
    }

    /// Non-zero balances over every year.
    pub fn nonzero_balances(&self) -> BTreeMap<String, String> {
        let mut balances = self.balances("--from 2000-01-01 --to 2099-12-31");
        balances.retain(|_, b| b != "0.00");
        balances
    }

    /// Rows of `report journal --format csv FILTERS` (`VE --year 2027`).
    pub fn journal_rows(&self, filters: &str) -> Vec<BTreeMap<String, String>> {
        let text = self.ok(&w(&format!("report journal --format csv {filters}")));
        journal_records(&text)
    }
}

/// A command line as typed: words separated by spaces, `'...'` for a word with spaces.
pub fn w(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for ch in text.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            _ => {
                word.push(ch);
                started = true;
            }
        }
    }
    assert!(!quoted, "unclosed quote in `{text}`");
    if started {
        words.push(word);
    }
    words
}

fn joined<S: AsRef<str>>(args: &[S]) -> String {
    args.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" ")
}

/// The views of a ledger, compared before and after a refused command.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub views: BTreeMap<String, String>,
}

impl Snapshot {
    pub fn assert_same(&self, after: &Snapshot, what: &str) {
        for (name, before) in &self.views {
            let now = &after.views[name];
            assert!(
                before == now,
                "`folio {what}` changed the ledger's {name}:\n--- before\n{before}\n--- after\n{now}"
            );
        }
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "`folio {what}` failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        stdout(out),
        stderr(out)
    );
}

/// Asserts a non-zero exit with an `error: ...` message, and returns the message.
pub fn assert_failure(out: &Output, what: &str) -> String {
    let message = stderr(out);
    assert!(
        !out.status.success(),
        "`folio {what}` should have failed:\nstdout: {}\nstderr: {message}",
        stdout(out)
    );
    assert!(
        message.starts_with("error: ") && message.trim().len() > "error:".len(),
        "`folio {what}`: expected an `error: ...` message, got: {message}"
    );
    assert!(
        !message.contains("panicked"),
        "`folio {what}` panicked: {message}"
    );
    message
}

/// Parses CSV text with a header into one map per row.
pub fn csv_records(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap_or_else(|e| panic!("bad CSV header: {e}\n{text}"))
        .clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap_or_else(|e| panic!("bad CSV: {e}\n{text}"));
            header
                .iter()
                .zip(record.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Rows of a journal CSV, checking its header.
pub fn journal_records(text: &str) -> Vec<BTreeMap<String, String>> {
    assert!(
        text.starts_with(&format!("{JOURNAL_HEADER}\n")),
        "journal CSV header: {text}"
    );
    let rows = csv_records(text);
    assert!(
        rows.iter().all(|r| r["journal"] != "journal"),
        "the header is repeated: {text}"
    );
    rows
}

/// `1234.56` or `-3.00` as cents.
pub fn cents(text: &str) -> i64 {
    let text = text.trim();
    let (units, fraction) = text
        .split_once('.')
        .unwrap_or_else(|| panic!("not a plain amount: `{text}`"));
    assert_eq!(fraction.len(), 2, "two decimals in `{text}`");
    let negative = units.starts_with('-');
    let units: i64 = units
        .trim_start_matches('-')
        .parse()
        .unwrap_or_else(|e| panic!("`{text}`: {e}"));
    let fraction: i64 = fraction.parse().unwrap_or_else(|e| panic!("`{text}`: {e}"));
    let value = units * 100 + fraction;
    if negative { -value } else { value }
}

/// The redb file of a ledger, opened the way Folio opens it (several processes may share it).
pub fn open_redb(path: &Path) -> redb::Database {
    let mut builder = redb::Database::builder();
    builder.set_concurrency_mode(redb::ConcurrencyMode::MultiWriter);
    builder
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open {} with redb: {e}", path.display()))
}

/// A postcard payload in Folio's storage envelope: format byte 2, a 4-byte checksum of the
/// payload, then the payload. What a tamperer who knows the format writes, so that only the
/// chains can catch the change. (The checksum as `src/ledger/codec.rs` computes it.)
pub fn sealed(payload: &[u8]) -> Vec<u8> {
    const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
    let step = |state: u64, word: u64| (state ^ word).wrapping_mul(MIX).rotate_left(29);
    let mut state = 0x2545_f491_4f6c_dd1d ^ 2u64 ^ (payload.len() as u64);
    for word in payload.chunks(8) {
        let mut bytes = [0u8; 8];
        bytes[..word.len()].copy_from_slice(word);
        state = step(state, u64::from_le_bytes(bytes));
    }
    state ^= state >> 30;
    state = state.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    state ^= state >> 27;
    state = state.wrapping_mul(0x94d0_49bb_1331_11eb);
    state ^= state >> 31;
    let mut out = vec![2u8];
    out.extend_from_slice(&state.to_le_bytes()[..4]);
    out.extend_from_slice(payload);
    out
}

/// The postcard payload of a stored value (its envelope stripped).
pub fn payload_of(value: &[u8]) -> &[u8] {
    &value[5..]
}

/// The `meta` table: keys are text, values in the storage envelope (see `sealed`).
pub const META: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
/// `(account, period like 202603) -> (debit cents, credit cents)`.
pub const TOTALS: redb::TableDefinition<(&str, u32), (i64, i64)> =
    redb::TableDefinition::new("totals");
/// Audit records by sequence number.
pub const AUDIT: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("audit");

/// The raw value of a `meta` key.
pub fn meta_value(path: &Path, key: &str) -> Option<Vec<u8>> {
    let db = open_redb(path);
    let txn = db
        .begin_read()
        .unwrap_or_else(|e| panic!("begin_read: {e}"));
    let meta = txn
        .open_table(META)
        .unwrap_or_else(|e| panic!("open meta: {e}"));
    meta.get(key)
        .unwrap_or_else(|e| panic!("get {key}: {e}"))
        .map(|v| v.value().to_vec())
}

/// Overwrites the raw value of a `meta` key.
pub fn put_meta_value(path: &Path, key: &str, value: &[u8]) {
    let db = open_redb(path);
    let txn = db
        .begin_write()
        .unwrap_or_else(|e| panic!("begin_write: {e}"));
    {
        let mut meta = txn
            .open_table(META)
            .unwrap_or_else(|e| panic!("open meta: {e}"));
        meta.insert(key, value)
            .unwrap_or_else(|e| panic!("insert {key}: {e}"));
    }
    txn.commit().unwrap_or_else(|e| panic!("commit: {e}"));
}
