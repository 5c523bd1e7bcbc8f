//! Fiscal years and their monthly periods.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A calendar month, the unit of period locking and of running totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    pub fn of(date: NaiveDate) -> Self {
        Period {
            year: date.year(),
            month: date.month(),
        }
    }

    /// `202603` for March 2026: ordered like the periods themselves.
    pub fn key(self) -> u32 {
        (self.year.max(0) as u32) * 100 + self.month
    }

    pub fn from_key(key: u32) -> Self {
        Period {
            year: (key / 100) as i32,
            month: key % 100,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Period {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Parses `2026-03` or `03/2026`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (year, month) = if let Some((y, m)) = text.split_once('-') {
            (y, m)
        } else {
            let (m, y) = text.split_once('/')?;
            (y, m)
        };
        let year: i32 = year.parse().ok()?;
        let month: u32 = month.parse().ok()?;
        ((1..=12).contains(&month) && (1000..=9999).contains(&year))
            .then_some(Period { year, month })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum YearStatus {
    Open,
    Closed,
}

/// A fiscal year: whole months from `start` (a first of month) to `end` (a last of month).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiscalYear {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub status: YearStatus,
    /// Locked periods, as period keys (`202603`), sorted.
    pub locked_periods: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FiscalYearError {
    #[error("a fiscal year starts on the first day of a month, not on {0}")]
    StartNotFirstOfMonth(NaiveDate),
    #[error("a fiscal year lasts 1 to {max} months, not {months}")]
    BadLength { months: u32, max: u32 },
}

impl FiscalYear {
    /// A year of `months` months from `start`. The first year of a company may last 1 to 23
    /// months; the following ones 12 (the caller says which applies through `max_months`).
    pub fn new(start: NaiveDate, months: u32, max_months: u32) -> Result<Self, FiscalYearError> {
        if start.day() != 1 {
            return Err(FiscalYearError::StartNotFirstOfMonth(start));
        }
        if !(1..=max_months).contains(&months) {
            return Err(FiscalYearError::BadLength {
                months,
                max: max_months,
            });
        }
        let end = start
            .checked_add_months(Months::new(months))
            .and_then(|d| d.pred_opt())
            .ok_or(FiscalYearError::BadLength {
                months,
                max: max_months,
            })?;
        Ok(FiscalYear {
            start,
            end,
            status: YearStatus::Open,
            locked_periods: Vec::new(),
        })
    }

    /// The year's name: the calendar year of its closing date (`2026` for Jan–Dec 2026,
    /// `2027` for Jul 2026 – Jun 2027), as numbering and FEC file names use it.
    pub fn name(&self) -> String {
        self.end.year().to_string()
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    pub fn is_open(&self) -> bool {
        self.status == YearStatus::Open
    }

    pub fn periods(&self) -> Vec<Period> {
        let mut out = Vec::new();
        let mut period = Period::of(self.start);
        let last = Period::of(self.end);
        while period <= last {
            out.push(period);
            period = period.next();
        }
        out
    }

    pub fn is_locked(&self, period: Period) -> bool {
        self.locked_periods.binary_search(&period.key()).is_ok()
    }

    pub fn lock(&mut self, period: Period) {
        if let Err(at) = self.locked_periods.binary_search(&period.key()) {
            self.locked_periods.insert(at, period.key());
        }
    }

    pub fn unlock(&mut self, period: Period) {
        self.locked_periods.retain(|key| *key != period.key());
    }

    /// The date accepts entries: inside this year, the year open, the period unlocked.
    pub fn accepts(&self, date: NaiveDate) -> bool {
        self.contains(date) && self.is_open() && !self.is_locked(Period::of(date))
    }

    pub fn months(&self) -> u32 {
        self.periods().len() as u32
    }
}

/// Parses `YYYY-MM-DD` or `DD/MM/YYYY`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
        .filter(|_| text.len() == 10)
}

/// Serialises a date as chrono does (`2026-03-31`), without chrono's formatting machinery,
/// which a serialiser such as postcard runs twice per date (once to count the bytes). The
/// bytes are the same, so stored values read back unchanged; `#[serde(serialize_with =
/// "iso_date")]` on a hot field.
pub fn iso_date<S: serde::Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    let (year, month, day) = (date.year(), date.month(), date.day());
    let Ok(year) = u32::try_from(year) else {
        return date.serialize(serializer);
    };
    if year > 9999 {
        return date.serialize(serializer);
    }
    let digit = |n: u32| b'0'.saturating_add((n % 10) as u8);
    let text = [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ];
    match std::str::from_utf8(&text) {
        Ok(text) => serializer.serialize_str(text),
        Err(_) => date.serialize(serializer),
    }
}

/// [`iso_date`] of an optional date, as `Option<NaiveDate>` serialises.
pub fn iso_date_opt<S: serde::Serializer>(
    date: &Option<NaiveDate>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    struct Iso(NaiveDate);
    impl Serialize for Iso {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            iso_date(&self.0, serializer)
        }
    }
    match date {
        Some(date) => serializer.serialize_some(&Iso(*date)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn year_of_any_start_month() {
        let year = FiscalYear::new(d(2026, 7, 1), 12, 12).unwrap();
        assert_eq!(year.end, d(2027, 6, 30));
        assert_eq!(year.name(), "2027");
        assert_eq!(year.periods().len(), 12);
        let long = FiscalYear::new(d(2026, 3, 1), 22, 23).unwrap();
        assert_eq!(long.end, d(2027, 12, 31));
        assert!(FiscalYear::new(d(2026, 3, 2), 12, 23).is_err());
        assert!(FiscalYear::new(d(2026, 3, 1), 24, 23).is_err());
        assert!(FiscalYear::new(d(2026, 3, 1), 0, 23).is_err());
    }

    #[test]
    fn locking_a_period() {
        let mut year = FiscalYear::new(d(2026, 1, 1), 12, 12).unwrap();
        year.lock(Period::parse("2026-03").unwrap());
        assert!(!year.accepts(d(2026, 3, 31)));
        assert!(year.accepts(d(2026, 4, 1)));
        year.unlock(Period::parse("03/2026").unwrap());
        assert!(year.accepts(d(2026, 3, 31)));
    }

    #[test]
    fn dates_in_two_notations() {
        assert_eq!(parse_date("2026-02-28"), Some(d(2026, 2, 28)));
        assert_eq!(parse_date("28/02/2026"), Some(d(2026, 2, 28)));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("2026-2-3"), None);
    }

    #[test]
    fn iso_date_writes_chronos_bytes() {
        #[derive(Serialize)]
        struct Fast(#[serde(serialize_with = "iso_date")] NaiveDate);
        #[derive(Serialize)]
        struct FastOpt(#[serde(serialize_with = "iso_date_opt")] Option<NaiveDate>);
        let mut dates: Vec<NaiveDate> = [
            (1, 1, 1),
            (9, 12, 31),
            (99, 2, 28),
            (999, 7, 4),
            (1000, 1, 1),
            (1999, 12, 31),
            (2026, 3, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 15),
            (0, 2, 29),
        ]
        .into_iter()
        .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
        .collect();
        dates.extend([NaiveDate::MIN, NaiveDate::MAX]);
        let mut day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        while day.year() < 2027 {
            dates.push(day);
            day = day.succ_opt().unwrap();
        }
        for date in dates {
            assert_eq!(
                postcard::to_allocvec(&Fast(date)).unwrap(),
                postcard::to_allocvec(&date).unwrap(),
                "{date}"
            );
            assert_eq!(
                postcard::to_allocvec(&FastOpt(Some(date))).unwrap(),
                postcard::to_allocvec(&Some(date)).unwrap()
            );
            let back: NaiveDate =
                postcard::from_bytes(&postcard::to_allocvec(&Fast(date)).unwrap()).unwrap();
            assert_eq!(back, date);
        }
        assert_eq!(
            postcard::to_allocvec(&FastOpt(None)).unwrap(),
            postcard::to_allocvec(&None::<NaiveDate>).unwrap()
        );
    }
}
