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
        d.act(Context::List, Action::Mark);
        assert!(d.message().contains("1 marked"), "{name}: {}", d.message());
        d.list(Action::Up).list(Action::Up);
        d.act(Context::List, Action::Mark);
        d.act(Context::Entries, Action::ValidateMarked).confirm();
        assert!(
            d.message().starts_with("validated 2 entries"),
            "{name}: {}",
            d.message()
        );
        assert_eq!(ledger.draft_count().unwrap(), 39, "{name}");

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
            taxes: Vec::new(),
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

#[test]
fn marking_ledger_lines_shows_their_running_total() {
    use folio::ledger::{LedgerOf, WindowStart};
    use folio::model::AccountNumber;

    for (name, keymap) in presets() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = demo_ledger(dir.path());
        let bank = AccountNumber::parse("512000").unwrap();
        let year = ledger
            .years()
            .unwrap()
            .into_iter()
            .find(|y| y.contains(demo_ctx().today))
            .unwrap();
        let first: Vec<Amount> = ledger
            .ledger_window(
                &LedgerOf::Account(bank),
                Some(year.start),
                Some(year.end),
                WindowStart::First,
                3,
            )
            .unwrap()
            .iter()
            .map(|r| r.debit - r.credit)
            .collect();
        let mut d = Driver::new(&ledger, &keymap);
        d.global(Action::GoChart);
        d.list(Action::Filter).text("512000").next();
        d.list(Action::Open);
        assert!(d.app.title().starts_with("Ledger 512000"), "{name}");
        d.list(Action::Top);
        d.list(Action::Mark);
        let one = format!("1 marked · {}", first[0].to_french());
        assert_eq!(d.message(), one, "{name}");
        d.list(Action::Mark).list(Action::Mark);
        let three = first[0] + first[1] + first[2];
        let text = format!("3 marked · {}", three.to_french());
        assert_eq!(d.message(), text, "{name}");
        // Once the message is gone, the status line keeps the count and the total.
        d.list(Action::Down);
        let screen = common::render(&d.app, 80, 24);
        let status = screen.lines().last().unwrap_or_default().to_string();
        assert!(status.contains(&text), "{name}: {status}");
        // Unmarking the second line takes it out of the total.
        d.list(Action::Top).list(Action::Down).list(Action::Mark);
        let two = first[0] + first[2];
        assert_eq!(
            d.message(),
            format!("2 marked · {}", two.to_french()),
            "{name}"
        );
        // Marks stay on their lines through a filter.
        d.list(Action::Filter).text("zzz").next();
        let screen = common::render(&d.app, 80, 24);
        assert!(screen.contains("2 marked ·"), "{name}:\n{screen}");
    }
}

#[test]
fn a_validated_entry_is_not_marked_and_marks_survive_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let keymap = folio::tui::Keymap::embedded();
    let mut d = Driver::new(&ledger, &keymap);
    d.global(Action::GoEntries);
    d.list(Action::Top).list(Action::Mark);
    assert!(
        d.message().contains("only drafts are marked"),
        "{}",
        d.message()
    );
    d.list(Action::Bottom).list(Action::Mark);
    assert!(d.message().starts_with("1 marked · "), "{}", d.message());
    d.global(Action::Refresh);
    d.list(Action::Up);
    let screen = common::render(&d.app, 80, 24);
    assert!(screen.contains("1 marked ·"), "{screen}");
}

#[test]
fn every_route_opens_its_screen() {
    use folio::model::AccountNumber;
    use folio::tui::route::Route;
    use folio::tui::screens::documents::Show;

    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let keymap = folio::tui::Keymap::embedded();
    let entries = ledger.entries(&Default::default()).unwrap();
    let validated = entries.iter().find(|e| e.is_validated()).unwrap();
    let draft = entries.iter().rev().find(|e| !e.is_validated()).unwrap();
    let document = ledger.documents(None).unwrap()[0].document.clone();
    let bank = AccountNumber::parse("512000").unwrap();
    let routes = [
        (Route::Home, "Home".to_string()),
        (Route::Entries, "Entries · journal all · 2026".into()),
        (Route::Drafts, "Entries · journal all · all".into()),
        (
            Route::Entry(validated.id),
            format!("Entry {}", validated.reference()),
        ),
        (
            Route::NewEntry {
                journal: Some("VE".into()),
            },
            "New entry".into(),
        ),
        (
            Route::EditEntry(draft.id),
            format!("Edit draft {}", draft.reference()),
        ),
        (
            Route::Chart {
                filter: "512".into(),
            },
            "Chart of accounts · 2026".into(),
        ),
        (
            Route::Balance,
            "Trial balance · 01/01/2026 – 31/12/2026".into(),
        ),
        (
            Route::Parties {
                filter: "customer".into(),
            },
            "Third parties".into(),
        ),
        (Route::Account(bank.clone()), "Ledger 512000".into()),
        (
            Route::AccountIn {
                account: bank.clone(),
                from: None,
                to: None,
            },
            "Ledger 512000".into(),
        ),
        (
            Route::AccountAt {
                account: validated.lines[0].account.clone(),
                entry: validated.id,
            },
            format!("Ledger {}", validated.lines[0].account),
        ),
        (Route::Party("CVERNET".into()), "Third party CVERNET".into()),
        (Route::History(None), "History · latest changes".into()),
        (
            Route::History(Some(format!("entry:{}", validated.id))),
            format!("History · entry {}", validated.reference()),
        ),
        (Route::Documents(Show::All), "Documents · all".into()),
        (
            Route::Documents(Show::CustomerDue),
            "Documents · customer invoices due".into(),
        ),
        (
            Route::Document(document.id),
            document.display_ref().to_string(),
        ),
    ];
    for (route, title) in routes {
        let mut app = common::app(&ledger, &keymap);
        app.open(&route);
        assert_eq!(app.message(), None, "{route:?}");
        assert!(
            app.title().starts_with(&title) || app.title().ends_with(&title),
            "{route:?}: {} is not {title}",
            app.title()
        );
        // Back leaves it for the screen it was opened from (a filter is cleared first).
        common::press(&mut app, "esc");
        if app.title() != "Home" {
            common::press(&mut app, "esc");
        }
        assert_eq!(app.title(), "Home", "{route:?}");
    }
    // A route to a record that is not there says so and stays where it was.
    let mut app = common::app(&ledger, &keymap);
    app.open(&Route::Entry(999_999));
    assert!(app.message().is_some());
    assert_eq!(app.title(), "Home");
}

#[test]
fn text_with_escapes_or_bidi_overrides_is_drawn_without_them() {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use folio::ledger::{Ctx, InitParams, Ledger};
    use folio::model::{AccountNumber, Company, EntryInput, Line};

    let bad = |c: char| c == '\u{1b}' || c == '\u{7}' || ('\u{202a}'..='\u{202e}').contains(&c);
    let dir = tempfile::tempdir().unwrap();
    // The company name and the user's name are stored as given: neither goes through the
    // input sanitising of entries and imports.
    let user = "d\u{202e}emo\u{1b}[2J";
    let now = NaiveDate::from_ymd_opt(2026, 11, 20)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .unwrap();
    let ctx = Ctx::fixed(user, now);
    let params = InitParams {
        company: Company {
            name: "Evil \u{1b}]52;c;aGk=\u{7}SARL \u{202e}lirpa".into(),
            siren: "732829320".into(),
        },
        first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        first_year_months: 12,
        chart: folio::fixtures::default_chart().unwrap(),
        settings: None,
    };
    let ledger = Arc::new(Ledger::create(&dir.path().join("evil.ledger"), &params, &ctx).unwrap());
    let account = |n: &str| AccountNumber::parse(n).unwrap();
    ledger
        .add_entry(
            &ctx,
            &EntryInput {
                journal: "OD".into(),
                date: now.date(),
                piece: "P1".into(),
                label: "Loyer".into(),
                lines: vec![
                    Line::debit(account("613200"), cents(10_000)),
                    Line::credit(account("512000"), cents(10_000)),
                ],
            },
        )
        .unwrap();
    // The ledger's API takes a third-party code as given (the command line checks it).
    ledger
        .add_party(
            &ctx,
            folio::model::Party::new(
                "ABCDEFGHIJKL\u{1b}\u{202e}".into(),
                "Lumière\u{1b}]52;c;aGk=\u{7} SA".into(),
                folio::model::PartyKind::Customer,
                account("411000"),
            ),
        )
        .unwrap();
    let keymap = folio::tui::Keymap::embedded();
    // What is dropped takes no room: the code fits its 12-cell column, whole.
    let mut app = folio::tui::App::new(Arc::clone(&ledger), ctx.clone(), keymap.clone()).unwrap();
    common::press(&mut app, "5");
    let screen = common::render(&app, 80, 24);
    assert!(
        screen.contains("ABCDEFGHIJKL Lumière]52;c;aGk= SA"),
        "{screen}"
    );
    // Every screen, and text typed into a filter and into the entry grid (a paste can hold
    // any character).
    let paths: &[&[&str]] = &[
        &[],
        &["2"],
        &["2", "G", "enter"],
        &["2", "G", "h"],
        &["3"],
        &["4"],
        &["5"],
        &["6"],
        &["7"],
        &["6", "/", "\u{202e}x\u{1b}"],
        &["2", "n", "\u{202e}OD\u{1b}[31m"],
    ];
    for keys in paths {
        let mut app =
            folio::tui::App::new(Arc::clone(&ledger), ctx.clone(), keymap.clone()).unwrap();
        for key in *keys {
            if key.chars().count() > 1 && key.chars().any(bad) {
                app.type_text(key);
            } else {
                common::press(&mut app, key);
            }
        }
        for (w, h) in [(80, 24), (120, 40)] {
            let mut terminal =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
            terminal.draw(|frame| app.render(frame)).unwrap();
            let buffer = terminal.backend().buffer();
            let drawn: String = buffer.content().iter().map(|c| c.symbol()).collect();
            assert!(!drawn.chars().any(bad), "{keys:?} at {w}x{h}:\n{drawn}");
        }
    }
}

#[test]
fn a_draft_saved_from_the_grid_is_logged_at_the_time_it_was_saved() {
    use folio::tui::Clock;

    let dir = tempfile::tempdir().unwrap();
    let ledger = demo_ledger(dir.path());
    let keymap = folio::tui::Keymap::embedded();
    // The interface was started long ago (the demo's fixed time), and its clock moves.
    let mut d = Driver::new(&ledger, &keymap);
    d.app = common::app(&ledger, &keymap).with_clock(Clock::Live { today_fixed: true });
    let before = chrono::Local::now().naive_local() - chrono::Duration::seconds(5);
    type_purchase(&mut d);
    d.act(Context::Editor, Action::SaveDraft);
    assert!(d.message().starts_with("saved draft"), "{}", d.message());
    let after = chrono::Local::now().naive_local() + chrono::Duration::seconds(5);
    let record = ledger.recent_history(1).unwrap().pop().unwrap();
    assert_eq!(record.action, "entry.add", "{record:?}");
    assert!(
        record.at >= before && record.at <= after,
        "logged at {} (started at {})",
        record.at,
        demo_ctx().now()
    );
}
