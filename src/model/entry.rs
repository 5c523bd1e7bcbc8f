//! Accounting entries and their lines.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::account::AccountNumber;
use super::money::Amount;

/// Longest entry accepted: more lines than this is almost surely an import mistake.
pub const MAX_LINES_PER_ENTRY: usize = 10_000;
/// Longest text field (label, piece) kept; longer text is refused.
pub const MAX_TEXT_CHARS: usize = 200;

/// Database identity of an entry, given at creation, never reused.
pub type EntryId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryStatus {
    Draft,
    Validated,
}

impl EntryStatus {
    pub fn name(self) -> &'static str {
        match self {
            EntryStatus::Draft => "draft",
            EntryStatus::Validated => "validated",
        }
    }
}

/// One side of a line: exactly one of debit or credit, positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Debit,
    Credit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub account: AccountNumber,
    pub third_party: Option<String>,
    pub label: String,
    pub debit: Amount,
    pub credit: Amount,
}

impl Line {
    pub fn debit(account: AccountNumber, amount: Amount) -> Self {
        Line {
            account,
            third_party: None,
            label: String::new(),
            debit: amount,
            credit: Amount::ZERO,
        }
    }

    pub fn credit(account: AccountNumber, amount: Amount) -> Self {
        Line {
            account,
            third_party: None,
            label: String::new(),
            debit: Amount::ZERO,
            credit: amount,
        }
    }

    pub fn with_party(mut self, party: Option<String>) -> Self {
        self.third_party = party;
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Debit minus credit.
    pub fn signed(&self) -> Amount {
        self.debit - self.credit
    }

    pub fn side(&self) -> Side {
        if self.debit.is_zero() {
            Side::Credit
        } else {
            Side::Debit
        }
    }

    /// The same line on the other side, as a reversal writes it.
    pub fn reversed(&self) -> Line {
        Line {
            debit: self.credit,
            credit: self.debit,
            ..self.clone()
        }
    }
}

/// What a user (or an importer) gives to create or edit an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryInput {
    pub journal: String,
    pub date: NaiveDate,
    pub piece: String,
    pub label: String,
    pub lines: Vec<Line>,
}

/// A stored entry. Once validated its content never changes: lettering and reversal links live
/// in their own tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub journal: String,
    #[serde(serialize_with = "super::calendar::iso_date")]
    pub date: NaiveDate,
    pub piece: String,
    pub label: String,
    pub lines: Vec<Line>,
    pub status: EntryStatus,
    /// Given at validation: per journal and fiscal year, gapless.
    pub number: Option<EntryNumber>,
    #[serde(serialize_with = "super::calendar::iso_date_opt")]
    pub validated_on: Option<NaiveDate>,
    /// Global validation order, for the FEC.
    pub validation_seq: Option<u64>,
    /// The entry this one reverses.
    pub reversal_of: Option<EntryId>,
    /// The document the posting engine generated this entry from; none for manual entries.
    pub source: Option<String>,
    pub created_by: String,
    /// Bumped by every change of a draft, so that a save against an older copy is refused
    /// instead of silently overwriting someone else's change. Entries written before
    /// revisions existed read as 0. It stays the last field: postcard has no field names, and
    /// such an entry's bytes end where it would start.
    #[serde(default, deserialize_with = "revision_or_zero")]
    pub revision: u64,
}

/// Reads the revision, or 0 when the stored entry ends before it (written by an older Folio).
fn revision_or_zero<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(u64::deserialize(deserializer).unwrap_or(0))
}

impl Entry {
    pub fn total_debit(&self) -> Amount {
        self.lines.iter().map(|l| l.debit).sum()
    }

    pub fn total_credit(&self) -> Amount {
        self.lines.iter().map(|l| l.credit).sum()
    }

    pub fn is_validated(&self) -> bool {
        self.status == EntryStatus::Validated
    }

    /// `VE2026-000123` once validated, `#42` (the id) for a draft.
    pub fn reference(&self) -> String {
        match &self.number {
            Some(number) => number.to_string(),
            None => format!("#{}", self.id),
        }
    }

    /// The line's own label, or the entry's when the line has none.
    pub fn line_label<'a>(&'a self, line: &'a Line) -> &'a str {
        if line.label.is_empty() {
            &self.label
        } else {
            &line.label
        }
    }
}

/// A validated entry's number: journal, fiscal year name and sequence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntryNumber {
    pub journal: String,
    pub year: String,
    pub seq: u64,
}

impl fmt::Display for EntryNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}-{:06}", self.journal, self.year, self.seq)
    }
}

impl EntryNumber {
    /// Parses `VE2026-000123`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (head, seq) = text.rsplit_once('-')?;
        let seq: u64 = seq.parse().ok()?;
        if head.len() < 5 {
            return None;
        }
        let (journal, year) = head.split_at(head.len() - 4);
        if journal.is_empty() || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(EntryNumber {
            journal: journal.to_ascii_uppercase(),
            year: year.to_string(),
            seq,
        })
    }
}

/// A rule of DESIGN.md section 3 that an entry breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryRuleError {
    #[error("an entry needs at least 2 lines, this one has {0}")]
    TooFewLines(usize),
    #[error("an entry has at most {MAX_LINES_PER_ENTRY} lines, this one has {0}")]
    TooManyLines(usize),
    #[error("line {line}: exactly one of debit or credit must be filled, and positive")]
    BadSides { line: usize },
    #[error("entry is unbalanced: debit {debit}, credit {credit} (difference {difference})")]
    Unbalanced {
        debit: Amount,
        credit: Amount,
        difference: Amount,
    },
    #[error("{field} is longer than {MAX_TEXT_CHARS} characters")]
    TextTooLong { field: &'static str },
    #[error("line {line}: the entry's total {side} would exceed {}", Amount::MAX)]
    TotalTooLarge { side: &'static str, line: usize },
}

/// Checks the shape rules of an entry: line count, sides, balance, text lengths.
pub fn check_lines(lines: &[Line]) -> Result<(), EntryRuleError> {
    if lines.len() < 2 {
        return Err(EntryRuleError::TooFewLines(lines.len()));
    }
    if lines.len() > MAX_LINES_PER_ENTRY {
        return Err(EntryRuleError::TooManyLines(lines.len()));
    }
    for (i, line) in lines.iter().enumerate() {
        let one_side = (line.debit.is_positive() && line.credit.is_zero())
            || (line.credit.is_positive() && line.debit.is_zero());
        if !one_side {
            return Err(EntryRuleError::BadSides { line: i + 1 });
        }
        if line.label.chars().count() > MAX_TEXT_CHARS {
            return Err(EntryRuleError::TextTooLong {
                field: "line label",
            });
        }
    }
    let debit = checked_total(lines, "debit", |l| l.debit)?;
    let credit = checked_total(lines, "credit", |l| l.credit)?;
    if debit != credit {
        return Err(EntryRuleError::Unbalanced {
            debit,
            credit,
            // Both totals are within ±Amount::MAX, so their difference fits.
            difference: Amount::from_cents(debit.cents().saturating_sub(credit.cents())),
        });
    }
    Ok(())
}

/// The sum of one side of `lines`, refused at the line where it would pass `Amount::MAX`.
fn checked_total(
    lines: &[Line],
    side: &'static str,
    amount: impl Fn(&Line) -> Amount,
) -> Result<Amount, EntryRuleError> {
    let mut total = Amount::ZERO;
    for (i, line) in lines.iter().enumerate() {
        total = total
            .checked_add(amount(line))
            .filter(|t| t.abs() <= Amount::MAX)
            .ok_or(EntryRuleError::TotalTooLarge { side, line: i + 1 })?;
    }
    Ok(total)
}

/// Checks the texts and lines of a stored entry: what `EntryInput::check` checked before it
/// was written.
pub fn check_entry(entry: &Entry) -> Result<(), EntryRuleError> {
    check_texts(&entry.piece, &entry.label)?;
    check_lines(&entry.lines)
}

fn check_texts(piece: &str, label: &str) -> Result<(), EntryRuleError> {
    for (field, text) in [("piece", piece), ("label", label)] {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(EntryRuleError::TextTooLong { field });
        }
    }
    Ok(())
}

impl EntryInput {
    pub fn check(&self) -> Result<(), EntryRuleError> {
        check_texts(&self.piece, &self.label)?;
        check_lines(&self.lines)
    }
}

/// Removes control and bidirectional-override characters from text coming from outside, and
/// trims it, so that no imported label can move a terminal's cursor or reorder what it shows.
pub fn sanitize_text(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c == '\t' || c == '\n' || c == '\r' {
                ' '
            } else {
                c
            }
        })
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    cleaned.trim().to_string()
}

pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn acc(n: &str) -> AccountNumber {
        AccountNumber::parse(n).unwrap()
    }

    #[test]
    fn numbers_print_and_parse() {
        let number = EntryNumber {
            journal: "VE".into(),
            year: "2026".into(),
            seq: 123,
        };
        assert_eq!(number.to_string(), "VE2026-000123");
        assert_eq!(EntryNumber::parse("VE2026-000123"), Some(number));
        assert_eq!(EntryNumber::parse("ve2026-7").unwrap().journal, "VE");
        assert_eq!(EntryNumber::parse("2026-1"), None);
        assert_eq!(EntryNumber::parse("VE26-1"), None);
    }

    #[test]
    fn shape_rules() {
        let a = Amount::from_cents(100);
        assert_eq!(
            check_lines(&[Line::debit(acc("6"), a)]),
            Err(EntryRuleError::TooFewLines(1))
        );
        assert!(matches!(
            check_lines(&[Line::debit(acc("6"), a), Line::credit(acc("4"), a + a)]),
            Err(EntryRuleError::Unbalanced { .. })
        ));
        let mut both = Line::debit(acc("6"), a);
        both.credit = a;
        assert_eq!(
            check_lines(&[both, Line::credit(acc("4"), a)]),
            Err(EntryRuleError::BadSides { line: 1 })
        );
        assert_eq!(
            check_lines(&[Line::debit(acc("6"), -a), Line::credit(acc("4"), -a)]),
            Err(EntryRuleError::BadSides { line: 1 })
        );
        assert!(check_lines(&[Line::debit(acc("6"), a), Line::credit(acc("4"), a)]).is_ok());
    }

    #[test]
    fn an_entry_stored_before_revisions_reads_as_revision_zero() {
        /// An entry as Folio stored it before drafts had revisions.
        #[derive(Serialize)]
        struct EntryWithoutRevision {
            id: EntryId,
            journal: String,
            date: NaiveDate,
            piece: String,
            label: String,
            lines: Vec<Line>,
            status: EntryStatus,
            number: Option<EntryNumber>,
            validated_on: Option<NaiveDate>,
            validation_seq: Option<u64>,
            reversal_of: Option<EntryId>,
            source: Option<String>,
            created_by: String,
        }
        let a = Amount::from_cents(12_345);
        let old = EntryWithoutRevision {
            id: 7,
            journal: "OD".into(),
            date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            piece: "P1".into(),
            label: "Loyer".into(),
            lines: vec![Line::debit(acc("613"), a), Line::credit(acc("512"), a)],
            status: EntryStatus::Draft,
            number: None,
            validated_on: None,
            validation_seq: None,
            reversal_of: None,
            source: Some("document:3".into()),
            created_by: "alice".into(),
        };
        let bytes = postcard::to_allocvec(&old).unwrap();
        let entry: Entry = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(entry.revision, 0);
        assert_eq!(entry.created_by, "alice");
        assert_eq!(entry.source.as_deref(), Some("document:3"));
        assert_eq!(entry.total_debit(), a);
        // A current entry keeps its revision through a round trip.
        let current = Entry {
            revision: 5,
            ..entry
        };
        let bytes = postcard::to_allocvec(&current).unwrap();
        assert_eq!(postcard::from_bytes::<Entry>(&bytes).unwrap(), current);
    }

    #[test]
    fn a_total_beyond_the_largest_amount_is_refused_at_its_line() {
        let big = Amount::MAX;
        let mut lines = vec![Line::debit(acc("6"), big); 3];
        lines.push(Line::credit(acc("4"), big));
        assert_eq!(
            check_lines(&lines),
            Err(EntryRuleError::TotalTooLarge {
                side: "debit",
                line: 2
            })
        );
        // 9,300 lines of the largest amount: the sum that wrapped around i64 before.
        let mut many = vec![Line::debit(acc("6"), big); 4_650];
        many.extend(vec![Line::credit(acc("4"), big); 4_650]);
        assert_eq!(
            check_lines(&many),
            Err(EntryRuleError::TotalTooLarge {
                side: "debit",
                line: 2
            })
        );
        let half = Amount::from_cents(big.cents() / 2);
        assert!(
            check_lines(&[
                Line::debit(acc("6"), half),
                Line::debit(acc("6"), half),
                Line::credit(acc("4"), half + half),
            ])
            .is_ok()
        );
    }

    #[test]
    fn sanitizing_removes_controls_and_bidi() {
        assert_eq!(sanitize_text(" a\u{1b}[2Jb\u{202e}c\td "), "a[2Jbc d");
    }

    proptest! {
        #[test]
        fn reversing_lines_cancels_every_balance(
            amounts in proptest::collection::vec(1i64..1_000_000, 1..20)
        ) {
            let total: i64 = amounts.iter().sum();
            let mut lines: Vec<Line> = amounts
                .iter()
                .enumerate()
                .map(|(i, c)| Line::debit(acc(&format!("6{:02}", i)), Amount::from_cents(*c)))
                .collect();
            lines.push(Line::credit(acc("401"), Amount::from_cents(total)));
            prop_assert!(check_lines(&lines).is_ok());
            let reversed: Vec<Line> = lines.iter().map(Line::reversed).collect();
            prop_assert!(check_lines(&reversed).is_ok());
            for (original, reversal) in lines.iter().zip(&reversed) {
                prop_assert_eq!(original.signed() + reversal.signed(), Amount::ZERO);
            }
        }
    }
}
