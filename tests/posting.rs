//! The posting engine end to end: documents and payments recorded with the real `folio` binary
//! in a temporary directory (`FOLIO_TODAY` and `USER` fixed), each generated entry compared
//! line by line (account, third party, side, amount and the rule that chose the account) with
//! a hand-computed expectation. Settings are exported, changed as the test needs and loaded
//! back with `folio settings load`. Every refusal is a clear error that writes nothing: same
//! journal, balances, years, chart, parties and audit log (tests/common), and same documents,
//! payments and settings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use folio::model::AccountNumber;
use folio::model::document::Context;
use folio::model::settings::{Item, ItemKind, Settings, Strategy, TaxStrategy};
use folio::model::tax::{RateVersion, TaxCode};
use rust_decimal::Decimal;

use common::*;

// ----- helpers ------------------------------------------------------------------------------

/// A blank company (fiscal year 2026, PCG, default settings, customer CACME, supplier FSUP)
/// plus an intra-EU customer CEU and an intra-EU supplier FEU.
fn company() -> Folio {
    let folio = Folio::blank();
    folio.ok(&w(
        "parties add CEU 'Luce Srl' --kind customer --tax-position EU_CUSTOMER",
    ));
    folio.ok(&w(
        "parties add FEU 'Lichtwerk GmbH' --kind supplier --tax-position EU_SUPPLIER",
    ));
    folio
}

/// The ledger's settings, as `folio settings export` writes them.
fn settings(folio: &Folio) -> Settings {
    let text = folio.ok(&w("settings export"));
    toml::from_str(&text).unwrap_or_else(|e| panic!("exported settings: {e}\n{text}"))
}

/// Writes SETTINGS as TOML and loads them with `folio settings load`.
fn load(folio: &Folio, settings: &Settings) {
    let text = toml::to_string_pretty(settings).expect("settings to TOML");
    let file = folio.write("settings.toml", text);
    let out = folio.ok(&["settings", "load", &file]);
    assert_eq!(out.trim(), "loaded settings from settings.toml");
}

/// Exports the settings, lets CHANGE edit them, loads them back.
fn change_settings(folio: &Folio, change: impl FnOnce(&mut Settings)) {
    let mut current = settings(folio);
    change(&mut current);
    load(folio, &current);
}

fn account(number: &str) -> AccountNumber {
    AccountNumber::parse(number).expect("account number")
}

fn rate(text: &str) -> Decimal {
    text.parse().expect("rate")
}

fn version(from: &str, percent: &str) -> RateVersion {
    RateVersion {
        from: NaiveDate::parse_from_str(from, "%Y-%m-%d").expect("date"),
        rate: rate(percent),
    }
}

/// A copy of tax code FROM named CODE, with one rate from 2000.
fn tax_like(settings: &Settings, from: &str, code: &str, percent: &str) -> TaxCode {
    let mut tax = settings.tax(from).expect("tax code").clone();
    tax.code = code.into();
    tax.label = format!("{code} {percent} %");
    tax.rates = vec![version("2000-01-01", percent)];
    tax
}

fn item(code: &str, family: Option<&str>, sale_tax: Option<&str>, purchase: Option<&str>) -> Item {
    Item {
        code: code.into(),
        label: format!("Article {code}"),
        kind: ItemKind::Product,
        family: family.map(Into::into),
        unit: None,
        sale_tax: sale_tax.map(Into::into),
        purchase_tax: purchase.map(Into::into),
    }
}

fn family_strategy(
    name: &str,
    family: &str,
    context: Context,
    percent: Option<&str>,
    to: &str,
) -> Strategy {
    Strategy {
        name: name.into(),
        item: None,
        family: Some(family.into()),
        context,
        rate: percent.map(rate),
        account: account(to),
    }
}

fn item_strategy(name: &str, item: &str, context: Context, to: &str) -> Strategy {
    Strategy {
        name: name.into(),
        item: Some(item.into()),
        family: None,
        context,
        rate: None,
        account: account(to),
    }
}

fn tax_strategy(name: &str, percent: &str, to: &str, linked: Option<&str>) -> TaxStrategy {
    TaxStrategy {
        name: name.into(),
        context: Context::Purchase,
        rate: rate(percent),
        account: account(to),
        item_strategy: linked.map(Into::into),
    }
}

/// The first word after PREFIX in OUT (`recorded FA2026-00001 (customer_invoice)`).
fn word_after(out: &str, prefix: &str) -> String {
    out.trim()
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("expected `{prefix}…`, got: {out}"))
        .to_string()
}

/// `folio doc add --validate ARGS`; returns the document's number.
fn add_doc(folio: &Folio, args: &str) -> String {
    let out = folio.ok(&w(&format!("doc add --validate {args}")));
    word_after(&out, "recorded ")
}

/// `folio pay add ARGS`; returns the payment's number.
fn add_pay(folio: &Folio, args: &str) -> String {
    let out = folio.ok(&w(&format!("pay add {args}")));
    word_after(&out, "registered ")
}

/// `folio doc show DOCUMENT --format json`.
fn shown(folio: &Folio, document: &str) -> serde_json::Value {
    let text = folio.ok(&["doc", "show", document, "--format", "json"]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("doc show json: {e}\n{text}"))
}

/// The entry generated for DOCUMENT: its number once validated, else `#id`.
fn entry_of(folio: &Folio, document: &str) -> String {
    let entry = &shown(folio, document)["entry"];
    let number = &entry["number"];
    if number.is_null() {
        return format!("#{}", entry["id"].as_u64().expect("entry id"));
    }
    format!(
        "{}{}-{:06}",
        number["journal"].as_str().expect("journal"),
        number["year"].as_str().expect("year"),
        number["seq"].as_u64().expect("seq")
    )
}

/// The lines of entry REFERENCE (`entry show --format csv`), each `D|C ACCOUNT[@PARTY] AMOUNT`.
fn entry_lines(folio: &Folio, reference: &str) -> Vec<String> {
    let rows = csv_records(&folio.ok(&["entry", "show", reference, "--format", "csv"]));
    rows.iter()
        .map(|r| {
            let (side, amount) = match (r["debit"].as_str(), r["credit"].as_str()) {
                (debit, "0.00") if debit != "0.00" => ("D", debit),
                ("0.00", credit) if credit != "0.00" => ("C", credit),
                _ => panic!("a line has exactly one of debit or credit: {r:?}"),
            };
            let party = &r["third_party"];
            let target = if party.is_empty() {
                r["account"].clone()
            } else {
                format!("{}@{party}", r["account"])
            };
            format!("{side} {target} {amount}")
        })
        .collect()
}

/// The lines of DOCUMENT's entry with the rule behind each account, sorted:
/// `D 626000 15.00 <- family strategy "Frais postaux - achats"`.
fn posted(folio: &Folio, document: &str) -> Vec<String> {
    let reference = entry_of(folio, document);
    let lines = entry_lines(folio, &reference);
    let why = shown(folio, document)["why"]
        .as_array()
        .expect("why")
        .iter()
        .map(|r| r.as_str().expect("rule").to_string())
        .collect::<Vec<_>>();
    assert_eq!(lines.len(), why.len(), "one rule per line of {reference}");
    let mut out: Vec<String> = lines
        .into_iter()
        .zip(why)
        .map(|(line, rule)| format!("{line} <- {rule}"))
        .collect();
    out.sort();
    out
}

#[track_caller]
fn assert_posted(folio: &Folio, document: &str, expected: &[&str]) {
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(
        posted(folio, document),
        expected,
        "entry generated for {document}"
    );
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

/// What the ledger shows of documents, payments and settings (with the exit status and
/// error: on a new ledger `doc list` fails, see `document_lists_work_on_a_new_ledger`).
fn documents_view(folio: &Folio) -> Vec<String> {
    [
        "doc list --format csv",
        "pay list --format csv",
        "settings export",
    ]
    .iter()
    .map(|command| {
        let out = folio.run(&w(command));
        format!("{}\n{}\n{}", out.status, stdout(&out), stderr(&out))
    })
    .collect()
}

/// A refused command: a clear error with every EXPECTED piece, and nothing written (the
/// ledger snapshot of tests/common plus documents, payments and settings).
fn refused<S: AsRef<str>>(folio: &Folio, args: &[S], expected: &[&str]) -> String {
    let before = documents_view(folio);
    let message = folio.refuses(args, expected);
    let what: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    assert!(
        documents_view(folio) == before,
        "`folio {}` changed documents, payments or settings",
        what.join(" ")
    );
    message
}

fn balances_2026(folio: &Folio) -> BTreeMap<String, String> {
    folio.balances("--year 2026")
}

/// A deductible tax code at 0 % (imports outside the EU, goods without VAT).
fn add_d0(s: &mut Settings) {
    let d0 = tax_like(s, "D20", "D0", "0");
    s.taxes.push(d0);
}

// ----- account resolution -------------------------------------------------------------------

#[test]
fn postage_family_strategy_for_any_rate_takes_0_and_20_percent() {
    let folio = Folio::blank();
    change_settings(&folio, add_d0);

    let at_20 = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-02 --line 'PORT;Colissimo;1;10'",
    );
    assert_eq!(at_20, "FF2026-00001");
    assert_posted(
        &folio,
        &at_20,
        &[
            "C 401000@FSUP 12.00 <- third party FSUP",
            r#"D 626000 10.00 <- family strategy "Frais postaux - achats""#,
            "D 445660 2.00 <- account of tax code D20",
        ],
    );
    // At 0 %: same account, and no VAT line for a zero tax.
    let at_0 = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-03 --line 'PORT;Timbres;4;1.25;;D0'",
    );
    assert_posted(
        &folio,
        &at_0,
        &[
            "C 401000@FSUP 5.00 <- third party FSUP",
            r#"D 626000 5.00 <- family strategy "Frais postaux - achats""#,
        ],
    );
    // Both rates on one invoice make one line on the family's account.
    let both = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-04 \
         --line 'PORT;Colissimo;1;10' --line 'PORT;Timbres;4;1.25;;D0'",
    );
    assert_posted(
        &folio,
        &both,
        &[
            "C 401000@FSUP 17.00 <- third party FSUP",
            r#"D 626000 15.00 <- family strategy "Frais postaux - achats""#,
            "D 445660 2.00 <- account of tax code D20",
        ],
    );
    // The same item sold goes to the family's sale strategy.
    let sale = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-04 --line 'PORT;;1;10'",
    );
    assert_posted(
        &folio,
        &sale,
        &[
            "D 411000@CACME 12.00 <- third party CACME",
            r#"C 708500 10.00 <- family strategy "Frais postaux - ventes""#,
            "C 445710 2.00 <- account of tax code V20",
        ],
    );
    assert_due(&folio, &both, "17.00 0.00 17.00 unpaid");
}

#[test]
fn raw_materials_go_to_the_strategy_of_their_vat_rate() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        add_d0(s);
        s.families.push(folio::model::settings::Family {
            code: "MATIERES".into(),
            label: "Matières premières".into(),
        });
        s.items
            .push(item("ACIER", Some("MATIERES"), None, Some("D20")));
        s.strategies.extend([
            family_strategy(
                "Matières 0 %",
                "MATIERES",
                Context::Purchase,
                Some("0"),
                "601000",
            ),
            family_strategy(
                "Matières 20 %",
                "MATIERES",
                Context::Purchase,
                Some("20"),
                "602000",
            ),
            family_strategy(
                "Matières autres taux",
                "MATIERES",
                Context::Purchase,
                None,
                "606800",
            ),
        ]);
    });
    // 10 × 12.50 = 125.00 at 20 % (VAT 25.00); 4 × 30 = 120.00 at 0 %; 50.00 at 10 % (VAT
    // 5.00) falls to the family's any-rate strategy. Total 125 + 25 + 120 + 50 + 5 = 325.00.
    let invoice = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-04-01 \
         --line 'ACIER;Acier S235;10;12.50' --line 'ACIER;Acier importé;4;30;;D0' \
         --line 'ACIER;Acier au taux réduit;1;50;;D10'",
    );
    assert_posted(
        &folio,
        &invoice,
        &[
            "C 401000@FSUP 325.00 <- third party FSUP",
            r#"D 601000 120.00 <- family strategy "Matières 0 %""#,
            r#"D 602000 125.00 <- family strategy "Matières 20 %""#,
            r#"D 606800 50.00 <- family strategy "Matières autres taux""#,
            "D 445660 25.00 <- account of tax code D20",
            "D 445660 5.00 <- account of tax code D10",
        ],
    );
    assert_due(&folio, &invoice, "325.00 0.00 325.00 unpaid");
}

#[test]
fn overseas_purchases_split_deductible_vat_by_rate_with_tax_strategies() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        let d85 = tax_like(s, "D20", "D85", "8.5");
        s.taxes.push(d85);
        s.tax_strategies.extend([
            tax_strategy("TVA déductible 20 %", "20", "4456601", None),
            tax_strategy("TVA déductible 8,5 %", "8.5", "4456602", None),
        ]);
    });
    // 200.00 at 20 % = 40.00; 3 × 41.15 = 123.45 at 8.5 % = 10.49325 -> 10.49.
    let invoice = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-05-04 \
         --line ';Fret maritime;1;200;;D20' --line ';Rhum agricole;3;41.15;;D85'",
    );
    assert_posted(
        &folio,
        &invoice,
        &[
            "C 401000@FSUP 373.94 <- third party FSUP",
            "D 607000 323.45 <- default account for supplier_invoice",
            r#"D 4456601 40.00 <- tax strategy "TVA déductible 20 %""#,
            r#"D 4456602 10.49 <- tax strategy "TVA déductible 8,5 %""#,
        ],
    );
    // Purchase tax strategies leave sales alone.
    let sale = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-05-04 --line ';Prestation;1;100;;V20'",
    );
    assert_posted(
        &folio,
        &sale,
        &[
            "D 411000@CACME 120.00 <- third party CACME",
            "C 706000 100.00 <- default account for customer_invoice",
            "C 445710 20.00 <- account of tax code V20",
        ],
    );
}

#[test]
fn a_tax_strategy_linked_to_an_item_strategy_wins_for_that_items_tax() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        s.strategies.push(item_strategy(
            "Port sur achats",
            "PORT",
            Context::Purchase,
            "624100",
        ));
        s.tax_strategies.extend([
            tax_strategy("TVA déductible 20 %", "20", "4456601", None),
            tax_strategy("TVA sur port", "20", "4456602", Some("Port sur achats")),
        ]);
    });
    // PORT 50.00 (VAT 10.00) through the item strategy and its linked tax strategy; 100.00
    // without item (VAT 20.00) through the default account and the general tax strategy.
    let invoice = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-05-05 \
         --line 'PORT;;1;50' --line ';Lampes;1;100;;D20'",
    );
    assert_posted(
        &folio,
        &invoice,
        &[
            "C 401000@FSUP 180.00 <- third party FSUP",
            r#"D 624100 50.00 <- item strategy "Port sur achats""#,
            "D 607000 100.00 <- default account for supplier_invoice",
            r#"D 4456602 10.00 <- tax strategy "TVA sur port""#,
            r#"D 4456601 20.00 <- tax strategy "TVA déductible 20 %""#,
        ],
    );
}

#[test]
fn an_item_strategy_wins_over_its_familys() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        s.items
            .push(item("TIMBRE", Some("FRAIS_POSTAUX"), None, Some("D20")));
        s.strategies.push(item_strategy(
            "Port - transports sur achats",
            "PORT",
            Context::Purchase,
            "624100",
        ));
    });
    // PORT and TIMBRE share the family FRAIS_POSTAUX (626000); PORT has its own strategy.
    let invoice = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-05-06 \
         --line 'PORT;;1;30' --line 'TIMBRE;;10;1.50'",
    );
    assert_posted(
        &folio,
        &invoice,
        &[
            "C 401000@FSUP 54.00 <- third party FSUP",
            r#"D 624100 30.00 <- item strategy "Port - transports sur achats""#,
            r#"D 626000 15.00 <- family strategy "Frais postaux - achats""#,
            "D 445660 9.00 <- account of tax code D20",
        ],
    );
    // The item strategy is for purchases: a sale of PORT still follows the family.
    let sale = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-05-06 --line 'PORT;;1;30'",
    );
    assert_posted(
        &folio,
        &sale,
        &[
            "D 411000@CACME 36.00 <- third party CACME",
            r#"C 708500 30.00 <- family strategy "Frais postaux - ventes""#,
            "C 445710 6.00 <- account of tax code V20",
        ],
    );
}

#[test]
fn without_strategy_default_or_fallback_a_line_goes_to_suspense_and_why_says_so() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        s.items.push(item("DIVERS", None, None, Some("D20")));
        let generation = s
            .documents
            .iter_mut()
            .find(|g| g.document.name() == "supplier_invoice")
            .expect("supplier_invoice settings");
        generation.default_account = None;
        generation.fallback_account = None;
        generation.default_goods_account = None;
        generation.default_services_account = None;
    });
    let invoice = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-06-01 \
         --line 'DIVERS;;1;80' --line ';Sans article;1;20;;D20'",
    );
    assert_posted(
        &folio,
        &invoice,
        &[
            "C 401000@FSUP 120.00 <- third party FSUP",
            "D 471000 100.00 <- suspense account: no strategy, no default and no fallback \
             account applied",
            "D 445660 20.00 <- account of tax code D20",
        ],
    );
    let why = folio.ok(&["why", &invoice]);
    let suspense = why
        .lines()
        .find(|l| l.starts_with("471000"))
        .unwrap_or_else(|| panic!("no 471000 line in:\n{why}"));
    assert!(
        suspense.contains("100,00")
            && suspense.ends_with(
                "suspense account: no strategy, no default and no fallback account applied"
            ),
        "{why}"
    );
    // The same explanation through the entry's own reference.
    assert_eq!(folio.ok(&["why", &entry_of(&folio, &invoice)]), why);

    // A fallback account catches what nothing else placed.
    change_settings(&folio, |s| {
        let generation = s
            .documents
            .iter_mut()
            .find(|g| g.document.name() == "supplier_invoice")
            .expect("supplier_invoice settings");
        generation.fallback_account = Some(account("606800"));
    });
    let second = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-06-02 --line 'DIVERS;;1;80'",
    );
    assert_posted(
        &folio,
        &second,
        &[
            "C 401000@FSUP 96.00 <- third party FSUP",
            "D 606800 80.00 <- fallback account for supplier_invoice",
            "D 445660 16.00 <- account of tax code D20",
        ],
    );
}

// ----- tax positions ------------------------------------------------------------------------

#[test]
fn intra_eu_sale_is_exempt_and_intra_eu_purchase_is_reverse_charged() {
    let folio = company();
    change_settings(&folio, |s| {
        s.items.push(item(
            "LAMPE",
            Some("MARCHANDISES"),
            Some("V20"),
            Some("D20"),
        ));
    });
    refused(
        &folio,
        &w("parties add CX Nowhere --kind customer --tax-position NOPE"),
        &["tax_position: unknown tax position NOPE"],
    );
    // EU_CUSTOMER maps V20 to exemption, whether it comes from the item or the line.
    let sale = add_doc(
        &folio,
        "--type customer_invoice --party CEU --date 2026-03-10 \
         --line 'LAMPE;Lampe;2;150' --line ';Emballage;1;20;;V20'",
    );
    assert_posted(
        &folio,
        &sale,
        &[
            "D 411000@CEU 320.00 <- third party CEU",
            r#"C 707000 300.00 <- family strategy "Marchandises - ventes""#,
            "C 706000 20.00 <- default account for customer_invoice",
        ],
    );
    assert_due(&folio, &sale, "320.00 0.00 320.00 unpaid");

    // EU_SUPPLIER maps D20 to DIC20: 445662 and 445200 cancel, the supplier is owed 400.00.
    let purchase = add_doc(
        &folio,
        "--type supplier_invoice --party FEU --date 2026-03-11 --line 'LAMPE;Lampe;10;40'",
    );
    assert_posted(
        &folio,
        &purchase,
        &[
            "C 401000@FEU 400.00 <- third party FEU",
            r#"D 607000 400.00 <- family strategy "Marchandises - achats""#,
            "D 445662 80.00 <- account of tax code DIC20",
            "C 445200 80.00 <- reverse charge of tax code DIC20",
        ],
    );
    assert_due(&folio, &purchase, "400.00 0.00 400.00 unpaid");

    // The same purchase from a French supplier carries deductible VAT owed to the supplier.
    let french = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-11 --line 'LAMPE;Lampe;10;40'",
    );
    assert_posted(
        &folio,
        &french,
        &[
            "C 401000@FSUP 480.00 <- third party FSUP",
            r#"D 607000 400.00 <- family strategy "Marchandises - achats""#,
            "D 445660 80.00 <- account of tax code D20",
        ],
    );

    // Paying the EU supplier its 400.00 settles the invoice.
    let paid = add_pay(
        &folio,
        &format!(
            "--type supplier_payment --party FEU --date 2026-04-10 --amount 400 \
             --method transfer --allocate {purchase}=400"
        ),
    );
    assert_posted(
        &folio,
        &paid,
        &[
            "C 512000 400.00 <- treasury account of payment method transfer",
            "D 401000@FEU 400.00 <- third party FEU",
        ],
    );
    assert_due(&folio, &purchase, "400.00 400.00 0.00 paid");
    let balances = balances_2026(&folio);
    assert_eq!(balances["445662"], "80.00");
    assert_eq!(balances["445200"], "-80.00");
}

/// Bug (or a gap in the rules): a purchase tax strategy for a rate also catches the
/// reverse-charged VAT of an intra-EU acquisition at that rate, so 445662 (deductible
/// intra-EU VAT, its own CA3 treatment) is replaced by the domestic 4456601.
#[test]
fn a_rate_tax_strategy_leaves_reverse_charged_vat_on_its_own_account() {
    let folio = company();
    change_settings(&folio, |s| {
        s.items.push(item(
            "LAMPE",
            Some("MARCHANDISES"),
            Some("V20"),
            Some("D20"),
        ));
        s.tax_strategies
            .push(tax_strategy("TVA déductible 20 %", "20", "4456601", None));
    });
    let purchase = add_doc(
        &folio,
        "--type supplier_invoice --party FEU --date 2026-03-11 --line 'LAMPE;Lampe;10;40'",
    );
    assert_posted(
        &folio,
        &purchase,
        &[
            "C 401000@FEU 400.00 <- third party FEU",
            r#"D 607000 400.00 <- family strategy "Marchandises - achats""#,
            "D 445662 80.00 <- account of tax code DIC20",
            "C 445200 80.00 <- reverse charge of tax code DIC20",
        ],
    );
}

// ----- credit notes, payments, refunds ------------------------------------------------------

#[test]
fn credit_notes_mirror_invoices_and_refunds_settle_them() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        s.items.push(item(
            "LAMPE",
            Some("MARCHANDISES"),
            Some("V20"),
            Some("D20"),
        ));
    });
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line 'LAMPE;;2;150'",
    );
    assert_posted(
        &folio,
        &invoice,
        &[
            "D 411000@CACME 360.00 <- third party CACME",
            r#"C 707000 300.00 <- family strategy "Marchandises - ventes""#,
            "C 445710 60.00 <- account of tax code V20",
        ],
    );
    // Every side mirrored; a line without item goes to the credit note's default 709000.
    let credit = add_doc(
        &folio,
        "--type customer_credit_note --party CACME --date 2026-03-09 \
         --line 'LAMPE;;1;150' --line ';Geste commercial;1;10;;V20'",
    );
    assert_eq!(credit, "AV2026-00001");
    assert_posted(
        &folio,
        &credit,
        &[
            "C 411000@CACME 192.00 <- third party CACME",
            r#"D 707000 150.00 <- family strategy "Marchandises - ventes""#,
            "D 709000 10.00 <- default account for customer_credit_note",
            "D 445710 32.00 <- account of tax code V20",
        ],
    );
    let refund = add_pay(
        &folio,
        &format!(
            "--type customer_refund --party CACME --date 2026-03-20 --amount 192 \
             --method transfer --allocate {credit}=192"
        ),
    );
    assert_eq!(refund, "RBC2026-00001");
    assert_posted(
        &folio,
        &refund,
        &[
            "D 411000@CACME 192.00 <- third party CACME",
            "C 512000 192.00 <- treasury account of payment method transfer",
        ],
    );

    let purchase = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-03 --line 'LAMPE;;5;40'",
    );
    assert_posted(
        &folio,
        &purchase,
        &[
            "C 401000@FSUP 240.00 <- third party FSUP",
            r#"D 607000 200.00 <- family strategy "Marchandises - achats""#,
            "D 445660 40.00 <- account of tax code D20",
        ],
    );
    let supplier_credit = add_doc(
        &folio,
        "--type supplier_credit_note --party FSUP --date 2026-03-12 --line 'LAMPE;;1;40'",
    );
    assert_eq!(supplier_credit, "AF2026-00001");
    assert_posted(
        &folio,
        &supplier_credit,
        &[
            "D 401000@FSUP 48.00 <- third party FSUP",
            r#"C 607000 40.00 <- family strategy "Marchandises - achats""#,
            "C 445660 8.00 <- account of tax code D20",
        ],
    );
    let supplier_refund = add_pay(
        &folio,
        &format!(
            "--type supplier_refund --party FSUP --date 2026-03-25 --amount 48 \
             --method cheque --allocate {supplier_credit}=48"
        ),
    );
    assert_eq!(supplier_refund, "RBF2026-00001");
    assert_posted(
        &folio,
        &supplier_refund,
        &[
            "D 511200 48.00 <- treasury account of payment method cheque",
            "C 401000@FSUP 48.00 <- third party FSUP",
        ],
    );

    assert_due(&folio, &invoice, "360.00 0.00 360.00 unpaid");
    assert_due(&folio, &credit, "192.00 192.00 0.00 paid");
    assert_due(&folio, &purchase, "240.00 0.00 240.00 unpaid");
    assert_due(&folio, &supplier_credit, "48.00 48.00 0.00 paid");
    assert_due(&folio, &refund, "192.00 192.00 0.00 registered");
    let balances = balances_2026(&folio);
    assert_eq!(balances["411000"], "360.00");
    assert_eq!(balances["401000"], "-240.00");
    assert_eq!(balances["445710"], "-28.00");
    assert_eq!(balances["445660"], "32.00");
    assert_eq!(balances["512000"], "-192.00");
    assert_eq!(balances["511200"], "48.00");
}

/// A customer pays an invoice net of a credit note: 360.00 - 192.00 = 168.00.
fn pay_net_of_a_credit_note(folio: &Folio) -> (String, String, String) {
    let invoice = add_doc(
        folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;300;;V20E'",
    );
    let credit = add_doc(
        folio,
        "--type customer_credit_note --party CACME --date 2026-03-03 \
         --line ';Conseil;1;160;;V20E'",
    );
    let payment = add_pay(
        folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-10 --amount 168 \
             --method transfer --allocate {invoice}=360 --allocate {credit}=192"
        ),
    );
    (invoice, credit, payment)
}

#[test]
fn a_payment_net_of_a_credit_note_settles_both() {
    let folio = Folio::blank();
    let (invoice, credit, payment) = pay_net_of_a_credit_note(&folio);
    // The invoice's 60.00 VAT becomes due, the credit note's 32.00 is taken back.
    let on_invoice = format!("VAT V20E of {invoice} due on payment");
    let on_credit = format!("VAT V20E of {credit} due on payment");
    assert_posted(
        &folio,
        &payment,
        &[
            "D 512000 168.00 <- treasury account of payment method transfer",
            "C 411000@CACME 168.00 <- third party CACME",
            &format!("D 445740 60.00 <- {on_invoice}"),
            &format!("C 445710 60.00 <- {on_invoice}"),
            &format!("C 445740 32.00 <- {on_credit}"),
            &format!("D 445710 32.00 <- {on_credit}"),
        ],
    );
    assert_due(&folio, &invoice, "360.00 360.00 0.00 paid");
    assert_due(&folio, &credit, "192.00 192.00 0.00 paid");
    let balances = balances_2026(&folio);
    assert_eq!(balances["411000"], "0.00");
    assert_eq!(balances["445740"], "0.00");
    assert_eq!(balances["445710"], "-28.00");
    // More than the net amount is refused.
    refused(
        &folio,
        &w(&format!(
            "pay add --type customer_payment --party CACME --date 2026-03-11 --amount 10 \
             --method transfer --allocate {invoice}=1"
        )),
        &["allocated: 1.00 allocated to FA2026-00001 is more than the 0.00 due on it"],
    );
}

/// Was a bug: `pay list` adds a credit note allocated in a payment to the allocated amount instead
/// of subtracting it: 552.00 allocated and -384.00 remaining for a 168.00 payment.
#[test]
fn a_payment_net_of_a_credit_note_is_fully_allocated_in_the_list() {
    let folio = Folio::blank();
    let (_, _, payment) = pay_net_of_a_credit_note(&folio);
    assert_due(&folio, &payment, "168.00 168.00 0.00 registered");
}

#[test]
fn a_payment_in_several_parts_moves_the_status_from_unpaid_to_paid() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 \
         --line ';Installation;1;1000;;V20'",
    );
    assert_due(&folio, &invoice, "1200.00 0.00 1200.00 unpaid");
    let parts = [
        (
            "2026-03-10",
            "300",
            "transfer",
            "512000",
            "1200.00 300.00 900.00 partially paid",
        ),
        (
            "2026-03-20",
            "500",
            "cheque",
            "511200",
            "1200.00 800.00 400.00 partially paid",
        ),
        (
            "2026-03-30",
            "400",
            "card",
            "512000",
            "1200.00 1200.00 0.00 paid",
        ),
    ];
    for (date, amount, method, treasury, status) in parts {
        let payment = add_pay(
            &folio,
            &format!(
                "--type customer_payment --party CACME --date {date} --amount {amount} \
                 --method {method} --allocate {invoice}={amount}"
            ),
        );
        assert_posted(
            &folio,
            &payment,
            &[
                &format!("D {treasury} {amount}.00 <- treasury account of payment method {method}"),
                &format!("C 411000@CACME {amount}.00 <- third party CACME"),
            ],
        );
        assert_due(
            &folio,
            &payment,
            &format!("{amount}.00 {amount}.00 0.00 registered"),
        );
        assert_due(&folio, &invoice, status);
    }
    let parties = csv_records(&folio.ok(&w("parties --format csv")));
    let acme = parties
        .iter()
        .find(|p| p["code"] == "CACME")
        .expect("CACME");
    assert_eq!(acme["balance"], "0.00");
    let show = folio.ok(&["doc", "show", &invoice]);
    assert!(
        show.contains("Total 1 200,00  paid 1 200,00  due 0,00  (paid)"),
        "{show}"
    );
}

#[test]
fn one_payment_imported_for_three_invoices() {
    let folio = Folio::blank();
    let mut invoices = Vec::new();
    for (n, amount) in [(101, 100), (102, 200), (103, 300)] {
        invoices.push(add_doc(
            &folio,
            &format!(
                "--type customer_invoice --party CACME --date 2026-04-0{} --reference C-{n} \
                 --line ';Lot {n};1;{amount};;V20'",
                n - 100
            ),
        ));
    }
    assert_eq!(invoices, ["FA2026-00001", "FA2026-00002", "FA2026-00003"]);
    // Allocations by number, by the customer's own reference, and by number again.
    let file = folio.write(
        "payments.csv",
        "type,payment,date,party,amount,method,reference,allocate_to,allocated\n\
         customer_payment,R1,2026-04-10,CACME,720,transfer,VIR ACME,FA2026-00001,120\n\
         customer_payment,R1,2026-04-10,CACME,720,transfer,VIR ACME,C-102,240\n\
         customer_payment,R1,2026-04-10,CACME,720,transfer,VIR ACME,FA2026-00003,360\n",
    );
    let out = folio.ok(&["pay", "import", &file]);
    assert_eq!(out.trim(), "registered 1 payments");
    assert_posted(
        &folio,
        "RC2026-00001",
        &[
            "D 512000 720.00 <- treasury account of payment method transfer",
            "C 411000@CACME 720.00 <- third party CACME",
        ],
    );
    assert_due(&folio, "RC2026-00001", "720.00 720.00 0.00 registered");
    assert_due(&folio, "FA2026-00001", "120.00 120.00 0.00 paid");
    assert_due(&folio, "FA2026-00002", "240.00 240.00 0.00 paid");
    assert_due(&folio, "FA2026-00003", "360.00 360.00 0.00 paid");
    let payment = shown(&folio, "RC2026-00001");
    let allocations = payment["document"]["document"]["body"]["Payment"]["allocations"]
        .as_array()
        .expect("allocations");
    let allocated: Vec<(u64, &str)> = allocations
        .iter()
        .map(|a| {
            (
                a["document"].as_u64().expect("id"),
                a["amount"].as_str().expect("amount"),
            )
        })
        .collect();
    assert_eq!(allocated, [(1, "120.00"), (2, "240.00"), (3, "360.00")]);
}

#[test]
fn an_outstanding_credit_is_allocated_later_and_its_entry_follows() {
    let folio = Folio::blank();
    // VAT on payment, so that the allocation changes the payment's entry.
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-05-04 \
         --line ';Maintenance;1;500;;V20E'",
    );
    assert_posted(
        &folio,
        &invoice,
        &[
            "D 411000@CACME 600.00 <- third party CACME",
            "C 706000 500.00 <- default account for customer_invoice",
            "C 445740 100.00 <- pending account of tax code V20E (VAT due on payment)",
        ],
    );
    let payment = add_pay(
        &folio,
        "--type customer_payment --party CACME --date 2026-05-10 --amount 300 --method transfer",
    );
    assert_posted(
        &folio,
        &payment,
        &[
            "D 512000 300.00 <- treasury account of payment method transfer",
            "C 411000@CACME 300.00 <- third party CACME",
        ],
    );
    assert_due(&folio, &payment, "300.00 0.00 300.00 registered");
    assert_due(&folio, &invoice, "600.00 0.00 600.00 unpaid");
    let draft = entry_of(&folio, &payment);

    let out = folio.ok(&["pay", "allocate", &payment, &format!("{invoice}=300")]);
    assert_eq!(out.trim(), format!("allocated {payment}: 1 allocations"));
    // 300 of 600 paid: half the 100.00 VAT becomes due. The draft entry is replaced in place.
    assert_eq!(entry_of(&folio, &payment), draft);
    let rule = format!("VAT V20E of {invoice} due on payment");
    assert_posted(
        &folio,
        &payment,
        &[
            "D 512000 300.00 <- treasury account of payment method transfer",
            "C 411000@CACME 300.00 <- third party CACME",
            &format!("D 445740 50.00 <- {rule}"),
            &format!("C 445710 50.00 <- {rule}"),
        ],
    );
    assert_due(&folio, &payment, "300.00 300.00 0.00 registered");
    assert_due(&folio, &invoice, "600.00 300.00 300.00 partially paid");
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn vat_on_payment_moves_each_payments_share_from_445740_to_445710() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20E'",
    );
    assert_posted(
        &folio,
        &invoice,
        &[
            "D 411000@CACME 1200.00 <- third party CACME",
            "C 706000 1000.00 <- default account for customer_invoice",
            "C 445740 200.00 <- pending account of tax code V20E (VAT due on payment)",
        ],
    );
    // Shares on cumulative amounts: 200 × 300/1200 = 50.00; 200 × 800/1200 = 133.33, so
    // 83.33; the last payment moves the rest, 66.67.
    let rule = format!("VAT V20E of {invoice} due on payment");
    for (date, amount, moved) in [
        ("2026-03-10", "300", "50.00"),
        ("2026-04-10", "500", "83.33"),
        ("2026-05-10", "400", "66.67"),
    ] {
        let payment = add_pay(
            &folio,
            &format!(
                "--type customer_payment --party CACME --date {date} --amount {amount} \
                 --method transfer --allocate {invoice}={amount}"
            ),
        );
        assert_posted(
            &folio,
            &payment,
            &[
                &format!("D 512000 {amount}.00 <- treasury account of payment method transfer"),
                &format!("C 411000@CACME {amount}.00 <- third party CACME"),
                &format!("D 445740 {moved} <- {rule}"),
                &format!("C 445710 {moved} <- {rule}"),
            ],
        );
    }
    assert_due(&folio, &invoice, "1200.00 1200.00 0.00 paid");
    let balances = balances_2026(&folio);
    assert_eq!(balances["445740"], "0.00");
    assert_eq!(balances["445710"], "-200.00");
    assert_eq!(balances["411000"], "0.00");
    // Per month: the VAT due follows the payments (March 50.00, April 83.33, May 66.67).
    let april = folio.balances("--from 2026-04-01 --to 2026-04-30");
    assert_eq!(april["445710"], "-83.33");

    // A credit note taxed on payment: refunding it takes its VAT back out of 445710.
    let credit = add_doc(
        &folio,
        "--type customer_credit_note --party CACME --date 2026-06-01 \
         --line ';Avoir conseil;1;100;;V20E'",
    );
    assert_posted(
        &folio,
        &credit,
        &[
            "C 411000@CACME 120.00 <- third party CACME",
            "D 709000 100.00 <- default account for customer_credit_note",
            "D 445740 20.00 <- pending account of tax code V20E (VAT due on payment)",
        ],
    );
    let refund = add_pay(
        &folio,
        &format!(
            "--type customer_refund --party CACME --date 2026-06-10 --amount 120 \
             --method transfer --allocate {credit}=120"
        ),
    );
    let rule = format!("VAT V20E of {credit} due on payment");
    assert_posted(
        &folio,
        &refund,
        &[
            "D 411000@CACME 120.00 <- third party CACME",
            "C 512000 120.00 <- treasury account of payment method transfer",
            &format!("C 445740 20.00 <- {rule}"),
            &format!("D 445710 20.00 <- {rule}"),
        ],
    );

    // Deductible VAT on payment waits on 445640 until the company pays its supplier.
    let purchase = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-06-02 \
         --line ';Maintenance;1;500;;D20E'",
    );
    assert_posted(
        &folio,
        &purchase,
        &[
            "C 401000@FSUP 600.00 <- third party FSUP",
            "D 607000 500.00 <- default account for supplier_invoice",
            "D 445640 100.00 <- pending account of tax code D20E (VAT due on payment)",
        ],
    );
    let paid = add_pay(
        &folio,
        &format!(
            "--type supplier_payment --party FSUP --date 2026-06-20 --amount 150 \
             --method transfer --allocate {purchase}=150"
        ),
    );
    let rule = format!("VAT D20E of {purchase} due on payment");
    assert_posted(
        &folio,
        &paid,
        &[
            "D 401000@FSUP 150.00 <- third party FSUP",
            "C 512000 150.00 <- treasury account of payment method transfer",
            &format!("D 445660 25.00 <- {rule}"),
            &format!("C 445640 25.00 <- {rule}"),
        ],
    );
    let balances = balances_2026(&folio);
    assert_eq!(balances["445740"], "0.00");
    assert_eq!(balances["445710"], "-180.00");
    assert_eq!(balances["445640"], "75.00");
    assert_eq!(balances["445660"], "25.00");
}

/// Was a bug: a payment registered with an earlier date than payments already allocated to the same
/// invoice does not repost them, so the VAT moved on payment no longer adds up: here 200.01
/// moved for an invoice with 200.00 of VAT, until `folio regenerate`.
#[test]
fn a_back_dated_payment_keeps_the_vat_moved_on_payment_exact() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20E'",
    );
    // In date order: 100 (03-05) moves 16.67, 100 (03-10) moves 33.33 - 16.67 = 16.66, 1000
    // (03-20) moves the rest, 200 - 33.33 = 166.67.
    for (date, amount) in [
        ("2026-03-10", "100"),
        ("2026-03-05", "100"),
        ("2026-03-20", "1000"),
    ] {
        add_pay(
            &folio,
            &format!(
                "--type customer_payment --party CACME --date {date} --amount {amount} \
                 --method transfer --allocate {invoice}={amount}"
            ),
        );
    }
    let balances = balances_2026(&folio);
    assert_eq!(
        (balances["445740"].as_str(), balances["445710"].as_str()),
        ("0.00", "-200.00")
    );
    let rule = format!("VAT V20E of {invoice} due on payment");
    assert_posted(
        &folio,
        "RC2026-00001",
        &[
            "D 512000 100.00 <- treasury account of payment method transfer",
            "C 411000@CACME 100.00 <- third party CACME",
            &format!("D 445740 16.66 <- {rule}"),
            &format!("C 445710 16.66 <- {rule}"),
        ],
    );
}

// ----- rates and regeneration ---------------------------------------------------------------

#[test]
fn a_rate_change_on_1_july_applies_to_documents_from_that_day() {
    let folio = Folio::blank();
    let june = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-06-30 --line ';Repas;1;100;;V10'",
    );
    // The new rate is a new version of the same code, from 1 July.
    change_settings(&folio, |s| {
        let v10 = s.taxes.iter_mut().find(|t| t.code == "V10").expect("V10");
        v10.rates.push(version("2026-07-01", "12"));
    });
    let july = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-07-01 --line ';Repas;1;100;;V10'",
    );
    let late_june = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-06-30 --line ';Repas;1;100;;V10'",
    );
    for (document, total, tax) in [
        (&june, "110.00", "10.00"),
        (&late_june, "110.00", "10.00"),
        (&july, "112.00", "12.00"),
    ] {
        assert_posted(
            &folio,
            document,
            &[
                &format!("D 411000@CACME {total} <- third party CACME"),
                "C 706000 100.00 <- default account for customer_invoice",
                &format!("C 445710 {tax} <- account of tax code V10"),
            ],
        );
    }
    let taxes = csv_records(&folio.ok(&w("taxes --format csv")));
    let v10 = taxes.iter().find(|t| t["code"] == "V10").expect("V10");
    assert_eq!(v10["rate_today"], "12 %");
    assert_eq!(v10["rates"], "10 % from 2000-01-01; 12 % from 2026-07-01");
    let folio = folio.with_today("2026-06-15");
    let taxes = csv_records(&folio.ok(&w("taxes --format csv")));
    let v10 = taxes.iter().find(|t| t["code"] == "V10").expect("V10");
    assert_eq!(v10["rate_today"], "10 %");
    // Adding the version changed nothing already posted.
    let out = folio.ok(&["regenerate"]);
    assert_eq!(
        out.trim(),
        "3 documents examined: 3 unchanged, 0 drafts replaced, 0 reversed and reposted, \
         0 created; left alone: 0 in closed years, 0 in locked periods"
    );
}

#[test]
fn regeneration_replaces_drafts_reposts_validated_entries_and_leaves_the_rest_alone() {
    let folio = Folio::empty();
    folio.ok(&w(&format!(
        "init --name 'Test SARL' --siren {SIREN} --start 2025-01-01"
    )));
    folio.ok(&w("year open"));
    folio.ok(&w("parties add CACME Acme --kind customer"));
    folio.ok(&w("parties add FSUP 'Fournisseur SA' --kind supplier"));

    // 2025: one document, its entry validated, the year closed.
    let old = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2025-06-10 --line 'PORT;;1;100'",
    );
    assert_eq!(old, "FF2025-00001");
    folio.ok(&w("validate --until 2025-12-31"));
    folio.ok(&w("year close 2025"));
    let year_2025 = folio.ok(&w("report journal --format csv --year 2025"));

    // 2026: a locked February, a draft entry, a validated entry, a sale, a manual entry.
    let locked = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-02-10 --line 'PORT;;1;20'",
    );
    folio.ok(&["validate", &entry_of(&folio, &locked)]);
    folio.ok(&w("period lock 2026-02"));
    let draft = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-02 --line 'PORT;;1;50'",
    );
    let validated = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-05 --line 'PORT;;1;80'",
    );
    folio.ok(&["validate", &entry_of(&folio, &validated)]);
    let sale = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-06 --line 'PORT;;1;10'",
    );
    folio.ok(&w(
        "entry add -j OD -d 2026-03-10 -p M1 -l 'Timbres au comptant' \
         --debit 626000=15 --credit 530000=15 --validate",
    ));
    let draft_entry = entry_of(&folio, &draft);
    let original = entry_of(&folio, &validated);
    assert_eq!(
        original, "AC2026-000002",
        "after the locked February's AC2026-000001"
    );
    let original_csv = folio.ok(&["entry", "show", &original, "--format", "csv"]);
    let locked_before = posted(&folio, &locked);
    let manual_before = folio.journal_rows("OD --year 2026");
    assert_eq!(manual_before.len(), 2);

    assert!(
        folio
            .ok(&["entry", "show", &draft_entry])
            .contains("Revision 1\n")
    );
    // Postage bought now goes to 624100 instead of 626000.
    change_settings(&folio, |s| {
        let strategy = s
            .strategies
            .iter_mut()
            .find(|s| s.name == "Frais postaux - achats")
            .expect("strategy");
        strategy.account = account("624100");
    });
    let out = folio.ok(&["regenerate"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], format!("{draft}: draft {draft_entry} replaced"));
    // The replaced draft is a new revision: an editor open on the old one cannot save over it.
    assert!(
        folio
            .ok(&["entry", "show", &draft_entry])
            .contains("Revision 2\n")
    );
    let reposted = entry_of(&folio, &validated);
    assert!(reposted.starts_with('#'), "a new draft: {reposted}");
    assert_eq!(
        lines[1],
        format!("{validated}: AC2026-000002 reversed by AC2026-000003, reposted as {reposted}")
    );
    assert_eq!(
        lines[2],
        "5 documents examined: 1 unchanged, 1 drafts replaced, 1 reversed and reposted, \
         0 created; left alone: 1 in closed years, 1 in locked periods"
    );

    // The draft: same entry, new account.
    assert_eq!(entry_of(&folio, &draft), draft_entry);
    let rule = r#"family strategy "Frais postaux - achats""#;
    assert_posted(
        &folio,
        &draft,
        &[
            "C 401000@FSUP 60.00 <- third party FSUP",
            &format!("D 624100 50.00 <- {rule}"),
            "D 445660 10.00 <- account of tax code D20",
        ],
    );
    // The validated entry is untouched; a reversal links to it; the document has a new entry.
    assert_eq!(
        folio.ok(&["entry", "show", &original, "--format", "csv"]),
        original_csv
    );
    assert_eq!(
        entry_lines(&folio, &original),
        ["C 401000@FSUP 96.00", "D 626000 80.00", "D 445660 16.00"]
    );
    let reversal = "AC2026-000003";
    let title = folio.ok(&["entry", "show", reversal]);
    assert!(
        title.contains("Extourne AC2026-000002") && title.contains("Reverses AC2026-000002"),
        "{title}"
    );
    let shown_reversal: serde_json::Value =
        serde_json::from_str(&folio.ok(&["entry", "show", reversal, "--format", "json"]))
            .expect("json");
    let shown_original: serde_json::Value =
        serde_json::from_str(&folio.ok(&["entry", "show", &original, "--format", "json"]))
            .expect("json");
    assert_eq!(shown_reversal["reversal_of"], shown_original["id"]);
    assert_eq!(shown_reversal["date"], "2026-03-05");
    assert_eq!(shown_reversal["status"], "Validated");
    assert_eq!(
        entry_lines(&folio, reversal),
        ["D 401000@FSUP 96.00", "C 626000 80.00", "C 445660 16.00"]
    );
    assert_posted(
        &folio,
        &validated,
        &[
            "C 401000@FSUP 96.00 <- third party FSUP",
            &format!("D 624100 80.00 <- {rule}"),
            "D 445660 16.00 <- account of tax code D20",
        ],
    );
    // Locked period, closed year, manual entry and unaffected sale: as they were.
    assert_eq!(posted(&folio, &locked), locked_before);
    assert_eq!(
        folio.ok(&w("report journal --format csv --year 2025")),
        year_2025
    );
    assert_eq!(folio.journal_rows("OD --year 2026"), manual_before);
    assert_posted(
        &folio,
        &sale,
        &[
            "D 411000@CACME 12.00 <- third party CACME",
            r#"C 708500 10.00 <- family strategy "Frais postaux - ventes""#,
            "C 445710 2.00 <- account of tax code V20",
        ],
    );
    let balances = balances_2026(&folio);
    assert_eq!(balances["624100"], "130.00");
    assert_eq!(balances["626000"], "35.00", "locked 20.00 and manual 15.00");

    // Nothing left to do.
    let again = folio.ok(&["regenerate"]);
    assert_eq!(
        again.trim(),
        "5 documents examined: 3 unchanged, 0 drafts replaced, 0 reversed and reposted, \
         0 created; left alone: 1 in closed years, 1 in locked periods"
    );
    let check = folio.ok(&["check"]);
    assert!(
        check.starts_with("check ok") && check.contains(" 0 findings"),
        "{check}"
    );
}

#[test]
fn with_validated_landing_entries_are_numbered_at_once_and_reposted_by_reversal() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        s.general.generated_entries = folio::model::settings::EntryLanding::Validated;
    });
    // A draft document has no entry; validating it numbers both.
    let out = folio.ok(&w(
        "doc add --type supplier_invoice --party FSUP --date 2026-03-05 --line 'PORT;;1;80'",
    ));
    assert_eq!(out.trim(), "recorded D1 (supplier_invoice)");
    // A draft shows the total it would post (80 + 16 of VAT), nothing paid.
    assert_due(&folio, "D1", "96.00 0.00 96.00 draft");
    let refused_why = folio.fail(&w("why D1"));
    assert!(
        refused_why.contains("D1 has no entry yet (a draft)"),
        "{refused_why}"
    );
    assert_eq!(
        folio.ok(&w("doc validate D1")).trim(),
        "validated FF2026-00001"
    );
    assert_eq!(entry_of(&folio, "FF2026-00001"), "AC2026-000001");
    assert_posted(
        &folio,
        "FF2026-00001",
        &[
            "C 401000@FSUP 96.00 <- third party FSUP",
            r#"D 626000 80.00 <- family strategy "Frais postaux - achats""#,
            "D 445660 16.00 <- account of tax code D20",
        ],
    );
    change_settings(&folio, |s| {
        s.strategies
            .iter_mut()
            .find(|s| s.name == "Frais postaux - achats")
            .expect("strategy")
            .account = account("624100");
    });
    let out = folio.ok(&["regenerate"]);
    assert_eq!(
        out,
        "FF2026-00001: AC2026-000001 reversed by AC2026-000002, reposted as AC2026-000003\n\
         1 documents examined: 0 unchanged, 0 drafts replaced, 1 reversed and reposted, \
         0 created; left alone: 0 in closed years, 0 in locked periods\n"
    );
    assert_eq!(
        entry_lines(&folio, "AC2026-000001"),
        ["C 401000@FSUP 96.00", "D 626000 80.00", "D 445660 16.00"]
    );
    assert_eq!(
        entry_lines(&folio, "AC2026-000002"),
        ["D 401000@FSUP 96.00", "C 626000 80.00", "C 445660 16.00"]
    );
    assert_eq!(entry_of(&folio, "FF2026-00001"), "AC2026-000003");
    assert_posted(
        &folio,
        "FF2026-00001",
        &[
            "C 401000@FSUP 96.00 <- third party FSUP",
            r#"D 624100 80.00 <- family strategy "Frais postaux - achats""#,
            "D 445660 16.00 <- account of tax code D20",
        ],
    );
    let balances = balances_2026(&folio);
    assert_eq!(balances["626000"], "0.00");
    assert_eq!(balances["624100"], "80.00");
    assert_eq!(balances["401000"], "-96.00");
    let rows = folio.journal_rows("AC --year 2026");
    assert!(rows.iter().all(|r| r["status"] == "validated"), "{rows:?}");
}

// ----- refusals -----------------------------------------------------------------------------

#[test]
fn documents_with_unknown_items_parties_tax_codes_or_rates_are_refused() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        let mut later = tax_like(s, "V20", "V21", "21");
        later.rates = vec![version("2026-07-01", "21")];
        s.taxes.push(later);
    });
    let add = |rest: &str| w(&format!("doc add --validate {rest}"));
    refused(
        &folio,
        &add("--type customer_invoice --party CACME --date 2026-03-01 --line 'NOPE;;1;10'"),
        &["item: unknown item NOPE"],
    );
    refused(
        &folio,
        &add("--type customer_invoice --party NOBODY --date 2026-03-01 --line 'PORT;;1;10'"),
        &["unknown third party NOBODY"],
    );
    refused(
        &folio,
        &add("--type customer_invoice --party CACME --date 2026-03-01 --line ';Truc;1;10;;V99'"),
        &["tax_code: unknown tax code V99"],
    );
    refused(
        &folio,
        &add("--type customer_invoice --party CACME --date 2026-06-30 --line ';Truc;1;10;;V21'"),
        &["tax_code: tax code V21 has no rate valid on 2026-06-30"],
    );
    // A draft is checked the same way.
    refused(
        &folio,
        &w(
            "doc add --type customer_invoice --party CACME --date 2026-06-30 \
            --line ';Truc;1;10;;V21'",
        ),
        &["tax code V21 has no rate valid on 2026-06-30"],
    );
    refused(
        &folio,
        &add("--type customer_invoice --party CACME --date 2026-03-01 --line ';Truc;1;10;;D20'"),
        &["tax code D20 is deductible and cannot be used in a sale document"],
    );
    refused(
        &folio,
        &add("--type customer_invoice --party FSUP --date 2026-03-01 --line 'PORT;;1;10'"),
        &["FSUP is a supplier, a customer_invoice needs a customer"],
    );
    // From 1 July the code has a rate.
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-07-01 --line ';Truc;1;10;;V21'",
    );
    assert_due(&folio, "FA2026-00001", "12.10 0.00 12.10 unpaid");
}

#[test]
fn payments_refuse_unknown_methods_over_allocations_and_frozen_fields() {
    let folio = Folio::blank();
    let first = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';A;1;100;;V20'",
    );
    let second = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-03 --line ';B;1;200;;V20'",
    );
    let pay = |rest: &str| {
        w(&format!(
            "pay add --type customer_payment --party CACME {rest}"
        ))
    };
    refused(
        &folio,
        &pay("--date 2026-03-10 --amount 50 --method bitcoin"),
        &["method: unknown payment method bitcoin"],
    );
    refused(
        &folio,
        &pay("--date 2026-03-10 --amount 50"),
        &["method: required (the third party has no default method)"],
    );
    refused(
        &folio,
        &pay(&format!(
            "--date 2026-03-10 --amount 200 --method transfer --allocate {first}=150"
        )),
        &["allocated: 150.00 allocated to FA2026-00001 is more than the 120.00 due on it"],
    );
    refused(
        &folio,
        &pay(&format!(
            "--date 2026-03-10 --amount 100 --method transfer --allocate {first}=60 \
             --allocate {second}=60"
        )),
        &["allocated: allocations of 120.00 exceed the payment of 100.00"],
    );
    refused(
        &folio,
        &pay("--date 2026-03-10 --amount 100 --method transfer --allocate FA2026-00009=60"),
        &["allocate_to: no document FA2026-00009 of third party CACME"],
    );
    refused(
        &folio,
        &w(&format!(
            "pay add --type customer_refund --party CACME --date 2026-03-10 --amount 10 \
             --method transfer --allocate {first}=10"
        )),
        &["a customer_refund cannot be allocated to FA2026-00001 (customer_invoice)"],
    );

    let payment = add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-10 --amount 100 --method transfer --allocate {first}=80"
        ),
    );
    // Later allocations: beyond the payment, beyond what is due.
    refused(
        &folio,
        &["pay", "allocate", &payment, &format!("{second}=30")],
        &["allocated: allocations of 110.00 exceed the payment of 100.00"],
    );
    refused(
        &folio,
        &["pay", "allocate", &payment, &format!("{first}=45")],
        &["allocated: 125.00 allocated to FA2026-00001 is more than the 120.00 due on it"],
    );
    // Date, party, amount and method are frozen; the reference is not.
    for (option, value) in [
        ("amount", "10"),
        ("date", "2026-03-11"),
        ("method", "cheque"),
        ("party", "FSUP"),
    ] {
        refused(
            &folio,
            &["pay", "edit", &payment, &format!("--{option}"), value],
            &[&format!(
                "{option}: the {option} of registered payment {payment} is frozen: only its \
                 allocation and reference can change"
            )],
        );
    }
    refused(
        &folio,
        &[
            "pay",
            "edit",
            &payment,
            "--reference",
            "VIR 1",
            "--amount",
            "10",
        ],
        &["is frozen"],
    );
    let out = folio.ok(&["pay", "edit", &payment, "--reference", "VIR 1"]);
    assert_eq!(out.trim(), format!("edited {payment}"));
    folio.ok(&["pay", "allocate", &payment, &format!("{second}=20")]);
    assert_due(&folio, &payment, "100.00 100.00 0.00 registered");
    assert_due(&folio, &first, "120.00 80.00 40.00 partially paid");
    assert_due(&folio, &second, "240.00 20.00 220.00 partially paid");
}

#[test]
fn documents_and_payments_in_a_closed_year_or_a_locked_period_are_refused() {
    let folio = Folio::empty();
    folio.ok(&w(&format!(
        "init --name 'Test SARL' --siren {SIREN} --start 2025-01-01"
    )));
    folio.ok(&w("year open"));
    folio.ok(&w("parties add CACME Acme --kind customer"));
    let old = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2025-11-10 --line ';A;1;100;;V20'",
    );
    folio.ok(&w("validate --all"));
    folio.ok(&w("year close 2025"));
    folio.ok(&w("period lock 2026-01"));
    let closed = "fiscal year 2025 is closed: it accepts nothing and cannot be reopened";
    refused(
        &folio,
        &w("doc add --type customer_invoice --party CACME --date 2025-12-01 --line ';A;1;10'"),
        &[closed],
    );
    refused(
        &folio,
        &w(
            "doc add --validate --type customer_invoice --party CACME --date 2026-01-15 \
            --line ';A;1;10'",
        ),
        &["period 2026-01 is locked"],
    );
    refused(
        &folio,
        &w(&format!(
            "pay add --type customer_payment --party CACME --date 2025-12-20 --amount 120 \
             --method transfer --allocate {old}=120"
        )),
        &[closed],
    );
    refused(
        &folio,
        &w(
            "pay add --type customer_payment --party CACME --date 2026-01-20 --amount 120 \
            --method transfer",
        ),
        &["period 2026-01 is locked"],
    );
    // A draft recorded before the lock cannot be validated into it.
    folio.ok(&w("period unlock 2026-01"));
    let out = folio.ok(&w(
        "doc add --type customer_invoice --party CACME --date 2026-01-15 --line ';A;1;10'",
    ));
    assert_eq!(out.trim(), "recorded D2 (customer_invoice)");
    folio.ok(&w("period lock 2026-01"));
    refused(&folio, &w("doc validate D2"), &["period 2026-01 is locked"]);
    // Paid in an open period, the old invoice is settled.
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-02-20 --amount 120 \
             --method transfer --allocate {old}=120"
        ),
    );
    assert_due(&folio, &old, "120.00 120.00 0.00 paid");
}

#[test]
fn bad_settings_are_refused_with_the_key_and_nothing_changes() {
    let folio = Folio::blank();
    let exported = folio.ok(&w("settings export"));

    // An unknown key, with the file and line.
    let text = exported.replacen(
        "suspense_account = \"471000\"\n",
        "suspense_account = \"471000\"\ncolour = \"blue\"\n",
        1,
    );
    assert_ne!(text, exported);
    let file = folio.write("unknown.toml", &text);
    // The line is one too low: see `settings_errors_name_the_right_line`.
    refused(
        &folio,
        &["settings", "load", &file],
        &[
            "unknown.toml:",
            ": settings: unknown field `colour`, expected `generated_entries` or \
             `suspense_account`",
        ],
    );

    // A strategy to an account missing from the chart.
    let mut bad = settings(&folio);
    let index = bad.strategies.len();
    bad.strategies.push(family_strategy(
        "Services 20 %",
        "SERVICES",
        Context::Purchase,
        Some("20"),
        "604999",
    ));
    let file = folio.write("missing.toml", toml::to_string_pretty(&bad).expect("toml"));
    refused(
        &folio,
        &["settings", "load", &file],
        &[&format!(
            "strategies[{index}].account: account 604999 does not exist"
        )],
    );

    // Two strategies for the same family, context and rate.
    let mut twice = settings(&folio);
    let index = twice.strategies.len();
    twice.strategies.push(family_strategy(
        "Frais postaux bis",
        "FRAIS_POSTAUX",
        Context::Purchase,
        None,
        "624100",
    ));
    let file = folio.write("twice.toml", toml::to_string_pretty(&twice).expect("toml"));
    refused(
        &folio,
        &["settings", "load", &file],
        &[&format!(
            "strategies[{index}]: a second strategy for family FRAIS_POSTAUX, purchase \
             context, rate any"
        )],
    );
    // Same rate written two ways is the same rate.
    let mut rates = settings(&folio);
    let index = rates.strategies.len() + 1;
    rates.strategies.extend([
        family_strategy("A", "SERVICES", Context::Sale, Some("20"), "706000"),
        family_strategy("B", "SERVICES", Context::Sale, Some("20.0"), "706000"),
    ]);
    let file = folio.write("rates.toml", toml::to_string_pretty(&rates).expect("toml"));
    refused(
        &folio,
        &["settings", "load", &file],
        &[&format!(
            "strategies[{index}]: a second strategy for family SERVICES, sale context, rate 20"
        )],
    );
    // A tax code without rates, an unknown family.
    let mut no_rate = settings(&folio);
    no_rate.taxes[2].rates.clear();
    let file = folio.write(
        "norate.toml",
        toml::to_string_pretty(&no_rate).expect("toml"),
    );
    refused(
        &folio,
        &["settings", "load", &file],
        &["taxes[2].rates: a tax code needs at least one rate"],
    );
    let mut no_family = settings(&folio);
    no_family.items[0].family = Some("NOPE".into());
    let file = folio.write(
        "nofamily.toml",
        toml::to_string_pretty(&no_family).expect("toml"),
    );
    refused(
        &folio,
        &["settings", "load", &file],
        &["items[0].family: unknown family NOPE"],
    );
    assert_eq!(folio.ok(&w("settings export")), exported);
}

/// Was a bug: an unknown key at the start of a line is reported one line too early (the line
/// count of the text before the key misses the key's own line), and a settings file that
/// parses but breaks a rule is reported at line 0 (`twice.toml:0: strategies[7]: …`), a line
/// no file has.
#[test]
fn settings_errors_name_the_right_line() {
    let folio = Folio::blank();
    let exported = folio.ok(&w("settings export"));
    let text = exported.replacen(
        "suspense_account = \"471000\"\n",
        "suspense_account = \"471000\"\ncolour = \"blue\"\n",
        1,
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("colour"))
        .expect("colour")
        + 1;
    let file = folio.write("unknown.toml", &text);
    refused(
        &folio,
        &["settings", "load", &file],
        &[&format!(
            "unknown.toml:{line}: settings: unknown field `colour`"
        )],
    );
    let mut twice = settings(&folio);
    twice.strategies.push(family_strategy(
        "Frais postaux bis",
        "FRAIS_POSTAUX",
        Context::Purchase,
        None,
        "624100",
    ));
    let file = folio.write("twice.toml", toml::to_string_pretty(&twice).expect("toml"));
    let message = refused(&folio, &["settings", "load", &file], &["strategies[7]"]);
    assert!(!message.contains(":0:"), "{message}");
}

#[test]
fn a_documents_csv_with_a_bad_row_is_refused_whole() {
    let folio = Folio::blank();
    const HEADER: &str =
        "type,document,date,party,reference,item,label,quantity,unit_price,discount,tax_code\n";
    let good = "customer_invoice,F1,2026-03-05,CACME,,PORT,,1,10,,\n";
    let cases = [
        (
            "customer_invoice,F2,2026-03-05,CACME,,PORT,,abc,10,,\n",
            "docs.csv:3: quantity: `abc` is not a number",
        ),
        (
            "customer_invoice,F2,2026-03-05,CACME,,NOPE,,1,10,,\n",
            "docs.csv:3: item: unknown item NOPE",
        ),
        (
            "customer_invoice,F2,2026-03-05,CACME,,,Truc,1,10,,V99\n",
            "docs.csv:3: tax_code: unknown tax code V99",
        ),
        (
            "customer_invoice,F2,2026-03-05,NOBODY,,PORT,,1,10,,\n",
            "docs.csv:3:",
        ),
        (
            "customer_invoice,F2,2026-13-05,CACME,,PORT,,1,10,,\n",
            "docs.csv:3: date:",
        ),
        (
            "customer_invoice,F2,2026-03-05,CACME,,PORT,,1,10.00001,,\n",
            "docs.csv:3: unit_price:",
        ),
        (
            "customer_payment,F2,2026-03-05,CACME,,PORT,,1,10,,\n",
            "docs.csv:3: type:",
        ),
    ];
    for (row, expected) in cases {
        let file = folio.write("docs.csv", format!("{HEADER}{good}{row}"));
        refused(&folio, &["doc", "import", &file, "--validate"], &[expected]);
        refused(&folio, &["doc", "import", &file], &[expected]);
    }
    let file = folio.write("docs.csv", format!("{HEADER}{good}"));
    let out = folio.ok(&["doc", "import", &file, "--validate"]);
    assert_eq!(out.trim(), "imported 1 documents, validated and posted");
    assert_posted(
        &folio,
        "FA2026-00001",
        &[
            "D 411000@CACME 12.00 <- third party CACME",
            r#"C 708500 10.00 <- family strategy "Frais postaux - ventes""#,
            "C 445710 2.00 <- account of tax code V20",
        ],
    );
    // The reference defaults to the document's key in the file.
    assert_eq!(
        shown(&folio, "FA2026-00001")["document"]["document"]["reference"],
        "F1"
    );
}

/// Was a bug: an error on the second row of a document (or the second allocation of a payment) is
/// reported at the document's first row.
#[test]
fn a_bad_second_row_of_a_document_is_reported_at_its_own_line() {
    let folio = Folio::blank();
    let file = folio.write(
        "docs.csv",
        "type,document,date,party,reference,item,label,quantity,unit_price,discount,tax_code\n\
         customer_invoice,F1,2026-03-05,CACME,,PORT,,1,10,,\n\
         customer_invoice,F1,2026-03-05,CACME,,NOPE,,1,10,,\n",
    );
    refused(
        &folio,
        &["doc", "import", &file],
        &["docs.csv:3: item: unknown item NOPE"],
    );
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';A;1;100;;V20'",
    );
    let file = folio.write(
        "pay.csv",
        "type,payment,date,party,amount,method,reference,allocate_to,allocated\n\
         customer_payment,R1,2026-03-06,CACME,10,transfer,,FA2026-00001,5\n\
         customer_payment,R1,2026-03-06,CACME,10,transfer,,FA2026-00009,5\n",
    );
    refused(
        &folio,
        &["pay", "import", &file],
        &["pay.csv:3: allocate_to: no document FA2026-00009 of third party CACME"],
    );
}

#[test]
fn a_payments_csv_with_a_bad_row_is_refused_whole() {
    let folio = Folio::blank();
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';A;1;100;;V20'",
    );
    const HEADER: &str = "type,payment,date,party,amount,method,reference,allocate_to,allocated\n";
    let good = "customer_payment,R1,2026-03-06,CACME,50,transfer,,FA2026-00001,50\n";
    let cases = [
        (
            "customer_payment,R2,2026-03-07,CACME,10,transfer,,FA2026-00001,1O\n",
            "pay.csv:3: allocated: `1O` is not a number",
        ),
        (
            "customer_payment,R2,2026-03-07,CACME,10,bitcoin,,,\n",
            "pay.csv:3: method: unknown payment method bitcoin",
        ),
        (
            "customer_payment,R2,2026-03-07,CACME,100,transfer,,FA2026-00001,100\n",
            "pay.csv:3: allocated: 100.00 allocated to FA2026-00001 is more than the 70.00 due \
             on it",
        ),
    ];
    for (row, expected) in cases {
        let file = folio.write("pay.csv", format!("{HEADER}{good}{row}"));
        refused(&folio, &["pay", "import", &file], &[expected]);
    }
    let file = folio.write("pay.csv", format!("{HEADER}{good}"));
    assert_eq!(
        folio.ok(&["pay", "import", &file]).trim(),
        "registered 1 payments"
    );
    assert_due(&folio, "FA2026-00001", "120.00 50.00 70.00 partially paid");
}

/// Was a bug: on a ledger where no document was ever recorded, listing documents or payments,
/// showing one, or explaining a manual entry fails with a storage error: the document tables
/// are only created by the first command that writes a document (or by `regenerate`).
#[test]
fn document_lists_work_on_a_new_ledger() {
    let folio = Folio::blank();
    folio.ok(&w(
        "entry add -j OD -d 2026-03-01 -p M1 --debit 626000=1 --credit 530000=1 --validate",
    ));
    let header = "number,type,date,party,reference,total,allocated,remaining,status\n";
    assert_eq!(folio.ok(&w("doc list --format csv")), header);
    assert_eq!(folio.ok(&w("pay list --format csv")), header);
    folio.refuses(&w("doc show FA2026-00001"), &["no document FA2026-00001"]);
    let why = folio.ok(&w("why OD2026-000001"));
    assert!(why.contains("typed by hand (manual entry)"), "{why}");
}

// ----- settings round trip ------------------------------------------------------------------

#[test]
fn settings_export_then_load_round_trips() {
    let folio = Folio::blank();
    let first = folio.ok(&w("settings export --out first.toml"));
    assert_eq!(first.trim(), "wrote first.toml");
    let exported = std::fs::read_to_string(folio.path("first.toml")).expect("first.toml");
    assert_eq!(folio.ok(&w("settings export")), exported);
    folio.ok(&w("settings load first.toml"));
    folio.ok(&w("settings export --out second.toml"));
    let again = std::fs::read_to_string(folio.path("second.toml")).expect("second.toml");
    assert_eq!(again, exported);

    // The commented default file loads to the same settings.
    let default = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/settings/default.toml"
    );
    folio.ok(&["settings", "load", default]);
    assert_eq!(folio.ok(&w("settings export")), exported);

    // Richer settings (tax strategies, dated rates, item strategies) round-trip too.
    change_settings(&folio, |s| {
        add_d0(s);
        s.taxes
            .iter_mut()
            .find(|t| t.code == "V10")
            .expect("V10")
            .rates
            .push(version("2026-07-01", "12"));
        s.strategies.push(item_strategy(
            "Port sur achats",
            "PORT",
            Context::Purchase,
            "624100",
        ));
        s.tax_strategies.extend([
            tax_strategy("TVA déductible 20 %", "20", "4456601", None),
            tax_strategy("TVA sur port", "20", "4456602", Some("Port sur achats")),
        ]);
    });
    let rich = folio.ok(&w("settings export"));
    assert_ne!(rich, exported);
    folio.write("rich.toml", &rich);
    folio.ok(&w("settings load rich.toml"));
    assert_eq!(folio.ok(&w("settings export")), rich);
    let log = folio.ok(&w("log all --format csv"));
    assert!(log.contains("settings.load"), "{log}");
}

// ----- tax strategies and VAT due on payment, regeneration order, generated entries ---------

/// The output of `folio regenerate` when nothing changes.
fn regenerate_unchanged(examined: u64) -> String {
    format!(
        "{examined} documents examined: {examined} unchanged, 0 drafts replaced, \
         0 reversed and reposted, 0 created; left alone: 0 in closed years, 0 in locked periods"
    )
}

#[track_caller]
fn assert_check_ok(folio: &Folio) {
    let out = folio.ok(&["check"]);
    assert!(out.contains(" 0 findings"), "folio check:\n{out}");
}

/// Was a bug: with a tax strategy for the rate, VAT due on payment went to the strategy's
/// account at once and the payment moved it again from the pending account: 400 of
/// deductible VAT for 200 of tax, 445640 at -200.
#[test]
fn a_tax_strategy_with_vat_due_on_payment_waits_on_the_pending_account() {
    let folio = Folio::blank();
    folio.ok(&w("accounts add 4457101 'TVA collectée - taux normal'"));
    change_settings(&folio, |s| {
        s.tax_strategies
            .push(tax_strategy("TVA déductible 20 %", "20", "4456601", None));
        let mut sale = tax_strategy("TVA collectée 20 %", "20", "4457101", None);
        sale.context = Context::Sale;
        s.tax_strategies.push(sale);
    });
    let purchase = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-02 --line ';Maintenance;1;1000;;D20E'",
    );
    assert_posted(
        &folio,
        &purchase,
        &[
            "C 401000@FSUP 1200.00 <- third party FSUP",
            "D 607000 1000.00 <- default account for supplier_invoice",
            r#"D 445640 200.00 <- pending account of tax code D20E (VAT due on payment, then tax strategy "TVA déductible 20 %")"#,
        ],
    );
    // Two payments: 600 moves 100.00, the rest moves the other 100.00, to 4456601.
    let rule = format!("VAT D20E of {purchase} due on payment");
    for date in ["2026-03-10", "2026-04-10"] {
        let payment = add_pay(
            &folio,
            &format!(
                "--type supplier_payment --party FSUP --date {date} --amount 600 \
                 --method transfer --allocate {purchase}=600"
            ),
        );
        assert_posted(
            &folio,
            &payment,
            &[
                "D 401000@FSUP 600.00 <- third party FSUP",
                "C 512000 600.00 <- treasury account of payment method transfer",
                &format!("D 4456601 100.00 <- {rule}"),
                &format!("C 445640 100.00 <- {rule}"),
            ],
        );
        assert_check_ok(&folio);
    }
    let sale = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-05-04 --line ';Conseil;1;1000;;V20E'",
    );
    assert_posted(
        &folio,
        &sale,
        &[
            "D 411000@CACME 1200.00 <- third party CACME",
            "C 706000 1000.00 <- default account for customer_invoice",
            r#"C 445740 200.00 <- pending account of tax code V20E (VAT due on payment, then tax strategy "TVA collectée 20 %")"#,
        ],
    );
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-05-20 --amount 1200 \
             --method transfer --allocate {sale}=1200"
        ),
    );
    let balances = balances_2026(&folio);
    assert_eq!(balances["445640"], "0.00");
    assert_eq!(balances["4456601"], "200.00");
    assert_eq!(balances["445740"], "0.00");
    assert_eq!(balances["4457101"], "-200.00");
    assert!(!balances.contains_key("445660") || balances["445660"] == "0.00");
    assert!(!balances.contains_key("445710") || balances["445710"] == "0.00");
    assert_check_ok(&folio);
    assert_eq!(folio.ok(&["regenerate"]).trim(), regenerate_unchanged(5));
}

/// Lowers V20E to 10 % for every date, so that invoices taxed with it are posted again.
fn v20e_at_10_percent(folio: &Folio) {
    change_settings(folio, |s| {
        let v20e = s.taxes.iter_mut().find(|t| t.code == "V20E").expect("V20E");
        v20e.rates = vec![version("2000-01-01", "10")];
    });
}

/// Was a bug: a payment dated before its invoice was replayed first, against the invoice's
/// old taxes, so a second `regenerate` changed it again.
#[test]
fn regenerate_reaches_the_fixed_point_in_one_run_with_an_advance_dated_before_its_invoice() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-10 --line ';Conseil;1;1000;;V20E'",
    );
    let advance = add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-01 --amount 600 \
             --method transfer --allocate {invoice}=600"
        ),
    );
    v20e_at_10_percent(&folio);
    let first = folio.ok(&["regenerate"]);
    assert!(
        first.contains("2 documents examined: 0 unchanged, 2 drafts replaced"),
        "{first}"
    );
    // 100 of VAT on 1,100: the advance of 600 moves 100 × 600 / 1,100 = 54.55.
    let rule = format!("VAT V20E of {invoice} due on payment");
    assert_posted(
        &folio,
        &advance,
        &[
            "D 512000 600.00 <- treasury account of payment method transfer",
            "C 411000@CACME 600.00 <- third party CACME",
            &format!("D 445740 54.55 <- {rule}"),
            &format!("C 445710 54.55 <- {rule}"),
        ],
    );
    assert_eq!(folio.ok(&["regenerate"]).trim(), regenerate_unchanged(2));
    assert_check_ok(&folio);
}

/// Was a bug: `regenerate --document INVOICE` left the payments allocated to it posted
/// against its old taxes.
#[test]
fn regenerating_one_invoice_replays_the_payments_allocated_to_it() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20E'",
    );
    let payment = add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-20 --amount 600 \
             --method transfer --allocate {invoice}=600"
        ),
    );
    v20e_at_10_percent(&folio);
    let out = folio.ok(&["regenerate", "--document", &invoice]);
    assert!(out.contains(&format!("{invoice}: draft")), "{out}");
    assert!(out.contains(&format!("{payment}: draft")), "{out}");
    assert!(out.contains("2 documents examined"), "{out}");
    let rule = format!("VAT V20E of {invoice} due on payment");
    assert_posted(
        &folio,
        &payment,
        &[
            "D 512000 600.00 <- treasury account of payment method transfer",
            "C 411000@CACME 600.00 <- third party CACME",
            &format!("D 445740 54.55 <- {rule}"),
            &format!("C 445710 54.55 <- {rule}"),
        ],
    );
    assert_eq!(folio.ok(&["regenerate"]).trim(), regenerate_unchanged(2));
    assert_check_ok(&folio);
}

/// Was a bug: reversing an invoice's entry by hand was accepted; the invoice still showed
/// 1,200 due while 411 was at 0, and regenerate called it unchanged.
#[test]
fn a_generated_entry_cannot_be_reversed_by_hand() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        s.general.generated_entries = folio::model::settings::EntryLanding::Validated;
    });
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20'",
    );
    let entry = entry_of(&folio, &invoice);
    assert_eq!(entry, "VE2026-000001");
    let message = refused(
        &folio,
        &["reverse", &entry],
        &[
            "VE2026-000001 was generated from document FA2026-00001",
            "cannot be reversed by hand",
            "credit note (folio doc add --type customer_credit_note",
            "folio regenerate",
        ],
    );
    assert!(!message.contains('\u{1b}'), "{message}");
    assert_due(&folio, &invoice, "1200.00 0.00 1200.00 unpaid");
    assert_eq!(folio.ok(&["regenerate"]).trim(), regenerate_unchanged(1));
}

/// Was a bug: a product with no family went to 706000 (services) instead of 707000.
#[test]
fn a_line_without_strategy_goes_to_the_default_account_of_its_items_kind() {
    let folio = Folio::blank();
    change_settings(&folio, |s| {
        s.items.push(item("LAMPE", None, Some("V20"), Some("D20")));
        let mut audit = item("AUDIT", None, Some("V20"), Some("D20"));
        audit.kind = folio::model::settings::ItemKind::Service;
        s.items.push(audit);
    });
    let sale = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 \
         --line 'LAMPE;;2;50' --line 'AUDIT;;1;300' --line ';Sans article;1;10;;V20'",
    );
    assert_posted(
        &folio,
        &sale,
        &[
            "D 411000@CACME 492.00 <- third party CACME",
            "C 707000 100.00 <- default account for goods of customer_invoice",
            "C 706000 300.00 <- default account for services of customer_invoice",
            "C 706000 10.00 <- default account for customer_invoice",
            "C 445710 82.00 <- account of tax code V20",
        ],
    );
    let purchase = add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-03-02 \
         --line 'LAMPE;;2;50' --line 'AUDIT;;1;300'",
    );
    assert_posted(
        &folio,
        &purchase,
        &[
            "C 401000@FSUP 480.00 <- third party FSUP",
            "D 607000 100.00 <- default account for goods of supplier_invoice",
            "D 604000 300.00 <- default account for services of supplier_invoice",
            "D 445660 80.00 <- account of tax code D20",
        ],
    );
    // Settings written before the defaults per kind still load: such lines then keep the
    // document type's default account.
    let text = folio.ok(&w("settings export"));
    let old: String = text
        .lines()
        .filter(|l| {
            !l.starts_with("default_goods_account") && !l.starts_with("default_services_account")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(old, text);
    let file = folio.write("old-settings.toml", old);
    folio.ok(&["settings", "load", &file]);
    let again = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-03 --line 'LAMPE;;1;50'",
    );
    assert_posted(
        &folio,
        &again,
        &[
            "D 411000@CACME 60.00 <- third party CACME",
            "C 706000 50.00 <- default account for customer_invoice",
            "C 445710 10.00 <- account of tax code V20",
        ],
    );
}

/// `regenerate --year` replays with the year's documents the payments of other years
/// allocated to them: they read those documents' taxes.
#[test]
fn regenerating_a_year_replays_the_payments_of_the_next_year_allocated_to_its_documents() {
    let folio = Folio::blank();
    folio.ok(&w("year open"));
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-12-15 --line ';Conseil;1;1000;;V20E'",
    );
    let payment = add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2027-01-15 --amount 600 \
             --method transfer --allocate {invoice}=600"
        ),
    );
    v20e_at_10_percent(&folio);
    let out = folio.ok(&w("regenerate --year 2026"));
    assert!(out.contains(&format!("{payment}: draft")), "{out}");
    assert!(out.contains("2 documents examined"), "{out}");
    assert_eq!(folio.ok(&["regenerate"]).trim(), regenerate_unchanged(2));
    assert_check_ok(&folio);
}
