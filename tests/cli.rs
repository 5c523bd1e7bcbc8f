//! CLI integration tests: the real `folio` binary, one temporary directory per test, with
//! `FOLIO_TODAY` and `USER` fixed. Every refusal is checked twice: a clear error (non-zero
//! exit, a message naming the problem, `file:line: field: reason` for files) and an unchanged
//! ledger (same journal, balances, years, chart, journals, parties and audit log).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use redb::{ReadableDatabase, ReadableTable, TableHandle};

use common::*;

// ----- helpers ------------------------------------------------------------------------------

/// A sale to CACME: 411 120.00 / 706 100.00 / 44571 20.00, then EXTRA words.
fn sale(date: &str, piece: &str, extra: &str) -> Vec<String> {
    w(&format!(
        "entry add -j VE -d {date} -p {piece} -l Facture --debit 411@CACME=120 \
         --credit 706=100 --credit 44571=20 {extra}"
    ))
}

/// The first line of `entry show`: `Entry VE2026-000001 (validated) — label`.
fn entry_title(folio: &Folio, reference: &str) -> String {
    folio
        .ok(&["entry", "show", reference])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

const CSV_HEADER: &str = "journal,date,piece,label,account,third_party,debit,credit";

const FEC_HEADER: &str = "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\t\
    CompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\t\
    EcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise";

/// A FEC line of journal VE for entry `number`, dated, validated and with its piece dated
/// `date` (AAAAMMJJ).
fn fec_line(
    number: &str,
    date: &str,
    account: &str,
    aux: &str,
    piece: &str,
    debit: &str,
    credit: &str,
) -> String {
    let (aux_num, aux_lib) = if aux.is_empty() {
        ("", "")
    } else {
        (aux, "Acme")
    };
    [
        "VE",
        "Ventes",
        number,
        date,
        account,
        "Libellé compte",
        aux_num,
        aux_lib,
        piece,
        date,
        "Facture",
        debit,
        credit,
        "",
        "",
        date,
        "",
        "",
    ]
    .join("\t")
}

fn fec_file(lines: &[String]) -> String {
    let mut text = FEC_HEADER.to_string();
    text.push('\n');
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// A balanced FEC entry (two lines) of journal VE.
fn fec_entry(number: &str, date: &str, piece: &str, amount: &str) -> Vec<String> {
    vec![
        fec_line(number, date, "411000", "CACME", piece, amount, "0,00"),
        fec_line(number, date, "706000", "", piece, "0,00", amount),
    ]
}

// ----- init, demo, --ledger -----------------------------------------------------------------

#[test]
fn init_creates_a_ledger_with_the_pcg_and_default_journals() {
    let folio = Folio::empty();
    let out = folio.ok(&w(&format!(
        "init --name 'Test SARL' --siren {SIREN} --start 2026-01-01"
    )));
    assert!(
        out.contains(
            "for Test SARL (SIREN 732829320), fiscal year 2026 from 2026-01-01 to 2026-12-31"
        ),
        "{out}"
    );
    assert!(folio.ledger.exists());
    let journals = csv_records(&folio.ok(&["journals", "--format", "csv"]));
    let codes: BTreeSet<&str> = journals.iter().map(|j| j["code"].as_str()).collect();
    for code in ["VE", "AC", "BQ", "CA", "OD", "AN"] {
        assert!(codes.contains(code), "journal {code} missing: {codes:?}");
    }
    let bank = journals.iter().find(|j| j["code"] == "BQ").expect("BQ");
    assert_eq!(bank["treasury_account"], "512000");
    assert_eq!(bank["kind"], "bank");
    let accounts = csv_records(&folio.ok(&w("accounts --format csv list")));
    let numbers: BTreeSet<&str> = accounts.iter().map(|a| a["number"].as_str()).collect();
    for n in [
        "101000", "120000", "129000", "401000", "411000", "445660", "445710", "512000", "530000",
        "606000", "706000", "890000",
    ] {
        assert!(numbers.contains(n), "account {n} missing");
    }
    let customers = accounts
        .iter()
        .find(|a| a["number"] == "411000")
        .expect("411");
    assert_eq!(customers["third_party"], "yes");
    assert_eq!(customers["balance"], "0.00");
    let years = csv_records(&folio.ok(&w("year list --format csv")));
    assert_eq!(years.len(), 1);
    assert_eq!(years[0]["year"], "2026");
    assert_eq!(years[0]["status"], "open");
    let log = folio.ok(&["log", "company"]);
    assert!(
        log.contains("alice") && log.contains("ledger.init"),
        "{log}"
    );
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn init_with_a_custom_chart_and_a_long_first_year() {
    let folio = Folio::empty();
    // A chart missing accounts the defaults need is refused, and leaves no file.
    let small = folio.write(
        "small.csv",
        "number,label\n101,Capital\n411,Clients\n401,Fournisseurs\n706,Prestations\n",
    );
    folio.fail(&w(&format!(
        "init --name X --siren {SIREN} --start 2026-01-01 --chart {small}"
    )));
    assert!(!folio.ledger.exists());
    // The PCG plus a company's own sub-accounts.
    let pcg = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pcg.csv"))
        .expect("fixtures/pcg.csv");
    let pcg_accounts = pcg.lines().skip(1).filter(|l| !l.trim().is_empty()).count();
    let chart = folio.write(
        "chart.csv",
        format!(
            "{}\n5121,Banque Populaire\n7061,Études d'éclairage\n",
            pcg.trim_end()
        ),
    );
    let out = folio.ok(&w(&format!(
        "init --name 'Petite SARL' --siren {SIREN} --start 2026-07-01 --months 18 --chart {chart}"
    )));
    assert!(
        out.contains(&format!(
            "fiscal year 2027 from 2026-07-01 to 2027-12-31, {} accounts",
            pcg_accounts + 2
        )),
        "{out}"
    );
    let accounts = csv_records(&folio.ok(&["accounts", "--format", "csv"]));
    assert_eq!(accounts.len(), pcg_accounts + 2);
    let own = accounts
        .iter()
        .find(|a| a["number"] == "706100")
        .expect("706100");
    assert_eq!(
        (own["label"].as_str(), own["kind"].as_str()),
        ("Études d'éclairage", "income")
    );
    // The FEC is named after the closing date of that long year.
    folio.ok(&w(
        "entry add -j BQ -d 2027-03-01 -p X1 -l Apport --debit 512=10 --credit 101=10 --validate",
    ));
    let out = folio.ok(&["export", "fec"]);
    assert!(
        out.contains(&format!(
            "{SIREN}FEC20271231.txt (1 entries, 2 lines, fiscal year 2027)"
        )),
        "{out}"
    );
}

#[test]
fn init_refusals_create_nothing_and_overwrite_nothing() {
    let folio = Folio::empty();
    let init = |siren: &str, start: &str, months: &str| {
        folio.fail(&w(&format!(
            "init --name X --siren {siren} --start {start} --months {months}"
        )))
    };
    let message = init("123456789", "2026-01-01", "12");
    assert!(
        message.contains("siren: `123456789` is not a SIREN"),
        "{message}"
    );
    let message = init(SIREN, "2026-01-15", "12");
    assert!(
        message.contains("a fiscal year starts on the first day of a month"),
        "{message}"
    );
    let message = init(SIREN, "2026-01-01", "30");
    assert!(message.contains("lasts 1 to 23 months"), "{message}");
    let message = init(SIREN, "2026-13-01", "12");
    assert!(
        message.contains("start: `2026-13-01` is not a date"),
        "{message}"
    );
    let bad_chart = folio.write("chart.csv", "numero,libelle\n512,Banque\n");
    let message = folio.fail(&w(&format!(
        "init --name X --siren {SIREN} --start 2026-01-01 --chart {bad_chart}"
    )));
    assert!(message.contains("chart.csv:1: record:"), "{message}");
    assert!(
        !folio.ledger.exists(),
        "a refused init must not leave a file"
    );

    // An existing ledger is never overwritten.
    let folio = Folio::blank();
    folio.ok(&sale("2026-03-02", "F1", ""));
    folio.refuses(
        &w(&format!(
            "init --name Other --siren {SIREN} --start 2026-01-01"
        )),
        &["already exists: refusing to overwrite it"],
    );
    // Nor is any other file.
    let other = Folio::empty();
    std::fs::write(&other.ledger, "my notes\n").expect("write");
    let message = other.fail(&w(&format!(
        "init --name X --siren {SIREN} --start 2026-01-01"
    )));
    assert!(message.contains("already exists"), "{message}");
    assert_eq!(
        std::fs::read_to_string(&other.ledger).expect("read"),
        "my notes\n"
    );
}

#[test]
fn demo_builds_the_company_with_its_balances() {
    let folio = Folio::empty();
    let path = folio.arg_path(&folio.ledger);
    let out = folio.bare(&["demo", &path]);
    assert_success(&out, "demo");
    let text = stdout(&out);
    assert!(text.contains("(617 entries, 41 drafts)"), "{text}");
    let bank = text
        .lines()
        .find(|l| l.starts_with("512000"))
        .expect("512000 row in the demo's trial balance");
    assert!(bank.ends_with("14 936,28"), "{bank}");
    let total = text.lines().find(|l| l.contains("TOTAL")).expect("TOTAL");
    assert!(
        total.contains("931 956,29  931 956,29") && total.ends_with("0,00"),
        "{total}"
    );
    assert!(text.contains("Use it with: folio --ledger"), "{text}");

    let balance = csv_records(&folio.ok(&w("report balance --format csv")));
    let bank = balance
        .iter()
        .find(|r| r["account"] == "512000")
        .expect("512");
    assert_eq!(bank["balance"], "14936.28");
    assert_eq!(bank["label"], "Banques");
    let debit: i64 = balance.iter().map(|r| cents(&r["debit"])).sum();
    let credit: i64 = balance.iter().map(|r| cents(&r["credit"])).sum();
    assert_eq!((debit, credit), (93_195_629, 93_195_629));

    let rows = folio.journal_rows("--year 2026");
    let entries: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r["journal"].clone(), r["piece"].clone()))
        .collect();
    let drafts: BTreeSet<(String, String)> = rows
        .iter()
        .filter(|r| r["status"] == "draft")
        .map(|r| (r["journal"].clone(), r["piece"].clone()))
        .collect();
    assert_eq!((entries.len(), drafts.len()), (617, 41));
    assert_eq!(rows.len(), 1853);
    assert!(
        rows.iter()
            .filter(|r| r["status"] == "draft")
            .all(|r| r["number"].is_empty())
    );
    let check = folio.ok(&["check"]);
    assert!(
        check.starts_with("check ok: 617 entries, 1853 lines,") && check.contains(" 0 findings"),
        "{check}"
    );
}

#[test]
fn demo_without_a_path_uses_a_temporary_file_and_never_overwrites() {
    let folio = Folio::empty();
    let out = folio.bare(&["demo"]);
    assert_success(&out, "demo");
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or_default();
    let path = first
        .strip_prefix("demo company built in ")
        .and_then(|rest| rest.split(" (").next())
        .expect("the demo says where it is");
    assert!(
        std::path::Path::new(path).starts_with(folio.dir.path()),
        "{path} should be in TMPDIR"
    );
    assert!(std::path::Path::new(path).exists());

    let folio = Folio::demo();
    let before = folio.snapshot();
    let path = folio.arg_path(&folio.ledger);
    let out = folio.bare(&["demo", &path]);
    let message = assert_failure(&out, "demo over an existing ledger");
    assert!(message.contains("already exists"), "{message}");
    before.assert_same(&folio.snapshot(), "demo PATH (existing)");
}

#[test]
fn ledger_path_from_the_environment_and_the_default_file() {
    let folio = Folio::blank();
    let path = folio.arg_path(&folio.ledger);
    let out = folio
        .command()
        .env("FOLIO_LEDGER", &path)
        .args(["parties", "--format", "csv", "list"])
        .output()
        .expect("run");
    assert_success(&out, "parties list with FOLIO_LEDGER");
    assert!(stdout(&out).contains("CACME,Acme,customer,411000"));
    // --ledger wins over the environment.
    let out = folio
        .command()
        .env("FOLIO_LEDGER", "elsewhere.ledger")
        .args(["--ledger", &path, "year", "list"])
        .output()
        .expect("run");
    assert_success(&out, "--ledger over FOLIO_LEDGER");
    // Neither: folio.ledger in the working directory.
    let message = assert_failure(&folio.bare(&["report", "balance"]), "default ledger");
    assert!(
        message.contains("ledger file folio.ledger does not exist"),
        "{message}"
    );
    let out = folio.bare(&w(&format!(
        "init --name Default --siren {SIREN} --start 2026-01-01"
    )));
    assert_success(&out, "init folio.ledger");
    assert!(folio.path("folio.ledger").exists());
    assert_success(&folio.bare(&["check"]), "check folio.ledger");
}

#[test]
fn folio_today_must_be_a_date() {
    let folio = Folio::blank().with_today("25/11/2026x");
    let message = folio.fail(&["check"]);
    assert!(
        message.contains("FOLIO_TODAY: `25/11/2026x` is not a date"),
        "{message}"
    );
}

// ----- chart, journals, third parties -------------------------------------------------------

#[test]
fn accounts_list_add_edit() {
    let folio = Folio::blank();
    let out = folio.ok(&w("accounts add 5121 'Banque Populaire'"));
    assert_eq!(out.trim(), "added account 512100 Banque Populaire");
    let table = folio.ok(&["accounts"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("512100") && l.contains("Banque Populaire"))
    );
    let list = csv_records(&folio.ok(&w("accounts --format csv list")));
    let added = list
        .iter()
        .find(|a| a["number"] == "512100")
        .expect("512100");
    assert_eq!(added["kind"], "bank");
    assert_eq!(added["reconcilable"], "yes");
    assert_eq!(added["active"], "yes");
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&["accounts", "--format", "json"])).expect("json");
    assert!(
        json.as_array()
            .expect("array")
            .iter()
            .any(|a| a["number"] == "512100" && a["label"] == "Banque Populaire")
    );

    folio.refuses(
        &w("accounts add 512100 Again"),
        &["account 512100 already exists"],
    );
    folio.refuses(
        &w("accounts add 9123 Nope"),
        &["account number `9123` must start with a class digit 1 to 8"],
    );
    folio.refuses(
        &w("accounts add 51A Nope"),
        &["account number `51A` must be digits only"],
    );
    folio.refuses(
        &w("accounts add 512200 '  '"),
        &["label: must not be empty"],
    );
    folio.refuses(
        &w("accounts edit 512999 --label X"),
        &["unknown account 512999"],
    );

    let out = folio.ok(&w("accounts edit 512100 --label 'BP Lyon'"));
    assert_eq!(out.trim(), "edited account 512100 BP Lyon");
    folio.ok(&w("accounts edit 512100 --active false"));
    let list = csv_records(&folio.ok(&["accounts", "--format", "csv"]));
    let edited = list
        .iter()
        .find(|a| a["number"] == "512100")
        .expect("512100");
    assert_eq!(
        (edited["label"].as_str(), edited["active"].as_str()),
        ("BP Lyon", "no")
    );

    // Balances show in the list.
    folio.ok(&w(
        "entry add -j OD -d 2026-02-01 -p K1 -l Capital --debit 512=5000 --credit 101=5000",
    ));
    let list = csv_records(&folio.ok(&["accounts", "--format", "csv"]));
    let bank = list.iter().find(|a| a["number"] == "512000").expect("512");
    assert_eq!(bank["balance"], "5000.00");
    let log = folio.ok(&["log", "account:512100"]);
    assert!(
        log.contains("account.add") && log.contains("account.edit"),
        "{log}"
    );
}

#[test]
fn journals_list_add_edit() {
    let folio = Folio::blank();
    let out = folio.ok(&w("journals add VT 'Ventes export' --kind sales"));
    assert_eq!(out.trim(), "added journal VT Ventes export");
    let out = folio.ok(&w(
        "journals add BQ2 'Banque 2' --kind bank --treasury 512000",
    ));
    assert_eq!(out.trim(), "added journal BQ2 Banque 2");
    let list = csv_records(&folio.ok(&w("journals --format csv list")));
    let vt = list.iter().find(|j| j["code"] == "VT").expect("VT");
    assert_eq!(
        (vt["kind"].as_str(), vt["active"].as_str()),
        ("sales", "yes")
    );
    let bq2 = list.iter().find(|j| j["code"] == "BQ2").expect("BQ2");
    assert_eq!(bq2["treasury_account"], "512000");
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&["journals", "--format", "json"])).expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(8));
    assert!(folio.ok(&["journals"]).contains("Ventes export"));

    folio.refuses(
        &w("journals add BQ3 'Banque 3' --kind bank"),
        &["treasury account: a bank journal needs a treasury account"],
    );
    folio.refuses(
        &w("journals add XX X --kind foo"),
        &["kind: `foo` is not one of"],
    );
    folio.refuses(
        &w("journals add VE 'Ventes bis' --kind sales"),
        &["journal VE already exists"],
    );
    folio.refuses(
        &w("journals add BQ4 B --kind bank --treasury 512999"),
        &["unknown account 512999"],
    );
    folio.refuses(&w("journals edit ZZ --label X"), &["unknown journal ZZ"]);

    let out = folio.ok(&w("journals edit VT --label 'Ventes UE'"));
    assert_eq!(out.trim(), "edited journal VT Ventes UE");
    folio.ok(&w("journals edit VT --active false"));
    folio.refuses(
        &w("entry add -j VT -d 2026-03-02 -p X1 --debit 512=10 --credit 706=10"),
        &["journal VT is inactive"],
    );
    folio.refuses(
        &w("entry add -j ZZ -d 2026-03-02 -p X1 --debit 512=10 --credit 706=10"),
        &["unknown journal ZZ"],
    );
    let log = folio.ok(&["log", "journal:vt"]);
    assert!(
        log.contains("journal.add") && log.contains("journal.edit"),
        "{log}"
    );
}

#[test]
fn parties_list_add_edit() {
    let folio = Folio::blank();
    let out = folio.ok(&w("parties add cbeta 'Beta & Fils' --kind customer"));
    assert_eq!(out.trim(), "added customer CBETA Beta & Fils");
    let out = folio.ok(&w(
        "parties add FIMMO 'Immo SA' --kind supplier --account 404 --aux F0042",
    ));
    assert_eq!(out.trim(), "added supplier FIMMO Immo SA");
    folio.ok(&sale("2026-03-02", "F1", ""));
    let list = csv_records(&folio.ok(&w("parties --format csv list")));
    let acme = list.iter().find(|p| p["code"] == "CACME").expect("CACME");
    assert_eq!(acme["balance"], "120.00");
    assert_eq!(acme["account"], "411000");
    let fimmo = list.iter().find(|p| p["code"] == "FIMMO").expect("FIMMO");
    assert_eq!(
        (
            fimmo["kind"].as_str(),
            fimmo["account"].as_str(),
            fimmo["auxiliary"].as_str()
        ),
        ("supplier", "404000", "F0042")
    );
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&["parties", "--format", "json"])).expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(4));
    assert!(folio.ok(&["parties"]).contains("Beta & Fils"));

    folio.refuses(
        &w("parties add CACME 'Acme bis' --kind customer"),
        &["third party CACME already exists"],
    );
    folio.refuses(
        &w("parties add 'C ACME' X --kind customer"),
        &["code: third-party code `C ACME` must be"],
    );
    folio.refuses(
        &w("parties add CX X --kind partner"),
        &["kind: `partner` is not customer or supplier"],
    );
    folio.refuses(
        &w("parties add CX X --kind customer --account 419999"),
        &["unknown account 419999"],
    );
    folio.refuses(
        &w("parties edit NOPE --name X"),
        &["unknown third party NOPE"],
    );

    let out = folio.ok(&w("parties edit CBETA --name 'Beta SA'"));
    assert_eq!(out.trim(), "edited third party CBETA Beta SA");
    folio.ok(&w("parties edit CBETA --active false"));
    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F9 --debit 411@CBETA=10 --credit 706=10"),
        &["third party CBETA is inactive"],
    );
    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F9 --debit 411@NOPE=10 --credit 706=10"),
        &["unknown third party NOPE"],
    );
    let log = folio.ok(&["log", "party:cbeta"]);
    assert!(
        log.contains("party.add") && log.contains("party.edit"),
        "{log}"
    );
}

// ----- entries ------------------------------------------------------------------------------

#[test]
fn entry_add_show_edit_delete() {
    let folio = Folio::blank();
    let out = folio.ok(&sale("2026-03-02", "F1", ""));
    assert_eq!(out.trim(), "added draft #1");

    let show = folio.ok(&["entry", "show", "1"]);
    assert!(show.starts_with("Entry #1 (draft) — Facture\n"), "{show}");
    assert!(
        show.contains("Journal VE  date 2026-03-02  piece F1"),
        "{show}"
    );
    let total = show
        .lines()
        .find(|l| l.contains("Total"))
        .expect("total row");
    assert!(total.ends_with("120,00  120,00"), "{total}");
    let csv = csv_records(&folio.ok(&w("entry show #1 --format csv")));
    assert_eq!(csv.len(), 3);
    assert_eq!(
        (
            csv[0]["account"].as_str(),
            csv[0]["third_party"].as_str(),
            csv[0]["debit"].as_str()
        ),
        ("411000", "CACME", "120.00")
    );
    assert_eq!(
        (csv[2]["account"].as_str(), csv[2]["credit"].as_str()),
        ("445710", "20.00")
    );
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("entry show 1 --format json"))).expect("json");
    assert_eq!(json["status"], "Draft");
    assert_eq!(json["piece"], "F1");
    assert_eq!(json["created_by"], USER);
    assert_eq!(json["lines"].as_array().map(Vec::len), Some(3));

    // Lines given replace all lines; other fields are kept unless given.
    let out = folio.ok(&w("entry edit 1 -l 'Facture corrigée' --debit 411@CACME=240:Client --credit 706=200 --credit 44571=40"));
    assert_eq!(out.trim(), "edited draft #1 (revision 2)");
    let csv = csv_records(&folio.ok(&w("entry show 1 --format csv")));
    assert_eq!(csv[0]["debit"], "240.00");
    assert_eq!(csv[0]["label"], "Client");
    assert_eq!(csv[1]["label"], "Facture corrigée");
    folio.ok(&w("entry edit 1 -d 15/03/2026 -p F1b"));
    let show = folio.ok(&["entry", "show", "1"]);
    assert!(
        show.contains("Journal VE  date 2026-03-15  piece F1b"),
        "{show}"
    );
    assert!(show.contains("240,00"), "lines kept: {show}");

    let out = folio.ok(&["entry", "delete", "1"]);
    assert_eq!(out.trim(), "deleted draft #1");
    folio.refuses(&["entry", "show", "1"], &["no entry #1"]);
    folio.refuses(&["entry", "delete", "1"], &["no entry #1"]);
    folio.refuses(
        &["entry", "show", "VE2026-000001"],
        &["no entry VE2026-000001"],
    );
    assert!(folio.nonzero_balances().is_empty());

    let out = folio.ok(&sale("2026-03-02", "F2", "--validate"));
    assert_eq!(out.trim(), "added and validated VE2026-000001 (#2)");
    let show = folio.ok(&["entry", "show", "VE2026-000001"]);
    assert!(
        show.starts_with("Entry VE2026-000001 (validated) — Facture"),
        "{show}"
    );
    assert!(show.contains("Validated on 2026-11-25"), "{show}");

    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 --debit 512=1 --credit 706=1"),
        &["piece: required"],
    );
    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F9 --debit 512=10"),
        &["an entry needs at least 2 lines"],
    );
    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F9 --debit 512 --credit 706=1"),
        &["debit: `512` must look like ACCOUNT[@PARTY]=AMOUNT[:LABEL]"],
    );
    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F9 --debit 512=-10 --credit 706=-10"),
        &["exactly one of debit or credit must be filled, and positive"],
    );
}

#[test]
fn refuses_an_unbalanced_entry() {
    let folio = Folio::blank();
    folio.ok(&sale("2026-03-02", "F1", "--validate"));
    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F2 --debit 411@CACME=120 --credit 706=100"),
        &["entry is unbalanced: debit 120.00, credit 100.00 (difference 20.00)"],
    );
    // Editing a draft into an unbalanced one is refused too, and the draft stays as it was.
    folio.ok(&sale("2026-03-03", "F3", ""));
    folio.refuses(
        &w("entry edit 2 --debit 411@CACME=50 --credit 706=49.99"),
        &["entry is unbalanced: debit 50.00, credit 49.99 (difference 0.01)"],
    );
}

#[test]
fn refuses_unknown_or_inactive_accounts() {
    let folio = Folio::blank();
    folio.refuses(
        &sale("2026-03-02", "F1", "--debit 706999=1 --credit 512=1"),
        &["unknown account 706999"],
    );
    folio.ok(&w("accounts edit 708 --active false"));
    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F1 --debit 411@CACME=10 --credit 708=10"),
        &["account 708000 is inactive"],
    );
    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F1 --debit 411@CACME=10 --credit 999=10"),
        &["credit: account number `999` must start with a class digit 1 to 8"],
    );
}

#[test]
fn refuses_a_411_or_401_line_without_third_party() {
    let folio = Folio::blank();
    folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F1 --debit 411=120 --credit 706=120"),
        &["account 411000 needs a third party (line 1)"],
    );
    folio.refuses(
        &w("entry add -j AC -d 2026-03-02 -p A1 --debit 607=50 --credit 401=50"),
        &["account 401000 needs a third party (line 2)"],
    );
}

#[test]
fn refuses_amounts_with_three_decimals_or_unparsable() {
    let folio = Folio::blank();
    for (amount, reason) in [
        ("120.001", "debit: `120.001` has more than 2 decimals"),
        ("120,500", "debit: `120,500` has more than 2 decimals"),
        ("12O", "debit: `12O` is not a number"),
        ("1.2.3", "debit: `1.2.3` is not a number"),
        ("", "debit: empty amount"),
    ] {
        let debit = format!("411@CACME={amount}");
        folio.refuses(
            &w(&format!(
                "entry add -j VE -d 2026-03-02 -p F1 --debit {debit} --credit 706=120"
            )),
            &[reason],
        );
    }
}

#[test]
fn refuses_dates_outside_every_open_fiscal_year() {
    let folio = Folio::blank();
    folio.refuses(
        &sale("2027-03-02", "F1", ""),
        &["2027-03-02 is outside every open fiscal year"],
    );
    folio.refuses(
        &sale("2025-12-31", "F1", ""),
        &["2025-12-31 is outside every open fiscal year"],
    );
    folio.refuses(
        &sale("2026-02-30", "F1", ""),
        &["date: `2026-02-30` is not a date"],
    );
    folio.ok(&sale("2026-03-02", "F1", ""));
    folio.refuses(
        &w("entry edit 1 -d 2027-01-01"),
        &["2027-01-01 is outside every open fiscal year"],
    );
}

#[test]
fn refuses_editing_or_deleting_a_validated_entry() {
    let folio = Folio::blank();
    folio.ok(&sale("2026-03-02", "F1", "--validate"));
    let validated =
        "entry VE2026-000001 is validated: it cannot be changed or deleted (reverse it instead)";
    folio.refuses(&w("entry edit VE2026-000001 -l x"), &[validated]);
    folio.refuses(
        &w("entry edit #1 --debit 411@CACME=1 --credit 706=1"),
        &[validated],
    );
    folio.refuses(&["entry", "delete", "VE2026-000001"], &[validated]);
    folio.refuses(&["entry", "delete", "1"], &[validated]);
    folio.refuses(&["validate", "1"], &[validated]);
    assert!(entry_title(&folio, "1").starts_with("Entry VE2026-000001 (validated)"));
}

// ----- validation and numbering ------------------------------------------------------------

#[test]
fn validation_numbers_per_journal_gapless_in_date_order() {
    let folio = Folio::blank();
    folio.ok(&sale("2026-03-10", "F1", "")); // #1
    folio.ok(&sale("2026-03-05", "F2", "")); // #2
    folio.ok(&sale("2026-03-20", "F3", "")); // #3
    folio.ok(&w(
        "entry add -j OD -d 2026-03-01 -p K1 -l Capital --debit 512=1000 --credit 101=1000",
    )); // #4
    folio.ok(&sale("2026-04-01", "F4", "")); // #5

    let out = folio.ok(&["validate", "--until", "2026-03-31"]);
    assert_eq!(
        out.trim(),
        "validated 4 entries: OD2026-000001 … VE2026-000003"
    );
    for (id, number) in [
        ("4", "OD2026-000001"),
        ("2", "VE2026-000001"),
        ("1", "VE2026-000002"),
        ("3", "VE2026-000003"),
    ] {
        let title = entry_title(&folio, id);
        assert!(
            title.starts_with(&format!("Entry {number} (validated)")),
            "#{id}: {title}"
        );
        assert!(entry_title(&folio, number).starts_with(&format!("Entry {number} ")));
    }
    assert!(entry_title(&folio, "5").starts_with("Entry #5 (draft)"));

    // A later validation continues the sequence, whatever the date.
    folio.ok(&sale("2026-01-15", "F0", "")); // #6
    let out = folio.ok(&["validate", "6"]);
    assert_eq!(out.trim(), "validated VE2026-000004 (#6)");
    let out = folio.ok(&w("validate --all --journal VE"));
    assert_eq!(out.trim(), "validated VE2026-000005 (#5)");
    let out = folio.ok(&["validate", "--all"]);
    assert_eq!(out.trim(), "no draft to validate");

    let rows = folio.journal_rows("");
    let mut numbers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in &rows {
        assert_eq!(row["status"], "validated");
        numbers
            .entry(row["journal"].clone())
            .or_default()
            .insert(row["number"].clone());
    }
    let expected: Vec<String> = (1..=5).map(|n| format!("VE2026-{n:06}")).collect();
    assert_eq!(numbers["VE"].iter().cloned().collect::<Vec<_>>(), expected);
    assert_eq!(
        numbers["OD"].iter().cloned().collect::<Vec<_>>(),
        vec!["OD2026-000001".to_string()]
    );
    let log = folio.ok(&["log", "VE2026-000002"]);
    assert!(
        log.contains("entry.add") && log.contains("entry.validate"),
        "{log}"
    );
    assert!(folio.ok(&["check"]).starts_with("check ok"));

    folio.refuses(
        &["validate"],
        &["say which drafts to validate: entry ids, --until DATE or --all"],
    );
    folio.refuses(&["validate", "99"], &["no entry #99"]);
    folio.refuses(
        &["validate", "1", "--all"],
        &["give either entries or --until/--all"],
    );
}

#[test]
fn a_failed_validation_consumes_no_number() {
    let folio = Folio::blank();
    folio.ok(&sale("2026-03-05", "F1", "")); // #1
    folio.ok(&w(
        "entry add -j OD -d 2026-03-06 -p K1 --debit 512=10 --credit 101=10",
    )); // #2
    folio.ok(&w("journals edit OD --active false"));
    // VE is numbered first (earlier date), then OD fails: the whole command is undone.
    folio.refuses(&["validate", "--all"], &["journal OD is inactive"]);
    assert!(entry_title(&folio, "1").starts_with("Entry #1 (draft)"));
    folio.ok(&w("journals edit OD --active true"));
    let out = folio.ok(&["validate", "--all"]);
    assert_eq!(
        out.trim(),
        "validated 2 entries: VE2026-000001 … OD2026-000001"
    );
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

// ----- reversal -----------------------------------------------------------------------------

#[test]
fn reverse_links_the_entries_and_restores_every_balance() {
    let folio = Folio::blank();
    folio.ok(&w("entry add -j OD -d 2026-01-02 -p K1 -l Capital --debit 512=1000 --credit 101=1000 --validate"));
    folio.ok(&w("entry add -j AC -d 2026-02-02 -p A1 -l Achat --debit 607=300 --debit 44566=60 --credit 401@FSUP=360 --validate"));
    let before = folio.nonzero_balances();
    let parties_before = folio.ok(&["parties", "--format", "csv"]);
    folio.ok(&sale("2026-03-02", "F1", "--validate"));
    assert_ne!(folio.nonzero_balances(), before);

    let out = folio.ok(&w("reverse VE2026-000001 --date 2026-03-20"));
    assert_eq!(
        out.trim(),
        "reversed VE2026-000001 by VE2026-000002 on 2026-03-20"
    );
    assert_eq!(folio.nonzero_balances(), before);
    assert_eq!(folio.ok(&["parties", "--format", "csv"]), parties_before);

    let original = folio.ok(&["entry", "show", "VE2026-000001"]);
    assert!(original.contains("Reversed by VE2026-000002"), "{original}");
    let reversal = folio.ok(&["entry", "show", "VE2026-000002"]);
    assert!(reversal.contains("Reverses VE2026-000001"), "{reversal}");
    assert!(
        reversal.starts_with("Entry VE2026-000002 (validated) — Extourne VE2026-000001 Facture"),
        "{reversal}"
    );
    let lines = csv_records(&folio.ok(&w("entry show VE2026-000002 --format csv")));
    let sides: Vec<(&str, &str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["account"].as_str(),
                l["third_party"].as_str(),
                l["debit"].as_str(),
                l["credit"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        sides,
        vec![
            ("411000", "CACME", "0.00", "120.00"),
            ("706000", "", "100.00", "0.00"),
            ("445710", "", "20.00", "0.00"),
        ]
    );
    let log = folio.ok(&["log", "VE2026-000001"]);
    assert!(log.contains("entry.reverse"), "{log}");

    // Reversal defaults to today, and a purchase reverses the same way.
    let before = folio.nonzero_balances();
    folio.ok(&w("entry add -j AC -d 2026-05-02 -p A2 -l Achat --debit 606=80 --credit 401@FSUP=80 --validate"));
    let out = folio.ok(&["reverse", "AC2026-000002"]);
    assert_eq!(
        out.trim(),
        "reversed AC2026-000002 by AC2026-000003 on 2026-11-25"
    );
    assert_eq!(folio.nonzero_balances(), before);
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn reverse_refusals() {
    let folio = Folio::blank();
    folio.ok(&sale("2026-03-02", "F1", "--validate"));
    folio.ok(&sale("2026-03-03", "F2", ""));
    folio.refuses(
        &["reverse", "2"],
        &["entry #2 is a draft: only validated entries are reversed"],
    );
    folio.refuses(&["reverse", "VE2026-000009"], &["no entry VE2026-000009"]);
    folio.refuses(
        &w("reverse VE2026-000001 --date 2027-02-01"),
        &["2027-02-01 is outside every open fiscal year"],
    );
    folio.refuses(
        &w("reverse VE2026-000001 --date 2026-02-31"),
        &["date: `2026-02-31` is not a date"],
    );
    folio.ok(&["period", "lock", "2026-06"]);
    folio.refuses(
        &w("reverse VE2026-000001 --date 2026-06-15"),
        &["period 2026-06 is locked"],
    );
    folio.ok(&w("reverse VE2026-000001 --date 2026-03-31"));
    folio.refuses(
        &w("reverse VE2026-000001 --date 2026-04-01"),
        &["entry VE2026-000001 is already reversed by VE2026-000002"],
    );
}

// ----- periods ------------------------------------------------------------------------------

#[test]
fn period_lock_and_unlock() {
    let folio = Folio::blank();
    folio.ok(&sale("2026-03-02", "F1", "--validate"));
    let out = folio.ok(&["period", "lock", "2026-03"]);
    assert_eq!(out.trim(), "locked period 2026-03");
    let years = csv_records(&folio.ok(&w("year list --format csv")));
    assert_eq!(years[0]["locked_periods"], "2026-03");
    folio.ok(&["period", "lock", "04/2026"]);
    let years = csv_records(&folio.ok(&w("year list --format csv")));
    assert_eq!(years[0]["locked_periods"], "2026-03 2026-04");
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("year list --format json"))).expect("json");
    assert_eq!(
        json[0]["locked_periods"],
        serde_json::json!([202603, 202604])
    );

    // The locked period accepts nothing.
    folio.refuses(&sale("2026-03-15", "F2", ""), &["period 2026-03 is locked"]);
    folio.refuses(&sale("2026-04-30", "F2", ""), &["period 2026-04 is locked"]);
    folio.ok(&sale("2026-05-02", "F3", "")); // draft #2
    folio.refuses(
        &w("entry edit 2 -d 2026-03-31"),
        &["period 2026-03 is locked"],
    );
    folio.refuses(
        &w("reverse VE2026-000001 --date 2026-03-31"),
        &["period 2026-03 is locked"],
    );
    let file = folio.write(
        "locked.csv",
        format!(
            "{CSV_HEADER}\nVE,2026-05-04,F4,Fact,411,CACME,10.00,\nVE,2026-05-04,F4,Fact,706,,,10.00\n\
             VE,2026-03-04,F5,Fact,411,CACME,10.00,\nVE,2026-03-04,F5,Fact,706,,,10.00\n"
        ),
    );
    folio.refuses(
        &["import", "entries", &file],
        &["locked.csv:4: date: period 2026-03 is locked"],
    );
    let fec = folio.write(
        "locked.txt",
        fec_file(&fec_entry("VE2026-000009", "20260331", "F6", "10,00")),
    );
    folio.refuses(
        &["import", "fec", &fec],
        &["locked.txt:2: date: period 2026-03 is locked"],
    );
    // A period with drafts cannot be locked.
    folio.refuses(
        &["period", "lock", "2026-05"],
        &["period 2026-05 still has 1 draft entries"],
    );
    folio.refuses(
        &["period", "lock", "2026-13"],
        &["period: `2026-13` is not a month"],
    );
    folio.refuses(
        &["period", "lock", "2031-01"],
        &["2031-01-01 is outside every open fiscal year"],
    );

    let out = folio.ok(&["period", "unlock", "2026-03"]);
    assert_eq!(out.trim(), "unlocked period 2026-03");
    folio.ok(&sale("2026-03-15", "F2", ""));
    let log = folio.ok(&["log", "year:2026"]);
    assert!(
        log.contains("period.lock") && log.contains("period.unlock"),
        "{log}"
    );
}

// ----- fiscal years -------------------------------------------------------------------------

/// A blank company with a year of activity: capital, a purchase and two sales (to two
/// customers), all validated. Profit 1 200.00.
fn company_with_a_year() -> Folio {
    let folio = Folio::blank().with_today("2026-12-31");
    folio.ok(&w("parties add CBETA Beta --kind customer"));
    folio.ok(&w("entry add -j BQ -d 2026-01-02 -p K1 -l Capital --debit 512=10000 --credit 101=10000 --validate"));
    folio.ok(&w("entry add -j AC -d 2026-02-02 -p A1 -l Achat --debit 607=300 --debit 44566=60 --credit 401@FSUP=360 --validate"));
    folio.ok(&w("entry add -j VE -d 2026-03-02 -p F1 -l Facture --debit 411@CACME=1200 --credit 706=1000 --credit 44571=200 --validate"));
    folio.ok(&w("entry add -j VE -d 2026-04-02 -p F2 -l Facture --debit 411@CBETA=600 --credit 706=500 --credit 44571=100 --validate"));
    folio
}

#[test]
fn year_close_posts_the_result_and_the_opening_entry() {
    let folio = company_with_a_year();
    let out = folio.ok(&["year", "close"]);
    assert_eq!(
        out.trim(),
        "closed fiscal year 2026: profit 1 200,00; opening entry AN2027-000001 in fiscal year 2027"
    );
    let years = csv_records(&folio.ok(&w("year list --format csv")));
    let status: Vec<(&str, &str)> = years
        .iter()
        .map(|y| (y["year"].as_str(), y["status"].as_str()))
        .collect();
    assert_eq!(status, vec![("2026", "closed"), ("2027", "open")]);
    assert_eq!(years[1]["start"], "2027-01-01");

    let rows = folio.journal_rows("AN --year 2027");
    let lines: BTreeSet<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["number"], "AN2027-000001");
            assert_eq!(r["date"], "2027-01-01");
            assert_eq!(r["status"], "validated");
            (
                r["account"].clone(),
                r["third_party"].clone(),
                r["debit"].clone(),
                r["credit"].clone(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String, String)> = [
        ("101000", "", "0.00", "10000.00"),
        ("120000", "", "0.00", "1200.00"),
        ("401000", "FSUP", "0.00", "360.00"),
        ("411000", "CACME", "1200.00", "0.00"),
        ("411000", "CBETA", "600.00", "0.00"),
        ("445660", "", "60.00", "0.00"),
        ("445710", "", "0.00", "300.00"),
        ("512000", "", "10000.00", "0.00"),
    ]
    .iter()
    .map(|(a, p, d, c)| (a.to_string(), p.to_string(), d.to_string(), c.to_string()))
    .collect();
    assert_eq!(lines, expected);

    // The new year opens with the balance sheet; income and expenses start from zero.
    let opening = folio.balances("--year 2027");
    assert_eq!(opening.get("120000").map(String::as_str), Some("-1200.00"));
    assert_eq!(opening.get("512000").map(String::as_str), Some("10000.00"));
    assert!(!opening.contains_key("706000") && !opening.contains_key("607000"));
    let party = csv_records(&folio.ok(&w("report party CBETA --year 2027 --format csv")));
    assert_eq!(party.len(), 1);
    assert_eq!(
        (party[0]["number"].as_str(), party[0]["debit"].as_str()),
        ("AN2027-000001", "600.00")
    );
    let log = folio.ok(&["log", "year:2026"]);
    assert!(log.contains("year.close") && log.contains(USER), "{log}");
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn year_close_with_a_loss_goes_to_129() {
    let folio = Folio::blank().with_today("2026-12-31");
    folio.ok(&w(
        "entry add -j BQ -d 2026-01-02 -p K1 --debit 512=1000 --credit 101=1000 --validate",
    ));
    folio.ok(&w("entry add -j BQ -d 2026-05-02 -p B1 -l Frais --debit 627=250.50 --credit 512=250.50 --validate"));
    let out = folio.ok(&["year", "close", "2026"]);
    assert!(
        out.contains("loss 250,50; opening entry AN2027-000001"),
        "{out}"
    );
    let rows = folio.journal_rows("AN --year 2027");
    let result = rows
        .iter()
        .find(|r| r["account"] == "129000")
        .expect("129000 line");
    assert_eq!(
        (result["debit"].as_str(), result["credit"].as_str()),
        ("250.50", "0.00")
    );
    assert_eq!(result["label"], "Résultat 2026");
}

#[test]
fn year_open_then_close_uses_the_opened_year() {
    let folio = company_with_a_year();
    let out = folio.ok(&["year", "open"]);
    assert_eq!(
        out.trim(),
        "opened fiscal year 2027 (2027-01-01 to 2027-12-31)"
    );
    folio.ok(&sale("2027-02-03", "F27", "")); // a draft in 2027 does not block 2026
    let out = folio.ok(&["year", "close"]);
    assert!(out.contains("closed fiscal year 2026"), "{out}");
    let years = csv_records(&folio.ok(&w("year list --format csv")));
    assert_eq!(years.len(), 2);
    folio.refuses(&w("year open --months 13"), &["months:"]);
    folio.refuses(&["year", "close", "2031"], &["no fiscal year 2031"]);
}

#[test]
fn closing_a_year_with_drafts_is_refused() {
    let folio = Folio::demo().with_today("2026-12-31");
    folio.refuses(
        &["year", "close"],
        &["fiscal year 2026 still has 41 draft entries: validate or delete them first"],
    );
    folio.refuses(
        &["year", "close", "2026"],
        &["fiscal year 2026 still has 41 draft entries"],
    );
}

#[test]
fn a_closed_year_refuses_everything() {
    let mut folio = company_with_a_year();
    folio.ok(&["period", "lock", "2026-02"]);
    let fec_dir = folio.path("fec");
    std::fs::create_dir(&fec_dir).expect("mkdir");
    folio.ok(&w("export fec --out fec"));
    folio.ok(&["year", "close"]);
    folio.set_today("2027-01-10");

    let closed = "fiscal year 2026 is closed: it accepts nothing and cannot be reopened";
    folio.refuses(&sale("2026-06-01", "F9", ""), &[closed]);
    folio.refuses(&sale("2026-12-31", "F9", "--validate"), &[closed]);
    folio.refuses(&["period", "unlock", "2026-02"], &[closed]);
    folio.refuses(&["period", "lock", "2026-05"], &[closed]);
    folio.refuses(&["year", "close", "2026"], &[closed]);
    folio.refuses(&w("reverse VE2026-000001 --date 2026-12-15"), &[closed]);
    folio.refuses(&w("entry edit VE2026-000001 -l x"), &["is validated"]);
    let file = folio.write(
        "late.csv",
        format!("{CSV_HEADER}\nVE,2026-12-30,F9,Fact,411,CACME,10.00,\nVE,2026-12-30,F9,Fact,706,,,10.00\n"),
    );
    folio.refuses(
        &["import", "entries", &file],
        &[&format!("late.csv:2: date: {closed}")],
    );
    let fec = format!("fec/{SIREN}FEC20261231.txt");
    folio.refuses(
        &["import", "fec", &fec],
        &[&format!("{fec}:2: date: {closed}")],
    );
    // A draft of the next year cannot be moved into the closed one.
    let out = folio.ok(&sale("2027-01-05", "F10", ""));
    let draft = out.trim().trim_start_matches("added draft ");
    folio.refuses(&["entry", "edit", draft, "-d", "2026-12-20"], &[closed]);
    folio.refuses(&["entry", "delete", "AN2027-000001"], &["is validated"]);

    // The next year works, and may reverse an entry of the closed year.
    let out = folio.ok(&w("reverse VE2026-000001 --date 2027-01-06"));
    assert!(out.contains("by VE2027-000001 on 2027-01-06"), "{out}");
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn year_close_of_the_demo_carries_customers_and_suppliers_by_third_party() {
    let folio = Folio::demo().with_today("2026-12-31");
    let before = folio.balances("--year 2026");
    let parties: BTreeMap<String, String> = csv_records(&folio.ok(&["parties", "--format", "csv"]))
        .into_iter()
        .map(|p| (p["code"].clone(), p["balance"].clone()))
        .collect();
    folio.ok(&["validate", "--all"]);
    let out = folio.ok(&["year", "close"]);
    assert!(
        out.contains("closed fiscal year 2026: profit 7 749,44; opening entry AN2027-000001"),
        "{out}"
    );
    let rows = folio.journal_rows("AN --year 2027");
    let mut per_account: BTreeMap<String, i64> = BTreeMap::new();
    let mut per_party: BTreeMap<String, i64> = BTreeMap::new();
    for row in &rows {
        let signed = cents(&row["debit"]) - cents(&row["credit"]);
        *per_account.entry(row["account"].clone()).or_default() += signed;
        if row["account"] == "411000" || row["account"] == "401000" {
            assert!(!row["third_party"].is_empty(), "no third party: {row:?}");
            *per_party.entry(row["third_party"].clone()).or_default() += signed;
        }
        assert!(
            !["6", "7"].contains(&&row["account"][..1]),
            "income statement account carried: {row:?}"
        );
    }
    assert_eq!(per_account["120000"], -774_944);
    for (account, balance) in &before {
        if matches!(&account[..1], "1" | "2" | "3" | "4" | "5") && balance != "0.00" {
            assert_eq!(per_account.get(account), Some(&cents(balance)), "{account}");
        }
    }
    for (code, balance) in &parties {
        if balance != "0.00" {
            assert_eq!(per_party.get(code), Some(&cents(balance)), "party {code}");
        }
    }
    assert!(per_party.len() >= 10, "{per_party:?}");
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

// ----- reports ------------------------------------------------------------------------------

#[test]
fn report_balance_in_three_formats() {
    let folio = Folio::demo();
    let table = folio.ok(&["report", "balance"]);
    let bank = table
        .lines()
        .find(|l| l.starts_with("512000"))
        .expect("512");
    assert!(
        bank.contains("Banques") && bank.ends_with("14 936,28"),
        "{bank}"
    );
    assert!(
        table.contains("Total classe 5 - Comptes financiers"),
        "{table}"
    );

    let csv = folio.ok(&w("report balance --format csv"));
    assert!(
        csv.starts_with("account,label,debit,credit,balance\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\n512000,Banques,228550.24,213613.96,14936.28\n"),
        "{csv}"
    );
    assert!(!csv.contains("Total classe"), "CSV has accounts only");

    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("report balance --format json"))).expect("json");
    let rows = json["rows"].as_array().expect("rows");
    let bank = rows.iter().find(|r| r["account"] == "512000").expect("512");
    assert_eq!(bank["debit"], "228550.24");
    assert_eq!(bank["credit"], "213613.96");
    assert_eq!(json["debit"], json["credit"]);

    // A range: January only.
    let january = folio.balances("--from 2026-01-01 --to 2026-01-31");
    let year = folio.balances("--year 2026");
    assert_ne!(january.get("512000"), year.get("512000"));
    folio.refuses(
        &w("report balance --from 2026-05-01 --to 2026-04-01"),
        &["from: 2026-05-01 is after 2026-04-01"],
    );
    folio.refuses(
        &w("report balance --year 2031"),
        &["year: no fiscal year 2031"],
    );
}

#[test]
fn report_ledger_in_three_formats_with_pages() {
    let folio = Folio::demo();
    let table = folio.ok(&["report", "ledger", "512"]);
    assert!(table.contains("Solde à nouveau"), "{table}");
    let csv = folio.ok(&w("report ledger 512000 --format csv"));
    assert!(
        csv.starts_with(
            "date,number,journal,piece,label,account,third_party,letter,debit,credit,balance\n"
        ),
        "{csv}"
    );
    let rows = csv_records(&csv);
    assert_eq!(rows.last().map(|r| r["balance"].as_str()), Some("14936.28"));
    assert!(rows.iter().all(|r| r["account"] == "512000"));

    let page: serde_json::Value = serde_json::from_str(&folio.ok(&w(
        "report ledger 512 --page 2 --page-size 10 --format json",
    )))
    .expect("json");
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(10));
    assert_eq!(page["has_more"], true);
    assert_eq!(page["rows"][0]["balance"], rows[10]["balance"].as_str());
    let table = folio.ok(&w("report ledger 512 --page-size 5"));
    assert!(table.contains("(more lines on the next page)"), "{table}");

    // From June: the opening balance is the balance at the end of May.
    let may = folio.balances("--from 2026-01-01 --to 2026-05-31");
    let june: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("report ledger 512 --from 2026-06-01 --format json")))
            .expect("json");
    assert_eq!(june["opening_balance"], may["512000"].as_str());
    folio.refuses(&["report", "ledger", "512999"], &["unknown account 512999"]);
}

#[test]
fn report_party_in_three_formats() {
    let folio = Folio::demo();
    let parties: BTreeMap<String, String> = csv_records(&folio.ok(&["parties", "--format", "csv"]))
        .into_iter()
        .map(|p| (p["code"].clone(), p["balance"].clone()))
        .collect();
    let rows = csv_records(&folio.ok(&w("report party CLUMEN --format csv")));
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["third_party"] == "CLUMEN"));
    assert_eq!(rows.last().map(|r| &r["balance"]), parties.get("CLUMEN"));
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("report party clumen --format json"))).expect("json");
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(rows.len()));
    let table = folio.ok(&["report", "party", "CLUMEN"]);
    assert!(
        table.contains("Solde à nouveau") && table.contains("CLUMEN"),
        "{table}"
    );
    folio.refuses(&["report", "party", "NOPE"], &["unknown third party NOPE"]);
}

#[test]
fn report_journal_in_three_formats() {
    let folio = Folio::demo();
    let csv = folio.ok(&w("report journal VE --format csv"));
    assert!(csv.starts_with(&format!("{JOURNAL_HEADER}\n")), "{csv}");
    let rows = journal_records(&csv);
    assert!(rows.iter().all(|r| r["journal"] == "VE"));
    let first = &rows[0];
    assert_eq!(first["number"], "VE2026-000001");
    assert!(first["debit"].contains('.') && first["credit"].contains('.'));
    assert!(
        rows.iter()
            .any(|r| r["status"] == "draft" && r["number"].is_empty())
    );

    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("report journal VE --format json"))).expect("json");
    let array = json.as_array().expect("array");
    assert_eq!(array.len(), rows.len());
    assert_eq!(array[0]["number"], "VE2026-000001");
    assert_eq!(array[0]["status"], "validated");

    let table = folio.ok(&w("report journal VE --from 2026-01-01 --to 2026-01-31"));
    assert!(table.starts_with("journal  number"), "{table}");
    assert!(table.contains("VE2026-000001"), "{table}");
    assert!(!table.contains("2026-02-"), "{table}");
    folio.refuses(
        &["report", "journal", "ZZ"],
        &["journal: unknown journal ZZ"],
    );
}

#[test]
fn report_journal_csv_has_exactly_one_header_row() {
    let folio = Folio::blank();
    folio.ok(&sale("2026-03-02", "F1", ""));
    let csv = folio.ok(&w("report journal --format csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "one header and three lines: {csv}");
    assert_eq!(lines[0], JOURNAL_HEADER);
    assert!(lines[1].starts_with("VE,,2026-03-02,F1,Facture,411000,CACME,120.00,0.00,draft"));
}

// ----- imports ------------------------------------------------------------------------------

#[test]
fn import_entries_as_drafts_or_validated() {
    let folio = Folio::blank();
    let file = folio.write(
        "ok.csv",
        format!(
            "{CSV_HEADER}\nVE,2026-03-02,F1,Facture 1,411,CACME,120.00,\nVE,2026-03-02,F1,,706,,,100.00\n\
             VE,2026-03-02,F1,,44571,,,20.00\nAC,2026-03-03,A1,Achat,607,,50,\nAC,2026-03-03,A1,Achat,401,FSUP,,50\n"
        ),
    );
    let out = folio.ok(&["import", "entries", &file]);
    assert_eq!(
        out.trim(),
        "imported 2 entries (5 lines), 0 validated; created 0 journals, 0 accounts, 0 third parties; 0 lettered lines"
    );
    let rows = folio.journal_rows("");
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r["status"] == "draft"));
    assert!(
        rows.iter()
            .filter(|r| r["piece"] == "F1")
            .all(|r| r["label"] == "Facture 1")
    );

    // French spreadsheet flavour: `;`, DD/MM/YYYY, decimal comma.
    let file = folio.write(
        "fr.csv",
        "journal;date;piece;label;account;third_party;debit;credit\n\
         VE;05/03/2026;F2;Facture 2;411;CACME;1 200,50;\nVE;05/03/2026;F2;Facture 2;706;;;1200,50\n",
    );
    let out = folio.ok(&["import", "entries", &file, "--validate"]);
    assert!(
        out.starts_with("imported 1 entries (2 lines), 1 validated"),
        "{out}"
    );
    assert!(entry_title(&folio, "VE2026-000001").contains("Facture 2"));
    let log = folio.ok(&["log", "all"]);
    assert!(log.contains("import.entries"), "{log}");
    assert!(folio.ok(&["log", "#3"]).contains("import.entries"));
}

#[test]
fn import_entries_refuses_malformed_csv_with_file_line_field() {
    let folio = Folio::blank();
    folio.ok(&w("accounts edit 708 --active false"));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "bad_date.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,\nVE,2026-13-02,F1,Fact,706,,,120.00\n"
            ),
            "bad_date.csv:3: date: `2026-13-02` is not a date",
        ),
        (
            "bad_amount.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,\nVE,2026-03-02,F1,Fact,706,,,12O.00\n"
            ),
            "bad_amount.csv:3: credit: `12O.00` is not a number",
        ),
        (
            "decimals.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.001,\nVE,2026-03-02,F1,Fact,706,,,120.00\n"
            ),
            "decimals.csv:2: debit: `120.001` has more than 2 decimals",
        ),
        (
            "missing_column.csv",
            "journal,date,piece,label,account,debit,credit\nVE,2026-03-02,F1,Fact,411,120.00,\n"
                .to_string(),
            "missing_column.csv:1: record: the header must be `journal,date,piece,label,account,third_party,debit,credit`, found `journal,date,piece,label,account,debit,credit`",
        ),
        (
            "short_row.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,\nVE,2026-03-02,F1,Fact,706,,120.00\n"
            ),
            "short_row.csv:3: record: expected 8 columns",
        ),
        (
            "unbalanced.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,\nVE,2026-03-02,F1,Fact,706,,,120.00\n\
                 VE,2026-03-03,F2,Fact,411,CACME,100.00,\nVE,2026-03-03,F2,Fact,706,,,90.00\n"
            ),
            "unbalanced.csv:4: debit/credit: entry is unbalanced: debit 100.00, credit 90.00 (difference 10.00)",
        ),
        (
            "no_party.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,\nVE,2026-03-02,F1,Fact,706,,,120.00\n\
                 VE,2026-03-03,F2,Fact,706,,,100.00\nVE,2026-03-03,F2,Fact,411,,100.00,\n"
            ),
            "no_party.csv:5: third_party: account 411000 needs a third party",
        ),
        (
            "unknown_account.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,\nVE,2026-03-02,F1,Fact,706999,,,120.00\n"
            ),
            "unknown_account.csv:3: account: unknown account 706999",
        ),
        (
            "inactive_account.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,\nVE,2026-03-02,F1,Fact,708,,,120.00\n"
            ),
            "inactive_account.csv:3: account: account 708000 is inactive",
        ),
        (
            "outside.csv",
            format!(
                "{CSV_HEADER}\nVE,2027-03-02,F1,Fact,411,CACME,120.00,\nVE,2027-03-02,F1,Fact,706,,,120.00\n"
            ),
            "outside.csv:2: date: 2027-03-02 is outside every open fiscal year",
        ),
        (
            "both_sides.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,5.00\nVE,2026-03-02,F1,Fact,706,,,115.00\n"
            ),
            "both_sides.csv:2: credit: a row has a debit or a credit, not both",
        ),
        (
            "multiline.csv",
            format!(
                "{CSV_HEADER}\nVE,2026-03-02,F1,\"Fact\nsur deux lignes\",411,CACME,120.00,\n\n\
                 VE,2026-03-02,F1,Fact,706,,,120.00\nVE,2026-03-04,F2,Fact,706,,,1x\n"
            ),
            "multiline.csv:6: credit: `1x` is not a number",
        ),
        (
            "empty.csv",
            String::new(),
            "empty.csv:1: record: empty file",
        ),
    ];
    for (name, contents, expected) in cases {
        let file = folio.write(name, contents);
        folio.refuses(&["import", "entries", &file], &[expected]);
    }
    folio.refuses(
        &["import", "entries", "nope.csv"],
        &["cannot open nope.csv"],
    );
}

#[test]
fn import_entries_refuses_a_piece_whose_lines_are_apart_in_the_file() {
    let folio = Folio::blank();
    // F1 comes back on the same date after F2: its lines are apart. F3 on two dates is two
    // entries, and a piece of another journal is another piece.
    let apart = folio.write(
        "apart.csv",
        format!(
            "{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,\nVE,2026-03-02,F1,Fact,706,,,120.00\n\
             VE,2026-03-02,F2,Fact,411,CACME,10.00,\nVE,2026-03-02,F2,Fact,706,,,10.00\n\
             VE,2026-03-02,F1,Fact,411,CACME,5.00,\nVE,2026-03-02,F1,Fact,706,,,5.00\n"
        ),
    );
    folio.refuses(
        &["import", "entries", &apart],
        &["apart.csv:6: piece: the lines of piece F1 on 2026-03-02 are not contiguous"],
    );
    assert!(folio.journal_rows("").is_empty());
    let dates = folio.write(
        "dates.csv",
        format!(
            "{CSV_HEADER}\nVE,2026-03-02,F3,Fact,411,CACME,120.00,\nVE,2026-03-02,F3,Fact,706,,,120.00\n\
             OD,2026-03-02,F3,Fact,607,,10.00,\nOD,2026-03-02,F3,Fact,706,,,10.00\n\
             VE,2026-03-03,F3,Fact,411,CACME,5.00,\nVE,2026-03-03,F3,Fact,706,,,5.00\n"
        ),
    );
    let out = folio.ok(&["import", "entries", &dates]);
    assert!(out.starts_with("imported 3 entries (6 lines)"), "{out}");
}

#[test]
fn import_entries_refuses_existing_pieces_unless_allowed() {
    let folio = Folio::blank();
    let file = folio.write(
        "ok.csv",
        format!("{CSV_HEADER}\nVE,2026-03-02,F1,Fact,411,CACME,120.00,\nVE,2026-03-02,F1,Fact,706,,,120.00\n"),
    );
    folio.ok(&["import", "entries", &file]);
    folio.refuses(
        &["import", "entries", &file],
        &["ok.csv:2: piece: piece F1 already exists in journal VE (use --allow-existing-pieces)"],
    );
    // A piece entered by hand counts too.
    folio.ok(&sale("2026-04-02", "F7", ""));
    let file7 = folio.write(
        "f7.csv",
        format!(
            "{CSV_HEADER}\nVE,2026-04-01,F6,Fact,411,CACME,10.00,\nVE,2026-04-01,F6,Fact,706,,,10.00\n\
             VE,2026-04-03,F7,Fact,411,CACME,10.00,\nVE,2026-04-03,F7,Fact,706,,,10.00\n"
        ),
    );
    folio.refuses(
        &["import", "entries", &file7],
        &["f7.csv:4: piece: piece F7 already exists in journal VE"],
    );
    let out = folio.ok(&["import", "entries", &file, "--allow-existing-pieces"]);
    assert!(out.starts_with("imported 1 entries (2 lines)"), "{out}");
    let rows = folio.journal_rows("");
    assert_eq!(rows.iter().filter(|r| r["piece"] == "F1").count(), 4);
}

#[test]
fn import_fec_refuses_malformed_lines_with_line_field_reason() {
    let folio = Folio::blank();
    let good = fec_entry("VE2026-000001", "20260302", "F1", "120,00");
    let replace = |line: &str, from: &str, to: &str| line.replacen(from, to, 1);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "bad_date.txt",
            fec_file(&[good[0].clone(), replace(&good[1], "20260302", "20260230")]),
            "bad_date.txt:3: EcritureDate: `20260230` is not a real date AAAAMMJJ",
        ),
        (
            "bad_amount.txt",
            fec_file(&[
                good[0].clone(),
                replace(&good[1], "\t120,00\t", "\t12O,00\t"),
            ]),
            "bad_amount.txt:3: Credit: `12O,00` is not a number",
        ),
        (
            "decimals.txt",
            fec_file(&[
                replace(&good[0], "\t120,00\t", "\t120,001\t"),
                good[1].clone(),
            ]),
            "decimals.txt:2: Debit: `120,001` has more than 2 decimals",
        ),
        (
            "short.txt",
            fec_file(&[good[0]
                .rsplit_once('\t')
                .map(|(a, _)| a.to_string())
                .unwrap_or_default()]),
            "short.txt:2: record: expected 18 fields separated by tab as in the header, found 17",
        ),
        (
            "blank_piece.txt",
            fec_file(&[replace(&good[0], "\tF1\t", "\t\t"), good[1].clone()]),
            "blank_piece.txt:2: PieceRef: must not be blank",
        ),
        (
            "both_sides.txt",
            fec_file(&[replace(&good[0], "\t0,00\t", "\t5,00\t"), good[1].clone()]),
            "both_sides.txt:2: Credit: Debit and Credit are both non-zero",
        ),
        (
            "bad_account.txt",
            fec_file(&[replace(&good[0], "411000", "ABC"), good[1].clone()]),
            "bad_account.txt:2: CompteNum: `ABC` must start with 3 digits of the PCG",
        ),
        (
            "bad_header.txt",
            fec_file(&good).replacen("CompteNum", "Compte", 1),
            "bad_header.txt:1: header: the FEC field `CompteNum` is missing (columns that are not FEC fields: `Compte`)",
        ),
        (
            "unbalanced.txt",
            fec_file(
                &[
                    good.clone(),
                    vec![
                        fec_line(
                            "VE2026-000002",
                            "20260303",
                            "411000",
                            "CACME",
                            "F2",
                            "100,00",
                            "0,00",
                        ),
                        fec_line(
                            "VE2026-000002",
                            "20260303",
                            "706000",
                            "",
                            "F2",
                            "0,00",
                            "90,00",
                        ),
                    ],
                ]
                .concat(),
            ),
            "unbalanced.txt:4: debit/credit: entry is unbalanced: debit 100.00, credit 90.00",
        ),
        (
            "outside.txt",
            fec_file(&fec_entry("VE2027-000001", "20270302", "F1", "120,00")),
            "outside.txt:2: date: 2027-03-02 is outside every open fiscal year",
        ),
        (
            "empty.txt",
            String::new(),
            "empty.txt:1: header: empty file, expected the FEC header",
        ),
        (
            "comma.txt",
            "JournalCode,JournalLib\n".to_string(),
            "comma.txt:1: header: the fields must be separated by tabs or `|`",
        ),
    ];
    for (name, contents, expected) in cases {
        let file = folio.write(name, contents);
        folio.refuses(&["import", "fec", &file], &[expected]);
    }
    // The pipe flavour reports the same way.
    let pipe =
        fec_file(&[good[0].clone(), replace(&good[1], "20260302", "20261301")]).replace('\t', "|");
    let file = folio.write("pipe.txt", pipe);
    folio.refuses(
        &["import", "fec", &file],
        &["pipe.txt:3: EcritureDate: `20261301` is not a real date AAAAMMJJ"],
    );

    // The good file imports, validated, creating what is missing.
    let mut lines = good.clone();
    lines.extend(
        fec_entry("XX2026-000007", "20260305", "P9", "10,00")
            .into_iter()
            .map(|l| l.replacen("VE\tVentes", "XY\tJournal importé", 1)),
    );
    let file = folio.write("good.txt", fec_file(&lines));
    let out = folio.ok(&["import", "fec", &file]);
    assert_eq!(
        out.lines().next().unwrap_or_default(),
        "imported 2 entries (4 lines), 2 validated; created 1 journals, 0 accounts, 0 third parties; 0 lettered lines"
    );
    assert!(entry_title(&folio, "VE2026-000001").contains("(validated)"));
    assert!(entry_title(&folio, "XY2026-000001").contains("(validated)"));
    let journals = folio.ok(&["journals", "--format", "csv"]);
    assert!(
        journals.contains("XY,Journal importé,miscellaneous"),
        "{journals}"
    );
}

#[test]
fn import_fec_keeps_lettering_and_reads_crlf_and_a_bom() {
    let folio = Folio::blank();
    let line = |journal: &str,
                label: &str,
                number: &str,
                date: &str,
                account: &str,
                aux: &str,
                piece: &str,
                debit: &str,
                credit: &str,
                letter: &str| {
        let (aux_lib, date_let) = match (aux, letter) {
            ("", "") => ("", ""),
            ("", _) => ("", "20260310"),
            (_, "") => ("Acme", ""),
            _ => ("Acme", "20260310"),
        };
        [
            journal, label, number, date, account, "Compte", aux, aux_lib, piece, date, "Libellé",
            debit, credit, letter, date_let, date, "", "",
        ]
        .join("\t")
    };
    let lines = [
        FEC_HEADER.to_string(),
        line(
            "VE", "Ventes", "V1", "20260302", "411000", "CACME", "F1", "120,00", "0,00", "AA",
        ),
        line(
            "VE", "Ventes", "V1", "20260302", "706000", "", "F1", "0,00", "120,00", "",
        ),
        line(
            "BQ", "Banque", "B1", "20260310", "512000", "", "R1", "120,00", "0,00", "",
        ),
        line(
            "BQ", "Banque", "B1", "20260310", "411000", "CACME", "R1", "0,00", "120,00", "AA",
        ),
    ];
    let text = format!("\u{feff}{}\r\n", lines.join("\r\n"));
    let file = folio.write("lettered.txt", text);
    let out = folio.ok(&["import", "fec", &file]);
    assert_eq!(
        out.lines().next().unwrap_or_default(),
        "imported 2 entries (4 lines), 2 validated; created 0 journals, 0 accounts, 0 third parties; 2 lettered lines"
    );
    let party = csv_records(&folio.ok(&w("report party CACME --format csv")));
    let letters: Vec<(&str, &str)> = party
        .iter()
        .map(|r| (r["letter"].as_str(), r["balance"].as_str()))
        .collect();
    assert_eq!(letters, vec![("AA", "120.00"), ("AA", "0.00")]);
    let show = folio.ok(&["entry", "show", "VE2026-000001"]);
    assert!(
        show.contains("Validated on 2026-03-02"),
        "ValidDate kept: {show}"
    );
    folio.ok(&["export", "fec"]);
    let fec = std::fs::read_to_string(folio.path(&format!("{SIREN}FEC20261231.txt"))).expect("FEC");
    assert!(
        fec.contains("\t120,00\t0,00\tAA\t20260310\t20260302\t\t\n"),
        "{fec}"
    );
    assert!(
        fec.contains("\t0,00\t120,00\tAA\t20260310\t20260310\t\t\n"),
        "{fec}"
    );
}

#[test]

fn import_fec_refuses_pieces_that_already_exist() {
    let folio = Folio::blank();
    let file = folio.write(
        "once.txt",
        fec_file(&fec_entry("VE2026-000001", "20260302", "F1", "120,00")),
    );
    folio.ok(&["import", "fec", &file]);
    folio.refuses(
        &["import", "fec", &file],
        &["once.txt:2: piece: piece F1 already exists in journal VE"],
    );
}

// ----- exports ------------------------------------------------------------------------------

/// Checks a FEC's shape: header, 18 fields, comma decimals, one side per line, gapless numbers
/// per journal in file order. Returns (lines, total debit cents, total credit cents).
fn check_fec_text(text: &str, separator: char) -> (usize, i64, i64) {
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    assert_eq!(header, FEC_HEADER.replace('\t', &separator.to_string()));
    let amount = |field: &str| -> i64 {
        let (units, fraction) = field
            .split_once(',')
            .unwrap_or_else(|| panic!("FEC amount `{field}` without a decimal comma"));
        assert!(
            fraction.len() == 2
                && units.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit()),
            "FEC amount `{field}`"
        );
        cents(&format!("{units}.{fraction}"))
    };
    let mut last_seq: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let (mut count, mut debit, mut credit) = (0, 0, 0);
    for line in lines {
        let fields: Vec<&str> = line.split(separator).collect();
        assert_eq!(fields.len(), 18, "{line}");
        for date in [fields[3], fields[9], fields[15]] {
            assert!(
                date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()),
                "{line}"
            );
        }
        let (d, c) = (amount(fields[11]), amount(fields[12]));
        assert!((d == 0) != (c == 0), "exactly one side: {line}");
        debit += d;
        credit += c;
        for required in [0, 1, 2, 4, 5, 8, 10] {
            assert!(
                !fields[required].trim().is_empty(),
                "field {required}: {line}"
            );
        }
        assert_eq!(
            fields[6].is_empty(),
            fields[7].is_empty(),
            "CompAux pair: {line}"
        );
        let number = fields[2];
        let seq: u64 = number
            .rsplit_once('-')
            .and_then(|(_, s)| s.parse().ok())
            .unwrap_or_else(|| panic!("EcritureNum `{number}`"));
        match last_seq.get(fields[0]) {
            Some((last, _)) if last == number => {}
            Some((_, last)) => assert_eq!(seq, last + 1, "gap before {number}"),
            None => assert_eq!(seq, 1, "first number of {}: {number}", fields[0]),
        }
        last_seq.insert(fields[0].to_string(), (number.to_string(), seq));
        count += 1;
    }
    (count, debit, credit)
}

#[test]
fn export_fec_of_the_demo() {
    let folio = Folio::demo();
    // Drafts are not exported.
    let out = folio.ok(&["export", "fec"]);
    assert_eq!(
        out.trim(),
        format!("wrote ./{DEMO_SIREN}FEC20261231.txt (576 entries, 1732 lines, fiscal year 2026)")
    );
    let text = std::fs::read_to_string(folio.path(&format!("{DEMO_SIREN}FEC20261231.txt")))
        .expect("FEC in the working directory");
    let (lines, debit, credit) = check_fec_text(&text, '\t');
    assert_eq!(lines, 1732);
    assert_eq!(debit, credit);

    folio.ok(&["validate", "--all"]);
    std::fs::create_dir(folio.path("out")).expect("mkdir");
    let out = folio.ok(&w("export fec --year 2026 --out out"));
    assert_eq!(
        out.trim(),
        format!(
            "wrote out/{DEMO_SIREN}FEC20261231.txt (617 entries, 1853 lines, fiscal year 2026)"
        )
    );
    let names: Vec<String> = std::fs::read_dir(folio.path("out"))
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![format!("{DEMO_SIREN}FEC20261231.txt")]);
    let text = std::fs::read_to_string(folio.path(&format!("out/{DEMO_SIREN}FEC20261231.txt")))
        .expect("FEC");
    let (lines, debit, credit) = check_fec_text(&text, '\t');
    assert_eq!((lines, debit, credit), (1853, 93_195_629, 93_195_629));
    assert!(text.contains(
        "AC\tAchats\tAC2026-000001\t20260102\t613200\tLocations immobilières\t\t\tFF2026-00001\t20260102\t\
         Loyer atelier et showroom janvier 2026\t1450,00\t0,00\t\t\t20260131\t\t\n"
    ));
    assert!(
        text.contains("\t401000\tFournisseurs\tFSCICANAL\t"),
        "third parties"
    );

    folio.refuses(
        &w("export fec --out missing"),
        &["out: missing is not a directory"],
    );
    folio.refuses(&w("export fec --year 2031"), &["no fiscal year 2031"]);
    assert!(!folio.path("missing").exists());
}

#[test]
fn export_fec_puts_the_opening_entry_first() {
    let folio = company_with_a_year();
    folio.ok(&["year", "close"]);
    let folio = folio.with_today("2027-02-10");
    folio.ok(&sale("2027-01-03", "F27", "--validate"));
    let out = folio.ok(&["export", "fec"]);
    assert!(
        out.contains(&format!(
            "{SIREN}FEC20271231.txt (2 entries, 11 lines, fiscal year 2027)"
        )),
        "{out}"
    );
    let text =
        std::fs::read_to_string(folio.path(&format!("{SIREN}FEC20271231.txt"))).expect("FEC");
    let (lines, debit, credit) = check_fec_text(&text, '\t');
    assert_eq!((lines, debit == credit), (11, true));
    let journals: Vec<&str> = text.lines().skip(1).map(|l| &l[..2]).collect();
    assert_eq!(&journals[..8], &["AN"; 8]);
    assert_eq!(&journals[8..], &["VE"; 3]);
}

/// Exports the demo's FEC with OPTIONS, imports it into a fresh ledger and compares.
fn fec_round_trip(options: &str) -> (Vec<u8>, Folio) {
    let source = Folio::demo();
    source.ok(&["validate", "--all"]);
    std::fs::create_dir(source.path("fec")).expect("mkdir");
    source.ok(&w(&format!("export fec --out fec {options}")));
    let path = source.path(&format!("fec/{DEMO_SIREN}FEC20261231.txt"));
    let bytes = std::fs::read(&path).expect("FEC");

    let copy = Folio::empty();
    copy.ok(&w(&format!(
        "init --name Copie --siren {DEMO_SIREN} --start 2026-01-01"
    )));
    let out = copy.ok(&["import", "fec", &copy.arg_path(&path)]);
    assert!(
        out.contains("imported 617 entries (1853 lines), 617 validated; created 1 journals, 1 accounts, 28 third parties"),
        "{out}"
    );
    assert_eq!(
        copy.balances("--year 2026"),
        source.balances("--year 2026"),
        "same trial balance"
    );
    assert_eq!(
        copy.ok(&w("report balance --year 2026 --format csv")),
        source.ok(&w("report balance --year 2026 --format csv"))
    );
    assert_eq!(
        copy.ok(&["parties", "--format", "csv"]),
        source.ok(&["parties", "--format", "csv"])
    );
    assert!(
        copy.ok(&["check"])
            .starts_with("check ok: 617 entries, 1853 lines")
    );

    // Exported again, the copy gives the same FEC.
    std::fs::create_dir(copy.path("fec")).expect("mkdir");
    copy.ok(&w(&format!("export fec --out fec {options}")));
    let again = std::fs::read(copy.path(&format!("fec/{DEMO_SIREN}FEC20261231.txt"))).expect("FEC");
    assert!(again == bytes, "the copy's FEC differs from the original's");
    (bytes, copy)
}

#[test]
fn fec_export_imports_into_a_fresh_ledger_with_the_same_trial_balance() {
    let (bytes, _) = fec_round_trip("");
    let text = String::from_utf8(bytes).expect("UTF-8 by default");
    assert_eq!(check_fec_text(&text, '\t').0, 1853);
}

#[test]
fn fec_round_trip_with_pipe_separator_and_latin9() {
    let (bytes, _) = fec_round_trip("--separator pipe --encoding latin9");
    assert!(
        String::from_utf8(bytes.clone()).is_err(),
        "ISO-8859-15, not UTF-8"
    );
    let needle: &[u8] = b"|Locations immobili\xe8res|";
    assert!(bytes.windows(needle.len()).any(|w| w == needle));
    assert!(!bytes.contains(&b'\t'));
    // Decode ISO-8859-15 (the accented letters the demo uses are the same as in Latin-1).
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    assert_eq!(check_fec_text(&text, '|').0, 1853);
}

#[test]
fn export_hledger_writes_every_entry_to_standard_output() {
    let folio = Folio::demo();
    let out = folio.ok(&["export", "hledger"]);
    assert!(
        out.starts_with("; Exported by Folio."),
        "{}",
        &out[..200.min(out.len())]
    );
    assert!(out.contains(
        "2026-01-02 * AC2026-000001 | Facture fournisseur FF2026-00001 SCI du Canal  ; piece:FF2026-00001\n"
    ));
    assert!(out.contains("    401000:FSCICANAL"), "party sub-accounts");
    assert!(
        out.contains(
            "    613200                  1450.00  ; Loyer atelier et showroom janvier 2026\n"
        ),
        "line labels as comments"
    );
    let transactions: Vec<&str> = out
        .split("\n\n")
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.starts_with(';'))
        .collect();
    assert_eq!(transactions.len(), 617);
    let pending = transactions
        .iter()
        .filter(|t| t[10..].starts_with(" ! "))
        .count();
    let cleared = transactions
        .iter()
        .filter(|t| t[10..].starts_with(" * "))
        .count();
    assert_eq!((cleared, pending), (576, 41));
    for transaction in &transactions {
        let sum: i64 = transaction
            .lines()
            .skip(1)
            .map(|posting| {
                // A line label is a comment after the amount: `613200  1450.00  ; Loyer`.
                let amount = posting.split("  ;").next().expect("posting");
                cents(amount.split_whitespace().last().expect("amount"))
            })
            .sum();
        assert_eq!(sum, 0, "{transaction}");
    }
    assert!(!folio.path("hledger").exists());
}

// ----- check and log ------------------------------------------------------------------------

#[test]
fn check_passes_on_a_good_ledger() {
    let folio = Folio::demo();
    let out = folio.ok(&["check"]);
    assert!(
        out.starts_with("check ok: 617 entries, 1853 lines, "),
        "{out}"
    );
    assert!(out.trim_end().ends_with(" 0 findings"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&["check", "--format", "json"])).expect("json");
    assert_eq!(json["entries"], 617);
    assert_eq!(json["findings"], serde_json::json!([]));
}

#[test]
fn check_finds_a_tampered_running_total() {
    let folio = Folio::demo();
    {
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().expect("begin_write");
        {
            let mut totals = txn.open_table(TOTALS).expect("totals");
            let (debit, credit) = totals
                .get(("512000", 202603))
                .expect("get")
                .map(|v| v.value())
                .expect("512000 moved in March 2026");
            totals
                .insert(("512000", 202603), (debit + 100, credit))
                .expect("insert");
        }
        txn.commit().expect("commit");
    }
    let out = folio.run(&["check"]);
    assert!(!out.status.success(), "check must fail");
    let text = stdout(&out);
    let finding = text
        .lines()
        .find(|l| l.starts_with("totals: 512000 in 2026-03:"))
        .unwrap_or_else(|| panic!("no finding naming 512000 and 2026-03:\n{text}"));
    assert!(finding.contains("running totals"), "{finding}");
    assert!(text.contains("check FAILED"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&folio.run(&["check", "--format", "json"]))).expect("json");
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["findings"][0]["area"], "totals");
}

#[test]
fn check_finds_an_altered_audit_record() {
    let folio = Folio::demo();
    // Record 2 (not the last one): its user becomes `alicE`, a one-byte change inside the
    // postcard payload that still decodes.
    {
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().expect("begin_write");
        {
            let mut audit = txn.open_table(AUDIT).expect("audit");
            let mut bytes = audit
                .get(2)
                .expect("get")
                .expect("record 2")
                .value()
                .to_vec();
            let at = bytes
                .windows(USER.len())
                .position(|w| w == USER.as_bytes())
                .expect("the user's name in the record");
            bytes[at + USER.len() - 1] = b'E';
            // A valid envelope again: only the audit chain can tell.
            let bytes = sealed(payload_of(&bytes));
            audit.insert(2, bytes.as_slice()).expect("insert");
        }
        txn.commit().expect("commit");
    }
    let out = folio.run(&["check"]);
    assert!(!out.status.success(), "check must fail");
    let text = stdout(&out);
    assert!(
        text.contains("audit: audit record 2 was altered (its hash does not match its content)"),
        "{text}"
    );
    assert!(text.contains("check FAILED"), "{text}");
}

#[test]
fn check_finds_removed_audit_records() {
    let folio = Folio::demo();
    {
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().expect("begin_write");
        {
            let mut audit = txn.open_table(AUDIT).expect("audit");
            let last = audit
                .last()
                .expect("last")
                .map(|(k, _)| k.value())
                .expect("records");
            audit.remove(last).expect("remove");
        }
        txn.commit().expect("commit");
    }
    let out = folio.run(&["check"]);
    assert!(!out.status.success());
    assert!(
        stdout(&out)
            .contains("audit: the audit log's last record is not the one the ledger points to"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn log_shows_who_did_what() {
    let mut folio = Folio::blank();
    folio.ok(&sale("2026-03-02", "F1", ""));
    folio.user = "bob".into();
    folio.ok(&["validate", "1"]);
    let log = csv_records(&folio.ok(&w("log VE2026-000001 --format csv")));
    let who: Vec<(&str, &str)> = log
        .iter()
        .map(|r| (r["user"].as_str(), r["action"].as_str()))
        .collect();
    assert_eq!(who, vec![("alice", "entry.add"), ("bob", "entry.validate")]);
    assert!(log[1]["detail"].contains("VE2026-000001"));
    assert_eq!(
        folio.ok(&w("log #1 --format csv")),
        folio.ok(&w("log VE2026-000001 --format csv"))
    );

    let table = folio.ok(&["log", "all"]);
    assert!(table.starts_with("seq  at"), "{table}");
    for action in ["ledger.init", "party.add", "entry.add", "entry.validate"] {
        assert!(table.contains(action), "{action}: {table}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("log all --format json"))).expect("json");
    let records = json.as_array().expect("array");
    assert_eq!(records.len(), 5);
    assert_eq!(records[0]["action"], "ledger.init");
    assert_eq!(records[0]["user"], "alice");
    assert_eq!(records[4]["user"], "bob");
    let seqs: Vec<u64> = records.iter().filter_map(|r| r["seq"].as_u64()).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);

    assert!(folio.ok(&["log", "party:CACME"]).contains("party.add"));
    assert!(folio.ok(&["log", "company"]).contains("ledger.init"));
    folio.refuses(&["log", "VE2026-000009"], &["no entry VE2026-000009"]);
    folio.refuses(
        &["log", "account:512000"],
        &["no audit record names account:512000"],
    );
}

// ----- ledger files that are not (usable) Folio ledgers ------------------------------------

/// Commands that must all refuse a bad ledger file.
fn on_a_bad_ledger() -> Vec<Vec<String>> {
    [
        "report balance",
        "accounts list",
        "entry add -j VE -d 2026-03-02 -p F1 --debit 512=1 --credit 706=1",
        "validate --all",
        "year close",
        "check",
        "log all",
        "import entries whatever.csv",
    ]
    .iter()
    .map(|c| w(c))
    .collect()
}

#[test]
fn refuses_a_ledger_path_that_does_not_exist() {
    let folio = Folio::empty();
    for command in &on_a_bad_ledger() {
        let message = folio.fail(command);
        assert!(
            message.contains("does not exist (create one with `folio init` or `folio demo`)"),
            "{message}"
        );
        assert!(message.contains("test.ledger"), "{message}");
        assert!(
            !folio.ledger.exists(),
            "`folio {}` created the file",
            command.join(" ")
        );
    }
}

#[test]
fn refuses_a_text_file_or_an_empty_file_as_ledger() {
    for contents in ["journal,date\nVE,2026-01-01\n", ""] {
        let folio = Folio::empty();
        std::fs::write(&folio.ledger, contents).expect("write");
        for command in &on_a_bad_ledger() {
            let message = folio.fail(command);
            assert!(
                message.contains("test.ledger is not a Folio ledger"),
                "{message}"
            );
            assert_eq!(
                std::fs::read_to_string(&folio.ledger).expect("read"),
                contents,
                "`folio {}` changed the file",
                command.join(" ")
            );
        }
    }
}

#[test]
fn refuses_a_redb_file_without_folio_tables() {
    let folio = Folio::empty();
    let other: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("stock");
    {
        let db = redb::Database::create(&folio.ledger).expect("create");
        let txn = db.begin_write().expect("begin_write");
        txn.open_table(other)
            .expect("open")
            .insert("lamps", 12)
            .expect("insert");
        txn.commit().expect("commit");
    }
    for command in &on_a_bad_ledger() {
        let message = folio.fail(command);
        assert!(
            message.contains("test.ledger is not a Folio ledger"),
            "{message}"
        );
    }
    let db = open_redb(&folio.ledger);
    let txn = db.begin_read().expect("begin_read");
    let tables: Vec<String> = redb::ReadTransaction::list_tables(&txn)
        .expect("list")
        .map(|t| t.name().to_string())
        .collect();
    assert_eq!(tables, vec!["stock".to_string()], "no table written");
    let value = txn
        .open_table(other)
        .expect("open")
        .get("lamps")
        .expect("get")
        .map(|v| v.value());
    assert_eq!(value, Some(12));
}

#[test]
fn refuses_a_ledger_written_by_a_newer_folio() {
    let folio = Folio::demo();
    let before = folio.snapshot();
    let schema = meta_value(&folio.ledger, "schema").expect("schema key");
    assert_eq!(schema[0], 2, "format byte");
    put_meta_value(&folio.ledger, "schema", &[1, 100]);
    for command in &on_a_bad_ledger() {
        let message = folio.fail(command);
        assert!(
            message.contains("test.ledger was written by a newer Folio (schema 100;"),
            "{message}"
        );
    }
    let message = folio.fail(&["import", "entries", "whatever.csv"]);
    assert!(message.contains("newer Folio"), "{message}");
    assert_eq!(meta_value(&folio.ledger, "schema"), Some(vec![1, 100]));
    // Put the version back: nothing else changed.
    put_meta_value(&folio.ledger, "schema", &schema);
    before.assert_same(&folio.snapshot(), "commands on a newer ledger");
}

// ----- known bugs ---------------------------------------------------------------------------

#[test]

fn an_entry_rule_error_is_printed_once() {
    let folio = Folio::blank();
    let message = folio.refuses(
        &w("entry add -j VE -d 2026-03-02 -p F1 --debit 411@CACME=120 --credit 706=100"),
        &["entry is unbalanced"],
    );
    assert_eq!(
        message.matches("entry is unbalanced").count(),
        1,
        "{message}"
    );
}

#[test]

fn years_close_in_order() {
    let folio = Folio::blank().with_today("2027-12-31");
    folio.ok(&["year", "open"]);
    folio.ok(&w(
        "entry add -j OD -d 2026-02-01 -p K1 --debit 512=100 --credit 101=100 --validate",
    ));
    folio.refuses(&["year", "close", "2027"], &["2026"]);
    // Closing in order works, and carries 2026's balances into 2027 and then 2028.
    folio.ok(&["year", "close", "2026"]);
    folio.ok(&["year", "close", "2027"]);
    let opening = folio.balances("--year 2028");
    assert_eq!(opening.get("512000").map(String::as_str), Some("100.00"));
}

#[test]

fn balances_after_a_year_close_are_not_counted_twice() {
    let folio = company_with_a_year();
    folio.ok(&["year", "close"]);
    // The trial balance of 2027 is right: the opening entry alone.
    let opening = folio.balances("--year 2027");
    assert_eq!(opening.get("512000").map(String::as_str), Some("10000.00"));
    assert_eq!(opening.get("411000").map(String::as_str), Some("1800.00"));
    // The general ledger of 2027 must agree with it.
    let bank: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("report ledger 512 --year 2027 --format json")))
            .expect("json");
    let last = bank["rows"]
        .as_array()
        .and_then(|r| r.last())
        .expect("AN line");
    assert_eq!(last["balance"], "10000.00", "{bank}");
    let party = csv_records(&folio.ok(&w("report party CBETA --year 2027 --format csv")));
    assert_eq!(party.last().map(|r| r["balance"].as_str()), Some("600.00"));
    // And so must the lists.
    let accounts = csv_records(&folio.ok(&["accounts", "--format", "csv"]));
    let bank = accounts
        .iter()
        .find(|a| a["number"] == "512000")
        .expect("512");
    assert_eq!(bank["balance"], "10000.00");
    let parties = csv_records(&folio.ok(&["parties", "--format", "csv"]));
    let beta = parties
        .iter()
        .find(|p| p["code"] == "CBETA")
        .expect("CBETA");
    assert_eq!(beta["balance"], "600.00");
}

#[test]

fn list_subcommands_take_the_format_option() {
    let folio = Folio::blank();
    for what in ["accounts", "journals", "parties"] {
        let csv = folio.ok(&[what, "list", "--format", "csv"]);
        assert_eq!(csv, folio.ok(&[what, "--format", "csv", "list"]), "{what}");
    }
}

#[test]

fn an_entry_without_label_does_not_block_the_fec() {
    let folio = Folio::blank();
    let out = folio.run(&w(
        "entry add -j BQ -d 2026-03-01 -p X1 --debit 512=10 --credit 101=10 --validate",
    ));
    if out.status.success() {
        folio.ok(&["export", "fec"]);
    } else {
        assert!(stderr(&out).contains("label"), "{}", stderr(&out));
    }
}
