//! `folio sepa debit|reject|mandates`: SEPA direct debits.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use super::commands::date_arg;
use super::output::{Align, Format, Rows, emit};
use crate::ledger::{Ctx, DebitRequest, Ledger};
use crate::model::party::parse_party_code;

#[derive(Debug, Subcommand)]
pub enum SepaAction {
    /// Collect the due customer invoices of parties paying by SEPA direct debit: write the
    /// pain.008.001.02 file and register one payment per invoice on the transit account.
    Debit {
        /// The requested collection date: invoices due on or before it are collected.
        #[arg(long)]
        collection_date: String,
        /// Only these parties (repeatable).
        #[arg(long = "party")]
        parties: Vec<String>,
        /// The file to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// A debit the bank rejected or returned: cancel its payment (the invoice is due again).
    Reject {
        /// The invoice (its last direct debit collection) or the payment.
        reference: String,
        /// Date of the cancelling entry (default: today).
        #[arg(long)]
        date: Option<String>,
        /// The bank's reason code (AC04, AM04, MD06…).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Parties with a mandate or paying by direct debit: IBAN, BIC, mandate, last collection,
    /// sequence (first or recurrent).
    Mandates {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn sepa(
    ledger: &Ledger,
    action: &SepaAction,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    match action {
        SepaAction::Debit {
            collection_date,
            parties,
            out: file,
            force,
        } => {
            let request = DebitRequest {
                collection_date: date_arg("collection-date", collection_date)?,
                parties: parties
                    .iter()
                    .map(|p| parse_party_code(p).map_err(|e| anyhow::anyhow!("party: {e}")))
                    .collect::<Result<_>>()?,
            };
            if let Some(path) = file
                && !force
                && std::fs::symlink_metadata(path).is_ok()
            {
                anyhow::bail!(
                    "{} already exists: refusing to overwrite it (use --force to replace it)",
                    path.display()
                );
            }
            let mut printed: Option<Vec<u8>> = None;
            let mut written = false;
            let result = ledger.sepa_debit(ctx, &request, |xml| match file {
                Some(path) => {
                    super::files::write_file(path, *force, |w| Ok(w.write_all(xml)?))
                        .map_err(|err| format!("{err:#}"))?;
                    written = true;
                    Ok(())
                }
                None => {
                    printed = Some(xml.to_vec());
                    Ok(())
                }
            });
            let report = match result {
                Ok(report) => report,
                Err(err) => {
                    // The file is written just before the ledger commits: if the commit
                    // fails, no payment was registered, so the file must not be sent.
                    if let (true, Some(path)) = (written, file) {
                        let _ = std::fs::remove_file(path);
                    }
                    return Err(err.into());
                }
            };
            let summary: &mut dyn Write = if printed.is_some() {
                &mut std::io::stderr()
            } else {
                out
            };
            for skipped in &report.skipped {
                writeln!(summary, "skipped {skipped}")?;
            }
            for note in &report.created {
                writeln!(summary, "created {note}")?;
            }
            for d in &report.debits {
                writeln!(
                    summary,
                    "{} {} {} {} -> {}",
                    d.sequence,
                    d.party,
                    d.invoice,
                    d.amount.to_plain(),
                    d.payment
                )?;
            }
            writeln!(
                summary,
                "direct debit batch {}: {} debits, total {}, collection date {}, on {}{}",
                report.message_id,
                report.debits.len(),
                report.total.to_plain(),
                report.collection_date,
                report.transit_account,
                file.as_ref()
                    .map(|f| format!(", written to {}", f.display()))
                    .unwrap_or_default()
            )?;
            if let Some(xml) = printed {
                out.write_all(&xml)?;
            }
        }
        SepaAction::Reject {
            reference,
            date,
            reason,
        } => {
            let date = date.as_deref().map(|d| date_arg("date", d)).transpose()?;
            let done = ledger.sepa_reject(ctx, reference, date, reason)?;
            super::documents::write_cancellation(&done, out)?;
        }
        SepaAction::Mandates { format } => {
            let mandates = ledger.mandates()?;
            let mut rows = Rows::new(&[
                ("party", Align::Left),
                ("name", Align::Left),
                ("method", Align::Left),
                ("iban", Align::Left),
                ("bic", Align::Left),
                ("mandate", Align::Left),
                ("signed_on", Align::Left),
                ("last_collection", Align::Left),
                ("sequence", Align::Left),
            ]);
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            for m in &mandates {
                rows.push(vec![
                    m.party.clone(),
                    m.name.clone(),
                    text(&m.method),
                    text(&m.iban),
                    text(&m.bic),
                    text(&m.mandate),
                    m.signed_on.map(|d| d.to_string()).unwrap_or_default(),
                    m.last_collection.map(|d| d.to_string()).unwrap_or_default(),
                    m.sequence.to_string(),
                ]);
            }
            emit(*format, &rows, &mandates, out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
