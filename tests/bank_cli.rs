//! `folio bank …` and `folio report bank|suspense` through the real binary: imports of every
//! format, routing by bank details, duplicates, balance and continuity rules, reconciliation,
//! posting and suspense, and the bank reconciliation statement.

mod common;

use common::{Folio, csv_records, w};

const IBAN_A: &str = "FR7630006000011234567890189";
const IBAN_B: &str = "FR7610107001011234567890129";

fn fixture(name: &str) -> String {
    format!("{}/fixtures/statements/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A blank company with a second bank journal `B2` on 512100.
fn two_banks() -> Folio {
    let folio = Folio::blank();
    folio.ok(&w("accounts add 512100 'Banque 2'"));
    folio.ok(&w(
        "journals add B2 'Banque 2' --kind bank --treasury 512100",
    ));
    folio
}

/// One MT940 statement: `lines` are (MMDD, signed cents, label, reference).
fn mt940(
    reference: &str,
    iban: &str,
    currency: &str,
    opening_cents: i64,
    lines: &[(&str, i64, &str, &str)],
    closing_cents: i64,
) -> String {
    let amount = |cents: i64| format!("{},{:02}", cents.abs() / 100, cents.abs() % 100);
    let side = |cents: i64| if cents < 0 { "D" } else { "C" };
    let mut text = format!(
        ":20:{reference}\n:25:{iban}\n:28C:1/1\n:60F:{}261031{currency}{}\n",
        side(opening_cents),
        amount(opening_cents)
    );
    for (day, cents, label, bank_ref) in lines {
        text.push_str(&format!(
            ":61:26{day}{day}{}{}NTRFNONREF{}\n:86:{label}\n",
            side(*cents),
            amount(*cents),
            if bank_ref.is_empty() {
                String::new()
            } else {
                format!("//{bank_ref}")
            }
        ));
    }
    text.push_str(&format!(
        ":62F:{}261130{currency}{}\n",
        side(closing_cents),
        amount(closing_cents)
    ));
    text
}

/// November on account A: a customer transfer, a bank fee, an unknown debit.
fn november(folio: &Folio) -> String {
    folio.write(
        "nov.sta",
        mt940(
            "NOV",
            IBAN_A,
            "EUR",
            100_000,
            &[
                ("1103", 120_000, "VIR ACME", "R1"),
                ("1110", -1_200, "FRAIS TENUE COMPTE", "R2"),
                ("1115", -4_550, "PRLV INCONNU", "R3"),
            ],
            214_250,
        ),
    )
}

fn iban_on_bq(folio: &Folio) {
    folio.ok(&w(&format!("journals edit BQ --iban {IBAN_A}")));
}

fn lines_csv(folio: &Folio, extra: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let out = folio.ok(&w(&format!("bank lines --format csv {extra}")));
    assert!(
        out.starts_with("statement,date,value_date,amount,label,reference,counterparty,status"),
        "{out}"
    );
    csv_records(&out)
}

// ----- import --------------------------------------------------------------------------------

#[test]
fn imports_every_format() {
    // CAMT.053: two statements of two accounts, each routed by its IBAN.
    let folio = two_banks();
    iban_on_bq(&folio);
    folio.ok(&w(&format!("journals edit B2 --iban {IBAN_B}")));
    let out = folio.ok(&w(&format!(
        "bank import {}",
        fixture("camt053-two-statements.xml")
    )));
    assert!(out.contains("4 lines added, 0 skipped"), "{out}");
    let rows = lines_csv(&folio, "--account 512100");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["amount"], "500.00");
    assert_eq!(rows[0]["status"], "unreconciled");

    let journals = csv_records(&folio.ok(&w("journals --format csv")));
    let b2 = journals.iter().find(|j| j["code"] == "B2").expect("B2");
    assert_eq!(b2["bank_account"], IBAN_B);
    let json = folio.ok(&w("bank lines --account 512100 --format json"));
    assert!(json.contains("\"label\": \"VIREMENT INTERNE\""), "{json}");
    assert!(json.contains("\"status\": \"unreconciled\""), "{json}");
    folio.refuses(&w("bank lines --statement 9"), &["no statement 9"]);

    // CFONB 120 without line breaks, OFX 1 with comma decimals, each onto --account.
    for (file, lines) in [("cfonb120-no-breaks.txt", 2), ("ofx1-comma-decimal.ofx", 3)] {
        let folio = Folio::blank();
        let out = folio.ok(&w(&format!(
            "bank import {} --account 512000",
            fixture(file)
        )));
        assert!(
            out.contains(&format!("{lines} lines added")),
            "{file}: {out}"
        );
        assert_eq!(lines_csv(&folio, "").len(), lines, "{file}");
    }
    // OFX 1: a comma decimal read exactly.
    let folio = Folio::blank();
    folio.ok(&w(&format!(
        "bank import {} --account 512000 --format ofx",
        fixture("ofx1-comma-decimal.ofx")
    )));
    assert_eq!(lines_csv(&folio, "")[0]["amount"], "1205.00");

    // MT940 with two statements of two accounts: an IBAN and a RIB.
    let folio = two_banks();
    // The file's IBAN gives the RIB: the journal has the RIB only.
    folio.ok(&w("journals edit BQ --rib '30004 00123 00012345678'"));
    folio.ok(&w("journals edit B2 --rib '30003 01234 00098765432'"));
    let out = folio.ok(&w(&format!(
        "bank import {}",
        fixture("mt940-two-statements.sta")
    )));
    assert!(out.contains("4 lines added"), "{out}");
    let statements = csv_records(&folio.ok(&w("bank statements --format csv")));
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[1]["account"], "512100");
    assert_eq!(statements[1]["opening"], "-250.00");
    assert_eq!(statements[1]["closing"], "620.25");

    // CSV through each shipped profile.
    for bank in ["boursorama", "credit-agricole", "societe-generale"] {
        let folio = Folio::blank();
        let file = fixture(&format!("csv/{bank}.csv"));
        folio.refuses(
            &w(&format!("bank import {file} --account 512000")),
            &["CSV export", "--profile"],
        );
        let out = folio.ok(&w(&format!(
            "bank import {file} --account 512000 --profile {bank}"
        )));
        assert!(out.contains("lines added"), "{bank}: {out}");
        assert!(!lines_csv(&folio, "").is_empty(), "{bank}");
    }
}

#[test]
fn a_cfonb_file_of_two_accounts_goes_to_both_treasury_accounts() {
    let folio = two_banks();
    folio.ok(&w("journals edit BQ --rib '30004 00123 00012345678'"));
    // Without the second account's details, nothing is imported.
    folio.refuses(
        &w(&format!(
            "bank import {}",
            fixture("cfonb120-two-accounts.txt")
        )),
        &["30003 01234 00098765432", "is unknown"],
    );
    // --account cannot take a file of two accounts.
    folio.refuses(
        &w(&format!(
            "bank import {} --account 512100",
            fixture("cfonb120-two-accounts.txt")
        )),
        &["2 bank accounts"],
    );
    folio.ok(&w("journals edit B2 --rib '30003 01234 00098765432'"));
    folio.ok(&w(&format!(
        "bank import {}",
        fixture("cfonb120-two-accounts.txt")
    )));
    let statements = csv_records(&folio.ok(&w("bank statements --format csv")));
    let accounts: Vec<&str> = statements.iter().map(|s| s["account"].as_str()).collect();
    assert_eq!(accounts, ["512000", "512100"]);
}

#[test]
fn an_ofx_file_of_a_bank_account_and_a_credit_card_goes_to_both_journals() {
    let folio = two_banks();
    folio.ok(&w("journals edit BQ --iban FR7630003012340009876543264"));
    let file = fixture("ofx2-bank-and-card.ofx");
    // The card has no IBAN: until its number is set on a journal, nothing is imported.
    folio.refuses(
        &w(&format!("bank import {file}")),
        &["4974XXXXXXXX1234", "is unknown"],
    );
    folio.refuses(
        &w("journals edit B2 --number 'card#1'"),
        &["number", "card#1", "not an account number"],
    );
    // The number as the card statement writes it, spaces and case aside.
    folio.ok(&w("journals edit B2 --number '4974 xxxx xxxx 1234'"));
    let listing = folio.ok(&w("journals --format csv"));
    assert!(listing.contains("4974XXXXXXXX1234"), "{listing}");
    let out = folio.ok(&w(&format!("bank import {file}")));
    assert!(
        out.contains("(4974XXXXXXXX1234-20261130) on 512100"),
        "{out}"
    );
    let statements = csv_records(&folio.ok(&w("bank statements --format csv")));
    let accounts: Vec<(&str, &str)> = statements
        .iter()
        .map(|s| (s["account"].as_str(), s["closing"].as_str()))
        .collect();
    assert_eq!(accounts, [("512000", "5350.00"), ("512100", "-89.99")]);
    let card = lines_csv(&folio, "--account 512100");
    assert_eq!(card.len(), 1, "{card:?}");
    assert_eq!(card[0]["amount"], "-89.99");
    assert_eq!(card[0]["label"], "AMAZON EU SARL");
    // A journal may be created with the number too.
    folio.ok(&w("accounts add 512200 'Carte 2'"));
    folio.ok(&w(
        "journals add B3 'Carte 2' --kind bank --treasury 512200 --number 4974XXXXXXXX9876",
    ));
    folio.refuses(
        &w("journals add B4 'Carte 3' --kind bank --treasury 512200 --number 1 --iban FR7630003012340009876543264"),
        &["--number", "--iban"],
    );
}

#[test]
fn importing_twice_or_overlapping_exports_adds_no_line_twice() {
    let folio = Folio::blank();
    iban_on_bq(&folio);
    let file = november(&folio);
    folio.ok(&w(&format!("bank import {file}")));
    let again = folio.ok(&w(&format!("bank import {file}")));
    assert!(again.contains("0 lines added, 3 skipped"), "{again}");
    assert_eq!(lines_csv(&folio, "").len(), 3);

    // Two overlapping exports without bank references: same day, amount and label twice.
    let folio = Folio::blank();
    iban_on_bq(&folio);
    let coffee = [("1103", -350, "CB CAFE", ""), ("1103", -350, "CB CAFE", "")];
    let first = folio.write(
        "first.sta",
        mt940("A", IBAN_A, "EUR", 10_000, &coffee, 9_300),
    );
    let mut more = coffee.to_vec();
    more.push(("1120", 5_000, "VIR RECU", ""));
    let second = folio.write(
        "second.sta",
        mt940("B", IBAN_A, "EUR", 10_000, &more, 14_300),
    );
    folio.ok(&w(&format!("bank import {first}")));
    let out = folio.ok(&w(&format!("bank import {second}")));
    assert!(out.contains("1 lines added, 2 skipped"), "{out}");
    let rows = lines_csv(&folio, "");
    assert_eq!(rows.len(), 3);
    let statements = csv_records(&folio.ok(&w("bank statements --format csv")));
    assert_eq!(statements[1]["opening"], "93.00");
    assert_eq!(statements[1]["closing"], "143.00");
    let check = folio.ok(&w("check"));
    assert!(!check.contains("bank"), "{check}");
}

#[test]
fn a_statement_must_balance_and_follow_the_previous_one() {
    let folio = Folio::blank();
    iban_on_bq(&folio);
    let wrong = folio.write(
        "wrong.sta",
        mt940(
            "W",
            IBAN_A,
            "EUR",
            1_000,
            &[("1105", 500, "VIR", "X1")],
            1_600,
        ),
    );
    folio.refuses(
        &w(&format!("bank import {wrong}")),
        &[
            "wrong.sta:1: balance:",
            "does not balance",
            "difference 1.00",
        ],
    );
    let october = folio.write(
        "oct.sta",
        mt940(
            "O",
            IBAN_A,
            "EUR",
            1_000,
            &[("1005", 500, "VIR", "X1")],
            1_500,
        ),
    );
    folio.ok(&w(&format!("bank import {october}")));
    // November opens 5 euros above October's closing: a statement is missing.
    let gap = folio.write(
        "gap.sta",
        mt940(
            "N",
            IBAN_A,
            "EUR",
            2_000,
            &[("1105", 300, "VIR", "X2")],
            2_300,
        ),
    );
    folio.refuses(
        &w(&format!("bank import {gap}")),
        &[
            "gap.sta:1: balance:",
            "closed at 15.00",
            "difference 5.00",
            "--allow-gap",
        ],
    );
    let out = folio.ok(&w(&format!("bank import {gap} --allow-gap")));
    assert!(out.contains("gap of 5.00 acknowledged"), "{out}");
    let log = folio.ok(&w("log statement:2"));
    assert!(log.contains("bank.gap"), "{log}");
    assert!(log.contains("gap 5.00 acknowledged"), "{log}");
}

#[test]
fn unknown_accounts_and_foreign_currencies_are_refused() {
    let folio = Folio::blank();
    let file = november(&folio);
    folio.refuses(
        &w(&format!("bank import {file}")),
        &["nov.sta:1: account:", IBAN_A, "is unknown"],
    );
    // An account with no bank journal.
    folio.refuses(
        &w(&format!("bank import {file} --account 512100")),
        &["512100"],
    );
    let dollars = folio.write(
        "usd.sta",
        mt940(
            "U",
            IBAN_A,
            "USD",
            1_000,
            &[("1105", 500, "VIR", "X1")],
            1_500,
        ),
    );
    folio.refuses(
        &w(&format!("bank import {dollars} --account 512000")),
        &["usd.sta", "USD"],
    );
    // The IBAN of a journal is checked.
    folio.refuses(
        &w("journals edit BQ --iban FR7630006000011234567890188"),
        &["not a valid IBAN"],
    );
    // --account registers the file's account on the bank journal.
    let out = folio.ok(&w(&format!("bank import {file} --account 512000")));
    assert!(
        out.contains(&format!("bank account {IBAN_A} set on journal BQ")),
        "{out}"
    );
    let december = folio.write(
        "dec.sta",
        mt940(
            "D",
            IBAN_A,
            "EUR",
            214_250,
            &[("1202", 100, "VIR", "X9")],
            214_350,
        ),
    );
    folio.ok(&w(&format!("bank import {december}")));
}

// ----- reconciliation ------------------------------------------------------------------------

/// November imported, and the customer's payment in the books (draft #1).
fn reconciling() -> Folio {
    let folio = Folio::blank();
    iban_on_bq(&folio);
    let file = november(&folio);
    folio.ok(&w(&format!("bank import {file}")));
    folio.ok(&w(
        "entry add -j BQ -d 2026-11-02 -p V1 -l 'Règlement Acme' --debit 512000=700 --credit 411000@CACME=700",
    ));
    folio.ok(&w(
        "entry add -j BQ -d 2026-11-02 -p V2 -l 'Règlement Acme 2' --debit 512000=500 --credit 411000@CACME=500",
    ));
    folio
}

#[test]
fn reconcile_and_unreconcile_a_bank_line() {
    let folio = reconciling();
    // The sums must be equal.
    folio.refuses(
        &w("bank reconcile 1/1 #1/1"),
        &[
            "bank line 1/1 is 1200.00",
            "total 700.00",
            "difference 500.00",
        ],
    );
    // Only lines of the treasury account.
    folio.refuses(&w("bank reconcile 1/1 #1/2"), &["is on 411000"]);
    folio.refuses(&w("bank reconcile 9/1 #1/1"), &["no bank line 9/1"]);
    folio.refuses(&w("bank reconcile 1/x #1/1"), &["STATEMENT/LINE"]);
    let out = folio.ok(&w("bank reconcile 1/1 #1/1 #2/1"));
    assert!(out.contains("reconciled bank line 1/1"), "{out}");
    let rows = lines_csv(&folio, "");
    assert_eq!(rows[0]["status"], "reconciled");
    assert_eq!(lines_csv(&folio, "--unreconciled").len(), 2);
    // Nothing is matched twice; the refusal names who reconciled.
    folio.refuses(
        &w("bank reconcile 1/1 #1/1 #2/1"),
        &["already reconciled", "by alice"],
    );
    folio.refuses(
        &w("bank reconcile 1/3 #1/1"),
        &["already reconciled with bank line 1/1 by alice"],
    );
    let statements = csv_records(&folio.ok(&w("bank statements --format csv")));
    assert_eq!(statements[0]["reconciled"], "1");
    // Validation leaves the mark; unreconcile removes it.
    folio.ok(&w("validate --until 2026-11-30"));
    folio.ok(&w("bank unreconcile 1/1"));
    assert_eq!(lines_csv(&folio, "")[0]["status"], "unreconciled");
    folio.refuses(
        &w("bank unreconcile 1/1"),
        &["bank line 1/1 is not reconciled"],
    );
    let log = folio.ok(&w("log account:512000"));
    assert!(
        log.contains("bank.reconcile") && log.contains("bank.unreconcile"),
        "{log}"
    );
    folio.ok(&w("bank reconcile 1/1 BQ2026-000001/1 BQ2026-000002/1"));
    let check = folio.ok(&w("check"));
    assert!(!check.contains("bank"), "{check}");
}

#[test]
fn post_a_bank_line_with_vat_and_send_one_to_suspense() {
    let mut folio = reconciling();
    let out = folio.ok(&w(
        "bank post 1/2 --account 627000 --tax D20 --label 'Frais bancaires'",
    ));
    assert!(
        out.contains("posted bank line 1/2 as #3 to 627000"),
        "{out}"
    );
    let journal = folio.ok(&w("report journal BQ --format csv"));
    let rows: Vec<_> = csv_records(&journal)
        .into_iter()
        .filter(|r| r["piece"] == "REL1-2")
        .collect();
    let lines: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["account"].clone(),
                r["debit"].clone(),
                r["credit"].clone(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("512000".into(), "0.00".into(), "12.00".into()),
            ("627000".into(), "10.00".into(), "0.00".into()),
            ("445660".into(), "2.00".into(), "0.00".into()),
        ]
    );
    folio.refuses(
        &w("bank post 1/2 --account 627000"),
        &["already reconciled (posted) by alice"],
    );
    folio.refuses(
        &w("bank post 1/3 --account 627000 --tax ZZ"),
        &["unknown tax code"],
    );
    folio.refuses(
        &w("bank post 1/3 --account 512000"),
        &["its own treasury account"],
    );
    let out = folio.ok(&w("bank suspense 1/3"));
    assert!(out.contains("sent bank line 1/3 to suspense"), "{out}");
    folio.set_today("2026-12-15");
    let later = folio;
    let list = csv_records(&later.ok(&w("bank suspense --list --format csv")));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["line"], "1/3");
    assert_eq!(list[0]["amount"], "-45.50");
    assert_eq!(list[0]["age_days"], "30");
    assert!(list[0]["account"].starts_with("471"), "{list:?}");
    let report = csv_records(&later.ok(&w("report suspense --format csv")));
    assert_eq!(report.len(), 1);
    assert_eq!(lines_csv(&later, "")[2]["status"], "suspense");
    let check = later.ok(&w("check"));
    assert!(!check.contains("bank"), "{check}");
}

#[test]
fn the_bank_reconciliation_statement_explains_the_difference() {
    let folio = reconciling();
    // A cheque issued, not yet cashed.
    folio.ok(&w(
        "entry add -j BQ -d 2026-11-20 -p CHQ1 -l 'Chèque 1001' --debit 401000@FSUP=80 --credit 512000=80",
    ));
    folio.ok(&w("bank reconcile 1/1 #1/1 #2/1"));
    folio.ok(&w("bank post 1/2 --account 627000"));
    let rows = csv_records(&folio.ok(&w(
        "report bank --account 512000 --at 2026-11-30 --format csv",
    )));
    let value = |section: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r["section"] == section)
            .map(|r| r["amount"].clone())
            .collect()
    };
    // Books: 700 + 500 - 80 - 12 = 1108; bank: 2142.50.
    assert_eq!(value("book_balance"), ["1108.00"]);
    assert_eq!(value("book_only"), ["-80.00"]);
    assert_eq!(value("bank_only"), ["-45.50"]);
    assert_eq!(value("carried"), ["1000.00"]);
    assert_eq!(value("bank_balance"), ["2142.50"]);
    assert_eq!(value("unexplained"), ["0.00"]);
    let table = folio.ok(&w("report bank --account 512000 --at 2026-11-30"));
    assert!(table.contains("Chèque 1001"), "{table}");
    assert!(table.contains("PRLV INCONNU"), "{table}");
    assert!(table.contains("Difference left unexplained"), "{table}");
    let json = folio.ok(&w(
        "report bank --account 512000 --at 2026-11-30 --format json",
    ));
    assert!(
        json.contains("\"unexplained\": \"0.00\"") || json.contains("\"unexplained\": 0"),
        "{json}"
    );
}

#[test]
fn deleting_a_reconciled_draft_unreconciles_its_bank_line() {
    let folio = reconciling();
    folio.ok(&w("bank post 1/2 --account 627000"));
    folio.ok(&w("bank reconcile 1/1 #1/1 #2/1"));
    // A relabelled draft keeps its reconciliation.
    folio.ok(&w("entry edit #3 -l 'Frais de tenue de compte'"));
    assert_eq!(lines_csv(&folio, "")[1]["status"], "reconciled");
    folio.ok(&w("entry delete #3"));
    let rows = lines_csv(&folio, "");
    assert_eq!(rows[1]["status"], "unreconciled");
    assert_eq!(rows[0]["status"], "reconciled");
    let log = folio.ok(&w("log bank:1/2"));
    assert!(log.contains("was changed or deleted"), "{log}");
    // One line of a two-line reconciliation changed: the whole bank line is unreconciled.
    folio.ok(&w(
        "entry edit #2 --debit 512000=400 --credit 411000@CACME=400",
    ));
    assert_eq!(lines_csv(&folio, "")[0]["status"], "unreconciled");
    let check = folio.ok(&w("check"));
    assert!(!check.contains("bank"), "{check}");
}

/// A statement file is read whole: above 16 MiB, like every file Folio reads whole, it is
/// refused before being read, naming the file, and nothing is imported.
#[test]
fn import_refuses_a_file_above_sixteen_mib() {
    let folio = Folio::blank();
    let path = folio.path("huge.xml");
    let file = std::fs::File::create(&path).unwrap();
    // Sparse: the size is what counts, not the bytes.
    file.set_len(16 * 1024 * 1024 + 1).unwrap();
    let out = folio.refuses(
        &w(&format!("bank import {} --account 512000", path.display())),
        &["huge.xml", "larger than 16 MiB"],
    );
    assert!(!out.contains("panicked"), "{out}");
    assert!(lines_csv(&folio, "").is_empty());
    // At the cap, a file is read (and here refused for what it holds, not its size).
    file.set_len(16 * 1024 * 1024).unwrap();
    let out = folio.refuses(
        &w(&format!("bank import {} --account 512000", path.display())),
        &["huge.xml"],
    );
    assert!(!out.contains("16 MiB"), "{out}");
}
