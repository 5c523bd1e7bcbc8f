//! `folio check`: VAT due on payment still pending must be what the documents leave unpaid.
//! For every validated invoice and credit note, each tax due on payment leaves on its pending
//! account (44574 collected, 44564 deductible) its amount minus the share its payments and
//! refunds moved, computed as the engine does (`posting::moved_share`). The generated entries
//! (documents, payments, their reversals) must leave exactly that on each pending account.

use std::collections::{BTreeMap, HashMap};

use super::codec::decode;
use super::documents::PostedTotals;
use super::error::Result;
use super::store::View;
use super::tables::*;
use crate::model::document::{Context, Document, DocumentBody, DocumentStatus};
use crate::model::settings::Settings;
use crate::model::{Amount, Entry};
use crate::posting::{TaxDetail, moved_share};

/// The signed balance (debit positive) a document's VAT due on payment leaves on each pending
/// account after `paid` of its `total` was paid.
pub(crate) fn expected_pending(
    doc: &Document,
    total: Amount,
    taxes: &[TaxDetail],
    paid: Amount,
    settings: &Settings,
) -> Vec<(String, i64)> {
    // Invoices: collected VAT waits on the credit side, deductible on the debit side;
    // credit notes mirror them.
    let debit = (doc.doc_type.context() == Context::Purchase) != doc.doc_type.is_credit_note();
    let mut out = Vec::new();
    for detail in taxes.iter().filter(|t| t.on_payment && !t.tax.is_zero()) {
        let Some(pending) = settings
            .tax(&detail.code)
            .and_then(|t| t.pending_account.as_ref())
        else {
            continue;
        };
        let left = detail.tax - moved_share(detail.tax, total, Amount::ZERO, paid);
        let signed = if debit { left.cents() } else { -left.cents() };
        out.push((pending.as_str().to_string(), signed));
    }
    out
}

/// Compares, per pending account, what the documents leave with what generated entries
/// leave; each difference is reported through `add`.
pub(crate) fn check_pending_vat(view: &View, add: &mut dyn FnMut(String)) -> Result<()> {
    let Some(settings) = view.meta::<Settings>("settings")? else {
        return Ok(());
    };
    let documents = view.table(DOCUMENTS)?;
    let allocations = view.table(ALLOCATIONS)?;
    let posted = view.table(POSTED)?;
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut types = HashMap::new();
    for item in documents.range::<u64>(..)? {
        let (key, value) = item?;
        let doc: Document = decode(value.value(), "document")?;
        types.insert(key.value(), doc.doc_type);
        if doc.status != DocumentStatus::Validated || !matches!(doc.body, DocumentBody::Lines(_)) {
            continue;
        }
        let Some(bytes) = posted.get(doc.id)? else {
            continue;
        };
        let totals: PostedTotals = decode(bytes.value(), "posted totals")?;
        if !totals.taxes.iter().any(|t| t.on_payment) {
            continue;
        }
        // Only money (payments and refunds) makes VAT due: a set-off is not counted.
        let mut paid = Amount::ZERO;
        for item in allocations.range((doc.id, 0u64)..=(doc.id, u64::MAX))? {
            let (key, value) = item?;
            let from = key.value().1;
            let is_cash = match types.get(&from) {
                Some(t) => t.is_payment(),
                None => documents
                    .get(from)?
                    .map(|b| decode::<Document>(b.value(), "document"))
                    .transpose()?
                    .is_some_and(|d| d.doc_type.is_payment()),
            };
            if is_cash {
                paid += Amount::from_cents(value.value());
            }
        }
        for (account, cents) in expected_pending(&doc, totals.total, &totals.taxes, paid, &settings)
        {
            *expected.entry(account).or_default() += cents;
        }
    }
    let accounts: Vec<String> = settings
        .taxes
        .iter()
        .filter_map(|t| t.pending_account.as_ref().map(|a| a.as_str().to_string()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let lines = view.table(LINES_BY_ACCOUNT)?;
    let entries = view.table(ENTRIES)?;
    let mut generated: HashMap<u64, bool> = HashMap::new();
    for account in accounts {
        let mut actual = 0i64;
        for item in lines.range((account.as_str(), i32::MIN, 0u64, 0u32)..)? {
            let (key, value) = item?;
            let (on, _, entry, _) = key.value();
            if on != account {
                break;
            }
            let is_generated = match generated.get(&entry) {
                Some(g) => *g,
                None => {
                    let g = match entries.get(entry)? {
                        Some(bytes) => decode::<Entry>(bytes.value(), "entry")?
                            .source
                            .is_some_and(|s| s.starts_with("document:")),
                        None => false,
                    };
                    generated.insert(entry, g);
                    g
                }
            };
            if is_generated {
                actual += value.value();
            }
        }
        let wanted = expected.get(&account).copied().unwrap_or(0);
        if actual != wanted {
            add(format!(
                "pending VAT on {account}: the documents leave {} unpaid, the generated entries leave {}",
                Amount::from_cents(wanted),
                Amount::from_cents(actual)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::document::DocumentType;

    fn settings() -> Settings {
        crate::fixtures::default_settings().unwrap()
    }

    fn detail(code: &str, tax: i64) -> TaxDetail {
        TaxDetail {
            code: code.into(),
            rate: 20.into(),
            base: Amount::from_cents(tax * 5),
            tax: Amount::from_cents(tax),
            on_payment: true,
            reverse_charge: false,
            due_account: None,
        }
    }

    fn doc(doc_type: DocumentType) -> Document {
        Document {
            id: 1,
            doc_type,
            number: None,
            party: "P".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            reference: String::new(),
            body: DocumentBody::Lines(Vec::new()),
            status: DocumentStatus::Validated,
            entry: None,
            due_date: None,
        }
    }

    #[test]
    fn pending_vat_left_is_the_unpaid_share_with_the_engines_rounding() {
        let s = settings();
        let sale = doc(DocumentType::CustomerInvoice);
        let total = Amount::from_cents(120_000);
        let taxes = [detail("V20E", 20_000)];
        // 300 of 1,200 paid: 200 × 300 / 1,200 = 50 moved, 150 still pending (credit).
        assert_eq!(
            expected_pending(&sale, total, &taxes, Amount::from_cents(30_000), &s),
            vec![("445740".to_string(), -15_000)]
        );
        // 800 paid: 133.33 moved, 66.67 pending.
        assert_eq!(
            expected_pending(&sale, total, &taxes, Amount::from_cents(80_000), &s),
            vec![("445740".to_string(), -6_667)]
        );
        let purchase = doc(DocumentType::SupplierInvoice);
        let taxes = [detail("D20E", 20_000)];
        assert_eq!(
            expected_pending(&purchase, total, &taxes, Amount::ZERO, &s),
            vec![("445640".to_string(), 20_000)]
        );
        let credit = doc(DocumentType::SupplierCreditNote);
        assert_eq!(
            expected_pending(&credit, total, &taxes, total, &s),
            vec![("445640".to_string(), 0)]
        );
    }
}
