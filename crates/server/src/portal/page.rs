//! What every portal page shares: the language and links that keep it, the layout with its
//! landmarks, the style sheet, and the response headers.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

pub(crate) use crate::meta::escape;

/// The language of a page: Chinese unless `lang=en` asks for English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_param(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some(value) if value.eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// From a raw query string, where no parsed parameters are at hand.
    pub fn from_query(query: Option<&str>) -> Self {
        Lang::from_param(
            query
                .unwrap_or_default()
                .split('&')
                .find_map(|pair| pair.strip_prefix("lang=")),
        )
    }

    /// The value of `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// One page being answered: its language and the address of the same page in the other one.
#[derive(Debug)]
pub struct Page {
    pub lang: Lang,
    /// The same path and query with the language switched (not yet HTML-escaped).
    switch: String,
    /// Who is signed in, on a self-service page; `None` on every public page, which never
    /// looks at the session.
    account: Option<Account>,
    /// Whether the page must not be stored by the browser or anything in between (signed-in
    /// pages and the sign-in form).
    private: bool,
}

/// The key signed in to the self-service pages, as the header names it.
#[derive(Debug, Clone)]
pub struct Account {
    /// What the header shows: the subject's code or the unit, and the key's id.
    pub label: String,
    /// A subject's key (which has `/me`), rather than a unit's.
    pub subject: bool,
}

impl Page {
    pub fn new(lang: Lang, uri: &Uri) -> Self {
        let mut pairs: Vec<&str> = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty() && !pair.starts_with("lang="))
            .collect();
        if lang == Lang::Zh {
            pairs.push("lang=en");
        }
        let mut switch = uri.path().to_owned();
        if !pairs.is_empty() {
            switch.push('?');
            switch.push_str(&pairs.join("&"));
        }
        Page {
            lang,
            switch,
            account: None,
            private: false,
        }
    }

    /// A self-service page of `account`: its header says who is signed in and offers to sign
    /// out, and it is never cached.
    pub fn signed_in(mut self, account: Account) -> Self {
        self.account = Some(account);
        self.private = true;
        self
    }

    /// A page that must not be cached, though nobody is signed in (the sign-in form).
    pub fn private(mut self) -> Self {
        self.private = true;
        self
    }

    /// Chinese or English text, by the page's language.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }

    /// A link within the portal that keeps the language; HTML-escaped, ready for `href`.
    pub fn href(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut url = path.to_owned();
        let mut separator = '?';
        for (name, value) in params {
            url.push(separator);
            url.push_str(name);
            url.push('=');
            url.push_str(&encode(value));
            separator = '&';
        }
        if self.lang == Lang::En {
            url.push(separator);
            url.push_str("lang=en");
        }
        escape(&url)
    }

    /// The entity page of a subject code.
    pub fn entity_href(&self, code: &str) -> String {
        self.href(&format!("/entity/{}", encode(code)), &[])
    }

    /// The page of a record.
    pub fn record_href(&self, id: &str) -> String {
        self.href(&format!("/record/{}", encode(id)), &[])
    }

    /// The whole document: `title` names the page, `main` is the content of `<main>`.
    pub fn render(&self, status: StatusCode, title: &str, main: &str) -> Response {
        let site = self.t("公信 · 信用信息公示", "Gongxin · Public Credit Information");
        let (switch_label, switch_lang) = match self.lang {
            Lang::Zh => ("English", "en"),
            Lang::En => ("中文", "zh-CN"),
        };
        let html = format!(
            "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · {site}</title><link rel=\"icon\" href=\"data:,\">\
             <style>{STYLE}</style></head>\n<body>\
             <a class=\"skip\" href=\"#main\">{skip}</a>\
             <header class=\"site\"><div class=\"wrap\">\
             <a class=\"brand\" href=\"{home}\">{brand} <small>{tagline}</small></a>\
             <nav aria-label=\"{nav}\"><ul>\
             <li><a href=\"{home}\">{home_label}</a></li>\
             <li><a href=\"{search}\">{search_label}</a></li>\
             {account}\
             <li><a href=\"{switch}\" lang=\"{switch_lang}\" hreflang=\"{switch_lang}\">{switch_label}</a></li>\
             </ul></nav></div></header>\n\
             <main id=\"main\" class=\"wrap\" tabindex=\"-1\">{main}</main>\n\
             <footer class=\"site\"><div class=\"wrap\"><p>{footer}</p>\
             <p><a href=\"/api/docs\">{api}</a></p></div></footer>\
             </body></html>\n",
            lang = self.lang.code(),
            title = escape(title),
            site = escape(site),
            skip = self.t("跳到正文", "Skip to content"),
            home = self.href("/", &[]),
            brand = self.t("公信", "Gongxin"),
            tagline = self.t("信用信息公示", "Public credit information"),
            nav = self.t("主导航", "Main navigation"),
            home_label = self.t("首页", "Home"),
            search = self.href("/search", &[]),
            search_label = self.t("信用查询", "Search"),
            account = self.account_nav(),
            switch = escape(&self.switch),
            footer = self.t(
                "本站公示的信息由各数据来源单位报送，依照信用信息目录在规定期限内向社会公开。\
                 对公示信息有异议的，可向数据来源单位提出。",
                "The information shown here is reported by the source units and published for \
                 the periods the credit information catalog sets. Objections to a record go to \
                 its source unit.",
            ),
            api = self.t("开放接口说明", "API documentation"),
        );
        let mut response = (status, Html(html)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                 form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
        );
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        if self.private {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        }
        response
    }

    /// The header's entries for the self-service pages: the sign-in link on public pages (the
    /// same for everyone), or who is signed in, their pages and a sign-out button.
    fn account_nav(&self) -> String {
        let Some(account) = &self.account else {
            return format!(
                "<li><a href=\"{}\">{}</a></li>",
                self.href("/login", &[]),
                self.t("主体登录", "Sign in"),
            );
        };
        let mut html = String::new();
        if account.subject {
            html.push_str(&format!(
                "<li><a href=\"{}\">{}</a></li>",
                self.href("/me", &[]),
                self.t("本主体信息", "My records"),
            ));
        }
        html.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>\
             <li><span class=\"who\">{signed_in}<code>{label}</code></span> \
             <form class=\"inline\" method=\"post\" action=\"{logout}\">\
             <button type=\"submit\" class=\"link\">{sign_out}</button></form></li>",
            self.href("/inbox", &[]),
            self.t("消息", "Inbox"),
            signed_in = self.t("已登录：", "Signed in: "),
            label = escape(&account.label),
            logout = self.href("/logout", &[]),
            sign_out = self.t("退出登录", "Sign out"),
        ));
        html
    }
}

/// Percent-encodes a query value or path segment (RFC 3986 unreserved characters stay).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The one style sheet, inline (no external assets). Colours keep a contrast of at least
/// 7:1 for text; on a narrow screen tables become one block per row with its labels.
const STYLE: &str = "\
:root{--red:#a3191c;--blue:#0b4a8b;--ink:#1b1b1b;--muted:#4b5058;--line:#d3d7de;--bg:#f4f5f7}\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.65 system-ui,-apple-system,\"PingFang SC\",\"Hiragino Sans GB\",\
\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;color:var(--ink);background:var(--bg);\
-webkit-text-size-adjust:100%}\
.wrap{max-width:66rem;margin:0 auto;padding-left:1rem;padding-right:1rem}\
a{color:var(--blue)}\
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #e8a500;outline-offset:2px}\
.skip{position:absolute;left:-9999px;top:.5rem;background:#fff;color:var(--blue);padding:.5rem 1rem;z-index:9}\
.skip:focus{left:.5rem}\
header.site{background:var(--red);color:#fff}\
header.site .wrap{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.25rem 1rem;padding-top:.7rem;padding-bottom:.7rem}\
.brand{color:#fff;text-decoration:none;font-size:1.4rem;font-weight:700;letter-spacing:.05em}\
.brand small{font-size:.95rem;font-weight:400;margin-left:.4rem}\
header nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1.1rem}\
header nav a{color:#fff;text-underline-offset:.2em}\
main{display:block;padding-top:1.25rem;padding-bottom:3rem}\
main:focus{outline:none}\
h1{font-size:1.6rem;line-height:1.35;margin:.4rem 0 1rem;word-break:break-word}\
h2{font-size:1.2rem;line-height:1.4;margin:1.75rem 0 .6rem}\
h3{font-size:1.08rem;line-height:1.45;margin:1.4rem 0 .5rem}\
.crumbs ol{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem;font-size:.95rem}\
.crumbs li+li::before{content:\"›\";margin-right:.25rem;color:var(--muted)}\
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:1rem 1.25rem;margin:0 0 1rem}\
.lead{font-size:1.05rem}\
.muted{color:var(--muted)}\
.notice{background:#fff;border-left:6px solid var(--red);padding:.8rem 1rem;margin:0 0 1rem;font-size:1.1rem}\
.notice strong{color:var(--red)}\
form.search label{display:block;font-weight:600;margin-bottom:.3rem}\
form.search .row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}\
form.search .q{flex:1 1 18rem;min-width:0}\
form.search .t{flex:0 1 12rem}\
input[type=search],select{width:100%;font:inherit;padding:.6rem .7rem;border:2px solid #5b6270;border-radius:4px;background:#fff;color:var(--ink)}\
input[type=search]{border-color:var(--blue)}\
button{font:inherit;font-weight:600;padding:.62rem 1.4rem;border:0;border-radius:4px;background:var(--blue);color:#fff;cursor:pointer}\
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.25rem;margin:0}\
dl.facts dt{color:var(--muted)}\
dl.facts dd{margin:0;overflow-wrap:anywhere}\
ol.hits{list-style:none;margin:0;padding:0}\
ol.hits h3{margin:0 0 .4rem;font-size:1.15rem}\
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}\
mark{background:#fff0b3;color:inherit}\
.table{overflow-x:auto}\
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line)}\
th,td{text-align:left;vertical-align:top;padding:.55rem .7rem;border-bottom:1px solid var(--line);overflow-wrap:anywhere}\
thead th{background:#e8ecf2;font-weight:600}\
tbody th{font-weight:400}\
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.95em}\
nav.pages ul{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;padding:0;margin:1.25rem 0}\
form.inline{display:inline;margin:0}\
button.link{background:none;border:0;padding:0;font:inherit;font-weight:400;color:#fff;text-decoration:underline;text-underline-offset:.2em;cursor:pointer}\
header .who{font-size:.9rem}\
header .who code{color:#fff}\
form.form label,form.form .label{display:block;font-weight:600;margin:.9rem 0 .3rem}\
form.form .hint{margin:.2rem 0 0;font-size:.93rem}\
textarea,input[type=password],input[type=file]{width:100%;font:inherit;padding:.6rem .7rem;border:2px solid #5b6270;border-radius:4px;background:#fff;color:var(--ink)}\
textarea{min-height:8rem;resize:vertical}\
textarea:focus-visible,input[type=password]:focus-visible,input[type=file]:focus-visible,input[type=checkbox]:focus-visible{outline:3px solid #e8a500;outline-offset:2px}\
.check{display:flex;gap:.6rem;align-items:flex-start;margin:.6rem 0}\
.check input{width:1.35rem;height:1.35rem;margin:.2rem 0 0;flex:none}\
form.form fieldset{border:0;border-top:1px solid var(--line);padding:.6rem 0 0;margin:1.4rem 0 0;min-width:0}\
form.form legend{font-weight:600;padding:0 .4rem 0 0;margin:0}\
form.form .check label{display:block;font-weight:400;margin:0}\
form.form button[type=submit]{margin-top:1.2rem}\
.errors{background:#fff;border-left:6px solid var(--red);padding:.6rem 1rem;margin:0 0 1rem}\
.errors h2{margin:.2rem 0 .4rem;font-size:1.1rem;color:var(--red)}\
.ok{background:#fff;border-left:6px solid #1d6b35;padding:.8rem 1rem;margin:0 0 1rem}\
.tag{display:inline-block;border:1px solid currentColor;border-radius:3px;padding:0 .35rem;font-size:.88rem;line-height:1.5;white-space:nowrap}\
.tag.warn{color:var(--red);font-weight:600}\
.tag.good{color:#1d6b35}\
.actions{display:flex;flex-wrap:wrap;gap:.4rem 1rem}\
blockquote{margin:.5rem 0;padding:.5rem 1rem;background:#f7f7f2;border-left:4px solid var(--line)}\
footer.site{border-top:1px solid var(--line);color:var(--muted);font-size:.92rem;padding:1rem 0 2rem}\
@media (max-width:40rem){\
h1{font-size:1.35rem}\
.brand small{display:block;margin:0}\
dl.facts{grid-template-columns:1fr;gap:0}\
dl.facts dd{margin-bottom:.5rem}\
table.stack,table.stack tbody,table.stack tr,table.stack th,table.stack td{display:block;width:100%}\
table.stack thead{position:absolute;left:-9999px}\
table.stack tr{border-bottom:2px solid var(--line);padding:.35rem 0}\
table.stack th,table.stack td{border:0;padding:.15rem .75rem}\
table.stack [data-label]::before{content:attr(data-label);display:block;font-size:.85rem;color:var(--muted)}\
}";
