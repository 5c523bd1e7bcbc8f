//! Documents from the posting engine: invoices, credit notes, payments and refunds, with what
//! is paid and still due on each. A row opens the document.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use rust_decimal::Decimal;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row as ListRow};
use super::super::widgets::table::{Column, needed, search_text};
use super::{Env, Outcome, Screen, amount_text, clean, date_text};
use crate::ledger::{DocumentSummary, LedgerError};
use crate::model::Amount;
use crate::model::document::{DocumentId, DocumentStatus, DocumentType};
use crate::query::{Field, Fields};

/// The type in a list column: short, customer or supplier first.
pub fn type_short(doc_type: DocumentType) -> &'static str {
    match doc_type {
        DocumentType::CustomerInvoice => "cust inv",
        DocumentType::CustomerCreditNote => "cust credit",
        DocumentType::SupplierInvoice => "supp inv",
        DocumentType::SupplierCreditNote => "supp credit",
        DocumentType::CustomerPayment => "cust pay",
        DocumentType::SupplierPayment => "supp pay",
        DocumentType::CustomerRefund => "cust refund",
        DocumentType::SupplierRefund => "supp refund",
    }
}

/// The type in a heading.
pub fn type_long(doc_type: DocumentType) -> &'static str {
    match doc_type {
        DocumentType::CustomerInvoice => "Customer invoice",
        DocumentType::CustomerCreditNote => "Customer credit note",
        DocumentType::SupplierInvoice => "Supplier invoice",
        DocumentType::SupplierCreditNote => "Supplier credit note",
        DocumentType::CustomerPayment => "Customer payment",
        DocumentType::SupplierPayment => "Supplier payment",
        DocumentType::CustomerRefund => "Customer refund",
        DocumentType::SupplierRefund => "Supplier refund",
    }
}

/// Unpaid, partially paid or paid for invoices and credit notes; registered for payments;
/// draft before validation.
pub fn status_text(summary: &DocumentSummary) -> &'static str {
    let doc = &summary.document;
    match summary.status {
        Some(status) => status.name(),
        None if doc.status == DocumentStatus::Draft => "draft",
        None if doc.status == DocumentStatus::Cancelled => "cancelled",
        None if doc.doc_type.is_payment() => "registered",
        None => "draft",
    }
}

/// Whether something is still to be paid on a validated invoice or credit note.
pub fn is_due(summary: &DocumentSummary) -> bool {
    crate::settlement::still_due(summary.status, summary.remaining)
}

/// A quantity or a price the French way (`1 450,00`, `0,1952`, `1,5`), at least `min_scale`
/// decimals.
pub fn decimal_text(value: Decimal, min_scale: u32) -> String {
    let mut value = value.normalize();
    if value.scale() < min_scale {
        value.rescale(min_scale);
    }
    let text = value.abs().to_string();
    let (units, decimals) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if value.is_sign_negative() && !value.is_zero() {
        out.push('-');
    }
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if !decimals.is_empty() {
        out.push(',');
        out.push_str(decimals);
    }
    out
}

/// Which documents the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    All,
    Invoices,
    Payments,
    /// Customer invoices with something still due (from the home screen).
    CustomerDue,
    /// Customer credits not yet used: credit notes, advances and overpayments.
    CustomerCredits,
}

impl Show {
    fn next(self) -> Show {
        match self {
            Show::All => Show::Invoices,
            Show::Invoices => Show::Payments,
            Show::Payments | Show::CustomerDue | Show::CustomerCredits => Show::All,
        }
    }

    fn includes(self, summary: &DocumentSummary) -> bool {
        let doc_type = summary.document.doc_type;
        match self {
            Show::All => true,
            Show::Invoices => !doc_type.is_payment(),
            Show::Payments => doc_type.is_payment(),
            Show::CustomerDue => doc_type == DocumentType::CustomerInvoice && is_due(summary),
            Show::CustomerCredits => is_customer_credit(summary),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Show::All => "all",
            Show::Invoices => "invoices and credit notes",
            Show::Payments => "payments and refunds",
            Show::CustomerDue => "customer invoices due",
            Show::CustomerCredits => "customer credits not yet used",
        }
    }
}

struct Row {
    id: DocumentId,
    number: String,
    doc_type: DocumentType,
    date: String,
    party: String,
    name: String,
    reference: String,
    total: String,
    paid: String,
    due: String,
    remaining: Amount,
    status: &'static str,
    /// For the filter: the amounts shown, the date, whether something is still due.
    amounts: [Amount; 3],
    day: chrono::NaiveDate,
    open: bool,
}

impl Row {
    fn of(summary: &DocumentSummary, names: &BTreeMap<String, String>) -> Row {
        let doc = &summary.document;
        Row {
            id: doc.id,
            number: doc.display_ref(),
            doc_type: doc.doc_type,
            date: date_text(doc.date),
            party: clean(&doc.party),
            name: names.get(&doc.party).cloned().unwrap_or_default(),
            reference: clean(&doc.reference),
            total: amount_text(summary.total),
            paid: amount_text(summary.allocated),
            due: amount_text(summary.remaining),
            remaining: summary.remaining,
            status: status_text(summary),
            amounts: [summary.total, summary.allocated, summary.remaining],
            day: doc.date,
            open: is_due(summary),
        }
    }
}

impl ListRow for Row {
    type Key = DocumentId;

    fn key(&self) -> DocumentId {
        self.id
    }

    /// `open`: something is still due on the invoice or credit note.
    fn fields(&self) -> Fields<'_> {
        Fields {
            parties: vec![&self.party, &self.name],
            amounts: self.amounts.to_vec(),
            date: Some(self.day),
            open: Some(self.open),
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[Field::Party, Field::Amount, Field::Date, Field::Open]
    }

    /// Marked documents add up what is still due on them.
    fn mark(&self) -> Result<Amount, String> {
        Ok(self.remaining)
    }

    fn search(&self) -> String {
        search_text(&[
            &self.number,
            type_short(self.doc_type),
            type_long(self.doc_type),
            &self.date,
            &self.party,
            &self.name,
            &self.reference,
            &self.total,
            &self.due,
            self.status,
        ])
    }
}

pub struct DocumentsScreen {
    show: Show,
    list: List<Row>,
}

impl DocumentsScreen {
    /// The documents `show` lists: every document with the cursor on the latest, or the
    /// customer invoices still due, the oldest first.
    pub fn new(env: &Env, show: Show) -> Result<Self, LedgerError> {
        let mut screen = DocumentsScreen {
            show,
            list: List::new(),
        };
        screen.reload(env)?;
        if show != Show::CustomerDue {
            screen.list.bottom(env.ledger)?;
        }
        Ok(screen)
    }

    fn selected(&self) -> Option<&Row> {
        self.list.selected()
    }
}

/// How many customer invoices are still due, and how much.
/// A customer credit note, payment or refund whose remaining amount stands against the
/// customer's account.
fn is_customer_credit(summary: &DocumentSummary) -> bool {
    let doc = &summary.document;
    matches!(
        doc.doc_type,
        DocumentType::CustomerCreditNote
            | DocumentType::CustomerPayment
            | DocumentType::CustomerRefund
    ) && doc.status == DocumentStatus::Validated
        && !summary.remaining.is_zero()
}

/// Customer credits not yet used: how many, and what they take off the customers' account
/// (a negative amount), so that invoices due plus credits make the 411 balance.
pub fn customer_credits(env: &Env) -> Result<(usize, Amount), LedgerError> {
    let credits: Vec<DocumentSummary> = env
        .ledger
        .documents(None)?
        .into_iter()
        .filter(is_customer_credit)
        .collect();
    let total = credits
        .iter()
        .map(|s| crate::settlement::signed_remaining(s.document.doc_type, s.remaining))
        .sum();
    Ok((credits.len(), total))
}

pub fn customer_due(env: &Env) -> Result<(usize, Amount), LedgerError> {
    let due: Vec<DocumentSummary> = env
        .ledger
        .documents(Some(DocumentType::CustomerInvoice))?
        .into_iter()
        .filter(is_due)
        .collect();
    Ok((due.len(), due.iter().map(|s| s.remaining).sum()))
}

impl Screen for DocumentsScreen {
    fn context(&self) -> Context {
        Context::Documents
    }

    fn title(&self) -> String {
        format!("Documents · {}", self.show.name())
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let names: BTreeMap<String, String> = env
            .ledger
            .parties()?
            .into_iter()
            .map(|p| (p.code, clean(&p.name)))
            .collect();
        let rows = env
            .ledger
            .documents(None)?
            .iter()
            .filter(|s| self.show.includes(s))
            .map(|s| Row::of(s, &names))
            .collect();
        self.list.set_rows(rows);
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let wide = area.width >= 100;
        let rows = self.list.rows();
        let width = |title: &str, cell: fn(&Row) -> &str, max: u16| {
            needed(title, rows.iter().map(cell), max)
        };
        let columns = [
            Column::left("number", width("number", |r| &r.number, 16)),
            Column::left("type", width("type", |r| type_short(r.doc_type), 12)),
            Column::left("date", 10),
            Column::fill("party"),
            Column::fill("reference").from(140),
            Column::right("total", width("total", |r| &r.total, 16)),
            Column::right("paid", width("paid", |r| &r.paid, 16)).from(100),
            Column::right("due", width("due", |r| &r.due, 16)),
            Column::left("status", width("status", |r| r.status, 14)),
        ];
        let mut table = area;
        if self.show == Show::CustomerDue && area.height > 3 {
            // What the list adds up to, as filtered.
            table.height -= 1;
            let due: Amount = self.list.shown().map(|r| r.remaining).sum();
            let text = format!(" {} invoices · due {}", self.list.len(), amount_text(due));
            super::line(buf, area, area.bottom() - 1, &text, theme.total);
        }
        self.list.draw(buf, table, &columns, theme, |row| {
            let party = if wide && !row.name.is_empty() {
                format!("{} {}", row.party, row.name)
            } else {
                row.party.clone()
            };
            let cells = vec![
                row.number.clone(),
                type_short(row.doc_type).to_string(),
                row.date.clone(),
                party,
                row.reference.clone(),
                row.total.clone(),
                row.paid.clone(),
                row.due.clone(),
                row.status.to_string(),
            ];
            let style = if row.status == "draft" {
                theme.dim
            } else {
                Style::new()
            };
            (cells, style)
        });
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match action {
            Action::Open => match self.selected() {
                Some(row) => Outcome::Open(Route::Document(row.id)),
                None => Outcome::None,
            },
            Action::TypeFilter => {
                let before = self.selected().map(|r| r.id);
                self.show = self.show.next();
                if let Err(err) = self.reload(env) {
                    return err.into();
                }
                // The cursor stays on its document when it is still listed.
                if (before.is_none() || self.selected().map(|r| r.id) != before)
                    && let Err(err) = self.list.bottom(env.ledger)
                {
                    return err.into();
                }
                Outcome::None
            }
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        self.selected().map(|r| format!("document:{}", r.id))
    }

    fn list(&self) -> Option<&dyn ListView> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        Some(&mut self.list)
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        vec![
            (keymap.hint(Context::List, Action::Open), "open"),
            (keymap.hint(Context::Documents, Action::TypeFilter), "type"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn quantities_and_prices_read_the_french_way() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(decimal_text(d("1450"), 2), "1 450,00");
        assert_eq!(decimal_text(d("0.1952"), 2), "0,1952");
        assert_eq!(decimal_text(d("1.50"), 0), "1,5");
        assert_eq!(decimal_text(d("18"), 0), "18");
        assert_eq!(decimal_text(d("-1234567.5"), 2), "-1 234 567,50");
        assert_eq!(decimal_text(d("0"), 0), "0");
    }
}
