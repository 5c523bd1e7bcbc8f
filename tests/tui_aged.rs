//! The aged balance screen and the open items of the ledger screens, driven with the keys of
//! both keymap presets, and compared with snapshots at 80x24 and 120x40.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::{Driver, presets, render};
use folio::ledger::Ledger;
use folio::tui::action::{Action, Context};

/// Runs the real binary on the ledger at the screens' date (the lettering is dated then).
fn folio(ledger: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env("FOLIO_TODAY", "2026-11-20")
        .env("USER", "demo")
        .env("LOGNAME", "demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "folio {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The number of the entry of a piece, and its line (from 1) on the third party.
fn party_line(ledger: &Path, piece: &str) -> String {
    let journal = folio(ledger, &["report", "journal", "--format", "csv"]);
    let number = journal
        .lines()
        .find(|l| l.contains(&format!(",{piece},")))
        .and_then(|l| l.split(',').nth(1))
        .unwrap()
        .to_string();
    let shown = folio(ledger, &["entry", "show", &number, "--format", "csv"]);
    let line = shown
        .lines()
        .skip(1)
        .find(|l| l.split(',').nth(2).is_some_and(|p| !p.is_empty()))
        .and_then(|l| l.split(',').next())
        .unwrap()
        .to_string();
    format!("{number}/{line}")
}

/// Customers Acme (CACME) and Beta (CBETA), supplier FSUP, 30 days' terms; at November 20th:
/// - CACME: invoice of 1 200,00 due August 31st (81 days late) paid 600,00 on September 10th
///   (partial group `aa`), invoice of 120,00 due November 14th (6 days late);
/// - CBETA: invoice of 600,00 due December 1st (not due);
/// - FSUP: invoice of 240,00 due July 1st (142 days late).
fn books(dir: &Path) -> Arc<Ledger> {
    let path = dir.join("aged.ledger");
    let ledger = path.as_path();
    let run = |args: &str| folio(ledger, &shell_words(args));
    run("init --name 'Aged SARL' --siren 732829320 --start 2026-01-01");
    run("parties add CACME Acme --kind customer");
    run("parties add CBETA 'Beta SA' --kind customer");
    run("parties add FSUP 'Fournisseur SA' --kind supplier");
    for args in [
        "--type customer_invoice --party CACME --date 2026-08-01 --line ';Conseil;1;1000;;V20'",
        "--type customer_invoice --party CACME --date 2026-10-15 --line ';Conseil;1;100;;V20'",
        "--type customer_invoice --party CBETA --date 2026-11-01 --line ';Conseil;1;500;;V20'",
        "--type supplier_invoice --party FSUP --date 2026-06-01 --line ';Achat;1;200;;D20'",
    ] {
        run(&format!("doc add --validate {args}"));
    }
    run("validate --all");
    run(
        "entry add -j BQ -d 2026-09-10 -p R1 -l Reglement --credit 411@CACME=600 \
         --debit 512=600 --validate",
    );
    let invoice = party_line(ledger, "FA2026-00001");
    let payment = party_line(ledger, "R1");
    folio(ledger, &["letter", "add", &invoice, &payment]);
    Arc::new(Ledger::open(&path).unwrap())
}

fn shell_words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').unwrap();
            out.push(&quoted[..end]);
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
    }
    out
}

/// The table row of the screen that starts with `start` (not the summary line above it).
fn row<'a>(screen: &'a str, start: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.trim_start_matches('"').starts_with(start) && !l.contains(" · "))
        .unwrap_or_else(|| panic!("no row {start} in\n{screen}"))
}

#[test]
fn aged_balance_screens_at_80_and_120_columns() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = books(dir.path());
    let (_, keymap) = presets().remove(0);
    let mut d = Driver::new(&ledger, &keymap);
    d.global(Action::GoAged);
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("aged_customers_{w}x{h}"), render(&d.app, w, h));
    }
    // The cell of CACME 61-90: two columns left of the total.
    d.act(Context::Aged, Action::PrevColumn)
        .act(Context::Aged, Action::PrevColumn);
    d.list(Action::Open);
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("aged_cell_{w}x{h}"), render(&d.app, w, h));
    }
    d.global(Action::Back);
    d.act(Context::Aged, Action::AgedSide);
    insta::assert_snapshot!("aged_suppliers_80x24", render(&d.app, 80, 24));
}

#[test]
fn buckets_drill_down_to_lines_and_entries_in_both_presets() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = books(dir.path());
    for (name, keymap) in presets() {
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoAged);
        assert_eq!(d.app.title(), "Aged balance · customers", "{name}");
        let screen = render(&d.app, 80, 24);
        // CACME: 120,00 at 6 days, 1 200,00 − 600,00 at 81 days; CBETA: 600,00 not due.
        let acme = row(&screen, "CACME");
        assert!(
            acme.contains("120,00") && acme.contains("600,00"),
            "{name}: {acme}"
        );
        assert!(
            acme.trim_end_matches('"').trim_end().ends_with("720,00"),
            "{name}: {acme}"
        );
        assert!(
            row(&screen, "Total").contains("1 320,00"),
            "{name}\n{screen}"
        );

        // Cursor on CACME (first row), column 61-90: its one line, 600,00 open of 1 200,00.
        d.act(Context::Aged, Action::PrevColumn)
            .act(Context::Aged, Action::PrevColumn);
        assert!(
            render(&d.app, 80, 24).contains("CACME · 61 to 90 days late: 600,00"),
            "{name}"
        );
        d.list(Action::Open);
        assert_eq!(
            d.app.title(),
            "Aged balance · CACME · 61 to 90 days late",
            "{name}"
        );
        let cell = render(&d.app, 120, 40);
        assert!(cell.contains("line 1 of 1"), "{name}\n{cell}");
        let line = row(&cell, "01/08/26");
        assert!(
            line.contains("1 200,00") && line.contains("600,00") && line.contains(" 81 "),
            "{name}: {line}"
        );
        assert!(line.contains("aa"), "{name}: {line}");
        // The line opens its entry, as everywhere.
        d.list(Action::Open);
        assert!(
            d.app.title().starts_with("Entry VE2026-000001"),
            "{name}: {}",
            d.app.title()
        );
        d.global(Action::Back);
        d.global(Action::Back);
        assert_eq!(d.app.title(), "Aged balance · customers", "{name}");

        // The total column opens every open line of the party, the payment too.
        d.act(Context::Aged, Action::NextColumn)
            .act(Context::Aged, Action::NextColumn);
        d.list(Action::Open);
        assert_eq!(
            d.app.title(),
            "Aged balance · CACME · every open line",
            "{name}"
        );
        assert!(
            render(&d.app, 80, 24).contains("line 1 of 3"),
            "{name}\n{}",
            render(&d.app, 80, 24)
        );
        d.global(Action::Back);

        // The total row has no lines of its own.
        d.list(Action::Bottom).list(Action::Open);
        assert!(d.message().contains("no lines"), "{name}: {}", d.message());
        assert_eq!(d.app.title(), "Aged balance · customers", "{name}");
    }
}

#[test]
fn side_date_and_month_keys_in_both_presets() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = books(dir.path());
    for (name, keymap) in presets() {
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoAged);
        d.act(Context::Aged, Action::AgedSide);
        assert_eq!(d.app.title(), "Aged balance · suppliers", "{name}");
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("suppliers (credit +)"), "{name}\n{screen}");
        // What the company owes reads positive, 142 days late.
        let row_fsup = row(&screen, "FSUP");
        assert!(row_fsup.contains("240,00"), "{name}: {row_fsup}");
        d.act(Context::Aged, Action::AgedSide);

        // At September 30th: the first invoice is 30 days late, the payment already made.
        d.act(Context::Aged, Action::SetRange)
            .text("30/09/2026")
            .next();
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("at 30/09/2026 · 1 party"),
            "{name}\n{screen}"
        );
        d.act(Context::Aged, Action::PrevColumn)
            .act(Context::Aged, Action::PrevColumn)
            .act(Context::Aged, Action::PrevColumn)
            .act(Context::Aged, Action::PrevColumn);
        assert!(
            render(&d.app, 80, 24).contains("CACME · 1 to 30 days late: 600,00"),
            "{name}\n{}",
            render(&d.app, 80, 24)
        );
        // Month keys: the end of the month before, then after.
        d.act(Context::Aged, Action::PrevPeriod);
        assert!(render(&d.app, 80, 24).contains("at 31/08/2026"), "{name}");
        d.act(Context::Aged, Action::NextPeriod)
            .act(Context::Aged, Action::NextPeriod);
        assert!(render(&d.app, 80, 24).contains("at 31/10/2026"), "{name}");
        // An empty date is today again; a wrong one is refused.
        d.act(Context::Aged, Action::SetRange).text("nope").next();
        assert!(d.message().contains("`nope` is not a date"), "{name}");
        d.act(Context::Aged, Action::SetRange);
        for _ in 0..12 {
            d.app
                .key(folio::tui::keymap::Key::parse("backspace").unwrap());
        }
        d.next();
        assert!(render(&d.app, 80, 24).contains("at 20/11/2026"), "{name}");
    }
}

#[test]
fn the_palette_opens_the_aged_balance() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = books(dir.path());
    for (name, keymap) in presets() {
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::Palette).text("aged balance").next();
        assert_eq!(d.app.title(), "Aged balance · customers", "{name}");
    }
}

#[test]
fn ledgers_show_only_open_items_in_both_presets() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = books(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoParties);
        d.list(Action::Filter).text("acme").next();
        d.list(Action::Open);
        assert!(d.app.title().starts_with("Third party CACME"), "{name}");
        assert!(render(&d.app, 80, 24).contains("3 lines"), "{name}");
        d.act(Context::Ledger, Action::OpenOnly);
        assert_eq!(d.message(), "open items only", "{name}");
        let screen = render(&d.app, 80, 24);
        assert!(
            screen.contains("open items up to 31/12/2026 · 3 lines"),
            "{name}\n{screen}"
        );
        assert!(screen.contains("open balance 720,00 D"), "{name}\n{screen}");
        insta::assert_snapshot!(format!("open_items_{name}_80x24"), screen);

        // Another payment completes the group: its lines leave, the second invoice stays.
        let path = dir.path().join("aged.ledger");
        let path = path.as_path();
        folio(
            path,
            &[
                "entry",
                "add",
                "-j",
                "BQ",
                "-d",
                "2026-11-02",
                "-p",
                "R2",
                "-l",
                "Reglement",
                "--credit",
                "411@CACME=600",
                "--debit",
                "512=600",
                "--validate",
            ],
        );
        let first = party_line(path, "FA2026-00001");
        let second_payment = party_line(path, "R2");
        folio(path, &["letter", "add", &first, &second_payment]);
        d.global(Action::Refresh);
        let screen = render(&d.app, 80, 24);
        assert!(screen.contains("· 1 lines"), "{name}\n{screen}");
        assert!(screen.contains("open balance 120,00 D"), "{name}\n{screen}");
        assert!(
            row(&screen, "15/10/26").contains("120,00"),
            "{name}\n{screen}"
        );

        // Back to every line; a bank account has no open items.
        d.act(Context::Ledger, Action::OpenOnly);
        assert_eq!(d.message(), "every line", "{name}");
        assert!(render(&d.app, 80, 24).contains("4 lines"), "{name}");
        d.global(Action::GoChart);
        d.list(Action::Filter).text("512000").next();
        d.list(Action::Open);
        assert!(d.app.title().starts_with("Ledger 512000"), "{name}");
        d.act(Context::Ledger, Action::OpenOnly);
        assert!(
            d.message().contains("not a letterable account"),
            "{name}: {}",
            d.message()
        );
    }
}

#[test]
fn aged_screens_never_panic_at_any_size_or_on_empty_data() {
    let dir = tempfile::tempdir().unwrap();
    let books = books(dir.path());
    let empty = dir.path().join("empty.ledger");
    folio(
        &empty,
        &[
            "init",
            "--name",
            "Vide SARL",
            "--siren",
            "732829320",
            "--start",
            "2026-01-01",
        ],
    );
    let empty = Arc::new(Ledger::open(&empty).unwrap());
    let sizes = [
        (1, 1),
        (2, 30),
        (19, 5),
        (30, 8),
        (45, 12),
        (80, 24),
        (300, 3),
    ];
    let keymap = folio::tui::Keymap::embedded();
    for ledger in [&books, &empty] {
        for keys in [
            "A",
            "A enter",
            "A s",
            "A shift-tab enter",
            "A G enter",
            "5 enter o",
        ] {
            let mut app = common::app(ledger, &keymap);
            common::press(&mut app, keys);
            for (w, h) in sizes {
                render(&app, w, h);
            }
            common::press(&mut app, "pagedown pagedown G g g j k tab enter");
            for (w, h) in sizes {
                render(&app, w, h);
            }
        }
    }
}
