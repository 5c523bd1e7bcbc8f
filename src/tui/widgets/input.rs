//! A one-line text field: typing, cursor moves, deletion. Its editing keys are fixed (they are
//! typing, not commands): characters, backspace, delete, left, right, home, end.

use super::super::keymap::{Code, Key};

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
}
