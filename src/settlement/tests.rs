use chrono::NaiveDate;

use super::*;
use crate::model::document::{Allocation, DocumentBody, DocumentLine};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn doc(id: DocumentId, doc_type: DocumentType, party: &str) -> Document {
    let body = if doc_type.is_payment() {
        DocumentBody::Payment {
            amount: Amount::from_cents(10_000),
            method: "transfer".into(),
            allocations: Vec::new(),
        }
    } else {
        DocumentBody::Lines(vec![DocumentLine {
            item: None,
            label: "x".into(),
            quantity: 1.into(),
            unit_price: 100.into(),
            discount: 0.into(),
            tax_code: None,
        }])
    };
    Document {
        id,
        doc_type,
        number: Some(format!("N{id}")),
        party: party.into(),
        date: date("2026-03-01"),
        reference: String::new(),
        body,
        status: DocumentStatus::Validated,
        entry: None,
        due_date: None,
    }
}

fn eur(cents: i64) -> Amount {
    Amount::from_cents(cents)
}

#[test]
fn status_follows_what_is_allocated() {
    assert_eq!(payment_status(eur(10), eur(0)), PaymentStatus::Unpaid);
    assert_eq!(
        payment_status(eur(10), eur(5)),
        PaymentStatus::PartiallyPaid
    );
    assert_eq!(payment_status(eur(10), eur(10)), PaymentStatus::Paid);
}

#[test]
fn a_payment_net_of_a_credit_note_covers_both() {
    let payment = doc(1, DocumentType::CustomerPayment, "C");
    let settled = settle(
        &payment,
        eur(1080),
        eur(0),
        &[
            (DocumentType::CustomerInvoice, eur(1200)),
            (DocumentType::CustomerCreditNote, eur(120)),
        ],
    )
    .unwrap();
    assert_eq!((settled.allocated, settled.remaining), (eur(1080), eur(0)));
    assert_eq!(settled.status, None);
}

#[test]
fn a_credit_note_set_off_and_refunded_is_settled() {
    let credit = doc(2, DocumentType::CustomerCreditNote, "C");
    // 30 refunded to it, 40 set off against an invoice.
    let settled = settle(
        &credit,
        eur(100),
        eur(30),
        &[(DocumentType::CustomerInvoice, eur(40))],
    )
    .unwrap();
    assert_eq!(settled.remaining, eur(30));
    assert_eq!(settled.status, Some(PaymentStatus::PartiallyPaid));
    let mut draft = credit.clone();
    draft.status = DocumentStatus::Draft;
    assert_eq!(settle(&draft, eur(100), eur(0), &[]).unwrap().status, None);
}

#[test]
fn a_refund_takes_back_an_overpayment() {
    let payment = doc(1, DocumentType::CustomerPayment, "C");
    let refund = doc(3, DocumentType::CustomerRefund, "C");
    let settled = settle(
        &payment,
        eur(1000),
        eur(200),
        &[(DocumentType::CustomerInvoice, eur(800))],
    )
    .unwrap();
    assert_eq!(settled.remaining, eur(0));
    let proposed = [Proposed {
        target: &payment,
        amount: eur(200),
        due: eur(200),
    }];
    assert_eq!(check_allocations(&refund, eur(200), &proposed), Ok(()));
    let too_much = [Proposed {
        amount: eur(201),
        ..proposed[0].clone()
    }];
    assert!(matches!(
        check_allocations(&refund, eur(500), &too_much),
        Err((Some(1), SettlementError::MoreThanDue { .. }))
    ));
}

#[test]
fn allocations_are_refused_by_rule() {
    let payment = doc(1, DocumentType::CustomerPayment, "C");
    let invoice = doc(2, DocumentType::CustomerInvoice, "C");
    let other = doc(3, DocumentType::CustomerInvoice, "D");
    let purchase = doc(4, DocumentType::SupplierInvoice, "C");
    let mut draft = doc(5, DocumentType::CustomerInvoice, "C");
    draft.status = DocumentStatus::Draft;
    let one = |target: &Document, amount: i64| {
        let proposed = [Proposed {
            target,
            amount: eur(amount),
            due: eur(500),
        }];
        check_allocations(&payment, eur(400), &proposed).map_err(|(_, e)| e)
    };
    assert_eq!(one(&invoice, 0), Err(SettlementError::NotPositive));
    assert!(matches!(
        one(&other, 10),
        Err(SettlementError::OtherParty { .. })
    ));
    assert!(matches!(
        one(&purchase, 10),
        Err(SettlementError::NotAllocatable { .. })
    ));
    assert!(matches!(
        one(&draft, 10),
        Err(SettlementError::Draft { .. })
    ));
    assert!(matches!(
        one(&invoice, 501),
        Err(SettlementError::MoreThanDue { .. })
    ));
    assert!(matches!(
        one(&invoice, 401),
        Err(SettlementError::MoreThanAvailable { .. })
    ));
    assert_eq!(one(&invoice, 400), Ok(()));
}

#[test]
fn credit_notes_set_off_invoices_only() {
    assert_eq!(
        allocatable(DocumentType::CustomerCreditNote),
        &[DocumentType::CustomerInvoice]
    );
    assert!(allocatable(DocumentType::CustomerInvoice).is_empty());
    assert!(allocatable(DocumentType::SupplierRefund).contains(&DocumentType::SupplierPayment));
    assert!(counts_against(
        DocumentType::CustomerCreditNote,
        DocumentType::CustomerInvoice
    ));
    assert!(!counts_against(
        DocumentType::SupplierPayment,
        DocumentType::SupplierCreditNote
    ));
}

#[test]
fn merge_adds_and_remove_takes_out() {
    let payment = doc(1, DocumentType::CustomerPayment, "C");
    let invoice = doc(2, DocumentType::CustomerInvoice, "C");
    let mut current = vec![Allocation {
        document: 2,
        amount: eur(100),
    }];
    merge(
        &mut current,
        &[
            Allocation {
                document: 2,
                amount: eur(50),
            },
            Allocation {
                document: 7,
                amount: eur(10),
            },
        ],
    )
    .unwrap();
    assert_eq!(current[0].amount, eur(150));
    assert_eq!(current.len(), 2);
    assert_eq!(remove(&payment, &mut current, &invoice), Ok(eur(150)));
    assert!(matches!(
        remove(&payment, &mut current, &invoice),
        Err(SettlementError::NotAllocated { .. })
    ));
}

#[test]
fn due_dates_are_fixed_from_terms_and_overdue_after_them() {
    let due = due_date(DocumentType::CustomerInvoice, date("2026-01-31"), 30);
    assert_eq!(due, Some(date("2026-03-02")));
    assert_eq!(
        due_date(DocumentType::CustomerPayment, date("2026-01-31"), 30),
        None
    );
    let invoice = doc(2, DocumentType::CustomerInvoice, "C");
    let open = settle(&invoice, eur(100), eur(40), &[]).unwrap();
    assert!(is_overdue(&open, due, date("2026-03-03")));
    assert!(!is_overdue(&open, due, date("2026-03-02")));
    let paid = settle(&invoice, eur(100), eur(100), &[]).unwrap();
    assert!(!is_overdue(&paid, due, date("2026-12-31")));
}

#[test]
fn signed_remaining_sums_to_the_party_balance() {
    let a = Amount::from_cents;
    // An invoice of 120 due, an advance of 50 not allocated, a credit note of 20 unused.
    let balance = [
        (DocumentType::CustomerInvoice, a(12_000)),
        (DocumentType::CustomerPayment, a(5_000)),
        (DocumentType::CustomerCreditNote, a(2_000)),
        (DocumentType::CustomerRefund, a(0)),
    ]
    .iter()
    .map(|(t, r)| signed_remaining(*t, *r))
    .sum::<Amount>();
    assert_eq!(balance, a(5_000));
    // Suppliers: an invoice of 300 due is a credit; an overpayment of 10 is a debit.
    assert_eq!(
        signed_remaining(DocumentType::SupplierInvoice, a(30_000))
            + signed_remaining(DocumentType::SupplierPayment, a(1_000)),
        a(-29_000)
    );
}
