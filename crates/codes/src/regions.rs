//! Administrative division codes (GB/T 2260), with their history.
//!
//! A USCC carries the division code of the authority that registered the subject (positions
//! 3–8), and a registration number its first six digits. Those codes outlive the divisions: a
//! district merged in 2010 still appears on codes issued before. So the lookup covers every code
//! used since 1981 (from the civil-affairs lists, with the years and successors of retired
//! codes), plus the rows of GB/T 2260-2007 that the yearly lists omit — notably the `xx01`
//! 市辖区 groupings that registration authorities of prefecture-level cities use.
//!
//! The table is built once, on first use, from the embedded files, and searched by binary search.

use std::fmt;
use std::sync::LazyLock;

use serde::Serialize;

use crate::warning::Warning;

const HISTORY_CSV: &str = include_str!("../data/areacodes_history_1981_2024.csv");
const GBT2260_2007_TSV: &str = include_str!("../data/gbt2260_2007_cn-GB2260_200712.tsv");

/// The code central (national) authorities use in positions 3–8; no GB/T 2260 edition lists it.
const NATIONAL: &str = "100000";

/// Level of a division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// `100000`, used by central authorities.
    National,
    /// 省级, `xx0000`.
    Province,
    /// 地级, `xxxx00` (including GB/T 2260 groupings such as `110100` 市辖区).
    Prefecture,
    /// 县级 (including GB/T 2260 `xx01` 市辖区 groupings).
    County,
}

/// Whether a code is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In the 2024 civil-affairs list.
    InUse,
    /// Retired (弃用); see [`Region::retired_year`] and [`Region::successors`].
    Retired,
    /// Listed only in GB/T 2260-2007, not in the yearly civil-affairs lists: the `xx01` and
    /// `xxxx00` 市辖区 and 县 groupings, `xx90xx` 省直辖县级行政单位, and a few others. Codes
    /// on real USCCs, so not an error; the history gives no years for them.
    StandardOnly,
}

/// A code that took over (part of) a division's area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Successor {
    /// Six-digit division code.
    pub code: &'static str,
    /// Year of the transfer, when the data gives it or it is the retirement year.
    pub year: Option<u16>,
}

/// One administrative division code and what is known about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    /// Six-digit code.
    pub code: &'static str,
    /// Own name, e.g. `崇文区` (for a retired code, its last name).
    pub name: &'static str,
    /// Level.
    pub level: Level,
    /// Province-level name; `None` only for the national code.
    pub province: Option<&'static str>,
    /// Prefecture-level name: the parent of a county (none when the county was directly under
    /// the province, 直辖), or the division itself at prefecture level.
    pub city: Option<&'static str>,
    /// County-level name, for county-level codes.
    pub county: Option<&'static str>,
    /// Current or retired.
    pub status: Status,
    /// First year in the lists (from 1981, the first list covered).
    pub start_year: Option<u16>,
    /// Year it left the lists, for [`Status::Retired`]: in use until the end of the year before.
    pub retired_year: Option<u16>,
    /// Codes the area went to: on retirement, or — for a code still in use — parts transferred
    /// away in the year given.
    pub successors: Vec<Successor>,
}

impl Region {
    /// Province, prefecture and county names joined, e.g. `北京市崇文区`, `河北省石家庄市市辖区`.
    #[must_use]
    pub fn full_name(&self) -> String {
        let mut name = String::new();
        for part in [self.province, self.city, self.county]
            .into_iter()
            .flatten()
        {
            if !name.ends_with(part) {
                name.push_str(part);
            }
        }
        if name.is_empty() {
            name.push_str(self.name);
        }
        name
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.full_name())
    }
}

/// A year field; an empty or malformed field is `None` (the fields are checked by tests).
fn year(field: &str) -> Option<u16> {
    field.parse().ok()
}

/// `130102[2001];130108` → successors, a missing year defaulting to the retirement year.
fn successors(field: &'static str, retired_year: Option<u16>) -> Vec<Successor> {
    field
        .split(';')
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once('[') {
            Some((code, rest)) => Successor {
                code,
                year: year(rest.trim_end_matches(']')),
            },
            None => Successor {
                code: s,
                year: retired_year,
            },
        })
        .collect()
}

/// Rows of the history CSV. Columns: 代码, 一级行政区, 二级行政区, 名称, 级别, 状态, 启用时间,
/// 变更/弃用时间, 新代码. Each code has exactly one 在用 or 弃用 row; 变更 rows record earlier
/// names of codes that continue, so they are skipped.
fn history_rows() -> impl Iterator<Item = Region> {
    HISTORY_CSV.lines().skip(1).filter_map(|line| {
        let fields: Vec<&'static str> = line.split(',').collect();
        let &[
            code,
            province,
            parent,
            name,
            level,
            status,
            start,
            end,
            next,
        ] = fields.as_slice()
        else {
            return None;
        };
        let status = match status {
            "在用" => Status::InUse,
            "弃用" => Status::Retired,
            _ => return None,
        };
        let level = match level {
            "省级" => Level::Province,
            "地级" => Level::Prefecture,
            _ => Level::County,
        };
        let retired_year = if status == Status::Retired {
            year(end)
        } else {
            None
        };
        Some(Region {
            code,
            name,
            level,
            province: Some(province),
            city: match level {
                Level::Prefecture => Some(name),
                Level::County if parent != "直辖" && !parent.is_empty() => Some(parent),
                _ => None,
            },
            county: (level == Level::County).then_some(name),
            status,
            start_year: year(start),
            retired_year,
            successors: successors(next, retired_year),
        })
    })
}

/// `Source  Revision  Code  Name` rows of GB/T 2260-2007.
fn gbt2260_rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    GBT2260_2007_TSV.lines().skip(1).filter_map(|line| {
        let mut fields = line.split('\t').skip(2);
        Some((fields.next()?, fields.next()?))
    })
}

fn level_of(code: &str) -> Level {
    if code.ends_with("0000") {
        Level::Province
    } else if code.ends_with("00") {
        Level::Prefecture
    } else {
        Level::County
    }
}

static REGIONS: LazyLock<Vec<Region>> = LazyLock::new(|| {
    let mut regions: Vec<Region> = history_rows().collect();
    regions.sort_unstable_by_key(|r| r.code);

    // Names of GB/T 2260-2007 rows by code, to name the parents of the rows it alone has.
    let standard: Vec<(&str, &str)> = gbt2260_rows().collect();
    let name_of = |regions: &[Region], code: &str| {
        find(regions, code).map(|r| r.name).or_else(|| {
            standard
                .iter()
                .find(|(c, _)| *c == code)
                .map(|&(_, name)| name)
        })
    };
    let mut extra: Vec<Region> = standard
        .iter()
        .filter(|(code, _)| find(&regions, code).is_none())
        .map(|&(code, name)| {
            let level = level_of(code);
            Region {
                code,
                name,
                level,
                province: if level == Level::Province {
                    Some(name)
                } else {
                    code.get(..2)
                        .and_then(|p| name_of(&regions, &format!("{p}0000")))
                },
                city: match level {
                    Level::Province | Level::National => None,
                    Level::Prefecture => Some(name),
                    Level::County => code
                        .get(..4)
                        .and_then(|p| name_of(&regions, &format!("{p}00"))),
                },
                county: (level == Level::County).then_some(name),
                status: Status::StandardOnly,
                start_year: None,
                retired_year: None,
                successors: Vec::new(),
            }
        })
        .collect();
    extra.push(Region {
        code: NATIONAL,
        name: "中央",
        level: Level::National,
        province: None,
        city: None,
        county: None,
        status: Status::InUse,
        start_year: None,
        retired_year: None,
        successors: Vec::new(),
    });
    regions.append(&mut extra);
    regions.sort_unstable_by_key(|r| r.code);
    regions
});

fn find<'a>(regions: &'a [Region], code: &str) -> Option<&'a Region> {
    regions
        .binary_search_by(|r| r.code.cmp(code))
        .ok()
        .and_then(|i| regions.get(i))
}

/// The codes of [`REGIONS`] as numbers, in the same order. Validating a row looks a region
/// up for every USCC in it; a binary search over 4-byte keys stays in the CPU's cache, where
/// one over the regions' string slices missed it at nearly every step.
static REGION_KEYS: LazyLock<Vec<u32>> = LazyLock::new(|| {
    REGIONS
        .iter()
        .map(|r| numeric(r.code).expect("division codes are six digits"))
        .collect()
});

/// A six-digit code as a number; its order is the order of the text.
fn numeric(code: &str) -> Option<u32> {
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
        .then(|| code.bytes().fold(0, |n, b| n * 10 + u32::from(b - b'0')))
}

/// The division with six-digit `code`, current, retired or listed only in GB/T 2260-2007.
/// Works at every level: `110000` 北京市, `130100` 石家庄市, `130101` 市辖区, `110103` 崇文区
/// (retired 2010, successor `110101`), and `100000` for central authorities.
///
/// ```
/// use gongxin_codes::regions::{region, Status};
/// let r = region("110103").expect("known");
/// assert_eq!((r.name, r.status, r.retired_year), ("崇文区", Status::Retired, Some(2010)));
/// assert_eq!(r.successors[0].code, "110101");
/// ```
#[must_use]
pub fn region(code: &str) -> Option<&'static Region> {
    let key = numeric(code)?;
    let index = REGION_KEYS.binary_search(&key).ok()?;
    REGIONS.get(index)
}

/// Every known division, sorted by code: for tools that need real codes, such as the
/// generator of demonstration data.
#[must_use]
pub fn all() -> &'static [Region] {
    &REGIONS
}

/// The warning a division code on a code earns, if any: unknown, or retired.
pub(crate) fn warning_for(code: &str) -> Option<Warning> {
    match region(code) {
        None => Some(Warning::UnknownRegion {
            code: code.to_owned(),
        }),
        Some(r) if r.status == Status::Retired => Some(Warning::RetiredRegion { region: r }),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retired_county_with_successor() {
        let r = region("110103").expect("崇文区");
        assert_eq!(r.name, "崇文区");
        assert_eq!(r.level, Level::County);
        assert_eq!(r.province, Some("北京市"));
        assert_eq!(r.city, None, "directly under Beijing");
        assert_eq!(r.county, Some("崇文区"));
        assert_eq!(r.status, Status::Retired);
        assert_eq!((r.start_year, r.retired_year), (Some(1981), Some(2010)));
        assert_eq!(
            r.successors,
            [Successor {
                code: "110101",
                year: Some(2010)
            }]
        );
        assert_eq!(r.full_name(), "北京市崇文区");
    }

    #[test]
    fn changed_name_keeps_the_current_row() {
        let r = region("120110").expect("东丽区");
        assert_eq!(
            (r.name, r.status, r.start_year),
            ("东丽区", Status::InUse, Some(1992))
        );
    }

    #[test]
    fn successors_with_years() {
        let r = region("130124").expect("栾城县");
        assert_eq!(
            r.successors,
            [
                Successor {
                    code: "130108",
                    year: Some(2001)
                },
                Successor {
                    code: "130111",
                    year: Some(2014)
                }
            ]
        );
        let in_use = region("130123").expect("正定县");
        assert_eq!(in_use.status, Status::InUse);
        assert_eq!(in_use.successors.len(), 2);
    }

    #[test]
    fn gbt2260_groupings() {
        let r = region("130101").expect("石家庄市市辖区");
        assert_eq!(r.status, Status::StandardOnly);
        assert_eq!(r.level, Level::County);
        assert_eq!(r.province, Some("河北省"));
        assert_eq!(r.city, Some("石家庄市"));
        assert_eq!(r.county, Some("市辖区"));
        assert_eq!(r.full_name(), "河北省石家庄市市辖区");

        let r = region("110100").expect("北京市市辖区");
        assert_eq!(
            (r.level, r.name, r.province),
            (Level::Prefecture, "市辖区", Some("北京市"))
        );
        let r = region("429000").expect("省直辖县级行政单位");
        assert_eq!(r.province, Some("湖北省"));
    }

    #[test]
    fn province_prefecture_and_national_levels() {
        let r = region("110000").expect("北京市");
        assert_eq!(
            (r.level, r.province, r.city),
            (Level::Province, Some("北京市"), None)
        );
        let r = region("350100").expect("福州市");
        assert_eq!((r.level, r.city), (Level::Prefecture, Some("福州市")));
        assert_eq!(r.full_name(), "福建省福州市");
        let r = region("350203").expect("思明区");
        assert_eq!(r.full_name(), "福建省厦门市思明区");
        assert_eq!(region("100000").map(|r| r.level), Some(Level::National));
    }

    #[test]
    fn unknown_codes() {
        assert_eq!(region("990000"), None);
        assert_eq!(region("35010"), None);
        assert_eq!(region(""), None);
        assert_eq!(
            warning_for("990000").map(|w| w.code()),
            Some("unknown_region")
        );
        assert_eq!(warning_for("350100"), None);
        assert_eq!(warning_for("130101"), None);
    }

    #[test]
    fn every_history_row_is_well_formed() {
        for line in HISTORY_CSV.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 9, "{line}");
            assert!(fields[0].len() == 6 && fields[0].bytes().all(|b| b.is_ascii_digit()));
            assert!(year(fields[6]).is_some(), "{line}");
            assert!(["在用", "弃用", "变更"].contains(&fields[5]), "{line}");
            assert!(["省级", "地级", "县级"].contains(&fields[4]), "{line}");
            if fields[5] != "在用" {
                assert!(year(fields[7]).is_some(), "{line}");
            }
            for s in successors(fields[8], None) {
                assert!(s.code.len() == 6, "{line}");
            }
        }
        // Exactly one current-or-retired row per code, so lookups are unambiguous.
        let mut codes: Vec<&str> = history_rows().map(|r| r.code).collect();
        codes.sort_unstable();
        let total = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), total);
        assert!(REGIONS.windows(2).all(|w| w[0].code < w[1].code));
    }
}
