//! Who may see what: the publication window of a stored record, and the part of it a
//! principal may read.
//!
//! One policy for every way out of the platform (API, portal, command line), so that no
//! output path can forget a rule. The window follows the catalog rule in force on the
//! record's decision date; the fields follow the catalog's disclosure scopes; personal
//! identity numbers are masked unless the principal's role needs them whole.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::{Disclosure, FieldType, INDIVIDUAL_BUSINESS, Item, ShareScope};
use crate::personal::PersonalDataKey;
use crate::publication::{
    ItemFacts, PENALTY_RULE, PenaltyFacts, PenaltyKind, PublicationDecision, PublicationRules,
};
use crate::record::{Record, RecordStatus};
use crate::repair::last_day_shown_after_repair;
use crate::value::mask_id;

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Principal {
    /// Anyone, without a key.
    Public,
    /// A market entity reading about itself (acts for one USCC).
    Subject { code: String },
    /// A department user: belongs to a unit (its source-unit code as records carry it) and
    /// may submit the items listed.
    Department { unit: String, items: Vec<String> },
    /// The credit office (信用办) administering the platform.
    Admin,
    /// Reads the audit log; sees records as the public does.
    Auditor,
}

impl Principal {
    pub fn role(&self) -> &'static str {
        match self {
            Principal::Public => "public",
            Principal::Subject { .. } => "subject",
            Principal::Department { .. } => "department",
            Principal::Admin => "admin",
            Principal::Auditor => "auditor",
        }
    }

    /// Whether the principal may submit records of `item`.
    pub fn may_submit(&self, item: &str) -> bool {
        match self {
            Principal::Admin => true,
            Principal::Department { items, .. } => items.iter().any(|i| i == item),
            _ => false,
        }
    }

    /// Whether reading beyond the public view needs a stated purpose. A subject reading
    /// about itself is exercising its right to know, not querying someone else.
    pub fn needs_purpose(&self) -> bool {
        matches!(self, Principal::Department { .. } | Principal::Admin)
    }
}

/// The days a record is shown to the public, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Whether it is published at all.
    pub publish: bool,
    /// First day shown.
    pub from: NaiveDate,
    /// Last day shown (inclusive); `None` while it stays in force with no end.
    pub until: Option<NaiveDate>,
    pub reason_zh: String,
    pub reason_en: String,
}

impl Window {
    pub fn is_public_on(&self, today: NaiveDate) -> bool {
        self.publish && self.from <= today && self.until.is_none_or(|until| today <= until)
    }

    /// The first day after `today` on which [`is_public_on`](Self::is_public_on) answers
    /// otherwise than on `today`, if there is one: until then, a view built today holds.
    pub fn changes_after(&self, today: NaiveDate) -> Option<NaiveDate> {
        if !self.publish {
            return None;
        }
        if today < self.from {
            return Some(self.from);
        }
        self.until
            .filter(|until| today <= *until)
            .and_then(|until| until.succ_opt())
    }

    fn unpublished(from: NaiveDate, reason_zh: &str, reason_en: &str) -> Self {
        Self {
            publish: false,
            from,
            until: Some(from),
            reason_zh: reason_zh.to_owned(),
            reason_en: reason_en.to_owned(),
        }
    }
}

/// The publication decision of a penalty record, by the rule its item names and the facts its
/// fields give; `None` for records of other items.
pub fn penalty_decision(
    item: &Item,
    record: &Record,
    rules: &PublicationRules,
) -> Option<PublicationDecision> {
    if item.publication != PENALTY_RULE {
        return None;
    }
    let roles = &item.roles;
    let field = |code: &Option<String>| code.as_deref().and_then(|c| record.field(c));
    let facts = PenaltyFacts {
        decision_date: record.decision_date,
        kinds: field(&roles.penalty_kinds)
            .map(|kinds| PenaltyKind::parse_list(kinds).kinds)
            .unwrap_or_default(),
        severity: None,
        sector: None,
        simple_procedure: false,
        fine_yuan: field(&roles.fine_wan_yuan)
            .and_then(|wan| wan.parse::<f64>().ok())
            .map(|wan| wan * 10_000.0),
        subject_is_organisation: field(&roles.subject_category) != Some(INDIVIDUAL_BUSINESS),
    };
    Some(rules.penalty_window(&facts))
}

/// The publication window of a record, by the rule its item names and the facts its fields
/// give. Revoked decisions are not published; a repaired penalty stops being shown on the
/// day its repair allows (`repaired_on`: the day the repair was approved).
pub fn record_window(
    item: &Item,
    record: &Record,
    status: RecordStatus,
    repaired_on: Option<NaiveDate>,
    rules: &PublicationRules,
) -> Window {
    if status == RecordStatus::Revoked {
        return Window::unpublished(
            record.decision_date,
            "决定已撤销，不予公示",
            "the decision was revoked and is not published",
        );
    }
    let roles = &item.roles;
    let date = |code: &Option<String>| {
        code.as_deref()
            .and_then(|c| record.field(c))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    if let Some(decision) = penalty_decision(item, record, rules) {
        return match repaired_on.and_then(|on| last_day_shown_after_repair(&decision, on)) {
            Some(end) => Window {
                publish: decision.publish,
                from: decision.from,
                until: Some(end),
                reason_zh: format!("已修复：信用修复获准，公示至 {end} 止"),
                reason_en: format!("repaired: credit repair was granted; shown until {end}"),
            },
            None => Window {
                publish: decision.publish,
                from: decision.from,
                until: Some(decision.until),
                reason_zh: decision.reason_zh,
                reason_en: decision.reason_en,
            },
        };
    }
    let facts = ItemFacts {
        start: record.decision_date,
        valid_to: date(&roles.valid_to),
        ended_on: date(&roles.ended_on),
    };
    match rules.item_window(&item.publication, &facts) {
        Some(window) => Window {
            publish: true,
            from: window.from,
            until: window.until,
            reason_zh: window.reason_zh,
            reason_en: window.reason_en,
        },
        None => Window::unpublished(
            record.decision_date,
            "公示规则中没有该事项的期限，不予公示",
            "the publication rules have no period for this item, so it is not published",
        ),
    }
}

/// How much of one record a principal may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordAccess {
    /// The widest field disclosure scope shown.
    pub level: Disclosure,
    /// Whether personal identity numbers are shown whole.
    pub reveal_personal_ids: bool,
    /// Whether this is more than the public sees today: such reads are audited.
    pub beyond_public: bool,
}

/// What `principal` may read of a record about `subject_code` (the profile's canonical
/// code), or `None` if nothing.
pub fn record_access(
    principal: &Principal,
    subject_code: &str,
    item: &Item,
    record: &Record,
    public_today: bool,
) -> Option<RecordAccess> {
    let public_view =
        (item.disclosure == Disclosure::Public && public_today).then_some(RecordAccess {
            level: Disclosure::Public,
            reveal_personal_ids: false,
            beyond_public: false,
        });
    let wider = |level, reveal_personal_ids| {
        Some(RecordAccess {
            level,
            reveal_personal_ids,
            beyond_public: true,
        })
    };
    match principal {
        Principal::Public | Principal::Auditor => public_view,
        Principal::Subject { code } if code == subject_code => wider(Disclosure::Closed, false),
        Principal::Subject { .. } => public_view,
        Principal::Admin => wider(Disclosure::Closed, true),
        Principal::Department { unit, .. } if *unit == record.key.source_unit => {
            wider(Disclosure::Closed, true)
        }
        Principal::Department { .. } => match item.share_scope {
            ShareScope::AllDepartments | ShareScope::OnRequest => wider(Disclosure::Shared, false),
            ShareScope::SourceOnly => public_view,
        },
    }
}

/// A field as shown: code, names and the value the principal may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownField {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub value: String,
}

/// The fields of `record` that `access` allows, in catalog order, with identity numbers
/// unsealed and masked as the access says. A number that cannot be unsealed (wrong key) is
/// shown fully masked rather than failing the whole page.
pub fn shown_fields(
    item: &Item,
    record: &Record,
    access: RecordAccess,
    key: &PersonalDataKey,
) -> Vec<ShownField> {
    // Both lists are in catalog order: looking from where the last field was found pairs
    // them in one walk. A record checked against an older catalog may differ in order, so a
    // miss falls back to a look-up over all fields.
    let mut next = 0;
    record
        .fields
        .iter()
        .filter_map(|(code, value)| {
            let position = item.fields[next..]
                .iter()
                .position(|f| f.code == *code)
                .map(|offset| next + offset)
                .or_else(|| item.field_index(code))?;
            next = position + 1;
            let field = &item.fields[position];
            if item.field_disclosure(field) > access.level {
                return None;
            }
            let value = match field.ty {
                FieldType::IdNumber => match key.unseal(value) {
                    Ok(number) if access.reveal_personal_ids => number,
                    Ok(number) => mask_id(&number),
                    Err(_) => "*".repeat(18),
                },
                _ => value.clone(),
            };
            Some(ShownField {
                code: code.clone(),
                name_zh: field.name_zh.clone(),
                name_en: field.name_en.clone(),
                value,
            })
        })
        .collect()
}
