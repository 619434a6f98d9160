//! Generated data in the real layouts, so that demos and benchmarks take the same path as
//! the files departments send.
//!
//! The subjects carry valid USCCs with real county-level division codes; names, sectors,
//! penalty kinds and fines (in 万元) follow what 双公示 files look like. About one row in a
//! hundred is deliberately bad in one of the ways real files are (wrong check character, a
//! code damaged by a spreadsheet, a missing document number, an impossible date, a fine
//! missing for a 罚款 penalty), so that the problem report has something to say.
//!
//! Output is reproducible: the same seed gives the same files.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use gongxin_codes::regions::{self, Level, Status};
use gongxin_codes::{org_code_check_char, reg_no_check_digit, uscc_check_char};
use gongxin_core::catalog::{Catalog, Item};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub subjects: usize,
    pub records: usize,
    pub seed: u64,
    /// Items to write; empty means every item the generator knows.
    pub items: Vec<String>,
    /// Share of rows made deliberately bad, in per mille.
    pub bad_per_mille: u32,
}

/// The file written for one item.
#[derive(Debug, Clone)]
pub struct GeneratedFile {
    pub item: String,
    pub path: PathBuf,
    pub rows: usize,
    pub bad_rows: usize,
}

/// How each item's rows are written: the layouts vary as real files do.
struct Layout {
    item: &'static str,
    /// Share of all records, in per mille.
    share: u32,
    /// Header of field codes (`true`) or Chinese names.
    codes_header: bool,
    gb18030: bool,
}

const LAYOUTS: &[Layout] = &[
    Layout {
        item: "admin_license",
        share: 480,
        codes_header: false,
        gb18030: true,
    },
    Layout {
        item: "admin_penalty",
        share: 400,
        codes_header: true,
        gb18030: false,
    },
    Layout {
        item: "abnormal_operation",
        share: 40,
        codes_header: false,
        gb18030: false,
    },
    Layout {
        item: "credit_commitment",
        share: 40,
        codes_header: true,
        gb18030: false,
    },
    Layout {
        item: "honour",
        share: 15,
        codes_header: false,
        gb18030: false,
    },
    Layout {
        item: "serious_dishonesty",
        share: 10,
        codes_header: false,
        gb18030: false,
    },
    Layout {
        item: "dishonest_debtor",
        share: 15,
        codes_header: true,
        gb18030: false,
    },
];

/// Writes one CSV file per item into `out` and returns what was written. `progress` is called
/// with the number of rows written so far.
pub fn generate(
    catalog: &Catalog,
    options: &GenerateOptions,
    out: &Path,
    progress: &mut dyn FnMut(usize),
) -> io::Result<Vec<GeneratedFile>> {
    std::fs::create_dir_all(out)?;
    let mut rng = Rng(options.seed);
    let world = World::new(&mut rng, options.subjects.max(1));
    let chosen: Vec<&Layout> = LAYOUTS
        .iter()
        .filter(|l| options.items.is_empty() || options.items.iter().any(|i| i == l.item))
        .collect();
    let total_share: u32 = chosen.iter().map(|l| l.share).sum();
    let mut written = Vec::new();
    let mut done = 0;
    for (index, layout) in chosen.iter().enumerate() {
        let Some(item) = catalog.item(layout.item) else {
            continue;
        };
        let rows = if index + 1 == chosen.len() {
            options.records.saturating_sub(done)
        } else {
            options.records * layout.share as usize / total_share.max(1) as usize
        };
        let path = out.join(format!("{}.csv", layout.item));
        let bad_rows = write_item(
            item,
            layout,
            &world,
            &mut rng,
            rows,
            options.bad_per_mille,
            &path,
            &mut |n| progress(done + n),
        )?;
        done += rows;
        written.push(GeneratedFile {
            item: layout.item.to_owned(),
            path,
            rows,
            bad_rows,
        });
    }
    Ok(written)
}

#[allow(clippy::too_many_arguments)]
fn write_item(
    item: &Item,
    layout: &Layout,
    world: &World,
    rng: &mut Rng,
    rows: usize,
    bad_per_mille: u32,
    path: &Path,
    progress: &mut dyn FnMut(usize),
) -> io::Result<usize> {
    let mut out = CsvWriter::new(File::create(path)?, layout.gb18030);
    let header: Vec<&str> = item
        .fields
        .iter()
        .filter(|f| !f.legacy)
        .map(|f| {
            if layout.codes_header {
                f.code.as_str()
            } else {
                f.name_zh.as_str()
            }
        })
        .collect();
    out.row(header.iter().copied())?;
    let mut bad_rows = 0;
    let mut values: Vec<String> = Vec::new();
    // Subjects known only by an old number can appear only where the layout has a column for it.
    let takes_old_codes = item.roles.reg_no.is_some();
    for n in 0..rows {
        let subject = world.pick_subject(rng, takes_old_codes);
        let unit = world.pick_unit(rng, subject);
        let row = RowFacts {
            subject,
            unit,
            serial: n + 1,
            date: rng.date(),
        };
        values.clear();
        let mut fill = RowFill::new(item, &mut values);
        match layout.item {
            "admin_license" => license(&mut fill, &row, rng),
            "admin_penalty" => penalty(&mut fill, &row, rng),
            "abnormal_operation" => abnormal(&mut fill, &row, rng),
            "credit_commitment" => commitment(&mut fill, &row, rng),
            "honour" => honour(&mut fill, &row, rng),
            "serious_dishonesty" => serious(&mut fill, &row, rng),
            _ => debtor(&mut fill, &row, rng),
        }
        if rng.below(1000) < u64::from(bad_per_mille) {
            spoil(item, &mut values, rng);
            bad_rows += 1;
        }
        out.row(
            item.fields
                .iter()
                .zip(&values)
                .filter(|(f, _)| !f.legacy)
                .map(|(_, v)| v.as_str()),
        )?;
        if n % 10_000 == 9_999 {
            progress(n + 1);
        }
    }
    progress(rows);
    out.finish()?;
    Ok(bad_rows)
}

/// Values of one row by field code, in catalog order.
struct RowFill<'a> {
    item: &'a Item,
    values: &'a mut Vec<String>,
}

impl<'a> RowFill<'a> {
    fn new(item: &'a Item, values: &'a mut Vec<String>) -> Self {
        values.resize(item.fields.len(), String::new());
        values.iter_mut().for_each(String::clear);
        Self { item, values }
    }

    fn set(&mut self, code: &str, value: impl AsRef<str>) {
        if let Some(index) = self.item.field_index(code) {
            self.values[index].push_str(value.as_ref());
        }
    }

    /// The subject columns every layout shares, under the item's prefix.
    fn subject(&mut self, prefix: &str, facts: &RowFacts<'_>) {
        let s = facts.subject;
        self.set(&format!("{prefix}_XDR_MC"), &s.name);
        self.set(&format!("{prefix}_XDR_LB"), s.category);
        self.set(&format!("{prefix}_XDR_SHXYM"), &s.uscc);
        self.set(&format!("{prefix}_XDR_GSZC"), &s.reg_no);
        self.set(&format!("{prefix}_FRDB"), &s.representative);
        self.set(&format!("{prefix}_FR_ZJLX"), "身份证");
        self.set(&format!("{prefix}_FR_ZJHM"), &s.representative_id);
    }
}

struct RowFacts<'a> {
    subject: &'a Subject,
    unit: &'a Unit,
    serial: usize,
    date: (i32, u32, u32),
}

impl RowFacts<'_> {
    fn date(&self, style: u64) -> String {
        let (y, m, d) = self.date;
        match style % 4 {
            0 | 1 => format!("{y:04}/{m:02}/{d:02}"),
            2 => format!("{y:04}-{m:02}-{d:02}"),
            _ => format!("{y:04}{m:02}{d:02}"),
        }
    }

    fn later(&self, years: i32) -> String {
        let (y, m, d) = self.date;
        // The 29th is the latest day every month has.
        format!("{:04}/{m:02}/{:02}", y + years, d.min(28))
    }

    fn document_no(&self, kind: &str) -> String {
        format!(
            "{}{}{kind}〔{}〕{}号",
            self.unit.short_place, self.unit.abbreviation, self.date.0, self.serial
        )
    }
}

fn license(f: &mut RowFill<'_>, r: &RowFacts<'_>, rng: &mut Rng) {
    let (title, certificate, content) = *rng.pick(LICENCES);
    f.subject("XK", r);
    f.set("XK_XKWS", format!("{title}决定书"));
    f.set("XK_WSH", r.document_no("许"));
    f.set(
        "XK_XKLB",
        *rng.pick(&["普通", "普通", "普通", "登记", "核准", "认可", "特许"]),
    );
    f.set("XK_XKZS", certificate);
    f.set(
        "XK_XKBH",
        format!(
            "{}{}{:07}",
            r.unit.abbreviation.chars().next().unwrap_or('许'),
            r.unit.city_code,
            r.serial
        ),
    );
    f.set("XK_NR", content);
    f.set("XK_JDRQ", r.date(rng.next()));
    f.set("XK_YXQZ", r.date(0));
    f.set(
        "XK_YXQZI",
        if rng.below(5) == 0 {
            "2099/12/31".to_owned()
        } else {
            r.later(5)
        },
    );
    f.set("XK_XKJG", &r.unit.name);
    f.set("XK_XKJGDM", &r.unit.uscc);
    f.set(
        "XK_ZT",
        if rng.below(200) == 0 {
            "撤销"
        } else {
            "正常"
        },
    );
    f.set("XK_LYDW", &r.unit.name);
    f.set("XK_LYDWDM", &r.unit.uscc);
}

fn penalty(f: &mut RowFill<'_>, r: &RowFacts<'_>, rng: &mut Rng) {
    let violation = rng.pick(VIOLATIONS);
    let kinds = *rng.pick(&[
        "罚款",
        "罚款",
        "罚款",
        "罚款",
        "罚款",
        "警告",
        "警告",
        "警告;罚款",
        "没收违法所得;罚款",
        "通报批评",
        "责令停产停业;罚款",
        "吊销许可证件",
    ]);
    f.subject("CF", r);
    f.set("CF_WSH", r.document_no("罚"));
    f.set("CF_WFXW", violation.kind);
    f.set(
        "CF_SY",
        format!("{}{}", r.subject.short_name, violation.facts),
    );
    f.set("CF_YJ", violation.basis);
    f.set("CF_CFLB", kinds);
    let mut content = String::new();
    if kinds.contains("警告") {
        content.push_str("警告；");
    }
    if kinds.contains("罚款") {
        let yuan = *rng.pick(&[
            500u64, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000, 50_000, 100_000, 300_000,
        ]);
        content.push_str(&format!("罚款人民币{yuan}元；"));
        f.set("CF_NR_FK", wan_yuan(yuan));
    }
    if kinds.contains("没收违法所得") {
        let yuan = rng.below(50_000) + 100;
        content.push_str(&format!("没收违法所得{yuan}元；"));
        f.set("CF_NR_WFFF", wan_yuan(yuan));
    }
    if kinds.contains("吊销") {
        content.push_str("吊销许可证件；");
        f.set(
            "CF_NR_ZKDX",
            format!("食品经营许可证 JY1{}{:07}", r.unit.city_code, r.serial),
        );
    }
    if kinds.contains("停产停业") {
        content.push_str("责令停产停业三个月；");
    }
    if kinds == "通报批评" {
        content.push_str("通报批评；");
    }
    f.set("CF_NR", content.trim_end_matches('；'));
    f.set("CF_JDRQ", r.date(rng.next()));
    f.set("CF_YXQ", r.later(1));
    f.set("CF_GSJZQ", r.later(3));
    f.set("CF_CFJG", &r.unit.name);
    f.set("CF_CFJGDM", &r.unit.uscc);
    f.set("CF_SJLY", &r.unit.name);
    f.set("CF_SJLYDM", &r.unit.uscc);
}

fn abnormal(f: &mut RowFill<'_>, r: &RowFacts<'_>, rng: &mut Rng) {
    f.set("YCML_ZTMC", &r.subject.name);
    f.set("YCML_SHXYM", &r.subject.uscc);
    f.set("YCML_GSZC", &r.subject.reg_no);
    f.set("YCML_FRDB", &r.subject.representative);
    f.set(
        "YCML_LRYY",
        *rng.pick(&[
            "未按规定报送年度报告",
            "未按规定报送年度报告",
            "通过登记的住所或者经营场所无法联系",
            "公示企业信息隐瞒真实情况、弄虚作假",
        ]),
    );
    f.set("YCML_LRRQ", r.date(rng.next()));
    f.set("YCML_ZCJG", &r.unit.name);
    f.set("YCML_ZCJGDM", &r.unit.uscc);
    f.set("YCML_WSH", r.document_no("异"));
    f.set("YCML_ZT", "列入");
}

fn commitment(f: &mut RowFill<'_>, r: &RowFacts<'_>, rng: &mut Rng) {
    let (y, m, d) = r.date;
    f.set(
        "XYCN_CNBM",
        format!(
            "{}{y:04}{m:02}{d:02}{:06}",
            r.unit.city_code,
            r.serial % 1_000_000
        ),
    );
    f.set("XYCN_CNRMC", &r.subject.name);
    f.set("XYCN_CNRLB", r.subject.category);
    f.set("XYCN_CNRDM", &r.subject.uscc);
    let kind = *rng.pick(&[
        "审批替代型",
        "容缺受理型",
        "证明事项型",
        "行业自律型",
        "主动型",
    ]);
    f.set("XYCN_CNLX", kind);
    f.set("XYCN_CNSY", "申请办理行政许可事项");
    f.set(
        "XYCN_CNNR",
        "本单位承诺所提交材料真实有效，并在承诺期限内补齐全部材料，如有不实愿承担相应法律责任。",
    );
    f.set("XYCN_WNZR", "撤销相关许可，记入信用记录");
    f.set("XYCN_ZCRQ", r.date(rng.next()));
    f.set("XYCN_YXQ", r.later(1));
    let kept = rng.below(20) != 0;
    f.set("XYCN_LXZT", if kept { "全部履行" } else { "部分履行" });
    if !kept {
        f.set("XYCN_WLXNR", "未在承诺期限内补齐材料");
    }
    f.set("XYCN_SLDW", &r.unit.name);
    f.set("XYCN_SLDWDM", &r.unit.uscc);
    f.set("XYCN_GKLX", "可向社会公开");
}

fn honour(f: &mut RowFill<'_>, r: &RowFacts<'_>, rng: &mut Rng) {
    f.set("RY_ZTMC", &r.subject.name);
    f.set("RY_SHXYM", &r.subject.uscc);
    let (title, level) = *rng.pick(&[
        ("守合同重信用企业", "省级"),
        ("纳税信用A级纳税人", "国家级"),
        ("诚信经营示范店", "市级"),
        ("诚信建设示范企业", "县级"),
    ]);
    f.set("RY_RYMC", title);
    f.set("RY_RYDJ", level);
    f.set(
        "RY_RYNR",
        format!("{}连续三年无不良信用记录", r.subject.short_name),
    );
    f.set("RY_SYDW", &r.unit.name);
    f.set("RY_SYDWDM", &r.unit.uscc);
    f.set("RY_WSH", r.document_no("誉"));
    f.set("RY_SYRQ", r.date(rng.next()));
    f.set("RY_YXQZ", r.later(2));
}

fn serious(f: &mut RowFill<'_>, r: &RowFacts<'_>, rng: &mut Rng) {
    f.set("YZSX_ZTMC", &r.subject.name);
    f.set("YZSX_ZTLB", r.subject.category);
    f.set("YZSX_SHXYM", &r.subject.uscc);
    f.set("YZSX_GSZC", &r.subject.reg_no);
    f.set("YZSX_FRDB", &r.subject.representative);
    let (list, basis, reason) = *rng.pick(SERIOUS_LISTS);
    f.set("YZSX_MDLX", list);
    f.set("YZSX_RDDW", &r.unit.name);
    f.set("YZSX_RDDWDM", &r.unit.uscc);
    f.set("YZSX_RDYJ", basis);
    f.set("YZSX_WSH", r.document_no("失"));
    f.set("YZSX_LRRQ", r.date(rng.next()));
    f.set("YZSX_LRYY", reason);
    f.set("YZSX_YXQZ", r.later(3));
    f.set("YZSX_YCTJ", "信用修复或期满自动移出");
    f.set("YZSX_JJTJ", "可依法申请行政复议或提起行政诉讼");
    f.set("YZSX_ZT", "正常");
}

fn debtor(f: &mut RowFill<'_>, r: &RowFacts<'_>, rng: &mut Rng) {
    f.set("SXBZX_ZTMC", &r.subject.name);
    f.set("SXBZX_SHXYM", &r.subject.uscc);
    f.set("SXBZX_FRDB", &r.subject.representative);
    f.set(
        "SXBZX_AH",
        format!(
            "（{}）{}执{}号",
            r.date.0, r.unit.court_abbreviation, r.serial
        ),
    );
    f.set("SXBZX_ZXFY", format!("{}人民法院", r.unit.place));
    f.set(
        "SXBZX_YJWH",
        format!(
            "（{}）{}民初{}号",
            r.date.0 - 1,
            r.unit.court_abbreviation,
            r.serial
        ),
    );
    f.set("SXBZX_ZCDW", format!("{}人民法院", r.unit.place));
    f.set(
        "SXBZX_YW",
        format!("支付货款人民币{}元及利息", rng.below(2_000_000) + 10_000),
    );
    f.set("SXBZX_LXQK", *rng.pick(&["全部未履行", "部分未履行"]));
    f.set("SXBZX_QX", "有履行能力而拒不履行生效法律文书确定义务");
    f.set("SXBZX_LARQ", r.date(2));
    f.set("SXBZX_FBRQ", r.later(0));
    f.set("SXBZX_ZT", "正常");
}

/// Damages one value the way real files are damaged.
fn spoil(item: &Item, values: &mut [String], rng: &mut Rng) {
    let roles = &item.roles;
    let index = |code: &str| item.field_index(code);
    match rng.below(5) {
        0 => {
            // A typo in the code: the check character no longer fits.
            if let Some(i) = index(&roles.uscc) {
                let code = &mut values[i];
                if code.len() == 18 {
                    let last = if code.ends_with('1') { "2" } else { "1" };
                    code.replace_range(17..18, last);
                }
            }
        }
        1 => {
            if let Some(i) = index(&roles.uscc) {
                values[i] = "9.13501E+17".to_owned();
            }
        }
        2 => {
            if let Some(i) = index(&roles.document_no) {
                values[i].clear();
            }
        }
        3 => {
            if let Some(i) = index(&roles.decision_date) {
                values[i] = "2023/02/30".to_owned();
            }
        }
        _ => {
            if let Some(i) = index(&roles.subject_name) {
                values[i].clear();
            }
        }
    }
}

fn wan_yuan(yuan: u64) -> String {
    let text = format!("{}.{:04}", yuan / 10_000, yuan % 10_000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A subject of the generated world.
struct Subject {
    uscc: String,
    reg_no: String,
    name: String,
    short_name: String,
    category: &'static str,
    representative: String,
    representative_id: String,
    city: usize,
}

/// A department that sends records.
struct Unit {
    name: String,
    uscc: String,
    abbreviation: &'static str,
    place: String,
    short_place: String,
    court_abbreviation: String,
    city_code: String,
}

struct City {
    code: &'static str,
    name: &'static str,
    counties: Vec<&'static str>,
    units: Vec<Unit>,
}

struct World {
    cities: Vec<City>,
    subjects: Vec<Subject>,
}

impl World {
    fn new(rng: &mut Rng, subjects: usize) -> Self {
        let cities = cities(rng);
        let subjects = (0..subjects).map(|_| subject(rng, &cities)).collect();
        Self { cities, subjects }
    }

    /// Some subjects have many records, most have few: squaring a uniform draw skews it.
    /// Without `old_codes_allowed`, a subject that has no USCC yet is passed over for the
    /// next one that has.
    fn pick_subject(&self, rng: &mut Rng, old_codes_allowed: bool) -> &Subject {
        let u = rng.unit_f64();
        let start = (((u * u) * self.subjects.len() as f64) as usize).min(self.subjects.len() - 1);
        let has_code = |s: &&Subject| old_codes_allowed || s.uscc != gongxin_codes::PLACEHOLDER;
        self.subjects[start..]
            .iter()
            .chain(&self.subjects[..start])
            .find(has_code)
            .unwrap_or(&self.subjects[start])
    }

    fn pick_unit(&self, rng: &mut Rng, subject: &Subject) -> &Unit {
        rng.pick(&self.cities[subject.city].units)
    }
}

/// The prefecture-level cities of the 2024 division list that have counties, each with its
/// departments.
fn cities(rng: &mut Rng) -> Vec<City> {
    let all = regions::all();
    let mut cities: Vec<City> = all
        .iter()
        .filter(|r| r.level == Level::Prefecture && r.status == Status::InUse)
        .map(|r| City {
            code: r.code,
            name: r.name,
            counties: all
                .iter()
                .filter(|c| {
                    c.level == Level::County
                        && c.status == Status::InUse
                        && c.code.starts_with(&r.code[..4])
                })
                .map(|c| c.code)
                .collect(),
            units: Vec::new(),
        })
        .filter(|c| !c.counties.is_empty())
        .collect();
    for city in &mut cities {
        let short = city.name.trim_end_matches('市');
        city.units = DEPARTMENTS
            .iter()
            .map(|&(suffix, abbreviation)| Unit {
                name: format!("{}{suffix}", city.name),
                uscc: uscc(rng, '1', '1', city.code),
                abbreviation,
                place: city.name.to_owned(),
                short_place: short.chars().take(1).collect(),
                court_abbreviation: format!("{}{}", short.chars().next().unwrap_or('某'), "01"),
                city_code: city.code.to_owned(),
            })
            .collect();
    }
    cities
}

fn subject(rng: &mut Rng, cities: &[City]) -> Subject {
    let city_index = rng.below(cities.len() as u64) as usize;
    let city = &cities[city_index];
    let county = *rng.pick(&city.counties);
    let place: String = city.name.trim_end_matches('市').to_owned();
    let brand = format!("{}{}", rng.pick(BRAND_CHARS), rng.pick(BRAND_CHARS));
    let roll = rng.below(100);
    let (department, kind, category) = match roll {
        0..=79 => ('9', '1', "法人及非法人组织"),
        80..=93 => ('9', '2', "个体工商户"),
        94..=95 => ('9', '3', "法人及非法人组织"),
        96..=97 => ('5', '1', "法人及非法人组织"),
        _ => ('1', '2', "法人及非法人组织"),
    };
    let (name, short_name) = match (department, kind) {
        ('9', '2') => {
            let shop = rng.pick(SHOPS);
            (format!("{place}{brand}{shop}"), format!("{brand}{shop}"))
        }
        ('9', '3') => (
            format!("{place}{brand}农业专业合作社"),
            format!("{brand}合作社"),
        ),
        ('5', '1') => (format!("{place}{brand}行业协会"), format!("{brand}协会")),
        ('1', '2') => (
            format!("{place}{brand}职业技术学校"),
            format!("{brand}学校"),
        ),
        _ => {
            let industry = rng.pick(INDUSTRIES);
            let form = rng.pick(&[
                "有限公司",
                "有限公司",
                "有限公司",
                "有限责任公司",
                "股份有限公司",
            ]);
            (
                format!("{place}{brand}{industry}{form}"),
                format!("{brand}{industry}"),
            )
        }
    };
    let reg_no = reg_no(rng, county);
    // One individual business in ten has no USCC yet: the placeholder, and its old number.
    let uscc = if kind == '2' && rng.below(10) == 0 {
        gongxin_codes::PLACEHOLDER.to_owned()
    } else {
        uscc(rng, department, kind, county)
    };
    let surname = rng.pick(SURNAMES);
    let given: String = (0..1 + rng.below(2))
        .map(|_| *rng.pick(GIVEN_CHARS))
        .collect();
    Subject {
        uscc,
        reg_no,
        name,
        short_name,
        category,
        representative: format!("{surname}{given}"),
        representative_id: id_number(rng, county),
        city: city_index,
    }
}

fn uscc(rng: &mut Rng, department: char, kind: char, region: &str) -> String {
    const BODY: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = String::from("MA");
    while body.len() < 8 {
        body.push(BODY[rng.below(BODY.len() as u64) as usize] as char);
    }
    let org_check = org_code_check_char(&body).unwrap_or('0');
    let first17 = format!("{department}{kind}{region}{body}{org_check}");
    let check = uscc_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

fn reg_no(rng: &mut Rng, region: &str) -> String {
    let first14 = format!("{region}{:08}", rng.below(100_000_000));
    let check = reg_no_check_digit(&first14).unwrap_or('0');
    format!("{first14}{check}")
}

fn id_number(rng: &mut Rng, region: &str) -> String {
    const WEIGHTS: [u64; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: &[u8; 11] = b"10X98765432";
    let first17 = format!(
        "{region}{:04}{:02}{:02}{:03}",
        1955 + rng.below(45),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(1000)
    );
    let sum: u64 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u64::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", CHECKS[(sum % 11) as usize] as char)
}

/// SplitMix64: small, fast and good enough for test data; no dependency needed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn unit_f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A day from 2019-01-01 to 2026-10-28 (the 29th–31st are skipped to stay valid).
    fn date(&mut self) -> (i32, u32, u32) {
        let year = 2019 + self.below(8) as i32;
        let month = 1 + self.below(if year == 2026 { 10 } else { 12 }) as u32;
        let day = 1 + self.below(28) as u32;
        (year, month, day)
    }
}

/// A CSV writer for UTF-8 or GB18030, quoting only where needed.
struct CsvWriter {
    out: BufWriter<File>,
    line: String,
    encoder: Option<encoding_rs::Encoder>,
    bytes: Vec<u8>,
}

impl CsvWriter {
    fn new(file: File, gb18030: bool) -> Self {
        Self {
            out: BufWriter::with_capacity(1 << 20, file),
            line: String::new(),
            encoder: gb18030.then(|| encoding_rs::GB18030.new_encoder()),
            bytes: Vec::new(),
        }
    }

    fn row<'a>(&mut self, cells: impl Iterator<Item = &'a str>) -> io::Result<()> {
        self.line.clear();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            if cell.contains([',', '"', '\n', '\r']) {
                self.line.push('"');
                self.line.push_str(&cell.replace('"', "\"\""));
                self.line.push('"');
            } else {
                self.line.push_str(cell);
            }
        }
        self.line.push_str("\r\n");
        match &mut self.encoder {
            None => self.out.write_all(self.line.as_bytes()),
            Some(encoder) => {
                self.bytes.clear();
                let needed = encoder
                    .max_buffer_length_from_utf8_without_replacement(self.line.len())
                    .unwrap_or(self.line.len() * 4);
                self.bytes.resize(needed, 0);
                let (_, _, written, _) =
                    encoder.encode_from_utf8(&self.line, &mut self.bytes, false);
                self.out.write_all(&self.bytes[..written])
            }
        }
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

struct Violation {
    kind: &'static str,
    facts: &'static str,
    basis: &'static str,
}

const VIOLATIONS: &[Violation] = &[
    Violation {
        kind: "经营超过保质期的食品",
        facts: "经营的预包装食品超过保质期，货值金额较小",
        basis: "《中华人民共和国食品安全法》第一百二十四条第一款第（五）项",
    },
    Violation {
        kind: "未按规定进行广告发布",
        facts: "在网络平台发布含有“最佳”“第一”等用语的广告",
        basis: "《中华人民共和国广告法》第五十七条第（一）项",
    },
    Violation {
        kind: "未按规定明码标价",
        facts: "销售商品未按照规定明码标价",
        basis: "《中华人民共和国价格法》第四十二条",
    },
    Violation {
        kind: "超标排放大气污染物",
        facts: "锅炉废气排放浓度超过国家排放标准",
        basis: "《中华人民共和国大气污染防治法》第九十九条第（二）项",
    },
    Violation {
        kind: "未按规定开展安全生产教育和培训",
        facts: "未对从业人员进行安全生产教育和培训",
        basis: "《中华人民共和国安全生产法》第九十七条第（三）项",
    },
    Violation {
        kind: "消防设施未保持完好有效",
        facts: "经营场所消防设施、器材未保持完好有效",
        basis: "《中华人民共和国消防法》第六十条第一款第（一）项",
    },
    Violation {
        kind: "未按期办理纳税申报",
        facts: "未按照规定的期限办理纳税申报和报送纳税资料",
        basis: "《中华人民共和国税收征收管理法》第六十二条",
    },
    Violation {
        kind: "无证经营",
        facts: "未取得许可从事经营活动",
        basis: "《无证无照经营查处办法》第十三条",
    },
    Violation {
        kind: "销售不合格产品",
        facts: "销售经抽检不合格的电线电缆产品",
        basis: "《中华人民共和国产品质量法》第四十九条",
    },
];

const LICENCES: &[(&str, &str, &str)] = &[
    (
        "食品经营许可",
        "食品经营许可证",
        "预包装食品（含冷藏冷冻食品）销售；热食类食品制售",
    ),
    (
        "建筑工程施工许可",
        "建筑工程施工许可证",
        "新建厂房及配套设施工程施工",
    ),
    (
        "排污许可",
        "排污许可证",
        "按照许可排放浓度和排放量排放大气污染物",
    ),
    (
        "公共场所卫生许可",
        "公共场所卫生许可证",
        "住宿、美容美发场所卫生许可",
    ),
    ("道路运输经营许可", "道路运输经营许可证", "普通货运"),
    (
        "药品经营许可",
        "药品经营许可证",
        "中成药、化学药制剂、抗生素制剂零售",
    ),
    ("设立登记", "营业执照", "企业设立登记"),
    (
        "危险化学品经营许可",
        "危险化学品经营许可证",
        "不带储存设施经营：汽油、柴油",
    ),
];

const SERIOUS_LISTS: &[(&str, &str, &str)] = &[
    (
        "重大税收违法失信主体",
        "《重大税收违法失信主体信息公布管理办法》第六条",
        "虚开增值税专用发票",
    ),
    (
        "拖欠农民工工资失信联合惩戒对象",
        "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条",
        "克扣、无故拖欠农民工工资数额较大",
    ),
    (
        "市场监督管理严重违法失信名单",
        "《市场监督管理严重违法失信名单管理办法》第二条",
        "因食品安全违法行为受到较重行政处罚",
    ),
    (
        "安全生产严重失信主体",
        "《安全生产严重失信主体名单管理办法》第五条",
        "发生较大生产安全责任事故",
    ),
];

const DEPARTMENTS: &[(&str, &str)] = &[
    ("市场监督管理局", "市监"),
    ("生态环境局", "环"),
    ("应急管理局", "应急"),
    ("住房和城乡建设局", "建"),
    ("交通运输局", "交"),
    ("卫生健康委员会", "卫"),
    ("消防救援支队", "消"),
    ("税务局", "税"),
];

pub(crate) const INDUSTRIES: &[&str] = &[
    "科技",
    "贸易",
    "餐饮管理",
    "建筑工程",
    "物流",
    "食品",
    "环保科技",
    "电子商务",
    "医药",
    "机械制造",
    "文化传媒",
    "房地产开发",
    "服装",
    "新能源",
    "信息技术",
    "汽车销售",
];

pub(crate) const SHOPS: &[&str] = &[
    "小吃店",
    "便利店",
    "五金店",
    "理发店",
    "水果店",
    "面馆",
    "超市",
    "服装店",
    "维修部",
];

pub(crate) const BRAND_CHARS: &[&str] = &[
    "华", "誉", "鑫", "盛", "恒", "达", "信", "源", "通", "嘉", "瑞", "泰", "宏", "博", "中", "联",
    "金", "银", "丰", "安", "兴", "隆", "明", "德", "汇", "正", "和", "美", "新", "天", "海", "云",
    "山", "辰", "星", "阳", "佳", "润", "优", "锦",
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "欧阳",
];

const GIVEN_CHARS: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀",
    "霞", "平", "刚", "桂", "华", "建", "国", "志",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fines_are_written_in_wan_yuan() {
        assert_eq!(wan_yuan(2_000), "0.2");
        assert_eq!(wan_yuan(500), "0.05");
        assert_eq!(wan_yuan(300_000), "30");
        assert_eq!(wan_yuan(12_345), "1.2345");
    }

    #[test]
    fn generated_codes_are_valid() {
        let mut rng = Rng(7);
        for _ in 0..1000 {
            let code = uscc(&mut rng, '9', '1', "350102");
            gongxin_codes::Uscc::parse(&code).unwrap();
            gongxin_codes::RegNo::parse(&reg_no(&mut rng, "350102")).unwrap();
        }
    }
}
