//! JSON lines: one object per line.
//!
//! The header is the keys in first-seen order. It is taken from the first object when the
//! source is opened and grows while reading: a key first seen on a later line is appended as a
//! new column (rather than refused), because JSON-lines exports routinely omit keys whose value
//! is null, so the first object rarely carries every key. Each row has as many cells as the
//! header had when the row was read; a consumer that maps columns up front should compare
//! [`RowSource::header`]'s length with the length it mapped and re-map when it grew.
//!
//! Values: strings as they are, numbers as their JSON text (`1.50` stays `1.50`, never
//! re-formatted through a float), `true`/`false` as text, `null` as an empty cell; an object
//! or array value makes the row an error. Row numbers are line numbers; blank lines are
//! skipped but counted.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::text::{LineSource, TextInput};
use super::{
    Format, Progress, ProgressUnit, RowBuf, RowError, RowErrorKind, RowSource, Shape, SourceDetails,
};

pub(super) struct JsonLinesSource {
    file: Arc<str>,
    lines: LineSource,
    details: SourceDetails,
    header: Vec<String>,
    /// Column index of each key in `header`.
    columns: HashMap<String, usize>,
    line_number: u64,
    line: Vec<u8>,
    /// The values of the line being read, concatenated, and where each column's value is.
    values: String,
    slots: Vec<Option<Range<usize>>>,
    /// The first line, read at open time to learn the header, waiting to be handed out.
    pending: Option<Result<RowBuf, RowError>>,
    bytes_read: Arc<AtomicU64>,
    total_bytes: Option<u64>,
    stopped: bool,
}

impl JsonLinesSource {
    /// Opens the source and reads its first non-blank line to learn the header.
    pub(super) fn open(
        file: Arc<str>,
        input: TextInput,
        bytes_read: Arc<AtomicU64>,
        total_bytes: Option<u64>,
    ) -> io::Result<Self> {
        let mut source = Self {
            file,
            lines: LineSource::new(input.reader, input.terminator),
            details: SourceDetails {
                format: Format::JsonLines,
                encoding: Some(input.encoding),
                delimiter: None,
                sheet: None,
            },
            header: Vec::new(),
            columns: HashMap::new(),
            line_number: 0,
            line: Vec::new(),
            values: String::new(),
            slots: Vec::new(),
            pending: None,
            bytes_read,
            total_bytes,
            stopped: false,
        };
        let mut first = RowBuf::new();
        source.pending = match source.read_into(&mut first)? {
            Some(Ok(())) => Some(Ok(first)),
            Some(Err(e)) => Some(Err(e)),
            None => None,
        };
        Ok(source)
    }

    /// Reads lines until one is not blank and parses it into `buf`.
    fn read_into(&mut self, buf: &mut RowBuf) -> io::Result<Option<Result<(), RowError>>> {
        loop {
            self.line.clear();
            if self.lines.read_line(&mut self.line)? == 0 {
                return Ok(None);
            }
            self.line_number += 1;
            if self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match self.parse_line(buf) {
                Ok(()) if buf.shape(self.header.len()) == Shape::Blank => {}
                Ok(()) => return Ok(Some(Ok(()))),
                Err(kind) => {
                    return Ok(Some(Err(RowError {
                        file: Arc::clone(&self.file),
                        row: self.line_number,
                        kind,
                    })));
                }
            }
        }
    }

    fn parse_line(&mut self, buf: &mut RowBuf) -> Result<(), RowErrorKind> {
        self.values.clear();
        self.slots.clear();
        let invalid = |e: serde_json::Error| RowErrorKind::InvalidJson {
            message: e.to_string(),
        };
        let mut de = serde_json::Deserializer::from_slice(&self.line);
        let nested = ObjectSeed {
            header: &mut self.header,
            columns: &mut self.columns,
            values: &mut self.values,
            slots: &mut self.slots,
        }
        .deserialize(&mut de)
        .map_err(invalid)?;
        de.end().map_err(invalid)?;
        if let Some(key) = nested {
            return Err(RowErrorKind::NestedValue { key });
        }
        buf.clear(self.line_number);
        for column in 0..self.header.len() {
            let value = match self.slots.get(column) {
                Some(Some(range)) => &self.values[range.clone()],
                _ => "",
            };
            buf.push_cell(value);
        }
        Ok(())
    }
}

impl RowSource for JsonLinesSource {
    fn details(&self) -> &SourceDetails {
        &self.details
    }

    fn header(&self) -> &[String] {
        &self.header
    }

    fn header_row(&self) -> Option<u64> {
        None
    }

    fn next_row(&mut self, buf: &mut RowBuf) -> Option<Result<(), RowError>> {
        if let Some(first) = self.pending.take() {
            return Some(first.map(|row| {
                *buf = row;
                // The header may have grown since the first row was read: keep rows as wide
                // as the header they are read under.
                buf.shape(self.header.len());
            }));
        }
        if self.stopped {
            return None;
        }
        match self.read_into(buf) {
            Ok(next) => next,
            Err(e) => {
                self.stopped = true;
                Some(Err(RowError {
                    file: Arc::clone(&self.file),
                    row: self.line_number + 1,
                    kind: RowErrorKind::Stopped {
                        message: e.to_string(),
                    },
                }))
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

/// Deserialises one JSON object, writing each value's text into `values` and its position
/// into the column slot of its key (appending new keys to the header).
///
/// The visitor yields the first key whose value is nested, if any; it reads the whole object
/// regardless, so that the line's JSON syntax is still checked.
struct ObjectSeed<'s> {
    header: &'s mut Vec<String>,
    columns: &'s mut HashMap<String, usize>,
    values: &'s mut String,
    slots: &'s mut Vec<Option<Range<usize>>>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut nested = None;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let raw: &'de RawValue = map.next_value()?;
            let column = match self.columns.get(key.as_ref()) {
                Some(&column) => column,
                None => {
                    let column = self.header.len();
                    self.header.push(key.clone().into_owned());
                    self.columns.insert(key.clone().into_owned(), column);
                    column
                }
            };
            let start = self.values.len();
            let json = raw.get();
            match json.as_bytes().first() {
                Some(b'{' | b'[') => {
                    nested.get_or_insert_with(|| key.into_owned());
                    continue;
                }
                Some(b'"') => {
                    let mut de = serde_json::Deserializer::from_str(json);
                    let Text(s) = Text::deserialize(&mut de).map_err(serde::de::Error::custom)?;
                    self.values.push_str(&s);
                }
                Some(b'n') => {}
                // Numbers and booleans: their JSON text is the cell.
                _ => self.values.push_str(json),
            }
            if self.slots.len() <= column {
                self.slots.resize(column + 1, None);
            }
            self.slots[column] = Some(start..self.values.len());
        }
        Ok(nested)
    }
}

/// A JSON string, borrowed from the input when it has no escapes.
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(s)))
            }

            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }

            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}
