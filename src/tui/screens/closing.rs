//! Closing a fiscal year, shown before it is done: the result and the account it goes to, the
//! next year, and every line of the opening entry that will be written. Closing is final (a
//! closed year cannot be reopened), so nothing is written until the user says yes.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row};
use super::super::widgets::table::{Column, search_text};
use super::{
    Command, Env, Outcome, Screen, Write, amount_or_blank, amount_text, clean, date_text, line,
};
use crate::ledger::{Closing, LedgerError};

pub struct YearCloseScreen {
    /// The year asked for (`None`: the earliest open one).
    asked: Option<String>,
    closing: Closing,
    list: List<OpeningLine>,
}

/// A line of the opening entry, as listed.
struct OpeningLine {
    index: usize,
    cells: Vec<String>,
}

impl Row for OpeningLine {
    type Key = usize;

    fn key(&self) -> usize {
        self.index
    }

    fn search(&self) -> String {
        let cells: Vec<&str> = self.cells.iter().map(String::as_str).collect();
        search_text(&cells)
    }
}

/// `profit 6 545,68 to 120000` / `loss 250,50 to 129000`.
fn result_text(closing: &Closing) -> String {
    if closing.result.is_negative() {
        format!(
            "loss {} to 129000 (debit)",
            amount_text(closing.result.abs())
        )
    } else {
        format!("profit {} to 120000 (credit)", amount_text(closing.result))
    }
}

/// What the status line says once the year is closed.
pub fn summary(closing: &Closing) -> String {
    format!(
        "closed fiscal year {}: {}; opening entry {} in {}",
        closing.year.name(),
        result_text(closing),
        closing
            .opening_entry
            .as_ref()
            .map(|e| e.reference())
            .unwrap_or_else(|| "none (no balances)".into()),
        closing.next_year.name()
    )
}

impl YearCloseScreen {
    /// The preview of closing the earliest open year; refused (with the ledger's reason) when
    /// the year cannot be closed yet.
    pub fn new(env: &Env, year: Option<&str>) -> Result<Self, LedgerError> {
        let closing = env.ledger.close_preview(env.ctx, year)?;
        let mut screen = YearCloseScreen {
            asked: year.map(str::to_string),
            closing,
            list: List::new(),
        };
        screen.show_lines();
        Ok(screen)
    }

    fn show_lines(&mut self) {
        let rows = match &self.closing.opening_entry {
            Some(entry) => entry
                .lines
                .iter()
                .enumerate()
                .map(|(index, l)| OpeningLine {
                    index,
                    cells: vec![
                        l.account.to_string(),
                        clean(l.third_party.as_deref().unwrap_or("")),
                        clean(entry.line_label(l)),
                        amount_or_blank(l.debit),
                        amount_or_blank(l.credit),
                    ],
                })
                .collect(),
            None => Vec::new(),
        };
        self.list.set_rows(rows);
    }
}

impl Screen for YearCloseScreen {
    fn context(&self) -> Context {
        Context::Dialog
    }

    fn title(&self) -> String {
        format!("Close fiscal year {}", self.closing.year.name())
    }

    /// Another user may have posted meanwhile: the figures are computed again.
    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.closing = env.ledger.close_preview(env.ctx, self.asked.as_deref())?;
        self.show_lines();
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, keymap: &Keymap) {
        let c = &self.closing;
        let x = area.x + 1;
        let width = area.width.saturating_sub(2);
        let inner = Rect::new(x, area.y, width, area.height);
        let mut y = area.y;
        let mut say = |text: String, style: Style| {
            if y < area.bottom() {
                line(buf, inner, y, &text, style);
                y += 1;
            }
        };
        say(
            format!(
                "Fiscal year {}, {} to {}",
                c.year.name(),
                date_text(c.year.start),
                date_text(c.year.end),
            ),
            Style::new(),
        );
        say(format!("Result: {}", result_text(c)), theme.total);
        let keys = format!(
            "{} closes it for good (it cannot be reopened) · {} leaves it open",
            keymap.hint(Context::Dialog, Action::Confirm),
            keymap.hint(Context::Dialog, Action::Deny)
        );
        match &c.opening_entry {
            Some(entry) => {
                say(
                    format!(
                        "Opening entry {} in {} on {}: {} lines{}",
                        entry.reference(),
                        clean(&entry.journal),
                        date_text(entry.date),
                        entry.lines.len(),
                        match c.carried_items {
                            0 => String::new(),
                            n => format!(", {n} open items carried one by one"),
                        },
                    ),
                    Style::new(),
                );
                say(
                    format!(
                        "Totals: debit {} credit {}",
                        amount_text(entry.total_debit()),
                        amount_text(entry.total_credit())
                    ),
                    Style::new(),
                );
            }
            None => say(
                "No opening entry: no balance to carry forward".into(),
                Style::new(),
            ),
        }
        say(keys, theme.key);
        if c.opening_entry.is_none() {
            return;
        }
        let table = Rect::new(
            inner.x,
            y.min(area.bottom()),
            inner.width,
            area.bottom().saturating_sub(y),
        );
        let columns = [
            Column::left("account", 7),
            Column::left("party", 10),
            Column::fill("label"),
            Column::right("debit", 13),
            Column::right("credit", 13),
        ];
        self.list.draw(buf, table, &columns, theme, |row| {
            (row.cells.clone(), Style::new())
        });
    }

    fn handle(&mut self, action: Action, _env: &Env) -> Outcome {
        match action {
            Action::Confirm => Outcome::Run(Command::Write(Write::CloseYear {
                year: self.closing.year.name(),
            })),
            Action::Deny => Outcome::Done(format!(
                "fiscal year {} left open: nothing was written",
                self.closing.year.name()
            )),
            _ => Outcome::None,
        }
    }

    fn list(&self) -> Option<&dyn ListView> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        Some(&mut self.list)
    }

    fn record(&self) -> Option<String> {
        Some(format!("year:{}", self.closing.year.name()))
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        vec![
            (
                keymap.hint(Context::Dialog, Action::Confirm),
                "close the year",
            ),
            (keymap.hint(Context::Dialog, Action::Deny), "leave it open"),
            (keymap.hint(Context::List, Action::PageDown), "more lines"),
        ]
    }
}
