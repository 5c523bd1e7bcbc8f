//! Open items of letterable accounts: the validated lines of an account and third party that
//! are not in a complete letter group (lines of a partial group are open, with its code). A
//! line with only an imported mark (a FEC's lettering that did not become a group) is open.
//!
//! They are indexed (`OPEN_ITEMS`, with per account and party counts and sums in
//! `OPEN_PARTIES`) in the same write transaction as every change that moves them:
//! - a validated entry reaches the entries table (`Tx::store_entry`: validations, imports,
//!   document posting, reversals, reposts, opening entries) and its open lines are added;
//! - a letter group is stored or removed (`lettering::store_group`, `Ledger::unletter`) and its
//!   lines leave the index, take the partial code, or come back;
//! - an account becomes letterable or stops being so (`Tx::put_account`) and its lines are
//!   indexed again.
//!
//! Lines of a closed year are not open items: closing carried them into the next year's
//! opening entry, where they are open (`Ledger::close_year` takes them out of the index, and
//! the recomputation skips closed years).
//!
//! So one party's first page is a range read, never a scan of the account's history. `folio
//! check` recomputes the index from the entries and the groups and compares.
//!
//! This is the API the lettering workbench, the aged balance and the year close read.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use redb::{ReadableTable, Table};
use serde::Serialize;

use super::Ledger;
use super::carried::{CARRIED_ORIGINS, origin_of};
use super::codec::decode;
use super::error::{LedgerError, Result, add_cents, sub_cents};
use super::lettering::LETTER_GROUPS;
use super::queries::{LedgerRow, LineOrigin, RowBuilder};
use super::store::{Tx, View, day, from_day};
use super::tables::{Bytes, OPEN_ITEMS, OPEN_PARTIES, OpenItemValue};
use crate::lettering::{Group, LineRef, display_code};
use crate::model::{Account, AccountNumber, Amount, Entry, FiscalYear};

/// One open line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenItem {
    pub at: LineRef,
    /// `VE2026-000012`.
    pub entry: String,
    pub journal: String,
    pub date: NaiveDate,
    pub piece: String,
    pub label: String,
    pub account: AccountNumber,
    pub party: String,
    /// When the invoice or credit note it came from falls due.
    pub due: Option<NaiveDate>,
    pub debit: Amount,
    pub credit: Amount,
    /// The code (lowercase) of the partial group the line belongs to.
    pub partial: Option<String>,
    /// The line's lettering mark as stored: the partial code, or an imported mark that is not
    /// a group of the ledger (kept as the file had it).
    pub mark: Option<String>,
    /// For a line carried into an opening entry at a year's close: the date, piece, due
    /// date and entry of the line it stands for (`due` is already the origin's).
    pub origin: Option<LineOrigin>,
}

impl OpenItem {
    /// Debit minus credit.
    /// The date the item arose: its origin's for a carried line, else its own.
    pub fn original_date(&self) -> NaiveDate {
        self.origin.as_ref().map_or(self.date, |o| o.date)
    }

    pub fn signed(&self) -> Amount {
        Amount::from_cents(self.debit.cents().saturating_sub(self.credit.cents()))
    }

    fn of(row: LedgerRow, party: &str, partial: Option<u64>) -> OpenItem {
        OpenItem {
            at: LineRef {
                entry: row.entry_id,
                line: row.line_no,
            },
            entry: row.reference,
            journal: row.journal,
            date: row.date,
            piece: row.piece,
            label: row.label,
            account: row.account,
            party: party.to_string(),
            due: row.due,
            debit: row.debit,
            credit: row.credit,
            partial: partial.map(|seq| display_code(seq, false)),
            mark: row.letter,
            origin: row.origin,
        }
    }
}

/// The open items of one account and third party, in (date, entry, line) order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyOpen {
    pub account: AccountNumber,
    pub party: String,
    /// Open lines.
    pub count: usize,
    /// Debit minus credit of the open lines.
    pub balance: Amount,
    /// The oldest open item's original date (see `OpenItem::original_date`).
    pub oldest: NaiveDate,
    /// Debits of the open lines.
    pub debit: Amount,
    /// Credits of the open lines.
    pub credit: Amount,
}

/// A page of one account and party's open items, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenPage {
    pub items: Vec<OpenItem>,
    /// Open items of the account and party in all.
    pub total: usize,
    pub has_more: bool,
}

type OpenKey<'a> = (&'a str, &'a str, i32, u64, u32);
/// (debit cents, credit cents, position of the partial group's code): what an open item
/// amounts to.
type OpenValue = (i64, i64, Option<u64>);
/// What the index holds for an open item: its amounts, its partial group, its entry's piece
/// and reference.
type OpenRow<'a> = (i64, i64, Option<u64>, &'a str, &'a str);
type OpenTable<'t> = Table<'t, (&'static str, &'static str, i32, u64, u32), OpenItemValue>;
type PartiesTable<'t> = Table<'t, (&'static str, &'static str), (u64, i64, i64)>;

/// Changes to `OPEN_PARTIES` gathered during a transaction: (lines, debit, credit) per account
/// and party, written at its end.
#[derive(Default)]
pub(crate) struct OpenDelta {
    by_account: HashMap<String, HashMap<String, (i64, i64, i64)>>,
}

impl OpenDelta {
    fn add(
        &mut self,
        account: &str,
        party: &str,
        sign: i64,
        debit: i64,
        credit: i64,
    ) -> Result<()> {
        let parties = match self.by_account.get_mut(account) {
            Some(parties) => parties,
            None => self.by_account.entry(account.to_string()).or_default(),
        };
        let slot = match parties.get_mut(party) {
            Some(slot) => slot,
            None => parties.entry(party.to_string()).or_default(),
        };
        let what = "open items of a third party";
        if sign < 0 {
            slot.0 = sub_cents(slot.0, 1, what)?;
            slot.1 = sub_cents(slot.1, debit, what)?;
            slot.2 = sub_cents(slot.2, credit, what)?;
        } else {
            slot.0 = add_cents(slot.0, 1, what)?;
            slot.1 = add_cents(slot.1, debit, what)?;
            slot.2 = add_cents(slot.2, credit, what)?;
        }
        Ok(())
    }
}

/// Open items of entries validated by a bulk command (imports), gathered to be written in key
/// order: (account, party, date, entry, line, debit, credit, piece, reference), names
/// numbered, pieces and references in `text`.
#[derive(Default)]
struct Pending {
    rows: Vec<PendingRow>,
    names: Names,
    text: String,
}

type PendingRow = (u32, u32, i32, u64, u32, i64, i64, TextSpan, TextSpan);

/// A span of gathered text: (start, end).
type TextSpan = (usize, usize);

fn push_text(text: &mut String, value: &str) -> TextSpan {
    let start = text.len();
    text.push_str(value);
    (start, text.len())
}

fn text_of(text: &str, (start, end): TextSpan) -> &str {
    text.get(start..end).unwrap_or_default()
}

/// Rows gathered before they are written sorted (as the line indexes of a bulk import).
const PENDING_ROWS: usize = 250_000;

/// The open-items tables of a write transaction.
pub(crate) struct OpenTables<'t> {
    items: OpenTable<'t>,
    parties: PartiesTable<'t>,
    delta: OpenDelta,
    /// Set while a bulk command runs: new open items are gathered, then written in key order.
    pending: Option<Pending>,
}

impl<'t> OpenTables<'t> {
    pub(crate) fn open(txn: &'t redb::WriteTransaction) -> Result<Self> {
        Ok(OpenTables {
            items: txn.open_table(OPEN_ITEMS)?,
            parties: txn.open_table(OPEN_PARTIES)?,
            delta: OpenDelta::default(),
            pending: None,
        })
    }

    /// From now on in this transaction, the open items of newly validated entries are gathered
    /// and written sorted (see `Tx::begin_bulk`).
    pub(crate) fn begin_bulk(&mut self) {
        if self.pending.is_none() {
            self.pending = Some(Pending::default());
        }
    }

    /// A new open item (its line was in no index before): gathered in bulk mode, else written.
    fn add_new(&mut self, key: OpenKey<'_>, value: OpenRow<'_>) -> Result<()> {
        let Some(pending) = self.pending.as_mut() else {
            return self.set(key, Some(value));
        };
        let (account, party, date, entry, line) = key;
        let piece = push_text(&mut pending.text, value.3);
        let reference = push_text(&mut pending.text, value.4);
        let row = (
            pending.names.id(account),
            pending.names.id(party),
            date,
            entry,
            line,
            value.0,
            value.1,
            piece,
            reference,
        );
        pending.rows.push(row);
        self.delta.add(account, party, 1, value.0, value.1)?;
        if self
            .pending
            .as_ref()
            .is_some_and(|p| p.rows.len() >= PENDING_ROWS)
        {
            self.write_pending()?;
        }
        Ok(())
    }

    /// Writes the gathered open items in key order (bulk mode stays on).
    pub(crate) fn write_pending(&mut self) -> Result<()> {
        let Some(pending) = self.pending.as_mut() else {
            return Ok(());
        };
        if pending.rows.is_empty() {
            return Ok(());
        }
        let mut rows = std::mem::take(&mut pending.rows);
        let text = std::mem::take(&mut pending.text);
        let rank = pending.names.ranks();
        let rank_of = |id: u32| rank.get(id as usize).copied().unwrap_or(u32::MAX);
        rows.sort_unstable_by_key(|r| (rank_of(r.0), rank_of(r.1), r.2, r.3, r.4));
        let names = &pending.names;
        super::store::insert_sorted(
            &mut self.items,
            rows.into_iter().map(
                |(account, party, date, entry, line, debit, credit, piece, reference)| {
                    let key = (names.name(account), names.name(party), date, entry, line);
                    let value = (
                        debit,
                        credit,
                        None,
                        text_of(&text, piece),
                        text_of(&text, reference),
                    );
                    (key, value)
                },
            ),
        )
    }

    /// Puts one line in the index (`Some`) or takes it out (`None`), keeping the counts.
    fn set(&mut self, key: OpenKey<'_>, value: Option<OpenRow<'_>>) -> Result<()> {
        // What a bulk command gathered is in the table before any line moves.
        self.write_pending()?;
        let (account, party, ..) = key;
        match value {
            Some(value) => {
                let old = self.items.insert(key, value)?.map(|v| {
                    let (debit, credit, ..) = v.value();
                    (debit, credit)
                });
                if let Some((debit, credit)) = old {
                    self.delta.add(account, party, -1, debit, credit)?;
                }
                self.delta.add(account, party, 1, value.0, value.1)?;
            }
            None => {
                let old = self.items.remove(key)?.map(|v| {
                    let (debit, credit, ..) = v.value();
                    (debit, credit)
                });
                if let Some((debit, credit)) = old {
                    self.delta.add(account, party, -1, debit, credit)?;
                }
            }
        }
        Ok(())
    }

    /// Writes the gathered rows and counts; every command ends here before its commit.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.write_pending()?;
        let delta = std::mem::take(&mut self.delta.by_account);
        for (account, parties) in delta {
            for (party, (count, debit, credit)) in parties {
                if (count, debit, credit) == (0, 0, 0) {
                    continue;
                }
                let key = (account.as_str(), party.as_str());
                let (old_count, old_debit, old_credit) = self
                    .parties
                    .get(key)?
                    .map(|v| v.value())
                    .unwrap_or((0, 0, 0));
                let what = "open items of a third party";
                let new_count = i64::try_from(old_count)
                    .ok()
                    .and_then(|c| c.checked_add(count))
                    .and_then(|c| u64::try_from(c).ok())
                    .ok_or_else(|| {
                        LedgerError::Corrupt(format!(
                            "the open items count of {account}, {party} would be negative"
                        ))
                    })?;
                let new_debit = add_cents(old_debit, debit, what)?;
                let new_credit = add_cents(old_credit, credit, what)?;
                if new_count == 0 {
                    self.parties.remove(key)?;
                } else {
                    self.parties
                        .insert(key, (new_count, new_debit, new_credit))?;
                }
            }
        }
        Ok(())
    }
}

/// Where a line stands in the letter groups: (code position, complete).
pub(crate) type GroupState = Option<(u64, bool)>;

/// What the index holds for a line: `None` when it is not an open item.
fn open_value(
    entry: &Entry,
    line_no: u32,
    letterable: bool,
    group: GroupState,
) -> Option<OpenValue> {
    let line = entry.lines.get(line_no as usize)?;
    line.third_party.as_ref()?;
    if !entry.is_validated() || !letterable || group.is_some_and(|(_, complete)| complete) {
        return None;
    }
    Some((
        line.debit.cents(),
        line.credit.cents(),
        group.map(|(seq, _)| seq),
    ))
}

/// One line of the open-items index, read inside a write transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexedOpen {
    /// The entry's date (days from the common era).
    pub(crate) date: i32,
    pub(crate) at: LineRef,
    pub(crate) debit: i64,
    pub(crate) credit: i64,
    /// Position of the code of the partial group the line is in.
    pub(crate) partial: Option<u64>,
}

impl Tx<'_> {
    /// Every (account, party) with open items, of one account or of every letterable one, by
    /// account then party (as `Ledger::open_item_parties` lists them).
    pub(crate) fn open_parties(
        &self,
        account: Option<&AccountNumber>,
    ) -> Result<Vec<(AccountNumber, String)>> {
        let range = match account {
            Some(a) => self.open.parties.range((a.as_str(), "")..)?,
            None => self.open.parties.range::<(&str, &str)>(..)?,
        };
        let mut out = Vec::new();
        for item in range {
            let (k, _) = item?;
            let (number, party) = k.value();
            if account.is_some_and(|a| a.as_str() != number) {
                break;
            }
            let number = AccountNumber::parse(number).map_err(|err| {
                LedgerError::Corrupt(format!("open items under `{number}`: {err}"))
            })?;
            out.push((number, party.to_string()));
        }
        Ok(out)
    }

    /// The open items of one account and party as the index holds them, oldest first, each
    /// handed to `each` with its entry's piece and reference (`VE2026-000012`).
    pub(crate) fn indexed_open_items(
        &self,
        account: &AccountNumber,
        party: &str,
        each: &mut dyn FnMut(IndexedOpen, &str, &str) -> Result<()>,
    ) -> Result<()> {
        let key = account.as_str();
        let range = self.open.items.range(
            (key, party, i32::MIN, 0u64, 0u32)..=(key, party, i32::MAX, u64::MAX, u32::MAX),
        )?;
        for item in range {
            let (k, v) = item?;
            let (_, _, date, entry, line) = k.value();
            let (debit, credit, partial, piece, reference) = v.value();
            let item = IndexedOpen {
                date,
                at: LineRef { entry, line },
                debit,
                credit,
                partial,
            };
            each(item, piece, reference)?;
        }
        Ok(())
    }
}

impl Tx<'_> {
    /// Moves one account and party's indexed open items after their groups were stored, in
    /// one pass over the party's range of the index: `states[i]` is where `items[i]` (as
    /// `indexed_open_items` read them in this transaction) now stands, `None` when unchanged.
    /// Out of the index when its group is complete, with the group's code when partial: what
    /// `set_open_line` does for a line of a validated entry in an open year, from the values
    /// the index already holds.
    pub(crate) fn settle_open_items(
        &mut self,
        account: &AccountNumber,
        party: &str,
        items: &[IndexedOpen],
        states: &[GroupState],
    ) -> Result<()> {
        self.open.write_pending()?;
        let key = account.as_str();
        let leaving = |i: usize| {
            states
                .get(i)
                .copied()
                .flatten()
                .is_some_and(|(_, complete)| complete)
        };
        let mut next = 0usize;
        let mut removed = 0usize;
        self.open.items.retain_in(
            (key, party, i32::MIN, 0u64, 0u32)..=(key, party, i32::MAX, u64::MAX, u32::MAX),
            |(_, _, date, entry, line), _| {
                // Both in key order: the item of this key, if any.
                while items.get(next).is_some_and(|item| {
                    (item.date, item.at.entry, item.at.line) < (date, entry, line)
                }) {
                    next = next.saturating_add(1);
                }
                let found = items.get(next).is_some_and(|item| {
                    (item.date, item.at.entry, item.at.line) == (date, entry, line)
                });
                let keep = !(found && leaving(next));
                if !keep {
                    removed = removed.saturating_add(1);
                }
                keep
            },
        )?;
        let expected = (0..items.len()).filter(|&i| leaving(i)).count();
        if removed != expected {
            return Err(LedgerError::Corrupt(format!(
                "the open items of {account}, {party} changed while they were lettered"
            )));
        }
        for (item, state) in items.iter().zip(states) {
            match state {
                Some((_, true)) => self
                    .open
                    .delta
                    .add(key, party, -1, item.debit, item.credit)?,
                Some((seq, false)) => {
                    let at = (key, party, item.date, item.at.entry, item.at.line);
                    let (piece, reference) = match self.open.items.get(at)? {
                        Some(v) => {
                            let (.., piece, reference) = v.value();
                            (piece.to_string(), reference.to_string())
                        }
                        None => {
                            return Err(LedgerError::Corrupt(format!(
                                "the open items of {account}, {party} changed while they were lettered"
                            )));
                        }
                    };
                    let value = (item.debit, item.credit, Some(*seq), &*piece, &*reference);
                    self.open.set(at, Some(value))?;
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Adds the open lines of an entry just validated (it is in no group yet).
    pub(crate) fn open_entry_lines(&mut self, entry: &Entry) -> Result<()> {
        if !entry.is_validated() {
            return Ok(());
        }
        let mut reference: Option<String> = None;
        for (i, line) in entry.lines.iter().enumerate() {
            let Some(party) = line.third_party.as_deref() else {
                continue;
            };
            if !self.account_ref(&line.account)?.letterable {
                continue;
            }
            let key = (
                line.account.as_str(),
                party,
                day(entry.date),
                entry.id,
                i as u32,
            );
            let reference = reference.get_or_insert_with(|| entry.reference());
            let value = (
                line.debit.cents(),
                line.credit.cents(),
                None,
                entry.piece.as_str(),
                reference.as_str(),
            );
            self.open.add_new(key, value)?;
        }
        Ok(())
    }

    /// Puts one line where the groups say it stands: open (with its partial group's code) or
    /// out of the index.
    pub(crate) fn set_open_line(
        &mut self,
        entry: &Entry,
        line_no: u32,
        group: GroupState,
    ) -> Result<()> {
        let line = entry.lines.get(line_no as usize).ok_or_else(|| {
            LedgerError::Corrupt(format!(
                "entry {} has no line {}",
                entry.reference(),
                line_no.saturating_add(1)
            ))
        })?;
        let Some(party) = line.third_party.as_deref() else {
            return Ok(());
        };
        let letterable = self.account_ref(&line.account)?.letterable;
        let closed = self.year_of(entry.date).is_some_and(|y| !y.is_open());
        let value = match closed {
            true => None,
            false => open_value(entry, line_no, letterable, group),
        };
        let key = (
            line.account.as_str(),
            party,
            day(entry.date),
            entry.id,
            line_no,
        );
        let reference = entry.reference();
        let value = value.map(|(debit, credit, partial)| {
            (
                debit,
                credit,
                partial,
                entry.piece.as_str(),
                reference.as_str(),
            )
        });
        self.open.set(key, value)
    }

    /// The lines of a group stored or changed: out of the index when it is complete, with its
    /// code when partial.
    pub(crate) fn open_group_lines(&mut self, group: &Group) -> Result<()> {
        let state = Some((group.seq, group.is_complete()));
        let mut cached: Option<Entry> = None;
        for line in &group.lines {
            let entry = match cached.take() {
                Some(entry) if entry.id == line.at.entry => entry,
                _ => self.entry(line.at.entry)?,
            };
            self.set_open_line(&entry, line.at.line, state)?;
            cached = Some(entry);
        }
        Ok(())
    }

    /// Indexes an account's lines again after it became letterable or stopped being so.
    pub(crate) fn reindex_open_account(&mut self, account: &AccountNumber) -> Result<()> {
        // Lines gathered by a bulk import must be in the line index first.
        self.flush_bulk()?;
        let key = account.as_str();
        let mut stale: Vec<(String, i32, u64, u32)> = Vec::new();
        for item in self.open.items.range((key, "", i32::MIN, 0u64, 0u32)..)? {
            let (k, _) = item?;
            let (a, party, date, entry, line) = k.value();
            if a != key {
                break;
            }
            stale.push((party.to_string(), date, entry, line));
        }
        for (party, date, entry, line) in &stale {
            self.open
                .set((key, party.as_str(), *date, *entry, *line), None)?;
        }
        if !self.account_ref(account)?.letterable {
            return Ok(());
        }
        let mut groups: HashMap<LineRef, (u64, bool)> = HashMap::new();
        {
            let table = self.txn.open_table(LETTER_GROUPS)?;
            for item in table.range((key, 0u64)..=(key, u64::MAX))? {
                let (_, value) = item?;
                let group: Group = decode(value.value(), "letter group")?;
                let complete = group.is_complete();
                for line in &group.lines {
                    groups.insert(line.at, (group.seq, complete));
                }
            }
        }
        let mut lines: Vec<(u64, u32)> = Vec::new();
        for item in self
            .lines_by_account
            .range((key, i32::MIN, 0u64, 0u32)..=(key, i32::MAX, u64::MAX, u32::MAX))?
        {
            let (k, _) = item?;
            let (_, _, entry, line) = k.value();
            lines.push((entry, line));
        }
        let mut cached: Option<Entry> = None;
        for (id, line) in lines {
            let entry = match cached.take() {
                Some(entry) if entry.id == id => entry,
                _ => self.entry(id)?,
            };
            let state = groups.get(&LineRef { entry: id, line }).copied();
            self.set_open_line(&entry, line, state)?;
            cached = Some(entry);
        }
        Ok(())
    }

    /// Takes the lines of a year being closed out of the index: its open items were carried
    /// into the next year's opening entry, where they are open.
    pub(crate) fn close_open_items(&mut self, year: &FiscalYear) -> Result<()> {
        self.flush_bulk()?;
        let (start, end) = (day(year.start), day(year.end));
        let mut leaving: Vec<(String, String, i32, u64, u32)> = Vec::new();
        for item in self.open.items.range::<OpenKey<'_>>(..)? {
            let (k, _) = item?;
            let (account, party, date, entry, line) = k.value();
            if (start..=end).contains(&date) {
                leaving.push((account.to_string(), party.to_string(), date, entry, line));
            }
        }
        for (account, party, date, entry, line) in &leaving {
            self.open.set(
                (account.as_str(), party.as_str(), *date, *entry, *line),
                None,
            )?;
        }
        Ok(())
    }

    /// Builds the index from the entries and the groups (a ledger of an older schema).
    pub(crate) fn build_open_index(&mut self) -> Result<()> {
        let groups = self.txn.open_table(LETTER_GROUPS)?;
        let mut expected = OpenRecompute::new(&self.accounts, Some(&groups), &mut |_| {})?;
        drop(groups);
        expected.skip_closed_years(self.years());
        for item in self.entries.range::<u64>(..)? {
            let (key, value) = item?;
            let entry = super::store::decode_entry(value.value(), key.value())?;
            expected.add(&entry);
        }
        let (rows, names) = expected.sorted();
        self.open.items.retain(|_, _| false)?;
        self.open.parties.retain(|_, _| false)?;
        for row in &rows {
            let key = row.key(&names);
            self.open.set(key, Some(row.stored(&names)))?;
        }
        self.open.flush()
    }
}

/// Names numbered as they come, so that gathered rows hold a number, not a copy; and the
/// pieces and references of recomputed rows, one after the other.
#[derive(Default)]
struct Names {
    index: HashMap<String, u32>,
    names: Vec<String>,
    text: String,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.index.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), id);
        id
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }

    /// Each id's rank in the names' sort order, so that rows sort as their keys will.
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.names.len() as u32).collect();
        order.sort_by(|a, b| self.name(*a).cmp(self.name(*b)));
        let mut rank = vec![0u32; order.len()];
        for (r, id) in order.into_iter().enumerate() {
            if let Some(slot) = rank.get_mut(id as usize) {
                *slot = r as u32;
            }
        }
        rank
    }
}

/// One open item recomputed from an entry.
struct Row {
    account: u32,
    party: u32,
    date: i32,
    entry: u64,
    line: u32,
    debit: i64,
    credit: i64,
    partial: Option<u64>,
    /// The entry's piece and reference, in `Names::text`.
    piece: TextSpan,
    reference: TextSpan,
}

impl Row {
    fn key<'a>(&self, names: &'a Names) -> OpenKey<'a> {
        (
            names.name(self.account),
            names.name(self.party),
            self.date,
            self.entry,
            self.line,
        )
    }

    fn stored<'a>(&self, names: &'a Names) -> OpenRow<'a> {
        (
            self.debit,
            self.credit,
            self.partial,
            text_of(&names.text, self.piece),
            text_of(&names.text, self.reference),
        )
    }
}

/// The open items as the entries and the groups say they are, for the migration and `check`.
pub(crate) struct OpenRecompute {
    letterable: HashSet<String>,
    groups: HashMap<LineRef, (u64, bool)>,
    /// (first day, last day) of the closed years, whose lines are not open items.
    closed: Vec<(i32, i32)>,
    names: Names,
    rows: Vec<Row>,
}

impl OpenRecompute {
    /// Reads the letterable accounts and the groups; what cannot be decoded is reported to
    /// `problem` (and counts as not letterable, or as no group).
    pub(crate) fn new(
        accounts: &impl ReadableTable<&'static str, Bytes>,
        groups: Option<&impl ReadableTable<(&'static str, u64), Bytes>>,
        problem: &mut dyn FnMut(String),
    ) -> Result<Self> {
        let mut letterable = HashSet::new();
        for item in accounts.range::<&str>(..)? {
            let (key, value) = item?;
            match decode::<Account>(value.value(), "account") {
                Ok(account) if account.letterable => {
                    letterable.insert(key.value().to_string());
                }
                Ok(_) => {}
                Err(err) => problem(err.to_string()),
            }
        }
        let mut by_line = HashMap::new();
        let groups = match groups {
            Some(table) => Some(table.range::<(&str, u64)>(..)?),
            None => None,
        };
        for item in groups.into_iter().flatten() {
            let (_, value) = item?;
            match decode::<Group>(value.value(), "letter group") {
                Ok(group) => {
                    let complete = group.is_complete();
                    for line in &group.lines {
                        by_line.insert(line.at, (group.seq, complete));
                    }
                }
                Err(err) => problem(err.to_string()),
            }
        }
        Ok(OpenRecompute {
            letterable,
            groups: by_line,
            closed: Vec::new(),
            names: Names::default(),
            rows: Vec::new(),
        })
    }

    /// Lines of these years are not open items (closing carried them forward).
    pub(crate) fn skip_closed_years(&mut self, years: &[FiscalYear]) {
        self.closed = years
            .iter()
            .filter(|y| !y.is_open())
            .map(|y| (day(y.start), day(y.end)))
            .collect();
    }

    pub(crate) fn add(&mut self, entry: &Entry) {
        let date = day(entry.date);
        if !entry.is_validated()
            || self
                .closed
                .iter()
                .any(|(start, end)| (*start..=*end).contains(&date))
        {
            return;
        }
        let mut texts: Option<(TextSpan, TextSpan)> = None;
        for (i, line) in entry.lines.iter().enumerate() {
            let Some(party) = &line.third_party else {
                continue;
            };
            let letterable = self.letterable.contains(line.account.as_str());
            let at = LineRef {
                entry: entry.id,
                line: i as u32,
            };
            let state = self.groups.get(&at).copied();
            let Some((debit, credit, partial)) = open_value(entry, at.line, letterable, state)
            else {
                continue;
            };
            let (piece, reference) = *texts.get_or_insert_with(|| {
                let piece = push_text(&mut self.names.text, &entry.piece);
                let reference = push_text(&mut self.names.text, &entry.reference());
                (piece, reference)
            });
            self.rows.push(Row {
                account: self.names.id(line.account.as_str()),
                party: self.names.id(party),
                date: day(entry.date),
                entry: entry.id,
                line: at.line,
                debit,
                credit,
                partial,
                piece,
                reference,
            });
        }
    }

    /// The rows in the index's key order, and the names they refer to.
    fn sorted(self) -> (Vec<Row>, Names) {
        let OpenRecompute {
            names, mut rows, ..
        } = self;
        let rank = names.ranks();
        let rank_of = |id: u32| rank.get(id as usize).copied().unwrap_or(u32::MAX);
        rows.sort_unstable_by_key(|r| {
            (
                rank_of(r.account),
                rank_of(r.party),
                r.date,
                r.entry,
                r.line,
            )
        });
        (rows, names)
    }
}

/// `ENTRY/LINE` of a line for a finding.
fn line_name(view: &View, entry: u64, line: u32) -> String {
    let reference = match view.entry_opt(entry) {
        Ok(Some(entry)) => entry.reference(),
        _ => format!("entry #{entry}"),
    };
    super::lettering::line_name(&reference, LineRef { entry, line })
}

fn describe(value: OpenValue) -> String {
    let (debit, credit, partial) = value;
    let group = partial.map_or("no group".to_string(), |seq| {
        format!("partial group {}", display_code(seq, false))
    });
    format!(
        "debit {} credit {}, {group}",
        Amount::from_cents(debit).to_plain(),
        Amount::from_cents(credit).to_plain()
    )
}

/// `folio check` on the open items: the index holds exactly the open items recomputed from the
/// entries and the groups, with their amounts and partial codes, and the per account and party
/// counts and sums are those of the index.
pub(crate) fn check_open_index(
    view: &View,
    expected: OpenRecompute,
    add: &mut dyn FnMut(String),
) -> Result<()> {
    let (rows, names) = expected.sorted();
    let mut sums: BTreeMap<(&str, &str), (u64, i64, i64)> = BTreeMap::new();
    for row in &rows {
        let (account, party, ..) = row.key(&names);
        let slot = sums.entry((account, party)).or_default();
        slot.0 = slot.0.saturating_add(1);
        slot.1 = slot.1.saturating_add(row.debit);
        slot.2 = slot.2.saturating_add(row.credit);
    }
    let Some(table) = view.table_if_exists(OPEN_ITEMS)? else {
        if let Some(row) = rows.first() {
            add(format!(
                "open items: the index is missing (first open item {})",
                line_name(view, row.entry, row.line)
            ));
        }
        return Ok(());
    };
    let mut wanted = rows.iter().peekable();
    let mut stored = table.range::<OpenKey<'_>>(..)?.peekable();
    loop {
        let next_stored = match stored.peek() {
            Some(Ok((k, v))) => Some((k.value(), v.value())),
            Some(Err(_)) => {
                if let Some(Err(err)) = stored.next() {
                    return Err(err.into());
                }
                continue;
            }
            None => None,
        };
        let next_wanted = wanted
            .peek()
            .map(|row| (row.key(&names), row.stored(&names)));
        match (next_wanted, next_stored) {
            (None, None) => break,
            (Some((key, _)), stored_row)
                if stored_row.is_none_or(|(stored_key, _)| key < stored_key) =>
            {
                let (account, party, _, entry, line) = key;
                add(format!(
                    "open items: {} ({account}, {party}) is open but missing from the index",
                    line_name(view, entry, line)
                ));
                wanted.next();
            }
            (wanted_row, Some((key, _)))
                if wanted_row.is_none_or(|(wanted_key, _)| key < wanted_key) =>
            {
                let (account, party, date, entry, line) = key;
                add(format!(
                    "open items: the index lists {} under {account}, {party} on {}, which is not an open item there",
                    line_name(view, entry, line),
                    from_day(date)
                ));
                stored.next();
            }
            (Some((key, want)), Some((_, have))) => {
                let amounts = |(debit, credit, partial, ..): OpenRow<'_>| (debit, credit, partial);
                let (account, party, _, entry, line) = key;
                if amounts(want) != amounts(have) {
                    add(format!(
                        "open items: {} ({account}, {party}) is indexed with {}, the line and its groups say {}",
                        line_name(view, entry, line),
                        describe(amounts(have)),
                        describe(amounts(want))
                    ));
                } else if want != have {
                    add(format!(
                        "open items: {} ({account}, {party}) is indexed with piece `{}` of entry {}, its entry is {} with piece `{}`",
                        line_name(view, entry, line),
                        have.3,
                        have.4,
                        want.4,
                        want.3
                    ));
                }
                wanted.next();
                stored.next();
            }
            (None, Some(_)) | (Some(_), None) => break,
        }
    }
    let mut summaries: BTreeMap<(String, String), (u64, i64, i64)> = BTreeMap::new();
    if let Some(table) = view.table_if_exists(OPEN_PARTIES)? {
        for item in table.range::<(&str, &str)>(..)? {
            let (k, v) = item?;
            let (account, party) = k.value();
            summaries.insert((account.to_string(), party.to_string()), v.value());
        }
    }
    for ((account, party), want) in &sums {
        let have = summaries.remove(&(account.to_string(), party.to_string()));
        if have != Some(*want) {
            add(format!(
                "open items: the summary of {account}, {party} says {}, its open items are {} lines (debit {}, credit {})",
                have.map_or("nothing".to_string(), |(n, d, c)| format!(
                    "{n} lines (debit {}, credit {})",
                    Amount::from_cents(d).to_plain(),
                    Amount::from_cents(c).to_plain()
                )),
                want.0,
                Amount::from_cents(want.1).to_plain(),
                Amount::from_cents(want.2).to_plain()
            ));
        }
    }
    for ((account, party), (n, _, _)) in summaries {
        add(format!(
            "open items: the summary of {account}, {party} says {n} lines, it has no open items"
        ));
    }
    Ok(())
}

/// The original date of a party's oldest open item: the first key of its range, or, when
/// that day holds lines carried into an opening entry, the oldest of their origins (carried
/// lines all share the opening entry's date, so only that day is read).
fn oldest_open(
    items: &impl ReadableTable<OpenKey<'static>, OpenItemValue>,
    origins: Option<&redb::ReadOnlyTable<(u64, u32), Bytes>>,
    number: &str,
    party: &str,
) -> Result<NaiveDate> {
    let mut range = items.range(
        (number, party, i32::MIN, 0u64, 0u32)..=(number, party, i32::MAX, u64::MAX, u32::MAX),
    )?;
    let Some(first) = range.next().transpose()? else {
        return Err(LedgerError::Corrupt(format!(
            "the open items of {number}, {party} are counted but not indexed"
        )));
    };
    let (_, _, first_day, entry, line) = first.0.value();
    let mut oldest = from_day(first_day);
    let Some(origins) = origins else {
        return Ok(oldest);
    };
    let mut consider = |entry: u64, line: u32| -> Result<()> {
        if let Some(origin) = origin_of(origins, entry, line)? {
            oldest = oldest.min(origin.date);
        }
        Ok(())
    };
    consider(entry, line)?;
    for item in range {
        let (k, _) = item?;
        let (_, _, date, entry, line) = k.value();
        if date != first_day {
            break;
        }
        consider(entry, line)?;
    }
    Ok(oldest)
}

/// Reads a page of one account and party's open items from the index.
fn read_page(
    view: &View,
    account: &AccountNumber,
    party: &str,
    offset: usize,
    limit: usize,
) -> Result<(Vec<OpenItem>, bool)> {
    let Some(table) = view.table_if_exists(OPEN_ITEMS)? else {
        return Ok((Vec::new(), false));
    };
    let key = account.as_str();
    let mut range = table
        .range((key, party, i32::MIN, 0u64, 0u32)..=(key, party, i32::MAX, u64::MAX, u32::MAX))?;
    for item in range.by_ref().take(offset) {
        item?;
    }
    let mut builder = RowBuilder::new(view)?;
    let mut items = Vec::new();
    for item in range.by_ref().take(limit) {
        let (k, v) = item?;
        let (_, _, date, entry, line) = k.value();
        let (debit, credit, partial, ..) = v.value();
        let row = builder.row(date, entry, line, Amount::ZERO)?;
        if row.debit.cents() != debit
            || row.credit.cents() != credit
            || row.account != *account
            || row.third_party.as_deref() != Some(party)
        {
            return Err(LedgerError::Corrupt(format!(
                "the open items index disagrees with line {}/{} (run folio check)",
                row.reference,
                line.saturating_add(1)
            )));
        }
        items.push(OpenItem::of(row, party, partial));
    }
    let has_more = range.next().is_some();
    Ok((items, has_more))
}

impl Ledger {
    /// The open items of one account and third party, oldest first.
    pub fn open_items(&self, account: &AccountNumber, party: &str) -> Result<Vec<OpenItem>> {
        let view = self.read()?;
        Ok(read_page(&view, account, party, 0, usize::MAX)?.0)
    }

    /// Up to `limit` open items of one account and third party after the first `offset`,
    /// oldest first: a range read of the index.
    pub fn open_items_page(
        &self,
        account: &AccountNumber,
        party: &str,
        offset: usize,
        limit: usize,
    ) -> Result<OpenPage> {
        let view = self.read()?;
        let (items, has_more) = read_page(&view, account, party, offset, limit)?;
        let total = match view.table_if_exists(OPEN_PARTIES)? {
            Some(table) => table
                .get((account.as_str(), party))?
                .map_or(0, |v| v.value().0),
            None => 0,
        };
        Ok(OpenPage {
            items,
            total: usize::try_from(total).unwrap_or(usize::MAX),
            has_more,
        })
    }

    /// Every (account, party) with open items, of one account or of every letterable one, by
    /// account then party: read from the per-party counts, the oldest date from the first key
    /// of each party's range.
    pub fn open_item_parties(&self, account: Option<&AccountNumber>) -> Result<Vec<PartyOpen>> {
        let view = self.read()?;
        let origins = view.table_if_exists(CARRIED_ORIGINS)?;
        let (Some(parties), Some(items)) = (
            view.table_if_exists(OPEN_PARTIES)?,
            view.table_if_exists(OPEN_ITEMS)?,
        ) else {
            return Ok(Vec::new());
        };
        let range = match account {
            Some(a) => parties.range((a.as_str(), "")..)?,
            None => parties.range::<(&str, &str)>(..)?,
        };
        let mut out = Vec::new();
        for item in range {
            let (k, v) = item?;
            let (number, party) = k.value();
            if account.is_some_and(|a| a.as_str() != number) {
                break;
            }
            let (count, debit, credit) = v.value();
            let oldest = oldest_open(&items, origins.as_ref(), number, party)?;
            out.push(PartyOpen {
                account: AccountNumber::parse(number).map_err(|err| {
                    LedgerError::Corrupt(format!("open items under `{number}`: {err}"))
                })?,
                party: party.to_string(),
                count: usize::try_from(count).unwrap_or(usize::MAX),
                balance: Amount::from_cents(sub_cents(debit, credit, "open balance")?),
                oldest,
                debit: Amount::from_cents(debit),
                credit: Amount::from_cents(credit),
            });
        }
        Ok(out)
    }
}
