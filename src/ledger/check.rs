//! `folio check`: recompute what the ledger maintains and compare.

use std::collections::{BTreeMap, HashMap};

use redb::ReadableTable;
use serde::Serialize;

use super::Ledger;
use super::audit::{AuditRecord, check_link};
use super::codec::decode;
use super::error::Result;
use super::store::decode_audit;
use super::tables::*;
use crate::model::calendar::Period;
use crate::model::entry::check_lines;
use crate::model::{Entry, EntryStatus};

/// At most this many findings are listed; the rest are counted.
const MAX_FINDINGS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `entry`, `totals`, `numbering`, `audit`, `index`.
    pub area: &'static str,
    pub message: String,
}

#[derive(Default)]
struct Findings {
    list: Vec<Finding>,
    more: usize,
}

impl Findings {
    fn add(&mut self, area: &'static str, message: String) {
        if self.list.len() < MAX_FINDINGS {
            self.list.push(Finding { area, message });
        } else {
            self.more += 1;
        }
    }
}

/// What `check` looked at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub entries: u64,
    pub lines: u64,
    pub audit_records: u64,
    pub findings: Vec<Finding>,
    pub more_findings: usize,
}

type Sums = HashMap<(String, u32), (i64, i64)>;

impl Ledger {
    /// Recomputes running totals from lines, verifies balance and shape of every entry,
    /// gapless numbering and the audit chain.
    pub fn check(&self) -> Result<CheckReport> {
        let view = self.read()?;
        let mut findings = Findings::default();
        let mut report = CheckReport::default();
        let mut from_entries: Sums = HashMap::new();
        let mut party_sums: Sums = HashMap::new();
        let mut validated = 0u64;
        let drafts = view.table(DRAFTS)?;
        for item in view.table(ENTRIES)?.range::<u64>(..)? {
            let (key, value) = item?;
            let id = key.value();
            let entry: Entry = match decode(value.value(), "entry") {
                Ok(entry) => entry,
                Err(err) => {
                    findings.add("entry", format!("entry #{id}: {err}"));
                    continue;
                }
            };
            report.entries += 1;
            report.lines += entry.lines.len() as u64;
            if let Err(err) = check_lines(&entry.lines) {
                findings.add("entry", format!("entry {}: {err}", entry.reference()));
            }
            let is_draft_indexed = drafts.get(id)?.is_some();
            match entry.status {
                EntryStatus::Draft if !is_draft_indexed => findings.add(
                    "index",
                    format!("draft #{id} is missing from the drafts index"),
                ),
                EntryStatus::Validated if is_draft_indexed => findings.add(
                    "index",
                    format!(
                        "validated entry {} is still listed as a draft",
                        entry.reference()
                    ),
                ),
                EntryStatus::Validated if entry.number.is_none() => {
                    findings.add("numbering", format!("validated entry #{id} has no number"))
                }
                EntryStatus::Validated => validated += 1,
                EntryStatus::Draft => {}
            }
            let period = Period::of(entry.date).key();
            for line in &entry.lines {
                let slot = from_entries
                    .entry((line.account.as_str().to_string(), period))
                    .or_default();
                slot.0 += line.debit.cents();
                slot.1 += line.credit.cents();
                if let Some(party) = &line.third_party {
                    let slot = party_sums.entry((party.clone(), period)).or_default();
                    slot.0 += line.debit.cents();
                    slot.1 += line.credit.cents();
                }
            }
        }
        let from_index = sums_from_index(&view.table(LINES_BY_ACCOUNT)?)?;
        compare(
            "lines",
            &from_entries,
            "the account index",
            &from_index,
            &mut findings,
        );
        let stored = stored_totals(&view.table(TOTALS)?)?;
        compare(
            "lines",
            &from_entries,
            "the running totals",
            &stored,
            &mut findings,
        );
        let party_index = sums_from_index(&view.table(LINES_BY_PARTY)?)?;
        compare(
            "lines",
            &party_sums,
            "the third-party index",
            &party_index,
            &mut findings,
        );
        let party_stored = stored_totals(&view.table(PARTY_TOTALS)?)?;
        compare(
            "lines",
            &party_sums,
            "the third-party totals",
            &party_stored,
            &mut findings,
        );
        check_numbering(&view, validated, &mut findings)?;
        report.audit_records = check_audit(&view, &mut findings)?;
        super::check_vat::check_pending_vat(&view, &mut |m| findings.add("vat", m))?;
        report.findings = findings.list;
        report.more_findings = findings.more;
        Ok(report)
    }
}

fn sums_from_index(table: &impl ReadableTable<(&'static str, i32, u64, u32), i64>) -> Result<Sums> {
    let mut sums: Sums = HashMap::new();
    let mut current: Option<(String, i32, u32)> = None;
    for item in table.range::<(&str, i32, u64, u32)>(..)? {
        let (key, value) = item?;
        let (account, date, _, _) = key.value();
        // Dates arrive in order per account: recompute the period only when the day changes.
        let period = match &current {
            Some((a, d, p)) if a == account && *d == date => *p,
            _ => {
                let p = Period::of(super::store::from_day(date)).key();
                current = Some((account.to_string(), date, p));
                p
            }
        };
        let signed = value.value();
        let slot = sums.entry((account.to_string(), period)).or_default();
        if signed >= 0 {
            slot.0 += signed;
        } else {
            slot.1 -= signed;
        }
    }
    Ok(sums)
}

fn stored_totals(table: &impl ReadableTable<(&'static str, u32), (i64, i64)>) -> Result<Sums> {
    let mut sums: Sums = HashMap::new();
    for item in table.range::<(&str, u32)>(..)? {
        let (key, value) = item?;
        let (account, period) = key.value();
        sums.insert((account.to_string(), period), value.value());
    }
    Ok(sums)
}

/// Compares per (account, period) net amounts; the index stores net per line so debit and
/// credit are compared as a balance there, and exactly against the stored totals.
fn compare(a_name: &str, a: &Sums, b_name: &str, b: &Sums, findings: &mut Findings) {
    let keys: BTreeMap<&(String, u32), ()> = a.keys().chain(b.keys()).map(|k| (k, ())).collect();
    for key in keys.keys() {
        let x = a.get(*key).copied().unwrap_or((0, 0));
        let y = b.get(*key).copied().unwrap_or((0, 0));
        let same_net = x.0 - x.1 == y.0 - y.1;
        let same = if b_name.contains("index") {
            same_net
        } else {
            x == y
        };
        if !same {
            findings.add(
                "totals",
                format!(
                    "{} in {}: {a_name} give debit {} credit {}, {b_name} say debit {} credit {}",
                    key.0,
                    Period::from_key(key.1),
                    cents(x.0),
                    cents(x.1),
                    cents(y.0),
                    cents(y.1)
                ),
            );
        }
    }
}

fn cents(value: i64) -> crate::model::Amount {
    crate::model::Amount::from_cents(value)
}

fn check_numbering(
    view: &super::store::View,
    validated: u64,
    findings: &mut Findings,
) -> Result<()> {
    let numbers = view.table(NUMBERS)?;
    let counters = view.table(NUMBER_COUNTERS)?;
    let entries = view.table(ENTRIES)?;
    let mut seen: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut count = 0u64;
    for item in numbers.range::<(&str, &str, u64)>(..)? {
        let (key, value) = item?;
        let (journal, year, seq) = key.value();
        count += 1;
        let last = seen
            .entry((journal.to_string(), year.to_string()))
            .or_insert(0);
        if seq != *last + 1 {
            findings.add(
                "numbering",
                format!(
                    "journal {journal} year {year}: number {} follows {} (gap or duplicate)",
                    seq, last
                ),
            );
        }
        *last = seq;
        let id = value.value();
        match entries.get(id)? {
            Some(bytes) => {
                let entry: Entry = decode(bytes.value(), "entry")?;
                let matches = entry
                    .number
                    .as_ref()
                    .is_some_and(|n| n.journal == journal && n.year == year && n.seq == seq);
                if !matches {
                    findings.add(
                        "numbering",
                        format!(
                            "number {journal}{year}-{seq:06} points to entry #{id}, which says {}",
                            entry.reference()
                        ),
                    );
                }
            }
            None => findings.add(
                "numbering",
                format!("number {journal}{year}-{seq:06} points to missing entry #{id}"),
            ),
        }
    }
    for ((journal, year), last) in &seen {
        let counter = counters
            .get((journal.as_str(), year.as_str()))?
            .map(|v| v.value())
            .unwrap_or(0);
        if counter != *last {
            findings.add(
                "numbering",
                format!("journal {journal} year {year}: counter at {counter}, last number {last}"),
            );
        }
    }
    if count != validated {
        findings.add(
            "numbering",
            format!("{validated} validated entries but {count} numbers given"),
        );
    }
    Ok(())
}

fn check_audit(view: &super::store::View, findings: &mut Findings) -> Result<u64> {
    let log = view.table(AUDIT)?;
    let mut prev: Option<AuditRecord> = None;
    for item in log.range::<u64>(..)? {
        let (_, value) = item?;
        let checked = decode_audit(value.value())
            .map_err(|err| err.to_string())
            .and_then(|record| check_link(prev.as_ref(), &record).map(|_| record));
        match checked {
            Ok(record) => prev = Some(record),
            Err(message) => {
                findings.add("audit", message);
                return Ok(prev.map(|p| p.seq).unwrap_or(0));
            }
        }
    }
    let head: Option<(u64, [u8; 32])> = view.meta("audit_head")?;
    let tail = prev.as_ref().map(|p| (p.seq, p.hash));
    if head != tail {
        findings.add(
            "audit",
            "the audit log's last record is not the one the ledger points to (records removed?)"
                .into(),
        );
    }
    Ok(prev.map(|p| p.seq).unwrap_or(0))
}
