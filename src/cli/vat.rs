//! `folio vat`: the CA3 worksheet of a period, a box's lines, the settlement entry, filing,
//! and the list of periods.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::Subcommand;

use super::Cli;
use super::output::{Align, Format, Rows, emit, write_json};
use crate::ledger::vat::{BoxLineRow, Worksheet};
use crate::ledger::{Ctx, Ledger};
use crate::model::text::echo;
use crate::vat::{BoxRow, Ca3Box, ReturnPeriod, whole_euros};

#[derive(Debug, Subcommand)]
pub enum VatAction {
    /// The CA3 worksheet of a period: one row per box (whole euros), then the consistency
    /// checks. `--lines BOX` lists the lines that make a box instead.
    Return {
        /// A month (`2026-10`) or a quarter (`2026-Q4`).
        #[arg(long)]
        period: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// List the lines of one box (`A1`, `08`, `20`…) with what each brings.
        #[arg(long, value_name = "BOX")]
        lines: Option<String>,
    },
    /// Post the settlement entry of a period (draft or validated per the settings) and
    /// freeze its boxes. A period is settled once.
    Settle {
        #[arg(long)]
        period: String,
        /// The journal of the settlement entry.
        #[arg(long, default_value = "OD")]
        journal: String,
        /// The date of the settlement entry, e.g. the day the return is filed (on or after
        /// the period's last day, which is the default).
        #[arg(long)]
        date: Option<String>,
    },
    /// Record a settled return as filed: its boxes stay frozen and its months are locked.
    File {
        #[arg(long)]
        period: String,
    },
    /// The periods of a year with their status (to prepare, settled, filed) and net due
    /// (positive) or credit (negative).
    Periods {
        /// Calendar year (default: the working date's).
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

fn period_arg(text: &str) -> Result<ReturnPeriod> {
    ReturnPeriod::parse(text).map_err(|err| anyhow!("--period: {err}"))
}

fn euros(amount: Option<crate::model::Amount>) -> String {
    amount.map(whole_euros).unwrap_or_default()
}

fn box_table(rows: &[BoxRow]) -> Rows {
    let mut table = Rows::new(&[
        ("box", Align::Left),
        ("label", Align::Left),
        ("base", Align::Right),
        ("tax", Align::Right),
    ]);
    for row in rows {
        table.push(vec![
            row.code.to_string(),
            row.label.to_string(),
            euros(row.base),
            euros(row.tax),
        ]);
    }
    table
}

pub fn vat(cli: &Cli, action: &VatAction, ctx: &Ctx, out: &mut impl Write) -> Result<ExitCode> {
    match action {
        VatAction::Return {
            period,
            format,
            lines,
        } => {
            let period = period_arg(period)?;
            let ledger = Ledger::open_read_only(&cli.ledger)?;
            let options = ledger.vat_options()?;
            if let Some(b) = lines {
                let b = Ca3Box::parse(b).ok_or_else(|| {
                    anyhow!("--lines: {} is not a box of the CA3 (A1, 08, 20…)", echo(b))
                })?;
                return box_lines(&ledger, period, &options, b, *format, out);
            }
            let sheet = ledger.vat_return(period, &options)?;
            let rows = sheet.filed.clone().unwrap_or_else(|| sheet.rows.clone());
            match format {
                Format::Json => write_json(out, &sheet)?,
                Format::Csv => box_table(&rows).write_csv(out)?,
                Format::Table => {
                    writeln!(
                        out,
                        "CA3 {period} ({}): {}",
                        match sheet.options.periodicity {
                            crate::vat::Periodicity::Monthly => "monthly",
                            crate::vat::Periodicity::Quarterly => "quarterly",
                        },
                        sheet.status.name()
                    )?;
                    box_table(&rows).write_table(out)?;
                    print_checks(&sheet, out)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        VatAction::Settle {
            period,
            journal,
            date,
        } => {
            let period = period_arg(period)?;
            let date = match date {
                Some(text) => super::commands::date_arg("date", text)?,
                None => period.end(),
            };
            let ledger = Ledger::open(&cli.ledger)?;
            let options = ledger.vat_options()?;
            let (sheet, entry) = ledger.vat_settle_on(ctx, period, &options, journal, date)?;
            match entry {
                Some(entry) => {
                    writeln!(
                        out,
                        "settled {period}: entry {} ({}) on {}",
                        entry.reference(),
                        entry.status.name(),
                        entry.date
                    )?;
                    for line in &entry.lines {
                        writeln!(
                            out,
                            "  {:<8} {:>12} {:>12}  {}",
                            line.account.as_str(),
                            if line.debit.is_zero() {
                                String::new()
                            } else {
                                line.debit.to_string()
                            },
                            if line.credit.is_zero() {
                                String::new()
                            } else {
                                line.credit.to_string()
                            },
                            echo(&line.label)
                        )?;
                    }
                }
                None => writeln!(out, "settled {period}: nothing to post")?,
            }
            writeln!(
                out,
                "line 32 (to pay): {}; line 27 (credit carried): {}",
                whole_euros(sheet.ret.tax(Ca3Box::L32)),
                whole_euros(sheet.ret.tax(Ca3Box::L27))
            )?;
            Ok(ExitCode::SUCCESS)
        }
        VatAction::File { period } => {
            let period = period_arg(period)?;
            let ledger = Ledger::open(&cli.ledger)?;
            let record = ledger.vat_file(ctx, period)?;
            writeln!(
                out,
                "filed {period} by {} at {}; its months are locked",
                record.filed_by.clone().unwrap_or_default(),
                record.filed_at.clone().unwrap_or_default()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        VatAction::Periods { year, format } => {
            let ledger = Ledger::open_read_only(&cli.ledger)?;
            let options = ledger.vat_options()?;
            let year = year.unwrap_or_else(|| chrono::Datelike::year(&ctx.today));
            let periods = ledger.vat_periods(year, &options)?;
            let mut table = Rows::new(&[
                ("period", Align::Left),
                ("status", Align::Left),
                ("net", Align::Right),
            ]);
            for p in &periods {
                table.push(vec![
                    p.period.to_string(),
                    p.status.name().to_string(),
                    whole_euros(p.net),
                ]);
            }
            emit(*format, &table, &periods, out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn box_lines(
    ledger: &Ledger,
    period: ReturnPeriod,
    options: &crate::vat::VatOptions,
    b: Ca3Box,
    format: Format,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let mut all: Vec<BoxLineRow> = Vec::new();
    let mut after = None;
    loop {
        let page = ledger.vat_box_lines(period, options, b, after.as_ref(), 200)?;
        all.extend(page.rows);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut table = Rows::new(&[
        ("entry", Align::Left),
        ("line", Align::Right),
        ("date", Align::Left),
        ("piece", Align::Left),
        ("account", Align::Left),
        ("tax_code", Align::Left),
        ("base", Align::Right),
        ("tax", Align::Right),
        ("document", Align::Left),
        ("label", Align::Left),
    ]);
    for r in &all {
        table.push(vec![
            r.reference.clone(),
            r.line.saturating_add(1).to_string(),
            r.date.to_string(),
            r.piece.clone(),
            r.account.to_string(),
            r.tax_code.clone(),
            r.base.to_string(),
            r.tax.to_string(),
            r.source.clone().unwrap_or_default(),
            r.label.clone(),
        ]);
    }
    emit(format, &table, &all, out)?;
    Ok(ExitCode::SUCCESS)
}

fn print_checks(sheet: &Worksheet, out: &mut impl Write) -> Result<()> {
    writeln!(out)?;
    writeln!(out, "line 22 from {}", sheet.carried_from)?;
    if sheet.from_accounts {
        writeln!(
            out,
            "no tagged line in {}: the return is built from the VAT accounts",
            sheet.period
        )?;
        for u in &sheet.unsplit {
            let boxes: Vec<&str> = u.could_not_split.iter().map(|b| b.code()).collect();
            writeln!(
                out,
                "  {} {}: counted in {}; could not split {}",
                u.account,
                u.amount,
                u.counted_in.code(),
                if boxes.is_empty() {
                    "-".to_string()
                } else {
                    boxes.join(", ")
                }
            )?;
        }
    }
    let checks = &sheet.checks;
    if checks.is_clean() && sheet.late.is_empty() {
        writeln!(out, "checks: the VAT accounts agree with the boxes")?;
        return Ok(());
    }
    writeln!(out, "checks:")?;
    for c in &checks.accounts {
        let state = if c.difference.is_zero() {
            "ok"
        } else {
            "DIFFERS"
        };
        writeln!(
            out,
            "  account {}: moved {}, explained by the boxes {}, difference {} {state}",
            c.account, c.movement, c.explained, c.difference
        )?;
    }
    if !sheet.from_accounts {
        for u in &checks.untagged {
            writeln!(
                out,
                "  unexplained: entry #{} line {} on {} dated {}: {} (no VAT tag)",
                u.reference.entry,
                u.reference.line.saturating_add(1),
                u.account,
                u.date,
                u.amount
            )?;
        }
    }
    for n in &sheet.notes {
        writeln!(out, "  note: {n}")?;
    }
    for t in &checks.bases {
        writeln!(
            out,
            "  box {}: bases of the base lines {} against {} declared by the tax lines",
            t.rate_box, t.from_base_lines, t.from_tax_lines
        )?;
    }
    for l in &sheet.late {
        writeln!(out, "  {l}")?;
    }
    Ok(())
}
