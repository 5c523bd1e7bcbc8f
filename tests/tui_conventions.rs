//! The interface's keys and conventions, driven by key sequences in both shipped presets:
//! going back and forward, editing text fields, help and palette, saving, reversing,
//! duplicating and parking entries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use common::{Driver, demo_ledger, presets, press, render};
use folio::model::{Amount, EntryStatus};
use folio::tui::action::{Action, Context};
use folio::tui::keymap::Key;

fn key(text: &str) -> Vec<Key> {
    vec![Key::parse(text).unwrap()]
}

fn entry_id(record: Option<String>) -> u64 {
    record
        .and_then(|r| r.strip_prefix("entry:").map(str::to_string))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no entry under the cursor"))
}

#[test]
fn left_goes_back_and_right_drills_down_on_lists() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let keys: &[(&str, &str)] = if name == "default" {
            &[("right", "left"), ("l", "h")]
        } else {
            &[("right", "left")]
        };
        for (open, back) in keys {
            let mut d = Driver::new(&ledger, &keymap);
            d.global(Action::GoEntries);
            assert!(d.app.title().starts_with("Entries"), "{name}");
            press(&mut d.app, open);
            assert!(
                d.app.title().starts_with("Entry "),
                "{name} {open}: {}",
                d.app.title()
            );
            press(&mut d.app, back);
            assert!(
                d.app.title().starts_with("Entries"),
                "{name} {back}: {}",
                d.app.title()
            );
            press(&mut d.app, back);
            assert_eq!(d.app.title(), "Home", "{name} {back}");
        }
        // History has its own key, no longer `h`.
        assert!(
            !keymap
                .keys_for(Context::Global, Action::History)
                .contains(&key("h")),
            "{name}"
        );
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries).global(Action::History);
        assert!(
            d.app.title().starts_with("History"),
            "{name}: {}",
            d.app.title()
        );
    }
}

#[test]
fn ctrl_o_goes_back_and_ctrl_t_forward_in_both_presets_esc_and_alt_arrows_too() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        for (back, forward) in [("ctrl-o", "ctrl-t"), ("alt-left", "alt-right")] {
            let mut d = Driver::new(&ledger, &keymap);
            d.global(Action::GoEntries).list(Action::Open);
            assert!(d.app.title().starts_with("Entry "), "{name}");
            press(&mut d.app, back);
            assert!(d.app.title().starts_with("Entries"), "{name} {back}");
            press(&mut d.app, back);
            assert_eq!(d.app.title(), "Home", "{name} {back}");
            press(&mut d.app, forward);
            assert!(d.app.title().starts_with("Entries"), "{name} {forward}");
            press(&mut d.app, forward);
            assert!(d.app.title().starts_with("Entry "), "{name} {forward}");
            press(&mut d.app, "esc");
            assert!(d.app.title().starts_with("Entries"), "{name} esc");
        }
        // ctrl-o works from the entry grid too, where letters are typed.
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries).global(Action::NewEntry);
        press(&mut d.app, "ctrl-o");
        assert!(d.app.title().starts_with("Entries"), "{name}");
    }
}

/// Types the header of a new entry in journal OD, piece and label as given.
fn header(d: &mut Driver, piece: &str, label: &str) {
    d.global(Action::GoEntries).global(Action::NewEntry);
    d.text("OD").next().next().text(piece).next().text(label);
}

#[test]
fn readline_keys_edit_text_fields_in_both_presets() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        header(&mut d, "A2026-0100", "Loyer mars 2026");
        // alt-b before 2026, ctrl-w cuts "mars ", ctrl-a, ctrl-y pastes it first, ctrl-e.
        press(&mut d.app, "alt-b ctrl-w ctrl-a ctrl-y ctrl-e");
        d.text(" bis");
        // alt-f moves a word forward: from the start, past "mars".
        press(&mut d.app, "ctrl-a alt-f");
        d.text("!");
        d.form(Action::PrevField); // back to the piece
        if name == "emacs" {
            // ctrl-a, ctrl-f, ctrl-k: only "A" is left; ctrl-b, then a letter before it.
            press(&mut d.app, "ctrl-a ctrl-f ctrl-k ctrl-b");
            d.text("Z");
        } else {
            press(&mut d.app, "ctrl-e ctrl-w");
            d.text("Z");
        }
        d.next().next();
        d.text("512").next().next().text("50").next();
        d.text("706").next().next();
        // ctrl-k on a line: the emacs preset cuts the field's text, not the grid line.
        if name == "emacs" {
            press(&mut d.app, "ctrl-e ctrl-k");
        }
        d.next();
        d.act(Context::Editor, Action::SaveDraft);
        let id = ledger.draft_count().unwrap();
        assert!(
            d.message().starts_with("saved draft"),
            "{name}: {}",
            d.message()
        );
        let entry = ledger
            .entries(&Default::default())
            .unwrap()
            .into_iter()
            .max_by_key(|e| e.id)
            .unwrap();
        assert!(id > 0);
        assert_eq!(entry.label, "mars! Loyer 2026 bis", "{name}");
        let piece = if name == "emacs" { "ZA" } else { "A2026-Z" };
        assert_eq!(entry.piece, piece, "{name}");
        assert_eq!(entry.lines.len(), 2, "{name}");
        assert_eq!(entry.total_debit(), Amount::from_cents(5_000), "{name}");
    }
}

#[test]
fn deleting_a_grid_line_keeps_its_key_in_each_preset() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        header(&mut d, "X1", "Test");
        d.next();
        d.text("512").next().next().text("50").next();
        d.text("706").next().next().next().next();
        d.text("606").next().next().text("10").next();
        // The third line (606) goes: up to it, then delete-line.
        d.form(Action::PrevLine);
        let delete = if name == "emacs" { "alt-k" } else { "ctrl-k" };
        press(&mut d.app, delete);
        d.act(Context::Editor, Action::SaveDraft);
        let entry = ledger
            .entries(&Default::default())
            .unwrap()
            .into_iter()
            .max_by_key(|e| e.id)
            .unwrap();
        assert_eq!(entry.piece, "X1", "{name}: {}", d.message());
        let accounts: Vec<&str> = entry.lines.iter().map(|l| l.account.as_str()).collect();
        assert_eq!(accounts, vec!["512000", "706000"], "{name}");
    }
}

#[test]
fn help_of_the_grid_lists_only_keys_that_work_while_typing_and_groups_global_keys() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        d.global(Action::Help);
        let screen = render(&d.app, 120, 80);
        assert!(screen.contains("[global: screens]"), "{name}:\n{screen}");
        assert!(screen.contains("[global: moving]"), "{name}:\n{screen}");
        assert!(screen.contains("go-home"), "{name}:\n{screen}");
        d.global(Action::Back);
        d.global(Action::NewEntry);
        d.global(Action::Help);
        let screen = render(&d.app, 120, 80);
        assert!(screen.contains("[editor]"), "{name}:\n{screen}");
        assert!(screen.contains("park"), "{name}:\n{screen}");
        assert!(!screen.contains("go-home"), "{name}: 1 is typed\n{screen}");
        assert!(
            !screen.contains("q, ctrl-c"),
            "{name}: q is typed\n{screen}"
        );
        assert!(screen.contains("[global: moving]"), "{name}:\n{screen}");
    }
}

#[test]
fn the_palette_shows_every_key_on_question_mark() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries)
            .global(Action::Palette)
            .text("back");
        let screen = render(&d.app, 120, 40);
        assert!(!screen.contains("alt-left"), "{name}:\n{screen}");
        d.text("?");
        let screen = render(&d.app, 120, 40);
        assert!(screen.contains("alt-left"), "{name}:\n{screen}");
        assert!(screen.contains("ctrl-o"), "{name}:\n{screen}");
        assert!(screen.contains("every key"), "{name}:\n{screen}");
    }
}

#[test]
fn the_palette_finds_actions_of_every_screen_and_goes_there() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        assert_eq!(d.app.title(), "Home");
        d.global(Action::Palette).text("valid");
        let screen = render(&d.app, 120, 40);
        assert!(
            screen.contains("entries: validate-until"),
            "{name}:\n{screen}"
        );
        d.text(" until");
        d.next();
        assert!(
            d.app.title().starts_with("Entries"),
            "{name}: {}",
            d.app.title()
        );
        let screen = render(&d.app, 120, 40);
        assert!(
            screen.contains("Validate every draft dated up to"),
            "{name}:\n{screen}"
        );
    }
}

/// Types a balanced two-line entry in OD on the grid already open at the journal field.
fn two_lines(d: &mut Driver, piece: &str, date: &str) {
    d.text("OD")
        .next()
        .text(date)
        .next()
        .text(piece)
        .next()
        .text("Essai")
        .next();
    d.text("512").next().next().text("30").next();
    d.text("706").next().next().next();
}

#[test]
fn a_saved_entry_is_under_the_cursor_back_on_the_list() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries).list(Action::Top);
        let first = d.app.record();
        d.global(Action::NewEntry);
        two_lines(&mut d, "S1", "15/11/2026");
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message().contains("saved draft"),
            "{name}: {}",
            d.message()
        );
        d.form(Action::Cancel);
        assert!(d.app.title().starts_with("Entries"), "{name}");
        assert_ne!(d.app.record(), first, "{name}");
        let entry = ledger.entry(entry_id(d.app.record())).unwrap();
        assert_eq!(entry.piece, "S1", "{name}");
    }
}

#[test]
fn reversing_asks_the_date_today_or_the_first_of_next_month() {
    for (name, keymap) in presets() {
        for (answer, day) in [("", 20), ("+", 0)] {
            let dir = tempfile::tempdir().unwrap();
            let ledger = demo_ledger(dir.path());
            // A validated entry typed by hand (not generated from a document).
            let entry = ledger
                .entries(&Default::default())
                .unwrap()
                .into_iter()
                .find(|e| e.is_validated() && e.source.is_none() && e.journal == "OD")
                .expect("a validated OD entry");
            let mut d = Driver::new(&ledger, &keymap);
            d.global(Action::GoEntries)
                .list(Action::Filter)
                .text(&entry.reference())
                .next();
            let id = entry_id(d.app.record());
            assert_eq!(id, entry.id, "{name}");
            d.act(Context::Entries, Action::Reverse);
            let screen = render(&d.app, 120, 40);
            assert!(screen.contains("01/12/2026"), "{name}:\n{screen}");
            d.text(answer).next();
            let reversal = ledger
                .reversal_of(id)
                .unwrap()
                .unwrap_or_else(|| panic!("{name}: not reversed: {}", d.message()));
            let date = ledger.entry(reversal).unwrap().date;
            let expected = if day == 0 {
                chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
            } else {
                chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
            };
            assert_eq!(date, expected, "{name} `{answer}`: {}", d.message());
        }
    }
}

#[test]
fn a_message_too_long_for_the_status_line_opens_whole_in_a_box() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        header(&mut d, "X1", "Test");
        d.next();
        d.text("zzqqx");
        d.act(Context::Editor, Action::SaveDraft);
        let message = d.message();
        assert!(message.chars().count() > 80, "{name}: {message}");
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("message above"), "{name}:\n{screen}");
        let flat: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        let tail: String = message
            .split_whitespace()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(&tail), "{name}: `{tail}` cut\n{screen}");
    }
}

#[test]
fn duplicate_an_entry_into_the_grid_as_a_new_draft() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries).list(Action::Top);
        let original = ledger.entry(entry_id(d.app.record())).unwrap();
        press(&mut d.app, "y");
        assert_eq!(d.app.title(), "New entry", "{name}: {}", d.message());
        d.next().text("D-COPY");
        d.act(Context::Editor, Action::SaveDraft);
        let copy = ledger
            .entries(&Default::default())
            .unwrap()
            .into_iter()
            .max_by_key(|e| e.id)
            .unwrap();
        assert_ne!(copy.id, original.id, "{name}");
        assert_eq!(copy.status, EntryStatus::Draft, "{name}");
        assert_eq!(copy.piece, "D-COPY", "{name}");
        assert_eq!(copy.date, common::demo_ctx().today, "{name}");
        assert_eq!(copy.lines, original.lines, "{name}");
        assert_eq!(copy.label, original.label, "{name}");
    }
}

#[test]
fn park_an_unbalanced_entry_outside_the_books_then_resume_it() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let entries = ledger.entry_count().unwrap();
        let findings = ledger.check().unwrap().findings.len();
        let mut d = Driver::new(&ledger, &keymap);
        header(&mut d, "P-1", "A finir");
        d.next();
        d.text("606").next().next().text("80").next();
        d.act(Context::Editor, Action::Park);
        assert!(
            d.message().starts_with("parked P1"),
            "{name}: {}",
            d.message()
        );
        assert!(d.app.title().starts_with("Entries"), "{name}");
        // Outside the books: no entry, no total, no check finding.
        assert_eq!(ledger.entry_count().unwrap(), entries, "{name}");
        assert_eq!(ledger.check().unwrap().findings.len(), findings, "{name}");
        assert_eq!(ledger.parked_entries().unwrap().len(), 1, "{name}");
        assert_eq!(ledger.history("parked:1").unwrap().len(), 1, "{name}");
        // Listed last on the entries screen, as parked; validating it is refused.
        d.list(Action::Bottom);
        assert_eq!(d.app.record().as_deref(), Some("parked:1"), "{name}");
        let screen = render(&d.app, 120, 40);
        assert!(screen.contains("parked"), "{name}:\n{screen}");
        d.act(Context::Entries, Action::Validate);
        assert!(d.message().contains("outside the books"), "{name}");
        // Validating every draft leaves it alone: it is not a draft.
        ledger
            .validate(
                &common::demo_ctx(),
                &folio::ledger::Selection::Until {
                    date: common::demo_ctx().today,
                    journal: Some("OD".into()),
                },
            )
            .unwrap();
        assert_eq!(ledger.parked_entries().unwrap().len(), 1, "{name}");
        // Resumed, then parked again: still one parked entry, the same one.
        d.list(Action::Bottom).list(Action::Open);
        assert_eq!(d.app.title(), "New entry from parked P1", "{name}");
        d.act(Context::Editor, Action::Park);
        assert!(
            d.message().starts_with("parked P1"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(ledger.parked_entries().unwrap().len(), 1, "{name}");
        // Resumed: the grid holds it; a balancing line, then it is saved as a draft.
        d.list(Action::Bottom).list(Action::Open);
        assert_eq!(d.app.title(), "New entry from parked P1", "{name}");
        d.form(Action::NextLine);
        d.text("512").next().next().next();
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message().contains("saved draft"),
            "{name}: {}",
            d.message()
        );
        assert!(ledger.parked_entries().unwrap().is_empty(), "{name}");
        assert_eq!(ledger.entry_count().unwrap(), entries + 1, "{name}");
        let entry = ledger
            .entries(&Default::default())
            .unwrap()
            .into_iter()
            .max_by_key(|e| e.id)
            .unwrap();
        assert_eq!(entry.piece, "P-1", "{name}");
        assert_eq!(entry.total_debit(), Amount::from_cents(8_000), "{name}");
        assert_eq!(ledger.history("parked:1").unwrap().len(), 3, "{name}");
    }
}

#[test]
fn a_parked_entry_is_dropped_from_the_list_after_asking() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        header(&mut d, "P-2", "Brouillon");
        d.next();
        d.text("606").next().next().text("12").next();
        d.act(Context::Editor, Action::Park);
        d.list(Action::Bottom);
        assert_eq!(d.app.record().as_deref(), Some("parked:1"), "{name}");
        d.act(Context::Entries, Action::DeleteEntry).confirm();
        assert!(
            d.message().contains("dropped parked P1"),
            "{name}: {}",
            d.message()
        );
        assert!(ledger.parked_entries().unwrap().is_empty(), "{name}");
        assert_ne!(d.app.record().as_deref(), Some("parked:1"), "{name}");
    }
}

#[test]
fn duplicate_from_the_entry_screen() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries)
            .list(Action::Top)
            .list(Action::Open);
        assert!(d.app.title().starts_with("Entry "), "{name}");
        d.act(Context::Entry, Action::Duplicate);
        assert_eq!(d.app.title(), "New entry", "{name}: {}", d.message());
    }
}

#[test]
fn the_first_completion_of_401_is_a_supplier_line() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        header(&mut d, "C401", "Fournisseur");
        d.next();
        d.text("401").next();
        assert!(
            !d.message().contains("needs a third party"),
            "{name}: {}",
            d.message()
        );
        d.next().next().text("25").next();
        d.text("607").next().next().next();
        d.act(Context::Editor, Action::SaveDraft);
        let entry = ledger
            .entries(&Default::default())
            .unwrap()
            .into_iter()
            .max_by_key(|e| e.id)
            .unwrap();
        assert_eq!(entry.piece, "C401", "{name}: {}", d.message());
        assert_eq!(entry.lines[0].account.as_str(), "401000", "{name}");
        assert!(entry.lines[0].third_party.is_some(), "{name}");
    }
}
