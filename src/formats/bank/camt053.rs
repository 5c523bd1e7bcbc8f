//! CAMT.053 (ISO 20022 bank-to-customer statement), any version (`camt.053.001.02` to `.08`):
//! `Document/BkToCstmrStmt/Stmt`, several statements per file. Each `Ntry` is one statement
//! line; its transaction details (`NtryDtls/TxDtls`) stay on that line. Entries whose status is
//! not booked (`PDNG`, `INFO`) are not part of the statement's balance and are left out.
//!
//! The XML is read with no DTD or external entity ever resolved (a `DOCTYPE` is refused), and
//! with size and depth limits (see the `xml` module).

use chrono::NaiveDate;

use super::xml::{Element, parse_xml_with};
use super::{AccountId, Statement, StatementLine, clean, clean_opt, parse_amount, require_euro};
use crate::formats::FormatError;
use crate::model::Amount;

const STMT: &str = "Document/BkToCstmrStmt/Stmt";

/// What the entries of one statement gave, in document order.
type EntryResults = Vec<Result<Option<StatementLine>, FormatError>>;

pub fn parse(data: &[u8], file: &str) -> Result<Vec<Statement>, FormatError> {
    // Each `Document/BkToCstmrStmt/Stmt/Ntry` becomes its line as soon as it ends, so a file
    // of many entries never holds their trees; their errors wait for their statement's turn,
    // so a file is judged in the same order as when the tree is read whole.
    let mut entries: Vec<EntryResults> = Vec::new();
    let root = parse_xml_with(data, file, &mut |stack, element| {
        let in_statement = matches!(
            stack,
            [document, report, stmt]
                if &*document.name == "Document"
                    && &*report.name == "BkToCstmrStmt"
                    && &*stmt.name == "Stmt"
        );
        if !in_statement || &*element.name != "Ntry" {
            return Some(element);
        }
        let index = stack[1]
            .children
            .iter()
            .filter(|child| &*child.name == "Stmt")
            .count();
        if entries.len() <= index {
            entries.resize_with(index + 1, Vec::new);
        }
        entries[index].push(entry_line(&element, file));
        None
    })?;
    if &*root.name != "Document" {
        return Err(FormatError::new(
            file,
            root.line,
            root.name.to_string(),
            "a CAMT.053 file starts with a `Document` element",
        ));
    }
    let Some(report) = root.child("BkToCstmrStmt") else {
        return Err(FormatError::new(
            file,
            root.line,
            "Document/BkToCstmrStmt",
            "missing: this is not a CAMT.053 bank-to-customer statement",
        ));
    };
    let mut entries = entries.into_iter();
    let statements: Vec<Statement> = report
        .children_named("Stmt")
        .map(|stmt| statement(stmt, entries.next().unwrap_or_default(), file))
        .collect::<Result<_, _>>()?;
    if statements.is_empty() {
        return Err(FormatError::new(
            file,
            report.line,
            "Document/BkToCstmrStmt/Stmt",
            "the file holds no statement",
        ));
    }
    Ok(statements)
}

fn missing(file: &str, element: &Element, path: &str) -> FormatError {
    FormatError::new(file, element.line, path, "missing")
}

/// `Dt` or the date part of `DtTm` inside `element`.
fn date_in(element: &Element, file: &str, path: &str) -> Result<NaiveDate, FormatError> {
    let (text, inner) = if let Some(text) = element.text_at(&["Dt"]) {
        (text, "Dt")
    } else if let Some(text) = element.text_at(&["DtTm"]) {
        (text, "DtTm")
    } else if !element.text.trim().is_empty() {
        (element.text.trim(), "")
    } else {
        return Err(missing(file, element, &format!("{path}/Dt")));
    };
    iso_date(text).ok_or_else(|| {
        let field = if inner.is_empty() {
            path.to_string()
        } else {
            format!("{path}/{inner}")
        };
        FormatError::new(
            file,
            element.line,
            field,
            format!("`{}` is not a date (YYYY-MM-DD)", clean(text)),
        )
    })
}

fn iso_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// A signed amount from `Amt` (with its `Ccy`) and `CdtDbtInd` inside `element`.
fn signed_amount(element: &Element, file: &str, path: &str) -> Result<Amount, FormatError> {
    let amt = element
        .child("Amt")
        .ok_or_else(|| missing(file, element, &format!("{path}/Amt")))?;
    let amt_path = format!("{path}/Amt");
    match amt.attr("Ccy") {
        Some(currency) => require_euro(currency, file, amt.line, &format!("{amt_path}@Ccy"))?,
        None => return Err(missing(file, amt, &format!("{amt_path}@Ccy"))),
    }
    let value = parse_amount(&amt.text, '.')
        .map_err(|reason| FormatError::new(file, amt.line, amt_path.clone(), reason))?;
    if value.is_negative() {
        return Err(FormatError::new(
            file,
            amt.line,
            amt_path,
            "a CAMT amount is unsigned: its direction is in CdtDbtInd",
        ));
    }
    let indicator_path = format!("{path}/CdtDbtInd");
    match element.text_at(&["CdtDbtInd"]) {
        Some("CRDT") => Ok(value),
        Some("DBIT") => Ok(-value),
        Some(other) => Err(FormatError::new(
            file,
            element.child("CdtDbtInd").map_or(element.line, |e| e.line),
            indicator_path,
            format!("`{}` is neither CRDT nor DBIT", clean(other)),
        )),
        None => Err(missing(file, element, &indicator_path)),
    }
}

fn statement(stmt: &Element, entries: EntryResults, file: &str) -> Result<Statement, FormatError> {
    let account = account(stmt, file)?;
    if let Some(currency) = stmt.text_at(&["Acct", "Ccy"]) {
        let line = stmt.at(&["Acct", "Ccy"]).map_or(stmt.line, |e| e.line);
        require_euro(currency, file, line, &format!("{STMT}/Acct/Ccy"))?;
    }
    let mut opening: Option<(Amount, NaiveDate, bool)> = None;
    let mut closing: Option<(Amount, NaiveDate)> = None;
    for bal in stmt.children_named("Bal") {
        let path = format!("{STMT}/Bal");
        let code = bal
            .text_at(&["Tp", "CdOrPrtry", "Cd"])
            .or_else(|| bal.text_at(&["Tp", "CdOrPrtry", "Prtry"]))
            .unwrap_or("");
        let is_opening = matches!(code, "OPBD" | "PRCD");
        if !is_opening && code != "CLBD" {
            continue;
        }
        let amount = signed_amount(bal, file, &path)?;
        let date = bal
            .child("Dt")
            .ok_or_else(|| missing(file, bal, &format!("{path}/Dt")))
            .and_then(|dt| date_in(dt, file, &format!("{path}/Dt")))?;
        if is_opening {
            // OPBD wins over PRCD (the previous closing), whichever comes first.
            let is_opbd = code == "OPBD";
            if opening.is_none_or(|(_, _, was_opbd)| is_opbd && !was_opbd) {
                opening = Some((amount, date, is_opbd));
            }
        } else {
            closing = Some((amount, date));
        }
    }
    let mut lines = Vec::with_capacity(entries.len());
    for entry in entries {
        if let Some(line) = entry? {
            lines.push(line);
        }
    }
    let period = match stmt.child("FrToDt") {
        Some(range) => {
            let path = format!("{STMT}/FrToDt");
            let from = range
                .child("FrDtTm")
                .or_else(|| range.child("FrDt"))
                .ok_or_else(|| missing(file, range, &format!("{path}/FrDtTm")))?;
            let to = range
                .child("ToDtTm")
                .or_else(|| range.child("ToDt"))
                .ok_or_else(|| missing(file, range, &format!("{path}/ToDtTm")))?;
            (
                date_in(from, file, &format!("{path}/{}", from.name))?,
                date_in(to, file, &format!("{path}/{}", to.name))?,
            )
        }
        None => {
            let dates = lines.iter().map(|line: &StatementLine| line.booking_date);
            let first = opening
                .map(|(_, date, _)| date)
                .or_else(|| dates.clone().min());
            let last = closing.map(|(_, date)| date).or_else(|| dates.max());
            match (first, last) {
                (Some(first), Some(last)) => (first, last),
                _ => {
                    return Err(FormatError::new(
                        file,
                        stmt.line,
                        format!("{STMT}/FrToDt"),
                        "the statement has no period, no balance date and no entry",
                    ));
                }
            }
        }
    };
    let id = match stmt.text_at(&["Id"]) {
        Some(id) => clean(id),
        None => super::derived_id(&account, period.1),
    };
    Ok(Statement {
        account,
        id,
        period,
        currency: "EUR".to_string(),
        opening: opening.map(|(amount, _, _)| amount),
        closing: closing.map(|(amount, _)| amount),
        lines,
        source_line: stmt.line,
    })
}

fn account(stmt: &Element, file: &str) -> Result<AccountId, FormatError> {
    let acct = stmt
        .child("Acct")
        .ok_or_else(|| missing(file, stmt, &format!("{STMT}/Acct")))?;
    if let Some(iban) = acct.text_at(&["Id", "IBAN"]) {
        let id = AccountId::from_text(iban);
        if id.iban.is_none() {
            return Err(FormatError::new(
                file,
                acct.at(&["Id", "IBAN"]).map_or(acct.line, |e| e.line),
                format!("{STMT}/Acct/Id/IBAN"),
                format!("`{}` is not an IBAN", clean(iban)),
            ));
        }
        return Ok(id);
    }
    match acct.text_at(&["Id", "Othr", "Id"]) {
        Some(other) => Ok(AccountId {
            number: Some(clean(other)),
            ..AccountId::default()
        }),
        None => Err(missing(file, acct, &format!("{STMT}/Acct/Id/IBAN"))),
    }
}

/// The party at `Dbtr` / `Cdtr` (v.02: `Dbtr/Nm`; v.08: `Dbtr/Pty/Nm`).
fn party_name(parties: &Element, role: &str) -> Option<String> {
    parties
        .text_at(&[role, "Nm"])
        .or_else(|| parties.text_at(&[role, "Pty", "Nm"]))
        .and_then(clean_opt)
}

fn entry_line(entry: &Element, file: &str) -> Result<Option<StatementLine>, FormatError> {
    let path = format!("{STMT}/Ntry");
    let status = entry
        .text_at(&["Sts", "Cd"])
        .or_else(|| entry.text_at(&["Sts"]))
        .unwrap_or("BOOK");
    if status != "BOOK" {
        return Ok(None);
    }
    // For a reversal (`RvslInd`), CdtDbtInd already gives the direction of the reversing entry.
    let amount = signed_amount(entry, file, &path)?;
    let booking = entry
        .child("BookgDt")
        .ok_or_else(|| missing(file, entry, &format!("{path}/BookgDt")))?;
    let booking_date = date_in(booking, file, &format!("{path}/BookgDt"))?;
    let value_date = match entry.child("ValDt") {
        Some(value) => Some(date_in(value, file, &format!("{path}/ValDt"))?),
        None => None,
    };
    let reference = entry
        .text_at(&["AcctSvcrRef"])
        .or_else(|| entry.text_at(&["NtryRef"]))
        .and_then(clean_opt);
    let details: Vec<&Element> = entry
        .children_named("NtryDtls")
        .flat_map(|block| block.children_named("TxDtls"))
        .collect();
    let mut end_to_end: Vec<String> = Vec::new();
    let mut remittance: Vec<String> = Vec::new();
    let mut counterparty_name = None;
    let mut counterparty_iban = None;
    // The counterparty is the debtor of money in, the creditor of money out.
    let role = if amount.is_negative() { "Cdtr" } else { "Dbtr" };
    for tx in &details {
        if let Some(id) = tx.text_at(&["Refs", "EndToEndId"])
            && id != "NOTPROVIDED"
        {
            end_to_end.push(clean(id));
        }
        // A returned direct debit (R-transaction): the reason code stays with the line, for
        // the matching to name it.
        if let Some(code) = tx
            .text_at(&["RtrInf", "Rsn", "Cd"])
            .or_else(|| tx.text_at(&["RtrInf", "Rsn", "Prtry"]))
            .and_then(clean_opt)
        {
            remittance.push(format!("return reason {code}"));
        }
        if let Some(info) = tx.child("RmtInf") {
            for text in info.children_named("Ustrd") {
                if let Some(text) = clean_opt(&text.text) {
                    remittance.push(text);
                }
            }
            for structured in info.children_named("Strd") {
                if let Some(reference) = structured.text_at(&["CdtrRefInf", "Ref"]) {
                    remittance.push(clean(reference));
                }
            }
        }
        if let Some(parties) = tx.child("RltdPties") {
            if counterparty_name.is_none() {
                counterparty_name = party_name(parties, role);
            }
            if counterparty_iban.is_none() {
                counterparty_iban = parties
                    .text_at(&[&format!("{role}Acct"), "Id", "IBAN"])
                    .map(|iban| {
                        iban.split_whitespace()
                            .collect::<String>()
                            .to_ascii_uppercase()
                    });
            }
        }
    }
    let additional = entry
        .text_at(&["AddtlNtryInf"])
        .and_then(clean_opt)
        .or_else(|| {
            details
                .iter()
                .find_map(|tx| tx.text_at(&["AddtlTxInf"]))
                .and_then(clean_opt)
        });
    let remittance = (!remittance.is_empty()).then(|| remittance.join(" "));
    let label = additional
        .or_else(|| remittance.clone())
        .or_else(|| counterparty_name.clone())
        .unwrap_or_default();
    Ok(Some(StatementLine {
        booking_date,
        value_date,
        amount,
        label,
        reference,
        counterparty_name,
        counterparty_iban,
        end_to_end_id: (!end_to_end.is_empty()).then(|| end_to_end.join(" ")),
        remittance,
        source_line: entry.line,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn doc(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document \
             xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<BkToCstmrStmt>\n\
             <GrpHdr><MsgId>M1</MsgId></GrpHdr>\n{body}</BkToCstmrStmt>\n</Document>\n"
        )
    }

    fn stmt(entries: &str, currency: &str) -> String {
        format!(
            "<Stmt><Id>S1</Id>\n<Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>\n\
             <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">100.00</Amt>\
             <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-31</Dt></Dt></Bal>\n\
             <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">50.00</Amt>\
             <CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2026-02-28</Dt></Dt></Bal>\n{entries}</Stmt>\n"
        )
    }

    const ENTRY: &str = "<Ntry><Amt Ccy=\"EUR\">150.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>\
        <Sts>BOOK</Sts><BookgDt><Dt>2026-02-03</Dt></BookgDt><ValDt><Dt>2026-02-04</Dt></ValDt>\
        <AcctSvcrRef>B1</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs>\
        <RltdPties><Cdtr><Nm>Loyer SCI</Nm></Cdtr><CdtrAcct><Id><IBAN>FR76 1111</IBAN></Id></CdtrAcct>\
        </RltdPties><RmtInf><Ustrd>LOYER FEVRIER</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n";

    #[test]
    fn a_statement_with_signed_balances() {
        let text = doc(&stmt(ENTRY, "EUR"));
        let statements = parse(text.as_bytes(), "c.xml").unwrap();
        let s = &statements[0];
        assert_eq!(s.id, "S1");
        assert_eq!(s.opening.unwrap().cents(), 10_000);
        assert_eq!(s.closing.unwrap().cents(), -5_000);
        assert_eq!(s.lines.len(), 1);
        let line = &s.lines[0];
        assert_eq!(line.amount.cents(), -15_000);
        assert_eq!(line.counterparty_name.as_deref(), Some("Loyer SCI"));
        assert_eq!(line.counterparty_iban.as_deref(), Some("FR761111"));
        assert_eq!(line.end_to_end_id.as_deref(), Some("E2E-1"));
        assert_eq!(line.label, "LOYER FEVRIER");
        assert_eq!(line.reference.as_deref(), Some("B1"));
        assert_eq!(s.balance_difference(), Some(Amount::ZERO));
    }

    #[test]
    fn foreign_currency_names_the_currency_and_element() {
        let text = doc(&stmt("", "CHF"));
        let err = parse(text.as_bytes(), "c.xml").unwrap_err();
        assert_eq!(err.field, "Document/BkToCstmrStmt/Stmt/Bal/Amt@Ccy");
        assert_eq!(err.line, 7);
        assert!(err.reason.contains("CHF"), "{err}");
    }

    #[test]
    fn a_bad_amount_names_its_line_and_path() {
        let text = doc(&stmt(&ENTRY.replace("150.00", "15O.00"), "EUR"));
        let err = parse(text.as_bytes(), "c.xml").unwrap_err();
        assert_eq!(err.field, "Document/BkToCstmrStmt/Stmt/Ntry/Amt");
        assert_eq!(err.line, 9);
    }

    #[test]
    fn entries_are_read_as_they_end_and_judged_in_document_order() {
        // Two statements; the second's entries go to the second, in order.
        let second = stmt(&format!("{ENTRY}{}", ENTRY.replace("B1", "B2")), "EUR")
            .replace("<Id>S1</Id>", "<Id>S2</Id>");
        let text = doc(&format!("{}{second}", stmt(ENTRY, "EUR")));
        let statements = parse(text.as_bytes(), "c.xml").unwrap();
        let refs: Vec<Vec<&str>> = statements
            .iter()
            .map(|s| {
                s.lines
                    .iter()
                    .filter_map(|l| l.reference.as_deref())
                    .collect()
            })
            .collect();
        assert_eq!(refs, [vec!["B1"], vec!["B1", "B2"]]);
        // A statement's own error comes before its entries' (the tree order of a whole read):
        // a foreign balance currency, then a bad amount of its entry.
        let text = doc(&stmt(&ENTRY.replace("150.00", "15O.00"), "CHF"));
        let err = parse(text.as_bytes(), "c.xml").unwrap_err();
        assert_eq!(err.field, "Document/BkToCstmrStmt/Stmt/Bal/Amt@Ccy");
        // The first statement's bad entry before the second statement's.
        let bad_second = stmt(&ENTRY.replace("2026-02-03", "2026-02-3O"), "EUR");
        let text = doc(&format!(
            "{}{bad_second}",
            stmt(&ENTRY.replace("150.00", "15O.00"), "EUR")
        ));
        let err = parse(text.as_bytes(), "c.xml").unwrap_err();
        assert_eq!(err.field, "Document/BkToCstmrStmt/Stmt/Ntry/Amt");
        // An entry elsewhere than in a statement is not one of its lines.
        let stray = doc(&stmt("", "EUR")).replace("<GrpHdr>", &format!("<GrpHdr>{ENTRY}"));
        let statements = parse(stray.as_bytes(), "c.xml").unwrap();
        assert!(statements[0].lines.is_empty());
    }

    #[test]
    fn a_returned_debit_keeps_its_end_to_end_id_and_reason_code() {
        let returned = ENTRY.replace(
            "<RmtInf>",
            "<RtrInf><Rsn><Cd>AM04</Cd></Rsn></RtrInf><RmtInf>",
        );
        let text = doc(&stmt(&returned, "EUR"));
        let line = &parse(text.as_bytes(), "c").unwrap()[0].lines[0];
        assert_eq!(line.end_to_end_id.as_deref(), Some("E2E-1"));
        assert_eq!(
            line.remittance.as_deref(),
            Some("return reason AM04 LOYER FEVRIER")
        );
    }

    #[test]
    fn pending_entries_are_left_out() {
        let pending = ENTRY.replace("<Sts>BOOK</Sts>", "<Sts><Cd>PDNG</Cd></Sts>");
        let text = doc(&stmt(&format!("{ENTRY}{pending}"), "EUR"));
        assert_eq!(parse(text.as_bytes(), "c").unwrap()[0].lines.len(), 1);
    }
}
