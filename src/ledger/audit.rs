//! The audit log: append-only, each record carrying the hash of the previous one.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Ctx;

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
        };
        record.hash = record.compute_hash();
        record
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
        hasher.finalize().into()
    }
}

/// Checks that `record` follows `prev` in the chain: next number, linked hash, own hash right.
/// Before the first record, `prev` is `None`.
pub fn check_link(prev: Option<&AuditRecord>, record: &AuditRecord) -> Result<(), String> {
    let (seq, hash) = prev.map(|p| (p.seq, p.hash)).unwrap_or((0, [0; 32]));
    if record.seq != seq + 1 {
        return Err(format!(
            "audit record {} found where {} was expected",
            record.seq,
            seq + 1
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
}
