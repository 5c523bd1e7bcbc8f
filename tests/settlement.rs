//! Settlement through the real `folio` binary: allocations added and removed, credit notes
//! set off against invoices, overpayments refunded, due dates fixed at validation, and what
//! is due on documents agreeing with the third parties' accounts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::*;

/// The first word after PREFIX in OUT (`recorded FA2026-00001 (customer_invoice)`).
fn word_after(out: &str, prefix: &str) -> String {
    out.trim()
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("expected `{prefix}…`, got: {out}"))
        .to_string()
}

fn add_doc(folio: &Folio, args: &str) -> String {
    let out = folio.ok(&w(&format!("doc add --validate {args}")));
    word_after(&out, "recorded ")
}

fn add_pay(folio: &Folio, args: &str) -> String {
    let out = folio.ok(&w(&format!("pay add {args}")));
    word_after(&out, "registered ")
}

/// `doc list` and `pay list` rows by number: `total allocated remaining status`.
fn due(folio: &Folio) -> BTreeMap<String, String> {
    let mut rows = csv_records(&folio.ok(&w("doc list --format csv")));
    rows.extend(csv_records(&folio.ok(&w("pay list --format csv"))));
    rows.into_iter()
        .map(|r| {
            (
                r["number"].clone(),
                format!(
                    "{} {} {} {}",
                    r["total"], r["allocated"], r["remaining"], r["status"]
                ),
            )
        })
        .collect()
}

#[track_caller]
fn assert_due(folio: &Folio, document: &str, expected: &str) {
    let all = due(folio);
    assert_eq!(
        all.get(document).map(String::as_str),
        Some(expected),
        "{document} in {all:?}"
    );
}

/// A refused command writes nothing: same ledger snapshot and same documents.
fn refused<S: AsRef<str>>(folio: &Folio, args: &[S], expected: &[&str]) -> String {
    let before = (folio.snapshot(), due(folio));
    let message = folio.refuses(args, expected);
    let after = (folio.snapshot(), due(folio));
    before
        .0
        .assert_same(&after.0, "a refused settlement command");
    assert_eq!(before.1, after.1, "a refused command changed documents");
    message
}

#[track_caller]
fn assert_check_ok(folio: &Folio) {
    let out = folio.ok(&["check"]);
    assert!(out.contains(" 0 findings"), "folio check:\n{out}");
}

/// Third-party balances (`parties --format csv`), in cents.
fn party_balances(folio: &Folio) -> BTreeMap<String, (String, i64)> {
    csv_records(&folio.ok(&w("parties --format csv")))
        .into_iter()
        .map(|r| (r["code"].clone(), (r["kind"].clone(), cents(&r["balance"]))))
        .collect()
}

/// What the documents of each party say it owes (positive) or is owed, in cents: invoices
/// and refunds still due or unallocated count one way, credit notes and payments the other;
/// for suppliers, every sign is mirrored (the company owes them).
fn due_by_party(folio: &Folio) -> BTreeMap<String, i64> {
    let mut rows = csv_records(&folio.ok(&w("doc list --format csv")));
    rows.extend(csv_records(&folio.ok(&w("pay list --format csv"))));
    let mut out = BTreeMap::new();
    for r in rows {
        if r["status"] == "draft" {
            continue;
        }
        let remaining = cents(&r["remaining"]);
        let signed = match r["type"].as_str() {
            "customer_invoice" | "customer_refund" => remaining,
            "customer_credit_note" | "customer_payment" => -remaining,
            "supplier_invoice" | "supplier_refund" => -remaining,
            "supplier_credit_note" | "supplier_payment" => remaining,
            other => panic!("unknown type {other}"),
        };
        *out.entry(r["party"].clone()).or_insert(0) += signed;
    }
    out
}

// ----- allocations --------------------------------------------------------------------------

/// Was missing: an allocation could be reduced but not removed.
#[test]
fn pay_unallocate_removes_an_allocation_and_reposts_the_vat_it_moved() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20E'",
    );
    let other = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-03 --line ';Conseil;1;100;;V20'",
    );
    let payment = add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-10 --amount 1200 \
             --method transfer --allocate {invoice}=500"
        ),
    );
    // `pay allocate` adds to an existing allocation, and refuses to go over what is due.
    folio.ok(&w(&format!("pay allocate {payment} {invoice}=300")));
    assert_due(&folio, &invoice, "1200.00 800.00 400.00 partially paid");
    refused(
        &folio,
        &w(&format!("pay allocate {payment} {invoice}=400.01")),
        &["1200.01 allocated to FA2026-00001 is more than the 1200.00 due on it"],
    );
    refused(
        &folio,
        &w(&format!("pay allocate {payment} {other}=120 {invoice}=400")),
        &["allocations of 1320.00 exceed the payment of 1200.00"],
    );
    // 200 × 800 / 1,200 = 133.33 moved, plus the 20.00 of the other invoice.
    let balances = folio.balances("--year 2026");
    assert_eq!(balances["445710"], "-153.33");

    let out = folio.ok(&w(&format!("pay unallocate {payment} {invoice}")));
    assert_eq!(
        out.trim(),
        format!("unallocated {invoice} from {payment}: 0 allocations left")
    );
    assert_due(&folio, &invoice, "1200.00 0.00 1200.00 unpaid");
    assert_due(&folio, &payment, "1200.00 0.00 1200.00 registered");
    // The payment's entry no longer moves any VAT.
    let balances = folio.balances("--year 2026");
    assert_eq!(balances["445740"], "-200.00");
    assert_eq!(balances["445710"], "-20.00");
    assert_check_ok(&folio);
    let log = folio.ok(&w("log all"));
    assert!(log.contains("payment.unallocate"), "{log}");

    refused(
        &folio,
        &w(&format!("pay unallocate {payment} {invoice}")),
        &["RC2026-00001 is not allocated to FA2026-00001"],
    );
    refused(
        &folio,
        &w(&format!("pay unallocate {invoice} {payment}")),
        &["FA2026-00001 is a customer_invoice, not a payment or refund"],
    );
}

/// Was missing: a credit note could not be set off against an invoice.
#[test]
fn a_credit_note_is_set_off_against_invoices_of_its_party() {
    let folio = Folio::blank();
    folio.ok(&w("parties add CBIS Bis --kind customer"));
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Lampes;1;1000;;V20'",
    );
    let second = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-03 --line ';Lampes;1;50;;V20'",
    );
    let foreign = add_doc(
        &folio,
        "--type customer_invoice --party CBIS --date 2026-03-03 --line ';Lampes;1;50;;V20'",
    );
    let credit = add_doc(
        &folio,
        "--type customer_credit_note --party CACME --date 2026-03-05 --line ';Remise;1;100;;V20'",
    );
    let balances_before = folio.balances("--year 2026");
    let out = folio.ok(&w(&format!("doc allocate {credit} {invoice}=100")));
    assert_eq!(out.trim(), format!("set off {credit}: 20,00 left"));
    folio.ok(&w(&format!("doc allocate {credit} {second}=20")));
    assert_due(&folio, &invoice, "1200.00 100.00 1100.00 partially paid");
    assert_due(&folio, &second, "60.00 20.00 40.00 partially paid");
    assert_due(&folio, &credit, "120.00 120.00 0.00 paid");
    // No entry: the credit note's own entry already credited the customer.
    assert_eq!(folio.balances("--year 2026"), balances_before);
    let balances = party_balances(&folio);
    assert_eq!(balances["CACME"].1, 110_000 + 4_000);
    assert_eq!(due_by_party(&folio)["CACME"], balances["CACME"].1);
    assert_check_ok(&folio);

    // A set-off is taken back the same way as a payment's allocation.
    let out = folio.ok(&w(&format!("pay unallocate {credit} {second}")));
    assert_eq!(
        out.trim(),
        format!("unallocated {second} from {credit}: 20,00 left")
    );
    assert_due(&folio, &second, "60.00 0.00 60.00 unpaid");
    assert_due(&folio, &credit, "120.00 100.00 20.00 partially paid");
    assert_eq!(
        due_by_party(&folio)["CACME"],
        party_balances(&folio)["CACME"].1
    );
    refused(
        &folio,
        &w(&format!("pay unallocate {credit} {second}")),
        &["AV2026-00001 is not allocated to FA2026-00002"],
    );
    folio.ok(&w(&format!("doc allocate {credit} {second}=20")));

    let other_credit = add_doc(
        &folio,
        "--type customer_credit_note --party CACME --date 2026-03-06 --line ';Remise;1;10;;V20'",
    );
    refused(
        &folio,
        &w(&format!("doc allocate {other_credit} {foreign}=5")),
        &["belongs to CBIS, not to CACME"],
    );
    refused(
        &folio,
        &w(&format!("doc allocate {other_credit} {invoice}=12.01")),
        &["allocations of 12.01 exceed the credit note of 12.00"],
    );
    refused(
        &folio,
        &w(&format!("doc allocate {other_credit} {second}=41")),
        &["41.00 allocated to FA2026-00002 is more than the 40.00 due on it"],
    );
    refused(
        &folio,
        &w(&format!("doc allocate {invoice} {second}=1")),
        &["FA2026-00001 is a customer_invoice: `folio doc allocate` sets a credit note off"],
    );
    // VAT due on payment becomes due when money moves: a payment net of the credit note
    // settles such documents.
    let on_payment = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-07 --line ';Conseil;1;100;;V20E'",
    );
    refused(
        &folio,
        &w(&format!("doc allocate {other_credit} {on_payment}=12")),
        &[
            "has VAT due on payment",
            "register a payment net of the credit note",
        ],
    );
}

/// Was missing: a refund could only be allocated to credit notes, so an overpayment could
/// not be refunded.
#[test]
fn an_overpayment_is_refunded() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Lampes;1;1000;;V20'",
    );
    let payment = add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-10 --amount 1250 \
             --method transfer --allocate {invoice}=1200"
        ),
    );
    assert_due(&folio, &payment, "1250.00 1200.00 50.00 registered");
    refused(
        &folio,
        &w(&format!(
            "pay add --type customer_refund --party CACME --date 2026-03-12 --amount 60 \
             --method transfer --allocate {payment}=60"
        )),
        &["60.00 allocated to RC2026-00001 is more than the 50.00 due on it"],
    );
    let refund = add_pay(
        &folio,
        &format!(
            "--type customer_refund --party CACME --date 2026-03-12 --amount 50 \
             --method transfer --allocate {payment}=50"
        ),
    );
    assert_due(&folio, &payment, "1250.00 1250.00 0.00 registered");
    assert_due(&folio, &refund, "50.00 50.00 0.00 registered");
    let balances = party_balances(&folio);
    assert_eq!(balances["CACME"].1, 0);
    assert_eq!(due_by_party(&folio)["CACME"], 0);
    // The refund can be taken off the payment again.
    folio.ok(&w(&format!("pay unallocate {refund} {payment}")));
    assert_due(&folio, &payment, "1250.00 1200.00 50.00 registered");
    assert_check_ok(&folio);
}

// ----- amounts due against the books --------------------------------------------------------

/// Was a bug: customer Vernet's 72.00 credit note showed "unpaid" and its invoice "partially
/// paid" while its account was settled. For every party of the demo, what its documents say
/// is due equals its account's balance.
#[test]
fn amounts_due_equal_third_party_balances_in_the_demo() {
    let folio = Folio::demo();
    let balances = party_balances(&folio);
    let due = due_by_party(&folio);
    let mut differences = Vec::new();
    for (code, (_, balance)) in &balances {
        let documents = due.get(code).copied().unwrap_or(0);
        if documents != *balance {
            differences.push(format!("{code}: documents {documents}, account {balance}"));
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");
    assert_due(&folio, "FA2026-00084", "2742.59 2742.59 0.00 paid");
    assert_due(&folio, "AV2026-00002", "72.00 72.00 0.00 paid");
    assert_check_ok(&folio);
}

// ----- due dates ----------------------------------------------------------------------------

/// Was a bug: the due date was computed from the party's current terms, so changing the
/// terms moved the due date of invoices already sent.
#[test]
fn a_due_date_is_fixed_when_the_document_is_validated() {
    let folio = Folio::blank();
    let draft = folio.ok(&w(
        "doc add --type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;100;;V20'",
    ));
    assert_eq!(draft.trim(), "recorded D1 (customer_invoice)");
    let shown = |reference: &str| -> serde_json::Value {
        serde_json::from_str(&folio.ok(&["doc", "show", reference, "--format", "json"])).unwrap()
    };
    assert!(shown("D1")["document"]["document"]["due_date"].is_null());
    folio.ok(&w("parties edit CACME --terms 45"));
    folio.ok(&w("doc validate D1"));
    assert_eq!(
        shown("FA2026-00001")["document"]["document"]["due_date"],
        "2026-04-16"
    );
    folio.ok(&w("parties edit CACME --terms 60"));
    assert_eq!(
        shown("FA2026-00001")["document"]["document"]["due_date"],
        "2026-04-16"
    );
    let text = folio.ok(&w("doc show FA2026-00001"));
    assert!(text.contains("Due date 2026-04-16"), "{text}");
}

// ----- ledgers written before due dates and defaults per kind -------------------------------

mod schema_2 {
    use folio::model::AccountNumber;
    use folio::model::document::{Document, DocumentBody, DocumentStatus, DocumentType};
    use folio::model::settings::{
        Direction, Family, General, Item, PartyAccountSource, PaymentMethod, Settings, Strategy,
        TaxStrategy, Unit,
    };
    use folio::model::tax::{TaxCode, TaxPosition};
    use folio::model::{Amount, EntryId};
    use folio::posting::TaxDetail;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize)]
    pub struct GenerationV2 {
        pub document: DocumentType,
        pub journal: String,
        pub party_account: PartyAccountSource,
        pub direction: Direction,
        pub default_account: Option<AccountNumber>,
        pub fallback_account: Option<AccountNumber>,
    }

    #[derive(Serialize)]
    pub struct SettingsV2 {
        pub general: General,
        pub units: Vec<Unit>,
        pub families: Vec<Family>,
        pub items: Vec<Item>,
        pub taxes: Vec<TaxCode>,
        pub tax_positions: Vec<TaxPosition>,
        pub strategies: Vec<Strategy>,
        pub tax_strategies: Vec<TaxStrategy>,
        pub documents: Vec<GenerationV2>,
        pub payment_methods: Vec<PaymentMethod>,
    }

    #[derive(Serialize)]
    pub struct DocumentV2 {
        pub id: u64,
        pub doc_type: DocumentType,
        pub number: Option<String>,
        pub party: String,
        pub date: chrono::NaiveDate,
        pub reference: String,
        pub body: DocumentBody,
        pub status: DocumentStatus,
        pub entry: Option<EntryId>,
    }

    #[derive(Serialize)]
    pub struct TaxDetailV2 {
        pub code: String,
        pub rate: Decimal,
        pub base: Amount,
        pub tax: Amount,
        pub on_payment: bool,
        pub reverse_charge: bool,
    }

    #[derive(Serialize)]
    pub struct PostedV2 {
        pub total: Amount,
        pub taxes: Vec<TaxDetailV2>,
    }

    #[derive(Deserialize)]
    pub struct Posted {
        pub total: Amount,
        pub taxes: Vec<TaxDetail>,
    }

    pub fn settings(s: Settings) -> SettingsV2 {
        SettingsV2 {
            general: s.general,
            units: s.units,
            families: s.families,
            items: s.items,
            taxes: s.taxes,
            tax_positions: s.tax_positions,
            strategies: s.strategies,
            tax_strategies: s.tax_strategies,
            documents: s
                .documents
                .into_iter()
                .map(|g| GenerationV2 {
                    document: g.document,
                    journal: g.journal,
                    party_account: g.party_account,
                    direction: g.direction,
                    default_account: g.default_account,
                    fallback_account: g.fallback_account,
                })
                .collect(),
            payment_methods: s.payment_methods,
        }
    }

    pub fn document(d: Document) -> DocumentV2 {
        DocumentV2 {
            id: d.id,
            doc_type: d.doc_type,
            number: d.number,
            party: d.party,
            date: d.date,
            reference: d.reference,
            body: d.body,
            status: d.status,
            entry: d.entry,
        }
    }

    pub fn posted(p: Posted) -> PostedV2 {
        PostedV2 {
            total: p.total,
            taxes: p
                .taxes
                .into_iter()
                .map(|t| TaxDetailV2 {
                    code: t.code,
                    rate: t.rate,
                    base: t.base,
                    tax: t.tax,
                    on_payment: t.on_payment,
                    reverse_charge: t.reverse_charge,
                })
                .collect(),
        }
    }
}

fn versioned<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![1u8];
    out.extend(postcard::to_allocvec(value).unwrap());
    out
}

/// A value as the current ledger stores it (format 2: a checksum after the format byte).
fn unversioned<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
    assert_eq!(bytes[0], 2, "value format");
    postcard::from_bytes(payload_of(bytes)).unwrap()
}

/// Rewrites the settings, documents and posted totals of FOLIO's ledger as schema 2 stored
/// them, and marks the ledger schema 2.
fn rewrite_as_schema_2(folio: &Folio) {
    use redb::ReadableTable;
    const DOCUMENTS: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("documents");
    const POSTED: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("posted");
    let db = open_redb(&folio.ledger);
    let txn = db.begin_write().unwrap();
    {
        let mut meta = txn.open_table(META).unwrap();
        let settings: folio::model::settings::Settings =
            unversioned(meta.get("settings").unwrap().unwrap().value());
        meta.insert(
            "settings",
            versioned(&schema_2::settings(settings)).as_slice(),
        )
        .unwrap();
        meta.insert("schema", versioned(&2u32).as_slice()).unwrap();
        let mut documents = txn.open_table(DOCUMENTS).unwrap();
        let all: Vec<(u64, Vec<u8>)> = documents
            .range::<u64>(..)
            .unwrap()
            .map(|i| {
                let (k, v) = i.unwrap();
                (k.value(), v.value().to_vec())
            })
            .collect();
        for (id, bytes) in all {
            let doc: folio::model::document::Document = unversioned(&bytes);
            documents
                .insert(id, versioned(&schema_2::document(doc)).as_slice())
                .unwrap();
        }
        let mut posted = txn.open_table(POSTED).unwrap();
        let all: Vec<(u64, Vec<u8>)> = posted
            .range::<u64>(..)
            .unwrap()
            .map(|i| {
                let (k, v) = i.unwrap();
                (k.value(), v.value().to_vec())
            })
            .collect();
        for (id, bytes) in all {
            let totals: schema_2::Posted = unversioned(&bytes);
            posted
                .insert(id, versioned(&schema_2::posted(totals)).as_slice())
                .unwrap();
        }
    }
    txn.commit().unwrap();
}

/// Documents gained a due date and settings a default account per item kind: a ledger
/// written before opens, its documents get the due date of their party's terms, and nothing
/// posted changes.
#[test]
fn a_ledger_of_schema_2_is_migrated_on_open() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20E'",
    );
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-20 --amount 600 \
             --method transfer --allocate {invoice}=600"
        ),
    );
    let draft = folio.ok(&w(
        "doc add --type customer_invoice --party CACME --date 2026-03-03 --line ';Lampe;1;10;;V20'",
    ));
    assert_eq!(draft.trim(), "recorded D3 (customer_invoice)");
    let before = (due(&folio), folio.balances("--year 2026"));
    rewrite_as_schema_2(&folio);

    let after = (due(&folio), folio.balances("--year 2026"));
    assert_eq!(before, after);
    let log = folio.ok(&w("log all"));
    assert!(
        log.contains("migrated the ledger from schema 2 to "),
        "{log}"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&folio.ok(&["doc", "show", &invoice, "--format", "json"])).unwrap();
    assert_eq!(shown["document"]["document"]["due_date"], "2026-04-01");
    let settings = folio.ok(&w("settings export"));
    assert!(!settings.contains("default_goods_account"), "{settings}");
    assert!(
        settings.contains("default_account = \"706000\""),
        "{settings}"
    );
    assert_check_ok(&folio);
    let out = folio.ok(&["regenerate"]);
    assert!(out.contains("2 documents examined: 2 unchanged"), "{out}");
    folio.ok(&w("doc validate D3"));
}

/// `folio check` compares the VAT due on payment still pending with what the documents
/// leave unpaid: an allocation lost from the file (the payment's entry still moved its
/// share) is reported.
#[test]
fn check_reports_pending_vat_the_documents_do_not_leave() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20E'",
    );
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-20 --amount 600 \
             --method transfer --allocate {invoice}=600"
        ),
    );
    assert_check_ok(&folio);
    {
        const ALLOCATIONS: redb::TableDefinition<(u64, u64), i64> =
            redb::TableDefinition::new("allocations");
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().unwrap();
        txn.open_table(ALLOCATIONS).unwrap().remove((1, 2)).unwrap();
        txn.commit().unwrap();
    }
    let out = folio.run(&["check"]);
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains(
            "FA2026-00001: pending VAT on 445740: its tax times its unpaid share is -200.00, \
             the generated entries leave -100.00"
        ),
        "{text}"
    );
}
