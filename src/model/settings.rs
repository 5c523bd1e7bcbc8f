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
    /// Bank reconciliation: thresholds, bounds and rules. Stored after the lettering section
    /// for the same reason: older settings end before it and read the defaults.
    #[serde(default, deserialize_with = "reconciliation_or_default")]
    pub reconciliation: Reconciliation,
    /// VAT returns: the tax office's third party. Stored after the reconciliation section:
    /// older settings end before it and read the defaults.
    #[serde(default, deserialize_with = "vat_or_default")]
    pub vat: VatSettings,
}

/// VAT settings (`[vat]` in the TOML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VatSettings {
    /// Third party of the tax office (default `SIE`): the settlement's VAT to pay (445510)
    /// carries it, so the payment to the tax office letters with it. `folio vat settle`
    /// creates it (a supplier on 445510) when the ledger has no such party.
    #[serde(default = "default_tax_office_party")]
    pub tax_office_party: String,
}

/// Name given to the tax office's third party when a settlement creates it.
pub const TAX_OFFICE_NAME: &str = "Service des impôts des entreprises";

fn default_tax_office_party() -> String {
    "SIE".to_string()
}

impl Default for VatSettings {
    fn default() -> Self {
        VatSettings {
            tax_office_party: default_tax_office_party(),
        }
    }
}

/// Reads the VAT settings; like [`lettering_or_default`], settings stored before they
/// existed read the defaults.
fn vat_or_default<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<VatSettings, D::Error> {
    if deserializer.is_human_readable() {
        VatSettings::deserialize(deserializer)
    } else {
        Ok(VatSettings::deserialize(deserializer).unwrap_or_default())
    }
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

/// Bank reconciliation settings (`[reconciliation]` in the TOML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reconciliation {
    /// `folio bank match` applies a line's best candidate when its score reaches this
    /// (0 to 100, default 80).
    #[serde(default = "default_min_score")]
    pub min_score: u8,
    /// Largest difference between a bank line and a book line proposed as matching
    /// (default 0.00: exact amounts only). Sets always sum exactly.
    #[serde(default)]
    pub tolerance: Amount,
    /// Book lines more than this many days from the bank line are not proposed unless a
    /// reference ties them (default 30).
    #[serde(default = "default_date_window")]
    pub date_window_days: u32,
    /// Largest set of book lines a subset search proposes for one bank line (default 4).
    #[serde(default = "default_reconciliation_set_size")]
    pub max_set_size: u32,
    /// Book lines (the closest in date) a subset search looks among (default 20).
    #[serde(default = "default_set_items")]
    pub max_set_items: u32,
    /// Candidates returned per bank line (default 10).
    #[serde(default = "default_max_candidates")]
    pub max_candidates: u32,
    /// Reconciliation models, tried for every bank line.
    #[serde(default)]
    pub rules: Vec<ReconciliationRule>,
}

/// Money in (credit on the statement) or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankSign {
    In,
    Out,
}

/// A reconciliation model: conditions on a bank line, and the entry to post when it applies.
/// Every condition given must hold; at least one of the label, amount or IBAN conditions is
/// needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationRule {
    pub name: String,
    /// The label (with the remittance text) contains this, ignoring case and accents.
    #[serde(default)]
    pub label_contains: Option<String>,
    /// The label (with the remittance text) matches this regular expression.
    #[serde(default)]
    pub label_regex: Option<String>,
    /// Smallest amount, without sign.
    #[serde(default)]
    pub amount_min: Option<Amount>,
    /// Largest amount, without sign.
    #[serde(default)]
    pub amount_max: Option<Amount>,
    #[serde(default)]
    pub sign: Option<BankSign>,
    /// The counterparty's IBAN, as the statement gives it (spaces and case ignored).
    #[serde(default)]
    pub counterparty_iban: Option<String>,
    /// Only lines of this treasury account.
    #[serde(default)]
    pub account: Option<AccountNumber>,
    /// Account the line is posted to (627000 bank fees, 616000 insurance...).
    pub post_to: AccountNumber,
    /// Tax code: the amount is taken as tax included and the tax split out.
    #[serde(default)]
    pub tax: Option<String>,
    /// Third party of the posted line (its account must then be a third-party account).
    #[serde(default)]
    pub party: Option<String>,
    /// Entry label: `{label}`, `{date}`, `{amount}`, `{reference}`, `{counterparty}`,
    /// `{rule}` are replaced (default `{label}`).
    #[serde(default = "default_rule_label")]
    pub label: String,
    /// `folio bank match` applies this rule only from this score up (it also needs the
    /// general `min_score`).
    #[serde(default)]
    pub min_score: Option<u8>,
}

/// Placeholders a rule's label template may use.
pub const RULE_LABEL_FIELDS: [&str; 6] = [
    "label",
    "date",
    "amount",
    "reference",
    "counterparty",
    "rule",
];
/// Limits of the reconciliation settings.
pub const MAX_RECONCILIATION_SET_SIZE: u32 = 6;
pub const MAX_RECONCILIATION_SET_ITEMS: u32 = 60;
pub const MAX_RECONCILIATION_CANDIDATES: u32 = 100;
pub const MAX_RECONCILIATION_RULES: usize = 500;
/// Compiled size limit of a rule's regular expression (bytes).
pub const MAX_RULE_REGEX_BYTES: usize = 1 << 20;

fn default_min_score() -> u8 {
    80
}

fn default_date_window() -> u32 {
    30
}

fn default_reconciliation_set_size() -> u32 {
    4
}

fn default_set_items() -> u32 {
    20
}

fn default_max_candidates() -> u32 {
    10
}

fn default_rule_label() -> String {
    "{label}".to_string()
}

impl Default for Reconciliation {
    fn default() -> Self {
        Reconciliation {
            min_score: default_min_score(),
            tolerance: Amount::ZERO,
            date_window_days: default_date_window(),
            max_set_size: default_reconciliation_set_size(),
            max_set_items: default_set_items(),
            max_candidates: default_max_candidates(),
            rules: Vec::new(),
        }
    }
}

/// Reads the reconciliation settings; like [`lettering_or_default`], settings stored before
/// they existed read the defaults.
fn reconciliation_or_default<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Reconciliation, D::Error> {
    if deserializer.is_human_readable() {
        Reconciliation::deserialize(deserializer)
    } else {
        Ok(Reconciliation::deserialize(deserializer).unwrap_or_default())
    }
}

/// A rule's label regular expression, compiled with a size limit; the error says why not.
pub fn compile_rule_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(MAX_RULE_REGEX_BYTES)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => {
                format!("the regular expression is too large (over {MAX_RULE_REGEX_BYTES} bytes compiled)")
            }
            other => format!("not a valid regular expression: {}", other.to_string().lines().last().unwrap_or("syntax error").trim()),
        })
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
        for (i, r) in self.reconciliation.rules.iter().enumerate() {
            out.push((format!("reconciliation.rules[{i}].post_to"), &r.post_to));
            if let Some(a) = &r.account {
                out.push((format!("reconciliation.rules[{i}].account"), a));
            }
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
        self.lettering.validate()?;
        self.reconciliation.validate(self)?;
        if super::party::parse_party_code(&self.vat.tax_office_party).as_deref()
            != Ok(self.vat.tax_office_party.as_str())
        {
            return Err(err(
                "vat.tax_office_party".into(),
                format!(
                    "`{}` is not a third-party code (1 to 17 uppercase letters, digits, `-` or `_`)",
                    self.vat.tax_office_party
                ),
            ));
        }
        Ok(())
    }
}

impl Reconciliation {
    /// Bounds of each setting and the rules as a whole, named by key (`reconciliation.rules[2]
    /// .label_regex`) and, in the reason, by rule name.
    pub fn validate(&self, settings: &Settings) -> Result<(), SettingsError> {
        if self.min_score > 100 {
            return Err(err(
                "reconciliation.min_score".into(),
                "a score is from 0 to 100",
            ));
        }
        if self.tolerance.is_negative() {
            return Err(err(
                "reconciliation.tolerance".into(),
                "the tolerance cannot be negative",
            ));
        }
        if self.date_window_days > MAX_PAIR_WINDOW_DAYS {
            return Err(err(
                "reconciliation.date_window_days".into(),
                format!("at most {MAX_PAIR_WINDOW_DAYS} days"),
            ));
        }
        if !(1..=MAX_RECONCILIATION_SET_SIZE).contains(&self.max_set_size) {
            return Err(err(
                "reconciliation.max_set_size".into(),
                format!("from 1 to {MAX_RECONCILIATION_SET_SIZE} lines"),
            ));
        }
        if !(1..=MAX_RECONCILIATION_SET_ITEMS).contains(&self.max_set_items) {
            return Err(err(
                "reconciliation.max_set_items".into(),
                format!("from 1 to {MAX_RECONCILIATION_SET_ITEMS} lines"),
            ));
        }
        if !(1..=MAX_RECONCILIATION_CANDIDATES).contains(&self.max_candidates) {
            return Err(err(
                "reconciliation.max_candidates".into(),
                format!("from 1 to {MAX_RECONCILIATION_CANDIDATES}"),
            ));
        }
        if self.rules.len() > MAX_RECONCILIATION_RULES {
            return Err(err(
                "reconciliation.rules".into(),
                format!("at most {MAX_RECONCILIATION_RULES} rules"),
            ));
        }
        unique(
            "reconciliation.rules",
            self.rules.iter().map(|r| r.name.as_str()),
        )?;
        for (i, rule) in self.rules.iter().enumerate() {
            rule.validate(settings).map_err(|(field, reason)| {
                err(
                    format!("reconciliation.rules[{i}].{field}"),
                    format!("rule {}: {reason}", rule.name),
                )
            })?;
        }
        Ok(())
    }
}

impl ReconciliationRule {
    /// The field at fault and why.
    fn validate(&self, settings: &Settings) -> Result<(), (&'static str, String)> {
        let empty = |text: &Option<String>| text.as_deref().is_some_and(|t| t.trim().is_empty());
        if empty(&self.label_contains) {
            return Err(("label_contains", "empty text".into()));
        }
        if empty(&self.label_regex) {
            return Err(("label_regex", "empty regular expression".into()));
        }
        if let Some(pattern) = &self.label_regex {
            compile_rule_regex(pattern).map_err(|reason| ("label_regex", reason))?;
        }
        for (field, amount) in [
            ("amount_min", self.amount_min),
            ("amount_max", self.amount_max),
        ] {
            if amount.is_some_and(Amount::is_negative) {
                return Err((field, "amounts are given without sign (use `sign`)".into()));
            }
        }
        if let (Some(min), Some(max)) = (self.amount_min, self.amount_max)
            && min > max
        {
            return Err(("amount_max", format!("{max} is below amount_min {min}")));
        }
        if let Some(iban) = &self.counterparty_iban
            && !super::party::is_valid_iban(&iban.to_ascii_uppercase())
        {
            return Err((
                "counterparty_iban",
                format!("{} is not a valid IBAN", super::text::echo(iban)),
            ));
        }
        if self.label_contains.is_none()
            && self.label_regex.is_none()
            && self.amount_min.is_none()
            && self.amount_max.is_none()
            && self.counterparty_iban.is_none()
        {
            return Err((
                "label_contains",
                "a rule needs a condition on the label, the amount or the counterparty IBAN".into(),
            ));
        }
        if let Some(code) = &self.tax {
            match settings.tax(code) {
                None => return Err(("tax", format!("unknown tax code {code}"))),
                Some(t) if t.rate_on(chrono::NaiveDate::MAX).is_none() => {
                    return Err(("tax", format!("tax code {code} has no rate")));
                }
                Some(_) => {}
            }
        }
        if self.min_score.is_some_and(|s| s > 100) {
            return Err(("min_score", "a score is from 0 to 100".into()));
        }
        check_label_template(&self.label).map_err(|reason| ("label", reason))
    }
}

/// A label template names only known fields, with balanced braces.
fn check_label_template(template: &str) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("empty label".into());
    }
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("a `}` without its `{`".into());
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("a `{` without its `}`".into());
        };
        let field = &after[..close];
        if !RULE_LABEL_FIELDS.contains(&field) {
            return Err(format!(
                "unknown field {{{}}} (known: {})",
                super::text::echo(field),
                RULE_LABEL_FIELDS.map(|f| format!("{{{f}}}")).join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
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
        let tail = postcard::to_allocvec(&settings.lettering).unwrap().len()
            + postcard::to_allocvec(&settings.reconciliation)
                .unwrap()
                .len();
        // The bytes of an older ledger end where the lettering section starts.
        let older = &whole[..whole.len() - tail];
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

    #[test]
    fn settings_stored_before_reconciliation_existed_read_the_defaults() {
        let mut settings = default_settings();
        settings.reconciliation.min_score = 70;
        let whole = postcard::to_allocvec(&settings).unwrap();
        let tail = postcard::to_allocvec(&settings.reconciliation).unwrap();
        let older = &whole[..whole.len() - tail.len()];
        let read: Settings = postcard::from_bytes(older).unwrap();
        assert_eq!(read.reconciliation, Reconciliation::default());
        assert_eq!(read.lettering, settings.lettering);
        assert_eq!(postcard::from_bytes::<Settings>(&whole).unwrap(), settings);
    }

    fn with_rules(rules: &str) -> Result<Settings, SettingsError> {
        let text = toml::to_string(&default_settings()).unwrap();
        let without: String = text.split("[reconciliation]").next().unwrap().to_string();
        let settings: Settings = toml::from_str(&format!(
            "{without}\n[reconciliation]\nmin_score = 85\n{rules}"
        ))
        .map_err(|e| err("toml".into(), e.message().to_string()))?;
        settings.validate().map(|()| settings)
    }

    #[test]
    fn reconciliation_rules_in_toml_are_read_and_checked() {
        let fees = "[[reconciliation.rules]]\nname = \"FEES\"\nlabel_contains = \"frais\"\n\
                    amount_max = \"50.00\"\nsign = \"out\"\npost_to = \"627000\"\ntax = \"D20\"\n";
        let settings = with_rules(fees).unwrap();
        assert_eq!(settings.reconciliation.min_score, 85);
        let rule = &settings.reconciliation.rules[0];
        assert_eq!(rule.sign, Some(BankSign::Out));
        assert_eq!(rule.amount_max, Some(Amount::from_cents(5_000)));
        assert_eq!(rule.label, "{label}");
        assert_eq!(rule.min_score, None);
        // Exported and read back, the rule is the same.
        let again: Settings = toml::from_str(&toml::to_string(&settings).unwrap()).unwrap();
        assert_eq!(again, settings);
        assert!(
            settings
                .accounts()
                .iter()
                .any(|(key, a)| key == "reconciliation.rules[0].post_to" && a.as_str() == "627000")
        );

        let cases = [
            (
                "label_regex = \"(x\"\n",
                "reconciliation.rules[1].label_regex",
                "rule BAD: not a valid regular expression",
            ),
            (
                "label_contains = \"x\"\ntax = \"NOPE\"\n",
                "reconciliation.rules[1].tax",
                "rule BAD: unknown tax code NOPE",
            ),
            (
                "sign = \"out\"\n",
                "reconciliation.rules[1].label_contains",
                "rule BAD: a rule needs a condition",
            ),
            (
                "label_contains = \"x\"\namount_min = \"-1.00\"\n",
                "reconciliation.rules[1].amount_min",
                "rule BAD: amounts are given without sign",
            ),
            (
                "label_contains = \"x\"\namount_min = \"9.00\"\namount_max = \"1.00\"\n",
                "reconciliation.rules[1].amount_max",
                "rule BAD: 1.00 is below",
            ),
            (
                "label_contains = \"x\"\nlabel = \"{labl}\"\n",
                "reconciliation.rules[1].label",
                "rule BAD: unknown field {labl}",
            ),
            (
                "counterparty_iban = \"FR00 1234\"\n",
                "reconciliation.rules[1].counterparty_iban",
                "rule BAD: FR00 1234 is not a valid IBAN",
            ),
            (
                "label_contains = \"x\"\nmin_score = 101\n",
                "reconciliation.rules[1].min_score",
                "rule BAD: a score is from 0 to 100",
            ),
        ];
        for (body, key, reason) in cases {
            let text = format!(
                "{fees}[[reconciliation.rules]]\nname = \"BAD\"\npost_to = \"627000\"\n{body}"
            );
            let error = with_rules(&text).unwrap_err();
            assert_eq!(error.key, key, "{body}");
            assert!(error.reason.starts_with(reason), "{body}: {error}");
        }
        let twice = format!("{fees}{fees}");
        assert_eq!(
            with_rules(&twice).unwrap_err().key,
            "reconciliation.rules[1]"
        );
        let unknown = format!("{fees}colour = \"red\"\n");
        assert!(with_rules(&unknown).is_err());
    }
}
