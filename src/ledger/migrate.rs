//! Explicit migrations of older ledgers, run when they are opened.

use serde::Deserialize;

use super::codec::{decode, encode};
use super::error::Result;
use super::{Ctx, Ledger, SCHEMA_VERSION};
use crate::model::{AccountNumber, Party, PartyKind};
use redb::ReadableTable;

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
        self.write(&ctx, |tx| {
            if from < 3 {
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
            super::documents::create_tables(tx)?;
            tx.put_meta("schema", &SCHEMA_VERSION)?;
            tx.audit(
                &ctx,
                "ledger.migrate",
                vec!["company".into()],
                format!("migrated the ledger from schema {from} to {SCHEMA_VERSION}"),
            )
        })
    }
}
