//! Matching benchmark: suggestions for one party with 500 open items, the default work budget
//! on a 60-item party, and the automatic lettering rules over synthetic groups.
//!
//! `cargo bench --bench matching` (100,000 groups; `FOLIO_BENCH_GROUPS=N` to scale).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use folio::matching::{Item, MatchSettings, auto_letter, suggest};
use folio::model::Amount;

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

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
}

fn day(n: i64) -> NaiveDate {
    start() + chrono::Duration::days(n)
}

/// An open customer account: invoices (debits) and payments (credits), some paying one invoice
/// exactly, some several, some partly; about a third of the lines carry a reference.
fn party(rng: &mut Rng, count: usize) -> Vec<Item> {
    let mut items = Vec::with_capacity(count);
    let mut key = 0u64;
    while items.len() < count {
        key += 1;
        let cents = rng.between(5_000, 500_000);
        let date = rng.between(0, 364);
        let reference = if rng.next().is_multiple_of(3) {
            vec![format!("FA2026-{key:05}")]
        } else {
            Vec::new()
        };
        items.push(Item {
            key,
            date: day(date),
            amount: Amount::from_cents(cents),
            references: reference.clone(),
        });
        match rng.next() % 4 {
            0 => {}
            1 => {
                let part = rng.between(1, cents - 1);
                for (n, amount) in [part, cents - part].into_iter().enumerate() {
                    items.push(Item {
                        key: key * 1_000 + n as u64,
                        date: day(date + rng.between(1, 60)),
                        amount: Amount::from_cents(-amount),
                        references: reference.clone(),
                    });
                }
            }
            _ => items.push(Item {
                key: key * 1_000,
                date: day(date + rng.between(0, 45)),
                amount: Amount::from_cents(-cents + rng.between(0, 1) * rng.between(-80, 80)),
                references: reference.clone(),
            }),
        }
    }
    items.truncate(count);
    items
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

fn main() {
    let settings = MatchSettings::default();
    let mut rng = Rng(0x4D41_5443_4849_4E47);

    // Suggestions for lines of a 500-item party.
    let items = party(&mut rng, 500);
    let mut runs = Vec::new();
    let mut stopped = 0;
    let mut found = 0;
    for item in items.iter().step_by(25) {
        let began = Instant::now();
        let result = suggest(&items, Some(item.key), &settings);
        runs.push(began.elapsed());
        found += result.suggestions.len();
        stopped += usize::from(result.search.stopped_at_bound);
    }
    let lines = runs.len();
    let worst = runs.iter().max().copied().unwrap_or_default();
    let one_line = median(runs);
    println!(
        "suggest, one line of a 500-item party: median {:.2} ms, worst {:.2} ms over {lines} lines \
         ({found} suggestions, {stopped} stopped at the budget); target top 10 < 50 ms: {}",
        ms(one_line),
        ms(worst),
        verdict(worst < Duration::from_millis(50))
    );

    let mut runs = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let began = Instant::now();
        last = Some(suggest(&items, None, &settings));
        runs.push(began.elapsed());
    }
    let note = last
        .and_then(|r| r.search.bound_note())
        .unwrap_or_else(|| "complete".to_string());
    println!(
        "suggest, whole 500-item party (60 oldest): median {:.2} ms ({note}); target < 50 ms: {}",
        ms(median(runs.clone())),
        verdict(median(runs) < Duration::from_millis(50))
    );

    // The worst 60-item party for the search: small amounts of both signs, so no partial sum
    // is ever out of reach and nothing prunes, yet every amount is 1 modulo 8, so no set of up
    // to 4 lines nets to zero and the search runs to the end (or to the budget).
    let mut dense = Rng(7);
    let sixty: Vec<Item> = (0..60)
        .map(|n| Item {
            key: n,
            date: day(n as i64),
            amount: Amount::from_cents(dense.between(-50, 50) * 8 + 1),
            references: Vec::new(),
        })
        .collect();
    let mut runs = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let began = Instant::now();
        last = Some(auto_letter(&sixty, &settings));
        runs.push(began.elapsed());
    }
    let stats = last.map(|r| r.set_search).unwrap_or_default();
    println!(
        "auto rules, worst 60-item party (no zero set, small amounts of both signs): median {:.2} ms, {} of {} sets examined \
         (budget {}); target < 20 ms: {}",
        ms(median(runs.clone())),
        stats.examined,
        stats.total,
        settings.work_budget,
        verdict(median(runs) < Duration::from_millis(20))
    );

    // Automatic rules over synthetic groups: parties of 10 groups, 5 with a shared reference,
    // 4 unique pairs and one set of three lines. Now and then a part payment of the set equals
    // a pair's amount: then neither is the only candidate and, rightly, neither is proposed.
    let groups: usize = std::env::var("FOLIO_BENCH_GROUPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let parties: Vec<Vec<Item>> = (0..groups.div_ceil(10))
        .map(|p| {
            let mut items = Vec::new();
            for g in 0..10u64 {
                let key = g * 10;
                let base = rng.between(0, 300);
                // Distinct amounts per party, so each group is the only candidate.
                let cents = 10_000 * (g as i64 + 1) + rng.between(1, 9_999);
                // One set of three per party: two would make rule 3 ambiguous.
                match if g == 9 { 2 } else { g % 2 } {
                    0 => {
                        let reference = vec![format!("FA{p}-{g}")];
                        items.push(item(key, base, cents, reference.clone()));
                        items.push(item(key + 1, base + 20, -cents, reference));
                    }
                    1 => {
                        items.push(item(key, base, cents, Vec::new()));
                        items.push(item(key + 1, base + 30, -cents, Vec::new()));
                    }
                    _ => {
                        let part = cents / 3;
                        items.push(item(key, base, cents, Vec::new()));
                        items.push(item(key + 1, base + 10, -part, Vec::new()));
                        items.push(item(key + 2, base + 40, part - cents, Vec::new()));
                    }
                }
            }
            items
        })
        .collect();
    let began = Instant::now();
    let mut proposed = 0usize;
    for items in &parties {
        proposed += auto_letter(items, &settings).groups.len();
    }
    let elapsed = began.elapsed();
    let rate = proposed as f64 / elapsed.as_secs_f64();
    println!(
        "auto rules, {} parties of 10 groups: {proposed} of {} groups proposed in {:.1} ms, \
         {rate:.0} groups/s; target >= 100,000 groups/s: {}",
        parties.len(),
        parties.len() * 10,
        ms(elapsed),
        verdict(rate >= 100_000.0)
    );
}

fn item(key: u64, days: i64, cents: i64, references: Vec<String>) -> Item {
    Item {
        key,
        date: day(days),
        amount: Amount::from_cents(cents),
        references,
    }
}
