//! The 素案 proposal forms: written per department from plan.toml, filled
//! the way a department would (values typed into the form's own cells) and
//! read back without a single finding.

mod common;

use calamine::{Reader, Xlsx};
use common::{Inputs, Typed, fill_proposal_form, label_rows, parts, row_of};
use gyokaku::config::PlanConfig;
use gyokaku::proposal::forms::{ProposalForm, SPARE_SHEETS, proposal_forms};
use std::io::Cursor;
use std::process::Command;

fn forms(inputs: &Inputs) -> Vec<ProposalForm> {
    let config = PlanConfig::load(&inputs.path().join("plan.toml")).unwrap();
    proposal_forms(&[], &config).unwrap()
}

#[test]
fn forms_have_instructions_list_and_blank_sheets_with_the_plans_choices() {
    let inputs = Inputs::new();
    let forms = forms(&inputs);
    assert_eq!(forms.iter().map(|f| f.file_name.as_str()).collect::<Vec<_>>(), ["01_総務部_素案提出様式.xlsx", "02_都市建設部_素案提出様式.xlsx"]);
    let form = &forms[0];
    // 人事課 declares one proposal; spares on top.
    assert_eq!(form.sheets, 1 + SPARE_SHEETS);
    let book: Xlsx<_> = Xlsx::new(Cursor::new(form.bytes.clone())).unwrap();
    let names: Vec<String> = book.sheet_names();
    let mut expected = vec!["記入要領".to_string(), "優先順位一覧".to_string()];
    expected.extend((1..=form.sheets).map(|n| n.to_string()));
    assert_eq!(names, expected);

    let parts = parts(&form.bytes);
    let xml = |n: usize| String::from_utf8(parts.iter().find(|(p, _)| *p == format!("xl/worksheets/sheet{n}.xml")).unwrap().1.clone()).unwrap();
    let strings = String::from_utf8(parts.iter().find(|(p, _)| p == "xl/sharedStrings.xml").unwrap().1.clone()).unwrap();
    // The choices come from plan.toml: the taxonomy and the department's 課.
    for name in ["情報・デジタル化の改革", "財政の改革", "業務の効率化", "歳出の適正化", "人事課", "契約課", "令和6年度計画", "令和8年度計画"] {
        assert!(strings.contains(name), "{name}");
    }
    assert!(!strings.contains("土木建設課"), "another department's 課 is not offered");
    // The list's drop-downs point at the choices; priorities are whole numbers.
    let list = xml(2);
    assert!(list.contains("<formula1>'記入要領'!$D$4:$D$5</formula1>"), "大分類");
    assert!(list.contains("<formula1>'記入要領'!$E$4:$E$7</formula1>"), "小分類");
    assert!(list.contains("<formula1>'記入要領'!$G$4:$G$5</formula1>"), "課");
    assert!(list.contains("type=\"whole\""));
    // A 個票: the same drop-downs, and targets accept numbers or △numbers.
    let sheet = xml(3);
    let rows = label_rows(&form.bytes, "1");
    let workload = row_of(&rows, "業務量削減目標値（時間）");
    assert!(sheet.contains(&format!("sqref=\"C{workload}\"><formula1>OR(ISNUMBER(C{workload}),AND(LEFT(C{workload},1)=\"△\"")));
    assert!(sheet.contains(&format!("sqref=\"C{}\"><formula1>'記入要領'!$D$4:$D$5", row_of(&rows, "大分類"))));
    assert!(sheet.contains("<sheetProtection"), "labels are protected");
    assert!(sheet.contains("insertRows=\"0\""), "rows can be inserted");
}

#[test]
fn an_unfilled_form_reads_as_no_items_and_no_layout_findings() {
    let inputs = Inputs::new();
    let form = &forms(&inputs)[0];
    std::fs::write(inputs.submission("01_総務部.xlsx"), &form.bytes).unwrap();
    let run = inputs.run();
    assert!(run.items.is_empty());
    // Only the organisation table's count (1 declared, 0 sent) is left.
    let codes: Vec<&str> = run.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["V209"], "{:?}", run.findings);
}

#[test]
fn a_form_filled_correctly_reads_back_with_zero_findings() {
    let inputs = Inputs::new();
    let form = &forms(&inputs)[0];
    let title = "出退勤管理の電子化";
    let bytes = fill_proposal_form(
        &form.bytes,
        title,
        &[
            ("業務量削減目標値（時間）", 'D', Typed::Number(480.0)),
            ("業務量削減目標値（時間）", 'E', Typed::Number(1920.0)),
            ("財政効果目標額（千円）", 'E', Typed::Number(300.0)),
        ],
    );
    std::fs::write(inputs.submission("01_総務部_素案提出様式.xlsx"), &bytes).unwrap();

    let run = inputs.run();
    assert!(run.findings.is_empty(), "{:#?}", run.findings);
    assert_eq!(run.items.len(), 1);
    let read = &run.items[0];
    assert_eq!(read.title, title);
    assert_eq!(read.department, "総務部");
    assert_eq!(read.priority, Some(1));
    assert_eq!(read.daibunrui, "情報・デジタル化の改革");
    assert_eq!(read.primary_sections, ["人事課"]);
    assert_eq!(read.related_sections, ["契約課"]);
    assert_eq!(read.plan_rows.len(), 1);
    assert_eq!(read.plan_rows[0].label, "システム導入");
    assert_eq!(read.plan_rows[0].years["R7"], "導入");
    assert_eq!(read.workload_target["R8"].value, Some(1920.0));
    assert_eq!(read.fiscal_target["R8"].value, Some(300.0));
    assert!(!read.fiscal_target.contains_key("R6"));
    assert!(read.results.is_empty(), "the 実績 cells say 記入不要, not a result");
}

#[test]
fn forms_command_takes_year_or_proposal() {
    let inputs = Inputs::new();
    let out = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_gyokaku")).args(args).output().unwrap();
    let dir = inputs.path().to_string_lossy().into_owned();
    let o = out.path().to_string_lossy().into_owned();
    let done = run(&["forms", "--proposal", &dir, "-o", &o]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(out.path().join("01_総務部_素案提出様式.xlsx").is_file());
    // Neither, or both: a usage error.
    assert_eq!(run(&["forms", &dir, "-o", &o]).status.code(), Some(2));
    let both = run(&["forms", "--proposal", "--year", "R6", &dir, "-o", &o]);
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
}
