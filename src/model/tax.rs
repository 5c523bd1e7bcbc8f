//! VAT: tax codes with dated rates, and tax positions that map them for a third party.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::account::AccountNumber;
use super::money::Amount;

/// Collected on sales, deductible on purchases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxKind {
    Collected,
    Deductible,
}

/// When the VAT becomes due: on invoice ("débits") or on payment ("encaissements").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exigibility {
    OnInvoice,
    OnPayment,
}

/// A rate in percent, valid from a date until the next version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateVersion {
    pub from: NaiveDate,
    pub rate: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxCode {
    pub code: String,
    pub label: String,
    pub kind: TaxKind,
    pub exigibility: Exigibility,
    /// Rate versions; a document uses the latest version starting on or before its date.
    pub rates: Vec<RateVersion>,
    /// Where the tax goes once due (44571 collected, 44566 deductible).
    pub account: AccountNumber,
    /// Where it waits until payment, for taxes due on payment (44574, 44564).
    #[serde(default)]
    pub pending_account: Option<AccountNumber>,
    /// Reverse charge: the tax is also due, on this account (4452), and not invoiced.
    #[serde(default)]
    pub reverse_charge_account: Option<AccountNumber>,
    /// CA3 line of the base (`A1`, `B2`, `F2`, `E1`...) and of the tax (`08`, `09`, `9B`, `20`).
    #[serde(default)]
    pub base_box: Option<String>,
    #[serde(default)]
    pub tax_box: Option<String>,
}

impl TaxCode {
    /// The rate valid on `date`, if any version has started by then.
    pub fn rate_on(&self, date: NaiveDate) -> Option<Decimal> {
        self.rates
            .iter()
            .filter(|v| v.from <= date)
            .max_by_key(|v| v.from)
            .map(|v| v.rate)
    }

    /// The account the tax is posted to when the document is recorded.
    pub fn posting_account(&self) -> &AccountNumber {
        match (self.exigibility, &self.pending_account) {
            (Exigibility::OnPayment, Some(pending)) => pending,
            _ => &self.account,
        }
    }
}

/// VAT of a base at a rate (percent), rounded half away from zero to the cent.
pub fn tax_amount(base: Amount, rate: Decimal) -> Amount {
    let raw = base.to_decimal() * rate / Decimal::ONE_HUNDRED;
    let rounded =
        raw.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    Amount::from_decimal(rounded).unwrap_or(Amount::ZERO)
}

/// How a tax position maps one tax: to another code, or to exemption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxMapping {
    pub from: String,
    /// `None`: exempt.
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountMapping {
    pub from: AccountNumber,
    pub to: AccountNumber,
}

/// The fiscal treatment of a third party: France, intra-EU customer or supplier, export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxPosition {
    pub code: String,
    pub label: String,
    #[serde(default)]
    pub taxes: Vec<TaxMapping>,
    #[serde(default)]
    pub accounts: Vec<AccountMapping>,
    /// The CA3 line exempt bases go to (`F2` intra-EU supplies, `E1` exports).
    #[serde(default)]
    pub exempt_base_box: Option<String>,
    /// The legal mention printed on documents (`Autoliquidation`, `Exonération de TVA, article
    /// 262 ter I du CGI`).
    #[serde(default)]
    pub mention: String,
}

impl TaxPosition {
    /// What a tax code becomes under this position: `Some(code)` (maybe the same) or `None`
    /// when exempt.
    pub fn map_tax<'a>(&'a self, code: &'a str) -> Option<&'a str> {
        match self.taxes.iter().find(|m| m.from == code) {
            Some(mapping) => mapping.to.as_deref(),
            None => Some(code),
        }
    }

    pub fn map_account<'a>(&'a self, account: &'a AccountNumber) -> &'a AccountNumber {
        self.accounts
            .iter()
            .find(|m| m.from == *account)
            .map(|m| &m.to)
            .unwrap_or(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dated_rates() {
        let code = TaxCode {
            code: "V".into(),
            label: "x".into(),
            kind: TaxKind::Collected,
            exigibility: Exigibility::OnInvoice,
            rates: vec![
                RateVersion {
                    from: d(2000, 1, 1),
                    rate: Decimal::from(20),
                },
                RateVersion {
                    from: d(2026, 7, 1),
                    rate: Decimal::from(21),
                },
            ],
            account: AccountNumber::parse("44571").unwrap(),
            pending_account: None,
            reverse_charge_account: None,
            base_box: None,
            tax_box: None,
        };
        assert_eq!(code.rate_on(d(2026, 6, 30)), Some(Decimal::from(20)));
        assert_eq!(code.rate_on(d(2026, 7, 1)), Some(Decimal::from(21)));
        assert_eq!(code.rate_on(d(1999, 1, 1)), None);
    }

    #[test]
    fn rounding_half_away_from_zero() {
        let rate = Decimal::from_str("5.5").unwrap();
        // 0.10 * 5.5 % = 0.0055 -> 0.01
        assert_eq!(
            tax_amount(Amount::from_cents(10), rate),
            Amount::from_cents(1)
        );
        assert_eq!(
            tax_amount(Amount::from_cents(-10), rate),
            Amount::from_cents(-1)
        );
        assert_eq!(
            tax_amount(Amount::from_cents(12345), Decimal::from(20)),
            Amount::from_cents(2469)
        );
    }
}
