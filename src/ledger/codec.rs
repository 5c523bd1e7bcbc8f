//! Value encoding: the storage envelope (one format-version byte, a checksum), then postcard.
//!
//! Format 2 (schema 3 onwards): `[2][checksum: 4 bytes][postcard]`, the checksum being
//! `checksum` of the payload. Every read verifies it, so random damage to a stored value is
//! reported as corruption instead of being read as other data. Format 1 (`[1][postcard]`, no
//! checksum) is read only by the migration.
//!
//! The checksum is against damage, not against a tamperer (who can recompute it): the entry
//! chain and the audit chain, SHA-256 both, are there for that. So it is a fast one, read on
//! every decode: words mixed by bijective steps (a change within one word always changes the
//! state), then a bijective finalizer, the low 32 bits kept.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::LedgerError;

/// Version of the value encoding. A different first byte is corruption (or a newer Folio).
pub const VALUE_FORMAT: u8 = 2;
/// The format of schemas 1 and 2: no checksum.
pub const LEGACY_VALUE_FORMAT: u8 = 1;
const CHECKSUM_BYTES: usize = 4;
const HEADER_BYTES: usize = 1 + CHECKSUM_BYTES;

pub fn checksum(payload: &[u8]) -> [u8; CHECKSUM_BYTES] {
    const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
    let step = |state: u64, word: u64| (state ^ word).wrapping_mul(MIX).rotate_left(29);
    let mut state = 0x2545_f491_4f6c_dd1d ^ u64::from(VALUE_FORMAT) ^ (payload.len() as u64);
    let mut words = payload.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        state = step(state, u64::from_le_bytes(bytes));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut bytes = [0u8; 8];
        bytes[..rest.len()].copy_from_slice(rest);
        state = step(state, u64::from_le_bytes(bytes));
    }
    // splitmix64's finalizer: every input bit reaches the kept bits.
    state ^= state >> 30;
    state = state.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    state ^= state >> 27;
    state = state.wrapping_mul(0x94d0_49bb_1331_11eb);
    state ^= state >> 31;
    let mut out = [0; CHECKSUM_BYTES];
    out.copy_from_slice(&state.to_le_bytes()[..CHECKSUM_BYTES]);
    out
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, LedgerError> {
    let mut out = Vec::new();
    encode_into(value, &mut out)?;
    Ok(out)
}

/// Appends the envelope of `value` to a buffer the caller reuses, so a bulk write allocates
/// once.
pub fn encode_into<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), LedgerError> {
    out.push(VALUE_FORMAT);
    let sum_at = out.len();
    out.extend_from_slice(&[0; CHECKSUM_BYTES]);
    let payload_at = out.len();
    // Extending the vector (not `io::Write`, which copies each byte through `memmove`).
    *out = postcard::to_extend(value, std::mem::take(out))
        .map_err(|err| LedgerError::Corrupt(format!("cannot encode a value: {err}")))?;
    let (head, payload) = out.split_at_mut(payload_at);
    let sum = checksum(payload);
    head[sum_at..].copy_from_slice(&sum);
    Ok(())
}

/// Wraps a postcard payload in the current envelope (the migration re-encodes with it).
pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES.saturating_add(payload.len()));
    out.push(VALUE_FORMAT);
    out.extend_from_slice(&checksum(payload));
    out.extend_from_slice(payload);
    out
}

/// The postcard payload of a stored value, its envelope verified.
pub fn payload<'a>(bytes: &'a [u8], what: &str) -> Result<&'a [u8], LedgerError> {
    match bytes.split_first() {
        Some((&VALUE_FORMAT, rest)) if rest.len() >= CHECKSUM_BYTES => {
            let (sum, payload) = rest.split_at(CHECKSUM_BYTES);
            if checksum(payload) != sum {
                return Err(LedgerError::Corrupt(format!(
                    "{what} was damaged (its checksum does not match its content)"
                )));
            }
            Ok(payload)
        }
        Some((&VALUE_FORMAT, _)) => Err(LedgerError::Corrupt(format!("{what} is truncated"))),
        Some((version, _)) => Err(LedgerError::Corrupt(format!(
            "{what} has value format {version}, expected {VALUE_FORMAT}"
        ))),
        None => Err(LedgerError::Corrupt(format!("{what} is empty"))),
    }
}

/// The payload of a value in the current envelope or in the one schemas 1 and 2 wrote.
pub fn legacy_payload<'a>(bytes: &'a [u8], what: &str) -> Result<&'a [u8], LedgerError> {
    match bytes.split_first() {
        Some((&LEGACY_VALUE_FORMAT, rest)) => Ok(rest),
        _ => payload(bytes, what),
    }
}

fn from_payload<T: DeserializeOwned>(payload: &[u8], what: &str) -> Result<T, LedgerError> {
    match postcard::take_from_bytes(payload) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(LedgerError::Corrupt(format!(
            "{what} has {} unexpected bytes at its end",
            rest.len()
        ))),
        Err(err) => Err(LedgerError::Corrupt(format!(
            "{what} cannot be decoded: {err}"
        ))),
    }
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, LedgerError> {
    from_payload(payload(bytes, what)?, what)
}

/// Decodes a value of either envelope: for what must be read before a migration (the schema
/// version) and by the migration itself.
pub fn decode_any_format<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, LedgerError> {
    from_payload(legacy_payload(bytes, what)?, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountNumber, Amount, Entry, EntryStatus, Line};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    #[test]
    fn a_value_encoded_after_other_bytes_is_sealed_alone() {
        let mut out = vec![7, 7, 7];
        encode_into(&"label".to_string(), &mut out).unwrap();
        assert_eq!(out[..3], [7, 7, 7]);
        assert_eq!(out[3..], encode(&"label".to_string()).unwrap()[..]);
        assert_eq!(decode::<String>(&out[3..], "label").unwrap(), "label");
    }

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
    fn damage_to_a_value_is_corruption() {
        let bytes = encode(&("Vente", 12_345i64)).unwrap();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[i] ^= 1 << bit;
                assert!(
                    matches!(
                        decode::<(String, i64)>(&damaged, "x"),
                        Err(LedgerError::Corrupt(_))
                    ),
                    "byte {i} bit {bit}"
                );
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode::<(String, i64)>(&longer, "x").is_err());
        assert!(decode::<(String, i64)>(&bytes[..3], "x").is_err());
    }

    #[test]
    fn the_legacy_envelope_is_read_only_on_request() {
        let mut legacy = vec![LEGACY_VALUE_FORMAT];
        legacy.extend(postcard::to_allocvec(&7u32).unwrap());
        assert!(decode::<u32>(&legacy, "x").is_err());
        assert_eq!(decode_any_format::<u32>(&legacy, "x").unwrap(), 7);
        assert_eq!(decode::<u32>(&seal(&legacy[1..]), "x").unwrap(), 7);
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
