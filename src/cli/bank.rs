//! `folio bank`: import statements, list statements and bank lines, reconcile bank lines with
//! the books, post a bank line to an account or to suspense; `folio report bank` (the bank
//! reconciliation statement) and `folio report suspense`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use serde::Serialize;

use super::Cli;
use super::commands::{account_arg, amount_cell, date_arg};
use super::output::{Align, Format, Rows, emit, write_json};
use crate::formats::bank::{self as statements, CsvProfile, csv_profile};
use crate::ledger::{
    BankLine, BankLineFilter, BankLineId, BankReport, Ctx, Ledger, StatementImport,
    StatementImportSummary, SuspenseItem,
};
use crate::model::Amount;
use crate::model::text::echo;

#[derive(Debug, Subcommand)]
pub enum BankAction {
    /// Import a bank statement file (CFONB 120, CAMT.053, OFX, MT940, or CSV with a profile).
    /// Each statement goes to the treasury account whose bank journal has its IBAN or RIB;
    /// lines already imported are skipped and counted. All or nothing.
    Import {
        file: PathBuf,
        /// Treasury account of the file's single bank account (its IBAN or RIB is then set
        /// on that account's bank journal); needed for CSV exports, which name no account.
        #[arg(long)]
        account: Option<String>,
        /// auto (from the content), csv, ofx, camt053, cfonb120 or mt940.
        #[arg(long, default_value = "auto")]
        format: String,
        /// CSV profile: a shipped one by name (boursorama, credit-agricole,
        /// societe-generale) or a TOML file.
        #[arg(long)]
        profile: Option<String>,
        /// Accept a statement whose opening balance does not follow the previous statement's
        /// closing balance; the gap is recorded in the audit log.
        #[arg(long)]
        allow_gap: bool,
    },
    /// List statements: id, period, opening and closing balances, lines, lines reconciled.
    Statements {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List bank lines (`STATEMENT/LINE`), signed: money in is positive.
    Lines {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        statement: Option<u64>,
        /// Only the lines not yet reconciled.
        #[arg(long)]
        unreconciled: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Reconcile a bank line (`4/12`) with lines of the books on its treasury account
    /// (`BQ2026-000012/1`, or `#42/1` for a draft) whose amounts add up to it.
    Reconcile {
        line: String,
        #[arg(required = true, num_args = 1..)]
        book_lines: Vec<String>,
    },
    /// Remove a bank line's reconciliation (an entry posted from it stays in the books).
    Unreconcile { line: String },
    /// Post a bank line to an account on the bank journal and reconcile it with that entry.
    Post {
        line: String,
        #[arg(long)]
        account: String,
        /// Third party of the counterpart line.
        #[arg(long)]
        party: Option<String>,
        /// Tax code: the amount is split into base and VAT at its rate.
        #[arg(long)]
        tax: Option<String>,
        /// Label of the entry (default: the bank line's).
        #[arg(long)]
        label: Option<String>,
    },
    /// Post a bank line to the suspense account (471) and reconcile it; with --list, list
    /// the lines in suspense with their age.
    Suspense {
        #[arg(required_unless_present = "list")]
        line: Option<String>,
        #[arg(long, conflicts_with = "line")]
        list: bool,
        /// With --list: also the lines whose suspense entry has since been lettered.
        #[arg(long, requires = "list")]
        all: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Apply the best candidate of each unreconciled bank line when it scores at least the
    /// minimum (settings `reconciliation.min_score`, 80): reconcile book lines, post by a
    /// rule, or create a payment for a recognised party. All or nothing.
    Match {
        #[arg(long)]
        account: Option<String>,
        /// Print what would be done; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Score from which a candidate is applied (0 to 100).
        #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
        min_score: Option<u8>,
    },
    /// A bank line's candidates, best first, with score and reason.
    Candidates {
        line: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Create the customer or supplier payment of a bank line, allocated to invoices (oldest
    /// first by default), and reconcile the line with it.
    Pay {
        line: String,
        #[arg(long)]
        party: String,
        /// DOCUMENT[=AMOUNT]: an invoice to allocate to (number, D<id> or the party's
        /// reference); without an amount, what is due on it (repeatable).
        #[arg(long)]
        invoice: Vec<String>,
    },
}

fn line_id(text: &str) -> Result<BankLineId> {
    Ok(text.parse::<BankLineId>()?)
}

pub fn bank(cli: &Cli, action: &BankAction, ctx: &Ctx, out: &mut impl Write) -> Result<ExitCode> {
    match action {
        BankAction::Import {
            file,
            account,
            format,
            profile,
            allow_gap,
        } => {
            let ledger = Ledger::open(&cli.ledger)?;
            let import = read_statements(
                file,
                format,
                profile.as_deref(),
                account.as_deref().map(account_arg).transpose()?,
                *allow_gap,
            )?;
            let summary = ledger.import_statements(ctx, &import)?;
            print_import(&import, &summary, out)?;
        }
        BankAction::Statements { account, format } => {
            let ledger = Ledger::open_read_only(&cli.ledger)?;
            let account = account.as_deref().map(account_arg).transpose()?;
            let list = ledger.statements(account.as_ref())?;
            let mut rows = Rows::new(&[
                ("id", Align::Right),
                ("account", Align::Left),
                ("bank_id", Align::Left),
                ("from", Align::Left),
                ("to", Align::Left),
                ("opening", Align::Right),
                ("closing", Align::Right),
                ("lines", Align::Right),
                ("reconciled", Align::Right),
                ("format", Align::Left),
                ("file", Align::Left),
            ]);
            for s in &list {
                let r = &s.record;
                rows.push(vec![
                    r.id.to_string(),
                    r.account.to_string(),
                    r.bank_id.clone(),
                    r.period.0.to_string(),
                    r.period.1.to_string(),
                    amount_cell(*format, r.opening),
                    amount_cell(*format, r.closing),
                    r.lines.to_string(),
                    s.reconciled.to_string(),
                    r.format.clone(),
                    r.file.clone(),
                ]);
            }
            emit(*format, &rows, &list, out)?;
        }
        BankAction::Lines {
            account,
            statement,
            unreconciled,
            format,
        } => {
            let ledger = Ledger::open_read_only(&cli.ledger)?;
            let filter = BankLineFilter {
                account: account.as_deref().map(account_arg).transpose()?,
                statement: *statement,
                unreconciled: *unreconciled,
            };
            let lines = ledger.bank_lines(&filter)?;
            emit(*format, &line_rows(&lines, *format), &lines, out)?;
        }
        BankAction::Reconcile { line, book_lines } => {
            let ledger = Ledger::open(&cli.ledger)?;
            let id = line_id(line)?;
            let mut refs = Vec::new();
            for text in book_lines {
                refs.push(super::lettering::line_arg(&ledger, text)?.0);
            }
            ledger.reconcile(ctx, id, &refs)?;
            let bank_line = ledger.bank_line(id)?;
            writeln!(
                out,
                "reconciled bank line {id} ({} {}) with {}",
                bank_line.booking_date,
                bank_line.amount.to_plain(),
                book_lines.join(", ")
            )?;
        }
        BankAction::Unreconcile { line } => {
            let ledger = Ledger::open(&cli.ledger)?;
            let id = line_id(line)?;
            let mark = ledger.unreconcile(ctx, id)?;
            writeln!(
                out,
                "unreconciled bank line {id} ({} book line{})",
                mark.book_lines.len(),
                if mark.book_lines.len() == 1 { "" } else { "s" }
            )?;
        }
        BankAction::Post {
            line,
            account,
            party,
            tax,
            label,
        } => {
            let ledger = Ledger::open(&cli.ledger)?;
            let id = line_id(line)?;
            let account = account_arg(account)?;
            let entry = ledger.post_bank_line(
                ctx,
                id,
                &account,
                party.as_deref(),
                tax.as_deref(),
                label.as_deref(),
            )?;
            let entry = ledger.entry(entry)?;
            writeln!(
                out,
                "posted bank line {id} as {} to {account} and reconciled it",
                entry.reference()
            )?;
        }
        BankAction::Suspense {
            line,
            list,
            all,
            format,
        } => {
            if *list {
                let ledger = Ledger::open_read_only(&cli.ledger)?;
                print_suspense(&ledger, ctx, *all, *format, out)?;
            } else if let Some(line) = line {
                let ledger = Ledger::open(&cli.ledger)?;
                let id = line_id(line)?;
                let entry = ledger.suspense(ctx, id)?;
                let entry = ledger.entry(entry)?;
                writeln!(
                    out,
                    "sent bank line {id} to suspense as {} ({}) and reconciled it",
                    entry.reference(),
                    entry
                        .lines
                        .get(1)
                        .map(|l| l.account.to_string())
                        .unwrap_or_default()
                )?;
            }
        }
        BankAction::Match {
            account,
            dry_run,
            min_score,
        } => {
            let ledger = if *dry_run {
                Ledger::open_read_only(&cli.ledger)?
            } else {
                Ledger::open(&cli.ledger)?
            };
            return super::bank_match::bank_match(
                &ledger,
                ctx,
                account.as_deref(),
                *min_score,
                *dry_run,
                out,
            );
        }
        BankAction::Candidates { line, format } => {
            let ledger = Ledger::open_read_only(&cli.ledger)?;
            return super::bank_match::bank_candidates(&ledger, line, *format, out);
        }
        BankAction::Pay {
            line,
            party,
            invoice,
        } => {
            let ledger = Ledger::open(&cli.ledger)?;
            return super::bank_match::bank_pay(&ledger, ctx, line, party, invoice, out);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a statement file in the format asked (or detected) into what the ledger imports.
fn read_statements(
    file: &Path,
    format: &str,
    profile: Option<&str>,
    account: Option<crate::model::AccountNumber>,
    allow_gap: bool,
) -> Result<StatementImport> {
    let name = file.display().to_string();
    // The readers take the whole file: the cap of every file Folio reads whole.
    let data = crate::fixtures::read_file(file)
        .with_context(|| format!("{name}: cannot read the file"))?;
    let format = if format.eq_ignore_ascii_case("auto") {
        statements::detect(&data).ok_or_else(|| {
            anyhow!(
                "{name}: not a statement format Folio reads (CFONB 120, CAMT.053, OFX, MT940, or CSV with --profile)"
            )
        })?
    } else {
        statements::Format::from_name(format).ok_or_else(|| {
            anyhow!(
                "--format: {} is not one of auto, csv, ofx, camt053, cfonb120, mt940",
                echo(format)
            )
        })?
    };
    let profile = match (format, profile) {
        (statements::Format::Csv, None) => bail!(
            "{name} is a CSV export: give its layout with --profile NAME or --profile FILE (shipped: {})",
            builtin_names()
        ),
        (statements::Format::Csv, Some(profile)) => Some(load_profile(profile)?),
        (_, _) => None,
    };
    let parsed = statements::parse(format, &data, &name, profile.as_ref())?;
    if parsed.is_empty() {
        bail!("{name}: the file holds no statement");
    }
    let file_name = file
        .file_name()
        .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
    Ok(StatementImport {
        file: file_name,
        format: format.name().to_string(),
        statements: parsed,
        account,
        allow_gap,
    })
}

fn builtin_names() -> String {
    csv_profile::BUILTIN_PROFILES
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A profile file when `text` names one, else a shipped profile by name.
fn load_profile(text: &str) -> Result<CsvProfile> {
    let path = Path::new(text);
    if path.is_file() {
        let content = crate::fixtures::read_text_file(path)
            .with_context(|| format!("{text}: cannot read the profile"))?;
        return Ok(CsvProfile::from_toml(&content, text)?);
    }
    match CsvProfile::builtin(text) {
        Some(profile) => Ok(profile?),
        None => bail!(
            "--profile: {} is neither a profile file nor a shipped profile ({})",
            echo(text),
            builtin_names()
        ),
    }
}

fn print_import(
    import: &StatementImport,
    summary: &StatementImportSummary,
    out: &mut impl Write,
) -> Result<()> {
    if let Some((journal, details)) = &summary.registered {
        writeln!(out, "bank account {details} set on journal {journal}")?;
    }
    for s in &summary.statements {
        match s.id {
            Some(id) => writeln!(
                out,
                "statement {id} ({}) on {}, {} to {}: {} lines added, {} already imported{}",
                s.bank_id,
                s.account,
                s.period.0,
                s.period.1,
                s.lines_added,
                s.lines_skipped,
                s.gap
                    .map(|gap| format!(", gap of {} acknowledged", gap.to_plain()))
                    .unwrap_or_default()
            )?,
            None => writeln!(
                out,
                "statement {} on {}, {} to {}: already imported ({} lines skipped)",
                s.bank_id, s.account, s.period.0, s.period.1, s.lines_skipped
            )?,
        }
    }
    writeln!(
        out,
        "imported {} ({}): {} lines added, {} skipped as already imported",
        import.file, import.format, summary.lines_added, summary.lines_skipped
    )?;
    Ok(())
}

/// The columns of `bank lines`: the contract's eight, then the line's id and what else it has.
fn line_rows(lines: &[BankLine], format: Format) -> Rows {
    let mut rows = Rows::new(&[
        ("statement", Align::Right),
        ("date", Align::Left),
        ("value_date", Align::Left),
        ("amount", Align::Right),
        ("label", Align::Left),
        ("reference", Align::Left),
        ("counterparty", Align::Left),
        ("status", Align::Left),
        ("line", Align::Left),
        ("account", Align::Left),
        ("counterparty_iban", Align::Left),
        ("end_to_end_id", Align::Left),
        ("remittance", Align::Left),
    ]);
    for l in lines {
        rows.push(vec![
            l.id.statement.to_string(),
            l.booking_date.to_string(),
            l.value_date.map(|d| d.to_string()).unwrap_or_default(),
            amount_cell(format, l.amount),
            l.label.clone(),
            l.reference.clone().unwrap_or_default(),
            l.counterparty_name.clone().unwrap_or_default(),
            l.status.name().to_string(),
            l.id.to_string(),
            l.account.to_string(),
            l.counterparty_iban.clone().unwrap_or_default(),
            l.end_to_end_id.clone().unwrap_or_default(),
            l.remittance.clone().unwrap_or_default(),
        ]);
    }
    rows
}

#[derive(Serialize)]
struct SuspenseRow<'a> {
    line: String,
    date: NaiveDate,
    amount: Amount,
    label: &'a str,
    age_days: i64,
    entry: &'a str,
    /// The suspense account.
    account: String,
    cleared: bool,
}

fn print_suspense(
    ledger: &Ledger,
    ctx: &Ctx,
    all: bool,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let items: Vec<SuspenseItem> = ledger
        .suspense_lines(ctx.today)?
        .into_iter()
        .filter(|item| all || !item.cleared)
        .collect();
    let mut rows = Rows::new(&[
        ("line", Align::Left),
        ("date", Align::Left),
        ("amount", Align::Right),
        ("label", Align::Left),
        ("age_days", Align::Right),
        ("entry", Align::Left),
        ("account", Align::Left),
        ("cleared", Align::Left),
    ]);
    let mut json = Vec::new();
    for item in &items {
        let account = ledger
            .entry(item.book_line.at.entry)
            .ok()
            .and_then(|e| {
                e.lines
                    .get(item.book_line.at.line as usize)
                    .map(|l| l.account.to_string())
            })
            .unwrap_or_default();
        let row = SuspenseRow {
            line: item.line.id.to_string(),
            date: item.line.booking_date,
            amount: item.line.amount,
            label: &item.line.label,
            age_days: item.age_days,
            entry: &item.book_line.entry_reference,
            account,
            cleared: item.cleared,
        };
        rows.push(vec![
            row.line.clone(),
            row.date.to_string(),
            amount_cell(format, row.amount),
            row.label.to_string(),
            row.age_days.to_string(),
            row.entry.to_string(),
            row.account.clone(),
            if row.cleared { "yes" } else { "no" }.to_string(),
        ]);
        json.push(row);
    }
    emit(format, &rows, &json, out)
}

/// `folio report suspense`.
pub fn report_suspense(
    ledger: &Ledger,
    ctx: &Ctx,
    all: bool,
    format: Format,
    out: &mut impl Write,
) -> Result<ExitCode> {
    print_suspense(ledger, ctx, all, format, out)?;
    Ok(ExitCode::SUCCESS)
}

/// `folio report bank`: the bank reconciliation statement.
pub fn report_bank(
    ledger: &Ledger,
    ctx: &Ctx,
    account: &str,
    at: Option<&str>,
    format: Format,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let account = account_arg(account)?;
    let at = at
        .map(|d| date_arg("--at", d))
        .transpose()?
        .unwrap_or(ctx.today);
    let report = ledger.bank_report(&account, at)?;
    match format {
        Format::Json => write_json(out, &report)?,
        Format::Csv => report_rows(&report, format).write_csv(out)?,
        Format::Table => write_report_table(&report, out)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// One row per figure and per line: section, date, reference, label, amount.
fn report_rows(report: &BankReport, format: Format) -> Rows {
    let mut rows = Rows::new(&[
        ("section", Align::Left),
        ("date", Align::Left),
        ("reference", Align::Left),
        ("label", Align::Left),
        ("amount", Align::Right),
    ]);
    let at = report.at.to_string();
    rows.push(vec![
        "book_balance".into(),
        at.clone(),
        report.account.to_string(),
        "Book balance".into(),
        amount_cell(format, report.book_balance),
    ]);
    for line in &report.book_only {
        rows.push(vec![
            "book_only".into(),
            line.date.to_string(),
            line.name.clone(),
            line.label.clone(),
            amount_cell(format, line.amount),
        ]);
    }
    for line in &report.bank_only {
        rows.push(vec![
            "bank_only".into(),
            line.booking_date.to_string(),
            line.id.to_string(),
            line.label.clone(),
            amount_cell(format, line.amount),
        ]);
    }
    rows.push(vec![
        "carried".into(),
        String::new(),
        String::new(),
        "Bank balance before the statement lines (first opening balance, gaps)".into(),
        amount_cell(format, report.carried),
    ]);
    rows.push(vec![
        "bank_balance".into(),
        report
            .last_statement_end
            .map(|d| d.to_string())
            .unwrap_or_default(),
        report
            .last_statement
            .map(|id| format!("statement {id}"))
            .unwrap_or_default(),
        "Bank balance".into(),
        amount_cell(format, report.bank_balance),
    ]);
    rows.push(vec![
        "unexplained".into(),
        String::new(),
        String::new(),
        "Difference left unexplained".into(),
        amount_cell(format, report.unexplained),
    ]);
    rows
}

/// One list of the report: its title with the count and total of its lines, then the lines
/// (date, line, label, amount). Returns the total.
fn write_lines(
    out: &mut impl Write,
    title: &str,
    lines: Vec<(NaiveDate, String, String, Amount)>,
) -> Result<Amount> {
    let total = Amount::checked_sum(lines.iter().map(|l| l.3))
        .ok_or_else(|| anyhow!("{title}: the total overflows"))?;
    writeln!(
        out,
        "\n{title} ({}, total {}):",
        lines.len(),
        total.to_french()
    )?;
    if !lines.is_empty() {
        let mut rows = Rows::new(&[
            ("date", Align::Left),
            ("line", Align::Left),
            ("label", Align::Left),
            ("amount", Align::Right),
        ]);
        for (date, line, label, amount) in lines {
            rows.push(vec![date.to_string(), line, label, amount.to_french()]);
        }
        rows.write_table(out)?;
    }
    Ok(total)
}

fn write_report_table(report: &BankReport, out: &mut impl Write) -> Result<()> {
    let money = |a: Amount| a.to_french();
    writeln!(
        out,
        "Bank reconciliation of {} at {}",
        report.account, report.at
    )?;
    writeln!(out, "Book balance: {}", money(report.book_balance))?;
    let book_total = write_lines(
        out,
        "Book lines not on the bank",
        report
            .book_only
            .iter()
            .map(|l| (l.date, l.name.clone(), l.label.clone(), l.amount))
            .collect(),
    )?;
    let bank_total = write_lines(
        out,
        "Bank lines not in the books",
        report
            .bank_only
            .iter()
            .map(|l| (l.booking_date, l.id.to_string(), l.label.clone(), l.amount))
            .collect(),
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Book balance                          {:>16}",
        money(report.book_balance)
    )?;
    writeln!(
        out,
        "- book lines not on the bank          {:>16}",
        money(book_total)
    )?;
    writeln!(
        out,
        "+ bank lines not in the books         {:>16}",
        money(bank_total)
    )?;
    writeln!(
        out,
        "+ balance before the statement lines  {:>16}",
        money(report.carried)
    )?;
    writeln!(
        out,
        "= bank balance{:<24}{:>16}",
        report
            .last_statement
            .map(|id| format!(" (statement {id})"))
            .unwrap_or_else(|| " (no statement)".into()),
        money(report.bank_balance)
    )?;
    writeln!(
        out,
        "Difference left unexplained           {:>16}",
        money(report.unexplained)
    )?;
    Ok(())
}
