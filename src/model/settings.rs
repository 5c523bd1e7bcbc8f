//! Posting settings: catalog (units, families, items), taxes and tax positions, accounting
//! strategies, generation settings per document type and payment methods. Stored in the
//! ledger, exchanged as TOML, always validated as a whole.

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::account::AccountNumber;
use super::document::{Context, DocumentType};
use super::money::Amount;
use super::tax::{TaxCode, TaxKind, TaxPosition};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EntryLanding {
    /// Generated entries are drafts, to review and validate.
    #[default]
    Draft,
    /// Generated entries are validated (numbered) at once.
    Validated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct General {
    #[serde(default)]
    pub generated_entries: EntryLanding,
    /// Last resort of account resolution (PCG 471).
    pub suspense_account: AccountNumber,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Product,
    Service,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub code: String,
    pub label: String,
    pub kind: ItemKind,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub sale_tax: Option<String>,
    #[serde(default)]
    pub purchase_tax: Option<String>,
}

/// An accounting strategy: which account a line of an item or family goes to, for a context
/// and a VAT rate (`rate` absent: any rate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    pub name: String,
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    pub context: Context,
    #[serde(default)]
    pub rate: Option<Decimal>,
    pub account: AccountNumber,
}

/// A tax strategy: the VAT account for a context and rate, winning over the tax code's own
/// account; linked to an item strategy, it applies only to lines that strategy resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxStrategy {
    pub name: String,
    pub context: Context,
    pub rate: Decimal,
    pub account: AccountNumber,
    #[serde(default)]
    pub item_strategy: Option<String>,
}

/// Where the third-party line of a document goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PartyAccountSource {
    /// The party's collective account (411000, 401000).
    #[default]
    Party,
    /// A fixed account.
    Account(AccountNumber),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Invoices: the party owes (customer debit) or is owed (supplier credit).
    #[default]
    Normal,
    /// Credit notes: every side mirrored.
    Reversed,
}

/// How one document type is posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generation {
    pub document: DocumentType,
    pub journal: String,
    #[serde(default)]
    pub party_account: PartyAccountSource,
    #[serde(default)]
    pub direction: Direction,
    /// Lines without an item, or whose item's kind has no default below.
    #[serde(default)]
    pub default_account: Option<AccountNumber>,
    #[serde(default)]
    pub fallback_account: Option<AccountNumber>,
    /// Lines of a goods item with no strategy (PCG 707 sales, 607 purchases).
    #[serde(default)]
    pub default_goods_account: Option<AccountNumber>,
    /// Lines of a service item with no strategy (PCG 706 sales, 604 purchases).
    #[serde(default)]
    pub default_services_account: Option<AccountNumber>,
}

impl Generation {
    /// The default account for a line of an item of `kind`, when the settings give one.
    pub fn default_for_kind(&self, kind: ItemKind) -> Option<&AccountNumber> {
        match kind {
            ItemKind::Product => self.default_goods_account.as_ref(),
            ItemKind::Service => self.default_services_account.as_ref(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethod {
    pub code: String,
    pub label: String,
    pub account: AccountNumber,
    pub journal: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub general: General,
    #[serde(default)]
    pub units: Vec<Unit>,
    #[serde(default)]
    pub families: Vec<Family>,
    #[serde(default)]
    pub items: Vec<Item>,
    #[serde(default)]
    pub taxes: Vec<TaxCode>,
    #[serde(default)]
    pub tax_positions: Vec<TaxPosition>,
    #[serde(default)]
    pub strategies: Vec<Strategy>,
    #[serde(default)]
    pub tax_strategies: Vec<TaxStrategy>,
    #[serde(default)]
    pub documents: Vec<Generation>,
    #[serde(default)]
    pub payment_methods: Vec<PaymentMethod>,
    /// Lettering: tolerance, write-off accounts, bounds of the automatic rules. It stays the
    /// last field: settings stored before it existed end where it would start and read the
    /// defaults.
    #[serde(default, deserialize_with = "lettering_or_default")]
    pub lettering: Lettering,
}

/// Lettering settings (`[lettering]` in the TOML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lettering {
    /// Largest remaining difference a write-off may complete a group with, and that a
    /// suggestion may leave (default 1.00).
    #[serde(default = "default_tolerance")]
    pub tolerance: Amount,
    /// Where a debit remainder is written off (a customer paid less, a supplier was
    /// overpaid): PCG 658000.
    #[serde(default = "default_writeoff_debit")]
    pub writeoff_debit_account: AccountNumber,
    /// Where a credit remainder is written off: PCG 758000.
    #[serde(default = "default_writeoff_credit")]
    pub writeoff_credit_account: AccountNumber,
    /// Journal of write-off entries (default OD).
    #[serde(default = "default_writeoff_journal")]
    pub writeoff_journal: String,
    /// Rule 2 pairs a debit and a credit of the same amount at most this many days apart.
    #[serde(default = "default_pair_window")]
    pub pair_window_days: u32,
    /// Rule 3 and suggestions search sets among this many open items of a party.
    #[serde(default = "default_max_items")]
    pub max_items: u32,
    /// Largest set rule 3 and suggestions consider, in lines.
    #[serde(default = "default_max_set_size")]
    pub max_set_size: u32,
}

fn default_tolerance() -> Amount {
    Amount::from_cents(100)
}

fn default_writeoff_debit() -> AccountNumber {
    AccountNumber::parse("658000").unwrap_or_else(|_| unreachable!("658000 is an account"))
}

fn default_writeoff_credit() -> AccountNumber {
    AccountNumber::parse("758000").unwrap_or_else(|_| unreachable!("758000 is an account"))
}

fn default_writeoff_journal() -> String {
    "OD".to_string()
}

fn default_pair_window() -> u32 {
    90
}

fn default_max_items() -> u32 {
    60
}

fn default_max_set_size() -> u32 {
    4
}

impl Default for Lettering {
    fn default() -> Self {
        Lettering {
            tolerance: default_tolerance(),
            writeoff_debit_account: default_writeoff_debit(),
            writeoff_credit_account: default_writeoff_credit(),
            writeoff_journal: default_writeoff_journal(),
            pair_window_days: default_pair_window(),
            max_items: default_max_items(),
            max_set_size: default_max_set_size(),
        }
    }
}

/// Limits of the lettering settings: the searches stay bounded whatever the file says.
pub const MAX_LETTERING_ITEMS: u32 = 500;
pub const MAX_LETTERING_SET_SIZE: u32 = 6;
pub const MAX_PAIR_WINDOW_DAYS: u32 = 3660;

/// Reads the lettering settings; in the ledger's binary encoding, settings written before
/// they existed end here and read the defaults. A TOML file is read strictly.
fn lettering_or_default<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Lettering, D::Error> {
    if deserializer.is_human_readable() {
        Lettering::deserialize(deserializer)
    } else {
        Ok(Lettering::deserialize(deserializer).unwrap_or_default())
    }
}

/// A setting that breaks a rule, named by its key (`strategies[3].account`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct SettingsError {
    pub key: String,
    pub reason: String,
}

fn err(key: String, reason: impl Into<String>) -> SettingsError {
    SettingsError {
        key,
        reason: reason.into(),
    }
}

impl Settings {
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    pub fn tax(&self, code: &str) -> Option<&TaxCode> {
        self.taxes.iter().find(|t| t.code == code)
    }

    pub fn position(&self, code: &str) -> Option<&TaxPosition> {
        self.tax_positions.iter().find(|p| p.code == code)
    }

    pub fn generation(&self, doc_type: DocumentType) -> Option<&Generation> {
        self.documents.iter().find(|g| g.document == doc_type)
    }

    pub fn payment_method(&self, code: &str) -> Option<&PaymentMethod> {
        self.payment_methods.iter().find(|m| m.code == code)
    }

    /// Every account the settings name, with its key, for the ledger to check they exist.
    pub fn accounts(&self) -> Vec<(String, &AccountNumber)> {
        let mut out = vec![(
            "general.suspense_account".to_string(),
            &self.general.suspense_account,
        )];
        for (i, t) in self.taxes.iter().enumerate() {
            out.push((format!("taxes[{i}].account"), &t.account));
            if let Some(a) = &t.pending_account {
                out.push((format!("taxes[{i}].pending_account"), a));
            }
            if let Some(a) = &t.reverse_charge_account {
                out.push((format!("taxes[{i}].reverse_charge_account"), a));
            }
        }
        for (i, p) in self.tax_positions.iter().enumerate() {
            for (j, m) in p.accounts.iter().enumerate() {
                out.push((format!("tax_positions[{i}].accounts[{j}].from"), &m.from));
                out.push((format!("tax_positions[{i}].accounts[{j}].to"), &m.to));
            }
        }
        for (i, s) in self.strategies.iter().enumerate() {
            out.push((format!("strategies[{i}].account"), &s.account));
        }
        for (i, s) in self.tax_strategies.iter().enumerate() {
            out.push((format!("tax_strategies[{i}].account"), &s.account));
        }
        for (i, g) in self.documents.iter().enumerate() {
            if let PartyAccountSource::Account(a) = &g.party_account {
                out.push((format!("documents[{i}].party_account"), a));
            }
            if let Some(a) = &g.default_account {
                out.push((format!("documents[{i}].default_account"), a));
            }
            if let Some(a) = &g.fallback_account {
                out.push((format!("documents[{i}].fallback_account"), a));
            }
            if let Some(a) = &g.default_goods_account {
                out.push((format!("documents[{i}].default_goods_account"), a));
            }
            if let Some(a) = &g.default_services_account {
                out.push((format!("documents[{i}].default_services_account"), a));
            }
        }
        for (i, m) in self.payment_methods.iter().enumerate() {
            out.push((format!("payment_methods[{i}].account"), &m.account));
        }
        // The write-off accounts and journal are checked when a write-off is posted (the error
        // names the setting): a chart without 658000/758000 still takes the default settings.
        out
    }

    /// Every journal the settings name, with its key.
    pub fn journals(&self) -> Vec<(String, &str)> {
        let docs = self
            .documents
            .iter()
            .enumerate()
            .map(|(i, g)| (format!("documents[{i}].journal"), g.journal.as_str()));
        let methods = self
            .payment_methods
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("payment_methods[{i}].journal"), m.journal.as_str()));
        docs.chain(methods).collect()
    }

    /// Checks the settings as a whole: unique codes, references that resolve, no two
    /// strategies for the same item or family, context and rate. Accounts and journals are
    /// checked by the ledger (`accounts()`, `journals()`).
    pub fn validate(&self) -> Result<(), SettingsError> {
        unique("units", self.units.iter().map(|u| u.code.as_str()))?;
        unique("families", self.families.iter().map(|f| f.code.as_str()))?;
        unique("items", self.items.iter().map(|i| i.code.as_str()))?;
        unique("taxes", self.taxes.iter().map(|t| t.code.as_str()))?;
        unique(
            "tax_positions",
            self.tax_positions.iter().map(|p| p.code.as_str()),
        )?;
        unique(
            "strategies",
            self.strategies.iter().map(|s| s.name.as_str()),
        )?;
        unique(
            "tax_strategies",
            self.tax_strategies.iter().map(|s| s.name.as_str()),
        )?;
        unique(
            "payment_methods",
            self.payment_methods.iter().map(|m| m.code.as_str()),
        )?;
        for (i, tax) in self.taxes.iter().enumerate() {
            if tax.rates.is_empty() {
                return Err(err(
                    format!("taxes[{i}].rates"),
                    "a tax code needs at least one rate",
                ));
            }
            let mut dates: Vec<_> = tax.rates.iter().map(|r| r.from).collect();
            dates.sort();
            if dates.windows(2).any(|w| w[0] == w[1]) {
                return Err(err(
                    format!("taxes[{i}].rates"),
                    "two rate versions start on the same day",
                ));
            }
            if tax
                .rates
                .iter()
                .any(|r| r.rate.is_sign_negative() || r.rate > Decimal::ONE_HUNDRED)
            {
                return Err(err(
                    format!("taxes[{i}].rates"),
                    "a rate is a percentage from 0 to 100",
                ));
            }
        }
        let tax_exists = |code: &str| self.taxes.iter().any(|t| t.code == code);
        for (i, item) in self.items.iter().enumerate() {
            if let Some(f) = &item.family
                && !self.families.iter().any(|x| x.code == *f)
            {
                return Err(err(
                    format!("items[{i}].family"),
                    format!("unknown family {f}"),
                ));
            }
            if let Some(u) = &item.unit
                && !self.units.iter().any(|x| x.code == *u)
            {
                return Err(err(format!("items[{i}].unit"), format!("unknown unit {u}")));
            }
            for (key, tax, kind) in [
                ("sale_tax", &item.sale_tax, TaxKind::Collected),
                ("purchase_tax", &item.purchase_tax, TaxKind::Deductible),
            ] {
                if let Some(code) = tax {
                    match self.tax(code) {
                        None => {
                            return Err(err(
                                format!("items[{i}].{key}"),
                                format!("unknown tax code {code}"),
                            ));
                        }
                        Some(t) if t.kind != kind => {
                            return Err(err(
                                format!("items[{i}].{key}"),
                                format!("tax code {code} is not {kind:?}"),
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        for (i, p) in self.tax_positions.iter().enumerate() {
            for (j, m) in p.taxes.iter().enumerate() {
                if !tax_exists(&m.from) {
                    return Err(err(
                        format!("tax_positions[{i}].taxes[{j}].from"),
                        format!("unknown tax code {}", m.from),
                    ));
                }
                if let Some(to) = &m.to
                    && !tax_exists(to)
                {
                    return Err(err(
                        format!("tax_positions[{i}].taxes[{j}].to"),
                        format!("unknown tax code {to}"),
                    ));
                }
            }
        }
        let mut seen = HashSet::new();
        for (i, s) in self.strategies.iter().enumerate() {
            let key = format!("strategies[{i}]");
            let target = match (&s.item, &s.family) {
                (Some(item), None) => {
                    if self.item(item).is_none() {
                        return Err(err(format!("{key}.item"), format!("unknown item {item}")));
                    }
                    format!("item {item}")
                }
                (None, Some(family)) => {
                    if !self.families.iter().any(|f| f.code == *family) {
                        return Err(err(
                            format!("{key}.family"),
                            format!("unknown family {family}"),
                        ));
                    }
                    format!("family {family}")
                }
                _ => return Err(err(key, "a strategy names exactly one of item or family")),
            };
            let rate = s
                .rate
                .map(|r| r.normalize().to_string())
                .unwrap_or_else(|| "any".into());
            if !seen.insert((target.clone(), s.context, rate.clone())) {
                return Err(err(
                    key,
                    format!(
                        "a second strategy for {target}, {} context, rate {rate}",
                        s.context.name()
                    ),
                ));
            }
        }
        let mut seen = HashSet::new();
        for (i, s) in self.tax_strategies.iter().enumerate() {
            if let Some(name) = &s.item_strategy
                && !self
                    .strategies
                    .iter()
                    .any(|x| x.name == *name && x.item.is_some())
            {
                return Err(err(
                    format!("tax_strategies[{i}].item_strategy"),
                    format!("no item strategy named {name}"),
                ));
            }
            let key = (
                s.context,
                s.rate.normalize().to_string(),
                s.item_strategy.clone(),
            );
            if !seen.insert(key) {
                return Err(err(
                    format!("tax_strategies[{i}]"),
                    "a second tax strategy for the same context and rate",
                ));
            }
        }
        unique(
            "documents",
            self.documents.iter().map(|g| g.document.name()),
        )?;
        self.lettering.validate()
    }
}

impl Lettering {
    /// Bounds of each setting, named by its key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.tolerance.is_negative() {
            return Err(err(
                "lettering.tolerance".into(),
                "the tolerance cannot be negative",
            ));
        }
        if self.writeoff_debit_account == self.writeoff_credit_account {
            return Err(err(
                "lettering.writeoff_credit_account".into(),
                "debit and credit remainders need two different accounts",
            ));
        }
        if self.pair_window_days > MAX_PAIR_WINDOW_DAYS {
            return Err(err(
                "lettering.pair_window_days".into(),
                format!("at most {MAX_PAIR_WINDOW_DAYS} days"),
            ));
        }
        if !(2..=MAX_LETTERING_ITEMS).contains(&self.max_items) {
            return Err(err(
                "lettering.max_items".into(),
                format!("from 2 to {MAX_LETTERING_ITEMS} items"),
            ));
        }
        if !(2..=MAX_LETTERING_SET_SIZE).contains(&self.max_set_size) {
            return Err(err(
                "lettering.max_set_size".into(),
                format!("from 2 to {MAX_LETTERING_SET_SIZE} lines"),
            ));
        }
        Ok(())
    }
}

fn unique<'a>(what: &str, codes: impl Iterator<Item = &'a str>) -> Result<(), SettingsError> {
    let mut seen = HashSet::new();
    for (i, code) in codes.enumerate() {
        if code.trim().is_empty() {
            return Err(err(format!("{what}[{i}]"), "empty code"));
        }
        if !seen.insert(code) {
            return Err(err(
                format!("{what}[{i}]"),
                format!("{code} is defined twice"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn default_settings() -> Settings {
        crate::fixtures::default_settings().unwrap()
    }

    #[test]
    fn settings_stored_before_lettering_existed_read_the_defaults() {
        let mut settings = default_settings();
        settings.lettering.tolerance = Amount::from_cents(250);
        let whole = postcard::to_allocvec(&settings).unwrap();
        let tail = postcard::to_allocvec(&settings.lettering).unwrap();
        // The bytes of an older ledger end where the lettering section starts.
        let older = &whole[..whole.len() - tail.len()];
        let read: Settings = postcard::from_bytes(older).unwrap();
        assert_eq!(read.lettering, Lettering::default());
        assert_eq!(read.taxes, settings.taxes);
        let again: Settings = postcard::from_bytes(&whole).unwrap();
        assert_eq!(again, settings);
    }

    #[test]
    fn lettering_settings_in_toml_default_and_are_checked() {
        let text = toml::to_string(&default_settings()).unwrap();
        let without: String = text.split("[lettering]").next().unwrap().to_string();
        let read: Settings = toml::from_str(&without).unwrap();
        assert_eq!(read.lettering, Lettering::default());
        assert_eq!(read.lettering.tolerance, Amount::from_cents(100));
        assert_eq!(read.lettering.writeoff_journal, "OD");

        let partial = format!("{without}\n[lettering]\ntolerance = \"0.50\"\n");
        let read: Settings = toml::from_str(&partial).unwrap();
        assert_eq!(read.lettering.tolerance, Amount::from_cents(50));
        assert_eq!(read.lettering.pair_window_days, 90);

        let typo = format!("{without}\n[lettering]\ntolerence = \"0.50\"\n");
        assert!(toml::from_str::<Settings>(&typo).is_err());
        let bad = format!("{without}\n[lettering]\ntolerance = \"0.505\"\n");
        assert!(toml::from_str::<Settings>(&bad).is_err());

        let mut settings = default_settings();
        settings.lettering.max_set_size = 9;
        let err = settings.validate().unwrap_err();
        assert_eq!(err.key, "lettering.max_set_size");
        settings.lettering.max_set_size = 4;
        settings.lettering.tolerance = Amount::from_cents(-1);
        assert_eq!(settings.validate().unwrap_err().key, "lettering.tolerance");
    }
}
