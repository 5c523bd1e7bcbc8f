//! The real binary in a real terminal (tmux): open the demo, type and validate an entry,
//! quit, then check the ledger with the command line. Skips only when tmux is not installed.

// Test helpers outside #[test] functions may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tmux_common/mod.rs"]
mod tmux;
use tmux::Tmux;

use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

fn folio(ledger: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env("FOLIO_TODAY", "2026-11-20")
        .output()
        .expect("folio runs");
    assert!(
        out.status.success(),
        "folio {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn open_the_demo_type_and_validate_an_entry_then_quit() {
    if Command::new("tmux").arg("-V").output().is_err() {
        // CI installs tmux (.ci/run): there the test must run.
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        println!("tmux is not installed: skipping the end-to-end test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("demo.ledger");
    let tmux = Tmux::new(format!("folio-e2e-{}", std::process::id()), "folio");
    let command = format!(
        "env FOLIO_TODAY=2026-11-20 USER=e2e TERM=xterm-256color {} demo {}",
        env!("CARGO_BIN_EXE_folio"),
        ledger.display()
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "folio",
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    let home = tmux.wait_for("Drafts to validate");
    assert!(home.contains("Atelier Lumière SARL"), "{home}");
    assert!(home.contains("Bank (512)"), "{home}");

    tmux.keys(&["2"]);
    tmux.wait_for("Entries · journal all · 2026");
    tmux.keys(&["n"]);
    tmux.wait_for("New entry");
    tmux.text("AC");
    tmux.keys(&["Enter", "Enter"]);
    tmux.text("E2E-0001");
    tmux.keys(&["Enter"]);
    tmux.text("Achat ampoules");
    tmux.keys(&["Enter"]);
    tmux.text("607");
    tmux.wait_for("607000 Achats de marchandises");
    tmux.keys(&["Enter", "Enter"]);
    tmux.text("=12,5*8");
    tmux.keys(&["Enter"]);
    tmux.text("44566");
    tmux.keys(&["Enter", "Enter"]);
    tmux.text("20");
    tmux.keys(&["Enter"]);
    tmux.text("led comp");
    tmux.wait_for("401000 FLEDCOMP LED Composants Europe");
    tmux.keys(&["Enter", "Enter", "Enter"]);
    let grid = tmux.wait_for("balanced");
    assert!(grid.contains("100,00"), "{grid}");
    assert!(grid.contains("120,00"), "{grid}");
    tmux.keys(&["C-v"]);
    let saved = tmux.wait_for("validated AC2026-000107");
    assert!(saved.contains("next entry"), "{saved}");

    // Leave the grid, look at the entry in the list, then quit.
    tmux.keys(&["Escape", "G"]);
    let list = tmux.wait_for("E2E-0001");
    assert!(list.contains("AC2026-000107"), "{list}");

    // Mark the bank's first two lines: the status line adds them up (20 000,00 - 300,00).
    tmux.keys(&["3", "/"]);
    tmux.text("512000");
    tmux.keys(&["Enter", "Enter"]);
    tmux.wait_for("Ledger 512000");
    tmux.keys(&["g", "g", "Space", "Space", "j"]);
    let marked = tmux.wait_for("2 marked · 19 700,00");
    assert!(marked.contains("line 4 of"), "{marked}");
    tmux.keys(&["q"]);
    let start = Instant::now();
    while tmux.alive() && start.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(50));
    }
    assert!(!tmux.alive(), "folio did not quit:\n{}", tmux.capture());

    let shown = folio(&ledger, &["entry", "show", "AC2026-000107"]);
    assert!(shown.contains("E2E-0001"), "{shown}");
    assert!(shown.contains("607000"), "{shown}");
    assert!(shown.contains("FLEDCOMP"), "{shown}");
    let history = folio(&ledger, &["log", "AC2026-000107"]);
    assert!(history.contains("e2e"), "{history}");
    let check = folio(&ledger, &["check"]);
    assert!(!check.to_lowercase().contains("error"), "{check}");
}

#[test]
fn search_the_demo_by_account_and_amount_at_80x24() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        println!("tmux is not installed: skipping the end-to-end test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("demo.ledger");
    let tmux = Tmux::new(format!("folio-e2e-query-{}", std::process::id()), "folio");
    let command = format!(
        "env FOLIO_TODAY=2026-11-20 USER=e2e TERM=xterm-256color {} demo {}",
        env!("CARGO_BIN_EXE_folio"),
        ledger.display()
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "folio",
        "-x",
        "80",
        "-y",
        "24",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    tmux.wait_for("Drafts to validate");
    tmux.keys(&["2"]);
    tmux.wait_for("Entries · journal all · 2026");
    tmux.keys(&["/"]);
    tmux.text("acct:411 amt:>500");
    tmux.keys(&["Enter"]);
    let entries = tmux.wait_for("“acct:411 amt:>500”");
    // A malformed amount is an error on the status line (the filter reopens with its text).
    tmux.keys(&["/", "BSpace", "BSpace", "BSpace", "BSpace"]);
    tmux.text("abc");
    tmux.keys(&["Enter"]);
    let malformed = tmux.wait_for("not an amount");
    assert!(malformed.contains("`amt:abc`"), "{malformed}");
    // The bank's ledger filtered on large amounts: the filtered lines add up.
    tmux.keys(&["Escape", "3", "/"]);
    tmux.text("acct:512000");
    tmux.keys(&["Enter", "Enter"]);
    tmux.wait_for("Ledger 512000");
    tmux.keys(&["/"]);
    tmux.text("amt:>=1 000,00");
    tmux.keys(&["Enter"]);
    let bank = tmux.wait_for("Filtered lines: debit");
    assert!(bank.contains("acct balance"), "{bank}");
    tmux.keys(&["q"]);
    let start = Instant::now();
    while tmux.alive() && start.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(50));
    }
    assert!(!tmux.alive(), "folio did not quit:\n{}", tmux.capture());

    // What the screens showed, counted again from the ledger.
    let books = folio::ledger::Ledger::open_read_only(&ledger).unwrap();
    let year = books
        .years()
        .unwrap()
        .into_iter()
        .find(|y| y.name() == "2026")
        .unwrap();
    let all = books
        .entries(&folio::ledger::EntryFilter {
            journal: None,
            from: Some(year.start),
            to: Some(year.end),
        })
        .unwrap();
    let big = folio::model::Amount::from_cents(50_000);
    let found = all
        .iter()
        .filter(|e| {
            e.lines
                .iter()
                .any(|l| l.account.as_str().starts_with("411"))
        })
        .filter(|e| e.total_debit() > big)
        .count();
    let count = format!("{found} of {}", all.len());
    assert!(entries.contains(&count), "{count}:\n{entries}");
    let page = books
        .account_ledger(
            &folio::model::AccountNumber::parse("512000").unwrap(),
            Some(year.start),
            Some(year.end),
            0,
            usize::MAX,
        )
        .unwrap();
    let thousand = folio::model::Amount::from_cents(100_000);
    let lines: Vec<_> = page
        .rows
        .iter()
        .filter(|r| r.debit >= thousand || r.credit >= thousand)
        .collect();
    let debit: folio::model::Amount = lines.iter().map(|r| r.debit).sum();
    let credit: folio::model::Amount = lines.iter().map(|r| r.credit).sum();
    let total = format!(
        "Filtered lines: debit {} · credit {}",
        debit.to_french(),
        credit.to_french()
    );
    assert!(bank.contains(&total), "{total}:\n{bank}");
}

/// The reference `folio entry add --validate` gave (`added and validated VE2026-000125 (#574)`).
fn added_reference(out: &str) -> String {
    out.split_whitespace()
        .find(|w| w.contains("2026-"))
        .unwrap_or_else(|| panic!("no reference in {out:?}"))
        .to_string()
}

#[test]
fn letter_a_payment_against_two_invoices_with_a_write_off_at_80x24() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        println!("tmux is not installed: skipping the end-to-end test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("demo.ledger");
    // The demo, built without a terminal, then a customer paying two invoices 0,50 short and
    // a third invoice paid exactly, through the command line.
    let built = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("demo")
        .arg(&ledger)
        .env("FOLIO_TODAY", "2026-11-20")
        .output()
        .expect("folio runs");
    assert!(built.status.success(), "{built:?}");
    folio(
        &ledger,
        &[
            "parties",
            "add",
            "--kind",
            "customer",
            "CZTEST",
            "Zeta Essais",
        ],
    );
    let add = |journal: &str, date: &str, piece: &str, debit: &str, credit: &str| {
        added_reference(&folio(
            &ledger,
            &[
                "entry",
                "add",
                "-j",
                journal,
                "-d",
                date,
                "-p",
                piece,
                "-l",
                piece,
                "--debit",
                debit,
                "--credit",
                credit,
                "--validate",
            ],
        ))
    };
    add("VE", "2026-11-02", "FZ1", "411@CZTEST=100", "706=100");
    add("VE", "2026-11-05", "FZ2", "411@CZTEST=200", "706=200");
    add("BQ", "2026-11-10", "RZ1", "512=299.50", "411@CZTEST=299.50");
    let f3 = add("VE", "2026-11-13", "FZ3", "411@CZTEST=50", "706=50");
    let r2 = add("BQ", "2026-11-16", "RZ2", "512=50", "411@CZTEST=50");

    let tmux = Tmux::new(format!("folio-e2e-letter-{}", std::process::id()), "folio");
    let command = format!(
        "env FOLIO_TODAY=2026-11-20 USER=e2e TERM=xterm-256color {} --ledger {}",
        env!("CARGO_BIN_EXE_folio"),
        ledger.display()
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "folio",
        "-x",
        "80",
        "-y",
        "24",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    tmux.wait_for("Drafts to validate");
    tmux.keys(&["8"]);
    tmux.wait_for("accounts and parties with open items");
    tmux.keys(&["/"]);
    tmux.text("CZTEST");
    tmux.keys(&["Enter", "Enter"]);
    let opened = tmux.wait_for("Zeta Essais · 5 open");
    assert!(opened.contains("299,50"), "{opened}");
    // The two invoices and the payment: 0,50 short, written off after its entry is shown.
    tmux.keys(&["Space", "Space", "Space"]);
    tmux.wait_for("Marked: 3 · total 0,50 D");
    tmux.keys(&["w"]);
    let preview = tmux.wait_for("Write off 0,50 D");
    assert!(preview.contains("658000"), "{preview}");
    tmux.keys(&["y"]);
    let done = tmux.wait_for("wrote off 0,50 by OD2026-");
    assert!(done.contains("Zeta Essais · 2 open"), "{done}");

    // Another user letters the last invoice with its payment: the screen follows by itself.
    let start = Instant::now();
    folio(
        &ledger,
        &["letter", "add", &format!("{f3}/1"), &format!("{r2}/2")],
    );
    let followed = tmux.wait_for("Zeta Essais · 0 open");
    let elapsed = start.elapsed();
    println!("another user's lettering shown after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}\n{followed}");
    tmux.keys(&["q"]);
    let start = Instant::now();
    while tmux.alive() && start.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(50));
    }
    assert!(!tmux.alive(), "folio did not quit:\n{}", tmux.capture());

    let groups = folio(
        &ledger,
        &["letter", "list", "--account", "411000", "--format", "csv"],
    );
    let ours: Vec<&str> = groups.lines().filter(|l| l.contains("CZTEST")).collect();
    assert_eq!(ours.len(), 2, "{groups}");
    // Both complete (uppercase code, nothing left): the write-off's with four lines.
    let fields: Vec<Vec<&str>> = ours.iter().map(|l| l.split(',').collect()).collect();
    for f in &fields {
        assert!(f[1].chars().all(|c| c.is_ascii_uppercase()), "{groups}");
        assert_eq!(f[7], "0.00", "{groups}");
    }
    let mut sizes: Vec<usize> = fields.iter().map(|f| f[8].split(' ').count()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [2, 4], "{groups}");
    assert!(ours.iter().any(|l| l.contains(" OD2026-")), "{groups}");
    let check = folio(&ledger, &["check"]);
    assert!(!check.to_lowercase().contains("error"), "{check}");
}
