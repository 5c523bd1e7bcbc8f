//! Ledger benchmarks: import, trial balance, account ledger page, open, FEC export, check, on
//! a synthetic fiscal year (see `common`). Prints one table of figures against the targets.
//!
//! ```text
//! cargo bench --bench ledger                              # 1,000,000 entries (~3M lines)
//! FOLIO_BENCH_ENTRIES=100000 cargo bench --bench ledger   # smaller
//! ```
//!
//! Each import runs in a child process (this binary re-executed with `--import-child`) so that
//! its peak RSS (`VmHWM`) is its own; three file sizes (N/10, N/3 and N entries) show whether
//! memory grows with the file.
//!
//! Files to time the real binary by hand (`/usr/bin/time -v folio import …`), with `$BENCH`
//! the bench executable (`cargo bench --bench ledger --no-run` prints its path):
//!
//! ```text
//! $BENCH --generate 1000000 DIR/entries.csv   # the synthetic year's entries CSV
//! $BENCH --base DIR/base.ledger               # the ledger the imports start from
//! cp DIR/base.ledger DIR/l.ledger && folio --ledger DIR/l.ledger import entries DIR/entries.csv --validate
//! folio --ledger DIR/l.ledger export fec --year 2026 --out DIR   # the FEC to import
//! ```

mod common;

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use common::{BenchResult, CsvStats};
use folio::formats::entries_csv::{EntriesCsvReader, EntryGrouper};
use folio::formats::fec::FecOptions;
use folio::ledger::{ImportOptions, Ledger};
use folio::model::AccountNumber;

const CHILD_FLAG: &str = "--import-child";
const CHILD_TAG: &str = "folio-bench-child";
/// `--generate ENTRIES CSV`: only write a CSV (to profile an import with `--import-child`).
const GENERATE_FLAG: &str = "--generate";
/// `--base LEDGER`: only create the ledger the imports start from (700 third parties), to time
/// `folio import entries` by hand on a copy of it.
const BASE_FLAG: &str = "--base";
const DEFAULT_ENTRIES: u64 = 1_000_000;
/// Runs of a quick query (the median is reported).
const QUICK_RUNS: usize = 11;
/// Runs of a whole-ledger operation (FEC export, check).
const HEAVY_RUNS: usize = 3;
const PAGE_LINES: usize = 50;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        let at = args.iter().position(|a| a == name)?;
        Some((args.get(at + 1)?.clone(), args.get(at + 2)?.clone()))
    };
    let result = if let Some((ledger, csv)) = flag(CHILD_FLAG) {
        child_import(Path::new(&ledger), Path::new(&csv))
    } else if let Some((entries, csv)) = flag(GENERATE_FLAG) {
        generate_only(&entries, Path::new(&csv))
    } else if let Some(at) = args.iter().position(|a| a == BASE_FLAG)
        && let Some(ledger) = args.get(at + 1)
    {
        common::create_ledger(Path::new(ledger), &common::bench_ctx()).map(drop)
    } else {
        run()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench failed: {err}");
            ExitCode::FAILURE
        }
    }
}

// ----- measurements ------------------------------------------------------------------------

/// Peak and current resident set of this process, in KiB, from /proc/self/status.
fn memory_kib() -> BenchResult<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0)
    };
    Ok((field("VmHWM:"), field("VmRSS:")))
}

/// Times `f` `runs` times; returns the sorted durations and the last result.
fn time_runs<T>(
    runs: usize,
    mut f: impl FnMut() -> BenchResult<T>,
) -> BenchResult<(Vec<Duration>, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let value = f()?;
        times.push(start.elapsed());
        last = Some(value);
    }
    times.sort();
    let last = last.ok_or("no run")?;
    Ok((times, last))
}

fn median(sorted: &[Duration]) -> Duration {
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1e-3 {
        format!("{:.1} µs", secs * 1e6)
    } else if secs < 1.0 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{secs:.2} s")
    }
}

fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fmt_mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn rate(count: u64, d: Duration) -> f64 {
    count as f64 / d.as_secs_f64().max(1e-9)
}

fn spread(sorted: &[Duration]) -> String {
    match (sorted.first(), sorted.last()) {
        (Some(lo), Some(hi)) if sorted.len() > 1 => {
            format!(
                "{}× {}–{}",
                sorted.len(),
                fmt_duration(*lo),
                fmt_duration(*hi)
            )
        }
        _ => "1×".into(),
    }
}

// ----- the table ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    Info,
}

struct Row {
    operation: String,
    size: String,
    time: String,
    rate: String,
    target: String,
    verdict: Verdict,
    runs: String,
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
}

impl Table {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        operation: impl Into<String>,
        size: impl Into<String>,
        time: impl Into<String>,
        rate: impl Into<String>,
        target: impl Into<String>,
        verdict: Verdict,
        runs: impl Into<String>,
    ) {
        let row = Row {
            operation: operation.into(),
            size: size.into(),
            time: time.into(),
            rate: rate.into(),
            target: target.into(),
            verdict,
            runs: runs.into(),
        };
        eprintln!(
            "  {} | {} | {} | {} | {}",
            row.operation, row.size, row.time, row.rate, row.runs
        );
        self.rows.push(row);
    }

    /// A duration against an upper bound.
    fn within(
        &mut self,
        operation: &str,
        size: String,
        times: &[Duration],
        limit: Duration,
        rate: String,
    ) {
        let m = median(times);
        let verdict = if m <= limit {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        self.add(
            operation,
            size,
            fmt_duration(m),
            rate,
            format!("< {}", fmt_duration(limit)),
            verdict,
            spread(times),
        );
    }

    /// A throughput against a lower bound.
    fn at_least(&mut self, operation: &str, count: u64, unit: &str, times: &[Duration], min: f64) {
        let m = median(times);
        let r = rate(count, m);
        let verdict = if r >= min {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        self.add(
            operation,
            format!("{} {unit}", fmt_count(count)),
            fmt_duration(m),
            format!("{} {unit}/s", fmt_count(r as u64)),
            format!(">= {} {unit}/s", fmt_count(min as u64)),
            verdict,
            spread(times),
        );
    }

    fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let headers = [
            "Operation",
            "Size",
            "Time (median)",
            "Rate",
            "Target",
            "Result",
            "Runs (min–max)",
        ];
        let cells: Vec<[String; 7]> = self
            .rows
            .iter()
            .map(|r| {
                let verdict = match r.verdict {
                    Verdict::Pass => "PASS",
                    Verdict::Fail => "FAIL",
                    Verdict::Info => "-",
                };
                [
                    r.operation.clone(),
                    r.size.clone(),
                    r.time.clone(),
                    r.rate.clone(),
                    r.target.clone(),
                    verdict.to_string(),
                    r.runs.clone(),
                ]
            })
            .collect();
        let mut widths = headers.map(|h| h.chars().count());
        for row in &cells {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |out: &mut dyn Write, row: &[String]| -> std::io::Result<()> {
            let padded: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
                .collect();
            writeln!(out, "| {} |", padded.join(" | "))
        };
        line(out, &headers.map(String::from))?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        writeln!(out, "|-{}-|", rule.join("-|-"))?;
        for row in &cells {
            line(out, row)?;
        }
        Ok(())
    }
}

// ----- import (child process) --------------------------------------------------------------

/// Creates a fresh ledger at `ledger`, imports `csv` into it (validated), prints one line of
/// figures for the parent.
fn child_import(ledger_path: &Path, csv: &Path) -> BenchResult<()> {
    let ctx = common::bench_ctx();
    let setup = Instant::now();
    drop(common::create_ledger(ledger_path, &ctx)?);
    // Opened as `folio import` opens it.
    let ledger = Ledger::open_with_cache(ledger_path, folio::ledger::IMPORT_CACHE_BYTES)?;
    let setup_ms = setup.elapsed().as_millis();
    let (hwm_before, rss_before) = memory_kib()?;
    let start = Instant::now();
    let name = csv.display().to_string();
    let file = BufReader::with_capacity(1 << 20, File::open(csv)?);
    let reader = EntriesCsvReader::new(&name, file)?;
    let options = ImportOptions {
        validate: true,
        ..ImportOptions::default()
    };
    let summary = ledger.import_entries(&ctx, &name, EntryGrouper::new(&name, reader), &options)?;
    let import_us = start.elapsed().as_micros();
    let (hwm_after, rss_after) = memory_kib()?;
    drop(ledger);
    let ledger_bytes = std::fs::metadata(ledger_path)?.len();
    println!(
        "{CHILD_TAG} entries={} lines={} validated={} import_us={import_us} setup_ms={setup_ms} \
         hwm_before_kib={hwm_before} rss_before_kib={rss_before} hwm_after_kib={hwm_after} \
         rss_after_kib={rss_after} ledger_bytes={ledger_bytes}",
        summary.entries, summary.lines, summary.validated
    );
    Ok(())
}

fn generate_only(entries: &str, csv: &Path) -> BenchResult<()> {
    let entries: u64 = entries.replace(['_', ','], "").parse()?;
    let stats = common::write_entries_csv(csv, entries, common::SEED)?;
    println!(
        "wrote {}: {} entries, {} lines, {} bytes",
        csv.display(),
        stats.entries,
        stats.lines,
        stats.bytes
    );
    Ok(())
}

struct ImportRun {
    lines: u64,
    elapsed: Duration,
    setup_ms: u64,
    hwm_before_kib: u64,
    hwm_after_kib: u64,
    ledger_bytes: u64,
}

fn import_in_child(ledger: &Path, csv: &Path, stats: &CsvStats) -> BenchResult<ImportRun> {
    let output = Command::new(std::env::current_exe()?)
        .arg(CHILD_FLAG)
        .arg(ledger)
        .arg(csv)
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("import child failed ({})", output.status).into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with(CHILD_TAG))
        .ok_or("import child printed no figures")?;
    let field = |name: &str| -> BenchResult<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .ok_or_else(|| format!("no {name} in `{line}`"))?
            .parse::<u64>()
            .map_err(Into::into)
    };
    let run = ImportRun {
        lines: field("lines")?,
        elapsed: Duration::from_micros(field("import_us")?),
        setup_ms: field("setup_ms")?,
        hwm_before_kib: field("hwm_before_kib")?,
        hwm_after_kib: field("hwm_after_kib")?,
        ledger_bytes: field("ledger_bytes")?,
    };
    if run.lines != stats.lines || field("validated")? != stats.entries {
        return Err(format!(
            "imported {} lines / {} validated, generated {} lines / {} entries",
            run.lines,
            field("validated")?,
            stats.lines,
            stats.entries
        )
        .into());
    }
    Ok(run)
}

// ----- the run -----------------------------------------------------------------------------

fn entries_from_env() -> BenchResult<u64> {
    match std::env::var("FOLIO_BENCH_ENTRIES") {
        Ok(text) => {
            let n: u64 =
                text.replace(['_', ','], "").trim().parse().map_err(|_| {
                    format!("FOLIO_BENCH_ENTRIES: `{text}` is not a number of entries")
                })?;
            if n < 100 {
                return Err("FOLIO_BENCH_ENTRIES: use at least 100 entries".into());
            }
            Ok(n)
        }
        Err(_) => Ok(DEFAULT_ENTRIES),
    }
}

/// The commit the bench was built from, `+dirty` when src/ has uncommitted changes.
fn source_revision() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(head) => {
            let dirty = git(&["status", "--porcelain", "--", "src"]).is_some_and(|s| !s.is_empty());
            format!("{head}{}", if dirty { "+dirty" } else { "" })
        }
        None => "unknown".into(),
    }
}

fn folio_binary() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FOLIO_BIN").map(PathBuf::from),
        option_env!("CARGO_BIN_EXE_folio").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/folio")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

fn run() -> BenchResult<()> {
    let entries = entries_from_env()?;
    // The imports for the memory comparison: N/10 and N/3 entries, then the full ledger.
    let sizes = [(entries / 10).max(100), (entries / 3).max(100), entries];
    let mut dir = tempfile::Builder::new().prefix("folio-bench-").tempdir()?;
    // FOLIO_BENCH_KEEP=1 leaves the CSVs and the ledger behind for profiling.
    dir.disable_cleanup(std::env::var_os("FOLIO_BENCH_KEEP").is_some());
    eprintln!(
        "Folio ledger benchmarks: {} entries (imports of {} for the memory comparison), \
         seed {:#x}, in {}",
        fmt_count(entries),
        sizes.map(fmt_count).join(", "),
        common::SEED,
        dir.path().display()
    );
    let mut table = Table::default();

    // Generation (not a target; shown so that the files' sizes are on record).
    let start = Instant::now();
    let mut csvs: Vec<(PathBuf, CsvStats)> = Vec::new();
    for n in sizes {
        let path = dir.path().join(format!("entries-{n}.csv"));
        let stats = common::write_entries_csv(&path, n, common::SEED)?;
        csvs.push((path, stats));
    }
    let generated = start.elapsed();
    let (full_csv, full) = csvs.last().cloned().ok_or("no CSV")?;
    table.add(
        "generate entries CSVs (3 sizes)",
        format!(
            "{} lines, {} MiB",
            csvs.iter()
                .map(|(_, s)| fmt_count(s.lines))
                .collect::<Vec<_>>()
                .join(" + "),
            csvs.iter().map(|(_, s)| s.bytes).sum::<u64>() >> 20
        ),
        fmt_duration(generated),
        "",
        "",
        Verdict::Info,
        "1×",
    );

    // Parsing alone: the share of the import that is not the ledger's.
    let (times, parsed) = time_runs(1, || {
        let name = full_csv.display().to_string();
        let file = BufReader::with_capacity(1 << 20, File::open(&full_csv)?);
        let grouper = EntryGrouper::new(&name, EntriesCsvReader::new(&name, file)?);
        let mut lines = 0u64;
        for entry in grouper {
            lines += entry?.input.lines.len() as u64;
        }
        Ok(lines)
    })?;
    let r = rate(parsed, median(&times));
    table.add(
        "parse CSV only (reader + grouper, no ledger)",
        format!("{} lines", fmt_count(parsed)),
        fmt_duration(median(&times)),
        format!("{} lines/s", fmt_count(r as u64)),
        "",
        Verdict::Info,
        spread(&times),
    );

    // Imports, each in its own process and into a fresh ledger; the last one is kept.
    let ledger_path = dir.path().join("bench.ledger");
    let mut runs = Vec::new();
    for (i, (csv, stats)) in csvs.iter().enumerate() {
        eprintln!(
            "importing {} lines (child process)…",
            fmt_count(stats.lines)
        );
        let is_full = i + 1 == csvs.len();
        let path = if is_full {
            ledger_path.clone()
        } else {
            dir.path().join(format!("import-{i}.ledger"))
        };
        runs.push(import_in_child(&path, csv, stats)?);
        if !is_full {
            std::fs::remove_file(&path)?;
        }
        // The full file stays for the whole-process import of the CLI rows.
        if !is_full {
            std::fs::remove_file(csv)?;
        }
    }
    // The target is on the full ledger; the smaller imports are context (same rate target shown).
    for (i, run) in runs.iter().enumerate() {
        let full_size = i + 1 == runs.len();
        table.at_least(
            if full_size {
                "import entries CSV, validated (end to end)"
            } else {
                "  import entries CSV, smaller file (memory comparison)"
            },
            run.lines,
            "lines",
            &[run.elapsed],
            300_000.0,
        );
        if !full_size && let Some(row) = table.rows.last_mut() {
            row.verdict = Verdict::Info;
        }
    }
    let setup_ms: Vec<String> = runs.iter().map(|r| r.setup_ms.to_string()).collect();
    table.add(
        "  ledger setup before each import (create + 700 add_party)",
        "700 durable commits",
        format!("{} ms", setup_ms.join(" / ")),
        "",
        "",
        Verdict::Info,
        "",
    );
    for run in &runs {
        table.add(
            "  import peak RSS (VmHWM after / before import)",
            format!("{} lines", fmt_count(run.lines)),
            format!(
                "{} / {}",
                fmt_mib(run.hwm_after_kib),
                fmt_mib(run.hwm_before_kib)
            ),
            format!(
                "{:.0} B/line",
                (run.hwm_after_kib.saturating_sub(run.hwm_before_kib) * 1024) as f64
                    / run.lines.max(1) as f64
            ),
            "",
            Verdict::Info,
            "",
        );
    }
    let growth = |run: &ImportRun| run.hwm_after_kib.saturating_sub(run.hwm_before_kib);
    // Flat: a file k times larger costs at most 25 % (and 16 MiB of slack) more peak memory.
    let mut compare_peaks = |operation: &str, small: &ImportRun, large: &ImportRun| {
        let flat = large.hwm_after_kib <= small.hwm_after_kib * 5 / 4 + 16 * 1024;
        let times = large.lines as f64 / small.lines.max(1) as f64;
        table.add(
            operation,
            format!("{times:.0}× lines"),
            format!(
                "peak {} vs {} (growth +{} vs +{})",
                fmt_mib(large.hwm_after_kib),
                fmt_mib(small.hwm_after_kib),
                fmt_mib(growth(large)),
                fmt_mib(growth(small)),
            ),
            "",
            format!("peak <= 1.25× + 16 MiB for {times:.0}× lines"),
            if flat { Verdict::Pass } else { Verdict::Fail },
            "",
        );
    };
    let (first, middle, last) = (&runs[0], &runs[1], &runs[runs.len() - 1]);
    compare_peaks("import memory flat in file size (N vs N/10)", first, last);
    compare_peaks("  import memory, N vs N/3 (bounded?)", middle, last);
    table.add(
        "  ledger file size after import",
        format!("{} lines", fmt_count(last.lines)),
        fmt_mib(last.ledger_bytes / 1024),
        format!("{:.0} B/line", last.ledger_bytes as f64 / full.lines as f64),
        "",
        Verdict::Info,
        "",
    );
    let size = format!("{} lines", fmt_count(full.lines));

    // Open.
    let (times, _) = time_runs(7, || {
        let start = Instant::now();
        let ledger = Ledger::open(&ledger_path)?;
        let elapsed = start.elapsed();
        drop(ledger);
        Ok(elapsed)
    })?;
    table.within(
        "open ledger (Ledger::open)",
        size.clone(),
        &times,
        Duration::from_millis(50),
        String::new(),
    );

    // Read commands open the file read-only.
    let (times, _) = time_runs(7, || {
        let start = Instant::now();
        let ledger = Ledger::open_read_only(&ledger_path)?;
        let elapsed = start.elapsed();
        drop(ledger);
        Ok(elapsed)
    })?;
    table.within(
        "open ledger read-only (Ledger::open_read_only)",
        size.clone(),
        &times,
        Duration::from_millis(50),
        String::new(),
    );

    let ledger = Ledger::open(&ledger_path)?;
    let (from, to) = (common::year_start(), common::year_end());

    // Trial balance: the first call after open reads cold pages; the median is warm.
    let (cold, _) = time_runs(1, || Ok(ledger.trial_balance(from, to)?))?;
    let (times, rows) = time_runs(QUICK_RUNS, || Ok(ledger.trial_balance(from, to)?))?;
    table.within(
        "trial balance, fiscal year 2026",
        format!("{size}, {} accounts", rows.len()),
        &times,
        Duration::from_millis(20),
        format!("first call {}", fmt_duration(median(&cold))),
    );

    // General ledger, first page, as the CLI and TUI ask for it (the fiscal year's range).
    for (account, lines) in [
        (common::BANK_FEES_ACCOUNT, full.fee_lines),
        (common::BANK_ACCOUNT, full.bank_lines),
    ] {
        let number = AccountNumber::parse(account)?;
        let page = |offset: usize| {
            ledger
                .account_ledger(&number, Some(from), Some(to), offset, PAGE_LINES)
                .map_err(Into::into)
        };
        let (cold, _) = time_runs(1, || page(0))?;
        let (times, first) = time_runs(QUICK_RUNS, || page(0))?;
        if first.rows.len() != PAGE_LINES.min(lines as usize) {
            return Err(format!("{account}: page of {} rows", first.rows.len()).into());
        }
        table.within(
            &format!("general ledger {account}, first page ({PAGE_LINES} lines)"),
            format!("account of {} lines", fmt_count(lines)),
            &times,
            Duration::from_millis(10),
            format!("first call {}", fmt_duration(median(&cold))),
        );
        let middle = (lines / 2) as usize;
        let (times, _) = time_runs(3, || page(middle))?;
        table.add(
            format!(
                "  general ledger {account}, page at line {}",
                fmt_count(middle as u64)
            ),
            format!("account of {} lines", fmt_count(lines)),
            fmt_duration(median(&times)),
            "",
            "",
            Verdict::Info,
            spread(&times),
        );
    }

    // FEC export.
    let fec_path = dir.path().join("export.fec");
    let (times, export) = time_runs(HEAVY_RUNS, || {
        let out = BufWriter::with_capacity(1 << 20, File::create(&fec_path)?);
        Ok(ledger.export_fec(&ledger.fec_year(Some("2026"))?, out, FecOptions::default())?)
    })?;
    if export.lines != full.lines {
        return Err(format!("FEC has {} lines, expected {}", export.lines, full.lines).into());
    }
    table.at_least(
        "FEC export (library)",
        export.lines,
        "lines",
        &times,
        500_000.0,
    );
    std::fs::remove_file(&fec_path)?;

    // Check.
    let (times, report) = time_runs(HEAVY_RUNS, || Ok(ledger.check()?))?;
    if !report.findings.is_empty() {
        return Err(format!("check found problems: {:?}", report.findings).into());
    }
    table.within(
        "check (Ledger::check)",
        size.clone(),
        &times,
        Duration::from_secs(5),
        format!(
            "{} lines/s",
            fmt_count(rate(report.lines, median(&times)) as u64)
        ),
    );
    drop(ledger);
    let (hwm, _) = memory_kib()?;
    table.add(
        "  peak RSS of the bench process (queries, export, check)",
        "",
        fmt_mib(hwm),
        "",
        "",
        Verdict::Info,
        "",
    );

    // The real binary, as users run it.
    match folio_binary() {
        Some(bin) => {
            cli_entries_import_row(&mut table, &bin, &full_csv, full.lines, dir.path())?;
            cli_rows(&mut table, &bin, &ledger_path, dir.path(), &size)?;
        }
        None => eprintln!("no folio binary found (set FOLIO_BIN): CLI figures skipped"),
    }
    if std::env::var_os("FOLIO_BENCH_KEEP").is_none() {
        std::fs::remove_file(&full_csv)?;
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "\nFolio benchmarks: {} entries, {} lines (seed {:#x}), source {}\n",
        fmt_count(full.entries),
        fmt_count(full.lines),
        common::SEED,
        source_revision()
    )?;
    table.print(&mut out)?;
    let failed = table
        .rows
        .iter()
        // Indented rows are context: their verdicts are shown, not counted.
        .filter(|r| r.verdict == Verdict::Fail && !r.operation.starts_with(' '))
        .count();
    writeln!(
        out,
        "\n{} target(s) missed. Peer for context: `hledger bal` takes 6.9 s / 977 MiB at 100,000 transactions.",
        failed
    )?;
    Ok(())
}

/// Times the real binary end to end (process start, open, work, output) under
/// `/usr/bin/time` when present, for its peak RSS.
fn cli_rows(
    table: &mut Table,
    bin: &Path,
    ledger: &Path,
    dir: &Path,
    size: &str,
) -> BenchResult<()> {
    let fec_dir = dir.join("fec");
    std::fs::create_dir_all(&fec_dir)?;
    let fec_dir_arg = fec_dir.display().to_string();
    let fees_page = [
        "report",
        "ledger",
        common::BANK_FEES_ACCOUNT,
        "--year",
        "2026",
        "--page-size",
        "50",
        "--format",
        "csv",
    ];
    let commands: [(&str, Vec<&str>, Option<Duration>, usize); 4] = [
        (
            "folio check",
            vec!["check"],
            Some(Duration::from_secs(5)),
            HEAVY_RUNS,
        ),
        (
            "folio report balance --format csv",
            vec!["report", "balance", "--year", "2026", "--format", "csv"],
            None,
            QUICK_RUNS / 2,
        ),
        (
            "folio report ledger 627000 --page-size 50",
            fees_page.to_vec(),
            None,
            QUICK_RUNS / 2,
        ),
        (
            "folio export fec",
            // Each run replaces the previous run's file.
            vec![
                "export",
                "fec",
                "--year",
                "2026",
                "--out",
                &fec_dir_arg,
                "--force",
            ],
            None,
            HEAVY_RUNS,
        ),
    ];
    let time_bin = Path::new("/usr/bin/time");
    let rss_file = dir.join("time.out");
    for (label, args, limit, runs) in commands {
        let mut peak_kib = 0u64;
        let (times, _) = time_runs(runs, || {
            let mut cmd = if time_bin.is_file() {
                let mut cmd = Command::new(time_bin);
                cmd.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(bin);
                cmd
            } else {
                Command::new(bin)
            };
            let status = cmd
                .arg("--ledger")
                .arg(ledger)
                .args(&args)
                .env("FOLIO_TODAY", "2026-12-31")
                .stdout(Stdio::null())
                .status()?;
            if !status.success() {
                return Err(format!("{label} failed ({status})").into());
            }
            if let Ok(text) = std::fs::read_to_string(&rss_file) {
                let kib = text.lines().last().and_then(|l| l.trim().parse().ok());
                peak_kib = peak_kib.max(kib.unwrap_or(0));
            }
            Ok(())
        })?;
        let rss = if peak_kib > 0 {
            format!("peak RSS {}", fmt_mib(peak_kib))
        } else {
            String::new()
        };
        match limit {
            Some(limit) => table.within(&format!("CLI: {label}"), size.into(), &times, limit, rss),
            None => table.add(
                format!("CLI: {label}"),
                size,
                fmt_duration(median(&times)),
                rss,
                "",
                Verdict::Info,
                spread(&times),
            ),
        }
    }
    fec_import_row(table, bin, &fec_dir, &rss_file)
}

/// Waits for the files written before (the ledgers of earlier runs, the generated files) to
/// reach the disk, so that a timed run does not pay for their writing back.
fn settle_writes() {
    let _ = Command::new("sync").status();
}

/// `folio import entries FILE --validate` of the full CSV, as a user runs it (a whole
/// process), into a copy of a ledger set up as the in-process imports' (made once, copied
/// before the clock starts), with its peak RSS from `/usr/bin/time` when present.
fn cli_entries_import_row(
    table: &mut Table,
    bin: &Path,
    csv: &Path,
    lines: u64,
    dir: &Path,
) -> BenchResult<()> {
    let base = dir.join("cli-base.ledger");
    let ledger = dir.join("cli-import.ledger");
    let rss_file = dir.join("time-import.out");
    drop(common::create_ledger(&base, &common::bench_ctx())?);
    let time_bin = Path::new("/usr/bin/time");
    let mut times = Vec::new();
    let mut peak_kib = 0u64;
    for _ in 0..HEAVY_RUNS {
        std::fs::copy(&base, &ledger)?;
        settle_writes();
        let mut cmd = if time_bin.is_file() {
            let mut cmd = Command::new(time_bin);
            cmd.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(bin);
            cmd
        } else {
            Command::new(bin)
        };
        let start = Instant::now();
        let status = cmd
            .arg("--ledger")
            .arg(&ledger)
            .args(["import", "entries"])
            .arg(csv)
            .arg("--validate")
            .env("FOLIO_TODAY", "2026-12-31")
            .stdout(Stdio::null())
            .status()?;
        times.push(start.elapsed());
        if !status.success() {
            return Err(format!("folio import entries failed ({status})").into());
        }
        if let Ok(text) = std::fs::read_to_string(&rss_file) {
            let kib = text.lines().last().and_then(|l| l.trim().parse().ok());
            peak_kib = peak_kib.max(kib.unwrap_or(0));
        }
    }
    times.sort();
    table.at_least(
        "CLI: folio import entries --validate",
        lines,
        "lines",
        &times,
        300_000.0,
    );
    if peak_kib > 0 {
        table.add(
            "  peak RSS of folio import entries",
            "",
            fmt_mib(peak_kib),
            "",
            "< 256 MiB",
            if peak_kib <= 256 * 1024 {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            "",
        );
    }
    let _ = std::fs::remove_file(&ledger);
    let _ = std::fs::remove_file(&base);
    Ok(())
}

/// `folio import fec` of the FEC just exported, into a new ledger each run (created before
/// the clock starts), as a user runs it: both passes over the file, one transaction.
fn fec_import_row(
    table: &mut Table,
    bin: &Path,
    fec_dir: &Path,
    rss_file: &Path,
) -> BenchResult<()> {
    let fec = fec_dir.join("852147362FEC20261231.txt");
    let lines = std::fs::read(&fec)?
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        .saturating_sub(1) as u64;
    let ledger = fec_dir.join("imported.ledger");
    let time_bin = Path::new("/usr/bin/time");
    let mut times = Vec::new();
    let mut peak_kib = 0u64;
    for _ in 0..HEAVY_RUNS {
        let _ = std::fs::remove_file(&ledger);
        let status = Command::new(bin)
            .arg("--ledger")
            .arg(&ledger)
            .args([
                "init",
                "--name",
                "Bench",
                "--siren",
                "852147362",
                "--start",
                "2026-01-01",
            ])
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("folio init failed ({status})").into());
        }
        settle_writes();
        let mut cmd = if time_bin.is_file() {
            let mut cmd = Command::new(time_bin);
            cmd.arg("-f").arg("%M").arg("-o").arg(rss_file).arg(bin);
            cmd
        } else {
            Command::new(bin)
        };
        let start = Instant::now();
        let status = cmd
            .arg("--ledger")
            .arg(&ledger)
            .arg("import")
            .arg("fec")
            .arg(&fec)
            .env("FOLIO_TODAY", "2026-12-31")
            .stdout(Stdio::null())
            .status()?;
        times.push(start.elapsed());
        if !status.success() {
            return Err(format!("folio import fec failed ({status})").into());
        }
        if let Ok(text) = std::fs::read_to_string(rss_file) {
            let kib = text.lines().last().and_then(|l| l.trim().parse().ok());
            peak_kib = peak_kib.max(kib.unwrap_or(0));
        }
    }
    times.sort();
    table.at_least("CLI: folio import fec", lines, "lines", &times, 300_000.0);
    if peak_kib > 0 {
        table.add(
            "  peak RSS of folio import fec",
            "",
            fmt_mib(peak_kib),
            "",
            "< 256 MiB",
            if peak_kib <= 256 * 1024 {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            "",
        );
    }
    let _ = std::fs::remove_file(&ledger);
    Ok(())
}
