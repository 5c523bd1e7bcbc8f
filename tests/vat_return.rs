//! The CA3 worksheet through the real `folio` binary: hand-computed returns from documents
//! and hand-tagged entries, a box's lines, settlement, filing and their refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::*;

fn add_doc(folio: &Folio, args: &str) -> String {
    let out = folio.ok(&w(&format!("doc add --validate {args}")));
    out.trim()
        .strip_prefix("recorded ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{out}"))
        .to_string()
}

/// The CSV return of a period: box -> (base, tax).
fn boxes(folio: &Folio, period: &str) -> BTreeMap<String, (String, String)> {
    let out = folio.ok(&w(&format!("vat return --period {period} --format csv")));
    assert!(out.starts_with("box,label,base,tax\n"), "{out}");
    csv_records(&out)
        .into_iter()
        .map(|r| (r["box"].clone(), (r["base"].clone(), r["tax"].clone())))
        .collect()
}

/// Only the boxes that are not zero or empty, as `BOX=base/tax`.
fn nonzero(folio: &Folio, period: &str) -> Vec<String> {
    boxes(folio, period)
        .into_iter()
        .filter(|(_, (b, t))| !(b.is_empty() || b == "0") || !(t.is_empty() || t == "0"))
        .map(|(k, (b, t))| format!("{k}={b}/{t}"))
        .collect()
}

fn blank_with_eu() -> Folio {
    let folio = Folio::blank();
    folio.ok(&w(
        "parties add CEU 'Luce Srl' --kind customer --tax-position EU_CUSTOMER",
    ));
    folio.ok(&w(
        "parties add CEX 'Far Away Inc' --kind customer --tax-position EXPORT",
    ));
    folio.ok(&w(
        "parties add FEU 'Lichtwerk GmbH' --kind supplier --tax-position EU_SUPPLIER",
    ));
    folio
}

#[test]
fn debits_return_with_rates_exempt_supplies_exports_and_reverse_charge() {
    let folio = blank_with_eu();
    // Sales on débits: 1000.40 at 20 % (tax 200.08) and 300 at 5.5 % (16.50).
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-02 --line ';Lampe;1;1000.40;;V20' --line ';Livre;1;300;;V55'",
    );
    // An exempt intra-EU supply (F2) and an export (E1).
    add_doc(
        &folio,
        "--type customer_invoice --party CEU --date 2026-10-05 --line ';Lampe;1;620.60;;V20'",
    );
    add_doc(
        &folio,
        "--type customer_invoice --party CEX --date 2026-10-06 --line ';Lampe;1;3361;;V20'",
    );
    // An intra-EU acquisition of goods: 2113 at 20 %, reverse charged (422.60).
    add_doc(
        &folio,
        "--type supplier_invoice --party FEU --date 2026-10-07 --line ';Verre;1;2113;;D20'",
    );
    // A domestic purchase: 500 at 20 % (100.00 deductible).
    add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-10-08 --line ';Carton;1;500;;D20'",
    );
    // 08: base 1000.40 + 2113 = 3113.40 -> 3113, tax 200.08 + 422.60 = 622.68 -> 623.
    // 09: 300 -> 300, 16.50 -> 17. 16 = 623 + 17 = 640. 17 = 423. 20 = 422.60 + 100 = 522.60
    // -> 523. 28 = 640 - 523 = 117.
    assert_eq!(
        nonzero(&folio, "2026-10"),
        [
            "08=3113/623",
            "09=300/17",
            "16=/640",
            "17=/423",
            "20=/523",
            "23=/523",
            "28=/117",
            "32=/117",
            "A1=1300/",
            "B2=2113/",
            "E1=3361/",
            "F2=621/",
        ]
    );
    let table = folio.ok(&w("vat return --period 2026-10"));
    assert!(
        table.contains("checks: the VAT accounts agree with the boxes"),
        "{table}"
    );
    // Every box drills down to its lines.
    let lines = csv_records(&folio.ok(&w("vat return --period 2026-10 --lines 17 --format csv")));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["account"], "445200");
    assert_eq!(lines[0]["tax"], "422.60");
    assert!(lines[0]["document"].starts_with("document:"), "{lines:?}");
    let a1 = csv_records(&folio.ok(&w("vat return --period 2026-10 --lines A1 --format csv")));
    let a1_sum: i64 = a1.iter().map(|r| cents(&r["base"])).sum();
    assert_eq!(a1_sum, 130040, "{a1:?}");
    assert_check_clean(&folio);
}

#[test]
fn encaissements_count_vat_when_paid_with_bases_in_proportion() {
    let folio = Folio::blank();
    // Services on encaissements: 1000 + 200 VAT, paid 600 in October and 600 in November.
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-01 --line ';Conseil;1;1000;;V20E'",
    );
    folio.ok(&w(&format!(
        "pay add --type customer_payment --party CACME --date 2026-10-20 --amount 600 --method transfer --allocate {invoice}=600"
    )));
    folio.ok(&w(&format!(
        "pay add --type customer_payment --party CACME --date 2026-11-20 --amount 600 --method transfer --allocate {invoice}=600"
    )));
    // October: half the VAT (100) and half the base (500).
    assert_eq!(
        nonzero(&folio, "2026-10"),
        ["08=500/100", "16=/100", "28=/100", "32=/100", "A1=500/"]
    );
    assert_eq!(
        nonzero(&folio, "2026-11"),
        ["08=500/100", "16=/100", "28=/100", "32=/100", "A1=500/"]
    );
    let table = folio.ok(&w("vat return --period 2026-10"));
    assert!(
        table.contains("checks: the VAT accounts agree with the boxes"),
        "{table}"
    );
}

#[test]
fn services_from_abroad_and_hand_tagged_entries_with_rounding() {
    let folio = Folio::blank();
    // A hand-tagged sale: 100.45 + 20.09 VAT.
    folio.ok(&w(
        "entry add -j OD -d 2026-10-03 -p M1 --debit 411000@CACME=120.54 --credit 706000=100.45#V20 --credit 445710=20.09#V20",
    ));
    // A hand-tagged purchase at 10 %: 33.33 + 3.33 VAT.
    folio.ok(&w(
        "entry add -j OD -d 2026-10-04 -p M2 --debit 606100=33.33#D10 --debit 445660=3.33#D10 --credit 401000@FSUP=36.66",
    ));
    // 08: 100.45 -> 100, 20.09 -> 20; 20: 3.33 -> 3; 28 = 17; rounding left to 658/758.
    assert_eq!(
        nonzero(&folio, "2026-10"),
        [
            "08=100/20",
            "16=/20",
            "20=/3",
            "23=/3",
            "28=/17",
            "32=/17",
            "A1=100/"
        ]
    );
    let json = folio.ok(&w("vat return --period 2026-10 --format json"));
    assert!(json.contains("\"status\": \"to_prepare\""), "{json}");
    // An unknown tax code is refused, naming the line and the field.
    let message = folio.refuses(
        &w("entry add -j OD -d 2026-10-05 -p M3 --debit 606100=10#NOPE --credit 401000@FSUP=10"),
        &["tax", "line 1", "NOPE"],
    );
    assert!(message.contains("unknown tax code"), "{message}");
    // Settling: the entry clears 445710 and 445660, rounds to 658/758, 17 to pay on 445510.
    folio.ok(&w("validate --all"));
    let out = folio.ok(&w("vat settle --period 2026-10"));
    assert!(out.contains("445510"), "{out}");
    let balances = folio.nonzero_balances();
    assert_eq!(
        balances.get("445710").map(String::as_str),
        None,
        "{balances:?}"
    );
    assert_eq!(
        balances.get("445660").map(String::as_str),
        None,
        "{balances:?}"
    );
    assert_eq!(
        balances.get("445510").map(String::as_str),
        Some("-17.00"),
        "{balances:?}"
    );
    // 20.09 - 3.33 = 16.76 held, 17 to pay: 0.24 of rounding loss.
    assert_eq!(
        balances.get("658000").map(String::as_str),
        Some("0.24"),
        "{balances:?}"
    );
    assert_check_clean(&folio);
}

#[test]
fn an_untagged_vat_line_is_unexplained_never_counted() {
    let folio = Folio::blank();
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-02 --line ';Lampe;1;1000;;V20'",
    );
    folio.ok(&w(
        "entry add -j OD -d 2026-10-03 -p M1 --debit 411000@CACME=120 --credit 706000=100 --credit 445710=20",
    ));
    assert_eq!(
        nonzero(&folio, "2026-10"),
        ["08=1000/200", "16=/200", "28=/200", "32=/200", "A1=1000/"]
    );
    let table = folio.ok(&w("vat return --period 2026-10"));
    assert!(
        table.contains("unexplained: entry #2 line 3 on 445710 dated 2026-10-03"),
        "{table}"
    );
    assert!(table.contains("account 445710: moved -220.00"), "{table}");
}

#[test]
fn an_untagged_period_is_built_from_the_vat_accounts() {
    let folio = Folio::blank();
    folio.ok(&w(
        "entry add -j OD -d 2026-10-03 -p M1 --debit 411000@CACME=120 --credit 706000=100 --credit 445710=20",
    ));
    assert_eq!(
        nonzero(&folio, "2026-10"),
        ["08=0/20", "16=/20", "28=/20", "32=/20"]
    );
    let table = folio.ok(&w("vat return --period 2026-10"));
    assert!(table.contains("built from the VAT accounts"), "{table}");
    assert!(
        table.contains("445710 -20.00: counted in 08; could not split A1, 08, 09, 9B"),
        "{table}"
    );
}

#[test]
fn a_credit_is_carried_to_the_next_return() {
    let folio = Folio::blank();
    // October: deductible 200 only: credit 200 on line 27.
    add_doc(
        &folio,
        "--type supplier_invoice --party FSUP --date 2026-10-08 --line ';Machine;1;1000;;D20'",
    );
    // November: collected 300 - credit 200 = 100 to pay.
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-11-02 --line ';Lampe;1;1500;;V20'",
    );
    let oct = boxes(&folio, "2026-10");
    assert_eq!(oct["25"].1, "200");
    assert_eq!(oct["27"].1, "200");
    let nov = boxes(&folio, "2026-11");
    assert_eq!(nov["22"].1, "200");
    assert_eq!(nov["28"].1, "100");
    // Settled and filed, the October credit stays what was filed.
    folio.ok(&w("vat settle --period 2026-10"));
    folio.ok(&w("validate --all"));
    folio.ok(&w("vat file --period 2026-10"));
    let nov = boxes(&folio, "2026-11");
    assert_eq!(nov["22"].1, "200");
    let periods = csv_records(&folio.ok(&w("vat periods --year 2026 --format csv")));
    let status: BTreeMap<String, (String, String)> = periods
        .into_iter()
        .map(|r| (r["period"].clone(), (r["status"].clone(), r["net"].clone())))
        .collect();
    assert_eq!(status["2026-10"], ("filed".into(), "-200".into()));
    assert_eq!(status["2026-11"], ("to prepare".into(), "100".into()));
}

#[test]
fn settling_twice_filing_unsettled_and_changing_a_filed_period_are_refused() {
    let folio = Folio::blank();
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-02 --line ';Lampe;1;1000;;V20'",
    );
    folio.refuses(
        &w("vat file --period 2026-10"),
        &["not settled", "vat settle --period 2026-10"],
    );
    folio.ok(&w("vat settle --period 2026-10"));
    folio.refuses(&w("vat settle --period 2026-10"), &["already settled"]);
    // The settlement entry is a draft (the default settings): validate it, then file.
    folio.refuses(&w("vat file --period 2026-10"), &["draft"]);
    folio.ok(&w("validate --all"));
    let out = folio.ok(&w("vat file --period 2026-10"));
    assert!(out.contains("filed 2026-10"), "{out}");
    folio.refuses(&w("vat file --period 2026-10"), &["filed"]);
    folio.refuses(&w("vat settle --period 2026-10"), &["already filed"]);
    // The filed period's months are locked: nothing can be dated in them any more.
    folio.refuses(
        &w("entry add -j OD -d 2026-10-15 -p X --debit 411000@CACME=12 --credit 706000=10#V20 --credit 445710=2#V20"),
        &["2026-10"],
    );
    // A correction goes in the next return: a credit note in November makes 08 negative,
    // written as zero, its tax on line 21.
    add_doc(
        &folio,
        "--type customer_credit_note --party CACME --date 2026-11-03 --line ';Lampe;1;100;;V20'",
    );
    let nov = boxes(&folio, "2026-11");
    assert_eq!(nov["08"], ("0".into(), "0".into()));
    assert_eq!(nov["21"].1, "20");
    // The filed return is unchanged.
    assert_eq!(boxes(&folio, "2026-10")["32"].1, "200");
    let log = folio.ok(&w("log vat:2026-10"));
    assert!(log.contains("vat.file"), "{log}");
    assert_check_clean(&folio);
}

#[track_caller]
fn assert_check_clean(folio: &Folio) {
    let out = folio.ok(&["check"]);
    assert!(out.contains(" 0 findings"), "folio check:\n{out}");
}

#[test]
fn the_entries_csv_tax_column_tags_lines_and_refuses_unknown_codes() {
    let folio = Folio::blank();
    let bad = folio.write(
        "bad.csv",
        "journal,date,piece,label,account,third_party,debit,credit,tax\n\
         OD,2026-10-03,M1,Vente,411000,CACME,120.00,,\n\
         OD,2026-10-03,M1,Vente,706000,,,100.00,V20\n\
         OD,2026-10-03,M1,Vente,445710,,,20.00,V99\n",
    );
    let message = folio.refuses(
        &["import", "entries", &bad],
        &["bad.csv", "4", "tax", "V99"],
    );
    assert!(message.contains("unknown tax code"), "{message}");
    let good = folio.write(
        "good.csv",
        "journal,date,piece,label,account,third_party,debit,credit,tax\n\
         OD,2026-10-03,M1,Vente,411000,CACME,120.00,,\n\
         OD,2026-10-03,M1,Vente,706000,,,100.00,V20\n\
         OD,2026-10-03,M1,Vente,445710,,,20.00,V20\n",
    );
    folio.ok(&["import", "entries", &good]);
    assert_eq!(
        nonzero(&folio, "2026-10"),
        ["08=100/20", "16=/20", "28=/20", "32=/20", "A1=100/"]
    );
    assert_check_clean(&folio);
}

#[test]
fn quarterly_returns_follow_the_company_profile() {
    let folio = Folio::blank();
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-02 --line ';Lampe;1;1000;;V20'",
    );
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-12-30 --line ';Lampe;1;500;;V20'",
    );
    // Monthly by default: a quarter is refused.
    folio.refuses(&w("vat return --period 2026-Q4"), &["monthly"]);
    folio.ok(&w("company edit --vat-periodicity quarterly"));
    assert_eq!(
        nonzero(&folio, "2026-Q4"),
        ["08=1500/300", "16=/300", "28=/300", "32=/300", "A1=1500/"]
    );
    folio.refuses(&w("vat return --period 2026-10"), &["quarterly"]);
    let periods = csv_records(&folio.ok(&w("vat periods --year 2026 --format csv")));
    assert_eq!(periods.len(), 4, "{periods:?}");
}

#[test]
fn services_on_payment_are_noted_when_the_company_opted_for_debits() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-01 --line ';Conseil;1;1000;;V20E'",
    );
    folio.ok(&w(&format!(
        "pay add --type customer_payment --party CACME --date 2026-10-20 --amount 1200 --method transfer --allocate {invoice}=1200"
    )));
    let note = "services taxed on payment though the company opted for débits";
    let table = folio.ok(&w("vat return --period 2026-10"));
    assert!(!table.contains(note), "{table}");
    folio.ok(&w("company edit --vat-debits true"));
    let table = folio.ok(&w("vat return --period 2026-10"));
    // Counted as posted (the accounts follow the posting), with a note to look at.
    assert!(table.contains(note), "{table}");
    assert_eq!(
        boxes(&folio, "2026-10")["08"],
        ("1000".into(), "200".into())
    );
}

type LineKey = (u32, &'static str, u32, &'static str, i32, u64, u32);
type TotalKey = (u32, &'static str, u32, &'static str);
type TotalValue = (i64, i64, i64, u64);

#[test]
fn a_schema_4_ledger_gets_its_vat_index_when_opened() {
    let folio = blank_with_eu();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-01 --line ';Conseil;1;1000;;V20E' --line ';Lampe;1;300;;V55'",
    );
    folio.ok(&w(&format!(
        "pay add --type customer_payment --party CACME --date 2026-10-20 --amount 600 --method transfer --allocate {invoice}=600"
    )));
    add_doc(
        &folio,
        "--type supplier_invoice --party FEU --date 2026-10-07 --line ';Verre;1;2113;;D20'",
    );
    let before = boxes(&folio, "2026-10");
    let lines_before = folio.ok(&w("vat return --period 2026-10 --lines 08 --format csv"));
    {
        // The ledger as schema 4 wrote it: no VAT index.
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().unwrap();
        let tags: redb::TableDefinition<(u64, u32), &[u8]> = redb::TableDefinition::new("vat_tags");
        let lines: redb::TableDefinition<LineKey, (i64, i64)> =
            redb::TableDefinition::new("vat_lines");
        let totals: redb::TableDefinition<TotalKey, TotalValue> =
            redb::TableDefinition::new("vat_totals");
        assert!(txn.delete_table(tags).unwrap());
        assert!(txn.delete_table(lines).unwrap());
        assert!(txn.delete_table(totals).unwrap());
        txn.open_table(META)
            .unwrap()
            .insert("schema", sealed(&[4]).as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    assert_eq!(boxes(&folio, "2026-10"), before);
    assert_eq!(
        folio.ok(&w("vat return --period 2026-10 --lines 08 --format csv")),
        lines_before
    );
    assert_check_clean(&folio);
}

/// The letters of an account's ledger lines, by piece and side.
fn letters(folio: &Folio, account: &str) -> Vec<(String, String, String, String)> {
    let out = folio.ok(&w(&format!("report ledger {account} --format csv")));
    csv_records(&out)
        .into_iter()
        .filter(|r| !r["piece"].is_empty())
        .map(|r| {
            (
                r["piece"].clone(),
                r["third_party"].clone(),
                r["letter"].clone(),
                format!("{}/{}", r["debit"], r["credit"]),
            )
        })
        .collect()
}

#[test]
fn the_vat_to_pay_letters_with_its_payment_to_the_tax_office() {
    let folio = Folio::blank();
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-02 --line ';Lampe;1;1000;;V20'",
    );
    // The settlement puts the tax office's party on its 445510 line, creating the party.
    let out = folio.ok(&w("vat settle --period 2026-10"));
    assert!(out.contains("445510"), "{out}");
    let parties = folio.ok(&w("parties"));
    assert!(
        parties.contains("SIE") && parties.contains("Service des impôts des entreprises"),
        "{parties}"
    );
    let log = folio.ok(&w("log vat:2026-10"));
    assert!(log.contains("third party SIE"), "{log}");
    // The payment to the tax office, an ordinary bank entry on the same party.
    folio.ok(&w(
        "entry add -j BQ -d 2026-11-19 -p 'CA3 2026-10' --debit 445510@SIE=200 --credit 512000=200",
    ));
    folio.ok(&w("validate --all"));
    let out = folio.ok(&w("letter auto"));
    assert!(out.contains("AA"), "{out}");
    let lines = letters(&folio, "445510");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|(piece, party, letter, _)| piece == "CA3 2026-10"
                && party == "SIE"
                && letter == "AA"),
        "{lines:?}"
    );
    assert_check_clean(&folio);
}

#[test]
fn the_tax_office_party_comes_from_the_settings() {
    let folio = Folio::blank();
    let settings = folio.ok(&w("settings export"));
    assert!(
        settings.contains("[vat]\ntax_office_party = \"SIE\""),
        "{settings}"
    );
    let bad = folio.write(
        "bad.toml",
        settings.replace("tax_office_party = \"SIE\"", "tax_office_party = \"sie!\""),
    );
    folio.refuses(
        &["settings", "load", &bad],
        &["vat.tax_office_party", "sie!"],
    );
    folio.ok(&w(
        "parties add DGFIP 'SIE de Lyon' --kind supplier --account 445510",
    ));
    let good = folio.write(
        "good.toml",
        settings.replace("tax_office_party = \"SIE\"", "tax_office_party = \"DGFIP\""),
    );
    folio.ok(&["settings", "load", &good]);
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-02 --line ';Lampe;1;1000;;V20'",
    );
    folio.ok(&w("vat settle --period 2026-10"));
    let lines = letters(&folio, "445510");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].1, "DGFIP");
    // The existing party is used as it is: no SIE is created.
    let codes: Vec<String> = csv_records(&folio.ok(&w("parties --format csv")))
        .into_iter()
        .map(|r| r["code"].clone())
        .collect();
    assert_eq!(codes, ["CACME", "DGFIP", "FSUP"]);
}

#[test]
fn a_reconciliation_rule_posts_the_tax_office_debit_that_letters_with_the_return() {
    const IBAN: &str = "FR7630006000011234567890189";
    let folio = Folio::blank();
    folio.ok(&w(&format!("journals edit BQ --iban {IBAN}")));
    let settings = folio.ok(&w("settings export")).replace("rules = []\n", "")
        + "\n[[reconciliation.rules]]\nname = \"TVA\"\nlabel_contains = \"dgfip\"\nlabel_regex = \"tva|ca3\"\n\
           sign = \"out\"\npost_to = \"445510\"\nparty = \"SIE\"\n\
           label = \"Paiement TVA {date}\"\n";
    let path = folio.write("settings.toml", settings);
    folio.ok(&["settings", "load", &path]);
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-02 --line ';Lampe;1;1000;;V20'",
    );
    folio.ok(&w("vat settle --period 2026-10"));
    // The tax office's debit of line 32 on the November statement.
    let statement = folio.write(
        "nov.sta",
        format!(
            ":20:NOV\n:25:{IBAN}\n:28C:1/1\n:60F:C261031EUR1000,00\n\
             :61:2611191119D200,00NTRFNONREF//R1\n:86:PRLV DGFIP TVA CA3 2026-10\n\
             :62F:C261130EUR800,00\n"
        ),
    );
    folio.ok(&["bank", "import", &statement]);
    let out = folio.ok(&w("bank match"));
    assert!(out.contains("matched 1 of 1 bank lines"), "{out}");
    folio.ok(&w("validate --all"));
    folio.ok(&w("letter auto"));
    let lines = letters(&folio, "445510");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|(_, party, letter, _)| party == "SIE" && letter == "AA"),
        "{lines:?}"
    );
    assert_check_clean(&folio);
}

#[test]
fn the_settlement_may_be_dated_the_day_the_return_is_filed() {
    let folio = Folio::blank();
    add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-10-02 --line ';Lampe;1;1000;;V20'",
    );
    folio.refuses(
        &w("vat settle --period 2026-10 --date 2026-10-30"),
        &["date", "2026-10-30", "before the period ends on 2026-10-31"],
    );
    folio.refuses(
        &w("vat settle --period 2026-10 --date 19/13/2026"),
        &["date", "is not a date"],
    );
    let out = folio.ok(&w("vat settle --period 2026-10 --date 2026-11-16"));
    assert!(out.contains("on 2026-11-16"), "{out}");
    // November's return leaves October's settlement out: no unexplained VAT line.
    let november = folio.ok(&w("vat return --period 2026-11"));
    assert!(!november.contains("untagged"), "{november}");
    assert_eq!(nonzero(&folio, "2026-11"), Vec::<String>::new());
    assert_check_clean(&folio);
}

#[test]
fn a_return_is_settled_after_its_period_and_in_order() {
    let folio = Folio::blank();
    for date in ["2026-08-03", "2026-09-03", "2026-10-02", "2026-11-02"] {
        add_doc(
            &folio,
            &format!(
                "--type customer_invoice --party CACME --date {date} --line ';Lampe;1;1000;;V20'"
            ),
        );
    }
    // The working date is 2026-11-25: November has not ended.
    folio.refuses(
        &w("vat settle --period 2026-11"),
        &["2026-11 has not ended", "ends on 2026-11-30"],
    );
    // The first return Folio settles may be any; after it, each in turn.
    folio.ok(&w("vat settle --period 2026-08"));
    folio.refuses(
        &w("vat settle --period 2026-10"),
        &["settled in order", "settle 2026-09 before 2026-10"],
    );
    folio.ok(&w("vat settle --period 2026-09"));
    folio.ok(&w("vat settle --period 2026-10"));
    let mut folio = folio;
    folio.set_today("2026-12-01");
    folio.ok(&w("vat settle --period 2026-11"));
    assert_check_clean(&folio);
}

#[test]
fn services_from_abroad_and_non_established_suppliers_with_the_default_codes() {
    let folio = Folio::blank();
    folio.ok(&w(
        "parties add FCONSULT 'Nordic Consulting AB' --kind supplier --tax-position FOREIGN_SERVICES",
    ));
    folio.ok(&w(
        "parties add FINSTALL 'Swiss Install AG' --kind supplier --tax-position NON_ESTABLISHED",
    ));
    // Services from abroad: 1500 at 20 %, reverse charged (300), base A3, tax 08, not 17.
    add_doc(
        &folio,
        "--type supplier_invoice --party FCONSULT --date 2026-10-07 --line ';Audit;1;1500;;D20'",
    );
    // A purchase self-assessed under art. 283-1: 400 at 20 % (80), base B4, tax 08.
    add_doc(
        &folio,
        "--type supplier_invoice --party FINSTALL --date 2026-10-08 --line ';Pose;1;400;;D20'",
    );
    // 08: base 1500 + 400 = 1900, tax 380; 16 = 380; 20 = 380 deductible; nothing to pay.
    assert_eq!(
        nonzero(&folio, "2026-10"),
        [
            "08=1900/380",
            "16=/380",
            "20=/380",
            "23=/380",
            "A3=1500/",
            "B4=400/",
        ]
    );
    let table = folio.ok(&w("vat return --period 2026-10"));
    assert!(
        table.contains("checks: the VAT accounts agree with the boxes"),
        "{table}"
    );
    let taxes = folio.ok(&w("taxes"));
    assert!(
        taxes.contains("DAS20") && taxes.contains("A3/08"),
        "{taxes}"
    );
    assert!(
        taxes.contains("DNE20") && taxes.contains("B4/08"),
        "{taxes}"
    );
    assert_check_clean(&folio);
}
