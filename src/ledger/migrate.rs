//! Explicit migrations of older ledgers, run when they are opened.

use std::ops::Bound;

use serde::Deserialize;

use super::audit::{AuditRecord, AuditRecordV2};
use super::codec::{LEGACY_VALUE_FORMAT, decode, decode_any_format, encode, seal};
use super::error::{LedgerError, Result};
use super::store::Tx;
use super::tables::*;
use super::{Ctx, Ledger, SCHEMA_VERSION};
use crate::model::{AccountNumber, Party, PartyKind};
use redb::{ReadableTable, WriteTransaction};

/// Rows re-encoded at a time, so that migrating a large ledger keeps its memory bounded.
const MIGRATION_CHUNK: usize = 10_000;

/// A third party as schema 1 stored it.
#[derive(Deserialize)]
struct PartyV1 {
    code: String,
    name: String,
    kind: PartyKind,
    collective_account: AccountNumber,
    auxiliary_account: String,
    active: bool,
}

impl Ledger {
    /// Brings a ledger of an older schema to the current one, in one transaction.
    pub(crate) fn migrate(&self, from: u32) -> Result<()> {
        let ctx = Ctx::live("folio-migration");
        let txn = self.writable()?.begin_write()?;
        if from < 3 {
            // Schema 3: every value gets a checksum in its envelope. Done on the raw bytes
            // first, before anything decodes them.
            reseal_values(&txn)?;
        }
        {
            let mut tx = Tx::open(&txn)?;
            migrate_rows(&mut tx, &ctx, from)?;
            tx.finish(&ctx)?;
        }
        txn.commit()?;
        Ok(())
    }
}

fn migrate_rows(tx: &mut Tx<'_>, ctx: &Ctx, from: u32) -> Result<()> {
    {
        {
            if from < 3 {
                // Schema 3: documents keep their due date, settings their defaults per item
                // kind, posted taxes their due account.
                super::documents_migrate::migrate_to_3(tx)?;
            }
            if from < 2 {
                // Schema 2: third parties gain tax position, payment terms and method, IBAN
                // and mandate.
                let mut parties = Vec::new();
                for item in tx.parties.range::<&str>(..)? {
                    let (_, value) = item?;
                    let old: PartyV1 = decode(value.value(), "third party (schema 1)")?;
                    let mut party =
                        Party::new(old.code, old.name, old.kind, old.collective_account);
                    party.auxiliary_account = old.auxiliary_account;
                    party.active = old.active;
                    parties.push(party);
                }
                for party in &parties {
                    tx.parties
                        .insert(party.code.as_str(), encode(party)?.as_slice())?;
                }
                if tx
                    .get_meta::<crate::model::settings::Settings>("settings")?
                    .is_none()
                {
                    // Ledgers of schema 1 had no posting settings: give them the defaults when
                    // their chart has every account those name.
                    if let Ok(settings) = crate::fixtures::default_settings() {
                        let _ = tx.put_settings(&settings);
                    }
                }
            }
            if from < 2 {
                // Schema 2 keeps the validation order as runs of entries.
                let legacy = tx.txn.open_table(super::tables::LEGACY_VALIDATION_ORDER)?;
                let mut rows = Vec::new();
                for item in legacy.range::<(i32, u64)>(..)? {
                    let (key, id) = item?;
                    rows.push((key.value(), id.value()));
                }
                drop(legacy);
                for ((year_start, seq), id) in rows {
                    tx.validation_runs.insert((year_start, seq), (id, 1))?;
                }
                tx.txn
                    .delete_table(super::tables::LEGACY_VALIDATION_ORDER)?;
            }
            if from < 3 {
                // Schema 3: validated entries are chained by hash, in validation order, and
                // closed years keep their FEC (as it stands now: it is fixed from here on).
                chain_validated_entries(tx)?;
                let closed: Vec<_> = tx
                    .years()
                    .iter()
                    .filter(|y| !y.is_open())
                    .cloned()
                    .collect();
                for year in &closed {
                    super::export::store_closing_fec(tx, year)?;
                }
            }
            if from < 6 {
                // Schema 4: the open items of letterable accounts are indexed; schema 6: with
                // their entry's piece and reference (the index of schemas 4 and 5 goes).
                tx.txn.delete_table(super::tables::LEGACY_OPEN_ITEMS)?;
                tx.build_open_index()?;
            }
            super::documents::create_tables(tx)?;
            if from < 5 {
                // Schema 5: VAT-carrying lines are tagged (the VAT index), from what the
                // engine posts for each generated entry.
                super::documents::tag_generated_entries(tx)?;
            }
            tx.put_meta("schema", &SCHEMA_VERSION)?;
            tx.audit(
                ctx,
                "ledger.migrate",
                vec!["company".into()],
                format!("migrated the ledger from schema {from} to {SCHEMA_VERSION}"),
            )
        }
    }
}

/// Re-encodes every value written without a checksum; audit records also gain their (empty)
/// entry head, their hashes unchanged.
fn reseal_values(txn: &WriteTransaction) -> Result<()> {
    macro_rules! reseal {
        ($def:expr, $key:ty, $owned:ty, |$k:ident| $own:expr, |$o:ident| $borrow:expr) => {{
            let mut table = txn.open_table($def)?;
            let mut after: Option<$owned> = None;
            loop {
                let mut rows: Vec<($owned, Vec<u8>)> = Vec::with_capacity(MIGRATION_CHUNK);
                let mut last: Option<$owned> = None;
                {
                    let range = match &after {
                        Some($o) => {
                            table.range::<$key>((Bound::Excluded($borrow), Bound::Unbounded))?
                        }
                        None => table.range::<$key>(..)?,
                    };
                    for item in range.take(MIGRATION_CHUNK) {
                        let (key, value) = item?;
                        let $k = key.value();
                        let owned: $owned = $own;
                        if value.value().first() == Some(&LEGACY_VALUE_FORMAT) {
                            rows.push((owned.clone(), seal(&value.value()[1..])));
                        }
                        last = Some(owned);
                    }
                }
                for ($o, value) in &rows {
                    table.insert($borrow, value.as_slice())?;
                }
                match last {
                    Some(last) => after = Some(last),
                    None => break,
                }
            }
        }};
    }
    reseal!(META, &str, String, |k| k.to_string(), |o| o.as_str());
    reseal!(ACCOUNTS, &str, String, |k| k.to_string(), |o| o.as_str());
    reseal!(JOURNALS, &str, String, |k| k.to_string(), |o| o.as_str());
    reseal!(PARTIES, &str, String, |k| k.to_string(), |o| o.as_str());
    reseal!(YEARS, i32, i32, |k| k, |o| *o);
    reseal!(ENTRIES, u64, u64, |k| k, |o| *o);
    reseal!(LETTERING, (u64, u32), (u64, u32), |k| k, |o| *o);
    reseal!(DOCUMENTS, u64, u64, |k| k, |o| *o);
    reseal!(POSTED, u64, u64, |k| k, |o| *o);
    reseal!(WHY, u64, u64, |k| k, |o| *o);
    let mut audit = txn.open_table(AUDIT)?;
    let mut after: Option<u64> = None;
    loop {
        let mut rows = Vec::with_capacity(MIGRATION_CHUNK);
        let mut last = None;
        {
            let range = match after {
                Some(seq) => audit.range::<u64>((Bound::Excluded(seq), Bound::Unbounded))?,
                None => audit.range::<u64>(..)?,
            };
            for item in range.take(MIGRATION_CHUNK) {
                let (key, value) = item?;
                last = Some(key.value());
                if value.value().first() == Some(&LEGACY_VALUE_FORMAT) {
                    let old: AuditRecordV2 = decode_any_format(value.value(), "audit record")?;
                    rows.push((key.value(), AuditRecord::from(old)));
                }
            }
        }
        for (key, record) in &rows {
            audit.insert(*key, encode(record)?.as_slice())?;
        }
        match last {
            Some(seq) => after = Some(seq),
            None => break,
        }
    }
    Ok(())
}

/// Hashes the entries validated before schema 3 into the chain, in validation order.
fn chain_validated_entries(tx: &mut Tx<'_>) -> Result<()> {
    let mut runs = Vec::new();
    for item in tx.validation_runs.range::<(i32, u64)>(..)? {
        let (key, run) = item?;
        runs.push((key.value().1, run.value()));
    }
    runs.sort_unstable();
    for (first_seq, (first_id, count)) in runs {
        for k in 0..count {
            let (Some(id), Some(seq)) = (first_id.checked_add(k), first_seq.checked_add(k)) else {
                return Err(LedgerError::Corrupt(format!(
                    "the validation run from {first_seq} of {count} entries passes the last number"
                )));
            };
            let entry = tx.entry(id)?;
            if entry.validation_seq != Some(seq) {
                return Err(LedgerError::Corrupt(format!(
                    "entry {} is not at validation {seq} as the validation order says",
                    entry.reference()
                )));
            }
            tx.chain_entry(&entry)?;
        }
    }
    Ok(())
}
