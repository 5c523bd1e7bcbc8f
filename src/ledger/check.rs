//! `folio check`: recompute what the ledger maintains and compare.

use std::collections::{BTreeMap, HashMap};

use redb::ReadableTable;
use serde::Serialize;

use super::Ledger;
use super::audit::{AuditRecord, EntryHead, check_link, entry_hash, format_head};
use super::error::{LedgerError, Result};
use super::store::{View, day, decode_audit, decode_entry};
use super::tables::*;
use crate::model::EntryStatus;
use crate::model::calendar::Period;

/// At most this many findings are listed; the rest are counted.
const MAX_FINDINGS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `entry`, `totals`, `numbering`, `audit`, `index`.
    pub area: &'static str,
    pub message: String,
}

#[derive(Default)]
struct Findings {
    list: Vec<Finding>,
    more: usize,
}

impl Findings {
    fn add(&mut self, area: &'static str, message: String) {
        if self.list.len() < MAX_FINDINGS {
            self.list.push(Finding { area, message });
        } else {
            self.more = self.more.saturating_add(1);
        }
    }
}

/// What `check` looked at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub entries: u64,
    pub lines: u64,
    pub audit_records: u64,
    /// Validated entries in the entry chain.
    pub chained_entries: u64,
    /// The entry chain's head, `SEQ:HEX` (see `check --print-head`).
    pub entry_chain_head: String,
    pub findings: Vec<Finding>,
    pub more_findings: usize,
    /// What is worth knowing but is no fault (codes kept from an imported FEC).
    pub information: Vec<Finding>,
}

type Sums = HashMap<(String, u32), (i64, i64)>;

impl Ledger {
    /// Recomputes running totals from lines, verifies balance and shape of every entry,
    /// gapless numbering, the entry chain, the audit chain and the stored FECs.
    pub fn check(&self) -> Result<CheckReport> {
        self.check_expecting(None)
    }

    /// `check`, also verifying that the entry chain still holds `expected` (a head printed
    /// earlier) at its position. Never fails nor panics on a damaged file: what cannot be read
    /// is a finding.
    pub fn check_expecting(&self, expected: Option<EntryHead>) -> Result<CheckReport> {
        let mut findings = Findings::default();
        let mut report = CheckReport::default();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.check_into(expected, &mut report, &mut findings)
        }));
        let failure = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(LedgerError::Corrupt(message))) => Some(message),
            Ok(Err(err)) => Some(err.to_string()),
            Err(panic) => Some(panic_message(panic.as_ref())),
        };
        if let Some(message) = failure {
            findings.add("storage", LedgerError::Corrupt(message).to_string());
        }
        report.findings = findings.list;
        report.more_findings = findings.more;
        Ok(report)
    }

    fn check_into(
        &self,
        expected: Option<EntryHead>,
        report: &mut CheckReport,
        findings: &mut Findings,
    ) -> Result<()> {
        let view = self.read()?;
        let mut from_entries = SumsBuilder::default();
        let mut party_sums = SumsBuilder::default();
        let mut validated = 0u64;
        let mut by_date: Vec<(i32, u64)> = Vec::new();
        let drafts = view.table(DRAFTS)?;
        let hashes = view.table(ENTRY_HASHES)?;
        let numbers = view.table(NUMBERS)?;
        let mut open_items = super::open_items::OpenRecompute::new(
            &view.table(ACCOUNTS)?,
            view.table_if_exists(super::lettering::LETTER_GROUPS)?
                .as_ref(),
            &mut |_| {},
        )?;
        open_items.skip_closed_years(&view.years()?);
        let mut chain = ChainVerifier {
            table: &hashes,
            rows: hashes.range::<u64>(..)?.peekable(),
            prev: (0, [0; 32]),
            canonical: Vec::new(),
            verified: 0,
        };
        for item in view.table(ENTRIES)?.range::<u64>(..)? {
            let (key, value) = item?;
            let id = key.value();
            let entry = match decode_entry(value.value(), id) {
                Ok(entry) => entry,
                Err(err) => {
                    findings.add("entry", err.to_string());
                    continue;
                }
            };
            report.entries = report.entries.saturating_add(1);
            report.lines = report.lines.saturating_add(entry.lines.len() as u64);
            by_date.push((day(entry.date), id));
            let is_draft_indexed = drafts.get(id)?.is_some();
            match entry.status {
                EntryStatus::Draft if !is_draft_indexed => findings.add(
                    "index",
                    format!("draft #{id} is missing from the drafts index"),
                ),
                EntryStatus::Validated if is_draft_indexed => findings.add(
                    "index",
                    format!(
                        "validated entry {} is still listed as a draft",
                        entry.reference()
                    ),
                ),
                EntryStatus::Validated if entry.number.is_none() => {
                    findings.add("numbering", format!("validated entry #{id} has no number"))
                }
                EntryStatus::Validated => {
                    validated = validated.saturating_add(1);
                    chain.verify(&entry, findings)?;
                    if let Some(n) = &entry.number {
                        let listed = numbers.get((n.journal.as_str(), n.year.as_str(), n.seq))?;
                        let listed = listed.map(|v| v.value());
                        if listed != Some(id) {
                            findings.add(
                                "numbering",
                                format!(
                                    "number {n} of entry #{id} points to {}",
                                    listed.map_or("no entry".into(), |other| format!(
                                        "entry #{other}"
                                    ))
                                ),
                            );
                        }
                    }
                }
                EntryStatus::Draft => {}
            }
            open_items.add(&entry);
            let period = Period::of(entry.date).key();
            for line in &entry.lines {
                from_entries.add(line.account.as_str(), period, line);
                if let Some(party) = &line.third_party {
                    party_sums.add(party, period, line);
                }
            }
        }
        let (from_entries, party_sums) = (from_entries.finish(), party_sums.finish());
        let from_index = sums_from_index(&view.table(LINES_BY_ACCOUNT)?)?;
        compare(
            "lines",
            &from_entries,
            "the account index",
            &from_index,
            findings,
        );
        let stored = stored_totals(&view.table(TOTALS)?)?;
        compare(
            "lines",
            &from_entries,
            "the running totals",
            &stored,
            findings,
        );
        let party_index = sums_from_index(&view.table(LINES_BY_PARTY)?)?;
        compare(
            "lines",
            &party_sums,
            "the third-party index",
            &party_index,
            findings,
        );
        let party_stored = stored_totals(&view.table(PARTY_TOTALS)?)?;
        compare(
            "lines",
            &party_sums,
            "the third-party totals",
            &party_stored,
            findings,
        );
        check_date_index(&view, by_date, findings)?;
        check_numbering(&view, validated, findings)?;
        let audit_heads = {
            let (records, heads) = check_audit(&view, findings)?;
            report.audit_records = records;
            heads
        };
        let verified = chain.verified;
        drop(chain);
        let head = check_entry_chain(&view, validated, verified, &audit_heads, expected, findings)?;
        report.chained_entries = head.1;
        report.entry_chain_head = format_head(head.0);
        super::check_vat::check_pending_vat(&view, &mut |m| findings.add("vat", m))?;
        super::vat_index::check_vat_index(&view, &mut |m| findings.add("vat", m))?;
        check_stored_fecs(&view, findings)?;
        super::lettering::check_groups(&view, &mut |m| findings.add("lettering", m))?;
        super::open_items::check_open_index(&view, open_items, &mut |m| findings.add("index", m))?;
        super::carried::check_origins(&view, &mut |m| findings.add("closing", m))?;
        super::bank::check_marks(&view, &mut |m| findings.add("bank", m))?;
        report.information = super::lettering_import::imported_marks(&view)?
            .into_iter()
            .map(|message| Finding {
                area: "lettering",
                message,
            })
            .collect();
        check_envelopes(&view, findings)?;
        Ok(())
    }
}

/// Every other stored value's envelope: its checksum, and for the records a command reads
/// whole (accounts, journals, third parties, fiscal years) its decoding.
fn check_envelopes(view: &View, findings: &mut Findings) -> Result<()> {
    use super::codec::payload;
    use crate::model::{Account, FiscalYear, Journal, Party};
    fn named<V: serde::de::DeserializeOwned>(
        view: &View,
        def: redb::TableDefinition<&'static str, Bytes>,
        what: &str,
        findings: &mut Findings,
    ) -> Result<()> {
        if let Some(table) = view.table_if_exists(def)? {
            for item in table.range::<&str>(..)? {
                let (key, value) = item?;
                if let Err(err) =
                    super::codec::decode::<V>(value.value(), &format!("{what} {}", key.value()))
                {
                    findings.add("storage", err.to_string());
                }
            }
        }
        Ok(())
    }
    named::<Account>(view, ACCOUNTS, "account", findings)?;
    named::<Journal>(view, JOURNALS, "journal", findings)?;
    named::<Party>(view, PARTIES, "third party", findings)?;
    named::<super::sepa::PartySepa>(
        view,
        super::sepa::PARTY_SEPA,
        "SEPA details of third party",
        findings,
    )?;
    if let Some(meta) = view.table_if_exists(META)? {
        for item in meta.range::<&str>(..)? {
            let (key, value) = item?;
            if let Err(err) = payload(value.value(), &format!("ledger setting `{}`", key.value())) {
                findings.add("storage", err.to_string());
            }
        }
    }
    for item in view.table(YEARS)?.range::<i32>(..)? {
        let (_, value) = item?;
        if let Err(err) = super::codec::decode::<FiscalYear>(value.value(), "fiscal year") {
            findings.add("storage", err.to_string());
        }
    }
    for (def, what) in [
        (DOCUMENTS, "document"),
        (POSTED, "posted totals"),
        (WHY, "account rules"),
        (PARKED, "parked entry"),
    ] {
        if let Some(table) = view.table_if_exists(def)? {
            for item in table.range::<u64>(..)? {
                let (key, value) = item?;
                if let Err(err) = payload(value.value(), &format!("{what} #{}", key.value())) {
                    findings.add("storage", err.to_string());
                }
            }
        }
    }
    if let Some(table) = view.table_if_exists(LETTERING)? {
        for item in table.range::<(u64, u32)>(..)? {
            let (key, value) = item?;
            let (entry, line) = key.value();
            if let Err(err) = payload(
                value.value(),
                &format!("lettering of entry #{entry} line {line}"),
            ) {
                findings.add("storage", err.to_string());
            }
        }
    }
    Ok(())
}

/// Sums per (account or party, period), looked up by `&str` so that adding a line allocates
/// nothing once its account was seen.
#[derive(Default)]
struct SumsBuilder {
    by_key: HashMap<String, HashMap<u32, (i64, i64)>>,
}

impl SumsBuilder {
    fn add(&mut self, key: &str, period: u32, line: &crate::model::Line) {
        self.add_amounts(key, period, line.debit.cents(), line.credit.cents());
    }

    fn add_amounts(&mut self, key: &str, period: u32, debit: i64, credit: i64) {
        let periods = match self.by_key.get_mut(key) {
            Some(periods) => periods,
            None => self.by_key.entry(key.to_string()).or_default(),
        };
        let slot = periods.entry(period).or_default();
        slot.0 = slot.0.saturating_add(debit);
        slot.1 = slot.1.saturating_add(credit);
    }

    fn finish(self) -> Sums {
        self.by_key
            .into_iter()
            .flat_map(|(key, periods)| {
                periods
                    .into_iter()
                    .map(move |(period, sums)| ((key.clone(), period), sums))
            })
            .collect()
    }
}

/// Every entry once in the date index, under its own date.
fn check_date_index(
    view: &View,
    mut from_entries: Vec<(i32, u64)>,
    findings: &mut Findings,
) -> Result<()> {
    from_entries.sort_unstable();
    let index = view.table(ENTRIES_BY_DATE)?;
    let mut expected = from_entries.into_iter().peekable();
    let mut found = index.range::<(i32, u64)>(..)?.peekable();
    loop {
        let next_found = match found.peek() {
            Some(Ok((key, _))) => Some(key.value()),
            Some(Err(_)) => {
                found.next().transpose()?;
                None
            }
            None => None,
        };
        match (expected.peek().copied(), next_found) {
            (None, None) => return Ok(()),
            (Some(a), Some(b)) if a == b => {
                expected.next();
                found.next();
            }
            (Some(a), Some(b)) if a > b => {
                not_its_date(b, findings);
                found.next();
            }
            (Some(a), _) => {
                findings.add(
                    "index",
                    format!(
                        "entry #{} of {} is missing from the date index",
                        a.1,
                        super::store::from_day(a.0)
                    ),
                );
                expected.next();
            }
            (None, Some(b)) => {
                not_its_date(b, findings);
                found.next();
            }
        }
    }
}

fn not_its_date((date, id): (i32, u64), findings: &mut Findings) {
    findings.add(
        "index",
        format!(
            "the date index lists entry #{id} on {}, which is not its date",
            super::store::from_day(date)
        ),
    );
}

/// The message of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a read failed".into());
    format!("reading it failed ({text})")
}

/// Verifies validated entries against the entry chain as the entry scan meets them (in id
/// order, which is validation order for most entries: the chain's rows are then read in one
/// pass; the others are looked up).
struct ChainVerifier<'a> {
    table: &'a redb::ReadOnlyTable<u64, (u64, [u8; 32])>,
    rows: std::iter::Peekable<redb::Range<'a, u64, (u64, [u8; 32])>>,
    /// The last row the cursor passed.
    prev: EntryHead,
    canonical: Vec<u8>,
    /// Entries whose row names them and whose hash was recomputed.
    verified: u64,
}

impl ChainVerifier<'_> {
    fn verify(&mut self, entry: &crate::model::Entry, findings: &mut Findings) -> Result<()> {
        let Some(seq) = entry.validation_seq else {
            return Ok(());
        };
        loop {
            match self.rows.peek() {
                Some(Ok((key, row))) if key.value() < seq => {
                    self.prev = (key.value(), row.value().1);
                    self.rows.next();
                }
                Some(Err(_)) => {
                    self.rows.next().transpose()?;
                }
                _ => break,
            }
        }
        let (prev, row) = match self.rows.peek() {
            Some(Ok((key, row))) if key.value() == seq => (self.prev.1, Some(row.value())),
            _ => {
                let row = self.table.get(seq)?.map(|v| v.value());
                let prev = match self.table.range::<u64>(..seq)?.next_back() {
                    Some(item) => item?.1.value().1,
                    None => [0; 32],
                };
                (prev, row)
            }
        };
        match row {
            None => findings.add(
                "chain",
                format!(
                    "validated entry {} is missing from the entry chain",
                    entry.reference()
                ),
            ),
            Some((id, _)) if id != entry.id => findings.add(
                "chain",
                format!(
                    "the entry chain gives validation {seq} to entry #{id}, not to {}",
                    entry.reference()
                ),
            ),
            Some((_, stored)) => {
                self.verified = self.verified.saturating_add(1);
                if entry_hash(&prev, entry, &mut self.canonical) != stored {
                    findings.add(
                        "chain",
                        format!(
                            "entry {} was altered after validation (its hash in the entry \
                             chain does not match its content)",
                            entry.reference()
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

/// Walks the entry chain's rows: its head against the ledger's, against every audit
/// record's and against an expected one. Returns the head and the number of rows.
fn check_entry_chain(
    view: &View,
    validated: u64,
    verified: u64,
    audit_heads: &[EntryHead],
    expected: Option<EntryHead>,
    findings: &mut Findings,
) -> Result<(EntryHead, u64)> {
    let hashes = view.table(ENTRY_HASHES)?;
    let mut prev: EntryHead = (0, [0; 32]);
    let mut count = 0u64;
    let mut heads = audit_heads.iter().peekable();
    let mut expected = expected;
    for item in hashes.range::<u64>(..)? {
        let (key, value) = item?;
        let seq = key.value();
        let (_, stored) = value.value();
        count = count.saturating_add(1);
        while let Some(head) = heads.next_if(|h| h.0 <= seq) {
            if *head != (seq, stored) {
                findings.add(
                    "chain",
                    format!(
                        "the audit log recorded the entry chain at {} but the chain now says {}",
                        format_head(*head),
                        if head.0 == seq {
                            format_head((seq, stored))
                        } else {
                            format!("no validation {}", head.0)
                        }
                    ),
                );
            }
        }
        if let Some(wanted) = expected.filter(|w| w.0 <= seq) {
            if wanted != (seq, stored) {
                findings.add(
                    "chain",
                    format!(
                        "the entry chain does not hold the expected head {}",
                        format_head(wanted)
                    ),
                );
            }
            expected = None;
        }
        prev = (seq, stored);
    }
    for head in heads {
        findings.add(
            "chain",
            format!(
                "the audit log recorded the entry chain at {} but the chain ends at {}",
                format_head(*head),
                format_head(prev)
            ),
        );
    }
    if let Some(wanted) = expected.filter(|w| w.0 != 0 || *w != prev) {
        findings.add(
            "chain",
            format!(
                "the entry chain does not hold the expected head {} (it ends at {})",
                format_head(wanted),
                format_head(prev)
            ),
        );
    }
    let head: EntryHead = view.meta("entry_head")?.unwrap_or((0, [0; 32]));
    if head != prev {
        findings.add(
            "chain",
            format!(
                "the ledger's entry chain head {} is not the chain's last hash {}",
                format_head(head),
                format_head(prev)
            ),
        );
    }
    if count != validated || verified != count {
        findings.add(
            "chain",
            format!(
                "{validated} validated entries, {count} in the entry chain, {verified} found there"
            ),
        );
    }
    Ok((prev, count))
}

/// Every closed year's stored FEC still has the hash it was stored with.
fn check_stored_fecs(view: &View, findings: &mut Findings) -> Result<()> {
    let fecs = view.table_if_exists(CLOSED_FECS)?;
    let chunks = view.table_if_exists(CLOSED_FEC_CHUNKS)?;
    for year in view.years()? {
        let stored = match &fecs {
            Some(fecs) => super::export::stored_fec(fecs, &year)?,
            None => None,
        };
        let Some(stored) = stored else {
            if !year.is_open() {
                findings.add(
                    "fec",
                    format!("closed fiscal year {} has no stored FEC", year.name()),
                );
            }
            continue;
        };
        let verified = match &chunks {
            Some(chunks) => super::export::read_stored_fec(chunks, &year, &stored, |_| Ok(())),
            None => Err(LedgerError::Corrupt(format!(
                "the FEC stored for fiscal year {} has no content",
                year.name()
            ))),
        };
        if let Err(err) = verified {
            findings.add("fec", err.to_string());
        }
    }
    Ok(())
}

fn sums_from_index(table: &impl ReadableTable<(&'static str, i32, u64, u32), i64>) -> Result<Sums> {
    let mut sums = SumsBuilder::default();
    let mut current: Option<(String, i32, u32)> = None;
    for item in table.range::<(&str, i32, u64, u32)>(..)? {
        let (key, value) = item?;
        let (account, date, _, _) = key.value();
        // Dates arrive in order per account: recompute the period only when the day changes.
        let period = match &current {
            Some((a, d, p)) if a == account && *d == date => *p,
            _ => {
                let p = Period::of(super::store::from_day(date)).key();
                current = Some((account.to_string(), date, p));
                p
            }
        };
        let signed = value.value();
        if signed >= 0 {
            sums.add_amounts(account, period, signed, 0);
        } else {
            sums.add_amounts(account, period, 0, signed.saturating_neg());
        }
    }
    Ok(sums.finish())
}

fn stored_totals(table: &impl ReadableTable<(&'static str, u32), (i64, i64)>) -> Result<Sums> {
    let mut sums: Sums = HashMap::new();
    for item in table.range::<(&str, u32)>(..)? {
        let (key, value) = item?;
        let (account, period) = key.value();
        sums.insert((account.to_string(), period), value.value());
    }
    Ok(sums)
}

/// Compares per (account, period) net amounts; the index stores net per line so debit and
/// credit are compared as a balance there, and exactly against the stored totals.
fn compare(a_name: &str, a: &Sums, b_name: &str, b: &Sums, findings: &mut Findings) {
    let keys: BTreeMap<&(String, u32), ()> = a.keys().chain(b.keys()).map(|k| (k, ())).collect();
    for key in keys.keys() {
        let x = a.get(*key).copied().unwrap_or((0, 0));
        let y = b.get(*key).copied().unwrap_or((0, 0));
        let same_net = net(x) == net(y);
        let same = if b_name.contains("index") {
            same_net
        } else {
            x == y
        };
        if !same {
            findings.add(
                "totals",
                format!(
                    "{} in {}: {a_name} give debit {} credit {}, {b_name} say debit {} credit {}",
                    key.0,
                    Period::from_key(key.1),
                    cents(x.0),
                    cents(x.1),
                    cents(y.0),
                    cents(y.1)
                ),
            );
        }
    }
}

/// Debit less credit, exact: two i64 differ by less than 2^64, well inside i128, so the
/// wrapping subtraction never wraps (and a corrupt total near i64::MAX compares correctly).
fn net((debit, credit): (i64, i64)) -> i128 {
    i128::from(debit).wrapping_sub(i128::from(credit))
}

fn cents(value: i64) -> crate::model::Amount {
    crate::model::Amount::from_cents(value)
}

fn check_numbering(view: &View, validated: u64, findings: &mut Findings) -> Result<()> {
    let numbers = view.table(NUMBERS)?;
    let counters = view.table(NUMBER_COUNTERS)?;
    let mut seen: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut count = 0u64;
    for item in numbers.range::<(&str, &str, u64)>(..)? {
        // That each validated entry's number leads back to it was seen by the entry scan;
        // with as many numbers as validated entries (below), no number leads elsewhere.
        let (key, _) = item?;
        let (journal, year, seq) = key.value();
        count = count.saturating_add(1);
        let last = seen
            .entry((journal.to_string(), year.to_string()))
            .or_insert(0);
        if last.checked_add(1) != Some(seq) {
            findings.add(
                "numbering",
                format!(
                    "journal {journal} year {year}: number {} follows {} (gap or duplicate)",
                    seq, last
                ),
            );
        }
        *last = seq;
    }
    for ((journal, year), last) in &seen {
        let counter = counters
            .get((journal.as_str(), year.as_str()))?
            .map(|v| v.value())
            .unwrap_or(0);
        if counter != *last {
            findings.add(
                "numbering",
                format!("journal {journal} year {year}: counter at {counter}, last number {last}"),
            );
        }
    }
    if count != validated {
        findings.add(
            "numbering",
            format!("{validated} validated entries but {count} numbers given"),
        );
    }
    Ok(())
}

/// Verifies the audit chain; returns the number of records and the entry chain heads they
/// recorded, in order.
fn check_audit(view: &View, findings: &mut Findings) -> Result<(u64, Vec<EntryHead>)> {
    let log = view.table(AUDIT)?;
    let mut prev: Option<AuditRecord> = None;
    let mut heads: Vec<EntryHead> = Vec::new();
    for item in log.range::<u64>(..)? {
        let (_, value) = item?;
        let checked = decode_audit(value.value())
            .map_err(|err| err.to_string())
            .and_then(|record| check_link(prev.as_ref(), &record).map(|_| record));
        match checked {
            Ok(record) => {
                // Before the first validation the head is (0, zeros): nothing to compare.
                if let Some(head) = record.entry_head
                    && head.0 > 0
                    && heads.last() != Some(&head)
                {
                    if heads.last().is_some_and(|last| last.0 > head.0) {
                        findings.add(
                            "audit",
                            format!(
                                "audit record {} records the entry chain going back to {}",
                                record.seq,
                                format_head(head)
                            ),
                        );
                    } else {
                        heads.push(head);
                    }
                }
                prev = Some(record);
            }
            Err(message) => {
                findings.add("audit", message);
                return Ok((prev.map(|p| p.seq).unwrap_or(0), heads));
            }
        }
    }
    let head: Option<(u64, [u8; 32])> = view.meta("audit_head")?;
    let tail = prev.as_ref().map(|p| (p.seq, p.hash));
    if head != tail {
        findings.add(
            "audit",
            "the audit log's last record is not the one the ledger points to (records removed?)"
                .into(),
        );
    }
    Ok((prev.map(|p| p.seq).unwrap_or(0), heads))
}
