//! CFONB 120, the French banks' statement format: fixed 120-character records in Latin-1,
//! one a line or (in some files) one after the other with no line breaks.
//!
//! Records: `01` opens a statement with the previous balance, `04` is a movement, `05` a
//! complement of the movement before it, `07` closes the statement with the new balance.
//! Positions (0-based, inclusive): 0–1 record code, 2–6 bank, 7–10 internal operation code,
//! 11–15 branch, 16–18 currency, 19 number of decimals, 21–31 account, 32–33 interbank
//! operation code, 34–39 date (DDMMYY), 40–41 rejection code, 42–47 value date, 48–79 label,
//! 81–87 entry number, 90–103 amount, 104–119 reference. A `05` has its qualifier at 45–47 and
//! its data at 48–117. The amount's last character carries the sign and the last digit:
//! `{` and `A`–`I` are +0..+9, `}` and `J`–`R` are −0..−9.
//!
//! Movements belong to the statement opened by the preceding `01`, whatever bank code they
//! repeat. Errors name the record: its line, or for a file without line breaks its record
//! number (the line field of the error) and byte offset.

use chrono::NaiveDate;

use super::{AccountId, Rib, Statement, StatementLine, clean, clean_opt, derived_id, require_euro};
use crate::formats::FormatError;
use crate::model::Amount;

pub const RECORD_LEN: usize = 120;

/// One record as characters, with where it is in the file.
struct Record {
    chars: Vec<char>,
    /// 1-based line, or record number in a file without line breaks.
    number: u64,
    /// Byte offset of the record in a file without line breaks.
    offset: Option<usize>,
}

impl Record {
    fn field(&self, start: usize, end: usize) -> String {
        self.chars
            .get(start..=end)
            .map(|chars| chars.iter().collect())
            .unwrap_or_default()
    }

    fn error(&self, file: &str, field: &str, reason: impl Into<String>) -> FormatError {
        let reason = reason.into();
        let reason = match self.offset {
            Some(offset) => format!("{reason} (record {} at byte {offset})", self.number),
            None => reason,
        };
        FormatError::new(file, self.number, field, reason)
    }
}

/// Splits the file into records: by lines when it has line breaks, else every 120 bytes.
fn records(data: &[u8], file: &str) -> Result<Vec<Record>, FormatError> {
    // A file without line breaks may still end with one.
    let mut end = data.len();
    while end > 0 && (data[end - 1].is_ascii_whitespace() || data[end - 1] == 0x1a) {
        end -= 1;
    }
    let has_breaks = data[..end].contains(&b'\n') || data[..end].contains(&b'\r');
    let mut out = Vec::new();
    if has_breaks {
        let mut number = 0u64;
        for raw in data.split(|b| *b == b'\n') {
            number += 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            // Old Mac line ends: several records on one "line" separated by CR.
            for part in raw.split(|b| *b == b'\r') {
                if part.iter().all(|b| b.is_ascii_whitespace() || *b == 0x1a) {
                    continue;
                }
                let chars = decode_record(part);
                if chars.len() > RECORD_LEN {
                    return Err(FormatError::new(
                        file,
                        number,
                        "record",
                        format!(
                            "the record is {} characters long, a CFONB 120 record has 120",
                            chars.len()
                        ),
                    ));
                }
                out.push(Record {
                    chars: pad(chars),
                    number,
                    offset: None,
                });
            }
        }
    } else {
        let mut trimmed = data;
        while let Some((last, rest)) = trimmed.split_last() {
            if last.is_ascii_whitespace() || *last == 0x1a {
                trimmed = rest;
            } else {
                break;
            }
        }
        for (index, chunk) in trimmed.chunks(RECORD_LEN).enumerate() {
            let number = index as u64 + 1;
            let offset = index * RECORD_LEN;
            out.push(Record {
                chars: pad(decode_record(chunk)),
                number,
                offset: Some(offset),
            });
        }
    }
    Ok(out)
}

/// Latin-1, unless the record is UTF-8 that makes 120 characters (a file re-saved in UTF-8).
fn decode_record(bytes: &[u8]) -> Vec<char> {
    if bytes.len() != RECORD_LEN
        && !bytes.is_ascii()
        && let Ok(text) = std::str::from_utf8(bytes)
        && text.chars().count() <= RECORD_LEN
    {
        return text.chars().collect();
    }
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// Records whose trailing spaces an editor removed are padded back to 120 characters.
fn pad(mut chars: Vec<char>) -> Vec<char> {
    chars.resize(RECORD_LEN.max(chars.len()), ' ');
    chars
}

/// The digit and sign an amount's last character stands for.
fn overpunch(c: char) -> Option<(i64, bool)> {
    match c {
        '{' => Some((0, false)),
        'A'..='I' => Some((i64::from(c as u8 - b'A') + 1, false)),
        '}' => Some((0, true)),
        'J'..='R' => Some((i64::from(c as u8 - b'J') + 1, true)),
        _ => None,
    }
}

/// The amount at 90–103 with `decimals` decimals.
fn amount(record: &Record, file: &str, decimals: u32) -> Result<Amount, FormatError> {
    let raw = record.field(90, 103);
    let chars: Vec<char> = raw.chars().collect();
    let Some((last, digits)) = chars.split_last() else {
        return Err(record.error(file, "amount", "the amount is missing"));
    };
    let Some((last_digit, negative)) = overpunch(*last) else {
        return Err(record.error(
            file,
            "amount",
            format!(
                "`{}` does not end with a signed digit ({{, A-I for +0..+9; }}, J-R for -0..-9)",
                clean(&raw)
            ),
        ));
    };
    let mut value: i64 = 0;
    for c in digits {
        let Some(digit) = c.to_digit(10) else {
            return Err(record.error(
                file,
                "amount",
                format!("`{}` has a character that is not a digit", clean(&raw)),
            ));
        };
        value = value * 10 + i64::from(digit);
    }
    value = value * 10 + last_digit;
    // 14 digits at most: fits in i64; scale to cents.
    let cents = match decimals {
        0 => value.checked_mul(100),
        1 => value.checked_mul(10),
        2 => Some(value),
        n => {
            let divisor = 10i64.pow(n - 2);
            if value % divisor != 0 {
                return Err(record.error(
                    file,
                    "amount",
                    format!("`{}` has more than 2 significant decimals", clean(&raw)),
                ));
            }
            Some(value / divisor)
        }
    };
    let cents = cents
        .filter(|cents| *cents <= Amount::MAX.cents())
        .ok_or_else(|| record.error(file, "amount", "the amount is too large"))?;
    Ok(Amount::from_cents(if negative { -cents } else { cents }))
}

fn decimals(record: &Record, file: &str) -> Result<u32, FormatError> {
    let raw = record.field(19, 19);
    raw.chars()
        .next()
        .and_then(|c| c.to_digit(10))
        .ok_or_else(|| {
            record.error(
                file,
                "decimals",
                format!("`{}` is not a number of decimals (0 to 9)", clean(&raw)),
            )
        })
}

fn date(record: &Record, file: &str, start: usize, field: &str) -> Result<NaiveDate, FormatError> {
    let raw = record.field(start, start + 5);
    optional_date(record, file, start, field)?.ok_or_else(|| {
        record.error(
            file,
            field,
            format!("`{}` is not a date (DDMMYY)", clean(&raw)),
        )
    })
}

/// A DDMMYY date; blank or zeros is none.
fn optional_date(
    record: &Record,
    file: &str,
    start: usize,
    field: &str,
) -> Result<Option<NaiveDate>, FormatError> {
    let raw = record.field(start, start + 5);
    if raw.trim().is_empty() || raw == "000000" {
        return Ok(None);
    }
    let bad = || {
        record.error(
            file,
            field,
            format!("`{}` is not a date (DDMMYY)", clean(&raw)),
        )
    };
    if !raw.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| raw.get(range).and_then(|s| s.parse::<u32>().ok());
    let (Some(day), Some(month), Some(year)) = (number(0..2), number(2..4), number(4..6)) else {
        return Err(bad());
    };
    let year = if year >= 80 { 1900 + year } else { 2000 + year };
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .map(Some)
        .ok_or_else(bad)
}

struct Open {
    statement: Statement,
    account_number: String,
}

/// Reads a CFONB 120 file: one statement per `01`…`07` sequence.
pub fn parse(data: &[u8], file: &str) -> Result<Vec<Statement>, FormatError> {
    let records = records(data, file)?;
    if records.is_empty() {
        return Err(FormatError::new(
            file,
            1,
            "record",
            "the file holds no CFONB 120 record",
        ));
    }
    let mut statements = Vec::new();
    let mut open: Option<Open> = None;
    for record in &records {
        let code = record.field(0, 1);
        match code.as_str() {
            "01" => {
                if open.is_some() {
                    return Err(record.error(
                        file,
                        "record",
                        "a new statement (01) starts before the previous one is closed (07)",
                    ));
                }
                require_euro(&record.field(16, 18), file, record.number, "currency")
                    .map_err(|err| record.error(file, &err.field, err.reason))?;
                let decimals = decimals(record, file)?;
                let account_number = record.field(21, 31).trim().to_string();
                if account_number.is_empty() {
                    return Err(record.error(file, "account", "the account number is missing"));
                }
                let rib = Rib {
                    bank: record.field(2, 6).trim().to_string(),
                    branch: record.field(11, 15).trim().to_string(),
                    account: account_number.clone(),
                };
                let opening_date = date(record, file, 34, "date")?;
                let opening = amount(record, file, decimals)?;
                open = Some(Open {
                    statement: Statement {
                        account: AccountId {
                            rib: Some(rib),
                            ..AccountId::default()
                        },
                        id: String::new(),
                        period: (opening_date, opening_date),
                        currency: "EUR".to_string(),
                        opening: Some(opening),
                        closing: None,
                        lines: Vec::new(),
                        source_line: record.number,
                    },
                    account_number,
                });
            }
            "04" => {
                let Some(current) = open.as_mut() else {
                    return Err(record.error(
                        file,
                        "record",
                        "a movement (04) outside a statement: no 01 record opens it",
                    ));
                };
                require_euro(&record.field(16, 18), file, record.number, "currency")
                    .map_err(|err| record.error(file, &err.field, err.reason))?;
                let decimals = decimals(record, file)?;
                let booking_date = date(record, file, 34, "date")?;
                let value_date = optional_date(record, file, 42, "value date")?;
                let amount = amount(record, file, decimals)?;
                let label = clean(&record.field(48, 79));
                let reference = clean_opt(&record.field(104, 119));
                current.statement.lines.push(StatementLine {
                    booking_date,
                    value_date,
                    amount,
                    label,
                    reference,
                    counterparty_name: None,
                    counterparty_iban: None,
                    end_to_end_id: None,
                    remittance: None,
                    source_line: record.number,
                });
            }
            "05" => {
                let Some(line) = open
                    .as_mut()
                    .and_then(|current| current.statement.lines.last_mut())
                else {
                    return Err(record.error(
                        file,
                        "record",
                        "a complement (05) with no movement (04) before it",
                    ));
                };
                complement(line, &record.field(45, 47), &record.field(48, 117));
            }
            "07" => {
                let Some(mut current) = open.take() else {
                    return Err(record.error(
                        file,
                        "record",
                        "a closing balance (07) with no statement opened (01)",
                    ));
                };
                require_euro(&record.field(16, 18), file, record.number, "currency")
                    .map_err(|err| record.error(file, &err.field, err.reason))?;
                let account_number = record.field(21, 31).trim().to_string();
                if account_number != current.account_number {
                    return Err(record.error(
                        file,
                        "account",
                        format!(
                            "the closing balance is for account {}, the statement opened \
                             for account {}",
                            clean(&account_number),
                            current.account_number
                        ),
                    ));
                }
                let decimals = decimals(record, file)?;
                let closing_date = date(record, file, 34, "date")?;
                current.statement.closing = Some(amount(record, file, decimals)?);
                current.statement.period.1 = closing_date;
                if let Some(first) = current.statement.lines.iter().map(|l| l.booking_date).min()
                    && first < current.statement.period.0
                {
                    current.statement.period.0 = first;
                }
                current.statement.id = derived_id(&current.statement.account, closing_date);
                statements.push(current.statement);
            }
            _ => {
                return Err(record.error(
                    file,
                    "record code",
                    format!(
                        "`{}` is not a CFONB 120 record code (01, 04, 05 or 07)",
                        clean(&code)
                    ),
                ));
            }
        }
    }
    if let Some(current) = open {
        return Err(FormatError::new(
            file,
            current.statement.source_line,
            "record",
            "the statement opened here has no closing balance (07)",
        ));
    }
    Ok(statements)
}

/// Adds a `05` complement to its movement, by qualifier.
fn complement(line: &mut StatementLine, qualifier: &str, data: &str) {
    let Some(text) = clean_opt(data) else {
        return;
    };
    let append = |slot: &mut Option<String>, text: &str| match slot {
        Some(existing) => {
            existing.push(' ');
            existing.push_str(text);
        }
        None => *slot = Some(text.to_string()),
    };
    match qualifier.trim() {
        // Payer (for money in) and beneficiary (for money out) names.
        "NPY" | "NPO" if line.amount.is_positive() || line.counterparty_name.is_none() => {
            line.counterparty_name = Some(text);
        }
        "NBE" | "NBU" if !line.amount.is_positive() || line.counterparty_name.is_none() => {
            line.counterparty_name = Some(text);
        }
        "NPY" | "NPO" | "NBE" | "NBU" => {}
        // The end-to-end reference of a SEPA transfer or direct debit.
        "RCN" => line.end_to_end_id = Some(text),
        "LIB" | "LCC" | "LC2" | "LCS" | "LCZ" => append(&mut line.remittance, &text),
        other => append(&mut line.remittance, &format!("{} {text}", clean(other))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Builds a record from (start, text) pieces over spaces.
    pub(crate) fn record(pieces: &[(usize, &str)]) -> String {
        let mut chars = vec![' '; RECORD_LEN];
        for (start, text) in pieces {
            for (i, c) in text.chars().enumerate() {
                chars[start + i] = c;
            }
        }
        chars.into_iter().collect()
    }

    fn balance(code: &str, date: &str, amount: &str) -> String {
        record(&[
            (0, code),
            (2, "30004"),
            (11, "00123"),
            (16, "EUR"),
            (19, "2"),
            (21, "00012345678"),
            (34, date),
            (90, amount),
        ])
    }

    fn movement(date: &str, label: &str, amount: &str) -> String {
        record(&[
            (0, "04"),
            (2, "30004"),
            (7, "0158"),
            (11, "00123"),
            (16, "EUR"),
            (19, "2"),
            (21, "00012345678"),
            (32, "05"),
            (34, date),
            (42, date),
            (48, label),
            (81, "0000001"),
            (90, amount),
            (104, "REF0001"),
        ])
    }

    #[test]
    fn overpunch_letters_carry_sign_and_last_digit() {
        assert_eq!(overpunch('{'), Some((0, false)));
        assert_eq!(overpunch('A'), Some((1, false)));
        assert_eq!(overpunch('I'), Some((9, false)));
        assert_eq!(overpunch('}'), Some((0, true)));
        assert_eq!(overpunch('J'), Some((1, true)));
        assert_eq!(overpunch('R'), Some((9, true)));
        assert_eq!(overpunch('S'), None);
        assert_eq!(overpunch('5'), None);
    }

    #[test]
    fn a_statement_reads_and_balances() {
        let text = [
            balance("01", "310126", "0000000100000{"),
            movement("020226", "VIR SEPA CLIENT DUPONT", "0000000012050{"),
            record(&[(0, "05"), (45, "NPY"), (48, "DUPONT SARL")]),
            record(&[(0, "05"), (45, "LIB"), (48, "FACTURE F2026-0012")]),
            movement("030226", "FRAIS TENUE COMPTE", "0000000000150}"),
            balance("07", "280226", "0000000111900{"),
        ]
        .join("\r\n");
        let statements = parse(text.as_bytes(), "s.cfonb").unwrap();
        assert_eq!(statements.len(), 1);
        let statement = &statements[0];
        assert_eq!(statement.opening, Some(Amount::from_cents(1_000_000)));
        assert_eq!(statement.closing, Some(Amount::from_cents(1_119_000)));
        assert_eq!(statement.lines[0].amount.cents(), 120_500);
        assert_eq!(statement.lines[1].amount.cents(), -1_500);
        assert_eq!(
            statement.lines[0].counterparty_name.as_deref(),
            Some("DUPONT SARL")
        );
        assert_eq!(
            statement.lines[0].remittance.as_deref(),
            Some("FACTURE F2026-0012")
        );
        assert_eq!(statement.lines[0].reference.as_deref(), Some("REF0001"));
        assert_eq!(statement.balance_difference(), Some(Amount::ZERO));
        let rib = statement.account.rib.as_ref().unwrap();
        assert_eq!(rib.bank, "30004");
        assert_eq!(rib.branch, "00123");
        assert_eq!(rib.account, "00012345678");
        assert_eq!(
            statement.period,
            (
                NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
                NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
            )
        );
    }

    #[test]
    fn decimals_field_scales_the_amount() {
        let mut opening = balance("01", "310126", "0000000000012E");
        opening.replace_range(19..20, "0");
        let mut closing = balance("07", "310126", "00000000000125");
        closing.replace_range(19..20, "3");
        closing.replace_range(103..104, "{");
        let text = format!("{opening}\n{closing}");
        let statements = parse(text.as_bytes(), "s").unwrap();
        assert_eq!(statements[0].opening.unwrap().cents(), 12_500);
        assert_eq!(statements[0].closing.unwrap().cents(), 12);
        let closing = closing.replace("0000000000012{", "0000000000012E");
        let err = parse(format!("{opening}\n{closing}").as_bytes(), "s").unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (2, "amount"));
    }

    #[test]
    fn foreign_currency_is_refused_naming_it() {
        let text = balance("01", "310126", "0000000100000{").replace("EUR", "USD");
        let err = parse(text.as_bytes(), "usd.txt").unwrap_err();
        assert_eq!(err.line, 1);
        assert_eq!(err.field, "currency");
        assert!(err.reason.contains("USD"), "{err}");
    }

    #[test]
    fn errors_name_the_record_and_field() {
        let text = [
            balance("01", "310126", "0000000100000{"),
            movement("320126", "X", "0000000012050{"),
        ]
        .join("\n");
        let err = parse(text.as_bytes(), "bad.txt").unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (2, "date"));
        let text = [
            balance("01", "310126", "0000000100000{"),
            movement("310126", "X", "00000000120505"),
        ]
        .concat();
        let err = parse(text.as_bytes(), "flat.txt").unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (2, "amount"));
        assert!(err.reason.contains("at byte 120"), "{err}");
        let err = parse(
            balance("01", "310126", "0000000100000{").as_bytes(),
            "open.txt",
        )
        .unwrap_err();
        assert!(err.reason.contains("no closing balance"), "{err}");
        let err = parse(b"99 hello", "x").unwrap_err();
        assert_eq!(err.field, "record code");
    }

    #[test]
    fn a_complement_needs_a_movement() {
        let text = [
            balance("01", "310126", "0000000100000{"),
            record(&[(0, "05"), (45, "LIB"), (48, "X")]),
        ]
        .join("\n");
        let err = parse(text.as_bytes(), "f").unwrap_err();
        assert_eq!(err.line, 2);
    }
}
