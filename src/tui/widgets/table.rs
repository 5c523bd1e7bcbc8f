//! Tables: columns that fit the width (optional columns appear on wide terminals), a cursor
//! row, and a list state that scrolls, pages and filters without touching rows off screen.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use super::super::action::Action;
use super::super::theme::Theme;
use super::fuzzy::fold;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    /// Width in cells; 0 shares what the fixed columns leave.
    pub width: u16,
    pub align: Align,
    /// Shown only when the table is at least this wide.
    pub from_width: u16,
}

impl Column {
    pub const fn left(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width,
            align: Align::Left,
            from_width: 0,
        }
    }

    pub const fn right(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width,
            align: Align::Right,
            from_width: 0,
        }
    }

    pub const fn fill(title: &'static str) -> Column {
        Column::left(title, 0)
    }

    pub const fn from(mut self, width: u16) -> Column {
        self.from_width = width;
        self
    }
}

/// Display width of a text.
pub fn width(text: &str) -> usize {
    Span::raw(text).width()
}

/// Cuts a text to `max` cells, ending with `…` when cut.
pub fn fit(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Where each shown column goes: (column index, x, width).
pub fn layout(columns: &[Column], area_width: u16) -> Vec<(usize, u16, u16)> {
    let shown: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].from_width <= area_width)
        .collect();
    let gaps = shown.len().saturating_sub(1) as u16;
    let fixed: u16 = shown.iter().map(|&i| columns[i].width).sum();
    let fills = shown.iter().filter(|&&i| columns[i].width == 0).count() as u16;
    let spare = area_width.saturating_sub(fixed + gaps);
    let mut out = Vec::with_capacity(shown.len());
    let mut x = 0u16;
    let mut fill_seen = 0u16;
    for &i in &shown {
        let w = if columns[i].width == 0 {
            fill_seen += 1;
            let share = spare / fills.max(1);
            if fill_seen == fills {
                spare - share * (fills - 1)
            } else {
                share
            }
        } else {
            columns[i].width
        };
        let w = w.min(area_width.saturating_sub(x));
        out.push((i, x, w));
        x = x.saturating_add(w).saturating_add(1);
    }
    out
}

/// Writes one row of cells.
pub fn draw_row(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    columns: &[Column],
    cells: &[String],
    style: Style,
) {
    if y >= area.bottom() {
        return;
    }
    buf.set_style(Rect::new(area.x, y, area.width, 1), style);
    for (i, x, w) in layout(columns, area.width) {
        let text = cells.get(i).map(String::as_str).unwrap_or("");
        let text = fit(text, w as usize);
        let pad = match columns[i].align {
            Align::Left => 0,
            Align::Right => (w as usize).saturating_sub(width(&text)) as u16,
        };
        buf.set_stringn(area.x + x + pad, y, &text, w as usize, style);
    }
}

pub fn draw_header(buf: &mut Buffer, area: Rect, columns: &[Column], theme: &Theme) {
    let titles: Vec<String> = columns.iter().map(|c| c.title.to_string()).collect();
    draw_row(buf, area, area.y, columns, &titles, theme.header);
}

/// A list of rows held in memory by its screen: cursor, scrolling, filter.
#[derive(Debug, Clone, Default)]
pub struct ListState {
    /// Rows shown (indices into the screen's rows), after the filter.
    pub visible: Vec<usize>,
    pub cursor: usize,
    pub filter: String,
    offset: Cell<usize>,
    height: Cell<usize>,
}

impl ListState {
    /// Shows the rows whose search text (already folded) contains the filter.
    pub fn refilter<'a>(&mut self, texts: impl Iterator<Item = &'a str>) {
        let needle: String = self.filter.chars().map(fold).collect();
        let selected = self.selected();
        self.visible = texts
            .enumerate()
            .filter(|(_, text)| needle.is_empty() || text.contains(&needle))
            .map(|(i, _)| i)
            .collect();
        self.cursor = 0;
        if let Some(row) = selected {
            self.select_row(row);
        }
        self.clamp();
    }

    pub fn set_filter<'a>(&mut self, filter: &str, texts: impl Iterator<Item = &'a str>) {
        self.filter = filter.to_string();
        self.refilter(texts);
    }

    /// The row under the cursor.
    pub fn selected(&self) -> Option<usize> {
        self.visible.get(self.cursor).copied()
    }

    /// Puts the cursor on a row when it is shown; returns whether it is.
    pub fn select_row(&mut self, row: usize) -> bool {
        match self.visible.iter().position(|&r| r == row) {
            Some(at) => {
                self.cursor = at;
                true
            }
            None => false,
        }
    }

    fn clamp(&mut self) {
        self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
    }

    pub fn page(&self) -> usize {
        self.height.get().saturating_sub(1).max(1)
    }

    /// Moves the cursor for a list action; returns whether the action was one.
    pub fn navigate(&mut self, action: Action) -> bool {
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

    /// The first shown row for a viewport of `height` rows, keeping the cursor in view.
    /// Remembers the height for paging.
    pub fn scroll(&self, height: usize) -> usize {
        self.height.set(height);
        let mut offset = self.offset.get();
        if self.cursor < offset {
            offset = self.cursor;
        } else if height > 0 && self.cursor >= offset + height {
            offset = self.cursor + 1 - height;
        }
        let max_offset = self.visible.len().saturating_sub(height);
        offset = offset.min(max_offset);
        self.offset.set(offset);
        offset
    }

    /// Draws the header and the shown rows. `row` gives the cells and style of a row.
    pub fn draw(
        &self,
        buf: &mut Buffer,
        area: Rect,
        columns: &[Column],
        theme: &Theme,
        row: impl Fn(usize) -> (Vec<String>, Style),
    ) {
        self.draw_with_cursor(buf, area, columns, theme, true, row);
    }

    /// Like `draw`; `cursor` false leaves the cursor row unmarked (a screen with several
    /// tables marks only the one that has the focus).
    pub fn draw_with_cursor(
        &self,
        buf: &mut Buffer,
        area: Rect,
        columns: &[Column],
        theme: &Theme,
        cursor: bool,
        row: impl Fn(usize) -> (Vec<String>, Style),
    ) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        draw_header(buf, area, columns, theme);
        let body = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
        let offset = self.scroll(body.height as usize);
        for (i, &index) in self
            .visible
            .iter()
            .enumerate()
            .skip(offset)
            .take(body.height as usize)
        {
            let (cells, mut style) = row(index);
            if cursor && i == self.cursor {
                style = style.patch(theme.cursor);
            }
            draw_row(
                buf,
                body,
                body.y + (i - offset) as u16,
                columns,
                &cells,
                style,
            );
        }
        if self.visible.is_empty() {
            let text = if self.filter.is_empty() {
                "(nothing to show)".to_string()
            } else {
                format!("(no row matches “{}”)", self.filter)
            };
            buf.set_stringn(body.x, body.y, text, body.width as usize, theme.dim);
        }
    }
}

/// The width a column needs for its title and its cells (amounts are never cut), at most
/// `max`.
pub fn needed<'a>(title: &str, cells: impl IntoIterator<Item = &'a str>, max: u16) -> u16 {
    let widest = cells.into_iter().map(width).max().unwrap_or(0);
    (widest.max(width(title)) as u16).min(max)
}

/// Lowercase, accent-free text of a row's cells, for filtering.
pub fn search_text(cells: &[&str]) -> String {
    cells.join(" ").chars().map(fold).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_and_optional_ones_wait_for_room() {
        let columns = [
            Column::left("a", 10),
            Column::fill("label"),
            Column::right("amount", 12),
            Column::left("extra", 8).from(100),
        ];
        let narrow = layout(&columns, 80);
        assert_eq!(narrow.len(), 3);
        assert_eq!(narrow[1], (1, 11, 56));
        assert_eq!(narrow[2], (2, 68, 12));
        assert_eq!(layout(&columns, 120).len(), 4);
        // Never wider than the area, even when too narrow.
        for (_, x, w) in layout(&columns, 15) {
            assert!(x + w <= 15 || w == 0);
        }
        assert_eq!(fit("Facture LED", 8), "Facture…");
        assert_eq!(fit("abc", 3), "abc");
    }

    #[test]
    fn the_cursor_follows_its_row_through_filters() {
        let texts = ["alpha", "beta", "gamma", "delta"];
        let mut list = ListState::default();
        list.refilter(texts.iter().copied());
        list.navigate(Action::Down);
        list.navigate(Action::Down);
        assert_eq!(list.selected(), Some(2));
        list.set_filter("ta", texts.iter().copied());
        assert_eq!(list.visible, vec![1, 3]);
        assert_eq!(list.selected(), Some(1));
        list.set_filter("zzz", texts.iter().copied());
        assert_eq!(list.selected(), None);
        assert!(list.navigate(Action::Bottom));
        assert_eq!(list.cursor, 0);
    }
}
