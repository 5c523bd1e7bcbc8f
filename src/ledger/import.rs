//! Bulk imports: entries CSV and FEC. One transaction each: any bad line refuses the file.

use redb::ReadableTable;
use serde::Serialize;

use super::commands::{clean_input, new_entry};
use super::documents::{DocumentInput, DocumentRef, PaymentInput};
use super::error::{LedgerError, Result};
use super::queries::LetterMark;
use super::store::Tx;
use super::{Ctx, Ledger};
use crate::formats::FormatError;
use crate::formats::documents_csv::{ImportedDocument, ImportedPayment};
use crate::formats::entries_csv::ImportedEntry;
use crate::formats::fec::FecLine;
use crate::model::document::Document;
use crate::model::journal::parse_journal_code;
use crate::model::party::parse_party_code;
use crate::model::{
    Account, AccountNumber, EntryInput, Journal, JournalKind, Line, Party, PartyKind, sanitize_text,
};

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
                tx.insert_entry(&entry)?;
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

    /// Imports a FEC (from another software) into this ledger: unknown journals, accounts and
    /// third parties are created, entries land validated on their `ValidDate` with Folio's
    /// numbering, lettering codes are kept.
    pub fn import_fec(
        &self,
        ctx: &Ctx,
        file: &str,
        lines: impl Iterator<Item = Result<FecLine, FormatError>>,
        options: &ImportOptions,
    ) -> Result<ImportSummary> {
        self.write(ctx, |tx| {
            tx.begin_bulk();
            let first_id = tx.peek_next_entry_id();
            let post = |tx: &mut Tx<'_>, group: &[(u64, FecLine)], summary: &mut ImportSummary| {
                post_fec_entry(tx, ctx, file, group, first_id, options, summary)
            };
            let mut summary = ImportSummary::default();
            let mut group: Vec<(u64, FecLine)> = Vec::new();
            let mut line_no = 1u64;
            for line in lines {
                let line = line.map_err(format_error)?;
                line_no = line_no.saturating_add(1);
                let same = group.first().is_some_and(|(_, first)| {
                    first.journal_code == line.journal_code && first.number == line.number
                });
                if !same && !group.is_empty() {
                    post(tx, &std::mem::take(&mut group), &mut summary)?;
                }
                group.push((line_no, line));
            }
            if !group.is_empty() {
                post(tx, &group, &mut summary)?;
            }
            let last_id = tx.peek_next_entry_id();
            tx.audit(
                ctx,
                "import.fec",
                vec![format!("import:{file}")],
                format!(
                    "imported FEC {file}: {} entries, {} lines, {} journals, {} accounts and {} third parties created, {} lettered lines",
                    summary.entries,
                    summary.lines,
                    summary.journals_created,
                    summary.accounts_created,
                    summary.parties_created,
                    summary.letters
                ),
            )?;
            tx.audit_entry_range(first_id, last_id)?;
            Ok(summary)
        })
    }
}

/// Refuses a piece that already exists in the journal (unless allowed) and, for the entries
/// CSV whose entries are keyed by journal, piece and date, an entry split in two places.
fn check_piece(
    tx: &Tx<'_>,
    input: &EntryInput,
    first_id: u64,
    options: &ImportOptions,
) -> Result<()> {
    let date = super::store::day(input.date);
    let journal = input.journal.as_str();
    let piece = input.piece.as_str();
    for item in tx
        .pieces
        .range((journal, piece, 0u64)..=(journal, piece, u64::MAX))?
    {
        let (key, value) = item?;
        let (id, other_date) = (key.value().2, value.value());
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

fn at(file: &str, line: u64, field: &str, reason: impl Into<String>) -> LedgerError {
    LedgerError::AtLine {
        file: file.to_string(),
        line,
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn guess_journal_kind(code: &str, label: &str) -> JournalKind {
    let label = label.to_lowercase();
    let code = code.to_ascii_uppercase();
    if code.starts_with("AN") || code == "RAN" || label.contains("nouveau") {
        JournalKind::Opening
    } else if code.starts_with("VE") || code.starts_with("VT") || label.contains("vente") {
        JournalKind::Sales
    } else if code.starts_with("AC") || code.starts_with("HA") || label.contains("achat") {
        JournalKind::Purchases
    } else if code.starts_with("BQ") || code.starts_with("BA") || label.contains("banque") {
        JournalKind::Bank
    } else if code.starts_with("CA") || label.contains("caisse") {
        JournalKind::Cash
    } else {
        JournalKind::Miscellaneous
    }
}

fn ensure_journal(
    tx: &mut Tx<'_>,
    file: &str,
    line_no: u64,
    fec: &FecLine,
    summary: &mut ImportSummary,
) -> Result<String> {
    let code = parse_journal_code(&fec.journal_code)
        .map_err(|err| at(file, line_no, "JournalCode", err.to_string()))?;
    if tx.journal_opt(&code)?.is_none() {
        let mut kind = guess_journal_kind(&code, &fec.journal_label);
        let treasury = match kind {
            JournalKind::Bank => Some("512000"),
            JournalKind::Cash => Some("530000"),
            _ => None,
        }
        .and_then(|n| AccountNumber::parse(n).ok());
        let treasury = match treasury {
            Some(account) if tx.account_opt(&account)?.is_some() => Some(account),
            _ => None,
        };
        if kind.needs_treasury_account() && treasury.is_none() {
            kind = JournalKind::Miscellaneous;
        }
        let label = sanitize_text(&fec.journal_label);
        tx.put_journal(&Journal {
            code: code.clone(),
            label: if label.is_empty() {
                code.clone()
            } else {
                label
            },
            kind,
            treasury_account: treasury,
            active: true,
        })?;
        summary.journals_created = summary.journals_created.saturating_add(1);
    }
    Ok(code)
}

fn ensure_account(
    tx: &mut Tx<'_>,
    file: &str,
    line_no: u64,
    fec: &FecLine,
    summary: &mut ImportSummary,
) -> Result<AccountNumber> {
    let number = AccountNumber::parse(&fec.account)
        .map_err(|err| at(file, line_no, "CompteNum", err.to_string()))?;
    if tx.account_opt(&number)?.is_none() {
        let label = sanitize_text(&fec.account_label);
        let label = if label.is_empty() {
            number.to_string()
        } else {
            label
        };
        tx.put_account(&Account::new(number.clone(), label))?;
        summary.accounts_created = summary.accounts_created.saturating_add(1);
    }
    Ok(number)
}

fn ensure_party(
    tx: &mut Tx<'_>,
    file: &str,
    line_no: u64,
    fec: &FecLine,
    account: &AccountNumber,
    summary: &mut ImportSummary,
) -> Result<Option<String>> {
    if fec.aux_num.trim().is_empty() {
        return Ok(None);
    }
    let code = parse_party_code(&fec.aux_num)
        .map_err(|err| at(file, line_no, "CompAuxNum", err.to_string()))?;
    if tx.party_opt(&code)?.is_none() {
        let kind = if account.starts_with("40") {
            PartyKind::Supplier
        } else {
            PartyKind::Customer
        };
        let name = sanitize_text(&fec.aux_label);
        let name = if name.is_empty() { code.clone() } else { name };
        let mut party = Party::new(code.clone(), name, kind, account.clone());
        party.auxiliary_account = fec.aux_num.trim().to_string();
        tx.put_party(&party)?;
        summary.parties_created = summary.parties_created.saturating_add(1);
    }
    Ok(Some(code))
}

fn post_fec_entry(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    file: &str,
    group: &[(u64, FecLine)],
    first_id: u64,
    options: &ImportOptions,
    summary: &mut ImportSummary,
) -> Result<()> {
    let Some((first_line, first)) = group.first() else {
        return Ok(());
    };
    let journal = ensure_journal(tx, file, *first_line, first, summary)?;
    let mut lines = Vec::with_capacity(group.len());
    for (line_no, fec) in group {
        if fec.date != first.date {
            return Err(at(
                file,
                *line_no,
                "EcritureDate",
                format!(
                    "entry {} {} has lines on {} and {}",
                    first.journal_code, first.number, first.date, fec.date
                ),
            ));
        }
        let account = ensure_account(tx, file, *line_no, fec, summary)?;
        let party = ensure_party(tx, file, *line_no, fec, &account, summary)?;
        lines.push(Line {
            account,
            third_party: party,
            label: fec.label.clone(),
            debit: fec.debit,
            credit: fec.credit,
        });
    }
    let input = clean_input(EntryInput {
        journal,
        date: first.date,
        piece: first.piece_ref.clone(),
        label: first.label.clone(),
        lines,
    });
    tx.check_input_at(&input).map_err(|(i, err)| {
        let line_no = group
            .get(i.unwrap_or(0))
            .or(group.last())
            .map_or(*first_line, |(line_no, _)| *line_no);
        err.at_line(file, line_no)
    })?;
    check_piece(tx, &input, first_id, options).map_err(|err| err.at_line(file, *first_line))?;
    let mut entry = new_entry(tx, ctx, input, None)?;
    tx.number_entry(&mut entry, first.valid_date)
        .map_err(|err| err.at_line(file, *first_line))?;
    tx.insert_entry(&entry)?;
    for (i, (_, fec)) in group.iter().enumerate() {
        let code = fec.letter.trim();
        if !code.is_empty() {
            let mark = LetterMark {
                code: code.to_string(),
                date: fec.letter_date.unwrap_or(fec.valid_date),
            };
            tx.lettering.insert(
                (entry.id, i as u32),
                super::codec::encode(&mark)?.as_slice(),
            )?;
            summary.letters = summary.letters.saturating_add(1);
        }
    }
    summary.entries = summary.entries.saturating_add(1);
    summary.validated = summary.validated.saturating_add(1);
    summary.lines = summary.lines.saturating_add(entry.lines.len() as u64);
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
