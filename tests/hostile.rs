//! The hostile-input corpus (`tests/common/corpus.rs`), one test per kind:
//! no panic, no hang, inputs unchanged, the finding the case must give, and
//! a good workbook beside it still read. Then the whole corpus in one
//! folder through a full build, broken plan.toml files, and output safety:
//! cell text never becomes a formula or Typst code.

mod common;
#[path = "common/corpus.rs"]
mod corpus;

use common::{Inputs, simple_workbook};
use gyokaku::engine::{self as build, BuildOptions, Outcome};
use gyokaku::pipeline::Run;
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Loose bound on one run over a bad input: a hang or a quadratic blow-up
/// fails, an ordinary slow machine does not.
const TIME_LIMIT: Duration = Duration::from_secs(60);

const NEIGHBOUR: &str = "02_都市建設部.xlsx";

/// Every file under `dir` with its hash; links and pipes by what they are,
/// never opened (opening a FIFO would block).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            let value = if kind.is_symlink() {
                format!("link → {}", std::fs::read_link(&path).unwrap().display())
            } else if kind.is_dir() {
                stack.push(path.clone());
                "folder".to_string()
            } else if kind.is_file() {
                Sha256::digest(std::fs::read(&path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
            } else {
                "special".to_string()
            };
            out.insert(path, value);
        }
    }
    out
}

/// Runs `f` on a thread and fails if it takes longer than the limit.
fn within_limit<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> (T, Duration) {
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(TIME_LIMIT) {
        Ok(value) => (value, start.elapsed()),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {TIME_LIMIT:?}"),
        Err(e) => panic!("{what}: panicked ({e})"),
    }
}

fn check(name: &str) -> Run {
    let case = corpus::cases().into_iter().find(|c| c.name == name).unwrap();
    let inputs = Inputs::new();
    simple_workbook(&inputs.submission(NEIGHBOUR), "ドローンの配備", None);
    (case.make)(&inputs);
    let before = snapshot(inputs.path());
    let dir = inputs.path().to_path_buf();
    let (run, took) = within_limit(name, move || {
        let config = gyokaku::config::PlanConfig::load(&dir.join("plan.toml")).unwrap();
        gyokaku::pipeline::run(&dir, &config).unwrap()
    });
    eprintln!("{name}: {took:?}");
    assert_eq!(snapshot(inputs.path()), before, "{name}: inputs were modified");
    let found: Vec<(String, String)> = run.findings.iter().map(|f| (f.code.to_string(), f.place())).collect();
    for (code, place) in case.expect {
        assert!(
            found.iter().any(|(c, p)| c == code && p == place),
            "{name}: expected {code} at {place}, found {found:?}"
        );
    }
    // A case with no finding to give is read like any workbook.
    if case.expect.is_empty() {
        assert!(run.items.iter().any(|i| i.source.file == corpus::BAD), "{name}: the workbook was not read: {found:?}");
    }
    // The good workbook beside it is read as if the bad one were not there.
    assert!(run.items.iter().any(|i| i.title == "ドローンの配備" && i.department == "都市建設部"), "{name}: neighbour lost");
    assert!(
        !run.findings.iter().any(|f| f.file == NEIGHBOUR && f.code.starts_with('R')),
        "{name}: the neighbour got a reading finding"
    );
    run
}

macro_rules! corpus_tests {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { check(stringify!($name)); })*
        /// Every case has its test (a case added without one fails here).
        #[test]
        fn every_case_has_a_test() {
            let tested = [$(stringify!($name)),*];
            let cases: Vec<&str> = corpus::cases().iter().map(|c| c.name).collect();
            assert_eq!(cases, tested);
        }
    };
}

corpus_tests!(
    zero_bytes,
    truncated_xlsx,
    random_bytes,
    pdf_renamed,
    zip_of_nothing,
    password_protected,
    zip_bomb,
    zip_bomb_lying_sizes,
    billion_laughs,
    deeply_nested_xml,
    sheet_xml_garbage,
    far_cell,
    far_cells_everywhere,
    claimed_dimension_huge,
    cell_100k_characters,
    formula_errors,
    date_where_a_number_belongs,
    extreme_numbers,
    emoji_and_controls_in_names,
    path_traversal_title,
    reserved_name_title,
    duplicate_workbooks,
    symlink_leaving_the_folder,
    symlink_loop,
    fifo,
    folder_named_like_a_workbook,
    xls_garbage,
    ods_garbage,
    over_the_size_limit,
);

fn item<'a>(run: &'a Run, title_start: &str) -> &'a gyokaku::model::Item {
    run.items.iter().find(|i| i.title.starts_with(title_start)).unwrap_or_else(|| panic!("no item {title_start}"))
}

#[test]
fn extreme_numbers_are_no_number_never_a_prefix() {
    let run = check("extreme_numbers");
    let it = item(&run, "出退勤管理");
    for year in ["R6", "R7"] {
        assert_eq!(it.workload_target[year].value, None, "{year}");
    }
    // "1e999" is not 1 with a note "e999".
    assert_eq!(it.fiscal_target["R8"].value, None);
    assert_eq!(it.fiscal_target["R8"].raw, "1e999");
}

#[test]
fn a_date_in_a_number_cell_is_no_number_and_reads_as_a_date() {
    let run = check("date_where_a_number_belongs");
    let target = &item(&run, "出退勤管理").workload_target["R6"];
    assert_eq!(target.value, None, "not the serial 45383");
    assert_eq!(target.raw, "2024/4/1");
    let finding = run.findings.iter().find(|f| f.code == "N101").unwrap();
    assert!(finding.message.contains("2024/4/1"), "{}", finding.message);
}

#[test]
fn far_cells_leave_the_rest_of_the_sheet_read() {
    let run = check("far_cell");
    assert_eq!(item(&run, "出退勤管理").workload_target["R7"].value, Some(200.0));
    let finding = run.findings.iter().find(|f| f.code == "R016").unwrap();
    assert_eq!(finding.severity, gyokaku::findings::Severity::Warning);
    let run = check("far_cells_everywhere");
    let finding = run.findings.iter().find(|f| f.code == "R016").unwrap();
    assert!(finding.message.contains("ほか199個"), "{}", finding.message);
}

/// A workbook of two item sheets, the second holding a cell whose
/// reference is outside Excel's grid (`reference`).
fn with_reference_outside(reference: &str) -> Vec<u8> {
    let inputs = Inputs::new();
    let path = inputs.submission("01_総務部.xlsx");
    simple_workbook(&path, "出退勤管理の電子化", None);
    let mut parts = common::parts(&std::fs::read(&path).unwrap());
    let (_, sheet) = parts.iter_mut().find(|(n, _)| n == "xl/worksheets/sheet1.xml").unwrap();
    let xml = String::from_utf8(sheet.clone()).unwrap();
    let xml = xml.replacen("</sheetData>", &format!("<row><c r=\"{reference}\"><v>5</v></c></row></sheetData>"), 1);
    *sheet = xml.into_bytes();
    common::repack(&parts)
}

#[test]
fn a_cell_reference_outside_the_grid_is_named_as_written() {
    // Seven letters overflow calamine's column arithmetic; a row past
    // 1,048,576 is no Excel row either. The sheet is not read, the finding
    // names the reference as written, and nothing panics.
    for reference in ["AAAAAAA3", "ZZZZZZZZZZ3", "XFDA3", "C99999999"] {
        let inputs = Inputs::new();
        std::fs::write(inputs.submission("01_総務部.xlsx"), with_reference_outside(reference)).unwrap();
        let run = inputs.run();
        let finding = run.findings.iter().find(|f| f.code == "R001" && f.cell.as_deref() == Some(reference));
        let finding = finding.unwrap_or_else(|| panic!("{reference}: {:?}", run.findings));
        assert!(finding.message.contains(reference) && finding.message.contains("XFD"), "{}", finding.message);
        assert!(run.items.is_empty(), "the sheet is not read");
    }
    // XFD itself and row 1,048,576 are Excel's last column and row: read as far cells.
    let inputs = Inputs::new();
    std::fs::write(inputs.submission("01_総務部.xlsx"), with_reference_outside("XFD1048576")).unwrap();
    let run = inputs.run();
    assert!(!run.findings.iter().any(|f| f.code == "R001"), "{:?}", run.findings);
    assert!(run.findings.iter().any(|f| f.code == "R016"));
}

#[test]
fn escape_sequences_in_sheet_names_do_not_reach_the_terminal() {
    let run = check("emoji_and_controls_in_names");
    let config: gyokaku::config::PlanConfig = toml::from_str(common::PLAN).unwrap();
    let text = gyokaku::validation_report::terminal::render(&run, &config, false);
    assert!(run.findings.iter().any(|f| f.sheet.as_deref().is_some_and(|s| s.contains('\u{1b}'))), "the sheet is named in a finding");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202E}'), "{text}");
    assert!(text.contains("\\u{1B}cシート\\u{7}"), "{text}");
}

#[test]
fn billion_laughs_are_not_expanded() {
    let run = check("billion_laughs");
    let long = run.items.iter().flat_map(|i| [&i.title, &i.situation]).map(|t| t.len()).max().unwrap();
    assert!(long < 10_000, "an entity was expanded to {long} bytes");
}

fn build_into(input: &Path, out: &Path) -> Outcome {
    let options = BuildOptions {
        input_dir: input.to_path_buf(),
        out_dir: out.to_path_buf(),
        templates: None,
        font_paths: Vec::new(),
        handout: false,
        clean: false,
    };
    build::build(&options, &ProgressBar::hidden()).unwrap()
}

/// Every case at once, each in its own subfolder of submissions/, through
/// a full build: every document is made and every file stays in the
/// output folder under a safe name.
#[test]
fn the_whole_corpus_at_once_still_builds_every_document() {
    let all = Inputs::new();
    simple_workbook(&all.submission(NEIGHBOUR), "ドローンの配備", None);
    // Each case's files under a department of their own: of one
    // department's files only the newest is read, and every case is to be.
    let mut plan = std::fs::read_to_string(all.path().join("plan.toml")).unwrap();
    for (i, case) in corpus::cases().into_iter().enumerate() {
        if case.name == "over_the_size_limit" {
            continue; // changes plan.toml; tested on its own
        }
        let department = format!("試験{i}部");
        plan.push_str(&format!("\n[[departments]]\ncode = \"{}\"\nname = \"{department}\"\nsections = [{{ name = \"試験{i}課\" }}]\n", 20 + i));
        let one = Inputs::new();
        (case.make)(&one);
        let from = one.path().join("submissions");
        for entry in std::fs::read_dir(&from).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().replace("総務部", &department);
            std::fs::rename(&path, from.join(name)).unwrap();
        }
        let to = all.submission(case.name);
        std::fs::rename(&from, &to).unwrap();
    }
    std::fs::write(all.path().join("plan.toml"), plan).unwrap();
    let before = snapshot(all.path());
    let out = tempfile::tempdir().unwrap();
    let (input, target) = (all.path().to_path_buf(), out.path().to_path_buf());
    let (outcome, took) = within_limit("whole corpus", move || build_into(&input, &target));
    eprintln!("whole corpus build: {took:?}");
    assert_eq!(snapshot(all.path()), before, "inputs were modified");
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    for kind in ["booklet", "summary_pdf", "priority_list_pdf", "priority_list_xlsx", "items_xlsx", "validation_html", "validation_xlsx", "manifest"] {
        assert!(outcome.files.iter().any(|f| f.kind == kind), "no {kind}");
    }
    let sheets: Vec<&str> = outcome.files.iter().filter(|f| f.kind == "item_sheet_pdf").map(|f| f.path.as_str()).collect();
    assert_eq!(sheets.len(), outcome.run.items.len());
    for file in &outcome.files {
        let path = out.path().join(&file.path);
        assert!(path.canonicalize().unwrap().starts_with(out.path().canonicalize().unwrap()), "{} leaves the folder", file.path);
        assert!(Path::new(&file.path).components().all(|c| matches!(c, std::path::Component::Normal(_))), "{}", file.path);
        assert!(!file.path.chars().any(|c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')), "{:?}", file.path);
    }
    assert!(sheets.iter().any(|p| p.ends_with("_CON.pdf") || p.contains("_CON")), "{sheets:?}");
    assert!(sheets.iter().any(|p| p.contains("🚀電子化") && p.contains("fdp.exe")), "{sheets:?}");
    assert!(sheets.iter().any(|p| p.ends_with("_.._.._.._.._etc_passwd.pdf")), "{sheets:?}");
    // The emoji no font has is reported at its cell and printed as 〓.
    assert!(outcome.run.findings.iter().any(|f| f.code == "T301" && f.message.contains("U+1F680")));
}

#[test]
fn broken_plan_files_are_one_clear_error() {
    for (name, bytes, says) in corpus::plan_cases() {
        let inputs = Inputs::new();
        simple_workbook(&inputs.submission(NEIGHBOUR), "ドローンの配備", None);
        let path = inputs.path().join("plan.toml");
        std::fs::write(&path, &bytes).unwrap();
        let (result, took) = within_limit(name, move || gyokaku::config::PlanConfig::load(&path).map(|_| ()).map_err(|e| e.to_string()));
        let error = result.expect_err(name);
        assert!(error.contains("plan.toml") && error.contains(says), "{name}: {error}");
        assert!(took < Duration::from_secs(5), "{name}: {took:?}");
    }
}

#[test]
fn plan_toml_that_is_not_a_file_is_an_error_not_a_hang() {
    let inputs = Inputs::new();
    let path = inputs.path().join("plan.toml");
    std::fs::remove_file(&path).unwrap();
    std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    let (result, _) = within_limit("fifo plan", move || gyokaku::config::PlanConfig::load(&path).map(|_| ()).map_err(|e| e.to_string()));
    assert!(result.unwrap_err().contains("not a regular file"));
}

/// Text a spreadsheet would take for a formula or a command, in every field.
const FORMULA_LIKE: [&str; 6] = ["=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\",\"y\")", "=cmd|' /C calc'!A0"];

#[test]
fn cell_text_never_becomes_a_formula_in_any_workbook_we_write() {
    let inputs = Inputs::new();
    let mut book = rust_xlsxwriter::Workbook::new();
    let mut rows = common::item_rows(FORMULA_LIKE[0]);
    let set = |rows: &mut Vec<[String; 5]>, label: &str, col: usize, value: &str| {
        rows.iter_mut().find(|r| r[0] == label).unwrap()[col] = value.to_string();
    };
    set(&mut rows, "プラン策定時の現状及び課題認識", 1, FORMULA_LIKE[1]);
    set(&mut rows, "取組の方向性、内容", 1, FORMULA_LIKE[2]);
    set(&mut rows, "3年後の目指す姿（最終目標）", 1, FORMULA_LIKE[3]);
    set(&mut rows, "各年度目標", 1, FORMULA_LIKE[4]);
    set(&mut rows, "財政効果目標額（千円）", 1, FORMULA_LIKE[5]);
    let ws = book.add_worksheet();
    ws.set_name("1").unwrap();
    common::write_rows(ws, &rows, 3, 1);
    book.save(inputs.submission("01_総務部.xlsx")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let outcome = build_into(inputs.path(), out.path());
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    let mut workbooks: Vec<PathBuf> = outcome.files.iter().filter(|f| f.path.ends_with(".xlsx")).map(|f| out.path().join(&f.path)).collect();
    // The progress forms, too.
    for form in gyokaku::progress::forms::department_forms(&outcome.run.items, &outcome.config, "R6").unwrap() {
        let path = out.path().join(format!("form-{}", form.file_name));
        std::fs::write(&path, &form.bytes).unwrap();
        workbooks.push(path);
    }
    assert!(workbooks.len() >= 4, "{workbooks:?}");
    for path in &workbooks {
        let (formulas, strings) = formulas_and_strings(path);
        for text in FORMULA_LIKE {
            let escaped = text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;");
            let plain = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            assert!(
                !formulas.iter().any(|f| f.contains(&text[1..]) || f.contains(&escaped[1..])),
                "{}: {text} became a formula: {formulas:?}",
                path.display()
            );
            let _ = (&strings, plain);
        }
    }
    // The consolidated workbook holds each one as text, as written.
    let items = out.path().join(&outcome.files.iter().find(|f| f.kind == "items_xlsx").unwrap().path);
    let (_, strings) = formulas_and_strings(&items);
    for text in FORMULA_LIKE {
        let plain = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        assert!(strings.contains(&plain) || strings.contains(&plain.replace('"', "&quot;")), "{text} not written as text");
    }
}

/// Every `<f>` element of every sheet, and all the text of sharedStrings
/// and inline strings, of an .xlsx.
fn formulas_and_strings(path: &Path) -> (Vec<String>, String) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut formulas = Vec::new();
    let mut strings = String::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut file, &mut xml).unwrap();
        if name.starts_with("xl/worksheets/") {
            for part in xml.split("<f>").skip(1) {
                formulas.push(part.split("</f>").next().unwrap().to_string());
            }
            strings.push_str(&xml);
        }
        if name == "xl/sharedStrings.xml" {
            strings.push_str(&xml);
        }
    }
    (formulas, strings)
}

#[test]
fn typst_code_in_a_cell_prints_literally_and_reads_no_file() {
    let inputs = Inputs::new();
    let title = "#read(\"/etc/passwd\")";
    let mut book = rust_xlsxwriter::Workbook::new();
    let mut rows = common::item_rows(title);
    rows.iter_mut().find(|r| r[0] == "プラン策定時の現状及び課題認識").unwrap()[1] =
        "#image(\"/etc/passwd\") #include \"/etc/hostname\" #json(\"/data.json\")".into();
    let ws = book.add_worksheet();
    ws.set_name("1").unwrap();
    common::write_rows(ws, &rows, 3, 1);
    book.save(inputs.submission("01_総務部.xlsx")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let outcome = build_into(inputs.path(), out.path());
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    let typesetter = gyokaku::typeset::Typesetter::new(
        gyokaku::typeset::fonts::FontSet::load(&[]).unwrap(),
        gyokaku::typeset::templates::Templates::load(None).unwrap(),
        &outcome.config.document_date(),
    )
    .unwrap();
    let booklet = build::typeset_booklet(&typesetter, &outcome.run.items, &outcome.config).unwrap();
    let text: String = gyokaku::typeset::page_texts(&booklet.document).concat().chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains("#read(\"/etc/passwd\")"), "the title prints as written");
    assert!(text.contains("#image(\"/etc/passwd\")#include\"/etc/hostname\""), "prose prints as written");
    assert!(!text.contains("root:x:0:0"), "/etc/passwd was read into the document");
}

/// Writes the corpus as input folders, one per case, into
/// `$GYOKAKU_CORPUS_DIR` (fuzzing seeds, manual runs):
/// `GYOKAKU_CORPUS_DIR=/tmp/corpus cargo test --release --test hostile -- --ignored write_corpus`
#[test]
#[ignore]
fn write_corpus() {
    let dir = PathBuf::from(std::env::var("GYOKAKU_CORPUS_DIR").expect("set GYOKAKU_CORPUS_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    corpus::make_corpus(&dir);
}

/// Results of 1e308 and 1e999 in a progress round: findings at their
/// cells (P403), and the progress report is still typeset.
#[test]
fn extreme_results_in_a_progress_round_still_make_the_report() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let input = tempfile::tempdir().unwrap();
    std::fs::copy(sample.join("plan.toml"), input.path().join("plan.toml")).unwrap();
    let status = std::process::Command::new("cp").arg("-r").arg(sample.join("submissions")).arg(input.path()).status().unwrap();
    assert!(status.success());
    let round = input.path().join("progress/R6");
    std::fs::create_dir_all(&round).unwrap();
    let config = gyokaku::config::PlanConfig::load(&sample.join("plan.toml")).unwrap();
    let mut run = gyokaku::pipeline::run(&sample, &config).unwrap();
    let amount = |raw: &str, value: Option<f64>| gyokaku::model::Amount { value, note: String::new(), raw: raw.into(), number_cell: value.is_some() };
    for item in &mut run.items {
        item.results.clear();
        let (workload, fiscal) = match item.number % 3 {
            0 => (amount("1e308", Some(1e308)), amount("-1.7e308", Some(-1.7e308))),
            1 => (amount("1e999", None), amount("9e15", Some(9e15))),
            _ => (amount("120", Some(120.0)), amount("△30", Some(-30.0))),
        };
        let result = gyokaku::model::YearResult { workload_result: workload, fiscal_result: fiscal, evaluation: "A".into(), ..Default::default() };
        item.results.insert("R6".into(), result);
    }
    for form in gyokaku::progress::forms::filled_forms(&run.items, &config, "R6").unwrap() {
        std::fs::write(round.join(&form.file_name), &form.bytes).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let (input_dir, target) = (input.path().to_path_buf(), out.path().to_path_buf());
    let (outcome, took) = within_limit("progress round", move || build_into(&input_dir, &target));
    eprintln!("progress round with extreme results: {took:?}");
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    assert!(outcome.files.iter().any(|f| f.kind == "progress_report_pdf"));
    let p403 = outcome.run.findings.iter().filter(|f| f.code == "P403").count();
    assert!(p403 >= run.items.len() * 2 / 3, "{p403} P403 findings");
    for item in &outcome.run.items {
        if let Some(r) = item.results.get("R6") {
            for a in [&r.workload_result, &r.fiscal_result] {
                assert!(a.value.is_none_or(|v| v.abs() <= 1e12), "item {}: {:?}", item.number, a);
            }
        }
    }
}
