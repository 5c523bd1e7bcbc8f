//! The VAT screen on the demo: the periods of 2026, November's return laid out like the CA3,
//! a box's lines and the settlement entry shown before it is posted, compared with snapshots;
//! driven with the keys of both keymap presets: a box drilled down to its lines and an entry
//! and back, November settled (the entry then read from the ledger), settled again (refused),
//! filed when unsettled (refused), then filed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use chrono::NaiveDate;
use common::{Driver, december_ctx, demo_ctx, demo_ledger, presets, render};
use folio::ledger::Selection;
use folio::ledger::vat::ReturnStatus;
use folio::tui::action::{Action, Context};
use folio::vat::ReturnPeriod;

const NOVEMBER: ReturnPeriod = ReturnPeriod::Month {
    year: 2026,
    month: 11,
};

/// Rows from box A1 down to box 08 (the operations, then the heading of the taxable base).
const A1_TO_08: usize = 9;

fn open_november(d: &mut Driver) {
    d.global(Action::GoVat);
    assert_eq!(d.app.title(), "VAT returns 2026 · monthly");
    // On 3 December the cursor starts on the return due: November's.
    d.list(Action::Open);
    assert_eq!(d.app.title(), "CA3 2026-11 · to prepare");
}

#[test]
fn vat_screens_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let (_, keymap) = presets().remove(0);
    let mut d = Driver::with_ctx(&ledger, &keymap, december_ctx());
    d.global(Action::GoVat);
    insta::assert_snapshot!("vat_periods_80x24", render(&d.app, 80, 24));
    d.list(Action::Open);
    insta::assert_snapshot!("vat_return_80x24", render(&d.app, 80, 24));
    insta::assert_snapshot!("vat_return_120x40", render(&d.app, 120, 40));
    for _ in 0..A1_TO_08 {
        d.list(Action::Down);
    }
    d.list(Action::Open);
    assert_eq!(d.app.title(), "CA3 2026-11 › 08 Rate 20 %");
    insta::assert_snapshot!("vat_box_lines_80x24", render(&d.app, 80, 24));
    d.global(Action::Back);
    d.act(Context::Vat, Action::VatChecks);
    assert_eq!(d.app.title(), "CA3 2026-11 › checks · to prepare");
    insta::assert_snapshot!("vat_checks_80x24", render(&d.app, 80, 24));
    d.global(Action::Back);
    d.act(Context::Vat, Action::SettleVat);
    insta::assert_snapshot!("vat_settle_preview_80x24", render(&d.app, 80, 24));
}

#[test]
fn a_box_drills_down_to_its_lines_and_their_entries_and_back_in_both_presets() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let options = ledger.vat_options().unwrap();
    let sheet = ledger.vat_return(NOVEMBER, &options).unwrap();
    let box08 = sheet.rows.iter().find(|r| r.code == "08").unwrap();
    let tax08 = box08.tax.unwrap();
    assert!(!tax08.is_zero(), "the demo has sales at 20 % in November");
    for (name, keymap) in presets() {
        let mut d = Driver::with_ctx(&ledger, &keymap, december_ctx());
        open_november(&mut d);
        let form = render(&d.app, 80, 24);
        let row08 = form
            .lines()
            .find(|l| l.trim_start_matches('"').starts_with("08 "))
            .unwrap_or_else(|| panic!("{name}: no box 08 in\n{form}"));
        let euros = tax08.to_french();
        assert!(
            row08.contains(euros.trim_end_matches(",00")),
            "{name}: {row08}"
        );
        for _ in 0..A1_TO_08 {
            d.list(Action::Down);
        }
        d.list(Action::Open);
        assert_eq!(d.app.title(), "CA3 2026-11 › 08 Rate 20 %", "{name}");
        let first = ledger
            .vat_box_lines(NOVEMBER, &options, folio::vat::Ca3Box::L08, None, 1)
            .unwrap()
            .rows
            .remove(0);
        d.list(Action::Open);
        assert_eq!(
            d.app.title(),
            format!("Entry {}", first.reference),
            "{name}: the first line opens its entry"
        );
        d.global(Action::Back);
        assert_eq!(d.app.title(), "CA3 2026-11 › 08 Rate 20 %", "{name}");
        d.global(Action::Back);
        assert_eq!(d.app.title(), "CA3 2026-11 · to prepare", "{name}");
        d.global(Action::Back);
        assert_eq!(d.app.title(), "VAT returns 2026 · monthly", "{name}");
        // The year before and back.
        d.act(Context::Vat, Action::PrevPeriod);
        assert_eq!(d.app.title(), "VAT returns 2025 · monthly", "{name}");
        d.act(Context::Vat, Action::NextPeriod);
        assert_eq!(d.app.title(), "VAT returns 2026 · monthly", "{name}");
    }
}

#[test]
fn total_lines_say_how_they_are_made() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let (_, keymap) = presets().remove(0);
    let mut d = Driver::with_ctx(&ledger, &keymap, december_ctx());
    open_november(&mut d);
    d.list(Action::Bottom);
    d.list(Action::Open);
    assert_eq!(d.app.title(), "CA3 2026-11 · to prepare");
    assert!(d.message().starts_with("line 32 is"), "{}", d.message());
}

#[test]
fn settle_then_file_november_and_the_refusals_in_both_presets() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let options = ledger.vat_options().unwrap();
        let mut d = Driver::with_ctx(&ledger, &keymap, december_ctx());
        open_november(&mut d);

        // Filing an unsettled period is refused on the status line; nothing changes.
        d.act(Context::Vat, Action::FileVat);
        assert!(
            d.message().contains("2026-11 is not settled"),
            "{name}: {}",
            d.message()
        );
        let sheet = ledger.vat_return(NOVEMBER, &options).unwrap();
        assert_eq!(sheet.status, ReturnStatus::ToPrepare, "{name}");

        // Settling shows the entry first; `deny` leaves the period as it was.
        d.act(Context::Vat, Action::SettleVat);
        let preview = render(&d.app, 80, 24);
        assert!(preview.contains("Settle 2026-11"), "{name}:\n{preview}");
        assert!(preview.contains("445510"), "{name}:\n{preview}");
        d.act(Context::Dialog, Action::Deny);
        assert_eq!(
            ledger.vat_return(NOVEMBER, &options).unwrap().status,
            ReturnStatus::ToPrepare,
            "{name}"
        );
        d.act(Context::Vat, Action::SettleVat).confirm();
        assert!(
            d.message().starts_with("settled 2026-11: entry"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(d.app.title(), "CA3 2026-11 · settled", "{name}");
        let sheet = ledger.vat_return(NOVEMBER, &options).unwrap();
        assert_eq!(sheet.status, ReturnStatus::Settled, "{name}");
        let id = sheet.settlement_entry.expect("a settlement entry");
        let entry = ledger.entry(id).unwrap();
        assert_eq!(entry.piece, "CA3 2026-11", "{name}");
        assert_eq!(entry.date, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        let to_pay: i64 = entry
            .lines
            .iter()
            .filter(|l| l.account.as_str() == "445510")
            .map(|l| l.credit.cents())
            .sum();
        assert_eq!(to_pay, sheet.net().cents(), "{name}");

        // Settling twice is refused on the status line, without asking.
        d.act(Context::Vat, Action::SettleVat);
        assert!(
            d.message().contains("settled once"),
            "{name}: {}",
            d.message()
        );
        assert!(!render(&d.app, 80, 24).contains("Post it?"), "{name}");

        // Filing needs November's drafts validated, the settlement entry included.
        d.act(Context::Vat, Action::FileVat).confirm();
        assert!(
            d.message().contains("draft"),
            "{name}: filing with drafts is refused: {}",
            d.message()
        );
        ledger
            .validate(
                &demo_ctx(),
                &Selection::Until {
                    date: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
                    journal: None,
                },
            )
            .unwrap();
        d.act(Context::Vat, Action::OpenEntry);
        assert_eq!(d.app.title(), format!("Entry #{id}"), "{name}");
        d.act(Context::Entry, Action::Validate).confirm();
        assert!(ledger.entry(id).unwrap().is_validated(), "{name}");
        d.global(Action::Back);
        assert_eq!(d.app.title(), "CA3 2026-11 · settled", "{name}");
        d.act(Context::Vat, Action::FileVat);
        assert!(
            render(&d.app, 80, 24).contains("File the VAT return of 2026-11"),
            "{name}"
        );
        d.confirm();
        assert!(
            d.message().starts_with("filed 2026-11 by demo"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(d.app.title(), "CA3 2026-11 · filed", "{name}");
        assert_eq!(
            ledger.vat_return(NOVEMBER, &options).unwrap().status,
            ReturnStatus::Filed,
            "{name}"
        );
        // Filing again is refused; the periods list says filed.
        d.act(Context::Vat, Action::FileVat);
        assert!(
            d.message().contains("filed already"),
            "{name}: {}",
            d.message()
        );
        d.global(Action::Back);
        let periods = render(&d.app, 80, 24);
        let november = periods
            .lines()
            .find(|l| l.contains("2026-11"))
            .unwrap_or_else(|| panic!("{name}:\n{periods}"));
        assert!(november.contains("filed"), "{name}: {november}");
    }
}

#[test]
fn the_entry_shown_before_settling_is_the_entry_posted() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let options = ledger.vat_options().unwrap();
    let preview = ledger
        .vat_settlement_preview(NOVEMBER, &options, december_ctx().today)
        .unwrap();
    assert!(!preview.lines.is_empty(), "November has VAT to settle");
    let (keymap_name, keymap) = presets().remove(0);
    let mut d = Driver::with_ctx(&ledger, &keymap, december_ctx());
    open_november(&mut d);
    d.act(Context::Vat, Action::SettleVat);
    let shown = render(&d.app, 80, 24);
    for line in &preview.lines {
        assert!(
            shown.contains(line.account.as_str()),
            "{keymap_name}: {} is shown:\n{shown}",
            line.account
        );
    }
    d.confirm();
    let sheet = ledger.vat_return(NOVEMBER, &options).unwrap();
    let posted = ledger.entry(sheet.settlement_entry.unwrap()).unwrap();
    assert_eq!(posted.lines, preview.lines);
    assert_eq!(posted.date, preview.date);
    assert_eq!(posted.piece, preview.piece);
    // Once settled, the preview is refused as settling is.
    let refused = ledger
        .vat_settlement_preview(NOVEMBER, &options, december_ctx().today)
        .unwrap_err();
    assert!(refused.to_string().contains("settled once"), "{refused}");
}

#[test]
fn quarterly_returns_list_four_periods_and_open_the_quarter() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let mut profile = ledger.company_profile().unwrap();
    profile.vat_periodicity = folio::model::company::VatPeriodicity::Quarterly;
    ledger.set_company_profile(&demo_ctx(), &profile).unwrap();
    let (_, keymap) = presets().remove(0);
    let mut d = Driver::with_ctx(&ledger, &keymap, december_ctx());
    d.global(Action::GoVat);
    assert_eq!(d.app.title(), "VAT returns 2026 · quarterly");
    let screen = render(&d.app, 80, 24);
    assert!(
        screen.contains("2026-Q4 October – December 2026"),
        "{screen}"
    );
    assert!(!screen.contains("2026-11"), "{screen}");
    // The cursor is on the return due: the third quarter's, never settled as a quarter.
    d.list(Action::Open);
    assert!(
        d.app.title().starts_with("CA3 2026-Q3 · to prepare"),
        "{}",
        d.app.title()
    );
    d.act(Context::Vat, Action::NextPeriod);
    assert!(
        d.app.title().starts_with("CA3 2026-Q4 · "),
        "{}",
        d.app.title()
    );
    // The fourth quarter has not ended on 3 December: it cannot be settled yet.
    d.act(Context::Vat, Action::SettleVat);
    assert!(
        d.message()
            .contains("2026-Q4 has not ended: it ends on 2026-12-31"),
        "{}",
        d.message()
    );
    d.act(Context::Vat, Action::PrevPeriod);
    assert!(
        d.app.title().starts_with("CA3 2026-Q3 · "),
        "{}",
        d.app.title()
    );
}
