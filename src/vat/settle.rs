//! The settlement entry of a return.

use crate::model::account::AccountNumberError;
use crate::model::{AccountNumber, Amount, Line};

use super::{Ca3Box, Ca3Return, VatError};

/// The accounts the settlement entry uses besides the VAT accounts of the counted lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementAccounts {
    /// VAT credit to carry forward (44567).
    pub credit: AccountNumber,
    /// VAT to pay (44551).
    pub payable: AccountNumber,
    /// Rounding loss (658).
    pub rounding_loss: AccountNumber,
    /// Rounding gain (758).
    pub rounding_gain: AccountNumber,
    /// Third party of the VAT to pay (the tax office), so its payment letters with it.
    pub tax_office: Option<String>,
}

impl SettlementAccounts {
    /// The PCG accounts: 445670, 445510, 658000, 758000.
    pub fn pcg() -> Result<Self, AccountNumberError> {
        Ok(SettlementAccounts {
            credit: AccountNumber::parse("445670")?,
            payable: AccountNumber::parse("445510")?,
            rounding_loss: AccountNumber::parse("658000")?,
            rounding_gain: AccountNumber::parse("758000")?,
            tax_office: None,
        })
    }
}

fn line(account: &AccountNumber, signed: Amount, label: &str) -> Option<Line> {
    if signed.is_zero() {
        return None;
    }
    let line = if signed.is_positive() {
        Line::debit(account.clone(), signed)
    } else {
        Line::credit(account.clone(), signed.abs())
    };
    Some(line.with_label(label))
}

/// The lines of the settlement entry of `ret` (STANDARDS.md): each VAT account of the
/// counted tax lines is cleared of what the return counted on it, to the cent (Dr 44571 and
/// 4452; Cr 44566, 44562, 445662; the other side when a credit note made it negative); Cr
/// 44567 by line 22 (the credit used); Dr 44567 by line 27 (the new credit); Cr 44551 by
/// line 32 (to pay, on the tax office's third party when one is given). What is left is the rounding of the boxes to whole euros: Dr 658 for a
/// loss, Cr 758 for a gain. The lines balance to the cent; none is zero. Returns no line at
/// all when the return has nothing to settle.
pub fn settlement_entry(
    ret: &Ca3Return,
    accounts: &SettlementAccounts,
) -> Result<Vec<Line>, VatError> {
    let mut lines = Vec::new();
    let mut balance = Amount::ZERO;
    let mut push = |lines: &mut Vec<Line>, account: &AccountNumber, signed: Amount, label: &str| {
        balance = balance.checked_add(signed).ok_or(VatError::Overflow)?;
        lines.extend(line(account, signed, label));
        Ok::<(), VatError>(())
    };
    for (account, explained) in ret.explained_by_account()? {
        // Clear the account: the opposite of what the counted lines moved.
        let signed = Amount::ZERO
            .checked_sub(explained)
            .ok_or(VatError::Overflow)?;
        push(&mut lines, &account, signed, "Déclaration de TVA")?;
    }
    let used = ret.tax(Ca3Box::L22);
    push(
        &mut lines,
        &accounts.credit,
        Amount::ZERO.checked_sub(used).ok_or(VatError::Overflow)?,
        "Crédit de TVA imputé (ligne 22)",
    )?;
    push(
        &mut lines,
        &accounts.credit,
        ret.tax(Ca3Box::L27),
        "Crédit de TVA à reporter (ligne 27)",
    )?;
    let due = ret.tax(Ca3Box::L32);
    let before = lines.len();
    push(
        &mut lines,
        &accounts.payable,
        Amount::ZERO.checked_sub(due).ok_or(VatError::Overflow)?,
        "TVA à payer (ligne 32)",
    )?;
    for payable in &mut lines[before..] {
        payable.third_party = accounts.tax_office.clone();
    }
    // Debits exceed credits by `balance`: the return rounded down what the accounts hold.
    let rounding = Amount::ZERO
        .checked_sub(balance)
        .ok_or(VatError::Overflow)?;
    if rounding.is_positive() {
        lines.extend(line(&accounts.rounding_loss, rounding, "Arrondi de TVA"));
    } else if rounding.is_negative() {
        lines.extend(line(&accounts.rounding_gain, rounding, "Arrondi de TVA"));
    }
    Ok(lines)
}
