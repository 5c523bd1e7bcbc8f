//! The list every list screen is made of: a cursor over rows, the `/` filter, marks with the
//! running total of the marked rows, and, for lists too long to hold (an account's ledger),
//! keyset paging: only a window of rows around the cursor is read, and moving asks the source
//! for the rows next to the window, so a key costs the same on row 10 as on row 900,000.
//!
//! Screens give their rows (or a `Pager` that reads them) and say how a row is drawn; the
//! application drives the list through `ListView`: moving, marking, filtering, and the status
//! line (what the list is filtered on, how many rows are marked and what they add up to).

use std::cell::Cell;
use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::Action;
use super::super::theme::Theme;
use super::table::{Column, draw_header, draw_row};
use super::text::put;
use crate::ledger::{Ledger, LedgerError};
use crate::model::Amount;
use crate::query::{Field, Fields, Query, QueryError};

/// Rows a paged list fetches at least at a time when the cursor nears the window's edge.
const MIN_CHUNK: usize = 48;
/// Largest window a paged list holds.
const MAX_WINDOW: usize = 1_000;
/// A filter over a paged list stops after this many matching rows.
pub const MAX_FOUND: usize = 10_000;
/// Paged lists up to this size filter as the user types; longer ones when the filter is
/// entered.
const LIVE_FILTER_ROWS: usize = 20_000;
/// Rows read at a time while a paged list is filtered.
const SCAN_CHUNK: usize = 5_000;

/// A row of a list.
pub trait Row {
    /// What identifies the row across reloads: the cursor and the marks follow it.
    type Key: Ord + Clone;

    fn key(&self) -> Self::Key;

    /// The row's text for the filter's plain words, lowercase and accent-free
    /// (`table::search_text`).
    fn search(&self) -> String;

    /// The row's typed fields for the filter's `acct:`, `amt:`, `date:` ... terms (the text
    /// comes from `search`).
    fn fields(&self) -> Fields<'_> {
        Fields::default()
    }

    /// The fields `fields` fills on this list: a query term on another field is an error.
    fn known() -> &'static [Field]
    where
        Self: Sized,
    {
        &[]
    }

    /// The amount the row adds to the marked total, or why it cannot be marked.
    fn mark(&self) -> Result<Amount, String> {
        Err("the rows of this list are not marked".into())
    }
}

/// Where a page of a paged list starts.
pub enum Fetch<'a, R> {
    /// The first rows.
    First,
    /// The last rows.
    Last,
    /// The rows after this one.
    After(&'a R),
    /// The rows before this one.
    Before(&'a R),
}

/// Reads a long list page by page, in its order, by key (never by offset).
pub trait Pager<R> {
    /// How many rows the list has.
    fn count(&self, ledger: &Ledger) -> Result<usize, LedgerError>;

    /// Up to `limit` rows from `start`, in list order.
    fn fetch(
        &self,
        ledger: &Ledger,
        start: Fetch<'_, R>,
        limit: usize,
    ) -> Result<Vec<R>, LedgerError>;
}

/// What a list did with an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListOutcome {
    /// Not a list action: the screen handles it.
    Ignored,
    Moved,
    Info(String),
    Error(String),
}

/// A list as the application drives it, whatever its rows.
pub trait ListView {
    /// Moves the cursor or marks a row for a list action.
    fn act(&mut self, action: Action, ledger: &Ledger) -> Result<ListOutcome, LedgerError>;

    fn filter(&self) -> &str;

    /// Why the filter cannot be applied (a malformed term, a field this list does not have).
    fn filter_error(&self) -> Option<String>;

    /// `12 of 573` while a filter is applied.
    fn count_text(&self) -> Option<String>;

    /// Changes the filter as the user types it (long paged lists wait for `commit_filter`).
    fn set_filter(&mut self, text: &str, ledger: &Ledger) -> Result<(), LedgerError>;

    /// The filter is complete (Enter).
    fn commit_filter(&mut self, ledger: &Ledger) -> Result<(), LedgerError>;

    /// How many rows are marked and what they add up to.
    fn marked(&self) -> (usize, Amount);

    /// What the status line says of the list: its filter and its marks.
    fn status(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(error) = self.filter_error() {
            parts.push(error);
        } else if !self.filter().is_empty() {
            let count = self.count_text().unwrap_or_default();
            parts.push(format!("“{}” {count}", self.filter()));
        }
        let (count, total) = self.marked();
        if count > 0 {
            parts.push(marked_text(count, total));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// `3 marked · 1 234,56`.
pub fn marked_text(count: usize, total: Amount) -> String {
    format!("{count} marked · {}", total.to_french())
}

/// Rows matching a filter over a paged list, held in memory.
struct Found<R: Row> {
    list: Box<List<R>>,
    truncated: bool,
}

pub struct List<R: Row> {
    /// In memory: every row. Paged: the window held, `rows[0]` being row `start`.
    rows: Vec<R>,
    pager: Option<Box<dyn Pager<R>>>,
    start: usize,
    /// Paged: how many rows the list has.
    total: usize,
    /// In memory: the rows shown (indices into `rows`), after the filter.
    visible: Vec<usize>,
    /// In memory: the folded text of each row, built when a filter is typed.
    search: Vec<String>,
    /// Paged: the rows matching the filter.
    found: Option<Found<R>>,
    filter: String,
    /// The filter read as a query; `None` when it cannot be applied (see `filter_error`).
    query: Option<Query>,
    filter_error: Option<String>,
    /// In memory: a position in `visible`. Paged: the row's position in the whole list.
    cursor: usize,
    offset: Cell<usize>,
    height: Cell<usize>,
    marks: BTreeMap<R::Key, Amount>,
    /// A one-cell column on the left shows `*` on marked rows.
    mark_column: bool,
    empty: &'static str,
}

impl<R: Row> Default for List<R> {
    fn default() -> Self {
        List {
            rows: Vec::new(),
            pager: None,
            start: 0,
            total: 0,
            visible: Vec::new(),
            search: Vec::new(),
            found: None,
            filter: String::new(),
            query: None,
            filter_error: None,
            cursor: 0,
            offset: Cell::new(0),
            height: Cell::new(20),
            marks: BTreeMap::new(),
            mark_column: false,
            empty: "(nothing to show)",
        }
    }
}

impl<R: Row> List<R> {
    /// A list of rows held in memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// A list read page by page from `pager`; `reset` reads it.
    pub fn paged(pager: impl Pager<R> + 'static) -> Self {
        List {
            pager: Some(Box::new(pager)),
            ..Self::default()
        }
    }

    /// Shows `*` in a column of its own on marked rows.
    pub fn with_mark_column(mut self) -> Self {
        self.mark_column = true;
        self
    }

    /// The text shown when there is no row.
    pub fn with_empty_text(mut self, text: &'static str) -> Self {
        self.empty = text;
        self
    }

    fn is_paged(&self) -> bool {
        self.pager.is_some()
    }

    /// Replaces the source of a paged list (a new date range); `reset` reads it.
    pub fn set_pager(&mut self, pager: impl Pager<R> + 'static) {
        self.pager = Some(Box::new(pager));
    }

    // ----- rows held in memory ----------------------------------------------------------------

    /// Replaces the rows, keeping the cursor on the same row when it is still there (else at
    /// the same place) and the marks on the rows still there and still markable.
    pub fn set_rows(&mut self, rows: Vec<R>) {
        let keep = self.selected().map(Row::key);
        let cursor = self.cursor;
        self.rows = rows;
        self.rows_changed(keep, cursor);
    }

    /// After the rows changed: the marks of rows gone go, the filter applies again, the cursor
    /// goes back on the row `keep` (else stays at the same place).
    fn rows_changed(&mut self, keep: Option<R::Key>, cursor: usize) {
        self.search.clear();
        let present: BTreeMap<R::Key, Amount> = self
            .rows
            .iter()
            .filter_map(|r| {
                let key = r.key();
                if !self.marks.contains_key(&key) {
                    return None;
                }
                r.mark().ok().map(|amount| (key, amount))
            })
            .collect();
        self.marks = present;
        self.refilter();
        let kept = keep.is_some_and(|key| self.select(|r| r.key() == key));
        if !kept {
            self.cursor = cursor.min(self.visible.len().saturating_sub(1));
        }
    }

    fn refilter(&mut self) {
        match &self.query {
            None => self.visible = (0..self.rows.len()).collect(),
            Some(query) => {
                if self.search.len() != self.rows.len() {
                    self.search = self.rows.iter().map(Row::search).collect();
                }
                self.visible = self
                    .rows
                    .iter()
                    .zip(&self.search)
                    .enumerate()
                    .filter(|(_, (row, text))| matches(query, *row, text))
                    .map(|(i, _)| i)
                    .collect();
            }
        }
    }

    /// Reads the filter as a query: `query` is set when it applies, `filter_error` says why not.
    fn parse_filter(&mut self) {
        self.query = None;
        self.filter_error = None;
        if self.filter.trim().is_empty() {
            return;
        }
        match Query::parse(&self.filter).and_then(|query| check_fields::<R>(query)) {
            Ok(query) => self.query = Some(query),
            Err(err) => self.filter_error = Some(err.to_string()),
        }
    }

    /// How many rows the list has, filter or not.
    fn unfiltered_len(&self) -> usize {
        if self.is_paged() {
            self.total
        } else {
            self.rows.len()
        }
    }

    /// The rows matching the filter of a paged list (`None` when not filtered).
    pub fn found_rows(&self) -> Option<&[R]> {
        self.found.as_ref().map(|found| found.list.rows())
    }

    /// Every row held (in memory: the whole list, filter or not).
    pub fn rows(&self) -> &[R] {
        &self.rows
    }

    /// The rows shown, in order (after the filter).
    pub fn shown(&self) -> impl Iterator<Item = &R> {
        self.visible.iter().filter_map(|&i| self.rows.get(i))
    }

    /// How many rows are shown.
    pub fn len(&self) -> usize {
        match (&self.found, self.is_paged()) {
            (Some(found), _) => found.list.len(),
            (None, true) => self.total,
            (None, false) => self.visible.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cursor's position among the rows shown.
    pub fn cursor(&self) -> usize {
        match &self.found {
            Some(found) => found.list.cursor(),
            None => self.cursor,
        }
    }

    /// Puts the cursor at a position among the rows shown (rows in memory).
    pub fn set_cursor(&mut self, at: usize) {
        self.cursor = at.min(self.len().saturating_sub(1));
    }

    /// The row under the cursor.
    pub fn selected(&self) -> Option<&R> {
        if let Some(found) = &self.found {
            return found.list.selected();
        }
        if self.is_paged() {
            self.cursor
                .checked_sub(self.start)
                .and_then(|i| self.rows.get(i))
        } else {
            self.visible
                .get(self.cursor)
                .and_then(|&i| self.rows.get(i))
        }
    }

    /// Puts the cursor on the first row shown (or held, when paged) that `matches`; returns
    /// whether there is one.
    pub fn select(&mut self, matches: impl Fn(&R) -> bool) -> bool {
        if self.is_paged() {
            return match self.rows.iter().position(matches) {
                Some(at) => {
                    self.cursor = self.start + at;
                    true
                }
                None => false,
            };
        }
        let rows = &self.rows;
        match self.visible.iter().position(|&i| matches(&rows[i])) {
            Some(at) => {
                self.cursor = at;
                true
            }
            None => false,
        }
    }

    /// Rows a page key moves.
    pub fn page(&self) -> usize {
        self.height.get().saturating_sub(1).max(1)
    }

    /// Moves the cursor over rows in memory; returns whether the action was a move.
    fn navigate_memory(&mut self, action: Action) -> bool {
        let last = self.visible.len().saturating_sub(1);
        self.cursor = match action {
            Action::Down => (self.cursor + 1).min(last),
            Action::Up => self.cursor.saturating_sub(1),
            Action::PageDown => (self.cursor + self.page()).min(last),
            Action::PageUp => self.cursor.saturating_sub(self.page()),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return false,
        };
        true
    }

    // ----- marks ------------------------------------------------------------------------------

    /// Marks the row under the cursor, or unmarks it, then moves down.
    fn toggle_mark(&mut self, ledger: &Ledger) -> Result<ListOutcome, LedgerError> {
        let Some((key, mark)) = self.selected().map(|row| (row.key(), row.mark())) else {
            return Ok(ListOutcome::Moved);
        };
        if self.marks.remove(&key).is_none() {
            match mark {
                Ok(amount) => {
                    self.marks.insert(key, amount);
                }
                Err(message) => return Ok(ListOutcome::Error(message)),
            }
        }
        self.navigate(Action::Down, ledger)?;
        let (count, total) = self.marked();
        Ok(ListOutcome::Info(marked_text(count, total)))
    }

    /// Changes the rows in place (a change whose result the screen knows), keeping the cursor
    /// and the marks as `set_rows` does.
    pub fn edit_rows(&mut self, edit: impl FnOnce(&mut Vec<R>)) {
        let keep = self.selected().map(Row::key);
        let cursor = self.cursor;
        edit(&mut self.rows);
        self.rows_changed(keep, cursor);
    }

    /// Drops the marks of these rows (they were used: lettered, for instance).
    pub fn unmark<'a>(&mut self, keys: impl IntoIterator<Item = &'a R::Key>)
    where
        R::Key: 'a,
    {
        for key in keys {
            self.marks.remove(key);
        }
    }

    /// The keys of the marked rows, in key order.
    pub fn marks(&self) -> impl Iterator<Item = &R::Key> {
        self.marks.keys()
    }

    // ----- paging -----------------------------------------------------------------------------

    fn fetch(
        &self,
        ledger: &Ledger,
        start: Fetch<'_, R>,
        limit: usize,
    ) -> Result<Vec<R>, LedgerError> {
        match &self.pager {
            Some(pager) => pager.fetch(ledger, start, limit),
            None => Ok(Vec::new()),
        }
    }

    /// Rows held on each side of the cursor: a screen's height and a little more, so that a
    /// key costs about one screen of rows at most.
    fn margin(&self) -> usize {
        self.height.get().max(10) + 16
    }

    fn end(&self) -> usize {
        self.start + self.rows.len()
    }

    /// How many rows a paged list has, as last counted.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Counts the rows of a paged list again; the window is read by `top`, `bottom`, `place`
    /// or `ensure`.
    pub fn count(&mut self, ledger: &Ledger) -> Result<(), LedgerError> {
        self.total = match &self.pager {
            Some(pager) => pager.count(ledger)?,
            None => self.rows.len(),
        };
        Ok(())
    }

    /// The first rows, the cursor on the first.
    pub fn top(&mut self, ledger: &Ledger) -> Result<(), LedgerError> {
        if !self.is_paged() {
            self.navigate_memory(Action::Top);
            return Ok(());
        }
        self.rows = self.fetch(ledger, Fetch::First, 2 * self.margin())?;
        self.start = 0;
        self.cursor = 0;
        self.offset.set(0);
        Ok(())
    }

    /// The last rows, the cursor on the last.
    pub fn bottom(&mut self, ledger: &Ledger) -> Result<(), LedgerError> {
        if !self.is_paged() {
            self.navigate_memory(Action::Bottom);
            return Ok(());
        }
        self.rows = self.fetch(ledger, Fetch::Last, 2 * self.margin())?;
        self.start = self.total.saturating_sub(self.rows.len());
        self.cursor = self.total.saturating_sub(1);
        Ok(())
    }

    /// Holds `before` and `after` around row `index` (the first of `after`), the cursor on it,
    /// in the middle of the screen.
    pub fn place(&mut self, index: usize, before: Vec<R>, after: Vec<R>) {
        self.start = index.saturating_sub(before.len());
        self.rows = before;
        self.rows.extend(after);
        self.cursor = index;
        let height = self.height.get().max(1);
        self.offset.set(self.cursor.saturating_sub(height / 2));
    }

    /// Rows wanted on each side of the cursor when placing it on a row.
    pub fn place_margin(&self) -> usize {
        self.margin()
    }

    /// Reads what the cursor needs around it, next to what is held.
    pub fn ensure(&mut self, ledger: &Ledger) -> Result<(), LedgerError> {
        if !self.is_paged() {
            return Ok(());
        }
        if self.total == 0 {
            self.rows.clear();
            self.start = 0;
            return Ok(());
        }
        self.cursor = self.cursor.min(self.total - 1);
        if self.cursor < self.start || self.cursor >= self.end() {
            // Far from the window (a reload moved it): start again from the nearest end.
            let cursor = self.cursor;
            if cursor * 2 < self.total {
                self.top(ledger)?;
            } else {
                self.bottom(ledger)?;
            }
            self.cursor = cursor;
        }
        let lo = self.cursor.saturating_sub(self.margin());
        let hi = (self.cursor + self.margin()).min(self.total);
        let chunk = self.margin().max(MIN_CHUNK);
        while self.end() < hi {
            let more = match self.rows.last() {
                Some(last) => self.fetch(ledger, Fetch::After(last), chunk)?,
                None => break,
            };
            if more.is_empty() {
                break;
            }
            self.rows.extend(more);
        }
        while self.start > lo {
            let more = match self.rows.first() {
                Some(first) => self.fetch(ledger, Fetch::Before(first), chunk)?,
                None => break,
            };
            if more.is_empty() {
                break;
            }
            self.start = self.start.saturating_sub(more.len());
            let mut rows = more;
            rows.append(&mut self.rows);
            self.rows = rows;
        }
        if self.rows.len() > MAX_WINDOW {
            // Keep the part around the cursor.
            let keep_from = self.cursor.saturating_sub(MAX_WINDOW / 2).max(self.start);
            let drop_front = keep_from - self.start;
            self.rows.drain(..drop_front);
            self.start += drop_front;
            self.rows.truncate(MAX_WINDOW);
        }
        Ok(())
    }

    /// Reads a paged list again after a change, once `count` counted it: the cursor stays at
    /// the same position (a screen that finds its row again uses `place` instead), the rows
    /// matching the filter are searched again.
    pub fn reread(&mut self, ledger: &Ledger) -> Result<(), LedgerError> {
        let cursor = self.cursor.min(self.total.saturating_sub(1));
        self.rows.clear();
        self.start = 0;
        self.cursor = cursor;
        if self.found.is_some() {
            self.scan(ledger)?;
        }
        self.ensure(ledger)
    }

    /// Reads the whole paged list for the rows matching the filter.
    fn scan(&mut self, ledger: &Ledger) -> Result<(), LedgerError> {
        let Some(query) = self.query.clone() else {
            self.found = None;
            return Ok(());
        };
        let keep = self.selected().map(Row::key);
        let mut rows = Vec::new();
        let mut truncated = false;
        let mut chunk = self.fetch(ledger, Fetch::First, SCAN_CHUNK)?;
        'scan: while !chunk.is_empty() {
            let next = match chunk.last() {
                Some(last) => self.fetch(ledger, Fetch::After(last), SCAN_CHUNK)?,
                None => Vec::new(),
            };
            for row in chunk {
                if matches(&query, &row, &row.search()) {
                    if rows.len() == MAX_FOUND {
                        truncated = true;
                        break 'scan;
                    }
                    rows.push(row);
                }
            }
            chunk = next;
        }
        let mut list = List::new().with_empty_text(self.empty);
        list.mark_column = self.mark_column;
        list.height.set(self.height.get());
        list.set_rows(rows);
        list.total = self.total;
        if let Some(key) = keep {
            list.select(|r| r.key() == key);
        }
        self.found = Some(Found {
            list: Box::new(list),
            truncated,
        });
        Ok(())
    }

    /// Whether a paged list shows the rows matching its filter.
    pub fn is_searched(&self) -> bool {
        self.found.is_some()
    }

    /// `line 12 of 340`, or `25 of 340 lines match “loyer”` while filtered.
    pub fn position(&self, what: &str) -> String {
        match &self.found {
            Some(found) => format!(
                "{}{} of {} {what}s match “{}”",
                found.list.len(),
                if found.truncated { "+" } else { "" },
                self.total,
                self.filter
            ),
            None if self.is_empty() => format!("no {what}"),
            None => format!("{what} {} of {}", self.cursor + 1, self.len()),
        }
    }

    // ----- moving -----------------------------------------------------------------------------

    /// Moves the cursor for a list action; returns whether the action was a move.
    pub fn navigate(&mut self, action: Action, ledger: &Ledger) -> Result<bool, LedgerError> {
        if let Some(found) = &mut self.found {
            return Ok(found.list.navigate_memory(action));
        }
        if !self.is_paged() {
            return Ok(self.navigate_memory(action));
        }
        let last = self.total.saturating_sub(1);
        match action {
            Action::Top => self.top(ledger)?,
            Action::Bottom => self.bottom(ledger)?,
            Action::Down => self.cursor = (self.cursor + 1).min(last),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::PageDown => self.cursor = (self.cursor + self.page()).min(last),
            Action::PageUp => self.cursor = self.cursor.saturating_sub(self.page()),
            _ => return Ok(false),
        }
        self.ensure(ledger)?;
        Ok(true)
    }

    // ----- drawing ----------------------------------------------------------------------------

    /// The first row shown for a viewport of `height` rows, keeping the cursor in view.
    /// Remembers the height for paging.
    fn scroll(&self, height: usize) -> usize {
        self.height.set(height);
        let mut offset = self.offset.get();
        if self.cursor < offset {
            offset = self.cursor;
        } else if height > 0 && self.cursor >= offset + height {
            offset = self.cursor + 1 - height;
        }
        offset = offset.min(self.len().saturating_sub(height));
        self.offset.set(offset);
        offset
    }

    /// Draws the header and the rows in view. `cells` gives the cells and style of a row.
    pub fn draw(
        &self,
        buf: &mut Buffer,
        area: Rect,
        columns: &[Column],
        theme: &Theme,
        cells: impl Fn(&R) -> (Vec<String>, Style),
    ) {
        self.draw_with_cursor(buf, area, columns, theme, true, cells);
    }

    /// Like `draw`; `cursor` false leaves the cursor row unmarked (a screen with several
    /// lists marks only the one that has the focus).
    pub fn draw_with_cursor(
        &self,
        buf: &mut Buffer,
        area: Rect,
        columns: &[Column],
        theme: &Theme,
        cursor: bool,
        cells: impl Fn(&R) -> (Vec<String>, Style),
    ) {
        let filter = if self.query.is_some() {
            self.filter.as_str()
        } else {
            ""
        };
        let how = (cursor, &self.marks, filter);
        if let Some(found) = &self.found {
            found.list.draw_rows(buf, area, columns, theme, how, &cells);
            return;
        }
        self.draw_rows(buf, area, columns, theme, how, &cells);
    }

    fn draw_rows(
        &self,
        buf: &mut Buffer,
        area: Rect,
        columns: &[Column],
        theme: &Theme,
        (cursor, marks, filter): (bool, &BTreeMap<R::Key, Amount>, &str),
        cells: &impl Fn(&R) -> (Vec<String>, Style),
    ) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let mut all: Vec<Column>;
        let columns = if self.mark_column {
            all = vec![Column::left("", 1)];
            all.extend_from_slice(columns);
            &all[..]
        } else {
            columns
        };
        draw_header(buf, area, columns, theme);
        let body = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
        let height = body.height as usize;
        let offset = self.scroll(height);
        for y in 0..height {
            let at = offset + y;
            let row = if self.is_paged() {
                at.checked_sub(self.start).and_then(|i| self.rows.get(i))
            } else {
                self.visible.get(at).and_then(|&i| self.rows.get(i))
            };
            let Some(row) = row else {
                continue;
            };
            let (mut texts, mut style) = cells(row);
            let marked = !marks.is_empty() && marks.contains_key(&row.key());
            if marked {
                style = style.patch(theme.marked);
            }
            if self.mark_column {
                texts.insert(0, if marked { "*" } else { "" }.to_string());
            }
            if cursor && at == self.cursor {
                style = style.patch(theme.cursor);
            }
            draw_row(buf, body, body.y + y as u16, columns, &texts, style);
        }
        if self.is_empty() && body.height > 0 {
            let text = if filter.is_empty() {
                self.empty.to_string()
            } else {
                format!("(no row matches “{filter}”)")
            };
            put(buf, body.x, body.y, &text, body.width as usize, theme.dim);
        }
    }
}

impl<R: Row> ListView for List<R> {
    fn act(&mut self, action: Action, ledger: &Ledger) -> Result<ListOutcome, LedgerError> {
        if action == Action::Mark {
            return self.toggle_mark(ledger);
        }
        Ok(if self.navigate(action, ledger)? {
            ListOutcome::Moved
        } else {
            ListOutcome::Ignored
        })
    }

    fn filter(&self) -> &str {
        &self.filter
    }

    fn filter_error(&self) -> Option<String> {
        self.filter_error.clone()
    }

    fn count_text(&self) -> Option<String> {
        self.query.as_ref()?;
        if self.is_paged() && self.found.is_none() {
            // A long list filters on Enter.
            return Some("(enter to search)".into());
        }
        let truncated = self.found.as_ref().is_some_and(|f| f.truncated);
        Some(format!(
            "{}{} of {}",
            self.len(),
            if truncated { "+" } else { "" },
            self.unfiltered_len()
        ))
    }

    fn set_filter(&mut self, text: &str, ledger: &Ledger) -> Result<(), LedgerError> {
        self.filter = text.to_string();
        self.parse_filter();
        if !self.is_paged() {
            let keep = self.selected().map(Row::key);
            self.refilter();
            self.cursor = 0;
            if let Some(key) = keep {
                self.select(|r| r.key() == key);
            }
            self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
            return Ok(());
        }
        if self.query.is_none() {
            self.found = None;
            Ok(())
        } else if self.total <= LIVE_FILTER_ROWS {
            self.scan(ledger)
        } else {
            Ok(())
        }
    }

    fn commit_filter(&mut self, ledger: &Ledger) -> Result<(), LedgerError> {
        if self.is_paged() {
            self.scan(ledger)?;
        }
        Ok(())
    }

    fn marked(&self) -> (usize, Amount) {
        (self.marks.len(), self.marks.values().copied().sum())
    }
}

/// Whether a row matches a query; `text` is its folded search text.
fn matches<R: Row>(query: &Query, row: &R, text: &str) -> bool {
    query.matches_folded(&row.fields(), text)
}

/// Refuses a query on a field the rows of `R` do not have, saying which.
fn check_fields<R: Row>(query: Query) -> Result<Query, QueryError> {
    match query.unknown_field(R::known()) {
        None => Ok(query),
        Some(Field::Open) => Err(QueryError {
            term: "open".into(),
            message: "open items are not known on this list (they are on the documents list; \
                      ledgers will know them with lettering)"
                .into(),
        }),
        Some(field) => Err(QueryError {
            term: field.name().into(),
            message: "this list has no such field".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::widgets::table::search_text;

    #[derive(Debug, Clone, PartialEq)]
    struct Item(u32, &'static str, i64);

    impl Row for Item {
        type Key = u32;
        fn key(&self) -> u32 {
            self.0
        }
        fn search(&self) -> String {
            search_text(&[self.1])
        }
        fn mark(&self) -> Result<Amount, String> {
            if self.2 == 0 {
                Err(format!("{} has no amount", self.1))
            } else {
                Ok(Amount::from_cents(self.2))
            }
        }
    }

    fn items() -> Vec<Item> {
        vec![
            Item(1, "alpha", 10_000),
            Item(2, "beta", 2_550),
            Item(3, "gamma", 0),
            Item(4, "delta", -550),
        ]
    }

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .unwrap();
        let ledger =
            crate::demo::build_demo(&dir.path().join("l"), &crate::ledger::Ctx::fixed("t", now))
                .unwrap();
        (dir, ledger)
    }

    #[test]
    fn the_cursor_follows_its_row_through_filters_and_reloads() {
        let (_dir, ledger) = ledger();
        let mut list = List::new();
        list.set_rows(items());
        list.act(Action::Down, &ledger).unwrap();
        list.act(Action::Down, &ledger).unwrap();
        assert_eq!(list.selected().map(|r| r.0), Some(3));
        list.set_filter("ta", &ledger).unwrap();
        assert_eq!(list.shown().map(|r| r.0).collect::<Vec<_>>(), vec![2, 4]);
        assert_eq!(list.selected().map(|r| r.0), Some(2));
        list.act(Action::Bottom, &ledger).unwrap();
        assert_eq!(list.selected().map(|r| r.0), Some(4));
        // A reload without row 2 keeps the cursor on row 4.
        list.set_rows(vec![items()[0].clone(), items()[3].clone()]);
        assert_eq!(list.selected().map(|r| r.0), Some(4));
        list.set_filter("zzz", &ledger).unwrap();
        assert_eq!(list.selected(), None);
        assert_eq!(
            list.act(Action::Open, &ledger).unwrap(),
            ListOutcome::Ignored
        );
        assert_eq!(list.status().as_deref(), Some("“zzz” 0 of 2"));
        // A malformed term is an error, and the rows stay as they were.
        list.set_filter("amt:abc", &ledger).unwrap();
        assert_eq!(list.len(), 2);
        assert!(
            list.status()
                .unwrap()
                .starts_with("`amt:abc`: not an amount")
        );
        // A field the rows do not have is an error too.
        list.set_filter("acct:411", &ledger).unwrap();
        assert_eq!(
            list.filter_error().as_deref(),
            Some("`acct:`: this list has no such field")
        );
    }

    #[test]
    fn marks_keep_a_running_total() {
        let (_dir, ledger) = ledger();
        let mut list = List::new();
        list.set_rows(items());
        assert_eq!(
            list.act(Action::Mark, &ledger).unwrap(),
            ListOutcome::Info("1 marked · 100,00".into())
        );
        assert_eq!(
            list.act(Action::Mark, &ledger).unwrap(),
            ListOutcome::Info("2 marked · 125,50".into())
        );
        assert_eq!(
            list.act(Action::Mark, &ledger).unwrap(),
            ListOutcome::Error("gamma has no amount".into())
        );
        list.act(Action::Down, &ledger).unwrap();
        list.act(Action::Mark, &ledger).unwrap();
        assert_eq!(list.marked(), (3, Amount::from_cents(12_000)));
        assert_eq!(list.status().as_deref(), Some("3 marked · 120,00"));
        // Unmarking takes the row out of the total.
        list.act(Action::Top, &ledger).unwrap();
        list.act(Action::Mark, &ledger).unwrap();
        assert_eq!(list.marked(), (2, Amount::from_cents(2_000)));
        // A reload drops the marks of rows that are gone.
        list.set_rows(items()[..3].to_vec());
        assert_eq!(list.marked(), (1, Amount::from_cents(2_550)));
        assert_eq!(list.marks().copied().collect::<Vec<_>>(), vec![2]);
    }

    /// Rows 0..n, read by key.
    struct Numbers(usize);

    impl Row for usize {
        type Key = usize;
        fn key(&self) -> usize {
            *self
        }
        fn search(&self) -> String {
            self.to_string()
        }
        fn mark(&self) -> Result<Amount, String> {
            Ok(Amount::from_cents(*self as i64))
        }
    }

    impl Pager<usize> for Numbers {
        fn count(&self, _: &Ledger) -> Result<usize, LedgerError> {
            Ok(self.0)
        }
        fn fetch(
            &self,
            _: &Ledger,
            start: Fetch<'_, usize>,
            limit: usize,
        ) -> Result<Vec<usize>, LedgerError> {
            let n = self.0;
            let (from, to) = match start {
                Fetch::First => (0, limit.min(n)),
                Fetch::Last => (n.saturating_sub(limit), n),
                Fetch::After(&r) => (r + 1, (r + 1 + limit).min(n)),
                Fetch::Before(&r) => (r.saturating_sub(limit), r),
            };
            Ok((from..to).collect())
        }
    }

    #[test]
    fn a_paged_list_holds_a_window_and_filters_the_whole_list() {
        let (_dir, ledger) = ledger();
        let mut list = List::paged(Numbers(100_000));
        list.count(&ledger).unwrap();
        list.bottom(&ledger).unwrap();
        assert_eq!(list.selected(), Some(&99_999));
        assert!(list.rows().len() <= 2 * list.place_margin());
        for _ in 0..1_000 {
            list.act(Action::PageUp, &ledger).unwrap();
        }
        assert_eq!(list.selected(), Some(&(99_999 - 1_000 * list.page())));
        assert!(list.rows().len() <= MAX_WINDOW, "{}", list.rows().len());
        list.act(Action::Top, &ledger).unwrap();
        assert_eq!(list.selected(), Some(&0));
        list.act(Action::Mark, &ledger).unwrap();
        list.act(Action::Mark, &ledger).unwrap();
        assert_eq!(list.status().as_deref(), Some("2 marked · 0,01"));
        // Too long to filter while typing: the filter applies on Enter.
        list.set_filter("99999", &ledger).unwrap();
        assert_eq!(list.len(), 100_000);
        list.commit_filter(&ledger).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list.selected(), Some(&99_999));
        assert_eq!(list.position("line"), "1 of 100000 lines match “99999”");
        assert_eq!(list.count_text().as_deref(), Some("1 of 100000"));
        list.set_filter("", &ledger).unwrap();
        assert_eq!(list.len(), 100_000);
        assert_eq!(list.selected(), Some(&2));
    }

    #[test]
    fn a_paged_list_is_placed_on_a_row_and_read_again_in_place() {
        let (_dir, ledger) = ledger();
        let pager = Numbers(50_000);
        let mut list = List::paged(Numbers(50_000));
        list.count(&ledger).unwrap();
        let margin = list.place_margin();
        let before = pager
            .fetch(&ledger, Fetch::Before(&30_000), margin)
            .unwrap();
        let after = pager.fetch(&ledger, Fetch::After(&29_999), margin).unwrap();
        list.place(30_000, before, after);
        assert_eq!(list.selected(), Some(&30_000));
        assert!(list.select(|&r| r == 30_005));
        list.act(Action::Down, &ledger).unwrap();
        assert_eq!(list.selected(), Some(&30_006));
        // Rows added elsewhere: counted again, read again around the same position.
        list.set_pager(Numbers(60_000));
        list.count(&ledger).unwrap();
        list.reread(&ledger).unwrap();
        assert_eq!(list.selected(), Some(&30_006));
        assert_eq!(list.position("line"), "line 30007 of 60000");
        list.act(Action::Bottom, &ledger).unwrap();
        assert_eq!(list.selected(), Some(&59_999));
    }

    #[test]
    fn a_long_filter_result_stops_at_its_cap() {
        let (_dir, ledger) = ledger();
        let mut list = List::paged(Numbers(30_000));
        list.count(&ledger).unwrap();
        list.top(&ledger).unwrap();
        list.set_filter("1", &ledger).unwrap();
        list.commit_filter(&ledger).unwrap();
        assert_eq!(list.len(), MAX_FOUND);
        assert!(
            list.position("line")
                .starts_with("10000+ of 30000 lines match")
        );
    }
}
