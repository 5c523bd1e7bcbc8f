//! Synthetic ledgers for the benchmarks: a deterministic entries CSV for fiscal year 2026 and
//! a ledger (PCG chart, third parties) that accepts it.
//!
//! The mix is fixed by the entry's position (`i % 20`) so that the line counts per account are
//! exact whatever the seed; the seeded PRNG only picks amounts, third parties, expense accounts
//! and 2-, 3- or 4-line shapes:
//!
//! | slots (i % 20)  | share | journal | lines                                                    |
//! |-----------------|-------|---------|----------------------------------------------------------|
//! | 1..=8           | 40 %  | VE      | 411000 (customer) / 706000 [/ 708000 in 1 of 4] / 445710 |
//! | 9, 11..=15      | 30 %  | AC      | 6xxxxx [/ 6xxxxx in 1 of 2] / 445660 / 401000 (supplier) |
//! | 0, 10           | 10 %  | BQ      | 401000 (supplier) / 627000 (bank fee) / 512000           |
//! | 16, 17          | 10 %  | BQ      | 512000 / 411000 (customer)                               |
//! | 18, 19          | 10 %  | BQ      | 401000 (supplier) / 512000                               |
//!
//! About 3.05 lines per entry; 627000 gets exactly one line per 10 entries (100,000 lines at
//! 1,000,000 entries) and 512000 three per 10.

// Each bench uses only part of this module.
#![allow(dead_code)]

use std::error::Error;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use folio::fixtures;
use folio::ledger::{Ctx, InitParams, Ledger};
use folio::model::{AccountNumber, Company, Party, PartyKind};

pub type BenchResult<T> = Result<T, Box<dyn Error>>;

/// The seed of every generated file: same entry count, same bytes.
pub const SEED: u64 = 0x5EED_F011_0000_2026;
pub const CUSTOMERS: u32 = 500;
pub const SUPPLIERS: u32 = 200;
/// Receives exactly one line per 10 entries: the "100,000-line account" at 1M entries.
pub const BANK_FEES_ACCOUNT: &str = "627000";
/// Receives three lines per 10 entries.
pub const BANK_ACCOUNT: &str = "512000";
pub const YEAR: i32 = 2026;

const EXPENSES: [&str; 10] = [
    "606100", "606300", "606400", "607000", "611000", "613200", "615000", "622600", "625100",
    "626000",
];

/// xorshift64* (Vigna): tiny, fast, good enough to spread amounts and third parties.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // One splitmix64 step so that close seeds give unrelated streams; never zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (modulo bias is negligible for the small `n` used here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

pub fn customer_code(i: u32) -> String {
    format!("C{i:05}")
}

pub fn supplier_code(i: u32) -> String {
    format!("F{i:05}")
}

/// What a generated file holds.
#[derive(Debug, Clone, Default)]
pub struct CsvStats {
    pub entries: u64,
    pub lines: u64,
    pub bytes: u64,
    /// Lines on [`BANK_FEES_ACCOUNT`].
    pub fee_lines: u64,
    /// Lines on [`BANK_ACCOUNT`].
    pub bank_lines: u64,
}

/// Builds rows in one reused buffer and writes them.
struct CsvOut<W: Write> {
    out: W,
    row: String,
    stats: CsvStats,
}

impl<W: Write> CsvOut<W> {
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        journal: &str,
        date: &str,
        piece: &str,
        label: &str,
        account: &str,
        party: &str,
        debit_cents: i64,
        credit_cents: i64,
    ) -> std::io::Result<()> {
        let row = &mut self.row;
        row.clear();
        let _ = write!(row, "{journal},{date},{piece},{label},{account},{party},");
        if debit_cents > 0 {
            push_cents(row, debit_cents);
        }
        row.push(',');
        if credit_cents > 0 {
            push_cents(row, credit_cents);
        }
        row.push('\n');
        self.out.write_all(row.as_bytes())?;
        self.stats.lines += 1;
        self.stats.bytes += row.len() as u64;
        match account {
            BANK_FEES_ACCOUNT => self.stats.fee_lines += 1,
            BANK_ACCOUNT => self.stats.bank_lines += 1,
            _ => {}
        }
        Ok(())
    }
}

fn push_cents(out: &mut String, cents: i64) {
    let _ = write!(out, "{}.{:02}", cents / 100, cents % 100);
}

/// 20 % VAT, half away from zero (amounts are positive).
fn vat(net_cents: i64) -> i64 {
    (net_cents * 20 + 50) / 100
}

/// The days of fiscal year `YEAR` as `YYYY-MM-DD`.
fn year_days() -> Vec<String> {
    let mut days = Vec::with_capacity(366);
    let mut date = NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap_or(NaiveDate::MIN);
    while date.year() == YEAR {
        days.push(date.format("%Y-%m-%d").to_string());
        date = date.succ_opt().unwrap_or(NaiveDate::MAX);
    }
    days
}

/// Writes `entries` entries of fiscal year 2026 in date order to `path` (Folio's entries CSV).
pub fn write_entries_csv(path: &Path, entries: u64, seed: u64) -> BenchResult<CsvStats> {
    let file = File::create(path)?;
    let mut csv = CsvOut {
        out: BufWriter::with_capacity(1 << 20, file),
        row: String::with_capacity(256),
        stats: CsvStats::default(),
    };
    let header = "journal,date,piece,label,account,third_party,debit,credit\n";
    csv.out.write_all(header.as_bytes())?;
    csv.stats.bytes += header.len() as u64;
    let days = year_days();
    let mut rng = Rng::new(seed);
    let (mut sales, mut purchases, mut bank) = (0u64, 0u64, 0u64);
    let mut piece = String::with_capacity(16);
    let mut label = String::with_capacity(64);
    for i in 0..entries {
        let date = &days[(i as u128 * days.len() as u128 / entries.max(1) as u128) as usize];
        piece.clear();
        label.clear();
        match i % 20 {
            1..=8 => {
                sales += 1;
                let customer = customer_code(1 + rng.below(u64::from(CUSTOMERS)) as u32);
                let _ = write!(piece, "F26-{sales:07}");
                let _ = write!(label, "Facture {piece} client {customer}");
                let net = rng.between(1_000, 500_000);
                let tax = vat(net);
                csv.line(
                    "VE",
                    date,
                    &piece,
                    &label,
                    "411000",
                    &customer,
                    net + tax,
                    0,
                )?;
                if rng.below(4) == 0 {
                    let services = net * rng.between(20, 80) / 100;
                    csv.line("VE", date, &piece, &label, "706000", "", 0, net - services)?;
                    csv.line("VE", date, &piece, &label, "708000", "", 0, services)?;
                } else {
                    csv.line("VE", date, &piece, &label, "706000", "", 0, net)?;
                }
                csv.line("VE", date, &piece, &label, "445710", "", 0, tax)?;
            }
            9 | 11..=15 => {
                purchases += 1;
                let supplier = supplier_code(1 + rng.below(u64::from(SUPPLIERS)) as u32);
                let _ = write!(piece, "A26-{purchases:07}");
                let _ = write!(label, "Facture fournisseur {piece} {supplier}");
                let net = rng.between(1_000, 300_000);
                let tax = vat(net);
                let expense = EXPENSES[rng.below(EXPENSES.len() as u64) as usize];
                if rng.below(2) == 0 {
                    let other = EXPENSES[rng.below(EXPENSES.len() as u64) as usize];
                    let part = net * rng.between(20, 80) / 100;
                    csv.line("AC", date, &piece, &label, expense, "", net - part, 0)?;
                    csv.line("AC", date, &piece, &label, other, "", part, 0)?;
                } else {
                    csv.line("AC", date, &piece, &label, expense, "", net, 0)?;
                }
                csv.line("AC", date, &piece, &label, "445660", "", tax, 0)?;
                csv.line(
                    "AC",
                    date,
                    &piece,
                    &label,
                    "401000",
                    &supplier,
                    0,
                    net + tax,
                )?;
            }
            slot => {
                bank += 1;
                let _ = write!(piece, "B26-{bank:07}");
                let amount = rng.between(1_000, 600_000);
                match slot {
                    0 | 10 => {
                        let supplier = supplier_code(1 + rng.below(u64::from(SUPPLIERS)) as u32);
                        let fee = rng.between(50, 2_500);
                        let _ = write!(label, "Virement fournisseur {supplier} et frais");
                        csv.line("BQ", date, &piece, &label, "401000", &supplier, amount, 0)?;
                        csv.line("BQ", date, &piece, &label, BANK_FEES_ACCOUNT, "", fee, 0)?;
                        csv.line(
                            "BQ",
                            date,
                            &piece,
                            &label,
                            BANK_ACCOUNT,
                            "",
                            0,
                            amount + fee,
                        )?;
                    }
                    16 | 17 => {
                        let customer = customer_code(1 + rng.below(u64::from(CUSTOMERS)) as u32);
                        let _ = write!(label, "Règlement client {customer}");
                        csv.line("BQ", date, &piece, &label, BANK_ACCOUNT, "", amount, 0)?;
                        csv.line("BQ", date, &piece, &label, "411000", &customer, 0, amount)?;
                    }
                    _ => {
                        let supplier = supplier_code(1 + rng.below(u64::from(SUPPLIERS)) as u32);
                        let _ = write!(label, "Prélèvement fournisseur {supplier}");
                        csv.line("BQ", date, &piece, &label, "401000", &supplier, amount, 0)?;
                        csv.line("BQ", date, &piece, &label, BANK_ACCOUNT, "", 0, amount)?;
                    }
                }
            }
        }
        csv.stats.entries += 1;
    }
    csv.out.flush()?;
    Ok(csv.stats)
}

/// The acting user and dates of every bench command: entries are validated on 2026-12-31.
pub fn bench_ctx() -> Ctx {
    let now = NaiveDate::from_ymd_opt(YEAR, 12, 31)
        .and_then(|d| d.and_hms_opt(18, 0, 0))
        .unwrap_or_default();
    Ctx::fixed("bench", now)
}

pub fn year_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap_or(NaiveDate::MIN)
}

pub fn year_end() -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Creates a ledger (PCG chart, fiscal year 2026) with the customers and suppliers the
/// generated entries name. `add_party` commits durably once per party and has no batch form:
/// 700 fsyncs, from under a second to several on a slow disk (reported by the bench).
pub fn create_ledger(path: &Path, ctx: &Ctx) -> BenchResult<Ledger> {
    let params = InitParams {
        company: Company {
            name: "Banc d'Essai SARL".into(),
            siren: "852147362".into(),
        },
        first_year_start: year_start(),
        first_year_months: 12,
        chart: fixtures::default_chart()?,
        // As `folio init` does.
        settings: Some(fixtures::default_settings()?),
    };
    let ledger = Ledger::create(path, &params, ctx)?;
    let parties = (1..=CUSTOMERS)
        .map(|i| (customer_code(i), PartyKind::Customer, "411000"))
        .chain((1..=SUPPLIERS).map(|i| (supplier_code(i), PartyKind::Supplier, "401000")));
    for (code, kind, account) in parties {
        let name = format!("Tiers {code}");
        let account = AccountNumber::parse(account)?;
        ledger.add_party(ctx, Party::new(code, name, kind, account))?;
    }
    Ok(ledger)
}
