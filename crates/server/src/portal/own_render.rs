//! The content of the self-service pages. As in `render`, every piece of text from the data
//! goes through [`escape`] and every link through [`Page::href`]; forms are plain HTML forms
//! (no script), every input has its label.

use std::fmt::Write;

use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use gongxin_core::catalog::LegalBasis;
use gongxin_core::listing::{Listing, ListingStatus};
use gongxin_core::objection::{Objection, Outcome};
use gongxin_core::record::RecordStatus;
use gongxin_core::repair::{ConditionKind, Repair, RepairOutcome};
use gongxin_store::{AuditEntry, CaseKind};

use super::own::case_path;
use super::page::{Lang, Page, escape};
use super::render::{basic_information, beijing_time, crumbs, event_kind, status_text};
use crate::api::cases::CaseView;
use crate::api::inbox::Inbox;
use crate::api::me::{Me, OwnCase, OwnEntry};
use crate::api::records::RecordDetail;
use crate::api::repairs::RepairOptions;
use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::inbox::Notice;
use crate::state::Platform;
use crate::view::{RecordView, rfc3339};

/// Why a form was not accepted, in both languages.
#[derive(Debug, Clone)]
pub struct Problem {
    pub zh: String,
    pub en: String,
}

/// An attachment already stored, carried on by a form shown again.
#[derive(Debug, Clone)]
pub struct Kept {
    pub id: String,
    pub filename: String,
}

/// What a form page needs beyond its data: the day and the deadlines and limits in force.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub today: NaiveDate,
    pub config: &'a ServerConfig,
}

/// What the objection form holds.
#[derive(Debug, Default)]
pub struct ObjectionForm {
    pub grounds: String,
    pub kept: Vec<Kept>,
}

/// What the repair form holds.
#[derive(Debug, Default)]
pub struct RepairForm {
    pub statement: String,
    /// The commitments ticked, by condition id.
    pub signed: Vec<String>,
    /// Stored evidence, by condition id.
    pub kept: Vec<(String, Kept)>,
}

/// A case as its page shows it.
#[derive(Debug)]
pub enum CaseShown {
    Objection(CaseView<Objection>),
    Repair(CaseView<Repair>),
    Listing(CaseView<Listing>),
}

fn zh_en(page: &Page, zh: String, en: String) -> String {
    match page.lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn problems_box(page: &Page, problems: &[Problem]) -> String {
    if problems.is_empty() {
        return String::new();
    }
    let mut html = format!(
        "<div class=\"errors\" role=\"alert\" id=\"problems\"><h2>{}</h2><ul>",
        page.t("未能提交", "Not submitted")
    );
    for problem in problems {
        let _ = write!(
            html,
            "<li>{}</li>",
            escape(page.t(&problem.zh, &problem.en))
        );
    }
    html.push_str("</ul></div>");
    html
}

fn basis_text(basis: &LegalBasis) -> String {
    let mut text = format!("《{}》", basis.title.trim_matches(['《', '》']));
    if let Some(no) = &basis.document_no {
        let _ = write!(text, "（{no}）");
    }
    if let Some(article) = &basis.article {
        let _ = write!(text, "{article}");
    }
    text
}

fn bases(bases: &[LegalBasis]) -> String {
    if bases.is_empty() {
        return "—".to_owned();
    }
    bases
        .iter()
        .map(|b| escape(&basis_text(b)))
        .collect::<Vec<_>>()
        .join("<br>")
}

fn case_kind(page: &Page, kind: CaseKind) -> &str {
    match kind {
        CaseKind::Objection => page.t("异议", "Objection"),
        CaseKind::Repair => page.t("信用修复", "Credit repair"),
        CaseKind::Listing => page.t("名单认定", "Listing"),
    }
}

fn overdue_tag(page: &Page) -> String {
    format!(
        "<span class=\"tag warn\">{}</span>",
        page.t("已超期", "Overdue")
    )
}

/// A form's address, keeping the page's language (so that the answer to the post, and any
/// refusal, is in it too).
fn form_action(page: &Page, path: &str) -> String {
    page.href(path, &[])
}

// ---------------------------------------------------------------------------------------
// Sign-in.

/// `GET /login`, and the form again after a refused key.
pub fn login(
    page: &Page,
    next: &str,
    error: Option<&ApiError>,
    signed_out: bool,
    status: StatusCode,
) -> Response {
    let title = page.t("登录", "Sign in");
    let mut main = format!(
        "<h1>{}</h1><p class=\"lead\">{}</p>",
        page.t(
            "信用主体、数据来源单位和信用办登录",
            "Sign in: subjects, source units and the credit office"
        ),
        page.t(
            "市场主体使用信用办发放的本主体 API 密钥登录，可查看平台保存的关于本主体的全部信息（含不公示的信息）、\
             提出异议、申请信用修复；数据来源单位和信用办使用本单位的密钥登录，查看待办消息。",
            "A market entity signs in with the API key the credit office issued for it, to see \
             everything the platform holds about it (non-public information included), object \
             to a record and apply for credit repair; source units and the credit office sign \
             in with their unit's key to see their inbox.",
        ),
    );
    if signed_out {
        let _ = write!(
            main,
            "<p class=\"ok\" role=\"status\">{}</p>",
            page.t("您已退出登录。", "You have signed out.")
        );
    }
    if let Some(error) = error {
        let (zh, en) = error.messages();
        main.push_str(&problems_box(page, &[Problem { zh, en }]));
    }
    let _ = write!(
        main,
        "<form class=\"form card\" method=\"post\" action=\"{action}\">\
         <label for=\"key\">{label}</label>\
         <input id=\"key\" name=\"key\" type=\"password\" required autocomplete=\"off\" \
         spellcheck=\"false\" aria-describedby=\"key-hint\">\
         <p id=\"key-hint\" class=\"hint muted\">{hint}</p>\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <button type=\"submit\">{button}</button></form>",
        action = form_action(page, "/login"),
        label = page.t("API 密钥", "API key"),
        hint = page.t(
            "以 gx_ 开头的一串字符，由信用办发放。",
            "A string starting with gx_, issued by the credit office.",
        ),
        next = escape(next),
        button = page.t("登录", "Sign in"),
    );
    let _ = write!(
        main,
        "<section aria-labelledby=\"how\"><h2 id=\"how\">{h}</h2><ul><li>{a}</li><li>{b}</li><li>{c}</li></ul></section>",
        h = page.t("说明", "Good to know"),
        a = page.t(
            "公示页面（首页、信用查询、主体和记录页面）无需登录，登录与否内容完全相同。",
            "The public pages (home, search, subjects and records) need no sign-in and are the \
             same whether or not one is signed in.",
        ),
        b = page.t(
            "登录状态只保存在本浏览器的会话中，30 分钟无操作或 12 小时后自动失效；在公用电脑上用完请退出登录。",
            "The sign-in lasts only in this browser's session and ends after 30 minutes without \
             use or 12 hours in all; on a shared computer, sign out when done.",
        ),
        c = page.t(
            "查询本主体信息、提出异议和申请信用修复均不收取任何费用。",
            "Reading what is held about oneself, objecting and applying for credit repair are free of charge.",
        ),
    );
    page.render(status, title, &main)
}

/// `GET /logout`.
pub fn logout(page: &Page) -> Response {
    let title = page.t("退出登录", "Sign out");
    let main = format!(
        "<h1>{title}</h1><form class=\"form card\" method=\"post\" action=\"{action}\">\
         <p style=\"margin-top:0\">{text}</p><button type=\"submit\">{title}</button></form>",
        action = form_action(page, "/logout"),
        text = page.t(
            "退出后，本浏览器需重新输入密钥才能查看本主体信息。",
            "After signing out, this browser needs the key again to see the self-service pages.",
        ),
    );
    page.render(StatusCode::OK, title, &main)
}

// ---------------------------------------------------------------------------------------
// What is held about the subject.

/// The publication of a record as its subject is told it: until when it is shown, or that
/// it is not (and why), and whether it was repaired.
fn publication(page: &Page, record: &RecordView, today: NaiveDate) -> String {
    let mut html = String::new();
    if let Some(on) = record.repaired_on {
        let _ = write!(
            html,
            "<span class=\"tag good\">{}</span> ",
            zh_en(page, format!("已修复 {on}"), format!("Repaired on {on}"))
        );
    }
    if record.status == RecordStatus::Revoked {
        let _ = write!(
            html,
            "<span class=\"tag\">{}</span> ",
            status_text(page, record.status)
        );
    }
    let window = &record.window;
    let text = if record.public {
        match window.until {
            Some(until) => zh_en(
                page,
                format!("公示至 {until}"),
                format!("Shown until {until}"),
            ),
            None => page
                .t("公示中（在效期间长期公示）", "Shown while in force")
                .to_owned(),
        }
    } else if !window.publish {
        zh_en(
            page,
            format!("不公示（{}）", window.reason_zh),
            format!("Not public ({})", window.reason_en),
        )
    } else if today < window.from {
        zh_en(
            page,
            format!("不公示（自 {} 起公示）", window.from),
            format!("Not public (shown from {})", window.from),
        )
    } else {
        let until = window.until.map(|u| u.to_string()).unwrap_or_default();
        zh_en(
            page,
            format!("不公示（公示已于 {until} 结束）"),
            format!("Not public (shown until {until})"),
        )
    };
    let _ = write!(html, "<span class=\"window\">{}</span>", escape(&text));
    html
}

fn cases_of<'a>(cases: &'a [OwnCase], record: &str) -> impl Iterator<Item = &'a OwnCase> + 'a {
    let record = record.to_owned();
    cases.iter().filter(move |case| case.record == record)
}

fn own_records_table(
    page: &Page,
    labelled_by: &str,
    records: &[RecordView],
    cases: &[OwnCase],
    today: NaiveDate,
) -> String {
    let item = page.t("信息事项", "Item");
    let document = page.t("决定文书号", "Document number");
    let date = page.t("决定日期", "Decision date");
    let source = page.t("数据来源单位", "Source unit");
    let shown = page.t("公示情况", "Publication");
    let actions = page.t("办理", "Actions");
    let mut html = format!(
        "<div class=\"table\"><table class=\"stack\" aria-labelledby=\"{labelled_by}\"><thead><tr>\
         <th scope=\"col\">{item}</th><th scope=\"col\">{document}</th>\
         <th scope=\"col\">{date}</th><th scope=\"col\">{source}</th>\
         <th scope=\"col\">{shown}</th><th scope=\"col\">{actions}</th></tr></thead><tbody>"
    );
    for record in records {
        let mut state = publication(page, record, today);
        for case in cases_of(cases, &record.id).filter(|c| c.open) {
            let label = match case.kind {
                CaseKind::Objection => page.t("异议处理中", "Under objection"),
                CaseKind::Repair => page.t("修复审核中", "Repair under review"),
                CaseKind::Listing => page.t("名单认定中", "Listing in progress"),
            };
            let _ = write!(
                state,
                "<br><a class=\"tag warn\" href=\"{}\">{label}</a>",
                page.href(&case_path(&case.id), &[])
            );
        }
        let mut links = Vec::new();
        if record.status == RecordStatus::Normal {
            links.push(format!(
                "<a href=\"{}\">{}</a>",
                page.href("/me/objection", &[("record", &record.id)]),
                page.t("提出异议", "Object")
            ));
            if record.repaired_on.is_none() {
                links.push(format!(
                    "<a href=\"{}\">{}</a>",
                    page.href("/me/repair", &[("record", &record.id)]),
                    page.t("申请信用修复", "Apply for credit repair")
                ));
            }
        }
        if record.public {
            links.push(format!(
                "<a href=\"{}\">{}</a>",
                page.record_href(&record.id),
                page.t("公示页面", "Public page")
            ));
        }
        let _ = write!(
            html,
            "<tr id=\"r-{id}\"><th scope=\"row\" data-label=\"{item}\">{item_name}</th>\
             <td data-label=\"{document}\">{document_no}</td>\
             <td data-label=\"{date}\">{decision}</td>\
             <td data-label=\"{source}\"><code>{unit}</code></td>\
             <td data-label=\"{shown}\">{state}</td>\
             <td data-label=\"{actions}\"><div class=\"actions\">{links}</div></td></tr>",
            id = escape(&record.id),
            item_name = escape(page.t(&record.item_name_zh, &record.item_name_en)),
            document_no = escape(&record.document_no),
            decision = record.decision_date,
            unit = escape(&record.source_unit),
            links = links.join(""),
        );
    }
    html.push_str("</tbody></table></div>");
    html
}

fn entry_card(page: &Page, entry: &OwnEntry, platform: &Platform, today: NaiveDate) -> String {
    let name = platform
        .discipline
        .list(&entry.list)
        .map_or(entry.list_name_zh.as_str(), |list| {
            page.t(&list.name_zh, &list.name_en)
        });
    let state = match (entry.in_force, entry.removed_on) {
        (true, _) => format!(
            "<span class=\"tag warn\">{}</span>",
            page.t("在列", "On the list")
        ),
        (false, Some(on)) => escape(&zh_en(
            page,
            format!("已于 {on} 移出"),
            format!("Removed on {on}"),
        )),
        (false, None) if today < entry.from => escape(&zh_en(
            page,
            format!("自 {} 起列入", entry.from),
            format!("Listed from {}", entry.from),
        )),
        (false, None) => escape(page.t("已期满", "Term over")),
    };
    let conditions = if entry.removal_conditions_zh.is_empty() {
        "—".to_owned()
    } else {
        let items: Vec<String> = entry
            .removal_conditions_zh
            .iter()
            .map(|c| format!("<li lang=\"zh-CN\">{}</li>", escape(c)))
            .collect();
        format!(
            "<ul style=\"margin:0;padding-left:1.2rem\">{}</ul>",
            items.join("")
        )
    };
    let repair = if entry.repairable && entry.in_force {
        format!(
            "{} · <a href=\"{}\">{}</a>",
            page.t("可申请信用修复", "Credit repair possible"),
            page.href("/me/repair", &[("record", &entry.record)]),
            page.t("查看修复条件", "See the repair conditions")
        )
    } else if entry.repairable {
        page.t("可修复", "Repairable").to_owned()
    } else {
        page.t("该名单不适用信用修复", "This list does not allow repair")
            .to_owned()
    };
    format!(
        "<section class=\"card\" aria-labelledby=\"e-{id}\"><h3 id=\"e-{id}\" style=\"margin-top:0\">\
         {name}</h3><dl class=\"facts\">\
         <dt>{state_label}</dt><dd>{state}</dd>\
         <dt>{term_label}</dt><dd>{from} – {until}</dd>\
         <dt>{document_label}</dt><dd>{document}</dd>\
         <dt>{by_label}</dt><dd><code>{by}</code></dd>\
         <dt>{reasons_label}</dt><dd>{reasons}</dd>\
         <dt>{basis_label}</dt><dd>{basis}</dd>\
         <dt>{list_basis_label}</dt><dd>{list_basis}</dd>\
         <dt>{removal_label}</dt><dd>{conditions}</dd>\
         <dt>{repair_label}</dt><dd>{repair}</dd></dl></section>",
        id = escape(&entry.record),
        name = escape(name),
        state_label = page.t("状态", "Status"),
        term_label = page.t("列入期限", "Term"),
        from = entry.from,
        until = entry.until,
        document_label = page.t("决定文书号", "Document number"),
        document = escape(&entry.document_no),
        by_label = page.t("认定单位", "Listed by"),
        by = escape(&entry.listed_by),
        reasons_label = page.t("列入事由", "Reasons"),
        reasons = escape(entry.reasons.as_deref().unwrap_or("—")),
        basis_label = page.t("列入依据", "Basis"),
        basis = escape(entry.basis.as_deref().unwrap_or("—")),
        list_basis_label = page.t("名单设立依据", "The list's legal basis"),
        list_basis = bases(&entry.list_basis),
        removal_label = page.t("移出条件", "Removal conditions"),
        repair_label = page.t("信用修复", "Credit repair"),
    )
}

fn cases_table(
    page: &Page,
    cases: &[OwnCase],
    records: &[&RecordView],
    today: NaiveDate,
) -> String {
    let case_label = page.t("案件", "Case");
    let record_label = page.t("记录", "Record");
    let state_label = page.t("状态", "Status");
    let due_label = page.t("办理期限", "Due");
    let mut html = format!(
        "<div class=\"table\"><table class=\"stack\" aria-labelledby=\"cases\"><thead><tr>\
         <th scope=\"col\">{case_label}</th><th scope=\"col\">{record_label}</th>\
         <th scope=\"col\">{state_label}</th><th scope=\"col\">{due_label}</th></tr></thead><tbody>"
    );
    for case in cases {
        let record = records
            .iter()
            .find(|r| r.id == case.record)
            .map(|r| {
                format!(
                    "<a href=\"{}#r-{}\">{}</a>",
                    page.href("/me", &[]),
                    escape(&r.id),
                    escape(&format!(
                        "{} {}",
                        page.t(&r.item_name_zh, &r.item_name_en),
                        r.document_no
                    ))
                )
            })
            .unwrap_or_else(|| format!("<code>{}</code>", escape(&case.record)));
        let state = if case.open {
            page.t("办理中", "Open")
        } else {
            page.t("已办结", "Closed")
        };
        let due = match case.due {
            Some(due) if case.open && today > due => format!("{due} {}", overdue_tag(page)),
            Some(due) if case.open => due.to_string(),
            _ => "—".to_owned(),
        };
        let _ = write!(
            html,
            "<tr><th scope=\"row\" data-label=\"{case_label}\"><a href=\"{href}\">{kind}</a> \
             <code class=\"muted\">{id}</code></th>\
             <td data-label=\"{record_label}\">{record}</td>\
             <td data-label=\"{state_label}\">{state}</td>\
             <td data-label=\"{due_label}\">{due}</td></tr>",
            href = page.href(&case_path(&case.id), &[]),
            kind = case_kind(page, case.kind),
            id = escape(&case.id),
        );
    }
    html.push_str("</tbody></table></div>");
    html
}

fn names_of(page: &Page, platform: &Platform, ids: &[String]) -> String {
    if ids.is_empty() {
        return page.t("无", "None").to_owned();
    }
    ids.iter()
        .map(|id| match platform.discipline.measure(id) {
            Some(measure) => escape(page.t(&measure.content_zh, &measure.content_en)),
            None => format!("<code>{}</code>", escape(id)),
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn checks_table(page: &Page, me: &Me, platform: &Platform) -> String {
    let at = page.t("查询时间（北京时间）", "When (Beijing time)");
    let unit = page.t("查询单位", "Unit");
    let scenario = page.t("应用场景", "Scenario");
    let purpose = page.t("用途", "Purpose");
    let answer = page.t("返回的措施", "Measures returned");
    let mut html = format!(
        "<div class=\"table\"><table class=\"stack\" aria-labelledby=\"checks\"><thead><tr>\
         <th scope=\"col\">{at}</th><th scope=\"col\">{unit}</th><th scope=\"col\">{scenario}</th>\
         <th scope=\"col\">{purpose}</th><th scope=\"col\">{answer}</th></tr></thead><tbody>"
    );
    for check in &me.checks {
        let scenario_name = platform
            .discipline
            .scenario(&check.scenario)
            .map_or(check.scenario.as_str(), |s| page.t(&s.name_zh, &s.name_en));
        let mut measures = names_of(page, platform, &check.measures);
        if !check.rewards.is_empty() {
            let _ = write!(
                measures,
                "<br>{}{}",
                page.t("激励：", "Rewards: "),
                names_of(page, platform, &check.rewards)
            );
        }
        let _ = write!(
            html,
            "<tr><td data-label=\"{at}\">{when}</td>\
             <th scope=\"row\" data-label=\"{unit}\"><code>{by}</code></th>\
             <td data-label=\"{scenario}\">{scenario_name}</td>\
             <td data-label=\"{purpose}\">{why}</td>\
             <td data-label=\"{answer}\">{measures}</td></tr>",
            when = escape(&beijing_time(&check.checked_at)),
            by = escape(check.unit.as_deref().unwrap_or("—")),
            scenario_name = escape(scenario_name),
            why = escape(&check.purpose),
        );
    }
    html.push_str("</tbody></table></div>");
    html
}

fn action_text<'a>(page: &'a Page, action: &'a str) -> &'a str {
    match action {
        "read_profile" => page.t("查阅主体信息", "read the profile"),
        "read_record" => page.t("查阅信用记录", "read a record"),
        "read_records" => page.t("查阅信用记录列表", "read the records"),
        "read_feed" => page.t("获取变更推送", "read the change feed"),
        "read_attachment" => page.t("下载附件", "downloaded an attachment"),
        "search_personal" => page.t("按个人信息检索", "searched by personal data"),
        "check" => page.t("联合奖惩核查", "ran a check"),
        "replay_check" => page.t("复核核查结果", "replayed a check"),
        "push" => page.t("推送变更", "received a push"),
        other => other,
    }
}

fn access_table(page: &Page, entries: &[AuditEntry]) -> String {
    let at = page.t("时间（北京时间）", "When (Beijing time)");
    let who = page.t("查阅方", "Who");
    let what = page.t("操作", "What");
    let purpose = page.t("用途", "Purpose");
    let mut html = format!(
        "<div class=\"table\"><table class=\"stack\" aria-labelledby=\"access\"><thead><tr>\
         <th scope=\"col\">{at}</th><th scope=\"col\">{who}</th><th scope=\"col\">{what}</th>\
         <th scope=\"col\">{purpose}</th></tr></thead><tbody>"
    );
    for entry in entries {
        let role = match entry.role.as_str() {
            "department" => page.t("部门", "department"),
            "admin" => page.t("信用办", "credit office"),
            "auditor" => page.t("审计人员", "auditor"),
            other => other,
        };
        let by = match &entry.unit {
            Some(unit) => format!("{role} <code>{}</code>", escape(unit)),
            None => escape(role),
        };
        let _ = write!(
            html,
            "<tr><td data-label=\"{at}\">{when}</td><th scope=\"row\" data-label=\"{who}\">{by}</th>\
             <td data-label=\"{what}\">{action}{target}</td><td data-label=\"{purpose}\">{why}</td></tr>",
            when = escape(&beijing_time(&rfc3339(entry.at_us))),
            action = escape(action_text(page, &entry.action)),
            target = entry
                .target
                .as_deref()
                .map(|t| format!(" <code class=\"muted\">{}</code>", escape(t)))
                .unwrap_or_default(),
            why = escape(entry.purpose.as_deref().unwrap_or("—")),
        );
    }
    html.push_str("</tbody></table></div>");
    html
}

fn notices_list(page: &Page, notices: &[Notice]) -> String {
    if notices.is_empty() {
        return format!(
            "<p class=\"muted\">{}</p>",
            page.t("暂无消息。", "No notices.")
        );
    }
    let mut html = String::from("<ol class=\"hits\">");
    for notice in notices {
        let due = match notice.due {
            Some(due) => {
                let overdue = if notice.overdue {
                    format!(" {}", overdue_tag(page))
                } else {
                    String::new()
                };
                format!(
                    "<dt>{}</dt><dd>{due}{overdue}</dd>",
                    page.t("办理期限", "Due")
                )
            }
            None => String::new(),
        };
        let _ = write!(
            html,
            "<li class=\"card{overdue}\"><h3><a href=\"{href}\">{title}</a></h3><dl class=\"facts\">\
             <dt>{when_label}</dt><dd>{when}</dd>\
             <dt>{case_label}</dt><dd>{kind} <code class=\"muted\">{case}</code></dd>{due}</dl></li>",
            overdue = if notice.overdue { " overdue" } else { "" },
            href = page.href(&case_path(&notice.case), &[]),
            title = escape(page.t(&notice.title_zh, &notice.title_en)),
            when_label = page.t("时间（北京时间）", "When (Beijing time)"),
            when = escape(&beijing_time(&notice.at)),
            case_label = page.t("案件", "Case"),
            kind = case_kind(page, notice.case_kind),
            case = escape(&notice.case),
        );
    }
    html.push_str("</ol>");
    html
}

/// `GET /me`.
pub fn me(
    page: &Page,
    me: &Me,
    inbox: &Inbox,
    platform: &Platform,
    today: NaiveDate,
    later_page: bool,
) -> Response {
    let subject = &me.profile.subject;
    let mut main = format!(
        "<h1>{name}</h1><p class=\"lead\">{lead}</p>",
        name = escape(&subject.name),
        lead = page.t(
            "本页列出本平台保存的关于本主体的全部信息，包括不向社会公示的信息，仅本主体登录后可见。",
            "Everything the platform holds about this subject, non-public information \
             included, visible only to the subject signed in.",
        ),
    );
    let overdue = if inbox.overdue > 0 {
        format!(
            " · {}",
            zh_en(
                page,
                format!("{} 件已超期", inbox.overdue),
                format!("{} overdue", inbox.overdue)
            )
        )
    } else {
        String::new()
    };
    let _ = write!(
        main,
        "<nav aria-label=\"{label}\" class=\"card\"><ul class=\"actions\" style=\"list-style:none;margin:0;padding:0\">\
         <li><a href=\"#records\">{records}</a></li><li><a href=\"#entries\">{entries}</a></li>\
         <li><a href=\"#cases\">{cases}</a></li><li><a href=\"#checks\">{checks}</a></li>\
         <li><a href=\"#access\">{access}</a></li><li><a href=\"#inbox\">{inbox_label}</a></li>\
         </ul></nav>",
        label = page.t("本页内容", "On this page"),
        records = page.t("信用记录", "Records"),
        entries = page.t("名单", "List entries"),
        cases = page.t("异议与修复", "Cases"),
        checks = page.t("核查记录", "Checks"),
        access = page.t("查阅记录", "Access log"),
        inbox_label = escape(&zh_en(
            page,
            format!("消息（{}{overdue}）", inbox.notices.len()),
            format!("Inbox ({}{overdue})", inbox.notices.len()),
        )),
    );

    main.push_str(&basic_information(page, subject));

    // Records, grouped as the catalog groups them.
    let all: Vec<&RecordView> = me
        .profile
        .groups
        .iter()
        .flat_map(|g| g.records.iter())
        .collect();
    let public = all.iter().filter(|r| r.public).count();
    let _ = write!(
        main,
        "<section aria-labelledby=\"records\"><h2 id=\"records\">{}</h2><p class=\"muted\">{}</p>",
        zh_en(
            page,
            format!("信用记录（共 {} 条，其中公示中 {public} 条）", all.len()),
            format!("Records ({} in all, {public} shown to the public)", all.len())
        ),
        page.t(
            "对记录有异议的，可提出异议，数据来源单位依法核实处理；已纠正失信行为的，可申请信用修复。两项均不收费。",
            "Object to a record you consider wrong, and the source unit checks it; once the \
             conduct is corrected, apply for credit repair. Both are free of charge.",
        )
    );
    if all.is_empty() {
        main.push_str(&super::render::notice(
            page,
            "本平台没有关于本主体的信用记录。",
            "The platform holds no record about this subject.",
        ));
    }
    for group in &me.profile.groups {
        let id = format!("g-{}", escape(&group.category));
        let _ = write!(
            main,
            "<h3 id=\"{id}\">{name} <span class=\"muted\">({count})</span></h3>",
            name = escape(page.t(&group.name_zh, &group.name_en)),
            count = group.records.len(),
        );
        main.push_str(&own_records_table(
            page,
            &id,
            &group.records,
            &me.cases,
            today,
        ));
    }
    main.push_str("</section>");

    // List entries.
    open_section(&mut main, "entries", page.t("名单", "List entries"), None);
    if me.list_entries.is_empty() {
        muted(
            &mut main,
            page.t("本主体不在任何名单中。", "The subject is on no list."),
        );
    }
    for entry in &me.list_entries {
        main.push_str(&entry_card(page, entry, platform, today));
    }
    main.push_str("</section>");

    // Cases.
    open_section(
        &mut main,
        "cases",
        page.t("异议、修复与名单认定", "Objections, repairs and listings"),
        None,
    );
    if me.cases.is_empty() {
        muted(&mut main, page.t("没有案件。", "No cases."));
    } else {
        main.push_str(&cases_table(page, &me.cases, &all, today));
    }
    main.push_str("</section>");

    // Checks.
    open_section(
        &mut main,
        "checks",
        page.t("核查记录", "Checks run on the subject"),
        Some(page.t(
            "各单位在办理业务时对本主体进行的联合奖惩核查，以及核查返回的措施。",
            "The joint reward and discipline checks units ran on the subject, and what they were told.",
        )),
    );
    if me.checks.is_empty() {
        muted(&mut main, page.t("没有核查记录。", "No checks."));
    } else {
        main.push_str(&checks_table(page, me, platform));
    }
    main.push_str("</section>");

    // Access log.
    open_section(
        &mut main,
        "access",
        page.t("查阅记录", "Access log"),
        Some(page.t(
            "其他单位查阅本主体不公示信息的记录：谁、何时、为何目的。",
            "Who read the subject's non-public information, when, and for what purpose.",
        )),
    );
    if me.access_log.is_empty() {
        muted(&mut main, page.t("没有查阅记录。", "No reads recorded."));
    } else {
        main.push_str(&access_table(page, &me.access_log));
    }
    if later_page || me.access_log_next.is_some() {
        main.push_str("<nav class=\"pages\"><ul>");
        if later_page {
            let _ = write!(
                main,
                "<li><a href=\"{}#access\">{}</a></li>",
                page.href("/me", &[]),
                page.t("‹ 最早的记录", "‹ Earliest entries")
            );
        }
        if let Some(next) = me.access_log_next {
            let _ = write!(
                main,
                "<li><a href=\"{}#access\" rel=\"next\">{}</a></li>",
                page.href("/me", &[("after", &next.to_string())]),
                page.t("更多查阅记录 ›", "More entries ›")
            );
        }
        main.push_str("</ul></nav>");
    }
    main.push_str("</section>");

    // Inbox.
    let _ = write!(
        main,
        "<section aria-labelledby=\"inbox\"><h2 id=\"inbox\">{}</h2>{}</section>",
        page.t("消息", "Inbox"),
        notices_list(page, &inbox.notices)
    );
    page.render(StatusCode::OK, page.t("本主体信息", "My records"), &main)
}

/// `GET /inbox`.
pub fn inbox(page: &Page, inbox: &Inbox) -> Response {
    let title = page.t("消息", "Inbox");
    let summary = zh_en(
        page,
        format!(
            "共 {} 条消息，其中 {} 件案件已超过办理期限。",
            inbox.notices.len(),
            inbox.overdue
        ),
        format!(
            "{} notices; {} cases are past their deadline.",
            inbox.notices.len(),
            inbox.overdue
        ),
    );
    let main = format!(
        "<h1>{title}</h1><p role=\"status\">{}</p>{}",
        escape(&summary),
        notices_list(page, &inbox.notices)
    );
    page.render(StatusCode::OK, title, &main)
}

// ---------------------------------------------------------------------------------------
// The forms.

fn record_summary(page: &Page, detail: &RecordDetail, today: NaiveDate) -> String {
    let record = &detail.record;
    format!(
        "<section aria-labelledby=\"record\" class=\"card\"><h2 id=\"record\" style=\"margin-top:0\">\
         {heading}</h2><dl class=\"facts\">\
         <dt>{item_label}</dt><dd>{item}</dd>\
         <dt>{document_label}</dt><dd>{document}</dd>\
         <dt>{date_label}</dt><dd>{date}</dd>\
         <dt>{source_label}</dt><dd><code>{source}</code></dd>\
         <dt>{shown_label}</dt><dd>{shown}</dd></dl></section>",
        heading = page.t("所涉记录", "The record"),
        item_label = page.t("信息事项", "Item"),
        item = escape(page.t(&record.item_name_zh, &record.item_name_en)),
        document_label = page.t("决定文书号", "Document number"),
        document = escape(&record.document_no),
        date_label = page.t("决定日期", "Decision date"),
        date = record.decision_date,
        source_label = page.t("数据来源单位", "Source unit"),
        source = escape(&record.source_unit),
        shown_label = page.t("公示情况", "Publication"),
        shown = publication(page, record, today),
    )
}

fn form_crumbs(page: &Page, here: &str) -> String {
    crumbs(
        page,
        &[
            (
                page.t("本主体信息", "My records").to_owned(),
                Some(page.href("/me", &[])),
            ),
            (here.to_owned(), None),
        ],
    )
}

/// Checkboxes for attachments already stored, ticked: unticking one leaves it out.
fn kept_boxes(page: &Page, name: &str, prefix: &str, kept: &[&Kept]) -> String {
    let mut html = String::new();
    for (n, file) in kept.iter().enumerate() {
        let id = format!("{prefix}-kept-{n}");
        let _ = write!(
            html,
            "<div class=\"check\"><input type=\"checkbox\" id=\"{id}\" name=\"{name}\" \
             value=\"{value}\" checked><label for=\"{id}\">{label}<strong>{filename}</strong> \
             <span class=\"muted\">{already}</span></label></div>",
            name = escape(name),
            value = escape(&format!("{}:{}", file.id, file.filename)),
            label = page.t("附件：", "Attachment: "),
            filename = escape(&file.filename),
            already = page.t(
                "（已上传，无需重新选择）",
                "(uploaded already; no need to choose it again)"
            ),
        );
    }
    html
}

fn file_hint(page: &Page, max_mib: u64) -> String {
    zh_en(
        page,
        format!("PDF、JPEG 或 PNG 文件，每个不超过 {max_mib} MiB；可一次选择多个文件。"),
        format!(
            "PDF, JPEG or PNG files of up to {max_mib} MiB each; several may be chosen at once."
        ),
    )
}

const ACCEPT: &str = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png";

/// `GET /me/objection?record=`, and the form again after a refusal.
pub fn objection(
    page: &Page,
    context: Context<'_>,
    detail: &RecordDetail,
    form: &ObjectionForm,
    problems: &[Problem],
    status: StatusCode,
) -> Response {
    let config = context.config;
    let title = page.t("提出异议", "Object to a record");
    let hint = zh_en(
        page,
        format!(
            "提出异议后，该记录立即标注为“异议处理中”，以其为依据的联合惩戒措施暂停执行。\
             信用办在 {} 个工作日内转交数据来源单位，异议自受理之日起 {} 个工作日内办结（情况复杂的可延长）。\
             处理结果将在“消息”中告知。",
            config.objection_forward_days, config.objection_decide_days
        ),
        format!(
            "Once filed, the record is marked as under objection at once and joint discipline \
             based on it is suspended. The credit office forwards it to the source unit within \
             {} working days, and it is decided within {} working days of filing (longer for \
             complex cases). The decision arrives in the inbox.",
            config.objection_forward_days, config.objection_decide_days
        ),
    );
    let mut main = form_crumbs(page, title);
    let _ = write!(main, "<h1>{title}</h1>");
    main.push_str(&problems_box(page, problems));
    main.push_str(&record_summary(page, detail, context.today));
    let _ = write!(main, "<p>{}</p>", escape(&hint));
    let kept: Vec<&Kept> = form.kept.iter().collect();
    let _ = write!(
        main,
        "<form class=\"form card\" method=\"post\" enctype=\"multipart/form-data\" action=\"{action}\">\
         <input type=\"hidden\" name=\"record\" value=\"{record}\">\
         <label for=\"grounds\">{grounds_label}</label>\
         <textarea id=\"grounds\" name=\"grounds\" required maxlength=\"20000\" rows=\"8\" \
         aria-describedby=\"grounds-hint\">{grounds}</textarea>\
         <p id=\"grounds-hint\" class=\"hint muted\">{grounds_hint}</p>\
         <fieldset><legend>{evidence}</legend>\
         {kept}",
        action = form_action(page, "/me/objection"),
        record = escape(&detail.record.id),
        grounds_label = page.t("异议理由（必填）", "Grounds (required)"),
        grounds = escape(&form.grounds),
        grounds_hint = page.t(
            "请说明记录哪里有误、应当如何，以及依据的事实。",
            "Say what is wrong in the record, what it should say, and the facts behind it.",
        ),
        evidence = page.t("证明材料", "Evidence"),
        kept = kept_boxes(page, "kept", "objection", &kept),
    );
    for n in 1..=3 {
        let _ = write!(
            main,
            "<label for=\"evidence-{n}\">{label} {n}</label>\
             <input id=\"evidence-{n}\" name=\"evidence\" type=\"file\" multiple accept=\"{ACCEPT}\" \
             aria-describedby=\"evidence-hint\">",
            label = page.t("证明材料", "Evidence file"),
        );
    }
    let _ = write!(
        main,
        "<p id=\"evidence-hint\" class=\"hint muted\">{hint}</p></fieldset>\
         <button type=\"submit\">{submit}</button></form>",
        hint = escape(&file_hint(page, config.max_attachment_mib)),
        submit = page.t("提交异议", "File the objection"),
    );
    page.render(status, title, &main)
}

/// `GET /me/repair?record=`, and the form again after a refusal.
pub fn repair(
    page: &Page,
    context: Context<'_>,
    detail: &RecordDetail,
    options: &RepairOptions,
    form: &RepairForm,
    problems: &[Problem],
    status: StatusCode,
) -> Response {
    let title = page.t("申请信用修复", "Apply for credit repair");
    let eligibility = &options.eligibility;
    let mut main = form_crumbs(page, title);
    let _ = write!(main, "<h1>{title}</h1>");
    main.push_str(&problems_box(page, problems));
    main.push_str(&record_summary(page, detail, context.today));

    // Eligibility, told up front.
    let state = if eligibility.open {
        format!(
            "<p class=\"ok\" role=\"status\">{}</p>",
            page.t(
                "该记录现在可以申请信用修复。",
                "This record can be repaired: you may apply now."
            )
        )
    } else {
        let mut html = format!(
            "<div class=\"notice\" role=\"status\"><p style=\"margin:0\"><strong>{}</strong></p><ul>",
            page.t(
                "目前不能申请信用修复：",
                "An application is not possible now:"
            )
        );
        for bar in &eligibility.bars {
            let _ = write!(html, "<li>{}</li>", escape(page.t(&bar.zh, &bar.en)));
        }
        html.push_str("</ul></div>");
        html
    };
    main.push_str(&state);
    let from = match eligibility.from {
        Some(from) => zh_en(page, format!("自 {from} 起"), format!("From {from}")),
        None => page.t("不适用", "Not applicable").to_owned(),
    };
    let free = page.t(
        "信用修复不收取任何费用，也无需通过任何中介机构办理。",
        "Credit repair is free of charge, and needs no agency.",
    );
    let decides = zh_en(
        page,
        format!(
            "由数据来源单位 {} 审核，自受理之日起 {} 个工作日内作出决定。",
            options.unit, options.review_working_days
        ),
        format!(
            "The source unit {} reviews it and decides within {} working days of filing.",
            options.unit, options.review_working_days
        ),
    );
    let _ = write!(
        main,
        "<section aria-labelledby=\"eligibility\" class=\"card\"><h2 id=\"eligibility\" style=\"margin-top:0\">{heading}</h2>\
         <dl class=\"facts\"><dt>{target_label}</dt><dd>{target}</dd>\
         <dt>{from_label}</dt><dd>{from}</dd>\
         <dt>{fee_label}</dt><dd>{free}</dd>\
         <dt>{who_label}</dt><dd>{decides}</dd>",
        heading = page.t("修复条件", "Eligibility"),
        target_label = page.t("修复类别", "Kind"),
        target = options.target.as_ref().map_or_else(
            || "—".to_owned(),
            |t| escape(page.t(&t.name_zh, &t.name_en))
        ),
        from_label = page.t("可申请日期", "Applications accepted"),
        from = escape(&from),
        fee_label = page.t("费用", "Fee"),
        free = escape(free),
        who_label = page.t("审核", "Decision"),
        decides = escape(&decides),
    );
    if let Some(end) = eligibility.publication_would_end {
        let _ = write!(
            main,
            "<dt>{}</dt><dd>{}</dd>",
            page.t("获批后", "If approved"),
            escape(&zh_en(
                page,
                format!("公示至 {end} 止，相关联合惩戒措施终止"),
                format!("shown until {end}; the discipline it triggered ends")
            ))
        );
    }
    if let Some(target) = &options.target {
        let _ = write!(
            main,
            "<dt>{}</dt><dd>{}</dd>",
            page.t("依据", "Basis"),
            bases(&target.basis)
        );
    }
    main.push_str("</dl>");
    let _ = write!(
        main,
        "<h3>{}</h3><ul>",
        page.t("申请须提交", "An application must carry")
    );
    for condition in &eligibility.conditions {
        let kind = match condition.kind {
            ConditionKind::Evidence => page.t("证明材料", "evidence"),
            ConditionKind::Commitment => page.t("签署承诺", "a signed commitment"),
        };
        let _ = write!(
            main,
            "<li>{} <span class=\"muted\">（{}）</span></li>",
            escape(page.t(&condition.name_zh, &condition.name_en)),
            kind
        );
    }
    main.push_str("</ul></section>");

    // The form: when an application is possible, or to keep what a refused one carried.
    let carried = !form.statement.is_empty() || !form.kept.is_empty() || !form.signed.is_empty();
    if eligibility.open || carried {
        let _ = write!(
            main,
            "<form class=\"form card\" method=\"post\" enctype=\"multipart/form-data\" action=\"{action}\">\
             <h2 style=\"margin-top:0\">{heading}</h2>\
             <input type=\"hidden\" name=\"record\" value=\"{record}\">\
             <label for=\"statement\">{statement_label}</label>\
             <textarea id=\"statement\" name=\"statement\" required maxlength=\"20000\" rows=\"7\" \
             aria-describedby=\"statement-hint\">{statement}</textarea>\
             <p id=\"statement-hint\" class=\"hint muted\">{statement_hint}</p>",
            action = form_action(page, "/me/repair"),
            heading = page.t("申请书", "Application"),
            record = escape(&detail.record.id),
            statement_label = page.t("纠正失信行为的情况（必填）", "How the conduct was corrected (required)"),
            statement = escape(&form.statement),
            statement_hint = page.t(
                "请说明已履行的义务、已采取的整改措施和消除不良影响的情况。",
                "Say which obligations were fulfilled, what was corrected and how its effects were removed.",
            ),
        );
        for condition in &eligibility.conditions {
            let name = escape(page.t(&condition.name_zh, &condition.name_en));
            let id = escape(&condition.id);
            match condition.kind {
                ConditionKind::Evidence => {
                    let kept: Vec<&Kept> = form
                        .kept
                        .iter()
                        .filter(|(under, _)| *under == condition.id)
                        .map(|(_, kept)| kept)
                        .collect();
                    let _ = write!(
                        main,
                        "<fieldset><legend>{name}</legend>{kept}\
                         <label for=\"evidence-{id}\" style=\"font-weight:400\">{choose}</label>\
                         <input id=\"evidence-{id}\" name=\"evidence.{id}\" type=\"file\" multiple \
                         accept=\"{ACCEPT}\" aria-describedby=\"evidence-hint\"></fieldset>",
                        kept = kept_boxes(
                            page,
                            &format!("kept.{}", condition.id),
                            &condition.id,
                            &kept
                        ),
                        choose = zh_en(
                            page,
                            format!("选择文件：{name}"),
                            format!("Choose files: {name}")
                        ),
                    );
                }
                ConditionKind::Commitment => {
                    let checked = if form.signed.contains(&condition.id) {
                        " checked"
                    } else {
                        ""
                    };
                    let text = condition
                        .text_zh
                        .as_deref()
                        .map(|t| {
                            format!(
                                "<blockquote lang=\"zh-CN\" id=\"text-{id}\">{}</blockquote>",
                                escape(t)
                            )
                        })
                        .unwrap_or_default();
                    let described = if condition.text_zh.is_some() {
                        format!(" aria-describedby=\"text-{id}\"")
                    } else {
                        String::new()
                    };
                    let _ = write!(
                        main,
                        "<fieldset><legend>{name}</legend>{text}\
                         <div class=\"check\"><input type=\"checkbox\" id=\"signed-{id}\" name=\"signed\" \
                         value=\"{id}\"{checked}{described}>\
                         <label for=\"signed-{id}\">{agree}</label></div></fieldset>",
                        agree = page.t(
                            "本单位已阅读并签署上述承诺",
                            "We have read the commitment above and sign it",
                        ),
                    );
                }
            }
        }
        let _ = write!(
            main,
            "<p id=\"evidence-hint\" class=\"hint muted\">{hint}</p>\
             <button type=\"submit\">{submit}</button></form>",
            hint = escape(&file_hint(page, context.config.max_attachment_mib)),
            submit = page.t("提交修复申请", "Apply"),
        );
    }
    page.render(status, title, &main)
}

// ---------------------------------------------------------------------------------------
// A case.

fn objection_state(page: &Page, objection: &Objection) -> String {
    match objection.outcome {
        None => page.t("异议处理中", "Objection being handled").to_owned(),
        Some(outcome) => {
            let (zh, en) = match outcome {
                Outcome::Keep => ("维持原记录", "the record stands"),
                Outcome::Correct => ("更正记录", "the record is to be corrected"),
                Outcome::Revoke => ("撤销记录", "the record is revoked"),
            };
            zh_en(page, format!("已办结：{zh}"), format!("Decided: {en}"))
        }
    }
}

fn repair_state(page: &Page, repair: &Repair) -> String {
    match repair.outcome {
        None => page.t("修复申请审核中", "Under review").to_owned(),
        Some(RepairOutcome::Approved) => page.t("已批准：已修复", "Approved: repaired").to_owned(),
        Some(RepairOutcome::Refused) => page.t("未获批准", "Refused").to_owned(),
    }
}

fn listing_state(page: &Page, listing: &Listing) -> String {
    match listing.status {
        ListingStatus::Proposed => page.t("拟列入（告知中）", "Proposed (notice served)"),
        ListingStatus::Listed => page.t("已列入", "Listed"),
        ListingStatus::Dropped => page.t("不予列入", "Not listed"),
        ListingStatus::Removed => page.t("已移出", "Removed"),
    }
    .to_owned()
}

fn fact(main: &mut String, label: &str, value: &str) {
    let _ = write!(main, "<dt>{label}</dt><dd>{value}</dd>");
}

fn date_or_dash(day: Option<NaiveDate>) -> String {
    day.map_or_else(|| "—".to_owned(), |d| d.to_string())
}

fn events_table<T>(page: &Page, view: &CaseView<T>) -> String {
    let mut html = format!(
        "<section aria-labelledby=\"steps\"><h2 id=\"steps\">{heading}</h2><div class=\"table\">\
         <table class=\"stack\" aria-labelledby=\"steps\"><thead><tr><th scope=\"col\">{seq}</th>\
         <th scope=\"col\">{kind}</th><th scope=\"col\">{at}</th></tr></thead><tbody>",
        heading = page.t("办理过程", "Steps"),
        seq = page.t("序号", "No."),
        kind = page.t("步骤", "Step"),
        at = page.t("时间（北京时间）", "Time (Beijing)"),
    );
    for event in &view.events {
        let _ = write!(
            html,
            "<tr><td data-label=\"{seq_label}\">{seq}</td><th scope=\"row\" data-label=\"{kind_label}\">{kind}</th>\
             <td data-label=\"{at_label}\">{at}</td></tr>",
            seq_label = page.t("序号", "No."),
            seq = event.seq,
            kind_label = page.t("步骤", "Step"),
            kind = escape(event_kind(page, &event.kind)),
            at_label = page.t("时间", "Time"),
            at = escape(&beijing_time(&event.recorded_at)),
        );
    }
    html.push_str("</tbody></table></div></section>");
    html
}

/// `GET /me/case/{id}`.
pub fn case(page: &Page, case: &CaseShown, today: NaiveDate, platform: &Platform) -> Response {
    let (kind, id, record, open, due, state) = match case {
        CaseShown::Objection(v) => (
            v.kind,
            &v.id,
            &v.record,
            v.open,
            v.due,
            objection_state(page, &v.state),
        ),
        CaseShown::Repair(v) => (
            v.kind,
            &v.id,
            &v.record,
            v.open,
            v.due,
            repair_state(page, &v.state),
        ),
        CaseShown::Listing(v) => (
            v.kind,
            &v.id,
            &v.record,
            v.open,
            v.due,
            listing_state(page, &v.state),
        ),
    };
    let title = zh_en(
        page,
        format!("{}案件", case_kind(page, kind)),
        format!("{} case", case_kind(page, kind)),
    );
    let overdue = open && due.is_some_and(|due| today > due);
    let mut main = form_crumbs(page, &title);
    let _ = write!(
        main,
        "<h1>{title} <code class=\"muted\" style=\"font-size:.9rem\">{id}</code></h1>",
        title = escape(&title),
        id = escape(id),
    );
    let due_text = match due {
        Some(due) if open => zh_en(page, format!("办理期限：{due}"), format!("Due by {due}")),
        _ => page.t("已办结", "Closed").to_owned(),
    };
    let _ = write!(
        main,
        "<p class=\"notice\" role=\"status\"><strong class=\"case-state\">{state}</strong> · \
         <span class=\"due\">{due}</span>{overdue}</p>",
        state = escape(&state),
        due = escape(&due_text),
        overdue = if overdue {
            format!(" {}", overdue_tag(page))
        } else {
            String::new()
        },
    );
    let mut facts = String::new();
    fact(
        &mut facts,
        page.t("所涉记录", "Record"),
        &format!(
            "<a href=\"{}#r-{}\"><code>{}</code></a>",
            page.href("/me", &[]),
            escape(record),
            escape(record)
        ),
    );
    match case {
        CaseShown::Objection(view) => {
            let o = &view.state;
            fact(
                &mut facts,
                page.t("提出日期", "Filed on"),
                &o.filed_on.to_string(),
            );
            fact(
                &mut facts,
                page.t("异议理由", "Grounds"),
                &escape(&o.grounds),
            );
            fact(
                &mut facts,
                page.t("证明材料", "Evidence"),
                &zh_en(
                    page,
                    format!("{} 份", o.attachments.len()),
                    format!("{} file(s)", o.attachments.len()),
                ),
            );
            fact(
                &mut facts,
                page.t("转交期限", "To be forwarded by"),
                &o.forward_by.to_string(),
            );
            fact(
                &mut facts,
                page.t("转交日期", "Forwarded on"),
                &date_or_dash(o.forwarded_on),
            );
            fact(
                &mut facts,
                page.t("办结期限", "To be decided by"),
                &o.decide_by.to_string(),
            );
            for extension in &o.extensions {
                fact(
                    &mut facts,
                    page.t("延期", "Extended"),
                    &escape(&zh_en(
                        page,
                        format!(
                            "{} 延长至 {}：{}",
                            extension.on, extension.until, extension.reason
                        ),
                        format!(
                            "on {} to {}: {}",
                            extension.on, extension.until, extension.reason
                        ),
                    )),
                );
            }
            if let Some(on) = o.decided_on {
                fact(
                    &mut facts,
                    page.t("决定日期", "Decided on"),
                    &on.to_string(),
                );
                fact(
                    &mut facts,
                    page.t("理由", "Reasons"),
                    &escape(o.reason.as_deref().unwrap_or("—")),
                );
            }
        }
        CaseShown::Repair(view) => {
            let r = &view.state;
            fact(
                &mut facts,
                page.t("申请日期", "Applied on"),
                &r.filed_on.to_string(),
            );
            fact(
                &mut facts,
                page.t("审核单位", "Decided by"),
                &format!("<code>{}</code>", escape(&r.unit)),
            );
            fact(
                &mut facts,
                page.t("审核期限", "Review by"),
                &r.review_by.to_string(),
            );
            fact(
                &mut facts,
                page.t("纠正情况", "Statement"),
                &escape(&r.statement),
            );
            let target = platform.repair.targets.iter().find(|t| t.id == r.target);
            let given: Vec<String> = r
                .given
                .iter()
                .map(|g| {
                    let name = target
                        .and_then(|t| t.conditions.iter().find(|c| c.id == g.condition))
                        .map_or(g.condition.as_str(), |c| page.t(&c.name_zh, &c.name_en));
                    escape(&if g.signed {
                        zh_en(page, format!("{name}：已签署"), format!("{name}: signed"))
                    } else {
                        zh_en(
                            page,
                            format!("{name}：{} 份材料", g.attachments.len()),
                            format!("{name}: {} file(s)", g.attachments.len()),
                        )
                    })
                })
                .collect();
            fact(&mut facts, page.t("已提交", "Given"), &given.join("<br>"));
            if let Some(on) = r.decided_on {
                fact(
                    &mut facts,
                    page.t("决定日期", "Decided on"),
                    &on.to_string(),
                );
                fact(
                    &mut facts,
                    page.t("理由", "Reasons"),
                    &escape(r.reason.as_deref().unwrap_or("—")),
                );
            }
            if let Some(end) = r.publication_ends {
                fact(
                    &mut facts,
                    page.t("公示截止", "Shown until"),
                    &end.to_string(),
                );
            }
            for appeal in &r.appeals {
                fact(
                    &mut facts,
                    page.t("救济途径", "To challenge it"),
                    &escape(&zh_en(
                        page,
                        format!(
                            "{}（{} 前，{}）",
                            appeal.route_zh,
                            appeal.by,
                            basis_text(&appeal.basis)
                        ),
                        format!(
                            "{} (by {}, {})",
                            appeal.route_en,
                            appeal.by,
                            basis_text(&appeal.basis)
                        ),
                    )),
                );
            }
        }
        CaseShown::Listing(view) => {
            let l = &view.state;
            fact(
                &mut facts,
                page.t("告知日期", "Notice served"),
                &l.notified_on.to_string(),
            );
            fact(
                &mut facts,
                page.t("陈述申辩期限", "Objections until"),
                &l.objection_due.to_string(),
            );
            fact(
                &mut facts,
                page.t("列入起始", "Listed from"),
                &date_or_dash(l.in_force_from),
            );
            fact(
                &mut facts,
                page.t("列入截止", "Listed until"),
                &date_or_dash(l.until),
            );
            fact(
                &mut facts,
                page.t("移出日期", "Removed on"),
                &date_or_dash(l.removed_on),
            );
        }
    }
    let _ = write!(
        main,
        "<section aria-labelledby=\"facts\" class=\"card\"><h2 id=\"facts\" style=\"margin-top:0\">{}</h2>\
         <dl class=\"facts\">{facts}</dl></section>",
        page.t("案件情况", "The case"),
    );
    let events = match case {
        CaseShown::Objection(v) => events_table(page, v),
        CaseShown::Repair(v) => events_table(page, v),
        CaseShown::Listing(v) => events_table(page, v),
    };
    main.push_str(&events);
    let _ = write!(
        main,
        "<p><a href=\"{}\">{}</a></p>",
        page.href("/inbox", &[]),
        page.t("查看全部消息", "All notices")
    );
    page.render(StatusCode::OK, &title, &main)
}

/// Opens a `<section>` of a page, labelled by its heading, with an introduction if given;
/// the caller closes it.
fn open_section(main: &mut String, id: &str, heading: &str, intro: Option<&str>) {
    let _ = write!(
        main,
        "<section aria-labelledby=\"{id}\"><h2 id=\"{id}\">{}</h2>",
        escape(heading)
    );
    if let Some(intro) = intro {
        muted(main, intro);
    }
}

/// A quiet paragraph: an introduction, or a note that there is nothing to show.
fn muted(main: &mut String, text: &str) {
    let _ = write!(main, "<p class=\"muted\">{}</p>", escape(text));
}
