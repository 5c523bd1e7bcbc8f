//! The VAT index: the tags of VAT-carrying lines beside the lines, a page index of tagged
//! lines per month, tax code and class, and running totals per month, tax code, class and
//! account, all written in the same transaction as the entries (see `vat::tags`).

use std::collections::{BTreeMap, HashMap};

use redb::{ReadableTable, Table, TableDefinition};

use super::codec::{decode, encode};
use super::error::{LedgerError, Result};
use super::store::{Tx, day};
use super::tables::Bytes;
use crate::model::calendar::Period;
use crate::model::{Amount, Entry, EntryId};
use crate::vat::tags::{LineTag, TagClass};

/// (entry, line) -> the line's tags (`Vec<LineTag>`).
pub const VAT_TAGS: TableDefinition<(u64, u32), Bytes> = TableDefinition::new("vat_tags");
/// (month key, tax code, class, account, date, entry, line) -> (amount cents, base cents):
/// a box's lines, page by page.
pub const VAT_LINES: TableDefinition<VatLineKey, (i64, i64)> = TableDefinition::new("vat_lines");
pub type VatLineKey = (u32, &'static str, u32, &'static str, i32, u64, u32);
/// (month key, tax code, class, account) -> (debit cents, credit cents, base cents, lines).
pub const VAT_TOTALS: TableDefinition<VatTotalKey, (i64, i64, i64, u64)> =
    TableDefinition::new("vat_totals");
pub type VatTotalKey = (u32, &'static str, u32, &'static str);

type TotalsByKey = BTreeMap<(u32, String, u32, String), (i64, i64, i64, u64)>;

/// Pending changes of `VAT_TOTALS`, written at the end of the command.
pub(crate) type VatDelta = HashMap<(u32, String, u32, String), (i64, i64, i64, i64)>;

pub(crate) struct VatTables<'t> {
    pub tags: Table<'t, (u64, u32), Bytes>,
    pub lines: Table<'t, VatLineKey, (i64, i64)>,
    pub totals: Table<'t, VatTotalKey, (i64, i64, i64, u64)>,
    pub delta: VatDelta,
}

impl<'t> VatTables<'t> {
    pub fn open(txn: &'t redb::WriteTransaction) -> Result<Self> {
        Ok(VatTables {
            tags: txn.open_table(VAT_TAGS)?,
            lines: txn.open_table(VAT_LINES)?,
            totals: txn.open_table(VAT_TOTALS)?,
            delta: HashMap::new(),
        })
    }

    pub fn flush(&mut self) -> Result<()> {
        for ((month, code, class, account), (debit, credit, base, count)) in
            std::mem::take(&mut self.delta)
        {
            if (debit, credit, base, count) == (0, 0, 0, 0) {
                continue;
            }
            let key = (month, code.as_str(), class, account.as_str());
            let current = self
                .totals
                .get(key)?
                .map(|v| v.value())
                .unwrap_or((0, 0, 0, 0));
            let overflow = || LedgerError::Invalid {
                field: "amount",
                reason: format!("the VAT total of {code} on {account} is too large"),
            };
            let lines = i64::try_from(current.3)
                .ok()
                .and_then(|c| c.checked_add(count))
                .and_then(|c| u64::try_from(c).ok())
                .ok_or_else(|| LedgerError::Corrupt("VAT totals: negative line count".into()))?;
            let updated = (
                current.0.checked_add(debit).ok_or_else(overflow)?,
                current.1.checked_add(credit).ok_or_else(overflow)?,
                current.2.checked_add(base).ok_or_else(overflow)?,
                lines,
            );
            if updated == (0, 0, 0, 0) {
                self.totals.remove(key)?;
            } else {
                self.totals.insert(key, updated)?;
            }
        }
        Ok(())
    }
}

/// A tag's (debit, credit) split of its signed amount.
fn sides(amount: i64) -> (i64, i64) {
    if amount >= 0 {
        (amount, 0)
    } else {
        (0, amount.saturating_neg())
    }
}

fn add_delta(delta: &mut VatDelta, key: (u32, String, u32, String), tag: &LineTag, sign: i64) {
    let (debit, credit) = sides(tag.amount.cents());
    let slot = delta.entry(key).or_insert((0, 0, 0, 0));
    // Totals are bounded by the account totals the same lines already passed through.
    slot.0 = slot.0.saturating_add(sign.saturating_mul(debit));
    slot.1 = slot.1.saturating_add(sign.saturating_mul(credit));
    slot.2 = slot.2.saturating_add(sign.saturating_mul(tag.base.cents()));
    slot.3 = slot.3.saturating_add(sign);
}

/// Merges the tags of one line that share a code and class (a line is listed once per box).
pub(crate) fn merge_tags(tags: Vec<LineTag>) -> Vec<LineTag> {
    let mut out: Vec<LineTag> = Vec::with_capacity(tags.len());
    for tag in tags {
        match out
            .iter_mut()
            .find(|t| t.code == tag.code && TagClass::of(t) == TagClass::of(&tag))
        {
            Some(existing) => {
                existing.amount = existing
                    .amount
                    .checked_add(tag.amount)
                    .unwrap_or(existing.amount);
                existing.base = existing.base.checked_add(tag.base).unwrap_or(existing.base);
            }
            None => out.push(tag),
        }
    }
    out
}

impl Tx<'_> {
    /// Writes an entry with the VAT tags of its lines (line index, tag).
    pub fn insert_entry_tagged(&mut self, entry: &Entry, tags: &[(u32, LineTag)]) -> Result<()> {
        self.insert_entry(entry)?;
        self.tag_lines(entry, tags)
    }

    /// Tags lines of an entry just written.
    pub(crate) fn tag_lines(&mut self, entry: &Entry, tags: &[(u32, LineTag)]) -> Result<()> {
        let mut by_line: BTreeMap<u32, Vec<LineTag>> = BTreeMap::new();
        for (line, tag) in tags {
            if (*line as usize) >= entry.lines.len() {
                return Err(LedgerError::Corrupt(format!(
                    "a VAT tag names line {} of entry {}, which has {} lines",
                    line.saturating_add(1),
                    entry.reference(),
                    entry.lines.len()
                )));
            }
            by_line.entry(*line).or_default().push(tag.clone());
        }
        let month = Period::of(entry.date).key();
        let date = day(entry.date);
        for (line, tags) in by_line {
            let tags = merge_tags(tags);
            let account = entry.lines[line as usize].account.as_str();
            for tag in &tags {
                let class = TagClass::of(tag).0;
                self.vat.lines.insert(
                    (
                        month,
                        tag.code.as_str(),
                        class,
                        account,
                        date,
                        entry.id,
                        line,
                    ),
                    (tag.amount.cents(), tag.base.cents()),
                )?;
                add_delta(
                    &mut self.vat.delta,
                    (month, tag.code.clone(), class, account.to_string()),
                    tag,
                    1,
                );
            }
            self.vat
                .tags
                .insert((entry.id, line), encode(&tags)?.as_slice())?;
        }
        Ok(())
    }

    /// The tags of an entry's lines.
    pub fn entry_tags(&self, id: EntryId) -> Result<Vec<(u32, LineTag)>> {
        read_entry_tags(&self.vat.tags, id)
    }

    /// Removes the tags of an entry being removed.
    pub(crate) fn untag_entry(&mut self, entry: &Entry) -> Result<()> {
        let tags = self.entry_tags(entry.id)?;
        let month = Period::of(entry.date).key();
        let date = day(entry.date);
        for (line, tag) in &tags {
            let Some(account) = entry.lines.get(*line as usize).map(|l| l.account.as_str()) else {
                continue;
            };
            let class = TagClass::of(tag).0;
            self.vat.lines.remove((
                month,
                tag.code.as_str(),
                class,
                account,
                date,
                entry.id,
                *line,
            ))?;
            add_delta(
                &mut self.vat.delta,
                (month, tag.code.clone(), class, account.to_string()),
                tag,
                -1,
            );
            self.vat.tags.remove((entry.id, *line))?;
        }
        Ok(())
    }

    /// Gives a reversal the tags of the entry it reverses, amounts and bases negated.
    pub(crate) fn tag_reversal(&mut self, original: &Entry, reversal: &Entry) -> Result<()> {
        let tags: Vec<(u32, LineTag)> = self
            .entry_tags(original.id)?
            .into_iter()
            .map(|(line, tag)| {
                (
                    line,
                    LineTag {
                        amount: Amount::from_cents(tag.amount.cents().saturating_neg()),
                        base: Amount::from_cents(tag.base.cents().saturating_neg()),
                        ..tag
                    },
                )
            })
            .collect();
        self.tag_lines(reversal, &tags)
    }
}

impl super::Ledger {
    /// The tax code of each line of an entry (`None` for an untagged line), as the entry grid
    /// shows them; a line with tags of several codes shows the first.
    pub fn entry_tax_codes(&self, id: EntryId) -> Result<Vec<Option<String>>> {
        let view = self.read()?;
        let entry = view
            .entry_opt(id)?
            .ok_or_else(|| LedgerError::EntryNotFound(format!("#{id}")))?;
        let mut codes = vec![None; entry.lines.len()];
        if let Some(table) = view.table_if_exists(VAT_TAGS)? {
            for (line, tag) in read_entry_tags(&table, id)? {
                if let Some(slot) = codes.get_mut(line as usize)
                    && slot.is_none()
                {
                    *slot = Some(tag.code);
                }
            }
        }
        Ok(codes)
    }
}

pub(crate) fn read_entry_tags(
    table: &impl ReadableTable<(u64, u32), Bytes>,
    id: EntryId,
) -> Result<Vec<(u32, LineTag)>> {
    let mut out = Vec::new();
    for item in table.range((id, 0)..=(id, u32::MAX))? {
        let (key, value) = item?;
        let line = key.value().1;
        let tags: Vec<LineTag> = decode(value.value(), "VAT tags")?;
        out.extend(tags.into_iter().map(|t| (line, t)));
    }
    Ok(out)
}

/// The tags of a generated entry from what the engine says each line carries. A tax code the
/// settings no longer know leaves its lines untagged (the worksheet reports them).
pub(crate) fn posting_tags(
    posting: &crate::posting::Posting,
    settings: &crate::model::settings::Settings,
) -> Vec<(u32, LineTag)> {
    use crate::posting::LineVatKind;
    use crate::vat::tags::{TagRole, base_tag, exempt_operation, operation_of};
    let mut out = Vec::new();
    for (i, posted) in posting.lines.iter().enumerate() {
        for vat in &posted.vat {
            let Some(code) = settings.tax(&vat.code) else {
                continue;
            };
            let tax_role = match code.kind {
                crate::model::tax::TaxKind::Collected => TagRole::Collected,
                crate::model::tax::TaxKind::Deductible => TagRole::Deductible,
            };
            let with = |role, exigibility| LineTag {
                code: code.code.clone(),
                role,
                amount: vat.amount,
                base: vat.base,
                operation: operation_of(code),
                exigibility,
            };
            use crate::model::tax::Exigibility::{OnInvoice, OnPayment};
            let tag = match &vat.kind {
                LineVatKind::Base => base_tag(code, vat.amount),
                LineVatKind::ExemptBase(b) => LineTag {
                    operation: exempt_operation(b.as_deref()),
                    exigibility: OnInvoice,
                    ..base_tag(code, vat.amount)
                },
                LineVatKind::Tax => with(tax_role, OnInvoice),
                LineVatKind::ReverseCharge => with(TagRole::Collected, OnInvoice),
                LineVatKind::Pending | LineVatKind::Released => with(TagRole::Waiting, OnInvoice),
                LineVatKind::Due => with(tax_role, OnPayment),
            };
            out.push((i as u32, tag));
        }
    }
    out
}

/// `folio check`: recomputes the VAT totals and the page index from the tags and the entries
/// and compares them with what is stored.
pub(crate) fn check_vat_index(
    view: &super::store::View,
    add: &mut dyn FnMut(String),
) -> Result<()> {
    let Some(tags) = view.table_if_exists(VAT_TAGS)? else {
        return Ok(());
    };
    let mut totals: TotalsByKey = BTreeMap::new();
    let mut expected_lines: u64 = 0;
    let lines = view.table_if_exists(VAT_LINES)?;
    let mut current: Option<Entry> = None;
    for item in tags.range::<(u64, u32)>(..)? {
        let (key, value) = item?;
        let (id, line) = key.value();
        let tags: Vec<LineTag> = decode(value.value(), "VAT tags")?;
        if current.as_ref().is_none_or(|e| e.id != id) {
            current = view.entry_opt(id)?;
        }
        let Some(entry) = &current else {
            add(format!("VAT tags of entry #{id}, which does not exist"));
            continue;
        };
        let Some(l) = entry.lines.get(line as usize) else {
            add(format!(
                "VAT tags of line {} of entry {}, which has {} lines",
                line.saturating_add(1),
                entry.reference(),
                entry.lines.len()
            ));
            continue;
        };
        let mut sum = 0i64;
        let month = Period::of(entry.date).key();
        for tag in &tags {
            sum = sum.saturating_add(tag.amount.cents());
            let class = TagClass::of(tag).0;
            let (d, c) = sides(tag.amount.cents());
            let slot = totals
                .entry((
                    month,
                    tag.code.clone(),
                    class,
                    l.account.as_str().to_string(),
                ))
                .or_default();
            slot.0 = slot.0.saturating_add(d);
            slot.1 = slot.1.saturating_add(c);
            slot.2 = slot.2.saturating_add(tag.base.cents());
            slot.3 = slot.3.saturating_add(1);
            expected_lines = expected_lines.saturating_add(1);
            let indexed = match &lines {
                Some(t) => t
                    .get((
                        month,
                        tag.code.as_str(),
                        class,
                        l.account.as_str(),
                        day(entry.date),
                        id,
                        line,
                    ))?
                    .map(|v| v.value()),
                None => None,
            };
            if indexed != Some((tag.amount.cents(), tag.base.cents())) {
                add(format!(
                    "line {} of entry {} tagged {} is missing from the VAT line index",
                    line.saturating_add(1),
                    entry.reference(),
                    tag.code
                ));
            }
        }
        if sum != l.signed().cents()
            && !tags
                .iter()
                .any(|t| t.role == crate::vat::tags::TagRole::Base)
        {
            add(format!(
                "line {} of entry {}: its VAT tag covers {} of {}",
                line.saturating_add(1),
                entry.reference(),
                Amount::from_cents(sum),
                l.signed()
            ));
        }
    }
    let mut stored: TotalsByKey = BTreeMap::new();
    if let Some(table) = view.table_if_exists(VAT_TOTALS)? {
        for item in table.range::<VatTotalKey>(..)? {
            let (key, value) = item?;
            let (m, code, class, account) = key.value();
            stored.insert(
                (m, code.to_string(), class, account.to_string()),
                value.value(),
            );
        }
    }
    if stored != totals {
        let keys: std::collections::BTreeSet<_> =
            stored.keys().chain(totals.keys()).cloned().collect();
        for key in keys {
            let (a, b) = (stored.get(&key), totals.get(&key));
            if a != b {
                add(format!(
                    "VAT totals of {} tax code {} on {}: stored {:?}, recomputed from the tags {:?}",
                    Period::from_key(key.0),
                    key.1,
                    key.3,
                    a,
                    b
                ));
            }
        }
    }
    if let Some(t) = &lines {
        let count = redb::ReadableTableMetadata::len(t)?;
        if count != expected_lines {
            add(format!(
                "the VAT line index holds {count} rows for {expected_lines} tags"
            ));
        }
    }
    Ok(())
}

/// The tags of an entry's lines tagged by hand with a tax code (one optional code per line):
/// base lines first, so that a tax line of the same code takes their base. An unknown code is
/// refused, naming the line.
pub(crate) fn manual_tags(
    tx: &Tx<'_>,
    entry: &Entry,
    codes: &[Option<String>],
) -> Result<Vec<(u32, LineTag)>> {
    if codes.iter().all(Option::is_none) {
        return Ok(Vec::new());
    }
    let settings: crate::model::settings::Settings =
        tx.get_meta("settings")?
            .ok_or_else(|| LedgerError::Invalid {
                field: "tax",
                reason: "this ledger has no posting settings, hence no tax codes".into(),
            })?;
    manual_tags_with(&settings, entry, codes)
}

/// `manual_tags` with the settings already read.
pub(crate) fn manual_tags_with(
    settings: &crate::model::settings::Settings,
    entry: &Entry,
    codes: &[Option<String>],
) -> Result<Vec<(u32, LineTag)>> {
    use crate::vat::tags::{TagRole, base_in_direction, manual_tag};
    let mut out: Vec<(u32, LineTag)> = Vec::new();
    let mut resolved = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let Some(code) = code.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
            continue;
        };
        let Some(line) = entry.lines.get(i) else {
            return Err(LedgerError::Invalid {
                field: "tax",
                reason: format!("line {}: there is no such line", i.saturating_add(1)),
            });
        };
        let tax = settings.tax(code).ok_or_else(|| LedgerError::Invalid {
            field: "tax",
            reason: format!(
                "line {}: unknown tax code `{code}` (folio taxes lists them)",
                i.saturating_add(1)
            ),
        })?;
        resolved.push((i, line, tax));
    }
    let mut bases: HashMap<String, Amount> = HashMap::new();
    for (i, line, tax) in &resolved {
        if !line.account.starts_with("445") {
            let tag = manual_tag(tax, &line.account, line.signed(), None, entry.date);
            let slot = bases.entry(tag.code.clone()).or_insert(Amount::ZERO);
            *slot = slot.checked_add(base_in_direction(&tag)).unwrap_or(*slot);
            out.push((*i as u32, tag));
        }
    }
    for (i, line, tax) in &resolved {
        if line.account.starts_with("445") {
            let tag = manual_tag(
                tax,
                &line.account,
                line.signed(),
                bases.get(&tax.code).copied(),
                entry.date,
            );
            debug_assert!(tag.role != TagRole::Base);
            out.push((*i as u32, tag));
        }
    }
    Ok(out)
}
