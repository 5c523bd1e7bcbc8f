//! OFX statements: 1.x (SGML: a text header, then tags whose leaf elements are not closed) and
//! 2.x (XML, read with the same limits as CAMT.053). Bank statements (`STMTRS`) and credit-card
//! statements (`CCSTMTRS`) are both read; each is one statement. `STMTTRN` gives the lines
//! (`TRNAMT` signed from the account holder's side, a comma decimal accepted), `LEDGERBAL` the
//! closing balance. OFX gives no opening balance.

use chrono::NaiveDate;

use super::xml::{Element, parse_sgml, parse_xml};
use super::{AccountId, Rib, Statement, StatementLine, clean, clean_opt, require_euro};
use crate::formats::FormatError;
use crate::model::Amount;

pub fn parse(data: &[u8], file: &str) -> Result<Vec<Statement>, FormatError> {
    let root = read_tree(data, file)?;
    if &*root.name != "OFX" {
        return Err(FormatError::new(
            file,
            root.line,
            root.name.to_string(),
            "an OFX file's root element is `OFX`",
        ));
    }
    let mut statements = Vec::new();
    collect(&root, "OFX", file, &mut statements)?;
    if statements.is_empty() {
        return Err(FormatError::new(
            file,
            root.line,
            "OFX",
            "the file holds no bank (STMTRS) or credit-card (CCSTMTRS) statement",
        ));
    }
    Ok(statements)
}

/// The element tree: XML for OFX 2.x, SGML after the text header for 1.x.
fn read_tree(data: &[u8], file: &str) -> Result<Element, FormatError> {
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    if body[start..].starts_with(b"<?xml") || body[start..].starts_with(b"<?XML") {
        return parse_xml(data, file);
    }
    let text = super::decode_utf8_or_1252(data);
    let Some(ofx) = find_ofx_tag(&text) else {
        return Err(FormatError::new(file, 1, "OFX", "no `<OFX>` element found"));
    };
    let header = &text[..ofx];
    for line in header.lines() {
        let line = line.trim();
        if !line.is_empty() && !line.contains(':') && !line.starts_with('<') {
            return Err(FormatError::new(
                file,
                1 + text[..text.find(line).unwrap_or(0)].matches('\n').count() as u64,
                "header",
                format!("`{}` is not an OFX header line (NAME:VALUE)", clean(line)),
            ));
        }
    }
    let first_line = 1 + header.matches('\n').count() as u64;
    parse_sgml(&text[ofx..], first_line, file)
}

fn find_ofx_tag(text: &str) -> Option<usize> {
    let upper = text.to_ascii_uppercase();
    upper.find("<OFX>")
}

/// Finds statements at any depth (inside BANKMSGSRSV1/STMTTRNRS or CREDITCARDMSGSRSV1/…).
fn collect(
    element: &Element,
    path: &str,
    file: &str,
    out: &mut Vec<Statement>,
) -> Result<(), FormatError> {
    for child in &element.children {
        let child_path = format!("{path}/{}", child.name);
        match &*child.name {
            "STMTRS" => out.push(statement(child, &child_path, false, file)?),
            "CCSTMTRS" => out.push(statement(child, &child_path, true, file)?),
            _ => collect(child, &child_path, file, out)?,
        }
    }
    Ok(())
}

fn missing(file: &str, element: &Element, path: &str) -> FormatError {
    FormatError::new(file, element.line, path, "missing")
}

fn line_of(element: &Element, name: &str) -> u64 {
    element.child(name).map_or(element.line, |child| child.line)
}

/// `YYYYMMDD[HHMMSS[.XXX][[TZ]]]`: the date part.
fn date(element: &Element, name: &str, path: &str, file: &str) -> Result<NaiveDate, FormatError> {
    let text = element
        .text_at(&[name])
        .ok_or_else(|| missing(file, element, &format!("{path}/{name}")))?;
    text.get(..8)
        .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| NaiveDate::parse_from_str(digits, "%Y%m%d").ok())
        .ok_or_else(|| {
            FormatError::new(
                file,
                line_of(element, name),
                format!("{path}/{name}"),
                format!("`{}` is not a date (YYYYMMDD)", clean(text)),
            )
        })
}

/// An amount with a dot or (French exports) a comma as decimal separator.
fn amount(element: &Element, name: &str, path: &str, file: &str) -> Result<Amount, FormatError> {
    let text = element
        .text_at(&[name])
        .ok_or_else(|| missing(file, element, &format!("{path}/{name}")))?;
    let separator = if text.contains(',') { ',' } else { '.' };
    super::parse_amount(text, separator).map_err(|reason| {
        FormatError::new(
            file,
            line_of(element, name),
            format!("{path}/{name}"),
            reason,
        )
    })
}

fn account(
    rs: &Element,
    path: &str,
    credit_card: bool,
    file: &str,
) -> Result<AccountId, FormatError> {
    let from_name = if credit_card {
        "CCACCTFROM"
    } else {
        "BANKACCTFROM"
    };
    let from_path = format!("{path}/{from_name}");
    let from = rs
        .child(from_name)
        .ok_or_else(|| missing(file, rs, &from_path))?;
    let number = from
        .text_at(&["ACCTID"])
        .ok_or_else(|| missing(file, from, &format!("{from_path}/ACCTID")))?;
    let number = clean(number);
    let compact: String = number.split_whitespace().collect();
    if super::looks_like_iban(&compact) {
        return Ok(AccountId::from_text(&compact));
    }
    match (from.text_at(&["BANKID"]), from.text_at(&["BRANCHID"])) {
        (Some(bank), Some(branch)) if !credit_card => {
            // French exports write the 11-character account, sometimes followed by the key.
            let account = compact
                .get(..11)
                .filter(|_| compact.len() == 13)
                .unwrap_or(&compact);
            Ok(AccountId {
                rib: Some(Rib {
                    bank: clean(bank),
                    branch: clean(branch),
                    account: account.to_string(),
                }),
                ..AccountId::default()
            })
        }
        _ => Ok(AccountId {
            number: Some(compact),
            ..AccountId::default()
        }),
    }
}

fn statement(
    rs: &Element,
    path: &str,
    credit_card: bool,
    file: &str,
) -> Result<Statement, FormatError> {
    let currency = rs
        .text_at(&["CURDEF"])
        .ok_or_else(|| missing(file, rs, &format!("{path}/CURDEF")))?;
    require_euro(
        currency,
        file,
        line_of(rs, "CURDEF"),
        &format!("{path}/CURDEF"),
    )?;
    let account = account(rs, path, credit_card, file)?;
    let list_path = format!("{path}/BANKTRANLIST");
    let mut lines = Vec::new();
    let mut period = None;
    if let Some(list) = rs.child("BANKTRANLIST") {
        if list.child("DTSTART").is_some() && list.child("DTEND").is_some() {
            period = Some((
                date(list, "DTSTART", &list_path, file)?,
                date(list, "DTEND", &list_path, file)?,
            ));
        }
        let tx_path = format!("{list_path}/STMTTRN");
        for tx in list.children_named("STMTTRN") {
            lines.push(line(tx, &tx_path, file)?);
        }
    }
    let closing = match rs.child("LEDGERBAL") {
        Some(balance) => {
            let balance_path = format!("{path}/LEDGERBAL");
            let closing_date = date(balance, "DTASOF", &balance_path, file)?;
            Some((
                amount(balance, "BALAMT", &balance_path, file)?,
                closing_date,
            ))
        }
        None => None,
    };
    let period = match period {
        Some(period) => period,
        None => {
            let first = lines.iter().map(|l: &StatementLine| l.booking_date).min();
            let last = closing
                .map(|(_, date)| date)
                .or_else(|| lines.iter().map(|l| l.booking_date).max());
            match (first.or(last), last) {
                (Some(first), Some(last)) => (first, last),
                _ => {
                    return Err(FormatError::new(
                        file,
                        rs.line,
                        list_path,
                        "the statement has no period, no balance and no transaction",
                    ));
                }
            }
        }
    };
    Ok(Statement {
        id: super::derived_id(&account, period.1),
        account,
        period,
        currency: "EUR".to_string(),
        opening: None,
        closing: closing.map(|(amount, _)| amount),
        lines,
        source_line: rs.line,
    })
}

fn line(tx: &Element, path: &str, file: &str) -> Result<StatementLine, FormatError> {
    let booking_date = date(tx, "DTPOSTED", path, file)?;
    let value_date = if tx.child("DTAVAIL").is_some() {
        Some(date(tx, "DTAVAIL", path, file)?)
    } else {
        None
    };
    let amount = amount(tx, "TRNAMT", path, file)?;
    let name = tx
        .text_at(&["NAME"])
        .or_else(|| tx.text_at(&["PAYEE", "NAME"]))
        .and_then(clean_opt);
    let memo = tx.text_at(&["MEMO"]).and_then(clean_opt);
    let label = match (&name, &memo) {
        (Some(name), Some(memo)) if !name.contains(memo.as_str()) => format!("{name} {memo}"),
        (Some(name), _) => name.clone(),
        (None, Some(memo)) => memo.clone(),
        (None, None) => tx.text_at(&["TRNTYPE"]).map(clean).unwrap_or_default(),
    };
    let reference = tx
        .text_at(&["FITID"])
        .or_else(|| tx.text_at(&["REFNUM"]))
        .or_else(|| tx.text_at(&["CHECKNUM"]))
        .and_then(clean_opt);
    Ok(StatementLine {
        booking_date,
        value_date,
        amount,
        label,
        reference,
        counterparty_name: name,
        counterparty_iban: None,
        end_to_end_id: None,
        remittance: memo,
        source_line: tx.line,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const SGML: &str = "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nCHARSET:1252\r\n\r\n\
<OFX>\r\n<BANKMSGSRSV1>\r\n<STMTTRNRS>\r\n<TRNUID>1\r\n<STMTRS>\r\n<CURDEF>EUR\r\n\
<BANKACCTFROM>\r\n<BANKID>30004\r\n<BRANCHID>00123\r\n<ACCTID>0001234567890\r\n<ACCTTYPE>CHECKING\r\n</BANKACCTFROM>\r\n\
<BANKTRANLIST>\r\n<DTSTART>20260201\r\n<DTEND>20260228\r\n\
<STMTTRN>\r\n<TRNTYPE>DEBIT\r\n<DTPOSTED>20260205120000\r\n<TRNAMT>-12,50\r\n<FITID>F1\r\n<NAME>CB CARREFOUR\r\n</STMTTRN>\r\n\
</BANKTRANLIST>\r\n<LEDGERBAL>\r\n<BALAMT>987,50\r\n<DTASOF>20260228\r\n</LEDGERBAL>\r\n\
</STMTRS>\r\n</STMTTRNRS>\r\n</BANKMSGSRSV1>\r\n</OFX>\r\n";

    #[test]
    fn sgml_with_comma_decimals() {
        let statements = parse(SGML.as_bytes(), "a.ofx").unwrap();
        let s = &statements[0];
        assert_eq!(s.lines[0].amount.cents(), -1250);
        assert_eq!(s.closing.unwrap().cents(), 98_750);
        assert_eq!(s.lines[0].reference.as_deref(), Some("F1"));
        let rib = s.account.rib.as_ref().unwrap();
        assert_eq!(rib.account, "00012345678");
        assert_eq!(s.lines[0].source_line, 21);
    }

    #[test]
    fn errors_name_the_tag_and_line() {
        let bad = SGML.replace("-12,50", "-12,5x");
        let err = parse(bad.as_bytes(), "a.ofx").unwrap_err();
        assert_eq!(err.line, 24);
        assert_eq!(
            err.field,
            "OFX/BANKMSGSRSV1/STMTTRNRS/STMTRS/BANKTRANLIST/STMTTRN/TRNAMT"
        );
        let usd = SGML.replace("<CURDEF>EUR", "<CURDEF>USD");
        let err = parse(usd.as_bytes(), "a.ofx").unwrap_err();
        assert!(err.reason.contains("USD"), "{err}");
    }
}
