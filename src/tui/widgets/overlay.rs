//! Boxes drawn over a screen: help, command palette, prompt, confirmation.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::super::theme::Theme;
use super::input::TextInput;
use super::table::{fit, width};
use super::text::{put, safe};

/// Clears `area`, draws a titled border and returns the inside.
pub fn boxed(buf: &mut Buffer, area: Rect, title: &str, theme: &Theme) -> Rect {
    Clear.render(area, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(format!(" {} ", safe(title)), theme.title));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// A rectangle of at most `w` x `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Draws a text input on one line, scrolled so that its cursor shows; returns the cursor cell.
pub fn draw_input(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    max: u16,
    input: &TextInput,
    style: Style,
) -> (u16, u16) {
    let max = max.max(1) as usize;
    let (shown, at) = input.view(max);
    put(buf, x, y, format!("{shown:<max$}"), max, style);
    (x + at as u16, y)
}

/// One row of a key list: keys, name, description.
pub struct KeyRow {
    pub keys: String,
    pub name: String,
    pub description: String,
    pub heading: bool,
}

pub fn draw_key_rows(
    buf: &mut Buffer,
    area: Rect,
    rows: &[KeyRow],
    offset: usize,
    selected: Option<usize>,
    theme: &Theme,
) {
    // Room for the longest keys and names shown, within limits that keep the descriptions.
    let longest =
        |f: fn(&KeyRow) -> usize| rows.iter().filter(|r| !r.heading).map(f).max().unwrap_or(0);
    let keys_width = if area.width >= 70 {
        longest(|r| r.keys.chars().count()).clamp(24, (area.width / 3) as usize)
    } else {
        16
    };
    let name_width = longest(|r| r.name.chars().count()).clamp(17, 26);
    for (i, row) in rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(area.height as usize)
    {
        let y = area.y + (i - offset) as u16;
        if row.heading {
            put(buf, area.x, y, &row.name, area.width as usize, theme.header);
            continue;
        }
        let text = format!(
            "{:<kw$} {:<nw$} {}",
            fit(&row.keys, keys_width),
            fit(&row.name, name_width),
            row.description,
            kw = keys_width,
            nw = name_width
        );
        let text = format!(
            "{:<w$}",
            fit(&text, area.width as usize),
            w = area.width as usize
        );
        let style = if selected == Some(i) {
            theme.cursor
        } else {
            Style::new()
        };
        put(buf, area.x, y, text, area.width as usize, style);
        if selected != Some(i) {
            put(
                buf,
                area.x,
                y,
                fit(&row.keys, keys_width),
                keys_width,
                theme.key,
            );
        }
    }
}

/// The yes/no box.
pub fn draw_confirm(buf: &mut Buffer, area: Rect, message: &str, keys: &str, theme: &Theme) {
    let w = area.width.saturating_sub(4).min(64);
    let text_width = w.saturating_sub(2).max(1) as usize;
    // A message of several lines (an entry to post, line by line) keeps its line breaks.
    let paragraphs: Vec<&str> = message.split('\n').collect();
    let lines: usize = paragraphs.iter().map(|p| width(p) / text_width + 1).sum();
    let rect = centered(area, w, (lines as u16).saturating_add(4));
    let inner = boxed(buf, rect, "Confirm", theme);
    let mut text: Vec<Line> = paragraphs
        .iter()
        .map(|p| Line::raw(safe(p).into_owned()))
        .collect();
    text.push(Line::raw(""));
    text.push(Line::styled(keys.to_string(), theme.key));
    let text = Text::from(text);
    Paragraph::new(text)
        .wrap(Wrap { trim: true })
        .render(inner, buf);
}
