//! Open items of letterable accounts: the validated lines of an account and third party that
//! are not in a complete letter group (lines of a partial group are open, with its code).
//! Lines of a closed year are not open items: closing carried them into the next year.
//!
//! This is the API the lettering workbench, the aged balance and the year close read.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::Ledger;
use super::error::Result;
use super::queries::{LedgerRow, LineOrigin, RowBuilder};
use super::store::{View, day};
use super::tables::LINES_BY_PARTY;
use crate::lettering::LineRef;
use crate::model::{AccountNumber, Amount};

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
    /// For a line carried into an opening entry at a year's close: the date, piece, due
    /// date and entry of the line it stands for (`due` is already the origin's).
    pub origin: Option<LineOrigin>,
}

impl OpenItem {
    /// The date the item arose: its origin's for a carried line, else its own.
    pub fn original_date(&self) -> NaiveDate {
        self.origin.as_ref().map_or(self.date, |o| o.date)
    }

    /// Debit minus credit.
    pub fn signed(&self) -> Amount {
        Amount::from_cents(self.debit.cents().saturating_sub(self.credit.cents()))
    }

    fn of(row: LedgerRow, party: &str) -> OpenItem {
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
            partial: row.letter,
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
}

fn is_open(row: &LedgerRow) -> bool {
    row.validated
        && row
            .letter
            .as_deref()
            .is_none_or(|code| code.chars().all(|c| c.is_ascii_lowercase()))
}

fn party_items(
    view: &View,
    letterable: &BTreeSet<AccountNumber>,
    account: Option<&AccountNumber>,
    party: &str,
    mut each: impl FnMut(OpenItem),
) -> Result<()> {
    let lines = view.table(LINES_BY_PARTY)?;
    let mut builder = RowBuilder::new(view)?;
    // Closing carried a closed year's open items into the next year's opening entry: they
    // are open there, not in the closed year.
    let closed: Vec<(i32, i32)> = view
        .years()?
        .iter()
        .filter(|y| !y.is_open())
        .map(|y| (day(y.start), day(y.end)))
        .collect();
    for item in
        lines.range((party, i32::MIN, 0u64, 0u32)..=(party, i32::MAX, u64::MAX, u32::MAX))?
    {
        let (key, _) = item?;
        let (_, date, entry, line) = key.value();
        if closed
            .iter()
            .any(|(start, end)| (*start..=*end).contains(&date))
        {
            continue;
        }
        let row = builder.row(date, entry, line, Amount::ZERO)?;
        if account.is_some_and(|a| *a != row.account) || !is_open(&row) {
            continue;
        }
        if !letterable.contains(&row.account) {
            continue;
        }
        each(OpenItem::of(row, party));
    }
    Ok(())
}

impl Ledger {
    fn letterable_accounts(&self) -> Result<BTreeSet<AccountNumber>> {
        Ok(self
            .accounts()?
            .into_iter()
            .filter(|a| a.letterable)
            .map(|a| a.number)
            .collect())
    }

    /// The open items of one account and third party, oldest first.
    pub fn open_items(&self, account: &AccountNumber, party: &str) -> Result<Vec<OpenItem>> {
        let letterable = self.letterable_accounts()?;
        let view = self.read()?;
        let mut out = Vec::new();
        party_items(&view, &letterable, Some(account), party, |item| {
            out.push(item)
        })?;
        Ok(out)
    }

    /// Every (account, party) with open items, of one account or of every letterable one, by
    /// account then party.
    pub fn open_item_parties(&self, account: Option<&AccountNumber>) -> Result<Vec<PartyOpen>> {
        let letterable = self.letterable_accounts()?;
        let view = self.read()?;
        let mut out: BTreeMap<(AccountNumber, String), PartyOpen> = BTreeMap::new();
        for party in self.parties()? {
            party_items(&view, &letterable, account, &party.code, |item| {
                let entry = out
                    .entry((item.account.clone(), item.party.clone()))
                    .or_insert_with(|| PartyOpen {
                        account: item.account.clone(),
                        party: item.party.clone(),
                        count: 0,
                        balance: Amount::ZERO,
                        oldest: item.original_date(),
                    });
                entry.count = entry.count.saturating_add(1);
                entry.balance =
                    Amount::from_cents(entry.balance.cents().saturating_add(item.signed().cents()));
                entry.oldest = entry.oldest.min(item.original_date());
            })?;
        }
        Ok(out.into_values().collect())
    }
}
