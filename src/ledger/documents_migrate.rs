//! Schema 3: documents gain their due date, generation settings a default account per item
//! kind, posted tax details the account VAT due on payment goes to once paid. Values stored
//! by schema 2 are decoded with the structs of then and written back in today's shape.

use redb::ReadableTable;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::documents::PostedTotals;
use super::error::Result;
use super::store::Tx;
use super::tables::{DOCUMENTS, POSTED};
use crate::model::document::{Document, DocumentBody, DocumentStatus, DocumentType};
use crate::model::settings::{
    Direction, Family, General, Generation, Item, PartyAccountSource, PaymentMethod, Settings,
    Strategy, TaxStrategy, Unit,
};
use crate::model::tax::{TaxCode, TaxPosition};
use crate::model::{AccountNumber, Amount, EntryId};
use crate::posting::TaxDetail;

#[derive(Serialize, Deserialize)]
struct GenerationV2 {
    document: DocumentType,
    journal: String,
    party_account: PartyAccountSource,
    direction: Direction,
    default_account: Option<AccountNumber>,
    fallback_account: Option<AccountNumber>,
}

#[derive(Serialize, Deserialize)]
struct SettingsV2 {
    general: General,
    units: Vec<Unit>,
    families: Vec<Family>,
    items: Vec<Item>,
    taxes: Vec<TaxCode>,
    tax_positions: Vec<TaxPosition>,
    strategies: Vec<Strategy>,
    tax_strategies: Vec<TaxStrategy>,
    documents: Vec<GenerationV2>,
    payment_methods: Vec<PaymentMethod>,
}

#[derive(Serialize, Deserialize)]
struct DocumentV2 {
    id: u64,
    doc_type: DocumentType,
    number: Option<String>,
    party: String,
    date: chrono::NaiveDate,
    reference: String,
    body: DocumentBody,
    status: DocumentStatus,
    entry: Option<EntryId>,
}

#[derive(Serialize, Deserialize)]
struct TaxDetailV2 {
    code: String,
    rate: Decimal,
    base: Amount,
    tax: Amount,
    on_payment: bool,
    reverse_charge: bool,
}

#[derive(Serialize, Deserialize)]
struct PostedTotalsV2 {
    total: Amount,
    taxes: Vec<TaxDetailV2>,
}

/// Decodes `bytes` as `T` only if `T` accounts for every byte: a value already in today's
/// shape is left alone.
fn exactly<T: Serialize + serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let value: T = decode(bytes, "value").ok()?;
    (encode(&value).ok()?.as_slice() == bytes).then_some(value)
}

pub(crate) fn migrate_to_3(tx: &mut Tx<'_>) -> Result<()> {
    let old_settings = match tx.meta.get("settings")? {
        Some(bytes) => exactly::<SettingsV2>(bytes.value()),
        None => None,
    };
    if let Some(old) = old_settings {
        let settings = Settings {
            general: old.general,
            units: old.units,
            families: old.families,
            items: old.items,
            taxes: old.taxes,
            tax_positions: old.tax_positions,
            strategies: old.strategies,
            tax_strategies: old.tax_strategies,
            documents: old
                .documents
                .into_iter()
                .map(|g| Generation {
                    document: g.document,
                    journal: g.journal,
                    party_account: g.party_account,
                    direction: g.direction,
                    default_account: g.default_account,
                    fallback_account: g.fallback_account,
                    default_goods_account: None,
                    default_services_account: None,
                })
                .collect(),
            payment_methods: old.payment_methods,
            lettering: Default::default(),
            reconciliation: Default::default(),
            vat: Default::default(),
        };
        tx.put_meta("settings", &settings)?;
    }
    let mut documents = tx.txn.open_table(DOCUMENTS)?;
    let mut changed = Vec::new();
    for item in documents.range::<u64>(..)? {
        let (key, value) = item?;
        if let Some(old) = exactly::<DocumentV2>(value.value()) {
            changed.push((key.value(), old));
        }
    }
    for (id, old) in changed {
        // The terms of today are the best knowledge of the terms at validation.
        let due_date = match old.status {
            DocumentStatus::Validated => {
                let terms = tx.party_ref(&old.party)?.payment_terms_days;
                crate::settlement::due_date(old.doc_type, old.date, terms)
            }
            DocumentStatus::Draft | DocumentStatus::Cancelled => None,
        };
        let doc = Document {
            id: old.id,
            doc_type: old.doc_type,
            number: old.number,
            party: old.party,
            date: old.date,
            reference: old.reference,
            body: old.body,
            status: old.status,
            entry: old.entry,
            due_date,
        };
        documents.insert(id, encode(&doc)?.as_slice())?;
    }
    let mut posted = tx.txn.open_table(POSTED)?;
    let mut changed = Vec::new();
    for item in posted.range::<u64>(..)? {
        let (key, value) = item?;
        if let Some(old) = exactly::<PostedTotalsV2>(value.value()) {
            changed.push((key.value(), old));
        }
    }
    for (id, old) in changed {
        let totals = PostedTotals {
            total: old.total,
            taxes: old
                .taxes
                .into_iter()
                .map(|t| TaxDetail {
                    code: t.code,
                    rate: t.rate,
                    base: t.base,
                    tax: t.tax,
                    on_payment: t.on_payment,
                    reverse_charge: t.reverse_charge,
                    due_account: None,
                })
                .collect(),
        };
        posted.insert(id, encode(&totals)?.as_slice())?;
    }
    Ok(())
}
