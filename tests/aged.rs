//! The aged balance through the `folio` binary: buckets at their boundaries, both sides and
//! every format, partial groups settling their oldest invoice first, lettering done after the
//! date not hiding an item, refusals; and `report party --open`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

const HEADER: &str = "party,name,not_due,days_1_30,days_31_60,days_61_90,days_over_90,total";

/// Adds a validated document (its entry is validated too); payment terms are 30 days.
fn doc(folio: &Folio, args: &str) {
    folio.ok(&w(&format!("doc add --validate {args}")));
    folio.ok(&w("validate --all"));
}

/// The number of the validated entry of a piece.
fn number_of(folio: &Folio, piece: &str) -> String {
    journal_records(&folio.ok(&w("report journal --format csv")))
        .into_iter()
        .find(|r| r["piece"] == piece)
        .unwrap_or_else(|| panic!("no entry with piece {piece}"))["number"]
        .clone()
}

/// The line (from 1) of an entry on a third-party account.
fn party_line(folio: &Folio, number: &str) -> String {
    let shown = folio.ok(&["entry", "show", number, "--format", "csv"]);
    let row = csv_records(&shown)
        .into_iter()
        .find(|r| !r["third_party"].is_empty())
        .unwrap();
    format!("{number}/{}", row["line"])
}

fn aged(folio: &Folio, args: &str) -> String {
    folio.ok(&w(&format!("report aged {args}")))
}

/// Customer invoices whose due dates fall 0, 1, 30, 31, 60, 61, 90 and 91 days before June
/// 30th: 120.00, 240.00, … 960.00 with tax.
fn boundary_books() -> Folio {
    let folio = Folio::blank();
    let at = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    for (i, days) in [0i64, 1, 30, 31, 60, 61, 90, 91].into_iter().enumerate() {
        // Due 30 days after the invoice's date.
        let date = at - chrono::Duration::days(days + 30);
        let price = 100 * (i + 1);
        doc(
            &folio,
            &format!(
                "--type customer_invoice --party CACME --date {date} \
                 --line ';Conseil;1;{price};;V20'"
            ),
        );
    }
    folio
}

#[test]
fn customer_invoices_age_into_their_buckets_at_every_boundary() {
    let folio = boundary_books();
    let csv = aged(&folio, "--customers --at 2026-06-30 --format csv");
    // 0 days: 120; 1 and 30: 240 + 360; 31 and 60: 480 + 600; 61 and 90: 720 + 840; 91: 960.
    assert_eq!(
        csv,
        format!("{HEADER}\nCACME,Acme,120.00,600.00,1080.00,1560.00,960.00,4320.00\n")
    );
    // The same books a day later: everything moves one day on.
    let later = aged(&folio, "--customers --at 2026-07-01 --format csv");
    assert!(
        later.contains("CACME,Acme,0.00,360.00,840.00,1320.00,1800.00,4320.00"),
        "{later}"
    );
    // Before the first invoice's date nothing is open; suppliers have nothing either.
    assert_eq!(
        aged(&folio, "--customers --at 2026-01-01 --format csv"),
        format!("{HEADER}\n")
    );
    assert_eq!(
        aged(&folio, "--suppliers --at 2026-06-30 --format csv"),
        format!("{HEADER}\n")
    );
}

#[test]
fn the_table_has_a_total_row_and_json_the_lines_of_each_cell() {
    let folio = boundary_books();
    let table = aged(&folio, "--customers --at 2026-06-30");
    assert!(
        table.contains("Aged balance of customers at 2026-06-30 (debit positive)"),
        "{table}"
    );
    let total = table.lines().find(|l| l.contains("TOTAL")).unwrap();
    assert!(
        total.contains("1 560,00") && total.contains("4 320,00"),
        "{total}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&aged(&folio, "--customers --at 2026-06-30 --format json")).unwrap();
    assert_eq!(json["side"], "customers");
    assert_eq!(json["total"]["days_over_90"], "960.00");
    let lines = json["parties"][0]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 8);
    assert_eq!(lines[0]["bucket"], "days_over_90");
    assert_eq!(lines[0]["days"], 91);
    assert_eq!(lines[7]["bucket"], "not_due");
}

#[test]
fn today_is_the_default_date() {
    let folio = boundary_books().with_today("2026-06-30");
    assert_eq!(
        aged(&folio, "--customers --format csv"),
        aged(&folio, "--customers --at 2026-06-30 --format csv")
    );
}

#[test]
fn suppliers_read_what_is_owed_to_them_as_positive() {
    let folio = Folio::blank();
    doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-02 --line ';Achat;1;100;;D20'",
    );
    // An unlettered payment of 50.00, dated May 2nd (no due date: it ages from its date).
    folio.ok(&w(
        "entry add -j BQ -d 2026-05-02 -p P1 -l Paiement --debit 401@FSUP=50 --credit 512=50 \
         --validate",
    ));
    let csv = aged(&folio, "--suppliers --at 2026-06-30 --format csv");
    // Invoice due April 1st: 90 days late at June 30th. Payment: 59 days.
    assert_eq!(
        csv,
        format!("{HEADER}\nFSUP,Fournisseur SA,0.00,0.00,-50.00,120.00,0.00,70.00\n")
    );
    assert_eq!(
        aged(&folio, "--customers --at 2026-06-30 --format csv"),
        format!("{HEADER}\n")
    );
    let table = aged(&folio, "--suppliers --at 2026-06-30");
    assert!(table.contains("(credit positive)"), "{table}");
}

/// F1 1200.00 (due April 1st), F2 120.00 (due April 2nd), a payment of 600.00 on March 20th
/// lettered with F1 (partial group `aa`).
fn partly_paid() -> (Folio, String) {
    let folio = Folio::blank();
    doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20'",
    );
    doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-03 --line ';Conseil;1;100;;V20'",
    );
    folio.ok(&w(
        "entry add -j BQ -d 2026-03-20 -p R1 -l Reglement --credit 411@CACME=600 --debit 512=600 \
         --validate",
    ));
    let f1 = party_line(&folio, &number_of(&folio, "FA2026-00001"));
    let r1 = party_line(&folio, &number_of(&folio, "R1"));
    let out = folio.ok(&["letter", "add", &f1, &r1]);
    assert!(out.contains("lettered aa"), "{out}");
    (folio, f1)
}

#[test]
fn a_partial_group_leaves_its_rest_where_the_invoice_falls_due() {
    let (folio, _) = partly_paid();
    let csv = aged(&folio, "--customers --at 2026-04-30 --format csv");
    // F1: 1200 − 600 = 600 at 29 days; F2: 120 at 28 days; the payment counts for nothing.
    assert_eq!(
        csv,
        format!("{HEADER}\nCACME,Acme,0.00,720.00,0.00,0.00,0.00,720.00\n")
    );
    // Before the payment's date, the payment is not there yet: F1 is open in full.
    let before = aged(&folio, "--customers --at 2026-03-10 --format csv");
    assert!(
        before.contains("CACME,Acme,1320.00,0.00,0.00,0.00,0.00,1320.00"),
        "{before}"
    );
}

/// Was the risk: lettering is dated the day it is done, so a group completed in November must
/// not hide, in an aged balance at April 30th, the invoice that was still open then.
#[test]
fn lettering_done_after_the_date_does_not_hide_an_item() {
    let (folio, f1) = partly_paid();
    folio.ok(&w(
        "entry add -j BQ -d 2026-05-10 -p R2 -l Reglement --credit 411@CACME=600 --debit 512=600 \
         --validate",
    ));
    let r2 = party_line(&folio, &number_of(&folio, "R2"));
    let out = folio.ok(&["letter", "add", &f1, &r2]);
    assert!(out.contains("lettered AA"), "{out}");
    assert_eq!(
        aged(&folio, "--customers --at 2026-04-30 --format csv"),
        format!("{HEADER}\nCACME,Acme,0.00,720.00,0.00,0.00,0.00,720.00\n")
    );
    // Today the group is complete: only F2 is left, 237 days late.
    assert_eq!(
        aged(&folio, "--customers --format csv"),
        format!("{HEADER}\nCACME,Acme,0.00,0.00,0.00,0.00,120.00,120.00\n")
    );
}

#[test]
fn report_party_open_lists_open_items_with_their_letter_code() {
    let (folio, _) = partly_paid();
    folio.ok(&w(
        "entry add -j VE -d 2026-04-10 -p F9 -l Facture --debit 411@CACME=30 --credit 706=30 \
         --validate",
    ));
    folio.ok(&w(
        "entry add -j BQ -d 2026-04-11 -p R9 -l Reglement --credit 411@CACME=30 --debit 512=30 \
         --validate",
    ));
    let f9 = party_line(&folio, &number_of(&folio, "F9"));
    let r9 = party_line(&folio, &number_of(&folio, "R9"));
    folio.ok(&["letter", "add", &f9, &r9]);
    // The full ledger shows every line with its code; --open keeps the open ones.
    let all = csv_records(&folio.ok(&w("report party CACME --format csv")));
    assert_eq!(all.len(), 5);
    let letters: Vec<&str> = all.iter().map(|r| r["letter"].as_str()).collect();
    assert_eq!(letters, vec!["aa", "", "aa", "AB", "AB"]);
    let open = csv_records(&folio.ok(&w("report party CACME --open --format csv")));
    let pieces: Vec<(&str, &str, &str)> = open
        .iter()
        .map(|r| {
            (
                r["piece"].as_str(),
                r["letter"].as_str(),
                r["balance"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        pieces,
        vec![
            ("FA2026-00001", "aa", "1200.00"),
            ("FA2026-00002", "", "1320.00"),
            ("R1", "aa", "720.00"),
        ]
    );
    // The range's end bounds the open items; the table has no balance brought forward.
    let table = folio.ok(&w("report party CACME --open --to 2026-03-10"));
    assert!(!table.contains("Solde à nouveau"), "{table}");
    assert!(
        table.contains("FA2026-00002") && !table.contains("R1"),
        "{table}"
    );
}

#[test]
fn refusals_name_the_flag() {
    let folio = Folio::blank();
    folio.refuses(
        &w("report aged --customers --suppliers"),
        &["--customers", "--suppliers"],
    );
    folio.refuses(&w("report aged"), &["--customers|--suppliers"]);
    folio.refuses(
        &w("report aged --customers --at 2026-02-30"),
        &["at:", "2026-02-30"],
    );
    folio.refuses(
        &w("report aged --suppliers --format xml"),
        &["xml", "--format"],
    );
    folio.refuses(
        &w("report party CACME --open --validated-only"),
        &["--open", "--validated-only"],
    );
}

/// A year closed with three open items of CACME: the remainder 50 of a partial group (F3 200
/// on June 1st less R2 150), invoice FA2026-00001 500 due October 31st, and F4 50 of
/// November 15th (no due date). The opening entry of 2027 carries them line by line.
fn closed_year() -> Folio {
    let folio = Folio::blank().with_today("2026-12-31");
    folio.ok(&w(
        "doc add --validate --type customer_invoice --party CACME --date 2026-10-01 \
         --line ';Conseil;1;500'",
    ));
    folio.ok(&w("validate --all"));
    for (journal, date, piece, side, amount) in [
        ("VE", "2026-11-15", "F4", "debit", "50"),
        ("VE", "2026-06-01", "F3", "debit", "200"),
        ("BQ", "2026-06-20", "R2", "credit", "150"),
    ] {
        let other = if side == "debit" {
            format!("--credit 706={amount}")
        } else {
            format!("--debit 512={amount}")
        };
        folio.ok(&w(&format!(
            "entry add -j {journal} -d {date} -p {piece} -l Piece --{side} 411@CACME={amount} \
             {other} --validate"
        )));
    }
    let f3 = party_line(&folio, &number_of(&folio, "F3"));
    let r2 = party_line(&folio, &number_of(&folio, "R2"));
    folio.ok(&["letter", "add", &f3, &r2]);
    let before = aged(&folio, "--customers --at 2026-12-31 --format csv");
    assert_eq!(
        before,
        format!("{HEADER}\nCACME,Acme,0.00,0.00,50.00,500.00,50.00,600.00\n")
    );
    folio.ok(&w("year close"));
    folio
}

/// Carried lines stand for the lines they carry: the aged balance at the closed year's end
/// is the one before closing, and in the new year they age from their original dates.
#[test]
fn carried_lines_age_from_their_origin() {
    let folio = closed_year();
    assert_eq!(
        aged(&folio, "--customers --at 2026-12-31 --format csv"),
        format!("{HEADER}\nCACME,Acme,0.00,0.00,50.00,500.00,50.00,600.00\n")
    );
    // January 31st: the invoice is 92 days late, F4 77 days old, F3's rest 244 days old.
    assert_eq!(
        aged(&folio, "--customers --at 2027-01-31 --format csv"),
        format!("{HEADER}\nCACME,Acme,0.00,0.00,0.00,50.00,550.00,600.00\n")
    );
    let json: serde_json::Value =
        serde_json::from_str(&aged(&folio, "--customers --at 2027-01-31 --format json")).unwrap();
    let lines = json["parties"][0]["lines"].as_array().unwrap();
    assert!(
        lines.iter().all(|l| l["entry"] == "AN2027-000001"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["label"].as_str().unwrap().contains("from FA2026-00001")),
        "{lines:?}"
    );

    // Paid and lettered in the new year: gone from January 31st, still open at December 31st.
    let mut later = folio;
    later.set_today("2027-02-15");
    later.ok(&w(
        "entry add -j BQ -d 2027-01-10 -p R9 -l Reglement --credit 411@CACME=500 \
         --debit 512=500 --validate",
    ));
    let carried = csv_records(&later.ok(&w("entry show AN2027-000001 --format csv")))
        .into_iter()
        .find(|r| r["debit"] == "500.00")
        .unwrap()["line"]
        .clone();
    let r9 = party_line(&later, &number_of(&later, "R9"));
    let out = later.ok(&["letter", "add", &format!("AN2027-000001/{carried}"), &r9]);
    assert!(out.contains("remainder 0.00"), "{out}");
    assert_eq!(
        aged(&later, "--customers --at 2027-01-31 --format csv"),
        format!("{HEADER}\nCACME,Acme,0.00,0.00,0.00,50.00,50.00,100.00\n")
    );
    assert_eq!(
        aged(&later, "--customers --at 2026-12-31 --format csv"),
        format!("{HEADER}\nCACME,Acme,0.00,0.00,50.00,500.00,50.00,600.00\n")
    );
}
