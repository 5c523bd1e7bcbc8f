//! Lettering through the `folio` binary: letter a payment against two invoices, partial then
//! complete, codes given in order, refusals that leave the ledger unchanged, and the FEC's
//! `EcritureLet` / `DateLet`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use redb::ReadableTable;

/// Two validated invoices to CACME (120.00 and 60.00) and a validated payment of 180.00:
/// VE2026-000001, VE2026-000002, BQ2026-000001; the customer line is line 1 of each.
fn books() -> Folio {
    let folio = Folio::blank();
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
    folio
}

/// The reference of the `n`th (from 0) entry of a journal: entries are numbered in order.
fn reference(_folio: &Folio, journal: &str, n: usize) -> String {
    format!("{journal}2026-{:06}", n + 1)
}

fn fec(folio: &Folio) -> String {
    folio.ok(&["export", "fec"]);
    std::fs::read_to_string(folio.path(&format!("{SIREN}FEC20261231.txt"))).unwrap()
}

#[test]
fn payment_against_two_invoices_partial_then_complete() {
    let folio = books();
    let f1 = reference(&folio, "VE", 0);
    let f2 = reference(&folio, "VE", 1);
    let pay = reference(&folio, "BQ", 0);
    // Debits are written first: 512 is line 1, the customer line 2.
    let payment_line = 2;
    let out = folio.ok(&[
        "letter",
        "add",
        &format!("{f1}/1"),
        &format!("{pay}/{payment_line}"),
    ]);
    assert!(out.contains("lettered aa on 411000 (CACME)"), "{out}");
    assert!(out.contains("remainder -60.00"), "{out}");
    let list = folio.ok(&w("letter list --format csv"));
    assert!(
        list.contains("411000,aa,CACME,2026-11-25,alice,120.00,180.00,-60.00"),
        "{list}"
    );

    // The second invoice completes the group: uppercase code, dated the working date.
    let mut later = folio;
    later.set_today("2026-11-27");
    let out = later.ok(&[
        "letter",
        "add",
        &format!("{f2}/1"),
        &format!("{pay}/{payment_line}"),
    ]);
    assert!(out.contains("lettered AA on 411000"), "{out}");
    let list = later.ok(&w("letter list --account 411 --format json"));
    assert!(list.contains("\"complete\": true"), "{list}");
    assert!(list.contains("\"date\": \"2026-11-27\""), "{list}");

    // The FEC carries the code and the date on the three lines.
    let fec = fec(&later);
    let lettered: Vec<&str> = fec
        .lines()
        .filter(|l| l.contains("\tAA\t20261127\t"))
        .collect();
    assert_eq!(lettered.len(), 3, "{fec}");

    // The party's and the account's ledgers show each line's code.
    let party = later.ok(&w("report party CACME --year 2026 --format csv"));
    assert_eq!(party.matches(",CACME,AA,").count(), 3, "{party}");
    let ledger = later.ok(&w("report ledger 411 --year 2026 --format csv"));
    assert_eq!(ledger.matches(",CACME,AA,").count(), 3, "{ledger}");

    // The audit log names the lines and the user.
    let log = later.ok(&w("log account:411000"));
    assert!(
        log.contains("letter.add") && log.contains(&format!("{f2}/1")),
        "{log}"
    );

    // A new group takes the next code; a removed code is not given again.
    later.ok(&w(
        "entry add -j VE -d 2026-04-02 -p F3 -l Facture --debit 411@CACME=10 --credit 706=10 --validate",
    ));
    later.ok(&w(
        "entry add -j BQ -d 2026-04-03 -p R2 -l Reglement --credit 411@CACME=10 --debit 512=10 --validate",
    ));
    let f3 = reference(&later, "VE", 2);
    let pay2 = reference(&later, "BQ", 1);
    let pay2_line = 2;
    let out = later.ok(&[
        "letter",
        "add",
        &format!("{f3}/1"),
        &format!("{pay2}/{pay2_line}"),
    ]);
    assert!(out.contains("lettered AB"), "{out}");
    later.ok(&w("letter remove 411000 AB"));
    let out = later.ok(&[
        "letter",
        "add",
        &format!("{f3}/1"),
        &format!("{pay2}/{pay2_line}"),
    ]);
    assert!(out.contains("lettered AC"), "{out}");
    // Removing by one of its lines.
    let out = later.ok(&["letter", "remove", &format!("{f3}/1")]);
    assert!(out.contains("unlettered AC"), "{out}");
    let list = later.ok(&w("letter list --format csv"));
    assert!(!list.contains(",AC,"), "{list}");
    later.ok(&w("check"));
}

#[test]
fn refusals_leave_the_ledger_unchanged() {
    let folio = books();
    let f1 = reference(&folio, "VE", 0);
    let f2 = reference(&folio, "VE", 1);
    // A line of a non-letterable account.
    folio.refuses(
        &["letter", "add", &format!("{f1}/1"), &format!("{f1}/2")],
        &["706000"],
    );
    // Only one line.
    folio.refuses(
        &["letter", "add", &format!("{f1}/1")],
        &["at least two lines"],
    );
    // A line that does not exist, a malformed line.
    folio.refuses(
        &["letter", "add", &format!("{f1}/1"), &format!("{f2}/9")],
        &["has 2 lines"],
    );
    folio.refuses(
        &["letter", "add", &format!("{f1}/0"), &format!("{f2}/1")],
        &["counts from 1"],
    );
    // A draft entry.
    folio.ok(&w(
        "entry add -j VE -d 2026-03-09 -p F9 -l Facture --debit 411@CACME=5 --credit 706=5",
    ));
    let draft_ref = "#4";
    folio.refuses(
        &[
            "letter",
            "add",
            &format!("{f1}/1"),
            &format!("{draft_ref}/1"),
        ],
        &["not validated"],
    );
    // A line lettered already names its group and who lettered it.
    folio.ok(&["letter", "add", &format!("{f1}/1"), &format!("{f2}/1")]);
    let pay = reference(&folio, "BQ", 0);
    // The partial group aa (two debits) takes the payment in and is complete.
    let out = folio.ok(&["letter", "add", &format!("{f1}/1"), &format!("{pay}/2")]);
    assert!(
        out.contains("lettered AA") && out.contains("remainder 0.00"),
        "{out}"
    );
    // A line of another group is refused, naming the group and who lettered it.
    folio.ok(&w(
        "entry add -j BQ -d 2026-03-21 -p R2 -l Reglement --credit 411@CACME=30 --debit 512=30 --validate",
    ));
    folio.ok(&w(
        "entry add -j BQ -d 2026-03-22 -p R3 -l Reglement --credit 411@CACME=30 --debit 512=30 --validate",
    ));
    folio.ok(&w("letter add BQ2026-000002/2 BQ2026-000003/2"));
    folio.refuses(
        &w("letter add BQ2026-000002/2 VE2026-000001/1"),
        &["VE2026-000001/1", "already lettered (AA) by alice"],
    );
    // --account mismatch.
    folio.refuses(
        &[
            "letter",
            "add",
            &format!("{f1}/1"),
            &format!("{f2}/1"),
            "--account",
            "401",
        ],
        &["not 401000"],
    );
    // Unknown group.
    folio.refuses(&w("letter remove 411000 ZZ"), &["no letter group ZZ"]);
}

#[test]
fn check_detects_a_tampered_group() {
    let folio = books();
    folio.ok(&w(
        "letter add VE2026-000001/1 VE2026-000002/1 BQ2026-000001/2",
    ));
    let check = folio.ok(&w("check"));
    assert!(!check.contains("lettering"), "{check}");
    {
        let db = redb::Database::open(&folio.ledger).expect("open");
        let txn = db.begin_write().expect("begin_write");
        {
            let groups: redb::TableDefinition<(&str, u64), &[u8]> =
                redb::TableDefinition::new("letter_groups");
            let marks: redb::TableDefinition<(u64, u32), &[u8]> =
                redb::TableDefinition::new("lettering");
            let mut table = txn.open_table(groups).expect("groups");
            let value = table
                .get(("411000", 0u64))
                .expect("get")
                .expect("group AA")
                .value()
                .to_vec();
            // The same group stored again under a code the counter never gave.
            table
                .insert(("411000", 5u64), value.as_slice())
                .expect("insert");
            // And one line's mark removed.
            txn.open_table(marks)
                .expect("marks")
                .remove((1u64, 0u32))
                .expect("remove");
        }
        txn.commit().expect("commit");
    }
    let out = folio.run(&w("check"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("VE2026-000001/1 has no lettering mark"),
        "{text}"
    );
    assert!(text.contains("is in two groups"), "{text}");
    assert!(
        text.contains("not given by the account's counter"),
        "{text}"
    );
}

#[test]
fn locked_periods_letter_closed_years_refuse() {
    let mut folio = books();
    folio.ok(&["period", "lock", "2026-03"]);
    let out = folio.ok(&w("letter add VE2026-000001/1 BQ2026-000001/2"));
    assert!(out.contains("lettered aa"), "{out}");
    std::fs::create_dir(folio.path("fec")).expect("mkdir");
    folio.ok(&w("export fec --out fec"));
    folio.set_today("2027-01-10");
    folio.ok(&["year", "close"]);
    let closed = "fiscal year 2026 is closed";
    folio.refuses(&w("letter remove 411000 aa"), &[closed]);
    folio.refuses(&w("letter add VE2026-000002/1 BQ2026-000001/2"), &[closed]);
    folio.ok(&w("check"));
}
