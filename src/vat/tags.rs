//! VAT tags: what a ledger line carries of a tax code, as the ledger's VAT index keeps it.
//!
//! A tag says which tax code a line (or a share of it) belongs to, whether it is a base, a
//! due or deductible tax, or VAT waiting on a pending account (44574, 44564), and for a tax
//! its base. The ledger keeps tags beside the lines and running totals per month, account,
//! tax code and [`TagClass`], so that a return is computed from the totals ([`VatLine`]s
//! built by [`vat_line`]) without reading a line.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::tax::TaxCode;
use crate::model::{AccountNumber, Amount};

use super::{Exigibility, LineRef, Operation, Role, Supply, TaxKind, VatError, VatLine};

/// The role of a tagged line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagRole {
    /// A base (sales, purchases, exempt supplies).
    Base,
    /// VAT due: collected (44571) or the due side of a reverse charge (4452).
    Collected,
    /// VAT deductible (44566, 44562, 445662).
    Deductible,
    /// VAT waiting on a pending account until payment: on no box.
    Waiting,
}

impl TagRole {
    pub fn name(self) -> &'static str {
        match self {
            TagRole::Base => "base",
            TagRole::Collected => "collected",
            TagRole::Deductible => "deductible",
            TagRole::Waiting => "waiting",
        }
    }
}

/// A line's VAT tag, as the ledger stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineTag {
    pub code: String,
    pub role: TagRole,
    /// The share of the line (debit − credit) the tag accounts for: the whole line, except
    /// for a base line that mixes tax codes.
    pub amount: Amount,
    /// For a tax, its base in the direction of the operation (negative for a credit note);
    /// zero for a base.
    pub base: Amount,
    pub operation: Operation,
    pub exigibility: Exigibility,
}

/// Role, operation and exigibility packed in one number: the part of the totals' key that
/// decides a tag's boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TagClass(pub u32);

const ROLES: [TagRole; 4] = [
    TagRole::Base,
    TagRole::Collected,
    TagRole::Deductible,
    TagRole::Waiting,
];
const OPERATIONS: [Operation; 9] = [
    Operation::DomesticSale,
    Operation::OtherTaxableSale,
    Operation::DomesticPurchase,
    Operation::IntraEuAcquisition,
    Operation::ServicesFromAbroad,
    Operation::NonEstablishedSupplier,
    Operation::ExemptIntraEuSupply,
    Operation::Export,
    Operation::OtherNonTaxable,
];

impl TagClass {
    pub fn of(tag: &LineTag) -> Self {
        let role = ROLES.iter().position(|r| *r == tag.role).unwrap_or(0) as u32;
        let op = OPERATIONS
            .iter()
            .position(|o| *o == tag.operation)
            .unwrap_or(0) as u32;
        let exig = u32::from(tag.exigibility == Exigibility::OnPayment);
        TagClass(role | (op << 4) | (exig << 8))
    }

    /// Role, operation and exigibility, or `None` for a number no tag packs to.
    pub fn unpack(self) -> Option<(TagRole, Operation, Exigibility)> {
        let role = *ROLES.get((self.0 & 0xF) as usize)?;
        let op = *OPERATIONS.get(((self.0 >> 4) & 0xF) as usize)?;
        let exig = match (self.0 >> 8) & 0xF {
            0 => Exigibility::OnInvoice,
            1 => Exigibility::OnPayment,
            _ => return None,
        };
        if self.0 >> 12 != 0 {
            return None;
        }
        Some((role, op, exig))
    }
}

/// The operation a tax code's lines belong to (its kind, reverse charge and boxes decide).
pub fn operation_of(code: &TaxCode) -> Operation {
    let base_box = code.base_box.as_deref().map(str::trim).unwrap_or("");
    match code.kind {
        TaxKind::Collected => match base_box {
            "A2" => Operation::OtherTaxableSale,
            "F2" => Operation::ExemptIntraEuSupply,
            "E1" => Operation::Export,
            "E2" => Operation::OtherNonTaxable,
            _ => Operation::DomesticSale,
        },
        TaxKind::Deductible if code.reverse_charge_account.is_some() => match base_box {
            "B2" => Operation::IntraEuAcquisition,
            "A3" => Operation::ServicesFromAbroad,
            _ => Operation::NonEstablishedSupplier,
        },
        TaxKind::Deductible => Operation::DomesticPurchase,
    }
}

/// The operation of a base a tax position exempted, by the position's box.
pub fn exempt_operation(base_box: Option<&str>) -> Operation {
    match base_box.map(str::trim) {
        Some("F2") => Operation::ExemptIntraEuSupply,
        Some("E1") => Operation::Export,
        _ => Operation::OtherNonTaxable,
    }
}

/// When a tax code's VAT is due: on payment only when it waits on a pending account (a code
/// due on payment without one is posted where it is due, at the invoice).
pub fn exigibility_of(code: &TaxCode) -> Exigibility {
    match (code.exigibility, &code.pending_account) {
        (Exigibility::OnPayment, Some(_)) => Exigibility::OnPayment,
        _ => Exigibility::OnInvoice,
    }
}

/// The role of a tax line by its kind.
fn tax_role(code: &TaxCode) -> TagRole {
    match code.kind {
        TaxKind::Collected => TagRole::Collected,
        TaxKind::Deductible => TagRole::Deductible,
    }
}

/// A base line's tag.
pub fn base_tag(code: &TaxCode, amount: Amount) -> LineTag {
    LineTag {
        code: code.code.clone(),
        role: TagRole::Base,
        amount,
        base: Amount::ZERO,
        operation: operation_of(code),
        exigibility: exigibility_of(code),
    }
}

/// The tag of a line a user tagged by hand with `code`: a line on a VAT account (445…) is a
/// tax line (waiting on the code's pending account, due on its reverse-charge account,
/// collected or deductible by the code's kind), any other line a base. `entry_base` is the
/// base of the entry's lines tagged with the same code (in the operation's direction); a tax
/// line of an entry without one takes the base its rate gives.
pub fn manual_tag(
    code: &TaxCode,
    account: &AccountNumber,
    amount: Amount,
    entry_base: Option<Amount>,
    date: NaiveDate,
) -> LineTag {
    if !account.starts_with("445") {
        return base_tag(code, amount);
    }
    let operation = operation_of(code);
    let (role, exigibility) = if code.pending_account.as_ref() == Some(account) {
        (TagRole::Waiting, Exigibility::OnInvoice)
    } else if code.reverse_charge_account.as_ref() == Some(account) {
        (TagRole::Collected, Exigibility::OnInvoice)
    } else {
        (tax_role(code), exigibility_of(code))
    };
    // The tax in the operation's direction: collected VAT is a credit.
    let tax = if role == TagRole::Collected || operation.is_sale() {
        -amount
    } else {
        amount
    };
    let base = match entry_base {
        Some(base) if !base.is_zero() => base,
        _ => base_from_rate(code, date, tax),
    };
    LineTag {
        code: code.code.clone(),
        role,
        amount,
        base,
        operation,
        exigibility,
    }
}

/// `tax × 100 / rate`, to the cent: the base of a tax whose base lines are not tagged.
fn base_from_rate(code: &TaxCode, date: NaiveDate, tax: Amount) -> Amount {
    match code.rate_on(date) {
        Some(rate) if !rate.is_zero() => {
            let raw = tax.to_decimal() * rust_decimal::Decimal::ONE_HUNDRED / rate;
            let rounded =
                raw.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            Amount::from_decimal(rounded).unwrap_or(Amount::ZERO)
        }
        _ => Amount::ZERO,
    }
}

/// The base a tag brings in its operation's direction (a sale's credit is positive): what a
/// tax line tagged by hand in the same entry takes as its base.
pub fn base_in_direction(tag: &LineTag) -> Amount {
    if tag.role != TagRole::Base {
        return Amount::ZERO;
    }
    if tag.operation.is_sale() {
        -tag.amount
    } else {
        tag.amount
    }
}

/// Goods are due on débits; what waits for payment is a service.
pub fn supply_of(exigibility: Exigibility) -> Supply {
    match exigibility {
        Exigibility::OnPayment => Supply::Services,
        Exigibility::OnInvoice => Supply::Goods,
    }
}

/// The return's view of a tag (or of a total of tags of one class): `None` for VAT waiting on
/// a pending account, which no box explains.
#[allow(clippy::too_many_arguments)]
pub fn vat_line(
    reference: LineRef,
    date: NaiveDate,
    account: AccountNumber,
    code: &TaxCode,
    class: TagClass,
    amount: Amount,
    base: Amount,
) -> Result<Option<VatLine>, VatError> {
    let Some((role, operation, exigibility)) = class.unpack() else {
        return Ok(None);
    };
    let role = match role {
        TagRole::Base => Role::Base,
        TagRole::Collected => Role::Tax(TaxKind::Collected),
        TagRole::Deductible => Role::Tax(TaxKind::Deductible),
        TagRole::Waiting => return Ok(None),
    };
    let (base_box, tax_box) = VatLine::boxes_of(code)?;
    Ok(Some(VatLine {
        reference,
        date,
        account,
        tax_code: code.code.clone(),
        base_box,
        tax_box,
        role,
        amount,
        base,
        operation,
        supply: supply_of(exigibility),
        exigibility,
    }))
}
