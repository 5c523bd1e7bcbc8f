//! Everything a ledger command can refuse, one variant per rule.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::model::entry::EntryRuleError;
use crate::model::text::echo;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger file {0} does not exist (create one with `folio init` or `folio demo`)")]
    NotFound(PathBuf),
    #[error("{0} is not a Folio ledger")]
    NotALedger(PathBuf),
    #[error(
        "{0} is read-only: this command changes the ledger (read commands such as reports, \
         lists and exports still work)"
    )]
    ReadOnly(PathBuf),
    #[error("{0}: permission denied (ask for access to the file)")]
    PermissionDenied(PathBuf),
    #[error(
        "{0} is locked by another process that opened it exclusively (try again when it is done)"
    )]
    Locked(PathBuf),
    #[error(
        "{0} was not closed cleanly and needs recovery, which needs write access: open it once \
         as a user who may write it (any command that changes it, or the interface)"
    )]
    NeedsRecovery(PathBuf),
    #[error(
        "{0} was written by an older Folio and must be upgraded once by a user who may write it"
    )]
    NeedsMigration(PathBuf),
    #[error(
        "{path} was written by a newer Folio (schema {found}; this Folio reads up to {supported})"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{path} uses storage format {version}, which this Folio cannot read")]
    StorageFormat { path: PathBuf, version: u8 },
    #[error("{0} already exists: refusing to overwrite it")]
    AlreadyExists(PathBuf),
    #[error("the ledger file is corrupt: {0}")]
    Corrupt(String),
    #[error("{what} is too large: the sum overflows the amounts Folio can hold")]
    AmountOverflow { what: String },
    #[error("storage error: {0}")]
    Storage(String),
    #[error(transparent)]
    Rule(#[from] EntryRuleError),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("unknown account {}", echo(.0))]
    UnknownAccount(String),
    #[error("account {} is inactive", echo(.0))]
    InactiveAccount(String),
    #[error("unknown journal {}", echo(.0))]
    UnknownJournal(String),
    #[error("journal {} is inactive", echo(.0))]
    InactiveJournal(String),
    #[error("unknown third party {}", echo(.0))]
    UnknownParty(String),
    #[error("third party {} is inactive", echo(.0))]
    InactiveParty(String),
    #[error("account {} needs a third party (line {line})", echo(.account))]
    ThirdPartyRequired { account: String, line: usize },
    #[error("{date} is outside every open fiscal year")]
    NoOpenYear { date: NaiveDate },
    #[error("fiscal year {} is closed: it accepts nothing and cannot be reopened", echo(.0))]
    YearClosed(String),
    #[error(
        "fiscal year {} ends on {end}: it cannot be closed before its last day (today is {today}), and a closed year cannot be reopened",
        echo(year)
    )]
    YearNotEnded {
        year: String,
        end: NaiveDate,
        today: NaiveDate,
    },
    #[error("period {} is locked", echo(.0))]
    PeriodLocked(String),
    #[error("no entry {}", echo(.0))]
    EntryNotFound(String),
    #[error("entry {} is validated: it cannot be changed or deleted (reverse it instead)", echo(.0))]
    EntryValidated(String),
    #[error("entry {} is a draft: only validated entries are reversed (edit or delete it)", echo(.0))]
    EntryIsDraft(String),
    #[error("entry {entry} is already reversed by {reversal}")]
    AlreadyReversed { entry: String, reversal: String },
    #[error("fiscal year {year} still has {count} draft entries: validate or delete them first")]
    DraftsRemain { year: String, count: usize },
    #[error("period {period} still has {count} draft entries: validate or delete them first")]
    DraftsInPeriod { period: String, count: usize },
    #[error("{what} {} already exists", echo(.key))]
    Duplicate { what: &'static str, key: String },
    #[error("piece {} already exists in journal {} (use --allow-existing-pieces)", echo(.piece), echo(.journal))]
    PieceExists { journal: String, piece: String },
    #[error("no fiscal year {}", echo(.0))]
    UnknownYear(String),
    #[error("{file}:{line}: {}: {reason}", echo(.field))]
    AtLine {
        file: String,
        line: u64,
        field: String,
        reason: String,
    },
    #[error("cancelled: nothing was written")]
    Cancelled,
    #[error(
        "draft {entry} was changed by {by} at {at} after you opened it (revision {found}, yours {expected}): reload it and redo your change"
    )]
    StaleRevision {
        entry: String,
        expected: u64,
        found: u64,
        by: String,
        at: String,
    },
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

/// A storage error as the user must read it: a file that ends before what its pages describe,
/// or whose pages do not check, is corrupt (a damaged or truncated copy), not a passing failure.
fn storage_error(err: redb::Error) -> LedgerError {
    match err {
        redb::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            LedgerError::Corrupt(format!("the file is truncated ({io})"))
        }
        redb::Error::Corrupted(reason) => LedgerError::Corrupt(reason),
        other => LedgerError::Storage(other.to_string()),
    }
}

macro_rules! storage_errors {
    ($($t:ty),*) => {
        $(impl From<$t> for LedgerError {
            fn from(err: $t) -> Self {
                storage_error(redb::Error::from(err))
            }
        })*
    };
}

storage_errors!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<redb::Error> for LedgerError {
    fn from(err: redb::Error) -> Self {
        storage_error(err)
    }
}

impl From<redb::CursorError> for LedgerError {
    fn from(err: redb::CursorError) -> Self {
        LedgerError::Storage(err.to_string())
    }
}

pub type Result<T, E = LedgerError> = std::result::Result<T, E>;

/// `total + value` in cents, an error instead of a wrapped figure.
pub(crate) fn add_cents(total: i64, value: i64, what: &str) -> Result<i64, LedgerError> {
    total
        .checked_add(value)
        .ok_or_else(|| LedgerError::AmountOverflow {
            what: what.to_string(),
        })
}

/// `total - value` in cents, an error instead of a wrapped figure.
pub(crate) fn sub_cents(total: i64, value: i64, what: &str) -> Result<i64, LedgerError> {
    total
        .checked_sub(value)
        .ok_or_else(|| LedgerError::AmountOverflow {
            what: what.to_string(),
        })
}

#[cfg(test)]
mod cents_tests {
    use super::*;

    #[test]
    fn an_overflowing_sum_is_an_error_not_a_wrapped_total() {
        assert_eq!(add_cents(1, 2, "balance").unwrap(), 3);
        let err = add_cents(i64::MAX, 1, "balance of 411").unwrap_err();
        assert!(matches!(err, LedgerError::AmountOverflow { .. }));
        assert!(err.to_string().contains("balance of 411 is too large"));
        assert!(sub_cents(i64::MIN, 1, "balance").is_err());
        assert_eq!(sub_cents(0, i64::MAX, "balance").unwrap(), -i64::MAX);
    }
}
