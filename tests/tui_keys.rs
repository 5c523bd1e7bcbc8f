//! The interface driven by key sequences taken from each shipped keymap preset, checking the
//! ledger afterwards.

#[path = "tui_common/mod.rs"]
mod common;

use common::{Driver, demo_ctx, demo_ledger, presets};
use folio::ledger::Selection;
use folio::model::{Amount, EntryStatus};
use folio::tui::action::{Action, Context};

fn cents(c: i64) -> Amount {
    Amount::from_cents(c)
}

/// Types the 3-line purchase of the issue: 607 100,00 + 44566 20,00 against supplier LED
/// Composants for 120,00, completing the supplier by name and accepting the proposed balance.
fn type_purchase(d: &mut Driver) {
    d.global(Action::GoEntries);
    d.global(Action::NewEntry);
    assert!(d.app.title().starts_with("New entry"), "{}", d.app.title());
    d.text("AC").next(); // journal
    d.next(); // date: today, kept
    d.text("A2026-0100").next();
    d.text("Facture LED Composants").next();
    d.text("607").next(); // completes to 607000
    d.next(); // label repeated
    d.text("100").next();
    d.text("44566").next();
    d.next();
    d.text("=10*2").next();
    d.text("led comp").next(); // the supplier, by name
    d.next(); // label
    d.next(); // debit empty: the credit holds the proposed 120,00
    d.next(); // accept it
}

#[test]
fn type_and_validate_a_three_line_entry_then_reverse_it() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        type_purchase(&mut d);
        d.act(Context::Editor, Action::SaveValidated);
        assert!(
            d.message().starts_with("validated AC2026-000107"),
            "{name}: {}",
            d.message()
        );
        // Beyond the text and digits: under 40 keys (the target), here about 17.
        assert!(d.strokes < 40, "{name}: {} keys", d.strokes);
        eprintln!(
            "{name}: the purchase took {} keys beyond text and digits",
            d.strokes
        );

        let entry = ledger.find_entry("AC2026-000107").unwrap();
        assert_eq!(entry.piece, "A2026-0100");
        assert_eq!(entry.date, demo_ctx().today);
        assert_eq!(entry.created_by, "demo");
        let lines: Vec<(&str, Option<&str>, i64, i64)> = entry
            .lines
            .iter()
            .map(|l| {
                (
                    l.account.as_str(),
                    l.third_party.as_deref(),
                    l.debit.cents(),
                    l.credit.cents(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                ("607000", None, 10_000, 0),
                ("445660", None, 2_000, 0),
                ("401000", Some("FLEDCOMP"), 0, 12_000),
            ],
            "{name}"
        );

        // The grid is ready for the next entry; leave it, find the entry and reverse it.
        d.form(Action::Cancel);
        assert!(
            d.app.title().starts_with("Entries"),
            "{name}: {}",
            d.app.title()
        );
        d.list(Action::Bottom);
        assert_eq!(
            d.app.record(),
            Some(format!("entry:{}", entry.id)),
            "{name}"
        );
        d.act(Context::Entries, Action::Reverse).confirm();
        let reversal_id = ledger.reversal_of(entry.id).unwrap().expect("reversed");
        let reversal = ledger.entry(reversal_id).unwrap();
        assert!(reversal.is_validated(), "{name}");
        assert_eq!(reversal.total_debit(), cents(12_000));
        assert_eq!(reversal.lines[2].debit, cents(12_000));
        assert!(
            d.message().contains("reversed AC2026-000107"),
            "{name}: {}",
            d.message()
        );
        // The entry links to its reversal.
        d.list(Action::Open);
        assert_eq!(d.app.title(), "Entry AC2026-000107", "{name}");
        d.act(Context::Entry, Action::FollowLink);
        assert_eq!(
            d.app.title(),
            format!("Entry {}", reversal.reference()),
            "{name}"
        );
    }
}

#[test]
fn edit_a_draft() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries).list(Action::Bottom);
        let id: u64 = d.app.record().unwrap()["entry:".len()..].parse().unwrap();
        let before = ledger.entry(id).unwrap();
        d.act(Context::Entries, Action::EditEntry);
        assert_eq!(d.app.title(), format!("Edit draft #{id}"), "{name}");
        d.form(Action::PrevField); // from the first line to the entry's label
        d.text("TVA octobre 2026 corrigée");
        d.act(Context::Editor, Action::SaveDraft);
        assert!(
            d.app.title().starts_with("Entries"),
            "{name}: {}",
            d.app.title()
        );
        assert!(
            d.message().starts_with("saved draft"),
            "{name}: {}",
            d.message()
        );
        let after = ledger.entry(id).unwrap();
        assert_eq!(after.label, "TVA octobre 2026 corrigée", "{name}");
        assert!(!after.is_validated());
        assert_eq!(after.lines.len(), before.lines.len());
        assert_eq!(after.total_debit(), before.total_debit());
        // Validated entries are not edited.
        d.list(Action::Top);
        d.act(Context::Entries, Action::EditEntry);
        assert!(
            d.message().contains("reverse it instead"),
            "{name}: {}",
            d.message()
        );
    }
}

#[test]
fn an_unbalanced_entry_is_never_saved_and_shows_its_difference() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let drafts = ledger.draft_count().unwrap();
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::NewEntry);
        d.text("OD")
            .next()
            .next()
            .text("X1")
            .next()
            .text("Test")
            .next();
        d.text("512").next().next().text("50").next();
        d.text("706").next().next().next().text("40").next();
        let screen = common::render(&d.app, 80, 24);
        assert!(screen.contains("difference 10,00"), "{name}:\n{screen}");
        d.act(Context::Editor, Action::SaveValidated);
        assert!(
            d.message().contains("unbalanced"),
            "{name}: {}",
            d.message()
        );
        d.act(Context::Editor, Action::SaveDraft);
        assert_eq!(ledger.draft_count().unwrap(), drafts, "{name}");
        // Leaving asks first, then drops the typing.
        d.form(Action::Cancel);
        d.act(Context::Dialog, Action::Confirm);
        assert!(!d.app.title().starts_with("New entry"), "{name}");
    }
}

#[test]
fn drill_from_trial_balance_to_an_entry_and_back() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let counter = ledger.change_counter().unwrap();
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoBalance);
        assert!(d.app.title().starts_with("Trial balance"), "{name}");
        d.list(Action::Filter).text("banques").next();
        assert_eq!(d.app.record().as_deref(), Some("account:512000"), "{name}");
        d.list(Action::Open);
        assert!(
            d.app.title().starts_with("Ledger 512000"),
            "{name}: {}",
            d.app.title()
        );
        d.list(Action::Top).list(Action::Down);
        d.list(Action::Open);
        let title = d.app.title();
        assert!(title.starts_with("Entry BQ2026-"), "{name}: {title}");
        let entry = ledger
            .find_entry(title.trim_start_matches("Entry "))
            .unwrap();
        assert!(entry.lines.iter().any(|l| l.account.as_str() == "512000"));
        // From the entry to its other line's account, then all the way back.
        d.list(Action::Down).list(Action::Open);
        assert!(
            d.app.title().starts_with("Ledger "),
            "{name}: {}",
            d.app.title()
        );
        d.global(Action::Back);
        assert_eq!(d.app.title(), title, "{name}");
        d.global(Action::Back);
        assert!(d.app.title().starts_with("Ledger 512000"), "{name}");
        d.global(Action::Back);
        // The filter is still there: back clears it first, then leaves.
        assert!(d.app.title().starts_with("Trial balance"), "{name}");
        d.global(Action::Back);
        assert!(d.app.title().starts_with("Trial balance"), "{name}");
        d.global(Action::Back);
        assert_eq!(d.app.title(), "Home", "{name}");
        d.global(Action::Forward);
        assert!(d.app.title().starts_with("Trial balance"), "{name}");
        assert_eq!(
            ledger.change_counter().unwrap(),
            counter,
            "{name}: nothing written"
        );
    }
}

#[test]
fn filter_a_list_then_open_the_match() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoParties);
        d.list(Action::Filter).text("vernet").next();
        assert_eq!(d.app.record().as_deref(), Some("party:CVERNET"), "{name}");
        let screen = common::render(&d.app, 80, 24);
        assert!(!screen.contains("CLUMEN"), "{name}: filtered out\n{screen}");
        d.list(Action::Open);
        assert!(
            d.app.title().starts_with("Third party CVERNET"),
            "{name}: {}",
            d.app.title()
        );
        // A filter that matches nothing leaves an empty list, and Esc restores the rows.
        d.global(Action::Back);
        d.list(Action::Filter).text("zzzz");
        assert_eq!(d.app.record(), None, "{name}");
        d.form(Action::Cancel);
        assert_eq!(d.app.record().as_deref(), Some("party:CVERNET"), "{name}");
    }
}

#[test]
fn validate_marked_drafts_and_all_drafts_up_to_a_date() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        d.list(Action::Bottom);
        d.act(Context::Entries, Action::Mark);
        assert!(d.message().contains("1 marked"), "{name}: {}", d.message());
        d.list(Action::Up).list(Action::Up);
        d.act(Context::Entries, Action::Mark);
        d.act(Context::Entries, Action::ValidateMarked).confirm();
        assert!(
            d.message().starts_with("validated 2 entries"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(ledger.draft_count().unwrap(), 33, "{name}");

        d.act(Context::Entries, Action::ValidateUntil);
        d.text("09/11/2026").next();
        d.confirm();
        let left = ledger
            .entries(&Default::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.status == EntryStatus::Draft)
            .collect::<Vec<_>>();
        assert!(
            left.iter()
                .all(|e| e.date > demo_ctx().today - chrono::Days::new(11))
        );
        assert!(!left.is_empty(), "{name}");
        assert!(
            d.message().starts_with("validated"),
            "{name}: {}",
            d.message()
        );
    }
}

#[test]
fn delete_a_draft_and_refuse_to_delete_a_validated_entry() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        d.list(Action::Bottom);
        let record = d.app.record().unwrap();
        let id: u64 = record.trim_start_matches("entry:").parse().unwrap();
        d.act(Context::Entries, Action::DeleteEntry).confirm();
        assert!(ledger.entry(id).is_err(), "{name}: deleted");
        d.list(Action::Top);
        d.act(Context::Entries, Action::DeleteEntry);
        assert!(
            d.message().contains("never deleted"),
            "{name}: {}",
            d.message()
        );
    }
}

#[test]
fn a_command_that_lost_a_race_says_so_and_reloads() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries);
        d.list(Action::Bottom);
        let id: u64 = d.app.record().unwrap()["entry:".len()..].parse().unwrap();
        d.act(Context::Entries, Action::Validate);
        // Another user validates it before this one confirms.
        ledger
            .validate(&demo_ctx(), &Selection::Entries(vec![id]))
            .unwrap();
        d.confirm();
        assert!(
            d.message().contains("is validated") && d.message().contains("read again"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(d.app.record(), Some(format!("entry:{id}")), "{name}");
        let number = ledger.entry(id).unwrap().reference();
        assert!(common::render(&d.app, 120, 40).contains(&number), "{name}");
    }
}

#[test]
fn screens_follow_other_users_and_keep_the_cursor_on_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let keymap = folio::tui::Keymap::embedded();
    let mut d = Driver::new(&ledger, &keymap);
    d.global(Action::GoEntries);
    d.list(Action::Bottom).list(Action::Up).list(Action::Up);
    let record = d.app.record();
    // Another process would do the same through its own handle on the file.
    let other = ledger.entries(&Default::default()).unwrap()[0].clone();
    let input = folio::model::EntryInput {
        journal: "OD".into(),
        date: other.date,
        piece: "OTHER-1".into(),
        label: "Typed by someone else".into(),
        lines: other.lines.clone(),
    };
    ledger.add_entry(&demo_ctx(), &input).unwrap();
    assert!(d.app.tick(), "the change is seen");
    assert_eq!(d.app.record(), record, "the cursor stays on its entry");
    d.list(Action::Top);
    assert!(common::render(&d.app, 120, 40).contains("Typed by someone else"));
    assert!(!d.app.tick(), "nothing more to see");
}

#[test]
fn a_long_validation_shows_progress_and_cancels_without_writing() {
    use folio::formats::entries_csv::ImportedEntry;
    use folio::ledger::ImportOptions;
    use folio::model::{AccountNumber, EntryInput, Line};

    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let account = |n: &str| AccountNumber::parse(n).unwrap();
    let drafts = (0..5_000u64).map(|i| {
        Ok(ImportedEntry {
            first_line: i + 2,
            input: EntryInput {
                journal: "CA".into(),
                date: demo_ctx().today,
                piece: format!("T{i}"),
                label: "Vente comptant".into(),
                lines: vec![
                    Line::debit(account("530000"), cents(100)),
                    Line::credit(account("707000"), cents(100)),
                ],
            },
        })
    });
    ledger
        .import_entries(&demo_ctx(), "test", drafts, &ImportOptions::default())
        .unwrap();
    let before = ledger.draft_count().unwrap();
    let counter = ledger.change_counter().unwrap();
    let keymap = folio::tui::Keymap::embedded();
    let mut d = Driver::new(&ledger, &keymap);
    d.global(Action::GoEntries);
    d.act(Context::Entries, Action::ValidateUntil).next();
    d.act(Context::Dialog, Action::Confirm);
    assert!(d.app.is_busy());
    // Esc at once, while thousands of drafts are still ahead of the worker.
    d.form(Action::Cancel);
    let screen = common::render(&d.app, 80, 24);
    assert!(
        screen.contains("validating drafts up to 20/11/2026"),
        "{screen}"
    );
    d.app.wait_idle();
    assert_eq!(d.message(), "validation cancelled: nothing was written");
    assert_eq!(ledger.draft_count().unwrap(), before);
    assert_eq!(ledger.change_counter().unwrap(), counter);
}

#[test]
fn documents_filter_open_a_document_its_entry_and_come_back() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let counter = ledger.change_counter().unwrap();
        let invoice = ledger.document("FA2026-00111").unwrap();
        let entry = ledger.entry(invoice.document.entry.unwrap()).unwrap();
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoDocuments);
        assert_eq!(d.app.title(), "Documents · all", "{name}");

        // The type filter cycles: invoices and credit notes, payments, all again.
        d.act(Context::Documents, Action::TypeFilter);
        assert_eq!(
            d.app.title(),
            "Documents · invoices and credit notes",
            "{name}"
        );
        let screen = common::render(&d.app, 80, 24);
        assert!(screen.contains("FA2026-"), "{name}:\n{screen}");
        assert!(!screen.contains("RC2026-"), "{name}:\n{screen}");
        d.act(Context::Documents, Action::TypeFilter);
        assert_eq!(d.app.title(), "Documents · payments and refunds", "{name}");
        let screen = common::render(&d.app, 80, 24);
        assert!(!screen.contains("FA2026-"), "{name}:\n{screen}");
        d.act(Context::Documents, Action::TypeFilter);
        assert_eq!(d.app.title(), "Documents · all", "{name}");

        // The text filter, then the document.
        d.list(Action::Filter).text("fa2026-00111").next();
        assert_eq!(
            d.app.record(),
            Some(format!("document:{}", invoice.document.id)),
            "{name}"
        );
        d.list(Action::Open);
        assert_eq!(d.app.title(), "Customer invoice FA2026-00111", "{name}");
        let screen = common::render(&d.app, 80, 24);
        assert!(screen.contains("Morel & Associés"), "{name}:\n{screen}");
        assert!(screen.contains("VAT due on"), "{name}:\n{screen}");

        // Its generated entry says where it comes from.
        d.act(Context::Document, Action::OpenEntry);
        assert_eq!(
            d.app.title(),
            format!("Entry {}", entry.reference()),
            "{name}"
        );
        let screen = common::render(&d.app, 80, 24);
        assert!(
            screen.contains("generated from FA2026-00111"),
            "{name}:\n{screen}"
        );
        d.global(Action::Back);
        assert_eq!(d.app.title(), "Customer invoice FA2026-00111", "{name}");

        // The party's ledger, and an entry line's account ledger.
        d.act(Context::Document, Action::OpenParty);
        assert!(
            d.app.title().starts_with("Third party CMOREL"),
            "{name}: {}",
            d.app.title()
        );
        d.global(Action::Back);
        d.list(Action::Bottom).list(Action::Open);
        assert!(
            d.app.title().starts_with("Ledger 445740"),
            "{name}: {}",
            d.app.title()
        );
        d.global(Action::Back);
        assert_eq!(d.app.title(), "Customer invoice FA2026-00111", "{name}");

        // Back to the list (its filter first cleared), then home.
        d.global(Action::Back);
        assert_eq!(d.app.title(), "Documents · all", "{name}");
        assert_eq!(
            d.app.record(),
            Some(format!("document:{}", invoice.document.id)),
            "{name}"
        );
        d.global(Action::Back).global(Action::Back);
        assert_eq!(d.app.title(), "Home", "{name}");
        assert_eq!(
            ledger.change_counter().unwrap(),
            counter,
            "{name}: nothing written"
        );
    }
}

#[test]
fn a_payment_opens_the_documents_it_pays() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoDocuments);
        d.list(Action::Filter).text("rc2026-00064").next();
        d.list(Action::Open);
        assert_eq!(d.app.title(), "Customer payment RC2026-00064", "{name}");
        d.list(Action::Top).list(Action::Down).list(Action::Open);
        assert_eq!(d.app.title(), "Customer invoice FA2026-00063", "{name}");
        d.global(Action::Back);
        // Past the allocations the cursor is in the entry's lines: its bank line.
        d.list(Action::Down).list(Action::Open);
        assert!(
            d.app.title().starts_with("Ledger 512000"),
            "{name}: {}",
            d.app.title()
        );
    }
}

#[test]
fn from_an_entry_to_its_source_document_and_back() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoEntries)
            .list(Action::Top)
            .list(Action::Open);
        assert_eq!(d.app.title(), "Entry AC2026-000001", "{name}");
        d.act(Context::Entry, Action::OpenSource);
        assert_eq!(d.app.title(), "Supplier invoice FF2026-00001", "{name}");
        d.act(Context::Document, Action::OpenEntry);
        assert_eq!(d.app.title(), "Entry AC2026-000001", "{name}");
        d.global(Action::Back).global(Action::Back);
        assert_eq!(d.app.title(), "Entry AC2026-000001", "{name}");

        // A typed entry has no source: it says so.
        let typed = ledger
            .entries(&Default::default())
            .unwrap()
            .into_iter()
            .find(|e| e.source.is_none() && e.is_validated())
            .expect("a typed entry");
        d.global(Action::Back);
        d.list(Action::Filter).text(&typed.reference()).next();
        d.list(Action::Open);
        assert_eq!(
            d.app.title(),
            format!("Entry {}", typed.reference()),
            "{name}"
        );
        let screen = common::render(&d.app, 80, 24);
        assert!(screen.contains("typed by"), "{name}:\n{screen}");
        d.act(Context::Entry, Action::OpenSource);
        assert!(
            d.message().contains("no source document"),
            "{name}: {}",
            d.message()
        );
    }
}

#[test]
fn home_opens_the_customer_invoices_still_due() {
    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let due: Vec<String> = ledger
            .documents(Some(folio::model::document::DocumentType::CustomerInvoice))
            .unwrap()
            .into_iter()
            .filter(|s| s.status.is_some() && !s.remaining.is_zero())
            .map(|s| s.document.display_ref())
            .collect();
        let mut d = Driver::new(&ledger, &keymap);
        let home = common::render(&d.app, 80, 24);
        assert!(
            home.contains(&format!("Unpaid customer invoices: {}", due.len())),
            "{name}:\n{home}"
        );
        d.list(Action::Filter).text("unpaid").next();
        d.list(Action::Open);
        assert_eq!(d.app.title(), "Documents · customer invoices due", "{name}");
        let screen = common::render(&d.app, 120, 40);
        for number in &due {
            assert!(
                screen.contains(number.as_str()),
                "{name}: {number}\n{screen}"
            );
        }
        for row in screen.lines().filter(|l| l.contains("FA2026-")) {
            assert!(
                row.contains("unpaid") || row.contains("partially paid"),
                "{name}: {row}"
            );
        }
        d.act(Context::Documents, Action::TypeFilter);
        assert_eq!(d.app.title(), "Documents · all", "{name}");
    }
}
