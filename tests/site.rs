//! The intake site over HTTP, as its users reach it: a server on a free
//! loopback port, driven as a department and as the office, and tried the
//! ways someone who does not belong would try it.

#[allow(dead_code)]
mod common;

use common::site::{Server, start, start_with};
use std::path::PathBuf;

fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The CSRF token a page's forms carry.
fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("the page has a form") + 19;
    html[start..start + 64].to_string()
}

async fn sign_in(server: &Server, name: &str, password: &str) -> (reqwest::Client, reqwest::StatusCode) {
    let client = client();
    let page = client.get(format!("{}/login", server.base)).send().await.unwrap().text().await.unwrap();
    let answer = client
        .post(format!("{}/login", server.base))
        .form(&[("name", name), ("password", password), ("csrf", &csrf_of(&page))])
        .send()
        .await
        .unwrap();
    (client, answer.status())
}

async fn get(client: &reqwest::Client, url: String) -> (reqwest::StatusCode, String) {
    let answer = client.get(url).send().await.unwrap();
    (answer.status(), answer.text().await.unwrap())
}

async fn page_csrf(server: &Server, client: &reqwest::Client, path: &str) -> String {
    csrf_of(&get(client, format!("{}{path}", server.base)).await.1)
}

async fn upload(server: &Server, client: &reqwest::Client, csrf: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().text("csrf", csrf.to_string()).part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    client
        .post(format!("{}/dept/upload?round=%E7%B4%A0%E6%A1%88", server.base))
        .header("Accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("inputs/submissions").join(name)).unwrap()
}

/// The sample's 総務部 workbook with C8 of its sixth sheet (prose where
/// 関係部署 should be, V217) corrected to a 課 name.
fn soumu_fixed() -> Vec<u8> {
    let mut parts = common::parts(&sample("01_総務部.xlsx"));
    let strings = parts.iter_mut().find(|(n, _)| n == "xl/sharedStrings.xml").unwrap();
    let mut xml = String::from_utf8(strings.1.clone()).unwrap();
    let start = xml.find("当初は広報所管部署（情報管理課）、事業拡").expect("the seed's text");
    let end = start + xml[start..].find("</t>").unwrap();
    xml.replace_range(start..end, "情報管理課");
    strings.1 = xml.into_bytes();
    common::repack(&parts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_uploads_sees_its_findings_and_what_changed() {
    let server = start().await;
    let (client, status) = sign_in(&server, "soumu", "soumu-pass-1").await;
    assert_eq!(status, 303);
    let csrf = page_csrf(&server, &client, "/dept?round=%E7%B4%A0%E6%A1%88").await;

    // The findings answered are the department's in the run the command
    // line makes of the same folder.
    let answer = upload(&server, &client, &csrf, "総務部_提出.xlsx", sample("01_総務部.xlsx")).await;
    assert_eq!(answer.status(), 200);
    let first: serde_json::Value = answer.json().await.unwrap();
    let config = gyokaku::config::PlanConfig::load_input(server.path()).unwrap();
    let run = gyokaku::pipeline::run(server.path(), &config).unwrap();
    let expected: Vec<_> = run.findings.iter().filter(|f| f.department == "総務部" && !f.file.starts_with("progress/")).collect();
    assert_eq!(first["findings"].as_array().unwrap().len(), expected.len());
    assert_eq!(first["errors"], 1, "{first}");
    assert!(first["findings"].as_array().unwrap().iter().any(|f| f["code"] == "V217" && f["cell"] == "C8"));

    // Kept as it arrived, by content, and placed as the department's file.
    let bytes = sample("01_総務部.xlsx");
    let sha = gyokaku::engine::sha256_hex(&bytes);
    assert_eq!(std::fs::read(server.path().join(format!(".gyokaku-site/uploads/{sha}.xlsx"))).unwrap(), bytes);
    assert_eq!(std::fs::read(server.path().join("submissions/01_総務部.xlsx")).unwrap(), bytes);

    // The page: findings grouped by sheet, the cell marked in the grid.
    let (status, page) = get(&client, format!("{}/dept?round=%E7%B4%A0%E6%A1%88", server.base)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<a href=\"#s5-C8\">C8</a>"), "the finding links to its cell");
    assert!(page.contains("<td id=\"s5-C8\" class=\"mark error\""), "the cell is marked in the grid");
    assert!(page.contains("総務部_提出.xlsx"), "the history names the file as sent");

    // Sent again, corrected: the error is listed as fixed.
    let second: serde_json::Value = upload(&server, &client, &csrf, "総務部_提出.xlsx", soumu_fixed()).await.json().await.unwrap();
    assert_eq!(second["errors"], 0, "{second}");
    let (_, page) = get(&client, format!("{}/dept?round=%E7%B4%A0%E6%A1%88", server.base)).await;
    let changes = &page[page.find("前回のアップロードからの変化").unwrap()..];
    let changes = &changes[..changes.find("</div>").unwrap()];
    assert!(changes.contains("<summary>直った指摘</summary><ul><li>5 C8 [V217]"), "{changes}");
    assert_eq!(std::fs::read(server.path().join("submissions/01_総務部.xlsx")).unwrap(), soumu_fixed(), "the latest upload is the current file");
    // Both uploads are kept.
    assert_eq!(std::fs::read_dir(server.path().join(".gyokaku-site/uploads")).unwrap().count(), 2);

    // Its return and its 確認結果 come back as downloads.
    let answer = client.get(format!("{}/dept/return?round=%E7%B4%A0%E6%A1%88", server.base)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
    let returned = answer.bytes().await.unwrap();
    assert!(common::parts(&returned).iter().any(|(n, _)| n.starts_with("xl/comments")), "findings are notes on their cells");
    let answer = client.get(format!("{}/dept/report.pdf", server.base)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let pdf = answer.bytes().await.unwrap();
    assert!(common::pdf_page_texts(&pdf).concat().contains("総務部"));

    // This round's blank form.
    let answer = client.get(format!("{}/dept/form?round=%E7%B4%A0%E6%A1%88", server.base)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.bytes().await.unwrap().starts_with(b"PK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_sees_nothing_of_another() {
    let server = start().await;
    let (soumu, _) = sign_in(&server, "soumu", "soumu-pass-1").await;
    let csrf = page_csrf(&server, &soumu, "/dept").await;
    let answer: serde_json::Value = upload(&server, &soumu, &csrf, "a.xlsx", sample("01_総務部.xlsx")).await.json().await.unwrap();
    let id = answer["upload"].as_i64().unwrap();

    let (kigyo, _) = sign_in(&server, "kigyo", "kigyo-pass-1").await;
    let (status, _) = get(&kigyo, format!("{}/uploads/{id}", server.base)).await;
    assert_eq!(status, 404, "another department's upload");
    for path in ["/office", "/office/dept/01", "/office/dept/01/return", "/office/dept/01/report.pdf", "/office/documents", "/office/documents.zip", "/office/build/status"] {
        let (status, _) = get(&kigyo, format!("{}{path}", server.base)).await;
        assert_eq!(status, 403, "{path}");
    }
    // Its own pages name only itself.
    let (_, page) = get(&kigyo, format!("{}/dept?round=%E7%B4%A0%E6%A1%88", server.base)).await;
    assert!(page.contains("企業局") && !page.contains("総務部"), "企業局's page names 総務部");
    // A workbook of another department is refused, and nothing replaced.
    let csrf = page_csrf(&server, &kigyo, "/dept").await;
    let answer = upload(&server, &kigyo, &csrf, "08_企業局.xlsx", sample("01_総務部.xlsx")).await;
    assert_eq!(answer.status(), 422);
    assert!(answer.text().await.unwrap().contains("総務部のブックです"));
    assert_eq!(std::fs::read(server.path().join("submissions/08_企業局.xlsx")).unwrap(), sample("08_企業局.xlsx"));
    // The owner and the office can fetch it.
    assert_eq!(get(&soumu, format!("{}/uploads/{id}", server.base)).await.0, 200);
    let (office, _) = sign_in(&server, "office", "office-pass-1").await;
    assert_eq!(get(&office, format!("{}/uploads/{id}", server.base)).await.0, 200);
    // Without a session: to the sign-in page.
    let answer = client().get(format!("{}/dept", server.base)).send().await.unwrap();
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], "/login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_need_the_sessions_csrf_token_and_sessions_expire() {
    let server = start().await;
    let (soumu, _) = sign_in(&server, "soumu", "soumu-pass-1").await;
    let csrf = page_csrf(&server, &soumu, "/dept").await;
    let forged = "0".repeat(64);
    for token in ["", forged.as_str()] {
        let answer = upload(&server, &soumu, token, "a.xlsx", sample("01_総務部.xlsx")).await;
        assert_eq!(answer.status(), 403, "token {token:?}");
        let answer = soumu.post(format!("{}/logout", server.base)).form(&[("csrf", token)]).send().await.unwrap();
        assert_eq!(answer.status(), 403);
    }
    assert_eq!(std::fs::read_dir(server.path().join(".gyokaku-site/uploads")).unwrap().count(), 0, "nothing kept");
    // Another session's token is no better.
    let (office, _) = sign_in(&server, "office", "office-pass-1").await;
    let office_csrf = page_csrf(&server, &office, "/office/documents").await;
    assert_ne!(office_csrf, csrf);
    let answer = office.post(format!("{}/office/build", server.base)).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(answer.status(), 403);
    // Sign-in itself needs the form's own token.
    let answer = client().post(format!("{}/login", server.base)).form(&[("name", "soumu"), ("password", "soumu-pass-1"), ("csrf", &forged)]).send().await.unwrap();
    assert_eq!(answer.status(), 403);

    // An expired session leads back to the sign-in page.
    let db = rusqlite::Connection::open(server.path().join(".gyokaku-site/site.db")).unwrap();
    db.execute("UPDATE sessions SET expires = 1", []).unwrap();
    let answer = soumu.get(format!("{}/dept", server.base)).send().await.unwrap();
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], "/login");
    let answer = upload(&server, &soumu, &csrf, "a.xlsx", sample("01_総務部.xlsx")).await;
    assert_eq!(answer.status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_checked_by_name_size_and_content() {
    let server = start_with(|dir| {
        let plan = std::fs::read_to_string(dir.join("plan.toml")).unwrap() + "\n[limits]\nfile_mb = 2\nunpacked_mb = 20\n";
        std::fs::write(dir.join("plan.toml"), plan).unwrap();
    })
    .await;
    let (soumu, _) = sign_in(&server, "soumu", "soumu-pass-1").await;
    let csrf = page_csrf(&server, &soumu, "/dept").await;
    let plan_before = std::fs::read(server.path().join("plan.toml")).unwrap();

    // A path in the name: only its last part is kept, and the file goes
    // where the site puts the department's file.
    for name in ["../../plan.toml", "..\\..\\plan.toml", "/etc/passwd"] {
        let answer = upload(&server, &soumu, &csrf, name, sample("01_総務部.xlsx")).await;
        assert_eq!(answer.status(), 200, "{name}");
    }
    assert_eq!(std::fs::read(server.path().join("plan.toml")).unwrap(), plan_before);
    let db = rusqlite::Connection::open(server.path().join(".gyokaku-site/site.db")).unwrap();
    let names: Vec<(String, String)> = db
        .prepare("SELECT original_name, placed_as FROM uploads ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(names, vec![
        ("plan.toml".to_string(), "submissions/01_総務部.xlsx".to_string()),
        ("plan.toml".to_string(), "submissions/01_総務部.xlsx".to_string()),
        ("passwd".to_string(), "submissions/01_総務部.xlsx".to_string()),
    ]);

    // Too large.
    let answer = upload(&server, &soumu, &csrf, "big.xlsx", vec![b'P'; 3_000_000]).await;
    assert_eq!(answer.status(), 413);
    assert!(answer.text().await.unwrap().contains("大きすぎます"));
    // Not a workbook, whatever its name.
    let answer = upload(&server, &soumu, &csrf, "report.xlsx", b"<html>not a workbook</html>".to_vec()).await;
    assert_eq!(answer.status(), 415);
    // A workbook that inflates past the limit (here 20 MB; 2 GB alike).
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("[Content_Types].xml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.start_file("xl/workbook.xml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.start_file("xl/worksheets/sheet1.xml", zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)).unwrap();
    use std::io::Write;
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..30 {
        zip.write_all(&zeros).unwrap();
    }
    let bomb = zip.finish().unwrap().into_inner();
    assert!(bomb.len() < 2_000_000);
    let answer = upload(&server, &soumu, &csrf, "bomb.xlsx", bomb).await;
    assert_eq!(answer.status(), 415);
    assert!(answer.text().await.unwrap().contains("展開すると"));
    // Excel's lock file.
    let answer = upload(&server, &soumu, &csrf, "~$01_総務部.xlsx", sample("01_総務部.xlsx")).await;
    assert_eq!(answer.status(), 422);
    let kept: i64 = db.query_row("SELECT COUNT(*) FROM uploads", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 3, "refused uploads are not recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_wrong_passwords_get_nowhere() {
    let server = start().await;
    let client = client();
    let page = client.get(format!("{}/login", server.base)).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..1000 {
        let answer = client.post(format!("{}/login", server.base)).form(&[("name", "soumu"), ("password", &format!("guess-{i}")), ("csrf", &csrf)]).send().await.unwrap();
        *statuses.entry(answer.status().as_u16()).or_insert(0) += 1;
        assert!(answer.headers().get("set-cookie").is_none_or(|c| !c.to_str().unwrap().starts_with("gyokaku_session")));
    }
    assert_eq!(statuses, [(401, 5), (429, 995)].into_iter().collect(), "five tries, then refused");
    // The right password is refused too while the name is locked.
    let answer = client.post(format!("{}/login", server.base)).form(&[("name", "soumu"), ("password", "soumu-pass-1"), ("csrf", &csrf)]).send().await.unwrap();
    assert_eq!(answer.status(), 429);
    assert!(answer.text().await.unwrap().contains("しばらく受け付けません"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let server = start().await;
    let (soumu, _) = sign_in(&server, "soumu", "soumu-pass-1").await;
    for path in ["/login", "/dept", "/assets/site.js", "/nowhere", "/dept/form"] {
        let answer = soumu.get(format!("{}{path}", server.base)).send().await.unwrap();
        let headers = answer.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
    let answer = client().get(format!("{}/login", server.base)).send().await.unwrap();
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_sees_the_round_decides_builds_and_downloads() {
    let server = start().await;
    let (soumu, _) = sign_in(&server, "soumu", "soumu-pass-1").await;
    let csrf = page_csrf(&server, &soumu, "/dept").await;
    let answer: serde_json::Value = upload(&server, &soumu, &csrf, "総務部.xlsx", sample("01_総務部.xlsx")).await.json().await.unwrap();
    let v217 = answer["findings"].as_array().unwrap().iter().find(|f| f["code"] == "V217").unwrap()["place"].as_str().unwrap().to_string();

    let (office, status) = sign_in(&server, "office", "office-pass-1").await;
    assert_eq!(status, 303);
    let (status, board) = get(&office, format!("{}/office?round=%E7%B4%A0%E6%A1%88", server.base)).await;
    assert_eq!(status, 200);
    assert!(board.contains("提出済 <strong>10</strong> / 10 部"), "the sample's ten departments have files");
    assert!(board.contains("提出期限: <strong>2023-07-31</strong>"));
    let row = &board[board.find("01 総務部").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("提出済") && row.contains("<td>1</td>"), "one upload: {row}");
    let (_, board) = get(&office, format!("{}/office?round=R6", server.base)).await;
    assert!(board.contains("提出状況 <span class=\"round\">R6</span>"));
    assert_eq!(get(&office, format!("{}/office?round=R99", server.base)).await.0, 404);

    // A decision from the page goes into decisions.toml, and the finding
    // is listed as 確認済.
    let csrf = page_csrf(&server, &office, "/office/dept/01?round=%E7%B4%A0%E6%A1%88").await;
    let decided = office
        .post(format!("{}/office/decide", server.base))
        .form(&[("csrf", csrf.as_str()), ("code", "V217"), ("place", v217.as_str()), ("reason", "部に確認済み"), ("department", "01"), ("round", "素案")])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 303);
    let decisions = std::fs::read_to_string(server.path().join("decisions.toml")).unwrap();
    assert!(decisions.contains("V217") && decisions.contains("部に確認済み") && decisions.contains("by = \"office\""), "{decisions}");
    let (_, page) = get(&office, format!("{}/office/dept/01?round=%E7%B4%A0%E6%A1%88", server.base)).await;
    assert!(page.contains("事務局が確認済とした指摘") && page.contains("部に確認済み"));

    // An account made on the office's page signs in; a bad one is refused
    // with the reason; a department cannot open the page.
    let answer = office
        .post(format!("{}/office/accounts", server.base))
        .form(&[("csrf", csrf.as_str()), ("name", "fukushi"), ("department", "福祉部"), ("password", "fukushi-pass-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let (_, accounts) = get(&office, format!("{}/office/accounts", server.base)).await;
    assert!(accounts.contains("<td>fukushi</td><td>福祉部</td>"), "listed");
    assert_eq!(sign_in(&server, "fukushi", "fukushi-pass-1").await.1, 303);
    let answer = office.post(format!("{}/office/accounts", server.base)).form(&[("csrf", csrf.as_str()), ("name", "x"), ("department", "存在しない部"), ("password", "long-enough")]).send().await.unwrap();
    assert_eq!(answer.status(), 422);
    assert!(answer.text().await.unwrap().contains("組織一覧にありません"));
    let answer = office.post(format!("{}/office/accounts", server.base)).form(&[("csrf", csrf.as_str()), ("name", "y"), ("department", ""), ("password", "short")]).send().await.unwrap();
    assert_eq!(answer.status(), 422);
    assert_eq!(get(&soumu, format!("{}/office/accounts", server.base)).await.0, 403);

    // A workbook that came by mail, registered by the office for 企業局.
    let form = reqwest::multipart::Form::new().text("csrf", csrf.clone()).part("file", reqwest::multipart::Part::bytes(sample("08_企業局.xlsx")).file_name("企業局_メール添付.xlsx"));
    let answer = office.post(format!("{}/office/dept/08/upload?round=%E7%B4%A0%E6%A1%88", server.base)).multipart(form).send().await.unwrap();
    assert_eq!(answer.status(), 303);
    assert!(answer.headers()["location"].to_str().unwrap().starts_with("/office/dept/08?"));
    let (kigyo, _) = sign_in(&server, "kigyo", "kigyo-pass-1").await;
    let (_, page) = get(&kigyo, format!("{}/dept?round=%E7%B4%A0%E6%A1%88", server.base)).await;
    assert!(page.contains("企業局_メール添付.xlsx</a></td><td>office</td>"), "the history says the office sent it");
    // A department cannot use the office's door.
    let kigyo_csrf = csrf_of(&page);
    let form = reqwest::multipart::Form::new().text("csrf", kigyo_csrf).part("file", reqwest::multipart::Part::bytes(sample("08_企業局.xlsx")).file_name("a.xlsx"));
    let answer = kigyo.post(format!("{}/office/dept/01/upload?round=%E7%B4%A0%E6%A1%88", server.base)).multipart(form).send().await.unwrap();
    assert_eq!(answer.status(), 403);

    // Build: one at a time, progress shown, documents listed and served.
    let started = office.post(format!("{}/office/build", server.base)).header("Accept", "application/json").form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(started.status(), 200);
    let busy = office.post(format!("{}/office/build", server.base)).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(busy.status(), 409, "a second build while one runs");
    let last = loop {
        let status: serde_json::Value = office.get(format!("{}/office/build/status", server.base)).send().await.unwrap().json().await.unwrap();
        if status["progress"]["running"] == false {
            break status["last"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(last["status"], "done", "{last}");
    let (_, documents) = get(&office, format!("{}/office/documents", server.base)).await;
    assert!(documents.contains("行政経営戦略推進プラン（素案）.pdf"));
    let booklet = office.get(format!("{}/office/files/行政経営戦略推進プラン（素案）.pdf", server.base)).send().await.unwrap();
    assert_eq!(booklet.status(), 200);
    assert!(booklet.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let booklet = booklet.bytes().await.unwrap();
    // The command line makes the same booklet from the plan folder.
    let out = tempfile::tempdir().unwrap();
    let options = gyokaku::engine::BuildOptions { input_dir: server.path().to_path_buf(), out_dir: out.path().to_path_buf(), templates: None, font_paths: Vec::new(), handout: false, clean: false };
    gyokaku::engine::build(&options, &indicatif::ProgressBar::hidden()).unwrap();
    assert_eq!(std::fs::read(out.path().join("行政経営戦略推進プラン（素案）.pdf")).unwrap(), booklet.to_vec());
    // A path outside the manifest is not served.
    assert_eq!(get(&office, format!("{}/office/files/..%2Fsite.db", server.base)).await.0, 404);
    assert_eq!(get(&office, format!("{}/office/files/plan.toml", server.base)).await.0, 404);
    // Everything as one zip.
    let zip = office.get(format!("{}/office/documents.zip", server.base)).send().await.unwrap().bytes().await.unwrap();
    let names: Vec<String> = common::parts(&zip).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"manifest.json".to_string()) && names.iter().any(|n| n.starts_with("進捗管理表/")), "{names:?}");
}
