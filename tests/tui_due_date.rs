//! The document screen shows the due date fixed when the document was validated, not one
//! computed from the party's current terms.

#[path = "tui_common/mod.rs"]
mod common;

use common::{Driver, demo_ctx, demo_ledger, presets};
use folio::ledger::PartyPatch;
use folio::tui::action::{Action, Context};

/// Was a bug: the screen added the party's *current* terms to the invoice date, so changing
/// a customer's terms moved the due date of invoices already sent.
#[test]
fn a_documents_due_date_stays_when_the_partys_terms_change() {
    let (name, keymap) = presets().remove(0);
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let invoice = ledger.document("FA2026-00111").unwrap();
    // CMOREL pays at 45 days: fixed at validation.
    let due = invoice
        .document
        .due_date
        .expect("a validated invoice has a due date");
    assert_eq!(due, invoice.document.date + chrono::Days::new(45));
    let patch = PartyPatch {
        payment_terms_days: Some(90),
        ..Default::default()
    };
    ledger.edit_party(&demo_ctx(), "CMOREL", &patch).unwrap();

    let mut d = Driver::new(&ledger, &keymap);
    d.global(Action::GoDocuments);
    d.list(Action::Filter).text("fa2026-00111").next();
    d.list(Action::Open);
    assert_eq!(d.app.title(), "Customer invoice FA2026-00111", "{name}");
    let screen = common::render(&d.app, 120, 40);
    let expected = format!("by {}", due.format("%d/%m/%Y"));
    assert!(
        screen.contains(&expected),
        "{name}: {expected} in\n{screen}"
    );
    d.act(Context::Document, Action::OpenParty);
    assert!(d.app.title().starts_with("Third party CMOREL"), "{name}");
}

/// Was a bug: the home screen showed the invoices due (35 310,30 in the demo) beside a 411
/// balance of 32 740,30 with nothing to explain the difference (advances, a credit note and an
/// overpayment not yet used). The credits now have their own figure, and both add up to 411.
#[test]
fn home_figures_of_customers_add_up_to_their_balance() {
    let (_, keymap) = presets().remove(0);
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let d = Driver::new(&ledger, &keymap);
    let screen = common::render(&d.app, 80, 24);
    let figure = |label: &str| -> i64 {
        let line = screen
            .lines()
            .find(|l| l.contains(label))
            .unwrap_or_else(|| panic!("no {label} in\n{screen}"));
        let text: String = line
            .trim_matches('"')
            .split("  ")
            .filter(|part| !part.trim().is_empty())
            .last()
            .unwrap()
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        text.parse().unwrap_or_else(|_| panic!("{label}: {line:?}"))
    };
    let balance = figure("Customers (411)");
    let due = figure("Unpaid customer invoices");
    let credits = figure("Customer credits not yet used");
    assert!(credits < 0, "{screen}");
    assert_eq!(due + credits, balance, "{screen}");
}
