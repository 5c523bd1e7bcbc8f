//! What the CSV readers share: physical line numbers of records, the delimiter of a header
//! and the check of its column names.

use std::collections::VecDeque;
use std::io::{self, Read};

use super::entries_csv::MAX_RECORD_BYTES;

/// `;` when the header uses it more than `,` (spreadsheets set to French), `,` otherwise.
pub(crate) fn detect_delimiter(header: &[u8]) -> u8 {
    let semicolons = header.iter().filter(|b| **b == b';').count();
    let commas = header.iter().filter(|b| **b == b',').count();
    if semicolons > commas { b';' } else { b',' }
}

pub(crate) fn check_header(header: &[u8], delimiter: u8, columns: &[&str]) -> Result<(), String> {
    let separator = if delimiter == b';' { ";" } else { "," };
    let expected = columns.join(separator);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(header);
    let mut record = csv::StringRecord::new();
    let names = match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(str::trim).collect::<Vec<_>>(),
        Ok(false) => Vec::new(),
        Err(_) => return Err(format!("the header must be `{expected}` (UTF-8)")),
    };
    if names != columns {
        return Err(format!(
            "the header must be `{expected}`, found `{}`",
            names.join(separator)
        ));
    }
    Ok(())
}

/// Remembers where the line breaks are in the bytes the csv reader has read ahead, so that a
/// record's physical line can be computed from its byte position. Holds at most one read-ahead
/// buffer's worth of offsets.
pub(crate) struct LineTracker<R> {
    inner: R,
    offset: u64,
    pending: VecDeque<u64>,
    counted: u64,
    last_counted: Option<u64>,
    /// Byte offset where the last record read ended.
    pub(crate) record_end: u64,
}

impl<R> LineTracker<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineTracker {
            inner,
            offset: 0,
            pending: VecDeque::new(),
            counted: 0,
            last_counted: None,
            record_end: 0,
        }
    }

    /// The number of `\n` before byte `offset`, and whether the byte just before it is one.
    /// Offsets must not decrease from one call to the next.
    pub(crate) fn newlines_before(&mut self, offset: u64) -> (u64, bool) {
        while let Some(&at) = self.pending.front() {
            if at >= offset {
                break;
            }
            self.pending.pop_front();
            self.counted += 1;
            self.last_counted = Some(at);
        }
        let ends_with_lf = offset > 0 && self.last_counted == Some(offset - 1);
        self.record_end = offset;
        (self.counted, ends_with_lf)
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.offset - self.record_end > MAX_RECORD_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a record longer than {MAX_RECORD_BYTES} bytes (a quote left open?)"),
            ));
        }
        let n = self.inner.read(buf)?;
        let start = self.offset;
        self.pending
            .extend(memchr::memchr_iter(b'\n', &buf[..n]).map(|i| start + i as u64));
        self.offset += n as u64;
        Ok(n)
    }
}
