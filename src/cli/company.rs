//! `folio company show|edit`: the company's name and profile.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::Subcommand;
use serde::Serialize;

use super::output::{Align, Format, Rows, emit};
use crate::ledger::{Ctx, Ledger};
use crate::model::{Company, CompanyProfile, VatPeriodicity};

#[derive(Debug, Subcommand)]
pub enum CompanyAction {
    /// The company's name, SIREN, VAT periodicity and option, SEPA creditor details.
    Show {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Change the company's name or profile; fields not given keep their value ("" clears an
    /// identifier).
    Edit {
        #[arg(long)]
        name: Option<String>,
        /// monthly or quarterly (the CA3 return's period).
        #[arg(long, value_name = "monthly|quarterly")]
        vat_periodicity: Option<String>,
        /// The débits option: VAT on services due at invoice date.
        #[arg(long, value_name = "true|false")]
        vat_debits: Option<bool>,
        /// SEPA creditor identifier (ICS), FRkkZZZnnnnnn.
        #[arg(long, value_name = "ID")]
        sepa_creditor_id: Option<String>,
        /// The account direct debits are collected to.
        #[arg(long)]
        iban: Option<String>,
        /// The bank's BIC (8 or 11 characters).
        #[arg(long)]
        bic: Option<String>,
        /// Send a mandate's first collection as FRST (default: RCUR, as the 2016 rulebook
        /// allows).
        #[arg(long, value_name = "true|false")]
        sepa_frst: Option<bool>,
    },
}

#[derive(Serialize)]
struct CompanyView<'a> {
    name: &'a str,
    siren: &'a str,
    #[serde(flatten)]
    profile: &'a CompanyProfile,
}

pub fn company(
    ledger: &Ledger,
    action: &CompanyAction,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    match action {
        CompanyAction::Show { format } => {
            let company = ledger.company()?;
            let profile = ledger.company_profile()?;
            show(&company, &profile, *format, out)?;
        }
        CompanyAction::Edit {
            name,
            vat_periodicity,
            vat_debits,
            sepa_creditor_id,
            iban,
            bic,
            sepa_frst,
        } => {
            let mut profile = ledger.company_profile()?;
            if let Some(text) = vat_periodicity {
                profile.vat_periodicity = VatPeriodicity::parse(text).ok_or_else(|| {
                    anyhow!(
                        "vat-periodicity: `{}` is not monthly or quarterly",
                        crate::model::text::echo(text)
                    )
                })?;
            }
            if let Some(flag) = vat_debits {
                profile.vat_debits = *flag;
            }
            if let Some(flag) = sepa_frst {
                profile.sepa_first_collection_frst = *flag;
            }
            let set = |value: &Option<String>, field: &mut Option<String>| {
                if let Some(value) = value {
                    *field = Some(value.clone()).filter(|v| !v.trim().is_empty());
                }
            };
            set(sepa_creditor_id, &mut profile.sepa_creditor_id);
            set(iban, &mut profile.iban);
            set(bic, &mut profile.bic);
            let (company, profile) = ledger.edit_company(ctx, name.as_deref(), &profile)?;
            writeln!(out, "edited company {}", company.name)?;
            show(&company, &profile, Format::Table, out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(
    company: &Company,
    profile: &CompanyProfile,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let mut rows = Rows::new(&[("field", Align::Left), ("value", Align::Left)]);
    let fields = [
        ("name", company.name.clone()),
        ("siren", company.siren.clone()),
        (
            "vat_periodicity",
            profile.vat_periodicity.name().to_string(),
        ),
        ("vat_debits", profile.vat_debits.to_string()),
        ("sepa_creditor_id", text(&profile.sepa_creditor_id)),
        ("iban", text(&profile.iban)),
        ("bic", text(&profile.bic)),
        (
            "sepa_first_collection_frst",
            profile.sepa_first_collection_frst.to_string(),
        ),
    ];
    for (field, value) in fields {
        rows.push(vec![field.to_string(), value]);
    }
    let view = CompanyView {
        name: &company.name,
        siren: &company.siren,
        profile,
    };
    emit(format, &rows, &view, out)
}
