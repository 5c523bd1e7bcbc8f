//! Accounts of the French chart (PCG).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Account numbers are padded with zeros to this many digits (`512` is `512000`).
pub const PADDED_DIGITS: usize = 6;
/// Longest account number accepted.
pub const MAX_DIGITS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountNumberError {
    #[error("empty account number")]
    Empty,
    #[error("account number `{0}` must be digits only")]
    NotDigits(String),
    #[error("account number `{0}` must start with a class digit 1 to 8")]
    BadClass(String),
    #[error("account number `{0}` has more than {MAX_DIGITS} digits")]
    TooLong(String),
}

/// A PCG-shaped account number: digits, class 1 to 8 first, padded to at least 6 digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountNumber(String);

impl AccountNumber {
    /// Parses and pads: `411` becomes `411000`, `4456601` stays as it is.
    pub fn parse(text: &str) -> Result<Self, AccountNumberError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(AccountNumberError::Empty);
        }
        if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AccountNumberError::NotDigits(trimmed.to_string()));
        }
        if !matches!(trimmed.as_bytes()[0], b'1'..=b'8') {
            return Err(AccountNumberError::BadClass(trimmed.to_string()));
        }
        if trimmed.len() > MAX_DIGITS {
            return Err(AccountNumberError::TooLong(trimmed.to_string()));
        }
        let mut number = trimmed.to_string();
        while number.len() < PADDED_DIGITS {
            number.push('0');
        }
        Ok(AccountNumber(number))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PCG class, 1 to 8.
    pub fn class(&self) -> u8 {
        self.0.as_bytes()[0] - b'0'
    }

    pub fn starts_with(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }

    /// Balance-sheet accounts (classes 1 to 5) carry their balance into the next year.
    pub fn is_balance_sheet(&self) -> bool {
        (1..=5).contains(&self.class())
    }

    /// Income statement accounts (classes 6 and 7) make the year's result.
    pub fn is_income_statement(&self) -> bool {
        matches!(self.class(), 6 | 7)
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// What an account is for, derived from its number by the PCG rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountKind {
    Equity,
    FixedAsset,
    Stock,
    Customer,
    Supplier,
    Tax,
    OtherThirdParty,
    Bank,
    Cash,
    OtherFinancial,
    Expense,
    Income,
    Special,
}

impl AccountKind {
    pub fn of(number: &AccountNumber) -> Self {
        let n = number.as_str();
        match number.class() {
            1 => AccountKind::Equity,
            2 => AccountKind::FixedAsset,
            3 => AccountKind::Stock,
            4 if n.starts_with("41") => AccountKind::Customer,
            4 if n.starts_with("40") => AccountKind::Supplier,
            4 if n.starts_with("44") => AccountKind::Tax,
            4 => AccountKind::OtherThirdParty,
            5 if n.starts_with("512") || n.starts_with("514") || n.starts_with("5112") => {
                AccountKind::Bank
            }
            5 if n.starts_with("53") => AccountKind::Cash,
            5 => AccountKind::OtherFinancial,
            6 => AccountKind::Expense,
            7 => AccountKind::Income,
            _ => AccountKind::Special,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AccountKind::Equity => "equity",
            AccountKind::FixedAsset => "fixed-asset",
            AccountKind::Stock => "stock",
            AccountKind::Customer => "customer",
            AccountKind::Supplier => "supplier",
            AccountKind::Tax => "tax",
            AccountKind::OtherThirdParty => "third-party",
            AccountKind::Bank => "bank",
            AccountKind::Cash => "cash",
            AccountKind::OtherFinancial => "financial",
            AccountKind::Expense => "expense",
            AccountKind::Income => "income",
            AccountKind::Special => "special",
        }
    }
}

/// An account of the company's chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub number: AccountNumber,
    pub label: String,
    pub kind: AccountKind,
    /// Lines may be matched with each other (lettering): third-party accounts.
    pub letterable: bool,
    /// Lines may be matched with bank statement lines.
    pub reconcilable: bool,
    /// Every line must name a third party: the collective accounts 411 and 401.
    pub third_party_required: bool,
    pub active: bool,
}

impl Account {
    /// A new account with the flags the PCG implies for its number.
    pub fn new(number: AccountNumber, label: impl Into<String>) -> Self {
        let kind = AccountKind::of(&number);
        let n = number.as_str();
        let third_party_required = n.starts_with("411") || n.starts_with("401");
        let letterable = matches!(kind, AccountKind::Customer | AccountKind::Supplier)
            || n.starts_with("421")
            // VAT to pay: the settlement's line letters with the payment to the tax office.
            || n.starts_with("4455")
            || n.starts_with("467")
            || n.starts_with("471");
        let reconcilable = matches!(kind, AccountKind::Bank);
        Account {
            number,
            label: label.into(),
            kind,
            letterable,
            reconcilable,
            third_party_required,
            active: true,
        }
    }

    pub fn class(&self) -> u8 {
        self.number.class()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_and_classifies() {
        let n = AccountNumber::parse("411").unwrap();
        assert_eq!(n.as_str(), "411000");
        assert_eq!(n.class(), 4);
        assert_eq!(AccountKind::of(&n), AccountKind::Customer);
        assert_eq!(AccountNumber::parse("4456601").unwrap().as_str(), "4456601");
        let bank = Account::new(AccountNumber::parse("512").unwrap(), "Banque");
        assert!(bank.reconcilable && !bank.letterable);
        let customers = Account::new(n, "Clients");
        assert!(customers.third_party_required && customers.letterable);
        let payable = Account::new(AccountNumber::parse("445510").unwrap(), "TVA à décaisser");
        assert!(payable.letterable && !payable.third_party_required);
    }

    #[test]
    fn refuses_non_pcg_numbers() {
        assert!(AccountNumber::parse("").is_err());
        assert!(AccountNumber::parse("9123").is_err());
        assert!(AccountNumber::parse("0123").is_err());
        assert!(AccountNumber::parse("41A").is_err());
        assert!(AccountNumber::parse("1234567890123").is_err());
    }
}
