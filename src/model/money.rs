//! Amounts of money in euros, always at a scale of 2 decimals.
//!
//! Arithmetic here is checked: an operator that would overflow panics instead of wrapping into
//! a wrong figure, and code that sums input uses `checked_add` / `checked_sum` to refuse it.

#![warn(clippy::arithmetic_side_effects)]

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Scale of the ledger currency (EUR): cents.
pub const SCALE: u32 = 2;

/// An amount of euros with exactly two decimals. Stored as cents so that sums never round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("empty amount")]
    Empty,
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("`{0}` has more than 2 decimals")]
    TooManyDecimals(String),
    #[error("`{0}` is too large")]
    TooLarge(String),
}

impl Amount {
    pub const ZERO: Amount = Amount(0);
    /// The largest amount accepted (in absolute value): a single amount, a line and an entry's
    /// total stay within it.
    pub const MAX: Amount = Amount(999_999_999_999_999);

    pub const fn from_cents(cents: i64) -> Self {
        Amount(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn abs(self) -> Self {
        Amount(checked(self.0.checked_abs(), "abs"))
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// The sum of `amounts`, or `None` if it does not fit.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Amount>) -> Option<Amount> {
        amounts
            .into_iter()
            .try_fold(Amount::ZERO, |total, amount| total.checked_add(amount))
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, SCALE)
    }

    /// An exact conversion: a decimal with more than 2 significant decimals is refused.
    pub fn from_decimal(value: Decimal) -> Result<Self, AmountError> {
        let normalized = value.normalize();
        if normalized.scale() > SCALE {
            return Err(AmountError::TooManyDecimals(value.to_string()));
        }
        let mut scaled = normalized;
        scaled.rescale(SCALE);
        let mantissa = scaled.mantissa();
        i64::try_from(mantissa)
            .ok()
            .filter(|cents| cents.abs() < MAX_CENTS)
            .map(Amount)
            .ok_or_else(|| AmountError::TooLarge(value.to_string()))
    }

    /// Parses `1234.56`, `1234,56`, `1 234,56`, `1 234.56`, `-12`, `+3,5`.
    /// Spaces (including non-breaking ones) and `'` group thousands. A third decimal is an error.
    pub fn parse(text: &str) -> Result<Self, AmountError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(AmountError::Empty);
        }
        if let Some(amount) = Self::parse_plain(trimmed.as_bytes()) {
            return Ok(amount);
        }
        Self::parse_general(trimmed)
    }

    /// [`Amount::parse`] of any notation it accepts (`trimmed` is not empty).
    fn parse_general(trimmed: &str) -> Result<Self, AmountError> {
        let mut cleaned = String::with_capacity(trimmed.len());
        for ch in trimmed.chars() {
            match ch {
                ' ' | '\u{a0}' | '\u{202f}' | '\'' => {}
                ',' => cleaned.push('.'),
                other => cleaned.push(other),
            }
        }
        let digits = cleaned.strip_prefix(['-', '+']).unwrap_or(&cleaned);
        let well_formed = !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.matches('.').count() <= 1
            && digits != ".";
        if !well_formed {
            return Err(AmountError::NotANumber(trimmed.to_string()));
        }
        let value = Decimal::from_str(&cleaned)
            .map_err(|_| AmountError::NotANumber(trimmed.to_string()))?;
        if value.scale() > SCALE {
            // Trailing zeros (`1,500`) are still more than two decimals as typed: refuse.
            return Err(AmountError::TooManyDecimals(trimmed.to_string()));
        }
        Self::from_decimal(value).map_err(|err| match err {
            AmountError::TooManyDecimals(_) => AmountError::TooManyDecimals(trimmed.to_string()),
            AmountError::TooLarge(_) => AmountError::TooLarge(trimmed.to_string()),
            other => other,
        })
    }

    /// The common shape of imported amounts, `[+-]digits` with up to two decimals after a
    /// dot or a comma, read straight into cents; `None` for any other text (or an amount out
    /// of range), which [`Amount::parse`] then reads the general way.
    fn parse_plain(bytes: &[u8]) -> Option<Self> {
        let (negative, rest) = match bytes.split_first()? {
            (b'-', rest) => (true, rest),
            (b'+', rest) => (false, rest),
            _ => (false, bytes),
        };
        let (units, decimals) = match rest.iter().position(|b| *b == b'.' || *b == b',') {
            Some(at) => {
                let (units, decimals) = rest.split_at(at);
                (units, decimals.get(1..).unwrap_or_default())
            }
            None => (rest, &[][..]),
        };
        // Fifteen digits of units at most: no overflow below.
        if units.is_empty() || units.len() > 15 || decimals.len() > 2 {
            return None;
        }
        if rest.len() > units.len() && decimals.is_empty() {
            return None;
        }
        let mut cents: i64 = 0;
        for b in units.iter().chain(decimals) {
            if !b.is_ascii_digit() {
                return None;
            }
            cents = cents
                .checked_mul(10)?
                .checked_add(i64::from(b.wrapping_sub(b'0')))?;
        }
        for _ in decimals.len()..2 {
            cents = cents.checked_mul(10)?;
        }
        if cents >= MAX_CENTS {
            return None;
        }
        Some(Amount(if negative {
            cents.checked_neg()?
        } else {
            cents
        }))
    }

    /// `1234.56` with a dot, no grouping: for CSV, JSON and hledger.
    pub fn to_plain(self) -> String {
        self.to_string()
    }

    /// `1234,56` with a comma decimal separator, no grouping: for the FEC.
    pub fn to_comma(self) -> String {
        self.to_string().replace('.', ",")
    }

    /// `1 234,56` the French way, for tables shown to people.
    pub fn to_french(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let units = abs.div_euclid(100).to_string();
        let cents = abs.rem_euclid(100);
        let mut grouped = String::with_capacity(units.len().saturating_mul(2));
        for (i, ch) in units.chars().enumerate() {
            if i > 0 && units.len().saturating_sub(i).is_multiple_of(3) {
                grouped.push(' ');
            }
            grouped.push(ch);
        }
        format!("{sign}{grouped},{cents:02}")
    }
}

/// Amounts from ten thousand billion euros (10^13 EUR) are refused: no ledger needs them, and
/// running totals of an account stay far from overflow (9,000 such amounts on one account).
const MAX_CENTS: i64 = 1_000_000_000_000_000;

/// The result of a checked operation: an overflow is a bug upstream (input sums are checked
/// where they are read), never a silently wrapped figure.
fn checked(value: Option<i64>, what: &str) -> i64 {
    match value {
        Some(value) => value,
        None => panic!("amount overflow in {what}"),
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let text = format!("{sign}{}.{:02}", abs.div_euclid(100), abs.rem_euclid(100));
        f.pad(&text)
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse(s)
    }
}

impl Add for Amount {
    type Output = Amount;
    fn add(self, rhs: Amount) -> Amount {
        Amount(checked(self.0.checked_add(rhs.0), "add"))
    }
}

impl AddAssign for Amount {
    fn add_assign(&mut self, rhs: Amount) {
        *self = Amount(checked(self.0.checked_add(rhs.0), "add"));
    }
}

impl Sub for Amount {
    type Output = Amount;
    fn sub(self, rhs: Amount) -> Amount {
        Amount(checked(self.0.checked_sub(rhs.0), "sub"))
    }
}

impl SubAssign for Amount {
    fn sub_assign(&mut self, rhs: Amount) {
        *self = Amount(checked(self.0.checked_sub(rhs.0), "sub"));
    }
}

impl Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Amount {
        Amount(checked(self.0.checked_neg(), "neg"))
    }
}

impl Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Amount> for Amount {
    fn sum<I: Iterator<Item = &'a Amount>>(iter: I) -> Amount {
        iter.copied().sum()
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.to_plain())
        } else {
            serializer.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            Amount::parse(&text).map_err(serde::de::Error::custom)
        } else {
            i64::deserialize(deserializer).map(Amount)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_french_and_plain_notations() {
        assert_eq!(Amount::parse("1234.56"), Ok(Amount(123456)));
        assert_eq!(Amount::parse("1234,56"), Ok(Amount(123456)));
        assert_eq!(Amount::parse("1 234,56"), Ok(Amount(123456)));
        assert_eq!(Amount::parse("1\u{a0}234.5"), Ok(Amount(123450)));
        assert_eq!(Amount::parse("-12"), Ok(Amount(-1200)));
        assert_eq!(Amount::parse("+0,05"), Ok(Amount(5)));
        assert_eq!(Amount::parse(" 7 "), Ok(Amount(700)));
    }

    proptest! {
        /// The shortcut for plain amounts reads what the general parser reads.
        #[test]
        fn plain_amounts_read_as_the_general_parser_reads(
            text in "[+-]?[0-9]{0,17}([.,][0-9]{0,4})?",
        ) {
            if !text.is_empty() {
                prop_assert_eq!(Amount::parse(&text), Amount::parse_general(&text));
            }
        }
    }

    proptest! {
        /// Any text at all (signs, digits, separators, grouping, letters, spaces): `parse`
        /// accepts what the general parser (rust_decimal's) accepts, with the same amount, and
        /// refuses the rest with the same error.
        #[test]
        fn any_text_reads_as_the_general_parser_reads(
            text in "[ +\\-0-9.,'a\u{a0}\u{202f}]{1,24}",
        ) {
            let trimmed = text.trim();
            let expected = if trimmed.is_empty() {
                Err(AmountError::Empty)
            } else {
                Amount::parse_general(trimmed)
            };
            prop_assert_eq!(Amount::parse(&text), expected);
        }

        /// Around the largest amount, where the shortcut hands over to the general parser.
        #[test]
        fn large_amounts_read_as_the_general_parser_reads(
            sign in "[+-]?",
            units in 0i64..20_000_000_000_000,
            decimals in "([.,][0-9]{0,3})?",
        ) {
            let text = format!("{sign}{units}{decimals}");
            prop_assert_eq!(Amount::parse(&text), Amount::parse_general(&text));
        }
    }

    #[test]
    fn plain_amounts_at_the_edges() {
        for text in [
            "0",
            "-0",
            "+0,0",
            "999999999999999",
            "9999999999999,99",
            "-9999999999999.99",
            "10000000000000",
            "99999999999999,99",
            "1.",
            "-,5",
            "00012,30",
            "1,5",
            "9999999999999.999",
            "10000000000000.00",
            "-10000000000000",
            "+",
            "-",
            ".",
            ",5",
            "+-1",
            "1,2,3",
            "1.2.3",
        ] {
            assert_eq!(Amount::parse(text), Amount::parse_general(text), "{text}");
        }
    }

    #[test]
    fn refuses_a_third_decimal_and_garbage() {
        assert!(matches!(
            Amount::parse("1,234"),
            Err(AmountError::TooManyDecimals(_))
        ));
        assert!(matches!(
            Amount::parse("1.500"),
            Err(AmountError::TooManyDecimals(_))
        ));
        assert!(matches!(
            Amount::parse("12a"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            Amount::parse("1.2.3"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            Amount::parse("."),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            Amount::parse("1e5"),
            Err(AmountError::NotANumber(_))
        ));
        assert_eq!(Amount::parse(""), Err(AmountError::Empty));
        assert!(matches!(
            Amount::parse("99999999999999999999"),
            Err(AmountError::TooLarge(_))
        ));
    }

    #[test]
    fn formats_for_people_and_files() {
        let amount = Amount(-123456789);
        assert_eq!(amount.to_string(), "-1234567.89");
        assert_eq!(amount.to_comma(), "-1234567,89");
        assert_eq!(amount.to_french(), "-1 234 567,89");
        assert_eq!(Amount(5).to_french(), "0,05");
        assert_eq!(format!("{:>8}", Amount(100)), "    1.00");
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(cents in -MAX_CENTS + 1..MAX_CENTS) {
            let amount = Amount(cents);
            prop_assert_eq!(Amount::parse(&amount.to_plain()), Ok(amount));
            prop_assert_eq!(Amount::parse(&amount.to_comma()), Ok(amount));
            prop_assert_eq!(Amount::parse(&amount.to_french()), Ok(amount));
            prop_assert_eq!(Amount::from_decimal(amount.to_decimal()), Ok(amount));
        }

        #[test]
        fn postcard_round_trips(cents in any::<i64>()) {
            let amount = Amount(cents);
            let bytes = postcard::to_allocvec(&amount).unwrap();
            prop_assert_eq!(postcard::from_bytes::<Amount>(&bytes).unwrap(), amount);
        }
    }
}
