//! Closing a fiscal year: the result goes to 120 or 129, balance-sheet balances open the next
//! year in the opening journal, and the year accepts nothing afterwards.

use std::collections::BTreeMap;

use redb::ReadableTable;

use super::commands::{add_next_year, new_entry};
use super::error::{LedgerError, Result};
use super::store::{Tx, day};
use super::{Ctx, Ledger};
use crate::model::calendar::YearStatus;
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
            let (balances, result) = closing_balances(tx, &year)?;
            let opening_entry = post_opening_entry(tx, ctx, &year, &next_year, balances, result)?;
            if !commit {
                preview = Some(Closing {
                    year,
                    next_year,
                    result,
                    opening_entry,
                });
                // Dropping the transaction writes nothing.
                return Err(LedgerError::Cancelled);
            }
            year.status = YearStatus::Closed;
            tx.put_year(&year)?;
            // The year's FEC as it stands at closing, kept with its hash: later renamings of
            // accounts, journals or parties do not change what was closed.
            let fec = super::export::store_closing_fec(tx, &year)?;
            let mut records = vec![format!("year:{}", year.name())];
            if let Some(entry) = &opening_entry {
                records.push(format!("entry:{}", entry.id));
            }
            tx.audit(
                ctx,
                "year.close",
                records,
                format!(
                    "closed fiscal year {} with a {} of {}; opening entry {}; FEC {} stored \
                     ({} lines, SHA-256 {})",
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

/// Balances of the year per account (and third party where lines name one), and the result.
fn closing_balances(tx: &mut Tx<'_>, year: &FiscalYear) -> Result<(Balances, Amount)> {
    let (from, to) = (day(year.start), day(year.end));
    let mut balances = Balances::new();
    let mut result = Amount::ZERO;
    for item in tx.entries_by_date.range((from, 0u64)..=(to, u64::MAX))? {
        let id = item?.0.value().1;
        let entry = tx.entry(id)?;
        for line in &entry.lines {
            if line.account.is_income_statement() {
                result = result
                    .checked_sub(line.signed())
                    .ok_or_else(|| overflow("the result of the year"))?;
            } else {
                let balance = balances
                    .entry((line.account.clone(), line.third_party.clone()))
                    .or_default();
                *balance = balance
                    .checked_add(line.signed())
                    .ok_or_else(|| overflow("a balance carried forward"))?;
            }
        }
    }
    balances.retain(|_, amount| !amount.is_zero());
    Ok((balances, result))
}

fn post_opening_entry(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    year: &FiscalYear,
    next_year: &FiscalYear,
    balances: Balances,
    result: Amount,
) -> Result<Option<Entry>> {
    let mut lines: Vec<Line> = balances
        .into_iter()
        .map(|((account, party), amount)| {
            signed_line(account, amount).map(|line| line.with_party(party))
        })
        .collect::<Result<_>>()?;
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
        let carried = Amount::ZERO
            .checked_sub(result)
            .ok_or_else(|| overflow("the result of the year"))?;
        lines.push(signed_line(account, carried)?.with_label(format!("Résultat {}", year.name())));
    }
    if lines.len() < 2 {
        return Ok(None);
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
        lines,
    };
    tx.check_input(&input)?;
    let mut entry = new_entry(tx, ctx, input, None)?;
    tx.number_entry(&mut entry, ctx.today)?;
    tx.insert_entry(&entry)?;
    Ok(Some(entry))
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

fn overflow(what: &str) -> LedgerError {
    LedgerError::AmountOverflow {
        what: what.to_string(),
    }
}
