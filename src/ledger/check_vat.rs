//! `folio check`: VAT due on payment still pending must be what the documents leave unpaid.
//! For every validated invoice and credit note, each tax due on payment leaves on its pending
//! account (44574 collected, 44564 deductible) its amount minus the share its payments and
//! refunds moved, computed as the engine does (`posting::moved_share`). The generated entries
//! must leave exactly that for the document: its own entries, and the lines of payments'
//! entries whose rule names it (reversals take their original's rules).

use std::collections::{BTreeMap, HashMap};

use super::codec::decode;
use super::documents::PostedTotals;
use super::error::{Result, add_cents, sub_cents};
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
) -> Result<Vec<(String, i64)>> {
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
        let what = "pending VAT of a document";
        let moved = moved_share(detail.tax, total, Amount::ZERO, paid);
        let left = sub_cents(detail.tax.cents(), moved.cents(), what)?;
        let signed = if debit {
            left
        } else {
            sub_cents(0, left, what)?
        };
        out.push((pending.as_str().to_string(), signed));
    }
    Ok(out)
}

/// The document a line of a generated entry is about: the one named by its rule when it is
/// VAT a payment moved (`VAT V20E of FA2026-00001 due on payment`), else the entry's source.
pub(crate) fn document_of_rule(rule: &str) -> Option<&str> {
    let rest = rule.strip_prefix("VAT ")?.strip_suffix(" due on payment")?;
    rest.split_once(" of ").map(|(_, document)| document)
}

/// Compares, per document and pending account, what the document leaves with what the
/// generated entries leave; each difference is reported through `add`.
pub(crate) fn check_pending_vat(view: &View, add: &mut dyn FnMut(String)) -> Result<()> {
    let Some(settings) = view.meta::<Settings>("settings")? else {
        return Ok(());
    };
    let documents = view.table(DOCUMENTS)?;
    let allocations = view.table(ALLOCATIONS)?;
    let posted = view.table(POSTED)?;
    // (document, pending account) -> signed cents.
    let mut expected: BTreeMap<(u64, String), i64> = BTreeMap::new();
    // Write-offs settle a document like a payment; reversed, they no longer do.
    let writeoffs = super::lettering_auto::writeoff_shares(view)?;
    let mut written_off: HashMap<u64, i64> = HashMap::new();
    for (document, _, cents, reversal) in &writeoffs {
        if reversal.is_none() {
            let slot = written_off.entry(*document).or_default();
            *slot = add_cents(*slot, *cents, "write-offs of a document")?;
        }
    }
    let mut refs: HashMap<String, u64> = HashMap::new();
    let mut names: HashMap<u64, String> = HashMap::new();
    let mut types = HashMap::new();
    for item in documents.range::<u64>(..)? {
        let (key, value) = item?;
        let doc: Document = decode(value.value(), "document")?;
        types.insert(key.value(), doc.doc_type);
        refs.insert(doc.display_ref(), doc.id);
        names.insert(doc.id, doc.display_ref());
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
                paid = Amount::from_cents(add_cents(
                    paid.cents(),
                    value.value(),
                    "payments of a document",
                )?);
            }
        }
        if let Some(cents) = written_off.get(&doc.id) {
            paid = Amount::from_cents(add_cents(paid.cents(), *cents, "payments of a document")?);
        }
        for (account, cents) in
            expected_pending(&doc, totals.total, &totals.taxes, paid, &settings)?
        {
            let slot = expected.entry((doc.id, account)).or_default();
            *slot = add_cents(*slot, cents, "pending VAT of a document")?;
        }
    }
    let accounts: std::collections::BTreeSet<String> = settings
        .taxes
        .iter()
        .filter_map(|t| t.pending_account.as_ref().map(|a| a.as_str().to_string()))
        .collect();
    let lines = view.table(LINES_BY_ACCOUNT)?;
    let mut entry_ids = std::collections::BTreeSet::new();
    for account in &accounts {
        for item in lines.range((account.as_str(), i32::MIN, 0u64, 0u32)..)? {
            let (key, _) = item?;
            let (on, _, entry, _) = key.value();
            if on != account.as_str() {
                break;
            }
            entry_ids.insert(entry);
        }
    }
    let entries = view.table(ENTRIES)?;
    let why = view.table(WHY)?;
    let rules_of = |id: u64| -> Result<Vec<String>> {
        match why.get(id)? {
            Some(bytes) => decode(bytes.value(), "why"),
            None => Ok(Vec::new()),
        }
    };
    let mut actual: BTreeMap<(u64, String), i64> = BTreeMap::new();
    for id in entry_ids {
        let Some(bytes) = entries.get(id)? else {
            continue;
        };
        let entry: Entry = decode(bytes.value(), "entry")?;
        let Some(source) = entry
            .source
            .as_deref()
            .and_then(|s| s.strip_prefix("document:"))
            .and_then(|s| s.parse::<u64>().ok())
        else {
            continue;
        };
        // A reversal keeps its original's lines in order: it has its original's rules.
        let mut rules = rules_of(entry.id)?;
        if rules.is_empty()
            && let Some(original) = entry.reversal_of
        {
            rules = rules_of(original)?;
        }
        for (i, line) in entry.lines.iter().enumerate() {
            if !accounts.contains(line.account.as_str()) {
                continue;
            }
            let document = rules
                .get(i)
                .and_then(|r| document_of_rule(r))
                .and_then(|r| refs.get(r).copied())
                .unwrap_or(source);
            let what = "pending VAT left by entries";
            let signed = sub_cents(line.debit.cents(), line.credit.cents(), what)?;
            let slot = actual
                .entry((document, line.account.as_str().to_string()))
                .or_default();
            *slot = add_cents(*slot, signed, what)?;
        }
    }
    // A write-off entry (and its reversal) clears the pending VAT of the one document it
    // settled.
    for (document, entry, _, reversal) in &writeoffs {
        for id in std::iter::once(*entry).chain(*reversal) {
            let Some(bytes) = entries.get(id)? else {
                continue;
            };
            let entry: Entry = decode(bytes.value(), "entry")?;
            for line in entry
                .lines
                .iter()
                .filter(|l| accounts.contains(l.account.as_str()))
            {
                let what = "pending VAT left by entries";
                let signed = sub_cents(line.debit.cents(), line.credit.cents(), what)?;
                let slot = actual
                    .entry((*document, line.account.as_str().to_string()))
                    .or_default();
                *slot = add_cents(*slot, signed, what)?;
            }
        }
    }
    let keys: std::collections::BTreeSet<&(u64, String)> =
        expected.keys().chain(actual.keys()).collect();
    for key in keys {
        let wanted = expected.get(key).copied().unwrap_or(0);
        let left = actual.get(key).copied().unwrap_or(0);
        if wanted != left {
            let name = names
                .get(&key.0)
                .cloned()
                .unwrap_or_else(|| format!("D{}", key.0));
            add(format!(
                "{name}: pending VAT on {}: its tax times its unpaid share is {}, the generated entries leave {}",
                key.1,
                Amount::from_cents(wanted),
                Amount::from_cents(left)
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
            base: Amount::from_cents(tax.checked_mul(5).unwrap()),
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
    fn a_payments_vat_line_names_its_document() {
        assert_eq!(
            document_of_rule("VAT V20E of FA2026-00001 due on payment"),
            Some("FA2026-00001")
        );
        assert_eq!(document_of_rule("account of tax code V20"), None);
    }

    #[test]
    fn pending_vat_left_is_the_unpaid_share_with_the_engines_rounding() {
        let s = settings();
        let sale = doc(DocumentType::CustomerInvoice);
        let total = Amount::from_cents(120_000);
        let taxes = [detail("V20E", 20_000)];
        // 300 of 1,200 paid: 200 × 300 / 1,200 = 50 moved, 150 still pending (credit).
        assert_eq!(
            expected_pending(&sale, total, &taxes, Amount::from_cents(30_000), &s).unwrap(),
            vec![("445740".to_string(), -15_000)]
        );
        // 800 paid: 133.33 moved, 66.67 pending.
        assert_eq!(
            expected_pending(&sale, total, &taxes, Amount::from_cents(80_000), &s).unwrap(),
            vec![("445740".to_string(), -6_667)]
        );
        let purchase = doc(DocumentType::SupplierInvoice);
        let taxes = [detail("D20E", 20_000)];
        assert_eq!(
            expected_pending(&purchase, total, &taxes, Amount::ZERO, &s).unwrap(),
            vec![("445640".to_string(), 20_000)]
        );
        let credit = doc(DocumentType::SupplierCreditNote);
        assert_eq!(
            expected_pending(&credit, total, &taxes, total, &s).unwrap(),
            vec![("445640".to_string(), 0)]
        );
    }
}
