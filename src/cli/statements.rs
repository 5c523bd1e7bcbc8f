//! `folio report balance-sheet` and `folio report income`: the financial statements.

use std::io::Write;

use anyhow::{Context as _, Result, anyhow};

use super::StatementArgs;
use super::commands::amount_cell;
use super::output::{Align, Format, Rows, SafeOutput, emit};
use crate::ledger::{Ctx, Ledger};
use crate::model::text::{display_text, echo};
use crate::model::{Amount, FiscalYear};
use crate::reports::statements::{Mapping, Statement, StatementKind};

/// A mapping file larger than this is refused (the PCG one is about 10 KiB).
const MAX_MAPPING_BYTES: u64 = 1 << 20;

/// The mapping a command uses: the user's file, or the PCG one built in.
pub fn load_mapping(path: Option<&std::path::Path>) -> Result<Mapping> {
    let Some(path) = path else {
        return Ok(Mapping::pcg()?);
    };
    let name = path.display().to_string();
    let size = std::fs::metadata(path)
        .with_context(|| format!("mapping: cannot read {name}"))?
        .len();
    if size > MAX_MAPPING_BYTES {
        return Err(anyhow!(
            "mapping: {name} is {size} bytes, more than the {MAX_MAPPING_BYTES} a mapping may hold"
        ));
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("mapping: cannot read {name}"))?;
    Ok(Mapping::parse(&name, &text)?)
}

/// The fiscal year named `name`, or the one containing today, or the last one.
pub fn statement_year(years: &[FiscalYear], name: Option<&str>, ctx: &Ctx) -> Result<FiscalYear> {
    match name {
        Some(name) => years
            .iter()
            .find(|y| y.name() == name)
            .cloned()
            .ok_or_else(|| anyhow!("year: no fiscal year {}", echo(name))),
        None => years
            .iter()
            .find(|y| y.contains(ctx.today))
            .or(years.last())
            .cloned()
            .ok_or_else(|| anyhow!("year: the ledger has no fiscal year")),
    }
}

pub fn report_statement(
    ledger: &Ledger,
    kind: StatementKind,
    args: &StatementArgs,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<()> {
    let mapping = load_mapping(args.mapping.as_deref())?;
    let year = statement_year(&ledger.years()?, args.year.as_deref(), ctx)?;
    let statement =
        ledger.financial_statement(kind, &year, &mapping, args.validated_only, args.abridged)?;
    write_statement(&statement, args.format, out)?;
    if !statement.notes.is_empty() {
        let mut err = SafeOutput::new(std::io::stderr().lock());
        for note in &statement.notes {
            writeln!(err, "warning: {}", display_text(note))?;
        }
    }
    Ok(())
}

fn previous_cell(format: Format, amount: Option<Amount>) -> String {
    amount.map_or_else(String::new, |a| amount_cell(format, a))
}

/// CSV: `side,rubrique,label,amount,previous`, one row per rubrique, a `TOTAL` row per side
/// and, for the income statement, `RESULTAT`. The table adds sections and their subtotals.
pub fn write_statement(statement: &Statement, format: Format, out: &mut impl Write) -> Result<()> {
    if format == Format::Table {
        return write_table(statement, out);
    }
    let mut rows = Rows::new(&[
        ("side", Align::Left),
        ("rubrique", Align::Left),
        ("label", Align::Left),
        ("amount", Align::Right),
        ("previous", Align::Right),
    ]);
    for side in statement.kind.sides() {
        for line in statement.side(side) {
            rows.push(vec![
                side.name().to_string(),
                line.rubrique.clone(),
                line.label.clone(),
                amount_cell(format, line.amount),
                previous_cell(format, line.previous),
            ]);
        }
        let total = statement.total(side);
        rows.push(vec![
            side.name().to_string(),
            "TOTAL".into(),
            format!("Total {}", side.name()),
            amount_cell(format, total.amount),
            previous_cell(format, total.previous),
        ]);
    }
    if statement.kind == StatementKind::Income {
        rows.push(vec![
            String::new(),
            "RESULTAT".into(),
            result_label(statement.result).into(),
            amount_cell(format, statement.result),
            previous_cell(format, statement.result_previous),
        ]);
    }
    emit(format, &rows, statement, out)
}

fn result_label(result: Amount) -> &'static str {
    if result.is_negative() {
        "Résultat de l'exercice (perte)"
    } else {
        "Résultat de l'exercice (bénéfice)"
    }
}

fn write_table(statement: &Statement, out: &mut impl Write) -> Result<()> {
    let balance_sheet = statement.kind == StatementKind::BalanceSheet;
    writeln!(
        out,
        "{} {} (N), N-1: {} ({}{})",
        statement.kind.title(),
        statement.year,
        statement.previous_year.as_deref().unwrap_or("aucun"),
        if statement.abridged {
            "présentation abrégée"
        } else {
            "système de base"
        },
        if statement.mapping.starts_with("fixtures/") {
            String::new()
        } else {
            format!(", rubriques de {}", statement.mapping)
        }
    )?;
    let money = |a: Amount| a.to_french();
    let prev = |a: Option<Amount>| a.map_or_else(String::new, |a| a.to_french());
    for side in statement.kind.sides() {
        writeln!(out)?;
        let with_gross = balance_sheet && side == statement.kind.sides()[0];
        let mut columns: Vec<(&'static str, Align)> = vec![(side.label(), Align::Left)];
        if with_gross {
            columns.push(("brut", Align::Right));
            columns.push(("amort., dépréc.", Align::Right));
        }
        columns.push(("net N", Align::Right));
        columns.push(("net N-1", Align::Right));
        let mut rows = Rows::new(&columns);
        let push = |rows: &mut Rows,
                    label: String,
                    gross: Option<Amount>,
                    dep: Option<Amount>,
                    amount: Amount,
                    previous: Option<Amount>| {
            let mut cells = vec![label];
            if with_gross {
                cells.push(gross.map(money).unwrap_or_default());
                cells.push(dep.map(money).unwrap_or_default());
            }
            cells.push(money(amount));
            cells.push(prev(previous));
            rows.push(cells);
        };
        let lines: Vec<_> = statement.side(side).collect();
        for (i, line) in lines.iter().enumerate() {
            let first_of_section = i == 0 || lines[i - 1].section != line.section;
            if first_of_section {
                let mut cells = vec![line.section.to_uppercase()];
                cells.resize(columns.len(), String::new());
                rows.push(cells);
            }
            push(
                &mut rows,
                format!("  {}", line.label),
                line.gross,
                line.depreciation,
                line.amount,
                line.previous,
            );
            let last_of_section = lines.get(i + 1).is_none_or(|n| n.section != line.section);
            if last_of_section {
                let section: Vec<_> = lines.iter().filter(|l| l.section == line.section).collect();
                let sum =
                    |f: &dyn Fn(&&&crate::reports::statements::StatementLine) -> Option<Amount>| {
                        section
                            .iter()
                            .map(f)
                            .try_fold(Amount::ZERO, |t, a| a.and_then(|a| t.checked_add(a)))
                    };
                let amount = sum(&|l| Some(l.amount)).unwrap_or_default();
                push(
                    &mut rows,
                    format!("  Total {}", lowercase_first(&line.section)),
                    if with_gross { sum(&|l| l.gross) } else { None },
                    if with_gross {
                        sum(&|l| l.depreciation)
                    } else {
                        None
                    },
                    amount,
                    sum(&|l| l.previous),
                );
            }
        }
        let total = statement.total(side);
        push(
            &mut rows,
            format!("TOTAL {}", side.name().to_uppercase()),
            None,
            None,
            total.amount,
            total.previous,
        );
        rows.write_table(out)?;
    }
    writeln!(out)?;
    let before = statement
        .result_previous
        .map(|r| format!(" (exercice précédent: {})", money(r)))
        .unwrap_or_default();
    writeln!(
        out,
        "{}: {}{before}",
        result_label(statement.result),
        money(statement.result),
    )?;
    if !statement.ties() {
        writeln!(out, "LES TOTAUX NE S'ÉQUILIBRENT PAS")?;
    }
    Ok(())
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
