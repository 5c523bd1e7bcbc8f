//! The reconciliation session, driven by the keys of each keymap preset: accepting the best
//! candidate or another one, walking through the unreconciled lines, suspense and undo, a rule
//! made from a line, the état de rapprochement, other users' reconciliations showing up with
//! the cursor in place, snapshots at 80x24 and 120x40, and the key count of a 50-line
//! statement where 40 lines match automatically. The demo's books are used without the demo's
//! own statements: each test imports the statement it works on.

// Test helpers outside #[test] functions may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use std::sync::Arc;

use chrono::NaiveDate;
use common::{Driver, demo_books_ledger, demo_ctx, presets, render};
use folio::formats::bank::{AccountId, Statement, StatementLine};
use folio::ledger::{BankLineFilter, BankLineId, BankLineStatus, StatementImport};
use folio::ledger::{Ctx, Ledger, Selection};
use folio::lettering::LineRef;
use folio::model::{AccountNumber, Amount, EntryInput, Line};
use folio::tui::action::{Action, Context};
use folio::tui::keymap::Key;
use folio::tui::route::Route;
use folio::tui::{App, Keymap};

fn account(n: &str) -> AccountNumber {
    AccountNumber::parse(n).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// A validated bank entry of `cents` on 512000 (positive: money in), against 706000 or 606000.
fn book(ledger: &Ledger, date: NaiveDate, piece: &str, cents: i64) -> LineRef {
    let amount = Amount::from_cents(cents.abs());
    let (label, lines) = if cents > 0 {
        (
            format!("Encaissement {piece}"),
            vec![
                Line::debit(account("512000"), amount),
                Line::credit(account("706000"), amount),
            ],
        )
    } else {
        (
            format!("Paiement {piece}"),
            vec![
                Line::debit(account("606000"), amount),
                Line::credit(account("512000"), amount),
            ],
        )
    };
    let input = EntryInput {
        journal: "BQ".into(),
        date,
        piece: piece.into(),
        label,
        lines,
    };
    let entry = ledger.add_entry(&demo_ctx(), &input).unwrap();
    ledger
        .validate(&demo_ctx(), &Selection::Entries(vec![entry.id]))
        .unwrap();
    LineRef {
        entry: entry.id,
        line: if cents > 0 { 0 } else { 1 },
    }
}

fn bank_line(date: NaiveDate, cents: i64, label: &str) -> StatementLine {
    StatementLine {
        booking_date: date,
        value_date: Some(date),
        amount: Amount::from_cents(cents),
        label: label.into(),
        reference: None,
        counterparty_name: None,
        counterparty_iban: None,
        end_to_end_id: None,
        remittance: None,
        source_line: 1,
    }
}

/// Imports one statement of November 2026 on 512000 with these lines; returns its id.
fn import(ledger: &Ledger, lines: Vec<StatementLine>) -> u64 {
    let total: i64 = lines.iter().map(|l| l.amount.cents()).sum();
    let opening = Amount::from_cents(1_000_000);
    let statement = Statement {
        account: AccountId {
            iban: None,
            rib: None,
            number: Some("00012345678".into()),
        },
        id: "2026-11".into(),
        period: (day(1), day(30)),
        currency: "EUR".into(),
        opening: Some(opening),
        closing: Some(Amount::from_cents(1_000_000 + total)),
        lines,
        source_line: 1,
    };
    let summary = ledger
        .import_statements(
            &demo_ctx(),
            &StatementImport {
                file: "novembre.txt".into(),
                format: "cfonb120".into(),
                statements: vec![statement],
                account: Some(account("512000")),
                allow_gap: true,
            },
        )
        .unwrap();
    summary.statements[0].id.unwrap()
}

/// A statement of six lines: two that match a book line exactly (unique amount, same day),
/// two of the same amount with two book lines of that amount (ambiguous), a bank fee and an
/// unknown transfer. Returns the statement and the book lines.
fn small_case(ledger: &Ledger) -> (u64, Vec<LineRef>) {
    let books = vec![
        book(ledger, day(3), "RC1", 123_457),
        book(ledger, day(5), "RC2", -45_611),
        book(ledger, day(10), "CHQ1", 25_013),
        book(ledger, day(16), "CHQ2", 25_013),
    ];
    let id = import(
        ledger,
        vec![
            bank_line(day(3), 123_457, "VIR SEPA ACME RC1"),
            bank_line(day(5), -45_611, "PRLV FOURNISSEUR RC2"),
            bank_line(day(11), 25_013, "REMISE CHEQUE 0001"),
            bank_line(day(16), 25_013, "REMISE CHEQUE 0002"),
            bank_line(day(20), -790, "FRAIS TENUE DE COMPTE"),
            bank_line(day(22), 9_999, "VIR INCONNU XYZ"),
        ],
    );
    (id, books)
}

fn status(ledger: &Ledger, statement: u64, line: u32) -> BankLineStatus {
    ledger
        .bank_line(BankLineId { statement, line })
        .unwrap()
        .status
}

fn open_session(d: &mut Driver) {
    d.global(Action::GoBank);
    assert!(
        d.app.title().starts_with("Reconciliation 512000"),
        "{}",
        d.app.title()
    );
}

/// The record under the cursor: `bank:S/L`.
fn at_line(app: &App, statement: u64, line: u32) {
    assert_eq!(app.record(), Some(format!("bank:{statement}/{line}")));
}

#[test]
fn enter_accepts_the_best_candidate_and_the_cursor_goes_to_the_next_unreconciled_line() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_books_ledger(dir.path());
        let (id, books) = small_case(&ledger);
        let mut d = Driver::new(&ledger, &keymap);
        open_session(&mut d);
        at_line(&d.app, id, 1);
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("0 / 6 lines reconciled"),
            "{name}:\n{screen}"
        );
        d.act(Context::Bank, Action::Accept);
        assert!(
            d.message()
                .starts_with(&format!("reconciled line {id}/1 with BQ")),
            "{name}: {}",
            d.message()
        );
        assert_eq!(status(&ledger, id, 1), BankLineStatus::Reconciled);
        assert_eq!(
            ledger
                .reconciliation(BankLineId {
                    statement: id,
                    line: 1
                })
                .unwrap()
                .unwrap()
                .book_lines,
            vec![books[0]]
        );
        at_line(&d.app, id, 2);
        d.act(Context::Bank, Action::Accept);
        at_line(&d.app, id, 3);
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("2 / 6 lines reconciled"),
            "{name}:\n{screen}"
        );
        // Line 3 (11/11) has two cheques of its amount: the closer one first; 2 picks the
        // other (16/11), which leaves the first for line 4.
        d.act(Context::Bank, Action::Pick(2));
        assert_eq!(
            ledger
                .reconciliation(BankLineId {
                    statement: id,
                    line: 3
                })
                .unwrap()
                .unwrap()
                .book_lines,
            vec![books[3]],
            "{name}"
        );
        at_line(&d.app, id, 4);
        d.act(Context::Bank, Action::Accept);
        assert_eq!(
            ledger
                .reconciliation(BankLineId {
                    statement: id,
                    line: 4
                })
                .unwrap()
                .unwrap()
                .book_lines,
            vec![books[2]],
            "{name}"
        );
        at_line(&d.app, id, 5);
    }
}

#[test]
fn brackets_walk_the_unreconciled_lines_suspense_and_undo() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_books_ledger(dir.path());
        let (id, _) = small_case(&ledger);
        let mut d = Driver::new(&ledger, &keymap);
        open_session(&mut d);
        d.act(Context::Bank, Action::NextOpen);
        at_line(&d.app, id, 2);
        d.act(Context::Bank, Action::NextOpen);
        d.act(Context::Bank, Action::NextOpen);
        d.act(Context::Bank, Action::NextOpen);
        d.act(Context::Bank, Action::NextOpen);
        at_line(&d.app, id, 6);
        d.act(Context::Bank, Action::Suspense);
        d.confirm();
        assert!(
            d.message().contains("sent to suspense"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(status(&ledger, id, 6), BankLineStatus::Suspense);
        // The next unreconciled line after the last one is the first.
        at_line(&d.app, id, 1);
        d.act(Context::Bank, Action::PrevOpen);
        at_line(&d.app, id, 5);
        // Reconciled lines come after the others: the suspense line is last.
        d.list(Action::Bottom);
        at_line(&d.app, id, 6);
        d.act(Context::Bank, Action::Unreconcile);
        d.confirm();
        assert!(
            d.message().contains("unreconciled again"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(status(&ledger, id, 6), BankLineStatus::Unreconciled);
        at_line(&d.app, id, 6);
    }
}

#[test]
fn a_line_is_posted_to_an_account_with_completion() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_books_ledger(dir.path());
        let (id, _) = small_case(&ledger);
        let mut d = Driver::new(&ledger, &keymap);
        open_session(&mut d);
        for _ in 0..4 {
            d.act(Context::Bank, Action::NextOpen);
        }
        at_line(&d.app, id, 5);
        d.act(Context::Bank, Action::PostLine);
        d.text("6270");
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("627000 Services bancaires"),
            "{name}:\n{screen}"
        );
        d.next().next().next();
        assert!(
            d.message()
                .starts_with(&format!("posted line {id}/5 to 627000 by ")),
            "{name}: {}",
            d.message()
        );
        assert_eq!(status(&ledger, id, 5), BankLineStatus::Reconciled);
        at_line(&d.app, id, 6);
    }
}

#[test]
fn a_rule_made_from_a_line_posts_the_statements_lines_like_it() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_books_ledger(dir.path());
        let id = import(
            &ledger,
            vec![
                bank_line(day(2), -790, "FRAIS TENUE DE COMPTE 11/2026"),
                bank_line(day(9), 9_999, "VIR INCONNU"),
                bank_line(day(16), -790, "FRAIS TENUE DE COMPTE 11/2026"),
                bank_line(day(30), -790, "FRAIS TENUE DE COMPTE 12/2026"),
            ],
        );
        let mut d = Driver::new(&ledger, &keymap);
        open_session(&mut d);
        d.act(Context::Bank, Action::MakeRule);
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("FRAIS TENUE DE COMPTE"),
            "{name}:\n{screen}"
        );
        assert!(screen.contains("7,90"), "{name}:\n{screen}");
        d.text("627000");
        d.next().next();
        assert_eq!(
            d.message(),
            "rule «FRAIS TENUE DE COMPTE» added: posted 3 lines of the statement to 627000",
            "{name}"
        );
        for line in [1, 3, 4] {
            assert_eq!(
                status(&ledger, id, line),
                BankLineStatus::Reconciled,
                "{name}"
            );
        }
        assert_eq!(
            status(&ledger, id, 2),
            BankLineStatus::Unreconciled,
            "{name}"
        );
        at_line(&d.app, id, 2);
        let rules = ledger.settings().unwrap().reconciliation.rules;
        assert_eq!(rules.len(), 1, "{name}");
    }
}

#[test]
fn the_report_view_proves_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_books_ledger(dir.path());
    small_case(&ledger);
    let keymap = Keymap::embedded();
    let mut d = Driver::new(&ledger, &keymap);
    open_session(&mut d);
    d.act(Context::Bank, Action::BankReport);
    let screen = render(&d.app, 80, 24);
    assert!(screen.contains("État de rapprochement"), "{screen}");
    assert!(screen.contains("Balance in the books"), "{screen}");
    assert!(screen.contains("Difference left unexplained"), "{screen}");
    d.global(Action::Back);
    let screen = render(&d.app, 80, 24);
    assert!(!screen.contains("État de rapprochement"), "{screen}");
    assert!(
        d.app.title().starts_with("Reconciliation"),
        "{}",
        d.app.title()
    );
}

#[test]
fn another_users_reconciliation_moves_the_cursor_on_only_when_it_took_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_books_ledger(dir.path());
    let (id, books) = small_case(&ledger);
    let keymap = Keymap::embedded();
    let mut app = common::app(&ledger, &keymap);
    app.open(&Route::Bank {
        account: None,
        statement: Some(id),
    });
    app.key(Key::parse("]").unwrap());
    at_line(&app, id, 2);
    let bob = Ctx::fixed("bob", demo_ctx().now());
    // Another line: the cursor stays.
    ledger
        .reconcile(
            &bob,
            BankLineId {
                statement: id,
                line: 1,
            },
            &[books[0]],
        )
        .unwrap();
    assert!(app.tick());
    at_line(&app, id, 2);
    assert!(render(&app, 80, 24).contains("1 / 6 lines reconciled"));
    // The line under the cursor: the cursor goes to the next unreconciled line.
    ledger
        .reconcile(
            &bob,
            BankLineId {
                statement: id,
                line: 2,
            },
            &[books[1]],
        )
        .unwrap();
    assert!(app.tick());
    at_line(&app, id, 3);
    // Accepting a candidate another user took meanwhile is refused, naming them.
    ledger
        .reconcile(
            &bob,
            BankLineId {
                statement: id,
                line: 4,
            },
            &[books[2]],
        )
        .unwrap();
    app.key(Key::parse("enter").unwrap());
    let message = app.message().unwrap_or_default().to_string();
    assert!(message.contains("bob"), "{message}");
}

#[test]
fn snapshots_at_80x24_and_120x40() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_books_ledger(dir.path());
    let (id, _) = small_case(&ledger);
    let keymap = Keymap::embedded();
    let mut app = common::app(&ledger, &keymap);
    app.open(&Route::Bank {
        account: None,
        statement: Some(id),
    });
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("bank_session_{w}x{h}"), render(&app, w, h));
    }
    app.key(Key::parse("R").unwrap());
    insta::assert_snapshot!("bank_report_80x24", render(&app, 80, 24));
}

/// 50 lines: 40 with one exact book line the same day (they match automatically), two cheques
/// of one amount, three bank fees of one kind, two unknown transfers, three more fees posted
/// by hand... every line ends reconciled in under 60 keys, typed characters counted.
#[test]
fn a_fifty_line_statement_with_forty_automatic_matches_takes_under_sixty_keys() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_books_ledger(dir.path());
        let mut lines = Vec::new();
        for i in 0..40u32 {
            let date = day(1 + i % 28);
            // Odd cents: no book line of the demo has these amounts.
            let cents = 100_003 + i64::from(i) * 1_317;
            let cents = if i.is_multiple_of(3) { -cents } else { cents };
            book(&ledger, date, &format!("A{i}"), cents);
            lines.push(bank_line(date, cents, &format!("VIR SEPA REF A{i}")));
        }
        book(&ledger, day(10), "CHQ1", 25_013);
        book(&ledger, day(16), "CHQ2", 25_013);
        lines.push(bank_line(day(11), 25_013, "REMISE CHEQUE 1"));
        lines.push(bank_line(day(17), 25_013, "REMISE CHEQUE 2"));
        for d in [3, 13, 23] {
            lines.push(bank_line(day(d), -790, "FRAIS TENUE DE COMPTE"));
        }
        lines.push(bank_line(day(21), 9_999, "VIR INCONNU 1"));
        lines.push(bank_line(day(22), 8_888, "VIR INCONNU 2"));
        for d in [5, 15, 25] {
            lines.push(bank_line(day(d), -1_203, "COMMISSION INTERVENTION"));
        }
        let id = import(&ledger, lines);
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoBank);
        let before = d.strokes;
        let mut typed = 0;
        // Every automatic match at once, after the question.
        d.act(Context::Bank, Action::MatchAll);
        d.confirm();
        assert!(
            d.message().starts_with("reconciled 40 lines automatically"),
            "{name}: {}",
            d.message()
        );
        // The cheques: the best candidate of each.
        d.act(Context::Bank, Action::Accept);
        d.act(Context::Bank, Action::Accept);
        // The fees: one rule from the first posts all three.
        d.act(Context::Bank, Action::MakeRule);
        d.text("627000");
        typed += 6;
        d.next().next();
        assert!(
            d.message().contains("posted 3 lines"),
            "{name}: {}",
            d.message()
        );
        // The unknown transfers go to suspense.
        d.act(Context::Bank, Action::Suspense);
        d.confirm();
        d.act(Context::Bank, Action::Suspense);
        d.confirm();
        // The commissions: a second rule.
        d.act(Context::Bank, Action::MakeRule);
        d.text("627800");
        typed += 6;
        d.next().next();
        assert!(
            d.message().contains("posted 3 lines"),
            "{name}: {}",
            d.message()
        );
        let keys = d.strokes - before + typed;
        let left = ledger
            .bank_lines(&BankLineFilter {
                account: None,
                statement: Some(id),
                unreconciled: true,
            })
            .unwrap();
        assert!(left.is_empty(), "{name}: {} lines left", left.len());
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("50 / 50 lines reconciled"),
            "{name}:\n{screen}"
        );
        assert!(keys < 60, "{name}: {keys} keys");
        eprintln!("{name}: a 50-line statement (40 automatic) took {keys} keys");
    }
}

#[test]
fn the_session_opens_on_a_ledger_without_statements() {
    let dir = tempfile::tempdir().unwrap();
    let ledger: Arc<Ledger> = demo_books_ledger(dir.path());
    let keymap = Keymap::embedded();
    let mut d = Driver::new(&ledger, &keymap);
    d.global(Action::GoBank);
    let screen = render(&d.app, 80, 24);
    assert!(screen.contains("Reconciliation"), "{screen}");
    for key in ["enter", "]", "[", "s", "u", "p", "a", "R", "esc", "S", "m"] {
        d.app.key(Key::parse(key).unwrap());
        render(&d.app, 80, 24);
    }
}

#[test]
fn p_pays_the_recognised_partys_invoice_letters_it_and_reconciles_in_one_command() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_books_ledger(dir.path());
        let id = import(
            &ledger,
            vec![bank_line(
                day(24),
                40_000,
                "VIR SEPA LUMEN DESIGN FA2026-00115",
            )],
        );
        let open_before = ledger
            .open_items(&account("411000"), "CLUMEN")
            .unwrap()
            .len();
        let mut d = Driver::new(&ledger, &keymap);
        open_session(&mut d);
        at_line(&d.app, id, 1);
        d.act(Context::Bank, Action::BankPay);
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("FA2026-00115"), "{name}:\n{screen}");
        // The proposed allocation is accepted as it stands.
        d.next();
        d.app.wait_idle();
        assert!(
            d.message()
                .contains("lettered with its invoices and reconciled"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(status(&ledger, id, 1), BankLineStatus::Reconciled);
        let open_after = ledger
            .open_items(&account("411000"), "CLUMEN")
            .unwrap()
            .len();
        // Partly paid: the invoice stays open, lettered partially with the payment.
        let items = ledger.open_items(&account("411000"), "CLUMEN").unwrap();
        assert!(
            items.iter().any(|i| i.partial.is_some()),
            "{name}: no partial group ({open_before} -> {open_after}): {items:?}"
        );
    }
}

/// The digits are both the session's candidate keys and the screen keys: they pick while the
/// line under the cursor has candidates, else they switch screens; `S` is the financial
/// statements screen there too, the session's statement picker has its own key.
#[test]
fn digits_pick_while_the_line_has_candidates_and_switch_screens_otherwise() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_books_ledger(dir.path());
        let (id, books) = small_case(&ledger);
        let mut d = Driver::new(&ledger, &keymap);
        open_session(&mut d);
        // The same key in both tables: the test presses what a user of the preset would.
        let two = d.chord(Context::Global, Action::GoEntries);
        assert_eq!(two, d.chord(Context::Bank, Action::Pick(2)), "{name}");
        d.act(Context::Bank, Action::Accept);
        d.act(Context::Bank, Action::Accept);
        at_line(&d.app, id, 3);
        // Line 3 has two candidates: the digit picks the second.
        for key in &two {
            d.app.key(*key);
        }
        assert_eq!(
            ledger
                .reconciliation(BankLineId {
                    statement: id,
                    line: 3
                })
                .unwrap()
                .unwrap()
                .book_lines,
            vec![books[3]],
            "{name}"
        );
        assert!(d.app.title().starts_with("Reconciliation"), "{name}");
        // Line 6 (an unknown transfer) has none: the digit goes to the entries screen, and
        // back returns to the session on the same line.
        for _ in 0..2 {
            d.act(Context::Bank, Action::NextOpen);
        }
        at_line(&d.app, id, 6);
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("VIR INCONNU"), "{name}:\n{screen}");
        for key in &two {
            d.app.key(*key);
        }
        assert!(
            d.app.title().starts_with("Entries"),
            "{name}: {} / {}",
            d.app.title(),
            d.message()
        );
        d.global(Action::Back);
        assert!(d.app.title().starts_with("Reconciliation"), "{name}");
        at_line(&d.app, id, 6);
        // A reconciled line has no candidates either.
        d.list(Action::Bottom);
        assert_eq!(status(&ledger, id, 3), BankLineStatus::Reconciled);
        for key in &two {
            d.app.key(*key);
        }
        assert!(d.app.title().starts_with("Entries"), "{name}");
        d.global(Action::Back);
        // The statement picker has its own key; `S` is the financial statements screen.
        d.act(Context::Bank, Action::Statements);
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("Statements (enter"), "{name}:\n{screen}");
        d.act(Context::Bank, Action::Statements);
        let screen = render(&d.app, 80, 24);
        assert!(!screen.contains("Statements (enter"), "{name}:\n{screen}");
        d.app.key(Key::parse("S").unwrap());
        assert!(d.app.title().contains("Bilan"), "{name}: {}", d.app.title());
    }
}

/// A December statement returning one debit of the demo's December collection: the line's
/// best candidate is the rejection, and `enter` cancels the payment, reopens the invoice and
/// reconciles the line, in one command.
#[test]
fn enter_on_a_returned_direct_debit_cancels_its_payment_and_reopens_the_invoice() {
    use folio::ledger::DebitRequest;
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_books_ledger(dir.path());
        let december = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let batch = ledger
            .sepa_debit(
                &demo_ctx(),
                &DebitRequest {
                    collection_date: december(10),
                    parties: Vec::new(),
                },
                |_| Ok(()),
            )
            .unwrap();
        let debit = &batch.debits[1];
        let mut line = bank_line(december(14), -debit.amount.cents(), "RETOUR PRLV SEPA");
        line.end_to_end_id = Some(debit.invoice.clone());
        line.remittance = Some("return reason MD06".into());
        let statement = Statement {
            account: AccountId {
                iban: None,
                rib: None,
                number: Some("00012345678".into()),
            },
            id: "2026-12".into(),
            period: (december(1), december(31)),
            currency: "EUR".into(),
            opening: Some(Amount::ZERO),
            closing: Some(Amount::from_cents(-debit.amount.cents())),
            lines: vec![line],
            source_line: 1,
        };
        let id = ledger
            .import_statements(
                &demo_ctx(),
                &StatementImport {
                    file: "decembre.xml".into(),
                    format: "camt053".into(),
                    statements: vec![statement],
                    account: Some(account("512000")),
                    allow_gap: true,
                },
            )
            .unwrap()
            .statements[0]
            .id
            .unwrap();
        let mut d = Driver::new(&ledger, &keymap);
        d.app.open(&Route::Bank {
            account: None,
            statement: Some(id),
        });
        at_line(&d.app, id, 1);
        let screen = render(&d.app, 120, 40);
        assert!(
            screen.contains(&format!("cancel payment {}", debit.payment))
                && screen.contains(&format!("rejected direct debit of {}", debit.invoice)),
            "{name}:\n{screen}"
        );
        d.act(Context::Bank, Action::Accept);
        assert!(
            d.message().contains(&format!(
                "payment {} cancelled ({} due again)",
                debit.payment, debit.invoice
            )),
            "{name}: {}",
            d.message()
        );
        assert_eq!(status(&ledger, id, 1), BankLineStatus::Reconciled);
        let invoice = ledger.document(&debit.invoice).unwrap();
        assert_eq!(invoice.remaining, debit.amount, "{name}");
        let payment = ledger.document(&debit.payment).unwrap();
        assert_eq!(
            payment.document.status,
            folio::model::document::DocumentStatus::Cancelled,
            "{name}"
        );
        let report = ledger.check().unwrap();
        assert!(report.findings.is_empty(), "{name}: {:?}", report.findings);
    }
}
