//! The plan period's 最終評価 on the sample with a third example round
//! (R8) made by the sample generator: judgements and counts against sums
//! the test computes from the model, the PDF and the workbook.

mod common;

use common::copy_dir;
use calamine::{Reader, Xlsx, open_workbook};
use gyokaku::commands::report::final_evaluation;
use gyokaku::model::Item;
use std::path::{Path, PathBuf};

#[path = "../examples/make_sample_progress.rs"]
#[allow(dead_code)]
mod sample_round;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")
}

/// The sample inputs with rounds R6, R7 and a generated R8.
fn three_rounds() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(sample_dir().join("plan.toml"), dir.path().join("plan.toml")).unwrap();
    copy_dir(&sample_dir().join("submissions"), &dir.path().join("submissions"));
    for year in ["R6", "R7"] {
        copy_dir(&sample_dir().join("progress").join(year), &dir.path().join("progress").join(year));
    }
    sample_round::make(&sample_dir(), "R8", &dir.path().join("progress/R8")).unwrap();
    dir
}

const YEARS: [&str; 3] = ["R6", "R7", "R8"];

/// The judgement, computed here from the model by the stated rules: for
/// every kind with a numeric target (a year other than zero), every such
/// year needs a numeric result (else 実績不足), and the three years' results
/// must reach the three years' target (a negative target a ceiling: the
/// same comparison); 要確認 when the figures say 達成 and every year is
/// graded C or D, or say 未達成 and every year is graded A or B.
fn verdict(item: &Item) -> &'static str {
    let mut judged = Vec::new();
    let mut incomplete = false;
    for fiscal in [false, true] {
        let targets = if fiscal { &item.fiscal_target } else { &item.workload_target };
        let result_of = |y: &str| item.results.get(y).and_then(|r| if fiscal { r.fiscal_result.value } else { r.workload_result.value });
        let covered: Vec<&str> = YEARS.iter().copied().filter(|y| targets.get(*y).and_then(|a| a.value).is_some_and(|v| v != 0.0)).collect();
        if covered.is_empty() {
            continue;
        }
        incomplete |= covered.iter().any(|y| result_of(y).is_none());
        let target: f64 = YEARS.iter().filter_map(|y| targets.get(*y).and_then(|a| a.value)).sum();
        let result: f64 = YEARS.iter().filter_map(|y| result_of(y)).sum();
        judged.push(result >= target);
    }
    let grades: Vec<&str> = YEARS.iter().map(|y| item.results.get(*y).map(|r| r.evaluation.as_str()).unwrap_or("")).collect();
    let all_in = |set: &[&str]| grades.iter().all(|g| set.contains(g));
    if judged.is_empty() {
        "数値目標なし"
    } else if incomplete {
        "実績不足"
    } else if judged.iter().all(|a| *a) {
        if all_in(&["C", "D"]) { "要確認" } else { "達成" }
    } else if all_in(&["A", "B"]) {
        "要確認"
    } else {
        "未達成"
    }
}

#[test]
fn final_evaluation_counts_and_judgements_follow_the_model() {
    let input = three_rounds();
    let out = tempfile::tempdir().unwrap();
    let outcome = final_evaluation(input.path(), out.path(), None, &[]).unwrap();
    let (run, data) = (&outcome.run, &outcome.data);
    assert_eq!(run.rounds.iter().map(|r| r.year.as_str()).collect::<Vec<_>>(), YEARS);
    assert!(data.sample, "example rounds");
    assert_eq!(data.date, "2027-06-30", "dated by the last round");

    let verdicts: Vec<&str> = run.items.iter().map(verdict).collect();
    let count = |v: &str| verdicts.iter().filter(|x| **x == v).count() as u32;
    let t = &data.total;
    assert_eq!(
        (t.achieved, t.not_achieved, t.review, t.incomplete, t.no_target),
        (count("達成"), count("未達成"), count("要確認"), count("実績不足"), count("数値目標なし"))
    );
    assert!(t.achieved > 0 && t.not_achieved > 0 && t.incomplete > 0, "the sample has each: {t:?}");
    for (item, line) in run.items.iter().zip(&data.items) {
        assert_eq!(line.number, item.number);
        assert_eq!(line.verdict, verdict(item), "item {}", item.number);
    }
    // 未提出 is never 達成.
    for (item, line) in run.items.iter().zip(&data.items) {
        if line.grades.iter().any(|g| g == "未提出") && line.verdict == "達成" {
            panic!("item {} is 未提出 in a year and 達成", item.number);
        }
    }
    // Per 部: the same judgement, counted by department.
    for group in &data.by_department {
        let members: Vec<&Item> = run.items.iter().filter(|i| format!("{}{}", i.department_code, i.department) == group.name).collect();
        assert_eq!(group.items as usize, members.len());
        assert_eq!(group.achieved as usize, members.iter().filter(|i| verdict(i) == "達成").count(), "{}", group.name);
        assert_eq!(group.not_achieved as usize, members.iter().filter(|i| verdict(i) == "未達成").count(), "{}", group.name);
        let hours: f64 = members.iter().flat_map(|i| YEARS.iter().filter_map(|y| i.results.get(*y).and_then(|r| r.workload_result.value))).sum();
        assert!((group.workload_result - hours).abs() < 1e-6, "{}", group.name);
    }
    assert_eq!(data.by_daibunrui.iter().map(|g| g.achieved).sum::<u32>(), data.total.achieved);

    // Carried into the 後期 plan: not achieved, last grade C or D, or no
    // grade on the scale in R8 (the item 未提出 in R7 and R8 among them).
    let carried: Vec<u32> = run
        .items
        .iter()
        .filter(|i| {
            let last = i.results.get("R8").map(|r| r.evaluation.as_str()).unwrap_or("");
            ["未達成", "要確認", "実績不足"].contains(&verdict(i)) || !["A", "B"].contains(&last)
        })
        .map(|i| i.number)
        .collect();
    assert_eq!(data.carried.iter().map(|c| c.number).collect::<Vec<_>>(), carried);
    assert_eq!(data.total.carried as usize, carried.len());
    let never = run.items.iter().find(|i| !i.results.contains_key("R7") && !i.results.contains_key("R8")).unwrap();
    let line = data.carried.iter().find(|c| c.number == never.number).expect("未提出 items are carried");
    assert!(line.carry_reasons.iter().any(|r| r.contains("未提出")), "{:?}", line.carry_reasons);
    // 成果指標 up to the last year: R8 is not measured in the sample.
    assert_eq!(data.indicators[0].values, ["7.4", "7.9", ""]);

    // The PDF: counts and the carried items, dated by the last round.
    let pdf = &outcome.files.iter().find(|f| f.kind == "final_evaluation_pdf").unwrap();
    assert!(pdf.pages.unwrap() >= 4);
    let typesetter = gyokaku::typeset::Typesetter::new(
        gyokaku::typeset::fonts::FontSet::load(&[]).unwrap(),
        gyokaku::typeset::templates::Templates::load(None).unwrap(),
        "2023-08-31",
    )
    .unwrap();
    let compiled = typesetter.compile("final_evaluation.typ", data).unwrap();
    let text = gyokaku::typeset::page_texts(&compiled.document).concat().replace('\n', "");
    assert!(text.contains(&format!("達成は {} 項目、未達成は {} 項目", data.total.achieved, data.total.not_achieved)), "{text}");
    assert!(text.contains("令和9(2027)年6月30日"));
    assert!(text.contains("後期プランへの継続を提案する項目") && text.contains(&never.title));

    // The workbook: one row per item on 項目別, the 判定 column as the model says.
    let mut book: Xlsx<_> = open_workbook(out.path().join(&outcome.files.iter().find(|f| f.kind == "final_evaluation_xlsx").unwrap().path)).unwrap();
    let sheet = book.worksheet_range("項目別").unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = header.iter().position(|h| h == "判定").unwrap();
    let rows: Vec<_> = sheet.rows().skip(1).collect();
    assert_eq!(rows.len(), run.items.len());
    let achieved_cells = rows.iter().filter(|r| r[col].to_string() == "達成").count() as u32;
    assert_eq!(achieved_cells, data.total.achieved);
    assert_eq!(rows[0][0], calamine::Data::Float(1.0));
    assert_eq!(book.worksheet_range("後期への継続").unwrap().rows().count() - 1, carried.len());
}

#[test]
fn final_evaluation_needs_the_last_years_round() {
    let out = tempfile::tempdir().unwrap();
    let error = final_evaluation(&sample_dir(), out.path(), None, &[]).err().expect("the sample has no R8 round");
    let message = error.to_string();
    assert!(message.contains("R8") && message.contains("読んだ年度: R6、R7"), "{message}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written");
}
