//! The summary `folio import fec` prints: what it did, then every tolerance it applied.

use std::io::Write;

use anyhow::Result;

use crate::ledger::FecImportSummary;

/// At most this many items of a list are printed; the rest are counted.
const MAX_LISTED: usize = 20;

fn list<T>(out: &mut impl Write, items: &[T], show: impl Fn(&T) -> String) -> Result<()> {
    for item in items.iter().take(MAX_LISTED) {
        writeln!(out, "  {}", show(item))?;
    }
    if items.len() > MAX_LISTED {
        writeln!(out, "  … and {} more", items.len() - MAX_LISTED)?;
    }
    Ok(())
}

pub fn write_fec_import_summary(out: &mut impl Write, s: &FecImportSummary) -> Result<()> {
    writeln!(
        out,
        "{} {} entries ({} lines), {} validated; created {} journals, {} accounts, {} third parties; {} lettered lines",
        if s.dry_run {
            "dry run, nothing written: would import"
        } else {
            "imported"
        },
        s.entries,
        s.lines,
        s.entries,
        s.journals_created,
        s.accounts_created,
        s.parties_created,
        s.grouped_lines.saturating_add(s.marked_lines)
    )?;
    let mut read = vec![s.encoding.clone()];
    if s.montant_sens {
        read.push("Montant and Sens read as Debit and Credit".into());
    }
    if s.grouped_by_piece {
        read.push(
            "EcritureNum blank or the same on every line: entries grouped by journal, date and piece"
                .into(),
        );
    }
    writeln!(out, "read: {}", read.join("; "))?;
    if s.grouped_lines > 0 || s.marked_lines > 0 {
        writeln!(
            out,
            "lettering: {} groups kept ({} lines); {} lines keep the file's code as an imported mark",
            s.letter_groups, s.grouped_lines, s.marked_lines
        )?;
        list(out, &s.marks, |(account, code, lines, why)| {
            format!("{account} `{code}` ({lines} lines): {why}")
        })?;
    }
    for (code, kind, treasury) in &s.journals {
        match treasury {
            Some(account) => writeln!(out, "journal {code} created as {kind} on {account}")?,
            None => writeln!(out, "journal {code} created as {kind}")?,
        }
    }
    for (written, code) in &s.journal_codes {
        writeln!(
            out,
            "journal code `{written}` is {code} in Folio (exported as `{written}`)"
        )?;
    }
    if s.valid_dates_filled > 0 {
        writeln!(
            out,
            "ValidDate blank on {} lines: the entry date was used",
            s.valid_dates_filled
        )?;
    }
    if s.letter_dates_filled > 0 {
        writeln!(
            out,
            "DateLet blank on {} lettered lines: the ValidDate (or the entry date) was used, the latest of a group's lines",
            s.letter_dates_filled
        )?;
    }
    if !s.lines_without_aux.is_empty() {
        let total: u64 = s.lines_without_aux.iter().map(|(_, n)| n).sum();
        writeln!(
            out,
            "{total} lines on accounts that need a third party have no CompAuxNum, imported as they are:"
        )?;
        list(out, &s.lines_without_aux, |(account, n)| {
            format!("{account}: {n} lines")
        })?;
    }
    if s.split_entries > 0 {
        writeln!(
            out,
            "{} entries have lines that are not consecutive in the file (grouped by journal and EcritureNum)",
            s.split_entries
        )?;
    }
    if !s.labels_differing.is_empty() {
        writeln!(out, "{} labels differ:", s.labels_differing.len())?;
        list(out, &s.labels_differing, String::clone)?;
    }
    if !s.cash_basis_columns.is_empty() {
        writeln!(
            out,
            "cash-basis columns ignored: {}",
            s.cash_basis_columns.join(", ")
        )?;
    }
    if !s.extra_columns.is_empty() {
        writeln!(
            out,
            "columns that are not FEC fields, ignored: {}",
            s.extra_columns.join(", ")
        )?;
    }
    for warning in &s.warnings {
        writeln!(out, "warning: {warning}")?;
    }
    Ok(())
}
