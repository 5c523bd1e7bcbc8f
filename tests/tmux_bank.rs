//! The reconciliation session in the real binary, in a real terminal (tmux) at 80x24: the
//! demo's November, as its banks sent it, reconciled in the session. `9` opens the first
//! statement with lines to reconcile (512000's November); `p` pays the Hôtel du Grand Cerf's
//! two invoices from its transfer, `s` sends the unknown transfer to suspense, `m` reconciles
//! the lines that match automatically, `a` posts the bank's fee to 627000, `enter` accepts the
//! SEPA collection matched with its two debits; `o` then opens the second account's November,
//! whose line `enter` reconciles. The keys are counted, and `folio bank lines --unreconciled`
//! lists nothing after. Skips only when tmux is not installed.

// Test helpers outside #[test] functions may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;
#[path = "tmux_common/mod.rs"]
mod tmux;
use tmux::Tmux;

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use folio::ledger::{BankLineFilter, BankLineId, BankLineStatus, Ctx, Ledger};
use folio::model::AccountNumber;

/// The demo as `FOLIO_TODAY=2026-11-25 folio demo` builds it.
fn ctx() -> Ctx {
    let now = NaiveDate::from_ymd_opt(2026, 11, 25)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap();
    Ctx::fixed("demo", now)
}

#[test]
fn reconcile_the_demos_november_in_the_real_binary() {
    if Command::new("tmux").arg("-V").output().is_err() {
        // CI installs tmux (.ci/run): there the test must run.
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        println!("tmux is not installed: skipping the end-to-end test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.ledger");
    let (november, lines) = {
        let ledger = folio::demo::build_demo(&path, &ctx()).unwrap();
        let account = AccountNumber::parse("512000").unwrap();
        let statement = ledger.statements(Some(&account)).unwrap().pop().unwrap();
        (statement.record.id, statement.record.lines)
    };
    assert_eq!(lines, 27);
    let tmux = Tmux::new(format!("folio-bank-e2e-{}", std::process::id()), "bank");
    let command = format!(
        "env FOLIO_TODAY=2026-11-25 USER=e2e TERM=xterm-256color {} --ledger {}",
        env!("CARGO_BIN_EXE_folio"),
        path.display()
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "bank",
        "-x",
        "80",
        "-y",
        "24",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    tmux.wait_for("Drafts to validate");
    tmux.keys(&["9"]);
    let screen = tmux.wait_for("0 / 27 lines reconciled");
    assert!(screen.contains("Reconciliation 512000"), "{screen}");
    // The customer transfer is the line before the last: `[` wraps round to the last.
    tmux.keys(&["[", "["]);
    tmux.wait_for(&format!("Candidates of line {november}/26"));
    tmux.keys(&["p"]);
    let screen = tmux.wait_for("by CGRANDCERF");
    assert!(screen.contains("unallocated 0,00"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("1 / 27 lines reconciled");
    assert!(
        screen.contains("lettered with its invoices and reconciled"),
        "{screen}"
    );
    // The cursor went on to the unknown transfer.
    tmux.wait_for(&format!("Candidates of line {november}/27"));
    tmux.keys(&["s"]);
    tmux.wait_for("to the suspense");
    tmux.keys(&["y"]);
    tmux.wait_for("2 / 27 lines reconciled");
    tmux.keys(&["m"]);
    tmux.wait_for("match automatically");
    tmux.keys(&["y"]);
    tmux.wait_for("25 / 27 lines reconciled");
    // Left: the fee, then the SEPA collection.
    tmux.wait_for(&format!("Candidates of line {november}/20"));
    tmux.keys(&["a"]);
    tmux.wait_for(&format!("Post line {november}/20 to an account"));
    tmux.keys(&["6", "2", "7"]);
    tmux.wait_for("627000 Services bancaires");
    // Account, tax code (none), label: enter after each.
    tmux.keys(&["Enter", "Enter", "Enter"]);
    tmux.wait_for("26 / 27 lines reconciled");
    let screen = tmux.wait_for(&format!("Candidates of line {november}/25"));
    assert!(screen.contains("2 lines:"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("27 / 27 lines reconciled");
    assert!(screen.contains("to explain 0,00"), "{screen}");
    // The second account's November.
    tmux.keys(&["o"]);
    tmux.wait_for("Statements (enter opens");
    tmux.keys(&["Down", "Enter"]);
    let screen = tmux.wait_for("0 / 1 lines reconciled");
    assert!(screen.contains("Reconciliation 512100"), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("1 / 1 lines reconciled");
    let keys = tmux.sent.get();
    println!("the demo's November (28 bank lines) reconciled in {keys} keys");
    assert_eq!(keys, 21);
    tmux.keys(&["q"]);
    let start = Instant::now();
    while tmux.alive() && start.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(50));
    }
    assert!(!tmux.alive(), "folio did not quit");

    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["--ledger", &path.display().to_string()])
        .args(["bank", "lines", "--unreconciled", "--format", "csv"])
        .env("FOLIO_TODAY", "2026-11-25")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "only the header is left:\n{text}");

    let ledger = Ledger::open(&path).unwrap();
    let status = |line| {
        ledger
            .bank_line(BankLineId {
                statement: november,
                line,
            })
            .unwrap()
            .status
    };
    assert_eq!(status(27), BankLineStatus::Suspense);
    assert_eq!(status(20), BankLineStatus::Reconciled);
    let mark = ledger
        .reconciliation(BankLineId {
            statement: november,
            line: 25,
        })
        .unwrap()
        .unwrap();
    assert_eq!(mark.book_lines.len(), 2, "the SEPA collection's two debits");
    assert_eq!(mark.user, "e2e");
    // The Hôtel du Grand Cerf owes nothing any more.
    let open: Vec<_> = ledger
        .documents(None)
        .unwrap()
        .into_iter()
        .filter(|d| d.document.party == "CGRANDCERF" && d.remaining.is_positive())
        .collect();
    assert!(open.is_empty(), "{open:?}");
    assert!(
        ledger
            .bank_lines(&BankLineFilter {
                unreconciled: true,
                ..BankLineFilter::default()
            })
            .unwrap()
            .is_empty()
    );
}
