//! File formats Folio reads and writes. Pure: bytes in, values out (and back).
//!
//! Readers report problems as [`FormatError`]s that carry the file name they were given, the
//! 1-based physical line, the column (or `record`) and the reason, printed as
//! `file:line: field: reason`.

pub mod bank;
mod csv_lines;
pub mod documents_csv;
pub mod entries_csv;
pub mod fec;
pub mod hledger;
pub mod latin9;
pub mod pain008;
pub mod setup_csv;

/// A problem found in an imported file, located precisely enough to fix it in an editor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct FormatError {
    /// The file name the reader was given (as the user typed it).
    pub file: String,
    /// 1-based physical line number in the file.
    pub line: u64,
    /// The column name, or `record` for a whole-line problem.
    pub field: String,
    pub reason: String,
}

impl FormatError {
    pub fn new(file: &str, line: u64, field: impl Into<String>, reason: impl Into<String>) -> Self {
        FormatError {
            file: file.to_string(),
            line,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Cleans text read from a file with [`sanitize_text`], without allocating twice for the usual
/// case of plain printable ASCII with nothing to trim.
///
/// [`sanitize_text`]: crate::model::sanitize_text
pub(crate) fn clean_text(text: &str) -> String {
    let bytes = text.as_bytes();
    let plain = bytes.iter().all(|b| (0x20..0x7f).contains(b))
        && bytes.first().is_none_or(|b| *b != b' ')
        && bytes.last().is_none_or(|b| *b != b' ');
    if plain {
        text.to_owned()
    } else {
        crate::model::sanitize_text(text)
    }
}

/// [`clean_text`] into `out`, reusing its allocation.
pub(crate) fn clean_text_into(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    // Text that cleaning leaves as it is: no control or bidi character to drop, nothing to
    // trim (printable ASCII checked byte by byte, the rest char by char).
    let plain = if bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        bytes.first().is_none_or(|b| *b != b' ') && bytes.last().is_none_or(|b| *b != b' ')
    } else {
        text.chars()
            .all(|c| !c.is_control() && !crate::model::entry::is_bidi_control(c))
            && !text.starts_with(char::is_whitespace)
            && !text.ends_with(char::is_whitespace)
    };
    out.clear();
    if plain {
        out.push_str(text);
        return;
    }
    // What `sanitize_text` gives, written into `out`.
    for c in text.chars() {
        let c = if c == '\t' || c == '\n' || c == '\r' {
            ' '
        } else {
            c
        };
        if !c.is_control() && !crate::model::entry::is_bidi_control(c) {
            out.push(c);
        }
    }
    let end = out.trim_end().len();
    out.truncate(end);
    let start = out.len().saturating_sub(out.trim_start().len());
    out.drain(..start);
}

/// Appends `cents` as `1234.56` (or with `decimal_separator`), with no grouping.
pub(crate) fn push_amount(out: &mut Vec<u8>, amount: crate::model::Amount, decimal_separator: u8) {
    let cents = amount.cents();
    if cents < 0 {
        out.push(b'-');
    }
    let abs = cents.unsigned_abs();
    push_unsigned(out, abs / 100);
    out.push(decimal_separator);
    let fraction = (abs % 100) as u8;
    out.push(b'0' + fraction / 10);
    out.push(b'0' + fraction % 10);
}

fn push_unsigned(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Appends a date as `AAAAMMJJ`, or `AAAA-MM-JJ` when `dash` is true.
pub(crate) fn push_date(out: &mut Vec<u8>, date: chrono::NaiveDate, dash: bool) {
    use chrono::Datelike;
    let year = date.year();
    if (0..=9999).contains(&year) {
        let year = year as u32;
        for divisor in [1000, 100, 10, 1] {
            out.push(b'0' + (year / divisor % 10) as u8);
        }
    } else {
        // Out of the 4-digit range no file format can express it; write it as chrono does.
        out.extend_from_slice(year.to_string().as_bytes());
    }
    for part in [date.month(), date.day()] {
        if dash {
            out.push(b'-');
        }
        out.push(b'0' + (part / 10) as u8);
        out.push(b'0' + (part % 10) as u8);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::Amount;
    use chrono::NaiveDate;

    proptest::proptest! {
        /// Text cleaned into a reused buffer is what `sanitize_text` gives.
        #[test]
        fn clean_text_into_is_sanitize_text(
            text in "[ a-zA-Zé€\t\r\n\u{1}\u{85}\u{a0}\u{202e}\u{2066}\u{200f}\u{61c}\u{3000}]{0,12}",
        ) {
            let mut out = String::from("left over");
            clean_text_into(&mut out, &text);
            proptest::prop_assert_eq!(&out, &crate::model::sanitize_text(&text));
            proptest::prop_assert_eq!(clean_text(&text), out);
        }
    }

    #[test]
    fn error_prints_file_line_field_reason() {
        let err = FormatError::new("x.csv", 12, "debit", "must be positive");
        assert_eq!(err.to_string(), "x.csv:12: debit: must be positive");
    }

    #[test]
    fn amounts_and_dates_into_buffers() {
        let mut out = Vec::new();
        for cents in [0, 5, -5, 123_456, -100, 999_999_999_999_999] {
            out.clear();
            push_amount(&mut out, Amount::from_cents(cents), b',');
            assert_eq!(out, Amount::from_cents(cents).to_comma().as_bytes());
            out.clear();
            push_amount(&mut out, Amount::from_cents(cents), b'.');
            assert_eq!(out, Amount::from_cents(cents).to_plain().as_bytes());
        }
        out.clear();
        let date = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        push_date(&mut out, date, false);
        push_date(&mut out, date, true);
        assert_eq!(out, b"202603092026-03-09");
    }

    #[test]
    fn cleaning_matches_sanitize_text() {
        for text in [
            "plain",
            " padded ",
            "tab\there",
            "é\u{202e}x",
            "",
            "a\u{1b}[2J",
        ] {
            assert_eq!(clean_text(text), crate::model::sanitize_text(text));
        }
    }
}
