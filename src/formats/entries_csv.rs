//! Folio's entries CSV: one row per entry line, consecutive rows of one entry sharing journal,
//! piece and date.
//!
//! ```text
//! journal,date,piece,label,account,third_party,debit,credit
//! VE,2026-01-05,F2026-0001,Facture Lumen,411,CLUMEN,1200.00,
//! VE,2026-01-05,F2026-0001,Facture Lumen,706,,,1000.00
//! VE,2026-01-05,F2026-0001,Facture Lumen,44571,,,200.00
//! ```
//!
//! An optional ninth column `tax` tags a line with a tax code (`V20`, `D20`…) for the VAT
//! return: the base is the line's amount on a non-VAT account, the tax on a 445… account.
//!
//! The header is required, with these names in this order. `;` is accepted as the separator
//! when the header uses it (French spreadsheets), dates may be `DD/MM/YYYY`, amounts may use a
//! decimal comma.

use std::io::{BufRead, BufReader, Read, Write};

use chrono::NaiveDate;

use super::csv_lines::{LineTracker, check_header, detect_delimiter};
use super::{FormatError, clean_text, push_amount, push_date};
use crate::model::entry::MAX_LINES_PER_ENTRY;
use crate::model::journal::parse_journal_code;
use crate::model::party::parse_party_code;
use crate::model::{AccountNumber, Amount, Entry, EntryInput, Line, parse_date};

/// The columns, in the order the header must list them.
pub const COLUMNS: [&str; 8] = [
    "journal",
    "date",
    "piece",
    "label",
    "account",
    "third_party",
    "debit",
    "credit",
];

/// The columns with the optional tax code.
pub const COLUMNS_WITH_TAX: [&str; 9] = [
    "journal",
    "date",
    "piece",
    "label",
    "account",
    "third_party",
    "debit",
    "credit",
    "tax",
];

/// Longest header line read before giving up: a file without a line break in its first
/// kilobytes is not an entries CSV.
const MAX_HEADER_BYTES: u64 = 4096;

/// Longest record read, in bytes. A quote left open would otherwise swallow the rest of the
/// file into one field; past this the reader stops with an error.
pub const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// One data row, checked field by field (balance is the ledger's business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// 1-based physical line where the row starts.
    pub line: u64,
    pub journal: String,
    pub date: NaiveDate,
    pub piece: String,
    /// May be empty: the line then shows its entry's label.
    pub label: String,
    pub account: AccountNumber,
    pub third_party: Option<String>,
    pub debit: Amount,
    pub credit: Amount,
    /// The line's tax code (the optional `tax` column).
    pub tax: Option<String>,
}

/// Streams the rows of an entries CSV. Memory stays flat whatever the file size.
///
/// After a row error the reader goes on with the next row; an I/O or CSV syntax error ends the
/// iteration.
pub struct EntriesCsvReader<R: Read> {
    file: String,
    reader: csv::Reader<LineTracker<BufReader<R>>>,
    record: csv::ByteRecord,
    /// The last date text seen and its value: consecutive rows usually share it.
    last_date: Option<(Vec<u8>, NaiveDate)>,
    finished: bool,
    /// The header has the optional `tax` column.
    with_tax: bool,
}

impl<R: Read> EntriesCsvReader<R> {
    /// Reads and checks the header. `file_name` is only used in error messages.
    pub fn new(file_name: &str, reader: R) -> Result<Self, FormatError> {
        let header_error = |reason: String| FormatError::new(file_name, 1, "record", reason);
        let mut buffered = BufReader::with_capacity(64 * 1024, reader);
        let mut header = Vec::new();
        (&mut buffered)
            .take(MAX_HEADER_BYTES)
            .read_until(b'\n', &mut header)
            .map_err(|err| header_error(format!("cannot read the header: {err}")))?;
        if header.is_empty() {
            return Err(header_error(format!(
                "empty file, expected the header `{}`",
                COLUMNS.join(",")
            )));
        }
        if !header.ends_with(b"\n") && header.len() as u64 == MAX_HEADER_BYTES {
            return Err(header_error(format!(
                "no line break in the first {MAX_HEADER_BYTES} bytes: not an entries CSV"
            )));
        }
        let header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&header);
        let delimiter = detect_delimiter(header);
        let with_tax = check_header(header, delimiter, &COLUMNS_WITH_TAX).is_ok();
        if !with_tax {
            check_header(header, delimiter, &COLUMNS).map_err(header_error)?;
        }
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(LineTracker::new(buffered));
        Ok(EntriesCsvReader {
            file: file_name.to_string(),
            reader,
            record: csv::ByteRecord::new(),
            last_date: None,
            finished: false,
            with_tax,
        })
    }

    fn error(&self, line: u64, field: &str, reason: impl Into<String>) -> FormatError {
        FormatError::new(&self.file, line, field, reason)
    }

    fn parse_row(&mut self, line: u64) -> Result<CsvRow, FormatError> {
        let columns: &[&str] = if self.with_tax {
            &COLUMNS_WITH_TAX
        } else {
            &COLUMNS
        };
        if self.record.len() != columns.len() {
            return Err(self.error(
                line,
                "record",
                format!(
                    "expected {} columns ({}), found {}",
                    columns.len(),
                    columns.join(","),
                    self.record.len()
                ),
            ));
        }
        let tax = if self.with_tax {
            let text = std::str::from_utf8(&self.record[8])
                .map_err(|_| self.error(line, "tax", "not valid UTF-8"))?
                .trim();
            if text.is_empty() {
                None
            } else if text.len() <= 16
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                Some(text.to_ascii_uppercase())
            } else {
                return Err(self.error(
                    line,
                    "tax",
                    format!("`{}` is not a tax code (like V20)", clean_text(text)),
                ));
            }
        } else {
            None
        };
        let mut cells = [""; 8];
        for (i, cell) in cells.iter_mut().enumerate() {
            *cell = std::str::from_utf8(&self.record[i])
                .map_err(|_| self.error(line, COLUMNS[i], "not valid UTF-8"))?;
        }
        let [
            journal,
            date,
            piece,
            label,
            account,
            third_party,
            debit,
            credit,
        ] = cells;

        let journal = parse_journal_code(journal)
            .map_err(|err| self.error(line, "journal", err.to_string()))?;
        let date = match &self.last_date {
            Some((text, value)) if text.as_slice() == date.as_bytes() => *value,
            _ => {
                let value = fast_parse_date(date).ok_or_else(|| {
                    self.error(
                        line,
                        "date",
                        format!(
                            "`{}` is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
                            date.trim()
                        ),
                    )
                })?;
                let cache = self.last_date.get_or_insert_with(|| (Vec::new(), value));
                cache.0.clear();
                cache.0.extend_from_slice(date.as_bytes());
                cache.1 = value;
                value
            }
        };
        let piece = clean_text(piece);
        if piece.is_empty() {
            return Err(self.error(line, "piece", "must not be empty"));
        }
        let label = clean_text(label);
        let account = AccountNumber::parse(account)
            .map_err(|err| self.error(line, "account", err.to_string()))?;
        let third_party = if third_party.trim().is_empty() {
            None
        } else {
            Some(
                parse_party_code(third_party)
                    .map_err(|err| self.error(line, "third_party", err.to_string()))?,
            )
        };
        let debit = self.parse_amount(line, "debit", debit)?;
        let credit = self.parse_amount(line, "credit", credit)?;
        match (debit.is_zero(), credit.is_zero()) {
            (true, true) => {
                return Err(self.error(line, "debit", "one of debit or credit must be filled"));
            }
            (false, false) => {
                return Err(self.error(line, "credit", "a row has a debit or a credit, not both"));
            }
            _ => {}
        }
        Ok(CsvRow {
            line,
            journal,
            date,
            piece,
            label,
            account,
            third_party,
            debit,
            credit,
            tax,
        })
    }

    /// An empty cell is zero; a filled one must be a positive amount with at most 2 decimals.
    fn parse_amount(&self, line: u64, field: &str, text: &str) -> Result<Amount, FormatError> {
        if text.trim().is_empty() {
            return Ok(Amount::ZERO);
        }
        let amount = Amount::parse(text).map_err(|err| self.error(line, field, err.to_string()))?;
        if amount.is_negative() {
            return Err(self.error(
                line,
                field,
                format!("`{}` must be positive (use the other column)", text.trim()),
            ));
        }
        Ok(amount)
    }
}

impl<R: Read> Iterator for EntriesCsvReader<R> {
    type Item = Result<CsvRow, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {
                let line = self.record_line();
                Some(self.parse_row(line))
            }
            Ok(false) => {
                self.finished = true;
                None
            }
            Err(err) => {
                self.finished = true;
                // The failing record starts after the last good one (and its line end).
                let tracker = self.reader.get_mut();
                let after_last = tracker.record_end + 1;
                let line = HEADER_LINES + 1 + tracker.newlines_before(after_last).0;
                Some(Err(self.error(line, "record", err.to_string())))
            }
        }
    }
}

/// Lines before the CSV data: the header.
const HEADER_LINES: u64 = 1;

impl<R: Read> EntriesCsvReader<R> {
    /// The physical line where the record just read starts.
    ///
    /// The csv crate's own record line is wrong after blank lines (BurntSushi/rust-csv#208),
    /// so it is derived from the reader's byte position after the record: the line breaks
    /// before that position, less the record's own terminator and the breaks inside its
    /// quoted fields.
    fn record_line(&mut self) -> u64 {
        let end = self.reader.position().byte();
        let (before, ends_with_lf) = self.reader.get_mut().newlines_before(end);
        let inside = self
            .record
            .as_slice()
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        (HEADER_LINES + 1 + before)
            .saturating_sub(u64::from(ends_with_lf))
            .saturating_sub(inside)
    }
}

/// [`parse_date`] with a shortcut for the common `YYYY-MM-DD` that skips chrono's format parser.
fn fast_parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if shaped {
        let number = |range: std::ops::Range<usize>| {
            b[range]
                .iter()
                .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'))
        };
        return NaiveDate::from_ymd_opt(number(0..4) as i32, number(5..7), number(8..10));
    }
    parse_date(text)
}

/// An entry read from the CSV, with the line of its first row for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEntry {
    pub first_line: u64,
    pub input: EntryInput,
    /// The tax code of each line (the optional `tax` column); empty when the file has none.
    pub taxes: Vec<Option<String>>,
}

/// Groups consecutive rows with the same journal, piece and date into entries.
///
/// The entry's label is the first non-empty label among its rows (the first row's, normally);
/// each line keeps its own row's label, third party and amounts. Balance is not checked here:
/// the ledger does it and reports `file:first_line`. The first row error (or an entry of more
/// than [`MAX_LINES_PER_ENTRY`] rows) is returned and ends the iteration.
pub struct EntryGrouper<I> {
    rows: I,
    pending: Option<CsvRow>,
    finished: bool,
    file: String,
}

impl<I> EntryGrouper<I>
where
    I: Iterator<Item = Result<CsvRow, FormatError>>,
{
    /// `file_name` names the file in the error for an over-long entry.
    pub fn new(file_name: &str, rows: I) -> Self {
        EntryGrouper {
            rows,
            pending: None,
            finished: false,
            file: file_name.to_string(),
        }
    }

    fn fail(&mut self, err: FormatError) -> Option<Result<ImportedEntry, FormatError>> {
        self.finished = true;
        Some(Err(err))
    }
}

fn line_of(row: CsvRow) -> Line {
    Line {
        account: row.account,
        third_party: row.third_party,
        label: row.label,
        debit: row.debit,
        credit: row.credit,
    }
}

impl<I> Iterator for EntryGrouper<I>
where
    I: Iterator<Item = Result<CsvRow, FormatError>>,
{
    type Item = Result<ImportedEntry, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let first = match self.pending.take().map(Ok).or_else(|| self.rows.next()) {
            None => {
                self.finished = true;
                return None;
            }
            Some(Err(err)) => return self.fail(err),
            Some(Ok(row)) => row,
        };
        let first_line = first.line;
        let mut first = first;
        let mut input = EntryInput {
            journal: std::mem::take(&mut first.journal),
            date: first.date,
            piece: std::mem::take(&mut first.piece),
            label: first.label.clone(),
            lines: Vec::with_capacity(4),
        };
        let mut taxes = vec![first.tax.take()];
        input.lines.push(line_of(first));
        loop {
            match self.rows.next() {
                None => {
                    self.finished = true;
                    break;
                }
                Some(Err(err)) => return self.fail(err),
                Some(Ok(row)) => {
                    let same_entry = row.journal == input.journal
                        && row.piece == input.piece
                        && row.date == input.date;
                    if !same_entry {
                        self.pending = Some(row);
                        break;
                    }
                    if input.lines.len() >= MAX_LINES_PER_ENTRY {
                        let err = FormatError::new(
                            &self.file,
                            row.line,
                            "record",
                            format!(
                                "the entry starting on line {first_line} has more than \
                                 {MAX_LINES_PER_ENTRY} lines"
                            ),
                        );
                        return self.fail(err);
                    }
                    if input.label.is_empty() {
                        input.label.clone_from(&row.label);
                    }
                    let mut row = row;
                    taxes.push(row.tax.take());
                    input.lines.push(line_of(row));
                }
            }
        }
        if taxes.iter().all(Option::is_none) {
            taxes.clear();
        }
        Some(Ok(ImportedEntry {
            first_line,
            input,
            taxes,
        }))
    }
}

/// Writes entries in the format [`EntriesCsvReader`] reads: comma separator, dot decimals,
/// ISO dates, the empty side left blank. Each row's label is the line's label, or the entry's
/// when the line has none, so a re-import shows the same labels.
pub fn write_entries_csv<'a, W: Write>(
    w: W,
    entries: impl IntoIterator<Item = &'a Entry>,
) -> csv::Result<()> {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    writer.write_record(COLUMNS)?;
    let mut date = Vec::with_capacity(10);
    let mut debit = Vec::with_capacity(24);
    let mut credit = Vec::with_capacity(24);
    for entry in entries {
        date.clear();
        push_date(&mut date, entry.date, true);
        for line in &entry.lines {
            debit.clear();
            credit.clear();
            if !line.debit.is_zero() {
                push_amount(&mut debit, line.debit, b'.');
            }
            if !line.credit.is_zero() {
                push_amount(&mut credit, line.credit, b'.');
            }
            writer.write_record([
                entry.journal.as_bytes(),
                &date,
                entry.piece.as_bytes(),
                entry.line_label(line).as_bytes(),
                line.account.as_str().as_bytes(),
                line.third_party.as_deref().unwrap_or("").as_bytes(),
                &debit,
                &credit,
            ])?;
        }
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::{EntryNumber, EntryStatus};

    const HEADER: &str = "journal,date,piece,label,account,third_party,debit,credit\n";

    fn rows(text: &str) -> Vec<Result<CsvRow, FormatError>> {
        EntriesCsvReader::new("in.csv", text.as_bytes())
            .unwrap()
            .collect()
    }

    fn one_error(body: &str) -> String {
        let all = rows(&format!("{HEADER}{body}"));
        assert_eq!(all.len(), 1, "{all:?}");
        all[0].clone().unwrap_err().to_string()
    }

    fn cents(c: i64) -> Amount {
        Amount::from_cents(c)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn reads_a_row_with_every_field() {
        let all = rows(&format!(
            "{HEADER}ve,2026-01-05,F2026-0001,Facture Lumen,411,clumen,\"1 200,50\",\n"
        ));
        assert_eq!(
            all,
            vec![Ok(CsvRow {
                line: 2,
                journal: "VE".into(),
                date: date(2026, 1, 5),
                piece: "F2026-0001".into(),
                label: "Facture Lumen".into(),
                account: AccountNumber::parse("411000").unwrap(),
                third_party: Some("CLUMEN".into()),
                debit: cents(120_050),
                credit: Amount::ZERO,
                tax: None,
            })]
        );
    }

    #[test]
    fn semicolons_bom_crlf_french_dates_and_spaces() {
        let text = "\u{feff} journal ; date;piece;label;account;third_party;debit;credit \r\n\
                    AC;31/01/2026; P1 ;  ;607;;;12,5\r\n";
        let all: Vec<_> = EntriesCsvReader::new("x.csv", text.as_bytes())
            .unwrap()
            .collect();
        let row = all[0].clone().unwrap();
        assert_eq!(row.date, date(2026, 1, 31));
        assert_eq!(row.piece, "P1");
        assert_eq!(row.label, "");
        assert_eq!(row.third_party, None);
        assert_eq!(row.credit, cents(1250));
        assert_eq!(row.line, 2);
    }

    #[test]
    fn header_must_be_exact() {
        let err = |text: &str| {
            EntriesCsvReader::new("h.csv", text.as_bytes())
                .err()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            err(""),
            "h.csv:1: record: empty file, expected the header \
             `journal,date,piece,label,account,third_party,debit,credit`"
        );
        assert_eq!(
            err("journal,date,piece,label,account,debit,credit\n"),
            "h.csv:1: record: the header must be \
             `journal,date,piece,label,account,third_party,debit,credit`, \
             found `journal,date,piece,label,account,debit,credit`"
        );
        assert!(
            err("date,journal,piece,label,account,third_party,debit,credit\n")
                .contains("found `date,journal")
        );
        assert!(err(&"x".repeat(5000)).contains("no line break"));
        // A header alone is a valid, empty file.
        assert_eq!(rows(HEADER), vec![]);
    }

    #[test]
    fn each_field_rule_names_its_column() {
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,411\n"),
            "in.csv:2: record: expected 8 columns \
             (journal,date,piece,label,account,third_party,debit,credit), found 5"
        );
        assert_eq!(
            one_error("V E,2026-01-05,F1,L,411,,1,\n"),
            "in.csv:2: journal: journal code `V E` must be 1 to 6 uppercase letters or digits"
        );
        assert_eq!(
            one_error("VE,2026-02-30,F1,L,411,,1,\n"),
            "in.csv:2: date: `2026-02-30` is not a date (expected YYYY-MM-DD or DD/MM/YYYY)"
        );
        assert_eq!(
            one_error("VE,5/1/2026,F1,L,411,,1,\n"),
            "in.csv:2: date: `5/1/2026` is not a date (expected YYYY-MM-DD or DD/MM/YYYY)"
        );
        assert_eq!(
            one_error("VE,2026-01-05, \t ,L,411,,1,\n"),
            "in.csv:2: piece: must not be empty"
        );
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,9AB,,1,\n"),
            "in.csv:2: account: account number `9AB` must be digits only"
        );
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,911,,1,\n"),
            "in.csv:2: account: account number `911` must start with a class digit 1 to 8"
        );
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,411,a b,1,\n"),
            "in.csv:2: third_party: third-party code `a b` must be 1 to 17 uppercase letters, \
             digits, `-` or `_`"
        );
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,411,,1.234,\n"),
            "in.csv:2: debit: `1.234` has more than 2 decimals"
        );
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,411,,,abc\n"),
            "in.csv:2: credit: `abc` is not a number"
        );
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,411,,-5,\n"),
            "in.csv:2: debit: `-5` must be positive (use the other column)"
        );
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,411,,,\n"),
            "in.csv:2: debit: one of debit or credit must be filled"
        );
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,411,,0,0.00\n"),
            "in.csv:2: debit: one of debit or credit must be filled"
        );
        assert_eq!(
            one_error("VE,2026-01-05,F1,L,411,,1,1\n"),
            "in.csv:2: credit: a row has a debit or a credit, not both"
        );
        let invalid_utf8 = [HEADER.as_bytes(), b"VE,2026-01-05,F\xff,L,411,,1,\n"].concat();
        let all: Vec<_> = EntriesCsvReader::new("in.csv", invalid_utf8.as_slice())
            .unwrap()
            .collect();
        assert_eq!(
            all[0].clone().unwrap_err().to_string(),
            "in.csv:2: piece: not valid UTF-8"
        );
    }

    #[test]
    fn zero_in_the_other_column_is_empty() {
        let all = rows(&format!("{HEADER}VE,2026-01-05,F1,L,411,,0,3\n"));
        let row = all[0].clone().unwrap();
        assert_eq!((row.debit, row.credit), (Amount::ZERO, cents(300)));
    }

    #[test]
    fn row_errors_do_not_stop_the_reader_and_lines_are_physical() {
        let text = format!(
            "{HEADER}VE,2026-01-05,F1,\"two\nlines\",411,,1,\n\
             VE,bad,F1,L,706,,,1\n\
             \n\
             VE,2026-01-05,F1,L,706,,,1\n"
        );
        let all = rows(&text);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].as_ref().unwrap().label, "two lines");
        assert_eq!(all[0].as_ref().unwrap().line, 2);
        assert_eq!(all[1].as_ref().unwrap_err().line, 4);
        assert_eq!(all[2].as_ref().unwrap().line, 6);
    }

    #[test]
    fn line_numbers_survive_blank_lines_crlf_and_quoted_breaks() {
        let text = "journal,date,piece,label,account,third_party,debit,credit\r\n\
                    \r\n\
                    VE,2026-01-05,F1,L,411,,1,\r\n\
                    \r\n\
                    \r\n\
                    VE,2026-01-05,F1,\"a\r\nb\r\nc\",706,,,1\r\n\
                    VE,2026-01-05,F1,L,706,,,1\r\n\
                    \n\
                    VE,2026-01-05,F1,L,706,,,x";
        let lines: Vec<u64> = EntriesCsvReader::new("c.csv", text.as_bytes())
            .unwrap()
            .map(|row| match row {
                Ok(row) => row.line,
                Err(err) => err.line,
            })
            .collect();
        assert_eq!(lines, vec![3, 6, 9, 11]);
    }

    proptest::proptest! {
        /// Rows spread over several read-ahead buffers, with blank lines, both line ends and
        /// quoted line breaks: every row reports the line it starts on.
        #[test]
        fn reported_lines_are_physical_lines(
            rows in proptest::collection::vec((0usize..3, 0usize..3, proptest::bool::ANY, 0usize..80), 1..400)
        ) {
            let mut text = String::from(HEADER);
            let mut line = 2u64;
            let mut expected = Vec::new();
            for (blank_lines, breaks_in_label, crlf, padding) in rows {
                let end = if crlf { "\r\n" } else { "\n" };
                for _ in 0..blank_lines {
                    text.push_str(end);
                    line += 1;
                }
                expected.push(line);
                let label: Vec<String> = (0..=breaks_in_label).map(|_| "x".repeat(padding)).collect();
                text.push_str(&format!(
                    "VE,2026-01-05,F1,\"{}\",411,,1,{end}",
                    label.join(end)
                ));
                line += 1 + breaks_in_label as u64;
            }
            let lines: Vec<u64> = EntriesCsvReader::new("p.csv", text.as_bytes())
                .unwrap()
                .map(|row| row.unwrap().line)
                .collect();
            proptest::prop_assert_eq!(lines, expected);
        }
    }

    #[test]
    fn an_open_quote_stops_the_reader_with_bounded_memory() {
        let mut text =
            format!("{HEADER}VE,2026-01-05,F1,L,411,,1,\n\nVE,2026-01-05,F1,\"oops,411,,1,\n");
        for _ in 0..10_000 {
            text.push_str("VE,2026-01-05,F1,L,411,,1,\n");
        }
        let all = rows(&text);
        assert_eq!(all.len(), 2);
        assert!(all[0].is_ok());
        assert_eq!(
            all[1].clone().unwrap_err().to_string(),
            format!(
                "in.csv:4: record: a record longer than {MAX_RECORD_BYTES} bytes (a quote left open?)"
            )
        );
    }

    #[test]
    fn text_is_sanitized() {
        let all = rows(&format!(
            "{HEADER}VE,2026-01-05,\" F\u{1b}1 \",\"a\u{202e}b\tc\",411,,1,\n"
        ));
        let row = all[0].clone().unwrap();
        assert_eq!(row.piece, "F1");
        assert_eq!(row.label, "ab c");
    }

    fn group(text: &str) -> Vec<Result<ImportedEntry, FormatError>> {
        let reader = EntriesCsvReader::new("g.csv", text.as_bytes()).unwrap();
        EntryGrouper::new("g.csv", reader).collect()
    }

    #[test]
    fn consecutive_rows_of_one_journal_piece_and_date_make_one_entry() {
        let text = format!(
            "{HEADER}\
             VE,2026-01-05,F1,Facture,411,CLUMEN,12,\n\
             VE,2026-01-05,F1,,706,,,10\n\
             VE,2026-01-05,F1,TVA,44571,,,2\n\
             VE,2026-01-05,F2,Autre,411,,5,\n\
             VE,2026-01-05,F2,,706,,,5\n\
             AC,2026-01-05,F2,Achat,607,,5,\n\
             AC,2026-01-05,F2,,401,,,5\n\
             AC,2026-01-06,F2,Achat,607,,5,\n\
             AC,2026-01-06,F2,,401,,,5\n\
             VE,2026-01-05,F1,Encore,411,,1,\n"
        );
        let entries: Vec<ImportedEntry> = group(&text).into_iter().map(Result::unwrap).collect();
        let shape: Vec<(u64, &str, &str, usize)> = entries
            .iter()
            .map(|e| {
                (
                    e.first_line,
                    e.input.journal.as_str(),
                    e.input.piece.as_str(),
                    e.input.lines.len(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (2, "VE", "F1", 3),
                (5, "VE", "F2", 2),
                (7, "AC", "F2", 2),
                (9, "AC", "F2", 2),
                (11, "VE", "F1", 1),
            ]
        );
        let first = &entries[0].input;
        assert_eq!(first.label, "Facture");
        assert_eq!(first.date, date(2026, 1, 5));
        assert_eq!(
            first.lines[0],
            Line::debit(AccountNumber::parse("411").unwrap(), cents(1200))
                .with_party(Some("CLUMEN".into()))
                .with_label("Facture")
        );
        assert_eq!(first.lines[1].label, "");
        assert_eq!(first.lines[2].label, "TVA");
        assert_eq!(first.lines[2].credit, cents(200));
        // Unbalanced entries pass through: the ledger checks balance.
        assert_eq!(entries[4].input.lines.len(), 1);
    }

    #[test]
    fn entry_label_is_the_first_non_empty_row_label() {
        let text = format!("{HEADER}VE,2026-01-05,F1,,411,,1,\nVE,2026-01-05,F1,Vente,706,,,1\n");
        let entries = group(&text);
        let entry = &entries[0].as_ref().unwrap().input;
        assert_eq!(entry.label, "Vente");
        assert_eq!(entry.lines[0].label, "");
    }

    #[test]
    fn grouping_stops_at_the_first_row_error() {
        let text = format!(
            "{HEADER}\
             VE,2026-01-05,F1,A,411,,1,\n\
             VE,2026-01-05,F1,A,706,,,1\n\
             VE,2026-01-06,F2,B,411,,1,\n\
             VE,2026-01-06,F2,B,706,,,x\n\
             VE,2026-01-07,F3,C,411,,1,\n"
        );
        let results = group(&text);
        assert_eq!(results.len(), 2);
        assert!(results[0].is_ok());
        assert_eq!(
            results[1].clone().unwrap_err().to_string(),
            "g.csv:5: credit: `x` is not a number"
        );
    }

    #[test]
    fn an_entry_has_a_bounded_number_of_lines() {
        let mut text = String::from(HEADER);
        for _ in 0..=MAX_LINES_PER_ENTRY {
            text.push_str("OD,2026-01-05,BIG,L,471,,1,\n");
        }
        let results = group(&text);
        assert_eq!(results.len(), 1);
        assert_eq!(
            results[0].clone().unwrap_err().to_string(),
            format!(
                "g.csv:{}: record: the entry starting on line 2 has more than \
                 {MAX_LINES_PER_ENTRY} lines",
                MAX_LINES_PER_ENTRY + 2
            )
        );
    }

    fn entry(id: u64, piece: &str, label: &str, lines: Vec<Line>) -> Entry {
        Entry {
            id,
            journal: "VE".into(),
            date: date(2026, 1, 5),
            piece: piece.into(),
            label: label.into(),
            lines,
            status: EntryStatus::Validated,
            number: Some(EntryNumber {
                journal: "VE".into(),
                year: "2026".into(),
                seq: id,
            }),
            validated_on: Some(date(2026, 1, 6)),
            validation_seq: Some(id),
            reversal_of: None,
            source: None,
            created_by: "test".into(),
            revision: 0,
        }
    }

    #[test]
    fn export_then_import_gives_the_same_entries() {
        let acc = |n: &str| AccountNumber::parse(n).unwrap();
        let entries = vec![
            entry(
                1,
                "F2026-0001",
                "Facture, \"Lumen\"",
                vec![
                    Line::debit(acc("411"), cents(120_000)).with_party(Some("CLUMEN".into())),
                    Line::credit(acc("706"), cents(100_000)),
                    Line::credit(acc("44571"), cents(20_000)).with_label("TVA 20 %"),
                ],
            ),
            entry(
                2,
                "F2026-0002",
                "Avoir é€",
                vec![
                    Line::debit(acc("706"), cents(1)),
                    Line::credit(acc("411"), cents(1)).with_party(Some("CLUMEN".into())),
                ],
            ),
        ];
        let mut out = Vec::new();
        write_entries_csv(&mut out, &entries).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(HEADER));
        assert!(text.contains(
            "VE,2026-01-05,F2026-0001,\"Facture, \"\"Lumen\"\"\",411000,CLUMEN,1200.00,\n"
        ));
        let imported: Vec<ImportedEntry> = group(&text).into_iter().map(Result::unwrap).collect();
        assert_eq!(imported.len(), 2);
        for (original, back) in entries.iter().zip(&imported) {
            assert_eq!(back.input.journal, original.journal);
            assert_eq!(back.input.date, original.date);
            assert_eq!(back.input.piece, original.piece);
            assert_eq!(back.input.label, original.label);
            assert_eq!(back.input.lines.len(), original.lines.len());
            for (a, b) in original.lines.iter().zip(&back.input.lines) {
                assert_eq!(b.account, a.account);
                assert_eq!(b.third_party, a.third_party);
                assert_eq!((b.debit, b.credit), (a.debit, a.credit));
                assert_eq!(b.label, original.line_label(a));
            }
        }
    }
}
