//! Everything a ledger command can refuse, one variant per rule.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::model::entry::EntryRuleError;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger file {0} does not exist (create one with `folio init` or `folio demo`)")]
    NotFound(PathBuf),
    #[error("{0} is not a Folio ledger")]
    NotALedger(PathBuf),
    #[error(
        "{path} was written by a newer Folio (schema {found}; this Folio reads up to {supported})"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{0} already exists: refusing to overwrite it")]
    AlreadyExists(PathBuf),
    #[error("the ledger file is corrupt: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Storage(String),
    #[error(transparent)]
    Rule(#[from] EntryRuleError),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("unknown account {0}")]
    UnknownAccount(String),
    #[error("account {0} is inactive")]
    InactiveAccount(String),
    #[error("unknown journal {0}")]
    UnknownJournal(String),
    #[error("journal {0} is inactive")]
    InactiveJournal(String),
    #[error("unknown third party {0}")]
    UnknownParty(String),
    #[error("third party {0} is inactive")]
    InactiveParty(String),
    #[error("account {account} needs a third party (line {line})")]
    ThirdPartyRequired { account: String, line: usize },
    #[error("{date} is outside every open fiscal year")]
    NoOpenYear { date: NaiveDate },
    #[error("fiscal year {0} is closed: it accepts nothing and cannot be reopened")]
    YearClosed(String),
    #[error("period {0} is locked")]
    PeriodLocked(String),
    #[error("no entry {0}")]
    EntryNotFound(String),
    #[error("entry {0} is validated: it cannot be changed or deleted (reverse it instead)")]
    EntryValidated(String),
    #[error("entry {0} is a draft: only validated entries are reversed (edit or delete it)")]
    EntryIsDraft(String),
    #[error("entry {entry} is already reversed by {reversal}")]
    AlreadyReversed { entry: String, reversal: String },
    #[error("fiscal year {year} still has {count} draft entries: validate or delete them first")]
    DraftsRemain { year: String, count: usize },
    #[error("period {period} still has {count} draft entries: validate or delete them first")]
    DraftsInPeriod { period: String, count: usize },
    #[error("{what} {key} already exists")]
    Duplicate { what: &'static str, key: String },
    #[error("piece {piece} already exists in journal {journal} (use --allow-existing-pieces)")]
    PieceExists { journal: String, piece: String },
    #[error("no fiscal year {0}")]
    UnknownYear(String),
    #[error("{file}:{line}: {field}: {reason}")]
    AtLine {
        file: String,
        line: u64,
        field: String,
        reason: String,
    },
    #[error("cancelled: nothing was written")]
    Cancelled,
}

impl LedgerError {
    /// The input field a rule is about, for `file:line: field: reason` messages.
    pub fn field(&self) -> &str {
        match self {
            LedgerError::Invalid { field, .. } => field,
            LedgerError::UnknownAccount(_) | LedgerError::InactiveAccount(_) => "account",
            LedgerError::UnknownJournal(_) | LedgerError::InactiveJournal(_) => "journal",
            LedgerError::UnknownParty(_)
            | LedgerError::InactiveParty(_)
            | LedgerError::ThirdPartyRequired { .. } => "third_party",
            LedgerError::NoOpenYear { .. }
            | LedgerError::YearClosed(_)
            | LedgerError::PeriodLocked(_) => "date",
            LedgerError::PieceExists { .. } => "piece",
            LedgerError::Rule(EntryRuleError::Unbalanced { .. }) => "debit/credit",
            LedgerError::Rule(EntryRuleError::BadSides { .. }) => "debit/credit",
            LedgerError::Rule(EntryRuleError::TotalTooLarge { side, .. }) => side,
            LedgerError::Rule(EntryRuleError::TextTooLong { field }) => field,
            _ => "entry",
        }
    }

    /// Places this error at a line of a file when there is one.
    pub fn at_line_if(self, file: Option<&str>, line: u64) -> LedgerError {
        match file {
            Some(file) => self.at_line(file, line),
            None => self,
        }
    }

    /// Places this error at a line of an input file.
    pub fn at_line(self, file: &str, line: u64) -> LedgerError {
        match self {
            LedgerError::AtLine { .. } | LedgerError::Storage(_) | LedgerError::Corrupt(_) => self,
            other => LedgerError::AtLine {
                file: file.to_string(),
                line,
                field: other.field().to_string(),
                reason: match other {
                    LedgerError::Invalid { reason, .. } => reason,
                    other => other.to_string(),
                },
            },
        }
    }
}

macro_rules! storage_errors {
    ($($t:ty),*) => {
        $(impl From<$t> for LedgerError {
            fn from(err: $t) -> Self {
                LedgerError::Storage(err.to_string())
            }
        })*
    };
}

storage_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

pub type Result<T, E = LedgerError> = std::result::Result<T, E>;
