//! The site killed at any moment — mid-upload, mid-build — starts again
//! with every completed upload, no half-written record and no half-written
//! document. The real binary, killed with SIGKILL.

#[allow(dead_code)]
mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Serving {
    child: Child,
    base: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Serving {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_gyokaku"))
        .arg("serve")
        .arg(dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Serving { child, base };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the site did not start");
}

fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[start..start + 64].to_string()
}

async fn sign_in(base: &str, name: &str, password: &str) -> reqwest::Client {
    sign_in_with_jar(base, name, password).await.0
}

/// The client and its cookies (a raw request below sends them by hand).
async fn sign_in_with_jar(base: &str, name: &str, password: &str) -> (reqwest::Client, std::sync::Arc<reqwest::cookie::Jar>) {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder().cookie_provider(jar.clone()).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let answer = client.post(format!("{base}/login")).form(&[("name", name), ("password", password), ("csrf", &csrf_of(&page))]).send().await.unwrap();
    assert_eq!(answer.status(), 303);
    (client, jar)
}

fn count(dir: &Path, sql: &str) -> i64 {
    let db = rusqlite::Connection::open(dir.join(".gyokaku-site/site.db")).unwrap();
    let ok: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Visible files in the site's report folder (the staged ones are hidden
/// until a build commits them).
fn visible_reports(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.join(".gyokaku-site/reports")];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                found.push(name);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_and_mid_build_keeps_every_completed_upload() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs"), dir.path());
    gyokaku::site::add_user(dir.path(), "office", "office-pass-1", None).unwrap();
    gyokaku::site::add_user(dir.path(), "soumu", "soumu-pass-1", Some("総務部")).unwrap();
    let workbook = std::fs::read(dir.path().join("submissions/01_総務部.xlsx")).unwrap();

    // One upload completes.
    let mut server = serve(dir.path());
    let (soumu, jar) = sign_in_with_jar(&server.base, "soumu", "soumu-pass-1").await;
    let csrf = csrf_of(&soumu.get(format!("{}/dept", server.base)).send().await.unwrap().text().await.unwrap());
    let form = reqwest::multipart::Form::new().text("csrf", csrf.clone()).part("file", reqwest::multipart::Part::bytes(workbook.clone()).file_name("一回目.xlsx"));
    let answer = soumu.post(format!("{}/dept/upload?round=%E7%B4%A0%E6%A1%88", server.base)).multipart(form).send().await.unwrap();
    assert_eq!(answer.status(), 303);

    // The next is cut off halfway, the server killed while it arrives.
    use reqwest::cookie::CookieStore;
    let cookie = jar.cookies(&server.base.parse().unwrap()).unwrap().to_str().unwrap().to_string();
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    let boundary = "----half";
    let head = format!(
        "POST /dept/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"二回目.xlsx\"\r\n\r\n",
        workbook.len() * 2
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&workbook[..workbook.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // Back: the completed upload, its findings, its file in place; nothing else.
    let server2 = serve(dir.path());
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM uploads"), 1);
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM uploads WHERE findings IS NOT NULL AND original_name = '一回目.xlsx'"), 1);
    assert_eq!(std::fs::read(dir.path().join("submissions/01_総務部.xlsx")).unwrap(), workbook);
    // The session survived the restart.
    let page = soumu.get(format!("{}/dept?round=%E7%B4%A0%E6%A1%88", server2.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("一回目.xlsx") && !page.contains("二回目.xlsx"));

    // A build killed halfway leaves no document and a record saying so.
    let office = sign_in(&server2.base, "office", "office-pass-1").await;
    let csrf = csrf_of(&office.get(format!("{}/office/documents", server2.base)).send().await.unwrap().text().await.unwrap());
    let answer = office.post(format!("{}/office/build", server2.base)).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(answer.status(), 303);
    std::thread::sleep(Duration::from_millis(400));
    drop(server2);
    assert_eq!(visible_reports(dir.path()), Vec::<String>::new(), "no half-built document is visible");
    let server3 = serve(dir.path());
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM builds WHERE status = 'interrupted'"), 1);
    let office = sign_in(&server3.base, "office", "office-pass-1").await;
    let page = office.get(format!("{}/office/documents", server3.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("中断（サーバーが止まりました）"));
    // The next build completes, every file as its manifest says.
    let csrf = csrf_of(&page);
    office.post(format!("{}/office/build", server3.base)).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    for _ in 0..600 {
        if count(dir.path(), "SELECT COUNT(*) FROM builds WHERE status = 'done'") == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join(".gyokaku-site/reports/manifest.json")).unwrap()).unwrap();
    for file in manifest["files"].as_array().unwrap() {
        let bytes = std::fs::read(dir.path().join(".gyokaku-site/reports").join(file["path"].as_str().unwrap())).unwrap();
        assert_eq!(gyokaku::engine::sha256_hex(&bytes), file["sha256"].as_str().unwrap());
    }
    drop(server3);
}
