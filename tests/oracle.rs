//! Independent checks of the demo ledger: hledger's balances must equal Folio's, and the FEC
//! of the demo must match the reviewed golden file and the legal format rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

fn folio(ledger: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env("USER", "oracle")
        .env("FOLIO_TODAY", "2026-11-20")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "folio {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn demo(dir: &Path) -> std::path::PathBuf {
    demo_built_on(dir, None)
}

/// The demo built with the working date `today` (`FOLIO_TODAY`), the real day when `None`.
fn demo_built_on(dir: &Path, today: Option<&str>) -> std::path::PathBuf {
    let path = dir.join("demo.ledger");
    let mut command = Command::new(env!("CARGO_BIN_EXE_folio"));
    command.arg("demo").arg(&path).env("USER", "oracle");
    match today {
        Some(day) => command.env("FOLIO_TODAY", day),
        None => command.env_remove("FOLIO_TODAY"),
    };
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    path
}

fn hledger_available() -> bool {
    let found = Command::new("hledger").arg("--version").output().is_ok();
    if !found {
        // CI installs hledger; elsewhere the oracle is skipped with a word.
        assert!(
            std::env::var_os("CI").is_none(),
            "hledger is required in CI"
        );
        eprintln!("hledger is not installed: oracle test skipped");
    }
    found
}

fn cents(text: &str) -> i64 {
    let text = text.trim().replace(',', "");
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches('-');
    let (units, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let value = units.parse::<i64>().unwrap() * 100
        + format!("{fraction:0<2}")[..2].parse::<i64>().unwrap();
    if negative { -value } else { value }
}

#[test]
fn hledger_balances_equal_folio_balances() {
    if !hledger_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo(dir.path());
    let journal = dir.path().join("demo.journal");
    std::fs::write(&journal, folio(&ledger, &["export", "hledger"])).unwrap();
    let output = Command::new("hledger")
        .args(["-f"])
        .arg(&journal)
        .args(["bal", "--depth", "1", "--no-total", "-O", "csv"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut theirs: BTreeMap<String, i64> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    for record in reader.records() {
        let record = record.unwrap();
        theirs.insert(record[0].to_string(), cents(&record[1]));
    }
    let csv = folio(
        &ledger,
        &["report", "balance", "--year", "2026", "--format", "csv"],
    );
    let mut ours: BTreeMap<String, i64> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["account", "label", "debit", "credit", "balance"]
    );
    for record in reader.records() {
        let record = record.unwrap();
        let balance = cents(&record[4]);
        if balance != 0 {
            ours.insert(record[0].to_string(), balance);
        }
    }
    theirs.retain(|_, v| *v != 0);
    assert!(
        ours.len() > 30,
        "the demo has {} accounts with a balance",
        ours.len()
    );
    assert_eq!(ours, theirs);
}

/// The demo is the same whatever day it is built: no date of the books (a lettering date, a
/// validation date) is the day the command runs.
#[test]
fn demo_fec_is_the_same_whatever_day_the_demo_is_built() {
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/demo-fec.txt"),
    )
    .unwrap();
    for today in ["2026-12-04", "2027-01-20", "2027-06-30"] {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_built_on(dir.path(), Some(today));
        folio(
            &ledger,
            &["export", "fec", "--out", dir.path().to_str().unwrap()],
        );
        let fec = std::fs::read_to_string(dir.path().join("852147362FEC20261231.txt")).unwrap();
        let differing: Vec<(&str, &str)> = fec
            .lines()
            .zip(golden.lines())
            .filter(|(ours, theirs)| ours != theirs)
            .take(3)
            .collect();
        assert!(
            fec == golden,
            "the demo built on {today} differs from tests/golden/demo-fec.txt: {differing:#?}"
        );
    }
}

#[test]
fn demo_fec_matches_golden_and_format_rules() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo(dir.path());
    let out = folio(
        &ledger,
        &["export", "fec", "--out", dir.path().to_str().unwrap()],
    );
    assert!(out.contains("852147362FEC20261231.txt"), "{out}");
    let fec = std::fs::read_to_string(dir.path().join("852147362FEC20261231.txt")).unwrap();

    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/demo-fec.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &fec).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap();
    assert!(
        fec == expected,
        "the demo FEC differs from tests/golden/demo-fec.txt (UPDATE_GOLDEN=1 to accept a reviewed change)"
    );

    let mut lines = fec.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(header.len(), 18);
    assert_eq!(header[0], "JournalCode");
    assert_eq!(header[17], "Idevise");
    let mut per_entry: HashMap<String, i64> = HashMap::new();
    let mut last_seq: HashMap<String, u64> = HashMap::new();
    let mut last_number = String::new();
    let mut count = 0;
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 18, "{line}");
        for required in [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15] {
            assert!(
                !f[required].is_empty(),
                "field {} blank: {line}",
                header[required]
            );
        }
        for date in [f[3], f[9], f[15]] {
            assert!(
                chrono::NaiveDate::parse_from_str(date, "%Y%m%d").is_ok(),
                "{date}"
            );
        }
        assert!(f[4][..3].bytes().all(|b| b.is_ascii_digit()));
        assert!(
            !f[11].contains('.') && !f[12].contains('.'),
            "comma decimals: {line}"
        );
        let (debit, credit) = (
            cents(&f[11].replace(',', ".")),
            cents(&f[12].replace(',', ".")),
        );
        assert!((debit == 0) != (credit == 0), "exactly one side: {line}");
        assert_eq!(f[6].is_empty(), f[7].is_empty(), "CompAux pair: {line}");
        *per_entry.entry(f[2].to_string()).or_default() += debit - credit;
        if f[2] != last_number {
            // Gapless numbering per journal, in the file's (validation) order.
            let seq: u64 = f[2].rsplit('-').next().unwrap().parse().unwrap();
            let last = last_seq.entry(f[0].to_string()).or_default();
            assert_eq!(seq, *last + 1, "numbering of {}", f[2]);
            *last = seq;
            last_number = f[2].to_string();
        }
        count += 1;
    }
    assert!(count > 1000, "{count} lines");
    assert!(per_entry.values().all(|v| *v == 0), "every entry balances");
    assert!(per_entry.len() >= 300, "{} entries", per_entry.len());
}
