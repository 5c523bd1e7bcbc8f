//! The balances the financial statements are made of, from the running totals kept per
//! account and month (never a scan of lines), and the statements themselves.

use chrono::NaiveDate;

use super::Ledger;
use super::error::{LedgerError, Result};
use super::queries::{BalanceRow, carry_start};
use crate::model::{Amount, FiscalYear};
use crate::reports::statements::{
    AccountBalance, Mapping, Statement, StatementKind, YearBooks, build,
};

impl Ledger {
    /// Per-account figures of a fiscal year: balances at its end (brought forward) outside
    /// classes 6 and 7, the year's movements of classes 6 and 7, and the result of earlier
    /// years still open. Drafts are in unless `validated_only`.
    pub fn statement_books(&self, year: &FiscalYear, validated_only: bool) -> Result<YearBooks> {
        let since = carry_start(&self.years()?, year.end);
        let rows = |from: NaiveDate, to: NaiveDate| -> Result<Vec<BalanceRow>> {
            if validated_only {
                self.trial_balance_validated(from, to)
            } else {
                self.trial_balance(from, to)
            }
        };
        let carried = rows(since, year.end)?;
        let within = if since < year.start {
            rows(year.start, year.end)?
        } else {
            Vec::new()
        };
        let balance = |r: &BalanceRow| -> Result<Amount> {
            r.debit
                .checked_sub(r.credit)
                .ok_or_else(|| LedgerError::AmountOverflow {
                    what: format!("the balance of {}", r.account),
                })
        };
        let mut books = YearBooks {
            year: year.name(),
            ..YearBooks::default()
        };
        let mut income_all = Amount::ZERO;
        for row in &carried {
            let entry = AccountBalance {
                account: row.account.clone(),
                label: row.label.clone(),
                balance: balance(row)?,
            };
            if row.account.is_income_statement() {
                income_all = add(income_all, entry.balance)?;
                if since >= year.start {
                    books.income.push(entry);
                }
            } else {
                books.balance_sheet.push(entry);
            }
        }
        let mut income_year = Amount::ZERO;
        for row in within.iter().filter(|r| r.account.is_income_statement()) {
            let entry = AccountBalance {
                account: row.account.clone(),
                label: row.label.clone(),
                balance: balance(row)?,
            };
            income_year = add(income_year, entry.balance)?;
            books.income.push(entry);
        }
        if since < year.start {
            // Classes 6 and 7 before the year: earlier results not carried yet (credit less
            // debit).
            books.earlier_result = income_year.checked_sub(income_all).ok_or_else(overflow)?;
        }
        Ok(books)
    }

    /// The balance sheet or income statement of `year`, with the fiscal year before it beside
    /// it when the ledger has one.
    pub fn financial_statement(
        &self,
        kind: StatementKind,
        year: &FiscalYear,
        mapping: &Mapping,
        validated_only: bool,
        abridged: bool,
    ) -> Result<Statement> {
        let years = self.years()?;
        let now = self.statement_books(year, validated_only)?;
        let previous = years
            .iter()
            .filter(|y| y.end < year.start)
            .max_by_key(|y| y.end)
            .map(|y| self.statement_books(y, validated_only))
            .transpose()?;
        build(mapping, kind, &now, previous.as_ref(), abridged).map_err(|e| {
            LedgerError::AmountOverflow {
                what: e.0.to_string(),
            }
        })
    }
}

fn overflow() -> LedgerError {
    LedgerError::AmountOverflow {
        what: "the result of the year".into(),
    }
}

fn add(a: Amount, b: Amount) -> Result<Amount> {
    a.checked_add(b).ok_or_else(overflow)
}
