//! Financial statements through the command line: the balance sheet ties (actif = passif),
//! the income statement's result is classes 7 less 6 and, after closing, the 12x account;
//! drafts, layouts and mapping files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::*;

const HEADER: &str = "side,rubrique,label,amount,previous";

/// Rows of a statement CSV, checking its header.
fn statement(folio: &Folio, args: &str) -> Vec<BTreeMap<String, String>> {
    let text = folio.ok(&w(&format!("{args} --format csv")));
    assert!(text.starts_with(&format!("{HEADER}\n")), "{text}");
    csv_records(&text)
}

fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    side: &str,
    rubrique: &str,
) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["side"] == side && r["rubrique"] == rubrique)
        .unwrap_or_else(|| panic!("no row {side},{rubrique} in {rows:#?}"))
}

/// Classes 7 less 6 of the trial balance (a profit is positive), in cents.
fn classes_7_less_6(folio: &Folio, range: &str) -> i64 {
    let text = folio.ok(&w(&format!("report balance --format csv {range}")));
    csv_records(&text)
        .iter()
        .filter(|r| r["account"].starts_with('6') || r["account"].starts_with('7'))
        .map(|r| -cents(&r["balance"]))
        .sum()
}

/// Every rubrique of a side adds up to its TOTAL row.
fn assert_sides_add_up(rows: &[BTreeMap<String, String>], sides: [&str; 2]) {
    for side in sides {
        let sum: i64 = rows
            .iter()
            .filter(|r| r["side"] == side && r["rubrique"] != "TOTAL")
            .map(|r| cents(&r["amount"]))
            .sum();
        assert_eq!(sum, cents(&row(rows, side, "TOTAL")["amount"]), "{side}");
    }
}

#[test]
fn the_demo_balance_sheet_ties_and_its_result_is_classes_7_less_6() {
    let folio = Folio::demo();
    for drafts in ["", " --validated-only"] {
        let sheet = statement(&folio, &format!("report balance-sheet{drafts}"));
        assert_sides_add_up(&sheet, ["actif", "passif"]);
        let actif = cents(&row(&sheet, "actif", "TOTAL")["amount"]);
        let passif = cents(&row(&sheet, "passif", "TOTAL")["amount"]);
        assert_eq!(actif, passif, "actif = passif{drafts}");
        assert!(actif > 0);
        let income = statement(&folio, &format!("report income{drafts}"));
        assert_sides_add_up(&income, ["charges", "produits"]);
        let result = income.iter().find(|r| r["rubrique"] == "RESULTAT").unwrap();
        let expected = classes_7_less_6(&folio, &format!("--year 2026{drafts}"));
        assert_eq!(cents(&result["amount"]), expected, "RESULTAT{drafts}");
        let produits = cents(&row(&income, "produits", "TOTAL")["amount"]);
        let charges = cents(&row(&income, "charges", "TOTAL")["amount"]);
        assert_eq!(produits - charges, expected);
        // The balance sheet's result is the income statement's.
        assert_eq!(
            cents(&row(&sheet, "passif", "resultat")["amount"]),
            expected
        );
        // A first year: nothing beside it.
        assert!(sheet.iter().all(|r| r["previous"].is_empty()));
    }
    // The demo's drafts move the figures.
    let with = statement(&folio, "report income");
    let without = statement(&folio, "report income --validated-only");
    assert_ne!(
        row(&with, "produits", "TOTAL")["amount"],
        row(&without, "produits", "TOTAL")["amount"]
    );
}

#[test]
fn the_abridged_layout_keeps_the_totals_and_json_gives_the_accounts() {
    let folio = Folio::demo();
    let full = statement(&folio, "report balance-sheet");
    let short = statement(&folio, "report balance-sheet --abridged");
    assert!(short.len() < full.len());
    for side in ["actif", "passif"] {
        assert_eq!(
            row(&full, side, "TOTAL")["amount"],
            row(&short, side, "TOTAL")["amount"]
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("report balance-sheet --format json"))).unwrap();
    let lines = json["lines"].as_array().unwrap();
    let bank = lines
        .iter()
        .find(|l| l["rubrique"] == "disponibilites")
        .unwrap();
    assert!(
        bank["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["account"] == "512000"),
        "{bank}"
    );
    let table = folio.ok(&w("report income"));
    assert!(table.contains("CHARGES D'EXPLOITATION"), "{table}");
    assert!(table.contains("TOTAL PRODUITS"), "{table}");
}

/// A year with a profit of 630: sales 1 000, purchases 300, fees 70; capital 2 000.
fn books() -> Folio {
    let folio = Folio::blank().with_today("2026-12-31");
    for args in [
        "entry add -j OD -d 2026-01-02 -p K1 -l Capital --debit 512=2000 --credit 101=2000 --validate",
        "entry add -j VE -d 2026-03-02 -p F1 -l Vente --debit 411@CACME=1200 --credit 706=1000 --credit 44571=200 --validate",
        "entry add -j AC -d 2026-04-02 -p A1 -l Achat --debit 607=300 --debit 44566=60 --credit 401@FSUP=360 --validate",
        "entry add -j BQ -d 2026-05-02 -p B1 -l Frais --debit 627=70 --credit 512=70 --validate",
        "entry add -j BQ -d 2026-06-02 -p R1 -l Reglement --debit 512=1500 --credit 411@CACME=1500 --validate",
    ] {
        folio.ok(&w(args));
    }
    folio
}

#[test]
fn after_closing_the_result_is_the_12x_account_and_the_year_is_beside_the_next() {
    let folio = books();
    let income = statement(&folio, "report income --year 2026");
    let result = income.iter().find(|r| r["rubrique"] == "RESULTAT").unwrap();
    assert_eq!(result["amount"], "630.00");
    assert_eq!(result["side"], "");
    // The customer who paid 300 too much is a debt, not a negative receivable.
    let sheet = statement(&folio, "report balance-sheet --year 2026");
    assert_eq!(row(&sheet, "passif", "avances_recues")["amount"], "300.00");
    assert_eq!(row(&sheet, "actif", "creances_clients")["amount"], "0.00");
    let out = folio.ok(&w("year close 2026"));
    assert!(out.contains("profit 630,00"), "{out}");
    // The 12x account of the new year holds the result the closed year's statement gives.
    let next = folio.balances("--year 2027");
    assert_eq!(next["120000"], "-630.00");
    let closed = statement(&folio, "report income --year 2026");
    assert_eq!(closed, income);
    let sheet_2027 = statement(&folio, "report balance-sheet --year 2027");
    assert_sides_add_up(&sheet_2027, ["actif", "passif"]);
    let resultat = row(&sheet_2027, "passif", "resultat");
    assert_eq!(resultat["amount"], "630.00");
    assert_eq!(resultat["previous"], "630.00");
    for side in ["actif", "passif"] {
        assert_eq!(
            row(&sheet_2027, side, "TOTAL")["previous"],
            row(&sheet, side, "TOTAL")["amount"],
            "{side}"
        );
    }
    let income_2027 = statement(&folio, "report income --year 2027");
    let result = income_2027
        .iter()
        .find(|r| r["rubrique"] == "RESULTAT")
        .unwrap();
    assert_eq!(
        (result["amount"].as_str(), result["previous"].as_str()),
        ("0.00", "630.00")
    );
    // The 2026 result still in 120 is said.
    let out = folio.run(&w("report balance-sheet --year 2027"));
    assert!(
        stderr(&out).contains("not yet appropriated"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_earlier_year_still_open_keeps_the_balance_sheet_tied() {
    let folio = books().with_today("2027-03-31");
    folio.ok(&w("year open"));
    folio.ok(&w(
        "entry add -j VE -d 2027-02-01 -p F2 -l Vente --debit 512=100 --credit 706=100 --validate",
    ));
    let sheet = statement(&folio, "report balance-sheet --year 2027");
    assert_eq!(
        row(&sheet, "actif", "TOTAL")["amount"],
        row(&sheet, "passif", "TOTAL")["amount"]
    );
    // 2026's 630 not closed yet, and 2027's 100.
    assert_eq!(row(&sheet, "passif", "resultat")["amount"], "730.00");
    let income = statement(&folio, "report income --year 2027");
    let result = income.iter().find(|r| r["rubrique"] == "RESULTAT").unwrap();
    assert_eq!(
        (result["amount"].as_str(), result["previous"].as_str()),
        ("100.00", "630.00")
    );
}

#[test]
fn an_own_mapping_reports_the_accounts_it_leaves_out_and_a_broken_one_is_refused() {
    let folio = books();
    let mapping = folio.write(
        "mine.csv",
        "side,section,rubrique,label,abridged,abridged_label,accounts\n\
         actif,Actif,dispo,Banque,dispo,Banque,512\n\
         passif,Passif,capital,Capital,capital,Capital,101\n\
         passif,Passif,resultat,Résultat,resultat,Résultat,12 =result\n\
         charges,Charges,achats,Achats,achats,Achats,60 62\n\
         produits,Produits,ventes,Ventes,ventes,Ventes,70\n",
    );
    let out = folio.run(&w(&format!(
        "report balance-sheet --year 2026 --format csv --mapping {mapping}"
    )));
    assert_success(&out, "report with an own mapping");
    let rows = csv_records(&stdout(&out));
    assert_eq!(
        row(&rows, "actif", "TOTAL")["amount"],
        row(&rows, "passif", "TOTAL")["amount"]
    );
    assert!(
        rows.iter().any(|r| r["rubrique"] == "NON_CLASSE"),
        "{rows:#?}"
    );
    let warned = stderr(&out);
    for account in ["401000", "411000", "445660", "445710"] {
        assert!(warned.contains(account), "{account} in {warned}");
    }
    let broken = folio.write(
        "broken.csv",
        "side,section,rubrique,label,abridged,abridged_label,accounts\n\
         actif,Actif,dispo,Banque,dispo,Banque,512 51\n\
         actif,Actif,caisse,Caisse,dispo,Banque,53x\n",
    );
    let message = folio.fail(&w(&format!("report income --mapping {broken}")));
    assert!(
        message.contains("broken.csv: line 3: accounts"),
        "{message}"
    );
    let message = folio.fail(&w("report income --year 1999"));
    assert!(message.contains("year: no fiscal year 1999"), "{message}");
}
