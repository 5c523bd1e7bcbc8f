//! Lettering beyond `folio letter add`: completing a group with a write-off entry, automatic
//! lettering by the rules of `crate::matching`, and ranked suggestions.
//!
//! Every group is made through `lettering::letter_lines`, so the checks, the marks, the audit
//! record and whatever the lettering tables keep in step are the same as for a manual one.

use std::collections::{BTreeMap, HashMap};

use redb::{ReadableTable, TableDefinition};
use serde::Serialize;

use super::codec::decode;
use super::documents::PostedTotals;
use super::error::{LedgerError, Result};
use super::lettering::{
    Books, LETTER_COUNTERS, LETTER_GROUPS, group_for, invalid, letter_lines, line_name,
};
use super::open_items::{IndexedOpen, OpenItem};
use super::queries::LetterMark;
use super::store::{Tx, from_day};
use super::tables::{ALLOCATIONS, DOCUMENTS, POSTED};
use super::{Ctx, Ledger};
use crate::lettering::{Group, LineRef};
use crate::matching::{self, Item, MatchSettings, Rule};
use crate::model::document::{Document, DocumentStatus};
use crate::model::settings::{Lettering, Settings};
use crate::model::{AccountNumber, Amount, Entry, EntryInput, Line};
use crate::posting::moved_share;

/// The part of a document's amount a write-off entry settled, by (document, write-off
/// entry), in cents. `folio check` counts it with the payments when it compares the VAT due on
/// payment still pending; a reversed write-off no longer counts.
pub(super) const WRITEOFF_SHARES: TableDefinition<(u64, u64), i64> =
    TableDefinition::new("writeoff_shares");

/// Part of a document (by id) a write-off settles.
type DocumentShare = (u64, Amount);

/// A stored write-off share: (document, write-off entry, cents, the entry's reversal).
pub(super) type WriteOffShare = (u64, u64, i64, Option<u64>);

/// VAT due on payment a write-off clears from its pending account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteOffVat {
    /// The invoice or credit note (`FA2026-00012`).
    pub document: String,
    pub tax_code: String,
    /// 445740 (collected) or 445640 (deductible).
    pub pending_account: AccountNumber,
    pub tax: Amount,
}

/// The write-off entry that would complete a group, and what it letters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteOff {
    pub account: AccountNumber,
    pub party: String,
    /// Debit minus credit of the lines (with the rest of their partial group): what the
    /// write-off entry clears.
    pub remainder: Amount,
    /// The setting it is within (`lettering.tolerance`).
    pub tolerance: Amount,
    /// Validated on the working date; its first line is the third-party line that joins the
    /// group.
    pub entry: EntryInput,
    /// The lines lettered with the write-off line.
    pub lines: Vec<LineRef>,
    pub vat: Vec<WriteOffVat>,
    /// Part of each document (by id) the write-off settles, for the VAT check.
    #[serde(skip)]
    shares: Vec<DocumentShare>,
}

/// One group the automatic rules made (or would make, in a dry run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutoGroup {
    #[serde(serialize_with = "rule_label")]
    pub rule: Rule,
    pub account: AccountNumber,
    pub party: String,
    pub code: String,
    pub lines: Vec<LineRef>,
    /// `VE2026-000012/2`, in the order of `lines`.
    pub names: Vec<String>,
    /// The debits of the group (what it matched).
    pub amount: Amount,
}

fn rule_label<S: serde::Serializer>(rule: &Rule, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(rule.label())
}

/// What `letter_auto` did (or would do), rule by rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct AutoReport {
    pub dry_run: bool,
    /// (account, party) pairs with open items looked at.
    pub parties: usize,
    pub groups: Vec<AutoGroup>,
    /// Parties whose set search stopped at its bound: "411000 C001: searched N of M sets".
    pub notes: Vec<String>,
}

impl AutoReport {
    /// Groups and lines per rule, in the rules' order (rules with no group included).
    pub fn by_rule(&self) -> Vec<(Rule, usize, usize)> {
        [Rule::SharedReference, Rule::UniquePair, Rule::UniqueSet]
            .into_iter()
            .map(|rule| {
                let groups = self.groups.iter().filter(|g| g.rule == rule);
                let lines = groups.clone().map(|g| g.lines.len()).sum();
                (rule, groups.count(), lines)
            })
            .collect()
    }
}

/// Running counts of an automatic lettering, for callers that stream its groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AutoCounts {
    pub parties: usize,
    pub groups: usize,
    pub lines: usize,
}

/// A set of lines that would complete a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineSuggestion {
    /// Every line the set letters (a partial group's lines included).
    pub lines: Vec<LineRef>,
    /// `VE2026-000012/2`, in the order of `lines`.
    pub names: Vec<String>,
    /// What the set nets to (debit minus credit): zero when exact.
    pub net: Amount,
    pub exact: bool,
    /// "exact 1 200,00 · same reference FA2026-00012 · 3 days apart".
    pub reason: String,
}

/// Ranked suggestions for one account and party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestionList {
    pub account: AccountNumber,
    pub party: String,
    /// The line asked about, if any.
    pub line: Option<LineRef>,
    /// Best first.
    pub suggestions: Vec<LineSuggestion>,
    /// "searched N of M sets" when the search stopped at its bound.
    pub note: Option<String>,
}

/// The engine's bounds from the settings.
pub fn match_settings(lettering: &Lettering) -> MatchSettings {
    MatchSettings {
        tolerance: lettering.tolerance,
        pair_window_days: i64::from(lettering.pair_window_days),
        max_items: lettering.max_items as usize,
        max_set_size: lettering.max_set_size as usize,
        ..MatchSettings::default()
    }
}

fn lettering_settings(tx: &Tx<'_>) -> Result<(Lettering, Option<Settings>)> {
    let settings: Option<Settings> = tx.get_meta("settings")?;
    let lettering = settings
        .as_ref()
        .map(|s| s.lettering.clone())
        .unwrap_or_default();
    Ok((lettering, settings))
}

/// One unit the matching engine sees: an open line, or a partial group standing for its
/// remainder (so a suggestion or a rule completes it).
struct Unit {
    lines: Vec<LineRef>,
    amount: Amount,
    date: chrono::NaiveDate,
    references: Vec<String>,
}

/// One open line as the matching units are built from it.
struct UnitLine<'a, K> {
    at: LineRef,
    date: chrono::NaiveDate,
    signed: Amount,
    piece: &'a str,
    /// The partial group the line is in.
    partial: Option<K>,
}

/// Open items of one account and party as matching units, partial groups folded into one.
fn units_of(items: &[OpenItem]) -> Result<Vec<Unit>> {
    fold_units(items.iter().map(|item| UnitLine {
        at: item.at,
        date: item.date,
        signed: item.signed(),
        piece: &item.piece,
        partial: item.partial.as_deref(),
    }))
}

/// The units of open lines given in (date, entry, line) order.
fn fold_units<'a, K: Ord>(lines: impl Iterator<Item = UnitLine<'a, K>>) -> Result<Vec<Unit>> {
    let mut units: Vec<Unit> = Vec::new();
    let mut partial: BTreeMap<K, usize> = BTreeMap::new();
    for item in lines {
        let references = vec![item.piece.to_string()];
        match item.partial {
            Some(code) => match partial.get(&code) {
                Some(&index) => {
                    let unit = &mut units[index];
                    unit.lines.push(item.at);
                    unit.amount = unit
                        .amount
                        .checked_add(item.signed)
                        .ok_or_else(|| invalid("the amounts of a group overflow"))?;
                    unit.date = unit.date.max(item.date);
                    unit.references.extend(references);
                }
                None => {
                    partial.insert(code, units.len());
                    units.push(Unit {
                        lines: vec![item.at],
                        amount: item.signed,
                        date: item.date,
                        references,
                    });
                }
            },
            None => units.push(Unit {
                lines: vec![item.at],
                amount: item.signed,
                date: item.date,
                references,
            }),
        }
    }
    // A partial group's remainder of zero cannot happen (it would be complete); a line of
    // zero letters nothing.
    units.retain(|u| !u.amount.is_zero());
    Ok(units)
}

fn engine_items(units: &[Unit]) -> Vec<Item> {
    units
        .iter()
        .enumerate()
        .map(|(key, unit)| Item {
            key: key as u64,
            date: unit.date,
            amount: unit.amount,
            references: unit.references.clone(),
        })
        .collect()
}

impl Ledger {
    /// Runs `f` in a write transaction that is rolled back: what a command would do, without
    /// doing it (its checks included).
    fn rehearse<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let txn = self.writable()?.begin_write()?;
        let value = {
            let mut tx = Tx::open(&txn)?;
            f(&mut tx)?
        };
        txn.abort()?;
        Ok(value)
    }

    /// The write-off entry that would complete the group of these lines (with the rest of
    /// their partial group, if any): refused when the lines already balance or when their
    /// difference is beyond the tolerance.
    pub fn letter_writeoff_preview(&self, ctx: &Ctx, lines: &[LineRef]) -> Result<WriteOff> {
        self.rehearse(|tx| {
            let mut books = Books::default();
            plan_writeoff(tx, ctx, &mut books, lines)
        })
    }

    /// Posts the write-off entry of [`Ledger::letter_writeoff_preview`] (validated, on the
    /// working date) and letters its third-party line with the lines, completing the group,
    /// in one transaction.
    pub fn letter_writeoff(&self, ctx: &Ctx, lines: &[LineRef]) -> Result<(Entry, Group)> {
        self.write(ctx, |tx| {
            let mut books = Books::default();
            let plan = plan_writeoff(tx, ctx, &mut books, lines)?;
            tx.check_input(&plan.entry)?;
            let mut entry = super::commands::new_entry(tx, ctx, plan.entry.clone(), None)?;
            tx.number_entry(&mut entry, ctx.today)?;
            tx.insert_entry(&entry)?;
            {
                let mut shares = tx.txn.open_table(WRITEOFF_SHARES)?;
                for (document, part) in &plan.shares {
                    shares.insert((*document, entry.id), part.cents())?;
                }
            }
            tx.audit(
                ctx,
                "letter.writeoff",
                vec![
                    format!("entry:{}", entry.id),
                    format!("account:{}", plan.account),
                ],
                format!(
                    "wrote off {} on {} ({}) by {}",
                    plan.remainder.to_plain(),
                    plan.account,
                    plan.party,
                    entry.reference()
                ),
            )?;
            let mut members = plan.lines.clone();
            members.push(LineRef {
                entry: entry.id,
                line: 0,
            });
            let group = letter_lines(tx, ctx, &mut books, &members)?;
            Ok((entry, group))
        })
    }

    /// Ranked sets of open lines that would complete a group: with the line `line`, or, with
    /// none, among the open items of `party` (on `account`, needed when the party has open
    /// items on several accounts).
    pub fn letter_suggestions(
        &self,
        account: Option<&AccountNumber>,
        party: Option<&str>,
        line: Option<LineRef>,
    ) -> Result<SuggestionList> {
        let settings = self.settings().map(|s| s.lettering).unwrap_or_default();
        let (account, party) = match line {
            Some(at) => {
                let entry = self.entry(at.entry)?;
                let stored = entry.lines.get(at.line as usize).ok_or_else(|| {
                    invalid(format!(
                        "entry {} has no line {}",
                        entry.reference(),
                        at.line.saturating_add(1)
                    ))
                })?;
                let party = stored.third_party.clone().ok_or_else(|| {
                    invalid(format!(
                        "line {} has no third party",
                        line_name(&entry.reference(), at)
                    ))
                })?;
                (stored.account.clone(), party)
            }
            None => {
                let party =
                    party.ok_or_else(|| invalid("name a line or a third party to suggest for"))?;
                (self.party_account(account, party)?, party.to_string())
            }
        };
        let items = self.open_items(&account, &party)?;
        let units = units_of(&items)?;
        let target = match line {
            Some(at) => {
                let found = units.iter().position(|u| u.lines.contains(&at));
                Some(found.ok_or_else(|| {
                    invalid(format!(
                        "line {} is not an open item of {account} ({party})",
                        self.line_label(at)
                    ))
                })? as u64)
            }
            None => None,
        };
        let found = matching::suggest(&engine_items(&units), target, &match_settings(&settings));
        let mut suggestions = Vec::new();
        for s in found.suggestions {
            let mut lines: Vec<LineRef> = s
                .keys
                .iter()
                .flat_map(|&k| units[k as usize].lines.iter().copied())
                .collect();
            lines.sort_unstable();
            let names = lines
                .iter()
                .map(|&at| self.line_label(at))
                .collect::<Vec<_>>();
            suggestions.push(LineSuggestion {
                lines,
                names,
                net: s.net,
                exact: s.is_exact(),
                reason: s.reason,
            });
        }
        Ok(SuggestionList {
            account,
            party,
            line,
            suggestions,
            note: found.search.bound_note(),
        })
    }

    /// Letters the open items of every letterable account and party (or of one account, or
    /// one party) by the automatic rules: (1) a shared reference netting to zero, (2) the only
    /// pair of equal debit and credit within the date window, (3) the only set netting to
    /// zero among the oldest open items. With `dry_run`, reports what it would do and writes
    /// nothing. One transaction: all or nothing.
    pub fn letter_auto(
        &self,
        ctx: &Ctx,
        account: Option<&AccountNumber>,
        party: Option<&str>,
        dry_run: bool,
    ) -> Result<AutoReport> {
        let mut groups = Vec::new();
        let mut notes = Vec::new();
        let counts =
            self.letter_auto_each(ctx, account, party, dry_run, &mut |event| match event {
                AutoEvent::Group(group) => groups.push(group),
                AutoEvent::Note(note) => notes.push(note),
            })?;
        Ok(AutoReport {
            dry_run,
            parties: counts.parties,
            groups,
            notes,
        })
    }

    /// [`Ledger::letter_auto`], handing each group to `each` as it is made instead of keeping
    /// them: memory stays bounded by one party's open items.
    pub fn letter_auto_each(
        &self,
        ctx: &Ctx,
        account: Option<&AccountNumber>,
        party: Option<&str>,
        dry_run: bool,
        each: &mut dyn FnMut(AutoEvent),
    ) -> Result<AutoCounts> {
        let run = |tx: &mut Tx<'_>| -> Result<AutoCounts> {
            let (lettering, _) = lettering_settings(tx)?;
            let bounds = match_settings(&lettering);
            let parties: Vec<(AccountNumber, String)> = tx
                .open_parties(account)?
                .into_iter()
                .filter(|(_, p)| party.is_none_or(|wanted| wanted == p))
                .collect();
            let mut counts = AutoCounts {
                parties: parties.len(),
                ..AutoCounts::default()
            };
            // Index keys of the records (one per party) are written in key order.
            tx.begin_audit_batch();
            // Open for the whole run: each group is one insert, not two tables opened.
            let txn = tx.txn;
            let mut tables = AutoTables {
                groups: txn.open_table(LETTER_GROUPS)?,
                counters: txn.open_table(LETTER_COUNTERS)?,
                marks: MarkBatch::default(),
                party_groups: Vec::new(),
                group_bytes: Vec::new(),
            };
            let mut lines = PartyLines::default();
            for (account, party) in &parties {
                letter_party(
                    tx,
                    ctx,
                    &bounds,
                    &mut tables,
                    &mut lines,
                    account,
                    party,
                    &mut counts,
                    each,
                )?;
                if tables.marks.is_full() {
                    write_marks(tx, &mut tables.marks)?;
                }
            }
            write_marks(tx, &mut tables.marks)?;
            if counts.groups == 0 {
                // Nothing changed: still one audit record, so the run is on file.
                tx.audit(
                    ctx,
                    "letter.auto",
                    vec!["lettering".into()],
                    format!(
                        "automatic lettering: nothing to letter among {} parties",
                        parties.len()
                    ),
                )?;
            }
            Ok(counts)
        };
        if dry_run {
            self.rehearse(run)
        } else {
            self.write(ctx, run)
        }
    }

    /// The account of a party's open items: `account` when given, else the only letterable
    /// account it has open items on.
    fn party_account(&self, account: Option<&AccountNumber>, party: &str) -> Result<AccountNumber> {
        if let Some(account) = account {
            return Ok(account.clone());
        }
        let accounts: Vec<AccountNumber> = self
            .open_item_parties(None)?
            .into_iter()
            .filter(|p| p.party == party)
            .map(|p| p.account)
            .collect();
        match accounts.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(invalid(format!("third party {party} has no open items"))),
            many => Err(invalid(format!(
                "third party {party} has open items on {}: name the account",
                many.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// `VE2026-000012/2`, or the raw reference when the entry cannot be read.
    fn line_label(&self, at: LineRef) -> String {
        match self.entry(at.entry) {
            Ok(entry) => line_name(&entry.reference(), at),
            Err(_) => format!("#{}/{}", at.entry, at.line.saturating_add(1)),
        }
    }
}

/// The lettering tables an automatic run writes, open for the whole run, and the marks it
/// gathers to write in key order.
struct AutoTables<'t> {
    groups: redb::Table<'t, (&'static str, u64), super::tables::Bytes>,
    counters: redb::Table<'t, &'static str, u64>,
    marks: MarkBatch,
    /// One party's groups to store: (code position, span of its encoding in `group_bytes`).
    party_groups: Vec<(u64, Span)>,
    group_bytes: Vec<u8>,
}

/// Lettering marks gathered across parties before they are written in key order: a fixed
/// number at most, so memory stays bounded whatever the run covers.
#[derive(Default)]
struct MarkBatch {
    /// The encoded marks (one per group), one after the other.
    bytes: Vec<u8>,
    /// (line, its mark in `bytes`, what the mark may replace).
    rows: Vec<(LineRef, Span, Replaces)>,
}

/// Marks gathered before a sorted write (about 40 MB at most): enough that a year of a
/// million entries is written in one sorted pass (marks of two batches interleave, each
/// falling into a gap of its own).
const MARK_ROWS: usize = 1 << 20;

impl MarkBatch {
    /// Encodes a group's mark; its span in `bytes`.
    fn push_mark(&mut self, mark: &LetterMark) -> Result<Span> {
        let start = span_offset(self.bytes.len())?;
        super::codec::encode_into(mark, &mut self.bytes)?;
        Ok((start, span_offset(self.bytes.len())?))
    }

    fn is_full(&self) -> bool {
        self.rows.len() >= MARK_ROWS
    }
}

fn span_offset(len: usize) -> Result<u32> {
    u32::try_from(len).map_err(|_| invalid("the lettering of a run overflows its buffer"))
}

fn span_of(bytes: &[u8], (start, end): Span) -> &[u8] {
    bytes.get(start as usize..end as usize).unwrap_or_default()
}

/// Writes the gathered marks in key order through a cursor (the keys falling into one gap of
/// the table are written as packed leaves), each replacing only what its line's state
/// allows: a line already marked is written alone, its old mark checked.
fn write_marks(tx: &mut Tx<'_>, batch: &mut MarkBatch) -> Result<()> {
    let MarkBatch { bytes, rows } = batch;
    rows.sort_unstable_by_key(|row| row.0);
    let mut next = 0usize;
    while let Some(&(first, ..)) = rows.get(next) {
        let mut cursor = tx
            .lettering
            .lower_bound_mut(std::ops::Bound::Included((first.entry, first.line)))?;
        let mut refused: Option<(LineRef, Replaces)> = None;
        // The lines of this gap, up to the next key the table holds.
        while let Some(&(at, span, replaces)) = rows.get(next) {
            match cursor.insert_before((at.entry, at.line), span_of(bytes, span)) {
                Ok(()) => {
                    next = next.saturating_add(1);
                    if let Replaces::Partial(_) = replaces {
                        refused = Some((at, replaces));
                        break;
                    }
                }
                Err(redb::CursorError::UnorderedKey) => break,
                Err(err) => return Err(err.into()),
            }
        }
        cursor.close()?;
        if let Some((at, replaces)) = refused {
            // A line of a partial group had no mark.
            return check_replaced(tx, at, None, replaces);
        }
        // Refused as the first of its gap: the line is marked already.
        if let Some(&(at, span, replaces)) = rows.get(next).filter(|row| row.0 == first) {
            let old: Option<LetterMark> = match tx
                .lettering
                .insert((at.entry, at.line), span_of(bytes, span))?
            {
                Some(old) => Some(decode(old.value(), "lettering mark")?),
                None => None,
            };
            check_replaced(tx, at, old, replaces)?;
            next = next.saturating_add(1);
        }
    }
    rows.clear();
    bytes.clear();
    Ok(())
}

/// A span of `PartyLines::text`.
type Span = (u32, u32);

/// The open items of one account and party with what the rules read of their lines, reused
/// from one party to the next.
#[derive(Default)]
struct PartyLines {
    items: Vec<IndexedOpen>,
    /// Per item: its entry's piece and reference (`VE2026-000012`), in `text`.
    spans: Vec<(Span, Span)>,
    text: String,
}

impl PartyLines {
    fn text(&self, (start, end): Span) -> &str {
        self.text
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    fn piece(&self, item: usize) -> &str {
        self.spans.get(item).map_or("", |s| self.text(s.0))
    }

    fn reference(&self, item: usize) -> &str {
        self.spans.get(item).map_or("", |s| self.text(s.1))
    }

    fn push_text(&mut self, write: impl FnOnce(&mut String)) -> Result<Span> {
        let offset = |len: usize| {
            u32::try_from(len).map_err(|_| invalid("the open items of a third party are too many"))
        };
        let start = offset(self.text.len())?;
        write(&mut self.text);
        Ok((start, offset(self.text.len())?))
    }

    /// Reads the open items of `account` and `party` from the index, which holds each line's
    /// amounts, partial group, and its entry's piece and reference: no entry is read (`folio
    /// check` compares the index with the entries).
    fn read(&mut self, tx: &Tx<'_>, account: &AccountNumber, party: &str) -> Result<()> {
        self.items.clear();
        self.spans.clear();
        self.text.clear();
        tx.indexed_open_items(account, party, &mut |item, piece, reference| {
            let piece = self.push_text(|text| text.push_str(piece))?;
            let reference = self.push_text(|text| text.push_str(reference))?;
            self.spans.push((piece, reference));
            self.items.push(item);
            Ok(())
        })
    }

    /// `VE2026-000012/2`.
    fn name(&self, item: usize) -> String {
        line_name(self.reference(item), self.items[item].at)
    }
}

/// A matching unit of the party: an open line, or a partial group's open lines folded into
/// one (by item index).
struct PartyUnit {
    items: Vec<usize>,
    amount: Amount,
    date: chrono::NaiveDate,
}

/// The party's items as matching units, partial groups folded into one.
fn party_units(lines: &PartyLines) -> Result<Vec<PartyUnit>> {
    let mut units: Vec<PartyUnit> = Vec::with_capacity(lines.items.len());
    let mut partial: HashMap<u64, usize> = HashMap::new();
    for (index, item) in lines.items.iter().enumerate() {
        let signed = Amount::from_cents(sub_cents(item.debit, item.credit)?);
        let date = from_day(item.date);
        let slot = match item.partial {
            Some(seq) => match partial.get(&seq) {
                Some(&slot) => Some(slot),
                None => {
                    partial.insert(seq, units.len());
                    None
                }
            },
            None => None,
        };
        match slot.and_then(|slot| units.get_mut(slot)) {
            Some(unit) => {
                unit.items.push(index);
                unit.amount = unit
                    .amount
                    .checked_add(signed)
                    .ok_or_else(|| invalid("the amounts of a group overflow"))?;
                unit.date = unit.date.max(date);
            }
            None => units.push(PartyUnit {
                items: vec![index],
                amount: signed,
                date,
            }),
        }
    }
    // A partial group's remainder of zero cannot happen (it would be complete); a line of
    // zero letters nothing.
    units.retain(|u| !u.amount.is_zero());
    Ok(units)
}

/// A matching unit as the rules engine sees it, its references (the pieces of its lines)
/// borrowed from the party's lines.
struct UnitItem<'a> {
    key: u64,
    date: chrono::NaiveDate,
    amount: Amount,
    references: &'a [&'a str],
}

impl<'a> matching::AutoItem for UnitItem<'a> {
    type Reference = &'a str;
    fn key(&self) -> u64 {
        self.key
    }
    fn date(&self) -> chrono::NaiveDate {
        self.date
    }
    fn amount(&self) -> Amount {
        self.amount
    }
    fn references(&self) -> &[&'a str] {
        self.references
    }
}

/// The automatic rules over the party's units (keyed by position).
fn propose(
    lines: &PartyLines,
    units: &[PartyUnit],
    bounds: &MatchSettings,
) -> matching::AutoLettering {
    let pieces: Vec<&str> = units
        .iter()
        .flat_map(|unit| unit.items.iter().map(|&i| lines.piece(i)))
        .collect();
    let mut start = 0usize;
    let engine: Vec<UnitItem<'_>> = units
        .iter()
        .enumerate()
        .map(|(key, unit)| {
            let end = start.saturating_add(unit.items.len());
            let references = pieces.get(start..end).unwrap_or_default();
            start = end;
            UnitItem {
                key: key as u64,
                date: unit.date,
                amount: unit.amount,
                references,
            }
        })
        .collect();
    matching::auto_letter(&engine, bounds)
}

fn sub_cents(debit: i64, credit: i64) -> Result<i64> {
    debit
        .checked_sub(credit)
        .ok_or_else(|| invalid("the amounts of a line overflow"))
}

/// What a lettering mark written by a run may replace.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replaces {
    /// Nothing, or the mark of an imported FEC that is no letter group.
    Nothing,
    /// The mark of the partial group (by code position) the line was in.
    Partial(u64),
}

/// Letters one account and party's open items by the automatic rules, with one audit record
/// naming each group and its lines.
///
/// Reads the party's open items, with their entries' pieces and references, from the index
/// alone (no entry is read; `folio check` compares the index with the entries); a group is
/// checked as `letter add` checks it (the rules
/// of `crate::lettering`, through `lettering::group_for`) against the account's counter and
/// the partial groups its lines are in, never the account's other groups. What it writes is
/// what `lettering::store_group` writes: the group, the counter, the marks of its lines
/// (each checked to replace nothing, an imported mark, or its partial group's own, when the
/// run's marks are written in key order by `write_marks`) and their place in the open-items
/// index, in key order.
#[allow(clippy::too_many_arguments)]
fn letter_party(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    bounds: &MatchSettings,
    tables: &mut AutoTables<'_>,
    lines: &mut PartyLines,
    account: &AccountNumber,
    party: &str,
    counts: &mut AutoCounts,
    each: &mut dyn FnMut(AutoEvent),
) -> Result<()> {
    lines.read(tx, account, party)?;
    let units = party_units(lines)?;
    let proposed = propose(lines, &units, bounds);
    if let Some(note) = proposed.set_search.bound_note() {
        each(AutoEvent::Note(format!("{account} {party}: {note}")));
    }
    if proposed.groups.is_empty() {
        return Ok(());
    }
    let letterable = tx.account_ref(account)?.letterable;
    let first_code = tables
        .counters
        .get(account.as_str())?
        .map(|v| v.value())
        .unwrap_or(0);
    let mut next = first_code;
    // Where each item stands after the run (changed items only), the marks to write.
    let mut states: Vec<Option<(u64, bool)>> = vec![None; lines.items.len()];
    let mut outside: Vec<(LineRef, (u64, bool))> = Vec::new();
    // One audit record per party, naming each group and its lines.
    let mut entries: Vec<u64> = Vec::new();
    let mut described: Vec<String> = Vec::with_capacity(proposed.groups.len());
    for found in proposed.groups {
        let mut members: Vec<usize> = found
            .keys
            .iter()
            .filter_map(|&k| units.get(k as usize))
            .flat_map(|unit| unit.items.iter().copied())
            .collect();
        members.sort_unstable_by_key(|&i| lines.items.get(i).map(|item| item.at));
        let mut candidates = Vec::with_capacity(members.len());
        let mut book = crate::lettering::AccountLettering {
            next,
            ..Default::default()
        };
        for &i in &members {
            let item = lines.items[i];
            let date = from_day(item.date);
            if let Some(year) = tx.year_of(date)
                && !year.is_open()
            {
                return Err(LedgerError::YearClosed(year.name()));
            }
            candidates.push(crate::lettering::Candidate {
                at: item.at,
                name: lines.name(i),
                account: account.clone(),
                letterable,
                party: Some(party.to_string()),
                // The index holds lines of validated entries only.
                validated: true,
                debit: Amount::from_cents(item.debit),
                credit: Amount::from_cents(item.credit),
                lettered: item
                    .partial
                    .map(|seq| crate::lettering::display_code(seq, false)),
            });
            // The partial group the line is in, for `group_for` to extend.
            if let Some(seq) = item.partial
                && !book.groups.contains_key(&seq)
                && let Some(bytes) = tables.groups.get((account.as_str(), seq))?
            {
                let group: Group = decode(bytes.value(), "letter group")?;
                book.groups.insert(seq, group);
            }
        }
        let before: Vec<(LineRef, u64)> = book
            .groups
            .values()
            .flat_map(|g| g.lines.iter().map(move |l| (l.at, g.seq)))
            .collect();
        let group = group_for(&mut book, ctx, &candidates)?;
        next = book.next;
        drop(book);
        let start = span_offset(tables.group_bytes.len())?;
        super::codec::encode_into(&group, &mut tables.group_bytes)?;
        let span = (start, span_offset(tables.group_bytes.len())?);
        tables.party_groups.push((group.seq, span));
        let letter_mark = LetterMark {
            code: group.code(),
            date: group.date,
        };
        let mark = tables.marks.push_mark(&letter_mark)?;
        let code = letter_mark.code;
        let state = (group.seq, group.is_complete());
        for line in &group.lines {
            let replaces = before
                .iter()
                .find(|(at, _)| *at == line.at)
                .map_or(Replaces::Nothing, |(_, seq)| Replaces::Partial(*seq));
            tables.marks.rows.push((line.at, mark, replaces));
            match members
                .iter()
                .find(|&&i| lines.items.get(i).is_some_and(|item| item.at == line.at))
            {
                Some(&i) => states[i] = Some(state),
                // A line of the partial group that is not among the party's open items.
                None => outside.push((line.at, state)),
            }
        }
        let names: Vec<String> = candidates.into_iter().map(|c| c.name).collect();
        let at: Vec<LineRef> = members.iter().map(|&i| lines.items[i].at).collect();
        entries.extend(at.iter().map(|at| at.entry));
        described.push(format!(
            "{code} ({}): {}",
            found.rule.label(),
            names.join(", ")
        ));
        let amount = group
            .lines
            .iter()
            .try_fold(Amount::ZERO, |sum, l| sum.checked_add(l.debit))
            .ok_or_else(|| invalid("the amounts of a group overflow"))?;
        counts.groups = counts.groups.saturating_add(1);
        counts.lines = counts.lines.saturating_add(at.len());
        each(AutoEvent::Group(AutoGroup {
            rule: found.rule,
            account: account.clone(),
            party: party.to_string(),
            code,
            lines: at,
            names,
            amount,
        }));
    }
    if next != first_code {
        tables.counters.insert(account.as_str(), next)?;
    }
    // The party's groups in key order (new codes follow the account's last one); their marks
    // are written with the next parties' (`write_marks`).
    tables.party_groups.sort_unstable_by_key(|g| g.0);
    let bytes = &tables.group_bytes;
    super::store::insert_sorted(
        &mut tables.groups,
        tables
            .party_groups
            .iter()
            .map(|&(seq, span)| ((account.as_str(), seq), span_of(bytes, span))),
    )?;
    tables.party_groups.clear();
    tables.group_bytes.clear();
    // The open-items index, in one pass.
    tx.settle_open_items(account, party, &lines.items, &states)?;
    for (at, state) in outside {
        let entry = tx.entry(at.entry)?;
        tx.set_open_line(&entry, at.line, Some(state))?;
    }
    entries.sort_unstable();
    entries.dedup();
    let mut records: Vec<String> = entries.iter().map(|e| format!("entry:{e}")).collect();
    records.sort_unstable();
    records.push(format!("account:{account}"));
    records.push(format!("party:{party}"));
    tx.audit(
        ctx,
        "letter.auto",
        records,
        format!(
            "lettered by the automatic rules on {account} ({party}): {}",
            described.join("; ")
        ),
    )
}

/// Refuses a mark that replaced another than the line's state allowed: the line was lettered
/// by someone else, or its mark and its group disagree.
fn check_replaced(
    tx: &Tx<'_>,
    at: LineRef,
    old: Option<LetterMark>,
    replaces: Replaces,
) -> Result<()> {
    let Some(old) = old else {
        return match replaces {
            Replaces::Nothing => Ok(()),
            Replaces::Partial(_) => Err(LedgerError::Corrupt(format!(
                "line {} is in a partial group but has no lettering mark (run folio check)",
                line_label_in(tx, at)
            ))),
        };
    };
    match replaces {
        Replaces::Partial(seq) if old.code == crate::lettering::display_code(seq, false) => Ok(()),
        Replaces::Nothing if super::lettering_import::is_imported_mark(tx, at)? => Ok(()),
        _ => Err(invalid(
            crate::lettering::LetterError::AlreadyLettered {
                name: line_label_in(tx, at),
                code: old.code,
            }
            .to_string(),
        )),
    }
}

/// `VE2026-000012/2` inside a transaction, or the raw reference when the entry cannot be read.
fn line_label_in(tx: &Tx<'_>, at: LineRef) -> String {
    match tx.entry(at.entry) {
        Ok(entry) => line_name(&entry.reference(), at),
        Err(_) => format!("#{}/{}", at.entry, at.line.saturating_add(1)),
    }
}

/// What `letter_auto_each` hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoEvent {
    Group(AutoGroup),
    /// A party whose set search stopped at its bound.
    Note(String),
}

/// Reads the named lines (and the rest of their partial group), checks the write-off is
/// allowed and builds its entry.
fn plan_writeoff(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    books: &mut Books,
    lines: &[LineRef],
) -> Result<WriteOff> {
    let (lettering, settings) = lettering_settings(tx)?;
    let Some(first) = lines.first() else {
        return Err(invalid("name the lines to write off"));
    };
    let first_entry = tx.entry(first.entry)?;
    let first_line = first_entry
        .lines
        .get(first.line as usize)
        .ok_or_else(|| {
            invalid(format!(
                "entry {} has no line {}",
                first_entry.reference(),
                first.line.saturating_add(1)
            ))
        })?
        .clone();
    let account = first_line.account.clone();
    let party = first_line.third_party.clone().ok_or_else(|| {
        invalid(format!(
            "line {} has no third party",
            line_name(&first_entry.reference(), *first)
        ))
    })?;
    // The named lines and the rest of the partial group any of them is in.
    let mut members: Vec<LineRef> = Vec::new();
    for at in lines {
        if members.contains(at) {
            continue;
        }
        let marked = tx.lettering.get((at.entry, at.line))?.is_some();
        if marked {
            let entry = tx.entry(at.entry)?;
            let on = entry
                .lines
                .get(at.line as usize)
                .map(|l| l.account.clone())
                .unwrap_or_else(|| account.clone());
            let book = books.book(tx, &on)?;
            if let Some(group) = book.group_of(*at) {
                if group.is_complete() {
                    return Err(invalid(format!(
                        "line {} is in complete group {}: nothing to write off",
                        line_name(&entry.reference(), *at),
                        group.code()
                    )));
                }
                for line in &group.lines {
                    if !members.contains(&line.at) {
                        members.push(line.at);
                    }
                }
                continue;
            }
        }
        members.push(*at);
    }
    let mut remainder = Amount::ZERO;
    let mut sources: Vec<(u64, Amount)> = Vec::new();
    for at in &members {
        let entry = tx.entry(at.entry)?;
        let line = entry.lines.get(at.line as usize).ok_or_else(|| {
            invalid(format!(
                "entry {} has no line {}",
                entry.reference(),
                at.line.saturating_add(1)
            ))
        })?;
        if line.account != account || line.third_party.as_deref() != Some(party.as_str()) {
            return Err(invalid(format!(
                "line {} is not on {account} for {party}: a write-off completes one account and party",
                line_name(&entry.reference(), *at)
            )));
        }
        let signed = line
            .debit
            .checked_sub(line.credit)
            .ok_or_else(|| invalid("the amounts of the lines overflow"))?;
        remainder = remainder
            .checked_add(signed)
            .ok_or_else(|| invalid("the amounts of the lines overflow"))?;
        if let Some(document) = entry
            .source
            .as_deref()
            .and_then(|s| s.strip_prefix("document:"))
            .and_then(|s| s.parse::<u64>().ok())
            && entry.reversal_of.is_none()
        {
            sources.push((document, signed));
        }
    }
    if remainder.is_zero() {
        return Err(invalid(
            "the lines balance already: letter them (folio letter add) without a write-off",
        ));
    }
    if remainder.abs() > lettering.tolerance {
        return Err(invalid(format!(
            "the difference {} is beyond the write-off tolerance {} (setting lettering.tolerance)",
            remainder.abs().to_plain(),
            lettering.tolerance.to_plain()
        )));
    }
    let (target, key) = if remainder.is_negative() {
        (
            lettering.writeoff_credit_account.clone(),
            "lettering.writeoff_credit_account",
        )
    } else {
        (
            lettering.writeoff_debit_account.clone(),
            "lettering.writeoff_debit_account",
        )
    };
    if tx.account_opt(&target)?.is_none() {
        return Err(invalid(format!(
            "{key}: account {target} does not exist (add it or change the setting)"
        )));
    }
    if tx.journal_opt(&lettering.writeoff_journal)?.is_none() {
        return Err(invalid(format!(
            "lettering.writeoff_journal: journal {} does not exist",
            lettering.writeoff_journal
        )));
    }
    let (vat, shares) = match &settings {
        Some(settings) => vat_cleared(tx, settings, &sources, remainder)?,
        None => (Vec::new(), Vec::new()),
    };
    let size = remainder.abs();
    let mut tax_total = Amount::ZERO;
    for v in &vat {
        tax_total = tax_total
            .checked_add(v.tax)
            .ok_or_else(|| invalid("the VAT of the write-off overflows"))?;
    }
    let base = size
        .checked_sub(tax_total)
        .filter(|b| !b.is_negative())
        .ok_or_else(|| invalid("the VAT to clear exceeds the difference"))?;
    let label = format!("Écart de règlement {party}");
    let debit_remainder = !remainder.is_negative();
    let side = |account: AccountNumber, amount: Amount, party_side: bool| {
        // The party line takes the remainder's other side; the others its side.
        let debit = debit_remainder != party_side;
        Line {
            account,
            third_party: None,
            label: label.clone(),
            debit: if debit { amount } else { Amount::ZERO },
            credit: if debit { Amount::ZERO } else { amount },
        }
    };
    let mut party_line = side(account.clone(), size, true);
    party_line.third_party = Some(party.clone());
    let mut entry_lines = vec![party_line];
    if !base.is_zero() {
        entry_lines.push(side(target, base, false));
    }
    for v in &vat {
        entry_lines.push(side(v.pending_account.clone(), v.tax, false));
    }
    let entry = EntryInput {
        journal: lettering.writeoff_journal.clone(),
        date: ctx.today,
        piece: first_entry.piece.clone(),
        label,
        lines: entry_lines,
    };
    Ok(WriteOff {
        account,
        party,
        remainder,
        tolerance: lettering.tolerance,
        entry,
        lines: members,
        vat,
        shares,
    })
}

/// Cents of a document settled so far: its payments and refunds, and the write-offs not
/// reversed since.
fn settled_of(
    tx: &Tx<'_>,
    documents: &impl ReadableTable<u64, super::tables::Bytes>,
    document: u64,
) -> Result<Amount> {
    let allocations = tx.txn.open_table(ALLOCATIONS)?;
    let mut cents: i64 = 0;
    for item in allocations.range((document, 0u64)..=(document, u64::MAX))? {
        let (key, value) = item?;
        let from = key.value().1;
        let is_cash = match documents.get(from)? {
            Some(bytes) => decode::<Document>(bytes.value(), "document")?
                .doc_type
                .is_payment(),
            None => false,
        };
        if is_cash {
            cents = cents
                .checked_add(value.value())
                .ok_or_else(|| invalid("the payments of a document overflow"))?;
        }
    }
    cents = cents
        .checked_add(writeoffs_of(tx, document)?)
        .ok_or_else(|| invalid("the payments of a document overflow"))?;
    Ok(Amount::from_cents(cents))
}

fn writeoffs_of(tx: &Tx<'_>, document: u64) -> Result<i64> {
    let shares = tx.txn.open_table(WRITEOFF_SHARES)?;
    let mut cents: i64 = 0;
    for item in shares.range((document, 0u64)..=(document, u64::MAX))? {
        let (key, value) = item?;
        if tx.reversal_of(key.value().1)?.is_none() {
            cents = cents
                .checked_add(value.value())
                .ok_or_else(|| invalid("the write-offs of a document overflow"))?;
        }
    }
    Ok(cents)
}

/// The VAT due on payment a write-off of `remainder` clears: for the first invoice or credit
/// note among the lines that is still partly unpaid on the side the remainder is on, the
/// share of its taxes due on payment the written-off part stands for (as a payment of that
/// part would have moved it).
fn vat_cleared(
    tx: &Tx<'_>,
    settings: &Settings,
    sources: &[(u64, Amount)],
    remainder: Amount,
) -> Result<(Vec<WriteOffVat>, Vec<DocumentShare>)> {
    let documents = tx.txn.open_table(DOCUMENTS)?;
    let posted = tx.txn.open_table(POSTED)?;
    let left = remainder.abs();
    let mut vat = Vec::new();
    let mut shares = Vec::new();
    let mut seen = Vec::new();
    for &(id, signed) in sources {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        // The document's own line is on the side the remainder is open on.
        if signed.is_negative() != remainder.is_negative() {
            continue;
        }
        let Some(bytes) = documents.get(id)? else {
            continue;
        };
        let doc: Document = decode(bytes.value(), "document")?;
        if doc.status != DocumentStatus::Validated || doc.doc_type.is_payment() {
            continue;
        }
        let Some(bytes) = posted.get(id)? else {
            continue;
        };
        let totals: PostedTotals = decode(bytes.value(), "posted totals")?;
        if !totals
            .taxes
            .iter()
            .any(|t| t.on_payment && !t.tax.is_zero())
        {
            continue;
        }
        let settled = settled_of(tx, &documents, id)?;
        let unpaid = totals
            .total
            .checked_sub(settled)
            .ok_or_else(|| invalid("the payments of a document overflow"))?;
        if !unpaid.is_negative() && !unpaid.is_zero() {
            let part = unpaid.min(left);
            let after = settled
                .checked_add(part)
                .ok_or_else(|| invalid("the payments of a document overflow"))?;
            for detail in totals
                .taxes
                .iter()
                .filter(|t| t.on_payment && !t.tax.is_zero())
            {
                let Some(pending) = settings
                    .tax(&detail.code)
                    .and_then(|t| t.pending_account.clone())
                else {
                    continue;
                };
                let tax = moved_share(detail.tax, totals.total, settled, after);
                if !tax.is_zero() {
                    vat.push(WriteOffVat {
                        document: doc.display_ref(),
                        tax_code: detail.code.clone(),
                        pending_account: pending,
                        tax,
                    });
                }
            }
            // One document per write-off, so `folio check` knows whose VAT its lines clear.
            shares.push((id, part));
            break;
        }
    }
    Ok((vat, shares))
}

/// The write-off entries and the part of each document they settled, for `folio check`:
/// (document, entry, cents), and whether the entry was reversed since.
pub(super) fn writeoff_shares(view: &super::store::View) -> Result<Vec<WriteOffShare>> {
    let Some(table) = view.table_if_exists(WRITEOFF_SHARES)? else {
        return Ok(Vec::new());
    };
    let reversals = view.table(super::tables::REVERSALS)?;
    let mut out = Vec::new();
    for item in table.range::<(u64, u64)>(..)? {
        let (key, value) = item?;
        let (document, entry) = key.value();
        let reversal = reversals.get(entry)?.map(|v| v.value());
        out.push((document, entry, value.value(), reversal));
    }
    Ok(out)
}

// ----- lettering from the documents -----------------------------------------------------------

/// Documents one settlement links, at most: a larger cluster is left to manual lettering.
const MAX_SETTLEMENT_DOCUMENTS: usize = 500;

/// The documents linked to `seed` by allocations and set-offs (payments, refunds, credit
/// notes and the invoices they settle), or `None` beyond [`MAX_SETTLEMENT_DOCUMENTS`].
fn settlement_of(
    documents: &impl ReadableTable<u64, super::tables::Bytes>,
    allocations: &impl ReadableTable<(u64, u64), i64>,
    setoffs: &impl ReadableTable<(u64, u64), i64>,
    seed: u64,
) -> Result<Option<Vec<Document>>> {
    let mut seen = std::collections::BTreeSet::from([seed]);
    let mut queue = vec![seed];
    let mut out = Vec::new();
    while let Some(id) = queue.pop() {
        let Some(bytes) = documents.get(id)? else {
            continue;
        };
        let doc: Document = decode(bytes.value(), "document")?;
        let mut next: Vec<u64> = doc.allocations().iter().map(|a| a.document).collect();
        for item in allocations.range((id, 0u64)..=(id, u64::MAX))? {
            next.push(item?.0.value().1);
        }
        for item in setoffs.range((id, 0u64)..=(id, u64::MAX))? {
            next.push(item?.0.value().1);
        }
        out.push(doc);
        for other in next {
            if seen.insert(other) {
                if seen.len() > MAX_SETTLEMENT_DOCUMENTS {
                    return Ok(None);
                }
                queue.push(other);
            }
        }
    }
    Ok(Some(out))
}

/// Letters the third-party lines of the documents `seeds` settle together, with those of
/// their payments, refunds and credit notes, once their entries are validated: a partial
/// group while something is left to pay, complete when paid. Lettering a user made stays:
/// lines join a partial group they share, and nothing is done when they are in different
/// groups or in a complete one.
pub(super) fn letter_documents(tx: &mut Tx<'_>, ctx: &Ctx, seeds: &[u64]) -> Result<()> {
    if seeds.is_empty() {
        return Ok(());
    }
    let mut clusters: Vec<Vec<Document>> = Vec::new();
    {
        let documents = tx.txn.open_table(DOCUMENTS)?;
        let allocations = tx.txn.open_table(ALLOCATIONS)?;
        let setoffs = tx.txn.open_table(super::documents::SETOFFS)?;
        let mut done = std::collections::HashSet::new();
        for &seed in seeds {
            if done.contains(&seed) {
                continue;
            }
            match settlement_of(&documents, &allocations, &setoffs, seed)? {
                Some(docs) => {
                    done.extend(docs.iter().map(|d| d.id));
                    if docs.len() >= 2 {
                        clusters.push(docs);
                    }
                }
                None => {
                    done.insert(seed);
                }
            }
        }
    }
    let mut books = Books::default();
    for docs in clusters {
        // Third-party lines of the validated entries, per account.
        let mut by_account: BTreeMap<AccountNumber, Vec<LineRef>> = BTreeMap::new();
        for doc in &docs {
            for (account, at) in party_lines(tx, doc)? {
                by_account.entry(account).or_default().push(at);
            }
        }
        for (account, lines) in by_account {
            if lines.len() >= 2 {
                sync_group(tx, ctx, &mut books, &account, &lines)?;
            }
        }
    }
    Ok(())
}

/// The third-party lines of a validated document's validated entry, on letterable accounts.
fn party_lines(tx: &mut Tx<'_>, doc: &Document) -> Result<Vec<(AccountNumber, LineRef)>> {
    let mut out = Vec::new();
    if doc.status != DocumentStatus::Validated {
        return Ok(out);
    }
    let Some(id) = doc.entry else {
        return Ok(out);
    };
    let Some(entry) = tx.entry_opt(id)? else {
        return Ok(out);
    };
    if !entry.is_validated() {
        return Ok(out);
    }
    for (k, line) in entry.lines.iter().enumerate() {
        if line.third_party.as_deref() == Some(doc.party.as_str())
            && tx.account_ref(&line.account)?.letterable
        {
            let at = LineRef {
                entry: id,
                line: u32::try_from(k).unwrap_or(u32::MAX),
            };
            out.push((line.account.clone(), at));
        }
    }
    Ok(out)
}

/// The allocation of `payment` (a payment, refund or credit note) to `target` was removed: a
/// group holding the third-party lines of both loses what it stood on and is removed, then
/// each side's remaining settlements letter again.
pub(super) fn unletter_allocation(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    payment: &Document,
    target: &Document,
) -> Result<()> {
    let paying = party_lines(tx, payment)?;
    let settled = party_lines(tx, target)?;
    let mut books = Books::default();
    let mut shared = Vec::new();
    for (account, at) in &paying {
        let book = books.book(tx, account)?;
        let Some(group) = book.group_of(*at) else {
            continue;
        };
        if settled
            .iter()
            .any(|(on, other)| on == account && group.contains(*other))
            && !shared.contains(&(account.clone(), group.seq))
        {
            shared.push((account.clone(), group.seq));
        }
    }
    drop(books);
    for (account, seq) in shared {
        let code = crate::lettering::code_of(seq);
        super::lettering::unletter_seq(tx, ctx, &account, seq, &code)?;
    }
    letter_documents(tx, ctx, &[payment.id, target.id])
}

/// Brings `lines` into one group when the lettering already there allows it.
fn sync_group(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    books: &mut Books,
    account: &AccountNumber,
    lines: &[LineRef],
) -> Result<()> {
    let mut group: Option<(u64, bool)> = None;
    let mut fresh = Vec::new();
    for at in lines {
        if tx.lettering.get((at.entry, at.line))?.is_none() {
            fresh.push(*at);
            continue;
        }
        let book = books.book(tx, account)?;
        let Some(found) = book.group_of(*at) else {
            // Marked without a group of this account (an imported mark): left alone.
            return Ok(());
        };
        match group {
            Some((seq, _)) if seq != found.seq => return Ok(()),
            _ => group = Some((found.seq, found.is_complete())),
        }
    }
    match group {
        None => {
            letter_lines(tx, ctx, books, &fresh)?;
        }
        Some((_, true)) => {}
        Some((seq, false)) if !fresh.is_empty() => {
            let book = books.book(tx, account)?;
            let mut members: Vec<LineRef> = book
                .groups
                .get(&seq)
                .map(|g| g.lines.iter().map(|l| l.at).collect())
                .unwrap_or_default();
            members.extend(fresh);
            letter_lines(tx, ctx, books, &members)?;
        }
        Some(_) => {}
    }
    Ok(())
}

/// Regeneration reversed `old` by `reversal` and reposted it as `reposted`: each lettered
/// line of `old` gives its place in its group to the matching line of `reposted` (same
/// account and third party) when that entry is validated, and letters with its reversal.
pub(super) fn follow_repost(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    old: &Entry,
    reversal: &Entry,
    reposted: &Entry,
) -> Result<()> {
    let mut books = Books::default();
    let mut taken = Vec::new();
    for (k, line) in old.lines.iter().enumerate() {
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        let at = LineRef {
            entry: old.id,
            line: k,
        };
        if tx.lettering.get((at.entry, at.line))?.is_none() {
            continue;
        }
        let successor = if reposted.is_validated() {
            reposted
                .lines
                .iter()
                .enumerate()
                .map(|(j, l)| (u32::try_from(j).unwrap_or(u32::MAX), l))
                .find(|(j, l)| {
                    !taken.contains(j)
                        && l.account == line.account
                        && l.third_party == line.third_party
                })
                .map(|(j, _)| j)
        } else {
            None
        };
        if let Some(j) = successor {
            taken.push(j);
        }
        let replaced = super::lettering::replace_line(
            tx,
            ctx,
            &mut books,
            &line.account,
            at,
            successor.map(|j| LineRef {
                entry: reposted.id,
                line: j,
            }),
        )?;
        if replaced {
            let pair = [
                at,
                LineRef {
                    entry: reversal.id,
                    line: k,
                },
            ];
            letter_lines(tx, ctx, &mut books, &pair)?;
        }
    }
    Ok(())
}
