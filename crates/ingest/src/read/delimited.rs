//! CSV / TSV reading.
//!
//! A small parser of its own rather than the `csv` crate, for one reason: recovery. The `csv`
//! crate is lenient by design — a stray opening quote silently swallows every following line
//! up to the next quote, merging hundreds of good rows into one bad cell. Here quoting is
//! strict (RFC 4180: a quote inside a quoted cell is doubled, and a closing quote is followed
//! by a delimiter or the end of the line, spaces aside), and when a quoted cell that spans lines turns out to
//! be malformed, only its first line is reported and the following lines are read again as
//! rows of their own.
//!
//! Row numbers are the rows a person sees when opening the file in Excel or WPS: one per
//! record, blank lines included, a quoted cell spanning several lines counting once. Without
//! multi-line cells this is also the line number in a text editor.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::text::{LineSource, TextInput};
use super::{
    Progress, ProgressUnit, RowBuf, RowError, RowErrorKind, RowSource, Shape, SourceDetails,
    clean_header,
};

/// A quoted cell may continue over several lines, but a record growing past this size means a
/// quote that never closes: the parser gives up on it and re-reads the lines after the first.
/// Excel cells hold at most 32,767 characters (under 100 KiB even in UTF-8), so real records
/// stay far below it.
const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Chooses the delimiter from the header line: the most frequent of comma, tab, semicolon and
/// vertical bar outside quotes, comma on a tie or when none occurs.
pub(super) fn sniff_delimiter(first_line: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b'\t', 0), (b';', 0), (b'|', 0)];
    let mut quoted = false;
    for b in first_line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(slot) = counts.iter_mut().find(|(d, _)| *d == b) {
            slot.1 += 1;
        }
    }
    // `max_by_key` keeps the last maximum; iterate in reverse so ties go to the earlier entry.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| *d)
}

/// The outcome of parsing one record.
enum Parsed {
    /// A record is in the buffer.
    Record,
    /// The record is malformed; the buffer content is meaningless.
    Broken(RowErrorKind),
    /// No more input.
    End,
}

/// Reusable buffers for the parser.
#[derive(Default)]
struct Scratch {
    /// The physical line being parsed.
    line: Vec<u8>,
    /// Earlier physical lines of a record whose quoted cell spans lines; kept so they can be
    /// handed back when the record turns out to be broken.
    held: Vec<u8>,
    /// Length of the record's first line within `held`.
    first_len: usize,
    /// Cell text of the record being parsed, before UTF-8 validation.
    text: Vec<u8>,
}

pub(super) struct DelimitedSource {
    file: Arc<str>,
    lines: LineSource,
    delimiter: u8,
    details: SourceDetails,
    header: Vec<String>,
    header_row: u64,
    /// Row number the next record gets.
    next_number: u64,
    scratch: Scratch,
    bytes_read: Arc<AtomicU64>,
    total_bytes: Option<u64>,
    /// Set after an I/O error: the stream cannot continue past it.
    stopped: bool,
}

impl DelimitedSource {
    /// Reads up to and including the header (the first non-blank row).
    ///
    /// Returns `Ok(None)` when the input has no non-blank row, and `Err((row, kind))` when the
    /// header row itself is malformed; the caller wraps both into a [`super::ReadError`].
    pub(super) fn open(
        file: Arc<str>,
        input: TextInput,
        delimiter: Option<u8>,
        bytes_read: Arc<AtomicU64>,
        total_bytes: Option<u64>,
    ) -> io::Result<Result<Option<Self>, (u64, RowErrorKind)>> {
        let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(&input.first_line));
        let mut source = Self {
            file,
            lines: LineSource::new(input.reader, input.terminator),
            delimiter,
            details: SourceDetails {
                format: super::Format::Csv,
                encoding: Some(input.encoding),
                delimiter: Some(delimiter),
                sheet: None,
            },
            header: Vec::new(),
            header_row: 0,
            next_number: 1,
            scratch: Scratch::default(),
            bytes_read,
            total_bytes,
            stopped: false,
        };
        let mut buf = RowBuf::new();
        loop {
            let number = source.next_number;
            match source.parse_into(&mut buf, usize::MAX)? {
                Parsed::End => return Ok(Ok(None)),
                Parsed::Broken(kind) => return Ok(Err((number, kind))),
                Parsed::Record if buf.is_blank() => {}
                Parsed::Record => {
                    source.header = clean_header(buf.iter());
                    source.header_row = number;
                    return Ok(Ok(Some(source)));
                }
            }
        }
    }

    /// Parses the next record into `buf`, numbering it and advancing the row counter.
    /// `width` is the header width, used to recognise a runaway quote.
    fn parse_into(&mut self, buf: &mut RowBuf, width: usize) -> io::Result<Parsed> {
        let number = self.next_number;
        let mut ends = std::mem::take(&mut buf.ends);
        let parsed = parse_record(
            &mut self.lines,
            &mut self.scratch,
            self.delimiter,
            width,
            &mut ends,
        );
        buf.ends = ends;
        let parsed = parsed?;
        if matches!(parsed, Parsed::End) {
            return Ok(Parsed::End);
        }
        self.next_number += 1;
        buf.number = number;
        if let Parsed::Broken(kind) = parsed {
            return Ok(Parsed::Broken(kind));
        }
        // Validate the cell text as UTF-8, reusing `buf.text`'s allocation for the next row.
        let mut bytes = std::mem::take(&mut buf.text).into_bytes();
        std::mem::swap(&mut bytes, &mut self.scratch.text);
        match String::from_utf8(bytes) {
            Ok(text) => {
                buf.text = text;
                Ok(Parsed::Record)
            }
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let column = buf.ends.iter().position(|&end| end > at).unwrap_or(0);
                self.scratch.text = e.into_bytes();
                Ok(Parsed::Broken(RowErrorKind::InvalidText { column }))
            }
        }
    }

    fn row_error(&self, row: u64, kind: RowErrorKind) -> RowError {
        RowError {
            file: Arc::clone(&self.file),
            row,
            kind,
        }
    }
}

impl RowSource for DelimitedSource {
    fn details(&self) -> &SourceDetails {
        &self.details
    }

    fn header(&self) -> &[String] {
        &self.header
    }

    fn header_row(&self) -> Option<u64> {
        Some(self.header_row)
    }

    fn next_row(&mut self, buf: &mut RowBuf) -> Option<Result<(), RowError>> {
        if self.stopped {
            return None;
        }
        loop {
            let number = self.next_number;
            match self.parse_into(buf, self.header.len()) {
                Err(e) => {
                    self.stopped = true;
                    let kind = RowErrorKind::Stopped {
                        message: e.to_string(),
                    };
                    return Some(Err(self.row_error(number, kind)));
                }
                Ok(Parsed::End) => return None,
                Ok(Parsed::Broken(kind)) => return Some(Err(self.row_error(number, kind))),
                Ok(Parsed::Record) => match buf.shape(self.header.len()) {
                    Shape::Blank => {}
                    Shape::Fits => return Some(Ok(())),
                    Shape::Extra { found } => {
                        let kind = RowErrorKind::ExtraCells {
                            expected: self.header.len(),
                            found,
                        };
                        return Some(Err(self.row_error(number, kind)));
                    }
                },
            }
        }
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.bytes_read.load(Ordering::Relaxed),
            total: self.total_bytes,
            unit: ProgressUnit::Bytes,
        }
    }
}

/// Parses one record from `lines` into `scratch.text` (cell bytes, concatenated) and `ends`
/// (the end offset of each cell).
///
/// `width` is the number of header cells: a record whose quoted cell spans lines and that ends
/// up with more non-blank cells than the header is treated as a runaway quote as well.
fn parse_record(
    lines: &mut LineSource,
    scratch: &mut Scratch,
    delimiter: u8,
    width: usize,
    ends: &mut Vec<usize>,
) -> io::Result<Parsed> {
    let Scratch {
        line,
        held,
        first_len,
        text,
    } = scratch;
    line.clear();
    held.clear();
    text.clear();
    ends.clear();
    if lines.read_line(line)? == 0 {
        return Ok(Parsed::End);
    }
    let terminator = lines.terminator();
    // The column where a quoted cell first ran past the end of a line, if any.
    let mut spanning_column: Option<usize> = None;
    let mut pos = 0;
    loop {
        let content_end = content_len(line, terminator);
        let field_start = text.len();
        if pos < content_end && line[pos] == b'"' {
            pos += 1;
            // Inside quotes: copy up to each quote; a doubled quote is a literal quote.
            loop {
                match line[pos..].iter().position(|&b| b == b'"') {
                    Some(i) => {
                        text.extend_from_slice(&line[pos..pos + i]);
                        pos += i + 1;
                        if line.get(pos) == Some(&b'"') {
                            text.push(b'"');
                            pos += 1;
                        } else {
                            break;
                        }
                    }
                    None => {
                        // The cell continues on the next line, line break included.
                        text.extend_from_slice(&line[pos..]);
                        let column = *spanning_column.get_or_insert(ends.len());
                        if held.is_empty() {
                            *first_len = line.len();
                        }
                        held.extend_from_slice(line);
                        line.clear();
                        pos = 0;
                        if held.len() > MAX_RECORD_BYTES || lines.read_line(line)? == 0 {
                            return Ok(give_back(lines, held, *first_len, line, column));
                        }
                    }
                }
            }
            let content_end = content_len(line, terminator);
            // Some writers put spaces between a closing quote and the delimiter; they are
            // not part of the cell.
            while pos < content_end && line[pos] == b' ' && delimiter != b' ' {
                pos += 1;
            }
            unwrap_formula(text, field_start);
            ends.push(text.len());
            if pos >= content_end {
                break;
            }
            if line[pos] != delimiter {
                let column = ends.len() - 1;
                return Ok(match spanning_column {
                    Some(start) => give_back(lines, held, *first_len, line, start),
                    None => Parsed::Broken(RowErrorKind::TextAfterQuote { column }),
                });
            }
            pos += 1;
        } else {
            // Unquoted: up to the next delimiter; quotes inside are literal text.
            let rest = &line[pos..content_end];
            let found = rest.iter().position(|&b| b == delimiter);
            let len = found.unwrap_or(rest.len());
            text.extend_from_slice(&rest[..len]);
            unwrap_formula(text, field_start);
            ends.push(text.len());
            if found.is_none() {
                break;
            }
            pos += len + 1;
        }
    }
    if let Some(start) = spanning_column
        && last_non_blank(text, ends) >= width
    {
        return Ok(give_back(lines, held, *first_len, line, start));
    }
    Ok(Parsed::Record)
}

/// Gives up on a record whose quoted cell (starting in `column`) ran over lines: reports its
/// first line as broken and hands the following lines back to be read as rows of their own.
fn give_back(
    lines: &mut LineSource,
    held: &[u8],
    first_len: usize,
    current: &[u8],
    column: usize,
) -> Parsed {
    lines.unread(&[&held[first_len..], current]);
    Parsed::Broken(RowErrorKind::UnclosedQuote { column })
}

/// Length of a line without its terminator (`\n`, `\r\n`, or `\r` in classic-Mac files).
fn content_len(line: &[u8], terminator: u8) -> usize {
    match line {
        [rest @ .., b'\r', b'\n'] if terminator == b'\n' => rest.len(),
        [rest @ .., last] if *last == terminator => rest.len(),
        _ => line.len(),
    }
}

/// Excel writes `="0012345"` to keep a code from being read as a number; the cell's value is
/// the text inside. Rewrites the cell that starts at `start` (the last one in `text`) in place.
fn unwrap_formula(text: &mut Vec<u8>, start: usize) {
    let cell = &text[start..];
    if cell.len() >= 3 && cell.starts_with(b"=\"") && cell.ends_with(b"\"") {
        // Inside an Excel string literal a quote is doubled.
        let inner = cell[2..cell.len() - 1].to_vec();
        text.truncate(start);
        let mut bytes = inner.iter().copied().peekable();
        while let Some(b) = bytes.next() {
            text.push(b);
            if b == b'"' && bytes.peek() == Some(&b'"') {
                bytes.next();
            }
        }
    }
}

/// The number of cells up to and including the last one with non-whitespace content.
fn last_non_blank(text: &[u8], ends: &[usize]) -> usize {
    let mut start = 0;
    let mut last = 0;
    for (i, &end) in ends.iter().enumerate() {
        if text[start..end].iter().any(|b| !b.is_ascii_whitespace()) {
            last = i + 1;
        }
        start = end;
    }
    last
}
