//! Deployment-configured exceptions to the USCC check character.
//!
//! Some real codes fail the check — early pilot codes from Xiamen/Fujian are the known case — yet
//! identify real organisations. Which ones is a fact about the deployment's data, not about the
//! standard, so the list is configuration: each entry must still be a well-formed USCC, and only
//! the check character is forgiven.

use std::collections::BTreeSet;

use crate::error::CodeError;
use crate::uscc;

/// A set of USCCs accepted despite a wrong check character. Empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Whitelist {
    codes: BTreeSet<[u8; 18]>,
}

/// A whitelist file entry that is not a well-formed USCC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("白名单第{line}行 / whitelist line {line}: {error}")]
pub struct WhitelistError {
    /// 1-based line number.
    pub line: usize,
    /// Why the entry was refused.
    pub error: CodeError,
}

impl Whitelist {
    /// An empty whitelist: parsing with it is strict.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            codes: BTreeSet::new(),
        }
    }

    /// Adds a code (normalised first). Returns whether it was new.
    ///
    /// # Errors
    /// When the entry is not a well-formed USCC apart from its check character, or is the
    /// placeholder: a whitelist must not become a way around structure checks.
    pub fn insert(&mut self, code: &str) -> Result<bool, CodeError> {
        Ok(self.codes.insert(uscc::structure(code)?))
    }

    /// Reads one code per line; blank lines and lines starting with `#` are ignored.
    ///
    /// # Errors
    /// The first malformed entry, with its line number.
    pub fn from_lines(text: &str) -> Result<Self, WhitelistError> {
        let mut whitelist = Self::new();
        for (i, line) in text.lines().enumerate() {
            let line_text = line.trim();
            if line_text.is_empty() || line_text.starts_with('#') {
                continue;
            }
            whitelist
                .insert(line_text)
                .map_err(|error| WhitelistError { line: i + 1, error })?;
        }
        Ok(whitelist)
    }

    /// Whether `code` (normalised first) is on the list.
    #[must_use]
    pub fn contains(&self, code: &str) -> bool {
        uscc::structure(code).is_ok_and(|bytes| self.contains_bytes(&bytes))
    }

    pub(crate) fn contains_bytes(&self, bytes: &[u8; 18]) -> bool {
        self.codes.contains(bytes)
    }

    /// Number of codes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_and_refuses_malformed_entries() {
        let list =
            Whitelist::from_lines("# Xiamen pilot\n\n91350100M000100Y4Y\n 91350100m000100y4y \n")
                .expect("valid");
        assert_eq!(list.len(), 1);
        assert!(list.contains("91350100-M000100-Y4Y"));
        assert!(!list.contains("91350100M000100Y43"));

        let err =
            Whitelist::from_lines("91350100M000100Y4Y\n91350100M000100Y4\n").expect_err("short");
        assert_eq!(err.line, 2);
        assert_eq!(err.error.code(), "bad_length");
        assert_eq!(
            Whitelist::new().insert(uscc::PLACEHOLDER),
            Err(CodeError::Placeholder)
        );
        assert!(Whitelist::default().is_empty());
    }
}
