//! Financial statements benchmark: a synthetic fiscal year imported (validated) into a ledger,
//! then the balance sheet and the income statement of the year, read from the running totals
//! per account and month (target: under 100 ms each).
//!
//! ```text
//! cargo bench --bench statements                              # 1,000,000 entries
//! FOLIO_BENCH_ENTRIES=100000 cargo bench --bench statements   # smaller
//! ```

mod common;

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::BenchResult;
use folio::formats::entries_csv::{EntriesCsvReader, EntryGrouper};
use folio::ledger::{ImportOptions, Ledger};
use folio::reports::statements::{Mapping, StatementKind};

const DEFAULT_ENTRIES: u64 = 1_000_000;
const RUNS: usize = 21;
const TARGET: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("statements bench failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn entries_from_env() -> BenchResult<u64> {
    match std::env::var("FOLIO_BENCH_ENTRIES") {
        Ok(text) => Ok(text.trim().replace('_', "").parse()?),
        Err(_) => Ok(DEFAULT_ENTRIES),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Median of `runs` calls, with the fastest and slowest.
fn timed<T>(runs: usize, mut f: impl FnMut() -> BenchResult<T>) -> BenchResult<(Duration, String)> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    times.sort();
    let spread = format!(
        "{} runs, {} – {}",
        times.len(),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
    Ok((times[times.len() / 2], spread))
}

fn verdict(d: Duration) -> &'static str {
    if d < TARGET {
        "PASS (< 100 ms)"
    } else {
        "FAIL (< 100 ms)"
    }
}

fn run() -> BenchResult<()> {
    let entries = entries_from_env()?;
    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    let mut row = |what: &str, figure: String, runs: String, verdict: &str| {
        eprintln!("{what}: {figure}");
        rows.push((what.into(), figure, runs, verdict.into()));
    };
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("entries.csv");
    let ledger_path = dir.path().join("bench.ledger");
    eprintln!("generating {entries} entries…");
    let stats = common::write_entries_csv(&csv, entries, common::SEED)?;
    let ctx = common::bench_ctx();
    let ledger = common::create_ledger(&ledger_path, &ctx)?;
    eprintln!("importing (validated)…");
    let start = Instant::now();
    let name = csv.display().to_string();
    let reader =
        EntriesCsvReader::new(&name, BufReader::with_capacity(1 << 20, File::open(&csv)?))?;
    let options = ImportOptions {
        validate: true,
        ..ImportOptions::default()
    };
    let summary = ledger.import_entries(&ctx, &name, EntryGrouper::new(&name, reader), &options)?;
    row(
        "import, validated",
        format!("{:.1} s", start.elapsed().as_secs_f64()),
        format!("{} entries", summary.entries),
        "-",
    );
    drop(ledger);
    std::fs::remove_file(&csv)?;

    let mapping = Mapping::pcg()?;
    // A fresh handle, as a command opening the ledger.
    let ledger = Ledger::open(&ledger_path)?;
    let year = ledger
        .years()?
        .into_iter()
        .next()
        .ok_or("the ledger has no fiscal year")?;
    let start = Instant::now();
    let sheet =
        ledger.financial_statement(StatementKind::BalanceSheet, &year, &mapping, false, false)?;
    let cold = start.elapsed();
    if !sheet.ties() || !sheet.unmapped.is_empty() {
        return Err(format!(
            "the balance sheet does not tie or leaves accounts out: {:?} {:?}",
            sheet.totals, sheet.unmapped
        )
        .into());
    }
    row(
        "balance sheet, fresh handle",
        ms(cold),
        "1 run".into(),
        verdict(cold),
    );
    for (what, kind, validated_only, abridged) in [
        ("balance sheet", StatementKind::BalanceSheet, false, false),
        ("income statement", StatementKind::Income, false, false),
        (
            "balance sheet, validated only",
            StatementKind::BalanceSheet,
            true,
            false,
        ),
        (
            "income statement, abridged",
            StatementKind::Income,
            false,
            true,
        ),
    ] {
        let (median, runs) = timed(RUNS, || {
            Ok(ledger.financial_statement(kind, &year, &mapping, validated_only, abridged)?)
        })?;
        row(&format!("{what}, warm"), ms(median), runs, verdict(median));
    }
    let income =
        ledger.financial_statement(StatementKind::Income, &year, &mapping, false, false)?;
    println!(
        "Folio statements benchmark: {} entries ({} lines); actif {} = passif {}, result {}",
        stats.entries,
        stats.lines,
        sheet.totals[0].amount.to_french(),
        sheet.totals[1].amount.to_french(),
        income.result.to_french()
    );
    let width = |f: fn(&(String, String, String, String)) -> &String| {
        rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0)
    };
    let (a, b, c) = (width(|r| &r.0), width(|r| &r.1), width(|r| &r.2));
    for (what, figure, runs, verdict) in &rows {
        println!("{what:<a$}  {figure:>b$}  {runs:<c$}  {verdict}");
    }
    Ok(())
}
