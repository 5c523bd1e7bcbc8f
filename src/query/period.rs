//! Previous and next period of the same length, as hledger-ui steps through time.
//!
//! A range made of whole months (a month, a quarter, a fiscal year) steps by its number of
//! months, so March steps to February whatever their lengths; any other range steps by its
//! number of days.

use chrono::{Months, NaiveDate};

use crate::model::calendar::Period;

/// Which way to step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Previous,
    Next,
}

/// How many whole months `from..=to` covers, when it starts on a first day and ends on a last
/// day.
fn whole_months(from: NaiveDate, to: NaiveDate) -> Option<u32> {
    let (first, last) = (Period::of(from), Period::of(to));
    if from != first.first_day() || to != last.last_day() {
        return None;
    }
    let months = (last.year - first.year) * 12 + last.month as i32 - first.month as i32 + 1;
    u32::try_from(months).ok().filter(|m| *m > 0)
}

/// The range of the same length before or after `from..=to`; `None` past the calendar's ends.
pub fn step(from: NaiveDate, to: NaiveDate, step: Step) -> Option<(NaiveDate, NaiveDate)> {
    if from > to {
        return None;
    }
    if let Some(months) = whole_months(from, to) {
        let months = Months::new(months);
        let start = match step {
            Step::Previous => from.checked_sub_months(months)?,
            Step::Next => from.checked_add_months(months)?,
        };
        let end = start.checked_add_months(months)?.pred_opt()?;
        return Some((start, end));
    }
    let days = (to - from).num_days() + 1;
    let shift = chrono::Duration::days(match step {
        Step::Previous => -days,
        Step::Next => days,
    });
    Some((
        from.checked_add_signed(shift)?,
        to.checked_add_signed(shift)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_quarters_and_years_step_by_months() {
        assert_eq!(
            step(d(2026, 3, 1), d(2026, 3, 31), Step::Previous),
            Some((d(2026, 2, 1), d(2026, 2, 28)))
        );
        assert_eq!(
            step(d(2026, 2, 1), d(2026, 2, 28), Step::Next),
            Some((d(2026, 3, 1), d(2026, 3, 31)))
        );
        assert_eq!(
            step(d(2026, 1, 1), d(2026, 12, 31), Step::Next),
            Some((d(2027, 1, 1), d(2027, 12, 31)))
        );
        // A fiscal year from July.
        assert_eq!(
            step(d(2026, 7, 1), d(2027, 6, 30), Step::Previous),
            Some((d(2025, 7, 1), d(2026, 6, 30)))
        );
    }

    #[test]
    fn other_ranges_step_by_days() {
        assert_eq!(
            step(d(2026, 10, 1), d(2026, 10, 15), Step::Next),
            Some((d(2026, 10, 16), d(2026, 10, 30)))
        );
        assert_eq!(
            step(d(2026, 3, 5), d(2026, 3, 5), Step::Previous),
            Some((d(2026, 3, 4), d(2026, 3, 4)))
        );
    }

    proptest! {
        /// Stepping back then forward returns the range, and the length is kept (in months for
        /// whole months, in days otherwise).
        #[test]
        fn back_and_forth_is_the_same_range(
            y in 1990i32..2100, m in 1u32..=12, day in 1u32..=28, len in 0i64..800,
        ) {
            let from = d(y, m, day);
            let to = from + chrono::Duration::days(len);
            let (pf, pt) = step(from, to, Step::Previous).unwrap();
            prop_assert!(pt < from);
            match whole_months(from, to) {
                Some(n) => {
                    prop_assert_eq!(whole_months(pf, pt), Some(n));
                    prop_assert_eq!(step(pf, pt, Step::Next), Some((from, to)));
                }
                None => {
                    prop_assert_eq!((pt - pf).num_days(), len);
                    // A day range landing on whole months steps on by months from there.
                    if whole_months(pf, pt).is_none() {
                        prop_assert_eq!(step(pf, pt, Step::Next), Some((from, to)));
                    }
                }
            }
        }
    }
}
