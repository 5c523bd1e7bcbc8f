//! FEC import of files other software writes (fixtures/fec/, one per tolerance): what each
//! imports, what the summary says, what is refused and where, and the round trip through
//! Folio's own FEC export.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fec");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A new ledger for 2026 with the blank company's SIREN, and nothing else.
fn ledger() -> Folio {
    let folio = Folio::empty();
    folio.ok(&w(&format!(
        "init --name 'Test SARL' --siren {SIREN} --start 2026-01-01"
    )));
    folio
}

/// Imports a fixture under `name` into a new ledger; returns the ledger and the summary.
fn imported(fixture_name: &str, name: &str) -> (Folio, String) {
    let folio = ledger();
    let file = folio.write(name, fixture(fixture_name));
    let out = folio.ok(&["import", "fec", &file]);
    (folio, out)
}

fn export(folio: &Folio, dir: &str) -> Vec<u8> {
    std::fs::create_dir_all(folio.path(dir)).expect("mkdir");
    folio.ok(&["export", "fec", "--out", dir]);
    std::fs::read(folio.path(&format!("{dir}/{SIREN}FEC20261231.txt"))).expect("exported FEC")
}

/// A FEC's records as field name -> value, names as the standard writes them.
fn records(bytes: &[u8]) -> Vec<BTreeMap<String, String>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        // ISO-8859-15 where it matters here (é, œ, €).
        Err(_) => bytes
            .iter()
            .map(|b| match b {
                0xA4 => '€',
                0xBD => 'œ',
                other => char::from(*other),
            })
            .collect(),
    };
    let mut lines = text.split(['\r', '\n']).filter(|l| !l.trim().is_empty());
    let header = lines.next().expect("header");
    let sep = if header.contains('\t') { '\t' } else { '|' };
    let names: Vec<&str> = header.split(sep).map(str::trim).collect();
    lines
        .map(|line| {
            names
                .iter()
                .zip(line.split(sep))
                .filter(|(name, _)| !name.is_empty())
                .map(|(name, value)| (name.to_string(), value.trim().to_string()))
                .collect()
        })
        .collect()
}

/// `1200,5`, `0001200,50`, `1200` and a blank all as cents.
fn amount(text: &str) -> i64 {
    let text = text.trim().replace(',', ".");
    if text.is_empty() {
        return 0;
    }
    let (units, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let negative = units.starts_with('-');
    let units: i64 = units.trim_start_matches('-').parse().expect("units");
    let fraction: i64 = format!("{fraction:0<2}").parse().expect("cents");
    let value = units * 100 + fraction;
    if negative { -value } else { value }
}

/// A fixture record as the export should give it back: the 18 fields but EcritureNum, with
/// what the import summary says it filled or normalised (ValidDate, DateLet, Montant/Sens,
/// amounts written with two decimals, padding).
fn expected_fields(record: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let get = |name: &str| record.get(name).cloned().unwrap_or_default();
    let (debit, credit) = match (record.get("Montant"), record.get("Sens")) {
        (Some(montant), Some(sens)) => match sens.as_str() {
            "D" | "+1" => (amount(montant), 0),
            _ => (0, amount(montant)),
        },
        _ => (amount(&get("Debit")), amount(&get("Credit"))),
    };
    let valid = match get("ValidDate") {
        v if v.is_empty() => get("EcritureDate"),
        v => v,
    };
    let date_let = match (get("EcritureLet"), get("DateLet")) {
        (l, _) if l.is_empty() => String::new(),
        (_, d) if d.is_empty() => valid.clone(),
        (_, d) => d,
    };
    vec![
        ("JournalCode".into(), get("JournalCode")),
        ("JournalLib".into(), get("JournalLib")),
        ("EcritureDate".into(), get("EcritureDate")),
        ("CompteNum".into(), get("CompteNum")),
        ("CompteLib".into(), get("CompteLib")),
        ("CompAuxNum".into(), get("CompAuxNum")),
        ("CompAuxLib".into(), get("CompAuxLib")),
        ("PieceRef".into(), get("PieceRef")),
        ("PieceDate".into(), get("PieceDate")),
        ("EcritureLib".into(), get("EcritureLib")),
        ("Debit".into(), debit.to_string()),
        ("Credit".into(), credit.to_string()),
        ("EcritureLet".into(), get("EcritureLet")),
        ("DateLet".into(), date_let),
        ("ValidDate".into(), valid),
        (
            "Montantdevise".into(),
            match get("Montantdevise") {
                m if m.is_empty() => String::new(),
                m => amount(&m).to_string(),
            },
        ),
        ("Idevise".into(), get("Idevise")),
    ]
}

/// Compares the export with the fixture field by field, line by line (lines matched in
/// order once both are sorted; every field but EcritureNum must be equal).
fn assert_round_trip(fixture_name: &str, exported: &[u8]) {
    assert_same_records(fixture_name, &fixture(fixture_name), exported);
}

/// [`assert_round_trip`] of a file written by the test.
fn assert_same_records(fixture_name: &str, written: &[u8], exported: &[u8]) {
    let mut fixture_records = records(written);
    // A group lettered without DateLet takes the latest ValidDate of its lines.
    let mut latest: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in &fixture_records {
        if !r["EcritureLet"].is_empty() && r["DateLet"].is_empty() {
            let valid = if r["ValidDate"].is_empty() {
                &r["EcritureDate"]
            } else {
                &r["ValidDate"]
            };
            let slot = latest
                .entry((r["CompteNum"].clone(), r["EcritureLet"].clone()))
                .or_default();
            if *valid > *slot {
                slot.clone_from(valid);
            }
        }
    }
    for r in &mut fixture_records {
        if let Some(date) = latest.get(&(r["CompteNum"].clone(), r["EcritureLet"].clone()))
            && r["DateLet"].is_empty()
        {
            r.insert("DateLet".into(), date.clone());
        }
    }
    let mut want: Vec<_> = fixture_records.iter().map(expected_fields).collect();
    let mut got: Vec<_> = records(exported).iter().map(expected_fields).collect();
    want.sort();
    got.sort();
    assert_eq!(want.len(), got.len(), "{fixture_name}: line count");
    for (w, g) in want.iter().zip(&got) {
        for ((name, wv), (_, gv)) in w.iter().zip(g) {
            assert_eq!(wv, gv, "{fixture_name}: field {name} of line {w:?}");
        }
    }
}

const ALL: [&str; 11] = [
    "standard_18.txt",
    "trailing_separator_19.txt",
    "bnc_cash_basis_22.txt",
    "letters_without_datelet.txt",
    "montant_sens.txt",
    "cr_cr_lf.txt",
    "latin9_stray_byte.txt",
    "split_entries.txt",
    "collective_without_aux.txt",
    "journal_codes.txt",
    "bom_padding_blanks.txt",
];

#[test]
fn every_fixture_imports_and_exports_back_field_by_field() {
    for name in ALL {
        let (folio, _) = imported(name, &format!("{SIREN}FEC20261231.txt"));
        let first = export(&folio, "one");
        assert_round_trip(name, &first);
        assert!(
            folio.ok(&["check"]).contains("check ok"),
            "{name}: check after import"
        );
        // Import the export again, twice: the second and third exports are the same bytes.
        let again = ledger();
        let file = again.write(&format!("{SIREN}FEC20261231.txt"), &first);
        again.ok(&["import", "fec", &file]);
        let second = export(&again, "two");
        let third_ledger = ledger();
        let file = third_ledger.write(&format!("{SIREN}FEC20261231.txt"), &second);
        third_ledger.ok(&["import", "fec", &file]);
        let third = export(&third_ledger, "three");
        assert_eq!(
            String::from_utf8_lossy(&second),
            String::from_utf8_lossy(&third),
            "{name}: second and third exports"
        );
        assert_round_trip(name, &second);
    }
}

#[test]
fn the_standard_file_keeps_lettering_pieces_dates_currencies_and_parties() {
    let (folio, out) = imported("standard_18.txt", &format!("{SIREN}FEC20261231.txt"));
    let first_line = out.lines().next().unwrap_or_default();
    assert_eq!(
        first_line,
        "imported 9 entries (20 lines), 9 validated; created 2 journals, 2 accounts, 5 third \
         parties; 10 lettered lines"
    );
    for piece in [
        "lettering: 2 groups kept (4 lines); 6 lines keep the file's code as an imported mark",
        "411000 `AB` (3 lines): lines of several third parties or without one",
        "511200 `A` (1 lines): the account is not letterable",
        "journal BNP created as bank on 512100",
        "journal CAG created as bank on 512200",
        "journal AN: `À-nouveaux` in the ledger, `A nouveaux` in the file (the file's kept)",
    ] {
        assert!(out.contains(piece), "`{piece}` in:\n{out}");
    }
    assert!(!out.contains("warning"), "{out}");
    // The two groups that follow Folio's rules are letter groups; `c001` is a party of its own.
    let groups = csv_records(&folio.ok(&w("letter list --format csv")));
    let codes: Vec<(&str, &str)> = groups
        .iter()
        .map(|g| (g["code"].as_str(), g["party"].as_str()))
        .collect();
    assert_eq!(codes, vec![("AA", "C001"), ("ab", "C001-2")], "{groups:?}");
    let parties = folio.ok(&w("parties --format csv"));
    assert!(parties.contains("C001-2,Client un (autre)"), "{parties}");
    // Open items: the complete group's lines are not; the partial group's are, with their
    // code; lines with imported marks are open.
    let open = csv_records(&folio.ok(&w("letter list --open --format csv")));
    let lines: Vec<(&str, &str)> = open
        .iter()
        .map(|r| (r["line"].as_str(), r["partial"].as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("AC2026-000001/2", ""),
            ("VE2026-000002/1", "ab"),
            ("BNP2026-000002/2", "ab"),
            ("VE2026-000003/1", ""),
            ("CAG2026-000001/2", ""),
            ("VE2026-000003/2", ""),
        ]
    );
    // The file's EcritureNum is shown with the entry.
    let show = folio.ok(&w("entry show VE2026-000003"));
    assert!(
        show.contains("Imported from a FEC as EcritureNum `VE3`"),
        "{show}"
    );
    // Imported marks are information for `folio check`, not findings.
    let check = folio.ok(&["check"]);
    assert!(
        check.contains(
            "information: lettering: 411000 `AB` on 3 lines: a code kept from an imported FEC"
        ),
        "{check}"
    );
    assert!(check.starts_with("check ok"), "{check}");
}

#[test]
fn imported_marks_can_be_relettered_and_codes_are_not_given_again() {
    let (folio, _) = imported("standard_18.txt", &format!("{SIREN}FEC20261231.txt"));
    // VE2026-000003/1 (C002, 300 debit, mark `AB`) and CAG2026-000001/2 (C002, 300 credit,
    // mark `AB`): lettered together, they become a Folio group; the counter is past `AB`.
    let out = folio.ok(&w("letter add VE2026-000003/1 CAG2026-000001/2"));
    assert!(out.contains("AC"), "{out}");
    let show = folio.ok(&w("entry show VE2026-000003"));
    let marks: Vec<&str> = show.lines().filter(|l| l.contains("411000")).collect();
    assert!(marks[0].contains(" AC "), "{show}");
    // The other line keeps its imported mark.
    assert!(marks[1].contains(" AB "), "{show}");
    let check = folio.ok(&["check"]);
    assert!(check.contains("411000 `AB` on 1 lines"), "{check}");
    assert!(check.contains("check ok"), "{check}");
}

#[test]
fn tolerances_are_reported_in_the_summary() {
    let cases: [(&str, &[&str]); 10] = [
        (
            "trailing_separator_19.txt",
            &["imported 2 entries (4 lines)"],
        ),
        (
            "bnc_cash_basis_22.txt",
            &[
                "imported 3 entries (6 lines)",
                "EcritureNum blank or the same on every line: entries grouped by journal, date and piece",
                "ValidDate blank on 6 lines: the entry date was used",
                "cash-basis columns ignored: DateRglt, ModeRglt, NatOp, IdClient",
            ],
        ),
        (
            "letters_without_datelet.txt",
            &[
                "DateLet blank on 2 lettered lines: the ValidDate (or the entry date) was used",
                "lettering: 1 groups kept (2 lines); 0 lines keep",
            ],
        ),
        (
            "montant_sens.txt",
            &[
                "imported 2 entries (5 lines)",
                "Montant and Sens read as Debit and Credit",
            ],
        ),
        ("cr_cr_lf.txt", &["imported 2 entries (4 lines)"]),
        (
            "latin9_stray_byte.txt",
            &[
                "read: ISO-8859-15",
                "warning: read as ISO-8859-15 (line 2 is not UTF-8), but 1 lines hold what looks like UTF-8 (first: line 5)",
            ],
        ),
        (
            "split_entries.txt",
            &[
                "imported 2 entries (5 lines)",
                "2 entries have lines that are not consecutive",
            ],
        ),
        (
            "collective_without_aux.txt",
            &[
                "2 lines on accounts that need a third party have no CompAuxNum, imported as they are:",
                "  401000: 1 lines",
                "  411000: 1 lines",
            ],
        ),
        (
            "journal_codes.txt",
            &[
                "journal OI created as miscellaneous",
                "journal code `O.I` is OI in Folio (exported as `O.I`)",
                "journal code `ve` is VE2 in Folio (exported as `ve`)",
            ],
        ),
        ("bom_padding_blanks.txt", &["imported 2 entries (4 lines)"]),
    ];
    for (name, pieces) in cases {
        let (_, out) = imported(name, &format!("{SIREN}FEC20261231.txt"));
        for piece in pieces {
            assert!(out.contains(piece), "{name}: `{piece}` in:\n{out}");
        }
    }
}

#[test]
fn the_latin9_file_is_decoded_as_one_encoding() {
    let (folio, _) = imported("latin9_stray_byte.txt", &format!("{SIREN}FEC20261231.txt"));
    let journal = folio.ok(&w("report journal --format csv"));
    assert!(journal.contains("Facture F50 réglée 5 €"), "{journal}");
    assert!(journal.contains("Cœur d'œuvre"), "{journal}");
    // The line that looked like UTF-8 is read as ISO-8859-15 like the rest, as written.
    assert!(journal.contains("CafÃ©"), "{journal}");
}

#[test]
fn the_file_name_is_compared_with_the_ledger() {
    let cases = [
        (
            "7328293201FEC20261231.txt",
            "warning: file name 7328293201FEC20261231.txt: the SIREN `7328293201` is not 9 digits; this ledger's is 732829320",
        ),
        (
            "732829320FEC20261231.TXT",
            "warning: file name 732829320FEC20261231.TXT: the extension is `.TXT`, the FEC's is `.txt`",
        ),
        (
            "732829320FEC20261130.txt",
            "warning: file name 732829320FEC20261130.txt: closing date 20261130 is not the end of the fiscal year of the entries (20261231)",
        ),
        (
            "552100554FEC20261231.txt",
            "warning: SIREN mismatch: the file name says 552100554, this ledger's SIREN is 732829320",
        ),
        (
            "000000000FEC20261231.txt",
            "warning: file name 000000000FEC20261231.txt: the SIREN `000000000` is a placeholder",
        ),
    ];
    for (name, expected) in cases {
        let (_, out) = imported("split_entries.txt", name);
        assert!(out.contains(expected), "{name}: `{expected}` in:\n{out}");
    }
}

#[test]
fn dry_run_prints_the_summary_and_writes_nothing() {
    let folio = ledger();
    let file = folio.write(
        &format!("{SIREN}FEC20261231.txt"),
        fixture("standard_18.txt"),
    );
    let before = folio.snapshot();
    let out = folio.ok(&["import", "fec", &file, "--dry-run"]);
    assert!(
        out.starts_with("dry run, nothing written: would import 9 entries (20 lines)"),
        "{out}"
    );
    before.assert_same(&folio.snapshot(), "dry run");
    let out = folio.ok(&["import", "fec", &file]);
    assert!(out.starts_with("imported 9 entries"), "{out}");
}

#[test]
fn labels_come_from_the_file_or_the_ledger() {
    let folio = ledger();
    let file = folio.write(
        &format!("{SIREN}FEC20261231.txt"),
        fixture("collective_without_aux.txt"),
    );
    let out = folio.ok(&["import", "fec", &file, "--labels", "ledger"]);
    assert!(
        out.contains(
            "account 706000: `Prestations de services` in the ledger, `Prestations` in the file (the ledger's kept)"
        ),
        "{out}"
    );
    let accounts = folio.ok(&w("accounts --format csv"));
    assert!(
        accounts.contains("706000,Prestations de services"),
        "{accounts}"
    );

    let (folio, _) = imported(
        "collective_without_aux.txt",
        &format!("{SIREN}FEC20261231.txt"),
    );
    let accounts = folio.ok(&w("accounts --format csv"));
    assert!(accounts.contains("706000,Prestations,"), "{accounts}");
}

#[test]
fn refusals_name_the_file_the_record_and_the_field_and_write_nothing() {
    let standard = String::from_utf8(fixture("standard_18.txt")).expect("UTF-8");
    let crlf = String::from_utf8(fixture("cr_cr_lf.txt")).expect("UTF-8");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "valid_before.txt",
            standard.replacen("\t20260116\t\t\n", "\t20260114\t\t\n", 1),
            "valid_before.txt:4: ValidDate: 20260114 is before the entry's date 20260115 (EcritureDate)",
        ),
        (
            // Record 4 of a CR CR LF file is reported as line 4, not 8.
            "crcrlf.txt",
            crlf.replacen("\t70,00\t", "\t7O,00\t", 1),
            "crcrlf.txt:4: Debit: `7O,00` is not a number",
        ),
        (
            "blank_number.txt",
            standard.replacen("\tVE2\t", "\t\t", 1),
            "blank_number.txt:7: EcritureNum: blank, while other lines have one (line 2)",
        ),
        (
            "unbalanced.txt",
            standard.replacen("\t0,00\t600,00\t", "\t0,00\t500,00\t", 1),
            "unbalanced.txt:7: debit/credit: entry is unbalanced",
        ),
        (
            "missing_field.txt",
            standard.replacen("CompteLib", "Libelle", 1),
            "missing_field.txt:1: header: the FEC field `CompteLib` is missing (columns that are not FEC fields: `Libelle`)",
        ),
        (
            "bad_account.txt",
            standard.replacen("\t445710\t", "\t4457AB\t", 1),
            "bad_account.txt:6: CompteNum:",
        ),
    ];
    let folio = ledger();
    for (name, contents, expected) in cases {
        let file = folio.write(name, contents);
        folio.refuses(&["import", "fec", &file], &[expected]);
    }
    // A cash-basis file grouped by journal, date and piece that cannot balance.
    let bnc = String::from_utf8(fixture("bnc_cash_basis_22.txt")).expect("UTF-8");
    let file = folio.write("bnc.txt", bnc.replacen("\t45,90\t", "\t45,00\t", 1));
    folio.refuses(
        &["import", "fec", &file],
        &["bnc.txt:5: EcritureNum: blank on every line, so entries are the lines of one journal, date and piece; those of journal BQ, 2026-01-07, piece T101 (lines 4 to 5) do not balance"],
    );
}

#[test]
fn journal_kinds_come_from_treasury_accounts_and_can_be_corrected() {
    let (folio, _) = imported("standard_18.txt", &format!("{SIREN}FEC20261231.txt"));
    let journals = folio.ok(&w("journals --format csv"));
    assert!(
        journals.contains("BNP,Banque BNP,bank,512100"),
        "{journals}"
    );
    assert!(
        journals.contains("CAG,Crédit Agricole,bank,512200"),
        "{journals}"
    );
    folio.ok(&w("journals edit CAG --kind miscellaneous"));
    let journals = folio.ok(&w("journals --format csv"));
    assert!(
        journals.contains("CAG,Crédit Agricole,miscellaneous"),
        "{journals}"
    );
    folio.refuses(
        &w("journals edit CAG --kind treasury"),
        &["kind: `treasury` is not one of"],
    );
}

/// A FEC of `entries` purchase entries of 2 to 7 lines (so that entries straddle the
/// importer's read-ahead batches of 4,096 records), each line as `line(record number)` writes
/// it, with the lines of entry `i` numbered `HA{i}`.
fn many_entries(entries: usize) -> String {
    let mut text = String::from(
        "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise\n",
    );
    for i in 1..=entries {
        let lines = 2 + i % 6;
        let day = 1 + i % 28;
        let date = format!("202603{day:02}");
        for l in 1..lines {
            text.push_str(&format!(
                "HA\tAchats\tHA{i}\t{date}\t60610{}\tFournitures {}\t\t\tF{i}\t{date}\tAchat {i} ligne {l}\t{l},{:02}\t0,00\t\t\t{date}\t\t\n",
                l % 4,
                l % 4,
                i % 100
            ));
        }
        let total: u64 = (1..lines as u64).map(|l| l * 100 + (i % 100) as u64).sum();
        text.push_str(&format!(
            "HA\tAchats\tHA{i}\t{date}\t401000\tFournisseurs\tS{:03}\tFournisseur {}\tF{i}\t{date}\tAchat {i}\t0,00\t{},{:02}\t\t\t{date}\t\t\n",
            i % 50,
            i % 50,
            total / 100,
            total % 100
        ));
    }
    text
}

#[test]
fn entries_across_read_ahead_batches_import_whole_and_refusals_keep_their_line() {
    let text = many_entries(3_000);
    let records_in_file = text.lines().count() - 1;
    assert!(records_in_file > 3 * 4_096, "{records_in_file} records");
    let folio = ledger();
    let name = format!("{SIREN}FEC20261231.txt");
    let file = folio.write(&name, &text);
    let out = folio.ok(&["import", "fec", &file]);
    assert!(out.contains("3000 entries"), "{out}");
    assert!(out.contains(&format!("{records_in_file} lines")), "{out}");
    assert_same_records("many entries", text.as_bytes(), &export(&folio, "out"));
    assert!(folio.ok(&["check"]).contains("check ok"));

    // The record numbers of the entries that straddle the first batches' ends.
    let lines: Vec<&str> = text.lines().collect();
    let entry_at = |record: usize| lines[record - 1].split('\t').nth(2).unwrap().to_string();
    let first_of = |record: usize| {
        let number = entry_at(record);
        (1..=record)
            .rev()
            .take_while(|r| entry_at(*r) == number)
            .last()
            .unwrap()
    };
    let empty = ledger();
    for boundary in [4_098, 8_194] {
        // Each batch holds 4,096 records (lines 2 to 4,097 the first): line `boundary` is the
        // first of a batch, and its entry began in the batch before.
        let start = first_of(boundary);
        assert!(start < boundary, "line {boundary}");
        // An entry across the boundary that does not balance is named by its first line.
        let mut broken: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let mut fields: Vec<String> = broken[boundary - 1].split('\t').map(String::from).collect();
        for amount in &mut fields[11..13] {
            if amount.as_str() != "0,00" {
                *amount = "999,99".into();
            }
        }
        broken[boundary - 1] = fields.join("\t");
        let file = empty.write("unbalanced.txt", broken.join("\n") + "\n");
        empty.refuses(
            &["import", "fec", &file],
            &[&format!(
                "unbalanced.txt:{start}: debit/credit: entry is unbalanced"
            )],
        );
        // A bad amount in the next batch is named by its line, after every entry before it.
        let mut bad: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let at = boundary + 300;
        bad[at - 1] = bad[at - 1].replacen("\t0,00\t", "\t0,O0\t", 1);
        let file = empty.write("bad_amount.txt", bad.join("\n") + "\n");
        empty.refuses(
            &["import", "fec", &file],
            &[&format!("bad_amount.txt:{at}: ")],
        );
    }
}
