//! The figures and marks the council reads: the priority list as the
//! departments' lists wrote it, final evaluation rows kept whole, each
//! department's findings errors first, regenerated forms holding the
//! earlier years only, サンプル only where the forms say they are examples, 未提出
//! where a held round gave nothing and a signed zero read and printed as 0.

mod common;

use common::copy_dir;
use calamine::{Reader, Xlsx, open_workbook};
use gyokaku::config::PlanConfig;
use gyokaku::documents::booklet::{BookletData, ItemSheetsData, PriorityListData};
use gyokaku::documents::final_evaluation::FinalEvaluationData;
use gyokaku::documents::progress_report::ProgressReportData;
use gyokaku::model::Item;
use gyokaku::pipeline::{self, Run};
use gyokaku::progress::forms::{department_forms, filled_forms};
use gyokaku::typeset::fonts::FontSet;
use gyokaku::typeset::templates::Templates;
use gyokaku::typeset::{Typesetter, page_texts};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[path = "../examples/make_sample_progress.rs"]
#[allow(dead_code)]
mod sample_round;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")
}

fn config() -> PlanConfig {
    PlanConfig::load(&sample_dir().join("plan.toml")).unwrap()
}

fn typesetter() -> Typesetter {
    Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), "2023-08-31").unwrap()
}

/// The text of every page, line breaks removed.
fn pages<T: serde::Serialize>(typesetter: &Typesetter, template: &str, data: &T) -> Vec<String> {
    let compiled = typesetter.compile(template, data).unwrap();
    page_texts(&compiled.document).iter().map(|p| p.replace('\n', "")).collect()
}

#[test]
fn the_priority_list_prints_the_departments_list_as_written() {
    let config = config();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let data = PriorityListData::new(&run.items, &config);
    let row = |item: &Item| data.list.iter().find(|r| r.page == item.number).unwrap();
    // The list's title, not the sheet's (V201 says they differ).
    let typo = run.items.iter().find(|i| i.title.starts_with("入札参加資格申請")).unwrap();
    assert_eq!(row(typo).title, "入り参加資格申請のオンライン化");
    assert!(run.findings.iter().any(|f| f.code == "V201" && f.message.contains("入【り】参加")));
    // 大分類 / 小分類 as the list wrote them where they differ from the sheet (V205, V206).
    let differing: Vec<&Item> = run.items.iter().filter(|i| i.list_daibunrui.as_deref().is_some_and(|d| d != i.daibunrui)).collect();
    assert!(!differing.is_empty() && run.findings.iter().any(|f| f.code == "V205"));
    for item in &differing {
        assert_eq!(Some(row(item).daibunrui.as_str()), item.list_daibunrui.as_deref());
    }
    let differing: Vec<&Item> = run.items.iter().filter(|i| i.list_shobunrui.as_deref().is_some_and(|d| d != i.shobunrui)).collect();
    assert!(!differing.is_empty() && run.findings.iter().any(|f| f.code == "V206"));
    for item in &differing {
        assert_eq!(Some(row(item).shobunrui.as_str()), item.list_shobunrui.as_deref());
    }
    // 主たる所管部署 as the list wrote it.
    let moved = run.items.iter().find(|i| i.list_section.as_deref().is_some_and(|s| Some(s) != i.primary_sections.first().map(String::as_str))).unwrap();
    assert_eq!(Some(row(moved).section.as_str()), moved.list_section.as_deref());
    // An item on no list prints its sheet.
    let unlisted = run.items.iter().find(|i| i.priority.is_none() && i.source.list_row.is_none()).unwrap();
    assert_eq!((row(unlisted).title.as_str(), row(unlisted).daibunrui.as_str()), (unlisted.title.as_str(), unlisted.daibunrui.as_str()));

    // The PDF, the booklet and the workbook print the same.
    let typesetter = typesetter();
    assert!(pages(&typesetter, "priority_list.typ", &data).concat().contains("入り参加資格申請のオンライン化"));
    assert_eq!(BookletData::new(&run.items, &config).list.iter().find(|r| r.page == typo.number).unwrap().title, "入り参加資格申請のオンライン化");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.xlsx");
    std::fs::write(&path, gyokaku::documents::priority_xlsx::render(&data.list, &config, "一覧").unwrap()).unwrap();
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let sheet = book.worksheet_range("優先順位一覧").unwrap();
    let line = sheet.rows().find(|r| r[0] == calamine::Data::Float(typo.number as f64)).unwrap();
    assert_eq!(line[3].to_string(), "入り参加資格申請のオンライン化");
}

#[test]
fn a_final_evaluation_row_never_splits_across_pages() {
    let config = config();
    let mut run = pipeline::run(&sample_dir(), &config).unwrap();
    // Titles of several lines each, so rows meet every page break.
    for item in &mut run.items {
        item.title = format!("項目{}の取組{}", item.number, "とても長い名称の説明を続けて書いた取組".repeat(6));
    }
    let data = FinalEvaluationData::new(&run.items, &config, false);
    let pages = pages(&typesetter(), "final_evaluation.typ", &data);
    assert!(pages.len() >= 6, "{} pages", pages.len());
    for item in &data.items {
        let title = run.items.iter().find(|i| i.number == item.number).unwrap().title.clone();
        let whole: usize = pages.iter().map(|p| p.matches(&title).count()).sum();
        // Once in the item list, once among the carried, once in a footnote
        // when its 財政効果 is left out of the sums (V223).
        let noted = data.fiscal_notes.iter().any(|n| n.number == item.number);
        let expected = 1 + usize::from(item.carry) + usize::from(noted);
        assert_eq!(whole, expected, "item {}: its title is split across pages", item.number);
    }
}

#[test]
fn each_departments_findings_come_errors_first() {
    use gyokaku::findings::Severity;
    let config = config();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    // The run's own order (file, sheet, cell) has warnings before errors
    // for some department: the order below is the report's doing.
    let unsorted = config.departments.iter().any(|d| {
        let severities: Vec<Severity> = run.findings.iter().filter(|f| f.department == d.name).map(|f| f.severity).collect();
        severities.windows(2).any(|w| w[0] > w[1])
    });
    assert!(unsorted);
    let groups = gyokaku::validation_report::by_department(&run, &config);
    let mut checked = 0;
    for group in &groups {
        let severities: Vec<Severity> = group.findings.iter().map(|f| f.severity).collect();
        assert!(severities.windows(2).all(|w| w[0] <= w[1]), "{}: {severities:?}", group.department);
        let data = gyokaku::documents::department_report::DepartmentReportData::new(&config, &group.department, &group.files, group.items, &group.findings, None);
        let rank = |s: &str| ["error", "warning", "info"].iter().position(|x| *x == s).unwrap();
        assert!(data.findings.windows(2).all(|w| rank(w[0].severity) <= rank(w[1].severity)), "{}", group.department);
        let Some(html) = gyokaku::validation_report::html::render_department(group, &config, None).unwrap() else { continue };
        // The findings' table, after the counts' badges.
        let Some(start) = html.find("<th>重要度</th>") else { continue };
        let table = &html[start..];
        let first = |s: &str| table.find(&format!("class=\"sev {s}\"")).unwrap_or(usize::MAX);
        if let Some(last_error) = table.rfind("class=\"sev error\"") {
            assert!(last_error < first("warning").min(first("info")), "{}: an error after a warning or info", group.department);
            checked += 1;
        }
    }
    assert!(checked > 0);
}

/// The R6, R7 and R8 cells of the row labelled `label` on a form's item sheet.
fn form_cells(bytes: &[u8], sheet: &str, label: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("form.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let row = range.rows().find(|r| r.get(1).map(|c| c.to_string()) == Some(label.into())).unwrap();
    row[2..5].iter().map(|c| c.to_string()).collect()
}

#[test]
fn a_regenerated_form_holds_the_earlier_years_results_only() {
    let config = config();
    // R6 and R7 are in: the forms of each year are the ones sent then.
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let item = run.items.iter().find(|i| i.results.contains_key("R6") && i.results.contains_key("R7")).unwrap();
    let sheet = item.number.to_string();
    let form = |year: &str| department_forms(&run.items, &config, year).unwrap().into_iter().find(|f| f.department == item.department).unwrap();
    let r6 = form("R6");
    assert_eq!(form_cells(&r6.bytes, &sheet, "評価"), ["", "", ""]);
    assert_eq!(form_cells(&r6.bytes, &sheet, "課題"), ["", "", ""]);
    let r7 = form("R7");
    assert_eq!(form_cells(&r7.bytes, &sheet, "評価"), [item.results["R6"].evaluation.as_str(), "", ""]);
    assert_eq!(form_cells(&r7.bytes, &sheet, "課題"), [item.results["R6"].issues.as_str(), "", ""]);
    let r8 = form("R8");
    assert_eq!(form_cells(&r8.bytes, &sheet, "評価"), [item.results["R6"].evaluation.as_str(), item.results["R7"].evaluation.as_str(), ""]);
    // No 未提出 is printed into a form: it would read back as a result.
    let never = run.items.iter().find(|i| i.unreported.len() == 2).unwrap();
    let r8 = department_forms(&run.items, &config, "R8").unwrap().into_iter().find(|f| f.department == never.department).unwrap();
    assert_eq!(form_cells(&r8.bytes, &never.number.to_string(), "評価"), ["", "", ""]);
}

/// plan.toml and the submissions of the sample, no rounds.
fn plan_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(sample_dir().join("plan.toml"), dir.path().join("plan.toml")).unwrap();
    copy_dir(&sample_dir().join("submissions"), &dir.path().join("submissions"));
    dir
}

/// Every shared string of a workbook, joined.
fn workbook_strings(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    if let Ok(mut file) = zip.by_name("xl/sharedStrings.xml") {
        file.read_to_string(&mut text).unwrap();
    }
    text
}

/// What each document says of the rounds read into `input`: whether the
/// progress reports (PDF, workbook), the 進捗管理表 of items with results
/// and the 最終評価 (PDF, workbook) say サンプル.
fn sample_marks(input: &Path) -> (Run, Vec<(String, bool)>) {
    let config = PlanConfig::load(&input.join("plan.toml")).unwrap();
    let run = pipeline::run(input, &config).unwrap();
    let typesetter = typesetter();
    let mut said = Vec::new();
    for round in &run.rounds {
        let report = ProgressReportData::new(&run.items, &config, &round.year, round.sample);
        let pdf = pages(&typesetter, "progress_report.typ", &report).concat();
        said.push((format!("{} report PDF", round.year), pdf.contains("サンプル")));
        let xlsx = gyokaku::documents::progress_report_xlsx::render(&report, &config).unwrap();
        said.push((format!("{} report xlsx", round.year), workbook_strings(&xlsx).contains("サンプル")));
    }
    // Items with results, and one with none (未提出 in every round).
    let with_results = run.items.iter().filter(|i| !i.results.is_empty()).take(3);
    let never = run.items.iter().filter(|i| i.results.is_empty() && !i.unreported.is_empty()).take(1);
    for item in with_results.chain(never) {
        let sheet = pages(&typesetter, "item_sheets.typ", &ItemSheetsData::new(std::slice::from_ref(item), &config)).concat();
        said.push((format!("進捗管理表 {}", item.number), sheet.contains("サンプル")));
    }
    let out = tempfile::tempdir().unwrap();
    let outcome = gyokaku::commands::report::final_evaluation(input, out.path(), None, &[]).unwrap();
    let pdf = pages(&typesetter, "final_evaluation.typ", &outcome.data).concat();
    said.push(("最終評価 PDF".into(), pdf.contains("サンプル")));
    let xlsx = gyokaku::documents::final_evaluation_xlsx::render(&outcome.data, &config).unwrap();
    said.push(("最終評価 xlsx".into(), workbook_strings(&xlsx).contains("サンプル")));
    (run, said)
}

#[test]
fn sample_marks_come_from_the_forms_that_say_so() {
    // The sample rounds and a generated R8: every form says 記入例（サンプル）.
    let marked = plan_copy();
    for year in ["R6", "R7"] {
        copy_dir(&sample_dir().join("progress").join(year), &marked.path().join("progress").join(year));
    }
    sample_round::make(&sample_dir(), "R8", &marked.path().join("progress/R8")).unwrap();
    let (run, said) = sample_marks(marked.path());
    assert!(run.rounds.len() == 3 && run.rounds.iter().all(|r| r.sample));
    assert_eq!(said.iter().filter(|(what, _)| what.starts_with("進捗管理表")).count(), 4);
    assert!(said.iter().all(|(_, sample)| *sample), "{said:?}");

    // The same results in forms as departments return them, no mark.
    let filled = plan_copy();
    let config = config();
    for year in ["R6", "R7", "R8"] {
        let upto: Vec<String> = gyokaku::progress::history::years_to(&config, year);
        let items: Vec<Item> = run
            .items
            .iter()
            .map(|i| {
                let mut item = i.clone();
                item.results.retain(|y, _| upto.contains(y));
                item
            })
            .collect();
        let dir = filled.path().join("progress").join(year);
        std::fs::create_dir_all(&dir).unwrap();
        for form in filled_forms(&items, &config, year).unwrap() {
            std::fs::write(dir.join(&form.file_name), &form.bytes).unwrap();
        }
    }
    let (unmarked, said) = sample_marks(filled.path());
    assert_eq!(unmarked.rounds.len(), 3);
    assert!(unmarked.rounds.iter().all(|r| !r.sample));
    assert!(unmarked.items.iter().all(|i| i.sample_results.is_empty()));
    assert!(said.iter().all(|(_, sample)| !*sample), "{said:?}");
    // The same figures were read: only the mark differs.
    for (a, b) in run.items.iter().zip(&unmarked.items) {
        assert_eq!(a.results.keys().collect::<Vec<_>>(), b.results.keys().collect::<Vec<_>>(), "item {}", a.number);
    }

    // One round marked, the next not: only what the marked round gave
    // (results and 未提出) is an example.
    let mixed = plan_copy();
    copy_dir(&sample_dir().join("progress/R6"), &mixed.path().join("progress/R6"));
    copy_dir(&filled.path().join("progress/R7"), &mixed.path().join("progress/R7"));
    let config = PlanConfig::load(&mixed.path().join("plan.toml")).unwrap();
    let run = pipeline::run(mixed.path(), &config).unwrap();
    assert_eq!(run.rounds.iter().map(|r| (r.year.as_str(), r.sample)).collect::<Vec<_>>(), [("R6", true), ("R7", false)]);
    assert!(run.items.iter().all(|i| i.sample_results.iter().eq(["R6"].iter())), "R6 only");
}

#[test]
fn unreported_items_print_未提出_for_every_round_held() {
    let config = config();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let never = run.items.iter().find(|i| !i.results.contains_key("R6") && !i.results.contains_key("R7")).unwrap();
    let r7_missing = run.items.iter().find(|i| i.results.contains_key("R6") && !i.results.contains_key("R7")).unwrap();
    let both = run.items.iter().find(|i| i.results.contains_key("R6") && i.results.contains_key("R7")).unwrap();
    assert_eq!(never.unreported.iter().collect::<Vec<_>>(), ["R6", "R7"]);

    // 進捗管理表: 実績 and 評価 say 未提出 in the rounds held; R8 (no round) is blank.
    let data = ItemSheetsData::new(&[never.clone(), r7_missing.clone(), both.clone()], &config);
    let cells = |k: usize| (data.items[k].sheet.results[0].cells.clone(), data.items[k].sheet.evaluation[0].cells.clone());
    assert_eq!(cells(0).0, ["未提出", "未提出", ""]);
    assert_eq!(cells(0).1, ["未提出", "未提出", ""]);
    assert_eq!(cells(1).0[..2], [r7_missing.results["R6"].goal_result.clone(), "未提出".into()]);
    assert_eq!(cells(1).1[..2], [r7_missing.results["R6"].evaluation.clone(), "未提出".into()]);
    assert!(!cells(2).0.iter().chain(&cells(2).1).any(|c| c == "未提出"));
    let typesetter = typesetter();
    let text = pages(&typesetter, "item_sheets.typ", &ItemSheetsData::new(std::slice::from_ref(never), &config)).concat();
    assert_eq!(text.matches("未提出").count(), 4, "{text}");
    // The 素案 booklet is the plan: no results, no 未提出.
    let booklet = BookletData::new(&run.items, &config);
    assert!(booklet.items.iter().all(|s| s.results.iter().chain(&s.evaluation).all(|r| r.cells.iter().all(|c| c.is_empty()))));

    // The report's item lines: 未提出 in the grade and the result columns.
    let report = ProgressReportData::new(&run.items, &config, "R7", true);
    let line = report.lines.iter().find(|l| l.number == never.number).unwrap();
    assert_eq!(line.grade, "未提出");
    assert_eq!(line.previous_grade, "未提出");
    for column in [&line.workload, &line.fiscal] {
        assert!(column.starts_with("未提出"), "{column}");
    }
    let reported = report.lines.iter().find(|l| l.number == both.number).unwrap();
    assert!(!reported.workload.contains("未提出") && !reported.fiscal.contains("未提出"));
    let pdf = pages(&typesetter, "progress_report.typ", &report).concat();
    let at = pdf.rfind(&never.title).expect("the item's line");
    let row: String = pdf[at..].chars().take(never.title.chars().count() + 60).collect();
    assert!(row.matches("未提出").count() >= 3, "{row}");
    // The workbook's 項目別 sheet says the same.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r7.xlsx");
    std::fs::write(&path, gyokaku::documents::progress_report_xlsx::render(&report, &config).unwrap()).unwrap();
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let sheet = book.worksheet_range("項目別").unwrap();
    let row = sheet.rows().find(|r| r[0] == calamine::Data::Float(never.number as f64)).unwrap();
    let texts: Vec<String> = row.iter().map(|c| c.to_string()).collect();
    assert!(texts.iter().filter(|t| t.starts_with("未提出")).count() >= 3, "{texts:?}");
}

/// The workbook with every shared string `from` replaced by `to`.
fn replace_string(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for k in 0..zip.len() {
        let mut file = zip.by_index(k).unwrap();
        let name = file.name().unwrap().to_string();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        if name == "xl/sharedStrings.xml" {
            content = String::from_utf8(content).unwrap().replace(&format!(">{from}<"), &format!(">{to}<")).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn a_signed_zero_result_is_a_finding_and_prints_0() {
    let input = plan_copy();
    let config = config();
    let mut run = pipeline::run(input.path(), &config).unwrap();
    let number = run.items.iter().find(|i| i.department == "総務部" && i.workload_target.get("R6").is_some_and(|a| a.value.is_some())).unwrap().number;
    for item in &mut run.items {
        let mut result = gyokaku::model::YearResult { evaluation: "B".into(), issues: "課題".into(), ..Default::default() };
        if item.number == number {
            // Written as a text the test then turns into the typed "-0".
            result.workload_result = gyokaku::model::Amount { raw: "マイナスゼロ".into(), ..Default::default() };
            result.fiscal_result = gyokaku::model::Amount { raw: "△０".into(), value: Some(-0.0), ..Default::default() };
        }
        item.results.insert("R6".into(), result);
    }
    let dir = input.path().join("progress/R6");
    std::fs::create_dir_all(&dir).unwrap();
    for form in filled_forms(&run.items, &config, "R6").unwrap() {
        std::fs::write(dir.join(&form.file_name), replace_string(&form.bytes, "マイナスゼロ", "-0")).unwrap();
    }
    let run = pipeline::run(input.path(), &config).unwrap();
    let found: Vec<_> = run.findings.iter().filter(|f| f.code == "N114").collect();
    // The hours cell typed -0; the 千円 cell, written "△０", went out as the number 0.
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].sheet.as_deref(), Some(number.to_string().as_str()));
    assert!(found[0].cell.as_deref().unwrap().starts_with('C'), "the R6 column");
    assert!(found[0].message.contains("「-0」") && found[0].message.contains("0として読みました"), "{}", found[0].message);
    assert_eq!(found[0].department, "総務部");
    let item = run.items.iter().find(|i| i.number == number).unwrap();
    assert_eq!(item.results["R6"].workload_result.value, Some(0.0));
    assert!(!run.findings.iter().any(|f| f.code == "P403"), "a zero is a number");
    // Printed 0, never -0.
    let sheet = gyokaku::documents::ItemSheet::new(item, &config);
    assert_eq!(sheet.results[1].cells[0], "0");
    let text = pages(&typesetter(), "item_sheets.typ", &ItemSheetsData::new(std::slice::from_ref(item), &config)).concat();
    assert!(!text.contains("-0") && !text.contains("△0"), "{text}");
    let report = ProgressReportData::new(&run.items, &config, "R6", false);
    let line = report.lines.iter().find(|l| l.number == number).unwrap();
    assert!(line.workload.starts_with("0 / "), "{}", line.workload);
}
