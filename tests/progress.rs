//! The progress year: forms written for a round, filled, dropped into
//! INPUT_DIR/progress/R6/ and read back onto the items.

use calamine::{Reader, Xlsx, open_workbook};
use gyokaku::config::PlanConfig;
use gyokaku::progress::forms::{department_forms, filled_forms};
use gyokaku::model::{Amount, Item, YearResult};
use gyokaku::pipeline::{self, Run};
use std::io::Read;
use std::path::{Path, PathBuf};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")
}

/// A copy of the sample inputs (plan + submissions) with an empty
/// progress/YEAR folder.
fn sample_copy(year: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(sample_dir().join("plan.toml"), dir.path().join("plan.toml")).unwrap();
    let submissions = dir.path().join("submissions");
    std::fs::create_dir(&submissions).unwrap();
    for entry in std::fs::read_dir(sample_dir().join("submissions")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, submissions.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("progress").join(year)).unwrap();
    dir
}

fn config() -> PlanConfig {
    PlanConfig::load(&sample_dir().join("plan.toml")).unwrap()
}

fn amount(raw: &str, value: Option<f64>) -> Amount {
    Amount { value, note: String::new(), raw: raw.to_string(), number_cell: false }
}

/// Example results a department might write for item `number`.
fn example_result(number: u32) -> YearResult {
    YearResult {
        goal_result: format!("項目{number}の年度目標を達成"),
        workload_result: amount(&(number * 10).to_string(), Some((number * 10) as f64)),
        fiscal_result: amount(&format!("△{}", number), Some(-(number as f64))),
        evaluation: ["A", "B", "C", "D"][(number % 4) as usize].to_string(),
        issues: format!("課題{number}"),
        improvements: format!("改善{number}"),
    }
}

/// Writes the year's forms into `input/progress/<dir_year>/`, with the
/// results `fill` gives each item already in their cells, as a department
/// returns them (no 記入例 mark).
fn write_forms(input: &Path, year: &str, dir_year: &str, fill: impl Fn(&mut Item)) -> Run {
    let config = config();
    let mut run = pipeline::run(&sample_dir(), &config).unwrap();
    for item in &mut run.items {
        // The plan alone: the sample's own R6 round is not carried over.
        item.results.clear();
        fill(item);
    }
    for form in filled_forms(&run.items, &config, year).unwrap() {
        std::fs::write(input.join("progress").join(dir_year).join(&form.file_name), &form.bytes).unwrap();
    }
    run
}

#[test]
fn filled_forms_read_back_to_the_same_results() {
    let input = sample_copy("R6");
    let planned = write_forms(input.path(), "R6", "R6", |item| {
        if item.number % 3 != 0 {
            item.results.insert("R6".into(), example_result(item.number));
        }
    });
    let run = pipeline::run(input.path(), &config()).unwrap();
    assert_eq!(run.rounds.len(), 1);
    let round = &run.rounds[0];
    for (plan, item) in planned.items.iter().zip(&run.items) {
        assert_eq!(plan.number, item.number);
        if item.number % 3 != 0 {
            let expected = example_result(item.number);
            let got = &item.results["R6"];
            assert_eq!(got.goal_result, expected.goal_result, "item {}", item.number);
            assert_eq!(got.workload_result.value, expected.workload_result.value, "item {}", item.number);
            assert_eq!(got.fiscal_result.value, expected.fiscal_result.value, "item {}", item.number);
            assert_eq!((&got.evaluation, &got.issues, &got.improvements), (&expected.evaluation, &expected.issues, &expected.improvements));
        } else {
            assert!(!item.results.contains_key("R6"), "item {} has no result", item.number);
        }
    }
    // 未提出: exactly the items left empty, listed by department.
    let expected_missing: Vec<u32> = run.items.iter().map(|i| i.number).filter(|n| n % 3 == 0).collect();
    assert_eq!(round.missing, expected_missing);
    let missing_findings: Vec<_> = run.findings.iter().filter(|f| f.code == "P407").collect();
    assert!(missing_findings.iter().any(|f| f.department == "総務部" && f.message.contains("3、6、9、12、15")));
    // Nothing else to report: every sheet matched by number and title, no plan edits.
    assert!(run.findings.iter().all(|f| !f.code.starts_with('P') || f.code == "P407"), "{:?}", run.findings.iter().filter(|f| f.code.starts_with('P')).collect::<Vec<_>>());
    assert_eq!(round.matched.len(), run.items.len() - expected_missing.len());
}

#[test]
fn forms_lock_the_plan_and_open_only_the_years_cells() {
    let config = config();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let forms = department_forms(&run.items, &config, "R7").unwrap();
    assert_eq!(forms.len(), 10);
    let form = &forms[0];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(&form.file_name);
    std::fs::write(&path, &form.bytes).unwrap();

    // Where the labels are, read with calamine.
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(&book.sheet_names()[..2], &["記入要領".to_string(), "取組項目一覧".to_string()]);
    let range = book.worksheet_range("1").unwrap();
    let row_of = |label: &str| range.rows().position(|r| r.get(1).map(|c| c.to_string()) == Some(label.into())).unwrap() as u32;
    let evaluation = row_of("評価");
    let title = row_of("取組項目名");
    // R6 is column C, R7 column D.
    let open_cell = format!("D{}", evaluation + 1);
    let closed_year = format!("C{}", evaluation + 1);
    let plan_cell = format!("C{}", title + 1);

    // Protection and locks, read from the sheet and style XML.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let read = |zip: &mut zip::ZipArchive<std::fs::File>, name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let sheet = read(&mut zip, "xl/worksheets/sheet3.xml");
    let styles = read(&mut zip, "xl/styles.xml");
    let protection = &sheet[sheet.find("<sheetProtection").expect("sheet is protected")..];
    let protection = &protection[..protection.find("/>").unwrap()];
    assert!(!protection.contains("password"), "no password: {protection}");
    let xfs_start = styles.find("<cellXfs").unwrap();
    let xfs: Vec<&str> = styles[xfs_start..styles[xfs_start..].find("</cellXfs>").unwrap() + xfs_start]
        .split("<xf ")
        .skip(1)
        .collect();
    let unlocked = |cell: &str| {
        let at = sheet.find(&format!("<c r=\"{cell}\"")).unwrap_or_else(|| panic!("{cell} not written"));
        let tag = &sheet[at..at + sheet[at..].find('>').unwrap()];
        let style: usize = tag.split("s=\"").nth(1).map(|s| s[..s.find('"').unwrap()].parse().unwrap()).unwrap_or(0);
        xfs[style].contains("locked=\"0\"")
    };
    assert!(unlocked(&open_cell), "the year's 評価 cell is open");
    assert!(!unlocked(&closed_year), "another year's cell is locked");
    assert!(!unlocked(&plan_cell), "the plan is locked");
    // The grade drop-down lists the scale.
    assert!(sheet.contains("<dataValidation") && sheet.contains("\"A,B,C,D\""), "grade list");
}

#[test]
fn mistakes_in_forms_are_findings_with_their_cells() {
    let input = sample_copy("R6");
    write_forms(input.path(), "R6", "R6", |item| {
        let mut result = example_result(item.number);
        match item.number {
            2 => result.workload_result = amount("約100時間", None),
            3 => result.evaluation = "E".into(),
            _ => {}
        }
        item.results.insert("R6".into(), result);
        if item.number == 4 {
            item.results.insert("R7".into(), example_result(4));
        }
        if item.number == 5 {
            item.approach = "書き換えた方向性".into();
        }
    });
    // A form for another year in the R6 folder is rejected.
    let config = config();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let r7 = department_forms(&run.items, &config, "R7").unwrap();
    std::fs::write(input.path().join("progress/R6/間違えたR7様式.xlsx"), &r7[8].bytes).unwrap();

    let run = pipeline::run(input.path(), &config).unwrap();
    let find = |code: &str| run.findings.iter().filter(|f| f.code == code).collect::<Vec<_>>();
    let not_number = find("P403");
    assert_eq!(not_number.len(), 1);
    assert_eq!(not_number[0].sheet.as_deref(), Some("2"));
    assert!(not_number[0].cell.as_deref().unwrap().starts_with('C'));
    assert!(not_number[0].message.contains("約100時間"));
    assert_eq!(find("P404").len(), 1);
    assert_eq!(find("P404")[0].sheet.as_deref(), Some("3"));
    let other_year = find("P402");
    assert!(!other_year.is_empty() && other_year.iter().all(|f| f.sheet.as_deref() == Some("4") && f.cell.as_deref().unwrap().starts_with('D')));
    assert!(!run.items[3].results.contains_key("R7"), "R7 not taken in the R6 round");
    let edited = find("P405");
    assert_eq!(edited.len(), 1);
    assert_eq!(edited[0].sheet.as_deref(), Some("5"));
    assert_ne!(run.items[4].approach, "書き換えた方向性", "the plan is not taken from a form");
    let wrong_year = find("P406");
    assert_eq!(wrong_year.len(), 1, "{wrong_year:?}");
    assert!(wrong_year[0].file.contains("間違えたR7様式"));
    // The 議会事務局 item still has its R6 result from its own form.
    assert!(run.items.iter().find(|i| i.department == "議会事務局").unwrap().results.contains_key("R6"));
}

#[test]
fn renamed_files_and_reordered_sheets_still_match() {
    let input = sample_copy("R6");
    let config = config();
    let mut run = pipeline::run(&sample_dir(), &config).unwrap();
    for item in &mut run.items {
        item.results.insert("R6".into(), example_result(item.number));
    }
    // One workbook holding the 総務部 items in reverse order, under a new
    // file name; the sheets carry their numbers, so order does not matter.
    // Its first sheet is a copy of the 入札 item's whose 項目番号 was
    // mistyped (999): matched by its title.
    let mut items: Vec<Item> = run.items.iter().filter(|i| i.department == "総務部").cloned().collect();
    items.reverse();
    let mut lone = run.items.iter().find(|i| i.title.contains("入札参加資格")).unwrap().clone();
    lone.number = 999;
    items.insert(0, lone);
    let forms = filled_forms(&items, &config, "R6").unwrap();
    std::fs::write(input.path().join("progress/R6/そうむ_最終版(2).xlsx"), &forms[0].bytes).unwrap();

    let after = pipeline::run(input.path(), &config).unwrap();
    let round = &after.rounds[0];
    for item in after.items.iter().filter(|i| i.department == "総務部") {
        assert_eq!(item.results["R6"].issues, format!("課題{}", item.number));
    }
    // The mistyped sheet is read first and matched by title; the 入札
    // item's own sheet is then a second report for it.
    let by_title = after.findings.iter().find(|f| f.code == "P408").expect("matched by title");
    assert!(by_title.message.contains("名称のみ") && by_title.file.contains("そうむ"));
    assert!(round.matched.iter().any(|m| m.number == 6 && m.method == gyokaku::progress::results::MatchMethod::Title));
    assert!(after.findings.iter().any(|f| f.code == "P409"));
    assert!(round.matched.iter().all(|m| m.file.contains("そうむ")));
}

#[test]
fn build_writes_one_progress_sheet_per_item_with_its_results() {
    use gyokaku::engine::{BuildOptions, build};
    use gyokaku::documents::booklet::ItemSheetsData;
    use gyokaku::typeset::fonts::FontSet;
    use gyokaku::typeset::templates::Templates;
    use gyokaku::typeset::{Typesetter, page_texts};

    let input = sample_copy("R6");
    write_forms(input.path(), "R6", "R6", |item| {
        if item.number <= 20 {
            item.results.insert("R6".into(), example_result(item.number));
        }
    });
    let out = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        input_dir: input.path().to_path_buf(),
        out_dir: out.path().to_path_buf(),
        templates: None,
        font_paths: Vec::new(),
        handout: false,
        clean: false,
    };
    let outcome = build(&options, &indicatif::ProgressBar::hidden()).unwrap();
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    let sheets: Vec<_> = outcome.files.iter().filter(|f| f.kind == "item_sheet_pdf").collect();
    assert_eq!(sheets.len(), outcome.run.items.len());
    for (item, sheet) in outcome.run.items.iter().zip(&sheets) {
        assert!(sheet.path.starts_with(&format!("進捗管理表/{:03}_", item.number)), "{}", sheet.path);
        assert_eq!(sheet.pages, Some(1));
        assert!(std::fs::read(out.path().join(&sheet.path)).unwrap().starts_with(b"%PDF-"));
    }
    // The sheet of item 7 prints its R6 results; item 30's has none.
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), "2023-08-31").unwrap();
    let text = |number: u32| {
        let item = outcome.run.items.iter().find(|i| i.number == number).unwrap();
        let compiled = typesetter.compile("item_sheets.typ", &ItemSheetsData::new(std::slice::from_ref(item), &outcome.config)).unwrap();
        page_texts(&compiled.document).concat().replace('\n', "")
    };
    let seven = text(7);
    assert!(seven.contains("課題7") && seven.contains("改善7") && seven.contains("項目7の年度目標を達成"), "{seven}");
    assert!(seven.contains("70") && seven.contains("△7"));
    assert!(!text(30).contains("課題30"));
    // Forms filled by departments (no 記入例 mark): nothing says サンプル.
    assert!(!seven.contains("サンプル"), "{seven}");
    assert!(!outcome.run.rounds[0].sample);

    // The consolidated workbook carries the results as numbers.
    let path = out.path().join(&outcome.files.iter().find(|f| f.kind == "items_xlsx").unwrap().path);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let flat = book.worksheet_range("項目一覧").unwrap();
    let header: Vec<String> = flat.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let row7 = flat.rows().nth(7).unwrap();
    assert_eq!(row7[col("業務量削減実績値（時間） 令和6年度")], calamine::Data::Float(70.0));
    assert_eq!(row7[col("財政効果実績額（千円） 令和6年度")], calamine::Data::Float(-7.0));
    assert_eq!(row7[col("評価 令和6年度")].to_string(), example_result(7).evaluation);
}

#[path = "../examples/make_sample_progress.rs"]
#[allow(dead_code)]
mod sample_round;

#[test]
fn committed_sample_rounds_are_the_generators_output() {
    for year in sample_round::SAMPLE_YEARS {
        let out = tempfile::tempdir().unwrap();
        let made = sample_round::make(&sample_dir(), year, out.path()).unwrap();
        assert_eq!(made.len(), 10);
        for path in made {
            let name = path.file_name().unwrap();
            let committed = std::fs::read(sample_dir().join("progress").join(year).join(name)).unwrap();
            assert!(std::fs::read(&path).unwrap() == committed, "{year}/{name:?} differs: run `cargo run --example make_sample_progress`");
        }
    }
}

#[test]
fn report_totals_equal_sums_computed_from_the_model() {
    use gyokaku::documents::progress_report::ProgressReportData;
    let config = config();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    assert_eq!(run.rounds.iter().map(|r| r.year.as_str()).collect::<Vec<_>>(), ["R6", "R7"]);
    let round = &run.rounds[0];
    assert!(round.sample, "the sample round's forms say they are examples");
    let report = ProgressReportData::new(&run.items, &config, "R6", round.sample);
    assert!(report.sample);

    // Independent sums: numeric R6 targets and results only, a 財政効果
    // validation questions (V223) left out.
    let target = |i: &Item, fiscal: bool| {
        if fiscal && i.fiscal_doubt {
            return 0.0;
        }
        (if fiscal { &i.fiscal_target } else { &i.workload_target }).get("R6").and_then(|a| a.value).unwrap_or(0.0)
    };
    let result = |i: &Item, fiscal: bool| {
        if fiscal && i.fiscal_doubt {
            return 0.0;
        }
        i.results.get("R6").and_then(|r| if fiscal { r.fiscal_result.value } else { r.workload_result.value }).unwrap_or(0.0)
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    for group in report.by_daibunrui.iter().chain(&report.by_department) {
        let members: Vec<&Item> = run
            .items
            .iter()
            .filter(|i| i.daibunrui == group.name || format!("{}{}", i.department_code, i.department) == group.name)
            .collect();
        assert_eq!(group.items as usize, members.len(), "{}", group.name);
        assert!(close(group.workload_target, members.iter().map(|i| target(i, false)).sum()), "{}", group.name);
        assert!(close(group.fiscal_target, members.iter().map(|i| target(i, true)).sum()), "{}", group.name);
        assert!(close(group.workload_result, members.iter().map(|i| result(i, false)).sum()), "{}", group.name);
        assert!(close(group.fiscal_result, members.iter().map(|i| result(i, true)).sum()), "{}", group.name);
        assert_eq!(group.grades.iter().sum::<u32>(), group.items);
    }
    let all_fiscal: f64 = run.items.iter().map(|i| target(i, true)).sum();
    assert!(close(report.total.fiscal_target, all_fiscal));
    assert_eq!(report.by_daibunrui.iter().map(|g| g.items).sum::<u32>(), 91);
    // Grades: counted from the results; S is not on the scale, so it counts
    // as 区分外 (not 未評価), and the item's line shows what was written.
    let count = |g: &str| run.items.iter().filter(|i| i.results.get("R6").is_some_and(|r| r.evaluation == g)).count() as u32;
    for (k, g) in ["A", "B", "C", "D"].iter().enumerate() {
        assert_eq!(report.total.grades[k], count(g));
    }
    assert_eq!(report.grade_names[4..], ["区分外", "未評価", "未提出"]);
    assert_eq!(report.total.grades[4], 1, "the S grade");
    assert_eq!(report.total.grades[5], 0, "no result without a grade");
    let s_line = report.lines.iter().find(|l| l.grade == "S").expect("the line says S");
    assert_eq!(s_line.grade_note, "区分外");
    assert_eq!(report.lines.iter().filter(|l| !l.grade_note.is_empty()).count() as u32, report.total.grades[4]);
    // 未提出: the two items 市民協働部 left empty, in the list and the lines.
    assert_eq!(round.missing.len(), 2);
    assert_eq!(report.missing.iter().map(|l| l.number).collect::<Vec<_>>(), round.missing);
    assert_eq!(report.total.grades[6], 2);
    // The first year has nothing to compare with.
    assert!(report.cumulative_years.is_empty() && report.previous_year_label.is_empty());
    assert!(run.findings.iter().any(|f| f.code == "P403" && f.message.contains("約20時間")));
    assert!(run.findings.iter().any(|f| f.code == "P404" && f.message.contains("「S」")));
    assert!(run.findings.iter().any(|f| f.code == "P405"));
    // 成果指標: the R6 example values against their baselines.
    let first = &report.indicators[0];
    assert_eq!((first.baseline.as_str(), first.values[0].as_str(), first.assessment.as_str()), ("6.8", "7.4", "改善"));
    assert_eq!(report.indicators[1].assessment, "悪化", "7.1 is below the 7.3 baseline");
}

/// The sample's R7 report (rounds R6 and R7 read), with the run it was made from.
fn r7_report() -> (Run, gyokaku::documents::progress_report::ProgressReportData) {
    use gyokaku::documents::progress_report::ProgressReportData;
    let config = config();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let round = run.rounds.iter().find(|r| r.year == "R7").expect("the sample has an R7 round");
    let report = ProgressReportData::new(&run.items, &config, "R7", round.sample);
    (run, report)
}

#[test]
fn r7_report_sums_results_and_targets_to_date() {
    let (run, report) = r7_report();
    let config = config();
    assert_eq!(report.cumulative_years, ["令和6年度", "令和7年度"]);
    let years = ["R6", "R7"];
    // Independent sums: numeric values only, results of both rounds, a
    // questioned 財政効果 (V223) left out.
    let target = |i: &Item, fiscal: bool, ys: &[&str]| -> f64 {
        if fiscal && i.fiscal_doubt {
            return 0.0;
        }
        ys.iter().map(|y| (if fiscal { &i.fiscal_target } else { &i.workload_target }).get(*y).and_then(|a| a.value).unwrap_or(0.0)).sum()
    };
    let result = |i: &Item, fiscal: bool, y: &str| -> f64 {
        if fiscal && i.fiscal_doubt {
            return 0.0;
        }
        i.results.get(y).and_then(|r| if fiscal { r.fiscal_result.value } else { r.workload_result.value }).unwrap_or(0.0)
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    let all_years = config.year_codes();
    let all: Vec<&str> = all_years.iter().map(String::as_str).collect();
    let mut checked = 0;
    for group in report.cumulative_by_daibunrui.iter().chain(&report.cumulative_by_department).chain([&report.cumulative_total]) {
        let members: Vec<&Item> = run
            .items
            .iter()
            .filter(|i| group.name == "合計" || i.daibunrui == group.name || format!("{}{}", i.department_code, i.department) == group.name)
            .collect();
        assert_eq!(group.items as usize, members.len(), "{}", group.name);
        for (fiscal, to_date) in [(false, &group.workload), (true, &group.fiscal)] {
            for (k, y) in years.iter().enumerate() {
                assert!(close(to_date.results[k], members.iter().map(|i| result(i, fiscal, y)).sum()), "{} {y}", group.name);
            }
            let sum: f64 = members.iter().map(|i| result(i, fiscal, "R6") + result(i, fiscal, "R7")).sum();
            assert!(close(to_date.result, sum), "{}", group.name);
            assert!(close(to_date.target, members.iter().map(|i| target(i, fiscal, &years)).sum()), "{}", group.name);
            assert!(close(to_date.plan_total, members.iter().map(|i| target(i, fiscal, &all)).sum()), "{}", group.name);
            if to_date.target > 0.0 && sum <= 10.0 * to_date.target {
                assert!((to_date.rate.unwrap() - sum / to_date.target * 100.0).abs() < 0.06, "{}", group.name);
            } else if to_date.target > 0.0 {
                // A target too small to measure the result: no rate, a note with both numbers.
                assert_eq!(to_date.rate, None, "{}", group.name);
                assert!(report.rate_notes.iter().any(|n| n.starts_with(&group.name)), "{} {:?}", group.name, report.rate_notes);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 4 + 10 + 1);
    // The workbook's 累計 sheet carries the same sums, as numbers.
    let bytes = gyokaku::documents::progress_report_xlsx::render(&report, &config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r7.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let mut core = String::new();
    zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap().by_name("docProps/core.xml").unwrap().read_to_string(&mut core).unwrap();
    assert!(core.contains("2026-06-30T"), "dated by the round: {core}");
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert!(book.sheet_names().contains(&"評価の変化".to_string()) && book.sheet_names().contains(&"2年度続けて未提出".to_string()));
    let sheet = book.worksheet_range("累計").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let header = rows.iter().find(|r| r.first().map(String::as_str) == Some("大分類")).unwrap();
    let col = header.iter().position(|h| h == "業務量削減（時間） 累計実績").unwrap();
    let total_row = rows.iter().find(|r| r.first().map(String::as_str) == Some("合計")).unwrap();
    assert_eq!(total_row[col].parse::<f64>().unwrap(), report.cumulative_total.workload.result);
    // Both rounds contribute: the sums to date exceed the R7 year alone.
    assert!(report.cumulative_total.fiscal.result > report.total.fiscal_result);
    assert!(report.cumulative_total.fiscal.plan_total > report.cumulative_total.fiscal.target);
}

#[test]
fn r7_report_finds_grade_moves_and_two_rounds_without_a_report() {
    let (run, report) = r7_report();
    assert_eq!(report.previous_year_label, "令和6(2024)年度");
    let scale = ["A", "B", "C", "D"];
    let rank = |i: &Item, y: &str| i.results.get(y).and_then(|r| scale.iter().position(|g| *g == r.evaluation));
    let mut rose = Vec::new();
    let mut fell = Vec::new();
    for item in &run.items {
        if let (Some(a), Some(b)) = (rank(item, "R6"), rank(item, "R7")) {
            if b < a {
                rose.push(item.number);
            } else if b > a {
                fell.push(item.number);
            }
        }
    }
    assert!(!rose.is_empty() && !fell.is_empty(), "the sample has moves both ways");
    assert_eq!(report.grades_rose.iter().map(|m| m.number).collect::<Vec<_>>(), rose);
    assert_eq!(report.grades_fell.iter().map(|m| m.number).collect::<Vec<_>>(), fell);
    let first = &report.grades_rose[0];
    let item = run.items.iter().find(|i| i.number == first.number).unwrap();
    assert_eq!((first.from.as_str(), first.to.as_str()), (item.results["R6"].evaluation.as_str(), item.results["R7"].evaluation.as_str()));
    // The S grade of R6 is not a grade, so its item is no move either way.
    let s_item = run.items.iter().find(|i| i.results.get("R6").is_some_and(|r| r.evaluation == "S")).unwrap();
    assert!(!rose.contains(&s_item.number) && !fell.contains(&s_item.number));
    assert_eq!(report.lines.iter().find(|l| l.number == s_item.number).unwrap().previous_grade, "S");

    // 未提出 two rounds running: the 市民協働部 item left empty in R6 and R7;
    // the one empty only in R7 (福祉部) and the one only in R6 are not listed.
    let twice: Vec<u32> = run.items.iter().filter(|i| !i.results.contains_key("R6") && !i.results.contains_key("R7")).map(|i| i.number).collect();
    assert_eq!(twice.len(), 1);
    assert_eq!(report.missing_twice.iter().map(|l| l.number).collect::<Vec<_>>(), twice);
    assert_eq!(report.missing_twice[0].department, "03市民協働部");
    assert_eq!(report.missing.len(), 2, "R7: the repeated one and 福祉部's");
    // The R7 forms print the R6 results (locked): reading them back is not
    // a finding, and R6 is not taken again from them.
    assert!(!run.findings.iter().any(|f| f.code == "P402"), "{:?}", run.findings.iter().filter(|f| f.code == "P402").collect::<Vec<_>>());
    assert!(!run.findings.iter().any(|f| f.code.starts_with('P') && f.file.contains("R7") && f.code != "P407"));
    // 成果指標: the R7 values, the latest against the baseline.
    let first = &report.indicators[0];
    assert_eq!(first.values[..2], ["7.4", "7.9"]);
    assert_eq!(first.change, "+1.1");
    assert_eq!(first.points[..3], [Some(6.8), Some(7.4), Some(7.9)]);
    assert_eq!(first.points[3], None, "R8 not measured");
}

#[test]
fn r7_report_pdf_carries_the_rounds_date_and_its_cumulative_page() {
    use gyokaku::typeset::fonts::FontSet;
    use gyokaku::typeset::templates::Templates;
    use gyokaku::typeset::{Typesetter, page_texts};
    let (run, report) = r7_report();
    assert_eq!(report.date, "2026-06-30", "[progress] dates in plan.toml");
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), "2023-08-31").unwrap();
    let compiled = typesetter.compile("progress_report.typ", &report).unwrap();
    let pages: Vec<String> = page_texts(&compiled.document).iter().map(|p| p.replace('\n', "")).collect();
    assert!(pages[0].contains("令和8(2026)年6月30日"), "{}", pages[0]);
    assert!(!pages[0].contains("令和5(2023)年8月"), "not the plan's document date");
    // The cumulative section starts its own page, with the 合計 to date.
    let cumulative = pages.iter().position(|p| p.contains("令和6年度から令和7年度までの累計")).expect("cumulative page");
    assert_eq!(cumulative, 1);
    let total = gyokaku::format::format_number(report.cumulative_total.workload.result);
    assert!(pages[1].contains(&total), "{total} on the cumulative page");
    let all = pages.concat();
    assert!(all.contains("2年度続けて未提出の項目") && all.contains(&run.items.iter().find(|i| i.number == report.missing_twice[0].number).unwrap().title));
    assert!(all.contains("評価が上がった項目") && all.contains("評価が下がった項目"));
    // The PDF is created on the round's date too.
    let pdf = typesetter.pdf_dated(&compiled.document, "progress-R7", &report.date).unwrap();
    let created = hayro_syntax::Pdf::new(pdf).unwrap().metadata().creation_date.expect("/CreationDate in the document information");
    assert_eq!((created.year, created.month, created.day), (2026, 6, 30));
}

#[test]
fn item_sheets_show_both_rounds_side_by_side() {
    use gyokaku::documents::ItemSheet;
    let config = config();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let item = run.items.iter().find(|i| i.results.contains_key("R6") && i.results.contains_key("R7")).unwrap();
    let sheet = ItemSheet::new(item, &config);
    let evaluation = &sheet.evaluation[0].cells;
    assert_eq!(evaluation[..2], [item.results["R6"].evaluation.clone(), item.results["R7"].evaluation.clone()]);
    assert_eq!(evaluation[2], "", "no R8 round yet");
    assert_eq!(sheet.results[0].cells[1], item.results["R7"].goal_result);
}

#[test]
fn a_changed_earlier_year_in_a_later_form_is_reported_the_printed_one_is_not() {
    // The sample's R6 round, and R7 forms printed with its R6 results.
    let input = sample_copy("R7");
    let r6 = input.path().join("progress/R6");
    std::fs::create_dir_all(&r6).unwrap();
    for entry in std::fs::read_dir(sample_dir().join("progress/R6")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, r6.join(path.file_name().unwrap())).unwrap();
    }
    let config = config();
    let mut run = pipeline::run(input.path(), &config).unwrap();
    let edited = run.items.iter().find(|i| i.results.contains_key("R6")).unwrap().number;
    for item in &mut run.items {
        item.results.insert("R7".into(), example_result(item.number));
        if item.number == edited {
            item.results.get_mut("R6").unwrap().issues = "あとから書き換えた課題".into();
        }
    }
    for form in filled_forms(&run.items, &config, "R7").unwrap() {
        std::fs::write(input.path().join("progress/R7").join(&form.file_name), &form.bytes).unwrap();
    }
    let after = pipeline::run(input.path(), &config).unwrap();
    let other_year: Vec<_> = after.findings.iter().filter(|f| f.code == "P402").collect();
    assert_eq!(other_year.len(), 1, "{other_year:?}");
    assert_eq!(other_year[0].sheet.as_deref(), Some(edited.to_string().as_str()));
    assert!(other_year[0].cell.as_deref().unwrap().starts_with('C'), "the R6 column");
    // R6 stays as its own round gave it.
    let item = after.items.iter().find(|i| i.number == edited).unwrap();
    assert_ne!(item.results["R6"].issues, "あとから書き換えた課題");
    assert_eq!(item.results["R7"].issues, format!("課題{edited}"));
}

#[test]
fn r6_report_pdf_shows_the_off_scale_grade_as_written_and_counts_it_apart() {
    use gyokaku::documents::progress_report::ProgressReportData;
    use gyokaku::typeset::fonts::FontSet;
    use gyokaku::typeset::templates::Templates;
    use gyokaku::typeset::{Typesetter, page_texts};
    let config = config();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let report = ProgressReportData::new(&run.items, &config, "R6", true);
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), "2023-08-31").unwrap();
    let compiled = typesetter.compile("progress_report.typ", &report).unwrap();
    let pages: Vec<String> = page_texts(&compiled.document).iter().map(|p| p.replace('\n', "")).collect();
    // 概要: the 区分外 row with its count, and the sentence saying so.
    assert!(pages[0].contains("区分外評価区分にない記入1"), "{}", pages[0]);
    assert!(pages[0].contains("評価区分にない記入があった 1 項目は「区分外」として数え"));
    assert!(pages[0].contains("令和7(2025)年6月30日"), "R6 is dated by its round");
    // The item's line: S as written, marked.
    let s_item = run.items.iter().find(|i| i.results.get("R6").is_some_and(|r| r.evaluation == "S")).unwrap();
    let all = pages.concat();
    let at = all.find(&s_item.title).expect("the S item's line");
    let line: String = all[at..].chars().take(120).collect();
    assert!(line.contains("S（区分外）"), "{line}");
}
