//! The company's profile beside its name and SIREN: VAT periodicity and option, and the SEPA
//! details its direct debits need (creditor identifier, bank account).

use serde::{Deserialize, Serialize};

use super::party::is_valid_iban;

/// How often the company files its CA3 VAT return.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VatPeriodicity {
    #[default]
    Monthly,
    Quarterly,
}

impl VatPeriodicity {
    pub fn name(self) -> &'static str {
        match self {
            VatPeriodicity::Monthly => "monthly",
            VatPeriodicity::Quarterly => "quarterly",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "monthly" | "mensuelle" | "m" => Some(VatPeriodicity::Monthly),
            "quarterly" | "trimestrielle" | "q" => Some(VatPeriodicity::Quarterly),
            _ => None,
        }
    }
}

/// The company's settings that are not posting rules. Stored apart from [`super::Company`]
/// (meta key `company_profile`); a ledger without one reads the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyProfile {
    pub vat_periodicity: VatPeriodicity,
    /// The option for VAT on services at invoice date (débits) instead of when paid.
    pub vat_debits: bool,
    /// SEPA creditor identifier (ICS), `FRkkZZZnnnnnn`.
    pub sepa_creditor_id: Option<String>,
    /// The account direct debits are collected to.
    pub iban: Option<String>,
    pub bic: Option<String>,
    /// A mandate's first collection is sent as FRST (otherwise RCUR, allowed since the 2016
    /// rulebook).
    pub sepa_first_collection_frst: bool,
}

/// A profile field that does not pass its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ProfileError {
    pub field: &'static str,
    pub reason: String,
}

impl CompanyProfile {
    /// Every field's rule; the first broken one is reported.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if let Some(id) = &self.sepa_creditor_id {
            check_creditor_id(id).map_err(|reason| ProfileError {
                field: "sepa_creditor_id",
                reason,
            })?;
        }
        if let Some(iban) = &self.iban
            && !is_valid_iban(iban)
        {
            return Err(ProfileError {
                field: "iban",
                reason: format!(
                    "`{}` is not a valid IBAN (country, check digits, mod 97)",
                    super::text::echo(iban)
                ),
            });
        }
        if let Some(bic) = &self.bic {
            check_bic(bic).map_err(|reason| ProfileError {
                field: "bic",
                reason,
            })?;
        }
        Ok(())
    }

    /// The fields that differ from `other`, as `field: before -> after`.
    pub fn changes_from(&self, before: &CompanyProfile) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".into());
        let mut out = Vec::new();
        let mut note = |field: &str, old: String, new: String| {
            if old != new {
                out.push(format!("{field}: {old} -> {new}"));
            }
        };
        note(
            "vat_periodicity",
            before.vat_periodicity.name().into(),
            self.vat_periodicity.name().into(),
        );
        note(
            "vat_debits",
            before.vat_debits.to_string(),
            self.vat_debits.to_string(),
        );
        note(
            "sepa_creditor_id",
            text(&before.sepa_creditor_id),
            text(&self.sepa_creditor_id),
        );
        note("iban", text(&before.iban), text(&self.iban));
        note("bic", text(&before.bic), text(&self.bic));
        note(
            "sepa_first_collection_frst",
            before.sepa_first_collection_frst.to_string(),
            self.sepa_first_collection_frst.to_string(),
        );
        out
    }
}

/// Uppercase, spaces removed: how identifiers are typed and how they are stored.
pub fn compact_identifier(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The remainder modulo 97 of the digits of `text`, letters counting as 10 (A) to 35 (Z).
fn mod97(text: &str) -> Option<u32> {
    let mut remainder: u32 = 0;
    for c in text.chars() {
        let value = c.to_digit(36)?;
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    Some(remainder)
}

/// A SEPA creditor identifier: country (2 letters), check digits (2), creditor business code
/// (3 characters, not part of the check), national identifier. The check digits follow ISO
/// 7064 mod 97-10 over the national identifier, then the country and `00`, letters as 10..35.
/// For France the national identifier is 6 characters (`FRkkZZZnnnnnn`, 13 in all).
pub fn check_creditor_id(text: &str) -> Result<(), String> {
    let id = compact_identifier(text);
    let shown = super::text::echo(text);
    if !id.is_ascii() || id.len() < 8 || id.len() > 35 {
        return Err(format!(
            "`{shown}` is not a SEPA creditor identifier (FRkkZZZnnnnnn)"
        ));
    }
    let (country, rest) = id.split_at(2);
    let (check, rest) = rest.split_at(2);
    let (business, national) = rest.split_at(3);
    if !country.bytes().all(|b| b.is_ascii_uppercase())
        || !check.bytes().all(|b| b.is_ascii_digit())
        || !business.bytes().all(|b| b.is_ascii_alphanumeric())
        || !national.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(format!(
            "`{shown}` is not a SEPA creditor identifier (FRkkZZZnnnnnn)"
        ));
    }
    if country == "FR" && national.len() != 6 {
        return Err(format!(
            "`{shown}`: a French creditor identifier has 13 characters (FRkkZZZnnnnnn)"
        ));
    }
    let expected = creditor_check_digits(country, national)
        .ok_or_else(|| format!("`{shown}` is not a SEPA creditor identifier"))?;
    if check != expected {
        return Err(format!(
            "`{shown}`: wrong check digits {check} (mod 97-10 gives {expected})"
        ));
    }
    Ok(())
}

/// The two check digits of a creditor identifier of `country` with `national` identifier.
pub fn creditor_check_digits(country: &str, national: &str) -> Option<String> {
    let remainder = mod97(&format!("{national}{country}00"))?;
    Some(format!("{:02}", 98 - remainder))
}

/// A BIC: 4 letters (bank), 2 letters (country), 2 letters or digits (location), optionally 3
/// letters or digits (branch).
pub fn check_bic(text: &str) -> Result<(), String> {
    let bic = compact_identifier(text);
    let shown = super::text::echo(text);
    if bic.len() != 8 && bic.len() != 11 {
        return Err(format!(
            "`{shown}` is not a BIC (8 or 11 characters, {} given)",
            bic.chars().count()
        ));
    }
    let bytes = bic.as_bytes();
    let ok = bytes[..6].iter().all(u8::is_ascii_uppercase)
        && bytes[6..].iter().all(u8::is_ascii_alphanumeric);
    if !ok {
        return Err(format!(
            "`{shown}` is not a BIC (bank and country letters, then location and branch)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creditor_ids_are_checked_with_mod_97_10() {
        // The identifier French banks give as their example, and Germany's test identifier.
        assert_eq!(check_creditor_id("FR72ZZZ123456"), Ok(()));
        assert_eq!(check_creditor_id("DE98ZZZ09999999999"), Ok(()));
        assert_eq!(check_creditor_id("fr72 zzz 123456"), Ok(()));
        // The business code is not part of the check.
        assert_eq!(check_creditor_id("FR72ABC123456"), Ok(()));
        let wrong = check_creditor_id("FR73ZZZ123456").unwrap_err();
        assert!(wrong.contains("check digits 73"), "{wrong}");
        assert!(check_creditor_id("FR72ZZZ12345").is_err());
        assert!(check_creditor_id("FR7ZZZ1234567").is_err());
        assert!(check_creditor_id("").is_err());
        assert!(check_creditor_id("FRÉ2ZZZ123456").is_err());
        assert_eq!(creditor_check_digits("FR", "123456").as_deref(), Some("72"));
    }

    #[test]
    fn bics_have_8_or_11_characters() {
        assert_eq!(check_bic("BNPAFRPP"), Ok(()));
        assert_eq!(check_bic("BNPAFRPPXXX"), Ok(()));
        assert_eq!(check_bic("bnpa fr pp"), Ok(()));
        assert!(check_bic("BNPAFRP").is_err());
        assert!(check_bic("BNPAFRPPXX").is_err());
        assert!(check_bic("BNP1FRPP").is_err());
    }

    #[test]
    fn a_profile_names_its_broken_field_and_its_changes() {
        let mut profile = CompanyProfile {
            sepa_creditor_id: Some("FR72ZZZ123456".into()),
            iban: Some("FR7630006000011234567890189".into()),
            bic: Some("AGRIFRPP".into()),
            ..CompanyProfile::default()
        };
        assert_eq!(profile.validate(), Ok(()));
        profile.iban = Some("FR7630006000011234567890188".into());
        assert_eq!(profile.validate().unwrap_err().field, "iban");
        profile.iban = None;
        profile.bic = Some("AGRI".into());
        assert_eq!(profile.validate().unwrap_err().field, "bic");
        profile.bic = None;
        profile.sepa_creditor_id = Some("FR00ZZZ123456".into());
        assert_eq!(profile.validate().unwrap_err().field, "sepa_creditor_id");

        let before = CompanyProfile::default();
        let after = CompanyProfile {
            vat_periodicity: VatPeriodicity::Quarterly,
            bic: Some("AGRIFRPP".into()),
            ..CompanyProfile::default()
        };
        assert_eq!(
            after.changes_from(&before),
            vec![
                "vat_periodicity: monthly -> quarterly".to_string(),
                "bic: (none) -> AGRIFRPP".to_string()
            ]
        );
        assert!(after.changes_from(&after).is_empty());
    }

    #[test]
    fn periodicity_names_round_trip() {
        for p in [VatPeriodicity::Monthly, VatPeriodicity::Quarterly] {
            assert_eq!(VatPeriodicity::parse(p.name()), Some(p));
        }
        assert_eq!(VatPeriodicity::parse("yearly"), None);
        assert_eq!(VatPeriodicity::default(), VatPeriodicity::Monthly);
    }
}
