//! SEPA direct debit initiation, ISO 20022 `pain.008.001.02` (see STANDARDS.md): the file a
//! creditor sends its bank to collect customer invoices on their mandates.
//!
//! Pure: the caller gives the batch (creditor, one group per sequence type and date, the
//! transactions) and the creation time; texts are converted to the SEPA character set and cut
//! to the schema's lengths here.

use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::model::Amount;

pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02";

/// Longest texts the schema allows (`Max35Text`, `Max70Text`, `Max140Text`).
pub const MAX_ID: usize = 35;
pub const MAX_NAME: usize = 70;
pub const MAX_REMITTANCE: usize = 140;

/// Most transactions one file holds: a batch beyond it is refused (banks cap files well
/// below the schema's own limit).
pub const MAX_TRANSACTIONS: usize = 10_000;

/// FRST for a mandate's first collection, RCUR for the next ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SequenceType {
    First,
    Recurrent,
}

impl SequenceType {
    pub fn code(self) -> &'static str {
        match self {
            SequenceType::First => "FRST",
            SequenceType::Recurrent => "RCUR",
        }
    }
}

/// The company collecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creditor {
    pub name: String,
    pub iban: String,
    pub bic: String,
    /// SEPA creditor identifier (ICS).
    pub creditor_id: String,
}

/// One debit of one invoice on one mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub end_to_end_id: String,
    pub amount: Amount,
    pub mandate_id: String,
    pub mandate_signed_on: NaiveDate,
    pub debtor_name: String,
    pub debtor_iban: String,
    pub debtor_bic: Option<String>,
    pub remittance: String,
}

/// The transactions of one sequence type collected on one date (one `PmtInf`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentGroup {
    pub id: String,
    pub sequence: SequenceType,
    pub collection_date: NaiveDate,
    pub transactions: Vec<Transaction>,
}

/// A whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectDebitFile {
    pub message_id: String,
    pub created_at: NaiveDateTime,
    pub creditor: Creditor,
    pub groups: Vec<PaymentGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pain008Error {
    #[error("the batch holds no transaction")]
    Empty,
    #[error("a batch holds at most {MAX_TRANSACTIONS} transactions ({0} given)")]
    TooMany(usize),
    #[error("{0}: the amount of a direct debit is positive")]
    NotPositive(String),
    #[error("the total of the batch overflows")]
    Overflow,
    #[error("cannot write the file: {0}")]
    Write(String),
}

impl DirectDebitFile {
    pub fn transaction_count(&self) -> usize {
        self.groups.iter().map(|g| g.transactions.len()).sum()
    }

    /// The sum of every transaction's amount.
    pub fn control_sum(&self) -> Option<Amount> {
        Amount::checked_sum(
            self.groups
                .iter()
                .flat_map(|g| g.transactions.iter().map(|t| t.amount)),
        )
    }
}

/// Maps a character to the SEPA character set (`a-z A-Z 0-9 / - ? : ( ) . , ' +` and space):
/// accented Latin letters lose their accents, ligatures are spelled out, other characters
/// become a space (or a close sign: `&` is `+`, `_` is `-`, quotes are `'`).
fn sepa_chars(c: char, out: &mut String) {
    let plain = match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => c,
        '/' | '-' | '?' | ':' | '(' | ')' | '.' | ',' | '\'' | '+' | ' ' => c,
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => 'A',
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'Ç' | 'Ć' | 'Č' => 'C',
        'ç' | 'ć' | 'č' => 'c',
        'Ď' | 'Đ' => 'D',
        'ď' | 'đ' => 'd',
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => 'E',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'Ğ' => 'G',
        'ğ' => 'g',
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'İ' => 'I',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => 'i',
        'Ł' | 'Ľ' => 'L',
        'ł' | 'ľ' => 'l',
        'Ñ' | 'Ń' | 'Ň' => 'N',
        'ñ' | 'ń' | 'ň' => 'n',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => 'O',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'Ř' => 'R',
        'ř' => 'r',
        'Ś' | 'Š' | 'Ş' => 'S',
        'ś' | 'š' | 'ş' => 's',
        'Ť' | 'Ţ' => 'T',
        'ť' | 'ţ' => 't',
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' => 'U',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'Ý' | 'Ÿ' => 'Y',
        'ý' | 'ÿ' => 'y',
        'Ź' | 'Ż' | 'Ž' => 'Z',
        'ź' | 'ż' | 'ž' => 'z',
        'Æ' => return out.push_str("AE"),
        'æ' => return out.push_str("ae"),
        'Œ' => return out.push_str("OE"),
        'œ' => return out.push_str("oe"),
        'ß' => return out.push_str("ss"),
        'Þ' => return out.push_str("TH"),
        'þ' => return out.push_str("th"),
        '&' => '+',
        '_' | '–' | '—' => '-',
        '’' | '‘' | '`' | '´' | '"' | '«' | '»' | '“' | '”' => '\'',
        _ => ' ',
    };
    out.push(plain);
}

/// `text` in the SEPA character set, spaces collapsed and trimmed, cut to `max` characters.
pub fn sepa_text(text: &str, max: usize) -> String {
    let mut mapped = String::with_capacity(text.len());
    for c in text.chars() {
        sepa_chars(c, &mut mapped);
    }
    let mut out = String::with_capacity(mapped.len().min(max));
    for word in mapped.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.chars().count() > max {
        out = out.chars().take(max).collect();
        out.truncate(out.trim_end().len());
    }
    out
}

/// An identifier (message, payment group, end-to-end, mandate): the SEPA set without spaces
/// at either end, at most 35 characters. The EPC forbids a leading or doubled `/` in ids.
pub fn sepa_id(text: &str) -> String {
    let mut id = sepa_text(text, MAX_ID);
    while id.starts_with('/') {
        id.remove(0);
    }
    while id.contains("//") {
        id = id.replace("//", "/");
    }
    id
}

struct Out<W: Write> {
    writer: Writer<W>,
}

impl<W: Write> Out<W> {
    fn open(&mut self, tag: &str) -> std::io::Result<()> {
        self.writer.write_event(Event::Start(BytesStart::new(tag)))
    }

    fn close(&mut self, tag: &str) -> std::io::Result<()> {
        self.writer.write_event(Event::End(BytesEnd::new(tag)))
    }

    fn leaf(&mut self, tag: &str, text: &str) -> std::io::Result<()> {
        self.open(tag)?;
        self.writer.write_event(Event::Text(BytesText::new(text)))?;
        self.close(tag)
    }

    fn amount(&mut self, tag: &str, amount: Amount) -> std::io::Result<()> {
        let start = BytesStart::new(tag).with_attributes([("Ccy", "EUR")]);
        self.writer.write_event(Event::Start(start))?;
        self.writer
            .write_event(Event::Text(BytesText::new(&amount.to_plain())))?;
        self.close(tag)
    }

    /// `<Tag><Id><IBAN>…</IBAN></Id></Tag>`
    fn account(&mut self, tag: &str, iban: &str) -> std::io::Result<()> {
        self.open(tag)?;
        self.open("Id")?;
        self.leaf("IBAN", iban)?;
        self.close("Id")?;
        self.close(tag)
    }

    /// `<Tag><FinInstnId><BIC>…</BIC></FinInstnId></Tag>`, or `Othr/Id NOTPROVIDED` without a
    /// BIC (allowed for debtors since 2016).
    fn agent(&mut self, tag: &str, bic: Option<&str>) -> std::io::Result<()> {
        self.open(tag)?;
        self.open("FinInstnId")?;
        match bic {
            Some(bic) => self.leaf("BIC", bic)?,
            None => {
                self.open("Othr")?;
                self.leaf("Id", "NOTPROVIDED")?;
                self.close("Othr")?;
            }
        }
        self.close("FinInstnId")?;
        self.close(tag)
    }
}

/// Writes the file as UTF-8 XML (texts already in the SEPA set, so ASCII in fact).
pub fn write(file: &DirectDebitFile) -> Result<Vec<u8>, Pain008Error> {
    let count = file.transaction_count();
    if count == 0 {
        return Err(Pain008Error::Empty);
    }
    if count > MAX_TRANSACTIONS {
        return Err(Pain008Error::TooMany(count));
    }
    for group in &file.groups {
        for t in &group.transactions {
            if !t.amount.is_positive() {
                return Err(Pain008Error::NotPositive(t.end_to_end_id.clone()));
            }
        }
    }
    let total = file.control_sum().ok_or(Pain008Error::Overflow)?;
    let mut out = Out {
        writer: Writer::new_with_indent(Vec::new(), b' ', 2),
    };
    write_document(&mut out, file, count, total).map_err(|e| Pain008Error::Write(e.to_string()))?;
    let mut bytes = out.writer.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

fn write_document<W: Write>(
    out: &mut Out<W>,
    file: &DirectDebitFile,
    count: usize,
    total: Amount,
) -> std::io::Result<()> {
    let creditor_name = sepa_text(&file.creditor.name, MAX_NAME);
    out.writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let root = BytesStart::new("Document").with_attributes([
        ("xmlns", NAMESPACE),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ]);
    out.writer.write_event(Event::Start(root))?;
    out.open("CstmrDrctDbtInitn")?;
    out.open("GrpHdr")?;
    out.leaf("MsgId", &sepa_id(&file.message_id))?;
    out.leaf(
        "CreDtTm",
        &file.created_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
    )?;
    out.leaf("NbOfTxs", &count.to_string())?;
    out.leaf("CtrlSum", &total.to_plain())?;
    out.open("InitgPty")?;
    out.leaf("Nm", &creditor_name)?;
    out.close("InitgPty")?;
    out.close("GrpHdr")?;
    for group in file.groups.iter().filter(|g| !g.transactions.is_empty()) {
        write_group(out, &file.creditor, &creditor_name, group)?;
    }
    out.close("CstmrDrctDbtInitn")?;
    out.close("Document")
}

fn write_group<W: Write>(
    out: &mut Out<W>,
    creditor: &Creditor,
    creditor_name: &str,
    group: &PaymentGroup,
) -> std::io::Result<()> {
    let sum =
        Amount::checked_sum(group.transactions.iter().map(|t| t.amount)).unwrap_or(Amount::ZERO);
    out.open("PmtInf")?;
    out.leaf("PmtInfId", &sepa_id(&group.id))?;
    out.leaf("PmtMtd", "DD")?;
    out.leaf("NbOfTxs", &group.transactions.len().to_string())?;
    out.leaf("CtrlSum", &sum.to_plain())?;
    out.open("PmtTpInf")?;
    out.open("SvcLvl")?;
    out.leaf("Cd", "SEPA")?;
    out.close("SvcLvl")?;
    out.open("LclInstrm")?;
    out.leaf("Cd", "CORE")?;
    out.close("LclInstrm")?;
    out.leaf("SeqTp", group.sequence.code())?;
    out.close("PmtTpInf")?;
    out.leaf(
        "ReqdColltnDt",
        &group.collection_date.format("%Y-%m-%d").to_string(),
    )?;
    out.open("Cdtr")?;
    out.leaf("Nm", creditor_name)?;
    out.close("Cdtr")?;
    out.account("CdtrAcct", &creditor.iban)?;
    out.agent("CdtrAgt", Some(&creditor.bic))?;
    out.leaf("ChrgBr", "SLEV")?;
    out.open("CdtrSchmeId")?;
    out.open("Id")?;
    out.open("PrvtId")?;
    out.open("Othr")?;
    out.leaf("Id", &creditor.creditor_id)?;
    out.open("SchmeNm")?;
    out.leaf("Prtry", "SEPA")?;
    out.close("SchmeNm")?;
    out.close("Othr")?;
    out.close("PrvtId")?;
    out.close("Id")?;
    out.close("CdtrSchmeId")?;
    for t in &group.transactions {
        write_transaction(out, t)?;
    }
    out.close("PmtInf")
}

fn write_transaction<W: Write>(out: &mut Out<W>, t: &Transaction) -> std::io::Result<()> {
    out.open("DrctDbtTxInf")?;
    out.open("PmtId")?;
    out.leaf("EndToEndId", &sepa_id(&t.end_to_end_id))?;
    out.close("PmtId")?;
    out.amount("InstdAmt", t.amount)?;
    out.open("DrctDbtTx")?;
    out.open("MndtRltdInf")?;
    out.leaf("MndtId", &sepa_id(&t.mandate_id))?;
    out.leaf(
        "DtOfSgntr",
        &t.mandate_signed_on.format("%Y-%m-%d").to_string(),
    )?;
    out.close("MndtRltdInf")?;
    out.close("DrctDbtTx")?;
    out.agent("DbtrAgt", t.debtor_bic.as_deref())?;
    out.open("Dbtr")?;
    out.leaf("Nm", &sepa_text(&t.debtor_name, MAX_NAME))?;
    out.close("Dbtr")?;
    out.account("DbtrAcct", &t.debtor_iban)?;
    out.open("RmtInf")?;
    out.leaf("Ustrd", &sepa_text(&t.remittance, MAX_REMITTANCE))?;
    out.close("RmtInf")?;
    out.close("DrctDbtTxInf")
}

#[cfg(test)]
mod tests;
