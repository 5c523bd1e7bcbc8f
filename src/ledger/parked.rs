//! Parked entries: an entry typed in the grid that does not balance yet (or is not complete),
//! kept aside to be finished later. A parked entry is outside the books: it is not a draft, it
//! is in no total, report or check, and it is never validated. It holds the grid's text as
//! typed, in its own table; saving it as a draft removes it in the same transaction.

use chrono::NaiveDateTime;
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::commands::{clean_input, new_entry};
use super::tables::PARKED;
use super::{Ctx, Ledger, LedgerError, Result};
use crate::model::{Entry, EntryInput, sanitize_text};

/// One line of a parked entry, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedLine {
    pub account: String,
    pub party: Option<String>,
    pub label: String,
    pub debit: String,
    pub credit: String,
}

/// What the grid holds when it is parked: the header and lines as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedInput {
    pub journal: String,
    pub date: String,
    pub piece: String,
    pub label: String,
    pub lines: Vec<ParkedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parked {
    pub id: u64,
    pub input: ParkedInput,
    pub parked_by: String,
    pub parked_at: NaiveDateTime,
}

impl Parked {
    /// `P3`: how screens and the audit log name a parked entry.
    pub fn reference(&self) -> String {
        format!("P{}", self.id)
    }
}

/// The longest text a parked field keeps (the grid accepts no more).
const MAX_FIELD: usize = 200;
/// Lines a parked entry may hold (as many as the grid).
const MAX_LINES: usize = 1_000;

fn clean(text: &str) -> String {
    sanitize_text(text).chars().take(MAX_FIELD).collect()
}

fn clean_parked(input: &ParkedInput) -> Result<ParkedInput> {
    if input.lines.len() > MAX_LINES {
        return Err(LedgerError::Invalid {
            field: "lines",
            reason: format!("a parked entry has at most {MAX_LINES} lines"),
        });
    }
    Ok(ParkedInput {
        journal: clean(&input.journal),
        date: clean(&input.date),
        piece: clean(&input.piece),
        label: clean(&input.label),
        lines: input
            .lines
            .iter()
            .map(|l| ParkedLine {
                account: clean(&l.account),
                party: l.party.as_deref().map(clean),
                label: clean(&l.label),
                debit: clean(&l.debit),
                credit: clean(&l.credit),
            })
            .collect(),
    })
}

fn not_found(id: u64) -> LedgerError {
    LedgerError::Invalid {
        field: "parked",
        reason: format!("no parked entry P{id} (finished or dropped meanwhile)"),
    }
}

impl Ledger {
    /// Parks what the grid holds, as a new parked entry or over parked entry `replace`.
    pub fn park(&self, ctx: &Ctx, input: &ParkedInput, replace: Option<u64>) -> Result<Parked> {
        let input = clean_parked(input)?;
        self.write(ctx, |tx| {
            let txn = tx.txn;
            let mut table = txn.open_table(PARKED)?;
            let id = match replace {
                Some(id) => {
                    if table.get(id)?.is_none() {
                        return Err(not_found(id));
                    }
                    id
                }
                None => {
                    let next: u64 = tx.get_meta("next_parked")?.unwrap_or(1);
                    let after = super::store::next_counter(next, "parked entry id")?;
                    tx.put_meta("next_parked", &after)?;
                    next
                }
            };
            let parked = Parked {
                id,
                input: input.clone(),
                parked_by: ctx.user.clone(),
                parked_at: ctx.now(),
            };
            table.insert(id, encode(&parked)?.as_slice())?;
            drop(table);
            tx.audit(
                ctx,
                "parked.save",
                vec![format!("parked:{id}")],
                format!(
                    "parked unfinished entry P{id} in {} dated {}, piece {}, {} lines (outside the books)",
                    input.journal,
                    input.date,
                    input.piece,
                    input.lines.len()
                ),
            )?;
            Ok(parked)
        })
    }

    /// Every parked entry, oldest first.
    pub fn parked_entries(&self) -> Result<Vec<Parked>> {
        let view = self.read()?;
        let Some(table) = view.table_if_exists(PARKED)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in table.range::<u64>(..)? {
            let (_, value) = item?;
            out.push(decode(value.value(), "parked entry")?);
        }
        Ok(out)
    }

    pub fn parked(&self, id: u64) -> Result<Parked> {
        let view = self.read()?;
        let Some(table) = view.table_if_exists(PARKED)? else {
            return Err(not_found(id));
        };
        match table.get(id)? {
            Some(bytes) => decode(bytes.value(), "parked entry"),
            None => Err(not_found(id)),
        }
    }

    /// Drops a parked entry.
    pub fn drop_parked(&self, ctx: &Ctx, id: u64) -> Result<Parked> {
        self.write(ctx, |tx| {
            let parked = take(tx, id)?;
            tx.audit(
                ctx,
                "parked.drop",
                vec![format!("parked:{id}")],
                format!("dropped unfinished entry P{id}"),
            )?;
            Ok(parked)
        })
    }

    /// Saves a parked entry, finished, as a new draft, and removes the parked copy in the
    /// same transaction.
    pub fn add_entry_from_parked(
        &self,
        ctx: &Ctx,
        input: &EntryInput,
        parked: u64,
    ) -> Result<Entry> {
        self.add_entry_from_parked_tagged(ctx, input, parked, &[])
    }

    /// `add_entry_from_parked` with a tax code per line, as `add_entry_tagged` takes them.
    pub fn add_entry_from_parked_tagged(
        &self,
        ctx: &Ctx,
        input: &EntryInput,
        parked: u64,
        tax_codes: &[Option<String>],
    ) -> Result<Entry> {
        let input = clean_input(input.clone());
        self.write(ctx, |tx| {
            take(tx, parked)?;
            tx.check_input(&input)?;
            let entry = new_entry(tx, ctx, input.clone(), None)?;
            let tags = super::vat_index::manual_tags(tx, &entry, tax_codes)?;
            tx.insert_entry_tagged(&entry, &tags)?;
            tx.audit(
                ctx,
                "entry.add",
                vec![format!("entry:{}", entry.id), format!("parked:{parked}")],
                format!(
                    "added draft #{} in {} on {}, piece {}, {} lines, total {}, from parked P{parked}",
                    entry.id,
                    entry.journal,
                    entry.date,
                    entry.piece,
                    entry.lines.len(),
                    entry.total_debit()
                ),
            )?;
            Ok(entry)
        })
    }
}

/// Removes a parked entry inside a command.
fn take(tx: &mut super::store::Tx<'_>, id: u64) -> Result<Parked> {
    let txn = tx.txn;
    let mut table = txn.open_table(PARKED)?;
    let removed: Option<Parked> = match table.remove(id)? {
        Some(bytes) => Some(decode(bytes.value(), "parked entry")?),
        None => None,
    };
    removed.ok_or_else(|| not_found(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountNumber, Amount, Line};

    fn ctx() -> Ctx {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .unwrap();
        Ctx::fixed("demo", now)
    }

    #[test]
    fn parked_entries_stay_outside_the_books_until_saved() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = crate::demo::build_demo(&dir.path().join("demo.ledger"), &ctx()).unwrap();
        let entries = ledger.entry_count().unwrap();
        let findings = ledger.check().unwrap().findings.len();
        let input = ParkedInput {
            journal: "AC".into(),
            date: "20/11/2026".into(),
            piece: "A1".into(),
            label: "Facture".into(),
            lines: vec![ParkedLine {
                account: "607000".into(),
                debit: "100".into(),
                ..ParkedLine::default()
            }],
        };
        let parked = ledger.park(&ctx(), &input, None).unwrap();
        assert_eq!(ledger.parked_entries().unwrap(), vec![parked.clone()]);
        assert_eq!(ledger.entry_count().unwrap(), entries);
        assert_eq!(ledger.check().unwrap().findings.len(), findings);
        let line = |account: &str, debit: i64, credit: i64| Line {
            account: AccountNumber::parse(account).unwrap(),
            third_party: None,
            label: String::new(),
            debit: Amount::from_cents(debit),
            credit: Amount::from_cents(credit),
        };
        let entry = EntryInput {
            journal: "AC".into(),
            date: ctx().today,
            piece: "A1".into(),
            label: "Facture".into(),
            lines: vec![line("607000", 10_000, 0), line("512000", 0, 10_000)],
        };
        let saved = ledger
            .add_entry_from_parked(&ctx(), &entry, parked.id)
            .unwrap();
        assert!(ledger.parked_entries().unwrap().is_empty());
        assert_eq!(
            ledger.entry(saved.id).unwrap().total_debit(),
            Amount::from_cents(10_000)
        );
        // Saving it again finds no parked copy: nothing is written twice.
        assert!(
            ledger
                .add_entry_from_parked(&ctx(), &entry, parked.id)
                .is_err()
        );
        assert_eq!(ledger.entry_count().unwrap(), entries + 1);
    }
}
