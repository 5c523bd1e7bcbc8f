//! Entries of a journal (or all) over a month, a fiscal year or all dates: open, type, edit,
//! validate (one, marked, or all up to a date), reverse, delete.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::theme::Theme;
use super::super::widgets::table::{Column, ListState, search_text};
use super::editor::EditorScreen;
use super::entry::EntryScreen;
use super::{
    Command, Confirm, Env, Outcome, Prompt, Purpose, Screen, amount_text, clean, current_year,
    date_text, parse_user_date,
};
use crate::ledger::{EntryFilter, LedgerError, Selection};
use crate::model::calendar::Period;
use crate::model::{Amount, Entry, EntryId, EntryStatus, FiscalYear};

/// A listing shows at most this many entries (about 70 MiB): narrow the period or the journal
/// for the rest.
pub const MAX_ROWS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dates {
    Year(FiscalYear),
    Month(Period),
    All,
}

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

    fn status_text(&self) -> &'static str {
        match self.status {
            EntryStatus::Draft => "draft",
            EntryStatus::Validated => "valid",
        }
    }

    fn search(&self) -> String {
        search_text(&[
            self.status_text(),
            &self.reference,
            &date_text(self.date),
            &self.journal,
            &self.piece,
            &self.label,
            &amount_text(self.debit),
        ])
    }
}

pub struct EntriesScreen {
    journal: Option<String>,
    dates: Dates,
    rows: Vec<EntryRow>,
    /// Folded text of each row for the filter: built when a filter is typed, since a long
    /// listing would otherwise hold every row twice.
    search: Vec<String>,
    list: ListState,
    marked: BTreeSet<EntryId>,
    truncated: bool,
}

impl EntriesScreen {
    /// The entries of the current fiscal year, the cursor on the latest.
    pub fn new(env: &Env) -> Result<Self, LedgerError> {
        let years = env.ledger.years()?;
        let dates = match current_year(&years, env.ctx.today) {
            Some(year) => Dates::Year(year),
            None => Dates::All,
        };
        let mut screen = EntriesScreen {
            journal: None,
            dates,
            rows: Vec::new(),
            search: Vec::new(),
            list: ListState::default(),
            marked: BTreeSet::new(),
            truncated: false,
        };
        screen.reload(env)?;
        screen.list.navigate(Action::Bottom);
        Ok(screen)
    }

    pub fn show_all_dates(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.dates = Dates::All;
        self.reload(env)
    }

    fn filter_range(&self) -> EntryFilter {
        let (from, to) = match &self.dates {
            Dates::Year(year) => (Some(year.start), Some(year.end)),
            Dates::Month(period) => (Some(period.first_day()), Some(period.last_day())),
            Dates::All => (None, None),
        };
        EntryFilter {
            journal: self.journal.clone(),
            from,
            to,
        }
    }

    fn refilter(&mut self) {
        if self.list.filter.is_empty() {
            self.list.refilter(std::iter::repeat_n("", self.rows.len()));
            return;
        }
        if self.search.len() != self.rows.len() {
            self.search = self.rows.iter().map(EntryRow::search).collect();
        }
        self.list.refilter(self.search.iter().map(String::as_str));
    }

    fn selected(&self) -> Option<&EntryRow> {
        self.list.selected().and_then(|i| self.rows.get(i))
    }

    fn dates_text(&self) -> String {
        match &self.dates {
            Dates::Year(year) => year.name(),
            Dates::Month(period) => period.to_string(),
            Dates::All => "all".into(),
        }
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
            yes: Command::Validate {
                selection: Selection::Entries(vec![row.id]),
                what: row.reference.clone(),
            },
        })
    }

    fn validate_marked(&self) -> Outcome {
        let drafts: Vec<EntryId> = self
            .rows
            .iter()
            .filter(|r| self.marked.contains(&r.id) && r.status == EntryStatus::Draft)
            .map(|r| r.id)
            .collect();
        if drafts.is_empty() {
            return Outcome::Error("no draft is marked (mark drafts with the mark key)".into());
        }
        Outcome::Confirm(Confirm {
            message: format!(
                "Validate the {} marked drafts? They get their numbers and can no longer change.",
                drafts.len()
            ),
            yes: Command::Validate {
                what: format!("{} marked drafts", drafts.len()),
                selection: Selection::Entries(drafts),
            },
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

    fn edit(&self, env: &Env) -> Result<Outcome, LedgerError> {
        let Some(row) = self.selected() else {
            return Ok(Outcome::None);
        };
        if row.status == EntryStatus::Validated {
            return Ok(Outcome::Error(format!(
                "{} is validated: it cannot change (reverse it instead)",
                row.reference
            )));
        }
        let entry = env.ledger.entry(row.id)?;
        Ok(Outcome::open(EditorScreen::edit(env, &entry)?))
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
        yes: Command::Reverse {
            id,
            date: env.ctx.today,
        },
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
        yes: Command::Delete { id },
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
            self.dates_text()
        )
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let keep = self.selected().map(|r| r.id);
        let mut rows = Vec::new();
        let mut truncated = false;
        let listed = env.ledger.for_each_entry(&self.filter_range(), |entry| {
            if rows.len() == MAX_ROWS {
                truncated = true;
                // Stops the walk: the rest would not be shown.
                return Err(LedgerError::Cancelled);
            }
            rows.push(EntryRow::of(&entry));
            Ok(())
        });
        match listed {
            Ok(()) | Err(LedgerError::Cancelled) => {}
            Err(err) => return Err(err),
        }
        self.truncated = truncated;
        self.search.clear();
        self.marked.retain(|id| {
            rows.iter()
                .any(|r| r.id == *id && r.status == EntryStatus::Draft)
        });
        self.rows = rows;
        let cursor = self.list.cursor;
        self.refilter();
        let kept = keep
            .and_then(|id| self.rows.iter().position(|r| r.id == id))
            .is_some_and(|row| self.list.select_row(row));
        if !kept {
            self.list.cursor = cursor.min(self.list.visible.len().saturating_sub(1));
        }
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let wide = area.width >= 100;
        let mut columns = vec![
            Column::left("", 1),
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
        let mut body = area;
        if self.truncated && area.height > 2 {
            body.height -= 1;
            super::line(
                buf,
                area,
                area.bottom() - 1,
                &format!(
                    "Only the first {MAX_ROWS} entries are listed: choose a journal or a shorter period."
                ),
                theme.error,
            );
        }
        self.list.draw(buf, body, &columns, theme, |i| {
            let row = &self.rows[i];
            let marked = self.marked.contains(&row.id);
            let mut cells = vec![
                if marked { "*" } else { "" }.to_string(),
                row.status_text().to_string(),
                row.reference.clone(),
                date_text(row.date),
                row.piece.clone(),
                row.label.clone(),
                amount_text(row.debit),
            ];
            if wide {
                cells.push(amount_text(row.credit));
            }
            let style = if marked { theme.marked } else { Style::new() };
            (cells, style)
        });
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        if self.list.navigate(action) {
            return Outcome::None;
        }
        match action {
            Action::Open => match self.selected() {
                Some(row) => match EntryScreen::new(env, row.id) {
                    Ok(screen) => Outcome::open(screen),
                    Err(err) => err.into(),
                },
                None => Outcome::None,
            },
            Action::Mark => {
                if let Some(row) = self.selected() {
                    if row.status == EntryStatus::Validated {
                        return Outcome::Error(format!(
                            "{} is validated: only drafts are marked",
                            row.reference
                        ));
                    }
                    let id = row.id;
                    if !self.marked.remove(&id) {
                        self.marked.insert(id);
                    }
                    self.list.navigate(Action::Down);
                    return Outcome::Info(format!("{} marked", self.marked.len()));
                }
                Outcome::None
            }
            Action::EditEntry => self.edit(env).unwrap_or_else(Outcome::from),
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
            Action::PeriodFilter => Outcome::Prompt(Prompt {
                title: "Period: a month (2026-11), a fiscal year (2026) or all".into(),
                initial: self.dates_text(),
                purpose: Purpose::Period,
            }),
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
            Purpose::Period => {
                let years = match env.ledger.years() {
                    Ok(years) => years,
                    Err(err) => return err.into(),
                };
                self.dates = if text.is_empty() || text.eq_ignore_ascii_case("all") {
                    Dates::All
                } else if let Some(year) = years.iter().find(|y| y.name() == text) {
                    Dates::Year(year.clone())
                } else if let Some(period) = Period::parse(text) {
                    Dates::Month(period)
                } else {
                    return Outcome::Error(format!(
                        "`{text}` is not a month (2026-11), a fiscal year (2026) or all"
                    ));
                };
            }
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
                    yes: Command::Validate {
                        selection: Selection::Until {
                            date,
                            journal: self.journal.clone(),
                        },
                        what: format!("drafts up to {}", date_text(date)),
                    },
                });
            }
            Purpose::Range => return Outcome::None,
        }
        match self.reload(env) {
            Ok(()) => {
                self.list.navigate(Action::Bottom);
                Outcome::None
            }
            Err(err) => err.into(),
        }
    }

    fn record(&self) -> Option<String> {
        self.selected().map(|r| format!("entry:{}", r.id))
    }

    fn journal(&self) -> Option<String> {
        self.journal.clone()
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.list.filter)
    }

    fn set_filter(&mut self, text: &str, _env: &Env) {
        self.list.filter = text.to_string();
        self.refilter();
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        let key = |action| keymap.hint(Context::Entries, action);
        vec![
            (keymap.hint(Context::Global, Action::NewEntry), "new"),
            (key(Action::EditEntry), "edit"),
            (key(Action::Validate), "validate"),
            (key(Action::Mark), "mark"),
            (key(Action::ValidateUntil), "validate until"),
            (key(Action::Reverse), "reverse"),
            (key(Action::JournalFilter), "journal"),
            (key(Action::PeriodFilter), "period"),
        ]
    }
}
