//! A real headless Chromium for the portal's tests, driven over the W3C WebDriver protocol
//! (chromedriver's HTTP API, spoken with `ureq`).
//!
//! Without Chromium and chromedriver, [`browser_installed`] says "skipped: chromium not
//! installed" and the test returns, unless `GONGXIN_REQUIRE_BROWSER=1` is set, which makes
//! their absence a failure. With `GONGXIN_SCREENSHOTS=1`, [`Browser::screenshot`] saves the
//! viewport to `docs/screenshots/`. `GONGXIN_CHROMIUM` and `GONGXIN_CHROMEDRIVER` override
//! `/usr/bin/chromium` and `/usr/bin/chromedriver`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use super::agent;

/// Where the browser and its driver are; `GONGXIN_CHROMIUM` and `GONGXIN_CHROMEDRIVER`
/// point elsewhere.
pub fn chromium() -> String {
    std::env::var("GONGXIN_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

pub fn chromedriver() -> String {
    std::env::var("GONGXIN_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned())
}

/// A chromedriver process and one browser session in it.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
}

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    pub fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
        };
        let started = Instant::now();
        loop {
            let ready = agent()
                .get(format!("{}/status", browser.base))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let session = browser.command(
            "POST",
            "/session",
            json!({
                "capabilities": { "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium(),
                        "args": [
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                            "--disable-dev-shm-usage",
                            "--hide-scrollbars",
                            "--window-size=1280,1000",
                        ],
                    },
                }},
            }),
        );
        browser.session = session["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser
    }

    /// One WebDriver command; answers its `value`, and fails the test on a WebDriver error.
    pub fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let mut response = match method {
            "GET" => agent().get(&url).call(),
            "DELETE" => agent().delete(&url).call(),
            _ => agent().post(&url).send_json(&body),
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let answer: Value = response
            .body_mut()
            .read_json()
            .expect("WebDriver answers JSON");
        assert!(status < 300, "{method} {path} {body}: {status} {answer}");
        answer["value"].clone()
    }

    fn session_path(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    pub fn get(&self, path: &str) -> Value {
        self.command("GET", &self.session_path(path), Value::Null)
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        self.command("POST", &self.session_path(path), body)
    }

    pub fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }

    pub fn url(&self) -> String {
        self.get("/url").as_str().unwrap_or_default().to_owned()
    }

    /// The first element matching `css`, waiting for it up to ten seconds.
    pub fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let found = self.post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            );
            if let Some(element) = found.as_array().and_then(|a| a.first()) {
                return element[ELEMENT]
                    .as_str()
                    .unwrap_or_else(|| panic!("an element id in {element}"))
                    .to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no element {css} on {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, element: &str) {
        self.post(&format!("/element/{element}/click"), json!({}));
    }

    pub fn type_into(&self, element: &str, text: &str) {
        self.post(
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        );
    }

    pub fn text(&self, element: &str) -> String {
        self.get(&format!("/element/{element}/text"))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn attribute(&self, element: &str, name: &str) -> String {
        self.get(&format!("/element/{element}/attribute/{name}"))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn body_text(&self) -> String {
        let body = self.find("body");
        self.text(&body)
    }

    /// Waits until the page's address contains `part`.
    pub fn wait_for_url(&self, part: &str) {
        let started = Instant::now();
        while !self.url().contains(part) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "never reached {part}: at {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn window(&self, width: u32, height: u32) {
        self.post(
            "/window/rect",
            json!({ "x": 0, "y": 0, "width": width, "height": height }),
        );
    }

    /// Saves the viewport as `docs/screenshots/{name}.png` when `GONGXIN_SCREENSHOTS=1`.
    pub fn screenshot(&self, name: &str) {
        if std::env::var("GONGXIN_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let data = self.get("/screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 PNG"))
            .expect("valid base64");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = agent().delete(&url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

/// Whether the browser can run here; a missing browser fails only when it is required.
#[allow(clippy::print_stdout)]
pub fn browser_installed() -> bool {
    let (browser, driver) = (chromium(), chromedriver());
    if Path::new(&browser).exists() && Path::new(&driver).exists() {
        return true;
    }
    assert!(
        std::env::var("GONGXIN_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "GONGXIN_REQUIRE_BROWSER=1 but {browser} or {driver} is missing"
    );
    println!("skipped: chromium not installed");
    false
}

impl Browser {
    /// Chooses the file at `path` in a file input.
    pub fn choose_file(&self, element: &str, path: &Path) {
        self.type_into(element, path.to_str().expect("a UTF-8 path"));
    }

    /// Whether a checkbox is ticked.
    pub fn is_selected(&self, element: &str) -> bool {
        self.get(&format!("/element/{element}/selected")) == Value::Bool(true)
    }

    /// The value of a form control as the page holds it now.
    pub fn value(&self, element: &str) -> String {
        self.get(&format!("/element/{element}/property/value"))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The browser's cookies for the current page, as WebDriver reports them.
    pub fn cookies(&self) -> Vec<Value> {
        self.get("/cookie").as_array().cloned().unwrap_or_default()
    }

    /// Scrolls `element` into view (for a screenshot of a part of a long page).
    pub fn scroll_to(&self, element: &str) {
        self.post(
            "/execute/sync",
            json!({ "script": "arguments[0].scrollIntoView()", "args": [{ ELEMENT: element }] }),
        );
    }
}
