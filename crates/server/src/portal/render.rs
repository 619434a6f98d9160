//! The content of each portal page. Every piece of text from the data goes through
//! [`escape`]; every link goes through [`Page::href`], which keeps the language.

use std::fmt::Write;

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset, NaiveDate};
use gongxin_core::catalog::Category;
use gongxin_core::record::RecordStatus;

use super::page::{Page, encode, escape};
use crate::api::records::{RecordDetail, RecordList};
use crate::api::subjects::{Profile, SearchAnswer};
use crate::error::{ApiError, ErrorCode};
use crate::view::{RecordView, SubjectView};

/// Subject types by the first two characters of the USCC, for the search filter and the
/// entity page.
const SUBJECT_TYPES: &[(&str, &str, &str)] = &[
    ("91", "企业", "Enterprise"),
    ("92", "个体工商户", "Individual business"),
    ("93", "农民专业合作社", "Farmers' cooperative"),
    ("11", "机关", "Government agency"),
    ("12", "事业单位", "Public institution"),
    ("51", "社会团体", "Social organisation"),
    ("52", "民办非企业单位", "Private non-enterprise unit"),
    ("53", "基金会", "Foundation"),
];

/// What the search form shows.
#[derive(Debug)]
pub struct SearchForm {
    pub q: String,
    pub subject_type: Option<String>,
}

pub(super) fn subject_type_name(page: &Page, code: &str) -> Option<String> {
    SUBJECT_TYPES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| page.t(zh, en).to_owned())
}

fn search_form(page: &Page, form: &SearchForm) -> String {
    let mut html = String::from(
        "<form class=\"search card\" action=\"/search\" method=\"get\" role=\"search\">",
    );
    let _ = write!(
        html,
        "<div class=\"row\"><div class=\"q\"><label for=\"q\">{label}</label>\
         <input id=\"q\" name=\"q\" type=\"search\" value=\"{value}\" required maxlength=\"100\" \
         autocomplete=\"off\" placeholder=\"{placeholder}\" aria-describedby=\"q-hint\"></div>\
         <div class=\"t\"><label for=\"type\">{type_label}</label><select id=\"type\" name=\"type\">\
         <option value=\"\">{all}</option>",
        label = page.t(
            "主体名称或统一社会信用代码",
            "Name or unified social credit code"
        ),
        value = escape(&form.q),
        placeholder = page.t("如：某某科技有限公司", "e.g. a company name"),
        type_label = page.t("主体类型", "Type"),
        all = page.t("全部", "All"),
    );
    for (code, zh, en) in SUBJECT_TYPES {
        let selected = if form.subject_type.as_deref() == Some(code) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            html,
            "<option value=\"{code}\"{selected}>{}</option>",
            page.t(zh, en)
        );
    }
    let _ = write!(
        html,
        "</select></div><button type=\"submit\">{button}</button></div>\
         <p id=\"q-hint\" class=\"muted\" style=\"margin:.4rem 0 0\">{hint}</p>",
        button = page.t("查询", "Search"),
        hint = page.t(
            "可输入名称中任意连续两个以上汉字、曾用名，或统一社会信用代码、组织机构代码、注册号。",
            "Any two or more consecutive characters of a current or former name, or a \
             unified social credit code, organisation code or registration number.",
        ),
    );
    if page.lang == super::Lang::En {
        html.push_str("<input type=\"hidden\" name=\"lang\" value=\"en\">");
    }
    html.push_str("</form>");
    html
}

/// `GET /`.
pub fn home(page: &Page, searchable_subjects: u64) -> Response {
    let title = page.t("首页", "Home");
    let mut main = format!(
        "<h1>{}</h1><p class=\"lead\">{}</p>",
        page.t("信用信息公示与查询", "Credit information: publication and search"),
        page.t(
            "查询市场主体的行政许可、行政处罚、经营异常名录、严重失信主体名单、守信激励等公共信用信息。",
            "Look up the public credit information of market entities: administrative \
             licences and penalties, the abnormal-operation list, the serious-dishonesty list, \
             honours and commitments.",
        )
    );
    main.push_str(&search_form(
        page,
        &SearchForm {
            q: String::new(),
            subject_type: None,
        },
    ));
    let _ = write!(
        main,
        "<p class=\"muted\">{}</p>",
        match page.lang {
            super::Lang::Zh => format!("可查询 {searchable_subjects} 个信用主体。"),
            super::Lang::En => format!("{searchable_subjects} subjects can be searched."),
        }
    );
    let _ = write!(
        main,
        "<section aria-labelledby=\"about\"><h2 id=\"about\">{h}</h2><ul>\
         <li>{a}</li><li>{b}</li><li>{c}</li></ul></section>",
        h = page.t("关于公示", "About publication"),
        a = page.t(
            "每条信息按信用信息目录确定的公示期限公开，期满后不再公示；每条信息页面注明公示截止日期。",
            "Each record is shown for the period the catalog sets and no longer afterwards; \
             every record page says until when it is shown.",
        ),
        b = page.t(
            "自然人身份证件号码等个人信息不在本站公开。",
            "Personal data such as identity card numbers is never shown on this site.",
        ),
        c = page.t(
            "所有信息的报送、更正和撤销都记入可验证的变更历史。",
            "Every submission, correction and revocation is kept in a verifiable history.",
        ),
    );
    page.render(StatusCode::OK, title, &main)
}

fn search_title(page: &Page) -> &str {
    page.t("信用查询", "Search")
}

/// `GET /search` without a query: the form and how to use it.
pub fn search_prompt(page: &Page, form: &SearchForm) -> Response {
    let main = format!(
        "<h1>{}</h1>{}<p>{}</p>",
        search_title(page),
        search_form(page, form),
        page.t(
            "请输入要查询的主体名称（至少两个字）或代码。",
            "Enter a name (at least two characters) or a code to search for.",
        )
    );
    page.render(StatusCode::OK, search_title(page), &main)
}

/// A query the search cannot answer: the form again with why, in the page's language.
pub fn search_error(page: &Page, form: &SearchForm, error: &ApiError) -> Response {
    let (zh, en) = error.messages();
    let hint = if error.code() == ErrorCode::BadQuery {
        page.t(
            "请输入至少两个字的名称片段，或完整的代码。",
            "Enter at least two characters of a name, or a whole code.",
        )
    } else {
        ""
    };
    let main = format!(
        "<h1>{}</h1>{}<div class=\"notice\" role=\"alert\"><p style=\"margin:0\">{}</p>\
         <p class=\"muted\" style=\"margin:.25rem 0 0\">{}</p></div>",
        search_title(page),
        search_form(page, form),
        escape(page.t(&zh, &en)),
        escape(hint),
    );
    page.render(error.code().status(), search_title(page), &main)
}

/// `name` with the first literal occurrence of `q` marked.
fn highlight(name: &str, q: &str) -> String {
    match name.find(q).filter(|_| !q.is_empty()) {
        Some(at) => format!(
            "{}<mark>{}</mark>{}",
            escape(&name[..at]),
            escape(q),
            escape(&name[at + q.len()..])
        ),
        None => escape(name),
    }
}

fn matched_label(page: &Page, matched: &str, kind: &str) -> String {
    let field = match matched {
        "name" => page.t("名称", "name"),
        "former_name" => page.t("曾用名", "former name"),
        "code" => page.t("统一社会信用代码", "credit code"),
        "old_code" => page.t("原代码", "old code"),
        "legal_representative" => page.t("法定代表人", "legal representative"),
        other => other,
    };
    let how = match kind {
        "exact" => page.t("完全一致", "exact"),
        "prefix" => page.t("开头一致", "prefix"),
        "substring" => page.t("包含", "contains"),
        other => other,
    };
    match page.lang {
        super::Lang::Zh => format!("{field}（{how}）"),
        super::Lang::En => format!("{field} ({how})"),
    }
}

fn region_text(code: &str) -> String {
    match gongxin_codes::regions::region(code) {
        Some(region) => format!("{} {}", region.full_name(), code),
        None => code.to_owned(),
    }
}

/// `GET /search?q=`: the hits, with paging.
pub fn results(
    page: &Page,
    form: &SearchForm,
    answer: &SearchAnswer,
    offset: usize,
    limit: usize,
) -> Response {
    let mut main = format!("<h1>{}</h1>{}", search_title(page), search_form(page, form));
    let q = escape(&form.q);
    let summary = match (page.lang, answer.exhaustive) {
        (super::Lang::Zh, true) => format!("“{q}”共找到 {} 个主体。", answer.total),
        (super::Lang::Zh, false) => format!("“{q}”找到至少 {} 个主体。", answer.total),
        (super::Lang::En, true) => format!("{} subjects found for “{q}”.", answer.total),
        (super::Lang::En, false) => format!("At least {} subjects found for “{q}”.", answer.total),
    };
    let _ = write!(
        main,
        "<section aria-labelledby=\"hits\"><h2 id=\"hits\" class=\"vh\">{}</h2>\
         <p role=\"status\">{summary}</p>",
        page.t("查询结果", "Results")
    );
    if answer.hits.is_empty() {
        main.push_str(&notice(
            page,
            "没有找到相符的主体。请检查名称或代码，或换用更短的名称片段。",
            "No subject matches. Check the name or code, or try a shorter part of the name.",
        ));
    } else {
        let _ = write!(main, "<ol class=\"hits\" start=\"{}\">", offset + 1);
        for hit in &answer.hits {
            let _ = write!(
                main,
                "<li class=\"card\"><h3><a href=\"{href}\">{name}</a></h3><dl class=\"facts\">\
                 <dt>{code_label}</dt><dd><code>{code}</code></dd>\
                 <dt>{matched_label}</dt><dd>{matched}</dd>",
                href = page.entity_href(&hit.code),
                name = highlight(&hit.name, &form.q),
                code_label = page.t("统一社会信用代码", "Credit code"),
                code = escape(&hit.code),
                matched_label = page.t("匹配字段", "Matched"),
                matched = escape(&matched_label(page, hit.matched, hit.match_kind)),
            );
            if hit.matched == "former_name" && !hit.former_names.is_empty() {
                let names: Vec<String> = hit
                    .former_names
                    .iter()
                    .map(|n| highlight(n, &form.q))
                    .collect();
                let _ = write!(
                    main,
                    "<dt>{}</dt><dd>{}</dd>",
                    page.t("曾用名", "Former names"),
                    names.join(page.t("；", "; "))
                );
            }
            if let Some(region) = &hit.region_code {
                let _ = write!(
                    main,
                    "<dt>{}</dt><dd>{}</dd>",
                    page.t("地区", "Region"),
                    escape(&region_text(region))
                );
            }
            main.push_str("</dl></li>");
        }
        main.push_str("</ol>");
    }
    main.push_str("</section>");
    let more = offset + answer.hits.len() < answer.total as usize;
    if offset > 0 || more {
        let _ = write!(
            main,
            "<nav class=\"pages\" aria-label=\"{}\"><ul>",
            page.t("分页", "Pages")
        );
        let link = |offset: usize| {
            let mut params = vec![("q", form.q.clone())];
            if let Some(kind) = &form.subject_type {
                params.push(("type", kind.clone()));
            }
            params.push(("offset", offset.to_string()));
            params.push(("limit", limit.to_string()));
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            page.href("/search", &params)
        };
        if offset > 0 {
            let _ = write!(
                main,
                "<li><a href=\"{}\" rel=\"prev\">{}</a></li>",
                link(offset.saturating_sub(limit)),
                page.t("‹ 上一页", "‹ Previous")
            );
        }
        let shown = match page.lang {
            super::Lang::Zh => {
                format!("第 {}–{} 条", offset + 1, offset + answer.hits.len().max(1))
            }
            super::Lang::En => format!("{}–{}", offset + 1, offset + answer.hits.len().max(1)),
        };
        let _ = write!(main, "<li aria-current=\"page\">{shown}</li>");
        if more {
            let _ = write!(
                main,
                "<li><a href=\"{}\" rel=\"next\">{}</a></li>",
                link(offset + limit),
                page.t("下一页 ›", "Next ›")
            );
        }
        main.push_str("</ul></nav>");
    }
    let title = format!("{} – {}", form.q, search_title(page));
    page.render(StatusCode::OK, &title, &main)
}

/// A notice paragraph in the page's language.
pub(super) fn notice(page: &Page, zh: &str, en: &str) -> String {
    format!("<p class=\"notice\">{}</p>", escape(page.t(zh, en)))
}

pub(super) fn crumbs(page: &Page, trail: &[(String, Option<String>)]) -> String {
    let mut html = format!(
        "<nav class=\"crumbs\" aria-label=\"{}\"><ol><li><a href=\"{}\">{}</a></li>",
        page.t("当前位置", "Breadcrumb"),
        page.href("/", &[]),
        page.t("首页", "Home")
    );
    for (label, href) in trail {
        match href {
            Some(href) => {
                let _ = write!(html, "<li><a href=\"{href}\">{}</a></li>", escape(label));
            }
            None => {
                let _ = write!(html, "<li aria-current=\"page\">{}</li>", escape(label));
            }
        }
    }
    html.push_str("</ol></nav>");
    html
}

/// "Shown until" of a window: the day, or while in force.
pub(super) fn until_text(page: &Page, until: Option<NaiveDate>) -> String {
    match until {
        Some(day) => day.to_string(),
        None => page.t("长期（在效期间）", "while in force").to_owned(),
    }
}

pub(super) fn list_or_dash(items: &[String], separator: &str) -> String {
    if items.is_empty() {
        "—".to_owned()
    } else {
        items
            .iter()
            .map(|i| escape(i))
            .collect::<Vec<_>>()
            .join(separator)
    }
}

/// The card of a subject's basic information: code, type, region, former names, old codes.
pub(super) fn basic_information(page: &Page, subject: &SubjectView) -> String {
    let mut card = format!(
        "<section aria-labelledby=\"basic\" class=\"card\">\
         <h2 id=\"basic\" style=\"margin-top:0\">{basic}</h2><dl class=\"facts\">\
         <dt>{code_label}</dt><dd><code>{code}</code></dd>",
        basic = page.t("基本信息", "Basic information"),
        code_label = page.t("统一社会信用代码", "Unified social credit code"),
        code = escape(&subject.code),
    );
    if let Some(kind) = subject
        .subject_type
        .as_deref()
        .and_then(|k| subject_type_name(page, k))
    {
        let _ = write!(
            card,
            "<dt>{}</dt><dd>{}</dd>",
            page.t("主体类型", "Type"),
            escape(&kind)
        );
    }
    let region = subject
        .region
        .as_ref()
        .map(|r| {
            if r.name.is_empty() {
                escape(&r.code)
            } else {
                format!(
                    "{} <span class=\"muted\">{}</span>",
                    escape(&r.name),
                    escape(&r.code)
                )
            }
        })
        .unwrap_or_else(|| "—".to_owned());
    let _ = write!(
        card,
        "<dt>{region_label}</dt><dd>{region}</dd>\
         <dt>{former_label}</dt><dd>{former}</dd>\
         <dt>{old_label}</dt><dd>{old}</dd></dl></section>",
        region_label = page.t("登记地区", "Region"),
        former_label = page.t("曾用名", "Former names"),
        former = list_or_dash(&subject.former_names, page.t("；", "; ")),
        old_label = page.t("原代码", "Old codes"),
        old = list_or_dash(&subject.old_codes, ", "),
    );
    card
}

/// `GET /entity/{code}`.
pub fn entity(page: &Page, profile: &Profile) -> Response {
    let subject = &profile.subject;
    let mut main = crumbs(page, &[(subject.name.clone(), None)]);
    let _ = write!(main, "<h1>{}</h1>", escape(&subject.name));
    main.push_str(&basic_information(page, subject));
    // A group that holds more than the page shows counts as "10+".
    let count = |shown: usize, more: bool| format!("{shown}{}", if more { "+" } else { "" });
    let total = count(
        profile.groups.iter().map(|g| g.records.len()).sum(),
        profile.groups.iter().any(|g| g.next.is_some()),
    );
    let _ = write!(
        main,
        "<h2>{}</h2>",
        match page.lang {
            super::Lang::Zh => format!("公示中的信用信息（{total} 条）"),
            super::Lang::En => format!("Credit information shown ({total})"),
        }
    );
    if profile.groups.is_empty() {
        main.push_str(&notice(
            page,
            "该主体目前没有公示中的信用信息。",
            "No credit information about this subject is shown at present.",
        ));
    }
    for group in &profile.groups {
        let id = format!("g-{}", escape(&group.category));
        let _ = write!(
            main,
            "<section aria-labelledby=\"{id}\"><h3 id=\"{id}\">{name} \
             <span class=\"muted\">({count})</span></h3>",
            name = escape(page.t(&group.name_zh, &group.name_en)),
            count = count(group.records.len(), group.next.is_some()),
        );
        main.push_str(&records_table(page, &id, &group.records));
        if group.next.is_some() {
            let _ = write!(
                main,
                "<p><a href=\"{href}\">{more}</a></p>",
                href = page.href(
                    &format!("/entity/{}/records", encode(&subject.code)),
                    &[("category", &group.category)]
                ),
                more = page.t("查看全部", "See all"),
            );
        }
        main.push_str("</section>");
    }
    page.render(StatusCode::OK, &subject.name, &main)
}

/// `GET /entity/{code}/records?category=`: a page of one group's records.
pub fn entity_records(page: &Page, list: &RecordList, category: Option<&Category>) -> Response {
    let group = category.map_or_else(
        || page.t("信用信息", "Credit information"),
        |c| page.t(&c.name_zh, &c.name_en),
    );
    let mut main = crumbs(
        page,
        &[
            (list.name.clone(), Some(page.entity_href(&list.subject))),
            (group.to_owned(), None),
        ],
    );
    let _ = write!(
        main,
        "<h1 id=\"records\">{} · {}</h1>",
        escape(&list.name),
        escape(group)
    );
    if list.records.is_empty() {
        main.push_str(&notice(
            page,
            "没有更多公示中的信用信息。",
            "No further credit information is shown.",
        ));
    } else {
        main.push_str(&records_table(page, "records", &list.records));
    }
    if let Some(next) = &list.next {
        let mut params = vec![("after", next.as_str())];
        if let Some(category) = category {
            params.push(("category", &category.id));
        }
        let _ = write!(
            main,
            "<p><a rel=\"next\" href=\"{href}\">{label}</a></p>",
            href = page.href(
                &format!("/entity/{}/records", encode(&list.subject)),
                &params
            ),
            label = page.t("下一页", "Next page"),
        );
    }
    page.render(StatusCode::OK, &format!("{} · {group}", list.name), &main)
}

fn records_table(page: &Page, labelled_by: &str, records: &[RecordView]) -> String {
    let item = page.t("信息事项", "Item");
    let document = page.t("决定文书号", "Document number");
    let date = page.t("决定日期", "Decision date");
    let source = page.t("数据来源单位", "Source unit");
    let until = page.t("公示截止", "Shown until");
    let mut html = format!(
        "<div class=\"table\"><table class=\"stack\" aria-labelledby=\"{labelled_by}\"><thead><tr>\
         <th scope=\"col\">{item}</th><th scope=\"col\">{document}</th>\
         <th scope=\"col\">{date}</th><th scope=\"col\">{source}</th>\
         <th scope=\"col\">{until}</th></tr></thead><tbody>"
    );
    for record in records {
        let _ = write!(
            html,
            "<tr><th scope=\"row\" data-label=\"{item}\">{item_name}</th>\
             <td data-label=\"{document}\"><a href=\"{href}\">{document_no}</a></td>\
             <td data-label=\"{date}\">{decision}</td>\
             <td data-label=\"{source}\"><code>{unit}</code></td>\
             <td data-label=\"{until}\">{until_value}</td></tr>",
            item_name = escape(page.t(&record.item_name_zh, &record.item_name_en)),
            href = page.record_href(&record.id),
            document_no = escape(&record.document_no),
            decision = record.decision_date,
            unit = escape(&record.source_unit),
            until_value = escape(&until_text(page, record.window.until)),
        );
    }
    html.push_str("</tbody></table></div>");
    html
}

pub(super) fn status_text(page: &Page, status: RecordStatus) -> &str {
    match status {
        RecordStatus::Normal => page.t("正常", "in force"),
        RecordStatus::Revoked => page.t("已撤销", "revoked"),
    }
}

pub(super) fn event_kind<'a>(page: &'a Page, kind: &'a str) -> &'a str {
    match kind {
        "record_submitted" => page.t("报送", "submitted"),
        "record_corrected" => page.t("更正", "corrected"),
        "record_revoked" => page.t("撤销", "revoked"),
        "listing_proposed" => page.t("拟列入告知", "listing proposed"),
        "listing_objected" => page.t("陈述申辩", "objection to the listing"),
        "listing_decided" => page.t("列入决定", "listing decided"),
        "listing_removed" => page.t("移出名单", "removed from the list"),
        "objection_filed" => page.t("提出异议", "objection filed"),
        "objection_forwarded" => page.t("转交数据来源单位", "forwarded to the source unit"),
        "objection_extended" => page.t("延长办理期限", "deadline extended"),
        "objection_decided" => page.t("异议处理决定", "objection decided"),
        "repair_filed" => page.t("提出修复申请", "repair applied for"),
        "repair_decided" => page.t("修复决定", "repair decided"),
        other => other,
    }
}

/// An RFC 3339 time as Beijing time, to the minute.
pub(super) fn beijing_time(text: &str) -> String {
    let offset = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    DateTime::parse_from_rfc3339(text)
        .map(|t| {
            t.with_timezone(&offset)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| text.to_owned())
}

/// `GET /record/{id}`.
pub fn record(page: &Page, detail: &RecordDetail) -> Response {
    let record = &detail.record;
    let item_name = page.t(&record.item_name_zh, &record.item_name_en);
    let mut main = crumbs(
        page,
        &[
            (
                detail.subject_name.clone(),
                Some(page.entity_href(&detail.subject)),
            ),
            (item_name.to_owned(), None),
        ],
    );
    let _ = write!(
        main,
        "<h1>{} <span class=\"muted\">{}</span></h1>",
        escape(item_name),
        escape(&record.document_no)
    );
    let window = &record.window;
    let notice = match (window.publish, window.until, page.lang) {
        (false, _, super::Lang::Zh) => "本信息不予公示。".to_owned(),
        (false, _, super::Lang::En) => "This information is not published.".to_owned(),
        (true, Some(until), super::Lang::Zh) => {
            format!("本信息公示至 <strong>{until}</strong>。")
        }
        (true, Some(until), super::Lang::En) => {
            format!("Shown until <strong>{until}</strong>.")
        }
        (true, None, super::Lang::Zh) => "本信息在效期间持续公示（长期）。".to_owned(),
        (true, None, super::Lang::En) => "Shown while in force (no end date).".to_owned(),
    };
    let _ = write!(main, "<p class=\"notice\">{notice}</p>");
    let _ = write!(
        main,
        "<section aria-labelledby=\"window\" class=\"card\"><h2 id=\"window\" style=\"margin-top:0\">\
         {heading}</h2><dl class=\"facts\"><dt>{from_label}</dt><dd>{from}</dd>\
         <dt>{until_label}</dt><dd>{until}</dd><dt>{reason_label}</dt><dd>{reason}</dd></dl></section>",
        heading = page.t("公示期限", "Publication period"),
        from_label = page.t("公示起始", "Shown from"),
        from = window.from,
        until_label = page.t("公示截止", "Shown until"),
        until = escape(&until_text(page, window.until)),
        reason_label = page.t("依据", "Why"),
        reason = escape(page.t(&window.reason_zh, &window.reason_en)),
    );
    let _ = write!(
        main,
        "<section aria-labelledby=\"about\" class=\"card\"><h2 id=\"about\" style=\"margin-top:0\">\
         {heading}</h2><dl class=\"facts\">\
         <dt>{subject_label}</dt><dd><a href=\"{subject_href}\">{subject_name}</a></dd>\
         <dt>{code_label}</dt><dd><code>{code}</code></dd>\
         <dt>{item_label}</dt><dd>{item_name}</dd>\
         <dt>{document_label}</dt><dd>{document}</dd>\
         <dt>{date_label}</dt><dd>{date}</dd>\
         <dt>{source_label}</dt><dd><code>{source}</code></dd>\
         <dt>{status_label}</dt><dd>{status}</dd>\
         <dt>{recorded_label}</dt><dd>{recorded}</dd></dl></section>",
        heading = page.t("记录概要", "Summary"),
        subject_label = page.t("信用主体", "Subject"),
        subject_href = page.entity_href(&detail.subject),
        subject_name = escape(&detail.subject_name),
        code_label = page.t("统一社会信用代码", "Unified social credit code"),
        code = escape(&detail.subject),
        item_label = page.t("信息事项", "Item"),
        item_name = escape(item_name),
        document_label = page.t("决定文书号", "Document number"),
        document = escape(&record.document_no),
        date_label = page.t("决定日期", "Decision date"),
        date = record.decision_date,
        source_label = page.t("数据来源单位", "Source unit"),
        source = escape(&record.source_unit),
        status_label = page.t("状态", "Status"),
        status = status_text(page, record.status),
        recorded_label = page.t("首次公示时间（北京时间）", "First published (Beijing time)"),
        recorded = escape(&beijing_time(&record.first_recorded_at)),
    );
    let _ = write!(
        main,
        "<section aria-labelledby=\"fields\"><h2 id=\"fields\">{heading}</h2><div class=\"table\">\
         <table aria-labelledby=\"fields\"><thead><tr><th scope=\"col\">{field}</th>\
         <th scope=\"col\">{value}</th></tr></thead><tbody>",
        heading = page.t("公示内容", "Published content"),
        field = page.t("项目", "Field"),
        value = page.t("内容", "Value"),
    );
    for field in &record.fields {
        let _ = write!(
            main,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(page.t(&field.name_zh, &field.name_en)),
            escape(&field.value)
        );
    }
    main.push_str("</tbody></table></div></section>");
    let _ = write!(
        main,
        "<section aria-labelledby=\"history\"><h2 id=\"history\">{heading}</h2><div class=\"table\">\
         <table class=\"stack\" aria-labelledby=\"history\"><thead><tr><th scope=\"col\">{seq}</th>\
         <th scope=\"col\">{kind}</th><th scope=\"col\">{at}</th><th scope=\"col\">{hash}</th>\
         </tr></thead><tbody>",
        heading = page.t("变更历史", "History"),
        seq = page.t("序号", "No."),
        kind = page.t("类型", "Change"),
        at = page.t("时间（北京时间）", "Time (Beijing)"),
        hash = page.t("事件哈希", "Event hash"),
    );
    for event in &detail.history {
        let short: String = event.hash.chars().take(16).collect();
        let _ = write!(
            main,
            "<tr><td data-label=\"{seq_label}\">{seq}</td>\
             <th scope=\"row\" data-label=\"{kind_label}\">{kind}</th>\
             <td data-label=\"{at_label}\">{at}</td>\
             <td data-label=\"{hash_label}\"><code title=\"{hash}\">{short}…</code></td></tr>",
            seq_label = page.t("序号", "No."),
            seq = event.seq,
            kind_label = page.t("类型", "Change"),
            kind = escape(event_kind(page, &event.kind)),
            at_label = page.t("时间", "Time"),
            at = escape(&beijing_time(&event.recorded_at)),
            hash_label = page.t("事件哈希", "Event hash"),
            hash = escape(&event.hash),
            short = escape(&short),
        );
    }
    main.push_str("</tbody></table></div></section>");
    let title = format!("{item_name} {}", record.document_no);
    page.render(StatusCode::OK, &title, &main)
}

/// Any failure as a page: the message in the page's language, then in the other one.
pub fn error(page: &Page, error: &ApiError) -> Response {
    let (zh, en) = error.messages();
    let (meaning_zh, meaning_en) = error.code().meaning();
    let (first, second, second_lang) = match page.lang {
        super::Lang::Zh => (&zh, &en, "en"),
        super::Lang::En => (&en, &zh, "zh-CN"),
    };
    let status = error.code().status();
    let main = format!(
        "<h1>{title}</h1><div class=\"notice\" role=\"alert\"><p style=\"margin:0\">{first}</p>\
         <p class=\"muted\" lang=\"{second_lang}\" style=\"margin:.25rem 0 0\">{second}</p></div>\
         <p class=\"muted\">HTTP {code} · <code>{error_code}</code></p>\
         <p><a href=\"{home}\">{back}</a></p>",
        title = escape(page.t(meaning_zh, meaning_en)),
        first = escape(first),
        second = escape(second),
        code = status.as_u16(),
        error_code = error.code().as_str(),
        home = page.href("/", &[]),
        back = page.t("返回首页查询", "Back to the search"),
    );
    page.render(status, page.t(meaning_zh, meaning_en), &main)
}
