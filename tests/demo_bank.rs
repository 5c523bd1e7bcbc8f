//! The demo's bank statements: January to November for both bank accounts (CFONB 120 for
//! 512000, CAMT.053 for 512100), each balancing and following the one before, January to
//! October reconciled with the book lines they were made from, November left to reconcile
//! with a fee, a customer transfer paying two invoices, a SEPA collection of two debits and an
//! unknown transfer; the état de rapprochement at the end of October explains the difference
//! to the cent.

// Test helpers outside #[test] functions may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Datelike, NaiveDate};
use common::{Folio, csv_records, w};
use folio::ledger::{BankLineFilter, BankLineStatus, Ctx, StatementInfo};
use folio::model::{AccountNumber, Amount};

fn ctx() -> Ctx {
    let now = NaiveDate::from_ymd_opt(2026, 11, 25)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap();
    Ctx::fixed("demo", now)
}

fn account(n: &str) -> AccountNumber {
    AccountNumber::parse(n).unwrap()
}

#[test]
fn the_demo_has_statements_from_january_to_november_reconciled_to_october() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = folio::demo::build_demo(&dir.path().join("demo.ledger"), &ctx()).unwrap();
    for (number, format) in [("512000", "cfonb120"), ("512100", "camt053")] {
        let statements: Vec<StatementInfo> = ledger.statements(Some(&account(number))).unwrap();
        let months: Vec<u32> = statements
            .iter()
            .map(|s| s.record.period.1.month())
            .collect();
        assert_eq!(months, (1..=11).collect::<Vec<_>>(), "{number}");
        let mut previous = Amount::ZERO;
        for info in &statements {
            let record = &info.record;
            assert_eq!(record.format, format, "{number} {}", record.bank_id);
            assert!(record.balances_given, "{}", record.bank_id);
            assert_eq!(record.gap, None, "{}", record.bank_id);
            assert_eq!(record.opening, previous, "{} follows", record.bank_id);
            let lines = ledger
                .bank_lines(&BankLineFilter {
                    statement: Some(record.id),
                    ..BankLineFilter::default()
                })
                .unwrap();
            assert_eq!(lines.len() as u32, record.lines);
            let total = Amount::checked_sum(lines.iter().map(|l| l.amount)).unwrap();
            assert_eq!(record.opening.checked_add(total), Some(record.closing));
            previous = record.closing;
            if record.period.1.month() <= 10 {
                assert_eq!(
                    info.reconciled, record.lines,
                    "{} reconciled",
                    record.bank_id
                );
                for line in &lines {
                    let mark = ledger.reconciliation(line.id).unwrap().unwrap();
                    // Each bank line is the bank's side of the book lines it matches.
                    let book: i64 = mark
                        .book_lines
                        .iter()
                        .map(|at| {
                            let entry = ledger.entry(at.entry).unwrap();
                            entry.lines[at.line as usize].signed().cents()
                        })
                        .sum();
                    assert_eq!(book, line.amount.cents(), "line {}", line.id);
                }
            } else {
                assert_eq!(info.reconciled, 0, "November is left to reconcile");
            }
        }
    }

    // November on 512000: every line has a candidate but four that need a decision.
    let november = ledger
        .statements(Some(&account("512000")))
        .unwrap()
        .last()
        .unwrap()
        .record
        .id;
    let lines = ledger
        .bank_lines(&BankLineFilter {
            statement: Some(november),
            ..BankLineFilter::default()
        })
        .unwrap();
    assert!(
        lines
            .iter()
            .all(|l| l.status == BankLineStatus::Unreconciled)
    );
    let mut fee = 0;
    let mut unknown = 0;
    let mut transfer = 0;
    let mut batch = 0;
    for line in &lines {
        let (_, candidates) = ledger.bank_candidates(line.id).unwrap();
        match candidates.first() {
            None if line.amount.is_negative() => {
                assert!(line.label.contains("COMMISSION"), "{}", line.label);
                fee += 1;
            }
            None => {
                assert!(line.label.contains("BERTIN"), "{}", line.label);
                unknown += 1;
            }
            Some(best) if best.kind == "payment" => {
                // The Hôtel du Grand Cerf pays its two open invoices, named in the text.
                assert!(best.proposal.contains("CGRANDCERF"), "{}", best.proposal);
                let remittance = line.remittance.clone().unwrap();
                assert_eq!(remittance.matches("FA2026-").count(), 2, "{remittance}");
                transfer += 1;
            }
            Some(best) if best.proposal.contains(" + ") || best.proposal.contains(", ") => {
                assert_eq!(best.kind, "book_lines");
                assert!(
                    line.label.starts_with("REMISE PRLV SEPA 2"),
                    "{}",
                    line.label
                );
                batch += 1;
            }
            Some(best) => assert_eq!(best.kind, "book_lines", "{}: {}", line.id, line.label),
        }
    }
    assert_eq!((fee, transfer, batch, unknown), (1, 1, 1, 1));
}

#[test]
fn the_reconciliation_statement_of_october_explains_the_difference_to_the_cent() {
    let folio = Folio::demo().with_today("2026-11-25");
    let out = folio.ok(&w("report bank --account 512000 --at 2026-10-31"));
    assert!(
        out.contains("Difference left unexplained                       0,00"),
        "{out}"
    );
    // The transfers of the last days of October reach the bank in November.
    assert!(
        out.contains("Book lines not on the bank (5, total -9 826,58)"),
        "{out}"
    );
    assert!(
        out.contains("Bank lines not in the books (0, total 0,00)"),
        "{out}"
    );
    let statements = csv_records(&folio.ok(&w("bank statements --format csv")));
    assert_eq!(statements.len(), 22);
    let unreconciled = csv_records(&folio.ok(&w("bank lines --unreconciled --format csv")));
    assert_eq!(
        unreconciled.len(),
        28,
        "27 lines on 512000, 1 on 512100 in November"
    );
}
