//! `folio letter`: letter lines together, remove a group, list the groups, letter by the
//! automatic rules, suggest sets that complete a group, complete one with a write-off.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use serde::Serialize;

use super::Cli;
use super::output::{Align, Format, Rows, emit};
use crate::ledger::{AutoReport, Ctx, Ledger, OpenItem, SuggestionList, WriteOff};
use crate::lettering::{Group, LineRef};
use crate::model::AccountNumber;
use crate::model::text::echo;

#[derive(Debug, Subcommand)]
pub enum LetterAction {
    /// Letter lines together (complete when their debits equal their credits, partial
    /// otherwise). A line of a partial group brings the others into that group.
    Add {
        /// Lines as ENTRY/LINE, e.g. `VE2026-000012/2` (lines counted from 1).
        #[arg(required = true, num_args = 1..)]
        lines: Vec<String>,
        /// The account every line must be on.
        #[arg(long)]
        account: Option<String>,
    },
    /// Remove a letter group: `ACCOUNT CODE`, or `ENTRY/LINE` of one of its lines.
    Remove {
        #[arg(required = true, num_args = 1..=2)]
        target: Vec<String>,
    },
    /// Letter open items by the automatic rules, party by party: (1) lines sharing a piece
    /// that net to zero, (2) the only debit and credit of one amount within the pair window,
    /// (3) the only set netting to zero among the oldest open items. Prints what it did (or,
    /// with --dry-run, would do), rule by rule.
    Auto {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        party: Option<String>,
        /// Show what would be lettered; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Rank the sets of open lines that would complete a group: for a line (ENTRY/LINE), or
    /// for a third party (--party, with --account when it has open items on several).
    Suggest {
        /// The line to complete, as ENTRY/LINE.
        line: Option<String>,
        #[arg(long, conflicts_with = "line")]
        party: Option<String>,
        #[arg(long)]
        account: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Complete the group of these lines with a write-off entry for their remaining
    /// difference, when it is within the tolerance (setting lettering.tolerance): a debit
    /// remainder to 658000, a credit remainder to 758000.
    Writeoff {
        /// Lines as ENTRY/LINE (a line of a partial group brings the whole group).
        #[arg(required = true, num_args = 1..)]
        lines: Vec<String>,
        /// Show the entry it would post; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List the letter groups, or with `--open` the open items (lines not in a complete
    /// group) by account, party and date.
    List {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        party: Option<String>,
        /// List the open items instead of the groups.
        #[arg(long)]
        open: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

fn account_arg(text: &str) -> Result<AccountNumber> {
    AccountNumber::parse(text).map_err(|err| anyhow!("--account: {err}"))
}

/// `VE2026-000012/2` to the stored line reference.
pub(super) fn line_arg(ledger: &Ledger, text: &str) -> Result<(LineRef, AccountNumber)> {
    let (reference, line) = text.rsplit_once('/').ok_or_else(|| {
        anyhow!(
            "line {}: expected ENTRY/LINE, e.g. VE2026-000012/2",
            echo(text)
        )
    })?;
    let number: u32 = line
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| anyhow!("line {}: the line number counts from 1", echo(text)))?;
    let entry = ledger.find_entry(reference)?;
    let account = entry
        .lines
        .get(number as usize - 1)
        .map(|l| l.account.clone())
        .ok_or_else(|| {
            anyhow!(
                "line {}: entry {} has {} lines",
                echo(text),
                entry.reference(),
                entry.lines.len()
            )
        })?;
    Ok((
        LineRef {
            entry: entry.id,
            line: number - 1,
        },
        account,
    ))
}

#[derive(Serialize)]
struct GroupRow {
    account: String,
    code: String,
    party: String,
    complete: bool,
    date: String,
    user: String,
    debit: String,
    credit: String,
    remainder: String,
    lines: Vec<String>,
}

fn group_row(ledger: &Ledger, group: &Group) -> Result<GroupRow> {
    let mut debit = crate::model::Amount::ZERO;
    let mut credit = crate::model::Amount::ZERO;
    let mut lines = Vec::new();
    for line in &group.lines {
        debit = debit.checked_add(line.debit).unwrap_or(debit);
        credit = credit.checked_add(line.credit).unwrap_or(credit);
        let reference = ledger.entry(line.at.entry)?.reference();
        lines.push(format!("{reference}/{}", line.at.line + 1));
    }
    Ok(GroupRow {
        account: group.account.to_string(),
        code: group.code(),
        party: group.party.clone(),
        complete: group.is_complete(),
        date: group.date.to_string(),
        user: group.user.clone(),
        debit: debit.to_plain(),
        credit: credit.to_plain(),
        remainder: group.remainder().to_plain(),
        lines,
    })
}

fn print_group(ledger: &Ledger, verb: &str, group: &Group, out: &mut impl Write) -> Result<()> {
    let row = group_row(ledger, group)?;
    writeln!(
        out,
        "{verb} {} on {} ({}): {} · remainder {}",
        row.code,
        row.account,
        row.party,
        row.lines.join(" "),
        row.remainder
    )?;
    Ok(())
}

pub fn letter(
    cli: &Cli,
    action: &LetterAction,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    match action {
        LetterAction::Add { lines, account } => {
            let ledger = Ledger::open(&cli.ledger)?;
            let expected = account.as_deref().map(account_arg).transpose()?;
            let mut refs = Vec::new();
            for text in lines {
                let (at, on) = line_arg(&ledger, text)?;
                if let Some(expected) = &expected
                    && *expected != on
                {
                    bail!("line {}: on account {on}, not {expected}", echo(text));
                }
                refs.push(at);
            }
            let group = ledger.letter(ctx, &refs)?;
            print_group(&ledger, "lettered", &group, out)?;
        }
        LetterAction::Remove { target } => {
            let ledger = Ledger::open(&cli.ledger)?;
            let (account, code) = match target.as_slice() {
                [account, code] => (account_arg(account)?, code.clone()),
                [line] => {
                    let (at, _) = line_arg(&ledger, line)?;
                    let group = ledger
                        .group_of_line(at)?
                        .ok_or_else(|| anyhow!("line {} is not lettered", echo(line)))?;
                    (group.account.clone(), group.code())
                }
                _ => bail!("expected ACCOUNT CODE or ENTRY/LINE"),
            };
            let group = ledger.unletter(ctx, &account, &code)?;
            print_group(&ledger, "unlettered", &group, out)?;
        }
        LetterAction::Auto {
            account,
            party,
            dry_run,
        } => {
            let ledger = Ledger::open(&cli.ledger)?;
            let account = account.as_deref().map(account_arg).transpose()?;
            let report = ledger.letter_auto(ctx, account.as_ref(), party.as_deref(), *dry_run)?;
            print_auto(&report, out)?;
        }
        LetterAction::Suggest {
            line,
            party,
            account,
            format,
        } => {
            let ledger = Ledger::open_read_only(&cli.ledger)?;
            let account = account.as_deref().map(account_arg).transpose()?;
            let at = match line {
                Some(text) => Some(line_arg(&ledger, text)?.0),
                None if party.is_none() => bail!("name a line (ENTRY/LINE) or --party"),
                None => None,
            };
            let list = ledger.letter_suggestions(account.as_ref(), party.as_deref(), at)?;
            print_suggestions(&list, *format, out)?;
        }
        LetterAction::Writeoff { lines, dry_run } => {
            let ledger = Ledger::open(&cli.ledger)?;
            let mut refs = Vec::new();
            for text in lines {
                refs.push(line_arg(&ledger, text)?.0);
            }
            let plan = ledger.letter_writeoff_preview(ctx, &refs)?;
            print_writeoff(&plan, *dry_run, out)?;
            if !*dry_run {
                let (entry, group) = ledger.letter_writeoff(ctx, &refs)?;
                writeln!(out, "posted {}", entry.reference())?;
                print_group(&ledger, "lettered", &group, out)?;
            }
        }
        LetterAction::List {
            account,
            party,
            open: true,
            format,
        } => {
            let ledger = Ledger::open_read_only(&cli.ledger)?;
            let account = account.as_deref().map(account_arg).transpose()?;
            list_open(&ledger, account.as_ref(), party.as_deref(), *format, out)?;
        }
        LetterAction::List {
            account,
            party,
            open: false,
            format,
        } => {
            let ledger = Ledger::open_read_only(&cli.ledger)?;
            let account = account.as_deref().map(account_arg).transpose()?;
            let mut rows = Rows::new(&[
                ("account", Align::Left),
                ("code", Align::Left),
                ("party", Align::Left),
                ("date", Align::Left),
                ("user", Align::Left),
                ("debit", Align::Right),
                ("credit", Align::Right),
                ("remainder", Align::Right),
                ("lines", Align::Left),
            ]);
            let mut json = Vec::new();
            for group in ledger.letter_groups(account.as_ref())? {
                if party.as_ref().is_some_and(|p| *p != group.party) {
                    continue;
                }
                let row = group_row(&ledger, &group)?;
                rows.push(vec![
                    row.account.clone(),
                    row.code.clone(),
                    row.party.clone(),
                    row.date.clone(),
                    row.user.clone(),
                    row.debit.clone(),
                    row.credit.clone(),
                    row.remainder.clone(),
                    row.lines.join(" "),
                ]);
                json.push(row);
            }
            emit(*format, &rows, &json, out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_auto(report: &AutoReport, out: &mut impl Write) -> Result<()> {
    let verb = if report.dry_run {
        "would letter"
    } else {
        "lettered"
    };
    for (n, (rule, groups, lines)) in report.by_rule().into_iter().enumerate() {
        writeln!(
            out,
            "rule {} ({}): {verb} {groups} groups, {lines} lines",
            n + 1,
            rule.label()
        )?;
        for group in report.groups.iter().filter(|g| g.rule == rule) {
            writeln!(
                out,
                "  {} on {} ({}): {} · {}",
                group.code,
                group.account,
                echo(&group.party),
                group.names.join(" "),
                group.amount.to_plain()
            )?;
        }
    }
    for note in &report.notes {
        writeln!(out, "stopped at the bound: {note}")?;
    }
    writeln!(
        out,
        "{} groups over {} accounts and parties with open items{}",
        report.groups.len(),
        report.parties,
        if report.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    )?;
    Ok(())
}

fn print_suggestions(list: &SuggestionList, format: Format, out: &mut impl Write) -> Result<()> {
    let mut rows = Rows::new(&[
        ("rank", Align::Right),
        ("lines", Align::Left),
        ("net", Align::Right),
        ("exact", Align::Left),
        ("reason", Align::Left),
    ]);
    for (n, s) in list.suggestions.iter().enumerate() {
        rows.push(vec![
            (n + 1).to_string(),
            s.names.join(" "),
            s.net.to_plain(),
            if s.exact { "yes" } else { "no" }.to_string(),
            s.reason.clone(),
        ]);
    }
    match format {
        Format::Json => super::output::write_json(out, list)?,
        Format::Csv => {
            rows.write_csv(out)?;
            if let Some(note) = &list.note {
                eprintln!("stopped at the bound: {note}");
            }
        }
        Format::Table => {
            if list.suggestions.is_empty() {
                writeln!(
                    out,
                    "no set completes a group on {} ({})",
                    list.account,
                    echo(&list.party)
                )?;
            } else {
                rows.write_table(out)?;
            }
            if let Some(note) = &list.note {
                writeln!(out, "stopped at the bound: {note}")?;
            }
        }
    }
    Ok(())
}

fn print_writeoff(plan: &WriteOff, dry_run: bool, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "{} {} on {} ({}), within the tolerance {}:",
        if dry_run {
            "would write off"
        } else {
            "writing off"
        },
        plan.remainder.abs().to_plain(),
        plan.account,
        echo(&plan.party),
        plan.tolerance.to_plain()
    )?;
    writeln!(
        out,
        "  {} {} piece {} · {}",
        plan.entry.journal,
        plan.entry.date,
        echo(&plan.entry.piece),
        echo(&plan.entry.label)
    )?;
    for line in &plan.entry.lines {
        let account = match &line.third_party {
            Some(party) => format!("{}@{}", line.account, echo(party)),
            None => line.account.to_string(),
        };
        let (side, amount) = if line.debit.is_zero() {
            ("C", line.credit)
        } else {
            ("D", line.debit)
        };
        writeln!(out, "  {side} {account} {}", amount.to_plain())?;
    }
    for vat in &plan.vat {
        writeln!(
            out,
            "  clears {} of VAT {} due on payment of {} ({})",
            vat.tax.to_plain(),
            vat.tax_code,
            vat.document,
            vat.pending_account
        )?;
    }
    if dry_run {
        writeln!(out, "dry run: nothing written")?;
    }
    Ok(())
}

/// One open item as `letter list --open` prints it.
#[derive(Serialize)]
struct OpenRow {
    account: String,
    party: String,
    /// `ENTRY/LINE`, as `letter add` takes it.
    line: String,
    date: String,
    journal: String,
    piece: String,
    label: String,
    due: String,
    debit: String,
    credit: String,
    partial: String,
}

fn open_row(item: &OpenItem) -> OpenRow {
    let amount = |a: crate::model::Amount| {
        if a.is_zero() {
            String::new()
        } else {
            a.to_plain()
        }
    };
    OpenRow {
        account: item.account.to_string(),
        party: item.party.clone(),
        line: format!("{}/{}", item.entry, item.at.line.saturating_add(1)),
        date: item.date.to_string(),
        journal: item.journal.clone(),
        piece: item.piece.clone(),
        label: item.label.clone(),
        due: item.due.map(|d| d.to_string()).unwrap_or_default(),
        debit: amount(item.debit),
        credit: amount(item.credit),
        partial: item.partial.clone().unwrap_or_default(),
    }
}

/// `letter list --open`: the open items of one account and party, or of every (account, party)
/// with open items, by account, party, date, entry and line.
fn list_open(
    ledger: &Ledger,
    account: Option<&AccountNumber>,
    party: Option<&str>,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    if let Some(account) = account {
        let found = ledger.account(account)?;
        if !found.letterable {
            bail!("--account: account {account} is not letterable");
        }
    }
    if let Some(party) = party {
        ledger.party(party)?;
    }
    let mut rows = Rows::new(&[
        ("account", Align::Left),
        ("party", Align::Left),
        ("line", Align::Left),
        ("date", Align::Left),
        ("journal", Align::Left),
        ("piece", Align::Left),
        ("label", Align::Left),
        ("due", Align::Left),
        ("debit", Align::Right),
        ("credit", Align::Right),
        ("partial", Align::Left),
    ]);
    let mut json = Vec::new();
    for summary in ledger.open_item_parties(account)? {
        if party.is_some_and(|p| p != summary.party) {
            continue;
        }
        for item in ledger.open_items(&summary.account, &summary.party)? {
            let row = open_row(&item);
            rows.push(vec![
                row.account.clone(),
                row.party.clone(),
                row.line.clone(),
                row.date.clone(),
                row.journal.clone(),
                row.piece.clone(),
                row.label.clone(),
                row.due.clone(),
                row.debit.clone(),
                row.credit.clone(),
                row.partial.clone(),
            ]);
            json.push(row);
        }
    }
    emit(format, &rows, &json, out)
}
