//! The audit trail: who did what and when, for one record (`entry:42`, `account:512000`) or for
//! the whole ledger (latest changes first).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Text;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::theme::Theme;
use super::super::widgets::table::{Column, ListState, search_text};
use super::document::DocumentScreen;
use super::entry::EntryScreen;
use super::ledger::LedgerScreen;
use super::{Env, Outcome, Screen, clean};
use crate::ledger::{AuditRecord, LedgerError};
use crate::model::AccountNumber;

/// The whole-ledger view shows this many latest records.
const RECENT: usize = 1_000;

pub struct HistoryScreen {
    /// `None`: latest changes to the whole ledger.
    record: Option<String>,
    name: String,
    records: Vec<AuditRecord>,
    search: Vec<String>,
    list: ListState,
}

impl HistoryScreen {
    pub fn of(env: &Env, record: Option<String>) -> Result<Self, LedgerError> {
        let name = match &record {
            None => "latest changes".to_string(),
            Some(record) => describe(env, record),
        };
        let mut screen = HistoryScreen {
            record,
            name,
            records: Vec::new(),
            search: Vec::new(),
            list: ListState::default(),
        };
        screen.reload(env)?;
        Ok(screen)
    }

    fn selected(&self) -> Option<&AuditRecord> {
        self.list.selected().and_then(|i| self.records.get(i))
    }

    fn open(&self, env: &Env) -> Result<Outcome, LedgerError> {
        let Some(record) = self.selected() else {
            return Ok(Outcome::None);
        };
        let target = record
            .records
            .iter()
            .find(|r| Some(*r) != self.record.as_ref())
            .or(record.records.first());
        let Some(target) = target else {
            return Ok(Outcome::None);
        };
        let (kind, key) = target.split_once(':').unwrap_or((target.as_str(), ""));
        Ok(match kind {
            "entry" => match key.parse() {
                Ok(id) => Outcome::open(EntryScreen::new(env, id)?),
                Err(_) => Outcome::None,
            },
            "account" => match AccountNumber::parse(key) {
                Ok(number) => Outcome::open(LedgerScreen::account(env, &number)?),
                Err(_) => Outcome::None,
            },
            "party" => Outcome::open(LedgerScreen::party(env, key)?),
            "document" => match key.parse() {
                Ok(id) => Outcome::open(DocumentScreen::new(env, id)?),
                Err(_) => Outcome::None,
            },
            _ => Outcome::Info(format!("{target} has no screen of its own")),
        })
    }
}

/// `entry:42` as people read it: `entry VE2026-000012`.
fn describe(env: &Env, record: &str) -> String {
    let (kind, key) = record.split_once(':').unwrap_or((record, ""));
    match kind {
        "entry" => key
            .parse()
            .ok()
            .and_then(|id| env.ledger.entry(id).ok())
            .map(|e| format!("entry {}", e.reference()))
            .unwrap_or_else(|| format!("entry #{key}")),
        "account" => AccountNumber::parse(key)
            .ok()
            .and_then(|n| env.ledger.account(&n).ok())
            .map(|a| format!("account {} {}", a.number, clean(&a.label)))
            .unwrap_or_else(|| format!("account {key}")),
        "party" => env
            .ledger
            .party(key)
            .map(|p| format!("third party {} {}", p.code, clean(&p.name)))
            .unwrap_or_else(|_| format!("third party {key}")),
        "document" => env
            .ledger
            .document(&format!("D{key}"))
            .map(|s| format!("document {}", s.document.display_ref()))
            .unwrap_or_else(|_| format!("document D{key}")),
        _ => record.replace(':', " "),
    }
}

impl Screen for HistoryScreen {
    fn context(&self) -> Context {
        Context::History
    }

    fn title(&self) -> String {
        format!("History · {}", self.name)
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let keep = self.selected().map(|r| r.seq);
        let mut records = match &self.record {
            Some(record) => env.ledger.history(record)?,
            None => env.ledger.recent_history(RECENT)?,
        };
        // Latest first: the question is usually "who changed this last?".
        records.reverse();
        self.search = records
            .iter()
            .map(|r| {
                search_text(&[
                    &r.at.format("%d/%m/%Y %H:%M").to_string(),
                    &r.user,
                    &r.action,
                    &r.detail,
                ])
            })
            .collect();
        self.records = records;
        self.list.refilter(self.search.iter().map(String::as_str));
        if let Some(seq) = keep
            && let Some(row) = self.records.iter().position(|r| r.seq == seq)
        {
            self.list.select_row(row);
        }
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let detail_height = if area.height >= 12 { 4 } else { 0 };
        let table = Rect::new(
            area.x,
            area.y,
            area.width,
            area.height.saturating_sub(detail_height),
        );
        let columns = [
            Column::left("when", 16),
            Column::left("who", 10),
            Column::left("what", 15),
            Column::fill("detail"),
        ];
        self.list.draw(buf, table, &columns, theme, |i| {
            let r = &self.records[i];
            (
                vec![
                    r.at.format("%d/%m/%Y %H:%M").to_string(),
                    clean(&r.user),
                    clean(&r.action),
                    clean(&r.detail),
                ],
                Style::new(),
            )
        });
        if detail_height > 0
            && let Some(record) = self.selected()
        {
            let area = Rect::new(
                area.x + 1,
                table.bottom(),
                area.width.saturating_sub(2),
                detail_height,
            );
            let text = format!(
                "#{} {} by {} on {} — {}\nRecords: {}",
                record.seq,
                clean(&record.action),
                clean(&record.user),
                record.at.format("%d/%m/%Y %H:%M:%S"),
                clean(&record.detail),
                clean(&record.records.join(", "))
            );
            Paragraph::new(Text::raw(text))
                .style(theme.dim)
                .wrap(Wrap { trim: true })
                .render(area, buf);
        }
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        if self.list.navigate(action) {
            return Outcome::None;
        }
        match action {
            Action::Open => self.open(env).unwrap_or_else(Outcome::from),
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        self.record.clone()
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.list.filter)
    }

    fn set_filter(&mut self, text: &str, _env: &Env) {
        self.list
            .set_filter(text, self.search.iter().map(String::as_str));
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        vec![
            (keymap.hint(Context::List, Action::Open), "open the record"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
        ]
    }
}
