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

const ENTRY_HASHES: TableDefinition<u64, (u64, [u8; 32])> = TableDefinition::new("entry_hashes");
const CLOSED_FECS: TableDefinition<i32, &[u8]> = TableDefinition::new("closed_fecs");
const CLOSED_FEC_CHUNKS: TableDefinition<(i32, u32), &[u8]> =
    TableDefinition::new("closed_fec_chunks");
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// An audit record as schema 2 stored it (no entry chain head).
#[derive(Serialize)]
struct AuditRecordV2 {
    seq: u64,
    prev_hash: [u8; 32],
    hash: [u8; 32],
    user: String,
    at: chrono::NaiveDateTime,
    action: String,
    records: Vec<String>,
    detail: String,
}

/// A value of schema 2: the format byte 1 and the postcard payload, no checksum.
fn unsealed(value: &[u8]) -> Vec<u8> {
    assert_eq!(value[0], 2, "current envelope");
    let mut out = vec![1u8];
    out.extend_from_slice(&value[5..]);
    out
}

/// Rewrites a current ledger file as schema 2 wrote it: values without checksums, audit
/// records without the entry chain head, no entry chain, no stored FECs.
fn downgrade_to_schema_2(path: &std::path::Path) {
    fn strip<K: redb::Key + 'static>(
        txn: &redb::WriteTransaction,
        def: TableDefinition<K, &'static [u8]>,
        owned: impl Fn(K::SelfType<'_>) -> Vec<u8>,
        insert: impl Fn(&mut redb::Table<'_, K, &'static [u8]>, &[u8], &[u8]),
    ) {
        let mut table = txn.open_table(def).unwrap();
        let rows: Vec<(Vec<u8>, Vec<u8>)> = redb::ReadableTable::iter(&table)
            .unwrap()
            .map(|item| {
                let (k, v) = item.unwrap();
                (owned(k.value()), unsealed(v.value()))
            })
            .collect();
        for (key, value) in rows {
            insert(&mut table, &key, &value);
        }
    }
    let db = Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    for name in ["meta", "accounts", "journals", "parties"] {
        let def: TableDefinition<&str, &[u8]> = TableDefinition::new(name);
        strip(
            &txn,
            def,
            |k| k.as_bytes().to_vec(),
            |t, k, v| {
                t.insert(std::str::from_utf8(k).unwrap(), v).unwrap();
            },
        );
    }
    strip(
        &txn,
        TableDefinition::<i32, &[u8]>::new("years"),
        |k| k.to_le_bytes().to_vec(),
        |t, k, v| {
            t.insert(i32::from_le_bytes(k.try_into().unwrap()), v)
                .unwrap();
        },
    );
    for name in ["entries", "documents", "posted", "why"] {
        strip(
            &txn,
            TableDefinition::<u64, &[u8]>::new(name),
            |k| k.to_le_bytes().to_vec(),
            |t, k, v| {
                t.insert(u64::from_le_bytes(k.try_into().unwrap()), v)
                    .unwrap();
            },
        );
    }
    strip(
        &txn,
        TableDefinition::<(u64, u32), &[u8]>::new("lettering"),
        |(a, b)| [a.to_le_bytes().to_vec(), b.to_le_bytes().to_vec()].concat(),
        |t, k, v| {
            let a = u64::from_le_bytes(k[..8].try_into().unwrap());
            let b = u32::from_le_bytes(k[8..].try_into().unwrap());
            t.insert((a, b), v).unwrap();
        },
    );
    {
        let mut audit = txn.open_table(AUDIT).unwrap();
        // Schema 2 hashed its records without an entry head: hash them again that way.
        let mut prev_hash = [0u8; 32];
        let mut last = (0u64, [0u8; 32]);
        let rows: Vec<(u64, Vec<u8>)> = redb::ReadableTable::iter(&audit)
            .unwrap()
            .map(|item| {
                let (k, v) = item.unwrap();
                let mut record: folio::ledger::AuditRecord =
                    postcard::from_bytes(&v.value()[5..]).unwrap();
                record.entry_head = None;
                record.prev_hash = prev_hash;
                record.hash = record.compute_hash();
                prev_hash = record.hash;
                last = (record.seq, record.hash);
                let old = AuditRecordV2 {
                    seq: record.seq,
                    prev_hash: record.prev_hash,
                    hash: record.hash,
                    user: record.user,
                    at: record.at,
                    action: record.action,
                    records: record.records,
                    detail: record.detail,
                };
                (k.value(), versioned(&old))
            })
            .collect();
        for (k, v) in rows {
            audit.insert(k, v.as_slice()).unwrap();
        }
        let mut meta = txn.open_table(META).unwrap();
        meta.remove("entry_head").unwrap();
        meta.insert("audit_head", versioned(&last).as_slice())
            .unwrap();
        meta.insert("schema", versioned(&2u32).as_slice()).unwrap();
    }
    txn.delete_table(ENTRY_HASHES).unwrap();
    let _ = txn.delete_table(CLOSED_FECS);
    let _ = txn.delete_table(CLOSED_FEC_CHUNKS);
    txn.commit().unwrap();
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
    downgrade_to_schema_2(&path);
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
    let report = ledger.check().unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    // Schema 3: the entry validated before is in the entry chain, every value sealed.
    assert_eq!(report.chained_entries, 1);
    assert!(report.entry_chain_head.starts_with("1:"), "{report:?}");
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

#[test]
fn schema_2_entries_are_chained_and_closed_years_keep_their_fec() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema2.ledger");
    let now = NaiveDate::from_ymd_opt(2027, 1, 10)
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
        chart: ["101", "120", "129", "512", "530", "606", "706"]
            .iter()
            .map(|n| (AccountNumber::parse(n).unwrap(), format!("Compte {n}")))
            .collect(),
        settings: None,
    };
    let ledger = Ledger::create(&path, &params, &ctx).unwrap();
    let acc = |n: &str| AccountNumber::parse(n).unwrap();
    let cents = folio::model::Amount::from_cents;
    let mut ids = Vec::new();
    for day in 1..=6u32 {
        let input = folio::model::EntryInput {
            journal: if day % 2 == 0 { "VE" } else { "AC" }.into(),
            date: NaiveDate::from_ymd_opt(2026, 3, 7 - day).unwrap(),
            piece: format!("P{day}"),
            label: format!("Opération {day}"),
            lines: vec![
                folio::model::Line::debit(acc("512"), cents(1000 * i64::from(day))),
                folio::model::Line::credit(acc("706"), cents(1000 * i64::from(day))),
            ],
        };
        ids.push(ledger.add_entry(&ctx, &input).unwrap().id);
    }
    // Validated in date order, which is not the order of their ids.
    ledger
        .validate(&ctx, &folio::ledger::Selection::Entries(ids))
        .unwrap();
    ledger.close_year(&ctx, Some("2026")).unwrap();
    let year = ledger.fec_year(Some("2026")).unwrap();
    let mut closed_fec = Vec::new();
    ledger
        .export_fec(&year, &mut closed_fec, Default::default())
        .unwrap();
    let before = ledger.check().unwrap();
    assert!(before.findings.is_empty(), "{:?}", before.findings);
    drop(ledger);

    downgrade_to_schema_2(&path);
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(
        ledger.recent_history(1).unwrap()[0].action,
        "ledger.migrate"
    );
    let report = ledger.check().unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    // Six entries and the opening entry of 2027, chained in validation order as they were.
    assert_eq!(report.chained_entries, 7);
    assert_eq!(report.entry_chain_head, before.entry_chain_head);
    let mut migrated_fec = Vec::new();
    ledger
        .export_fec(&year, &mut migrated_fec, Default::default())
        .unwrap();
    assert_eq!(migrated_fec, closed_fec);
}
