//! Recognises a statement file's format from its content (never from its name).

use super::Format;

/// How far into the file the markers are looked for.
const SNIFF_BYTES: usize = 64 * 1024;

/// The format of `data`, or `None` when it is none of the statement formats. Delimited text is
/// reported as [`Format::Csv`]: reading it still needs a profile.
pub fn detect(data: &[u8]) -> Option<Format> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let head = &data[..data.len().min(SNIFF_BYTES)];
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    if head.is_empty() {
        return None;
    }
    let upper: Vec<u8> = head.iter().map(u8::to_ascii_uppercase).collect();
    if upper.starts_with(b"OFXHEADER") || contains(&upper, b"<OFX>") {
        return Some(Format::Ofx);
    }
    if head.starts_with(b"<") && (contains(head, b"BkToCstmrStmt") || contains(head, b"camt.053")) {
        return Some(Format::Camt053);
    }
    if is_cfonb(&data[start..]) {
        return Some(Format::Cfonb120);
    }
    if (head.starts_with(b"{1:") || head.starts_with(b":20:") || contains(head, b"\n:20:"))
        && (contains(head, b":60F:") || contains(head, b":60M:"))
    {
        return Some(Format::Mt940);
    }
    if looks_delimited(head) {
        return Some(Format::Csv);
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Records of 120 characters (one a line, or back to back), starting with a `01` record, each
/// with a CFONB record code.
fn is_cfonb(data: &[u8]) -> bool {
    if !data.starts_with(b"01") {
        return false;
    }
    let mut end = data.len();
    while end > 0 && matches!(data[end - 1], b'\r' | b'\n' | 0x1a) {
        end -= 1;
    }
    let data = &data[..end];
    // A record code, then the 5-digit bank code.
    let code_ok = |record: &[u8]| {
        matches!(
            record.get(..2),
            Some(b"01") | Some(b"04") | Some(b"05") | Some(b"07")
        ) && record
            .get(2..7)
            .is_some_and(|bank| bank.iter().all(u8::is_ascii_digit))
    };
    if data.contains(&b'\n') {
        let lines: Vec<&[u8]> = data
            .split(|b| *b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .filter(|line| !line.is_empty())
            .take(20)
            .collect();
        // Trailing spaces may have been trimmed, but a record is never longer than 120.
        lines.iter().all(|line| {
            code_ok(line)
                && (line.len() <= 120
                    || std::str::from_utf8(line).is_ok_and(|text| text.chars().count() <= 120))
        })
    } else {
        // Trailing spaces of the last record may have been trimmed.
        data.chunks(120).take(50).all(code_ok)
    }
}

/// Text where most of the first lines hold the same number (one or more) of `;`, tab or `,`
/// separators (title lines above the data, as bank exports have, are tolerated).
fn looks_delimited(head: &[u8]) -> bool {
    if head.iter().take(4096).any(|b| *b == 0) {
        return false;
    }
    let lines: Vec<&[u8]> = head
        .split(|b| *b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .take(30)
        .collect();
    if lines.len() < 2 {
        return false;
    }
    [b';', b'\t', b','].iter().any(|delimiter| {
        let mut counts: Vec<usize> = lines
            .iter()
            .map(|line| line.iter().filter(|b| *b == delimiter).count())
            .filter(|count| *count > 0)
            .collect();
        counts.sort_unstable();
        let most_common = counts
            .chunk_by(|a, b| a == b)
            .map(<[usize]>::len)
            .max()
            .unwrap_or(0);
        most_common >= 2 && most_common * 2 >= lines.len()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn markers_decide() {
        assert_eq!(
            detect(b"OFXHEADER:100\nDATA:OFXSGML\n<OFX>"),
            Some(Format::Ofx)
        );
        assert_eq!(
            detect(b"<?xml version=\"1.0\"?><?OFX OFXHEADER=\"200\"?><OFX></OFX>"),
            Some(Format::Ofx)
        );
        assert_eq!(
            detect(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">"),
            Some(Format::Camt053)
        );
        assert_eq!(
            detect(b":20:X\r\n:25:Y\r\n:60F:C260101EUR1,00\r\n"),
            Some(Format::Mt940)
        );
        assert_eq!(
            detect(b"{1:F01X}{2:O940}{4:\r\n:20:X\r\n:60F:C"),
            Some(Format::Mt940)
        );
        let record = format!("0130004{}", " ".repeat(113));
        assert_eq!(detect(record.as_bytes()), Some(Format::Cfonb120));
        assert_eq!(
            detect(format!("{record}\r\n{record}\r\n").as_bytes()),
            Some(Format::Cfonb120)
        );
        assert_eq!(
            detect(b"Date;Label;Amount\n01/02/2026;X;1,00\n02/02/2026;Y;2,00\n"),
            Some(Format::Csv)
        );
        assert_eq!(
            detect(format!("{}\n", record.trim_end()).as_bytes()),
            Some(Format::Cfonb120)
        );
        // Dates that look like record codes do not make a CSV file CFONB.
        assert_eq!(
            detect(b"01/11/2026;A;1,00\n04/11/2026;B;2,00\n"),
            Some(Format::Csv)
        );
        assert_eq!(detect(b"hello"), None);
        assert_eq!(detect(b""), None);
    }
}
