//! Typed access to the tables inside one transaction: `Tx` for writes, `View` for reads.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use redb::{
    ReadOnlyTable, ReadTransaction, ReadableTable, Table, TableDefinition, WriteTransaction,
};

use super::audit::{AuditRecord, EntryHead, entry_hash};
use super::codec::{decode, encode, encode_into};
use super::error::{LedgerError, Result};
use super::open_items::OpenTables;
use super::tables::*;
use super::{Ctx, SCHEMA_VERSION};
use crate::model::calendar::Period;
use crate::model::{
    Account, AccountNumber, Company, Entry, EntryId, EntryInput, EntryNumber, EntryStatus,
    FiscalYear, Journal, Party,
};

pub fn day(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

pub fn from_day(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days).unwrap_or(NaiveDate::MIN)
}

/// Lines gathered by a bulk import before they are written sorted: enough for long sorted
/// runs, few enough that memory stays flat whatever the file's size.
const BULK_LINES: usize = 250_000;

/// Inserts rows given in ascending key order through a cursor: the keys that fall into one gap
/// of the table (between two existing keys) are buffered by redb and written as packed leaves,
/// instead of one descent of the tree each. A key already in the table is overwritten, as
/// `Table::insert` does.
pub(crate) fn insert_sorted<'k, 'v, K, V, KB, VB>(
    table: &mut Table<'_, K, V>,
    rows: impl IntoIterator<Item = (KB, VB)>,
) -> Result<()>
where
    K: redb::Key + 'static,
    V: redb::Value + 'static,
    KB: std::borrow::Borrow<K::SelfType<'k>>,
    VB: std::borrow::Borrow<V::SelfType<'v>>,
{
    let mut rows = rows.into_iter().peekable();
    while let Some((key, value)) = rows.next() {
        let mut cursor = table.lower_bound_mut(std::ops::Bound::Included(key.borrow()))?;
        match cursor.insert_before(key.borrow(), value.borrow()) {
            Ok(()) => {}
            Err(redb::CursorError::UnorderedKey) => {
                // The key is in the table already.
                cursor.close()?;
                table.insert(key.borrow(), value.borrow())?;
                continue;
            }
            Err(err) => return Err(err.into()),
        }
        // The following keys go into the same gap until one passes the next existing key.
        while let Some((key, value)) = rows.peek() {
            match cursor.insert_before(key.borrow(), value.borrow()) {
                Ok(()) => {
                    rows.next();
                }
                Err(redb::CursorError::UnorderedKey) => break,
                Err(err) => return Err(err.into()),
            }
        }
        cursor.close()?;
    }
    Ok(())
}

#[derive(Default)]
pub(crate) struct BulkIndexes {
    by_date: Vec<(i32, u64)>,
    by_account: Vec<(u32, i32, u64, u32, i64)>,
    by_party: Vec<(u32, i32, u64, u32, i64)>,
    accounts: Names,
    parties: Names,
    /// New entries, encoded, in ascending id order: (id, start, end) in `entry_bytes`.
    entries: Vec<(u64, usize, usize)>,
    entry_bytes: Vec<u8>,
    /// Entry chain rows: (validation sequence, entry id, hash), ascending.
    hashes: Vec<(u64, u64, [u8; 32])>,
    /// Numbers given: (journal, fiscal year, sequence, entry id).
    numbers: Vec<(u32, u32, u64, u64)>,
    journals: Names,
    years: Names,
    /// Pieces of the new entries: (journal, start and length in `piece_text`, entry id, day).
    pieces: Vec<(u32, u32, u32, u64, i32)>,
    piece_text: Vec<u8>,
    /// The last gathered piece row of each (journal, piece) hash; `piece_next` links each row
    /// to the previous one of its hash (`u32::MAX`: none).
    piece_heads: HashMap<u64, u32>,
    piece_next: Vec<u32>,
}

/// The hash under which a gathered piece is found.
fn piece_hash(journal: &str, piece: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one((journal, piece))
}

/// Bits of the filter of the pieces a bulk import checks new pieces against (8 MiB).
const PIECE_FILTER_WORDS: usize = 1 << 20;

/// Which (journal, piece) a ledger may hold, with no false negative: a Bloom filter of the
/// pieces written before the import and by it, so that the usual new piece is known to be new
/// without a look into the pieces table.
pub(crate) struct PieceFilter {
    words: Vec<u64>,
}

impl PieceFilter {
    fn new() -> Self {
        PieceFilter {
            words: vec![0; PIECE_FILTER_WORDS],
        }
    }

    /// The word of a piece and its three bits in it (FNV-1a of the journal and the piece,
    /// mixed): one word per piece, so one cache miss per look-up.
    fn slot(journal: &str, piece: &str) -> (usize, u64) {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in journal.bytes().chain([0x1f]).chain(piece.bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash ^= hash.wrapping_shr(29);
        hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        hash ^= hash.wrapping_shr(32);
        let word = hash & (PIECE_FILTER_WORDS as u64).wrapping_sub(1);
        let bit = |shift: u32| 1u64.wrapping_shl((hash.wrapping_shr(shift) & 63) as u32);
        (word as usize, bit(40) | bit(46) | bit(52))
    }

    fn add(&mut self, journal: &str, piece: &str) {
        let (word, mask) = Self::slot(journal, piece);
        if let Some(word) = self.words.get_mut(word) {
            *word |= mask;
        }
    }

    fn may_hold(&self, journal: &str, piece: &str) -> bool {
        let (word, mask) = Self::slot(journal, piece);
        self.words.get(word).is_none_or(|w| w & mask == mask)
    }
}

/// Sorts `rows` by bucket (`bucket` gives a number below `buckets`: an account's or a
/// journal's rank), then by `cmp` within a bucket. Linear when each bucket's rows come in
/// order already, as an import's usually do (the lines of an account follow the file's
/// dates, the numbers of a journal follow on).
fn bucket_sort<T: Copy>(
    rows: &mut Vec<T>,
    buckets: usize,
    bucket: impl Fn(&T) -> usize,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
) {
    let mut starts = vec![0usize; buckets.saturating_add(1)];
    for row in rows.iter() {
        if let Some(n) = starts.get_mut(bucket(row).saturating_add(1)) {
            *n = n.saturating_add(1);
        }
    }
    for i in 1..starts.len() {
        starts[i] = starts[i].saturating_add(starts[i.saturating_sub(1)]);
    }
    let bounds = starts.clone();
    let mut sorted = rows.clone();
    for row in rows.iter() {
        if let Some(at) = starts.get_mut(bucket(row)) {
            if let Some(slot) = sorted.get_mut(*at) {
                *slot = *row;
            }
            *at = at.saturating_add(1);
        }
    }
    for pair in bounds.windows(2) {
        if let Some(slice) = sorted.get_mut(pair[0]..pair[1])
            && !slice.is_sorted_by(|a, b| cmp(a, b).is_le())
        {
            slice.sort_unstable_by(&cmp);
        }
    }
    *rows = sorted;
}

/// Account or party codes numbered as they come, so that gathered lines hold a number, not a
/// copy of the code.
#[derive(Default)]
struct Names {
    index: HashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.index.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), id);
        id
    }

    /// Each id's rank in the names' sort order, so that rows sort as their keys will.
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.names.len() as u32).collect();
        order.sort_by(|a, b| self.names[*a as usize].cmp(&self.names[*b as usize]));
        let mut ranks = vec![0; order.len()];
        for (rank, id) in order.into_iter().enumerate() {
            ranks[id as usize] = rank as u32;
        }
        ranks
    }
}

impl BulkIndexes {
    fn push(&mut self, entry: &Entry) {
        let date = day(entry.date);
        self.by_date.push((date, entry.id));
        for (i, line) in entry.lines.iter().enumerate() {
            let signed = line.signed().cents();
            let account = self.accounts.id(line.account.as_str());
            self.by_account
                .push((account, date, entry.id, i as u32, signed));
            if let Some(party) = &line.third_party {
                let party = self.parties.id(party);
                self.by_party
                    .push((party, date, entry.id, i as u32, signed));
            }
        }
    }

    fn len(&self) -> usize {
        self.by_account.len()
    }

    /// Gathers the piece of a new entry.
    fn push_piece(&mut self, entry: &Entry) -> Result<()> {
        let journal = self.journals.id(&entry.journal);
        let (Ok(start), Ok(len), Ok(row)) = (
            u32::try_from(self.piece_text.len()),
            u32::try_from(entry.piece.len()),
            u32::try_from(self.pieces.len()),
        ) else {
            return Err(LedgerError::Corrupt("pieces overflow their buffer".into()));
        };
        self.piece_text.extend_from_slice(entry.piece.as_bytes());
        self.pieces
            .push((journal, start, len, entry.id, day(entry.date)));
        let head = self
            .piece_heads
            .insert(piece_hash(&entry.journal, &entry.piece), row);
        self.piece_next.push(head.unwrap_or(u32::MAX));
        Ok(())
    }

    fn piece_of(&self, row: &(u32, u32, u32, u64, i32)) -> &str {
        let (_, start, len, _, _) = *row;
        let bytes = self
            .piece_text
            .get(start as usize..(start as usize).saturating_add(len as usize))
            .unwrap_or_default();
        // Pushed from a `&str`, cut at its own bounds.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The gathered (entry id, day) of a journal's piece.
    fn gathered_pieces(&self, journal: &str, piece: &str) -> Vec<(u64, i32)> {
        let mut found = Vec::new();
        let mut at = self
            .piece_heads
            .get(&piece_hash(journal, piece))
            .copied()
            .unwrap_or(u32::MAX);
        while let Some(row) = self.pieces.get(at as usize) {
            let name = self.journals.names.get(row.0 as usize);
            if name.is_some_and(|n| n == journal) && self.piece_of(row) == piece {
                found.push((row.3, row.4));
            }
            at = self
                .piece_next
                .get(at as usize)
                .copied()
                .unwrap_or(u32::MAX);
        }
        found
    }

    /// The bytes of a gathered entry.
    fn entry_bytes(&self, id: EntryId) -> Option<&[u8]> {
        let at = self.entries.binary_search_by_key(&id, |e| e.0).ok()?;
        let (_, start, end) = self.entries[at];
        self.entry_bytes.get(start..end)
    }
}

pub(crate) type Delta = HashMap<String, HashMap<u32, (i64, i64)>>;

/// A write transaction's open tables, caches and pending running totals.
pub struct Tx<'t> {
    pub(crate) txn: &'t WriteTransaction,
    pub(crate) meta: Table<'t, &'static str, Bytes>,
    pub(crate) accounts: Table<'t, &'static str, Bytes>,
    pub(crate) journals: Table<'t, &'static str, Bytes>,
    pub(crate) parties: Table<'t, &'static str, Bytes>,
    pub(crate) years_table: Table<'t, i32, Bytes>,
    pub(crate) entries: Table<'t, u64, Bytes>,
    pub(crate) lines_by_account: Table<'t, (&'static str, i32, u64, u32), i64>,
    pub(crate) lines_by_party: Table<'t, (&'static str, i32, u64, u32), i64>,
    pub(crate) entries_by_date: Table<'t, (i32, u64), ()>,
    pub(crate) pieces: Table<'t, (&'static str, &'static str, u64), i32>,
    pub(crate) numbers: Table<'t, (&'static str, &'static str, u64), u64>,
    pub(crate) number_counters: Table<'t, (&'static str, &'static str), u64>,
    pub(crate) validation_runs: Table<'t, (i32, u64), (u64, u64)>,
    pub(crate) drafts: Table<'t, u64, ()>,
    pub(crate) reversals: Table<'t, u64, u64>,
    pub(crate) lettering: Table<'t, (u64, u32), Bytes>,
    pub(crate) totals: Table<'t, (&'static str, u32), (i64, i64)>,
    pub(crate) party_totals: Table<'t, (&'static str, u32), (i64, i64)>,
    pub(crate) audit_log: Table<'t, u64, Bytes>,
    pub(crate) audit_by_record: Table<'t, (&'static str, u64), ()>,
    pub(crate) audit_entry_ranges: Table<'t, u64, (u64, u64)>,
    pub(crate) entry_hashes: Table<'t, u64, (u64, [u8; 32])>,
    /// The open items of letterable accounts, kept with every validation and lettering.
    pub(crate) open: OpenTables<'t>,
    /// The VAT tags of lines and their totals (see `vat_index`).
    pub(crate) vat: super::vat_index::VatTables<'t>,
    account_cache: HashMap<String, Option<Account>>,
    journal_cache: HashMap<String, Option<Journal>>,
    party_cache: HashMap<String, Option<Party>>,
    years: Vec<FiscalYear>,
    totals_delta: Delta,
    party_delta: Delta,
    next_entry: u64,
    next_validation: u64,
    audited: bool,
    last_audit_seq: u64,
    /// The run of validations being extended: (year start, first sequence, first entry, count).
    pending_run: Option<(i32, u64, u64, u64)>,
    buffer: Vec<u8>,
    /// Canonical bytes of the entry being hashed, reused.
    canonical: Vec<u8>,
    /// The entry chain's head: last validated entry hashed.
    entry_head: EntryHead,
    /// The head the last audit record of this transaction carries.
    audited_head: Option<EntryHead>,
    bulk: Option<BulkIndexes>,
    /// The pieces the ledger may hold, built at the first check of an import's piece.
    piece_filter: Option<PieceFilter>,
    /// Last sequence given, by journal then fiscal year (looked up without allocating).
    counters: HashMap<String, HashMap<String, u64>>,
    /// Draft entries removed by this command: their bank reconciliations are checked again
    /// at `finish`.
    removed_entries: Vec<EntryId>,
    /// The time of the last audit record this transaction wrote, so the next one need not
    /// read it back.
    last_audit_at: Option<chrono::NaiveDateTime>,
    /// Set while a command writes many audit records (automatic lettering): their index keys
    /// are gathered and written sorted.
    audit_keys: Option<AuditKeys>,
}

/// Audit index keys gathered before they are written sorted: a fixed number at most, so the
/// memory stays bounded whatever the command covers.
#[derive(Default)]
pub(crate) struct AuditKeys {
    /// The keys' text, one after the other.
    text: Vec<u8>,
    /// (start in `text`, length, audit sequence).
    keys: Vec<(u32, u32, u64)>,
}

/// Audit index keys gathered before a sorted write: enough that a run over a year of a
/// million entries is written in one sorted pass (keys of two batches interleave, each falling into a gap of its
/// own, which costs a leaf rewrite per key).
const AUDIT_KEYS: usize = 1 << 20;
/// Bytes of key text gathered before a sorted write.
const AUDIT_KEY_TEXT: usize = 1 << 24;

impl AuditKeys {
    fn push(&mut self, key: &str, seq: u64) -> Result<()> {
        let (Ok(start), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(key.len()))
        else {
            return Err(LedgerError::Corrupt(
                "audit keys overflow their buffer".into(),
            ));
        };
        self.text.extend_from_slice(key.as_bytes());
        self.keys.push((start, len, seq));
        Ok(())
    }

    fn is_full(&self) -> bool {
        self.keys.len() >= AUDIT_KEYS || self.text.len() >= AUDIT_KEY_TEXT
    }
}

/// The bytes of a gathered audit key.
fn key_bytes(text: &[u8], (start, len, _): (u32, u32, u64)) -> &[u8] {
    text.get(start as usize..(start as usize).saturating_add(len as usize))
        .unwrap_or_default()
}

/// The text of a gathered audit key.
fn key_text(text: &[u8], key: (u32, u32, u64)) -> &str {
    // Pushed from a `&str`, cut at its own bounds.
    std::str::from_utf8(key_bytes(text, key)).unwrap_or_default()
}

fn meta_get<T: serde::de::DeserializeOwned>(
    table: &impl ReadableTable<&'static str, Bytes>,
    key: &str,
) -> Result<Option<T>> {
    match table.get(key)? {
        Some(bytes) => Ok(Some(decode(bytes.value(), key)?)),
        None => Ok(None),
    }
}

fn load_years(table: &impl ReadableTable<i32, Bytes>) -> Result<Vec<FiscalYear>> {
    let mut years = Vec::new();
    for item in table.range::<i32>(..)? {
        let (_, value) = item?;
        years.push(decode(value.value(), "fiscal year")?);
    }
    Ok(years)
}

impl<'t> Tx<'t> {
    pub fn open(txn: &'t WriteTransaction) -> Result<Self> {
        fn t<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
            txn: &'t WriteTransaction,
            def: TableDefinition<K, V>,
        ) -> Result<Table<'t, K, V>> {
            Ok(txn.open_table(def)?)
        }
        let meta = t(txn, META)?;
        let years_table = t(txn, YEARS)?;
        let years = load_years(&years_table)?;
        let next_entry = meta_get(&meta, "next_entry")?.unwrap_or(1);
        let next_validation = meta_get(&meta, "next_validation")?.unwrap_or(1);
        let entry_head = meta_get(&meta, "entry_head")?.unwrap_or((0, [0; 32]));
        Ok(Tx {
            txn,
            accounts: t(txn, ACCOUNTS)?,
            journals: t(txn, JOURNALS)?,
            parties: t(txn, PARTIES)?,
            entries: t(txn, ENTRIES)?,
            lines_by_account: t(txn, LINES_BY_ACCOUNT)?,
            lines_by_party: t(txn, LINES_BY_PARTY)?,
            entries_by_date: t(txn, ENTRIES_BY_DATE)?,
            pieces: t(txn, PIECES)?,
            numbers: t(txn, NUMBERS)?,
            number_counters: t(txn, NUMBER_COUNTERS)?,
            validation_runs: t(txn, VALIDATION_RUNS)?,
            drafts: t(txn, DRAFTS)?,
            reversals: t(txn, REVERSALS)?,
            lettering: t(txn, LETTERING)?,
            totals: t(txn, TOTALS)?,
            party_totals: t(txn, PARTY_TOTALS)?,
            audit_log: t(txn, AUDIT)?,
            audit_by_record: t(txn, AUDIT_BY_RECORD)?,
            audit_entry_ranges: t(txn, AUDIT_ENTRY_RANGES)?,
            entry_hashes: t(txn, ENTRY_HASHES)?,
            open: OpenTables::open(txn)?,
            vat: super::vat_index::VatTables::open(txn)?,
            meta,
            years_table,
            account_cache: HashMap::new(),
            journal_cache: HashMap::new(),
            party_cache: HashMap::new(),
            years,
            totals_delta: HashMap::new(),
            party_delta: HashMap::new(),
            next_entry,
            next_validation,
            audited: false,
            last_audit_seq: 0,
            pending_run: None,
            buffer: Vec::with_capacity(1024),
            canonical: Vec::with_capacity(1024),
            entry_head,
            audited_head: None,
            bulk: None,
            piece_filter: None,
            counters: HashMap::new(),
            removed_entries: Vec::new(),
            last_audit_at: None,
            audit_keys: None,
        })
    }

    /// Writes the pending totals and counters; every command ends here before its commit.
    pub fn finish(&mut self, ctx: &Ctx) -> Result<()> {
        if !self.removed_entries.is_empty() && self.audited {
            let removed = std::mem::take(&mut self.removed_entries);
            super::bank::settle_removed_entries(self, ctx, &removed)?;
        }
        if !self.audited {
            return Err(LedgerError::Corrupt(
                "a command tried to commit without an audit record".into(),
            ));
        }
        if self.audited_head != Some(self.entry_head) {
            return Err(LedgerError::Corrupt(
                "a command validated entries after its audit record".into(),
            ));
        }
        for (journal, years) in std::mem::take(&mut self.counters) {
            for (year, last) in years {
                self.number_counters
                    .insert((journal.as_str(), year.as_str()), last)?;
            }
        }
        self.flush_bulk()?;
        self.flush_audit_keys()?;
        self.flush_run()?;
        flush_delta(&mut self.totals, std::mem::take(&mut self.totals_delta))?;
        flush_delta(
            &mut self.party_totals,
            std::mem::take(&mut self.party_delta),
        )?;
        self.open.flush()?;
        self.vat.flush()?;
        let counter: u64 = meta_get(&self.meta, "counter")?.unwrap_or(0);
        self.put_meta("counter", &next_counter(counter, "change counter")?)?;
        let (next_entry, next_validation) = (self.next_entry, self.next_validation);
        self.put_meta("next_entry", &next_entry)?;
        self.put_meta("next_validation", &next_validation)?;
        let entry_head = self.entry_head;
        self.put_meta("entry_head", &entry_head)?;
        Ok(())
    }

    pub fn get_meta<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        meta_get(&self.meta, key)
    }

    pub fn put_meta<T: serde::Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        self.meta.insert(key, encode(value)?.as_slice())?;
        Ok(())
    }

    pub fn init_meta(&mut self, company: &Company) -> Result<()> {
        self.put_meta("schema", &SCHEMA_VERSION)?;
        self.put_meta("company", company)
    }

    // ----- accounts, journals, parties, years -------------------------------------------------

    fn load_account(&mut self, number: &str) -> Result<()> {
        if !self.account_cache.contains_key(number) {
            let found: Option<Account> = match self.accounts.get(number)? {
                Some(bytes) => Some(decode(bytes.value(), "account")?),
                None => None,
            };
            self.account_cache.insert(number.to_string(), found);
        }
        Ok(())
    }

    pub fn account_ref(&mut self, number: &AccountNumber) -> Result<&Account> {
        self.load_account(number.as_str())?;
        self.account_cache
            .get(number.as_str())
            .and_then(Option::as_ref)
            .ok_or_else(|| LedgerError::UnknownAccount(number.to_string()))
    }

    pub fn account_opt(&mut self, number: &AccountNumber) -> Result<Option<Account>> {
        self.load_account(number.as_str())?;
        Ok(self.account_cache.get(number.as_str()).cloned().flatten())
    }

    pub fn account(&mut self, number: &AccountNumber) -> Result<Account> {
        self.account_ref(number).cloned()
    }

    pub fn put_account(&mut self, account: &Account) -> Result<()> {
        let was_letterable = self.account_opt(&account.number)?.map(|a| a.letterable);
        self.accounts
            .insert(account.number.as_str(), encode(account)?.as_slice())?;
        self.account_cache
            .insert(account.number.as_str().to_string(), Some(account.clone()));
        // Its lines become open items, or stop being ones.
        if was_letterable.is_some_and(|was| was != account.letterable) {
            self.reindex_open_account(&account.number)?;
        }
        Ok(())
    }

    fn load_journal(&mut self, code: &str) -> Result<()> {
        if !self.journal_cache.contains_key(code) {
            let found: Option<Journal> = match self.journals.get(code)? {
                Some(bytes) => Some(decode(bytes.value(), "journal")?),
                None => None,
            };
            self.journal_cache.insert(code.to_string(), found);
        }
        Ok(())
    }

    pub fn journal_ref(&mut self, code: &str) -> Result<&Journal> {
        self.load_journal(code)?;
        self.journal_cache
            .get(code)
            .and_then(Option::as_ref)
            .ok_or_else(|| LedgerError::UnknownJournal(code.to_string()))
    }

    pub fn journal_opt(&mut self, code: &str) -> Result<Option<Journal>> {
        self.load_journal(code)?;
        Ok(self.journal_cache.get(code).cloned().flatten())
    }

    pub fn journal(&mut self, code: &str) -> Result<Journal> {
        self.journal_ref(code).cloned()
    }

    pub fn put_journal(&mut self, journal: &Journal) -> Result<()> {
        self.journals
            .insert(journal.code.as_str(), encode(journal)?.as_slice())?;
        self.journal_cache
            .insert(journal.code.clone(), Some(journal.clone()));
        Ok(())
    }

    pub fn all_journals(&self) -> Result<Vec<Journal>> {
        let mut out = Vec::new();
        for item in self.journals.range::<&str>(..)? {
            let (_, value) = item?;
            out.push(decode(value.value(), "journal")?);
        }
        Ok(out)
    }

    fn load_party(&mut self, code: &str) -> Result<()> {
        if !self.party_cache.contains_key(code) {
            let found: Option<Party> = match self.parties.get(code)? {
                Some(bytes) => Some(decode(bytes.value(), "third party")?),
                None => None,
            };
            self.party_cache.insert(code.to_string(), found);
        }
        Ok(())
    }

    pub fn party_ref(&mut self, code: &str) -> Result<&Party> {
        self.load_party(code)?;
        self.party_cache
            .get(code)
            .and_then(Option::as_ref)
            .ok_or_else(|| LedgerError::UnknownParty(code.to_string()))
    }

    pub fn party_opt(&mut self, code: &str) -> Result<Option<Party>> {
        self.load_party(code)?;
        Ok(self.party_cache.get(code).cloned().flatten())
    }

    pub fn party(&mut self, code: &str) -> Result<Party> {
        self.party_ref(code).cloned()
    }

    pub fn put_party(&mut self, party: &Party) -> Result<()> {
        self.parties
            .insert(party.code.as_str(), encode(party)?.as_slice())?;
        self.party_cache
            .insert(party.code.clone(), Some(party.clone()));
        Ok(())
    }

    pub fn years(&self) -> &[FiscalYear] {
        &self.years
    }

    pub fn put_year(&mut self, year: &FiscalYear) -> Result<()> {
        self.years_table
            .insert(day(year.start), encode(year)?.as_slice())?;
        match self.years.iter_mut().find(|y| y.start == year.start) {
            Some(existing) => *existing = year.clone(),
            None => {
                self.years.push(year.clone());
                self.years.sort_by_key(|y| y.start);
            }
        }
        Ok(())
    }

    pub fn year_of(&self, date: NaiveDate) -> Option<&FiscalYear> {
        self.years.iter().find(|y| y.contains(date))
    }

    /// The fiscal year that accepts an entry on `date`, or why none does.
    pub fn accepting_year(&self, date: NaiveDate) -> Result<FiscalYear> {
        self.accepting_year_ref(date).cloned()
    }

    pub fn accepting_year_ref(&self, date: NaiveDate) -> Result<&FiscalYear> {
        let year = self.year_of(date).ok_or(LedgerError::NoOpenYear { date })?;
        if !year.is_open() {
            return Err(LedgerError::YearClosed(year.name()));
        }
        let period = Period::of(date);
        if year.is_locked(period) {
            return Err(LedgerError::PeriodLocked(period.to_string()));
        }
        Ok(year)
    }

    // ----- entries ------------------------------------------------------------------------------

    /// Checks an entry against the ledger: journal, date, accounts, third parties, shape.
    pub fn check_input(&mut self, input: &EntryInput) -> Result<()> {
        self.check_input_at(input).map_err(|(_, err)| err)
    }

    /// Like `check_input`, also telling which line (0-based) an error is about.
    pub fn check_input_at(
        &mut self,
        input: &EntryInput,
    ) -> std::result::Result<(), (Option<usize>, LedgerError)> {
        let whole = |err: LedgerError| (None, err);
        if input.piece.trim().is_empty() {
            return Err(whole(LedgerError::Invalid {
                field: "piece",
                reason: "the piece reference is empty".into(),
            }));
        }
        if input.label.trim().is_empty() {
            return Err(whole(LedgerError::Invalid {
                field: "label",
                reason: "the entry label is empty".into(),
            }));
        }
        let journal = self.journal_ref(&input.journal).map_err(whole)?;
        if !journal.active {
            return Err(whole(LedgerError::InactiveJournal(journal.code.clone())));
        }
        self.accepting_year(input.date).map_err(whole)?;
        for (i, line) in input.lines.iter().enumerate() {
            self.check_line(i, line).map_err(|err| (Some(i), err))?;
        }
        input.check().map_err(|err| match err {
            crate::model::entry::EntryRuleError::BadSides { line }
            | crate::model::entry::EntryRuleError::TotalTooLarge { line, .. } => {
                (line.checked_sub(1), LedgerError::Rule(err))
            }
            other => (None, LedgerError::Rule(other)),
        })
    }

    fn check_line(&mut self, i: usize, line: &crate::model::Line) -> Result<()> {
        let account = self.account_ref(&line.account)?;
        if !account.active {
            return Err(LedgerError::InactiveAccount(account.number.to_string()));
        }
        let required = account.third_party_required;
        match &line.third_party {
            Some(code) => {
                let party = self.party_ref(code)?;
                if !party.active {
                    return Err(LedgerError::InactiveParty(party.code.clone()));
                }
            }
            None if required => {
                return Err(LedgerError::ThirdPartyRequired {
                    account: line.account.to_string(),
                    line: i.saturating_add(1),
                });
            }
            None => {}
        }
        Ok(())
    }

    pub fn new_entry_id(&mut self) -> Result<EntryId> {
        let id = self.next_entry;
        self.next_entry = next_counter(id, "entry id")?;
        Ok(id)
    }

    pub fn peek_next_entry_id(&self) -> EntryId {
        self.next_entry
    }

    pub fn entry_opt(&self, id: EntryId) -> Result<Option<Entry>> {
        if let Some(bytes) = self.bulk.as_ref().and_then(|b| b.entry_bytes(id)) {
            return Ok(Some(decode_entry(bytes, id)?));
        }
        match self.entries.get(id)? {
            Some(bytes) => Ok(Some(decode_entry(bytes.value(), id)?)),
            None => Ok(None),
        }
    }

    pub fn entry(&self, id: EntryId) -> Result<Entry> {
        self.entry_opt(id)?
            .ok_or_else(|| LedgerError::EntryNotFound(format!("#{id}")))
    }

    /// The one way an entry reaches the entries table: it must be well-formed (DESIGN §3), and
    /// a validated one is hashed into the entry chain, in validation order.
    fn store_entry(&mut self, entry: &Entry) -> Result<()> {
        assert_well_formed(entry)?;
        if entry.is_validated() {
            self.chain_entry(entry)?;
            self.open_entry_lines(entry)?;
        }
        if let Some(bulk) = &mut self.bulk {
            // A new entry (ids only grow) waits to be written in order with the others.
            if bulk.entries.last().is_none_or(|last| last.0 < entry.id) {
                let start = bulk.entry_bytes.len();
                encode_into(entry, &mut bulk.entry_bytes)?;
                bulk.entries.push((entry.id, start, bulk.entry_bytes.len()));
                return Ok(());
            }
            // One gathered already is rewritten: the gathered ones are written first.
            self.flush_bulk()?;
        }
        self.buffer.clear();
        encode_into(entry, &mut self.buffer)?;
        self.entries.insert(entry.id, self.buffer.as_slice())?;
        Ok(())
    }

    pub(crate) fn chain_entry(&mut self, entry: &Entry) -> Result<()> {
        let seq = entry.validation_seq.unwrap_or(0);
        let (last, prev) = self.entry_head;
        if seq <= last {
            return Err(LedgerError::Corrupt(format!(
                "entry {} (validation {seq}) would be chained after validation {last}",
                entry.reference()
            )));
        }
        let hash = entry_hash(&prev, entry, &mut self.canonical);
        match &mut self.bulk {
            Some(bulk) => bulk.hashes.push((seq, entry.id, hash)),
            None => {
                self.entry_hashes.insert(seq, (entry.id, hash))?;
            }
        }
        self.entry_head = (seq, hash);
        Ok(())
    }

    /// Writes a new entry with all its indexes and running totals.
    pub fn insert_entry(&mut self, entry: &Entry) -> Result<()> {
        let date = day(entry.date);
        self.store_entry(entry)?;
        if let Some(filter) = &mut self.piece_filter {
            filter.add(&entry.journal, &entry.piece);
        }
        if let Some(bulk) = &mut self.bulk {
            bulk.push(entry);
            bulk.push_piece(entry)?;
            if bulk.len() >= BULK_LINES {
                self.flush_bulk()?;
            }
        } else {
            self.insert_entry_indexes(entry)?;
            self.pieces.insert(
                (entry.journal.as_str(), entry.piece.as_str(), entry.id),
                date,
            )?;
        }
        if entry.status == EntryStatus::Draft {
            self.drafts.insert(entry.id, ())?;
        }
        let period = Period::of(entry.date).key();
        for line in &entry.lines {
            add_delta(
                &mut self.totals_delta,
                line.account.as_str(),
                period,
                line,
                1,
            )?;
            if let Some(party) = &line.third_party {
                add_delta(&mut self.party_delta, party, period, line, 1)?;
            }
        }
        Ok(())
    }

    /// Bulk mode (imports): the date and line indexes are gathered and written sorted,
    /// up to a million lines at a time, which turns random B-tree inserts into mostly
    /// sequential ones. Nothing in the transaction may read those indexes meanwhile.
    pub fn begin_bulk(&mut self) {
        self.bulk = Some(BulkIndexes::default());
        self.open.begin_bulk();
    }

    /// The (entry id, day) of a journal's piece among the entries gathered in bulk mode and
    /// not yet in the pieces table (which holds the others).
    pub(crate) fn gathered_pieces(&self, journal: &str, piece: &str) -> Vec<(u64, i32)> {
        match &self.bulk {
            Some(bulk) if !bulk.pieces.is_empty() => bulk.gathered_pieces(journal, piece),
            _ => Vec::new(),
        }
    }

    /// Whether the journal may hold the piece (written before or gathered): `false` is
    /// certain, `true` calls for a look at the pieces themselves.
    pub(crate) fn may_hold_piece(&mut self, journal: &str, piece: &str) -> Result<bool> {
        if self.piece_filter.is_none() {
            let mut filter = PieceFilter::new();
            for item in self.pieces.range::<(&str, &str, u64)>(..)? {
                let (key, _) = item?;
                let (journal, piece, _) = key.value();
                filter.add(journal, piece);
            }
            if let Some(bulk) = &self.bulk {
                for row in &bulk.pieces {
                    let journal = bulk.journals.names.get(row.0 as usize);
                    filter.add(journal.map_or("", String::as_str), bulk.piece_of(row));
                }
            }
            self.piece_filter = Some(filter);
        }
        Ok(self
            .piece_filter
            .as_ref()
            .is_none_or(|filter| filter.may_hold(journal, piece)))
    }

    pub fn flush_bulk(&mut self) -> Result<()> {
        self.open.write_pending()?;
        let Some(bulk) = self.bulk.as_mut() else {
            return Ok(());
        };
        let mut pieces = std::mem::take(&mut bulk.pieces);
        let piece_text = std::mem::take(&mut bulk.piece_text);
        bulk.piece_heads.clear();
        bulk.piece_next.clear();
        let mut by_date = std::mem::take(&mut bulk.by_date);
        let mut by_account = std::mem::take(&mut bulk.by_account);
        let mut by_party = std::mem::take(&mut bulk.by_party);
        let entries = std::mem::take(&mut bulk.entries);
        let entry_bytes = std::mem::take(&mut bulk.entry_bytes);
        let hashes = std::mem::take(&mut bulk.hashes);
        let mut numbers = std::mem::take(&mut bulk.numbers);
        let (account_ranks, party_ranks) = (bulk.accounts.ranks(), bulk.parties.ranks());
        let (journal_ranks, year_ranks) = (bulk.journals.ranks(), bulk.years.ranks());
        // Entries and chain rows come in ascending order already.
        insert_sorted(
            &mut self.entries,
            entries
                .into_iter()
                .map(|(id, start, end)| (id, &entry_bytes[start..end])),
        )?;
        insert_sorted(
            &mut self.entry_hashes,
            hashes.into_iter().map(|(seq, id, hash)| (seq, (id, hash))),
        )?;
        bucket_sort(
            &mut numbers,
            journal_ranks.len(),
            |r| journal_ranks[r.0 as usize] as usize,
            |a, b| (year_ranks[a.1 as usize], a.2).cmp(&(year_ranks[b.1 as usize], b.2)),
        );
        let Some(bulk) = self.bulk.as_ref() else {
            return Ok(());
        };
        let (journals, years) = (&bulk.journals.names, &bulk.years.names);
        let text_of = |start: u32, len: u32| {
            let bytes = piece_text
                .get(start as usize..(start as usize).saturating_add(len as usize))
                .unwrap_or_default();
            std::str::from_utf8(bytes).unwrap_or_default()
        };
        bucket_sort(
            &mut pieces,
            journal_ranks.len(),
            |r| journal_ranks[r.0 as usize] as usize,
            |a, b| (text_of(a.1, a.2), a.3).cmp(&(text_of(b.1, b.2), b.3)),
        );
        insert_sorted(
            &mut self.pieces,
            pieces.into_iter().map(|(journal, start, len, id, date)| {
                (
                    (journals[journal as usize].as_str(), text_of(start, len), id),
                    date,
                )
            }),
        )?;
        insert_sorted(
            &mut self.numbers,
            numbers.into_iter().map(|(journal, year, seq, id)| {
                (
                    (
                        journals[journal as usize].as_str(),
                        years[year as usize].as_str(),
                        seq,
                    ),
                    id,
                )
            }),
        )?;
        by_date.sort_unstable();
        bucket_sort(
            &mut by_account,
            account_ranks.len(),
            |r| account_ranks[r.0 as usize] as usize,
            |a, b| (a.1, a.2, a.3).cmp(&(b.1, b.2, b.3)),
        );
        bucket_sort(
            &mut by_party,
            party_ranks.len(),
            |r| party_ranks[r.0 as usize] as usize,
            |a, b| (a.1, a.2, a.3).cmp(&(b.1, b.2, b.3)),
        );
        insert_sorted(
            &mut self.entries_by_date,
            by_date.into_iter().map(|k| (k, ())),
        )?;
        let Some(bulk) = self.bulk.as_ref() else {
            return Ok(());
        };
        let (accounts, parties) = (&bulk.accounts.names, &bulk.parties.names);
        insert_sorted(
            &mut self.lines_by_account,
            by_account
                .into_iter()
                .map(|(account, date, id, line, signed)| {
                    (
                        (accounts[account as usize].as_str(), date, id, line),
                        signed,
                    )
                }),
        )?;
        insert_sorted(
            &mut self.lines_by_party,
            by_party.into_iter().map(|(party, date, id, line, signed)| {
                ((parties[party as usize].as_str(), date, id, line), signed)
            }),
        )?;
        Ok(())
    }

    fn insert_entry_indexes(&mut self, entry: &Entry) -> Result<()> {
        let date = day(entry.date);
        self.entries_by_date.insert((date, entry.id), ())?;
        for (i, line) in entry.lines.iter().enumerate() {
            let signed = line.signed().cents();
            let key = (line.account.as_str(), date, entry.id, i as u32);
            self.lines_by_account.insert(key, signed)?;
            if let Some(party) = &line.third_party {
                self.lines_by_party
                    .insert((party.as_str(), date, entry.id, i as u32), signed)?;
            }
        }
        Ok(())
    }

    /// Removes a draft entry with all its indexes and running totals.
    pub fn remove_entry(&mut self, entry: &Entry) -> Result<()> {
        // Indexes gathered in bulk must be written before any of them is removed.
        self.flush_bulk()?;
        self.removed_entries.push(entry.id);
        self.untag_entry(entry)?;
        let date = day(entry.date);
        self.entries.remove(entry.id)?;
        self.entries_by_date.remove((date, entry.id))?;
        self.pieces
            .remove((entry.journal.as_str(), entry.piece.as_str(), entry.id))?;
        self.drafts.remove(entry.id)?;
        let period = Period::of(entry.date).key();
        for (i, line) in entry.lines.iter().enumerate() {
            self.lines_by_account
                .remove((line.account.as_str(), date, entry.id, i as u32))?;
            add_delta(
                &mut self.totals_delta,
                line.account.as_str(),
                period,
                line,
                -1,
            )?;
            if let Some(party) = &line.third_party {
                self.lines_by_party
                    .remove((party.as_str(), date, entry.id, i as u32))?;
                add_delta(&mut self.party_delta, party, period, line, -1)?;
            }
        }
        Ok(())
    }

    /// Gives a draft its number and marks it validated (content unchanged).
    pub fn validate_entry(&mut self, entry: &mut Entry, on: NaiveDate) -> Result<()> {
        self.number_entry(entry, on)?;
        self.drafts.remove(entry.id)?;
        self.store_entry(entry)
    }

    /// Numbers an entry not yet written (`insert_entry` follows), or one whose record the
    /// caller rewrites: next number of its journal and fiscal year, next validation rank.
    pub fn number_entry(&mut self, entry: &mut Entry, on: NaiveDate) -> Result<()> {
        if entry.is_validated() {
            return Err(LedgerError::EntryValidated(entry.reference()));
        }
        let year = self.accepting_year_ref(entry.date)?;
        let (year_name, year_start) = (year.name(), day(year.start));
        let journal = self.journal_ref(&entry.journal)?;
        if !journal.active {
            return Err(LedgerError::InactiveJournal(journal.code.clone()));
        }
        let seq = self.next_number(&entry.journal, &year_name)?;
        match &mut self.bulk {
            Some(bulk) => {
                let (journal, year) = (bulk.journals.id(&entry.journal), bulk.years.id(&year_name));
                bulk.numbers.push((journal, year, seq, entry.id));
            }
            None => {
                self.numbers
                    .insert((entry.journal.as_str(), year_name.as_str(), seq), entry.id)?;
            }
        }
        let validation = self.next_validation;
        self.next_validation = next_counter(validation, "validation sequence")?;
        self.extend_run(year_start, validation, entry.id)?;
        entry.status = EntryStatus::Validated;
        entry.number = Some(EntryNumber {
            journal: entry.journal.clone(),
            year: year_name,
            seq,
        });
        entry.validated_on = Some(on);
        entry.validation_seq = Some(validation);
        Ok(())
    }

    /// Records that validation `seq` of the year starting at `year_start` is entry `id`,
    /// extending the current run when both follow on.
    fn extend_run(&mut self, year_start: i32, seq: u64, id: u64) -> Result<()> {
        if let Some((year, first_seq, first_id, count)) = &mut self.pending_run
            && *year == year_start
            && first_seq.checked_add(*count) == Some(seq)
            && first_id.checked_add(*count) == Some(id)
        {
            *count = next_counter(*count, "validation run")?;
            return Ok(());
        }
        self.flush_run()?;
        self.pending_run = Some((year_start, seq, id, 1));
        Ok(())
    }

    fn flush_run(&mut self) -> Result<()> {
        if let Some((year, first_seq, first_id, count)) = self.pending_run.take() {
            self.validation_runs
                .insert((year, first_seq), (first_id, count))?;
        }
        Ok(())
    }

    /// The next sequence of a journal in a fiscal year; counters are written at `finish`.
    fn next_number(&mut self, journal: &str, year: &str) -> Result<u64> {
        if let Some(last) = self.counters.get_mut(journal).and_then(|y| y.get_mut(year)) {
            *last = next_counter(*last, "piece number")?;
            return Ok(*last);
        }
        let last = self
            .number_counters
            .get((journal, year))?
            .map(|v| v.value())
            .unwrap_or(0);
        let next = next_counter(last, "piece number")?;
        self.counters
            .entry(journal.to_string())
            .or_default()
            .insert(year.to_string(), next);
        Ok(next)
    }

    pub fn draft_ids(&self) -> Result<Vec<EntryId>> {
        let mut ids = Vec::new();
        for item in self.drafts.range::<u64>(..)? {
            ids.push(item?.0.value());
        }
        Ok(ids)
    }

    pub fn reversal_of(&self, id: EntryId) -> Result<Option<EntryId>> {
        Ok(self.reversals.get(id)?.map(|v| v.value()))
    }

    // ----- audit --------------------------------------------------------------------------------

    pub fn audit(
        &mut self,
        ctx: &Ctx,
        action: &str,
        records: Vec<String>,
        detail: String,
    ) -> Result<()> {
        let head: Option<(u64, [u8; 32])> = meta_get(&self.meta, "audit_head")?;
        let (seq, prev_hash) = match head {
            Some((seq, hash)) => (next_counter(seq, "audit sequence")?, hash),
            None => (1, [0u8; 32]),
        };
        // The clock is read now, at the record's own commit; a record is never dated before
        // the one it follows (another process's clock, or this one set back).
        let mut at = ctx.now();
        let before = match self.last_audit_at {
            // Written by this transaction: known without reading it back.
            Some(before) if self.last_audit_seq == head.map_or(0, |(seq, _)| seq) => Some(before),
            _ => match head {
                Some((head, _)) => match self.audit_log.get(head)? {
                    Some(bytes) => Some(decode_audit(bytes.value())?.at),
                    None => None,
                },
                None => None,
            },
        };
        if let Some(before) = before {
            at = at.max(before);
        }
        let stamped = Ctx {
            clock: super::Clock::Fixed(at),
            ..ctx.clone()
        };
        let record = AuditRecord::new(seq, prev_hash, &stamped, action, records, detail)
            .with_entry_head(self.entry_head);
        self.audited_head = Some(self.entry_head);
        self.buffer.clear();
        encode_into(&record, &mut self.buffer)?;
        self.audit_log.insert(seq, self.buffer.as_slice())?;
        match self.audit_keys.as_mut() {
            Some(keys) => {
                for key in &record.records {
                    keys.push(key, seq)?;
                }
                if keys.is_full() {
                    self.flush_audit_keys()?;
                }
            }
            None => {
                for key in &record.records {
                    self.audit_by_record.insert((key.as_str(), seq), ())?;
                }
            }
        }
        self.last_audit_at = Some(record.at);
        self.last_audit_seq = seq;
        self.put_meta("audit_head", &(seq, record.hash))?;
        self.audited = true;
        Ok(())
    }
}

impl Tx<'_> {
    /// From now on in this transaction, the index keys of audit records are gathered and
    /// written in key order (a command writing many records, each naming many lines, turns
    /// scattered index inserts into mostly sequential ones). Nothing in the transaction may
    /// read the audit index meanwhile; `finish` writes what is left.
    pub(crate) fn begin_audit_batch(&mut self) {
        if self.audit_keys.is_none() {
            self.audit_keys = Some(AuditKeys::default());
        }
    }

    /// Writes the gathered audit index keys in key order (batch mode stays on).
    pub(crate) fn flush_audit_keys(&mut self) -> Result<()> {
        let Some(keys) = self.audit_keys.as_mut() else {
            return Ok(());
        };
        let AuditKeys { mut text, mut keys } = std::mem::take(keys);
        // Bytes compare as the text they hold (UTF-8 keeps the order).
        keys.sort_unstable_by(|a, b| (key_bytes(&text, *a), a.2).cmp(&(key_bytes(&text, *b), b.2)));
        // In key order through a cursor: runs of keys falling into one gap are written as
        // packed leaves.
        insert_sorted(
            &mut self.audit_by_record,
            keys.iter()
                .map(|slot| ((key_text(&text, *slot), slot.2), ())),
        )?;
        // The buffers keep their room for the next batch.
        text.clear();
        keys.clear();
        if let Some(pending) = self.audit_keys.as_mut() {
            *pending = AuditKeys { text, keys };
        }
        Ok(())
    }

    /// Lists the entries `first..last` a bulk command created under its audit record.
    pub fn audit_entry_range(&mut self, first: EntryId, last: EntryId) -> Result<()> {
        if first < last {
            self.audit_entry_ranges
                .insert(self.last_audit_seq, (first, last))?;
        }
        Ok(())
    }
}

/// The value after `value` of a stored counter (ids, sequences): an error, never a wrap, when
/// it is exhausted.
pub(crate) fn next_counter(value: u64, what: &str) -> Result<u64> {
    value
        .checked_add(1)
        .ok_or_else(|| LedgerError::Corrupt(format!("{what} counter exhausted")))
}

fn total_overflow(key: &str, period: u32) -> LedgerError {
    LedgerError::Invalid {
        field: "amount",
        reason: format!(
            "the running total of {key} for {} would pass the largest amount a ledger keeps",
            Period::from_key(period)
        ),
    }
}

fn add_delta(
    delta: &mut Delta,
    key: &str,
    period: u32,
    line: &crate::model::Line,
    sign: i64,
) -> Result<()> {
    let periods = match delta.get_mut(key) {
        Some(periods) => periods,
        None => delta.entry(key.to_string()).or_default(),
    };
    let slot = periods.entry(period).or_insert((0, 0));
    let (debit, credit) = (line.debit.cents(), line.credit.cents());
    let (debit, credit) = if sign < 0 {
        let neg = |v: i64| v.checked_neg().ok_or_else(|| total_overflow(key, period));
        (neg(debit)?, neg(credit)?)
    } else {
        (debit, credit)
    };
    slot.0 = slot
        .0
        .checked_add(debit)
        .ok_or_else(|| total_overflow(key, period))?;
    slot.1 = slot
        .1
        .checked_add(credit)
        .ok_or_else(|| total_overflow(key, period))?;
    Ok(())
}

fn flush_delta(table: &mut Table<'_, (&'static str, u32), (i64, i64)>, delta: Delta) -> Result<()> {
    let flat = delta
        .into_iter()
        .flat_map(|(key, periods)| periods.into_iter().map(move |(p, v)| ((key.clone(), p), v)));
    for ((key, period), (debit, credit)) in flat {
        if debit == 0 && credit == 0 {
            continue;
        }
        let current = table
            .get((key.as_str(), period))?
            .map(|v| v.value())
            .unwrap_or((0, 0));
        let updated = match (current.0.checked_add(debit), current.1.checked_add(credit)) {
            (Some(debit), Some(credit)) => (debit, credit),
            _ => return Err(total_overflow(&key, period)),
        };
        if updated == (0, 0) {
            table.remove((key.as_str(), period))?;
        } else {
            table.insert((key.as_str(), period), updated)?;
        }
    }
    Ok(())
}

/// A read transaction: a consistent snapshot of the ledger.
pub struct View {
    txn: ReadTransaction,
}

impl View {
    pub fn open(txn: ReadTransaction) -> Result<Self> {
        Ok(View { txn })
    }

    pub fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<ReadOnlyTable<K, V>> {
        Ok(self.txn.open_table(def)?)
    }

    /// A table that the ledger may not have created yet (it appears with its first row).
    pub fn table_if_exists<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<Option<ReadOnlyTable<K, V>>> {
        match self.txn.open_table(def) {
            Ok(table) => Ok(Some(table)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    pub fn meta<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        meta_get(&self.table(META)?, key)
    }

    pub fn years(&self) -> Result<Vec<FiscalYear>> {
        load_years(&self.table(YEARS)?)
    }

    pub fn entry_opt(&self, id: EntryId) -> Result<Option<Entry>> {
        match self.table(ENTRIES)?.get(id)? {
            Some(bytes) => Ok(Some(decode_entry(bytes.value(), id)?)),
            None => Ok(None),
        }
    }

    pub fn all<V: serde::de::DeserializeOwned>(
        &self,
        def: TableDefinition<&'static str, Bytes>,
        what: &str,
    ) -> Result<Vec<V>> {
        let table = self.table(def)?;
        let mut out = Vec::new();
        for item in table.range::<&str>(..)? {
            let (_, value) = item?;
            out.push(decode(value.value(), what)?);
        }
        Ok(out)
    }

    pub fn get<V: serde::de::DeserializeOwned>(
        &self,
        def: TableDefinition<&'static str, Bytes>,
        key: &str,
        what: &str,
    ) -> Result<Option<V>> {
        match self.table(def)?.get(key)? {
            Some(bytes) => Ok(Some(decode(bytes.value(), what)?)),
            None => Ok(None),
        }
    }
}

pub fn decode_audit(bytes: &[u8]) -> Result<AuditRecord> {
    decode(bytes, "audit record")
}

/// Decodes the entry stored under `id` and asserts what every write asserted (DESIGN §3):
/// anything else is corruption.
pub fn decode_entry(bytes: &[u8], id: EntryId) -> Result<Entry> {
    // The name is written only for a message: decoding is the hot path of every report.
    let entry: Entry = match decode(bytes, "entry") {
        Ok(entry) => entry,
        Err(_) => return decode(bytes, &format!("entry #{id}")),
    };
    let what = || format!("entry #{id}");
    if entry.id != id {
        return Err(LedgerError::Corrupt(format!(
            "{} is stored under the id of another entry (#{})",
            what(),
            entry.id
        )));
    }
    assert_well_formed(&entry).map_err(|err| LedgerError::Corrupt(format!("{}: {err}", what())))?;
    Ok(entry)
}

/// What an entry must be to be stored: at least 2 lines, one positive side each, balanced,
/// texts within their limits; a validated entry numbered, a draft not.
pub fn assert_well_formed(entry: &Entry) -> Result<()> {
    crate::model::entry::check_entry(entry)?;
    let numbered =
        entry.number.is_some() && entry.validated_on.is_some() && entry.validation_seq.is_some();
    let unnumbered =
        entry.number.is_none() && entry.validated_on.is_none() && entry.validation_seq.is_none();
    let consistent = match entry.status {
        EntryStatus::Validated => numbered,
        EntryStatus::Draft => unnumbered,
    };
    if !consistent {
        return Err(LedgerError::Invalid {
            field: "entry",
            reason: format!(
                "entry {} is {} but its number, validation date and rank say otherwise",
                entry.reference(),
                entry.status.name()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{PieceFilter, bucket_sort};
    use proptest::prelude::*;

    proptest! {
        /// Bucket then in-bucket order is the order of the whole key, sorted or not.
        #[test]
        fn bucket_sort_sorts_by_the_whole_key(
            rows in proptest::collection::vec((0u32..5, 0i32..4, 0u64..6), 0..200),
            presorted in any::<bool>(),
        ) {
            let mut rows = rows;
            if presorted {
                rows.sort_by_key(|r| (r.1, r.2));
            }
            let mut expected = rows.clone();
            expected.sort();
            bucket_sort(&mut rows, 5, |r| r.0 as usize, |a, b| (a.1, a.2).cmp(&(b.1, b.2)));
            prop_assert_eq!(rows, expected);
        }

        /// A piece added is always found (no false negative).
        #[test]
        fn piece_filter_finds_every_piece_added(
            pieces in proptest::collection::vec(("[A-Z]{1,3}", "[A-Z0-9-]{0,12}"), 0..100),
        ) {
            let mut filter = PieceFilter::new();
            for (journal, piece) in &pieces {
                filter.add(journal, piece);
            }
            for (journal, piece) in &pieces {
                prop_assert!(filter.may_hold(journal, piece));
            }
        }
    }

    #[test]
    fn piece_filter_tells_most_new_pieces_apart() {
        let mut filter = PieceFilter::new();
        for n in 0..100_000u32 {
            filter.add("VE", &format!("F{n:07}"));
        }
        let known = (100_000..200_000u32)
            .filter(|n| filter.may_hold("VE", &format!("F{n:07}")))
            .count();
        assert!(known < 100, "{known} false positives");
        assert!(!filter.may_hold("AC", "F0000001"));
    }
}
