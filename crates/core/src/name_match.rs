//! Matching an applicant to known subjects by name alone, for when no code is known.
//!
//! A department checking an applicant it knows only by name needs the subjects whose names
//! may be the same, each with a score and the reasons for it. Name hits are never the same
//! thing as code hits: the caller keeps them apart; this module only scores and explains.
//!
//! A Chinese enterprise name is built by rule (企业名称登记管理规定): **region** (行政区划),
//! **trade name** (字号), **industry words** (行业或者经营特点) and **legal form** (组织形式),
//! e.g. `杭州|华誉|环保科技|有限公司`. The region may also stand in brackets after the trade
//! name (`华誉科技（杭州）有限公司`). People leave parts out (`华誉科技`, `杭州华誉`), type
//! full-width letters and brackets, and write `有限公司` for `有限责任公司`. So a name is read
//! once into a [`NameKey`] of those parts, folded (full-width → half-width, case, spaces and
//! punctuation dropped), and two keys are compared part by part:
//!
//! | feature | weight | why |
//! |---|---|---|
//! | `normalised_name` (trade name + industry words) | 0.6 | The trade name is what the registry keeps unique; it decides. |
//! | `region` | 0.3 | Different regions may register the same trade name and industry, so a conflict must be able to pull a perfect name below [`LIKELY_SAME`]; a missing region is common and only neutral. |
//! | `legal_form` | 0.1 | `有限公司`/`股份有限公司` of one trade name are usually one subject before and after a conversion; the form mostly confirms. |
//!
//! The score is the weighted sum of the parts, each in `0..=1`. A part one side does not
//! state scores [`NEUTRAL`] (0.8): no evidence either way, a little below agreement; a part
//! neither states counts as agreement, so identical names score 1. Two
//! structural differences — a branch (分公司) against its head office or another branch, a
//! group (集团) against a member — mean different subjects however alike the names are, so
//! they cap the score below [`LIKELY_SAME`].
//!
//! Within `normalised_name`: identical trade names give half the credit and the industry words
//! the other half (same words: full; one side without: half of it; partly shared: their Dice
//! coefficient; none shared: nothing). Trade names that differ score at most 0.6 times the
//! square of their character-bigram Dice coefficient times that: a trade name differing in
//! one character is another subject, not a near miss, and must stay below [`LIKELY_SAME`]
//! even when everything else agrees; only typos should surface, as candidates.
//!
//! A leading word that is both a short region name and a plausible trade name (`华安`, `中山`,
//! `嘉兴`) is kept both ways: [`similarity`] tries both readings of each key and takes the
//! better one.
//!
//! Pure code: no I/O, no clock. A key is built once per name; comparing two keys allocates
//! nothing ([`similarity`]); [`score`] adds the explanations.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::LazyLock;

use gongxin_codes::regions::{self, Level};
use serde::Serialize;

/// Scores at or above this mean "likely the same subject"; below it a match is only a
/// candidate for a person to look at.
///
/// Chosen on the labelled set of `gongxin_ingest::name_variants` (seed 2024, 300 base names,
/// 3,646 pairs; the same on seeds 1–40): same-subject pairs score at least 0.85 (industry
/// words left out, everything else alike) and different-subject pairs at most 0.70 (the same
/// trade name with other industry words, or the same name in a city of another province), so
/// every threshold from 0.71 to 0.84 separates that set perfectly (from 0.85 up, recall drops
/// to 0.90). 0.8 lies in the gap, nearer its top, because the set's negatives are only the
/// designed ones: it keeps as candidates what the set does not label — a bare trade name
/// (`华誉` against `杭州华誉科技有限公司`: 0.77), a trade name with an unknown tail (0.79) —
/// while industry words left out together with a more detailed region (0.82) or without a
/// form (0.83) still count as likely the same.
pub const LIKELY_SAME: f64 = 0.8;

/// The score of a part that one side (or neither) states.
pub const NEUTRAL: f64 = 0.8;

/// The highest score of a pair that is structurally two subjects (branch and head office,
/// group and member), whatever the rest says.
pub const DIFFERENT_SUBJECT_CAP: f64 = 0.7;

const WEIGHT_NAME: f64 = 0.6;
const WEIGHT_REGION: f64 = 0.3;
const WEIGHT_FORM: f64 = 0.1;

// A perfect name in a conflicting region, or two structurally different subjects, are never
// "likely the same".
const _: () = assert!(WEIGHT_NAME + WEIGHT_FORM < LIKELY_SAME);
const _: () = assert!(DIFFERENT_SUBJECT_CAP < LIKELY_SAME);

/// Share of the name score an identical trade name earns before the industry words count.
const TRADE_SHARE: f64 = 0.5;
/// Industry credit when one side writes industry words and the other none (an abbreviation).
const INDUSTRY_MISSING: f64 = 0.5;
/// Name score when one trade name is the other plus an unknown tail of two or more characters
/// and no industry words: the tail may be industry words the lexicon does not know, or more
/// trade name. Always a candidate only.
const TRADE_EXTENDED: f64 = 0.65;
/// The most a trade name that differs can earn (times its similarity squared): even one
/// character off in a long trade name is another subject, so everything else agreeing must
/// not lift it to [`LIKELY_SAME`] (0.6 × 0.6 + 0.4 = 0.76).
const DIFFERENT_TRADE: f64 = 0.6;

const REGION_SAME: f64 = 1.0;
const REGION_NESTED: f64 = 0.9;
const FORM_RELATED: f64 = 0.5;
const FORM_DIFFERENT: f64 = 0.2;

/// A trade name needs two characters; region and industry words are never cut so far that
/// less remains.
const MIN_TRADE: usize = 2;

/// The organisational form at the end of a name, normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalForm {
    /// 有限责任公司, also written 有限公司.
    LimitedLiability,
    /// 股份有限公司.
    JointStock,
    /// 合伙企业（有限合伙）.
    LimitedPartnership,
    /// 合伙企业（普通合伙）, including 特殊普通合伙.
    GeneralPartnership,
    /// 个人独资企业.
    SoleProprietorship,
    /// 农民专业合作社.
    Cooperative,
    /// 个体工商户 / 个体户.
    IndividualBusiness,
    /// 厂, 店, 商行, 经营部 and other endings of small businesses' names.
    Other,
}

impl LegalForm {
    /// The canonical Chinese name.
    #[must_use]
    pub fn canonical(self) -> &'static str {
        match self {
            Self::LimitedLiability => "有限责任公司",
            Self::JointStock => "股份有限公司",
            Self::LimitedPartnership => "合伙企业（有限合伙）",
            Self::GeneralPartnership => "合伙企业（普通合伙）",
            Self::SoleProprietorship => "个人独资企业",
            Self::Cooperative => "农民专业合作社",
            Self::IndividualBusiness => "个体工商户",
            Self::Other => "其他",
        }
    }

    fn english(self) -> &'static str {
        match self {
            Self::LimitedLiability => "limited liability company",
            Self::JointStock => "company limited by shares",
            Self::LimitedPartnership => "limited partnership",
            Self::GeneralPartnership => "general partnership",
            Self::SoleProprietorship => "sole proprietorship",
            Self::Cooperative => "farmers' cooperative",
            Self::IndividualBusiness => "individual business",
            Self::Other => "other",
        }
    }

    /// Forms of one family are often one subject before and after a conversion.
    fn family(self) -> u8 {
        match self {
            Self::LimitedLiability | Self::JointStock => 0,
            Self::LimitedPartnership | Self::GeneralPartnership => 1,
            Self::SoleProprietorship => 2,
            Self::Cooperative => 3,
            Self::IndividualBusiness | Self::Other => 4,
        }
    }
}

/// Name endings (folded, brackets as ASCII) and the form they state; `None` strips the word
/// without stating a form (`华誉公司`). The longest match wins.
const FORM_SUFFIXES: &[(&str, Option<LegalForm>)] = &[
    (
        "合伙企业(特殊普通合伙)",
        Some(LegalForm::GeneralPartnership),
    ),
    ("合伙企业(有限合伙)", Some(LegalForm::LimitedPartnership)),
    ("合伙企业(普通合伙)", Some(LegalForm::GeneralPartnership)),
    ("(特殊普通合伙)", Some(LegalForm::GeneralPartnership)),
    ("(有限合伙)", Some(LegalForm::LimitedPartnership)),
    ("(普通合伙)", Some(LegalForm::GeneralPartnership)),
    ("合伙企业", Some(LegalForm::GeneralPartnership)),
    ("个人独资企业", Some(LegalForm::SoleProprietorship)),
    ("股份有限公司", Some(LegalForm::JointStock)),
    ("股份公司", Some(LegalForm::JointStock)),
    ("有限责任公司", Some(LegalForm::LimitedLiability)),
    ("有限公司", Some(LegalForm::LimitedLiability)),
    ("公司", None),
    ("农民专业合作社", Some(LegalForm::Cooperative)),
    ("专业合作社", Some(LegalForm::Cooperative)),
    ("合作社", Some(LegalForm::Cooperative)),
    ("(个体工商户)", Some(LegalForm::IndividualBusiness)),
    ("个体工商户", Some(LegalForm::IndividualBusiness)),
    ("(个体户)", Some(LegalForm::IndividualBusiness)),
    ("个体户", Some(LegalForm::IndividualBusiness)),
    ("经营部", Some(LegalForm::Other)),
    ("服务部", Some(LegalForm::Other)),
    ("门市部", Some(LegalForm::Other)),
    ("工作室", Some(LegalForm::Other)),
    ("商行", Some(LegalForm::Other)),
    ("超市", Some(LegalForm::Other)),
    ("厂", Some(LegalForm::Other)),
    ("店", Some(LegalForm::Other)),
    ("馆", Some(LegalForm::Other)),
    ("部", Some(LegalForm::Other)),
];

/// The longest form ending of `name` that leaves something before it.
fn form_suffix(name: &str) -> Option<(&'static str, Option<LegalForm>)> {
    FORM_SUFFIXES
        .iter()
        .filter(|(suffix, _)| name.ends_with(suffix) && name.len() > suffix.len())
        .max_by_key(|(suffix, _)| suffix.len())
        .copied()
}

/// Industry words (行业用语), atomic: `环保科技` is read as `环保` + `科技`, so that it shares
/// `科技` with `华誉科技`. Stripped greedily from the end of the core name, longest first.
/// `集团` is among them: it sits where the industry words sit and must agree like them.
#[rustfmt::skip]
const INDUSTRY_WORDS: &[&str] = &[
    // Technology and trade.
    "科技", "技术", "信息", "网络", "软件", "数据", "数字", "智能", "电子", "商务", "通信", "通讯",
    "互联网", "物联网", "贸易", "商贸", "工贸", "科贸", "进出口", "国际", "实业", "投资", "控股",
    "资产", "资本", "管理", "咨询", "顾问", "策划", "服务", "企业", "发展", "经营", "集团",
    // Food, farming, energy, environment.
    "餐饮", "酒店", "食品", "饮品", "农业", "林业", "牧业", "渔业", "养殖", "种植", "园林", "绿化",
    "生态", "环保", "环境", "能源", "新能源", "电力", "电气", "光电", "光伏", "节能",
    // Building and property.
    "建筑", "工程", "建设", "建材", "装饰", "装修", "设计", "规划", "监理", "劳务", "安装", "市政",
    "路桥", "房地产", "地产", "置业", "物业", "开发",
    // Transport.
    "物流", "运输", "货运", "快递", "供应链", "仓储", "航运",
    // Health.
    "医药", "医疗", "器械", "生物", "健康", "药业", "药房", "卫生", "美容", "养老",
    // Manufacturing and goods.
    "机械", "制造", "设备", "五金", "金属", "钢铁", "钢结构", "材料", "新材料", "化工", "塑料",
    "橡胶", "纺织", "服装", "服饰", "鞋业", "皮革", "家具", "家居", "电器", "汽车", "汽配", "销售",
    "租赁", "融资", "金融", "保险", "担保", "打印", "印刷", "包装",
    // Culture and services.
    "文化", "传媒", "广告", "影视", "艺术", "体育", "教育", "培训", "旅游", "会展", "出版",
    "人力资源", "保安", "安防", "消防", "清洁", "家政",
    // Shops (个体工商户).
    "小吃", "便利", "理发", "美发", "水果", "维修", "烟酒", "副食", "日用", "百货", "杂货", "面",
    "茶", "酒",
];

static INDUSTRY: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| INDUSTRY_WORDS.iter().copied().collect());

static INDUSTRY_MAX_CHARS: LazyLock<usize> = LazyLock::new(|| {
    INDUSTRY_WORDS
        .iter()
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(1)
});

// ---------------------------------------------------------------------------------------------
// Regions

/// Division names that are groupings, not places a name would mention.
const GENERIC_REGION_NAMES: &[&str] = &[
    "市辖区",
    "县",
    "省直辖县级行政单位",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
    "中沙群岛的岛礁及其海域",
];

/// Division names that many cities share (`晋城市城区`, `阳泉市郊区`): a region only after
/// their city.
const SHARED_REGION_NAMES: &[&str] = &[
    "郊区",
    "城区",
    "市郊区",
    "矿区",
    "东区",
    "西区",
    "南区",
    "北区",
    "中区",
    "新区",
];

/// Province-level names whose short form is not a suffix away.
const PROVINCE_SHORT: &[(&str, &str)] = &[
    ("内蒙古自治区", "内蒙古"),
    ("广西壮族自治区", "广西"),
    ("西藏自治区", "西藏"),
    ("宁夏回族自治区", "宁夏"),
    ("新疆维吾尔自治区", "新疆"),
    ("香港特别行政区", "香港"),
    ("澳门特别行政区", "澳门"),
];

/// Endings dropped to get a short form, longest first.
const REGION_SUFFIXES: &[&str] = &[
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "林区",
    "地区",
    "新区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
];

/// The nationalities in the names of autonomous divisions (`恩施土家族苗族自治州` → `恩施`).
const NATIONALITIES: &[&str] = &[
    "柯尔克孜",
    "乌孜别克",
    "达斡尔",
    "鄂温克",
    "鄂伦春",
    "哈萨克",
    "维吾尔",
    "塔吉克",
    "塔塔尔",
    "傈僳",
    "拉祜",
    "布依",
    "布朗",
    "朝鲜",
    "土家",
    "哈尼",
    "蒙古",
    "纳西",
    "景颇",
    "仫佬",
    "仡佬",
    "毛南",
    "撒拉",
    "锡伯",
    "阿昌",
    "普米",
    "德昂",
    "保安",
    "裕固",
    "独龙",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "东乡",
    "高山",
    "各",
    "藏",
    "苗",
    "彝",
    "壮",
    "回",
    "满",
    "侗",
    "瑶",
    "白",
    "黎",
    "佤",
    "畲",
    "水",
    "土",
    "羌",
    "傣",
    "京",
    "怒",
];

/// The short form of a division name (`杭州市` → `杭州`, `恩施土家族苗族自治州` → `恩施`), if
/// it has one of two or more characters.
fn short_form(name: &'static str) -> Option<&'static str> {
    if let Some(&(_, short)) = PROVINCE_SHORT.iter().find(|(full, _)| *full == name) {
        return Some(short);
    }
    let suffix = REGION_SUFFIXES.iter().find(|s| name.ends_with(*s))?;
    let mut short = &name[..name.len() - suffix.len()];
    if suffix.starts_with("自治") {
        // Drop the nationalities: `…土家族苗族`, `…哈萨克`, `…各族`.
        'strip: loop {
            for nationality in NATIONALITIES {
                let with_zu = short
                    .strip_suffix('族')
                    .and_then(|s| s.strip_suffix(nationality));
                let without = (nationality.chars().count() > 1)
                    .then(|| short.strip_suffix(nationality))
                    .flatten();
                if let Some(rest) = with_zu.or(without)
                    && !rest.is_empty()
                {
                    short = rest;
                    continue 'strip;
                }
            }
            break;
        }
        // `东乡族自治县`: the nationality is the place's name.
        if let Some(rest) = short.strip_suffix('族')
            && rest.chars().count() >= 2
        {
            short = rest;
        }
    }
    (short.chars().count() >= 2 && short != name).then_some(short)
}

/// Where a leading or bracketed word may be a region: every division name since 1981 and its
/// short form, with the codes it may mean (`朝阳` is a district of Beijing and a city of
/// Liaoning).
#[derive(Debug)]
struct RegionIndex {
    places: HashMap<&'static str, Place>,
    longest: usize,
}

#[derive(Debug, Default)]
struct Place {
    codes: Vec<u32>,
    /// Written with its suffix (`杭州市`) somewhere, so it can only be a region; a bare short
    /// form (`杭州`, `华安`) might also be a trade name.
    suffixed: bool,
    /// One of [`SHARED_REGION_NAMES`]: a region only within a region already named.
    needs_parent: bool,
}

const NATIONAL: u32 = 100_000;

static REGION_INDEX: LazyLock<RegionIndex> = LazyLock::new(|| {
    let mut places: HashMap<&'static str, Place> = HashMap::new();
    let mut add = |name: &'static str, code: u32, suffixed: bool| {
        let place = places.entry(name).or_default();
        if !place.codes.contains(&code) {
            place.codes.push(code);
        }
        place.suffixed |= suffixed;
        place.needs_parent = SHARED_REGION_NAMES.contains(&name);
    };
    for region in regions::all() {
        if region.level == Level::National || GENERIC_REGION_NAMES.contains(&region.name) {
            continue;
        }
        let Ok(code) = region.code.parse::<u32>() else {
            continue;
        };
        add(region.name, code, true);
        if let Some(short) = short_form(region.name) {
            add(short, code, false);
        }
    }
    add("中国", NATIONAL, true);
    let longest = places.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    RegionIndex { places, longest }
});

/// Whether `outer` is `inner` or contains it.
fn contains(outer: u32, inner: u32) -> bool {
    outer == inner
        || outer == NATIONAL
        || (outer.is_multiple_of(10_000) && outer / 10_000 == inner / 10_000)
        || (outer.is_multiple_of(100) && outer / 100 == inner / 100)
}

fn nested(a: u32, b: u32) -> bool {
    contains(a, b) || contains(b, a)
}

/// The region a name states: the codes its most specific mention may mean, consistent with
/// the other mentions, and the mentions as written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RegionSet {
    label: String,
    codes: Vec<u32>,
}

/// `current` narrowed by one more mention, or `None` if the two cannot both hold.
fn narrow(current: Option<&RegionSet>, text: &str, codes: &[u32]) -> Option<RegionSet> {
    let Some(current) = current else {
        return Some(RegionSet {
            label: text.to_owned(),
            codes: codes.to_vec(),
        });
    };
    let mut narrowed = Vec::new();
    for &a in &current.codes {
        for &b in codes {
            let deeper = if contains(a, b) {
                b
            } else if contains(b, a) {
                a
            } else {
                continue;
            };
            if !narrowed.contains(&deeper) {
                narrowed.push(deeper);
            }
        }
    }
    (!narrowed.is_empty()).then(|| RegionSet {
        label: format!("{}{text}", current.label),
        codes: narrowed,
    })
}

// ---------------------------------------------------------------------------------------------
// Keys

/// Full-width ASCII to ASCII, U+3000 to a space, other bracket shapes to `(` `)`; `None` for
/// what the comparison ignores (spaces, punctuation). Letters are lower-cased.
fn fold(c: char) -> Option<char> {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '【' | '〔' | '〖' | '〈' => '(',
        '】' | '〕' | '〗' | '〉' => ')',
        _ => c,
    };
    match c {
        '[' | '{' => Some('('),
        ']' | '}' => Some(')'),
        '(' | ')' => Some(c),
        c if c.is_alphanumeric() => Some(c.to_ascii_lowercase()),
        _ => None,
    }
}

/// A company name read into the parts that matter for matching. Build it once per name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameKey {
    name: String,
    /// One reading, or two when a leading word is both a bare short region name and a
    /// plausible trade name (`杭州`, `华安`): first with that word as region, then as part of
    /// the trade name. Compared both ways, whichever agrees better.
    readings: Vec<Reading>,
    /// That leading word, when there are two readings.
    soft_word: Option<String>,
    form: Option<LegalForm>,
    /// The form ending as written (folded), e.g. `有限公司`, `店`.
    form_word: Option<&'static str>,
    group: bool,
    /// For a branch (分公司): the branch's own name (`西湖`), possibly empty.
    branch: Option<String>,
}

/// One way of splitting a name's body into region, trade name and industry words.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reading {
    region: Option<RegionSet>,
    /// The folded core name: trade name and industry words.
    core: String,
    trade: Vec<char>,
    industry: Vec<&'static str>,
    /// A leading word that may be a region is read as trade name here.
    soft_as_trade: bool,
}

impl Reading {
    fn new(region: Option<RegionSet>, core: &[char], soft_as_trade: bool) -> Self {
        let (trade_len, industry) = split_industry(core, MIN_TRADE);
        Self {
            region,
            core: core.iter().collect(),
            trade: core[..trade_len].to_vec(),
            industry,
            soft_as_trade,
        }
    }
}

impl NameKey {
    /// Reads a name. Never fails: a name without recognisable parts is all trade name.
    #[must_use]
    pub fn new(name: &str) -> Self {
        let folded: String = name.chars().filter_map(fold).collect();

        // A branch: `<parent name>[<branch name>]分公司`.
        let (parent, branch) = match folded.strip_suffix("分公司") {
            Some(rest) => match rest.rfind("公司") {
                Some(i) => (
                    &rest[..i + "公司".len()],
                    Some(rest[i + "公司".len()..].to_owned()),
                ),
                None => (rest, Some(String::new())),
            },
            None => (folded.as_str(), None),
        };

        let (mut rest, form, form_word) = match form_suffix(parent) {
            Some((suffix, form)) => (&parent[..parent.len() - suffix.len()], form, Some(suffix)),
            None => (parent, None, None),
        };
        // `华誉小吃店（个体工商户）`: the shop word goes too.
        if form == Some(LegalForm::IndividualBusiness)
            && let Some((suffix, Some(LegalForm::Other))) = form_suffix(rest)
        {
            rest = &rest[..rest.len() - suffix.len()];
        }

        // Bracketed parts: a region (`（杭州）`, `（中国）`) is noted and removed; anything
        // else stays, without its brackets.
        let index = &*REGION_INDEX;
        let mut body = String::with_capacity(rest.len());
        let mut bracketed: Vec<(&str, &[u32])> = Vec::new();
        let mut tail = rest;
        while let Some(open) = tail.find('(') {
            body.push_str(&tail[..open]);
            let after = &tail[open + 1..];
            let Some(close) = after.find(')') else {
                tail = after;
                break;
            };
            let inside = &after[..close];
            match index.places.get(inside) {
                Some(place) if !place.needs_parent => bracketed.push((inside, &place.codes)),
                _ => body.push_str(inside),
            }
            tail = &after[close + 1..];
        }
        body.push_str(tail);
        body.retain(|c| c != '(' && c != ')');

        let mut region: Option<RegionSet> = None;
        for (text, codes) in &bracketed {
            if let Some(narrowed) = narrow(region.as_ref(), text, codes) {
                region = Some(narrowed);
            }
        }

        // Leading regions: `浙江省杭州市西湖区…`, `浙江杭州…`. Each must lie within the ones
        // before it and leave two characters of name.
        let chars: Vec<char> = body.chars().collect();
        let mut start = 0;
        let mut soft: Option<(usize, RegionSet)> = None;
        let mut candidate = String::new();
        loop {
            let current = soft.as_ref().map(|(_, r)| r).or(region.as_ref());
            let mut found = None;
            for len in (2..=index.longest.min(chars.len() - start)).rev() {
                candidate.clear();
                candidate.extend(&chars[start..start + len]);
                let Some(place) = index.places.get(candidate.as_str()) else {
                    continue;
                };
                if place.needs_parent && current.is_none() {
                    continue;
                }
                let rest = &chars[start + len..];
                if rest.len() < MIN_TRADE || (!place.suffixed && !leaves_trade_name(rest)) {
                    continue;
                }
                if let Some(narrowed) = narrow(current, &candidate, &place.codes) {
                    found = Some((len, place.suffixed, narrowed));
                    break;
                }
            }
            let Some((len, suffixed, narrowed)) = found else {
                break;
            };
            if let Some((_, earlier)) = soft.take() {
                // No longer the last mention, so certainly a region.
                region = Some(earlier);
            }
            if suffixed {
                region = Some(narrowed);
            } else {
                soft = Some((len, narrowed));
            }
            start += len;
        }

        let (readings, soft_word) = match soft {
            Some((len, soft_region)) => {
                let word: String = chars[start - len..start].iter().collect();
                (
                    vec![
                        Reading::new(Some(soft_region), &chars[start..], false),
                        Reading::new(region, &chars[start - len..], true),
                    ],
                    Some(word),
                )
            }
            None => (vec![Reading::new(region, &chars[start..], false)], None),
        };
        let group = readings[0].industry.contains(&"集团");

        Self {
            name: name.to_owned(),
            readings,
            soft_word,
            form,
            form_word,
            group,
            branch,
        }
    }

    /// The preferred reading: a leading place word read as region.
    fn reading(&self) -> &Reading {
        &self.readings[0]
    }

    /// The name as given.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The folded core name (trade name and industry words).
    #[must_use]
    pub fn core(&self) -> &str {
        &self.reading().core
    }

    /// The trade name (字号), folded; a leading word that may be a region is read as one.
    #[must_use]
    pub fn trade_name(&self) -> String {
        self.reading().trade.iter().collect()
    }

    /// The industry words (行业用语) recognised at the end of the core name.
    #[must_use]
    pub fn industry(&self) -> &[&'static str] {
        &self.reading().industry
    }

    /// The legal form, if the name states one.
    #[must_use]
    pub fn legal_form(&self) -> Option<LegalForm> {
        self.form
    }

    /// Whether the name is a group's (集团).
    #[must_use]
    pub fn is_group(&self) -> bool {
        self.group
    }

    /// For a branch (分公司), the branch's own name (possibly empty).
    #[must_use]
    pub fn branch(&self) -> Option<&str> {
        self.branch.as_deref()
    }

    /// The region as written (folded), e.g. `浙江杭州`, `杭州`.
    #[must_use]
    pub fn region(&self) -> Option<&str> {
        self.reading().region.as_ref().map(|r| r.label.as_str())
    }
}

/// Whether a bare place word before `rest` may be a region: something other than industry
/// words must follow (`杭州|华誉科技`), or an industry word that is the trade name followed by
/// more (`韶关|通信服装`). `杭州西湖科技`: `西湖` is the trade name.
fn leaves_trade_name(rest: &[char]) -> bool {
    split_industry(rest, 0).0 >= MIN_TRADE || !split_industry(rest, MIN_TRADE).1.is_empty()
}

/// Splits industry words off the end of `chars`, leaving at least `min_trade` characters:
/// the length of what remains (the trade name) and the words, in order.
fn split_industry(chars: &[char], min_trade: usize) -> (usize, Vec<&'static str>) {
    let mut end = chars.len();
    let mut words = Vec::new();
    let mut candidate = String::new();
    'words: loop {
        for len in (1..=(*INDUSTRY_MAX_CHARS).min(end)).rev() {
            if end - len < min_trade {
                continue;
            }
            candidate.clear();
            candidate.extend(&chars[end - len..end]);
            if let Some(&word) = INDUSTRY.get(candidate.as_str()) {
                words.push(word);
                end -= len;
                continue 'words;
            }
        }
        break;
    }
    words.reverse();
    (end, words)
}

// ---------------------------------------------------------------------------------------------
// Comparison

#[derive(Debug, Clone, Copy, PartialEq)]
enum IndustryCmp {
    Same,
    Missing,
    Partial(f64),
    Different,
}

impl IndustryCmp {
    fn credit(self) -> f64 {
        match self {
            Self::Same => 1.0,
            Self::Missing => INDUSTRY_MISSING,
            Self::Partial(dice) => dice,
            Self::Different => 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum NameCmp {
    SameTrade(IndustryCmp),
    /// One trade name is the other plus an unknown tail.
    Extended,
    /// Dice coefficient of the trade names' character bigrams.
    DifferentTrade(f64, IndustryCmp),
}

impl NameCmp {
    fn score(self) -> f64 {
        match self {
            Self::SameTrade(industry) => TRADE_SHARE + (1.0 - TRADE_SHARE) * industry.credit(),
            Self::Extended => TRADE_EXTENDED,
            Self::DifferentTrade(dice, industry) => {
                DIFFERENT_TRADE
                    * dice
                    * dice
                    * (TRADE_SHARE + (1.0 - TRADE_SHARE) * industry.credit())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormCmp {
    Same,
    Missing,
    /// Neither states a form: they agree on what they state.
    Neither,
    Related,
    Different,
    Group,
    Branch,
}

impl FormCmp {
    fn score(self) -> f64 {
        match self {
            Self::Same | Self::Neither => 1.0,
            Self::Missing => NEUTRAL,
            Self::Related => FORM_RELATED,
            Self::Different => FORM_DIFFERENT,
            Self::Group | Self::Branch => 0.0,
        }
    }

    fn caps(self) -> bool {
        matches!(self, Self::Group | Self::Branch)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegionCmp {
    Same,
    Nested,
    Missing,
    /// Neither states a region: they agree on what they state.
    Neither,
    Conflict,
}

impl RegionCmp {
    fn score(self) -> f64 {
        match self {
            Self::Same | Self::Neither => REGION_SAME,
            Self::Nested => REGION_NESTED,
            Self::Missing => NEUTRAL,
            Self::Conflict => 0.0,
        }
    }
}

/// Dice coefficient of two character sequences' bigrams, with start and end marks so that
/// one-character names and first and last characters count: `华誉`/`华盛` share `^华` only,
/// 2·1/(3+3) = 0.33. Allocation-free; sequences beyond 127 characters are cut.
fn bigram_dice(a: &[char], b: &[char]) -> f64 {
    const START: char = '\u{2}';
    const END: char = '\u{3}';
    let a = &a[..a.len().min(127)];
    let b = &b[..b.len().min(127)];
    let bigram = |s: &[char], i: usize| {
        (
            if i == 0 { START } else { s[i - 1] },
            if i == s.len() { END } else { s[i] },
        )
    };
    let mut used: u128 = 0;
    let mut shared = 0u32;
    for i in 0..=a.len() {
        let x = bigram(a, i);
        for j in 0..=b.len() {
            if used & (1 << j) == 0 && bigram(b, j) == x {
                used |= 1 << j;
                shared += 1;
                break;
            }
        }
    }
    f64::from(2 * shared) / (a.len() + b.len() + 2) as f64
}

fn compare_industry(a: &[&str], b: &[&str]) -> IndustryCmp {
    if a == b {
        return IndustryCmp::Same;
    }
    if a.is_empty() || b.is_empty() {
        return IndustryCmp::Missing;
    }
    let shared = a.iter().filter(|w| b.contains(w)).count();
    if shared == 0 {
        IndustryCmp::Different
    } else {
        IndustryCmp::Partial((2 * shared) as f64 / (a.len() + b.len()) as f64)
    }
}

fn compare_names(a: &Reading, b: &Reading) -> NameCmp {
    let industry = compare_industry(&a.industry, &b.industry);
    if a.trade == b.trade {
        return NameCmp::SameTrade(industry);
    }
    let (short, long) = if a.trade.len() <= b.trade.len() {
        (a, b)
    } else {
        (b, a)
    };
    if long.trade.starts_with(&short.trade)
        && long.trade.len() - short.trade.len() >= MIN_TRADE
        && short.industry.is_empty()
        && long.industry.is_empty()
    {
        return NameCmp::Extended;
    }
    NameCmp::DifferentTrade(bigram_dice(&a.trade, &b.trade), industry)
}

fn compare_forms(a: &NameKey, b: &NameKey) -> FormCmp {
    let both_stated = a.form.is_some() && b.form.is_some();
    match (&a.branch, &b.branch) {
        (Some(x), Some(y)) if !x.is_empty() && !y.is_empty() && x != y => return FormCmp::Branch,
        (Some(_), None) | (None, Some(_)) if both_stated => return FormCmp::Branch,
        _ => {}
    }
    if a.group != b.group && both_stated {
        return FormCmp::Group;
    }
    match (a.form, b.form) {
        (Some(x), Some(y)) if x == y && (x != LegalForm::Other || a.form_word == b.form_word) => {
            FormCmp::Same
        }
        (Some(x), Some(y)) if x.family() == y.family() => FormCmp::Related,
        (Some(_), Some(_)) => FormCmp::Different,
        (None, None) => FormCmp::Neither,
        _ => FormCmp::Missing,
    }
}

fn compare_regions(a: Option<&RegionSet>, b: Option<&RegionSet>) -> RegionCmp {
    let (Some(a), Some(b)) = (a, b) else {
        return if a.is_none() && b.is_none() {
            RegionCmp::Neither
        } else {
            RegionCmp::Missing
        };
    };
    if a.codes.iter().any(|x| b.codes.contains(x)) {
        RegionCmp::Same
    } else if a
        .codes
        .iter()
        .any(|&x| b.codes.iter().any(|&y| nested(x, y)))
    {
        RegionCmp::Nested
    } else {
        RegionCmp::Conflict
    }
}

/// The best reading of a pair, without explanations.
#[derive(Debug, Clone, Copy)]
struct Comparison<'a> {
    query: &'a Reading,
    candidate: &'a Reading,
    name: NameCmp,
    form: FormCmp,
    region: RegionCmp,
    score: f64,
}

fn compare<'a>(query: &'a NameKey, candidate: &'a NameKey) -> Comparison<'a> {
    let form = compare_forms(query, candidate);
    let mut best: Option<Comparison<'a>> = None;
    for q in &query.readings {
        for c in &candidate.readings {
            let name = compare_names(q, c);
            // Reading a place word as trade name is there to make trade names agree; where
            // they still differ it would only add shared characters. On both sides at once it
            // only re-splits what reading it as region on both sides compares already, and
            // can take a trade name for an industry word (`韶关|通信食品`).
            if (q.soft_as_trade || c.soft_as_trade)
                && (q.soft_as_trade && c.soft_as_trade
                    || !matches!(name, NameCmp::SameTrade(_) | NameCmp::Extended))
            {
                continue;
            }
            let region = compare_regions(q.region.as_ref(), c.region.as_ref());
            let mut score = WEIGHT_NAME * name.score()
                + WEIGHT_FORM * form.score()
                + WEIGHT_REGION * region.score();
            if form.caps() {
                score = score.min(DIFFERENT_SUBJECT_CAP);
            }
            if best.is_none_or(|b| score > b.score) {
                best = Some(Comparison {
                    query: q,
                    candidate: c,
                    name,
                    form,
                    region,
                    score,
                });
            }
        }
    }
    best.expect("every key has at least one reading")
}

/// The overall score of a pair in `0..=1`, as in [`score`] but without explanations and
/// without allocating: for ranking many candidates before explaining the best. Symmetric.
#[must_use]
pub fn similarity(query: &NameKey, candidate: &NameKey) -> f64 {
    compare(query, candidate).score
}

/// One feature's part of a [`NameMatch`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchPart {
    /// `normalised_name`, `legal_form` or `region`.
    pub feature: &'static str,
    /// In `0..=1`.
    pub score: f64,
    /// The feature's weight; the weights add up to 1.
    pub weight: f64,
    pub explanation_zh: String,
    pub explanation_en: String,
}

/// How alike two names are, overall and feature by feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NameMatch {
    /// Σ weight × part score, at most [`NameMatch::capped_at`] when set; in `0..=1`.
    pub score: f64,
    /// `score >= LIKELY_SAME`.
    pub likely_same: bool,
    /// Set when the names are structurally of two subjects (branch and head office, group and
    /// member), which caps the score below [`LIKELY_SAME`]; the `legal_form` part says why.
    pub capped_at: Option<f64>,
    pub parts: Vec<MatchPart>,
}

/// Scores `candidate` against `query` and explains each feature. Symmetric.
#[must_use]
pub fn score(query: &NameKey, candidate: &NameKey) -> NameMatch {
    let c = compare(query, candidate);
    let parts = vec![
        explain_name(&c),
        explain_form(&c, query, candidate),
        explain_region(&c, query, candidate),
    ];
    NameMatch {
        score: c.score,
        likely_same: c.score >= LIKELY_SAME,
        capped_at: c.form.caps().then_some(DIFFERENT_SUBJECT_CAP),
        parts,
    }
}

fn text(chars: &[char]) -> String {
    chars.iter().collect()
}

fn words(industry: &[&str]) -> String {
    if industry.is_empty() {
        "—".to_owned()
    } else {
        industry.concat()
    }
}

fn part(feature: &'static str, weight: f64, score: f64, zh: String, en: String) -> MatchPart {
    MatchPart {
        feature,
        score,
        weight,
        explanation_zh: zh,
        explanation_en: en,
    }
}

fn explain_name(c: &Comparison<'_>) -> MatchPart {
    let (qt, kt) = (text(&c.query.trade), text(&c.candidate.trade));
    let (qi, ki) = (words(&c.query.industry), words(&c.candidate.industry));
    let industry = |cmp: IndustryCmp| match cmp {
        IndustryCmp::Same if c.query.industry.is_empty() => (
            "双方均无行业用语".to_owned(),
            "no industry words on either side".to_owned(),
        ),
        IndustryCmp::Same => (
            format!("行业用语相同（{qi}）"),
            format!("same industry words ({qi})"),
        ),
        IndustryCmp::Missing => (
            format!("仅一方写有行业用语（{qi} / {ki}），按简称处理"),
            format!("industry words on one side only ({qi} / {ki}), read as an abbreviation"),
        ),
        IndustryCmp::Partial(dice) => (
            format!("行业用语部分相同（{qi} / {ki}，{dice:.2}）"),
            format!("industry words partly shared ({qi} / {ki}, {dice:.2})"),
        ),
        IndustryCmp::Different => (
            format!("行业用语不同（{qi} / {ki}）"),
            format!("different industry words ({qi} / {ki})"),
        ),
    };
    let (zh, en) = match c.name {
        NameCmp::SameTrade(cmp) => {
            let (izh, ien) = industry(cmp);
            (
                format!("字号相同（{qt}），{izh}"),
                format!("same trade name ({qt}); {ien}"),
            )
        }
        NameCmp::Extended => (
            format!(
                "一方字号是另一方的开头（{qt} / {kt}），其余部分可能是未收录的行业用语，也可能是字号的一部分"
            ),
            format!(
                "one trade name begins the other ({qt} / {kt}); the rest may be industry words not in the list, or more trade name"
            ),
        ),
        NameCmp::DifferentTrade(dice, cmp) => {
            let (izh, ien) = industry(cmp);
            (
                format!("字号不同（{qt} / {kt}，字符相似度 {dice:.2}），{izh}"),
                format!(
                    "different trade names ({qt} / {kt}, character similarity {dice:.2}); {ien}"
                ),
            )
        }
    };
    part("normalised_name", WEIGHT_NAME, c.name.score(), zh, en)
}

fn form_label(key: &NameKey) -> (String, String) {
    let mut zh = match key.form {
        Some(LegalForm::Other) => key.form_word.unwrap_or("其他").to_owned(),
        Some(form) => form.canonical().to_owned(),
        None => "未写".to_owned(),
    };
    let mut en = match key.form {
        Some(LegalForm::Other) => format!("other ({})", key.form_word.unwrap_or("?")),
        Some(form) => format!("{} ({})", form.canonical(), form.english()),
        None => "none".to_owned(),
    };
    if key.group {
        zh.insert_str(0, "集团");
        en.insert_str(0, "group, ");
    }
    if let Some(branch) = &key.branch {
        let _ = write!(zh, "·{branch}分公司");
        let _ = write!(en, ", branch {branch}分公司");
    }
    (zh, en)
}

fn explain_form(c: &Comparison<'_>, q: &NameKey, k: &NameKey) -> MatchPart {
    let ((qzh, qen), (kzh, ken)) = (form_label(q), form_label(k));
    let cap = DIFFERENT_SUBJECT_CAP;
    let (zh, en) = match c.form {
        FormCmp::Same => (
            format!("组织形式相同：{qzh}"),
            format!("same legal form: {qen}"),
        ),
        FormCmp::Neither => (
            "双方均未写组织形式".to_owned(),
            "neither name states a legal form".to_owned(),
        ),
        FormCmp::Missing => (
            format!("仅一方写有组织形式（{qzh} / {kzh}），不作为差异"),
            format!("legal form stated on one side only ({qen} / {ken}); not held against"),
        ),
        FormCmp::Related => (
            format!("组织形式不同但同类（{qzh} / {kzh}），可能为改制前后"),
            format!(
                "different forms of one kind ({qen} / {ken}), possibly before and after a conversion"
            ),
        ),
        FormCmp::Different => (
            format!("组织形式不同（{qzh} / {kzh}）"),
            format!("different legal forms ({qen} / {ken})"),
        ),
        FormCmp::Group => (
            format!(
                "一方为集团、另一方不是（{qzh} / {kzh}）：集团与成员企业是不同主体，总分不超过 {cap:.2}"
            ),
            format!(
                "one side is a group and the other not ({qen} / {ken}): a group and its members are different subjects; overall score capped at {cap:.2}"
            ),
        ),
        FormCmp::Branch => (
            format!("分公司与总公司或其他分公司是不同主体（{qzh} / {kzh}），总分不超过 {cap:.2}"),
            format!(
                "a branch and its head office or another branch are different subjects ({qen} / {ken}); overall score capped at {cap:.2}"
            ),
        ),
    };
    part("legal_form", WEIGHT_FORM, c.form.score(), zh, en)
}

fn explain_region(c: &Comparison<'_>, q: &NameKey, k: &NameKey) -> MatchPart {
    let label = |r: &Reading| {
        r.region
            .as_ref()
            .map_or("—", |r| r.label.as_str())
            .to_owned()
    };
    let (ql, kl) = (label(c.query), label(c.candidate));
    let (mut zh, mut en) = match c.region {
        RegionCmp::Same => (
            format!("行政区划相同（{ql} / {kl}）"),
            format!("same region ({ql} / {kl})"),
        ),
        RegionCmp::Nested => (
            format!("行政区划相容，一方更具体（{ql} / {kl}）"),
            format!("compatible regions, one more specific ({ql} / {kl})"),
        ),
        RegionCmp::Neither => (
            "双方均未写行政区划".to_owned(),
            "neither name states a region".to_owned(),
        ),
        RegionCmp::Missing => (
            format!("仅一方写有行政区划（{ql} / {kl}），常被省略，不作为差异"),
            format!(
                "region stated on one side only ({ql} / {kl}), often left out; not held against"
            ),
        ),
        RegionCmp::Conflict => (
            format!("行政区划冲突（{ql} / {kl}）"),
            format!("conflicting regions ({ql} / {kl})"),
        ),
    };
    for (reading, key) in [(c.query, q), (c.candidate, k)] {
        let Some(word) = &key.soft_word else {
            continue;
        };
        if reading.soft_as_trade {
            let _ = write!(zh, "；「{word}」按字号理解");
            let _ = write!(en, "; '{word}' read as part of the trade name");
        } else {
            let _ = write!(zh, "；「{word}」按行政区划理解");
            let _ = write!(en, "; '{word}' read as a region");
        }
    }
    part("region", WEIGHT_REGION, c.region.score(), zh, en)
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Two names and whether they belong to the same subject: one case of a labelled set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelledPair {
    pub query: String,
    pub candidate: String,
    pub same: bool,
    /// How the pair was made (`drop_region`, `one_char`, …), to break results down.
    pub kind: &'static str,
}

/// A pair the threshold put on the wrong side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mistake {
    pub pair: LabelledPair,
    pub score: f64,
}

/// How a threshold does on a labelled set: a pair is predicted the same subject when its
/// score is at least the threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub threshold: f64,
    pub pairs: usize,
    pub true_pos: usize,
    pub false_pos: usize,
    pub true_neg: usize,
    pub false_neg: usize,
    /// `true_pos / (true_pos + false_pos)`; 1 when nothing was predicted.
    pub precision: f64,
    /// `true_pos / (true_pos + false_neg)`; 1 when nothing was to be found.
    pub recall: f64,
    /// Lowest score of a same-subject pair, highest of a different-subject pair.
    pub min_same: Option<f64>,
    pub max_different: Option<f64>,
    pub mistakes: Vec<Mistake>,
}

/// Scores every pair and counts how `threshold` separates them. Pure: in `core` so that any
/// labelled set (generated, or collected from real checks) is evaluated the same way.
#[must_use]
pub fn evaluate(pairs: &[LabelledPair], threshold: f64) -> Evaluation {
    let mut e = Evaluation {
        threshold,
        pairs: pairs.len(),
        true_pos: 0,
        false_pos: 0,
        true_neg: 0,
        false_neg: 0,
        precision: 1.0,
        recall: 1.0,
        min_same: None,
        max_different: None,
        mistakes: Vec::new(),
    };
    for pair in pairs {
        let score = similarity(&NameKey::new(&pair.query), &NameKey::new(&pair.candidate));
        let predicted = score >= threshold;
        match (pair.same, predicted) {
            (true, true) => e.true_pos += 1,
            (false, true) => e.false_pos += 1,
            (false, false) => e.true_neg += 1,
            (true, false) => e.false_neg += 1,
        }
        if pair.same {
            e.min_same = Some(e.min_same.map_or(score, |m| m.min(score)));
        } else {
            e.max_different = Some(e.max_different.map_or(score, |m| m.max(score)));
        }
        if pair.same != predicted {
            e.mistakes.push(Mistake {
                pair: pair.clone(),
                score,
            });
        }
    }
    if e.true_pos + e.false_pos > 0 {
        e.precision = e.true_pos as f64 / (e.true_pos + e.false_pos) as f64;
    }
    if e.true_pos + e.false_neg > 0 {
        e.recall = e.true_pos as f64 / (e.true_pos + e.false_neg) as f64;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> NameKey {
        NameKey::new(name)
    }

    fn sim(a: &str, b: &str) -> f64 {
        let (a, b) = (key(a), key(b));
        let s = similarity(&a, &b);
        assert!(
            (s - similarity(&b, &a)).abs() < 1e-12,
            "not symmetric: {a:?} {b:?}"
        );
        assert!((0.0..=1.0).contains(&s));
        s
    }

    fn part_of<'a>(m: &'a NameMatch, feature: &str) -> &'a MatchPart {
        m.parts
            .iter()
            .find(|p| p.feature == feature)
            .expect("every feature has a part")
    }

    #[test]
    fn weights_add_up() {
        assert!((WEIGHT_NAME + WEIGHT_FORM + WEIGHT_REGION - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_name_is_read_into_its_parts() {
        let k = key("浙江省杭州市华誉环保科技有限公司");
        assert_eq!(k.region(), Some("浙江省杭州市"));
        assert_eq!(k.trade_name(), "华誉");
        assert_eq!(k.industry(), ["环保", "科技"]);
        assert_eq!(k.legal_form(), Some(LegalForm::LimitedLiability));
        assert_eq!(k.core(), "华誉环保科技");

        let k = key("华誉科技（杭州）股份有限公司");
        assert_eq!(
            (k.region(), k.trade_name().as_str()),
            (Some("杭州"), "华誉")
        );
        assert_eq!(k.legal_form(), Some(LegalForm::JointStock));

        let k = key("阿里巴巴（中国）网络技术有限公司");
        assert_eq!(
            k.trade_name(),
            "巴巴",
            "阿里 is also 阿里地区, kept both ways"
        );
        assert_eq!(k.core(), "巴巴网络技术");
        assert!(similarity(&k, &key("阿里巴巴网络技术有限公司")) >= LIKELY_SAME);

        let k = key("杭州市西湖区华誉小吃店");
        assert_eq!(
            (k.region(), k.trade_name().as_str(), k.industry()),
            (Some("杭州市西湖区"), "华誉", &["小吃"][..])
        );
        assert_eq!(k.legal_form(), Some(LegalForm::Other));

        let k = key("杭州华誉投资合伙企业（有限合伙）");
        assert_eq!(k.legal_form(), Some(LegalForm::LimitedPartnership));
        assert_eq!(k.trade_name(), "华誉");

        let k = key("广西壮族自治区南宁市华誉商贸有限责任公司");
        assert_eq!(k.region(), Some("广西壮族自治区南宁市"));
        let k = key("恩施华誉农业专业合作社");
        assert_eq!(
            (k.region(), k.legal_form()),
            (Some("恩施"), Some(LegalForm::Cooperative))
        );
        let k = key("北京朝阳华誉科技有限公司");
        assert_eq!(k.region(), Some("北京朝阳"));
        assert_eq!(
            k.readings[0].region.as_ref().map(|r| r.codes.clone()),
            Some(vec![110105])
        );

        // A district name many cities share counts only after its city.
        let k = key("晋城市城区华誉科技有限公司");
        assert_eq!(
            (k.region(), k.trade_name().as_str()),
            (Some("晋城市城区"), "华誉")
        );
        assert_eq!(key("城区华誉科技有限公司").region(), None);
        // A trade name that is also an industry word, after a region written in full.
        let k = key("迪庆藏族自治州通信面馆");
        assert_eq!(
            (k.region(), k.trade_name().as_str(), k.industry()),
            (Some("迪庆藏族自治州"), "通信", &["面"][..])
        );
        assert!(similarity(&k, &key("通信面馆")) >= LIKELY_SAME);

        let k = key("杭州华誉集团有限公司");
        assert!(k.is_group());
        let k = key("杭州华誉科技有限公司西湖分公司");
        assert_eq!(k.branch(), Some("西湖"));
        assert_eq!(k.trade_name(), "华誉");
    }

    #[test]
    fn short_forms_of_division_names() {
        assert_eq!(short_form("杭州市"), Some("杭州"));
        assert_eq!(short_form("浙江省"), Some("浙江"));
        assert_eq!(short_form("新疆维吾尔自治区"), Some("新疆"));
        assert_eq!(short_form("恩施土家族苗族自治州"), Some("恩施"));
        assert_eq!(short_form("双江拉祜族佤族布朗族傣族自治县"), Some("双江"));
        assert_eq!(short_form("伊犁哈萨克自治州"), Some("伊犁"));
        assert_eq!(short_form("龙胜各族自治县"), Some("龙胜"));
        assert_eq!(short_form("浦东新区"), Some("浦东"));
        assert_eq!(short_form("东乡族自治县"), Some("东乡"));
        assert_eq!(short_form("沛县"), None, "one character is too short");
    }

    #[test]
    fn full_and_half_width_fold_alike() {
        let a = key("ＡＢＣ科技（杭州）有限公司");
        let b = key("abc科技(杭州)有限公司");
        assert_eq!(a.core(), b.core());
        assert_eq!(a.trade_name(), "abc");
        assert!((similarity(&a, &b) - 1.0).abs() < 1e-12);
        assert!(sim("杭州华誉１６８科技有限公司", "杭州 华誉168 科技有限公司") > 0.99);
        assert!(sim("杭州　华誉·科技有限公司", "杭州华誉科技有限公司") > 0.99);
    }

    #[test]
    fn you_xian_gong_si_is_you_xian_ze_ren_gong_si() {
        let m = score(
            &key("杭州华誉科技有限公司"),
            &key("杭州华誉科技有限责任公司"),
        );
        assert!((m.score - 1.0).abs() < 1e-12);
        let form = part_of(&m, "legal_form");
        assert!((form.score - 1.0).abs() < 1e-12);
        assert!(form.explanation_zh.contains("有限责任公司"), "{form:?}");
        // A conversion to a joint-stock company is penalised a little, not enough to part them.
        let s = sim("杭州华誉科技有限公司", "杭州华誉科技股份有限公司");
        assert!((LIKELY_SAME..1.0).contains(&s), "{s}");
        // An individual business and a company are further apart.
        assert!(sim("杭州华誉小吃店", "杭州华誉小吃有限公司") < s);
    }

    #[test]
    fn region_prefix_added_removed_nested_or_conflicting() {
        let m = score(&key("华誉科技有限公司"), &key("杭州华誉科技有限公司"));
        assert!(m.likely_same, "{m:?}");
        let region = part_of(&m, "region");
        assert!((region.score - NEUTRAL).abs() < 1e-12);
        assert!(
            region.explanation_en.contains("one side only"),
            "{region:?}"
        );

        let nested = sim("浙江华誉科技有限公司", "杭州华誉科技有限公司");
        assert!(nested >= LIKELY_SAME);
        assert!(nested > m.score);
        assert!(sim("杭州市西湖区华誉科技有限公司", "杭州华誉科技有限公司") >= nested);

        let m = score(&key("宁波华誉科技有限公司"), &key("杭州华誉科技有限公司"));
        assert!(!m.likely_same, "{m:?}");
        assert!(part_of(&m, "region").explanation_zh.contains("冲突"));
        // Two districts called 朝阳, in different cities.
        assert!(sim("北京朝阳华誉科技有限公司", "长春朝阳华誉科技有限公司") < LIKELY_SAME);
    }

    #[test]
    fn bracketed_region_is_a_region() {
        let m = score(
            &key("华誉科技（杭州）有限公司"),
            &key("杭州华誉科技有限公司"),
        );
        assert!((m.score - 1.0).abs() < 1e-12, "{m:?}");
        assert!(sim("华誉科技(杭州市)有限公司", "杭州市华誉科技有限公司") > 0.99);
        assert!(sim("华誉(杭州)科技有限公司", "杭州华誉科技有限公司") > 0.99);
    }

    #[test]
    fn a_trade_name_that_is_also_a_place_is_read_both_ways() {
        // 华安 is a county of Fujian, 嘉兴 a city of Zhejiang.
        assert!(sim("华安鑫达科技有限公司", "杭州华安鑫达科技有限公司") >= LIKELY_SAME);
        let k = key("杭州嘉兴科技有限公司");
        assert_eq!(
            (k.region(), k.trade_name().as_str()),
            (Some("杭州"), "嘉兴")
        );
        let k = key("嘉兴科技有限公司");
        assert_eq!((k.region(), k.trade_name().as_str()), (None, "嘉兴"));
        assert!(sim("嘉兴科技有限公司", "杭州嘉兴科技有限公司") >= LIKELY_SAME);
        // 阳新 is a county of Hubei; here the trade name of a company of 宿州.
        assert!(sim("阳新信息技术有限公司", "宿州阳新信息技术有限公司") >= LIKELY_SAME);
        // A trade name that is also an industry word (通信), after a bare city name.
        assert!(sim("韶关通信有限公司", "韶关通信服装有限公司") >= LIKELY_SAME);
        assert!(sim("韶关通信食品有限公司", "韶关通信服装有限公司") < LIKELY_SAME);
        let m = score(&key("中山华誉科技有限公司"), &key("华誉科技有限公司"));
        assert!(
            part_of(&m, "region")
                .explanation_zh
                .contains("「中山」按行政区划理解"),
            "{m:?}"
        );
    }

    #[test]
    fn different_trade_names_score_low() {
        for (a, b) in [
            ("杭州华誉科技有限公司", "杭州恒达科技有限公司"),
            ("杭州华誉科技有限公司", "杭州华盛科技有限公司"),
            ("杭州华誉科技有限公司", "杭州誉华科技有限公司"),
            ("杭州华誉盛达科技有限公司", "杭州华誉盛通科技有限公司"),
            ("ABC科技有限公司", "ABD科技有限公司"),
            // Long trade names share most bigrams when one character differs.
            (
                "柳州锦海992建筑工程有限责任公司",
                "柳州锦海922建筑工程有限责任公司",
            ),
            ("天天新面馆", "天新新面馆"),
        ] {
            let s = sim(a, b);
            assert!(s < 0.7, "{a} / {b}: {s}");
        }
        // One character off is far below the same name with its industry words left out.
        assert!(sim("杭州华盛科技有限公司", "杭州华誉科技有限公司") < 0.5);
        assert!(sim("杭州华誉科技有限公司", "上海恒达贸易股份有限公司") < 0.3);
    }

    #[test]
    fn same_trade_name_other_industry_is_in_between() {
        let same = sim("杭州华誉科技有限公司", "杭州华誉科技有限公司");
        let abbreviated = sim("杭州华誉有限公司", "杭州华誉科技有限公司");
        let partial = sim("杭州华誉科技有限公司", "杭州华誉环保科技有限公司");
        let other = sim("杭州华誉贸易有限公司", "杭州华誉科技有限公司");
        let different = sim("杭州恒达科技有限公司", "杭州华誉科技有限公司");
        assert!(
            same > partial && partial > abbreviated,
            "{partial} {abbreviated}"
        );
        assert!(abbreviated >= LIKELY_SAME, "{abbreviated}");
        assert!(other < LIKELY_SAME && other > 0.5, "{other}");
        assert!(other > different + 0.2, "{other} {different}");
        let m = score(&key("杭州华誉贸易有限公司"), &key("杭州华誉科技有限公司"));
        let name = part_of(&m, "normalised_name");
        assert!(
            name.explanation_zh.contains("行业用语不同（贸易 / 科技）"),
            "{name:?}"
        );
    }

    #[test]
    fn bare_trade_names_and_unknown_tails_are_only_candidates() {
        // Region, industry words and form all left out: too little to call it the same.
        let s = sim("华誉", "杭州华誉科技有限公司");
        assert!((0.5..LIKELY_SAME).contains(&s), "{s}");
        // 达通 is not an industry word: maybe more trade name.
        let s = sim("杭州华誉有限公司", "杭州华誉达通有限公司");
        assert!((0.5..LIKELY_SAME).contains(&s), "{s}");
        let m = score(&key("杭州华誉有限公司"), &key("杭州华誉达通有限公司"));
        assert!(
            part_of(&m, "normalised_name")
                .explanation_en
                .contains("begins")
        );
    }

    #[test]
    fn branches_and_groups_are_other_subjects() {
        let m = score(
            &key("杭州华誉科技有限公司西湖分公司"),
            &key("杭州华誉科技有限公司"),
        );
        assert_eq!(m.capped_at, Some(DIFFERENT_SUBJECT_CAP));
        assert!(m.score <= DIFFERENT_SUBJECT_CAP && !m.likely_same);
        assert!(
            sim(
                "杭州华誉科技有限公司西湖分公司",
                "杭州华誉科技有限公司滨江分公司"
            ) <= DIFFERENT_SUBJECT_CAP
        );
        assert!(
            sim(
                "杭州华誉科技有限公司西湖分公司",
                "杭州华誉科技有限责任公司西湖分公司"
            ) > 0.99
        );
        assert!(sim("杭州华誉集团有限公司", "杭州华誉有限公司") <= DIFFERENT_SUBJECT_CAP);
        assert!(sim("华誉（集团）有限公司", "华誉集团有限公司") > 0.99);
    }

    #[test]
    fn a_match_serialises_with_both_languages() {
        let m = score(&key("华誉科技"), &key("杭州华誉科技有限公司"));
        let json = serde_json::to_value(&m).expect("serialisable");
        let parts = json["parts"].as_array().expect("parts");
        let features: Vec<&str> = parts
            .iter()
            .map(|p| p["feature"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(features, ["normalised_name", "legal_form", "region"]);
        for p in parts {
            assert!(!p["explanation_zh"].as_str().unwrap_or_default().is_empty());
            assert!(!p["explanation_en"].as_str().unwrap_or_default().is_empty());
        }
        let total: f64 = m.parts.iter().map(|p| p.weight * p.score).sum();
        assert!((total - m.score).abs() < 1e-12);
        assert!(m.likely_same, "{m:?}");
    }

    #[test]
    fn names_without_parts_do_not_panic() {
        for name in [
            "",
            "有限公司",
            "(",
            "（杭州）",
            "杭州",
            "分公司",
            "店",
            "a",
            "杭州市有限公司",
        ] {
            let k = key(name);
            let _ = score(&k, &key("杭州华誉科技有限公司"));
            let _ = score(&k, &k);
        }
    }

    #[test]
    fn evaluation_counts() {
        let pair = |q: &str, c: &str, same| LabelledPair {
            query: q.to_owned(),
            candidate: c.to_owned(),
            same,
            kind: "test",
        };
        let e = evaluate(
            &[
                pair("华誉科技有限公司", "杭州华誉科技有限公司", true),
                pair("杭州恒达科技有限公司", "杭州华誉科技有限公司", false),
                pair("华誉", "杭州华誉科技有限公司", true),
            ],
            LIKELY_SAME,
        );
        assert_eq!(
            (e.pairs, e.true_pos, e.false_pos, e.true_neg, e.false_neg),
            (3, 1, 0, 1, 1)
        );
        assert!((e.precision - 1.0).abs() < 1e-12 && (e.recall - 0.5).abs() < 1e-12);
        assert_eq!(e.mistakes.len(), 1);
    }
}
