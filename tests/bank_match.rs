//! `folio bank match|candidates|pay` through the real binary: automatic matching (book lines,
//! a rule with VAT, a payment for a recognised customer), dry runs, candidates with scores and
//! reasons, payments from a bank line, and refusals that leave the ledger as it was.

mod common;

use common::{Folio, csv_records, w};

const IBAN_A: &str = "FR7630006000011234567890189";

/// One MT940 statement of November on IBAN_A: `lines` are (MMDD, signed cents, label, ref).
fn mt940(opening_cents: i64, lines: &[(&str, i64, &str, &str)]) -> String {
    let amount = |cents: i64| format!("{},{:02}", cents.abs() / 100, cents.abs() % 100);
    let side = |cents: i64| if cents < 0 { "D" } else { "C" };
    let mut text = format!(
        ":20:NOV\n:25:{IBAN_A}\n:28C:1/1\n:60F:{}261031EUR{}\n",
        side(opening_cents),
        amount(opening_cents)
    );
    let mut closing = opening_cents;
    for (day, cents, label, bank_ref) in lines {
        closing += cents;
        text.push_str(&format!(
            ":61:26{day}{day}{}{}NTRFNONREF//{bank_ref}\n:86:{label}\n",
            side(*cents),
            amount(*cents)
        ));
    }
    text.push_str(&format!(
        ":62F:{}261130EUR{}\n",
        side(closing),
        amount(closing)
    ));
    text
}

/// A blank company whose bank journal has IBAN_A, a fee rule with VAT, an invoice of
/// 1 200,00 to Acme, a deposit of 450,00 in the books, and the November statement: the
/// deposit (1/1), Acme's transfer (1/2), a fee (1/3), an unknown debit (1/4).
fn november() -> Folio {
    let folio = Folio::blank();
    folio.ok(&w(&format!("journals edit BQ --iban {IBAN_A}")));
    let settings = folio.ok(&w("settings export"));
    assert!(settings.contains("rules = []"), "{settings}");
    let settings = settings.replace("rules = []\n", "")
        + "\n[[reconciliation.rules]]\nname = \"FEES\"\nlabel_contains = \"frais\"\n\
           amount_max = \"50.00\"\nsign = \"out\"\npost_to = \"627000\"\ntax = \"D20\"\n\
           label = \"Frais bancaires {date}\"\n";
    let path = folio.write("settings.toml", settings);
    folio.ok(&["settings", "load", &path]);
    folio.ok(&w(
        "doc add --validate --type customer_invoice --party CACME --date 2026-10-01 --line ';Conseil;1;1000;;V20'",
    ));
    folio.ok(&w(
        "entry add -j BQ -d 2026-11-02 -p REM1 -l 'Remise' --debit 512000=450 --credit 758000=450",
    ));
    let statement = folio.write(
        "nov.sta",
        mt940(
            100_000,
            &[
                ("1103", 45_000, "REMISE", "R1"),
                ("1105", 120_000, "VIR ACME FACTURE OCTOBRE", "R2"),
                ("1110", -1_200, "FRAIS TENUE COMPTE", "R3"),
                ("1115", -4_550, "PRLV INCONNU", "R4"),
            ],
        ),
    );
    folio.ok(&["bank", "import", &statement]);
    folio
}

fn statuses(folio: &Folio) -> Vec<String> {
    csv_records(&folio.ok(&w("bank lines --format csv")))
        .into_iter()
        .map(|row| row["status"].clone())
        .collect()
}

#[test]
fn match_reconciles_posts_by_rule_and_pays_all_at_once() {
    let folio = november();
    let before = folio.snapshot();
    let preview = folio.ok(&w("bank match --dry-run"));
    assert!(
        preview.contains("would match 3 of 4 bank lines (score 80 or more): 1 with book lines, 1 by rule, 1 by payment; 1 left; nothing written"),
        "{preview}"
    );
    assert!(
        preview.contains("1/2  2026-11-05       1200.00  would payment CACME: FA2026-00001 1200.00  [80: exact 1 200,00 · only invoice of this amount (FA2026-00001) · name of CACME]"),
        "{preview}"
    );
    assert!(
        preview.contains("post to 627000 with D20 (rule FEES): Frais bancaires 2026-11-10  [90: rule FEES · label contains \"frais\" · amount in […; 50,00] · money out]"),
        "{preview}"
    );
    assert!(preview.contains("1/4  left: no candidate"), "{preview}");
    before.assert_same(&folio.snapshot(), "bank match --dry-run");

    let out = folio.ok(&w("bank match"));
    assert!(out.contains("matched 3 of 4 bank lines"), "{out}");
    assert_eq!(
        statuses(&folio),
        ["reconciled", "reconciled", "reconciled", "unreconciled"]
    );
    // The payment settled the invoice; the fee was posted with its VAT.
    let invoices = csv_records(&folio.ok(&w("doc list --format csv")));
    let invoice = invoices
        .iter()
        .find(|row| row.values().any(|v| v == "FA2026-00001"))
        .expect("the invoice is listed");
    assert!(invoice.values().any(|v| v == "paid"), "{invoice:?}");
    let balances = folio.balances("--from 2026-11-01 --to 2026-11-30");
    assert_eq!(balances.get("627000").map(String::as_str), Some("10.00"));
    assert_eq!(balances.get("445660").map(String::as_str), Some("2.00"));
    // Nothing is matched twice: a second run finds only the unknown line.
    let again = folio.ok(&w("bank match"));
    assert!(again.contains("matched 0 of 1 bank lines"), "{again}");
}

#[test]
fn match_leaves_lines_below_the_score_and_names_the_best_score() {
    let folio = november();
    let out = folio.ok(&w("bank match --min-score 95 --dry-run"));
    assert!(
        out.contains("1/1  left: best candidate scores 80, below 95"),
        "{out}"
    );
    assert!(out.contains("would match 0 of 4"), "{out}");
    folio.refuses(&w("bank match --min-score 101"), &["101"]);
    folio.refuses(&w("bank match --account 9999"), &["9999"]);
}

#[test]
fn candidates_list_scores_and_reasons_in_every_format() {
    let folio = november();
    let csv = folio.ok(&w("bank candidates 1/1 --format csv"));
    assert!(
        csv.starts_with("rank,score,kind,proposal,reason\n"),
        "{csv}"
    );
    let rows = csv_records(&csv);
    assert_eq!(rows.len(), 1, "{csv}");
    assert_eq!(rows[0]["score"], "80");
    assert_eq!(rows[0]["kind"], "book_lines");
    assert!(rows[0]["proposal"].ends_with("/1"), "{csv}");
    assert_eq!(
        rows[0]["reason"],
        "exact 450,00 · only line of this amount · 1 day apart"
    );
    let table = folio.ok(&w("bank candidates 1/3"));
    assert!(
        table.contains("bank line 1/3  2026-11-10  -12.00  FRAIS TENUE COMPTE"),
        "{table}"
    );
    assert!(table.contains("rule FEES"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&folio.ok(&w("bank candidates 1/2 --format json"))).unwrap();
    assert_eq!(json[0]["kind"], "payment");
    assert_eq!(json[0]["score"], 80);
    let none = folio.ok(&w("bank candidates 1/4"));
    assert!(none.contains("no candidate"), "{none}");
    folio.refuses(&w("bank candidates 1/9"), &["1/9"]);
    folio.refuses(&w("bank candidates x"), &["STATEMENT/LINE"]);
}

#[test]
fn pay_creates_the_payment_allocates_and_reconciles() {
    let folio = november();
    let out = folio.ok(&w("bank pay 1/2 --party cacme --invoice FA2026-00001=1000"));
    assert!(
        out.contains("registered RC2026-00001 of 1200.00 for CACME from bank line 1/2, allocated to FA2026-00001 1000.00; reconciled with"),
        "{out}"
    );
    assert_eq!(
        statuses(&folio),
        ["unreconciled", "reconciled", "unreconciled", "unreconciled"]
    );
    let payments = folio.ok(&w("pay list --format csv"));
    assert!(payments.contains("RC2026-00001"), "{payments}");
    assert!(payments.contains("200.00"), "{payments}");
    // The same bank line is never paid twice; the deposit's book line is untouched.
    folio.refuses(
        &w("bank pay 1/2 --party CACME"),
        &["bank line 1/2 is already reconciled"],
    );
}

#[test]
fn pay_takes_the_oldest_invoices_first_by_default() {
    let folio = november();
    folio.ok(&w(
        "doc add --validate --type customer_invoice --party CACME --date 2026-09-01 --line ';Audit;1;100;;V20'",
    ));
    let out = folio.ok(&w("bank pay 1/2 --party CACME"));
    // FA2026-00002 (September, 120,00) first, then 1 080,00 of FA2026-00001.
    assert!(
        out.contains("allocated to FA2026-00002 120.00, FA2026-00001 1080.00"),
        "{out}"
    );
}

#[test]
fn pay_refuses_what_does_not_fit_and_writes_nothing() {
    let folio = november();
    folio.refuses(
        &w("bank pay 1/3 --party CACME"),
        &["bank line 1/3 is money out", "CACME"],
    );
    folio.refuses(
        &w("bank pay 1/2 --party FSUP"),
        &["bank line 1/2 is money in", "FSUP"],
    );
    folio.refuses(
        &w("bank pay 1/2 --party CACME --invoice FA2026-00001=1300"),
        &["1300.00"],
    );
    folio.refuses(
        &w("bank pay 1/1 --party CACME --invoice FA2026-00001=0"),
        &["positive"],
    );
    folio.refuses(&w("bank pay 1/2 --party NOBODY"), &["NOBODY"]);
    folio.refuses(&w("bank pay 7/1 --party CACME"), &["7/1"]);
}

#[test]
fn a_bad_rule_names_the_settings_file_the_rule_and_the_field() {
    let folio = november();
    let settings = folio.ok(&w("settings export"));
    let bad = settings.replace("label_contains = \"frais\"", "label_regex = \"(frais\"");
    let path = folio.write("bad.toml", bad);
    folio.refuses(
        &["settings", "load", &path],
        &[
            "bad.toml",
            "reconciliation.rules[0].label_regex",
            "rule FEES: not a valid regular expression",
        ],
    );
}
