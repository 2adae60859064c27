//! Bad input never crashes and never loses data: each bad file or sheet is one
//! finding naming it, every other workbook is still read, inputs untouched.

mod common;

use common::{Inputs, add_item_sheet, simple_workbook};
use rust_xlsxwriter::{Formula, Workbook};
use std::path::Path;

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// One good workbook beside the bad one: the good one must still be read.
fn with_good_neighbour(inputs: &Inputs) {
    simple_workbook(&inputs.submission("02_都市建設部.xlsx"), "ドローンの配備", None);
}

fn codes_for(run: &gyokaku::pipeline::Run, file: &str) -> Vec<(String, String)> {
    run.findings.iter().filter(|f| f.file == file).map(|f| (f.code.to_string(), f.place())).collect()
}

#[test]
fn corrupt_file_is_one_finding() {
    let inputs = Inputs::new();
    with_good_neighbour(&inputs);
    std::fs::write(inputs.submission("01_総務部.xlsx"), b"PK\x03\x04 this is not really a zip").unwrap();
    let run = inputs.run();
    assert_eq!(codes_for(&run, "01_総務部.xlsx"), [("R001".to_string(), "01_総務部.xlsx".to_string())]);
    assert_eq!(run.items.len(), 1);
    assert_eq!(run.items[0].title, "ドローンの配備");
}

#[test]
fn password_protected_file_is_one_finding() {
    let inputs = Inputs::new();
    with_good_neighbour(&inputs);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/password_protected.xlsx");
    std::fs::copy(&fixture, inputs.submission("01_総務部.xlsx")).unwrap();
    let run = inputs.run();
    let found = codes_for(&run, "01_総務部.xlsx");
    assert_eq!(found, [("R002".to_string(), "01_総務部.xlsx".to_string())]);
    assert!(run.findings.iter().find(|f| f.code == "R002").unwrap().message.contains("パスワード"));
    assert_eq!(run.items.len(), 1);
}

#[test]
fn empty_workbook_and_empty_file() {
    let inputs = Inputs::new();
    with_good_neighbour(&inputs);
    Workbook::new().save(inputs.submission("01_総務部.xlsx")).unwrap();
    std::fs::write(inputs.submission("03_空.xlsx"), b"").unwrap();
    let run = inputs.run();
    assert_eq!(codes_for(&run, "01_総務部.xlsx"), [("R003".to_string(), "01_総務部.xlsx".to_string())]);
    assert_eq!(codes_for(&run, "03_空.xlsx"), [("R001".to_string(), "03_空.xlsx".to_string())]);
    assert_eq!(run.items.len(), 1);
}

#[test]
fn sheet_in_unknown_layout_is_one_finding_and_the_rest_is_read() {
    let inputs = Inputs::new();
    let mut book = Workbook::new();
    let memo = book.add_worksheet();
    memo.set_name("メモ").unwrap();
    memo.write(0, 0, "課内での検討メモ").unwrap();
    memo.write(1, 1, "来年度に再検討").unwrap();
    add_item_sheet(&mut book, "出退勤管理の電子化");
    book.save(inputs.submission("01_総務部.xlsx")).unwrap();
    let run = inputs.run();
    let unknown: Vec<String> = run.findings.iter().filter(|f| f.code == "R004").map(|f| f.place()).collect();
    assert_eq!(unknown, ["01_総務部.xlsx › メモ"]);
    assert_eq!(run.items.len(), 1);
}

#[test]
fn cell_beyond_excels_limit_is_reported_and_kept_whole() {
    let inputs = Inputs::new();
    with_good_neighbour(&inputs);
    // rust_xlsxwriter refuses to write such a cell, as Excel would; other tools
    // do write them, so patch the shared string in the saved file.
    let path = inputs.submission("01_総務部.xlsx");
    simple_workbook(&path, "出退勤管理の電子化", None);
    let long = "あ".repeat(40_000);
    patch_shared_string(&path, "紙で管理している。", &long);
    let run = inputs.run();
    let too_long: Vec<String> = run.findings.iter().filter(|f| f.code == "R006").map(|f| f.place()).collect();
    assert_eq!(too_long, ["01_総務部.xlsx › 1 › C9"]);
    let it = run.items.iter().find(|i| i.department == "総務部").unwrap();
    assert_eq!(it.situation.chars().count(), 40_000, "nothing is lost");
    assert_eq!(run.items.len(), 2);
}

#[test]
fn formula_error_is_one_finding() {
    let inputs = Inputs::new();
    let mut book = Workbook::new();
    let ws = add_item_sheet(&mut book, "出退勤管理の電子化");
    // 業務量削減目標値 R6 is row 17 (index 16), column C.
    ws.write_formula(16, 2, Formula::new("=100/0").set_result("#DIV/0!")).unwrap();
    book.save(inputs.submission("01_総務部.xlsx")).unwrap();
    let run = inputs.run();
    let errors: Vec<(String, String)> =
        run.findings.iter().filter(|f| f.code == "R007").map(|f| (f.place(), f.message.clone())).collect();
    assert_eq!(errors.len(), 1, "{:?}", run.findings);
    assert_eq!(errors[0].0, "01_総務部.xlsx › 1 › C17");
    assert!(errors[0].1.contains("#DIV/0!"));
    assert_eq!(run.items.len(), 1);
}

#[test]
fn other_files_are_noted_not_read_and_inputs_are_never_modified() {
    let inputs = Inputs::new();
    simple_workbook(&inputs.submission("01_総務部.xlsx"), "出退勤管理の電子化", None);
    std::fs::write(inputs.submission("説明.docx"), b"not a workbook").unwrap();
    std::fs::write(inputs.submission("~$01_総務部.xlsx"), b"lock").unwrap();
    let before: Vec<Vec<u8>> = ["01_総務部.xlsx", "説明.docx", "~$01_総務部.xlsx"].iter().map(|n| sha(&inputs.submission(n))).collect();
    let run = inputs.run();
    let after: Vec<Vec<u8>> = ["01_総務部.xlsx", "説明.docx", "~$01_総務部.xlsx"].iter().map(|n| sha(&inputs.submission(n))).collect();
    assert_eq!(before, after);
    let noted: Vec<String> = run.findings.iter().filter(|f| f.code == "R009").map(|f| f.file.clone()).collect();
    assert_eq!(noted, ["説明.docx"]);
    // Excel's lock file: one line for the folder, no finding of its own.
    let locks: Vec<&gyokaku::findings::Finding> = run.findings.iter().filter(|f| f.code == "R017").collect();
    assert_eq!(locks.len(), 1);
    assert!(locks[0].message.contains("~$01_総務部.xlsx") && locks[0].department.is_empty());
    assert!(!run.findings.iter().any(|f| f.file.starts_with("~$")));
    assert_eq!(run.items.len(), 1);
}

/// Replaces one shared string inside a saved .xlsx (a zip), keeping the rest.
fn patch_shared_string(path: &Path, from: &str, to: &str) {
    let bytes = std::fs::read(path).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut content).unwrap();
        if name == "xl/sharedStrings.xml" {
            content = String::from_utf8(content).unwrap().replace(from, to).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut out, &content).unwrap();
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}
