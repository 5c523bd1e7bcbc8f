//! The reconciliation session on a large bank account: time per key (move, next unreconciled
//! line, accept the best candidate) on the screen, each key followed by a frame, against the
//! issue's target of 5 ms.
//!
//! Each figure is given twice: wall time, and the CPU time of the thread that runs the keys
//! (from `/proc/thread-self/schedstat`, where available): on a loaded machine the wall time
//! counts the time spent waiting for a core, the CPU time does not (nor does it count the
//! wait for the disk of a durable commit). The kernel may account CPU time by scheduler tick
//! (4 ms): a key's CPU time is then 0 or a tick, and the mean over many keys is the figure.
//!
//! `cargo bench --bench bank_session` (release build). `FOLIO_BENCH_BOOK_LINES` sets the number
//! of book lines on 512000 (default 10,000), `FOLIO_BENCH_BANK_LINES` the lines of the
//! statement (default 500), each with one book line of its amount.

// A benchmark stops at the first surprise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use folio::formats::bank::{AccountId, Statement, StatementLine};
use folio::formats::entries_csv::ImportedEntry;
use folio::ledger::{BankLineFilter, StatementImport, bank_view};
use folio::ledger::{Ctx, ImportOptions, InitParams, Ledger};
use folio::model::{AccountNumber, Amount, Company, EntryInput, Line};
use folio::tui::keymap::Key;
use folio::tui::route::Route;
use folio::tui::{App, Keymap};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

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

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// `book` bank entries over 2026 (money in and out, distinct amounts), then one statement of
/// December whose `bank` lines each have one book line of their amount among the last ones.
fn build(path: &Path, book: usize, bank: usize) -> (Ledger, u64) {
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
    let cents = |i: usize| {
        let c = 1_003 + (i as i64 * 7_919) % 4_000_000;
        if i.is_multiple_of(3) { -c } else { c }
    };
    let date = |i: usize| start + Days::new((i as u64 * 364) / book as u64);
    let entries = (0..book).map(|i| {
        let amount = Amount::from_cents(cents(i).abs());
        let lines = if cents(i) > 0 {
            vec![
                Line::debit(account("512000"), amount),
                Line::credit(account("706000"), amount),
            ]
        } else {
            vec![
                Line::debit(account("606000"), amount),
                Line::credit(account("512000"), amount),
            ]
        };
        Ok(ImportedEntry {
            first_line: i as u64 + 2,
            input: EntryInput {
                journal: "BQ".into(),
                date: date(i),
                piece: format!("P{i:06}"),
                label: format!("Mouvement {i}"),
                lines,
            },
            taxes: Vec::new(),
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
    let lines: Vec<StatementLine> = (book - bank..book)
        .map(|i| StatementLine {
            booking_date: date(i),
            value_date: Some(date(i)),
            amount: Amount::from_cents(cents(i)),
            label: format!("VIR SEPA {i}"),
            reference: None,
            counterparty_name: None,
            counterparty_iban: None,
            end_to_end_id: None,
            remittance: None,
            source_line: 1,
        })
        .collect();
    let total: i64 = lines.iter().map(|l| l.amount.cents()).sum();
    let first = lines[0].booking_date;
    let last = lines[lines.len() - 1].booking_date;
    let statement = Statement {
        account: AccountId {
            iban: None,
            rib: None,
            number: Some("00099999999".into()),
        },
        id: "BENCH".into(),
        period: (first, last),
        currency: "EUR".into(),
        opening: Some(Amount::ZERO),
        closing: Some(Amount::from_cents(total)),
        lines,
        source_line: 1,
    };
    let summary = ledger
        .import_statements(
            &ctx(),
            &StatementImport {
                file: "bench.sta".into(),
                format: "mt940".into(),
                statements: vec![statement],
                account: Some(account("512000")),
                allow_gap: true,
            },
        )
        .unwrap();
    let id = summary.statements[0].id.unwrap();
    (ledger, id)
}

fn press(app: &mut App, keys: &str) {
    for key in keys.split(' ').filter(|k| !k.is_empty()) {
        app.key(Key::parse(key).unwrap());
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// CPU time of this thread so far, when the system tells it.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// One timed key: wall time and, when known, CPU time.
struct Sample {
    wall: Duration,
    cpu: Option<Duration>,
}

fn timed(run: impl FnOnce()) -> Sample {
    let cpu = thread_cpu();
    let start = Instant::now();
    run();
    let wall = start.elapsed();
    let cpu = cpu.zip(thread_cpu()).map(|(a, b)| b.saturating_sub(a));
    Sample { wall, cpu }
}

/// Wall-time figures with their verdict, then the CPU-time ones with theirs.
fn report_samples(what: &str, samples: Vec<Sample>, target: Option<f64>) -> bool {
    let cpu: Option<Vec<Duration>> = samples.iter().map(|s| s.cpu).collect();
    let wall = samples.into_iter().map(|s| s.wall).collect();
    let pass_wall = report(&format!("{what} (wall)"), wall, target);
    match cpu {
        Some(cpu) => report_on(&format!("{what} (cpu, mean judged)"), cpu, target, true),
        None => pass_wall,
    }
}

/// Median, mean, 99th percentile and worst of the samples, with PASS or FAIL against the
/// target (on the median, or on the mean for CPU times counted by tick).
fn report(what: &str, samples: Vec<Duration>, target: Option<f64>) -> bool {
    report_on(what, samples, target, false)
}

fn report_on(what: &str, mut samples: Vec<Duration>, target: Option<f64>, on_mean: bool) -> bool {
    samples.sort();
    let n = samples.len();
    let at = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    let p50 = ms(at(0.5));
    let mean = ms(samples.iter().sum::<Duration>()) / n as f64;
    let judged = if on_mean { mean } else { p50 };
    let verdict = match target {
        Some(t) if judged < t => format!("target < {t} ms: PASS"),
        Some(t) => format!("target < {t} ms: FAIL"),
        None => "-".into(),
    };
    println!(
        "  {what:<52} n={n:<4} p50 {p50:>8.3} ms  mean {mean:>8.3}  p99 {:>8.3}  max {:>8.3}  \
         {verdict}",
        ms(at(0.99)),
        ms(samples[n - 1])
    );
    target.is_none_or(|t| judged < t)
}

/// Times `keys` then a frame, `n` times.
fn time_keys(
    app: &mut App,
    terminal: &mut Terminal<TestBackend>,
    keys: &str,
    n: usize,
) -> Vec<Sample> {
    (0..n)
        .map(|_| {
            timed(|| {
                press(app, keys);
                terminal.draw(|frame| app.render(frame)).unwrap();
            })
        })
        .collect()
}

fn main() {
    let book = env_number("FOLIO_BENCH_BOOK_LINES", 10_000);
    let bank = env_number("FOLIO_BENCH_BANK_LINES", 500).min(book);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.ledger");
    println!(
        "Folio reconciliation session benchmark: {book} book lines on 512000, a statement of \
         {bank} lines, 120x40"
    );
    let start = Instant::now();
    let (ledger, statement) = build(&path, book, bank);
    let ledger = Arc::new(ledger);
    println!("  built in {:.1} s", start.elapsed().as_secs_f64());

    let mut app = App::new(Arc::clone(&ledger), ctx(), Keymap::embedded()).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let start = Instant::now();
    app.open(&Route::Bank {
        account: None,
        statement: Some(statement),
    });
    terminal.draw(|frame| app.render(frame)).unwrap();
    assert!(
        app.title().starts_with("Reconciliation 512000"),
        "{:?}",
        app.message()
    );
    report(
        "open the session (read + first frame)",
        vec![start.elapsed()],
        None,
    );

    let mut pass = true;
    pass &= report_samples(
        "move down (j) + candidates + frame",
        time_keys(&mut app, &mut terminal, "j", 300),
        Some(TARGET_MS),
    );
    pass &= report_samples(
        "move up (k) + candidates + frame",
        time_keys(&mut app, &mut terminal, "k", 300),
        Some(TARGET_MS),
    );
    pass &= report_samples(
        "next unreconciled (]) + candidates + frame",
        time_keys(&mut app, &mut terminal, "]", 300),
        Some(TARGET_MS),
    );
    press(&mut app, "g g");
    // Accept the best candidate: the reconciliation (one durable commit) and the screen read
    // again, with the cursor on the next line.
    let mut accept = Vec::new();
    for _ in 0..50 {
        accept.push(timed(|| {
            press(&mut app, "enter");
            terminal.draw(|frame| app.render(frame)).unwrap();
        }));
        let message = app.message().unwrap_or_default().to_string();
        assert!(message.starts_with("reconciled line"), "{message}");
    }
    pass &= report_samples(
        "accept the best candidate (enter) + frame",
        accept,
        Some(TARGET_MS),
    );
    // The floor under accept: the same reconciliation's durable commit through the ledger
    // alone, no screen (its candidates found beforehand, untimed).
    let context = ledger.match_context(&account("512000")).unwrap();
    let open = ledger
        .bank_lines(&BankLineFilter {
            account: None,
            statement: Some(statement),
            unreconciled: true,
        })
        .unwrap();
    let mut commits = Vec::new();
    for line in open.iter().take(50) {
        let found = folio::reconcile::candidates(
            &bank_view(0, line),
            &context.index,
            &context.rules,
            &context.settings,
        );
        let Some(best) = found.first() else {
            continue;
        };
        let refs = context.book_refs(best.proposal.book_keys()).unwrap();
        commits.push(timed(|| ledger.reconcile(&ctx(), line.id, &refs).unwrap()));
    }
    report_samples(
        "the same reconciliation through the ledger alone",
        commits,
        None,
    );
    let left = ledger
        .bank_lines(&BankLineFilter {
            account: None,
            statement: Some(statement),
            unreconciled: true,
        })
        .unwrap()
        .len();
    println!(
        "  {left} lines left to reconcile; {}",
        if pass {
            "all keys within target"
        } else {
            "SOME KEYS OVER TARGET"
        }
    );
}
