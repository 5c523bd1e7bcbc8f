//! MT940 (SWIFT customer statement), with or without the SWIFT block envelope (`{1:…}{4:`
//! … `-}`). Fields: `:20:` reference, `:25:` account, `:28C:` statement number, `:60F:`/`:60M:`
//! opening balance, `:61:` line, `:86:` details of the line before it, `:62F:`/`:62M:` closing
//! balance; comma decimals. Several statements per file, each starting at `:20:`.

use chrono::{Datelike, NaiveDate};

use super::{AccountId, Rib, Statement, StatementLine, clean, clean_opt, require_euro};
use crate::formats::FormatError;
use crate::model::Amount;

/// One field: tag, value (lines joined with `\n`), line where it starts.
struct Field {
    tag: String,
    value: String,
    line: u64,
}

fn fields(text: &str) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index as u64 + 1;
        let mut line = raw.trim_end_matches('\r');
        if line.starts_with('{') {
            // SWIFT envelope: keep what follows `{4:` on the same line.
            match line.find("{4:") {
                Some(start) => line = &line[start + 3..],
                None => continue,
            }
        }
        let trimmed = line.trim();
        if trimmed == "-}" || trimmed == "-" || trimmed.starts_with("-}") {
            continue;
        }
        if let Some((tag, value)) = field_start(line) {
            out.push(Field {
                tag: tag.to_string(),
                value: value.to_string(),
                line: number,
            });
        } else if let Some(last) = out.last_mut() {
            last.value.push('\n');
            last.value.push_str(line);
        } else if !trimmed.is_empty() {
            // Text before the first field (a file header): kept nowhere.
            out.push(Field {
                tag: String::new(),
                value: trimmed.to_string(),
                line: number,
            });
        }
    }
    out
}

/// `:NN:` or `:NNa:` at the start of a line.
fn field_start(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix(':')?;
    let end = rest.find(':')?;
    let tag = &rest[..end];
    let bytes = tag.as_bytes();
    let valid = (bytes.len() == 2 || bytes.len() == 3)
        && bytes[..2].iter().all(u8::is_ascii_digit)
        && bytes.get(2).is_none_or(u8::is_ascii_alphabetic);
    valid.then(|| (tag, &rest[end + 1..]))
}

pub fn parse(data: &[u8], file: &str) -> Result<Vec<Statement>, FormatError> {
    let text = super::decode_utf8_or_1252(data);
    let fields = fields(&text);
    let mut groups: Vec<Vec<&Field>> = Vec::new();
    for field in &fields {
        if field.tag.is_empty() {
            if groups.is_empty() {
                continue;
            }
            return Err(FormatError::new(
                file,
                field.line,
                "record",
                format!("`{}` is not an MT940 field (:NN:)", clean(&field.value)),
            ));
        }
        if field.tag == "20" || groups.is_empty() {
            if field.tag != "20" {
                return Err(FormatError::new(
                    file,
                    field.line,
                    format!(":{}:", field.tag),
                    "a statement starts with its reference field :20:",
                ));
            }
            groups.push(Vec::new());
        }
        if let Some(group) = groups.last_mut() {
            group.push(field);
        }
    }
    if groups.is_empty() {
        return Err(FormatError::new(
            file,
            1,
            ":20:",
            "the file holds no MT940 statement",
        ));
    }
    groups.iter().map(|group| statement(group, file)).collect()
}

fn statement(group: &[&Field], file: &str) -> Result<Statement, FormatError> {
    let start = group.first().map_or(1, |field| field.line);
    let find = |tags: &[&str]| {
        group
            .iter()
            .find(|field| tags.contains(&field.tag.as_str()))
            .copied()
    };
    let reference = find(&["20"])
        .map(|field| clean(&field.value))
        .unwrap_or_default();
    let account_field = find(&["25"])
        .ok_or_else(|| FormatError::new(file, start, ":25:", "the account field is missing"))?;
    let account = account(&account_field.value);
    let opening_field = find(&["60F", "60M"])
        .ok_or_else(|| FormatError::new(file, start, ":60F:", "the opening balance is missing"))?;
    let (opening, opening_date) = balance(opening_field, file)?;
    let closing_field = find(&["62F", "62M"])
        .ok_or_else(|| FormatError::new(file, start, ":62F:", "the closing balance is missing"))?;
    let (closing, closing_date) = balance(closing_field, file)?;
    let mut lines: Vec<StatementLine> = Vec::new();
    let mut last_was_line = false;
    for field in group {
        match field.tag.as_str() {
            "61" => {
                lines.push(movement(field, file)?);
                last_was_line = true;
            }
            "86" if last_was_line => {
                if let Some(line) = lines.last_mut() {
                    details(line, &field.value);
                }
                last_was_line = false;
            }
            _ => last_was_line = false,
        }
    }
    let id = match find(&["28C", "28"]) {
        Some(number) => format!("{reference}/{}", clean(&number.value)),
        None => reference,
    };
    Ok(Statement {
        account,
        id,
        period: (opening_date, closing_date),
        currency: "EUR".to_string(),
        opening: Some(opening),
        closing: Some(closing),
        lines,
        source_line: start,
    })
}

/// `:25:` as an IBAN, a French RIB of 23 digits, or as written.
fn account(value: &str) -> AccountId {
    let first = value.lines().next().unwrap_or("").trim();
    // `BIC/ACCOUNT` forms: the account is after the slash.
    let candidate = match first.rsplit_once('/') {
        Some((_, account)) if !account.is_empty() => account,
        _ => first,
    };
    let compact: String = candidate.split_whitespace().collect();
    if compact.len() == 23 && compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return AccountId {
            rib: Some(Rib {
                bank: compact[..5].to_string(),
                branch: compact[5..10].to_string(),
                account: compact[10..21].to_string(),
            }),
            number: Some(compact),
            ..AccountId::default()
        };
    }
    let id = AccountId::from_text(&compact);
    if id.iban.is_some() {
        id
    } else {
        AccountId {
            number: clean_opt(first),
            ..AccountId::default()
        }
    }
}

fn field_name(field: &Field) -> String {
    format!(":{}:", field.tag)
}

/// `C260131EUR1234,56`.
fn balance(field: &Field, file: &str) -> Result<(Amount, NaiveDate), FormatError> {
    let value = field.value.trim();
    let name = field_name(field);
    let bad = |reason: String| FormatError::new(file, field.line, name.clone(), reason);
    let negative = match value.get(..1) {
        Some("C") => false,
        Some("D") => true,
        _ => {
            return Err(bad(format!(
                "`{}` does not start with C (credit) or D (debit)",
                clean(value)
            )));
        }
    };
    let date = value
        .get(1..7)
        .and_then(yymmdd)
        .ok_or_else(|| bad(format!("`{}` has no date (YYMMDD) after C/D", clean(value))))?;
    let currency = value
        .get(7..10)
        .ok_or_else(|| bad(format!("`{}` has no currency", clean(value))))?;
    require_euro(currency, file, field.line, &name)?;
    let amount = super::parse_amount(value.get(10..).unwrap_or(""), ',').map_err(bad)?;
    Ok((if negative { -amount } else { amount }, date))
}

fn yymmdd(text: &str) -> Option<NaiveDate> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = text[..2].parse().ok()?;
    let month: u32 = text[2..4].parse().ok()?;
    let day: u32 = text[4..6].parse().ok()?;
    let year = if year >= 80 { 1900 + year } else { 2000 + year };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `:61:` — value date YYMMDD, optional entry date MMDD, mark C/D/RC/RD, optional funds code,
/// amount, transaction type (4), customer reference, `//` bank reference, then on the next
/// line supplementary details.
fn movement(field: &Field, file: &str) -> Result<StatementLine, FormatError> {
    let name = field_name(field);
    let bad = |what: &str, reason: String| {
        FormatError::new(file, field.line, format!("{name} {what}"), reason)
    };
    let mut parts = field.value.splitn(2, '\n');
    let first = parts.next().unwrap_or("").trim();
    let supplementary = parts.next().and_then(clean_opt);
    let value_date = first.get(..6).and_then(yymmdd).ok_or_else(|| {
        bad(
            "value date",
            format!("`{}` does not start with a date (YYMMDD)", clean(first)),
        )
    })?;
    let mut rest = &first[6..];
    let mut booking_date = value_date;
    if rest.len() >= 4 && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        let month: u32 = rest[..2].parse().unwrap_or(0);
        let day: u32 = rest[2..4].parse().unwrap_or(0);
        let mut year = value_date.year();
        if month == 12 && value_date.month() == 1 {
            year -= 1;
        } else if month == 1 && value_date.month() == 12 {
            year += 1;
        }
        booking_date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
            bad(
                "entry date",
                format!("`{}` is not a date (MMDD)", clean(&rest[..4])),
            )
        })?;
        rest = &rest[4..];
    }
    let (negative, after_mark) = if let Some(after) = rest.strip_prefix("RC") {
        (true, after)
    } else if let Some(after) = rest.strip_prefix("RD") {
        (false, after)
    } else if let Some(after) = rest.strip_prefix('C') {
        (false, after)
    } else if let Some(after) = rest.strip_prefix('D') {
        (true, after)
    } else {
        return Err(bad(
            "mark",
            format!(
                "`{}` is not C, D, RC or RD",
                clean(rest.get(..2).unwrap_or(rest))
            ),
        ));
    };
    rest = after_mark;
    // Optional funds code: the third letter of the currency.
    if rest.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
        rest = &rest[1..];
    }
    let amount_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ','))
        .unwrap_or(rest.len());
    let amount =
        super::parse_amount(&rest[..amount_end], ',').map_err(|reason| bad("amount", reason))?;
    rest = &rest[amount_end..];
    // Transaction type: N, F or S and three characters.
    let type_len = rest
        .char_indices()
        .nth(4)
        .map_or(rest.len(), |(index, _)| index);
    rest = &rest[type_len..];
    let (customer, bank) = match rest.split_once("//") {
        Some((customer, bank)) => (customer, Some(bank)),
        None => (rest, None),
    };
    let customer = clean_opt(customer).filter(|reference| reference != "NONREF");
    let reference = bank.and_then(clean_opt).or_else(|| customer.clone());
    Ok(StatementLine {
        booking_date,
        value_date: Some(value_date),
        amount: if negative { -amount } else { amount },
        label: supplementary.clone().or(customer).unwrap_or_default(),
        reference,
        counterparty_name: None,
        counterparty_iban: None,
        end_to_end_id: None,
        remittance: supplementary,
        source_line: field.line,
    })
}

const KEYS: [&str; 20] = [
    "TRTP",
    "IBAN",
    "BIC",
    "NAME",
    "REMI",
    "EREF",
    "MARF",
    "CSID",
    "ORDP",
    "BENM",
    "ID",
    "USTD",
    "STRD",
    "CDTRREF",
    "CDTRREFTP",
    "ADDR",
    "RTRN",
    "PURP",
    "ISDT",
    "CNTP",
];

/// `:86:` details: structured `/KEY/value/…` (EREF, NAME, IBAN, REMI, CNTP) when written so,
/// else free text that becomes the label.
fn details(line: &mut StatementLine, value: &str) {
    let text = clean(&value.replace('\n', ""));
    let structured = text.starts_with('/')
        && ["/EREF/", "/NAME/", "/REMI/", "/CNTP/"]
            .iter()
            .any(|key| text.contains(key));
    if !structured {
        // Free text: lines joined with spaces.
        if let Some(label) = clean_opt(&value.replace('\n', " ")) {
            line.remittance = Some(label.clone());
            line.label = label;
        }
        return;
    }
    let tokens: Vec<&str> = text.split('/').collect();
    let mut pairs: Vec<(&str, String)> = Vec::new();
    let mut index = 1;
    while index < tokens.len() {
        let key = tokens[index];
        if KEYS.contains(&key) {
            let mut values = Vec::new();
            index += 1;
            while index < tokens.len() && !KEYS.contains(&tokens[index]) {
                values.push(tokens[index]);
                index += 1;
            }
            pairs.push((key, values.join("/")));
        } else {
            index += 1;
        }
    }
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, v)| *k == key && !v.trim_matches('/').is_empty())
            .map(|(_, v)| clean(v.trim_matches('/')))
    };
    if let Some(cntp) = get("CNTP") {
        // CNTP/IBAN/BIC/NAME/CITY
        let mut parts = cntp.split('/');
        line.counterparty_iban = parts.next().and_then(clean_opt);
        line.counterparty_name = parts.nth(1).and_then(clean_opt);
    }
    if let Some(name) = get("NAME") {
        line.counterparty_name = Some(name);
    }
    if let Some(iban) = get("IBAN") {
        line.counterparty_iban = Some(iban.replace(' ', ""));
    }
    if let Some(eref) = get("EREF").filter(|e| e != "NOTPROVIDED") {
        line.end_to_end_id = Some(eref);
    }
    // `/REMI/USTD//text/`: the text is under USTD (or STRD for a structured reference).
    let remittance = get("REMI").or_else(|| get("USTD")).or_else(|| get("STRD"));
    line.remittance = remittance.and_then(|r| clean_opt(&r));
    let label = [line.counterparty_name.clone(), line.remittance.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    line.label = if label.is_empty() { text } else { label };
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const ONE: &str = ":20:STMT0001\r\n:25:FR7630006000011234567890189\r\n:28C:12/1\r\n\
:60F:C260131EUR1000,00\r\n\
:61:2602020202C250,00NTRFNONREF//BK001\r\nVIREMENT\r\n\
:86:VIR SEPA DUPONT SARL\r\nFACTURE F2026-12\r\n\
:61:2602050205D12,5NCHGNONREF//BK002\r\n\
:86:/EREF/E2E-9/NAME/Banque/REMI/USTD//Frais tenue compte/\r\n\
:62F:C260228EUR1237,50\r\n-\r\n";

    #[test]
    fn a_statement_with_free_and_structured_details() {
        let statements = parse(ONE.as_bytes(), "a.sta").unwrap();
        let s = &statements[0];
        assert_eq!(s.id, "STMT0001/12/1");
        assert_eq!(
            s.account.iban.as_deref(),
            Some("FR7630006000011234567890189")
        );
        assert_eq!(s.lines.len(), 2);
        assert_eq!(s.lines[0].amount.cents(), 25_000);
        assert_eq!(s.lines[0].label, "VIR SEPA DUPONT SARL FACTURE F2026-12");
        assert_eq!(s.lines[0].reference.as_deref(), Some("BK001"));
        assert_eq!(s.lines[1].amount.cents(), -1_250);
        assert_eq!(s.lines[1].end_to_end_id.as_deref(), Some("E2E-9"));
        assert_eq!(s.lines[1].counterparty_name.as_deref(), Some("Banque"));
        assert_eq!(s.lines[1].remittance.as_deref(), Some("Frais tenue compte"));
        assert_eq!(s.balance_difference(), Some(Amount::ZERO));
        assert_eq!(s.lines[1].source_line, 9);
    }

    #[test]
    fn booking_date_across_the_new_year() {
        let text = ":20:X\n:25:ACC\n:60F:C251231EUR0,00\n:61:2601021231D1,00NTRFNONREF\n:62F:D260102EUR1,00\n";
        let s = &parse(text.as_bytes(), "y").unwrap()[0];
        assert_eq!(
            s.lines[0].booking_date,
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
        assert_eq!(s.lines[0].value_date, NaiveDate::from_ymd_opt(2026, 1, 2));
        assert_eq!(s.closing.unwrap().cents(), -100);
    }

    #[test]
    fn errors_name_line_and_field() {
        let err = parse(ONE.replace("D12,5N", "X12,5N").as_bytes(), "a.sta").unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (9, ":61: mark"));
        let err = parse(ONE.replace("C260228EUR", "C260228GBP").as_bytes(), "a.sta").unwrap_err();
        assert_eq!(err.line, 11);
        assert!(err.reason.contains("GBP"), "{err}");
        let err = parse(b":25:X\n", "a.sta").unwrap_err();
        assert_eq!(err.field, ":25:");
    }
}
