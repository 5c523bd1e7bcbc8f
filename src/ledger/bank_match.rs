//! Bank matching in the ledger: candidates of a bank line, `bank match` (apply the best
//! candidates of many lines) and payments made from a bank line. The matching itself is the
//! pure engine of `crate::reconcile`; this module reads what it needs, and writes through the
//! bank statements' and documents' own paths, each command in one transaction.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::bank::{BankLine, BankLineFilter, BankLineId, BankLineStatus, BookLine, MarkKind};
use super::documents::{DocumentRef, PaymentInput};
use super::{Ctx, Ledger, LedgerError, Result};
use crate::lettering::LineRef;
use crate::model::Amount;
use crate::model::account::AccountNumber;
use crate::model::document::{DocumentBody, DocumentStatus};
use crate::model::document::{DocumentType, PaymentStatus};
use crate::model::party::{Party, PartyKind};
use crate::model::settings::{Reconciliation, Settings};
use crate::model::text::echo;
use crate::reconcile::{
    self, BankLineView, BookLineView, Candidate, CollectionView, Index, OpenInvoiceView, PartyView,
    Proposal, Rules, Skipped,
};

fn invalid(field: &'static str, reason: impl Into<String>) -> LedgerError {
    LedgerError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A bank line as the engine sees it; `key` is the caller's (a position in its list).
pub fn bank_view(key: u64, line: &BankLine) -> BankLineView {
    BankLineView {
        key,
        account: line.account.clone(),
        booking_date: line.booking_date,
        value_date: line.value_date,
        amount: line.amount,
        label: line.label.clone(),
        reference: line.reference.clone(),
        counterparty_name: line.counterparty_name.clone(),
        counterparty_iban: line.counterparty_iban.clone(),
        end_to_end_id: line.end_to_end_id.clone(),
        remittance: line.remittance.clone(),
    }
}

/// A book line as the engine sees it, keyed by its position in the context's list.
fn book_view(key: u64, line: &BookLine) -> BookLineView {
    BookLineView {
        key,
        date: line.date,
        amount: line.amount,
        label: line.label.clone(),
        references: vec![line.piece.clone(), line.entry_reference.clone()],
        party: line.party.clone(),
    }
}

fn party_view(party: &Party) -> PartyView {
    PartyView {
        code: party.code.clone(),
        name: party.name.clone(),
        kind: party.kind,
        iban: party.iban.clone(),
    }
}

/// The engine's inputs for one treasury account, before they are indexed: the book lines
/// (their position is their engine key), the parties and the open invoices.
pub struct MatchInputs {
    pub rules: Rules,
    pub settings: Reconciliation,
    pub book: Vec<BookLine>,
    pub book_views: Vec<BookLineView>,
    pub parties: Vec<PartyView>,
    pub invoices: Vec<OpenInvoiceView>,
    /// SEPA direct debits collected and not cancelled: a bank line returning one is a
    /// rejection candidate.
    pub collections: Vec<CollectionView>,
    /// Payment document id -> its number, for the collections.
    pub payment_numbers: HashMap<u64, String>,
}

impl MatchInputs {
    /// The engine's index of these inputs.
    pub fn index(&self) -> Index {
        Index::new(
            self.book_views.clone(),
            self.parties.clone(),
            self.invoices.clone(),
        )
        .with_collections(self.collections.clone())
    }

    /// Each collection's payment number (`D<id>` when the payment has none) and invoice, by
    /// payment id: what a rejection candidate names.
    pub fn collection_refs(&self) -> HashMap<u64, (String, String)> {
        self.collections
            .iter()
            .map(|c| {
                let number = self
                    .payment_numbers
                    .get(&c.key)
                    .cloned()
                    .unwrap_or_else(|| format!("D{}", c.key));
                (c.key, (number, c.invoice.clone()))
            })
            .collect()
    }
}

/// What the engine matches one treasury account against, with names to show.
pub struct MatchContext {
    pub index: Index,
    pub rules: Rules,
    pub settings: Reconciliation,
    /// The book lines by engine key (their position): where they are and their name
    /// (`BQ2026-000012/1`).
    book_lines: Vec<(LineRef, String)>,
    /// Document id -> number.
    invoice_numbers: HashMap<u64, String>,
    /// Collection payment id -> (payment number, invoice number).
    collections: HashMap<u64, (String, String)>,
}

impl MatchContext {
    /// Where the book lines of a proposal are in the books.
    pub fn book_refs(&self, keys: &[u64]) -> Result<Vec<LineRef>> {
        keys.iter()
            .map(|k| {
                self.book_lines
                    .get(*k as usize)
                    .map(|(at, _)| *at)
                    .ok_or_else(|| invalid("bank line", format!("no book line of key {k}")))
            })
            .collect()
    }

    /// How people read a candidate's proposal: "BQ2026-000012/1 + BQ2026-000013/1",
    /// "payment CLUMEN: FA2026-00012 1000.00", "post to 627000 (rule FEES): label".
    pub fn describe(&self, proposal: &Proposal) -> String {
        match proposal {
            Proposal::BookLines { keys } => keys
                .iter()
                .map(|k| {
                    self.book_lines
                        .get(*k as usize)
                        .map_or_else(|| format!("#{k}"), |(_, name)| name.clone())
                })
                .collect::<Vec<_>>()
                .join(" + "),
            Proposal::Payment { party, allocations } => {
                let parts: Vec<String> = allocations
                    .iter()
                    .map(|(doc, amount)| {
                        format!(
                            "{} {}",
                            self.invoice_numbers
                                .get(doc)
                                .cloned()
                                .unwrap_or_else(|| format!("D{doc}")),
                            amount.to_plain()
                        )
                    })
                    .collect();
                if parts.is_empty() {
                    format!("payment from {party}, unallocated")
                } else {
                    format!("payment {party}: {}", parts.join(", "))
                }
            }
            Proposal::Rule {
                rule,
                post_to,
                tax,
                label,
                ..
            } => match tax {
                Some(tax) => format!("post to {post_to} with {tax} (rule {rule}): {label}"),
                None => format!("post to {post_to} (rule {rule}): {label}"),
            },
            Proposal::Rejection { payment, reason } => {
                let (number, invoice) = self
                    .collections
                    .get(payment)
                    .cloned()
                    .unwrap_or_else(|| (format!("D{payment}"), String::new()));
                rejection_text(&number, &invoice, reason.as_deref())
            }
        }
    }
}

/// "cancel payment RC2026-00031, rejected direct debit of FA2026-00112 (AM04)".
pub fn rejection_text(payment: &str, invoice: &str, reason: Option<&str>) -> String {
    let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    format!("cancel payment {payment}, rejected direct debit of {invoice}{reason}")
}

/// A candidate as listed by `bank candidates`.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateRow {
    pub rank: usize,
    pub score: u8,
    /// `book_lines`, `payment` or `rule`.
    pub kind: &'static str,
    pub proposal: String,
    pub reason: String,
}

fn kind_name(proposal: &Proposal) -> &'static str {
    match proposal {
        Proposal::BookLines { .. } => "book_lines",
        Proposal::Payment { .. } => "payment",
        Proposal::Rule { .. } => "rule",
        Proposal::Rejection { .. } => "rejection",
    }
}

/// One bank line of `bank match`, done or to do.
#[derive(Debug, Clone, Serialize)]
pub struct MatchAction {
    pub line: String,
    pub date: chrono::NaiveDate,
    pub amount: Amount,
    pub label: String,
    pub kind: &'static str,
    pub score: u8,
    /// What was (or would be) done.
    pub action: String,
    pub reason: String,
}

/// A bank line `bank match` left alone, and why.
#[derive(Debug, Clone, Serialize)]
pub struct MatchSkip {
    pub line: String,
    pub why: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MatchReport {
    pub min_score: u8,
    pub examined: usize,
    pub applied: Vec<MatchAction>,
    pub skipped: Vec<MatchSkip>,
}

/// A payment made from a bank line.
#[derive(Debug, Clone, Serialize)]
pub struct BankPayment {
    pub line: String,
    pub payment: String,
    pub party: String,
    pub amount: Amount,
    /// Invoice numbers and amounts.
    pub allocations: Vec<(String, Amount)>,
    /// The payment's line on the treasury account, reconciled with the bank line.
    pub book_line: String,
}

impl Ledger {
    /// The engine's inputs for one treasury account: its unreconciled book lines, the parties
    /// and their open invoices, the settings' reconciliation section and compiled rules.
    pub fn match_context(&self, account: &AccountNumber) -> Result<MatchContext> {
        let inputs = self.match_inputs(account)?;
        let book_lines = inputs.book.iter().map(|b| (b.at, b.name.clone())).collect();
        let invoice_numbers = inputs
            .invoices
            .iter()
            .map(|i| (i.key, i.number.clone()))
            .collect();
        let collections = inputs.collection_refs();
        Ok(MatchContext {
            index: Index::new(inputs.book_views, inputs.parties, inputs.invoices)
                .with_collections(inputs.collections),
            rules: inputs.rules,
            settings: inputs.settings,
            book_lines,
            invoice_numbers,
            collections,
        })
    }

    /// What [`Ledger::match_context`] indexes, before it is indexed: a caller that builds the
    /// index again (without lines reconciled since) keeps these.
    pub fn match_inputs(&self, account: &AccountNumber) -> Result<MatchInputs> {
        let settings: Option<Settings> = self.read()?.meta("settings")?;
        let reconciliation = settings
            .as_ref()
            .map(|s| s.reconciliation.clone())
            .unwrap_or_default();
        let rules = Rules::new(&reconciliation.rules)
            .map_err(|err| invalid("settings", err.to_string()))?;
        let book = self.unreconciled_book_lines(account)?;
        let book_views = book
            .iter()
            .enumerate()
            .map(|(i, b)| book_view(i as u64, b))
            .collect();
        let parties: Vec<PartyView> = self.parties()?.iter().map(party_view).collect();
        let mut invoices = Vec::new();
        let mut collections = Vec::new();
        let mut payment_numbers = HashMap::new();
        // Without settings there are no documents to pay.
        if settings.is_some() {
            let mut numbers: HashMap<u64, String> = HashMap::new();
            for doc_type in [DocumentType::CustomerInvoice, DocumentType::SupplierInvoice] {
                for summary in self.documents(Some(doc_type))? {
                    if doc_type == DocumentType::CustomerInvoice {
                        numbers.insert(summary.document.id, summary.document.display_ref());
                    }
                    let open = matches!(
                        summary.status,
                        Some(PaymentStatus::Unpaid | PaymentStatus::PartiallyPaid)
                    ) && summary.remaining.is_positive();
                    if !open {
                        continue;
                    }
                    let doc = &summary.document;
                    invoices.push(OpenInvoiceView {
                        key: doc.id,
                        party: doc.party.clone(),
                        number: doc.display_ref(),
                        reference: doc.reference.clone(),
                        date: doc.date,
                        due_date: doc.due_date,
                        remaining: summary.remaining,
                    });
                }
            }
            for summary in self.documents(Some(DocumentType::CustomerPayment))? {
                let doc = summary.document;
                let DocumentBody::Payment {
                    amount,
                    method,
                    allocations,
                } = &doc.body
                else {
                    continue;
                };
                if method != super::sepa::COLLECTION_METHOD
                    || doc.status == DocumentStatus::Cancelled
                {
                    continue;
                }
                // The collection's reference is "MESSAGE-ID END-TO-END-ID".
                let Some(end_to_end_id) = doc.reference.split_whitespace().last() else {
                    continue;
                };
                let invoice = allocations
                    .first()
                    .and_then(|a| numbers.get(&a.document).cloned())
                    .unwrap_or_default();
                payment_numbers.insert(doc.id, doc.display_ref());
                collections.push(CollectionView {
                    key: doc.id,
                    party: doc.party.clone(),
                    invoice,
                    end_to_end_id: end_to_end_id.to_string(),
                    amount: *amount,
                });
            }
        }
        Ok(MatchInputs {
            rules,
            settings: reconciliation,
            book,
            book_views,
            parties,
            invoices,
            collections,
            payment_numbers,
        })
    }

    /// Candidates for one bank line, best first.
    pub fn bank_candidates(&self, id: BankLineId) -> Result<(BankLine, Vec<CandidateRow>)> {
        let line = self.bank_line(id)?;
        let context = self.match_context(&line.account)?;
        let found = reconcile::candidates(
            &bank_view(0, &line),
            &context.index,
            &context.rules,
            &context.settings,
        );
        let rows = found
            .iter()
            .enumerate()
            .map(|(i, c)| CandidateRow {
                rank: i.saturating_add(1),
                score: c.score,
                kind: kind_name(&c.proposal),
                proposal: context.describe(&c.proposal),
                reason: c.reason.clone(),
            })
            .collect();
        Ok((line, rows))
    }

    /// `bank match`: the best candidate of each unreconciled bank line (of `account`, or of
    /// every account) that reaches `min_score` (default: the settings') is applied, all in one
    /// transaction, or only described with `dry_run`.
    pub fn bank_match(
        &self,
        ctx: &Ctx,
        account: Option<&AccountNumber>,
        min_score: Option<u8>,
        dry_run: bool,
    ) -> Result<MatchReport> {
        let scope = BankLineFilter {
            account: account.cloned(),
            ..BankLineFilter::default()
        };
        self.bank_match_in(ctx, &scope, min_score, dry_run)
    }

    /// [`Ledger::bank_match`] on the unreconciled lines `scope` selects (one statement for the
    /// reconciliation session's `m`): the same plan, applied in one transaction.
    pub fn bank_match_in(
        &self,
        ctx: &Ctx,
        scope: &BankLineFilter,
        min_score: Option<u8>,
        dry_run: bool,
    ) -> Result<MatchReport> {
        if min_score.is_some_and(|s| s > 100) {
            return Err(invalid("min-score", "a score is from 0 to 100"));
        }
        let lines = self.bank_lines(&BankLineFilter {
            unreconciled: true,
            ..scope.clone()
        })?;
        let mut by_account: BTreeMap<AccountNumber, Vec<&BankLine>> = BTreeMap::new();
        for line in &lines {
            if line.status == BankLineStatus::Unreconciled {
                by_account
                    .entry(line.account.clone())
                    .or_default()
                    .push(line);
            }
        }
        let mut report = MatchReport::default();
        // Each bank line with its candidate and, for book lines, where they are.
        let mut todo: Vec<(BankLineId, Candidate, Vec<LineRef>)> = Vec::new();
        for (account, lines) in &by_account {
            let context = self.match_context(account)?;
            let threshold = min_score.unwrap_or(context.settings.min_score);
            report.min_score = threshold;
            let views: Vec<BankLineView> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| bank_view(i as u64, l))
                .collect();
            let plan = reconcile::plan(
                &views,
                &context.index,
                &context.rules,
                &context.settings,
                threshold,
            );
            report.examined = report.examined.saturating_add(views.len());
            for planned in plan.applied {
                let Some(line) = lines.get(planned.line as usize) else {
                    continue;
                };
                report.applied.push(MatchAction {
                    line: line.id.to_string(),
                    date: line.booking_date,
                    amount: line.amount,
                    label: line.label.clone(),
                    kind: kind_name(&planned.candidate.proposal),
                    score: planned.candidate.score,
                    action: context.describe(&planned.candidate.proposal),
                    reason: planned.candidate.reason.clone(),
                });
                let refs = context.book_refs(planned.candidate.proposal.book_keys())?;
                todo.push((line.id, planned.candidate, refs));
            }
            for (key, why) in plan.skipped {
                report.skipped.push(MatchSkip {
                    line: lines
                        .get(key as usize)
                        .map_or_else(|| key.to_string(), |l| l.id.to_string()),
                    why: match why {
                        Skipped::BelowScore { best: None } => "no candidate".to_string(),
                        Skipped::BelowScore { best: Some(score) } => {
                            format!("best candidate scores {score}, below {threshold}")
                        }
                        Skipped::Ambiguous { score } => {
                            format!("two candidates score {score}")
                        }
                        Skipped::Taken => {
                            "its best candidate went to another bank line".to_string()
                        }
                    },
                });
            }
        }
        if report.min_score == 0 && by_account.is_empty() {
            report.min_score = min_score.unwrap_or_else(|| Reconciliation::default().min_score);
        }
        if dry_run || todo.is_empty() {
            return Ok(report);
        }
        self.write(ctx, |tx| {
            for (id, candidate, refs) in &todo {
                apply(tx, ctx, *id, candidate, refs)?;
            }
            tx.audit(
                ctx,
                "bank.match",
                todo.iter().map(|(id, _, _)| format!("bank:{id}")).collect(),
                format!(
                    "matched {} bank lines automatically (score {} or more)",
                    todo.len(),
                    report.min_score
                ),
            )
        })?;
        Ok(report)
    }

    /// A bank line returning a SEPA direct debit: cancels the collection's payment (document
    /// id), so that its invoice is due again, posts the line against the transit account and
    /// reconciles it, in one transaction (see `reject_in`).
    pub fn bank_reject(
        &self,
        ctx: &Ctx,
        id: BankLineId,
        payment: u64,
        reason: Option<&str>,
    ) -> Result<BankRejection> {
        self.write(ctx, |tx| reject_in(tx, ctx, id, payment, reason))
    }

    /// Creates a payment of the whole bank line for `party` (customer money in, supplier money
    /// out), allocated to `invoices` (an amount or, without one, what is due on the invoice,
    /// limited to what is left) or by default to its open invoices oldest first; posts it
    /// through the documents' payment path (lettering the invoices it settles) and reconciles
    /// the bank line with the payment's line on the treasury account, in one transaction.
    pub fn bank_pay(
        &self,
        ctx: &Ctx,
        id: BankLineId,
        party: &str,
        invoices: &[(DocumentRef, Option<Amount>)],
    ) -> Result<BankPayment> {
        let line = self.bank_line(id)?;
        if line.status != BankLineStatus::Unreconciled {
            return Err(invalid(
                "bank line",
                format!("bank line {id} is already {}", line.status.name()),
            ));
        }
        let party = self.party(party)?;
        let context = self.match_context(&line.account)?;
        let amount = line.amount.abs();
        let allocations: Vec<(DocumentRef, Amount)> = if invoices.is_empty() {
            let open = context.index.open_invoices(&party.code);
            reconcile::oldest_first(amount, &open)
                .into_iter()
                .map(|(doc, amount)| (DocumentRef::Id(doc), amount))
                .collect()
        } else {
            explicit_allocations(self, &party.code, amount, invoices)?
        };
        self.write(ctx, |tx| {
            pay_in(tx, ctx, &line, &party, allocations.clone())
        })
    }
}

/// `--invoice DOC[=AMOUNT]`: an invoice without an amount takes what is due on it, limited to
/// what the bank line still leaves.
fn explicit_allocations(
    ledger: &Ledger,
    party: &str,
    amount: Amount,
    invoices: &[(DocumentRef, Option<Amount>)],
) -> Result<Vec<(DocumentRef, Amount)>> {
    let mut left = amount;
    let mut out = Vec::new();
    for (reference, given) in invoices {
        let take = match given {
            Some(given) => *given,
            None => {
                let summary = match reference {
                    DocumentRef::Id(id) => ledger.document(&format!("D{id}"))?,
                    DocumentRef::Text(text) => ledger.document(text)?,
                };
                if summary.document.party != party {
                    return Err(invalid(
                        "invoice",
                        format!(
                            "{} belongs to {}, not to {party}",
                            summary.document.display_ref(),
                            summary.document.party
                        ),
                    ));
                }
                summary.remaining.min(left)
            }
        };
        if !take.is_positive() {
            return Err(invalid(
                "invoice",
                format!(
                    "nothing left of the bank line's {} for {}",
                    amount.to_plain(),
                    match reference {
                        DocumentRef::Id(id) => format!("D{id}"),
                        DocumentRef::Text(text) => echo(text),
                    }
                ),
            ));
        }
        left = left
            .checked_sub(take)
            .ok_or_else(|| invalid("invoice", "amount overflow"))?;
        out.push((reference.clone(), take));
    }
    Ok(out)
}

/// Applies one candidate inside `bank match`'s transaction.
fn apply(
    tx: &mut super::store::Tx<'_>,
    ctx: &Ctx,
    id: BankLineId,
    candidate: &Candidate,
    book_lines: &[LineRef],
) -> Result<()> {
    match &candidate.proposal {
        Proposal::BookLines { .. } => {
            super::bank::reconcile_in(tx, ctx, id, book_lines, MarkKind::Matched)?;
        }
        Proposal::Rule {
            post_to,
            tax,
            party,
            label,
            ..
        } => {
            super::bank::post_in(
                tx,
                ctx,
                id,
                post_to,
                party.as_deref(),
                tax.as_deref(),
                Some(label),
                MarkKind::Posted,
            )?;
        }
        Proposal::Payment { party, allocations } => {
            let line = super::bank::bank_line_in(tx, id)?;
            let party = tx.party(party)?;
            let allocations = allocations
                .iter()
                .map(|(doc, amount)| (DocumentRef::Id(*doc), *amount))
                .collect();
            pay_in(tx, ctx, &line, &party, allocations)?;
        }
        Proposal::Rejection { payment, reason } => {
            reject_in(tx, ctx, id, *payment, reason.as_deref())?;
        }
    }
    Ok(())
}

/// What the rejection of a returned direct debit did.
#[derive(Debug, Clone, Serialize)]
pub struct BankRejection {
    pub line: String,
    /// The collection's payment, now cancelled.
    pub payment: String,
    /// The invoices due again, with what the payment had paid on them.
    pub reopened: Vec<(String, Amount)>,
    /// The entry reversing the payment's.
    pub reversal: Option<String>,
    /// The entry posting the bank line to the transit account, reconciled with it.
    pub entry: String,
}

/// A bank line returning a SEPA direct debit (an R-transaction): the collection's payment is
/// cancelled through the engine's payment cancellation (its entry reversed, dated the bank
/// line's day, the invoice due again, the mandate's count of collections taken back), and
/// the bank line is posted against the transit account the payment was collected on (money
/// out of the bank, back into transit where the reversal takes it out), then reconciled.
fn reject_in(
    tx: &mut super::store::Tx<'_>,
    ctx: &Ctx,
    id: BankLineId,
    payment: u64,
    reason: Option<&str>,
) -> Result<BankRejection> {
    let line = super::bank::bank_line_in(tx, id)?;
    if line.status != BankLineStatus::Unreconciled {
        return Err(invalid(
            "bank line",
            format!("bank line {id} is already {}", line.status.name()),
        ));
    }
    let reference = format!("D{payment}");
    let doc = super::documents::find_document(tx, &reference)?;
    let DocumentBody::Payment { amount, method, .. } = &doc.body else {
        return Err(invalid(
            "payment",
            format!("{} is not a payment", doc.display_ref()),
        ));
    };
    if !line.amount.is_negative() || *amount != line.amount.abs() {
        return Err(invalid(
            "bank line",
            format!(
                "bank line {id} ({}) does not return {} of {}",
                line.amount.to_plain(),
                doc.display_ref(),
                amount.to_plain()
            ),
        ));
    }
    let settings: Settings = tx
        .get_meta("settings")?
        .ok_or_else(|| invalid("settings", "this ledger has no posting settings"))?;
    let transit = settings
        .payment_method(method)
        .map(|m| m.account.clone())
        .ok_or_else(|| {
            invalid(
                "method",
                format!(
                    "{} was collected with payment method {method}, which the settings no \
                     longer have",
                    doc.display_ref()
                ),
            )
        })?;
    let done =
        super::sepa::sepa_reject_in(tx, ctx, &reference, line.booking_date, reason.unwrap_or(""))?;
    let invoices: Vec<&str> = done.reopened.iter().map(|(n, _)| n.as_str()).collect();
    let label = format!(
        "Rejet prélèvement {}{}",
        invoices.join(" "),
        reason.map(|r| format!(" {r}")).unwrap_or_default()
    );
    let entry = super::bank::post_in(
        tx,
        ctx,
        id,
        &transit,
        None,
        None,
        Some(&label),
        MarkKind::Posted,
    )?;
    let entry = tx.entry(entry)?.reference();
    Ok(BankRejection {
        line: id.to_string(),
        payment: done.payment.display_ref(),
        reopened: done.reopened,
        reversal: done.reversal,
        entry,
    })
}

/// Registers the payment of a bank line and reconciles the line with it.
fn pay_in(
    tx: &mut super::store::Tx<'_>,
    ctx: &Ctx,
    line: &BankLine,
    party: &Party,
    allocations: Vec<(DocumentRef, Amount)>,
) -> Result<BankPayment> {
    let id = line.id;
    let doc_type = match (party.kind, line.amount.is_positive()) {
        (PartyKind::Customer, true) => DocumentType::CustomerPayment,
        (PartyKind::Supplier, false) => DocumentType::SupplierPayment,
        (PartyKind::Customer, false) => {
            return Err(invalid(
                "party",
                format!(
                    "bank line {id} is money out: a payment from customer {} comes in",
                    party.code
                ),
            ));
        }
        (PartyKind::Supplier, true) => {
            return Err(invalid(
                "party",
                format!(
                    "bank line {id} is money in: a payment to supplier {} goes out",
                    party.code
                ),
            ));
        }
    };
    let settings: Settings = tx
        .get_meta("settings")?
        .ok_or_else(|| invalid("settings", "this ledger has no posting settings"))?;
    let method = payment_method(&settings, party, &line.account).ok_or_else(|| {
        invalid(
            "method",
            format!(
                "no payment method of the settings posts to {}: add one ([[payment_methods]] \
                 with account = \"{}\")",
                line.account, line.account
            ),
        )
    })?;
    let reference = line
        .end_to_end_id
        .clone()
        .or_else(|| line.reference.clone())
        .unwrap_or_else(|| format!("bank {id}"));
    let input = PaymentInput {
        doc_type,
        party: party.code.clone(),
        date: line.booking_date,
        amount: line.amount.abs(),
        method,
        reference,
        allocations,
        allocation_lines: Vec::new(),
    };
    let doc = super::documents::register_payment_in(tx, ctx, input)?;
    let entry_id = doc.entry.ok_or_else(|| {
        LedgerError::Corrupt(format!(
            "payment {} was posted without entry",
            doc.display_ref()
        ))
    })?;
    let entry = tx.entry(entry_id)?;
    let position = entry
        .lines
        .iter()
        .position(|l| l.account == line.account && l.signed() == line.amount)
        .ok_or_else(|| {
            invalid(
                "method",
                format!(
                    "payment {} has no line of {} on {}",
                    doc.display_ref(),
                    line.amount.to_plain(),
                    line.account
                ),
            )
        })?;
    let at = LineRef {
        entry: entry_id,
        line: position as u32,
    };
    let names = super::bank::reconcile_in(tx, ctx, id, &[at], MarkKind::Posted)?;
    let mut allocated = Vec::new();
    for allocation in doc.allocations() {
        let number = super::documents::document_number_in(tx, allocation.document)?;
        allocated.push((number, allocation.amount));
    }
    tx.audit(
        ctx,
        "bank.pay",
        vec![
            format!("bank:{id}"),
            format!("document:{}", doc.id),
            format!("account:{}", line.account),
        ],
        format!(
            "registered {} from bank line {id} ({} {} {}) and reconciled it with {}",
            doc.display_ref(),
            line.booking_date,
            line.amount.to_plain(),
            line.label,
            names.join(", ")
        ),
    )?;
    Ok(BankPayment {
        line: id.to_string(),
        payment: doc.display_ref(),
        party: party.code.clone(),
        amount: line.amount.abs(),
        allocations: allocated,
        book_line: names.join(", "),
    })
}

/// The party's own payment method when it posts to the treasury account, else the first
/// method of the settings that does.
fn payment_method(settings: &Settings, party: &Party, account: &AccountNumber) -> Option<String> {
    if let Some(code) = &party.payment_method
        && settings
            .payment_method(code)
            .is_some_and(|m| m.account == *account)
    {
        return Some(code.clone());
    }
    settings
        .payment_methods
        .iter()
        .find(|m| m.account == *account)
        .map(|m| m.code.clone())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::*;
    use crate::formats::bank::{AccountId, Statement, StatementLine};
    use crate::ledger::{BankDetails, DocumentInput, InitParams, StatementImport};
    use crate::model::Company;
    use crate::model::document::DocumentLine;
    use crate::model::entry::{EntryInput, Line};
    use crate::model::settings::{BankSign, ReconciliationRule};

    const IBAN: &str = "FR7630006000011234567890189";
    const CLUMEN_IBAN: &str = "FR7610107001011234567890129";

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn ctx() -> Ctx {
        Ctx::fixed("alice", date(11, 25).and_hms_opt(9, 0, 0).unwrap())
    }

    fn account(n: &str) -> AccountNumber {
        AccountNumber::parse(n).unwrap()
    }

    /// A ledger with the default settings and a fee rule, customer CLUMEN (IBAN known) with
    /// an invoice of 1 200,00, a manual bank entry of 500,00 and a November statement.
    fn setup(dir: &std::path::Path) -> Ledger {
        let mut settings = crate::fixtures::default_settings().unwrap();
        settings.general.generated_entries = crate::model::settings::EntryLanding::Validated;
        settings.reconciliation.rules.push(ReconciliationRule {
            name: "FEES".into(),
            label_contains: Some("frais".into()),
            label_regex: None,
            amount_min: None,
            amount_max: Some(Amount::from_cents(5_000)),
            sign: Some(BankSign::Out),
            counterparty_iban: None,
            account: None,
            post_to: account("627000"),
            tax: Some("D20".into()),
            party: None,
            label: "Frais bancaires {date}".into(),
            min_score: None,
        });
        let params = InitParams {
            company: Company {
                name: "Test SARL".into(),
                siren: "732829320".into(),
            },
            first_year_start: date(1, 1),
            first_year_months: 12,
            chart: crate::fixtures::default_chart().unwrap(),
            settings: Some(settings),
        };
        let ledger = Ledger::create(&dir.join("t.ledger"), &params, &ctx()).unwrap();
        ledger
            .set_bank_details(&ctx(), "BQ", Some(&BankDetails::from_iban(IBAN).unwrap()))
            .unwrap();
        let mut clumen = Party::new(
            "CLUMEN".into(),
            "Clumen SARL".into(),
            PartyKind::Customer,
            account("411000"),
        );
        clumen.iban = Some(CLUMEN_IBAN.into());
        ledger.add_party(&ctx(), clumen).unwrap();
        ledger
            .add_documents(
                &ctx(),
                [Ok((
                    1,
                    DocumentInput {
                        doc_type: DocumentType::CustomerInvoice,
                        party: "CLUMEN".into(),
                        date: date(10, 1),
                        reference: String::new(),
                        lines: vec![DocumentLine {
                            item: None,
                            label: "Conseil".into(),
                            quantity: Decimal::ONE,
                            unit_price: Decimal::from(1000),
                            discount: Decimal::ZERO,
                            tax_code: Some("V20".into()),
                        }],
                        line_numbers: Vec::new(),
                    },
                ))],
                true,
                None,
            )
            .unwrap();
        let amount = Amount::from_cents(50_000);
        ledger
            .add_entry(
                &ctx(),
                &EntryInput {
                    journal: "BQ".into(),
                    date: date(11, 3),
                    piece: "REM-0042".into(),
                    label: "Remise".into(),
                    lines: vec![
                        Line::debit(account("512000"), amount),
                        Line::credit(account("758000"), amount),
                    ],
                },
            )
            .unwrap();
        let line = |d: NaiveDate, cents: i64, label: &str, iban: Option<&str>| StatementLine {
            booking_date: d,
            value_date: Some(d),
            amount: Amount::from_cents(cents),
            label: label.into(),
            reference: None,
            counterparty_name: None,
            counterparty_iban: iban.map(str::to_string),
            end_to_end_id: None,
            remittance: None,
            source_line: 1,
        };
        let lines = vec![
            line(date(11, 3), 50_000, "REMISE CHEQUES", None),
            line(date(11, 5), 120_000, "VIR SEPA", Some(CLUMEN_IBAN)),
            line(date(11, 10), 7_777, "VIR INCONNU", None),
            line(date(11, 30), -1_200, "FRAIS TENUE DE COMPTE", None),
        ];
        let total: i64 = lines.iter().map(|l| l.amount.cents()).sum();
        let statement = Statement {
            account: AccountId {
                iban: Some(IBAN.into()),
                rib: None,
                number: None,
            },
            id: "S11".into(),
            period: (date(11, 1), date(11, 30)),
            currency: "EUR".into(),
            opening: Some(Amount::ZERO),
            closing: Some(Amount::from_cents(total)),
            lines,
            source_line: 1,
        };
        ledger
            .import_statements(
                &ctx(),
                &StatementImport {
                    file: "nov.xml".into(),
                    format: "camt053".into(),
                    statements: vec![statement],
                    account: None,
                    allow_gap: false,
                },
            )
            .unwrap();
        ledger
    }

    fn id(line: u32) -> BankLineId {
        BankLineId { statement: 1, line }
    }

    #[test]
    fn match_reconciles_posts_by_rule_and_pays_in_one_go() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = setup(dir.path());
        let preview = ledger.bank_match(&ctx(), None, None, true).unwrap();
        let kinds: Vec<(&str, &str)> = preview
            .applied
            .iter()
            .map(|a| (a.line.as_str(), a.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![("1/1", "book_lines"), ("1/2", "payment"), ("1/4", "rule")]
        );
        assert_eq!(preview.skipped.len(), 1);
        assert_eq!(preview.skipped[0].line, "1/3");
        // A dry run writes nothing.
        assert!(ledger.reconciliation(id(1)).unwrap().is_none());

        let done = ledger.bank_match(&ctx(), None, None, false).unwrap();
        assert_eq!(done.applied.len(), 3);
        for n in [1, 2, 4] {
            assert!(ledger.reconciliation(id(n)).unwrap().is_some(), "line {n}");
        }
        assert!(ledger.reconciliation(id(3)).unwrap().is_none());
        // The payment settled the invoice.
        let invoice = ledger.document("FA2026-00001").unwrap();
        assert_eq!(invoice.remaining, Amount::ZERO);
        // Nothing left to match: a second run applies nothing.
        let again = ledger.bank_match(&ctx(), None, None, false).unwrap();
        assert!(again.applied.is_empty());
        assert_eq!(again.examined, 1);
    }

    #[test]
    fn pay_allocates_oldest_first_and_reconciles_with_the_payment_line() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = setup(dir.path());
        let paid = ledger.bank_pay(&ctx(), id(2), "CLUMEN", &[]).unwrap();
        assert_eq!(
            paid.allocations,
            vec![("FA2026-00001".to_string(), Amount::from_cents(120_000))]
        );
        let mark = ledger.reconciliation(id(2)).unwrap().unwrap();
        assert_eq!(mark.kind, MarkKind::Posted);
        // Refused: already reconciled, a supplier-style direction, an amount beyond the line.
        let err = ledger.bank_pay(&ctx(), id(2), "CLUMEN", &[]).unwrap_err();
        assert!(err.to_string().contains("already reconciled"), "{err}");
        let err = ledger.bank_pay(&ctx(), id(4), "CLUMEN", &[]).unwrap_err();
        assert!(err.to_string().contains("money out"), "{err}");
    }
}
