//! Setting up a client in bulk: third parties and accounts from CSV files, and the third
//! parties an entries import creates. One write transaction each: a bad row refuses the file.
//!
//! A row naming a record that already exists is accepted when it changes nothing (importing a
//! file twice is harmless); one that would change it is refused, unless the caller asks to
//! update. A third party's kind, collective account and auxiliary number never change by
//! import: its lines and the FEC depend on them.

use std::collections::HashMap;

use serde::Serialize;

use super::error::{LedgerError, Result};
use super::import::ImportSummary;
use super::store::Tx;
use super::{Ctx, Ledger};
use crate::formats::setup_csv::{AccountRow, PartyRow};
use crate::model::settings::Settings;
use crate::model::text::echo;
use crate::model::{Account, EntryInput, Party, PartyKind};

/// What a setup import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SetupSummary {
    /// Codes or numbers added, in file order.
    pub added: Vec<String>,
    /// Codes or numbers changed (with `update`), in file order.
    pub updated: Vec<String>,
    /// Rows identical to the record already there.
    pub unchanged: u64,
}

fn at(file: &str, line: u64, field: &str, reason: impl Into<String>) -> LedgerError {
    LedgerError::AtLine {
        file: file.to_string(),
        line,
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// Refuses a key seen on an earlier row of the same file.
fn check_once(
    seen: &mut HashMap<String, u64>,
    key: &str,
    file: &str,
    line: u64,
    field: &str,
) -> Result<()> {
    if let Some(first) = seen.insert(key.to_string(), line) {
        return Err(at(
            file,
            line,
            field,
            format!("{} is already on line {first}", echo(key)),
        ));
    }
    Ok(())
}

impl Ledger {
    /// Adds the third parties of a file; with `update`, changes existing ones to match it.
    pub fn import_parties(
        &self,
        ctx: &Ctx,
        file: &str,
        rows: &[PartyRow],
        update: bool,
    ) -> Result<SetupSummary> {
        let mut unchanged = None;
        let result = self.write(ctx, |tx| {
            let settings: Option<Settings> = tx.get_meta("settings")?;
            let mut summary = SetupSummary::default();
            let mut seen = HashMap::new();
            for row in rows {
                check_once(&mut seen, &row.code, file, row.line, "code")?;
                let existing = tx.party_opt(&row.code)?;
                let party = party_of_row(row, existing.as_ref(), file)?;
                check_details(tx, settings.as_ref(), &party, file, row.line)?;
                match existing {
                    None => {
                        tx.put_party(&party)?;
                        tx.audit(
                            ctx,
                            "party.add",
                            vec![format!("party:{}", party.code)],
                            format!(
                                "added {} {} {} on {} (import {file})",
                                party.kind.name(),
                                party.code,
                                party.name,
                                party.collective_account
                            ),
                        )?;
                        summary.added.push(party.code);
                    }
                    Some(old) if old == party => summary.unchanged = summary.unchanged.saturating_add(1),
                    Some(_) if !update => {
                        return Err(at(
                            file,
                            row.line,
                            "code",
                            format!(
                                "third party {} already exists with other details (use --update to change it)",
                                party.code
                            ),
                        ));
                    }
                    Some(_) => {
                        tx.put_party(&party)?;
                        tx.audit(
                            ctx,
                            "party.edit",
                            vec![format!("party:{}", party.code)],
                            format!("edited third party {} (import {file}): {party:?}", party.code),
                        )?;
                        summary.updated.push(party.code);
                    }
                }
            }
            audit_import(
                tx,
                ctx,
                "import.parties",
                file,
                "third parties",
                summary,
                &mut unchanged,
            )
        });
        written(result, unchanged)
    }

    /// Adds the accounts of a file; with `update`, changes existing ones to match it.
    pub fn import_accounts(
        &self,
        ctx: &Ctx,
        file: &str,
        rows: &[AccountRow],
        update: bool,
    ) -> Result<SetupSummary> {
        let mut unchanged = None;
        let result = self.write(ctx, |tx| {
            let mut summary = SetupSummary::default();
            let mut seen = HashMap::new();
            for row in rows {
                check_once(&mut seen, row.number.as_str(), file, row.line, "number")?;
                let existing = tx.account_opt(&row.number)?;
                let mut account = existing
                    .clone()
                    .unwrap_or_else(|| Account::new(row.number.clone(), ""));
                account.label = row.label.clone();
                for (flag, value) in [
                    (&mut account.third_party_required, row.third_party_required),
                    (&mut account.letterable, row.letterable),
                    (&mut account.reconcilable, row.reconcilable),
                    (&mut account.active, row.active),
                ] {
                    if let Some(value) = value {
                        *flag = value;
                    }
                }
                let number = account.number.to_string();
                match existing {
                    None => {
                        tx.put_account(&account)?;
                        tx.audit(
                            ctx,
                            "account.add",
                            vec![format!("account:{number}")],
                            format!("added account {number} {} (import {file})", account.label),
                        )?;
                        summary.added.push(number);
                    }
                    Some(old) if old == account => summary.unchanged = summary.unchanged.saturating_add(1),
                    Some(_) if !update => {
                        return Err(at(
                            file,
                            row.line,
                            "number",
                            format!(
                                "account {number} already exists with another label or flags (use --update to change it)"
                            ),
                        ));
                    }
                    Some(old) => {
                        tx.put_account(&account)?;
                        tx.audit(
                            ctx,
                            "account.edit",
                            vec![format!("account:{number}")],
                            format!(
                                "edited account {number} (import {file}): {old:?} -> {account:?}"
                            ),
                        )?;
                        summary.updated.push(number);
                    }
                }
            }
            audit_import(
                tx,
                ctx,
                "import.accounts",
                file,
                "accounts",
                summary,
                &mut unchanged,
            )
        });
        written(result, unchanged)
    }
}

/// Ends a setup import: one audit record for the file. When no row changed anything, the
/// transaction is cancelled instead (no audit record, no change counter moved) and the summary
/// is kept in `unchanged` for the caller.
fn audit_import(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    action: &str,
    file: &str,
    what: &str,
    summary: SetupSummary,
    unchanged: &mut Option<SetupSummary>,
) -> Result<SetupSummary> {
    if summary.added.is_empty() && summary.updated.is_empty() {
        *unchanged = Some(summary);
        return Err(LedgerError::Cancelled);
    }
    tx.audit(
        ctx,
        action,
        vec![format!("import:{file}")],
        format!(
            "imported {what} from {file}: {} added, {} updated, {} unchanged",
            summary.added.len(),
            summary.updated.len(),
            summary.unchanged
        ),
    )?;
    Ok(summary)
}

/// The summary of a setup import, also when it changed nothing and wrote nothing.
fn written(result: Result<SetupSummary>, unchanged: Option<SetupSummary>) -> Result<SetupSummary> {
    match (result, unchanged) {
        (Err(LedgerError::Cancelled), Some(summary)) => Ok(summary),
        (result, _) => result,
    }
}

/// The party a row describes: the existing one (or a new one) with the columns of the file.
fn party_of_row(row: &PartyRow, existing: Option<&Party>, file: &str) -> Result<Party> {
    let account = row
        .account
        .clone()
        .unwrap_or_else(|| row.kind.default_collective());
    let mut party = match existing {
        Some(old) => {
            let fixed = |field: &str, what: &str, now: &str, file_value: &str| {
                at(
                    file,
                    row.line,
                    field,
                    format!(
                        "third party {} has {what} {now}, the file says {}: an import does not change a party's kind, collective account or auxiliary number",
                        old.code,
                        echo(file_value)
                    ),
                )
            };
            if old.kind != row.kind {
                return Err(fixed("kind", "kind", old.kind.name(), row.kind.name()));
            }
            if row.account.is_some() && old.collective_account != account {
                return Err(fixed(
                    "account",
                    "collective account",
                    old.collective_account.as_str(),
                    account.as_str(),
                ));
            }
            if let Some(aux) = &row.auxiliary
                && *aux != old.auxiliary_account
            {
                return Err(fixed(
                    "auxiliary",
                    "auxiliary number",
                    &old.auxiliary_account,
                    aux,
                ));
            }
            old.clone()
        }
        None => {
            let mut party = Party::new(row.code.clone(), String::new(), row.kind, account);
            if let Some(aux) = &row.auxiliary {
                party.auxiliary_account = aux.clone();
            }
            party
        }
    };
    party.name = row.name.clone();
    if let Some(active) = row.active {
        party.active = active;
    }
    if let Some(position) = &row.tax_position {
        party.tax_position = position.clone();
    }
    if let Some(days) = row.terms {
        party.payment_terms_days = days;
    }
    if let Some(method) = &row.method {
        party.payment_method = method.clone();
    }
    if let Some(iban) = &row.iban {
        party.iban = iban.clone();
    }
    if let Some(mandate) = &row.mandate {
        party.mandate = mandate.clone();
    }
    Ok(party)
}

/// The checks of `parties add`: the collective account exists, the tax position and payment
/// method are in the settings, the IBAN passes its check digits. Errors name the column.
fn check_details(
    tx: &mut Tx<'_>,
    settings: Option<&Settings>,
    party: &Party,
    file: &str,
    line: u64,
) -> Result<()> {
    if tx.account_opt(&party.collective_account)?.is_none() {
        return Err(at(
            file,
            line,
            "account",
            format!(
                "unknown account {} (add it first: `folio accounts add` or `folio accounts import`)",
                party.collective_account
            ),
        ));
    }
    if let Some(position) = &party.tax_position
        && settings.is_none_or(|s| s.position(position).is_none())
    {
        let known = settings
            .map(|s| {
                s.tax_positions
                    .iter()
                    .map(|p| p.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        return Err(at(
            file,
            line,
            "tax_position",
            format!(
                "unknown tax position {} (the settings have: {known}; empty for France)",
                echo(position)
            ),
        ));
    }
    if let Some(method) = &party.payment_method
        && settings.is_none_or(|s| s.payment_method(method).is_none())
    {
        return Err(at(
            file,
            line,
            "method",
            format!("unknown payment method {}", echo(method)),
        ));
    }
    if let Some(iban) = &party.iban
        && !crate::model::party::is_valid_iban(iban)
    {
        return Err(at(
            file,
            line,
            "iban",
            format!("`{}` is not a valid IBAN", echo(iban)),
        ));
    }
    Ok(())
}

/// The kind of third party an unknown code on this account is: a customer on 411…, a
/// supplier on 401…, none elsewhere.
fn kind_for_account(account: &crate::model::AccountNumber) -> Option<PartyKind> {
    if account.starts_with("411") {
        Some(PartyKind::Customer)
    } else if account.starts_with("401") {
        Some(PartyKind::Supplier)
    } else {
        None
    }
}

/// Creates the unknown third parties named on the 411/401 lines of an imported entry: named
/// by their code, on the line's account. Codes on other accounts are left to the usual check
/// (an unknown third party is refused). `first_line` is the entry's first line in `file`.
pub(super) fn create_line_parties(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    file: &str,
    first_line: u64,
    input: &EntryInput,
    summary: &mut ImportSummary,
) -> Result<()> {
    for (i, line) in input.lines.iter().enumerate() {
        let Some(code) = &line.third_party else {
            continue;
        };
        let Some(kind) = kind_for_account(&line.account) else {
            continue;
        };
        if tx.party_opt(code)?.is_some() {
            continue;
        }
        if tx.account_opt(&line.account)?.is_none() {
            return Err(LedgerError::UnknownAccount(line.account.to_string())
                .at_line(file, first_line.saturating_add(i as u64)));
        }
        let party = Party::new(code.clone(), code.clone(), kind, line.account.clone());
        tx.put_party(&party)?;
        tx.audit(
            ctx,
            "party.add",
            vec![format!("party:{code}")],
            format!(
                "added {} {code} {code} on {} (import {file}, line {})",
                kind.name(),
                party.collective_account,
                first_line.saturating_add(i as u64)
            ),
        )?;
        summary.parties_created = summary.parties_created.saturating_add(1);
        summary
            .created_parties
            .push((code.clone(), kind, party.collective_account));
    }
    Ok(())
}
