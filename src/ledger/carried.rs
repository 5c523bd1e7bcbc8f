//! Where a line of an opening entry came from: closing carries each open item of a letterable
//! account into the opening entry as a line of its own, and records here the date, piece, due
//! date and entry of the line it carries. The opening entry keeps its single piece
//! (`AN2027`); the origin is a side table keyed by (entry, line), written in the same
//! transaction as the opening entry, so that stored entries keep their encoding.

use chrono::NaiveDate;
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::codec::decode;
use super::error::Result;
use super::store::View;
use super::tables::Bytes;
use crate::model::{EntryId, JournalKind};

/// (opening entry, line) -> the origin of a carried line.
pub const CARRIED_ORIGINS: TableDefinition<(u64, u32), Bytes> =
    TableDefinition::new("carried_origins");

/// The line a carried line stands for: for an open line, itself; for the remainder of a
/// partial letter group, the oldest line of the group on the remainder's side; for a line
/// carried again, the line it was first carried from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineOrigin {
    pub date: NaiveDate,
    pub piece: String,
    pub due: Option<NaiveDate>,
    /// The entry the line belongs to: `VE2026-000012`.
    pub entry: String,
}

impl LineOrigin {
    /// `from FA2026-0012 VE2026-000012 2026-03-12`, as ledgers print it after the label.
    pub fn describe(&self) -> String {
        if self.piece.is_empty() {
            format!("from {} {}", self.entry, self.date)
        } else {
            format!("from {} {} {}", self.piece, self.entry, self.date)
        }
    }

    /// The label a ledger shows for a line: its own, followed by where it came from.
    pub fn labelled(label: &str, origin: Option<&LineOrigin>) -> String {
        match origin {
            Some(origin) if label.is_empty() => origin.describe(),
            Some(origin) => format!("{label} ({})", origin.describe()),
            None => label.to_string(),
        }
    }
}

/// The origin of one line, if it was carried.
pub(crate) fn origin_of(
    table: &impl ReadableTable<(u64, u32), Bytes>,
    entry: EntryId,
    line: u32,
) -> Result<Option<LineOrigin>> {
    match table.get((entry, line))? {
        Some(bytes) => Ok(Some(decode(bytes.value(), "origin of a carried line")?)),
        None => Ok(None),
    }
}

/// `folio check` on the origins: each decodes and names a line of a validated entry of an
/// opening journal.
pub(super) fn check_origins(view: &View, add: &mut dyn FnMut(String)) -> Result<()> {
    let Some(table) = view.table_if_exists(CARRIED_ORIGINS)? else {
        return Ok(());
    };
    let journals: Vec<crate::model::Journal> = view.all(super::tables::JOURNALS, "journal")?;
    let mut entry: Option<(EntryId, Option<crate::model::Entry>)> = None;
    for item in table.range::<(u64, u32)>(..)? {
        let (key, value) = item?;
        let (id, line) = key.value();
        let name = format!("entry #{id} line {}", line.saturating_add(1));
        if let Err(err) = decode::<LineOrigin>(value.value(), "origin of a carried line") {
            add(format!("origin of {name}: {err}"));
            continue;
        }
        // Origins come in (entry, line) order: each opening entry is decoded once.
        if entry.as_ref().is_none_or(|(at, _)| *at != id) {
            entry = Some((id, view.entry_opt(id)?));
        }
        let Some((_, Some(entry))) = &entry else {
            add(format!("origin of {name}: the entry does not exist"));
            continue;
        };
        if entry.lines.get(line as usize).is_none() {
            add(format!(
                "origin of {name}: entry {} has no such line",
                entry.reference()
            ));
        }
        let opening = journals
            .iter()
            .any(|j| j.code == entry.journal && j.kind == JournalKind::Opening);
        if !entry.is_validated() || !opening {
            add(format!(
                "origin of {name}: entry {} is not a validated opening entry",
                entry.reference()
            ));
        }
    }
    Ok(())
}
