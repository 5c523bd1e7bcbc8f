//! Figures from validated entries only (`--validated-only`, the "validated only" toggle).
//!
//! Running totals include drafts. Drafts are few and listed in their own index (`DRAFTS`), so a
//! validated-only figure is the running figure less the drafts' lines: nothing else is scanned.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::Ledger;
use super::error::{LedgerError, Result, add_cents, sub_cents};
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
    fn signed_cents(&self, entry: &Entry) -> Result<i64> {
        entry
            .lines
            .iter()
            .filter(|l| match self {
                Whose::Account(a) => l.account.as_str() == *a,
                Whose::Party(p) => l.third_party.as_deref() == Some(*p),
            })
            .try_fold(0i64, |total, l| {
                let signed = sub_cents(l.debit.cents(), l.credit.cents(), "entry line")?;
                add_cents(total, signed, "entry total")
            })
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
                slot.0 = add_cents(slot.0, line.debit.cents(), "draft debits")?;
                slot.1 = add_cents(slot.1, line.credit.cents(), "draft credits")?;
            }
        }
        for row in &mut rows {
            if let Some((debit, credit)) = less.get(row.account.as_str()) {
                row.debit = Amount::from_cents(sub_cents(row.debit.cents(), *debit, "debit")?);
                row.credit = Amount::from_cents(sub_cents(row.credit.cents(), *credit, "credit")?);
            }
        }
        rows.retain(|r| !(r.debit.is_zero() && r.credit.is_zero()));
        Ok(rows)
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
            let drafted = drafts
                .iter()
                .filter(|e| e.date >= since && e.date < from)
                .try_fold(0i64, |total, e| {
                    add_cents(total, whose.signed_cents(e)?, "draft balance")
                })?;
            Amount::from_cents(sub_cents(with_drafts, drafted, "opening balance")?)
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
        balance = add_cents(balance, item?.1.value(), "running balance")?;
    }
    let mut builder = RowBuilder::new(view)?;
    let mut rows = Vec::new();
    for item in kept.by_ref().take(limit) {
        let (k, v) = item?;
        let (_, date, entry_id, line_no) = k.value();
        balance = add_cents(balance, v.value(), "running balance")?;
        rows.push(builder.row(date, entry_id, line_no, Amount::from_cents(balance))?);
    }
    let has_more = kept.next().is_some();
    Ok(LedgerPage {
        opening_balance,
        rows,
        has_more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Ctx, EntryFilter};
    use crate::model::EntryStatus;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Whatever the range (whole months or cut ones), the validated-only trial balance is the
    /// sum of the validated entries' lines, and the ledgers' balances agree with it.
    #[test]
    fn validated_figures_are_the_sums_of_validated_lines() {
        let dir = tempfile::tempdir().unwrap();
        let now = d(2026, 11, 20).and_hms_opt(10, 0, 0).unwrap();
        let ledger = crate::demo::build_demo(&dir.path().join("l"), &Ctx::fixed("t", now)).unwrap();
        let entries = ledger.entries(&EntryFilter::default()).unwrap();
        assert!(entries.iter().any(|e| e.status == EntryStatus::Draft));
        for (from, to) in [
            (d(2026, 1, 1), d(2026, 12, 31)),
            (d(2026, 11, 2), d(2026, 11, 5)),
            (d(2026, 10, 15), d(2026, 11, 9)),
            (d(2026, 11, 1), d(2026, 11, 30)),
        ] {
            let mut expected: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for entry in entries
                .iter()
                .filter(|e| e.status == EntryStatus::Validated && within(e.date, from, to))
            {
                for line in &entry.lines {
                    let slot = expected.entry(line.account.to_string()).or_default();
                    slot.0 += line.debit.cents();
                    slot.1 += line.credit.cents();
                }
            }
            expected.retain(|_, (d, c)| *d != 0 || *c != 0);
            let got: BTreeMap<String, (i64, i64)> = ledger
                .trial_balance_validated(from, to)
                .unwrap()
                .into_iter()
                .map(|r| (r.account.to_string(), (r.debit.cents(), r.credit.cents())))
                .collect();
            assert_eq!(got, expected, "{from} – {to}");
            // The bank's validated ledger over the range moves by the same amount.
            let bank = AccountNumber::parse("512000").unwrap();
            let page = ledger
                .account_ledger_validated(&bank, Some(from), Some(to), 0, usize::MAX)
                .unwrap();
            let moved = page.rows.last().map_or(0, |r| r.balance.cents())
                - if page.rows.is_empty() {
                    0
                } else {
                    page.opening_balance.cents()
                };
            let (debit, credit) = expected.get("512000").copied().unwrap_or_default();
            assert_eq!(moved, debit - credit, "{from} – {to}");
        }
    }
}
