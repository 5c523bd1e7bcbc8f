//! Model-based test of the ledger: random command sequences run against the real ledger and a
//! simple in-memory reference; after every step both must agree on entries, numbering, totals
//! and immutability, and a refused command must leave the ledger exactly as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use folio::ledger::{Ctx, InitParams, Ledger, Selection};
use folio::model::calendar::Period;
use folio::model::{
    AccountNumber, Amount, Company, Entry, EntryInput, EntryStatus, Line, Party, PartyKind,
};
use proptest::prelude::*;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

fn acc(n: &str) -> AccountNumber {
    AccountNumber::parse(n).unwrap()
}

fn ctx() -> Ctx {
    Ctx::fixed("model", d(6, 30).and_hms_opt(12, 0, 0).unwrap())
}

const ACCOUNTS: [&str; 5] = ["606100", "445660", "401000", "512000", "706000"];
const JOURNALS: [&str; 3] = ["AC", "BQ", "OD"];

#[derive(Debug, Clone)]
enum Cmd {
    /// Lines as (account index, cents, debit?) — balanced by construction when `balanced`.
    Add {
        journal: usize,
        month: u32,
        day: u32,
        amounts: Vec<(usize, i64)>,
        balanced: bool,
    },
    Edit {
        pick: usize,
        month: u32,
        cents: i64,
    },
    Delete {
        pick: usize,
    },
    ValidateOne {
        pick: usize,
    },
    ValidateUntil {
        month: u32,
    },
    Reverse {
        pick: usize,
        month: u32,
    },
    Lock {
        month: u32,
    },
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        4 => (0..3usize, 1..=6u32, 1..=28u32, prop::collection::vec((0..5usize, 1..100_000i64), 1..4), prop::bool::weighted(0.85))
            .prop_map(|(journal, month, day, amounts, balanced)| Cmd::Add { journal, month, day, amounts, balanced }),
        1 => (any::<usize>(), 1..=6u32, 1..50_000i64).prop_map(|(pick, month, cents)| Cmd::Edit { pick, month, cents }),
        1 => any::<usize>().prop_map(|pick| Cmd::Delete { pick }),
        2 => any::<usize>().prop_map(|pick| Cmd::ValidateOne { pick }),
        1 => (1..=6u32).prop_map(|month| Cmd::ValidateUntil { month }),
        1 => (any::<usize>(), 1..=6u32).prop_map(|(pick, month)| Cmd::Reverse { pick, month }),
        1 => (1..=6u32).prop_map(|month| Cmd::Lock { month }),
    ]
}

/// The reference: what the ledger should contain.
#[derive(Default)]
struct Reference {
    entries: BTreeMap<u64, Entry>,
    counters: BTreeMap<String, u64>,
    locked: Vec<Period>,
    reversed: BTreeMap<u64, u64>,
}

impl Reference {
    fn accepts(&self, date: NaiveDate) -> bool {
        !self.locked.contains(&Period::of(date))
    }

    fn balances(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for entry in self.entries.values() {
            for line in &entry.lines {
                *out.entry(line.account.to_string()).or_default() += line.signed().cents();
            }
        }
        out.retain(|_, v| *v != 0);
        out
    }

    fn number(&mut self, entry: &mut Entry) {
        let seq = self.counters.entry(entry.journal.clone()).or_default();
        *seq += 1;
        entry.status = EntryStatus::Validated;
        entry.number = Some(folio::model::EntryNumber {
            journal: entry.journal.clone(),
            year: "2026".into(),
            seq: *seq,
        });
    }

    fn pick(&self, pick: usize, status: EntryStatus) -> Option<u64> {
        let ids: Vec<u64> = self
            .entries
            .values()
            .filter(|e| e.status == status)
            .map(|e| e.id)
            .collect();
        (!ids.is_empty()).then(|| ids[pick % ids.len()])
    }
}

fn lines_of(amounts: &[(usize, i64)], balanced: bool) -> Vec<Line> {
    let mut lines: Vec<Line> = amounts
        .iter()
        .map(|(a, c)| Line::debit(acc(ACCOUNTS[*a]), Amount::from_cents(*c)))
        .collect();
    let total: i64 = amounts.iter().map(|(_, c)| c).sum();
    let offset = if balanced { 0 } else { 1 };
    lines.push(Line::credit(
        acc("512000"),
        Amount::from_cents(total + offset),
    ));
    for line in &mut lines {
        if line.account.as_str() == "401000" {
            line.third_party = Some("SUPP".into());
        }
    }
    lines
}

fn setup(dir: &std::path::Path) -> Ledger {
    let chart = ACCOUNTS
        .iter()
        .map(|n| (acc(n), format!("Compte {n}")))
        .chain([(acc("530000"), "Caisse".to_string())])
        .collect();
    let params = InitParams {
        company: Company {
            name: "Model SARL".into(),
            siren: "732829320".into(),
        },
        first_year_start: d(1, 1),
        first_year_months: 12,
        chart,
        settings: None,
    };
    let ledger = Ledger::create(&dir.join("model.ledger"), &params, &ctx()).unwrap();
    ledger
        .add_party(
            &ctx(),
            Party::new(
                "SUPP".into(),
                "Fournisseur".into(),
                PartyKind::Supplier,
                acc("401000"),
            ),
        )
        .unwrap();
    ledger
}

/// Runs one command on both sides; returns whether the ledger accepted it.
fn apply(ledger: &Ledger, reference: &mut Reference, cmd: &Cmd) -> bool {
    let ctx = ctx();
    match cmd {
        Cmd::Add {
            journal,
            month,
            day,
            amounts,
            balanced,
        } => {
            let input = EntryInput {
                journal: JOURNALS[*journal].into(),
                date: d(*month, *day),
                piece: format!("P{month}-{day}"),
                label: "Model entry".into(),
                lines: lines_of(amounts, *balanced),
            };
            let expected_ok = *balanced && reference.accepts(input.date);
            let result = ledger.add_entry(&ctx, &input);
            assert_eq!(result.is_ok(), expected_ok, "add {cmd:?}: {result:?}");
            if let Ok(entry) = result {
                assert_eq!(entry.status, EntryStatus::Draft);
                reference.entries.insert(entry.id, entry);
            }
            expected_ok
        }
        Cmd::Edit { pick, month, cents } => {
            // Picks any entry: validated ones must be refused.
            let ids: Vec<u64> = reference.entries.keys().copied().collect();
            if ids.is_empty() {
                return false;
            }
            let id = ids[pick % ids.len()];
            let old = reference.entries[&id].clone();
            let input = EntryInput {
                journal: old.journal.clone(),
                date: d(*month, 15),
                piece: old.piece.clone(),
                label: "Edited".into(),
                lines: lines_of(&[(0, *cents)], true),
            };
            let expected_ok = old.status == EntryStatus::Draft
                && reference.accepts(old.date)
                && reference.accepts(input.date);
            let result = ledger.edit_entry(&ctx, id, &input, None);
            assert_eq!(result.is_ok(), expected_ok, "edit {cmd:?}: {result:?}");
            if let Ok(entry) = result {
                reference.entries.insert(id, entry);
            }
            expected_ok
        }
        Cmd::Delete { pick } => {
            let ids: Vec<u64> = reference.entries.keys().copied().collect();
            if ids.is_empty() {
                return false;
            }
            let id = ids[pick % ids.len()];
            let old = &reference.entries[&id];
            let expected_ok = old.status == EntryStatus::Draft && reference.accepts(old.date);
            let result = ledger.delete_entry(&ctx, id);
            assert_eq!(result.is_ok(), expected_ok, "delete {cmd:?}: {result:?}");
            if result.is_ok() {
                reference.entries.remove(&id);
            }
            expected_ok
        }
        Cmd::ValidateOne { pick } => {
            let Some(id) = reference.pick(*pick, EntryStatus::Draft) else {
                return false;
            };
            let expected_ok = reference.accepts(reference.entries[&id].date);
            let result = ledger.validate(&ctx, &Selection::Entries(vec![id]));
            assert_eq!(result.is_ok(), expected_ok, "validate {cmd:?}: {result:?}");
            if result.is_ok() {
                let mut entry = reference.entries[&id].clone();
                reference.number(&mut entry);
                reference.entries.insert(id, entry);
            }
            expected_ok
        }
        Cmd::ValidateUntil { month } => {
            let until = Period {
                year: 2026,
                month: *month,
            }
            .last_day();
            let mut due: Vec<Entry> = reference
                .entries
                .values()
                .filter(|e| e.status == EntryStatus::Draft && e.date <= until)
                .cloned()
                .collect();
            due.sort_by_key(|e| (e.date, e.id));
            let expected_ok = due.iter().all(|e| reference.accepts(e.date));
            let result = ledger.validate(
                &ctx,
                &Selection::Until {
                    date: until,
                    journal: None,
                },
            );
            assert_eq!(
                result.is_ok(),
                expected_ok,
                "validate until {cmd:?}: {result:?}"
            );
            if result.is_ok() {
                for mut entry in due {
                    reference.number(&mut entry);
                    reference.entries.insert(entry.id, entry);
                }
            }
            expected_ok
        }
        Cmd::Reverse { pick, month } => {
            let Some(id) = reference.pick(*pick, EntryStatus::Validated) else {
                return false;
            };
            let date = d(*month, 20);
            let expected_ok = !reference.reversed.contains_key(&id) && reference.accepts(date);
            let result = ledger.reverse(&ctx, id, Some(date));
            assert_eq!(result.is_ok(), expected_ok, "reverse {cmd:?}: {result:?}");
            if let Ok(reversal) = result {
                let original = &reference.entries[&id];
                assert_eq!(reversal.reversal_of, Some(id));
                for (a, b) in original.lines.iter().zip(&reversal.lines) {
                    assert_eq!(a.signed(), -b.signed());
                }
                let mut expected = reversal.clone();
                expected.status = EntryStatus::Draft;
                expected.number = None;
                reference.number(&mut expected);
                assert_eq!(reversal.number, expected.number);
                reference.reversed.insert(id, reversal.id);
                reference.entries.insert(reversal.id, reversal);
            }
            expected_ok
        }
        Cmd::Lock { month } => {
            let period = Period {
                year: 2026,
                month: *month,
            };
            let has_drafts = reference
                .entries
                .values()
                .any(|e| e.status == EntryStatus::Draft && Period::of(e.date) == period);
            let result = ledger.lock_period(&ctx, period);
            assert_eq!(result.is_ok(), !has_drafts, "lock {cmd:?}: {result:?}");
            if result.is_ok() && !reference.locked.contains(&period) {
                reference.locked.push(period);
            }
            !has_drafts
        }
    }
}

fn compare(ledger: &Ledger, reference: &Reference) {
    // Every entry as the reference says, validated ones unchanged since validation.
    let entries = ledger.entries(&Default::default()).unwrap();
    assert_eq!(entries.len(), reference.entries.len());
    for entry in &entries {
        let expected = &reference.entries[&entry.id];
        assert_eq!(entry.status, expected.status, "status of #{}", entry.id);
        assert_eq!(entry.number, expected.number, "number of #{}", entry.id);
        assert_eq!(entry.lines, expected.lines, "lines of #{}", entry.id);
        assert_eq!(entry.date, expected.date);
    }
    // Totals (maintained incrementally) equal the sum of the lines.
    let balances: BTreeMap<String, i64> = ledger
        .trial_balance(d(1, 1), d(12, 31))
        .unwrap()
        .into_iter()
        .map(|r| (r.account.to_string(), r.balance().cents()))
        .filter(|(_, v)| *v != 0)
        .collect();
    assert_eq!(balances, reference.balances());
    let drafts = reference
        .entries
        .values()
        .filter(|e| e.status == EntryStatus::Draft)
        .count();
    assert_eq!(ledger.draft_count().unwrap() as usize, drafts);
    let report = ledger.check().unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 50, ..ProptestConfig::default() })]

    #[test]
    fn ledger_agrees_with_reference(cmds in prop::collection::vec(cmd(), 1..45)) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = setup(dir.path());
        let mut reference = Reference::default();
        for cmd in &cmds {
            let counter = ledger.change_counter().unwrap();
            let accepted = apply(&ledger, &mut reference, cmd);
            let after = ledger.change_counter().unwrap();
            // A refused command writes nothing; an accepted one commits exactly once.
            prop_assert_eq!(after, counter + u64::from(accepted), "{:?}", cmd);
            compare(&ledger, &reference);
        }
    }
}
