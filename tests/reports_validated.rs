//! `--validated-only` on the reports: drafts left out of the trial balance, the ledgers and
//! the journal, the balances being those of validated entries.

mod common;

use std::collections::BTreeMap;

use common::{Folio, cents, csv_records, journal_records, w};

/// Per account (debit, credit) in cents from journal rows.
fn sums(rows: &[BTreeMap<String, String>]) -> BTreeMap<String, (i64, i64)> {
    let mut out: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for row in rows {
        let slot = out.entry(row["account"].clone()).or_default();
        slot.0 += cents(&row["debit"]);
        slot.1 += cents(&row["credit"]);
    }
    out.retain(|_, (d, c)| *d != 0 || *c != 0);
    out
}

#[test]
fn the_trial_balance_of_validated_entries_leaves_the_drafts_out() {
    let folio = Folio::demo();
    let journal = journal_records(&folio.ok(&w("report journal --format csv --year 2026")));
    assert!(
        journal.iter().any(|r| r["status"] == "draft"),
        "the demo has drafts"
    );
    let validated: Vec<_> = journal
        .iter()
        .filter(|r| r["status"] == "validated")
        .cloned()
        .collect();
    let expected = sums(&validated);
    let balance = csv_records(&folio.ok(&w(
        "report balance --format csv --year 2026 --validated-only",
    )));
    let got: BTreeMap<String, (i64, i64)> = balance
        .iter()
        .filter(|r| r["account"].chars().all(|c| c.is_ascii_digit()) && !r["account"].is_empty())
        .map(|r| {
            (
                r["account"].clone(),
                (cents(&r["debit"]), cents(&r["credit"])),
            )
        })
        .collect();
    assert_eq!(got, expected);
    // Without the flag the drafts are in, and the figures differ.
    let all = csv_records(&folio.ok(&w("report balance --format csv --year 2026")));
    assert_ne!(all, balance);
    let with_drafts: BTreeMap<String, (i64, i64)> = all
        .iter()
        .filter(|r| r["account"].chars().all(|c| c.is_ascii_digit()) && !r["account"].is_empty())
        .map(|r| {
            (
                r["account"].clone(),
                (cents(&r["debit"]), cents(&r["credit"])),
            )
        })
        .collect();
    assert_eq!(with_drafts, sums(&journal));
}

#[test]
fn the_journal_lists_validated_entries_only() {
    let folio = Folio::demo();
    let all = folio.journal_rows("--year 2026");
    let validated = folio.journal_rows("--year 2026 --validated-only");
    assert!(validated.iter().all(|r| r["status"] == "validated"));
    let expected: Vec<_> = all
        .into_iter()
        .filter(|r| r["status"] == "validated")
        .collect();
    assert_eq!(validated, expected);
    // The table format too.
    let table = folio.ok(&w("report journal VE --year 2026 --validated-only"));
    assert!(!table.contains("draft"), "{table}");
}

#[test]
fn a_ledger_of_validated_lines_runs_its_own_balance() {
    let folio = Folio::demo();
    let journal = journal_records(&folio.ok(&w("report journal --format csv --year 2026")));
    let bank: Vec<_> = journal
        .iter()
        .filter(|r| r["account"] == "512000")
        .collect();
    let drafts = bank.iter().filter(|r| r["status"] == "draft").count();
    assert!(drafts > 0, "drafts move the bank");
    let signed = |r: &&&BTreeMap<String, String>| cents(&r["debit"]) - cents(&r["credit"]);
    let validated_total: i64 = bank
        .iter()
        .filter(|r| r["status"] == "validated")
        .map(|r| signed(&r))
        .sum();
    let rows = csv_records(&folio.ok(&w(
        "report ledger 512000 --format csv --year 2026 --validated-only",
    )));
    let all = csv_records(&folio.ok(&w("report ledger 512000 --format csv --year 2026")));
    assert_eq!(rows.len(), all.len() - drafts);
    assert!(rows.iter().all(|r| !r["number"].starts_with('#')));
    // The running balance is that of the validated lines, line after line.
    let mut running = 0;
    for row in &rows {
        running += cents(&row["debit"]) - cents(&row["credit"]);
        assert_eq!(cents(&row["balance"]), running, "{row:?}");
    }
    assert_eq!(running, validated_total);

    // From 2026-11-03, after the first drafts: the opening balance leaves them out too.
    let page: serde_json::Value = serde_json::from_str(&folio.ok(&w(
        "report ledger 512000 --format json --from 2026-11-03 --to 2026-12-31 --validated-only",
    )))
    .expect("json");
    let before: i64 = bank
        .iter()
        .filter(|r| r["status"] == "validated" && r["date"].as_str() < "2026-11-03")
        .map(|r| signed(&r))
        .sum();
    let opening = page["opening_balance"].as_str().expect("opening");
    assert_eq!(cents(opening), before);
    let with_drafts: serde_json::Value = serde_json::from_str(&folio.ok(&w(
        "report ledger 512000 --format json --from 2026-11-03 --to 2026-12-31",
    )))
    .expect("json");
    assert_ne!(with_drafts["opening_balance"], page["opening_balance"]);
    // Paging counts validated lines only.
    let second: serde_json::Value = serde_json::from_str(&folio.ok(&w(
        "report ledger 512000 --format json --year 2026 --validated-only --page 2 --page-size 10",
    )))
    .expect("json");
    assert_eq!(second["rows"][0]["balance"], rows[10]["balance"].as_str());
}

#[test]
fn a_third_partys_ledger_of_validated_lines() {
    let folio = Folio::demo();
    let journal = journal_records(&folio.ok(&w("report journal --format csv --year 2026")));
    let vernet: Vec<_> = journal
        .iter()
        .filter(|r| r["third_party"] == "CVERNET")
        .collect();
    assert!(vernet.iter().any(|r| r["status"] == "draft"));
    let expected: i64 = vernet
        .iter()
        .filter(|r| r["status"] == "validated")
        .map(|r| cents(&r["debit"]) - cents(&r["credit"]))
        .sum();
    let rows = csv_records(&folio.ok(&w(
        "report party CVERNET --format csv --year 2026 --validated-only",
    )));
    assert_eq!(
        rows.len(),
        vernet.iter().filter(|r| r["status"] == "validated").count()
    );
    let last = rows.last().map(|r| cents(&r["balance"]));
    assert_eq!(last, Some(expected));
    let all = csv_records(&folio.ok(&w("report party CVERNET --format csv --year 2026")));
    assert!(all.len() > rows.len());
}
