//! The defaults embedded in the binary: the PCG chart and the demo company.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::model::party::parse_party_code;
use crate::model::settings::Settings;
use crate::model::{AccountNumber, Company, Party, PartyKind};

pub const PCG_CSV: &str = include_str!("../fixtures/pcg.csv");
pub const DEFAULT_SETTINGS_TOML: &str = include_str!("../fixtures/settings/default.toml");
pub const DEMO_COMPANY_TOML: &str = include_str!("../fixtures/demo/company.toml");
pub const DEMO_PARTIES_CSV: &str = include_str!("../fixtures/demo/parties.csv");
pub const DEMO_ACCOUNTS_CSV: &str = include_str!("../fixtures/demo/accounts.csv");
pub const DEMO_ENTRIES_CSV: &str = include_str!("../fixtures/demo/entries.csv");
pub const DEMO_SETTINGS_TOML: &str = include_str!("../fixtures/demo/settings.toml");
pub const DEMO_DOCUMENTS_CSV: &str = include_str!("../fixtures/demo/documents.csv");
pub const DEMO_PAYMENTS_CSV: &str = include_str!("../fixtures/demo/payments.csv");
pub const DEMO_DRAFTS_CSV: &str = include_str!("../fixtures/demo/drafts.csv");

/// The largest text file Folio reads whole (settings, chart of accounts, keymap).
pub const MAX_TEXT_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a text file the user names, refusing one larger than [`MAX_TEXT_FILE_BYTES`] before
/// reading it (and, for a file that grows or a device, as soon as the read passes the cap).
pub fn read_text_file(path: &std::path::Path) -> std::io::Result<String> {
    String::from_utf8(read_file(path)?).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// Reads a file the user names as bytes (a bank statement in Latin-1, say), with the same cap
/// and messages as [`read_text_file`].
pub fn read_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let too_large = |size: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} is {size}: larger than {} MiB, it is not read",
                path.display(),
                MAX_TEXT_FILE_BYTES / (1024 * 1024)
            ),
        )
    };
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > MAX_TEXT_FILE_BYTES {
        return Err(too_large(format!("{size} bytes")));
    }
    let mut bytes = Vec::new();
    file.take(MAX_TEXT_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_TEXT_FILE_BYTES {
        return Err(too_large("more than that".into()));
    }
    Ok(bytes)
}

/// A problem in a fixture or settings file: `file:line: field: reason`, or `file: key: reason`
/// for a rule about the whole file (line 0).
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct FixtureError {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl FixtureError {
    fn render(&self) -> String {
        if self.line == 0 {
            format!("{}: {}: {}", self.file, self.field, self.reason)
        } else {
            format!(
                "{}:{}: {}: {}",
                self.file, self.line, self.field, self.reason
            )
        }
    }
}

fn err(file: &str, line: u64, field: &str, reason: impl Into<String>) -> FixtureError {
    FixtureError {
        file: file.into(),
        line,
        field: field.into(),
        reason: reason.into(),
    }
}

/// Reads a chart of accounts: CSV with the header `number,label`.
pub fn parse_chart(file: &str, text: &str) -> Result<Vec<(AccountNumber, String)>, FixtureError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| err(file, 1, "record", e.to_string()))?
        .clone();
    if headers.iter().map(str::trim).collect::<Vec<_>>() != ["number", "label"] {
        return Err(err(file, 1, "record", "the header must be `number,label`"));
    }
    let mut chart = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            err(file, line, "record", e.to_string())
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let number = AccountNumber::parse(&record[0])
            .map_err(|e| err(file, line, "number", e.to_string()))?;
        let label = crate::model::sanitize_text(&record[1]);
        if label.is_empty() {
            return Err(err(file, line, "label", "empty label"));
        }
        chart.push((number, label));
    }
    Ok(chart)
}

/// The chart every new ledger starts with.
pub fn default_chart() -> Result<Vec<(AccountNumber, String)>, FixtureError> {
    parse_chart("fixtures/pcg.csv", PCG_CSV)
}

/// Reads posting settings from TOML; errors name the key (`taxes[2].rates`).
pub fn parse_settings(file: &str, text: &str) -> Result<Settings, FixtureError> {
    let settings: Settings = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() as u64 + 1)
            .unwrap_or(0);
        err(file, line, "settings", e.message().to_string())
    })?;
    let settings = clean_settings(settings).map_err(|e| err(file, 0, "settings", e))?;
    settings
        .validate()
        .map_err(|e| err(file, 0, &e.key, e.reason))?;
    Ok(settings)
}

/// Settings text (labels, mentions, codes) cleaned like any text from outside
/// ([`crate::model::sanitize_text`]) before it is stored.
fn clean_settings(settings: Settings) -> Result<Settings, String> {
    fn clean(value: &mut toml::Value) -> bool {
        match value {
            toml::Value::String(text) => {
                let cleaned = crate::model::sanitize_text(text);
                let changed = cleaned != *text;
                *text = cleaned;
                changed
            }
            // Every value is cleaned: no short-circuit.
            toml::Value::Array(items) => items.iter_mut().map(clean).fold(false, |a, b| a | b),
            toml::Value::Table(table) => table
                .iter_mut()
                .map(|(_, v)| clean(v))
                .fold(false, |a, b| a | b),
            _ => false,
        }
    }
    let mut value = toml::Value::try_from(&settings).map_err(|e| e.to_string())?;
    if !clean(&mut value) {
        return Ok(settings);
    }
    value.try_into().map_err(|e: toml::de::Error| e.to_string())
}

/// The settings every new ledger starts with.
pub fn default_settings() -> Result<Settings, FixtureError> {
    parse_settings("fixtures/settings/default.toml", DEFAULT_SETTINGS_TOML)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyFile {
    pub name: String,
    pub siren: String,
    pub fiscal_year_start: NaiveDate,
    pub fiscal_year_months: u32,
}

impl CompanyFile {
    pub fn company(&self) -> Company {
        Company {
            name: self.name.clone(),
            siren: self.siren.clone(),
        }
    }
}

pub fn demo_company() -> Result<CompanyFile, FixtureError> {
    toml::from_str(DEMO_COMPANY_TOML)
        .map_err(|e| err("fixtures/demo/company.toml", 1, "company", e.to_string()))
}

/// Third parties: CSV with the header `code,name,kind,account`, optionally followed by
/// `tax_position,payment_terms_days,payment_method,iban,mandate_reference,mandate_signed_on`.
pub fn parse_parties(file: &str, text: &str) -> Result<Vec<Party>, FixtureError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut parties = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| err(file, 0, "record", e.to_string()))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.len() != 4 && record.len() != 10 {
            return Err(err(
                file,
                line,
                "record",
                "expected code,name,kind,account[,tax_position,payment_terms_days,payment_method,iban,mandate_reference,mandate_signed_on]",
            ));
        }
        let code =
            parse_party_code(&record[0]).map_err(|e| err(file, line, "code", e.to_string()))?;
        let kind = PartyKind::parse(&record[2])
            .ok_or_else(|| err(file, line, "kind", "expected customer or supplier"))?;
        let account = AccountNumber::parse(&record[3])
            .map_err(|e| err(file, line, "account", e.to_string()))?;
        let mut party = Party::new(code, crate::model::sanitize_text(&record[1]), kind, account);
        if record.len() == 10 {
            let text = |i: usize| Some(record[i].trim().to_string()).filter(|t| !t.is_empty());
            party.tax_position = text(4).filter(|p| p != "FR");
            if let Some(days) = text(5) {
                party.payment_terms_days = days.parse().map_err(|_| {
                    err(
                        file,
                        line,
                        "payment_terms_days",
                        format!("`{days}` is not a number of days"),
                    )
                })?;
            }
            party.payment_method = text(6);
            party.iban = text(7);
            if let Some(reference) = text(8) {
                let signed = text(9)
                    .and_then(|d| crate::model::parse_date(&d))
                    .ok_or_else(|| {
                        err(
                            file,
                            line,
                            "mandate_signed_on",
                            "a mandate needs its signature date",
                        )
                    })?;
                party.mandate = Some(crate::model::party::Mandate {
                    reference,
                    signed_on: signed,
                });
            }
        }
        parties.push(party);
    }
    Ok(parties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_text_is_cleaned_before_it_is_stored() {
        let clean = default_settings().unwrap();
        assert_eq!(clean_settings(clean.clone()).unwrap(), clean);
        let toml = DEFAULT_SETTINGS_TOML.replacen(
            "label = \"",
            "label = \"\\u001b]52;c;QQ==\\u0007\\u202e",
            1,
        );
        assert_ne!(toml, DEFAULT_SETTINGS_TOML);
        let text = toml::to_string(&parse_settings("s.toml", &toml).unwrap()).unwrap();
        assert!(
            !text.contains("\\u001b") && !text.contains("\\u0007"),
            "{text}"
        );
        assert!(text.contains("]52;c;QQ=="), "{text}");
    }

    #[test]
    fn embedded_fixtures_parse() {
        let chart = default_chart().unwrap();
        assert!(chart.len() >= 400, "{} accounts", chart.len());
        let required = [
            "101", "106", "108", "110", "119", "120", "129", "164", "401", "404", "411", "416",
            "4181", "419", "421", "431", "437", "444", "447", "455", "4452", "4453", "44551",
            "44562", "44564", "44566", "445662", "44567", "44571", "44574", "44583", "471", "486",
            "487", "512", "5112", "530", "580", "601", "602", "606", "607", "6037", "611", "613",
            "622", "626", "627", "635", "641", "645", "658", "661", "665", "681", "695", "701",
            "706", "707", "708", "709", "758", "765", "890",
        ];
        for number in required {
            let number = AccountNumber::parse(number).unwrap();
            assert!(chart.iter().any(|(n, _)| *n == number), "missing {number}");
        }
        let mut numbers: Vec<_> = chart.iter().map(|(n, _)| n.clone()).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), chart.len(), "duplicate account numbers");
        demo_company().unwrap();
        default_settings().unwrap();
        assert!(parse_parties("p", DEMO_PARTIES_CSV).unwrap().len() >= 8);
        parse_chart("a", DEMO_ACCOUNTS_CSV).unwrap();
    }

    #[test]
    fn chart_errors_name_file_line_field() {
        let e = parse_chart("c.csv", "number,label\n512,Banque\n9x,Oops\n").unwrap_err();
        assert_eq!(
            e.to_string().split(": ").take(2).collect::<Vec<_>>(),
            ["c.csv:3", "number"]
        );
    }
}
