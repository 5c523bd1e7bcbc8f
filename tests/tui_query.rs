//! The `/` query language, the period keys and the drafts toggle, driven by the keys of each
//! shipped keymap preset.

#[path = "tui_common/mod.rs"]
mod common;

use common::{Driver, demo_ctx, demo_ledger, presets};
use folio::ledger::{EntryFilter, Ledger};
use folio::model::{Amount, EntryStatus, FiscalYear};
use folio::tui::action::{Action, Context};

#[allow(clippy::unwrap_used)]
fn year(ledger: &Ledger) -> FiscalYear {
    ledger
        .years()
        .unwrap()
        .into_iter()
        .find(|y| y.contains(demo_ctx().today))
        .unwrap()
}

/// The status line (last line) of the screen at 80x24.
fn status(d: &Driver) -> String {
    let screen = common::render(&d.app, 80, 24);
    screen.lines().last().unwrap_or_default().to_string()
}

#[test]
fn entries_filtered_by_account_prefix_and_amount_show_n_of_m() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let year = year(&ledger);
        let entries = ledger
            .entries(&EntryFilter {
                journal: None,
                from: Some(year.start),
                to: Some(year.end),
            })
            .unwrap();
        let total = entries.len();
        let wanted = entries
            .iter()
            .filter(|e| {
                e.lines
                    .iter()
                    .any(|l| l.account.as_str().starts_with("411"))
            })
            .filter(|e| e.total_debit() > Amount::from_cents(50_000))
            .count();
        assert!(wanted > 0 && wanted < total, "the demo has such entries");
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        d.list(Action::Filter).text("acct:411 amt:>500").next();
        let line = status(&d);
        assert!(
            line.contains(&format!("{wanted} of {total}")),
            "{name}: {line}"
        );
        // Every entry shown touches a 411 account: its record is such an entry.
        let record = d.app.record().unwrap();
        let id: u64 = record.trim_start_matches("entry:").parse().unwrap();
        let entry = ledger.entry(id).unwrap();
        assert!(
            entry
                .lines
                .iter()
                .any(|l| l.account.as_str().starts_with("411"))
        );
        assert!(entry.total_debit() > Amount::from_cents(50_000), "{name}");
    }
}

#[test]
fn an_amount_is_found_however_it_is_typed() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let year = year(&ledger);
        let entries = ledger
            .entries(&EntryFilter {
                journal: None,
                from: Some(year.start),
                to: Some(year.end),
            })
            .unwrap();
        // An entry of at least a thousand euros, typed with its digit groups.
        let big = entries
            .iter()
            .rev()
            .find(|e| e.total_debit() >= Amount::from_cents(100_000))
            .unwrap();
        let amount = big.total_debit();
        let same = entries.iter().filter(|e| e.total_debit() == amount).count();
        for typed in [amount.to_plain(), amount.to_french(), amount.to_comma()] {
            let mut d = Driver::new(&ledger, &keymap);
            d.global(Action::GoEntries);
            d.list(Action::Filter).text(&format!("amt:{typed}")).next();
            let line = status(&d);
            assert!(
                line.contains(&format!("{same} of {}", entries.len())),
                "{name} {typed}: {line}"
            );
        }
    }
}

#[test]
fn a_malformed_term_is_an_error_on_the_status_line() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        for (query, error) in [
            ("amt:abc", "`amt:abc`: not an amount"),
            ("date:2026-13", "`date:2026-13`: `2026-13` is not a date"),
        ] {
            d.list(Action::Filter).text(query);
            // While typing, the error is shown next to the query.
            let typing = common::render(&d.app, 120, 40);
            assert!(typing.contains(error), "{name}: {typing}");
            d.next();
            let line = status(&d);
            assert!(line.contains(error), "{name}: {line}");
            // The rows are not silently emptied.
            assert!(d.app.record().is_some(), "{name}");
            d.global(Action::Back);
        }
        // `open` on a list without open items says so.
        d.list(Action::Filter).text("open").next();
        let line = status(&d);
        assert!(line.contains("open items are not known"), "{name}: {line}");
    }
}

#[test]
fn account_prefix_is_not_a_substring_and_words_ignore_accents() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoChart);
        d.list(Action::Filter).text("acct:411").next();
        let screen = common::render(&d.app, 80, 24);
        assert!(screen.contains("411000"), "{name}:\n{screen}");
        assert!(!screen.contains("641100"), "{name}:\n{screen}");
        d.global(Action::Back);
        // "vernet unpaid" was nothing; "vernet" with an accent-free word finds the customer.
        d.global(Action::GoParties);
        d.list(Action::Filter).text("VÉRNET").next();
        assert_eq!(d.app.record().as_deref(), Some("party:CVERNET"), "{name}");
    }
}

#[test]
fn open_finds_the_documents_still_due() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoDocuments);
        d.list(Action::Filter).text("open").next();
        let line = status(&d);
        assert!(!line.contains('`'), "{name}: {line}");
        let screen = common::render(&d.app, 120, 40);
        for row in screen.lines().skip(3) {
            assert!(!row.contains(" paid "), "{name}: {row}");
        }
    }
}

#[test]
fn a_filtered_ledger_totals_its_lines_and_marks_the_balance_as_the_accounts() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let year = year(&ledger);
        let bank = folio::model::AccountNumber::parse("512000").unwrap();
        let page = ledger
            .account_ledger(&bank, Some(year.start), Some(year.end), 0, usize::MAX)
            .unwrap();
        let big = Amount::from_cents(100_000);
        // `amt:` compares with the line's debit or credit.
        let found: Vec<_> = page
            .rows
            .iter()
            .filter(|r| r.debit > big || r.credit > big)
            .collect();
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoChart);
        d.list(Action::Filter).text("acct:512000").next();
        d.list(Action::Open);
        assert!(d.app.title().starts_with("Ledger 512000"), "{name}");
        d.list(Action::Filter)
            .text("amt:>1000 not:status:draft")
            .next();
        let screen = common::render(&d.app, 120, 40);
        let wanted: Vec<_> = found
            .iter()
            .filter(|r| !r.reference.starts_with('#'))
            .collect();
        let debit: Amount = wanted.iter().map(|r| r.debit).sum();
        let credit: Amount = wanted.iter().map(|r| r.credit).sum();
        assert!(wanted.len() < found.len() || found.iter().all(|r| !r.reference.starts_with('#')));
        assert!(
            screen.contains(&format!(
                "Filtered lines: debit {} · credit {}",
                debit.to_french(),
                credit.to_french()
            )),
            "{name}:\n{screen}"
        );
        assert!(
            screen.contains(&format!("{} of {} lines", wanted.len(), page.rows.len())),
            "{name}:\n{screen}"
        );
        assert!(screen.contains("acct balance"), "{name}:\n{screen}");
    }
}

#[test]
fn period_keys_step_by_the_same_length_and_come_back_to_the_year() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        // Trial balance: a month, the month before, the year again.
        d.global(Action::GoBalance);
        d.act(Context::Balance, Action::SetRange)
            .text("\u{8}".repeat(0).as_str());
        // Clear the prompt's text, then type a month.
        for _ in 0..30 {
            d.app
                .key(folio::tui::keymap::Key::parse("backspace").unwrap());
        }
        d.text("2026-03").next();
        assert!(
            d.app.title().contains("01/03/2026 – 31/03/2026"),
            "{name}: {}",
            d.app.title()
        );
        d.act(Context::Balance, Action::PrevPeriod);
        assert!(
            d.app.title().contains("01/02/2026 – 28/02/2026"),
            "{name}: {}",
            d.app.title()
        );
        d.act(Context::Balance, Action::NextPeriod)
            .act(Context::Balance, Action::NextPeriod);
        assert!(
            d.app.title().contains("01/04/2026 – 30/04/2026"),
            "{name}: {}",
            d.app.title()
        );
        d.act(Context::Balance, Action::WholeYear);
        assert!(
            d.app.title().contains("01/01/2026 – 31/12/2026"),
            "{name}: {}",
            d.app.title()
        );
        // Entries: the year before, then back.
        d.global(Action::GoEntries);
        d.act(Context::Entries, Action::PrevPeriod);
        assert!(d.app.title().contains("2025"), "{name}: {}", d.app.title());
        d.act(Context::Entries, Action::WholeYear);
        assert!(d.app.title().contains("2026"), "{name}: {}", d.app.title());
        // A ledger: the year before has other lines.
        d.global(Action::GoChart);
        d.list(Action::Filter).text("acct:512000").next();
        d.list(Action::Open);
        d.act(Context::Ledger, Action::PrevPeriod);
        let screen = common::render(&d.app, 120, 40);
        assert!(
            screen.contains("01/01/2025 – 31/12/2025"),
            "{name}:\n{screen}"
        );
        d.act(Context::Ledger, Action::NextPeriod);
        let screen = common::render(&d.app, 120, 40);
        assert!(
            screen.contains("01/01/2026 – 31/12/2026"),
            "{name}:\n{screen}"
        );
    }
}

#[test]
fn the_drafts_toggle_is_labelled_and_changes_the_figures() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        assert!(ledger.draft_count().unwrap() > 0, "the demo has drafts");
        let year = year(&ledger);
        let validated = ledger
            .trial_balance_validated(year.start, year.end)
            .unwrap();
        let drafted = ledger.trial_balance(year.start, year.end).unwrap();
        assert_ne!(validated, drafted, "the drafts move some balance");
        let mut d = Driver::new(&ledger, &keymap);
        let home = common::render(&d.app, 80, 24);
        assert!(home.contains("drafts included"), "{name}:\n{home}");
        d.act(Context::Home, Action::ToggleDrafts);
        let home = common::render(&d.app, 80, 24);
        assert!(home.contains("validated entries only"), "{name}:\n{home}");
        d.global(Action::GoBalance);
        assert!(d.app.title().contains("drafts included"), "{name}");
        let with_drafts = common::render(&d.app, 120, 40);
        d.act(Context::Balance, Action::ToggleDrafts);
        assert!(
            d.app.title().contains("validated entries only"),
            "{name}: {}",
            d.app.title()
        );
        let without = common::render(&d.app, 120, 40);
        assert_ne!(with_drafts, without, "{name}");
        d.list(Action::Bottom);
        let without = common::render(&d.app, 120, 40);
        // The grand total is the validated entries' total.
        let debit: Amount = validated.iter().map(|r| r.debit).sum();
        assert!(without.contains(&debit.to_french()), "{name}:\n{without}");
        let drafts_only = ledger
            .entries(&EntryFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.status == EntryStatus::Draft)
            .count();
        assert!(drafts_only > 0);
    }
}

#[test]
fn the_help_of_a_list_explains_the_query_and_the_period_keys() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoBalance);
        d.global(Action::Help);
        let help = common::render(&d.app, 160, 120);
        for text in [
            "[filter query]",
            "An account number starting with 411",
            "amt:1200 amt:>500",
            "Previous period of the same length",
            "Back to the whole fiscal year",
            "Include drafts in the figures",
        ] {
            assert!(help.contains(text), "{name}: {text}\n{help}");
        }
    }
}
