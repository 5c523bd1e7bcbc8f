//! The bookkeeping vocabulary: pure data and the rules that belong to one value.

pub mod account;
pub mod calendar;
pub mod company;
pub mod document;
pub mod entry;
pub mod journal;
pub mod money;
pub mod party;
pub mod settings;
pub mod tax;
pub mod text;

pub use account::{Account, AccountKind, AccountNumber};
pub use calendar::{FiscalYear, Period, YearStatus, parse_date};
pub use company::{CompanyProfile, VatPeriodicity};
pub use entry::{Entry, EntryId, EntryInput, EntryNumber, EntryStatus, Line, Side, sanitize_text};
pub use journal::{Journal, JournalKind};
pub use money::Amount;
pub use party::{Party, PartyKind};

use serde::{Deserialize, Serialize};

/// The company a ledger holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub name: String,
    pub siren: String,
}

/// A SIREN is 9 digits passing the Luhn check.
pub fn is_valid_siren(siren: &str) -> bool {
    if siren.len() != 9 || !siren.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = siren
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let digit = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    #[test]
    fn siren_luhn() {
        assert!(super::is_valid_siren("732829320"));
        assert!(!super::is_valid_siren("732829321"));
        assert!(!super::is_valid_siren("12345"));
    }
}
