//! Statements written as banks send them: CFONB 120 (Latin-1 records of 120 characters) and
//! CAMT.053 (`camt.053.001.02` XML). The readers of this module read back what these write,
//! so tests and the demo produce files through the same formats a bank delivers. Pure: the
//! caller passes the statements and, for CAMT, the creation time of the message.
//!
//! CFONB 120 keeps what its records hold: a label of 32 characters, a reference of 16, the
//! counterparty's name (`NPY`/`NBE`), the end-to-end id (`RCN`) and the remittance text
//! (`LIB`, 70 characters a record, cut between words) in `05` complements; the counterparty's
//! IBAN has no place there. Text outside Latin-1 becomes `?`.

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveDateTime};

use super::{Rib, Statement, rib_from_french_iban};
use crate::model::Amount;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("statement {0}: CFONB 120 needs the French bank, branch and account numbers")]
    NoRib(String),
    #[error("statement {0}: CAMT.053 needs the account's IBAN")]
    NoIban(String),
    #[error("statement {0}: the {1} balance is missing")]
    NoBalance(String, &'static str),
    #[error("statement {0}: {1} does not fit in 14 digits")]
    TooLarge(String, String),
    #[error("statement {0}: {1} `{2}` does not fit its field of {3} characters")]
    TooLong(String, &'static str, String, usize),
}

const RECORD_LEN: usize = super::cfonb120::RECORD_LEN;
/// The text a `05` complement holds (positions 48 to 117).
const COMPLEMENT_LEN: usize = 70;
/// A movement's label (positions 48 to 79).
const LABEL_LEN: usize = 32;
/// An unstructured remittance of CAMT (`Ustrd`) holds 140 characters.
const USTRD_LEN: usize = 140;

/// Writes `statements` as one CFONB 120 file, a record a line (CRLF, as banks send them).
pub fn cfonb120(statements: &[Statement]) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::new();
    for statement in statements {
        let rib = statement
            .account
            .rib
            .clone()
            .or_else(|| {
                statement
                    .account
                    .iban
                    .as_deref()
                    .and_then(rib_from_french_iban)
            })
            .ok_or_else(|| WriteError::NoRib(statement.id.clone()))?;
        for (name, value, width) in [
            ("bank code", &rib.bank, 5),
            ("branch code", &rib.branch, 5),
            ("account number", &rib.account, 11),
        ] {
            if value.chars().count() > width {
                return Err(WriteError::TooLong(
                    statement.id.clone(),
                    name,
                    value.clone(),
                    width,
                ));
            }
        }
        let opening = statement
            .opening
            .ok_or_else(|| WriteError::NoBalance(statement.id.clone(), "opening"))?;
        let closing = statement
            .closing
            .ok_or_else(|| WriteError::NoBalance(statement.id.clone(), "closing"))?;
        let mut records = vec![balance_record(
            "01",
            &rib,
            statement.period.0,
            opening,
            &statement.id,
        )?];
        for (index, line) in statement.lines.iter().enumerate() {
            let mut record = header("04", &rib, line.booking_date);
            put(
                &mut record,
                7,
                4,
                if line.amount.is_negative() {
                    "0160"
                } else {
                    "0158"
                },
            );
            put(
                &mut record,
                32,
                2,
                if line.amount.is_negative() {
                    "06"
                } else {
                    "05"
                },
            );
            if let Some(value) = line.value_date {
                put(&mut record, 42, 6, &ddmmyy(value));
            }
            put(&mut record, 48, LABEL_LEN, &line.label);
            put(
                &mut record,
                81,
                7,
                &format!("{:07}", (index + 1) % 10_000_000),
            );
            put(
                &mut record,
                90,
                14,
                &amount_field(line.amount, &statement.id)?,
            );
            if let Some(reference) = &line.reference {
                put(&mut record, 104, 16, reference);
            }
            records.push(record);
            let name_qualifier = if line.amount.is_negative() {
                "NBE"
            } else {
                "NPY"
            };
            let mut complements: Vec<(&str, String)> = Vec::new();
            if let Some(name) = &line.counterparty_name {
                complements.push((name_qualifier, name.clone()));
            }
            if let Some(id) = &line.end_to_end_id {
                complements.push(("RCN", id.clone()));
            }
            if let Some(text) = &line.remittance {
                for part in split_words(text, COMPLEMENT_LEN) {
                    complements.push(("LIB", part));
                }
            }
            for (qualifier, text) in complements {
                let mut record = header("05", &rib, line.booking_date);
                put(&mut record, 7, 4, "0158");
                put(&mut record, 45, 3, qualifier);
                put(&mut record, 48, COMPLEMENT_LEN, &text);
                records.push(record);
            }
        }
        records.push(balance_record(
            "07",
            &rib,
            statement.period.1,
            closing,
            &statement.id,
        )?);
        for record in records {
            out.extend(record.iter().map(|c| latin1(*c)));
            out.extend_from_slice(b"\r\n");
        }
    }
    Ok(out)
}

fn balance_record(
    code: &str,
    rib: &Rib,
    date: NaiveDate,
    amount: Amount,
    statement: &str,
) -> Result<Vec<char>, WriteError> {
    let mut record = vec![' '; RECORD_LEN];
    put(&mut record, 0, 2, code);
    put(&mut record, 2, 5, &rib.bank);
    put(&mut record, 11, 5, &rib.branch);
    put(&mut record, 16, 4, "EUR2");
    put(&mut record, 21, 11, &rib.account);
    put(&mut record, 34, 6, &ddmmyy(date));
    put(&mut record, 90, 14, &amount_field(amount, statement)?);
    Ok(record)
}

/// A movement or complement record with the account and the date filled in.
fn header(code: &str, rib: &Rib, date: NaiveDate) -> Vec<char> {
    let mut record = vec![' '; RECORD_LEN];
    put(&mut record, 0, 2, code);
    put(&mut record, 2, 5, &rib.bank);
    put(&mut record, 11, 5, &rib.branch);
    put(&mut record, 16, 4, "EUR2");
    put(&mut record, 21, 11, &rib.account);
    put(&mut record, 34, 6, &ddmmyy(date));
    record
}

/// Writes `text` at `start` in a field of `width` characters (cut to it).
fn put(record: &mut [char], start: usize, width: usize, text: &str) {
    for (offset, c) in text
        .chars()
        .filter(|c| !c.is_control())
        .take(width)
        .enumerate()
    {
        if let Some(slot) = record.get_mut(start + offset) {
            *slot = c;
        }
    }
}

fn latin1(c: char) -> u8 {
    match c {
        '\u{2019}' | '\u{2018}' => b'\'',
        _ => u8::try_from(u32::from(c)).unwrap_or(b'?'),
    }
}

fn ddmmyy(date: NaiveDate) -> String {
    date.format("%d%m%y").to_string()
}

/// 14 characters: 13 digits and the last one with its sign (`{`, `A`-`I` for +0..+9; `}`,
/// `J`-`R` for -0..-9), in cents.
fn amount_field(amount: Amount, statement: &str) -> Result<String, WriteError> {
    let cents = amount.cents().unsigned_abs();
    if cents >= 100_000_000_000_000 {
        return Err(WriteError::TooLarge(
            statement.to_string(),
            amount.to_plain(),
        ));
    }
    let digits = format!("{cents:014}");
    let (head, last) = digits.split_at(13);
    let digit = last.bytes().next().map_or(0, |b| b.saturating_sub(b'0'));
    let sign = match (amount.is_negative(), digit) {
        (false, 0) => '{',
        (true, 0) => '}',
        (false, d) => char::from(b'A' + d - 1),
        (true, d) => char::from(b'J' + d - 1),
    };
    Ok(format!("{head}{sign}"))
}

/// `text` in pieces of at most `width` characters, cut between words (a word longer than
/// `width` is cut inside).
fn split_words(text: &str, width: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            parts.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        if word.is_empty() {
            continue;
        }
        let len = current.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            parts.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// Writes `statements` as one CAMT.053 message (`camt.053.001.02`), UTF-8. `message_id` and
/// `created` go to the group header and each statement's creation time.
pub fn camt053(
    statements: &[Statement],
    message_id: &str,
    created: NaiveDateTime,
) -> Result<Vec<u8>, WriteError> {
    let created = created.format("%Y-%m-%dT%H:%M:%S").to_string();
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n");
    xml.push_str("  <BkToCstmrStmt>\n");
    let _ = writeln!(
        xml,
        "    <GrpHdr><MsgId>{}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>",
        escape(message_id)
    );
    for statement in statements {
        let iban = statement
            .account
            .iban
            .as_deref()
            .ok_or_else(|| WriteError::NoIban(statement.id.clone()))?;
        let opening = statement
            .opening
            .ok_or_else(|| WriteError::NoBalance(statement.id.clone(), "opening"))?;
        let closing = statement
            .closing
            .ok_or_else(|| WriteError::NoBalance(statement.id.clone(), "closing"))?;
        xml.push_str("    <Stmt>\n");
        let _ = writeln!(xml, "      <Id>{}</Id>", escape(&statement.id));
        let _ = writeln!(xml, "      <CreDtTm>{created}</CreDtTm>");
        let _ = writeln!(
            xml,
            "      <FrToDt><FrDtTm>{}T00:00:00</FrDtTm><ToDtTm>{}T23:59:59</ToDtTm></FrToDt>",
            statement.period.0, statement.period.1
        );
        let _ = writeln!(
            xml,
            "      <Acct><Id><IBAN>{}</IBAN></Id><Ccy>EUR</Ccy></Acct>",
            escape(iban)
        );
        for (code, amount, date) in [
            ("OPBD", opening, statement.period.0),
            ("CLBD", closing, statement.period.1),
        ] {
            let _ = writeln!(
                xml,
                "      <Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>{date}</Dt></Dt></Bal>",
                amount.abs().to_plain(),
                direction(amount)
            );
        }
        for line in &statement.lines {
            xml.push_str("      <Ntry>\n");
            let _ = writeln!(
                xml,
                "        <Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Sts>BOOK</Sts>",
                line.amount.abs().to_plain(),
                direction(line.amount)
            );
            let _ = write!(
                xml,
                "        <BookgDt><Dt>{}</Dt></BookgDt>",
                line.booking_date
            );
            if let Some(value) = line.value_date {
                let _ = write!(xml, "<ValDt><Dt>{value}</Dt></ValDt>");
            }
            xml.push('\n');
            if let Some(reference) = &line.reference {
                let _ = writeln!(
                    xml,
                    "        <AcctSvcrRef>{}</AcctSvcrRef>",
                    escape(reference)
                );
            }
            let (family, role) = if line.amount.is_negative() {
                ("ICDT", "Cdtr")
            } else {
                ("RCDT", "Dbtr")
            };
            let _ = writeln!(
                xml,
                "        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            );
            let has_details = line.end_to_end_id.is_some()
                || line.counterparty_name.is_some()
                || line.counterparty_iban.is_some()
                || line.remittance.is_some();
            if has_details {
                xml.push_str("        <NtryDtls><TxDtls>\n");
                if let Some(id) = &line.end_to_end_id {
                    let _ = writeln!(
                        xml,
                        "          <Refs><EndToEndId>{}</EndToEndId></Refs>",
                        escape(id)
                    );
                }
                if line.counterparty_name.is_some() || line.counterparty_iban.is_some() {
                    xml.push_str("          <RltdPties>");
                    if let Some(name) = &line.counterparty_name {
                        let _ = write!(xml, "<{role}><Nm>{}</Nm></{role}>", escape(name));
                    }
                    if let Some(iban) = &line.counterparty_iban {
                        let _ = write!(
                            xml,
                            "<{role}Acct><Id><IBAN>{}</IBAN></Id></{role}Acct>",
                            escape(iban)
                        );
                    }
                    xml.push_str("</RltdPties>\n");
                }
                if let Some(text) = &line.remittance {
                    xml.push_str("          <RmtInf>");
                    for part in split_words(text, USTRD_LEN) {
                        let _ = write!(xml, "<Ustrd>{}</Ustrd>", escape(&part));
                    }
                    xml.push_str("</RmtInf>\n");
                }
                xml.push_str("        </TxDtls></NtryDtls>\n");
            }
            let _ = writeln!(
                xml,
                "        <AddtlNtryInf>{}</AddtlNtryInf>",
                escape(&line.label)
            );
            xml.push_str("      </Ntry>\n");
        }
        xml.push_str("    </Stmt>\n");
    }
    xml.push_str("  </BkToCstmrStmt>\n</Document>\n");
    Ok(xml.into_bytes())
}

fn direction(amount: Amount) -> &'static str {
    if amount.is_negative() { "DBIT" } else { "CRDT" }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().filter(|c| !c.is_control()) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::{AccountId, StatementLine, camt053, cfonb120};
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn line(date: NaiveDate, cents: i64, label: &str) -> StatementLine {
        StatementLine {
            booking_date: date,
            value_date: Some(date),
            amount: Amount::from_cents(cents),
            label: label.into(),
            reference: Some(format!("R{cents}")),
            counterparty_name: None,
            counterparty_iban: None,
            end_to_end_id: None,
            remittance: None,
            source_line: 0,
        }
    }

    fn statement(account: AccountId, id: &str) -> Statement {
        let mut lines = vec![
            line(day(11, 3), 123_456, "VIR SEPA RECU HÔTEL GRAND CERF"),
            line(day(11, 5), -9, "FRAIS"),
            line(day(11, 6), -100_000, "PRLV SEPA URSSAF"),
            line(day(11, 9), 10, "INTERETS"),
        ];
        lines[0].counterparty_name = Some("Hôtel du Grand Cerf".into());
        lines[0].end_to_end_id = Some("E2E-F2026-0126".into());
        lines[0].remittance = Some(
            "FACTURES F2026-0126 F2026-0132 REGLEMENT DU SOLDE DE LA COMMANDE DE LUSTRES \
             POUR LE HALL ET LES SALONS DU REZ DE CHAUSSEE"
                .into(),
        );
        lines[2].counterparty_name = Some("URSSAF Rhône-Alpes".into());
        let opening = Amount::from_cents(-5_000);
        let total = Amount::checked_sum(lines.iter().map(|l| l.amount)).unwrap();
        Statement {
            account,
            id: id.into(),
            period: (day(10, 31), day(11, 30)),
            currency: "EUR".into(),
            opening: Some(opening),
            closing: opening.checked_add(total),
            lines,
            source_line: 0,
        }
    }

    /// What a reader gives back, without where things are in the file.
    fn comparable(mut statements: Vec<Statement>) -> Vec<Statement> {
        for s in &mut statements {
            s.source_line = 0;
            for l in &mut s.lines {
                l.source_line = 0;
            }
        }
        statements
    }

    #[test]
    fn cfonb120_reads_back_what_it_writes() {
        let rib = Rib {
            bank: "30004".into(),
            branch: "00823".into(),
            account: "00012345678".into(),
        };
        let account = AccountId {
            rib: Some(rib),
            ..AccountId::default()
        };
        let mut written = statement(account.clone(), "");
        written.id = super::super::derived_id(&account, day(11, 30));
        let mut second = written.clone();
        second.period = (day(11, 30), day(12, 31));
        second.opening = written.closing;
        second.closing = written.closing;
        second.lines.clear();
        second.id = super::super::derived_id(&account, day(12, 31));
        let data = cfonb120(&[written.clone(), second.clone()]).unwrap();
        // Latin-1 records of 120 characters, each ended by CRLF (the LF split off here).
        for record in data.split(|b| *b == b'\n').filter(|r| !r.is_empty()) {
            assert_eq!(record.len(), 121, "{:?}", String::from_utf8_lossy(record));
        }
        assert!(data.contains(&0xD4), "Ô is one Latin-1 byte");
        let read = comparable(cfonb120::parse(&data, "x.txt").unwrap());
        assert_eq!(read, vec![written, second]);
    }

    #[test]
    fn cfonb120_signs_the_last_digit() {
        assert_eq!(
            amount_field(Amount::from_cents(12_050), "s").unwrap(),
            "0000000001205{"
        );
        assert_eq!(
            amount_field(Amount::from_cents(-34_567), "s").unwrap(),
            "0000000003456P"
        );
        assert_eq!(
            amount_field(Amount::from_cents(-10), "s").unwrap(),
            "0000000000001}"
        );
        assert_eq!(
            amount_field(Amount::from_cents(9), "s").unwrap(),
            "0000000000000I"
        );
        assert!(matches!(
            amount_field(Amount::from_cents(100_000_000_000_000), "s"),
            Err(WriteError::TooLarge(..))
        ));
    }

    #[test]
    fn cfonb120_needs_the_bank_details_and_the_balances() {
        let no_rib = statement(
            AccountId {
                number: Some("42".into()),
                ..AccountId::default()
            },
            "S1",
        );
        assert_eq!(cfonb120(&[no_rib]), Err(WriteError::NoRib("S1".into())));
        let mut no_opening = statement(AccountId::from_text("FR7630004008230001234567819"), "S2");
        no_opening.opening = None;
        assert_eq!(
            cfonb120(&[no_opening]),
            Err(WriteError::NoBalance("S2".into(), "opening"))
        );
    }

    #[test]
    fn camt053_reads_back_what_it_writes() {
        let account = AccountId::from_text("FR7642559100000801234560149");
        let mut first = statement(account.clone(), "2026-11 <A&B>");
        first.lines[2].counterparty_iban = Some("FR7630003004510002017781267".into());
        let mut second = first.clone();
        second.id = "2026-12".into();
        second.period = (day(12, 1), day(12, 31));
        second.opening = first.closing;
        second.closing = first.closing;
        second.lines.clear();
        let created = day(12, 1).and_hms_opt(6, 0, 0).unwrap();
        let data = camt053(&[first.clone(), second.clone()], "MSG-1", created).unwrap();
        let read = comparable(camt053::parse(&data, "x.xml").unwrap());
        assert_eq!(read, vec![first, second]);
        let text = String::from_utf8(data).unwrap();
        assert!(text.contains("<Id>2026-11 &lt;A&amp;B&gt;</Id>"), "{text}");
        assert!(text.contains("camt.053.001.02"), "{text}");
    }

    #[test]
    fn camt053_needs_the_iban() {
        let rib_only = statement(
            AccountId {
                rib: Some(Rib {
                    bank: "30004".into(),
                    branch: "00823".into(),
                    account: "00012345678".into(),
                }),
                ..AccountId::default()
            },
            "S",
        );
        let created = day(12, 1).and_hms_opt(6, 0, 0).unwrap();
        assert_eq!(
            camt053(&[rib_only], "M", created),
            Err(WriteError::NoIban("S".into()))
        );
    }

    #[test]
    fn long_texts_are_cut_between_words() {
        assert_eq!(
            split_words("AAA BBB CCC", 7),
            vec!["AAA BBB".to_string(), "CCC".to_string()]
        );
        assert_eq!(
            split_words("ABCDEFGHIJ K", 4),
            vec!["ABCD".to_string(), "EFGH".to_string(), "IJ K".to_string()]
        );
    }
}
