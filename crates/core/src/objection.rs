//! Objections (异议) to a record already in force: while one is verified, joint discipline on
//! the record is suspended — shown in checks, not enforced (国发〔2016〕33号 第（二十二）项).
//!
//! The record is marked at once, on filing. The credit office forwards the objection to the
//! source unit, which decides: keep, correct or revoke, each with a written reason. The
//! deadlines are the jurisdiction's, in working days counted from filing (STANDARDS.md §4:
//! forward within 2, decide within 5, extended with a reason up to 20 in all).
//!
//! Anyone may object, not only the subject: a person or unit with an interest in the record
//! (a creditor, a competitor, a person named in it) files with their name, a contact and
//! their standing — why the record concerns them — which the subject itself need not give.
//! A filer's identity number is sealed at once and only ever shown masked; the subject
//! sees who objected to its record, but not how to reach them. Evidence is attached by id
//! (`attachment`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::listing::ListingError;
use crate::personal::PersonalDataKey;
use crate::record::RecordId;
use crate::value::mask_id;

/// A jurisdiction's objection deadlines, in working days from filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// For the credit office to forward it to the source unit.
    pub forward: u32,
    /// For the source unit to decide.
    pub decide: u32,
    /// The latest an extension may reach.
    pub extended_total: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            forward: 2,
            decide: 5,
            extended_total: 20,
        }
    }
}

/// An extension of the decision deadline, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub on: NaiveDate,
    pub reason: String,
    pub until: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The record stands.
    Keep,
    /// The source unit corrects the record (a new version follows through submission).
    Correct,
    /// The record is revoked.
    Revoke,
}

/// In whose right an objection is filed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiledAs {
    /// The record's subject, or the credit office on its behalf (objections logged before
    /// third parties could object are all of this kind).
    #[default]
    Subject,
    /// Someone else with an interest in the record, who must state it.
    ThirdParty,
}

/// The person or unit who objects, as they describe themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filer {
    pub name: String,
    /// How the source unit can reach them (telephone, address, e-mail).
    pub contact: String,
    /// Their interest in the record: why it concerns them. Required from a third party;
    /// empty when the subject names its contact person.
    #[serde(default)]
    pub standing: String,
    /// Their identity number, sealed ([`PersonalDataKey::seal`]); never stored in clear.
    #[serde(default)]
    pub id_number: Option<String>,
}

/// A filer's particulars as given, before the identity number is sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilerDetails<'a> {
    pub name: &'a str,
    pub contact: &'a str,
    pub standing: &'a str,
    pub id_number: Option<&'a str>,
}

/// Everything an objection is filed with.
#[derive(Debug, Clone)]
pub struct Filing<'a> {
    pub id: String,
    pub record: RecordId,
    pub subject: String,
    /// A key id, or the role of a caller without one (`public`).
    pub filed_by: String,
    pub filed_as: FiledAs,
    pub on: NaiveDate,
    pub grounds: &'a str,
    pub filer: Option<FilerDetails<'a>>,
    /// Ids of attachments (checked to exist by the caller), in the order given.
    pub attachments: Vec<String>,
}

/// Who reads an objection, as far as its filer's particulars go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The credit office and the record's source unit, who verify the objection and may have
    /// to reach its filer: the contact and the masked identity number.
    Handler,
    /// Everyone else who may read the case (the subject, auditors): the filer's name and
    /// standing only.
    Other,
}

/// One objection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    pub id: String,
    pub record: RecordId,
    pub subject: String,
    /// Who filed it: a key id, or the role of a caller without one (`public`).
    pub filed_by: String,
    #[serde(default)]
    pub filed_as: FiledAs,
    /// The filer's particulars: always for a third party, optional for the subject.
    #[serde(default)]
    pub filer: Option<Filer>,
    pub filed_on: NaiveDate,
    pub grounds: String,
    /// Ids (SHA-256 of the content) of the evidence filed with it.
    #[serde(default)]
    pub attachments: Vec<String>,
    /// The last day to forward it to the source unit.
    pub forward_by: NaiveDate,
    pub forwarded_on: Option<NaiveDate>,
    /// The last day for the source unit's decision (the latest extension's, if any).
    pub decide_by: NaiveDate,
    /// The latest day any extension may reach.
    pub decide_by_at_most: NaiveDate,
    #[serde(default)]
    pub extensions: Vec<Extension>,
    pub outcome: Option<Outcome>,
    pub decided_on: Option<NaiveDate>,
    pub reason: Option<String>,
}

/// One step of an objection, as written in the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ObjectionStep {
    Filed {
        /// Boxed: the filing carries the whole objection, the other steps a few fields.
        /// Serialised as the objection itself.
        objection: Box<Objection>,
    },
    Forwarded {
        on: NaiveDate,
    },
    Extended {
        on: NaiveDate,
        reason: String,
        until: NaiveDate,
    },
    Decided {
        on: NaiveDate,
        outcome: Outcome,
        reason: String,
    },
}

fn refuse(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ListingError {
    ListingError {
        code,
        zh: zh.into(),
        en: en.into(),
    }
}

impl Filer {
    /// Checks the particulars as `filed_as` requires them, and seals the identity number.
    fn new(
        filed_as: FiledAs,
        details: &FilerDetails<'_>,
        key: &PersonalDataKey,
    ) -> Result<Filer, ListingError> {
        let name = details.name.trim();
        let contact = details.contact.trim();
        let standing = details.standing.trim();
        if name.is_empty() || contact.is_empty() {
            return Err(refuse(
                "filer_incomplete",
                "异议人须提供姓名（名称）和联系方式",
                "the filer must give a name and a contact",
            ));
        }
        if filed_as == FiledAs::ThirdParty && standing.is_empty() {
            return Err(refuse(
                "standing_required",
                "信息主体以外的人提出异议，须说明与该记录的利害关系（standing）",
                "anyone but the subject must state their standing: their interest in the record",
            ));
        }
        let id_number = details
            .id_number
            .map(|n| n.trim().to_ascii_uppercase())
            .filter(|n| !n.is_empty());
        if let Some(number) = &id_number
            && (number.chars().count() > 40 || !number.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(refuse(
                "bad_id_number",
                format!("证件号码 {} 格式不正确", mask_id(number)),
                format!("the identity number {} is not well formed", mask_id(number)),
            ));
        }
        Ok(Filer {
            name: name.to_owned(),
            contact: contact.to_owned(),
            standing: standing.to_owned(),
            id_number: id_number.map(|n| key.seal(&n)),
        })
    }
}

impl Objection {
    /// Whether it is still being verified (and discipline on its record suspended).
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    /// Open and undecided after its deadline.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_open() && today > self.decide_by
    }

    /// Files an objection: marked at once, with its deadlines counted from `filing.on`. A
    /// third party must name itself, give a contact and state its standing; an identity
    /// number given is sealed with `key` before the objection exists.
    pub fn file(
        calendar: &WorkCalendar,
        deadlines: &Deadlines,
        filing: Filing<'_>,
        key: &PersonalDataKey,
    ) -> Result<(Objection, ObjectionStep), ListingError> {
        if filing.grounds.trim().is_empty() {
            return Err(refuse(
                "grounds_required",
                "异议须说明理由",
                "an objection must give its grounds",
            ));
        }
        let filer = match (filing.filed_as, filing.filer) {
            (FiledAs::ThirdParty, None) => {
                return Err(refuse(
                    "standing_required",
                    "信息主体以外的人提出异议，须提供姓名（名称）、联系方式和与该记录的利害关系（filer）",
                    "anyone but the subject must give their name, a contact and their standing \
                     (their interest in the record) as `filer`",
                ));
            }
            (_, None) => None,
            (filed_as, Some(details)) => Some(Filer::new(filed_as, &details, key)?),
        };
        let objection = Objection {
            id: filing.id,
            record: filing.record,
            subject: filing.subject,
            filed_by: filing.filed_by,
            filed_as: filing.filed_as,
            filer,
            filed_on: filing.on,
            grounds: filing.grounds.trim().to_owned(),
            attachments: filing.attachments,
            forward_by: calendar
                .add_working_days(filing.on, deadlines.forward)
                .value,
            forwarded_on: None,
            decide_by: calendar.add_working_days(filing.on, deadlines.decide).value,
            decide_by_at_most: calendar
                .add_working_days(filing.on, deadlines.extended_total)
                .value,
            extensions: Vec::new(),
            outcome: None,
            decided_on: None,
            reason: None,
        };
        let step = ObjectionStep::Filed {
            objection: Box::new(objection.clone()),
        };
        Ok((objection, step))
    }

    /// The objection as `reader` sees it: the filer's identity number unsealed and masked
    /// for those who handle it, and the filer's contact and number left out for everyone
    /// else. A number that cannot be unsealed (wrong key) is shown fully masked.
    pub fn shown_to(&self, reader: Reader, key: &PersonalDataKey) -> Objection {
        let mut shown = self.clone();
        if let Some(filer) = &mut shown.filer {
            match reader {
                Reader::Handler => {
                    filer.id_number = filer.id_number.as_deref().map(|sealed| {
                        key.unseal(sealed)
                            .map_or_else(|_| "*".repeat(18), |number| mask_id(&number))
                    });
                }
                Reader::Other => {
                    filer.contact = String::new();
                    filer.id_number = None;
                }
            }
        }
        shown
    }

    /// The credit office forwards it to the source unit.
    pub fn forward(&self, on: NaiveDate) -> Result<(Objection, ObjectionStep), ListingError> {
        self.expect_open()?;
        if self.forwarded_on.is_some() {
            return Err(ListingError {
                code: "already_forwarded",
                zh: "该异议已转交信息提供单位".into(),
                en: "the objection has been forwarded already".into(),
            });
        }
        let mut next = self.clone();
        next.forwarded_on = Some(on);
        Ok((next, ObjectionStep::Forwarded { on }))
    }

    /// The decision deadline moves to `until`, with a reason, never past the jurisdiction's
    /// total.
    pub fn extend(
        &self,
        on: NaiveDate,
        reason: &str,
        until: NaiveDate,
    ) -> Result<(Objection, ObjectionStep), ListingError> {
        self.expect_open()?;
        if reason.trim().is_empty() {
            return Err(ListingError {
                code: "reason_required",
                zh: "延期须说明理由".into(),
                en: "an extension must give its reason".into(),
            });
        }
        if until <= self.decide_by || until > self.decide_by_at_most {
            return Err(ListingError {
                code: "extension_out_of_range",
                zh: format!(
                    "延期须晚于 {} 且不晚于 {}",
                    self.decide_by, self.decide_by_at_most
                ),
                en: format!(
                    "an extension must end after {} and no later than {}",
                    self.decide_by, self.decide_by_at_most
                ),
            });
        }
        let mut next = self.clone();
        next.decide_by = until;
        next.extensions.push(Extension {
            on,
            reason: reason.trim().to_owned(),
            until,
        });
        Ok((
            next,
            ObjectionStep::Extended {
                on,
                reason: reason.trim().to_owned(),
                until,
            },
        ))
    }

    fn expect_open(&self) -> Result<(), ListingError> {
        if self.is_open() {
            return Ok(());
        }
        Err(ListingError {
            code: "wrong_state",
            zh: "该异议已办结".into(),
            en: "the objection has been decided".into(),
        })
    }

    pub fn decide(
        &self,
        on: NaiveDate,
        outcome: Outcome,
        reason: &str,
    ) -> Result<(Objection, ObjectionStep), ListingError> {
        self.expect_open()?;
        if reason.trim().is_empty() {
            return Err(ListingError {
                code: "reason_required",
                zh: "异议处理结果须书面说明理由".into(),
                en: "a decision on an objection must give its reasons".into(),
            });
        }
        let mut next = self.clone();
        next.outcome = Some(outcome);
        next.decided_on = Some(on);
        next.reason = Some(reason.trim().to_owned());
        Ok((
            next,
            ObjectionStep::Decided {
                on,
                outcome,
                reason: reason.trim().to_owned(),
            },
        ))
    }
}
