//! The intake site in a real browser: headless Chromium driven through
//! chromedriver (Debian's chromium and chromium-driver; the README's test
//! command installs them). A department signs in, uploads, sees its marked
//! cell and downloads its return; the office sees the board change,
//! records a decision, builds and downloads the booklet. Screenshots of
//! each page go to target/site-screenshots/ to be looked at.

#[allow(dead_code)]
mod common;

use common::site::{Server, start};
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver on a free loopback port, ended with the test.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The browser, when a failed test left its session open, then the driver.
        let profile = format!("--user-data-dir={}", self._profile.path().display());
        let _ = Command::new("pkill").arg("-f").arg(profile).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn driver() -> (Driver, Client) {
    let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("chromedriver is missing: run the README's test command (scripts/test), which installs chromium and chromium-driver");
    let port = free_port();
    let child = Command::new(chromedriver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver { child, url, _profile: profile };
    let capabilities: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--no-first-run",
                "--window-size=1400,1000", "--lang=ja",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ]
        }
    }))
    .unwrap();
    let mut last_error = None;
    for _ in 0..100 {
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        match builder.capabilities(capabilities.clone()).connect(&driver.url).await {
            Ok(client) => return (driver, client),
            Err(e) => last_error = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start: {last_error:?}");
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

async fn sign_in(client: &Client, server: &Server, name: &str, password: &str) {
    client.goto(&format!("{}/login", server.base)).await.unwrap();
    client.find(Locator::Id("name")).await.unwrap().send_keys(name).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(password).await.unwrap();
    client.find(Locator::Css("button.primary")).await.unwrap().click().await.unwrap();
    // Signed in once the page names the account.
    client.wait().for_element(Locator::Css("form.who")).await.unwrap();
}

/// Fetches `path` from the page, as a download link would: its status and
/// first bytes.
async fn fetch(client: &Client, path: &str) -> (u64, String) {
    let script = r#"
        const [path, done] = arguments;
        fetch(path).then(async (r) => {
            const bytes = new Uint8Array(await r.arrayBuffer());
            done([r.status, String.fromCharCode(...bytes.slice(0, 4))]);
        }).catch((e) => done([0, String(e)]));
    "#;
    let answer = client.execute_async(script, vec![serde_json::json!(path)]).await.unwrap();
    (answer[0].as_u64().unwrap(), answer[1].as_str().unwrap().to_string())
}

async fn text(client: &Client) -> String {
    client.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_and_the_office_do_their_round_in_a_browser() {
    let server = start().await;
    let (_driver, client) = driver().await;

    // The sign-in page is usable by keyboard: the focus starts in the
    // name field, Tab moves on, the fields have labels.
    client.goto(&format!("{}/login", server.base)).await.unwrap();
    screenshot(&client, "01-login").await;
    let active = "return document.activeElement.id;";
    assert_eq!(client.execute(active, vec![]).await.unwrap(), serde_json::json!("name"), "the name field has the focus");
    client.find(Locator::Id("name")).await.unwrap().send_keys("\u{E004}").await.unwrap();
    assert_eq!(client.execute(active, vec![]).await.unwrap(), serde_json::json!("password"), "Tab reaches the password");
    assert_eq!(client.find(Locator::Css("a.skip")).await.unwrap().attr("href").await.unwrap().as_deref(), Some("#main"));
    assert_eq!(client.find_all(Locator::Css("label[for=name], label[for=password]")).await.unwrap().len(), 2);

    // A department signs in, uploads its workbook with the file chooser and
    // sees its findings with the cell marked.
    sign_in(&client, &server, "soumu", "soumu-pass-1").await;
    assert!(client.current_url().await.unwrap().path().ends_with("/dept"));
    client.goto(&format!("{}/dept?round=%E7%B4%A0%E6%A1%88", server.base)).await.unwrap();
    let workbook = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/submissions/01_総務部.xlsx");
    // Chosen, then dropped on the upload area as a file dragged from the
    // desktop would be (the page's script sends it).
    client.find(Locator::Id("file")).await.unwrap().send_keys(&workbook.display().to_string()).await.unwrap();
    let drop = r#"
        const form = document.getElementById("upload");
        const chosen = form.querySelector("input[type=file]").files[0];
        const dragged = new DataTransfer();
        dragged.items.add(chosen);
        form.querySelector("input[type=file]").value = "";
        form.dispatchEvent(new DragEvent("drop", { dataTransfer: dragged, bubbles: true, cancelable: true }));
    "#;
    client.execute(drop, vec![]).await.unwrap();
    client.wait().for_element(Locator::Css("p.notice")).await.unwrap();
    let page = text(&client).await;
    assert!(page.contains("アップロードを受け付けました"), "{page}");
    assert!(page.contains("エラー 1"), "{page}");
    let marked = client.find(Locator::Css("td#s5-C8")).await.unwrap();
    assert_eq!(marked.attr("class").await.unwrap().as_deref(), Some("mark error"));
    client.find(Locator::Css("a[href='#s5-C8']")).await.unwrap().click().await.unwrap();
    assert_eq!(client.current_url().await.unwrap().fragment(), Some("s5-C8"));
    screenshot(&client, "02-department-findings").await;
    // Its return, as the download link fetches it: a workbook.
    let link = client.find(Locator::Id("download-return")).await.unwrap().attr("href").await.unwrap().unwrap();
    assert_eq!(fetch(&client, &link).await, (200, "PK\u{3}\u{4}".to_string()));
    client.find(Locator::Css("form.who button")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("password")).await.unwrap();
    assert!(client.current_url().await.unwrap().path().ends_with("/login"));

    // The office sees the upload on the board.
    sign_in(&client, &server, "office", "office-pass-1").await;
    client.goto(&format!("{}/office?round=%E7%B4%A0%E6%A1%88", server.base)).await.unwrap();
    let row = client.find(Locator::XPath("//tr[th[contains(., '総務部')]]")).await.unwrap().text().await.unwrap();
    assert!(row.contains("提出済") && row.contains(" 1 "), "{row}");
    screenshot(&client, "03-office-board").await;

    // Records a decision on the department's error from the page.
    client.find(Locator::XPath("//tr[th[contains(., '総務部')]]//a")).await.unwrap().click().await.unwrap();
    let form = client.find(Locator::XPath("//li[.//code[text()='V217']]//form")).await.unwrap();
    form.find(Locator::Css("input[name=reason]")).await.unwrap().send_keys("部に確認し、記入どおりとする").await.unwrap();
    form.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::XPath("//h3[text()='事務局が確認済とした指摘']")).await.unwrap();
    assert!(text(&client).await.contains("部に確認し、記入どおりとする"));
    screenshot(&client, "04-office-department").await;

    // Builds the documents, watches the progress, downloads the booklet.
    client.goto(&format!("{}/office/documents", server.base)).await.unwrap();
    client.find(Locator::Css("#build button")).await.unwrap().click().await.unwrap();
    // The page shows the progress while the build runs and the documents
    // once it is done; it is opened again until they are there.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        client.goto(&format!("{}/office/documents", server.base)).await.unwrap();
        if client.find(Locator::XPath("//a[contains(@href, '.zip')]")).await.is_ok() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the build did not finish: {}", text(&client).await);
    }
    let page = text(&client).await;
    assert!(page.contains("完了") && page.contains("行政経営戦略推進プラン（素案）.pdf"), "{page}");
    screenshot(&client, "05-office-documents").await;
    let booklet = client.find(Locator::XPath("//tr[td[text()='行政経営戦略推進プラン（素案）.pdf']]//a[text()='ダウンロード']")).await.unwrap();
    let href = booklet.attr("href").await.unwrap().unwrap();
    assert_eq!(fetch(&client, &href).await, (200, "%PDF".to_string()));
    client.goto(&format!("{}/office/accounts", server.base)).await.unwrap();
    assert!(text(&client).await.contains("soumu"), "the accounts are listed");
    screenshot(&client, "06-office-accounts").await;
    client.close().await.unwrap();
}
