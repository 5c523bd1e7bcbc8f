//! A one-line text field: typing, cursor moves, deletion. Its editing keys are fixed (they are
//! typing, not commands): characters, backspace, delete, left, right, home, end.

use super::super::keymap::{Code, Key};
use super::table::width;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// Cursor position in characters.
    cursor: usize,
}

/// Longest text a field accepts; the ledger refuses longer labels anyway.
pub const MAX_CHARS: usize = 200;

impl TextInput {
    pub fn new(text: &str) -> Self {
        TextInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.cursor = text.chars().count();
    }

    pub fn clear(&mut self) {
        self.set("");
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map(|(i, _)| i)
            .unwrap_or(self.text.len())
    }

    /// What a field `cells` wide shows of the text, and the cursor's cell in it. A text longer
    /// than the field scrolls horizontally so that the cursor stays visible: typing at the end
    /// of a long label shows its end.
    pub fn view(&self, cells: usize) -> (String, usize) {
        let cells = cells.max(1);
        let chars: Vec<(char, usize)> = self
            .text
            .chars()
            .map(|c| (c, width(c.encode_utf8(&mut [0; 4]))))
            .collect();
        let cursor = self.cursor.min(chars.len());
        let before: usize = chars[..cursor].iter().map(|(_, w)| w).sum();
        // The first character shown: the cursor's cell must be inside the field.
        let mut start = 0;
        if before >= cells {
            let mut room = cells - 1;
            start = cursor;
            while start > 0 && chars[start - 1].1 <= room {
                room -= chars[start - 1].1;
                start -= 1;
            }
        }
        let skipped: usize = chars[..start].iter().map(|(_, w)| w).sum();
        let mut shown = String::new();
        let mut used = 0;
        for &(c, w) in &chars[start..] {
            if used + w > cells {
                break;
            }
            shown.push(c);
            used += w;
        }
        (shown, before - skipped)
    }

    /// Applies an editing key; returns whether the key was one.
    pub fn edit(&mut self, key: Key) -> bool {
        if let Some(c) = key.text() {
            if c.is_control() || self.text.chars().count() >= MAX_CHARS {
                return true;
            }
            let at = self.byte_at(self.cursor);
            self.text.insert(at, c);
            self.cursor += 1;
            return true;
        }
        if key.ctrl || key.alt {
            return false;
        }
        let len = self.text.chars().count();
        match key.code {
            Code::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            Code::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            Code::Left => self.cursor = self.cursor.saturating_sub(1),
            Code::Right => self.cursor = (self.cursor + 1).min(len),
            Code::Home => self.cursor = 0,
            Code::End => self.cursor = len,
            Code::Backspace | Code::Delete => {}
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_and_editing_in_the_middle() {
        let mut input = TextInput::new("Fcture");
        for key in [Code::Left; 5] {
            input.edit(Key::plain(key));
        }
        input.edit(Key::char('a'));
        assert_eq!(input.text(), "Facture");
        input.edit(Key::plain(Code::End));
        input.edit(Key::plain(Code::Backspace));
        input.edit(Key::plain(Code::Home));
        input.edit(Key::plain(Code::Delete));
        assert_eq!(input.text(), "actur");
        assert!(!input.edit(Key::ctrl('s')));
        assert!(!input.edit(Key::plain(Code::Enter)));
        let mut accents = TextInput::new("é");
        accents.edit(Key::plain(Code::Backspace));
        assert_eq!(accents.text(), "");
    }

    #[test]
    fn a_long_text_scrolls_to_keep_the_cursor_in_view() {
        let long: String = (0..200)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let mut input = TextInput::new("");
        for c in long.chars() {
            input.edit(Key::char(c));
        }
        let (shown, at) = input.view(30);
        assert_eq!(at, 29);
        assert!(long.ends_with(&shown), "{shown}");
        assert_eq!(shown.chars().count(), 29);
        input.edit(Key::plain(Code::Home));
        let (shown, at) = input.view(30);
        assert_eq!((shown.as_str(), at), (&long[..30], 0));
        let short = TextInput::new("Loyer");
        assert_eq!(short.view(30), ("Loyer".to_string(), 5));
        let mut accents = TextInput::new("é");
        accents.edit(Key::plain(Code::Backspace));
        assert_eq!(accents.text(), "");
    }
}
