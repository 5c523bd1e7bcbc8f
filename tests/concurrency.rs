//! Two processes working on one ledger file at once both succeed: no lost entry, no duplicated
//! or skipped number.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

const PER_PROCESS: usize = 25;

fn folio(ledger: &std::path::Path, args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env("USER", "concurrent")
        .output()
        .unwrap()
}

#[test]
fn two_processes_add_and_validate_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("shared.ledger");
    let init: Vec<String> = [
        "init",
        "--name",
        "Duo",
        "--siren",
        "732829320",
        "--start",
        "2026-01-01",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(folio(&ledger, &init).status.success());
    let workers: Vec<_> = (0..2)
        .map(|worker| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                for i in 0..PER_PROCESS {
                    let args: Vec<String> = vec![
                        "entry".into(),
                        "add".into(),
                        "--journal".into(),
                        "OD".into(),
                        "--date".into(),
                        format!("2026-03-{:02}", 1 + i % 28),
                        "--piece".into(),
                        format!("W{worker}-{i}"),
                        "--label".into(),
                        format!("worker {worker} entry {i}"),
                        "--debit".into(),
                        "606100=10,00".into(),
                        "--credit".into(),
                        "512000=10,00".into(),
                        "--validate".into(),
                    ];
                    let output = folio(&ledger, &args);
                    assert!(
                        output.status.success(),
                        "worker {worker} entry {i}: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let csv = folio(
        &ledger,
        &[
            "report".into(),
            "journal".into(),
            "OD".into(),
            "--format".into(),
            "csv".into(),
        ],
    );
    assert!(csv.status.success());
    let text = String::from_utf8(csv.stdout).unwrap();
    let mut numbers: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    numbers.sort();
    numbers.dedup();
    let expected: Vec<String> = (1..=2 * PER_PROCESS)
        .map(|n| format!("OD2026-{n:06}"))
        .collect();
    assert_eq!(numbers, expected, "every entry numbered once, no gap");
    let check = folio(&ledger, &["check".into()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}
