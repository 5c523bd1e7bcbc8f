//! Setting up a client: `parties import` and `accounts import`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::fixtures;
use crate::formats::FormatError;
use crate::formats::setup_csv::{read_accounts, read_parties};
use crate::ledger::{Ctx, Ledger, SetupSummary};
use crate::model::Party;

/// The file's text (at most 16 MiB, like every file Folio reads whole) and its name as typed.
/// A file that is not UTF-8 (a spreadsheet saved as Latin-1) is refused at its first bad line.
fn read(path: &Path) -> Result<(String, String)> {
    use std::io::Read;
    let name = path.display().to_string();
    let cap = fixtures::MAX_TEXT_FILE_BYTES;
    let too_large = || {
        anyhow::anyhow!(
            "cannot read {name}: larger than {} MiB, it is not read",
            cap / (1024 * 1024)
        )
    };
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {name}"))?;
    let size = file
        .metadata()
        .with_context(|| format!("cannot read {name}"))?
        .len();
    if size > cap {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    if bytes.len() as u64 > cap {
        return Err(too_large());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((name, text)),
        Err(err) => {
            let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            Err(FormatError::new(
                &name,
                line as u64,
                "record",
                "not valid UTF-8 (save the file as CSV UTF-8)",
            )
            .into())
        }
    }
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
