//! Read queries for screens that page through long ledgers.
//!
//! `account_ledger(offset, limit)` walks `offset` index keys before the page it returns, which
//! grows with the position. A screen scrolling through hundreds of thousands of lines instead
//! asks for windows next to a line it already holds (keyset paging): the cost of a window is its
//! own size, wherever it is.

use std::ops::Bound;

use chrono::NaiveDate;

use redb::ReadableTableMetadata;

use super::Ledger;
use super::codec::decode;
use super::error::{Result, add_cents, sub_cents};
use super::queries::{EntryFilter, LedgerRow, RowBuilder};
use super::store::{View, day, from_day};
use super::tables::*;
use crate::model::calendar::Period;
use crate::model::{AccountNumber, Amount, Entry, EntryId};

/// Whose ledger: an account's or a third party's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerOf {
    Account(AccountNumber),
    Party(String),
}

impl LedgerOf {
    fn key(&self) -> &str {
        match self {
            LedgerOf::Account(number) => number.as_str(),
            LedgerOf::Party(code) => code,
        }
    }

    fn index(&self) -> redb::TableDefinition<'static, (&'static str, i32, u64, u32), i64> {
        match self {
            LedgerOf::Account(_) => LINES_BY_ACCOUNT,
            LedgerOf::Party(_) => LINES_BY_PARTY,
        }
    }

    fn totals(&self) -> redb::TableDefinition<'static, (&'static str, u32), (i64, i64)> {
        match self {
            LedgerOf::Account(_) => TOTALS,
            LedgerOf::Party(_) => PARTY_TOTALS,
        }
    }
}

/// Where one line sits in a ledger: its index key without the account or party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey {
    pub date: NaiveDate,
    pub entry_id: EntryId,
    pub line_no: u32,
}

impl LineKey {
    pub fn of(row: &LedgerRow) -> Self {
        LineKey {
            date: row.date,
            entry_id: row.entry_id,
            line_no: row.line_no,
        }
    }

    fn tuple<'a>(&self, key: &'a str) -> (&'a str, i32, u64, u32) {
        (key, day(self.date), self.entry_id, self.line_no)
    }
}

/// Where a window of ledger lines starts. Balances are running balances (debit minus credit,
/// including the balance brought forward at the start of the range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowStart {
    /// The first lines of the range.
    First,
    /// The last lines of the range.
    Last,
    /// Lines from `key` on (included); `balance` is the running balance before it.
    At { key: LineKey, balance: Amount },
    /// Lines after `key`; `balance` is the running balance after it.
    After { key: LineKey, balance: Amount },
    /// Lines before `key`; `balance` is the running balance before it.
    Before { key: LineKey, balance: Amount },
}

/// Where a line was found: its position in the range and the running balance before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePosition {
    pub index: usize,
    pub balance_before: Amount,
}

impl Ledger {
    /// How many lines a ledger has between two dates (index keys only: nothing is decoded).
    pub fn ledger_line_count(
        &self,
        of: &LedgerOf,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<usize> {
        let view = self.read()?;
        let lines = view.table(of.index())?;
        let (lo, hi) = bounds(of.key(), from, to);
        let mut count = 0usize;
        for item in lines.range(lo..=hi)? {
            item?;
            count = count.saturating_add(1);
        }
        Ok(count)
    }

    /// Up to `limit` lines of a ledger in date order, starting where `start` says, each with its
    /// running balance. The cost is the window's size, not its position.
    pub fn ledger_window(
        &self,
        of: &LedgerOf,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        start: WindowStart,
        limit: usize,
    ) -> Result<Vec<LedgerRow>> {
        let view = self.read()?;
        let key = of.key();
        let lines = view.table(of.index())?;
        let (lo, hi) = bounds(key, from, to);
        // (signed amount, index key) in date order, with the balance before the first of them.
        let (picked, mut balance) = match start {
            WindowStart::First => {
                let opening = opening_balance(&view, of, from)?;
                (collect(lines.range(lo..=hi)?, limit, false)?, opening)
            }
            WindowStart::At { key: at, balance } => {
                let at = at.tuple(key).max(lo);
                let picked = if at > hi {
                    Vec::new()
                } else {
                    collect(lines.range(at..=hi)?, limit, false)?
                };
                (picked, balance)
            }
            WindowStart::After {
                key: after,
                balance,
            } => {
                let after = after.tuple(key);
                let picked = if after < lo {
                    collect(lines.range(lo..=hi)?, limit, false)?
                } else if after >= hi {
                    Vec::new()
                } else {
                    let range = (Bound::Excluded(after), Bound::Included(hi));
                    collect(lines.range::<IndexKey<'_>>(range)?, limit, false)?
                };
                (picked, balance)
            }
            WindowStart::Before {
                key: before,
                balance,
            } => {
                let before = before.tuple(key);
                let picked = if before <= lo {
                    Vec::new()
                } else {
                    collect(lines.range(lo..before)?, limit, true)?
                };
                let moved = moved_cents(&picked)?;
                let start = sub_cents(balance.cents(), moved, "running balance")?;
                (picked, Amount::from_cents(start))
            }
            WindowStart::Last => {
                let closing = closing_balance(&view, of, to)?;
                let picked = collect(lines.range(lo..=hi)?, limit, true)?;
                let moved = moved_cents(&picked)?;
                let start = sub_cents(closing.cents(), moved, "running balance")?;
                (picked, Amount::from_cents(start))
            }
        };
        let mut builder = RowBuilder::new(&view)?;
        let mut rows = Vec::with_capacity(picked.len());
        for (signed, (date, entry_id, line_no)) in picked {
            balance = Amount::from_cents(add_cents(balance.cents(), signed, "running balance")?);
            rows.push(builder.row(date, entry_id, line_no, balance)?);
        }
        Ok(rows)
    }

    /// Finds the first line of `entry` in a ledger: its position and the running balance before
    /// it. Walks the index keys before it (nothing is decoded).
    pub fn ledger_find_entry(
        &self,
        of: &LedgerOf,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        entry: EntryId,
    ) -> Result<Option<(LineKey, LinePosition)>> {
        let view = self.read()?;
        let lines = view.table(of.index())?;
        let (lo, hi) = bounds(of.key(), from, to);
        let mut cents = opening_balance(&view, of, from)?.cents();
        for (index, item) in lines.range(lo..=hi)?.enumerate() {
            let (k, v) = item?;
            let (_, date, entry_id, line_no) = k.value();
            if entry_id == entry {
                let key = LineKey {
                    date: from_day(date),
                    entry_id,
                    line_no,
                };
                let position = LinePosition {
                    index,
                    balance_before: Amount::from_cents(cents),
                };
                return Ok(Some((key, position)));
            }
            cents = add_cents(cents, v.value(), "running balance")?;
        }
        Ok(None)
    }

    /// Balance (debit minus credit) of every line up to `to` (all lines when `None`).
    pub fn ledger_balance(&self, of: &LedgerOf, to: Option<NaiveDate>) -> Result<Amount> {
        closing_balance(&self.read()?, of, to)
    }
}

type IndexKey<'a> = (&'a str, i32, u64, u32);

fn bounds(
    key: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (IndexKey<'_>, IndexKey<'_>) {
    let from = from.map(day).unwrap_or(i32::MIN);
    let to = to.map(day).unwrap_or(i32::MAX);
    ((key, from, 0, 0), (key, to, u64::MAX, u32::MAX))
}

type IndexDef = (&'static str, i32, u64, u32);
/// A line picked from the index: signed amount, then (date, entry, line).
type Picked = (i64, (i32, u64, u32));

/// Up to `limit` (signed amount, (date, entry, line)) of a range, forward or backward.
/// Debit less credit of the picked lines, in cents.
fn moved_cents(picked: &[Picked]) -> Result<i64> {
    picked.iter().try_fold(0i64, |total, (signed, _)| {
        add_cents(total, *signed, "running balance")
    })
}

fn collect(
    range: redb::Range<'_, IndexDef, i64>,
    limit: usize,
    backward: bool,
) -> Result<Vec<Picked>> {
    let mut out = Vec::with_capacity(limit.min(4096));
    let mut push = |item: std::result::Result<_, redb::StorageError>| -> Result<()> {
        let (k, v): (redb::AccessGuard<'_, IndexDef>, redb::AccessGuard<'_, i64>) = item?;
        let (_, date, entry, line) = k.value();
        out.push((v.value(), (date, entry, line)));
        Ok(())
    };
    if backward {
        for item in range.rev().take(limit) {
            push(item)?;
        }
    } else {
        for item in range.take(limit) {
            push(item)?;
        }
    }
    if backward {
        out.reverse();
    }
    Ok(out)
}

/// Balance brought forward at the start of a range: nothing when the range has no start.
fn opening_balance(view: &View, of: &LedgerOf, from: Option<NaiveDate>) -> Result<Amount> {
    match from {
        Some(from) => balance_before(view, of, from),
        None => Ok(Amount::ZERO),
    }
}

/// Running balance after the last line of a range ending at `to`.
fn closing_balance(view: &View, of: &LedgerOf, to: Option<NaiveDate>) -> Result<Amount> {
    match to.and_then(|to| to.succ_opt()) {
        Some(after) => balance_before(view, of, after),
        None => {
            let key = of.key();
            let years = view.years()?;
            let since = match years.last() {
                Some(last) => Period::of(super::queries::carry_start(&years, last.start)).key(),
                None => 0,
            };
            let mut cents = 0;
            for item in view
                .table(of.totals())?
                .range((key, since)..=(key, u32::MAX))?
            {
                let (d, c) = item?.1.value();
                cents = add_cents(cents, sub_cents(d, c, "balance")?, "balance")?;
            }
            Ok(Amount::from_cents(cents))
        }
    }
}

/// Balance strictly before `date`, from the start of what is carried forward: a closed
/// year's balances came back in the next year's opening entry and are not counted again.
fn balance_before(view: &View, of: &LedgerOf, date: NaiveDate) -> Result<Amount> {
    super::queries::balance_before(view, of.index(), of.totals(), of.key(), date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Ctx, InitParams};
    use crate::model::{Company, EntryInput, Line};

    fn ctx() -> Ctx {
        let now = NaiveDate::from_ymd_opt(2026, 6, 30)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        Ctx::fixed("test", now)
    }

    fn acc(n: &str) -> AccountNumber {
        AccountNumber::parse(n).unwrap()
    }

    /// A ledger with `n` bank entries of 1.00 to 512000, one per day from January 1st, 2026.
    fn ledger(dir: &tempfile::TempDir, n: usize) -> Ledger {
        let params = InitParams {
            company: Company {
                name: "Test".into(),
                siren: "732829320".into(),
            },
            first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            first_year_months: 12,
            chart: vec![
                (acc("512"), "Banque".into()),
                (acc("530"), "Caisse".into()),
                (acc("706"), "Ventes".into()),
            ],
            settings: None,
        };
        let ledger = Ledger::create(&dir.path().join("t.ledger"), &params, &ctx()).unwrap();
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for (i, date) in first.iter_days().take(n).enumerate() {
            let cents = i64::try_from(i)
                .unwrap()
                .checked_add(1)
                .unwrap()
                .checked_mul(100)
                .unwrap();
            ledger
                .add_entry(
                    &ctx(),
                    &EntryInput {
                        journal: "BQ".into(),
                        date,
                        piece: format!("P{i}"),
                        label: format!("Line {i}"),
                        lines: vec![
                            Line::debit(acc("512"), Amount::from_cents(cents)),
                            Line::credit(acc("706"), Amount::from_cents(cents)),
                        ],
                    },
                )
                .unwrap();
        }
        ledger
    }

    fn bank() -> LedgerOf {
        LedgerOf::Account(acc("512"))
    }

    #[test]
    fn entry_counts_positions_and_windows_agree_with_a_walk() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(&dir, 40);
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 1, d);
        let ranges = [
            (None, None),
            (day(1), day(31)),
            (day(3), day(5)),
            (day(30), None),
            (None, day(2)),
            (day(20), day(10)),
        ];
        for (from, to) in ranges {
            for journal in [None, Some("BQ".to_string()), Some("VE".to_string())] {
                let filter = EntryFilter {
                    journal: journal.clone(),
                    from,
                    to,
                };
                let all = ledger.entries(&filter).unwrap();
                let what = format!("{from:?}..{to:?} {journal:?}");
                assert_eq!(
                    ledger.entry_filter_count(&filter).unwrap(),
                    all.len(),
                    "{what}"
                );
                let ids = |entries: Vec<Entry>| entries.iter().map(|e| e.id).collect::<Vec<_>>();
                let every: Vec<EntryId> = all.iter().map(|e| e.id).collect();
                let window = |start| ids(ledger.entries_window(&filter, start, 3).unwrap());
                assert_eq!(
                    window(EntryStart::First),
                    every[..every.len().min(3)],
                    "{what}"
                );
                assert_eq!(
                    window(EntryStart::Last),
                    every[every.len().saturating_sub(3)..],
                    "{what}"
                );
                for (i, entry) in all.iter().enumerate() {
                    let key = EntryKey {
                        date: entry.date,
                        id: entry.id,
                    };
                    assert_eq!(
                        ledger.entries_before(&filter, Some(key)).unwrap(),
                        i,
                        "{what}"
                    );
                    assert_eq!(
                        window(EntryStart::At(key)),
                        every[i..(i + 3).min(every.len())]
                    );
                    assert_eq!(
                        window(EntryStart::After(key)),
                        every[i + 1..(i + 4).min(every.len())]
                    );
                    assert_eq!(
                        window(EntryStart::Before(key)),
                        every[i.saturating_sub(3)..i]
                    );
                }
            }
        }
    }

    #[test]
    fn windows_agree_with_pages_in_every_direction() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(&dir, 40);
        let from = NaiveDate::from_ymd_opt(2026, 1, 5);
        let to = NaiveDate::from_ymd_opt(2026, 2, 3);
        let page = ledger
            .account_ledger(&acc("512"), from, to, 0, usize::MAX)
            .unwrap();
        assert_eq!(ledger.ledger_line_count(&bank(), from, to).unwrap(), 30);
        let first = ledger
            .ledger_window(&bank(), from, to, WindowStart::First, 10)
            .unwrap();
        assert_eq!(first, page.rows[..10]);
        let last_of_first = first.last().unwrap();
        let next = ledger
            .ledger_window(
                &bank(),
                from,
                to,
                WindowStart::After {
                    key: LineKey::of(last_of_first),
                    balance: last_of_first.balance,
                },
                10,
            )
            .unwrap();
        assert_eq!(next, page.rows[10..20]);
        let last = ledger
            .ledger_window(&bank(), from, to, WindowStart::Last, 10)
            .unwrap();
        assert_eq!(last, page.rows[20..]);
        let first_of_last = &last[0];
        let before = ledger
            .ledger_window(
                &bank(),
                from,
                to,
                WindowStart::Before {
                    key: LineKey::of(first_of_last),
                    balance: first_of_last.balance - first_of_last.debit + first_of_last.credit,
                },
                5,
            )
            .unwrap();
        assert_eq!(before, page.rows[15..20]);
    }

    #[test]
    fn finding_an_entry_gives_its_position_and_balance() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(&dir, 20);
        let page = ledger
            .account_ledger(&acc("512"), None, None, 0, usize::MAX)
            .unwrap();
        let target = &page.rows[12];
        let (key, position) = ledger
            .ledger_find_entry(&bank(), None, None, target.entry_id)
            .unwrap()
            .unwrap();
        assert_eq!(key, LineKey::of(target));
        assert_eq!(position.index, 12);
        assert_eq!(position.balance_before, page.rows[11].balance);
        let at = ledger
            .ledger_window(
                &bank(),
                None,
                None,
                WindowStart::At {
                    key,
                    balance: position.balance_before,
                },
                3,
            )
            .unwrap();
        assert_eq!(at, page.rows[12..15]);
        assert_eq!(
            ledger.ledger_balance(&bank(), None).unwrap(),
            page.rows.last().unwrap().balance
        );
        assert!(
            ledger
                .ledger_find_entry(&bank(), None, None, 9999)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn empty_ledgers_give_empty_windows() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(&dir, 0);
        for start in [WindowStart::First, WindowStart::Last] {
            assert!(
                ledger
                    .ledger_window(&bank(), None, None, start, 10)
                    .unwrap()
                    .is_empty()
            );
        }
        let party = LedgerOf::Party("NOBODY".into());
        assert_eq!(ledger.ledger_line_count(&party, None, None).unwrap(), 0);
    }
}

/// Where an entry sits in the date index: its date, then its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryKey {
    pub date: NaiveDate,
    pub id: EntryId,
}

impl EntryKey {
    fn tuple(&self) -> (i32, u64) {
        (day(self.date), self.id)
    }
}

/// Where a window of entries starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStart {
    /// The first entries of the range.
    First,
    /// The last entries of the range.
    Last,
    /// Entries from `key` on (included).
    At(EntryKey),
    /// Entries after `key`.
    After(EntryKey),
    /// Entries before `key`.
    Before(EntryKey),
}

impl Ledger {
    /// How many entries a filter lists. Index keys only, nothing is decoded: the date index, or
    /// the journal's piece index when a journal is chosen.
    pub fn entry_filter_count(&self, filter: &EntryFilter) -> Result<usize> {
        self.entries_before(filter, None)
    }

    /// How many entries of a filter come before `key` (all of them when `None`): the position
    /// of the entry at `key`. Index keys only.
    pub fn entries_before(&self, filter: &EntryFilter, key: Option<EntryKey>) -> Result<usize> {
        let view = self.read()?;
        let from = filter.from.map(day).unwrap_or(i32::MIN);
        let to = filter.to.map(day).unwrap_or(i32::MAX);
        let end = key.map(|k| k.tuple()).unwrap_or((i32::MAX, u64::MAX));
        let mut count = 0;
        match &filter.journal {
            None => {
                let by_date = view.table(ENTRIES_BY_DATE)?;
                // The entries in [from, end), counted directly or as the whole table less those
                // outside, whichever walk ends first: a year among many costs its own size, a
                // ledger of one long year costs nothing.
                let lo = (from, 0u64);
                let hi = end.min((to, u64::MAX));
                let last_in = key.is_none();
                if lo > hi || (!last_in && lo == hi) {
                    return Ok(0);
                }
                let total = by_date.len()? as usize;
                let inside = if last_in {
                    by_date.range(lo..=hi)?
                } else {
                    by_date.range(lo..hi)?
                };
                let below = by_date.range(..lo)?;
                let above = if last_in {
                    by_date.range::<(i32, u64)>((Bound::Excluded(hi), Bound::Unbounded))?
                } else {
                    by_date.range(hi..)?
                };
                let mut inside = inside;
                let mut outside = below.chain(above);
                let mut out = 0;
                loop {
                    match inside.next() {
                        None => return Ok(count),
                        Some(item) => {
                            item?;
                            count = count.saturating_add(1);
                        }
                    }
                    match outside.next() {
                        None => return Ok(total.saturating_sub(out)),
                        Some(item) => {
                            item?;
                            out = out.saturating_add(1);
                        }
                    }
                }
            }
            Some(journal) => {
                let pieces = view.table(PIECES)?;
                for item in pieces.range((journal.as_str(), "", 0u64)..)? {
                    let (k, v) = item?;
                    let (j, _, id) = k.value();
                    if j != journal {
                        break;
                    }
                    let date = v.value();
                    if (from..=to).contains(&date) && (date, id) < end {
                        count = count.saturating_add(1);
                    }
                }
            }
        }
        Ok(count)
    }

    /// Up to `limit` entries of a filter in date order, starting where `start` says. The cost
    /// is the window's size (and, with a journal, the other journals' entries passed over),
    /// not its position.
    pub fn entries_window(
        &self,
        filter: &EntryFilter,
        start: EntryStart,
        limit: usize,
    ) -> Result<Vec<Entry>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let view = self.read()?;
        let by_date = view.table(ENTRIES_BY_DATE)?;
        let entries = view.table(ENTRIES)?;
        let lo = (filter.from.map(day).unwrap_or(i32::MIN), 0u64);
        let hi = (filter.to.map(day).unwrap_or(i32::MAX), u64::MAX);
        let range = match start {
            EntryStart::First | EntryStart::Last => (Bound::Included(lo), Bound::Included(hi)),
            EntryStart::At(key) => (Bound::Included(key.tuple().max(lo)), Bound::Included(hi)),
            EntryStart::After(key) => (Bound::Excluded(key.tuple().max(lo)), Bound::Included(hi)),
            EntryStart::Before(key) => (Bound::Included(lo), Bound::Excluded(key.tuple().min(hi))),
        };
        if match (range.0, range.1) {
            (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b)) => a > b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b)) => a >= b,
            _ => false,
        } {
            return Ok(Vec::new());
        }
        let backward = matches!(start, EntryStart::Last | EntryStart::Before(_));
        let mut out = Vec::with_capacity(limit.min(4096));
        let mut take = |item: std::result::Result<_, redb::StorageError>| -> Result<bool> {
            let (k, _): (redb::AccessGuard<'_, (i32, u64)>, redb::AccessGuard<'_, ()>) = item?;
            let id = k.value().1;
            let bytes = entries.get(id)?.ok_or_else(|| {
                super::LedgerError::Corrupt(format!("date index names missing entry #{id}"))
            })?;
            let entry: Entry = decode(bytes.value(), "entry")?;
            if filter.journal.as_ref().is_none_or(|j| *j == entry.journal) {
                out.push(entry);
            }
            Ok(out.len() < limit)
        };
        let items = by_date.range::<(i32, u64)>(range)?;
        if backward {
            for item in items.rev() {
                if !take(item)? {
                    break;
                }
            }
        } else {
            for item in items {
                if !take(item)? {
                    break;
                }
            }
        }
        if backward {
            out.reverse();
        }
        Ok(out)
    }
}
