//! What a FEC import keeps of the file beyond the entries themselves, so that the FEC exported
//! afterwards gives back what was read: the file's `EcritureNum` of each entry, the per-line
//! fields an entry stores once (PieceRef, PieceDate, ValidDate) when a line differs, the
//! foreign-currency amounts, the third-party fields as written, and journal codes as written.
//!
//! Kept in tables of their own: entries are postcard-encoded without field names, so a new
//! field on `Entry` would break the decoding of existing ledgers.

use chrono::NaiveDate;
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::Ledger;
use super::codec::decode;
use super::error::Result;
use super::store::Tx;
use super::tables::Bytes;
use crate::model::{Amount, EntryId};

/// Entry -> what its FEC said ([`FecOrigin`]).
pub const FEC_ORIGINS: TableDefinition<u64, Bytes> = TableDefinition::new("fec_origins");
/// Journal code in Folio -> the code as the imported FEC wrote it, when they differ.
pub const FEC_JOURNAL_CODES: TableDefinition<&str, &str> =
    TableDefinition::new("fec_journal_codes");

/// The imported FEC's view of one entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FecOrigin {
    /// `EcritureNum` as the file wrote it (blank in some cash-basis files).
    pub number: String,
    /// Lines whose FEC fields differ from what the entry says, by line index.
    pub lines: Vec<(u32, FecLineOrigin)>,
}

/// FEC fields of one line that the entry does not hold as the file wrote them; `None` where
/// the entry's own value is the file's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FecLineOrigin {
    /// `CompteNum` as written, when Folio's number differs (`411` is account 411000).
    pub account: Option<String>,
    pub piece_ref: Option<String>,
    #[serde(serialize_with = "crate::model::calendar::iso_date_opt")]
    pub piece_date: Option<NaiveDate>,
    #[serde(serialize_with = "crate::model::calendar::iso_date_opt")]
    pub valid_date: Option<NaiveDate>,
    /// `Montantdevise` and `Idevise`.
    pub currency: Option<(Amount, String)>,
    /// `CompAuxNum` and `CompAuxLib` as written, when the party's differ.
    pub aux: Option<(String, String)>,
}

impl FecLineOrigin {
    pub fn is_empty(&self) -> bool {
        *self == FecLineOrigin::default()
    }
}

impl FecOrigin {
    pub fn line(&self, index: u32) -> Option<&FecLineOrigin> {
        self.lines
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .and_then(|at| self.lines.get(at))
            .map(|(_, origin)| origin)
    }
}

pub(crate) fn put_journal_code(tx: &mut Tx<'_>, code: &str, written: &str) -> Result<()> {
    tx.txn
        .open_table(FEC_JOURNAL_CODES)?
        .insert(code, written)?;
    Ok(())
}

pub(crate) fn origin_of(
    table: Option<&impl ReadableTable<u64, Bytes>>,
    entry: EntryId,
) -> Result<Option<FecOrigin>> {
    let Some(table) = table else {
        return Ok(None);
    };
    match table.get(entry)? {
        Some(bytes) => Ok(Some(decode(bytes.value(), "FEC origin")?)),
        None => Ok(None),
    }
}

impl Ledger {
    /// What the imported FEC said of an entry, if it came from one.
    pub fn fec_origin(&self, entry: EntryId) -> Result<Option<FecOrigin>> {
        let view = self.read()?;
        let table = view.table_if_exists(FEC_ORIGINS)?;
        origin_of(table.as_ref(), entry)
    }

    /// Journal codes as imported FECs wrote them, by Folio's code.
    pub fn fec_journal_codes(&self) -> Result<Vec<(String, String)>> {
        let view = self.read()?;
        let Some(table) = view.table_if_exists(FEC_JOURNAL_CODES)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in table.range::<&str>(..)? {
            let (key, value) = item?;
            out.push((key.value().to_string(), value.value().to_string()));
        }
        Ok(out)
    }
}
