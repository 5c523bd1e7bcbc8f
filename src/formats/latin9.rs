//! ISO-8859-15 (Latin-9), the single-byte encoding French accounting software still writes.
//!
//! It is Latin-1 with eight positions changed, notably 0xA4 for `€` and 0xBC/0xBD for `Œ`/`œ`.

/// The eight bytes where ISO-8859-15 differs from ISO-8859-1, with the character each one holds.
const DIFFERENCES: [(u8, char); 8] = [
    (0xA4, '€'),
    (0xA6, 'Š'),
    (0xA8, 'š'),
    (0xB4, 'Ž'),
    (0xB8, 'ž'),
    (0xBC, 'Œ'),
    (0xBD, 'œ'),
    (0xBE, 'Ÿ'),
];

/// The character a byte stands for.
pub fn decode_byte(byte: u8) -> char {
    match byte {
        0xA4 => '€',
        0xA6 => 'Š',
        0xA8 => 'š',
        0xB4 => 'Ž',
        0xB8 => 'ž',
        0xBC => 'Œ',
        0xBD => 'œ',
        0xBE => 'Ÿ',
        other => char::from(other),
    }
}

/// The byte for a character, or `None` when ISO-8859-15 has no such character.
pub fn encode_char(c: char) -> Option<u8> {
    let code = u32::from(c);
    if code < 0x80 {
        return Some(code as u8);
    }
    if let Some((byte, _)) = DIFFERENCES.iter().find(|(_, ch)| *ch == c) {
        return Some(*byte);
    }
    // Latin-1 characters keep their byte, except the eight that ISO-8859-15 replaced.
    let byte = u8::try_from(code).ok()?;
    (!DIFFERENCES.iter().any(|(b, _)| *b == byte)).then_some(byte)
}

/// Encodes text; characters outside ISO-8859-15 become `?`.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    encode_into(text, &mut out);
    out
}

/// Appends the encoding of `text` to `out`; characters outside ISO-8859-15 become `?`.
pub fn encode_into(text: &str, out: &mut Vec<u8>) {
    if text.is_ascii() {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.extend(text.chars().map(|c| encode_char(c).unwrap_or(b'?')));
}

/// Decodes ISO-8859-15 bytes. Every byte is a character, so decoding never fails.
pub fn decode(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        // Only ASCII bytes: they are valid UTF-8 as they are.
        return bytes.iter().map(|b| char::from(*b)).collect();
    }
    bytes.iter().map(|b| decode_byte(*b)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255u8).collect();
        let text = decode(&all);
        assert_eq!(text.chars().count(), 256);
        assert_eq!(encode(&text), all);
        for byte in 0..=255u8 {
            assert_eq!(encode_char(decode_byte(byte)), Some(byte));
        }
    }

    #[test]
    fn the_eight_differences_from_latin1() {
        assert_eq!(
            decode(&[0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE]),
            "€ŠšŽžŒœŸ"
        );
        assert_eq!(
            encode("€ŠšŽžŒœŸ"),
            vec![0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE]
        );
        // The Latin-1 characters those bytes held are not in ISO-8859-15.
        assert_eq!(encode("¤¦¨´¸¼½¾"), b"????????".to_vec());
    }

    #[test]
    fn french_text_and_unencodable_characters() {
        assert_eq!(encode("Été à 5 €"), b"\xC9t\xE9 \xE0 5 \xA4".to_vec());
        assert_eq!(decode(b"\xC9t\xE9 \xE0 5 \xA4"), "Été à 5 €");
        assert_eq!(encode("Ω 中 😀 ok"), b"? ? ? ok".to_vec());
        assert_eq!(decode(b"plain"), "plain");
        assert!(encode("").is_empty());
    }
}
