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
use super::super::widgets::list::{Fetch, List, ListView, Pager, Row};
use super::super::widgets::table::{Column, search_text};
use super::{
    Confirm, Dates, Env, Outcome, Prompt, Purpose, Screen, Write, amount_text, clean, date_text,
    parse_user_date,
};
use crate::ledger::{EntryFilter, EntryKey, EntryStart, Ledger, LedgerError, Selection};
use crate::model::{Amount, Entry, EntryId, EntryStatus};

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
        match self.status {
            EntryStatus::Draft => "draft",
            EntryStatus::Validated => "valid",
        }
    }
}

impl Row for EntryRow {
    type Key = EntryId;

    fn key(&self) -> EntryId {
        self.id
    }

    /// Drafts are marked (to validate them together); their debit adds up.
    fn mark(&self) -> Result<Amount, String> {
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
/// entry as on the millionth.
struct Listing {
    filter: EntryFilter,
}

impl Pager<EntryRow> for Listing {
    fn count(&self, ledger: &Ledger) -> Result<usize, LedgerError> {
        ledger.entry_filter_count(&self.filter)
    }

    fn fetch(
        &self,
        ledger: &Ledger,
        start: Fetch<'_, EntryRow>,
        limit: usize,
    ) -> Result<Vec<EntryRow>, LedgerError> {
        let start = match start {
            Fetch::First => EntryStart::First,
            Fetch::Last => EntryStart::Last,
            Fetch::After(row) => EntryStart::After(row.entry_key()),
            Fetch::Before(row) => EntryStart::Before(row.entry_key()),
        };
        Ok(ledger
            .entries_window(&self.filter, start, limit)?
            .iter()
            .map(EntryRow::of)
            .collect())
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
        self.list.set_pager(Listing {
            filter: self.filter_range(),
        });
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
        screen.list.set_filter("draft", env.ledger)?;
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

    fn validate_one(&self) -> Outcome {
        let Some(row) = self.selected() else {
            return Outcome::None;
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
        let drafts: Vec<EntryId> = self.list.marks().copied().collect();
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
        let Some(row) = self.selected() else {
            return Outcome::None;
        };
        reverse_confirm(env, row.id, row.status, &row.reference)
    }

    fn delete(&self) -> Outcome {
        let Some(row) = self.selected() else {
            return Outcome::None;
        };
        delete_confirm(row.id, row.status, &row.reference, &row.label)
    }

    fn edit(&self) -> Outcome {
        let Some(row) = self.selected() else {
            return Outcome::None;
        };
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
    Outcome::Confirm(Confirm {
        message: format!(
            "Reverse {reference} on {}? A validated entry with every line on the other side.",
            date_text(env.ctx.today)
        ),
        yes: Write::Reverse {
            id,
            date: env.ctx.today,
        }
        .into(),
    })
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
        self.list.set_pager(Listing {
            filter: self.filter_range(),
        });
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
                Some(row) => Outcome::Open(Route::Entry(row.id)),
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

    fn record(&self) -> Option<String> {
        self.selected().map(|r| format!("entry:{}", r.id))
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
