//! Things worth telling about a code that do not make it invalid.
//!
//! Real registries hold codes whose embedded organisation code fails its own check, whose
//! division code is in no edition of GB/T 2260, or whose department/type pair is in no table —
//! and the organisations exist. Rejecting them would lose real records, so these are warnings,
//! with the same conventions as [`CodeError`](crate::CodeError): a stable snake_case code and a
//! bilingual message.

use std::fmt;

use crate::departments;
use crate::error::PLACEHOLDER_MESSAGE;
use crate::regions::Region;

/// A remark about a code that is (or would be, but for its check character) valid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The check character is wrong but the code is on the deployment [`Whitelist`]
    /// (e.g. early Xiamen pilot codes).
    ///
    /// [`Whitelist`]: crate::Whitelist
    Whitelisted {
        /// Check character the code should have.
        expected: char,
        /// Check character it has.
        found: char,
    },
    /// The department (position 1) or its organisation type (position 2) is not in the table.
    UnknownDepartmentType {
        /// Position 1.
        department: char,
        /// Position 2.
        org_type: char,
    },
    /// The division code is in no GB/T 2260 edition or civil-affairs list (about 2% of real
    /// codes: development zones and similar).
    UnknownRegion {
        /// The six-digit code.
        code: String,
    },
    /// The division code has been retired; normal for codes issued before the change.
    RetiredRegion {
        /// The retired division, with years and successors.
        region: &'static Region,
    },
    /// The organisation code embedded in a USCC (positions 9–17) fails its GB 11714 check.
    OrgCodeCheckMismatch {
        /// Position of its check character in the USCC (17).
        position: usize,
        /// Check character the body calls for.
        expected: char,
        /// Check character present.
        found: char,
    },
    /// The organisation code body is in `PDY00001`–`PDY99999`, reserved for internal use.
    InternalOrgCode,
    /// The input is the "no code" placeholder `00000000000000000X`: the row needs a
    /// registration number instead.
    Placeholder,
}

impl Warning {
    /// Stable snake_case identifier, for reports and tests.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Whitelisted { .. } => "whitelisted",
            Self::UnknownDepartmentType { .. } => "unknown_department_type",
            Self::UnknownRegion { .. } => "unknown_region",
            Self::RetiredRegion { .. } => "retired_region",
            Self::OrgCodeCheckMismatch { .. } => "org_code_check_mismatch",
            Self::InternalOrgCode => "internal_org_code",
            Self::Placeholder => "placeholder",
        }
    }

    /// 1-based position the warning points at, if any.
    #[must_use]
    pub const fn position(&self) -> Option<usize> {
        match self {
            Self::Whitelisted { .. } => Some(18),
            Self::OrgCodeCheckMismatch { position, .. } => Some(*position),
            _ => None,
        }
    }

    /// The character that belongs at [`position`](Self::position), if known.
    #[must_use]
    pub const fn expected(&self) -> Option<char> {
        match self {
            Self::Whitelisted { expected, .. } | Self::OrgCodeCheckMismatch { expected, .. } => {
                Some(*expected)
            }
            _ => None,
        }
    }
}

/// Codes of successors joined with `sep`, or `none` when there are none.
struct Successors<'a>(&'a Region, &'static str, &'static str);

impl fmt::Display for Successors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(region, sep, none) = self;
        if region.successors.is_empty() {
            return f.write_str(none);
        }
        for (i, s) in region.successors.iter().enumerate() {
            if i > 0 {
                f.write_str(sep)?;
            }
            f.write_str(s.code)?;
        }
        Ok(())
    }
}

/// An optional year, or `?`.
struct Year(Option<u16>);

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(y) => write!(f, "{y}"),
            None => f.write_str("?"),
        }
    }
}

impl fmt::Display for Warning {
    /// Chinese, ` / `, English.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Whitelisted { expected, found } => write!(
                f,
                "第18位校验码应为 {expected}，实为 {found}，但该代码在部署白名单中，予以接受 / check \
                 character at position 18 should be {expected}, found {found}, but the code is \
                 on the deployment whitelist and is accepted"
            ),
            Self::UnknownDepartmentType {
                department,
                org_type,
            } => match departments::department(*department) {
                None => write!(
                    f,
                    "第1位登记管理部门代码 {department} 未知 / unknown registration department \
                     {department} at position 1"
                ),
                Some(d) => write!(
                    f,
                    "第2位机构类别代码 {org_type} 不属于登记管理部门 {department}（{name}） / \
                     organisation type {org_type} at position 2 is not defined for registration \
                     department {department} ({name})",
                    name = d.name
                ),
            },
            Self::UnknownRegion { code } => write!(
                f,
                "行政区划代码 {code} 不在任何 GB/T 2260 版本或民政部区划代码中（可能是开发区等） / \
                 division code {code} is in no GB/T 2260 edition or civil-affairs list (possibly a \
                 development zone)"
            ),
            Self::RetiredRegion { region } => write!(
                f,
                "行政区划代码 {code}（{name}）已于{end}年弃用（{start}年起使用），承继代码：{zh} / \
                 division code {code} ({name}) was retired in {end} (in use since {start}); \
                 successor codes: {en}",
                code = region.code,
                name = region.full_name(),
                start = Year(region.start_year),
                end = Year(region.retired_year),
                zh = Successors(region, "、", "无"),
                en = Successors(region, ", ", "none"),
            ),
            Self::OrgCodeCheckMismatch {
                position,
                expected,
                found,
            } => write!(
                f,
                "第{position}位（内嵌组织机构代码的校验码）应为 {expected}，实为 {found} / check \
                 character of the embedded organisation code at position {position} should be \
                 {expected}, found {found}"
            ),
            Self::InternalOrgCode => f.write_str(
                "组织机构代码在 PDY00001–PDY99999 内部使用段，不能对外标识主体 / organisation code \
                 in the internal-only range PDY00001–PDY99999; it identifies nothing outside the \
                 issuing system",
            ),
            Self::Placeholder => f.write_str(PLACEHOLDER_MESSAGE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regions::region;

    #[test]
    fn retired_region_message_names_years_and_successor() {
        let w = Warning::RetiredRegion {
            region: region("110103").expect("崇文区"),
        };
        assert_eq!(w.code(), "retired_region");
        assert_eq!(
            w.to_string(),
            "行政区划代码 110103（北京市崇文区）已于2010年弃用（1981年起使用），承继代码：110101 / \
             division code 110103 (北京市崇文区) was retired in 2010 (in use since 1981); \
             successor codes: 110101"
        );
    }

    #[test]
    fn unknown_type_of_known_department() {
        let w = Warning::UnknownDepartmentType {
            department: '9',
            org_type: '9',
        };
        assert!(w.to_string().contains("工商（市场监管）"));
    }
}
