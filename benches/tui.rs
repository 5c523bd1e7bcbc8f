//! Interface performance on a large synthetic ledger: first frame, time per key in a long
//! ledger and a long list, bytes written to the terminal per scroll key, resident memory.
//!
//! `cargo bench --bench tui` (release build). `FOLIO_BENCH_ENTRIES` sets the ledger size
//! (default 1,000,000 entries, all on one bank account); `FOLIO_BENCH_LEDGER` keeps the built
//! ledger at a path and reuses it on the next run.

// A benchmark stops at the first surprise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use folio::formats::entries_csv::ImportedEntry;
use folio::ledger::{Ctx, ImportOptions, InitParams, Ledger};
use folio::model::{AccountNumber, Amount, Company, EntryInput, Line};
use folio::tui::keymap::Key;
use folio::tui::{App, Keymap};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
/// Entries per import transaction while building.
const BATCH: usize = 100_000;

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

/// `count` validated bank entries over 2026, every one on 512000 (against 706000).
fn build(path: &Path, count: usize) -> Ledger {
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
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let options = ImportOptions {
        validate: true,
        allow_existing_pieces: true,
        fec: false,
    };
    let mut done = 0;
    while done < count {
        let batch = BATCH.min(count - done);
        let entries = (done..done + batch).map(|i| {
            let date = start + Days::new((i as u64 * 365) / count as u64);
            let cents = 100 + (i as i64 * 7919) % 500_000;
            let amount = Amount::from_cents(cents);
            Ok(ImportedEntry {
                taxes: Vec::new(),
                first_line: i as u64 + 2,
                input: EntryInput {
                    journal: "BQ".into(),
                    date,
                    piece: format!("P{i:07}"),
                    label: format!("Encaissement client numéro {i}"),
                    lines: vec![
                        Line::debit(account("512000"), amount),
                        Line::credit(account("706000"), amount),
                    ],
                },
            })
        });
        ledger
            .import_entries(&ctx(), "bench", entries, &options)
            .unwrap();
        done += batch;
        eprint!("\r  built {done} / {count} entries");
    }
    eprintln!();
    ledger
}

fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn press(app: &mut App, keys: &str) {
    for key in keys.split(' ').filter(|k| !k.is_empty()) {
        app.key(Key::parse(key).unwrap());
    }
}

struct Stats {
    samples: Vec<Duration>,
}

impl Stats {
    fn report(&mut self, what: &str) {
        self.samples.sort();
        let n = self.samples.len();
        let total: Duration = self.samples.iter().sum();
        let at = |q: f64| self.samples[((n as f64 * q) as usize).min(n - 1)];
        println!(
            "  {what:<44} n={n:<5} mean {:>7.3} ms  p50 {:>7.3}  p99 {:>7.3}  max {:>7.3}",
            ms(total / n as u32),
            ms(at(0.5)),
            ms(at(0.99)),
            ms(self.samples[n - 1])
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Presses `key` `n` times, drawing after each, and times key plus frame.
fn time_keys(app: &mut App, terminal: &mut Terminal<TestBackend>, key: &str, n: usize) -> Stats {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        press(app, key);
        terminal.draw(|frame| app.render(frame)).unwrap();
        samples.push(start.elapsed());
    }
    Stats { samples }
}

/// Counts what a terminal would receive.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn bytes_per_key(app: &mut App, key: &str, n: usize) -> f64 {
    let counter = Counter::default();
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, WIDTH, HEIGHT)),
    };
    let mut terminal =
        Terminal::with_options(CrosstermBackend::new(counter.clone()), options).unwrap();
    terminal.draw(|frame| app.render(frame)).unwrap();
    let before = counter.0.load(Ordering::Relaxed);
    for _ in 0..n {
        press(app, key);
        terminal.draw(|frame| app.render(frame)).unwrap();
    }
    (counter.0.load(Ordering::Relaxed) - before) as f64 / n as f64
}

fn main() {
    let count: usize = std::env::var("FOLIO_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = std::env::var_os("FOLIO_BENCH_LEDGER")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.ledger"));
    println!("Folio TUI benchmark, {WIDTH}x{HEIGHT} frames");
    if !path.exists() {
        println!(
            "building a synthetic ledger of {count} validated entries, all on 512000 (two lines each)"
        );
        let start = Instant::now();
        drop(build(&path, count));
        println!("  built in {:.1} s", start.elapsed().as_secs_f64());
    } else {
        println!("reusing {}", path.display());
    }

    // First frame: open the ledger, build the home screen, draw it.
    let start = Instant::now();
    let ledger =
        Arc::new(Ledger::open_with_cache(&path, folio::ledger::BROWSING_CACHE_BYTES).unwrap());
    let entries = ledger.entry_count().unwrap();
    let open = start.elapsed();
    let mut app = App::new(Arc::clone(&ledger), ctx(), Keymap::embedded()).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
    terminal.draw(|frame| app.render(frame)).unwrap();
    let first = start.elapsed();
    println!("\nledger of {entries} entries");
    println!(
        "  first frame (open + home screen + draw)       {:>8.1} ms  (open {:.1} ms; target < 100 ms)",
        ms(first),
        ms(open)
    );
    println!(
        "  resident memory after the first frame         {:>8.1} MiB",
        resident_mib()
    );

    // The bank account's ledger: every entry has a line there.
    let start = Instant::now();
    press(&mut app, "3 / 5 1 2 0 0 0 enter enter");
    terminal.draw(|frame| app.render(frame)).unwrap();
    println!(
        "\naccount ledger 512000 ({} lines), paged by keyset windows",
        ledger
            .ledger_line_count(
                &folio::ledger::LedgerOf::Account(account("512000")),
                None,
                None
            )
            .unwrap()
    );
    println!(
        "  open at the last line                         {:>8.1} ms",
        ms(start.elapsed())
    );
    time_keys(&mut app, &mut terminal, "k", 2_000).report("k (up), key + frame");
    time_keys(&mut app, &mut terminal, "pageup", 500).report("PageUp, key + frame");
    time_keys(&mut app, &mut terminal, "g g", 1).report("g g (to the first line)");
    time_keys(&mut app, &mut terminal, "j", 2_000).report("j (down), key + frame");
    time_keys(&mut app, &mut terminal, "pagedown", 500).report("PageDown, key + frame");
    time_keys(&mut app, &mut terminal, "G", 1).report("G (to the last line)");
    println!(
        "  bytes written per k, scrolling (CrosstermBackend) {:>4.0}",
        bytes_per_key(&mut app, "k", 200)
    );
    println!(
        "  bytes written per PageUp                      {:>8.0}",
        bytes_per_key(&mut app, "pageup", 200)
    );
    // The usual case: the cursor moves within the page and only two rows change.
    press(&mut app, "g g");
    println!(
        "  bytes written per j, within a page            {:>8.0}",
        bytes_per_key(&mut app, "j", usize::from(HEIGHT) / 2)
    );
    println!(
        "  resident memory                               {:>8.1} MiB",
        resident_mib()
    );

    // The entries of the whole fiscal year, as the Entries screen opens: every entry, the
    // cursor on the latest.
    press(&mut app, "1");
    let start = Instant::now();
    press(&mut app, "2");
    terminal.draw(|frame| app.render(frame)).unwrap();
    let load = start.elapsed();
    let screen = terminal.backend().to_string();
    let last_row = screen
        .lines()
        .rev()
        .nth(1)
        .unwrap_or_default()
        .trim_matches('"')
        .trim()
        .to_string();
    println!("\nentries screen, whole fiscal year ({entries} entries)");
    println!(
        "  open (cursor on the latest entry)             {:>8.1} ms",
        ms(load)
    );
    println!("  last row shown: {last_row}");
    time_keys(&mut app, &mut terminal, "g g", 5).report("g g (to the first entry)");
    time_keys(&mut app, &mut terminal, "G", 5).report("G (to the latest entry)");
    time_keys(&mut app, &mut terminal, "k", 2_000).report("k (up), key + frame");
    time_keys(&mut app, &mut terminal, "pageup", 500).report("PageUp, key + frame");
    println!(
        "  resident memory                               {:>8.1} MiB",
        resident_mib()
    );

    // A list held in memory: the entries of one month (or of the year when smaller).
    let month = if entries > 200_000 { "2026-03" } else { "2026" };
    let start = Instant::now();
    press(&mut app, "2 p");
    app.type_text(month);
    press(&mut app, "enter");
    terminal.draw(|frame| app.render(frame)).unwrap();
    let load = start.elapsed();
    let screen = terminal.backend().to_string();
    let title = screen
        .lines()
        .next()
        .unwrap_or_default()
        .trim_matches('"')
        .trim();
    println!("\nentries list, period {month} ({title})");
    println!(
        "  load the period                               {:>8.1} ms",
        ms(load)
    );
    time_keys(&mut app, &mut terminal, "k", 2_000).report("k (up), key + frame");
    time_keys(&mut app, &mut terminal, "pageup", 500).report("PageUp, key + frame");
    time_keys(&mut app, &mut terminal, "g g", 1).report("g g (to the first row)");
    time_keys(&mut app, &mut terminal, "j", 2_000).report("j (down), key + frame");
    time_keys(&mut app, &mut terminal, "pagedown", 500).report("PageDown, key + frame");
    println!(
        "  bytes written per j (CrosstermBackend)        {:>8.0}",
        bytes_per_key(&mut app, "j", 200)
    );
    println!(
        "  resident memory                               {:>8.1} MiB",
        resident_mib()
    );

    // The `/` query: on the entries list held in memory it applies as each key is typed; on a
    // long ledger, when Enter is pressed (every line is read once).
    let query = "acct:512 amt:>=500";
    let start = Instant::now();
    press(&mut app, "/");
    app.type_text(query);
    press(&mut app, "enter");
    terminal.draw(|frame| app.render(frame)).unwrap();
    let typed = start.elapsed();
    println!("\nfilter query `{query}`");
    println!(
        "  entries list, typed key by key (per key)      {:>8.1} ms",
        ms(typed) / (query.len() + 2) as f64
    );
    press(&mut app, "esc 3 / 5 1 2 0 0 0 enter enter");
    let query = "amt:>=1000 date:2026-06";
    press(&mut app, "/");
    app.type_text(query);
    let start = Instant::now();
    press(&mut app, "enter");
    terminal.draw(|frame| app.render(frame)).unwrap();
    println!(
        "  ledger 512000, `{query}` on enter {:>8.1} ms",
        ms(start.elapsed())
    );
    let _ = io::stdout().flush();
}
