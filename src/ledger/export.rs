//! Exports: the legal FEC of a fiscal year, and an hledger journal of every entry.

use std::collections::HashMap;
use std::io::Write;

use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::closing::find_year;
use super::codec::{decode, encode, payload, seal};
use super::error::{LedgerError, Result};
use super::fec_origin::{FEC_JOURNAL_CODES, FEC_ORIGINS, FecLineOrigin, origin_of};
use super::queries::letters_of;
use super::store::{Tx, day, decode_entry};
use super::tables::*;
use super::{EntryFilter, Ledger};
use crate::formats::fec::{Encoding, FecLine, FecOptions, FecReader, FecWriter, fec_file_name};
use crate::formats::hledger;
use crate::model::{Account, Entry, FiscalYear, Journal, JournalKind, Party};

/// A closed year's FEC is stored in chunks of this size.
const FEC_CHUNK_BYTES: usize = 1 << 20;

/// What a FEC export wrote.
#[derive(Debug, Clone)]
pub struct FecExport {
    pub file_name: String,
    pub year: FiscalYear,
    pub entries: u64,
    pub lines: u64,
}

impl Ledger {
    /// The fiscal year a FEC export is for: the named one, or the latest year with validated
    /// entries.
    pub fn fec_year(&self, name: Option<&str>) -> Result<FiscalYear> {
        let years = self.years()?;
        if name.is_some() {
            return find_year(&years, name);
        }
        let view = self.read()?;
        let order = view.table(VALIDATION_RUNS)?;
        for year in years.iter().rev() {
            let start = day(year.start);
            if order
                .range((start, 0u64)..=(start, u64::MAX))?
                .next()
                .is_some()
            {
                return Ok(year.clone());
            }
        }
        years
            .first()
            .cloned()
            .ok_or_else(|| LedgerError::UnknownYear("(none)".into()))
    }

    /// Writes the FEC of `year`: validated entries only, opening entries first, then in
    /// validation order. A closed year's FEC is the one stored when it was closed (in other
    /// options than the default ones, its lines rewritten), whatever was renamed since.
    pub fn export_fec<W: Write>(
        &self,
        year: &FiscalYear,
        out: W,
        options: FecOptions,
    ) -> Result<FecExport> {
        let view = self.read()?;
        if let Some(fecs) = view.table_if_exists(CLOSED_FECS)?
            && let Some(stored) = stored_fec(&fecs, year)?
        {
            return write_stored_fec(&view.table(CLOSED_FEC_CHUNKS)?, year, &stored, out, options);
        }
        let names = FecNames {
            siren: self.company()?.siren,
            journals: self
                .journals()?
                .into_iter()
                .map(|j| (j.code.clone(), j))
                .collect(),
            accounts: self
                .accounts()?
                .into_iter()
                .map(|a| (a.number.as_str().to_string(), a))
                .collect(),
            parties: self
                .parties()?
                .into_iter()
                .map(|p| (p.code.clone(), p))
                .collect(),
            journal_codes: self.fec_journal_codes()?.into_iter().collect(),
        };
        write_fec(
            &names,
            &view.table(VALIDATION_RUNS)?,
            &view.table(ENTRIES)?,
            (
                &view.table(LETTERING)?,
                view.table_if_exists(FEC_ORIGINS)?.as_ref(),
            ),
            year,
            out,
            options,
        )
    }

    /// Writes every entry (drafts included, marked pending) as an hledger journal.
    pub fn export_hledger<W: Write>(&self, mut out: W) -> Result<u64> {
        let io = |err: std::io::Error| LedgerError::Storage(format!("cannot write: {err}"));
        out.write_all(hledger::hledger_header().as_bytes())
            .map_err(io)?;
        let mut count = 0u64;
        self.for_each_entry(&EntryFilter::default(), |entry| {
            hledger::write_hledger(&mut out, &entry).map_err(io)?;
            count = count.saturating_add(1);
            Ok(())
        })?;
        out.flush().map_err(io)?;
        Ok(count)
    }
}

/// The names a FEC line takes from the ledger (labels of journals, accounts, third parties).
struct FecNames {
    siren: String,
    journals: HashMap<String, Journal>,
    accounts: HashMap<String, Account>,
    parties: HashMap<String, Party>,
    /// Journal codes as an imported FEC wrote them, by Folio's code.
    journal_codes: HashMap<String, String>,
}

fn io_error(err: std::io::Error) -> LedgerError {
    LedgerError::Storage(format!("cannot write the FEC: {err}"))
}

/// Writes the FEC of `year` from the tables of a read or a write transaction.
fn write_fec<W: Write>(
    names: &FecNames,
    order: &impl ReadableTable<(i32, u64), (u64, u64)>,
    entries: &impl ReadableTable<u64, Bytes>,
    (lettering, origins): (
        &impl ReadableTable<(u64, u32), Bytes>,
        Option<&impl ReadableTable<u64, Bytes>>,
    ),
    year: &FiscalYear,
    out: W,
    options: FecOptions,
) -> Result<FecExport> {
    let mut writer = FecWriter::new(out, options).map_err(io_error)?;
    let mut export = FecExport {
        file_name: fec_file_name(&names.siren, year.end),
        year: year.clone(),
        entries: 0,
        lines: 0,
    };
    let start = day(year.start);
    let is_opening = |entry: &Entry| {
        names
            .journals
            .get(&entry.journal)
            .is_some_and(|j| j.kind == JournalKind::Opening)
    };
    for opening_pass in [true, false] {
        let runs = order
            .range((start, 0u64)..=(start, u64::MAX))?
            .map(|item| item.map(|(_, run)| run.value()))
            .collect::<Result<Vec<(u64, u64)>, _>>()?;
        for id in runs
            .iter()
            .flat_map(|(first, count)| *first..first.saturating_add(*count))
        {
            let bytes = entries.get(id)?.ok_or_else(|| {
                LedgerError::Corrupt(format!("validation order names missing entry #{id}"))
            })?;
            let entry = decode_entry(bytes.value(), id)?;
            if is_opening(&entry) != opening_pass {
                continue;
            }
            let letters = letters_of(lettering, id)?;
            let origin = origin_of(origins, id)?;
            let journal = names.journals.get(&entry.journal);
            let journal_code = names
                .journal_codes
                .get(&entry.journal)
                .unwrap_or(&entry.journal);
            // Folio's own numbering (gapless per journal and year, as the FEC requires); the
            // imported file's EcritureNum stays on the entry's origin, shown with the entry.
            let number = entry.reference();
            let valid_date = entry.validated_on.unwrap_or(entry.date);
            for (i, line) in entry.lines.iter().enumerate() {
                let kept = origin.as_ref().and_then(|o| o.line(i as u32));
                let party = line
                    .third_party
                    .as_ref()
                    .and_then(|code| names.parties.get(code));
                let mark = letters.get(&(i as u32));
                let mut fec = FecLine {
                    journal_code: journal_code.clone(),
                    journal_label: journal.map(|j| j.label.clone()).unwrap_or_default(),
                    number: number.clone(),
                    date: entry.date,
                    account: line.account.to_string(),
                    account_label: names
                        .accounts
                        .get(line.account.as_str())
                        .map(|a| a.label.clone())
                        .unwrap_or_default(),
                    aux_num: party
                        .map(|p| p.auxiliary_account.clone())
                        .unwrap_or_default(),
                    aux_label: party.map(|p| p.name.clone()).unwrap_or_default(),
                    piece_ref: entry.piece.clone(),
                    piece_date: entry.date,
                    label: entry.line_label(line).to_string(),
                    debit: line.debit,
                    credit: line.credit,
                    letter: mark.map(|m| m.code.clone()).unwrap_or_default(),
                    letter_date: mark.map(|m| m.date),
                    valid_date: Some(valid_date),
                    currency_amount: None,
                    currency: String::new(),
                };
                if let Some(kept) = kept {
                    apply_origin(&mut fec, kept);
                }
                writer.write_line(&fec).map_err(io_error)?;
                export.lines = export.lines.saturating_add(1);
            }
            export.entries = export.entries.saturating_add(1);
        }
    }
    writer.finish().map_err(io_error)?;
    Ok(export)
}

/// The fields an imported FEC wrote otherwise than the entry holds them.
fn apply_origin(fec: &mut FecLine, kept: &FecLineOrigin) {
    if let Some(account) = &kept.account {
        fec.account.clone_from(account);
    }
    if let Some(piece) = &kept.piece_ref {
        fec.piece_ref.clone_from(piece);
    }
    if let Some(date) = kept.piece_date {
        fec.piece_date = date;
    }
    if let Some(date) = kept.valid_date {
        fec.valid_date = Some(date);
    }
    if let Some((amount, currency)) = &kept.currency {
        fec.currency_amount = Some(*amount);
        fec.currency.clone_from(currency);
    }
    if let Some((num, label)) = &kept.aux {
        fec.aux_num.clone_from(num);
        fec.aux_label.clone_from(label);
    }
}

/// What is stored of a closed year's FEC besides its bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredFec {
    pub file_name: String,
    pub sha256: [u8; 32],
    pub bytes: u64,
    pub chunks: u32,
    pub entries: u64,
    pub lines: u64,
}

pub(crate) fn stored_fec(
    table: &impl ReadableTable<i32, Bytes>,
    year: &FiscalYear,
) -> Result<Option<StoredFec>> {
    match table.get(day(year.start))? {
        Some(bytes) => Ok(Some(decode(bytes.value(), "stored FEC")?)),
        None => Ok(None),
    }
}

/// Reads the stored FEC chunk by chunk into `sink`; an error if its hash or length differ
/// from what was stored at closing.
pub(crate) fn read_stored_fec(
    chunks: &impl ReadableTable<(i32, u32), Bytes>,
    year: &FiscalYear,
    stored: &StoredFec,
    mut sink: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let start = day(year.start);
    let mut hasher = Sha256::new();
    let mut length = 0u64;
    for chunk in 0..stored.chunks {
        let bytes = chunks.get((start, chunk))?.ok_or_else(|| {
            LedgerError::Corrupt(format!(
                "the FEC stored for fiscal year {} misses part {chunk}",
                year.name()
            ))
        })?;
        let part = payload(bytes.value(), "stored FEC")?;
        hasher.update(part);
        length = length.saturating_add(part.len() as u64);
        sink(part)?;
    }
    let hash: [u8; 32] = hasher.finalize().into();
    if hash != stored.sha256 || length != stored.bytes {
        return Err(LedgerError::Corrupt(format!(
            "the FEC stored for fiscal year {} does not match its hash",
            year.name()
        )));
    }
    Ok(())
}

fn write_stored_fec<W: Write>(
    chunks: &impl ReadableTable<(i32, u32), Bytes>,
    year: &FiscalYear,
    stored: &StoredFec,
    mut out: W,
    options: FecOptions,
) -> Result<FecExport> {
    // Verified whole before a byte is written: a damaged FEC is refused, not half written.
    read_stored_fec(chunks, year, stored, |_| Ok(()))?;
    let export = FecExport {
        file_name: stored.file_name.clone(),
        year: year.clone(),
        entries: stored.entries,
        lines: stored.lines,
    };
    if options == FecOptions::default() {
        read_stored_fec(chunks, year, stored, |part| {
            out.write_all(part).map_err(io_error)
        })?;
        out.flush().map_err(io_error)?;
        return Ok(export);
    }
    // Other options: the stored lines, rewritten with them.
    let mut bytes = Vec::with_capacity(usize::try_from(stored.bytes).unwrap_or(0));
    read_stored_fec(chunks, year, stored, |part| {
        bytes.extend_from_slice(part);
        Ok(())
    })?;
    let reader = FecReader::new(&stored.file_name, bytes.as_slice(), Encoding::Utf8)
        .map_err(|err| LedgerError::Corrupt(format!("the stored FEC: {err}")))?;
    let mut writer = FecWriter::new(out, options).map_err(io_error)?;
    for line in reader {
        let (_, line) =
            line.map_err(|err| LedgerError::Corrupt(format!("the stored FEC: {err}")))?;
        writer.write_line(&line).map_err(io_error)?;
    }
    writer.finish().map_err(io_error)?;
    Ok(export)
}

/// Writes into the chunks of a stored FEC, hashing as it goes.
struct ChunkWriter<'a, 't> {
    table: &'a mut Table<'t, (i32, u32), Bytes>,
    year_start: i32,
    buffer: Vec<u8>,
    chunks: u32,
    bytes: u64,
    hasher: Sha256,
}

impl ChunkWriter<'_, '_> {
    fn flush_chunk(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.hasher.update(&self.buffer);
        self.bytes = self.bytes.saturating_add(self.buffer.len() as u64);
        self.table
            .insert(
                (self.year_start, self.chunks),
                seal(&self.buffer).as_slice(),
            )
            .map_err(std::io::Error::other)?;
        self.chunks = self.chunks.saturating_add(1);
        self.buffer.clear();
        Ok(())
    }
}

impl Write for ChunkWriter<'_, '_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= FEC_CHUNK_BYTES {
            self.flush_chunk()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes the FEC of a year being closed into the ledger, with its hash: from then on,
/// `export fec` of that year gives these bytes.
pub(crate) fn store_closing_fec(tx: &mut Tx<'_>, year: &FiscalYear) -> Result<StoredFec> {
    let company: crate::model::Company = tx
        .get_meta("company")?
        .ok_or_else(|| LedgerError::Corrupt("the company record is missing".into()))?;
    let mut accounts = HashMap::new();
    for item in tx.accounts.range::<&str>(..)? {
        let (key, value) = item?;
        let account: Account = decode(value.value(), "account")?;
        accounts.insert(key.value().to_string(), account);
    }
    let mut parties = HashMap::new();
    for item in tx.parties.range::<&str>(..)? {
        let (key, value) = item?;
        let party: Party = decode(value.value(), "third party")?;
        parties.insert(key.value().to_string(), party);
    }
    let mut journal_codes = HashMap::new();
    for item in tx.txn.open_table(FEC_JOURNAL_CODES)?.range::<&str>(..)? {
        let (key, value) = item?;
        journal_codes.insert(key.value().to_string(), value.value().to_string());
    }
    let names = FecNames {
        siren: company.siren,
        journals: tx
            .all_journals()?
            .into_iter()
            .map(|j| (j.code.clone(), j))
            .collect(),
        accounts,
        parties,
        journal_codes,
    };
    let origins = tx.txn.open_table(FEC_ORIGINS)?;
    let start = day(year.start);
    let mut table = tx.txn.open_table(CLOSED_FEC_CHUNKS)?;
    let mut writer = ChunkWriter {
        table: &mut table,
        year_start: start,
        buffer: Vec::with_capacity(FEC_CHUNK_BYTES),
        chunks: 0,
        bytes: 0,
        hasher: Sha256::new(),
    };
    let export = write_fec(
        &names,
        &tx.validation_runs,
        &tx.entries,
        (&tx.lettering, Some(&origins)),
        year,
        &mut writer,
        FecOptions::default(),
    )?;
    writer.flush_chunk().map_err(|err| {
        LedgerError::Storage(format!("cannot store the FEC of the closed year: {err}"))
    })?;
    let stored = StoredFec {
        file_name: export.file_name,
        sha256: writer.hasher.finalize().into(),
        bytes: writer.bytes,
        chunks: writer.chunks,
        entries: export.entries,
        lines: export.lines,
    };
    drop(table);
    tx.txn
        .open_table(CLOSED_FECS)?
        .insert(start, encode(&stored)?.as_slice())?;
    Ok(stored)
}
