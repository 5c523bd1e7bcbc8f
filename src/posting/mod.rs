//! The posting engine: documents in, entry drafts out, each line with the rule that chose its
//! account. Pure: settings, the document, its party and (for payments) the allocated documents
//! are passed in.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::document::{Context, Document, DocumentBody, DocumentType};
use crate::model::settings::{
    Direction, Generation, ItemKind, PartyAccountSource, Settings, Strategy,
};
use crate::model::tax::{Exigibility, TaxCode, tax_amount};
use crate::model::{AccountNumber, Amount, Line, Party};

/// Why a line went to its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    ItemStrategy(String),
    FamilyStrategy(String),
    TaxStrategy(String),
    TaxCode(String),
    PendingTax(String),
    /// VAT due on payment waiting on the tax code's pending account; once due, it goes to
    /// the tax strategy's account.
    PendingTaxStrategy {
        tax: String,
        strategy: String,
    },
    ReverseCharge(String),
    DefaultAccount(DocumentType),
    /// The default account of the document type for the item's kind (goods or services).
    KindDefaultAccount(DocumentType, ItemKind),
    FallbackAccount(DocumentType),
    Suspense,
    PositionMapping {
        position: String,
        from: AccountNumber,
    },
    Party(String),
    PaymentMethod(String),
    TaxOnPayment {
        tax: String,
        document: String,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::ItemStrategy(name) => write!(f, "item strategy \"{name}\""),
            Rule::FamilyStrategy(name) => write!(f, "family strategy \"{name}\""),
            Rule::TaxStrategy(name) => write!(f, "tax strategy \"{name}\""),
            Rule::TaxCode(code) => write!(f, "account of tax code {code}"),
            Rule::PendingTax(code) => {
                write!(f, "pending account of tax code {code} (VAT due on payment)")
            }
            Rule::PendingTaxStrategy { tax, strategy } => write!(
                f,
                "pending account of tax code {tax} (VAT due on payment, then tax strategy \"{strategy}\")"
            ),
            Rule::ReverseCharge(code) => write!(f, "reverse charge of tax code {code}"),
            Rule::DefaultAccount(t) => write!(f, "default account for {}", t.name()),
            Rule::KindDefaultAccount(t, kind) => write!(
                f,
                "default account for {} of {}",
                match kind {
                    ItemKind::Product => "goods",
                    ItemKind::Service => "services",
                },
                t.name()
            ),
            Rule::FallbackAccount(t) => write!(f, "fallback account for {}", t.name()),
            Rule::Suspense => write!(
                f,
                "suspense account: no strategy, no default and no fallback account applied"
            ),
            Rule::PositionMapping { position, from } => {
                write!(f, "tax position {position} maps {from} to this account")
            }
            Rule::Party(code) => write!(f, "third party {code}"),
            Rule::PaymentMethod(code) => write!(f, "treasury account of payment method {code}"),
            Rule::TaxOnPayment { tax, document } => {
                write!(f, "VAT {tax} of {document} due on payment")
            }
        }
    }
}

/// One line of a generated entry with the rule behind its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedLine {
    pub line: Line,
    pub rule: Rule,
    /// The VAT the line carries, for the CA3: one share per tax code of a base line, one
    /// share for a tax line. Empty for a line without VAT (the party, the treasury).
    #[serde(default)]
    pub vat: Vec<LineVat>,
}

/// What a generated line carries of one tax code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineVat {
    /// The tax code; for an exempt base, the code the party's tax position exempted.
    pub code: String,
    pub kind: LineVatKind,
    /// The share of the line (debit − credit) this tax code accounts for.
    pub amount: Amount,
    /// For a tax line, its base in the direction of the document (negative for a credit
    /// note); for VAT a payment makes due, the invoice base in proportion. Zero for a base.
    pub base: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineVatKind {
    /// A taxable base.
    Base,
    /// A base exempted by the party's tax position, with the position's CA3 box (F2, E1).
    ExemptBase(Option<String>),
    /// The tax, on the account where it is due (or deductible).
    Tax,
    /// The tax waiting on the pending account until payment (VAT on encaissements).
    Pending,
    /// The due side of a reverse charge (4452).
    ReverseCharge,
    /// A payment moving pending VAT off the pending account.
    Released,
    /// A payment moving pending VAT to the account where it is due.
    Due,
}

/// VAT of one tax code on one document, for payments on receipt and the CA3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxDetail {
    pub code: String,
    pub rate: Decimal,
    pub base: Amount,
    pub tax: Amount,
    pub on_payment: bool,
    pub reverse_charge: bool,
    /// For VAT due on payment: where a payment moves it from the pending account (the tax
    /// strategy's account, else the tax code's). `None` in what older versions stored: the
    /// tax code's account.
    #[serde(default)]
    pub due_account: Option<AccountNumber>,
}

/// An entry draft generated from a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub journal: String,
    pub label: String,
    pub lines: Vec<PostedLine>,
    /// Total the party owes or is owed (including VAT, except reverse-charged VAT).
    pub total: Amount,
    pub taxes: Vec<TaxDetail>,
}

impl Posting {
    pub fn lines(&self) -> Vec<Line> {
        self.lines.iter().map(|l| l.line.clone()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostingError {
    #[error("unknown item {0}")]
    UnknownItem(String),
    #[error("unknown tax code {0}")]
    UnknownTax(String),
    #[error("tax code {code} has no rate valid on {date}")]
    NoRate {
        code: String,
        date: chrono::NaiveDate,
    },
    #[error("unknown tax position {0}")]
    UnknownPosition(String),
    #[error("unknown payment method {0}")]
    UnknownMethod(String),
    #[error("no generation settings for {0}")]
    NoGeneration(&'static str),
    #[error("a {0} needs at least one line")]
    NoLines(&'static str),
    #[error("the document total is zero or negative")]
    NonPositiveTotal,
    #[error("tax code {code} is {kind} and cannot be used in a {context} document")]
    WrongTaxKind {
        code: String,
        kind: &'static str,
        context: &'static str,
    },
    #[error("amount overflow")]
    Overflow,
}

/// A document a payment is allocated to, with what the engine needs of it.
#[derive(Debug, Clone)]
pub struct AllocatedDocument<'a> {
    pub document: &'a Document,
    /// The allocated document's total including VAT.
    pub total: Amount,
    /// Its taxes (only those due on payment matter).
    pub taxes: &'a [TaxDetail],
    /// What earlier payments allocated to it (in payment order), before this one.
    pub allocated_before: Amount,
    /// What this payment allocates to it.
    pub amount: Amount,
}

fn generation(settings: &Settings, doc_type: DocumentType) -> Result<&Generation, PostingError> {
    settings
        .generation(doc_type)
        .ok_or(PostingError::NoGeneration(doc_type.name()))
}

fn label_of(doc: &Document, party: &Party) -> String {
    let what = match doc.doc_type {
        DocumentType::CustomerInvoice => "Facture",
        DocumentType::CustomerCreditNote => "Avoir",
        DocumentType::SupplierInvoice => "Facture fournisseur",
        DocumentType::SupplierCreditNote => "Avoir fournisseur",
        DocumentType::CustomerPayment => "Règlement client",
        DocumentType::SupplierPayment => "Règlement fournisseur",
        DocumentType::CustomerRefund => "Remboursement client",
        DocumentType::SupplierRefund => "Remboursement fournisseur",
    };
    format!("{what} {} {}", doc.display_ref(), party.name)
}

/// Puts `amount` on the debit side when `debit` is true, else on the credit side; a negative
/// amount goes to the other side.
fn sided(account: AccountNumber, amount: Amount, debit: bool) -> Line {
    match (debit, amount.is_negative()) {
        (true, false) | (false, true) => Line::debit(account, amount.abs()),
        _ => Line::credit(account, amount.abs()),
    }
}

fn party_account(generation: &Generation, party: &Party) -> AccountNumber {
    match &generation.party_account {
        PartyAccountSource::Party => party.collective_account.clone(),
        PartyAccountSource::Account(account) => account.clone(),
    }
}

/// The tax code a document line uses: its own, else the item's for the context; then the
/// party's tax position maps it (`None`: exempt).
fn line_tax<'s>(
    settings: &'s Settings,
    context: Context,
    item_tax: Option<&'s String>,
    own: Option<&'s String>,
    position: Option<&'s crate::model::tax::TaxPosition>,
) -> Result<Option<&'s TaxCode>, PostingError> {
    let Some(code) = own.or(item_tax) else {
        return Ok(None);
    };
    let code = match position {
        Some(position) => match position.map_tax(code) {
            Some(mapped) => mapped,
            None => return Ok(None),
        },
        None => code.as_str(),
    };
    let tax = settings
        .tax(code)
        .ok_or_else(|| PostingError::UnknownTax(code.to_string()))?;
    let expected = match context {
        Context::Sale => crate::model::tax::TaxKind::Collected,
        Context::Purchase => crate::model::tax::TaxKind::Deductible,
    };
    if tax.kind != expected {
        return Err(PostingError::WrongTaxKind {
            code: tax.code.clone(),
            kind: match tax.kind {
                crate::model::tax::TaxKind::Collected => "collected",
                crate::model::tax::TaxKind::Deductible => "deductible",
            },
            context: context.name(),
        });
    }
    Ok(Some(tax))
}

/// The account of a document line: item strategy, family strategy for the rate, family
/// strategy for any rate, default account, fallback account, suspense — first match wins.
fn resolve_account<'s>(
    settings: &'s Settings,
    generation: &'s Generation,
    doc_type: DocumentType,
    item: Option<&'s crate::model::settings::Item>,
    rate: Option<Decimal>,
) -> (AccountNumber, Rule, Option<&'s Strategy>) {
    let context = doc_type.context();
    if let Some(item) = item {
        if let Some(s) = settings
            .strategies
            .iter()
            .find(|s| s.context == context && s.item.as_deref() == Some(item.code.as_str()))
        {
            return (
                s.account.clone(),
                Rule::ItemStrategy(s.name.clone()),
                Some(s),
            );
        }
        if let Some(family) = &item.family {
            let for_family = |s: &&Strategy| {
                s.context == context && s.family.as_deref() == Some(family.as_str())
            };
            let by_rate = settings.strategies.iter().filter(for_family).find(|s| {
                s.rate
                    .zip(rate)
                    .is_some_and(|(a, b)| a.normalize() == b.normalize())
            });
            let any_rate = || {
                settings
                    .strategies
                    .iter()
                    .filter(for_family)
                    .find(|s| s.rate.is_none())
            };
            if let Some(s) = by_rate.or_else(any_rate) {
                return (
                    s.account.clone(),
                    Rule::FamilyStrategy(s.name.clone()),
                    None,
                );
            }
        }
    }
    if let Some(item) = item
        && let Some(account) = generation.default_for_kind(item.kind)
    {
        return (
            account.clone(),
            Rule::KindDefaultAccount(doc_type, item.kind),
            None,
        );
    }
    if let Some(account) = &generation.default_account {
        return (account.clone(), Rule::DefaultAccount(doc_type), None);
    }
    if let Some(account) = &generation.fallback_account {
        return (account.clone(), Rule::FallbackAccount(doc_type), None);
    }
    (
        settings.general.suspense_account.clone(),
        Rule::Suspense,
        None,
    )
}

/// Key of a VAT group: the tax code and the tax strategy linked to the item strategy that
/// resolved the lines (if any).
type TaxKey = (String, Option<String>);

/// Posts an invoice or credit note.
pub fn post_invoice(
    doc: &Document,
    party: &Party,
    settings: &Settings,
) -> Result<Posting, PostingError> {
    let lines = match &doc.body {
        DocumentBody::Lines(lines) if !lines.is_empty() => lines,
        _ => return Err(PostingError::NoLines(doc.doc_type.name())),
    };
    let generation = generation(settings, doc.doc_type)?;
    let context = doc.doc_type.context();
    let position = match &party.tax_position {
        Some(code) => Some(
            settings
                .position(code)
                .ok_or_else(|| PostingError::UnknownPosition(code.clone()))?,
        ),
        None => None,
    };
    // Sales credit the income and tax accounts; purchases debit them.
    let normal_debit = context == Context::Purchase;
    let flip = generation.direction == Direction::Reversed;
    let goods_debit = normal_debit != flip;

    type Shares = BTreeMap<(String, Option<Option<String>>), Amount>;
    type Goods = BTreeMap<(AccountNumber, String), (Amount, Rule, Vec<String>, Shares)>;
    let mut goods: Goods = BTreeMap::new();
    let mut bases: BTreeMap<TaxKey, (Amount, &TaxCode, Decimal)> = BTreeMap::new();
    for line in lines {
        let item = match &line.item {
            Some(code) => Some(
                settings
                    .item(code)
                    .ok_or_else(|| PostingError::UnknownItem(code.clone()))?,
            ),
            None => None,
        };
        let item_tax = item.and_then(|i| match context {
            Context::Sale => i.sale_tax.as_ref(),
            Context::Purchase => i.purchase_tax.as_ref(),
        });
        let tax = line_tax(
            settings,
            context,
            item_tax,
            line.tax_code.as_ref(),
            position,
        )?;
        let rate = match tax {
            Some(tax) => Some(tax.rate_on(doc.date).ok_or_else(|| PostingError::NoRate {
                code: tax.code.clone(),
                date: doc.date,
            })?),
            None => None,
        };
        let (account, rule, item_strategy) = resolve_account(
            settings,
            generation,
            doc.doc_type,
            item,
            rate.or(Some(Decimal::ZERO)),
        );
        let (account, rule) = match position {
            Some(p) if p.map_account(&account) != &account => (
                p.map_account(&account).clone(),
                Rule::PositionMapping {
                    position: p.code.clone(),
                    from: account.clone(),
                },
            ),
            _ => (account, rule),
        };
        let net = line.net();
        let slot = goods.entry((account.clone(), rule.to_string())).or_insert((
            Amount::ZERO,
            rule,
            Vec::new(),
            BTreeMap::new(),
        ));
        slot.0 = slot.0.checked_add(net).ok_or(PostingError::Overflow)?;
        slot.2.push(line.label.clone());
        // The share of each tax code, for the CA3; a base the position exempts keeps the
        // code it exempted and the position's box.
        let share = match (tax, position) {
            (Some(tax), _) => Some((tax.code.clone(), None)),
            (None, Some(p)) => line
                .tax_code
                .as_ref()
                .or(item_tax)
                .filter(|code| p.map_tax(code).is_none())
                .map(|code| (code.clone(), Some(p.exempt_base_box.clone()))),
            (None, None) => None,
        };
        if let Some(key) = share {
            let part = slot.3.entry(key).or_insert(Amount::ZERO);
            *part = part.checked_add(net).ok_or(PostingError::Overflow)?;
        }
        if let (Some(tax), Some(rate)) = (tax, rate) {
            let linked = item_strategy.and_then(|s| {
                settings.tax_strategies.iter().find(|t| {
                    t.item_strategy.as_deref() == Some(s.name.as_str())
                        && t.context == context
                        && t.rate.normalize() == rate.normalize()
                })
            });
            let key = (tax.code.clone(), linked.map(|t| t.name.clone()));
            let slot = bases.entry(key).or_insert((Amount::ZERO, tax, rate));
            slot.0 = slot.0.checked_add(net).ok_or(PostingError::Overflow)?;
        }
    }

    let mut out: Vec<PostedLine> = Vec::new();
    let mut total = Amount::ZERO;
    let signed = |amount: Amount, debit: bool| if debit { amount } else { -amount };
    for ((account, _), (amount, rule, labels, shares)) in goods {
        if amount.is_zero() {
            continue;
        }
        let vat = shares
            .into_iter()
            .filter(|(_, share)| !share.is_zero())
            .map(|((code, exempt), share)| LineVat {
                code,
                kind: match exempt {
                    Some(b) => LineVatKind::ExemptBase(b),
                    None => LineVatKind::Base,
                },
                amount: signed(share, goods_debit),
                base: Amount::ZERO,
            })
            .collect();
        total += amount;
        let label = if labels.len() == 1 {
            labels[0].clone()
        } else {
            String::new()
        };
        out.push(PostedLine {
            line: sided(account, amount, goods_debit).with_label(label),
            rule,
            vat,
        });
    }
    let mut taxes = Vec::new();
    for ((code, linked), (base, tax, rate)) in bases {
        let amount = tax_amount(base, rate);
        let on_payment = tax.exigibility == Exigibility::OnPayment;
        let reverse_charge = tax.reverse_charge_account.is_some();
        // A reverse-charged tax keeps its own accounts: the CA3 reads intra-EU VAT from them.
        let strategy = match &linked {
            _ if tax.reverse_charge_account.is_some() => None,
            Some(name) => settings.tax_strategies.iter().find(|t| t.name == *name),
            None => settings.tax_strategies.iter().find(|t| {
                t.item_strategy.is_none()
                    && t.context == context
                    && t.rate.normalize() == rate.normalize()
            }),
        };
        // VAT due on payment waits on the pending account whatever the strategy: the
        // strategy names where the payment moves it.
        let pending = tax.pending_account.as_ref().filter(|_| on_payment);
        let (account, rule) = match (strategy, pending) {
            (Some(s), Some(pending)) => (
                pending.clone(),
                Rule::PendingTaxStrategy {
                    tax: code.clone(),
                    strategy: s.name.clone(),
                },
            ),
            (None, Some(pending)) => (pending.clone(), Rule::PendingTax(code.clone())),
            (Some(s), None) => (s.account.clone(), Rule::TaxStrategy(s.name.clone())),
            (None, None) => (tax.account.clone(), Rule::TaxCode(code.clone())),
        };
        taxes.push(TaxDetail {
            code: code.clone(),
            rate,
            base,
            tax: amount,
            on_payment,
            reverse_charge,
            due_account: pending.map(|_| {
                strategy
                    .map(|s| s.account.clone())
                    .unwrap_or_else(|| tax.account.clone())
            }),
        });
        if amount.is_zero() {
            continue;
        }
        // The base in the document's direction: a credit note's is negative.
        let doc_base = if flip { -base } else { base };
        let share = |kind, debit| {
            vec![LineVat {
                code: code.clone(),
                kind,
                amount: signed(amount, debit),
                base: doc_base,
            }]
        };
        out.push(PostedLine {
            line: sided(account, amount, goods_debit),
            rule,
            vat: share(
                if pending.is_some() {
                    LineVatKind::Pending
                } else {
                    LineVatKind::Tax
                },
                goods_debit,
            ),
        });
        match &tax.reverse_charge_account {
            Some(due) => out.push(PostedLine {
                line: sided(due.clone(), amount, !goods_debit),
                rule: Rule::ReverseCharge(code.clone()),
                vat: share(LineVatKind::ReverseCharge, !goods_debit),
            }),
            None => total += amount,
        }
    }
    if total <= Amount::ZERO {
        return Err(PostingError::NonPositiveTotal);
    }
    let party_line = sided(party_account(generation, party), total, !goods_debit)
        .with_party(Some(party.code.clone()));
    out.insert(
        0,
        PostedLine {
            line: party_line,
            rule: Rule::Party(party.code.clone()),
            vat: Vec::new(),
        },
    );
    Ok(Posting {
        journal: generation.journal.clone(),
        label: label_of(doc, party),
        lines: out,
        total,
        taxes,
    })
}

/// Share of `tax` moved when an invoice of `total` goes from `before` to `after` paid:
/// computed on cumulative amounts so that a fully paid invoice moves exactly `tax`.
pub fn moved_share(tax: Amount, total: Amount, before: Amount, after: Amount) -> Amount {
    let cumulative = |paid: Amount| {
        if total.is_zero() {
            return Amount::ZERO;
        }
        let paid = paid.min(total);
        let raw = tax.to_decimal() * paid.to_decimal() / total.to_decimal();
        let rounded =
            raw.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        Amount::from_decimal(rounded).unwrap_or(Amount::ZERO)
    };
    cumulative(after) - cumulative(before)
}

/// `base × share / tax`, rounded half away from zero to the cent: the base of the part of a
/// tax a payment makes due.
fn base_of_share(base: Amount, tax: Amount, share: Amount) -> Amount {
    if tax.is_zero() {
        return Amount::ZERO;
    }
    let raw = base.to_decimal() * share.to_decimal() / tax.to_decimal();
    let rounded =
        raw.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    Amount::from_decimal(rounded).unwrap_or(Amount::ZERO)
}

/// Posts a payment or refund: treasury against the party, plus the VAT that becomes due on
/// the allocated invoices taxed on payment.
pub fn post_payment(
    doc: &Document,
    party: &Party,
    settings: &Settings,
    allocated: &[AllocatedDocument<'_>],
) -> Result<Posting, PostingError> {
    let DocumentBody::Payment { amount, method, .. } = &doc.body else {
        return Err(PostingError::NoLines(doc.doc_type.name()));
    };
    let generation = generation(settings, doc.doc_type)?;
    let method_settings = settings
        .payment_method(method)
        .ok_or_else(|| PostingError::UnknownMethod(method.clone()))?;
    // Money in (customer payment, supplier refund) debits the treasury account.
    let money_in = matches!(
        doc.doc_type,
        DocumentType::CustomerPayment | DocumentType::SupplierRefund
    );
    let mut lines = vec![
        PostedLine {
            line: sided(method_settings.account.clone(), *amount, money_in),
            rule: Rule::PaymentMethod(method.clone()),
            vat: Vec::new(),
        },
        PostedLine {
            line: sided(party_account(generation, party), *amount, !money_in)
                .with_party(Some(party.code.clone())),
            rule: Rule::Party(party.code.clone()),
            vat: Vec::new(),
        },
    ];
    for target in allocated {
        for detail in target
            .taxes
            .iter()
            .filter(|t| t.on_payment && !t.tax.is_zero())
        {
            let Some(tax) = settings.tax(&detail.code) else {
                return Err(PostingError::UnknownTax(detail.code.clone()));
            };
            let Some(pending) = &tax.pending_account else {
                continue;
            };
            let due = detail.due_account.as_ref().unwrap_or(&tax.account);
            let moved = moved_share(
                detail.tax,
                target.total,
                target.allocated_before,
                target.allocated_before + target.amount,
            );
            if moved.is_zero() {
                continue;
            }
            // Collected VAT: Dr pending / Cr due; deductible: Dr due / Cr pending. A credit
            // note's share goes the other way.
            let collected = tax.kind == crate::model::tax::TaxKind::Collected;
            let reverse = target.document.doc_type.is_credit_note();
            let pending_debit = collected != reverse;
            let rule = Rule::TaxOnPayment {
                tax: detail.code.clone(),
                document: target.document.display_ref(),
            };
            // The base of the amount paid, in the document's direction (a credit note's is
            // negative), in proportion to the tax moved.
            let moved_signed = if reverse { -moved } else { moved };
            let base = base_of_share(detail.base, detail.tax, moved_signed);
            let share = |kind, debit: bool| {
                vec![LineVat {
                    code: detail.code.clone(),
                    kind,
                    amount: if debit { moved } else { -moved },
                    base,
                }]
            };
            lines.push(PostedLine {
                line: sided(pending.clone(), moved, pending_debit),
                rule: rule.clone(),
                vat: share(LineVatKind::Released, pending_debit),
            });
            lines.push(PostedLine {
                line: sided(due.clone(), moved, !pending_debit),
                rule,
                vat: share(LineVatKind::Due, !pending_debit),
            });
        }
    }
    Ok(Posting {
        journal: method_settings.journal.clone(),
        label: label_of(doc, party),
        lines,
        total: *amount,
        taxes: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
