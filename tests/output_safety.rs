//! What reaches a terminal, a spreadsheet or the disk: no control character or bidirectional
//! override is ever printed (whatever the ledger file holds), errors echo at most 80 characters
//! of a bad value, CSV cells never start a formula, files are written without following links
//! and never clobbered by surprise, read commands never write to the ledger, and files read
//! whole are capped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use redb::ReadableTable;

use common::*;

/// An OSC 52 clipboard write, a right-to-left override, a C1 CSI, a screen clear and a line
/// break: what a hostile label would hold.
/// A line break then `FORGED` would start a line of its own if printed raw.
const EVIL: &str = "\u{1b}]52;c;ZXZpbA==\u{7}\u{202e}\u{9b}\u{1b}[2J\r\nFORGED";
/// What of `EVIL` remains once cleaned, proof that the value was read and shown.
const EVIL_SHOWN: &str = "]52;c;ZXZpbA==";

/// A character that must never reach a terminal.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

fn assert_clean(bytes: &[u8], what: &str) {
    let text = String::from_utf8(bytes.to_vec())
        .unwrap_or_else(|e| panic!("`{what}` printed bytes that are not UTF-8: {e}"));
    if let Some(c) = text.chars().find(|c| unsafe_char(*c)) {
        panic!("`{what}` printed {c:?}:\n{text:?}");
    }
}

fn assert_output_clean(out: &Output, what: &str) {
    assert_clean(&out.stdout, &format!("{what} (stdout)"));
    assert_clean(&out.stderr, &format!("{what} (stderr)"));
}

/// A placeholder as long as `EVIL` in bytes, replaced by it in the file.
fn marker() -> String {
    "Q".repeat(EVIL.len())
}

/// Replaces `marker()` by `EVIL` in every stored value of the text-holding tables, as a
/// forged or damaged file would hold them (same length, so each value still decodes).
fn forge_escapes(path: &Path) -> usize {
    let marker = marker();
    let mut replaced = 0;
    let db = open_redb(path);
    let txn = db.begin_write().unwrap();
    {
        let by_text = ["meta", "accounts", "journals", "parties"];
        for name in by_text {
            let def: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new(name);
            let mut table = txn.open_table(def).unwrap();
            let mut changes = Vec::new();
            for row in table.iter().unwrap() {
                let (key, value) = row.unwrap();
                if let Some(forged) = replace_bytes(payload_of(value.value()), marker.as_bytes())
                    .map(|payload| sealed(&payload))
                {
                    changes.push((key.value().to_string(), forged));
                }
            }
            for (key, value) in changes {
                table.insert(key.as_str(), value.as_slice()).unwrap();
                replaced += 1;
            }
        }
        for name in ["entries", "audit", "documents"] {
            let def: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new(name);
            let mut table = txn.open_table(def).unwrap();
            let mut changes = Vec::new();
            for row in table.iter().unwrap() {
                let (key, value) = row.unwrap();
                if let Some(forged) = replace_bytes(payload_of(value.value()), marker.as_bytes())
                    .map(|payload| sealed(&payload))
                {
                    changes.push((key.value(), forged));
                }
            }
            for (key, value) in changes {
                table.insert(key, value.as_slice()).unwrap();
                replaced += 1;
            }
        }
    }
    txn.commit().unwrap();
    replaced
}

fn replace_bytes(value: &[u8], marker: &[u8]) -> Option<Vec<u8>> {
    let mut out = value.to_vec();
    let mut found = false;
    let mut i = 0;
    while i + marker.len() <= out.len() {
        if &out[i..i + marker.len()] == marker {
            out[i..i + marker.len()].copy_from_slice(EVIL.as_bytes());
            found = true;
            i += marker.len();
        } else {
            i += 1;
        }
    }
    found.then_some(out)
}

/// A blank company whose account, party, journal, entry and audit texts hold raw escapes.
fn escape_laden() -> Folio {
    let folio = Folio::blank();
    let m = marker();
    folio.ok(&["accounts", "add", "628810", &format!("Honoraires {m}")]);
    folio.ok(&[
        "parties",
        "add",
        "CEVIL",
        &format!("Client {m}"),
        "--kind",
        "customer",
    ]);
    folio.ok(&[
        "journals",
        "add",
        "EV",
        &format!("Journal {m}"),
        "--kind",
        "miscellaneous",
    ]);
    folio.ok(&[
        "entry",
        "add",
        "-j",
        "EV",
        "-d",
        "2026-03-02",
        "-p",
        &format!("P{m}"),
        "-l",
        &format!("Facture {m}"),
        "--debit",
        &format!("411000@CEVIL=120:ligne {m}"),
        "--credit",
        "628810=120",
        "--validate",
    ]);
    folio.ok(&w(
        "entry add -j OD -d 2026-03-03 -p D1 -l Brouillon --debit 628810=5 --credit 512000=5",
    ));
    let replaced = forge_escapes(&folio.ledger);
    assert!(replaced >= 5, "only {replaced} values forged");
    folio
}

#[test]
fn an_escape_laden_ledger_prints_no_escape_anywhere() {
    let folio = escape_laden();
    let all = "--from 2026-01-01 --to 2026-12-31";
    // Each command shows at least one forged text (cleaned), so each is known to have read one.
    let shows = [
        "log all".to_string(),
        "log all --format csv".into(),
        "log all --format json".into(),
        "log account:628810".into(),
        "accounts".into(),
        "accounts --format csv".into(),
        "accounts --format json".into(),
        "journals".into(),
        "journals --format csv".into(),
        "parties".into(),
        "parties --format json".into(),
        format!("report journal {all}"),
        format!("report journal {all} --format csv"),
        format!("report journal EV {all} --format json"),
        format!("report balance {all}"),
        format!("report balance {all} --format csv"),
        format!("report ledger 628810 {all}"),
        format!("report party CEVIL {all} --format csv"),
        "entry show EV2026-000001".into(),
        "entry show EV2026-000001 --format csv".into(),
        "entry show EV2026-000001 --format json".into(),
        "export hledger".into(),
    ];
    for command in &shows {
        let out = folio.run(&w(command));
        assert_success(&out, command);
        assert_output_clean(&out, command);
        assert!(
            stdout(&out).contains(EVIL_SHOWN),
            "`{command}` did not show the forged text:\n{}",
            stdout(&out)
        );
        assert!(
            !stdout(&out).lines().any(|l| l.starts_with("FORGED")),
            "`{command}` let a forged line break through:\n{}",
            stdout(&out)
        );
    }
    // Findings and errors that name forged values are clean too.
    for command in ["check", "entry show P", "report ledger 628810 --year 1999"] {
        let out = folio.run(&w(command));
        assert_output_clean(&out, command);
    }
}

#[test]
fn the_company_name_and_the_user_are_cleaned_before_they_are_stored() {
    let mut folio = Folio::empty();
    folio.user = format!("bob{EVIL}");
    let out = folio.run(&[
        "init",
        "--name",
        &format!("Société {EVIL} SARL"),
        "--siren",
        SIREN,
        "--start",
        "2026-01-01",
    ]);
    assert_success(&out, "init");
    assert_output_clean(&out, "init");
    let company = meta_value(&folio.ledger, "company").unwrap();
    assert!(
        !company.contains(&0x1b) && !company.windows(2).any(|w| w == [0xc2, 0x9b]),
        "the company's name was stored with escapes: {:?}",
        String::from_utf8_lossy(&company)
    );
    let log = folio.run(&w("log all"));
    assert_output_clean(&log, "log all");
    let log = stdout(&log);
    assert!(
        log.contains("Société ]52;c;ZXZpbA==[2J  FORGED SARL"),
        "{log}"
    );
    assert!(log.contains("bob]52;c;ZXZpbA==[2J  FORGED"), "{log}");
}

/// A value of 300 characters holding escapes.
fn long_evil(prefix: &str) -> String {
    format!("{prefix}{EVIL}{}{EVIL}", "W".repeat(300))
}

#[test]
fn error_messages_echo_no_escape_and_at_most_80_characters_of_a_value() {
    let folio = Folio::demo();
    let v = long_evil("");
    let digits = format!("4{}", long_evil(""));
    let csv = folio.write(
        "evil.csv",
        format!(
            "journal,date,piece,label,account,third_party,debit,credit\n\
             OD,2026-03-01,{v},L,{digits},,10,\n"
        ),
    );
    let settings = folio.write("evil.toml", format!("[[items]]\ncode = \"{v}\"\n"));
    let chart = folio.write("chart.csv", format!("number,label\n{digits},x\n"));
    let cases: Vec<Vec<String>> = vec![
        vec!["entry".into(), "show".into(), v.clone()],
        vec!["entry".into(), "delete".into(), v.clone()],
        vec!["reverse".into(), v.clone()],
        vec!["validate".into(), v.clone()],
        vec!["why".into(), v.clone()],
        vec!["log".into(), v.clone()],
        vec!["log".into(), format!("party:{v}")],
        vec!["log".into(), format!("journal:{v}")],
        vec!["log".into(), format!("account:{v}")],
        vec!["log".into(), format!("other:{v}")],
        vec!["report".into(), "ledger".into(), digits.clone()],
        vec!["report".into(), "ledger".into(), v.clone()],
        vec!["report".into(), "party".into(), v.clone()],
        vec!["report".into(), "journal".into(), v.clone()],
        vec![
            "report".into(),
            "balance".into(),
            "--year".into(),
            v.clone(),
        ],
        vec![
            "report".into(),
            "balance".into(),
            "--from".into(),
            v.clone(),
        ],
        vec!["export".into(), "fec".into(), "--year".into(), v.clone()],
        vec!["year".into(), "close".into(), v.clone()],
        vec!["period".into(), "lock".into(), v.clone()],
        vec!["accounts".into(), "add".into(), v.clone(), "x".into()],
        vec![
            "accounts".into(),
            "edit".into(),
            digits.clone(),
            "--label".into(),
            "x".into(),
        ],
        vec![
            "journals".into(),
            "add".into(),
            v.clone(),
            "x".into(),
            "--kind".into(),
            "bank".into(),
        ],
        vec![
            "journals".into(),
            "add".into(),
            "ZZ".into(),
            "x".into(),
            "--kind".into(),
            v.clone(),
        ],
        vec![
            "parties".into(),
            "add".into(),
            v.clone(),
            "x".into(),
            "--kind".into(),
            "customer".into(),
        ],
        vec![
            "parties".into(),
            "add".into(),
            "PX".into(),
            "x".into(),
            "--kind".into(),
            v.clone(),
        ],
        vec![
            "parties".into(),
            "edit".into(),
            "CLUMEN".into(),
            "--method".into(),
            v.clone(),
        ],
        vec![
            "parties".into(),
            "edit".into(),
            "CLUMEN".into(),
            "--tax-position".into(),
            v.clone(),
        ],
        vec![
            "entry".into(),
            "add".into(),
            "-j".into(),
            v.clone(),
            "-d".into(),
            "2026-03-01".into(),
            "-p".into(),
            "X".into(),
            "--debit".into(),
            "512000=1".into(),
            "--credit".into(),
            "706000=1".into(),
        ],
        vec![
            "entry".into(),
            "add".into(),
            "-j".into(),
            "OD".into(),
            "-d".into(),
            v.clone(),
            "-p".into(),
            "X".into(),
            "--debit".into(),
            "512000=1".into(),
            "--credit".into(),
            "706000=1".into(),
        ],
        vec![
            "entry".into(),
            "add".into(),
            "-j".into(),
            "OD".into(),
            "-d".into(),
            "2026-03-01".into(),
            "-p".into(),
            "X".into(),
            "--debit".into(),
            format!("512000={v}"),
            "--credit".into(),
            "706000=1".into(),
        ],
        vec![
            "entry".into(),
            "add".into(),
            "-j".into(),
            "OD".into(),
            "-d".into(),
            "2026-03-01".into(),
            "-p".into(),
            "X".into(),
            "--debit".into(),
            format!("{digits}=1"),
            "--credit".into(),
            "706000=1".into(),
        ],
        vec![
            "entry".into(),
            "add".into(),
            "-j".into(),
            "OD".into(),
            "-d".into(),
            "2026-03-01".into(),
            "-p".into(),
            "X".into(),
            "--debit".into(),
            format!("411000@{v}=1"),
            "--credit".into(),
            "706000=1".into(),
        ],
        vec![
            "entry".into(),
            "add".into(),
            "-j".into(),
            "OD".into(),
            "-d".into(),
            "2026-03-01".into(),
            "-p".into(),
            "X".into(),
            "--debit".into(),
            v.clone(),
            "--credit".into(),
            "706000=1".into(),
        ],
        vec!["doc".into(), "show".into(), v.clone()],
        vec!["doc".into(), "list".into(), "--type".into(), v.clone()],
        vec![
            "doc".into(),
            "add".into(),
            "--type".into(),
            v.clone(),
            "--party".into(),
            "CLUMEN".into(),
            "--date".into(),
            "2026-03-01".into(),
            "--line".into(),
            ";x;1;1".into(),
        ],
        vec![
            "doc".into(),
            "add".into(),
            "--type".into(),
            "customer_invoice".into(),
            "--party".into(),
            "CLUMEN".into(),
            "--date".into(),
            "2026-03-01".into(),
            "--line".into(),
            format!("{v};x;1;1"),
        ],
        vec![
            "doc".into(),
            "add".into(),
            "--type".into(),
            "customer_invoice".into(),
            "--party".into(),
            "CLUMEN".into(),
            "--date".into(),
            "2026-03-01".into(),
            "--line".into(),
            format!(";x;{v};1"),
        ],
        vec!["pay".into(), "allocate".into(), v.clone(), "X=1".into()],
        vec![
            "pay".into(),
            "add".into(),
            "--type".into(),
            "customer_payment".into(),
            "--party".into(),
            "CLUMEN".into(),
            "--date".into(),
            "2026-03-01".into(),
            "--amount".into(),
            "10".into(),
            "--method".into(),
            v.clone(),
        ],
        vec!["regenerate".into(), "--document".into(), v.clone()],
        vec!["import".into(), "entries".into(), csv.clone()],
        vec!["settings".into(), "load".into(), settings.clone()],
        vec![
            "--ledger".into(),
            "new.ledger".into(),
            "init".into(),
            "--name".into(),
            "X".into(),
            "--siren".into(),
            v.clone(),
            "--start".into(),
            "2026-01-01".into(),
        ],
        vec![
            "--ledger".into(),
            "new2.ledger".into(),
            "init".into(),
            "--name".into(),
            "X".into(),
            "--siren".into(),
            SIREN.into(),
            "--start".into(),
            v.clone(),
        ],
        vec![
            "--ledger".into(),
            "new3.ledger".into(),
            "init".into(),
            "--name".into(),
            "X".into(),
            "--siren".into(),
            SIREN.into(),
            "--start".into(),
            "2026-01-01".into(),
            "--chart".into(),
            chart.clone(),
        ],
    ];
    let too_long = "W".repeat(81);
    for args in &cases {
        let what = format!(
            "{:?}",
            args.iter()
                .map(|a| a.chars().take(30).collect::<String>())
                .collect::<Vec<_>>()
        );
        // `init` names its own ledger.
        let out = if args[0] == "--ledger" {
            folio.bare(args)
        } else {
            folio.run(args)
        };
        let message = assert_failure(&out, &what);
        assert_output_clean(&out, &what);
        assert!(
            !message.contains("Usage:"),
            "{what} was refused by the argument parser: {message}"
        );
        assert!(
            !message.contains(&too_long),
            "{what} echoed more than 80 characters of the value: {message}"
        );
    }
}

#[test]
fn csv_cells_that_look_like_formulas_are_neutralised_and_numbers_stay_numbers() {
    let folio = Folio::blank();
    folio.ok(&[
        "accounts",
        "add",
        "628810",
        "=HYPERLINK(\"http://x\",\"y\")",
    ]);
    folio.ok(&[
        "parties",
        "add",
        "CFORM",
        "+33 1 23 45",
        "--kind",
        "customer",
    ]);
    folio.ok(&[
        "entry",
        "add",
        "-j",
        "OD",
        "-d",
        "2026-03-02",
        "--piece=-2+3",
        "-l",
        "@SUM(A1)",
        "--debit",
        "628810=12.50",
        "--credit",
        "411000@CFORM=12.50",
        "--validate",
    ]);
    let all = "--from 2026-01-01 --to 2026-12-31";

    let accounts = csv_records(&folio.ok(&w("accounts --format csv")));
    let fees = accounts.iter().find(|r| r["number"] == "628810").unwrap();
    assert_eq!(fees["label"], "'=HYPERLINK(\"http://x\",\"y\")");
    let customers = accounts.iter().find(|r| r["number"] == "411000").unwrap();
    assert_eq!(
        customers["balance"], "-12.50",
        "a negative amount stays a number"
    );

    let parties = csv_records(&folio.ok(&w("parties --format csv")));
    let party = parties.iter().find(|r| r["code"] == "CFORM").unwrap();
    assert_eq!(party["name"], "'+33 1 23 45");
    assert_eq!(party["balance"], "-12.50");

    let journal = journal_records(&folio.ok(&w(&format!("report journal OD {all} --format csv"))));
    assert_eq!(journal.len(), 2);
    for row in &journal {
        assert_eq!(row["piece"], "'-2+3");
        assert_eq!(row["label"], "'@SUM(A1)");
    }

    let balance = csv_records(&folio.ok(&w(&format!("report balance {all} --format csv"))));
    let fees = balance.iter().find(|r| r["account"] == "628810").unwrap();
    assert_eq!(fees["label"], "'=HYPERLINK(\"http://x\",\"y\")");
    let customers = balance.iter().find(|r| r["account"] == "411000").unwrap();
    assert_eq!(customers["balance"], "-12.50");

    let lines = csv_records(&folio.ok(&w("entry show OD2026-000001 --format csv")));
    assert_eq!(lines[0]["label"], "'@SUM(A1)");

    // Tables and JSON show the text as it is.
    assert!(folio.ok(&w("accounts")).contains(" =HYPERLINK("));
    assert!(
        folio
            .ok(&w("accounts --format json"))
            .contains("\"=HYPERLINK(")
    );
}

// ----- read commands never write -----------------------------------------------------------

/// Commands that only read the ledger, with an FEC written to a directory beside it.
fn read_commands() -> Vec<Vec<String>> {
    [
        "report balance",
        "report balance --format csv",
        "report journal",
        "report journal --format csv",
        "report ledger 512000",
        "report party CLUMEN",
        "accounts",
        "journals",
        "parties",
        "entry show VE2026-000001",
        "check",
        "log all",
        "log VE2026-000001",
        "year list",
        "doc list",
        "doc show FA2026-00001",
        "pay list",
        "items",
        "taxes",
        "why VE2026-000001",
        "settings export",
        "export hledger",
        "export fec --out fec",
    ]
    .iter()
    .map(|c| w(c))
    .collect()
}

fn modified(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn read_commands_leave_the_ledger_file_byte_for_byte_and_its_time_unchanged() {
    let folio = Folio::demo();
    std::fs::create_dir(folio.path("fec")).unwrap();
    // An old modification time, so that any write would show.
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    std::fs::File::options()
        .write(true)
        .open(&folio.ledger)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let bytes = std::fs::read(&folio.ledger).unwrap();
    for command in read_commands() {
        folio.ok(&command);
        assert_eq!(
            modified(&folio.ledger),
            old,
            "`folio {}` changed the ledger's modification time",
            command.join(" ")
        );
        assert!(
            std::fs::read(&folio.ledger).unwrap() == bytes,
            "`folio {}` changed the ledger's bytes",
            command.join(" ")
        );
        let _ = std::fs::remove_dir_all(folio.path("fec"));
        std::fs::create_dir(folio.path("fec")).unwrap();
    }
}

/// Commands that change the ledger, each valid on the demo.
fn writing_commands() -> Vec<Vec<String>> {
    [
        "accounts add 628810 Divers",
        "parties add CNEW Nouveau --kind customer",
        "journals add ZZ Autre --kind miscellaneous",
        "entry add -j OD -d 2026-11-02 -p X1 -l X --debit 512000=1 --credit 706000=1",
        "validate --all",
        "period lock 2026-01",
        "settings load settings.toml",
    ]
    .iter()
    .map(|c| w(c))
    .collect()
}

fn assert_read_only_ledger(folio: &Folio, run: impl Fn(&[String]) -> Output) {
    use std::os::unix::fs::PermissionsExt;
    let bytes = std::fs::read(&folio.ledger).unwrap();
    for command in read_commands() {
        let out = run(&command);
        assert_success(&out, &command.join(" "));
        let _ = std::fs::remove_dir_all(folio.path("fec"));
        std::fs::create_dir(folio.path("fec")).unwrap();
        std::fs::set_permissions(folio.path("fec"), std::fs::Permissions::from_mode(0o777))
            .unwrap();
    }
    for command in writing_commands() {
        let out = run(&command);
        let message = assert_failure(&out, &command.join(" "));
        assert!(
            message.contains("test.ledger is read-only: this command changes the ledger"),
            "`folio {}`: {message}",
            command.join(" ")
        );
    }
    assert!(
        std::fs::read(&folio.ledger).unwrap() == bytes,
        "the ledger changed"
    );
}

#[test]
fn a_ledger_marked_read_only_is_read_and_writing_commands_say_it_is_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let folio = Folio::demo();
    let settings = folio.ok(&w("settings export"));
    folio.write("settings.toml", settings);
    std::fs::create_dir(folio.path("fec")).unwrap();
    std::fs::set_permissions(&folio.ledger, std::fs::Permissions::from_mode(0o444)).unwrap();
    // Even a user the system lets write anything (root) is held by the file's read-only mark.
    assert_read_only_ledger(&folio, |args| folio.run(args));
}

/// Whether this process runs as root (`/proc/self/status`).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().next().map(|uid| uid == "0"))
        .unwrap()
}

#[test]
fn a_user_who_may_read_but_not_write_the_file_reads_it() {
    use std::os::unix::fs::PermissionsExt;
    let folio = Folio::demo();
    let settings = folio.ok(&w("settings export"));
    folio.write("settings.toml", settings);
    std::fs::create_dir(folio.path("fec")).unwrap();
    let dir = folio.dir.path();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(folio.path("fec"), std::fs::Permissions::from_mode(0o777)).unwrap();
    if running_as_root() {
        // Root may write any file: the commands run as `nobody`, to whom the file (owned by
        // root, mode 0644) is readable but not writable, so the system itself refuses writes.
        let setpriv = Path::new("/usr/bin/setpriv");
        if !setpriv.exists() {
            eprintln!("skipped: running as root without setpriv to drop privileges");
            return;
        }
        std::fs::set_permissions(&folio.ledger, std::fs::Permissions::from_mode(0o644)).unwrap();
        let ledger = folio.arg_path(&folio.ledger);
        assert_read_only_ledger(&folio, |args| {
            let command = folio.command();
            let program = command.get_program().to_owned();
            std::process::Command::new(setpriv)
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(program)
                .arg("--ledger")
                .arg(&ledger)
                .args(args)
                .current_dir(dir)
                .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
                .output()
                .unwrap()
        });
    } else {
        std::fs::set_permissions(&folio.ledger, std::fs::Permissions::from_mode(0o444)).unwrap();
        assert_read_only_ledger(&folio, |args| folio.run(args));
    }
}

#[test]
fn open_errors_say_what_happened() {
    let folio = Folio::demo();
    let bytes = std::fs::read(&folio.ledger).unwrap();
    // Truncated: a Folio ledger, damaged.
    std::fs::write(&folio.ledger, &bytes[..bytes.len() / 3]).unwrap();
    for command in [w("report balance"), w("accounts add 628810 X")] {
        let message = folio.fail(&command);
        assert!(message.contains("the ledger file is corrupt"), "{message}");
        assert!(!message.contains("not a Folio ledger"), "{message}");
    }
    // A directory.
    let dir = Folio::empty();
    std::fs::create_dir(&dir.ledger).unwrap();
    let message = dir.fail(&w("accounts"));
    assert!(
        message.contains("test.ledger is not a Folio ledger"),
        "{message}"
    );
}

// ----- files written and files read -----------------------------------------------------------

#[test]
fn settings_export_never_writes_through_a_symbolic_link() {
    let folio = Folio::demo();
    let target = folio.write("precious.txt", "do not touch\n");
    std::os::unix::fs::symlink(folio.path(&target), folio.path("settings.toml")).unwrap();
    let message = folio.fail(&w("settings export --out settings.toml"));
    assert!(
        message.contains("settings.toml is a symbolic link: refusing to write through it"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(folio.path(&target)).unwrap(),
        "do not touch\n"
    );
    assert!(
        std::fs::symlink_metadata(folio.path("settings.toml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A regular file is replaced whole, keeps its permissions, and no temporary file is left.
    use std::os::unix::fs::PermissionsExt;
    let old = folio.write("old.toml", "stale = true\n");
    std::fs::set_permissions(folio.path(&old), std::fs::Permissions::from_mode(0o600)).unwrap();
    folio.ok(&w("settings export --out old.toml"));
    let written = std::fs::read_to_string(folio.path(&old)).unwrap();
    assert_eq!(written, folio.ok(&w("settings export")));
    let mode = std::fs::metadata(folio.path(&old))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let names: Vec<String> = std::fs::read_dir(folio.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
}

#[test]
fn export_fec_refuses_to_overwrite_a_file_unless_forced() {
    let folio = Folio::demo();
    let name = format!("{DEMO_SIREN}FEC20261231.txt");
    let first = folio.ok(&w("export fec --year 2026"));
    assert!(first.contains(&name), "{first}");
    let fec = std::fs::read(folio.path(&name)).unwrap();
    std::fs::write(folio.path(&name), "an earlier export\n").unwrap();
    let message = folio.fail(&w("export fec --year 2026"));
    assert!(
        message.contains(&format!(
            "{name} already exists: refusing to overwrite it (use --force"
        )),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(folio.path(&name)).unwrap(),
        "an earlier export\n"
    );
    folio.ok(&w("export fec --year 2026 --force"));
    assert!(
        std::fs::read(folio.path(&name)).unwrap() == fec,
        "the forced export differs"
    );
    // Never through a link, even forced.
    std::fs::remove_file(folio.path(&name)).unwrap();
    let target = folio.write("precious.txt", "keep\n");
    std::os::unix::fs::symlink(folio.path(&target), folio.path(&name)).unwrap();
    for command in ["export fec --year 2026", "export fec --year 2026 --force"] {
        let message = folio.fail(&w(command));
        assert!(message.contains("is a symbolic link"), "{message}");
        assert_eq!(
            std::fs::read_to_string(folio.path(&target)).unwrap(),
            "keep\n"
        );
    }
}

/// A sparse file just over 16 MiB: its size says it all, nothing needs reading.
fn oversized(folio: &Folio, name: &str) -> String {
    let file = std::fs::File::create(folio.path(name)).unwrap();
    file.set_len(16 * 1024 * 1024 + 1).unwrap();
    name.to_string()
}

#[test]
fn files_read_whole_are_refused_above_16_mib_with_their_name() {
    let folio = Folio::demo();
    let settings = oversized(&folio, "huge-settings.toml");
    let chart = oversized(&folio, "huge-chart.csv");
    let keymap = oversized(&folio, "huge-keymap.toml");
    let cases = [
        w(&format!("settings load {settings}")),
        w(&format!(
            "--ledger new.ledger init --name X --siren {SIREN} --start 2026-01-01 --chart {chart}"
        )),
        w(&format!("keymap check {keymap}")),
        w(&format!("--keymap {keymap} keymap show")),
    ];
    for (args, name) in cases.iter().zip([&settings, &chart, &keymap, &keymap]) {
        let out = if args[0] == "--ledger" {
            folio.bare(args)
        } else {
            folio.run(args)
        };
        let message = assert_failure(&out, &args.join(" "));
        assert!(message.contains(name.as_str()), "{message}");
        assert!(message.contains("larger than 16 MiB"), "{message}");
    }
    assert!(!folio.path("new.ledger").exists());
}

#[test]
fn a_read_command_on_an_older_ledger_upgrades_it_once_or_says_it_cannot() {
    use std::os::unix::fs::PermissionsExt;
    let folio = Folio::empty();
    folio.ok(&w(&format!(
        "init --name Ancienne --siren {SIREN} --start 2026-01-01"
    )));
    // Schema 1, as the format byte and postcard write it.
    put_meta_value(&folio.ledger, "schema", &[1, 1]);
    std::fs::set_permissions(&folio.ledger, std::fs::Permissions::from_mode(0o444)).unwrap();
    let message = folio.fail(&w("report balance"));
    assert!(
        message.contains("was written by an older Folio and must be upgraded once"),
        "{message}"
    );
    std::fs::set_permissions(&folio.ledger, std::fs::Permissions::from_mode(0o644)).unwrap();
    folio.ok(&w("report balance"));
    assert!(folio.ok(&w("log all")).contains("ledger.migrate"));
    assert_ne!(
        meta_value(&folio.ledger, "schema").unwrap(),
        vec![1, 1],
        "not upgraded"
    );
}

#[test]
fn a_ledger_held_exclusively_by_another_process_is_called_locked() {
    let folio = Folio::blank();
    // Another program (or a Folio before shared opening) holds the whole file.
    let held = redb::Database::open(&folio.ledger).unwrap();
    for command in [w("report balance"), w("accounts add 628810 X")] {
        let message = folio.fail(&command);
        assert!(
            message.contains("test.ledger is locked by another process"),
            "{message}"
        );
    }
    drop(held);
    folio.ok(&w("report balance"));
}

#[test]
fn settings_text_is_cleaned_before_it_is_stored() {
    let folio = Folio::demo();
    let settings = folio.ok(&w("settings export"));
    let hostile = settings.replacen("label = \"", "label = \"\\u001b]52;c;QQ==\\u0007\\u202e", 1);
    assert_ne!(hostile, settings);
    let file = folio.write("hostile.toml", hostile);
    folio.ok(&w(&format!("settings load {file}")));
    let stored = folio.ok(&w("settings export"));
    assert!(stored.contains("]52;c;QQ=="), "{stored}");
    for escape in ["\\u001b", "\\u001B", "\\u0007", "\\u202e", "\\u202E"] {
        assert!(!stored.contains(escape), "{escape} stored: {stored}");
    }
}

#[test]
fn read_commands_share_the_file_with_a_colleague_who_has_it_open() {
    let folio = Folio::blank();
    // Another accountant's Folio has the ledger open (shared, as Folio opens it).
    let colleague = open_redb(&folio.ledger);
    folio.ok(&w("accounts add 628810 Divers"));
    let accounts = folio.ok(&w("accounts"));
    assert!(accounts.contains("628810"), "{accounts}");
    folio.ok(&w("report balance"));
    drop(colleague);
}

#[test]
fn command_line_mistakes_echo_no_escape_even_on_a_colour_terminal() {
    let folio = Folio::blank();
    let v = long_evil("");
    let cases: Vec<Vec<String>> = vec![
        vec![
            "report".into(),
            "balance".into(),
            "--format".into(),
            v.clone(),
        ],
        vec![v.clone()],
        vec!["accounts".into(), "list".into(), v.clone()],
        vec!["year".into(), "open".into(), "--months".into(), v.clone()],
        vec![format!("--{v}")],
    ];
    let too_long = "W".repeat(81);
    for args in &cases {
        // As on a terminal that shows colours: clap would then pass escapes through.
        let ledger = folio.arg_path(&folio.ledger);
        let out = folio
            .command()
            .env("CLICOLOR_FORCE", "1")
            .arg("--ledger")
            .arg(&ledger)
            .args(args)
            .output()
            .unwrap();
        let what = format!(
            "{:?}",
            args.iter()
                .map(|a| a.chars().take(20).collect::<String>())
                .collect::<Vec<_>>()
        );
        assert_eq!(out.status.code(), Some(2), "{what}");
        assert_output_clean(&out, &what);
        let message = stderr(&out);
        assert!(message.starts_with("error: "), "{what}: {message}");
        assert!(!message.contains(&too_long), "{what}: {message}");
    }
    // Help stays as it was.
    let help = folio.ok(&w("--help"));
    assert!(help.contains("Usage: folio"), "{help}");
}
