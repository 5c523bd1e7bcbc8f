//! Figures from validated entries only (`--validated-only`, the "validated only" toggle).
//!
//! Running totals include drafts. Drafts are few and listed in their own index (`DRAFTS`), so a
//! validated-only figure is the running figure less the drafts' lines: nothing else is scanned.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::Ledger;
use super::error::{LedgerError, Result};
use super::queries::{
    BalanceRow, LedgerPage, LineIndex, RowBuilder, TotalsTable, balance_before, carry_start,
};
use super::store::{View, day};
use super::tables::*;
use crate::model::{AccountNumber, Amount, Entry, EntryId};

/// Whose lines a validated-only ledger keeps.
#[derive(Clone, Copy)]
enum Whose<'a> {
    Account(&'a str),
    Party(&'a str),
}

impl Whose<'_> {
    fn key(&self) -> &str {
        match self {
            Whose::Account(key) | Whose::Party(key) => key,
        }
    }

    fn tables(&self) -> (LineIndex, TotalsTable) {
        match self {
            Whose::Account(_) => (LINES_BY_ACCOUNT, TOTALS),
            Whose::Party(_) => (LINES_BY_PARTY, PARTY_TOTALS),
        }
    }

    /// Debit less credit of the entry's lines on this account or party.
    fn signed_cents(&self, entry: &Entry) -> i64 {
        entry
            .lines
            .iter()
            .filter(|l| match self {
                Whose::Account(a) => l.account.as_str() == *a,
                Whose::Party(p) => l.third_party.as_deref() == Some(*p),
            })
            .map(|l| l.debit.cents() - l.credit.cents())
            .sum()
    }
}

/// Every draft, decoded (drafts are few: they are validated or deleted as the work goes).
fn drafts(view: &View) -> Result<Vec<Entry>> {
    let ids = view.table(DRAFTS)?;
    let mut out = Vec::new();
    for item in ids.range::<u64>(..)? {
        let id = item?.0.value();
        let entry = view.entry_opt(id)?.ok_or_else(|| {
            LedgerError::Corrupt(format!("the draft index names missing entry #{id}"))
        })?;
        out.push(entry);
    }
    Ok(out)
}

fn within(date: NaiveDate, from: NaiveDate, to: NaiveDate) -> bool {
    from <= date && date <= to
}

impl Ledger {
    /// The trial balance of validated entries only: `trial_balance` less the drafts' lines.
    pub fn trial_balance_validated(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<BalanceRow>> {
        let mut rows = self.trial_balance(from, to)?;
        let view = self.read()?;
        let mut less: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        let drafts = drafts(&view)?;
        for entry in drafts.iter().filter(|e| within(e.date, from, to)) {
            for line in &entry.lines {
                let slot = less.entry(line.account.as_str()).or_default();
                slot.0 += line.debit.cents();
                slot.1 += line.credit.cents();
            }
        }
        for row in &mut rows {
            if let Some((debit, credit)) = less.get(row.account.as_str()) {
                row.debit = Amount::from_cents(row.debit.cents() - debit);
                row.credit = Amount::from_cents(row.credit.cents() - credit);
            }
        }
        rows.retain(|r| !(r.debit.is_zero() && r.credit.is_zero()));
        Ok(rows)
    }

    /// Balances brought forward to `to`, validated entries only (see `balances_at`).
    pub fn balances_at_validated(&self, to: NaiveDate) -> Result<Vec<BalanceRow>> {
        let since = carry_start(&self.years()?, to);
        self.trial_balance_validated(since, to)
    }

    /// A page of an account's ledger without the drafts' lines; the balances are those of
    /// validated entries.
    pub fn account_ledger_validated(
        &self,
        account: &AccountNumber,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        offset: usize,
        limit: usize,
    ) -> Result<LedgerPage> {
        validated_page(
            &self.read()?,
            Whose::Account(account.as_str()),
            from,
            to,
            offset,
            limit,
        )
    }

    /// A page of a third party's ledger without the drafts' lines.
    pub fn party_ledger_validated(
        &self,
        party: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        offset: usize,
        limit: usize,
    ) -> Result<LedgerPage> {
        validated_page(&self.read()?, Whose::Party(party), from, to, offset, limit)
    }
}

fn validated_page(
    view: &View,
    whose: Whose,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    offset: usize,
    limit: usize,
) -> Result<LedgerPage> {
    let (index, totals) = whose.tables();
    let key = whose.key();
    let drafts = drafts(view)?;
    let skip: BTreeSet<EntryId> = drafts.iter().map(|e| e.id).collect();
    let opening_balance = match from {
        Some(from) => {
            let since = carry_start(&view.years()?, from);
            let with_drafts = balance_before(view, index, totals, key, from)?.cents();
            let drafted: i64 = drafts
                .iter()
                .filter(|e| e.date >= since && e.date < from)
                .map(|e| whose.signed_cents(e))
                .sum();
            Amount::from_cents(with_drafts - drafted)
        }
        None => Amount::ZERO,
    };
    let lines = view.table(index)?;
    let from_day = from.map(day).unwrap_or(i32::MIN);
    let to_day = to.map(day).unwrap_or(i32::MAX);
    let range = lines.range((key, from_day, 0u64, 0u32)..=(key, to_day, u64::MAX, u32::MAX))?;
    let mut kept = range.filter(|item| match item {
        Ok((k, _)) => !skip.contains(&k.value().2),
        Err(_) => true,
    });
    let mut balance = opening_balance.cents();
    for item in kept.by_ref().take(offset) {
        balance += item?.1.value();
    }
    let mut builder = RowBuilder::new(view)?;
    let mut rows = Vec::new();
    for item in kept.by_ref().take(limit) {
        let (k, v) = item?;
        let (_, date, entry_id, line_no) = k.value();
        balance += v.value();
        rows.push(builder.row(date, entry_id, line_no, Amount::from_cents(balance))?);
    }
    let has_more = kept.next().is_some();
    Ok(LedgerPage {
        opening_balance,
        rows,
        has_more,
    })
}
