//! Journals: where entries are recorded, each with its own numbering.

use serde::{Deserialize, Serialize};

use super::account::AccountNumber;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JournalKind {
    Sales,
    Purchases,
    Bank,
    Cash,
    Miscellaneous,
    Opening,
}

impl JournalKind {
    pub const ALL: [JournalKind; 6] = [
        JournalKind::Sales,
        JournalKind::Purchases,
        JournalKind::Bank,
        JournalKind::Cash,
        JournalKind::Miscellaneous,
        JournalKind::Opening,
    ];

    pub fn name(self) -> &'static str {
        match self {
            JournalKind::Sales => "sales",
            JournalKind::Purchases => "purchases",
            JournalKind::Bank => "bank",
            JournalKind::Cash => "cash",
            JournalKind::Miscellaneous => "miscellaneous",
            JournalKind::Opening => "opening",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(text.trim()))
    }

    /// Bank and cash journals post against one treasury account.
    pub fn needs_treasury_account(self) -> bool {
        matches!(self, JournalKind::Bank | JournalKind::Cash)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub code: String,
    pub label: String,
    pub kind: JournalKind,
    pub treasury_account: Option<AccountNumber>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalCodeError {
    #[error("journal code `{0}` must be 1 to 6 uppercase letters or digits")]
    Malformed(String),
}

/// Journal codes are short uppercase ASCII codes (`VE`, `AC`, `BQ1`).
pub fn parse_journal_code(text: &str) -> Result<String, JournalCodeError> {
    let code = text.trim().to_ascii_uppercase();
    let ok = (1..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(code)
    } else {
        Err(JournalCodeError::Malformed(text.trim().to_string()))
    }
}
