//! FEC import: the books another software exported, read as they are (see the README's FEC
//! import section for each tolerance and each refusal) and kept so that the FEC exported
//! afterwards gives them back.
//!
//! Two passes over the file. The first reads every record (for the usual file whose entries'
//! lines are consecutive, only the fields that place a line: journal, number, date, account)
//! and plans: which lines form each entry (lines of one entry need not be consecutive), what
//! kind each new journal is. The second posts each entry as soon as
//! its last line is read, all in one write transaction, so memory holds the entries being
//! assembled, not the file. In both passes a thread of its own reads and checks the records
//! in batches ([`READ_AHEAD_LINES`]) while the other plans or writes the batch before.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::sync::mpsc;

use chrono::NaiveDate;
use redb::ReadableTable;
use serde::Serialize;

use super::codec::{decode, encode_into};
use super::commands::{clean_input, new_entry};
use super::error::{LedgerError, Result};
use super::fec_origin::{FEC_ORIGINS, FecLineOrigin, FecOrigin, put_journal_code};
use super::import::{ImportOptions, check_piece};
use super::lettering_import::{ImportedLetterLine, store_imported_lettering};
use super::store::{Tx, insert_sorted};
use super::tables::Bytes;
use super::{Ctx, Ledger};
use crate::formats::FormatError;
use crate::formats::fec::{Encoding, EncodingReport, FecLine, FecReader, file_name_warnings};
use crate::lettering::LineRef;
use crate::model::journal::parse_journal_code;
use crate::model::party::parse_party_code;
use crate::model::{
    Account, AccountNumber, EntryInput, Journal, JournalKind, Line, Party, PartyKind,
};

/// Records of the second pass read ahead per batch, and batches read ahead: the file is read
/// and checked on a thread of its own while the ledger writes the entries before it, and
/// memory holds at most these records whatever the file's size.
const READ_AHEAD_LINES: usize = 4096;
const READ_AHEAD_BATCHES: usize = 4;

/// How the read-ahead thread reads a record: [`FecReader::read_into`] or
/// [`FecReader::read_entry_fields`].
type ReadFn<R> =
    fn(&mut FecReader<R>, &mut FecLine) -> Option<std::result::Result<u64, FormatError>>;

/// Records read ahead, in the file's order: the first `len` of `lines` (those beyond keep
/// their strings for the next records), then the error that ended the reading, if any.
struct ReadBatch {
    lines: Vec<(u64, FecLine)>,
    len: usize,
    error: Option<FormatError>,
}

/// Reads the file into batches until its end, its first bad record, or the importer's stop
/// (it drops the receiving end when it refuses an entry). Batches given back are refilled, so
/// the strings of a record are allocated once for the whole file.
fn read_ahead<R: BufRead>(
    mut reader: FecReader<R>,
    read: ReadFn<R>,
    full: &mpsc::SyncSender<ReadBatch>,
    empty: &mpsc::Receiver<Vec<(u64, FecLine)>>,
) {
    loop {
        let mut lines = empty.try_recv().unwrap_or_default();
        let (mut len, mut error, mut end) = (0, None, false);
        while len < READ_AHEAD_LINES {
            if lines.len() == len {
                lines.push((0, FecLine::empty()));
            }
            let Some((line_no, line)) = lines.get_mut(len) else {
                break;
            };
            match read(&mut reader, line) {
                None => end = true,
                Some(Ok(read)) => {
                    *line_no = read;
                    len = len.saturating_add(1);
                    continue;
                }
                Some(Err(err)) => {
                    error = Some(err);
                    end = true;
                }
            }
            break;
        }
        if full.send(ReadBatch { lines, len, error }).is_err() || end {
            return;
        }
    }
}

/// Calls `each` with the records of the file in order, batch by batch (each record's line
/// number and the record, whose strings it may take), the records read by `read` on a thread
/// of its own. Ends at the file's end (`Ok(true)`), when `each` says to stop (`Ok(false)`), or
/// at the first error, the reader's or `each`'s, whichever comes first in the file.
fn each_batch<R: BufRead + Send>(
    reader: FecReader<R>,
    read: ReadFn<R>,
    mut each: impl FnMut(&mut [(u64, FecLine)]) -> Result<bool>,
) -> Result<bool> {
    std::thread::scope(|scope| {
        let (full, batches) = mpsc::sync_channel(READ_AHEAD_BATCHES);
        let (give_back, empty) = mpsc::channel();
        scope.spawn(move || read_ahead(reader, read, &full, &empty));
        for ReadBatch {
            mut lines,
            len,
            error,
        } in batches.iter()
        {
            if !each(lines.get_mut(..len).unwrap_or_default())? {
                return Ok(false);
            }
            if let Some(err) = error {
                return Err(format_error(err));
            }
            // The reader refills the batch (when it has ended, the batch is dropped here).
            let _ = give_back.send(lines);
        }
        Ok(true)
    })
}

/// [`each_batch`], record by record.
fn each_record<R: BufRead + Send>(
    reader: FecReader<R>,
    read: ReadFn<R>,
    mut each: impl FnMut(u64, &mut FecLine) -> Result<bool>,
) -> Result<bool> {
    each_batch(reader, read, |lines| {
        for (line_no, line) in lines {
            if !each(*line_no, line)? {
                return Ok(false);
            }
        }
        Ok(true)
    })
}

/// Adds a record to the entry carried over from one batch to the next (`lines[..used]`),
/// taking its strings and giving the batch those of a slot no longer used.
fn carry(lines: &mut Vec<(u64, FecLine)>, used: &mut usize, line_no: u64, line: &mut FecLine) {
    match lines.get_mut(*used) {
        Some(slot) => {
            slot.0 = line_no;
            std::mem::swap(&mut slot.1, line);
        }
        None => lines.push((line_no, std::mem::replace(line, FecLine::empty()))),
    }
    *used = used.saturating_add(1);
}

/// Whether two records are lines of one entry in a file numbered as the FEC wants
/// ([`Grouping::Number`]).
fn same_entry(a: &FecLine, b: &FecLine) -> bool {
    a.number == b.number && a.journal_code == b.journal_code
}

/// Which label wins when an existing account, journal or third party is named otherwise in
/// the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelSource {
    /// The file's (a migration into a new ledger): the ledger's label is replaced.
    #[default]
    File,
    /// The ledger's: the file's label is only reported.
    Ledger,
}

#[derive(Debug, Clone, Default)]
pub struct FecImportOptions {
    /// Accept pieces that already exist in their journal.
    pub allow_existing_pieces: bool,
    pub labels: LabelSource,
    /// Do everything, report, and write nothing.
    pub dry_run: bool,
    /// What the first look at the file said of its encoding.
    pub encoding: EncodingReport,
}

/// What a FEC import did, with every tolerance applied and its count.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FecImportSummary {
    pub dry_run: bool,
    pub entries: u64,
    pub lines: u64,
    pub journals_created: u64,
    pub accounts_created: u64,
    pub parties_created: u64,
    /// The file's letter groups kept as Folio letter groups, and their lines.
    pub letter_groups: u64,
    pub grouped_lines: u64,
    /// Lines keeping the file's code as an imported mark (not a letter group).
    pub marked_lines: u64,
    /// (account, code, lines, why it is not a letter group).
    pub marks: Vec<(String, String, u64, String)>,
    pub encoding: String,
    /// Blank ValidDate: the entry date was used.
    pub valid_dates_filled: u64,
    /// EcritureLet without DateLet: the ValidDate (or the entry date) was used.
    pub letter_dates_filled: u64,
    /// Lines on accounts that require a third party but have no CompAuxNum, per account.
    pub lines_without_aux: Vec<(String, u64)>,
    /// Labels of existing accounts, journals or third parties that the file names otherwise,
    /// and labels that vary within the file.
    pub labels_differing: Vec<String>,
    /// Journal codes as written -> Folio's code, where they differ.
    pub journal_codes: Vec<(String, String)>,
    /// Journals created: code, kind, treasury account.
    pub journals: Vec<(String, String, Option<String>)>,
    /// Entries whose lines are not consecutive in the file.
    pub split_entries: u64,
    /// EcritureNum blank or the same on every line: entries are the lines of one journal,
    /// date and piece.
    pub grouped_by_piece: bool,
    pub montant_sens: bool,
    pub cash_basis_columns: Vec<String>,
    pub extra_columns: Vec<String>,
    pub warnings: Vec<String>,
}

fn format_error(err: FormatError) -> LedgerError {
    LedgerError::AtLine {
        file: err.file,
        line: err.line,
        field: err.field,
        reason: err.reason,
    }
}

fn at(file: &str, line: u64, field: &str, reason: impl Into<String>) -> LedgerError {
    LedgerError::AtLine {
        file: file.to_string(),
        line,
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// How the file's lines are put together into entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grouping {
    /// By (JournalCode, EcritureNum), wherever the lines are.
    Number,
    /// By (JournalCode, EcritureDate, PieceRef): EcritureNum says nothing.
    Piece,
}

/// Writes the key of the entry a line belongs to into `key` (reused: one allocation for the
/// whole file).
fn group_key(key: &mut String, grouping: Grouping, line: &FecLine) {
    use std::fmt::Write as _;
    key.clear();
    key.push_str(&line.journal_code);
    key.push('\u{1f}');
    match grouping {
        Grouping::Number => key.push_str(&line.number),
        Grouping::Piece => {
            let _ = write!(key, "{}", line.date);
            key.push('\u{1f}');
            key.push_str(&line.piece_ref);
        }
    }
}

/// Adds a line to the plan of its entry.
fn plan_line(
    plans: &mut HashMap<String, EntryPlan>,
    key: &str,
    line_no: u64,
    line: &FecLine,
    treasury: &mut Treasury,
) {
    match plans.get_mut(key) {
        Some(plan) => plan.add(line_no, line, treasury),
        None => {
            let mut plan = EntryPlan::new(line_no, line);
            plan.add(line_no, line, treasury);
            plans.insert(key.to_string(), plan);
        }
    }
}

/// One entry of the file as the first pass saw it.
#[derive(Debug, Clone)]
struct EntryPlan {
    first_line: u64,
    last_line: u64,
    lines: u32,
    /// Debits minus credits, in cents (saturating: a sum that large does not balance anyway).
    net: i64,
    date: NaiveDate,
    /// A line on another date than the first.
    other_date: bool,
    /// Its first bank (512…) and cash (53…) accounts, as indexes into [`Treasury`].
    bank: Option<u32>,
    cash: Option<u32>,
}

/// Treasury accounts seen in the file (interned: entries refer to them by index), with the
/// label of their first line.
#[derive(Default)]
struct Treasury {
    accounts: Vec<(String, String)>,
    index: HashMap<String, u32>,
}

impl Treasury {
    fn intern(&mut self, line: &FecLine) -> u32 {
        if let Some(i) = self.index.get(&line.account) {
            return *i;
        }
        let i = u32::try_from(self.accounts.len()).unwrap_or(u32::MAX);
        self.accounts
            .push((line.account.clone(), line.account_label.clone()));
        self.index.insert(line.account.clone(), i);
        i
    }
}

impl EntryPlan {
    fn new(line_no: u64, line: &FecLine) -> Self {
        EntryPlan {
            first_line: line_no,
            last_line: line_no,
            lines: 0,
            net: 0,
            date: line.date,
            other_date: false,
            bank: None,
            cash: None,
        }
    }

    fn add(&mut self, line_no: u64, line: &FecLine, treasury: &mut Treasury) {
        self.last_line = line_no;
        self.lines = self.lines.saturating_add(1);
        self.net = self
            .net
            .saturating_add(line.debit.cents())
            .saturating_sub(line.credit.cents());
        self.other_date |= line.date != self.date;
        if self.bank.is_none() && line.account.starts_with("512") {
            self.bank = Some(treasury.intern(line));
        } else if self.cash.is_none() && line.account.starts_with("53") {
            self.cash = Some(treasury.intern(line));
        }
    }
}

/// A journal as the file shows it: its first label, its kind, and its treasury account
/// (number and label) for a bank or cash journal.
type JournalPlan = (String, JournalKind, Option<(String, String)>);

/// What the first pass learnt of the whole file.
struct Plan {
    grouping: Grouping,
    /// Lines of each entry, by its key ([`group_key`]): the second pass posts an entry when
    /// its last line is read. `None` when each entry's lines are consecutive in the file: an
    /// entry then ends where the next one starts.
    entries: Option<HashMap<String, u32>>,
    /// Entries in the file.
    entry_count: u64,
    /// Per journal code as written: its first label, and (kind, treasury account) guessed
    /// from its entries.
    journals: HashMap<String, JournalPlan>,
    last_date: Option<NaiveDate>,
    montant_sens: bool,
    cash_basis: Vec<String>,
    ignored: Vec<String>,
}

fn plan<R: BufRead>(file: &str, reader: FecReader<R>) -> Result<Plan> {
    let layout = reader.layout().clone();
    let mut by_number: HashMap<String, EntryPlan> = HashMap::new();
    let mut by_piece: Option<HashMap<String, EntryPlan>> = Some(HashMap::new());
    let mut first_number: Option<String> = None;
    let mut blank: Option<u64> = None;
    let mut numbered: Option<u64> = None;
    let mut journal_labels: HashMap<String, String> = HashMap::new();
    let mut treasury = Treasury::default();
    let mut key = String::new();
    let mut last_date: Option<NaiveDate> = None;
    let mut reader = reader;
    let mut line = FecLine::empty();
    while let Some(item) = reader.read_into(&mut line) {
        let line_no = item.map_err(format_error)?;
        if line.number.is_empty() {
            blank.get_or_insert(line_no);
        } else {
            numbered.get_or_insert(line_no);
        }
        match &first_number {
            None => first_number = Some(line.number.clone()),
            Some(first) if *first != line.number => by_piece = None,
            Some(_) => {}
        }
        if let Some(pieces) = &mut by_piece {
            group_key(&mut key, Grouping::Piece, &line);
            plan_line(pieces, &key, line_no, &line, &mut treasury);
        }
        group_key(&mut key, Grouping::Number, &line);
        plan_line(&mut by_number, &key, line_no, &line, &mut treasury);
        if !journal_labels.contains_key(&line.journal_code) {
            journal_labels.insert(line.journal_code.clone(), line.journal_label.clone());
        }
        last_date = last_date.max(Some(line.date));
    }
    if let (Some(blank), Some(numbered)) = (blank, numbered) {
        return Err(at(
            file,
            blank,
            "EcritureNum",
            format!(
                "blank, while other lines have one (line {numbered}): number every line, or none"
            ),
        ));
    }
    // A file whose EcritureNum is blank or the same everywhere is grouped by journal, date and
    // piece, unless its numbers already make balanced one-date entries.
    let numbers_work = by_number.values().all(|e| e.net == 0 && !e.other_date);
    let (grouping, entries) = match by_piece {
        Some(pieces) if !numbers_work => {
            let number = first_number.unwrap_or_default();
            if let Some(bad) = pieces
                .iter()
                .filter(|(_, e)| e.net != 0)
                .min_by_key(|(_, e)| e.last_line)
            {
                let (key, e) = bad;
                let mut parts = key.split('\u{1f}');
                let journal = parts.next().unwrap_or_default();
                let _ = parts.next();
                let piece = parts.next().unwrap_or_default();
                return Err(at(
                    file,
                    e.last_line,
                    "EcritureNum",
                    format!(
                        "{} on every line, so entries are the lines of one journal, date and \
                         piece; those of journal {journal}, {}, piece {piece} (lines {} to {}) do \
                         not balance: debit minus credit is {}",
                        if number.is_empty() {
                            "blank".to_string()
                        } else {
                            format!("`{number}`")
                        },
                        e.date,
                        e.first_line,
                        e.last_line,
                        cents_text(i128::from(e.net))
                    ),
                ));
            }
            (Grouping::Piece, pieces)
        }
        _ => (Grouping::Number, by_number),
    };
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for (key, e) in &entries {
        let journal = key.split('\u{1f}').next().unwrap_or_default();
        see(&mut seen, journal, e);
    }
    Ok(Plan {
        grouping,
        entry_count: entries.len() as u64,
        entries: Some(entries.into_iter().map(|(key, e)| (key, e.lines)).collect()),
        journals: journal_plans(journal_labels, seen, &treasury),
        last_date,
        montant_sens: layout.uses_montant_sens(),
        cash_basis: layout.cash_basis,
        ignored: layout.ignored,
    })
}

/// Per journal: entries, entries with a bank line, with a cash line, and how often each
/// treasury account appears.
#[derive(Default)]
struct Seen {
    entries: u64,
    bank: u64,
    cash: u64,
    accounts: HashMap<u32, u64>,
}

fn see(seen: &mut HashMap<String, Seen>, journal: &str, e: &EntryPlan) {
    let s = match seen.get_mut(journal) {
        Some(s) => s,
        None => seen.entry(journal.to_string()).or_default(),
    };
    s.entries = s.entries.saturating_add(1);
    for (flag, account) in [(&mut s.bank, e.bank), (&mut s.cash, e.cash)] {
        if let Some(account) = account {
            *flag = flag.saturating_add(1);
            let n = s.accounts.entry(account).or_default();
            *n = n.saturating_add(1);
        }
    }
}

/// Each journal's first label, kind and treasury account, from what its entries hold.
fn journal_plans(
    journal_labels: HashMap<String, String>,
    mut seen: HashMap<String, Seen>,
    treasury: &Treasury,
) -> HashMap<String, JournalPlan> {
    let mut journals = HashMap::new();
    for (code, label) in journal_labels {
        let s = seen.remove(code.as_str()).unwrap_or_default();
        let most = |prefix: &str| {
            s.accounts
                .iter()
                .filter_map(|(i, n)| {
                    let (number, label) = treasury.accounts.get(*i as usize)?;
                    number.starts_with(prefix).then_some((n, number, label))
                })
                .max_by_key(|(n, number, _)| (**n, std::cmp::Reverse(*number)))
                .map(|(_, number, label)| (number.clone(), label.clone()))
        };
        let (kind, treasury) = if let Some(kind) = guess_other_kind(&code, &label) {
            (kind, None)
        } else if s.entries > 0 && s.bank == s.entries {
            (JournalKind::Bank, most("512"))
        } else if s.entries > 0 && s.cash == s.entries {
            (JournalKind::Cash, most("53"))
        } else {
            (JournalKind::Miscellaneous, None)
        };
        journals.insert(code, (label, kind, treasury));
    }
    journals
}

/// The (JournalCode, EcritureNum) keys of the entries read, in little memory for the usual
/// numbers that end with digits and follow on: per journal, number prefix and digit count,
/// the runs of trailing values seen (`VE2026-000001` to `VE2026-004212` is one run).
#[derive(Default)]
struct EntryKeys {
    /// `journal \x1f prefix \x1f digits` -> runs: first value -> last value.
    runs: HashMap<String, BTreeMap<u64, u64>>,
    /// Keys whose number does not end with (at most 19) digits, as `journal \x1f number`.
    other: HashSet<String>,
    /// The group being looked up, reused.
    group: String,
}

impl EntryKeys {
    /// Adds a key; `false` when it was there already.
    fn insert(&mut self, journal: &str, number: &str) -> bool {
        use std::fmt::Write as _;
        let digits = number.bytes().rev().take_while(u8::is_ascii_digit).count();
        let (prefix, tail) = number.split_at(number.len().saturating_sub(digits));
        let value = match tail.parse::<u64>() {
            Ok(value) if (1..=19).contains(&digits) => value,
            _ => {
                return self.other.insert(format!("{journal}\u{1f}{number}"));
            }
        };
        self.group.clear();
        let _ = write!(self.group, "{journal}\u{1f}{prefix}\u{1f}{digits}");
        let runs = match self.runs.get_mut(self.group.as_str()) {
            Some(runs) => runs,
            None => self.runs.entry(self.group.clone()).or_default(),
        };
        let before = runs.range(..=value).next_back().map(|(s, e)| (*s, *e));
        if let Some((_, end)) = before
            && end >= value
        {
            return false;
        }
        let after = value
            .checked_add(1)
            .and_then(|next| runs.get(&next).map(|end| (next, *end)));
        let start = match before {
            Some((start, end)) if end.checked_add(1) == Some(value) => start,
            _ => value,
        };
        let end = match after {
            Some((next, end)) => {
                runs.remove(&next);
                end
            }
            None => value,
        };
        runs.insert(start, end);
        true
    }
}

/// The first pass for the usual file, whose entries are numbered and each one's lines
/// consecutive: it keeps the entry being read, not every entry of the file, so memory stays
/// flat. `None` when the file is not such a file (an entry's lines apart, hence a key seen
/// again; or one EcritureNum on every line): [`plan`] then reads it again.
fn plan_consecutive<R: BufRead + Send>(reader: FecReader<R>) -> Result<Option<Plan>> {
    let layout = reader.layout().clone();
    // The entries read: a key met again is an entry whose lines are apart.
    let mut done = EntryKeys::default();
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let mut first_number: Option<String> = None;
    let mut same_number = true;
    let mut blank: Option<u64> = None;
    let mut numbered: Option<u64> = None;
    let mut journal_labels: HashMap<String, String> = HashMap::new();
    let mut treasury = Treasury::default();
    let (mut key, mut current_key) = (String::new(), String::new());
    let mut current: Option<EntryPlan> = None;
    let mut entry_count = 0u64;
    let mut last_date: Option<NaiveDate> = None;
    // Only the fields that place a line (journal, number, date, account) are read here: the
    // second pass reads and checks every field, in the same write transaction, so a malformed
    // amount or label still refuses the whole file, naming its line.
    let whole = each_record(reader, FecReader::read_entry_fields, |line_no, line| {
        if line.number.is_empty() {
            blank.get_or_insert(line_no);
        } else {
            numbered.get_or_insert(line_no);
        }
        match &first_number {
            None => first_number = Some(line.number.clone()),
            Some(first) if *first != line.number => same_number = false,
            Some(_) => {}
        }
        group_key(&mut key, Grouping::Number, line);
        if key != current_key || current.is_none() {
            if let Some(e) = current.take() {
                let journal = current_key.split('\u{1f}').next().unwrap_or_default();
                see(&mut seen, journal, &e);
            }
            if !done.insert(&line.journal_code, &line.number) {
                return Ok(false);
            }
            current_key.clone_from(&key);
            current = Some(EntryPlan::new(line_no, line));
            entry_count = entry_count.saturating_add(1);
        }
        if let Some(e) = &mut current {
            e.add(line_no, line, &mut treasury);
        }
        if !journal_labels.contains_key(&line.journal_code) {
            journal_labels.insert(line.journal_code.clone(), line.journal_label.clone());
        }
        last_date = last_date.max(Some(line.date));
        Ok(true)
    })?;
    if !whole {
        return Ok(None);
    }
    if let Some(e) = current.take() {
        let journal = current_key.split('\u{1f}').next().unwrap_or_default();
        see(&mut seen, journal, &e);
    }
    // Blank numbers, or one number everywhere: the full plan decides how lines are grouped
    // (and refuses a file that numbers some lines only).
    if same_number || blank.is_some() {
        return Ok(None);
    }
    Ok(Some(Plan {
        grouping: Grouping::Number,
        entries: None,
        entry_count,
        journals: journal_plans(journal_labels, seen, &treasury),
        last_date,
        montant_sens: layout.uses_montant_sens(),
        cash_basis: layout.cash_basis,
        ignored: layout.ignored,
    }))
}

fn cents_text(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A kind the journal's code or label says plainly (opening, sales, purchases, miscellaneous);
/// bank and cash journals are recognised by their treasury account instead, since codes such
/// as `CAG` or `BNP` say nothing.
fn guess_other_kind(code: &str, label: &str) -> Option<JournalKind> {
    let label = label.to_lowercase();
    let code = code.to_ascii_uppercase();
    if code.starts_with("AN") || code == "RAN" || label.contains("nouveau") {
        Some(JournalKind::Opening)
    } else if code.starts_with("VE") || code.starts_with("VT") || label.contains("vente") {
        Some(JournalKind::Sales)
    } else if code.starts_with("AC") || code.starts_with("HA") || label.contains("achat") {
        Some(JournalKind::Purchases)
    } else if code.starts_with("OD") || label.contains("divers") {
        Some(JournalKind::Miscellaneous)
    } else {
        None
    }
}

/// A code made of `text`'s letters and digits, uppercase, at most `max` characters, that
/// `taken` does not refuse (a digit suffix is added if needed).
fn derive_code(text: &str, max: usize, extra: &[u8], taken: impl Fn(&str) -> bool) -> String {
    let mut base: String = text
        .chars()
        .filter_map(|c| {
            let c = c.to_ascii_uppercase();
            (c.is_ascii_alphanumeric() || (c.is_ascii() && extra.contains(&(c as u8)))).then_some(c)
        })
        .take(max)
        .collect();
    if base.is_empty() {
        base.push('X');
    }
    if !taken(&base) {
        return base;
    }
    for n in 2u32.. {
        let suffix = if extra.contains(&b'-') {
            format!("-{n}")
        } else {
            n.to_string()
        };
        let keep = max.saturating_sub(suffix.len()).min(base.len());
        let candidate = format!("{}{suffix}", &base[..keep]);
        if !taken(&candidate) {
            return candidate;
        }
    }
    base
}

/// The import's running state in the write transaction.
struct Importer<'a, 't> {
    file: &'a str,
    options: &'a FecImportOptions,
    plan: &'a Plan,
    first_id: u64,
    summary: FecImportSummary,
    /// Journal code as written -> Folio's code.
    journals: HashMap<String, String>,
    /// Journals of the ledger before the import.
    existing_journals: HashSet<String>,
    /// Codes as written by earlier imports -> Folio's code.
    mapped_journals: HashMap<String, String>,
    /// Account as written -> (Folio's number, label in use, whether it requires a third
    /// party; nothing in the import changes that flag).
    accounts: HashMap<String, (AccountNumber, String, bool)>,
    /// CompAuxNum as written -> (party code, its CompAuxNum, its name).
    parties: HashMap<String, (String, String, String)>,
    /// Party codes in use in the ledger or given by this import.
    party_codes: HashSet<String>,
    /// Existing parties by CompAuxNum.
    party_by_aux: HashMap<String, String>,
    /// Labels already found varying within the file (reported once each).
    varying: HashSet<String>,
    without_aux: BTreeMap<String, u64>,
    letters: BTreeMap<(AccountNumber, String), Vec<ImportedLetterLine>>,
    /// The entries' origins, kept open for the whole import.
    origins: redb::Table<'t, u64, Bytes>,
    /// Origins encoded and not yet written, in entry order: (entry id, end in `origin_bytes`).
    origin_rows: Vec<(u64, usize)>,
    origin_bytes: Vec<u8>,
}

/// Bytes of encoded origins gathered before they are written in one sorted run.
const ORIGIN_BYTES: usize = 4 << 20;

impl Importer<'_, '_> {
    /// Writes the gathered origins (entry ids only grow: one sorted run).
    fn write_origins(&mut self) -> Result<()> {
        let bytes = &self.origin_bytes;
        let mut start = 0;
        insert_sorted(
            &mut self.origins,
            self.origin_rows.iter().map(|(id, end)| {
                let row = (*id, bytes.get(start..*end).unwrap_or_default());
                start = *end;
                row
            }),
        )?;
        self.origin_rows.clear();
        self.origin_bytes.clear();
        Ok(())
    }

    fn journal(&mut self, tx: &mut Tx<'_>, line_no: u64, fec: &FecLine) -> Result<String> {
        if let Some(code) = self.journals.get(&fec.journal_code).cloned() {
            if let Some((label, _, _)) = self.plan.journals.get(&fec.journal_code)
                && *label != fec.journal_label
            {
                let label = label.clone();
                self.vary("journal", &fec.journal_code, &fec.journal_label, &label);
            }
            return Ok(code);
        }
        let written = fec.journal_code.as_str();
        let used: HashSet<&String> = self.journals.values().collect();
        // A code Folio can hold as written is kept; any other (`O.I`, `ve`) gets a Folio code
        // of its own, and the FEC export writes it back as written.
        let code = match self.mapped_journals.get(written) {
            Some(code) => code.clone(),
            None => match parse_journal_code(written) {
                Ok(code) if code == written && !used.contains(&code) => code,
                _ => derive_code(written, 6, b"", |c| {
                    used.contains(&c.to_string()) || self.existing_journals.contains(c)
                }),
            },
        };
        let (label, kind, treasury) = self
            .plan
            .journals
            .get(written)
            .cloned()
            .unwrap_or_else(|| (fec.journal_label.clone(), JournalKind::Miscellaneous, None));
        match tx.journal_opt(&code)? {
            Some(mut journal) => {
                if journal.label != label {
                    self.summary.labels_differing.push(format!(
                        "journal {code}: `{}` in the ledger, `{label}` in the file ({} kept)",
                        journal.label,
                        self.kept()
                    ));
                    if self.options.labels == LabelSource::File {
                        journal.label = label;
                        tx.put_journal(&journal)?;
                    }
                }
            }
            None => {
                let treasury = match treasury {
                    Some((number, account_label)) => {
                        let fake = FecLine {
                            account: number,
                            account_label,
                            ..fec.clone()
                        };
                        Some(self.account(tx, line_no, &fake)?.0)
                    }
                    None => None,
                };
                let kind = if kind.needs_treasury_account() && treasury.is_none() {
                    JournalKind::Miscellaneous
                } else {
                    kind
                };
                tx.put_journal(&Journal {
                    code: code.clone(),
                    label,
                    kind,
                    treasury_account: treasury.clone(),
                    active: true,
                })?;
                if code != written {
                    put_journal_code(tx, &code, written)?;
                    self.summary
                        .journal_codes
                        .push((written.to_string(), code.clone()));
                }
                self.summary.journals_created = self.summary.journals_created.saturating_add(1);
                self.summary.journals.push((
                    code.clone(),
                    kind.name().to_string(),
                    treasury.map(|t| t.to_string()),
                ));
            }
        }
        self.journals.insert(written.to_string(), code.clone());
        Ok(code)
    }

    fn kept(&self) -> &'static str {
        match self.options.labels {
            LabelSource::File => "the file's",
            LabelSource::Ledger => "the ledger's",
        }
    }

    fn vary(&mut self, what: &str, key: &str, found: &str, kept: &str) {
        if self.varying.insert(format!("{what}\u{1f}{key}")) {
            self.summary.labels_differing.push(format!(
                "{what} {key}: the file also names it `{found}`; `{kept}` (its first label) kept"
            ));
        }
    }

    /// The Folio account of a line, and whether it requires a third party.
    fn account(
        &mut self,
        tx: &mut Tx<'_>,
        line_no: u64,
        fec: &FecLine,
    ) -> Result<(AccountNumber, bool)> {
        if let Some((number, label, required)) = self.accounts.get(&fec.account) {
            let (number, required) = (number.clone(), *required);
            if *label != fec.account_label {
                let label = label.clone();
                self.vary("account", number.as_str(), &fec.account_label, &label);
            }
            return Ok((number, required));
        }
        let number = AccountNumber::parse(&fec.account)
            .map_err(|err| at(self.file, line_no, "CompteNum", err.to_string()))?;
        let label = fec.account_label.clone();
        match tx.account_opt(&number)? {
            Some(mut account) => {
                if account.label != label {
                    self.summary.labels_differing.push(format!(
                        "account {number}: `{}` in the ledger, `{label}` in the file ({} kept)",
                        account.label,
                        self.kept()
                    ));
                    if self.options.labels == LabelSource::File {
                        account.label = label.clone();
                        tx.put_account(&account)?;
                    }
                }
            }
            None => {
                tx.put_account(&Account::new(number.clone(), label.clone()))?;
                self.summary.accounts_created = self.summary.accounts_created.saturating_add(1);
            }
        }
        let required = tx.account_ref(&number)?.third_party_required;
        self.accounts
            .insert(fec.account.clone(), (number.clone(), label, required));
        Ok((number, required))
    }

    /// The third party of a line (its code, and whether its CompAuxNum or CompAuxLib differ
    /// from the line's); `None` without CompAuxNum.
    fn party(
        &mut self,
        tx: &mut Tx<'_>,
        fec: &FecLine,
        account: &AccountNumber,
    ) -> Result<Option<(String, bool)>> {
        let written = fec.aux_num.as_str();
        if written.is_empty() {
            return Ok(None);
        }
        if let Some((code, aux, name)) = self.parties.get(written) {
            let differs = *aux != fec.aux_num || *name != fec.aux_label;
            if *name != fec.aux_label {
                let (code, name) = (code.clone(), name.clone());
                self.vary("third party", &code, &fec.aux_label, &name);
                return Ok(Some((code, differs)));
            }
            return Ok(Some((code.clone(), differs)));
        }
        let existing = match self.party_by_aux.get(written) {
            Some(code) => tx.party_opt(code)?,
            None => None,
        };
        let party = match existing {
            Some(mut party) => {
                if party.name != fec.aux_label {
                    self.summary.labels_differing.push(format!(
                        "third party {}: `{}` in the ledger, `{}` in the file ({} kept)",
                        party.code,
                        party.name,
                        fec.aux_label,
                        self.kept()
                    ));
                    if self.options.labels == LabelSource::File {
                        party.name = fec.aux_label.clone();
                        tx.put_party(&party)?;
                    }
                }
                party
            }
            None => {
                let codes = &self.party_codes;
                let code = match parse_party_code(written) {
                    Ok(code) if !codes.contains(&code) => code,
                    _ => derive_code(written, 17, b"-_", |c| codes.contains(c)),
                };
                // Customers on 41…; the company owes the others (suppliers on 40…, staff and
                // social bodies on 42/43…, the State on 44…, e.g. the tax office on 4455…).
                let kind = if account.starts_with("41") {
                    PartyKind::Customer
                } else if ["40", "42", "43", "44"]
                    .iter()
                    .any(|p| account.starts_with(p))
                {
                    PartyKind::Supplier
                } else {
                    PartyKind::Customer
                };
                let mut party =
                    Party::new(code.clone(), fec.aux_label.clone(), kind, account.clone());
                party.auxiliary_account = written.to_string();
                tx.put_party(&party)?;
                self.party_codes.insert(code);
                self.summary.parties_created = self.summary.parties_created.saturating_add(1);
                party
            }
        };
        let differs = party.auxiliary_account != fec.aux_num || party.name != fec.aux_label;
        let code = party.code.clone();
        self.parties.insert(
            written.to_string(),
            (party.code, party.auxiliary_account, party.name),
        );
        Ok(Some((code, differs)))
    }

    fn post(&mut self, tx: &mut Tx<'_>, ctx: &Ctx, group: &[(u64, FecLine)]) -> Result<()> {
        let Some((first_line, first)) = group.first() else {
            return Ok(());
        };
        let first_line = *first_line;
        let last_line = group.last().map_or(first_line, |(n, _)| *n);
        if let Some((line_no, fec)) = group.iter().find(|(_, fec)| fec.date != first.date) {
            return Err(at(
                self.file,
                *line_no,
                "EcritureDate",
                format!(
                    "entry {} {} has lines on {} (line {first_line}) and {}",
                    first.journal_code, first.number, first.date, fec.date
                ),
            ));
        }
        let journal = self.journal(tx, first_line, first)?;
        let mut lines = Vec::with_capacity(group.len());
        let mut parties = Vec::with_capacity(group.len());
        for (line_no, fec) in group {
            let (account, required) = self.account(tx, *line_no, fec)?;
            let party = self.party(tx, fec, &account)?;
            if party.is_none() && required {
                let count = self.without_aux.entry(account.to_string()).or_default();
                *count = count.saturating_add(1);
            }
            let (third_party, aux_differs) = match party {
                Some((code, differs)) => (Some(code), differs),
                None => (None, false),
            };
            lines.push(Line {
                account,
                third_party,
                label: fec.label.clone(),
                debit: fec.debit,
                credit: fec.credit,
            });
            parties.push(aux_differs);
        }
        let input = clean_input(EntryInput {
            journal,
            date: first.date,
            piece: first.piece_ref.clone(),
            label: first.label.clone(),
            lines,
        });
        // A line's problem names that line; the entry's, its first line.
        let line_of = |i: Option<usize>| {
            i.and_then(|i| group.get(i))
                .map_or(first_line, |(line_no, _)| *line_no)
        };
        check_imported(tx, &input).map_err(|(i, err)| err.at_line(self.file, line_of(i)))?;
        let piece_options = ImportOptions {
            validate: true,
            allow_existing_pieces: self.options.allow_existing_pieces,
            fec: true,
        };
        check_piece(tx, &input, self.first_id, &piece_options)
            .map_err(|err| err.at_line(self.file, first_line))?;
        let mut entry = new_entry(tx, ctx, input, None)?;
        let valid = first.valid_date.unwrap_or(first.date);
        tx.number_entry(&mut entry, valid)
            .map_err(|err| err.at_line(self.file, first_line))?;
        tx.insert_entry(&entry)?;

        let mut origin = FecOrigin {
            number: first.number.clone(),
            lines: Vec::new(),
        };
        for (i, ((_, fec), aux_differs)) in group.iter().zip(&parties).enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            if fec.valid_date.is_none() {
                self.summary.valid_dates_filled = self.summary.valid_dates_filled.saturating_add(1);
            }
            let line_valid = fec.valid_date.unwrap_or(fec.date);
            let line = FecLineOrigin {
                account: entry
                    .lines
                    .get(i)
                    .is_some_and(|l| l.account.as_str() != fec.account)
                    .then(|| fec.account.clone()),
                piece_ref: (fec.piece_ref != entry.piece).then(|| fec.piece_ref.clone()),
                piece_date: (fec.piece_date != entry.date).then_some(fec.piece_date),
                valid_date: (line_valid != valid).then_some(line_valid),
                currency: fec
                    .currency_amount
                    .map(|amount| (amount, fec.currency.clone())),
                aux: aux_differs.then(|| (fec.aux_num.clone(), fec.aux_label.clone())),
            };
            if !line.is_empty() {
                origin.lines.push((index, line));
            }
            if !fec.letter.is_empty() {
                let explicit = fec.letter_date.is_some();
                let date = match fec.letter_date {
                    Some(date) => date,
                    None => {
                        self.summary.letter_dates_filled =
                            self.summary.letter_dates_filled.saturating_add(1);
                        line_valid
                    }
                };
                let stored = &entry.lines[i];
                self.letters
                    .entry((stored.account.clone(), fec.letter.clone()))
                    .or_default()
                    .push(ImportedLetterLine {
                        at: LineRef {
                            entry: entry.id,
                            line: index,
                        },
                        party: stored.third_party.clone(),
                        debit: stored.debit,
                        credit: stored.credit,
                        date,
                        explicit,
                    });
            }
        }
        encode_into(&origin, &mut self.origin_bytes)?;
        self.origin_rows.push((entry.id, self.origin_bytes.len()));
        if self.origin_bytes.len() >= ORIGIN_BYTES {
            self.write_origins()?;
        }
        let span = last_line.saturating_sub(first_line).saturating_add(1);
        if span != group.len() as u64 {
            self.summary.split_entries = self.summary.split_entries.saturating_add(1);
        }
        self.summary.entries = self.summary.entries.saturating_add(1);
        self.summary.lines = self.summary.lines.saturating_add(entry.lines.len() as u64);
        Ok(())
    }
}

/// The checks of a new entry, except that an account requiring a third party accepts a line
/// without one: that rule is for entries typed in Folio, not for history.
fn check_imported(
    tx: &mut Tx<'_>,
    input: &EntryInput,
) -> std::result::Result<(), (Option<usize>, LedgerError)> {
    let whole = |err: LedgerError| (None, err);
    let journal = tx.journal_ref(&input.journal).map_err(whole)?;
    if !journal.active {
        return Err(whole(LedgerError::InactiveJournal(journal.code.clone())));
    }
    tx.accepting_year(input.date).map_err(whole)?;
    for (i, line) in input.lines.iter().enumerate() {
        let account = tx.account_ref(&line.account).map_err(|e| (Some(i), e))?;
        if !account.active {
            return Err((
                Some(i),
                LedgerError::InactiveAccount(account.number.to_string()),
            ));
        }
        if let Some(code) = &line.third_party {
            let party = tx.party_ref(code).map_err(|e| (Some(i), e))?;
            if !party.active {
                return Err((Some(i), LedgerError::InactiveParty(party.code.clone())));
            }
        }
    }
    input.check().map_err(|err| match err {
        crate::model::entry::EntryRuleError::BadSides { line }
        | crate::model::entry::EntryRuleError::TotalTooLarge { line, .. } => {
            (line.checked_sub(1), LedgerError::Rule(err))
        }
        other => (None, LedgerError::Rule(other)),
    })
}

impl Ledger {
    /// Imports a FEC written by another software. `open` gives a fresh reader of the file
    /// each time it is called (the file is read twice). One transaction: any refusal leaves
    /// the ledger as it was; with `dry_run` nothing is written whatever happens.
    pub fn import_fec<R: BufRead + Send>(
        &self,
        ctx: &Ctx,
        file: &str,
        mut open: impl FnMut() -> std::result::Result<FecReader<R>, FormatError>,
        options: &FecImportOptions,
    ) -> Result<FecImportSummary> {
        let plan = match plan_consecutive(open().map_err(format_error)?)? {
            Some(plan) => plan,
            None => plan(file, open().map_err(format_error)?)?,
        };
        let siren = self.company()?.siren;
        let closing = match plan.last_date {
            Some(date) => self
                .years()?
                .into_iter()
                .find(|y| y.start <= date && date <= y.end)
                .map(|y| y.end),
            None => None,
        };
        let name = std::path::Path::new(file)
            .file_name()
            .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned());
        let mut summary = FecImportSummary {
            dry_run: options.dry_run,
            encoding: match options.encoding.encoding {
                Encoding::Utf8 => "UTF-8".into(),
                Encoding::Latin9 => "ISO-8859-15".into(),
            },
            grouped_by_piece: plan.grouping == Grouping::Piece,
            montant_sens: plan.montant_sens,
            cash_basis_columns: plan.cash_basis.clone(),
            extra_columns: plan.ignored.clone(),
            warnings: file_name_warnings(&name, &siren, closing),
            ..FecImportSummary::default()
        };
        if let (Encoding::Latin9, Some(looking)) = (
            options.encoding.encoding,
            options.encoding.first_utf8_looking_line,
        ) {
            summary.warnings.push(format!(
                "read as ISO-8859-15 (line {} is not UTF-8), but {} lines hold what looks like \
                 UTF-8 (first: line {looking}): check their accents",
                options.encoding.first_invalid_line.unwrap_or(0),
                options.encoding.utf8_looking_lines
            ));
        }
        let reader = open().map_err(format_error)?;
        self.write_or_rollback(ctx, !options.dry_run, |tx| {
            tx.begin_bulk();
            let first_id = tx.peek_next_entry_id();
            let txn = tx.txn;
            let mut importer = Importer {
                file,
                options,
                plan: &plan,
                first_id,
                summary: summary.clone(),
                journals: HashMap::new(),
                existing_journals: tx.all_journals()?.into_iter().map(|j| j.code).collect(),
                mapped_journals: HashMap::new(),
                accounts: HashMap::new(),
                parties: HashMap::new(),
                party_codes: HashSet::new(),
                party_by_aux: HashMap::new(),
                varying: HashSet::new(),
                without_aux: BTreeMap::new(),
                letters: BTreeMap::new(),
                origins: txn.open_table(FEC_ORIGINS)?,
                origin_rows: Vec::new(),
                origin_bytes: Vec::new(),
            };
            for item in tx
                .txn
                .open_table(super::fec_origin::FEC_JOURNAL_CODES)?
                .range::<&str>(..)?
            {
                let (code, written) = item?;
                importer
                    .mapped_journals
                    .insert(written.value().to_string(), code.value().to_string());
            }
            for item in tx.parties.range::<&str>(..)? {
                let (key, value) = item?;
                let party: Party = decode(value.value(), "third party")?;
                importer.party_codes.insert(key.value().to_string());
                importer
                    .party_by_aux
                    .entry(party.auxiliary_account.clone())
                    .or_insert(party.code);
            }
            // The entry being assembled; entries left unfinished when another one's line comes
            // wait in `pending` (files whose entries are not consecutive).
            let mut pending: HashMap<String, Vec<(u64, FecLine)>> = HashMap::new();
            let (mut key, mut current_key) = (String::new(), String::new());
            let mut current: Vec<(u64, FecLine)> = Vec::new();
            // Consecutive entries: the lines carried from one batch into the next are
            // `current[..used]`; the lines beyond are kept for their strings.
            let mut used = 0usize;
            let mut expected = 0usize;
            let mut last_line = 0u64;
            match &plan.entries {
                // Consecutive entries: one ends where the next begins. An entry within a batch
                // is posted from the batch; one that a batch ends in the middle of is carried
                // into the next in `current[..used]`.
                None => {
                    each_batch(reader, FecReader::read_into, |lines| {
                        last_line = lines.last().map_or(last_line, |(line_no, _)| *line_no);
                        let mut start = 0usize;
                        if let Some((_, first)) = current.get(..used).and_then(<[_]>::first) {
                            let ends = lines
                                .iter()
                                .position(|(_, line)| !same_entry(line, first))
                                .unwrap_or(lines.len());
                            for (line_no, line) in lines.get_mut(..ends).unwrap_or_default() {
                                carry(&mut current, &mut used, *line_no, line);
                            }
                            if ends == lines.len() {
                                return Ok(true);
                            }
                            importer.post(tx, ctx, &current[..used])?;
                            used = 0;
                            start = ends;
                        }
                        while let Some((_, first)) = lines.get(start) {
                            let end = lines
                                .iter()
                                .skip(start)
                                .position(|(_, line)| !same_entry(line, first))
                                .map_or(lines.len(), |n| start.saturating_add(n));
                            if end == lines.len() {
                                // The batch may end in the middle of this entry.
                                for (line_no, line) in lines.get_mut(start..).unwrap_or_default() {
                                    carry(&mut current, &mut used, *line_no, line);
                                }
                                break;
                            }
                            importer.post(tx, ctx, &lines[start..end])?;
                            start = end;
                        }
                        Ok(true)
                    })?;
                    if used > 0 {
                        importer.post(tx, ctx, &current[..used])?;
                    }
                }
                Some(entries) => {
                    each_record(reader, FecReader::read_into, |line_no, line| {
                        last_line = line_no;
                        group_key(&mut key, plan.grouping, line);
                        if key != current_key {
                            if !current.is_empty() {
                                pending.insert(current_key.clone(), std::mem::take(&mut current));
                            }
                            current_key.clone_from(&key);
                            current = pending.remove(&key).unwrap_or_default();
                            expected = entries.get(&key).map_or(0, |n| *n) as usize;
                        }
                        current.push((line_no, std::mem::replace(line, FecLine::empty())));
                        if current.len() >= expected {
                            importer.post(tx, ctx, &std::mem::take(&mut current))?;
                            current_key.clear();
                        }
                        Ok(true)
                    })?;
                    if !current.is_empty() {
                        pending.insert(current_key.clone(), current);
                    }
                }
            }
            let changed = |line_no: u64| {
                at(
                    file,
                    line_no,
                    "record",
                    "the file changed while it was being imported",
                )
            };
            if let Some((line_no, _)) = pending.values().flatten().map(|(n, _)| (*n, ())).min() {
                return Err(changed(line_no));
            }
            if importer.summary.entries != plan.entry_count {
                return Err(changed(last_line));
            }
            // The lettering reads what the import wrote.
            importer.write_origins()?;
            tx.flush_bulk()?;
            let letters = std::mem::take(&mut importer.letters);
            let outcome = store_imported_lettering(tx, ctx, letters)?;
            let mut summary = importer.summary;
            summary.letter_groups = outcome.groups;
            summary.grouped_lines = outcome.grouped_lines;
            summary.marked_lines = outcome.marked_lines;
            summary.marks = outcome
                .marks
                .into_iter()
                .map(|(a, c, n, why)| (a, c, n, why.to_string()))
                .collect();
            summary.lines_without_aux = importer.without_aux.into_iter().collect();
            let last_id = tx.peek_next_entry_id();
            tx.audit(
                ctx,
                "import.fec",
                vec![format!("import:{file}")],
                format!(
                    "imported FEC {file}: {} entries, {} lines, {} journals, {} accounts and {} third parties created, {} letter groups, {} lines with imported marks",
                    summary.entries,
                    summary.lines,
                    summary.journals_created,
                    summary.accounts_created,
                    summary.parties_created,
                    summary.letter_groups,
                    summary.marked_lines
                ),
            )?;
            tx.audit_entry_range(first_id, last_id)?;
            Ok(summary)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::EntryKeys;

    #[test]
    fn entry_keys_are_exact_whatever_the_numbers() {
        let mut keys = EntryKeys::default();
        // Numbers that follow on, in any order, are runs; each key is new once.
        for n in [1u32, 2, 3, 7, 5, 6, 4, 10, 9] {
            assert!(keys.insert("VE", &format!("VE2026-{n:06}")), "{n}");
        }
        for n in [1u32, 4, 7, 9, 10] {
            assert!(!keys.insert("VE", &format!("VE2026-{n:06}")), "{n}");
        }
        assert!(keys.insert("VE", "VE2026-000008"));
        assert!(!keys.insert("VE", "VE2026-000008"));
        assert_eq!(keys.runs.values().map(|r| r.len()).sum::<usize>(), 1);
        // Another journal, prefix or count of digits is another key.
        assert!(keys.insert("AC", "VE2026-000001"));
        assert!(keys.insert("VE", "VE2025-000001"));
        assert!(keys.insert("VE", "VE2026-00001"));
        assert!(keys.insert("VE", "VE2026-0000001"));
        assert!(!keys.insert("VE", "VE2026-0000001"));
        // Numbers without trailing digits, or too many of them, are kept whole.
        assert!(keys.insert("VE", "A"));
        assert!(!keys.insert("VE", "A"));
        assert!(keys.insert("VE", "12345678901234567890123"));
        assert!(!keys.insert("VE", "12345678901234567890123"));
        assert!(keys.insert("VE", "18446744073709551615"));
        assert!(!keys.insert("VE", "18446744073709551615"));
        assert!(keys.insert("VE", "9999999999999999999"));
        assert!(!keys.insert("VE", "9999999999999999999"));
    }
}
