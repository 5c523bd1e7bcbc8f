//! Text on its way out: to a terminal, a spreadsheet or an error message.
//!
//! Input is cleaned before it is stored ([`sanitize_text`]), but a ledger file may hold anything
//! (an older version, another program, a damaged or forged file). What is printed is therefore
//! cleaned again: no control character and no bidirectional override ever reaches a terminal.
//!
//! [`sanitize_text`]: crate::model::sanitize_text

use std::borrow::Cow;

use super::entry::is_bidi_control;

/// At most this many characters of a bad value are echoed in an error message.
pub const MAX_ECHOED_CHARS: usize = 80;

/// A character that must never reach a terminal: a control character (C0, DEL, C1) or a
/// bidirectional control.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Whether `text` may hold an unsafe character, by its bytes alone: a control byte, or the
/// first byte of a C1 control (U+0080–U+009F: 0xC2), of U+061C (0xD8) or of the other
/// bidirectional controls (0xE2). Most text (ASCII, accented letters) is cleared without
/// decoding a character.
pub fn may_be_unsafe(text: &str) -> bool {
    suspicious_bytes(text.as_bytes(), false)
}

/// [`may_be_unsafe`] on bytes, letting line feeds and tabs pass when `allow_breaks`. Checked
/// 64 bytes at a time without branching inside a block, so that the compiler vectorises it.
pub fn suspicious_bytes(bytes: &[u8], allow_breaks: bool) -> bool {
    let suspicious = |b: u8| {
        let control = b < 0x20 && !(allow_breaks && (b == b'\n' || b == b'\t'));
        (control | (b == 0x7f) | (b == 0xc2) | (b == 0xd8) | (b == 0xe2)) as u8
    };
    bytes
        .chunks(64)
        .any(|block| block.iter().fold(0u8, |seen, &b| seen | suspicious(b)) != 0)
}

/// Text as shown on one line: tabs and line breaks become spaces, other control characters
/// and bidirectional controls are removed. Unlike `sanitize_text` it does not trim, so that
/// clean text is returned unchanged (and unallocated).
pub fn display_text(text: &str) -> Cow<'_, str> {
    if !may_be_unsafe(text) || !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter_map(|c| match c {
                '\t' | '\n' | '\r' => Some(' '),
                c if is_unsafe_char(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// A value echoed in an error message: cleaned like [`display_text`] and cut to
/// [`MAX_ECHOED_CHARS`] characters (an ellipsis says it was cut).
pub fn echo(text: &str) -> String {
    let clean = display_text(text);
    let mut chars = clean.char_indices();
    match chars.nth(MAX_ECHOED_CHARS) {
        None => clean.into_owned(),
        Some((cut, _)) => format!("{}…", &clean[..cut]),
    }
}

/// Whether `text` is a plain number a spreadsheet reads as such: an optional minus sign,
/// digits, and an optional decimal part after a dot or a comma (French tables), digits
/// possibly grouped by spaces.
pub fn is_plain_number(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let mut digits = 0usize;
    let mut separator = false;
    let mut after = 0usize;
    for c in body.chars() {
        match c {
            '0'..='9' if separator => after += 1,
            '0'..='9' => digits += 1,
            ' ' | '\u{a0}' | '\u{202f}' if !separator && digits > 0 => {}
            '.' | ',' if !separator && digits > 0 => separator = true,
            _ => return false,
        }
    }
    digits > 0 && (!separator || after > 0)
}

/// A CSV cell: cleaned for display ([`display_text`]) and neutralised ([`csv_cell`]),
/// borrowed when it needs neither.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    match display_text(text) {
        Cow::Borrowed(clean) => csv_cell(clean),
        Cow::Owned(clean) => Cow::Owned(csv_cell(&clean).into_owned()),
    }
}

/// A CSV cell a spreadsheet will not run as a formula: text starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading `'`. A plain number ([`is_plain_number`]) is left
/// as it is, so `-12.50` stays a number.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let risky = matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    );
    if risky && !is_plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_text_removes_escapes_and_bidi_and_keeps_clean_text() {
        assert_eq!(
            display_text("a\u{1b}]52;c;ZXZpbA==\u{7}b\u{202e}c\u{2066}d\u{9b}e\u{7f}\tf\ng"),
            "a]52;c;ZXZpbA==bcde f g"
        );
        assert!(matches!(display_text("Vernet SARL"), Cow::Borrowed(_)));
        assert!(matches!(display_text("Société … 12 €"), Cow::Borrowed(_)));
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            if is_unsafe_char(c) {
                assert!(may_be_unsafe(&c.to_string()), "{c:?}");
            }
        }
        for c in [
            '\u{200e}', '\u{200f}', '\u{202a}', '\u{202d}', '\u{2069}', '\u{61c}',
        ] {
            assert_eq!(display_text(&format!("x{c}y")), "xy");
        }
    }

    #[test]
    fn echo_keeps_at_most_80_characters() {
        let long = "é".repeat(200);
        let shown = echo(&long);
        assert_eq!(shown.chars().count(), MAX_ECHOED_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(echo(&"x".repeat(80)), "x".repeat(80));
        assert_eq!(echo("a\u{1b}[2Jb"), "a[2Jb");
    }

    #[test]
    fn numbers_stay_numbers_and_formulas_are_neutralised() {
        assert_eq!(csv_text("=a\u{1b}b"), "'=ab");
        assert!(matches!(csv_text("Vernet"), Cow::Borrowed(_)));
        for number in ["-12.50", "-12,50", "-1 234,56", "0", "12", "-3"] {
            assert_eq!(csv_cell(number), number, "{number}");
        }
        for (text, expected) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+33 1 23", "'+33 1 23"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "'-"),
            ("-12.", "'-12."),
            ("Vernet", "Vernet"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(text), expected, "{text:?}");
        }
    }
}
