//! Lettering beyond `letter add`: write-offs within the tolerance (VAT due on payment
//! included), automatic lettering by the rules, ranked suggestions, and lettering from the
//! documents. Ledgers are built through the `folio` binary; the ledger functions the
//! workbench calls are exercised directly, the commands through the binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::NaiveDate;
use common::*;
use folio::ledger::{Ctx, Ledger};
use folio::lettering::LineRef;
use folio::matching::Rule;
use folio::model::{AccountNumber, Amount};

fn ctx() -> Ctx {
    Ctx::fixed(
        USER,
        NaiveDate::from_ymd_opt(2026, 11, 25)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap(),
    )
}

fn acc(text: &str) -> AccountNumber {
    AccountNumber::parse(text).unwrap()
}

fn cents(amount: i64) -> Amount {
    Amount::from_cents(amount)
}

/// A validated entry by the binary: `entry add … --validate`.
fn entry(folio: &Folio, args: &str) {
    folio.ok(&w(&format!("entry add {args} --validate")));
}

/// The line `n` (from 1) of the entry `reference`.
fn line(ledger: &Ledger, reference: &str, n: u32) -> LineRef {
    LineRef {
        entry: ledger.find_entry(reference).unwrap().id,
        line: n - 1,
    }
}

/// Invoice VE2026-000001 of 100.00 to CACME (customer line 1), payment BQ2026-000001 of
/// `paid` (customer line 2).
fn short_payment(paid: &str) -> Folio {
    let folio = Folio::blank();
    entry(
        &folio,
        "-j VE -d 2026-03-02 -p F1 -l Facture --debit 411@CACME=100 --credit 706=100",
    );
    entry(
        &folio,
        &format!(
            "-j BQ -d 2026-03-20 -p R1 -l Reglement --credit 411@CACME={paid} --debit 512={paid}"
        ),
    );
    folio
}

#[test]
fn a_short_payment_within_tolerance_is_written_off_and_lettered() {
    let folio = short_payment("99.50");
    let ledger = Ledger::open(&folio.ledger).unwrap();
    let lines = [
        line(&ledger, "VE2026-000001", 1),
        line(&ledger, "BQ2026-000001", 2),
    ];
    let preview = ledger.letter_writeoff_preview(&ctx(), &lines).unwrap();
    assert_eq!(preview.remainder, cents(50));
    assert_eq!(preview.entry.journal, "OD");
    let posted: Vec<String> = preview
        .entry
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l.account,
                l.debit.to_plain(),
                l.credit.to_plain()
            )
        })
        .collect();
    assert_eq!(posted, ["411000 0.00 0.50", "658000 0.50 0.00"]);
    assert_eq!(preview.entry.lines[0].third_party.as_deref(), Some("CACME"));
    // A preview writes nothing.
    assert!(ledger.letter_groups(None).unwrap().is_empty());

    let (posted, group) = ledger.letter_writeoff(&ctx(), &lines).unwrap();
    assert!(posted.is_validated());
    assert_eq!(posted.reference(), "OD2026-000001");
    assert!(group.is_complete(), "{group:?}");
    assert_eq!(group.lines.len(), 3);
    assert_eq!(group.code(), "AA");
    drop(ledger);
    assert!(folio.ok(&["check"]).starts_with("check ok"));
    let log = folio.ok(&w("log account:411000"));
    assert!(log.contains("letter.writeoff"), "{log}");

    // Unlettering leaves the write-off entry, its line an open item of its own.
    let ledger = Ledger::open(&folio.ledger).unwrap();
    ledger.unletter(&ctx(), &acc("411000"), "AA").unwrap();
    let open = ledger.open_items(&acc("411000"), "CACME").unwrap();
    assert_eq!(open.len(), 3);
    assert!(open.iter().any(|i| i.entry == "OD2026-000001"));
}

#[test]
fn an_overpayment_goes_to_758_and_beyond_tolerance_is_refused() {
    let folio = short_payment("100.80");
    let ledger = Ledger::open(&folio.ledger).unwrap();
    let lines = [
        line(&ledger, "VE2026-000001", 1),
        line(&ledger, "BQ2026-000001", 2),
    ];
    let preview = ledger.letter_writeoff_preview(&ctx(), &lines).unwrap();
    assert_eq!(preview.remainder, cents(-80));
    let posted: Vec<String> = preview
        .entry
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l.account,
                l.debit.to_plain(),
                l.credit.to_plain()
            )
        })
        .collect();
    assert_eq!(posted, ["411000 0.80 0.00", "758000 0.00 0.80"]);

    let folio = short_payment("98");
    let ledger = Ledger::open(&folio.ledger).unwrap();
    let lines = [
        line(&ledger, "VE2026-000001", 1),
        line(&ledger, "BQ2026-000001", 2),
    ];
    let err = ledger
        .letter_writeoff(&ctx(), &lines)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2.00") && err.contains("1.00") && err.contains("lettering.tolerance"),
        "{err}"
    );
    assert!(ledger.letter_groups(None).unwrap().is_empty());
    assert_eq!(ledger.find_entry("OD2026-000001").ok(), None);
}

#[test]
fn a_write_off_joins_the_partial_group_of_a_line() {
    let folio = short_payment("99.50");
    let ledger = Ledger::open(&folio.ledger).unwrap();
    let invoice = line(&ledger, "VE2026-000001", 1);
    let payment = line(&ledger, "BQ2026-000001", 2);
    let partial = ledger.letter(&ctx(), &[invoice, payment]).unwrap();
    assert_eq!(partial.code(), "aa");
    // Naming one line of the partial group is enough.
    let (_, group) = ledger.letter_writeoff(&ctx(), &[payment]).unwrap();
    assert_eq!(group.code(), "AA");
    assert_eq!(group.lines.len(), 3);
    // Nothing left to write off.
    let err = ledger
        .letter_writeoff_preview(&ctx(), &[payment])
        .unwrap_err();
    assert!(err.to_string().contains("complete group AA"), "{err}");
}

/// An invoice of 100.00 + 20.00 VAT due on payment, paid 119.50 and validated.
fn vat_on_payment_short() -> (Folio, String) {
    let folio = Folio::blank();
    let out = folio.ok(&w(
        "doc add --validate --type customer_invoice --party CACME --date 2026-03-02 \
         --line ';Conseil;1;100;;V20E'",
    ));
    let invoice = out
        .split("recorded ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    folio.ok(&w(&format!(
        "pay add --type customer_payment --party CACME --date 2026-03-20 --amount 119.50 \
         --method transfer --allocate {invoice}=119.50"
    )));
    folio.ok(&w("validate --all"));
    (folio, invoice)
}

#[test]
fn a_write_off_clears_the_pending_vat_of_its_share_and_check_still_passes() {
    let (folio, invoice) = vat_on_payment_short();
    assert!(folio.ok(&["check"]).starts_with("check ok"));
    let ledger = Ledger::open(&folio.ledger).unwrap();
    let open = ledger.open_items(&acc("411000"), "CACME").unwrap();
    let lines: Vec<LineRef> = open.iter().map(|i| i.at).collect();
    let preview = ledger.letter_writeoff_preview(&ctx(), &lines).unwrap();
    // 20.00 × 119.50 / 120 = 19.92 moved by the payment; the write-off clears 0.08.
    let posted: Vec<String> = preview
        .entry
        .lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l.account,
                l.debit.to_plain(),
                l.credit.to_plain()
            )
        })
        .collect();
    assert_eq!(
        posted,
        ["411000 0.00 0.50", "658000 0.42 0.00", "445740 0.08 0.00"]
    );
    assert_eq!(preview.vat.len(), 1);
    assert_eq!(preview.vat[0].document, invoice);
    let (writeoff, group) = ledger.letter_writeoff(&ctx(), &lines).unwrap();
    assert!(group.is_complete());
    drop(ledger);
    let check = folio.ok(&["check"]);
    assert!(check.starts_with("check ok"), "{check}");
    let balances = folio.balances("--year 2026");
    assert_eq!(
        balances.get("445740").map(String::as_str).unwrap_or("0.00"),
        "0.00"
    );

    // Reversing the write-off (a mistake) brings the pending VAT back; check still agrees.
    folio.ok(&["letter", "remove", "411000", "AA"]);
    folio.ok(&["reverse", &writeoff.reference()]);
    let check = folio.ok(&["check"]);
    assert!(check.starts_with("check ok"), "{check}");
}

/// Entries for the automatic rules on CACME: a pair (rule 2), two lines sharing a piece
/// (rule 1), a set of three (rule 3), and an ambiguous pair left alone.
fn auto_books() -> Folio {
    let folio = Folio::blank();
    // Rule 1: same piece F9, 40 = 40.
    entry(
        &folio,
        "-j VE -d 2026-02-01 -p F9 -l Facture --debit 411@CACME=40 --credit 706=40",
    );
    entry(
        &folio,
        "-j BQ -d 2026-06-01 -p F9 -l Reglement --credit 411@CACME=40 --debit 512=40",
    );
    // Rule 2: one 250.00 debit and one 250.00 credit, 10 days apart.
    entry(
        &folio,
        "-j VE -d 2026-03-01 -p F1 -l Facture --debit 411@CACME=250 --credit 706=250",
    );
    entry(
        &folio,
        "-j BQ -d 2026-03-11 -p R1 -l Reglement --credit 411@CACME=250 --debit 512=250",
    );
    // Rule 3: 70 + 30 against 100.
    entry(
        &folio,
        "-j VE -d 2026-04-01 -p F2 -l Facture --debit 411@CACME=70 --credit 706=70",
    );
    entry(
        &folio,
        "-j VE -d 2026-04-02 -p F3 -l Facture --debit 411@CACME=30 --credit 706=30",
    );
    entry(
        &folio,
        "-j BQ -d 2026-04-20 -p R2 -l Reglement --credit 411@CACME=100 --debit 512=100",
    );
    // Ambiguous, on the supplier: two 500.00 invoices, one 500.00 payment.
    entry(
        &folio,
        "-j AC -d 2026-05-01 -p A4 -l Facture --credit 401@FSUP=500 --debit 607=500",
    );
    entry(
        &folio,
        "-j AC -d 2026-05-03 -p A5 -l Facture --credit 401@FSUP=500 --debit 607=500",
    );
    entry(
        &folio,
        "-j BQ -d 2026-05-10 -p R3 -l Reglement --debit 401@FSUP=500 --credit 512=500",
    );
    folio
}

#[test]
fn automatic_lettering_applies_the_three_rules_and_leaves_the_ambiguous() {
    let folio = auto_books();
    let ledger = Ledger::open(&folio.ledger).unwrap();
    let dry = ledger.letter_auto(&ctx(), None, None, true).unwrap();
    assert!(dry.dry_run);
    let rules: Vec<(Rule, usize)> = dry.by_rule().iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        rules,
        [
            (Rule::SharedReference, 1),
            (Rule::UniquePair, 1),
            (Rule::UniqueSet, 1)
        ]
    );
    // A dry run writes nothing.
    assert!(ledger.letter_groups(None).unwrap().is_empty());

    let done = ledger.letter_auto(&ctx(), None, None, false).unwrap();
    assert_eq!(done.groups.len(), 3);
    assert_eq!(done.groups, dry.groups, "a dry run shows what the run does");
    let set = done
        .groups
        .iter()
        .find(|g| g.rule == Rule::UniqueSet)
        .unwrap();
    assert_eq!(set.amount, cents(10_000));
    assert_eq!(set.names.len(), 3);
    let groups = ledger.letter_groups(None).unwrap();
    assert!(groups.iter().all(|g| g.is_complete()));
    assert!(
        ledger
            .open_items(&acc("411000"), "CACME")
            .unwrap()
            .is_empty()
    );
    let open = ledger.open_items(&acc("401000"), "FSUP").unwrap();
    assert_eq!(open.len(), 3, "the ambiguous three stay open");
    // A second run finds nothing more.
    let again = ledger
        .letter_auto(&ctx(), None, Some("CACME"), false)
        .unwrap();
    assert!(again.groups.is_empty());
    drop(ledger);
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn suggestions_rank_the_candidates_of_a_line_with_their_reasons() {
    let folio = auto_books();
    let ledger = Ledger::open(&folio.ledger).unwrap();
    ledger.letter_auto(&ctx(), None, None, false).unwrap();
    // Credits are written after debits: the supplier line of the payment is line 1.
    let payment = line(&ledger, "BQ2026-000004", 1);
    let list = ledger
        .letter_suggestions(None, None, Some(payment))
        .unwrap();
    assert_eq!(list.account, acc("401000"));
    assert_eq!(list.party, "FSUP");
    assert!(list.note.is_none());
    let names: Vec<Vec<String>> = list.suggestions.iter().map(|s| s.names.clone()).collect();
    // The closer invoice first.
    assert_eq!(
        names[..2],
        [
            vec!["AC2026-000002/2".to_string(), "BQ2026-000004/1".to_string()],
            vec!["AC2026-000001/2".to_string(), "BQ2026-000004/1".to_string()],
        ]
    );
    assert!(list.suggestions[0].exact);
    assert_eq!(list.suggestions[0].reason, "exact 500,00 · 7 days apart");

    // For the party: the same sets, exact first.
    let party = ledger.letter_suggestions(None, Some("FSUP"), None).unwrap();
    assert_eq!(party.suggestions.len(), 2);
    // Applying a suggestion letters its lines.
    let group = ledger.letter(&ctx(), &list.suggestions[0].lines).unwrap();
    assert!(group.is_complete());
    // A line that is not open is refused with its name.
    let err = ledger
        .letter_suggestions(None, None, Some(payment))
        .unwrap_err()
        .to_string();
    assert!(err.contains("BQ2026-000004/1"), "{err}");
}

/// `doc add --validate …`: the document's number.
fn add_doc(folio: &Folio, args: &str) -> String {
    let out = folio.ok(&w(&format!("doc add --validate {args}")));
    out.split("recorded ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string()
}

fn add_pay(folio: &Folio, args: &str) -> String {
    let out = folio.ok(&w(&format!("pay add {args}")));
    out.split("registered ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string()
}

/// `letter list --format csv` rows as (code, lines).
fn groups(folio: &Folio) -> Vec<(String, String)> {
    csv_records(&folio.ok(&w("letter list --format csv")))
        .into_iter()
        .map(|r| (r["code"].clone(), r["lines"].clone()))
        .collect()
}

#[test]
fn documents_letter_their_payments_partial_then_complete() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;100'",
    );
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-10 --amount 50 \
             --method transfer --allocate {invoice}=50"
        ),
    );
    // Entries are drafts until validated: nothing is lettered yet.
    assert!(groups(&folio).is_empty());
    folio.ok(&w("validate --all"));
    assert_eq!(
        groups(&folio),
        [(
            "aa".to_string(),
            "VE2026-000001/1 BQ2026-000001/2".to_string()
        )]
    );
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-20 --amount 50 \
             --method transfer --allocate {invoice}=50"
        ),
    );
    folio.ok(&w("validate --all"));
    assert_eq!(
        groups(&folio),
        [(
            "AA".to_string(),
            "VE2026-000001/1 BQ2026-000001/2 BQ2026-000002/2".to_string()
        )]
    );
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn documents_letter_at_once_when_entries_are_validated_on_posting() {
    let folio = Folio::blank();
    let settings = folio.ok(&w("settings export"));
    let settings = settings.replace(
        "generated_entries = \"draft\"",
        "generated_entries = \"validated\"",
    );
    let file = folio.write("settings.toml", settings);
    folio.ok(&["settings", "load", &file]);
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;100'",
    );
    let credit = add_doc(
        &folio,
        "--type customer_credit_note --party CACME --date 2026-03-03 --line ';Conseil;1;20'",
    );
    folio.ok(&w(&format!("doc allocate {credit} {invoice}=20")));
    let rows = groups(&folio);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "aa");
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-10 --amount 80 \
             --method transfer --allocate {invoice}=80"
        ),
    );
    let rows = groups(&folio);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "AA");
    assert_eq!(rows[0].1.split(' ').count(), 3);
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn a_reposted_payment_takes_its_place_in_the_group_and_its_reversal_letters_with_it() {
    let folio = Folio::blank();
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20E'",
    );
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-20 --amount 700 \
             --method transfer --allocate {invoice}=700"
        ),
    );
    folio.ok(&w("validate --all"));
    assert_eq!(groups(&folio)[0].0, "aa");
    // A payment dated before changes the later one's share of VAT: 116.67 becomes 116.66,
    // so the later payment's entry is reversed and reposted.
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-10 --amount 100 \
             --method transfer --allocate {invoice}=100"
        ),
    );
    let rows = groups(&folio);
    // The old line and its reversal together; the group lost its reposted (draft) line.
    assert!(
        rows.contains(&(
            "AB".to_string(),
            "BQ2026-000001/2 BQ2026-000002/2".to_string()
        )),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|r| r.0 == "aa"), "{rows:?}");
    folio.ok(&w("validate --all"));
    let rows = groups(&folio);
    let last = rows.last().unwrap();
    assert_eq!(last.0, "ac", "{rows:?}");
    assert_eq!(last.1.split(' ').count(), 3, "{rows:?}");
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn a_reposted_validated_entry_takes_the_old_lines_place() {
    let folio = Folio::blank();
    let settings = folio.ok(&w("settings export"));
    let file = folio.write(
        "settings.toml",
        settings.replace(
            "generated_entries = \"draft\"",
            "generated_entries = \"validated\"",
        ),
    );
    folio.ok(&["settings", "load", &file]);
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;1000;;V20E'",
    );
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-20 --amount 700 \
             --method transfer --allocate {invoice}=700"
        ),
    );
    add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-10 --amount 100 \
             --method transfer --allocate {invoice}=100"
        ),
    );
    let rows = groups(&folio);
    let group = rows.iter().find(|r| r.0 == "aa").expect("{rows:?}");
    // The invoice, the later payment's reposted entry and the earlier payment.
    assert_eq!(group.1.split(' ').count(), 3, "{rows:?}");
    assert!(!group.1.contains("BQ2026-000001/"), "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.0.chars().all(|c| c.is_ascii_uppercase())
                && r.1.starts_with("BQ2026-000001/2 ")),
        "{rows:?}"
    );
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

/// `letter list` and the ledger's views, to show a command wrote nothing.
fn state(folio: &Folio) -> (Snapshot, String) {
    (folio.snapshot(), folio.ok(&w("letter list --format csv")))
}

#[test]
fn cli_letter_auto_prints_rule_by_rule_and_a_dry_run_writes_nothing() {
    let folio = auto_books();
    let before = state(&folio);
    let out = folio.ok(&w("letter auto --dry-run"));
    assert!(
        out.contains("rule 1 (same reference): would letter 1 groups, 2 lines"),
        "{out}"
    );
    assert!(
        out.contains("rule 2 (unique pair): would letter 1 groups, 2 lines"),
        "{out}"
    );
    assert!(
        out.contains("rule 3 (unique set): would letter 1 groups, 3 lines"),
        "{out}"
    );
    assert!(
        out.contains("AB on 411000 (CACME): VE2026-000002/1 BQ2026-000002/2 · 250.00"),
        "{out}"
    );
    assert!(out.contains("(dry run: nothing written)"), "{out}");
    let after = state(&folio);
    before.0.assert_same(&after.0, "letter auto --dry-run");
    assert_eq!(before.1, after.1);

    // One party only: the supplier's ambiguous lines stay open.
    let out = folio.ok(&w("letter auto --party FSUP"));
    assert!(
        out.contains("0 groups over 1 accounts and parties"),
        "{out}"
    );
    let out = folio.ok(&w("letter auto --account 411"));
    assert!(
        out.contains("rule 3 (unique set): lettered 1 groups, 3 lines"),
        "{out}"
    );
    assert_eq!(groups(&folio).len(), 3);
    let log = folio.ok(&w("log party:CACME"));
    assert!(log.contains("letter.auto"), "{log}");
    let log = folio.ok(&w("log VE2026-000002"));
    assert!(log.contains("letter.auto"), "{log}");
    folio.refuses(&w("letter auto --account 41x"), &["--account"]);
}

#[test]
fn cli_letter_suggest_for_a_line_or_a_party_in_three_formats() {
    let folio = auto_books();
    let out = folio.ok(&w("letter suggest BQ2026-000004/1"));
    assert!(out.contains("exact 500,00 · 7 days apart"), "{out}");
    assert!(out.contains("AC2026-000002/2 BQ2026-000004/1"), "{out}");
    let csv = folio.ok(&w("letter suggest --party FSUP --format csv"));
    let rows = csv_records(&csv);
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(csv.starts_with("rank,lines,net,exact,reason\n"), "{csv}");
    assert_eq!(rows[0]["rank"], "1");
    assert_eq!(rows[0]["exact"], "yes");
    assert_eq!(rows[0]["net"], "0.00");
    let json = folio.ok(&w(
        "letter suggest --party FSUP --account 401000 --format json",
    ));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["party"], "FSUP");
    assert_eq!(value["suggestions"].as_array().unwrap().len(), 2);
    assert!(value["note"].is_null());

    folio.refuses(
        &w("letter suggest"),
        &["name a line (ENTRY/LINE) or --party"],
    );
    folio.refuses(
        &w("letter suggest --party NOBODY"),
        &["third party NOBODY has no open items"],
    );
    folio.refuses(
        &w("letter suggest VE2026-000001/2"),
        &["line VE2026-000001/2 has no third party"],
    );
    folio.refuses(&w("letter suggest BQ2026-000004/7"), &["has 2 lines"]);
}

#[test]
fn cli_letter_writeoff_shows_the_entry_then_posts_it() {
    let folio = short_payment("99.50");
    let before = state(&folio);
    let out = folio.ok(&w(
        "letter writeoff VE2026-000001/1 BQ2026-000001/2 --dry-run",
    ));
    assert!(
        out.contains("would write off 0.50 on 411000 (CACME), within the tolerance 1.00"),
        "{out}"
    );
    assert!(out.contains("OD 2026-11-25 piece F1"), "{out}");
    assert!(out.contains("C 411000@CACME 0.50"), "{out}");
    assert!(out.contains("D 658000 0.50"), "{out}");
    assert!(out.contains("dry run: nothing written"), "{out}");
    let after = state(&folio);
    before.0.assert_same(&after.0, "letter writeoff --dry-run");
    assert_eq!(before.1, after.1);

    let out = folio.ok(&w("letter writeoff VE2026-000001/1 BQ2026-000001/2"));
    assert!(out.contains("posted OD2026-000001"), "{out}");
    assert!(
        out.contains(
            "lettered AA on 411000 (CACME): VE2026-000001/1 BQ2026-000001/2 OD2026-000001/1"
        ),
        "{out}"
    );
    assert!(folio.ok(&["check"]).starts_with("check ok"));
    folio.refuses(
        &w("letter writeoff BQ2026-000001/2"),
        &["line BQ2026-000001/2 is in complete group AA: nothing to write off"],
    );
}

#[test]
fn cli_letter_writeoff_refusals_leave_the_ledger_unchanged() {
    let folio = short_payment("98");
    let before = state(&folio);
    folio.refuses(
        &w("letter writeoff VE2026-000001/1 BQ2026-000001/2"),
        &["the difference 2.00 is beyond the write-off tolerance 1.00 (setting lettering.tolerance)"],
    );
    folio.refuses(
        &w("letter writeoff VE2026-000001/2 BQ2026-000001/2"),
        &["has no third party"],
    );
    assert_eq!(before.1, state(&folio).1);

    // A larger tolerance from the settings; a write-off account the chart lacks is named.
    let settings = folio.ok(&w("settings export"));
    let settings = settings
        .replace("tolerance = \"1.00\"", "tolerance = \"5.00\"")
        .replace(
            "writeoff_debit_account = \"658000\"",
            "writeoff_debit_account = \"658900\"",
        );
    let file = folio.write("settings.toml", settings);
    folio.ok(&["settings", "load", &file]);
    folio.refuses(
        &w("letter writeoff VE2026-000001/1 BQ2026-000001/2"),
        &["lettering.writeoff_debit_account: account 658900 does not exist"],
    );
    let settings = folio.ok(&w("settings export")).replace(
        "writeoff_debit_account = \"658900\"",
        "writeoff_debit_account = \"658100\"",
    );
    let file = folio.write("settings.toml", settings);
    folio.ok(&["settings", "load", &file]);
    let out = folio.ok(&w("letter writeoff VE2026-000001/1 BQ2026-000001/2"));
    assert!(out.contains("D 658100 2.00"), "{out}");
    assert!(out.contains("lettered AA"), "{out}");
}

#[test]
fn the_demo_is_lettered_and_keeps_work_for_the_workbench() {
    let folio = Folio::demo();
    // The FEC: several hundred lettered lines, code and date both set or both blank.
    folio.ok(&["export", "fec"]);
    let fec = std::fs::read_to_string(folio.path(&format!("{DEMO_SIREN}FEC20261231.txt"))).unwrap();
    let mut lettered = 0;
    for line in fec.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 18, "{line}");
        assert_eq!(fields[13].is_empty(), fields[14].is_empty(), "{line}");
        if !fields[13].is_empty() {
            lettered += 1;
            assert_eq!(fields[14].len(), 8, "{line}");
        }
    }
    assert!(lettered >= 300, "{lettered} lettered lines");

    // Groups made by the rules carry the day the demo's accountant ran them, when October's
    // return was filed (not the day the demo is built); nothing is left to them.
    let rows = csv_records(&folio.ok(&w("letter list --format csv")));
    assert!(rows.iter().all(|r| r["date"] != TODAY));
    let by_rules: Vec<&str> = rows
        .iter()
        .filter(|r| r["date"] == "2026-11-16")
        .map(|r| r["party"].as_str())
        .collect();
    // The VAT to pay of March to September with its payment to the tax office (same piece
    // `CA3 2026-MM`); October's is paid on the November statement, left to reconcile.
    assert_eq!(
        by_rules,
        [
            "FLICHTWERK",
            "FVERRERIE",
            "SIE",
            "SIE",
            "SIE",
            "SIE",
            "SIE",
            "SIE",
            "SIE"
        ]
    );
    let partial: Vec<&str> = rows
        .iter()
        .filter(|r| r["code"].chars().all(|c| c.is_ascii_lowercase()))
        .map(|r| r["remainder"].as_str())
        .collect();
    assert!(
        partial.contains(&"0.50") && partial.len() >= 2,
        "{partial:?}"
    );
    let out = folio.ok(&w("letter auto --dry-run"));
    assert!(out.contains("\n0 groups over "), "{out}");

    // The ambiguous payment: two exact candidates, the closer first.
    let csv = csv_records(&folio.ok(&w("letter suggest --party FCOMPTA --format csv")));
    assert_eq!(csv.len(), 2);
    assert!(csv[0]["reason"].starts_with("exact 468,00"), "{csv:?}");

    // The short payment: 0.50 to write off, 0.08 of it VAT due on payment.
    let out = folio.ok(&w("letter writeoff VE2026-000124/1"));
    assert!(
        out.contains("D 445740 0.08") && out.contains("D 658000 0.42"),
        "{out}"
    );
    assert!(out.contains("posted OD2026-"), "{out}");
    let check = folio.ok(&["check"]);
    assert!(
        check.starts_with("check ok") && check.contains(" 0 findings"),
        "{check}"
    );
}

#[test]
fn removing_an_allocation_unletters_what_it_lettered_and_reallocating_letters_again() {
    let folio = Folio::blank();
    let settings = folio.ok(&w("settings export"));
    let file = folio.write(
        "settings.toml",
        settings.replace(
            "generated_entries = \"draft\"",
            "generated_entries = \"validated\"",
        ),
    );
    folio.ok(&["settings", "load", &file]);
    let first = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-02 --line ';Conseil;1;100'",
    );
    let second = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-03-03 --line ';Conseil;1;50'",
    );
    let payment = add_pay(
        &folio,
        &format!(
            "--type customer_payment --party CACME --date 2026-03-10 --amount 150 \
             --method transfer --allocate {first}=100 --allocate {second}=50"
        ),
    );
    assert_eq!(groups(&folio)[0].0, "AA");
    // The payment stays with the first invoice: a partial group of the two.
    folio.ok(&["pay", "unallocate", &payment, &second]);
    let rows = groups(&folio);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "ab");
    assert_eq!(rows[0].1.split(' ').count(), 2, "{rows:?}");
    folio.ok(&["pay", "allocate", &payment, &format!("{second}=50")]);
    let rows = groups(&folio);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "AB");
    let log = folio.ok(&w("log account:411000"));
    assert!(log.contains("letter.remove"), "{log}");

    // A credit note's set-off taken back unletters it too.
    let invoice = add_doc(
        &folio,
        "--type customer_invoice --party CACME --date 2026-04-02 --line ';Conseil;1;80'",
    );
    let credit = add_doc(
        &folio,
        "--type customer_credit_note --party CACME --date 2026-04-03 --line ';Conseil;1;80'",
    );
    folio.ok(&w(&format!("doc allocate {credit} {invoice}=80")));
    assert_eq!(groups(&folio).len(), 2);
    folio.ok(&["pay", "unallocate", &credit, &invoice]);
    assert_eq!(groups(&folio).len(), 1);
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn automatic_lettering_completes_a_partial_group_and_continues_the_codes() {
    let folio = Folio::blank();
    // Invoice of 100.00 paid 40.00, lettered by hand: partial group aa.
    entry(
        &folio,
        "-j VE -d 2026-03-02 -p F1 -l Facture --debit 411@CACME=100 --credit 706=100",
    );
    entry(
        &folio,
        "-j BQ -d 2026-03-10 -p R1 -l Acompte --credit 411@CACME=40 --debit 512=40",
    );
    folio.ok(&w("letter add VE2026-000001/1 BQ2026-000001/2"));
    // The other 60.00, and another invoice paid with its piece.
    entry(
        &folio,
        "-j BQ -d 2026-03-20 -p R2 -l Solde --credit 411@CACME=60 --debit 512=60",
    );
    entry(
        &folio,
        "-j VE -d 2026-03-03 -p F2 -l Facture --debit 411@CACME=75 --credit 706=75",
    );
    entry(
        &folio,
        "-j BQ -d 2026-03-21 -p F2 -l Reglement --credit 411@CACME=75 --debit 512=75",
    );
    assert_eq!(
        groups(&folio),
        [(
            "aa".to_string(),
            "VE2026-000001/1 BQ2026-000001/2".to_string()
        )]
    );
    let out = folio.ok(&w("letter auto"));
    assert!(out.contains("AA"), "{out}");
    assert!(out.contains("AB"), "{out}");
    // The partial group takes the payment and becomes complete under its own code; the next
    // group takes the account's next code.
    assert_eq!(
        groups(&folio),
        [
            (
                "AA".to_string(),
                "VE2026-000001/1 BQ2026-000001/2 BQ2026-000002/2".to_string()
            ),
            (
                "AB".to_string(),
                "VE2026-000002/1 BQ2026-000003/2".to_string()
            )
        ]
    );
    let ledger = Ledger::open(&folio.ledger).unwrap();
    assert!(ledger.open_item_parties(None).unwrap().is_empty());
    assert_eq!(
        ledger.letter_counters().unwrap(),
        [("411000".to_string(), 2)]
    );
    // One audit record for the party, naming its groups and their lines.
    let log: Vec<String> = ledger
        .history("party:CACME")
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "letter.auto")
        .map(|r| r.detail)
        .collect();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(
        log[0].contains("AA (") && log[0].contains("AB ("),
        "{log:?}"
    );
    assert!(log[0].contains("BQ2026-000002/2"), "{log:?}");
    drop(ledger);
    assert!(folio.ok(&["check"]).starts_with("check ok"));
}

#[test]
fn automatic_lettering_replaces_an_imported_mark_and_every_lettered_entry_shows_it() {
    let folio = Folio::blank();
    // A FEC whose invoice line carries a mark (`ZZ`) that is no group of the ledger (alone, it
    // does not balance): the line stays an open item with its imported mark.
    let line = |number: &str, account: &str, aux: &str, debit: &str, credit: &str, letter: &str| {
        let date_let = if letter.is_empty() { "" } else { "20260502" };
        [
            "OD", "OD", number, "20260502", account, "Compte", aux, aux, "P7", "20260502",
            "Libelle", debit, credit, letter, date_let, "20260502", "", "",
        ]
        .join("\t")
    };
    let lines = [
        "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\t\
         CompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\t\
         EcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise"
            .to_string(),
        line("O1", "411000", "CACME", "70,00", "0,00", "ZZ"),
        line("O1", "706000", "", "0,00", "70,00", ""),
        line("O2", "512000", "", "70,00", "0,00", ""),
        line("O2", "411000", "CACME", "0,00", "70,00", ""),
    ];
    let file = folio.write("lettered.txt", lines.join("\n") + "\n");
    folio.ok(&["import", "fec", &file]);
    let show = folio.ok(&w("entry show OD2026-000001"));
    assert!(show.contains(" ZZ "), "{show}");
    // Rule 1 (same piece P7) letters both lines: the imported mark gives way to the group,
    // whose code comes after `ZZ` (a code a file used is not given again).
    let out = folio.ok(&w("letter auto"));
    assert!(
        out.contains("rule 1 (same reference): lettered 1 groups, 2 lines"),
        "{out}"
    );
    let show = folio.ok(&w("entry show OD2026-000001"));
    assert!(!show.contains(" ZZ "), "{show}");
    assert_eq!(
        groups(&folio),
        [(
            "AAA".to_string(),
            "OD2026-000001/1 OD2026-000002/2".to_string()
        )]
    );
    assert!(folio.ok(&["check"]).starts_with("check ok"));

    // Every entry an automatic run lettered has the run in its history.
    let folio = auto_books();
    let ledger = Ledger::open(&folio.ledger).unwrap();
    let done = ledger.letter_auto(&ctx(), None, None, false).unwrap();
    assert_eq!(done.groups.len(), 3);
    for group in &done.groups {
        for at in &group.lines {
            let history = ledger.history(&format!("entry:{}", at.entry)).unwrap();
            assert!(
                history.iter().any(|r| r.action == "letter.auto"
                    && r.detail.contains(&group.code)
                    && r.user == USER),
                "entry #{}: {history:?}",
                at.entry
            );
        }
    }
}
