//! Value encoding: one format-version byte, then postcard.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::LedgerError;

/// Version of the value encoding. A different first byte is corruption (or a newer Folio).
pub const VALUE_FORMAT: u8 = 1;

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, LedgerError> {
    let mut out = vec![VALUE_FORMAT];
    postcard::to_io(value, &mut out)
        .map_err(|err| LedgerError::Corrupt(format!("cannot encode a value: {err}")))?;
    Ok(out)
}

/// Encodes into a buffer the caller reuses, so a bulk write allocates once.
pub fn encode_into<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), LedgerError> {
    out.push(VALUE_FORMAT);
    postcard::to_io(value, &mut *out)
        .map_err(|err| LedgerError::Corrupt(format!("cannot encode a value: {err}")))?;
    Ok(())
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, LedgerError> {
    match bytes.split_first() {
        Some((&VALUE_FORMAT, rest)) => postcard::from_bytes(rest)
            .map_err(|err| LedgerError::Corrupt(format!("{what} cannot be decoded: {err}"))),
        Some((version, _)) => Err(LedgerError::Corrupt(format!(
            "{what} has value format {version}, expected {VALUE_FORMAT}"
        ))),
        None => Err(LedgerError::Corrupt(format!("{what} is empty"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountNumber, Amount, Entry, EntryStatus, Line};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn entries_round_trip(
            cents in proptest::collection::vec(1i64..10_000_000, 1..8),
            label in "\\PC{0,40}",
            id in any::<u64>(),
        ) {
            let total: i64 = cents.iter().sum();
            let mut lines: Vec<Line> = cents
                .iter()
                .map(|c| Line::debit(AccountNumber::parse("606").unwrap(), Amount::from_cents(*c)))
                .collect();
            lines.push(
                Line::credit(AccountNumber::parse("401").unwrap(), Amount::from_cents(total))
                    .with_party(Some("SUPP".into())),
            );
            let entry = Entry {
                id,
                journal: "AC".into(),
                date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                piece: "A1".into(),
                label,
                lines,
                status: EntryStatus::Draft,
                number: None,
                validated_on: None,
                validation_seq: None,
                reversal_of: None,
                source: None,
                created_by: "alice".into(),
                revision: 0,
            };
            let bytes = encode(&entry).unwrap();
            prop_assert_eq!(decode::<Entry>(&bytes, "entry").unwrap(), entry);
        }
    }

    #[test]
    fn unknown_format_is_corruption() {
        assert!(matches!(
            decode::<u32>(&[9, 1], "x"),
            Err(LedgerError::Corrupt(_))
        ));
        assert!(matches!(
            decode::<u32>(&[], "x"),
            Err(LedgerError::Corrupt(_))
        ));
    }
}
