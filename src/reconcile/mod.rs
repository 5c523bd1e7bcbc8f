//! Bank reconciliation candidates: what a bank line may be matched with, scored and explained.
//!
//! Pure: the caller passes the bank line ([`BankLineView`]), an [`Index`] built once from the
//! treasury account's unreconciled book lines, the third parties and their open invoices, and
//! the compiled [`Rules`]. No ledger, no clock, no I/O. The same inputs give the same
//! candidates, in the same order, whatever order the caller built the index in.
//!
//! Four kinds of candidate ([`Proposal`]):
//! - **book lines** of the treasury account: one line, or a set (a deposit of several cheques,
//!   a batch of payments) that sums exactly to the bank line;
//! - **a payment to create** for a recognised party, allocated to its open invoices;
//! - **a rule** of the settings (reconciliation model): an entry to post;
//! - **a rejected direct debit** (an R-transaction): money out of exactly a SEPA collection's
//!   amount whose end-to-end id is on the line; its payment is to be cancelled (50 exact + 30
//!   the end-to-end id + 20 when it is the only collection of that id).
//!
//! # Score (0 to 100)
//!
//! Book lines and payments add up points, capped at 100:
//!
//! | what                                                     | points |
//! |----------------------------------------------------------|--------|
//! | amount exact                                             | 50     |
//! | amount within the tolerance (book lines)                 | 25     |
//! | the only candidate of that amount (see below)            | 20     |
//! | a reference found in the bank text (piece, document or payment number, the party's invoice reference, end-to-end id) | 30 |
//! | party recognised by the counterparty IBAN                | 20     |
//! | party recognised by name (counterparty or label)         | 10     |
//! | date 0 to 3 days apart                                   | 10     |
//! | date 4 to 10 days apart                                  | 6      |
//! | date 11 to 30 days apart                                 | 3      |
//! | each line beyond two in a set found by the subset search | −5     |
//!
//! "The only candidate": for one book line, no other unreconciled line of the account has the
//! same amount within the date window; for a payment, exactly one invoice (or one set of
//! invoices) of the party makes the amount. Dates of a set count from its farthest line. A
//! payment has no date points (an invoice is paid long after its date).
//!
//! A rule scores 40 when all its conditions hold, plus 30 for a label condition, 30 for a
//! counterparty IBAN, 15 for an amount range and 5 for a sign, capped at 100.
//!
//! With the defaults (`min_score` 80), an exact and unique book line within 3 days is applied
//! automatically (50 + 20 + 10), so is one whose reference is in the bank text and whose
//! amount is exact (50 + 30), or an exact single open invoice of the party whose IBAN the bank
//! gives (50 + 20 + 20).
//!
//! # Bounds
//!
//! Book lines of one amount are looked up in a sorted index (at most [`MAX_SAME_AMOUNT`]
//! closest in date are considered); references in a hash index (at most
//! [`MAX_REFERENCE_LINES`] lines per reference); the bank text gives at most
//! [`MAX_TEXT_TOKENS`] tokens. The subset search (sets of 2 to `max_set_size` lines among the
//! `max_set_items` closest same-direction lines, via [`crate::matching::suggest`]) runs only
//! for a line nothing else accounts for (no single book line of the exact amount, no rule, no
//! payment of the exact amount), and examines at most [`SET_WORK_BUDGET`] subsets: with the
//! defaults (sets of up to 4 among 20 lines, 6,195 subsets) every search runs to its end. A day's batch (every same-direction line of one date) is proposed when its total
//! is exact, for the dates within 3 days of the bank line.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use crate::matching::{self, Item, MatchSettings};
use crate::model::account::AccountNumber;
use crate::model::party::PartyKind;
use crate::model::settings::{BankSign, Reconciliation, ReconciliationRule};
use crate::model::{Amount, settings::compile_rule_regex};

#[cfg(test)]
mod tests;

/// Book lines of one amount considered for a bank line (the closest in date).
pub const MAX_SAME_AMOUNT: usize = 50;
/// Book lines one reference may bring in (a set by reference sums at most this many).
pub const MAX_REFERENCE_LINES: usize = 1000;
/// Tokens read from a bank line's texts.
pub const MAX_TEXT_TOKENS: usize = 64;
/// Subsets one subset search may examine.
pub const SET_WORK_BUDGET: u64 = 10_000;
/// Book lines the subset search walks past (nearest in date first) to fill its pool.
pub const MAX_SET_SCAN: usize = 2_000;
/// Lines of one day's batch.
pub const MAX_BATCH_LINES: usize = 1000;
/// Open invoices of one party considered for a payment.
pub const MAX_PARTY_INVOICES: usize = 500;

/// A bank line as the matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankLineView {
    /// The caller's identifier, handed back in plans.
    pub key: u64,
    /// The treasury account of its statement.
    pub account: AccountNumber,
    pub booking_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    /// Signed: money in (a credit on the statement) is positive.
    pub amount: Amount,
    pub label: String,
    pub reference: Option<String>,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub end_to_end_id: Option<String>,
    pub remittance: Option<String>,
}

/// An unreconciled line of the treasury account in the books.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookLineView {
    /// The caller's identifier (it names the entry and line).
    pub key: u64,
    pub date: NaiveDate,
    /// Signed like the bank line: a debit of the treasury account (money in) is positive.
    pub amount: Amount,
    pub label: String,
    /// Piece, entry number, document or payment number and reference; empty ones ignored.
    pub references: Vec<String>,
    /// The third party of the entry, when it has one.
    pub party: Option<String>,
}

/// A third party, for recognising who a bank line is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyView {
    pub code: String,
    pub name: String,
    pub kind: PartyKind,
    pub iban: Option<String>,
}

/// An invoice with something still due on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoiceView {
    /// The document id.
    pub key: u64,
    pub party: String,
    /// Its number (`FA2026-00012`).
    pub number: String,
    /// The party's own reference (their invoice number for a supplier invoice).
    pub reference: String,
    pub date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    /// What is still due, positive.
    pub remaining: Amount,
}

/// A SEPA direct debit collected (its payment registered on the transit account when the
/// pain.008 file was written) that the bank may still return: an R-transaction on the
/// statement is money out of its amount naming its end-to-end id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionView {
    /// The payment's document id.
    pub key: u64,
    pub party: String,
    /// The number of the invoice it collected (`FA2026-00012`).
    pub invoice: String,
    pub end_to_end_id: String,
    /// What was collected, positive.
    pub amount: Amount,
}

/// What a candidate does to the bank line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proposal {
    /// Reconcile with these book lines (keys in date order); they sum to the bank line within
    /// the tolerance (sets: exactly).
    BookLines { keys: Vec<u64> },
    /// Create a payment of the whole bank amount for the party, allocated to its invoices
    /// (document ids and amounts, oldest first); the rest stays unallocated.
    Payment {
        party: String,
        allocations: Vec<(u64, Amount)>,
    },
    /// Post the bank line as the rule says.
    Rule {
        rule: String,
        post_to: AccountNumber,
        tax: Option<String>,
        party: Option<String>,
        label: String,
    },
    /// The bank returned a direct debit (an R-transaction): cancel the collection's payment
    /// (document id) so that its invoice is due again, and post the bank line against the
    /// transit account. `reason` is the return reason code found on the line (`AM04`).
    Rejection {
        payment: u64,
        reason: Option<String>,
    },
}

impl Proposal {
    /// Orders kinds for a stable ranking at equal score: book lines, payments, rules.
    fn rank(&self) -> u8 {
        match self {
            Proposal::BookLines { .. } => 0,
            Proposal::Payment { .. } => 1,
            Proposal::Rule { .. } => 2,
            Proposal::Rejection { .. } => 3,
        }
    }

    /// Book line keys it reconciles (empty for payments and rules).
    pub fn book_keys(&self) -> &[u64] {
        match self {
            Proposal::BookLines { keys } => keys,
            _ => &[],
        }
    }
}

/// One candidate for a bank line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub proposal: Proposal,
    /// 0 to 100: see the module documentation.
    pub score: u8,
    /// One line for people: "exact 1 200,00 · ref FA2026-00012 found · 2 days apart · IBAN
    /// of CLUMEN".
    pub reason: String,
    /// For a rule, the score below which `bank match` does not apply it.
    pub rule_min_score: Option<u8>,
}

/// Points and reason parts, summed into a score.
#[derive(Default)]
struct Tally {
    points: i32,
    parts: Vec<String>,
}

impl Tally {
    fn add(&mut self, points: i32, part: impl Into<String>) {
        self.points += points;
        self.parts.push(part.into());
    }

    fn score(&self) -> u8 {
        self.points.clamp(0, 100) as u8
    }

    fn reason(&self) -> String {
        self.parts.join(" · ")
    }
}

const POINTS_EXACT: i32 = 50;
const POINTS_TOLERANCE: i32 = 25;
const POINTS_UNIQUE: i32 = 20;
const POINTS_REFERENCE: i32 = 30;
const POINTS_IBAN: i32 = 20;
const POINTS_NAME: i32 = 10;
const PENALTY_SET_LINE: i32 = 5;
const RULE_BASE: i32 = 40;
const RULE_LABEL: i32 = 30;
const RULE_IBAN: i32 = 30;
const RULE_AMOUNT: i32 = 15;
const RULE_SIGN: i32 = 5;

/// Date points and their reason part, from the gap in days.
fn date_points(days: i64) -> (i32, String) {
    let text = match days {
        0 => "same day".to_string(),
        1 => "1 day apart".to_string(),
        n => format!("{n} days apart"),
    };
    let points = match days {
        0..=3 => 10,
        4..=10 => 6,
        11..=30 => 3,
        _ => 0,
    };
    (points, text)
}

/// Uppercase, accents folded, every other character a space, spaces collapsed; padded with
/// one space each side so that `contains(" WORD ")` finds whole words.
pub fn normalize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        let folded = fold(c);
        if folded.is_ascii_alphanumeric() {
            out.push(folded.to_ascii_uppercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'A',
        'ç' | 'Ç' => 'C',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ñ' | 'Ñ' => 'N',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => 'O',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        'ÿ' | 'Ÿ' => 'Y',
        other => other,
    }
}

/// A reference as compared: uppercase letters and digits only. References without a digit
/// or shorter than 4 characters are too common to tie anything and give `None`.
pub fn normalize_reference(text: &str) -> Option<String> {
    let key: String = text
        .chars()
        .map(fold)
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (key.len() >= 4 && key.bytes().any(|b| b.is_ascii_digit())).then_some(key)
}

/// An IBAN as compared: no spaces, uppercase.
pub fn normalize_iban(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Legal forms left out of names before comparing them.
const LEGAL_FORMS: [&str; 12] = [
    "SARL", "SAS", "SASU", "SA", "EURL", "SCI", "SNC", "STE", "SOCIETE", "ETS", "SCOP", "SELARL",
];

/// A party name as searched for in bank texts (normalized, legal forms out), or `None` when
/// too short to be recognised safely (under 3 characters).
pub fn name_key(name: &str) -> Option<String> {
    let normalized = normalize_text(name);
    let words: Vec<&str> = normalized
        .split_whitespace()
        .filter(|w| !LEGAL_FORMS.contains(w))
        .collect();
    let key = words.join(" ");
    (key.len() >= 3).then_some(key)
}

/// The bank line's texts, as searched: label, reference, counterparty, end-to-end id and
/// remittance, normalized.
struct BankText {
    /// Normalized words of every text, padded (see [`normalize_text`]).
    words: String,
    /// Reference keys found: each token and each pair of adjacent tokens.
    references: Vec<String>,
    /// The end-to-end id, normalized.
    end_to_end: Option<String>,
}

impl BankText {
    fn of(line: &BankLineView) -> BankText {
        let texts = [
            Some(line.label.as_str()),
            line.reference.as_deref(),
            line.counterparty_name.as_deref(),
            line.end_to_end_id.as_deref(),
            line.remittance.as_deref(),
        ];
        let joined: Vec<&str> = texts.into_iter().flatten().collect();
        let joined = joined.join(" ");
        let tokens: Vec<&str> = joined
            .split(|c: char| c.is_whitespace() || ",;:()[]{}\"'/+#*|<>".contains(c))
            .filter(|t| !t.is_empty())
            .take(MAX_TEXT_TOKENS)
            .collect();
        let mut references = BTreeSet::new();
        for (i, token) in tokens.iter().enumerate() {
            if let Some(key) = normalize_reference(token) {
                references.insert(key);
            }
            if let Some(next) = tokens.get(i + 1)
                && let Some(key) = normalize_reference(&format!("{token}{next}"))
            {
                references.insert(key);
            }
        }
        BankText {
            words: normalize_text(&joined),
            references: references.into_iter().collect(),
            end_to_end: line.end_to_end_id.as_deref().and_then(normalize_reference),
        }
    }
}

/// The book lines, parties and open invoices one treasury account is matched against,
/// indexed once for many bank lines.
#[derive(Debug, Clone, Default)]
pub struct Index {
    book: Vec<BookLineView>,
    /// (amount in cents, date, key, position in `book`), sorted.
    by_amount: Vec<(i64, NaiveDate, u64, u32)>,
    /// (date, key, position), sorted: for the closest lines of a date.
    by_date: Vec<(NaiveDate, u64, u32)>,
    /// Normalized reference -> positions in `book`, in (date, key) order.
    book_refs: HashMap<String, Vec<u32>>,
    /// (date, money in) -> (sum in cents, positions).
    by_day: HashMap<(NaiveDate, bool), (i64, Vec<u32>)>,
    parties: Vec<PartyView>,
    party_by_code: HashMap<String, u32>,
    party_by_iban: HashMap<String, Vec<u32>>,
    /// First word of a name key -> (name key, party position).
    party_by_word: HashMap<String, Vec<(String, u32)>>,
    invoices: Vec<OpenInvoiceView>,
    /// Party code -> invoice positions, oldest first (due date, date, key).
    invoices_by_party: HashMap<String, Vec<u32>>,
    /// Normalized number or party reference -> invoice positions.
    invoice_refs: HashMap<String, Vec<u32>>,
    /// Direct debits collected and not returned (see [`Index::with_collections`]).
    collections: Vec<CollectionView>,
    /// Normalized end-to-end id -> collection positions.
    collection_refs: HashMap<String, Vec<u32>>,
}

impl Index {
    /// Indexes the unreconciled book lines of one treasury account, the parties and their open
    /// invoices. Linear in the inputs, plus sorting.
    pub fn new(
        book_lines: Vec<BookLineView>,
        parties: Vec<PartyView>,
        invoices: Vec<OpenInvoiceView>,
    ) -> Index {
        let mut book = book_lines;
        book.sort_by_key(|l| (l.date, l.key));
        let mut by_amount = Vec::with_capacity(book.len());
        let mut by_date = Vec::with_capacity(book.len());
        let mut book_refs: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_day: HashMap<(NaiveDate, bool), (i64, Vec<u32>)> = HashMap::new();
        for (i, line) in book.iter().enumerate() {
            let pos = i as u32;
            by_amount.push((line.amount.cents(), line.date, line.key, pos));
            by_date.push((line.date, line.key, pos));
            let mut seen = BTreeSet::new();
            for reference in &line.references {
                if let Some(key) = normalize_reference(reference)
                    && seen.insert(key.clone())
                {
                    book_refs.entry(key).or_default().push(pos);
                }
            }
            if !line.amount.is_zero() {
                let day = by_day
                    .entry((line.date, line.amount.is_positive()))
                    .or_default();
                day.0 = day.0.saturating_add(line.amount.cents());
                day.1.push(pos);
            }
        }
        by_amount.sort_unstable();

        let mut parties = parties;
        parties.sort_by(|a, b| a.code.cmp(&b.code));
        parties.dedup_by(|a, b| a.code == b.code);
        let mut party_by_code = HashMap::new();
        let mut party_by_iban: HashMap<String, Vec<u32>> = HashMap::new();
        let mut party_by_word: HashMap<String, Vec<(String, u32)>> = HashMap::new();
        for (i, party) in parties.iter().enumerate() {
            let pos = i as u32;
            party_by_code.insert(party.code.clone(), pos);
            if let Some(iban) = &party.iban {
                let iban = normalize_iban(iban);
                if !iban.is_empty() {
                    party_by_iban.entry(iban).or_default().push(pos);
                }
            }
            if let Some(key) = name_key(&party.name) {
                let first = key.split(' ').next().unwrap_or_default().to_string();
                party_by_word.entry(first).or_default().push((key, pos));
            }
        }

        let mut invoices = invoices;
        invoices.retain(|inv| inv.remaining.is_positive());
        invoices.sort_by_key(|inv| (inv.due_date.unwrap_or(inv.date), inv.date, inv.key));
        let mut invoices_by_party: HashMap<String, Vec<u32>> = HashMap::new();
        let mut invoice_refs: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, invoice) in invoices.iter().enumerate() {
            let pos = i as u32;
            invoices_by_party
                .entry(invoice.party.clone())
                .or_default()
                .push(pos);
            let mut seen = BTreeSet::new();
            for text in [&invoice.number, &invoice.reference] {
                if let Some(key) = normalize_reference(text)
                    && seen.insert(key.clone())
                {
                    invoice_refs.entry(key).or_default().push(pos);
                }
            }
        }
        Index {
            book,
            by_amount,
            by_date,
            book_refs,
            by_day,
            parties,
            party_by_code,
            party_by_iban,
            party_by_word,
            invoices,
            invoices_by_party,
            invoice_refs,
            collections: Vec::new(),
            collection_refs: HashMap::new(),
        }
    }

    /// Adds the direct debits collected and not returned yet, so that a bank line returning
    /// one (money out of its amount, its end-to-end id in the texts) proposes its rejection.
    pub fn with_collections(mut self, collections: Vec<CollectionView>) -> Index {
        let mut collections = collections;
        collections.sort_by_key(|c| c.key);
        collections.dedup_by_key(|c| c.key);
        let mut refs: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, collection) in collections.iter().enumerate() {
            if let Some(key) = normalize_reference(&collection.end_to_end_id) {
                refs.entry(key).or_default().push(i as u32);
            }
        }
        self.collections = collections;
        self.collection_refs = refs;
        self
    }

    /// Takes book lines out of the candidates (reconciled meanwhile), in place: each costs a
    /// binary search in the sorted lists and a shift, instead of indexing everything again.
    /// Unknown keys are ignored. The lines stay in `book` (positions keep their meaning) but
    /// no lookup reaches them any more.
    pub fn remove_book_lines(&mut self, keys: &[u64]) {
        for &key in keys {
            let Some(pos) = self.book.iter().position(|l| l.key == key) else {
                continue;
            };
            let line = &self.book[pos];
            let pos = pos as u32;
            let cents = line.amount.cents();
            if let Ok(i) = self
                .by_amount
                .binary_search(&(cents, line.date, line.key, pos))
            {
                self.by_amount.remove(i);
            }
            if let Ok(i) = self.by_date.binary_search(&(line.date, line.key, pos)) {
                self.by_date.remove(i);
            }
            for reference in &line.references {
                if let Some(reference) = normalize_reference(reference)
                    && let Some(positions) = self.book_refs.get_mut(&reference)
                {
                    positions.retain(|&p| p != pos);
                    if positions.is_empty() {
                        self.book_refs.remove(&reference);
                    }
                }
            }
            let day = (line.date, line.amount.is_positive());
            if !line.amount.is_zero()
                && let Some((sum, positions)) = self.by_day.get_mut(&day)
                && positions.contains(&pos)
            {
                *sum = sum.saturating_sub(cents);
                positions.retain(|&p| p != pos);
                if positions.is_empty() {
                    self.by_day.remove(&day);
                }
            }
        }
    }

    /// The book line of this key.
    pub fn book_line(&self, key: u64) -> Option<&BookLineView> {
        self.book.iter().find(|l| l.key == key)
    }

    /// Every book line, in (date, key) order.
    pub fn book_lines(&self) -> &[BookLineView] {
        &self.book
    }

    pub fn party(&self, code: &str) -> Option<&PartyView> {
        self.party_by_code
            .get(code)
            .map(|&i| &self.parties[i as usize])
    }

    /// A party's open invoices, oldest first (due date, then date).
    pub fn open_invoices(&self, party: &str) -> Vec<&OpenInvoiceView> {
        self.invoices_by_party
            .get(party)
            .map(|positions| {
                positions
                    .iter()
                    .map(|&i| &self.invoices[i as usize])
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Positions of book lines with exactly this amount, or within `tolerance` of it.
    fn amount_range(&self, cents: i64, tolerance: i64) -> &[(i64, NaiveDate, u64, u32)] {
        let low = cents.saturating_sub(tolerance);
        let high = cents.saturating_add(tolerance);
        let start = self.by_amount.partition_point(|e| e.0 < low);
        let end = self.by_amount.partition_point(|e| e.0 <= high);
        &self.by_amount[start..end]
    }
}

/// Reconciliation rules compiled once (regular expressions built).
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<(ReconciliationRule, Option<regex::Regex>)>,
}

impl Rules {
    /// Compiles the rules; the error names the rule's key and field.
    pub fn new(
        rules: &[ReconciliationRule],
    ) -> Result<Rules, crate::model::settings::SettingsError> {
        let mut out = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let regex = match &rule.label_regex {
                Some(pattern) => Some(compile_rule_regex(pattern).map_err(|reason| {
                    crate::model::settings::SettingsError {
                        key: format!("reconciliation.rules[{i}].label_regex"),
                        reason: format!("rule {}: {reason}", rule.name),
                    }
                })?),
                None => None,
            };
            out.push((rule.clone(), regex));
        }
        Ok(Rules { rules: out })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// The nearest of the booking and value dates to `date`, in days.
fn days_between(line: &BankLineView, date: NaiveDate) -> i64 {
    let booking = (line.booking_date - date).num_days().abs();
    match line.value_date {
        Some(value) => booking.min((value - date).num_days().abs()),
        None => booking,
    }
}

/// Candidates for one bank line, best first (score, then book lines before payments before
/// rules, then keys), at most `settings.max_candidates`.
pub fn candidates(
    line: &BankLineView,
    index: &Index,
    rules: &Rules,
    settings: &Reconciliation,
) -> Vec<Candidate> {
    if line.amount.is_zero() {
        return rule_candidates(line, rules);
    }
    let text = BankText::of(line);
    let recognised = recognise(line, &text, index);
    let mut out = rule_candidates(line, rules);
    let by_rule = !out.is_empty();
    let exact_single = book_line_candidates(line, &text, &recognised, index, settings, &mut out);
    let exact_payment = payment_candidates(line, &text, &recognised, index, settings, &mut out);
    let rejection = rejection_candidates(line, &text, index, &mut out);
    // The subset search is the costly part: only for a line nothing else accounts for.
    if !(by_rule || exact_single || exact_payment || rejection) && settings.max_set_size >= 2 {
        subset_candidates(line, index, settings, &mut out);
    }
    rank(&mut out, settings.max_candidates as usize);
    out
}

fn rank(out: &mut Vec<Candidate>, top: usize) {
    out.sort_by_cached_key(|c| {
        (
            std::cmp::Reverse(c.score),
            c.proposal.rank(),
            c.proposal.book_keys().len(),
            format!("{:?}", c.proposal),
        )
    });
    // The same proposal found two ways keeps its best score and reason.
    let mut kept: Vec<Candidate> = Vec::with_capacity(out.len().min(top));
    for candidate in out.drain(..) {
        if kept.len() == top {
            break;
        }
        if !kept.iter().any(|k| k.proposal == candidate.proposal) {
            kept.push(candidate);
        }
    }
    *out = kept;
}

/// How a party was recognised on a bank line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recognition {
    Iban,
    Name,
    /// An open invoice's number or reference is in the text.
    Document,
}

/// Parties recognised on the line: (party position, how), best way first per party.
fn recognise(line: &BankLineView, text: &BankText, index: &Index) -> Vec<(u32, Recognition)> {
    let mut found: Vec<(u32, Recognition)> = Vec::new();
    if let Some(iban) = &line.counterparty_iban
        && let Some(parties) = index.party_by_iban.get(&normalize_iban(iban))
    {
        found.extend(parties.iter().map(|&p| (p, Recognition::Iban)));
    }
    for word in text.words.split_whitespace().take(MAX_TEXT_TOKENS * 2) {
        if let Some(names) = index.party_by_word.get(word) {
            for (key, pos) in names {
                if text.words.contains(&format!(" {key} ")) {
                    found.push((*pos, Recognition::Name));
                }
            }
        }
    }
    for reference in &text.references {
        if let Some(invoices) = index.invoice_refs.get(reference) {
            for &i in invoices.iter().take(MAX_REFERENCE_LINES) {
                if let Some(&p) = index.party_by_code.get(&index.invoices[i as usize].party) {
                    found.push((p, Recognition::Document));
                }
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// Points for the party of a book line or payment: IBAN, name (both count).
fn party_points(tally: &mut Tally, recognised: &[(u32, Recognition)], index: &Index, code: &str) {
    let Some(&pos) = index.party_by_code.get(code) else {
        return;
    };
    let has = |how| recognised.contains(&(pos, how));
    if has(Recognition::Iban) {
        tally.add(POINTS_IBAN, format!("IBAN of {code}"));
    }
    if has(Recognition::Name) {
        tally.add(POINTS_NAME, format!("name of {code}"));
    }
}

fn book_line_candidates(
    line: &BankLineView,
    text: &BankText,
    recognised: &[(u32, Recognition)],
    index: &Index,
    settings: &Reconciliation,
    out: &mut Vec<Candidate>,
) -> bool {
    let cents = line.amount.cents();
    let tolerance = settings.tolerance.cents().abs();
    let window = i64::from(settings.date_window_days);
    let found_refs = book_references(text, index);

    // Single lines: the amount (within the tolerance), inside the window unless a reference
    // ties them.
    let mut singles: Vec<&(i64, NaiveDate, u64, u32)> = index
        .amount_range(cents, tolerance)
        .iter()
        .filter(|e| {
            days_between(line, e.1) <= window || found_refs.iter().any(|(_, ps)| ps.contains(&e.3))
        })
        .collect();
    singles.sort_by_key(|e| (days_between(line, e.1), e.2));
    singles.truncate(MAX_SAME_AMOUNT);
    let exact_count = singles.iter().filter(|e| e.0 == cents).count();
    for entry in &singles {
        let book = &index.book[entry.3 as usize];
        let mut tally = Tally::default();
        amount_points(&mut tally, line.amount, book.amount);
        if entry.0 == cents && exact_count == 1 {
            tally.add(POINTS_UNIQUE, "only line of this amount");
        }
        if let Some((reference, _)) = found_refs.iter().find(|(_, ps)| ps.contains(&entry.3)) {
            let shown = shown_reference(book, reference);
            tally.add(POINTS_REFERENCE, format!("ref {shown} found"));
        }
        let (points, part) = date_points(days_between(line, book.date));
        tally.add(points, part);
        if let Some(party) = &book.party {
            party_points(&mut tally, recognised, index, party);
        }
        out.push(Candidate {
            proposal: Proposal::BookLines {
                keys: vec![book.key],
            },
            score: tally.score(),
            reason: tally.reason(),
            rule_min_score: None,
        });
    }

    // Sets tied by one reference (a batch reference, a deposit slip number).
    for (reference, positions) in &found_refs {
        if positions.len() < 2 {
            continue;
        }
        let sum: Option<i64> = positions.iter().try_fold(0i64, |acc, &p| {
            acc.checked_add(index.book[p as usize].amount.cents())
        });
        if sum == Some(cents) {
            let mut tally = Tally::default();
            tally.add(
                POINTS_EXACT,
                format!(
                    "exact {} in {} lines",
                    line.amount.abs().to_french(),
                    positions.len()
                ),
            );
            let shown = shown_reference(&index.book[positions[0] as usize], reference);
            tally.add(POINTS_REFERENCE, format!("ref {shown} found"));
            let farthest = positions
                .iter()
                .map(|&p| days_between(line, index.book[p as usize].date))
                .max()
                .unwrap_or(0);
            let (points, part) = date_points(farthest);
            tally.add(points, part);
            out.push(set_candidate(index, positions, tally));
        }
    }

    // A day's batch: every same-direction line of one date, when their total is exact.
    let money_in = cents > 0;
    for offset in -3i64..=3 {
        let Some(date) = line
            .booking_date
            .checked_add_signed(chrono::Duration::days(offset))
        else {
            continue;
        };
        if let Some((sum, positions)) = index.by_day.get(&(date, money_in))
            && *sum == cents
            && (2..=MAX_BATCH_LINES).contains(&positions.len())
        {
            let mut tally = Tally::default();
            tally.add(
                POINTS_EXACT,
                format!(
                    "exact {} in all {} lines of {date}",
                    line.amount.abs().to_french(),
                    positions.len()
                ),
            );
            let (points, part) = date_points(days_between(line, date));
            tally.add(points, part);
            out.push(set_candidate(index, positions, tally));
        }
    }
    exact_count > 0
}

/// The reference as the book line spells it (`FA2026-00012`), for reasons.
fn shown_reference<'a>(book: &'a BookLineView, key: &'a str) -> &'a str {
    book.references
        .iter()
        .find(|r| normalize_reference(r).as_deref() == Some(key))
        .map_or(key, |r| r.trim())
}

fn set_candidate(index: &Index, positions: &[u32], tally: Tally) -> Candidate {
    let mut keys: Vec<(NaiveDate, u64)> = positions
        .iter()
        .map(|&p| {
            let book = &index.book[p as usize];
            (book.date, book.key)
        })
        .collect();
    keys.sort_unstable();
    Candidate {
        proposal: Proposal::BookLines {
            keys: keys.into_iter().map(|(_, k)| k).collect(),
        },
        score: tally.score(),
        reason: tally.reason(),
        rule_min_score: None,
    }
}

fn amount_points(tally: &mut Tally, bank: Amount, book: Amount) {
    let gap = bank.cents() - book.cents();
    if gap == 0 {
        tally.add(POINTS_EXACT, format!("exact {}", bank.abs().to_french()));
    } else {
        tally.add(
            POINTS_TOLERANCE,
            format!(
                "{} off by {}",
                book.abs().to_french(),
                Amount::from_cents(gap.abs()).to_french()
            ),
        );
    }
}

/// Reason codes of SEPA R-transactions (ISO 20022 `ExternalReturnReason1Code`, the ones the
/// EPC rulebook uses for direct debits), as banks write them on a returned debit.
const RETURN_REASONS: [&str; 27] = [
    "AC01", "AC04", "AC06", "AC13", "AG01", "AG02", "AM04", "AM05", "BE05", "CNOR", "DNOR", "FF01",
    "MD01", "MD02", "MD06", "MD07", "MS02", "MS03", "RC01", "RR01", "RR02", "RR03", "RR04", "SL01",
    "FOCR", "DUPL", "FRAD",
];

/// The first return reason code among the bank line's words.
fn return_reason(text: &BankText) -> Option<String> {
    text.words
        .split_whitespace()
        .find(|w| RETURN_REASONS.contains(w))
        .map(str::to_string)
}

/// A returned direct debit: money out of exactly a collection's amount whose end-to-end id
/// is the line's (or a reference in its texts, for formats without one). Returns whether one
/// was found.
fn rejection_candidates(
    line: &BankLineView,
    text: &BankText,
    index: &Index,
    out: &mut Vec<Candidate>,
) -> bool {
    if !line.amount.is_negative() || index.collections.is_empty() {
        return false;
    }
    let mut found: Vec<u32> = Vec::new();
    for reference in text.end_to_end.iter().chain(text.references.iter()) {
        if let Some(positions) = index.collection_refs.get(reference) {
            for &p in positions {
                if index.collections[p as usize].amount == line.amount.abs() && !found.contains(&p)
                {
                    found.push(p);
                }
            }
        }
    }
    let reason = return_reason(text);
    let unique = found.len() == 1;
    for p in &found {
        let collection = &index.collections[*p as usize];
        let mut tally = Tally::default();
        tally.add(
            POINTS_EXACT,
            match &reason {
                Some(code) => format!(
                    "rejected direct debit of {} ({code}) · exact {}",
                    collection.invoice,
                    line.amount.abs().to_french()
                ),
                None => format!(
                    "rejected direct debit of {} · exact {}",
                    collection.invoice,
                    line.amount.abs().to_french()
                ),
            },
        );
        tally.add(
            POINTS_REFERENCE,
            format!("end-to-end id {} found", collection.end_to_end_id),
        );
        if unique {
            tally.add(POINTS_UNIQUE, "only collection of that id");
        }
        out.push(Candidate {
            proposal: Proposal::Rejection {
                payment: collection.key,
                reason: reason.clone(),
            },
            score: tally.score(),
            reason: tally.reason(),
            rule_min_score: None,
        });
    }
    !found.is_empty()
}

/// References of the bank text found on book lines: (the reference, positions), bounded.
fn book_references(text: &BankText, index: &Index) -> Vec<(String, Vec<u32>)> {
    let mut out = Vec::new();
    for reference in text.references.iter().chain(text.end_to_end.iter()) {
        if let Some(positions) = index.book_refs.get(reference)
            && positions.len() <= MAX_REFERENCE_LINES
            && !out.iter().any(|(r, _): &(String, Vec<u32>)| r == reference)
        {
            out.push((reference.clone(), positions.clone()));
        }
    }
    out
}

/// Sets of 2 to `max_set_size` book lines of the bank line's direction, each smaller than
/// it, among the `max_set_items` closest in date, summing exactly.
fn subset_candidates(
    line: &BankLineView,
    index: &Index,
    settings: &Reconciliation,
    out: &mut Vec<Candidate>,
) {
    let cents = line.amount.cents();
    let window = i64::from(settings.date_window_days);
    let wanted = settings.max_set_items as usize;
    let fits = |p: u32| {
        let a = index.book[p as usize].amount.cents();
        (a > 0) == (cents > 0) && a != 0 && a.abs() < cents.abs()
    };
    // Walk outwards from the bank date, nearest first.
    let start = index.by_date.partition_point(|e| e.0 < line.booking_date);
    let (mut before, mut after) = (start, start);
    let mut pool: Vec<u32> = Vec::with_capacity(wanted);
    let mut scanned = 0usize;
    while pool.len() < wanted && scanned < MAX_SET_SCAN {
        scanned += 1;
        let left = before
            .checked_sub(1)
            .map(|i| (i, days_between(line, index.by_date[i].0)));
        let right = (after < index.by_date.len())
            .then(|| (after, days_between(line, index.by_date[after].0)));
        let next = match (left, right) {
            (Some(l), Some(r)) => {
                if l.1 <= r.1 {
                    l
                } else {
                    r
                }
            }
            (Some(l), None) => l,
            (None, Some(r)) => r,
            (None, None) => break,
        };
        if next.1 > window {
            break;
        }
        if next.0 < start {
            before = next.0;
        } else {
            after = next.0 + 1;
        }
        let pos = index.by_date[next.0].2;
        if fits(pos) {
            pool.push(pos);
        }
    }
    if pool.len() < 2 {
        return;
    }
    // The bank line takes part as the opposite amount: a set nets to zero with it.
    let mut items: Vec<Item> = pool
        .iter()
        .enumerate()
        .map(|(k, &p)| Item {
            key: k as u64,
            date: index.book[p as usize].date,
            amount: index.book[p as usize].amount,
            references: Vec::new(),
        })
        .collect();
    let target = u64::MAX;
    items.push(Item {
        key: target,
        date: line.booking_date,
        amount: Amount::from_cents(-cents),
        references: Vec::new(),
    });
    let match_settings = MatchSettings {
        tolerance: Amount::ZERO,
        pair_window_days: window,
        max_items: wanted,
        max_set_size: settings.max_set_size as usize + 1,
        work_budget: SET_WORK_BUDGET,
        top: settings.max_candidates as usize,
    };
    let found = matching::suggest(&items, Some(target), &match_settings);
    for suggestion in found.suggestions {
        let members: Vec<u32> = suggestion
            .keys
            .iter()
            .filter(|&&k| k != target)
            .map(|&k| pool[k as usize])
            .collect();
        if members.len() < 2 || !suggestion.is_exact() {
            continue;
        }
        let mut tally = Tally::default();
        tally.add(
            POINTS_EXACT,
            format!(
                "exact {} in {} lines",
                line.amount.abs().to_french(),
                members.len()
            ),
        );
        let farthest = members
            .iter()
            .map(|&p| days_between(line, index.book[p as usize].date))
            .max()
            .unwrap_or(0);
        let (points, part) = date_points(farthest);
        tally.add(points, part);
        if members.len() > 2 {
            tally.points -= PENALTY_SET_LINE * (members.len() as i32 - 2);
        }
        out.push(set_candidate(index, &members, tally));
    }
}

/// A payment for each recognised party whose invoices are paid in the bank line's direction
/// (customers pay in, suppliers are paid out).
fn payment_candidates(
    line: &BankLineView,
    text: &BankText,
    recognised: &[(u32, Recognition)],
    index: &Index,
    settings: &Reconciliation,
    out: &mut Vec<Candidate>,
) -> bool {
    let mut any_exact = false;
    let mut parties: Vec<u32> = recognised.iter().map(|(p, _)| *p).collect();
    parties.dedup();
    for pos in parties {
        let party = &index.parties[pos as usize];
        let direction_ok = match party.kind {
            PartyKind::Customer => line.amount.is_positive(),
            PartyKind::Supplier => line.amount.is_negative(),
        };
        if !direction_ok {
            continue;
        }
        let invoices: Vec<&OpenInvoiceView> = index
            .open_invoices(&party.code)
            .into_iter()
            .take(MAX_PARTY_INVOICES)
            .collect();
        if invoices.is_empty() {
            continue;
        }
        let amount = line.amount.abs();
        let referenced: Vec<&OpenInvoiceView> = invoices
            .iter()
            .copied()
            .filter(|inv| {
                [&inv.number, &inv.reference]
                    .into_iter()
                    .any(|t| normalize_reference(t).is_some_and(|k| text.references.contains(&k)))
            })
            .collect();
        let mut tally = Tally::default();
        let allocations;
        if !referenced.is_empty() {
            allocations = oldest_first(amount, &referenced);
            let due = sum_remaining(&referenced);
            payment_amount_points(&mut tally, amount, due, settings.tolerance);
            if due == Some(amount) {
                tally.add(POINTS_UNIQUE, "the invoices named");
            }
            let names: Vec<&str> = referenced.iter().map(|inv| inv.number.as_str()).collect();
            tally.add(POINTS_REFERENCE, format!("ref {} found", names.join(", ")));
        } else {
            let exact = exact_invoice_sets(amount, &invoices, settings);
            match exact.as_slice() {
                [only] => {
                    allocations = only.iter().map(|inv| (inv.key, inv.remaining)).collect();
                    tally.add(POINTS_EXACT, format!("exact {}", amount.to_french()));
                    tally.add(
                        POINTS_UNIQUE,
                        if only.len() == 1 {
                            format!("only invoice of this amount ({})", only[0].number)
                        } else {
                            format!("only set of {} invoices of this amount", only.len())
                        },
                    );
                }
                [first, ..] => {
                    allocations = first.iter().map(|inv| (inv.key, inv.remaining)).collect();
                    tally.add(
                        POINTS_EXACT,
                        format!("exact {} ({} ways)", amount.to_french(), exact.len()),
                    );
                }
                [] => {
                    allocations = oldest_first(amount, &invoices);
                    payment_amount_points(
                        &mut tally,
                        amount,
                        sum_remaining(&invoices),
                        settings.tolerance,
                    );
                }
            }
        }
        party_points(&mut tally, recognised, index, &party.code);
        let allocated = Amount::checked_sum(allocations.iter().map(|(_, a)| *a));
        any_exact |= allocated == Some(amount);
        out.push(Candidate {
            proposal: Proposal::Payment {
                party: party.code.clone(),
                allocations,
            },
            score: tally.score(),
            reason: tally.reason(),
            rule_min_score: None,
        });
    }
    any_exact
}

fn sum_remaining(invoices: &[&OpenInvoiceView]) -> Option<Amount> {
    Amount::checked_sum(invoices.iter().map(|inv| inv.remaining))
}

fn payment_amount_points(tally: &mut Tally, amount: Amount, due: Option<Amount>, tol: Amount) {
    let Some(due) = due else {
        return;
    };
    let gap = (amount.cents() - due.cents()).abs();
    if gap == 0 {
        tally.add(POINTS_EXACT, format!("exact {}", amount.to_french()));
    } else if gap <= tol.cents().abs() {
        tally.add(
            POINTS_TOLERANCE,
            format!(
                "{} off by {}",
                due.to_french(),
                Amount::from_cents(gap).to_french()
            ),
        );
    } else if amount < due {
        tally.add(
            0,
            format!("pays {} of {} due", amount.to_french(), due.to_french()),
        );
    } else {
        tally.add(
            0,
            format!("{} over the {} due", amount.to_french(), due.to_french()),
        );
    }
}

/// Allocation of `amount` to invoices in the order given (oldest first): each takes what is
/// due on it until the amount runs out. What exceeds their total stays unallocated.
pub fn oldest_first(amount: Amount, invoices: &[&OpenInvoiceView]) -> Vec<(u64, Amount)> {
    let mut left = amount.cents().max(0);
    let mut out = Vec::new();
    for invoice in invoices {
        if left == 0 {
            break;
        }
        let take = invoice.remaining.cents().min(left);
        if take > 0 {
            out.push((invoice.key, Amount::from_cents(take)));
            left -= take;
        }
    }
    out
}

/// Single invoices, then sets, whose remaining amounts make `amount` exactly (at most two
/// found are enough to know it is not unique).
fn exact_invoice_sets<'a>(
    amount: Amount,
    invoices: &[&'a OpenInvoiceView],
    settings: &Reconciliation,
) -> Vec<Vec<&'a OpenInvoiceView>> {
    let singles: Vec<Vec<&OpenInvoiceView>> = invoices
        .iter()
        .filter(|inv| inv.remaining == amount)
        .take(2)
        .map(|inv| vec![*inv])
        .collect();
    if !singles.is_empty() || settings.max_set_size < 2 {
        return singles;
    }
    let items: Vec<Item> = invoices
        .iter()
        .enumerate()
        .take(settings.max_set_items as usize)
        .map(|(k, inv)| Item {
            key: k as u64,
            date: inv.due_date.unwrap_or(inv.date),
            amount: inv.remaining,
            references: Vec::new(),
        })
        .chain(std::iter::once(Item {
            key: u64::MAX,
            date: NaiveDate::MAX,
            amount: Amount::from_cents(-amount.cents()),
            references: Vec::new(),
        }))
        .collect();
    let match_settings = MatchSettings {
        tolerance: Amount::ZERO,
        pair_window_days: i64::MAX,
        max_items: settings.max_set_items as usize,
        max_set_size: settings.max_set_size as usize + 1,
        work_budget: SET_WORK_BUDGET,
        top: 2,
    };
    matching::suggest(&items, Some(u64::MAX), &match_settings)
        .suggestions
        .into_iter()
        .filter(|s| s.is_exact())
        .map(|s| {
            s.keys
                .iter()
                .filter(|&&k| k != u64::MAX)
                .map(|&k| invoices[k as usize])
                .collect::<Vec<_>>()
        })
        .filter(|set| set.len() >= 2)
        .take(2)
        .collect()
}

/// Rules whose every condition holds for the line.
fn rule_candidates(line: &BankLineView, rules: &Rules) -> Vec<Candidate> {
    let mut out = Vec::new();
    if rules.rules.is_empty() {
        return out;
    }
    let searched = match &line.remittance {
        Some(remittance) => format!("{} {remittance}", line.label),
        None => line.label.clone(),
    };
    let words = normalize_text(&searched);
    for (rule, regex) in &rules.rules {
        if let Some(tally) = rule_tally(line, rule, regex.as_ref(), &searched, &words) {
            out.push(Candidate {
                proposal: Proposal::Rule {
                    rule: rule.name.clone(),
                    post_to: rule.post_to.clone(),
                    tax: rule.tax.clone(),
                    party: rule.party.clone(),
                    label: render_label(&rule.label, line, &rule.name),
                },
                score: tally.score(),
                reason: tally.reason(),
                rule_min_score: rule.min_score,
            });
        }
    }
    out
}

fn rule_tally(
    line: &BankLineView,
    rule: &ReconciliationRule,
    regex: Option<&regex::Regex>,
    searched: &str,
    words: &str,
) -> Option<Tally> {
    let mut tally = Tally::default();
    tally.add(RULE_BASE, format!("rule {}", rule.name));
    if let Some(account) = &rule.account
        && *account != line.account
    {
        return None;
    }
    if let Some(text) = &rule.label_contains {
        let needle = normalize_text(text);
        if !words.contains(needle.trim()) {
            return None;
        }
        tally.add(RULE_LABEL, format!("label contains \"{}\"", text.trim()));
    }
    if let Some(regex) = regex {
        if !regex.is_match(searched) {
            return None;
        }
        tally.add(RULE_LABEL, format!("label matches /{}/", regex.as_str()));
    }
    if let Some(iban) = &rule.counterparty_iban {
        let wanted = normalize_iban(iban);
        if line.counterparty_iban.as_deref().map(normalize_iban) != Some(wanted) {
            return None;
        }
        tally.add(RULE_IBAN, "IBAN matches");
    }
    let abs = line.amount.abs();
    if rule.amount_min.is_some() || rule.amount_max.is_some() {
        if rule.amount_min.is_some_and(|min| abs < min)
            || rule.amount_max.is_some_and(|max| abs > max)
        {
            return None;
        }
        let show = |a: Option<Amount>| a.map(|a| a.to_french()).unwrap_or_else(|| "…".into());
        tally.add(
            RULE_AMOUNT,
            format!(
                "amount in [{}; {}]",
                show(rule.amount_min),
                show(rule.amount_max)
            ),
        );
    }
    if let Some(sign) = rule.sign {
        let holds = match sign {
            BankSign::In => line.amount.is_positive(),
            BankSign::Out => line.amount.is_negative(),
        };
        if !holds {
            return None;
        }
        tally.add(
            RULE_SIGN,
            match sign {
                BankSign::In => "money in",
                BankSign::Out => "money out",
            },
        );
    }
    Some(tally)
}

/// A rule's label template filled from the bank line.
pub fn render_label(template: &str, line: &BankLineView, rule: &str) -> String {
    let fields = [
        ("{label}", line.label.clone()),
        ("{date}", line.booking_date.to_string()),
        ("{amount}", line.amount.abs().to_plain()),
        ("{reference}", line.reference.clone().unwrap_or_default()),
        (
            "{counterparty}",
            line.counterparty_name.clone().unwrap_or_default(),
        ),
        ("{rule}", rule.to_string()),
    ];
    let mut out = String::with_capacity(template.len() + line.label.len());
    let mut rest = template;
    'outer: while !rest.is_empty() {
        for (name, value) in &fields {
            if let Some(tail) = rest.strip_prefix(name) {
                out.push_str(value);
                rest = tail;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        rule.to_string()
    } else {
        trimmed.to_string()
    }
}

/// What `bank match` does with one bank line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub line: u64,
    pub candidate: Candidate,
}

/// Why a bank line is left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// No candidate reaches the score.
    BelowScore { best: Option<u8> },
    /// Two candidates share the best score.
    Ambiguous { score: u8 },
    /// The best candidate's book lines or invoices went to another bank line.
    Taken,
}

/// The automatic matching of many bank lines: which candidate each gets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// In the order bank lines were given.
    pub applied: Vec<Planned>,
    pub skipped: Vec<(u64, Skipped)>,
}

/// Plans `bank match`: for each bank line its best candidate when it reaches `min_score`
/// (and a rule's own minimum), is strictly better than the next one, and uses no book line
/// nor invoice amount another applied candidate uses. Lines are served by score, then in the
/// order given, so a strong match is never lost to a weak one. No book line is used twice;
/// each set applied sums exactly (within the tolerance for a single line).
pub fn plan(
    lines: &[BankLineView],
    index: &Index,
    rules: &Rules,
    settings: &Reconciliation,
    min_score: u8,
) -> Plan {
    let mut best: Vec<(usize, Candidate)> = Vec::new();
    let mut skipped: Vec<(usize, Skipped)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let found = candidates(line, index, rules, settings);
        let Some(first) = found.first() else {
            skipped.push((i, Skipped::BelowScore { best: None }));
            continue;
        };
        let needed = min_score.max(first.rule_min_score.unwrap_or(0));
        if first.score < needed {
            skipped.push((
                i,
                Skipped::BelowScore {
                    best: Some(first.score),
                },
            ));
        } else if found
            .get(1)
            .is_some_and(|second| second.score == first.score)
        {
            skipped.push((i, Skipped::Ambiguous { score: first.score }));
        } else {
            best.push((i, first.clone()));
        }
    }
    best.sort_by(|a, b| b.1.score.cmp(&a.1.score).then(a.0.cmp(&b.0)));
    let mut used_book: BTreeSet<u64> = BTreeSet::new();
    let mut used_due: HashMap<u64, i64> = HashMap::new();
    let mut used_rejections: BTreeSet<u64> = BTreeSet::new();
    let mut applied: Vec<(usize, Candidate)> = Vec::new();
    for (i, candidate) in best {
        let free = match &candidate.proposal {
            Proposal::BookLines { keys } => keys.iter().all(|k| !used_book.contains(k)),
            Proposal::Payment { allocations, .. } => allocations.iter().all(|(doc, amount)| {
                let due = index
                    .invoices
                    .iter()
                    .find(|inv| inv.key == *doc)
                    .map_or(0, |inv| inv.remaining.cents());
                used_due.get(doc).copied().unwrap_or(0) + amount.cents() <= due
            }),
            Proposal::Rule { .. } => true,
            // One bank line returns one collection.
            Proposal::Rejection { payment, .. } => !used_rejections.contains(payment),
        };
        if !free {
            skipped.push((i, Skipped::Taken));
            continue;
        }
        match &candidate.proposal {
            Proposal::BookLines { keys } => used_book.extend(keys.iter().copied()),
            Proposal::Payment { allocations, .. } => {
                for (doc, amount) in allocations {
                    *used_due.entry(*doc).or_default() += amount.cents();
                }
            }
            Proposal::Rule { .. } => {}
            Proposal::Rejection { payment, .. } => {
                used_rejections.insert(*payment);
            }
        }
        applied.push((i, candidate));
    }
    applied.sort_by_key(|(i, _)| *i);
    skipped.sort_by_key(|(i, _)| *i);
    Plan {
        applied: applied
            .into_iter()
            .map(|(i, candidate)| Planned {
                line: lines[i].key,
                candidate,
            })
            .collect(),
        skipped: skipped
            .into_iter()
            .map(|(i, why)| (lines[i].key, why))
            .collect(),
    }
}

/// The party a bank line comes from or goes to, for a payment made from it: by IBAN, then
/// name, then a document number; `None` when nothing or several parties equally.
pub fn recognised_party(line: &BankLineView, index: &Index) -> Option<(String, Recognition)> {
    let text = BankText::of(line);
    let found = recognise(line, &text, index);
    let best = found.iter().map(|(_, how)| *how).min()?;
    let mut with_best = found.iter().filter(|(_, how)| *how == best);
    let (pos, how) = with_best.next()?;
    if with_best.any(|(p, _)| p != pos) {
        return None;
    }
    Some((index.parties[*pos as usize].code.clone(), *how))
}
