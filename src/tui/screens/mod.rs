//! Screens: each one holds what it shows, reloads it from the ledger, draws it and turns
//! actions into outcomes. The application keeps them on a navigation stack.

pub mod aged;
pub mod balance;
pub mod bank;
pub mod chart;
pub mod closing;
pub mod document;
pub mod documents;
pub mod editor;
pub mod entries;
pub mod entry;
pub mod history;
pub mod home;
pub mod ledger;
pub mod lettering;
pub mod parties;
pub mod statements;

use chrono::{Datelike, NaiveDate};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, Context};
use super::keymap::{Key, Keymap};
use super::route::Route;
use super::theme::Theme;
use super::widgets::list::ListView;
use crate::ledger::{Ctx, Ledger, LedgerError, Selection};
use crate::model::calendar::Period;
use crate::model::{Amount, Entry, EntryId, EntryInput, FiscalYear, sanitize_text};
use crate::query::period::{self, Step};

/// What a screen may use while it handles an action.
pub struct Env<'a> {
    pub ledger: &'a Ledger,
    pub ctx: &'a Ctx,
    pub keymap: &'a Keymap,
}

/// Which generic keys a screen takes besides its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Form,
}

/// A question in the prompt line, and what the answer is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub title: String,
    pub initial: String,
    pub purpose: Purpose,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Journal,
    ValidateUntil,
    Range,
    /// The date of the reversal of a validated entry (the application answers it).
    Reverse {
        id: EntryId,
        reference: String,
    },
}

/// A yes/no question; `yes` runs on confirmation.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub message: String,
    pub yes: Command,
}

/// What a screen asks the application to run (after the user confirmed, when asked).
#[derive(Debug, Clone)]
pub enum Command {
    /// A change to the ledger, through the application's one write path.
    Write(Write),
    /// Leave the current screen, dropping what was typed.
    Discard,
    /// Read the record being edited again, dropping what was typed.
    Revert,
    /// Quit, dropping what was typed.
    Quit,
}

/// Every change the interface makes to the ledger. Screens never write: they return a
/// `Write`, and `App::write` runs it, says what was done on the status line and reads the
/// screens again.
#[derive(Debug, Clone)]
pub enum Write {
    /// Saves the entry grid: a new draft, or the draft `id` changed; then validates it when
    /// asked.
    SaveEntry {
        /// The draft and the revision the grid opened.
        id: Option<(EntryId, u64)>,
        input: EntryInput,
        validate: bool,
        /// The parked entry the grid was resumed from: removed as the draft is saved.
        parked: Option<u64>,
    },
    /// Parks the unfinished entry of the grid outside the books (over parked entry `id`
    /// when it was resumed from one).
    Park {
        id: Option<u64>,
        input: crate::ledger::ParkedInput,
    },
    /// Drops a parked entry.
    DropParked {
        id: u64,
    },
    /// Validation may be long: it runs as a background job and can be cancelled.
    Validate {
        selection: Selection,
        what: String,
    },
    Reverse {
        id: EntryId,
        date: NaiveDate,
    },
    Delete {
        id: EntryId,
    },
    /// Close a fiscal year (after its preview was shown and confirmed).
    CloseYear {
        year: String,
    },
    /// Letter lines together (a new group, or joining the partial group some belong to).
    Letter {
        lines: Vec<crate::lettering::LineRef>,
    },
    /// Complete the group of these lines with a write-off entry (after its preview).
    WriteOff {
        lines: Vec<crate::lettering::LineRef>,
    },
    /// Letter an account and party by the automatic rules (after the preview of a dry run).
    LetterAuto {
        account: crate::model::AccountNumber,
        party: String,
    },
    /// Remove a letter group.
    Unletter {
        account: crate::model::AccountNumber,
        code: String,
    },
    /// A change of the reconciliation session (a bank line reconciled, posted, paid...).
    Bank(bank::BankWrite),
}

impl From<Write> for Command {
    fn from(write: Write) -> Self {
        Command::Write(write)
    }
}

/// A saved entry grid, handed back to the screen that asked for it.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The draft as saved.
    pub entry: Entry,
    pub input: EntryInput,
    /// When validation was asked: the validated entry, or why it was refused.
    pub validated: Option<Result<Entry, String>>,
}

/// What handling an action led to.
pub enum Outcome {
    None,
    /// Go to a screen (the current one stays behind it).
    Open(Route),
    /// Go back one screen.
    Back,
    /// Go back one screen and say what was done.
    Done(String),
    Info(String),
    Error(String),
    Prompt(Prompt),
    Confirm(Confirm),
    Run(Command),
}

impl From<LedgerError> for Outcome {
    fn from(err: LedgerError) -> Self {
        Outcome::Error(err.to_string())
    }
}

impl From<Write> for Outcome {
    fn from(write: Write) -> Self {
        Outcome::Run(Command::Write(write))
    }
}

pub trait Screen {
    fn context(&self) -> Context;

    /// The title shown in the top bar.
    fn title(&self) -> String;

    fn focus(&self) -> Focus {
        Focus::List
    }

    /// Whether typed characters go to a text field rather than to key bindings.
    fn wants_text(&self) -> bool {
        false
    }

    /// Reads the ledger again, keeping the cursor on the same record when it still exists.
    fn reload(&mut self, env: &Env) -> Result<(), LedgerError>;

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, keymap: &Keymap);

    /// Where the text cursor goes, as last drawn (screens with text fields).
    fn caret(&self) -> Option<(u16, u16)> {
        None
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome;

    /// A key for the screen's text field.
    fn input(&mut self, _key: Key, _env: &Env) -> Outcome {
        Outcome::None
    }

    /// The answer to a prompt the screen asked.
    fn answer(&mut self, _purpose: &Purpose, _text: &str, _env: &Env) -> Outcome {
        Outcome::None
    }

    /// The entry grid the screen asked to save was saved.
    fn saved(&mut self, _saved: &Saved) -> Outcome {
        Outcome::None
    }

    /// The ledger refused the entry grid's save: what the screen makes of it.
    fn save_refused(&mut self, err: LedgerError) -> Outcome {
        Outcome::Error(err.to_string())
    }

    /// The record shown or under the cursor, as the audit log names it (`entry:42`).
    fn record(&self) -> Option<String> {
        None
    }

    /// The journal a new entry typed from here starts in.
    fn journal(&self) -> Option<String> {
        None
    }

    /// The screen's list: the application moves its cursor, marks its rows and filters it.
    fn list(&self) -> Option<&dyn ListView> {
        None
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        None
    }

    /// Typed work would be lost by leaving.
    fn is_dirty(&self) -> bool {
        false
    }

    /// Drops what was typed and shows the record as it is stored now.
    fn revert(&mut self, _env: &Env) -> Outcome {
        Outcome::None
    }

    /// Lines were lettered from this screen and nothing else changed in the ledger: a screen
    /// that can show the result without reading the ledger again does so and returns true.
    fn lettered(&mut self, _group: &crate::lettering::Group) -> bool {
        false
    }

    /// The back key, before it leaves the screen: a screen of several panes goes up to its
    /// first one and says so by returning true.
    fn back_within(&mut self) -> bool {
        false
    }

    /// An entry saved from the grid opened over this screen: the list puts its cursor on it.
    fn show_entry(&mut self, _id: EntryId, _env: &Env) {}

    /// A key hint for the status line when nothing else is shown.
    fn hints(&self, _keymap: &Keymap) -> Vec<(String, &'static str)> {
        Vec::new()
    }

    /// Whether a key bound to `action` in this screen's own table has nothing to act on now,
    /// so that the key means what the list, form or global table makes of it (the bank
    /// session's digits pick candidates while there are some, else switch screens).
    fn passes(&self, _action: Action) -> bool {
        false
    }
}

/// A date range a screen shows, asked for with one prompt: a fiscal year, a month, two dates
/// or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dates {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Dates {
    /// The fiscal year containing today (or the last one); all dates without one.
    pub fn current_year(env: &Env) -> Result<Dates, LedgerError> {
        let years = env.ledger.years()?;
        Ok(match current_year(&years, env.ctx.today) {
            Some(year) => Dates {
                from: Some(year.start),
                to: Some(year.end),
            },
            None => Dates::default(),
        })
    }

    /// The prompt asking for another range.
    pub fn prompt(&self, env: &Env) -> Outcome {
        let years = env.ledger.years().unwrap_or_default();
        Outcome::Prompt(Prompt {
            title: "Dates: a fiscal year (2026), a month (2026-03), two dates or all".into(),
            initial: range_text(self.from, self.to, &years),
            purpose: Purpose::Range,
        })
    }

    /// Reads the answer to `prompt`.
    pub fn parse(text: &str, env: &Env) -> Result<Dates, String> {
        let years = env.ledger.years().map_err(|e| e.to_string())?;
        let (from, to) = parse_range(text, &years, env.ctx.today)?;
        Ok(Dates { from, to })
    }

    /// `2026`, `2026-11`, `all` or two dates, as typed.
    pub fn text(&self, years: &[FiscalYear]) -> String {
        range_text(self.from, self.to, years)
    }

    /// The range shown in titles.
    pub fn title(&self) -> String {
        range_title(self.from, self.to)
    }

    /// The range a period key leads to: the previous or next period of the same length, or
    /// the whole fiscal year of the range's start. `None` for another action; an error when
    /// there is nothing to step from.
    pub fn after_key(&self, action: Action, env: &Env) -> Option<Result<Dates, String>> {
        let step = match action {
            Action::PrevPeriod => Step::Previous,
            Action::NextPeriod => Step::Next,
            Action::WholeYear => return Some(self.whole_year(env)),
            _ => return None,
        };
        let (Some(from), Some(to)) = (self.from, self.to) else {
            return Some(Err(
                "all dates: there is no period to step from (choose one first)".into(),
            ));
        };
        Some(
            period::step(from, to, step)
                .map(|(from, to)| Dates {
                    from: Some(from),
                    to: Some(to),
                })
                .ok_or_else(|| "no period beyond this one".to_string()),
        )
    }

    /// The fiscal year containing the range's start (or today), else all dates.
    fn whole_year(&self, env: &Env) -> Result<Dates, String> {
        let years = env.ledger.years().map_err(|e| e.to_string())?;
        let day = self.from.or(self.to).unwrap_or(env.ctx.today);
        Ok(match years.iter().find(|y| y.contains(day)) {
            Some(year) => Dates {
                from: Some(year.start),
                to: Some(year.end),
            },
            None => Dates::current_year(env).map_err(|e| e.to_string())?,
        })
    }
}

// ----- shared formatting and parsing ------------------------------------------------------------

/// `20/11/2026`: the way French accountants read dates.
pub fn date_text(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// `1 234,56`.
pub fn amount_text(amount: Amount) -> String {
    amount.to_french()
}

/// An amount, or nothing when zero (debit and credit columns).
pub fn amount_or_blank(amount: Amount) -> String {
    if amount.is_zero() {
        String::new()
    } else {
        amount.to_french()
    }
}

/// Text from the ledger or from imported files, safe to draw.
pub fn clean(text: &str) -> String {
    sanitize_text(text)
}

/// Parses a date as accountants type it, completing it from `base`:
/// `20` (day), `2011` or `20/11` (day and month), `201126`, `20112026`, `20/11/26`,
/// `20/11/2026`, `2026-11-20`.
pub fn parse_user_date(text: &str, base: NaiveDate) -> Option<NaiveDate> {
    let text = text.trim();
    if let Some(date) = crate::model::parse_date(text) {
        return Some(date);
    }
    let parts: Vec<&str> = if text.bytes().all(|b| b.is_ascii_digit()) {
        match text.len() {
            1 | 2 => vec![text],
            4 => vec![&text[..2], &text[2..]],
            6 => vec![&text[..2], &text[2..4], &text[4..]],
            8 => vec![&text[..2], &text[2..4], &text[4..]],
            _ => return None,
        }
    } else {
        text.split(['/', '.', '-']).collect()
    };
    let number = |s: &str| s.parse::<u32>().ok();
    let (day, month, year) = match parts.as_slice() {
        [d] => (number(d)?, base.month(), base.year()),
        [d, m] => (number(d)?, number(m)?, base.year()),
        [d, m, y] => {
            let y = number(y)? as i32;
            let y = if y < 100 { 2000 + y } else { y };
            (number(d)?, number(m)?, y)
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// A date range typed by the user: `2026` (fiscal year), `2026-03` or `03/2026` (month),
/// `01/01/2026 30/06/2026` (two dates), `all` or nothing (no limit).
pub fn parse_range(
    text: &str,
    years: &[FiscalYear],
    base: NaiveDate,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("all") {
        return Ok((None, None));
    }
    if let Some(year) = years.iter().find(|y| y.name() == text) {
        return Ok((Some(year.start), Some(year.end)));
    }
    if let Some(period) = Period::parse(text) {
        return Ok((Some(period.first_day()), Some(period.last_day())));
    }
    let parts: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '…')
        .flat_map(|p| p.split(".."))
        .filter(|p| !p.is_empty())
        .collect();
    if let [from, to] = parts.as_slice() {
        let from = parse_user_date(from, base).ok_or(format!("`{from}` is not a date"))?;
        let to = parse_user_date(to, base).ok_or(format!("`{to}` is not a date"))?;
        if from > to {
            return Err(format!("{} is after {}", date_text(from), date_text(to)));
        }
        return Ok((Some(from), Some(to)));
    }
    Err(format!(
        "`{text}`: type a fiscal year (2026), a month (2026-03), two dates or `all`"
    ))
}

/// The range text for a prompt's initial value.
pub fn range_text(from: Option<NaiveDate>, to: Option<NaiveDate>, years: &[FiscalYear]) -> String {
    match (from, to) {
        (None, None) => "all".into(),
        (Some(f), Some(t)) => match years.iter().find(|y| y.start == f && y.end == t) {
            Some(year) => year.name(),
            None if Period::of(f).first_day() == f && Period::of(f).last_day() == t => {
                Period::of(f).to_string()
            }
            None => format!("{} {}", date_text(f), date_text(t)),
        },
        (Some(f), None) => format!("{} …", date_text(f)),
        (None, Some(t)) => format!("… {}", date_text(t)),
    }
}

/// The range shown in titles.
pub fn range_title(from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    match (from, to) {
        (None, None) => "all dates".into(),
        (Some(f), Some(t)) => format!("{} – {}", date_text(f), date_text(t)),
        (Some(f), None) => format!("from {}", date_text(f)),
        (None, Some(t)) => format!("up to {}", date_text(t)),
    }
}

/// The fiscal year a screen shows by default: the one containing today, or the last one.
pub fn current_year(years: &[FiscalYear], today: NaiveDate) -> Option<FiscalYear> {
    years
        .iter()
        .find(|y| y.contains(today))
        .or(years.last())
        .cloned()
}

/// Draws a line of text (made safe), cut to the area's width.
pub fn line(buf: &mut Buffer, area: Rect, y: u16, text: &str, style: ratatui::style::Style) {
    if y < area.bottom() && area.width > 0 {
        super::widgets::text::put(buf, area.x, y, text, area.width as usize, style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_as_accountants_type_them() {
        let base = d(2026, 11, 20);
        assert_eq!(parse_user_date("5", base), Some(d(2026, 11, 5)));
        assert_eq!(parse_user_date("0211", base), Some(d(2026, 11, 2)));
        assert_eq!(parse_user_date("2/3", base), Some(d(2026, 3, 2)));
        assert_eq!(parse_user_date("020326", base), Some(d(2026, 3, 2)));
        assert_eq!(parse_user_date("02032027", base), Some(d(2027, 3, 2)));
        assert_eq!(parse_user_date("2/3/26", base), Some(d(2026, 3, 2)));
        assert_eq!(parse_user_date("2026-03-02", base), Some(d(2026, 3, 2)));
        assert_eq!(parse_user_date("31/02", base), None);
        assert_eq!(parse_user_date("abc", base), None);
        assert_eq!(parse_user_date("", base), None);
    }

    #[test]
    fn ranges_by_year_month_or_dates() {
        let years = vec![FiscalYear::new(d(2026, 1, 1), 12, 12).unwrap()];
        let base = d(2026, 11, 20);
        assert_eq!(
            parse_range("2026", &years, base),
            Ok((Some(d(2026, 1, 1)), Some(d(2026, 12, 31))))
        );
        assert_eq!(
            parse_range("2026-03", &years, base),
            Ok((Some(d(2026, 3, 1)), Some(d(2026, 3, 31))))
        );
        assert_eq!(
            parse_range("1/2 15/2", &years, base),
            Ok((Some(d(2026, 2, 1)), Some(d(2026, 2, 15))))
        );
        assert_eq!(parse_range("all", &years, base), Ok((None, None)));
        assert!(parse_range("15/2 1/2", &years, base).is_err());
        assert!(parse_range("soon", &years, base).is_err());
        assert_eq!(
            range_text(Some(d(2026, 1, 1)), Some(d(2026, 12, 31)), &years),
            "2026"
        );
    }
}
