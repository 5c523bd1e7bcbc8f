//! `folio report ...` and the entry view.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use chrono::NaiveDate;
use serde::Serialize;

use super::commands::{account_arg, amount_cell, date_arg};
use super::output::{Align, Format, Rows, emit, write_csv_record, write_json};
use super::{RangeArgs, ReportKind};
use crate::ledger::{Ctx, EntryFilter, Ledger, LedgerOf, LedgerPage};
use crate::model::journal::parse_journal_code;
use crate::model::party::parse_party_code;
use crate::model::text::{display_text, echo};
use crate::model::{Amount, Entry, EntryStatus, FiscalYear};
use crate::reports::aged::{AgedBalance, AgedSide, Bucket, Buckets};
use crate::reports::{TrialBalance, class_label};

/// Resolves `--year`, `--from`, `--to` to dates. Without any, the fiscal year containing today
/// (or the last one).
fn resolve_range(
    years: &[FiscalYear],
    range: &RangeArgs,
    ctx: &Ctx,
) -> Result<(NaiveDate, NaiveDate)> {
    let year_of = |date: NaiveDate| years.iter().find(|y| y.contains(date));
    if let Some(name) = &range.year {
        let year = years
            .iter()
            .find(|y| y.name() == *name)
            .ok_or_else(|| anyhow!("year: no fiscal year {}", echo(name)))?;
        return Ok((year.start, year.end));
    }
    let from = range
        .from
        .as_deref()
        .map(|d| date_arg("from", d))
        .transpose()?;
    let to = range.to.as_deref().map(|d| date_arg("to", d)).transpose()?;
    let default_year = year_of(ctx.today).or(years.last());
    let (from, to) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, year_of(from).map(|y| y.end).unwrap_or(NaiveDate::MAX)),
        (None, Some(to)) => (year_of(to).map(|y| y.start).unwrap_or(NaiveDate::MIN), to),
        (None, None) => match default_year {
            Some(year) => (year.start, year.end),
            None => (NaiveDate::MIN, NaiveDate::MAX),
        },
    };
    if from > to {
        return Err(anyhow!("from: {from} is after {to}"));
    }
    Ok((from, to))
}

pub fn report(
    ledger: &Ledger,
    report: &ReportKind,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let years = ledger.years()?;
    match report {
        ReportKind::Bank {
            account,
            at,
            format,
        } => return super::bank::report_bank(ledger, ctx, account, at.as_deref(), *format, out),
        ReportKind::Suspense { all, format } => {
            return super::bank::report_suspense(ledger, ctx, *all, *format, out);
        }
        ReportKind::Balance {
            range,
            validated_only,
            format,
        } => {
            let (from, to) = resolve_range(&years, range, ctx)?;
            let rows = if *validated_only {
                ledger.trial_balance_validated(from, to)?
            } else {
                ledger.trial_balance(from, to)?
            };
            let balance = TrialBalance::build(rows);
            write_trial_balance(&balance, *format, out)?;
        }
        ReportKind::Ledger {
            account,
            range,
            validated_only,
            page,
            page_size,
            format,
        } => {
            let account = account_arg(account)?;
            ledger.account(&account)?;
            let (from, to) = resolve_range(&years, range, ctx)?;
            let limit = if *page_size == 0 {
                usize::MAX
            } else {
                *page_size
            };
            let offset = page.saturating_sub(1).saturating_mul(*page_size);
            let page = if *validated_only {
                ledger.account_ledger_validated(&account, Some(from), Some(to), offset, limit)?
            } else {
                ledger.account_ledger(&account, Some(from), Some(to), offset, limit)?
            };
            write_ledger_page(&page, false, *format, out)?;
        }
        ReportKind::Party {
            code,
            range,
            validated_only,
            open,
            format,
        } => {
            let code = parse_party_code(code).map_err(|e| anyhow!("code: {e}"))?;
            ledger.party(&code)?;
            let (from, to) = resolve_range(&years, range, ctx)?;
            let page = if *open {
                // An item stays open across years: the range's end bounds it, not its start.
                LedgerPage {
                    opening_balance: Amount::ZERO,
                    rows: ledger.open_lines(&LedgerOf::Party(code.clone()), Some(to))?,
                    has_more: false,
                }
            } else if *validated_only {
                ledger.party_ledger_validated(&code, Some(from), Some(to), 0, usize::MAX)?
            } else {
                ledger.party_ledger(&code, Some(from), Some(to), 0, usize::MAX)?
            };
            write_ledger_page(&page, *open, *format, out)?;
        }
        ReportKind::Aged {
            customers: _,
            suppliers,
            at,
            format,
        } => {
            let side = if *suppliers {
                AgedSide::Suppliers
            } else {
                AgedSide::Customers
            };
            let at = at
                .as_deref()
                .map(|d| date_arg("at", d))
                .transpose()?
                .unwrap_or(ctx.today);
            let report = ledger.aged_balance(side, at)?;
            write_aged(&report, *format, out)?;
        }
        ReportKind::BalanceSheet(args) => {
            super::statements::report_statement(
                ledger,
                crate::reports::statements::StatementKind::BalanceSheet,
                args,
                ctx,
                out,
            )?;
        }
        ReportKind::Income(args) => {
            super::statements::report_statement(
                ledger,
                crate::reports::statements::StatementKind::Income,
                args,
                ctx,
                out,
            )?;
        }
        ReportKind::Journal {
            journal,
            range,
            validated_only,
            format,
        } => {
            let journal = journal
                .as_deref()
                .map(|j| parse_journal_code(j).map_err(|e| anyhow!("journal: {e}")))
                .transpose()?;
            if let Some(code) = &journal
                && !ledger.journals()?.iter().any(|j| j.code == *code)
            {
                return Err(anyhow!("journal: unknown journal {code}"));
            }
            let (from, to) = resolve_range(&years, range, ctx)?;
            let filter = EntryFilter {
                journal,
                from: Some(from),
                to: Some(to),
            };
            write_journal(ledger, &filter, *validated_only, *format, out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn write_trial_balance(
    balance: &TrialBalance,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let mut rows = Rows::new(&[
        ("account", Align::Left),
        ("label", Align::Left),
        ("debit", Align::Right),
        ("credit", Align::Right),
        ("balance", Align::Right),
    ]);
    let cells = |a, l: &str, d, c, b| {
        vec![
            a,
            l.to_string(),
            amount_cell(format, d),
            amount_cell(format, c),
            amount_cell(format, b),
        ]
    };
    let mut classes = balance.classes.iter().peekable();
    for (i, row) in balance.rows.iter().enumerate() {
        rows.push(cells(
            row.account.to_string(),
            &row.label,
            row.debit,
            row.credit,
            row.balance(),
        ));
        let class_ends = balance
            .rows
            .get(i + 1)
            .is_none_or(|next| next.account.class() != row.account.class());
        if format == Format::Table
            && class_ends
            && let Some(total) = classes.next()
        {
            let label = format!(
                "Total classe {} - {}",
                total.class,
                class_label(total.class)
            );
            rows.push(cells(
                String::new(),
                &label,
                total.debit,
                total.credit,
                total.balance(),
            ));
        }
    }
    if format == Format::Table {
        rows.push(cells(
            String::new(),
            "TOTAL",
            balance.debit,
            balance.credit,
            balance.debit - balance.credit,
        ));
    }
    emit(format, &rows, balance, out)
}

/// One row per third party with open items; the table adds a total row.
pub fn write_aged(report: &AgedBalance, format: Format, out: &mut impl Write) -> Result<()> {
    let mut columns = vec![("party", Align::Left), ("name", Align::Left)];
    columns.extend(Bucket::ALL.iter().map(|b| (b.column(), Align::Right)));
    columns.push(("total", Align::Right));
    let mut rows = Rows::new(&columns);
    let cells = |party: String, name: String, buckets: &Buckets| {
        let mut row = vec![party, name];
        row.extend(
            Bucket::ALL
                .iter()
                .map(|b| amount_cell(format, buckets.get(*b))),
        );
        row.push(amount_cell(format, buckets.total));
        row
    };
    for party in &report.parties {
        rows.push(cells(
            party.party.clone(),
            party.name.clone(),
            &party.buckets,
        ));
    }
    if format == Format::Table {
        writeln!(
            out,
            "Aged balance of {} at {} ({} positive)",
            report.side.name(),
            report.at,
            match report.side {
                AgedSide::Customers => "debit",
                AgedSide::Suppliers => "credit",
            }
        )?;
        rows.push(cells(String::new(), "TOTAL".into(), &report.total));
    }
    emit(format, &rows, report, out)
}

/// `open`: the page lists open items only, with no balance brought forward.
fn write_ledger_page(
    page: &LedgerPage,
    open: bool,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let mut rows = Rows::new(&[
        ("date", Align::Left),
        ("number", Align::Left),
        ("journal", Align::Left),
        ("piece", Align::Left),
        ("label", Align::Left),
        ("account", Align::Left),
        ("third_party", Align::Left),
        ("letter", Align::Left),
        ("debit", Align::Right),
        ("credit", Align::Right),
        ("balance", Align::Right),
    ]);
    if format == Format::Table && !open {
        let mut row = vec![String::new(); 11];
        row[4] = "Solde à nouveau".into();
        row[10] = amount_cell(format, page.opening_balance);
        rows.push(row);
    }
    for r in &page.rows {
        rows.push(vec![
            r.date.to_string(),
            r.reference.clone(),
            r.journal.clone(),
            r.piece.clone(),
            r.label_with_origin(),
            r.account.to_string(),
            r.third_party.clone().unwrap_or_default(),
            r.letter.clone().unwrap_or_default(),
            amount_cell(format, r.debit),
            amount_cell(format, r.credit),
            amount_cell(format, r.balance),
        ]);
    }
    emit(format, &rows, page, out)?;
    if page.has_more && format == Format::Table {
        writeln!(out, "(more lines on the next page)")?;
    }
    Ok(())
}

#[derive(Serialize)]
struct JournalRow {
    journal: String,
    number: String,
    date: NaiveDate,
    piece: String,
    label: String,
    account: String,
    third_party: String,
    debit: String,
    credit: String,
    status: &'static str,
}

fn journal_rows(entry: &Entry, format: Format) -> Vec<JournalRow> {
    entry
        .lines
        .iter()
        .map(|line| JournalRow {
            journal: entry.journal.clone(),
            number: entry
                .number
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            date: entry.date,
            piece: entry.piece.clone(),
            label: entry.line_label(line).to_string(),
            account: line.account.to_string(),
            third_party: line.third_party.clone().unwrap_or_default(),
            debit: amount_cell(format, line.debit),
            credit: amount_cell(format, line.credit),
            status: entry.status.name(),
        })
        .collect()
}

const JOURNAL_COLUMNS: [(&str, Align); 10] = [
    ("journal", Align::Left),
    ("number", Align::Left),
    ("date", Align::Left),
    ("piece", Align::Left),
    ("label", Align::Left),
    ("account", Align::Left),
    ("third_party", Align::Left),
    ("debit", Align::Right),
    ("credit", Align::Right),
    ("status", Align::Left),
];

fn write_journal(
    ledger: &Ledger,
    filter: &EntryFilter,
    validated_only: bool,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    if format == Format::Csv {
        // Streamed: a journal of millions of lines never sits in memory.
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(&mut *out);
        writer.write_record(JOURNAL_COLUMNS.iter().map(|c| c.0))?;
        let mut failure = None;
        let mut date = String::with_capacity(10);
        ledger.for_each_entry(filter, |entry| {
            if validated_only && entry.status == EntryStatus::Draft {
                return Ok(());
            }
            date.clear();
            // Writing into a String cannot fail.
            let _ = std::fmt::Write::write_fmt(&mut date, format_args!("{}", entry.date));
            for row in journal_rows(&entry, format) {
                let cells = [
                    row.journal.as_str(),
                    &row.number,
                    &date,
                    &row.piece,
                    &row.label,
                    &row.account,
                    &row.third_party,
                    &row.debit,
                    &row.credit,
                    row.status,
                ];
                if let Err(err) = write_csv_record(&mut writer, &cells) {
                    failure.get_or_insert(err);
                }
            }
            Ok(())
        })?;
        if let Some(err) = failure {
            return Err(err.into());
        }
        writer.flush()?;
        return Ok(());
    }
    let mut all = Vec::new();
    ledger.for_each_entry(filter, |entry| {
        if validated_only && entry.status == EntryStatus::Draft {
            return Ok(());
        }
        all.extend(journal_rows(&entry, format));
        Ok(())
    })?;
    let mut rows = Rows::new(&JOURNAL_COLUMNS);
    for r in &all {
        rows.push(vec![
            r.journal.clone(),
            r.number.clone(),
            r.date.to_string(),
            r.piece.clone(),
            r.label.clone(),
            r.account.clone(),
            r.third_party.clone(),
            r.debit.clone(),
            r.credit.clone(),
            r.status.to_string(),
        ]);
    }
    emit(format, &rows, &all, out)
}

pub fn write_entry(
    ledger: &Ledger,
    entry: &Entry,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    if format == Format::Json {
        return write_json(out, entry);
    }
    if format == Format::Table {
        writeln!(
            out,
            "Entry {} ({}) — {}",
            entry.reference(),
            entry.status.name(),
            display_text(&entry.label)
        )?;
        writeln!(
            out,
            "Journal {}  date {}  piece {}",
            display_text(&entry.journal),
            entry.date,
            display_text(&entry.piece)
        )?;
        if let Some(on) = entry.validated_on {
            writeln!(out, "Validated on {on}")?;
        } else {
            // What `entry edit --revision` expects.
            writeln!(out, "Revision {}", entry.revision)?;
        }
        if let Some(origin) = ledger.fec_origin(entry.id)? {
            writeln!(
                out,
                "Imported from a FEC as EcritureNum `{}`",
                display_text(&origin.number)
            )?;
        }
        if let Some(original) = entry.reversal_of {
            writeln!(out, "Reverses {}", ledger.entry(original)?.reference())?;
        }
        if let Some(reversal) = ledger.reversal_of(entry.id)? {
            writeln!(out, "Reversed by {}", ledger.entry(reversal)?.reference())?;
        }
        writeln!(out)?;
    }
    let letters = ledger.letters_of(entry.id)?;
    let mut rows = Rows::new(&[
        ("line", Align::Right),
        ("account", Align::Left),
        ("third_party", Align::Left),
        ("label", Align::Left),
        ("letter", Align::Left),
        ("debit", Align::Right),
        ("credit", Align::Right),
    ]);
    for (i, line) in entry.lines.iter().enumerate() {
        rows.push(vec![
            (i + 1).to_string(),
            line.account.to_string(),
            line.third_party.clone().unwrap_or_default(),
            entry.line_label(line).to_string(),
            letters
                .get(&(i as u32))
                .map(|m| m.code.clone())
                .unwrap_or_default(),
            amount_cell(format, line.debit),
            amount_cell(format, line.credit),
        ]);
    }
    if format == Format::Table {
        rows.push(vec![
            String::new(),
            String::new(),
            String::new(),
            "Total".into(),
            String::new(),
            amount_cell(format, entry.total_debit()),
            amount_cell(format, entry.total_credit()),
        ]);
    }
    rows.write_table_or_csv(format, out)
}
