//! Checks (应查必查) as answered to a principal: what hit, which measures and rewards apply
//! with their basis, and who they reach. One function builds the answer for the API, the
//! replay of an old check and the batch screening of `gongxin screen`, so that all three say
//! the same.

use std::collections::HashSet;

use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_core::catalog::LegalBasis;
use gongxin_core::discipline::{
    AppliedMeasure, CheckError, CheckOutcome, HeldRecord, Hit, HitKind, Measure, check,
};
use gongxin_core::event::case_state;
use gongxin_core::name_match::{NameKey, NameMatch, score};
use gongxin_core::objection::Objection;
use gongxin_core::record::RecordId;
use gongxin_search::SearchQuery;
use gongxin_store::{CaseKind, Store, StoreError, StoredRecord};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::Platform;
use crate::view::record_view;

/// A record that hit, as the answer shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HitView {
    pub record: String,
    pub item: String,
    pub item_name_zh: String,
    /// The list it is an entry of, if any.
    pub list: Option<String>,
    pub list_name_zh: Option<String>,
    pub decision_date: NaiveDate,
    /// For list entries: first and last day in force, and an early removal.
    pub in_force_from: Option<NaiveDate>,
    pub in_force_until: Option<NaiveDate>,
    pub document_no: String,
    pub source_unit: String,
    /// Under objection: shown, not to be enforced.
    pub suspended: bool,
}

/// A person a measure reaches, as far as the principal may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponsiblePerson {
    pub role_zh: &'static str,
    pub name: Option<String>,
    /// Masked unless the principal's role needs it whole.
    pub id_number: Option<String>,
    /// The record the person is named in.
    pub record: String,
}

/// A measure or reward that applies.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureView {
    pub id: String,
    pub kind: gongxin_core::discipline::MeasureKind,
    pub class: gongxin_core::discipline::MeasureClass,
    pub mandatory: bool,
    pub content_zh: String,
    pub content_en: String,
    pub basis: Vec<LegalBasis>,
    pub implemented_by_zh: String,
    pub reaches_responsible_persons: bool,
    /// Records that set it off.
    pub triggered_by: Vec<String>,
    /// Every hit behind it is under objection: not to be enforced.
    pub suspended: bool,
    /// The legal representatives it reaches, where the measure reaches them and the
    /// principal may see them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub responsible_persons: Vec<ResponsiblePerson>,
}

/// A reward that would apply but is withheld.
#[derive(Debug, Clone, Serialize)]
pub struct WithheldView {
    pub id: String,
    pub content_zh: String,
    pub reason_zh: &'static str,
    pub reason_en: &'static str,
}

/// The substance of a check answer: everything that follows from the data, the measures list
/// and the day — what a replay recomputes and compares.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    pub scenario: String,
    pub scenario_name_zh: String,
    pub on: NaiveDate,
    pub measures_version: String,
    pub hits: Vec<HitView>,
    pub measures: Vec<MeasureView>,
    pub rewards: Vec<MeasureView>,
    pub withheld_rewards: Vec<WithheldView>,
}

/// What is held about a subject at one point of the log: its records and which of them are
/// under an open objection.
#[derive(Debug, Default)]
pub struct Held {
    pub records: Vec<StoredRecord>,
    pub objected: HashSet<RecordId>,
}

impl Held {
    /// As the platform knows it now.
    pub fn now(store: &dyn Store, subject: &str) -> Result<Held, StoreError> {
        let records = store.records_of(subject)?;
        let objected = open_objections(
            store
                .cases_of(subject, Some(CaseKind::Objection))?
                .iter()
                .map(|case| case.payload.as_str()),
        );
        Ok(Held { records, objected })
    }

    /// As the platform knew it when the log ended at `log_seq`.
    pub fn as_of(store: &dyn Store, subject: &str, log_seq: u64) -> Result<Held, StoreError> {
        let records = store.records_as_of(subject, log_seq)?;
        let cases = store.cases_as_of(subject, Some(CaseKind::Objection), log_seq)?;
        let objected = open_objections(cases.iter().map(|(_, payload)| payload.as_str()));
        Ok(Held { records, objected })
    }
}

fn open_objections<'a>(payloads: impl Iterator<Item = &'a str>) -> HashSet<RecordId> {
    payloads
        .filter_map(case_state::<Objection>)
        .filter(Objection::is_open)
        .map(|objection| objection.record)
        .collect()
}

/// Checks `subject_code` in `scenario` on `on`, as `principal` may see it.
pub fn findings(
    platform: &Platform,
    principal: &Principal,
    subject_code: &str,
    held: &Held,
    scenario: &str,
    on: NaiveDate,
) -> Result<Findings, CheckError> {
    let records: Vec<HeldRecord<'_>> = held
        .records
        .iter()
        .map(|stored| HeldRecord {
            id: stored.id,
            record: &stored.record,
            status: stored.status,
            under_objection: held.objected.contains(&stored.id),
            repaired_on: stored.repaired_on,
        })
        .collect();
    let outcome = check(
        &platform.discipline,
        &platform.catalog,
        scenario,
        on,
        &records,
    )?;
    Ok(view(platform, principal, subject_code, held, &outcome))
}

fn view(
    platform: &Platform,
    principal: &Principal,
    subject_code: &str,
    held: &Held,
    outcome: &CheckOutcome<'_>,
) -> Findings {
    let measure_view = |applied: &AppliedMeasure<'_>| {
        let measure: &Measure = applied.measure;
        let responsible_persons = if measure.reaches_responsible_persons {
            applied
                .triggered_by
                .iter()
                .filter_map(|id| held.records.iter().find(|r| r.id == *id))
                .filter_map(|stored| {
                    responsible_person(platform, principal, subject_code, stored, outcome.on)
                })
                .fold(Vec::new(), |mut people: Vec<ResponsiblePerson>, person| {
                    if !people
                        .iter()
                        .any(|p| p.name == person.name && p.id_number == person.id_number)
                    {
                        people.push(person);
                    }
                    people
                })
        } else {
            Vec::new()
        };
        MeasureView {
            id: measure.id.clone(),
            kind: measure.kind,
            class: measure.class,
            mandatory: measure.mandatory,
            content_zh: measure.content_zh.clone(),
            content_en: measure.content_en.clone(),
            basis: measure.basis.clone(),
            implemented_by_zh: measure.implemented_by_zh.clone(),
            reaches_responsible_persons: measure.reaches_responsible_persons,
            triggered_by: applied
                .triggered_by
                .iter()
                .map(ToString::to_string)
                .collect(),
            suspended: applied.suspended,
            responsible_persons,
        }
    };
    Findings {
        scenario: outcome.scenario.id.clone(),
        scenario_name_zh: outcome.scenario.name_zh.clone(),
        on: outcome.on,
        measures_version: outcome.measures_version.to_owned(),
        hits: outcome
            .hits
            .iter()
            .map(|hit| hit_view(platform, hit))
            .collect(),
        measures: outcome.measures.iter().map(measure_view).collect(),
        rewards: outcome.rewards.iter().map(measure_view).collect(),
        withheld_rewards: outcome
            .withheld_rewards
            .iter()
            .map(|withheld| WithheldView {
                id: withheld.measure.id.clone(),
                content_zh: withheld.measure.content_zh.clone(),
                reason_zh: withheld.reason_zh,
                reason_en: withheld.reason_en,
            })
            .collect(),
    }
}

fn hit_view(platform: &Platform, hit: &Hit) -> HitView {
    let (list, term) = match &hit.kind {
        HitKind::ListEntry { list, term } => (platform.discipline.list(list), Some(term)),
        HitKind::Record => (None, None),
    };
    HitView {
        record: hit.record.to_string(),
        item: hit.item.clone(),
        item_name_zh: platform
            .catalog
            .item(&hit.item)
            .map(|i| i.name_zh.clone())
            .unwrap_or_default(),
        list: list.map(|l| l.id.clone()),
        list_name_zh: list.map(|l| l.name_zh.clone()),
        decision_date: hit.decision_date,
        in_force_from: term.map(|t| t.from),
        in_force_until: term.map(|t| match t.removed_on {
            Some(removed) => removed.pred_opt().unwrap_or(removed).min(t.until),
            None => t.until,
        }),
        document_no: hit.document_no.clone(),
        source_unit: hit.source_unit.clone(),
        suspended: hit.suspended,
    }
}

/// The legal representative a record names, as far as `principal` may see the record's
/// fields (through the one access policy); `None` if it names none the principal may see.
fn responsible_person(
    platform: &Platform,
    principal: &Principal,
    subject_code: &str,
    stored: &StoredRecord,
    on: NaiveDate,
) -> Option<ResponsiblePerson> {
    let item = platform.catalog.item(&stored.record.key.item)?;
    let view = record_view(platform, principal, subject_code, stored, on)?;
    let shown = |code: Option<&str>| {
        let code = code?;
        view.fields
            .iter()
            .find(|f| f.code == code)
            .map(|f| f.value.clone())
    };
    let id_number = shown(item.roles.legal_representative_id.as_deref());
    let name = shown(item.roles.legal_representative.as_deref());
    (name.is_some() || id_number.is_some()).then(|| ResponsiblePerson {
        role_zh: "法定代表人",
        name,
        id_number,
        record: stored.id.to_string(),
    })
}

/// A subject whose name resembles an applicant's, with the score explained per feature. A
/// name match is never an exact hit: it is reported as a candidate, apart from code hits.
#[derive(Debug, Clone, Serialize)]
pub struct NameCandidate {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub matched: NameMatch,
}

/// Candidates shown at most, best first.
const NAME_CANDIDATES: usize = 5;
/// Search hits scored per applicant name.
const NAME_SEARCH_DEPTH: usize = 30;
/// Scores below this are not worth an officer's attention.
const NAME_CANDIDATE_FLOOR: f64 = 0.5;

/// The subjects whose current or former names resemble `name`: found in the search index by
/// the trade name (the part a registry keeps unique), then scored by `core::name_match`.
pub fn name_candidates(platform: &Platform, name: &str) -> Result<Vec<NameCandidate>, ApiError> {
    let key = NameKey::new(name);
    // The core name (trade name and industry words) narrows the search most; a trade name
    // alone finds the applicants that left the industry words out.
    let mut hits = Vec::new();
    for text in [key.core().to_owned(), key.trade_name()] {
        if text.chars().count() < 2 || hits.len() >= NAME_SEARCH_DEPTH {
            continue;
        }
        let mut query = SearchQuery::new(text);
        query.limit = NAME_SEARCH_DEPTH;
        for hit in platform.search.search(&query)?.hits {
            if !hits
                .iter()
                .any(|h: &gongxin_search::SearchHit| h.code == hit.code)
            {
                hits.push(hit);
            }
        }
    }
    let mut candidates: Vec<NameCandidate> = hits
        .into_iter()
        .filter_map(|hit| {
            // The best of the current and former names: an applicant may use an old one.
            let matched = std::iter::once(&hit.name)
                .chain(&hit.former_names)
                .map(|candidate| score(&key, &NameKey::new(candidate)))
                .max_by(|a, b| a.score.total_cmp(&b.score))?;
            (matched.score >= NAME_CANDIDATE_FLOOR).then_some(NameCandidate {
                code: hit.code,
                name: hit.name,
                matched,
            })
        })
        .collect();
    candidates.sort_by(|a, b| b.matched.score.total_cmp(&a.matched.score));
    candidates.truncate(NAME_CANDIDATES);
    Ok(candidates)
}

/// How an applicant was matched to a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// By its USCC or an old code: exact.
    Code,
    /// By name only, to the one candidate that scored as likely the same subject (and better
    /// than any other). Never as certain as a code: the answer says so, and lists the
    /// candidates.
    Name,
    /// Not matched: an unknown code, no candidate likely enough, or several equally likely.
    None,
}

/// The applicant as the platform identified it.
#[derive(Debug, Clone, Serialize)]
pub struct Applicant {
    /// The subject checked: the code given, or the matched candidate's.
    pub code: Option<String>,
    pub name: Option<String>,
    /// Whether the platform holds anything about it.
    pub known: bool,
    pub matched_by: MatchedBy,
    /// For a name match: the candidate's score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_score: Option<f64>,
}

/// Identifies an applicant by `code` when given, else by `name`; with a name, also the
/// candidates considered.
pub fn identify(
    platform: &Platform,
    store: &dyn Store,
    code: Option<&str>,
    name: Option<&str>,
) -> Result<(Applicant, Vec<NameCandidate>), ApiError> {
    if let Some(code) = code {
        let code = gongxin_codes::normalise(code);
        let applicant = match store.subject(&code)? {
            Some(subject) => Applicant {
                code: Some(subject.code),
                name: Some(subject.name),
                known: true,
                matched_by: MatchedBy::Code,
                name_score: None,
            },
            None => {
                // An unknown code may still be mistyped: say so rather than answer "clean".
                code.parse::<gongxin_core::record::SubjectId>()
                    .map_err(|e| {
                        ApiError::with_message(crate::error::ErrorCode::BadCode, e.clone(), e)
                    })?;
                Applicant {
                    code: Some(code),
                    name: None,
                    known: false,
                    matched_by: MatchedBy::None,
                    name_score: None,
                }
            }
        };
        return Ok((applicant, Vec::new()));
    }
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::with_message(
                crate::error::ErrorCode::BadRequest,
                "须提供申请人的统一社会信用代码（或旧代码）或名称",
                "give the applicant's USCC (or old code) or its name",
            )
        })?;
    let candidates = name_candidates(platform, name)?;
    // A name that two subjects answer to equally well identifies neither: the officer gets
    // the candidates and decides.
    let likely: Vec<&NameCandidate> = candidates
        .iter()
        .filter(|c| c.matched.likely_same)
        .collect();
    let unambiguous = match likely.as_slice() {
        [only] => Some(*only),
        [best, second, ..] if best.matched.score > second.matched.score => Some(*best),
        _ => None,
    };
    let applicant = match unambiguous {
        Some(best) => Applicant {
            code: Some(best.code.clone()),
            name: Some(best.name.clone()),
            known: true,
            matched_by: MatchedBy::Name,
            name_score: Some(best.matched.score),
        },
        None => Applicant {
            code: None,
            name: Some(name.to_owned()),
            known: false,
            matched_by: MatchedBy::None,
            name_score: None,
        },
    };
    Ok((applicant, candidates))
}

/// A new receipt id with `prefix` (`ck` for one check, `ckb` for a batch).
pub fn new_receipt(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 10];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{prefix}_{}", hex::encode(bytes)))
}

/// What a check finds about a person to be appointed (a legal representative or executive):
/// the subjects whose records name that person as legal representative, and the measures
/// that reach responsible persons through those records.
#[derive(Debug, Clone, Serialize)]
pub struct PersonFindings {
    /// The identity number, masked: the request had it whole; the answer never does.
    pub id_number: String,
    pub subjects: Vec<PersonSubject>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonSubject {
    pub code: String,
    pub name: String,
    /// Only measures that reach responsible persons and were set off by a record naming this
    /// person.
    pub measures: Vec<MeasureView>,
}

/// Subjects looked at per person at most.
const PERSON_SUBJECTS: usize = 20;

/// Finds the person by the keyed hash of `number` (the only form the index and the store
/// hold), and checks each subject naming them in `scenario` on `on`.
pub fn person_findings(
    platform: &Platform,
    store: &dyn Store,
    principal: &Principal,
    number: &str,
    scenario: &str,
    on: NaiveDate,
) -> Result<PersonFindings, ApiError> {
    let number = number.trim().to_ascii_uppercase();
    let hash = platform.personal_key.matching_hash(&number);
    let mut query = SearchQuery::new(number.clone());
    query.match_legal_representatives = true;
    query.personal_id_hash = Some(hash.clone());
    query.limit = PERSON_SUBJECTS;
    let mut subjects = Vec::new();
    for hit in platform.search.search(&query)?.hits {
        let held = Held::now(store, &hit.code)?;
        let found = findings(platform, principal, &hit.code, &held, scenario, on)?;
        let names_person = |record: &str| {
            held.records
                .iter()
                .find(|r| r.id.to_string() == record)
                .is_some_and(|stored| names_person(platform, stored, &hash))
        };
        let measures: Vec<MeasureView> = found
            .measures
            .into_iter()
            .filter(|m| m.reaches_responsible_persons)
            .filter(|m| m.triggered_by.iter().any(|r| names_person(r)))
            .collect();
        subjects.push(PersonSubject {
            code: hit.code,
            name: hit.name,
            measures,
        });
    }
    Ok(PersonFindings {
        id_number: gongxin_core::value::mask_id(&number),
        subjects,
    })
}

/// Whether `stored` names the person with keyed hash `hash` as its legal representative.
fn names_person(platform: &Platform, stored: &StoredRecord, hash: &str) -> bool {
    platform
        .catalog
        .item(&stored.record.key.item)
        .and_then(|item| item.roles.legal_representative_id.as_deref())
        .and_then(|code| stored.record.field(code))
        .and_then(gongxin_core::personal::sealed_matching_hash)
        .is_some_and(|found| found == hash)
}
