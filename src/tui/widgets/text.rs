//! Text put on the terminal. Every string the interface draws goes through `safe` here
//! (through `put`, or `table::fit` which cuts text to a width), so that nothing read from the ledger (labels, names, audit details, company name) can move the
//! cursor, change colours, set the clipboard or reorder what is shown: control characters are
//! dropped (tabs and line breaks become spaces) and bidirectional overrides are removed,
//! whatever the file holds.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::style::Style;

/// Bidirectional formatting characters: embeddings, overrides, isolates and marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
    )
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The text without control characters or bidi overrides; borrowed when already clean (the
/// common case, so that drawing a long list allocates nothing more).
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter_map(|c| match c {
                '\t' | '\n' | '\r' => Some(' '),
                c if is_unsafe(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// Writes `text`, made safe, at (`x`, `y`), at most `max` cells wide.
pub fn put(buf: &mut Buffer, x: u16, y: u16, text: impl AsRef<str>, max: usize, style: Style) {
    buf.set_stringn(x, y, safe(text.as_ref()), max, style);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_overrides_never_reach_the_terminal() {
        assert!(matches!(safe("Facture 12"), Cow::Borrowed(_)));
        assert_eq!(safe("a\u{1b}]52;c;aGk=\u{7}b"), "a]52;c;aGk=b");
        assert_eq!(safe("\u{202e}cba\u{202c} x\ty\nz"), "cba x y z");
        assert_eq!(safe("\u{9b}31m rouge"), "31m rouge");
    }
}
