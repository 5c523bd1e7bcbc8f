//! Rendering rows as an aligned table, CSV or JSON, and the guard on what reaches a terminal.
//!
//! Whatever the ledger file holds, what Folio prints carries no control character and no
//! bidirectional override: cells and JSON strings are cleaned with [`display_text`], CSV cells
//! that a spreadsheet would run as a formula are neutralised with [`csv_cell`], and standard
//! output and standard error go through [`SafeOutput`], which drops any such character that
//! another path would let through.

use std::io::{self, Write};

use anyhow::Result;
use clap::ValueEnum;
use serde_json::ser::{CharEscape, Formatter, PrettyFormatter};

use crate::model::text::{csv_text, display_text, is_unsafe_char, suspicious_bytes};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

/// How a column aligns in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    /// Amounts: right-aligned, so that their decimal points line up.
    Right,
}

/// Rows of text with a header; amounts are already formatted.
pub struct Rows {
    pub header: Vec<&'static str>,
    pub align: Vec<Align>,
    pub rows: Vec<Vec<String>>,
}

impl Rows {
    pub fn new(columns: &[(&'static str, Align)]) -> Self {
        Rows {
            header: columns.iter().map(|c| c.0).collect(),
            align: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; its cells are cleaned for display ([`display_text`]).
    pub fn push(&mut self, mut row: Vec<String>) {
        for cell in &mut row {
            if let std::borrow::Cow::Owned(clean) = display_text(cell) {
                *cell = clean;
            }
        }
        self.rows.push(row);
    }

    pub fn write_table(&self, out: &mut impl Write) -> Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    text.push_str("  ");
                }
                let pad = widths[i].saturating_sub(cell.chars().count());
                match self.align[i] {
                    Align::Left => {
                        text.push_str(cell);
                        if i + 1 < cells.len() {
                            text.push_str(&" ".repeat(pad));
                        }
                    }
                    Align::Right => {
                        text.push_str(&" ".repeat(pad));
                        text.push_str(cell);
                    }
                }
            }
            text.trim_end().to_string()
        };
        let header: Vec<String> = self.header.iter().map(|h| h.to_string()).collect();
        writeln!(out, "{}", line(&header))?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        writeln!(out, "{}", line(&rule))?;
        for row in &self.rows {
            writeln!(out, "{}", line(row))?;
        }
        Ok(())
    }

    pub fn write_table_or_csv(&self, format: Format, out: &mut impl Write) -> Result<()> {
        match format {
            Format::Csv => self.write_csv(out),
            _ => self.write_table(out),
        }
    }

    pub fn write_csv(&self, out: &mut impl Write) -> Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(&self.header)?;
        for row in &self.rows {
            write_csv_record(&mut writer, row)?;
        }
        writer.flush()?;
        Ok(())
    }
}

/// Writes one CSV record: cells cleaned for display, formula-looking text neutralised
/// ([`csv_text`]); a cell that needs neither is written as it is, without a copy.
pub fn write_csv_record<W: Write, S: AsRef<str>>(
    writer: &mut csv::Writer<W>,
    cells: &[S],
) -> csv::Result<()> {
    if cells.iter().all(|cell| is_plain_csv(cell.as_ref())) {
        return writer.write_record(cells.iter().map(|cell| cell.as_ref().as_bytes()));
    }
    let cells: Vec<std::borrow::Cow<'_, str>> =
        cells.iter().map(|cell| csv_text(cell.as_ref())).collect();
    writer.write_record(cells.iter().map(|cell| cell.as_bytes()))
}

/// A cell that CSV output writes unchanged: safe to show and not formula-looking.
fn is_plain_csv(cell: &str) -> bool {
    matches!(csv_text(cell), std::borrow::Cow::Borrowed(_))
}

/// Writes `rows` as a table or CSV, or `json` (the typed data) as JSON.
pub fn emit<T: serde::Serialize>(
    format: Format,
    rows: &Rows,
    json: &T,
    out: &mut impl Write,
) -> Result<()> {
    match format {
        Format::Table => rows.write_table(out),
        Format::Csv => rows.write_csv(out),
        Format::Json => write_json(out, json),
    }
}

/// Writes `value` as pretty JSON with its strings cleaned like table cells: line breaks and
/// tabs become spaces, other control characters and bidirectional controls are dropped.
pub fn write_json<T: serde::Serialize + ?Sized>(out: &mut impl Write, value: &T) -> Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, CleanJson::default());
    value.serialize(&mut serializer)?;
    writeln!(out)?;
    Ok(())
}

/// Cuts every backquoted value of a message (`` `value` ``) to 80 characters, so that an error
/// never echoes more than that of a bad value, whichever part of Folio wrote it.
pub fn shorten_quoted(message: &str) -> String {
    shorten_delimited(message, '`')
}

/// Cuts every part of `message` between two `quote` characters to 80 characters.
pub fn shorten_delimited(message: &str, quote: char) -> String {
    let mut parts = message.split(quote);
    let mut shown = String::with_capacity(message.len().min(4096));
    shown.push_str(parts.next().unwrap_or_default());
    for (i, part) in parts.enumerate() {
        shown.push(quote);
        // Odd parts are inside the quotes; a last part with no closing quote is too.
        if i % 2 == 0 {
            shown.push_str(&crate::model::text::echo(part));
        } else {
            shown.push_str(part);
        }
    }
    shown
}

/// serde_json's pretty formatter, with strings cleaned for display.
#[derive(Default)]
struct CleanJson(PrettyFormatter<'static>);

impl Formatter for CleanJson {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        writer.write_all(display_text(fragment).as_bytes())
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        match char_escape {
            CharEscape::Quote => writer.write_all(b"\\\""),
            CharEscape::ReverseSolidus => writer.write_all(b"\\\\"),
            CharEscape::Solidus => writer.write_all(b"/"),
            CharEscape::LineFeed | CharEscape::CarriageReturn | CharEscape::Tab => {
                writer.write_all(b" ")
            }
            CharEscape::Backspace | CharEscape::FormFeed | CharEscape::AsciiControl(_) => Ok(()),
        }
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

/// A writer that lets through text with no control character (line feeds and tabs excepted)
/// and no bidirectional control: the last guard before a terminal, whatever a command prints.
/// Bytes that are not UTF-8 are dropped too (Folio prints UTF-8 only). A character split
/// between two writes is held until its end arrives.
pub struct SafeOutput<W: Write> {
    inner: W,
    /// The start of a UTF-8 sequence cut by the end of the previous write (at most 3 bytes).
    pending: Vec<u8>,
    cleaned: Vec<u8>,
}

impl<W: Write> SafeOutput<W> {
    pub fn new(inner: W) -> Self {
        SafeOutput {
            inner,
            pending: Vec::new(),
            cleaned: Vec::new(),
        }
    }

    fn allowed(c: char) -> bool {
        c == '\n' || c == '\t' || !is_unsafe_char(c)
    }

    /// Appends the safe part of `bytes` to `cleaned`; returns how many trailing bytes are an
    /// incomplete UTF-8 sequence.
    fn clean(cleaned: &mut Vec<u8>, mut bytes: &[u8]) -> usize {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(text) => {
                    Self::push_text(cleaned, text);
                    return 0;
                }
                Err(err) => {
                    let (valid, rest) = bytes.split_at(err.valid_up_to());
                    // Safe: `valid_up_to` bytes are UTF-8.
                    Self::push_text(cleaned, std::str::from_utf8(valid).unwrap_or_default());
                    match err.error_len() {
                        None => return rest.len(),
                        Some(bad) => bytes = &rest[bad..],
                    }
                }
            }
        }
    }

    /// Whether `bytes` are cleared by their value alone (see `may_be_unsafe`): no control byte
    /// but line feeds and tabs, and no first byte of a C1 or bidirectional control. Most
    /// output (ASCII, accented letters) is.
    fn quick(bytes: &[u8]) -> bool {
        !suspicious_bytes(bytes, true)
    }

    fn push_text(cleaned: &mut Vec<u8>, text: &str) {
        if Self::quick(text.as_bytes()) || text.chars().all(Self::allowed) {
            cleaned.extend_from_slice(text.as_bytes());
        } else {
            let mut buf = [0u8; 4];
            for c in text.chars().filter(|c| Self::allowed(*c)) {
                cleaned.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

impl<W: Write> Write for SafeOutput<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.pending.is_empty() && Self::quick(buf) && std::str::from_utf8(buf).is_ok() {
            // Clean text, whole characters: written as it is, without a copy.
            self.inner.write_all(buf)?;
            return Ok(buf.len());
        }
        self.cleaned.clear();
        let incomplete = if self.pending.is_empty() {
            Self::clean(&mut self.cleaned, buf)
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(buf);
            let incomplete = Self::clean(&mut self.cleaned, &joined);
            self.pending = joined;
            self.pending.drain(..self.pending.len() - incomplete);
            incomplete
        };
        if self.pending.is_empty() && incomplete > 0 {
            self.pending
                .extend_from_slice(&buf[buf.len() - incomplete..]);
        }
        self.inner.write_all(&self.cleaned)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // A character cut between two writes stays pending until its end is written.
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_output_drops_escapes_even_split_between_writes() {
        let text = "a\u{1b}]52;c;eA==\u{7}b\u{202e}c\u{9b}d\ré\n\tz".as_bytes();
        for split in 0..text.len() {
            let mut out = SafeOutput::new(Vec::new());
            out.write_all(&text[..split]).unwrap();
            out.write_all(&text[split..]).unwrap();
            assert_eq!(
                String::from_utf8(out.inner).unwrap(),
                "a]52;c;eA==bcdé\n\tz",
                "split at {split}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn safe_output_keeps_exactly_the_safe_characters(
            text in "(\\PC|\\p{Cc}|[\u{200e}\u{200f}\u{202a}-\u{202e}\u{2066}-\u{2069}\u{61c}]){0,60}",
            cuts in proptest::collection::vec(0usize..200, 0..4),
        ) {
            let bytes = text.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.sort_unstable();
            let mut out = SafeOutput::new(Vec::new());
            let mut start = 0;
            for cut in cuts.into_iter().chain([bytes.len()]) {
                out.write_all(&bytes[start..cut]).unwrap();
                start = cut;
            }
            let expected: String = text
                .chars()
                .filter(|c| *c == '\n' || *c == '\t' || !is_unsafe_char(*c))
                .collect();
            proptest::prop_assert_eq!(String::from_utf8(out.inner).unwrap(), expected);
            let shown = display_text(&text);
            proptest::prop_assert!(!shown.chars().any(is_unsafe_char));
            let cell = csv_text(&text);
            proptest::prop_assert!(!cell.chars().any(is_unsafe_char));
            proptest::prop_assert!(
                !cell.starts_with(['=', '+', '-', '@'])
                    || crate::model::text::is_plain_number(&cell)
            );
        }
    }

    #[test]
    fn quoted_values_are_cut_to_80_characters() {
        let long = "x".repeat(500);
        let message = shorten_quoted(&format!("no entry `{long}` in `VE`: see `{long}"));
        assert_eq!(
            message,
            format!(
                "no entry `{}…` in `VE`: see `{}…",
                "x".repeat(80),
                "x".repeat(80)
            )
        );
    }

    #[test]
    fn csv_and_json_are_clean() {
        let mut rows = Rows::new(&[("label", Align::Left), ("amount", Align::Right)]);
        rows.push(vec!["=1+1\u{1b}[2J".into(), "-12.50".into()]);
        rows.push(vec!["@x\u{202e}".into(), "3.00".into()]);
        let mut out = Vec::new();
        rows.write_csv(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "label,amount\n'=1+1[2J,-12.50\n'@x,3.00\n"
        );
        let mut out = Vec::new();
        write_json(&mut out, &vec!["a\u{1b}[31mb\u{202e}\"c\\\nd"]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[\n  \"a[31mb\\\"c\\\\ d\"\n]\n"
        );
    }

    #[test]
    fn amounts_align_on_the_decimal_point() {
        let mut rows = Rows::new(&[("account", Align::Left), ("debit", Align::Right)]);
        rows.push(vec!["512000".into(), "1 234,56".into()]);
        rows.push(vec!["6".into(), "7,00".into()]);
        let mut out = Vec::new();
        rows.write_table(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "512000   1 234,56");
        assert_eq!(lines[2].rfind(','), lines[3].rfind(','));
        assert!(lines[3].ends_with(" 7,00"));
    }
}
