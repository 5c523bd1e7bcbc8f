//! Third parties: customers and suppliers, each with an auxiliary account under 411 or 401.

use serde::{Deserialize, Serialize};

use super::account::AccountNumber;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyKind {
    Customer,
    Supplier,
}

impl PartyKind {
    pub fn name(self) -> &'static str {
        match self {
            PartyKind::Customer => "customer",
            PartyKind::Supplier => "supplier",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "customer" | "client" | "c" => Some(PartyKind::Customer),
            "supplier" | "fournisseur" | "s" | "f" => Some(PartyKind::Supplier),
            _ => None,
        }
    }

    /// The PCG collective account: 411 for customers, 401 for suppliers.
    pub fn default_collective(self) -> AccountNumber {
        let number = match self {
            PartyKind::Customer => "411000",
            PartyKind::Supplier => "401000",
        };
        AccountNumber::parse(number).unwrap_or_else(|_| unreachable!("constant account number"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub code: String,
    pub name: String,
    pub kind: PartyKind,
    /// The collective account the party's lines go to (411000, 401000, ...).
    pub collective_account: AccountNumber,
    /// The auxiliary account number shown in the FEC (`CompAuxNum`).
    pub auxiliary_account: String,
    pub active: bool,
    /// Fiscal treatment (a tax position code of the settings); none: France.
    pub tax_position: Option<String>,
    /// Days from invoice date to due date.
    pub payment_terms_days: u32,
    /// Payment method code used by default for this party's payments.
    pub payment_method: Option<String>,
    pub iban: Option<String>,
    /// SEPA direct debit mandate (customers).
    pub mandate: Option<Mandate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mandate {
    pub reference: String,
    pub signed_on: chrono::NaiveDate,
}

impl Party {
    /// A party with no fiscal or payment details yet.
    pub fn new(
        code: String,
        name: String,
        kind: PartyKind,
        collective_account: AccountNumber,
    ) -> Self {
        Party {
            auxiliary_account: code.clone(),
            code,
            name,
            kind,
            collective_account,
            active: true,
            tax_position: None,
            payment_terms_days: 30,
            payment_method: None,
            iban: None,
            mandate: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartyCodeError {
    #[error("third-party code `{0}` must be 1 to 17 uppercase letters, digits, `-` or `_`")]
    Malformed(String),
}

pub fn parse_party_code(text: &str) -> Result<String, PartyCodeError> {
    let code = text.trim().to_uppercase();
    let ok = (1..=17).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(code)
    } else {
        Err(PartyCodeError::Malformed(text.trim().to_string()))
    }
}

/// ISO 13616 check of an IBAN: country, check digits, mod 97 of the rearranged number.
pub fn is_valid_iban(iban: &str) -> bool {
    let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) || !compact.is_ascii() {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    if !head[..2].bytes().all(|b| b.is_ascii_uppercase())
        || !head[2..].bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    let mut remainder: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn iban_check() {
        assert!(super::is_valid_iban("FR7630006000011234567890189"));
        assert!(super::is_valid_iban("DE89370400440532013000"));
        assert!(!super::is_valid_iban("FR7630006000011234567890188"));
        assert!(!super::is_valid_iban("FR76"));
    }
}
