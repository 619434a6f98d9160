//! Byte-level plumbing shared by the text formats: encoding detection, streaming decoding to
//! UTF-8, byte counting for progress, and a physical-line reader that can give lines back.

use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use encoding_rs::{CoderResult, Decoder, Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};

use super::TextEncoding;

/// How much of a text file is examined to choose its encoding and delimiter.
pub(super) const SNIFF_BYTES: u64 = 64 * 1024;

/// Buffer size for file reads and for decoded output.
const BUFFER_BYTES: usize = 64 * 1024;

/// A physical line longer than this is refused: it means the file is not a line-based table
/// (or uses a line ending we do not know), and reading on would hold the whole file in memory.
pub(super) const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;

impl TextEncoding {
    fn encoding(self) -> &'static Encoding {
        match self {
            Self::Utf8 => UTF_8,
            Self::Gb18030 => GB18030,
            Self::Utf16Le => UTF_16LE,
            Self::Utf16Be => UTF_16BE,
        }
    }
}

/// A text stream opened for reading, already decoded to UTF-8 (except that a stream detected
/// as UTF-8 is passed through unchecked; its consumer validates each row so that stray bytes
/// become a row error instead of silent replacement characters).
pub(super) struct TextInput {
    pub(super) reader: Box<dyn BufRead + Send>,
    pub(super) encoding: TextEncoding,
    /// The first non-blank line of the stream, decoded (lossily), for sniffing the delimiter.
    pub(super) first_line: String,
    /// The line terminator the stream uses: `\n` (also covers `\r\n`) or a lone `\r` (classic
    /// Mac line endings, which Excel for Mac still writes for "CSV (Macintosh)").
    pub(super) terminator: u8,
}

/// Opens a text stream: reads the first [`SNIFF_BYTES`], chooses the encoding (unless
/// `forced`), strips a byte-order mark and sets up streaming decoding.
pub(super) fn open_text<R: Read + Send + 'static>(
    mut inner: R,
    forced: Option<TextEncoding>,
) -> io::Result<TextInput> {
    let mut prefix = Vec::with_capacity(SNIFF_BYTES as usize + 4);
    inner.by_ref().take(SNIFF_BYTES).read_to_end(&mut prefix)?;
    let mut at_eof = (prefix.len() as u64) < SNIFF_BYTES;

    let encoding = match forced {
        Some(encoding) => encoding,
        None => loop {
            match sniff_encoding(&prefix, at_eof) {
                Some(encoding) => break encoding,
                // A multi-byte sequence is cut at the end of the sample: read one more byte
                // and decide again (at most three times, since a UTF-8 sequence is at most
                // four bytes long).
                None => at_eof = inner.by_ref().take(1).read_to_end(&mut prefix)? == 0,
            }
        },
    };

    let decoded_sample = encoding.encoding().decode_with_bom_removal(&prefix).0;
    let sample = decoded_sample.as_ref();
    let first_line = sample
        .split(['\n', '\r'])
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default()
        .to_owned();
    let terminator = if !sample.contains('\n') && sample.contains('\r') {
        b'\r'
    } else {
        b'\n'
    };

    let reader: Box<dyn BufRead + Send> = if encoding == TextEncoding::Utf8 {
        let mut head = Cursor::new(prefix);
        if head.get_ref().starts_with(b"\xef\xbb\xbf") {
            head.set_position(3);
        }
        Box::new(BufReader::with_capacity(BUFFER_BYTES, head.chain(inner)))
    } else {
        Box::new(DecodingReader::new(
            Cursor::new(prefix).chain(inner),
            encoding.encoding().new_decoder_with_bom_removal(),
        ))
    };
    Ok(TextInput {
        reader,
        encoding,
        first_line,
        terminator,
    })
}

/// Chooses the encoding of a text sample: a byte-order mark wins; otherwise valid UTF-8 is
/// UTF-8 and anything else is GB18030 (a superset of GBK and GB2312, which is what Chinese
/// Windows and Excel write for "CSV").
///
/// Returns `None` when the sample is valid UTF-8 except for a sequence cut short by the end of
/// the sample and more input exists: the next bytes decide it. This matters because a GBK
/// lead byte such as `0xD6` (`中` = `D6 D0`) is also a UTF-8 lead byte; judged alone at the
/// end of the sample it would make a GB18030 file look like UTF-8.
fn sniff_encoding(sample: &[u8], at_eof: bool) -> Option<TextEncoding> {
    if let Some((bom, _)) = Encoding::for_bom(sample) {
        return Some(if bom == UTF_16LE {
            TextEncoding::Utf16Le
        } else if bom == UTF_16BE {
            TextEncoding::Utf16Be
        } else {
            TextEncoding::Utf8
        });
    }
    match std::str::from_utf8(sample) {
        Ok(_) => Some(TextEncoding::Utf8),
        Err(e) if e.error_len().is_none() && !at_eof => None,
        Err(_) => Some(TextEncoding::Gb18030),
    }
}

/// Decodes a byte stream to UTF-8 incrementally, so memory stays at two buffers however large
/// the file is. Malformed input becomes U+FFFD, as every decoder of legacy encodings does.
struct DecodingReader<R> {
    inner: R,
    decoder: Decoder,
    input: Box<[u8]>,
    input_start: usize,
    input_end: usize,
    input_done: bool,
    output: Box<[u8]>,
    output_start: usize,
    output_end: usize,
    finished: bool,
}

impl<R: Read> DecodingReader<R> {
    fn new(inner: R, decoder: Decoder) -> Self {
        Self {
            inner,
            decoder,
            input: vec![0; BUFFER_BYTES].into_boxed_slice(),
            input_start: 0,
            input_end: 0,
            input_done: false,
            output: vec![0; BUFFER_BYTES].into_boxed_slice(),
            output_start: 0,
            output_end: 0,
            finished: false,
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for DecodingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.output_start == self.output_end && !self.finished {
            if self.input_start == self.input_end && !self.input_done {
                let n = loop {
                    match self.inner.read(&mut self.input) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other?,
                    }
                };
                self.input_start = 0;
                self.input_end = n;
                self.input_done = n == 0;
            }
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.input_start..self.input_end],
                &mut self.output,
                self.input_done,
            );
            self.input_start += read;
            self.output_start = 0;
            self.output_end = written;
            // With the last input flushed and consumed, the decoder has nothing more to say.
            self.finished = self.input_done && result == CoderResult::InputEmpty;
        }
        Ok(&self.output[self.output_start..self.output_end])
    }

    fn consume(&mut self, amt: usize) {
        self.output_start = (self.output_start + amt).min(self.output_end);
    }
}

/// Counts the bytes read from the underlying file for progress reporting. The count is shared
/// through an atomic because the reader is buried inside buffering and decoding layers.
pub(super) struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    pub(super) fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        let reader = Self {
            inner,
            count: Arc::clone(&count),
        };
        (reader, count)
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Physical lines of a decoded text stream. Lines that turn out to belong to no record (after
/// a runaway quote) can be handed back with [`LineSource::unread`] and are read again.
pub(super) struct LineSource {
    reader: Box<dyn BufRead + Send>,
    terminator: u8,
    replay: Vec<u8>,
    replay_pos: usize,
}

impl LineSource {
    pub(super) fn new(reader: Box<dyn BufRead + Send>, terminator: u8) -> Self {
        Self {
            reader,
            terminator,
            replay: Vec::new(),
            replay_pos: 0,
        }
    }

    pub(super) fn terminator(&self) -> u8 {
        self.terminator
    }

    /// Appends the next physical line, terminator included, to `out`; returns the number of
    /// bytes appended (0 at the end of the stream).
    pub(super) fn read_line(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        let start = out.len();
        if self.replay_pos < self.replay.len() {
            let rest = &self.replay[self.replay_pos..];
            if let Some(i) = rest.iter().position(|&b| b == self.terminator) {
                out.extend_from_slice(&rest[..=i]);
                self.replay_pos += i + 1;
                return Ok(i + 1);
            }
            // An unterminated last line: finish it from the stream (which is at its end).
            out.extend_from_slice(rest);
            self.replay.clear();
            self.replay_pos = 0;
        }
        let read = (&mut self.reader)
            .take(MAX_LINE_BYTES)
            .read_until(self.terminator, out)?;
        if read as u64 == MAX_LINE_BYTES && out.last() != Some(&self.terminator) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a line is longer than {} MiB; this is not a line-based table",
                    MAX_LINE_BYTES / (1024 * 1024)
                ),
            ));
        }
        Ok(out.len() - start)
    }

    /// Puts whole lines back in front of the stream; they are read again, in order, before
    /// anything not yet read.
    pub(super) fn unread(&mut self, lines: &[&[u8]]) {
        let mut replay: Vec<u8> = lines.concat();
        replay.extend_from_slice(&self.replay[self.replay_pos..]);
        self.replay = replay;
        self.replay_pos = 0;
    }
}
