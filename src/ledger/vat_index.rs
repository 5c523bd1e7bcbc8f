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
