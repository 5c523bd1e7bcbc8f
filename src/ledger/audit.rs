//! The audit log: append-only, each record carrying the hash of the previous one; and the
//! chain of validated entries, each entry's canonical content hashed with the hash of the
//! entry validated before it. Every audit record carries the entry chain's head after its
//! command, so the audit chain covers the entries too.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Ctx;
use crate::model::Entry;

/// Position and hash of the last validated entry of the chain: `(validation sequence, hash)`,
/// `(0, [0; 32])` before the first one.
pub type EntryHead = (u64, [u8; 32]);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    /// Unix login of the acting person.
    pub user: String,
    pub at: NaiveDateTime,
    /// What was done: `entry.add`, `entry.validate`, `year.close`, ...
    pub action: String,
    /// Which records: `entry:42`, `account:512000`, `journal:VE`, `party:ACME`, `year:2026`.
    pub records: Vec<String>,
    /// A sentence for people.
    pub detail: String,
    /// The entry chain's head after the command; `None` in records written before schema 3.
    pub entry_head: Option<EntryHead>,
}

/// An audit record as schemas 1 and 2 stored it: read only by the migration.
#[derive(Deserialize)]
pub struct AuditRecordV2 {
    pub seq: u64,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    pub user: String,
    pub at: NaiveDateTime,
    pub action: String,
    pub records: Vec<String>,
    pub detail: String,
}

impl From<AuditRecordV2> for AuditRecord {
    fn from(old: AuditRecordV2) -> Self {
        AuditRecord {
            seq: old.seq,
            prev_hash: old.prev_hash,
            hash: old.hash,
            user: old.user,
            at: old.at,
            action: old.action,
            records: old.records,
            detail: old.detail,
            entry_head: None,
        }
    }
}

impl AuditRecord {
    pub fn new(
        seq: u64,
        prev_hash: [u8; 32],
        ctx: &Ctx,
        action: &str,
        records: Vec<String>,
        detail: String,
    ) -> Self {
        let mut record = AuditRecord {
            seq,
            prev_hash,
            hash: [0; 32],
            user: ctx.user.clone(),
            at: ctx.now(),
            action: action.to_string(),
            records,
            detail,
            entry_head: None,
        };
        record.hash = record.compute_hash();
        record
    }

    /// The same record carrying the entry chain's head (its hash recomputed).
    pub fn with_entry_head(mut self, head: EntryHead) -> Self {
        self.entry_head = Some(head);
        self.hash = self.compute_hash();
        self
    }

    /// SHA-256 of the previous hash and every field but the hash itself.
    pub fn compute_hash(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash);
        hasher.update(self.seq.to_le_bytes());
        for text in [&self.user, &self.action, &self.detail] {
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        hasher.update(self.at.and_utc().timestamp_micros().to_le_bytes());
        hasher.update((self.records.len() as u64).to_le_bytes());
        for record in &self.records {
            hasher.update((record.len() as u64).to_le_bytes());
            hasher.update(record.as_bytes());
        }
        // Records older than the entry chain have none: their hash stays what it was.
        if let Some((seq, hash)) = self.entry_head {
            hasher.update(b"entry-head");
            hasher.update(seq.to_le_bytes());
            hasher.update(hash);
        }
        hasher.finalize().into()
    }
}

/// Appends a validated entry's canonical content to `out`: everything the entry says, in a
/// fixed order, each text with its length: journal, number, date, validation date, piece,
/// label, and each line's account, third party, label and amounts. Nothing else (lettering,
/// the storage id, links, who created it). Version-tagged so the form can evolve; the
/// position in the chain comes from the previous hash.
pub fn canonical_entry(entry: &Entry, out: &mut Vec<u8>) {
    use std::io::Write as _;
    fn text(out: &mut Vec<u8>, value: &str) {
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    fn date(out: &mut Vec<u8>, value: Option<chrono::NaiveDate>) {
        use chrono::Datelike;
        let days = value.map(|d| d.num_days_from_ce()).unwrap_or(i32::MIN);
        out.extend_from_slice(&days.to_le_bytes());
    }
    text(out, "folio-entry-1");
    text(out, &entry.journal);
    // The reference, as `text` writes it, without building a string.
    let at = out.len();
    out.extend_from_slice(&0u64.to_le_bytes());
    match &entry.number {
        Some(number) => {
            let _ = write!(out, "{number}");
        }
        None => {
            let _ = write!(out, "#{}", entry.id);
        }
    }
    let start = at.saturating_add(8);
    let len = out.len().saturating_sub(start) as u64;
    if let Some(slot) = out.get_mut(at..start) {
        slot.copy_from_slice(&len.to_le_bytes());
    }
    date(out, Some(entry.date));
    date(out, entry.validated_on);
    text(out, &entry.piece);
    text(out, &entry.label);
    out.extend_from_slice(&(entry.lines.len() as u64).to_le_bytes());
    for line in &entry.lines {
        text(out, line.account.as_str());
        match &line.third_party {
            Some(party) => {
                out.push(1);
                text(out, party);
            }
            None => out.push(0),
        }
        text(out, &line.label);
        out.extend_from_slice(&line.debit.cents().to_le_bytes());
        out.extend_from_slice(&line.credit.cents().to_le_bytes());
    }
}

/// SHA-256 of the previous entry's hash and this entry's canonical content (`canonical`,
/// a buffer the caller reuses).
pub fn entry_hash(prev: &[u8; 32], entry: &Entry, canonical: &mut Vec<u8>) -> [u8; 32] {
    canonical.clear();
    canonical_entry(entry, canonical);
    Sha256::new()
        .chain_update(prev)
        .chain_update(&canonical[..])
        .finalize()
        .into()
}

/// `SEQ:HEX`, the form `check --print-head` prints and `--expect-head` reads.
pub fn format_head((seq, hash): EntryHead) -> String {
    format!("{seq}:{}", format_hash(&hash))
}

/// A hash in lowercase hexadecimal.
pub fn format_hash(hash: &[u8; 32]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads `SEQ:HEX` back.
pub fn parse_head(text: &str) -> Option<EntryHead> {
    let (seq, hex) = text.trim().split_once(':')?;
    let seq = seq.parse().ok()?;
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut hash = [0u8; 32];
    for (byte, pair) in hash.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some((seq, hash))
}

/// Checks that `record` follows `prev` in the chain: next number, linked hash, own hash right.
/// Before the first record, `prev` is `None`.
pub fn check_link(prev: Option<&AuditRecord>, record: &AuditRecord) -> Result<(), String> {
    let (seq, hash) = prev.map(|p| (p.seq, p.hash)).unwrap_or((0, [0; 32]));
    let Some(expected) = seq.checked_add(1) else {
        return Err(format!(
            "audit record {} found after record {seq}, the last number there can be",
            record.seq
        ));
    };
    if record.seq != expected {
        return Err(format!(
            "audit record {} found where {expected} was expected",
            record.seq
        ));
    }
    if record.prev_hash != hash {
        return Err(format!(
            "audit record {} does not link to the record before it",
            record.seq
        ));
    }
    if record.compute_hash() != record.hash {
        return Err(format!(
            "audit record {} was altered (its hash does not match its content)",
            record.seq
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn ctx() -> Ctx {
        let now = NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        Ctx::fixed("alice", now)
    }

    #[test]
    fn the_canonical_entry_holds_its_reference_as_text() {
        use crate::model::{AccountNumber, Amount, EntryNumber, EntryStatus, Line};
        let mut entry = Entry {
            id: 7,
            journal: "VE".into(),
            date: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            piece: "F1".into(),
            label: "Facture".into(),
            lines: vec![Line::debit(
                AccountNumber::parse("411000").unwrap(),
                Amount::from_cents(100),
            )],
            status: EntryStatus::Draft,
            number: None,
            validated_on: None,
            validation_seq: None,
            reversal_of: None,
            source: None,
            created_by: "alice".into(),
            revision: 0,
        };
        for number in [
            None,
            Some(EntryNumber {
                journal: "VE".into(),
                year: "2026".into(),
                seq: 42,
            }),
        ] {
            entry.number = number;
            let reference = entry.reference();
            let mut want = Vec::new();
            for text in ["folio-entry-1", "VE", reference.as_str()] {
                want.extend_from_slice(&(text.len() as u64).to_le_bytes());
                want.extend_from_slice(text.as_bytes());
            }
            let mut got = Vec::new();
            canonical_entry(&entry, &mut got);
            assert_eq!(got[..want.len()], want[..], "{reference}");
        }
    }

    #[test]
    fn chain_detects_alteration_and_reordering() {
        let first = AuditRecord::new(1, [0; 32], &ctx(), "a", vec!["entry:1".into()], "x".into());
        let second = AuditRecord::new(2, first.hash, &ctx(), "b", vec![], "y".into());
        assert_eq!(check_link(None, &first), Ok(()));
        assert_eq!(check_link(Some(&first), &second), Ok(()));
        let mut altered = second.clone();
        altered.detail = "z".into();
        assert!(
            check_link(Some(&first), &altered)
                .unwrap_err()
                .contains("altered")
        );
        assert!(check_link(None, &second).is_err());
        let relinked = AuditRecord::new(2, [1; 32], &ctx(), "b", vec![], "y".into());
        assert!(
            check_link(Some(&first), &relinked)
                .unwrap_err()
                .contains("link")
        );
    }

    #[test]
    fn a_record_after_the_last_number_is_refused_not_wrapped() {
        let last = AuditRecord::new(u64::MAX, [0; 32], &ctx(), "a", vec![], "x".into());
        let wrapped = AuditRecord::new(0, last.hash, &ctx(), "b", vec![], "y".into());
        assert!(
            check_link(Some(&last), &wrapped)
                .unwrap_err()
                .contains("the last number")
        );
    }

    #[test]
    fn the_entry_head_is_covered_by_the_record_hash() {
        let plain = AuditRecord::new(1, [0; 32], &ctx(), "a", vec![], "x".into());
        let with_head = plain.clone().with_entry_head((3, [7; 32]));
        assert_ne!(plain.hash, with_head.hash);
        let mut moved = with_head.clone();
        moved.entry_head = Some((3, [8; 32]));
        assert!(check_link(None, &moved).is_err());
        assert_eq!(check_link(None, &with_head), Ok(()));
    }

    #[test]
    fn heads_print_and_parse() {
        let head = (42, [0xab; 32]);
        assert_eq!(parse_head(&format_head(head)), Some(head));
        assert_eq!(parse_head("42:ab"), None);
        assert_eq!(parse_head("x:00"), None);
    }
}
