//! Lettering beyond `folio letter add`: completing a group with a write-off entry, automatic
//! lettering by the rules of `crate::matching`, and ranked suggestions.
//!
//! Every group is made through `lettering::letter_lines`, so the checks, the marks, the audit
//! record and whatever the lettering tables keep in step are the same as for a manual one.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use redb::{ReadableTable, TableDefinition};
use serde::Serialize;

use super::codec::{decode, encode};
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
            }
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

/// The lettering tables an automatic run writes, open for the whole run.
struct AutoTables<'t> {
    groups: redb::Table<'t, (&'static str, u64), super::tables::Bytes>,
    counters: redb::Table<'t, &'static str, u64>,
}

/// What automatic lettering reads of a stored entry: the leading fields of `Entry`, in its
/// order (postcard writes no field names), borrowed from the stored bytes; the fields after
/// `number` are left unread. `the_entry_head_reads_what_the_entry_holds` compares it with
/// the full decoding.
#[derive(serde::Deserialize)]
struct EntryHead<'a> {
    id: u64,
    #[serde(borrow)]
    _journal: &'a str,
    #[serde(borrow)]
    _date: &'a str,
    #[serde(borrow)]
    piece: &'a str,
    #[serde(borrow)]
    _label: &'a str,
    #[serde(borrow)]
    lines: Vec<LineHead<'a>>,
    status: crate::model::EntryStatus,
    #[serde(borrow)]
    number: Option<NumberHead<'a>>,
}

#[derive(serde::Deserialize)]
struct LineHead<'a> {
    #[serde(borrow)]
    account: &'a str,
    #[serde(borrow)]
    third_party: Option<&'a str>,
    #[serde(borrow)]
    _label: &'a str,
    debit: i64,
    credit: i64,
}

#[derive(serde::Deserialize)]
struct NumberHead<'a> {
    #[serde(borrow)]
    journal: &'a str,
    #[serde(borrow)]
    year: &'a str,
    seq: u64,
}

/// Reads the head of the entry stored as `bytes` under `id` (its checksum verified).
fn entry_head(bytes: &[u8], id: u64) -> Result<EntryHead<'_>> {
    let payload = super::codec::payload(bytes, "entry")?;
    let (head, _) = postcard::take_from_bytes::<EntryHead<'_>>(payload)
        .map_err(|err| LedgerError::Corrupt(format!("entry #{id} cannot be decoded: {err}")))?;
    if head.id != id {
        return Err(LedgerError::Corrupt(format!(
            "entry #{id} is stored under the id of another entry (#{})",
            head.id
        )));
    }
    Ok(head)
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

    /// Reads the open items of `account` and `party` from the index and, for each, the head of
    /// its entry, which must agree with the index: a validated entry whose line is on the
    /// account and party with the indexed amounts.
    fn read(&mut self, tx: &Tx<'_>, account: &AccountNumber, party: &str) -> Result<()> {
        let items = tx.indexed_open_items(account, party)?;
        self.items.clear();
        self.spans.clear();
        self.text.clear();
        for item in &items {
            let bytes = tx.entries.get(item.at.entry)?.ok_or_else(|| {
                LedgerError::Corrupt(format!(
                    "the open items index names entry #{}, which does not exist (run folio check)",
                    item.at.entry
                ))
            })?;
            let head = entry_head(bytes.value(), item.at.entry)?;
            let agrees = head.status == crate::model::EntryStatus::Validated
                && head.lines.get(item.at.line as usize).is_some_and(|line| {
                    line.debit == item.debit
                        && line.credit == item.credit
                        && line.account == account.as_str()
                        && line.third_party == Some(party)
                });
            let Some(number) = head.number.as_ref().filter(|_| agrees) else {
                return Err(LedgerError::Corrupt(format!(
                    "the open items index disagrees with line {}/{} (run folio check)",
                    match &head.number {
                        Some(n) => format!("{}{}-{:06}", n.journal, n.year, n.seq),
                        None => format!("#{}", head.id),
                    },
                    item.at.line.saturating_add(1)
                )));
            };
            let piece = self.push_text(|text| text.push_str(head.piece))?;
            // As `EntryNumber` shows itself.
            let reference = self.push_text(|text| {
                let _ = write!(text, "{}{}-{:06}", number.journal, number.year, number.seq);
            })?;
            self.spans.push((piece, reference));
        }
        self.items = items;
        Ok(())
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

/// The party's items as matching units, partial groups folded into one, and the engine's
/// items (keyed by unit).
fn party_units(lines: &PartyLines) -> Result<(Vec<PartyUnit>, Vec<Item>)> {
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
    let engine = units
        .iter()
        .enumerate()
        .map(|(key, unit)| Item {
            key: key as u64,
            date: unit.date,
            amount: unit.amount,
            references: unit
                .items
                .iter()
                .map(|&i| lines.piece(i).to_string())
                .collect(),
        })
        .collect();
    Ok((units, engine))
}

fn sub_cents(debit: i64, credit: i64) -> Result<i64> {
    debit
        .checked_sub(credit)
        .ok_or_else(|| invalid("the amounts of a line overflow"))
}

/// What a lettering mark written by a run may replace.
#[derive(Clone, Copy)]
enum Replaces {
    /// Nothing, or the mark of an imported FEC that is no letter group.
    Nothing,
    /// The mark of the partial group (by code position) the line was in.
    Partial(u64),
}

/// A lettering mark to write: (line, index of the mark in the party's marks, what it replaces).
type MarkWrite = (LineRef, usize, Replaces);

/// Letters one account and party's open items by the automatic rules, with one audit record
/// naming each group and its lines.
///
/// Reads the party's open items from the index and the head of each of their entries once
/// (which must agree with the index); a group is checked as `letter add` checks it (the rules
/// of `crate::lettering`, through `lettering::group_for`) against the account's counter and
/// the partial groups its lines are in, never the account's other groups. What it writes is
/// what `lettering::store_group` writes: the group, the counter, the marks of its lines
/// (each checked to replace nothing, an imported mark, or its partial group's own) and their
/// place in the open-items index, the marks and the index in key order.
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
    let (units, engine) = party_units(lines)?;
    let proposed = matching::auto_letter(&engine, bounds);
    drop(engine);
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
    let mut marks: Vec<Vec<u8>> = Vec::with_capacity(proposed.groups.len());
    let mut writes: Vec<MarkWrite> = Vec::new();
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
                // `PartyLines::read` found the entry validated.
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
        tables
            .groups
            .insert((account.as_str(), group.seq), encode(&group)?.as_slice())?;
        let mark = marks.len();
        marks.push(encode(&LetterMark {
            code: group.code(),
            date: group.date,
        })?);
        let state = (group.seq, group.is_complete());
        for line in &group.lines {
            let replaces = before
                .iter()
                .find(|(at, _)| *at == line.at)
                .map_or(Replaces::Nothing, |(_, seq)| Replaces::Partial(*seq));
            writes.push((line.at, mark, replaces));
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
            "{} ({}): {}",
            group.code(),
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
            code: group.code(),
            lines: at,
            names,
            amount,
        }));
    }
    if next != first_code {
        tables.counters.insert(account.as_str(), next)?;
    }
    // The marks, in key order, each replacing only what the line's state allows.
    writes.sort_unstable_by_key(|w| w.0);
    for (at, mark, replaces) in writes {
        let bytes = marks.get(mark).map_or(&[][..], Vec::as_slice);
        let old: Option<LetterMark> = match tx.lettering.insert((at.entry, at.line), bytes)? {
            Some(old) => Some(decode(old.value(), "lettering mark")?),
            None => None,
        };
        check_replaced(tx, at, old, replaces)?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntryNumber, EntryStatus};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    proptest! {
        /// What automatic lettering reads of a stored entry without decoding it whole is what
        /// the entry holds: a field added to `Entry` before `number` would fail here.
        #[test]
        fn the_entry_head_reads_what_the_entry_holds(
            cents in proptest::collection::vec(1i64..10_000_000, 1..6),
            piece in "\\PC{1,20}",
            label in "\\PC{0,40}",
            party in proptest::option::of("[A-Z0-9]{1,12}"),
            id in any::<u64>(),
            seq in 1u64..10_000_000,
            validated in any::<bool>(),
            source in proptest::option::of("document:[0-9]{1,6}"),
        ) {
            let total: i64 = cents.iter().sum();
            let mut lines: Vec<Line> = cents
                .iter()
                .map(|c| {
                    Line::debit(AccountNumber::parse("411").unwrap(), Amount::from_cents(*c))
                        .with_party(party.clone())
                })
                .collect();
            lines.push(Line::credit(
                AccountNumber::parse("706").unwrap(),
                Amount::from_cents(total),
            ));
            let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
            let entry = Entry {
                id,
                journal: "VE".into(),
                date,
                piece,
                label,
                lines,
                status: if validated { EntryStatus::Validated } else { EntryStatus::Draft },
                number: validated.then(|| EntryNumber {
                    journal: "VE".into(),
                    year: "2026".into(),
                    seq,
                }),
                validated_on: validated.then_some(date),
                validation_seq: validated.then_some(seq),
                reversal_of: None,
                source,
                created_by: "alice".into(),
                revision: 3,
            };
            let bytes = encode(&entry).unwrap();
            let head = entry_head(&bytes, id).unwrap();
            prop_assert_eq!(head.id, entry.id);
            prop_assert_eq!(head.piece, entry.piece.as_str());
            prop_assert_eq!(head.status, entry.status);
            let reference = head
                .number
                .as_ref()
                .map(|n| format!("{}{}-{:06}", n.journal, n.year, n.seq));
            prop_assert_eq!(reference, entry.number.as_ref().map(|_| entry.reference()));
            prop_assert_eq!(head.lines.len(), entry.lines.len());
            for (read, line) in head.lines.iter().zip(&entry.lines) {
                prop_assert_eq!(read.account, line.account.as_str());
                prop_assert_eq!(read.third_party, line.third_party.as_deref());
                prop_assert_eq!(read.debit, line.debit.cents());
                prop_assert_eq!(read.credit, line.credit.cents());
            }
            // Another id, or damaged bytes, are corruption.
            prop_assert!(entry_head(&bytes, id.wrapping_add(1)).is_err());
            let mut damaged = bytes.clone();
            if let Some(last) = damaged.last_mut() {
                *last ^= 1;
            }
            prop_assert!(entry_head(&damaged, id).is_err());
        }
    }
}
