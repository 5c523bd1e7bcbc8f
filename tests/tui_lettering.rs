//! The lettering workbench, driven by the keys of each keymap preset: a payment lettered
//! against three invoices in a few keys, partial lettering after a confirmation, unlettering,
//! walking through the parties, other users' lettering showing up, and snapshots at 80x24 and
//! 120x40.

// Test helpers outside #[test] functions may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod cli;
#[path = "tui_common/mod.rs"]
mod common;

use std::sync::Arc;

use chrono::NaiveDate;
use common::{Driver, demo_ctx, demo_ledger, presets, press, render};
use folio::ledger::{Ctx, Ledger, Selection};
use folio::lettering::LineRef;
use folio::model::party::{Party, PartyKind};
use folio::model::{AccountNumber, Amount, EntryInput, Line};
use folio::tui::action::{Action, Context};
use folio::tui::route::Route;
use folio::tui::{App, Keymap};

const PARTY: &str = "CZTEST";

fn account(n: &str) -> AccountNumber {
    AccountNumber::parse(n).unwrap()
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// A validated entry of the party: an invoice (positive cents: debit on 411000) or a payment
/// (negative cents: credit on 411000). Returns the customer line.
fn post(ledger: &Ledger, date: NaiveDate, piece: &str, cents: i64) -> LineRef {
    let amount = Amount::from_cents(cents.abs());
    let party = Some(PARTY.to_string());
    let (journal, label, lines) = if cents > 0 {
        (
            "VE",
            format!("Facture {piece}"),
            vec![
                Line::debit(account("411000"), amount).with_party(party),
                Line::credit(account("706000"), amount),
            ],
        )
    } else {
        (
            "BQ",
            format!("Règlement {piece}"),
            vec![
                Line::debit(account("512000"), amount),
                Line::credit(account("411000"), amount).with_party(party),
            ],
        )
    };
    let input = EntryInput {
        journal: journal.into(),
        date,
        piece: piece.into(),
        label,
        lines,
    };
    let entry = ledger.add_entry(&demo_ctx(), &input).unwrap();
    ledger
        .validate(&demo_ctx(), &Selection::Entries(vec![entry.id]))
        .unwrap();
    let line = entry
        .lines
        .iter()
        .position(|l| l.third_party.is_some())
        .unwrap();
    LineRef {
        entry: entry.id,
        line: line as u32,
    }
}

/// A new customer with three invoices (100, 200, 300), the payment of all three (600), and a
/// later invoice of 50: returns the five customer lines in date order.
fn customer_case(ledger: &Ledger) -> Vec<LineRef> {
    ledger
        .add_party(
            &demo_ctx(),
            Party::new(
                PARTY.into(),
                "Zeta Essais".into(),
                PartyKind::Customer,
                account("411000"),
            ),
        )
        .unwrap();
    vec![
        post(ledger, day(11, 2), "FZ1", 10_000),
        post(ledger, day(11, 5), "FZ2", 20_000),
        post(ledger, day(11, 9), "FZ3", 30_000),
        post(ledger, day(11, 12), "RZ1", -60_000),
        post(ledger, day(11, 16), "FZ4", 5_000),
    ]
}

/// The code the next group on 411000 takes (the demo letters its own customers first).
fn next_code(ledger: &Ledger) -> String {
    let next = ledger
        .letter_counters()
        .unwrap()
        .into_iter()
        .find(|(account, _)| account == "411000")
        .map_or(0, |(_, next)| next);
    folio::lettering::code_of(next)
}

fn group_code(ledger: &Ledger, at: LineRef) -> Option<String> {
    ledger.group_of_line(at).unwrap().map(|g| g.code())
}

/// Opens the workbench and the test customer with the keys of the preset: the screen key,
/// the filter on the party's code, enter.
fn open_customer(d: &mut Driver) {
    d.global(Action::GoLettering);
    assert_eq!(d.app.title(), "Lettering");
    d.list(Action::Filter);
    d.text(PARTY).next();
    d.list(Action::Open);
    assert_eq!(d.app.title(), format!("Lettering 411000 {PARTY}"));
}

#[test]
fn a_payment_against_three_invoices_in_five_keys() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let lines = customer_case(&ledger);
        let code = next_code(&ledger);
        let mut d = Driver::new(&ledger, &keymap);
        open_customer(&mut d);
        let before = d.strokes;
        for _ in 0..4 {
            d.list(Action::Mark);
        }
        let marked = d.message();
        assert_eq!(marked, "4 marked · 0,00", "{name}");
        d.act(Context::Lettering, Action::Letter);
        let keys = d.strokes - before;
        assert!(keys <= 6, "{name}: {keys} keys");
        eprintln!("{name}: a payment against three invoices took {keys} keys");
        assert_eq!(
            d.message(),
            format!("lettered {code} on 411000 (CZTEST): 4 lines, complete"),
            "{name}"
        );
        for at in &lines[..4] {
            assert_eq!(group_code(&ledger, *at), Some(code.clone()), "{name}");
        }
        assert_eq!(group_code(&ledger, lines[4]), None, "{name}");
        // The cursor stayed on the row it was on (the later invoice), the marks are gone.
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("1 open"), "{name}:\n{screen}");
        assert!(screen.contains("Marked: none"), "{name}:\n{screen}");
        assert_eq!(d.app.record(), Some(format!("entry:{}", lines[4].entry)));
        assert_same_after_reading_again(&mut d, name);
    }
}

/// The screen as drawn after a change is what reading the ledger again shows.
fn assert_same_after_reading_again(d: &mut Driver, name: &str) {
    let without_status = |screen: String| {
        let mut lines: Vec<String> = screen.lines().map(str::to_string).collect();
        lines.pop();
        lines.join("\n")
    };
    for (w, h) in [(80, 24), (120, 40)] {
        let before = without_status(render(&d.app, w, h));
        d.global(Action::Refresh);
        let after = without_status(render(&d.app, w, h));
        assert_eq!(before, after, "{name}: {w}x{h}");
    }
}

#[test]
fn partial_lettering_asks_first_and_unlettering_restores_the_items() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let lines = customer_case(&ledger);
        let code = next_code(&ledger);
        let partial = code.to_lowercase();
        let mut d = Driver::new(&ledger, &keymap);
        open_customer(&mut d);
        // The first invoice (100) and the payment (-600): they leave 500 open.
        d.list(Action::Mark);
        d.list(Action::Down).list(Action::Down);
        d.list(Action::Mark);
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("Marked: 2 · total 500,00 C · leaves 500,00 C open"),
            "{name}:\n{screen}"
        );
        d.act(Context::Lettering, Action::Letter);
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("partial group"), "{name}:\n{screen}");
        // No: nothing is written, the marks stay.
        d.act(Context::Dialog, Action::Deny);
        assert_eq!(group_code(&ledger, lines[0]), None, "{name}");
        d.act(Context::Lettering, Action::Letter);
        d.confirm();
        assert!(
            d.message()
                .starts_with(&format!("lettered {partial} on 411000")),
            "{name}: {}",
            d.message()
        );
        assert_eq!(group_code(&ledger, lines[3]), Some(partial.clone()));
        assert_same_after_reading_again(&mut d, name);
        // Both lines stay open items, with their partial code and the group's remainder.
        let screen = render(&d.app, 120, 40);
        assert!(screen.contains("5 open"), "{name}:\n{screen}");
        assert!(screen.contains("-500,00"), "{name}:\n{screen}");
        // The second and third invoices join the group with a line of it: complete.
        d.list(Action::Top).list(Action::Down);
        d.list(Action::Mark).list(Action::Mark).list(Action::Mark);
        d.act(Context::Lettering, Action::Letter);
        assert_eq!(
            d.message(),
            format!("lettered {code} on 411000 (CZTEST): 4 lines, complete"),
            "{name}"
        );
        assert_same_after_reading_again(&mut d, name);
        // Shown with the lettered lines, the group is unlettered from one of them.
        d.act(Context::Lettering, Action::ShowLettered);
        d.list(Action::Top);
        d.act(Context::Lettering, Action::Unletter);
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains(&format!("Unletter group {code}")),
            "{name}:\n{screen}"
        );
        d.confirm();
        assert!(
            d.message()
                .starts_with(&format!("unlettered {code} on 411000")),
            "{name}: {}",
            d.message()
        );
        assert!(lines.iter().all(|at| group_code(&ledger, *at).is_none()));
        let items = ledger.open_items(&account("411000"), PARTY).unwrap();
        assert_eq!(items.len(), 5, "{name}");
    }
}

#[test]
fn lettered_lines_refuse_marks_and_lettering_is_refused_when_another_user_got_there_first() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let lines = customer_case(&ledger);
    let keymap = Keymap::embedded();
    let mut app = common::app(&ledger, &keymap);
    app.open(&Route::Lettering {
        account: None,
        party: Some(PARTY.into()),
    });
    let code = next_code(&ledger);
    press(&mut app, "space space space space");
    // Another user letters the same four lines meanwhile.
    let other = Ctx::fixed("bob", demo_ctx().now());
    ledger.letter(&other, &lines[..4]).unwrap();
    press(&mut app, "L");
    let message = app.message().unwrap_or_default().to_string();
    assert!(
        message.contains(&format!("already lettered ({code}) by bob")),
        "{message}"
    );
    assert!(message.contains("read again"), "{message}");
    // The screen was read again: only the later invoice is open.
    let screen = render(&app, 120, 40);
    assert!(screen.contains("1 open"), "{screen}");
    // Lettered lines, when shown, cannot be marked.
    press(&mut app, "t g g space");
    let message = app.message().unwrap_or_default().to_string();
    assert!(
        message.contains(&format!("lettered already ({code})")),
        "{message}"
    );
}

#[test]
fn another_users_lettering_shows_at_the_next_tick_with_the_cursor_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let lines = customer_case(&ledger);
    let keymap = Keymap::embedded();
    let mut app = common::app(&ledger, &keymap);
    app.open(&Route::Lettering {
        account: None,
        party: Some(PARTY.into()),
    });
    press(&mut app, "G");
    assert_eq!(app.record(), Some(format!("entry:{}", lines[4].entry)));
    assert!(render(&app, 80, 24).contains("5 open"));
    let other = Ctx::fixed("bob", demo_ctx().now());
    ledger
        .letter(&other, &[lines[0], lines[1], lines[2], lines[3]])
        .unwrap();
    // The interface polls the change counter every 250 ms: one tick reads the screen again.
    assert!(app.tick());
    let screen = render(&app, 80, 24);
    assert!(screen.contains("1 open"), "{screen}");
    assert_eq!(app.record(), Some(format!("entry:{}", lines[4].entry)));
}

#[test]
fn brackets_walk_through_the_parties_with_open_items() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let parties = ledger.open_item_parties(None).unwrap();
        assert!(parties.len() > 3);
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoLettering);
        // With none opened, the next party is the first one.
        d.act(Context::Lettering, Action::NextParty);
        let title = |p: &folio::ledger::PartyOpen| format!("Lettering {} {}", p.account, p.party);
        assert_eq!(d.app.title(), title(&parties[0]), "{name}");
        d.act(Context::Lettering, Action::NextParty);
        d.act(Context::Lettering, Action::NextParty);
        assert_eq!(d.app.title(), title(&parties[2]), "{name}");
        d.act(Context::Lettering, Action::PrevParty);
        assert_eq!(d.app.title(), title(&parties[1]), "{name}");
        // The keys stay on the open items; back goes up to the parties, then leaves.
        d.list(Action::Mark);
        assert!(
            d.message().starts_with("1 marked"),
            "{name}: {}",
            d.message()
        );
        d.global(Action::Back);
        assert_eq!(d.app.title(), title(&parties[1]), "{name}");
        d.list(Action::Down);
        d.list(Action::Open);
        assert_eq!(d.app.title(), title(&parties[2]), "{name}");
        // Enter on a line drills into its entry.
        d.list(Action::Open);
        assert!(
            d.app.title().starts_with("Entry"),
            "{name}: {}",
            d.app.title()
        );
        d.global(Action::Back);
        assert_eq!(d.app.title(), title(&parties[2]), "{name}");
    }
}

#[test]
fn the_workbench_is_in_the_palette_and_the_help() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let keymap = Keymap::embedded();
    let mut app = common::app(&ledger, &keymap);
    press(&mut app, ": l e t t e r i n g");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("go-lettering"), "{screen}");
    press(&mut app, "enter");
    assert_eq!(app.title(), "Lettering");
    // An action of the workbench from another screen opens it first.
    press(&mut app, "1 : s h o w - l e t t e r e d enter");
    assert_eq!(app.title(), "Lettering");
    press(&mut app, "?");
    let help = render(&app, 120, 40);
    for name in [
        "letter",
        "unletter",
        "next-party",
        "show-lettered",
        "switch-pane",
    ] {
        assert!(help.contains(name), "{name}:\n{help}");
    }
}

/// A customer with two invoices (100 and 200) paid 299,50: 0,50 short, within the tolerance.
fn short_payment_case(ledger: &Ledger) -> Vec<LineRef> {
    ledger
        .add_party(
            &demo_ctx(),
            Party::new(
                PARTY.into(),
                "Zeta Essais".into(),
                PartyKind::Customer,
                account("411000"),
            ),
        )
        .unwrap();
    vec![
        post(ledger, day(11, 2), "FZ1", 10_000),
        post(ledger, day(11, 5), "FZ2", 20_000),
        post(ledger, day(11, 12), "RZ1", -29_950),
    ]
}

#[test]
fn a_short_payment_is_written_off_after_its_entry_is_shown() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let lines = short_payment_case(&ledger);
        let mut d = Driver::new(&ledger, &keymap);
        open_customer(&mut d);
        for _ in 0..3 {
            d.list(Action::Mark);
        }
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("Marked: 3 · total 0,50 D · leaves 0,50 D open · w writes it off"),
            "{name}:\n{screen}"
        );
        d.act(Context::Lettering, Action::WriteOff);
        let screen = render(&d.app, 80, 24);
        for text in ["Write off 0,50 D", "658000 D", "411000 CZTEST C 0,50"] {
            assert!(screen.contains(text), "{name}: {text}\n{screen}");
        }
        d.confirm();
        assert!(
            d.message().starts_with("wrote off 0,50 by OD2026-"),
            "{name}: {}",
            d.message()
        );
        let group = ledger.group_of_line(lines[2]).unwrap().unwrap();
        assert!(group.is_complete(), "{name}");
        assert_eq!(group.lines.len(), 4, "{name}");
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("0 open"), "{name}:\n{screen}");
        // The parties, filtered on the party lettered away, say so on a line of their own.
        assert!(
            screen.contains("\n\"(no row matches “CZTEST”)"),
            "{name}:\n{screen}"
        );
        assert!(screen.contains("\n\"  date "), "{name}:\n{screen}");
    }
}

#[test]
fn suggestions_for_the_payment_apply_with_a_digit_or_enter() {
    for (name, keymap) in presets() {
        for pick in ["digit", "enter"] {
            let dir = tempfile::tempdir().unwrap();
            let ledger = demo_ledger(dir.path());
            let lines = customer_case(&ledger);
            let code = next_code(&ledger);
            let mut d = Driver::new(&ledger, &keymap);
            open_customer(&mut d);
            // A mark on the later invoice, then the cursor on the payment.
            d.list(Action::Bottom).list(Action::Mark).list(Action::Up);
            assert_eq!(d.app.record(), Some(format!("entry:{}", lines[3].entry)));
            d.act(Context::Lettering, Action::Suggest);
            let screen = render(&d.app, 80, 24);
            assert!(screen.contains("Suggestions"), "{name}:\n{screen}");
            assert!(screen.contains("1 exact"), "{name}:\n{screen}");
            match pick {
                "digit" => d.text("1"),
                _ => d.form(Action::NextField),
            };
            assert_eq!(
                d.message(),
                format!("lettered {code} on 411000 (CZTEST): 4 lines, complete"),
                "{name} {pick}"
            );
            assert_eq!(group_code(&ledger, lines[4]), None);
            // The mark on a line the suggestion did not use stays.
            let screen = render(&d.app, 80, 24);
            assert!(
                screen.contains("Marked: 1 · total 50,00 D"),
                "{name}:\n{screen}"
            );
            // The suggestions closed; keys are the list's again.
            d.list(Action::Top);
            assert_eq!(d.app.record(), Some(format!("entry:{}", lines[4].entry)));
        }
        // Cancelled, nothing is written.
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let lines = customer_case(&ledger);
        let mut d = Driver::new(&ledger, &keymap);
        open_customer(&mut d);
        d.act(Context::Lettering, Action::Suggest);
        assert!(render(&d.app, 80, 24).contains("Suggestions"), "{name}");
        d.form(Action::Cancel);
        assert!(!render(&d.app, 80, 24).contains("Suggestions"), "{name}");
        assert_eq!(group_code(&ledger, lines[0]), None);
        assert_eq!(d.app.title(), format!("Lettering 411000 {PARTY}"));
    }
}

#[test]
fn automatic_lettering_of_the_party_after_a_preview() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let lines = customer_case(&ledger);
        let mut d = Driver::new(&ledger, &keymap);
        open_customer(&mut d);
        d.act(Context::Lettering, Action::LetterAuto);
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("Automatic lettering would make 1 group:"),
            "{name}:\n{screen}"
        );
        // The preview wrote nothing.
        assert_eq!(group_code(&ledger, lines[0]), None, "{name}");
        d.confirm();
        assert!(
            d.message()
                .starts_with("lettered 1 group automatically (4 lines)"),
            "{name}: {}",
            d.message()
        );
        for at in &lines[..4] {
            assert!(group_code(&ledger, *at).is_some(), "{name}");
        }
        assert_eq!(group_code(&ledger, lines[4]), None, "{name}");
    }
}

fn workbench_at(ledger: &Arc<Ledger>, party: &str) -> App {
    let mut app = common::app(ledger, &Keymap::embedded());
    app.open(&Route::Lettering {
        account: None,
        party: Some(party.into()),
    });
    app
}

#[test]
fn snapshots_of_the_workbench() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    customer_case(&ledger);
    let mut list = common::app(&ledger, &Keymap::embedded());
    press(&mut list, "8");
    let mut open = workbench_at(&ledger, PARTY);
    press(&mut open, "space j j j space");
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("workbench_parties_{w}x{h}"), render(&list, w, h));
        insta::assert_snapshot!(format!("workbench_marked_{w}x{h}"), render(&open, w, h));
    }
}

#[test]
fn the_workbench_never_panics_at_any_size_or_on_empty_data() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    customer_case(&ledger);
    let sizes = [
        (1, 1),
        (20, 6),
        (30, 8),
        (45, 12),
        (80, 24),
        (200, 60),
        (300, 3),
    ];
    for keys in [
        "8",
        "8 enter",
        "8 ] t",
        "8 ] space L",
        "8 ] s",
        "8 ] u",
        "8 ] a",
        "8 ] w",
    ] {
        let mut app = common::app(&ledger, &Keymap::embedded());
        press(&mut app, keys);
        for (w, h) in sizes {
            render(&app, w, h);
        }
        press(&mut app, "pagedown G g g j k tab pagedown");
        for (w, h) in sizes {
            render(&app, w, h);
        }
    }
    // A party without open items opens on an empty list.
    let second = dir.path().join("second");
    std::fs::create_dir(&second).unwrap();
    let ledger = demo_ledger(&second);
    ledger
        .add_party(
            &demo_ctx(),
            Party::new(
                "CVIDE".into(),
                "Vide".into(),
                PartyKind::Customer,
                account("411000"),
            ),
        )
        .unwrap();
    let mut app = workbench_at(&ledger, "CVIDE");
    press(&mut app, "space L u j k");
    assert!(render(&app, 80, 24).contains("(no open item"));
}

#[test]
fn lines_carried_into_the_opening_entry_read_as_the_lines_they_stand_for() {
    let books = cli::Folio::blank().with_today("2026-12-31");
    books.ok(&cli::w(
        "entry add -j VE -d 2026-06-01 -p F1 -l 'Facture F1' --debit 411@CACME=200 \
         --credit 706=200 --validate",
    ));
    books.ok(&["year", "close"]);
    let ledger = Arc::new(Ledger::open(&books.ledger).unwrap());
    let now = NaiveDate::from_ymd_opt(2027, 1, 15)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .unwrap();
    let mut app = App::new(
        Arc::clone(&ledger),
        Ctx::fixed("demo", now),
        Keymap::embedded(),
    )
    .unwrap();
    app.open(&Route::Lettering {
        account: None,
        party: Some("CACME".into()),
    });
    let screen = render(&app, 120, 40);
    // The opening entry's line shows the invoice's date, piece and age, and where it came from.
    assert!(screen.contains("CACME Acme · 1 open"), "{screen}");
    assert!(screen.contains("01/06/26"), "{screen}");
    assert!(screen.contains("F1"), "{screen}");
    assert!(screen.contains("from F1 VE2026-000001"), "{screen}");
    assert!(screen.contains(" 228 "), "{screen}");
    // With the lettered lines shown, the closed year's own line is not shown again.
    press(&mut app, "t");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("CACME Acme · 1 open"), "{screen}");
    assert!(!screen.contains("VE 1 "), "{screen}");
}

#[test]
fn the_workbench_opens_on_a_ledger_without_posting_settings() {
    let dir = tempfile::tempdir().unwrap();
    let params = folio::ledger::InitParams {
        company: folio::model::Company {
            name: "Vide SARL".into(),
            siren: "732829320".into(),
        },
        first_year_start: day(1, 1),
        first_year_months: 12,
        chart: folio::fixtures::default_chart().unwrap(),
        settings: None,
    };
    let ledger =
        Arc::new(Ledger::create(&dir.path().join("empty.ledger"), &params, &demo_ctx()).unwrap());
    customer_case(&ledger);
    let mut app = workbench_at(&ledger, PARTY);
    assert_eq!(
        app.title(),
        format!("Lettering 411000 {PARTY}"),
        "{:?}",
        app.message()
    );
    press(&mut app, "space space space space L");
    let message = app.message().unwrap_or_default().to_string();
    assert!(message.starts_with("lettered AA on 411000"), "{message}");
}
