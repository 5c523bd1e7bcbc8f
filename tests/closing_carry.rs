//! Closing a year carries the open items of letterable accounts into the opening entry line by
//! line, each with the date, piece and due date of the line it stands for, so that lettering
//! goes on in the new year; settled lines are not carried, and the new year still opens with
//! the closed balance sheet.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "tui_common/mod.rs"]
mod tui_common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::*;
use folio::ledger::Ledger;
use folio::model::AccountNumber;
use redb::ReadableTable;

/// A year of a customer and a supplier on 2026-12-31, before its close:
/// - F1 120 + F2 60 settled by R1 180 (group AA on 411000): not carried;
/// - F3 200 paid 150 by R2 (partial group ab): its remainder 50 is carried under F3;
/// - F4 50 and invoice FA2026-00001 500 (due 2026-10-31, from a document) unpaid;
/// - purchase A1 360 overpaid by P1 400 (partial group aa on 401000): the remainder 40 (a
///   debit) is carried under P1, the oldest line on the debit side.
fn open_books() -> Folio {
    let folio = Folio::blank().with_today("2026-12-31");
    for (date, piece, amount) in [
        ("2026-03-02", "F1", "120"),
        ("2026-03-05", "F2", "60"),
        ("2026-06-01", "F3", "200"),
        ("2026-11-15", "F4", "50"),
    ] {
        folio.ok(&w(&format!(
            "entry add -j VE -d {date} -p {piece} -l 'Facture {piece}' --debit 411@CACME={amount} \
             --credit 706={amount} --validate"
        )));
    }
    folio.ok(&w(
        "doc add --validate --type customer_invoice --party CACME --date 2026-10-01 \
         --line ';Conseil;1;500'",
    ));
    folio.ok(&w("validate --all"));
    for (date, piece, amount) in [("2026-03-20", "R1", "180"), ("2026-06-20", "R2", "150")] {
        folio.ok(&w(&format!(
            "entry add -j BQ -d {date} -p {piece} -l Reglement --credit 411@CACME={amount} \
             --debit 512={amount} --validate"
        )));
    }
    folio.ok(&w(
        "entry add -j AC -d 2026-02-02 -p A1 -l Achat --debit 607=300 --debit 44566=60 \
         --credit 401@FSUP=360 --validate",
    ));
    folio.ok(&w(
        "entry add -j BQ -d 2026-02-28 -p P1 -l 'Paiement fournisseur' --debit 401@FSUP=400 \
         --credit 512=400 --validate",
    ));
    let out = folio.ok(&w(
        "letter add VE2026-000001/1 VE2026-000002/1 BQ2026-000001/2",
    ));
    assert!(out.contains("lettered AA on 411000"), "{out}");
    let out = folio.ok(&w("letter add VE2026-000003/1 BQ2026-000002/2"));
    assert!(out.contains("lettered ab on 411000"), "{out}");
    let out = folio.ok(&w("letter add AC2026-000001/3 BQ2026-000003/1"));
    assert!(out.contains("lettered aa on 401000"), "{out}");
    folio
}

/// `open_books`, closed.
fn closed_books() -> Folio {
    let folio = open_books();
    let out = folio.ok(&["year", "close"]);
    assert!(
        out.contains("closed fiscal year 2026: profit 630,00"),
        "{out}"
    );
    folio
}

/// (account, party, debit, credit, label) of the opening entry's lines, in line order.
fn opening_lines(folio: &Folio, year: &str) -> Vec<[String; 5]> {
    folio
        .journal_rows(&format!("AN --year {year}"))
        .into_iter()
        .map(|r| {
            assert_eq!(r["piece"], format!("AN{year}"), "{r:?}");
            [
                r["account"].clone(),
                r["third_party"].clone(),
                r["debit"].clone(),
                r["credit"].clone(),
                r["label"].clone(),
            ]
        })
        .collect()
}

/// The line number (from 1) of the opening entry's line with LABEL.
fn line_of(folio: &Folio, year: &str, label: &str) -> usize {
    opening_lines(folio, year)
        .iter()
        .position(|l| l[4] == label)
        .unwrap_or_else(|| panic!("no opening line `{label}`"))
        + 1
}

fn fec_lines(folio: &Folio, year: &str) -> Vec<Vec<String>> {
    folio.ok(&w(&format!("export fec --year {year} --force")));
    let text = std::fs::read_to_string(folio.path(&format!("{SIREN}FEC{year}1231.txt"))).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

#[test]
fn open_items_are_carried_line_by_line_with_their_origin() {
    let folio = closed_books();
    let lines = opening_lines(&folio, "2027");
    let third_party: Vec<[&str; 5]> = lines
        .iter()
        .filter(|l| !l[1].is_empty())
        .map(|l| [&*l[0], &*l[1], &*l[2], &*l[3], &*l[4]])
        .collect();
    assert_eq!(
        third_party,
        vec![
            ["401000", "FSUP", "40.00", "0.00", "Paiement fournisseur"],
            ["411000", "CACME", "50.00", "0.00", "Facture F3"],
            [
                "411000",
                "CACME",
                "500.00",
                "0.00",
                "Facture FA2026-00001 Acme"
            ],
            ["411000", "CACME", "50.00", "0.00", "Facture F4"],
        ],
        "{lines:?}"
    );
    // Balance-sheet accounts that are not letterable still open with one line each.
    assert_eq!(lines.len(), 7, "{lines:?}");
    assert!(lines.iter().any(|l| l[0] == "512000" && l[1].is_empty()));
    assert!(lines.iter().any(|l| l[0] == "120000" && l[3] == "630.00"));

    // The ledgers show where each carried line came from.
    let party = csv_records(&folio.ok(&w("report party CACME --year 2027 --format csv")));
    let labels: Vec<&str> = party.iter().map(|r| r["label"].as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "Facture F3 (from F3 VE2026-000003 2026-06-01)",
            "Facture FA2026-00001 Acme (from FA2026-00001 VE2026-000005 2026-10-01)",
            "Facture F4 (from F4 VE2026-000004 2026-11-15)",
        ]
    );
    assert!(party.iter().all(|r| r["piece"] == "AN2027"));
    let ledger = folio.ok(&w("report ledger 401 --year 2027"));
    assert!(
        ledger.contains("Paiement fournisseur (from P1 BQ2026-000003 2026-02-28)"),
        "{ledger}"
    );
    let json = folio.ok(&w("report party CACME --year 2027 --format json"));
    assert!(json.contains("\"due\": \"2026-10-31\""), "{json}");
    assert!(json.contains("\"entry\": \"VE2026-000004\""), "{json}");

    // The closed year keeps its lettering.
    let closed = folio.ok(&w("report party CACME --year 2026 --format csv"));
    assert_eq!(closed.matches(",CACME,AA,").count(), 3, "{closed}");
    assert_eq!(closed.matches(",CACME,ab,").count(), 2, "{closed}");

    // The FEC of the new year: one piece on every line, nothing lettered yet.
    let fec = fec_lines(&folio, "2027");
    assert_eq!(fec.len(), 7);
    assert!(
        fec.iter()
            .all(|l| l[8] == "AN2027" && l[13].is_empty() && l[14].is_empty())
    );
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn the_new_year_opens_with_the_closed_balance_sheet() {
    let folio = closed_books();
    let closed = folio.balances("--year 2026");
    let mut expected: BTreeMap<String, String> = closed
        .into_iter()
        .filter(|(account, balance)| {
            ('1'..='5').contains(&account.chars().next().unwrap()) && balance != "0.00"
        })
        .collect();
    expected.insert("120000".into(), "-630.00".into());
    let mut opening = folio.balances("--year 2027");
    opening.retain(|_, balance| balance != "0.00");
    assert_eq!(opening, expected);
    // Per third party too.
    let party_total = |code: &str, year: &str| {
        csv_records(&folio.ok(&w(&format!(
            "report party {code} --year {year} --format csv"
        ))))
        .last()
        .map(|r| r["balance"].clone())
    };
    assert_eq!(party_total("CACME", "2027").as_deref(), Some("600.00"));
    assert_eq!(party_total("FSUP", "2027").as_deref(), Some("40.00"));
    let check = folio.ok(&["check"]);
    assert!(
        check.starts_with("check ok") && check.contains("0 findings"),
        "{check}"
    );
}

#[test]
fn lettering_goes_on_with_the_carried_lines() {
    let mut folio = closed_books();
    folio.set_today("2027-02-10");
    folio.ok(&w(
        "entry add -j BQ -d 2027-02-10 -p R4 -l Reglement --credit 411@CACME=50 --debit 512=50 \
         --validate",
    ));
    let f4 = line_of(&folio, "2027", "Facture F4");
    let out = folio.ok(&w(&format!(
        "letter add AN2027-000001/{f4} BQ2027-000001/2"
    )));
    assert!(out.contains("lettered AC on 411000"), "{out}");
    let fec = fec_lines(&folio, "2027");
    let lettered: Vec<(&str, &str)> = fec
        .iter()
        .filter(|l| !l[13].is_empty())
        .map(|l| (l[2].as_str(), l[14].as_str()))
        .collect();
    assert_eq!(
        lettered,
        vec![("AN2027-000001", "20270210"), ("BQ2027-000001", "20270210")]
    );
    assert!(
        fec.iter()
            .filter(|l| !l[13].is_empty())
            .all(|l| l[13] == "AC")
    );

    // The open items of the new year are the carried lines still open, not the closed
    // year's lines; each knows where it came from.
    let ledger = Ledger::open(&folio.ledger).unwrap();
    let customers = AccountNumber::parse("411000").unwrap();
    let items = ledger.open_items(&customers, "CACME").unwrap();
    let seen: Vec<(String, NaiveDate, String, Option<NaiveDate>)> = items
        .iter()
        .map(|i| {
            let origin = i.origin.as_ref().expect("carried line");
            assert_eq!(i.due, origin.due);
            (i.entry.clone(), origin.date, origin.piece.clone(), i.due)
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("AN2027-000001".into(), day("2026-06-01"), "F3".into(), None),
            (
                "AN2027-000001".into(),
                day("2026-10-01"),
                "FA2026-00001".into(),
                Some(day("2026-10-31"))
            ),
        ]
    );
    let parties = ledger.open_item_parties(None).unwrap();
    let summary: Vec<(&str, &str, usize, String, NaiveDate)> = parties
        .iter()
        .map(|p| {
            (
                p.account.as_str(),
                p.party.as_str(),
                p.count,
                p.balance.to_plain(),
                p.oldest,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("401000", "FSUP", 1, "40.00".into(), day("2026-02-28")),
            ("411000", "CACME", 2, "550.00".into(), day("2026-06-01")),
        ]
    );
    drop(ledger);
    assert!(folio.ok(&["check"]).starts_with("check ok"));

    // Closing the new year carries what is still open under its first origin; the group
    // lettered in 2027 is settled and not carried.
    folio.set_today("2027-12-31");
    folio.ok(&["year", "close", "2027"]);
    let party = csv_records(&folio.ok(&w("report party CACME --year 2028 --format csv")));
    let labels: Vec<&str> = party.iter().map(|r| r["label"].as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "Facture F3 (from F3 VE2026-000003 2026-06-01)",
            "Facture FA2026-00001 Acme (from FA2026-00001 VE2026-000005 2026-10-01)",
        ]
    );
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn a_group_reaching_into_the_next_year_goes_on_with_its_carried_line() {
    let mut folio = Folio::blank().with_today("2026-12-31");
    folio.ok(&w(
        "entry add -j VE -d 2026-12-10 -p F5 -l 'Facture F5' --debit 411@CACME=100 \
         --credit 706=100 --validate",
    ));
    folio.ok(&w(
        "entry add -j VE -d 2026-12-15 -p F6 -l 'Facture F6' --debit 411@CACME=300 \
         --credit 706=300 --validate",
    ));
    folio.ok(&["year", "open"]);
    folio.set_today("2027-01-10");
    folio.ok(&w(
        "entry add -j BQ -d 2027-01-05 -p R5 -l Reglement --credit 411@CACME=100 \
         --debit 512=100 --validate",
    ));
    folio.ok(&w(
        "entry add -j BQ -d 2027-01-06 -p R6 -l Reglement --credit 411@CACME=120 \
         --debit 512=120 --validate",
    ));
    // Lettered across the two open years, before 2026 is closed.
    folio.ok(&w("letter add VE2026-000001/1 BQ2027-000001/2"));
    folio.ok(&w("letter add VE2026-000002/1 BQ2027-000002/2"));
    folio.ok(&["year", "close", "2026"]);

    let f5 = line_of(&folio, "2027", "Facture F5");
    let f6 = line_of(&folio, "2027", "Facture F6");
    let list = folio.ok(&w("letter list --format csv"));
    assert!(
        list.contains(&format!(
            "411000,AA,CACME,2027-01-10,alice,100.00,100.00,0.00,BQ2027-000001/2 AN2027-000001/{f5}"
        )),
        "{list}"
    );
    assert!(
        list.contains(&format!(
            "411000,ab,CACME,2027-01-10,alice,300.00,120.00,180.00,BQ2027-000002/2 AN2027-000001/{f6}"
        )),
        "{list}"
    );
    let party = folio.ok(&w("report party CACME --year 2027 --format csv"));
    assert_eq!(party.matches(",CACME,AA,").count(), 2, "{party}");
    assert_eq!(party.matches(",CACME,ab,").count(), 2, "{party}");
    assert!(party.contains("Facture F5 (from F5 VE2026-000001 2026-12-10)"));
    // The closed year's lines keep their marks, in the ledger and in the stored FEC.
    let closed = folio.ok(&w("report party CACME --year 2026 --format csv"));
    assert_eq!(closed.matches(",CACME,AA,").count(), 1, "{closed}");
    assert_eq!(closed.matches(",CACME,ab,").count(), 1, "{closed}");
    let log = folio.ok(&w("log account:411000"));
    assert!(
        log.contains("year.close")
            && log.contains("(2 open items carried)")
            && log.contains(
                "letter groups going on with their carried line: AA on 411000, ab on 411000"
            ),
        "{log}"
    );
    let fec_2026 = fec_lines(&folio, "2026");
    assert_eq!(fec_2026.iter().filter(|l| l[13] == "AA").count(), 1);
    assert!(folio.ok(&["check"]).starts_with("check ok"));

    // The group lives in the open year now: it can be completed and unlettered there.
    folio.ok(&w(
        "entry add -j BQ -d 2027-01-08 -p R7 -l Reglement --credit 411@CACME=180 \
         --debit 512=180 --validate",
    ));
    let out = folio.ok(&w(&format!(
        "letter add BQ2027-000003/2 AN2027-000001/{f6}"
    )));
    assert!(out.contains("lettered AB on 411000"), "{out}");
    let out = folio.ok(&w("letter remove 411000 AA"));
    assert!(out.contains("unlettered AA"), "{out}");
    let ledger = Ledger::open(&folio.ledger).unwrap();
    let items = ledger
        .open_items(&AccountNumber::parse("411000").unwrap(), "CACME")
        .unwrap();
    let open: Vec<&str> = items.iter().map(|i| i.entry.as_str()).collect();
    assert_eq!(open, vec!["AN2027-000001", "BQ2027-000001"]);
    drop(ledger);
    let closed = folio.ok(&w("report party CACME --year 2026 --format csv"));
    assert_eq!(closed.matches(",CACME,AA,").count(), 1, "{closed}");
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn check_detects_an_origin_on_a_line_that_was_not_carried() {
    let folio = closed_books();
    let id = Ledger::open(&folio.ledger)
        .unwrap()
        .find_entry("AN2027-000001")
        .unwrap()
        .id;
    {
        let db = redb::Database::open(&folio.ledger).expect("open");
        let txn = db.begin_write().expect("begin_write");
        {
            let origins: redb::TableDefinition<(u64, u32), &[u8]> =
                redb::TableDefinition::new("carried_origins");
            let mut table = txn.open_table(origins).expect("origins");
            let value = table
                .get((id, 1u32))
                .expect("get")
                .expect("origin of a carried line")
                .value()
                .to_vec();
            // An origin on a sales entry's line, and one on a line the opening entry lacks.
            table
                .insert((1u64, 0u32), value.as_slice())
                .expect("insert");
            table.insert((id, 99u32), value.as_slice()).expect("insert");
        }
        txn.commit().expect("commit");
    }
    let out = folio.run(&w("check"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(
            "origin of entry #1 line 1: entry VE2026-000001 is not a validated opening entry"
        ),
        "{text}"
    );
    assert!(
        text.contains("line 100: entry AN2027-000001 has no such line"),
        "{text}"
    );
}

#[test]
fn the_party_ledger_screen_shows_where_carried_lines_came_from() {
    let folio = closed_books();
    let ledger = std::sync::Arc::new(Ledger::open(&folio.ledger).unwrap());
    let now = day("2027-02-01").and_hms_opt(10, 0, 0).unwrap();
    let ctx = folio::ledger::Ctx::fixed("demo", now);
    let mut app = folio::tui::App::new(ledger, ctx, folio::tui::Keymap::embedded()).expect("app");
    tui_common::press(&mut app, "5 enter");
    let screen = tui_common::render(&app, 80, 24);
    assert!(screen.contains("from F3 01/06/26 · Fact"), "{screen}");
    assert!(screen.contains("from F4 15/11/26 · Fact"), "{screen}");
    // Nothing of the closed year is counted again before the opening entry.
    assert!(
        screen.contains("Brought forward 0,00 · closing balance 600,00 D"),
        "{screen}"
    );
    // The original entry's number finds the carried line.
    tui_common::press(&mut app, "/ 0 0 0 0 0 4 enter");
    let screen = tui_common::render(&app, 80, 24);
    assert!(screen.contains("from F4 15/11/26"), "{screen}");
    assert!(!screen.contains("from F3 01/06/26"), "{screen}");
}

#[test]
fn a_close_that_would_carry_more_lines_than_an_entry_holds_is_refused() {
    let folio = Folio::blank().with_today("2026-12-31");
    let mut csv = String::from("journal,date,piece,label,account,third_party,debit,credit\n");
    for i in 0..10_000 {
        csv.push_str(&format!(
            "VE,2026-06-01,F{i},Facture,411,CACME,1.00,\nVE,2026-06-01,F{i},Facture,706,,,1.00\n"
        ));
    }
    let file = folio.write("many.csv", csv);
    folio.ok(&["import", "entries", "--validate", &file]);
    folio.refuses(
        &["year", "close"],
        &[
            "the opening entry would have 10001 lines",
            "letter the settled items first",
        ],
    );
    // One more open item: closing stops counting as soon as they cannot fit.
    folio.ok(&w(
        "entry add -j VE -d 2026-06-02 -p G1 -l Facture --debit 411@CACME=1 --credit 706=1 \
         --validate",
    ));
    folio.refuses(
        &["year", "close"],
        &["the opening entry would have more than 10000 lines"],
    );
}

#[test]
fn the_closing_screen_says_how_many_open_items_it_carries() {
    let folio = open_books();
    let ledger = std::sync::Arc::new(Ledger::open(&folio.ledger).unwrap());
    let now = day("2026-12-31").and_hms_opt(10, 0, 0).unwrap();
    let ctx = folio::ledger::Ctx::fixed("demo", now);
    let keymap = folio::tui::Keymap::embedded();
    let mut d = tui_common::Driver::new(&ledger, &keymap);
    d.app = folio::tui::App::new(ledger, ctx, keymap.clone()).expect("app");
    d.act(
        folio::tui::action::Context::Home,
        folio::tui::action::Action::CloseYear,
    );
    let screen = tui_common::render(&d.app, 100, 30);
    assert!(
        screen.contains(
            "Opening entry AN2027-000001 in AN on 01/01/2027: 7 lines, 4 open items carried one by one"
        ),
        "{screen}"
    );
}
