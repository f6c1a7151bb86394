//! The web interface in a real browser: headless Chromium driven through chromedriver
//! (WebDriver), against real nodes started by the test harness.
//!
//! Chromium and chromedriver come from Debian's `chromium` and `chromium-driver` packages,
//! which `.ci/install` installs. Chromium runs with the flags that keep it off the
//! network (no sync, no component updates, no background requests), and every page it
//! loads is on 127.0.0.1. Screenshots of the main pages go to `target/screenshots/`.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, ensure};
use common::{PASSWORD, TestNode, wait_for};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Maximum time of a whole browser scenario.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);
/// Maximum wait for one element to appear.
const ELEMENT_TIMEOUT: Duration = Duration::from_secs(15);

/// A chromedriver process with one headless Chromium session.
struct Browser {
    driver: Child,
    client: Client,
    _profile: tempfile::TempDir,
}

/// Fails with the install command when the browser or its driver is missing.
fn require_tools() {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: run `sudo bash .ci/install` (Debian packages chromium and \
             chromium-driver) before the web tests"
        );
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

impl Browser {
    /// Starts chromedriver and Chromium asking for pages in `accept_language`.
    async fn start(accept_language: &str) -> Browser {
        require_tools();
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let ready = wait_for(Duration::from_secs(15), || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        assert!(
            ready.is_some(),
            "chromedriver did not listen on port {port}"
        );

        let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=1280,1100",
                    format!("--lang={accept_language}"),
                    format!("--accept-lang={accept_language}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": accept_language },
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("the capabilities are a JSON object"),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = tokio::time::timeout(
            Duration::from_secs(30),
            ClientBuilder::new(connector)
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await
        .expect("Chromium started within 30 s")
        .expect("a WebDriver session");
        Browser {
            driver,
            client,
            _profile: profile,
        }
    }

    /// Ends the browser session, then chromedriver.
    async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.clone().close()).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Runs `scenario` under the scenario timeout, closes the browser whatever happened, and
/// fails with the scenario's error and the node's logs.
async fn run_scenario<F>(browser: Browser, node: &TestNode, scenario: F)
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    let result = tokio::time::timeout(SCENARIO_TIMEOUT, scenario).await;
    browser.close().await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(err)) => panic!("{err:#}\n--- node log ---\n{}", node.logs()),
        Err(_) => panic!("scenario timed out\n--- node log ---\n{}", node.logs()),
    }
}

/// Starts a node with an instrument, two billing groups and a level-1 user `alice`.
fn facility(root: &Path) -> TestNode {
    let mut node = TestNode::new(root, "xrd");
    node.init_facility();
    node.ok(&[
        "instrument",
        "add",
        "XRD1",
        "--name",
        "X-ray diffractometer",
    ]);
    node.ok(&["group", "add", "LMCP", "--category", "internal"]);
    node.ok(&["group", "add", "ACME", "--category", "industrial"]);
    node.ok(&["user", "add", "alice", "--level", "1", "--group", "LMCP"]);
    node.start();
    node
}

fn base_url(node: &TestNode) -> String {
    format!(
        "http://{}",
        node.http.as_deref().expect("web address in run.json")
    )
}

async fn wait_css(client: &Client, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
    client
        .wait()
        .at_most(ELEMENT_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("element {css} did not appear"))
}

async fn text_of(client: &Client, css: &str) -> anyhow::Result<String> {
    Ok(wait_css(client, css).await?.text().await?)
}

/// Waits until the text of `css` contains `needle`, across page loads; returns the text.
async fn wait_text(client: &Client, css: &str, needle: &str) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + ELEMENT_TIMEOUT;
    let mut last = String::new();
    while tokio::time::Instant::now() < deadline {
        // The element may belong to the page being replaced: a stale or missing element
        // only means the next page has not loaded yet.
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if text.contains(needle) {
                return Ok(text);
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{css} did not show {needle:?} within {ELEMENT_TIMEOUT:?}; last text: {last:?}")
}

async fn screenshot(client: &Client, name: &str) -> anyhow::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir)?;
    let png = client.screenshot().await?;
    std::fs::write(dir.join(format!("{name}.png")), png)?;
    Ok(())
}

async fn log_in(client: &Client, base: &str, login: &str) -> anyhow::Result<()> {
    client.goto(&format!("{base}/login")).await?;
    wait_css(client, "#login").await?.send_keys(login).await?;
    wait_css(client, "#password")
        .await?
        .send_keys(PASSWORD)
        .await?;
    wait_css(client, "#submit").await?.click().await?;
    wait_css(client, "#logout").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn web_session_start_and_stop() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = facility(root.path());
    let base = base_url(&node);
    let browser = Browser::start("en-US").await;
    let client = browser.client.clone();
    let scenario = async {
        client.goto(&format!("{base}/")).await?;
        wait_css(&client, "#login").await?;
        ensure!(
            client.current_url().await?.path() == "/login",
            "not redirected to login"
        );
        screenshot(&client, "login").await?;
        log_in(&client, &base, "admin").await?;

        wait_css(&client, "#offline").await?;
        wait_css(&client, "#group")
            .await?
            .select_by_value("ACME")
            .await?;
        wait_css(&client, "#kind")
            .await?
            .send_keys("powder")
            .await?;
        wait_css(&client, "#start").await?.click().await?;
        let running = wait_text(&client, "#running-info", "ACME").await?;
        ensure!(running.contains("admin"), "running: {running}");
        screenshot(&client, "instrument-running").await?;

        let observations = "peak at 2θ = 28.4° <ok>";
        wait_css(&client, "#observations")
            .await?
            .send_keys(observations)
            .await?;
        wait_css(&client, "#stop").await?.click().await?;
        wait_text(&client, ".flash", "stopped").await?;
        wait_css(&client, "#start").await?;

        wait_css(&client, "#incident summary")
            .await?
            .click()
            .await?;
        wait_css(&client, "#entry-kind")
            .await?
            .select_by_value("incident")
            .await?;
        let incident = "vacuum pump stopped & restarted";
        wait_css(&client, "#entry-text")
            .await?
            .send_keys(incident)
            .await?;
        wait_css(&client, "#entry-save").await?.click().await?;
        wait_text(&client, ".flash", "Incident").await?;

        client
            .goto(&format!("{base}/notebook?instrument=XRD1"))
            .await?;
        let entries = text_of(&client, "#entries").await?;
        ensure!(entries.contains(incident), "entries: {entries}");
        let table = text_of(&client, "#sessions").await?;
        ensure!(table.contains(observations), "notebook: {table}");
        ensure!(table.contains("powder"), "notebook: {table}");
        screenshot(&client, "notebook").await?;

        wait_css(&client, "#sessions a").await?.click().await?;
        let history = text_of(&client, "#history").await?;
        ensure!(history.contains("observations"), "history: {history}");

        client.goto(&format!("{base}/status")).await?;
        wait_css(&client, "#no-peers").await?;
        screenshot(&client, "status").await?;
        Ok(())
    };
    run_scenario(browser, &node, scenario).await;

    let sessions = node.json(&["sessions", "--format", "json"]);
    let session = &sessions[0];
    assert_eq!(session["group"], "ACME");
    assert_eq!(session["kind"], "powder");
    assert!(
        !session["end"].is_null(),
        "the session is closed: {session}"
    );
}

/// Records a closed two-hour session of ACME on XRD1 on Monday 10 March 2025.
fn past_session(node: &TestNode) {
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "XRD1",
        "--group",
        "ACME",
        "--kind",
        "scan",
    ]);
    node.ok(&["session", "stop", "--instrument", "XRD1"]);
    let id = node.session_ids().pop().expect("a session");
    node.ok(&[
        "session",
        "edit",
        &id,
        "--start",
        "2025-03-10 09:00",
        "--end",
        "2025-03-10 11:00",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn web_admin_sets_tariff_and_issues_invoice() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = facility(root.path());
    past_session(&node);
    let backups = root.path().join("backups");
    let base = base_url(&node);
    let browser = Browser::start("en-US").await;
    let client = browser.client.clone();
    let scenario = async {
        log_in(&client, &base, "admin").await?;
        client.goto(&format!("{base}/admin")).await?;
        wait_css(&client, "#users").await?;
        screenshot(&client, "admin").await?;
        wait_css(&client, "#u-login")
            .await?
            .send_keys("bob")
            .await?;
        wait_css(&client, "#u-password")
            .await?
            .send_keys(PASSWORD)
            .await?;
        wait_css(&client, "#u-group")
            .await?
            .select_by_value("ACME")
            .await?;
        wait_css(&client, "#user-save").await?.click().await?;
        wait_text(&client, "#users", "bob").await?;

        wait_css(&client, "#settings-link").await?.click().await?;
        let folder = backups.display().to_string();
        wait_css(&client, "#dir").await?.send_keys(&folder).await?;
        wait_css(&client, "#backup-save").await?.click().await?;
        wait_text(&client, ".flash", "saved").await?;
        wait_css(&client, "#backup-now").await?.click().await?;
        wait_text(&client, ".flash", "Backup written").await?;
        screenshot(&client, "settings").await?;

        client.goto(&format!("{base}/admin")).await?;
        wait_css(&client, "#tariffs-link").await?.click().await?;

        wait_css(&client, "#t-instrument")
            .await?
            .select_by_value("XRD1")
            .await?;
        wait_css(&client, "#t-category")
            .await?
            .select_by_value("industrial")
            .await?;
        wait_css(&client, "#t-hourly")
            .await?
            .send_keys("42,50")
            .await?;
        wait_css(&client, "#tariff-save").await?.click().await?;
        wait_text(&client, ".flash", "42.50 per hour").await?;
        let tariffs = text_of(&client, "#tariffs").await?;
        ensure!(tariffs.contains("industrial"), "tariffs: {tariffs}");
        screenshot(&client, "tariffs").await?;

        client.goto(&format!("{base}/charts")).await?;
        wait_css(&client, "#chart-instrument").await?;
        screenshot(&client, "charts").await?;

        let query = "from=2025-03-01&to=2025-03-31&group=ACME";
        client.goto(&format!("{base}/invoices?{query}")).await?;
        let preview = text_of(&client, "#invoice-preview").await?;
        ensure!(preview.contains("85.00"), "preview: {preview}");
        screenshot(&client, "invoice-preview").await?;
        wait_css(&client, "#issue").await?.click().await?;
        let flash = wait_text(&client, ".flash", "issued").await?;
        ensure!(flash.contains("-0001"), "flash: {flash}");
        let issued = text_of(&client, "#issued").await?;
        ensure!(issued.contains("ACME"), "issued: {issued}");
        screenshot(&client, "invoices").await?;

        let href = wait_css(&client, "#issued a[id$='-csv']")
            .await?
            .attr("href")
            .await?
            .context("a CSV link")?;
        let cookie = client.get_named_cookie("pm_session").await?;
        let csv = http(&base, "GET", &href, Some(cookie.value()), "");
        ensure!(csv.contains("text/csv"), "CSV response: {csv}");
        ensure!(csv.contains("85.00"), "CSV response: {csv}");
        for (format, magic) in [("xlsx", &b"PK"[..]), ("pdf", &b"%PDF"[..])] {
            let path = href.replace("/csv", &format!("/{format}"));
            let response = http_bytes(&base, "GET", &path, Some(cookie.value()), "");
            ensure!(
                body_of(&response).starts_with(magic),
                "{format} export is not a file"
            );
        }
        Ok(())
    };
    run_scenario(browser, &node, scenario).await;

    let tariffs = node.json(&["tariff", "list", "--format", "json"]);
    let text = tariffs.to_string();
    assert!(text.contains("XRD1"), "tariffs: {text}");
    assert!(text.contains("42.50"), "tariffs: {text}");
    let users = node.ok(&["user", "list"]);
    assert!(users.contains("bob"), "users: {users}");
    let copies = std::fs::read_dir(&backups).expect("backup folder").count();
    assert_eq!(copies, 1, "one backup in {}", backups.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn web_french_user_refused_admin() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = facility(root.path());
    let base = base_url(&node);
    let browser = Browser::start("fr-FR").await;
    let client = browser.client.clone();
    let scenario = async {
        client.goto(&format!("{base}/login")).await?;
        let title = text_of(&client, "h1").await?;
        ensure!(title == "Connexion", "login title: {title}");
        log_in(&client, &base, "alice").await?;

        let groups = wait_css(&client, "#group").await?;
        let options = groups.find_all(Locator::Css("option")).await?;
        ensure!(
            options.len() == 1,
            "a level-1 user sees {} groups",
            options.len()
        );
        let start = text_of(&client, "#start").await?;
        ensure!(start == "Démarrer", "start button: {start}");
        screenshot(&client, "instrument-fr").await?;

        client.goto(&format!("{base}/admin")).await?;
        wait_text(&client, "h1", "Accès refusé").await?;
        let error = text_of(&client, "#error").await?;
        ensure!(error.contains("alice"), "error: {error}");
        screenshot(&client, "forbidden-fr").await?;

        let cookie = client.get_named_cookie("pm_session").await?;
        let response = http(&base, "GET", "/admin", Some(cookie.value()), "");
        ensure!(response.starts_with("HTTP/1.1 403"), "response: {response}");

        wait_css(&client, "#lang-en").await?.click().await?;
        wait_text(&client, "h1", "Access denied").await?;
        Ok(())
    };
    run_scenario(browser, &node, scenario).await;
}

/// One HTTP/1.1 request over a plain socket; returns the whole response as text.
fn http(base: &str, method: &str, path: &str, session: Option<&str>, body: &str) -> String {
    String::from_utf8_lossy(&http_bytes(base, method, path, session, body)).into_owned()
}

/// One HTTP/1.1 request over a plain socket; returns the whole response.
fn http_bytes(base: &str, method: &str, path: &str, session: Option<&str>, body: &str) -> Vec<u8> {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("the web interface accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("read timeout");
    let cookie = session
        .map(|token| format!("Cookie: pm_session={token}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{cookie}Connection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("response read");
    response
}

/// Returns the body of a response, after its header.
fn body_of(response: &[u8]) -> &[u8] {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(0);
    &response[end..]
}

/// Returns the session token a response sets.
fn set_cookie(response: &str) -> Option<String> {
    response
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: pm_session="))
        .and_then(|rest| rest.split(';').next())
        .map(str::to_string)
}

/// Returns the CSRF token in the first form of a page.
fn csrf_in(page: &str) -> Option<String> {
    let start = page.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_string())
}

#[test]
fn web_forms_need_csrf_token() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = facility(root.path());
    let base = base_url(&node);

    let response = http(&base, "GET", "/", None, "");
    assert!(response.starts_with("HTTP/1.1 303"), "response: {response}");
    assert!(
        response.contains("location: /login"),
        "response: {response}"
    );

    let page = http(&base, "GET", "/login", None, "");
    let anonymous = set_cookie(&page).expect("an anonymous session cookie");
    assert!(
        page.contains("HttpOnly; SameSite=Strict"),
        "response: {page}"
    );
    let csrf = csrf_in(&page).expect("a CSRF field in the login form");

    let body = format!("csrf=wrong&login=admin&password={PASSWORD}");
    let response = http(&base, "POST", "/login", Some(&anonymous), &body);
    assert!(response.starts_with("HTTP/1.1 403"), "response: {response}");

    let body = format!("csrf={csrf}&login=admin&password={PASSWORD}");
    let response = http(&base, "POST", "/login", Some(&anonymous), &body);
    assert!(response.starts_with("HTTP/1.1 303"), "response: {response}");
    let session = set_cookie(&response).expect("a new session cookie");
    assert_ne!(session, anonymous, "logging in replaces the session token");

    let start = "instrument=XRD1&group=LMCP&kind=x&samples=1";
    let response = http(&base, "POST", "/session/start", Some(&session), start);
    assert!(response.starts_with("HTTP/1.1 403"), "response: {response}");
    let old = http(&base, "GET", "/", Some(&anonymous), "");
    assert!(
        old.starts_with("HTTP/1.1 303"),
        "the anonymous token is gone: {old}"
    );
    assert!(node.session_ids().is_empty(), "no session was started");
}

/// A session started from the web screen with a light program: the running node launches
/// the program, and its exit closes the session.
#[tokio::test(flavor = "multi_thread")]
async fn web_session_with_light_program() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = facility(root.path());
    node.ok(&[
        "program",
        "add",
        "acquire",
        "--instrument",
        "XRD1",
        "--mode",
        "light",
        "--command",
        "/bin/sleep",
        "--arg",
        "2",
    ]);
    let base = base_url(&node);
    let browser = Browser::start("en-US").await;
    let client = browser.client.clone();
    let scenario = async {
        log_in(&client, &base, "admin").await?;
        client.goto(&format!("{base}/?instrument=XRD1")).await?;
        wait_css(&client, "#program")
            .await?
            .select_by_value("acquire")
            .await?;
        wait_css(&client, "#start").await?.click().await?;
        wait_text(&client, "#running-info", "admin").await?;

        let closed = common::wait_for(Duration::from_secs(20), || {
            let sessions = node.json(&["sessions", "--format", "json"]);
            let session = sessions.as_array()?.first()?.clone();
            (!session["end"].is_null()).then_some(session)
        });
        let session = closed
            .ok_or_else(|| anyhow::anyhow!("the program's exit did not close the session"))?;
        ensure!(session["operator"] == "admin", "{session}");
        Ok(())
    };
    run_scenario(browser, &node, scenario).await;
}

/// An admin adds a control program and settles a flagged session from the web pages.
#[tokio::test(flavor = "multi_thread")]
async fn web_admin_programs_and_review() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = facility(root.path());
    node.ok(&["instrument", "add", "XRD1", "--max-minutes", "60"]);
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "XRD1",
        "--group",
        "LMCP",
    ]);
    let id = node.json(&["sessions", "--format", "json"])[0]["id"]
        .as_str()
        .expect("session id")
        .to_string();
    node.ok(&["session", "edit", &id, "--start", "2026-03-02 08:00"]);
    node.ok(&["session", "stop", "--instrument", "XRD1"]);
    let flagged = common::wait_for(Duration::from_secs(30), || {
        let review = node.json(&["review", "list", "--format", "json"]);
        (review.as_array()?.len() == 1).then_some(())
    });
    assert!(
        flagged.is_some(),
        "the long session was not flagged\n{}",
        node.logs()
    );

    let base = base_url(&node);
    let browser = Browser::start("en-US").await;
    let client = browser.client.clone();
    let scenario = async {
        log_in(&client, &base, "admin").await?;
        client.goto(&format!("{base}/admin")).await?;
        wait_css(&client, "#programs-link").await?.click().await?;
        wait_css(&client, "#p-name")
            .await?
            .send_keys("viewer")
            .await?;
        wait_css(&client, "#p-command")
            .await?
            .send_keys("/bin/sleep")
            .await?;
        wait_css(&client, "#p-args").await?.send_keys("30").await?;
        wait_css(&client, "#program-save").await?.click().await?;
        wait_text(&client, ".flash", "viewer").await?;
        screenshot(&client, "programs").await?;
        let programs = node.ok(&["program", "list", "--format", "csv"]);
        ensure!(programs.contains("viewer"), "{programs}");

        client.goto(&format!("{base}/admin/review")).await?;
        wait_css(&client, "#review").await?;
        screenshot(&client, "review").await?;
        wait_css(&client, "button.resolve").await?.click().await?;
        wait_text(&client, ".flash", "settled").await?;
        let review = node.json(&["review", "list", "--format", "json"]);
        ensure!(review.as_array().map(Vec::len) == Some(0), "{review}");
        Ok(())
    };
    run_scenario(browser, &node, scenario).await;
}
