//! The figures the council reads: signs as the form says, decisions the
//! office records, 達成 only with results, rates that mean something and
//! totals that say what they leave out.

mod common;

use common::{Inputs, Typed, fill_proposal_form};
use gyokaku::commands::decide::{self, Request};
use gyokaku::config::PlanConfig;
use gyokaku::decisions::Choice;
use gyokaku::documents::final_evaluation::FinalEvaluationData;
use gyokaku::documents::progress_report::ProgressReportData;
use gyokaku::documents::summary::SummaryData;
use gyokaku::model::{Amount, Item, YearResult};
use gyokaku::proposal::forms::proposal_forms;
use rust_xlsxwriter::Workbook;
use std::path::Path;

fn config(inputs: &Inputs) -> PlanConfig {
    PlanConfig::load(&inputs.path().join("plan.toml")).unwrap()
}

/// 総務部's proposal form with one item whose 財政効果 is △500 every year:
/// a cost, as the form's 記入要領 says (e-book licences).
fn tool_form_with_costs(inputs: &Inputs) -> Vec<u8> {
    let form = &proposal_forms(&[], &config(inputs)).unwrap()[0];
    let cost = Typed::Text("△500");
    let hours = Typed::Number(100.0);
    fill_proposal_form(
        &form.bytes,
        "電子書籍の導入",
        &[
            ("業務量削減目標値（時間）", 'C', hours),
            ("業務量削減目標値（時間）", 'D', hours),
            ("業務量削減目標値（時間）", 'E', hours),
            ("財政効果目標額（千円）", 'C', cost),
            ("財政効果目標額（千円）", 'D', cost),
            ("財政効果目標額（千円）", 'E', cost),
        ],
    )
}

/// A seed-layout workbook (no 記入要領) of 総務部 whose one item writes
/// every hours target with △.
fn seed_layout_with_triangles(path: &Path, hours: [&str; 3]) {
    let mut book = Workbook::new();
    let ws = common::add_item_sheet(&mut book, "会議録作成支援システムの活用");
    // Row 17 (0-based 16) is 業務量削減目標値（時間）in item_rows at row 3.
    for (k, v) in hours.iter().enumerate() {
        ws.write(16, 2 + k as u16, *v).unwrap();
    }
    book.save(path).unwrap();
}

fn result(hours: Option<f64>, fiscal: Option<f64>, grade: &str) -> YearResult {
    let amount = |v: Option<f64>| Amount { value: v, note: String::new(), raw: v.map(|v| v.to_string()).unwrap_or_default(), number_cell: true };
    YearResult { workload_result: amount(hours), fiscal_result: amount(fiscal), evaluation: grade.into(), ..Default::default() }
}

fn target(values: [f64; 3]) -> std::collections::BTreeMap<String, Amount> {
    ["R6", "R7", "R8"]
        .iter()
        .zip(values)
        .filter(|(_, v)| *v != 0.0)
        .map(|(y, v)| (y.to_string(), Amount { value: Some(v), note: String::new(), raw: v.to_string(), number_cell: true }))
        .collect()
}

fn item(number: u32, workload: [f64; 3], fiscal: [f64; 3]) -> Item {
    Item {
        number,
        title: format!("取組{number}"),
        department: "総務部".into(),
        department_code: "01".into(),
        daibunrui: "情報・デジタル化の改革".into(),
        shobunrui: "業務の効率化".into(),
        workload_target: target(workload),
        fiscal_target: target(fiscal),
        ..Default::default()
    }
}

#[test]
fn a_cost_row_in_a_tool_form_stays_a_cost_through_totals_and_the_final_evaluation() {
    let inputs = Inputs::new();
    std::fs::write(inputs.submission("01_総務部_素案提出様式.xlsx"), tool_form_with_costs(&inputs)).unwrap();
    let run = inputs.run();
    assert!(run.findings.iter().all(|f| f.code != "N103" && f.code != "N104"), "{:#?}", run.findings);
    let read = &run.items[0];
    assert_eq!(read.fiscal_target["R6"].value, Some(-500.0), "the form says △ is a cost");
    let summary = SummaryData::new(&run.items, &config(&inputs));
    assert_eq!(summary.totals.fiscal, -1500.0);
    assert_eq!(summary.totals.workload, 300.0);
    assert_eq!(summary.totals.signs_unconfirmed, 0);

    // The cost is a ceiling: △400 a year spent against △500 is 達成; a
    // year spending △700 more than the ceilings allow is not.
    let mut item = run.items[0].clone();
    for (y, grade) in [("R6", "B"), ("R7", "B"), ("R8", "A")] {
        item.results.insert(y.into(), result(Some(100.0), Some(-400.0), grade));
    }
    let data = FinalEvaluationData::new(std::slice::from_ref(&item), &config(&inputs), false);
    assert_eq!(data.items[0].verdict, "達成");
    assert_eq!(data.total.fiscal_result, -1200.0);
    item.results.insert("R8".into(), result(Some(100.0), Some(-800.0), "C"));
    let data = FinalEvaluationData::new(std::slice::from_ref(&item), &config(&inputs), false);
    assert_eq!(data.items[0].verdict, "未達成", "△1,600 spent against a ceiling of △1,500");
}

#[test]
fn a_seed_layout_row_of_triangles_is_a_warning_taken_as_written_until_decided() {
    let inputs = Inputs::new();
    let file = inputs.submission("01_総務部.xlsx");
    seed_layout_with_triangles(&file, ["△ 644", "△ 708", "△ 779"]);
    let run = inputs.run();
    let n103 = run.findings.iter().find(|f| f.code == "N103").expect("N103");
    assert_eq!(n103.severity, gyokaku::findings::Severity::Warning);
    assert!(n103.message.contains("合計 △2,131時間") && n103.message.contains("合計 2,131時間"), "both readings: {}", n103.message);
    assert_eq!(run.items[0].workload_target["R6"].value, Some(-644.0), "taken as written");
    assert!(run.items[0].signs_unconfirmed);
    let summary = SummaryData::new(&run.items, &config(&inputs));
    assert_eq!(summary.totals.workload, -2131.0);
    assert_eq!(summary.totals.signs_unconfirmed, 1);

    // Through the final evaluation, as written: a ceiling of △2,131 hours,
    // and △1,800 spent is within it (the 1,500 千円 of R8 reached too).
    let mut spent = run.items[0].clone();
    for (y, hours) in [("R6", -600.0), ("R7", -600.0), ("R8", -600.0)] {
        spent.results.insert(y.into(), result(Some(hours), Some(500.0), "B"));
    }
    let data = FinalEvaluationData::new(std::slice::from_ref(&spent), &config(&inputs), false);
    assert_eq!((data.items[0].verdict.as_str(), data.total.workload_target), ("達成", -2131.0));

    // The office decides the △ means reductions.
    let place = n103.place();
    let request = Request {
        code: "N103".into(),
        place: place.clone(),
        choice: Choice::Reduction,
        reason: "会議録作成の時間の削減".into(),
        by: "行政経営課".into(),
        date: Some("2026-12-06".into()),
    };
    decide::run(inputs.path(), &request).unwrap();
    let recorded = std::fs::read_to_string(inputs.path().join("decisions.toml")).unwrap();
    assert!(recorded.contains("choice = \"reduction\"") && recorded.contains("2026-12-06") && recorded.contains("△ 644"), "{recorded}");
    let run = inputs.run();
    assert!(run.findings.iter().all(|f| f.code != "N103"), "decided: out of the findings");
    assert_eq!(run.decided.len(), 1);
    assert_eq!(run.decided[0].decision.reason, "会議録作成の時間の削減");
    assert_eq!(run.items[0].workload_target["R6"].value, Some(644.0), "read as reductions");
    assert!(!run.items[0].signs_unconfirmed);
    let summary = SummaryData::new(&run.items, &config(&inputs));
    assert_eq!(summary.totals.workload, 2131.0);
    // Now a saving of 2,131 hours to reach: 2,100 saved falls short.
    let mut saved = run.items[0].clone();
    for (y, grade) in [("R6", "B"), ("R7", "B"), ("R8", "C")] {
        saved.results.insert(y.into(), result(Some(700.0), Some(500.0), grade));
    }
    let data = FinalEvaluationData::new(std::slice::from_ref(&saved), &config(&inputs), false);
    assert_eq!((data.items[0].verdict.as_str(), data.total.workload_target), ("未達成", 2131.0));
    // The validation report lists it as 確認済 with its reason.
    let html = gyokaku::validation_report::html::render(&run, &config(&inputs), None).unwrap();
    assert!(html.contains("確認済（事務局の判断）") && html.contains("会議録作成の時間の削減"));
    let workbook = gyokaku::validation_report::xlsx::render(&run, &config(&inputs)).unwrap();
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(workbook)).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("確認済").unwrap();
    assert_eq!(sheet.get_value((1, 5)).unwrap().to_string(), "会議録作成の時間の削減");

    // The department changes the cell: the decision no longer holds.
    seed_layout_with_triangles(&file, ["△ 700", "△ 708", "△ 779"]);
    let run = inputs.run();
    assert!(run.decided.is_empty());
    assert!(run.findings.iter().any(|f| f.code == "N103"), "the finding is back");
    let stale = run.findings.iter().find(|f| f.code == "D501").expect("stale decision reported");
    assert!(stale.message.contains("△ 644") && stale.message.contains("△ 700"), "{}", stale.message);
    assert_eq!(run.items[0].workload_target["R6"].value, Some(-700.0), "as written again");

    // Fixed by the department (plain numbers): the decision answers nothing.
    seed_layout_with_triangles(&file, ["644", "708", "779"]);
    let run = inputs.run();
    assert!(run.findings.iter().any(|f| f.code == "D502"));
    assert!(run.findings.iter().all(|f| f.code != "N103"));
}

#[test]
fn a_decided_error_leaves_the_final_gate_and_a_bad_decisions_file_names_its_line() {
    let inputs = Inputs::new();
    let mut book = Workbook::new();
    let ws = common::add_item_sheet(&mut book, "出退勤管理の電子化");
    ws.write(4, 2, "業務の改善").unwrap(); // 小分類 unknown: N106, an error
    book.save(inputs.submission("01_総務部.xlsx")).unwrap();
    let run = inputs.run();
    let error = run.findings.iter().find(|f| f.code == "N106").expect("N106").clone();
    assert!(run.items[0].has_errors);
    let request = |choice| Request { code: "N106".into(), place: error.place(), choice, reason: "ビジョン改定で追加予定の小分類".into(), by: String::new(), date: Some("2026-12-06".into()) };
    assert!(decide::run(inputs.path(), &request(Choice::Reduction)).is_err(), "reduction is for N103 only");
    decide::run(inputs.path(), &request(Choice::Accept)).unwrap();
    let run = inputs.run();
    assert_eq!(run.count(gyokaku::findings::Severity::Error), 0);
    assert!(!run.items[0].has_errors, "a decided error marks no 要確認");
    // A decision for a place with no such finding is refused, naming what is there.
    let wrong = Request { place: "01_総務部.xlsx › 1 › Z99".into(), ..request(Choice::Accept) };
    let message = decide::run(inputs.path(), &wrong).unwrap_err().to_string();
    assert!(message.contains("Z99") && message.contains("N106"), "{message}");

    std::fs::write(inputs.path().join("decisions.toml"), "[[decisions]]\ncode = \"N103\"\nplace = \"a › b › c\"\nchoise = \"accept\"\n").unwrap();
    let config = config(&inputs);
    let message = gyokaku::pipeline::run(inputs.path(), &config).unwrap_err().to_string();
    assert!(message.contains("decisions.toml") && message.contains("4行目") && message.contains("choise"), "{message}");
}

#[test]
fn missing_years_and_grades_that_disagree_are_never_counted_as_achieved() {
    let inputs = Inputs::new();
    let config = config(&inputs);
    // Item 1: results 0, 0 and none against △40 hours (item 47 of the sample).
    let mut no_last = item(1, [-10.0, -10.0, -20.0], [0.0; 3]);
    no_last.results.insert("R6".into(), result(Some(0.0), None, "D"));
    no_last.results.insert("R7".into(), result(Some(0.0), None, "D"));
    // Item 2: targets reached, yet graded C, C, D.
    let mut low_grades = item(2, [100.0, 100.0, 100.0], [0.0; 3]);
    for (y, g) in [("R6", "C"), ("R7", "C"), ("R8", "D")] {
        low_grades.results.insert(y.into(), result(Some(150.0), None, g));
    }
    // Item 3: short of its target, yet graded A, A, B.
    let mut high_grades = item(3, [100.0, 100.0, 100.0], [0.0; 3]);
    for (y, g) in [("R6", "A"), ("R7", "A"), ("R8", "B")] {
        high_grades.results.insert(y.into(), result(Some(10.0), None, g));
    }
    // Item 4: 未提出 in R7, the rest beyond the target.
    let mut missed = item(4, [0.0; 3], [10.0, 10.0, 10.0]);
    missed.results.insert("R6".into(), result(None, Some(100.0), "A"));
    missed.results.insert("R8".into(), result(None, Some(100.0), "A"));
    let items = [no_last, low_grades, high_grades, missed];
    let data = FinalEvaluationData::new(&items, &config, false);
    let verdicts: Vec<&str> = data.items.iter().map(|i| i.verdict.as_str()).collect();
    assert_eq!(verdicts, ["実績不足", "要確認", "要確認", "実績不足"]);
    assert!(data.items[0].verdict_reasons[0].contains("令和8年度"), "{:?}", data.items[0].verdict_reasons);
    assert_eq!(data.items[3].grades[1], "未提出");
    assert_eq!((data.total.achieved, data.total.not_achieved, data.total.review, data.total.incomplete), (0, 0, 2, 2));
    assert!(data.items.iter().all(|i| i.carry), "none of them is settled");
}

#[test]
fn a_target_too_small_to_measure_gives_no_rate_but_a_note() {
    let inputs = Inputs::new();
    let config = config(&inputs);
    let mut small = item(1, [1.0, 1.0, 0.0], [0.0; 3]);
    small.results.insert("R6".into(), result(Some(32.0), None, "A"));
    small.results.insert("R7".into(), result(Some(32.0), None, "A"));
    let data = ProgressReportData::new(&[small], &config, "R7", false);
    let total = &data.cumulative_total.workload;
    assert_eq!((total.result, total.target), (64.0, 2.0));
    assert_eq!(total.rate, None, "not 3200%");
    assert!(data.rate_notes.iter().any(|n| n.contains("実績 64時間") && n.contains("2時間")), "{:?}", data.rate_notes);
    let json = serde_json::to_string(&data).unwrap();
    assert!(!json.contains("3200"));
}

#[test]
fn the_summary_leaves_questioned_amounts_out_unless_the_office_accepts_them() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(sample.join("plan.toml"), dir.path().join("plan.toml")).unwrap();
    std::os::unix::fs::symlink(sample.join("submissions"), dir.path().join("submissions")).unwrap();
    let config = PlanConfig::load(&dir.path().join("plan.toml")).unwrap();
    let run = gyokaku::pipeline::run(dir.path(), &config).unwrap();
    let questioned: Vec<&Item> = run.items.iter().filter(|i| i.fiscal_doubt).collect();
    assert_eq!(questioned.len(), 2, "the sample's two sales totals (V223)");
    let all: f64 = run.items.iter().map(|i| gyokaku::figures::target_sum(&i.fiscal_target)).sum();
    let left_out: f64 = questioned.iter().map(|i| gyokaku::figures::target_sum(&i.fiscal_target)).sum();
    let summary = SummaryData::new(&run.items, &config);
    assert!((summary.totals.fiscal - (all - left_out)).abs() < 1e-6);
    assert!(summary.totals.fiscal < 1_000_000.0, "not the 億円 of a sales total: {}", summary.totals.fiscal);
    assert_eq!(summary.fiscal_notes.len(), 2);
    assert!(summary.fiscal_notes.iter().all(|n| !n.included && n.text.contains("含めていません")));
    // The 概要版 and the final evaluation count the same items with a numeric target.
    let finals = FinalEvaluationData::new(&run.items, &config, false);
    assert_eq!(summary.totals.quantified, finals.total.items - finals.total.no_target);

    // The office confirms one of them: it counts, and the note says so.
    let v223 = run.findings.iter().find(|f| f.code == "V223").unwrap();
    let request = Request { code: "V223".into(), place: v223.place(), choice: Choice::Accept, reason: "売上ではなく収益増の見込みと確認".into(), by: String::new(), date: Some("2026-12-06".into()) };
    decide::run(dir.path(), &request).unwrap();
    let run = gyokaku::pipeline::run(dir.path(), &config).unwrap();
    let summary = SummaryData::new(&run.items, &config);
    let accepted = run.items.iter().find(|i| i.fiscal_included.is_some()).unwrap();
    let still_out = run.items.iter().find(|i| i.fiscal_doubt).unwrap();
    assert!((summary.totals.fiscal - (all - gyokaku::figures::target_sum(&still_out.fiscal_target))).abs() < 1e-6);
    let note = summary.fiscal_notes.iter().find(|n| n.number == accepted.number).unwrap();
    assert!(note.included && note.text.contains("含めています") && note.text.contains("収益増の見込み"), "{}", note.text);
}
