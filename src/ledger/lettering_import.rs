//! Lettering read from an imported FEC. A file's group (its lines sharing one `EcritureLet` on
//! one account) that satisfies Folio's rules becomes a real letter group; any other keeps its
//! code as an imported mark on each line, exported as it came and open to re-lettering.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use redb::ReadableTable;

use super::Ctx;
use super::codec::encode;
use super::error::Result;
use super::lettering::{LETTER_COUNTERS, LETTER_GROUPS, store_group};
use super::queries::LetterMark;
use super::store::Tx;
use crate::lettering::{Group, GroupLine, LineRef, balance, parse_code};
use crate::model::{AccountNumber, Amount};

/// Lines whose mark is a code kept from an imported FEC (no letter group), as written.
pub const FEC_MARKS: redb::TableDefinition<(u64, u32), ()> =
    redb::TableDefinition::new("fec_imported_marks");

/// The line's mark was kept from an imported FEC (it may have been re-lettered since).
pub(super) fn is_imported_mark(tx: &Tx<'_>, at: LineRef) -> Result<bool> {
    let table = tx.txn.open_table(FEC_MARKS)?;
    Ok(table.get((at.entry, at.line))?.is_some())
}

/// One lettered line of the file.
#[derive(Debug, Clone)]
pub(crate) struct ImportedLetterLine {
    pub at: LineRef,
    pub party: Option<String>,
    pub debit: Amount,
    pub credit: Amount,
    pub date: NaiveDate,
    /// The file gave this date (DateLet); otherwise it was filled in.
    pub explicit: bool,
}

/// What became of the file's lettering.
#[derive(Debug, Clone, Default)]
pub(crate) struct LetteringOutcome {
    pub groups: u64,
    pub grouped_lines: u64,
    pub marked_lines: u64,
    /// (account, code, lines, why it is not a letter group), for the summary.
    pub marks: Vec<(String, String, u64, &'static str)>,
}

/// Why a file's group cannot be a letter group, if it cannot.
fn refusal(
    letterable: bool,
    code: &str,
    lines: &[ImportedLetterLine],
    taken: &BTreeSet<u64>,
) -> std::result::Result<u64, &'static str> {
    if !letterable {
        return Err("the account is not letterable");
    }
    let Ok((seq, upper)) = parse_code(code) else {
        return Err("not a Folio code (two or more letters, one case)");
    };
    if lines.len() < 2 {
        return Err("a single line");
    }
    let party = lines[0].party.as_ref();
    if party.is_none() || lines.iter().any(|l| l.party.as_ref() != party) {
        return Err("lines of several third parties or without one");
    }
    let mut explicit = lines.iter().filter(|l| l.explicit).map(|l| l.date);
    if let Some(date) = explicit.next()
        && explicit.any(|d| d != date)
    {
        return Err("lines lettered on different dates");
    }
    let group_lines: Vec<GroupLine> = lines
        .iter()
        .map(|l| GroupLine {
            at: l.at,
            debit: l.debit,
            credit: l.credit,
        })
        .collect();
    let balanced = balance(&group_lines).is_ok_and(|b| b.is_zero());
    if upper && !balanced {
        return Err("uppercase but not balanced");
    }
    if !upper && balanced {
        return Err("lowercase but balanced");
    }
    if taken.contains(&seq) {
        return Err("the code is already used on this account");
    }
    Ok(seq)
}

/// Stores the file's lettering: groups where the rules allow, marks elsewhere. Each account's
/// code counter moves past every code read (groups and marks alike), so that Folio never gives
/// one of them again.
pub(crate) fn store_imported_lettering(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    letters: BTreeMap<(AccountNumber, String), Vec<ImportedLetterLine>>,
) -> Result<LetteringOutcome> {
    let mut outcome = LetteringOutcome::default();
    let mut by_account: BTreeMap<AccountNumber, Vec<(String, Vec<ImportedLetterLine>)>> =
        BTreeMap::new();
    for ((account, code), lines) in letters {
        by_account.entry(account).or_default().push((code, lines));
    }
    for (account, groups) in by_account {
        let letterable = tx.account_ref(&account)?.letterable;
        let key = account.as_str();
        let mut taken = BTreeSet::new();
        let mut next = 0u64;
        {
            let table = tx.txn.open_table(LETTER_GROUPS)?;
            for item in table.range((key, 0u64)..=(key, u64::MAX))? {
                taken.insert(item?.0.value().1);
            }
            if let Some(counter) = tx.txn.open_table(LETTER_COUNTERS)?.get(key)? {
                next = counter.value();
            }
        }
        for (code, _) in &groups {
            if let Ok((seq, _)) = parse_code(code) {
                next = next.max(seq.saturating_add(1));
            }
        }
        for (code, lines) in groups {
            match refusal(letterable, &code, &lines, &taken) {
                Ok(seq) => {
                    taken.insert(seq);
                    // The file's DateLet; where it was blank on every line, the latest of the
                    // dates filled in.
                    let date = lines
                        .iter()
                        .find(|l| l.explicit)
                        .or_else(|| lines.iter().max_by_key(|l| l.date))
                        .map_or(ctx.today, |l| l.date);
                    let group = Group {
                        account: account.clone(),
                        party: lines[0].party.clone().unwrap_or_default(),
                        seq,
                        lines: lines
                            .iter()
                            .map(|l| GroupLine {
                                at: l.at,
                                debit: l.debit,
                                credit: l.credit,
                            })
                            .collect(),
                        date,
                        user: ctx.user.clone(),
                    };
                    // Marks its lines and takes them out of the open items (or keeps them
                    // open with their partial group's code).
                    store_group(tx, &group, next)?;
                    outcome.groups = outcome.groups.saturating_add(1);
                    outcome.grouped_lines =
                        outcome.grouped_lines.saturating_add(lines.len() as u64);
                }
                Err(why) => {
                    let mut imported = tx.txn.open_table(FEC_MARKS)?;
                    for line in &lines {
                        imported.insert((line.at.entry, line.at.line), ())?;
                        let mark = encode(&LetterMark {
                            code: code.clone(),
                            date: line.date,
                        })?;
                        tx.lettering
                            .insert((line.at.entry, line.at.line), mark.as_slice())?;
                    }
                    outcome.marked_lines = outcome.marked_lines.saturating_add(lines.len() as u64);
                    outcome
                        .marks
                        .push((account.to_string(), code, lines.len() as u64, why));
                }
            }
        }
        tx.txn.open_table(LETTER_COUNTERS)?.insert(key, next)?;
    }
    Ok(outcome)
}

/// `folio check`'s information on imported marks: per account and code, the lines that keep a
/// FEC's code without being a letter group. Not a finding: such marks are the file's history.
pub(super) fn imported_marks(view: &super::store::View) -> Result<Vec<String>> {
    use super::tables::LETTERING;
    let mut grouped: BTreeSet<LineRef> = BTreeSet::new();
    if let Some(table) = view.table_if_exists(LETTER_GROUPS)? {
        for item in table.range::<(&str, u64)>(..)? {
            let (_, value) = item?;
            let group: Group = super::codec::decode(value.value(), "letter group")?;
            grouped.extend(group.lines.iter().map(|l| l.at));
        }
    }
    let mut marks: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut entry: Option<crate::model::Entry> = None;
    let Some(imported) = view.table_if_exists(FEC_MARKS)? else {
        return Ok(Vec::new());
    };
    let lettering = view.table(LETTERING)?;
    for item in imported.range::<(u64, u32)>(..)? {
        let (key, _) = item?;
        let (id, line) = key.value();
        if grouped.contains(&LineRef { entry: id, line }) {
            continue;
        }
        let Some(value) = lettering.get((id, line))? else {
            continue;
        };
        let mark: LetterMark = super::codec::decode(value.value(), "lettering mark")?;
        if entry.as_ref().is_none_or(|e| e.id != id) {
            entry = view.entry_opt(id)?;
        }
        let account = entry
            .as_ref()
            .and_then(|e| e.lines.get(line as usize))
            .map_or_else(|| "?".to_string(), |l| l.account.to_string());
        let count = marks.entry((account, mark.code)).or_default();
        *count = count.saturating_add(1);
    }
    let total = marks.len();
    let mut notes: Vec<String> = marks
        .into_iter()
        .take(MAX_MARK_NOTES)
        .map(|((account, code), lines)| {
            format!(
                "{account} `{code}` on {lines} lines: a code kept from an imported FEC, not a \
                 letter group (lettering these lines replaces it)"
            )
        })
        .collect();
    if total > MAX_MARK_NOTES {
        notes.push(format!(
            "… and {} more codes kept from an imported FEC",
            total.saturating_sub(MAX_MARK_NOTES)
        ));
    }
    Ok(notes)
}

/// Imported marks listed one by one by `folio check`; the rest are counted.
const MAX_MARK_NOTES: usize = 50;
