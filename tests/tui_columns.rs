//! What the ledger screens, the tab line, text fields, the entries list and the trial balance
//! show at 80 columns and wider, driven by key sequences of each shipped keymap preset.

// Test helpers outside #[test] functions may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use std::sync::Arc;

use chrono::{Days, NaiveDate};
use common::{Driver, demo_ctx, demo_ledger, presets, render};
use folio::formats::entries_csv::ImportedEntry;
use folio::ledger::{ImportOptions, InitParams, Ledger};
use folio::model::{AccountNumber, Amount, Company, EntryInput, Line};
use folio::tui::action::{Action, Context};

fn account(n: &str) -> AccountNumber {
    AccountNumber::parse(n).unwrap()
}

/// The lines of a rendered screen, without the quotes the test backend adds.
fn lines(screen: &str) -> Vec<String> {
    screen
        .lines()
        .map(|l| l.trim_matches('"').to_string())
        .collect()
}

/// Opens an account's ledger from the chart, through the filter.
fn open_ledger(d: &mut Driver, number: &str) {
    d.global(Action::GoChart);
    d.list(Action::Filter).text(number).next();
    d.list(Action::Open);
    assert!(
        d.app.title().starts_with(&format!("Ledger {number}")),
        "{}",
        d.app.title()
    );
}

/// An empty company over fiscal year 2026.
fn empty_ledger(dir: &std::path::Path) -> Arc<Ledger> {
    let params = InitParams {
        company: Company {
            name: "Essai SARL".into(),
            siren: "732829320".into(),
        },
        first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        first_year_months: 12,
        chart: folio::fixtures::default_chart().unwrap(),
        settings: None,
    };
    Arc::new(Ledger::create(&dir.join("essai.ledger"), &params, &demo_ctx()).unwrap())
}

#[test]
fn ledger_screens_on_411000_and_512000_at_80_and_120_columns() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let keymap = folio::tui::Keymap::embedded();
    for number in ["411000", "512000"] {
        let mut d = Driver::new(&ledger, &keymap);
        open_ledger(&mut d, number);
        for (w, h) in [(80, 24), (120, 40)] {
            let screen = render(&d.app, w, h);
            insta::assert_snapshot!(format!("ledger_{number}_{w}x{h}"), screen);
            let rows = lines(&screen);
            let header = &rows[3];
            let mut wanted = vec!["date", "number", "piece", "label", "debit", "credit"];
            if number == "411000" {
                // The collective account names the third party of each line.
                wanted.push("party");
            }
            wanted.push("balance");
            for title in wanted {
                assert!(header.contains(title), "{number} {w}: {title}\n{screen}");
            }
            // Drafts show their journal with their id; balances read D or C.
            assert!(
                rows.iter()
                    .any(|r| r.contains("BQ #") || r.contains("VE #")),
                "{number} {w}\n{screen}"
            );
            assert!(rows[4].trim_end().ends_with(" D") || rows[4].trim_end().ends_with(" C"));
            if w == 120 {
                // Wider terminals add columns.
                if number == "411000" {
                    // Customers: when each invoice falls due.
                    assert!(header.contains("due"), "{screen}");
                    assert!(rows.iter().any(|r| r.contains("25/11/26")), "{screen}");
                } else {
                    assert!(
                        header.contains("status") && header.contains("contra"),
                        "{screen}"
                    );
                }
            } else {
                assert!(!header.contains("status"), "{screen}");
            }
        }
    }
}

#[test]
fn the_third_party_of_a_customer_line_is_shown_at_80_columns() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        open_ledger(&mut d, "411000");
        let screen = render(&d.app, 80, 24);
        let rows = lines(&screen);
        let header = &rows[3];
        let party_at = header.find("party").unwrap();
        // Every line of 411000 names a customer code in the party column.
        for row in &rows[4..rows.len() - 1] {
            let code: String = row
                .chars()
                .skip(party_at)
                .take_while(|c| *c != ' ')
                .collect();
            assert!(
                code.len() >= 3 && code.chars().all(|c| c.is_ascii_alphanumeric()),
                "{name}: {row}\n{screen}"
            );
        }
    }
}

#[test]
fn balances_read_debit_or_credit_and_the_sign_is_a_toggle() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        // Suppliers: a credit balance.
        open_ledger(&mut d, "401000");
        let summary = |d: &Driver| lines(&render(&d.app, 80, 24))[2].clone();
        assert!(
            summary(&d).contains("closing balance 3 800,82 C"),
            "{name}: {}",
            summary(&d)
        );
        d.act(Context::Ledger, Action::BalanceSign);
        assert!(
            summary(&d).contains("closing balance -3 800,82 ·"),
            "{name}: {}",
            summary(&d)
        );
        let screen = render(&d.app, 80, 24);
        assert!(
            !lines(&screen)[4..]
                .iter()
                .any(|r| r.trim_end().ends_with(" C")),
            "{name}\n{screen}"
        );
        d.act(Context::Ledger, Action::BalanceSign);
        assert!(summary(&d).contains("3 800,82 C"), "{name}");
    }
}

#[test]
fn the_tab_line_shows_the_screen_and_the_digit_keys_at_every_width() {
    let screens = [
        (Action::GoHome, "Home"),
        (Action::GoEntries, "Entries"),
        (Action::GoChart, "Chart"),
        (Action::GoBalance, "Balance"),
        (Action::GoParties, "Parties"),
        (Action::GoHistory, "History"),
        (Action::GoDocuments, "Doc"),
    ];
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        for (action, screen_name) in screens {
            d.global(action);
            for width in [80, 100, 120, 200] {
                let top = lines(&render(&d.app, width, 24))[0].clone();
                let key = keymap.hint(Context::Global, action);
                assert!(
                    top.contains(&format!("{key} {screen_name}")),
                    "{name} {width}: {top}"
                );
                // Every digit, in order, at the end of the line.
                let tail = &top[top.find(" 1 ").unwrap()..];
                let mut from = 0;
                for digit in ["1", "2", "3", "4", "5", "6", "7"] {
                    let at = tail[from..]
                        .find(digit)
                        .unwrap_or_else(|| panic!("{name} {width}: {digit} in {top}"));
                    from += at + 1;
                }
            }
            // At 80 columns, only the current screen is named.
            let top = lines(&render(&d.app, 80, 24))[0].clone();
            for (other, other_name) in screens {
                if other != action {
                    assert!(!top.contains(other_name), "{name}: {top}");
                }
            }
        }
    }
}

#[test]
fn a_200_character_label_shows_its_end_while_typing() {
    let label: String = (0..20)
        .map(|i| format!("Libellé{i:03} "))
        .collect::<String>()
        .chars()
        .take(200)
        .collect();
    assert_eq!(label.chars().count(), 200);
    let end: String = label.chars().skip(200 - 16).collect();
    let start: String = label.chars().take(20).collect();
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        d.global(Action::NewEntry);
        d.text("OD").next();
        d.next();
        d.text("P-LONG").next();
        d.text(&label);
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains(&end),
            "{name}: the end is visible\n{screen}"
        );
        assert!(!screen.contains(&start), "{name}\n{screen}");
        // Leaving the field shows its start again; the line's label, which repeats it, scrolls
        // to its end while it has the focus.
        d.next();
        d.text("627000").next();
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains(&start), "{name}\n{screen}");
        assert!(screen.contains(&end), "{name}\n{screen}");
        // The end of the field is visible at 120 columns too.
        d.form(Action::PrevField);
        d.form(Action::PrevField);
        let screen = render(&d.app, 120, 40);
        assert!(screen.contains(&end), "{name}\n{screen}");
    }
}

/// `count` validated bank entries over 2026 up to 20 November, one a day or more.
fn many_entries(ledger: &Ledger, count: usize) {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let options = ImportOptions {
        validate: false,
        allow_existing_pieces: true,
        fec: false,
    };
    let entries = (0..count).map(|i| {
        let date = start + Days::new((i as u64 * 323) / count as u64);
        let amount = Amount::from_cents(100 + i as i64);
        Ok(ImportedEntry {
            taxes: Vec::new(),
            first_line: i as u64 + 2,
            input: EntryInput {
                journal: if i % 10 == 0 { "OD" } else { "BQ" }.into(),
                date,
                piece: format!("P{i:07}"),
                label: format!("Encaissement {i}"),
                lines: vec![
                    Line::debit(account("512000"), amount),
                    Line::credit(account("706000"), amount),
                ],
            },
        })
    });
    ledger
        .import_entries(&demo_ctx(), "many", entries, &options)
        .unwrap();
}

#[test]
fn the_entries_list_pages_past_100000_entries_and_opens_at_the_latest() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = empty_ledger(dir.path());
    let count = 100_100;
    many_entries(&ledger, count);
    for (name, keymap) in presets() {
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        // The latest entry, not the 100,000th.
        assert_eq!(
            d.app.record(),
            Some(format!("entry:{count}")),
            "{name}: opens at the latest"
        );
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("Encaissement 100099"), "{name}\n{screen}");
        assert!(!screen.contains("Only the first"), "{name}\n{screen}");
        d.list(Action::Top);
        assert_eq!(d.app.record().as_deref(), Some("entry:1"), "{name}");
        d.list(Action::Down).list(Action::Down);
        assert_eq!(d.app.record().as_deref(), Some("entry:3"), "{name}");
        d.list(Action::Bottom);
        assert_eq!(d.app.record(), Some(format!("entry:{count}")), "{name}");
        d.list(Action::Up);
        assert_eq!(
            d.app.record(),
            Some(format!("entry:{}", count - 1)),
            "{name}"
        );
        // Someone adds an entry dated before it: the cursor stays on the same entry.
        ledger
            .add_entry(
                &demo_ctx(),
                &EntryInput {
                    journal: "OD".into(),
                    date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                    piece: format!("X-{name}"),
                    label: "Ajout".into(),
                    lines: vec![
                        Line::debit(account("512000"), Amount::from_cents(100)),
                        Line::credit(account("706000"), Amount::from_cents(100)),
                    ],
                },
            )
            .unwrap();
        d.global(Action::Refresh);
        assert_eq!(
            d.app.record(),
            Some(format!("entry:{}", count - 1)),
            "{name}"
        );
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("Encaissement 100098"), "{name}\n{screen}");
        d.list(Action::PageUp);
        let record = d.app.record().unwrap();
        let id: usize = record.trim_start_matches("entry:").parse().unwrap();
        assert!(id < count - 1, "{name}: {record}");
        // A journal: its entries only, still the latest first.
        d.act(Context::Entries, Action::JournalFilter);
        d.text("OD").next();
        assert_eq!(
            d.app.record(),
            Some(format!("entry:{}", count - 9)),
            "{name}: the latest OD entry"
        );
        d.list(Action::Top);
        assert_eq!(d.app.record().as_deref(), Some("entry:1"), "{name}");
        d.list(Action::Down);
        assert_eq!(d.app.record().as_deref(), Some("entry:11"), "{name}");
    }
}

#[test]
fn drafts_on_the_entries_list_show_their_journal() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        let screen = render(&d.app, 80, 24);
        let rows = lines(&screen);
        let last = &rows[rows.len() - 2];
        assert!(last.contains("draft"), "{name}\n{screen}");
        let number = last.split_whitespace().nth(1).unwrap();
        assert!(
            number.len() == 2 && number.chars().all(|c| c.is_ascii_uppercase()),
            "{name}: a journal before the draft's id\n{screen}"
        );
        assert!(last.split_whitespace().nth(2).unwrap().starts_with('#'));
    }
}

#[test]
fn trial_balance_amounts_in_the_billions_are_shown_whole() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = empty_ledger(dir.path());
    let big = Amount::from_cents(358_516_280_200);
    ledger
        .add_entry(
            &demo_ctx(),
            &EntryInput {
                journal: "OD".into(),
                date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                piece: "CAP".into(),
                label: "Apport".into(),
                lines: vec![
                    Line::debit(account("512000"), big),
                    Line::credit(account("101000"), big),
                ],
            },
        )
        .unwrap();
    for (name, keymap) in presets() {
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoBalance);
        for (w, h) in [(80, 24), (120, 40)] {
            let screen = render(&d.app, w, h);
            assert!(screen.contains("3 585 162 802,00"), "{name} {w}\n{screen}");
            assert!(screen.contains("-3 585 162 802,00"), "{name} {w}\n{screen}");
            assert!(!screen.contains("802…"), "{name} {w}\n{screen}");
        }
    }
}
