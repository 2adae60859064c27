//! The `gyokaku validate` command end to end: exit codes, the JSON document,
//! the HTML report and the 差し戻し一覧 workbook read back.

mod common;

use calamine::{Reader, open_workbook_auto};
use common::{Inputs, simple_workbook};
use std::path::Path;
use std::process::Command;

fn gyokaku(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gyokaku")).args(args).output().unwrap()
}

fn sample_inputs() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs").to_string_lossy().into_owned()
}

#[test]
fn exit_codes_say_errors_clean_or_cannot_run() {
    let out = tempfile::tempdir().unwrap();
    let report = out.path().to_string_lossy().into_owned();
    // The sample has errors.
    assert_eq!(gyokaku(&["validate", &sample_inputs(), "--report", &report]).status.code(), Some(1));
    // A clean folder.
    let clean = Inputs::new();
    simple_workbook(&clean.submission("01_総務部.xlsx"), "出退勤管理の電子化", Some(&[("1", "出退勤管理の電子化")]));
    let status = gyokaku(&["validate", &clean.path().to_string_lossy(), "--report", &report]);
    assert_eq!(status.status.code(), Some(0), "{}", String::from_utf8_lossy(&status.stdout));
    // No plan.toml, or no such folder.
    let empty = tempfile::tempdir().unwrap();
    let no_plan = gyokaku(&["validate", &empty.path().to_string_lossy(), "--report", &report]);
    assert_eq!(no_plan.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_plan.stderr).contains("plan.toml"));
    assert_eq!(gyokaku(&["validate", "/no/such/folder", "--report", &report]).status.code(), Some(2));
}

#[test]
fn json_document_has_items_and_findings() {
    let out = tempfile::tempdir().unwrap();
    let json_path = out.path().join("v.json");
    let status = gyokaku(&[
        "validate",
        &sample_inputs(),
        "--report",
        &out.path().to_string_lossy(),
        "--json",
        &json_path.to_string_lossy(),
    ]);
    assert_eq!(status.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 91);
    let nyusatsu = items.iter().find(|i| i["title"] == "入札参加資格申請のオンライン化").unwrap();
    assert_eq!(nyusatsu["number"], 6);
    assert_eq!(nyusatsu["department"], "総務部");
    assert_eq!(nyusatsu["priority"], 6);
    assert_eq!(nyusatsu["workload_target"]["R8"]["value"], 1920.0);
    assert_eq!(nyusatsu["workload_target"]["R6"]["raw"], "△480");
    assert_eq!(nyusatsu["fiscal_target"]["R8"]["value"], serde_json::Value::Null);
    assert_eq!(nyusatsu["source"]["file"], "01_総務部.xlsx");
    assert_eq!(nyusatsu["source"]["sheet"], "6");
    assert!(nyusatsu["primary_sections"].is_array() && nyusatsu["related_sections"].is_array());
    for key in ["situation", "approach", "references", "goal", "plan_rows", "yearly_goals", "daibunrui", "shobunrui"] {
        assert!(!nyusatsu[key].is_null(), "{key}");
    }
    let findings = doc["findings"].as_array().unwrap();
    let v205 = findings.iter().find(|f| f["code"] == "V205").unwrap();
    assert_eq!(v205["severity"], "error");
    assert_eq!(v205["file"], "07_都市建設部.xlsx");
    assert_eq!(v205["sheet"], "優先順位一覧");
    assert_eq!(v205["cell"], "D6");
    assert!(v205["hint"].as_str().unwrap().len() > 0);
    let whole_file = findings.iter().find(|f| f["code"] == "V204").unwrap();
    assert_eq!(whole_file["cell"], serde_json::Value::Null);
}

#[test]
fn reports_for_departments_html_and_xlsx() {
    let out = tempfile::tempdir().unwrap();
    gyokaku(&["validate", &sample_inputs(), "--report", &out.path().to_string_lossy()]);
    let html = std::fs::read_to_string(out.path().join("validation.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script") && !html.contains("http"), "self-contained");
    // One section per department, in the master's order, each with its own findings.
    let soumu = html.find("<h2 id=\"dept-1\">総務部</h2>").expect("総務部 section");
    let toshi = html.find("<h2 id=\"dept-7\">都市建設部</h2>").expect("都市建設部 section");
    assert!(soumu < toshi);
    let toshi_section = &html[toshi..html[toshi..].find("<h2 id=\"dept-8\"").map(|i| toshi + i).unwrap_or(html.len())];
    assert!(toshi_section.contains("07_都市建設部.xlsx › 優先順位一覧 › D6"));
    assert!(!toshi_section.contains("01_総務部.xlsx"));

    let mut book = open_workbook_auto(out.path().join("差し戻し一覧.xlsx")).unwrap();
    // The sample's inputs/decisions.toml holds two decisions: 確認済 lists them.
    assert_eq!(book.sheet_names(), ["差し戻し一覧", "部別集計", "確認済"]);
    let sheet = book.worksheet_range("差し戻し一覧").unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header, ["No", "部", "ファイル", "シート", "セル", "重要度", "コード", "内容", "修正方法"]);
    let row = sheet
        .rows()
        .find(|r| r[6].to_string() == "V205")
        .expect("V205 row");
    assert_eq!(
        [row[1].to_string(), row[2].to_string(), row[3].to_string(), row[4].to_string(), row[5].to_string()],
        ["都市建設部", "07_都市建設部.xlsx", "優先順位一覧", "D6", "エラー"]
    );
    let json = gyokaku(&["validate", &sample_inputs(), "--report", &out.path().to_string_lossy(), "--json", &out.path().join("v.json").to_string_lossy()]);
    assert_eq!(json.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(out.path().join("v.json")).unwrap()).unwrap();
    assert_eq!(sheet.height() - 1, doc["findings"].as_array().unwrap().len(), "one row per finding");
    let summary = book.worksheet_range("部別集計").unwrap();
    let kensetsu = summary.rows().find(|r| r[0].to_string() == "都市建設部").unwrap();
    assert_eq!(kensetsu[2], calamine::Data::Float(10.0), "10 item sheets");
}

#[test]
fn same_inputs_same_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [&a, &b] {
        gyokaku(&["validate", &sample_inputs(), "--report", &dir.path().to_string_lossy(), "--json", &dir.path().join("v.json").to_string_lossy()]);
    }
    for name in ["validation.html", "差し戻し一覧.xlsx", "v.json"] {
        assert_eq!(std::fs::read(a.path().join(name)).unwrap(), std::fs::read(b.path().join(name)).unwrap(), "{name}");
    }
}

#[test]
fn plan_toml_is_read_strictly_and_names_the_line_and_the_nearest_key() {
    let sample = std::fs::read_to_string(Path::new(&sample_inputs()).join("plan.toml")).unwrap();
    let cases = [
        // [[department]] for [[departments]]: 総務部's items must not be filed under another 部.
        (sample.replacen("[[departments]]", "[[department]]", 1), "[[department]] は使えません。[[departments]] のことですか"),
        (sample.replacen("booklet = ", "bookelt = ", 1), "bookelt は使えません。booklet のことですか"),
        (format!("{sample}\n[nonsense]\nx = 1\n"), "[nonsense] は使えません"),
    ];
    for (text, says) in cases {
        let inputs = Inputs::new();
        std::fs::write(inputs.path().join("plan.toml"), &text).unwrap();
        let out = tempfile::tempdir().unwrap();
        let run = gyokaku(&["validate", &inputs.path().to_string_lossy(), "--report", &out.path().to_string_lossy()]);
        assert_eq!(run.status.code(), Some(2), "{says}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(says) && stderr.contains("行目") && stderr.contains("plan.toml"), "{says}: {stderr}");
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written for a plan that cannot be read");
    }
}

#[test]
fn init_makes_a_plan_folder_that_reads_and_never_overwrites_one() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("新しいプラン");
    let made = gyokaku(&["init", &plan.to_string_lossy()]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(plan.join("submissions").is_dir() && plan.join("progress").is_dir() && plan.join("はじめに.txt").is_file());
    let text = std::fs::read_to_string(plan.join("plan.toml")).unwrap();
    // Every key line carries a comment, or sits under a commented table.
    assert!(text.lines().filter(|l| l.starts_with('#')).count() > 20);
    let config = gyokaku::config::PlanConfig::load(&plan.join("plan.toml")).unwrap();
    assert_eq!(config.years.len(), 3);
    assert!(!config.forms.submit_to.is_empty());
    let out = tempfile::tempdir().unwrap();
    let validate = gyokaku(&["validate", &plan.to_string_lossy(), "--report", &out.path().to_string_lossy()]);
    assert!(validate.status.code().unwrap() < 2, "{}", String::from_utf8_lossy(&validate.stderr));
    // The forms say where to send them, never an internal folder.
    let forms = gyokaku(&["forms", "--proposal", &plan.to_string_lossy(), "-o", &out.path().join("様式").to_string_lossy()]);
    assert!(forms.status.success());
    let form = std::fs::read_dir(out.path().join("様式")).unwrap().next().unwrap().unwrap().path();
    let mut book = calamine::open_workbook_auto(&form).unwrap();
    let guide = book.worksheet_range("記入要領").unwrap();
    let words: String = guide.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(words.contains(&config.forms.submit_to) && !words.contains("submissions/"), "{words}");
    // A second init leaves the folder as it is.
    std::fs::write(plan.join("plan.toml"), "# 市の設定\n").unwrap();
    let again = gyokaku(&["init", &plan.to_string_lossy()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("すでにあります"));
    assert_eq!(std::fs::read_to_string(plan.join("plan.toml")).unwrap(), "# 市の設定\n");
}

#[test]
fn the_clerk_reads_japanese() {
    let help = gyokaku(&["--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("使い方") && text.contains("コマンド") && text.contains("この説明を表示します"), "{text}");
    assert!(!text.contains("Usage") && !text.contains("Print help"), "{text}");
    let build_help = String::from_utf8_lossy(&gyokaku(&["build", "--help"]).stdout).into_owned();
    assert!(build_help.contains("配布用") && build_help.contains("オプション") && !build_help.contains("Options:"), "{build_help}");
    let out = tempfile::tempdir().unwrap();
    let run = gyokaku(&["validate", &sample_inputs(), "--report", &out.path().to_string_lossy()]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("ファイル 10 件・個票 91 件: エラー") && stdout.contains("作成: "), "{stdout}");
    assert!(!stdout.contains("wrote ") && !stdout.contains(" files, "), "{stdout}");
    let missing = gyokaku(&["validate", "/no/such/folder"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("入力フォルダが見つかりません"));
}
