//! `forms --proposal --carry-from`: the 後期 proposal forms prefilled with
//! the items the 最終評価 carries, on the sample with a generated R8 round.
//! The carried items and their 前期 history are read back with calamine,
//! the history is locked, and a carried form reads back without errors.

mod common;

use common::copy_dir;
use calamine::{Data, Reader, Xlsx, open_workbook};
use gyokaku::commands::forms::run_carry;
use gyokaku::config::PlanConfig;
use gyokaku::documents::final_evaluation::FinalEvaluationData;
use gyokaku::findings::Severity;
use gyokaku::model::Amount;
use gyokaku::pipeline;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// Row (0-based) of a label in column B.
fn row_of(range: &calamine::Range<Data>, label: &str) -> u32 {
    (0..range.height() as u32).find(|r| range.get_value((*r, 1)) == Some(&Data::String(label.into()))).unwrap_or_else(|| panic!("no label {label}"))
}

/// A history cell holds the result as written: the number, or the text.
fn holds(cell: Option<&Data>, amount: Option<&Amount>) -> bool {
    let written = amount.map(gyokaku::format::as_written).unwrap_or_default();
    match cell {
        Some(Data::Float(n)) => amount.is_some_and(|a| a.value == Some(*n) && a.note.is_empty()),
        Some(Data::String(s)) => *s == written,
        None | Some(Data::Empty) => written.is_empty(),
        _ => false,
    }
}

#[test]
fn carried_items_are_prefilled_with_their_history_locked() {
    let input = three_rounds();
    let out = tempfile::tempdir().unwrap();
    // The new plan reuses the same plan.toml.
    let outcome = run_carry(input.path(), input.path(), out.path()).unwrap();
    assert!(outcome.left_out.is_empty());

    let config = PlanConfig::load_input(input.path()).unwrap();
    let run = pipeline::run(input.path(), &config).unwrap();
    let carried: Vec<u32> = FinalEvaluationData::new(&run.items, &config, false).carried.iter().map(|c| c.number).collect();
    assert!(!carried.is_empty() && carried.len() < run.items.len());
    assert_eq!(outcome.files.iter().map(|f| f.2).sum::<usize>(), carried.len());

    let mut read_back_checked = false;
    for (path, sheets, count) in &outcome.files {
        let name = path.file_name().unwrap().to_string_lossy();
        let department = config.departments.iter().find(|d| name.starts_with(&format!("{}_{}_", d.code, d.name))).unwrap();
        let items: Vec<_> = run.items.iter().filter(|i| i.department == department.name && carried.contains(&i.number)).collect();
        assert_eq!(items.len(), *count, "{name}");
        let mut book: Xlsx<_> = open_workbook(path).unwrap();
        assert_eq!(book.sheet_names().len(), 2 + sheets);
        let list = book.worksheet_range("優先順位一覧").unwrap();
        for (n, item) in items.iter().enumerate() {
            assert_eq!(list.get_value((1 + n as u32, 1)), Some(&Data::String(item.title.clone())), "{name}");
            let sheet = book.worksheet_range(&(n + 1).to_string()).unwrap();
            let at = |label: &str| sheet.get_value((row_of(&sheet, label), 2)).cloned();
            assert_eq!(at("取組項目名"), Some(Data::String(item.title.clone())));
            assert_eq!(at("大分類"), Some(Data::String(item.daibunrui.clone())));
            // The history: the three rounds' results and grades.
            let hours = row_of(&sheet, "前期業務量削減実績値（時間）");
            let yen = row_of(&sheet, "前期財政効果実績額（千円）");
            let grade = row_of(&sheet, "前期評価");
            for (c, year) in ["R6", "R7", "R8"].iter().enumerate() {
                let col = 2 + c as u32;
                let result = item.results.get(*year);
                assert!(holds(sheet.get_value((hours, col)), result.map(|r| &r.workload_result)), "{} {year} {:?} {:?}", item.number, sheet.get_value((hours, col)), result.map(|r| &r.workload_result));
                assert!(holds(sheet.get_value((yen, col)), result.map(|r| &r.fiscal_result)), "{} {year}", item.number);
                let written = result.map(|r| r.evaluation.clone()).unwrap_or_default();
                let cell = sheet.get_value((grade, col)).map(|d| d.to_string()).unwrap_or_default();
                assert_eq!(cell, written, "{} {year}", item.number);
            }
            assert!(at("継続の理由").is_some());

            // Locked history, editable prefill: sheet protection and cell locks.
            if n == 0 {
                let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
                let mut text = |part: &str| {
                    let mut s = String::new();
                    zip.by_name(part).unwrap().read_to_string(&mut s).unwrap();
                    s
                };
                let xml = text("xl/worksheets/sheet3.xml");
                let styles = text("xl/styles.xml");
                assert!(xml.contains("<sheetProtection"), "protected");
                let xfs: Vec<&str> = styles.split("<cellXfs").nth(1).unwrap().split("</cellXfs>").next().unwrap().split("<xf ").skip(1).collect();
                let unlocked = |cell: &str| {
                    let at = xml.find(&format!("<c r=\"{cell}\"")).unwrap_or_else(|| panic!("{cell} not written"));
                    let tag = &xml[at..at + xml[at..].find('>').unwrap()];
                    let style: usize = tag.split("s=\"").nth(1).map(|s| s[..s.find('"').unwrap()].parse().unwrap()).unwrap_or(0);
                    xfs[style].contains("locked=\"0\"")
                };
                assert!(unlocked(&format!("C{}", row_of(&sheet, "取組項目名") + 1)), "the title is editable");
                assert!(!unlocked(&format!("C{}", hours + 1)), "the history is locked");
                assert!(!unlocked(&format!("D{}", grade + 1)), "the history is locked");
            }
        }

        // A carried form read back as a submission: the carried items, no
        // errors (taken from a department whose items had none).
        if !read_back_checked && !items.is_empty() && items.iter().all(|i| !i.has_errors) {
            let fresh = tempfile::tempdir().unwrap();
            std::fs::copy(input.path().join("plan.toml"), fresh.path().join("plan.toml")).unwrap();
            std::fs::create_dir_all(fresh.path().join("submissions")).unwrap();
            std::fs::copy(path, fresh.path().join("submissions").join(path.file_name().unwrap())).unwrap();
            let back = pipeline::run(fresh.path(), &config).unwrap();
            let errors: Vec<_> = back.findings.iter().filter(|f| f.severity == Severity::Error).collect();
            assert!(errors.is_empty(), "{errors:#?}");
            let titles: Vec<&str> = back.items.iter().map(|i| i.title.as_str()).collect();
            assert_eq!(titles, items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>());
            assert!(back.items.iter().all(|i| i.results.is_empty()), "the history is not read as results");
            read_back_checked = true;
        }
    }
    assert!(read_back_checked, "some department's carried items had no errors");
}

#[test]
fn carry_needs_the_last_years_round() {
    let out = tempfile::tempdir().unwrap();
    let message = run_carry(&sample_dir(), &sample_dir(), out.path()).err().expect("the sample has no R8 round").to_string();
    assert!(message.contains("R8") && message.contains("読んだ年度: R6、R7"), "{message}");
    let o = out.path().to_string_lossy().into_owned();
    let cli = Command::new(env!("CARGO_BIN_EXE_gyokaku"))
        .args(["forms", "--proposal", "--carry-from", &sample_dir().to_string_lossy(), &sample_dir().to_string_lossy(), "-o", &o])
        .output()
        .unwrap();
    assert_eq!(cli.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&cli.stderr).contains("R8"));
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written");
}
