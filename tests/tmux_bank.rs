//! The reconciliation session in the real binary, in a real terminal (tmux) at 80x24: the demo
//! with a November statement whose lines are the bank's side of three of its own bank entries
//! plus an unknown transfer; `9` opens the session, `enter` reconciles the first line with its
//! entry, `s y` sends the unknown one to suspense, `R` shows the état de rapprochement; the
//! ledger is then read to check what was written. Skips only when tmux is not installed.

// Test helpers outside #[test] functions may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use folio::formats::bank::{AccountId, Statement, StatementLine};
use folio::ledger::{BankLineId, BankLineStatus, Ledger, StatementImport};
use folio::model::{AccountNumber, Amount};

struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn capture(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", &self.session, key]);
            // Esc followed at once by a key reads as alt+key: leave a gap, as a person does.
            sleep(Duration::from_millis(if *key == "Escape" {
                150
            } else {
                30
            }));
        }
    }

    /// Waits until the screen shows `what`; panics with the screen after 10 seconds.
    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(what) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!("the screen never showed {what:?}; it shows:\n{screen}");
            }
            sleep(Duration::from_millis(50));
        }
    }

    fn alive(&self) -> bool {
        self.run(&["has-session", "-t", &self.session])
            .status
            .success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn bank_line(date: NaiveDate, amount: Amount, label: &str) -> StatementLine {
    StatementLine {
        booking_date: date,
        value_date: Some(date),
        amount,
        label: label.into(),
        reference: None,
        counterparty_name: None,
        counterparty_iban: None,
        end_to_end_id: None,
        remittance: None,
        source_line: 1,
    }
}

/// The demo with a statement of November: three of its November bank lines as the bank shows
/// them, and an unknown transfer. Returns the statement's id and the first book line's name.
fn demo_with_statement(ledger: &Ledger) -> (u64, String) {
    // Books dated up to the 20th; the statement runs to the end of the month.
    let account = AccountNumber::parse("512000").unwrap();
    // The demo's three latest validated bank lines, as the bank shows them.
    let mut book: Vec<_> = ledger
        .unreconciled_book_lines(&account)
        .unwrap()
        .into_iter()
        .filter(|l| l.validated && l.date <= day(20))
        .collect();
    let book = book.split_off(book.len().saturating_sub(3));
    assert_eq!(book.len(), 3, "the demo has validated bank entries");
    let mut lines: Vec<StatementLine> = book
        .iter()
        .map(|l| bank_line(l.date, l.amount, &format!("VIR {}", l.label.to_uppercase())))
        .collect();
    lines.push(bank_line(day(24), Amount::from_cents(4_321), "VIR INCONNU"));
    let total = Amount::checked_sum(lines.iter().map(|l| l.amount)).unwrap();
    let statement = Statement {
        account: AccountId {
            iban: None,
            rib: None,
            number: Some("00012345678".into()),
        },
        id: "2026-11".into(),
        period: (book[0].date, day(30)),
        currency: "EUR".into(),
        opening: Some(Amount::ZERO),
        closing: Some(total),
        lines,
        source_line: 1,
    };
    let summary = ledger
        .import_statements(
            &common::demo_ctx(),
            &StatementImport {
                file: "novembre.txt".into(),
                format: "cfonb120".into(),
                statements: vec![statement],
                account: Some(account),
                allow_gap: true,
            },
        )
        .unwrap();
    (summary.statements[0].id.unwrap(), book[0].name.clone())
}

#[test]
fn reconcile_a_statement_of_the_demo_in_the_real_binary() {
    if Command::new("tmux").arg("-V").output().is_err() {
        // CI installs tmux (.ci/run): there the test must run.
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        println!("tmux is not installed: skipping the end-to-end test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.ledger");
    let (statement, first) = {
        let ledger = folio::demo::build_demo(&path, &common::demo_ctx()).unwrap();
        demo_with_statement(&ledger)
    };
    let tmux = Tmux {
        socket: format!("folio-bank-e2e-{}", std::process::id()),
        session: "bank".into(),
    };
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
    let screen = tmux.wait_for("0 / 4 lines reconciled");
    assert!(screen.contains("Candidates of line"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("1 / 4 lines reconciled");
    assert!(
        screen.contains(&format!("reconciled line {statement}/1 with {first}")),
        "{screen}"
    );
    // The unknown transfer is the last line.
    tmux.keys(&["]", "]"]);
    tmux.wait_for(&format!("line {statement}/4"));
    tmux.keys(&["s"]);
    tmux.wait_for("to the suspense");
    tmux.keys(&["y"]);
    tmux.wait_for("2 / 4 lines reconciled");
    tmux.keys(&["R"]);
    tmux.wait_for("Difference left unexplained");
    tmux.keys(&["Escape"]);
    tmux.wait_for("2 / 4 lines reconciled");
    tmux.keys(&["q"]);
    let start = Instant::now();
    while tmux.alive() && start.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(50));
    }
    assert!(!tmux.alive(), "folio did not quit");
    let ledger = Ledger::open(&path).unwrap();
    let status = |line| {
        ledger
            .bank_line(BankLineId { statement, line })
            .unwrap()
            .status
    };
    assert_eq!(status(1), BankLineStatus::Reconciled);
    assert_eq!(status(4), BankLineStatus::Suspense);
    let mark = ledger
        .reconciliation(BankLineId { statement, line: 1 })
        .unwrap()
        .unwrap();
    assert_eq!(mark.user, "e2e");
}
