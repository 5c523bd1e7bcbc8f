//! Storage of letter groups. The rules live in `crate::lettering`; this module reads the lines
//! a command names, applies the rules inside one write transaction and keeps three tables in
//! step: the groups per (account, code position), the per-account code counter and the
//! per-line marks of `LETTERING` (what the FEC export and the ledger views read).
//!
//! Open items are not indexed: they are the lines of an account's index minus the lines of its
//! complete groups, computed when asked.

use redb::{ReadableTable, TableDefinition};

use super::codec::{decode, encode};
use super::error::{LedgerError, Result};
use super::queries::LetterMark;
use super::store::Tx;
use super::tables::Bytes;
use super::{Ctx, Ledger};
use crate::lettering::{AccountLettering, Candidate, Group, LetterError, LineRef, parse_code};
use crate::model::AccountNumber;

/// Letter groups by (account, position of the code in the account's sequence).
pub const LETTER_GROUPS: TableDefinition<(&str, u64), Bytes> =
    TableDefinition::new("letter_groups");
/// Codes given so far per account (the next code's position); never goes down.
pub const LETTER_COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("letter_counters");

/// The stored lettering of one account.
fn load_account(tx: &Tx<'_>, account: &AccountNumber) -> Result<AccountLettering> {
    let groups = tx.txn.open_table(LETTER_GROUPS)?;
    let counters = tx.txn.open_table(LETTER_COUNTERS)?;
    let key = account.as_str();
    let mut book = AccountLettering {
        next: counters.get(key)?.map(|v| v.value()).unwrap_or(0),
        ..AccountLettering::default()
    };
    for item in groups.range((key, 0u64)..=(key, u64::MAX))? {
        let (k, v) = item?;
        book.groups
            .insert(k.value().1, decode(v.value(), "letter group")?);
    }
    Ok(book)
}

fn store_group(tx: &mut Tx<'_>, group: &Group, next: u64) -> Result<()> {
    let mut groups = tx.txn.open_table(LETTER_GROUPS)?;
    let mut counters = tx.txn.open_table(LETTER_COUNTERS)?;
    let key = group.account.as_str();
    groups.insert((key, group.seq), encode(group)?.as_slice())?;
    counters.insert(key, next)?;
    let mark = LetterMark {
        code: group.code(),
        date: group.date,
    };
    let bytes = encode(&mark)?;
    for line in &group.lines {
        tx.lettering
            .insert((line.at.entry, line.at.line), bytes.as_slice())?;
    }
    Ok(())
}

fn line_name(reference: &str, at: LineRef) -> String {
    format!("{reference}/{}", at.line + 1)
}

fn invalid(reason: String) -> LedgerError {
    LedgerError::Invalid {
        field: "lettering",
        reason,
    }
}

fn letter_error(err: LetterError) -> LedgerError {
    invalid(err.to_string())
}

impl Ledger {
    /// Letters the named lines together. When some of them already belong to one partial
    /// group of their account, the others join that group; otherwise a new group takes the
    /// account's next code. The lettering date is the working date.
    pub fn letter(&self, ctx: &Ctx, lines: &[LineRef]) -> Result<Group> {
        self.write(ctx, |tx| {
            let mut candidates = Vec::new();
            let mut names = Vec::new();
            for at in lines {
                let entry = tx.entry(at.entry)?;
                let name = line_name(&entry.reference(), *at);
                let line = entry.lines.get(at.line as usize).ok_or_else(|| {
                    invalid(format!(
                        "entry {} has no line {}",
                        entry.reference(),
                        at.line + 1
                    ))
                })?;
                if let Some(year) = tx.year_of(entry.date)
                    && !year.is_open()
                {
                    return Err(LedgerError::YearClosed(year.name()));
                }
                let letterable = tx.account_ref(&line.account)?.letterable;
                let lettered = match tx.lettering.get((at.entry, at.line))? {
                    Some(bytes) => Some(decode::<LetterMark>(bytes.value(), "lettering mark")?),
                    None => None,
                };
                names.push(name.clone());
                candidates.push(Candidate {
                    at: *at,
                    name,
                    account: line.account.clone(),
                    letterable,
                    party: line.third_party.clone(),
                    validated: entry.is_validated(),
                    debit: line.debit,
                    credit: line.credit,
                    lettered: lettered.map(|m| m.code),
                });
            }
            let Some(first) = candidates.first() else {
                return Err(letter_error(LetterError::TooFewLines));
            };
            let account = first.account.clone();
            let mut book = load_account(tx, &account)?;
            // A line lettered already: into its group when that group is partial and on this
            // account, else refused naming who lettered it.
            let mut target: Option<u64> = None;
            for c in &candidates {
                let Some(code) = &c.lettered else { continue };
                let group = book.group_of(c.at).filter(|g| g.account == c.account);
                match group {
                    Some(g) if !g.is_complete() && target.is_none_or(|t| t == g.seq) => {
                        target = Some(g.seq);
                    }
                    Some(g) => {
                        return Err(invalid(format!(
                            "line {} is already lettered ({}) by {} on {}",
                            c.name,
                            g.code(),
                            g.user,
                            g.date
                        )));
                    }
                    None => {
                        return Err(letter_error(LetterError::AlreadyLettered {
                            name: c.name.clone(),
                            code: code.clone(),
                        }));
                    }
                }
            }
            let group = match target {
                Some(seq) => {
                    let fresh: Vec<Candidate> = candidates
                        .iter()
                        .filter(|c| c.lettered.is_none())
                        .cloned()
                        .collect();
                    if fresh.is_empty() {
                        return Err(letter_error(LetterError::TooFewLines));
                    }
                    book.extend(seq, &fresh, ctx.today, &ctx.user)
                        .map_err(letter_error)?
                        .clone()
                }
                None => book
                    .letter(&candidates, ctx.today, &ctx.user)
                    .map_err(letter_error)?
                    .clone(),
            };
            store_group(tx, &group, book.next)?;
            let mut records: Vec<String> = lines
                .iter()
                .map(|at| format!("entry:{}", at.entry))
                .collect();
            records.dedup();
            records.push(format!("account:{account}"));
            tx.audit(
                ctx,
                "letter.add",
                records,
                format!(
                    "lettered {} on {account} ({}): {} (group remainder {})",
                    group.code(),
                    group.party,
                    names.join(", "),
                    group.remainder().to_plain()
                ),
            )?;
            Ok(group)
        })
    }

    /// Removes a letter group (by its code in either case); its lines become open again. The
    /// code is not given again on the account. Refused when a line is in a closed year.
    pub fn unletter(&self, ctx: &Ctx, account: &AccountNumber, code: &str) -> Result<Group> {
        let (seq, _) = parse_code(code).map_err(letter_error)?;
        self.write(ctx, |tx| {
            let mut book = load_account(tx, account)?;
            let group = book
                .unletter(seq)
                .map_err(|_| invalid(format!("account {account} has no letter group {code}")))?;
            let mut names = Vec::new();
            for line in &group.lines {
                let entry = tx.entry(line.at.entry)?;
                if let Some(year) = tx.year_of(entry.date)
                    && !year.is_open()
                {
                    return Err(LedgerError::YearClosed(year.name()));
                }
                names.push(line_name(&entry.reference(), line.at));
                tx.lettering.remove((line.at.entry, line.at.line))?;
            }
            tx.txn
                .open_table(LETTER_GROUPS)?
                .remove((account.as_str(), seq))?;
            let mut records: Vec<String> = group
                .lines
                .iter()
                .map(|l| format!("entry:{}", l.at.entry))
                .collect();
            records.dedup();
            records.push(format!("account:{account}"));
            tx.audit(
                ctx,
                "letter.remove",
                records,
                format!(
                    "unlettered {} on {account} ({}): {}",
                    group.code(),
                    group.party,
                    names.join(", ")
                ),
            )?;
            Ok(group)
        })
    }

    /// The group a line belongs to, if any.
    pub fn group_of_line(&self, at: LineRef) -> Result<Option<Group>> {
        Ok(self
            .letter_groups(None)?
            .into_iter()
            .find(|g| g.contains(at)))
    }

    /// Stored letter groups, of one account or all, by account then code.
    pub fn letter_groups(&self, account: Option<&AccountNumber>) -> Result<Vec<Group>> {
        let view = self.read()?;
        let Some(table) = view.table_if_exists(LETTER_GROUPS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in table.range::<(&str, u64)>(..)? {
            let (key, value) = item?;
            if account.is_some_and(|a| a.as_str() != key.value().0) {
                continue;
            }
            out.push(decode(value.value(), "letter group")?);
        }
        Ok(out)
    }

    /// Codes given so far on each account.
    pub fn letter_counters(&self) -> Result<Vec<(String, u64)>> {
        let view = self.read()?;
        let Some(table) = view.table_if_exists(LETTER_COUNTERS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in table.range::<&str>(..)? {
            let (key, value) = item?;
            out.push((key.value().to_string(), value.value()));
        }
        Ok(out)
    }
}
