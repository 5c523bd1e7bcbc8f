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
