//! Setting up a client: `parties import` and `accounts import`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::fixtures;
use crate::formats::setup_csv::{read_accounts, read_parties};
use crate::ledger::{Ctx, Ledger, SetupSummary};
use crate::model::Party;

/// The file's text (at most 16 MiB, like every file Folio reads whole) and its name as typed.
fn read(path: &Path) -> Result<(String, String)> {
    let text = fixtures::read_text_file(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok((path.display().to_string(), text))
}

pub fn import_parties(
    ledger: &Ledger,
    path: &Path,
    update: bool,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let (name, text) = read(path)?;
    let rows = read_parties(&name, &text)?;
    let summary = ledger.import_parties(ctx, &name, &rows, update)?;
    write_summary(out, &name, "third parties", &summary)
}

pub fn import_accounts(
    ledger: &Ledger,
    path: &Path,
    update: bool,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let (name, text) = read(path)?;
    let rows = read_accounts(&name, &text)?;
    let summary = ledger.import_accounts(ctx, &name, &rows, update)?;
    write_summary(out, &name, "accounts", &summary)
}

fn write_summary(
    out: &mut impl Write,
    file: &str,
    what: &str,
    summary: &SetupSummary,
) -> Result<ExitCode> {
    writeln!(
        out,
        "imported {what} from {file}: {} added, {} updated, {} unchanged",
        summary.added.len(),
        summary.updated.len(),
        summary.unchanged
    )?;
    for key in &summary.updated {
        writeln!(out, "updated {key}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The columns `parties --details` adds to the listing.
pub const PARTY_DETAIL_COLUMNS: [&str; 6] = [
    "tax_position",
    "terms",
    "method",
    "iban",
    "mandate",
    "mandate_date",
];

/// A party's cells for [`PARTY_DETAIL_COLUMNS`].
pub fn party_detail_cells(party: &Party) -> [String; 6] {
    [
        party.tax_position.clone().unwrap_or_default(),
        party.payment_terms_days.to_string(),
        party.payment_method.clone().unwrap_or_default(),
        party.iban.clone().unwrap_or_default(),
        party
            .mandate
            .as_ref()
            .map(|m| m.reference.clone())
            .unwrap_or_default(),
        party
            .mandate
            .as_ref()
            .map(|m| m.signed_on.to_string())
            .unwrap_or_default(),
    ]
}
