//! Reconciliation benchmark: candidates for 10,000 bank lines against 100,000 open book lines
//! (target: under 2 s in all, index included), and the plan of `bank match` over them.
//!
//! `cargo bench --bench reconcile` (`FOLIO_BENCH_BANK_LINES=N`, `FOLIO_BENCH_BOOK_LINES=N` to
//! scale). Pure engine only: the ledger's reading of the lines is measured elsewhere.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use folio::model::Amount;
use folio::model::account::AccountNumber;
use folio::model::party::PartyKind;
use folio::model::settings::{BankSign, Reconciliation, ReconciliationRule};
use folio::reconcile::{
    BankLineView, BookLineView, Index, OpenInvoiceView, PartyView, Proposal, Rules, candidates,
    plan,
};

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + chrono::Duration::days(n)
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn account(number: &str) -> AccountNumber {
    AccountNumber::parse(number).unwrap_or_else(|_| unreachable!("constant account"))
}

const PARTIES: usize = 1_000;

fn iban(party: usize) -> String {
    format!("FR76300060000{party:014}")
}

struct Data {
    book: Vec<BookLineView>,
    bank: Vec<BankLineView>,
    parties: Vec<PartyView>,
    invoices: Vec<OpenInvoiceView>,
}

/// A year of open book lines on one bank account (payments in and out, about two thirds with
/// a payment number), and bank lines: 70 % paying one book line (0 to 3 days later), 10 % a
/// deposit of 2 to 4 of them, 8 % fees for a rule, 7 % a customer paying an open invoice by
/// transfer (IBAN known), 5 % unknown.
fn generate(book_count: usize, bank_count: usize) -> Data {
    let mut rng = Rng(20_261_203);
    let mut book: Vec<BookLineView> = (0..book_count)
        .map(|k| {
            let cents = rng.between(1_000, 900_000);
            let cents = if rng.next().is_multiple_of(3) {
                -cents
            } else {
                cents
            };
            let references = if rng.next().is_multiple_of(3) {
                Vec::new()
            } else {
                vec![format!("RC2026-{k:06}")]
            };
            BookLineView {
                key: k as u64,
                date: day(rng.between(0, 364)),
                amount: Amount::from_cents(cents),
                label: format!("Payment {k}"),
                references,
                party: Some(format!("P{:04}", k % PARTIES)),
            }
        })
        .collect();
    book.sort_by_key(|l| (l.date, l.key));
    let parties: Vec<PartyView> = (0..PARTIES)
        .map(|p| PartyView {
            code: format!("P{p:04}"),
            name: format!("Company {p} Industries"),
            kind: PartyKind::Customer,
            iban: Some(iban(p)),
        })
        .collect();
    let invoices: Vec<OpenInvoiceView> = (0..5 * PARTIES)
        .map(|i| OpenInvoiceView {
            key: i as u64,
            party: format!("P{:04}", i % PARTIES),
            number: format!("FA2026-{i:05}"),
            reference: String::new(),
            date: day(rng.between(0, 300)),
            due_date: None,
            remaining: Amount::from_cents(rng.between(10_000, 500_000)),
        })
        .collect();
    let mut bank = Vec::with_capacity(bank_count);
    let account = account("512000");
    let mut used = vec![false; book.len()];
    for key in 0..bank_count as u64 {
        let roll = rng.next() % 100;
        let mut line = BankLineView {
            key,
            account: account.clone(),
            booking_date: day(rng.between(0, 364)),
            value_date: None,
            amount: Amount::from_cents(rng.between(1_000, 900_000)),
            label: format!("VIR {}", rng.next() % 100_000),
            reference: Some(format!("BQ{key:08}")),
            counterparty_name: None,
            counterparty_iban: None,
            end_to_end_id: None,
            remittance: None,
        };
        if roll < 80 {
            let size = if roll < 70 {
                1
            } else {
                rng.between(2, 4) as usize
            };
            let mut start = (rng.next() % book.len() as u64) as usize;
            while used[start] {
                start = (start + 1) % book.len();
            }
            let positive = book[start].amount.is_positive();
            let mut members = vec![start];
            let mut next = start;
            while members.len() < size && next + 1 < book.len() {
                next += 1;
                if !used[next] && book[next].amount.is_positive() == positive {
                    members.push(next);
                }
            }
            let mut total = 0;
            for &m in &members {
                used[m] = true;
                total += book[m].amount.cents();
            }
            let last = members
                .iter()
                .map(|&m| book[m].date)
                .max()
                .unwrap_or(day(0));
            line.booking_date = last + chrono::Duration::days(rng.between(0, 3));
            line.amount = Amount::from_cents(total);
            if size == 1
                && rng.next().is_multiple_of(2)
                && let Some(reference) = book[start].references.first()
            {
                line.label = format!("VIR SEPA {reference}");
            }
        } else if roll < 88 {
            line.amount = Amount::from_cents(-rng.between(100, 4_900));
            line.label = "FRAIS TENUE DE COMPTE".into();
        } else if roll < 95 {
            let invoice = &invoices[(rng.next() % invoices.len() as u64) as usize];
            let p: usize = invoice.party[1..].parse().unwrap_or(0);
            line.amount = invoice.remaining;
            line.counterparty_iban = Some(iban(p));
            line.counterparty_name = Some(format!("COMPANY {p} INDUSTRIES"));
        }
        bank.push(line);
    }
    Data {
        book,
        bank,
        parties,
        invoices,
    }
}

fn rules() -> Vec<ReconciliationRule> {
    vec![
        ReconciliationRule {
            name: "FEES".into(),
            label_contains: Some("frais".into()),
            label_regex: None,
            amount_min: None,
            amount_max: Some(Amount::from_cents(5_000)),
            sign: Some(BankSign::Out),
            counterparty_iban: None,
            account: None,
            post_to: account("627000"),
            tax: None,
            party: None,
            label: "{label}".into(),
            min_score: None,
        },
        ReconciliationRule {
            name: "URSSAF".into(),
            label_contains: None,
            label_regex: Some(r"^PRLV\s+.*URSSAF".into()),
            amount_min: None,
            amount_max: None,
            sign: Some(BankSign::Out),
            counterparty_iban: None,
            account: None,
            post_to: account("431000"),
            tax: None,
            party: None,
            label: "{label}".into(),
            min_score: None,
        },
    ]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let book_count = env_count("FOLIO_BENCH_BOOK_LINES", 100_000);
    let bank_count = env_count("FOLIO_BENCH_BANK_LINES", 10_000);
    eprintln!("generating {book_count} book lines and {bank_count} bank lines…");
    let data = generate(book_count, bank_count);
    let settings = Reconciliation::default();
    let compiled = Rules::new(&rules()).unwrap_or_else(|e| panic!("rules: {e}"));

    let mut runs = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        // What the ledger hands over (owned lines) is copied outside the timing.
        let (book, parties, invoices) = (
            data.book.clone(),
            data.parties.clone(),
            data.invoices.clone(),
        );
        let started = Instant::now();
        let index = Index::new(book, parties, invoices);
        let indexed = started.elapsed();
        let mut count = 0usize;
        let mut with_candidate = 0usize;
        let mut kinds = [0usize; 3];
        for line in &data.bank {
            let found = candidates(line, &index, &compiled, &settings);
            count += found.len();
            if let Some(best) = found.first() {
                with_candidate += 1;
                kinds[match best.proposal {
                    Proposal::BookLines { .. } => 0,
                    Proposal::Payment { .. } => 1,
                    // The benchmark collects no direct debit: no rejection.
                    Proposal::Rule { .. } | Proposal::Rejection { .. } => 2,
                }] += 1;
            }
        }
        let total = started.elapsed();
        runs.push((indexed, total));
        last = Some((index, count, with_candidate, kinds));
    }
    runs.sort_by_key(|r| r.1);
    let (indexed, total) = runs[runs.len() / 2];
    let Some((index, count, with_candidate, kinds)) = last else {
        return;
    };
    let started = Instant::now();
    let planned = plan(&data.bank, &index, &compiled, &settings, settings.min_score);
    let planning = started.elapsed();

    println!("| What | Time | Target | Result |");
    println!("|------|------|--------|--------|");
    println!(
        "| index of {book_count} book lines, {PARTIES} parties, {} invoices | {} | - | - |",
        data.invoices.len(),
        ms(indexed)
    );
    let verdict = if total < Duration::from_secs(2) {
        "PASS"
    } else {
        "FAIL"
    };
    println!(
        "| candidates for {bank_count} bank lines, index included (median of 3) | {} | < 2 s | {verdict} |",
        ms(total)
    );
    println!(
        "| per bank line | {:.1} µs | - | - |",
        (total - indexed).as_secs_f64() * 1e6 / bank_count.max(1) as f64
    );
    println!(
        "| `bank match` plan (candidates + assignment) | {} | - | - |",
        ms(planning)
    );
    println!(
        "\n{count} candidates; {with_candidate} lines with one; best: {} book lines, {} payments, {} rules; plan applies {} and leaves {}",
        kinds[0],
        kinds[1],
        kinds[2],
        planned.applied.len(),
        planned.skipped.len()
    );
}
