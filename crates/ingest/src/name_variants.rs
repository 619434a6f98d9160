//! A labelled set of name pairs for name-only matching (`gongxin_core::name_match`): the same
//! subject written the ways applicants write it, and other subjects whose names come close.
//!
//! Base names are made like the generator's subjects (a city's short name, a trade name from
//! its characters, one of its industries and forms, or one of its shops), plus trade names
//! with Latin letters or digits, and one base in ten without a region. Each base is the
//! registered name (`candidate`); each variant is a `query` labelled with whether it names the
//! same subject:
//!
//! - same subject: region left out (or added), industry words left out, trade name and
//!   industry only, full-width or half-width letters, digits and brackets or spaces,
//!   `有限公司` ↔ `有限责任公司` (`股份有限公司` → `股份公司`, a shop as `个体工商户`), the
//!   region in brackets (`华誉科技（杭州）有限公司`), the region in more detail (`杭州市`,
//!   `浙江省杭州市`, `杭州市西湖区`), and combinations of these;
//! - different subjects: another subject of the same city and form, the trade name with one
//!   character changed (as registered and as varied), the same trade name with industry words
//!   sharing no character, and the same name in a city of another province.
//!
//! Left out on purpose, because their labels would be guesses: the trade name alone without
//! region, industry words and form (`华誉`), which many subjects share; two cities whose names
//! can mean nested places (`吉林` is a province and a city). Pairs where another subject
//! happens to share the trade name are not made: trade names are unique within a set.
//!
//! Reproducible: the same seed and size give the same pairs.

use std::collections::{HashMap, HashSet};

use gongxin_codes::regions::{self, Level, Status};
use gongxin_core::name_match::LabelledPair;

use crate::generate::{BRAND_CHARS, INDUSTRIES, Rng, SHOPS};

/// Cities the bases are spread over: few enough that most bases have neighbours of the same
/// city and form to be confused with.
const CITIES: usize = 24;

const COMPANY_FORMS: &[&str] = &[
    "有限公司",
    "有限公司",
    "有限公司",
    "有限责任公司",
    "股份有限公司",
];

const LATIN: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

#[derive(Debug, Clone)]
struct City {
    /// `杭州市`.
    name: &'static str,
    /// `杭州` as the generator writes it (an autonomous prefecture keeps its full name).
    short: &'static str,
    province: &'static str,
    counties: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Company {
        industry: &'static str,
        form: &'static str,
    },
    Shop(&'static str),
}

#[derive(Debug, Clone)]
struct Base {
    city: usize,
    trade: String,
    kind: Kind,
    has_region: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegionStyle {
    Omit,
    Short,
    Full,
    ProvinceCity,
    County(usize),
    Bracket,
}

/// How to write a base's name.
#[derive(Debug, Clone, Copy)]
struct Style {
    region: RegionStyle,
    industry: bool,
    /// `None`: no legal form; `Some(form)`: this form (for a shop, a suffix after it).
    form: Option<&'static str>,
}

impl Base {
    fn registered(&self) -> Style {
        Style {
            region: if self.has_region {
                RegionStyle::Short
            } else {
                RegionStyle::Omit
            },
            industry: true,
            form: match self.kind {
                Kind::Company { form, .. } => Some(form),
                Kind::Shop(_) => Some(""),
            },
        }
    }

    fn render(&self, cities: &[City], style: Style) -> String {
        let city = &cities[self.city];
        let mut name = String::new();
        match style.region {
            RegionStyle::Omit | RegionStyle::Bracket => {}
            RegionStyle::Short => name.push_str(city.short),
            RegionStyle::Full => name.push_str(city.name),
            RegionStyle::ProvinceCity => {
                name.push_str(city.province);
                name.push_str(city.name);
            }
            RegionStyle::County(i) => {
                name.push_str(city.name);
                name.push_str(city.counties[i % city.counties.len()]);
            }
        }
        name.push_str(&self.trade);
        match self.kind {
            Kind::Company { industry, .. } => {
                if style.industry {
                    name.push_str(industry);
                }
                if style.region == RegionStyle::Bracket {
                    name.push('（');
                    name.push_str(city.short);
                    name.push('）');
                }
            }
            Kind::Shop(shop) => name.push_str(shop),
        }
        if let Some(form) = style.form {
            name.push_str(form);
        }
        name
    }

    fn industry(&self) -> &'static str {
        match self.kind {
            Kind::Company { industry, .. } => industry,
            Kind::Shop(shop) => shop,
        }
    }
}

/// Prefecture-level cities in use that have counties, as the generator's cities.
fn all_cities() -> Vec<City> {
    let all = regions::all();
    all.iter()
        .filter(|r| r.level == Level::Prefecture && r.status == Status::InUse)
        .map(|r| City {
            name: r.name,
            short: r.name.trim_end_matches('市'),
            province: r.province.unwrap_or_default(),
            counties: all
                .iter()
                .filter(|c| {
                    c.level == Level::County
                        && c.status == Status::InUse
                        && c.code.starts_with(&r.code[..4])
                        && c.name != "市辖区"
                })
                .map(|c| c.name)
                .collect(),
        })
        .filter(|c| !c.counties.is_empty() && !c.province.is_empty())
        .collect()
}

/// The division codes a written place name may mean (its own name or that name less one
/// suffix character), to keep pairs whose regions might be nested out of the negatives.
fn place_codes() -> HashMap<&'static str, Vec<&'static str>> {
    let mut codes: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    for r in regions::all() {
        codes.entry(r.name).or_default().push(r.code);
        for suffix in ['省', '市', '区', '县'] {
            if let Some(short) = r.name.strip_suffix(suffix) {
                codes.entry(short).or_default().push(r.code);
            }
        }
    }
    codes
}

/// Whether one code's area contains the other's.
fn nested(a: &str, b: &str) -> bool {
    fn significant(code: &str) -> &str {
        if code.ends_with("0000") {
            &code[..2]
        } else if code.ends_with("00") {
            &code[..4]
        } else {
            code
        }
    }
    b.starts_with(significant(a)) || a.starts_with(significant(b))
}

fn to_full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c),
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// The width variant of a name: Latin letters and digits full-width, Chinese brackets
/// half-width, or — for a name with neither — a space (full-width or not) after the region or
/// the trade name.
fn width_variant(rng: &mut Rng, name: &str, trade: &str) -> String {
    if name.bytes().any(|b| b.is_ascii_alphanumeric()) {
        match rng.below(3) {
            0 => name.to_lowercase(),
            _ => to_full_width(name),
        }
    } else if name.contains('（') {
        to_half_width(name)
    } else {
        let space = if rng.below(2) == 0 { "\u{3000}" } else { " " };
        match name.find(trade) {
            Some(i) if i > 0 && rng.below(2) == 0 => {
                format!("{}{space}{}", &name[..i], &name[i..])
            }
            Some(i) => {
                let after = i + trade.len();
                format!("{}{space}{}", &name[..after], &name[after..])
            }
            None => name.to_owned(),
        }
    }
}

/// `有限公司` ↔ `有限责任公司`, `股份有限公司` → `股份公司`; a shop as `个体工商户`.
fn other_form_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Company {
            form: "有限公司",
        ..
        } => "有限责任公司",
        Kind::Company {
            form: "有限责任公司",
            ..
        } => "有限公司",
        Kind::Company { .. } => "股份公司",
        Kind::Shop(_) => "（个体工商户）",
    }
}

fn trade_name(rng: &mut Rng) -> String {
    let han = |rng: &mut Rng| *rng.pick(BRAND_CHARS);
    match rng.below(20) {
        0..=12 => format!("{}{}", han(rng), han(rng)),
        13..=15 => format!("{}{}{}", han(rng), han(rng), han(rng)),
        16..=17 => (0..2 + rng.below(3))
            .map(|_| char::from(*rng.pick(LATIN)))
            .collect(),
        _ => format!(
            "{}{}{}",
            han(rng),
            han(rng),
            (0..2 + rng.below(2))
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect::<String>()
        ),
    }
}

/// The trade name with one character changed: a Han character for another of the
/// generator's, a letter for a letter, a digit for a digit.
fn one_char_off(rng: &mut Rng, trade: &str) -> String {
    let chars: Vec<char> = trade.chars().collect();
    let at = rng.below(chars.len() as u64) as usize;
    loop {
        let old = chars[at];
        let new = if old.is_ascii_digit() {
            char::from(b'0' + rng.below(10) as u8)
        } else if old.is_ascii_uppercase() {
            char::from(*rng.pick(LATIN))
        } else {
            rng.pick(BRAND_CHARS).chars().next().unwrap_or(old)
        };
        if new != old {
            let mut changed = chars.clone();
            changed[at] = new;
            return changed.into_iter().collect();
        }
    }
}

/// Labelled pairs for `bases` generated subjects, about twelve per subject. Trade names are
/// unique within a set, so `bases` should stay within the tens of thousands.
#[must_use]
pub fn labelled_pairs(seed: u64, bases: usize) -> Vec<LabelledPair> {
    let mut rng = Rng(seed);
    let everywhere = all_cities();
    let mut cities: Vec<City> = Vec::new();
    let mut taken = HashSet::new();
    while cities.len() < CITIES.min(everywhere.len()) {
        let i = rng.below(everywhere.len() as u64) as usize;
        if taken.insert(i) {
            cities.push(everywhere[i].clone());
        }
    }
    let codes = place_codes();
    let may_be_nested = |a: &City, b: &City| {
        let (Some(x), Some(y)) = (codes.get(a.short), codes.get(b.short)) else {
            return true;
        };
        a.province == b.province || x.iter().any(|p| y.iter().any(|q| nested(p, q)))
    };

    // The generator's shops whose words can be told apart: `超市` has no industry word.
    let shops: Vec<&'static str> = SHOPS.iter().copied().filter(|s| *s != "超市").collect();

    // Bases with unique trade names.
    let mut trades = HashSet::new();
    let mut list: Vec<Base> = Vec::with_capacity(bases);
    while list.len() < bases {
        let trade = trade_name(&mut rng);
        if !trades.insert(trade.clone()) {
            continue;
        }
        let kind = if rng.below(100) < 85 {
            Kind::Company {
                industry: rng.pick::<&str>(INDUSTRIES),
                form: rng.pick::<&str>(COMPANY_FORMS),
            }
        } else {
            Kind::Shop(rng.pick::<&str>(&shops))
        };
        list.push(Base {
            city: rng.below(cities.len() as u64) as usize,
            trade,
            kind,
            has_region: rng.below(10) != 0,
        });
    }

    let mut pairs = Vec::with_capacity(bases * 14);
    for (index, base) in list.iter().enumerate() {
        let registered = base.registered();
        let candidate = base.render(&cities, registered);
        let mut push = |query: String, same: bool, kind: &'static str| {
            if query != candidate {
                pairs.push(LabelledPair {
                    query,
                    candidate: candidate.clone(),
                    same,
                    kind,
                });
            }
        };
        let is_company = matches!(base.kind, Kind::Company { .. });
        let counties = cities[base.city].counties.len();

        // Same subject.
        let toggled_region = if base.has_region {
            RegionStyle::Omit
        } else {
            RegionStyle::Short
        };
        push(
            base.render(
                &cities,
                Style {
                    region: toggled_region,
                    ..registered
                },
            ),
            true,
            if base.has_region {
                "drop_region"
            } else {
                "add_region"
            },
        );
        if is_company && base.has_region {
            push(
                base.render(
                    &cities,
                    Style {
                        industry: false,
                        ..registered
                    },
                ),
                true,
                "drop_industry",
            );
            push(
                base.render(
                    &cities,
                    Style {
                        region: RegionStyle::Bracket,
                        ..registered
                    },
                ),
                true,
                "region_bracket",
            );
        }
        if is_company {
            push(
                base.render(
                    &cities,
                    Style {
                        region: RegionStyle::Omit,
                        form: None,
                        ..registered
                    },
                ),
                true,
                "short_name",
            );
        }
        push(
            width_variant(&mut rng, &candidate, &base.trade),
            true,
            "width",
        );
        push(
            base.render(
                &cities,
                Style {
                    form: Some(other_form_word(base.kind)),
                    ..registered
                },
            ),
            true,
            "legal_form",
        );
        let detail = match rng.below(3) {
            0 => RegionStyle::Full,
            1 => RegionStyle::ProvinceCity,
            _ => RegionStyle::County(rng.below(counties as u64) as usize),
        };
        push(
            base.render(
                &cities,
                Style {
                    region: detail,
                    ..registered
                },
            ),
            true,
            "region_detail",
        );
        // A combination: region written another way, the other form word, other widths.
        let region = *rng.pick(&[
            RegionStyle::Omit,
            RegionStyle::Full,
            RegionStyle::ProvinceCity,
            if is_company {
                RegionStyle::Bracket
            } else {
                RegionStyle::Short
            },
        ]);
        let combined = base.render(
            &cities,
            Style {
                region,
                form: Some(other_form_word(base.kind)),
                ..registered
            },
        );
        push(
            width_variant(&mut rng, &combined, &base.trade),
            true,
            "combined",
        );

        // Other subjects.
        // The next base of the same city (and region style), of the same form if there is one.
        let same_city = |b: &&Base| b.city == base.city && b.has_region == base.has_region;
        let same_form = |b: &&Base| match (b.kind, base.kind) {
            (Kind::Company { form: x, .. }, Kind::Company { form: y, .. }) => x == y,
            (Kind::Shop(_), Kind::Shop(_)) => true,
            _ => false,
        };
        let others = || {
            (1..list.len())
                .map(|k| &list[(index + k) % list.len()])
                .filter(same_city)
        };
        if let Some(other) = others().find(same_form).or_else(|| others().next()) {
            push(
                other.render(&cities, other.registered()),
                false,
                "other_subject",
            );
        }
        let typo = Base {
            trade: one_char_off(&mut rng, &base.trade),
            ..base.clone()
        };
        push(typo.render(&cities, registered), false, "one_char");
        let varied = match rng.below(3) {
            0 => Style {
                region: toggled_region,
                ..registered
            },
            1 => Style {
                form: Some(other_form_word(base.kind)),
                ..registered
            },
            _ => registered,
        };
        push(
            width_variant(&mut rng, &typo.render(&cities, varied), &typo.trade),
            false,
            "one_char_varied",
        );
        let choices: &[&'static str] = if is_company { INDUSTRIES } else { &shops };
        let disjoint: Vec<&'static str> = choices
            .iter()
            .copied()
            .filter(|i| !i.chars().any(|c| base.industry().contains(c)))
            .collect();
        if !disjoint.is_empty() {
            let kind = match base.kind {
                Kind::Company { form, .. } => Kind::Company {
                    industry: rng.pick::<&str>(&disjoint),
                    form,
                },
                Kind::Shop(_) => Kind::Shop(rng.pick::<&str>(&disjoint)),
            };
            let other = Base {
                kind,
                ..base.clone()
            };
            push(other.render(&cities, registered), false, "other_industry");
        }
        if base.has_region {
            let far: Vec<usize> = (0..cities.len())
                .filter(|&c| !may_be_nested(&cities[c], &cities[base.city]))
                .collect();
            if !far.is_empty() {
                let other = Base {
                    city: *rng.pick(&far),
                    ..base.clone()
                };
                push(other.render(&cities, registered), false, "other_region");
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use gongxin_core::name_match::{LIKELY_SAME, evaluate};

    use super::*;

    #[test]
    fn the_scorer_separates_the_labelled_set() {
        let pairs = labelled_pairs(2024, 300);
        assert!(pairs.len() >= 3_000, "{}", pairs.len());
        let e = evaluate(&pairs, LIKELY_SAME);
        let mistakes: Vec<String> = e
            .mistakes
            .iter()
            .take(30)
            .map(|m| {
                format!(
                    "{} {:.3} {} | {}",
                    m.pair.kind, m.score, m.pair.query, m.pair.candidate
                )
            })
            .collect();
        assert!(
            e.precision >= 0.95 && e.recall >= 0.90,
            "precision {:.4} recall {:.4} on {} pairs; mistakes:\n{}",
            e.precision,
            e.recall,
            e.pairs,
            mistakes.join("\n")
        );
    }

    #[test]
    fn the_set_is_reproducible_and_covers_every_kind() {
        let a = labelled_pairs(7, 120);
        assert_eq!(a, labelled_pairs(7, 120));
        assert_ne!(a, labelled_pairs(8, 120));
        let mut kinds: BTreeMap<&str, (usize, bool)> = BTreeMap::new();
        for pair in &a {
            let entry = kinds.entry(pair.kind).or_insert((0, pair.same));
            entry.0 += 1;
            assert_eq!(entry.1, pair.same, "one label per kind: {pair:?}");
            assert_ne!(pair.query, pair.candidate);
        }
        for kind in [
            "drop_region",
            "add_region",
            "drop_industry",
            "short_name",
            "width",
            "legal_form",
            "region_bracket",
            "region_detail",
            "combined",
            "other_subject",
            "one_char",
            "one_char_varied",
            "other_industry",
            "other_region",
        ] {
            assert!(kinds.contains_key(kind), "{kind} missing: {kinds:?}");
        }
        let negatives = a.iter().filter(|p| !p.same).count();
        assert!(negatives * 4 > a.len(), "{negatives} of {}", a.len());
    }

    #[test]
    fn width_variants_fold_back() {
        assert_eq!(to_full_width("ABC (1)"), "ＡＢＣ\u{3000}（１）");
        assert_eq!(to_half_width("ＡＢＣ\u{3000}（１）"), "ABC (1)");
    }
}
