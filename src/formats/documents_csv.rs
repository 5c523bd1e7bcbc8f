//! Folio's documents and payments CSVs: invoices and credit notes one row per line, payments
//! and refunds one row per allocation. Consecutive rows with the same type and key make one
//! document (or payment).
//!
//! ```text
//! type,document,date,party,reference,item,label,quantity,unit_price,discount,tax_code
//! customer_invoice,F1,2026-01-05,CLUMEN,,CONSEIL,,2,450,,
//! customer_invoice,F1,2026-01-05,CLUMEN,,,Déplacement,1,80.5,10,V20
//! supplier_invoice,A7,2026-01-06,FBUREAU,FB-2026-118,,Papier,10,4.2,,
//! ```
//!
//! ```text
//! type,payment,date,party,amount,method,reference,allocate_to,allocated
//! customer_payment,R1,2026-02-01,CLUMEN,1000,transfer,VIR 8812,FA2026-00001,900
//! customer_payment,R1,2026-02-01,CLUMEN,1000,transfer,VIR 8812,F9,100
//! supplier_payment,R2,2026-02-03,FBUREAU,42,check,,,
//! ```
//!
//! The header is required, with these names in this order. `;` is accepted as the separator
//! when the header uses it (French spreadsheets), dates may be `DD/MM/YYYY`, numbers may use a
//! decimal comma and spaces between thousands. Whether parties, items, tax codes, methods and
//! allocated documents exist is the ledger's business: these readers check each value's shape.

use std::collections::hash_map::{Entry as MapEntry, HashMap};
use std::fmt::Display;
use std::io::{BufRead, BufReader, Read};
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::csv_lines::{LineTracker, check_header, detect_delimiter};
use super::{FormatError, clean_text};
use crate::model::document::{DocumentLine, DocumentType};
use crate::model::party::parse_party_code;
use crate::model::{Amount, parse_date};

/// The documents file's columns, in the order the header must list them.
pub const DOCUMENT_COLUMNS: [&str; 11] = [
    "type",
    "document",
    "date",
    "party",
    "reference",
    "item",
    "label",
    "quantity",
    "unit_price",
    "discount",
    "tax_code",
];

/// The payments file's columns, in the order the header must list them.
pub const PAYMENT_COLUMNS: [&str; 9] = [
    "type",
    "payment",
    "date",
    "party",
    "amount",
    "method",
    "reference",
    "allocate_to",
    "allocated",
];

/// Most lines one document of the file may have.
pub const MAX_LINES_PER_DOCUMENT: usize = 10_000;

/// Most allocations one payment of the file may have.
pub const MAX_ALLOCATIONS_PER_PAYMENT: usize = 10_000;

/// Longest document or payment key, in characters.
pub const MAX_KEY_CHARS: usize = 40;

const MAX_ITEM_CODE_LEN: usize = 20;
const MAX_TAX_CODE_LEN: usize = 12;
const MAX_METHOD_LEN: usize = 20;

/// Decimals allowed in a quantity or a unit price, and in a discount percent.
const QUANTITY_DECIMALS: u32 = 4;
const DISCOUNT_DECIMALS: u32 = 2;

/// Digits allowed before the decimal point of a quantity or unit price: their product then
/// stays far inside `Decimal`'s range.
const MAX_INTEGER_DIGITS: usize = 12;

/// Largest line amount (quantity × unit price) in euros: what an [`Amount`] can hold.
const MAX_LINE_AMOUNT: i64 = 10_000_000_000_000;

/// Longest header line read before giving up.
const MAX_HEADER_BYTES: u64 = 4096;

/// Lines before the CSV data: the header.
const HEADER_LINES: u64 = 1;

const DOCUMENT_TYPES: &str =
    "customer_invoice, customer_credit_note, supplier_invoice, supplier_credit_note";
const PAYMENT_TYPES: &str = "customer_payment, supplier_payment, customer_refund, supplier_refund";

/// One row of a documents file: one line of an invoice or credit note, with its document's
/// header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    /// 1-based physical line where the row starts.
    pub line: u64,
    pub doc_type: DocumentType,
    /// The document's key in the file.
    pub key: String,
    pub date: NaiveDate,
    pub party: String,
    /// The party's own number for the document; the key when the cell is empty.
    pub reference: String,
    pub line_data: DocumentLine,
}

/// An invoice or credit note read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedDocument {
    pub first_line: u64,
    pub doc_type: DocumentType,
    pub key: String,
    pub date: NaiveDate,
    pub party: String,
    pub reference: String,
    pub lines: Vec<DocumentLine>,
    /// The physical line of each of `lines`, for the ledger's `file:line` messages.
    pub line_numbers: Vec<u64>,
}

/// One row of a payments file: a payment or refund, with one of its allocations if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    /// 1-based physical line where the row starts.
    pub line: u64,
    pub doc_type: DocumentType,
    /// The payment's key in the file.
    pub key: String,
    pub date: NaiveDate,
    pub party: String,
    pub amount: Amount,
    pub method: String,
    /// May be empty.
    pub reference: String,
    /// The document allocated to (a number such as `FA2026-00012`, or a reference or key as
    /// imported) and the amount allocated.
    pub allocation: Option<(String, Amount)>,
}

/// A payment or refund read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedPayment {
    pub first_line: u64,
    pub doc_type: DocumentType,
    pub key: String,
    pub date: NaiveDate,
    pub party: String,
    pub amount: Amount,
    pub method: String,
    pub reference: String,
    /// `(line, allocate_to, allocated)` for each row that allocates.
    pub allocations: Vec<(u64, String, Amount)>,
}

/// Streams the rows of a documents CSV. Memory stays flat whatever the file size.
///
/// After a row error the reader goes on with the next row; an I/O or CSV syntax error ends the
/// iteration.
pub struct DocumentsCsvReader<R: Read> {
    source: CsvSource<R>,
    dates: DateCache,
}

impl<R: Read> DocumentsCsvReader<R> {
    /// Reads and checks the header. `file_name` is only used in error messages.
    pub fn new(file_name: &str, reader: R) -> Result<Self, FormatError> {
        Ok(DocumentsCsvReader {
            source: CsvSource::open(file_name, reader, &DOCUMENT_COLUMNS, "documents")?,
            dates: DateCache::default(),
        })
    }

    fn parse_row(&mut self, line: u64) -> Result<DocumentRow, FormatError> {
        let at = At {
            file: &self.source.file,
            line,
        };
        let [
            doc_type,
            key,
            date,
            party,
            reference,
            item,
            label,
            quantity,
            unit_price,
            discount,
            tax_code,
        ] = self.source.cells(at, &DOCUMENT_COLUMNS)?;

        let doc_type = parse_type(doc_type, false).map_err(|reason| at.err("type", reason))?;
        let key = parse_key(key).map_err(|reason| at.err("document", reason))?;
        let date = self
            .dates
            .parse(date)
            .map_err(|reason| at.err("date", reason))?;
        let party = parse_party(party).map_err(|reason| at.err("party", reason))?;
        let reference = clean_text(reference);
        let reference = if reference.is_empty() {
            key.clone()
        } else {
            reference
        };
        let item = parse_code(item, MAX_ITEM_CODE_LEN, false)
            .map_err(|reason| at.err("item", format!("item {reason}")))?;
        let label = clean_text(label);
        if label.is_empty() && item.is_none() {
            return Err(at.err("label", "must not be empty without an item"));
        }
        let quantity_cell = quantity;
        let quantity = parse_decimal(quantity, QUANTITY_DECIMALS, MAX_INTEGER_DIGITS)
            .map_err(|reason| at.err("quantity", reason))?;
        if quantity.is_zero() {
            return Err(at.err(
                "quantity",
                format!("`{}` must not be zero", quantity_cell.trim()),
            ));
        }
        let unit_price_cell = unit_price;
        let unit_price = parse_decimal(unit_price, QUANTITY_DECIMALS, MAX_INTEGER_DIGITS)
            .map_err(|reason| at.err("unit_price", reason))?;
        if unit_price.is_sign_negative() {
            return Err(at.err(
                "unit_price",
                format!("`{}` must not be negative", unit_price_cell.trim()),
            ));
        }
        let too_large = quantity
            .checked_mul(unit_price)
            .is_none_or(|gross| gross.abs() >= Decimal::from(MAX_LINE_AMOUNT));
        if too_large {
            return Err(at.err(
                "unit_price",
                "quantity × unit price is more than 10 000 billion euros",
            ));
        }
        let discount = if discount.trim().is_empty() {
            Decimal::ZERO
        } else {
            let value = parse_decimal(discount, DISCOUNT_DECIMALS, MAX_INTEGER_DIGITS)
                .map_err(|reason| at.err("discount", reason))?;
            if value.is_sign_negative() || value > Decimal::ONE_HUNDRED {
                return Err(at.err(
                    "discount",
                    format!("`{}` must be a percent from 0 to 100", discount.trim()),
                ));
            }
            value
        };
        let tax_code = parse_code(tax_code, MAX_TAX_CODE_LEN, false)
            .map_err(|reason| at.err("tax_code", format!("tax code {reason}")))?;
        Ok(DocumentRow {
            line,
            doc_type,
            key,
            date,
            party,
            reference,
            line_data: DocumentLine {
                item,
                label,
                quantity,
                unit_price,
                discount,
                tax_code,
            },
        })
    }
}

impl<R: Read> Iterator for DocumentsCsvReader<R> {
    type Item = Result<DocumentRow, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.source.next_record()? {
            Ok(line) => Some(self.parse_row(line)),
            Err(err) => Some(Err(err)),
        }
    }
}

/// Streams the rows of a payments CSV. Memory stays flat whatever the file size.
///
/// After a row error the reader goes on with the next row; an I/O or CSV syntax error ends the
/// iteration.
pub struct PaymentsCsvReader<R: Read> {
    source: CsvSource<R>,
    dates: DateCache,
}

impl<R: Read> PaymentsCsvReader<R> {
    /// Reads and checks the header. `file_name` is only used in error messages.
    pub fn new(file_name: &str, reader: R) -> Result<Self, FormatError> {
        Ok(PaymentsCsvReader {
            source: CsvSource::open(file_name, reader, &PAYMENT_COLUMNS, "payments")?,
            dates: DateCache::default(),
        })
    }

    fn parse_row(&mut self, line: u64) -> Result<PaymentRow, FormatError> {
        let at = At {
            file: &self.source.file,
            line,
        };
        let [
            doc_type,
            key,
            date,
            party,
            amount,
            method,
            reference,
            allocate_to,
            allocated,
        ] = self.source.cells(at, &PAYMENT_COLUMNS)?;

        let doc_type = parse_type(doc_type, true).map_err(|reason| at.err("type", reason))?;
        let key = parse_key(key).map_err(|reason| at.err("payment", reason))?;
        let date = self
            .dates
            .parse(date)
            .map_err(|reason| at.err("date", reason))?;
        let party = parse_party(party).map_err(|reason| at.err("party", reason))?;
        let amount = parse_positive_amount(amount).map_err(|reason| at.err("amount", reason))?;
        let method = match parse_code(method, MAX_METHOD_LEN, true) {
            Ok(Some(method)) => method,
            Ok(None) => return Err(at.err("method", "must not be empty")),
            Err(reason) => return Err(at.err("method", format!("payment method {reason}"))),
        };
        let reference = clean_text(reference);
        let allocate_to = clean_text(allocate_to);
        let allocation = match (allocate_to.is_empty(), allocated.trim().is_empty()) {
            (true, true) => None,
            (true, false) => {
                return Err(at.err("allocated", "must be empty when allocate_to is"));
            }
            (false, true) => {
                return Err(at.err("allocated", "must be filled when allocate_to is"));
            }
            (false, false) => {
                let allocated = parse_positive_amount(allocated)
                    .map_err(|reason| at.err("allocated", reason))?;
                Some((allocate_to, allocated))
            }
        };
        Ok(PaymentRow {
            line,
            doc_type,
            key,
            date,
            party,
            amount,
            method,
            reference,
            allocation,
        })
    }
}

impl<R: Read> Iterator for PaymentsCsvReader<R> {
    type Item = Result<PaymentRow, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.source.next_record()? {
            Ok(line) => Some(self.parse_row(line)),
            Err(err) => Some(Err(err)),
        }
    }
}

/// Groups consecutive rows with the same type and key into documents.
///
/// Every row of a document must repeat its date, party and reference; a row that differs is an
/// error naming the field. A key seen earlier in the file (for the same type) is an error too:
/// the rows of one document must be consecutive. The first error (or a document of more than
/// [`MAX_LINES_PER_DOCUMENT`] lines) is returned and ends the iteration.
pub struct DocumentGrouper<I> {
    grouping: Grouping<I, ImportedDocument>,
}

impl<I> DocumentGrouper<I>
where
    I: Iterator<Item = Result<DocumentRow, FormatError>>,
{
    /// `file_name` names the file in the grouper's own errors.
    pub fn new(file_name: &str, rows: I) -> Self {
        DocumentGrouper {
            grouping: Grouping::new(file_name, rows),
        }
    }
}

impl<I> Iterator for DocumentGrouper<I>
where
    I: Iterator<Item = Result<DocumentRow, FormatError>>,
{
    type Item = Result<ImportedDocument, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.grouping.next_group()
    }
}

/// Groups consecutive rows with the same type and key into payments.
///
/// Every row of a payment must repeat its date, party, amount, method and reference; a row that
/// differs is an error naming the field. A payment of several rows allocates on each of them. A
/// key seen earlier in the file (for the same type) is an error: the rows of one payment must be
/// consecutive. The first error (or a payment of more than [`MAX_ALLOCATIONS_PER_PAYMENT`]
/// allocations) is returned and ends the iteration.
pub struct PaymentGrouper<I> {
    grouping: Grouping<I, ImportedPayment>,
}

impl<I> PaymentGrouper<I>
where
    I: Iterator<Item = Result<PaymentRow, FormatError>>,
{
    /// `file_name` names the file in the grouper's own errors.
    pub fn new(file_name: &str, rows: I) -> Self {
        PaymentGrouper {
            grouping: Grouping::new(file_name, rows),
        }
    }
}

impl<I> Iterator for PaymentGrouper<I>
where
    I: Iterator<Item = Result<PaymentRow, FormatError>>,
{
    type Item = Result<ImportedPayment, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.grouping.next_group()
    }
}

/// What the two groupers share: a group started by a row, which later rows of the same type
/// and key join.
trait Group: Sized {
    type Row;
    /// The key's column, and the word for a group in messages.
    const WHAT: &'static str;
    /// What a group's rows are, in the limit's message.
    const PARTS: &'static str;
    const LIMIT: usize;

    fn start(row: Self::Row) -> Self;
    fn row_identity(row: &Self::Row) -> (DocumentType, &str);
    fn row_line(row: &Self::Row) -> u64;
    fn identity(&self) -> (DocumentType, &str);
    fn first_line(&self) -> u64;
    fn parts(&self) -> usize;
    /// Adds a row of the same type and key, checking that it agrees with the first one.
    fn add(&mut self, file: &str, row: Self::Row) -> Result<(), FormatError>;
}

impl Group for ImportedDocument {
    type Row = DocumentRow;
    const WHAT: &'static str = "document";
    const PARTS: &'static str = "lines";
    const LIMIT: usize = MAX_LINES_PER_DOCUMENT;

    fn start(row: DocumentRow) -> Self {
        ImportedDocument {
            first_line: row.line,
            doc_type: row.doc_type,
            key: row.key,
            date: row.date,
            party: row.party,
            reference: row.reference,
            lines: vec![row.line_data],
            line_numbers: vec![row.line],
        }
    }

    fn row_identity(row: &DocumentRow) -> (DocumentType, &str) {
        (row.doc_type, &row.key)
    }

    fn row_line(row: &DocumentRow) -> u64 {
        row.line
    }

    fn identity(&self) -> (DocumentType, &str) {
        (self.doc_type, &self.key)
    }

    fn first_line(&self) -> u64 {
        self.first_line
    }

    fn parts(&self) -> usize {
        self.lines.len()
    }

    fn add(&mut self, file: &str, row: DocumentRow) -> Result<(), FormatError> {
        let differs = |field: &str, value: &dyn Display, first: &dyn Display| {
            differs_error::<Self>(file, row.line, field, value, first, self)
        };
        if row.date != self.date {
            return Err(differs("date", &row.date, &self.date));
        }
        if row.party != self.party {
            return Err(differs("party", &row.party, &self.party));
        }
        if row.reference != self.reference {
            return Err(differs("reference", &row.reference, &self.reference));
        }
        self.lines.push(row.line_data);
        self.line_numbers.push(row.line);
        Ok(())
    }
}

impl Group for ImportedPayment {
    type Row = PaymentRow;
    const WHAT: &'static str = "payment";
    const PARTS: &'static str = "allocations";
    const LIMIT: usize = MAX_ALLOCATIONS_PER_PAYMENT;

    fn start(row: PaymentRow) -> Self {
        ImportedPayment {
            first_line: row.line,
            doc_type: row.doc_type,
            key: row.key,
            date: row.date,
            party: row.party,
            amount: row.amount,
            method: row.method,
            reference: row.reference,
            allocations: row
                .allocation
                .map(|(to, amount)| (row.line, to, amount))
                .into_iter()
                .collect(),
        }
    }

    fn row_identity(row: &PaymentRow) -> (DocumentType, &str) {
        (row.doc_type, &row.key)
    }

    fn row_line(row: &PaymentRow) -> u64 {
        row.line
    }

    fn identity(&self) -> (DocumentType, &str) {
        (self.doc_type, &self.key)
    }

    fn first_line(&self) -> u64 {
        self.first_line
    }

    fn parts(&self) -> usize {
        self.allocations.len()
    }

    fn add(&mut self, file: &str, row: PaymentRow) -> Result<(), FormatError> {
        let differs = |field: &str, value: &dyn Display, first: &dyn Display| {
            differs_error::<Self>(file, row.line, field, value, first, self)
        };
        if row.date != self.date {
            return Err(differs("date", &row.date, &self.date));
        }
        if row.party != self.party {
            return Err(differs("party", &row.party, &self.party));
        }
        if row.amount != self.amount {
            return Err(differs("amount", &row.amount, &self.amount));
        }
        if row.method != self.method {
            return Err(differs("method", &row.method, &self.method));
        }
        if row.reference != self.reference {
            return Err(differs("reference", &row.reference, &self.reference));
        }
        if self.allocations.is_empty() {
            return Err(FormatError::new(
                file,
                self.first_line,
                "allocate_to",
                format!(
                    "must be filled: payment `{}` has several rows (the next on line {})",
                    self.key, row.line
                ),
            ));
        }
        let Some((to, amount)) = row.allocation else {
            return Err(FormatError::new(
                file,
                row.line,
                "allocate_to",
                format!(
                    "must be filled: payment `{}` has several rows (from line {})",
                    self.key, self.first_line
                ),
            ));
        };
        self.allocations.push((row.line, to, amount));
        Ok(())
    }
}

/// A row whose `field` differs from the group's first row.
fn differs_error<G: Group>(
    file: &str,
    line: u64,
    field: &str,
    value: &dyn Display,
    first: &dyn Display,
    group: &G,
) -> FormatError {
    FormatError::new(
        file,
        line,
        field,
        format!(
            "`{value}` differs from `{first}` on line {}: the rows of {} `{}` must share it",
            group.first_line(),
            G::WHAT,
            group.identity().1
        ),
    )
}

struct Grouping<I, G: Group> {
    rows: I,
    pending: Option<G::Row>,
    finished: bool,
    file: String,
    /// The first line of each type and key met so far.
    seen: HashMap<(DocumentType, String), u64>,
}

impl<I, G> Grouping<I, G>
where
    G: Group,
    I: Iterator<Item = Result<G::Row, FormatError>>,
{
    fn new(file_name: &str, rows: I) -> Self {
        Grouping {
            rows,
            pending: None,
            finished: false,
            file: file_name.to_string(),
            seen: HashMap::new(),
        }
    }

    fn fail(&mut self, err: FormatError) -> Option<Result<G, FormatError>> {
        self.finished = true;
        Some(Err(err))
    }

    fn next_group(&mut self) -> Option<Result<G, FormatError>> {
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
        let mut group = G::start(first);
        let (doc_type, key) = group.identity();
        match self.seen.entry((doc_type, key.to_owned())) {
            MapEntry::Vacant(vacant) => {
                vacant.insert(group.first_line());
            }
            MapEntry::Occupied(occupied) => {
                let err = FormatError::new(
                    &self.file,
                    group.first_line(),
                    G::WHAT,
                    format!(
                        "`{key}` ({}) already started on line {}: the rows of one {} must be \
                         consecutive",
                        doc_type.name(),
                        occupied.get(),
                        G::WHAT
                    ),
                );
                return self.fail(err);
            }
        }
        loop {
            match self.rows.next() {
                None => {
                    self.finished = true;
                    break;
                }
                Some(Err(err)) => return self.fail(err),
                Some(Ok(row)) => {
                    if G::row_identity(&row) != group.identity() {
                        self.pending = Some(row);
                        break;
                    }
                    if group.parts() >= G::LIMIT {
                        let err = FormatError::new(
                            &self.file,
                            G::row_line(&row),
                            "record",
                            format!(
                                "the {} starting on line {} has more than {} {}",
                                G::WHAT,
                                group.first_line(),
                                G::LIMIT,
                                G::PARTS
                            ),
                        );
                        return self.fail(err);
                    }
                    if let Err(err) = group.add(&self.file, row) {
                        return self.fail(err);
                    }
                }
            }
        }
        Some(Ok(group))
    }
}

/// Where a row is, to build its errors.
#[derive(Clone, Copy)]
struct At<'a> {
    file: &'a str,
    line: u64,
}

impl At<'_> {
    fn err(self, field: &str, reason: impl Into<String>) -> FormatError {
        FormatError::new(self.file, self.line, field, reason)
    }
}

fn parse_type(text: &str, payments: bool) -> Result<DocumentType, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    match DocumentType::parse(text) {
        Some(doc_type) if doc_type.is_payment() == payments => Ok(doc_type),
        Some(_) if payments => Err(format!("`{text}` is not a payment: use the documents file")),
        Some(_) => Err(format!("`{text}` is a payment: use the payments file")),
        None if payments => Err(format!("`{text}` is not one of {PAYMENT_TYPES}")),
        None => Err(format!("`{text}` is not one of {DOCUMENT_TYPES}")),
    }
}

fn parse_key(text: &str) -> Result<String, String> {
    let key = clean_text(text);
    if key.is_empty() {
        return Err("must not be empty".into());
    }
    if key.chars().count() > MAX_KEY_CHARS {
        return Err(format!("`{key}` is longer than {MAX_KEY_CHARS} characters"));
    }
    Ok(key)
}

fn parse_party(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    parse_party_code(text).map_err(|err| err.to_string())
}

/// An optional code of ASCII letters, digits, `-` and `_`, uppercased (lowercased for
/// `lowercase`). The reason of an error follows the kind of code (`item`, `tax code`...).
fn parse_code(text: &str, max_len: usize, lowercase: bool) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let code = if lowercase {
        text.to_ascii_lowercase()
    } else {
        text.to_ascii_uppercase()
    };
    let ok = code.len() <= max_len
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(Some(code))
    } else {
        let case = if lowercase { "lowercase" } else { "uppercase" };
        Err(format!(
            "`{text}` must be 1 to {max_len} {case} letters, digits, `-` or `_`"
        ))
    }
}

/// A positive amount of at most 2 decimals.
fn parse_positive_amount(text: &str) -> Result<Amount, String> {
    if text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    let amount = Amount::parse(text).map_err(|err| err.to_string())?;
    if !amount.is_positive() {
        return Err(format!("`{}` must be more than zero", text.trim()));
    }
    Ok(amount)
}

/// A decimal written `1234.5`, `1234,5` or `1 234,5`, with at most `max_decimals` decimals (as
/// typed: `1,50000` has five) and `max_integer_digits` digits before the point. The value
/// comes back normalized (`1.50` is `1.5`).
fn parse_decimal(
    text: &str,
    max_decimals: u32,
    max_integer_digits: usize,
) -> Result<Decimal, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    let mut cleaned = String::with_capacity(trimmed.len());
    for ch in trimmed.chars() {
        match ch {
            ' ' | '\u{a0}' | '\u{202f}' => {}
            ',' => cleaned.push('.'),
            other => cleaned.push(other),
        }
    }
    let (integer, fraction) = split_number(&cleaned).ok_or_else(|| {
        let exponent = cleaned
            .split_once(['e', 'E'])
            .is_some_and(|(mantissa, exponent)| {
                let exponent = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
                split_number(mantissa).is_some()
                    && !exponent.is_empty()
                    && exponent.bytes().all(|b| b.is_ascii_digit())
            });
        if exponent {
            format!("`{trimmed}` uses exponent notation: write the number in full")
        } else {
            format!("`{trimmed}` is not a number")
        }
    })?;
    if fraction.len() > max_decimals as usize {
        return Err(format!("`{trimmed}` has more than {max_decimals} decimals"));
    }
    if integer.trim_start_matches('0').len() > max_integer_digits {
        return Err(format!(
            "`{trimmed}` is too large (at most {max_integer_digits} digits before the decimal \
             point)"
        ));
    }
    let value = Decimal::from_str(&cleaned).map_err(|_| format!("`{trimmed}` is not a number"))?;
    if value.is_zero() {
        return Ok(Decimal::ZERO);
    }
    Ok(value.normalize())
}

/// The integer and fraction digits of `[+-]digits[.digits]` (one side may be empty, not both).
fn split_number(text: &str) -> Option<(&str, &str)> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !(integer.is_empty() && fraction.is_empty())
        && integer.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    well_formed.then_some((integer, fraction))
}

/// The last date text seen and its value: consecutive rows usually share it.
#[derive(Default)]
struct DateCache {
    last: Option<(String, NaiveDate)>,
}

impl DateCache {
    fn parse(&mut self, text: &str) -> Result<NaiveDate, String> {
        if let Some((last, value)) = &self.last
            && last == text
        {
            return Ok(*value);
        }
        if text.trim().is_empty() {
            return Err("must not be empty".into());
        }
        let value = parse_date(text).ok_or_else(|| {
            format!(
                "`{}` is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
                text.trim()
            )
        })?;
        let last = self.last.get_or_insert_with(|| (String::new(), value));
        last.0.clear();
        last.0.push_str(text);
        last.1 = value;
        Ok(value)
    }
}

/// The CSV reading both files share: header check, records read into one reused buffer, and
/// the physical line where each record starts.
struct CsvSource<R: Read> {
    file: String,
    reader: csv::Reader<LineTracker<BufReader<R>>>,
    record: csv::ByteRecord,
    finished: bool,
}

impl<R: Read> CsvSource<R> {
    /// Reads and checks the header. `kind` (`documents`) names the file in its errors.
    fn open(file_name: &str, reader: R, columns: &[&str], kind: &str) -> Result<Self, FormatError> {
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
                columns.join(",")
            )));
        }
        if !header.ends_with(b"\n") && header.len() as u64 == MAX_HEADER_BYTES {
            return Err(header_error(format!(
                "no line break in the first {MAX_HEADER_BYTES} bytes: not a {kind} CSV"
            )));
        }
        let header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&header);
        let delimiter = detect_delimiter(header);
        check_header(header, delimiter, columns).map_err(header_error)?;
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(LineTracker::new(buffered));
        Ok(CsvSource {
            file: file_name.to_string(),
            reader,
            record: csv::ByteRecord::new(),
            finished: false,
        })
    }

    /// Reads the next record into `self.record` and returns the line it starts on.
    fn next_record(&mut self) -> Option<Result<u64, FormatError>> {
        if self.finished {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => Some(Ok(self.record_line())),
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
                Some(Err(FormatError::new(
                    &self.file,
                    line,
                    "record",
                    err.to_string(),
                )))
            }
        }
    }

    /// The cells of the record just read, checked for count and UTF-8.
    fn cells<const N: usize>(
        &self,
        at: At<'_>,
        columns: &[&str; N],
    ) -> Result<[&str; N], FormatError> {
        if self.record.len() != N {
            return Err(at.err(
                "record",
                format!(
                    "expected {N} columns ({}), found {}",
                    columns.join(","),
                    self.record.len()
                ),
            ));
        }
        let mut cells = [""; N];
        for (i, cell) in cells.iter_mut().enumerate() {
            *cell = std::str::from_utf8(&self.record[i])
                .map_err(|_| at.err(columns[i], "not valid UTF-8"))?;
        }
        Ok(cells)
    }

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::formats::entries_csv::MAX_RECORD_BYTES;
    use proptest::prelude::*;

    const DOC_HEADER: &str =
        "type,document,date,party,reference,item,label,quantity,unit_price,discount,tax_code\n";
    const PAY_HEADER: &str =
        "type,payment,date,party,amount,method,reference,allocate_to,allocated\n";

    fn doc_rows(text: &str) -> Vec<Result<DocumentRow, FormatError>> {
        DocumentsCsvReader::new("d.csv", text.as_bytes())
            .unwrap()
            .collect()
    }

    fn pay_rows(text: &str) -> Vec<Result<PaymentRow, FormatError>> {
        PaymentsCsvReader::new("p.csv", text.as_bytes())
            .unwrap()
            .collect()
    }

    fn doc_error(body: &str) -> String {
        let all = doc_rows(&format!("{DOC_HEADER}{body}"));
        assert_eq!(all.len(), 1, "{all:?}");
        all[0].clone().unwrap_err().to_string()
    }

    fn pay_error(body: &str) -> String {
        let all = pay_rows(&format!("{PAY_HEADER}{body}"));
        assert_eq!(all.len(), 1, "{all:?}");
        all[0].clone().unwrap_err().to_string()
    }

    fn documents(text: &str) -> Vec<Result<ImportedDocument, FormatError>> {
        let reader = DocumentsCsvReader::new("d.csv", text.as_bytes()).unwrap();
        DocumentGrouper::new("d.csv", reader).collect()
    }

    fn payments(text: &str) -> Vec<Result<ImportedPayment, FormatError>> {
        let reader = PaymentsCsvReader::new("p.csv", text.as_bytes()).unwrap();
        PaymentGrouper::new("p.csv", reader).collect()
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn cents(c: i64) -> Amount {
        Amount::from_cents(c)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn line(label: &str, quantity: &str, unit_price: &str) -> DocumentLine {
        DocumentLine {
            item: None,
            label: label.into(),
            quantity: dec(quantity),
            unit_price: dec(unit_price),
            discount: Decimal::ZERO,
            tax_code: None,
        }
    }

    #[test]
    fn reads_a_document_row_with_every_field() {
        let all = doc_rows(&format!(
            "{DOC_HEADER}Customer-Invoice, F 1 ,05/01/2026,clumen,\"FA, 12\",conseil-2,\
             \"Conseil\tjour\",\"1 234,5\",80.50,12.5,v20\n"
        ));
        assert_eq!(
            all,
            vec![Ok(DocumentRow {
                line: 2,
                doc_type: DocumentType::CustomerInvoice,
                key: "F 1".into(),
                date: date(2026, 1, 5),
                party: "CLUMEN".into(),
                reference: "FA, 12".into(),
                line_data: DocumentLine {
                    item: Some("CONSEIL-2".into()),
                    label: "Conseil jour".into(),
                    quantity: dec("1234.5"),
                    unit_price: dec("80.5"),
                    discount: dec("12.5"),
                    tax_code: Some("V20".into()),
                },
            })]
        );
    }

    #[test]
    fn reference_defaults_to_the_key_and_an_item_may_go_without_label() {
        let all = doc_rows(&format!(
            "{DOC_HEADER}supplier_credit_note,A7,2026-01-05,FBUREAU,,PAPIER,,-2,0,,\n"
        ));
        let row = all[0].clone().unwrap();
        assert_eq!(row.doc_type, DocumentType::SupplierCreditNote);
        assert_eq!(row.reference, "A7");
        assert_eq!(row.line_data.item.as_deref(), Some("PAPIER"));
        assert_eq!(row.line_data.label, "");
        assert_eq!(row.line_data.quantity, dec("-2"));
        assert_eq!(row.line_data.unit_price, Decimal::ZERO);
        assert_eq!(row.line_data.discount, Decimal::ZERO);
        assert_eq!(row.line_data.tax_code, None);
    }

    #[test]
    fn reads_a_payment_row_with_and_without_allocation() {
        let all = pay_rows(&format!(
            "{PAY_HEADER}customer_payment,R1,2026-02-01,CLUMEN,\"1 000,00\",Transfer,VIR 1,\
             FA2026-00012,900\n\
             supplier_refund,R2,2026-02-02,FBUREAU,42,check,,,\n"
        ));
        assert_eq!(
            all,
            vec![
                Ok(PaymentRow {
                    line: 2,
                    doc_type: DocumentType::CustomerPayment,
                    key: "R1".into(),
                    date: date(2026, 2, 1),
                    party: "CLUMEN".into(),
                    amount: cents(100_000),
                    method: "transfer".into(),
                    reference: "VIR 1".into(),
                    allocation: Some(("FA2026-00012".into(), cents(90_000))),
                }),
                Ok(PaymentRow {
                    line: 3,
                    doc_type: DocumentType::SupplierRefund,
                    key: "R2".into(),
                    date: date(2026, 2, 2),
                    party: "FBUREAU".into(),
                    amount: cents(4200),
                    method: "check".into(),
                    reference: String::new(),
                    allocation: None,
                }),
            ]
        );
    }

    #[test]
    fn headers_must_be_exact() {
        let doc_err = |text: &str| {
            DocumentsCsvReader::new("h.csv", text.as_bytes())
                .err()
                .unwrap()
                .to_string()
        };
        let pay_err = |text: &str| {
            PaymentsCsvReader::new("h.csv", text.as_bytes())
                .err()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            doc_err(""),
            "h.csv:1: record: empty file, expected the header \
             `type,document,date,party,reference,item,label,quantity,unit_price,discount,tax_code`"
        );
        assert_eq!(
            doc_err("type,document,date,party,item,label,quantity,unit_price,discount,tax_code\n"),
            "h.csv:1: record: the header must be \
             `type,document,date,party,reference,item,label,quantity,unit_price,discount,tax_code`, \
             found `type,document,date,party,item,label,quantity,unit_price,discount,tax_code`"
        );
        assert_eq!(
            doc_err(PAY_HEADER),
            "h.csv:1: record: the header must be \
             `type,document,date,party,reference,item,label,quantity,unit_price,discount,tax_code`, \
             found `type,payment,date,party,amount,method,reference,allocate_to,allocated`"
        );
        assert_eq!(
            pay_err("type;payment;date;party;amount;method;reference;allocate_to\n"),
            "h.csv:1: record: the header must be \
             `type;payment;date;party;amount;method;reference;allocate_to;allocated`, \
             found `type;payment;date;party;amount;method;reference;allocate_to`"
        );
        assert_eq!(
            doc_err(&"x".repeat(5000)),
            "h.csv:1: record: no line break in the first 4096 bytes: not a documents CSV"
        );
        assert_eq!(
            pay_err(&"x".repeat(5000)),
            "h.csv:1: record: no line break in the first 4096 bytes: not a payments CSV"
        );
        // A header alone is a valid, empty file; a BOM and padding are tolerated.
        assert_eq!(doc_rows(DOC_HEADER), vec![]);
        assert_eq!(pay_rows(&format!("\u{feff}{PAY_HEADER}")), vec![]);
        assert_eq!(
            pay_rows("type , payment,date,party,amount,method,reference,allocate_to,allocated"),
            vec![]
        );
    }

    #[test]
    fn each_document_rule_names_its_column() {
        let cases = [
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1\n",
                "d.csv:2: record: expected 11 columns (type,document,date,party,reference,item,\
                 label,quantity,unit_price,discount,tax_code), found 8",
            ),
            (
                ",F1,2026-01-05,C1,,,L,1,1,,\n",
                "d.csv:2: type: must not be empty",
            ),
            (
                "invoice,F1,2026-01-05,C1,,,L,1,1,,\n",
                "d.csv:2: type: `invoice` is not one of customer_invoice, customer_credit_note, \
                 supplier_invoice, supplier_credit_note",
            ),
            (
                "customer_payment,F1,2026-01-05,C1,,,L,1,1,,\n",
                "d.csv:2: type: `customer_payment` is a payment: use the payments file",
            ),
            (
                "supplier_refund,F1,2026-01-05,C1,,,L,1,1,,\n",
                "d.csv:2: type: `supplier_refund` is a payment: use the payments file",
            ),
            (
                "customer_invoice, \t ,2026-01-05,C1,,,L,1,1,,\n",
                "d.csv:2: document: must not be empty",
            ),
            (
                &format!(
                    "customer_invoice,{},2026-01-05,C1,,,L,1,1,,\n",
                    "é".repeat(41)
                ),
                &format!(
                    "d.csv:2: document: `{}` is longer than 40 characters",
                    "é".repeat(41)
                ),
            ),
            (
                "customer_invoice,F1,2026-02-30,C1,,,L,1,1,,\n",
                "d.csv:2: date: `2026-02-30` is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
            ),
            (
                "customer_invoice,F1,,C1,,,L,1,1,,\n",
                "d.csv:2: date: must not be empty",
            ),
            (
                "customer_invoice,F1,2026-01-05,,,,L,1,1,,\n",
                "d.csv:2: party: must not be empty",
            ),
            (
                "customer_invoice,F1,2026-01-05,a b,,,L,1,1,,\n",
                "d.csv:2: party: third-party code `a b` must be 1 to 17 uppercase letters, \
                 digits, `-` or `_`",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,A.B,L,1,1,,\n",
                "d.csv:2: item: item `A.B` must be 1 to 20 uppercase letters, digits, `-` or `_`",
            ),
            (
                &format!(
                    "customer_invoice,F1,2026-01-05,C1,,{},L,1,1,,\n",
                    "A".repeat(21)
                ),
                &format!(
                    "d.csv:2: item: item `{}` must be 1 to 20 uppercase letters, digits, \
                     `-` or `_`",
                    "A".repeat(21)
                ),
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,, ,1,1,,\n",
                "d.csv:2: label: must not be empty without an item",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,,1,,\n",
                "d.csv:2: quantity: must not be empty",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,0.000,1,,\n",
                "d.csv:2: quantity: `0.000` must not be zero",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1.23456,1,,\n",
                "d.csv:2: quantity: `1.23456` has more than 4 decimals",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1e3,1,,\n",
                "d.csv:2: quantity: `1e3` uses exponent notation: write the number in full",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,douze,1,,\n",
                "d.csv:2: quantity: `douze` is not a number",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1.2.3,1,,\n",
                "d.csv:2: quantity: `1.2.3` is not a number",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1000000000000,1,,\n",
                "d.csv:2: quantity: `1000000000000` is too large (at most 12 digits before the \
                 decimal point)",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,,,\n",
                "d.csv:2: unit_price: must not be empty",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,-0.5,,\n",
                "d.csv:2: unit_price: `-0.5` must not be negative",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,2.50000,,\n",
                "d.csv:2: unit_price: `2.50000` has more than 4 decimals",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,2E-2,,\n",
                "d.csv:2: unit_price: `2E-2` uses exponent notation: write the number in full",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,100000,100000000,,\n",
                "d.csv:2: unit_price: quantity × unit price is more than 10 000 billion euros",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,1,100.01,\n",
                "d.csv:2: discount: `100.01` must be a percent from 0 to 100",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,1,-1,\n",
                "d.csv:2: discount: `-1` must be a percent from 0 to 100",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,1,\"5,125\",\n",
                "d.csv:2: discount: `5,125` has more than 2 decimals",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,1,1e1,\n",
                "d.csv:2: discount: `1e1` uses exponent notation: write the number in full",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,1,,TVA 20\n",
                "d.csv:2: tax_code: tax code `TVA 20` must be 1 to 12 uppercase letters, \
                 digits, `-` or `_`",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,L,1,1,,TVA20-REDUCED\n",
                "d.csv:2: tax_code: tax code `TVA20-REDUCED` must be 1 to 12 uppercase \
                 letters, digits, `-` or `_`",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(doc_error(body), expected, "{body}");
        }
        let invalid_utf8 = [
            DOC_HEADER.as_bytes(),
            b"customer_invoice,F1,2026-01-05,C1,,,L\xff,1,1,,\n",
        ]
        .concat();
        let all: Vec<_> = DocumentsCsvReader::new("d.csv", invalid_utf8.as_slice())
            .unwrap()
            .collect();
        assert_eq!(
            all[0].clone().unwrap_err().to_string(),
            "d.csv:2: label: not valid UTF-8"
        );
    }

    #[test]
    fn each_payment_rule_names_its_column() {
        let cases = [
            (
                "customer_payment,R1,2026-02-01,C1,10,transfer\n",
                "p.csv:2: record: expected 9 columns (type,payment,date,party,amount,method,\
                 reference,allocate_to,allocated), found 6",
            ),
            (
                "customer_invoice,R1,2026-02-01,C1,10,transfer,,,\n",
                "p.csv:2: type: `customer_invoice` is not a payment: use the documents file",
            ),
            (
                "supplier_credit_note,R1,2026-02-01,C1,10,transfer,,,\n",
                "p.csv:2: type: `supplier_credit_note` is not a payment: use the documents file",
            ),
            (
                "payment,R1,2026-02-01,C1,10,transfer,,,\n",
                "p.csv:2: type: `payment` is not one of customer_payment, supplier_payment, \
                 customer_refund, supplier_refund",
            ),
            (
                "customer_payment,,2026-02-01,C1,10,transfer,,,\n",
                "p.csv:2: payment: must not be empty",
            ),
            (
                &format!(
                    "customer_payment,{},2026-02-01,C1,10,transfer,,,\n",
                    "R".repeat(41)
                ),
                &format!(
                    "p.csv:2: payment: `{}` is longer than 40 characters",
                    "R".repeat(41)
                ),
            ),
            (
                "customer_payment,R1,1/2/2026,C1,10,transfer,,,\n",
                "p.csv:2: date: `1/2/2026` is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
            ),
            (
                "customer_payment,R1,2026-02-01,C 1,10,transfer,,,\n",
                "p.csv:2: party: third-party code `C 1` must be 1 to 17 uppercase letters, \
                 digits, `-` or `_`",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,,transfer,,,\n",
                "p.csv:2: amount: must not be empty",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,0,transfer,,,\n",
                "p.csv:2: amount: `0` must be more than zero",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,-10,transfer,,,\n",
                "p.csv:2: amount: `-10` must be more than zero",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,10.005,transfer,,,\n",
                "p.csv:2: amount: `10.005` has more than 2 decimals",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,1e3,transfer,,,\n",
                "p.csv:2: amount: `1e3` is not a number",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,10,,,,\n",
                "p.csv:2: method: must not be empty",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,10,virement bancaire,,,\n",
                "p.csv:2: method: payment method `virement bancaire` must be 1 to 20 lowercase \
                 letters, digits, `-` or `_`",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,10,transfer,,,5\n",
                "p.csv:2: allocated: must be empty when allocate_to is",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,10,transfer,,FA2026-00001,\n",
                "p.csv:2: allocated: must be filled when allocate_to is",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,10,transfer,,FA2026-00001,0\n",
                "p.csv:2: allocated: `0` must be more than zero",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,10,transfer,,FA2026-00001,x\n",
                "p.csv:2: allocated: `x` is not a number",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(pay_error(body), expected, "{body}");
        }
    }

    #[test]
    fn row_errors_do_not_stop_the_reader_and_lines_are_physical() {
        let text = format!(
            "{DOC_HEADER}\n\
             customer_invoice,F1,2026-01-05,C1,,,\"two\nlines\",1,1,,\n\
             \n\
             customer_invoice,F1,2026-01-05,C1,,,L,x,1,,\n\
             \r\n\
             \n\
             customer_invoice,F1,2026-01-05,C1,,,L,1,1,,\n\
             customer_invoice,F1,2026-01-05,C1,,,L,1,1,,TVA 20\n"
        );
        let all = doc_rows(&text);
        assert_eq!(all.len(), 4);
        assert_eq!(all[0].as_ref().unwrap().line_data.label, "two lines");
        assert_eq!(all[0].as_ref().unwrap().line, 3);
        assert_eq!(
            all[1].clone().unwrap_err().to_string(),
            "d.csv:6: quantity: `x` is not a number"
        );
        assert_eq!(all[2].as_ref().unwrap().line, 9);
        assert_eq!(all[3].as_ref().unwrap_err().line, 10);

        let text = format!(
            "{PAY_HEADER}\n\
             customer_payment,R1,2026-02-01,C1,10,transfer,\"a\r\nb\",,\n\
             \n\
             customer_payment,R2,2026-02-01,C1,10,,,,\n"
        );
        let all = pay_rows(&text);
        assert_eq!(all[0].as_ref().unwrap().line, 3);
        assert_eq!(all[0].as_ref().unwrap().reference, "a  b");
        assert_eq!(
            all[1].clone().unwrap_err().to_string(),
            "p.csv:6: method: must not be empty"
        );
    }

    #[test]
    fn an_open_quote_stops_the_reader_with_bounded_memory() {
        let mut text = format!(
            "{PAY_HEADER}customer_payment,R1,2026-02-01,C1,10,transfer,,,\n\n\
             customer_payment,R2,2026-02-01,C1,10,transfer,\"oops,,\n"
        );
        for _ in 0..5_000 {
            text.push_str("customer_payment,R3,2026-02-01,C1,10,transfer,,,\n");
        }
        let all = pay_rows(&text);
        assert_eq!(all.len(), 2);
        assert!(all[0].is_ok());
        assert_eq!(
            all[1].clone().unwrap_err().to_string(),
            format!(
                "p.csv:4: record: a record longer than {MAX_RECORD_BYTES} bytes (a quote left \
                 open?)"
            )
        );
    }

    #[test]
    fn consecutive_rows_of_one_type_and_key_make_one_document() {
        let text = format!(
            "{DOC_HEADER}\
             customer_invoice,F1,2026-01-05,C1,,,A,1,10,,\n\
             customer_invoice,F1,2026-01-05,C1,F1,SERV,,2,5,10,V20\n\
             \n\
             customer_credit_note,F1,2026-01-06,C1,,,A,1,10,,\n\
             supplier_invoice,F1,2026-01-07,S1,THEIR-9,,B,1,3,,\n\
             supplier_invoice,F1,2026-01-07,S1,THEIR-9,,C,1,4,,\n\
             customer_invoice,F2,2026-01-05,C1,,,D,1,1,,\n"
        );
        let docs: Vec<ImportedDocument> =
            documents(&text).into_iter().map(Result::unwrap).collect();
        let shape: Vec<_> = docs
            .iter()
            .map(|d| {
                (
                    d.first_line,
                    d.doc_type,
                    d.key.as_str(),
                    d.reference.as_str(),
                    d.line_numbers.clone(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (2, DocumentType::CustomerInvoice, "F1", "F1", vec![2, 3]),
                (5, DocumentType::CustomerCreditNote, "F1", "F1", vec![5]),
                (
                    6,
                    DocumentType::SupplierInvoice,
                    "F1",
                    "THEIR-9",
                    vec![6, 7]
                ),
                (8, DocumentType::CustomerInvoice, "F2", "F2", vec![8]),
            ]
        );
        assert_eq!(
            docs[0],
            ImportedDocument {
                first_line: 2,
                doc_type: DocumentType::CustomerInvoice,
                key: "F1".into(),
                date: date(2026, 1, 5),
                party: "C1".into(),
                reference: "F1".into(),
                lines: vec![
                    line("A", "1", "10"),
                    DocumentLine {
                        item: Some("SERV".into()),
                        label: String::new(),
                        quantity: dec("2"),
                        unit_price: dec("5"),
                        discount: dec("10"),
                        tax_code: Some("V20".into()),
                    },
                ],
                line_numbers: vec![2, 3],
            }
        );
    }

    #[test]
    fn the_rows_of_one_document_must_agree_and_be_consecutive() {
        let first = "customer_invoice,F1,2026-01-05,C1,REF,,A,1,10,,\n";
        let cases = [
            (
                "customer_invoice,F1,06/01/2026,C1,REF,,B,1,10,,\n",
                "d.csv:4: date: `2026-01-06` differs from `2026-01-05` on line 2: the rows of \
                 document `F1` must share it",
            ),
            (
                "customer_invoice,F1,2026-01-05,C2,REF,,B,1,10,,\n",
                "d.csv:4: party: `C2` differs from `C1` on line 2: the rows of document `F1` \
                 must share it",
            ),
            (
                "customer_invoice,F1,2026-01-05,C1,,,B,1,10,,\n",
                "d.csv:4: reference: `F1` differs from `REF` on line 2: the rows of document \
                 `F1` must share it",
            ),
            (
                "customer_invoice,F2,2026-01-05,C1,,,B,1,10,,\ncustomer_invoice,F1,2026-01-05,C1,REF,,B,1,10,,\n",
                "d.csv:5: document: `F1` (customer_invoice) already started on line 2: the \
                 rows of one document must be consecutive",
            ),
        ];
        for (rest, expected) in cases {
            let results = documents(&format!("{DOC_HEADER}{first}\n{rest}"));
            let last = results.last().unwrap().clone();
            assert_eq!(last.unwrap_err().to_string(), expected);
            assert!(results[..results.len() - 1].iter().all(Result::is_ok));
        }
    }

    #[test]
    fn grouping_stops_at_the_first_row_error() {
        let text = format!(
            "{DOC_HEADER}\
             customer_invoice,F1,2026-01-05,C1,,,A,1,10,,\n\
             customer_invoice,F2,2026-01-05,C1,,,A,1,10,,\n\
             customer_invoice,F2,2026-01-05,C1,,,A,1,-10,,\n\
             customer_invoice,F3,2026-01-05,C1,,,A,1,10,,\n"
        );
        let results = documents(&text);
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].as_ref().unwrap().key, "F1");
        assert_eq!(
            results[1].clone().unwrap_err().to_string(),
            "d.csv:4: unit_price: `-10` must not be negative"
        );
    }

    #[test]
    fn a_document_has_a_bounded_number_of_lines() {
        let mut text = String::from(DOC_HEADER);
        for _ in 0..=MAX_LINES_PER_DOCUMENT {
            text.push_str("customer_invoice,BIG,2026-01-05,C1,,,L,1,1,,\n");
        }
        let results = documents(&text);
        assert_eq!(results.len(), 1);
        assert_eq!(
            results[0].clone().unwrap_err().to_string(),
            format!(
                "d.csv:{}: record: the document starting on line 2 has more than \
                 {MAX_LINES_PER_DOCUMENT} lines",
                MAX_LINES_PER_DOCUMENT + 2
            )
        );
    }

    #[test]
    fn a_payment_has_a_bounded_number_of_allocations() {
        let mut text = String::from(PAY_HEADER);
        for _ in 0..=MAX_ALLOCATIONS_PER_PAYMENT {
            text.push_str("customer_payment,BIG,2026-02-01,C1,10,transfer,,F1,1\n");
        }
        let results = payments(&text);
        assert_eq!(results.len(), 1);
        assert_eq!(
            results[0].clone().unwrap_err().to_string(),
            format!(
                "p.csv:{}: record: the payment starting on line 2 has more than \
                 {MAX_ALLOCATIONS_PER_PAYMENT} allocations",
                MAX_ALLOCATIONS_PER_PAYMENT + 2
            )
        );
    }

    #[test]
    fn payments_group_their_allocations() {
        let text = format!(
            "{PAY_HEADER}\
             customer_payment,R1,2026-02-01,C1,100,transfer,VIR 1,FA2026-00001,60\n\
             \n\
             customer_payment,R1,2026-02-01,C1,100.00,Transfer,VIR 1,F9,40\n\
             supplier_payment,R1,2026-02-02,S1,42,check,,,\n\
             customer_refund,R2,2026-02-03,C1,5,transfer,,AV2026-00001,5\n"
        );
        let all: Vec<ImportedPayment> = payments(&text).into_iter().map(Result::unwrap).collect();
        assert_eq!(
            all,
            vec![
                ImportedPayment {
                    first_line: 2,
                    doc_type: DocumentType::CustomerPayment,
                    key: "R1".into(),
                    date: date(2026, 2, 1),
                    party: "C1".into(),
                    amount: cents(10_000),
                    method: "transfer".into(),
                    reference: "VIR 1".into(),
                    allocations: vec![
                        (2, "FA2026-00001".into(), cents(6000)),
                        (4, "F9".into(), cents(4000)),
                    ],
                },
                ImportedPayment {
                    first_line: 5,
                    doc_type: DocumentType::SupplierPayment,
                    key: "R1".into(),
                    date: date(2026, 2, 2),
                    party: "S1".into(),
                    amount: cents(4200),
                    method: "check".into(),
                    reference: String::new(),
                    allocations: vec![],
                },
                ImportedPayment {
                    first_line: 6,
                    doc_type: DocumentType::CustomerRefund,
                    key: "R2".into(),
                    date: date(2026, 2, 3),
                    party: "C1".into(),
                    amount: cents(500),
                    method: "transfer".into(),
                    reference: String::new(),
                    allocations: vec![(6, "AV2026-00001".into(), cents(500))],
                },
            ]
        );
    }

    #[test]
    fn the_rows_of_one_payment_must_agree_and_be_consecutive() {
        let first = "customer_payment,R1,2026-02-01,C1,100,transfer,VIR,F1,50\n";
        let cases = [
            (
                first,
                "customer_payment,R1,2026-02-02,C1,100,transfer,VIR,F2,50\n",
                "p.csv:4: date: `2026-02-02` differs from `2026-02-01` on line 2: the rows of \
                 payment `R1` must share it",
            ),
            (
                first,
                "customer_payment,R1,2026-02-01,C2,100,transfer,VIR,F2,50\n",
                "p.csv:4: party: `C2` differs from `C1` on line 2: the rows of payment `R1` \
                 must share it",
            ),
            (
                first,
                "customer_payment,R1,2026-02-01,C1,\"100,01\",transfer,VIR,F2,50\n",
                "p.csv:4: amount: `100.01` differs from `100.00` on line 2: the rows of \
                 payment `R1` must share it",
            ),
            (
                first,
                "customer_payment,R1,2026-02-01,C1,100,check,VIR,F2,50\n",
                "p.csv:4: method: `check` differs from `transfer` on line 2: the rows of \
                 payment `R1` must share it",
            ),
            (
                first,
                "customer_payment,R1,2026-02-01,C1,100,transfer,,F2,50\n",
                "p.csv:4: reference: `` differs from `VIR` on line 2: the rows of payment \
                 `R1` must share it",
            ),
            (
                first,
                "customer_payment,R1,2026-02-01,C1,100,transfer,VIR,,\n",
                "p.csv:4: allocate_to: must be filled: payment `R1` has several rows (from \
                 line 2)",
            ),
            (
                "customer_payment,R1,2026-02-01,C1,100,transfer,VIR,,\n",
                "customer_payment,R1,2026-02-01,C1,100,transfer,VIR,F2,50\n",
                "p.csv:2: allocate_to: must be filled: payment `R1` has several rows (the \
                 next on line 4)",
            ),
            (
                first,
                "customer_refund,R1,2026-02-01,C1,100,transfer,VIR,,\n\
                 customer_payment,R1,2026-02-01,C1,100,transfer,VIR,F2,50\n",
                "p.csv:5: payment: `R1` (customer_payment) already started on line 2: the rows \
                 of one payment must be consecutive",
            ),
        ];
        for (first, rest, expected) in cases {
            let results = payments(&format!("{PAY_HEADER}{first}\n{rest}"));
            let last = results.last().unwrap().clone();
            assert_eq!(last.unwrap_err().to_string(), expected);
            assert!(results[..results.len() - 1].iter().all(Result::is_ok));
        }
    }

    #[test]
    fn semicolon_files_with_french_decimals() {
        let text = "\u{feff}type;document;date;party;reference;item;label;quantity;unit_price;\
                    discount;tax_code\r\n\
                    customer_invoice;F1;05/01/2026;C1;;;Prestation, jour;1\u{a0}234,5;12,3456;\
                    7,5;V20\r\n\
                    \r\n\
                    customer_invoice;F1;05/01/2026;C1;;;Frais;\"0,25\";1 000;;\r\n";
        let docs: Vec<ImportedDocument> = documents(text).into_iter().map(Result::unwrap).collect();
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        assert_eq!(doc.date, date(2026, 1, 5));
        assert_eq!(doc.line_numbers, vec![2, 4]);
        assert_eq!(
            doc.lines[0],
            DocumentLine {
                discount: dec("7.5"),
                tax_code: Some("V20".into()),
                ..line("Prestation, jour", "1234.5", "12.3456")
            }
        );
        assert_eq!(doc.lines[1], line("Frais", "0.25", "1000"));

        let text = "type;payment;date;party;amount;method;reference;allocate_to;allocated\n\
                    customer_payment;R1;01/02/2026;C1;1 234,56;transfer;;F1;1 000,5\n\
                    customer_payment;R1;01/02/2026;C1;1234,56;transfer;;F2;234,06\n";
        let pays: Vec<ImportedPayment> = payments(text).into_iter().map(Result::unwrap).collect();
        assert_eq!(pays[0].amount, cents(123_456));
        assert_eq!(
            pays[0].allocations,
            vec![
                (2, "F1".to_string(), cents(100_050)),
                (3, "F2".to_string(), cents(23_406))
            ]
        );
    }

    #[test]
    fn decimals_accept_their_notations() {
        for (text, expected) in [
            ("12", "12"),
            ("+12", "12"),
            ("-0,5", "-0.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1 234 567.1234", "1234567.1234"),
            ("1\u{202f}000,10", "1000.1"),
            ("000000000000001", "1"),
            ("999999999999.9999", "999999999999.9999"),
        ] {
            assert_eq!(
                parse_decimal(text, 4, MAX_INTEGER_DIGITS),
                Ok(dec(expected)),
                "{text}"
            );
        }
        for text in ["1e3", "1,5E-2", "-.5e+10"] {
            assert_eq!(
                parse_decimal(text, 4, MAX_INTEGER_DIGITS),
                Err(format!(
                    "`{text}` uses exponent notation: write the number in full"
                )),
                "{text}"
            );
        }
        for text in [
            ".", "-", "1-", "--1", "1,2,3", "0x10", "1_000", "NaN", "∞", "e5", "1e", "1e+", "1e5e5",
        ] {
            assert_eq!(
                parse_decimal(text, 4, MAX_INTEGER_DIGITS),
                Err(format!("`{text}` is not a number")),
                "{text}"
            );
        }
    }

    /// Writes one CSV record with `delimiter` and `end`, quoting as needed.
    fn record(fields: &[String], delimiter: u8, end: &str) -> String {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        writer.write_record(fields).unwrap();
        let mut text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        text.pop();
        text.push_str(end);
        text
    }

    /// A decimal as a spreadsheet may write it: comma or dot, grouped thousands or not.
    fn write_decimal(value: Decimal, comma: bool, grouped: bool) -> String {
        let text = value.to_string();
        let (sign, digits) = match text.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", text.as_str()),
        };
        let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let mut out = String::from(sign);
        for (i, ch) in integer.chars().enumerate() {
            if grouped && i > 0 && (integer.len() - i).is_multiple_of(3) {
                out.push(' ');
            }
            out.push(ch);
        }
        if !fraction.is_empty() {
            out.push(if comma { ',' } else { '.' });
            out.push_str(fraction);
        }
        out
    }

    fn write_date(value: NaiveDate, french: bool) -> String {
        if french {
            value.format("%d/%m/%Y").to_string()
        } else {
            value.format("%Y-%m-%d").to_string()
        }
    }

    const DOC_TYPES: [DocumentType; 4] = [
        DocumentType::CustomerInvoice,
        DocumentType::CustomerCreditNote,
        DocumentType::SupplierInvoice,
        DocumentType::SupplierCreditNote,
    ];

    const PAY_TYPES: [DocumentType; 4] = [
        DocumentType::CustomerPayment,
        DocumentType::SupplierPayment,
        DocumentType::CustomerRefund,
        DocumentType::SupplierRefund,
    ];

    /// How a file is laid out: separator, decimal comma, grouping, French dates, line ends.
    #[derive(Debug, Clone, Copy)]
    struct Layout {
        semicolon: bool,
        comma: bool,
        grouped: bool,
        french_dates: bool,
        crlf: bool,
    }

    fn layout() -> impl Strategy<Value = Layout> {
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(semicolon, comma, grouped, french_dates, crlf)| Layout {
                semicolon,
                comma,
                grouped,
                french_dates,
                crlf,
            })
    }

    fn decimal(max_mantissa: i64, scale: u32) -> impl Strategy<Value = Decimal> {
        (-max_mantissa..=max_mantissa).prop_map(move |m| Decimal::new(m, scale))
    }

    fn document_line() -> impl Strategy<Value = (DocumentLine, String)> {
        (
            proptest::option::of("[A-Z0-9_-]{1,20}"),
            "[a-zA-Zé0-9 ,;\"'\n]{0,12}",
            (0u32..=4).prop_flat_map(|s| decimal(999_999_999_999, s)),
            (0u32..=4).prop_flat_map(|s| decimal(99_999_999, s)),
            0i64..=10_000,
            proptest::option::of("[A-Z0-9_-]{1,12}"),
        )
            .prop_filter_map(
                "a label or an item, a non-zero quantity, a line amount that fits",
                |(item, raw_label, quantity, unit_price, discount, tax_code)| {
                    let label = clean_text(&raw_label);
                    let unit_price = unit_price.abs();
                    let fits = (quantity * unit_price).abs() < Decimal::from(MAX_LINE_AMOUNT);
                    let ok = (item.is_some() || !label.is_empty()) && !quantity.is_zero() && fits;
                    ok.then(|| {
                        let line = DocumentLine {
                            item,
                            label,
                            quantity,
                            unit_price,
                            discount: Decimal::new(discount, 2),
                            tax_code,
                        };
                        (line, raw_label)
                    })
                },
            )
    }

    /// A document as written (raw key, reference and labels) with the blank lines before each
    /// of its rows.
    #[derive(Debug, Clone)]
    struct WrittenDocument {
        doc_type: DocumentType,
        raw_key: String,
        date: NaiveDate,
        party: String,
        raw_reference: String,
        lines: Vec<(DocumentLine, String, usize)>,
    }

    fn written_document() -> impl Strategy<Value = WrittenDocument> {
        (
            0usize..4,
            "[A-Za-z ,;\"]{0,6}",
            0i64..20_000,
            "[A-Z0-9_-]{1,17}",
            proptest::option::of("[A-Za-z0-9 ,;\"/-]{1,20}"),
            proptest::collection::vec((document_line(), 0usize..3), 1..5),
        )
            .prop_map(
                |(t, prefix, day, party, reference, lines)| WrittenDocument {
                    doc_type: DOC_TYPES[t],
                    raw_key: prefix,
                    date: date(1990, 1, 1) + chrono::Duration::days(day),
                    party,
                    raw_reference: reference.unwrap_or_default(),
                    lines: lines
                        .into_iter()
                        .map(|((line, raw_label), blanks)| (line, raw_label, blanks))
                        .collect(),
                },
            )
    }

    proptest! {
        /// Documents written as rows, in any layout, with blank lines and quoted line breaks,
        /// read back as the same documents with the lines they are on.
        #[test]
        fn written_documents_read_back(
            docs in proptest::collection::vec(written_document(), 0..8),
            layout in layout(),
        ) {
            let delimiter = if layout.semicolon { b';' } else { b',' };
            let end = if layout.crlf { "\r\n" } else { "\n" };
            let columns: Vec<String> = DOCUMENT_COLUMNS.iter().map(|c| c.to_string()).collect();
            let mut text = record(&columns, delimiter, end);
            let mut line = 2u64;
            let mut expected = Vec::new();
            for (i, doc) in docs.iter().enumerate() {
                // The index after `#` keeps keys distinct once cleaned.
                let raw_key = format!("{}#{i}", doc.raw_key);
                let key = clean_text(&raw_key);
                let reference = match clean_text(&doc.raw_reference) {
                    r if r.is_empty() => key.clone(),
                    r => r,
                };
                let mut imported = ImportedDocument {
                    first_line: 0,
                    doc_type: doc.doc_type,
                    key,
                    date: doc.date,
                    party: doc.party.clone(),
                    reference,
                    lines: Vec::new(),
                    line_numbers: Vec::new(),
                };
                for (data, raw_label, blanks) in &doc.lines {
                    for _ in 0..*blanks {
                        text.push_str(end);
                        line += 1;
                    }
                    let fields = [
                        doc.doc_type.name().to_string(),
                        raw_key.clone(),
                        write_date(doc.date, layout.french_dates),
                        doc.party.clone(),
                        doc.raw_reference.clone(),
                        data.item.clone().unwrap_or_default(),
                        raw_label.clone(),
                        write_decimal(data.quantity, layout.comma, layout.grouped),
                        write_decimal(data.unit_price, layout.comma, layout.grouped),
                        if data.discount.is_zero() {
                            String::new()
                        } else {
                            write_decimal(data.discount, layout.comma, false)
                        },
                        data.tax_code.clone().unwrap_or_default(),
                    ];
                    if imported.lines.is_empty() {
                        imported.first_line = line;
                    }
                    imported.lines.push(data.clone());
                    imported.line_numbers.push(line);
                    text.push_str(&record(&fields, delimiter, end));
                    line += 1 + raw_label.matches('\n').count() as u64;
                }
                expected.push(imported);
            }
            let read: Vec<ImportedDocument> = documents(&text)
                .into_iter()
                .collect::<Result<_, _>>()
                .map_err(|err| TestCaseError::fail(format!("{err}\n{text}")))?;
            prop_assert_eq!(read, expected);
        }

        /// Payments written as rows read back as the same payments.
        #[test]
        fn written_payments_read_back(
            pays in proptest::collection::vec(
                (
                    0usize..4,
                    0i64..20_000,
                    "[A-Z0-9_-]{1,17}",
                    1i64..1_000_000_000,
                    "[a-z0-9_-]{1,20}",
                    "[A-Za-z0-9 ,;\"/-]{0,20}",
                    proptest::collection::vec(("[A-Za-z0-9 ,;\"/-]{0,10}", 1i64..1_000_000, 0usize..2), 0..4),
                ),
                0..8,
            ),
            layout in layout(),
        ) {
            let delimiter = if layout.semicolon { b';' } else { b',' };
            let end = if layout.crlf { "\r\n" } else { "\n" };
            let columns: Vec<String> = PAYMENT_COLUMNS.iter().map(|c| c.to_string()).collect();
            let mut text = record(&columns, delimiter, end);
            let mut line = 2u64;
            let mut expected = Vec::new();
            let amount_text = |cents: i64| {
                let amount = Amount::from_cents(cents);
                if layout.comma { amount.to_french() } else { amount.to_plain() }
            };
            for (i, (t, day, party, amount, method, raw_reference, allocations)) in
                pays.into_iter().enumerate()
            {
                let key = format!("P{i}");
                let date = date(1990, 1, 1) + chrono::Duration::days(day);
                let mut imported = ImportedPayment {
                    first_line: line,
                    doc_type: PAY_TYPES[t],
                    key: key.clone(),
                    date,
                    party: party.clone(),
                    amount: Amount::from_cents(amount),
                    method: method.clone(),
                    reference: clean_text(&raw_reference),
                    allocations: Vec::new(),
                };
                let rows: Vec<(String, String, usize)> = if allocations.is_empty() {
                    vec![(String::new(), String::new(), 0)]
                } else {
                    allocations
                        .into_iter()
                        .map(|(to, cents, blanks)| {
                            // A letter keeps the allocation filled once cleaned.
                            (format!("{to}F"), amount_text(cents), blanks)
                        })
                        .collect()
                };
                for (n, (to, allocated, blanks)) in rows.into_iter().enumerate() {
                    for _ in 0..blanks {
                        text.push_str(end);
                        line += 1;
                    }
                    if n == 0 {
                        imported.first_line = line;
                    }
                    if !to.is_empty() {
                        imported.allocations.push((
                            line,
                            clean_text(&to),
                            Amount::parse(&allocated).unwrap(),
                        ));
                    }
                    let fields = [
                        PAY_TYPES[t].name().to_string(),
                        key.clone(),
                        write_date(date, layout.french_dates),
                        party.clone(),
                        amount_text(amount),
                        method.clone(),
                        raw_reference.clone(),
                        to,
                        allocated,
                    ];
                    text.push_str(&record(&fields, delimiter, end));
                    line += 1;
                }
                expected.push(imported);
            }
            let read: Vec<ImportedPayment> = payments(&text)
                .into_iter()
                .collect::<Result<_, _>>()
                .map_err(|err| TestCaseError::fail(format!("{err}\n{text}")))?;
            prop_assert_eq!(read, expected);
        }
    }
}
