//! Builds an index of synthetic subjects and times searches of several kinds.
//!
//! ```text
//! cargo run --release -p gongxin-search --example bench -- [SUBJECTS] [DIR]
//! ```
//!
//! An index in DIR that already holds SUBJECTS subjects is reused (to time queries again).
//!
//! Names look like real ones: a city, one to three brand words, an industry and a legal form
//! (`福州鑫华宏达科技有限公司`); a tenth of the subjects have a former name, a fifth an
//! organisation code. Record counts are skewed (most subjects have few).

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gongxin_codes::regions::{self, Level, Status};
use gongxin_codes::{org_code_check_char, uscc_check_char};
use gongxin_search::{SearchIndex, SearchQuery, SubjectDoc};

const BRAND_CHARS: &[char] = &[
    '华', '夏', '鑫', '达', '宏', '远', '金', '诚', '瑞', '丰', '恒', '通', '汇', '嘉', '信', '德',
    '盛', '源', '泰', '昌', '兴', '隆', '富', '安', '康', '鼎', '新', '天', '龙', '凤', '东', '方',
    '中', '美', '佳', '博', '凯', '润', '祥', '和', '正', '大', '永', '明', '光', '辉', '海', '峰',
    '创', '科', '智', '联', '众', '合', '力', '华', '晟', '腾', '飞', '翔', '宇', '星', '锦', '绣',
    '沃', '尔', '森', '林', '青', '山', '云', '阳', '春', '秋', '百', '千', '万', '亿', '一', '品',
];
const INDUSTRIES: &[&str] = &[
    "科技",
    "贸易",
    "建设",
    "建筑工程",
    "餐饮管理",
    "电子",
    "机械",
    "食品",
    "物流",
    "房地产开发",
    "信息技术",
    "医药",
    "文化传媒",
    "农业发展",
    "环保科技",
    "新能源",
    "汽车销售",
    "服装",
    "教育咨询",
    "商务咨询",
    "投资管理",
    "装饰工程",
    "印刷",
    "化工",
    "新材料",
    "网络科技",
    "生物科技",
    "物业管理",
    "劳务",
    "酒店管理",
];
const FORMS: &[&str] = &[
    "有限公司",
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "商行",
];
const SURNAMES: &[char] = &['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'];

/// SplitMix64: reproducible and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// County codes in use, with the short name of their city.
fn places() -> Vec<(&'static str, String)> {
    regions::all()
        .iter()
        .filter(|r| r.level == Level::County && r.status == Status::InUse)
        .filter_map(|r| {
            let city = r.city.or(r.province)?;
            Some((r.code, city.trim_end_matches(['市', '省']).to_owned()))
        })
        .collect()
}

/// The `n`th subject and its first brand word.
fn subject(rng: &mut Rng, places: &[(&'static str, String)], n: usize) -> (SubjectDoc, String) {
    let (region, city) = rng.pick(places);
    let brand = |rng: &mut Rng| -> String {
        (0..1 + rng.below(3))
            .flat_map(|_| [*rng.pick(BRAND_CHARS), *rng.pick(BRAND_CHARS)])
            .collect()
    };
    let brands = brand(rng);
    let name = format!("{city}{brands}{}{}", rng.pick(INDUSTRIES), rng.pick(FORMS));
    let org = format!("MA{:06}", n % 1_000_000);
    let org = format!("{org}{}", org_code_check_char(&org).unwrap_or('0'));
    let first17 = format!("91{region}{org}");
    let code = format!("{first17}{}", uscc_check_char(&first17).unwrap_or('0'));
    let mut doc = SubjectDoc::new(&code, &name);
    if rng.below(10) == 0 {
        doc.former_names
            .push(format!("{city}{}{}", brand(rng), rng.pick(FORMS)));
    }
    if rng.below(5) == 0 {
        doc.old_codes.push(format!("{}-{}", &org[..8], &org[8..]));
    }
    doc.legal_representatives.push(format!(
        "{}{}{}",
        rng.pick(SURNAMES),
        rng.pick(BRAND_CHARS),
        rng.pick(BRAND_CHARS)
    ));
    let u = rng.below(1000);
    doc.record_count = (u * u / 10_000) as u64;
    (doc, brands.chars().take(2).collect())
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let dir = args.next().map_or_else(
        || std::env::temp_dir().join("gongxin-search-bench"),
        PathBuf::from,
    );
    let places = places();

    let index = SearchIndex::open(&dir)?;
    if index.num_subjects() != count as u64 {
        let started = Instant::now();
        let mut rng = Rng(42);
        let docs = (0..count).map(|n| Ok::<_, std::io::Error>(subject(&mut rng, &places, n).0));
        index.rebuild(docs, |_| {})?;
        println!("indexed in {:.1} s", started.elapsed().as_secs_f64());
    }
    println!(
        "{} subjects; index size {:.0} MB",
        index.num_subjects(),
        dir_size(&dir) as f64 / 1e6
    );

    // Queries drawn from the same generator (the same seed gives the first subjects again).
    let mut rng = Rng(42);
    let (sample, brands): (Vec<SubjectDoc>, Vec<String>) =
        (0..200).map(|n| subject(&mut rng, &places, n)).unzip();
    let mut kinds: Vec<(&str, Vec<SearchQuery>)> = vec![
        (
            "exact name",
            sample.iter().map(|d| SearchQuery::new(&d.name)).collect(),
        ),
        (
            "brand word (2 chars)",
            brands.iter().map(SearchQuery::new).collect(),
        ),
        (
            "middle substring (4 chars)",
            sample
                .iter()
                .map(|d| SearchQuery::new(d.name.chars().skip(2).take(4).collect::<String>()))
                .collect(),
        ),
        (
            "name prefix (city + 2)",
            sample
                .iter()
                .map(|d| SearchQuery::new(d.name.chars().take(4).collect::<String>()))
                .collect(),
        ),
        ("industry word 科技", vec![SearchQuery::new("科技"); 50]),
        ("all names 有限公司", vec![SearchQuery::new("有限公司"); 20]),
        (
            "USCC exact",
            sample.iter().map(|d| SearchQuery::new(&d.code)).collect(),
        ),
        (
            "code prefix (8)",
            sample
                .iter()
                .map(|d| SearchQuery::new(&d.code[..8]))
                .collect(),
        ),
    ];
    kinds.push((
        "brand + city filter",
        kinds[1]
            .1
            .iter()
            .zip(&sample)
            .map(|(q, d)| SearchQuery {
                region: d.region_code.as_ref().map(|r| r[..4].to_owned()),
                ..q.clone()
            })
            .collect(),
    ));

    println!(
        "{:<28} {:>6} {:>9} {:>9} {:>9} {:>10}",
        "query kind", "n", "p50 ms", "p99 ms", "max ms", "mean total"
    );
    for (kind, queries) in &kinds {
        for query in queries.iter().take(5) {
            index.search(query)?; // warm up
        }
        let mut times = Vec::with_capacity(queries.len());
        let mut totals = 0;
        for query in queries {
            let start = Instant::now();
            let results = index.search(query)?;
            times.push(start.elapsed());
            totals += results.total;
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{kind:<28} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>10}",
            times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(percentile(&times, 1.0)),
            totals / queries.len() as u64
        );
    }
    Ok(())
}
