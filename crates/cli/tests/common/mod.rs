//! What the CLI tests share: running the binary and reading what it printed.

#![allow(dead_code)] // each test file uses the part it needs

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn gongxin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongxin"))
        .args(args)
        .output()
        .expect("gongxin runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// Writes `records` generated rows of `item` about `subjects` subjects, without bad rows,
/// under `out`; returns the file.
pub fn generated(out: &Path, item: &str, subjects: u32, records: u32) -> PathBuf {
    let generated = gongxin(&[
        "generate",
        "--subjects",
        &subjects.to_string(),
        "--records",
        &records.to_string(),
        "--item",
        item,
        "--bad-per-mille",
        "0",
        "--out",
        path(out),
    ]);
    assert!(generated.status.success(), "{}", stdout(&generated));
    out.join(format!("{item}.csv"))
}
