//! The ledger: one company in one redb file. The only module that touches redb.
//!
//! Every user command is one write transaction: load what it needs, call the pure rules,
//! check invariants, write, append to the audit log, commit. Several processes may use one
//! file at once (`ConcurrencyMode::MultiWriter`); a command re-checks its preconditions inside
//! its own transaction.

mod audit;
mod check;
mod closing;
mod codec;
mod commands;
mod documents;
mod error;
mod export;
mod import;
mod jobs;
mod migrate;
mod queries;
mod store;
mod tables;
mod views;

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use redb::{ConcurrencyMode, Database, ReadableDatabase};

pub use audit::{AuditRecord, EntryHead, format_head, parse_head};
pub use check::CheckReport;
pub use check::Finding;
pub use closing::Closing;
pub use commands::{AccountPatch, JournalPatch, PartyPatch, Selection};
pub use documents::{
    DocumentInput, DocumentRef, DocumentSummary, PaymentInput, PostedTotals, RegenerateReport,
};
pub use error::{LedgerError, Result};
pub use export::FecExport;
pub use import::{ImportOptions, ImportSummary};
pub use jobs::{Progress, ValidationSummary};
pub use queries::{BalanceRow, EntryFilter, LedgerPage, LedgerRow, LetterMark};
pub use views::{LedgerOf, LineKey, LinePosition, WindowStart};

use crate::model::{Account, AccountNumber, Company, FiscalYear, Journal, JournalKind};

/// Schema version this Folio writes. Older ledgers are migrated on open; newer ones refused.
pub const SCHEMA_VERSION: u32 = 3;

/// Who acts and when: given by the caller so that tests can fix them.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user: String,
    pub today: NaiveDate,
    pub now: NaiveDateTime,
}

impl Ctx {
    pub fn new(user: impl Into<String>, now: NaiveDateTime) -> Self {
        Ctx {
            user: user.into(),
            today: now.date(),
            now,
        }
    }
}

/// What `init` needs to create a ledger.
#[derive(Debug, Clone)]
pub struct InitParams {
    pub company: Company,
    pub first_year_start: NaiveDate,
    pub first_year_months: u32,
    /// The chart of accounts: (number, label).
    pub chart: Vec<(AccountNumber, String)>,
    /// Posting settings (taxes, strategies, payment methods).
    pub settings: Option<crate::model::settings::Settings>,
}

pub struct Ledger {
    db: Database,
    path: PathBuf,
}

/// Page cache of a ledger opened for commands: bulk imports keep up to half of it as pages
/// not yet written, so it bounds their memory.
pub const COMMAND_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Page cache of a ledger opened for browsing (the terminal interface): reads only need the
/// pages on screen and the indexes above them.
pub const BROWSING_CACHE_BYTES: usize = 48 * 1024 * 1024;

fn builder(cache_bytes: usize) -> redb::Builder {
    let mut builder = Database::builder();
    builder.set_concurrency_mode(ConcurrencyMode::MultiWriter);
    builder.set_cache_size(cache_bytes);
    builder
}

impl Ledger {
    /// Creates a new ledger file with the company, its first fiscal year, the chart of accounts
    /// and the default journals.
    pub fn create(path: &Path, params: &InitParams, ctx: &Ctx) -> Result<Ledger> {
        if path.exists() {
            return Err(LedgerError::AlreadyExists(path.to_path_buf()));
        }
        if !crate::model::is_valid_siren(&params.company.siren) {
            return Err(LedgerError::Invalid {
                field: "siren",
                reason: format!(
                    "`{}` is not a SIREN (9 digits with a valid check digit)",
                    params.company.siren
                ),
            });
        }
        if params.company.name.trim().is_empty() {
            return Err(LedgerError::Invalid {
                field: "name",
                reason: "the company needs a name".into(),
            });
        }
        let year = FiscalYear::new(params.first_year_start, params.first_year_months, 23).map_err(
            |err| LedgerError::Invalid {
                field: "first year",
                reason: err.to_string(),
            },
        )?;
        let db = builder(COMMAND_CACHE_BYTES).create(path)?;
        let ledger = Ledger {
            db,
            path: path.to_path_buf(),
        };
        let result = ledger.write(ctx, |tx| {
            tx.init_meta(&params.company)?;
            for (number, label) in &params.chart {
                tx.put_account(&Account::new(number.clone(), label.clone()))?;
            }
            for journal in default_journals() {
                if let Some(treasury) = &journal.treasury_account {
                    tx.account(treasury)?;
                }
                tx.put_journal(&journal)?;
            }
            tx.put_year(&year)?;
            documents::create_tables(tx)?;
            if let Some(settings) = &params.settings {
                tx.put_settings(settings)?;
            }
            tx.audit(
                ctx,
                "ledger.init",
                vec!["company".into()],
                format!(
                    "created ledger for {} (SIREN {}), fiscal year {} to {}, {} accounts",
                    params.company.name,
                    params.company.siren,
                    year.start,
                    year.end,
                    params.chart.len()
                ),
            )
        });
        if let Err(err) = result {
            drop(ledger);
            let _ = std::fs::remove_file(path);
            return Err(err);
        }
        Ok(ledger)
    }

    /// Opens an existing ledger, refusing what is not one or what a newer Folio wrote.
    pub fn open(path: &Path) -> Result<Ledger> {
        Self::open_with_cache(path, COMMAND_CACHE_BYTES)
    }

    /// Opens with a page cache of `cache_bytes` (see `BROWSING_CACHE_BYTES`).
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> Result<Ledger> {
        if !path.exists() {
            return Err(LedgerError::NotFound(path.to_path_buf()));
        }
        let db = builder(cache_bytes)
            .open(path)
            .map_err(|_| LedgerError::NotALedger(path.to_path_buf()))?;
        let ledger = Ledger {
            db,
            path: path.to_path_buf(),
        };
        let schema = ledger
            .schema_version()
            .map_err(|_| LedgerError::NotALedger(path.to_path_buf()))?;
        match schema {
            None => Err(LedgerError::NotALedger(path.to_path_buf())),
            Some(found) if found > SCHEMA_VERSION => Err(LedgerError::TooNew {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA_VERSION,
            }),
            Some(found) if found < SCHEMA_VERSION => {
                ledger.migrate(found)?;
                Ok(ledger)
            }
            Some(_) => Ok(ledger),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn schema_version(&self) -> Result<Option<u32>> {
        let txn = self.db.begin_read()?;
        let meta = match txn.open_table(tables::META) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        match meta.get("schema")? {
            Some(bytes) => Ok(Some(codec::decode_any_format(
                bytes.value(),
                "schema version",
            )?)),
            None => Ok(None),
        }
    }

    /// Runs `f` in one write transaction; nothing is written unless it succeeds.
    pub(crate) fn write<T>(
        &self,
        ctx: &Ctx,
        f: impl FnOnce(&mut store::Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let txn = self.db.begin_write()?;
        let value = {
            let mut tx = store::Tx::open(&txn)?;
            let value = f(&mut tx)?;
            tx.finish(ctx)?;
            value
        };
        txn.commit()?;
        Ok(value)
    }

    pub(crate) fn read(&self) -> Result<store::View> {
        let txn = self.db.begin_read()?;
        store::View::open(txn)
    }
}

/// The journals a new ledger starts with.
pub fn default_journals() -> Vec<Journal> {
    let journal = |code: &str, label: &str, kind, treasury: Option<&str>| Journal {
        code: code.into(),
        label: label.into(),
        kind,
        treasury_account: treasury.and_then(|n| AccountNumber::parse(n).ok()),
        active: true,
    };
    vec![
        journal("VE", "Ventes", JournalKind::Sales, None),
        journal("AC", "Achats", JournalKind::Purchases, None),
        journal("BQ", "Banque", JournalKind::Bank, Some("512000")),
        journal("CA", "Caisse", JournalKind::Cash, Some("530000")),
        journal(
            "OD",
            "Opérations diverses",
            JournalKind::Miscellaneous,
            None,
        ),
        journal("AN", "À-nouveaux", JournalKind::Opening, None),
    ]
}
