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
