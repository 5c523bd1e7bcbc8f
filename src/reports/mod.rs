//! Reports computed from ledger data: pure functions, no storage.

pub mod aged;
pub mod statements;

use serde::Serialize;

use crate::model::{AccountNumber, Amount};

/// One account's movements over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceRow {
    pub account: AccountNumber,
    pub label: String,
    pub debit: Amount,
    pub credit: Amount,
}

impl BalanceRow {
    /// Debit minus credit.
    pub fn balance(&self) -> Amount {
        self.debit - self.credit
    }
}

/// Totals of one PCG class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassTotal {
    pub class: u8,
    pub debit: Amount,
    pub credit: Amount,
}

impl ClassTotal {
    pub fn balance(&self) -> Amount {
        self.debit - self.credit
    }
}

/// A trial balance: accounts in number order, subtotals per class, grand total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrialBalance {
    pub rows: Vec<BalanceRow>,
    pub classes: Vec<ClassTotal>,
    pub debit: Amount,
    pub credit: Amount,
}

impl TrialBalance {
    pub fn build(mut rows: Vec<BalanceRow>) -> Self {
        rows.sort_by(|a, b| a.account.cmp(&b.account));
        let mut classes: Vec<ClassTotal> = Vec::new();
        for row in &rows {
            let class = row.account.class();
            match classes.last_mut() {
                Some(total) if total.class == class => {
                    total.debit += row.debit;
                    total.credit += row.credit;
                }
                _ => classes.push(ClassTotal {
                    class,
                    debit: row.debit,
                    credit: row.credit,
                }),
            }
        }
        let debit = rows.iter().map(|r| r.debit).sum();
        let credit = rows.iter().map(|r| r.credit).sum();
        TrialBalance {
            rows,
            classes,
            debit,
            credit,
        }
    }

    /// A ledger in balance has equal debit and credit totals.
    pub fn is_balanced(&self) -> bool {
        self.debit == self.credit
    }
}

/// French labels of the PCG classes.
pub fn class_label(class: u8) -> &'static str {
    match class {
        1 => "Comptes de capitaux",
        2 => "Comptes d'immobilisations",
        3 => "Comptes de stocks et en-cours",
        4 => "Comptes de tiers",
        5 => "Comptes financiers",
        6 => "Comptes de charges",
        7 => "Comptes de produits",
        8 => "Comptes spéciaux",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: &str, d: i64, c: i64) -> BalanceRow {
        BalanceRow {
            account: AccountNumber::parse(n).unwrap(),
            label: String::new(),
            debit: Amount::from_cents(d),
            credit: Amount::from_cents(c),
        }
    }

    #[test]
    fn subtotals_by_class_in_account_order() {
        let tb = TrialBalance::build(vec![
            row("706", 0, 1000),
            row("411", 1200, 0),
            row("44571", 0, 200),
            row("512", 500, 0),
            row("606", 0, 0),
        ]);
        let classes: Vec<(u8, i64)> = tb
            .classes
            .iter()
            .map(|c| (c.class, c.balance().cents()))
            .collect();
        assert_eq!(classes, vec![(4, 1000), (5, 500), (6, 0), (7, -1000)]);
        assert_eq!(tb.rows[0].account.as_str(), "411000");
        assert_eq!(tb.debit.cents(), 1700);
        assert!(!tb.is_balanced());
    }
}
