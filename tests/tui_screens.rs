//! Every screen of the demo company at 80x24 and 120x40, compared with insta snapshots; and
//! every screen at odd sizes and on an empty ledger, which must never panic.

// Test helpers outside #[test] functions may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use std::sync::Arc;

use chrono::NaiveDate;
use common::{demo_ctx, demo_ledger, press, render};
use folio::ledger::{InitParams, Ledger};
use folio::model::Company;
use folio::tui::{App, Keymap};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// Key sequences (default keymap) that lead to each screen from home.
const SCREENS: &[(&str, &str)] = &[
    ("home", ""),
    ("entries", "2"),
    ("entry_draft", "2 G enter"),
    ("entry_validated", "2 g g enter"),
    ("editor_new", "2 n"),
    ("chart", "3"),
    ("ledger_bank", "3 / 5 1 2 0 0 0 enter enter"),
    ("ledger_from_entry", "2 g g enter enter"),
    ("balance", "4"),
    ("parties", "5"),
    ("party_ledger", "5 enter"),
    ("history_latest", "6"),
    ("history_of_entry", "2 g g H"),
    ("help", "2 ?"),
    ("palette", "2 : b a l"),
    ("confirm_validate", "2 G v"),
    ("prompt_period", "2 p"),
    ("filter_entries", "2 / l o y e r"),
    ("documents", "7"),
    ("documents_payments", "7 t t"),
    ("documents_due", "/ u n p a i d enter enter"),
    ("document_latest", "7 enter"),
    ("document_from_entry", "2 g g enter s"),
];

fn app_at(ledger: &Arc<Ledger>, keys: &str) -> App {
    let mut app = common::app(ledger, &Keymap::embedded());
    if !keys.is_empty() {
        press(&mut app, keys);
    }
    app
}

#[test]
fn every_screen_of_the_demo_company() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    for (name, keys) in SCREENS {
        let app = app_at(&ledger, keys);
        assert_eq!(app.message(), None, "{name}: {:?}", app.message());
        for (w, h) in SIZES {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&app, w, h));
        }
    }
}

#[test]
fn the_entry_grid_while_typing_with_the_completion_open() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let mut app = app_at(&ledger, "2 n");
    app.type_text("AC");
    press(&mut app, "enter enter");
    app.type_text("A2026-0100");
    press(&mut app, "enter");
    app.type_text("Facture LED Composants");
    press(&mut app, "enter");
    app.type_text("607");
    press(&mut app, "enter enter");
    app.type_text("100");
    press(&mut app, "enter");
    app.type_text("44566");
    press(&mut app, "enter enter");
    app.type_text("20");
    press(&mut app, "enter");
    app.type_text("led");
    // The terminal cursor stands after what was typed in the account field.
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| app.render(frame)).unwrap();
    assert!(terminal.backend().cursor_visible());
    assert_eq!(
        terminal.backend().cursor_position(),
        ratatui::layout::Position { x: 8, y: 7 }
    );
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("editor_typing_{w}x{h}"), render(&app, w, h));
    }
    press(&mut app, "enter enter enter");
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("editor_balanced_{w}x{h}"), render(&app, w, h));
    }
}

/// An invoice with VAT due on payment, partly paid (FA2026-00108), and a payment allocated to
/// two invoices with 250,00 left unallocated (RC2026-00064).
#[test]
fn an_invoice_partly_paid_and_a_payment() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let shots = [
        (
            "document_invoice_partly_paid",
            "7 / f a 2 0 2 6 - 0 0 1 0 8 enter enter",
        ),
        (
            "document_payment",
            "7 / r c 2 0 2 6 - 0 0 0 6 4 enter enter",
        ),
    ];
    for (name, keys) in shots {
        let app = app_at(&ledger, keys);
        assert_eq!(app.message(), None, "{name}: {:?}", app.message());
        for (w, h) in SIZES {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&app, w, h));
        }
    }
    let invoice = render(&app_at(&ledger, shots[0].1), 80, 24);
    assert!(invoice.contains("partially paid"), "{invoice}");
    assert!(invoice.contains("due 2 497,00"), "{invoice}");
    assert!(invoice.contains("(VAT due on"), "{invoice}");
    let payment = render(&app_at(&ledger, shots[1].1), 80, 24);
    assert!(payment.contains("unallocated 250,00"), "{payment}");
}

fn empty_ledger(dir: &std::path::Path) -> Arc<Ledger> {
    let params = InitParams {
        company: Company {
            name: "Vide SARL".into(),
            siren: "732829320".into(),
        },
        first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        first_year_months: 12,
        chart: folio::fixtures::default_chart().unwrap(),
        settings: None,
    };
    Arc::new(Ledger::create(&dir.join("empty.ledger"), &params, &demo_ctx()).unwrap())
}

#[test]
fn no_screen_panics_at_any_size_or_on_empty_data() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo_ledger(dir.path());
    let empty = empty_ledger(dir.path());
    let sizes = [
        (1, 1),
        (2, 30),
        (19, 5),
        (20, 6),
        (30, 8),
        (45, 12),
        (80, 24),
        (81, 25),
        (200, 60),
        (300, 3),
    ];
    for ledger in [&demo, &empty] {
        for (name, keys) in SCREENS {
            let mut app = app_at(ledger, keys);
            for (w, h) in sizes {
                render(&app, w, h);
            }
            // Keys after a resize use the new size: page through and render again.
            press(&mut app, "pagedown pagedown G g g j k");
            for (w, h) in sizes {
                render(&app, w, h);
            }
            let _ = name;
        }
    }
    // The empty ledger's home says what there is.
    let app = app_at(&empty, "");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Vide SARL"), "{screen}");
    assert!(screen.contains("Drafts to validate"), "{screen}");
}
