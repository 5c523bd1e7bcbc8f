//! Hand-computed postings: each test asserts every line's account, side and amount.

use std::str::FromStr;

use chrono::NaiveDate;
use proptest::prelude::{any, prop, prop_assert, prop_assert_eq, proptest};
use proptest::strategy::Strategy as _;
use rust_decimal::Decimal;

use super::*;
use crate::model::document::{Allocation, DocumentLine, DocumentStatus};
use crate::model::settings::{
    EntryLanding, Family, General, Item, ItemKind, PaymentMethod, TaxStrategy,
};
use crate::model::tax::{RateVersion, TaxKind, TaxMapping, TaxPosition};
use crate::model::{PartyKind, entry::check_lines};

fn acc(n: &str) -> AccountNumber {
    AccountNumber::parse(n).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

fn tax(code: &str, kind: TaxKind, rate: &str, account: &str) -> TaxCode {
    TaxCode {
        code: code.into(),
        label: code.into(),
        kind,
        exigibility: Exigibility::OnInvoice,
        rates: vec![RateVersion {
            from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            rate: dec(rate),
        }],
        account: acc(account),
        pending_account: None,
        reverse_charge_account: None,
        base_box: None,
        tax_box: None,
    }
}

fn generation(doc: DocumentType, journal: &str, default: Option<&str>) -> Generation {
    Generation {
        document: doc,
        journal: journal.into(),
        party_account: PartyAccountSource::Party,
        direction: if doc.is_credit_note() {
            Direction::Reversed
        } else {
            Direction::Normal
        },
        default_account: default.map(acc),
        fallback_account: None,
        default_goods_account: None,
        default_services_account: None,
    }
}

fn item(code: &str, family: Option<&str>, sale: Option<&str>, purchase: Option<&str>) -> Item {
    Item {
        code: code.into(),
        label: code.into(),
        kind: ItemKind::Product,
        family: family.map(Into::into),
        unit: None,
        sale_tax: sale.map(Into::into),
        purchase_tax: purchase.map(Into::into),
    }
}

fn strategy(
    name: &str,
    item: Option<&str>,
    family: Option<&str>,
    context: Context,
    rate: Option<&str>,
    account: &str,
) -> crate::model::settings::Strategy {
    crate::model::settings::Strategy {
        name: name.into(),
        item: item.map(Into::into),
        family: family.map(Into::into),
        context,
        rate: rate.map(dec),
        account: acc(account),
    }
}

fn settings() -> Settings {
    let mut on_payment = tax("V20E", TaxKind::Collected, "20", "445710");
    on_payment.exigibility = Exigibility::OnPayment;
    on_payment.pending_account = Some(acc("445740"));
    let mut reverse = tax("DIC20", TaxKind::Deductible, "20", "445662");
    reverse.reverse_charge_account = Some(acc("445200"));
    let mut changing = tax("V10", TaxKind::Collected, "10", "445710");
    changing.rates.push(RateVersion {
        from: d(7, 1),
        rate: dec("12"),
    });
    Settings {
        general: General {
            generated_entries: EntryLanding::Draft,
            suspense_account: acc("471000"),
        },
        units: vec![],
        families: ["POSTAGE", "RAW", "OVERSEAS", "GOODS"]
            .iter()
            .map(|c| Family {
                code: (*c).into(),
                label: (*c).into(),
            })
            .collect(),
        items: vec![
            item("STAMP", Some("POSTAGE"), None, Some("D20")),
            item("STEEL", Some("RAW"), None, Some("D20")),
            item("SHIP", Some("OVERSEAS"), None, None),
            item("LAMP", Some("GOODS"), Some("V20"), Some("D20")),
            item("SPECIAL", Some("GOODS"), Some("V20"), Some("D20")),
            item("INSTALL", None, Some("V20E"), None),
            item("NOSTRAT", None, None, Some("D20")),
            item("ECO", None, Some("V10"), None),
        ],
        taxes: vec![
            tax("V20", TaxKind::Collected, "20", "445710"),
            changing,
            on_payment,
            tax("D20", TaxKind::Deductible, "20", "445660"),
            tax("D85", TaxKind::Deductible, "8.5", "445660"),
            reverse,
        ],
        tax_positions: vec![
            TaxPosition {
                code: "EU_CUSTOMER".into(),
                label: "EU".into(),
                taxes: vec![TaxMapping {
                    from: "V20".into(),
                    to: None,
                }],
                accounts: vec![],
                exempt_base_box: Some("F2".into()),
                mention: "Exonération".into(),
            },
            TaxPosition {
                code: "EU_SUPPLIER".into(),
                label: "EU".into(),
                taxes: vec![TaxMapping {
                    from: "D20".into(),
                    to: Some("DIC20".into()),
                }],
                accounts: vec![],
                exempt_base_box: None,
                mention: "Autoliquidation".into(),
            },
        ],
        strategies: vec![
            strategy(
                "Postage",
                None,
                Some("POSTAGE"),
                Context::Purchase,
                None,
                "626100",
            ),
            strategy(
                "Raw 0",
                None,
                Some("RAW"),
                Context::Purchase,
                Some("0"),
                "601100",
            ),
            strategy(
                "Raw 20",
                None,
                Some("RAW"),
                Context::Purchase,
                Some("20"),
                "601200",
            ),
            strategy(
                "Overseas",
                None,
                Some("OVERSEAS"),
                Context::Purchase,
                None,
                "607100",
            ),
            strategy(
                "Goods sale",
                None,
                Some("GOODS"),
                Context::Sale,
                None,
                "707000",
            ),
            strategy(
                "Goods purchase",
                None,
                Some("GOODS"),
                Context::Purchase,
                None,
                "607000",
            ),
            strategy(
                "Special item",
                Some("SPECIAL"),
                None,
                Context::Purchase,
                None,
                "606800",
            ),
        ],
        tax_strategies: vec![],
        documents: vec![
            generation(DocumentType::CustomerInvoice, "VE", Some("706000")),
            generation(DocumentType::CustomerCreditNote, "VE", Some("706000")),
            generation(DocumentType::SupplierInvoice, "AC", None),
            generation(DocumentType::SupplierCreditNote, "AC", None),
            generation(DocumentType::CustomerPayment, "BQ", None),
            generation(DocumentType::SupplierPayment, "BQ", None),
            generation(DocumentType::CustomerRefund, "BQ", None),
            generation(DocumentType::SupplierRefund, "BQ", None),
        ],
        payment_methods: vec![PaymentMethod {
            code: "transfer".into(),
            label: "Virement".into(),
            account: acc("512000"),
            journal: "BQ".into(),
        }],
        lettering: Default::default(),
        reconciliation: Default::default(),
        vat: Default::default(),
    }
}

fn customer() -> Party {
    Party::new(
        "CUST".into(),
        "Client".into(),
        PartyKind::Customer,
        acc("411000"),
    )
}

fn supplier() -> Party {
    Party::new(
        "SUPP".into(),
        "Fournisseur".into(),
        PartyKind::Supplier,
        acc("401000"),
    )
}

fn line(item: Option<&str>, qty: &str, price: &str, tax: Option<&str>) -> DocumentLine {
    DocumentLine {
        item: item.map(Into::into),
        label: "l".into(),
        quantity: dec(qty),
        unit_price: dec(price),
        discount: Decimal::ZERO,
        tax_code: tax.map(Into::into),
    }
}

fn doc(doc_type: DocumentType, date: NaiveDate, lines: Vec<DocumentLine>) -> Document {
    Document {
        id: 1,
        doc_type,
        number: Some("X1".into()),
        party: "P".into(),
        date,
        reference: "R".into(),
        body: DocumentBody::Lines(lines),
        status: DocumentStatus::Validated,
        entry: None,
        due_date: None,
    }
}

/// (account, debit cents, credit cents) of every line, in order.
fn shape(posting: &Posting) -> Vec<(String, i64, i64)> {
    posting
        .lines
        .iter()
        .map(|l| {
            (
                l.line.account.to_string(),
                l.line.debit.cents(),
                l.line.credit.cents(),
            )
        })
        .collect()
}

fn s(a: &str, debit: i64, credit: i64) -> (String, i64, i64) {
    (a.to_string(), debit, credit)
}

fn settings_with_untaxed_stamp() -> Settings {
    let mut settings = settings();
    settings
        .items
        .push(item("STAMP0", Some("POSTAGE"), None, None));
    settings.items.push(item("STEEL0", Some("RAW"), None, None));
    settings
}

#[test]
fn postage_family_any_rate_same_account_at_0_and_20() {
    let settings = settings_with_untaxed_stamp();
    let invoice = doc(
        DocumentType::SupplierInvoice,
        d(3, 1),
        vec![
            line(Some("STAMP"), "1", "100", None),
            line(Some("STAMP0"), "1", "50", None),
        ],
    );
    let p = post_invoice(&invoice, &supplier(), &settings).unwrap();
    assert_eq!(
        shape(&p),
        vec![
            s("401000", 0, 17000),
            s("626100", 15000, 0),
            s("445660", 2000, 0)
        ]
    );
    assert_eq!(p.lines[1].rule, Rule::FamilyStrategy("Postage".into()));
}

#[test]
fn raw_materials_two_strategies_by_rate() {
    let settings = settings_with_untaxed_stamp();
    let invoice = doc(
        DocumentType::SupplierInvoice,
        d(3, 1),
        vec![
            line(Some("STEEL"), "2", "50", None),
            line(Some("STEEL0"), "1", "30", None),
        ],
    );
    let p = post_invoice(&invoice, &supplier(), &settings).unwrap();
    // Accounts sort by number: 601100 (0 %) then 601200 (20 %).
    assert_eq!(
        shape(&p),
        vec![
            s("401000", 0, 15000),
            s("601100", 3000, 0),
            s("601200", 10000, 0),
            s("445660", 2000, 0)
        ]
    );
    assert_eq!(p.lines[1].rule, Rule::FamilyStrategy("Raw 0".into()));
    assert_eq!(p.lines[2].rule, Rule::FamilyStrategy("Raw 20".into()));
}

#[test]
fn overseas_tax_strategies_by_rate() {
    let mut settings = settings();
    settings.tax_strategies = vec![
        TaxStrategy {
            name: "Overseas 20".into(),
            context: Context::Purchase,
            rate: dec("20"),
            account: acc("4456601"),
            item_strategy: None,
        },
        TaxStrategy {
            name: "Overseas 8.5".into(),
            context: Context::Purchase,
            rate: dec("8.5"),
            account: acc("4456602"),
            item_strategy: None,
        },
    ];
    let invoice = doc(
        DocumentType::SupplierInvoice,
        d(3, 1),
        vec![
            line(Some("SHIP"), "1", "100", Some("D20")),
            line(Some("SHIP"), "1", "200", Some("D85")),
        ],
    );
    let p = post_invoice(&invoice, &supplier(), &settings).unwrap();
    // VAT 20.00 to 4456601 and 17.00 to 4456602; total 337.00.
    assert_eq!(
        shape(&p),
        vec![
            s("401000", 0, 33700),
            s("607100", 30000, 0),
            s("4456601", 2000, 0),
            s("4456602", 1700, 0)
        ]
    );
    assert_eq!(p.lines[2].rule, Rule::TaxStrategy("Overseas 20".into()));
}

#[test]
fn tax_strategy_linked_to_item_strategy_wins_for_that_item() {
    let mut settings = settings();
    settings.tax_strategies.push(TaxStrategy {
        name: "Special VAT".into(),
        context: Context::Purchase,
        rate: dec("20"),
        account: acc("445620"),
        item_strategy: Some("Special item".into()),
    });
    let invoice = doc(
        DocumentType::SupplierInvoice,
        d(3, 1),
        vec![
            line(Some("SPECIAL"), "1", "100", None),
            line(Some("LAMP"), "1", "100", None),
        ],
    );
    let p = post_invoice(&invoice, &supplier(), &settings).unwrap();
    // The special item's VAT goes to 445620; the lamp's to the tax code's own 445660.
    assert_eq!(
        shape(&p),
        vec![
            s("401000", 0, 24000),
            s("606800", 10000, 0),
            s("607000", 10000, 0),
            s("445660", 2000, 0),
            s("445620", 2000, 0),
        ]
    );
    assert_eq!(p.lines[1].rule, Rule::ItemStrategy("Special item".into()));
    assert_eq!(p.lines[4].rule, Rule::TaxStrategy("Special VAT".into()));
}

#[test]
fn item_strategy_wins_over_family() {
    let settings = settings();
    let invoice = doc(
        DocumentType::SupplierInvoice,
        d(3, 1),
        vec![line(Some("SPECIAL"), "1", "10", None)],
    );
    let p = post_invoice(&invoice, &supplier(), &settings).unwrap();
    assert_eq!(p.lines[1].line.account.as_str(), "606800");
    assert_eq!(p.lines[1].rule, Rule::ItemStrategy("Special item".into()));
}

#[test]
fn no_strategy_and_no_fallback_goes_to_suspense() {
    let settings = settings();
    let invoice = doc(
        DocumentType::SupplierInvoice,
        d(3, 1),
        vec![line(Some("NOSTRAT"), "1", "10", None)],
    );
    let p = post_invoice(&invoice, &supplier(), &settings).unwrap();
    assert_eq!(
        shape(&p),
        vec![
            s("401000", 0, 1200),
            s("471000", 1000, 0),
            s("445660", 200, 0)
        ]
    );
    assert_eq!(p.lines[1].rule, Rule::Suspense);
    assert!(p.lines[1].rule.to_string().contains("suspense"));
}

#[test]
fn intra_eu_sale_is_exempt() {
    let settings = settings();
    let mut party = customer();
    party.tax_position = Some("EU_CUSTOMER".into());
    let invoice = doc(
        DocumentType::CustomerInvoice,
        d(3, 1),
        vec![line(Some("LAMP"), "3", "100", None)],
    );
    let p = post_invoice(&invoice, &party, &settings).unwrap();
    assert_eq!(
        shape(&p),
        vec![s("411000", 30000, 0), s("707000", 0, 30000)]
    );
    assert!(p.taxes.is_empty());
}

#[test]
fn intra_eu_purchase_reverse_charge_has_two_cancelling_vat_lines() {
    let settings = settings();
    let mut party = supplier();
    party.tax_position = Some("EU_SUPPLIER".into());
    let invoice = doc(
        DocumentType::SupplierInvoice,
        d(3, 1),
        vec![line(Some("LAMP"), "1", "1000", None)],
    );
    let p = post_invoice(&invoice, &party, &settings).unwrap();
    assert_eq!(
        shape(&p)[..2],
        [s("401000", 0, 100000), s("607000", 100000, 0)]
    );
    let vat: Vec<_> = shape(&p)[2..].to_vec();
    assert_eq!(vat.len(), 2);
    assert_eq!(vat, vec![s("445662", 20000, 0), s("445200", 0, 20000)]);
    assert_eq!(p.total, Amount::from_cents(100000));
}

#[test]
fn credit_notes_mirror_invoices() {
    let settings = settings();
    let lines = vec![line(Some("LAMP"), "2", "100", None)];
    let invoice = post_invoice(
        &doc(DocumentType::CustomerInvoice, d(3, 1), lines.clone()),
        &customer(),
        &settings,
    )
    .unwrap();
    let credit = post_invoice(
        &doc(DocumentType::CustomerCreditNote, d(3, 2), lines),
        &customer(),
        &settings,
    )
    .unwrap();
    assert_eq!(
        shape(&invoice),
        vec![
            s("411000", 24000, 0),
            s("707000", 0, 20000),
            s("445710", 0, 4000)
        ]
    );
    for (a, b) in invoice.lines.iter().zip(&credit.lines) {
        assert_eq!(a.line.account, b.line.account);
        assert_eq!(a.line.signed(), -b.line.signed());
    }
    let supplier_credit = post_invoice(
        &doc(
            DocumentType::SupplierCreditNote,
            d(3, 2),
            vec![line(Some("LAMP"), "1", "50", None)],
        ),
        &supplier(),
        &settings,
    )
    .unwrap();
    assert_eq!(
        shape(&supplier_credit),
        vec![
            s("401000", 6000, 0),
            s("607000", 0, 5000),
            s("445660", 0, 1000)
        ]
    );
}

fn payment(doc_type: DocumentType, amount: i64, allocations: Vec<Allocation>) -> Document {
    Document {
        id: 9,
        doc_type,
        number: Some("RC1".into()),
        party: "CUST".into(),
        date: d(4, 1),
        reference: String::new(),
        body: DocumentBody::Payment {
            amount: Amount::from_cents(amount),
            method: "transfer".into(),
            allocations,
        },
        status: DocumentStatus::Validated,
        entry: None,
        due_date: None,
    }
}

#[test]
fn payments_and_refunds() {
    let settings = settings();
    let p = post_payment(
        &payment(DocumentType::CustomerPayment, 12000, vec![]),
        &customer(),
        &settings,
        &[],
    )
    .unwrap();
    assert_eq!(
        shape(&p),
        vec![s("512000", 12000, 0), s("411000", 0, 12000)]
    );
    assert_eq!(p.journal, "BQ");
    let p = post_payment(
        &payment(DocumentType::SupplierPayment, 5000, vec![]),
        &supplier(),
        &settings,
        &[],
    )
    .unwrap();
    assert_eq!(shape(&p), vec![s("512000", 0, 5000), s("401000", 5000, 0)]);
    let p = post_payment(
        &payment(DocumentType::CustomerRefund, 700, vec![]),
        &customer(),
        &settings,
        &[],
    )
    .unwrap();
    assert_eq!(shape(&p), vec![s("512000", 0, 700), s("411000", 700, 0)]);
    let p = post_payment(
        &payment(DocumentType::SupplierRefund, 300, vec![]),
        &supplier(),
        &settings,
        &[],
    )
    .unwrap();
    assert_eq!(shape(&p), vec![s("512000", 300, 0), s("401000", 0, 300)]);
}

#[test]
fn vat_on_payment_moves_in_proportion_to_each_partial_payment() {
    let settings = settings();
    // Installation 1000.00 + VAT on payment 200.00 = 1200.00, paid 300 then 500 then 400.
    let invoice_doc = doc(
        DocumentType::CustomerInvoice,
        d(3, 1),
        vec![line(Some("INSTALL"), "1", "1000", None)],
    );
    let invoice = post_invoice(&invoice_doc, &customer(), &settings).unwrap();
    assert_eq!(
        shape(&invoice),
        vec![
            s("411000", 120000, 0),
            s("706000", 0, 100000),
            s("445740", 0, 20000)
        ]
    );
    let mut before = Amount::ZERO;
    let mut moved_total = 0;
    for (amount, expected) in [(30000, 5000), (50000, 8333), (40000, 6667)] {
        let target = AllocatedDocument {
            document: &invoice_doc,
            total: invoice.total,
            taxes: &invoice.taxes,
            allocated_before: before,
            amount: Amount::from_cents(amount),
        };
        let pay = payment(DocumentType::CustomerPayment, amount, vec![]);
        let p = post_payment(&pay, &customer(), &settings, &[target]).unwrap();
        assert_eq!(
            shape(&p),
            vec![
                s("512000", amount, 0),
                s("411000", 0, amount),
                s("445740", expected, 0),
                s("445710", 0, expected)
            ]
        );
        moved_total += expected;
        before += Amount::from_cents(amount);
    }
    assert_eq!(
        moved_total, 20000,
        "a fully paid invoice moves all its pending VAT"
    );
}

#[test]
fn one_payment_for_three_invoices_moves_each_share() {
    let settings = settings();
    let docs: Vec<Document> = (0..3)
        .map(|i| {
            doc(
                DocumentType::CustomerInvoice,
                d(3, 1 + i),
                vec![line(Some("INSTALL"), "1", "100", None)],
            )
        })
        .collect();
    let posted: Vec<Posting> = docs
        .iter()
        .map(|x| post_invoice(x, &customer(), &settings).unwrap())
        .collect();
    let targets: Vec<AllocatedDocument> = docs
        .iter()
        .zip(&posted)
        .map(|(x, p)| AllocatedDocument {
            document: x,
            total: p.total,
            taxes: &p.taxes,
            allocated_before: Amount::ZERO,
            amount: Amount::from_cents(12000),
        })
        .collect();
    let p = post_payment(
        &payment(DocumentType::CustomerPayment, 36000, vec![]),
        &customer(),
        &settings,
        &targets,
    )
    .unwrap();
    assert_eq!(p.lines.len(), 2 + 3 * 2);
    let moved: i64 = p
        .lines
        .iter()
        .filter(|l| l.line.account.as_str() == "445710")
        .map(|l| l.line.credit.cents())
        .sum();
    assert_eq!(moved, 6000);
}

#[test]
fn rate_change_on_1_july() {
    let settings = settings();
    let june = post_invoice(
        &doc(
            DocumentType::CustomerInvoice,
            d(6, 30),
            vec![line(Some("ECO"), "1", "100", None)],
        ),
        &customer(),
        &settings,
    )
    .unwrap();
    let july = post_invoice(
        &doc(
            DocumentType::CustomerInvoice,
            d(7, 1),
            vec![line(Some("ECO"), "1", "100", None)],
        ),
        &customer(),
        &settings,
    )
    .unwrap();
    assert_eq!(
        shape(&june),
        vec![
            s("411000", 11000, 0),
            s("706000", 0, 10000),
            s("445710", 0, 1000)
        ]
    );
    assert_eq!(
        shape(&july),
        vec![
            s("411000", 11200, 0),
            s("706000", 0, 10000),
            s("445710", 0, 1200)
        ]
    );
}

#[test]
fn errors_name_what_is_missing() {
    let settings = settings();
    let bad_item = doc(
        DocumentType::CustomerInvoice,
        d(3, 1),
        vec![line(Some("NOPE"), "1", "1", None)],
    );
    assert_eq!(
        post_invoice(&bad_item, &customer(), &settings),
        Err(PostingError::UnknownItem("NOPE".into()))
    );
    let bad_tax = doc(
        DocumentType::CustomerInvoice,
        d(3, 1),
        vec![line(None, "1", "1", Some("V99"))],
    );
    assert_eq!(
        post_invoice(&bad_tax, &customer(), &settings),
        Err(PostingError::UnknownTax("V99".into()))
    );
    let early = doc(
        DocumentType::CustomerInvoice,
        NaiveDate::from_ymd_opt(1999, 1, 1).unwrap(),
        vec![line(None, "1", "1", Some("V20"))],
    );
    assert!(matches!(
        post_invoice(&early, &customer(), &settings),
        Err(PostingError::NoRate { .. })
    ));
    let wrong_kind = doc(
        DocumentType::CustomerInvoice,
        d(3, 1),
        vec![line(None, "1", "1", Some("D20"))],
    );
    assert!(matches!(
        post_invoice(&wrong_kind, &customer(), &settings),
        Err(PostingError::WrongTaxKind { .. })
    ));
    let mut pay = payment(DocumentType::CustomerPayment, 100, vec![]);
    pay.body = DocumentBody::Payment {
        amount: Amount::from_cents(100),
        method: "bitcoin".into(),
        allocations: vec![],
    };
    assert_eq!(
        post_payment(&pay, &customer(), &settings, &[]),
        Err(PostingError::UnknownMethod("bitcoin".into()))
    );
}

fn any_line() -> impl proptest::strategy::Strategy<Value = DocumentLine> {
    (
        prop::sample::select(vec![
            "LAMP", "INSTALL", "STEEL", "STAMP", "SHIP", "ECO", "NOSTRAT",
        ]),
        1i64..5000,
        0i64..100_000,
        0i64..50,
    )
        .prop_map(|(item, qty, price, discount)| DocumentLine {
            item: Some(item.into()),
            label: item.into(),
            quantity: Decimal::new(qty, 2),
            unit_price: Decimal::new(price, 2),
            discount: Decimal::from(discount),
            tax_code: None,
        })
}

proptest! {
    #[test]
    fn every_accepted_document_balances_and_its_party_line_is_the_total(
        lines in prop::collection::vec(any_line(), 1..8),
        kind in prop::sample::select(vec![
            DocumentType::CustomerInvoice, DocumentType::CustomerCreditNote,
            DocumentType::SupplierInvoice, DocumentType::SupplierCreditNote,
        ]),
        eu in any::<bool>(),
        month in 1u32..=12,
    ) {
        let settings = settings();
        let mut party = if kind.context() == Context::Sale { customer() } else { supplier() };
        if eu {
            party.tax_position = Some(if kind.context() == Context::Sale { "EU_CUSTOMER" } else { "EU_SUPPLIER" }.into());
        }
        let document = doc(kind, d(month, 15), lines);
        if let Ok(p) = post_invoice(&document, &party, &settings) {
            let entry_lines = p.lines();
            prop_assert!(check_lines(&entry_lines).is_ok(), "{:?}", check_lines(&entry_lines));
            let party_line = &entry_lines[0];
            prop_assert_eq!(party_line.third_party.as_deref(), Some(party.code.as_str()));
            prop_assert_eq!(party_line.signed().abs(), p.total);
            let nets: Amount = document.lines().iter().map(|l| l.net()).sum();
            let non_reverse_tax: Amount = p.taxes.iter().filter(|t| !t.reverse_charge).map(|t| t.tax).sum();
            prop_assert_eq!(p.total, nets + non_reverse_tax);
        }
    }
}
