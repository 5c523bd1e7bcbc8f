//! Key notation: `j`, `G`, `ctrl-s`, `alt-left`, `shift-tab`, `F2`, `space`, chords `g g`.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key press, normalized so that what a terminal sends and what a keymap says compare equal:
/// a character carries its own case (no `shift`), `ctrl` letters are lowercase, back-tab is
/// `shift-tab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: Code,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    Char(char),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

const NAMED: &[(&str, Code)] = &[
    ("enter", Code::Enter),
    ("esc", Code::Esc),
    ("tab", Code::Tab),
    ("backspace", Code::Backspace),
    ("delete", Code::Delete),
    ("insert", Code::Insert),
    ("up", Code::Up),
    ("down", Code::Down),
    ("left", Code::Left),
    ("right", Code::Right),
    ("home", Code::Home),
    ("end", Code::End),
    ("pageup", Code::PageUp),
    ("pagedown", Code::PageDown),
    ("space", Code::Char(' ')),
];

const ALIASES: &[(&str, Code)] = &[
    ("return", Code::Enter),
    ("escape", Code::Esc),
    ("del", Code::Delete),
    ("ins", Code::Insert),
    ("pgup", Code::PageUp),
    ("pgdn", Code::PageDown),
    ("pgdown", Code::PageDown),
];

impl Key {
    pub const fn plain(code: Code) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub const fn char(c: char) -> Key {
        Key::plain(Code::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            ctrl: true,
            ..Key::char(c)
        }
    }

    fn normalized(mut self) -> Key {
        if let Code::Char(c) = self.code {
            self.shift = false;
            if self.ctrl && c.is_ascii_uppercase() {
                self.code = Code::Char(c.to_ascii_lowercase());
            }
        }
        self
    }

    /// The key of a terminal event; `None` for keys Folio does not use (media keys, ...).
    pub fn from_event(event: &KeyEvent) -> Option<Key> {
        let mods = event.modifiers;
        let mut shift = mods.contains(KeyModifiers::SHIFT);
        let code = match event.code {
            KeyCode::Char(c) => Code::Char(c),
            KeyCode::Enter => Code::Enter,
            KeyCode::Esc => Code::Esc,
            KeyCode::Tab => Code::Tab,
            KeyCode::BackTab => {
                shift = true;
                Code::Tab
            }
            KeyCode::Backspace => Code::Backspace,
            KeyCode::Delete => Code::Delete,
            KeyCode::Insert => Code::Insert,
            KeyCode::Up => Code::Up,
            KeyCode::Down => Code::Down,
            KeyCode::Left => Code::Left,
            KeyCode::Right => Code::Right,
            KeyCode::Home => Code::Home,
            KeyCode::End => Code::End,
            KeyCode::PageUp => Code::PageUp,
            KeyCode::PageDown => Code::PageDown,
            KeyCode::F(n) => Code::F(n),
            _ => return None,
        };
        Some(
            Key {
                code,
                ctrl: mods.contains(KeyModifiers::CONTROL),
                alt: mods.contains(KeyModifiers::ALT),
                shift,
            }
            .normalized(),
        )
    }

    /// The terminal event this key stands for (tests drive the application with these).
    pub fn to_event(self) -> KeyEvent {
        let mut mods = KeyModifiers::NONE;
        if self.ctrl {
            mods |= KeyModifiers::CONTROL;
        }
        if self.alt {
            mods |= KeyModifiers::ALT;
        }
        let code = match self.code {
            Code::Char(c) => KeyCode::Char(c),
            Code::Enter => KeyCode::Enter,
            Code::Esc => KeyCode::Esc,
            Code::Tab if self.shift => {
                mods |= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            Code::Tab => KeyCode::Tab,
            Code::Backspace => KeyCode::Backspace,
            Code::Delete => KeyCode::Delete,
            Code::Insert => KeyCode::Insert,
            Code::Up => KeyCode::Up,
            Code::Down => KeyCode::Down,
            Code::Left => KeyCode::Left,
            Code::Right => KeyCode::Right,
            Code::Home => KeyCode::Home,
            Code::End => KeyCode::End,
            Code::PageUp => KeyCode::PageUp,
            Code::PageDown => KeyCode::PageDown,
            Code::F(n) => KeyCode::F(n),
        };
        if self.shift && !matches!(code, KeyCode::BackTab | KeyCode::Char(_)) {
            mods |= KeyModifiers::SHIFT;
        }
        KeyEvent::new(code, mods)
    }

    /// A character typed into a text field: no `ctrl` or `alt`.
    pub fn text(self) -> Option<char> {
        match self.code {
            Code::Char(c) if !self.ctrl && !self.alt => Some(c),
            _ => None,
        }
    }

    /// Parses one key: `x`, `X`, `ctrl-x`, `alt-shift-left`, `F5`, `space`, `-`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut rest = text;
        let mut key = Key::plain(Code::Esc);
        loop {
            let lower = rest.to_ascii_lowercase();
            let (flag, len) = if lower.starts_with("ctrl-") {
                (&mut key.ctrl, 5)
            } else if lower.starts_with("alt-") {
                (&mut key.alt, 4)
            } else if lower.starts_with("shift-") {
                (&mut key.shift, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break;
            }
            if *flag {
                return Err(format!("`{text}` repeats a modifier"));
            }
            *flag = true;
            rest = &rest[len..];
        }
        let lower = rest.to_ascii_lowercase();
        let mut chars = rest.chars();
        key.code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() && c != ' ' => Code::Char(c),
            _ => {
                if let Some((_, code)) = NAMED.iter().chain(ALIASES).find(|(n, _)| *n == lower) {
                    *code
                } else if let Some(n) = lower
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=12).contains(n))
                {
                    Code::F(n)
                } else {
                    return Err(format!(
                        "`{text}` is not a key (try `x`, `ctrl-x`, `alt-x`, `shift-tab`, `enter`, \
                         `esc`, `space`, `up`, `pagedown`, `F2`)"
                    ));
                }
            }
        };
        if let Code::Char(c) = key.code
            && key.shift
            && !key.ctrl
            && !key.alt
        {
            if c.is_alphabetic() {
                key.code = Code::Char(c.to_uppercase().next().unwrap_or(c));
            } else {
                return Err(format!(
                    "`{text}`: write the shifted character itself instead of shift-"
                ));
            }
        }
        Ok(key.normalized())
    }
}

/// Parses a chord: keys separated by spaces (`g g`, `ctrl-x ctrl-s`).
pub fn parse_chord(text: &str) -> Result<Vec<Key>, String> {
    let keys: Vec<Key> = text
        .split(' ')
        .filter(|part| !part.is_empty())
        .map(Key::parse)
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err("an empty string is not a key".into());
    }
    if keys.len() > 4 {
        return Err(format!("`{text}`: a chord has at most 4 keys"));
    }
    Ok(keys)
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            Code::Char(' ') => f.write_str("space"),
            Code::Char(c) => write!(f, "{c}"),
            Code::F(n) => write!(f, "F{n}"),
            other => {
                let name = NAMED
                    .iter()
                    .find(|(_, code)| *code == other)
                    .map(|(name, _)| *name)
                    .unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

/// `g g`, `ctrl-x ctrl-s`.
pub fn chord_text(keys: &[Key]) -> String {
    keys.iter()
        .map(Key::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation_round_trips() {
        for text in [
            "j",
            "G",
            "ctrl-s",
            "alt-left",
            "shift-tab",
            "F2",
            "space",
            "-",
            "ctrl--",
            "?",
            "enter",
            "pagedown",
            "ctrl-alt-x",
        ] {
            let key = Key::parse(text).unwrap();
            assert_eq!(key.to_string(), text);
            assert_eq!(Key::parse(&key.to_string()), Ok(key));
        }
        assert_eq!(Key::parse("shift-g"), Key::parse("G"));
        assert_eq!(Key::parse("ctrl-S"), Key::parse("ctrl-s"));
        assert_eq!(Key::parse("Esc"), Key::parse("esc"));
        assert!(Key::parse("ctrl-").is_err());
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("F13").is_err());
        assert!(Key::parse("ctrl-ctrl-x").is_err());
        assert!(Key::parse("shift-1").is_err());
        assert_eq!(parse_chord("g g").unwrap().len(), 2);
        assert!(parse_chord("").is_err());
    }

    #[test]
    fn terminal_events_match_notation() {
        let cases = [
            (KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT), "G"),
            (
                KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
                "shift-tab",
            ),
            (
                KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
                "ctrl-s",
            ),
            (KeyEvent::new(KeyCode::Left, KeyModifiers::ALT), "alt-left"),
            (KeyEvent::new(KeyCode::F(2), KeyModifiers::NONE), "F2"),
        ];
        for (event, text) in cases {
            let key = Key::from_event(&event).unwrap();
            assert_eq!(key, Key::parse(text).unwrap());
            assert_eq!(Key::from_event(&key.to_event()), Some(key));
        }
    }
}
