//! Streaming readers for the tables departments send: CSV/TSV, XLSX and JSON lines.
//!
//! This module knows nothing about catalogs: it turns a file into a header (the raw header
//! cells, trimmed) and a stream of rows of text cells, and leaves the meaning of each column
//! to the caller. Cell text is never parsed: numbers, dates and codes stay text, so a code
//! validator sees exactly what the department wrote (see [`Format::Xlsx`] for how
//! spreadsheet numbers and dates become text).
//!
//! # Rows
//!
//! [`RowSource::next_row`] fills a caller-owned [`RowBuf`] so a million-row import allocates
//! nothing per row or per cell; [`Rows`] (from `source.rows()`) is the convenient owning
//! iterator for small files and tests. Every format shares these rules:
//! - the header is the first row that is not blank; rows above it are ignored;
//! - a row number is the 1-based row as a person sees it: the row in Excel or WPS for CSV and
//!   XLSX (header included, so usually the header is row 1 and data starts at 2), the line
//!   number for JSON lines;
//! - blank rows (every cell empty or whitespace) are skipped;
//! - a row with fewer cells than the header is padded with empty cells; a row with more is an
//!   error for that row — unless every extra cell is blank (Excel leaves trailing delimiters
//!   after columns that merely had formatting), in which case they are dropped;
//! - a malformed row is a [`RowError`] carrying the file and row number, and the stream goes
//!   on with the next row. Only [`RowErrorKind::Stopped`] (an I/O error, a corrupt workbook)
//!   ends the stream.
//!
//! # Formats
//!
//! [`open`] picks the format from the file's content first and its extension second (see
//! [`Format`]). CSV text may be UTF-8 (with or without BOM), GB18030/GBK, or UTF-16 with a
//! BOM (Excel's "Unicode text"); the delimiter is sniffed from the header line. XLSX is read
//! from the first visible worksheet or a named one. JSON lines are described in
//! [`Format::JsonLines`].
//!
//! # Performance
//!
//! CSV parsing copies each line once into the row buffer and validates it as UTF-8 once; a
//! GB18030 file is decoded in streaming fashion first. Memory stays flat whatever the file
//! size. XLSX is parsed on a worker thread (see [`Format::Xlsx`]).

mod delimited;
mod header;
mod jsonl;
mod text;
mod xlsx;

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

pub use header::{header_variants, normalise_header};

use delimited::DelimitedSource;
use jsonl::JsonLinesSource;
use text::CountingReader;

/// A file format this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Delimited text: `.csv`, `.tsv`, `.txt`, and text files named `.xls` (several
    /// government systems export tab-separated text under that name).
    Csv,
    /// An Office Open XML workbook (`.xlsx`, `.xlsm`), recognised by its zip signature
    /// whatever the name. The sheet is streamed on a worker thread; memory holds the
    /// workbook's shared-strings table and a few batches of rows. Through [`open_reader`] the
    /// whole file is first read into memory, because a zip archive needs random access.
    ///
    /// Cells become the text Excel shows: strings as they are; integers without `.0`; other
    /// numbers rounded to Excel's 15 significant digits (`0.2`); numbers of 10^15 and more in
    /// Excel's General-format scientific notation (`9.14E+17`), because such a number is an
    /// 18-character code a spreadsheet has damaged and the code validator must be able to tell;
    /// date cells `YYYY-MM-DD` (with ` HH:MM:SS` if the time is not midnight); booleans
    /// `TRUE`/`FALSE`; errors `#N/A` and the like. Formulas give their cached value.
    Xlsx,
    /// One JSON object per line (`.jsonl`, `.ndjson`, `.json`). The header is the keys in
    /// first-seen order: those of the first object, then any new key appended as a column
    /// when first met, so [`RowSource::header`] can grow while reading. Strings are kept,
    /// numbers keep their JSON text, `true`/`false` are text, `null` is an empty cell, and an
    /// object or array value is an error for its row. A file holding one JSON array is not
    /// JSON lines and is refused.
    JsonLines,
}

/// The character encoding of a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    Utf8,
    /// GB18030, a superset of GBK and GB2312; what Chinese Windows and Excel write.
    Gb18030,
    Utf16Le,
    Utf16Be,
}

/// Settings for opening a source; the defaults detect everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// XLSX: the worksheet to read, by exact name. Default: the first visible worksheet.
    pub sheet: Option<String>,
    /// CSV: the delimiter byte. Default: tab for `.tsv`, otherwise sniffed from the header
    /// line among `,` `\t` `;` `|`.
    pub delimiter: Option<u8>,
    /// Text formats: the encoding. Default: detected (a BOM, else UTF-8 if the first 64 KiB
    /// are valid UTF-8, else GB18030).
    pub encoding: Option<TextEncoding>,
    /// [`open_reader`]: the stream's size in bytes if known (an upload's length), for
    /// [`RowSource::progress`]. [`open`] takes the file size.
    pub total_bytes: Option<u64>,
}

/// What was found out about a source while opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDetails {
    pub format: Format,
    /// Text formats: the encoding used.
    pub encoding: Option<TextEncoding>,
    /// CSV: the delimiter used.
    pub delimiter: Option<u8>,
    /// XLSX: the worksheet read.
    pub sheet: Option<String>,
}

/// How far a source has read, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    /// Unknown for a stream of unknown size, or a worksheet without a declared size.
    pub total: Option<u64>,
    pub unit: ProgressUnit,
}

/// The unit of a [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    /// Bytes of the file read (text formats). Reading is buffered, so this runs ahead of the
    /// rows handed out by up to a buffer (64 KiB).
    Bytes,
    /// Sheet rows handed out, against the sheet's declared last row (XLSX, where the
    /// compressed file offset says little about progress).
    Rows,
}

/// A stream of rows from a table file.
pub trait RowSource: Send {
    /// How the source is being read.
    fn details(&self) -> &SourceDetails;

    /// The header cells: trimmed, a stray BOM removed, trailing empty cells dropped. Empty
    /// cells in the middle stay, as `""`, to keep column positions. For JSON lines the header
    /// can grow while reading (see [`Format::JsonLines`]).
    fn header(&self) -> &[String];

    /// The row number of the header row; `None` for JSON lines, which have none.
    fn header_row(&self) -> Option<u64>;

    /// Reads the next row into `buf`, replacing its content. Returns `None` at the end,
    /// `Some(Err)` for a row that cannot be read (the stream continues after it, except after
    /// [`RowErrorKind::Stopped`]). After an error `buf`'s content is unspecified.
    fn next_row(&mut self, buf: &mut RowBuf) -> Option<Result<(), RowError>>;

    /// How far reading has got.
    fn progress(&self) -> Progress;
}

impl dyn RowSource + '_ {
    /// An iterator of owned rows: simple, but it allocates every cell. For large imports use
    /// [`RowSource::next_row`] with one reused [`RowBuf`].
    pub fn rows(&mut self) -> Rows<'_> {
        Rows {
            source: self,
            buf: RowBuf::new(),
        }
    }
}

/// A row with owned cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based row number as a person sees it in the file (see the module documentation).
    pub number: u64,
    /// One cell per header column.
    pub cells: Vec<String>,
}

/// A reusable row buffer: all cells of a row in one string, so that reading a row allocates
/// nothing once the buffer has grown to the largest row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowBuf {
    number: u64,
    text: String,
    /// The end offset of each cell in `text`; a cell starts where the previous one ends.
    ends: Vec<usize>,
}

impl RowBuf {
    pub fn new() -> Self {
        Self::default()
    }

    /// 1-based row number as a person sees it in the file.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The number of cells (the header width for a row just read, or more for JSON lines
    /// whose header grew later).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The cell in column `index` (0-based).
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index {
            0 => 0,
            _ => self.ends[index - 1],
        };
        self.text.get(start..end)
    }

    /// The cells in order.
    pub fn iter(&self) -> Cells<'_> {
        Cells {
            buf: self,
            front: 0,
            back: self.ends.len(),
        }
    }

    /// Copies the row into an owned [`Row`].
    pub fn to_row(&self) -> Row {
        Row {
            number: self.number,
            cells: self.iter().map(str::to_owned).collect(),
        }
    }

    fn clear(&mut self, number: u64) {
        self.number = number;
        self.text.clear();
        self.ends.clear();
    }

    fn push_cell(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }

    /// Appends a cell written by `write`, which appends to the row's text.
    fn push_cell_with(&mut self, write: impl FnOnce(&mut String)) {
        write(&mut self.text);
        self.ends.push(self.text.len());
    }

    fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Fits the row to a header of `width` cells: pads a short row, drops blank extra cells,
    /// and reports non-blank extra cells.
    fn shape(&mut self, width: usize) -> Shape {
        if self.is_blank() {
            return Shape::Blank;
        }
        if self.ends.len() > width {
            let found = self
                .iter()
                .rposition(|cell| !cell.trim().is_empty())
                .map_or(0, |i| i + 1);
            if found > width {
                return Shape::Extra { found };
            }
            self.ends.truncate(width);
            self.text.truncate(self.ends.last().copied().unwrap_or(0));
        }
        while self.ends.len() < width {
            self.ends.push(self.text.len());
        }
        Shape::Fits
    }
}

impl<'a> IntoIterator for &'a RowBuf {
    type Item = &'a str;
    type IntoIter = Cells<'a>;

    fn into_iter(self) -> Cells<'a> {
        self.iter()
    }
}

/// The outcome of [`RowBuf::shape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Blank,
    Fits,
    /// More non-blank cells than the header has; `found` counts up to the last non-blank one.
    Extra {
        found: usize,
    },
}

/// Iterator over the cells of a [`RowBuf`].
#[derive(Debug, Clone)]
pub struct Cells<'a> {
    buf: &'a RowBuf,
    /// The next cell from the front, and one past the next cell from the back.
    front: usize,
    back: usize,
}

impl<'a> Iterator for Cells<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.front >= self.back {
            return None;
        }
        self.front += 1;
        self.buf.get(self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Cells<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        self.buf.get(self.back)
    }
}

impl ExactSizeIterator for Cells<'_> {}

/// The owning row iterator returned by `source.rows()`.
pub struct Rows<'a> {
    source: &'a mut dyn RowSource,
    buf: RowBuf,
}

impl fmt::Debug for Rows<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rows")
            .field("details", self.source.details())
            .field("last_row", &self.buf.number)
            .finish()
    }
}

impl Iterator for Rows<'_> {
    type Item = Result<Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let result = self.source.next_row(&mut self.buf)?;
        Some(result.map(|()| self.buf.to_row()))
    }
}

/// Why a file cannot be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
    #[error("{file}: {reason}")]
    Unsupported { file: String, reason: String },
    #[error("{file}: no header row: the file has no row that is not blank")]
    NoHeader { file: String },
    #[error("{file}, row {row}: the header row cannot be read: {kind}")]
    BadHeader {
        file: String,
        row: u64,
        kind: RowErrorKind,
    },
    #[error(
        "{file}: the workbook has no sheet named {sheet:?}; its sheets are {}",
        quoted_list(available)
    )]
    SheetNotFound {
        file: String,
        sheet: String,
        available: Vec<String>,
    },
    #[error("{file}: the workbook has no worksheet")]
    NoWorksheet { file: String },
    #[error("{file}: cannot read the workbook: {source}")]
    Xlsx {
        file: String,
        source: calamine::XlsxError,
    },
    #[error("{file}: the workbook reader stopped unexpectedly (a damaged file?)")]
    WorkbookStopped { file: String },
}

/// Why one row cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, row {row}: {kind}")]
pub struct RowError {
    /// The file, as given to [`open`] or [`open_reader`].
    pub file: Arc<str>,
    /// 1-based row number as a person sees it in the file.
    pub row: u64,
    pub kind: RowErrorKind,
}

/// What is wrong with a row. Columns are 0-based indexes, shown as spreadsheet letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowErrorKind {
    #[error(
        "the row has {found} cells but the header has {expected}; column {} and after have no header",
        column_name(*expected)
    )]
    ExtraCells { expected: usize, found: usize },
    #[error(
        "the quoted cell in column {} has no closing quote (a stray quote?); the row was skipped and reading went on with the next line",
        column_name(*column)
    )]
    UnclosedQuote { column: usize },
    #[error(
        "in column {}, text follows the closing quote; a quote inside a quoted cell must be doubled (\"\")",
        column_name(*column)
    )]
    TextAfterQuote { column: usize },
    #[error(
        "column {} is not valid UTF-8 text, though the start of the file is (mixed encodings?)",
        column_name(*column)
    )]
    InvalidText { column: usize },
    #[error("not valid JSON: {message}")]
    InvalidJson { message: String },
    #[error(
        "the value of {key:?} is a JSON object or array; only strings, numbers, booleans and null can be cells"
    )]
    NestedValue { key: String },
    #[error("reading stopped here: {message}")]
    Stopped { message: String },
}

/// Spreadsheet column letters for a 0-based index: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_name(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.iter().rev().map(|&b| char::from(b)).collect()
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    quoted.join(", ")
}

/// Opens a table file, detecting its format, with default options.
pub fn open(path: &Path) -> Result<Box<dyn RowSource>, ReadError> {
    open_with(path, &ReadOptions::default())
}

/// Opens a table file, detecting its format.
///
/// The content decides first: a zip archive is XLSX whatever its name; a legacy `.xls`
/// (OLE2) workbook or an HTML page is refused with advice. Then the extension: `.xlsx` /
/// `.xlsm` that is not a zip is refused, `.jsonl` / `.ndjson` / `.json` is JSON lines, `.tsv`
/// is tab-separated CSV; anything else (`.csv`, `.txt`, a text `.xls`, no extension) is CSV,
/// except that a file of unknown extension starting with `{` is JSON lines.
pub fn open_with(path: &Path, options: &ReadOptions) -> Result<Box<dyn RowSource>, ReadError> {
    let name = path.display().to_string();
    let io_error = |source| ReadError::Io {
        file: name.clone(),
        source,
    };
    let mut file = File::open(path).map_err(io_error)?;
    let total = file.metadata().map_err(io_error)?.len();
    let mut head = Vec::with_capacity(512);
    (&mut file)
        .take(512)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    file.seek(SeekFrom::Start(0)).map_err(io_error)?;

    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let format = detect_format(&extension, &head).map_err(|reason| ReadError::Unsupported {
        file: name.clone(),
        reason: reason.to_owned(),
    })?;
    let mut options = options.clone();
    options.total_bytes = Some(total);
    if format == Format::Csv && extension == "tsv" && options.delimiter.is_none() {
        options.delimiter = Some(b'\t');
    }
    match format {
        Format::Xlsx => {
            let reader = BufReader::new(file);
            Ok(Box::new(xlsx::open(name.into(), reader, options.sheet)?))
        }
        Format::Csv | Format::JsonLines => open_text_source(name.into(), format, file, &options),
    }
}

/// Opens a stream (an upload, say) in a known format. `name` labels errors.
pub fn open_reader<R>(
    name: &str,
    format: Format,
    mut reader: R,
    options: &ReadOptions,
) -> Result<Box<dyn RowSource>, ReadError>
where
    R: Read + Send + 'static,
{
    match format {
        Format::Xlsx => {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .map_err(|source| ReadError::Io {
                    file: name.to_owned(),
                    source,
                })?;
            Ok(Box::new(xlsx::open(
                name.into(),
                Cursor::new(bytes),
                options.sheet.clone(),
            )?))
        }
        Format::Csv | Format::JsonLines => open_text_source(name.into(), format, reader, options),
    }
}

fn open_text_source<R: Read + Send + 'static>(
    file: Arc<str>,
    format: Format,
    reader: R,
    options: &ReadOptions,
) -> Result<Box<dyn RowSource>, ReadError> {
    let io_error = |source| ReadError::Io {
        file: file.to_string(),
        source,
    };
    let (counted, bytes_read) = CountingReader::new(reader);
    let input = text::open_text(counted, options.encoding).map_err(io_error)?;
    if format == Format::JsonLines {
        let source =
            JsonLinesSource::open(Arc::clone(&file), input, bytes_read, options.total_bytes)
                .map_err(io_error)?;
        return Ok(Box::new(source));
    }
    let opened = DelimitedSource::open(
        Arc::clone(&file),
        input,
        options.delimiter,
        bytes_read,
        options.total_bytes,
    )
    .map_err(io_error)?;
    match opened {
        Ok(Some(source)) => Ok(Box::new(source)),
        Ok(None) => Err(ReadError::NoHeader {
            file: file.to_string(),
        }),
        Err((row, kind)) => Err(ReadError::BadHeader {
            file: file.to_string(),
            row,
            kind,
        }),
    }
}

/// Chooses the format from the file's first bytes and its lower-cased extension.
fn detect_format(extension: &str, head: &[u8]) -> Result<Format, &'static str> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE2: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
    if head.starts_with(ZIP) {
        return Ok(Format::Xlsx);
    }
    if head.starts_with(OLE2) {
        return Err(
            "a legacy Excel 97-2003 (.xls) workbook, which is not supported; \
                    save it as .xlsx or CSV",
        );
    }
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'<') {
        return Err(
            "an HTML or XML document, not a table file (some systems export an HTML \
                    table under a spreadsheet name); save it as .xlsx or CSV",
        );
    }
    match extension {
        "xlsx" | "xlsm" => Err("named as an Excel workbook but not one (not a zip archive)"),
        "jsonl" | "ndjson" | "json" if first == Some(&b'[') => {
            Err("a JSON array, not JSON lines; write one object per line")
        }
        "jsonl" | "ndjson" | "json" => Ok(Format::JsonLines),
        "csv" | "tsv" | "txt" | "xls" => Ok(Format::Csv),
        _ if first == Some(&b'{') => Ok(Format::JsonLines),
        _ => Ok(Format::Csv),
    }
}

/// Cleans header cells: trimmed (including the BOM, which `trim` keeps), trailing empty cells
/// dropped.
fn clean_header<'a>(cells: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut header: Vec<String> = cells
        .map(|cell| {
            cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                .to_owned()
        })
        .collect();
    while header.last().is_some_and(String::is_empty) {
        header.pop();
    }
    header
}
