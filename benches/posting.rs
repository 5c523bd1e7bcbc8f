//! Posting benchmark: invoices of 3 lines imported and posted in one command, then a
//! regeneration of the year with unchanged settings (which must create nothing).
//!
//! `cargo bench --bench posting` (100,000 invoices; `FOLIO_BENCH_DOCUMENTS=N` to scale).

mod common;

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use common::{BenchResult, CUSTOMERS, Rng, SEED, bench_ctx, create_ledger, customer_code};
use folio::formats::documents_csv::{DocumentGrouper, DocumentsCsvReader};

const LABELS: [(&str, &str); 3] = [
    ("Luminaire sur mesure", "V20"),
    ("Prestation de pose", "V10"),
    ("Ouvrage technique", "V55"),
];

fn write_documents(path: &std::path::Path, count: u64) -> BenchResult<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(
        out,
        "type,document,date,party,reference,item,label,quantity,unit_price,discount,tax_code"
    )?;
    let mut rng = Rng::new(SEED ^ 0xD0C5);
    let mut lines = 0;
    for n in 0..count {
        // Spread over the year in date order, as an export from invoicing software is.
        let day_of_year = n * 364 / count.max(1);
        let date = common::year_start() + chrono::Duration::days(day_of_year as i64);
        let party = customer_code(1 + rng.below(u64::from(CUSTOMERS)) as u32);
        for (label, tax) in LABELS {
            let quantity = rng.between(1, 20);
            let cents = rng.between(500, 90_000);
            writeln!(
                out,
                "customer_invoice,B{n:07},{date},{party},,,{label},{quantity},{}.{:02},,{tax}",
                cents / 100,
                cents % 100
            )?;
            lines += 1;
        }
    }
    out.flush()?;
    Ok(lines)
}

fn main() -> BenchResult<()> {
    let count: u64 = std::env::var("FOLIO_BENCH_DOCUMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("documents.csv");
    let lines = write_documents(&csv, count)?;
    let ctx = bench_ctx();
    let ledger = create_ledger(&dir.path().join("posting.ledger"), &ctx)?;

    let started = Instant::now();
    let name = csv.display().to_string();
    let reader =
        DocumentsCsvReader::new(&name, BufReader::with_capacity(1 << 20, File::open(&csv)?))?;
    let posted = ledger.import_documents(&ctx, &name, DocumentGrouper::new(&name, reader), true)?;
    let import = started.elapsed();
    let rate = posted.len() as f64 / import.as_secs_f64();

    let entries_before = ledger.entry_count()?;
    let started = Instant::now();
    let report = ledger.regenerate(&ctx, Some("2026"), None)?;
    let regenerate = started.elapsed();
    let entries_after = ledger.entry_count()?;

    println!("| Operation | Size | Time | Rate | Target | Result |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| import and post invoices (validated) | {} invoices, {lines} lines | {:.2} s | {:.0} documents/s | >= 20,000 documents/s | {} |",
        posted.len(),
        import.as_secs_f64(),
        rate,
        if rate >= 20_000.0 { "PASS" } else { "FAIL" }
    );
    let unchanged = report.unchanged == count && entries_after == entries_before;
    println!(
        "| regenerate the year, settings unchanged | {} documents | {:.2} s | {} unchanged, {} new entries | < 5 s, 0 new entries | {} |",
        report.examined,
        regenerate.as_secs_f64(),
        report.unchanged,
        entries_after - entries_before,
        if regenerate.as_secs_f64() < 5.0 && unchanged {
            "PASS"
        } else {
            "FAIL"
        }
    );
    Ok(())
}
