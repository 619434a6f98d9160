//! Rows sent with `COPY … FROM STDIN (FORMAT binary)`: the bulk path of the writer.
//!
//! A `COPY` costs the server less per row than an `INSERT … SELECT FROM unnest(…)` of the same
//! rows: no arrays to take apart and no executor node per row, and its heap inserts are
//! batched a page at a time (one WAL record per page rather than per row). The binary format
//! spares it parsing text too. Values are encoded here as PostgreSQL's `*recv` functions read
//! them (the few types the write path needs); the server checks them as it checks any input
//! (valid UTF-8 and no NUL in text, the table's constraints), so a bad value fails the
//! statement and with it the transaction, as an `INSERT` would.
//!
//! The rows are sent in pieces while they are being encoded, so the server stores the first
//! rows while the client encodes the next.

use chrono::NaiveDate;
use postgres::{CopyInWriter, GenericClient};

use super::super::{Db, describe, pg};
use crate::StoreError;

/// Bytes encoded before they are handed to the connection.
const PIECE: usize = 256 * 1024;

/// The signature, flags and header extension length of the binary format.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// A `COPY … FROM STDIN (FORMAT binary)` in progress.
pub(super) struct CopyIn<'a> {
    writer: CopyInWriter<'a>,
    buf: Vec<u8>,
    /// Fields per row, as the statement names its columns.
    columns: i16,
    /// Fields written of the row being written.
    fields: i16,
    what: &'a str,
}

impl<'a> CopyIn<'a> {
    /// Starts `sql` (a `COPY table (columns) FROM STDIN (FORMAT binary)` naming `columns`
    /// columns); `what` names the write in errors.
    pub(super) fn start<C: GenericClient>(
        db: &'a mut Db<'_, C>,
        sql: &str,
        columns: i16,
        what: &'a str,
    ) -> Result<Self, StoreError> {
        let statement = db.statement(sql).map_err(pg(what))?;
        let writer = db.client.copy_in(&statement).map_err(pg(what))?;
        let mut buf = Vec::with_capacity(PIECE + 8 * 1024);
        buf.extend_from_slice(HEADER);
        Ok(CopyIn {
            writer,
            buf,
            columns,
            fields: columns,
            what,
        })
    }

    /// Begins the next row; its fields follow, in the statement's order.
    pub(super) fn row(&mut self) -> Result<&mut Self, StoreError> {
        debug_assert_eq!(self.fields, self.columns, "the previous row is incomplete");
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        self.fields = 0;
        self.buf.extend_from_slice(&self.columns.to_be_bytes());
        Ok(self)
    }

    fn field(&mut self, value: &[u8]) -> &mut Self {
        self.fields += 1;
        debug_assert!(self.fields <= self.columns, "more fields than columns");
        // A value longer than 2 GiB cannot be sent; the caller's values are far smaller
        // (a payload is a few kilobytes), and the server refuses one larger than 1 GiB.
        let length = i32::try_from(value.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&length.to_be_bytes());
        self.buf.extend_from_slice(value);
        self
    }

    /// A `BIGINT`.
    pub(super) fn int8(&mut self, value: i64) -> &mut Self {
        self.field(&value.to_be_bytes())
    }

    /// A `BIGINT` or NULL.
    pub(super) fn int8_or_null(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            Some(value) => self.int8(value),
            None => {
                self.fields += 1;
                self.buf.extend_from_slice(&(-1i32).to_be_bytes());
                self
            }
        }
    }

    /// A `TEXT` (any collation).
    pub(super) fn text(&mut self, value: &str) -> &mut Self {
        self.field(value.as_bytes())
    }

    /// A `BYTEA`.
    pub(super) fn bytea(&mut self, value: &[u8]) -> &mut Self {
        self.field(value)
    }

    /// A `DATE`: days since 2000-01-01, PostgreSQL's epoch.
    pub(super) fn date(&mut self, value: NaiveDate) -> Result<&mut Self, StoreError> {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
        let days = i32::try_from(value.signed_duration_since(epoch).num_days()).map_err(|_| {
            StoreError::Database(format!("{}: the date {value} is out of range", self.what))
        })?;
        Ok(self.field(&days.to_be_bytes()))
    }

    /// Hands what is encoded to the connection, which sends it to the server.
    fn send(&mut self) -> Result<(), StoreError> {
        use std::io::Write;
        self.writer
            .write_all(&self.buf)
            .and_then(|()| self.writer.flush())
            .map_err(|e| io_error(self.what, e))?;
        self.buf.clear();
        Ok(())
    }

    /// Ends the copy; returns the number of rows the server stored.
    pub(super) fn finish(mut self) -> Result<u64, StoreError> {
        debug_assert_eq!(self.fields, self.columns, "the last row is incomplete");
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.send()?;
        let what = self.what;
        self.writer.finish().map_err(pg(what))
    }
}

/// An error writing to the copy: the engine's, when it is one (the server ended the copy).
fn io_error(what: &str, error: std::io::Error) -> StoreError {
    let message = match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<postgres::Error>())
    {
        Some(engine) => describe(engine),
        None => error.to_string(),
    };
    StoreError::Database(format!("{what}: {message}"))
}
