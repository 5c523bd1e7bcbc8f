//! The entry grid's tax column, with the keys of both keymap presets: a code typed on a line
//! (completed from the settings' codes) tags it as `entry add … #TAX` does, and the VAT return
//! counts it; an unknown code is refused; a draft opens with its codes, keeps its tags when
//! saved unchanged and takes a changed code; an entry with tax codes is not parked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_common/mod.rs"]
mod common;

use std::sync::Arc;

use common::{Driver, demo_ledger, presets, render};
use folio::ledger::Ledger;
use folio::model::EntryId;
use folio::tui::action::{Action, Context};
use folio::vat::{Ca3Box, ReturnPeriod};

const NOVEMBER: ReturnPeriod = ReturnPeriod::Month {
    year: 2026,
    month: 11,
};

/// The header of a new entry in OD, dated today (20/11/2026).
fn header(d: &mut Driver, piece: &str) {
    d.global(Action::GoEntries).global(Action::NewEntry);
    d.text("OD")
        .next()
        .next()
        .text(piece)
        .next()
        .text("Vente comptoir")
        .next();
}

/// 512 debit 120, 706 credit 100 taxed `first`, 445710 credit 20 taxed `second`.
fn sale(d: &mut Driver, first: &str, second: &str) {
    d.text("512").next().next().text("120").next();
    d.text("706").next();
    d.act(Context::Editor, Action::LineTax).text(first).next();
    // The balancing amount is proposed on the credit side: typing replaces it.
    d.next().text("100").next();
    d.text("445710").next();
    d.act(Context::Editor, Action::LineTax).text(second).next();
    d.next().next();
}

fn latest(ledger: &Ledger) -> EntryId {
    ledger
        .entries(&Default::default())
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .max()
        .unwrap()
}

/// The entries the lines of box `b` of November come from.
fn box_entries(ledger: &Arc<Ledger>, b: Ca3Box) -> Vec<EntryId> {
    let options = ledger.vat_options().unwrap();
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = ledger
            .vat_box_lines(NOVEMBER, &options, b, after.as_ref(), 500)
            .unwrap();
        out.extend(page.rows.iter().map(|r| r.entry));
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

#[test]
fn tax_codes_typed_in_the_grid_tag_the_lines_and_the_return_counts_them() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        header(&mut d, "T-1");
        // `v2` completes to V20, the first code it starts; `v20` is taken in any case.
        sale(&mut d, "v2", "v20");
        let grid = render(&d.app, 80, 24);
        assert!(grid.contains("V20"), "{name}:\n{grid}");
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message().starts_with("saved draft"),
            "{name}: {}",
            d.message()
        );
        let id = latest(&ledger);
        assert_eq!(
            ledger.entry_tax_codes(id).unwrap(),
            vec![None, Some("V20".to_string()), Some("V20".to_string())],
            "{name}"
        );
        // The base line is in A1 and 08, the tax line in 08.
        assert!(box_entries(&ledger, Ca3Box::A1).contains(&id), "{name}");
        assert!(box_entries(&ledger, Ca3Box::L08).contains(&id), "{name}");
    }
}

#[test]
fn an_unknown_tax_code_is_refused_and_keeps_the_focus() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let (_, keymap) = presets().remove(0);
    let mut d = Driver::new(&ledger, &keymap);
    header(&mut d, "T-2");
    d.text("706").next();
    d.act(Context::Editor, Action::LineTax);
    assert!(
        d.message().contains("V20"),
        "the codes are listed: {}",
        d.message()
    );
    d.text("ZZ").next();
    assert!(d.message().contains("no tax code `ZZ`"), "{}", d.message());
    // Still on the tax field: a good code then goes on.
    d.text("V10").next().text("50");
    let grid = render(&d.app, 80, 24);
    assert!(grid.contains("V10"), "{grid}");
}

#[test]
fn a_draft_opens_with_its_codes_keeps_its_tags_and_takes_a_changed_code() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        header(&mut d, "T-3");
        sale(&mut d, "V20", "V20");
        d.act(Context::Editor, Action::SaveDraft);
        let id = latest(&ledger);
        d.form(Action::Cancel);
        assert!(d.app.title().starts_with("Entries"), "{name}");
        d.act(Context::Entries, Action::EditEntry);
        assert!(d.app.title().starts_with("Edit draft"), "{name}");
        let grid = render(&d.app, 80, 24);
        assert_eq!(grid.matches("V20").count(), 2, "{name}:\n{grid}");
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message().starts_with("nothing changed"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(
            ledger.entry_tax_codes(id).unwrap(),
            vec![None, Some("V20".to_string()), Some("V20".to_string())],
            "{name}"
        );
        // Line 3's code becomes V10: down from line 1's tax field to line 3's.
        d.act(Context::Entries, Action::EditEntry);
        d.act(Context::Editor, Action::LineTax);
        d.form(Action::NextLine).form(Action::NextLine);
        d.text("V10");
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.message().starts_with("saved draft"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(
            ledger.entry_tax_codes(id).unwrap(),
            vec![None, Some("V20".to_string()), Some("V10".to_string())],
            "{name}"
        );
    }
}

#[test]
fn an_entry_with_tax_codes_is_not_parked() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let (_, keymap) = presets().remove(0);
    let mut d = Driver::new(&ledger, &keymap);
    header(&mut d, "T-4");
    d.text("706").next();
    d.act(Context::Editor, Action::LineTax).text("V20").next();
    d.next().text("100");
    d.act(Context::Editor, Action::Park);
    assert!(
        d.message().contains("does not keep tax codes"),
        "{}",
        d.message()
    );
    assert!(ledger.parked_entries().unwrap().is_empty());
}
