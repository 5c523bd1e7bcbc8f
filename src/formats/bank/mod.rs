//! Bank statements as banks export them: CFONB 120, CAMT.053, OFX 1.x/2.x, MT940 and CSV
//! through a profile. Pure: the caller passes the file's bytes and the name to show in errors.
//!
//! Every reader returns [`Statement`]s in euros with exact amounts; a statement in another
//! currency is refused naming it. A line's amount is signed from the company's point of view:
//! a credit to the company's account (money in) is positive.

pub mod camt053;
pub mod cfonb120;
pub mod csv_profile;
pub mod detect;
pub mod mt940;
pub mod ofx;
pub mod write;
mod xml;

use chrono::NaiveDate;

use super::FormatError;
use crate::model::Amount;

pub use csv_profile::CsvProfile;
pub use detect::detect;

/// The largest statement file read (256 MiB): far above any real bank export.
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;

/// The statement formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Cfonb120,
    Camt053,
    Ofx,
    Mt940,
    Csv,
}

impl Format {
    /// The name used on the command line (`--format`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Cfonb120 => "cfonb120",
            Format::Camt053 => "camt053",
            Format::Ofx => "ofx",
            Format::Mt940 => "mt940",
            Format::Csv => "csv",
        }
    }

    /// The format named `name` (as `--format` takes it), `None` for `auto` or an unknown name.
    pub fn from_name(name: &str) -> Option<Format> {
        [
            Format::Cfonb120,
            Format::Camt053,
            Format::Ofx,
            Format::Mt940,
            Format::Csv,
        ]
        .into_iter()
        .find(|format| format.name().eq_ignore_ascii_case(name))
    }
}

/// French bank details (RIB) without the key: bank code, branch code, account number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rib {
    pub bank: String,
    pub branch: String,
    pub account: String,
}

/// How a statement names its bank account. At least one part is set, except for CSV exports,
/// which usually carry no account at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AccountId {
    /// The IBAN, without spaces, in capitals.
    pub iban: Option<String>,
    /// The French bank, branch and account numbers.
    pub rib: Option<Rib>,
    /// Another account number as the file gives it (an MT940 `:25:` that is not an IBAN, a card
    /// number in an OFX credit-card statement).
    pub number: Option<String>,
}

impl AccountId {
    /// A readable form for messages: the IBAN, else `bank branch account`, else the number.
    pub fn display(&self) -> String {
        if let Some(iban) = &self.iban {
            return iban.clone();
        }
        if let Some(rib) = &self.rib {
            return format!("{} {} {}", rib.bank, rib.branch, rib.account);
        }
        self.number
            .clone()
            .unwrap_or_else(|| "(no account)".to_string())
    }

    /// The account given as an IBAN or a plain number: an IBAN when it looks like one.
    fn from_text(text: &str) -> AccountId {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if looks_like_iban(&compact) {
            let iban = compact.to_ascii_uppercase();
            let rib = rib_from_french_iban(&iban);
            AccountId {
                iban: Some(iban),
                rib,
                number: None,
            }
        } else {
            AccountId {
                number: (!compact.is_empty()).then_some(compact),
                ..AccountId::default()
            }
        }
    }
}

/// One statement of one bank account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub account: AccountId,
    /// The bank's statement id when the format has one (CAMT `Stmt/Id`, MT940 `:20:`/`:28C:`),
    /// else one built from the account and the period end.
    pub id: String,
    /// First and last day of the statement: the period the file states (CAMT `FrToDt`, OFX
    /// `DTSTART`/`DTEND`), else from the opening balance's date (CFONB `01`, MT940 `:60F:`,
    /// the day before the first movement as banks date it) to the closing balance's date; a
    /// CSV export's from its first to its last line.
    pub period: (NaiveDate, NaiveDate),
    /// Always `EUR`: other currencies are refused.
    pub currency: String,
    /// Opening balance (signed: positive when the company has money in the account). OFX and
    /// CSV exports give none.
    pub opening: Option<Amount>,
    /// Closing balance. CSV exports give none.
    pub closing: Option<Amount>,
    pub lines: Vec<StatementLine>,
    /// Where the statement starts in the file: 1-based line (record number for CFONB).
    pub source_line: u64,
}

/// One movement on a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub booking_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    /// Signed: a credit to the company's account is positive.
    pub amount: Amount,
    pub label: String,
    /// The bank's own reference for the movement, when the format gives one.
    pub reference: Option<String>,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub end_to_end_id: Option<String>,
    pub remittance: Option<String>,
    /// Where the line is in the file: 1-based line (record number for CFONB).
    pub source_line: u64,
}

impl Statement {
    /// The sum of the lines, `None` if it overflows.
    pub fn lines_total(&self) -> Option<Amount> {
        Amount::checked_sum(self.lines.iter().map(|line| line.amount))
    }

    /// `closing - (opening + lines)`: zero when the statement balances. `None` when the format
    /// gave no opening or closing balance, or the sum overflows.
    pub fn balance_difference(&self) -> Option<Amount> {
        let expected = self.opening?.checked_add(self.lines_total()?)?;
        self.closing?.checked_sub(expected)
    }
}

/// Reads `data` in `format`. `file` is the name shown in errors. A CSV file needs its profile.
pub fn parse(
    format: Format,
    data: &[u8],
    file: &str,
    profile: Option<&CsvProfile>,
) -> Result<Vec<Statement>, FormatError> {
    if data.len() > MAX_FILE_BYTES {
        return Err(FormatError::new(
            file,
            1,
            "file",
            format!(
                "the file is {} bytes, more than the {} a statement file may have",
                data.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    match format {
        Format::Cfonb120 => cfonb120::parse(data, file),
        Format::Camt053 => camt053::parse(data, file),
        Format::Ofx => ofx::parse(data, file),
        Format::Mt940 => mt940::parse(data, file),
        Format::Csv => match profile {
            Some(profile) => csv_profile::parse(data, file, profile),
            None => Err(FormatError::new(
                file,
                1,
                "profile",
                "a CSV statement needs a profile describing its columns",
            )),
        },
    }
}

/// Refuses any currency but the euro, naming it.
pub(crate) fn require_euro(
    currency: &str,
    file: &str,
    line: u64,
    field: &str,
) -> Result<(), FormatError> {
    let code = currency.trim();
    if code.eq_ignore_ascii_case("EUR") {
        Ok(())
    } else if code.is_empty() {
        Err(FormatError::new(
            file,
            line,
            field,
            "the currency is missing",
        ))
    } else {
        Err(FormatError::new(
            file,
            line,
            field,
            format!(
                "the statement is in {}: only statements in euros (EUR) are read",
                clean(code)
            ),
        ))
    }
}

/// Text from a file made safe and tidy: control characters dropped, runs of spaces collapsed.
pub(crate) fn clean(text: &str) -> String {
    let sanitized = super::clean_text(text);
    if !sanitized.contains("  ") {
        return sanitized;
    }
    let mut out = String::with_capacity(sanitized.len());
    for word in sanitized.split(' ').filter(|word| !word.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// [`clean`], or `None` when nothing is left.
pub(crate) fn clean_opt(text: &str) -> Option<String> {
    let cleaned = clean(text);
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Latin-1: every byte is the character of the same code.
pub(crate) fn decode_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// UTF-8 when the bytes are valid UTF-8 (a byte-order mark is dropped), else Windows-1252.
pub(crate) fn decode_utf8_or_1252(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|b| decode_1252(*b)).collect(),
    }
}

/// The Windows-1252 character of a byte (Latin-1 with printable characters at 0x80–0x9F).
pub(crate) fn decode_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
        other => char::from(other),
    }
}

/// Parses a decimal amount written with `decimal` as separator (`.` or `,`), an optional sign
/// and spaces grouping thousands, into exact cents. More than two decimals is refused unless
/// the extra ones are zeros.
pub(crate) fn parse_amount(text: &str, decimal: char) -> Result<Amount, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("the amount is empty".to_string());
    }
    let (negative, rest) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let mut units: i64 = 0;
    let mut cents: i64 = 0;
    let mut decimals = 0u32;
    let mut seen_separator = false;
    let mut seen_digit = false;
    for ch in rest.chars() {
        match ch {
            '0'..='9' => {
                seen_digit = true;
                let digit = i64::from(ch as u8 - b'0');
                if seen_separator {
                    decimals += 1;
                    if decimals <= 2 {
                        cents = cents * 10 + digit;
                    } else if digit != 0 {
                        return Err(format!("`{}` has more than 2 decimals", clean(trimmed)));
                    }
                } else {
                    units = units
                        .checked_mul(10)
                        .and_then(|value| value.checked_add(digit))
                        .filter(|value| *value <= Amount::MAX.cents() / 100)
                        .ok_or_else(|| format!("`{}` is too large", clean(trimmed)))?;
                }
            }
            c if c == decimal && !seen_separator => seen_separator = true,
            ' ' | '\u{a0}' | '\u{202f}' if !seen_separator => {}
            _ => return Err(format!("`{}` is not an amount", clean(trimmed))),
        }
    }
    if !seen_digit {
        return Err(format!("`{}` is not an amount", clean(trimmed)));
    }
    if decimals == 1 {
        cents *= 10;
    }
    let total = units * 100 + cents;
    Ok(Amount::from_cents(if negative { -total } else { total }))
}

/// Whether `text` (no spaces) has the shape of an IBAN: two letters, two digits, then 11 to 30
/// letters or digits.
pub(crate) fn looks_like_iban(text: &str) -> bool {
    let bytes = text.as_bytes();
    (15..=34).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_alphabetic)
        && bytes[2..4].iter().all(u8::is_ascii_digit)
        && bytes[4..].iter().all(u8::is_ascii_alphanumeric)
}

/// The RIB inside a French IBAN (`FRkk BBBBB GGGGG CCCCCCCCCCC KK`).
pub(crate) fn rib_from_french_iban(iban: &str) -> Option<Rib> {
    let bytes = iban.as_bytes();
    if bytes.len() != 27 || !iban.starts_with("FR") {
        return None;
    }
    Some(Rib {
        bank: iban.get(4..9)?.to_string(),
        branch: iban.get(9..14)?.to_string(),
        account: iban.get(14..25)?.to_string(),
    })
}

/// A statement id built from the account and the period's end, for formats that give none.
pub(crate) fn derived_id(account: &AccountId, end: NaiveDate) -> String {
    format!(
        "{}-{}",
        account.display().replace(' ', ""),
        end.format("%Y%m%d")
    )
}

/// The 1-based line of byte `offset` in `data`.
pub(crate) fn line_of_offset(data: &[u8], offset: usize) -> u64 {
    let end = offset.min(data.len());
    1 + data[..end].iter().filter(|b| **b == b'\n').count() as u64
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_cents() {
        assert_eq!(parse_amount("1234,56", ',').unwrap().cents(), 123_456);
        assert_eq!(parse_amount("-1 234,5", ',').unwrap().cents(), -123_450);
        assert_eq!(parse_amount("+12", '.').unwrap().cents(), 1200);
        assert_eq!(parse_amount("0.070", '.').unwrap().cents(), 7);
        assert_eq!(parse_amount("12.", '.').unwrap().cents(), 1200);
        assert!(parse_amount("0.071", '.').is_err());
        assert!(parse_amount("1,2", '.').is_err());
        assert!(parse_amount("", '.').is_err());
        assert!(parse_amount("-", '.').is_err());
        assert!(parse_amount("99999999999999999999", '.').is_err());
    }

    #[test]
    fn balance_difference_is_closing_minus_opening_and_lines() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let line = |cents| StatementLine {
            booking_date: day,
            value_date: None,
            amount: Amount::from_cents(cents),
            label: String::new(),
            reference: None,
            counterparty_name: None,
            counterparty_iban: None,
            end_to_end_id: None,
            remittance: None,
            source_line: 1,
        };
        let mut statement = Statement {
            account: AccountId::default(),
            id: "x".into(),
            period: (day, day),
            currency: "EUR".into(),
            opening: Some(Amount::from_cents(1000)),
            closing: Some(Amount::from_cents(1250)),
            lines: vec![line(500), line(-200)],
            source_line: 1,
        };
        assert_eq!(
            statement.balance_difference(),
            Some(Amount::from_cents(-50))
        );
        statement.closing = Some(Amount::from_cents(1300));
        assert_eq!(statement.balance_difference(), Some(Amount::ZERO));
        statement.opening = None;
        assert_eq!(statement.balance_difference(), None);
    }

    #[test]
    fn ibans_and_ribs() {
        let id = AccountId::from_text("FR76 3000 6000 0112 3456 7890 189");
        assert_eq!(id.iban.as_deref(), Some("FR7630006000011234567890189"));
        let rib = id.rib.unwrap();
        assert_eq!(
            (rib.bank.as_str(), rib.branch.as_str(), rib.account.as_str()),
            ("30006", "00001", "12345678901")
        );
        assert_eq!(
            AccountId::from_text("123/456").number.as_deref(),
            Some("123/456")
        );
    }

    #[test]
    fn only_euros() {
        assert!(require_euro("EUR", "f", 1, "currency").is_ok());
        let err = require_euro("USD", "f", 3, "currency").unwrap_err();
        assert_eq!(
            err.to_string(),
            "f:3: currency: the statement is in USD: only statements in euros (EUR) are read"
        );
    }
}
