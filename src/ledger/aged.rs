//! The aged balance of customers or suppliers at a date, and the open lines of a ledger, read
//! from the open items and the letter groups.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::Ledger;
use super::carried::LineOrigin;
use super::error::{LedgerError, Result, add_cents, sub_cents};
use super::open_items::OpenItem;
use super::queries::{LedgerRow, RowBuilder};
use super::store::day;
use super::views::LedgerOf;
use crate::model::account::AccountKind;
use crate::model::{AccountNumber, Amount};
use crate::reports::aged::{AgedBalance, AgedItem, AgedSide, aged_balance};

fn side_kind(side: AgedSide) -> AccountKind {
    match side {
        AgedSide::Customers => AccountKind::Customer,
        AgedSide::Suppliers => AccountKind::Supplier,
    }
}

fn aged_item(item: OpenItem) -> AgedItem {
    AgedItem {
        entry_id: item.at.entry,
        line_no: item.at.line,
        since: item.original_date(),
        label: LineOrigin::labelled(&item.label, item.origin.as_ref()),
        entry: item.entry,
        journal: item.journal,
        date: item.date,
        piece: item.piece,
        account: item.account,
        party: item.party,
        due: item.due,
        debit: item.debit,
        credit: item.credit,
        group: item.partial,
    }
}

impl Ledger {
    /// The aged balance of customers (letterable 41… accounts) or suppliers (letterable 40…
    /// accounts) at `at`: the lines dated on or before `at` that are open now, and those of
    /// groups completed after `at` (they were still open then). A group removed after `at`
    /// cannot be told from one never made: its lines count as open at `at`.
    pub fn aged_balance(&self, side: AgedSide, at: NaiveDate) -> Result<AgedBalance> {
        let kind = side_kind(side);
        let accounts: BTreeSet<AccountNumber> = self
            .accounts()?
            .into_iter()
            .filter(|a| a.letterable && a.kind == kind)
            .map(|a| a.number)
            .collect();
        let mut items = Vec::new();
        for open in self.open_item_parties(None)? {
            if !accounts.contains(&open.account) {
                continue;
            }
            items.extend(
                self.open_items(&open.account, &open.party)?
                    .into_iter()
                    .map(aged_item),
            );
        }
        items.extend(self.lettered_after(&accounts, at)?);
        let names: BTreeMap<String, String> = self
            .parties()?
            .into_iter()
            .map(|p| (p.code, p.name))
            .collect();
        aged_balance(side, at, items, &names).map_err(|_| LedgerError::AmountOverflow {
            what: format!("the aged balance of {}", side.name()),
        })
    }

    /// Lines of the complete groups lettered after `at`, on `accounts`.
    fn lettered_after(
        &self,
        accounts: &BTreeSet<AccountNumber>,
        at: NaiveDate,
    ) -> Result<Vec<AgedItem>> {
        let mut out = Vec::new();
        let view = self.read()?;
        let mut builder = RowBuilder::new(&view)?;
        for account in accounts {
            for group in self.letter_groups(Some(account))? {
                if group.date <= at || !group.is_complete() {
                    continue;
                }
                let code = group.code();
                for line in &group.lines {
                    // Lines that arose after `at` are left out by the report.
                    let date = self.entry(line.at.entry)?.date;
                    let row = builder.row(day(date), line.at.entry, line.at.line, Amount::ZERO)?;
                    let since = row.origin.as_ref().map_or(row.date, |o| o.date);
                    let label = row.label_with_origin();
                    out.push(AgedItem {
                        entry_id: row.entry_id,
                        line_no: row.line_no,
                        entry: row.reference,
                        journal: row.journal,
                        since,
                        label,
                        date: row.date,
                        piece: row.piece,
                        account: row.account,
                        party: group.party.clone(),
                        due: row.due,
                        debit: row.debit,
                        credit: row.credit,
                        group: Some(code.clone()),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The open items of a letterable account (every party) or of a third party (every
    /// letterable account), dated on or before `to`, in ledger order, with the running balance
    /// of the open items alone.
    pub fn open_lines(&self, of: &LedgerOf, to: Option<NaiveDate>) -> Result<Vec<LedgerRow>> {
        let mut items = Vec::new();
        match of {
            LedgerOf::Account(account) => {
                if !self.account(account)?.letterable {
                    return Err(LedgerError::Invalid {
                        field: "account",
                        reason: format!(
                            "account {account} is not letterable: it has no open items"
                        ),
                    });
                }
                for open in self.open_item_parties(Some(account))? {
                    items.extend(self.open_items(account, &open.party)?);
                }
            }
            LedgerOf::Party(code) => {
                self.party(code)?;
                for open in self.open_item_parties(None)? {
                    if open.party == *code {
                        items.extend(self.open_items(&open.account, code)?);
                    }
                }
            }
        }
        items.retain(|i| to.is_none_or(|to| i.date <= to));
        items.sort_by_key(|i| (i.date, i.at.entry, i.at.line));
        let mut balance = 0i64;
        let mut rows = Vec::with_capacity(items.len());
        for item in items {
            let signed = sub_cents(item.debit.cents(), item.credit.cents(), "open balance")?;
            balance = add_cents(balance, signed, "open balance")?;
            rows.push(LedgerRow {
                date: item.date,
                entry_id: item.at.entry,
                line_no: item.at.line,
                reference: item.entry,
                journal: item.journal,
                piece: item.piece,
                label: item.label,
                account: item.account,
                third_party: Some(item.party),
                debit: item.debit,
                credit: item.credit,
                balance: Amount::from_cents(balance),
                letter: item.mark.or(item.partial),
                validated: true,
                counterparts: Vec::new(),
                due: item.due,
                origin: item.origin,
            });
        }
        Ok(rows)
    }
}
