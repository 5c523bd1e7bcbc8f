//! `folio bank match|candidates|pay`: apply the best candidates of many bank lines, list one
//! line's candidates, create a payment from a bank line.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, anyhow};

use super::output::{Align, Format, Rows, emit};
use crate::ledger::{BankLineId, Ctx, DocumentRef, Ledger};
use crate::model::{AccountNumber, Amount};

pub fn bank_match(
    ledger: &Ledger,
    ctx: &Ctx,
    account: Option<&str>,
    min_score: Option<u8>,
    dry_run: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let account = account
        .map(|a| AccountNumber::parse(a).map_err(|e| anyhow!("account: {e}")))
        .transpose()?;
    let report = ledger.bank_match(ctx, account.as_ref(), min_score, dry_run)?;
    let verb = if dry_run { "would " } else { "" };
    for action in &report.applied {
        writeln!(
            out,
            "{}  {}  {:>12}  {verb}{}  [{}: {}]",
            action.line,
            action.date,
            action.amount.to_plain(),
            action.action,
            action.score,
            action.reason
        )?;
    }
    for skip in &report.skipped {
        writeln!(out, "{}  left: {}", skip.line, skip.why)?;
    }
    let count = |kind: &str| report.applied.iter().filter(|a| a.kind == kind).count();
    let rejections = match count("rejection") {
        0 => String::new(),
        1 => ", 1 returned direct debit".to_string(),
        n => format!(", {n} returned direct debits"),
    };
    writeln!(
        out,
        "{} {} of {} bank lines (score {} or more): {} with book lines, {} by rule, {} by payment{rejections}; {} left{}",
        if dry_run { "would match" } else { "matched" },
        report.applied.len(),
        report.examined,
        report.min_score,
        count("book_lines"),
        count("rule"),
        count("payment"),
        report.skipped.len(),
        if dry_run { "; nothing written" } else { "" }
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn bank_candidates(
    ledger: &Ledger,
    line: &str,
    format: Format,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let id: BankLineId = line.parse()?;
    let (line, rows) = ledger.bank_candidates(id)?;
    let mut table = Rows::new(&[
        ("rank", Align::Right),
        ("score", Align::Right),
        ("kind", Align::Left),
        ("proposal", Align::Left),
        ("reason", Align::Left),
    ]);
    for row in &rows {
        table.push(vec![
            row.rank.to_string(),
            row.score.to_string(),
            row.kind.to_string(),
            row.proposal.clone(),
            row.reason.clone(),
        ]);
    }
    if format == Format::Table {
        writeln!(
            out,
            "bank line {}  {}  {}  {}",
            line.id,
            line.booking_date,
            line.amount.to_plain(),
            crate::model::text::display_text(&line.label)
        )?;
        if rows.is_empty() {
            writeln!(out, "no candidate")?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    emit(format, &table, &rows, out)?;
    Ok(ExitCode::SUCCESS)
}

/// Parses `DOCUMENT[=AMOUNT]`.
fn parse_invoice(text: &str) -> Result<(DocumentRef, Option<Amount>)> {
    match text.rsplit_once('=') {
        Some((doc, amount)) => {
            let amount = Amount::parse(amount).map_err(|e| anyhow!("invoice: {e}"))?;
            if !amount.is_positive() {
                return Err(anyhow!(
                    "invoice: `{text}`: an allocated amount is positive"
                ));
            }
            Ok((DocumentRef::Text(doc.trim().to_string()), Some(amount)))
        }
        None => Ok((DocumentRef::Text(text.trim().to_string()), None)),
    }
}

pub fn bank_pay(
    ledger: &Ledger,
    ctx: &Ctx,
    line: &str,
    party: &str,
    invoices: &[String],
    out: &mut impl Write,
) -> Result<ExitCode> {
    let id: BankLineId = line.parse()?;
    let invoices = invoices
        .iter()
        .map(|text| parse_invoice(text))
        .collect::<Result<Vec<_>>>()?;
    let paid = ledger.bank_pay(ctx, id, &party.trim().to_uppercase(), &invoices)?;
    let allocated: Vec<String> = paid
        .allocations
        .iter()
        .map(|(doc, amount)| format!("{doc} {}", amount.to_plain()))
        .collect();
    writeln!(
        out,
        "registered {} of {} for {} from bank line {}{}; reconciled with {}",
        paid.payment,
        paid.amount.to_plain(),
        paid.party,
        paid.line,
        if allocated.is_empty() {
            ", unallocated".to_string()
        } else {
            format!(", allocated to {}", allocated.join(", "))
        },
        paid.book_line
    )?;
    Ok(ExitCode::SUCCESS)
}
