//! Open items through the `folio` binary: `letter list --open` follows lettering, unlettering,
//! validation and letterable changes; its refusals; `folio check` names a line missing from
//! the index; a ledger of schema 3 gets its index when opened, one of schema 5 gets the
//! pieces and references in it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use redb::{ReadableDatabase, ReadableTable};

/// Two validated invoices to CACME (120.00 and 60.00) and a validated payment of 180.00, and a
/// validated invoice to another customer: VE2026-000001, VE2026-000002, BQ2026-000001,
/// VE2026-000003. The customer line is line 1 of the invoices, line 2 of the payment.
fn books() -> Folio {
    let folio = Folio::blank();
    folio.ok(&w("parties add CDUP 'Dupont SA' --kind customer"));
    for (date, piece, amount) in [("2026-03-02", "F1", "120"), ("2026-03-05", "F2", "60")] {
        folio.ok(&w(&format!(
            "entry add -j VE -d {date} -p {piece} -l Facture --debit 411@CACME={amount} \
             --credit 706={amount} --validate"
        )));
    }
    folio.ok(&w(
        "entry add -j BQ -d 2026-03-20 -p R1 -l Reglement --credit 411@CACME=180 \
         --debit 512=180 --validate",
    ));
    folio.ok(&w(
        "entry add -j VE -d 2026-03-03 -p F3 -l Facture --debit 411@CDUP=50 \
         --credit 706=50 --validate",
    ));
    folio
}

/// `letter list --open` as CSV rows, `line:partial` each, in the listed order.
fn open_lines(folio: &Folio, filters: &str) -> Vec<String> {
    let out = folio.ok(&w(&format!("letter list --open --format csv {filters}")));
    csv_records(&out)
        .into_iter()
        .map(|r| format!("{}:{}", r["line"], r["partial"]))
        .collect()
}

fn assert_check_clean(folio: &Folio) {
    let out = folio.ok(&w("check"));
    assert!(out.contains("0 findings"), "{out}");
}

#[test]
fn open_items_follow_lettering_and_unlettering() {
    let folio = books();
    let csv = folio.ok(&w("letter list --open --format csv"));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("account,party,line,date,journal,piece,label,due,debit,credit,partial")
    );
    assert_eq!(
        lines.next(),
        Some("411000,CACME,VE2026-000001/1,2026-03-02,VE,F1,Facture,,120.00,,")
    );
    // By account, party, then date: CACME's three lines, then CDUP's.
    let all = vec![
        "VE2026-000001/1:",
        "VE2026-000002/1:",
        "BQ2026-000001/2:",
        "VE2026-000003/1:",
    ];
    assert_eq!(open_lines(&folio, ""), all);
    assert_eq!(open_lines(&folio, "--party CDUP"), vec!["VE2026-000003/1:"]);
    assert_eq!(
        open_lines(&folio, "--account 411 --party CACME"),
        all[..3].to_vec()
    );
    assert!(open_lines(&folio, "--account 401").is_empty());

    // Partial: the lines stay open with the group's code.
    folio.ok(&w("letter add VE2026-000001/1 BQ2026-000001/2"));
    assert_eq!(
        open_lines(&folio, "--party CACME"),
        vec![
            "VE2026-000001/1:aa",
            "VE2026-000002/1:",
            "BQ2026-000001/2:aa"
        ]
    );
    assert_check_clean(&folio);
    // Complete: the party has no open items left.
    folio.ok(&w("letter add VE2026-000002/1 BQ2026-000001/2"));
    assert!(open_lines(&folio, "--party CACME").is_empty());
    assert_eq!(open_lines(&folio, ""), vec!["VE2026-000003/1:"]);
    let json = folio.ok(&w("letter list --open --format json"));
    assert!(json.contains("\"line\": \"VE2026-000003/1\""), "{json}");
    assert!(json.contains("\"debit\": \"50.00\""), "{json}");
    assert_check_clean(&folio);
    // Unlettering restores them exactly.
    folio.ok(&w("letter remove 411000 AA"));
    assert_eq!(open_lines(&folio, ""), all);
    assert_check_clean(&folio);
}

#[test]
fn open_items_follow_validation_and_letterable_flag() {
    let folio = books();
    // A draft is not an open item; its validation makes it one.
    folio.ok(&w(
        "entry add -j VE -d 2026-03-01 -p F4 -l Facture --debit 411@CDUP=10 --credit 706=10",
    ));
    assert_eq!(open_lines(&folio, "--party CDUP"), vec!["VE2026-000003/1:"]);
    folio.ok(&w("validate --all"));
    assert_eq!(
        open_lines(&folio, "--party CDUP"),
        vec!["VE2026-000004/1:", "VE2026-000003/1:"]
    );
    // A reversal's line is open too.
    folio.ok(&w("reverse VE2026-000004 --date 2026-03-31"));
    assert_eq!(
        open_lines(&folio, "--party CDUP"),
        vec!["VE2026-000004/1:", "VE2026-000003/1:", "VE2026-000005/1:"]
    );
    assert_check_clean(&folio);
    // An account that stops being letterable has no open items; they come back with the
    // flag, their groups kept.
    folio.ok(&w("letter add VE2026-000001/1 BQ2026-000001/2"));
    folio.ok(&w("accounts edit 411000 --letterable false"));
    assert!(open_lines(&folio, "").is_empty());
    assert_check_clean(&folio);
    folio.ok(&w("accounts edit 411000 --letterable true"));
    assert_eq!(
        open_lines(&folio, "--party CACME"),
        vec![
            "VE2026-000001/1:aa",
            "VE2026-000002/1:",
            "BQ2026-000001/2:aa"
        ]
    );
    assert_check_clean(&folio);
}

#[test]
fn open_list_refusals() {
    let folio = books();
    folio.refuses(
        &w("letter list --open --account 512"),
        &["512000", "not letterable"],
    );
    folio.refuses(&w("letter list --open --party NOBODY"), &["NOBODY"]);
    folio.refuses(&w("letter list --open --account 12x"), &["--account"]);
}

#[test]
fn imported_lines_are_open_items() {
    let folio = Folio::blank();
    // An entries CSV imported validated (gathered, then written in key order).
    let mut csv = String::from("journal,date,piece,label,account,third_party,debit,credit\n");
    for (day, piece, amount) in [("10", "F10", "40.00"), ("05", "F05", "25.00")] {
        csv.push_str(&format!(
            "VE,2026-04-{day},{piece},Facture,411000,CACME,{amount},\n\
             VE,2026-04-{day},{piece},Facture,706000,,,{amount}\n"
        ));
    }
    csv.push_str(
        "BQ,2026-04-20,R20,Reglement,512000,,65.00,\n\
         BQ,2026-04-20,R20,Reglement,411000,CACME,,65.00\n",
    );
    let file = folio.write("entries.csv", csv);
    folio.ok(&["import", "entries", "--validate", &file]);
    assert_eq!(
        open_lines(&folio, "--party CACME"),
        vec!["VE2026-000002/1:", "VE2026-000001/1:", "BQ2026-000001/2:"]
    );
    assert_check_clean(&folio);
    folio.ok(&w(
        "letter add VE2026-000001/1 VE2026-000002/1 BQ2026-000001/2",
    ));
    assert!(open_lines(&folio, "--party CACME").is_empty());

    // A FEC's lettering that is not a group of the ledger leaves its lines open, mark shown.
    let line = |journal: &str,
                number: &str,
                date: &str,
                account: &str,
                aux: &str,
                debit: &str,
                credit: &str,
                letter: &str| {
        let date_let = if letter.is_empty() { "" } else { date };
        [
            journal, journal, number, date, account, "Compte", aux, aux, "P", date, "Libelle",
            debit, credit, letter, date_let, date, "", "",
        ]
        .join("\t")
    };
    let lines = [
        "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\t\
         CompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\t\
         EcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise"
            .to_string(),
        line(
            "OD", "O1", "20260502", "411000", "CACME", "70,00", "0,00", "ZZ",
        ),
        line("OD", "O1", "20260502", "706000", "", "0,00", "70,00", ""),
    ];
    let file = folio.write("lettered.txt", lines.join("\n") + "\n");
    folio.ok(&["import", "fec", &file]);
    let json = folio.ok(&w("letter list --open --party CACME --format json"));
    assert!(json.contains("\"line\": \"OD2026-000001/1\""), "{json}");
    assert!(json.contains("\"partial\": \"\""), "{json}");
    assert_check_clean(&folio);
}

/// (account, party, date, entry, line).
type Key = (&'static str, &'static str, i32, u64, u32);
/// (debit cents, credit cents, partial group's code position, piece, entry reference).
type Value = (i64, i64, Option<u64>, &'static str, &'static str);
const OPEN_ITEMS: redb::TableDefinition<Key, Value> = redb::TableDefinition::new("open_items_v6");
/// The index as schemas 4 and 5 kept it.
type LegacyValue = (i64, i64, Option<u64>);
const LEGACY_OPEN_ITEMS: redb::TableDefinition<Key, LegacyValue> =
    redb::TableDefinition::new("open_items");
const OPEN_PARTIES: redb::TableDefinition<(&str, &str), (u64, i64, i64)> =
    redb::TableDefinition::new("open_parties");

/// The key of CACME's line of entry `entry` in the index.
fn indexed(items: &impl ReadableTable<Key, Value>, entry: u64) -> (String, String, i32, u64, u32) {
    for item in items.iter().unwrap() {
        let (key, _) = item.unwrap();
        let (a, p, d, e, l) = key.value();
        if p == "CACME" && e == entry {
            return (a.to_string(), p.to_string(), d, e, l);
        }
    }
    panic!("entry #{entry} of CACME is not indexed");
}

#[test]
fn check_names_a_line_missing_from_the_index() {
    let folio = books();
    folio.ok(&w("letter add VE2026-000001/1 BQ2026-000001/2"));
    assert_check_clean(&folio);
    {
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().unwrap();
        {
            let mut items = txn.open_table(OPEN_ITEMS).unwrap();
            let key = indexed(&items, 2);
            items
                .remove((key.0.as_str(), key.1.as_str(), key.2, key.3, key.4))
                .unwrap();
            // And the partial code of another line changed.
            let key = indexed(&items, 1);
            items
                .insert(
                    (key.0.as_str(), key.1.as_str(), key.2, key.3, key.4),
                    (12_000, 0, Some(3), "F1", "VE2026-000001"),
                )
                .unwrap();
            // And the party's count.
            txn.open_table(OPEN_PARTIES)
                .unwrap()
                .insert(("411000", "CACME"), (5, 0, 0))
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let out = folio.run(&w("check"));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("VE2026-000002/1 (411000, CACME) is open but missing from the index"),
        "{text}"
    );
    assert!(
        text.contains("VE2026-000001/1 (411000, CACME) is indexed with debit 120.00 credit 0.00, partial group ad"),
        "{text}"
    );
    assert!(
        text.contains("the summary of 411000, CACME says 5 lines (debit 0.00, credit 0.00), its open items are 3 lines"),
        "{text}"
    );
}

#[test]
fn a_schema_3_ledger_gets_its_index_when_opened() {
    let folio = books();
    folio.ok(&w("letter add VE2026-000001/1 BQ2026-000001/2"));
    let before = open_lines(&folio, "");
    {
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().unwrap();
        txn.delete_table(OPEN_ITEMS).unwrap();
        txn.delete_table(OPEN_PARTIES).unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("schema", sealed(&[3]).as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    // A command that only reads migrates it (it may write the file).
    assert_eq!(open_lines(&folio, ""), before);
    assert_eq!(
        meta_value(&folio.ledger, "schema"),
        Some(sealed(&[folio::ledger::SCHEMA_VERSION as u8]))
    );
    assert_check_clean(&folio);
    let history = folio.ok(&w("log company"));
    assert!(
        history.contains(&format!(
            "from schema 3 to {}",
            folio::ledger::SCHEMA_VERSION
        )),
        "{history}"
    );
}

// ----- properties over random sets of lines ---------------------------------------------------

mod properties {
    use std::collections::BTreeSet;

    use chrono::NaiveDate;
    use folio::ledger::{Ctx, InitParams, Ledger, OpenItem, Selection};
    use folio::lettering::LineRef;
    use folio::model::{AccountNumber, Amount, Company, EntryInput, Line, Party, PartyKind};
    use proptest::prelude::*;

    const PARTIES: [&str; 2] = ["C1", "C2"];

    fn acc(n: &str) -> AccountNumber {
        AccountNumber::parse(n).unwrap()
    }

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    fn ctx() -> Ctx {
        Ctx::fixed("prop", d(31).and_hms_opt(12, 0, 0).unwrap())
    }

    /// A ledger with one validated entry per (party, day, signed hundreds of cents): the
    /// customer line is line 0 of each.
    fn ledger_with(dir: &std::path::Path, lines: &[(usize, u32, i64)]) -> (Ledger, Vec<LineRef>) {
        let chart = ["411000", "512000", "530000"]
            .iter()
            .map(|n| (acc(n), format!("Compte {n}")))
            .collect();
        let params = InitParams {
            company: Company {
                name: "Prop SARL".into(),
                siren: "732829320".into(),
            },
            first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            first_year_months: 12,
            chart,
            settings: None,
        };
        let ledger = Ledger::create(&dir.join("p.ledger"), &params, &ctx()).unwrap();
        for code in PARTIES {
            let party = Party::new(code.into(), code.into(), PartyKind::Customer, acc("411000"));
            ledger.add_party(&ctx(), party).unwrap();
        }
        let mut refs = Vec::new();
        for (party, day, hundreds) in lines {
            let amount = Amount::from_cents(hundreds.abs() * 100);
            let (customer, bank) = if *hundreds > 0 {
                (
                    Line::debit(acc("411000"), amount),
                    Line::credit(acc("512000"), amount),
                )
            } else {
                (
                    Line::credit(acc("411000"), amount),
                    Line::debit(acc("512000"), amount),
                )
            };
            let input = EntryInput {
                journal: "OD".into(),
                date: d(*day),
                piece: format!("P{}", refs.len()),
                label: "Ligne".into(),
                lines: vec![customer.with_party(Some(PARTIES[*party].to_string())), bank],
            };
            let entry = ledger.add_entry(&ctx(), &input).unwrap();
            ledger
                .validate(&ctx(), &Selection::Entries(vec![entry.id]))
                .unwrap();
            refs.push(LineRef {
                entry: entry.id,
                line: 0,
            });
        }
        (ledger, refs)
    }

    /// Every party's open items and the summaries.
    fn open_state(ledger: &Ledger) -> (Vec<Vec<OpenItem>>, Vec<folio::ledger::PartyOpen>) {
        let items = PARTIES
            .iter()
            .map(|p| ledger.open_items(&acc("411000"), p).unwrap())
            .collect();
        (items, ledger.open_item_parties(None).unwrap())
    }

    fn line_strategy() -> impl Strategy<Value = (usize, u32, i64)> {
        (0..2usize, 1..=28u32, prop_oneof![1..=4i64, -4..=-1i64])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, max_shrink_iters: 40, ..ProptestConfig::default() })]

        /// Complete groups balance, unlettering restores the open items exactly, and codes are
        /// never given twice on the account.
        #[test]
        fn lettering_properties(
            lines in prop::collection::vec(line_strategy(), 2..14),
            ops in prop::collection::vec((prop::collection::vec(any::<usize>(), 1..5), any::<bool>()), 1..14),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let (ledger, refs) = ledger_with(dir.path(), &lines);
            let account = acc("411000");
            let mut given: BTreeSet<u64> = BTreeSet::new();
            for (picks, undo) in &ops {
                let picked: Vec<LineRef> = picks
                    .iter()
                    .map(|p| refs[p % refs.len()])
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let before = open_state(&ledger);
                let existing: BTreeSet<u64> = ledger
                    .letter_groups(Some(&account))
                    .unwrap()
                    .iter()
                    .map(|g| g.seq)
                    .collect();
                let Ok(group) = ledger.letter(&ctx(), &picked) else {
                    // A refusal changes nothing.
                    prop_assert_eq!(open_state(&ledger), before);
                    continue;
                };
                let fresh = !existing.contains(&group.seq);
                if fresh {
                    prop_assert!(!given.contains(&group.seq), "code {} given twice", group.code());
                    prop_assert!(given.iter().all(|s| *s < group.seq), "codes out of order");
                    given.insert(group.seq);
                }
                // The group's stored amounts are the lines' own, and it is complete exactly
                // when they balance.
                let mut sum = 0i64;
                for line in &group.lines {
                    let entry = ledger.entry(line.at.entry).unwrap();
                    sum += entry.lines[line.at.line as usize].signed().cents();
                }
                prop_assert_eq!(group.is_complete(), sum == 0);
                prop_assert_eq!(group.remainder().cents(), sum);
                // Its lines are open with its code when partial, gone when complete.
                let open = ledger.open_items(&account, &group.party).unwrap();
                for line in &group.lines {
                    let item = open.iter().find(|i| i.at == line.at);
                    if group.is_complete() {
                        prop_assert!(item.is_none());
                    } else {
                        prop_assert_eq!(
                            item.and_then(|i| i.partial.clone()),
                            Some(group.code())
                        );
                    }
                }
                if *undo && fresh {
                    ledger.unletter(&ctx(), &account, &group.code()).unwrap();
                    prop_assert_eq!(open_state(&ledger), before);
                }
            }
            for group in ledger.letter_groups(Some(&account)).unwrap() {
                prop_assert_eq!(group.is_complete(), group.remainder().is_zero());
            }
            // Every group removed: every line is open again, none with a code.
            for group in ledger.letter_groups(Some(&account)).unwrap() {
                ledger.unletter(&ctx(), &account, &group.code()).unwrap();
            }
            let (items, _) = open_state(&ledger);
            let open: usize = items.iter().map(Vec::len).sum();
            prop_assert_eq!(open, refs.len());
            prop_assert!(items.iter().flatten().all(|i| i.partial.is_none()));
            let report = ledger.check().unwrap();
            prop_assert!(report.findings.is_empty(), "{:?}", report.findings);
        }
    }
}

#[test]
fn check_names_an_indexed_piece_that_is_not_the_entry_s() {
    let folio = books();
    {
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().unwrap();
        {
            let mut items = txn.open_table(OPEN_ITEMS).unwrap();
            let key = indexed(&items, 2);
            items
                .insert(
                    (key.0.as_str(), key.1.as_str(), key.2, key.3, key.4),
                    (6_000, 0, None, "F9", "VE2026-000002"),
                )
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let out = folio.run(&w("check"));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(
            "VE2026-000002/1 (411000, CACME) is indexed with piece `F9` of entry VE2026-000002, \
             its entry is VE2026-000002 with piece `F2`"
        ),
        "{text}"
    );
}

#[test]
fn a_schema_5_ledger_gets_pieces_and_references_in_its_index_when_opened() {
    let folio = books();
    folio.ok(&w("letter add VE2026-000001/1 BQ2026-000001/2"));
    let before = open_lines(&folio, "");
    {
        // As schema 5 kept the index: amounts and partial group only, under its old name.
        let db = open_redb(&folio.ledger);
        let txn = db.begin_write().unwrap();
        {
            let items = txn.open_table(OPEN_ITEMS).unwrap();
            let mut legacy = txn.open_table(LEGACY_OPEN_ITEMS).unwrap();
            for item in items.iter().unwrap() {
                let (key, value) = item.unwrap();
                let (debit, credit, partial, ..) = value.value();
                legacy
                    .insert(key.value(), (debit, credit, partial))
                    .unwrap();
            }
        }
        txn.delete_table(OPEN_ITEMS).unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("schema", sealed(&[5]).as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    // Automatic lettering reads pieces from the index: the migrated one has them.
    assert_eq!(open_lines(&folio, ""), before);
    let out = folio.ok(&w("letter auto --dry-run"));
    assert!(out.contains("VE2026-000002/1"), "{out}");
    assert_check_clean(&folio);
    let db = open_redb(&folio.ledger);
    let txn = db.begin_read().unwrap();
    assert!(
        txn.open_table(LEGACY_OPEN_ITEMS).is_err(),
        "the index of schema 5 is removed"
    );
    let items = txn.open_table(OPEN_ITEMS).unwrap();
    let pieces: Vec<(String, String)> = items
        .iter()
        .unwrap()
        .map(|item| {
            let (_, value) = item.unwrap();
            let (.., piece, reference) = value.value();
            (piece.to_string(), reference.to_string())
        })
        .collect();
    assert!(
        pieces.contains(&("F2".to_string(), "VE2026-000002".to_string())),
        "{pieces:?}"
    );
    drop(items);
    drop(txn);
    drop(db);
    let history = folio.ok(&w("log company"));
    assert!(
        history.contains(&format!(
            "from schema 5 to {}",
            folio::ledger::SCHEMA_VERSION
        )),
        "{history}"
    );
}
