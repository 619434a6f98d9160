//! USCC position 1 (registration department, 登记管理部门) and position 2 (organisation type,
//! 机构类别), from the embedded `data/uscc_department_types.json`.
//!
//! GB 32100-2015 printed only departments 1, 5, 9 and Y; the others are in use and agreed on by
//! validators but of unconfirmed official origin, which is why an unknown pair is only a warning
//! and why each entry says whether the standard's text has it.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

const JSON: &str = include_str!("../data/uscc_department_types.json");

/// A registration department and the organisation types it registers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    /// Position-1 symbol, e.g. `9`.
    pub code: char,
    /// E.g. `工商（市场监管）`.
    pub name: &'static str,
    /// Whether GB 32100-2015 itself prints this department (else: extended table in common use).
    pub in_gb32100_2015_text: bool,
    /// Organisation types (position 2) of this department, ordered by code.
    pub types: Vec<OrgType>,
}

/// An organisation type within a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgType {
    /// Position-2 symbol, e.g. `1`.
    pub code: char,
    /// E.g. `企业`.
    pub name: &'static str,
}

impl Department {
    /// The organisation type with position-2 symbol `code`, if this department has it.
    #[must_use]
    pub fn org_type(&self, code: char) -> Option<&OrgType> {
        self.types.iter().find(|t| t.code == code)
    }
}

/// The file's shape; strings borrow from the embedded text, so the table costs no copies.
#[derive(Deserialize)]
struct File<'a> {
    #[serde(borrow)]
    departments: Vec<RawDepartment<'a>>,
}

#[derive(Deserialize)]
struct RawDepartment<'a> {
    code: &'a str,
    name: &'a str,
    in_gb32100_2015_text: bool,
    #[serde(borrow)]
    types: BTreeMap<&'a str, &'a str>,
}

/// A one-character code from the table as a `char`; the table is fixed at build time and
/// covered by tests, so a malformed entry is a bug in the crate, not bad input.
fn single_char(code: &str) -> char {
    let mut chars = code.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => c,
        _ => panic!("department table: code {code:?} is not one character"),
    }
}

static DEPARTMENTS: LazyLock<Vec<Department>> = LazyLock::new(|| {
    let file: File<'static> =
        serde_json::from_str(JSON).expect("embedded department table is valid JSON");
    file.departments
        .into_iter()
        .map(|d| Department {
            code: single_char(d.code),
            name: d.name,
            in_gb32100_2015_text: d.in_gb32100_2015_text,
            types: d
                .types
                .into_iter()
                .map(|(code, name)| OrgType {
                    code: single_char(code),
                    name,
                })
                .collect(),
        })
        .collect()
});

/// The department with position-1 symbol `code`, if the table has it.
#[must_use]
pub fn department(code: char) -> Option<&'static Department> {
    DEPARTMENTS.iter().find(|d| d.code == code)
}

/// Every department in the table, in file order.
#[must_use]
pub fn all() -> &'static [Department] {
    &DEPARTMENTS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uscc::{ALPHABET, WEIGHTS};

    #[test]
    fn table_loads_with_the_standards_departments() {
        let codes: String = all().iter().map(|d| d.code).collect();
        assert_eq!(codes, "123456789ANY");
        let market = department('9').expect("工商");
        assert!(market.in_gb32100_2015_text);
        assert_eq!(market.org_type('1').map(|t| t.name), Some("企业"));
        assert_eq!(market.org_type('2').map(|t| t.name), Some("个体工商户"));
        assert_eq!(market.org_type('9'), None);
        assert!(!department('N').expect("农业").in_gb32100_2015_text);
        assert_eq!(department('G'), None);
    }

    #[test]
    fn alphabet_and_weights_agree_with_the_data_file() {
        let file: serde_json::Value = serde_json::from_str(JSON).expect("valid JSON");
        assert_eq!(file["alphabet"], ALPHABET);
        let weights: Vec<u32> =
            serde_json::from_value(file["weights"].clone()).expect("weights are numbers");
        assert_eq!(weights, WEIGHTS);
        // Weights are 3^(i−1) mod 31.
        let mut w = 1;
        for weight in WEIGHTS {
            assert_eq!(weight, w);
            w = w * 3 % 31;
        }
    }
}
