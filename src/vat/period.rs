//! Return periods: a month (`2026-10`) or a quarter (`2026-Q4`).

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// How often the company files its CA3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Periodicity {
    Monthly,
    Quarterly,
}

/// The period one CA3 covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReturnPeriod {
    /// A calendar month, 1 to 12.
    Month { year: i32, month: u32 },
    /// A calendar quarter, 1 to 4.
    Quarter { year: i32, quarter: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("empty VAT period: expected a month like `2026-10` or a quarter like `2026-Q4`")]
    Empty,
    #[error("VAT period `{0}`: expected a month like `2026-10` or a quarter like `2026-Q4`")]
    Shape(String),
    #[error("VAT period `{0}`: the year must be 4 digits")]
    Year(String),
    #[error("VAT period `{0}`: the month must be 01 to 12")]
    Month(String),
    #[error("VAT period `{0}`: the quarter must be Q1 to Q4")]
    Quarter(String),
}

impl ReturnPeriod {
    /// Parses `2026-10` (month, two digits) or `2026-Q4` (quarter, `q` accepted).
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(PeriodError::Empty);
        }
        let (year_text, rest) = trimmed
            .split_once('-')
            .ok_or_else(|| PeriodError::Shape(trimmed.to_string()))?;
        if year_text.len() != 4 || !year_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PeriodError::Year(trimmed.to_string()));
        }
        let year: i32 = year_text
            .parse()
            .map_err(|_| PeriodError::Year(trimmed.to_string()))?;
        if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            let quarter = match q {
                "1" => 1,
                "2" => 2,
                "3" => 3,
                "4" => 4,
                _ => return Err(PeriodError::Quarter(trimmed.to_string())),
            };
            return Ok(ReturnPeriod::Quarter { year, quarter });
        }
        if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PeriodError::Shape(trimmed.to_string()));
        }
        let month: u32 = rest
            .parse()
            .map_err(|_| PeriodError::Month(trimmed.to_string()))?;
        if rest.len() != 2 || !(1..=12).contains(&month) {
            return Err(PeriodError::Month(trimmed.to_string()));
        }
        Ok(ReturnPeriod::Month { year, month })
    }

    pub fn periodicity(self) -> Periodicity {
        match self {
            ReturnPeriod::Month { .. } => Periodicity::Monthly,
            ReturnPeriod::Quarter { .. } => Periodicity::Quarterly,
        }
    }

    /// First and last month (1–12) of the period.
    fn months(self) -> (i32, u32, u32) {
        match self {
            ReturnPeriod::Month { year, month } => (year, month, month),
            ReturnPeriod::Quarter { year, quarter } => {
                let first = quarter
                    .saturating_sub(1)
                    .saturating_mul(3)
                    .saturating_add(1);
                (year, first, first.saturating_add(2))
            }
        }
    }

    /// The first day of the period.
    pub fn start(self) -> NaiveDate {
        let (year, first, _) = self.months();
        NaiveDate::from_ymd_opt(year, first, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the period.
    pub fn end(self) -> NaiveDate {
        let (year, _, last) = self.months();
        let next = if last == 12 {
            NaiveDate::from_ymd_opt(year.saturating_add(1), 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, last.saturating_add(1), 1)
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date <= self.end()
    }

    /// The period just before this one (for the credit carried on line 22).
    pub fn previous(self) -> Self {
        match self {
            ReturnPeriod::Month { year, month: 1 } => ReturnPeriod::Month {
                year: year.saturating_sub(1),
                month: 12,
            },
            ReturnPeriod::Month { year, month } => ReturnPeriod::Month {
                year,
                month: month.saturating_sub(1),
            },
            ReturnPeriod::Quarter { year, quarter: 1 } => ReturnPeriod::Quarter {
                year: year.saturating_sub(1),
                quarter: 4,
            },
            ReturnPeriod::Quarter { year, quarter } => ReturnPeriod::Quarter {
                year,
                quarter: quarter.saturating_sub(1),
            },
        }
    }

    /// The period of `periodicity` that contains `date`.
    pub fn containing(date: NaiveDate, periodicity: Periodicity) -> Self {
        let year = date.year();
        match periodicity {
            Periodicity::Monthly => ReturnPeriod::Month {
                year,
                month: date.month(),
            },
            Periodicity::Quarterly => ReturnPeriod::Quarter {
                year,
                quarter: date.month0() / 3 + 1,
            },
        }
    }
}

impl fmt::Display for ReturnPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReturnPeriod::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            ReturnPeriod::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
        }
    }
}

impl std::str::FromStr for ReturnPeriod {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReturnPeriod::parse(s)
    }
}

impl serde::Serialize for ReturnPeriod {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
