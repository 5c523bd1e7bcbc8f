//! Aged balance ("balance âgée") of customers or suppliers at a date, from their open items.
//!
//! Rules (the README repeats them for users):
//! - A line ages from its due date (the invoice's or credit note's), or from its own date when
//!   it has none (payments, manual entries). Days past due at `at` = `at` − that date.
//! - Buckets: not yet due (0 days or fewer: a line due on `at` is not late), 1–30, 31–60,
//!   61–90 and over 90 days past due.
//! - Lines outside any group age on their own, each with its whole amount (an unlettered
//!   payment is a negative amount in the bucket of its date).
//! - Lines of one group (a partial group, or a group completed after `at`) settle each other
//!   first-in first-out: the lines on the side of the group's remainder are taken oldest due
//!   first, the other side's total is applied to them in that order, and what is left of each
//!   ages at its own due date; the lines applied in full age at zero. So a partly paid
//!   invoice shows its unpaid rest where the invoice falls due, and the sum of the buckets is
//!   always the sum of the open lines (the party's open balance).
//! - Signs: customers read debit minus credit (what they owe is positive); suppliers read
//!   credit minus debit (what the company owes them is positive).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::{AccountNumber, Amount, EntryId};

/// Customers (letterable 41… accounts) or suppliers (letterable 40… accounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgedSide {
    Customers,
    Suppliers,
}

impl AgedSide {
    pub fn name(self) -> &'static str {
        match self {
            AgedSide::Customers => "customers",
            AgedSide::Suppliers => "suppliers",
        }
    }

    /// A debit-minus-credit amount as this side reads it.
    fn read(self, signed: Amount) -> Option<Amount> {
        match self {
            AgedSide::Customers => Some(signed),
            AgedSide::Suppliers => Amount::ZERO.checked_sub(signed),
        }
    }
}

/// How late an amount is at the report's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Bucket {
    #[serde(rename = "not_due")]
    NotDue,
    #[serde(rename = "days_1_30")]
    Days1To30,
    #[serde(rename = "days_31_60")]
    Days31To60,
    #[serde(rename = "days_61_90")]
    Days61To90,
    #[serde(rename = "days_over_90")]
    DaysOver90,
}

impl Bucket {
    pub const ALL: [Bucket; 5] = [
        Bucket::NotDue,
        Bucket::Days1To30,
        Bucket::Days31To60,
        Bucket::Days61To90,
        Bucket::DaysOver90,
    ];

    /// The bucket of a number of days past due (zero or negative: not yet due).
    pub fn of_days(days: i64) -> Bucket {
        match days {
            i64::MIN..=0 => Bucket::NotDue,
            1..=30 => Bucket::Days1To30,
            31..=60 => Bucket::Days31To60,
            61..=90 => Bucket::Days61To90,
            _ => Bucket::DaysOver90,
        }
    }

    /// The CSV column name.
    pub fn column(self) -> &'static str {
        match self {
            Bucket::NotDue => "not_due",
            Bucket::Days1To30 => "days_1_30",
            Bucket::Days31To60 => "days_31_60",
            Bucket::Days61To90 => "days_61_90",
            Bucket::DaysOver90 => "days_over_90",
        }
    }

    /// A short title for screens and tables.
    pub fn title(self) -> &'static str {
        match self {
            Bucket::NotDue => "not due",
            Bucket::Days1To30 => "1-30",
            Bucket::Days31To60 => "31-60",
            Bucket::Days61To90 => "61-90",
            Bucket::DaysOver90 => "> 90",
        }
    }

    pub fn index(self) -> usize {
        match self {
            Bucket::NotDue => 0,
            Bucket::Days1To30 => 1,
            Bucket::Days31To60 => 2,
            Bucket::Days61To90 => 3,
            Bucket::DaysOver90 => 4,
        }
    }
}

/// An open line as the ledger passes it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgedItem {
    pub entry_id: EntryId,
    /// The line's index in its entry (from 0).
    pub line_no: u32,
    /// `VE2026-000012`.
    pub entry: String,
    pub journal: String,
    pub date: NaiveDate,
    /// The date the item arose: its own, or for a line carried into an opening entry the date
    /// of the line it stands for. An item counts at a date on or after it.
    pub since: NaiveDate,
    pub piece: String,
    pub label: String,
    pub account: AccountNumber,
    pub party: String,
    pub due: Option<NaiveDate>,
    pub debit: Amount,
    pub credit: Amount,
    /// The code of the group the line settles with (a partial group, or a group completed
    /// after the report's date); none for a line of its own.
    pub group: Option<String>,
}

impl AgedItem {
    /// The date the line ages from: its due date, else the date it arose.
    pub fn aged_from(&self) -> NaiveDate {
        self.due.unwrap_or(self.since)
    }

    fn signed(&self) -> Option<Amount> {
        self.debit.checked_sub(self.credit)
    }
}

/// One open line with what it counts for in the aged balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgedLine {
    #[serde(flatten)]
    pub item: AgedItem,
    /// Days past due at the report's date (negative: due later).
    pub days: i64,
    pub bucket: Bucket,
    /// What the line counts for, signed as the side reads it (zero when the group's other
    /// lines settle it in full).
    pub amount: Amount,
}

/// The five buckets and their total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Buckets {
    pub not_due: Amount,
    pub days_1_30: Amount,
    pub days_31_60: Amount,
    pub days_61_90: Amount,
    pub days_over_90: Amount,
    pub total: Amount,
}

impl Buckets {
    pub fn get(&self, bucket: Bucket) -> Amount {
        match bucket {
            Bucket::NotDue => self.not_due,
            Bucket::Days1To30 => self.days_1_30,
            Bucket::Days31To60 => self.days_31_60,
            Bucket::Days61To90 => self.days_61_90,
            Bucket::DaysOver90 => self.days_over_90,
        }
    }

    fn slot(&mut self, bucket: Bucket) -> &mut Amount {
        match bucket {
            Bucket::NotDue => &mut self.not_due,
            Bucket::Days1To30 => &mut self.days_1_30,
            Bucket::Days31To60 => &mut self.days_31_60,
            Bucket::Days61To90 => &mut self.days_61_90,
            Bucket::DaysOver90 => &mut self.days_over_90,
        }
    }

    fn add(&mut self, bucket: Bucket, amount: Amount) -> Result<(), AgedError> {
        let slot = self.slot(bucket);
        *slot = slot.checked_add(amount).ok_or(AgedError::Overflow)?;
        self.total = self.total.checked_add(amount).ok_or(AgedError::Overflow)?;
        Ok(())
    }

    fn add_all(&mut self, other: &Buckets) -> Result<(), AgedError> {
        for bucket in Bucket::ALL {
            self.add(bucket, other.get(bucket))?;
        }
        Ok(())
    }

    fn is_zero(&self) -> bool {
        Bucket::ALL.iter().all(|b| self.get(*b).is_zero())
    }
}

/// One third party's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgedParty {
    pub party: String,
    pub name: String,
    #[serde(flatten)]
    pub buckets: Buckets,
    /// The open lines at the date, oldest due first.
    pub lines: Vec<AgedLine>,
}

impl AgedParty {
    /// The lines that count in a bucket (`None`: every open line).
    pub fn lines_in(&self, bucket: Option<Bucket>) -> impl Iterator<Item = &AgedLine> {
        self.lines.iter().filter(move |l| match bucket {
            Some(b) => l.bucket == b && !l.amount.is_zero(),
            None => true,
        })
    }
}

/// The aged balance of one side at a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgedBalance {
    pub side: AgedSide,
    pub at: NaiveDate,
    /// Parties with something open, by code.
    pub parties: Vec<AgedParty>,
    pub total: Buckets,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgedError {
    #[error("the amounts of the aged balance overflow")]
    Overflow,
}

/// Builds the aged balance of `items` (the lines open at `at`; those that arose after it are
/// left out). `names` gives each party's name. Parties whose buckets are all zero are left
/// out.
pub fn aged_balance(
    side: AgedSide,
    at: NaiveDate,
    items: Vec<AgedItem>,
    names: &BTreeMap<String, String>,
) -> Result<AgedBalance, AgedError> {
    let mut by_party: BTreeMap<String, Vec<AgedItem>> = BTreeMap::new();
    for item in items.into_iter().filter(|i| i.since <= at) {
        by_party.entry(item.party.clone()).or_default().push(item);
    }
    let mut parties = Vec::new();
    let mut total = Buckets::default();
    for (party, items) in by_party {
        let lines = age_lines(side, at, items)?;
        let mut buckets = Buckets::default();
        for line in &lines {
            buckets.add(line.bucket, line.amount)?;
        }
        if buckets.is_zero() {
            continue;
        }
        total.add_all(&buckets)?;
        parties.push(AgedParty {
            name: names.get(&party).cloned().unwrap_or_default(),
            party,
            buckets,
            lines,
        });
    }
    Ok(AgedBalance {
        side,
        at,
        parties,
        total,
    })
}

/// Ages one party's open lines: each line alone, or first-in first-out inside its group.
fn age_lines(
    side: AgedSide,
    at: NaiveDate,
    items: Vec<AgedItem>,
) -> Result<Vec<AgedLine>, AgedError> {
    let mut alone = Vec::new();
    let mut groups: BTreeMap<(AccountNumber, String), Vec<AgedItem>> = BTreeMap::new();
    for item in items {
        match &item.group {
            Some(code) => groups
                .entry((item.account.clone(), code.clone()))
                .or_default()
                .push(item),
            None => alone.push(item),
        }
    }
    let mut out = Vec::new();
    for item in alone {
        let signed = item.signed().ok_or(AgedError::Overflow)?;
        out.push(line(side, at, item, signed)?);
    }
    for (_, members) in groups {
        out.extend(settle_group(side, at, members)?);
    }
    out.sort_by(|a, b| {
        (
            a.item.aged_from(),
            a.item.date,
            a.item.entry_id,
            a.item.line_no,
        )
            .cmp(&(
                b.item.aged_from(),
                b.item.date,
                b.item.entry_id,
                b.item.line_no,
            ))
    });
    Ok(out)
}

fn line(
    side: AgedSide,
    at: NaiveDate,
    item: AgedItem,
    signed: Amount,
) -> Result<AgedLine, AgedError> {
    let days = at.signed_duration_since(item.aged_from()).num_days();
    Ok(AgedLine {
        days,
        bucket: Bucket::of_days(days),
        amount: side.read(signed).ok_or(AgedError::Overflow)?,
        item,
    })
}

/// The lines of one group: the other side's total settles the remainder's side oldest due
/// first; each line keeps what is left of it.
fn settle_group(
    side: AgedSide,
    at: NaiveDate,
    mut members: Vec<AgedItem>,
) -> Result<Vec<AgedLine>, AgedError> {
    let remainder = members
        .iter()
        .try_fold(Amount::ZERO, |sum, m| sum.checked_add(m.signed()?))
        .ok_or(AgedError::Overflow)?;
    members.sort_by_key(|m| (m.aged_from(), m.date, m.entry_id, m.line_no));
    // The side that stays open: debits when the group's remainder is a debit.
    let open_side_is_debit = remainder.is_positive();
    let is_open_side = |m: &AgedItem| {
        if open_side_is_debit {
            !m.debit.is_zero()
        } else {
            !m.credit.is_zero()
        }
    };
    let mut to_apply = members
        .iter()
        .filter(|m| !is_open_side(m))
        .try_fold(Amount::ZERO, |sum, m| {
            sum.checked_add(m.debit.checked_add(m.credit)?)
        })
        .ok_or(AgedError::Overflow)?;
    let mut out = Vec::with_capacity(members.len());
    for member in members {
        let size = member
            .debit
            .checked_add(member.credit)
            .ok_or(AgedError::Overflow)?;
        let kept = if remainder.is_zero() || !is_open_side(&member) {
            Amount::ZERO
        } else {
            let applied = to_apply.min(size);
            to_apply = to_apply.checked_sub(applied).ok_or(AgedError::Overflow)?;
            size.checked_sub(applied).ok_or(AgedError::Overflow)?
        };
        let signed = if open_side_is_debit {
            kept
        } else {
            Amount::ZERO.checked_sub(kept).ok_or(AgedError::Overflow)?
        };
        out.push(line(side, at, member, signed)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at() -> NaiveDate {
        date(2026, 6, 30)
    }

    /// A line of party `party`, `debit`/`credit` in cents, due `days` days before `at`.
    fn item(id: u64, party: &str, debit: i64, credit: i64, due_days_ago: Option<i64>) -> AgedItem {
        let due = due_days_ago.map(|d| at() - chrono::Duration::days(d));
        AgedItem {
            entry_id: id,
            line_no: 0,
            entry: format!("VE2026-{id:06}"),
            journal: "VE".into(),
            date: date(2026, 1, 1),
            since: date(2026, 1, 1),
            piece: String::new(),
            label: String::new(),
            account: AccountNumber::parse("411000").unwrap(),
            party: party.into(),
            due,
            debit: Amount::from_cents(debit),
            credit: Amount::from_cents(credit),
            group: None,
        }
    }

    fn names() -> BTreeMap<String, String> {
        [("C1".to_string(), "Client un".to_string())].into()
    }

    fn cents(b: &Buckets) -> [i64; 6] {
        [
            b.not_due.cents(),
            b.days_1_30.cents(),
            b.days_31_60.cents(),
            b.days_61_90.cents(),
            b.days_over_90.cents(),
            b.total.cents(),
        ]
    }

    #[test]
    fn days_fall_in_their_bucket_at_every_boundary() {
        let cases = [
            (-5, Bucket::NotDue),
            (0, Bucket::NotDue),
            (1, Bucket::Days1To30),
            (30, Bucket::Days1To30),
            (31, Bucket::Days31To60),
            (60, Bucket::Days31To60),
            (61, Bucket::Days61To90),
            (90, Bucket::Days61To90),
            (91, Bucket::DaysOver90),
            (4000, Bucket::DaysOver90),
        ];
        for (days, bucket) in cases {
            assert_eq!(Bucket::of_days(days), bucket, "{days} days");
        }
    }

    #[test]
    fn invoices_due_at_the_boundaries_land_in_the_right_columns() {
        let items = [0, 1, 30, 31, 60, 61, 90, 91]
            .into_iter()
            .enumerate()
            .map(|(i, days)| item(i as u64 + 1, "C1", 100 * (i as i64 + 1), 0, Some(days)))
            .collect();
        let report = aged_balance(AgedSide::Customers, at(), items, &names()).unwrap();
        assert_eq!(report.parties.len(), 1);
        let row = &report.parties[0];
        assert_eq!(row.name, "Client un");
        // 0 days: 100; 1 and 30: 200 + 300; 31 and 60: 400 + 500; 61 and 90: 600 + 700; 91: 800.
        assert_eq!(cents(&row.buckets), [100, 500, 900, 1300, 800, 3600]);
        assert_eq!(report.total, row.buckets);
        let days: Vec<i64> = row.lines.iter().map(|l| l.days).collect();
        assert_eq!(days, vec![91, 90, 61, 60, 31, 30, 1, 0]);
    }

    #[test]
    fn a_line_without_due_date_ages_from_its_own_date() {
        let mut payment = item(1, "C1", 0, 5000, None);
        payment.since = date(2026, 5, 1); // 60 days before June 30th
        let mut later = item(2, "C1", 0, 1000, None);
        later.since = at();
        let mut after = item(3, "C1", 0, 700, None);
        after.since = date(2026, 7, 1);
        let report = aged_balance(
            AgedSide::Customers,
            at(),
            vec![payment, later, after],
            &names(),
        )
        .unwrap();
        assert_eq!(cents(&report.total), [-1000, 0, -5000, 0, 0, -6000]);
    }

    #[test]
    fn suppliers_read_credit_positive() {
        let invoice = item(1, "F1", 0, 12000, Some(45));
        let payment = item(2, "F1", 2000, 0, Some(0));
        let report = aged_balance(
            AgedSide::Suppliers,
            at(),
            vec![invoice, payment],
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(cents(&report.total), [-2000, 0, 12000, 0, 0, 10000]);
        assert_eq!(report.parties[0].name, "");
    }

    #[test]
    fn a_partial_group_settles_its_oldest_invoice_first() {
        // Invoices of 100.00 (due 100 days ago) and 50.00 (due 40 days ago), a payment of
        // 120.00 yesterday: the payment settles the first in full and 20.00 of the second.
        let mut a = item(1, "C1", 10000, 0, Some(100));
        let mut b = item(2, "C1", 5000, 0, Some(40));
        let mut p = item(3, "C1", 0, 12000, Some(1));
        for line in [&mut a, &mut b, &mut p] {
            line.group = Some("ab".into());
        }
        let report = aged_balance(AgedSide::Customers, at(), vec![p, b, a], &names()).unwrap();
        let row = &report.parties[0];
        assert_eq!(cents(&row.buckets), [0, 0, 3000, 0, 0, 3000]);
        let amounts: Vec<i64> = row.lines.iter().map(|l| l.amount.cents()).collect();
        assert_eq!(amounts, vec![0, 3000, 0]);
        assert_eq!(row.lines_in(Some(Bucket::Days31To60)).count(), 1);
        assert_eq!(row.lines_in(None).count(), 3);
    }

    #[test]
    fn a_group_with_a_credit_remainder_keeps_the_credit_open() {
        // An overpayment: invoice 80.00, payment 100.00; 20.00 of the payment stays open.
        let mut invoice = item(1, "C1", 8000, 0, Some(10));
        let mut payment = item(2, "C1", 0, 10000, Some(5));
        invoice.group = Some("ac".into());
        payment.group = Some("ac".into());
        let report =
            aged_balance(AgedSide::Customers, at(), vec![invoice, payment], &names()).unwrap();
        assert_eq!(cents(&report.total), [0, -2000, 0, 0, 0, -2000]);
    }

    #[test]
    fn a_group_that_nets_to_zero_counts_for_nothing_and_its_party_is_left_out() {
        let mut invoice = item(1, "C1", 8000, 0, Some(10));
        let mut payment = item(2, "C1", 0, 8000, Some(5));
        invoice.group = Some("AD".into());
        payment.group = Some("AD".into());
        let report =
            aged_balance(AgedSide::Customers, at(), vec![invoice, payment], &names()).unwrap();
        assert!(report.parties.is_empty());
        assert_eq!(report.total, Buckets::default());
    }

    #[test]
    fn the_total_of_each_party_is_its_open_balance() {
        let mut items = vec![
            item(1, "C1", 10000, 0, Some(95)),
            item(2, "C1", 0, 3000, None),
            item(3, "C2", 2500, 0, Some(-10)),
            item(4, "C2", 7000, 0, Some(35)),
            item(5, "C2", 0, 7500, Some(2)),
        ];
        items[3].group = Some("aa".into());
        items[4].group = Some("aa".into());
        let report = aged_balance(AgedSide::Customers, at(), items.clone(), &names()).unwrap();
        for row in &report.parties {
            let open: i64 = items
                .iter()
                .filter(|i| i.party == row.party)
                .map(|i| i.debit.cents() - i.credit.cents())
                .sum();
            assert_eq!(row.buckets.total.cents(), open, "{}", row.party);
            let sum: i64 = Bucket::ALL
                .iter()
                .map(|b| row.buckets.get(*b).cents())
                .sum();
            assert_eq!(sum, open);
        }
        assert_eq!(
            report.total.total.cents(),
            10000 - 3000 + 2500 + 7000 - 7500
        );
        // C2: 2500 not due; group aa: 7000 − 7500 leaves 500 of the payment, due 2 days ago.
        assert_eq!(
            cents(&report.parties[1].buckets),
            [2500, -500, 0, 0, 0, 2000]
        );
    }

    #[test]
    fn overflowing_amounts_are_refused() {
        let items = vec![
            item(1, "C1", Amount::MAX.cents(), 0, Some(1)),
            item(2, "C1", i64::MAX - Amount::MAX.cents() + 1, 0, Some(1)),
        ];
        assert_eq!(
            aged_balance(AgedSide::Customers, at(), items, &names()),
            Err(AgedError::Overflow)
        );
    }
}
