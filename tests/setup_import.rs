//! Setting up a client from files: `parties import`, `accounts import` and
//! `import entries --create-parties`, through the real binary.

mod common;

use std::time::Instant;

use common::*;

const PARTY_HEADER: &str = "code,name,kind,account,auxiliary,active,balance,tax_position,terms,method,iban,mandate,mandate_date";
const IBAN: &str = "FR7630006000011234567890189";

/// A company with a chart and default settings but no third party.
fn fresh() -> Folio {
    let folio = Folio::empty();
    folio.ok(&w(&format!(
        "init --name 'Client SARL' --siren {SIREN} --start 2026-01-01"
    )));
    folio
}

/// `text` without the column `name` (CSV without quoted commas in that column's rows).
fn without_column(text: &str, name: &str) -> String {
    let records = csv_records(text);
    let header: Vec<&str> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .filter(|c| *c != name)
        .collect();
    let mut out = header.join(",") + "\n";
    for record in records {
        let cells: Vec<&str> = header.iter().map(|c| record[*c].as_str()).collect();
        out += &cells.join("|");
        out += "\n";
    }
    out
}

#[test]
fn parties_listing_round_trips_into_a_fresh_ledger() {
    // A ledger without entries: the listing, balances included, comes back byte for byte.
    let source = Folio::blank();
    source.ok(&w(&format!(
        "parties add CBERG 'Centre Bergeron' --kind customer --tax-position EU_CUSTOMER --terms 10 --method sepa_dd --iban {IBAN} --mandate RUM-001 --mandate-date 2026-02-20"
    )));
    source.ok(&w(
        "parties add FOLD 'Ancien fournisseur' --kind supplier --aux 401OLD",
    ));
    source.ok(&w("parties edit FOLD --active false"));
    for details in [false, true] {
        let mut args = vec!["parties", "--format", "csv"];
        if details {
            args.push("--details");
        }
        let listing = source.ok(&args);
        let copy = fresh();
        let file = copy.write("parties.csv", &listing);
        let summary = copy.ok(&["parties", "import", &file]);
        assert!(
            summary.contains("4 added, 0 updated, 0 unchanged"),
            "{summary}"
        );
        assert_eq!(copy.ok(&args), listing, "details: {details}");
        if details {
            assert_eq!(
                copy.ok(&w("parties --format json")),
                source.ok(&w("parties --format json"))
            );
        }
    }
}

#[test]
fn demo_parties_with_balances_and_details_import_into_a_new_client() {
    let demo = Folio::demo();
    let listing = demo.ok(&w("parties --format csv --details"));
    assert!(
        listing.starts_with(&format!("{PARTY_HEADER}\n")),
        "{listing}"
    );
    let copy = fresh();
    let file = copy.write("demo-parties.csv", &listing);
    copy.ok(&["parties", "import", &file]);
    // Balances are not imported (they come from entries); everything else is.
    let copied = copy.ok(&w("parties --format csv --details"));
    assert_eq!(
        without_column(&copied, "balance"),
        without_column(&listing, "balance")
    );
    assert_ne!(copied, listing, "the demo's balances are not zero");
    assert_eq!(
        copy.ok(&w("parties --format json")),
        demo.ok(&w("parties --format json"))
    );
    // Importing the same file again changes nothing and writes nothing, not even a record.
    let before = copy.snapshot();
    let again = copy.ok(&["parties", "import", &file]);
    assert!(
        again.contains("0 added, 0 updated, 28 unchanged"),
        "{again}"
    );
    before.assert_same(&copy.snapshot(), "parties import (again)");
}

#[test]
fn accounts_listing_round_trips_into_a_fresh_ledger() {
    let source = fresh();
    source.ok(&w("accounts add 512100 'Banque Populaire'"));
    source.ok(&w("accounts add 467100 'Compte courant associé'"));
    source.ok(&w(
        "accounts edit 467100 --letterable false --third-party-required true",
    ));
    source.ok(&w(
        "accounts edit 606100 --active false --label 'Eau, électricité'",
    ));
    let listing = source.ok(&w("accounts --format csv"));
    let copy = fresh();
    let file = copy.write("chart.csv", &listing);
    let summary = copy.fail(&["accounts", "import", &file]);
    // The fresh chart names 606100 with its PCG label: a different label is refused...
    assert!(
        summary.contains("chart.csv:")
            && summary.contains(": number: account 606100 already exists"),
        "{summary}"
    );
    // ...unless the import updates.
    let summary = copy.ok(&["accounts", "import", &file, "--update"]);
    assert!(summary.contains("2 added, 1 updated"), "{summary}");
    assert!(summary.contains("updated 606100"), "{summary}");
    assert_eq!(copy.ok(&w("accounts --format csv")), listing);
    let log = copy.ok(&w("log account:606100"));
    assert!(log.contains("account.edit"), "{log}");
}

#[test]
fn a_chart_in_french_spreadsheet_form_with_columns_in_any_order() {
    let folio = fresh();
    let file = folio.write(
        "plan.csv",
        "\u{feff}label;number;reconcilable\nBanque Postale;5121;\n'=Compte piégé;471100;no\n",
    );
    let out = folio.ok(&["accounts", "import", &file]);
    assert!(out.contains("2 added"), "{out}");
    let accounts = csv_records(&folio.ok(&w("accounts --format csv")));
    let bank = accounts.iter().find(|a| a["number"] == "512100").unwrap();
    assert_eq!(bank["label"], "Banque Postale");
    assert_eq!(bank["reconcilable"], "yes", "the PCG flag of a bank");
    let odd = accounts.iter().find(|a| a["number"] == "471100").unwrap();
    assert_eq!(
        odd["label"], "'=Compte piégé",
        "neutralised again on output"
    );
    let json = folio.ok(&w("accounts --format json"));
    assert!(json.contains("\"label\": \"=Compte piégé\""), "{json}");
}

#[test]
fn two_hundred_eighty_parties_in_one_command() {
    let folio = Folio::blank();
    let mut csv = String::from("code,name,kind,account,terms,method,iban\n");
    for i in 0..280 {
        if i % 2 == 0 {
            csv += &format!("C{i:04},Client {i},customer,,{},transfer,\n", i % 60);
        } else {
            csv += &format!("F{i:04},Fournisseur {i},supplier,401100,30,,{IBAN}\n");
        }
    }
    let file = folio.write("tiers.csv", &csv);
    let audit_before = csv_records(&folio.ok(&w("log all --format csv"))).len();
    let start = Instant::now();
    let out = folio.ok(&["parties", "import", &file]);
    let elapsed_ms = start.elapsed().as_millis();
    println!("280 third parties imported in {elapsed_ms} ms");
    assert!(out.contains("280 added, 0 updated, 0 unchanged"), "{out}");
    let parties = csv_records(&folio.ok(&w("parties --format csv --details")));
    assert_eq!(parties.len(), 282);
    let supplier = parties.iter().find(|p| p["code"] == "F0279").unwrap();
    assert_eq!(supplier["account"], "401100");
    assert_eq!(supplier["iban"], IBAN);
    let customer = parties.iter().find(|p| p["code"] == "C0278").unwrap();
    assert_eq!(customer["account"], "411000");
    assert_eq!(customer["terms"], "38");
    assert_eq!(customer["method"], "transfer");
    // One record per party (its history) and one for the import.
    let log = folio.ok(&w("log party:F0001"));
    assert!(
        log.contains("party.add") && log.contains("tiers.csv"),
        "{log}"
    );
    assert!(csv_records(&folio.ok(&w("log all --format csv"))).len() > audit_before);
}

#[test]
fn one_bad_row_refuses_the_whole_file_with_its_line_and_field() {
    let folio = Folio::blank();
    let mut csv = String::from("code,name,kind,iban\n");
    for i in 0..279 {
        csv += &format!("C{i:04},Client {i},customer,\n");
    }
    csv += "CBAD,Mauvais IBAN,customer,FR7630006000011234567890188\n";
    let file = folio.write("tiers.csv", &csv);
    folio.refuses(
        &["parties", "import", &file],
        &["tiers.csv:281: iban: `FR7630006000011234567890188` is not a valid IBAN"],
    );
}

#[test]
fn refused_party_files_name_file_line_field_and_change_nothing() {
    let folio = Folio::blank();
    let cases: &[(&str, &str)] = &[
        (
            "code,name,kind,iaban\nCX,X,customer,\n",
            "p.csv:1: iaban: unknown column",
        ),
        ("code,name\nCX,X\n", "p.csv:1: kind: missing column"),
        (
            "code,name,kind\nCX,X,customer\nCY,Y,friend\n",
            "p.csv:3: kind: `friend` is not customer or supplier",
        ),
        (
            "code,name,kind,tax_position\nCX,X,customer,MARS\n",
            "p.csv:2: tax_position: unknown tax position MARS",
        ),
        (
            "code,name,kind,method\nCX,X,customer,bitcoin\n",
            "p.csv:2: method: unknown payment method bitcoin",
        ),
        (
            "code,name,kind,account\nCX,X,customer,411900\n",
            "p.csv:2: account: unknown account 411900",
        ),
        (
            "code,name,kind\nCX,X,customer\n\ncx,Y,customer\n",
            "p.csv:4: code: CX is already on line 2",
        ),
        (
            "code,name,kind\nCACME,Acme renamed,customer\n",
            "p.csv:2: code: third party CACME already exists with other details (use --update",
        ),
        (
            "code,name,kind,mandate,mandate_date\nCX,X,customer,RUM-1,\n",
            "p.csv:2: mandate_date: a mandate needs its signature date",
        ),
        (
            "code,name,kind,terms\nCX,X,customer,-3\n",
            "p.csv:2: terms: `-3` is not a number of days",
        ),
    ];
    for (text, expected) in cases {
        let file = folio.write("p.csv", text);
        folio.refuses(&["parties", "import", &file], &[expected]);
    }
    folio.refuses(
        &w("parties add CX X --kind customer --details"),
        &["--details goes with the listing"],
    );
    // Even with --update, a party's kind and collective account stay.
    let file = folio.write("p.csv", "code,name,kind\nCACME,Acme,supplier\n");
    folio.refuses(
        &["parties", "import", "--update", &file],
        &["p.csv:2: kind: third party CACME has kind customer, the file says supplier"],
    );
    let file = folio.write(
        "p.csv",
        "code,name,kind,account\nCACME,Acme,customer,401000\n",
    );
    folio.refuses(
        &["parties", "import", "--update", &file],
        &["p.csv:2: account: third party CACME has collective account 411000"],
    );
}

#[test]
fn refused_account_files_change_nothing() {
    let folio = Folio::blank();
    for (text, expected) in [
        (
            "number,label,kind\n411100,Clients export,bank\n",
            "a.csv:2: kind: `bank` does not match account 411100, which is customer",
        ),
        (
            "number,label\n9000,X\n",
            "a.csv:2: number: account number `9000`",
        ),
        (
            "number,label\n512100,\n",
            "a.csv:2: label: must not be empty",
        ),
        (
            "number,label,active\n512100,B,perhaps\n",
            "a.csv:2: active: `perhaps` is not yes or no",
        ),
        (
            "number,label\n512100,B\n5121,C\n",
            "a.csv:3: number: 512100 is already on line 2",
        ),
        (
            "label,numero\nX,512100\n",
            "a.csv:1: numero: unknown column",
        ),
    ] {
        let file = folio.write("a.csv", text);
        folio.refuses(&["accounts", "import", &file], &[expected]);
    }
}

#[test]
fn update_changes_only_what_the_file_says() {
    let folio = Folio::blank();
    folio.ok(&w(&format!("parties edit CACME --iban {IBAN} --terms 45")));
    let file = folio.write(
        "p.csv",
        "code,name,kind,method\nCACME,Acme Industries,customer,cheque\nFSUP,Fournisseur SA,supplier,\n",
    );
    let out = folio.ok(&["parties", "import", "--update", &file]);
    assert!(out.contains("0 added, 1 updated, 1 unchanged"), "{out}");
    assert!(out.contains("updated CACME"), "{out}");
    let parties = csv_records(&folio.ok(&w("parties --format csv --details")));
    let acme = parties.iter().find(|p| p["code"] == "CACME").unwrap();
    assert_eq!(acme["name"], "Acme Industries");
    assert_eq!(acme["method"], "cheque");
    // Columns not in the file keep their values.
    assert_eq!(acme["iban"], IBAN);
    assert_eq!(acme["terms"], "45");
    let log = folio.ok(&w("log party:CACME"));
    assert!(log.contains("party.edit"), "{log}");
}

#[test]
fn neutralised_cells_are_read_back() {
    let source = Folio::blank();
    source.ok(&[
        "parties",
        "add",
        "CFORMULA",
        "=HYPERLINK(\"x\")",
        "--kind",
        "customer",
    ]);
    source.ok(&[
        "parties", "add", "--kind", "customer", "--", "-DASH", "-Dupont",
    ]);
    source.ok(&["parties", "add", "FAT", "@home", "--kind", "supplier"]);
    source.ok(&[
        "parties",
        "add",
        "FPLUS",
        "+33 Services",
        "--kind",
        "supplier",
    ]);
    let listing = source.ok(&w("parties --format csv --details"));
    assert!(listing.contains("'=HYPERLINK"), "{listing}");
    assert!(listing.contains("'-DASH,'-Dupont"), "{listing}");
    let copy = fresh();
    let file = copy.write("p.csv", &listing);
    copy.ok(&["parties", "import", &file]);
    assert_eq!(copy.ok(&w("parties --format csv --details")), listing);
    let json = copy.ok(&w("parties --format json"));
    assert_eq!(json, source.ok(&w("parties --format json")));
    assert!(json.contains("\"code\": \"-DASH\""), "{json}");
    assert!(json.contains("\"name\": \"+33 Services\""), "{json}");
}

#[test]
fn a_file_over_16_mib_is_not_read() {
    let folio = Folio::blank();
    let path = folio.path("big.csv");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(17 * 1024 * 1024).unwrap();
    drop(file);
    folio.refuses(
        &w("parties import big.csv"),
        &["big.csv", "larger than 16 MiB"],
    );
    folio.refuses(&w("accounts import big.csv"), &["larger than 16 MiB"]);
}

#[test]
fn a_file_saved_as_latin1_is_refused_at_its_line() {
    let folio = Folio::blank();
    let mut text = b"code,name,kind\nCX,X,customer\nCY,Soci".to_vec();
    text.extend_from_slice(b"\xe9t\xe9,customer\n");
    let file = folio.write("latin1.csv", text);
    folio.refuses(
        &["parties", "import", &file],
        &["latin1.csv:3: record: not valid UTF-8"],
    );
}

const ENTRIES: &str = "journal,date,piece,label,account,third_party,debit,credit
VE,2026-03-02,F001,Facture Nouveau,411000,CNOUVEAU,120.00,
VE,2026-03-02,F001,Facture Nouveau,706000,,,100.00
VE,2026-03-02,F001,Facture Nouveau,445710,,,20.00
AC,2026-03-05,A001,Achat,607000,,50.00,
AC,2026-03-05,A001,Achat,401000,FNOUVEAU,,50.00
AC,2026-03-06,A002,Achat 2,607000,,10.00,
AC,2026-03-06,A002,Achat 2,401000,FNOUVEAU,,10.00
";

#[test]
fn import_entries_creates_unknown_parties_of_411_and_401_lines_when_asked() {
    let folio = Folio::blank();
    let file = folio.write("entries.csv", ENTRIES);
    // Without the flag, an unknown third party is refused as before.
    folio.refuses(
        &["import", "entries", &file],
        &["entries.csv:2: third_party: unknown third party CNOUVEAU"],
    );
    let out = folio.ok(&["import", "entries", "--create-parties", &file]);
    assert!(out.contains("imported 3 entries (7 lines)"), "{out}");
    assert!(out.contains("2 third parties"), "{out}");
    assert!(out.contains("created customer CNOUVEAU on 411000"), "{out}");
    assert!(out.contains("created supplier FNOUVEAU on 401000"), "{out}");
    let parties = csv_records(&folio.ok(&w("parties --format csv")));
    let customer = parties.iter().find(|p| p["code"] == "CNOUVEAU").unwrap();
    assert_eq!(customer["name"], "CNOUVEAU");
    assert_eq!(customer["kind"], "customer");
    assert_eq!(customer["account"], "411000");
    assert_eq!(customer["balance"], "120.00");
    let supplier = parties.iter().find(|p| p["code"] == "FNOUVEAU").unwrap();
    assert_eq!(supplier["kind"], "supplier");
    assert_eq!(supplier["balance"], "-60.00");
    let log = folio.ok(&w("log party:FNOUVEAU"));
    assert!(log.contains("party.add"), "{log}");
}

#[test]
fn create_parties_leaves_other_accounts_and_bad_files_alone() {
    let folio = Folio::blank();
    // A code on another account than 411/401 is still an unknown third party.
    let file = folio.write(
        "od.csv",
        "journal,date,piece,label,account,third_party,debit,credit
OD,2026-03-02,OD1,Avance,425000,SALARIE1,80.00,
OD,2026-03-02,OD1,Avance,512000,,,80.00
",
    );
    folio.refuses(
        &["import", "entries", "--create-parties", &file],
        &["od.csv:2: third_party: unknown third party SALARIE1"],
    );
    // A bad entry later in the file: no party is created either.
    let bad = ENTRIES.to_string()
        + "AC,2026-03-07,A003,Achat 3,607000,,10.00,\nAC,2026-03-07,A003,Achat 3,401000,FAUTRE,,9.00\n";
    let file = folio.write("bad.csv", bad);
    folio.refuses(
        &["import", "entries", "--create-parties", &file],
        &["bad.csv:"],
    );
}
