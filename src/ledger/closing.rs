//! Closing a fiscal year: the result goes to 120 or 129, balance-sheet balances open the next
//! year in the opening journal, and the year accepts nothing afterwards.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use redb::ReadableTable;

use super::carried::{CARRIED_ORIGINS, LineOrigin, origin_of};
use super::codec::{decode, encode};
use super::commands::{add_next_year, new_entry};
use super::error::{LedgerError, Result};
use super::lettering::{load_account, store_group};
use super::store::{Tx, day};
use super::tables::{Bytes, DOCUMENTS};
use super::{Ctx, Ledger};
use crate::lettering::{AccountLettering, GroupLine, LineRef};
use crate::model::calendar::YearStatus;
use crate::model::document::Document;
use crate::model::entry::MAX_LINES_PER_ENTRY;
use crate::model::{AccountNumber, Amount, Entry, EntryInput, FiscalYear, JournalKind, Line};

/// Profit goes to 120 (credit), loss to 129 (debit).
const PROFIT_ACCOUNT: &str = "120000";
const LOSS_ACCOUNT: &str = "129000";

/// What closing a year did.
#[derive(Debug, Clone)]
pub struct Closing {
    pub year: FiscalYear,
    pub next_year: FiscalYear,
    /// Profit (positive) or loss (negative).
    pub result: Amount,
    pub opening_entry: Option<Entry>,
    /// Open items of letterable accounts carried into the opening entry, one line each.
    pub carried_items: usize,
    /// Letter groups reaching past the closed year that go on with their carried line
    /// (`AA on 411000`).
    pub moved_groups: Vec<String>,
}

impl Ledger {
    /// Closes the fiscal year named `name` (`2026`), or the earliest open year. Closing is
    /// final, so it is refused before the year's last day (`ctx.today`).
    pub fn close_year(&self, ctx: &Ctx, name: Option<&str>) -> Result<Closing> {
        self.closing(ctx, name, true)
    }

    /// What `close_year` would do (result, next year, opening entry with its number), computed
    /// by the same code in a transaction that is then dropped: nothing is written. Refused for
    /// the same reasons as closing itself.
    pub fn close_preview(&self, ctx: &Ctx, name: Option<&str>) -> Result<Closing> {
        self.closing(ctx, name, false)
    }

    fn closing(&self, ctx: &Ctx, name: Option<&str>, commit: bool) -> Result<Closing> {
        let mut preview = None;
        let result = self.write(ctx, |tx| {
            let mut year = find_year(tx.years(), name)?;
            if !year.is_open() {
                return Err(LedgerError::YearClosed(year.name()));
            }
            if ctx.today < year.end {
                return Err(LedgerError::YearNotEnded {
                    year: year.name(),
                    end: year.end,
                    today: ctx.today,
                });
            }
            if let Some(earlier) = tx
                .years()
                .iter()
                .find(|y| y.start < year.start && y.is_open())
            {
                return Err(LedgerError::Invalid {
                    field: "year",
                    reason: format!(
                        "fiscal year {} is still open: close the years in order",
                        earlier.name()
                    ),
                });
            }
            let drafts = count_drafts_in(tx, &year)?;
            if drafts > 0 {
                return Err(LedgerError::DraftsRemain {
                    year: year.name(),
                    count: drafts,
                });
            }
            let next_start = year
                .end
                .succ_opt()
                .ok_or(LedgerError::NoOpenYear { date: year.end })?;
            let next_year = match tx.years().iter().find(|y| y.start == next_start) {
                Some(existing) => existing.clone(),
                None => add_next_year(tx, 12)?,
            };
            let year_end = closing_balances(tx, &year)?;
            let result = year_end.result;
            let Opening {
                entry: opening_entry,
                carried_items,
                moved_groups,
            } = post_opening_entry(tx, ctx, &year, &next_year, year_end)?;
            if !commit {
                preview = Some(Closing {
                    year,
                    next_year,
                    result,
                    opening_entry,
                    carried_items,
                    moved_groups,
                });
                // Dropping the transaction writes nothing.
                return Err(LedgerError::Cancelled);
            }
            tx.close_open_items(&year)?;
            year.status = YearStatus::Closed;
            tx.put_year(&year)?;
            // The year's FEC as it stands at closing, kept with its hash: later renamings of
            // accounts, journals or parties do not change what was closed.
            let fec = super::export::store_closing_fec(tx, &year)?;
            let mut records = vec![format!("year:{}", year.name())];
            if let Some(entry) = &opening_entry {
                records.push(format!("entry:{}", entry.id));
            }
            let mut accounts: Vec<String> = moved_groups
                .iter()
                .filter_map(|g| g.split(" on ").nth(1))
                .map(|a| format!("account:{a}"))
                .collect();
            accounts.sort();
            accounts.dedup();
            records.extend(accounts);
            let moved = if moved_groups.is_empty() {
                String::new()
            } else {
                format!(
                    "; letter groups going on with their carried line: {}",
                    moved_groups.join(", ")
                )
            };
            tx.audit(
                ctx,
                "year.close",
                records,
                format!(
                    "closed fiscal year {} with a {} of {}; opening entry {} ({} open items \
                     carried){}; FEC {} stored ({} lines, SHA-256 {})",
                    year.name(),
                    if result.is_negative() {
                        "loss"
                    } else {
                        "profit"
                    },
                    result.abs(),
                    opening_entry
                        .as_ref()
                        .map(Entry::reference)
                        .unwrap_or_else(|| "none (no balances)".into()),
                    carried_items,
                    moved,
                    fec.file_name,
                    fec.lines,
                    super::audit::format_hash(&fec.sha256)
                ),
            )?;
            Ok(Closing {
                year,
                next_year,
                result,
                opening_entry,
                carried_items,
                moved_groups,
            })
        });
        match (result, preview) {
            (Err(LedgerError::Cancelled), Some(preview)) => Ok(preview),
            (result, _) => result,
        }
    }
}

pub(crate) fn find_year(years: &[FiscalYear], name: Option<&str>) -> Result<FiscalYear> {
    match name {
        Some(name) => years
            .iter()
            .find(|y| y.name() == name)
            .cloned()
            .ok_or_else(|| LedgerError::UnknownYear(name.to_string())),
        None => years
            .iter()
            .find(|y| y.is_open())
            .cloned()
            .ok_or_else(|| LedgerError::UnknownYear("(no open year)".into())),
    }
}

fn count_drafts_in(tx: &Tx<'_>, year: &FiscalYear) -> Result<usize> {
    let mut count = 0usize;
    for id in tx.draft_ids()? {
        if year.contains(tx.entry(id)?.date) {
            count = count.saturating_add(1);
        }
    }
    Ok(count)
}

type Balances = BTreeMap<(AccountNumber, Option<String>), Amount>;

/// A line of the year on a letterable account and third party, as closing sees it.
#[derive(Debug, Clone)]
struct YearLine {
    at: LineRef,
    signed: Amount,
    label: String,
    /// Where it came from: itself, or the line it was carried from.
    origin: LineOrigin,
}

impl YearLine {
    fn carried(self, account: &AccountNumber, party: &str, amount: Amount) -> Result<Carried> {
        Ok(Carried {
            line: signed_line(account.clone(), amount)?
                .with_party(Some(party.to_string()))
                .with_label(self.label),
            origin: Some(self.origin),
            regroup: None,
        })
    }

    /// Older than `other`: by original date, then entry and line.
    fn is_older(&self, other: &YearLine) -> bool {
        (self.origin.date, self.at.entry, self.at.line)
            < (other.origin.date, other.at.entry, other.at.line)
    }
}

/// One line the opening entry carries.
#[derive(Debug, Clone)]
struct Carried {
    line: Line,
    origin: Option<LineOrigin>,
    /// A letter group reaching past the closed year: the carried line takes the place of the
    /// group's lines of that year (account, group position, lines replaced).
    regroup: Option<(AccountNumber, u64, Vec<LineRef>)>,
}

/// The year's lines of one letter group: what they net to and the oldest on each side, so
/// that memory grows with the groups, not with their lines' labels.
#[derive(Debug, Default)]
struct GroupPart {
    party: String,
    net: Amount,
    lines: Vec<LineRef>,
    oldest_debit: Option<YearLine>,
    oldest_credit: Option<YearLine>,
}

impl GroupPart {
    fn add(&mut self, line: YearLine) -> Result<()> {
        self.net = self
            .net
            .checked_add(line.signed)
            .ok_or_else(|| overflow("a letter group's remainder"))?;
        self.lines.push(line.at);
        let side = if line.signed.is_negative() {
            &mut self.oldest_credit
        } else {
            &mut self.oldest_debit
        };
        if side.as_ref().is_none_or(|old| line.is_older(old)) {
            *side = Some(line);
        }
        Ok(())
    }
}

/// The letter groups of the letterable accounts met so far, and the group of each of their
/// lines.
#[derive(Default)]
struct Lettering {
    books: BTreeMap<AccountNumber, AccountLettering>,
    grouped: HashMap<LineRef, u64>,
}

impl Lettering {
    fn group_of(
        &mut self,
        tx: &Tx<'_>,
        account: &AccountNumber,
        at: LineRef,
    ) -> Result<Option<u64>> {
        if !self.books.contains_key(account) {
            let book = load_account(tx, account)?;
            for group in book.groups.values() {
                for line in &group.lines {
                    self.grouped.insert(line.at, group.seq);
                }
            }
            self.books.insert(account.clone(), book);
        }
        Ok(self.grouped.get(&at).copied())
    }
}

/// What the year leaves to the next one: balances per account (and third party) of the
/// accounts that are not letterable; on letterable accounts, per account and third party,
/// the lines in no letter group and the year's part of each group; and the result.
struct YearEnd {
    balances: Balances,
    open: BTreeMap<(AccountNumber, String), Vec<Carried>>,
    groups: BTreeMap<(AccountNumber, u64), GroupPart>,
    lettering: Lettering,
    result: Amount,
}

/// Balances of the year per account (and third party where lines name one), the open items
/// of letterable accounts, and the result.
fn closing_balances(tx: &mut Tx<'_>, year: &FiscalYear) -> Result<YearEnd> {
    let (from, to) = (day(year.start), day(year.end));
    let mut balances = Balances::new();
    let mut open: BTreeMap<(AccountNumber, String), Vec<Carried>> = BTreeMap::new();
    let mut groups: BTreeMap<(AccountNumber, u64), GroupPart> = BTreeMap::new();
    let mut lettering = Lettering::default();
    let mut open_count = 0usize;
    let mut result = Amount::ZERO;
    let ids: Vec<u64> = tx
        .entries_by_date
        .range((from, 0u64)..=(to, u64::MAX))?
        .map(|item| item.map(|(k, _)| k.value().1))
        .collect::<std::result::Result<_, _>>()?;
    let origins = tx.txn.open_table(CARRIED_ORIGINS)?;
    let documents = tx.txn.open_table(DOCUMENTS)?;
    for id in ids {
        let entry = tx.entry(id)?;
        let mut due: Option<Option<NaiveDate>> = None;
        for (no, line) in entry.lines.iter().enumerate() {
            if line.account.is_income_statement() {
                result = result
                    .checked_sub(line.signed())
                    .ok_or_else(|| overflow("the result of the year"))?;
                continue;
            }
            let letterable = tx.account_ref(&line.account)?.letterable;
            if let (true, Some(party)) = (letterable, &line.third_party) {
                let no = u32::try_from(no).map_err(|_| overflow("a line number"))?;
                let origin = match origin_of(&origins, id, no)? {
                    Some(origin) => origin,
                    None => {
                        let due = match due {
                            Some(due) => due,
                            None => *due.insert(document_due(&documents, &entry)?),
                        };
                        LineOrigin {
                            date: entry.date,
                            piece: entry.piece.clone(),
                            due,
                            entry: entry.reference(),
                        }
                    }
                };
                let at = LineRef {
                    entry: id,
                    line: no,
                };
                let year_line = YearLine {
                    at,
                    signed: line.signed(),
                    label: entry.line_label(line).to_string(),
                    origin,
                };
                match lettering.group_of(tx, &line.account, at)? {
                    Some(seq) => {
                        let part = groups.entry((line.account.clone(), seq)).or_default();
                        part.party.clone_from(party);
                        part.add(year_line)?;
                    }
                    None => {
                        // Memory stays bounded by what one entry holds.
                        open_count = open_count.saturating_add(1);
                        if open_count > MAX_LINES_PER_ENTRY {
                            return Err(too_many_lines(format!("more than {MAX_LINES_PER_ENTRY}")));
                        }
                        open.entry((line.account.clone(), party.clone()))
                            .or_default()
                            .push(year_line.carried(&line.account, party, line.signed())?);
                    }
                }
                continue;
            }
            let balance = balances
                .entry((line.account.clone(), line.third_party.clone()))
                .or_default();
            *balance = balance
                .checked_add(line.signed())
                .ok_or_else(|| overflow("a balance carried forward"))?;
        }
    }
    balances.retain(|_, amount| !amount.is_zero());
    Ok(YearEnd {
        balances,
        open,
        groups,
        lettering,
        result,
    })
}

/// The due date of the document an entry was generated from.
fn document_due(
    documents: &impl ReadableTable<u64, Bytes>,
    entry: &Entry,
) -> Result<Option<NaiveDate>> {
    let Some(id) = entry
        .source
        .as_deref()
        .and_then(|s| s.strip_prefix("document:"))
        .and_then(|id| id.parse::<u64>().ok())
    else {
        return Ok(None);
    };
    match documents.get(id)? {
        Some(bytes) => {
            let document: Document = decode(bytes.value(), "document")?;
            Ok(document.due_date)
        }
        None => Ok(None),
    }
}

/// The year's part of a letter group, carried as one line when it does not net to zero (a
/// partial group within the year, or a group reaching past it), under the origin of its
/// oldest line on the remainder's side. A group that balances within the year is settled.
fn carry_group(
    book: Option<&AccountLettering>,
    account: &AccountNumber,
    seq: u64,
    part: GroupPart,
) -> Result<Option<Carried>> {
    if part.net.is_zero() {
        return Ok(None);
    }
    let oldest = if part.net.is_negative() {
        part.oldest_credit
    } else {
        part.oldest_debit
    };
    let Some(oldest) = oldest else {
        return Ok(None);
    };
    let reaches_past = book
        .and_then(|b| b.groups.get(&seq))
        .is_some_and(|g| g.lines.len() != part.lines.len());
    let mut carried = oldest.carried(account, &part.party, part.net)?;
    if reaches_past {
        carried.regroup = Some((account.clone(), seq, part.lines));
    }
    Ok(Some(carried))
}

fn post_opening_entry(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    year: &FiscalYear,
    next_year: &FiscalYear,
    year_end: YearEnd,
) -> Result<Opening> {
    let YearEnd {
        balances,
        open,
        groups,
        lettering,
        result,
    } = year_end;
    let mut by_key: BTreeMap<(AccountNumber, Option<String>), Vec<Carried>> = BTreeMap::new();
    for ((account, party), amount) in balances {
        let line = signed_line(account.clone(), amount)?.with_party(party.clone());
        by_key.entry((account, party)).or_default().push(Carried {
            line,
            origin: None,
            regroup: None,
        });
    }
    for ((account, party), lines) in open {
        by_key
            .entry((account, Some(party)))
            .or_default()
            .extend(lines);
    }
    let Lettering { mut books, .. } = lettering;
    for ((account, seq), part) in groups {
        let party = part.party.clone();
        if let Some(carried) = carry_group(books.get(&account), &account, seq, part)? {
            by_key
                .entry((account, Some(party)))
                .or_default()
                .push(carried);
        }
    }
    // Each third party's carried lines by original date, then entry.
    for lines in by_key.values_mut() {
        lines.sort_by(|a, b| {
            let key = |c: &Carried| c.origin.as_ref().map(|o| (o.date, o.entry.clone()));
            key(a).cmp(&key(b))
        });
    }
    let mut carried: Vec<Carried> = by_key.into_values().flatten().collect();
    if !result.is_zero() {
        let account = if result.is_negative() {
            LOSS_ACCOUNT
        } else {
            PROFIT_ACCOUNT
        };
        let account = AccountNumber::parse(account).map_err(|err| LedgerError::Invalid {
            field: "account",
            reason: err.to_string(),
        })?;
        let amount = Amount::ZERO
            .checked_sub(result)
            .ok_or_else(|| overflow("the result of the year"))?;
        carried.push(Carried {
            line: signed_line(account, amount)?.with_label(format!("Résultat {}", year.name())),
            origin: None,
            regroup: None,
        });
    }
    if carried.len() < 2 {
        return Ok(Opening::default());
    }
    if carried.len() > MAX_LINES_PER_ENTRY {
        return Err(too_many_lines(carried.len().to_string()));
    }
    let journal = tx
        .all_journals()?
        .into_iter()
        .find(|j| j.kind == JournalKind::Opening && j.active)
        .ok_or_else(|| LedgerError::Invalid {
            field: "journal",
            reason: "no active opening journal (kind `opening`) to post the opening entry".into(),
        })?;
    let input = EntryInput {
        journal: journal.code,
        date: next_year.start,
        piece: format!("AN{}", next_year.name()),
        label: format!("À-nouveaux de l'exercice {}", year.name()),
        lines: carried.iter().map(|c| c.line.clone()).collect(),
    };
    tx.check_input(&input)?;
    let mut entry = new_entry(tx, ctx, input, None)?;
    tx.number_entry(&mut entry, ctx.today)?;
    tx.insert_entry(&entry)?;
    let moved_groups = record_origins(tx, &entry, &carried, &mut books)?;
    Ok(Opening {
        entry: Some(entry),
        carried_items: carried.iter().filter(|c| c.origin.is_some()).count(),
        moved_groups,
    })
}

/// The opening entry posted, with what it carried.
#[derive(Default)]
struct Opening {
    entry: Option<Entry>,
    carried_items: usize,
    moved_groups: Vec<String>,
}

/// Writes the origin of each carried line, and moves the groups reaching past the closed year
/// onto their carried line: the year's lines keep their marks (the closed year's FEC is
/// frozen), the group goes on in the new year with the carried line in their place.
fn record_origins(
    tx: &mut Tx<'_>,
    entry: &Entry,
    carried: &[Carried],
    books: &mut BTreeMap<AccountNumber, AccountLettering>,
) -> Result<Vec<String>> {
    if entry.lines.len() != carried.len() {
        return Err(LedgerError::Corrupt(format!(
            "the opening entry {} has {} lines for {} carried",
            entry.reference(),
            entry.lines.len(),
            carried.len()
        )));
    }
    let mut origins = tx.txn.open_table(CARRIED_ORIGINS)?;
    let mut regroups = Vec::new();
    for (no, (line, carried)) in entry.lines.iter().zip(carried).enumerate() {
        if *line != carried.line {
            return Err(LedgerError::Corrupt(format!(
                "line {} of the opening entry {} is not the line carried",
                no.saturating_add(1),
                entry.reference()
            )));
        }
        let no = u32::try_from(no).map_err(|_| overflow("a line number"))?;
        if let Some(origin) = &carried.origin {
            origins.insert((entry.id, no), encode(origin)?.as_slice())?;
        }
        if let Some(regroup) = &carried.regroup {
            regroups.push((regroup.clone(), no, line.debit, line.credit));
        }
    }
    drop(origins);
    let mut moved = Vec::new();
    for ((account, seq, replaced), no, debit, credit) in regroups {
        let Some(book) = books.get_mut(&account) else {
            continue;
        };
        let next = book.next;
        let Some(group) = book.groups.get_mut(&seq) else {
            continue;
        };
        group.lines.retain(|l| !replaced.contains(&l.at));
        group.lines.push(GroupLine {
            at: LineRef {
                entry: entry.id,
                line: no,
            },
            debit,
            credit,
        });
        let group = group.clone();
        store_group(tx, &group, next)?;
        moved.push(format!("{} on {account}", group.code()));
    }
    Ok(moved)
}

fn signed_line(account: AccountNumber, amount: Amount) -> Result<Line> {
    if amount.is_negative() {
        let credit = Amount::ZERO
            .checked_sub(amount)
            .ok_or_else(|| overflow("a balance carried forward"))?;
        Ok(Line::credit(account, credit))
    } else {
        Ok(Line::debit(account, amount))
    }
}

/// The opening entry would not fit in one entry (`count`: `10001`, or `more than 10000` when
/// closing stopped counting).
fn too_many_lines(count: String) -> LedgerError {
    LedgerError::Invalid {
        field: "year",
        reason: format!(
            "the opening entry would have {count} lines (one per open item of the letterable \
             accounts), more than the {MAX_LINES_PER_ENTRY} an entry holds: letter the settled \
             items first"
        ),
    }
}

fn overflow(what: &str) -> LedgerError {
    LedgerError::AmountOverflow {
        what: what.to_string(),
    }
}
