//! XLSX reading through calamine's streaming cell reader.
//!
//! calamine's [`XlsxCellReader`] borrows the workbook it reads from, so a source cannot hold
//! both without self-reference. The sheet is therefore read on a worker thread that owns the
//! workbook and sends rows over a bounded channel in batches: memory holds the shared-strings
//! table (calamine loads it whole when opening the workbook) plus a few batches of rows, never
//! the whole sheet. Dropping the source stops the worker at its next send.
//!
//! Cells become text as a person sees them in Excel, with these rules:
//! - strings as they are (shared or inline, not trimmed);
//! - numbers: integer values below 10^15 in full digits without `.0` (`110108000000016`);
//!   other values below 10^15 rounded to Excel's 15 significant digits and written in the
//!   shortest form (`0.2`, not `0.20000000000000001`); values of 10^15 and above as Excel's
//!   General format shows them, in scientific notation with up to six significant digits
//!   (`9.14E+17`, `9.14403E+17`). Excel keeps only 15 significant digits, so such a number can
//!   no longer be the 18-character code it was typed as; rendering it the way the person saw
//!   it lets the code validator recognise spreadsheet damage. General format would show 12- to
//!   15-digit integers in scientific notation too; they are kept in full here because Excel
//!   stored them exactly and a 15-digit registration number typed into a number cell is
//!   still intact;
//! - date cells (a number with a date format): `YYYY-MM-DD`, plus ` HH:MM:SS` when the time
//!   of day is not midnight; time-only cells `HH:MM:SS`; durations `[h]:mm:ss`-style
//!   `H:MM:SS`; ISO dates stored as text-typed date cells (`t="d"`) the same way;
//! - booleans `TRUE`/`FALSE`, error cells as Excel shows them (`#N/A`, `#VALUE!`).
//!
//! Formulas are not evaluated; the value Excel cached when saving is read.

use std::fmt::Write as _;
use std::io::{Read, Seek};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

use calamine::{DataRef, ExcelDateTime, Reader, Sheet, SheetType, SheetVisible, Xlsx};

use super::{
    Format, Progress, ProgressUnit, ReadError, RowBuf, RowError, RowErrorKind, RowSource, Shape,
    SourceDetails, clean_header,
};

/// Rows per message from the worker; amortises the channel's synchronisation.
const BATCH_ROWS: usize = 512;
/// Batches in flight; bounds memory when the consumer is slower than the worker.
const CHANNEL_BATCHES: usize = 4;

/// What the worker sends.
enum Message {
    /// The first message: the header, or why the sheet cannot be read.
    Ready(Result<Start, ReadError>),
    Rows(Vec<Result<RowBuf, RowError>>),
    /// The sheet is finished. Its absence before the channel closes means the worker died.
    End,
}

struct Start {
    sheet: String,
    header: Vec<String>,
    header_row: u64,
    total_rows: Option<u64>,
}

pub(super) struct XlsxSource {
    file: Arc<str>,
    details: SourceDetails,
    header: Vec<String>,
    header_row: u64,
    total_rows: Option<u64>,
    /// Row number of the last row handed out, for progress.
    rows_done: u64,
    batch: std::vec::IntoIter<Result<RowBuf, RowError>>,
    receiver: Option<Receiver<Message>>,
    worker: Option<JoinHandle<()>>,
    finished: bool,
}

/// Opens a workbook and its sheet (by name, or the first visible worksheet) and reads up to
/// the header row.
pub(super) fn open<RS>(
    file: Arc<str>,
    reader: RS,
    sheet: Option<String>,
) -> Result<XlsxSource, ReadError>
where
    RS: Read + Seek + Send + 'static,
{
    let (sender, receiver) = mpsc::sync_channel(CHANNEL_BATCHES);
    let worker_file = Arc::clone(&file);
    let worker = thread::Builder::new()
        .name("gongxin-xlsx".to_owned())
        .spawn(move || Worker::new(worker_file, sender).run(reader, sheet.as_deref()))
        .map_err(|source| ReadError::Io {
            file: file.to_string(),
            source,
        })?;
    let start = match receiver.recv() {
        Ok(Message::Ready(Ok(start))) => start,
        Ok(Message::Ready(Err(e))) => {
            // The worker has returned; joining only reaps the thread.
            let _ = worker.join();
            return Err(e);
        }
        Ok(Message::Rows(_) | Message::End) | Err(_) => {
            let _ = worker.join();
            return Err(ReadError::WorkbookStopped {
                file: file.to_string(),
            });
        }
    };
    Ok(XlsxSource {
        file,
        details: SourceDetails {
            format: Format::Xlsx,
            encoding: None,
            delimiter: None,
            sheet: Some(start.sheet),
        },
        header: start.header,
        header_row: start.header_row,
        total_rows: start.total_rows,
        rows_done: start.header_row,
        batch: Vec::new().into_iter(),
        receiver: Some(receiver),
        worker: Some(worker),
        finished: false,
    })
}

impl RowSource for XlsxSource {
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
        loop {
            if let Some(item) = self.batch.next() {
                return Some(match item {
                    Ok(mut row) => {
                        std::mem::swap(buf, &mut row);
                        self.rows_done = buf.number;
                        Ok(())
                    }
                    Err(e) => {
                        self.rows_done = e.row;
                        Err(e)
                    }
                });
            }
            if self.finished {
                return None;
            }
            let message = self.receiver.as_ref().map(Receiver::recv);
            match message {
                Some(Ok(Message::Rows(rows))) => self.batch = rows.into_iter(),
                // `Ready` only ever comes first, and was consumed by `open`.
                Some(Ok(Message::End | Message::Ready(_))) | None => {
                    self.finished = true;
                    return None;
                }
                Some(Err(_)) => {
                    self.finished = true;
                    return Some(Err(RowError {
                        file: Arc::clone(&self.file),
                        row: self.rows_done + 1,
                        kind: RowErrorKind::Stopped {
                            message: "the workbook reader stopped unexpectedly".to_owned(),
                        },
                    }));
                }
            }
        }
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.rows_done,
            total: self.total_rows,
            unit: ProgressUnit::Rows,
        }
    }
}

impl Drop for XlsxSource {
    fn drop(&mut self) {
        // Closing the channel first makes the worker's next send fail, so it returns.
        self.receiver = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The worker thread's state: turns the sheet's cell stream into rows.
struct Worker {
    file: Arc<str>,
    sender: SyncSender<Message>,
    /// Header width, once the header row has been seen.
    width: Option<usize>,
    sheet: String,
    total_rows: Option<u64>,
    /// The row being assembled and its 0-based sheet row index.
    row: RowBuf,
    row_index: Option<u32>,
    batch: Vec<Result<RowBuf, RowError>>,
}

/// Returned when the consumer has gone away and the worker should stop.
struct Disconnected;

impl Worker {
    fn new(file: Arc<str>, sender: SyncSender<Message>) -> Self {
        Self {
            file,
            sender,
            width: None,
            sheet: String::new(),
            total_rows: None,
            row: RowBuf::new(),
            row_index: None,
            batch: Vec::with_capacity(BATCH_ROWS),
        }
    }

    fn run<RS: Read + Seek>(mut self, reader: RS, wanted: Option<&str>) {
        if let Err(e) = self.read_sheet(reader, wanted) {
            // Before the header: the failure is the answer to `open`. Once rows flow, it is
            // reported as a row error and ends the stream. Either way the consumer may have
            // gone already, in which case there is no one to tell.
            let message = if self.width.is_none() {
                Message::Ready(Err(e))
            } else {
                let row = self.row_index.map_or(1, |r| u64::from(r) + 1);
                self.batch.push(Err(RowError {
                    file: Arc::clone(&self.file),
                    row,
                    kind: RowErrorKind::Stopped {
                        message: e.to_string(),
                    },
                }));
                Message::Rows(std::mem::take(&mut self.batch))
            };
            if self.sender.send(message).is_ok() && self.width.is_some() {
                let _ = self.sender.send(Message::End);
            }
        }
    }

    /// Reads the sheet, sending rows as they complete. `Ok` also covers the consumer having
    /// gone away.
    fn read_sheet<RS: Read + Seek>(
        &mut self,
        reader: RS,
        wanted: Option<&str>,
    ) -> Result<(), ReadError> {
        let xlsx_error = |file: &str, source| ReadError::Xlsx {
            file: file.to_owned(),
            source,
        };
        let mut workbook: Xlsx<RS> = Xlsx::new(reader).map_err(|e| xlsx_error(&self.file, e))?;
        self.sheet = choose_sheet(&self.file, workbook.sheets_metadata(), wanted)?;
        let mut cells = workbook
            .worksheet_cells_reader(&self.sheet)
            .map_err(|e| xlsx_error(&self.file, e))?;
        let dimensions = cells.dimensions();
        // A sheet without a `<dimension>` element reports A1:A1; its size is then unknown.
        self.total_rows = (dimensions.end != (0, 0)).then(|| u64::from(dimensions.end.0) + 1);
        while let Some(cell) = cells.next_cell().map_err(|e| xlsx_error(&self.file, e))? {
            let (row, column) = cell.get_position();
            if self.push_cell(row, column, cell.get_value()).is_err() {
                return Ok(());
            }
        }
        if self.finish_row().is_err() {
            return Ok(());
        }
        if self.width.is_none() {
            return Err(ReadError::NoHeader {
                file: self.file.to_string(),
            });
        }
        let rows = std::mem::take(&mut self.batch);
        if self.sender.send(Message::Rows(rows)).is_ok() {
            let _ = self.sender.send(Message::End);
        }
        Ok(())
    }

    fn push_cell(
        &mut self,
        row: u32,
        column: u32,
        value: &DataRef<'_>,
    ) -> Result<(), Disconnected> {
        if self.row_index != Some(row) {
            self.finish_row()?;
            self.row.clear(u64::from(row) + 1);
            self.row_index = Some(row);
        }
        let column = column as usize;
        // Cells arrive left to right; a cell at or left of one already read (which Excel never
        // writes) is ignored rather than shifting the row.
        if column < self.row.len() {
            return Ok(());
        }
        while self.row.len() < column {
            self.row.push_cell("");
        }
        self.row.push_cell_with(|text| write_cell(value, text));
        Ok(())
    }

    /// Completes the row being assembled: the first non-blank row becomes the header, later
    /// ones are queued for the consumer.
    fn finish_row(&mut self) -> Result<(), Disconnected> {
        if self.row_index.is_none() || self.row.is_blank() {
            return Ok(());
        }
        let Some(width) = self.width else {
            let header = clean_header(self.row.iter());
            self.width = Some(header.len());
            let start = Start {
                sheet: self.sheet.clone(),
                header,
                header_row: self.row.number,
                total_rows: self.total_rows,
            };
            self.row_index = None;
            return self
                .sender
                .send(Message::Ready(Ok(start)))
                .map_err(|_| Disconnected);
        };
        let number = self.row.number;
        self.row_index = None;
        let item = match self.row.shape(width) {
            Shape::Extra { found } => Err(RowError {
                file: Arc::clone(&self.file),
                row: number,
                kind: RowErrorKind::ExtraCells {
                    expected: width,
                    found,
                },
            }),
            Shape::Fits | Shape::Blank => Ok(std::mem::take(&mut self.row)),
        };
        self.batch.push(item);
        if self.batch.len() >= BATCH_ROWS {
            let rows = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_ROWS));
            self.sender
                .send(Message::Rows(rows))
                .map_err(|_| Disconnected)?;
        }
        Ok(())
    }
}

/// Picks the sheet to read: the named one, or the first visible worksheet (hidden sheets
/// often hold lookup lists for drop-downs), or the first worksheet at all.
fn choose_sheet(file: &str, sheets: &[Sheet], wanted: Option<&str>) -> Result<String, ReadError> {
    let is_worksheet = |s: &&Sheet| matches!(s.typ, SheetType::WorkSheet);
    let chosen = match wanted {
        Some(name) => sheets.iter().filter(is_worksheet).find(|s| s.name == name),
        None => sheets
            .iter()
            .filter(is_worksheet)
            .find(|s| matches!(s.visible, SheetVisible::Visible))
            .or_else(|| sheets.iter().find(is_worksheet)),
    };
    match (chosen, wanted) {
        (Some(sheet), _) => Ok(sheet.name.clone()),
        (None, Some(name)) => Err(ReadError::SheetNotFound {
            file: file.to_owned(),
            sheet: name.to_owned(),
            available: sheets
                .iter()
                .filter(is_worksheet)
                .map(|s| s.name.clone())
                .collect(),
        }),
        (None, None) => Err(ReadError::NoWorksheet {
            file: file.to_owned(),
        }),
    }
}

/// Appends a cell's text as Excel shows it (see the module documentation for the rules).
fn write_cell(value: &DataRef<'_>, out: &mut String) {
    // Writing to a String cannot fail; the `fmt::Result`s below are discarded.
    match value {
        DataRef::Empty => {}
        DataRef::String(s) => out.push_str(s),
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        DataRef::Float(x) => write_number(*x, out),
        DataRef::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(dt) if dt.is_duration() => write_duration(dt.as_f64(), out),
        DataRef::DateTime(dt) => write_datetime(dt, out),
        DataRef::DateTimeIso(s) => match s.split_once('T') {
            Some((date, time)) if time.bytes().all(|b| b"0:.Z".contains(&b)) => {
                out.push_str(date);
            }
            Some((date, time)) => {
                let _ = write!(out, "{date} {}", time.trim_end_matches('Z'));
            }
            None => out.push_str(s),
        },
        DataRef::DurationIso(s) => out.push_str(s),
        DataRef::Error(e) => {
            let _ = write!(out, "{e}");
        }
    }
}

/// Numbers at or above this magnitude cannot be held exactly by Excel (15 significant digits).
const EXCEL_EXACT_LIMIT: f64 = 1e15;

fn write_number(x: f64, out: &mut String) {
    if x.abs() >= EXCEL_EXACT_LIMIT {
        write_general_scientific(x, out);
    } else if x.fract() == 0.0 {
        // Exact: |x| < 10^15 fits an i64. `as` also turns -0.0 into 0.
        let _ = write!(out, "{}", x as i64);
    } else {
        // Round to Excel's 15 significant digits, then print the shortest form.
        let rounded = format!("{x:.14e}").parse::<f64>().unwrap_or(x);
        let _ = write!(out, "{rounded}");
    }
}

/// Excel's General format for large numbers: six significant digits, trailing zeros dropped,
/// and a signed exponent of at least two digits (`9.14E+17`).
fn write_general_scientific(x: f64, out: &mut String) {
    let formatted = format!("{x:.5E}");
    let (mantissa, exponent) = formatted.split_once('E').unwrap_or((&formatted, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exponent),
    };
    let _ = write!(out, "{mantissa}E{sign}{digits:0>2}");
}

fn write_datetime(dt: &ExcelDateTime, out: &mut String) {
    let (year, month, day, hour, minute, second, _) = dt.to_ymd_hms_milli();
    let has_time = (hour, minute, second) != (0, 0, 0);
    if dt.as_f64() < 1.0 && has_time {
        // A time of day with no date (serial below 1).
        let _ = write!(out, "{hour:02}:{minute:02}:{second:02}");
    } else if has_time {
        let _ = write!(
            out,
            "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
        );
    } else {
        let _ = write!(out, "{year:04}-{month:02}-{day:02}");
    }
}

/// A duration in days as `H:MM:SS`, hours not wrapping at 24 (Excel's `[h]:mm:ss`).
fn write_duration(days: f64, out: &mut String) {
    let total = (days * 86_400.0).round();
    let sign = if total < 0.0 { "-" } else { "" };
    // Saturating float-to-int conversion; a duration beyond u64 seconds is not real data.
    let seconds = total.abs() as u64;
    let _ = write!(
        out,
        "{sign}{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(x: f64) -> String {
        let mut s = String::new();
        write_number(x, &mut s);
        s
    }

    #[test]
    fn numbers_render_as_excel_shows_them() {
        assert_eq!(number(42.0), "42");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(0.2), "0.2");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(110_108_000_000_016.0), "110108000000016");
        assert_eq!(number(9.14e17), "9.14E+17");
        assert_eq!(number(914_403_007_084_551_000.0), "9.14403E+17");
        assert_eq!(number(1e15), "1E+15");
        assert_eq!(number(-9.14e17), "-9.14E+17");
    }

    #[test]
    fn durations_keep_hours_past_a_day() {
        let mut s = String::new();
        write_duration(1.5, &mut s);
        assert_eq!(s, "36:00:00");
    }
}
