//! SEPA direct debits: the mandate state of each party (a side table, so parties keep their
//! stored shape), the collection of due customer invoices into a pain.008 file with one
//! payment per invoice on a transit account, and the cancellation of a rejected debit.

use chrono::{Months, NaiveDate};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::documents::{
    DueDocument, PaymentCancellation, audit_cancellation, cancel_payment_in, due_documents,
    find_document, payments_of, register_payments_in,
};
use super::error::{LedgerError, Result};
use super::store::Tx;
use super::tables::Bytes;
use super::{Ctx, Ledger, PaymentInput};
use crate::formats::pain008::{
    self, Creditor, DirectDebitFile, PaymentGroup, SequenceType, Transaction,
};
use crate::model::company::check_bic;
use crate::model::document::{DocumentBody, DocumentStatus, DocumentType};
use crate::model::settings::{PaymentMethod, Settings};
use crate::model::text::echo;
use crate::model::{Account, AccountNumber, Amount, Company, CompanyProfile, Party};

/// Party code -> its SEPA state ([`PartySepa`]).
pub const PARTY_SEPA: TableDefinition<&str, Bytes> = TableDefinition::new("party_sepa");

/// The payment method code of parties who pay by SEPA direct debit.
pub const DIRECT_DEBIT_METHOD: &str = "sepa_dd";
/// The payment method the collections are registered with: its account is the transit
/// account (511700 unless the settings say otherwise).
pub const COLLECTION_METHOD: &str = "sepa_collection";
pub const DEFAULT_TRANSIT_ACCOUNT: &str = "511700";
/// A mandate unused for 36 months lapses (SEPA rulebook).
pub const MANDATE_LAPSE_MONTHS: u32 = 36;

/// What a party's mandate needs beyond the party record: the debtor's BIC, and the mandate's
/// use so far (which mandate it is about: a new mandate starts again at its first
/// collection).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartySepa {
    pub bic: Option<String>,
    /// The mandate reference the collections below were made on.
    pub mandate: Option<String>,
    pub last_collection: Option<NaiveDate>,
    /// Collections made on that mandate (rejected ones taken back).
    pub collections: u32,
}

impl PartySepa {
    /// The collections count for the party's current mandate only.
    fn for_mandate(&self, reference: Option<&str>) -> (Option<NaiveDate>, u32) {
        if self.mandate.as_deref() == reference && reference.is_some() {
            (self.last_collection, self.collections)
        } else {
            (None, 0)
        }
    }
}

/// A party's direct debit details, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MandateView {
    pub party: String,
    pub name: String,
    pub method: Option<String>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub mandate: Option<String>,
    pub signed_on: Option<NaiveDate>,
    pub last_collection: Option<NaiveDate>,
    /// `first` until the mandate's first collection, then `recurrent`.
    pub sequence: &'static str,
}

/// What `sepa debit` is asked.
#[derive(Debug, Clone)]
pub struct DebitRequest {
    pub collection_date: NaiveDate,
    /// Only these parties (all parties paying by direct debit when empty).
    pub parties: Vec<String>,
}

/// One debit of the batch.
#[derive(Debug, Clone, Serialize)]
pub struct Debit {
    pub party: String,
    pub invoice: String,
    pub payment: String,
    pub amount: Amount,
    pub sequence: &'static str,
}

/// What `sepa debit` did.
#[derive(Debug, Clone, Serialize)]
pub struct DebitReport {
    pub message_id: String,
    pub collection_date: NaiveDate,
    pub debits: Vec<Debit>,
    pub total: Amount,
    /// One message per party or invoice left out, and why.
    pub skipped: Vec<String>,
    pub transit_account: String,
    /// Set when this batch added the collection payment method (and maybe its account).
    pub created: Vec<String>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> LedgerError {
    LedgerError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn read_state(tx: &Tx<'_>, code: &str) -> Result<PartySepa> {
    let table = tx.txn.open_table(PARTY_SEPA)?;
    let value = match table.get(code)? {
        Some(bytes) => decode(bytes.value(), "SEPA details of a third party")?,
        None => PartySepa::default(),
    };
    Ok(value)
}

fn write_state(tx: &Tx<'_>, code: &str, state: &PartySepa) -> Result<()> {
    let mut table = tx.txn.open_table(PARTY_SEPA)?;
    table.insert(code, encode(state)?.as_slice())?;
    Ok(())
}

/// Sets (or clears, with `""`) a party's debtor BIC inside the command that adds or edits
/// the party; returns the audit note when it changed.
pub(crate) fn set_party_bic(tx: &Tx<'_>, code: &str, bic: &str) -> Result<Option<String>> {
    let bic = crate::model::company::compact_identifier(bic);
    let bic = if bic.is_empty() {
        None
    } else {
        check_bic(&bic).map_err(|reason| invalid("bic", reason))?;
        Some(bic)
    };
    let mut state = read_state(tx, code)?;
    if state.bic == bic {
        return Ok(None);
    }
    let note = format!(
        "bic: {} -> {}",
        state.bic.as_deref().unwrap_or("(none)"),
        bic.as_deref().unwrap_or("(none)")
    );
    state.bic = bic;
    write_state(tx, code, &state)?;
    Ok(Some(note))
}

fn sequence_name(collections: u32) -> &'static str {
    if collections == 0 {
        "first"
    } else {
        "recurrent"
    }
}

impl Ledger {
    /// The direct debit details of every party that has a mandate, an IBAN or pays by direct
    /// debit.
    pub fn mandates(&self) -> Result<Vec<MandateView>> {
        let view = self.read()?;
        let table = view.table_if_exists(PARTY_SEPA)?;
        let mut out = Vec::new();
        for party in self.parties()? {
            let state: PartySepa = match &table {
                Some(table) => match table.get(party.code.as_str())? {
                    Some(bytes) => decode(bytes.value(), "SEPA details of a third party")?,
                    None => PartySepa::default(),
                },
                None => PartySepa::default(),
            };
            let paying = party.payment_method.as_deref() == Some(DIRECT_DEBIT_METHOD);
            if !paying && party.mandate.is_none() && state.bic.is_none() {
                continue;
            }
            let reference = party.mandate.as_ref().map(|m| m.reference.as_str());
            let (last, collections) = state.for_mandate(reference);
            out.push(MandateView {
                party: party.code.clone(),
                name: party.name.clone(),
                method: party.payment_method.clone(),
                iban: party.iban.clone(),
                bic: state.bic.clone(),
                mandate: party.mandate.as_ref().map(|m| m.reference.clone()),
                signed_on: party.mandate.as_ref().map(|m| m.signed_on),
                last_collection: last,
                sequence: sequence_name(collections),
            });
        }
        Ok(out)
    }

    /// Collects the due customer invoices of parties paying by direct debit: each gets a
    /// customer payment on the transit account, allocated to it and lettered, the mandates
    /// move on, and `deliver` receives the pain.008 file before the transaction commits
    /// (nothing is registered when it fails). Refused when the company lacks its creditor
    /// identifier, IBAN or BIC, or when no invoice is to be collected.
    pub fn sepa_debit(
        &self,
        ctx: &Ctx,
        request: &DebitRequest,
        deliver: impl FnOnce(&[u8]) -> std::result::Result<(), String>,
    ) -> Result<DebitReport> {
        let company = self.company()?;
        let profile = self.company_profile()?;
        let creditor = creditor_of(&company, &profile)?;
        self.write(ctx, |tx| {
            let (method, created) = collection_method(tx)?;
            let batch = plan_batch(tx, ctx, request, &profile)?;
            if batch.transactions.is_empty() {
                let mut reason = format!(
                    "no invoice to collect on {}: none due by then with an open amount from a \
                     party paying by direct debit with a valid mandate",
                    request.collection_date
                );
                if !batch.skipped.is_empty() {
                    reason.push_str(&format!(" ({})", batch.skipped.join("; ")));
                }
                return Err(invalid("collection_date", reason));
            }
            let message_id = next_message_id(tx, ctx)?;
            let inputs: Vec<PaymentInput> = batch
                .transactions
                .iter()
                .map(|planned| PaymentInput {
                    doc_type: DocumentType::CustomerPayment,
                    party: planned.party.code.clone(),
                    date: request.collection_date,
                    amount: planned.due.remaining,
                    method: method.code.clone(),
                    reference: format!("{message_id} {}", planned.end_to_end_id),
                    allocations: vec![(
                        super::DocumentRef::Id(planned.due.document.id),
                        planned.due.remaining,
                    )],
                    allocation_lines: Vec::new(),
                })
                .collect();
            let payments = register_payments_in(tx, ctx, inputs)?;
            let mut groups: Vec<PaymentGroup> = Vec::new();
            let mut debits = Vec::new();
            for (planned, payment) in batch.transactions.iter().zip(&payments) {
                let group = match groups.iter_mut().find(|g| g.sequence == planned.sequence) {
                    Some(group) => group,
                    None => {
                        groups.push(PaymentGroup {
                            id: format!("{message_id}-{}", planned.sequence.code()),
                            sequence: planned.sequence,
                            collection_date: request.collection_date,
                            transactions: Vec::new(),
                        });
                        let last = groups.len().saturating_sub(1);
                        &mut groups[last]
                    }
                };
                group.transactions.push(planned.transaction.clone());
                debits.push(Debit {
                    party: planned.party.code.clone(),
                    invoice: planned.due.document.display_ref(),
                    payment: payment.display_ref(),
                    amount: planned.due.remaining,
                    sequence: planned.sequence.code(),
                });
            }
            groups.sort_by_key(|g| g.sequence);
            let file = DirectDebitFile {
                message_id: message_id.clone(),
                created_at: ctx.now(),
                creditor: creditor.clone(),
                groups,
            };
            let total = file
                .control_sum()
                .ok_or_else(|| invalid("amount", "the total of the batch overflows"))?;
            let xml = pain008::write(&file).map_err(|err| invalid("sepa", err.to_string()))?;
            // The mandates move on: last collection, first -> recurrent.
            for planned in &batch.transactions {
                let code = planned.party.code.as_str();
                let mut state = read_state(tx, code)?;
                let reference = planned.party.mandate.as_ref().map(|m| m.reference.clone());
                let (_, collections) = state.for_mandate(reference.as_deref());
                state.mandate = reference;
                state.collections = collections.saturating_add(1);
                state.last_collection = Some(request.collection_date);
                write_state(tx, code, &state)?;
            }
            let mut records: Vec<String> = payments
                .iter()
                .map(|p| format!("document:{}", p.id))
                .collect();
            records.extend(
                batch
                    .transactions
                    .iter()
                    .map(|p| format!("party:{}", p.party.code)),
            );
            records.sort();
            records.dedup();
            tx.audit(
                ctx,
                "sepa.debit",
                records,
                format!(
                    "direct debit batch {message_id} for {}: {} debits, total {}, on {} ({})",
                    request.collection_date,
                    debits.len(),
                    total,
                    method.account,
                    debits
                        .iter()
                        .map(|d| format!("{} {} {}", d.invoice, d.payment, d.amount))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )?;
            deliver(&xml).map_err(|reason| invalid("out", reason))?;
            Ok(DebitReport {
                message_id,
                collection_date: request.collection_date,
                debits,
                total,
                skipped: batch.skipped,
                transit_account: method.account.to_string(),
                created,
            })
        })
    }

    /// A direct debit the bank rejected or returned: the SEPA collection of the invoice (or
    /// the payment named) is cancelled through the payment cancellation of the engine, so
    /// the invoice is due again, and the mandate's count of collections goes back.
    pub fn sepa_reject(
        &self,
        ctx: &Ctx,
        reference: &str,
        date: Option<NaiveDate>,
        reason: &str,
    ) -> Result<PaymentCancellation> {
        self.write(ctx, |tx| {
            let date = date.unwrap_or(ctx.today);
            let done = sepa_reject_in(tx, ctx, reference, date, reason)?;
            Ok(done)
        })
    }
}

/// [`Ledger::sepa_reject`] inside a command's transaction (the reconciliation of an
/// R-transaction line calls it), with its audit record.
pub(crate) fn sepa_reject_in(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    reference: &str,
    date: NaiveDate,
    reason: &str,
) -> Result<PaymentCancellation> {
    let doc = find_document(tx, reference)?;
    let payment = if doc.doc_type.is_payment() {
        doc
    } else {
        let mut collections: Vec<_> = payments_of(tx, doc.id)?
            .into_iter()
            .filter(|p| p.status == DocumentStatus::Validated && is_collection(p))
            .collect();
        collections.pop().ok_or_else(|| {
            invalid(
                "document",
                format!(
                    "{} has no direct debit collection to reject",
                    doc.display_ref()
                ),
            )
        })?
    };
    if !is_collection(&payment) {
        return Err(invalid(
            "payment",
            format!(
                "{} is not a direct debit collection (method {COLLECTION_METHOD}): cancel it with `folio pay cancel`",
                payment.display_ref()
            ),
        ));
    }
    let reason = if reason.trim().is_empty() {
        "rejet de prélèvement".to_string()
    } else {
        format!("rejet de prélèvement {}", reason.trim())
    };
    let done = cancel_payment_in(tx, ctx, payment.id, date, &reason)?;
    let mut state = read_state(tx, &payment.party)?;
    state.collections = state.collections.saturating_sub(1);
    write_state(tx, &payment.party, &state)?;
    audit_cancellation(tx, ctx, &done, &reason)?;
    Ok(done)
}

fn is_collection(doc: &crate::model::document::Document) -> bool {
    matches!(&doc.body, DocumentBody::Payment { method, .. } if method == COLLECTION_METHOD)
}

/// The creditor of the file, or what the company profile lacks.
fn creditor_of(company: &Company, profile: &CompanyProfile) -> Result<Creditor> {
    let mut missing = Vec::new();
    if profile.sepa_creditor_id.is_none() {
        missing.push("creditor identifier (--sepa-creditor-id)");
    }
    if profile.iban.is_none() {
        missing.push("IBAN (--iban)");
    }
    if profile.bic.is_none() {
        missing.push("BIC (--bic)");
    }
    match (&profile.sepa_creditor_id, &profile.iban, &profile.bic) {
        (Some(id), Some(iban), Some(bic)) => Ok(Creditor {
            name: company.name.clone(),
            iban: iban.clone(),
            bic: bic.clone(),
            creditor_id: id.clone(),
        }),
        _ => Err(invalid(
            "company",
            format!(
                "direct debits need the company's {}: set it with `folio company edit`",
                missing.join(", ")
            ),
        )),
    }
}

/// The collection payment method of the settings, added (with its transit account
/// 511700, created if the chart lacks it) when missing. Its account must be under 511.
fn collection_method(tx: &mut Tx<'_>) -> Result<(PaymentMethod, Vec<String>)> {
    let mut settings: Settings = tx.get_meta("settings")?.ok_or_else(|| {
        invalid(
            "settings",
            "this ledger has no posting settings (folio settings load FILE)",
        )
    })?;
    let mut created = Vec::new();
    let method = match settings.payment_method(COLLECTION_METHOD) {
        Some(method) => method.clone(),
        None => {
            let account = AccountNumber::parse(DEFAULT_TRANSIT_ACCOUNT)
                .map_err(|err| invalid("account", err.to_string()))?;
            if tx.account_opt(&account)?.is_none() {
                tx.put_account(&Account::new(
                    account.clone(),
                    "Prélèvements SEPA à l'encaissement",
                ))?;
                created.push(format!("account {account}"));
            }
            let journal = settings
                .payment_method(DIRECT_DEBIT_METHOD)
                .map(|m| m.journal.clone())
                .unwrap_or_else(|| "BQ".into());
            let method = PaymentMethod {
                code: COLLECTION_METHOD.into(),
                label: "Prélèvements SEPA remis".into(),
                account,
                journal,
            };
            settings.payment_methods.push(method.clone());
            tx.put_settings(&settings)?;
            created.push(format!(
                "payment method {COLLECTION_METHOD} on {}",
                method.account
            ));
            method
        }
    };
    if !method.account.as_str().starts_with("511") {
        return Err(invalid(
            "settings",
            format!(
                "payment method {COLLECTION_METHOD} posts to {}: direct debits are collected on a transit account under 511 (511700)",
                method.account
            ),
        ));
    }
    Ok((method, created))
}

struct Planned {
    party: Party,
    due: DueDocument,
    sequence: SequenceType,
    end_to_end_id: String,
    transaction: Transaction,
}

struct Batch {
    transactions: Vec<Planned>,
    skipped: Vec<String>,
}

/// Why a party's mandate cannot be used on `date`, if it cannot.
fn mandate_problem(party: &Party, state: &PartySepa, date: NaiveDate) -> Option<String> {
    let Some(mandate) = &party.mandate else {
        return Some(format!("{}: no mandate", party.code));
    };
    let Some(iban) = &party.iban else {
        return Some(format!("{}: no IBAN", party.code));
    };
    if !crate::model::party::is_valid_iban(iban) {
        return Some(format!("{}: IBAN {} is not valid", party.code, echo(iban)));
    }
    if pain008::sepa_id(&mandate.reference).is_empty() {
        return Some(format!(
            "{}: mandate reference {} has no character of the SEPA set",
            party.code,
            echo(&mandate.reference)
        ));
    }
    if mandate.signed_on > date {
        return Some(format!(
            "{}: mandate {} is signed on {}, after the collection date",
            party.code,
            echo(&mandate.reference),
            mandate.signed_on
        ));
    }
    let (last, _) = state.for_mandate(Some(&mandate.reference));
    let used = last.unwrap_or(mandate.signed_on).max(mandate.signed_on);
    let lapses = used.checked_add_months(Months::new(MANDATE_LAPSE_MONTHS));
    if lapses.is_none_or(|lapses| date >= lapses) {
        return Some(format!(
            "{}: mandate {} lapsed, unused for {MANDATE_LAPSE_MONTHS} months since {used}",
            party.code,
            echo(&mandate.reference)
        ));
    }
    None
}

fn plan_batch(
    tx: &mut Tx<'_>,
    _ctx: &Ctx,
    request: &DebitRequest,
    profile: &CompanyProfile,
) -> Result<Batch> {
    let mut chosen = Vec::new();
    for code in &request.parties {
        let party = tx.party(code)?;
        if party.payment_method.as_deref() != Some(DIRECT_DEBIT_METHOD) {
            return Err(invalid(
                "party",
                format!(
                    "{} does not pay by SEPA direct debit (payment method {}): set it with `folio parties edit {} --payment-method sepa`",
                    party.code,
                    party.payment_method.as_deref().unwrap_or("none"),
                    party.code
                ),
            ));
        }
        chosen.push(party.code);
    }
    let due = due_documents(tx, DocumentType::CustomerInvoice)?;
    let mut transactions = Vec::new();
    let mut skipped = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for item in due {
        let doc = &item.document;
        if !chosen.is_empty() && !chosen.contains(&doc.party) {
            continue;
        }
        if doc
            .due_date
            .is_some_and(|due| due > request.collection_date)
        {
            continue;
        }
        let party = tx.party(&doc.party)?;
        if party.payment_method.as_deref() != Some(DIRECT_DEBIT_METHOD) {
            continue;
        }
        if refused.contains(&party.code) {
            continue;
        }
        let state = read_state(tx, &party.code)?;
        if let Some(problem) = mandate_problem(&party, &state, request.collection_date) {
            skipped.push(problem);
            refused.push(party.code.clone());
            continue;
        }
        let Some(mandate) = party.mandate.clone() else {
            continue;
        };
        let Some(iban) = party.iban.clone() else {
            continue;
        };
        let (_, collections) = state.for_mandate(Some(&mandate.reference));
        let sequence = if profile.sepa_first_collection_frst && collections == 0 {
            SequenceType::First
        } else {
            SequenceType::Recurrent
        };
        let number = doc.display_ref();
        let end_to_end_id = pain008::sepa_id(&number);
        let remittance = if doc.reference.trim().is_empty() {
            format!("Facture {number} du {}", doc.date.format("%d/%m/%Y"))
        } else {
            format!(
                "Facture {number} du {} ref {}",
                doc.date.format("%d/%m/%Y"),
                doc.reference
            )
        };
        let transaction = Transaction {
            end_to_end_id: end_to_end_id.clone(),
            amount: item.remaining,
            mandate_id: mandate.reference.clone(),
            mandate_signed_on: mandate.signed_on,
            // A name with no character of the SEPA set (another script) goes by its code.
            debtor_name: if pain008::sepa_text(&party.name, pain008::MAX_NAME).is_empty() {
                party.code.clone()
            } else {
                party.name.clone()
            },
            debtor_iban: iban,
            debtor_bic: state.bic.clone(),
            remittance,
        };
        transactions.push(Planned {
            party,
            due: item,
            sequence,
            end_to_end_id,
            transaction,
        });
        if transactions.len() > pain008::MAX_TRANSACTIONS {
            return Err(invalid(
                "collection_date",
                format!(
                    "more than {} invoices to collect: collect them in several batches with --party",
                    pain008::MAX_TRANSACTIONS
                ),
            ));
        }
    }
    Ok(Batch {
        transactions,
        skipped,
    })
}

/// `SDD` + the working date + a sequence kept in the ledger: unique per ledger, at most 35
/// characters.
fn next_message_id(tx: &mut Tx<'_>, ctx: &Ctx) -> Result<String> {
    let last: u64 = tx.get_meta("sepa_batches")?.unwrap_or(0);
    let next = super::store::next_counter(last, "SEPA batch number")?;
    tx.put_meta("sepa_batches", &next)?;
    Ok(format!(
        "SDD-{}-{next:06}",
        ctx.now().format("%Y%m%d%H%M%S")
    ))
}
