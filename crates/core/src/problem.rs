//! Problems found in submitted data, explained in Chinese and English.
//!
//! A problem is data, not an error: an import collects them per row and sends them back to the
//! source department, so every problem carries a stable machine code and two human messages.

use serde::Serialize;

/// Whether a problem rejects the row (`error`) or only travels with it (`warning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem with one value of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The catalog field code (e.g. `CF_WSH`), or `None` for a problem with the whole row.
    pub field: Option<String>,
    /// The value as it was submitted.
    pub value: Option<String>,
    pub severity: Severity,
    /// Stable snake_case code, documented in `docs/problem-codes.md`.
    pub code: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

impl Problem {
    pub fn error(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            field: None,
            value: None,
            severity: Severity::Error,
            code,
            message_zh: zh.into(),
            message_en: en.into(),
        }
    }

    pub fn warning(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, zh, en)
        }
    }

    /// A problem from a message written as `中文 / English` (the convention of the codes
    /// crate), split into its two languages.
    pub fn bilingual(severity: Severity, code: &'static str, message: &str) -> Self {
        let (zh, en) = message.split_once(" / ").unwrap_or((message, message));
        Self {
            severity,
            ..Self::error(code, zh, en)
        }
    }

    /// Attaches the field and the submitted value the problem is about.
    pub fn at(mut self, field: &str, value: &str) -> Self {
        self.field = Some(field.to_owned());
        self.value = Some(value.to_owned());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
