//! The reader on workbooks in the drifted layouts real files have, built here
//! with rust_xlsxwriter: values must come out the same as from the plain form.

mod common;

use common::{Inputs, item_rows, simple_workbook, write_rows};
use rust_xlsxwriter::{Format, Workbook};

#[test]
fn plain_form_reads_every_field() {
    let inputs = Inputs::new();
    simple_workbook(&inputs.submission("01_総務部.xlsx"), "出退勤管理の電子化", Some(&[("1", "出退勤管理の電子化")]));
    let run = inputs.run();
    assert_eq!(run.items.len(), 1);
    let it = &run.items[0];
    assert_eq!(it.title, "出退勤管理の電子化");
    assert_eq!(it.department, "総務部");
    assert_eq!(it.priority, Some(1));
    assert_eq!(it.plan_rows.len(), 2);
    assert_eq!(it.plan_rows[1].years["R7"], "導入");
    assert_eq!(it.plan_rows[1].note, "予算次第");
    assert_eq!(it.workload_target["R6"].value, Some(-100.0));
    assert_eq!(it.fiscal_target["R8"].value, Some(1500.0));
    assert_eq!(it.fiscal_target["R7"].note, "運用コスト");
    assert_eq!(it.source.cells["title"], "C4");
    assert!(run.findings.iter().all(|f| f.code != "V201" && f.code != "V202" && f.code != "R010"), "{:?}", run.findings);
}

/// Moved rows, extra blank rows, stray spaces, half-width brackets, merged
/// cells, numbers typed as text and as numbers, full-width digits, a
/// different starting cell, a 記入例 sheet and a hidden helper sheet.
#[test]
fn drifted_form_reads_the_same_values() {
    let inputs = Inputs::new();
    let mut rows = item_rows("現場 タブレットの配備");
    // Moved: 関係部署 after 参考事例等.
    let related = rows.remove(4);
    rows.insert(7, related);
    // Stray spaces and half-width brackets in labels.
    rows[0][0] = " 取組項目名　".into();
    rows[1][0] = "大　分　類".into();
    rows[13][0] = "業務量削減目標値(時間)".into();
    rows[14][0] = "財政効果目標額 (千円)".into();
    // Full-width digits and a year header without 計画.
    rows[13][2] = "２００".into();
    rows[9][1] = "令和６年度".into();
    // Extra blank rows: insert two empty rows in the middle.
    let blank = || [String::new(), String::new(), String::new(), String::new(), String::new()];
    rows.insert(5, blank());
    rows.insert(13, blank());

    let mut book = Workbook::new();
    let example = book.add_worksheet();
    example.set_name("記入例").unwrap();
    write_rows(example, &item_rows("（例）窓口のオンライン化"), 0, 1);
    let ws = book.add_worksheet();
    ws.set_name("3").unwrap();
    // Starts lower and one column to the right; section column merged; values merged across.
    write_rows(ws, &rows, 6, 2);
    let merged = Format::new();
    ws.merge_range(6, 1, 14, 1, "概要", &merged).unwrap();
    ws.merge_range(9, 3, 9, 6, "紙で管理している。", &merged).unwrap();
    // Numbers typed as numbers.
    ws.write_number(6 + 19, 5, 300.0).unwrap(); // 業務量 R8 (row shifted by the two blanks)
    let helper = book.add_worksheet();
    helper.set_name("リスト").unwrap();
    helper.write(0, 0, "業務の効率化").unwrap();
    helper.set_hidden(true);
    book.save(inputs.submission("07_都市建設部.xlsx")).unwrap();

    let run = inputs.run();
    assert_eq!(run.items.len(), 1, "only the real sheet is an item: {:?}", run.findings);
    let it = &run.items[0];
    assert_eq!(it.title, "現場 タブレットの配備");
    assert_eq!(it.department, "都市建設部");
    assert_eq!(it.daibunrui, "情報・デジタル化の改革");
    assert_eq!(it.related_sections, ["庁内各課"]);
    assert_eq!(it.situation, "紙で管理している。");
    assert_eq!(it.workload_target["R6"].value, Some(-100.0));
    assert_eq!(it.workload_target["R7"].value, Some(200.0));
    assert_eq!(it.workload_target["R7"].raw, "２００");
    assert_eq!(it.workload_target["R8"].value, Some(300.0));
    assert_eq!(it.fiscal_target["R8"].value, Some(1500.0));
    assert_eq!(it.plan_rows.len(), 2);
    assert_eq!(it.source.sheet, "3");
    assert_eq!(it.source.cells["title"], "D7");
    let mut skipped: Vec<String> = run.findings.iter().filter(|f| f.code == "R005").map(|f| f.place()).collect();
    skipped.sort();
    assert_eq!(skipped, ["07_都市建設部.xlsx › リスト", "07_都市建設部.xlsx › 記入例"]);
    assert!(run.findings.iter().all(|f| f.code != "R010" && f.code != "R004"), "{:?}", run.findings);
}

#[test]
fn title_typo_between_list_and_sheet_is_matched_and_reported() {
    let inputs = Inputs::new();
    simple_workbook(&inputs.submission("01_総務部.xlsx"), "入札参加資格申請のオンライン化", Some(&[("1", "入り参加資格申請のオンライン化")]));
    let run = inputs.run();
    assert_eq!(run.items[0].priority, Some(1));
    let v201: Vec<String> = run.findings.iter().filter(|f| f.code == "V201").map(|f| f.place()).collect();
    assert_eq!(v201, ["01_総務部.xlsx › 一覧 › B2"]);
    assert!(run.findings.iter().all(|f| f.code != "V202" && f.code != "V203"));
}

#[test]
fn list_row_without_sheet_and_sheet_without_row() {
    let inputs = Inputs::new();
    simple_workbook(&inputs.submission("01_総務部.xlsx"), "会議のオンライン化", Some(&[("1", "公用車の削減")]));
    let run = inputs.run();
    let codes: Vec<(&str, String)> = run.findings.iter().map(|f| (f.code, f.place())).collect();
    assert!(codes.contains(&("V203", "01_総務部.xlsx › 一覧 › B2".to_string())), "{codes:?}");
    assert!(codes.contains(&("V202", "01_総務部.xlsx › 1 › C4".to_string())), "{codes:?}");
}

#[test]
fn renamed_file_is_attributed_by_its_sections() {
    let inputs = Inputs::new();
    simple_workbook(&inputs.submission("提出_最終版.xlsx"), "出退勤管理の電子化", None);
    let run = inputs.run();
    assert_eq!(run.items[0].department, "総務部");
    assert!(run.findings.iter().all(|f| f.code != "R012"));
}
