//! Documents and payments: stored, numbered per type and fiscal year, posted through the
//! engine, explained (`why`) and regenerated.

use chrono::NaiveDate;
use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::commands::{clean_input, entry_with_id, new_entry};
use super::error::{LedgerError, Result, add_cents};
use super::store::{Tx, day, next_counter};
use super::tables::*;
use super::{Ctx, Ledger};
use crate::model::document::{
    Allocation, Document, DocumentBody, DocumentId, DocumentLine, DocumentStatus, DocumentType,
    PaymentStatus,
};
use crate::model::settings::{EntryLanding, Settings};
use crate::model::{Amount, Entry, EntryId, EntryInput, EntryStatus, Line, Party, sanitize_text};
use crate::posting::{self, AllocatedDocument, Posting, PostingError, TaxDetail};
use crate::settlement::{self, Proposed, Settled, SettlementError};

/// (credit note, invoice) -> cents set off. The invoice side is in `ALLOCATIONS`, as
/// (invoice, credit note), so that what is allocated to an invoice is one range scan.
pub(crate) const SETOFFS: redb::TableDefinition<(u64, u64), i64> =
    redb::TableDefinition::new("setoffs");

/// What the engine computed when a document was posted: kept for amounts due and payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedTotals {
    pub total: Amount,
    pub taxes: Vec<TaxDetail>,
}

/// A new invoice or credit note, as a user or a file gives it.
#[derive(Debug, Clone)]
pub struct DocumentInput {
    pub doc_type: DocumentType,
    pub party: String,
    pub date: NaiveDate,
    pub reference: String,
    pub lines: Vec<DocumentLine>,
    /// The file line of each document line, for errors (empty when typed).
    pub line_numbers: Vec<u64>,
}

/// Where an allocation points: a document id, number (`FA2026-00001`) or the party's
/// reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentRef {
    Id(DocumentId),
    Text(String),
}

#[derive(Debug, Clone)]
pub struct PaymentInput {
    pub doc_type: DocumentType,
    pub party: String,
    pub date: NaiveDate,
    pub amount: Amount,
    pub method: String,
    pub reference: String,
    pub allocations: Vec<(DocumentRef, Amount)>,
    /// The file line of each allocation, for errors (empty when typed).
    pub allocation_lines: Vec<u64>,
}

/// A document with what is due on it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSummary {
    pub document: Document,
    pub total: Amount,
    /// Paid, refunded or set off (invoices and credit notes), or allocated to documents and
    /// refunded (payments and refunds): see `settlement::settle`.
    pub allocated: Amount,
    /// Still due (invoices, credit notes) or still unallocated (payments, refunds).
    pub remaining: Amount,
    pub status: Option<PaymentStatus>,
}

/// What `regenerate` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RegenerateReport {
    pub examined: u64,
    pub unchanged: u64,
    pub drafts_replaced: u64,
    pub reposted: u64,
    pub created: u64,
    pub skipped_closed: u64,
    pub skipped_locked: u64,
    /// One line per change, for people.
    pub changes: Vec<String>,
}

fn settlement_error(err: SettlementError) -> LedgerError {
    let field = match &err {
        SettlementError::OtherParty { .. } | SettlementError::NotAllocatable { .. } => {
            "allocate_to"
        }
        SettlementError::Draft { .. } | SettlementError::NotAllocated { .. } => "allocate_to",
        _ => "allocated",
    };
    LedgerError::Invalid {
        field,
        reason: err.to_string(),
    }
}

fn posting_error(err: PostingError) -> LedgerError {
    let field = match &err {
        PostingError::UnknownItem(_) => "item",
        PostingError::UnknownTax(_)
        | PostingError::NoRate { .. }
        | PostingError::WrongTaxKind { .. } => "tax_code",
        PostingError::UnknownPosition(_) => "tax_position",
        PostingError::UnknownMethod(_) => "method",
        PostingError::NoGeneration(_) => "type",
        _ => "document",
    };
    LedgerError::Invalid {
        field,
        reason: err.to_string(),
    }
}

/// The document tables of one write transaction.
pub(crate) struct DocTables<'t> {
    documents: Table<'t, u64, Bytes>,
    by_date: Table<'t, (i32, u64), ()>,
    numbers: Table<'t, &'static str, u64>,
    counters: Table<'t, (&'static str, &'static str), u64>,
    refs: Table<'t, (&'static str, &'static str, u64), ()>,
    allocations: Table<'t, (u64, u64), i64>,
    setoffs: Table<'t, (u64, u64), i64>,
    posted: Table<'t, u64, Bytes>,
    why: Table<'t, u64, Bytes>,
    settings: Settings,
}

impl<'t> DocTables<'t> {
    fn open(tx: &Tx<'t>) -> Result<Self> {
        let txn = tx.txn;
        let settings: Settings = tx
            .get_meta("settings")?
            .ok_or_else(|| LedgerError::Invalid {
                field: "settings",
                reason: "this ledger has no posting settings (folio settings load FILE)".into(),
            })?;
        Ok(DocTables {
            documents: txn.open_table(DOCUMENTS)?,
            by_date: txn.open_table(DOCUMENTS_BY_DATE)?,
            numbers: txn.open_table(DOCUMENT_NUMBERS)?,
            counters: txn.open_table(DOCUMENT_COUNTERS)?,
            refs: txn.open_table(DOCUMENT_REFS)?,
            allocations: txn.open_table(ALLOCATIONS)?,
            setoffs: txn.open_table(SETOFFS)?,
            posted: txn.open_table(POSTED)?,
            why: txn.open_table(WHY)?,
            settings,
        })
    }

    fn get(&self, id: DocumentId) -> Result<Document> {
        match self.documents.get(id)? {
            Some(bytes) => decode(bytes.value(), "document"),
            None => Err(LedgerError::Invalid {
                field: "document",
                reason: format!("no document D{id}"),
            }),
        }
    }

    fn put(&mut self, doc: &Document) -> Result<()> {
        self.documents.insert(doc.id, encode(doc)?.as_slice())?;
        Ok(())
    }

    fn insert_new(&mut self, doc: &Document) -> Result<()> {
        self.put(doc)?;
        self.by_date.insert((day(doc.date), doc.id), ())?;
        self.refs
            .insert((doc.party.as_str(), doc.reference.as_str(), doc.id), ())?;
        Ok(())
    }

    fn posted(&self, id: DocumentId) -> Result<Option<PostedTotals>> {
        match self.posted.get(id)? {
            Some(bytes) => Ok(Some(decode(bytes.value(), "posted totals")?)),
            None => Ok(None),
        }
    }

    fn allocated_to(&self, id: DocumentId) -> Result<Vec<(DocumentId, Amount)>> {
        let mut out = Vec::new();
        for item in self.allocations.range((id, 0u64)..=(id, u64::MAX))? {
            let (key, value) = item?;
            out.push((key.value().1, Amount::from_cents(value.value())));
        }
        Ok(out)
    }

    /// What `id` set off against invoices, if it is a credit note.
    fn set_off_by(&self, id: DocumentId) -> Result<Vec<(DocumentId, Amount)>> {
        let mut out = Vec::new();
        for item in self.setoffs.range((id, 0u64)..=(id, u64::MAX))? {
            let (key, value) = item?;
            out.push((key.value().1, Amount::from_cents(value.value())));
        }
        Ok(out)
    }

    /// The total of a validated document: its posted total, or a payment's amount.
    fn total(&self, doc: &Document) -> Result<Amount> {
        if let DocumentBody::Payment { amount, .. } = &doc.body {
            return Ok(*amount);
        }
        Ok(self
            .posted(doc.id)?
            .map(|p| p.total)
            .unwrap_or(Amount::ZERO))
    }

    /// What other documents allocated to `doc` and what it allocated to others.
    fn flows(&self, doc: &Document) -> Result<(Amount, Vec<(DocumentType, Amount)>)> {
        let received: Amount = self.allocated_to(doc.id)?.into_iter().map(|(_, a)| a).sum();
        let mut given = Vec::new();
        for allocation in doc.allocations() {
            given.push((self.get(allocation.document)?.doc_type, allocation.amount));
        }
        for (invoice, amount) in self.set_off_by(doc.id)? {
            given.push((self.get(invoice)?.doc_type, amount));
        }
        Ok((received, given))
    }

    fn settled(&self, doc: &Document) -> Result<Settled> {
        let (received, given) = self.flows(doc)?;
        settlement::settle(doc, self.total(doc)?, received, &given).map_err(settlement_error)
    }

    /// Finds a document by id, number or the party's reference.
    fn resolve(&self, party: &str, reference: &DocumentRef) -> Result<DocumentId> {
        let text = match reference {
            DocumentRef::Id(id) => return Ok(*id),
            DocumentRef::Text(text) => text.trim(),
        };
        if let Some(id) = self.numbers.get(text)?.map(|v| v.value()) {
            return Ok(id);
        }
        if let Some(id) = text
            .strip_prefix('D')
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|id| self.documents.get(*id).ok().flatten().is_some())
        {
            return Ok(id);
        }
        let mut found = Vec::new();
        for item in self
            .refs
            .range((party, text, 0u64)..=(party, text, u64::MAX))?
        {
            found.push(item?.0.value().2);
        }
        match found.as_slice() {
            [id] => Ok(*id),
            [] => Err(LedgerError::Invalid {
                field: "allocate_to",
                reason: format!(
                    "no document {} of third party {party}",
                    crate::model::text::echo(text)
                ),
            }),
            _ => Err(LedgerError::Invalid {
                field: "allocate_to",
                reason: format!(
                    "several documents of {party} have the reference {text}: use the number"
                ),
            }),
        }
    }

    fn next_number(&mut self, doc_type: DocumentType, year: &str) -> Result<String> {
        let key = (doc_type.name(), year);
        let last = self.counters.get(key)?.map(|v| v.value()).unwrap_or(0);
        let seq = next_counter(last, "document number")?;
        self.counters.insert(key, seq)?;
        Ok(format!("{}{}-{:05}", doc_type.prefix(), year, seq))
    }
}

/// Creates the document tables, so that a new ledger lists no documents rather than failing.
pub(crate) fn create_tables(tx: &Tx<'_>) -> Result<()> {
    let txn = tx.txn;
    txn.open_table(DOCUMENTS)?;
    txn.open_table(DOCUMENTS_BY_DATE)?;
    txn.open_table(DOCUMENT_NUMBERS)?;
    txn.open_table(DOCUMENT_COUNTERS)?;
    txn.open_table(DOCUMENT_REFS)?;
    txn.open_table(ALLOCATIONS)?;
    txn.open_table(SETOFFS)?;
    txn.open_table(POSTED)?;
    txn.open_table(WHY)?;
    Ok(())
}

impl Tx<'_> {
    fn settings_accounts_exist(&mut self, settings: &Settings) -> Result<()> {
        for (key, account) in settings.accounts() {
            if self.account_opt(account)?.is_none() {
                return Err(LedgerError::Invalid {
                    field: "settings",
                    reason: format!("{key}: account {account} does not exist"),
                });
            }
        }
        for (key, journal) in settings.journals() {
            if self.journal_opt(journal)?.is_none() {
                return Err(LedgerError::Invalid {
                    field: "settings",
                    reason: format!("{key}: journal {journal} does not exist"),
                });
            }
        }
        Ok(())
    }

    /// Replaces the posting settings after checking them as a whole.
    pub(crate) fn put_settings(&mut self, settings: &Settings) -> Result<()> {
        settings.validate().map_err(|err| LedgerError::Invalid {
            field: "settings",
            reason: err.to_string(),
        })?;
        self.settings_accounts_exist(settings)?;
        self.put_meta("settings", settings)
    }
}

/// Writes the entry of a posting: a new draft or validated entry per the settings.
fn write_posting(
    tx: &mut Tx<'_>,
    d: &mut DocTables<'_>,
    ctx: &Ctx,
    doc: &Document,
    posting: &Posting,
    // A replaced draft keeps its id and takes the next revision: an editor open on the old
    // one must not save over it.
    entry_id: Option<(EntryId, u64)>,
) -> Result<Entry> {
    let input = entry_input(doc, posting);
    tx.check_input(&input)?;
    let source = Some(format!("document:{}", doc.id));
    let mut entry = match entry_id {
        Some((id, revision)) => Entry {
            revision,
            ..entry_with_id(id, ctx, input, source)
        },
        None => new_entry(tx, ctx, input, source)?,
    };
    if d.settings.general.generated_entries == EntryLanding::Validated {
        tx.number_entry(&mut entry, ctx.today)?;
    }
    let tags = super::vat_index::posting_tags(posting, &d.settings);
    tx.insert_entry_tagged(&entry, &tags)?;
    let rules: Vec<String> = posting.lines.iter().map(|l| l.rule.to_string()).collect();
    d.why.insert(entry.id, encode(&rules)?.as_slice())?;
    Ok(entry)
}

fn entry_input(doc: &Document, posting: &Posting) -> EntryInput {
    clean_input(EntryInput {
        journal: posting.journal.clone(),
        date: doc.date,
        piece: doc.display_ref(),
        label: posting.label.clone(),
        lines: posting.lines(),
    })
}

/// Posts a document with the current settings (payments see their allocated documents).
fn compute_posting(tx: &mut Tx<'_>, d: &DocTables<'_>, doc: &Document) -> Result<Posting> {
    let party = tx.party(&doc.party)?;
    match &doc.body {
        DocumentBody::Lines(_) => {
            posting::post_invoice(doc, &party, &d.settings).map_err(posting_error)
        }
        DocumentBody::Payment { allocations, .. } => {
            let mut targets = Vec::new();
            for allocation in allocations {
                let target = d.get(allocation.document)?;
                let totals = d.posted(allocation.document)?.unwrap_or(PostedTotals {
                    total: Amount::ZERO,
                    taxes: Vec::new(),
                });
                let before = allocated_before(d, allocation.document, doc)?;
                targets.push((target, totals, before, allocation.amount));
            }
            let allocated: Vec<AllocatedDocument<'_>> = targets
                .iter()
                .map(|(target, totals, before, amount)| AllocatedDocument {
                    document: target,
                    total: totals.total,
                    taxes: &totals.taxes,
                    allocated_before: *before,
                    amount: *amount,
                })
                .collect();
            posting::post_payment(doc, &party, &d.settings, &allocated).map_err(posting_error)
        }
    }
}

/// What payments and refunds before `payment` (by date, then id) allocated to `target`:
/// money paid, which is what makes VAT due on payment (a set-off moves no money).
fn allocated_before(d: &DocTables<'_>, target: DocumentId, payment: &Document) -> Result<Amount> {
    let mut sum = Amount::ZERO;
    for (other, amount) in d.allocated_to(target)? {
        if other == payment.id {
            continue;
        }
        let other_doc = d.get(other)?;
        if other_doc.doc_type.is_payment()
            && (other_doc.date, other_doc.id) < (payment.date, payment.id)
        {
            sum = Amount::from_cents(add_cents(
                sum.cents(),
                amount.cents(),
                "payments allocated to a document",
            )?);
        }
    }
    Ok(sum)
}

/// A generated entry follows its document: reversing it by hand would leave the document
/// saying one thing and the books another, so it is refused with the ways to correct it.
pub(crate) fn refuse_generated(tx: &Tx<'_>, entry: &Entry) -> Result<()> {
    let Some(id) = entry
        .source
        .as_deref()
        .and_then(|s| s.strip_prefix("document:"))
        .and_then(|id| id.parse::<DocumentId>().ok())
    else {
        return Ok(());
    };
    let documents = tx.txn.open_table(DOCUMENTS)?;
    let doc: Option<Document> = match documents.get(id)? {
        Some(bytes) => Some(decode(bytes.value(), "document")?),
        None => None,
    };
    let (what, credit_note) = match &doc {
        Some(doc) => (
            doc.display_ref(),
            match doc.doc_type.context() {
                crate::model::document::Context::Sale => "customer_credit_note",
                crate::model::document::Context::Purchase => "supplier_credit_note",
            },
        ),
        None => (format!("D{id}"), "customer_credit_note"),
    };
    Err(invalid(
        "entry",
        format!(
            "{} was generated from document {what} and follows it: it cannot be reversed by hand. \
             To correct it, record a credit note (folio doc add --type {credit_note} …), \
             or change the settings and run folio regenerate --document {what}",
            entry.reference()
        ),
    ))
}

fn doc_record(doc: &Document) -> String {
    format!("document:{}", doc.id)
}

fn invalid(field: &'static str, reason: impl Into<String>) -> LedgerError {
    LedgerError::Invalid {
        field,
        reason: reason.into(),
    }
}

impl Ledger {
    /// The posting settings.
    pub fn settings(&self) -> Result<Settings> {
        self.read()?
            .meta("settings")?
            .ok_or_else(|| invalid("settings", "this ledger has no posting settings"))
    }

    /// Replaces the posting settings (validated as a whole; errors name the key).
    pub fn load_settings(&self, ctx: &Ctx, settings: &Settings) -> Result<()> {
        self.write(ctx, |tx| {
            tx.put_settings(settings)?;
            tx.audit(
                ctx,
                "settings.load",
                vec!["settings".into()],
                format!(
                    "loaded settings: {} tax codes, {} strategies, {} tax strategies, {} items",
                    settings.taxes.len(),
                    settings.strategies.len(),
                    settings.tax_strategies.len(),
                    settings.items.len()
                ),
            )
        })
    }

    /// Records invoices or credit notes (drafts, or validated and posted when `validate`).
    pub fn add_documents(
        &self,
        ctx: &Ctx,
        inputs: impl IntoIterator<Item = Result<(u64, DocumentInput)>>,
        validate: bool,
        file: Option<&str>,
    ) -> Result<Vec<Document>> {
        self.write(ctx, |tx| {
            tx.begin_bulk();
            let mut d = DocTables::open(tx)?;
            let mut out = Vec::new();
            for item in inputs {
                let (line, input) = item?;
                let at = |err: LedgerError| match file {
                    Some(file) => err.at_line(file, line),
                    None => err,
                };
                let line_numbers = input.line_numbers.clone();
                let mut doc = new_document(tx, &d, input).map_err(|(i, err)| {
                    let at_line = i.and_then(|i| line_numbers.get(i).copied()).unwrap_or(line);
                    match file {
                        Some(file) => err.at_line(file, at_line),
                        None => err,
                    }
                })?;
                d.insert_new(&doc)?;
                if validate {
                    validate_one(tx, &mut d, ctx, &mut doc).map_err(at)?;
                }
                out.push(doc);
            }
            drop(d);
            tx.flush_bulk()?;
            let ids: Vec<DocumentId> = out.iter().map(|doc| doc.id).collect();
            super::lettering_auto::letter_documents(tx, ctx, &ids)?;
            let records: Vec<String> = if out.len() <= 1000 {
                out.iter().map(doc_record).collect()
            } else {
                vec![format!("import:{}", file.unwrap_or("documents"))]
            };
            tx.audit(
                ctx,
                "document.add",
                records,
                format!(
                    "recorded {} documents{}{}",
                    out.len(),
                    if validate {
                        ", validated and posted"
                    } else {
                        " as drafts"
                    },
                    file.map(|f| format!(" from {f}")).unwrap_or_default()
                ),
            )?;
            Ok(out)
        })
    }

    /// Validates draft documents: numbers them and posts their entries.
    pub fn validate_documents(&self, ctx: &Ctx, ids: &[DocumentId]) -> Result<Vec<Document>> {
        self.write(ctx, |tx| {
            let mut d = DocTables::open(tx)?;
            let mut out = Vec::new();
            for id in ids {
                let mut doc = d.get(*id)?;
                validate_one(tx, &mut d, ctx, &mut doc)?;
                out.push(doc);
            }
            drop(d);
            super::lettering_auto::letter_documents(tx, ctx, ids)?;
            let refs: Vec<String> = out.iter().map(Document::display_ref).collect();
            tx.audit(
                ctx,
                "document.validate",
                out.iter().map(doc_record).collect(),
                format!("validated {}", refs.join(", ")),
            )?;
            Ok(out)
        })
    }

    /// Registers payments or refunds: numbered, posted, allocated. Date, party, amount and
    /// method are frozen from now on.
    pub fn register_payments(
        &self,
        ctx: &Ctx,
        inputs: impl IntoIterator<Item = Result<(u64, PaymentInput)>>,
        file: Option<&str>,
    ) -> Result<Vec<Document>> {
        self.write(ctx, |tx| {
            tx.begin_bulk();
            let mut d = DocTables::open(tx)?;
            let mut out = Vec::new();
            for item in inputs {
                let (line, input) = item?;
                let lines = input.allocation_lines.clone();
                let doc = register_one(tx, &mut d, ctx, input).map_err(|(i, err)| {
                    let line = i.and_then(|i| lines.get(i).copied()).unwrap_or(line);
                    err.at_line_if(file, line)
                })?;
                out.push(doc);
            }
            drop(d);
            tx.flush_bulk()?;
            let ids: Vec<DocumentId> = out.iter().map(|doc| doc.id).collect();
            super::lettering_auto::letter_documents(tx, ctx, &ids)?;
            let records: Vec<String> = if out.len() <= 1000 {
                out.iter().map(doc_record).collect()
            } else {
                vec![format!("import:{}", file.unwrap_or("payments"))]
            };
            tx.audit(
                ctx,
                "payment.register",
                records,
                format!("registered {} payments", out.len()),
            )?;
            Ok(out)
        })
    }

    /// Adds allocations to a registered payment or refund (to an existing allocation, the
    /// amount is added) and reposts what they change.
    pub fn allocate(
        &self,
        ctx: &Ctx,
        payment: DocumentId,
        allocations: &[(DocumentRef, Amount)],
    ) -> Result<Document> {
        self.write(ctx, |tx| {
            let mut d = DocTables::open(tx)?;
            let mut doc = d.get(payment)?;
            let added = resolve_all(&d, &doc, allocations)?;
            let DocumentBody::Payment {
                allocations: current,
                ..
            } = &mut doc.body
            else {
                return Err(not_a_payment(&doc));
            };
            settlement::merge(current, &added).map_err(settlement_error)?;
            check_allocations(&d, &doc)?;
            store_allocations(&mut d, &doc)?;
            d.put(&doc)?;
            let targets: Vec<DocumentId> = added.iter().map(|a| a.document).collect();
            repost_settlement(tx, &mut d, ctx, &doc, &targets)?;
            let summary: Vec<String> = added
                .iter()
                .map(|a| format!("D{} {}", a.document, a.amount))
                .collect();
            tx.audit(
                ctx,
                "payment.allocate",
                vec![doc_record(&doc)],
                format!("allocated {}: {}", doc.display_ref(), summary.join(", ")),
            )?;
            let allocated = d.get(payment)?;
            drop(d);
            super::lettering_auto::letter_documents(tx, ctx, &[payment])?;
            Ok(allocated)
        })
    }

    /// Removes the allocation of a payment or refund to one document and reposts what that
    /// changes (the payment's VAT due on payment, later payments' shares); for a credit note,
    /// removes its set-off against one invoice (nothing to repost).
    pub fn unallocate(
        &self,
        ctx: &Ctx,
        payment: DocumentId,
        target: &DocumentRef,
    ) -> Result<Document> {
        self.write(ctx, |tx| {
            let mut d = DocTables::open(tx)?;
            let mut doc = d.get(payment)?;
            let from = doc.clone();
            let target = d.get(d.resolve(&doc.party, target)?)?;
            if doc.doc_type.is_credit_note() {
                let credit_note = remove_set_off(tx, &mut d, ctx, doc, &target)?;
                drop(d);
                super::lettering_auto::unletter_allocation(tx, ctx, &credit_note, &target)?;
                return Ok(credit_note);
            }
            let DocumentBody::Payment {
                allocations: current,
                ..
            } = &mut doc.body
            else {
                return Err(not_a_payment(&doc));
            };
            let removed = settlement::remove(&from, current, &target).map_err(settlement_error)?;
            // What stays must still hold: without a credit note netted in it, a payment may
            // cover less than it allocates.
            check_allocations(&d, &doc)?;
            d.allocations.remove((target.id, doc.id))?;
            d.put(&doc)?;
            repost_settlement(tx, &mut d, ctx, &doc, &[target.id])?;
            let (paying, settled) = (d.get(doc.id)?, d.get(target.id)?);
            tx.audit(
                ctx,
                "payment.unallocate",
                vec![doc_record(&doc), doc_record(&target)],
                format!(
                    "removed the allocation of {} {} to {}",
                    doc.display_ref(),
                    removed,
                    target.display_ref()
                ),
            )?;
            let after = d.get(payment)?;
            drop(d);
            super::lettering_auto::unletter_allocation(tx, ctx, &paying, &settled)?;
            Ok(after)
        })
    }

    /// Sets a credit note off against invoices of its party: what is due on both goes down
    /// by the amounts, the party's account is unchanged (the credit note's entry already
    /// credits it) and no entry is written. Refused when either document has VAT due on
    /// payment: that VAT becomes due when money moves, so settle them with a payment net of
    /// the credit note.
    pub fn set_off(
        &self,
        ctx: &Ctx,
        credit_note: DocumentId,
        allocations: &[(DocumentRef, Amount)],
    ) -> Result<Document> {
        self.write(ctx, |tx| {
            let mut d = DocTables::open(tx)?;
            let doc = d.get(credit_note)?;
            if !doc.doc_type.is_credit_note() {
                return Err(invalid(
                    "credit_note",
                    format!(
                        "{} is a {}: `folio doc allocate` sets a credit note off against invoices",
                        doc.display_ref(),
                        doc.doc_type.name()
                    ),
                ));
            }
            if doc.status != DocumentStatus::Validated {
                return Err(invalid(
                    "credit_note",
                    format!("{} is a draft: validate it first", doc.display_ref()),
                ));
            }
            let added = resolve_all(&d, &doc, allocations)?;
            for allocation in &added {
                for id in [doc.id, allocation.document] {
                    let taxes = d.posted(id)?.map(|p| p.taxes).unwrap_or_default();
                    if taxes.iter().any(|t| t.on_payment && !t.tax.is_zero()) {
                        return Err(invalid(
                            "allocate_to",
                            format!(
                                "{} has VAT due on payment, which becomes due when money moves: \
                                 register a payment net of the credit note instead \
                                 (folio pay add … --allocate INVOICE=AMOUNT --allocate {}=AMOUNT)",
                                d.get(id)?.display_ref(),
                                doc.display_ref()
                            ),
                        ));
                    }
                }
            }
            let mut merged: Vec<Allocation> = d
                .set_off_by(doc.id)?
                .into_iter()
                .map(|(document, amount)| Allocation { document, amount })
                .collect();
            settlement::merge(&mut merged, &added).map_err(settlement_error)?;
            for allocation in &merged {
                d.setoffs
                    .insert((doc.id, allocation.document), allocation.amount.cents())?;
            }
            // Checked with the set-offs in place; an error aborts the whole transaction.
            check_allocations(&d, &doc)?;
            for allocation in &merged {
                d.allocations
                    .insert((allocation.document, doc.id), allocation.amount.cents())?;
            }
            let summary: Vec<String> = added
                .iter()
                .map(|a| format!("D{} {}", a.document, a.amount))
                .collect();
            let mut records = vec![doc_record(&doc)];
            records.extend(added.iter().map(|a| format!("document:{}", a.document)));
            tx.audit(
                ctx,
                "document.set_off",
                records,
                format!("set off {}: {}", doc.display_ref(), summary.join(", ")),
            )?;
            drop(d);
            super::lettering_auto::letter_documents(tx, ctx, &[doc.id])?;
            Ok(doc)
        })
    }

    /// Refuses any change of a payment's frozen fields; the reference may change.
    pub fn edit_payment(
        &self,
        ctx: &Ctx,
        payment: DocumentId,
        reference: Option<&str>,
        frozen_changes: &[&'static str],
    ) -> Result<Document> {
        self.write(ctx, |tx| {
            let mut d = DocTables::open(tx)?;
            let mut doc = d.get(payment)?;
            if let Some(field) = frozen_changes.first() {
                return Err(LedgerError::Invalid {
                    field,
                    reason: format!(
                        "the {field} of registered payment {} is frozen: only its allocation and reference can change",
                        doc.display_ref()
                    ),
                });
            }
            if let Some(reference) = reference {
                d.refs.remove((doc.party.as_str(), doc.reference.as_str(), doc.id))?;
                doc.reference = sanitize_text(reference);
                d.refs.insert((doc.party.as_str(), doc.reference.as_str(), doc.id), ())?;
                d.put(&doc)?;
            }
            tx.audit(
                ctx,
                "payment.edit",
                vec![doc_record(&doc)],
                format!("set the reference of {} to {}", doc.display_ref(), doc.reference),
            )?;
            Ok(doc)
        })
    }

    /// Replays the engine over documents of open fiscal years (all, one year, or one
    /// document): drafts replaced, changed validated entries reversed and reposted.
    pub fn regenerate(
        &self,
        ctx: &Ctx,
        year: Option<&str>,
        document: Option<DocumentId>,
    ) -> Result<RegenerateReport> {
        self.write(ctx, |tx| {
            let mut d = DocTables::open(tx)?;
            let years = tx.years().to_vec();
            let range = match year {
                Some(name) => {
                    let y = years
                        .iter()
                        .find(|y| y.name() == name)
                        .ok_or_else(|| LedgerError::UnknownYear(name.to_string()))?;
                    (day(y.start), day(y.end))
                }
                None => (i32::MIN, i32::MAX),
            };
            let ids: Vec<DocumentId> = match document {
                // A document's payments and refunds are replayed with it: they read its
                // taxes for the VAT due on payment.
                Some(id) => {
                    let mut ids = vec![d.get(id)?.id];
                    for (other, _) in d.allocated_to(id)? {
                        if d.get(other)?.doc_type.is_payment() {
                            ids.push(other);
                        }
                    }
                    ids
                }
                None => {
                    let mut ids = Vec::new();
                    for item in d.by_date.range((range.0, 0u64)..=(range.1, u64::MAX))? {
                        ids.push(item?.0.value().1);
                    }
                    if year.is_some() {
                        // Payments and refunds of other years allocated to these documents
                        // read their taxes too: they are replayed with them.
                        let chosen: std::collections::HashSet<DocumentId> =
                            ids.iter().copied().collect();
                        let mut payers = std::collections::BTreeSet::new();
                        for item in d.allocations.range::<(u64, u64)>(..)? {
                            let (target, from) = item?.0.value();
                            if chosen.contains(&target) && !chosen.contains(&from) {
                                payers.insert(from);
                            }
                        }
                        for from in payers {
                            if d.get(from)?.doc_type.is_payment() {
                                ids.push(from);
                            }
                        }
                    }
                    ids
                }
            };
            // A payment is replayed after every document it is allocated to, so that one run
            // reaches the fixed point even when a payment is dated before its invoice:
            // invoices and credit notes as they come (in date order), payments and refunds
            // afterwards.
            let mut report = RegenerateReport::default();
            let mut deferred = Vec::new();
            let mut examined = Vec::new();
            for id in ids {
                let mut doc = d.get(id)?;
                if doc.status != DocumentStatus::Validated {
                    continue;
                }
                if doc.doc_type.is_payment() {
                    deferred.push((replay_rank(doc.doc_type), doc.date, doc.id));
                    continue;
                }
                report.examined = report.examined.saturating_add(1);
                regenerate_one(tx, &mut d, ctx, &mut doc, &mut report)?;
                examined.push(id);
            }
            deferred.sort_unstable();
            for (_, _, id) in deferred {
                let mut doc = d.get(id)?;
                report.examined = report.examined.saturating_add(1);
                regenerate_one(tx, &mut d, ctx, &mut doc, &mut report)?;
                examined.push(id);
            }
            drop(d);
            super::lettering_auto::letter_documents(tx, ctx, &examined)?;
            tx.audit(
                ctx,
                "regenerate",
                vec!["settings".into()],
                format!(
                    "regenerated: {} examined, {} unchanged, {} drafts replaced, {} reversed and reposted, {} created, {} in closed years and {} in locked periods left alone",
                    report.examined,
                    report.unchanged,
                    report.drafts_replaced,
                    report.reposted,
                    report.created,
                    report.skipped_closed,
                    report.skipped_locked
                ),
            )?;
            Ok(report)
        })
    }

    /// Documents in date order with what is due on them.
    pub fn documents(&self, doc_type: Option<DocumentType>) -> Result<Vec<DocumentSummary>> {
        let view = self.read()?;
        let tables = ReadTables::open(&view)?;
        let by_date = view.table(DOCUMENTS_BY_DATE)?;
        let mut out = Vec::new();
        for item in by_date.range::<(i32, u64)>(..)? {
            let id = item?.0.value().1;
            let Some(bytes) = tables.documents.get(id)? else {
                continue;
            };
            let doc: Document = decode(bytes.value(), "document")?;
            if doc_type.is_some_and(|t| t != doc.doc_type) {
                continue;
            }
            out.push(tables.summarize(&doc)?);
        }
        Ok(out)
    }

    /// One document by id (`D12`, `12`) or number (`FA2026-00001`).
    pub fn document(&self, reference: &str) -> Result<DocumentSummary> {
        let view = self.read()?;
        let tables = ReadTables::open(&view)?;
        let reference = reference.trim();
        let id = match view
            .table(DOCUMENT_NUMBERS)?
            .get(reference)?
            .map(|v| v.value())
        {
            Some(id) => id,
            None => reference
                .trim_start_matches('D')
                .parse::<u64>()
                .map_err(|_| {
                    invalid(
                        "document",
                        format!("no document {}", crate::model::text::echo(reference)),
                    )
                })?,
        };
        let bytes = tables.documents.get(id)?.ok_or_else(|| {
            invalid(
                "document",
                format!("no document {}", crate::model::text::echo(reference)),
            )
        })?;
        let doc: Document = decode(bytes.value(), "document")?;
        tables.summarize(&doc)
    }

    /// Each line of a generated entry with the rule that chose its account.
    pub fn why(&self, entry: &Entry) -> Result<Vec<(Line, String)>> {
        let rules: Vec<String> = match self.read()?.table(WHY)?.get(entry.id)? {
            Some(bytes) => decode(bytes.value(), "why")?,
            None => Vec::new(),
        };
        Ok(entry
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let rule = rules.get(i).cloned().unwrap_or_else(|| {
                    if entry.source.is_none() {
                        "typed by hand (manual entry)".into()
                    } else {
                        "no record of the rule".into()
                    }
                });
                (line.clone(), rule)
            })
            .collect())
    }
}

/// The document tables of a read view, to summarise documents.
struct ReadTables {
    documents: redb::ReadOnlyTable<u64, Bytes>,
    allocations: redb::ReadOnlyTable<(u64, u64), i64>,
    setoffs: redb::ReadOnlyTable<(u64, u64), i64>,
    posted: redb::ReadOnlyTable<u64, Bytes>,
    parties: redb::ReadOnlyTable<&'static str, Bytes>,
    settings: Option<Settings>,
}

impl ReadTables {
    fn open(view: &super::store::View) -> Result<Self> {
        Ok(ReadTables {
            documents: view.table(DOCUMENTS)?,
            allocations: view.table(ALLOCATIONS)?,
            setoffs: view.table(SETOFFS)?,
            posted: view.table(POSTED)?,
            parties: view.table(PARTIES)?,
            settings: view.meta("settings")?,
        })
    }

    fn doc_type(&self, id: DocumentId) -> Result<Option<DocumentType>> {
        match self.documents.get(id)? {
            Some(bytes) => Ok(Some(
                decode::<Document>(bytes.value(), "document")?.doc_type,
            )),
            None => Ok(None),
        }
    }

    /// A draft's total as the engine would post it today (zero if it cannot be posted).
    fn draft_total(&self, doc: &Document) -> Result<Amount> {
        let (Some(settings), Some(bytes)) = (&self.settings, self.parties.get(doc.party.as_str())?)
        else {
            return Ok(Amount::ZERO);
        };
        let party: Party = decode(bytes.value(), "third party")?;
        Ok(posting::post_invoice(doc, &party, settings)
            .map(|p| p.total)
            .unwrap_or(Amount::ZERO))
    }

    fn summarize(&self, doc: &Document) -> Result<DocumentSummary> {
        let total = match &doc.body {
            DocumentBody::Payment { amount, .. } => *amount,
            DocumentBody::Lines(_) if doc.status == DocumentStatus::Draft => {
                self.draft_total(doc)?
            }
            DocumentBody::Lines(_) => match self.posted.get(doc.id)? {
                Some(bytes) => decode::<PostedTotals>(bytes.value(), "posted totals")?.total,
                None => Amount::ZERO,
            },
        };
        let mut received = Amount::ZERO;
        for item in self
            .allocations
            .range((doc.id, 0u64)..=(doc.id, u64::MAX))?
        {
            received = Amount::from_cents(add_cents(
                received.cents(),
                item?.1.value(),
                "allocations received by a document",
            )?);
        }
        let mut given = Vec::new();
        for allocation in doc.allocations() {
            if let Some(t) = self.doc_type(allocation.document)? {
                given.push((t, allocation.amount));
            }
        }
        for item in self.setoffs.range((doc.id, 0u64)..=(doc.id, u64::MAX))? {
            let (key, value) = item?;
            if let Some(t) = self.doc_type(key.value().1)? {
                given.push((t, Amount::from_cents(value.value())));
            }
        }
        let settled = settlement::settle(doc, total, received, &given).map_err(settlement_error)?;
        Ok(DocumentSummary {
            document: doc.clone(),
            total: settled.total,
            allocated: settled.allocated,
            remaining: settled.remaining,
            status: settled.status,
        })
    }
}

/// Checks and builds a draft document; a line-level error says which line (0-based).
fn new_document(
    tx: &mut Tx<'_>,
    d: &DocTables<'_>,
    input: DocumentInput,
) -> std::result::Result<Document, (Option<usize>, LedgerError)> {
    let whole = |err: LedgerError| (None, err);
    if input.doc_type.is_payment() {
        return Err(whole(invalid(
            "type",
            "payments are registered with `folio pay add`",
        )));
    }
    if input.lines.is_empty() {
        return Err(whole(invalid(
            "lines",
            "a document needs at least one line",
        )));
    }
    let party = tx.party_ref(&input.party).map_err(whole)?;
    if !party.active {
        return Err(whole(LedgerError::InactiveParty(party.code.clone())));
    }
    check_party_kind(party, input.doc_type).map_err(whole)?;
    tx.accepting_year_ref(input.date).map_err(whole)?;
    let mut lines = input.lines;
    for (i, line) in lines.iter_mut().enumerate() {
        if let Some(code) = &line.item {
            let item = d.settings.item(code).ok_or_else(|| {
                (
                    Some(i),
                    LedgerError::Invalid {
                        field: "item",
                        reason: format!("unknown item {}", crate::model::text::echo(code)),
                    },
                )
            })?;
            if line.label.trim().is_empty() {
                line.label = item.label.clone();
            }
        }
        line.label = sanitize_text(&line.label);
        if line.label.is_empty() {
            return Err((Some(i), invalid("label", "a line needs a label or an item")));
        }
    }
    let id = tx
        .get_meta::<u64>("next_document")
        .map_err(whole)?
        .unwrap_or(1);
    let next = next_counter(id, "document id").map_err(whole)?;
    tx.put_meta("next_document", &next).map_err(whole)?;
    let reference = sanitize_text(&input.reference);
    let doc = Document {
        id,
        doc_type: input.doc_type,
        number: None,
        party: input.party,
        date: input.date,
        reference,
        body: DocumentBody::Lines(lines),
        status: DocumentStatus::Draft,
        entry: None,
        due_date: None,
    };
    // Check now that the engine accepts it (tax codes, rates, items), so that a draft never
    // fails later for a reason known today.
    let party = tx.party(&doc.party).map_err(whole)?;
    posting::post_invoice(&doc, &party, &d.settings).map_err(|err| {
        let line = line_of_posting_error(&doc, &d.settings, &err);
        (line, posting_error(err))
    })?;
    Ok(doc)
}

/// The document line a posting error is about: the first naming the code in question.
fn line_of_posting_error(doc: &Document, settings: &Settings, err: &PostingError) -> Option<usize> {
    let code = match err {
        PostingError::UnknownItem(code) | PostingError::UnknownTax(code) => code,
        PostingError::NoRate { code, .. } | PostingError::WrongTaxKind { code, .. } => code,
        _ => return None,
    };
    doc.lines().iter().position(|line| {
        let item = line.item.as_deref().and_then(|i| settings.item(i));
        line.item.as_deref() == Some(code.as_str())
            || line.tax_code.as_deref() == Some(code.as_str())
            || item.is_some_and(|i| {
                i.sale_tax.as_deref() == Some(code.as_str())
                    || i.purchase_tax.as_deref() == Some(code.as_str())
            })
    })
}

fn check_party_kind(party: &Party, doc_type: DocumentType) -> Result<()> {
    let expected = match doc_type.context() {
        crate::model::document::Context::Sale => crate::model::PartyKind::Customer,
        crate::model::document::Context::Purchase => crate::model::PartyKind::Supplier,
    };
    if party.kind != expected {
        return Err(LedgerError::Invalid {
            field: "party",
            reason: format!(
                "{} is a {}, a {} needs a {}",
                party.code,
                party.kind.name(),
                doc_type.name(),
                expected.name()
            ),
        });
    }
    Ok(())
}

fn validate_one(
    tx: &mut Tx<'_>,
    d: &mut DocTables<'_>,
    ctx: &Ctx,
    doc: &mut Document,
) -> Result<()> {
    if doc.status == DocumentStatus::Validated {
        return Err(invalid(
            "document",
            format!("{} is already validated", doc.display_ref()),
        ));
    }
    let year = tx.accepting_year_ref(doc.date)?.name();
    let number = d.next_number(doc.doc_type, &year)?;
    d.numbers.insert(number.as_str(), doc.id)?;
    doc.number = Some(number);
    doc.status = DocumentStatus::Validated;
    let terms = tx.party_ref(&doc.party)?.payment_terms_days;
    doc.due_date = settlement::due_date(doc.doc_type, doc.date, terms);
    let posting = compute_posting(tx, d, doc)?;
    let entry = write_posting(tx, d, ctx, doc, &posting, None)?;
    doc.entry = Some(entry.id);
    d.posted.insert(
        doc.id,
        encode(&PostedTotals {
            total: posting.total,
            taxes: posting.taxes.clone(),
        })?
        .as_slice(),
    )?;
    d.put(doc)
}

/// Registers one payment inside a command's transaction (`bank pay`, `bank match`): checked,
/// numbered, posted, allocated and lettered as `register_payments` does; the caller writes the
/// audit record.
pub(crate) fn register_payment_in(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    input: PaymentInput,
) -> Result<Document> {
    let mut d = DocTables::open(tx)?;
    let doc = register_one(tx, &mut d, ctx, input).map_err(|(_, err)| err)?;
    drop(d);
    super::lettering_auto::letter_documents(tx, ctx, &[doc.id])?;
    Ok(doc)
}

/// A document's number (or `D<id>`) inside a command's transaction.
pub(crate) fn document_number_in(tx: &mut Tx<'_>, id: DocumentId) -> Result<String> {
    let d = DocTables::open(tx)?;
    Ok(d.get(id)?.display_ref())
}

fn register_one(
    tx: &mut Tx<'_>,
    d: &mut DocTables<'_>,
    ctx: &Ctx,
    input: PaymentInput,
) -> std::result::Result<Document, (Option<usize>, LedgerError)> {
    let whole = |err: LedgerError| (None, err);
    let mut targets = Vec::new();
    for (reference, _) in &input.allocations {
        targets.push(
            d.resolve(&input.party, reference)
                .map_err(|err| (Some(targets.len()), err))?,
        );
    }
    register_checked(tx, d, ctx, input, &targets).map_err(|(target, err)| {
        let index = target.and_then(|t| targets.iter().position(|x| *x == t));
        match index {
            Some(i) => (Some(i), err),
            None => whole(err),
        }
    })
}

fn register_checked(
    tx: &mut Tx<'_>,
    d: &mut DocTables<'_>,
    ctx: &Ctx,
    input: PaymentInput,
    targets: &[DocumentId],
) -> std::result::Result<Document, (Option<DocumentId>, LedgerError)> {
    let whole = |err: LedgerError| (None, err);
    if !input.doc_type.is_payment() {
        return Err(whole(invalid(
            "type",
            "invoices and credit notes are recorded with `folio doc add`",
        )));
    }
    if !input.amount.is_positive() {
        return Err(whole(invalid("amount", "a payment amount is positive")));
    }
    let party = tx.party_ref(&input.party).map_err(whole)?;
    if !party.active {
        return Err(whole(LedgerError::InactiveParty(party.code.clone())));
    }
    check_party_kind(party, input.doc_type).map_err(whole)?;
    if d.settings.payment_method(&input.method).is_none() {
        return Err(whole(invalid(
            "method",
            format!(
                "unknown payment method {}",
                crate::model::text::echo(&input.method)
            ),
        )));
    }
    let year = tx.accepting_year_ref(input.date).map_err(whole)?.name();
    let added: Vec<Allocation> = targets
        .iter()
        .zip(&input.allocations)
        .map(|(target, (_, amount))| Allocation {
            document: *target,
            amount: *amount,
        })
        .collect();
    let mut allocations = Vec::new();
    settlement::merge(&mut allocations, &added).map_err(|e| whole(settlement_error(e)))?;
    let id = tx
        .get_meta::<u64>("next_document")
        .map_err(whole)?
        .unwrap_or(1);
    let next = next_counter(id, "document id").map_err(whole)?;
    tx.put_meta("next_document", &next).map_err(whole)?;
    let doc = Document {
        id,
        doc_type: input.doc_type,
        number: None,
        party: input.party,
        date: input.date,
        reference: sanitize_text(&input.reference),
        body: DocumentBody::Payment {
            amount: input.amount,
            method: input.method,
            allocations,
        },
        status: DocumentStatus::Validated,
        entry: None,
        due_date: None,
    };
    check_allocations_at(d, &doc)?;
    post_registered(tx, d, ctx, doc, &year).map_err(whole)
}

fn not_a_payment(doc: &Document) -> LedgerError {
    let hint = if doc.doc_type.is_credit_note() {
        ": set a credit note off against invoices with `folio doc allocate`"
    } else {
        ""
    };
    invalid(
        "payment",
        format!(
            "{} is a {}, not a payment or refund{hint}",
            doc.display_ref(),
            doc.doc_type.name()
        ),
    )
}

/// Takes a credit note's set-off against one invoice back: both are due again by its amount.
fn remove_set_off(
    tx: &mut Tx<'_>,
    d: &mut DocTables<'_>,
    ctx: &Ctx,
    credit_note: Document,
    target: &Document,
) -> Result<Document> {
    let removed = d
        .setoffs
        .remove((credit_note.id, target.id))?
        .map(|v| Amount::from_cents(v.value()));
    let Some(removed) = removed else {
        return Err(settlement_error(SettlementError::NotAllocated {
            from: credit_note.display_ref(),
            document: target.display_ref(),
        }));
    };
    d.allocations.remove((target.id, credit_note.id))?;
    tx.audit(
        ctx,
        "document.unset_off",
        vec![doc_record(&credit_note), doc_record(target)],
        format!(
            "removed the set-off of {} {} against {}",
            credit_note.display_ref(),
            removed,
            target.display_ref()
        ),
    )?;
    Ok(credit_note)
}

/// Resolves `DOCUMENT=AMOUNT` pairs against the party of `from`.
fn resolve_all(
    d: &DocTables<'_>,
    from: &Document,
    allocations: &[(DocumentRef, Amount)],
) -> Result<Vec<Allocation>> {
    allocations
        .iter()
        .map(|(reference, amount)| {
            Ok(Allocation {
                document: d.resolve(&from.party, reference)?,
                amount: *amount,
            })
        })
        .collect()
}

/// Reposts a payment whose allocations changed, and the payments and refunds allocated to
/// the documents concerned (their share of VAT due on payment may move). A change that
/// would rewrite an entry of a closed year or a locked period is refused.
fn repost_settlement(
    tx: &mut Tx<'_>,
    d: &mut DocTables<'_>,
    ctx: &Ctx,
    payment: &Document,
    targets: &[DocumentId],
) -> Result<()> {
    let mut affected = vec![payment.id];
    for target in targets {
        for (other, _) in d.allocated_to(*target)? {
            if d.get(other)?.doc_type.is_payment() {
                affected.push(other);
            }
        }
    }
    affected.sort_unstable();
    affected.dedup();
    for id in dependency_order(d, affected)? {
        let mut other = d.get(id)?;
        let mut report = RegenerateReport::default();
        regenerate_one(tx, d, ctx, &mut other, &mut report)?;
        if (report.skipped_closed > 0 || report.skipped_locked > 0)
            && posting_changes(tx, d, &other)?
        {
            return Err(invalid(
                "allocated",
                format!(
                    "the entry of {} would change, but its date {} is in a closed year or a locked period",
                    other.display_ref(),
                    other.date
                ),
            ));
        }
    }
    Ok(())
}

/// Whether posting `doc` now would give another entry than the one it has.
fn posting_changes(tx: &mut Tx<'_>, d: &DocTables<'_>, doc: &Document) -> Result<bool> {
    let posting = compute_posting(tx, d, doc)?;
    let input = entry_input(doc, &posting);
    Ok(match doc.entry {
        Some(id) => tx.entry_opt(id)?.is_none_or(|e| !same_content(&e, &input)),
        None => true,
    })
}

/// Documents in the order their postings depend on each other: invoices and credit notes,
/// then payments, then refunds (which may settle payments), each by date then id.
fn dependency_order(d: &DocTables<'_>, ids: Vec<DocumentId>) -> Result<Vec<DocumentId>> {
    let mut keyed = Vec::with_capacity(ids.len());
    for id in ids {
        let doc = d.get(id)?;
        keyed.push((replay_rank(doc.doc_type), doc.date, id));
    }
    keyed.sort_unstable();
    Ok(keyed.into_iter().map(|(_, _, id)| id).collect())
}

/// Invoices and credit notes first, then payments, then refunds (which may settle payments).
fn replay_rank(doc_type: DocumentType) -> u8 {
    match doc_type {
        DocumentType::CustomerRefund | DocumentType::SupplierRefund => 2,
        t if t.is_payment() => 1,
        _ => 0,
    }
}

/// Numbers, stores and posts a payment whose allocations were checked.
fn post_registered(
    tx: &mut Tx<'_>,
    d: &mut DocTables<'_>,
    ctx: &Ctx,
    mut doc: Document,
    year: &str,
) -> Result<Document> {
    let number = d.next_number(doc.doc_type, year)?;
    d.numbers.insert(number.as_str(), doc.id)?;
    doc.number = Some(number);
    d.insert_new(&doc)?;
    store_allocations(d, &doc)?;
    let posting = compute_posting(tx, d, &doc)?;
    let entry = write_posting(tx, d, ctx, &doc, &posting, None)?;
    doc.entry = Some(entry.id);
    let totals = PostedTotals {
        total: posting.total,
        taxes: Vec::new(),
    };
    d.posted.insert(doc.id, encode(&totals)?.as_slice())?;
    d.put(&doc)?;
    repost_later_payments(tx, d, ctx, &doc)?;
    Ok(doc)
}

/// A payment dated before others on the same documents changes their share of VAT on
/// payment: those later payments are reposted.
fn repost_later_payments(
    tx: &mut Tx<'_>,
    d: &mut DocTables<'_>,
    ctx: &Ctx,
    payment: &Document,
) -> Result<()> {
    let mut later = Vec::new();
    for allocation in payment.allocations() {
        for (other, _) in d.allocated_to(allocation.document)? {
            let other = d.get(other)?;
            if (other.date, other.id) > (payment.date, payment.id) {
                later.push(other.id);
            }
        }
    }
    later.sort_unstable();
    later.dedup();
    let mut report = RegenerateReport::default();
    for id in later {
        let mut other = d.get(id)?;
        regenerate_one(tx, d, ctx, &mut other, &mut report)?;
    }
    Ok(())
}

/// Allocations stay within what each document still owes and within the payment.
fn check_allocations(d: &DocTables<'_>, from: &Document) -> Result<()> {
    check_allocations_at(d, from).map_err(|(_, err)| err)
}

/// Checks the allocations of `from` (a payment's, or a credit note's set-offs) against the
/// settlement rules, telling which allocated document an error is about.
fn check_allocations_at(
    d: &DocTables<'_>,
    from: &Document,
) -> std::result::Result<(), (Option<DocumentId>, LedgerError)> {
    let whole = |err: LedgerError| (None, err);
    let mut allocations: Vec<Allocation> = from.allocations().to_vec();
    if from.doc_type.is_credit_note() {
        for (document, amount) in d.set_off_by(from.id).map_err(whole)? {
            allocations.push(Allocation { document, amount });
        }
    }
    let mut targets = Vec::new();
    for allocation in &allocations {
        let at = |err: LedgerError| (Some(allocation.document), err);
        let target = d.get(allocation.document).map_err(at)?;
        let settled = d.settled(&target).map_err(at)?;
        // What is due on the target leaving aside what `from` allocated to it before.
        let before = d
            .allocations
            .get((target.id, from.id))
            .map_err(|e| at(e.into()))?
            .map(|v| Amount::from_cents(v.value()))
            .unwrap_or(Amount::ZERO);
        let due = add_cents(
            settled.remaining.cents(),
            before.cents(),
            "the amount due on a document",
        )
        .map_err(at)?;
        targets.push((target, allocation.amount, Amount::from_cents(due)));
    }
    let proposed: Vec<Proposed<'_>> = targets
        .iter()
        .map(|(target, amount, due)| Proposed {
            target,
            amount: *amount,
            due: *due,
        })
        .collect();
    let overflow = |what: &str| {
        whole(LedgerError::AmountOverflow {
            what: what.to_string(),
        })
    };
    let received = Amount::checked_sum(
        d.allocated_to(from.id)
            .map_err(whole)?
            .into_iter()
            .map(|(_, a)| a),
    )
    .ok_or_else(|| overflow("allocations received by a document"))?;
    let available = d
        .total(from)
        .map_err(whole)?
        .checked_sub(received)
        .ok_or_else(|| overflow("the amount a document has left to allocate"))?;
    settlement::check_allocations(from, available, &proposed)
        .map_err(|(at, err)| (at, settlement_error(err)))
}

fn store_allocations(d: &mut DocTables<'_>, payment: &Document) -> Result<()> {
    for allocation in payment.allocations() {
        d.allocations
            .insert((allocation.document, payment.id), allocation.amount.cents())?;
    }
    Ok(())
}

fn same_content(entry: &Entry, input: &EntryInput) -> bool {
    entry.journal == input.journal
        && entry.date == input.date
        && entry.piece == input.piece
        && entry.label == input.label
        && entry.lines == input.lines
}

/// Reposts one validated document if its result changed.
fn regenerate_one(
    tx: &mut Tx<'_>,
    d: &mut DocTables<'_>,
    ctx: &Ctx,
    doc: &mut Document,
    report: &mut RegenerateReport,
) -> Result<()> {
    let year = tx.year_of(doc.date).cloned();
    if year.as_ref().is_none_or(|y| !y.is_open()) {
        report.skipped_closed = report.skipped_closed.saturating_add(1);
        return Ok(());
    }
    let posting = compute_posting(tx, d, doc)?;
    let input = entry_input(doc, &posting);
    let current = match doc.entry {
        Some(id) => tx.entry_opt(id)?,
        None => None,
    };
    let rules: Vec<String> = posting.lines.iter().map(|l| l.rule.to_string()).collect();
    if let Some(entry) = &current
        && same_content(entry, &input)
    {
        report.unchanged = report.unchanged.saturating_add(1);
        d.why.insert(entry.id, encode(&rules)?.as_slice())?;
        return Ok(());
    }
    if tx.accepting_year_ref(doc.date).is_err() {
        report.skipped_locked = report.skipped_locked.saturating_add(1);
        return Ok(());
    }
    let totals = PostedTotals {
        total: posting.total,
        taxes: posting.taxes.clone(),
    };
    match current {
        None => {
            let entry = write_posting(tx, d, ctx, doc, &posting, None)?;
            report.created = report.created.saturating_add(1);
            report.changes.push(format!(
                "{}: entry {} created",
                doc.display_ref(),
                entry.reference()
            ));
            doc.entry = Some(entry.id);
        }
        Some(entry) if entry.status == EntryStatus::Draft => {
            tx.remove_entry(&entry)?;
            let next = Some((entry.id, entry.revision.saturating_add(1)));
            let replaced = write_posting(tx, d, ctx, doc, &posting, next)?;
            report.drafts_replaced = report.drafts_replaced.saturating_add(1);
            report.changes.push(format!(
                "{}: draft {} replaced",
                doc.display_ref(),
                replaced.reference()
            ));
        }
        Some(entry) => {
            let reversal = reverse_generated(tx, ctx, &entry, doc.date)?;
            let reposted = write_posting(tx, d, ctx, doc, &posting, None)?;
            super::lettering_auto::follow_repost(tx, ctx, &entry, &reversal, &reposted)?;
            report.reposted = report.reposted.saturating_add(1);
            report.changes.push(format!(
                "{}: {} reversed by {}, reposted as {}",
                doc.display_ref(),
                entry.reference(),
                reversal.reference(),
                reposted.reference()
            ));
            doc.entry = Some(reposted.id);
        }
    }
    d.posted.insert(doc.id, encode(&totals)?.as_slice())?;
    d.put(doc)
}

/// Reverses a validated generated entry on `date` (the document's date, so the VAT period
/// stays right).
fn reverse_generated(tx: &mut Tx<'_>, ctx: &Ctx, entry: &Entry, date: NaiveDate) -> Result<Entry> {
    reverse_generated_noted(tx, ctx, entry, date, "")
}

/// [`reverse_generated`] with a note at the end of the label (why the entry is reversed).
fn reverse_generated_noted(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    entry: &Entry,
    date: NaiveDate,
    note: &str,
) -> Result<Entry> {
    let input = EntryInput {
        journal: entry.journal.clone(),
        date,
        piece: entry.piece.clone(),
        label: format!("Extourne {} {}{note}", entry.reference(), entry.label)
            .chars()
            .take(crate::model::entry::MAX_TEXT_CHARS)
            .collect(),
        lines: entry.lines.iter().map(Line::reversed).collect(),
    };
    tx.check_input(&input)?;
    let mut reversal = new_entry(tx, ctx, input, entry.source.clone())?;
    reversal.reversal_of = Some(entry.id);
    tx.number_entry(&mut reversal, ctx.today)?;
    tx.insert_entry(&reversal)?;
    tx.tag_reversal(entry, &reversal)?;
    tx.reversals.insert(entry.id, reversal.id)?;
    Ok(reversal)
}

// ----- payments registered and cancelled by other commands -------------------------------------

/// A validated invoice or credit note with what is still due on it.
#[derive(Debug, Clone)]
pub(crate) struct DueDocument {
    pub document: Document,
    pub remaining: Amount,
}

/// Validated documents of `doc_type` with something still due, in date order, read inside a
/// command's transaction (so what it registers next is checked against the same state).
pub(crate) fn due_documents(tx: &Tx<'_>, doc_type: DocumentType) -> Result<Vec<DueDocument>> {
    let d = DocTables::open(tx)?;
    let mut out = Vec::new();
    for item in d.by_date.range::<(i32, u64)>(..)? {
        let id = item?.0.value().1;
        let doc = d.get(id)?;
        if doc.doc_type != doc_type || doc.status != DocumentStatus::Validated {
            continue;
        }
        let settled = d.settled(&doc)?;
        if settlement::is_due(&settled) && settled.remaining.is_positive() {
            out.push(DueDocument {
                document: doc,
                remaining: settled.remaining,
            });
        }
    }
    Ok(out)
}

/// Registers payments inside a command's transaction, through the same path as
/// [`Ledger::register_payments`] (numbered, posted, allocated, lettered); the caller writes
/// the audit record.
pub(crate) fn register_payments_in(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    inputs: Vec<PaymentInput>,
) -> Result<Vec<Document>> {
    let mut d = DocTables::open(tx)?;
    let mut out = Vec::new();
    for input in inputs {
        out.push(register_one(tx, &mut d, ctx, input).map_err(|(_, err)| err)?);
    }
    drop(d);
    let ids: Vec<DocumentId> = out.iter().map(|doc| doc.id).collect();
    super::lettering_auto::letter_documents(tx, ctx, &ids)?;
    Ok(out)
}

/// A document by id, number or `D<id>`, inside a command's transaction.
pub(crate) fn find_document(tx: &Tx<'_>, reference: &str) -> Result<Document> {
    let d = DocTables::open(tx)?;
    let text = reference.trim();
    let id = match d.numbers.get(text)?.map(|v| v.value()) {
        Some(id) => id,
        None => text
            .strip_prefix('D')
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| {
                invalid(
                    "document",
                    format!("no document {}", crate::model::text::echo(text)),
                )
            })?,
    };
    d.get(id)
}

/// The payments and refunds allocated to a document, in the order they were registered.
pub(crate) fn payments_of(tx: &Tx<'_>, id: DocumentId) -> Result<Vec<Document>> {
    let d = DocTables::open(tx)?;
    let mut out = Vec::new();
    for (other, _) in d.allocated_to(id)? {
        let doc = d.get(other)?;
        if doc.doc_type.is_payment() {
            out.push(doc);
        }
    }
    out.sort_by_key(|doc| doc.id);
    Ok(out)
}

/// What a payment's cancellation did.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentCancellation {
    pub payment: Document,
    /// The documents it was allocated to, open again by what it paid.
    pub reopened: Vec<(String, Amount)>,
    /// The entry that cancels the payment's entry (none when that entry was a draft, which
    /// is deleted instead).
    pub reversal: Option<String>,
}

/// Cancels a registered payment or refund inside a command's transaction (a returned cheque,
/// a rejected direct debit): its allocations are removed, so what it paid is due again, the
/// letter groups they made are removed, its entry is reversed by an entry linked to the
/// payment, dated `date` (a draft entry is deleted), the payment line and its reversal are
/// lettered together, and later payments of the same documents are reposted (their share of
/// VAT due on payment changes). The payment stays, marked cancelled. The caller writes the
/// audit record.
pub(crate) fn cancel_payment_in(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    payment: DocumentId,
    date: NaiveDate,
    reason: &str,
) -> Result<PaymentCancellation> {
    let mut d = DocTables::open(tx)?;
    let mut doc = d.get(payment)?;
    if !doc.doc_type.is_payment() {
        return Err(not_a_payment(&doc));
    }
    if doc.status == DocumentStatus::Cancelled {
        return Err(invalid(
            "payment",
            format!("{} is already cancelled", doc.display_ref()),
        ));
    }
    if date < doc.date {
        return Err(invalid(
            "date",
            format!(
                "{} is dated {}: its cancellation cannot be dated before ({date})",
                doc.display_ref(),
                doc.date
            ),
        ));
    }
    if let Some((other, _)) = d.allocated_to(doc.id)?.first() {
        return Err(invalid(
            "payment",
            format!(
                "{} is allocated to {}: remove that allocation first (folio pay unallocate)",
                d.get(*other)?.display_ref(),
                doc.display_ref()
            ),
        ));
    }
    let before = doc.clone();
    let allocations = doc.allocations().to_vec();
    let mut targets = Vec::new();
    let mut reopened = Vec::new();
    for allocation in &allocations {
        let target = d.get(allocation.document)?;
        d.allocations.remove((target.id, doc.id))?;
        reopened.push((target.display_ref(), allocation.amount));
        targets.push(target);
    }
    if let DocumentBody::Payment { allocations, .. } = &mut doc.body {
        allocations.clear();
    }
    doc.status = DocumentStatus::Cancelled;
    d.put(&doc)?;
    // Later payments of the same documents: their share of VAT due on payment follows.
    let mut later = Vec::new();
    for target in &targets {
        for (other, _) in d.allocated_to(target.id)? {
            let other = d.get(other)?;
            if (other.date, other.id) > (before.date, before.id) {
                later.push(other.id);
            }
        }
    }
    later.sort_unstable();
    later.dedup();
    let mut report = RegenerateReport::default();
    for id in later {
        let mut other = d.get(id)?;
        regenerate_one(tx, &mut d, ctx, &mut other, &mut report)?;
    }
    drop(d);
    for target in &targets {
        super::lettering_auto::unletter_allocation(tx, ctx, &before, target)?;
    }
    let reversal = match before.entry.map(|id| tx.entry(id)).transpose()? {
        None => None,
        Some(entry) if !entry.is_validated() => {
            tx.remove_entry(&entry)?;
            let mut d = DocTables::open(tx)?;
            doc.entry = None;
            d.put(&doc)?;
            None
        }
        Some(entry) => {
            let note = if reason.trim().is_empty() {
                String::new()
            } else {
                format!(" ({})", sanitize_text(reason.trim()))
            };
            let reversal = reverse_generated_noted(tx, ctx, &entry, date, &note)?;
            letter_with_reversal(tx, ctx, &before, &entry, &reversal)?;
            Some(reversal.reference())
        }
    };
    Ok(PaymentCancellation {
        payment: doc,
        reopened,
        reversal,
    })
}

/// Letters each third-party line of the cancelled payment's entry with its reversal.
fn letter_with_reversal(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    payment: &Document,
    original: &Entry,
    reversal: &Entry,
) -> Result<()> {
    // A payment of a closed year was carried into the next one line by line: its line
    // there stays as it is.
    if tx.year_of(original.date).is_none_or(|year| !year.is_open()) {
        return Ok(());
    }
    let mut books = super::lettering::Books::default();
    for (k, line) in original.lines.iter().enumerate() {
        if line.third_party.as_deref() != Some(payment.party.as_str())
            || !tx.account_ref(&line.account)?.letterable
        {
            continue;
        }
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        if tx.lettering.get((original.id, k))?.is_some() {
            continue;
        }
        let pair = [
            crate::lettering::LineRef {
                entry: original.id,
                line: k,
            },
            crate::lettering::LineRef {
                entry: reversal.id,
                line: k,
            },
        ];
        super::lettering::letter_lines(tx, ctx, &mut books, &pair)?;
    }
    Ok(())
}

impl Ledger {
    /// Cancels a registered payment or refund (see [`cancel_payment_in`]), dated `date`
    /// (default: the working date), with an audit record giving the reason.
    pub fn cancel_payment(
        &self,
        ctx: &Ctx,
        payment: &str,
        date: Option<NaiveDate>,
        reason: &str,
    ) -> Result<PaymentCancellation> {
        self.write(ctx, |tx| {
            let doc = find_document(tx, payment)?;
            let date = date.unwrap_or(ctx.today);
            let done = cancel_payment_in(tx, ctx, doc.id, date, reason)?;
            audit_cancellation(tx, ctx, &done, reason)?;
            Ok(done)
        })
    }
}

/// The audit record of a cancellation.
pub(crate) fn audit_cancellation(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    done: &PaymentCancellation,
    reason: &str,
) -> Result<()> {
    let reopened: Vec<String> = done
        .reopened
        .iter()
        .map(|(doc, amount)| format!("{doc} {amount}"))
        .collect();
    tx.audit(
        ctx,
        "payment.cancel",
        vec![doc_record(&done.payment)],
        format!(
            "cancelled {}{}{}{}",
            done.payment.display_ref(),
            if reason.trim().is_empty() {
                String::new()
            } else {
                format!(" ({})", sanitize_text(reason.trim()))
            },
            done.reversal
                .as_ref()
                .map(|r| format!(", reversed by {r}"))
                .unwrap_or_else(|| ", draft entry deleted".into()),
            if reopened.is_empty() {
                String::new()
            } else {
                format!(", reopened {}", reopened.join(", "))
            }
        ),
    )
}

/// Tags the generated entries of a ledger written before the VAT index (schema 5): an entry
/// the engine posts the same today takes the tags the engine gives; a reversal takes its
/// original's, negated. An entry the current settings would post differently stays untagged
/// (the worksheet reports its VAT lines).
pub(crate) fn tag_generated_entries(tx: &mut Tx<'_>) -> Result<u64> {
    let mut generated = Vec::new();
    for item in tx.entries.range::<u64>(..)? {
        let (key, value) = item?;
        let entry = super::store::decode_entry(value.value(), key.value())?;
        if entry
            .source
            .as_deref()
            .is_some_and(|s| s.starts_with("document:"))
        {
            generated.push(entry);
        }
    }
    if generated.is_empty() {
        return Ok(0);
    }
    let d = DocTables::open(tx)?;
    let mut tagged = 0u64;
    for entry in &generated {
        if !tx.entry_tags(entry.id)?.is_empty() {
            continue;
        }
        if let Some(original) = entry.reversal_of {
            let original = tx.entry(original)?;
            tx.tag_reversal(&original, entry)?;
            tagged = tagged.saturating_add(1);
            continue;
        }
        let Some(id) = entry
            .source
            .as_deref()
            .and_then(|s| s.strip_prefix("document:"))
            .and_then(|id| id.parse::<DocumentId>().ok())
        else {
            continue;
        };
        let Ok(doc) = d.get(id) else {
            continue;
        };
        let Ok(posting) = compute_posting(tx, &d, &doc) else {
            continue;
        };
        if same_content(entry, &entry_input(&doc, &posting)) {
            let tags = super::vat_index::posting_tags(&posting, &d.settings);
            tx.tag_lines(entry, &tags)?;
            tagged = tagged.saturating_add(1);
        }
    }
    Ok(tagged)
}
