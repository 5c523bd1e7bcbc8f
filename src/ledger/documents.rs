//! Documents and payments: stored, numbered per type and fiscal year, posted through the
//! engine, explained (`why`) and regenerated.

use chrono::NaiveDate;
use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::commands::{clean_input, entry_with_id, new_entry};
use super::error::{LedgerError, Result};
use super::store::{Tx, day};
use super::tables::*;
use super::{Ctx, Ledger};
use crate::model::document::{
    Allocation, Document, DocumentBody, DocumentId, DocumentLine, DocumentStatus, DocumentType,
    PaymentStatus,
};
use crate::model::settings::{EntryLanding, Settings};
use crate::model::{Amount, Entry, EntryId, EntryInput, EntryStatus, Line, Party, sanitize_text};
use crate::posting::{self, AllocatedDocument, Posting, PostingError, TaxDetail};

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
    /// Allocated by payments (for invoices and credit notes) or to documents (payments).
    pub allocated: Amount,
    /// Still due (invoices, credit notes) or still unallocated (payments).
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
        let seq = self.counters.get(key)?.map(|v| v.value()).unwrap_or(0) + 1;
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
    entry_id: Option<EntryId>,
) -> Result<Entry> {
    let input = entry_input(doc, posting);
    tx.check_input(&input)?;
    let source = Some(format!("document:{}", doc.id));
    let mut entry = match entry_id {
        Some(id) => entry_with_id(id, ctx, input, source),
        None => new_entry(tx, ctx, input, source),
    };
    if d.settings.general.generated_entries == EntryLanding::Validated {
        tx.number_entry(&mut entry, ctx.today)?;
    }
    tx.insert_entry(&entry)?;
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

/// What payments before `payment` (by date, then id) allocated to `target`.
fn allocated_before(d: &DocTables<'_>, target: DocumentId, payment: &Document) -> Result<Amount> {
    let mut sum = Amount::ZERO;
    for (other, amount) in d.allocated_to(target)? {
        if other == payment.id {
            continue;
        }
        let other_doc = d.get(other)?;
        if (other_doc.date, other_doc.id) < (payment.date, payment.id) {
            sum += amount;
        }
    }
    Ok(sum)
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

    /// Adds allocations to a registered payment and reposts what they change.
    pub fn allocate(
        &self,
        ctx: &Ctx,
        payment: DocumentId,
        allocations: &[(DocumentRef, Amount)],
    ) -> Result<Document> {
        self.write(ctx, |tx| {
            let mut d = DocTables::open(tx)?;
            let mut doc = d.get(payment)?;
            if !doc.doc_type.is_payment() {
                return Err(invalid(
                    "payment",
                    format!("{} is not a payment", doc.display_ref()),
                ));
            }
            let mut added = Vec::new();
            for (reference, amount) in allocations {
                let target = d.resolve(&doc.party, reference)?;
                added.push(Allocation {
                    document: target,
                    amount: *amount,
                });
            }
            let DocumentBody::Payment {
                allocations: current,
                ..
            } = &mut doc.body
            else {
                return Err(invalid("payment", "not a payment"));
            };
            for allocation in &added {
                match current
                    .iter_mut()
                    .find(|a| a.document == allocation.document)
                {
                    Some(existing) => existing.amount += allocation.amount,
                    None => current.push(allocation.clone()),
                }
            }
            check_allocations(&d, &doc)?;
            store_allocations(&mut d, &doc)?;
            d.put(&doc)?;
            let mut report = RegenerateReport::default();
            let mut affected = vec![doc.id];
            for allocation in &added {
                for (other, _) in d.allocated_to(allocation.document)? {
                    affected.push(other);
                }
            }
            affected.sort_unstable();
            affected.dedup();
            for id in affected {
                let mut other = d.get(id)?;
                regenerate_one(tx, &mut d, ctx, &mut other, &mut report)?;
            }
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
            d.get(payment)
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
                Some(id) => vec![d.get(id)?.id],
                None => {
                    let mut ids = Vec::new();
                    for item in d.by_date.range((range.0, 0u64)..=(range.1, u64::MAX))? {
                        ids.push(item?.0.value().1);
                    }
                    ids
                }
            };
            let mut report = RegenerateReport::default();
            for id in ids {
                let mut doc = d.get(id)?;
                if doc.status != DocumentStatus::Validated {
                    continue;
                }
                report.examined += 1;
                regenerate_one(tx, &mut d, ctx, &mut doc, &mut report)?;
            }
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
        let docs = view.table(DOCUMENTS)?;
        let by_date = view.table(DOCUMENTS_BY_DATE)?;
        let allocations = view.table(ALLOCATIONS)?;
        let posted = view.table(POSTED)?;
        let mut out = Vec::new();
        for item in by_date.range::<(i32, u64)>(..)? {
            let id = item?.0.value().1;
            let Some(bytes) = docs.get(id)? else { continue };
            let doc: Document = decode(bytes.value(), "document")?;
            if doc_type.is_some_and(|t| t != doc.doc_type) {
                continue;
            }
            out.push(summarize(&doc, &docs, &allocations, &posted)?);
        }
        Ok(out)
    }

    /// One document by id (`D12`, `12`) or number (`FA2026-00001`).
    pub fn document(&self, reference: &str) -> Result<DocumentSummary> {
        let view = self.read()?;
        let docs = view.table(DOCUMENTS)?;
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
        let bytes = docs.get(id)?.ok_or_else(|| {
            invalid(
                "document",
                format!("no document {}", crate::model::text::echo(reference)),
            )
        })?;
        let doc: Document = decode(bytes.value(), "document")?;
        summarize(&doc, &docs, &view.table(ALLOCATIONS)?, &view.table(POSTED)?)
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

/// How an allocation counts against a payment: a credit note allocated in a payment offsets
/// an invoice, so it reduces what the payment covers; a refund pays credit notes back.
fn counts_against_payment(payment: DocumentType, target: DocumentType) -> bool {
    let refund = matches!(
        payment,
        DocumentType::CustomerRefund | DocumentType::SupplierRefund
    );
    !target.is_credit_note() || refund
}

fn summarize(
    doc: &Document,
    documents: &impl ReadableTable<u64, Bytes>,
    allocations: &impl ReadableTable<(u64, u64), i64>,
    posted: &impl ReadableTable<u64, Bytes>,
) -> Result<DocumentSummary> {
    let (total, allocated, is_payment) = match &doc.body {
        DocumentBody::Payment {
            amount,
            allocations: a,
            ..
        } => {
            let mut net = Amount::ZERO;
            for allocation in a {
                let target_type = match documents.get(allocation.document)? {
                    Some(bytes) => decode::<Document>(bytes.value(), "document")?.doc_type,
                    None => continue,
                };
                if counts_against_payment(doc.doc_type, target_type) {
                    net += allocation.amount;
                } else {
                    net -= allocation.amount;
                }
            }
            (*amount, net, true)
        }
        DocumentBody::Lines(_) => {
            let total = match posted.get(doc.id)? {
                Some(bytes) => decode::<PostedTotals>(bytes.value(), "posted totals")?.total,
                None => Amount::ZERO,
            };
            let mut allocated = Amount::ZERO;
            for item in allocations.range((doc.id, 0u64)..=(doc.id, u64::MAX))? {
                allocated += Amount::from_cents(item?.1.value());
            }
            (total, allocated, false)
        }
    };
    let status = (!is_payment && doc.status == DocumentStatus::Validated)
        .then(|| PaymentStatus::of(total, allocated));
    Ok(DocumentSummary {
        document: doc.clone(),
        total,
        allocated,
        remaining: total - allocated,
        status,
    })
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
    tx.put_meta("next_document", &(id + 1)).map_err(whole)?;
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
    let mut allocations = Vec::new();
    for (target, (_, amount)) in targets.iter().copied().zip(&input.allocations) {
        match allocations
            .iter_mut()
            .find(|a: &&mut Allocation| a.document == target)
        {
            Some(existing) => existing.amount += *amount,
            None => allocations.push(Allocation {
                document: target,
                amount: *amount,
            }),
        }
    }
    let id = tx
        .get_meta::<u64>("next_document")
        .map_err(whole)?
        .unwrap_or(1);
    tx.put_meta("next_document", &(id + 1)).map_err(whole)?;
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
    };
    check_allocations_at(d, &doc)?;
    post_registered(tx, d, ctx, doc, &year).map_err(whole)
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

/// The documents a payment type may be allocated to.
fn allocatable(payment: DocumentType) -> &'static [DocumentType] {
    match payment {
        DocumentType::CustomerPayment => &[
            DocumentType::CustomerInvoice,
            DocumentType::CustomerCreditNote,
        ],
        DocumentType::SupplierPayment => &[
            DocumentType::SupplierInvoice,
            DocumentType::SupplierCreditNote,
        ],
        DocumentType::CustomerRefund => &[DocumentType::CustomerCreditNote],
        DocumentType::SupplierRefund => &[DocumentType::SupplierCreditNote],
        _ => &[],
    }
}

/// Allocations stay within what each document still owes and within the payment.
fn check_allocations(d: &DocTables<'_>, payment: &Document) -> Result<()> {
    check_allocations_at(d, payment).map_err(|(_, err)| err)
}

/// Like `check_allocations`, also telling which allocated document an error is about.
fn check_allocations_at(
    d: &DocTables<'_>,
    payment: &Document,
) -> std::result::Result<(), (Option<DocumentId>, LedgerError)> {
    let DocumentBody::Payment {
        amount,
        allocations,
        ..
    } = &payment.body
    else {
        return Ok(());
    };
    let mut net = Amount::ZERO;
    for allocation in allocations {
        let at = |err: LedgerError| (Some(allocation.document), err);
        if !allocation.amount.is_positive() {
            return Err(at(invalid("allocated", "an allocated amount is positive")));
        }
        let target = d.get(allocation.document).map_err(at)?;
        if target.party != payment.party {
            return Err(at(invalid(
                "allocate_to",
                format!(
                    "{} belongs to {}, not to {}",
                    target.display_ref(),
                    target.party,
                    payment.party
                ),
            )));
        }
        if !allocatable(payment.doc_type).contains(&target.doc_type) {
            return Err(at(invalid(
                "allocate_to",
                format!(
                    "a {} cannot be allocated to {} ({})",
                    payment.doc_type.name(),
                    target.display_ref(),
                    target.doc_type.name()
                ),
            )));
        }
        if target.status != DocumentStatus::Validated {
            return Err(at(invalid(
                "allocate_to",
                format!("{} is a draft: validate it first", target.display_ref()),
            )));
        }
        let total = d
            .posted(target.id)
            .map_err(at)?
            .map(|p| p.total)
            .unwrap_or(Amount::ZERO);
        let others: Amount = d
            .allocated_to(target.id)
            .map_err(at)?
            .into_iter()
            .filter(|(p, _)| *p != payment.id)
            .map(|(_, a)| a)
            .sum();
        let due = total - others;
        if allocation.amount > due {
            return Err(at(invalid(
                "allocated",
                format!(
                    "{} allocated to {} is more than the {} due on it",
                    allocation.amount,
                    target.display_ref(),
                    due
                ),
            )));
        }
        if counts_against_payment(payment.doc_type, target.doc_type) {
            net += allocation.amount;
        } else {
            net -= allocation.amount;
        }
    }
    if net > *amount {
        return Err((
            None,
            invalid(
                "allocated",
                format!("allocations of {net} exceed the payment of {amount}"),
            ),
        ));
    }
    Ok(())
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
        report.skipped_closed += 1;
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
        report.unchanged += 1;
        d.why.insert(entry.id, encode(&rules)?.as_slice())?;
        return Ok(());
    }
    if tx.accepting_year_ref(doc.date).is_err() {
        report.skipped_locked += 1;
        return Ok(());
    }
    let totals = PostedTotals {
        total: posting.total,
        taxes: posting.taxes.clone(),
    };
    match current {
        None => {
            let entry = write_posting(tx, d, ctx, doc, &posting, None)?;
            report.created += 1;
            report.changes.push(format!(
                "{}: entry {} created",
                doc.display_ref(),
                entry.reference()
            ));
            doc.entry = Some(entry.id);
        }
        Some(entry) if entry.status == EntryStatus::Draft => {
            tx.remove_entry(&entry)?;
            let replaced = write_posting(tx, d, ctx, doc, &posting, Some(entry.id))?;
            report.drafts_replaced += 1;
            report.changes.push(format!(
                "{}: draft {} replaced",
                doc.display_ref(),
                replaced.reference()
            ));
        }
        Some(entry) => {
            let reversal = reverse_generated(tx, ctx, &entry, doc.date)?;
            let reposted = write_posting(tx, d, ctx, doc, &posting, None)?;
            report.reposted += 1;
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
    let input = EntryInput {
        journal: entry.journal.clone(),
        date,
        piece: entry.piece.clone(),
        label: format!("Extourne {} {}", entry.reference(), entry.label)
            .chars()
            .take(crate::model::entry::MAX_TEXT_CHARS)
            .collect(),
        lines: entry.lines.iter().map(Line::reversed).collect(),
    };
    tx.check_input(&input)?;
    let mut reversal = new_entry(tx, ctx, input, entry.source.clone());
    reversal.reversal_of = Some(entry.id);
    tx.number_entry(&mut reversal, ctx.today)?;
    tx.insert_entry(&reversal)?;
    tx.reversals.insert(entry.id, reversal.id)?;
    Ok(reversal)
}
