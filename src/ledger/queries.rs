//! Read side: snapshots of the ledger for reports, the CLI and the TUI.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use redb::{ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};

use super::Ledger;
use super::audit::AuditRecord;
pub use super::carried::LineOrigin;
use super::carried::{CARRIED_ORIGINS, origin_of};
use super::codec::decode;
use super::error::{LedgerError, Result, add_cents, sub_cents};
use super::store::{View, day, decode_audit, from_day};
use super::tables::*;
use crate::model::calendar::Period;
use crate::model::{
    Account, AccountNumber, Amount, Company, Entry, EntryId, EntryNumber, FiscalYear, Journal,
    Party,
};
pub use crate::reports::BalanceRow;

/// One line of an account's (or a third party's) ledger, with the running balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRow {
    pub date: NaiveDate,
    pub entry_id: EntryId,
    pub line_no: u32,
    pub reference: String,
    pub journal: String,
    pub piece: String,
    pub label: String,
    pub account: AccountNumber,
    pub third_party: Option<String>,
    pub debit: Amount,
    pub credit: Amount,
    pub balance: Amount,
    pub letter: Option<String>,
    /// The entry is validated (not a draft). Screens only: listings print the number.
    #[serde(skip)]
    pub validated: bool,
    /// The entry's other accounts, each once, in line order (the contra accounts). Screens only.
    #[serde(skip)]
    pub counterparts: Vec<AccountNumber>,
    /// When the invoice or credit note the entry was generated from falls due (third-party
    /// lines only; for a line carried into an opening entry, its origin's). Screens only.
    #[serde(skip)]
    pub due: Option<NaiveDate>,
    /// For a line an opening entry carried from the closed year: the date, piece, due date
    /// and entry of the line it stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<LineOrigin>,
}

impl LedgerRow {
    /// The label followed by where a carried line came from (`… (from FA12 VE2026-000012
    /// 2026-03-12)`), as ledgers print it.
    pub fn label_with_origin(&self) -> String {
        LineOrigin::labelled(&self.label, self.origin.as_ref())
    }
}

/// A page of a ledger: the balance brought forward, then up to `limit` rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerPage {
    pub opening_balance: Amount,
    pub rows: Vec<LedgerRow>,
    pub has_more: bool,
}

/// A lettering mark on one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterMark {
    pub code: String,
    pub date: NaiveDate,
}

/// Which entries a listing shows.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub journal: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Ledger {
    pub fn company(&self) -> Result<Company> {
        self.read()?
            .meta("company")?
            .ok_or_else(|| LedgerError::Corrupt("the company record is missing".into()))
    }

    /// How many commands have been committed: a screen re-reads when it moves.
    pub fn change_counter(&self) -> Result<u64> {
        Ok(self.read()?.meta("counter")?.unwrap_or(0))
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.read()?.all(ACCOUNTS, "account")
    }

    pub fn account(&self, number: &AccountNumber) -> Result<Account> {
        self.read()?
            .get(ACCOUNTS, number.as_str(), "account")?
            .ok_or_else(|| LedgerError::UnknownAccount(number.to_string()))
    }

    pub fn journals(&self) -> Result<Vec<Journal>> {
        self.read()?.all(JOURNALS, "journal")
    }

    pub fn parties(&self) -> Result<Vec<Party>> {
        self.read()?.all(PARTIES, "third party")
    }

    pub fn party(&self, code: &str) -> Result<Party> {
        self.read()?
            .get(PARTIES, code, "third party")?
            .ok_or_else(|| LedgerError::UnknownParty(code.to_string()))
    }

    pub fn years(&self) -> Result<Vec<FiscalYear>> {
        self.read()?.years()
    }

    pub fn entry(&self, id: EntryId) -> Result<Entry> {
        self.read()?
            .entry_opt(id)?
            .ok_or_else(|| LedgerError::EntryNotFound(format!("#{id}")))
    }

    /// Finds an entry by number (`VE2026-000012`) or id (`42`, `#42`).
    pub fn find_entry(&self, reference: &str) -> Result<Entry> {
        let reference = reference.trim();
        let id_text = reference.strip_prefix('#').unwrap_or(reference);
        if let Ok(id) = id_text.parse::<u64>() {
            return self.entry(id);
        }
        let number = EntryNumber::parse(reference)
            .ok_or_else(|| LedgerError::EntryNotFound(reference.to_string()))?;
        let view = self.read()?;
        let id = view
            .table(NUMBERS)?
            .get((number.journal.as_str(), number.year.as_str(), number.seq))?
            .map(|v| v.value())
            .ok_or_else(|| LedgerError::EntryNotFound(reference.to_string()))?;
        view.entry_opt(id)?
            .ok_or_else(|| LedgerError::Corrupt(format!("number {reference} points to no entry")))
    }

    /// The reversal of an entry, if it was reversed.
    pub fn reversal_of(&self, id: EntryId) -> Result<Option<EntryId>> {
        Ok(self.read()?.table(REVERSALS)?.get(id)?.map(|v| v.value()))
    }

    pub fn draft_count(&self) -> Result<u64> {
        Ok(self.read()?.table(DRAFTS)?.len()?)
    }

    pub fn entry_count(&self) -> Result<u64> {
        Ok(self.read()?.table(ENTRIES)?.len()?)
    }

    /// Entries in date order, filtered by journal and dates.
    pub fn entries(&self, filter: &EntryFilter) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        self.for_each_entry(filter, |entry| {
            out.push(entry);
            Ok(())
        })?;
        Ok(out)
    }

    /// Streams entries in date order without holding them all.
    pub fn for_each_entry(
        &self,
        filter: &EntryFilter,
        mut f: impl FnMut(Entry) -> Result<()>,
    ) -> Result<()> {
        let view = self.read()?;
        let by_date = view.table(ENTRIES_BY_DATE)?;
        let entries = view.table(ENTRIES)?;
        let from = filter.from.map(day).unwrap_or(i32::MIN);
        let to = filter.to.map(day).unwrap_or(i32::MAX);
        for item in by_date.range((from, 0u64)..=(to, u64::MAX))? {
            let id = item?.0.value().1;
            let bytes = entries.get(id)?.ok_or_else(|| {
                LedgerError::Corrupt(format!("date index names missing entry #{id}"))
            })?;
            let entry = super::store::decode_entry(bytes.value(), id)?;
            if filter.journal.as_ref().is_none_or(|j| *j == entry.journal) {
                f(entry)?;
            }
        }
        Ok(())
    }

    /// Per-account debit and credit over a date range, from the running totals; months cut by
    /// the range are completed from the account index (still no entry is decoded).
    pub fn trial_balance(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<BalanceRow>> {
        let view = self.read()?;
        let totals = view.table(TOTALS)?;
        let lines = view.table(LINES_BY_ACCOUNT)?;
        let (first, last) = (Period::of(from), Period::of(to));
        let is_full = |p: Period| p.first_day() >= from && p.last_day() <= to;
        let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut accounts: Vec<String> = Vec::new();
        for item in totals.range::<(&str, u32)>(..)? {
            let (key, value) = item?;
            let (account, period) = key.value();
            if accounts.last().is_none_or(|a| a != account) {
                accounts.push(account.to_string());
            }
            let period = Period::from_key(period);
            if period >= first && period <= last && is_full(period) {
                let (d, c) = value.value();
                let slot = sums.entry(account.to_string()).or_default();
                slot.0 = add_cents(slot.0, d, "total debit")?;
                slot.1 = add_cents(slot.1, c, "total credit")?;
            }
        }
        // Months cut by the range: signed amounts from the account index.
        let mut partial: Vec<(i32, i32)> = Vec::new();
        if from <= to && !is_full(first) {
            partial.push((day(from), day(first.last_day().min(to))));
        }
        if from <= to && last != first && !is_full(last) {
            partial.push((day(last.first_day()), day(to)));
        }
        for account in &accounts {
            for (a, b) in &partial {
                let range =
                    (account.as_str(), *a, 0u64, 0u32)..=(account.as_str(), *b, u64::MAX, u32::MAX);
                for item in lines.range(range)? {
                    let signed = item?.1.value();
                    let slot = sums.entry(account.clone()).or_default();
                    if signed >= 0 {
                        slot.0 = add_cents(slot.0, signed, "total debit")?;
                    } else {
                        slot.1 = sub_cents(slot.1, signed, "total credit")?;
                    }
                }
            }
        }
        let chart = view.table(ACCOUNTS)?;
        let mut rows = Vec::with_capacity(sums.len());
        for (account, (debit, credit)) in sums {
            if debit == 0 && credit == 0 {
                continue;
            }
            let label = match chart.get(account.as_str())? {
                Some(bytes) => decode::<Account>(bytes.value(), "account")?.label,
                None => String::new(),
            };
            let number = AccountNumber::parse(&account)
                .map_err(|_| LedgerError::Corrupt(format!("bad account key {account}")))?;
            rows.push(BalanceRow {
                account: number,
                label,
                debit: Amount::from_cents(debit),
                credit: Amount::from_cents(credit),
            });
        }
        Ok(rows)
    }

    /// Per-account movements brought forward to `to`: from the start of what is carried
    /// forward (see `carry_start`), for balances "as of" a date.
    pub fn balances_at(&self, to: NaiveDate) -> Result<Vec<BalanceRow>> {
        let since = carry_start(&self.years()?, to);
        self.trial_balance(since, to)
    }

    /// Balances of every third party up to `to`.
    pub fn party_balances(&self, to: NaiveDate) -> Result<BTreeMap<String, Amount>> {
        let view = self.read()?;
        let totals = view.table(PARTY_TOTALS)?;
        let limit = Period::of(to).key();
        let since = Period::of(carry_start(&view.years()?, to)).key();
        let mut out: BTreeMap<String, Amount> = BTreeMap::new();
        for item in totals.range::<(&str, u32)>(..)? {
            let (key, value) = item?;
            let (party, period) = key.value();
            if period <= limit && period >= since {
                let (d, c) = value.value();
                let slot = out.entry(party.to_string()).or_default();
                let net = sub_cents(d, c, "third-party balance")?;
                *slot = Amount::from_cents(add_cents(slot.cents(), net, "third-party balance")?);
            }
        }
        Ok(out)
    }

    /// A page of one account's ledger with running balance.
    pub fn account_ledger(
        &self,
        account: &AccountNumber,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        offset: usize,
        limit: usize,
    ) -> Result<LedgerPage> {
        let view = self.read()?;
        ledger_page(
            &view,
            LINES_BY_ACCOUNT,
            TOTALS,
            account.as_str(),
            from,
            to,
            offset,
            limit,
        )
    }

    /// A page of one third party's ledger with running balance.
    pub fn party_ledger(
        &self,
        party: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        offset: usize,
        limit: usize,
    ) -> Result<LedgerPage> {
        let view = self.read()?;
        ledger_page(
            &view,
            LINES_BY_PARTY,
            PARTY_TOTALS,
            party,
            from,
            to,
            offset,
            limit,
        )
    }

    /// Lettering marks of an entry's lines.
    pub fn letters_of(&self, id: EntryId) -> Result<BTreeMap<u32, LetterMark>> {
        let view = self.read()?;
        letters_of(&view.table(LETTERING)?, id)
    }

    /// The audit trail of one record (`entry:42`, `account:512000`, ...), oldest first.
    pub fn history(&self, record: &str) -> Result<Vec<AuditRecord>> {
        let view = self.read()?;
        let index = view.table(AUDIT_BY_RECORD)?;
        let log = view.table(AUDIT)?;
        let mut seqs = Vec::new();
        for item in index.range((record, 0u64)..=(record, u64::MAX))? {
            seqs.push(item?.0.value().1);
        }
        if let Some(id) = record
            .strip_prefix("entry:")
            .and_then(|id| id.parse::<u64>().ok())
        {
            for item in view.table(AUDIT_ENTRY_RANGES)?.range::<u64>(..)? {
                let (seq, range) = item?;
                let (first, last) = range.value();
                if (first..last).contains(&id) {
                    seqs.push(seq.value());
                }
            }
            seqs.sort_unstable();
        }
        let mut out = Vec::new();
        for seq in seqs {
            let bytes = log
                .get(seq)?
                .ok_or_else(|| LedgerError::Corrupt(format!("audit record {seq} is missing")))?;
            out.push(decode_audit(bytes.value())?);
        }
        Ok(out)
    }

    /// The last `limit` audit records, newest last.
    pub fn recent_history(&self, limit: usize) -> Result<Vec<AuditRecord>> {
        let view = self.read()?;
        let log = view.table(AUDIT)?;
        let mut out = Vec::new();
        for item in log.range::<u64>(..)?.rev().take(limit) {
            out.push(decode_audit(item?.1.value())?);
        }
        out.reverse();
        Ok(out)
    }
}

pub(crate) fn letters_of(
    table: &impl ReadableTable<(u64, u32), Bytes>,
    id: EntryId,
) -> Result<BTreeMap<u32, LetterMark>> {
    let mut out = BTreeMap::new();
    for item in table.range((id, 0u32)..=(id, u32::MAX))? {
        let (key, value) = item?;
        out.insert(key.value().1, decode(value.value(), "lettering mark")?);
    }
    Ok(out)
}

pub(super) type LineIndex = redb::TableDefinition<'static, (&'static str, i32, u64, u32), i64>;
pub(super) type TotalsTable = redb::TableDefinition<'static, (&'static str, u32), (i64, i64)>;

/// Balance of `key` strictly before `date`: whole months from totals, the rest from the index.
/// Where balances brought forward start for a date: the first day of its fiscal year when
/// the year before is closed (its balances came back in the opening entry), else further back
/// through the open years.
pub(crate) fn carry_start(years: &[FiscalYear], date: NaiveDate) -> NaiveDate {
    let Some(mut index) = years.iter().rposition(|y| y.start <= date) else {
        return NaiveDate::MIN;
    };
    while let Some(before) = index.checked_sub(1)
        && years[before].is_open()
    {
        index = before;
    }
    if index == 0 {
        NaiveDate::MIN
    } else {
        years[index].start
    }
}

/// Balance of `key` strictly before `date`, from the start of what is carried forward.
pub(super) fn balance_before(
    view: &View,
    index: LineIndex,
    totals: TotalsTable,
    key: &str,
    date: NaiveDate,
) -> Result<Amount> {
    let since = carry_start(&view.years()?, date);
    let period = Period::of(date);
    let mut cents = 0i64;
    for item in view
        .table(totals)?
        .range((key, Period::of(since).key())..(key, period.key().max(Period::of(since).key())))?
    {
        let (d, c) = item?.1.value();
        cents = add_cents(cents, sub_cents(d, c, "balance")?, "balance")?;
    }
    let month_start = day(period.first_day().max(since));
    for item in view
        .table(index)?
        .range((key, month_start, 0u64, 0u32)..(key, day(date), 0u64, 0u32))?
    {
        cents = add_cents(cents, item?.1.value(), "balance")?;
    }
    Ok(Amount::from_cents(cents))
}

#[allow(clippy::too_many_arguments)]
fn ledger_page(
    view: &View,
    index: LineIndex,
    totals: TotalsTable,
    key: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    offset: usize,
    limit: usize,
) -> Result<LedgerPage> {
    let opening_balance = match from {
        Some(from) => balance_before(view, index, totals, key, from)?,
        None => Amount::ZERO,
    };
    let lines = view.table(index)?;
    let _entries = view.table(ENTRIES)?;
    let _lettering = view.table(LETTERING)?;
    let from_day = from.map(day).unwrap_or(i32::MIN);
    let to_day = to.map(day).unwrap_or(i32::MAX);
    let mut range = lines.range((key, from_day, 0u64, 0u32)..=(key, to_day, u64::MAX, u32::MAX))?;
    let mut balance = opening_balance.cents();
    for item in range.by_ref().take(offset) {
        balance = add_cents(balance, item?.1.value(), "running balance")?;
    }
    let mut builder = RowBuilder::new(view)?;
    let mut rows = Vec::new();
    for item in range.by_ref().take(limit) {
        let (k, v) = item?;
        let (_, date, entry_id, line_no) = k.value();
        balance = add_cents(balance, v.value(), "running balance")?;
        rows.push(builder.row(date, entry_id, line_no, Amount::from_cents(balance))?);
    }
    let has_more = range.next().is_some();
    Ok(LedgerPage {
        opening_balance,
        rows,
        has_more,
    })
}

/// Builds ledger rows from line index keys, decoding each entry once for its lines.
pub(crate) struct RowBuilder {
    entries: redb::ReadOnlyTable<u64, Bytes>,
    lettering: redb::ReadOnlyTable<(u64, u32), Bytes>,
    /// Absent from a ledger that never had documents.
    documents: Option<redb::ReadOnlyTable<u64, Bytes>>,
    /// Absent from a ledger that never carried open items into an opening entry.
    origins: Option<redb::ReadOnlyTable<(u64, u32), Bytes>>,
    cache: Option<Entry>,
    /// The contra accounts last computed: an opening entry has thousands of lines on one
    /// account, computed once rather than once a line.
    contra: Option<(EntryId, AccountNumber, Vec<AccountNumber>)>,
}

impl RowBuilder {
    pub(crate) fn new(view: &View) -> Result<Self> {
        Ok(RowBuilder {
            entries: view.table(ENTRIES)?,
            lettering: view.table(LETTERING)?,
            documents: view.table(DOCUMENTS).ok(),
            origins: view.table_if_exists(CARRIED_ORIGINS)?,
            cache: None,
            contra: None,
        })
    }

    fn counterparts(&mut self, entry: &Entry, account: &AccountNumber) -> Vec<AccountNumber> {
        match &self.contra {
            Some((id, of, contra)) if *id == entry.id && of == account => contra.clone(),
            _ => {
                let contra = counterparts(entry, account);
                self.contra = Some((entry.id, account.clone(), contra.clone()));
                contra
            }
        }
    }

    /// The due date of the document an entry was generated from.
    fn due_date(&self, entry: &Entry) -> Result<Option<NaiveDate>> {
        let Some(id) = entry
            .source
            .as_deref()
            .and_then(|s| s.strip_prefix("document:"))
            .and_then(|id| id.parse::<u64>().ok())
        else {
            return Ok(None);
        };
        let Some(documents) = &self.documents else {
            return Ok(None);
        };
        match documents.get(id)? {
            Some(bytes) => {
                let document: crate::model::document::Document = decode(bytes.value(), "document")?;
                Ok(document.due_date)
            }
            None => Ok(None),
        }
    }

    pub(crate) fn row(
        &mut self,
        date: i32,
        entry_id: EntryId,
        line_no: u32,
        balance: Amount,
    ) -> Result<LedgerRow> {
        let entry = match self.cache.take() {
            Some(entry) if entry.id == entry_id => entry,
            _ => {
                let bytes = self.entries.get(entry_id)?.ok_or_else(|| {
                    LedgerError::Corrupt(format!("line index names missing entry #{entry_id}"))
                })?;
                super::store::decode_entry(bytes.value(), entry_id)?
            }
        };
        let line = entry.lines.get(line_no as usize).ok_or_else(|| {
            LedgerError::Corrupt(format!("entry #{entry_id} has no line {line_no}"))
        })?;
        let letter = letters_of(&self.lettering, entry_id)?
            .remove(&line_no)
            .map(|mark| mark.code);
        let origin = match &self.origins {
            Some(table) => origin_of(table, entry_id, line_no)?,
            None => None,
        };
        let due = match (&origin, &line.third_party) {
            (Some(origin), _) => origin.due,
            (None, Some(_)) => self.due_date(&entry)?,
            (None, None) => None,
        };
        let row = LedgerRow {
            date: from_day(date),
            entry_id,
            line_no,
            reference: entry.reference(),
            journal: entry.journal.clone(),
            piece: entry.piece.clone(),
            label: entry.line_label(line).to_string(),
            account: line.account.clone(),
            third_party: line.third_party.clone(),
            debit: line.debit,
            credit: line.credit,
            balance,
            letter,
            validated: entry.is_validated(),
            counterparts: self.counterparts(&entry, &line.account),
            due,
            origin,
        };
        self.cache = Some(entry);
        Ok(row)
    }
}

/// The accounts of an entry other than `account`, each once, in line order.
fn counterparts(entry: &Entry, account: &AccountNumber) -> Vec<AccountNumber> {
    let mut out: Vec<AccountNumber> = Vec::new();
    for line in &entry.lines {
        if line.account != *account && !out.contains(&line.account) {
            out.push(line.account.clone());
        }
    }
    out
}
