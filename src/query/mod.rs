//! The query language of the `/` filter, the same on every list.
//!
//! Terms are separated by spaces and all must match (AND):
//!
//! - a plain word matches the row's text fields, ignoring case and French accents;
//! - `acct:411` an account number starting with 411;
//! - `party:vernet` a third party whose code or name contains `vernet`;
//! - `journal:VE` the journal VE;
//! - `amt:1200` an amount equal to 1 200,00 (`1200`, `1200.00`, `1 200,00` are the same);
//!   `amt:>500`, `amt:<500`, `amt:>=500`, `amt:<=500` compare;
//! - `date:2026-10` (a month), `date:2026` (a calendar year), `date:2026-10-05` (a day),
//!   `date:2026-10-01..2026-10-15` (a range, either end may be left out);
//! - `status:draft`, `status:validated`;
//! - `open`: an open item (what is still due);
//! - `not:TERM` negates a term; `a|b` after a field matches either value (`status:draft|validated`,
//!   `journal:VE|AC`); `"two words"` keeps a space inside a term.
//!
//! A malformed term is an error naming the term, never a silent no-match. Each list says which
//! fields its rows have (`Field`); a term on a field the list does not have is an error too.
//!
//! Pure: data in, data out (model types only).

pub mod period;

use std::borrow::Cow;
use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::model::calendar::{Period, parse_date};
use crate::model::{Amount, EntryStatus};

/// Folds case and the accents of French text (`É` and `é` match `e`).
pub fn fold(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' => 'i',
        'ô' | 'ö' | 'ó' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        'œ' => 'o',
        other => other,
    }
}

/// The folded form of a text (lowercase, accent-free).
pub fn folded(text: &str) -> String {
    text.chars().map(fold).collect()
}

/// The query language in short, for the help: an example and what it matches.
pub const SYNTAX: &[(&str, &str)] = &[
    (
        "loyer réparation",
        "Words in the text (all of them; case, accents ignored)",
    ),
    ("acct:411", "An account number starting with 411"),
    ("party:vernet", "A third party's code or name"),
    ("journal:VE", "The journal VE"),
    (
        "amt:1200 amt:>500",
        "Amount = 1 200,00 (any spelling); > < >= <=",
    ),
    ("date:2026-10", "A month; date:2026, a day, or date:A..B"),
    (
        "status:draft|validated",
        "Drafts or validated; | gives alternatives",
    ),
    ("open", "Open items (documents still due)"),
    ("not:acct:6", "The term negated"),
    ("\"a b\"", "Quoted: plain text, with spaces or a colon"),
];

/// A field a row can have, other than its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Account,
    Party,
    Journal,
    Amount,
    Date,
    Status,
    Open,
}

impl Field {
    /// How the field is written in a query.
    pub fn name(self) -> &'static str {
        match self {
            Field::Account => "acct:",
            Field::Party => "party:",
            Field::Journal => "journal:",
            Field::Amount => "amt:",
            Field::Date => "date:",
            Field::Status => "status:",
            Field::Open => "open",
        }
    }
}

/// What a row shows, for the query to match. Missing fields are empty.
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    /// Account numbers (an entry has one per line).
    pub accounts: Vec<&'a str>,
    /// Third parties: codes and names.
    pub parties: Vec<&'a str>,
    pub journal: Option<&'a str>,
    /// The amounts the list shows for the row.
    pub amounts: Vec<Amount>,
    pub date: Option<NaiveDate>,
    pub status: Option<EntryStatus>,
    /// Whether the row is an open item, when the list knows.
    pub open: Option<bool>,
    /// Text fields for plain words.
    pub text: Vec<&'a str>,
}

/// An amount comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds(self, value: Amount, wanted: Amount) -> bool {
        match self {
            Cmp::Eq => value == wanted,
            Cmp::Lt => value < wanted,
            Cmp::Le => value <= wanted,
            Cmp::Gt => value > wanted,
            Cmp::Ge => value >= wanted,
        }
    }
}

/// One alternative of a term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    /// A folded word inside the text fields.
    Text(String),
    /// An account number prefix.
    Account(String),
    /// A folded text inside a party's code or name.
    Party(String),
    /// A journal code, uppercase.
    Journal(String),
    Amount(Cmp, Amount),
    /// Dates between two bounds, both included.
    Date(Option<NaiveDate>, Option<NaiveDate>),
    Status(EntryStatus),
    Open,
}

impl Test {
    fn field(&self) -> Option<Field> {
        Some(match self {
            Test::Text(_) => return None,
            Test::Account(_) => Field::Account,
            Test::Party(_) => Field::Party,
            Test::Journal(_) => Field::Journal,
            Test::Amount(..) => Field::Amount,
            Test::Date(..) => Field::Date,
            Test::Status(_) => Field::Status,
            Test::Open => Field::Open,
        })
    }

    fn matches(&self, row: &Fields, text: &mut Option<Cow<'_, str>>) -> bool {
        match self {
            Test::Text(word) => {
                let hay = text.get_or_insert_with(|| Cow::Owned(folded(&row.text.join(" "))));
                hay.contains(word.as_str())
            }
            Test::Account(prefix) => row.accounts.iter().any(|a| a.starts_with(prefix.as_str())),
            Test::Party(needle) => row
                .parties
                .iter()
                .any(|p| folded(p).contains(needle.as_str())),
            Test::Journal(code) => row.journal.is_some_and(|j| j.eq_ignore_ascii_case(code)),
            Test::Amount(cmp, wanted) => row.amounts.iter().any(|a| cmp.holds(*a, *wanted)),
            Test::Date(from, to) => row
                .date
                .is_some_and(|d| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t)),
            Test::Status(status) => row.status == Some(*status),
            Test::Open => row.open == Some(true),
        }
    }
}

/// A term: alternatives (any matches), maybe negated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub negated: bool,
    pub any_of: Vec<Test>,
}

/// A parsed query: every term must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub terms: Vec<Term>,
}

/// Why a query cannot be read, naming the term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub term: String,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.term, self.message)
    }
}

impl std::error::Error for QueryError {}

/// The longest query read (characters): a filter is typed by hand.
pub const MAX_QUERY_CHARS: usize = 1_000;

impl Query {
    /// Reads a query. An empty text is the query that matches everything.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError {
                term: text.chars().take(20).collect::<String>() + "…",
                message: format!("a query is at most {MAX_QUERY_CHARS} characters"),
            });
        }
        let terms = words(text)
            .into_iter()
            .map(|word| match word.strip_prefix('"') {
                Some(quoted) => Ok(Term {
                    negated: false,
                    any_of: vec![Test::Text(folded(quoted))],
                }),
                None => term(&word),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Query { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The first field the query asks for that is not in `known`.
    pub fn unknown_field(&self, known: &[Field]) -> Option<Field> {
        self.terms
            .iter()
            .flat_map(|t| &t.any_of)
            .filter_map(Test::field)
            .find(|f| !known.contains(f))
    }

    /// Whether a row matches every term.
    pub fn matches(&self, row: &Fields) -> bool {
        self.matches_with(row, None)
    }

    /// Like `matches`, with the row's text already folded (`folded`), as lists cache it.
    pub fn matches_folded(&self, row: &Fields, folded: &str) -> bool {
        self.matches_with(row, Some(Cow::Borrowed(folded)))
    }

    fn matches_with(&self, row: &Fields, mut text: Option<Cow<'_, str>>) -> bool {
        self.terms
            .iter()
            .all(|t| t.any_of.iter().any(|test| test.matches(row, &mut text)) != t.negated)
    }
}

/// Splits a query into words: spaces separate them, except inside double quotes and between the
/// digit groups of an amount (`amt:1 200,00`). A word that began with a quote keeps a leading
/// `"` (it is text, whatever it holds).
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut had_quote = false;
    for c in text.chars() {
        match c {
            '"' => {
                if current.is_empty() && !had_quote {
                    current.push('"');
                }
                quoted = !quoted;
                had_quote = true;
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() || had_quote {
                    out.push(std::mem::take(&mut current));
                }
                had_quote = false;
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() || had_quote {
        out.push(current);
    }
    join_digit_groups(out)
}

/// `amt:1` `200,00` → `amt:1 200,00`: a group of three digits (maybe with decimals) after an
/// amount term continues it, the way French amounts are written.
fn join_digit_groups(words: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let continues = is_digit_group(&word)
            && out.last().is_some_and(|last| {
                let value = last
                    .strip_prefix("not:")
                    .unwrap_or(last)
                    .strip_prefix("amt:")
                    .map(|v| v.trim_start_matches(['<', '>', '=']));
                value.is_some_and(|v| {
                    !v.is_empty()
                        && !v.contains([',', '.'])
                        && v.chars()
                            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
                })
            });
        match out.last_mut() {
            Some(last) if continues => {
                last.push(' ');
                last.push_str(&word);
            }
            _ => out.push(word),
        }
    }
    out
}

fn is_digit_group(word: &str) -> bool {
    let (int, decimals) = match word.split_once([',', '.']) {
        Some((int, dec)) => (int, Some(dec)),
        None => (word, None),
    };
    int.len() == 3
        && int.chars().all(|c| c.is_ascii_digit())
        && decimals
            .is_none_or(|d| (1..=2).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()))
}

fn error(term: &str, message: impl Into<String>) -> QueryError {
    QueryError {
        term: term.to_string(),
        message: message.into(),
    }
}

/// Reads one word of a query.
fn term(word: &str) -> Result<Term, QueryError> {
    let (negated, rest) = match word.strip_prefix("not:") {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    if rest.is_empty() {
        return Err(error(word, "`not:` needs a term after it (not:acct:6)"));
    }
    if rest.eq_ignore_ascii_case("open") {
        return Ok(Term {
            negated,
            any_of: vec![Test::Open],
        });
    }
    let Some((field, value)) = rest.split_once(':').filter(|(f, _)| is_field_name(f)) else {
        return Ok(Term {
            negated,
            any_of: vec![Test::Text(folded(rest))],
        });
    };
    let field = field.to_ascii_lowercase();
    if value.is_empty() {
        return Err(error(word, format!("`{field}:` needs a value")));
    }
    let any_of = value
        .split('|')
        .map(|v| test(&field, v.trim(), word))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Term { negated, any_of })
}

/// Field names: a word of letters before `:` is read as a field (an unknown one is an error,
/// so a typo is not a silent no-match); quote the word to search it as text.
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic())
}

fn test(field: &str, value: &str, word: &str) -> Result<Test, QueryError> {
    if value.is_empty() {
        return Err(error(word, "an empty value between `|`"));
    }
    Ok(match field {
        "acct" | "account" => {
            if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(error(
                    word,
                    "an account number is digits (and letters for third parties)",
                ));
            }
            Test::Account(value.to_ascii_uppercase())
        }
        "party" => Test::Party(folded(value)),
        "journal" | "jnl" => {
            if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(error(word, "a journal code is letters and digits (VE, AC)"));
            }
            Test::Journal(value.to_ascii_uppercase())
        }
        "amt" | "amount" => amount_test(value, word)?,
        "date" => {
            let (from, to) = date_range(value).map_err(|m| error(word, m))?;
            Test::Date(from, to)
        }
        "status" => match value.to_ascii_lowercase().as_str() {
            "draft" | "drafts" => Test::Status(EntryStatus::Draft),
            "validated" | "valid" => Test::Status(EntryStatus::Validated),
            _ => return Err(error(word, "status is draft or validated")),
        },
        other => {
            return Err(error(
                word,
                format!(
                    "no field `{other}:` (acct: party: journal: amt: date: status: not:, \
                     open; quote a word to search it as text)"
                ),
            ));
        }
    })
}

fn amount_test(value: &str, word: &str) -> Result<Test, QueryError> {
    let (cmp, number) = if let Some(n) = value.strip_prefix(">=") {
        (Cmp::Ge, n)
    } else if let Some(n) = value.strip_prefix("<=") {
        (Cmp::Le, n)
    } else if let Some(n) = value.strip_prefix('>') {
        (Cmp::Gt, n)
    } else if let Some(n) = value.strip_prefix('<') {
        (Cmp::Lt, n)
    } else if let Some(n) = value.strip_prefix('=') {
        (Cmp::Eq, n)
    } else {
        (Cmp::Eq, value)
    };
    let amount = Amount::parse(number).map_err(|e| error(word, format!("not an amount: {e}")))?;
    Ok(Test::Amount(cmp, amount))
}

/// `2026`, `2026-10`, `2026-10-05`, `05/10/2026`, or two of them around `..`.
fn date_range(value: &str) -> Result<(Option<NaiveDate>, Option<NaiveDate>), String> {
    if let Some((a, b)) = value.split_once("..") {
        let from = match a.trim() {
            "" => None,
            a => Some(date_span(a)?.0),
        };
        let to = match b.trim() {
            "" => None,
            b => Some(date_span(b)?.1),
        };
        if from.is_none() && to.is_none() {
            return Err("a range needs at least one date (2026-10-01..)".into());
        }
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(format!("{f} is after {t}"));
        }
        return Ok((from, to));
    }
    let (from, to) = date_span(value)?;
    Ok((Some(from), Some(to)))
}

/// The first and last day a date text covers.
fn date_span(text: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let bad = || format!("`{text}` is not a date (2026, 2026-10, 2026-10-05 or 05/10/2026)");
    if text.len() == 4 && text.chars().all(|c| c.is_ascii_digit()) {
        let year: i32 = text.parse().map_err(|_| bad())?;
        let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?;
        let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(bad)?;
        return Ok((first, last));
    }
    if text.len() == 7 {
        let period = Period::parse(text).ok_or_else(bad)?;
        return Ok((period.first_day(), period.last_day()));
    }
    let day = parse_date(text).ok_or_else(bad)?;
    // chrono accepts years far outside any ledger; keep to four digits.
    if !(1..=9999).contains(&day.year()) {
        return Err(bad());
    }
    Ok((day, day))
}

#[cfg(test)]
mod tests;
