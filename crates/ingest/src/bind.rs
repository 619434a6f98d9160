//! Binding a file's header row to a catalog item's fields.
//!
//! Departments label the same column by its field code (`CF_WSH`), its Chinese name, an older
//! name, or a code-plus-name (`行政相对人代码_1(统一社会信用代码)`), with any brackets and
//! spacing. Every spelling the catalog knows is normalised once into a lookup table; each
//! header cell is then tried in its [`header_variants`] order.

use std::collections::HashMap;

use gongxin_core::catalog::Item;
use gongxin_core::problem::Problem;
use gongxin_core::record::Template;

use crate::read::{header_variants, normalise_header};

/// How the columns of one file map onto an item's fields.
#[derive(Debug, Clone)]
pub struct Binding {
    /// For each field of the item (in catalog order), the file column that holds it.
    pub columns: Vec<Option<usize>>,
    pub template: Template,
    /// File-level remarks: unknown or duplicate columns. Warnings only.
    pub warnings: Vec<Problem>,
}

/// Maps every known spelling of every field of `item` to the field's index.
#[derive(Debug, Clone)]
pub struct FieldLookup {
    by_name: HashMap<String, usize>,
}

impl FieldLookup {
    pub fn new(item: &Item) -> Self {
        let mut by_name = HashMap::new();
        for (index, field) in item.fields.iter().enumerate() {
            let names = [&field.code, &field.name_zh, &field.name_en]
                .into_iter()
                .chain(&field.aliases);
            for name in names {
                // The first field to claim a spelling keeps it: codes come before aliases in
                // catalog order, so an alias can never hide a field's own code.
                by_name.entry(normalise_header(name)).or_insert(index);
            }
        }
        Self { by_name }
    }

    /// The field a header cell names, trying the cell's variants best first.
    pub fn field_of(&self, header_cell: &str) -> Option<usize> {
        header_variants(header_cell)
            .iter()
            .find_map(|variant| self.by_name.get(variant).copied())
    }
}

/// Binds `header` to `item`. Fails, with the reasons, when the file cannot be a file of this
/// item at all: none of the fields that identify a record has a column.
pub fn bind(item: &Item, header: &[String]) -> Result<Binding, Vec<Problem>> {
    let lookup = FieldLookup::new(item);
    let mut columns = vec![None; item.fields.len()];
    let mut warnings = Vec::new();
    for (column, cell) in header.iter().enumerate() {
        if cell.trim().is_empty() {
            continue;
        }
        match lookup.field_of(cell) {
            Some(field) if columns[field].is_none() => columns[field] = Some(column),
            Some(field) => warnings.push(
                Problem::warning(
                    "duplicate_column",
                    format!(
                        "第{}列与前面的列都对应字段 {}，已忽略此列",
                        column + 1,
                        item.fields[field].code
                    ),
                    format!(
                        "column {} maps to field {} like an earlier column and is ignored",
                        column + 1,
                        item.fields[field].code
                    ),
                )
                .at(&item.fields[field].code, cell),
            ),
            None => warnings.push(
                Problem::warning(
                    "unknown_column",
                    format!(
                        "第{}列“{cell}”不是“{}”的字段，已忽略",
                        column + 1,
                        item.name_zh
                    ),
                    format!(
                        "column {} `{cell}` is not a field of {}; ignored",
                        column + 1,
                        item.id
                    ),
                )
                .at("", cell),
            ),
        }
    }
    let roles = &item.roles;
    let identifying = [
        &roles.subject_name,
        &roles.document_no,
        &roles.decision_date,
    ];
    let missing: Vec<&str> = identifying
        .into_iter()
        .filter(|code| item.field_index(code).is_none_or(|i| columns[i].is_none()))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing
            .iter()
            .filter_map(|code| item.field(code).map(|f| f.name_zh.as_str()))
            .collect();
        let mut problems = vec![Problem::error(
            "missing_columns",
            format!(
                "表头缺少“{}”的必需列：{}。请确认文件属于该信息项，表头使用字段代码或中文字段名",
                item.name_zh,
                names.join("、")
            ),
            format!(
                "the header lacks columns that {} requires: {}; check that the file belongs to this item and that its header uses field codes or Chinese field names",
                item.id,
                missing.join(", ")
            ),
        )];
        problems.extend(warnings);
        return Err(problems);
    }
    let legacy = item
        .fields
        .iter()
        .zip(&columns)
        .any(|(field, column)| field.legacy && column.is_some());
    Ok(Binding {
        columns,
        template: if legacy {
            Template::Legacy2016
        } else {
            Template::Current
        },
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongxin_core::catalog::Catalog;

    fn penalty() -> Item {
        Catalog::embedded()
            .unwrap()
            .item("admin_penalty")
            .unwrap()
            .clone()
    }

    #[test]
    fn codes_names_and_decorated_names_bind_to_the_same_fields() {
        let item = penalty();
        let header: Vec<String> = [
            "CF_XDR_MC",
            "行政相对人代码_1(统一社会信用代码)",
            "罚款金额（万元）",
            " 处罚决定日期 ",
            "cf_wsh",
            "备 注",
            "无关列",
        ]
        .map(String::from)
        .to_vec();
        let binding = bind(&item, &header).unwrap();
        let column = |code| binding.columns[item.field_index(code).unwrap()];
        assert_eq!(column("CF_XDR_MC"), Some(0));
        assert_eq!(column("CF_XDR_SHXYM"), Some(1));
        assert_eq!(column("CF_NR_FK"), Some(2));
        assert_eq!(column("CF_JDRQ"), Some(3));
        assert_eq!(column("CF_WSH"), Some(4));
        assert_eq!(column("BZ"), Some(5));
        assert_eq!(binding.template, Template::Current);
        assert_eq!(binding.warnings.len(), 1);
        assert_eq!(binding.warnings[0].code, "unknown_column");
    }

    #[test]
    fn the_2016_template_is_recognised_by_its_own_columns() {
        let item = penalty();
        let header: Vec<String> = [
            "CF_WSH",
            "CF_CFMC",
            "CF_CFLB1",
            "CF_XDR_MC",
            "CF_JG",
            "CF_JDRQ",
            "CF_XZJG",
            "DFBM",
            "SJC",
        ]
        .map(String::from)
        .to_vec();
        let binding = bind(&item, &header).unwrap();
        assert_eq!(binding.template, Template::Legacy2016);
        assert_eq!(
            binding.columns[item.field_index("CF_CFLB").unwrap()],
            Some(2)
        );
        assert_eq!(binding.columns[item.field_index("CF_NR").unwrap()], Some(4));
        assert_eq!(
            binding.columns[item.field_index("CF_CFJG").unwrap()],
            Some(6)
        );
    }

    #[test]
    fn a_file_of_another_item_is_refused_with_the_missing_columns() {
        let item = penalty();
        let header: Vec<String> = ["XK_XDR_MC", "XK_WSH", "XK_JDRQ"]
            .map(String::from)
            .to_vec();
        let problems = bind(&item, &header).unwrap_err();
        assert_eq!(problems[0].code, "missing_columns");
        assert!(problems[0].message_zh.contains("行政处罚决定书文号"));
    }
}
