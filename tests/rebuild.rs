//! Rebuilding into the same folder: after one department resends its form,
//! only the documents that print its data are made again, the folder ends
//! up byte for byte as a clean build of the same inputs makes it, and
//! `--clean` ignores what the last build recorded.

mod common;

use common::copy_dir;
use gyokaku::engine::{BuildOptions, Outcome, build};
use gyokaku::config::PlanConfig;
use gyokaku::pipeline;
use gyokaku::progress::forms::example_forms;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[path = "../examples/make_sample_inputs.rs"]
#[allow(dead_code)]
mod sample_inputs;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")
}

fn build_into(input: &Path, out: &Path, clean: bool) -> Outcome {
    let options = BuildOptions {
        input_dir: input.to_path_buf(),
        out_dir: out.to_path_buf(),
        templates: None,
        font_paths: Vec::new(),
        handout: false,
        clean,
    };
    let outcome = build(&options, &indicatif::ProgressBar::hidden()).unwrap();
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    outcome
}

/// Every file under `dir` (but the rebuild record) with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().unwrap() != gyokaku::cache::FILE_NAME {
                files.insert(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn a_rebuild_redoes_only_what_changed_and_matches_a_clean_build() {
    let input = tempfile::tempdir().unwrap();
    copy_dir(&sample_dir(), input.path());
    let out = tempfile::tempdir().unwrap();
    let first = build_into(input.path(), out.path(), false);
    assert!(first.kept.is_empty(), "a first build makes everything");

    // Nothing changed: every document is kept; only the manifest is written.
    let again = build_into(input.path(), out.path(), false);
    assert_eq!(again.kept.len(), again.files.len() - 1);
    let before = contents(out.path());

    // 福祉部 resends its R7 form with one grade changed.
    let config = PlanConfig::load_input(input.path()).unwrap();
    let mut run = pipeline::run(input.path(), &config).unwrap();
    let changed = run.items.iter_mut().find(|i| i.department == "福祉部" && i.results.contains_key("R7")).unwrap();
    let result = changed.results.get_mut("R7").unwrap();
    result.evaluation = if result.evaluation == "D" { "A".into() } else { "D".into() };
    let changed_number = changed.number;
    let form = example_forms(&run.items, &config, "R7").unwrap().into_iter().find(|f| f.file_name.starts_with("06_")).unwrap();
    std::fs::write(input.path().join("progress/R7").join(&form.file_name), &form.bytes).unwrap();

    let rebuilt = build_into(input.path(), out.path(), false);
    let clean_out = tempfile::tempdir().unwrap();
    let clean = build_into(input.path(), clean_out.path(), true);
    assert!(clean.kept.is_empty());
    assert_eq!(contents(out.path()), contents(clean_out.path()), "the rebuilt folder is what a clean build makes");

    // What prints the grade was made again; what does not was kept.
    let kept = |kind: &str| rebuilt.files.iter().filter(|f| f.kind == kind).all(|f| rebuilt.kept.contains(&f.path));
    assert!(kept("booklet"), "the 素案 prints no results");
    assert!(kept("priority_list_pdf") && kept("summary_pdf"));
    let sheet = |number: u32| rebuilt.files.iter().find(|f| f.kind == "item_sheet_pdf" && f.path.contains(&format!("/{number:03}_"))).unwrap();
    assert!(!rebuilt.kept.contains(&sheet(changed_number).path), "the changed item's sheet is made again");
    let other = rebuilt.run.items.iter().find(|i| i.department != "福祉部").unwrap();
    assert!(rebuilt.kept.contains(&sheet(other.number).path), "another department's sheet is kept");
    let r7 = rebuilt.files.iter().find(|f| f.kind == "progress_report_pdf" && f.path.starts_with("R7")).unwrap();
    assert!(!rebuilt.kept.contains(&r7.path), "the R7 report counts grades");
    let returns: Vec<_> = rebuilt.files.iter().filter(|f| f.kind == "return_xlsx").collect();
    assert!(
        returns.iter().any(|f| !f.path.contains("福祉部") && rebuilt.kept.contains(&f.path)),
        "another department's marked workbook is kept: {returns:?}"
    );
    let after = contents(out.path());
    let rewritten = after.iter().filter(|(path, bytes)| before.get(*path) != Some(bytes)).count();
    assert!(rewritten > 1 && rewritten < after.len() / 4, "{rewritten} of {} files differ", after.len());

    // --clean makes every document again, to the same bytes.
    let forced = build_into(input.path(), out.path(), true);
    assert!(forced.kept.is_empty());
    assert_eq!(contents(out.path()), contents(clean_out.path()));
}

#[test]
fn a_resent_proposal_lays_out_only_its_departments_part_of_the_booklet() {
    let input = tempfile::tempdir().unwrap();
    copy_dir(&sample_dir(), input.path());
    let out = tempfile::tempdir().unwrap();
    build_into(input.path(), out.path(), false);
    let before = contents(out.path());
    let parts_folder = gyokaku::engine::PARTS_FOLDER;
    let parts: Vec<&String> = before.keys().filter(|p| p.starts_with(parts_folder) && p.ends_with(".part")).collect();
    assert!(parts.len() > 4, "the cover and front matter, then the departments in a few parts: {parts:?}");

    let modified = |path: &str| std::fs::metadata(out.path().join(path)).unwrap().modified().unwrap();
    let times: BTreeMap<&String, std::time::SystemTime> = parts.iter().map(|p| (*p, modified(p))).collect();
    // 福祉部 resends its 素案 with one more sentence in its longest cell.
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/transcription/06_福祉部.tsv");
    let mut department = sample_inputs::parse(&source);
    let cell = department.sheets[0].iter_mut().flatten().max_by_key(|c| c.len()).unwrap();
    cell.push_str("（再提出で追記）");
    sample_inputs::build(&department, None, &input.path().join("submissions")).unwrap();

    let rebuilt = build_into(input.path(), out.path(), false);
    assert!(!rebuilt.kept.iter().any(|p| p.contains(parts_folder)), "parts are not deliverables: {:?}", rebuilt.kept);
    assert!(!rebuilt.files.iter().any(|f| f.path.contains(parts_folder)), "nor listed in the manifest");
    let after = contents(out.path());
    let changed: Vec<&&String> = parts.iter().filter(|p| before[**p] != after[**p]).collect();
    // 福祉部's part is laid out again; no other department's is (its file
    // is not even written again).
    assert!(changed.iter().any(|p| p.contains("福祉部")), "{changed:?}");
    assert!(changed.iter().all(|p| p.contains("福祉部") || p.contains("表紙")), "{changed:?}");
    let rewritten: Vec<&&String> = parts.iter().filter(|p| modified(p) != times[**p]).collect();
    assert!(rewritten.iter().all(|p| p.contains("福祉部") || p.contains("表紙")), "{rewritten:?}");
    let booklet = rebuilt.files.iter().find(|f| f.kind == "booklet").unwrap();
    assert!(!rebuilt.kept.contains(&booklet.path));
    assert!(before[&booklet.path] != after[&booklet.path]);

    let clean_out = tempfile::tempdir().unwrap();
    build_into(input.path(), clean_out.path(), true);
    assert_eq!(contents(out.path()), contents(clean_out.path()), "the rebuilt folder, parts and all, is what a clean build makes");
}

#[test]
fn a_withdrawn_items_sheet_is_removed_on_rebuild() {
    let input = tempfile::tempdir().unwrap();
    copy_dir(&sample_dir(), input.path());
    let out = tempfile::tempdir().unwrap();
    let first = build_into(input.path(), out.path(), false);
    // 議会事務局 withdraws its workbook (its one item).
    let withdrawn: Vec<String> = first
        .files
        .iter()
        .filter(|f| f.kind == "item_sheet_pdf")
        .filter(|f| first.run.items.iter().any(|i| i.department == "議会事務局" && f.path.contains(&format!("/{:03}_", i.number))))
        .map(|f| f.path.clone())
        .collect();
    assert_eq!(withdrawn.len(), 1);
    std::fs::remove_file(input.path().join("submissions/09_議会事務局.xlsx")).unwrap();
    let second = build_into(input.path(), out.path(), false);
    assert!(!out.path().join(&withdrawn[0]).exists(), "the old sheet is gone");
    assert_eq!(second.files.iter().filter(|f| f.kind == "item_sheet_pdf").count(), first.run.items.len() - 1);
}
