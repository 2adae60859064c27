//! The validator's rules on small workbooks: a clean department workbook
//! raises nothing, and each rule fires on the seed's wording and stays quiet
//! on its near miss.

mod common;

use common::{Inputs, item_rows, write_rows};
use rust_xlsxwriter::Workbook;

/// One department workbook with a list and one sheet, every field right;
/// `edit` changes the sheet's rows.
fn department(edit: impl Fn(&mut Vec<[String; 5]>)) -> Inputs {
    let inputs = Inputs::new();
    let mut rows = item_rows("出退勤管理の電子化");
    set(&mut rows, "業務量削減目標値（時間）", ["100", "200", "300", ""]);
    set(&mut rows, "財政効果目標額（千円）", ["—", "500", "1,500", ""]);
    edit(&mut rows);
    let mut book = Workbook::new();
    let list = book.add_worksheet();
    list.set_name("一覧").unwrap();
    for (c, h) in ["優先順位", "取組項目名", "主たる所管部署", "大分類", "小分類", "備考"].iter().enumerate() {
        list.write(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["1", "出退勤管理の電子化", "人事課", "情報・デジタル化の改革", "業務の効率化"].iter().enumerate() {
        list.write(1, c as u16, *v).unwrap();
    }
    let sheet = book.add_worksheet();
    sheet.set_name("1").unwrap();
    write_rows(sheet, &rows, 3, 1);
    book.save(inputs.submission("01_総務部.xlsx")).unwrap();
    inputs
}

fn set(rows: &mut [[String; 5]], label: &str, values: [&str; 4]) {
    let row = rows.iter_mut().find(|r| r[0] == label).unwrap();
    for (i, v) in values.iter().enumerate() {
        row[i + 1] = v.to_string();
    }
}

fn codes(inputs: &Inputs) -> Vec<String> {
    inputs.run().findings.iter().map(|f| format!("{} {}", f.code, f.place())).collect()
}

#[test]
fn a_clean_department_workbook_has_no_findings() {
    assert_eq!(codes(&department(|_| {})), Vec::<String>::new());
}

#[test]
fn a_number_with_a_note_is_a_finding_and_a_number_with_its_unit_is_not() {
    let found = codes(&department(|rows| set(rows, "財政効果目標額（千円）", ["3,395（千円）※令和2年度実績", "500", "1,500", ""])));
    assert_eq!(found, ["N111 01_総務部.xlsx › 1 › C18"]);
    let found = codes(&department(|rows| set(rows, "業務量削減目標値（時間）", ["△ 24時間（一人当たり）", "200", "300", ""])));
    assert!(found.contains(&"N111 01_総務部.xlsx › 1 › C17".to_string()), "{found:?}");
    // The row's own unit is no note.
    assert_eq!(codes(&department(|rows| set(rows, "財政効果目標額（千円）", ["100千円", "500", "1,500", ""]))), Vec::<String>::new());
}

#[test]
fn undecided_targets_and_dash_lookalikes_are_findings_and_dashes_are_not() {
    let found = codes(&department(|rows| set(rows, "財政効果目標額（千円）", ["未定（システム導入経費）", "(運用コスト)", "1,500", ""])));
    // One finding for the row, at its first such cell, naming both years.
    assert_eq!(found, ["N112 01_総務部.xlsx › 1 › C18"]);
    let run = department(|rows| set(rows, "財政効果目標額（千円）", ["未定（システム導入経費）", "(運用コスト)", "1,500", ""])).run();
    let n112 = run.findings.iter().find(|f| f.code == "N112").unwrap();
    assert!(n112.message.contains("R6「未定（システム導入経費）」") && n112.message.contains("R7「(運用コスト)」"), "{}", n112.message);
    let found = codes(&department(|rows| set(rows, "財政効果目標額（千円）", ["一", "500", "1,500", ""])));
    assert_eq!(found, ["N113 01_総務部.xlsx › 1 › C18"]);
    for dash in ["—", "－", "-"] {
        assert_eq!(codes(&department(|rows| set(rows, "財政効果目標額（千円）", [dash, "500", "1,500", ""]))), Vec::<String>::new(), "{dash}");
    }
}

#[test]
fn a_zero_written_with_a_sign_is_a_finding_and_prints_0() {
    for zero in ["-0", "△0", "▲ 0"] {
        let inputs = department(|rows| set(rows, "財政効果目標額（千円）", [zero, "500", "1,500", ""]));
        let run = inputs.run();
        let found: Vec<String> = run.findings.iter().map(|f| format!("{} {}", f.code, f.place())).collect();
        assert_eq!(found, ["N114 01_総務部.xlsx › 1 › C18"], "{zero}");
        assert!(run.findings[0].message.contains(&format!("「{zero}」")) && run.findings[0].message.contains("0として読みました"));
        assert_eq!(run.items[0].fiscal_target["R6"].value, Some(0.0));
        let config = gyokaku::config::PlanConfig::load(&inputs.path().join("plan.toml")).unwrap();
        let sheet = gyokaku::documents::ItemSheet::new(&run.items[0], &config);
        assert_eq!(sheet.targets[2].cells[0], "0", "{zero}");
    }
    // A plain zero is no finding.
    assert_eq!(codes(&department(|rows| set(rows, "財政効果目標額（千円）", ["0", "500", "1,500", ""]))), Vec::<String>::new());
}

#[test]
fn related_sections_are_checked_and_prose_is_one_error() {
    let found = codes(&department(|rows| set(rows, "関係部署", ["契約課、顕田支所経済建設課", "", "", ""])));
    assert_eq!(found, ["V216 01_総務部.xlsx › 1 › C8"]);
    let found = codes(&department(|rows| {
        set(rows, "関係部署", ["当初は広報所管部署（情報管理課）、事業拡大により議会だより（議会事務局）などの部署にも適用可能。", "", "", ""])
    }));
    // (情報管理課 is not a 課 of this test's organisation: V231 says so.)
    assert_eq!(found, ["V217 01_総務部.xlsx › 1 › C8", "V231 01_総務部.xlsx › 1 › C8"]);
    let found = codes(&department(|rows| set(rows, "関係部署", ["", "", "", ""])));
    assert_eq!(found, ["V218 01_総務部.xlsx › 1 › C8"]);
    // 部 names, collective words and 及び are fine (人事課, the sheet's
    // primary section, is not repeated here: that is V229).
    assert_eq!(codes(&department(|rows| set(rows, "関係部署", ["都市建設部各課、総務部及び契約課", "", "", ""]))), Vec::<String>::new());
}

#[test]
fn missing_plan_and_goals_and_a_number_one_column_off() {
    let found = codes(&department(|rows| set(rows, "各年度目標", ["調査", "導入", "", ""])));
    assert_eq!(found, ["V221 01_総務部.xlsx › 1 › C16"]);
    let found = codes(&department(|rows| set(rows, "各年度目標", ["", "", "", ""])));
    assert_eq!(found, ["V220 01_総務部.xlsx › 1 › C16"]);
    let found = codes(&department(|rows| set(rows, "業務量削減目標値（時間）", ["", "200", "300", "400"])));
    assert_eq!(found, ["V222 01_総務部.xlsx › 1 › C17"]);
    // A remark that explains, beside filled years, is fine.
    assert_eq!(codes(&department(|rows| set(rows, "業務量削減目標値（時間）", ["100", "200", "300", "職員数を50名とした場合"]))), Vec::<String>::new());
    let found = codes(&department(|rows| rows.retain(|r| r[0] != "調査" && r[0] != "導入")));
    assert_eq!(found, ["V219 01_総務部.xlsx › 1 › B13"]);
}

#[test]
fn list_and_sheet_must_agree_on_the_first_primary_section() {
    let found = codes(&department(|rows| set(rows, "主たる所管部署", ["契約課、人事課", "", "", ""])));
    assert!(found.contains(&"V214 01_総務部.xlsx › 一覧 › C2".to_string()), "{found:?}");
}
