//! Colours and emphasis. Everything stays readable without colour (reverse video marks the
//! cursor, bold the totals), so the screens also work on monochrome terminals and in snapshots.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone)]
pub struct Theme {
    pub title: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub header: Style,
    pub cursor: Style,
    pub marked: Style,
    pub dim: Style,
    pub total: Style,
    pub error: Style,
    pub info: Style,
    pub progress: Style,
    pub input: Style,
    pub border: Style,
    pub key: Style,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            title: Style::new().add_modifier(Modifier::BOLD),
            tab: Style::new().fg(Color::Gray),
            tab_active: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            header: Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan),
            cursor: Style::new().add_modifier(Modifier::REVERSED),
            marked: Style::new().fg(Color::Yellow),
            dim: Style::new().fg(Color::DarkGray),
            total: Style::new().add_modifier(Modifier::BOLD),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            info: Style::new().fg(Color::Green),
            progress: Style::new().fg(Color::Yellow),
            input: Style::new().add_modifier(Modifier::UNDERLINED),
            border: Style::new().fg(Color::Blue),
            key: Style::new().fg(Color::Cyan),
        }
    }
}
