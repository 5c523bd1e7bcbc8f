//! Editing in the interface, driven by key sequences of each shipped preset: audit times taken
//! at each save, saves that change nothing, a draft changed by someone else meanwhile, the
//! account field on save, the palette's matching and closing a fiscal year.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{NaiveDate, NaiveDateTime};
use common::{Driver, demo_ctx, demo_ledger, presets, render};
use folio::ledger::{Clock, Ctx, EntryFilter, InitParams, Ledger, Selection};
use folio::model::{AccountNumber, Amount, Company, EntryInput, Line};
use folio::tui::action::{Action, Context};
use folio::tui::{App, Keymap};

/// `seconds` after the demo's fixed time (2026-11-20 10:00).
fn at(seconds: i64) -> NaiveDateTime {
    demo_ctx().now() + chrono::Duration::seconds(seconds)
}

fn driver_with<'a>(ledger: &Arc<Ledger>, ctx: Ctx, keymap: &'a Keymap) -> Driver<'a> {
    Driver {
        app: App::new(Arc::clone(ledger), ctx, keymap.clone()).unwrap(),
        keymap,
        default: Keymap::embedded(),
        strokes: 0,
    }
}

/// Opens the last draft of the entries list in the editor; returns its id.
fn edit_last_draft(d: &mut Driver) -> u64 {
    d.global(Action::GoEntries).list(Action::Bottom);
    let id: u64 = d.app.record().unwrap()["entry:".len()..].parse().unwrap();
    d.act(Context::Entries, Action::EditEntry);
    assert_eq!(d.app.title(), format!("Edit draft #{id}"));
    id
}

#[test]
fn each_save_is_audited_at_its_own_time_not_when_the_interface_started() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let seconds = Arc::new(AtomicI64::new(3_600));
        let source = Arc::clone(&seconds);
        let ctx = Ctx::with_clock(
            "demo",
            Clock::Custom(Arc::new(move || at(source.load(Ordering::SeqCst)))),
        );
        let mut d = driver_with(&ledger, ctx, &keymap);
        let id = edit_last_draft(&mut d);
        d.form(Action::PrevField).text("Libellé corrigé");
        // The save comes 75 s after the interface started.
        seconds.store(3_675, Ordering::SeqCst);
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message().starts_with("saved draft"),
            "{name}: {}",
            d.message()
        );
        let history = ledger.history(&format!("entry:{id}")).unwrap();
        let edit = history.last().unwrap();
        assert_eq!(edit.action, "entry.edit", "{name}");
        assert_eq!(edit.at, at(3_675), "{name}");
        // The edit's record says what changed.
        assert!(
            edit.detail.contains("→ Libellé corrigé"),
            "{name}: {}",
            edit.detail
        );

        // A second save, a minute later, by the same interface.
        seconds.store(3_735, Ordering::SeqCst);
        edit_last_draft(&mut d);
        d.form(Action::PrevField).text("Libellé corrigé deux fois");
        d.act(Context::Editor, Action::SaveDraft);
        let history = ledger.history(&format!("entry:{id}")).unwrap();
        let times: Vec<NaiveDateTime> = history.iter().rev().take(2).map(|r| r.at).collect();
        assert_eq!(times, vec![at(3_735), at(3_675)], "{name}");
    }
}

#[test]
fn a_save_that_changes_nothing_writes_nothing() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        let id = edit_last_draft(&mut d);
        let before = ledger.entry(id).unwrap();
        let records = ledger.recent_history(10_000).unwrap().len();
        d.act(Context::Editor, Action::SaveDraft);
        assert_eq!(
            d.message(),
            format!("nothing changed in draft #{id}"),
            "{name}"
        );
        assert!(d.app.title().starts_with("Entries"), "{name}");
        assert_eq!(ledger.entry(id).unwrap(), before, "{name}");
        assert_eq!(
            ledger.recent_history(10_000).unwrap().len(),
            records,
            "{name}"
        );
    }
}

#[test]
fn a_draft_changed_by_someone_else_is_not_overwritten_and_can_be_reloaded() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        let id = edit_last_draft(&mut d);
        d.form(Action::PrevField).text("Ma version");
        // Meanwhile Bob changes the same draft (with the CLI, or another terminal).
        let theirs = ledger.entry(id).unwrap();
        let bob = Ctx {
            user: "bob".into(),
            ..demo_ctx()
        };
        let input = EntryInput {
            journal: theirs.journal.clone(),
            date: theirs.date,
            piece: theirs.piece.clone(),
            label: "Version de Bob".into(),
            lines: theirs.lines.clone(),
        };
        ledger
            .edit_entry(&bob, id, &input, Some(theirs.revision))
            .unwrap();

        d.act(Context::Editor, Action::SaveDraft);
        let screen = render(&d.app, 100, 30);
        assert!(
            screen.contains("changed by bob"),
            "{name}: the save is refused naming Bob\n{screen}"
        );
        assert!(screen.contains("Reload"), "{name}\n{screen}");
        assert_eq!(ledger.entry(id).unwrap().label, "Version de Bob", "{name}");

        // No: keep editing, with what was typed.
        d.act(Context::Dialog, Action::Deny);
        assert_eq!(d.app.title(), format!("Edit draft #{id}"), "{name}");
        assert!(
            render(&d.app, 100, 30).contains("Ma version"),
            "{name}: the typed label is kept"
        );
        // Saving again is refused again; yes reloads Bob's version.
        d.act(Context::Editor, Action::SaveDraft);
        d.confirm();
        assert!(
            d.message().starts_with("reloaded draft"),
            "{name}: {}",
            d.message()
        );
        let screen = render(&d.app, 100, 30);
        assert!(screen.contains("Version de Bob"), "{name}\n{screen}");
        assert!(!screen.contains("Ma version"), "{name}\n{screen}");
        // The reloaded grid saves over the current revision.
        d.form(Action::PrevField).text("Version de Bob relue");
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message().starts_with("saved draft"),
            "{name}: {}",
            d.message()
        );
        let entry = ledger.entry(id).unwrap();
        assert_eq!(entry.label, "Version de Bob relue", "{name}");
        assert_eq!(entry.revision, theirs.revision + 2, "{name}");
    }
}

#[test]
fn an_account_field_that_is_not_an_account_is_never_saved() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let count = ledger.entries(&EntryFilter::default()).unwrap().len();
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries).global(Action::NewEntry);
        d.text("OD").next().next();
        d.text("X1").next();
        d.text("Essai").next();
        // A label typed into the account field, as in the report.
        d.text(" (TUI)");
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message().contains("`(TUI)` is not an account number"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(d.app.title(), "New entry", "{name}");
        // Enter does not take a loose match either.
        d.next();
        assert!(
            d.message().contains("`(TUI)` must be digits only"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(
            ledger.entries(&EntryFilter::default()).unwrap().len(),
            count,
            "{name}: nothing written"
        );
        let screen = render(&d.app, 100, 30);
        assert!(!screen.contains("638000"), "{name}\n{screen}");
    }
}

#[test]
fn a_third_partys_exact_code_or_an_account_number_saves_from_the_account_field() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries).global(Action::NewEntry);
        d.text("OD").next().next();
        d.text("X2").next();
        d.text("Essai").next();
        d.text("6226").next().next();
        d.text("100").next();
        // The balancing line: typed as the supplier's exact code, saved from the field.
        d.text("FLEDCOMP");
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message()
                .contains("line 2: fill exactly one of debit or credit"),
            "{name}: the account was taken, the amount is missing: {}",
            d.message()
        );
        d.next(); // from the debit to the proposed 100,00 on the credit side
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message().starts_with("saved draft"),
            "{name}: {}",
            d.message()
        );
        let entry = ledger
            .entries(&EntryFilter::default())
            .unwrap()
            .into_iter()
            .find(|e| e.piece == "X2")
            .unwrap();
        let lines: Vec<(&str, Option<&str>)> = entry
            .lines
            .iter()
            .map(|l| (l.account.as_str(), l.third_party.as_deref()))
            .collect();
        assert_eq!(
            lines,
            vec![("622600", None), ("401000", Some("FLEDCOMP"))],
            "{name}"
        );
    }
}

#[test]
fn the_palette_does_not_match_scattered_letters() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        d.global(Action::Palette).text("filt");
        let screen = render(&d.app, 100, 30);
        assert!(screen.contains("Filter the rows"), "{name}\n{screen}");
        d.form(Action::Cancel);
        d.global(Action::Palette).text("lettr");
        let screen = render(&d.app, 100, 30);
        assert!(
            !screen.contains("Filter the rows"),
            "{name}: `lettr` is not `filter`\n{screen}"
        );
    }
}

// ----- closing a fiscal year ---------------------------------------------------------------------

fn year_end_ctx() -> Ctx {
    let now = NaiveDate::from_ymd_opt(2026, 12, 31)
        .and_then(|d| d.and_hms_opt(18, 0, 0))
        .unwrap();
    Ctx::fixed("demo", now)
}

/// A company with capital 10 000 and one cash sale of 1 000 + 200 VAT, all validated.
fn company_at_year_end(dir: &std::path::Path) -> Arc<Ledger> {
    let ctx = year_end_ctx();
    let params = InitParams {
        company: Company {
            name: "Clôture SARL".into(),
            siren: "732829320".into(),
        },
        first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        first_year_months: 12,
        chart: folio::fixtures::default_chart().unwrap(),
        settings: None,
    };
    let ledger = Ledger::create(&dir.join("c.ledger"), &params, &ctx).unwrap();
    let account = |n: &str| AccountNumber::parse(n).unwrap();
    let cents = Amount::from_cents;
    let entries = [
        (
            "K1",
            vec![
                Line::debit(account("512"), cents(1_000_000)),
                Line::credit(account("101"), cents(1_000_000)),
            ],
        ),
        (
            "V1",
            vec![
                Line::debit(account("512"), cents(120_000)),
                Line::credit(account("706"), cents(100_000)),
                Line::credit(account("44571"), cents(20_000)),
            ],
        ),
    ];
    for (piece, lines) in entries {
        let input = EntryInput {
            journal: "OD".into(),
            date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            piece: piece.into(),
            label: piece.into(),
            lines,
        };
        ledger.add_entry(&ctx, &input).unwrap();
    }
    ledger
        .validate(
            &ctx,
            &Selection::Until {
                date: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                journal: None,
            },
        )
        .unwrap();
    Arc::new(ledger)
}

#[test]
fn closing_a_year_shows_the_result_and_the_opening_entry_and_asks_first() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = company_at_year_end(dir.path());
        let entries = ledger.entries(&EntryFilter::default()).unwrap().len();
        let records = ledger.recent_history(10_000).unwrap().len();
        let mut d = driver_with(&ledger, year_end_ctx(), &keymap);
        // The palette offers it on the home screen.
        d.global(Action::Palette).text("close year");
        assert!(
            render(&d.app, 100, 30).contains("close-year"),
            "{name}: in the palette"
        );
        d.form(Action::Cancel);

        d.act(Context::Home, Action::CloseYear);
        assert_eq!(d.app.title(), "Close fiscal year 2026", "{name}");
        let screen = render(&d.app, 100, 30);
        for expected in [
            "profit 1 000,00 to 120000",
            "Opening entry AN2027-000001 in AN on 01/01/2027: 4 lines",
            "debit 11 200,00 credit 11 200,00",
            "cannot be reopened",
            "120000",
            "Résultat 2026",
        ] {
            assert!(screen.contains(expected), "{name}: {expected}\n{screen}");
        }
        // No: nothing is written.
        d.act(Context::Dialog, Action::Deny);
        assert!(d.message().contains("left open"), "{name}: {}", d.message());
        assert!(ledger.years().unwrap()[0].is_open(), "{name}");
        assert_eq!(
            ledger.entries(&EntryFilter::default()).unwrap().len(),
            entries
        );
        assert_eq!(ledger.recent_history(10_000).unwrap().len(), records);

        // `n` too.
        d.act(Context::Home, Action::CloseYear);
        common::press(&mut d.app, "n");
        assert!(d.message().contains("left open"), "{name}: {}", d.message());
        assert!(ledger.years().unwrap()[0].is_open(), "{name}");

        // Yes: the year is closed and the opening entry written.
        d.act(Context::Home, Action::CloseYear);
        d.confirm();
        assert!(
            d.message()
                .starts_with("closed fiscal year 2026: profit 1 000,00 to 120000"),
            "{name}: {}",
            d.message()
        );
        assert!(!ledger.years().unwrap()[0].is_open(), "{name}");
        let opening = ledger.find_entry("AN2027-000001").unwrap();
        assert_eq!(opening.lines.len(), 4, "{name}");
    }
}

#[test]
fn closing_a_year_before_its_last_day_is_refused_in_the_interface() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.act(Context::Home, Action::CloseYear);
        assert!(
            d.message().contains("cannot be closed before its last day"),
            "{name}: {}",
            d.message()
        );
        assert!(
            d.app.title().starts_with("Home"),
            "{name}: {}",
            d.app.title()
        );
        assert!(ledger.years().unwrap()[0].is_open(), "{name}");
    }
}

#[test]
fn a_long_opening_entry_scrolls_in_the_closing_preview() {
    let keymap = Keymap::embedded();
    let dir = tempfile::tempdir().unwrap();
    let ledger = company_at_year_end(dir.path());
    let ctx = year_end_ctx();
    // Thirty fixed assets bought for cash: thirty more balances to carry forward.
    let assets: Vec<AccountNumber> = folio::fixtures::default_chart()
        .unwrap()
        .into_iter()
        .map(|(number, _)| number)
        .filter(|n| n.as_str().starts_with('2') && n.as_str() < "28")
        .take(30)
        .collect();
    assert_eq!(assets.len(), 30);
    let mut lines: Vec<Line> = assets
        .iter()
        .map(|a| Line::debit(a.clone(), Amount::from_cents(10_000)))
        .collect();
    lines.push(Line::credit(
        AccountNumber::parse("512").unwrap(),
        Amount::from_cents(300_000),
    ));
    let input = EntryInput {
        journal: "OD".into(),
        date: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        piece: "IMMO".into(),
        label: "Immobilisations".into(),
        lines,
    };
    let entry = ledger.add_entry(&ctx, &input).unwrap();
    ledger
        .validate(&ctx, &Selection::Entries(vec![entry.id]))
        .unwrap();
    let mut d = driver_with(&ledger, ctx, &keymap);
    d.act(Context::Home, Action::CloseYear);
    let last = assets.last().unwrap().to_string();
    let screen = render(&d.app, 80, 24);
    assert!(screen.contains("34 lines"), "{screen}");
    assert!(!screen.contains(&last), "{screen}");
    d.list(Action::Bottom);
    let screen = render(&d.app, 80, 24);
    assert!(screen.contains(&last), "{screen}");
    assert!(screen.contains("Résultat 2026"), "{screen}");
}
