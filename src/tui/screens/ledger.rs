//! The ledger of an account or a third party, with running balance.
//!
//! Only a window of lines around the cursor is held; moving asks the ledger for the lines next
//! to the window (keyset paging), so a key costs the same on line 10 as on line 900,000.

use std::cell::Cell;

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::theme::Theme;
use super::super::widgets::table::{Column, ListState, draw_header, draw_row, search_text};
use super::entry::EntryScreen;
use super::{
    Env, Outcome, Prompt, Purpose, Screen, amount_or_blank, amount_text, clean, current_year,
    date_text, line, parse_range, range_text, range_title,
};
use crate::ledger::{LedgerError, LedgerOf, LedgerRow, LineKey, WindowStart};
use crate::model::{AccountNumber, Amount, EntryId};

/// Lines fetched at least at a time when the cursor nears the window's edge.
const MIN_CHUNK: usize = 48;
/// Largest window held.
const MAX_WINDOW: usize = 1_000;
/// A filter stops after this many matching lines.
const MAX_FOUND: usize = 10_000;
/// Ledgers up to this size filter as the user types; longer ones when the filter is entered.
const LIVE_FILTER_LINES: usize = 20_000;

struct Found {
    rows: Vec<LedgerRow>,
    list: ListState,
    truncated: bool,
}

pub struct LedgerScreen {
    of: LedgerOf,
    name: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    total: usize,
    opening: Amount,
    closing: Amount,
    window: Vec<LedgerRow>,
    /// Position of `window[0]` in the ledger.
    start: usize,
    cursor: usize,
    offset: Cell<usize>,
    height: Cell<usize>,
    filter: String,
    found: Option<Found>,
}

impl LedgerScreen {
    fn blank(env: &Env, of: LedgerOf, name: String) -> Result<Self, LedgerError> {
        let years = env.ledger.years()?;
        let (from, to) = match current_year(&years, env.ctx.today) {
            Some(year) => (Some(year.start), Some(year.end)),
            None => (None, None),
        };
        Ok(LedgerScreen {
            of,
            name,
            from,
            to,
            total: 0,
            opening: Amount::ZERO,
            closing: Amount::ZERO,
            window: Vec::new(),
            start: 0,
            cursor: 0,
            offset: Cell::new(0),
            height: Cell::new(20),
            filter: String::new(),
            found: None,
        })
    }

    /// An account's ledger over the current fiscal year, the cursor on the last line.
    pub fn account(env: &Env, account: &AccountNumber) -> Result<Self, LedgerError> {
        let label = clean(&env.ledger.account(account)?.label);
        let mut screen = Self::blank(
            env,
            LedgerOf::Account(account.clone()),
            format!("{account} {label}"),
        )?;
        screen.count(env)?;
        screen.bottom(env)?;
        Ok(screen)
    }

    /// An account's ledger over a date range, the cursor on the first line.
    pub fn account_in(
        env: &Env,
        account: &AccountNumber,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Self, LedgerError> {
        let label = clean(&env.ledger.account(account)?.label);
        let mut screen = Self::blank(
            env,
            LedgerOf::Account(account.clone()),
            format!("{account} {label}"),
        )?;
        screen.from = from;
        screen.to = to;
        screen.count(env)?;
        screen.top(env)?;
        Ok(screen)
    }

    /// A third party's ledger over the current fiscal year, the cursor on the last line.
    pub fn party(env: &Env, code: &str) -> Result<Self, LedgerError> {
        let party = env.ledger.party(code)?;
        let name = format!(
            "{} {} ({})",
            party.code,
            clean(&party.name),
            party.collective_account
        );
        let mut screen = Self::blank(env, LedgerOf::Party(party.code.clone()), name)?;
        screen.count(env)?;
        screen.bottom(env)?;
        Ok(screen)
    }

    /// An account's ledger with the cursor on an entry's line, over the fiscal year of that
    /// entry.
    pub fn account_at(
        env: &Env,
        account: &AccountNumber,
        entry: EntryId,
    ) -> Result<Self, LedgerError> {
        let label = clean(&env.ledger.account(account)?.label);
        let mut screen = Self::blank(
            env,
            LedgerOf::Account(account.clone()),
            format!("{account} {label}"),
        )?;
        let date = env.ledger.entry(entry)?.date;
        if let Some(year) = env.ledger.years()?.into_iter().find(|y| y.contains(date)) {
            screen.from = Some(year.start);
            screen.to = Some(year.end);
        }
        screen.count(env)?;
        if !screen.goto_entry(env, entry, None)? {
            screen.bottom(env)?;
        }
        Ok(screen)
    }

    fn count(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.total = env.ledger.ledger_line_count(&self.of, self.from, self.to)?;
        self.opening = match self.from.and_then(|d| d.pred_opt()) {
            Some(before) => env.ledger.ledger_balance(&self.of, Some(before))?,
            None => Amount::ZERO,
        };
        self.closing = env.ledger.ledger_balance(&self.of, self.to)?;
        Ok(())
    }

    fn fetch(
        &self,
        env: &Env,
        start: WindowStart,
        limit: usize,
    ) -> Result<Vec<LedgerRow>, LedgerError> {
        env.ledger
            .ledger_window(&self.of, self.from, self.to, start, limit)
    }

    /// Lines held on each side of the cursor: a screen's height and a little more, so that
    /// a key costs about one screen of lines at most.
    fn margin(&self) -> usize {
        self.height.get().max(10) + 16
    }

    fn end(&self) -> usize {
        self.start + self.window.len()
    }

    fn top(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.window = self.fetch(env, WindowStart::First, 2 * self.margin())?;
        self.start = 0;
        self.cursor = 0;
        self.offset.set(0);
        Ok(())
    }

    fn bottom(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.window = self.fetch(env, WindowStart::Last, 2 * self.margin())?;
        self.start = self.total.saturating_sub(self.window.len());
        self.cursor = self.total.saturating_sub(1);
        Ok(())
    }

    /// Puts the cursor on `entry`'s line (`line_no` when given); false when it is not here.
    fn goto_entry(
        &mut self,
        env: &Env,
        entry: EntryId,
        line_no: Option<u32>,
    ) -> Result<bool, LedgerError> {
        let Some((key, position)) = env
            .ledger
            .ledger_find_entry(&self.of, self.from, self.to, entry)?
        else {
            return Ok(false);
        };
        let before = self.fetch(
            env,
            WindowStart::Before {
                key,
                balance: position.balance_before,
            },
            self.margin(),
        )?;
        let after = self.fetch(
            env,
            WindowStart::At {
                key,
                balance: position.balance_before,
            },
            self.margin(),
        )?;
        self.start = position.index - before.len();
        self.window = before;
        self.window.extend(after);
        self.cursor = position.index;
        if let Some(line_no) = line_no
            && let Some(at) = self
                .window
                .iter()
                .position(|r| r.entry_id == entry && r.line_no == line_no)
        {
            self.cursor = self.start + at;
        }
        let height = self.height.get().max(1);
        self.offset.set(self.cursor.saturating_sub(height / 2));
        Ok(true)
    }

    /// Loads what the cursor needs around it, next to what is held.
    fn ensure(&mut self, env: &Env) -> Result<(), LedgerError> {
        if self.total == 0 {
            self.window.clear();
            self.start = 0;
            return Ok(());
        }
        let lo = self.cursor.saturating_sub(self.margin());
        let hi = (self.cursor + self.margin()).min(self.total);
        let chunk = self.margin().max(MIN_CHUNK);
        while self.end() < hi {
            let Some(last) = self.window.last() else {
                break;
            };
            let more = self.fetch(
                env,
                WindowStart::After {
                    key: LineKey::of(last),
                    balance: last.balance,
                },
                chunk,
            )?;
            if more.is_empty() {
                break;
            }
            self.window.extend(more);
        }
        while self.start > lo {
            let Some(first) = self.window.first() else {
                break;
            };
            let balance = first.balance - first.debit + first.credit;
            let more = self.fetch(
                env,
                WindowStart::Before {
                    key: LineKey::of(first),
                    balance,
                },
                chunk,
            )?;
            if more.is_empty() {
                break;
            }
            self.start -= more.len();
            let mut window = more;
            window.append(&mut self.window);
            self.window = window;
        }
        if self.window.len() > MAX_WINDOW {
            // Keep the part around the cursor.
            let keep_from = self.cursor.saturating_sub(MAX_WINDOW / 2).max(self.start);
            let drop_front = keep_from - self.start;
            self.window.drain(..drop_front);
            self.start += drop_front;
            self.window.truncate(MAX_WINDOW);
        }
        Ok(())
    }

    fn page(&self) -> usize {
        self.height.get().saturating_sub(1).max(1)
    }

    fn navigate(&mut self, action: Action, env: &Env) -> Result<bool, LedgerError> {
        if let Some(found) = &mut self.found {
            return Ok(found.list.navigate(action));
        }
        let last = self.total.saturating_sub(1);
        match action {
            Action::Top => self.top(env)?,
            Action::Bottom => self.bottom(env)?,
            Action::Down => self.cursor = (self.cursor + 1).min(last),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::PageDown => self.cursor = (self.cursor + self.page()).min(last),
            Action::PageUp => self.cursor = self.cursor.saturating_sub(self.page()),
            _ => return Ok(false),
        }
        self.ensure(env)?;
        Ok(true)
    }

    fn selected(&self) -> Option<&LedgerRow> {
        match &self.found {
            Some(found) => found.list.selected().and_then(|i| found.rows.get(i)),
            None => self
                .cursor
                .checked_sub(self.start)
                .and_then(|i| self.window.get(i)),
        }
    }

    /// Scans the whole range for lines containing the filter.
    fn search(&mut self, env: &Env) -> Result<(), LedgerError> {
        if self.filter.is_empty() {
            self.found = None;
            return Ok(());
        }
        let needle: String = self
            .filter
            .chars()
            .map(super::super::widgets::fuzzy::fold)
            .collect();
        let mut rows = Vec::new();
        let mut search = Vec::new();
        let mut truncated = false;
        let mut start = WindowStart::First;
        'scan: loop {
            let chunk = self.fetch(env, start, 5_000)?;
            let Some(last) = chunk.last() else { break };
            start = WindowStart::After {
                key: LineKey::of(last),
                balance: last.balance,
            };
            for row in chunk {
                let text = row_search(&row);
                if text.contains(&needle) {
                    if rows.len() == MAX_FOUND {
                        truncated = true;
                        break 'scan;
                    }
                    rows.push(row);
                    search.push(text);
                }
            }
        }
        let mut list = ListState::default();
        list.refilter(search.iter().map(String::as_str));
        self.found = Some(Found {
            rows,
            list,
            truncated,
        });
        Ok(())
    }

    fn columns(&self) -> Vec<Column> {
        vec![
            Column::left("date", 10),
            Column::left("number", 13),
            Column::left("piece", 12).from(100),
            Column::fill("label"),
            Column::left("let.", 4).from(110),
            Column::right("debit", 11),
            Column::right("credit", 11),
            Column::right("balance", 12),
        ]
    }
}

fn row_cells(row: &LedgerRow) -> Vec<String> {
    vec![
        date_text(row.date),
        row.reference.clone(),
        clean(&row.piece),
        clean(&row.label),
        row.letter.clone().unwrap_or_default(),
        amount_or_blank(row.debit),
        amount_or_blank(row.credit),
        amount_text(row.balance),
    ]
}

fn row_search(row: &LedgerRow) -> String {
    search_text(&[
        &date_text(row.date),
        &row.reference,
        &row.piece,
        &row.label,
        row.third_party.as_deref().unwrap_or(""),
        &amount_or_blank(row.debit),
        &amount_or_blank(row.credit),
    ])
}

impl Screen for LedgerScreen {
    fn context(&self) -> Context {
        Context::Ledger
    }

    fn title(&self) -> String {
        match self.of {
            LedgerOf::Account(_) => format!("Ledger {}", self.name),
            LedgerOf::Party(_) => format!("Third party {}", self.name),
        }
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let keep = self.selected().map(|r| (r.entry_id, r.line_no));
        let index = self.cursor;
        self.count(env)?;
        if let Some((entry, line_no)) = keep
            && self.found.is_none()
            && self.goto_entry(env, entry, Some(line_no))?
        {
            return self.ensure(env);
        }
        if self.found.is_some() {
            self.search(env)?;
        }
        self.cursor = index.min(self.total.saturating_sub(1));
        if self.cursor * 2 < self.total {
            let cursor = self.cursor;
            self.top(env)?;
            self.cursor = cursor;
        } else {
            let cursor = self.cursor;
            self.bottom(env)?;
            self.cursor = cursor;
        }
        self.ensure(env)
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let inner = area;
        line(
            buf,
            inner,
            inner.y,
            &format!(
                "{} · {} · {} lines",
                self.name,
                range_title(self.from, self.to),
                self.total
            ),
            theme.title,
        );
        let position = match &self.found {
            Some(found) => format!(
                "{}{} lines match “{}”",
                found.rows.len(),
                if found.truncated { "+" } else { "" },
                self.filter
            ),
            None if self.total == 0 => "no line".into(),
            None => format!("line {} of {}", self.cursor + 1, self.total),
        };
        line(
            buf,
            inner,
            inner.y + 1,
            &format!(
                "Brought forward {} · closing balance {} · {position}",
                amount_text(self.opening),
                amount_text(self.closing)
            ),
            theme.dim,
        );
        let table = Rect::new(
            inner.x,
            inner.y + 2,
            inner.width,
            inner.height.saturating_sub(2),
        );
        let columns = self.columns();
        if let Some(found) = &self.found {
            found.list.draw(buf, table, &columns, theme, |i| {
                (row_cells(&found.rows[i]), Style::new())
            });
            return;
        }
        if table.height == 0 {
            return;
        }
        draw_header(buf, table, &columns, theme);
        let body = Rect::new(table.x, table.y + 1, table.width, table.height - 1);
        let height = body.height as usize;
        self.height.set(height);
        let mut offset = self.offset.get();
        if self.cursor < offset {
            offset = self.cursor;
        } else if height > 0 && self.cursor >= offset + height {
            offset = self.cursor + 1 - height;
        }
        offset = offset.min(self.total.saturating_sub(height));
        self.offset.set(offset);
        if self.total == 0 {
            line(buf, body, body.y, "(no line in this range)", theme.dim);
        }
        for y in 0..height {
            let index = offset + y;
            let Some(row) = index
                .checked_sub(self.start)
                .and_then(|i| self.window.get(i))
            else {
                continue;
            };
            let style = if index == self.cursor {
                theme.cursor
            } else {
                Style::new()
            };
            draw_row(
                buf,
                body,
                body.y + y as u16,
                &columns,
                &row_cells(row),
                style,
            );
        }
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match self.navigate(action, env) {
            Ok(true) => return Outcome::None,
            Ok(false) => {}
            Err(err) => return err.into(),
        }
        match action {
            Action::Open => match self.selected() {
                Some(row) => match EntryScreen::new(env, row.entry_id) {
                    Ok(screen) => Outcome::open(screen),
                    Err(err) => err.into(),
                },
                None => Outcome::None,
            },
            Action::SetRange => {
                let years = env.ledger.years().unwrap_or_default();
                Outcome::Prompt(Prompt {
                    title: "Dates: a fiscal year (2026), a month (2026-03), two dates or all"
                        .into(),
                    initial: range_text(self.from, self.to, &years),
                    purpose: Purpose::Range,
                })
            }
            _ => Outcome::None,
        }
    }

    fn answer(&mut self, purpose: &Purpose, text: &str, env: &Env) -> Outcome {
        if *purpose != Purpose::Range {
            return Outcome::None;
        }
        let years = env.ledger.years().unwrap_or_default();
        match parse_range(text, &years, env.ctx.today) {
            Ok((from, to)) => {
                self.from = from;
                self.to = to;
                match self.reload(env) {
                    Ok(()) => Outcome::None,
                    Err(err) => err.into(),
                }
            }
            Err(message) => Outcome::Error(message),
        }
    }

    fn record(&self) -> Option<String> {
        Some(match &self.of {
            LedgerOf::Account(number) => format!("account:{number}"),
            LedgerOf::Party(code) => format!("party:{code}"),
        })
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn set_filter(&mut self, text: &str, env: &Env) {
        self.filter = text.to_string();
        if self.filter.is_empty() {
            self.found = None;
        } else if self.total <= LIVE_FILTER_LINES {
            let _ = self.search(env);
        }
    }

    fn commit_filter(&mut self, env: &Env) -> Outcome {
        match self.search(env) {
            Ok(()) => Outcome::None,
            Err(err) => err.into(),
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        vec![
            (keymap.hint(Context::List, Action::Open), "entry"),
            (keymap.hint(Context::Ledger, Action::SetRange), "dates"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
            (keymap.hint(Context::List, Action::Bottom), "last line"),
        ]
    }
}
