//! Table definitions. Keys are redb tuples so that range scans come out ordered without
//! decoding; values are postcard behind a one-byte format version (see `codec`).

use redb::TableDefinition;

pub type Bytes = &'static [u8];

/// `schema`, `company`, `counter` (changes committed), `next_entry`, `next_validation`,
/// `audit_head`, `entry_head` (validation sequence and hash of the last validated entry).
pub const META: TableDefinition<&str, Bytes> = TableDefinition::new("meta");
pub const ACCOUNTS: TableDefinition<&str, Bytes> = TableDefinition::new("accounts");
pub const JOURNALS: TableDefinition<&str, Bytes> = TableDefinition::new("journals");
pub const PARTIES: TableDefinition<&str, Bytes> = TableDefinition::new("parties");
/// Fiscal years by start date (days from CE).
pub const YEARS: TableDefinition<i32, Bytes> = TableDefinition::new("years");
pub const ENTRIES: TableDefinition<u64, Bytes> = TableDefinition::new("entries");
/// (account, date, entry, line) -> debit minus credit in cents.
pub const LINES_BY_ACCOUNT: TableDefinition<(&str, i32, u64, u32), i64> =
    TableDefinition::new("lines_by_account");
/// (third party, date, entry, line) -> debit minus credit in cents.
pub const LINES_BY_PARTY: TableDefinition<(&str, i32, u64, u32), i64> =
    TableDefinition::new("lines_by_party");
/// (date, entry) -> ().
pub const ENTRIES_BY_DATE: TableDefinition<(i32, u64), ()> =
    TableDefinition::new("entries_by_date");
/// (journal, piece, entry) -> entry date.
pub const PIECES: TableDefinition<(&str, &str, u64), i32> = TableDefinition::new("pieces");
/// (journal, fiscal year name, sequence) -> entry.
pub const NUMBERS: TableDefinition<(&str, &str, u64), u64> = TableDefinition::new("numbers");
/// (journal, fiscal year name) -> last sequence given.
pub const NUMBER_COUNTERS: TableDefinition<(&str, &str), u64> =
    TableDefinition::new("number_counters");
/// (fiscal year start, first validation sequence) -> (first entry, count): runs of entries
/// validated one after another (validation sequence n + k is entry first + k), one row per
/// run, so that a bulk import adds one row, not one per entry.
pub const VALIDATION_RUNS: TableDefinition<(i32, u64), (u64, u64)> =
    TableDefinition::new("validation_runs");
/// Schema 1's validation order, one row per entry: read only by the migration.
pub const LEGACY_VALIDATION_ORDER: TableDefinition<(i32, u64), u64> =
    TableDefinition::new("validation_order");
/// Validation sequence -> (entry, chained hash): the hash of each validated entry's canonical
/// content chained to the one validated before it (see `audit::entry_hash`).
pub const ENTRY_HASHES: TableDefinition<u64, (u64, [u8; 32])> =
    TableDefinition::new("entry_hashes");
/// Fiscal year start -> the FEC written when the year was closed (name, SHA-256, size, parts),
/// exported as stored whatever is renamed later.
pub const CLOSED_FECS: TableDefinition<i32, Bytes> = TableDefinition::new("closed_fecs");
/// (fiscal year start, part) -> the bytes of a closed year's FEC, 1 MiB a part.
pub const CLOSED_FEC_CHUNKS: TableDefinition<(i32, u32), Bytes> =
    TableDefinition::new("closed_fec_chunks");
/// Draft entries.
pub const DRAFTS: TableDefinition<u64, ()> = TableDefinition::new("drafts");
/// Reversed entry -> its reversal.
pub const REVERSALS: TableDefinition<u64, u64> = TableDefinition::new("reversals");
/// (entry, line) -> lettering mark. Not part of the entry: it may change after validation.
pub const LETTERING: TableDefinition<(u64, u32), Bytes> = TableDefinition::new("lettering");
/// (account, period key) -> (debit cents, credit cents). Kept in the same transaction as lines.
pub const TOTALS: TableDefinition<(&str, u32), (i64, i64)> = TableDefinition::new("totals");
/// (third party, period key) -> (debit cents, credit cents).
pub const PARTY_TOTALS: TableDefinition<(&str, u32), (i64, i64)> =
    TableDefinition::new("party_totals");
/// Audit log by sequence; append-only, hash-chained.
pub const AUDIT: TableDefinition<u64, Bytes> = TableDefinition::new("audit");
/// (record, audit sequence) -> ().
pub const AUDIT_BY_RECORD: TableDefinition<(&str, u64), ()> =
    TableDefinition::new("audit_by_record");
/// Audit sequence -> (first entry, last entry + 1) for commands that created a run of entries
/// (imports): one row per command instead of one per entry.
pub const AUDIT_ENTRY_RANGES: TableDefinition<u64, (u64, u64)> =
    TableDefinition::new("audit_entry_ranges");

// ----- documents (posting engine) ------------------------------------------------------------

/// Documents (invoices, credit notes, payments, refunds) by id.
pub const DOCUMENTS: TableDefinition<u64, Bytes> = TableDefinition::new("documents");
/// (date, document) -> ().
pub const DOCUMENTS_BY_DATE: TableDefinition<(i32, u64), ()> =
    TableDefinition::new("documents_by_date");
/// Document number (`FA2026-00001`) -> document.
pub const DOCUMENT_NUMBERS: TableDefinition<&str, u64> = TableDefinition::new("document_numbers");
/// (document type, fiscal year name) -> last sequence given.
pub const DOCUMENT_COUNTERS: TableDefinition<(&str, &str), u64> =
    TableDefinition::new("document_counters");
/// (party, reference, document) -> (): finds a document by the party's own reference.
pub const DOCUMENT_REFS: TableDefinition<(&str, &str, u64), ()> =
    TableDefinition::new("document_refs");
/// (allocated document, payment) -> cents allocated.
pub const ALLOCATIONS: TableDefinition<(u64, u64), i64> = TableDefinition::new("allocations");
/// Document -> what the engine computed at posting: total and tax details.
pub const POSTED: TableDefinition<u64, Bytes> = TableDefinition::new("posted");
/// Generated entry -> the rule behind each line's account.
pub const WHY: TableDefinition<u64, Bytes> = TableDefinition::new("why");

/// Parked entries by id: unfinished entries kept outside the books (see `parked`).
pub const PARKED: TableDefinition<u64, Bytes> = TableDefinition::new("parked");

// ----- open items (lettering) ----------------------------------------------------------------

/// (account, third party, date, entry, line) -> (debit cents, credit cents, position of the
/// partial group's code when the line is in one, the entry's piece, the entry's reference
/// `VE2026-000012`): every open item, i.e. each line of a validated entry on a letterable
/// account with a third party that is not in a complete letter group. Kept in the same
/// transaction as validations and lettering (see `open_items`), so one party's first page is a
/// range read, and automatic lettering reads what its rules need from the index alone.
pub const OPEN_ITEMS: TableDefinition<OpenItemKey, OpenItemValue> =
    TableDefinition::new("open_items_v6");
/// (account, third party, date, entry, line).
pub type OpenItemKey = (&'static str, &'static str, i32, u64, u32);
/// (debit cents, credit cents, position of the partial group's code, piece, entry reference).
pub type OpenItemValue = (i64, i64, Option<u64>, &'static str, &'static str);
/// The open items as schemas 4 and 5 kept them (no piece, no reference): removed by the
/// migration to schema 6, which indexes them again.
pub const LEGACY_OPEN_ITEMS: TableDefinition<OpenItemKey, (i64, i64, Option<u64>)> =
    TableDefinition::new("open_items");
/// (account, third party) -> (open lines, debit cents, credit cents) of `OPEN_ITEMS`.
pub const OPEN_PARTIES: TableDefinition<(&str, &str), (u64, i64, i64)> =
    TableDefinition::new("open_parties");
