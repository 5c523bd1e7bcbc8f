//! A one-line text field: typing, cursor moves, deletion. Its editing keys are fixed (they are
//! typing, not commands): characters, backspace, delete, left, right, home, end. The readline
//! keys (`ctrl-a`, `ctrl-k`, `ctrl-y`…) are actions of the keymap's `[form]` table, carried out
//! by `apply`.

use std::cell::RefCell;

use super::super::action::Action;
use super::super::keymap::{Code, Key};
use super::table::width;

thread_local! {
    /// The text cut last (`ctrl-k`, `ctrl-w`), pasted back by `ctrl-y` in any field.
    static KILLED: RefCell<String> = const { RefCell::new(String::new()) };
}

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

    /// Carries out a readline editing action (`LineStart`, `KillToEnd`, `Yank`…); returns
    /// whether the action is one.
    pub fn apply(&mut self, action: Action) -> bool {
        let chars: Vec<char> = self.text.chars().collect();
        let len = chars.len();
        let word_back = |from: usize| {
            let mut at = from;
            while at > 0 && !chars[at - 1].is_alphanumeric() {
                at -= 1;
            }
            while at > 0 && chars[at - 1].is_alphanumeric() {
                at -= 1;
            }
            at
        };
        match action {
            Action::LineStart => self.cursor = 0,
            Action::LineEnd => self.cursor = len,
            Action::CharBack => self.cursor = self.cursor.saturating_sub(1),
            Action::CharForward => self.cursor = (self.cursor + 1).min(len),
            Action::WordBack => self.cursor = word_back(self.cursor),
            Action::WordForward => {
                let mut at = self.cursor;
                while at < len && !chars[at].is_alphanumeric() {
                    at += 1;
                }
                while at < len && chars[at].is_alphanumeric() {
                    at += 1;
                }
                self.cursor = at;
            }
            Action::KillToEnd => {
                let at = self.byte_at(self.cursor);
                let cut = self.text.split_off(at);
                if !cut.is_empty() {
                    KILLED.with(|k| *k.borrow_mut() = cut);
                }
            }
            Action::KillWordBack => {
                let from = word_back(self.cursor);
                let (start, end) = (self.byte_at(from), self.byte_at(self.cursor));
                let cut: String = self.text.drain(start..end).collect();
                self.cursor = from;
                if !cut.is_empty() {
                    KILLED.with(|k| *k.borrow_mut() = cut);
                }
            }
            Action::Yank => {
                let killed = KILLED.with(|k| k.borrow().clone());
                for c in killed.chars() {
                    if self.text.chars().count() >= MAX_CHARS {
                        break;
                    }
                    let at = self.byte_at(self.cursor);
                    self.text.insert(at, c);
                    self.cursor += 1;
                }
            }
            _ => return false,
        }
        true
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
    fn readline_moves_cuts_and_pastes() {
        let mut input = TextInput::new("Loyer mars 2026");
        assert!(input.apply(Action::WordBack));
        assert_eq!(input.cursor(), 11);
        input.apply(Action::WordBack);
        assert_eq!(input.cursor(), 6);
        input.apply(Action::KillToEnd);
        assert_eq!(input.text(), "Loyer ");
        input.apply(Action::LineStart);
        input.apply(Action::Yank);
        assert_eq!(input.text(), "mars 2026Loyer ");
        input.apply(Action::LineEnd);
        input.apply(Action::KillWordBack);
        assert_eq!(input.text(), "mars ");
        input.apply(Action::LineStart);
        input.apply(Action::WordForward);
        input.apply(Action::CharForward);
        input.apply(Action::CharBack);
        assert_eq!(input.cursor(), 4);
        input.apply(Action::Yank);
        assert_eq!(input.text(), "mars2026Loyer  ");
        assert!(!input.apply(Action::Down));
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
