//! One entry: header, status, links to its reversal, lines. A line opens its account's ledger
//! at this entry.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row};
use super::super::widgets::table::{Column, search_text};
use super::document::DocumentScreen;
use super::entries::{delete_confirm, reverse_confirm};
use super::{
    Confirm, Env, Outcome, Screen, Write, amount_or_blank, amount_text, clean, date_text, line,
};
use crate::ledger::{LedgerError, Selection};
use crate::model::document::DocumentId;
use crate::model::{AccountNumber, Amount, Entry, EntryId, EntryStatus};
use crate::query::{Field, Fields};

/// A line of the entry, as listed.
struct LineRow {
    index: usize,
    account: AccountNumber,
    cells: Vec<String>,
    amount: Amount,
}

impl Row for LineRow {
    type Key = usize;

    fn key(&self) -> usize {
        self.index
    }

    fn search(&self) -> String {
        let cells: Vec<&str> = self.cells.iter().map(String::as_str).collect();
        search_text(&cells)
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: vec![self.account.as_str()],
            amounts: vec![self.amount.abs()],
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[Field::Account, Field::Amount]
    }

    fn mark(&self) -> Result<Amount, String> {
        Ok(self.amount)
    }
}

pub struct EntryScreen {
    id: EntryId,
    entry: Option<Entry>,
    journal_label: String,
    account_labels: Vec<String>,
    reversal: Option<(EntryId, String)>,
    reverses: Option<(EntryId, String)>,
    /// The document the entry was generated from: its id and number.
    source: Option<(DocumentId, String)>,
    list: List<LineRow>,
}

impl EntryScreen {
    pub fn new(env: &Env, id: EntryId) -> Result<Self, LedgerError> {
        let mut screen = EntryScreen {
            id,
            entry: None,
            journal_label: String::new(),
            account_labels: Vec::new(),
            reversal: None,
            reverses: None,
            source: None,
            list: List::new(),
        };
        screen.reload(env)?;
        Ok(screen)
    }

    fn follow(&self) -> Outcome {
        let target = self.reversal.as_ref().or(self.reverses.as_ref());
        match target {
            Some((id, _)) => Outcome::Open(Route::Entry(*id)),
            None => Outcome::Info("this entry neither reverses nor is reversed".into()),
        }
    }

    fn open_source(&self) -> Outcome {
        match &self.source {
            Some((id, _)) => Outcome::Open(Route::Document(*id)),
            None => Outcome::Info(match self.entry.as_ref().and_then(|e| e.source.as_ref()) {
                Some(source) => format!("the source {} has no screen", clean(source)),
                None => "this entry was typed by hand: it has no source document".into(),
            }),
        }
    }

    /// Who made the entry: the document it was generated from, or the user who typed it.
    fn origin(&self, entry: &Entry) -> String {
        match (&self.source, &entry.source) {
            (Some((_, number)), _) => format!("generated from {number}"),
            (None, Some(source)) => format!("generated from {}", clean(source)),
            (None, None) => format!("typed by {}", clean(&entry.created_by)),
        }
    }
}

impl Screen for EntryScreen {
    fn context(&self) -> Context {
        Context::Entry
    }

    fn title(&self) -> String {
        match &self.entry {
            Some(entry) => format!("Entry {}", entry.reference()),
            None => format!("Entry #{}", self.id),
        }
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let entry = env.ledger.entry(self.id)?;
        self.journal_label = env
            .ledger
            .journals()?
            .into_iter()
            .find(|j| j.code == entry.journal)
            .map(|j| clean(&j.label))
            .unwrap_or_default();
        self.account_labels = entry
            .lines
            .iter()
            .map(|l| {
                env.ledger
                    .account(&l.account)
                    .map(|a| clean(&a.label))
                    .unwrap_or_default()
            })
            .collect();
        let reference = |id: EntryId| {
            env.ledger
                .entry(id)
                .map(|e| e.reference())
                .unwrap_or_else(|_| format!("#{id}"))
        };
        self.reversal = env
            .ledger
            .reversal_of(self.id)?
            .map(|id| (id, reference(id)));
        self.reverses = entry.reversal_of.map(|id| (id, reference(id)));
        self.source = entry
            .source
            .as_deref()
            .and_then(DocumentScreen::source_id)
            .map(|id| {
                let number = env
                    .ledger
                    .document(&format!("D{id}"))
                    .map(|s| s.document.display_ref())
                    .unwrap_or_else(|_| format!("D{id}"));
                (id, number)
            });
        let rows = entry
            .lines
            .iter()
            .zip(&self.account_labels)
            .enumerate()
            .map(|(index, (l, label))| LineRow {
                index,
                account: l.account.clone(),
                cells: vec![
                    l.account.to_string(),
                    label.clone(),
                    l.third_party.as_deref().map(clean).unwrap_or_default(),
                    clean(entry.line_label(l)),
                    amount_or_blank(l.debit),
                    amount_or_blank(l.credit),
                ],
                amount: l.debit - l.credit,
            })
            .collect();
        self.entry = Some(entry);
        self.list.set_rows(rows);
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, keymap: &Keymap) {
        let Some(entry) = &self.entry else {
            return;
        };
        let inner = Rect::new(
            area.x + 1,
            area.y,
            area.width.saturating_sub(2),
            area.height,
        );
        let origin = self.origin(entry);
        let status = match entry.status {
            EntryStatus::Draft => format!("draft · {origin}"),
            EntryStatus::Validated => format!(
                "validated{} · {origin}",
                entry
                    .validated_on
                    .map(|d| format!(" on {}", date_text(d)))
                    .unwrap_or_default(),
            ),
        };
        line(
            buf,
            inner,
            inner.y,
            &format!("{} · {status}", entry.reference()),
            theme.title,
        );
        line(
            buf,
            inner,
            inner.y + 1,
            &format!(
                "Journal {} {} · {} · piece {}",
                entry.journal,
                self.journal_label,
                date_text(entry.date),
                clean(&entry.piece)
            ),
            Style::new(),
        );
        line(buf, inner, inner.y + 2, &clean(&entry.label), Style::new());
        let follow = keymap.hint(Context::Entry, Action::FollowLink);
        let link = match (&self.reversal, &self.reverses) {
            (Some((_, r)), _) => format!("Reversed by {r} ({follow} to open it)"),
            (None, Some((_, r))) => format!("Reverses {r} ({follow} to open it)"),
            (None, None) => String::new(),
        };
        line(buf, inner, inner.y + 3, &link, theme.marked);
        let table_height = inner.height.saturating_sub(6);
        let table = Rect::new(inner.x, inner.y + 4, inner.width, table_height);
        let columns = [
            Column::left("account", 8),
            Column::left("account label", 22).from(100),
            Column::left("third party", 11),
            Column::fill("label"),
            Column::right("debit", 12),
            Column::right("credit", 12),
        ];
        self.list.draw(buf, table, &columns, theme, |row| {
            (row.cells.clone(), Style::new())
        });
        let totals = [
            String::new(),
            String::new(),
            String::new(),
            "Total".to_string(),
            amount_text(entry.total_debit()),
            amount_text(entry.total_credit()),
        ];
        let y = table.bottom();
        if y < inner.bottom() {
            super::super::widgets::table::draw_row(buf, inner, y, &columns, &totals, theme.total);
        }
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        let Some(entry) = &self.entry else {
            return Outcome::None;
        };
        match action {
            Action::Open => match self.list.selected() {
                Some(line) => Outcome::Open(Route::AccountAt {
                    account: line.account.clone(),
                    entry: entry.id,
                }),
                None => Outcome::None,
            },
            Action::EditEntry => {
                if entry.is_validated() {
                    return Outcome::Error(format!(
                        "{} is validated: it cannot change (reverse it instead)",
                        entry.reference()
                    ));
                }
                Outcome::Open(Route::EditEntry(entry.id))
            }
            Action::Validate => {
                if entry.is_validated() {
                    return Outcome::Error(format!("{} is already validated", entry.reference()));
                }
                Outcome::Confirm(Confirm {
                    message: format!(
                        "Validate draft {}? It gets its number and can no longer change.",
                        entry.reference()
                    ),
                    yes: Write::Validate {
                        selection: Selection::Entries(vec![entry.id]),
                        what: entry.reference(),
                    }
                    .into(),
                })
            }
            Action::Duplicate => Outcome::Open(Route::Duplicate(entry.id)),
            Action::Reverse => reverse_confirm(env, entry.id, entry.status, &entry.reference()),
            Action::DeleteEntry => delete_confirm(
                entry.id,
                entry.status,
                &entry.reference(),
                &clean(&entry.label),
            ),
            Action::FollowLink => self.follow(),
            Action::OpenSource => self.open_source(),
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        Some(format!("entry:{}", self.id))
    }

    fn list(&self) -> Option<&dyn ListView> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        Some(&mut self.list)
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        let key = |action| keymap.hint(Context::Entry, action);
        let mut hints = vec![(keymap.hint(Context::List, Action::Open), "account ledger")];
        if self.source.is_some() {
            hints.push((key(Action::OpenSource), "source"));
        }
        // Only what applies: a validated entry is reversed, a draft edited or deleted.
        match self.entry.as_ref().map(|e| e.status) {
            Some(EntryStatus::Validated) => hints.push((key(Action::Reverse), "reverse")),
            _ => hints.extend([
                (key(Action::EditEntry), "edit"),
                (key(Action::Validate), "validate"),
                (key(Action::DeleteEntry), "delete"),
            ]),
        }
        hints.push((keymap.hint(Context::Global, Action::History), "history"));
        hints
    }
}
