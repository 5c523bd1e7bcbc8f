//! The lettering workbench with 10,000 open items on one customer: time per key (move, mark,
//! letter) on the screen, each key followed by a frame, against the target of 5 ms.
//!
//! `cargo bench --bench workbench` (release build). `FOLIO_BENCH_ITEMS` sets the number of
//! open items (default 10,000: 5,000 invoices, each followed by its payment).

// A benchmark stops at the first surprise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use folio::formats::entries_csv::ImportedEntry;
use folio::ledger::{Ctx, ImportOptions, InitParams, Ledger};
use folio::model::{AccountNumber, Amount, Company, EntryInput, Line, Party, PartyKind};
use folio::tui::keymap::Key;
use folio::tui::route::Route;
use folio::tui::screens::Env;
use folio::tui::theme::Theme;
use folio::tui::{App, Keymap};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const PARTY: &str = "CBANC";
const TARGET_MS: f64 = 5.0;

fn ctx() -> Ctx {
    let now = NaiveDate::from_ymd_opt(2026, 12, 31)
        .unwrap()
        .and_hms_opt(18, 0, 0)
        .unwrap();
    Ctx::fixed("bench", now)
}

fn account(n: &str) -> AccountNumber {
    AccountNumber::parse(n).unwrap()
}

/// One customer with `items` open items over 2026: an invoice, then its payment, in turn.
fn build(path: &Path, items: usize) -> Ledger {
    let params = InitParams {
        company: Company {
            name: "Banc d'essai SARL".into(),
            siren: "732829320".into(),
        },
        first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        first_year_months: 12,
        chart: folio::fixtures::default_chart().unwrap(),
        settings: None,
    };
    let ledger = Ledger::create(path, &params, &ctx()).unwrap();
    ledger
        .add_party(
            &ctx(),
            Party::new(
                PARTY.into(),
                "Client du banc d'essai".into(),
                PartyKind::Customer,
                account("411000"),
            ),
        )
        .unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let party = Some(PARTY.to_string());
    let entries = (0..items).map(|i| {
        let pair = i / 2;
        let date = start + Days::new((i as u64 * 360) / items as u64);
        let amount = Amount::from_cents(1_000 + (pair as i64 * 7_919) % 400_000);
        let (journal, label, lines) = if i % 2 == 0 {
            (
                "VE",
                format!("Facture {pair}"),
                vec![
                    Line::debit(account("411000"), amount).with_party(party.clone()),
                    Line::credit(account("706000"), amount),
                ],
            )
        } else {
            (
                "BQ",
                format!("Règlement {pair}"),
                vec![
                    Line::debit(account("512000"), amount),
                    Line::credit(account("411000"), amount).with_party(party.clone()),
                ],
            )
        };
        Ok(ImportedEntry {
            taxes: Vec::new(),
            first_line: i as u64 + 2,
            input: EntryInput {
                journal: journal.into(),
                date,
                piece: format!("P{i:06}"),
                label,
                lines,
            },
        })
    });
    let options = ImportOptions {
        validate: true,
        allow_existing_pieces: true,
        fec: false,
    };
    ledger
        .import_entries(&ctx(), "bench", entries, &options)
        .unwrap();
    ledger
}

fn press(app: &mut App, keys: &str) {
    for key in keys.split(' ').filter(|k| !k.is_empty()) {
        app.key(Key::parse(key).unwrap());
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median, 99th percentile and worst of the samples, with PASS or FAIL against the target.
fn report(what: &str, mut samples: Vec<Duration>, target: Option<f64>) -> bool {
    samples.sort();
    let n = samples.len();
    let at = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    let p50 = ms(at(0.5));
    let verdict = match target {
        Some(t) if p50 < t => format!("target < {t} ms: PASS"),
        Some(t) => format!("target < {t} ms: FAIL"),
        None => "-".into(),
    };
    println!(
        "  {what:<46} n={n:<4} p50 {p50:>8.3} ms  p99 {:>8.3}  max {:>8.3}  {verdict}",
        ms(at(0.99)),
        ms(samples[n - 1])
    );
    target.is_none_or(|t| p50 < t)
}

/// Times `keys` then a frame, `n` times.
fn time_keys(
    app: &mut App,
    terminal: &mut Terminal<TestBackend>,
    keys: &str,
    n: usize,
) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let start = Instant::now();
            press(app, keys);
            terminal.draw(|frame| app.render(frame)).unwrap();
            start.elapsed()
        })
        .collect()
}

fn main() {
    let items: usize = std::env::var("FOLIO_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("workbench.ledger");
    println!("Folio lettering workbench benchmark: {items} open items on one customer, 120x40");
    let start = Instant::now();
    let ledger = Arc::new(build(&path, items));
    println!("  built in {:.1} s", start.elapsed().as_secs_f64());
    let open = ledger.open_items(&account("411000"), PARTY).unwrap().len();
    assert_eq!(open, items);

    let mut app = App::new(Arc::clone(&ledger), ctx(), Keymap::embedded()).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let start = Instant::now();
    app.open(&Route::Lettering {
        account: None,
        party: Some(PARTY.into()),
    });
    terminal.draw(|frame| app.render(frame)).unwrap();
    assert!(
        app.title().starts_with("Lettering 411000"),
        "{:?}",
        app.message()
    );
    report(
        "open the party (read + first frame)",
        vec![start.elapsed()],
        None,
    );

    let mut pass = true;
    pass &= report(
        "move down (j) + frame",
        time_keys(&mut app, &mut terminal, "j", 500),
        Some(TARGET_MS),
    );
    pass &= report(
        "move up (k) + frame",
        time_keys(&mut app, &mut terminal, "k", 500),
        Some(TARGET_MS),
    );
    pass &= report(
        "page down + frame",
        time_keys(&mut app, &mut terminal, "pagedown", 100),
        Some(TARGET_MS),
    );
    press(&mut app, "g g");
    pass &= report(
        "mark (space) + frame",
        time_keys(&mut app, &mut terminal, "space", 500),
        Some(TARGET_MS),
    );
    pass &= report(
        "unmark (k space k) + frame",
        time_keys(&mut app, &mut terminal, "k space k", 200),
        None,
    );
    press(&mut app, "g g");
    // Letter an invoice with its payment, each time at the top: the key writes the group (one
    // durable commit) and reads the party again.
    let mut letter = Vec::new();
    for _ in 0..50 {
        press(&mut app, "space space");
        let start = Instant::now();
        press(&mut app, "L");
        terminal.draw(|frame| app.render(frame)).unwrap();
        letter.push(start.elapsed());
        let message = app.message().unwrap_or_default().to_string();
        assert!(message.starts_with("lettered"), "{message}");
        press(&mut app, "g g");
    }
    // Context: most of it is the lettering command itself (measured alone below).
    report(
        "letter two marked lines (L: command, screen, frame)",
        letter,
        None,
    );
    // The write alone, for comparison: one lettering command, one durable commit.
    let mut write = Vec::new();
    for _ in 0..20 {
        let pair = ledger_pair(&ledger);
        let start = Instant::now();
        ledger.letter(&ctx(), &pair).unwrap();
        write.push(start.elapsed());
    }
    report(
        "the lettering command alone (ledger, no screen)",
        write,
        None,
    );
    app.tick();
    // The screen's part of the letter key, without the command: the group shown in place
    // (rows, totals, the party's row) and a frame.
    let keymap = Keymap::embedded();
    let env = Env {
        ledger: &ledger,
        ctx: &ctx(),
        keymap: &keymap,
    };
    let route = Route::Lettering {
        account: None,
        party: Some(PARTY.into()),
    };
    let mut screen = route.resolve(&env).unwrap();
    let theme = Theme::default();
    let area = Rect::new(0, 0, 120, 38);
    let mut shown = Vec::new();
    for _ in 0..50 {
        let group = ledger.letter(&ctx(), &ledger_pair(&ledger)).unwrap();
        let mut buf = Buffer::empty(area);
        let start = Instant::now();
        assert!(screen.lettered(&group));
        screen.render(&mut buf, area, &theme, &keymap);
        shown.push(start.elapsed());
    }
    pass &= report(
        "letter: the screen's part (group shown, frame)",
        shown,
        Some(TARGET_MS),
    );
    app.tick();
    // Another user's change: the screen reads the ledger again at the next tick.
    let mut reread = Vec::new();
    for _ in 0..20 {
        ledger.letter(&ctx(), &ledger_pair(&ledger)).unwrap();
        let start = Instant::now();
        app.tick();
        terminal.draw(|frame| app.render(frame)).unwrap();
        reread.push(start.elapsed());
    }
    report("another user's lettering: tick, read, frame", reread, None);
    println!(
        "  {} open items left; {}",
        ledger.open_items(&account("411000"), PARTY).unwrap().len(),
        if pass {
            "all keys within target"
        } else {
            "SOME KEYS OVER TARGET"
        }
    );
}

/// The first invoice and its payment still open.
fn ledger_pair(ledger: &Ledger) -> Vec<folio::lettering::LineRef> {
    let items = ledger.open_items(&account("411000"), PARTY).unwrap();
    items.iter().take(2).map(|i| i.at).collect()
}
