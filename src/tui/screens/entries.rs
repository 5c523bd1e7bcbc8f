//! Entries of a journal (or all) over a month, a fiscal year or all dates: open, type, edit,
//! validate (one, marked, or all up to a date), reverse, delete.

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::amount::parse_amount;
use super::super::widgets::list::{Fetch, List, ListView, Pager, Row};
use super::super::widgets::table::{Column, search_text};
use super::{
    Confirm, Dates, Env, Outcome, Prompt, Purpose, Screen, Write, amount_text, clean, date_text,
    parse_user_date,
};
use crate::ledger::{EntryFilter, EntryKey, EntryStart, Ledger, LedgerError, Parked, Selection};
use crate::model::{Amount, Entry, EntryId, EntryStatus};
use crate::query::{Field, Fields};

#[derive(Debug, Clone)]
pub struct EntryRow {
    pub id: EntryId,
    pub status: EntryStatus,
    pub reference: String,
    pub date: NaiveDate,
    pub journal: String,
    pub piece: String,
    pub label: String,
    pub debit: Amount,
    pub credit: Amount,
    /// A parked entry (outside the books, to finish in the grid): its number.
    pub parked: Option<u64>,
    /// The accounts of its lines, each once.
    pub accounts: Vec<String>,
    /// The third parties of its lines, each once.
    pub parties: Vec<String>,
}

impl EntryRow {
    pub fn of(entry: &Entry) -> Self {
        EntryRow {
            id: entry.id,
            status: entry.status,
            reference: entry.reference(),
            date: entry.date,
            journal: entry.journal.clone(),
            piece: clean(&entry.piece),
            label: clean(&entry.label),
            debit: entry.total_debit(),
            credit: entry.total_credit(),
            parked: None,
            accounts: distinct(entry.lines.iter().map(|l| l.account.as_str())),
            parties: distinct(entry.lines.iter().filter_map(|l| l.third_party.as_deref())),
        }
    }

    /// A parked entry, as typed: its date when it reads as one (else today), its totals
    /// from the amounts that read as amounts.
    pub fn of_parked(parked: &Parked, today: NaiveDate) -> Self {
        let input = &parked.input;
        let sum = |side: fn(&crate::ledger::ParkedLine) -> &str| {
            input
                .lines
                .iter()
                .filter_map(|l| parse_amount(side(l)).ok())
                .fold(Amount::ZERO, |a, b| a + b)
        };
        EntryRow {
            id: 0,
            status: EntryStatus::Draft,
            reference: parked.reference(),
            date: parse_user_date(&input.date, today).unwrap_or(today),
            journal: clean(&input.journal),
            piece: clean(&input.piece),
            label: clean(&input.label),
            debit: sum(|l| &l.debit),
            credit: sum(|l| &l.credit),
            parked: Some(parked.id),
            accounts: Vec::new(),
            parties: Vec::new(),
        }
    }

    fn entry_key(&self) -> EntryKey {
        EntryKey {
            date: self.date,
            id: self.id,
        }
    }

    /// The number, or for a draft (no number yet) its journal and id: `VE #231`.
    fn number_text(&self) -> String {
        match self.status {
            EntryStatus::Validated => self.reference.clone(),
            EntryStatus::Draft => format!("{} {}", self.journal, self.reference),
        }
    }

    fn status_text(&self) -> &'static str {
        if self.parked.is_some() {
            return "parked";
        }
        match self.status {
            EntryStatus::Draft => "draft",
            EntryStatus::Validated => "valid",
        }
    }
}

/// Each text once, in first-seen order.
fn distinct<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        if !out.iter().any(|t| t == text) {
            out.push(text.to_string());
        }
    }
    out
}

impl Row for EntryRow {
    /// Parked entries have their own numbers: `(true, parked number)`.
    type Key = (bool, u64);

    /// `amt:` compares with the entry's total, the amount the list shows.
    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: self.accounts.iter().map(String::as_str).collect(),
            parties: self.parties.iter().map(String::as_str).collect(),
            journal: Some(&self.journal),
            amounts: vec![self.debit],
            date: Some(self.date),
            // A parked entry is outside the books: neither draft nor validated.
            status: self.parked.is_none().then_some(self.status),
            open: None,
            text: Vec::new(),
        }
    }

    fn known() -> &'static [Field] {
        &[
            Field::Account,
            Field::Party,
            Field::Journal,
            Field::Amount,
            Field::Date,
            Field::Status,
        ]
    }

    fn key(&self) -> (bool, u64) {
        match self.parked {
            Some(parked) => (true, parked),
            None => (false, self.id),
        }
    }

    /// Drafts are marked (to validate them together); their debit adds up.
    fn mark(&self) -> Result<Amount, String> {
        if self.parked.is_some() {
            return Err(format!(
                "{} is parked, outside the books: finish it in the grid first",
                self.reference
            ));
        }
        match self.status {
            EntryStatus::Draft => Ok(self.debit),
            EntryStatus::Validated => Err(format!(
                "{} is validated: only drafts are marked",
                self.reference
            )),
        }
    }

    fn search(&self) -> String {
        search_text(&[
            self.status_text(),
            &self.number_text(),
            &date_text(self.date),
            &self.journal,
            &self.piece,
            &self.label,
            &amount_text(self.debit),
        ])
    }
}

/// The entries of a journal and a period, read by key: a key costs the same on the first
/// entry as on the millionth. The parked entries (few, outside the books) follow the last one.
struct Listing {
    filter: EntryFilter,
    parked: Vec<EntryRow>,
}

impl Listing {
    fn new(filter: EntryFilter, env: &Env) -> Result<Self, LedgerError> {
        let journal = filter.journal.clone();
        let mut parked = Vec::new();
        for entry in env.ledger.parked_entries()? {
            let code = entry.input.journal.trim().to_ascii_uppercase();
            if journal.as_ref().is_none_or(|j| *j == code) {
                parked.push(EntryRow::of_parked(&entry, env.ctx.today));
            }
        }
        Ok(Listing { filter, parked })
    }

    fn entries(
        &self,
        ledger: &Ledger,
        start: EntryStart,
        limit: usize,
    ) -> Result<Vec<EntryRow>, LedgerError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        Ok(ledger
            .entries_window(&self.filter, start, limit)?
            .iter()
            .map(EntryRow::of)
            .collect())
    }

    /// Where a parked row stands among the parked ones.
    fn parked_index(&self, row: &EntryRow) -> usize {
        self.parked
            .iter()
            .position(|p| p.parked == row.parked)
            .unwrap_or(self.parked.len())
    }
}

impl Pager<EntryRow> for Listing {
    fn count(&self, ledger: &Ledger) -> Result<usize, LedgerError> {
        Ok(ledger.entry_filter_count(&self.filter)? + self.parked.len())
    }

    fn fetch(
        &self,
        ledger: &Ledger,
        start: Fetch<'_, EntryRow>,
        limit: usize,
    ) -> Result<Vec<EntryRow>, LedgerError> {
        let parked = |from: usize, to: usize| self.parked[from..to].to_vec();
        Ok(match start {
            Fetch::First => {
                let mut rows = self.entries(ledger, EntryStart::First, limit)?;
                let more = limit.saturating_sub(rows.len()).min(self.parked.len());
                rows.extend(parked(0, more));
                rows
            }
            Fetch::Last => {
                let tail = limit.min(self.parked.len());
                let mut rows = self.entries(ledger, EntryStart::Last, limit - tail)?;
                rows.extend(parked(self.parked.len() - tail, self.parked.len()));
                rows
            }
            Fetch::After(row) if row.parked.is_some() => {
                let from = (self.parked_index(row) + 1).min(self.parked.len());
                parked(from, (from + limit).min(self.parked.len()))
            }
            Fetch::After(row) => {
                let mut rows = self.entries(ledger, EntryStart::After(row.entry_key()), limit)?;
                let more = limit.saturating_sub(rows.len()).min(self.parked.len());
                rows.extend(parked(0, more));
                rows
            }
            Fetch::Before(row) if row.parked.is_some() => {
                let to = self.parked_index(row);
                let from = to.saturating_sub(limit);
                let mut rows = self.entries(ledger, EntryStart::Last, limit - (to - from))?;
                rows.extend(parked(from, to));
                rows
            }
            Fetch::Before(row) => {
                self.entries(ledger, EntryStart::Before(row.entry_key()), limit)?
            }
        })
    }
}

pub struct EntriesScreen {
    journal: Option<String>,
    dates: Dates,
    /// The dates as the user reads them: `2026`, `2026-11`, `all`.
    dates_text: String,
    list: List<EntryRow>,
}

impl EntriesScreen {
    /// The entries of the current fiscal year, the cursor on the latest.
    pub fn new(env: &Env) -> Result<Self, LedgerError> {
        let mut screen = EntriesScreen {
            journal: None,
            dates: Dates::default(),
            dates_text: String::new(),
            list: List::paged(Listing {
                filter: EntryFilter::default(),
                parked: Vec::new(),
            })
            .with_mark_column()
            .with_empty_text("(no entry in this period)"),
        };
        screen.set_dates(Dates::current_year(env)?, env)?;
        screen.open_at_latest(env)?;
        Ok(screen)
    }

    /// Counts the entries listed and puts the cursor on the latest.
    fn open_at_latest(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.list.set_pager(Listing::new(self.filter_range(), env)?);
        self.list.count(env.ledger)?;
        self.list.bottom(env.ledger)
    }

    /// Puts the cursor on the entry at `key`; false when it is not listed.
    fn goto(&mut self, env: &Env, key: EntryKey) -> Result<bool, LedgerError> {
        let filter = self.filter_range();
        let margin = self.list.place_margin();
        let after = env
            .ledger
            .entries_window(&filter, EntryStart::At(key), margin)?;
        if after.first().is_none_or(|e| e.id != key.id) {
            return Ok(false);
        }
        let index = env.ledger.entries_before(&filter, Some(key))?;
        let before = env
            .ledger
            .entries_window(&filter, EntryStart::Before(key), margin)?;
        self.list.place(
            index,
            before.iter().map(EntryRow::of).collect(),
            after.iter().map(EntryRow::of).collect(),
        );
        Ok(true)
    }

    /// Every draft, whatever its date.
    pub fn drafts(env: &Env) -> Result<Self, LedgerError> {
        let mut screen = EntriesScreen::new(env)?;
        screen.set_dates(Dates::default(), env)?;
        screen.open_at_latest(env)?;
        screen.list.set_filter("status:draft", env.ledger)?;
        screen.list.commit_filter(env.ledger)?;
        Ok(screen)
    }

    fn set_dates(&mut self, dates: Dates, env: &Env) -> Result<(), LedgerError> {
        self.dates = dates;
        self.dates_text = dates.text(&env.ledger.years()?);
        Ok(())
    }

    fn filter_range(&self) -> EntryFilter {
        EntryFilter {
            journal: self.journal.clone(),
            from: self.dates.from,
            to: self.dates.to,
        }
    }

    fn selected(&self) -> Option<&EntryRow> {
        self.list.selected()
    }

    /// The entry under the cursor, or why a parked entry does not take `what`.
    fn entry_row(&self, what: &str) -> Result<Option<&EntryRow>, String> {
        match self.selected() {
            Some(row) if row.parked.is_some() => Err(format!(
                "{} is parked, outside the books: it cannot be {what} (enter resumes it)",
                row.reference
            )),
            row => Ok(row),
        }
    }

    fn validate_one(&self) -> Outcome {
        let row = match self.entry_row("validated") {
            Ok(Some(row)) => row,
            Ok(None) => return Outcome::None,
            Err(message) => return Outcome::Error(message),
        };
        if row.status == EntryStatus::Validated {
            return Outcome::Error(format!("{} is already validated", row.reference));
        }
        Outcome::Confirm(Confirm {
            message: format!(
                "Validate draft {} ({} {} {})? It gets its number and can no longer change.",
                row.reference,
                row.journal,
                date_text(row.date),
                row.piece
            ),
            yes: Write::Validate {
                selection: Selection::Entries(vec![row.id]),
                what: row.reference.clone(),
            }
            .into(),
        })
    }

    fn validate_marked(&self) -> Outcome {
        let drafts: Vec<EntryId> = self.list.marks().map(|(_, id)| *id).collect();
        if drafts.is_empty() {
            return Outcome::Error("no draft is marked (mark drafts with the mark key)".into());
        }
        Outcome::Confirm(Confirm {
            message: format!(
                "Validate the {} marked drafts? They get their numbers and can no longer change.",
                drafts.len()
            ),
            yes: Write::Validate {
                what: format!("{} marked drafts", drafts.len()),
                selection: Selection::Entries(drafts),
            }
            .into(),
        })
    }

    fn reverse(&self, env: &Env) -> Outcome {
        let row = match self.entry_row("reversed") {
            Ok(Some(row)) => row,
            Ok(None) => return Outcome::None,
            Err(message) => return Outcome::Error(message),
        };
        reverse_confirm(env, row.id, row.status, &row.reference)
    }

    fn delete(&self) -> Outcome {
        let Some(row) = self.selected() else {
            return Outcome::None;
        };
        if let Some(id) = row.parked {
            return Outcome::Confirm(Confirm {
                message: format!("Drop parked entry {} ({})?", row.reference, row.label),
                yes: Write::DropParked { id }.into(),
            });
        }
        delete_confirm(row.id, row.status, &row.reference, &row.label)
    }

    fn edit(&self) -> Outcome {
        let Some(row) = self.selected() else {
            return Outcome::None;
        };
        if let Some(id) = row.parked {
            return Outcome::Open(Route::Parked(id));
        }
        if row.status == EntryStatus::Validated {
            return Outcome::Error(format!(
                "{} is validated: it cannot change (reverse it instead)",
                row.reference
            ));
        }
        Outcome::Open(Route::EditEntry(row.id))
    }
}

/// Asks to reverse a validated entry today.
pub fn reverse_confirm(env: &Env, id: EntryId, status: EntryStatus, reference: &str) -> Outcome {
    if status == EntryStatus::Draft {
        return Outcome::Error(format!(
            "{reference} is a draft: edit or delete it instead of reversing it"
        ));
    }
    match env.ledger.reversal_of(id) {
        Ok(Some(reversal)) => {
            let by = env
                .ledger
                .entry(reversal)
                .map(|e| e.reference())
                .unwrap_or_else(|_| format!("#{reversal}"));
            return Outcome::Error(format!("{reference} is already reversed by {by}"));
        }
        Ok(None) => {}
        Err(err) => return err.into(),
    }
    let next_month = first_of_next_month(env.ctx.today);
    Outcome::Prompt(Prompt {
        title: format!(
            "Reverse {reference} on (enter: today · + for {}, the first day of next month · or a date)",
            date_text(next_month)
        ),
        initial: date_text(env.ctx.today),
        purpose: Purpose::Reverse {
            id,
            reference: reference.to_string(),
        },
    })
}

/// The first day of the month after `date` (accrual reversals).
pub fn first_of_next_month(date: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(date)
}

/// The answer to the reversal date: `+` (or `next`) is the first day of next month.
pub fn reverse_answer(env: &Env, id: EntryId, text: &str) -> Outcome {
    let text = text.trim();
    let date = if text == "+" || text.eq_ignore_ascii_case("next") {
        first_of_next_month(env.ctx.today)
    } else if text.is_empty() {
        env.ctx.today
    } else {
        match parse_user_date(text, env.ctx.today) {
            Some(date) => date,
            None => return Outcome::Error(format!("`{text}` is not a date")),
        }
    };
    Write::Reverse { id, date }.into()
}

/// Asks to delete a draft.
pub fn delete_confirm(id: EntryId, status: EntryStatus, reference: &str, label: &str) -> Outcome {
    if status == EntryStatus::Validated {
        return Outcome::Error(format!(
            "{reference} is validated: it is never deleted (reverse it instead)"
        ));
    }
    Outcome::Confirm(Confirm {
        message: format!("Delete draft {reference} ({label})?"),
        yes: Write::Delete { id }.into(),
    })
}

impl Screen for EntriesScreen {
    fn context(&self) -> Context {
        Context::Entries
    }

    fn title(&self) -> String {
        format!(
            "Entries · journal {} · {}",
            self.journal.as_deref().unwrap_or("all"),
            self.dates_text
        )
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let keep = self.list.selected().map(EntryRow::entry_key);
        self.list.set_pager(Listing::new(self.filter_range(), env)?);
        self.list.count(env.ledger)?;
        if let Some(key) = keep
            && !self.list.is_searched()
            && self.goto(env, key)?
        {
            return self.list.ensure(env.ledger);
        }
        self.list.reread(env.ledger)
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let wide = area.width >= 100;
        let mut columns = vec![
            Column::left("status", 6),
            Column::left("number", 13),
            Column::left("date", 10),
            Column::left("piece", 12).from(90),
            Column::fill("label"),
        ];
        if wide {
            columns.push(Column::right("debit", 12));
            columns.push(Column::right("credit", 12));
        } else {
            columns.push(Column::right("amount", 12));
        }
        self.list.draw(buf, area, &columns, theme, |row| {
            let mut cells = vec![
                row.status_text().to_string(),
                row.number_text(),
                date_text(row.date),
                row.piece.clone(),
                row.label.clone(),
                amount_text(row.debit),
            ];
            if wide {
                cells.push(amount_text(row.credit));
            }
            (cells, Style::new())
        });
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match action {
            Action::Open => match self.selected() {
                Some(row) => match row.parked {
                    Some(id) => Outcome::Open(Route::Parked(id)),
                    None => Outcome::Open(Route::Entry(row.id)),
                },
                None => Outcome::None,
            },
            Action::EditEntry => self.edit(),
            Action::Validate => self.validate_one(),
            Action::ValidateMarked => self.validate_marked(),
            Action::ValidateUntil => Outcome::Prompt(Prompt {
                title: "Validate every draft dated up to".into(),
                initial: date_text(env.ctx.today),
                purpose: Purpose::ValidateUntil,
            }),
            Action::Reverse => self.reverse(env),
            Action::DeleteEntry => self.delete(),
            Action::Duplicate => match self.entry_row("duplicated") {
                Ok(Some(row)) => Outcome::Open(Route::Duplicate(row.id)),
                Ok(None) => Outcome::None,
                Err(message) => Outcome::Error(message),
            },
            Action::JournalFilter => {
                let codes = env
                    .ledger
                    .journals()
                    .map(|js| js.iter().map(|j| j.code.clone()).collect::<Vec<_>>())
                    .unwrap_or_default();
                Outcome::Prompt(Prompt {
                    title: format!("Journal ({}, empty for all)", codes.join(" ")),
                    initial: self.journal.clone().unwrap_or_default(),
                    purpose: Purpose::Journal,
                })
            }
            Action::PeriodFilter => self.dates.prompt(env),
            Action::PrevPeriod | Action::NextPeriod | Action::WholeYear => {
                match self.dates.after_key(action, env) {
                    Some(Ok(dates)) => {
                        let shown = self
                            .set_dates(dates, env)
                            .and_then(|()| self.reload(env))
                            .and_then(|()| self.list.bottom(env.ledger));
                        shown.map_or_else(Outcome::from, |()| Outcome::None)
                    }
                    Some(Err(message)) => Outcome::Error(message),
                    None => Outcome::None,
                }
            }
            _ => Outcome::None,
        }
    }

    fn answer(&mut self, purpose: &Purpose, text: &str, env: &Env) -> Outcome {
        let text = text.trim();
        match purpose {
            Purpose::Journal => {
                if text.is_empty() {
                    self.journal = None;
                } else {
                    let code = text.to_ascii_uppercase();
                    match env.ledger.journals() {
                        Ok(journals) if journals.iter().any(|j| j.code == code) => {
                            self.journal = Some(code)
                        }
                        Ok(_) => return Outcome::Error(format!("no journal {code}")),
                        Err(err) => return err.into(),
                    }
                }
            }
            Purpose::Range => match Dates::parse(text, env) {
                Ok(dates) => {
                    if let Err(err) = self.set_dates(dates, env) {
                        return err.into();
                    }
                }
                Err(message) => return Outcome::Error(message),
            },
            Purpose::Reverse { id, .. } => return reverse_answer(env, *id, text),
            Purpose::ValidateUntil => {
                let Some(date) = parse_user_date(text, env.ctx.today) else {
                    return Outcome::Error(format!("`{text}` is not a date"));
                };
                let drafts = env.ledger.draft_count().unwrap_or(0);
                return Outcome::Confirm(Confirm {
                    message: format!(
                        "Validate every draft dated up to {}{}? ({drafts} drafts in the ledger.) \
                         They get their numbers and can no longer change.",
                        date_text(date),
                        self.journal
                            .as_ref()
                            .map(|j| format!(" in journal {j}"))
                            .unwrap_or_default()
                    ),
                    yes: Write::Validate {
                        selection: Selection::Until {
                            date,
                            journal: self.journal.clone(),
                        },
                        what: format!("drafts up to {}", date_text(date)),
                    }
                    .into(),
                });
            }
        }
        match self.open_at_latest(env) {
            Ok(()) => Outcome::None,
            Err(err) => err.into(),
        }
    }

    fn show_entry(&mut self, id: EntryId, env: &Env) {
        // The list is read by key: the entry may be far from the rows held.
        let Ok(entry) = env.ledger.entry(id) else {
            return;
        };
        let key = EntryKey {
            date: entry.date,
            id,
        };
        if !self.list.is_searched()
            && matches!(self.goto(env, key), Ok(true))
            && self.list.ensure(env.ledger).is_ok()
        {
            return;
        }
        self.list.select(|row| row.parked.is_none() && row.id == id);
    }

    fn record(&self) -> Option<String> {
        self.selected().map(|r| match r.parked {
            Some(id) => format!("parked:{id}"),
            None => format!("entry:{}", r.id),
        })
    }

    fn journal(&self) -> Option<String> {
        self.journal.clone()
    }

    fn list(&self) -> Option<&dyn ListView> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        Some(&mut self.list)
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        let key = |action| keymap.hint(Context::Entries, action);
        vec![
            (keymap.hint(Context::Global, Action::NewEntry), "new"),
            (key(Action::EditEntry), "edit"),
            (key(Action::Validate), "validate"),
            (keymap.hint(Context::List, Action::Mark), "mark"),
            (key(Action::ValidateUntil), "validate until"),
            (key(Action::Reverse), "reverse"),
            (key(Action::JournalFilter), "journal"),
            (key(Action::PeriodFilter), "period"),
        ]
    }
}
