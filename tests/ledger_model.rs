//! Model-based test of the ledger: random command sequences run against the real ledger and a
//! simple in-memory reference; after every step both must agree on entries, numbering, totals,
//! immutability, letter groups and open items, and a refused command must leave the ledger
//! exactly as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use folio::ledger::{Ctx, InitParams, Ledger, Selection};
use folio::lettering::{LineRef, code_of, display_code};
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
/// The letterable account of the model, with the one third party `SUPP`.
const SUPPLIERS: &str = "401000";
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
    /// Letters validated lines of the supplier account (picked among all of them, lettered or
    /// not), with the line of the first one's reversal when `with_reversal`.
    Letter {
        picks: Vec<usize>,
        with_reversal: bool,
    },
    /// Removes the group at this position of the codes given so far (or one never given).
    Unletter {
        pick: usize,
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
        3 => (prop::collection::vec(any::<usize>(), 1..4), prop::bool::weighted(0.4))
            .prop_map(|(picks, with_reversal)| Cmd::Letter { picks, with_reversal }),
        2 => any::<usize>().prop_map(|pick| Cmd::Unletter { pick }),
    ]
}

/// The reference: what the ledger should contain.
#[derive(Default)]
struct Reference {
    entries: BTreeMap<u64, Entry>,
    counters: BTreeMap<String, u64>,
    locked: Vec<Period>,
    reversed: BTreeMap<u64, u64>,
    /// Letter groups of the supplier account by code position.
    groups: BTreeMap<u64, Vec<LineRef>>,
    /// Codes given on the supplier account.
    next_code: u64,
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

    /// Validated lines of the supplier account, in (entry, line) order.
    fn supplier_lines(&self) -> Vec<LineRef> {
        let mut out = Vec::new();
        for entry in self.entries.values() {
            if entry.status != EntryStatus::Validated {
                continue;
            }
            for (i, line) in entry.lines.iter().enumerate() {
                if line.account.as_str() == SUPPLIERS {
                    out.push(LineRef {
                        entry: entry.id,
                        line: i as u32,
                    });
                }
            }
        }
        out
    }

    fn signed(&self, at: LineRef) -> i64 {
        self.entries[&at.entry].lines[at.line as usize]
            .signed()
            .cents()
    }

    fn is_complete(&self, lines: &[LineRef]) -> bool {
        lines.iter().map(|at| self.signed(*at)).sum::<i64>() == 0
    }

    fn group_of(&self, at: LineRef) -> Option<u64> {
        self.groups
            .iter()
            .find(|(_, lines)| lines.contains(&at))
            .map(|(seq, _)| *seq)
    }

    /// Open items of the supplier: (date, entry, line, signed cents, partial code) in the
    /// index's order.
    fn open_items(&self) -> Vec<(NaiveDate, u64, u32, i64, Option<String>)> {
        let mut out: Vec<_> = self
            .supplier_lines()
            .into_iter()
            .filter_map(|at| {
                let partial = match self.group_of(at) {
                    Some(seq) if self.is_complete(&self.groups[&seq]) => return None,
                    Some(seq) => Some(display_code(seq, false)),
                    None => None,
                };
                let date = self.entries[&at.entry].date;
                Some((date, at.entry, at.line, self.signed(at), partial))
            })
            .collect();
        out.sort();
        out
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
        Cmd::Letter {
            picks,
            with_reversal,
        } => {
            let lines = reference.supplier_lines();
            if lines.is_empty() {
                return false;
            }
            let mut picked: Vec<LineRef> = Vec::new();
            for pick in picks {
                let at = lines[pick % lines.len()];
                if !picked.contains(&at) {
                    picked.push(at);
                }
            }
            if *with_reversal && let Some(reversal) = reference.reversed.get(&picked[0].entry) {
                // A reversal keeps the lines in their order.
                let at = LineRef {
                    entry: *reversal,
                    line: picked[0].line,
                };
                if !picked.contains(&at) {
                    picked.push(at);
                }
            }
            // The model's rules: lines of one partial group bring the others in; a line of a
            // complete group or of a second group is refused; a new group needs two lines.
            let mut target = None;
            let mut refused = false;
            for at in &picked {
                if let Some(seq) = reference.group_of(*at) {
                    if reference.is_complete(&reference.groups[&seq])
                        || target.is_some_and(|t| t != seq)
                    {
                        refused = true;
                    }
                    target = Some(seq);
                }
            }
            let fresh: Vec<LineRef> = picked
                .iter()
                .copied()
                .filter(|at| reference.group_of(*at).is_none())
                .collect();
            let expected_ok = !refused
                && match target {
                    Some(_) => !fresh.is_empty(),
                    None => fresh.len() >= 2,
                };
            let result = ledger.letter(&ctx, &picked);
            assert_eq!(result.is_ok(), expected_ok, "letter {picked:?}: {result:?}");
            if let Ok(group) = result {
                let seq = match target {
                    Some(seq) => seq,
                    None => {
                        let seq = reference.next_code;
                        reference.next_code += 1;
                        seq
                    }
                };
                let lines = reference.groups.entry(seq).or_default();
                lines.extend(fresh);
                assert_eq!(group.seq, seq, "code of {picked:?}");
                let mut got: Vec<LineRef> = group.lines.iter().map(|l| l.at).collect();
                let mut want = lines.clone();
                got.sort();
                want.sort();
                assert_eq!(got, want, "lines of group {}", code_of(seq));
            }
            expected_ok
        }
        Cmd::Unletter { pick } => {
            let seq = (*pick as u64) % (reference.next_code + 1);
            let expected_ok = reference.groups.contains_key(&seq);
            let supplier = acc(SUPPLIERS);
            let result = ledger.unletter(&ctx, &supplier, &code_of(seq));
            assert_eq!(result.is_ok(), expected_ok, "unletter {cmd:?}: {result:?}");
            if result.is_ok() {
                reference.groups.remove(&seq);
            }
            expected_ok
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
    // Letter groups and codes as the model says, complete ones balanced.
    let supplier = acc(SUPPLIERS);
    let groups: BTreeMap<u64, BTreeSet<LineRef>> = ledger
        .letter_groups(Some(&supplier))
        .unwrap()
        .into_iter()
        .map(|g| {
            assert_eq!(
                g.is_complete(),
                reference.is_complete(&reference.groups[&g.seq])
            );
            (g.seq, g.lines.iter().map(|l| l.at).collect())
        })
        .collect();
    let expected: BTreeMap<u64, BTreeSet<LineRef>> = reference
        .groups
        .iter()
        .map(|(seq, lines)| (*seq, lines.iter().copied().collect()))
        .collect();
    assert_eq!(groups, expected);
    // Open items from the index, a page of them, and the party's summary.
    let open: Vec<_> = ledger
        .open_items(&supplier, "SUPP")
        .unwrap()
        .into_iter()
        .map(|i| (i.date, i.at.entry, i.at.line, i.signed().cents(), i.partial))
        .collect();
    let expected = reference.open_items();
    assert_eq!(open, expected);
    let page = ledger.open_items_page(&supplier, "SUPP", 1, 2).unwrap();
    assert_eq!(page.total, expected.len());
    assert_eq!(page.has_more, expected.len() > 3);
    let paged: Vec<(u64, u32)> = page.items.iter().map(|i| (i.at.entry, i.at.line)).collect();
    let want: Vec<(u64, u32)> = expected
        .iter()
        .skip(1)
        .take(2)
        .map(|o| (o.1, o.2))
        .collect();
    assert_eq!(paged, want);
    let parties = ledger.open_item_parties(None).unwrap();
    match expected.first() {
        None => assert!(parties.is_empty(), "{parties:?}"),
        Some(first) => {
            assert_eq!(parties.len(), 1, "{parties:?}");
            assert_eq!(parties[0].count, expected.len());
            assert_eq!(parties[0].oldest, first.0);
            let balance: i64 = expected.iter().map(|o| o.3).sum();
            assert_eq!(parties[0].balance.cents(), balance);
        }
    }
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
