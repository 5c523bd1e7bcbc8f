//! The company profile and SEPA direct debits, through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Folio, w};

#[test]
fn company_show_reads_defaults_and_edit_changes_each_field() {
    let folio = Folio::blank();
    let shown = folio.ok(&w("company show --format json"));
    let json: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(json["name"], "Test SARL");
    assert_eq!(json["vat_periodicity"], "monthly");
    assert_eq!(json["vat_debits"], false);
    assert_eq!(json["sepa_creditor_id"], serde_json::Value::Null);
    assert_eq!(json["sepa_first_collection_frst"], false);

    folio.ok(&w(
        "company edit --name 'Test SAS' --vat-periodicity quarterly --vat-debits true \
         --sepa-creditor-id 'fr72 zzz 123456' --iban 'FR76 3000 6000 0112 3456 7890 189' \
         --bic agrifrpp --sepa-frst true",
    ));
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("company show --format json"))).unwrap();
    assert_eq!(json["name"], "Test SAS");
    assert_eq!(json["vat_periodicity"], "quarterly");
    assert_eq!(json["vat_debits"], true);
    assert_eq!(json["sepa_creditor_id"], "FR72ZZZ123456");
    assert_eq!(json["iban"], "FR7630006000011234567890189");
    assert_eq!(json["bic"], "AGRIFRPP");
    assert_eq!(json["sepa_first_collection_frst"], true);
    let table = folio.ok(&w("company show"));
    assert!(
        table.contains("sepa_creditor_id") && table.contains("FR72ZZZ123456"),
        "{table}"
    );

    // The audit record lists what changed, before and after.
    let log = folio.ok(&w("log company --format csv"));
    assert!(
        log.contains("vat_periodicity: monthly -> quarterly")
            && log.contains("name: Test SARL -> Test SAS")
            && log.contains("bic: (none) -> AGRIFRPP"),
        "{log}"
    );

    // An empty value clears an identifier.
    folio.ok(&w("company edit --bic ''"));
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("company show --format json"))).unwrap();
    assert_eq!(json["bic"], serde_json::Value::Null);
    assert_eq!(json["iban"], "FR7630006000011234567890189");
}

#[test]
fn company_edit_refuses_bad_fields_naming_them() {
    let folio = Folio::blank();
    folio.refuses(
        &w("company edit --sepa-creditor-id FR73ZZZ123456"),
        &["sepa_creditor_id", "check digits"],
    );
    folio.refuses(
        &w("company edit --iban FR7630006000011234567890188"),
        &["iban", "not a valid IBAN"],
    );
    folio.refuses(&w("company edit --bic BNPAFR"), &["bic", "8 or 11"]);
    folio.refuses(
        &w("company edit --vat-periodicity yearly"),
        &["vat-periodicity", "monthly or quarterly"],
    );
    folio.refuses(&w("company edit --name ' '"), &["name"]);
    // One bad field refuses the whole edit.
    folio.refuses(&w("company edit --vat-debits true --bic BAD"), &["bic"]);
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("company show --format json"))).unwrap();
    assert_eq!(json["vat_debits"], false);
}

// ----- direct debits -----------------------------------------------------------------------

use common::csv_records;
use quick_xml::Reader;
use quick_xml::events::Event;

/// An element: its path from the root, its attributes, its text.
type El = (String, Vec<(String, String)>, String);

/// Every element of an XML file, read back with quick-xml.
fn elements(xml: &str) -> Vec<El> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut path: Vec<String> = Vec::new();
    let mut out: Vec<El> = Vec::new();
    let push = |out: &mut Vec<El>, path: &[String], text: &str| {
        if let Some(last) = out.last_mut()
            && last.0 == path.join("/")
        {
            last.2.push_str(text);
        }
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                path.push(e.name().as_ref().to_string());
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let value = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned();
                        (a.key.as_ref().to_string(), value)
                    })
                    .collect();
                out.push((path.join("/"), attrs, String::new()));
            }
            Event::Text(t) => push(&mut out, &path, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let c = match &*r {
                    "apos" => "'",
                    "amp" => "&",
                    other => panic!("entity {other}"),
                };
                push(&mut out, &path, c);
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn texts(els: &[El], suffix: &str) -> Vec<String> {
    els.iter()
        .filter(|e| e.0.ends_with(suffix))
        .map(|e| e.2.trim().to_string())
        .collect()
}

fn cents_of(text: &str) -> i64 {
    common::cents(text)
}

const CREDITOR: &str = "company edit --sepa-creditor-id FR72ZZZ123456 \
                        --iban FR7630006000011234567890189 --bic AGRIFRPP";

/// A blank company whose generated entries are validated, a creditor identity, and
/// customers: CACME (mandate, no BIC), CBETA (mandate and BIC), CNOM (direct debit without
/// mandate), COLD (a mandate signed in 2023 and never used), CVIR (pays by transfer).
fn debit_books() -> Folio {
    let folio = Folio::blank();
    folio.ok(&w("settings export --out s.toml"));
    let settings = std::fs::read_to_string(folio.path("s.toml")).unwrap();
    folio.write(
        "s.toml",
        settings.replace(
            "generated_entries = \"draft\"",
            "generated_entries = \"validated\"",
        ),
    );
    folio.ok(&w("settings load s.toml"));
    folio.ok(&w(
        "parties edit CACME --name 'Acmé & Fils' --payment-method sepa --mandate RUM-ACME-01 \
         --mandate-date 2025-02-01 --iban FR7630004017340001048795371",
    ));
    folio.ok(&w(
        "parties add CBETA 'Bêta Équipement' --kind customer --payment-method sepa \
         --mandate RUM-BETA-01 --mandate-date 2026-01-10 --iban DE89370400440532013000 \
         --bic COBADEFFXXX",
    ));
    folio.ok(&w(
        "parties add CNOM 'Sans Mandat' --kind customer --payment-method sepa",
    ));
    folio.ok(&w(
        "parties add COLD 'Vieux Mandat' --kind customer --payment-method sepa \
         --mandate RUM-OLD --mandate-date 2023-06-01 --iban FR7630004017340001048795371",
    ));
    folio.ok(&w(
        "parties add CVIR 'Par Virement' --kind customer --method transfer",
    ));
    // Terms of 30 days: invoices of October fall due in November.
    for (party, date, price) in [
        ("CACME", "2026-10-05", "100"),
        ("CACME", "2026-10-20", "37.5"),
        ("CACME", "2026-11-25", "80"),
        ("CBETA", "2026-10-10", "250"),
        ("CNOM", "2026-10-10", "10"),
        ("COLD", "2026-10-10", "20"),
        ("CVIR", "2026-10-10", "30"),
    ] {
        folio.ok(&w(&format!(
            "doc add --type customer_invoice --party {party} --date {date} \
             --line 'PORT;Port;1;{price}' --validate"
        )));
    }
    folio
}

fn documents(folio: &Folio) -> Vec<std::collections::BTreeMap<String, String>> {
    csv_records(&folio.ok(&w("doc list --format csv")))
}

fn status_of(folio: &Folio, number: &str) -> (String, String) {
    let docs = documents(folio);
    let doc = docs
        .iter()
        .find(|d| d["number"] == number)
        .unwrap_or_else(|| panic!("no {number}"));
    (doc["status"].clone(), doc["remaining"].clone())
}

#[test]
fn sepa_debit_writes_pain008_and_collects_due_invoices_on_the_transit_account() {
    let folio = debit_books();
    folio.ok(&w(CREDITOR));
    folio.ok(&w("company edit --sepa-frst true"));
    let summary = folio.ok(&w(
        "sepa debit --collection-date 2026-12-10 --out batch.xml",
    ));
    assert!(summary.contains("skipped CNOM: no mandate"), "{summary}");
    assert!(
        summary.contains("skipped COLD: mandate RUM-OLD lapsed"),
        "{summary}"
    );
    assert!(summary.contains("created account 511700"), "{summary}");
    assert!(summary.contains("3 debits, total 465.00"), "{summary}");

    let xml = std::fs::read_to_string(folio.path("batch.xml")).unwrap();
    let els = elements(&xml);
    assert_eq!(els[0].0, "Document");
    assert!(els[0].1.contains(&(
        "xmlns".to_string(),
        "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02".to_string()
    )));
    assert_eq!(texts(&els, "GrpHdr/NbOfTxs"), ["3"]);
    let amounts = texts(&els, "DrctDbtTxInf/InstdAmt");
    // Port at 20 % VAT, invoices in date order.
    assert_eq!(amounts, ["120.00", "300.00", "45.00"]);
    let sum: i64 = amounts.iter().map(|a| cents_of(a)).sum();
    assert_eq!(
        texts(&els, "GrpHdr/CtrlSum"),
        [format!("{}.{:02}", sum / 100, sum % 100)]
    );
    assert_eq!(sum, 46_500);
    // First collections on both mandates, asked as FRST: one PmtInf for one sequence and date.
    assert_eq!(texts(&els, "PmtInf/PmtTpInf/SeqTp"), ["FRST"]);
    assert_eq!(texts(&els, "PmtInf/ReqdColltnDt"), ["2026-12-10"]);
    assert_eq!(texts(&els, "PmtInf/NbOfTxs"), ["3"]);
    assert_eq!(
        texts(&els, "PmtId/EndToEndId"),
        ["FA2026-00001", "FA2026-00004", "FA2026-00002"]
    );
    assert_eq!(
        texts(&els, "MndtRltdInf/MndtId"),
        ["RUM-ACME-01", "RUM-BETA-01", "RUM-ACME-01"]
    );
    assert_eq!(texts(&els, "Dbtr/Nm")[0], "Acme + Fils");
    assert_eq!(texts(&els, "Dbtr/Nm")[1], "Beta Equipement");
    assert_eq!(texts(&els, "DbtrAgt/FinInstnId/BIC"), ["COBADEFFXXX"]);
    assert_eq!(
        texts(&els, "DbtrAgt/FinInstnId/Othr/Id"),
        ["NOTPROVIDED", "NOTPROVIDED"]
    );
    assert_eq!(
        texts(&els, "CdtrSchmeId/Id/PrvtId/Othr/Id"),
        ["FR72ZZZ123456"]
    );
    assert!(
        els.iter()
            .all(|e| e.0 != "Document/CstmrDrctDbtInitn/PmtInf/PmtTpInf/SeqTp" || e.2 != "RCUR")
    );

    // Each invoice collected is paid by its own payment on 511700, lettered with it.
    for number in ["FA2026-00001", "FA2026-00002", "FA2026-00004"] {
        assert_eq!(status_of(&folio, number), ("paid".into(), "0.00".into()));
    }
    for number in [
        "FA2026-00003",
        "FA2026-00005",
        "FA2026-00006",
        "FA2026-00007",
    ] {
        assert_eq!(status_of(&folio, number).0, "unpaid", "{number}");
    }
    let balances = folio.nonzero_balances();
    assert_eq!(balances["511700"], "465.00");
    let open = folio.ok(&w("letter list --open --party CACME --format csv"));
    assert_eq!(csv_records(&open).len(), 1, "{open}");
    let mandates = csv_records(&folio.ok(&w("sepa mandates --format csv")));
    let acme = mandates.iter().find(|m| m["party"] == "CACME").unwrap();
    assert_eq!(acme["last_collection"], "2026-12-10");
    assert_eq!(acme["sequence"], "recurrent");
    assert_eq!(acme["bic"], "");
    let beta = mandates.iter().find(|m| m["party"] == "CBETA").unwrap();
    assert_eq!(beta["bic"], "COBADEFFXXX");

    // Nothing is due any more on that date: refused, nothing written.
    folio.refuses(
        &w("sepa debit --collection-date 2026-12-10 --out again.xml"),
        &["no invoice to collect"],
    );
    assert!(!folio.path("again.xml").exists());

    // Later that month, the third invoice goes as a recurrent collection.
    let out = folio.ok(&w("sepa debit --collection-date 2026-12-28 --party CACME"));
    let els = elements(&out[out.find("<?xml").unwrap()..]);
    assert_eq!(texts(&els, "PmtInf/PmtTpInf/SeqTp"), ["RCUR"]);
    assert_eq!(texts(&els, "PmtId/EndToEndId"), ["FA2026-00003"]);
    assert_eq!(
        folio
            .ok(&w("check"))
            .lines()
            .last()
            .map(|l| l.starts_with("check ok")),
        Some(true)
    );
}

#[test]
fn a_rejected_debit_cancels_its_payment_and_reopens_the_invoice() {
    let folio = debit_books();
    folio.ok(&w(CREDITOR));
    folio.ok(&w(
        "sepa debit --collection-date 2026-12-10 --out batch.xml",
    ));
    let payments = csv_records(&folio.ok(&w("pay list --format csv")));
    let paying = payments
        .iter()
        .find(|p| p["reference"].ends_with("FA2026-00004"))
        .unwrap()["number"]
        .clone();
    let mut folio = folio;
    folio.set_today("2026-12-14");
    let out = folio.ok(&w("sepa reject FA2026-00004 --reason AM04"));
    assert!(out.contains(&format!("cancelled {paying}")), "{out}");
    assert!(
        out.contains("reopened FA2026-00004: 300.00 due again"),
        "{out}"
    );
    assert_eq!(
        status_of(&folio, "FA2026-00004"),
        ("unpaid".into(), "300.00".into())
    );
    let payments = csv_records(&folio.ok(&w("pay list --format csv")));
    let cancelled = payments.iter().find(|p| p["number"] == paying).unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["remaining"], "0.00");
    // The payment's entry is reversed by an entry dated the rejection, naming the reason.
    let rows = folio.journal_rows("--from 2026-12-14 --to 2026-12-14");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0]["label"].contains("AM04"), "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r["account"] == "511700" && r["credit"] == "300.00")
    );
    assert_eq!(folio.nonzero_balances()["511700"], "165.00");
    // The invoice is open again; the payment and its reversal letter together.
    let open = csv_records(&folio.ok(&w("letter list --open --party CBETA --format csv")));
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0]["line"].starts_with("VE"), "{open:?}");
    // The mandate is back at its first collection; a second rejection is refused.
    let mandates = csv_records(&folio.ok(&w("sepa mandates --format csv")));
    let beta = mandates.iter().find(|m| m["party"] == "CBETA").unwrap();
    assert_eq!(beta["sequence"], "first");
    folio.refuses(
        &w("sepa reject FA2026-00004"),
        &["no direct debit collection to reject"],
    );
    folio.refuses(&w(&format!("sepa reject {paying}")), &["already cancelled"]);
    // Collected again later.
    let out = folio.ok(&w("sepa debit --collection-date 2026-12-20 --party CBETA"));
    assert!(
        out.contains("<EndToEndId>FA2026-00004</EndToEndId>"),
        "{out}"
    );
    assert!(folio.ok(&w("check")).contains("check ok"));
}

#[test]
fn sepa_debit_refuses_without_creditor_details_and_never_overwrites() {
    let folio = debit_books();
    folio.refuses(
        &w("sepa debit --collection-date 2026-12-10 --out batch.xml"),
        &["company", "creditor identifier", "IBAN", "BIC"],
    );
    folio.ok(&w("company edit --sepa-creditor-id FR72ZZZ123456"));
    let message = folio.refuses(
        &w("sepa debit --collection-date 2026-12-10 --out batch.xml"),
        &["IBAN (--iban), BIC (--bic)"],
    );
    assert!(!message.contains("creditor identifier"), "{message}");
    assert!(!folio.path("batch.xml").exists());
    folio.ok(&w(CREDITOR));
    folio.write("batch.xml", "keep me");
    folio.refuses(
        &w("sepa debit --collection-date 2026-12-10 --out batch.xml"),
        &["already exists", "--force"],
    );
    assert_eq!(
        std::fs::read_to_string(folio.path("batch.xml")).unwrap(),
        "keep me"
    );
    folio.ok(&w(
        "sepa debit --collection-date 2026-12-10 --out batch.xml --force",
    ));
    assert!(
        std::fs::read_to_string(folio.path("batch.xml"))
            .unwrap()
            .contains("pain.008")
    );
}

#[test]
fn sepa_debit_skips_parties_without_a_usable_mandate() {
    let folio = debit_books();
    folio.ok(&w(CREDITOR));
    // Only parties whose mandate cannot be used: nothing to collect, each one said.
    folio.refuses(
        &w("sepa debit --collection-date 2026-12-10 --party CNOM --party COLD"),
        &[
            "no invoice to collect",
            "CNOM: no mandate",
            "COLD: mandate RUM-OLD lapsed",
        ],
    );
    // A mandate used within 36 months is valid; one unused since is not.
    folio.ok(&w(
        "parties edit COLD --mandate RUM-OLD --mandate-date 2024-01-02",
    ));
    let out = folio.ok(&w(
        "sepa debit --collection-date 2026-12-10 --party COLD --out c.xml",
    ));
    assert!(out.contains("1 debits, total 24.00"), "{out}");
    // A party that does not pay by direct debit is refused by name.
    folio.refuses(
        &w("sepa debit --collection-date 2026-12-10 --party CVIR"),
        &["CVIR does not pay by SEPA direct debit"],
    );
    // A mandate without IBAN is skipped with its reason.
    folio.ok(&w(
        "parties edit CNOM --mandate RUM-NOM --mandate-date 2026-01-01",
    ));
    folio.refuses(
        &w("sepa debit --collection-date 2026-12-10 --party CNOM"),
        &["CNOM: no IBAN"],
    );
}

#[test]
fn pay_cancel_reverses_a_payment_and_reopens_what_it_paid() {
    let folio = debit_books();
    folio.ok(&w(
        "pay add --type customer_payment --party CVIR --date 2026-11-02 --amount 36 \
         --method transfer --allocate FA2026-00007=36",
    ));
    assert_eq!(status_of(&folio, "FA2026-00007").0, "paid");
    let out = folio.ok(&w(
        "pay cancel RC2026-00001 --date 2026-11-05 --reason 'chèque impayé'",
    ));
    assert!(
        out.contains("reopened FA2026-00007: 36.00 due again"),
        "{out}"
    );
    assert_eq!(
        status_of(&folio, "FA2026-00007"),
        ("unpaid".into(), "36.00".into())
    );
    let party = csv_records(&folio.ok(&w(
        "report party CVIR --from 2026-01-01 --to 2026-12-31 --format csv",
    )));
    assert_eq!(party.len(), 3, "{party:?}");
    assert_eq!(party.last().unwrap()["balance"], "36.00");
    folio.refuses(&w("pay cancel RC2026-00001"), &["already cancelled"]);
    folio.refuses(&w("pay cancel FA2026-00007"), &["not a payment"]);
    assert!(folio.ok(&w("check")).contains("check ok"));
}

#[test]
fn a_rejected_debit_puts_vat_due_on_payment_back_pending() {
    let folio = debit_books();
    folio.ok(&w(CREDITOR));
    folio.ok(&w(
        "doc add --type customer_invoice --party CBETA --date 2026-10-12 \
         --line 'PORT;Service;1;100;0;V20E' --validate",
    ));
    let pending = |folio: &Folio| {
        folio
            .nonzero_balances()
            .get("445740")
            .cloned()
            .unwrap_or_else(|| "0.00".into())
    };
    assert_eq!(pending(&folio), "-20.00");
    let out = folio.ok(&w(
        "sepa debit --collection-date 2026-12-10 --party CBETA --out b.xml",
    ));
    assert!(out.contains("FA2026-00008 120.00"), "{out}");
    // Paid: the VAT moved from pending to due.
    assert_eq!(pending(&folio), "0.00");
    folio.ok(&w(
        "sepa reject FA2026-00008 --date 2026-12-12 --reason MD06",
    ));
    assert_eq!(pending(&folio), "-20.00");
    assert_eq!(
        status_of(&folio, "FA2026-00008"),
        ("unpaid".into(), "120.00".into())
    );
    // The other debit of the batch stands.
    assert_eq!(status_of(&folio, "FA2026-00004").0, "paid");
    let check = folio.ok(&w("check"));
    assert!(check.contains("check ok"), "{check}");
}

#[test]
fn the_demo_collects_its_direct_debit_customers_in_december() {
    let folio = Folio::demo();
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("company show --format json"))).unwrap();
    assert_eq!(json["sepa_creditor_id"], "FR72ZZZ123456");
    let out = folio.ok(&w("sepa debit --collection-date 2026-12-10 --out dec.xml"));
    // Maison Vernet and Oréa signed mandates in November: their invoices due by then go.
    for line in [
        "RCUR CVERNET FA2026-00062 1480.75",
        "RCUR COREA FA2026-00114 7927.20",
        "RCUR CVERNET FA2026-00118 1125.48",
        "RCUR CVERNET FA2026-00122 552.55",
        "RCUR COREA FA2026-00123 765.00",
        "5 debits, total 11850.98",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    assert!(!out.contains("FA2026-00128"), "{out}");
    let xml = std::fs::read_to_string(folio.path("dec.xml")).unwrap();
    let els = elements(&xml);
    assert_eq!(texts(&els, "GrpHdr/NbOfTxs"), ["5"]);
    assert_eq!(texts(&els, "GrpHdr/CtrlSum"), ["11850.98"]);
    assert_eq!(texts(&els, "Cdtr/Nm"), ["Atelier Lumiere SARL"]);
}

#[test]
fn texts_outside_the_sepa_set_never_leave_an_element_empty() {
    let folio = debit_books();
    folio.ok(&w(CREDITOR));
    folio.ok(&w(
        "parties add CRU 'Москва' --kind customer --payment-method sepa --mandate RUM-RU \
         --mandate-date 2026-01-05 --iban FR7630004017340001048795371",
    ));
    folio.ok(&w(
        "parties add CZH '北京' --kind customer --payment-method sepa --mandate '北京' \
         --mandate-date 2026-01-05 --iban FR7630004017340001048795371",
    ));
    for party in ["CRU", "CZH"] {
        folio.ok(&w(&format!(
            "doc add --type customer_invoice --party {party} --date 2026-10-10 \
             --line 'PORT;Port;1;10' --validate"
        )));
    }
    let out = folio.ok(&w(
        "sepa debit --collection-date 2026-12-10 --party CRU --party CZH --out x.xml",
    ));
    assert!(
        out.contains("skipped CZH: mandate reference 北京 has no character of the SEPA set"),
        "{out}"
    );
    let els = elements(&std::fs::read_to_string(folio.path("x.xml")).unwrap());
    // A name in another script goes by the party's code.
    assert_eq!(texts(&els, "Dbtr/Nm"), ["CRU"]);
    assert_eq!(texts(&els, "MndtRltdInf/MndtId"), ["RUM-RU"]);
}

/// A December statement holding the batch's credit and the bank's return of one debit (an
/// R-transaction with its end-to-end id and reason code): `bank match` recognises the return,
/// cancels the collection's payment through the payment cancellation and reconciles the
/// bank line with its posting against the transit account.
#[test]
fn a_returned_debit_on_the_statement_cancels_its_payment_through_bank_match() {
    let mut folio = debit_books();
    folio.ok(&w(CREDITOR));
    folio.ok(&w(
        "sepa debit --collection-date 2026-12-10 --out batch.xml",
    ));
    let payments = csv_records(&folio.ok(&w("pay list --format csv")));
    let paying = payments
        .iter()
        .find(|p| p["reference"].ends_with("FA2026-00004"))
        .unwrap()["number"]
        .clone();
    folio.set_today("2026-12-31");
    let file = format!(
        "{}/fixtures/statements/camt053-sepa-return.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    folio.ok(&w(&format!("bank import {file} --account 512000")));
    let candidates = folio.ok(&w("bank candidates 1/2 --format csv"));
    let rows = csv_records(&candidates);
    assert_eq!(rows[0]["kind"], "rejection", "{candidates}");
    assert_eq!(rows[0]["score"], "100", "{candidates}");
    assert!(
        rows[0]["proposal"].contains(&format!(
            "cancel payment {paying}, rejected direct debit of FA2026-00004 (AM04)"
        )),
        "{candidates}"
    );
    // The batch's credit is not a return (money in).
    let batch = csv_records(&folio.ok(&w("bank candidates 1/1 --format csv")));
    assert!(batch.iter().all(|r| r["kind"] != "rejection"), "{batch:?}");

    let out = folio.ok(&w("bank match"));
    assert!(out.contains("1 returned direct debit"), "{out}");
    assert_eq!(
        status_of(&folio, "FA2026-00004"),
        ("unpaid".into(), "300.00".into())
    );
    let payments = csv_records(&folio.ok(&w("pay list --format csv")));
    let cancelled = payments.iter().find(|p| p["number"] == paying).unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    // The other collections stand.
    assert_eq!(status_of(&folio, "FA2026-00001").0, "paid");
    let lines = csv_records(&folio.ok(&w("bank lines --format csv")));
    assert_eq!(lines[1]["status"], "reconciled", "{lines:?}");
    // The reversal (dated the return) takes 300.00 out of transit, the bank line's posting
    // puts it back, and the batch's credit clears the rest.
    let rows = folio.journal_rows("--from 2026-12-14 --to 2026-12-14");
    assert!(
        rows.iter()
            .any(|r| r["account"] == "511700" && r["credit"] == "300.00"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r["account"] == "512000" && r["credit"] == "300.00"),
        "{rows:?}"
    );
    folio.ok(&w("bank post 1/1 --account 511700"));
    let balances = folio.nonzero_balances();
    assert!(!balances.contains_key("511700"), "{balances:?}");
    assert_eq!(balances["512000"], "165.00");
    // Nothing left to reject: a second match leaves the lines as they are.
    let again = folio.ok(&w("bank match"));
    assert!(!again.contains("returned direct debit"), "{again}");
    // The mandate is back at its first collection.
    let mandates = csv_records(&folio.ok(&w("sepa mandates --format csv")));
    let beta = mandates.iter().find(|m| m["party"] == "CBETA").unwrap();
    assert_eq!(beta["sequence"], "first");
    assert!(folio.ok(&w("check")).contains("check ok"));
}
