//! The ledger: one company in one redb file. The only module that touches redb.
//!
//! Every user command is one write transaction: load what it needs, call the pure rules,
//! check invariants, write, append to the audit log, commit. Several processes may use one
//! file at once (`ConcurrencyMode::MultiWriter`); a command re-checks its preconditions inside
//! its own transaction.

#![warn(clippy::arithmetic_side_effects)]

mod aged;
mod audit;
mod bank;
mod bank_match;
mod carried;
mod check;
mod check_vat;
mod closing;
mod codec;
mod commands;
mod company;
mod documents;
mod documents_migrate;
mod error;
mod export;
mod fec_origin;
mod import;
mod import_fec;
mod jobs;
mod lettering;
mod lettering_auto;
mod lettering_import;
mod migrate;
mod open_items;
mod parked;
mod queries;
mod sepa;
mod setup;
mod statements;
mod store;
mod tables;
mod validated;
pub mod vat;
mod vat_index;
mod views;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use redb::{ConcurrencyMode, Database, ReadOnlyDatabase, ReadableDatabase};

pub use audit::{AuditRecord, EntryHead, format_head, parse_head};
pub use bank::{
    BankDetails, BankLine, BankLineFilter, BankLineId, BankLineStatus, BankReport, BookLine,
    ImportedStatement, MarkKind, Reconciliation, RibNumbers, StatementImport,
    StatementImportSummary, StatementInfo, StatementRecord, SuspenseItem,
};
pub use bank_match::{
    BankPayment, BankRejection, CandidateRow, MatchAction, MatchContext, MatchInputs, MatchReport,
    MatchSkip, bank_view, rejection_text,
};
pub use check::CheckReport;
pub use check::Finding;
pub use closing::Closing;
pub use commands::{AccountPatch, JournalPatch, PartyPatch, Selection};
pub use documents::{
    DocumentInput, DocumentRef, DocumentSummary, PaymentCancellation, PaymentInput, PostedTotals,
    RegenerateReport,
};
pub use error::{LedgerError, Result};
pub use export::FecExport;
pub use fec_origin::{FecLineOrigin, FecOrigin};
pub use import::{ImportOptions, ImportSummary};
pub use import_fec::{FecImportOptions, FecImportSummary, LabelSource};
pub use jobs::{Progress, ValidationSummary};
pub use lettering_auto::{
    AutoCounts, AutoEvent, AutoGroup, AutoReport, LineSuggestion, SuggestionList, WriteOff,
    WriteOffVat, match_settings,
};
pub use open_items::{OpenItem, OpenPage, PartyOpen};
pub use parked::{Parked, ParkedInput, ParkedLine};
pub use queries::{BalanceRow, EntryFilter, LedgerPage, LedgerRow, LetterMark, LineOrigin};
pub use sepa::{
    COLLECTION_METHOD, DEFAULT_TRANSIT_ACCOUNT, DIRECT_DEBIT_METHOD, Debit, DebitReport,
    DebitRequest, MandateView, PartySepa,
};
pub use setup::SetupSummary;
pub use views::{EntryKey, EntryStart, LedgerOf, LineKey, LinePosition, WindowStart};

use crate::model::text::echo;
use crate::model::{
    Account, AccountNumber, Company, FiscalYear, Journal, JournalKind, sanitize_text,
};

/// Schema version this Folio writes. Older ledgers are migrated on open; newer ones refused.
pub const SCHEMA_VERSION: u32 = 6;

/// Where the time of an audit record comes from. Each record asks the clock when it is
/// written, so a long-lived context (the interface) never stamps a change with an old time.
#[derive(Clone)]
pub enum Clock {
    /// The machine's local time.
    System,
    /// Always the same instant (tests, snapshots).
    Fixed(NaiveDateTime),
    /// Any other source, for tests that move time.
    Custom(Arc<dyn Fn() -> NaiveDateTime + Send + Sync>),
}

impl Clock {
    pub fn now(&self) -> NaiveDateTime {
        match self {
            Clock::System => chrono::Local::now().naive_local(),
            Clock::Fixed(at) => *at,
            Clock::Custom(source) => source(),
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Clock::System => f.write_str("System"),
            Clock::Fixed(at) => write!(f, "Fixed({at})"),
            Clock::Custom(_) => f.write_str("Custom"),
        }
    }
}

/// Who acts, on which working date, and the clock that stamps the audit records: given by
/// the caller so that tests can fix them.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user: String,
    /// The working date (entries default to it; `FOLIO_TODAY` may fix it).
    pub today: NaiveDate,
    pub clock: Clock,
}

impl Ctx {
    /// The real clock; the working date is today's.
    pub fn live(user: impl Into<String>) -> Self {
        Self::with_clock(user, Clock::System)
    }

    /// A clock stopped at `now` (tests, snapshots, reproducible demos).
    pub fn fixed(user: impl Into<String>, now: NaiveDateTime) -> Self {
        Self::with_clock(user, Clock::Fixed(now))
    }

    /// Any clock; the working date is the clock's date now.
    pub fn with_clock(user: impl Into<String>, clock: Clock) -> Self {
        Ctx {
            // The user name is cleaned like any text from outside (it comes from the
            // environment).
            user: sanitize_text(&user.into()),
            today: clock.now().date(),
            clock,
        }
    }

    /// The time now, read from the clock at each call.
    pub fn now(&self) -> NaiveDateTime {
        self.clock.now()
    }

    /// The same user and clock on another working date.
    pub fn on(&self, today: NaiveDate) -> Self {
        Ctx {
            today,
            ..self.clone()
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
    db: Db,
    path: PathBuf,
}

/// The file opened for commands that write, or only for reading: a read-only handle opens the
/// file without write access and never writes to it (not even redb's header on close).
enum Db {
    ReadWrite(Database),
    ReadOnly(ReadOnlyDatabase),
}

impl Db {
    fn begin_read(&self) -> std::result::Result<redb::ReadTransaction, redb::TransactionError> {
        match self {
            Db::ReadWrite(db) => db.begin_read(),
            Db::ReadOnly(db) => db.begin_read(),
        }
    }
}

/// What a failed open of a ledger file means for the user.
fn open_error(path: &Path, err: redb::DatabaseError) -> LedgerError {
    let path = path.to_path_buf();
    match err {
        redb::DatabaseError::DatabaseAlreadyOpen | redb::DatabaseError::LockProtocolMismatch => {
            LedgerError::Locked(path)
        }
        redb::DatabaseError::UpgradeRequired(version) => {
            LedgerError::StorageFormat { path, version }
        }
        redb::DatabaseError::RepairAborted => LedgerError::NeedsRecovery(path),
        redb::DatabaseError::Storage(redb::StorageError::Io(io)) => io_error(path, io),
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(reason)) => {
            LedgerError::Corrupt(format!("{}: {reason}", path.display()))
        }
        other => LedgerError::Corrupt(format!("{}: {other}", path.display())),
    }
}

fn io_error(path: PathBuf, io: std::io::Error) -> LedgerError {
    match io.kind() {
        std::io::ErrorKind::PermissionDenied => LedgerError::PermissionDenied(path),
        std::io::ErrorKind::ReadOnlyFilesystem => LedgerError::ReadOnly(path),
        std::io::ErrorKind::NotFound => LedgerError::NotFound(path),
        // The file ends before what its header describes.
        std::io::ErrorKind::UnexpectedEof => {
            LedgerError::Corrupt(format!("{}: the file is truncated", path.display()))
        }
        _ => LedgerError::Storage(format!("{}: {io}", path.display())),
    }
}

/// The first bytes of every redb file.
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Whether the file starts like a redb database (a Folio ledger is one). Read before redb
/// opens it, so that another kind of file is called "not a Folio ledger" and a damaged ledger
/// "corrupt".
fn looks_like_redb(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|io| io_error(path.to_path_buf(), io))?;
    let mut head = [0u8; REDB_MAGIC.len()];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read = read.saturating_add(n),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(io) => return Err(io_error(path.to_path_buf(), io)),
        }
    }
    Ok(read == head.len() && head == REDB_MAGIC)
}

/// Whether the file's permission bits allow nobody to write it (`chmod a-w`): Folio then
/// treats it as read-only even for a user the system would let write (root).
fn marked_read_only(metadata: &std::fs::Metadata) -> bool {
    metadata.permissions().readonly()
}

/// Page cache of a ledger opened for commands: bulk imports keep up to half of it as pages
/// not yet written, so it bounds their memory.
pub const COMMAND_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Page cache of a ledger opened for a bulk import: an import writes in sorted runs and reads
/// little back, so a small cache costs it nothing, and it bounds the import's memory whatever
/// the file's size (half of it at most holds pages not yet written).
pub const IMPORT_CACHE_BYTES: usize = 32 * 1024 * 1024;

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
        Self::create_with_profile(path, params, None, ctx)
    }

    /// [`Ledger::create`] with the company's profile set from the start (in the same
    /// transaction and audit record).
    pub fn create_with_profile(
        path: &Path,
        params: &InitParams,
        profile: Option<&crate::model::CompanyProfile>,
        ctx: &Ctx,
    ) -> Result<Ledger> {
        if let Some(profile) = profile {
            profile.validate().map_err(|err| LedgerError::Invalid {
                field: err.field,
                reason: err.reason,
            })?;
        }
        if path.exists() {
            return Err(LedgerError::AlreadyExists(path.to_path_buf()));
        }
        // The company's name is shown on every screen and in the audit log: cleaned like any
        // other text from outside.
        let company = Company {
            name: sanitize_text(&params.company.name),
            siren: sanitize_text(&params.company.siren),
        };
        let params = &InitParams {
            company,
            ..params.clone()
        };
        if !crate::model::is_valid_siren(&params.company.siren) {
            return Err(LedgerError::Invalid {
                field: "siren",
                reason: format!(
                    "`{}` is not a SIREN (9 digits with a valid check digit)",
                    echo(&params.company.siren)
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
            db: Db::ReadWrite(db),
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
            if let Some(profile) = profile {
                tx.put_meta(company::PROFILE_KEY, profile)?;
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

    /// Opens an existing ledger for a command that writes, refusing what is not one, what a
    /// newer Folio wrote, and a file that is read-only.
    pub fn open(path: &Path) -> Result<Ledger> {
        Self::open_with_cache(path, COMMAND_CACHE_BYTES)
    }

    /// Opens for writing with a page cache of `cache_bytes` (see `BROWSING_CACHE_BYTES`).
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> Result<Ledger> {
        let metadata = Self::check_file(path)?;
        if marked_read_only(&metadata) {
            return Err(LedgerError::ReadOnly(path.to_path_buf()));
        }
        let db = builder(cache_bytes)
            .open(path)
            .map_err(|err| match open_error(path, err) {
                // `check_file` could read it: the user may read the file but not write it.
                LedgerError::PermissionDenied(path) => LedgerError::ReadOnly(path),
                other => other,
            })?;
        let ledger = Ledger {
            db: Db::ReadWrite(db),
            path: path.to_path_buf(),
        };
        match ledger.checked_schema()? {
            found if found < SCHEMA_VERSION => {
                ledger.migrate(found)?;
                Ok(ledger)
            }
            _ => Ok(ledger),
        }
    }

    /// Opens an existing ledger for a command that only reads: the file is opened without
    /// write access and nothing is ever written to it, so a ledger the user may read but not
    /// write can be read. A ledger of an older schema is migrated first, which needs write
    /// access once.
    pub fn open_read_only(path: &Path) -> Result<Ledger> {
        Self::check_file(path)?;
        let db = builder(COMMAND_CACHE_BYTES)
            .open_read_only(path)
            .map_err(|err| open_error(path, err))?;
        let ledger = Ledger {
            db: Db::ReadOnly(db),
            path: path.to_path_buf(),
        };
        if ledger.checked_schema()? < SCHEMA_VERSION {
            drop(ledger);
            return Self::open(path).map_err(|err| match err {
                LedgerError::ReadOnly(path) | LedgerError::PermissionDenied(path) => {
                    LedgerError::NeedsMigration(path)
                }
                other => other,
            });
        }
        Ok(ledger)
    }

    /// Whether this handle may write (see [`Ledger::open_read_only`]).
    pub fn is_read_only(&self) -> bool {
        matches!(self.db, Db::ReadOnly(_))
    }

    /// The file exists, is a file, and starts like a redb database.
    fn check_file(path: &Path) -> Result<std::fs::Metadata> {
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(io) => return Err(io_error(path.to_path_buf(), io)),
        };
        if !metadata.is_file() || !looks_like_redb(path)? {
            return Err(LedgerError::NotALedger(path.to_path_buf()));
        }
        Ok(metadata)
    }

    /// The schema version, refusing a redb file that is not a ledger and a newer schema.
    fn checked_schema(&self) -> Result<u32> {
        let path = || self.path.to_path_buf();
        match self.schema_version() {
            Ok(None) => Err(LedgerError::NotALedger(path())),
            Ok(Some(found)) if found > SCHEMA_VERSION => Err(LedgerError::TooNew {
                path: path(),
                found,
                supported: SCHEMA_VERSION,
            }),
            Ok(Some(found)) => Ok(found),
            Err(LedgerError::Corrupt(reason)) => Err(LedgerError::Corrupt(reason)),
            Err(LedgerError::Storage(reason)) => Err(LedgerError::Corrupt(format!(
                "{}: {reason}",
                self.path.display()
            ))),
            Err(other) => Err(other),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn schema_version(&self) -> Result<Option<u32>> {
        let txn = self.db.begin_read()?;
        let meta = match txn.open_table(tables::META) {
            Ok(table) => table,
            Err(
                redb::TableError::TableDoesNotExist(_) | redb::TableError::TableTypeMismatch { .. },
            ) => return Ok(None),
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
    /// The database for a write transaction, or why there is none.
    fn writable(&self) -> Result<&Database> {
        match &self.db {
            Db::ReadWrite(db) => Ok(db),
            Db::ReadOnly(_) => Err(LedgerError::ReadOnly(self.path.clone())),
        }
    }

    pub(crate) fn write<T>(
        &self,
        ctx: &Ctx,
        f: impl FnOnce(&mut store::Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let txn = self.writable()?.begin_write()?;
        let value = {
            let mut tx = store::Tx::open(&txn)?;
            let value = f(&mut tx)?;
            tx.finish(ctx)?;
            value
        };
        txn.commit()?;
        Ok(value)
    }

    /// `write`, committing only when `commit` is set (a dry run rolls everything back).
    pub(crate) fn write_or_rollback<T>(
        &self,
        ctx: &Ctx,
        commit: bool,
        f: impl FnOnce(&mut store::Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        if commit {
            return self.write(ctx, f);
        }
        let txn = self.writable()?.begin_write()?;
        let value = {
            let mut tx = store::Tx::open(&txn)?;
            let value = f(&mut tx)?;
            tx.finish(ctx)?;
            value
        };
        txn.abort()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_errors_are_classified_for_the_user() {
        let path = Path::new("books.ledger");
        let io = |kind: std::io::ErrorKind| {
            redb::DatabaseError::Storage(redb::StorageError::Io(kind.into()))
        };
        assert!(matches!(
            open_error(path, redb::DatabaseError::DatabaseAlreadyOpen),
            LedgerError::Locked(_)
        ));
        assert!(matches!(
            open_error(path, redb::DatabaseError::LockProtocolMismatch),
            LedgerError::Locked(_)
        ));
        assert!(matches!(
            open_error(path, io(std::io::ErrorKind::PermissionDenied)),
            LedgerError::PermissionDenied(_)
        ));
        assert!(matches!(
            open_error(path, io(std::io::ErrorKind::ReadOnlyFilesystem)),
            LedgerError::ReadOnly(_)
        ));
        assert!(matches!(
            open_error(path, io(std::io::ErrorKind::UnexpectedEof)),
            LedgerError::Corrupt(_)
        ));
        assert!(matches!(
            open_error(
                path,
                redb::DatabaseError::Storage(redb::StorageError::Corrupted("bad page".into()))
            ),
            LedgerError::Corrupt(_)
        ));
        assert!(matches!(
            open_error(path, redb::DatabaseError::UpgradeRequired(1)),
            LedgerError::StorageFormat { version: 1, .. }
        ));
        let message = LedgerError::Locked(path.to_path_buf()).to_string();
        assert!(message.contains("locked by another process"), "{message}");
    }
}
