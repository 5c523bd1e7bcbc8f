//! A ledger written by schema 1 opens: its third parties are migrated, the change is audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use folio::ledger::{Ctx, InitParams, Ledger};
use folio::model::{AccountNumber, Company, Party, PartyKind};
use redb::{Database, TableDefinition};
use serde::Serialize;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const PARTIES: TableDefinition<&str, &[u8]> = TableDefinition::new("parties");
const RUNS: TableDefinition<(i32, u64), (u64, u64)> = TableDefinition::new("validation_runs");
const LEGACY_ORDER: TableDefinition<(i32, u64), u64> = TableDefinition::new("validation_order");

#[derive(Serialize)]
struct PartyV1 {
    code: String,
    name: String,
    kind: PartyKind,
    collective_account: AccountNumber,
    auxiliary_account: String,
    active: bool,
}

fn versioned<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![1u8];
    out.extend(postcard::to_allocvec(value).unwrap());
    out
}

#[test]
fn schema_1_parties_are_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.ledger");
    let now = NaiveDate::from_ymd_opt(2026, 1, 2)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let ctx = Ctx::fixed("alice", now);
    let params = InitParams {
        company: Company {
            name: "Ancienne SARL".into(),
            siren: "732829320".into(),
        },
        first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        first_year_months: 12,
        chart: ["411", "512", "530"]
            .iter()
            .map(|n| (AccountNumber::parse(n).unwrap(), format!("Compte {n}")))
            .collect(),
        settings: None,
    };
    let ledger = Ledger::create(&path, &params, &ctx).unwrap();
    ledger
        .add_party(
            &ctx,
            Party::new(
                "ACME".into(),
                "Acme".into(),
                PartyKind::Customer,
                AccountNumber::parse("411").unwrap(),
            ),
        )
        .unwrap();
    let entry = folio::model::EntryInput {
        journal: "BQ".into(),
        date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        piece: "R1".into(),
        label: "Encaissement".into(),
        lines: vec![
            folio::model::Line::debit(
                AccountNumber::parse("512").unwrap(),
                folio::model::Amount::from_cents(1000),
            ),
            folio::model::Line::credit(
                AccountNumber::parse("411").unwrap(),
                folio::model::Amount::from_cents(1000),
            )
            .with_party(Some("ACME".into())),
        ],
    };
    let draft = ledger.add_entry(&ctx, &entry).unwrap();
    ledger
        .validate(&ctx, &folio::ledger::Selection::Entries(vec![draft.id]))
        .unwrap();
    drop(ledger);
    // Rewrite the file as schema 1 wrote it.
    {
        let db = Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            meta.insert("schema", versioned(&1u32).as_slice()).unwrap();
            let mut parties = txn.open_table(PARTIES).unwrap();
            let old = PartyV1 {
                code: "ACME".into(),
                name: "Acme".into(),
                kind: PartyKind::Customer,
                collective_account: AccountNumber::parse("411").unwrap(),
                auxiliary_account: "C-ACME".into(),
                active: true,
            };
            parties.insert("ACME", versioned(&old).as_slice()).unwrap();
            // Schema 1 kept the validation order one row per entry.
            let runs: Vec<((i32, u64), (u64, u64))> = {
                let table = txn.open_table(RUNS).unwrap();
                redb::ReadableTable::range::<(i32, u64)>(&table, ..)
                    .unwrap()
                    .map(|item| {
                        let (k, v) = item.unwrap();
                        (k.value(), v.value())
                    })
                    .collect()
            };
            assert_eq!(runs.len(), 1);
            txn.delete_table(RUNS).unwrap();
            let mut legacy = txn.open_table(LEGACY_ORDER).unwrap();
            for ((year, seq), (first, count)) in runs {
                for k in 0..count {
                    legacy.insert((year, seq + k), first + k).unwrap();
                }
            }
        }
        txn.commit().unwrap();
    }
    let ledger = Ledger::open(&path).unwrap();
    let party = ledger.party("ACME").unwrap();
    assert_eq!(party.auxiliary_account, "C-ACME");
    assert_eq!(party.payment_terms_days, 30);
    assert!(party.tax_position.is_none());
    let history = ledger.recent_history(1).unwrap();
    assert_eq!(history[0].action, "ledger.migrate");
    assert!(ledger.check().unwrap().findings.is_empty());
    // The migrated validation order still gives the FEC its entry.
    let year = ledger.fec_year(None).unwrap();
    let mut fec = Vec::new();
    let export = ledger
        .export_fec(&year, &mut fec, Default::default())
        .unwrap();
    assert_eq!((export.entries, export.lines), (1, 2));
    drop(ledger);
    // Opening again migrates nothing more.
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(
        ledger.recent_history(1).unwrap()[0].action,
        "ledger.migrate"
    );
    assert_eq!(ledger.history("company").unwrap().len(), 2);
}
