//! Credit records: one catalog item about one subject from one source unit.
//!
//! A [`Record`] can only be made by [`Item::parse_row`], so every record in the system has
//! passed the catalog's rules. Its natural key (source unit, item, document number) makes
//! re-submission idempotent: the same key with the same content is unchanged, with other
//! content it is a correction.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use gongxin_codes::{OrgCode, RegNo, Uscc, Whitelist};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{
    Condition, FieldType, INDIVIDUAL_BUSINESS, Item, NATURAL_PERSON, Required, TemplateRequirement,
};
use crate::event::{EventKind, Hash, HashedParts, event_hash, payload_digest};
use crate::personal::PersonalDataKey;
use crate::problem::{Problem, Severity};
use crate::value::{Parsed, parse_value};

/// What a record is keyed by: the subject's USCC, or — for individual businesses that have
/// none yet — the old code they do have. The lengths (18, 15, 9) never collide.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectId {
    Uscc(Uscc),
    RegNo(RegNo),
    OrgCode(OrgCode),
}

impl SubjectId {
    /// The code as text, without allocating.
    pub fn as_str(&self) -> &str {
        match self {
            SubjectId::Uscc(code) => code.as_str(),
            SubjectId::RegNo(code) => code.as_str(),
            SubjectId::OrgCode(code) => code.as_str(),
        }
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SubjectId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = match s.len() {
            18 => Uscc::parse(s)
                .map(SubjectId::Uscc)
                .map_err(|e| e.to_string()),
            15 => RegNo::parse(s)
                .map(SubjectId::RegNo)
                .map_err(|e| e.to_string()),
            _ => OrgCode::parse(s)
                .map(SubjectId::OrgCode)
                .map_err(|e| e.to_string()),
        };
        parsed.map_err(|e| format!("`{s}` is not a subject code: {e}"))
    }
}

impl Serialize for SubjectId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The natural key of a record: who said it, about what, in which decision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NaturalKey {
    pub source_unit: String,
    pub item: String,
    pub document_no: String,
}

impl NaturalKey {
    /// The record's stable id, derived from the natural key so that every node of a
    /// federation computes the same id for the same record.
    pub fn record_id(&self) -> RecordId {
        let mut hasher = Sha256::new();
        for part in [&self.source_unit, &self.item, &self.document_no] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        RecordId(id)
    }
}

/// 128 bits of the natural key's SHA-256: collision-free at any realistic scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub [u8; 16]);

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for RecordId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut id = [0u8; 16];
        hex::decode_to_slice(s, &mut id).map_err(|_| format!("`{s}` is not a record id"))?;
        Ok(RecordId(id))
    }
}

impl Serialize for RecordId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The status a source unit gives a record (`当前状态`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Normal,
    Revoked,
}

/// Which template a file follows; the 2015–2016 one lacks several now-required fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Current,
    Legacy2016,
}

/// Content digest of a record's fields, to tell an unchanged re-submission from a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash(pub [u8; 32]);

/// A record that passed the catalog's rules.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub key: NaturalKey,
    pub subject: SubjectId,
    pub subject_name: String,
    pub decision_date: NaiveDate,
    pub status: RecordStatus,
    pub catalog_version: String,
    /// Non-empty fields as `(code, normalised value)`, in catalog order.
    pub fields: Vec<(String, String)>,
    /// Valid old codes (registration number, organisation code) the row gives for a subject
    /// that has a USCC: they map to it, so that records filed under them are found.
    pub old_codes: Vec<SubjectId>,
}

impl Record {
    pub fn id(&self) -> RecordId {
        self.key.record_id()
    }

    pub fn field(&self, code: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, v)| v.as_str())
    }

    /// The canonical JSON of the record, as it is written into the event log. Field order is
    /// the catalog's, so the same record always serialises to the same bytes.
    pub fn to_payload(&self) -> String {
        serde_json::to_string(&PayloadRef::from(self)).expect("a record always serialises")
    }

    /// Digest of everything a source unit can change; the catalog version is left out so that
    /// a catalog upgrade does not turn every re-submission into a correction.
    pub fn content_hash(&self) -> ContentHash {
        let mut hasher = Sha256::new();
        hasher.update(self.subject.as_str().as_bytes());
        hasher.update([0]);
        hasher.update(self.subject_name.as_bytes());
        hasher.update([0]);
        hasher.update(self.decision_date.to_string().as_bytes());
        hasher.update([self.status as u8]);
        for (code, value) in &self.fields {
            hasher.update(code.as_bytes());
            hasher.update([0]);
            hasher.update(value.as_bytes());
            hasher.update([0]);
        }
        ContentHash(hasher.finalize().into())
    }

    /// Reads a record back from its event payload.
    pub fn from_payload(payload: &str) -> Result<Record, String> {
        let owned: PayloadOwned =
            serde_json::from_str(payload).map_err(|e| format!("bad record payload: {e}"))?;
        Ok(Record {
            key: NaturalKey {
                source_unit: owned.source_unit,
                item: owned.item,
                document_no: owned.document_no,
            },
            subject: owned.subject.parse()?,
            subject_name: owned.subject_name,
            decision_date: owned.decision_date,
            status: owned.status,
            catalog_version: owned.catalog_version,
            fields: owned.fields,
            old_codes: owned
                .old_codes
                .iter()
                .map(|code| code.parse())
                .collect::<Result<_, _>>()?,
        })
    }
}

#[derive(Serialize)]
struct PayloadRef<'a> {
    item: &'a str,
    source_unit: &'a str,
    document_no: &'a str,
    subject: &'a str,
    subject_name: &'a str,
    decision_date: NaiveDate,
    status: RecordStatus,
    catalog_version: &'a str,
    #[serde(serialize_with = "serialize_ordered")]
    fields: &'a [(String, String)],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    old_codes: &'a [SubjectId],
}

fn serialize_ordered<S: serde::Serializer>(
    fields: &&[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(fields.iter().map(|(k, v)| (k, v)))
}

impl<'a> From<&'a Record> for PayloadRef<'a> {
    fn from(record: &'a Record) -> Self {
        PayloadRef {
            item: &record.key.item,
            source_unit: &record.key.source_unit,
            document_no: &record.key.document_no,
            subject: record.subject.as_str(),
            subject_name: &record.subject_name,
            decision_date: record.decision_date,
            status: record.status,
            catalog_version: &record.catalog_version,
            fields: &record.fields,
            old_codes: &record.old_codes,
        }
    }
}

#[derive(Deserialize)]
struct PayloadOwned {
    item: String,
    source_unit: String,
    document_no: String,
    subject: String,
    subject_name: String,
    decision_date: NaiveDate,
    status: RecordStatus,
    catalog_version: String,
    #[serde(deserialize_with = "fields_in_order")]
    fields: Vec<(String, String)>,
    #[serde(default)]
    old_codes: Vec<String>,
}

/// The `fields` object of a payload as `(code, value)` pairs in their stored order, read
/// straight into the record's layout: no intermediate map (reading payloads back is the hot
/// path of profiles and batch checks). Values are strings; anything else is kept as its JSON.
fn fields_in_order<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(String, String)>, D::Error> {
    struct Fields;
    impl<'de> serde::de::Visitor<'de> for Fields {
        type Value = Vec<(String, String)>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of field codes and values")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(24));
            while let Some((code, value)) = map.next_entry::<String, FieldText>()? {
                fields.push((code, value.0));
            }
            Ok(fields)
        }
    }
    deserializer.deserialize_map(Fields)
}

/// A field value: a string as it is, any other JSON value as its text.
struct FieldText(String);

impl<'de> Deserialize<'de> for FieldText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => Ok(FieldText(text)),
            other => Ok(FieldText(other.to_string())),
        }
    }
}

/// A record with everything storing it needs that can be derived without the store: its id,
/// content hash, canonical payload and the payload's digest. Made once, where there is time
/// (an import's reader thread), so that the writer — which must work in order — only writes.
///
/// The record's fields are kept only inside the payload, which is what the log stores: the
/// projections need the key, subject, date and status alone. Dropping the two dozen field
/// strings where the record was made, rather than on the writer's thread, keeps the writer
/// from spending a tenth of its time freeing memory another thread allocated.
#[derive(Debug, Clone)]
pub struct PreparedRecord {
    key: NaturalKey,
    subject: SubjectId,
    subject_name: String,
    decision_date: NaiveDate,
    status: RecordStatus,
    catalog_version: String,
    old_codes: Vec<SubjectId>,
    id: RecordId,
    content_hash: ContentHash,
    payload: String,
    payload_digest: Hash,
}

impl PreparedRecord {
    pub fn new(record: Record) -> Self {
        let payload = record.to_payload();
        let id = record.id();
        let content_hash = record.content_hash();
        let Record {
            key,
            subject,
            subject_name,
            decision_date,
            status,
            catalog_version,
            fields: _,
            old_codes,
        } = record;
        Self {
            key,
            subject,
            subject_name,
            decision_date,
            status,
            catalog_version,
            old_codes,
            id,
            content_hash,
            payload_digest: payload_digest(&payload),
            payload,
        }
    }

    pub fn key(&self) -> &NaturalKey {
        &self.key
    }

    pub fn id(&self) -> RecordId {
        self.id
    }

    pub fn content_hash(&self) -> ContentHash {
        self.content_hash
    }

    /// The subject code as text, as events and tables carry it.
    pub fn subject(&self) -> &str {
        self.subject.as_str()
    }

    pub fn subject_id(&self) -> &SubjectId {
        &self.subject
    }

    pub fn subject_name(&self) -> &str {
        &self.subject_name
    }

    pub fn decision_date(&self) -> NaiveDate {
        self.decision_date
    }

    pub fn status(&self) -> RecordStatus {
        self.status
    }

    pub fn catalog_version(&self) -> &str {
        &self.catalog_version
    }

    /// Old codes the row gave for a USCC subject (see [`Record::old_codes`]).
    pub fn old_codes(&self) -> &[SubjectId] {
        &self.old_codes
    }

    pub fn payload(&self) -> &str {
        &self.payload
    }

    /// The hash of the event that records this record with `kind` at `seq` after
    /// `prev_hash`: what [`EventDraft::seal`] computes, without copying the payload. A store
    /// writes the event's columns from this record's accessors.
    pub fn event_hash(
        &self,
        kind: EventKind,
        seq: u64,
        prev_hash: &Hash,
        actor: &str,
        at_us: i64,
    ) -> Hash {
        let mut record = [0u8; 32];
        hex::encode_to_slice(self.id.0, &mut record).expect("32 hex digits for 16 bytes");
        event_hash(
            HashedParts {
                kind,
                subject: self.subject(),
                record: std::str::from_utf8(&record).expect("hex is ASCII"),
                recorded_at_us: at_us,
                actor,
                payload_digest: self.payload_digest,
            },
            seq,
            prev_hash,
        )
    }
}

impl From<Record> for PreparedRecord {
    fn from(record: Record) -> Self {
        Self::new(record)
    }
}

/// A row that passed: the record and the warnings that travel with it.
#[derive(Debug)]
pub struct ParsedRow {
    pub record: Record,
    pub warnings: Vec<Problem>,
}

/// What the parser needs besides the row: the catalog version to stamp, the deployment's
/// whitelist of real codes that fail their check character, and its key for sealing personal
/// identity numbers before they reach any store.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    pub catalog_version: &'a str,
    pub whitelist: &'a Whitelist,
    pub personal_key: &'a PersonalDataKey,
    /// When a department submits, the only source unit its rows may name.
    pub submitting_unit: Option<&'a str>,
    pub template: Template,
}

/// Values `当前状态` takes for a revoked decision.
const REVOKED_VALUES: &[&str] = &["撤销", "已撤销", "撤回", "revoked"];

impl Item {
    /// Checks one row against the item's layout and builds the record.
    ///
    /// `cells[i]` is the raw text of `self.fields[i]`, `None` when the file has no such
    /// column. All problems of the row are collected, not only the first, so that a department
    /// can fix a row in one round.
    pub fn parse_row(
        &self,
        context: ParseContext<'_>,
        cells: &[Option<&str>],
    ) -> Result<ParsedRow, Vec<Problem>> {
        debug_assert_eq!(cells.len(), self.fields.len());
        let index = &self.index;
        let mut problems = Vec::new();
        let mut values: Vec<Option<String>> = vec![None; self.fields.len()];
        for (position, field) in self.fields.iter().enumerate() {
            let raw = cells[position].map(str::trim).filter(|s| !s.is_empty());
            // The subject's code has rules of its own (placeholder, old codes): below.
            let Some(raw) = raw.filter(|_| position != index.uscc) else {
                continue;
            };
            match parse_value(&field.code, &field.ty, raw, context.whitelist) {
                Ok(Parsed { text, warnings }) => {
                    problems.extend(warnings);
                    values[position] = Some(text);
                }
                Err(problem) => problems.push(problem),
            }
        }
        let category = index.subject_category.and_then(|i| values[i].as_deref());
        if category == Some(NATURAL_PERSON) {
            problems.push(Problem::error(
                "natural_person_out_of_scope",
                "行政相对人为自然人：本平台只归集市场主体信用信息，自然人仅作为主体的相关人员出现",
                "the party is a natural person: this platform holds credit information on market entities only",
            ));
            return Err(problems);
        }
        let raw_uscc = cells[index.uscc].map(str::trim).filter(|s| !s.is_empty());
        let subject = self.parse_subject(context, raw_uscc, &values, category, &mut problems);
        values[index.uscc] = match (&subject, raw_uscc) {
            (Some(SubjectId::Uscc(code)), _) => Some(code.to_string()),
            // The placeholder is kept as submitted: it documents that the subject has no code.
            (_, Some(raw)) => Some(gongxin_codes::normalise(raw)),
            (_, None) => None,
        };
        self.check_required(context.template, &values, cells, &mut problems);
        if problems.iter().any(Problem::is_error) {
            return Err(problems);
        }
        let decision_date = values[index.decision_date]
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let source_unit = index.source_unit.iter().find_map(|&i| values[i].clone());
        let status = match index.status.and_then(|i| values[i].as_deref()) {
            Some(s) if REVOKED_VALUES.contains(&s) => RecordStatus::Revoked,
            _ => RecordStatus::Normal,
        };
        let (
            Some(subject),
            Some(subject_name),
            Some(document_no),
            Some(decision_date),
            Some(source_unit),
        ) = (
            subject,
            values[index.subject_name].clone(),
            values[index.document_no].clone(),
            decision_date,
            source_unit,
        )
        else {
            problems.push(Problem::error(
                "missing_key",
                "缺少主体代码、名称、决定文书号、决定日期或数据来源单位",
                "missing subject code, name, document number, decision date or source unit",
            ));
            return Err(problems);
        };
        if let Some(unit) = context.submitting_unit
            && unit != source_unit
        {
            problems.push(
                Problem::error(
                    "foreign_source_unit",
                    format!("数据来源单位不是提交单位（{unit}），不能代其他单位报送"),
                    format!("the source unit is not the submitting unit ({unit}): a department submits only its own records"),
                )
                .at(&self.fields[index.source_unit[0]].code, &source_unit),
            );
            return Err(problems);
        }
        let old_codes = match subject {
            SubjectId::Uscc(_) => self.old_codes(&values),
            _ => Vec::new(),
        };
        let record = Record {
            old_codes,
            key: NaturalKey {
                source_unit,
                item: self.id.clone(),
                document_no,
            },
            subject,
            subject_name,
            decision_date,
            status,
            catalog_version: context.catalog_version.to_owned(),
            fields: self
                .fields
                .iter()
                .zip(values)
                .filter_map(|(field, value)| {
                    let value = match field.ty {
                        FieldType::IdNumber => context.personal_key.seal(&value?),
                        _ => value?,
                    };
                    Some((field.code.clone(), value))
                })
                .collect(),
        };
        Ok(ParsedRow {
            record,
            warnings: problems,
        })
    }

    /// The valid registration number and organisation code of the row, already normalised by
    /// their field types.
    fn old_codes(&self, values: &[Option<String>]) -> Vec<SubjectId> {
        let value = |position: Option<usize>| position.and_then(|i| values[i].as_deref());
        let reg_no = value(self.index.reg_no)
            .and_then(|c| RegNo::parse(c).ok())
            .map(SubjectId::RegNo);
        let org_code = value(self.index.org_code)
            .and_then(|c| OrgCode::parse(c).ok())
            .map(SubjectId::OrgCode);
        reg_no.into_iter().chain(org_code).collect()
    }

    /// Finds the subject's identity: the USCC, or for an individual business with the
    /// placeholder code, its registration number (which then becomes mandatory).
    fn parse_subject(
        &self,
        context: ParseContext<'_>,
        raw_uscc: Option<&str>,
        values: &[Option<String>],
        category: Option<&str>,
        problems: &mut Vec<Problem>,
    ) -> Option<SubjectId> {
        let uscc_field = &self.fields[self.index.uscc].code;
        if let Some(raw) = raw_uscc {
            // The common case first: a valid code, parsed without allocating.
            if let Ok(code) = Uscc::parse_with(raw, context.whitelist) {
                for warning in code.warnings() {
                    problems.push(
                        Problem::bilingual(Severity::Warning, warning.code(), &warning.to_string())
                            .at(uscc_field, raw),
                    );
                }
                return Some(SubjectId::Uscc(code));
            }
            // Otherwise the full analysis explains what is wrong, or finds the placeholder.
            let analysis = gongxin_codes::analyse(raw, context.whitelist);
            if analysis.kind != gongxin_codes::Kind::Placeholder {
                for finding in analysis.errors {
                    problems.push(
                        Problem::bilingual(Severity::Error, finding.code, &finding.message)
                            .at(uscc_field, raw),
                    );
                }
                return None;
            }
            if category.is_some_and(|c| c != INDIVIDUAL_BUSINESS) {
                problems.push(
                    Problem::warning(
                        "placeholder_not_individual_business",
                        "占位代码 00000000000000000X 只应用于无统一社会信用代码的个体工商户",
                        "the placeholder code 00000000000000000X is meant for individual businesses without a USCC",
                    )
                    .at(uscc_field, raw),
                );
            }
        }
        // No usable USCC: an old code must identify the subject.
        let old = |position: Option<usize>| position.and_then(|i| values[i].as_deref());
        if let Some(reg_no) = old(self.index.reg_no).and_then(|c| RegNo::parse(c).ok()) {
            return Some(SubjectId::RegNo(reg_no));
        }
        if let Some(org) = old(self.index.org_code).and_then(|c| OrgCode::parse(c).ok()) {
            return Some(SubjectId::OrgCode(org));
        }
        let problem = match self.index.reg_no {
            Some(i) => Problem::error(
                "missing_subject_code",
                "缺少统一社会信用代码；无统一社会信用代码的个体工商户须填写工商注册号",
                "no Unified Social Credit Code; an individual business without one must give its registration number",
            )
            .at(&self.fields[i].code, raw_uscc.unwrap_or_default()),
            None => Problem::error(
                "missing_subject_code",
                "缺少有效的统一社会信用代码，该信息项没有其他可识别主体的代码",
                "no valid Unified Social Credit Code, and this item has no other code that identifies the subject",
            )
            .at(uscc_field, raw_uscc.unwrap_or_default()),
        };
        problems.push(problem);
        None
    }

    fn check_required(
        &self,
        template: Template,
        values: &[Option<String>],
        cells: &[Option<&str>],
        problems: &mut Vec<Problem>,
    ) {
        for (position, field) in self.fields.iter().enumerate() {
            if values[position].is_some() {
                continue;
            }
            let required = match field.required {
                Required::Flag(flag) => flag,
                Required::Template(TemplateRequirement::Current) => template == Template::Current,
            };
            let by_condition = field
                .required_when
                .as_ref()
                .zip(self.index.condition[position])
                .filter(|(condition, other)| {
                    condition_holds(
                        &self.fields[*other].ty,
                        condition,
                        values[*other].as_deref(),
                    )
                })
                .map(|(condition, other)| (condition, &self.fields[other]));
            if !required && by_condition.is_none() {
                continue;
            }
            // A value that was there but invalid is already reported.
            if problems
                .iter()
                .any(|p| p.field.as_deref() == Some(&field.code))
            {
                continue;
            }
            let (zh, en) = match by_condition {
                Some((condition, other)) => (
                    format!("当{}为{}时必填", other.name_zh, condition.any_of.join("或")),
                    format!(
                        "required when {} is {}",
                        other.code,
                        condition.any_of.join(" or ")
                    ),
                ),
                None => (
                    "必填项为空".to_owned(),
                    "required field is empty".to_owned(),
                ),
            };
            problems.push(
                Problem::error(
                    "required",
                    format!("{}：{zh}", field.name_zh),
                    format!("{}: {en}", field.name_en),
                )
                .at(&field.code, cells[position].unwrap_or("")),
            );
        }
    }
}

/// Whether the other field's value meets the condition; sets match on any of their values.
fn condition_holds(ty: &FieldType, condition: &Condition, value: Option<&str>) -> bool {
    let Some(value) = value else {
        return false;
    };
    match ty {
        FieldType::Set { .. } => {
            let chosen = value.split('：').next().unwrap_or("");
            chosen
                .split(';')
                .any(|v| condition.any_of.iter().any(|a| a == v))
        }
        _ => condition.any_of.iter().any(|a| a == value),
    }
}

/// What storing a parsed record means, given what the store already holds for its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// New natural key.
    Submitted,
    /// Same key, other content.
    Corrected,
    /// Same key, now marked 撤销.
    Revoked,
    /// Same key, same content: nothing to record.
    Unchanged,
}

/// Decides the change from the stored head of a record (its content hash and status).
pub fn decide_change(
    current: Option<(ContentHash, RecordStatus)>,
    incoming_status: RecordStatus,
    incoming_hash: ContentHash,
) -> Change {
    match current {
        None if incoming_status == RecordStatus::Revoked => Change::Revoked,
        None => Change::Submitted,
        Some((hash, _)) if hash == incoming_hash => Change::Unchanged,
        Some((_, RecordStatus::Normal)) if incoming_status == RecordStatus::Revoked => {
            Change::Revoked
        }
        Some(_) => Change::Corrected,
    }
}
