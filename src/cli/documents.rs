//! `folio doc`, `pay`, `items`, `taxes`, `why`, `regenerate`, `settings`.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail};
use rust_decimal::Decimal;

use super::commands::{amount_cell, date_arg};
use super::output::{Align, Format, Rows, emit, write_json};
use super::{DocAction, PayAction, SettingsAction};
use crate::fixtures;
use crate::formats::documents_csv::{
    DocumentGrouper, DocumentsCsvReader, PaymentGrouper, PaymentsCsvReader,
};
use crate::ledger::{Ctx, DocumentInput, DocumentRef, DocumentSummary, Ledger, PaymentInput};
use crate::model::document::{DocumentBody, DocumentLine, DocumentType};
use crate::model::party::parse_party_code;
use crate::model::text::display_text;
use crate::model::{Amount, Entry};

fn doc_type(text: &str) -> Result<DocumentType> {
    DocumentType::parse(text).ok_or_else(|| {
        let names: Vec<&str> = DocumentType::ALL.iter().map(|t| t.name()).collect();
        anyhow!("type: `{text}` is not one of {}", names.join(", "))
    })
}

fn decimal(field: &str, text: &str) -> Result<Decimal> {
    let cleaned: String = text.trim().replace(',', ".").replace([' ', '\u{a0}'], "");
    Decimal::from_str(&cleaned).map_err(|_| anyhow!("{field}: `{text}` is not a number"))
}

/// Parses `ITEM;LABEL;QUANTITY;UNIT_PRICE[;DISCOUNT[;TAX]]`.
fn parse_doc_line(text: &str) -> Result<DocumentLine> {
    let parts: Vec<&str> = text.split(';').collect();
    if !(4..=6).contains(&parts.len()) {
        bail!("line: `{text}` must be ITEM;LABEL;QUANTITY;UNIT_PRICE[;DISCOUNT[;TAX_CODE]]");
    }
    let optional = |i: usize| {
        parts
            .get(i)
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(str::to_string)
    };
    Ok(DocumentLine {
        item: optional(0).map(|i| i.to_uppercase()),
        label: parts[1].trim().to_string(),
        quantity: decimal("quantity", parts[2])?,
        unit_price: decimal("unit_price", parts[3])?,
        discount: match optional(4) {
            Some(d) => decimal("discount", &d)?,
            None => Decimal::ZERO,
        },
        tax_code: optional(5).map(|t| t.to_uppercase()),
    })
}

/// Parses `DOCUMENT=AMOUNT`.
fn parse_allocation(text: &str) -> Result<(DocumentRef, Amount)> {
    let (target, amount) = text
        .rsplit_once('=')
        .ok_or_else(|| anyhow!("allocation: `{text}` must be DOCUMENT=AMOUNT"))?;
    let amount = Amount::parse(amount).map_err(|e| anyhow!("allocation: {e}"))?;
    Ok((DocumentRef::Text(target.trim().to_string()), amount))
}

fn open_csv(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(BufReader::with_capacity(1 << 20, file))
}

pub fn doc(
    ledger: &Ledger,
    action: &DocAction,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    match action {
        DocAction::Add {
            doc_type: t,
            party,
            date,
            reference,
            line,
            validate,
        } => {
            let lines = line
                .iter()
                .map(|l| parse_doc_line(l))
                .collect::<Result<Vec<_>>>()?;
            let input = DocumentInput {
                doc_type: doc_type(t)?,
                party: parse_party_code(party).map_err(|e| anyhow!("party: {e}"))?,
                date: date_arg("date", date)?,
                reference: reference.clone(),
                lines,
                line_numbers: Vec::new(),
            };
            let docs = ledger.add_documents(ctx, [Ok((0, input))], *validate, None)?;
            for d in docs {
                writeln!(out, "recorded {} ({})", d.display_ref(), d.doc_type.name())?;
            }
        }
        DocAction::Import { file, validate } => {
            let name = file.display().to_string();
            let reader = DocumentsCsvReader::new(&name, open_csv(file)?)?;
            let docs = ledger.import_documents(
                ctx,
                &name,
                DocumentGrouper::new(&name, reader),
                *validate,
            )?;
            writeln!(
                out,
                "imported {} documents{}",
                docs.len(),
                if *validate {
                    ", validated and posted"
                } else {
                    " as drafts"
                }
            )?;
        }
        DocAction::List {
            doc_type: t,
            format,
        } => {
            let filter = t.as_deref().map(doc_type).transpose()?;
            let docs: Vec<DocumentSummary> = ledger
                .documents(filter)?
                .into_iter()
                .filter(|s| !s.document.doc_type.is_payment() || filter.is_some())
                .collect();
            write_documents(&docs, *format, out)?;
        }
        DocAction::Show { document, format } => {
            let summary = ledger.document(document)?;
            show_document(ledger, &summary, *format, out)?;
        }
        DocAction::Validate { documents } => {
            if documents.is_empty() {
                bail!("say which documents to validate");
            }
            let ids = documents
                .iter()
                .map(|d| ledger.document(d).map(|s| s.document.id))
                .collect::<Result<Vec<_>, _>>()?;
            for d in ledger.validate_documents(ctx, &ids)? {
                writeln!(out, "validated {}", d.display_ref())?;
            }
        }
        DocAction::Allocate {
            credit_note,
            allocations,
        } => {
            let id = ledger.document(credit_note)?.document.id;
            let allocations = allocations
                .iter()
                .map(|a| parse_allocation(a))
                .collect::<Result<Vec<_>>>()?;
            let doc = ledger.set_off(ctx, id, &allocations)?;
            let summary = ledger.document(&format!("D{}", doc.id))?;
            writeln!(
                out,
                "set off {}: {} left",
                doc.display_ref(),
                summary.remaining.to_french()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn pay(
    ledger: &Ledger,
    action: &PayAction,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    match action {
        PayAction::Add {
            doc_type: t,
            party,
            date,
            amount,
            method,
            reference,
            allocate,
        } => {
            let party = parse_party_code(party).map_err(|e| anyhow!("party: {e}"))?;
            let method = match method {
                Some(m) => m.trim().to_ascii_lowercase(),
                None => ledger.party(&party)?.payment_method.ok_or_else(|| {
                    anyhow!("method: required (the third party has no default method)")
                })?,
            };
            let input = PaymentInput {
                doc_type: doc_type(t)?,
                party,
                date: date_arg("date", date)?,
                amount: Amount::parse(amount).map_err(|e| anyhow!("amount: {e}"))?,
                method,
                reference: reference.clone(),
                allocations: allocate
                    .iter()
                    .map(|a| parse_allocation(a))
                    .collect::<Result<_>>()?,
                allocation_lines: Vec::new(),
            };
            for d in ledger.register_payments(ctx, [Ok((0, input))], None)? {
                writeln!(
                    out,
                    "registered {} ({})",
                    d.display_ref(),
                    d.doc_type.name()
                )?;
            }
        }
        PayAction::Import { file } => {
            let name = file.display().to_string();
            let reader = PaymentsCsvReader::new(&name, open_csv(file)?)?;
            let docs = ledger.import_payments(ctx, &name, PaymentGrouper::new(&name, reader))?;
            writeln!(out, "registered {} payments", docs.len())?;
        }
        PayAction::Allocate {
            payment,
            allocations,
        } => {
            let id = ledger.document(payment)?.document.id;
            let allocations = allocations
                .iter()
                .map(|a| parse_allocation(a))
                .collect::<Result<Vec<_>>>()?;
            let doc = ledger.allocate(ctx, id, &allocations)?;
            writeln!(
                out,
                "allocated {}: {} allocations",
                doc.display_ref(),
                doc.allocations().len()
            )?;
        }
        PayAction::Unallocate { payment, document } => {
            let id = ledger.document(payment)?.document.id;
            let target = DocumentRef::Text(document.trim().to_string());
            let doc = ledger.unallocate(ctx, id, &target)?;
            if doc.doc_type.is_credit_note() {
                let left = ledger.document(&format!("D{}", doc.id))?.remaining;
                writeln!(
                    out,
                    "unallocated {} from {}: {} left",
                    document.trim(),
                    doc.display_ref(),
                    left.to_french()
                )?;
            } else {
                writeln!(
                    out,
                    "unallocated {} from {}: {} allocations left",
                    document.trim(),
                    doc.display_ref(),
                    doc.allocations().len()
                )?;
            }
        }
        PayAction::Edit {
            payment,
            reference,
            date,
            party,
            amount,
            method,
        } => {
            let id = ledger.document(payment)?.document.id;
            let frozen: Vec<&'static str> = [
                ("date", date.is_some()),
                ("party", party.is_some()),
                ("amount", amount.is_some()),
                ("method", method.is_some()),
            ]
            .iter()
            .filter(|(_, given)| *given)
            .map(|(name, _)| *name)
            .collect();
            let doc = ledger.edit_payment(ctx, id, reference.as_deref(), &frozen)?;
            writeln!(out, "edited {}", doc.display_ref())?;
        }
        PayAction::Cancel {
            payment,
            date,
            reason,
        } => {
            let date = date
                .as_deref()
                .map(|d| super::commands::date_arg("date", d))
                .transpose()?;
            let done = ledger.cancel_payment(ctx, payment, date, reason)?;
            write_cancellation(&done, out)?;
        }
        PayAction::List { format } => {
            let docs: Vec<DocumentSummary> = ledger
                .documents(None)?
                .into_iter()
                .filter(|s| s.document.doc_type.is_payment())
                .collect();
            write_documents(&docs, *format, out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_documents(docs: &[DocumentSummary], format: Format, out: &mut impl Write) -> Result<()> {
    let mut rows = Rows::new(&[
        ("number", Align::Left),
        ("type", Align::Left),
        ("date", Align::Left),
        ("party", Align::Left),
        ("reference", Align::Left),
        ("total", Align::Right),
        ("allocated", Align::Right),
        ("remaining", Align::Right),
        ("status", Align::Left),
    ]);
    for s in docs {
        let d = &s.document;
        let status = match (&s.status, d.doc_type.is_payment()) {
            (Some(status), _) => status.name().to_string(),
            (None, _) if d.status == crate::model::document::DocumentStatus::Cancelled => {
                "cancelled".into()
            }
            (None, true) => "registered".into(),
            (None, false) => "draft".into(),
        };
        rows.push(vec![
            d.display_ref(),
            d.doc_type.name().into(),
            d.date.to_string(),
            d.party.clone(),
            d.reference.clone(),
            amount_cell(format, s.total),
            amount_cell(format, s.allocated),
            amount_cell(format, s.remaining),
            status,
        ]);
    }
    emit(format, &rows, &docs, out)
}

fn show_document(
    ledger: &Ledger,
    s: &DocumentSummary,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let d = &s.document;
    let entry = d.entry.map(|id| ledger.entry(id)).transpose()?;
    if format == Format::Json {
        #[derive(serde::Serialize)]
        struct Shown<'a> {
            document: &'a DocumentSummary,
            entry: Option<&'a Entry>,
            why: Vec<String>,
        }
        let why = match &entry {
            Some(e) => ledger.why(e)?.into_iter().map(|(_, rule)| rule).collect(),
            None => Vec::new(),
        };
        return write_json(
            out,
            &Shown {
                document: s,
                entry: entry.as_ref(),
                why,
            },
        );
    }
    writeln!(
        out,
        "{} {} — {} — {}",
        d.doc_type.name(),
        d.display_ref(),
        d.date,
        display_text(&d.party)
    )?;
    if !d.reference.is_empty() {
        writeln!(out, "Reference {}", display_text(&d.reference))?;
    }
    if let Some(due) = d.due_date {
        writeln!(out, "Due date {due}")?;
    }
    match &d.body {
        DocumentBody::Lines(lines) => {
            let mut rows = Rows::new(&[
                ("item", Align::Left),
                ("label", Align::Left),
                ("quantity", Align::Right),
                ("unit_price", Align::Right),
                ("discount", Align::Right),
                ("tax", Align::Left),
                ("net", Align::Right),
            ]);
            for l in lines {
                rows.push(vec![
                    l.item.clone().unwrap_or_default(),
                    l.label.clone(),
                    l.quantity.normalize().to_string(),
                    l.unit_price.normalize().to_string(),
                    l.discount.normalize().to_string(),
                    l.tax_code.clone().unwrap_or_default(),
                    amount_cell(format, l.net()),
                ]);
            }
            rows.write_table_or_csv(format, out)?;
            if let Some(status) = s.status {
                writeln!(
                    out,
                    "Total {}  paid {}  due {}  ({})",
                    s.total.to_french(),
                    s.allocated.to_french(),
                    s.remaining.to_french(),
                    status.name()
                )?;
            }
        }
        DocumentBody::Payment {
            amount,
            method,
            allocations,
        } => {
            writeln!(
                out,
                "Amount {}  method {}",
                amount.to_french(),
                display_text(method)
            )?;
            for a in allocations {
                writeln!(
                    out,
                    "  allocated {} to D{}",
                    a.amount.to_french(),
                    a.document
                )?;
            }
            writeln!(out, "Unallocated {}", s.remaining.to_french())?;
        }
    }
    if let Some(entry) = entry {
        writeln!(
            out,
            "\nEntry {} ({})",
            entry.reference(),
            entry.status.name()
        )?;
        write_why(ledger, &entry, format, out)?;
    }
    Ok(())
}

fn write_why(ledger: &Ledger, entry: &Entry, format: Format, out: &mut impl Write) -> Result<()> {
    let mut rows = Rows::new(&[
        ("account", Align::Left),
        ("third_party", Align::Left),
        ("debit", Align::Right),
        ("credit", Align::Right),
        ("why", Align::Left),
    ]);
    for (line, rule) in ledger.why(entry)? {
        rows.push(vec![
            line.account.to_string(),
            line.third_party.clone().unwrap_or_default(),
            amount_cell(format, line.debit),
            amount_cell(format, line.credit),
            rule,
        ]);
    }
    rows.write_table_or_csv(format, out)
}

pub fn why(ledger: &Ledger, reference: &str, out: &mut impl Write) -> Result<ExitCode> {
    let entry = match ledger.find_entry(reference) {
        Ok(entry) => entry,
        Err(_) => {
            let doc = ledger.document(reference)?;
            let id = doc.document.entry.ok_or_else(|| {
                anyhow!("{} has no entry yet (a draft)", doc.document.display_ref())
            })?;
            ledger.entry(id)?
        }
    };
    writeln!(
        out,
        "Entry {} — {}",
        entry.reference(),
        display_text(&entry.label)
    )?;
    write_why(ledger, &entry, Format::Table, out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn items(ledger: &Ledger, format: Format, out: &mut impl Write) -> Result<ExitCode> {
    let settings = ledger.settings()?;
    let mut rows = Rows::new(&[
        ("code", Align::Left),
        ("label", Align::Left),
        ("kind", Align::Left),
        ("family", Align::Left),
        ("unit", Align::Left),
        ("sale_tax", Align::Left),
        ("purchase_tax", Align::Left),
    ]);
    for i in &settings.items {
        rows.push(vec![
            i.code.clone(),
            i.label.clone(),
            format!("{:?}", i.kind).to_lowercase(),
            i.family.clone().unwrap_or_default(),
            i.unit.clone().unwrap_or_default(),
            i.sale_tax.clone().unwrap_or_default(),
            i.purchase_tax.clone().unwrap_or_default(),
        ]);
    }
    emit(format, &rows, &settings.items, out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn taxes(ledger: &Ledger, format: Format, ctx: &Ctx, out: &mut impl Write) -> Result<ExitCode> {
    let settings = ledger.settings()?;
    let mut rows = Rows::new(&[
        ("code", Align::Left),
        ("label", Align::Left),
        ("kind", Align::Left),
        ("due", Align::Left),
        ("rate_today", Align::Right),
        ("rates", Align::Left),
        ("account", Align::Left),
        ("pending", Align::Left),
        ("reverse_charge", Align::Left),
        ("ca3", Align::Left),
    ]);
    for t in &settings.taxes {
        let rates: Vec<String> = t
            .rates
            .iter()
            .map(|r| format!("{} % from {}", r.rate.normalize(), r.from))
            .collect();
        rows.push(vec![
            t.code.clone(),
            t.label.clone(),
            format!("{:?}", t.kind).to_lowercase(),
            match t.exigibility {
                crate::model::tax::Exigibility::OnInvoice => "on invoice".into(),
                crate::model::tax::Exigibility::OnPayment => "on payment".into(),
            },
            t.rate_on(ctx.today)
                .map(|r| format!("{} %", r.normalize()))
                .unwrap_or_default(),
            rates.join("; "),
            t.account.to_string(),
            t.pending_account
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            t.reverse_charge_account
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            format!(
                "{}/{}",
                t.base_box.clone().unwrap_or_default(),
                t.tax_box.clone().unwrap_or_default()
            ),
        ]);
    }
    emit(format, &rows, &settings.taxes, out)?;
    if format == Format::Table {
        writeln!(out, "\nTax positions:")?;
        for p in &settings.tax_positions {
            let maps: Vec<String> = p
                .taxes
                .iter()
                .map(|m| format!("{} -> {}", m.from, m.to.as_deref().unwrap_or("exempt")))
                .collect();
            let line = format!(
                "  {} ({}): {} {}",
                p.code,
                p.label,
                maps.join(", "),
                p.mention
            );
            writeln!(out, "{}", display_text(&line))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn regenerate(
    ledger: &Ledger,
    year: Option<&str>,
    document: Option<&str>,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let document = document
        .map(|d| ledger.document(d).map(|s| s.document.id))
        .transpose()?;
    let report = ledger.regenerate(ctx, year, document)?;
    for change in &report.changes {
        writeln!(out, "{change}")?;
    }
    writeln!(
        out,
        "{} documents examined: {} unchanged, {} drafts replaced, {} reversed and reposted, {} created; left alone: {} in closed years, {} in locked periods",
        report.examined,
        report.unchanged,
        report.drafts_replaced,
        report.reposted,
        report.created,
        report.skipped_closed,
        report.skipped_locked
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn settings(
    ledger: &Ledger,
    action: &SettingsAction,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    match action {
        SettingsAction::Export { out: path } => {
            let text = toml::to_string_pretty(&ledger.settings()?)?;
            match path {
                Some(path) => {
                    super::files::write_file(path, true, |file| {
                        Ok(file.write_all(text.as_bytes())?)
                    })?;
                    writeln!(out, "wrote {}", path.display())?;
                }
                None => out.write_all(text.as_bytes())?,
            }
        }
        SettingsAction::Load { file } => {
            let text = fixtures::read_text_file(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let settings = fixtures::parse_settings(&file.display().to_string(), &text)?;
            ledger.load_settings(ctx, &settings)?;
            writeln!(out, "loaded settings from {}", file.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What a cancellation did, for people.
pub fn write_cancellation(
    done: &crate::ledger::PaymentCancellation,
    out: &mut impl Write,
) -> Result<()> {
    writeln!(
        out,
        "cancelled {} ({} {}){}",
        done.payment.display_ref(),
        done.payment.party,
        match &done.payment.body {
            crate::model::document::DocumentBody::Payment { amount, .. } => amount.to_plain(),
            crate::model::document::DocumentBody::Lines(_) => String::new(),
        },
        done.reversal
            .as_ref()
            .map(|r| format!(", reversed by {r}"))
            .unwrap_or_else(|| ", its draft entry deleted".into())
    )?;
    for (doc, amount) in &done.reopened {
        writeln!(out, "reopened {doc}: {} due again", amount.to_plain())?;
    }
    Ok(())
}
