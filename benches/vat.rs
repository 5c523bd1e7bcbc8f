//! VAT return benchmark: a synthetic year of VAT-tagged entries (sales at 20 % and 5.5 %,
//! purchases at 20 %) imported through the entries CSV's `tax` column, then a monthly CA3
//! computed from the VAT totals (target: under 100 ms) and a box's lines listed page by page
//! (target: under 10 ms per page).
//!
//! ```text
//! cargo bench --bench vat                              # 1,000,000 entries
//! FOLIO_BENCH_ENTRIES=100000 cargo bench --bench vat   # smaller
//! ```

mod common;

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::BenchResult;
use folio::formats::entries_csv::{EntriesCsvReader, EntryGrouper};
use folio::ledger::ImportOptions;
use folio::vat::{Ca3Box, Periodicity, ReturnPeriod, VatOptions};

const DEFAULT_ENTRIES: u64 = 1_000_000;
const PAGE: usize = 50;
const RUNS: usize = 20;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vat bench failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn median<T>(mut f: impl FnMut() -> BenchResult<T>) -> BenchResult<(Duration, Duration, T)> {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        last = Some(f()?);
        times.push(start.elapsed());
    }
    times.sort();
    Ok((
        times[times.len() / 2],
        times[times.len() - 1],
        last.ok_or("no run")?,
    ))
}

/// Entry `i` of `n`: a sale at 20 % (one in two), a sale at 5.5 % (one in ten) or a purchase
/// at 20 %, dated through 2026 in order.
fn write_csv(path: &std::path::Path, n: u64) -> BenchResult<()> {
    let mut out = BufWriter::new(File::create(path)?);
    writeln!(
        out,
        "journal,date,piece,label,account,third_party,debit,credit,tax"
    )?;
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("date")?;
    for i in 0..n {
        let date = start + chrono::Days::new(i * 365 / n.max(1));
        let base = 1000 + (i * 7919) % 200_000;
        let cents = |c: u64| format!("{}.{:02}", c / 100, c % 100);
        if i % 10 == 9 {
            let tax = (base * 55 + 500) / 1000;
            let customer = common::customer_code((i % 500) as u32 + 1);
            writeln!(
                out,
                "VE,{date},V{i},Livres,411000,{customer},{},,",
                cents(base + tax)
            )?;
            writeln!(out, "VE,{date},V{i},Livres,707000,,,{},V55", cents(base))?;
            writeln!(out, "VE,{date},V{i},Livres,445710,,,{},V55", cents(tax))?;
        } else if i % 2 == 0 {
            let tax = (base * 20 + 50) / 100;
            let customer = common::customer_code((i % 500) as u32 + 1);
            writeln!(
                out,
                "VE,{date},V{i},Vente,411000,{customer},{},,",
                cents(base + tax)
            )?;
            writeln!(out, "VE,{date},V{i},Vente,707000,,,{},V20", cents(base))?;
            writeln!(out, "VE,{date},V{i},Vente,445710,,,{},V20", cents(tax))?;
        } else {
            let tax = (base * 20 + 50) / 100;
            let supplier = common::supplier_code((i % 200) as u32 + 1);
            writeln!(out, "AC,{date},A{i},Achat,606100,,{},,D20", cents(base))?;
            writeln!(out, "AC,{date},A{i},Achat,445660,,{},,D20", cents(tax))?;
            writeln!(
                out,
                "AC,{date},A{i},Achat,401000,{supplier},,{},",
                cents(base + tax)
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn run() -> BenchResult<()> {
    let entries: u64 = match std::env::var("FOLIO_BENCH_ENTRIES") {
        Ok(text) => text.trim().replace('_', "").parse()?,
        Err(_) => DEFAULT_ENTRIES,
    };
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("vat.csv");
    let path = dir.path().join("vat.ledger");
    eprintln!("generating {entries} tagged entries…");
    write_csv(&csv, entries)?;
    let ctx = common::bench_ctx();
    let ledger = common::create_ledger(&path, &ctx)?;
    eprintln!("importing (validated, VAT index written in the same transaction)…");
    let start = Instant::now();
    let name = csv.display().to_string();
    let reader =
        EntriesCsvReader::new(&name, BufReader::with_capacity(1 << 20, File::open(&csv)?))?;
    let options = ImportOptions {
        validate: true,
        ..ImportOptions::default()
    };
    let summary = ledger.import_entries(&ctx, &name, EntryGrouper::new(&name, reader), &options)?;
    println!(
        "import: {} entries, {} lines in {:.1} s",
        summary.entries,
        summary.lines,
        start.elapsed().as_secs_f64()
    );
    let options = VatOptions {
        periodicity: Periodicity::Monthly,
        debits_for_services: false,
    };
    let period = ReturnPeriod::parse("2026-10")?;
    let (med, worst, sheet) = median(|| Ok(ledger.vat_return(period, &options)?))?;
    println!(
        "monthly CA3 2026-10 (with line 22 from the nine months before, and the checks): median {}, slowest {} — {} (target < 100 ms); line 08 base {} tax {}, line 20 {}",
        ms(med),
        ms(worst),
        if med < Duration::from_millis(100) {
            "PASS"
        } else {
            "FAIL"
        },
        sheet.ret.base(Ca3Box::L08),
        sheet.ret.tax(Ca3Box::L08),
        sheet.ret.tax(Ca3Box::L20),
    );
    // Box 08's lines, page by page: the first page, then a page far down.
    let (first, first_worst, page) =
        median(|| Ok(ledger.vat_box_lines(period, &options, Ca3Box::L08, None, PAGE)?))?;
    println!(
        "box 08 lines, first page of {PAGE}: median {}, slowest {} — {} (target < 10 ms)",
        ms(first),
        ms(first_worst),
        if first < Duration::from_millis(10) {
            "PASS"
        } else {
            "FAIL"
        }
    );
    let mut cursor = page.next;
    for _ in 0..100 {
        let Some(c) = cursor.clone() else { break };
        cursor = ledger
            .vat_box_lines(period, &options, Ca3Box::L08, Some(&c), PAGE)?
            .next;
    }
    if let Some(c) = cursor {
        let (far, far_worst, _) =
            median(|| Ok(ledger.vat_box_lines(period, &options, Ca3Box::L08, Some(&c), PAGE)?))?;
        println!(
            "box 08 lines, page 102: median {}, slowest {} — {} (target < 10 ms)",
            ms(far),
            ms(far_worst),
            if far < Duration::from_millis(10) {
                "PASS"
            } else {
                "FAIL"
            }
        );
    }
    Ok(())
}
