//! The company profile and SEPA direct debits, through the real binary.

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
