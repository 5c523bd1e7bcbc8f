//! The CSV files that set up a client: third parties and accounts, with the columns of the
//! `parties --format csv` and `accounts --format csv` listings.
//!
//! ```text
//! code,name,kind,account,auxiliary,active,balance,tax_position,terms,method,iban,mandate,mandate_date
//! CLUMEN,Lumen Design,customer,411000,CLUMEN,yes,1200.00,,30,transfer,,,
//! ```
//!
//! ```text
//! number,label,kind,third_party,letterable,reconcilable,active,balance
//! 512100,Banque Populaire,bank,no,no,yes,yes,0.00
//! ```
//!
//! Columns are matched by their header name, in any order; an unknown column is refused with
//! its name (a misspelt `iban` column would otherwise be dropped without a word). The
//! `balance` column of a listing is read and ignored: balances come from entries. A column
//! left out keeps the current value of an existing record (the default for a new one); an
//! empty cell means the value a new record gets (no IBAN, 30 days of terms, active, the PCG
//! flags of the account number…).
//!
//! Folio's CSV output puts a `'` before a text cell starting with `=`, `+`, `-`, `@`, a tab or
//! a carriage return, so that a spreadsheet does not run it as a formula; that one quote is
//! taken off again here ([`unneutralise`]).

use std::collections::HashMap;

use super::csv_lines::detect_delimiter;
use super::entries_csv::MAX_RECORD_BYTES;
use super::{FormatError, clean_text};
use crate::model::party::{Mandate, parse_party_code};
use crate::model::{Account, AccountKind, AccountNumber, Party, PartyKind, parse_date};

/// The columns of a third-parties file: the listing's, then the details it leaves out.
pub const PARTY_COLUMNS: [&str; 13] = [
    "code",
    "name",
    "kind",
    "account",
    "auxiliary",
    "active",
    "balance",
    "tax_position",
    "terms",
    "method",
    "iban",
    "mandate",
    "mandate_date",
];

/// Columns a third-parties file must have.
const PARTY_REQUIRED: [&str; 3] = ["code", "name", "kind"];

/// The columns of an accounts file (those of the listing).
pub const ACCOUNT_COLUMNS: [&str; 8] = [
    "number",
    "label",
    "kind",
    "third_party",
    "letterable",
    "reconcilable",
    "active",
    "balance",
];

/// Columns an accounts file must have.
const ACCOUNT_REQUIRED: [&str; 2] = ["number", "label"];

/// Payment terms accepted, in days (ten years).
pub const MAX_TERMS_DAYS: u32 = 3650;

/// One row of a third-parties file. `None`: the column is not in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRow {
    /// 1-based physical line where the row starts.
    pub line: u64,
    pub code: String,
    pub name: String,
    pub kind: PartyKind,
    /// An empty cell gives the kind's collective account (411000, 401000).
    pub account: Option<AccountNumber>,
    /// An empty cell gives the code.
    pub auxiliary: Option<String>,
    pub active: Option<bool>,
    /// `Some(None)`: France (no position).
    pub tax_position: Option<Option<String>>,
    pub terms: Option<u32>,
    pub method: Option<Option<String>>,
    /// Compact and uppercase (the check digits are the ledger's business, with the settings).
    pub iban: Option<Option<String>>,
    /// Both `mandate` and `mandate_date` columns, or neither.
    pub mandate: Option<Option<Mandate>>,
}

/// One row of an accounts file. Flags: `None` when the column is not in the file; an empty
/// cell gives the flag the PCG implies for the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub line: u64,
    pub number: AccountNumber,
    pub label: String,
    pub third_party_required: Option<bool>,
    pub letterable: Option<bool>,
    pub reconcilable: Option<bool>,
    pub active: Option<bool>,
}

/// Takes off the `'` Folio's CSV output adds before a formula-looking text cell: exactly one,
/// and only when what follows starts with `=`, `+`, `-`, `@`, a tab or a carriage return.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// The rows of a file as cells, with their header, after the checks every setup file shares.
struct Table {
    file: String,
    columns: HashMap<&'static str, usize>,
    records: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn read(
        file: &str,
        text: &str,
        known: &[&'static str],
        required: &[&str],
    ) -> Result<Self, FormatError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first_line = text.lines().next().unwrap_or_default();
        if first_line.trim().is_empty() {
            return Err(FormatError::new(
                file,
                1,
                "record",
                format!(
                    "expected a header naming the columns ({})",
                    required.join(",")
                ),
            ));
        }
        let delimiter = detect_delimiter(first_line.as_bytes());
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(header)) => header,
            Some(Err(err)) => return Err(csv_error(file, &err, &|_| 1)),
            None => return Err(FormatError::new(file, 1, "record", "empty file")),
        };
        let mut columns = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            let Some(known_name) = known.iter().find(|k| **k == name) else {
                return Err(FormatError::new(
                    file,
                    1,
                    crate::model::text::echo(&name),
                    format!("unknown column (the columns are {})", known.join(",")),
                ));
            };
            if columns.insert(*known_name, i).is_some() {
                return Err(FormatError::new(
                    file,
                    1,
                    *known_name,
                    "the column appears twice",
                ));
            }
        }
        for name in required {
            if !columns.contains_key(name) {
                return Err(FormatError::new(
                    file,
                    1,
                    *name,
                    "missing column (required)",
                ));
            }
        }
        let width = header.len();
        // The csv reader does not count the blank lines it skips: lines are found from bytes.
        let breaks: Vec<u64> = newline_offsets(text);
        // A record's position is where the reader started, before the blank lines it skipped.
        let line_of = |byte: u64| {
            let skipped = text.as_bytes()[(byte as usize).min(text.len())..]
                .iter()
                .take_while(|b| matches!(b, b'\n' | b'\r'))
                .count() as u64;
            breaks.partition_point(|at| *at < byte + skipped) as u64 + 1
        };
        let mut rows = Vec::new();
        for record in records {
            let record = record.map_err(|err| csv_error(file, &err, &line_of))?;
            let line = record.position().map(|p| line_of(p.byte())).unwrap_or(0);
            if record.as_slice().len() as u64 > MAX_RECORD_BYTES {
                return Err(FormatError::new(
                    file,
                    line,
                    "record",
                    format!("longer than {MAX_RECORD_BYTES} bytes"),
                ));
            }
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            if record.len() != width {
                return Err(FormatError::new(
                    file,
                    line,
                    "record",
                    format!(
                        "expected {width} columns as in the header, found {}",
                        record.len()
                    ),
                ));
            }
            rows.push((line, record));
        }
        Ok(Table {
            file: file.to_string(),
            columns,
            records: rows,
        })
    }

    fn error(&self, line: u64, field: &str, reason: impl Into<String>) -> FormatError {
        FormatError::new(&self.file, line, field, reason)
    }

    /// The cell of `column`, without the quote that neutralised it; `None` without the column.
    fn cell<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        self.columns
            .get(column)
            .map(|i| unneutralise(record.get(*i).unwrap_or_default()))
    }

    /// Cleaned text of `column`; `Some(None)` for an empty cell.
    fn text(&self, record: &csv::StringRecord, column: &str) -> Option<Option<String>> {
        self.cell(record, column)
            .map(|cell| Some(clean_text(cell)).filter(|t| !t.is_empty()))
    }

    fn required_text(
        &self,
        line: u64,
        record: &csv::StringRecord,
        column: &str,
    ) -> Result<String, FormatError> {
        self.text(record, column)
            .flatten()
            .ok_or_else(|| self.error(line, column, "must not be empty"))
    }

    /// A yes/no cell; an empty cell gives `default`.
    fn flag(
        &self,
        line: u64,
        record: &csv::StringRecord,
        column: &str,
        default: bool,
    ) -> Result<Option<bool>, FormatError> {
        let Some(cell) = self.cell(record, column) else {
            return Ok(None);
        };
        let value = match cell.trim().to_ascii_lowercase().as_str() {
            "" => default,
            "yes" | "y" | "true" | "1" | "oui" | "o" => true,
            "no" | "n" | "false" | "0" | "non" => false,
            _ => {
                return Err(self.error(
                    line,
                    column,
                    format!("`{}` is not yes or no", crate::model::text::echo(cell)),
                ));
            }
        };
        Ok(Some(value))
    }
}

/// Byte offsets of the line feeds of `text`.
fn newline_offsets(text: &str) -> Vec<u64> {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i as u64)
        .collect()
}

fn csv_error(file: &str, err: &csv::Error, line_of: &dyn Fn(u64) -> u64) -> FormatError {
    let line = err.position().map(|p| line_of(p.byte())).unwrap_or(0);
    let reason = match err.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        _ => err.to_string(),
    };
    FormatError::new(file, line, "record", reason)
}

/// The payment terms of a new party.
fn default_terms_days(kind: PartyKind) -> u32 {
    Party::new(
        String::new(),
        String::new(),
        kind,
        kind.default_collective(),
    )
    .payment_terms_days
}

/// Reads a third-parties file (see the module documentation).
pub fn read_parties(file: &str, text: &str) -> Result<Vec<PartyRow>, FormatError> {
    let table = Table::read(file, text, &PARTY_COLUMNS, &PARTY_REQUIRED)?;
    let has_mandate = table.columns.contains_key("mandate");
    let has_date = table.columns.contains_key("mandate_date");
    if has_mandate != has_date {
        let missing = if has_mandate {
            "mandate_date"
        } else {
            "mandate"
        };
        return Err(table.error(
            1,
            missing,
            "missing column (mandate and mandate_date go together)",
        ));
    }
    let mut rows = Vec::with_capacity(table.records.len());
    for (line, record) in &table.records {
        rows.push(party_row(&table, *line, record)?);
    }
    Ok(rows)
}

fn party_row(
    table: &Table,
    line: u64,
    record: &csv::StringRecord,
) -> Result<PartyRow, FormatError> {
    let code_cell = table.cell(record, "code").unwrap_or_default();
    let code = parse_party_code(code_cell).map_err(|e| table.error(line, "code", e.to_string()))?;
    let name = table.required_text(line, record, "name")?;
    let kind_cell = table.cell(record, "kind").unwrap_or_default();
    let kind = PartyKind::parse(kind_cell).ok_or_else(|| {
        table.error(
            line,
            "kind",
            format!(
                "`{}` is not customer or supplier",
                crate::model::text::echo(kind_cell.trim())
            ),
        )
    })?;
    let account = match table.cell(record, "account") {
        None => None,
        Some(cell) if cell.trim().is_empty() => Some(kind.default_collective()),
        Some(cell) => Some(
            AccountNumber::parse(cell).map_err(|e| table.error(line, "account", e.to_string()))?,
        ),
    };
    let auxiliary = table
        .text(record, "auxiliary")
        .map(|aux| aux.unwrap_or_else(|| code.clone()));
    let active = table.flag(line, record, "active", true)?;
    let terms = match table.cell(record, "terms") {
        None => None,
        Some(cell) if cell.trim().is_empty() => Some(default_terms_days(kind)),
        Some(cell) => {
            let days = cell
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| *d <= MAX_TERMS_DAYS);
            Some(days.ok_or_else(|| {
                table.error(
                    line,
                    "terms",
                    format!(
                        "`{}` is not a number of days (0 to {MAX_TERMS_DAYS})",
                        crate::model::text::echo(cell.trim())
                    ),
                )
            })?)
        }
    };
    let method = table
        .text(record, "method")
        .map(|m| m.map(|m| m.to_ascii_lowercase()));
    let iban = table
        .text(record, "iban")
        .map(|i| i.map(|i| i.replace(' ', "").to_ascii_uppercase()));
    let mandate = match (
        table.text(record, "mandate"),
        table.cell(record, "mandate_date"),
    ) {
        (Some(reference), Some(date)) => Some(match (reference, date.trim()) {
            (None, "") => None,
            (Some(reference), date) if !date.is_empty() => {
                let signed_on = parse_date(date).ok_or_else(|| {
                    table.error(
                        line,
                        "mandate_date",
                        format!(
                            "`{}` is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                            crate::model::text::echo(date)
                        ),
                    )
                })?;
                Some(Mandate {
                    reference,
                    signed_on,
                })
            }
            (None, _) => {
                return Err(table.error(line, "mandate", "a mandate date needs its reference"));
            }
            (Some(_), _) => {
                return Err(table.error(
                    line,
                    "mandate_date",
                    "a mandate needs its signature date",
                ));
            }
        }),
        _ => None,
    };
    Ok(PartyRow {
        line,
        code,
        name,
        kind,
        account,
        auxiliary,
        active,
        tax_position: table.text(record, "tax_position"),
        terms,
        method,
        iban,
        mandate,
    })
}

/// Reads an accounts file (see the module documentation).
pub fn read_accounts(file: &str, text: &str) -> Result<Vec<AccountRow>, FormatError> {
    let table = Table::read(file, text, &ACCOUNT_COLUMNS, &ACCOUNT_REQUIRED)?;
    let mut rows = Vec::with_capacity(table.records.len());
    for (line, record) in &table.records {
        rows.push(account_row(&table, *line, record)?);
    }
    Ok(rows)
}

fn account_row(
    table: &Table,
    line: u64,
    record: &csv::StringRecord,
) -> Result<AccountRow, FormatError> {
    let number = AccountNumber::parse(table.cell(record, "number").unwrap_or_default())
        .map_err(|e| table.error(line, "number", e.to_string()))?;
    let label = table.required_text(line, record, "label")?;
    let pcg = Account::new(number.clone(), "");
    if let Some(kind) = table.cell(record, "kind") {
        let kind = kind.trim();
        if !kind.is_empty() && !kind.eq_ignore_ascii_case(pcg.kind.name()) {
            return Err(table.error(
                line,
                "kind",
                format!(
                    "`{}` does not match account {number}, which is {} (the kind follows the number)",
                    crate::model::text::echo(kind),
                    AccountKind::of(&number).name()
                ),
            ));
        }
    }
    Ok(AccountRow {
        line,
        label,
        third_party_required: table.flag(line, record, "third_party", pcg.third_party_required)?,
        letterable: table.flag(line, record, "letterable", pcg.letterable)?,
        reconcilable: table.flag(line, record, "reconcilable", pcg.reconcilable)?,
        active: table.flag(line, record, "active", true)?,
        number,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn neutralised_cells_lose_exactly_the_added_quote() {
        for (cell, expected) in [
            ("'=SUM(A1)", "=SUM(A1)"),
            ("'+33 1", "+33 1"),
            ("'-x", "-x"),
            ("'@x", "@x"),
            ("''=x", "''=x"),
            ("'abc", "'abc"),
            ("'", "'"),
            ("d'Ambre", "d'Ambre"),
            ("=x", "=x"),
        ] {
            assert_eq!(unneutralise(cell), expected, "{cell}");
        }
        for text in ["=1+1", "+33", "-A", "@x", "plain", "'quoted"] {
            let written = crate::model::text::csv_cell(text);
            if !text.starts_with('\'') {
                assert_eq!(unneutralise(&written), text);
            }
        }
    }

    #[test]
    fn parties_by_header_name_in_any_order() {
        let text =
            "kind;code;name;iban\nsupplier;fsup;'=Fournisseur;FR76 3000 6000 0112 3456 7890 189\n";
        let rows = read_parties("p.csv", text).unwrap();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.line, 2);
        assert_eq!(row.code, "FSUP");
        assert_eq!(row.name, "=Fournisseur");
        assert_eq!(row.kind, PartyKind::Supplier);
        assert_eq!(row.account, None);
        assert_eq!(
            row.iban,
            Some(Some("FR7630006000011234567890189".to_string()))
        );
        assert_eq!(row.tax_position, None);
    }

    #[test]
    fn party_errors_name_file_line_and_field() {
        let cases = [
            ("code,name,kind,iaban\n", "p.csv:1: iaban: unknown column"),
            ("code,name\n", "p.csv:1: kind: missing column"),
            (
                "code,name,kind,kind\n",
                "p.csv:1: kind: the column appears twice",
            ),
            (
                "code,name,kind,mandate\n",
                "p.csv:1: mandate_date: missing column",
            ),
            ("code,name,kind\nA,B,friend\n", "p.csv:2: kind: `friend`"),
            ("code,name,kind\n\nA b,B,customer\n", "p.csv:3: code: "),
            (
                "code,name,kind\nA,,customer\n",
                "p.csv:2: name: must not be empty",
            ),
            (
                "code,name,kind\nA,B\n",
                "p.csv:2: record: expected 3 columns",
            ),
            (
                "code,name,kind,terms\nA,B,customer,soon\n",
                "p.csv:2: terms: `soon` is not a number",
            ),
            (
                "code,name,kind,mandate,mandate_date\nA,B,customer,RUM1,\n",
                "p.csv:2: mandate_date: a mandate needs its signature date",
            ),
            (
                "code,name,kind,active\nA,B,customer,maybe\n",
                "p.csv:2: active: `maybe` is not yes or no",
            ),
            ("", "p.csv:1: record: expected a header"),
        ];
        for (text, expected) in cases {
            let err = read_parties("p.csv", text).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn empty_cells_give_the_defaults_of_a_new_party() {
        let text = "code,name,kind,account,auxiliary,active,balance,tax_position,terms,method,iban,mandate,mandate_date\n\
                    CX,X,customer,,,,12.00,,,,,,\n";
        let row = read_parties("p.csv", text).unwrap().remove(0);
        assert_eq!(row.account, Some(PartyKind::Customer.default_collective()));
        assert_eq!(row.auxiliary.as_deref(), Some("CX"));
        assert_eq!(row.active, Some(true));
        assert_eq!(row.terms, Some(30));
        assert_eq!(row.tax_position, Some(None));
        assert_eq!(row.mandate, Some(None));
    }

    #[test]
    fn accounts_flags_default_to_the_pcg_and_kind_must_match() {
        let text = "number,label,kind,third_party,letterable,reconcilable,active,balance\n\
                    512100,Banque 2,bank,,,,no,0.00\n";
        let row = read_accounts("a.csv", text).unwrap().remove(0);
        assert_eq!(row.number.as_str(), "512100");
        assert_eq!(row.reconcilable, Some(true));
        assert_eq!(row.letterable, Some(false));
        assert_eq!(row.active, Some(false));
        let err = read_accounts("a.csv", "number,label,kind\n411100,Clients,bank\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("a.csv:2: kind: `bank` does not match"),
            "{err}"
        );
        let row = read_accounts("a.csv", "label,number\nX,4011\n")
            .unwrap()
            .remove(0);
        assert_eq!(row.number.as_str(), "401100");
        assert_eq!(row.third_party_required, None);
    }
}
