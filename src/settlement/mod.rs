//! Settlement rules: what a payment, a refund or a credit note may be allocated to, what stays
//! due on a document, its payment status and its due date. Pure: the ledger passes in the
//! documents, their totals and the allocations it stores.
//!
//! Allocations go one way, from the document that settles to the document settled:
//! - a payment settles invoices of its party, and credit notes netted in it (a customer who
//!   pays an invoice less a credit note);
//! - a refund pays back credit notes, or the unallocated part of a payment (an overpayment);
//! - a credit note is set off against invoices of its party (no money moves).

use chrono::{Days, NaiveDate};

use crate::model::Amount;
use crate::model::document::{Document, DocumentId, DocumentStatus, DocumentType, PaymentStatus};

/// A settlement rule broken, with the documents it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    #[error("an allocated amount is positive")]
    NotPositive,
    #[error("{document} belongs to {owner}, not to {party}")]
    OtherParty {
        document: String,
        owner: String,
        party: String,
    },
    #[error("a {from} cannot be allocated to {document} ({target})")]
    NotAllocatable {
        from: &'static str,
        document: String,
        target: &'static str,
    },
    #[error("{document} is a draft: validate it first")]
    Draft { document: String },
    #[error("{amount} allocated to {document} is more than the {due} due on it")]
    MoreThanDue {
        amount: Amount,
        document: String,
        due: Amount,
    },
    #[error("allocations of {net} exceed the {what} of {available}")]
    MoreThanAvailable {
        net: Amount,
        /// `payment`, `refund` or `credit note`.
        what: &'static str,
        available: Amount,
    },
    #[error("{from} is not allocated to {document}")]
    NotAllocated { from: String, document: String },
    #[error("amount overflow")]
    Overflow,
}

fn checked_sub(a: Amount, b: Amount) -> Option<Amount> {
    a.checked_add(Amount::from_cents(b.cents().checked_neg()?))
}

/// The document types `from` may be allocated to.
pub fn allocatable(from: DocumentType) -> &'static [DocumentType] {
    use DocumentType::*;
    match from {
        CustomerPayment => &[CustomerInvoice, CustomerCreditNote],
        SupplierPayment => &[SupplierInvoice, SupplierCreditNote],
        CustomerRefund => &[CustomerCreditNote, CustomerPayment],
        SupplierRefund => &[SupplierCreditNote, SupplierPayment],
        CustomerCreditNote => &[CustomerInvoice],
        SupplierCreditNote => &[SupplierInvoice],
        CustomerInvoice | SupplierInvoice => &[],
    }
}

/// Whether an allocation from `from` to `target` uses up what `from` covers (true) or adds
/// to it (false): a credit note netted in a payment lets the payment cover more invoices.
pub fn counts_against(from: DocumentType, target: DocumentType) -> bool {
    let netted_credit_note = matches!(
        from,
        DocumentType::CustomerPayment | DocumentType::SupplierPayment
    ) && target.is_credit_note();
    !netted_credit_note
}

/// What is settled on one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// The invoice or credit note total including VAT, or the payment amount.
    pub total: Amount,
    /// Paid or set off (invoices, credit notes), allocated or refunded (payments, refunds).
    pub allocated: Amount,
    /// Still due (invoices, credit notes) or still unallocated (payments, refunds).
    pub remaining: Amount,
    /// For validated invoices and credit notes.
    pub status: Option<PaymentStatus>,
}

/// Unpaid, partially paid or paid.
pub fn payment_status(total: Amount, allocated: Amount) -> PaymentStatus {
    if allocated.is_zero() {
        PaymentStatus::Unpaid
    } else if allocated < total {
        PaymentStatus::PartiallyPaid
    } else {
        PaymentStatus::Paid
    }
}

/// Settles one document: `received` is what other documents allocated to it, `given` what it
/// allocated to others (with their types).
pub fn settle(
    doc: &Document,
    total: Amount,
    received: Amount,
    given: &[(DocumentType, Amount)],
) -> Result<Settled, SettlementError> {
    let mut allocated = received;
    for (target, amount) in given {
        allocated = if counts_against(doc.doc_type, *target) {
            allocated.checked_add(*amount)
        } else {
            checked_sub(allocated, *amount)
        }
        .ok_or(SettlementError::Overflow)?;
    }
    // A cancelled payment allocates nothing and leaves nothing to allocate.
    let remaining = if doc.status == DocumentStatus::Cancelled {
        Amount::ZERO
    } else {
        checked_sub(total, allocated).ok_or(SettlementError::Overflow)?
    };
    let status = (!doc.doc_type.is_payment() && doc.status == DocumentStatus::Validated)
        .then(|| payment_status(total, allocated));
    Ok(Settled {
        total,
        allocated,
        remaining,
        status,
    })
}

/// Whether something is still to be paid on a validated invoice or credit note.
pub fn is_due(settled: &Settled) -> bool {
    still_due(settled.status, settled.remaining)
}

/// Whether a document of this status with `remaining` left is still to be paid.
pub fn still_due(status: Option<PaymentStatus>, remaining: Amount) -> bool {
    matches!(
        status,
        Some(PaymentStatus::Unpaid | PaymentStatus::PartiallyPaid)
    ) && !remaining.is_zero()
}

/// What a validated document's remaining amount adds to its party's account, debit positive:
/// an invoice due and a refund not yet matched are owed by the customer (or to the supplier);
/// a credit note not yet used and a payment not yet allocated are owed the other way. Summed
/// over a party's documents, it is the party's balance on its collective account.
pub fn signed_remaining(doc_type: DocumentType, remaining: Amount) -> Amount {
    match doc_type {
        DocumentType::CustomerInvoice
        | DocumentType::CustomerRefund
        | DocumentType::SupplierCreditNote
        | DocumentType::SupplierPayment => remaining,
        DocumentType::CustomerCreditNote
        | DocumentType::CustomerPayment
        | DocumentType::SupplierInvoice
        | DocumentType::SupplierRefund => -remaining,
    }
}

/// The due date of a document dated `date` for terms of `terms_days` days; none for payments.
pub fn due_date(doc_type: DocumentType, date: NaiveDate, terms_days: u32) -> Option<NaiveDate> {
    if doc_type.is_payment() {
        return None;
    }
    date.checked_add_days(Days::new(terms_days.into()))
}

/// Whether a document still due is past its due date on `today`.
pub fn is_overdue(settled: &Settled, due_date: Option<NaiveDate>, today: NaiveDate) -> bool {
    is_due(settled) && due_date.is_some_and(|d| d < today)
}

/// One allocation to check: the target document, the amount and what is due on the target
/// leaving aside what `from` already allocated to it.
#[derive(Debug, Clone)]
pub struct Proposed<'a> {
    pub target: &'a Document,
    pub amount: Amount,
    pub due: Amount,
}

/// Checks the allocations of `from` as a whole: each positive, to a validated document of
/// the same party and of a type `from` may settle, within what is due on it; the net within
/// `available` (what `from` may still allocate leaving aside its own allocations).
/// An error says which target it is about, if one.
pub fn check_allocations(
    from: &Document,
    available: Amount,
    proposed: &[Proposed<'_>],
) -> Result<(), (Option<DocumentId>, SettlementError)> {
    let mut net = Amount::ZERO;
    for p in proposed {
        let at = |err: SettlementError| (Some(p.target.id), err);
        let target = p.target;
        if !p.amount.is_positive() {
            return Err(at(SettlementError::NotPositive));
        }
        if target.party != from.party {
            return Err(at(SettlementError::OtherParty {
                document: target.display_ref(),
                owner: target.party.clone(),
                party: from.party.clone(),
            }));
        }
        if !allocatable(from.doc_type).contains(&target.doc_type) {
            return Err(at(SettlementError::NotAllocatable {
                from: from.doc_type.name(),
                document: target.display_ref(),
                target: target.doc_type.name(),
            }));
        }
        if target.status != DocumentStatus::Validated {
            return Err(at(SettlementError::Draft {
                document: target.display_ref(),
            }));
        }
        if p.amount > p.due {
            return Err(at(SettlementError::MoreThanDue {
                amount: p.amount,
                document: target.display_ref(),
                due: p.due,
            }));
        }
        net = if counts_against(from.doc_type, target.doc_type) {
            net.checked_add(p.amount)
        } else {
            checked_sub(net, p.amount)
        }
        .ok_or((None, SettlementError::Overflow))?;
    }
    if net > available {
        return Err((
            None,
            SettlementError::MoreThanAvailable {
                net,
                what: match from.doc_type {
                    DocumentType::CustomerRefund | DocumentType::SupplierRefund => "refund",
                    t if t.is_credit_note() => "credit note",
                    _ => "payment",
                },
                available,
            },
        ));
    }
    Ok(())
}

/// Merges allocations to the same document, keeping the first one's place: `pay allocate`
/// adds to an existing allocation.
pub fn merge(
    current: &mut Vec<crate::model::document::Allocation>,
    added: &[crate::model::document::Allocation],
) -> Result<(), SettlementError> {
    for allocation in added {
        match current
            .iter_mut()
            .find(|a| a.document == allocation.document)
        {
            Some(existing) => {
                existing.amount = existing
                    .amount
                    .checked_add(allocation.amount)
                    .ok_or(SettlementError::Overflow)?;
            }
            None => current.push(allocation.clone()),
        }
    }
    Ok(())
}

/// Removes the allocation of `from` to `target`; returns the amount it had.
pub fn remove(
    from: &Document,
    current: &mut Vec<crate::model::document::Allocation>,
    target: &Document,
) -> Result<Amount, SettlementError> {
    let index = current
        .iter()
        .position(|a| a.document == target.id)
        .ok_or_else(|| SettlementError::NotAllocated {
            from: from.display_ref(),
            document: target.display_ref(),
        })?;
    Ok(current.remove(index).amount)
}

#[cfg(test)]
mod tests;
