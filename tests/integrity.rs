//! Tamper evidence and damage: the entry chain catches a same-length edit of a validated
//! entry, checksums catch random damage, nothing panics, a closed year's FEC stays as closed,
//! and sums never wrap.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::*;
use folio::model::{Amount, Entry, EntryStatus};
use redb::{ReadableDatabase, ReadableTable};

const ENTRIES: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("entries");

/// Runs `folio --ledger PATH ARGS` in the test directory of `folio`.
fn run_on(folio: &Folio, path: &Path, args: &[&str]) -> Output {
    folio
        .command()
        .arg("--ledger")
        .arg(path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run folio: {e}"))
}

/// A command that crashed instead of reporting: a panic message or Rust's panic exit code.
fn panicked(out: &Output) -> bool {
    out.status.code() == Some(101) || stderr(out).contains("panicked")
}

/// A small ledger: a dozen validated entries with third parties, a reversal, two drafts.
fn small_ledger() -> Folio {
    let folio = Folio::blank();
    let mut csv = String::from("journal,date,piece,label,account,third_party,debit,credit\n");
    for i in 1..=12 {
        let amount = 100 + i * 37;
        csv.push_str(&format!(
            "VE,2026-02-{i:02},F{i},Vente {i},411000,CACME,{amount}.00,\n\
             VE,2026-02-{i:02},F{i},Vente {i},706000,,,{amount}.00\n"
        ));
    }
    let file = folio.write("sales.csv", csv);
    folio.ok(&["import", "entries", &file, "--validate"]);
    folio.ok(&w(
        "entry add -j AC -d 2026-03-02 -p A1 -l Achat --debit 607=80 --credit 401@FSUP=80 --validate",
    ));
    folio.ok(&w("reverse VE2026-000003 --date 2026-03-05"));
    folio.ok(&w(
        "entry add -j BQ -d 2026-03-06 -p R1 -l Encaissement --debit 512=137 --credit 411@CACME=137",
    ));
    folio.ok(&w(
        "entry add -j OD -d 2026-03-07 -p D1 -l Brouillon --debit 627=5 --credit 512=5",
    ));
    folio
}

/// xorshift64*: a fixed seed gives the same campaign on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_damage_never_panics_and_never_passes_check_with_other_books() {
    const CASES: usize = 400;
    let folio = small_ledger();
    assert!(folio.ok(&["check"]).starts_with("check ok"));
    let journal = folio.ok(&["report", "journal", "--format", "csv"]);
    let original = std::fs::read(&folio.ledger).expect("read the ledger");
    // Bytes in use (not zero): damage there reaches pages, not the file's empty tail.
    let used: Vec<usize> = (0..original.len()).filter(|&i| original[i] != 0).collect();
    let mut rng = Rng(0x5eed_0ff0_1100_0007);
    let (mut detected, mut harmless, mut refused) = (0, 0, 0);
    let copy = folio.path("copy.ledger");
    for case in 0..CASES {
        let mut bytes = original.clone();
        let flips = 1 + rng.below(3);
        let mut at = Vec::new();
        for _ in 0..flips {
            let i = if rng.below(4) == 0 {
                rng.below(bytes.len())
            } else {
                used[rng.below(used.len())]
            };
            bytes[i] ^= 1 + rng.below(255) as u8;
            at.push(i);
        }
        std::fs::write(&copy, &bytes).expect("write the copy");
        let check = run_on(&folio, &copy, &["check"]);
        assert!(
            !panicked(&check),
            "case {case} (bytes {at:?}): check panicked: {}",
            stderr(&check)
        );
        let report = run_on(&folio, &copy, &["report", "journal", "--format", "csv"]);
        assert!(
            !panicked(&report),
            "case {case} (bytes {at:?}): report journal panicked: {}",
            stderr(&report)
        );
        if check.status.success() {
            assert!(stdout(&check).starts_with("check ok"), "{}", stdout(&check));
            assert!(
                report.status.success() && stdout(&report) == journal,
                "case {case} (bytes {at:?}): check said ok but the journal differs:\n{}\n{}",
                stdout(&report),
                stderr(&report)
            );
            harmless += 1;
        } else {
            let text = format!("{}{}", stdout(&check), stderr(&check));
            assert!(
                text.contains("FAILED") || text.contains("error:"),
                "case {case}: {text}"
            );
            if text.contains("FAILED") {
                detected += 1;
            } else {
                refused += 1;
            }
        }
    }
    eprintln!(
        "corruption campaign: {CASES} cases, {detected} reported by check, {refused} refused \
         at open, {harmless} harmless (check ok, same journal), 0 panics"
    );
    assert_eq!(detected + refused + harmless, CASES);
}

/// The validated entries of a ledger file, as stored.
fn validated_entries(path: &Path) -> Vec<Entry> {
    let db = open_redb(path);
    let txn = db.begin_read().expect("begin_read");
    let table = txn.open_table(ENTRIES).expect("entries");
    table
        .iter()
        .expect("iter")
        .map(|item| {
            let (_, value) = item.expect("row");
            postcard::from_bytes::<Entry>(payload_of(value.value())).expect("entry")
        })
        .filter(|e| e.status == EntryStatus::Validated)
        .collect()
}

/// Stores `entry` with a valid envelope, as a tamperer who knows the format would.
fn rewrite_entry(path: &Path, entry: &Entry) {
    let db = open_redb(path);
    let txn = db.begin_write().expect("begin_write");
    {
        let mut table = txn.open_table(ENTRIES).expect("entries");
        let payload = postcard::to_allocvec(entry).expect("encode");
        table
            .insert(entry.id, sealed(&payload).as_slice())
            .expect("insert");
    }
    txn.commit().expect("commit");
}

/// Same length, other text: the last character changed.
fn same_length(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let last = chars.last_mut().expect("a non-empty text");
    *last = if *last == 'X' { 'Y' } else { 'X' };
    chars.into_iter().collect()
}

#[test]
fn a_same_length_edit_of_a_validated_entry_is_detected() {
    let demo = Folio::demo();
    assert!(demo.ok(&["check"]).starts_with("check ok"));
    let original = std::fs::read(&demo.ledger).expect("read the demo");
    let entries = validated_entries(&demo.ledger);
    assert!(entries.len() > 100, "{} validated entries", entries.len());
    // The first, a middle and the last validated entry, and a few between.
    let picks: Vec<&Entry> = [
        0,
        1,
        entries.len() / 3,
        entries.len() / 2,
        entries.len() - 1,
    ]
    .iter()
    .map(|&i| &entries[i])
    .collect();
    type Edit = (&'static str, fn(&mut Entry));
    let edits: [Edit; 5] = [
        ("label", |e| e.label = same_length(&e.label)),
        ("label with an escape sequence", |e| {
            let n = e.label.chars().count();
            let escape: String = "\u{1b}[2J\u{1b}]52;c;".chars().cycle().take(n).collect();
            e.label = escape;
        }),
        ("piece", |e| e.piece = same_length(&e.piece)),
        ("journal code", |e| e.journal = same_length(&e.journal)),
        ("amount", |e| {
            // Balanced still: a cent more on the first debit and the first credit.
            let cent = Amount::from_cents(1);
            if let Some(line) = e.lines.iter_mut().find(|l| l.debit.is_positive()) {
                line.debit += cent;
            }
            if let Some(line) = e.lines.iter_mut().find(|l| l.credit.is_positive()) {
                line.credit += cent;
            }
        }),
    ];
    let copy = demo.path("copy.ledger");
    let mut cases = 0;
    for entry in &picks {
        for (what, edit) in &edits {
            std::fs::write(&copy, &original).expect("copy");
            let mut altered = (*entry).clone();
            edit(&mut altered);
            assert_ne!(&altered, *entry);
            rewrite_entry(&copy, &altered);
            let out = run_on(&demo, &copy, &["check"]);
            let text = stdout(&out);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{what} of {}: {text}",
                entry.reference()
            );
            assert!(text.contains("check FAILED"), "{text}");
            let finding = format!(
                "chain: entry {} was altered after validation",
                entry.reference()
            );
            if *what == "journal code" {
                // The number names the journal too: the chain still names the entry by it.
                assert!(
                    text.contains("was altered after validation"),
                    "{what} of {}: {text}",
                    entry.reference()
                );
            } else {
                assert!(
                    text.contains(&finding),
                    "{what} of {}: {text}",
                    entry.reference()
                );
            }
            cases += 1;
        }
    }
    assert_eq!(cases, 25);
}

#[test]
fn the_printed_head_is_checked_later() {
    let folio = small_ledger();
    let head = folio.ok(&["check", "--print-head"]);
    let head = head.trim().to_string();
    let (seq, hash) = head.split_once(':').expect("SEQ:HASH");
    assert_eq!(seq, "14", "12 sales, a purchase and a reversal: {head}");
    assert_eq!(hash.len(), 64);
    // More validations later: the recorded head still holds at its position.
    folio.ok(&w("validate --all"));
    let later = folio.ok(&["check", "--print-head"]);
    assert!(later.trim().starts_with("16:"), "{later}");
    let out = folio.ok(&["check", "--expect-head", &head]);
    assert!(out.starts_with("check ok"), "{out}");
    // A head that was never the chain's: refused.
    let forged = format!("{seq}:{}", "0".repeat(64));
    let out = folio.run(&["check", "--expect-head", &forged]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("the entry chain does not hold the expected head"),
        "{}",
        stdout(&out)
    );
    folio.refuses(
        &["check", "--expect-head", "12:abc"],
        &["expect-head: `12:abc`"],
    );
}

#[test]
fn a_closed_year_exports_the_fec_stored_at_closing() {
    let folio = small_ledger().with_today("2027-01-15");
    folio.ok(&w("validate --all"));
    folio.ok(&["year", "close", "2026"]);
    std::fs::create_dir(folio.path("before")).expect("mkdir");
    std::fs::create_dir(folio.path("after")).expect("mkdir");
    folio.ok(&["export", "fec", "--year", "2026", "--out", "before"]);
    // Renamings after closing: an account, a journal, a third party.
    folio.ok(&w("accounts edit 706000 --label 'Prestations renommées'"));
    folio.ok(&w("journals edit VE --label 'Ventes renommées'"));
    folio.ok(&w("parties edit CACME --name 'Acme Renommée'"));
    folio.ok(&["export", "fec", "--year", "2026", "--out", "after"]);
    let name = format!("{SIREN}FEC20261231.txt");
    let before = std::fs::read(folio.path("before").join(&name)).expect("before");
    let after = std::fs::read(folio.path("after").join(&name)).expect("after");
    assert!(!before.is_empty());
    assert!(String::from_utf8_lossy(&before).contains("Ventes\t"));
    assert_eq!(
        before, after,
        "the closed year's FEC changed after renamings"
    );
    let check = folio.ok(&["check"]);
    assert!(check.starts_with("check ok"), "{check}");
    // Other options: the stored lines, rewritten with them.
    std::fs::create_dir(folio.path("pipe")).expect("mkdir");
    folio.ok(&w(
        "export fec --year 2026 --out pipe --separator pipe --encoding latin9",
    ));
    let pipe = std::fs::read(folio.path("pipe").join(&name)).expect("pipe");
    let expected: Vec<u8> = String::from_utf8(before.clone())
        .expect("utf-8")
        .replace('\t', "|")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin-1 text"))
        .collect();
    assert_eq!(pipe, expected);
    let log = folio.ok(&["log", "year:2026"]);
    assert!(log.contains("SHA-256"), "{log}");

    // The stored FEC altered (a valid envelope, one amount changed): check reports it and
    // the export refuses to write it.
    {
        let chunks: redb::TableDefinition<(i32, u32), &[u8]> =
            redb::TableDefinition::new("closed_fec_chunks");
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().expect("begin_write");
        {
            let mut table = txn.open_table(chunks).expect("chunks");
            let (key, mut bytes) = {
                let (key, value) = table.first().expect("first").expect("a stored part");
                (key.value(), payload_of(value.value()).to_vec())
            };
            let at = bytes
                .windows(4)
                .position(|w| w == b"137,")
                .unwrap_or(bytes.len() / 2);
            bytes[at] = b'9';
            table
                .insert(key, sealed(&bytes).as_slice())
                .expect("insert");
        }
        txn.commit().expect("commit");
    }
    let out = folio.run(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("fec: the ledger file is corrupt: the FEC stored for fiscal year 2026 does not match its hash"),
        "{}",
        stdout(&out)
    );
    std::fs::create_dir(folio.path("damaged")).expect("mkdir");
    let message = folio.fail(&["export", "fec", "--year", "2026", "--out", "damaged"]);
    assert!(message.contains("does not match its hash"), "{message}");
    assert!(!folio.path("damaged").join(&name).exists());
}

#[test]
fn an_entry_total_beyond_the_largest_amount_is_refused_with_file_and_line() {
    let folio = Folio::blank();
    let big = "5000000000000.00";
    let credit = "7500000000000.00";
    let csv = format!(
        "journal,date,piece,label,account,third_party,debit,credit\n\
         OD,2026-03-02,X1,Gros,601000,,{big},\n\
         OD,2026-03-02,X1,Gros,602000,,{big},\n\
         OD,2026-03-02,X1,Gros,603000,,{big},\n\
         OD,2026-03-02,X1,Gros,512000,,,{credit}\n\
         OD,2026-03-02,X1,Gros,512000,,,{credit}\n"
    );
    let file = folio.write("big.csv", csv);
    folio.refuses(
        &["import", "entries", &file],
        &[
            "big.csv:3: debit:",
            "the entry's total debit would exceed 9999999999999.99",
        ],
    );
    folio.refuses(
        &w(&format!(
            "entry add -j OD -d 2026-03-02 -p X2 -l Gros --debit 601={big} --debit 602={big} \
             --debit 603={big} --credit 512={credit} --credit 512={credit}"
        )),
        &["line 2: the entry's total debit would exceed 9999999999999.99"],
    );
}

#[test]
fn a_damaged_value_is_reported_as_corruption_by_every_reader() {
    let folio = small_ledger();
    let parties: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("parties");
    // One character of an entry's label and of a party's name changed, envelopes left as
    // they were: the damage a bad disk does.
    let entry = validated_entries(&folio.ledger)
        .into_iter()
        .find(|e| e.label == "Vente 5")
        .expect("Vente 5");
    {
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().expect("begin_write");
        {
            let mut table = txn.open_table(ENTRIES).expect("entries");
            let mut bytes = table
                .get(entry.id)
                .expect("get")
                .expect("row")
                .value()
                .to_vec();
            let at = bytes
                .windows(7)
                .position(|w| w == b"Vente 5")
                .expect("the label in the value");
            bytes[at + 6] = b'6';
            table.insert(entry.id, bytes.as_slice()).expect("insert");
            let mut table = txn.open_table(parties).expect("parties");
            let mut bytes = table
                .get("FSUP")
                .expect("get")
                .expect("row")
                .value()
                .to_vec();
            let at = bytes
                .windows(11)
                .position(|w| w == b"Fournisseur")
                .expect("the name in the value");
            bytes[at] = b'f';
            table.insert("FSUP", bytes.as_slice()).expect("insert");
        }
        txn.commit().expect("commit");
    }
    let out = folio.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "entry: the ledger file is corrupt: entry #{} was damaged (its checksum does not match its content)",
            entry.id
        )),
        "{text}"
    );
    assert!(
        text.contains("storage: the ledger file is corrupt: third party FSUP was damaged"),
        "{text}"
    );
    for args in [
        &["report", "journal", "--format", "csv"][..],
        &["parties", "list"][..],
    ] {
        let out = folio.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with("error: the ledger file is corrupt: ")
                && stderr(&out).contains("was damaged"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(!panicked(&out));
    }
}

#[test]
fn a_fec_entry_total_beyond_the_largest_amount_is_refused_with_file_and_line() {
    let folio = Folio::blank();
    let header = "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\t\
                  CompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\t\
                  EcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise";
    let line = |account: &str, debit: &str, credit: &str| {
        [
            "OD", "Divers", "OD1", "20260302", account, "Compte", "", "", "X1", "20260302", "Gros",
            debit, credit, "", "", "20260302", "", "",
        ]
        .join("\t")
    };
    let big = "5000000000000,00";
    let credit = "7500000000000,00";
    let text = [
        header.to_string(),
        line("601000", big, "0,00"),
        line("602000", big, "0,00"),
        line("603000", big, "0,00"),
        line("512000", "0,00", credit),
        line("512000", "0,00", credit),
    ]
    .join("\n")
        + "\n";
    let file = folio.write("big.txt", text);
    folio.refuses(
        &["import", "fec", &file],
        &[
            "big.txt:3: debit:",
            "the entry's total debit would exceed 9999999999999.99",
        ],
    );
}
