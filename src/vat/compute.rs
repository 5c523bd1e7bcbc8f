//! The box computation.

use std::collections::BTreeMap;

use crate::model::Amount;

use super::{
    Adjustment, BaseTie, BoxLine, BoxValue, Ca3Box, Ca3Return, Exigibility, LineNote, NoteKind,
    ReturnPeriod, Role, Supply, TaxKind, VatError, VatLine, VatOptions,
};

/// Rounds to whole euros, half away from zero: 12,50 → 13, −12,50 → −13, 12,49 → 12. The
/// only rounding of the return (each base and tax box, on its own).
pub fn round_euro(amount: Amount) -> Amount {
    let cents = amount.cents();
    let euros = cents
        .unsigned_abs()
        .saturating_add(50)
        .checked_div(100)
        .unwrap_or(0);
    let rounded = i64::try_from(euros.saturating_mul(100)).unwrap_or(i64::MAX);
    Amount::from_cents(if cents < 0 { -rounded } else { rounded })
}

/// The base of a payment of encaissements: `invoice_base × tax_paid / invoice_tax`, rounded
/// half away from zero to the cent (STANDARDS.md: pending VAT moves "in proportion to the
/// amount paid"). `None` when the invoice has no tax.
pub fn proportional_base(
    invoice_base: Amount,
    invoice_tax: Amount,
    tax_paid: Amount,
) -> Option<Amount> {
    if invoice_tax.is_zero() {
        return None;
    }
    let num = i128::from(invoice_base.cents()).checked_mul(i128::from(tax_paid.cents()))?;
    let den = i128::from(invoice_tax.cents());
    let negative = (num < 0) != (den < 0);
    let (n, d) = (num.unsigned_abs(), den.unsigned_abs());
    let quotient = n.checked_div(d)?;
    let rest = n.checked_rem(d)?;
    let rounded = if rest.checked_mul(2)? >= d {
        quotient.checked_add(1)?
    } else {
        quotient
    };
    let cents = i64::try_from(rounded).ok()?;
    Some(Amount::from_cents(if negative { -cents } else { cents }))
}

#[derive(Default)]
struct Acc {
    boxes: BTreeMap<Ca3Box, BoxValue>,
    /// Per rate box: débits bases from base lines, and as declared by due tax lines.
    ties: BTreeMap<Ca3Box, (Amount, Amount)>,
}

impl Acc {
    fn tie(&mut self, b: Ca3Box, from_base: Amount, from_tax: Amount) -> Result<(), VatError> {
        let slot = self.ties.entry(b).or_default();
        slot.0 = add(slot.0, from_base)?;
        slot.1 = add(slot.1, from_tax)?;
        Ok(())
    }
}

impl Acc {
    fn add(
        &mut self,
        b: Ca3Box,
        line: &VatLine,
        base: Amount,
        tax: Amount,
    ) -> Result<(), VatError> {
        let value = self.boxes.entry(b).or_default();
        value.raw_base = value.raw_base.checked_add(base).ok_or(VatError::Overflow)?;
        value.raw_tax = value.raw_tax.checked_add(tax).ok_or(VatError::Overflow)?;
        value.lines.push(BoxLine {
            reference: line.reference,
            date: line.date,
            tax_code: line.tax_code.clone(),
            base,
            tax,
        });
        Ok(())
    }
}

fn neg(amount: Amount) -> Result<Amount, VatError> {
    Amount::ZERO.checked_sub(amount).ok_or(VatError::Overflow)
}

fn add(a: Amount, b: Amount) -> Result<Amount, VatError> {
    a.checked_add(b).ok_or(VatError::Overflow)
}

fn sub(a: Amount, b: Amount) -> Result<Amount, VatError> {
    a.checked_sub(b).ok_or(VatError::Overflow)
}

/// The regime notes of a counted sale's tax line (STANDARDS.md: goods on débits; services on
/// encaissements unless the company opted for débits). The line is counted as posted: the
/// VAT accounts follow the posting, and the note asks the user to check it.
fn regime_note(line: &VatLine, options: &VatOptions) -> Option<NoteKind> {
    if !matches!(
        line.operation,
        super::Operation::DomesticSale | super::Operation::OtherTaxableSale
    ) {
        return None;
    }
    match (line.supply, line.exigibility, options.debits_for_services) {
        (Supply::Goods, Exigibility::OnPayment, _) => Some(NoteKind::GoodsOnPayment),
        (Supply::Services, Exigibility::OnPayment, true) => {
            Some(NoteKind::ServicesOnPaymentWithOption)
        }
        (Supply::Services, Exigibility::OnInvoice, false) => {
            Some(NoteKind::ServicesOnInvoiceWithoutOption)
        }
        _ => None,
    }
}

/// Whether a due tax line is its base at the rate of its box, to 2 cents (the tax of a line
/// is rounded to the cent; a move of encaissements rounds its base and its tax in
/// proportion). A line without a base is not judged.
fn at_rate_of_box(line: &VatLine, rate_box: Ca3Box) -> bool {
    let Some(per_mille) = rate_box.rate_per_mille() else {
        return true;
    };
    let base = i128::from(line.base.cents()).abs();
    if base == 0 {
        return true;
    }
    let tax = i128::from(line.amount.cents()).abs();
    // base × rate in cents, rounded half up: (base × per_mille + 500) / 1000.
    let expected = base
        .saturating_mul(i128::from(per_mille))
        .saturating_add(500)
        / 1000;
    (tax - expected).abs() <= 2
}

/// Computes the CA3 of `period` from tagged lines.
///
/// - Lines dated outside the period are noted and not counted.
/// - A base line counts in its operation box (A1, A2, A3, B2, B4, E1, E2, F2) and, for a
///   taxable operation, in its rate box (08, 09, 9B), in the direction of the operation (a
///   sale's credit is positive). A purchase's base is on no box. A base line of a tax due on
///   payment is not counted (its VAT is due when paid).
/// - A due tax line (`Role::Tax(Collected)`: 44571, or 4452 for a reverse charge) counts in
///   its rate box, and in 17 for an intra-EU acquisition of goods. A deductible tax line
///   counts in 19, 21 or 20 ([`VatLine::deduction_box`]).
/// - For a tax line due on payment (the move 44574 → 44571 or 44564 → 44566), its `base`
///   counts too, in the rate box and the operation box: the base of the amount paid.
/// - Each box is rounded on its own to whole euros. A rate box whose rounded tax is negative
///   is written as zero (base and tax) and its tax goes to line 21; a deduction box (19, 20,
///   21) that is negative is written as zero and goes to line 15; any other negative base
///   is written as zero (bases do not enter the totals). Then 16 = 08 + 09 + 9B + 15; 23 = 19 + 20 + 21 + 22; 25 = 23 − 16 when
///   positive; 26 = 0 (refunds are requested on their own form); 27 = 25 − 26; 28 = 16 − 23
///   when positive; 32 = 28.
/// - `credit_carried` is the previous return's line 27, written on line 22: zero or more,
///   whole euros.
pub fn compute_return(
    lines: &[VatLine],
    period: ReturnPeriod,
    options: &VatOptions,
    credit_carried: Amount,
) -> Result<Ca3Return, VatError> {
    if period.periodicity() != options.periodicity {
        return Err(VatError::PeriodicityMismatch {
            period,
            expected: options.periodicity,
        });
    }
    if credit_carried.is_negative() || credit_carried.cents().rem_euclid(100) != 0 {
        return Err(VatError::CarriedCredit(credit_carried));
    }
    let mut acc = Acc::default();
    let mut notes = Vec::new();
    let mut counted_tax = Vec::new();
    for line in lines {
        let note = |kind| LineNote {
            reference: line.reference,
            kind,
        };
        if !period.contains(line.date) {
            notes.push(note(NoteKind::OutsidePeriod));
            continue;
        }
        let sale = line.operation.is_sale();
        match line.role {
            Role::Base => {
                let base = if sale { neg(line.amount)? } else { line.amount };
                if line.operation.is_taxable() {
                    if line.exigibility == Exigibility::OnPayment {
                        notes.push(note(NoteKind::DeferredBase));
                        continue;
                    }
                    let Some(rate) = line.rate_box() else {
                        notes.push(note(NoteKind::NoRateBox));
                        continue;
                    };
                    acc.add(rate, line, base, Amount::ZERO)?;
                    acc.tie(rate, base, Amount::ZERO)?;
                }
                if let Some(op) = line.operation.base_box() {
                    acc.add(op, line, base, Amount::ZERO)?;
                }
            }
            Role::Tax(TaxKind::Collected) => {
                if !line.operation.is_taxable() {
                    notes.push(note(NoteKind::RoleDoesNotFit));
                    continue;
                }
                let Some(rate) = line.rate_box() else {
                    notes.push(note(NoteKind::NoRateBox));
                    continue;
                };
                if let Some(kind) = regime_note(line, options) {
                    notes.push(note(kind));
                }
                if !at_rate_of_box(line, rate) {
                    notes.push(note(NoteKind::RateNotOfBox));
                }
                let tax = neg(line.amount)?;
                let on_payment = line.exigibility == Exigibility::OnPayment;
                let base = if on_payment { line.base } else { Amount::ZERO };
                acc.add(rate, line, base, tax)?;
                if on_payment && let Some(op) = line.operation.base_box() {
                    acc.add(op, line, base, Amount::ZERO)?;
                }
                if !on_payment {
                    acc.tie(rate, Amount::ZERO, line.base)?;
                }
                if line.operation == super::Operation::IntraEuAcquisition {
                    acc.add(Ca3Box::L17, line, Amount::ZERO, tax)?;
                }
                counted_tax.push(line.clone());
            }
            Role::Tax(TaxKind::Deductible) => {
                if !line.operation.is_deductible() {
                    notes.push(note(NoteKind::RoleDoesNotFit));
                    continue;
                }
                acc.add(line.deduction_box(), line, Amount::ZERO, line.amount)?;
                counted_tax.push(line.clone());
            }
        }
    }
    finish(acc, period, credit_carried, notes, counted_tax)
}

/// Rounds every box, moves the negative ones and computes the total lines.
fn finish(
    acc: Acc,
    period: ReturnPeriod,
    credit_carried: Amount,
    notes: Vec<LineNote>,
    counted_tax: Vec<VatLine>,
) -> Result<Ca3Return, VatError> {
    let mut boxes = acc.boxes;
    let base_ties = acc
        .ties
        .into_iter()
        .map(|(rate_box, (from_base_lines, from_tax_lines))| BaseTie {
            rate_box,
            from_base_lines,
            from_tax_lines,
        })
        .collect();
    let mut adjustments = Vec::new();
    for b in Ca3Box::ALL {
        let value = boxes.entry(b).or_default();
        value.base = b.has_base().then(|| round_euro(value.raw_base));
        value.tax = b.has_tax().then(|| round_euro(value.raw_tax));
    }
    let mut to_21 = Amount::ZERO;
    let mut to_15 = Amount::ZERO;
    for b in Ca3Box::ALL {
        let Some(value) = boxes.get_mut(&b) else {
            continue;
        };
        if b.is_rate() {
            if let Some(tax) = value.tax.filter(|t| t.is_negative()) {
                let moved = neg(tax)?;
                to_21 = add(to_21, moved)?;
                adjustments.push(Adjustment {
                    from: b,
                    to: Some(Ca3Box::L21),
                    amount: moved,
                });
                value.tax = Some(Amount::ZERO);
                value.base = Some(Amount::ZERO);
            }
        } else if matches!(b, Ca3Box::L19 | Ca3Box::L20 | Ca3Box::L21) {
            if let Some(tax) = value.tax.filter(|t| t.is_negative()) {
                let moved = neg(tax)?;
                to_15 = add(to_15, moved)?;
                adjustments.push(Adjustment {
                    from: b,
                    to: Some(Ca3Box::L15),
                    amount: moved,
                });
                value.tax = Some(Amount::ZERO);
            }
        } else if b == Ca3Box::L17 {
            // "of which": follows its rate box; never written negative.
            if let Some(tax) = value.tax.filter(|t| t.is_negative()) {
                adjustments.push(Adjustment {
                    from: b,
                    to: None,
                    amount: neg(tax)?,
                });
                value.tax = Some(Amount::ZERO);
            }
        }
        if b.has_base()
            && let Some(base) = value.base.filter(|t| t.is_negative())
        {
            adjustments.push(Adjustment {
                from: b,
                to: None,
                amount: neg(base)?,
            });
            value.base = Some(Amount::ZERO);
        }
    }
    let mut ret = Ca3Return {
        period,
        boxes,
        adjustments,
        counted_tax,
        notes,
        base_ties,
    };
    let set = |ret: &mut Ca3Return, b: Ca3Box, amount: Amount| {
        if let Some(value) = ret.boxes.get_mut(&b) {
            value.tax = Some(amount);
        }
    };
    let line21 = add(ret.tax(Ca3Box::L21), to_21)?;
    set(&mut ret, Ca3Box::L21, line21);
    let line15 = add(ret.tax(Ca3Box::L15), to_15)?;
    set(&mut ret, Ca3Box::L15, line15);
    set(&mut ret, Ca3Box::L22, credit_carried);
    let mut l16 = Amount::ZERO;
    for b in [Ca3Box::L08, Ca3Box::L09, Ca3Box::L9B, Ca3Box::L15] {
        l16 = add(l16, ret.tax(b))?;
    }
    let mut l23 = Amount::ZERO;
    for b in [Ca3Box::L19, Ca3Box::L20, Ca3Box::L21, Ca3Box::L22] {
        l23 = add(l23, ret.tax(b))?;
    }
    let net = sub(l16, l23)?;
    let l25 = if net.is_negative() {
        neg(net)?
    } else {
        Amount::ZERO
    };
    let l26 = Amount::ZERO;
    let l27 = sub(l25, l26)?;
    let l28 = if net.is_positive() { net } else { Amount::ZERO };
    for (b, amount) in [
        (Ca3Box::L16, l16),
        (Ca3Box::L23, l23),
        (Ca3Box::L25, l25),
        (Ca3Box::L26, l26),
        (Ca3Box::L27, l27),
        (Ca3Box::L28, l28),
        (Ca3Box::L32, l28),
    ] {
        set(&mut ret, b, amount);
    }
    Ok(ret)
}
