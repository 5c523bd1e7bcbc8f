//! Export to hledger's journal format, one transaction per entry:
//!
//! ```text
//! 2026-01-05 * VE2026-000001 | Facture F2026-0001  ; piece:F2026-0001
//!     411000:CLUMEN        1200.00
//!     706000              -1000.00
//!     445710               -200.00
//! ```
//!
//! Account names are account numbers, with `:PARTY` for a line on a third party; amounts are
//! debit minus credit, in euros without a commodity symbol.

use std::io::{self, Write};

use crate::model::{Entry, sanitize_text};

/// Amounts are right-aligned in at least this many columns.
const AMOUNT_WIDTH: usize = 13;

/// The comment that opens an exported journal.
pub fn hledger_header() -> &'static str {
    "; Exported by Folio. Amounts in euros: debit positive, credit negative.\n\n"
}

/// Writes one entry as an hledger transaction followed by a blank line. Validated entries are
/// cleared (`*`), drafts pending (`!`).
pub fn write_hledger<W: Write>(w: &mut W, entry: &Entry) -> io::Result<()> {
    let mark = if entry.is_validated() { '*' } else { '!' };
    let mut description = entry.reference();
    let label = sanitize_text(&entry.label);
    if !label.is_empty() {
        description.push_str(" | ");
        description.push_str(&label);
    }
    // `;` would start a comment: the rest of the description would be lost.
    let description = one_line(&description).replace(';', ",");
    write!(w, "{} {mark} {description}", entry.date.format("%Y-%m-%d"))?;
    // In a tag value a comma ends the value.
    let piece = one_line(&entry.piece).replace(',', " ");
    if !piece.is_empty() {
        write!(w, "  ; piece:{piece}")?;
    }
    writeln!(w)?;

    let postings: Vec<(String, String)> = entry
        .lines
        .iter()
        .map(|line| {
            let mut name = account_name(line.account.as_str());
            if let Some(party) = &line.third_party {
                name.push(':');
                name.push_str(&account_name(party));
            }
            (name, line.signed().to_plain())
        })
        .collect();
    let name_width = postings
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(0);
    let amount_width = postings
        .iter()
        .map(|(_, amount)| amount.len())
        .max()
        .unwrap_or(0)
        .max(AMOUNT_WIDTH);
    for ((name, amount), line) in postings.iter().zip(&entry.lines) {
        write!(w, "    {name:<name_width$}  {amount:>amount_width$}")?;
        let line_label = one_line(&line.label);
        if !line_label.is_empty() && line_label != label {
            write!(w, "  ; {line_label}")?;
        }
        writeln!(w)?;
    }
    writeln!(w)
}

/// Sanitised text on one line (no newline, tab or control character).
fn one_line(text: &str) -> String {
    sanitize_text(text)
}

/// An account name part: two spaces or a tab would end it, `:` would split it, `;` would start a
/// comment. Numbers and party codes never contain these, but a name must not break the file.
fn account_name(text: &str) -> String {
    sanitize_text(text)
        .chars()
        .map(|c| match c {
            ' ' | ':' | ';' => '_',
            other => other,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::{AccountNumber, Amount, EntryNumber, EntryStatus, Line};
    use chrono::NaiveDate;

    fn sale() -> Entry {
        let acc = |n: &str| AccountNumber::parse(n).unwrap();
        Entry {
            id: 7,
            journal: "VE".into(),
            date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            piece: "F2026-0001".into(),
            label: "Facture F2026-0001".into(),
            lines: vec![
                Line::debit(acc("411"), Amount::from_cents(120_000))
                    .with_party(Some("CLUMEN".into())),
                Line::credit(acc("706"), Amount::from_cents(100_000)),
                Line::credit(acc("44571"), Amount::from_cents(20_000)),
            ],
            status: EntryStatus::Validated,
            number: Some(EntryNumber {
                journal: "VE".into(),
                year: "2026".into(),
                seq: 1,
            }),
            validated_on: NaiveDate::from_ymd_opt(2026, 1, 6),
            validation_seq: Some(1),
            reversal_of: None,
            source: None,
            created_by: "alice".into(),
            revision: 0,
        }
    }

    fn render(entry: &Entry) -> String {
        let mut out = Vec::new();
        write_hledger(&mut out, entry).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_validated_entry() {
        assert_eq!(
            render(&sale()),
            "2026-01-05 * VE2026-000001 | Facture F2026-0001  ; piece:F2026-0001\n\
             \x20   411000:CLUMEN        1200.00\n\
             \x20   706000              -1000.00\n\
             \x20   445710               -200.00\n\
             \n"
        );
    }

    #[test]
    fn a_draft_with_hostile_text() {
        let mut entry = sale();
        entry.status = EntryStatus::Draft;
        entry.number = None;
        entry.label = "Vente; remise\n(spéciale)\t".into();
        entry.piece = "A,B\nC".into();
        entry.lines[1].label = "Ligne ; à part".into();
        entry.lines[2].label = entry.label.clone();
        assert_eq!(
            render(&entry),
            "2026-01-05 ! #7 | Vente, remise (spéciale)  ; piece:A B C\n\
             \x20   411000:CLUMEN        1200.00\n\
             \x20   706000              -1000.00  ; Ligne ; à part\n\
             \x20   445710               -200.00\n\
             \n"
        );
    }

    #[test]
    fn no_piece_no_comment_and_wide_amounts() {
        let mut entry = sale();
        entry.piece = String::new();
        entry.label = String::new();
        entry.lines[0].debit = Amount::from_cents(123_456_789_012_345);
        let text = render(&entry);
        assert!(text.starts_with("2026-01-05 * VE2026-000001\n"));
        assert!(text.contains("    411000:CLUMEN  1234567890123.45\n"));
        assert!(hledger_header().starts_with("; "));
        assert!(hledger_header().contains("Folio"));
    }
}
