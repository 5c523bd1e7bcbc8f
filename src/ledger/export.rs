//! Exports: the legal FEC of a fiscal year, and an hledger journal of every entry.

use std::collections::HashMap;
use std::io::Write;

use super::closing::find_year;
use super::codec::decode;
use super::error::{LedgerError, Result};
use super::queries::letters_of;
use super::store::day;
use super::tables::*;
use super::{EntryFilter, Ledger};
use crate::formats::fec::{FecLine, FecOptions, FecWriter, fec_file_name};
use crate::formats::hledger;
use crate::model::{Account, Entry, FiscalYear, Journal, JournalKind, Party};

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
    /// validation order.
    pub fn export_fec<W: Write>(
        &self,
        year: &FiscalYear,
        out: W,
        options: FecOptions,
    ) -> Result<FecExport> {
        let company = self.company()?;
        let journals: HashMap<String, Journal> = self
            .journals()?
            .into_iter()
            .map(|j| (j.code.clone(), j))
            .collect();
        let accounts: HashMap<String, Account> = self
            .accounts()?
            .into_iter()
            .map(|a| (a.number.as_str().to_string(), a))
            .collect();
        let parties: HashMap<String, Party> = self
            .parties()?
            .into_iter()
            .map(|p| (p.code.clone(), p))
            .collect();
        let view = self.read()?;
        let order = view.table(VALIDATION_RUNS)?;
        let entries = view.table(ENTRIES)?;
        let lettering = view.table(LETTERING)?;
        let io = |err: std::io::Error| LedgerError::Storage(format!("cannot write the FEC: {err}"));
        let mut writer = FecWriter::new(out, options).map_err(io)?;
        let mut export = FecExport {
            file_name: fec_file_name(&company.siren, year.end),
            year: year.clone(),
            entries: 0,
            lines: 0,
        };
        let start = day(year.start);
        let is_opening = |entry: &Entry| {
            journals
                .get(&entry.journal)
                .is_some_and(|j| j.kind == JournalKind::Opening)
        };
        for opening_pass in [true, false] {
            let runs = order
                .range((start, 0u64)..=(start, u64::MAX))?
                .map(|item| item.map(|(_, run)| run.value()))
                .collect::<Result<Vec<(u64, u64)>, _>>()?;
            for id in runs.iter().flat_map(|(first, count)| *first..first + count) {
                let bytes = entries.get(id)?.ok_or_else(|| {
                    LedgerError::Corrupt(format!("validation order names missing entry #{id}"))
                })?;
                let entry: Entry = decode(bytes.value(), "entry")?;
                if is_opening(&entry) != opening_pass {
                    continue;
                }
                let letters = letters_of(&lettering, id)?;
                let journal = journals.get(&entry.journal);
                for (i, line) in entry.lines.iter().enumerate() {
                    let party = line.third_party.as_ref().and_then(|code| parties.get(code));
                    let mark = letters.get(&(i as u32));
                    let fec = FecLine {
                        journal_code: entry.journal.clone(),
                        journal_label: journal.map(|j| j.label.clone()).unwrap_or_default(),
                        number: entry.reference(),
                        date: entry.date,
                        account: line.account.to_string(),
                        account_label: accounts
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
                        valid_date: entry.validated_on.unwrap_or(entry.date),
                        currency_amount: None,
                        currency: String::new(),
                    };
                    writer.write_line(&fec).map_err(io)?;
                    export.lines += 1;
                }
                export.entries += 1;
            }
        }
        writer.finish().map_err(io)?;
        Ok(export)
    }

    /// Writes every entry (drafts included, marked pending) as an hledger journal.
    pub fn export_hledger<W: Write>(&self, mut out: W) -> Result<u64> {
        let io = |err: std::io::Error| LedgerError::Storage(format!("cannot write: {err}"));
        out.write_all(hledger::hledger_header().as_bytes())
            .map_err(io)?;
        let mut count = 0;
        self.for_each_entry(&EntryFilter::default(), |entry| {
            hledger::write_hledger(&mut out, &entry).map_err(io)?;
            count += 1;
            Ok(())
        })?;
        out.flush().map_err(io)?;
        Ok(count)
    }
}
