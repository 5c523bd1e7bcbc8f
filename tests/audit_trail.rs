//! The audit trail and concurrent edits: each record is stamped by the clock at its own
//! commit and never runs backwards, an edit says what it changed, a save that changes nothing
//! writes nothing, a save against a stale revision is refused naming who changed the draft,
//! and a fiscal year is not closed before its last day.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{NaiveDate, NaiveDateTime};
use common::{Folio, csv_records, w};
use folio::ledger::{Clock, Ctx, InitParams, Ledger, LedgerError};
use folio::model::{AccountNumber, Amount, Company, EntryInput, Line};

// ----- through the command line ------------------------------------------------------------------

/// The audit records of one record, oldest first, as `log --format csv` prints them.
fn log_of(folio: &Folio, record: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    csv_records(&folio.ok(&["log", record, "--format", "csv"]))
}

fn rent(folio: &Folio) {
    let out = folio.ok(&w(
        "entry add -j OD -d 2026-03-01 -p L1 -l Loyer --debit 606=100 --credit 512=100",
    ));
    assert_eq!(out.trim(), "added draft #1");
}

#[test]
fn an_edit_records_each_changed_field_and_line_before_and_after() {
    let folio = Folio::blank();
    rent(&folio);
    let out = folio.ok(&w(
        "entry edit 1 -l 'Loyer mars' --debit 6061=100 --credit 512=100",
    ));
    assert_eq!(out.trim(), "edited draft #1 (revision 2)");
    let log = log_of(&folio, "1");
    let edit = log.last().expect("an edit record");
    assert_eq!(edit["action"], "entry.edit");
    let detail = &edit["detail"];
    assert!(detail.contains("label: Loyer → Loyer mars"), "{detail}");
    assert!(
        detail.contains("line 1: 606000 100,00 D → 606100 100,00 D"),
        "{detail}"
    );
    // What did not change is not listed.
    assert!(!detail.contains("line 2"), "{detail}");
    assert!(!detail.contains("date"), "{detail}");
}

#[test]
fn an_edit_that_changes_nothing_writes_no_record_and_keeps_the_revision() {
    let folio = Folio::blank();
    rent(&folio);
    let before = folio.snapshot();
    let out = folio.ok(&w("entry edit 1 -l Loyer --debit 606=100 --credit 512=100"));
    assert_eq!(out.trim(), "draft #1 unchanged (revision 1)");
    let out = folio.ok(&w("entry edit 1"));
    assert_eq!(out.trim(), "draft #1 unchanged (revision 1)");
    // The audit log (and everything else) is as it was.
    before.assert_same(&folio.snapshot(), "entry edit without a change");
    assert_eq!(log_of(&folio, "1").len(), 1);
    assert!(folio.ok(&["entry", "show", "1"]).contains("Revision 1\n"));
}

#[test]
fn an_edit_against_a_stale_revision_is_refused_naming_who_changed_it_and_when() {
    let mut folio = Folio::blank();
    rent(&folio);
    // Bob changes the draft after Alice read it at revision 1.
    folio.user = "bob".into();
    folio.ok(&w("entry edit 1 -l 'Loyer de mars'"));
    folio.user = "alice".into();
    let bob = log_of(&folio, "1").pop().expect("bob's record");
    assert_eq!(bob["user"], "bob");
    let message = folio.refuses(
        &w("entry edit 1 --revision 1 -l 'Loyer avril'"),
        &[
            "draft #1 was changed by bob",
            &format!("at {}", bob["at"]),
            "revision 2, yours 1",
            "reload it",
        ],
    );
    assert!(!message.contains("Loyer avril"), "{message}");
    assert!(
        folio
            .ok(&["entry", "show", "1"])
            .contains("— Loyer de mars")
    );
    // At the current revision the edit goes through.
    let out = folio.ok(&w("entry edit 1 --revision 2 -l 'Loyer avril'"));
    assert_eq!(out.trim(), "edited draft #1 (revision 3)");
}

#[test]
fn year_close_is_refused_before_the_years_last_day() {
    let folio = Folio::blank().with_today("2026-11-30");
    folio.ok(&w(
        "entry add -j BQ -d 2026-01-02 -p K1 --debit 512=1000 --credit 101=1000 --validate",
    ));
    folio.refuses(
        &["year", "close", "2026"],
        &[
            "fiscal year 2026 ends on 2026-12-31",
            "cannot be closed before its last day (today is 2026-11-30)",
            "cannot be reopened",
        ],
    );
    folio.refuses(&["year", "close"], &["before its last day"]);
    // On the last day it closes.
    let folio = folio.with_today("2026-12-31");
    let out = folio.ok(&["year", "close"]);
    assert!(out.contains("closed fiscal year 2026"), "{out}");
}

// ----- through the ledger, with a clock the test moves ------------------------------------------

fn at(seconds: i64) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 20)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("date")
        + chrono::Duration::seconds(seconds)
}

/// A context whose clock reads `seconds` after 2026-11-20 10:00.
fn moving_ctx(seconds: &Arc<AtomicI64>) -> Ctx {
    let source = Arc::clone(seconds);
    Ctx::with_clock(
        "alice",
        Clock::Custom(Arc::new(move || at(source.load(Ordering::SeqCst)))),
    )
}

fn blank_ledger(dir: &std::path::Path, ctx: &Ctx) -> Ledger {
    let params = InitParams {
        company: Company {
            name: "Test SARL".into(),
            siren: common::SIREN.into(),
        },
        first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        first_year_months: 12,
        chart: folio::fixtures::default_chart().expect("chart"),
        settings: None,
    };
    Ledger::create(&dir.join("t.ledger"), &params, ctx).expect("ledger")
}

fn rent_input(label: &str) -> EntryInput {
    let amount = Amount::from_cents(10_000);
    EntryInput {
        journal: "OD".into(),
        date: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
        piece: "L1".into(),
        label: label.into(),
        lines: vec![
            Line::debit(AccountNumber::parse("606").expect("account"), amount),
            Line::credit(AccountNumber::parse("512").expect("account"), amount),
        ],
    }
}

#[test]
fn each_audit_record_takes_the_clock_at_its_own_commit_and_never_runs_backwards() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seconds = Arc::new(AtomicI64::new(0));
    // One context for the whole session, as the interface keeps it.
    let ctx = moving_ctx(&seconds);
    let ledger = blank_ledger(dir.path(), &ctx);
    let entry = ledger.add_entry(&ctx, &rent_input("Loyer")).expect("add");
    seconds.store(75, Ordering::SeqCst);
    ledger
        .edit_entry(&ctx, entry.id, &rent_input("Loyer mars"), Some(1))
        .expect("edit");
    let history = ledger
        .history(&format!("entry:{}", entry.id))
        .expect("history");
    let times: Vec<NaiveDateTime> = history.iter().map(|r| r.at).collect();
    assert_eq!(times, vec![at(0), at(75)]);

    // The clock set back an hour (or another machine's clock behind): the record is not dated
    // before the one it follows.
    seconds.store(-3_600, Ordering::SeqCst);
    ledger
        .edit_entry(&ctx, entry.id, &rent_input("Loyer avril"), Some(2))
        .expect("edit");
    let history = ledger
        .history(&format!("entry:{}", entry.id))
        .expect("history");
    assert_eq!(history.last().map(|r| r.at), Some(at(75)));
    let mut all = ledger.recent_history(100).expect("log");
    all.sort_by_key(|r| r.seq);
    assert!(
        all.windows(2).all(|pair| pair[0].at <= pair[1].at),
        "records in order of time"
    );
    let report = ledger.check().expect("check");
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

#[test]
fn the_ledger_refuses_a_stale_revision_and_keeps_the_other_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seconds = Arc::new(AtomicI64::new(0));
    let alice = moving_ctx(&seconds);
    let bob = Ctx {
        user: "bob".into(),
        ..moving_ctx(&seconds)
    };
    let ledger = blank_ledger(dir.path(), &alice);
    let entry = ledger.add_entry(&alice, &rent_input("Loyer")).expect("add");
    assert_eq!(entry.revision, 1);
    seconds.store(30, Ordering::SeqCst);
    let edited = ledger
        .edit_entry(&bob, entry.id, &rent_input("Loyer (Bob)"), Some(1))
        .expect("bob's edit");
    assert_eq!(edited.revision, 2);
    let err = ledger
        .edit_entry(&alice, entry.id, &rent_input("Loyer (Alice)"), Some(1))
        .expect_err("stale");
    match &err {
        LedgerError::StaleRevision {
            by,
            at: when,
            found,
            expected,
            ..
        } => {
            assert_eq!((by.as_str(), *found, *expected), ("bob", 2, 1), "{err}");
            assert_eq!(when, "2026-11-20 10:00:30");
        }
        other => panic!("expected a stale revision, got {other}"),
    }
    assert_eq!(ledger.entry(entry.id).expect("entry").label, "Loyer (Bob)");
}
