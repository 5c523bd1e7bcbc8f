//! The financial statements screen: balance sheet and income statement of the demo, driven
//! with the keys of both keymap presets, drilled down to a rubrique's accounts and an
//! account's ledger, and compared with snapshots at 80x24 and 120x40.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use common::{Driver, demo_ledger, presets, render};
use folio::tui::action::{Action, Context};

/// Rows from the top of the balance sheet to "Disponibilités".
const TO_CASH: usize = 15;

/// The row of a rendered screen that starts with `start` (after the border quote and spaces).
fn row<'a>(screen: &'a str, start: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.trim_start_matches('"').trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no row {start} in\n{screen}"))
}

/// The last amount of a row (the column of the year).
fn amount_of(line: &str, column_from_end: usize) -> String {
    let cells: Vec<&str> = line
        .trim_end_matches('"')
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    cells[cells.len() - 1 - column_from_end].to_string()
}

#[test]
fn statements_screens_at_80_and_120_columns() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let (_, keymap) = presets().remove(0);
    let mut d = Driver::new(&ledger, &keymap);
    d.global(Action::GoStatements);
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(
            format!("statements_balance_sheet_{w}x{h}"),
            render(&d.app, w, h)
        );
    }
    for _ in 0..TO_CASH {
        d.list(Action::Down);
    }
    d.list(Action::Open);
    insta::assert_snapshot!("statements_rubrique_80x24", render(&d.app, 80, 24));
    d.global(Action::Back);
    d.act(Context::Statements, Action::StatementKind);
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("statements_income_{w}x{h}"), render(&d.app, w, h));
    }
    d.act(Context::Statements, Action::Abridged);
    insta::assert_snapshot!("statements_income_abridged_80x24", render(&d.app, 80, 24));
}

#[test]
fn rubriques_drill_down_to_accounts_and_ledgers_in_both_presets() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    for (name, keymap) in presets() {
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoStatements);
        assert_eq!(d.app.title(), "Bilan 2026 · drafts included", "{name}");
        for _ in 0..TO_CASH {
            d.list(Action::Down);
        }
        let screen = render(&d.app, 80, 24);
        let cash = amount_of(row(&screen, "Disponibilités"), 0);
        d.list(Action::Open);
        assert_eq!(
            d.app.title(),
            "Bilan › Disponibilités 2026 · drafts included",
            "{name}"
        );
        let accounts = render(&d.app, 80, 24);
        assert!(row(&accounts, "512000").contains("Banques"), "{name}");
        assert!(row(&accounts, "530000").contains("Caisse"), "{name}");
        assert_eq!(amount_of(row(&accounts, "Total"), 0), cash, "{name}");
        // The account opens its ledger over the year.
        d.list(Action::Open);
        assert!(
            d.app.title().starts_with("Ledger 512000"),
            "{name}: {}",
            d.app.title()
        );
        let ledger_screen = render(&d.app, 80, 24);
        assert!(ledger_screen.contains("01/01/2026 – 31/12/2026"), "{name}");
        d.global(Action::Back);
        d.global(Action::Back);
        assert_eq!(d.app.title(), "Bilan 2026 · drafts included", "{name}");

        // Actif and passif tie, at the bottom of the list.
        d.list(Action::Bottom);
        let bottom = render(&d.app, 120, 40);
        let passif = amount_of(row(&bottom, "TOTAL PASSIF"), 0);
        let result = amount_of(row(&bottom, "Résultat de l'exercice (bénéfice)"), 0);
        d.list(Action::Top);
        for _ in 0..30 {
            d.list(Action::Down);
        }
        let middle = render(&d.app, 120, 40);
        assert_eq!(amount_of(row(&middle, "TOTAL ACTIF"), 0), passif, "{name}");

        // The income statement gives the same result.
        d.act(Context::Statements, Action::StatementKind);
        assert_eq!(
            d.app.title(),
            "Compte de résultat 2026 · drafts included",
            "{name}"
        );
        d.list(Action::Bottom);
        let income = render(&d.app, 80, 24);
        assert_eq!(
            amount_of(row(&income, "Résultat de l'exercice"), 0),
            result,
            "{name}"
        );

        // Drafts out, the abridged layout, and no year before the demo's.
        d.act(Context::Statements, Action::ToggleDrafts);
        assert_eq!(
            d.app.title(),
            "Compte de résultat 2026 · validated entries only",
            "{name}"
        );
        d.list(Action::Bottom);
        let validated = render(&d.app, 80, 24);
        assert_ne!(
            amount_of(row(&validated, "Résultat de l'exercice"), 0),
            result,
            "{name}: the demo's drafts count"
        );
        d.act(Context::Statements, Action::Abridged);
        assert!(
            d.app.title().contains("abrégé"),
            "{name}: {}",
            d.app.title()
        );
        d.act(Context::Statements, Action::PrevPeriod);
        assert_eq!(d.message(), "no fiscal year there", "{name}");
        d.act(Context::Statements, Action::StatementKind);
        assert!(d.app.title().starts_with("Bilan 2026"), "{name}");
    }
}
