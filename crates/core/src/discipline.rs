//! Joint reward and discipline (联合奖惩): the list types, the measures list, and the check
//! that approving departments run before they grant something (应查必查).
//!
//! Both lists are data (`catalog/lists.toml`, `catalog/measures.toml`), checked against the
//! item catalog when loaded. A check can only answer with a [`Measure`] of the loaded list,
//! and a measure only follows the list types (and least severity) or the kinds of record it
//! names: proportionality (过惩相当, 国办发〔2020〕49号 第（十）项) is a rule of the data,
//! checked at load, and of [`check`], which never widens a trigger.

use std::collections::{BTreeSet, HashSet};

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, CatalogError, Item, LegalBasis, Polarity};
use crate::publication::PenaltyKind;
use crate::record::{Record, RecordId, RecordStatus};

const EMBEDDED_LISTS: &str = include_str!("../../../catalog/lists.toml");
const EMBEDDED_MEASURES: &str = include_str!("../../../catalog/measures.toml");

/// Black lists restrict, the attention list watches, red lists reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Black,
    Attention,
    Red,
}

/// How grave the conduct behind a list is, least grave first: the scale proportionality is
/// checked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Attention,
    General,
    Serious,
}

/// The longest an entry may stay on a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Duration {
    #[serde(default)]
    pub years: u32,
    #[serde(default)]
    pub months: u32,
}

impl Duration {
    fn months(self) -> u32 {
        self.years * 12 + self.months
    }

    /// The last day of a period of this length that starts on `from` (inclusive).
    pub fn last_day_from(self, from: NaiveDate) -> NaiveDate {
        from.checked_add_months(Months::new(self.months()))
            .and_then(|end| end.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }
}

/// A list type (名单).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListType {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: ListKind,
    /// Required for black and attention lists; red lists have none.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// The catalog item whose records are this list's entries.
    pub item: String,
    pub listed_by_zh: String,
    pub listed_by_en: String,
    pub max_duration: Duration,
    /// Working days the subject has to object after prior notice; 0 where the list is
    /// decided outside the platform (courts).
    pub prior_notice_working_days: u32,
    pub repairable: bool,
    pub removal_conditions_zh: Vec<String>,
    pub basis: Vec<LegalBasis>,
}

/// A business scenario in which approving departments check applicants.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    Discipline,
    Reward,
}

/// The classes of the national basic measures list (2021), plus rewards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureClass {
    /// 减损权益或增加义务的措施, by public bodies.
    RightsReducing,
    /// 根据履职需要实施的相关管理措施.
    Management,
    /// 由公共管理机构以外的组织自主实施的措施: never mandatory.
    Market,
    Reward,
}

/// A condition on a field's text: the field contains any of the words.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldContains {
    pub field: String,
    pub any: Vec<String>,
}

/// What sets a measure off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// A list type: an entry in force on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// With `list`: the least severity the list must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
    /// A catalog item: a record of it in force, decided within `within_years`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// With `item`: the record imposed at least one of these penalty kinds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub penalty_kinds: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_contains: Option<FieldContains>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_years: Option<u32>,
}

/// A measure of the measures list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub id: String,
    pub kind: MeasureKind,
    pub class: MeasureClass,
    /// Mandatory (应当) or recommended (可以).
    pub mandatory: bool,
    pub content_zh: String,
    pub content_en: String,
    pub scenarios: Vec<String>,
    pub implemented_by_zh: String,
    /// Whether it also reaches the subject's legal representative and responsible persons.
    pub reaches_responsible_persons: bool,
    pub basis: Vec<LegalBasis>,
    pub triggers: Vec<Trigger>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListsFile {
    lists: Vec<ListType>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasuresFile {
    version: String,
    scenarios: Vec<Scenario>,
    measures: Vec<Measure>,
}

/// The list types, scenarios and measures, checked against each other and the item catalog.
#[derive(Debug, Clone, Serialize)]
pub struct Discipline {
    /// Version of the measures list; every check answer names it.
    pub version: String,
    pub lists: Vec<ListType>,
    pub scenarios: Vec<Scenario>,
    pub measures: Vec<Measure>,
}

impl Discipline {
    /// The lists and measures embedded in the binary, checked against `catalog`.
    pub fn embedded(catalog: &Catalog) -> Result<Discipline, CatalogError> {
        Self::from_sources(EMBEDDED_LISTS, EMBEDDED_MEASURES, catalog)
    }

    /// Parses and checks `lists.toml` and `measures.toml`.
    pub fn from_sources(
        lists: &str,
        measures: &str,
        catalog: &Catalog,
    ) -> Result<Discipline, CatalogError> {
        let syntax = |file: &str| {
            let file = file.to_owned();
            move |source| CatalogError::Syntax { file, source }
        };
        let lists: ListsFile = toml::from_str(lists).map_err(syntax("lists.toml"))?;
        let measures: MeasuresFile = toml::from_str(measures).map_err(syntax("measures.toml"))?;
        let discipline = Discipline {
            version: measures.version,
            lists: lists.lists,
            scenarios: measures.scenarios,
            measures: measures.measures,
        };
        let invalid = |file: &str| {
            let file = file.to_owned();
            move |message| CatalogError::Invalid { file, message }
        };
        discipline
            .check_lists(catalog)
            .map_err(invalid("lists.toml"))?;
        discipline
            .check_measures(catalog)
            .map_err(invalid("measures.toml"))?;
        Ok(discipline)
    }

    pub fn list(&self, id: &str) -> Option<&ListType> {
        self.lists.iter().find(|l| l.id == id)
    }

    /// The list type whose entries are records of `item`.
    pub fn list_of_item(&self, item: &str) -> Option<&ListType> {
        self.lists.iter().find(|l| l.item == item)
    }

    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    pub fn measure(&self, id: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.id == id)
    }

    /// The items whose records can change the answer of a check in `scenario`: the entries of
    /// black lists (always shown), of the lists its measures follow, and the records its
    /// measures' record triggers name. A subject holding none of them gets an empty answer.
    pub fn items_relevant_to(&self, scenario: &str) -> Vec<&str> {
        let mut items: Vec<&str> = self
            .lists
            .iter()
            .filter(|l| l.kind == ListKind::Black)
            .map(|l| l.item.as_str())
            .collect();
        for trigger in self
            .measures
            .iter()
            .filter(|m| m.scenarios.iter().any(|s| s == scenario))
            .flat_map(|m| &m.triggers)
        {
            let item = match (&trigger.list, &trigger.item) {
                (Some(list), _) => self.list(list).map(|l| l.item.as_str()),
                (None, Some(item)) => Some(item.as_str()),
                (None, None) => None,
            };
            if let Some(item) = item
                && !items.contains(&item)
            {
                items.push(item);
            }
        }
        items
    }

    fn check_lists(&self, catalog: &Catalog) -> Result<(), String> {
        let mut ids = BTreeSet::new();
        let mut items = BTreeSet::new();
        for list in &self.lists {
            if !ids.insert(list.id.as_str()) {
                return Err(format!("list `{}` appears twice", list.id));
            }
            let Some(item) = catalog.item(&list.item) else {
                return Err(format!(
                    "list `{}` names item `{}`, which the catalog does not define",
                    list.id, list.item
                ));
            };
            if !items.insert(list.item.as_str()) {
                return Err(format!(
                    "list `{}`: item `{}` already holds another list's entries",
                    list.id, list.item
                ));
            }
            check_basis(&format!("list `{}`", list.id), &list.basis)?;
            let polarity_ok = match list.kind {
                ListKind::Red => item.polarity == Polarity::Positive,
                ListKind::Black | ListKind::Attention => item.polarity == Polarity::Negative,
            };
            if !polarity_ok {
                return Err(format!(
                    "list `{}` is a {:?} list but item `{}` is {:?}",
                    list.id, list.kind, item.id, item.polarity
                ));
            }
            match (list.kind, list.severity) {
                (ListKind::Red, None) => {}
                (ListKind::Red, Some(_)) => {
                    return Err(format!("list `{}`: a red list has no severity", list.id));
                }
                (_, None) => {
                    return Err(format!(
                        "list `{}`: black and attention lists need a severity",
                        list.id
                    ));
                }
                (ListKind::Attention, Some(severity)) if severity != Severity::Attention => {
                    return Err(format!(
                        "list `{}`: an attention list has severity `attention`",
                        list.id
                    ));
                }
                _ => {}
            }
            if list.max_duration.months() == 0 {
                return Err(format!("list `{}`: max_duration must be positive", list.id));
            }
            if list.removal_conditions_zh.is_empty() {
                return Err(format!(
                    "list `{}`: the removal conditions must be stated",
                    list.id
                ));
            }
        }
        Ok(())
    }

    fn check_measures(&self, catalog: &Catalog) -> Result<(), String> {
        if self.version.trim().is_empty() {
            return Err("version must not be empty".into());
        }
        let mut scenario_ids = BTreeSet::new();
        for scenario in &self.scenarios {
            if !scenario_ids.insert(scenario.id.as_str()) {
                return Err(format!("scenario `{}` appears twice", scenario.id));
            }
        }
        let mut ids = BTreeSet::new();
        for measure in &self.measures {
            let name = format!("measure `{}`", measure.id);
            if !ids.insert(measure.id.as_str()) {
                return Err(format!("{name} appears twice"));
            }
            check_basis(&name, &measure.basis)?;
            if measure.scenarios.is_empty() {
                return Err(format!("{name} names no scenario"));
            }
            if let Some(unknown) = measure
                .scenarios
                .iter()
                .find(|s| !scenario_ids.contains(s.as_str()))
            {
                return Err(format!(
                    "{name} names scenario `{unknown}`, which is not defined"
                ));
            }
            match (measure.kind, measure.class) {
                (MeasureKind::Reward, MeasureClass::Reward) => {}
                (MeasureKind::Reward, _) | (MeasureKind::Discipline, MeasureClass::Reward) => {
                    return Err(format!(
                        "{name}: rewards, and only rewards, have class `reward`"
                    ));
                }
                (MeasureKind::Discipline, MeasureClass::Market) if measure.mandatory => {
                    return Err(format!(
                        "{name}: a measure taken by organisations other than public bodies \
                         cannot be mandatory (国办发〔2020〕49号 第（九）项)"
                    ));
                }
                _ => {}
            }
            if measure.triggers.is_empty() {
                return Err(format!("{name} has no trigger"));
            }
            for trigger in &measure.triggers {
                self.check_trigger(catalog, measure, trigger)
                    .map_err(|message| format!("{name}: {message}"))?;
            }
        }
        Ok(())
    }

    fn check_trigger(
        &self,
        catalog: &Catalog,
        measure: &Measure,
        trigger: &Trigger,
    ) -> Result<(), String> {
        match (&trigger.list, &trigger.item) {
            (Some(list_id), None) => {
                let has_record_conditions = !trigger.penalty_kinds.is_empty()
                    || trigger.field_contains.is_some()
                    || trigger.within_years.is_some();
                if has_record_conditions {
                    return Err(format!(
                        "the trigger on list `{list_id}` has record conditions; they belong to `item` triggers"
                    ));
                }
                let list = self.list(list_id).ok_or_else(|| {
                    format!("trigger names list `{list_id}`, which is not defined")
                })?;
                match (measure.kind, list.kind) {
                    (MeasureKind::Reward, ListKind::Red) => {}
                    (MeasureKind::Reward, _) => {
                        return Err(format!("a reward cannot follow list `{list_id}`"));
                    }
                    (MeasureKind::Discipline, ListKind::Red) => {
                        return Err(format!(
                            "a discipline measure cannot follow red list `{list_id}`"
                        ));
                    }
                    (MeasureKind::Discipline, _) => {}
                }
                if measure.class == MeasureClass::RightsReducing
                    && list.severity == Some(Severity::Attention)
                {
                    return Err(format!(
                        "a measure that reduces rights cannot follow list `{list_id}`, whose severity is only `attention` (过惩相当, 国办发〔2020〕49号 第（十）项)"
                    ));
                }
                if let (Some(min), Some(severity)) = (trigger.min_severity, list.severity)
                    && severity < min
                {
                    return Err(format!(
                        "the trigger needs severity `{min:?}` but list `{list_id}` is `{severity:?}`: it could never apply"
                    ));
                }
                Ok(())
            }
            (None, Some(item_id)) => {
                if trigger.min_severity.is_some() {
                    return Err("min_severity belongs to list triggers".into());
                }
                let item = catalog.item(item_id).ok_or_else(|| {
                    format!("trigger names item `{item_id}`, which the catalog does not define")
                })?;
                if measure.kind == MeasureKind::Discipline && item.polarity != Polarity::Negative {
                    return Err(format!(
                        "a discipline measure cannot follow records of `{item_id}`, which are not negative"
                    ));
                }
                if self.list_of_item(item_id).is_some() {
                    return Err(format!(
                        "records of `{item_id}` are list entries; trigger on the list instead"
                    ));
                }
                if !trigger.penalty_kinds.is_empty() && item.roles.penalty_kinds.is_none() {
                    return Err(format!("item `{item_id}` has no penalty kinds to match"));
                }
                if let Some(unknown) = trigger
                    .penalty_kinds
                    .iter()
                    .find(|k| !matches!(PenaltyKind::parse(k), Some(kind) if !matches!(kind, PenaltyKind::Other(_))))
                {
                    return Err(format!("`{unknown}` is not a penalty kind of the penalty law"));
                }
                if let Some(contains) = &trigger.field_contains {
                    if item.field(&contains.field).is_none() {
                        return Err(format!(
                            "item `{item_id}` has no field `{}`",
                            contains.field
                        ));
                    }
                    if contains.any.is_empty() || contains.any.iter().any(|w| w.trim().is_empty()) {
                        return Err("field_contains needs non-empty words".into());
                    }
                }
                if trigger.within_years.is_none_or(|years| years == 0) {
                    return Err(format!(
                        "the trigger on `{item_id}` records needs within_years ≥ 1: no record counts forever"
                    ));
                }
                Ok(())
            }
            _ => Err("a trigger names exactly one of `list` or `item`".into()),
        }
    }
}

fn check_basis(name: &str, basis: &[LegalBasis]) -> Result<(), String> {
    if basis.is_empty() {
        return Err(format!("{name} has no legal basis"));
    }
    match basis
        .iter()
        .find(|b| b.article.as_deref().is_none_or(|a| a.trim().is_empty()))
    {
        Some(b) => Err(format!(
            "{name}: the basis `{}` must name the article",
            b.title
        )),
        None => Ok(()),
    }
}

/// A record about the subject, as the check sees it.
#[derive(Debug, Clone, Copy)]
pub struct HeldRecord<'a> {
    pub id: RecordId,
    pub record: &'a Record,
    pub status: RecordStatus,
    /// An objection to it is being verified: it is shown, not enforced (国发〔2016〕33号 第（二十二）项).
    pub under_objection: bool,
    /// The day its credit repair was approved: from then on it triggers nothing (国办发〔2020〕49号
    /// 第（十一）项: 终止实施联合惩戒措施). A repaired list entry also carries its removal.
    pub repaired_on: Option<NaiveDate>,
}

/// The days a list entry is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EntryTerm {
    pub from: NaiveDate,
    /// Last day in force (inclusive): the entry's own end, capped by the list's maximum.
    pub until: NaiveDate,
    /// Removed early (移出), from this day on.
    pub removed_on: Option<NaiveDate>,
}

impl EntryTerm {
    /// The term of a list entry: from its decision date to its stated end, never past the
    /// list's maximum duration.
    pub fn of(list: &ListType, item: &Item, record: &Record) -> EntryTerm {
        let date = |code: &Option<String>| {
            code.as_deref()
                .and_then(|c| record.field(c))
                .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
        };
        let from = record.decision_date;
        let longest = list.max_duration.last_day_from(from);
        let until = date(&item.roles.valid_to).map_or(longest, |end| end.min(longest));
        EntryTerm {
            from,
            until,
            removed_on: date(&item.roles.ended_on),
        }
    }

    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.until && self.removed_on.is_none_or(|r| day < r)
    }
}

/// Why a record counts in a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HitKind {
    /// An entry in force on a list.
    ListEntry { list: String, term: EntryTerm },
    /// A record that a measure's record trigger names.
    Record,
}

/// A record that counts in a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub record: RecordId,
    pub item: String,
    #[serde(flatten)]
    pub kind: HitKind,
    pub decision_date: NaiveDate,
    pub document_no: String,
    pub source_unit: String,
    /// Shown but not enforced while an objection is verified.
    pub suspended: bool,
}

/// A measure that applies, and the hits that set it off.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedMeasure<'a> {
    pub measure: &'a Measure,
    pub triggered_by: Vec<RecordId>,
    /// Every hit behind it is under objection: shown, not to be enforced.
    pub suspended: bool,
}

/// Why a reward does not apply although a red list hit.
#[derive(Debug, Clone, Serialize)]
pub struct WithheldReward<'a> {
    pub measure: &'a Measure,
    pub reason_zh: &'static str,
    pub reason_en: &'static str,
}

/// The answer to a check of one subject in one scenario on one day.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome<'a> {
    pub scenario: &'a Scenario,
    pub on: NaiveDate,
    pub measures_version: &'a str,
    pub hits: Vec<Hit>,
    pub measures: Vec<AppliedMeasure<'a>>,
    pub rewards: Vec<AppliedMeasure<'a>>,
    pub withheld_rewards: Vec<WithheldReward<'a>>,
}

/// A check failed before it could answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("unknown scenario `{0}`")]
    UnknownScenario(String),
}

/// Checks a subject: which of its records hit, and which measures and rewards of the list
/// apply in `scenario` on `on`.
///
/// A measure applies only through one of its own triggers: a list type it names (with at
/// least the severity it names) or a record condition it states. A hit under objection is
/// reported as suspended, and a measure set off only by suspended hits is reported as
/// suspended too. Rewards are withheld while any black-list entry is enforced.
pub fn check<'a>(
    discipline: &'a Discipline,
    catalog: &Catalog,
    scenario: &str,
    on: NaiveDate,
    records: &[HeldRecord<'_>],
) -> Result<CheckOutcome<'a>, CheckError> {
    let scenario = discipline
        .scenario(scenario)
        .ok_or_else(|| CheckError::UnknownScenario(scenario.to_owned()))?;
    let mut hits: Vec<Hit> = Vec::new();
    let mut measures = Vec::new();
    let mut rewards = Vec::new();
    for measure in discipline
        .measures
        .iter()
        .filter(|m| m.scenarios.contains(&scenario.id))
    {
        let mut triggered_by = Vec::new();
        let mut enforced = false;
        for held in records {
            let Some(hit) = measure
                .triggers
                .iter()
                .find_map(|t| trigger_hit(discipline, catalog, t, held, on))
            else {
                continue;
            };
            triggered_by.push(held.id);
            enforced |= !hit.suspended;
            if !hits.iter().any(|h| h.record == hit.record) {
                hits.push(hit);
            }
        }
        if triggered_by.is_empty() {
            continue;
        }
        let applied = AppliedMeasure {
            measure,
            triggered_by,
            suspended: !enforced,
        };
        match measure.kind {
            MeasureKind::Discipline => measures.push(applied),
            MeasureKind::Reward => rewards.push(applied),
        }
    }
    // Entries on black lists count even in scenarios where no measure follows them: the
    // officer sees everything that hit, and rewards are withheld while one is enforced.
    for held in records {
        if let Some(hit) = list_hit(discipline, catalog, held, on, |l| l.kind == ListKind::Black)
            && !hits.iter().any(|h| h.record == hit.record)
        {
            hits.push(hit);
        }
    }
    let black_enforced = hits.iter().any(|h| {
        !h.suspended
            && matches!(&h.kind, HitKind::ListEntry { list, .. }
                if discipline.list(list).is_some_and(|l| l.kind == ListKind::Black))
    });
    let mut withheld_rewards = Vec::new();
    if black_enforced {
        withheld_rewards = rewards
            .drain(..)
            .map(|applied| WithheldReward {
                measure: applied.measure,
                reason_zh: "存在有效的失信名单记录，守信激励暂不适用",
                reason_en: "an enforced black-list entry suspends rewards",
            })
            .collect();
    }
    hits.sort_by(|a, b| {
        b.decision_date
            .cmp(&a.decision_date)
            .then(a.record.cmp(&b.record))
    });
    Ok(CheckOutcome {
        scenario,
        on,
        measures_version: &discipline.version,
        hits,
        measures,
        rewards,
        withheld_rewards,
    })
}

/// The hit `held` makes on `trigger`, if any.
fn trigger_hit(
    discipline: &Discipline,
    catalog: &Catalog,
    trigger: &Trigger,
    held: &HeldRecord<'_>,
    on: NaiveDate,
) -> Option<Hit> {
    if let Some(list_id) = &trigger.list {
        return list_hit(discipline, catalog, held, on, |list| {
            list.id == *list_id
                && trigger
                    .min_severity
                    .is_none_or(|min| list.severity.is_some_and(|s| s >= min))
        });
    }
    let item_id = trigger.item.as_deref()?;
    let record = held.record;
    if record.key.item != item_id
        || held.status != RecordStatus::Normal
        || held.repaired_on.is_some_and(|repaired| repaired <= on)
    {
        return None;
    }
    let years = trigger.within_years?;
    let earliest = on.checked_sub_months(Months::new(years * 12))?;
    if record.decision_date <= earliest || record.decision_date > on {
        return None;
    }
    let item = catalog.item(item_id)?;
    if !trigger.penalty_kinds.is_empty() {
        let imposed = item
            .roles
            .penalty_kinds
            .as_deref()
            .and_then(|code| record.field(code))
            .map(|text| PenaltyKind::parse_list(text).kinds)
            .unwrap_or_default();
        let wanted: HashSet<PenaltyKind> = trigger
            .penalty_kinds
            .iter()
            .filter_map(|k| PenaltyKind::parse(k))
            .collect();
        if !imposed.iter().any(|k| wanted.contains(k)) {
            return None;
        }
    }
    if let Some(contains) = &trigger.field_contains {
        let text = record.field(&contains.field)?;
        if !contains.any.iter().any(|w| text.contains(w.as_str())) {
            return None;
        }
    }
    Some(hit_of(held, HitKind::Record))
}

/// The hit `held` makes as an entry in force on a list that `wanted` accepts.
fn list_hit(
    discipline: &Discipline,
    catalog: &Catalog,
    held: &HeldRecord<'_>,
    on: NaiveDate,
    wanted: impl Fn(&ListType) -> bool,
) -> Option<Hit> {
    if held.status != RecordStatus::Normal {
        return None;
    }
    let list = discipline
        .list_of_item(&held.record.key.item)
        .filter(|l| wanted(l))?;
    let item = catalog.item(&list.item)?;
    let term = EntryTerm::of(list, item, held.record);
    term.in_force_on(on).then(|| {
        hit_of(
            held,
            HitKind::ListEntry {
                list: list.id.clone(),
                term,
            },
        )
    })
}

fn hit_of(held: &HeldRecord<'_>, kind: HitKind) -> Hit {
    let record = held.record;
    Hit {
        record: held.id,
        item: record.key.item.clone(),
        kind,
        decision_date: record.decision_date,
        document_no: record.key.document_no.clone(),
        source_unit: record.key.source_unit.clone(),
        suspended: held.under_objection,
    }
}
