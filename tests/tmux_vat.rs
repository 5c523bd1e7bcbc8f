//! The VAT screen in the real binary, in a real terminal (tmux) at 80x24, on the demo whose
//! drafts up to November are validated (as an accountant does before filing): `T` opens the
//! periods of 2026, `enter` November's return, `s` shows the settlement entry and `y` posts
//! it, `e` opens it and `v y` validates it, `f y` files the return; the ledger is then read to
//! check what was written. Skips only when tmux is not installed.

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
use folio::ledger::vat::ReturnStatus;
use folio::ledger::{Ledger, Selection};
use folio::vat::ReturnPeriod;

#[test]
fn settle_and_file_november_in_the_real_binary() {
    if Command::new("tmux").arg("-V").output().is_err() {
        // CI installs tmux (.ci/run): there the test must run.
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        println!("tmux is not installed: skipping the end-to-end test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.ledger");
    {
        let ledger = folio::demo::build_demo(&path, &common::demo_ctx()).unwrap();
        ledger
            .validate(
                &common::demo_ctx(),
                &Selection::Until {
                    date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                    journal: None,
                },
            )
            .unwrap();
    }
    let tmux = Tmux::new(format!("folio-vat-e2e-{}", std::process::id()), "vat");
    let command = format!(
        "env FOLIO_TODAY=2026-12-03 USER=e2e TERM=xterm-256color {} --ledger {}",
        env!("CARGO_BIN_EXE_folio"),
        path.display()
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "vat",
        "-x",
        "80",
        "-y",
        "24",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    tmux.wait_for("Folio");
    tmux.keys(&["T"]);
    let screen = tmux.wait_for("VAT returns 2026");
    assert!(screen.contains("November 2026"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("CA3 2026-11 · to prepare");
    assert!(screen.contains("Checks"), "{screen}");
    tmux.keys(&["s"]);
    let screen = tmux.wait_for("Post it?");
    assert!(screen.contains("445510"), "{screen}");
    tmux.keys(&["y"]);
    tmux.wait_for("settled 2026-11: entry");
    tmux.wait_for("CA3 2026-11 · settled");
    tmux.keys(&["e"]);
    tmux.wait_for("Déclaration de TVA 2026-11");
    tmux.keys(&["v"]);
    tmux.wait_for("Validate");
    tmux.keys(&["y"]);
    tmux.wait_for("validated OD2026");
    tmux.keys(&["Escape"]);
    tmux.wait_for("CA3 2026-11 · settled");
    tmux.keys(&["f"]);
    tmux.wait_for("File the VAT return of 2026-11");
    tmux.keys(&["y"]);
    tmux.wait_for("filed 2026-11 by e2e");
    tmux.wait_for("CA3 2026-11 · filed");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("VAT returns 2026");
    let november = screen
        .lines()
        .find(|l| l.starts_with("2026-11"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(november.contains("filed"), "{screen}");
    tmux.keys(&["q"]);
    let start = Instant::now();
    while tmux.alive() && start.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(50));
    }
    assert!(!tmux.alive(), "folio did not quit");
    let ledger = Ledger::open(&path).unwrap();
    let options = ledger.vat_options().unwrap();
    let november = ReturnPeriod::Month {
        year: 2026,
        month: 11,
    };
    let sheet = ledger.vat_return(november, &options).unwrap();
    assert_eq!(sheet.status, ReturnStatus::Filed);
    let entry = ledger.entry(sheet.settlement_entry.unwrap()).unwrap();
    assert!(entry.is_validated());
    assert_eq!(entry.piece, "CA3 2026-11");
}
