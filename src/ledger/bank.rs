//! Bank statements and reconciliation marks.
//!
//! Statements are imported whole (all or nothing) onto the treasury account of a bank journal:
//! one row per statement, one per bank line, and a duplicate-key index per treasury account so
//! that importing the same file twice, or two overlapping exports, adds no line twice.
//!
//! Reconciliation marks live beside the entries (DESIGN §3: they are not part of them): a bank
//! line points to the book lines it matches (on the same treasury account, summing to its
//! amount) and each book line to its bank line, so that one book line is never matched twice.
//! Marks may change after validation and in locked periods, never in a closed year; each change
//! is audited.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::commands::{clean_input, new_entry};
use super::error::{LedgerError, Result};
use super::store::{Tx, View, day};
use super::tables::{Bytes, ENTRIES, LINES_BY_ACCOUNT};
use super::{Ctx, Ledger};
use crate::formats::bank::{AccountId, Statement};
use crate::lettering::LineRef;
use crate::model::settings::{EntryLanding, Settings};
use crate::model::text::echo;
use crate::model::{AccountNumber, Amount, Entry, EntryId, EntryInput, Journal, JournalKind, Line};

// ----- tables --------------------------------------------------------------------------------

/// Journal code -> the bank details of its account (IBAN, RIB): how statements find their
/// treasury account. Kept beside the journal so that journals keep their stored shape.
pub const BANK_DETAILS: TableDefinition<&str, Bytes> = TableDefinition::new("bank_details");
/// Statement id (1..) -> statement.
pub const STATEMENTS: TableDefinition<u64, Bytes> = TableDefinition::new("bank_statements");
/// (statement, line from 1) -> bank line.
pub const BANK_LINES: TableDefinition<(u64, u32), Bytes> = TableDefinition::new("bank_lines");
/// (treasury account, duplicate key) -> bank line: the bank's reference when it gives one,
/// else date, amount, label and occurrence rank.
pub const BANK_LINE_KEYS: TableDefinition<(&str, &str), (u64, u32)> =
    TableDefinition::new("bank_line_keys");
/// Bank line -> its reconciliation (the book lines it matches).
pub const BANK_MARKS: TableDefinition<(u64, u32), Bytes> = TableDefinition::new("bank_marks");
/// (entry, line) -> the bank line it is reconciled with.
pub const BOOK_MARKS: TableDefinition<(u64, u32), (u64, u32)> = TableDefinition::new("book_marks");

/// The most lines one statement file may add (far above a year of any real account).
pub const MAX_IMPORT_LINES: usize = 5_000_000;
/// The most book lines one bank line may be reconciled with (a large SEPA batch).
pub const MAX_MARK_LINES: usize = 10_000;

// ----- public types --------------------------------------------------------------------------

/// French bank details without the key: bank code, branch code, account number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RibNumbers {
    pub bank: String,
    pub branch: String,
    pub account: String,
}

impl fmt::Display for RibNumbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.bank, self.branch, self.account)
    }
}

/// The bank account behind a bank journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankDetails {
    /// Without spaces, in capitals, checked (ISO 13616, mod 97).
    pub iban: Option<String>,
    /// Derived from a French IBAN, or given on its own.
    pub rib: Option<RibNumbers>,
    /// Another account number as a statement gives it (an MT940 `:25:` that is no IBAN, a
    /// card number in an OFX credit-card statement).
    pub number: Option<String>,
}

impl BankDetails {
    /// Details from an IBAN: checked, the RIB derived when it is French.
    pub fn from_iban(text: &str) -> Result<BankDetails> {
        let iban: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if !crate::model::party::is_valid_iban(&iban) {
            return Err(LedgerError::Invalid {
                field: "iban",
                reason: format!("{} is not a valid IBAN (its check digits fail)", echo(text)),
            });
        }
        let rib = rib_of_french_iban(&iban);
        Ok(BankDetails {
            iban: Some(iban),
            rib,
            number: None,
        })
    }

    /// Details from another account number, as statements write it (a card number of an OFX
    /// credit-card statement, an MT940 `:25:` that is no IBAN): spaces removed, 1 to 34 letters,
    /// digits or `*` / `X` masks, in capitals.
    pub fn from_number(text: &str) -> Result<BankDetails> {
        let number: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if number.is_empty()
            || number.chars().count() > 34
            || !number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '/' | '.'))
        {
            return Err(LedgerError::Invalid {
                field: "number",
                reason: format!(
                    "{} is not an account number: 1 to 34 letters, digits, `*`, `-`, `/` or `.`",
                    echo(text)
                ),
            });
        }
        Ok(BankDetails {
            iban: None,
            rib: None,
            number: Some(number),
        })
    }

    /// Details from a French RIB `BANK BRANCH ACCOUNT [KEY]` (5, 5 and 11 characters, the
    /// 2-digit key checked when given).
    pub fn from_rib(text: &str) -> Result<BankDetails> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        let invalid = |reason: String| LedgerError::Invalid {
            field: "rib",
            reason,
        };
        let (bank, branch, account, key) = match parts.as_slice() {
            [bank, branch, account] => (*bank, *branch, *account, None),
            [bank, branch, account, key] => (*bank, *branch, *account, Some(*key)),
            _ => {
                return Err(invalid(format!(
                    "{} is not a RIB: expected BANK BRANCH ACCOUNT [KEY], e.g. 30006 00001 12345678901 89",
                    echo(text)
                )));
            }
        };
        let shaped = bank.len() == 5
            && branch.len() == 5
            && account.len() == 11
            && bank.bytes().all(|b| b.is_ascii_digit())
            && branch.bytes().all(|b| b.is_ascii_digit())
            && account.bytes().all(|b| b.is_ascii_alphanumeric());
        if !shaped {
            return Err(invalid(format!(
                "{} is not a RIB: the bank and branch codes have 5 digits, the account 11 characters",
                echo(text)
            )));
        }
        let account = account.to_ascii_uppercase();
        if let Some(key) = key {
            let expected = rib_key(bank, branch, &account);
            if key.parse::<u32>().ok() != Some(expected) {
                return Err(invalid(format!(
                    "the key of RIB {} is {}, not {}",
                    echo(text),
                    format_args!("{expected:02}"),
                    echo(key)
                )));
            }
        }
        Ok(BankDetails {
            iban: None,
            rib: Some(RibNumbers {
                bank: bank.to_string(),
                branch: branch.to_string(),
                account,
            }),
            number: None,
        })
    }

    /// Whether a statement's account is this one.
    pub fn matches(&self, id: &AccountId) -> bool {
        if let (Some(mine), Some(theirs)) = (&self.iban, &id.iban)
            && mine == theirs
        {
            return true;
        }
        if let (Some(mine), Some(theirs)) = (&self.rib, &id.rib)
            && mine.bank == theirs.bank
            && mine.branch == theirs.branch
            && mine.account.eq_ignore_ascii_case(&theirs.account)
        {
            return true;
        }
        let compact = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase()
        };
        matches!((&self.number, &id.number), (Some(mine), Some(theirs)) if compact(mine) == compact(theirs))
    }

    /// The details a statement gives of its account.
    pub fn of_statement(id: &AccountId) -> BankDetails {
        BankDetails {
            iban: id.iban.clone(),
            rib: id
                .rib
                .as_ref()
                .map(|rib| RibNumbers {
                    bank: rib.bank.clone(),
                    branch: rib.branch.clone(),
                    account: rib.account.to_ascii_uppercase(),
                })
                .or_else(|| id.iban.as_deref().and_then(rib_of_french_iban)),
            number: id.number.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.iban.is_none() && self.rib.is_none() && self.number.is_none()
    }

    /// The IBAN, else the RIB, else the number.
    pub fn display(&self) -> String {
        if let Some(iban) = &self.iban {
            iban.clone()
        } else if let Some(rib) = &self.rib {
            rib.to_string()
        } else {
            self.number.clone().unwrap_or_default()
        }
    }
}

fn rib_of_french_iban(iban: &str) -> Option<RibNumbers> {
    if iban.len() != 27 || !iban.starts_with("FR") {
        return None;
    }
    Some(RibNumbers {
        bank: iban.get(4..9)?.to_string(),
        branch: iban.get(9..14)?.to_string(),
        account: iban.get(14..25)?.to_string(),
    })
}

#[allow(clippy::arithmetic_side_effects)] // Small bounded numbers: every step is reduced mod 97.
/// The RIB key: 97 - (89 bank + 15 branch + 3 account) mod 97, letters of the account
/// replaced by digits as the French banks define.
fn rib_key(bank: &str, branch: &str, account: &str) -> u32 {
    let digit = |c: char| -> u64 {
        match c {
            '0'..='9' => u64::from(c as u8 - b'0'),
            'A' | 'J' => 1,
            'B' | 'K' | 'S' => 2,
            'C' | 'L' | 'T' => 3,
            'D' | 'M' | 'U' => 4,
            'E' | 'N' | 'V' => 5,
            'F' | 'O' | 'W' => 6,
            'G' | 'P' | 'X' => 7,
            'H' | 'Q' | 'Y' => 8,
            'I' | 'R' | 'Z' => 9,
            _ => 0,
        }
    };
    let number =
        |text: &str| -> u64 { text.chars().fold(0u64, |acc, c| (acc * 10 + digit(c)) % 97) };
    let total = (89 * number(bank) + 15 * number(branch) + 3 * number(account)) % 97;
    (97 - total) as u32
}

/// A bank line as commands name it: `4/12` (statement 4, its 12th line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BankLineId {
    pub statement: u64,
    /// Counted from 1.
    pub line: u32,
}

impl fmt::Display for BankLineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.statement, self.line)
    }
}

impl std::str::FromStr for BankLineId {
    type Err = LedgerError;

    fn from_str(text: &str) -> Result<Self> {
        let parsed = text.trim().split_once('/').and_then(|(s, l)| {
            let statement: u64 = s.parse().ok().filter(|n| *n >= 1)?;
            let line: u32 = l.parse().ok().filter(|n| *n >= 1)?;
            Some(BankLineId { statement, line })
        });
        parsed.ok_or_else(|| LedgerError::Invalid {
            field: "bank line",
            reason: format!(
                "{} is not a bank line: expected STATEMENT/LINE, e.g. 4/12",
                echo(text)
            ),
        })
    }
}

impl BankLineId {
    fn key(self) -> (u64, u32) {
        (self.statement, self.line)
    }
}

/// Where a bank line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankLineStatus {
    Unreconciled,
    Reconciled,
    /// Posted to the suspense account (471) and reconciled with that entry.
    Suspense,
}

impl BankLineStatus {
    pub fn name(self) -> &'static str {
        match self {
            BankLineStatus::Unreconciled => "unreconciled",
            BankLineStatus::Reconciled => "reconciled",
            BankLineStatus::Suspense => "suspense",
        }
    }
}

/// How a reconciliation came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// Matched with lines already in the books.
    Matched,
    /// The entry was posted from the bank line.
    Posted,
    /// The entry was posted from the bank line to the suspense account.
    Suspense,
}

impl MarkKind {
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Matched => "matched",
            MarkKind::Posted => "posted",
            MarkKind::Suspense => "suspense",
        }
    }
}

/// A bank line's reconciliation: the book lines it matches, who did it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub book_lines: Vec<LineRef>,
    pub kind: MarkKind,
    pub user: String,
    pub date: NaiveDate,
}

/// A stored statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementRecord {
    pub id: u64,
    /// The treasury account (512000).
    pub account: AccountNumber,
    /// The bank account as the file names it (IBAN, RIB, number).
    pub bank_account: String,
    /// The bank's statement id.
    pub bank_id: String,
    pub period: (NaiveDate, NaiveDate),
    /// Opening balance of the lines stored (the file's, plus lines an earlier import already
    /// holds); opening plus lines equals closing.
    pub opening: Amount,
    pub closing: Amount,
    /// Whether the file gave the balances (OFX gives only the closing one, CSV none: the
    /// missing one is computed from the lines, or from the previous statement).
    pub balances_given: bool,
    /// `cfonb120`, `camt053`, `ofx`, `mt940`, `csv`.
    pub format: String,
    /// The file's name as given to the import.
    pub file: String,
    pub imported_at: NaiveDateTime,
    pub imported_by: String,
    /// Lines stored.
    pub lines: u32,
    /// Difference with the previous statement's closing balance, acknowledged at import.
    pub gap: Option<Amount>,
}

/// A statement with its reconciliation progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementInfo {
    #[serde(flatten)]
    pub record: StatementRecord,
    /// Lines reconciled or in suspense.
    pub reconciled: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredLine {
    account: AccountNumber,
    booking_date: NaiveDate,
    value_date: Option<NaiveDate>,
    amount: Amount,
    label: String,
    reference: Option<String>,
    counterparty_name: Option<String>,
    counterparty_iban: Option<String>,
    end_to_end_id: Option<String>,
    remittance: Option<String>,
    status: BankLineStatus,
}

/// One line of a stored statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankLine {
    pub id: BankLineId,
    /// The treasury account of its statement.
    pub account: AccountNumber,
    pub booking_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    /// Signed: a credit to the company's account (money in) is positive.
    pub amount: Amount,
    pub label: String,
    pub reference: Option<String>,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub end_to_end_id: Option<String>,
    pub remittance: Option<String>,
    pub status: BankLineStatus,
}

impl BankLine {
    fn from_stored(id: BankLineId, line: StoredLine) -> BankLine {
        BankLine {
            id,
            account: line.account,
            booking_date: line.booking_date,
            value_date: line.value_date,
            amount: line.amount,
            label: line.label,
            reference: line.reference,
            counterparty_name: line.counterparty_name,
            counterparty_iban: line.counterparty_iban,
            end_to_end_id: line.end_to_end_id,
            remittance: line.remittance,
            status: line.status,
        }
    }
}

/// Which bank lines to list.
#[derive(Debug, Clone, Default)]
pub struct BankLineFilter {
    pub account: Option<AccountNumber>,
    pub statement: Option<u64>,
    /// Only lines not reconciled (suspense lines are reconciled with their 471 entry).
    pub unreconciled: bool,
}

/// A line of the books on a treasury account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookLine {
    pub at: LineRef,
    /// `BQ2026-000012/1` (or `#42/1` for a draft): how commands name it.
    pub name: String,
    pub entry_reference: String,
    pub journal: String,
    pub date: NaiveDate,
    pub piece: String,
    pub label: String,
    pub party: Option<String>,
    /// Debit minus credit: money in is positive, like a bank line's amount.
    pub amount: Amount,
    pub validated: bool,
}

/// What `import_statements` reads: statements parsed by `formats::bank`.
#[derive(Debug, Clone)]
pub struct StatementImport {
    /// The file's name, kept with each statement and shown in messages.
    pub file: String,
    /// The format's name (`cfonb120`, `camt053`, `ofx`, `mt940`, `csv`).
    pub format: String,
    pub statements: Vec<Statement>,
    /// Registers the file's single bank account on this treasury account (`--account`).
    pub account: Option<AccountNumber>,
    /// Accepts a statement whose opening balance does not follow the previous statement's
    /// closing balance, recording the gap in the audit log.
    pub allow_gap: bool,
}

/// One statement of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedStatement {
    /// The stored statement; `None` when every line was already there (nothing stored).
    pub id: Option<u64>,
    pub account: AccountNumber,
    pub bank_id: String,
    pub period: (NaiveDate, NaiveDate),
    pub lines_added: u64,
    pub lines_skipped: u64,
    pub gap: Option<Amount>,
}

/// What `import_statements` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatementImportSummary {
    pub statements: Vec<ImportedStatement>,
    pub lines_added: u64,
    /// Lines already imported (same reference, or same date, amount, label and rank).
    pub lines_skipped: u64,
    /// Bank details registered on a journal by `--account`: (journal, details shown).
    pub registered: Option<(String, String)>,
}

/// A bank line sent to suspense.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuspenseItem {
    pub line: BankLine,
    /// The 471 line of the entry posted.
    pub book_line: BookLine,
    /// Days since the bank line's booking date.
    pub age_days: i64,
    /// Whether the suspense line has since been lettered (cleared).
    pub cleared: bool,
}

/// The bank reconciliation statement ("état de rapprochement") of an account at a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankReport {
    pub account: AccountNumber,
    pub at: NaiveDate,
    /// Balance of the account in the books at `at` (debit minus credit).
    pub book_balance: Amount,
    /// Closing balance of the last statement ending on or before `at` (zero without one).
    pub bank_balance: Amount,
    pub last_statement: Option<u64>,
    pub last_statement_end: Option<NaiveDate>,
    /// Book lines up to `at` not reconciled with a bank line of those statements (cheques
    /// issued not yet cashed...).
    pub book_only: Vec<BookLine>,
    /// Bank lines of those statements not reconciled with book lines up to `at`.
    pub bank_only: Vec<BankLine>,
    /// The part of the bank balance no statement line explains: the first statement's opening
    /// balance and acknowledged gaps.
    pub carried: Amount,
    /// book balance - book-only lines + bank-only lines + carried - bank balance: zero when
    /// the difference is explained to the cent.
    pub unexplained: Amount,
}

// ----- errors --------------------------------------------------------------------------------

fn invalid(field: &'static str, reason: impl Into<String>) -> LedgerError {
    LedgerError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// An error about one statement of an import: `FILE:LINE: FIELD: reason`.
fn at_line(
    import: &StatementImport,
    statement: &Statement,
    field: &str,
    reason: String,
) -> LedgerError {
    LedgerError::AtLine {
        file: import.file.clone(),
        line: statement.source_line,
        field: field.to_string(),
        reason,
    }
}

fn overflow(what: &str) -> LedgerError {
    LedgerError::AmountOverflow { what: what.into() }
}

fn add(a: Amount, b: Amount, what: &str) -> Result<Amount> {
    a.checked_add(b).ok_or_else(|| overflow(what))
}

fn sub(a: Amount, b: Amount, what: &str) -> Result<Amount> {
    a.checked_sub(b).ok_or_else(|| overflow(what))
}

// ----- bank details on journals --------------------------------------------------------------

/// The bank details of every journal that has some.
pub(super) fn all_details(tx: &Tx<'_>) -> Result<Vec<(String, BankDetails)>> {
    let table = tx.txn.open_table(BANK_DETAILS)?;
    let mut out = Vec::new();
    for item in table.range::<&str>(..)? {
        let (k, v) = item?;
        out.push((k.value().to_string(), decode(v.value(), "bank details")?));
    }
    Ok(out)
}

/// Sets (or with `None` removes) a journal's bank details inside a command's transaction:
/// the journal must post to a treasury account, and no other journal may have the same
/// account.
pub(super) fn put_details(
    tx: &mut Tx<'_>,
    journal: &Journal,
    details: Option<&BankDetails>,
) -> Result<()> {
    let mut table = tx.txn.open_table(BANK_DETAILS)?;
    let Some(details) = details else {
        table.remove(journal.code.as_str())?;
        return Ok(());
    };
    if journal.treasury_account.is_none() {
        return Err(invalid(
            "iban",
            format!(
                "journal {} has no treasury account: bank details go on a bank journal",
                journal.code
            ),
        ));
    }
    drop(table);
    for (code, other) in all_details(tx)? {
        if code != journal.code && same_account(&other, details) {
            return Err(invalid(
                "iban",
                format!(
                    "bank account {} is already the account of journal {code}",
                    details.display()
                ),
            ));
        }
    }
    let mut table = tx.txn.open_table(BANK_DETAILS)?;
    table.insert(journal.code.as_str(), encode(details)?.as_slice())?;
    Ok(())
}

fn same_account(a: &BankDetails, b: &BankDetails) -> bool {
    let id = AccountId {
        iban: b.iban.clone(),
        rib: b.rib.as_ref().map(|r| crate::formats::bank::Rib {
            bank: r.bank.clone(),
            branch: r.branch.clone(),
            account: r.account.clone(),
        }),
        number: b.number.clone(),
    };
    a.matches(&id)
}

impl Ledger {
    /// Bank details by journal code.
    pub fn bank_details(&self) -> Result<BTreeMap<String, BankDetails>> {
        let view = self.read()?;
        let mut out = BTreeMap::new();
        if let Some(table) = view.table_if_exists(BANK_DETAILS)? {
            for item in table.range::<&str>(..)? {
                let (k, v) = item?;
                out.insert(k.value().to_string(), decode(v.value(), "bank details")?);
            }
        }
        Ok(out)
    }

    /// Sets or clears the bank details of a journal (`journals edit --iban`).
    pub fn set_bank_details(
        &self,
        ctx: &Ctx,
        code: &str,
        details: Option<&BankDetails>,
    ) -> Result<()> {
        self.write(ctx, |tx| {
            let journal = tx.journal(code)?;
            put_details(tx, &journal, details)?;
            tx.audit(
                ctx,
                "journal.bank",
                vec![format!("journal:{code}")],
                match details {
                    Some(d) => format!("set the bank account of journal {code}: {}", d.display()),
                    None => format!("removed the bank account of journal {code}"),
                },
            )
        })
    }
}

// ----- reading -------------------------------------------------------------------------------

fn statement_of(table: &impl ReadableTable<u64, Bytes>, id: u64) -> Result<StatementRecord> {
    match table.get(id)? {
        Some(v) => decode(v.value(), "bank statement"),
        None => Err(invalid("statement", format!("no statement {id}"))),
    }
}

fn stored_line(
    table: &impl ReadableTable<(u64, u32), Bytes>,
    id: BankLineId,
) -> Result<StoredLine> {
    match table.get(id.key())? {
        Some(v) => decode(v.value(), "bank line"),
        None => Err(invalid("bank line", format!("no bank line {id}"))),
    }
}

fn mark_of(
    table: &impl ReadableTable<(u64, u32), Bytes>,
    id: BankLineId,
) -> Result<Option<Reconciliation>> {
    match table.get(id.key())? {
        Some(v) => Ok(Some(decode(v.value(), "reconciliation")?)),
        None => Ok(None),
    }
}

fn all_statements(table: &impl ReadableTable<u64, Bytes>) -> Result<Vec<StatementRecord>> {
    let mut out = Vec::new();
    for item in table.range::<u64>(..)? {
        out.push(decode(item?.1.value(), "bank statement")?);
    }
    Ok(out)
}

fn lines_of(
    table: &impl ReadableTable<(u64, u32), Bytes>,
    statement: u64,
    out: &mut Vec<BankLine>,
    unreconciled: bool,
) -> Result<()> {
    for item in table.range((statement, 0u32)..=(statement, u32::MAX))? {
        let (k, v) = item?;
        let (s, l) = k.value();
        let line: StoredLine = decode(v.value(), "bank line")?;
        if unreconciled && line.status != BankLineStatus::Unreconciled {
            continue;
        }
        out.push(BankLine::from_stored(
            BankLineId {
                statement: s,
                line: l,
            },
            line,
        ));
    }
    Ok(())
}

/// A book line's description, from its entry.
fn book_line(entry: &Entry, at: LineRef) -> Option<BookLine> {
    let line = entry.lines.get(at.line as usize)?;
    Some(BookLine {
        at,
        name: format!("{}/{}", entry.reference(), at.line.saturating_add(1)),
        entry_reference: entry.reference(),
        journal: entry.journal.clone(),
        date: entry.date,
        piece: entry.piece.clone(),
        label: entry.line_label(line).to_string(),
        party: line.third_party.clone(),
        amount: line.signed(),
        validated: entry.is_validated(),
    })
}

impl Ledger {
    /// Statements, of one treasury account or all, in id order.
    pub fn statements(&self, account: Option<&AccountNumber>) -> Result<Vec<StatementInfo>> {
        let view = self.read()?;
        let (Some(statements), Some(lines)) = (
            view.table_if_exists(STATEMENTS)?,
            view.table_if_exists(BANK_LINES)?,
        ) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for record in all_statements(&statements)? {
            if account.is_some_and(|a| *a != record.account) {
                continue;
            }
            let mut reconciled = 0u32;
            for item in lines.range((record.id, 0u32)..=(record.id, u32::MAX))? {
                let line: StoredLine = decode(item?.1.value(), "bank line")?;
                if line.status != BankLineStatus::Unreconciled {
                    reconciled = reconciled.saturating_add(1);
                }
            }
            out.push(StatementInfo { record, reconciled });
        }
        Ok(out)
    }

    /// Bank lines in statement and line order.
    pub fn bank_lines(&self, filter: &BankLineFilter) -> Result<Vec<BankLine>> {
        let view = self.read()?;
        let (Some(statements), Some(lines)) = (
            view.table_if_exists(STATEMENTS)?,
            view.table_if_exists(BANK_LINES)?,
        ) else {
            if let Some(id) = filter.statement {
                return Err(invalid("statement", format!("no statement {id}")));
            }
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if let Some(id) = filter.statement {
            let record = statement_of(&statements, id)?;
            if filter.account.as_ref().is_none_or(|a| *a == record.account) {
                lines_of(&lines, id, &mut out, filter.unreconciled)?;
            }
            return Ok(out);
        }
        for record in all_statements(&statements)? {
            if filter
                .account
                .as_ref()
                .is_some_and(|a| *a != record.account)
            {
                continue;
            }
            lines_of(&lines, record.id, &mut out, filter.unreconciled)?;
        }
        Ok(out)
    }

    /// One bank line.
    pub fn bank_line(&self, id: BankLineId) -> Result<BankLine> {
        let view = self.read()?;
        let Some(lines) = view.table_if_exists(BANK_LINES)? else {
            return Err(invalid("bank line", format!("no bank line {id}")));
        };
        Ok(BankLine::from_stored(id, stored_line(&lines, id)?))
    }

    /// One stored statement.
    pub fn statement(&self, id: u64) -> Result<StatementRecord> {
        let view = self.read()?;
        let Some(statements) = view.table_if_exists(STATEMENTS)? else {
            return Err(invalid("statement", format!("no statement {id}")));
        };
        statement_of(&statements, id)
    }

    /// A bank line's reconciliation, if it has one.
    pub fn reconciliation(&self, id: BankLineId) -> Result<Option<Reconciliation>> {
        let view = self.read()?;
        match view.table_if_exists(BANK_MARKS)? {
            Some(marks) => mark_of(&marks, id),
            None => Ok(None),
        }
    }

    /// The bank line a book line is reconciled with.
    pub fn bank_line_of(&self, at: LineRef) -> Result<Option<BankLineId>> {
        let view = self.read()?;
        match view.table_if_exists(BOOK_MARKS)? {
            Some(table) => Ok(table.get((at.entry, at.line))?.map(|v| {
                let (statement, line) = v.value();
                BankLineId { statement, line }
            })),
            None => Ok(None),
        }
    }

    /// Lines of the books on a treasury account (validated and draft entries) that no bank
    /// line is reconciled with, by date.
    pub fn unreconciled_book_lines(&self, account: &AccountNumber) -> Result<Vec<BookLine>> {
        let view = self.read()?;
        let marks = view.table_if_exists(BOOK_MARKS)?;
        book_lines_of(&view, account, None, |at| match &marks {
            Some(marks) => Ok(marks.get((at.entry, at.line))?.is_none()),
            None => Ok(true),
        })
    }

    /// The suspense list: bank lines posted to the suspense account, oldest first, with their
    /// age on `today`.
    pub fn suspense_lines(&self, today: NaiveDate) -> Result<Vec<SuspenseItem>> {
        let view = self.read()?;
        let (Some(statements), Some(lines), Some(marks)) = (
            view.table_if_exists(STATEMENTS)?,
            view.table_if_exists(BANK_LINES)?,
            view.table_if_exists(BANK_MARKS)?,
        ) else {
            return Ok(Vec::new());
        };
        let lettering = view.table(super::tables::LETTERING)?;
        let mut out = Vec::new();
        for record in all_statements(&statements)? {
            let mut found = Vec::new();
            lines_of(&lines, record.id, &mut found, false)?;
            for line in found {
                if line.status != BankLineStatus::Suspense {
                    continue;
                }
                let Some(mark) = mark_of(&marks, line.id)? else {
                    continue;
                };
                let Some(at) = mark.book_lines.first() else {
                    continue;
                };
                let Some(entry) = view.entry_opt(at.entry)? else {
                    continue;
                };
                // The suspense side is the entry's other line.
                let other = LineRef {
                    entry: at.entry,
                    line: if at.line == 0 { 1 } else { 0 },
                };
                let Some(book) = book_line(&entry, other) else {
                    continue;
                };
                let cleared = lettering.get((other.entry, other.line))?.is_some();
                out.push(SuspenseItem {
                    age_days: today.signed_duration_since(line.booking_date).num_days(),
                    line,
                    book_line: book,
                    cleared,
                });
            }
        }
        out.sort_by_key(|item| (item.line.booking_date, item.line.id));
        Ok(out)
    }

    /// The bank reconciliation statement of `account` at `at`.
    pub fn bank_report(&self, account: &AccountNumber, at: NaiveDate) -> Result<BankReport> {
        let view = self.read()?;
        self.account(account)?;
        let since = super::queries::carry_start(&view.years()?, at);
        let mut in_scope: Vec<StatementRecord> = match view.table_if_exists(STATEMENTS)? {
            Some(table) => all_statements(&table)?
                .into_iter()
                .filter(|s| s.account == *account && s.period.1 <= at)
                .collect(),
            None => Vec::new(),
        };
        in_scope.sort_by_key(|s| (s.period.1, s.id));
        let last = in_scope.last().cloned();
        let bank_balance = last.as_ref().map_or(Amount::ZERO, |s| s.closing);
        // Bank lines of those statements dated in the carried-forward scope.
        let mut bank_lines = Vec::new();
        if let Some(lines) = view.table_if_exists(BANK_LINES)? {
            for record in &in_scope {
                lines_of(&lines, record.id, &mut bank_lines, false)?;
            }
        }
        bank_lines.retain(|l| l.booking_date >= since);
        let marks = view.table_if_exists(BANK_MARKS)?;
        let mut entry_dates: HashMap<EntryId, NaiveDate> = HashMap::new();
        let mut matched_book: HashSet<LineRef> = HashSet::new();
        let mut bank_only = Vec::new();
        let mut bank_total = Amount::ZERO;
        for line in bank_lines {
            bank_total = add(bank_total, line.amount, "bank lines")?;
            let mark = match &marks {
                Some(marks) => mark_of(marks, line.id)?,
                None => None,
            };
            if let Some(mark) = &mark {
                for book in &mark.book_lines {
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        entry_dates.entry(book.entry)
                    {
                        slot.insert(
                            view.entry_opt(book.entry)?
                                .map_or(NaiveDate::MAX, |e| e.date),
                        );
                    }
                }
            }
            let in_books = mark.as_ref().is_some_and(|mark| {
                mark.book_lines.iter().all(|b| {
                    entry_dates
                        .get(&b.entry)
                        .is_some_and(|d| *d >= since && *d <= at)
                })
            });
            if in_books {
                if let Some(mark) = mark {
                    matched_book.extend(mark.book_lines);
                }
            } else {
                bank_only.push(line);
            }
        }
        let book_only = book_lines_of(&view, account, Some((since, at)), |b| {
            Ok(!matched_book.contains(&b))
        })?;
        let mut book_balance = Amount::ZERO;
        if let Some(lines) = view.table_if_exists(LINES_BY_ACCOUNT)? {
            let key = account.as_str();
            for item in
                lines.range((key, day(since), 0u64, 0u32)..=(key, day(at), u64::MAX, u32::MAX))?
            {
                book_balance = add(
                    book_balance,
                    Amount::from_cents(item?.1.value()),
                    "book balance",
                )?;
            }
        }
        let carried = sub(bank_balance, bank_total, "bank balance")?;
        let book_only_total = Amount::checked_sum(book_only.iter().map(|b| b.amount))
            .ok_or_else(|| overflow("book lines"))?;
        let bank_only_total = Amount::checked_sum(bank_only.iter().map(|b| b.amount))
            .ok_or_else(|| overflow("bank lines"))?;
        let adjusted = add(
            sub(book_balance, book_only_total, "book balance")?,
            add(bank_only_total, carried, "bank lines")?,
            "book balance",
        )?;
        Ok(BankReport {
            account: account.clone(),
            at,
            book_balance,
            bank_balance,
            last_statement: last.as_ref().map(|s| s.id),
            last_statement_end: last.as_ref().map(|s| s.period.1),
            book_only,
            bank_only,
            carried,
            unexplained: sub(adjusted, bank_balance, "difference")?,
        })
    }
}

/// Lines of `account` (within `dates` when given) that `keep` keeps, by date.
fn book_lines_of(
    view: &View,
    account: &AccountNumber,
    dates: Option<(NaiveDate, NaiveDate)>,
    mut keep: impl FnMut(LineRef) -> Result<bool>,
) -> Result<Vec<BookLine>> {
    let index = view.table(LINES_BY_ACCOUNT)?;
    let entries = view.table(ENTRIES)?;
    let key = account.as_str();
    let (from, to) = match dates {
        Some((from, to)) => (day(from), day(to)),
        None => (i32::MIN, i32::MAX),
    };
    let mut cache: Option<Entry> = None;
    let mut out = Vec::new();
    for item in index.range((key, from, 0u64, 0u32)..=(key, to, u64::MAX, u32::MAX))? {
        let (k, _) = item?;
        let (_, _, entry_id, line) = k.value();
        let at = LineRef {
            entry: entry_id,
            line,
        };
        if !keep(at)? {
            continue;
        }
        if cache.as_ref().is_none_or(|e| e.id != entry_id) {
            let bytes = entries.get(entry_id)?.ok_or_else(|| {
                LedgerError::Corrupt(format!("line index names missing entry #{entry_id}"))
            })?;
            cache = Some(super::store::decode_entry(bytes.value(), entry_id)?);
        }
        if let Some(entry) = &cache
            && let Some(book) = book_line(entry, at)
        {
            out.push(book);
        }
    }
    Ok(out)
}

// ----- import --------------------------------------------------------------------------------

/// The duplicate key of a line: the bank's reference when it gives one, else date, amount,
/// label and the occurrence rank of that triple in the file.
fn duplicate_key(line: &crate::formats::bank::StatementLine, rank: u32) -> String {
    match line.reference.as_deref().filter(|r| !r.trim().is_empty()) {
        Some(reference) => format!("R:{}", reference.trim()),
        None => format!(
            "D:{}|{}|{}|{rank}",
            line.booking_date,
            line.amount.to_plain(),
            line.label
        ),
    }
}

/// The treasury account of each statement, and the bank details `--account` registers on a
/// journal.
type Routing = (Vec<AccountNumber>, Option<(Journal, BankDetails)>);

/// The treasury account each statement goes to, and the details `--account` registers.
fn route(tx: &mut Tx<'_>, import: &StatementImport) -> Result<Routing> {
    let details = all_details(tx)?;
    let journals = tx.all_journals()?;
    let journal_of = |code: &str| journals.iter().find(|j| j.code == code);
    if let Some(account) = &import.account {
        tx.account(account)?;
        let journal = treasury_journal(&journals, account)?;
        let mut ids: Vec<BankDetails> = Vec::new();
        for statement in &import.statements {
            let id = BankDetails::of_statement(&statement.account);
            if !id.is_empty() && !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.len() > 1 {
            return Err(invalid(
                "account",
                format!(
                    "{} holds statements of {} bank accounts ({}): --account registers one; set each account's IBAN on its journal (`folio journals edit CODE --iban ...`) and import without --account",
                    import.file,
                    ids.len(),
                    ids.iter()
                        .map(BankDetails::display)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut register = None;
        if let Some(id) = ids.pop() {
            let statement_id = &import.statements[0].account;
            for (code, known) in &details {
                if known.matches(statement_id) && *code != journal.code {
                    let other = journal_of(code)
                        .and_then(|j| j.treasury_account.as_ref())
                        .map_or_else(String::new, |a| format!(" ({a})"));
                    return Err(invalid(
                        "account",
                        format!(
                            "bank account {} is the account of journal {code}{other}, not of {account}",
                            id.display()
                        ),
                    ));
                }
            }
            match details.iter().find(|(code, _)| *code == journal.code) {
                Some((_, known)) if known.matches(statement_id) => {}
                Some((_, known)) => {
                    return Err(invalid(
                        "account",
                        format!(
                            "journal {} ({account}) is bank account {}, and {} holds statements of {}",
                            journal.code,
                            known.display(),
                            import.file,
                            id.display()
                        ),
                    ));
                }
                None => register = Some((journal.clone(), id)),
            }
        }
        return Ok((vec![account.clone(); import.statements.len()], register));
    }
    let mut routed = Vec::with_capacity(import.statements.len());
    for statement in &import.statements {
        if BankDetails::of_statement(&statement.account).is_empty() {
            return Err(at_line(
                import,
                statement,
                "account",
                "the statement names no bank account: give its treasury account with --account"
                    .to_string(),
            ));
        }
        let found = details
            .iter()
            .find(|(_, known)| known.matches(&statement.account))
            .and_then(|(code, _)| journal_of(code))
            .and_then(|j| j.treasury_account.clone());
        match found {
            Some(account) => routed.push(account),
            None => {
                return Err(at_line(
                    import,
                    statement,
                    "account",
                    format!(
                        "bank account {} is unknown: set it on its bank journal (`folio journals edit CODE --iban ...`) or import with --account",
                        statement.account.display()
                    ),
                ));
            }
        }
    }
    Ok((routed, None))
}

/// The journal posting to a treasury account: an active bank journal first, then any.
fn treasury_journal<'j>(journals: &'j [Journal], account: &AccountNumber) -> Result<&'j Journal> {
    let on_account = |j: &&Journal| j.treasury_account.as_ref() == Some(account);
    journals
        .iter()
        .filter(on_account)
        .find(|j| j.active && j.kind == JournalKind::Bank)
        .or_else(|| journals.iter().filter(on_account).find(|j| j.active))
        .or_else(|| journals.iter().find(on_account))
        .ok_or_else(|| {
            invalid(
                "account",
                format!("no bank journal posts to {account}: add one with `folio journals add CODE LABEL --kind bank --treasury {account}`"),
            )
        })
}

/// The statement of `account` a new one ending on `end` follows.
fn previous_statement(
    table: &impl ReadableTable<u64, Bytes>,
    account: &AccountNumber,
    end: NaiveDate,
) -> Result<Option<StatementRecord>> {
    let mut best: Option<StatementRecord> = None;
    for record in all_statements(table)? {
        if record.account == *account
            && record.period.1 <= end
            && best
                .as_ref()
                .is_none_or(|b| (b.period.1, b.id) < (record.period.1, record.id))
        {
            best = Some(record);
        }
    }
    Ok(best)
}

impl Ledger {
    /// Imports parsed statements in one transaction: each goes to its treasury account (by its
    /// bank details, or `--account`), must balance and follow the previous statement of that
    /// account; lines already imported are skipped and counted.
    pub fn import_statements(
        &self,
        ctx: &Ctx,
        import: &StatementImport,
    ) -> Result<StatementImportSummary> {
        let total: usize = import.statements.iter().map(|s| s.lines.len()).sum();
        if total > MAX_IMPORT_LINES {
            return Err(invalid(
                "file",
                format!(
                    "{} has {total} lines, more than the {MAX_IMPORT_LINES} one import takes: split it",
                    import.file
                ),
            ));
        }
        self.write(ctx, |tx| import_in(tx, ctx, import))
    }
}

fn import_in(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    import: &StatementImport,
) -> Result<StatementImportSummary> {
    let (routed, register) = route(tx, import)?;
    let mut summary = StatementImportSummary::default();
    if let Some((journal, details)) = &register {
        put_details(tx, journal, Some(details))?;
        tx.audit(
            ctx,
            "journal.bank",
            vec![format!("journal:{}", journal.code)],
            format!(
                "set the bank account of journal {} to {} (import of {})",
                journal.code,
                details.display(),
                import.file
            ),
        )?;
        summary.registered = Some((journal.code.clone(), details.display()));
    }
    let mut statements = tx.txn.open_table(STATEMENTS)?;
    let mut lines = tx.txn.open_table(BANK_LINES)?;
    let mut keys = tx.txn.open_table(BANK_LINE_KEYS)?;
    let mut next_id = statements
        .last()?
        .map_or(1, |(k, _)| k.value().saturating_add(1));
    // Statements of one account in the order of their periods.
    let mut order: Vec<usize> = (0..import.statements.len()).collect();
    order.sort_by_key(|i| (routed[*i].clone(), import.statements[*i].period.1, *i));
    let mut ranks: HashMap<(AccountNumber, NaiveDate, Amount, String), u32> = HashMap::new();
    let mut seen: HashSet<(AccountNumber, String)> = HashSet::new();
    let mut records = Vec::new();
    let mut details_lines = Vec::new();
    let mut gaps = Vec::new();
    for index in order {
        let statement = &import.statements[index];
        let account = &routed[index];
        if !statement.currency.eq_ignore_ascii_case("EUR") {
            return Err(at_line(
                import,
                statement,
                "currency",
                format!(
                    "the statement is in {}: only statements in euros (EUR) are imported",
                    echo(&statement.currency)
                ),
            ));
        }
        let lines_total = statement
            .lines_total()
            .ok_or_else(|| overflow("statement lines"))?;
        if let Some(difference) = statement.balance_difference()
            && !difference.is_zero()
        {
            return Err(at_line(
                import,
                statement,
                "balance",
                format!(
                    "statement {} does not balance: opening {} + lines {} = {}, but the closing balance is {} (difference {})",
                    statement.id,
                    statement.opening.unwrap_or_default().to_plain(),
                    lines_total.to_plain(),
                    add(
                        statement.opening.unwrap_or_default(),
                        lines_total,
                        "balance"
                    )?
                    .to_plain(),
                    statement.closing.unwrap_or_default().to_plain(),
                    difference.to_plain()
                ),
            ));
        }
        // New lines and duplicates.
        let mut fresh = Vec::new();
        let mut skipped_total = Amount::ZERO;
        let mut skipped = 0u64;
        for line in &statement.lines {
            let rank = ranks
                .entry((
                    account.clone(),
                    line.booking_date,
                    line.amount,
                    line.label.clone(),
                ))
                .or_insert(0);
            *rank = rank.saturating_add(1);
            let key = duplicate_key(line, *rank);
            let known = keys.get((account.as_str(), key.as_str()))?.is_some()
                || !seen.insert((account.clone(), key.clone()));
            if known {
                skipped = skipped.saturating_add(1);
                skipped_total = add(skipped_total, line.amount, "statement lines")?;
            } else {
                fresh.push((line, key));
            }
        }
        summary.lines_skipped = summary.lines_skipped.saturating_add(skipped);
        let previous = previous_statement(&statements, account, statement.period.1)?;
        let same_statement = previous
            .as_ref()
            .is_some_and(|p| p.bank_id == statement.id && p.period == statement.period);
        if fresh.is_empty() && (!statement.lines.is_empty() || same_statement) {
            summary.statements.push(ImportedStatement {
                id: None,
                account: account.clone(),
                bank_id: statement.id.clone(),
                period: statement.period,
                lines_added: 0,
                lines_skipped: skipped,
                gap: None,
            });
            continue;
        }
        let given = statement.opening.is_some() && statement.closing.is_some();
        let opening = match (statement.opening, statement.closing) {
            (Some(opening), _) => opening,
            (None, Some(closing)) => sub(closing, lines_total, "opening balance")?,
            (None, None) => previous.as_ref().map_or(Amount::ZERO, |p| p.closing),
        };
        // The balance before the new lines: the file's opening plus the lines already held.
        let opening = add(opening, skipped_total, "opening balance")?;
        let fresh_total = Amount::checked_sum(fresh.iter().map(|(l, _)| l.amount))
            .ok_or_else(|| overflow("statement lines"))?;
        let closing = add(opening, fresh_total, "closing balance")?;
        let mut gap = None;
        if let Some(previous) = &previous {
            let difference = sub(opening, previous.closing, "opening balance")?;
            if !difference.is_zero() {
                if !import.allow_gap {
                    return Err(at_line(
                        import,
                        statement,
                        "balance",
                        format!(
                            "statement {} of {account} opens at {} but statement {} ({}, ending {}) closed at {}: difference {} (a statement is missing? --allow-gap records the gap)",
                            statement.id,
                            opening.to_plain(),
                            previous.id,
                            previous.bank_id,
                            previous.period.1,
                            previous.closing.to_plain(),
                            difference.to_plain()
                        ),
                    ));
                }
                gap = Some(difference);
                gaps.push(format!(
                    "statement {next_id} ({}) of {account} opens at {} after statement {} closed at {}: gap {} acknowledged",
                    statement.id,
                    opening.to_plain(),
                    previous.id,
                    previous.closing.to_plain(),
                    difference.to_plain()
                ));
            }
        }
        let id = next_id;
        next_id = super::store::next_counter(next_id, "statement id")?;
        let count = u32::try_from(fresh.len())
            .map_err(|_| invalid("file", "too many lines in one statement"))?;
        let record = StatementRecord {
            id,
            account: account.clone(),
            bank_account: statement.account.display(),
            bank_id: statement.id.clone(),
            period: statement.period,
            opening,
            closing,
            balances_given: given,
            format: import.format.clone(),
            file: import.file.clone(),
            imported_at: ctx.now(),
            imported_by: ctx.user.clone(),
            lines: count,
            gap,
        };
        statements.insert(id, encode(&record)?.as_slice())?;
        for (rank, (line, key)) in fresh.into_iter().enumerate() {
            let rank = u32::try_from(rank.saturating_add(1))
                .map_err(|_| invalid("file", "too many lines in one statement"))?;
            let stored = StoredLine {
                account: account.clone(),
                booking_date: line.booking_date,
                value_date: line.value_date,
                amount: line.amount,
                label: crate::model::sanitize_text(&line.label),
                reference: line.reference.as_deref().map(crate::model::sanitize_text),
                counterparty_name: line
                    .counterparty_name
                    .as_deref()
                    .map(crate::model::sanitize_text),
                counterparty_iban: line
                    .counterparty_iban
                    .as_deref()
                    .map(crate::model::sanitize_text),
                end_to_end_id: line
                    .end_to_end_id
                    .as_deref()
                    .map(crate::model::sanitize_text),
                remittance: line.remittance.as_deref().map(crate::model::sanitize_text),
                status: BankLineStatus::Unreconciled,
            };
            lines.insert((id, rank), encode(&stored)?.as_slice())?;
            keys.insert((account.as_str(), key.as_str()), (id, rank))?;
        }
        summary.lines_added = summary.lines_added.saturating_add(u64::from(count));
        records.push(format!("statement:{id}"));
        records.push(format!("account:{account}"));
        details_lines.push(format!(
            "statement {id} ({}) of {account}, {} to {}, opening {}, closing {}, {count} lines, {skipped} already imported",
            statement.id,
            statement.period.0,
            statement.period.1,
            opening.to_plain(),
            closing.to_plain()
        ));
        summary.statements.push(ImportedStatement {
            id: Some(id),
            account: account.clone(),
            bank_id: statement.id.clone(),
            period: statement.period,
            lines_added: u64::from(count),
            lines_skipped: skipped,
            gap,
        });
    }
    drop((statements, lines, keys));
    records.sort();
    records.dedup();
    tx.audit(
        ctx,
        "bank.import",
        records.clone(),
        format!(
            "imported {} ({}): {}; {} lines added, {} already imported",
            import.file,
            import.format,
            if details_lines.is_empty() {
                "no new statement".to_string()
            } else {
                details_lines.join("; ")
            },
            summary.lines_added,
            summary.lines_skipped
        ),
    )?;
    for gap in gaps {
        tx.audit(ctx, "bank.gap", records.clone(), gap)?;
    }
    Ok(summary)
}

// ----- reconciliation ------------------------------------------------------------------------

/// Refuses a change of marks dated in a closed year.
fn refuse_closed(tx: &Tx<'_>, date: NaiveDate) -> Result<()> {
    if let Some(year) = tx.year_of(date)
        && !year.is_open()
    {
        return Err(LedgerError::YearClosed(year.name()));
    }
    Ok(())
}

fn line_in_tx(tx: &Tx<'_>, id: BankLineId) -> Result<StoredLine> {
    stored_line(&tx.txn.open_table(BANK_LINES)?, id)
}

fn put_status(
    tx: &Tx<'_>,
    id: BankLineId,
    line: &mut StoredLine,
    status: BankLineStatus,
) -> Result<()> {
    line.status = status;
    tx.txn
        .open_table(BANK_LINES)?
        .insert(id.key(), encode(line)?.as_slice())?;
    Ok(())
}

/// A bank line as the TUI and the matching engine read it inside a command's transaction.
#[allow(dead_code)]
pub(crate) fn bank_line_in(tx: &Tx<'_>, id: BankLineId) -> Result<BankLine> {
    Ok(BankLine::from_stored(id, line_in_tx(tx, id)?))
}

/// Reconciles a bank line with book lines inside a command's transaction, re-reading both: the
/// bank line must still be unreconciled and each book line unmatched (else refused, naming who
/// reconciled it), on the bank line's treasury account, outside closed years, and their amounts
/// must add up to the bank line's. Writes no audit record (the caller writes one naming what it
/// did); returns the names of the book lines.
pub(crate) fn reconcile_in(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    id: BankLineId,
    book_lines: &[LineRef],
    kind: MarkKind,
) -> Result<Vec<String>> {
    let mut line = line_in_tx(tx, id)?;
    let marks = tx.txn.open_table(BANK_MARKS)?;
    if let Some(mark) = mark_of(&marks, id)? {
        return Err(invalid(
            "bank line",
            format!(
                "bank line {id} is already reconciled ({}) by {} on {}",
                mark.kind.name(),
                mark.user,
                mark.date
            ),
        ));
    }
    drop(marks);
    refuse_closed(tx, line.booking_date)?;
    if book_lines.is_empty() {
        return Err(invalid(
            "bank line",
            format!("bank line {id}: name at least one book line"),
        ));
    }
    if book_lines.len() > MAX_MARK_LINES {
        return Err(invalid(
            "bank line",
            format!("bank line {id}: at most {MAX_MARK_LINES} book lines per bank line"),
        ));
    }
    let mut unique = HashSet::new();
    let mut names = Vec::new();
    let mut total = Amount::ZERO;
    let book_marks = tx.txn.open_table(BOOK_MARKS)?;
    let all_marks = tx.txn.open_table(BANK_MARKS)?;
    let mut entries: HashMap<EntryId, Entry> = HashMap::new();
    for at in book_lines {
        if let std::collections::hash_map::Entry::Vacant(slot) = entries.entry(at.entry) {
            slot.insert(tx.entry(at.entry)?);
        }
        let entry = &entries[&at.entry];
        let name = format!("{}/{}", entry.reference(), at.line.saturating_add(1));
        if !unique.insert(*at) {
            return Err(invalid("bank line", format!("line {name} is named twice")));
        }
        let book = entry.lines.get(at.line as usize).ok_or_else(|| {
            invalid(
                "bank line",
                format!(
                    "entry {} has no line {}",
                    entry.reference(),
                    at.line.saturating_add(1)
                ),
            )
        })?;
        if book.account != line.account {
            return Err(invalid(
                "bank line",
                format!(
                    "line {name} is on {}, bank line {id} on {}",
                    book.account, line.account
                ),
            ));
        }
        if let Some(other) = book_marks.get((at.entry, at.line))? {
            let (statement, number) = other.value();
            let other = BankLineId {
                statement,
                line: number,
            };
            let by = mark_of(&all_marks, other)?
                .map(|m| format!(" by {} on {}", m.user, m.date))
                .unwrap_or_default();
            return Err(invalid(
                "bank line",
                format!("line {name} is already reconciled with bank line {other}{by}"),
            ));
        }
        if let Some(year) = tx.year_of(entry.date)
            && !year.is_open()
        {
            return Err(LedgerError::YearClosed(year.name()));
        }
        total = add(total, book.signed(), "book lines")?;
        names.push(name);
    }
    drop((book_marks, all_marks));
    if total != line.amount {
        return Err(invalid(
            "bank line",
            format!(
                "bank line {id} is {} and the lines {} total {}: difference {}",
                line.amount.to_plain(),
                names.join(", "),
                total.to_plain(),
                sub(line.amount, total, "difference")?.to_plain()
            ),
        ));
    }
    let mark = Reconciliation {
        book_lines: book_lines.to_vec(),
        kind,
        user: ctx.user.clone(),
        date: ctx.today,
    };
    tx.txn
        .open_table(BANK_MARKS)?
        .insert(id.key(), encode(&mark)?.as_slice())?;
    let mut book_marks = tx.txn.open_table(BOOK_MARKS)?;
    for at in book_lines {
        book_marks.insert((at.entry, at.line), id.key())?;
    }
    drop(book_marks);
    let status = match kind {
        MarkKind::Suspense => BankLineStatus::Suspense,
        _ => BankLineStatus::Reconciled,
    };
    put_status(tx, id, &mut line, status)?;
    Ok(names)
}

/// Removes a bank line's reconciliation inside a command's transaction (no audit record).
pub(crate) fn unreconcile_in(tx: &mut Tx<'_>, id: BankLineId) -> Result<Reconciliation> {
    let mut line = line_in_tx(tx, id)?;
    let mark = mark_of(&tx.txn.open_table(BANK_MARKS)?, id)?
        .ok_or_else(|| invalid("bank line", format!("bank line {id} is not reconciled")))?;
    refuse_closed(tx, line.booking_date)?;
    for at in &mark.book_lines {
        if let Some(entry) = tx.entry_opt(at.entry)? {
            refuse_closed(tx, entry.date)?;
        }
    }
    drop_mark(tx, id, &mark)?;
    put_status(tx, id, &mut line, BankLineStatus::Unreconciled)?;
    Ok(mark)
}

fn drop_mark(tx: &Tx<'_>, id: BankLineId, mark: &Reconciliation) -> Result<()> {
    tx.txn.open_table(BANK_MARKS)?.remove(id.key())?;
    let mut book_marks = tx.txn.open_table(BOOK_MARKS)?;
    for at in &mark.book_lines {
        book_marks.remove((at.entry, at.line))?;
    }
    Ok(())
}

fn names_of(tx: &Tx<'_>, lines: &[LineRef]) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for at in lines {
        names.push(match tx.entry_opt(at.entry)? {
            Some(entry) => format!("{}/{}", entry.reference(), at.line.saturating_add(1)),
            None => format!("#{}/{}", at.entry, at.line.saturating_add(1)),
        });
    }
    Ok(names)
}

/// After a command removed draft entries (an edit rewrites a draft, a deletion, a regenerated
/// document), the reconciliations that named their lines are checked again: one whose lines
/// are all still there, on the account, with the same total, stays; another is removed and
/// its bank line is unreconciled again, with an audit record.
pub(super) fn settle_removed_entries(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    removed: &[EntryId],
) -> Result<()> {
    let mut touched: Vec<BankLineId> = Vec::new();
    {
        let book_marks = tx.txn.open_table(BOOK_MARKS)?;
        for entry in removed {
            for item in book_marks.range((*entry, 0u32)..=(*entry, u32::MAX))? {
                let (statement, line) = item?.1.value();
                let id = BankLineId { statement, line };
                if !touched.contains(&id) {
                    touched.push(id);
                }
            }
        }
    }
    for id in touched {
        let Some(mark) = mark_of(&tx.txn.open_table(BANK_MARKS)?, id)? else {
            continue;
        };
        let mut line = line_in_tx(tx, id)?;
        let mut total = Some(Amount::ZERO);
        for at in &mark.book_lines {
            let amount = match tx.entry_opt(at.entry)? {
                Some(entry) => entry
                    .lines
                    .get(at.line as usize)
                    .filter(|l| l.account == line.account)
                    .map(|l| l.signed()),
                None => None,
            };
            total = match (total, amount) {
                (Some(total), Some(amount)) => total.checked_add(amount),
                _ => None,
            };
        }
        if total == Some(line.amount) {
            continue;
        }
        drop_mark(tx, id, &mark)?;
        put_status(tx, id, &mut line, BankLineStatus::Unreconciled)?;
        let names = names_of(tx, &mark.book_lines)?;
        tx.audit(
            ctx,
            "bank.unreconcile",
            vec![format!("bank:{id}")],
            format!(
                "bank line {id} is no longer reconciled: the entry of {} was changed or deleted",
                names.join(", ")
            ),
        )?;
    }
    Ok(())
}

impl Ledger {
    /// Reconciles a bank line with lines of the books (see [`reconcile_in`]).
    pub fn reconcile(&self, ctx: &Ctx, id: BankLineId, book_lines: &[LineRef]) -> Result<()> {
        self.write(ctx, |tx| {
            let names = reconcile_in(tx, ctx, id, book_lines, MarkKind::Matched)?;
            let line = line_in_tx(tx, id)?;
            let mut records = vec![format!("bank:{id}"), format!("account:{}", line.account)];
            records.extend(book_lines.iter().map(|at| format!("entry:{}", at.entry)));
            records.dedup();
            tx.audit(
                ctx,
                "bank.reconcile",
                records,
                format!(
                    "reconciled bank line {id} ({} {} {}) with {}",
                    line.booking_date,
                    line.amount.to_plain(),
                    line.label,
                    names.join(", ")
                ),
            )
        })
    }

    /// Removes a bank line's reconciliation. An entry posted from the line stays in the
    /// books, unreconciled.
    pub fn unreconcile(&self, ctx: &Ctx, id: BankLineId) -> Result<Reconciliation> {
        self.write(ctx, |tx| {
            let mark = unreconcile_in(tx, id)?;
            let names = names_of(tx, &mark.book_lines)?;
            let line = line_in_tx(tx, id)?;
            let mut records = vec![format!("bank:{id}"), format!("account:{}", line.account)];
            records.extend(
                mark.book_lines
                    .iter()
                    .map(|at| format!("entry:{}", at.entry)),
            );
            records.dedup();
            tx.audit(
                ctx,
                "bank.unreconcile",
                records,
                format!(
                    "unreconciled bank line {id} ({} {}) from {} (reconciled by {} on {})",
                    line.booking_date,
                    line.amount.to_plain(),
                    names.join(", "),
                    mark.user,
                    mark.date
                ),
            )?;
            Ok(mark)
        })
    }

    /// Posts a bank line to `account` on the bank journal of its treasury account (a draft or
    /// a validated entry, as the settings say of generated entries) and reconciles the line
    /// with it, in one transaction. With a tax code the amount is split into base and tax at
    /// the code's rate on the booking date. Returns the entry's id.
    pub fn post_bank_line(
        &self,
        ctx: &Ctx,
        id: BankLineId,
        account: &AccountNumber,
        party: Option<&str>,
        tax: Option<&str>,
        label: Option<&str>,
    ) -> Result<EntryId> {
        self.write(ctx, |tx| {
            post_in(tx, ctx, id, account, party, tax, label, MarkKind::Posted)
        })
    }

    /// Posts a bank line to the suspense account (the settings' one, 471000 without settings)
    /// and reconciles it: it then appears in the suspense list.
    pub fn suspense(&self, ctx: &Ctx, id: BankLineId) -> Result<EntryId> {
        self.write(ctx, |tx| {
            let settings: Option<Settings> = tx.get_meta("settings")?;
            let account = match settings {
                Some(settings) => settings.general.suspense_account,
                None => AccountNumber::parse("471000")
                    .map_err(|err| invalid("account", err.to_string()))?,
            };
            post_in(tx, ctx, id, &account, None, None, None, MarkKind::Suspense)
        })
    }
}

/// What [`Ledger::post_bank_line`] does, inside a command's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) fn post_in(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    id: BankLineId,
    account: &AccountNumber,
    party: Option<&str>,
    tax: Option<&str>,
    label: Option<&str>,
    kind: MarkKind,
) -> Result<EntryId> {
    let line = line_in_tx(tx, id)?;
    if line.status != BankLineStatus::Unreconciled {
        // Names who reconciled it.
        reconcile_in(tx, ctx, id, &[], kind)?;
    }
    if line.amount.is_zero() {
        return Err(invalid(
            "bank line",
            format!("bank line {id} is zero: nothing to post"),
        ));
    }
    if *account == line.account {
        return Err(invalid(
            "account",
            format!("bank line {id} cannot be posted to its own treasury account {account}"),
        ));
    }
    let journals = tx.all_journals()?;
    let journal = treasury_journal(&journals, &line.account)?.code.clone();
    let settings: Option<Settings> = tx.get_meta("settings")?;
    let gross = line.amount.abs();
    let mut counter: Vec<(AccountNumber, Amount, Option<String>)> = Vec::new();
    match tax {
        Some(code) => {
            let settings = settings.as_ref().ok_or_else(|| {
                invalid(
                    "tax",
                    format!("unknown tax code {} (no settings)", echo(code)),
                )
            })?;
            let tax_code = settings
                .tax(code)
                .ok_or_else(|| invalid("tax", format!("unknown tax code {}", echo(code))))?;
            let rate = tax_code.rate_on(line.booking_date).ok_or_else(|| {
                invalid(
                    "tax",
                    format!("tax code {code} has no rate on {}", line.booking_date),
                )
            })?;
            let hundred = rust_decimal::Decimal::ONE_HUNDRED;
            let base_decimal = gross
                .to_decimal()
                .checked_mul(hundred)
                .zip(hundred.checked_add(rate))
                .and_then(|(gross, divisor)| gross.checked_div(divisor))
                .ok_or_else(|| {
                    invalid(
                        "tax",
                        format!("tax code {code}: the rate {rate} gives no base"),
                    )
                })?
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            let base = Amount::from_decimal(base_decimal)
                .map_err(|err| invalid("tax", err.to_string()))?;
            let tax_amount = sub(gross, base, "tax")?;
            counter.push((account.clone(), base, party.map(str::to_string)));
            if !tax_amount.is_zero() {
                counter.push((tax_code.account.clone(), tax_amount, None));
            }
        }
        None => counter.push((account.clone(), gross, party.map(str::to_string))),
    }
    let text = label
        .map(crate::model::sanitize_text)
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| line.label.clone());
    let text: String = text.chars().take(200).collect();
    let money_in = line.amount.is_positive();
    let mut entry_lines = vec![if money_in {
        Line::debit(line.account.clone(), gross)
    } else {
        Line::credit(line.account.clone(), gross)
    }];
    for (number, amount, party) in counter {
        let book = if money_in {
            Line::credit(number, amount)
        } else {
            Line::debit(number, amount)
        };
        entry_lines.push(book.with_party(party));
    }
    let input = clean_input(EntryInput {
        journal,
        date: line.booking_date,
        piece: format!("REL{}-{}", id.statement, id.line),
        label: text.clone(),
        lines: entry_lines,
    });
    tx.check_input(&input)?;
    let mut entry = new_entry(tx, ctx, input, None)?;
    if settings
        .as_ref()
        .is_some_and(|s| s.general.generated_entries == EntryLanding::Validated)
    {
        tx.number_entry(&mut entry, ctx.today)?;
    }
    tx.insert_entry(&entry)?;
    let names = reconcile_in(
        tx,
        ctx,
        id,
        &[LineRef {
            entry: entry.id,
            line: 0,
        }],
        kind,
    )?;
    let (action, what) = match kind {
        MarkKind::Suspense => ("bank.suspense", "sent to suspense"),
        _ => ("bank.post", "posted"),
    };
    tx.audit(
        ctx,
        action,
        vec![
            format!("bank:{id}"),
            format!("entry:{}", entry.id),
            format!("account:{}", line.account),
        ],
        format!(
            "{what} bank line {id} ({} {} {}) as {} to {account} and reconciled it with {}",
            line.booking_date,
            line.amount.to_plain(),
            line.label,
            entry.reference(),
            names.join(", ")
        ),
    )?;
    Ok(entry.id)
}

// ----- check ---------------------------------------------------------------------------------

/// `folio check`: every mark's bank line exists, its book lines exist, are on the bank line's
/// treasury account and add up to its amount; no book line is matched twice; the two indexes
/// agree; a line's status says whether it is reconciled.
pub(super) fn check_marks(view: &View, report: &mut dyn FnMut(String)) -> Result<()> {
    let (Some(marks), Some(lines)) = (
        view.table_if_exists(BANK_MARKS)?,
        view.table_if_exists(BANK_LINES)?,
    ) else {
        return Ok(());
    };
    let book_marks = view.table_if_exists(BOOK_MARKS)?;
    let mut seen: HashMap<LineRef, BankLineId> = HashMap::new();
    for item in marks.range::<(u64, u32)>(..)? {
        let (k, v) = item?;
        let (statement, number) = k.value();
        let id = BankLineId {
            statement,
            line: number,
        };
        let mark: Reconciliation = match decode(v.value(), "reconciliation") {
            Ok(mark) => mark,
            Err(err) => {
                report(format!("bank line {id}: {err}"));
                continue;
            }
        };
        let Some(stored) = lines.get(id.key())? else {
            report(format!(
                "a reconciliation names bank line {id}, which does not exist"
            ));
            continue;
        };
        let line: StoredLine = decode(stored.value(), "bank line")?;
        if line.status == BankLineStatus::Unreconciled {
            report(format!(
                "bank line {id} is reconciled but listed as unreconciled"
            ));
        }
        let mut total = Some(Amount::ZERO);
        for at in &mark.book_lines {
            let name = format!("#{}/{}", at.entry, at.line.saturating_add(1));
            if let Some(other) = seen.insert(*at, id) {
                report(format!(
                    "line {name} is reconciled with bank lines {other} and {id}"
                ));
            }
            match book_marks
                .as_ref()
                .map(|t| t.get((at.entry, at.line)))
                .transpose()?
            {
                Some(Some(v)) if v.value() == id.key() => {}
                _ => report(format!(
                    "line {name} of bank line {id}'s reconciliation is missing from the book-line index"
                )),
            }
            let amount = match view.entry_opt(at.entry)? {
                None => {
                    report(format!(
                        "bank line {id} is reconciled with entry #{}, which does not exist",
                        at.entry
                    ));
                    None
                }
                Some(entry) => match entry.lines.get(at.line as usize) {
                    None => {
                        report(format!(
                            "bank line {id} is reconciled with line {name}, which does not exist"
                        ));
                        None
                    }
                    Some(book) if book.account != line.account => {
                        report(format!(
                            "bank line {id} on {} is reconciled with line {name} on {}",
                            line.account, book.account
                        ));
                        None
                    }
                    Some(book) => Some(book.signed()),
                },
            };
            total = match (total, amount) {
                (Some(total), Some(amount)) => total.checked_add(amount),
                _ => None,
            };
        }
        if let Some(total) = total
            && total != line.amount
        {
            report(format!(
                "bank line {id} is {} but its reconciled lines total {}",
                line.amount.to_plain(),
                total.to_plain()
            ));
        }
    }
    if let Some(book_marks) = &book_marks {
        for item in book_marks.range::<(u64, u32)>(..)? {
            let (k, v) = item?;
            let (entry, line) = k.value();
            let at = LineRef { entry, line };
            let (statement, number) = v.value();
            if seen.get(&at).map(|id| id.key()) != Some((statement, number)) {
                report(format!(
                    "line #{entry}/{} is indexed as reconciled with bank line {statement}/{number}, which does not name it",
                    line.saturating_add(1)
                ));
            }
        }
    }
    for item in lines.range::<(u64, u32)>(..)? {
        let (k, v) = item?;
        let (statement, number) = k.value();
        let line: StoredLine = decode(v.value(), "bank line")?;
        if line.status != BankLineStatus::Unreconciled && marks.get((statement, number))?.is_none()
        {
            report(format!(
                "bank line {statement}/{number} is listed as {} but has no reconciliation",
                line.status.name()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use crate::formats::bank::StatementLine;
    use crate::ledger::InitParams;
    use crate::model::Company;

    const IBAN: &str = "FR7630006000011234567890189";

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn ctx(user: &str) -> Ctx {
        Ctx::fixed(user, date(11, 25).and_hms_opt(9, 0, 0).unwrap())
    }

    fn ledger(dir: &std::path::Path) -> Ledger {
        let params = InitParams {
            company: Company {
                name: "Test SARL".into(),
                siren: "732829320".into(),
            },
            first_year_start: date(1, 1),
            first_year_months: 12,
            chart: crate::fixtures::default_chart().unwrap(),
            settings: None,
        };
        let ledger = Ledger::create(&dir.join("t.ledger"), &params, &ctx("alice")).unwrap();
        ledger
            .set_bank_details(
                &ctx("alice"),
                "BQ",
                Some(&BankDetails::from_iban(IBAN).unwrap()),
            )
            .unwrap();
        ledger
    }

    fn line(d: NaiveDate, cents: i64, label: &str, reference: Option<&str>) -> StatementLine {
        StatementLine {
            booking_date: d,
            value_date: Some(d),
            amount: Amount::from_cents(cents),
            label: label.into(),
            reference: reference.map(str::to_string),
            counterparty_name: None,
            counterparty_iban: None,
            end_to_end_id: None,
            remittance: None,
            source_line: 1,
        }
    }

    fn statement(id: &str, opening: i64, lines: Vec<StatementLine>, end: NaiveDate) -> Statement {
        let total: i64 = lines.iter().map(|l| l.amount.cents()).sum();
        Statement {
            account: AccountId {
                iban: Some(IBAN.into()),
                rib: None,
                number: None,
            },
            id: id.into(),
            period: (lines.first().map_or(end, |l| l.booking_date), end),
            currency: "EUR".into(),
            opening: Some(Amount::from_cents(opening)),
            closing: Some(Amount::from_cents(opening + total)),
            lines,
            source_line: 1,
        }
    }

    fn import(statements: Vec<Statement>, allow_gap: bool) -> StatementImport {
        StatementImport {
            file: "bank.xml".into(),
            format: "camt053".into(),
            statements,
            account: None,
            allow_gap,
        }
    }

    fn january() -> Statement {
        statement(
            "S1",
            100_000,
            vec![
                line(date(1, 5), -12_000, "PRLV EDF", Some("A1")),
                line(date(1, 9), 50_000, "VIR CLIENT", None),
                line(date(1, 9), 50_000, "VIR CLIENT", None),
            ],
            date(1, 31),
        )
    }

    fn bank_entry(ledger: &Ledger, cents: i64, d: NaiveDate) -> EntryId {
        let bank = AccountNumber::parse("512000").unwrap();
        let other = AccountNumber::parse("606000").unwrap();
        let amount = Amount::from_cents(cents.abs());
        let lines = if cents > 0 {
            vec![Line::debit(bank, amount), Line::credit(other, amount)]
        } else {
            vec![Line::credit(bank, amount), Line::debit(other, amount)]
        };
        ledger
            .add_entry(
                &ctx("alice"),
                &EntryInput {
                    journal: "BQ".into(),
                    date: d,
                    piece: "P".into(),
                    label: "test".into(),
                    lines,
                },
            )
            .unwrap()
            .id
    }

    fn first(entry: EntryId) -> LineRef {
        LineRef { entry, line: 0 }
    }

    #[test]
    fn duplicates_are_skipped_and_statements_must_follow() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(dir.path());
        let summary = ledger
            .import_statements(&ctx("alice"), &import(vec![january()], false))
            .unwrap();
        assert_eq!((summary.lines_added, summary.lines_skipped), (3, 0));
        let again = ledger
            .import_statements(&ctx("alice"), &import(vec![january()], false))
            .unwrap();
        assert_eq!((again.lines_added, again.lines_skipped), (0, 3));
        assert_eq!(ledger.statements(None).unwrap().len(), 1);
        // February opens 10 euros off January's closing.
        let february = statement(
            "S2",
            188_000 + 1_000,
            vec![line(date(2, 3), -500, "FRAIS", Some("B1"))],
            date(2, 28),
        );
        let err = ledger
            .import_statements(&ctx("alice"), &import(vec![february.clone()], false))
            .unwrap_err()
            .to_string();
        assert!(err.contains("difference 10.00"), "{err}");
        let summary = ledger
            .import_statements(&ctx("alice"), &import(vec![february], true))
            .unwrap();
        assert_eq!(summary.statements[0].gap, Some(Amount::from_cents(1_000)));
        assert!(ledger.check().unwrap().findings.is_empty());
    }

    #[test]
    fn marks_keep_their_invariants() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(dir.path());
        ledger
            .import_statements(&ctx("alice"), &import(vec![january()], false))
            .unwrap();
        let fee = BankLineId {
            statement: 1,
            line: 1,
        };
        let deposit = BankLineId {
            statement: 1,
            line: 2,
        };
        let wrong = bank_entry(&ledger, -11_000, date(1, 4));
        let err = ledger
            .reconcile(&ctx("alice"), fee, &[first(wrong)])
            .unwrap_err();
        assert!(err.to_string().contains("difference"), "{err}");
        // A line on another account.
        let err = ledger
            .reconcile(
                &ctx("alice"),
                fee,
                &[LineRef {
                    entry: wrong,
                    line: 1,
                }],
            )
            .unwrap_err();
        assert!(err.to_string().contains("is on 606000"), "{err}");
        // Two book lines for one bank line.
        let a = bank_entry(&ledger, 20_000, date(1, 8));
        let b = bank_entry(&ledger, 30_000, date(1, 8));
        ledger
            .reconcile(&ctx("alice"), deposit, &[first(a), first(b)])
            .unwrap();
        assert_eq!(
            ledger.bank_line(deposit).unwrap().status,
            BankLineStatus::Reconciled
        );
        // Neither the bank line nor a book line is matched twice.
        let err = ledger
            .reconcile(&ctx("bob"), deposit, &[first(a), first(b)])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("already reconciled (matched) by alice"),
            "{err}"
        );
        let other = BankLineId {
            statement: 1,
            line: 3,
        };
        let c = bank_entry(&ledger, 30_000, date(1, 8));
        let err = ledger
            .reconcile(&ctx("bob"), other, &[first(a), first(c)])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("already reconciled with bank line 1/2 by alice"),
            "{err}"
        );
        let open: Vec<LineRef> = ledger
            .unreconciled_book_lines(&AccountNumber::parse("512000").unwrap())
            .unwrap()
            .iter()
            .map(|b| b.at)
            .collect();
        assert_eq!(open, vec![first(wrong), first(c)]);
        let mark = ledger.unreconcile(&ctx("bob"), deposit).unwrap();
        assert_eq!(mark.book_lines, vec![first(a), first(b)]);
        ledger
            .reconcile(&ctx("bob"), other, &[first(a), first(c)])
            .unwrap();
        assert!(ledger.check().unwrap().findings.is_empty());
    }

    #[test]
    fn a_posted_draft_deleted_unreconciles_its_bank_line() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(dir.path());
        ledger
            .import_statements(&ctx("alice"), &import(vec![january()], false))
            .unwrap();
        let fee = BankLineId {
            statement: 1,
            line: 1,
        };
        let entry = ledger
            .post_bank_line(
                &ctx("alice"),
                fee,
                &AccountNumber::parse("606000").unwrap(),
                None,
                None,
                Some("Electricité"),
            )
            .unwrap();
        let posted = ledger.entry(entry).unwrap();
        assert_eq!(posted.journal, "BQ");
        assert_eq!(posted.lines[0].credit, Amount::from_cents(12_000));
        assert_eq!(
            ledger.bank_line(fee).unwrap().status,
            BankLineStatus::Reconciled
        );
        // Relabelling the draft keeps the reconciliation; deleting it removes it.
        let input = EntryInput {
            journal: posted.journal.clone(),
            date: posted.date,
            piece: posted.piece.clone(),
            label: "EDF janvier".into(),
            lines: posted.lines.clone(),
        };
        ledger
            .edit_entry(&ctx("alice"), entry, &input, None)
            .unwrap();
        assert_eq!(
            ledger.bank_line(fee).unwrap().status,
            BankLineStatus::Reconciled
        );
        ledger.delete_entry(&ctx("alice"), entry).unwrap();
        assert_eq!(
            ledger.bank_line(fee).unwrap().status,
            BankLineStatus::Unreconciled
        );
        assert_eq!(ledger.reconciliation(fee).unwrap(), None);
        assert!(ledger.check().unwrap().findings.is_empty());
        let history = ledger.history(&format!("bank:{fee}")).unwrap();
        assert!(history.iter().any(|r| r.action == "bank.unreconcile"));
    }

    #[test]
    fn marks_of_a_closed_year_never_change() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(dir.path());
        ledger
            .import_statements(&ctx("alice"), &import(vec![january()], false))
            .unwrap();
        let fee = BankLineId {
            statement: 1,
            line: 1,
        };
        let deposit = BankLineId {
            statement: 1,
            line: 2,
        };
        let entry = bank_entry(&ledger, -12_000, date(1, 4));
        let other = bank_entry(&ledger, 50_000, date(1, 8));
        ledger
            .reconcile(&ctx("alice"), fee, &[first(entry)])
            .unwrap();
        ledger
            .validate(
                &ctx("alice"),
                &crate::ledger::Selection::Until {
                    date: date(12, 31),
                    journal: None,
                },
            )
            .unwrap();
        let next_year = Ctx::fixed(
            "alice",
            NaiveDate::from_ymd_opt(2027, 1, 15)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap(),
        );
        ledger.close_year(&next_year, Some("2026")).unwrap();
        assert!(matches!(
            ledger.unreconcile(&next_year, fee),
            Err(LedgerError::YearClosed(_))
        ));
        assert!(matches!(
            ledger.reconcile(&next_year, deposit, &[first(other)]),
            Err(LedgerError::YearClosed(_))
        ));
        assert_eq!(
            ledger.bank_line(fee).unwrap().status,
            BankLineStatus::Reconciled
        );
        assert!(ledger.check().unwrap().findings.is_empty());
    }

    #[test]
    fn check_reports_broken_marks() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger(dir.path());
        ledger
            .import_statements(&ctx("alice"), &import(vec![january()], false))
            .unwrap();
        let fee = BankLineId {
            statement: 1,
            line: 1,
        };
        let deposit = BankLineId {
            statement: 1,
            line: 2,
        };
        let entry = bank_entry(&ledger, -12_000, date(1, 4));
        ledger
            .reconcile(&ctx("alice"), fee, &[first(entry)])
            .unwrap();
        // Written behind the commands' back: the fee's book line again, for another amount.
        ledger
            .write(&ctx("alice"), |tx| {
                let mark = Reconciliation {
                    book_lines: vec![first(entry), LineRef { entry: 99, line: 0 }],
                    kind: MarkKind::Matched,
                    user: "mallory".into(),
                    date: date(11, 25),
                };
                tx.txn
                    .open_table(BANK_MARKS)?
                    .insert(deposit.key(), encode(&mark)?.as_slice())?;
                tx.audit(&ctx("alice"), "test", vec![], "broken mark".into())
            })
            .unwrap();
        let findings: Vec<String> = ledger
            .check()
            .unwrap()
            .findings
            .into_iter()
            .filter(|f| f.area == "bank")
            .map(|f| f.message)
            .collect();
        let all = findings.join("\n");
        assert!(
            all.contains("is reconciled with bank lines 1/1 and 1/2"),
            "{all}"
        );
        assert!(all.contains("entry #99, which does not exist"), "{all}");
        assert!(
            all.contains("bank line 1/2 is reconciled but listed as unreconciled"),
            "{all}"
        );
        assert!(all.contains("missing from the book-line index"), "{all}");
    }

    #[test]
    fn ibans_and_ribs_are_checked() {
        assert!(BankDetails::from_iban("FR76 3000 6000 0112 3456 7890 188").is_err());
        let details = BankDetails::from_iban("fr76 3000 6000 0112 3456 7890 189").unwrap();
        assert_eq!(details.rib.unwrap().to_string(), "30006 00001 12345678901");
        assert!(BankDetails::from_rib("30006 00001 12345678901 89").is_ok());
        assert!(BankDetails::from_rib("30006 00001 12345678901 88").is_err());
        assert_eq!(
            "4/12".parse::<BankLineId>().unwrap(),
            BankLineId {
                statement: 4,
                line: 12
            }
        );
        assert!("4/0".parse::<BankLineId>().is_err());
    }
}
