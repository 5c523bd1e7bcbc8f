//! Write commands: each one transaction, audited.

use chrono::NaiveDate;

use super::error::{LedgerError, Result};
use redb::ReadableTable;

use super::store::{Tx, decode_audit};
use super::{Ctx, Ledger};
use crate::model::calendar::{FiscalYear, Period};
use crate::model::{
    Account, AccountNumber, Entry, EntryId, EntryInput, EntryStatus, Journal, Line, Party, Side,
    sanitize_text,
};

/// Changes to an account; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    pub label: Option<String>,
    pub active: Option<bool>,
    pub letterable: Option<bool>,
    pub reconcilable: Option<bool>,
    pub third_party_required: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct JournalPatch {
    pub label: Option<String>,
    pub active: Option<bool>,
    pub treasury_account: Option<AccountNumber>,
    /// Corrects a kind guessed at import (it only says how the journal is used).
    pub kind: Option<crate::model::JournalKind>,
    /// The bank account of a bank journal (`Some(None)` removes it): how statements find
    /// their treasury account.
    pub bank: Option<Option<super::BankDetails>>,
}

#[derive(Debug, Clone, Default)]
pub struct PartyPatch {
    pub name: Option<String>,
    pub active: Option<bool>,
    /// `Some("")` clears the position (France).
    pub tax_position: Option<String>,
    pub payment_terms_days: Option<u32>,
    /// `Some("")` clears the method.
    pub payment_method: Option<String>,
    /// `Some("")` clears the IBAN.
    pub iban: Option<String>,
    pub mandate: Option<crate::model::party::Mandate>,
    /// The debtor's BIC for direct debits (kept beside the party); `Some("")` clears it.
    pub bic: Option<String>,
}

impl PartyPatch {
    /// Applies the patch to a party.
    pub fn apply(&self, party: &mut Party) -> Result<()> {
        let optional = |text: &String| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        if let Some(name) = &self.name {
            party.name = non_empty("name", name)?;
        }
        if let Some(active) = self.active {
            party.active = active;
        }
        if let Some(position) = &self.tax_position {
            party.tax_position = optional(position);
        }
        if let Some(days) = self.payment_terms_days {
            party.payment_terms_days = days;
        }
        if let Some(method) = &self.payment_method {
            party.payment_method = optional(method).map(|m| m.to_ascii_lowercase());
        }
        if let Some(iban) = &self.iban {
            party.iban = optional(iban).map(|i| i.replace(' ', "").to_ascii_uppercase());
        }
        if let Some(mandate) = &self.mandate {
            party.mandate = Some(mandate.clone());
        }
        Ok(())
    }
}

/// A third party's tax position and payment method must exist in the settings, its IBAN
/// must pass the ISO 13616 check.
fn check_party_details(tx: &mut Tx<'_>, party: &Party) -> Result<()> {
    let settings: Option<crate::model::settings::Settings> = tx.get_meta("settings")?;
    if let Some(position) = &party.tax_position
        && settings
            .as_ref()
            .is_none_or(|s| s.position(position).is_none())
    {
        return Err(LedgerError::Invalid {
            field: "tax_position",
            reason: format!(
                "unknown tax position {}",
                crate::model::text::echo(position)
            ),
        });
    }
    if let Some(method) = &party.payment_method
        && settings
            .as_ref()
            .is_none_or(|s| s.payment_method(method).is_none())
    {
        return Err(LedgerError::Invalid {
            field: "payment_method",
            reason: format!(
                "unknown payment method {}",
                crate::model::text::echo(method)
            ),
        });
    }
    if let Some(iban) = &party.iban
        && !crate::model::party::is_valid_iban(iban)
    {
        return Err(LedgerError::Invalid {
            field: "iban",
            reason: format!("`{iban}` is not a valid IBAN"),
        });
    }
    Ok(())
}

/// Which drafts to validate.
#[derive(Debug, Clone)]
pub enum Selection {
    Entries(Vec<EntryId>),
    /// Every draft dated up to and including a date, optionally of one journal.
    Until {
        date: NaiveDate,
        journal: Option<String>,
    },
}

fn non_empty(field: &'static str, text: &str) -> Result<String> {
    let clean = sanitize_text(text);
    if clean.is_empty() {
        Err(LedgerError::Invalid {
            field,
            reason: "must not be empty".into(),
        })
    } else {
        Ok(clean)
    }
}

impl Ledger {
    // ----- chart, journals, third parties --------------------------------------------------------

    pub fn add_account(&self, ctx: &Ctx, number: AccountNumber, label: &str) -> Result<Account> {
        let label = non_empty("label", label)?;
        self.write(ctx, |tx| {
            if tx.account_opt(&number)?.is_some() {
                return Err(LedgerError::Duplicate {
                    what: "account",
                    key: number.to_string(),
                });
            }
            let account = Account::new(number.clone(), label);
            tx.put_account(&account)?;
            tx.audit(
                ctx,
                "account.add",
                vec![format!("account:{number}")],
                format!("added account {number} {}", account.label),
            )?;
            Ok(account)
        })
    }

    pub fn edit_account(
        &self,
        ctx: &Ctx,
        number: &AccountNumber,
        patch: &AccountPatch,
    ) -> Result<Account> {
        self.write(ctx, |tx| {
            let mut account = tx.account(number)?;
            let before = account.clone();
            if let Some(label) = &patch.label {
                account.label = non_empty("label", label)?;
            }
            if let Some(active) = patch.active {
                account.active = active;
            }
            if let Some(flag) = patch.letterable {
                account.letterable = flag;
            }
            if let Some(flag) = patch.reconcilable {
                account.reconcilable = flag;
            }
            if let Some(flag) = patch.third_party_required {
                account.third_party_required = flag;
            }
            tx.put_account(&account)?;
            tx.audit(
                ctx,
                "account.edit",
                vec![format!("account:{number}")],
                format!("edited account {number}: {:?} -> {:?}", before, account),
            )?;
            Ok(account)
        })
    }

    pub fn add_journal(&self, ctx: &Ctx, journal: Journal) -> Result<Journal> {
        self.add_journal_with_bank(ctx, journal, None)
    }

    /// Adds a journal with the bank details of its account, in one transaction.
    pub fn add_journal_with_bank(
        &self,
        ctx: &Ctx,
        journal: Journal,
        bank: Option<&super::BankDetails>,
    ) -> Result<Journal> {
        let mut journal = journal;
        journal.label = non_empty("label", &journal.label)?;
        self.write(ctx, |tx| {
            if tx.journal_opt(&journal.code)?.is_some() {
                return Err(LedgerError::Duplicate {
                    what: "journal",
                    key: journal.code.clone(),
                });
            }
            check_treasury(tx, &journal)?;
            tx.put_journal(&journal)?;
            if bank.is_some() {
                super::bank::put_details(tx, &journal, bank)?;
            }
            tx.audit(
                ctx,
                "journal.add",
                vec![format!("journal:{}", journal.code)],
                format!(
                    "added journal {} {} ({}){}",
                    journal.code,
                    journal.label,
                    journal.kind.name(),
                    bank.map(|b| format!(", bank account {}", b.display()))
                        .unwrap_or_default()
                ),
            )?;
            Ok(journal)
        })
    }

    pub fn edit_journal(&self, ctx: &Ctx, code: &str, patch: &JournalPatch) -> Result<Journal> {
        self.write(ctx, |tx| {
            let mut journal = tx.journal(code)?;
            if let Some(label) = &patch.label {
                journal.label = non_empty("label", label)?;
            }
            if let Some(active) = patch.active {
                journal.active = active;
            }
            if let Some(account) = &patch.treasury_account {
                journal.treasury_account = Some(account.clone());
            }
            if let Some(kind) = patch.kind {
                journal.kind = kind;
            }
            check_treasury(tx, &journal)?;
            tx.put_journal(&journal)?;
            if let Some(bank) = &patch.bank {
                super::bank::put_details(tx, &journal, bank.as_ref())?;
            }
            tx.audit(
                ctx,
                "journal.edit",
                vec![format!("journal:{code}")],
                match &patch.bank {
                    Some(Some(bank)) => format!(
                        "edited journal {code}: {journal:?}, bank account {}",
                        bank.display()
                    ),
                    Some(None) => format!("edited journal {code}: {journal:?}, no bank account"),
                    None => format!("edited journal {code}: {journal:?}"),
                },
            )?;
            Ok(journal)
        })
    }

    pub fn add_party(&self, ctx: &Ctx, party: Party) -> Result<Party> {
        self.add_party_with_bic(ctx, party, None)
    }

    /// [`Ledger::add_party`] with the debtor's BIC for direct debits.
    pub fn add_party_with_bic(&self, ctx: &Ctx, party: Party, bic: Option<&str>) -> Result<Party> {
        let mut party = party;
        party.name = non_empty("name", &party.name)?;
        self.write(ctx, |tx| {
            if tx.party_opt(&party.code)?.is_some() {
                return Err(LedgerError::Duplicate {
                    what: "third party",
                    key: party.code.clone(),
                });
            }
            tx.account(&party.collective_account)?;
            check_party_details(tx, &party)?;
            tx.put_party(&party)?;
            if let Some(bic) = bic {
                super::sepa::set_party_bic(tx, &party.code, bic)?;
            }
            tx.audit(
                ctx,
                "party.add",
                vec![format!("party:{}", party.code)],
                format!(
                    "added {} {} {} on {}",
                    party.kind.name(),
                    party.code,
                    party.name,
                    party.collective_account
                ),
            )?;
            Ok(party)
        })
    }

    pub fn edit_party(&self, ctx: &Ctx, code: &str, patch: &PartyPatch) -> Result<Party> {
        self.write(ctx, |tx| {
            let mut party = tx.party(code)?;
            patch.apply(&mut party)?;
            check_party_details(tx, &party)?;
            tx.put_party(&party)?;
            let bic_note = match &patch.bic {
                Some(bic) => super::sepa::set_party_bic(tx, code, bic)?
                    .map(|note| format!(", {note}"))
                    .unwrap_or_default(),
                None => String::new(),
            };
            tx.audit(
                ctx,
                "party.edit",
                vec![format!("party:{code}")],
                format!("edited third party {code}: {party:?}{bic_note}"),
            )?;
            Ok(party)
        })
    }

    // ----- entries ------------------------------------------------------------------------------

    /// Records a new draft entry.
    pub fn add_entry(&self, ctx: &Ctx, input: &EntryInput) -> Result<Entry> {
        self.add_entry_tagged(ctx, input, &[])
    }

    /// Records a new draft entry whose lines may carry a tax code (`tax_codes[i]` for line
    /// `i`): the VAT return counts them (see `vat::tags::manual_tag`).
    pub fn add_entry_tagged(
        &self,
        ctx: &Ctx,
        input: &EntryInput,
        tax_codes: &[Option<String>],
    ) -> Result<Entry> {
        let input = clean_input(input.clone());
        self.write(ctx, |tx| {
            tx.check_input(&input)?;
            let entry = new_entry(tx, ctx, input.clone(), None)?;
            let tags = super::vat_index::manual_tags(tx, &entry, tax_codes)?;
            tx.insert_entry_tagged(&entry, &tags)?;
            tx.audit(
                ctx,
                "entry.add",
                vec![format!("entry:{}", entry.id)],
                format!(
                    "added draft #{} in {} on {}, piece {}, {} lines, total {}",
                    entry.id,
                    entry.journal,
                    entry.date,
                    entry.piece,
                    entry.lines.len(),
                    entry.total_debit()
                ),
            )?;
            Ok(entry)
        })
    }

    /// Replaces a draft's content. Validated entries are never edited. With
    /// `expected_revision`, the draft must still be at that revision (the copy the user
    /// edited): otherwise the save is refused, naming who changed it and when. A save that
    /// changes nothing writes nothing and returns the draft as it is.
    pub fn edit_entry(
        &self,
        ctx: &Ctx,
        id: EntryId,
        input: &EntryInput,
        expected_revision: Option<u64>,
    ) -> Result<Entry> {
        self.edit_entry_tagged(ctx, id, input, expected_revision, None)
    }

    /// `edit_entry` with the tax code of each line; without them (`None`), a line keeps its
    /// tags when it keeps its place, account and amount.
    pub fn edit_entry_tagged(
        &self,
        ctx: &Ctx,
        id: EntryId,
        input: &EntryInput,
        expected_revision: Option<u64>,
        tax_codes: Option<&[Option<String>]>,
    ) -> Result<Entry> {
        let input = clean_input(input.clone());
        let mut unchanged: Option<Entry> = None;
        let result = self.write(ctx, |tx| {
            let old = tx.entry(id)?;
            if old.is_validated() {
                return Err(LedgerError::EntryValidated(old.reference()));
            }
            if let Some(expected) = expected_revision
                && expected != old.revision
            {
                return Err(stale_revision(tx, &old, expected)?);
            }
            let entry = Entry {
                id,
                journal: input.journal.clone(),
                date: input.date,
                piece: input.piece.clone(),
                label: input.label.clone(),
                lines: input.lines.clone(),
                revision: old.revision.saturating_add(1),
                ..old.clone()
            };
            let old_tags = tx.entry_tags(id)?;
            let tags = match tax_codes {
                Some(codes) => super::vat_index::manual_tags(tx, &entry, codes)?,
                None => old_tags
                    .iter()
                    .filter(|(i, _)| {
                        let (a, b) = (old.lines.get(*i as usize), entry.lines.get(*i as usize));
                        matches!((a, b), (Some(a), Some(b)) if a.account == b.account && a.signed() == b.signed())
                    })
                    .cloned()
                    .collect(),
            };
            let mut changes = describe_changes(&old, &entry);
            if tags != old_tags {
                changes.push("VAT tags".into());
            }
            if changes.is_empty() {
                // Nothing to write: leave the transaction without a record.
                unchanged = Some(old);
                return Err(LedgerError::Cancelled);
            }
            // The old date must still be open too: a draft in a locked period stays as it is.
            tx.accepting_year(old.date)?;
            tx.check_input(&input)?;
            tx.remove_entry(&old)?;
            tx.insert_entry_tagged(&entry, &tags)?;
            tx.audit(
                ctx,
                "entry.edit",
                vec![format!("entry:{id}")],
                format!(
                    "edited draft #{id} (revision {}): {}",
                    entry.revision,
                    changes.join("; ")
                ),
            )?;
            Ok(entry)
        });
        match (result, unchanged) {
            (Err(LedgerError::Cancelled), Some(old)) => Ok(old),
            (result, _) => result,
        }
    }

    pub fn delete_entry(&self, ctx: &Ctx, id: EntryId) -> Result<Entry> {
        self.write(ctx, |tx| {
            let entry = tx.entry(id)?;
            if entry.is_validated() {
                return Err(LedgerError::EntryValidated(entry.reference()));
            }
            tx.accepting_year(entry.date)?;
            tx.remove_entry(&entry)?;
            tx.audit(
                ctx,
                "entry.delete",
                vec![format!("entry:{id}")],
                format!(
                    "deleted draft #{id} ({} {} {}, total {})",
                    entry.journal,
                    entry.date,
                    entry.piece,
                    entry.total_debit()
                ),
            )?;
            Ok(entry)
        })
    }

    /// Validates drafts in date order, giving each its number. Returns the validated entries.
    pub fn validate(&self, ctx: &Ctx, selection: &Selection) -> Result<Vec<Entry>> {
        self.validate_with_progress(ctx, selection, &mut |_| true)
    }

    /// Reverses a validated entry: a new validated entry with every line on the other side,
    /// linked to the original.
    pub fn reverse(&self, ctx: &Ctx, id: EntryId, date: Option<NaiveDate>) -> Result<Entry> {
        let date = date.unwrap_or(ctx.today);
        self.write(ctx, |tx| {
            let original = tx.entry(id)?;
            if !original.is_validated() {
                return Err(LedgerError::EntryIsDraft(original.reference()));
            }
            super::documents::refuse_generated(tx, &original)?;
            if let Some(existing) = tx.reversal_of(id)? {
                let reversal = tx.entry(existing)?;
                return Err(LedgerError::AlreadyReversed {
                    entry: original.reference(),
                    reversal: reversal.reference(),
                });
            }
            let input = EntryInput {
                journal: original.journal.clone(),
                date,
                piece: original.piece.clone(),
                label: truncate(&format!(
                    "Extourne {} {}",
                    original.reference(),
                    original.label
                )),
                lines: original.lines.iter().map(|l| l.reversed()).collect(),
            };
            tx.check_input(&input)?;
            let mut reversal = new_entry(tx, ctx, input, original.source.clone())?;
            reversal.reversal_of = Some(id);
            tx.number_entry(&mut reversal, ctx.today)?;
            tx.insert_entry(&reversal)?;
            tx.tag_reversal(&original, &reversal)?;
            tx.reversals.insert(id, reversal.id)?;
            tx.audit(
                ctx,
                "entry.reverse",
                vec![format!("entry:{id}"), format!("entry:{}", reversal.id)],
                format!(
                    "reversed {} by {} on {}",
                    original.reference(),
                    reversal.reference(),
                    date
                ),
            )?;
            Ok(reversal)
        })
    }

    // ----- periods and years --------------------------------------------------------------------

    pub fn lock_period(&self, ctx: &Ctx, period: Period) -> Result<()> {
        self.write(ctx, |tx| {
            let mut year = year_of_period(tx, period)?;
            if !year.is_open() {
                return Err(LedgerError::YearClosed(year.name()));
            }
            let drafts = tx
                .draft_ids()?
                .into_iter()
                .map(|id| tx.entry(id))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .filter(|e| Period::of(e.date) == period)
                .count();
            if drafts > 0 {
                return Err(LedgerError::DraftsInPeriod {
                    period: period.to_string(),
                    count: drafts,
                });
            }
            year.lock(period);
            tx.put_year(&year)?;
            tx.audit(
                ctx,
                "period.lock",
                vec![format!("year:{}", year.name()), format!("period:{period}")],
                format!("locked period {period}"),
            )
        })
    }

    pub fn unlock_period(&self, ctx: &Ctx, period: Period) -> Result<()> {
        self.write(ctx, |tx| {
            let mut year = year_of_period(tx, period)?;
            if !year.is_open() {
                return Err(LedgerError::YearClosed(year.name()));
            }
            year.unlock(period);
            tx.put_year(&year)?;
            tx.audit(
                ctx,
                "period.unlock",
                vec![format!("year:{}", year.name()), format!("period:{period}")],
                format!("unlocked period {period}"),
            )
        })
    }

    /// Opens the fiscal year that follows the last one (12 months unless told otherwise).
    pub fn open_next_year(&self, ctx: &Ctx, months: Option<u32>) -> Result<FiscalYear> {
        self.write(ctx, |tx| {
            let year = add_next_year(tx, months.unwrap_or(12))?;
            tx.audit(
                ctx,
                "year.open",
                vec![format!("year:{}", year.name())],
                format!(
                    "opened fiscal year {} ({} to {})",
                    year.name(),
                    year.start,
                    year.end
                ),
            )?;
            Ok(year)
        })
    }
}

pub(crate) fn add_next_year(tx: &mut Tx<'_>, months: u32) -> Result<FiscalYear> {
    let last = tx
        .years()
        .last()
        .cloned()
        .ok_or_else(|| LedgerError::Corrupt("the ledger has no fiscal year".into()))?;
    let start = last.end.succ_opt().ok_or_else(|| LedgerError::Invalid {
        field: "year",
        reason: "no date after the last fiscal year".into(),
    })?;
    let year = FiscalYear::new(start, months, 12).map_err(|err| LedgerError::Invalid {
        field: "months",
        reason: err.to_string(),
    })?;
    tx.put_year(&year)?;
    Ok(year)
}

fn year_of_period(tx: &Tx<'_>, period: Period) -> Result<FiscalYear> {
    tx.year_of(period.first_day())
        .cloned()
        .ok_or(LedgerError::NoOpenYear {
            date: period.first_day(),
        })
}

fn check_treasury(tx: &mut Tx<'_>, journal: &Journal) -> Result<()> {
    match &journal.treasury_account {
        Some(account) => {
            tx.account(account)?;
            Ok(())
        }
        None if journal.kind.needs_treasury_account() => Err(LedgerError::Invalid {
            field: "treasury account",
            reason: format!("a {} journal needs a treasury account", journal.kind.name()),
        }),
        None => Ok(()),
    }
}

pub(crate) fn new_entry(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    input: EntryInput,
    source: Option<String>,
) -> Result<Entry> {
    Ok(entry_with_id(tx.new_entry_id()?, ctx, input, source))
}

/// A draft entry with a given id (a replaced draft keeps its id).
pub(crate) fn entry_with_id(
    id: EntryId,
    ctx: &Ctx,
    input: EntryInput,
    source: Option<String>,
) -> Entry {
    Entry {
        id,
        journal: input.journal,
        date: input.date,
        piece: input.piece,
        label: input.label,
        lines: input.lines,
        status: EntryStatus::Draft,
        number: None,
        validated_on: None,
        validation_seq: None,
        reversal_of: None,
        source,
        created_by: ctx.user.clone(),
        revision: 1,
    }
}

/// Text from people and files is stored without control characters.
pub(crate) fn clean_input(input: EntryInput) -> EntryInput {
    let mut clean = input;
    if !clean
        .journal
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        clean.journal = clean.journal.trim().to_ascii_uppercase();
    }
    clean_text_in_place(&mut clean.piece);
    clean_text_in_place(&mut clean.label);
    for line in &mut clean.lines {
        clean_text_in_place(&mut line.label);
        if line.label == clean.label {
            line.label.clear();
        }
        // A code already trimmed and in uppercase ASCII (an importer's) is kept as it is.
        let upper = line.third_party.as_ref().is_some_and(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_graphic() && !b.is_ascii_lowercase())
        });
        if !upper {
            line.third_party = line
                .third_party
                .take()
                .map(|p| p.trim().to_uppercase())
                .filter(|p| !p.is_empty());
        }
    }
    clean
}

/// Sanitizes text only when it needs it: most text (from importers) is already clean.
fn clean_text_in_place(text: &mut String) {
    let bytes = text.as_bytes();
    let plain = if bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        bytes.first().is_none_or(|b| *b != b' ') && bytes.last().is_none_or(|b| *b != b' ')
    } else {
        text.chars()
            .all(|c| !c.is_control() && !crate::model::entry::is_bidi_control(c))
            && !text.starts_with(char::is_whitespace)
            && !text.ends_with(char::is_whitespace)
    };
    if !plain {
        *text = sanitize_text(text);
    }
}

/// Lines described one by one in an edit's audit record; more are counted.
const MAX_DESCRIBED_LINES: usize = 20;

/// What an edit changed, field by field and line by line (`label: A → B`, `line 2: 606000
/// 100,00 D → 606100 100,00 D`); empty when nothing changed.
fn describe_changes(old: &Entry, new: &Entry) -> Vec<String> {
    let mut changes = Vec::new();
    let mut field = |name: &str, before: String, after: String| {
        if before != after {
            changes.push(format!("{name}: {} → {}", shown(&before), shown(&after)));
        }
    };
    field("journal", old.journal.clone(), new.journal.clone());
    field("date", old.date.to_string(), new.date.to_string());
    field("piece", old.piece.clone(), new.piece.clone());
    field("label", old.label.clone(), new.label.clone());
    let mut lines_changed = 0usize;
    for i in 0..old.lines.len().max(new.lines.len()) {
        let (before, after) = (old.lines.get(i), new.lines.get(i));
        if before == after {
            continue;
        }
        lines_changed = lines_changed.saturating_add(1);
        if lines_changed <= MAX_DESCRIBED_LINES {
            let text = |line: Option<&Line>| line.map_or_else(|| "(none)".into(), line_text);
            changes.push(format!(
                "line {}: {} → {}",
                i.saturating_add(1),
                text(before),
                text(after)
            ));
        }
    }
    if lines_changed > MAX_DESCRIBED_LINES {
        changes.push(format!(
            "and {} more lines changed",
            lines_changed.saturating_sub(MAX_DESCRIBED_LINES)
        ));
    }
    changes
}

fn shown(text: &str) -> String {
    if text.is_empty() {
        "(empty)".into()
    } else {
        text.to_string()
    }
}

/// `411000@CACME 120,00 D "label"`: a line as an audit record shows it.
fn line_text(line: &Line) -> String {
    let mut text = line.account.to_string();
    if let Some(party) = &line.third_party {
        text.push('@');
        text.push_str(party);
    }
    let (amount, side) = match line.side() {
        Side::Debit => (line.debit, "D"),
        Side::Credit => (line.credit, "C"),
    };
    text.push_str(&format!(" {} {side}", amount.to_comma()));
    if !line.label.is_empty() {
        text.push_str(&format!(" \"{}\"", line.label));
    }
    text
}

/// The refusal of a save made against an older revision: who changed the draft last, and when.
fn stale_revision(tx: &Tx<'_>, current: &Entry, expected: u64) -> Result<LedgerError> {
    let key = format!("entry:{}", current.id);
    let last = tx
        .audit_by_record
        .range((key.as_str(), 0u64)..=(key.as_str(), u64::MAX))?
        .next_back()
        .transpose()?
        .map(|item| item.0.value().1);
    let record = match last {
        Some(seq) => match tx.audit_log.get(seq)? {
            Some(bytes) => Some(decode_audit(bytes.value())?),
            None => None,
        },
        None => None,
    };
    let (by, at) = match record {
        Some(record) => (
            record.user,
            record.at.format("%Y-%m-%d %H:%M:%S").to_string(),
        ),
        None => ("another user".into(), "an unknown time".into()),
    };
    Ok(LedgerError::StaleRevision {
        entry: current.reference(),
        expected,
        found: current.revision,
        by,
        at,
    })
}

fn truncate(text: &str) -> String {
    text.chars()
        .take(crate::model::entry::MAX_TEXT_CHARS)
        .collect()
}

pub(crate) fn summarize(items: &[String]) -> String {
    match items {
        [] => "none".into(),
        [one] => one.clone(),
        _ if items.len() <= 10 => items.join(", "),
        [first, .., last] => format!("{first} … {last}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_is_summarized_by_its_first_and_last() {
        let items: Vec<String> = (1..=11).map(|n| format!("E{n}")).collect();
        assert_eq!(summarize(&items), "E1 … E11");
        assert_eq!(summarize(&items[..2]), "E1, E2");
        assert_eq!(summarize(&[]), "none");
    }
    use crate::model::Amount;

    fn draft(label: &str, lines: Vec<Line>) -> Entry {
        let ctx = Ctx::fixed(
            "alice",
            NaiveDate::from_ymd_opt(2026, 3, 1)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .unwrap_or_default(),
        );
        let input = EntryInput {
            journal: "OD".into(),
            date: ctx.today,
            piece: "L1".into(),
            label: label.into(),
            lines,
        };
        entry_with_id(1, &ctx, input, None)
    }

    fn pair(debit_account: &str, cents: i64) -> Vec<Line> {
        let amount = Amount::from_cents(cents);
        let account = |n: &str| AccountNumber::parse(n).unwrap_or_else(|e| panic!("{e}"));
        vec![
            Line::debit(account(debit_account), amount),
            Line::credit(account("512"), amount).with_party(Some("BANK".into())),
        ]
    }

    #[test]
    fn changes_name_each_field_and_line_before_and_after() {
        let old = draft("Loyer", pair("606", 10_000));
        assert!(describe_changes(&old, &old).is_empty());
        let new = draft("Loyer mars", pair("6061", 10_000));
        assert_eq!(
            describe_changes(&old, &new),
            vec![
                "label: Loyer → Loyer mars".to_string(),
                "line 1: 606000 100,00 D → 606100 100,00 D".to_string(),
            ]
        );
        let mut longer = draft("Loyer", pair("606", 12_000));
        longer.lines.push(Line::debit(
            AccountNumber::parse("6063").unwrap_or_else(|e| panic!("{e}")),
            Amount::from_cents(5),
        ));
        let changes = describe_changes(&old, &longer);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert_eq!(
            changes[1],
            "line 2: 512000@BANK 100,00 C → 512000@BANK 120,00 C"
        );
        assert_eq!(changes[2], "line 3: (none) → 606300 0,05 D");
    }

    #[test]
    fn changes_of_many_lines_are_counted_beyond_the_limit() {
        let old = draft("Achats", pair("606", 100));
        let mut new = old.clone();
        new.lines = (0..50)
            .map(|i| {
                Line::debit(
                    AccountNumber::parse("607").unwrap_or_else(|e| panic!("{e}")),
                    Amount::from_cents(i + 1),
                )
            })
            .collect();
        let changes = describe_changes(&old, &new);
        assert_eq!(changes.len(), MAX_DESCRIBED_LINES + 1);
        assert_eq!(
            changes.last().map(String::as_str),
            Some("and 30 more lines changed")
        );
    }
}
