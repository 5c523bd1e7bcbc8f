//! `folio letter auto` over a synthetic year: groups per second, and memory while it runs.
//!
//! The year holds N entries (`FOLIO_BENCH_ENTRIES`, default 1,000,000) on 500 customers and
//! 200 suppliers: invoices and the bank lines that pay them, typed without documents (as an
//! import brings them), so that only the automatic rules letter them. A quarter of the
//! payments name their invoice's piece (rule 1), most pay one invoice of its exact amount
//! (rule 2), one in ten pays two invoices at once (rule 3), and one invoice in twenty stays
//! unpaid. The entries are imported validated, then `Ledger::letter_auto_each` letters the
//! whole year in one transaction, handing each group out as it goes.
//!
//! `cargo bench --bench letter_auto` (`FOLIO_BENCH_ENTRIES=100000` for a quick run). Target:
//! at least 100,000 groups per second; memory bounded by one party's open items (the peak
//! resident set while lettering is printed next to the one after the import).

#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use common::{BenchResult, CUSTOMERS, Rng, SEED, SUPPLIERS, customer_code, supplier_code};
use folio::formats::entries_csv::{EntriesCsvReader, EntryGrouper};
use folio::ledger::{AutoEvent, ImportOptions};
use folio::matching::{Item, Rule, auto_letter};

/// Peak and current resident set of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Processor time (user and system) of this process so far, in seconds: on a machine shared
/// with other work the elapsed time overstates what the run itself costs.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with the last `)`): utime and stime are the
    // 12th and 13th, in clock ticks of 1/100 s.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Resets the peak resident set, so that the next reading is the peak from now on.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Line {
    date: NaiveDate,
    journal: &'static str,
    piece: String,
    label: String,
    account: &'static str,
    party: String,
    debit: i64,
    credit: i64,
}

fn cents(out: &mut String, value: i64) {
    if value > 0 {
        let _ = write!(out, "{}.{:02}", value / 100, value % 100);
    }
}

/// The year's entries, in date order, as Folio's entries CSV. Returns the number of entries.
fn write_year(path: &std::path::Path, entries: u64) -> BenchResult<u64> {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let mut rng = Rng::new(SEED);
    // (date, entry lines): each entry is a party line and its counterpart.
    let mut all: Vec<(NaiveDate, u64, [Line; 2])> = Vec::with_capacity(entries as usize);
    let mut n = 0u64;
    let mut invoice = 0u64;
    while n < entries {
        invoice += 1;
        let customer = rng.below(10) < 7;
        let party = if customer {
            customer_code(1 + rng.below(u64::from(CUSTOMERS)) as u32)
        } else {
            supplier_code(1 + rng.below(u64::from(SUPPLIERS)) as u32)
        };
        let (party_account, other, journal) = if customer {
            ("411000", "706000", "VE")
        } else {
            ("401000", "607000", "AC")
        };
        // Amounts distinct enough that a party rarely has two open of one amount.
        let amount = 1_000 + (invoice.wrapping_mul(7_919) % 4_000_000) as i64;
        let day = rng.below(300) as i64;
        let date = start + Duration::days(day);
        let piece = format!("F26-{invoice:07}");
        let label = format!("Facture {piece}");
        let (d, c) = if customer { (amount, 0) } else { (0, amount) };
        let party_line = |date, journal, piece: &str, label: &str, d, c| Line {
            date,
            journal,
            piece: piece.to_string(),
            label: label.to_string(),
            account: party_account,
            party: party.clone(),
            debit: d,
            credit: c,
        };
        let counter = |date, journal, piece: &str, label: &str, d, c| Line {
            date,
            journal,
            piece: piece.to_string(),
            label: label.to_string(),
            account: other,
            party: String::new(),
            debit: c,
            credit: d,
        };
        all.push((
            date,
            n,
            [
                party_line(date, journal, &piece, &label, d, c),
                counter(date, journal, &piece, &label, d, c),
            ],
        ));
        n += 1;
        let kind = rng.below(20);
        if kind == 0 || n >= entries {
            continue; // unpaid
        }
        let paid = date + Duration::days(1 + rng.below(40) as i64);
        let bank = |date, piece: &str, label: &str, amount: i64| -> [Line; 2] {
            let (pd, pc) = if customer { (0, amount) } else { (amount, 0) };
            [
                Line {
                    date,
                    journal: "BQ",
                    piece: piece.to_string(),
                    label: label.to_string(),
                    account: party_account,
                    party: party.clone(),
                    debit: pd,
                    credit: pc,
                },
                Line {
                    date,
                    journal: "BQ",
                    piece: piece.to_string(),
                    label: label.to_string(),
                    account: "512000",
                    party: String::new(),
                    debit: pc,
                    credit: pd,
                },
            ]
        };
        if kind <= 2 && n + 1 < entries {
            // Paid in two parts: the only set of three netting to zero (rule 3).
            let first = amount * rng.between(30, 70) / 100;
            for (k, part) in [first, amount - first].into_iter().enumerate() {
                let piece = format!("P26-{invoice:07}-{k}");
                let label = format!("Virement {piece}");
                all.push((paid, n, bank(paid, &piece, &label, part)));
                n += 1;
            }
        } else {
            let piece = if kind <= 7 {
                piece.clone() // names the invoice (rule 1)
            } else {
                format!("P26-{invoice:07}")
            };
            let label = format!("Virement {piece}");
            all.push((paid, n, bank(paid, &piece, &label, amount)));
            n += 1;
        }
    }
    all.sort_by_key(|(date, order, _)| (*date, *order));
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    out.write_all(b"journal,date,piece,label,account,third_party,debit,credit\n")?;
    let mut row = String::with_capacity(256);
    for (_, _, lines) in &all {
        for line in lines {
            row.clear();
            let _ = write!(
                row,
                "{},{},{},{},{},{},",
                line.journal,
                line.date.format("%Y-%m-%d"),
                line.piece,
                line.label,
                line.account,
                line.party
            );
            cents(&mut row, line.debit);
            row.push(',');
            cents(&mut row, line.credit);
            row.push('\n');
            out.write_all(row.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(all.len() as u64)
}

fn main() -> BenchResult<()> {
    let entries: u64 = std::env::var("FOLIO_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("year.csv");
    let ledger_path = dir.path().join("year.ledger");
    let ctx = common::bench_ctx();

    // `FOLIO_BENCH_LEDGER=PATH`: the imported year is kept at PATH (built once) and copied
    // for each run, which letters the copy.
    let kept = std::env::var_os("FOLIO_BENCH_LEDGER").map(std::path::PathBuf::from);
    let ledger = match kept.as_deref().filter(|p| p.exists()) {
        Some(kept) => {
            std::fs::copy(kept, &ledger_path)?;
            eprintln!("copied the imported year from {}", kept.display());
            folio::ledger::Ledger::open(&ledger_path)?
        }
        None => {
            let t = Instant::now();
            let written = write_year(&csv, entries)?;
            eprintln!(
                "generated {written} entries in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            let ledger = common::create_ledger(&ledger_path, &ctx)?;
            let t = Instant::now();
            let name = csv.display().to_string();
            let reader =
                EntriesCsvReader::new(&name, BufReader::with_capacity(1 << 20, File::open(&csv)?))?;
            let options = ImportOptions {
                validate: true,
                ..ImportOptions::default()
            };
            let summary =
                ledger.import_entries(&ctx, &name, EntryGrouper::new(&name, reader), &options)?;
            eprintln!(
                "imported {} entries ({} lines) in {:.1} s",
                summary.entries,
                summary.lines,
                t.elapsed().as_secs_f64()
            );
            std::fs::remove_file(&csv)?;
            match kept {
                Some(kept) => {
                    drop(ledger);
                    std::fs::copy(&ledger_path, &kept)?;
                    folio::ledger::Ledger::open(&ledger_path)?
                }
                None => ledger,
            }
        }
    };

    // Reading alone: every party's open items through the open-items API.
    let t = Instant::now();
    let mut read_items = 0usize;
    let mut rules_s = 0.0;
    let bounds = folio::ledger::match_settings(&ledger.settings()?.lettering);
    for party in ledger.open_item_parties(None)? {
        let items = ledger.open_items(&party.account, &party.party)?;
        read_items += items.len();
        // The rules engine alone on the same items (no partial groups here).
        let engine: Vec<Item> = items
            .iter()
            .enumerate()
            .map(|(key, item)| Item {
                key: key as u64,
                date: item.date,
                amount: item.signed(),
                references: vec![item.piece.clone()],
            })
            .collect();
        let r = Instant::now();
        std::hint::black_box(auto_letter(&engine, &bounds));
        rules_s += r.elapsed().as_secs_f64();
    }
    let read_s = t.elapsed().as_secs_f64() - rules_s;

    eprintln!("lettering the year");
    let (_, rss_before) = memory_kib();
    reset_peak();
    let t = Instant::now();
    let cpu = cpu_seconds();
    let (mut by_rule, mut largest_party, mut current, mut last_party) =
        ([0u64; 3], 0usize, 0usize, String::new());
    let counts = ledger.letter_auto_each(&ctx, None, None, false, &mut |event| {
        if let AutoEvent::Group(group) = event {
            let slot = match group.rule {
                Rule::SharedReference => 0,
                Rule::UniquePair => 1,
                Rule::UniqueSet => 2,
            };
            by_rule[slot] += 1;
            if group.party != last_party {
                last_party = group.party.clone();
                current = 0;
            }
            current += group.lines.len();
            largest_party = largest_party.max(current);
        }
    })?;
    let elapsed = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let (peak, rss_after) = memory_kib();
    let rate = counts.groups as f64 / elapsed.max(1e-9);
    let open_after = ledger.open_item_parties(None)?;
    let open_lines: usize = open_after.iter().map(|p| p.count).sum();

    println!("letter auto over a synthetic year of {entries} entries");
    println!("  parties with open items        {:>12}", counts.parties);
    println!(
        "  groups (rule 1 / 2 / 3)        {:>12}  ({} / {} / {})",
        counts.groups, by_rule[0], by_rule[1], by_rule[2]
    );
    println!("  lines lettered                 {:>12}", counts.lines);
    println!("  open lines left                {:>12}", open_lines);
    println!("  elapsed                        {elapsed:>12.2} s");
    println!(
        "  processor time                 {cpu:>12.2} s  ({:.0} groups per processor second)",
        counts.groups as f64 / cpu.max(1e-9)
    );
    println!(
        "  processor time per 100,000     {:>12.2} s  (target <= 1.00 on an idle machine)",
        cpu * 100_000.0 / (counts.groups as f64).max(1.0)
    );
    println!(
        "  reading open items alone       {read_s:>12.2} s  ({read_items} items, open-items API with labels; letter auto reads the index alone)"
    );
    println!("  rules engine alone             {rules_s:>12.2} s");
    println!(
        "  lettering less the rules       {:>12.2} s  (reading the index, checking and writing the groups, marks, index, audit)",
        (elapsed - rules_s).max(0.0),
    );
    println!(
        "  rate                           {:>12.0} groups/s  target >= 100000  {}",
        rate,
        if rate >= 100_000.0 { "PASS" } else { "FAIL" }
    );
    println!(
        "  resident set before / peak / after  {} / {} / {} MiB (largest party: {} lettered lines)",
        rss_before / 1024,
        peak / 1024,
        rss_after / 1024,
        largest_party
    );
    Ok(())
}
