//! How long credit information is published (STANDARDS.md §4).
//!
//! The rules are data (`catalog/publication.toml`, replaceable per jurisdiction); this module
//! is the engine that reads and applies them. Administrative penalties follow a sequence of
//! dated *regimes* — 发改办财金〔2019〕527号, SAMR Order 45, NDRC Order 58, NDRC Order 36 — and
//! the regime in force on the **decision date** decides, not the one in force today: a
//! penalty decided in 2024 keeps the periods it was decided under. Other information (licences,
//! list entries) follows one undated rule per catalog item.
//!
//! Windows are Civil Code calendar periods counted from the decision date with
//! [`calendar::add_period`]; they are not extended when they end on a holiday. All dates in a
//! decision are inclusive: the record is public from `from` through `until`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::mem::discriminant;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{self, Dated, Period, PeriodParseError, WorkCalendar};

/// The rule id catalog items use for administrative penalties (the dated regimes); every other
/// rule id is a key of `[items]` in the rule file.
pub const PENALTY_RULE: &str = "penalty";

/// The national defaults shipped with gongxin.
const EMBEDDED_RULES: &str = include_str!("../../../catalog/publication.toml");

static DEFAULT_RULES: LazyLock<PublicationRules> = LazyLock::new(|| {
    // Fixed at compile time and loaded by tests/publication.rs, so this only fails if the file
    // was edited without running the tests; refusing to start beats publishing by wrong rules.
    PublicationRules::from_toml(EMBEDDED_RULES)
        .expect("embedded catalog/publication.toml is valid (checked by tests/publication.rs)")
});

/// Start of the four-year cycle (with one leap year) over which `min` and `max` periods of
/// different units are compared; see [`never_longer`].
const REFERENCE_CYCLE_START: NaiveDate = match NaiveDate::from_ymd_opt(2021, 1, 1) {
    Some(date) => date,
    None => panic!("2021-01-01 is a valid date"),
};
const REFERENCE_CYCLE_DAYS: usize = 4 * 365 + 1;

/// A rule file that cannot be used, saying where and why.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("publication rules: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("publication rules: no [[regime]] for penalties")]
    NoRegimes,
    #[error("regime {regime}: in_force_from = {value} is not a plain date (YYYY-MM-DD)")]
    BadDate { regime: String, value: String },
    #[error("regime id {0:?} is used twice")]
    DuplicateRegime(String),
    #[error(
        "regime {later} (in force from {later_from}) is listed after {earlier} \
         (from {earlier_from}); list regimes oldest first"
    )]
    NotSorted {
        earlier: String,
        earlier_from: NaiveDate,
        later: String,
        later_from: NaiveDate,
    },
    #[error("regimes {first} and {second} both come into force on {date}; regimes may not overlap")]
    Overlap {
        first: String,
        second: String,
        date: NaiveDate,
    },
    #[error("{context}: {source}")]
    BadPeriod {
        context: String,
        #[source]
        source: PeriodParseError,
    },
    #[error("{context}: the period must be positive, got {period}")]
    ZeroPeriod { context: String, period: Period },
    #[error("{context}: min ({min}) is longer than max ({max})")]
    MinExceedsMax {
        context: String,
        min: Period,
        max: Period,
    },
    #[error("{context}: unknown penalty kind {name:?}")]
    UnknownKind { context: String, name: String },
    #[error(
        "regime {0}: the last rule must have no conditions, so that every penalty kind \
         meets a rule"
    )]
    NoCatchAll(String),
    #[error("regime {0}: rules depend on severity, so unknown_severity must be set")]
    MissingUnknownSeverity(String),
    #[error("{context}: {problem}")]
    InvalidRule { context: String, problem: String },
    #[error("jurisdiction: {0}")]
    InvalidJurisdiction(String),
    #[error("[items.{0}]: the id {PENALTY_RULE:?} is reserved for the penalty regimes")]
    ReservedItemId(String),
}

/// How serious the dishonesty behind a penalty is, as classified by the deciding authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 轻微
    Minor,
    /// 一般
    General,
    /// 严重
    Serious,
}

impl Severity {
    pub fn name_zh(self) -> &'static str {
        match self {
            Severity::Minor => "轻微",
            Severity::General => "一般",
            Severity::Serious => "严重",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::General => "general",
            Severity::Serious => "serious",
        }
    }
}

/// An unrecognised severity or sector name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {text:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub text: String,
}

impl FromStr for Severity {
    type Err = UnknownName;

    /// Accepts the snake_case id (`serious`) or the Chinese name (`严重`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        [Severity::Minor, Severity::General, Severity::Serious]
            .into_iter()
            .find(|s| s.id() == text || s.name_zh() == text)
            .ok_or_else(|| UnknownName {
                what: "severity",
                text: text.to_owned(),
            })
    }
}

/// The regulated sector a penalty belongs to; some regimes set longer periods for some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    Food,
    Drug,
    SpecialEquipment,
    WorkSafety,
    Fire,
    Environment,
    ConstructionQuality,
    Other,
}

impl Sector {
    const ALL: [Sector; 8] = [
        Sector::Food,
        Sector::Drug,
        Sector::SpecialEquipment,
        Sector::WorkSafety,
        Sector::Fire,
        Sector::Environment,
        Sector::ConstructionQuality,
        Sector::Other,
    ];

    pub fn name_zh(self) -> &'static str {
        match self {
            Sector::Food => "食品",
            Sector::Drug => "药品",
            Sector::SpecialEquipment => "特种设备",
            Sector::WorkSafety => "安全生产",
            Sector::Fire => "消防",
            Sector::Environment => "生态环境",
            Sector::ConstructionQuality => "工程质量",
            Sector::Other => "其他",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Sector::Food => "food",
            Sector::Drug => "drug",
            Sector::SpecialEquipment => "special_equipment",
            Sector::WorkSafety => "work_safety",
            Sector::Fire => "fire",
            Sector::Environment => "environment",
            Sector::ConstructionQuality => "construction_quality",
            Sector::Other => "other",
        }
    }
}

impl FromStr for Sector {
    type Err = UnknownName;

    /// Accepts the snake_case id (`work_safety`) or the Chinese name (`安全生产`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        Sector::ALL
            .into_iter()
            .find(|s| s.id() == text || s.name_zh() == text)
            .ok_or_else(|| UnknownName {
                what: "sector",
                text: text.to_owned(),
            })
    }
}

/// The kinds of administrative penalty of the Administrative Penalty Law (2021) Art. 9.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PenaltyKind {
    /// 警告
    Warning,
    /// 通报批评
    PublicCriticism,
    /// 罚款
    Fine,
    /// 没收违法所得
    ConfiscationOfIllegalGains,
    /// 没收非法财物
    ConfiscationOfIllegalProperty,
    /// 暂扣许可证件
    LicenceSuspension,
    /// 降低资质等级
    QualificationDowngrade,
    /// 吊销许可证件
    LicenceRevocation,
    /// 限制开展生产经营活动
    BusinessRestriction,
    /// 责令停产停业
    ProductionSuspension,
    /// 责令关闭
    ClosureOrder,
    /// 限制从业
    EmploymentRestriction,
    /// 行政拘留
    Detention,
    /// 其他 (法律、行政法规规定的其他行政处罚), with the free text that followed, if any.
    Other(Option<String>),
}

/// Names accepted for each kind: the Art. 9 name first, then spellings of the 1996 law and of
/// common practice that mean the same kind.
const KIND_NAMES: &[(&str, PenaltyKind)] = &[
    ("警告", PenaltyKind::Warning),
    ("通报批评", PenaltyKind::PublicCriticism),
    ("罚款", PenaltyKind::Fine),
    ("没收违法所得", PenaltyKind::ConfiscationOfIllegalGains),
    ("没收非法财物", PenaltyKind::ConfiscationOfIllegalProperty),
    ("暂扣许可证件", PenaltyKind::LicenceSuspension),
    ("暂扣许可证", PenaltyKind::LicenceSuspension),
    ("暂扣执照", PenaltyKind::LicenceSuspension),
    ("降低资质等级", PenaltyKind::QualificationDowngrade),
    ("吊销许可证件", PenaltyKind::LicenceRevocation),
    ("吊销许可证", PenaltyKind::LicenceRevocation),
    ("吊销执照", PenaltyKind::LicenceRevocation),
    ("吊销营业执照", PenaltyKind::LicenceRevocation),
    ("限制开展生产经营活动", PenaltyKind::BusinessRestriction),
    ("责令停产停业", PenaltyKind::ProductionSuspension),
    ("责令关闭", PenaltyKind::ClosureOrder),
    ("限制从业", PenaltyKind::EmploymentRestriction),
    ("行政拘留", PenaltyKind::Detention),
];

/// Separators found between kinds in 处罚类别 fields.
const KIND_SEPARATORS: [char; 5] = [';', '；', '、', ',', '，'];

/// The result of [`PenaltyKind::parse_list`]: the kinds recognised, and the pieces that were
/// not, to be reported back to the source rather than silently dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedKinds {
    pub kinds: Vec<PenaltyKind>,
    pub unknown: Vec<String>,
}

impl PenaltyKind {
    /// The Art. 9 name (`其他` for [`PenaltyKind::Other`], without its text).
    pub fn name_zh(&self) -> &'static str {
        match self {
            PenaltyKind::Warning => "警告",
            PenaltyKind::PublicCriticism => "通报批评",
            PenaltyKind::Fine => "罚款",
            PenaltyKind::ConfiscationOfIllegalGains => "没收违法所得",
            PenaltyKind::ConfiscationOfIllegalProperty => "没收非法财物",
            PenaltyKind::LicenceSuspension => "暂扣许可证件",
            PenaltyKind::QualificationDowngrade => "降低资质等级",
            PenaltyKind::LicenceRevocation => "吊销许可证件",
            PenaltyKind::BusinessRestriction => "限制开展生产经营活动",
            PenaltyKind::ProductionSuspension => "责令停产停业",
            PenaltyKind::ClosureOrder => "责令关闭",
            PenaltyKind::EmploymentRestriction => "限制从业",
            PenaltyKind::Detention => "行政拘留",
            PenaltyKind::Other(_) => "其他",
        }
    }

    pub fn name_en(&self) -> &'static str {
        match self {
            PenaltyKind::Warning => "warning",
            PenaltyKind::PublicCriticism => "public criticism",
            PenaltyKind::Fine => "fine",
            PenaltyKind::ConfiscationOfIllegalGains => "confiscation of illegal gains",
            PenaltyKind::ConfiscationOfIllegalProperty => "confiscation of illegal property",
            PenaltyKind::LicenceSuspension => "licence suspension",
            PenaltyKind::QualificationDowngrade => "qualification downgrade",
            PenaltyKind::LicenceRevocation => "licence revocation",
            PenaltyKind::BusinessRestriction => "restriction of business activities",
            PenaltyKind::ProductionSuspension => "order to suspend production or business",
            PenaltyKind::ClosureOrder => "order to close",
            PenaltyKind::EmploymentRestriction => "employment restriction",
            PenaltyKind::Detention => "administrative detention",
            PenaltyKind::Other(_) => "other penalty",
        }
    }

    /// One kind by name: an Art. 9 name or a known variant (`吊销营业执照`), or `其他`/`其它`
    /// followed by free text (`其他：责令改正` → `Other(Some("责令改正"))`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Some(rest) = text
            .strip_prefix("其他")
            .or_else(|| text.strip_prefix("其它"))
        {
            let detail = rest
                .trim_start_matches(|c: char| c.is_whitespace() || ":：-—(（".contains(c))
                .trim_end_matches(|c: char| c.is_whitespace() || ")）".contains(c));
            return Some(PenaltyKind::Other(
                (!detail.is_empty()).then(|| detail.to_owned()),
            ));
        }
        KIND_NAMES
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, kind)| kind.clone())
    }

    /// A 处罚类别 field such as `罚款;没收违法所得` or `警告、罚款`: pieces separated by `;`, `；`,
    /// `、`, `,` or `，`. Each kind is kept once, in order of first appearance; pieces that are
    /// no kind are returned in `unknown`.
    pub fn parse_list(text: &str) -> ParsedKinds {
        let mut parsed = ParsedKinds::default();
        for piece in text.split(KIND_SEPARATORS).map(str::trim) {
            if piece.is_empty() {
                continue;
            }
            match PenaltyKind::parse(piece) {
                Some(kind) if !parsed.kinds.contains(&kind) => parsed.kinds.push(kind),
                Some(_) => {}
                None => parsed.unknown.push(piece.to_owned()),
            }
        }
        parsed
    }

    /// Same kind, ignoring the free text of [`PenaltyKind::Other`]: rule conditions name
    /// kinds, not texts.
    fn same_kind(&self, other: &PenaltyKind) -> bool {
        discriminant(self) == discriminant(other)
    }
}

/// The Chinese name, with the free text of `其他` in brackets.
impl fmt::Display for PenaltyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PenaltyKind::Other(Some(detail)) => write!(f, "其他（{detail}）"),
            kind => f.write_str(kind.name_zh()),
        }
    }
}

/// What the rules need to know about a penalty decision.
#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyFacts {
    /// 处罚决定日期: chooses the regime and starts the window.
    pub decision_date: NaiveDate,
    /// All kinds imposed by the decision; an empty list is judged as `其他`.
    pub kinds: Vec<PenaltyKind>,
    /// The authority's classification, if recorded.
    pub severity: Option<Severity>,
    pub sector: Option<Sector>,
    /// Decided on the spot by simple procedure (简易程序, 行政处罚法 Art. 51).
    pub simple_procedure: bool,
    /// The fine in yuan, if any and known. Only compared against thresholds, so a float is
    /// precise enough; a negative or non-finite amount counts as unknown.
    pub fine_yuan: Option<f64>,
    /// Small-fine thresholds differ for persons and organisations.
    pub subject_is_organisation: bool,
}

/// The publication window of one penalty decision, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicationDecision {
    /// Whether the decision is published at all. When `false`, the dates below carry no
    /// meaning beyond `from` = `until` = the decision date.
    pub publish: bool,
    /// First day shown: the decision date.
    pub from: NaiveDate,
    /// End of the minimum period: the earliest last day if credit repair succeeds. `None` when
    /// repair cannot shorten the window.
    pub min_until: Option<NaiveDate>,
    /// Last day shown (inclusive) unless repair ends it earlier; publication stops
    /// automatically after it.
    pub until: NaiveDate,
    /// Whether credit repair can end publication before `until` (after `min_until`).
    pub repairable: bool,
    /// Id of the regime applied (e.g. `ndrc-order-58`).
    pub regime: String,
    /// The regime's source document (e.g. `发改办财金〔2019〕527号`).
    pub source: String,
    pub reason_zh: String,
    pub reason_en: String,
}

impl PublicationDecision {
    /// Whether the penalty is publicly shown on `today` (before any repair).
    pub fn is_public_on(&self, today: NaiveDate) -> bool {
        self.publish && self.from <= today && today <= self.until
    }

    /// The new last day shown when credit repair is granted on `repair_date`: that day, but
    /// never before the minimum period has run (`min_until`). `None` when repair does not
    /// shorten publication: not published, not repairable, or granted too late to matter.
    pub fn end_after_repair(&self, repair_date: NaiveDate) -> Option<NaiveDate> {
        if !self.publish {
            return None;
        }
        let end = repair_date.max(self.min_until?);
        (end < self.until).then_some(end)
    }
}

/// What the rules need to know about a licence, list entry or other non-penalty item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemFacts {
    /// Decision, listing or grant date: the first day shown.
    pub start: NaiveDate,
    /// 有效期至, the last valid day, if the item states one.
    pub valid_to: Option<NaiveDate>,
    /// The last day the item was in force, if it has ended (withdrawn, revoked, cancelled,
    /// removed from the list).
    pub ended_on: Option<NaiveDate>,
}

/// The publication window of a non-penalty item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemWindow {
    /// First day shown.
    pub from: NaiveDate,
    /// Last day shown (inclusive); `None` while the item stays in force with no end date.
    pub until: Option<NaiveDate>,
    /// The rule id applied (a key of `[items]`).
    pub rule: String,
    pub reason_zh: String,
    pub reason_en: String,
}

impl ItemWindow {
    pub fn is_public_on(&self, today: NaiveDate) -> bool {
        self.from <= today && self.until.is_none_or(|until| today <= until)
    }
}

/// The jurisdiction-wide settings of a rule file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    /// Licence and penalty decisions go online within this many working days
    /// (国办发〔2015〕51号: 7).
    pub publish_within_working_days: u32,
    /// Whether simple-procedure penalties are published here at all (several provinces: no).
    pub publish_simple_procedure: bool,
    /// The provincial "较低数额罚款" threshold of SAMR Order 45 Art. 13, if set.
    #[serde(default)]
    pub small_fine_below_yuan: Option<FineThreshold>,
}

/// A fine strictly below these amounts (yuan) counts as small.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FineThreshold {
    pub person: f64,
    pub organisation: f64,
}

/// One dated penalty regime, in force from `in_force_from` until the next regime starts.
#[derive(Debug, Clone)]
pub struct Regime {
    pub id: String,
    pub source_zh: String,
    pub source_en: String,
    pub in_force_from: NaiveDate,
    publish_simple_procedure: bool,
    unknown_severity: Option<Severity>,
    rules: Vec<Rule>,
    /// The unconditional last rule: keeping it apart makes "every kind meets a rule" a fact of
    /// the type rather than something to re-check at each decision.
    otherwise: Ruling,
}

#[derive(Debug, Clone)]
struct Rule {
    kinds: Option<Vec<PenaltyKind>>,
    sectors: Option<Vec<Sector>>,
    severities: Option<Vec<Severity>>,
    small_fine: bool,
    ruling: Ruling,
}

#[derive(Debug, Clone)]
struct Ruling {
    outcome: Outcome,
    note_zh: String,
    note_en: String,
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    NotPublished,
    /// Shown for `max`; with `min`, repair may end it once `min` has run.
    Published {
        min: Option<Period>,
        max: Period,
    },
}

/// The period rule of a non-penalty item.
#[derive(Debug, Clone, Copy)]
enum ItemPeriod {
    WhileInForce,
    UntilValidTo,
    Fixed(Period),
}

#[derive(Debug, Clone)]
struct ItemRule {
    name_zh: String,
    name_en: String,
    period: ItemPeriod,
    note_zh: String,
    note_en: String,
}

/// Publication-period rules of one jurisdiction: penalty regimes and item rules, validated.
#[derive(Debug, Clone)]
pub struct PublicationRules {
    jurisdiction: Jurisdiction,
    regimes: Vec<Regime>,
    items: BTreeMap<String, ItemRule>,
}

impl PublicationRules {
    /// The national defaults embedded from `catalog/publication.toml`, parsed once.
    pub fn default_rules() -> &'static PublicationRules {
        &DEFAULT_RULES
    }

    /// Parses and validates a rule file (the layout of `catalog/publication.toml`): regimes
    /// oldest first and not starting on the same day, positive periods, `min` ≤ `max`, a last
    /// unconditional rule per regime, known penalty kinds.
    pub fn from_toml(text: &str) -> Result<Self, RuleError> {
        let raw: RawRules = toml::from_str(text)?;
        validate_jurisdiction(&raw.jurisdiction)?;
        if raw.regimes.is_empty() {
            return Err(RuleError::NoRegimes);
        }
        let regimes = raw
            .regimes
            .into_iter()
            .map(Regime::from_raw)
            .collect::<Result<Vec<_>, _>>()?;
        check_regime_order(&regimes)?;
        let items = raw
            .items
            .into_iter()
            .map(|(id, item)| {
                if id == PENALTY_RULE {
                    return Err(RuleError::ReservedItemId(id));
                }
                let rule = ItemRule::from_raw(&id, item)?;
                Ok((id, rule))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        Ok(Self {
            jurisdiction: raw.jurisdiction,
            regimes,
            items,
        })
    }

    pub fn jurisdiction(&self) -> &Jurisdiction {
        &self.jurisdiction
    }

    /// The penalty regimes, oldest first.
    pub fn regimes(&self) -> &[Regime] {
        &self.regimes
    }

    /// The regime in force on `date`, or `None` before the first one.
    pub fn regime_on(&self, date: NaiveDate) -> Option<&Regime> {
        let in_force = self.regimes.partition_point(|r| r.in_force_from <= date);
        in_force.checked_sub(1).and_then(|i| self.regimes.get(i))
    }

    /// Whether `id` names a rule a catalog item may refer to: [`PENALTY_RULE`] or an item.
    pub fn has_rule(&self, id: &str) -> bool {
        id == PENALTY_RULE || self.items.contains_key(id)
    }

    /// The last day to put a licence or penalty decision of `decided` online
    /// (`publish_within_working_days` after it).
    pub fn publication_deadline(
        &self,
        calendar: &WorkCalendar,
        decided: NaiveDate,
    ) -> Dated<NaiveDate> {
        calendar.add_working_days(decided, self.jurisdiction.publish_within_working_days)
    }

    /// The publication window of a penalty decision under the regime in force on its decision
    /// date. Each kind meets the first matching rule; with several kinds the longest window
    /// wins. Assumptions made for missing facts (severity, fine amount, kinds) are stated in
    /// the reasons.
    pub fn penalty_window(&self, facts: &PenaltyFacts) -> PublicationDecision {
        let mut notes = Notes::default();
        let regime = match self.regime_on(facts.decision_date) {
            Some(regime) => regime,
            None => {
                // Validation guarantees at least one regime; the earliest is the closest
                // rule there is for decisions older than all of them.
                let earliest = &self.regimes[0];
                notes.push(
                    format!(
                        "处罚决定早于最早规则施行日（{}），按该规则处理",
                        earliest.in_force_from
                    ),
                    format!(
                        "decision predates the earliest regime ({}); judged by it",
                        earliest.in_force_from
                    ),
                );
                earliest
            }
        };
        if facts.simple_procedure
            && let Some((main_zh, main_en)) = self.simple_procedure_exclusion(regime)
        {
            return Verdict {
                window: None,
                main_zh,
                main_en,
                notes,
            }
            .into_decision(regime, facts.decision_date);
        }

        let judged_as_other;
        let kinds: &[PenaltyKind] = if facts.kinds.is_empty() {
            notes.push(
                "未载明处罚类型，按“其他”处理".to_owned(),
                "no penalty kind given; judged as other".to_owned(),
            );
            judged_as_other = [PenaltyKind::Other(None)];
            &judged_as_other
        } else {
            &facts.kinds
        };

        let mut trace = Trace::default();
        let context = JudgeContext {
            facts,
            severity: facts.severity.or(regime.unknown_severity),
            small_fine: self.fine_is_small(facts),
        };
        // Each kind's ruling and window; the longest published window decides.
        let judged: Vec<(&PenaltyKind, &Ruling, Option<Window>)> = kinds
            .iter()
            .map(|kind| {
                let ruling = regime.ruling_for(kind, &context, &mut trace);
                let window = ruling.outcome.window(facts.decision_date);
                (kind, ruling, window)
            })
            .collect();
        // `max_by_key` keeps the last of equal windows; reversed, that is the first kind given.
        let decisive = judged
            .iter()
            .rev()
            .filter_map(|&(kind, ruling, window)| window.map(|w| (kind, ruling, w)))
            .max_by_key(|(_, _, window)| window.sort_key());

        if let Some(undecided) = trace.fine_undecided {
            notes.push_pair(undecided.note());
        }
        if let (true, Some(assumed)) = (trace.severity_assumed, context.severity) {
            notes.push(
                format!(
                    "未载明失信严重程度，从严按“{}”处理，认定后应重新计算",
                    assumed.name_zh()
                ),
                format!(
                    "severity not recorded; conservatively judged as {} until classified",
                    assumed.id()
                ),
            );
        }

        let (kind, ruling, window) = match decisive {
            Some((kind, ruling, window)) => (kind, ruling, Some(window)),
            // Nothing published: explain by the first kind's rule. `kinds` is never empty (an
            // empty list is judged as 其他), so neither is `judged`.
            None => {
                let (kind, ruling, _) = judged[0];
                (kind, ruling, None)
            }
        };
        if kinds.len() > 1 && window.is_some() {
            notes.push(
                format!("多种处罚类型，按期限最长的“{kind}”确定"),
                format!(
                    "several penalty kinds; the longest period ({}) applies",
                    kind.name_en()
                ),
            );
        }
        Verdict {
            window,
            main_zh: format!("{kind}：{}", ruling.note_zh),
            main_en: format!("{}: {}", kind.name_en(), ruling.note_en),
            notes,
        }
        .into_decision(regime, facts.decision_date)
    }

    /// The publication window of a non-penalty item under rule `rule_id` (a key of `[items]`,
    /// e.g. `licence`), or `None` if the rules have no such item.
    pub fn item_window(&self, rule_id: &str, facts: &ItemFacts) -> Option<ItemWindow> {
        let rule = self.items.get(rule_id)?;
        let until = match rule.period {
            ItemPeriod::WhileInForce => facts.ended_on,
            ItemPeriod::UntilValidTo => earliest(facts.valid_to, facts.ended_on),
            ItemPeriod::Fixed(period) => earliest(
                Some(calendar::add_period(facts.start, period)),
                facts.ended_on,
            ),
        };
        Some(ItemWindow {
            from: facts.start,
            until,
            rule: rule_id.to_owned(),
            reason_zh: format!("{}：{}", rule.name_zh, rule.note_zh),
            reason_en: format!("{}: {}", rule.name_en, rule.note_en),
        })
    }

    /// Why a simple-procedure penalty is not published under `regime` here (Chinese,
    /// English), or `None` if it is.
    fn simple_procedure_exclusion(&self, regime: &Regime) -> Option<(String, String)> {
        if !regime.publish_simple_procedure {
            Some((
                "简易程序作出的行政处罚不予公示".to_owned(),
                "penalties decided by simple procedure are not published under this regime"
                    .to_owned(),
            ))
        } else if !self.jurisdiction.publish_simple_procedure {
            Some((
                format!(
                    "{}不将简易程序作出的行政处罚作为失信信息公示",
                    self.jurisdiction.name_zh
                ),
                format!(
                    "{} does not publish penalties decided by simple procedure",
                    self.jurisdiction.name_en
                ),
            ))
        } else {
            None
        }
    }

    /// Whether the fine counts as "较低数额" here; `Err` says why that cannot be told.
    fn fine_is_small(&self, facts: &PenaltyFacts) -> Result<bool, FineUndecided> {
        let threshold = self
            .jurisdiction
            .small_fine_below_yuan
            .ok_or(FineUndecided::NoThreshold)?;
        let amount = facts
            .fine_yuan
            .filter(|yuan| yuan.is_finite() && *yuan >= 0.0)
            .ok_or(FineUndecided::NoAmount)?;
        let limit = if facts.subject_is_organisation {
            threshold.organisation
        } else {
            threshold.person
        };
        Ok(amount < limit)
    }
}

/// The facts as a rule sees them, after regime defaults are applied.
struct JudgeContext<'a> {
    facts: &'a PenaltyFacts,
    /// The recorded severity, or the regime's `unknown_severity`.
    severity: Option<Severity>,
    small_fine: Result<bool, FineUndecided>,
}

/// Which assumptions actually influenced a ruling, so reasons mention only those.
#[derive(Default)]
struct Trace {
    severity_assumed: bool,
    fine_undecided: Option<FineUndecided>,
}

#[derive(Debug, Clone, Copy)]
enum FineUndecided {
    NoThreshold,
    NoAmount,
}

impl FineUndecided {
    fn note(self) -> (String, String) {
        match self {
            FineUndecided::NoThreshold => (
                "本地区未设定“较低数额罚款”标准，罚款不按较低数额处理".to_owned(),
                "no small-fine threshold is set for this jurisdiction; the fine is not treated \
                 as small"
                    .to_owned(),
            ),
            FineUndecided::NoAmount => (
                "罚款金额不详，不按较低数额处理".to_owned(),
                "fine amount unknown; not treated as small".to_owned(),
            ),
        }
    }
}

impl Regime {
    /// The first rule matching `kind`, else the unconditional one.
    fn ruling_for(
        &self,
        kind: &PenaltyKind,
        context: &JudgeContext<'_>,
        trace: &mut Trace,
    ) -> &Ruling {
        self.rules
            .iter()
            .find(|rule| rule.matches(kind, context, trace))
            .map_or(&self.otherwise, |rule| &rule.ruling)
    }
}

impl Rule {
    fn matches(&self, kind: &PenaltyKind, context: &JudgeContext<'_>, trace: &mut Trace) -> bool {
        if let Some(kinds) = &self.kinds
            && !kinds.iter().any(|k| k.same_kind(kind))
        {
            return false;
        }
        if let Some(sectors) = &self.sectors
            && !context.facts.sector.is_some_and(|s| sectors.contains(&s))
        {
            return false;
        }
        if self.small_fine {
            if *kind != PenaltyKind::Fine {
                return false;
            }
            match context.small_fine {
                Ok(true) => {}
                Ok(false) => return false,
                Err(undecided) => {
                    trace.fine_undecided = Some(undecided);
                    return false;
                }
            }
        }
        // Severity last, so an assumed severity is only reported when it decided something.
        if let Some(severities) = &self.severities {
            if context.facts.severity.is_none() {
                trace.severity_assumed = true;
            }
            if !context.severity.is_some_and(|s| severities.contains(&s)) {
                return false;
            }
        }
        true
    }
}

/// A published window in dates.
#[derive(Debug, Clone, Copy)]
struct Window {
    until: NaiveDate,
    min_until: Option<NaiveDate>,
}

impl Window {
    /// Longest first by the automatic end, then by how long it must at least be shown (a
    /// window without repair must be shown to its end).
    fn sort_key(self) -> (NaiveDate, NaiveDate) {
        (self.until, self.min_until.unwrap_or(self.until))
    }
}

impl Outcome {
    fn window(self, from: NaiveDate) -> Option<Window> {
        match self {
            Outcome::NotPublished => None,
            Outcome::Published { min, max } => Some(Window {
                until: calendar::add_period(from, max),
                min_until: min.map(|min| calendar::add_period(from, min)),
            }),
        }
    }
}

/// Extra sentences for the reasons, in both languages.
#[derive(Default)]
struct Notes {
    zh: Vec<String>,
    en: Vec<String>,
}

impl Notes {
    fn push(&mut self, zh: String, en: String) {
        self.zh.push(zh);
        self.en.push(en);
    }

    fn push_pair(&mut self, (zh, en): (String, String)) {
        self.push(zh, en);
    }
}

struct Verdict {
    window: Option<Window>,
    main_zh: String,
    main_en: String,
    notes: Notes,
}

impl Verdict {
    fn into_decision(self, regime: &Regime, decided: NaiveDate) -> PublicationDecision {
        let mut reason_zh = format!(
            "依据{}（{}起施行）：{}",
            regime.source_zh, regime.in_force_from, self.main_zh
        );
        let mut reason_en = format!(
            "{} (in force from {}): {}",
            regime.source_en, regime.in_force_from, self.main_en
        );
        for note in &self.notes.zh {
            reason_zh.push('；');
            reason_zh.push_str(note);
        }
        for note in &self.notes.en {
            reason_en.push_str("; ");
            reason_en.push_str(note);
        }
        PublicationDecision {
            publish: self.window.is_some(),
            from: decided,
            min_until: self.window.and_then(|w| w.min_until),
            until: self.window.map_or(decided, |w| w.until),
            repairable: self.window.is_some_and(|w| w.min_until.is_some()),
            regime: regime.id.clone(),
            source: regime.source_zh.clone(),
            reason_zh,
            reason_en,
        }
    }
}

fn earliest(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether `shorter` never ends after `longer` when both start on the same day. Days and
/// months are not commensurable (a month is 28–31 days), so compare the end dates over every
/// start day of a four-year cycle, which covers every month length and a leap year.
fn never_longer(shorter: Period, longer: Period) -> bool {
    REFERENCE_CYCLE_START
        .iter_days()
        .take(REFERENCE_CYCLE_DAYS)
        .all(|start| calendar::add_period(start, shorter) <= calendar::add_period(start, longer))
}

fn validate_jurisdiction(jurisdiction: &Jurisdiction) -> Result<(), RuleError> {
    if jurisdiction.publish_within_working_days == 0 {
        return Err(RuleError::InvalidJurisdiction(
            "publish_within_working_days must be positive".to_owned(),
        ));
    }
    if let Some(threshold) = jurisdiction.small_fine_below_yuan {
        for (who, amount) in [
            ("person", threshold.person),
            ("organisation", threshold.organisation),
        ] {
            if !(amount.is_finite() && amount > 0.0) {
                return Err(RuleError::InvalidJurisdiction(format!(
                    "small_fine_below_yuan.{who} must be a positive amount, got {amount}"
                )));
            }
        }
    }
    Ok(())
}

/// Regimes must be strictly increasing by start date: each lasts until the next begins, so an
/// equal start would leave two regimes in force at once.
fn check_regime_order(regimes: &[Regime]) -> Result<(), RuleError> {
    let mut ids = HashSet::new();
    for regime in regimes {
        if !ids.insert(regime.id.as_str()) {
            return Err(RuleError::DuplicateRegime(regime.id.clone()));
        }
    }
    for pair in regimes.windows(2) {
        let [earlier, later] = pair else { continue };
        if later.in_force_from == earlier.in_force_from {
            return Err(RuleError::Overlap {
                first: earlier.id.clone(),
                second: later.id.clone(),
                date: later.in_force_from,
            });
        }
        if later.in_force_from < earlier.in_force_from {
            return Err(RuleError::NotSorted {
                earlier: earlier.id.clone(),
                earlier_from: earlier.in_force_from,
                later: later.id.clone(),
                later_from: later.in_force_from,
            });
        }
    }
    Ok(())
}

fn parse_period(context: &str, text: &str) -> Result<Period, RuleError> {
    let period: Period = text.parse().map_err(|source| RuleError::BadPeriod {
        context: context.to_owned(),
        source,
    })?;
    if period.count() == 0 {
        return Err(RuleError::ZeroPeriod {
            context: context.to_owned(),
            period,
        });
    }
    Ok(period)
}

impl Regime {
    fn from_raw(raw: RawRegime) -> Result<Self, RuleError> {
        let in_force_from = toml_date(&raw.in_force_from).ok_or_else(|| RuleError::BadDate {
            regime: raw.id.clone(),
            value: raw.in_force_from.to_string(),
        })?;
        let mut rules = raw
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, rule)| Rule::from_raw(&format!("regime {}, rule {}", raw.id, i + 1), rule))
            .collect::<Result<Vec<_>, _>>()?;
        let otherwise = match rules.pop() {
            Some(last) if last.is_unconditional() => last.ruling,
            _ => return Err(RuleError::NoCatchAll(raw.id)),
        };
        if raw.unknown_severity.is_none() && rules.iter().any(|r| r.severities.is_some()) {
            return Err(RuleError::MissingUnknownSeverity(raw.id));
        }
        Ok(Self {
            id: raw.id,
            source_zh: raw.source_zh,
            source_en: raw.source_en,
            in_force_from,
            publish_simple_procedure: raw.publish_simple_procedure,
            unknown_severity: raw.unknown_severity,
            rules,
            otherwise,
        })
    }
}

impl Rule {
    fn from_raw(context: &str, raw: RawRule) -> Result<Self, RuleError> {
        let invalid = |problem: &str| RuleError::InvalidRule {
            context: context.to_owned(),
            problem: problem.to_owned(),
        };
        let kinds = match raw.kinds {
            None => None,
            Some(names) if names.is_empty() => {
                return Err(invalid("kinds is empty; leave it out to match every kind"));
            }
            Some(names) => Some(
                names
                    .iter()
                    .map(|name| {
                        PenaltyKind::parse(name).ok_or_else(|| RuleError::UnknownKind {
                            context: context.to_owned(),
                            name: name.clone(),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        if raw.sectors.as_ref().is_some_and(Vec::is_empty) {
            return Err(invalid(
                "sectors is empty; leave it out to match every sector",
            ));
        }
        if raw.severities.as_ref().is_some_and(Vec::is_empty) {
            return Err(invalid(
                "severities is empty; leave it out to match every severity",
            ));
        }
        let outcome = match (raw.publish, raw.min, raw.max) {
            (false, None, None) => Outcome::NotPublished,
            (false, _, _) => return Err(invalid("a rule with publish = false has no min or max")),
            (true, _, None) => return Err(invalid("a published rule needs max")),
            (true, min, Some(max)) => {
                let max = parse_period(context, &max)?;
                let min = min.map(|min| parse_period(context, &min)).transpose()?;
                if let Some(min) = min
                    && !never_longer(min, max)
                {
                    return Err(RuleError::MinExceedsMax {
                        context: context.to_owned(),
                        min,
                        max,
                    });
                }
                Outcome::Published { min, max }
            }
        };
        Ok(Self {
            kinds,
            sectors: raw.sectors,
            severities: raw.severities,
            small_fine: raw.small_fine,
            ruling: Ruling {
                outcome,
                note_zh: raw.note_zh,
                note_en: raw.note_en,
            },
        })
    }

    fn is_unconditional(&self) -> bool {
        self.kinds.is_none()
            && self.sectors.is_none()
            && self.severities.is_none()
            && !self.small_fine
    }
}

impl ItemRule {
    fn from_raw(id: &str, raw: RawItem) -> Result<Self, RuleError> {
        let period = match raw.period.as_str() {
            "while_in_force" => ItemPeriod::WhileInForce,
            "until_valid_to" => ItemPeriod::UntilValidTo,
            other => ItemPeriod::Fixed(parse_period(&format!("[items.{id}] period"), other)?),
        };
        Ok(Self {
            name_zh: raw.name_zh,
            name_en: raw.name_en,
            period,
            note_zh: raw.note_zh,
            note_en: raw.note_en,
        })
    }
}

/// A TOML local date (`2023-05-01`, no time or offset).
fn toml_date(value: &toml::value::Datetime) -> Option<NaiveDate> {
    match (value.date, value.time, value.offset) {
        (Some(date), None, None) => NaiveDate::from_ymd_opt(
            i32::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        ),
        _ => None,
    }
}

/// The rule file as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    jurisdiction: Jurisdiction,
    #[serde(rename = "regime", default)]
    regimes: Vec<RawRegime>,
    #[serde(default)]
    items: BTreeMap<String, RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegime {
    id: String,
    source_zh: String,
    source_en: String,
    in_force_from: toml::value::Datetime,
    #[serde(default)]
    unknown_severity: Option<Severity>,
    #[serde(default = "yes")]
    publish_simple_procedure: bool,
    #[serde(rename = "rule", default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    kinds: Option<Vec<String>>,
    #[serde(default)]
    sectors: Option<Vec<Sector>>,
    #[serde(default)]
    severities: Option<Vec<Severity>>,
    #[serde(default)]
    small_fine: bool,
    #[serde(default = "yes")]
    publish: bool,
    #[serde(default)]
    min: Option<String>,
    #[serde(default)]
    max: Option<String>,
    note_zh: String,
    note_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    name_zh: String,
    name_en: String,
    period: String,
    note_zh: String,
    note_en: String,
}

fn yes() -> bool {
    true
}
