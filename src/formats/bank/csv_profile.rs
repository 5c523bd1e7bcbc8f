//! CSV bank exports, read through a profile written in TOML that says where each field is:
//!
//! ```toml
//! name = "Example bank"
//! encoding = "latin1"          # utf-8 (default), latin1, latin9, windows-1252
//! delimiter = ";"              # default ";"
//! skip_lines = 1               # lines before the data: titles, account, column headings
//! skip_last_lines = 0          # lines after the data: totals
//! date_format = "%d/%m/%Y"     # chrono / strftime
//! decimal_separator = ","      # "," (default) or "."
//! thousands_separator = " "    # optional: " ", "." or "'"
//!
//! [columns]                    # 1-based column numbers
//! date = 1
//! value_date = 2               # optional
//! label = [3, 4]               # one column, or several joined with a space
//! amount = 5                   # one signed amount (money in positive) …
//! # debit = 5                  # … or a debit column and a credit column
//! # credit = 6
//! # reference, counterparty, counterparty_iban, end_to_end_id, remittance: optional
//! ```
//!
//! A CSV export names no account and no balances: the statement has neither, and covers the
//! days from its first to its last line.

use chrono::NaiveDate;
use chrono::format::{Item, StrftimeItems};
use serde::Deserialize;

use super::{AccountId, Statement, StatementLine, clean, clean_opt, parse_amount};
use crate::formats::FormatError;
use crate::model::Amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Encoding {
    #[default]
    #[serde(rename = "utf-8", alias = "utf8", alias = "UTF-8")]
    Utf8,
    #[serde(rename = "latin1", alias = "iso-8859-1", alias = "ISO-8859-1")]
    Latin1,
    #[serde(rename = "latin9", alias = "iso-8859-15", alias = "ISO-8859-15")]
    Latin9,
    #[serde(rename = "windows-1252", alias = "cp1252")]
    Windows1252,
}

/// One column, or several joined with a space.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Columns {
    One(usize),
    Several(Vec<usize>),
}

impl Columns {
    fn list(&self) -> Vec<usize> {
        match self {
            Columns::One(column) => vec![*column],
            Columns::Several(columns) => columns.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    pub date: usize,
    pub value_date: Option<usize>,
    pub label: Columns,
    pub amount: Option<usize>,
    pub debit: Option<usize>,
    pub credit: Option<usize>,
    pub reference: Option<usize>,
    pub counterparty: Option<usize>,
    pub counterparty_iban: Option<usize>,
    pub end_to_end_id: Option<usize>,
    pub remittance: Option<Columns>,
}

/// How to read one bank's CSV export.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvProfile {
    pub name: String,
    #[serde(default)]
    pub encoding: Encoding,
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    #[serde(default)]
    pub skip_lines: usize,
    #[serde(default)]
    pub skip_last_lines: usize,
    pub date_format: String,
    #[serde(default = "default_decimal")]
    pub decimal_separator: char,
    pub thousands_separator: Option<char>,
    pub columns: ColumnMap,
}

/// The profiles shipped with Folio, by name (the file name in `fixtures/statements/profiles/`).
pub const BUILTIN_PROFILES: [(&str, &str); 3] = [
    (
        "boursorama",
        include_str!("../../../fixtures/statements/profiles/boursorama.toml"),
    ),
    (
        "credit-agricole",
        include_str!("../../../fixtures/statements/profiles/credit-agricole.toml"),
    ),
    (
        "societe-generale",
        include_str!("../../../fixtures/statements/profiles/societe-generale.toml"),
    ),
];

fn default_delimiter() -> char {
    ';'
}

fn default_decimal() -> char {
    ','
}

impl CsvProfile {
    /// Reads and checks a profile. `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<CsvProfile, FormatError> {
        let profile: CsvProfile = toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map_or(1, |span| super::line_of_offset(text.as_bytes(), span.start));
            let message = err.message().to_string();
            FormatError::new(file, line, "profile", clean(&message))
        })?;
        profile.check(text, file)?;
        Ok(profile)
    }

    /// A shipped profile by name (`credit-agricole`…), `None` when there is none of that name.
    pub fn builtin(name: &str) -> Option<Result<CsvProfile, FormatError>> {
        BUILTIN_PROFILES
            .iter()
            .find(|(builtin, _)| builtin.eq_ignore_ascii_case(name))
            .map(|(builtin, text)| CsvProfile::from_toml(text, &format!("{builtin}.toml")))
    }

    fn check(&self, text: &str, file: &str) -> Result<(), FormatError> {
        let line_of = |key: &str| {
            text.lines()
                .position(|line| line.trim_start().starts_with(key))
                .map_or(1, |index| index as u64 + 1)
        };
        let fail = |key: &str, reason: &str| FormatError::new(file, line_of(key), key, reason);
        if !self.delimiter.is_ascii() || self.delimiter == '"' || self.delimiter == '\n' {
            return Err(fail(
                "delimiter",
                "the delimiter must be one ASCII character other than a quote",
            ));
        }
        if !matches!(self.decimal_separator, ',' | '.') {
            return Err(fail(
                "decimal_separator",
                "the decimal separator is \",\" or \".\"",
            ));
        }
        if let Some(thousands) = self.thousands_separator
            && (thousands == self.decimal_separator || !matches!(thousands, ' ' | '.' | '\'' | ','))
        {
            return Err(fail(
                "thousands_separator",
                "the thousands separator is \" \", \".\", \"'\" or \",\", and not the decimal separator",
            ));
        }
        if StrftimeItems::new(&self.date_format).any(|item| matches!(item, Item::Error))
            || self.date_format.trim().is_empty()
        {
            return Err(fail(
                "date_format",
                "not a valid date format (e.g. \"%d/%m/%Y\")",
            ));
        }
        let columns = &self.columns;
        match (columns.amount, columns.debit, columns.credit) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            _ => {
                return Err(fail(
                    "amount",
                    "give either one signed `amount` column, or both `debit` and `credit` columns",
                ));
            }
        }
        let mut all = vec![columns.date];
        all.extend(columns.label.list());
        all.extend(
            [
                columns.value_date,
                columns.amount,
                columns.debit,
                columns.credit,
                columns.reference,
                columns.counterparty,
                columns.counterparty_iban,
                columns.end_to_end_id,
            ]
            .into_iter()
            .flatten(),
        );
        all.extend(columns.remittance.iter().flat_map(Columns::list));
        if columns.label.list().is_empty() {
            return Err(fail("label", "give at least one label column"));
        }
        if all.iter().any(|column| *column == 0 || *column > 1000) {
            return Err(fail(
                "[columns]",
                "column numbers start at 1 (and stay under 1000)",
            ));
        }
        Ok(())
    }

    fn decode(&self, data: &[u8], file: &str) -> Result<String, FormatError> {
        Ok(match self.encoding {
            Encoding::Utf8 => {
                let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
                std::str::from_utf8(data)
                    .map_err(|err| {
                        FormatError::new(
                            file,
                            super::line_of_offset(data, err.valid_up_to()),
                            "encoding",
                            format!(
                                "the file is not valid UTF-8 (byte {}): is the profile's encoding right?",
                                err.valid_up_to()
                            ),
                        )
                    })?
                    .to_string()
            }
            Encoding::Latin1 => super::decode_latin1(data),
            Encoding::Latin9 => data
                .iter()
                .map(|b| crate::formats::latin9::decode_byte(*b))
                .collect(),
            Encoding::Windows1252 => data.iter().map(|b| super::decode_1252(*b)).collect(),
        })
    }
}

/// Reads a CSV export with `profile`: one statement with every line of the file.
pub fn parse(data: &[u8], file: &str, profile: &CsvProfile) -> Result<Vec<Statement>, FormatError> {
    let text = profile.decode(data, file)?;
    // Skip the first physical lines, whatever quotes they hold.
    let mut start = 0;
    for _ in 0..profile.skip_lines {
        match text[start..].find('\n') {
            Some(end) => start += end + 1,
            None => {
                start = text.len();
                break;
            }
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(profile.delimiter as u8)
        .from_reader(&text.as_bytes()[start..]);
    // Physical lines, counted from byte offsets (a quoted cell may span several lines).
    let body = &text.as_bytes()[start..];
    let mut counted = (0usize, profile.skip_lines as u64 + 1);
    let mut line_at = |byte: u64| {
        let mut target = usize::try_from(byte).unwrap_or(usize::MAX).min(body.len());
        // After a CR the reader may place the next record on the LF that ends the line.
        while body.get(target).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            target += 1;
        }
        if target > counted.0 {
            counted.1 += body[counted.0..target]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            counted.0 = target;
        }
        counted.1
    };
    let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    for result in reader.records() {
        let record = match result {
            Ok(record) => record,
            Err(err) => {
                let line = err
                    .position()
                    .map_or(1, |position| line_at(position.byte()));
                return Err(FormatError::new(
                    file,
                    line,
                    "record",
                    format!("unreadable CSV: {err}"),
                ));
            }
        };
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let line = line_at(record.position().map_or(0, csv::Position::byte));
        rows.push((line, record));
    }
    rows.truncate(rows.len().saturating_sub(profile.skip_last_lines));
    let mut lines = Vec::with_capacity(rows.len());
    for (line, record) in &rows {
        lines.push(row(profile, file, *line, record)?);
    }
    let (Some(first), Some(last)) = (
        lines.iter().map(|l| l.booking_date).min(),
        lines.iter().map(|l| l.booking_date).max(),
    ) else {
        return Err(FormatError::new(
            file,
            profile.skip_lines as u64 + 1,
            "record",
            "the file holds no statement line",
        ));
    };
    Ok(vec![Statement {
        account: AccountId::default(),
        id: format!("csv-{}-{}", first.format("%Y%m%d"), last.format("%Y%m%d")),
        period: (first, last),
        currency: "EUR".to_string(),
        opening: None,
        closing: None,
        lines,
        source_line: profile.skip_lines as u64 + 1,
    }])
}

fn cell(record: &csv::StringRecord, column: usize) -> &str {
    column
        .checked_sub(1)
        .and_then(|index| record.get(index))
        .unwrap_or("")
}

fn row(
    profile: &CsvProfile,
    file: &str,
    line: u64,
    record: &csv::StringRecord,
) -> Result<StatementLine, FormatError> {
    let columns = &profile.columns;
    let date = |column: usize, field: &str| -> Result<NaiveDate, FormatError> {
        let text = cell(record, column).trim();
        NaiveDate::parse_from_str(text, &profile.date_format).map_err(|_| {
            FormatError::new(
                file,
                line,
                format!("{field} (column {column})"),
                format!(
                    "`{}` is not a date in the profile's format {}",
                    clean(text),
                    profile.date_format
                ),
            )
        })
    };
    let amount = |column: usize, field: &str| -> Result<Option<Amount>, FormatError> {
        let mut text = cell(record, column).trim().to_string();
        if text.is_empty() {
            return Ok(None);
        }
        if let Some(thousands) = profile.thousands_separator {
            text.retain(|c| c != thousands);
        }
        text.retain(|c| c != '€');
        parse_amount(&text, profile.decimal_separator)
            .map(Some)
            .map_err(|reason| {
                FormatError::new(file, line, format!("{field} (column {column})"), reason)
            })
    };
    let booking_date = date(columns.date, "date")?;
    let value_date = match columns.value_date {
        Some(column) if !cell(record, column).trim().is_empty() => {
            Some(date(column, "value date")?)
        }
        _ => None,
    };
    let signed = match (columns.amount, columns.debit, columns.credit) {
        (Some(column), _, _) => amount(column, "amount")?.ok_or_else(|| {
            FormatError::new(
                file,
                line,
                format!("amount (column {column})"),
                "the amount is empty",
            )
        })?,
        (None, Some(debit_column), Some(credit_column)) => {
            let debit = amount(debit_column, "debit")?.filter(|a| !a.is_zero());
            let credit = amount(credit_column, "credit")?.filter(|a| !a.is_zero());
            match (debit, credit) {
                (Some(debit), None) => -debit.abs(),
                (None, Some(credit)) => credit.abs(),
                (Some(_), Some(_)) => {
                    return Err(FormatError::new(
                        file,
                        line,
                        format!("debit (column {debit_column})"),
                        "both the debit and the credit columns hold an amount",
                    ));
                }
                (None, None) => {
                    return Err(FormatError::new(
                        file,
                        line,
                        format!("debit (column {debit_column})"),
                        "neither the debit nor the credit column holds an amount",
                    ));
                }
            }
        }
        _ => {
            return Err(FormatError::new(
                file,
                line,
                "amount",
                "the profile gives no amount column",
            ));
        }
    };
    let joined = |columns: &Columns| {
        clean(
            &columns
                .list()
                .into_iter()
                .map(|column| cell(record, column))
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    let optional =
        |column: Option<usize>| column.and_then(|column| clean_opt(cell(record, column)));
    Ok(StatementLine {
        booking_date,
        value_date,
        amount: signed,
        label: joined(&columns.label),
        reference: optional(columns.reference),
        counterparty_name: optional(columns.counterparty),
        counterparty_iban: optional(columns.counterparty_iban).map(|iban| iban.replace(' ', "")),
        end_to_end_id: optional(columns.end_to_end_id),
        remittance: columns
            .remittance
            .as_ref()
            .map(joined)
            .filter(|text| !text.is_empty()),
        source_line: line,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const PROFILE: &str = r#"
name = "Test"
encoding = "latin1"
skip_lines = 2
skip_last_lines = 1
date_format = "%d/%m/%Y"
thousands_separator = "."

[columns]
date = 1
label = [2, 3]
debit = 4
credit = 5
"#;

    #[test]
    fn debit_and_credit_columns_in_latin1() {
        let profile = CsvProfile::from_toml(PROFILE, "p.toml").unwrap();
        let data = b"Compte courant\nDate;Libell\xe9;;D\xe9bit;Cr\xe9dit\n\
02/02/2026;VIR DUPONT;FACT 12;;1.205,00\n03/02/2026;\"FRAIS; TENUE\";;15,00;\n\
Total;;;15,00;1.205,00\n";
        let statements = parse(data, "r.csv", &profile).unwrap();
        let lines = &statements[0].lines;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].amount.cents(), 120_500);
        assert_eq!(lines[0].label, "VIR DUPONT FACT 12");
        assert_eq!(lines[1].amount.cents(), -1_500);
        assert_eq!(lines[1].label, "FRAIS; TENUE");
        assert_eq!(lines[1].source_line, 4);
        assert_eq!(statements[0].opening, None);
    }

    #[test]
    fn errors_name_line_and_column() {
        let profile = CsvProfile::from_toml(PROFILE, "p.toml").unwrap();
        let data = b"x\ny\n02/02/2026;A;;;1,00\n31/02/2026;B;;2,00;\nTotal\n";
        let err = parse(data, "r.csv", &profile).unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (4, "date (column 1)"));
        let data = b"x\ny\n02/02/2026;A;;3,00;1,00\nTotal\n";
        let err = parse(data, "r.csv", &profile).unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (3, "debit (column 4)"));
    }

    #[test]
    fn shipped_profiles_load() {
        for (name, _) in BUILTIN_PROFILES {
            let profile = CsvProfile::builtin(name).unwrap().unwrap();
            assert!(!profile.name.is_empty());
        }
        assert!(CsvProfile::builtin("no-such-bank").is_none());
    }

    #[test]
    fn profiles_are_checked() {
        let both = PROFILE.replace("credit = 5", "credit = 5\namount = 6");
        let err = CsvProfile::from_toml(&both, "p.toml").unwrap_err();
        assert_eq!(err.field, "amount");
        let typo = PROFILE.replace("skip_lines", "skip_line");
        let err = CsvProfile::from_toml(&typo, "p.toml").unwrap_err();
        assert_eq!(err.line, 4);
        let zero = PROFILE.replace("date = 1", "date = 0");
        assert!(CsvProfile::from_toml(&zero, "p.toml").is_err());
        let format = PROFILE.replace("%d/%m/%Y", "%Q");
        assert_eq!(
            CsvProfile::from_toml(&format, "p.toml").unwrap_err().field,
            "date_format"
        );
    }
}
