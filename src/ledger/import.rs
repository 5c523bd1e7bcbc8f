//! Bulk imports: entries CSV and FEC. One transaction each: any bad line refuses the file.

use redb::ReadableTable;
use serde::Serialize;

use super::commands::{clean_input, new_entry};
use super::documents::{DocumentInput, DocumentRef, PaymentInput};
use super::error::{LedgerError, Result};
use super::store::Tx;
use super::{Ctx, Ledger};
use crate::formats::FormatError;
use crate::formats::documents_csv::{ImportedDocument, ImportedPayment};
use crate::formats::entries_csv::ImportedEntry;
use crate::model::document::Document;
use crate::model::{AccountNumber, EntryInput, PartyKind};

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Validate (number) the imported entries instead of leaving drafts.
    pub validate: bool,
    /// Accept pieces that already exist in the journal.
    pub allow_existing_pieces: bool,
    /// A FEC: entries are keyed by their number, several may share a piece and a date.
    pub fec: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub entries: u64,
    pub lines: u64,
    pub validated: u64,
    pub journals_created: u64,
    pub accounts_created: u64,
    pub parties_created: u64,
    /// Third parties created by `--create-parties`: code, kind, collective account.
    pub created_parties: Vec<(String, PartyKind, AccountNumber)>,
    pub letters: u64,
}

fn format_error(err: FormatError) -> LedgerError {
    LedgerError::AtLine {
        file: err.file,
        line: err.line,
        field: err.field,
        reason: err.reason,
    }
}

impl Ledger {
    /// Imports entries read from Folio's entries CSV.
    pub fn import_entries(
        &self,
        ctx: &Ctx,
        file: &str,
        entries: impl Iterator<Item = Result<ImportedEntry, FormatError>>,
        options: &ImportOptions,
    ) -> Result<ImportSummary> {
        self.import_entries_creating_parties(ctx, file, entries, options, false)
    }

    /// Imports entries read from Folio's entries CSV; with `create_parties`, the unknown third
    /// parties of 411/401 lines are created first (see `setup::create_line_parties`).
    pub fn import_entries_creating_parties(
        &self,
        ctx: &Ctx,
        file: &str,
        entries: impl Iterator<Item = Result<ImportedEntry, FormatError>>,
        options: &ImportOptions,
        create_parties: bool,
    ) -> Result<ImportSummary> {
        self.write(ctx, |tx| {
            tx.begin_bulk();
            let first_id = tx.peek_next_entry_id();
            let mut summary = ImportSummary::default();
            let mut settings: Option<crate::model::settings::Settings> = None;
            for imported in entries {
                let imported = imported.map_err(format_error)?;

                let first_line = imported.first_line;
                let input = clean_input(imported.input);
                if create_parties {
                    super::setup::create_line_parties(
                        tx,
                        ctx,
                        file,
                        first_line,
                        &input,
                        &mut summary,
                    )?;
                }
                tx.check_input_at(&input).map_err(|(i, err)| {
                    err.at_line(file, first_line.saturating_add(i.unwrap_or(0) as u64))
                })?;
                check_piece(tx, &input, first_id, options)
                    .map_err(|err| err.at_line(file, first_line))?;
                let mut entry = new_entry(tx, ctx, input, None)?;
                if options.validate {
                    tx.number_entry(&mut entry, ctx.today)
                        .map_err(|err| err.at_line(file, first_line))?;
                    summary.validated = summary.validated.saturating_add(1);
                }
                if imported.taxes.is_empty() {
                    tx.insert_entry(&entry)?;
                } else {
                    for (i, code) in imported.taxes.iter().enumerate() {
                        if let Some(code) = code
                            && tax_settings(tx, &mut settings)?.tax(code).is_none()
                        {
                            return Err(LedgerError::Invalid {
                                field: "tax",
                                reason: format!(
                                    "unknown tax code `{code}` (folio taxes lists them)"
                                ),
                            }
                            .at_line(file, first_line.saturating_add(i as u64)));
                        }
                    }
                    let tags = super::vat_index::manual_tags_with(
                        tax_settings(tx, &mut settings)?,
                        &entry,
                        &imported.taxes,
                    )
                    .map_err(|err| err.at_line(file, first_line))?;
                    tx.insert_entry_tagged(&entry, &tags)?;
                }
                summary.entries = summary.entries.saturating_add(1);
                summary.lines = summary.lines.saturating_add(entry.lines.len() as u64);
            }
            let last_id = tx.peek_next_entry_id();
            tx.audit(
                ctx,
                "import.entries",
                vec![format!("import:{file}")],
                format!(
                    "imported {} entries ({} lines) from {file}{}: entries #{first_id} to #{}",
                    summary.entries,
                    summary.lines,
                    if options.validate {
                        ", validated"
                    } else {
                        " as drafts"
                    },
                    last_id.saturating_sub(1)
                ),
            )?;
            tx.audit_entry_range(first_id, last_id)?;
            Ok(summary)
        })
    }
}

/// Refuses a piece that already exists in the journal (unless allowed) and, for the entries
/// CSV whose entries are keyed by journal, piece and date, an entry split in two places.
pub(super) fn check_piece(
    tx: &mut Tx<'_>,
    input: &EntryInput,
    first_id: u64,
    options: &ImportOptions,
) -> Result<()> {
    let date = super::store::day(input.date);
    let journal = input.journal.as_str();
    let piece = input.piece.as_str();
    // The usual piece is new: known so without a look into the pieces table.
    if !tx.may_hold_piece(journal, piece)? {
        return Ok(());
    }
    let gathered = tx.gathered_pieces(journal, piece);
    let written = tx
        .pieces
        .range((journal, piece, 0u64)..=(journal, piece, u64::MAX))?
        .map(|item| item.map(|(key, value)| (key.value().2, value.value())));
    for item in written.chain(gathered.into_iter().map(Ok)) {
        let (id, other_date) = item?;
        if id >= first_id {
            if options.fec {
                continue;
            }
            if other_date == date {
                return Err(LedgerError::Invalid {
                    field: "piece",
                    reason: format!(
                        "the lines of piece {} on {} are not contiguous: keep each entry's lines together",
                        input.piece, input.date
                    ),
                });
            }
        } else if !options.allow_existing_pieces {
            return Err(LedgerError::PieceExists {
                journal: input.journal.clone(),
                piece: input.piece.clone(),
            });
        }
    }
    Ok(())
}

impl Ledger {
    /// Imports invoices and credit notes from the documents CSV: drafts, or validated and
    /// posted with `validate`.
    pub fn import_documents(
        &self,
        ctx: &Ctx,
        file: &str,
        documents: impl Iterator<Item = Result<ImportedDocument, FormatError>>,
        validate: bool,
    ) -> Result<Vec<Document>> {
        let inputs = documents.map(|item| {
            let doc = item.map_err(format_error)?;
            Ok((
                doc.first_line,
                DocumentInput {
                    doc_type: doc.doc_type,
                    party: doc.party,
                    date: doc.date,
                    reference: if doc.reference.is_empty() {
                        doc.key
                    } else {
                        doc.reference
                    },
                    lines: doc.lines,
                    line_numbers: doc.line_numbers,
                },
            ))
        });
        self.add_documents(ctx, inputs, validate, Some(file))
    }

    /// Registers payments and refunds from the payments CSV, with their allocations.
    pub fn import_payments(
        &self,
        ctx: &Ctx,
        file: &str,
        payments: impl Iterator<Item = Result<ImportedPayment, FormatError>>,
    ) -> Result<Vec<Document>> {
        let inputs = payments.map(|item| {
            let payment = item.map_err(format_error)?;
            Ok((
                payment.first_line,
                PaymentInput {
                    doc_type: payment.doc_type,
                    party: payment.party,
                    date: payment.date,
                    amount: payment.amount,
                    method: payment.method,
                    reference: if payment.reference.is_empty() {
                        payment.key
                    } else {
                        payment.reference
                    },
                    allocation_lines: payment.allocations.iter().map(|a| a.0).collect(),
                    allocations: payment
                        .allocations
                        .into_iter()
                        .map(|(_, target, amount)| (DocumentRef::Text(target), amount))
                        .collect(),
                },
            ))
        });
        self.register_payments(ctx, inputs, Some(file))
    }
}

/// The posting settings, read once per import (for the tax codes of the `tax` column).
fn tax_settings<'s>(
    tx: &super::store::Tx<'_>,
    cache: &'s mut Option<crate::model::settings::Settings>,
) -> Result<&'s crate::model::settings::Settings> {
    if cache.is_none() {
        *cache = Some(
            tx.get_meta("settings")?
                .ok_or_else(|| LedgerError::Invalid {
                    field: "tax",
                    reason: "this ledger has no posting settings, hence no tax codes".into(),
                })?,
        );
    }
    cache
        .as_ref()
        .ok_or_else(|| LedgerError::Corrupt("settings".into()))
}
