//! Open items benchmark: a synthetic fiscal year imported (validated) into a ledger, then the
//! first page of one party's open items read from the index (target: under 10 ms), the list of
//! parties with open items, a page far down, and the same after lettering some of the party's
//! lines.
//!
//! ```text
//! cargo bench --bench open_items                              # 1,000,000 entries
//! FOLIO_BENCH_ENTRIES=100000 cargo bench --bench open_items   # smaller
//! ```

mod common;

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::BenchResult;
use folio::formats::entries_csv::{EntriesCsvReader, EntryGrouper};
use folio::ledger::{ImportOptions, Ledger};
use folio::model::AccountNumber;

const DEFAULT_ENTRIES: u64 = 1_000_000;
const PAGE: usize = 50;
const RUNS: usize = 30;
const TARGET: Duration = Duration::from_millis(10);

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("open items bench failed: {err}");
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

/// Median, fastest and slowest of `runs` calls.
fn timed<T>(
    runs: usize,
    mut f: impl FnMut() -> BenchResult<T>,
) -> BenchResult<(Duration, String, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        last = Some(f()?);
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let spread = format!(
        "{} runs, {} – {}",
        times.len(),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
    Ok((median, spread, last.ok_or("no run")?))
}

struct Report {
    rows: Vec<(String, String, String, String)>,
}

impl Report {
    fn row(&mut self, what: &str, figure: String, runs: String, verdict: &str) {
        eprintln!("{what}: {figure}");
        self.rows
            .push((what.to_string(), figure, runs, verdict.to_string()));
    }

    fn target(&mut self, what: &str, median: Duration, runs: String) {
        let verdict = if median < TARGET {
            "PASS (< 10 ms)"
        } else {
            "FAIL (< 10 ms)"
        };
        self.row(what, ms(median), runs, verdict);
    }

    fn print(&self) {
        let width = |f: fn(&(String, String, String, String)) -> &String| {
            self.rows
                .iter()
                .map(|r| f(r).chars().count())
                .max()
                .unwrap_or(0)
        };
        let (a, b, c) = (width(|r| &r.0), width(|r| &r.1), width(|r| &r.2));
        for (what, figure, runs, verdict) in &self.rows {
            println!("{what:<a$}  {figure:>b$}  {runs:<c$}  {verdict}");
        }
    }
}

fn run() -> BenchResult<()> {
    let entries = entries_from_env()?;
    let mut report = Report { rows: Vec::new() };
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("entries.csv");
    let ledger_path = dir.path().join("bench.ledger");
    eprintln!("generating {entries} entries…");
    let start = Instant::now();
    let stats = common::write_entries_csv(&csv, entries, common::SEED)?;
    report.row(
        "generate entries CSV",
        format!("{:.1} s", start.elapsed().as_secs_f64()),
        format!("{} entries, {} lines", stats.entries, stats.lines),
        "-",
    );

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
    let import = start.elapsed();
    report.row(
        "import, validated, open items indexed in the same transaction",
        format!("{:.1} s", import.as_secs_f64()),
        format!("{} entries", summary.entries),
        "-",
    );
    drop(ledger);

    // A fresh handle, as a command or a screen opening the ledger.
    let ledger = Ledger::open(&ledger_path)?;
    let start = Instant::now();
    let parties = ledger.open_item_parties(None)?;
    report.row(
        "open_item_parties (every account and party), first call",
        ms(start.elapsed()),
        format!("{} parties", parties.len()),
        "-",
    );
    let (median, runs, _) = timed(RUNS, || Ok(ledger.open_item_parties(None)?))?;
    report.row("open_item_parties, warm", ms(median), runs, "-");
    let customers = AccountNumber::parse("411000")?;
    let busiest = parties
        .iter()
        .filter(|p| p.account == customers)
        .max_by_key(|p| p.count)
        .ok_or("no customer has open items")?
        .clone();
    let total_open: usize = parties.iter().map(|p| p.count).sum();
    report.row(
        "open items in the ledger / of the measured party",
        format!("{total_open} / {}", busiest.count),
        format!("party {} on {}", busiest.party, busiest.account),
        "-",
    );
    drop(ledger);

    let ledger = Ledger::open(&ledger_path)?;
    let start = Instant::now();
    let page = ledger.open_items_page(&busiest.account, &busiest.party, 0, PAGE)?;
    let cold = start.elapsed();
    if page.items.len() != PAGE.min(busiest.count) {
        return Err(format!("first page holds {} items", page.items.len()).into());
    }
    report.target(
        &format!("first page ({PAGE}) of one party's open items, fresh handle"),
        cold,
        "1 run".into(),
    );
    let (median, runs, _) = timed(RUNS, || {
        Ok(ledger.open_items_page(&busiest.account, &busiest.party, 0, PAGE)?)
    })?;
    report.target(&format!("first page ({PAGE}), warm"), median, runs);
    let deep = busiest.count.saturating_sub(PAGE);
    let (median, runs, _) = timed(RUNS, || {
        Ok(ledger.open_items_page(&busiest.account, &busiest.party, deep, PAGE)?)
    })?;
    report.row(
        &format!("last page ({PAGE} from item {deep})"),
        ms(median),
        runs,
        "-",
    );
    let (median, runs, all) = timed(5, || {
        Ok(ledger.open_items(&busiest.account, &busiest.party)?)
    })?;
    report.row(
        &format!("all {} open items of the party", all.len()),
        ms(median),
        runs,
        "-",
    );

    // Letter the party's oldest debits with credits, pair by pair (partial or complete groups),
    // then read the first page again.
    let debits: Vec<_> = all.iter().filter(|i| !i.debit.is_zero()).collect();
    let credits: Vec<_> = all.iter().filter(|i| !i.credit.is_zero()).collect();
    let pairs = debits.len().min(credits.len()).min(20);
    let mut letter_times = Vec::new();
    for (debit, credit) in debits.iter().zip(&credits).take(pairs) {
        let start = Instant::now();
        ledger.letter(&ctx, &[debit.at, credit.at])?;
        letter_times.push(start.elapsed());
    }
    letter_times.sort();
    if let (Some(first), Some(last)) = (letter_times.first(), letter_times.last()) {
        report.row(
            "letter two lines (index kept in the same transaction)",
            ms(letter_times[letter_times.len() / 2]),
            format!(
                "{} runs, {} – {}",
                letter_times.len(),
                ms(*first),
                ms(*last)
            ),
            "-",
        );
    }
    let (median, runs, _) = timed(RUNS, || {
        Ok(ledger.open_items_page(&busiest.account, &busiest.party, 0, PAGE)?)
    })?;
    report.target(
        &format!("first page ({PAGE}) after lettering"),
        median,
        runs,
    );

    println!(
        "Folio open items benchmark: {} entries ({} lines), party {} with {} open items",
        stats.entries, stats.lines, busiest.party, busiest.count
    );
    report.print();
    Ok(())
}
