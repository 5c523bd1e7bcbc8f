//! The company's name and profile (VAT periodicity and option, SEPA creditor details).

use super::error::{LedgerError, Result};
use super::{Ctx, Ledger};
use crate::model::company::compact_identifier;
use crate::model::text::echo;
use crate::model::{Company, CompanyProfile, sanitize_text};

/// Meta key of the profile; a ledger without it reads the defaults (no migration needed).
pub(super) const PROFILE_KEY: &str = "company_profile";

impl Ledger {
    /// The company's profile, the defaults when it was never set.
    pub fn company_profile(&self) -> Result<CompanyProfile> {
        Ok(self.read()?.meta(PROFILE_KEY)?.unwrap_or_default())
    }

    /// Replaces the company's profile; the audit record lists the fields changed.
    pub fn set_company_profile(&self, ctx: &Ctx, profile: &CompanyProfile) -> Result<()> {
        self.edit_company(ctx, None, profile).map(|_| ())
    }

    /// Renames the company (when `name` is given) and replaces its profile, in one
    /// transaction. Identifiers are stored compact and uppercase; every field is checked
    /// first, and the audit record lists each change as `field: before -> after`.
    pub fn edit_company(
        &self,
        ctx: &Ctx,
        name: Option<&str>,
        profile: &CompanyProfile,
    ) -> Result<(Company, CompanyProfile)> {
        let profile = normalized(profile);
        profile.validate().map_err(|err| LedgerError::Invalid {
            field: err.field,
            reason: err.reason,
        })?;
        let name = name.map(|n| sanitize_text(n.trim()));
        if name.as_deref().is_some_and(str::is_empty) {
            return Err(LedgerError::Invalid {
                field: "name",
                reason: "the company needs a name".into(),
            });
        }
        self.write(ctx, |tx| {
            let mut company: Company = tx
                .get_meta("company")?
                .ok_or_else(|| LedgerError::Corrupt("the company record is missing".into()))?;
            let before: CompanyProfile = tx.get_meta(PROFILE_KEY)?.unwrap_or_default();
            let mut changes = Vec::new();
            if let Some(name) = &name
                && *name != company.name
            {
                changes.push(format!("name: {} -> {}", echo(&company.name), echo(name)));
                company.name = name.clone();
                tx.put_meta("company", &company)?;
            }
            changes.extend(profile.changes_from(&before));
            tx.put_meta(PROFILE_KEY, &profile)?;
            let detail = if changes.is_empty() {
                "company profile saved, nothing changed".to_string()
            } else {
                format!("edited company: {}", changes.join("; "))
            };
            tx.audit(ctx, "company.edit", vec!["company".into()], detail)?;
            Ok((company, profile.clone()))
        })
    }
}

/// Identifiers compact and uppercase, blanks read as none.
fn normalized(profile: &CompanyProfile) -> CompanyProfile {
    let clean = |value: &Option<String>| {
        value
            .as_deref()
            .map(compact_identifier)
            .filter(|v| !v.is_empty())
    };
    CompanyProfile {
        sepa_creditor_id: clean(&profile.sepa_creditor_id),
        iban: clean(&profile.iban),
        bic: clean(&profile.bic),
        ..profile.clone()
    }
}
