//! The audit trail: who did what and when, for one record (`entry:42`, `account:512000`) or for
//! the whole ledger (latest changes first).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Text};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row};
use super::super::widgets::table::{Column, search_text};
use super::super::widgets::text::safe;
use super::{Env, Outcome, Screen, clean};
use crate::ledger::{AuditRecord, LedgerError};
use crate::model::AccountNumber;
use crate::query::{Field, Fields};

impl Row for AuditRecord {
    type Key = u64;

    fn key(&self) -> u64 {
        self.seq
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            date: Some(self.at.date()),
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[Field::Date]
    }

    fn search(&self) -> String {
        search_text(&[
            &self.at.format("%d/%m/%Y %H:%M").to_string(),
            &self.user,
            &self.action,
            &self.detail,
        ])
    }
}

/// The whole-ledger view shows this many latest records.
const RECENT: usize = 1_000;

pub struct HistoryScreen {
    /// `None`: latest changes to the whole ledger.
    record: Option<String>,
    name: String,
    list: List<AuditRecord>,
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
            list: List::new(),
        };
        screen.reload(env)?;
        Ok(screen)
    }

    fn selected(&self) -> Option<&AuditRecord> {
        self.list.selected()
    }

    fn open(&self) -> Outcome {
        let Some(record) = self.selected() else {
            return Outcome::None;
        };
        let target = record
            .records
            .iter()
            .find(|r| Some(*r) != self.record.as_ref())
            .or(record.records.first());
        let Some(target) = target else {
            return Outcome::None;
        };
        let (kind, key) = target.split_once(':').unwrap_or((target.as_str(), ""));
        let route = match kind {
            "entry" => key.parse().ok().map(Route::Entry),
            "account" => AccountNumber::parse(key).ok().map(Route::Account),
            "party" => Some(Route::Party(key.to_string())),
            "document" => key.parse().ok().map(Route::Document),
            _ => return Outcome::Info(format!("{} has no screen of its own", clean(target))),
        };
        route.map_or(Outcome::None, Outcome::Open)
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
        let mut records = match &self.record {
            Some(record) => env.ledger.history(record)?,
            None => env.ledger.recent_history(RECENT)?,
        };
        // Latest first: the question is usually "who changed this last?".
        records.reverse();
        self.list.set_rows(records);
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
        self.list.draw(buf, table, &columns, theme, |r| {
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
            let lines: Vec<Line> = text
                .lines()
                .map(|l| Line::raw(safe(l).into_owned()))
                .collect();
            Paragraph::new(Text::from(lines))
                .style(theme.dim)
                .wrap(Wrap { trim: true })
                .render(area, buf);
        }
    }

    fn handle(&mut self, action: Action, _env: &Env) -> Outcome {
        match action {
            Action::Open => self.open(),
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        self.record.clone()
    }

    fn list(&self) -> Option<&dyn ListView> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        Some(&mut self.list)
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        vec![
            (keymap.hint(Context::List, Action::Open), "open the record"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
        ]
    }
}
