//! The catalog (目录): which kinds of credit information may be recorded, their field layouts,
//! their legal bases and who may see them.
//!
//! Catalog first: a record whose item is not in the catalog cannot exist, and every item names
//! the law that allows it. The catalog is data (`catalog/*.toml`), embedded as the default and
//! replaceable by a deployment; [`Catalog::from_sources`] checks it thoroughly so that a broken
//! catalog fails at start with a message naming the file and the field, never later on a row.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::publication::PublicationRules;

/// The default catalog shipped with gongxin: `catalog/catalog.toml` and one file per item.
const EMBEDDED_MAIN: &str = include_str!("../../../catalog/catalog.toml");
const EMBEDDED_ITEMS: &[(&str, &str)] = &[
    (
        "items/admin_license.toml",
        include_str!("../../../catalog/items/admin_license.toml"),
    ),
    (
        "items/admin_penalty.toml",
        include_str!("../../../catalog/items/admin_penalty.toml"),
    ),
    (
        "items/serious_dishonesty.toml",
        include_str!("../../../catalog/items/serious_dishonesty.toml"),
    ),
    (
        "items/abnormal_operation.toml",
        include_str!("../../../catalog/items/abnormal_operation.toml"),
    ),
    (
        "items/dishonest_debtor.toml",
        include_str!("../../../catalog/items/dishonest_debtor.toml"),
    ),
    (
        "items/honour.toml",
        include_str!("../../../catalog/items/honour.toml"),
    ),
    (
        "items/key_attention.toml",
        include_str!("../../../catalog/items/key_attention.toml"),
    ),
    (
        "items/credit_commitment.toml",
        include_str!("../../../catalog/items/credit_commitment.toml"),
    ),
];

/// A catalog that could not be loaded, naming the file and what is wrong in it.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog file {file}: {source}")]
    Syntax {
        file: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("catalog file {file}: {message}")]
    Invalid { file: String, message: String },
}

/// The kinds of the national public credit information base catalog (2021 edition with the
/// 2022 and 2024 additions).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    /// Position in the national catalog (1–13).
    pub number: u8,
    pub name_zh: String,
    pub name_en: String,
    /// Edition of the national catalog that introduced the kind.
    pub since: u16,
}

/// Whether information counts for or against a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    Positive,
    Negative,
    Neutral,
}

/// Who may read a record or field, from widest to narrowest. The order matters: a reader
/// allowed `Shared` may also read `Public`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// 社会公开: anyone, within the publication window.
    Public,
    /// 政务共享: government departments, for their duties.
    Shared,
    /// 授权查询: only with the subject's authorisation or a role for it.
    Authorised,
    /// 不公开: kept for the record, shown to nobody but its source and the subject.
    Closed,
}

/// Which departments a record is shared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareScope {
    /// Every department of the platform (无条件共享).
    AllDepartments,
    /// Departments whose duties need it, on request (有条件共享).
    OnRequest,
    /// Only the source unit and the credit office (不予共享).
    SourceOnly,
}

/// A legal basis, precise enough to be cited in a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
}

/// How a field's raw text is parsed and normalised.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldType {
    /// Free text of at most `max_len` characters (not bytes).
    Text { max_len: usize },
    /// A calendar date in any of the layouts departments use; stored as `YYYY-MM-DD`.
    Date,
    /// A non-negative decimal with at most `scale` fractional digits, e.g. fines in 万元.
    Decimal { scale: u32 },
    /// One value from a closed list; `aliases` maps other spellings to a value.
    Enum {
        values: Vec<String>,
        aliases: HashMap<String, String>,
    },
    /// Several values from a list, separated by `;` `；` `、` or `,`. With `open_other`, free
    /// text may follow the value `其他`.
    Set {
        values: Vec<String>,
        aliases: HashMap<String, String>,
        open_other: bool,
    },
    /// A Unified Social Credit Code.
    Uscc,
    /// A GB 11714 organisation code.
    OrgCode,
    /// A 15-digit business registration number.
    RegNo,
    /// A personal identity document number; personal data.
    IdNumber,
}

/// When a field must be filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Required {
    /// `true`: always; `false`: never.
    Flag(bool),
    /// `"current"`: in the current template only (the 2015–2016 template lacked the field).
    Template(TemplateRequirement),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateRequirement {
    Current,
}

/// A field that becomes required when another field of the row has one of some values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    /// The condition holds when the other field (an enum or set) contains any of these.
    pub any_of: Vec<String>,
}

/// One column of an item's layout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawField")]
pub struct Field {
    /// The field code used in files, e.g. `CF_WSH`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Other header texts meaning this field: older codes, other Chinese names.
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(flatten)]
    pub ty: FieldType,
    pub required: Required,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_when: Option<Condition>,
    /// Personal data of a natural person: never shown unmasked to the public.
    pub personal: bool,
    /// Who may read this field; defaults to the item's disclosure scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<Disclosure>,
    /// Present only in the 2015–2016 template.
    pub legacy: bool,
}

/// A field as written in a catalog file: flat keys, strictly checked, so that a typo such as
/// `requried` is an error rather than a silently optional field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    code: String,
    name_zh: String,
    name_en: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(rename = "type")]
    kind: String,
    max_len: Option<usize>,
    scale: Option<u32>,
    values: Option<Vec<String>>,
    #[serde(default)]
    value_aliases: HashMap<String, String>,
    #[serde(default)]
    open_other: bool,
    #[serde(default = "not_required")]
    required: Required,
    required_when: Option<Condition>,
    #[serde(default)]
    personal: bool,
    disclosure: Option<Disclosure>,
    #[serde(default)]
    legacy: bool,
}

fn not_required() -> Required {
    Required::Flag(false)
}

impl TryFrom<RawField> for Field {
    type Error = String;

    fn try_from(raw: RawField) -> Result<Self, Self::Error> {
        let code = raw.code;
        let needs = |what: &str| format!("field `{code}` of type `{}` needs `{what}`", raw.kind);
        let ty = match raw.kind.as_str() {
            "text" => FieldType::Text {
                max_len: raw.max_len.ok_or_else(|| needs("max_len"))?,
            },
            "date" => FieldType::Date,
            "decimal" => FieldType::Decimal {
                scale: raw.scale.ok_or_else(|| needs("scale"))?,
            },
            "enum" => FieldType::Enum {
                values: raw.values.ok_or_else(|| needs("values"))?,
                aliases: raw.value_aliases,
            },
            "set" => FieldType::Set {
                values: raw.values.ok_or_else(|| needs("values"))?,
                aliases: raw.value_aliases,
                open_other: raw.open_other,
            },
            "uscc" => FieldType::Uscc,
            "org_code" => FieldType::OrgCode,
            "reg_no" => FieldType::RegNo,
            "id_number" => FieldType::IdNumber,
            other => {
                return Err(format!(
                    "field `{code}`: unknown type `{other}` (expected text, date, decimal, enum, set, uscc, org_code, reg_no or id_number)"
                ));
            }
        };
        Ok(Field {
            code,
            name_zh: raw.name_zh,
            name_en: raw.name_en,
            aliases: raw.aliases,
            ty,
            required: raw.required,
            required_when: raw.required_when,
            personal: raw.personal,
            disclosure: raw.disclosure,
            legacy: raw.legacy,
        })
    }
}

/// Which fields play the parts every record needs. Values are field codes of the item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    pub subject_name: String,
    /// The subject's category (legal person / individual business / natural person), if the
    /// layout has one.
    #[serde(default)]
    pub subject_category: Option<String>,
    pub uscc: String,
    #[serde(default)]
    pub reg_no: Option<String>,
    #[serde(default)]
    pub org_code: Option<String>,
    /// The decision's document number: with source unit and item, the natural key.
    pub document_no: String,
    pub decision_date: String,
    /// The source unit's code, then its name: the first one filled in is the source.
    pub source_unit: Vec<String>,
    /// A field whose value `撤销` (or an alias of it) revokes the record.
    #[serde(default)]
    pub status: Option<String>,
    /// The legal representative's name: searchable by the roles allowed to see it.
    #[serde(default)]
    pub legal_representative: Option<String>,
    /// The legal representative's identity number: what a measure that reaches responsible
    /// persons matches them by.
    #[serde(default)]
    pub legal_representative_id: Option<String>,
    /// The penalty kinds imposed (处罚类别), which choose the publication period.
    #[serde(default)]
    pub penalty_kinds: Option<String>,
    /// The fine in 万元, compared with the small-fine threshold of the publication rules.
    #[serde(default)]
    pub fine_wan_yuan: Option<String>,
    /// The last valid day (有效期至), which ends publication of items that expire.
    #[serde(default)]
    pub valid_to: Option<String>,
    /// The day the item ended (e.g. 移出日期, removal from a list), which ends publication.
    #[serde(default)]
    pub ended_on: Option<String>,
    /// For list entries: why the subject is listed (列入原因), its basis (认定依据) and why it
    /// left the list (移出原因) — what the listing workflow fills in.
    #[serde(default)]
    pub list_reason: Option<String>,
    #[serde(default)]
    pub list_basis: Option<String>,
    #[serde(default)]
    pub removal_reason: Option<String>,
}

/// One kind of credit information.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub polarity: Polarity,
    /// Id of the national catalog kind it belongs to.
    pub category: String,
    pub legal_basis: Vec<LegalBasis>,
    pub share_scope: ShareScope,
    pub disclosure: Disclosure,
    /// Id of the publication-period rule (see `catalog/publication.toml`).
    pub publication: String,
    /// Whether credit repair (信用修复) can end its publication early.
    pub repairable: bool,
    pub roles: Roles,
    pub fields: Vec<Field>,
    /// Positions of the role and condition fields, resolved once when the catalog is loaded:
    /// rows are parsed millions of times, and looking fields up by code each time was the
    /// largest cost of an import.
    #[serde(skip)]
    pub(crate) index: ItemIndex,
}

/// Field positions of an item's roles and conditions. Only [`Catalog::from_sources`] builds
/// them, after checking that every field they name exists.
#[derive(Debug, Clone, Default)]
pub(crate) struct ItemIndex {
    pub subject_name: usize,
    pub subject_category: Option<usize>,
    pub uscc: usize,
    pub reg_no: Option<usize>,
    pub org_code: Option<usize>,
    pub document_no: usize,
    pub decision_date: usize,
    pub source_unit: Vec<usize>,
    pub status: Option<usize>,
    /// For each field, the position of the field its `required_when` condition reads.
    pub condition: Vec<Option<usize>>,
}

impl ItemIndex {
    /// Resolves the positions; `None` when a named field is missing (the checks before this
    /// report which one).
    fn resolve(item: &Item) -> Option<Self> {
        let at = |code: &str| item.field_index(code);
        // `Some(None)`: no such role; `None`: the role names a missing field.
        let resolve = |code: Option<&str>| match code {
            None => Some(None),
            Some(code) => at(code).map(Some),
        };
        let optional = |code: &Option<String>| resolve(code.as_deref());
        let roles = &item.roles;
        Some(Self {
            subject_name: at(&roles.subject_name)?,
            subject_category: optional(&roles.subject_category)?,
            uscc: at(&roles.uscc)?,
            reg_no: optional(&roles.reg_no)?,
            org_code: optional(&roles.org_code)?,
            document_no: at(&roles.document_no)?,
            decision_date: at(&roles.decision_date)?,
            source_unit: roles
                .source_unit
                .iter()
                .map(|c| at(c))
                .collect::<Option<_>>()?,
            status: optional(&roles.status)?,
            condition: item
                .fields
                .iter()
                .map(|f| resolve(f.required_when.as_ref().map(|c| c.field.as_str())))
                .collect::<Option<_>>()?,
        })
    }
}

/// The catalog as loaded: a version, the kinds and the items.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    pub version: String,
    pub title: String,
    pub based_on: String,
    pub categories: Vec<Category>,
    pub items: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    version: String,
    title: String,
    based_on: String,
    categories: Vec<Category>,
}

/// The values of a subject-category field that mark rows about natural persons.
pub const NATURAL_PERSON: &str = "自然人";
/// The subject-category value for individual businesses, which may carry the placeholder code.
pub const INDIVIDUAL_BUSINESS: &str = "个体工商户";

impl Catalog {
    /// The catalog embedded in the binary. It is checked by the test suite, so an error here
    /// means a broken build rather than bad input.
    pub fn embedded() -> Result<Catalog, CatalogError> {
        Self::from_sources(EMBEDDED_MAIN, EMBEDDED_ITEMS)
    }

    /// The embedded sources, for a deployment that wants to start from them.
    pub fn embedded_sources() -> (&'static str, &'static [(&'static str, &'static str)]) {
        (EMBEDDED_MAIN, EMBEDDED_ITEMS)
    }

    /// Parses and checks a catalog from `catalog.toml` and item files given as (name, text).
    pub fn from_sources(main: &str, items: &[(&str, &str)]) -> Result<Catalog, CatalogError> {
        let file: CatalogFile = toml::from_str(main).map_err(|source| CatalogError::Syntax {
            file: "catalog.toml".into(),
            source,
        })?;
        let mut catalog = Catalog {
            version: file.version,
            title: file.title,
            based_on: file.based_on,
            categories: file.categories,
            items: Vec::with_capacity(items.len()),
        };
        for (name, text) in items {
            let mut item: Item = toml::from_str(text).map_err(|source| CatalogError::Syntax {
                file: (*name).to_owned(),
                source,
            })?;
            let invalid = |message| CatalogError::Invalid {
                file: (*name).to_owned(),
                message,
            };
            catalog.check_item(&item).map_err(invalid)?;
            item.index = ItemIndex::resolve(&item).ok_or_else(|| {
                invalid(format!("item `{}`: a role names a missing field", item.id))
            })?;
            catalog.items.push(item);
        }
        catalog
            .check_whole()
            .map_err(|message| CatalogError::Invalid {
                file: "catalog.toml".into(),
                message,
            })?;
        Ok(catalog)
    }

    /// Checks that every item names a publication rule that `rules` defines: the catalog and
    /// the rules are separate files, and a deployment may edit either.
    pub fn check_publication_rules(&self, rules: &PublicationRules) -> Result<(), CatalogError> {
        match self
            .items
            .iter()
            .find(|item| !rules.has_rule(&item.publication))
        {
            Some(item) => Err(CatalogError::Invalid {
                file: format!("items/{}.toml", item.id),
                message: format!(
                    "item `{}` names publication rule `{}`, which the publication rules do not define",
                    item.id, item.publication
                ),
            }),
            None => Ok(()),
        }
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|item| item.id == id)
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    fn check_whole(&self) -> Result<(), String> {
        if self.version.trim().is_empty() {
            return Err("version must not be empty".into());
        }
        let mut ids = BTreeSet::new();
        for item in &self.items {
            if !ids.insert(item.id.as_str()) {
                return Err(format!("item id `{}` appears twice", item.id));
            }
        }
        let mut numbers = BTreeSet::new();
        for category in &self.categories {
            if !numbers.insert(category.number) {
                return Err(format!("category number {} appears twice", category.number));
            }
        }
        Ok(())
    }

    fn check_item(&self, item: &Item) -> Result<(), String> {
        let id_ok = !item.id.is_empty()
            && item
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit());
        if !id_ok {
            return Err(format!(
                "item id `{}` must be lower-case ASCII, digits and `_`",
                item.id
            ));
        }
        if self.category(&item.category).is_none() {
            return Err(format!(
                "item `{}`: category `{}` is not in catalog.toml",
                item.id, item.category
            ));
        }
        if item.legal_basis.is_empty() {
            return Err(format!(
                "item `{}` has no legal basis; every item needs one",
                item.id
            ));
        }
        let mut codes = BTreeSet::new();
        for field in &item.fields {
            if !codes.insert(field.code.as_str()) {
                return Err(format!(
                    "item `{}`: field `{}` appears twice",
                    item.id, field.code
                ));
            }
            check_field_type(&item.id, field)?;
        }
        let known = |code: &str| item.fields.iter().any(|f| f.code == code);
        let roles = &item.roles;
        let mut role_fields: Vec<(&str, &str)> = vec![
            ("subject_name", &roles.subject_name),
            ("uscc", &roles.uscc),
            ("document_no", &roles.document_no),
            ("decision_date", &roles.decision_date),
        ];
        role_fields.extend(
            roles
                .subject_category
                .as_deref()
                .map(|c| ("subject_category", c)),
        );
        role_fields.extend(roles.reg_no.as_deref().map(|c| ("reg_no", c)));
        role_fields.extend(roles.org_code.as_deref().map(|c| ("org_code", c)));
        role_fields.extend(roles.status.as_deref().map(|c| ("status", c)));
        for (role, code) in [
            ("legal_representative", &roles.legal_representative),
            ("legal_representative_id", &roles.legal_representative_id),
            ("penalty_kinds", &roles.penalty_kinds),
            ("fine_wan_yuan", &roles.fine_wan_yuan),
            ("valid_to", &roles.valid_to),
            ("ended_on", &roles.ended_on),
            ("list_reason", &roles.list_reason),
            ("list_basis", &roles.list_basis),
            ("removal_reason", &roles.removal_reason),
        ] {
            role_fields.extend(code.as_deref().map(|c| (role, c)));
        }
        role_fields.extend(
            roles
                .source_unit
                .iter()
                .map(|c| ("source_unit", c.as_str())),
        );
        for (role, code) in role_fields {
            if !known(code) {
                return Err(format!(
                    "item `{}`: role `{role}` names field `{code}`, which the item does not have",
                    item.id
                ));
            }
        }
        if roles.source_unit.is_empty() {
            return Err(format!("item `{}`: roles.source_unit is empty", item.id));
        }
        let uscc = item.field(&roles.uscc).map(|f| &f.ty);
        if uscc != Some(&FieldType::Uscc) {
            return Err(format!(
                "item `{}`: the uscc role field must have type `uscc`",
                item.id
            ));
        }
        let date = item.field(&roles.decision_date).map(|f| &f.ty);
        if date != Some(&FieldType::Date) {
            return Err(format!(
                "item `{}`: the decision_date role field must have type `date`",
                item.id
            ));
        }
        for field in &item.fields {
            if let Some(condition) = &field.required_when {
                let Some(other) = item.field(&condition.field) else {
                    return Err(format!(
                        "item `{}`: field `{}` is required when `{}`, which the item does not have",
                        item.id, field.code, condition.field
                    ));
                };
                let allowed = match &other.ty {
                    FieldType::Enum { values, .. } | FieldType::Set { values, .. } => values,
                    _ => {
                        return Err(format!(
                            "item `{}`: condition on `{}` needs an enum or set field",
                            item.id, condition.field
                        ));
                    }
                };
                if let Some(bad) = condition.any_of.iter().find(|v| !allowed.contains(v)) {
                    return Err(format!(
                        "item `{}`: condition value `{bad}` is not a value of `{}`",
                        item.id, condition.field
                    ));
                }
            }
        }
        Ok(())
    }
}

fn check_field_type(item: &str, field: &Field) -> Result<(), String> {
    match &field.ty {
        FieldType::Text { max_len: 0 } => Err(format!(
            "item `{item}`: field `{}` has max_len 0",
            field.code
        )),
        FieldType::Decimal { scale } if *scale > 12 => Err(format!(
            "item `{item}`: field `{}` has scale {scale}; at most 12 is supported",
            field.code
        )),
        FieldType::Enum { values, aliases }
        | FieldType::Set {
            values, aliases, ..
        } => {
            if values.is_empty() {
                return Err(format!(
                    "item `{item}`: field `{}` has no values",
                    field.code
                ));
            }
            match aliases.values().find(|target| !values.contains(target)) {
                Some(bad) => Err(format!(
                    "item `{item}`: field `{}` has an alias to `{bad}`, which is not one of its values",
                    field.code
                )),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

impl Item {
    pub fn field(&self, code: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.code == code)
    }

    pub fn field_index(&self, code: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.code == code)
    }

    /// Who may read `field`: its own scope, or the item's.
    pub fn field_disclosure(&self, field: &Field) -> Disclosure {
        field
            .disclosure
            .unwrap_or(self.disclosure)
            .max(self.disclosure)
    }
}

impl fmt::Display for Polarity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Polarity::Positive => "positive",
            Polarity::Negative => "negative",
            Polarity::Neutral => "neutral",
        })
    }
}
