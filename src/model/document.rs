//! Commercial documents: invoices and credit notes (with lines), payments and refunds (with
//! allocations). The posting engine turns each into one entry.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::entry::EntryId;
use super::money::Amount;

pub type DocumentId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    CustomerInvoice,
    CustomerCreditNote,
    SupplierInvoice,
    SupplierCreditNote,
    CustomerPayment,
    SupplierPayment,
    CustomerRefund,
    SupplierRefund,
}

/// Sale or purchase: which strategies and tax kind apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Sale,
    Purchase,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Sale => "sale",
            Context::Purchase => "purchase",
        }
    }
}

impl DocumentType {
    pub const ALL: [DocumentType; 8] = [
        DocumentType::CustomerInvoice,
        DocumentType::CustomerCreditNote,
        DocumentType::SupplierInvoice,
        DocumentType::SupplierCreditNote,
        DocumentType::CustomerPayment,
        DocumentType::SupplierPayment,
        DocumentType::CustomerRefund,
        DocumentType::SupplierRefund,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DocumentType::CustomerInvoice => "customer_invoice",
            DocumentType::CustomerCreditNote => "customer_credit_note",
            DocumentType::SupplierInvoice => "supplier_invoice",
            DocumentType::SupplierCreditNote => "supplier_credit_note",
            DocumentType::CustomerPayment => "customer_payment",
            DocumentType::SupplierPayment => "supplier_payment",
            DocumentType::CustomerRefund => "customer_refund",
            DocumentType::SupplierRefund => "supplier_refund",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|t| t.name() == text)
    }

    /// Number prefix: `FA2026-00012` for a customer invoice.
    pub fn prefix(self) -> &'static str {
        match self {
            DocumentType::CustomerInvoice => "FA",
            DocumentType::CustomerCreditNote => "AV",
            DocumentType::SupplierInvoice => "FF",
            DocumentType::SupplierCreditNote => "AF",
            DocumentType::CustomerPayment => "RC",
            DocumentType::SupplierPayment => "RF",
            DocumentType::CustomerRefund => "RBC",
            DocumentType::SupplierRefund => "RBF",
        }
    }

    pub fn context(self) -> Context {
        match self {
            DocumentType::CustomerInvoice
            | DocumentType::CustomerCreditNote
            | DocumentType::CustomerPayment
            | DocumentType::CustomerRefund => Context::Sale,
            _ => Context::Purchase,
        }
    }

    pub fn is_payment(self) -> bool {
        matches!(
            self,
            DocumentType::CustomerPayment
                | DocumentType::SupplierPayment
                | DocumentType::CustomerRefund
                | DocumentType::SupplierRefund
        )
    }

    pub fn is_credit_note(self) -> bool {
        matches!(
            self,
            DocumentType::CustomerCreditNote | DocumentType::SupplierCreditNote
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    pub item: Option<String>,
    pub label: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// Percent.
    pub discount: Decimal,
    /// Defaults from the item and the party's tax position when not given.
    pub tax_code: Option<String>,
}

impl DocumentLine {
    /// Quantity × unit price × (1 − discount), rounded half away from zero to the cent.
    pub fn net(&self) -> Amount {
        let gross = self.quantity * self.unit_price;
        let net = gross - gross * self.discount / Decimal::ONE_HUNDRED;
        let rounded =
            net.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        Amount::from_decimal(rounded).unwrap_or(Amount::ZERO)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentStatus {
    Draft,
    Validated,
    /// A registered payment or refund cancelled afterwards (a returned cheque, a rejected
    /// direct debit): its entry is reversed and it allocates nothing.
    Cancelled,
}

/// An allocation of a payment or refund to an invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub document: DocumentId,
    pub amount: Amount,
}

/// What a document is made of: lines for invoices and credit notes, an amount and
/// allocations for payments and refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentBody {
    Lines(Vec<DocumentLine>),
    Payment {
        amount: Amount,
        method: String,
        allocations: Vec<Allocation>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: DocumentId,
    pub doc_type: DocumentType,
    /// Given at validation, per type and fiscal year (`FA2026-00012`).
    pub number: Option<String>,
    pub party: String,
    pub date: NaiveDate,
    /// The party's own reference (their invoice number, a bank reference).
    pub reference: String,
    pub body: DocumentBody,
    pub status: DocumentStatus,
    /// The entry generated from this document, once validated.
    pub entry: Option<EntryId>,
    /// When an invoice or credit note falls due: fixed at validation from the party's terms
    /// then, so a later change of terms does not move it.
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
}

impl Document {
    pub fn display_ref(&self) -> String {
        self.number
            .clone()
            .unwrap_or_else(|| format!("D{}", self.id))
    }

    pub fn lines(&self) -> &[DocumentLine] {
        match &self.body {
            DocumentBody::Lines(lines) => lines,
            DocumentBody::Payment { .. } => &[],
        }
    }

    pub fn allocations(&self) -> &[Allocation] {
        match &self.body {
            DocumentBody::Payment { allocations, .. } => allocations,
            DocumentBody::Lines(_) => &[],
        }
    }
}

/// Whether an invoice is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Unpaid,
    PartiallyPaid,
    Paid,
}

impl PaymentStatus {
    pub fn name(self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "unpaid",
            PaymentStatus::PartiallyPaid => "partially paid",
            PaymentStatus::Paid => "paid",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn line_net_rounds_half_away_from_zero() {
        let line = DocumentLine {
            item: None,
            label: "x".into(),
            quantity: Decimal::from(3),
            unit_price: Decimal::from_str("0.335").unwrap(),
            discount: Decimal::ZERO,
            tax_code: None,
        };
        assert_eq!(line.net(), Amount::from_cents(101));
        let discounted = DocumentLine {
            discount: Decimal::from(10),
            unit_price: Decimal::from(100),
            quantity: Decimal::ONE,
            ..line
        };
        assert_eq!(discounted.net(), Amount::from_cents(9000));
    }

    #[test]
    fn types_parse_and_classify() {
        assert_eq!(
            DocumentType::parse("customer-invoice"),
            Some(DocumentType::CustomerInvoice)
        );
        assert!(DocumentType::SupplierRefund.is_payment());
        assert_eq!(
            DocumentType::SupplierCreditNote.context(),
            Context::Purchase
        );
    }
}
