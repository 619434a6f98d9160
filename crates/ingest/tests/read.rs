//! Tests of the streaming table reader on real files: generated in temporary directories, or
//! the XLSX fixture in `tests/fixtures` (see its README).

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Instant;

use gongxin_ingest::read::{
    Format, ProgressUnit, ReadError, ReadOptions, Row, RowBuf, RowError, RowErrorKind, RowSource,
    TextEncoding, column_name, header_variants, normalise_header, open, open_reader, open_with,
};
use tempfile::TempDir;

/// Writes `bytes` to `name` in a fresh temporary directory.
fn write_file(name: &str, bytes: &[u8]) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join(name);
    fs::write(&path, bytes).expect("write test file");
    (dir, path)
}

/// All rows of a source, as `(row number, cells)` or the error.
fn collect(source: &mut dyn RowSource) -> Vec<Result<Row, RowError>> {
    source.rows().collect()
}

fn row(number: u64, cells: &[&str]) -> Result<Row, RowError> {
    Ok(Row {
        number,
        cells: cells.iter().map(|c| (*c).to_owned()).collect(),
    })
}

fn error_kind(item: &Result<Row, RowError>) -> (u64, RowErrorKind) {
    match item {
        Err(e) => (e.row, e.kind.clone()),
        Ok(row) => panic!("expected an error, got row {row:?}"),
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn utf8_csv_with_excel_quirks() {
    let text = "名称,代码,金额\r\n\
                张三,=\"0012345\",0.2\r\n\
                \r\n\
                ,,\r\n\
                \"李四\",\"9135\"\"01\",1\r\n\
                王五\r\n\
                \"多行\n说明\",X,,,\r\n\
                赵六,Y,3,多余\r\n\
                \"=\"\"007\"\"\",Z,4";
    let (_dir, path) = write_file("utf8.csv", text.as_bytes());
    let mut source = open(&path).expect("open");
    assert_eq!(source.details().format, Format::Csv);
    assert_eq!(source.details().encoding, Some(TextEncoding::Utf8));
    assert_eq!(source.details().delimiter, Some(b','));
    assert_eq!(source.header(), ["名称", "代码", "金额"]);
    assert_eq!(source.header_row(), Some(1));
    let rows = collect(source.as_mut());
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(rows[0], row(2, &["张三", "0012345", "0.2"]));
    // Rows 3 and 4 are blank and skipped, but counted.
    assert_eq!(rows[1], row(5, &["李四", "9135\"01", "1"]));
    assert_eq!(rows[2], row(6, &["王五", "", ""]));
    // A quoted cell over two lines is one row; trailing empty cells are dropped.
    assert_eq!(rows[3], row(7, &["多行\n说明", "X", ""]));
    assert_eq!(
        error_kind(&rows[4]),
        (
            8,
            RowErrorKind::ExtraCells {
                expected: 3,
                found: 4
            }
        )
    );
    // The line after a multi-line cell keeps its Excel row number.
    assert_eq!(rows[5], row(9, &["007", "Z", "4"]));
    let progress = source.progress();
    assert_eq!(progress.unit, ProgressUnit::Bytes);
    assert_eq!(progress.done, text.len() as u64);
    assert_eq!(progress.total, Some(text.len() as u64));
}

#[test]
fn utf8_bom_csv() {
    let (_dir, path) = write_file("bom.csv", "\u{feff} 名称 ,代码,,\n张三,1\n".as_bytes());
    let mut source = open(&path).expect("open");
    assert_eq!(source.details().encoding, Some(TextEncoding::Utf8));
    // BOM and spaces gone from the header, trailing empty header cells dropped.
    assert_eq!(source.header(), ["名称", "代码"]);
    assert_eq!(collect(source.as_mut()), [row(2, &["张三", "1"])]);
}

#[test]
fn gb18030_csv() {
    let text = "行政相对人名称,统一社会信用代码,罚款金额（万元）\r\n\
                厦门某某食品有限公司,91350100M000100Y43,0.2\r\n\
                𠀀记商行,00000000000000000X,1\r\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err());
    let (_dir, path) = write_file("gbk.csv", &bytes);
    let mut source = open(&path).expect("open");
    assert_eq!(source.details().encoding, Some(TextEncoding::Gb18030));
    assert_eq!(
        source.header(),
        ["行政相对人名称", "统一社会信用代码", "罚款金额（万元）"]
    );
    assert_eq!(
        collect(source.as_mut()),
        [
            row(2, &["厦门某某食品有限公司", "91350100M000100Y43", "0.2"]),
            // A four-byte GB18030 character (outside GBK) survives too.
            row(3, &["𠀀记商行", "00000000000000000X", "1"]),
        ]
    );
}

/// ASCII lines up to exactly `len` bytes (the header, then filler rows).
fn ascii_prefix(header: &str, len: usize) -> Vec<u8> {
    let mut bytes = header.as_bytes().to_vec();
    while bytes.len() + 20 < len {
        bytes.extend_from_slice(b"filler,0123456789\r\n");
    }
    // Pad the last filler row's first cell to land exactly on `len`.
    let pad = len - bytes.len() - 3;
    bytes.extend(std::iter::repeat_n(b'x', pad));
    bytes.extend_from_slice(b",\r\n");
    assert_eq!(bytes.len(), len);
    bytes
}

#[test]
fn gb18030_character_straddling_the_sniff_boundary() {
    // The first 64 KiB - 1 bytes are ASCII, so valid UTF-8; the GB18030 `中` (D6 D0) then
    // starts at the last byte of the sample. D6 alone is a plausible UTF-8 lead byte.
    let mut bytes = ascii_prefix("CF_XDR_MC,BZ\r\n", 64 * 1024 - 1);
    let (tail, _, _) = encoding_rs::GB18030.encode("中文名称,备注\r\n");
    assert_eq!(&tail[..2], b"\xd6\xd0");
    bytes.extend_from_slice(&tail);
    let (_dir, path) = write_file("straddle.csv", &bytes);
    let mut source = open(&path).expect("open");
    assert_eq!(source.details().encoding, Some(TextEncoding::Gb18030));
    let rows = collect(source.as_mut());
    let last = rows.last().expect("rows").as_ref().expect("last row");
    assert_eq!(last.cells, ["中文名称", "备注"]);
    assert!(rows.iter().all(Result::is_ok));
}

#[test]
fn utf8_character_straddling_the_sniff_boundary() {
    // Same boundary, but a three-byte UTF-8 character: the file stays UTF-8.
    let mut bytes = ascii_prefix("CF_XDR_MC,BZ\r\n", 64 * 1024 - 1);
    bytes.extend_from_slice("中文名称,备注\r\n".as_bytes());
    let (_dir, path) = write_file("straddle-utf8.csv", &bytes);
    let mut source = open(&path).expect("open");
    assert_eq!(source.details().encoding, Some(TextEncoding::Utf8));
    let rows = collect(source.as_mut());
    let last = rows.last().expect("rows").as_ref().expect("last row");
    assert_eq!(last.cells, ["中文名称", "备注"]);
}

#[test]
fn broken_rows_do_not_stop_the_stream() {
    let mut bytes = b"name,code,note\n\
        good1,1,a\n\
        \"runaway,2,b\n\
        good2,3,c\n\
        good3,4,\"quoted, fine\"\n\
        \"bad\"quote,5,d\n\
        good4,6,e\n"
        .to_vec();
    bytes.extend_from_slice(b"good5,8,g\n\"never closed,9,h\n");
    let (_dir, path) = write_file("broken.csv", &bytes);
    let mut source = open(&path).expect("open");
    let rows = collect(source.as_mut());
    assert_eq!(rows[0], row(2, &["good1", "1", "a"]));
    assert_eq!(
        error_kind(&rows[1]),
        (3, RowErrorKind::UnclosedQuote { column: 0 })
    );
    assert_eq!(rows[2], row(4, &["good2", "3", "c"]));
    assert_eq!(rows[3], row(5, &["good3", "4", "quoted, fine"]));
    assert_eq!(
        error_kind(&rows[4]),
        (6, RowErrorKind::TextAfterQuote { column: 0 })
    );
    assert_eq!(rows[5], row(7, &["good4", "6", "e"]));
    assert_eq!(rows[6], row(8, &["good5", "8", "g"]));
    // A quote still open at the end of the file.
    assert_eq!(
        error_kind(&rows[7]),
        (9, RowErrorKind::UnclosedQuote { column: 0 })
    );
    assert_eq!(rows.len(), 8);
    // Messages name the file, the row and the column as a spreadsheet letter.
    let message = rows[4].as_ref().expect_err("error").to_string();
    assert!(message.contains("broken.csv, row 6"), "{message}");
    assert!(message.contains("column A"), "{message}");
}

#[test]
fn other_encoding_after_the_sniffed_start_is_a_row_error() {
    // UTF-8 for the first 64 KiB, then a GBK row: that row is an error, the next is read.
    let mut bytes = "名称,代码\n".as_bytes().to_vec();
    while bytes.len() < 70 * 1024 {
        bytes.extend_from_slice("张三,1\n".as_bytes());
    }
    let filler_rows = bytes.len() / "张三,1\n".len();
    bytes.extend_from_slice(b"x,\xd6\xd0\n");
    bytes.extend_from_slice("李四,2\n".as_bytes());
    let (_dir, path) = write_file("mixed.csv", &bytes);
    let mut source = open(&path).expect("open");
    assert_eq!(source.details().encoding, Some(TextEncoding::Utf8));
    let rows = collect(source.as_mut());
    let bad_row = filler_rows as u64 + 1;
    assert_eq!(
        error_kind(&rows[filler_rows - 1]),
        (bad_row, RowErrorKind::InvalidText { column: 1 })
    );
    assert_eq!(rows[filler_rows], row(bad_row + 1, &["李四", "2"]));
    let message = rows[filler_rows - 1]
        .as_ref()
        .expect_err("error")
        .to_string();
    assert!(message.contains("column B is not valid UTF-8"), "{message}");
}

#[test]
fn delimiters_line_endings_and_extensions() {
    // `.tsv` means tab even when commas are more frequent.
    let (_dir, path) = write_file("t.tsv", b"a,b\tc\n1,2\t3\n");
    let mut source = open(&path).expect("open tsv");
    assert_eq!(source.header(), ["a,b", "c"]);
    assert_eq!(collect(source.as_mut()), [row(2, &["1,2", "3"])]);

    // Tab sniffed from the header; a text file named `.xls`; classic-Mac CR line endings.
    let (_dir, path) = write_file("export.xls", b"a\tb\tc\r1\t2\t3\r4\t5\t6");
    let mut source = open(&path).expect("open text xls");
    assert_eq!(source.details().format, Format::Csv);
    assert_eq!(source.details().delimiter, Some(b'\t'));
    assert_eq!(
        collect(source.as_mut()),
        [row(2, &["1", "2", "3"]), row(3, &["4", "5", "6"])]
    );

    // Leading blank lines: the header is the first non-blank row, and the delimiter is
    // sniffed from it. Spaces after a closing quote are ignored.
    let (_dir, path) = write_file("late.csv", b"\n \na\tb\n\"1\" \t2\n");
    let mut source = open(&path).expect("open late header");
    assert_eq!(source.details().delimiter, Some(b'\t'));
    assert_eq!(source.header_row(), Some(3));
    assert_eq!(collect(source.as_mut()), [row(4, &["1", "2"])]);

    // An explicit delimiter wins over sniffing.
    let options = ReadOptions {
        delimiter: Some(b';'),
        ..ReadOptions::default()
    };
    let (_dir, path) = write_file("semi.txt", b"a;b,c\n1;2,3\n");
    let mut source = open_with(&path, &options).expect("open with options");
    assert_eq!(source.header(), ["a", "b,c"]);
    assert_eq!(collect(source.as_mut()), [row(2, &["1", "2,3"])]);
}

#[test]
fn utf16_text_from_excel() {
    // Excel's "Unicode text": UTF-16LE with a BOM, tab-separated.
    let mut bytes = vec![0xff, 0xfe];
    for unit in "名称\t代码\r\n张三\t1\r\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let (_dir, path) = write_file("unicode.txt", &bytes);
    let mut source = open(&path).expect("open");
    assert_eq!(source.details().encoding, Some(TextEncoding::Utf16Le));
    assert_eq!(source.header(), ["名称", "代码"]);
    assert_eq!(collect(source.as_mut()), [row(2, &["张三", "1"])]);
}

#[test]
fn xlsx_first_visible_sheet() {
    let mut source = open(&fixture("penalties.xlsx")).expect("open");
    assert_eq!(source.details().format, Format::Xlsx);
    assert_eq!(source.details().sheet.as_deref(), Some("处罚"));
    assert_eq!(
        source.header(),
        [
            "行政相对人名称",
            "统一社会信用代码",
            "处罚决定日期",
            "罚款金额（万元）",
            "备注"
        ]
    );
    let rows = collect(source.as_mut());
    assert_eq!(
        rows[0],
        // The code typed into a number cell shows as Excel's General format shows it.
        row(2, &["张三食品店", "9.14403E+17", "2024-03-01", "0.2", ""])
    );
    // Row 3 is formatted but blank.
    assert_eq!(
        rows[1],
        row(
            4,
            &[
                "李四",
                "91350100M000100Y43",
                "2024-03-01 12:00:00",
                "1",
                "TRUE"
            ]
        )
    );
    assert_eq!(rows[2], row(5, &["王五", "", "", "", ""]));
    assert_eq!(
        error_kind(&rows[3]),
        (
            6,
            RowErrorKind::ExtraCells {
                expected: 5,
                found: 6
            }
        )
    );
    assert_eq!(
        rows[4],
        row(7, &["赵六", "110108000000016", "2024/03/01", "0.3", "#N/A"])
    );
    assert_eq!(rows.len(), 5);
    let progress = source.progress();
    assert_eq!(progress.unit, ProgressUnit::Rows);
    assert_eq!((progress.done, progress.total), (7, Some(7)));
}

#[test]
fn xlsx_sheet_by_name_and_from_a_stream() {
    let options = ReadOptions {
        sheet: Some("许可".to_owned()),
        ..ReadOptions::default()
    };
    let bytes = fs::read(fixture("penalties.xlsx")).expect("fixture");
    let mut source = open_reader("upload.xlsx", Format::Xlsx, Cursor::new(bytes), &options)
        .expect("open_reader");
    assert_eq!(source.header(), ["XK_XDR_MC"]);
    assert_eq!(collect(source.as_mut()), [row(2, &["测试"])]);

    let options = ReadOptions {
        sheet: Some("没有".to_owned()),
        ..ReadOptions::default()
    };
    match open_with(&fixture("penalties.xlsx"), &options) {
        Err(ReadError::SheetNotFound { available, .. }) => {
            assert_eq!(available, ["字典", "处罚", "许可"]);
        }
        other => panic!("expected SheetNotFound, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn xlsx_recognised_by_content_whatever_its_name() {
    let bytes = fs::read(fixture("penalties.xlsx")).expect("fixture");
    let (_dir, path) = write_file("renamed.csv", &bytes);
    let source = open(&path).expect("open");
    assert_eq!(source.details().format, Format::Xlsx);
}

#[test]
fn dropping_an_xlsx_source_early_stops_its_worker() {
    let mut source = open(&fixture("penalties.xlsx")).expect("open");
    let mut buf = RowBuf::new();
    assert!(matches!(source.next_row(&mut buf), Some(Ok(()))));
    drop(source);
}

#[test]
fn json_lines() {
    let text = "{\"a\":\"x\",\"b\":1.50}\n\
                \n\
                {\"b\":null,\"c\":true,\"a\":\"引号\\\"\"}\n\
                {bad\n\
                {\"a\":{\"n\":1}}\n\
                [1,2]\n\
                {\"a\":\"y\"} trailing\n\
                {\"c\":\"z\"}\n";
    let (_dir, path) = write_file("records.jsonl", text.as_bytes());
    let mut source = open(&path).expect("open");
    assert_eq!(source.details().format, Format::JsonLines);
    assert_eq!(source.header(), ["a", "b"]);
    assert_eq!(source.header_row(), None);
    let rows = collect(source.as_mut());
    assert_eq!(rows[0], row(1, &["x", "1.50"]));
    // `c` is new: the header grows, and the row has its cells in header order.
    assert_eq!(rows[1], row(3, &["引号\"", "", "true"]));
    assert!(matches!(
        error_kind(&rows[2]),
        (4, RowErrorKind::InvalidJson { .. })
    ));
    assert_eq!(
        error_kind(&rows[3]),
        (
            5,
            RowErrorKind::NestedValue {
                key: "a".to_owned()
            }
        )
    );
    assert!(matches!(
        error_kind(&rows[4]),
        (6, RowErrorKind::InvalidJson { .. })
    ));
    assert!(matches!(
        error_kind(&rows[5]),
        (7, RowErrorKind::InvalidJson { .. })
    ));
    assert_eq!(rows[6], row(8, &["", "", "z"]));
    assert_eq!(rows.len(), 7);
    assert_eq!(source.header(), ["a", "b", "c"]);
}

#[test]
fn files_that_cannot_be_read() {
    let (_dir, path) = write_file("empty.csv", b"\n \n,,\n");
    assert!(matches!(open(&path), Err(ReadError::NoHeader { .. })));

    let (_dir, path) = write_file("fake.xlsx", b"a,b\n1,2\n");
    assert!(matches!(open(&path), Err(ReadError::Unsupported { .. })));

    let (_dir, path) = write_file("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0");
    let message = open(&path).map(|_| ()).expect_err("xls").to_string();
    assert!(
        message.contains("old.xls") && message.contains(".xlsx"),
        "{message}"
    );

    let (_dir, path) = write_file("page.xls", b"<html><table><tr><td>1</td></tr></table>");
    assert!(matches!(open(&path), Err(ReadError::Unsupported { .. })));

    let (_dir, path) = write_file("array.json", b"[{\"a\":1}]");
    assert!(matches!(open(&path), Err(ReadError::Unsupported { .. })));

    let (_dir, path) = write_file("bad-header.csv", b"\"a\"b,c\n1,2\n");
    assert!(matches!(
        open(&path),
        Err(ReadError::BadHeader { row: 1, .. })
    ));

    let missing = Path::new("/nonexistent/gongxin/file.csv");
    let message = open(missing).map(|_| ()).expect_err("missing").to_string();
    assert!(
        message.starts_with("/nonexistent/gongxin/file.csv:"),
        "{message}"
    );
}

#[test]
fn lending_api_reuses_one_buffer() {
    let (_dir, path) = write_file("lend.csv", b"a,b\n1,2\n3\n");
    let mut source = open(&path).expect("open");
    let mut buf = RowBuf::new();
    let mut seen = Vec::new();
    while let Some(result) = source.next_row(&mut buf) {
        result.expect("row");
        seen.push((buf.number(), buf.get(0).map(str::to_owned), buf.len()));
        assert_eq!(buf.iter().count(), 2);
        assert_eq!(buf.get(2), None);
        assert_eq!(
            buf.iter().rev().collect::<Vec<_>>(),
            [buf.get(1), buf.get(0)].map(Option::unwrap_or_default)
        );
    }
    assert_eq!(
        seen,
        [(2, Some("1".to_owned()), 2), (3, Some("3".to_owned()), 2)]
    );
}

#[test]
fn header_normalisation() {
    let table = [
        ("罚款金额（万元）", "罚款金额(万元)"),
        ("罚款金额 (万元)", "罚款金额(万元)"),
        ("\u{feff}罚款金额\u{3000}(万元)\u{a0}", "罚款金额(万元)"),
        ("  CF_NR_FK ", "cf_nr_fk"),
        ("ＣＦ＿ＮＲ＿ＦＫ", "cf_nr_fk"),
        ("【备注】", "[备注]"),
        ("*行政相对人名称", "行政相对人名称"),
        (
            "行政相对人代码_1（统一社会信用代码）",
            "行政相对人代码_1(统一社会信用代码)",
        ),
        ("决定日期：", "决定日期:"),
        ("有效期\u{200b}至", "有效期至"),
    ];
    for (raw, expected) in table {
        assert_eq!(normalise_header(raw), expected, "{raw:?}");
    }
    assert_eq!(
        normalise_header("罚款金额（万元）"),
        normalise_header("罚款金额 (万元)")
    );
    assert_eq!(
        header_variants("行政相对人代码_1(统一社会信用代码)"),
        [
            "行政相对人代码_1(统一社会信用代码)",
            "统一社会信用代码",
            "行政相对人代码_1"
        ]
    );
    assert_eq!(
        header_variants("罚款金额（万元）"),
        ["罚款金额(万元)", "万元", "罚款金额"]
    );
    assert_eq!(
        header_variants("罚款金额(万元)(必填)"),
        [
            "罚款金额(万元)(必填)",
            "必填",
            "罚款金额(万元)",
            "万元",
            "罚款金额"
        ]
    );
    assert_eq!(header_variants("XK_XDR_MC"), ["xk_xdr_mc"]);
    assert_eq!(header_variants("(a)"), ["(a)", "a"]);
    assert!(header_variants(" ").is_empty());
}

#[test]
fn column_names() {
    assert_eq!(column_name(0), "A");
    assert_eq!(column_name(25), "Z");
    assert_eq!(column_name(26), "AA");
    assert_eq!(column_name(701), "ZZ");
    assert_eq!(column_name(702), "AAA");
}

/// Throughput on a generated 1M-row, 24-column 双公示-like CSV. Not a pass/fail check; run
/// `cargo test --release -p gongxin-ingest --test read -- --ignored --nocapture throughput`.
#[test]
#[ignore = "performance measurement; run in release by hand"]
fn throughput() {
    const ROWS: usize = 1_000_000;
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut header: Vec<String> = (0..24).map(|i| format!("CF_FIELD_{i}")).collect();
    header[0] = "CF_XDR_MC".to_owned();
    let mut utf8 = header.join(",");
    utf8.push_str("\r\n");
    for i in 0..ROWS {
        utf8.push_str(&format!(
            "厦门某某食品有限公司{i},91350100M000100Y43,法人及非法人组织,,,,,张三,身份证,\
             350102199001011234,厦市监罚〔2024〕{i}号,违反食品安全法,\"经查，当事人销售过期食品，\
             违反了《食品安全法》第三十四条\",《食品安全法》第一百二十四条,罚款,罚款0.2万元,0.2,,,\
             2024/03/01,2025/03/01,2027/03/01,厦门市市场监督管理局,11350200MB0000000X\r\n"
        ));
    }
    for (name, bytes) in [
        ("utf8.csv", utf8.clone().into_bytes()),
        (
            "gb18030.csv",
            encoding_rs::GB18030.encode(&utf8).0.into_owned(),
        ),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, &bytes).expect("write");
        let start = Instant::now();
        let mut source = open(&path).expect("open");
        let mut buf = RowBuf::new();
        let (mut rows, mut cells) = (0usize, 0usize);
        while let Some(result) = source.next_row(&mut buf) {
            result.expect("row");
            rows += 1;
            cells += buf.iter().filter(|c| !c.is_empty()).count();
        }
        let seconds = start.elapsed().as_secs_f64();
        assert_eq!(rows, ROWS);
        eprintln!(
            "{name}: {rows} rows ({cells} non-empty cells, {:.0} MB) in {seconds:.2} s = {:.2} M rows/s, {:.0} MB/s",
            bytes.len() as f64 / 1e6,
            rows as f64 / seconds / 1e6,
            bytes.len() as f64 / seconds / 1e6,
        );
    }
}
