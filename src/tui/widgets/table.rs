//! Tables: columns that fit the width (optional columns appear on wide terminals), headers and
//! rows of cells. The list component (`list.rs`) draws its rows with them.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use super::super::theme::Theme;
use super::fuzzy::fold;
use super::text::{put, safe};

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

/// Cuts a text to `max` cells, ending with `…` when cut. The text is made safe first
/// (`text::safe`), so that what is dropped takes no room.
pub fn fit(text: &str, max: usize) -> String {
    let text = safe(text);
    let text = text.as_ref();
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
        let text = fit(cells.get(i).map(String::as_str).unwrap_or(""), w as usize);
        let pad = match columns[i].align {
            Align::Left => 0,
            Align::Right => (w as usize).saturating_sub(width(&text)) as u16,
        };
        put(buf, area.x + x + pad, y, &text, w as usize, style);
    }
}

pub fn draw_header(buf: &mut Buffer, area: Rect, columns: &[Column], theme: &Theme) {
    let titles: Vec<String> = columns.iter().map(|c| c.title.to_string()).collect();
    draw_row(buf, area, area.y, columns, &titles, theme.header);
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
}

#[cfg(test)]
mod drawn {
    use super::*;

    #[test]
    fn cells_with_escapes_keep_their_columns() {
        let columns = [Column::left("label", 6), Column::right("amount", 8)];
        let area = Rect::new(0, 0, 15, 1);
        let mut buf = Buffer::empty(area);
        let cells = [
            "a\u{1b}[31mb\u{202e}".to_string(),
            "1\u{7},00\t".to_string(),
        ];
        draw_row(&mut buf, area, 0, &columns, &cells, Style::new());
        let drawn: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert_eq!(drawn, "a[31mb    1,00 ");
    }
}
