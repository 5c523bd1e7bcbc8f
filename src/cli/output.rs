//! Rendering rows as an aligned table, CSV or JSON.

use std::io::Write;

use anyhow::Result;
use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

/// How a column aligns in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    /// Amounts: right-aligned, so that their decimal points line up.
    Right,
}

/// Rows of text with a header; amounts are already formatted.
pub struct Rows {
    pub header: Vec<&'static str>,
    pub align: Vec<Align>,
    pub rows: Vec<Vec<String>>,
}

impl Rows {
    pub fn new(columns: &[(&'static str, Align)]) -> Self {
        Rows {
            header: columns.iter().map(|c| c.0).collect(),
            align: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn write_table(&self, out: &mut impl Write) -> Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    text.push_str("  ");
                }
                let pad = widths[i].saturating_sub(cell.chars().count());
                match self.align[i] {
                    Align::Left => {
                        text.push_str(cell);
                        if i + 1 < cells.len() {
                            text.push_str(&" ".repeat(pad));
                        }
                    }
                    Align::Right => {
                        text.push_str(&" ".repeat(pad));
                        text.push_str(cell);
                    }
                }
            }
            text.trim_end().to_string()
        };
        let header: Vec<String> = self.header.iter().map(|h| h.to_string()).collect();
        writeln!(out, "{}", line(&header))?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        writeln!(out, "{}", line(&rule))?;
        for row in &self.rows {
            writeln!(out, "{}", line(row))?;
        }
        Ok(())
    }

    pub fn write_table_or_csv(&self, format: Format, out: &mut impl Write) -> Result<()> {
        match format {
            Format::Csv => self.write_csv(out),
            _ => self.write_table(out),
        }
    }

    pub fn write_csv(&self, out: &mut impl Write) -> Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(&self.header)?;
        for row in &self.rows {
            writer.write_record(row)?;
        }
        writer.flush()?;
        Ok(())
    }
}

/// Writes `rows` as a table or CSV, or `json` (the typed data) as JSON.
pub fn emit<T: serde::Serialize>(
    format: Format,
    rows: &Rows,
    json: &T,
    out: &mut impl Write,
) -> Result<()> {
    match format {
        Format::Table => rows.write_table(out),
        Format::Csv => rows.write_csv(out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, json)?;
            writeln!(out)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_align_on_the_decimal_point() {
        let mut rows = Rows::new(&[("account", Align::Left), ("debit", Align::Right)]);
        rows.push(vec!["512000".into(), "1 234,56".into()]);
        rows.push(vec!["6".into(), "7,00".into()]);
        let mut out = Vec::new();
        rows.write_table(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "512000   1 234,56");
        assert_eq!(lines[2].rfind(','), lines[3].rfind(','));
        assert!(lines[3].ends_with(" 7,00"));
    }
}
