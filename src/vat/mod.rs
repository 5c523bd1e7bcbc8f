//! The CA3 VAT return (form 3310-CA3): boxes computed from VAT-tagged lines, the checks shown
//! beside them, the settlement entry and the CSV rows.
//!
//! Pure layer (DESIGN.md §1): data in, data out. The caller (the ledger) gathers the tagged
//! lines of the period, the VAT accounts' movements and the untagged VAT lines; this module
//! never reads a document or an entry.
//!
//! Rules (STANDARDS.md, "CA3 VAT return"):
//! - **débits**: goods, and services when the company opted for débits: the VAT is due at the
//!   invoice date. The return counts the invoice's base lines (A1…, 08…) and tax lines (08…).
//! - **encaissements**: services by default: the VAT is due when paid. The caller passes the
//!   moves from 44574 to 44571 (collected) and from 44564 to 44566 (deductible) dated in the
//!   period, as tax lines whose `base` is the invoice base in proportion to the amount paid
//!   ([`proportional_base`]). Base lines of such codes are not counted (their VAT is not due
//!   yet); they are listed as [`NoteKind::DeferredBase`]. Lines on the waiting accounts
//!   themselves (44574, 44564) are never passed: no box explains them.
//! - reverse charge: intra-EU acquisitions of goods put their base in B2 and the rate box,
//!   their tax (the 4452 line) in the rate box and again in 17, and the same tax (the 445662
//!   line) in 20; services bought from a supplier established abroad put their base in A3, their
//!   tax in the rate box (not in 17), deductible in 20; other purchases from a non-established
//!   supplier (art. 283-1) put their base in B4.
//! - exempt intra-EU supplies go to F2, exports to E1, other non-taxable operations to E2.
//! - whole euros: each base and tax box is rounded on its own ([`round_euro`], half away from
//!   zero); the total lines are sums and differences of the rounded boxes.

mod compute;
pub mod period;
mod settle;
pub mod tags;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::AccountNumber;
use crate::model::Amount;
use crate::model::tax::TaxCode;
pub use crate::model::tax::{Exigibility, TaxKind};

pub use compute::{compute_return, proportional_base, round_euro};
pub use period::{PeriodError, Periodicity, ReturnPeriod};
pub use settle::{SettlementAccounts, settlement_entry};

/// A line of the CA3 form, in the order the form prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Ca3Box {
    A1,
    A2,
    A3,
    B2,
    B4,
    E1,
    E2,
    F2,
    /// 08: 20 %.
    L08,
    /// 09: 5.5 %.
    L09,
    /// 9B: 10 %.
    L9B,
    L15,
    L16,
    L17,
    L19,
    L20,
    L21,
    L22,
    L23,
    L25,
    L26,
    L27,
    L28,
    L32,
}

impl Ca3Box {
    /// Every box, in the form's order.
    pub const ALL: [Ca3Box; 24] = [
        Ca3Box::A1,
        Ca3Box::A2,
        Ca3Box::A3,
        Ca3Box::B2,
        Ca3Box::B4,
        Ca3Box::E1,
        Ca3Box::E2,
        Ca3Box::F2,
        Ca3Box::L08,
        Ca3Box::L09,
        Ca3Box::L9B,
        Ca3Box::L15,
        Ca3Box::L16,
        Ca3Box::L17,
        Ca3Box::L19,
        Ca3Box::L20,
        Ca3Box::L21,
        Ca3Box::L22,
        Ca3Box::L23,
        Ca3Box::L25,
        Ca3Box::L26,
        Ca3Box::L27,
        Ca3Box::L28,
        Ca3Box::L32,
    ];

    /// The code printed on the form: `A1`, `08`, `9B`, `27`.
    pub fn code(self) -> &'static str {
        match self {
            Ca3Box::A1 => "A1",
            Ca3Box::A2 => "A2",
            Ca3Box::A3 => "A3",
            Ca3Box::B2 => "B2",
            Ca3Box::B4 => "B4",
            Ca3Box::E1 => "E1",
            Ca3Box::E2 => "E2",
            Ca3Box::F2 => "F2",
            Ca3Box::L08 => "08",
            Ca3Box::L09 => "09",
            Ca3Box::L9B => "9B",
            Ca3Box::L15 => "15",
            Ca3Box::L16 => "16",
            Ca3Box::L17 => "17",
            Ca3Box::L19 => "19",
            Ca3Box::L20 => "20",
            Ca3Box::L21 => "21",
            Ca3Box::L22 => "22",
            Ca3Box::L23 => "23",
            Ca3Box::L25 => "25",
            Ca3Box::L26 => "26",
            Ca3Box::L27 => "27",
            Ca3Box::L28 => "28",
            Ca3Box::L32 => "32",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Ca3Box::A1 => "Sales and services, taxable, excluding VAT",
            Ca3Box::A2 => "Other taxable operations",
            Ca3Box::A3 => "Services bought from a supplier not established in France",
            Ca3Box::B2 => "Intra-EU acquisitions",
            Ca3Box::B4 => "Goods/services from a non-established supplier (art. 283-1)",
            Ca3Box::E1 => "Exports outside the EU",
            Ca3Box::E2 => "Other non-taxable operations",
            Ca3Box::F2 => "Intra-EU supplies of goods",
            Ca3Box::L08 => "Rate 20 %",
            Ca3Box::L09 => "Rate 5.5 %",
            Ca3Box::L9B => "Rate 10 %",
            Ca3Box::L15 => "VAT previously deducted, to repay",
            Ca3Box::L16 => "Total gross VAT due",
            Ca3Box::L17 => "of which VAT on intra-EU acquisitions",
            Ca3Box::L19 => "Deductible VAT on fixed assets",
            Ca3Box::L20 => "Deductible VAT on other goods and services",
            Ca3Box::L21 => "Other VAT to deduct",
            Ca3Box::L22 => "Credit carried from the previous return",
            Ca3Box::L23 => "Total deductible",
            Ca3Box::L25 => "VAT credit",
            Ca3Box::L26 => "Refund requested",
            Ca3Box::L27 => "Credit to carry forward",
            Ca3Box::L28 => "Net VAT due",
            Ca3Box::L32 => "Total to pay",
        }
    }

    /// Reads a box code as tax codes carry it (`08`, `9B`, `B2`, `20`); `8` is taken for `08`.
    pub fn parse(text: &str) -> Option<Self> {
        let wanted = text.trim().to_ascii_uppercase();
        let wanted = if wanted == "8" || wanted == "9" {
            format!("0{wanted}")
        } else {
            wanted
        };
        Ca3Box::ALL.into_iter().find(|b| b.code() == wanted)
    }

    /// Boxes with a base column: the operation boxes and the rate boxes.
    pub fn has_base(self) -> bool {
        matches!(
            self,
            Ca3Box::A1
                | Ca3Box::A2
                | Ca3Box::A3
                | Ca3Box::B2
                | Ca3Box::B4
                | Ca3Box::E1
                | Ca3Box::E2
                | Ca3Box::F2
                | Ca3Box::L08
                | Ca3Box::L09
                | Ca3Box::L9B
        )
    }

    /// Boxes with a tax (or amount) column: everything from 08 on.
    pub fn has_tax(self) -> bool {
        !matches!(
            self,
            Ca3Box::A1
                | Ca3Box::A2
                | Ca3Box::A3
                | Ca3Box::B2
                | Ca3Box::B4
                | Ca3Box::E1
                | Ca3Box::E2
                | Ca3Box::F2
        )
    }

    /// The boxes of a rate: 08 (20 %), 09 (5.5 %), 9B (10 %).
    pub fn is_rate(self) -> bool {
        matches!(self, Ca3Box::L08 | Ca3Box::L09 | Ca3Box::L9B)
    }

    /// The rate of a rate box, in tenths of a percent: 08 is 20 %, 09 5.5 %, 9B 10 %.
    pub fn rate_per_mille(self) -> Option<i64> {
        match self {
            Ca3Box::L08 => Some(200),
            Ca3Box::L09 => Some(55),
            Ca3Box::L9B => Some(100),
            _ => None,
        }
    }

    /// Total lines: computed from other rounded boxes, never from lines.
    pub fn is_total(self) -> bool {
        matches!(
            self,
            Ca3Box::L16
                | Ca3Box::L23
                | Ca3Box::L25
                | Ca3Box::L26
                | Ca3Box::L27
                | Ca3Box::L28
                | Ca3Box::L32
        )
    }
}

impl fmt::Display for Ca3Box {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What operation a tagged line belongs to: decides its boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// A taxable sale or service in France: base A1 and rate box, tax in the rate box.
    DomesticSale,
    /// Another taxable operation: base A2 and rate box, tax in the rate box.
    OtherTaxableSale,
    /// A purchase from a French supplier: deductible tax in 19 (fixed assets, by the tax
    /// code's box), 21 (when the code says so) or 20. Its base is not on the return.
    DomesticPurchase,
    /// Intra-EU acquisition of goods (reverse charge): base B2 and rate box, due tax in the
    /// rate box and in 17, deductible tax in 20.
    IntraEuAcquisition,
    /// Services bought from a supplier established abroad (reverse charge): base A3 and rate
    /// box, due tax in the rate box (not 17), deductible tax in 20.
    ServicesFromAbroad,
    /// Other purchases from a supplier not established in France (art. 283-1): base B4 and
    /// rate box, due tax in the rate box, deductible tax in 20.
    NonEstablishedSupplier,
    /// Exempt intra-EU supply of goods (B2B): base F2, no tax.
    ExemptIntraEuSupply,
    /// Export outside the EU: base E1, no tax.
    Export,
    /// Other non-taxable operation: base E2, no tax.
    OtherNonTaxable,
}

impl Operation {
    /// Sales are credit-normal: their box amounts are the opposite of debit − credit.
    pub fn is_sale(self) -> bool {
        matches!(
            self,
            Operation::DomesticSale
                | Operation::OtherTaxableSale
                | Operation::ExemptIntraEuSupply
                | Operation::Export
                | Operation::OtherNonTaxable
        )
    }

    /// The operation box of its base, if it has one.
    pub fn base_box(self) -> Option<Ca3Box> {
        match self {
            Operation::DomesticSale => Some(Ca3Box::A1),
            Operation::OtherTaxableSale => Some(Ca3Box::A2),
            Operation::DomesticPurchase => None,
            Operation::IntraEuAcquisition => Some(Ca3Box::B2),
            Operation::ServicesFromAbroad => Some(Ca3Box::A3),
            Operation::NonEstablishedSupplier => Some(Ca3Box::B4),
            Operation::ExemptIntraEuSupply => Some(Ca3Box::F2),
            Operation::Export => Some(Ca3Box::E1),
            Operation::OtherNonTaxable => Some(Ca3Box::E2),
        }
    }

    /// Operations whose VAT is due by the company (a sale or a reverse charge): their base and
    /// due tax go to a rate box.
    pub fn is_taxable(self) -> bool {
        matches!(
            self,
            Operation::DomesticSale
                | Operation::OtherTaxableSale
                | Operation::IntraEuAcquisition
                | Operation::ServicesFromAbroad
                | Operation::NonEstablishedSupplier
        )
    }

    /// Operations whose VAT the company deducts.
    pub fn is_deductible(self) -> bool {
        matches!(
            self,
            Operation::DomesticPurchase
                | Operation::IntraEuAcquisition
                | Operation::ServicesFromAbroad
                | Operation::NonEstablishedSupplier
        )
    }
}

/// Goods or services: goods are always due on débits; services on encaissements unless the
/// company opted for débits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Supply {
    Goods,
    Services,
}

/// Whether a line carries a base or a tax, and for a tax whether it is due (collected, or the
/// 4452 side of a reverse charge) or deductible (44566, 44562, the 445662 side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Base,
    Tax(TaxKind),
}

/// A reference to a ledger line: entry id and line index (0-based) in that entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LineRef {
    pub entry: u64,
    pub line: u32,
}

/// A VAT-tagged ledger line, as the return sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VatLine {
    pub reference: LineRef,
    pub date: NaiveDate,
    pub account: AccountNumber,
    pub tax_code: String,
    /// The tax code's CA3 box of the base (`A1`… or a rate box `08`).
    pub base_box: Option<Ca3Box>,
    /// The tax code's CA3 box of the tax (a rate box for due VAT, `19`/`20`/`21` for
    /// deductible VAT; a reverse-charge code names its rate box here).
    pub tax_box: Option<Ca3Box>,
    pub role: Role,
    /// Debit minus credit, as in the ledger.
    pub amount: Amount,
    /// For a tax line, its base in the direction of the operation (positive for an invoice,
    /// negative for a credit note); for a move of encaissements, the invoice base in
    /// proportion to the amount paid. Zero for a base line.
    pub base: Amount,
    pub operation: Operation,
    pub supply: Supply,
    pub exigibility: Exigibility,
}

impl VatLine {
    /// The CA3 boxes a tax code carries (`base_box`, `tax_box`), refused when one is not a
    /// box of the form.
    pub fn boxes_of(code: &TaxCode) -> Result<(Option<Ca3Box>, Option<Ca3Box>), VatError> {
        let read = |text: &Option<String>| -> Result<Option<Ca3Box>, VatError> {
            match text.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(t) => Ca3Box::parse(t)
                    .map(Some)
                    .ok_or_else(|| VatError::UnknownBox {
                        code: code.code.clone(),
                        text: t.to_string(),
                    }),
            }
        };
        Ok((read(&code.base_box)?, read(&code.tax_box)?))
    }

    /// The rate box (08, 09, 9B) of the line's tax code: its tax box if it is one, else its
    /// base box.
    pub fn rate_box(&self) -> Option<Ca3Box> {
        [self.tax_box, self.base_box]
            .into_iter()
            .flatten()
            .find(|b| b.is_rate())
    }

    /// The deduction box of a deductible tax: 19 or 21 when the code says so, 20 otherwise
    /// (reverse-charge codes name their rate box; their deduction is on 20).
    pub fn deduction_box(&self) -> Ca3Box {
        match self.tax_box {
            Some(Ca3Box::L19) => Ca3Box::L19,
            Some(Ca3Box::L21) => Ca3Box::L21,
            _ => Ca3Box::L20,
        }
    }
}

/// The company's VAT settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VatOptions {
    pub periodicity: Periodicity,
    /// The company opted to pay VAT on services on débits (invoice date).
    pub debits_for_services: bool,
}

/// A box of a computed return.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BoxValue {
    /// The sums of the lines, to the cent.
    pub raw_base: Amount,
    pub raw_tax: Amount,
    /// What the form shows, whole euros; `None` where the box has no such column.
    pub base: Option<Amount>,
    pub tax: Option<Amount>,
    /// The lines that make the box, each with what it brings.
    pub lines: Vec<BoxLine>,
}

/// One line's share of a box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoxLine {
    pub reference: LineRef,
    pub date: NaiveDate,
    pub tax_code: String,
    pub base: Amount,
    pub tax: Amount,
}

/// A rounded box that could not be written negative and went to another line (STANDARDS.md:
/// a negative base or tax goes to line 21 or is regularised by line 15). `to` is `None` for
/// an operation base, which is simply written as zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adjustment {
    pub from: Ca3Box,
    pub to: Option<Ca3Box>,
    /// The amount moved (positive), whole euros.
    pub amount: Amount,
}

/// Why a line was not counted, or counted with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Dated outside the period: not counted.
    OutsidePeriod,
    /// A taxable line whose tax code names no rate box (08, 09, 9B): not counted.
    NoRateBox,
    /// A tax line whose role does not fit its operation (collected VAT on a purchase,
    /// deductible VAT on a sale, tax on an exempt operation): not counted.
    RoleDoesNotFit,
    /// The base of a tax due on payment: not counted, its VAT counts when paid.
    DeferredBase,
    /// A sale of goods taxed on payment: VAT on goods is due on delivery. Counted as posted.
    GoodsOnPayment,
    /// A sale of services taxed on invoice though the company did not opt for débits.
    /// Counted as posted.
    ServicesOnInvoiceWithoutOption,
    /// A sale of services taxed on payment though the company opted for débits. Counted as
    /// posted.
    ServicesOnPaymentWithOption,
    /// A due tax line whose tax is not its base at the rate of its box (7 % counted in 09,
    /// the 5.5 % box): the tax code's box or rate is wrong. Counted as posted.
    RateNotOfBox,
}

impl NoteKind {
    /// Whether the note asks the user to look (a deferred base is the normal course of
    /// encaissements and is not reported by the checks).
    pub fn is_problem(self) -> bool {
        self != NoteKind::DeferredBase
    }

    /// Whether the line was left out of the boxes.
    pub fn excludes(self) -> bool {
        matches!(
            self,
            NoteKind::OutsidePeriod
                | NoteKind::NoRateBox
                | NoteKind::RoleDoesNotFit
                | NoteKind::DeferredBase
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineNote {
    pub reference: LineRef,
    pub kind: NoteKind,
}

/// A computed CA3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ca3Return {
    pub period: ReturnPeriod,
    /// Every box of [`Ca3Box::ALL`].
    pub boxes: BTreeMap<Ca3Box, BoxValue>,
    pub adjustments: Vec<Adjustment>,
    /// The tax lines counted in the boxes (for the settlement entry and the account checks).
    pub counted_tax: Vec<VatLine>,
    pub notes: Vec<LineNote>,
    /// Per rate box, the bases of débits as the base lines give them against the bases the
    /// due tax lines declare: they differ when a base line is untagged (or tagged alone).
    pub base_ties: Vec<BaseTie>,
}

/// A rate box's débits base from its base lines against the one its tax lines declare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseTie {
    pub rate_box: Ca3Box,
    /// Sum of the base lines counted in the box (to the cent).
    pub from_base_lines: Amount,
    /// Sum of the `base` of the due tax lines on débits counted in the box.
    pub from_tax_lines: Amount,
}

impl BaseTie {
    pub fn ties(&self) -> bool {
        self.from_base_lines == self.from_tax_lines
    }
}

impl Ca3Return {
    pub fn get(&self, b: Ca3Box) -> &BoxValue {
        static EMPTY: BoxValue = BoxValue {
            raw_base: Amount::ZERO,
            raw_tax: Amount::ZERO,
            base: None,
            tax: None,
            lines: Vec::new(),
        };
        self.boxes.get(&b).unwrap_or(&EMPTY)
    }

    /// The whole-euro amount a box shows in its tax column (zero where it has none).
    pub fn tax(&self, b: Ca3Box) -> Amount {
        self.get(b).tax.unwrap_or(Amount::ZERO)
    }

    /// The whole-euro amount a box shows in its base column (zero where it has none).
    pub fn base(&self, b: Ca3Box) -> Amount {
        self.get(b).base.unwrap_or(Amount::ZERO)
    }

    /// Net signed movement (debit − credit) of the counted tax lines, per account: what the
    /// boxes explain of each VAT account.
    pub fn explained_by_account(&self) -> Result<BTreeMap<AccountNumber, Amount>, VatError> {
        let mut out: BTreeMap<AccountNumber, Amount> = BTreeMap::new();
        for line in &self.counted_tax {
            let slot = out.entry(line.account.clone()).or_default();
            *slot = slot.checked_add(line.amount).ok_or(VatError::Overflow)?;
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatError {
    #[error(
        "period {period} does not match the company's {} VAT returns",
        match expected { Periodicity::Monthly => "monthly", Periodicity::Quarterly => "quarterly" }
    )]
    PeriodicityMismatch {
        period: ReturnPeriod,
        expected: Periodicity,
    },
    #[error("credit carried from the previous return ({0}) must be zero or more, whole euros")]
    CarriedCredit(Amount),
    #[error("tax code {code}: `{text}` is not a CA3 box")]
    UnknownBox { code: String, text: String },
    #[error("VAT amounts too large to add up")]
    Overflow,
}

/// The VAT accounts' movement (debit − credit) in the period, as the ledger has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountMovement {
    pub account: AccountNumber,
    pub movement: Amount,
}

/// A line on a VAT account (445…) without a tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UntaggedLine {
    pub reference: LineRef,
    pub date: NaiveDate,
    pub account: AccountNumber,
    pub amount: Amount,
}

/// One account's movement against what the boxes explain of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountCheck {
    pub account: AccountNumber,
    pub movement: Amount,
    pub explained: Amount,
    /// `movement − explained`: zero when the boxes explain the account.
    pub difference: Amount,
}

/// The consistency checks shown with the worksheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checks {
    pub accounts: Vec<AccountCheck>,
    /// Untagged lines on 445… accounts dated in the period: reported, never counted.
    pub untagged: Vec<UntaggedLine>,
    /// The notes that ask the user to look ([`NoteKind::is_problem`]).
    pub notes: Vec<LineNote>,
    /// The rate boxes whose base lines and tax lines disagree on the base.
    pub bases: Vec<BaseTie>,
}

impl Checks {
    pub fn is_clean(&self) -> bool {
        self.accounts.iter().all(|c| c.difference.is_zero())
            && self.untagged.is_empty()
            && self.notes.is_empty()
            && self.bases.is_empty()
    }
}

/// The checks of a return: for each account of `movements` or of the counted tax lines, its
/// movement against the counted lines on it; the untagged VAT lines of the period; the notes
/// on lines; the rate boxes whose base lines and tax lines disagree on the base. Pass the movements of the accounts the tax codes post due VAT to (44571, 44566,
/// 44562, 445662, 4452), not the waiting accounts 44574 / 44564, which no box explains.
pub fn consistency_checks(
    ret: &Ca3Return,
    movements: &[AccountMovement],
    untagged: &[UntaggedLine],
) -> Result<Checks, VatError> {
    let explained = ret.explained_by_account()?;
    let mut moved: BTreeMap<AccountNumber, Amount> = BTreeMap::new();
    for m in movements {
        let slot = moved.entry(m.account.clone()).or_default();
        *slot = slot.checked_add(m.movement).ok_or(VatError::Overflow)?;
    }
    let mut accounts: Vec<AccountNumber> = moved.keys().chain(explained.keys()).cloned().collect();
    accounts.sort();
    accounts.dedup();
    let mut checks = Vec::with_capacity(accounts.len());
    for account in accounts {
        let movement = moved.get(&account).copied().unwrap_or_default();
        let explained = explained.get(&account).copied().unwrap_or_default();
        let difference = movement.checked_sub(explained).ok_or(VatError::Overflow)?;
        checks.push(AccountCheck {
            account,
            movement,
            explained,
            difference,
        });
    }
    let untagged = untagged
        .iter()
        .filter(|l| l.account.starts_with("445") && ret.period.contains(l.date))
        .cloned()
        .collect();
    Ok(Checks {
        accounts: checks,
        untagged,
        notes: ret
            .notes
            .iter()
            .filter(|n| n.kind.is_problem())
            .cloned()
            .collect(),
        bases: ret
            .base_ties
            .iter()
            .filter(|t| !t.ties())
            .cloned()
            .collect(),
    })
}

/// One row of the CSV export: `box,label,base,tax`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoxRow {
    pub code: &'static str,
    pub label: &'static str,
    /// Whole euros; `None` (an empty field) where the box has no base.
    pub base: Option<Amount>,
    /// Whole euros; `None` where the box has no tax. Total lines carry their amount here.
    pub tax: Option<Amount>,
}

impl BoxRow {
    /// The four CSV fields, amounts in whole euros without decimals (`1234`, `-5`).
    pub fn fields(&self) -> [String; 4] {
        let euros = |a: Option<Amount>| a.map(whole_euros).unwrap_or_default();
        [
            self.code.to_string(),
            self.label.to_string(),
            euros(self.base),
            euros(self.tax),
        ]
    }
}

/// `1234` for 1 234,00 €: the amounts of the return are whole euros.
pub fn whole_euros(amount: Amount) -> String {
    amount.cents().div_euclid(100).to_string()
}

/// One row per box, in the form's order (no I/O).
pub fn box_rows(ret: &Ca3Return) -> Vec<BoxRow> {
    Ca3Box::ALL
        .into_iter()
        .map(|b| {
            let value = ret.get(b);
            BoxRow {
                code: b.code(),
                label: b.label(),
                base: if b.has_base() {
                    Some(value.base.unwrap_or_default())
                } else {
                    None
                },
                tax: if b.has_tax() {
                    Some(value.tax.unwrap_or_default())
                } else {
                    None
                },
            }
        })
        .collect()
}
