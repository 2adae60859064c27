//! 差し戻し: each department's own workbook sent back with its findings
//! marked. Inputs stay untouched, every original value reads back the same,
//! and each finding is a note on its cell.

mod common;

use calamine::{Reader, Xlsx, open_workbook_auto};
use gyokaku::config::PlanConfig;
use gyokaku::pipeline;
use gyokaku::validation_report::returns;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")
}

/// sha256 of every file under `dir`, by path.
fn hashes(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let digest = Sha256::digest(std::fs::read(&path).unwrap());
                out.insert(path, digest.iter().map(|b| format!("{b:02x}")).collect());
            }
        }
    }
    out
}

fn part(bytes: &[u8], name: &str) -> Option<String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut file = zip.by_name(name).ok()?;
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    Some(text)
}

fn part_names(bytes: &[u8]) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len()).map(|i| zip.by_index_raw(i).unwrap().name().unwrap().to_string()).collect()
}

/// Raw bytes of a part.
fn raw(bytes: &[u8], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut data = Vec::new();
    zip.by_name(name).unwrap().read_to_end(&mut data).unwrap();
    data
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[test]
fn validate_sends_back_marked_copies_and_leaves_inputs_alone() {
    let before = hashes(&sample_dir());
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_gyokaku"))
        .args(["validate", &sample_dir().to_string_lossy(), "--report", &out.path().to_string_lossy()])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    assert_eq!(hashes(&sample_dir()), before, "inputs are never modified");

    let config = PlanConfig::load(&sample_dir().join("plan.toml")).unwrap();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let folder = out.path().join("差し戻し");
    // Every department with a finding has its return, named NN_部名.
    for department in &config.departments {
        let has = run.findings.iter().any(|f| f.department == department.name);
        let path = folder.join(format!("{}_{}_差し戻し.xlsx", department.code, department.name));
        assert_eq!(path.is_file(), has, "{}", path.display());
    }

    let file = "01_総務部.xlsx";
    let original = std::fs::read(sample_dir().join("submissions").join(file)).unwrap();
    let marked = std::fs::read(folder.join("01_総務部_差し戻し.xlsx")).unwrap();

    // The listing first, then every original sheet with the same values.
    let mut old: Xlsx<_> = Xlsx::new(Cursor::new(original.clone())).unwrap();
    let mut new: Xlsx<_> = Xlsx::new(Cursor::new(marked.clone())).unwrap();
    let old_names = old.sheet_names();
    let mut expected = vec!["指摘一覧".to_string()];
    expected.extend(old_names.iter().cloned());
    assert_eq!(new.sheet_names(), expected);
    for name in &old_names {
        assert_eq!(old.worksheet_range(name).unwrap(), new.worksheet_range(name).unwrap(), "values of sheet {name}");
    }

    // Sheets with no marked cell are the same bytes; marked ones keep their
    // columns and merges.
    let findings: Vec<_> = run.findings.iter().filter(|f| f.file == file).collect();
    let marked_sheets: Vec<&str> = findings.iter().filter(|f| f.cell.is_some()).filter_map(|f| f.sheet.as_deref()).collect();
    for (i, name) in old_names.iter().enumerate() {
        // rust_xlsxwriter names parts in sheet order.
        let part_name = format!("xl/worksheets/sheet{}.xml", i + 1);
        let before = raw(&original, &part_name);
        let after = raw(&marked, &part_name);
        if marked_sheets.contains(&name.as_str()) {
            let between = |xml: &str, tag: &str| xml.split(&format!("<{tag}")).nth(1).map(|s| s.split(&format!("</{tag}>")).next().unwrap().to_string());
            let (b, a) = (String::from_utf8(before).unwrap(), String::from_utf8(after).unwrap());
            assert_eq!(between(&b, "cols"), between(&a, "cols"), "column widths of {name}");
            assert_eq!(between(&b, "mergeCells"), between(&a, "mergeCells"), "merges of {name}");
            assert!(a.contains("<legacyDrawing r:id="), "{name} has its notes");
        } else if !is_selected(&before) {
            assert_eq!(before, after, "sheet {name} is untouched");
        }
    }
    for name in part_names(&original) {
        if !name.starts_with("xl/worksheets/") && !["xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"].contains(&name.as_str()) {
            assert_eq!(raw(&original, &name), raw(&marked, &name), "{name} is copied as it was");
        }
    }

    // Each finding with a cell is a note on that cell, saying what and how.
    let workbook = part(&marked, "xl/workbook.xml").unwrap();
    assert!(workbook.find("name=\"指摘一覧\"").unwrap() < workbook.find("name=\"優先順位一覧\"").unwrap());
    let mut noted = 0;
    for f in findings.iter().filter(|f| f.cell.is_some()) {
        let index = old_names.iter().position(|n| Some(n.as_str()) == f.sheet.as_deref()).unwrap();
        let rels = part(&marked, &format!("xl/worksheets/_rels/sheet{}.xml.rels", index + 1)).unwrap();
        let target = rels.split("Target=\"../").find(|s| s.starts_with("comments")).unwrap().split('"').next().unwrap();
        let comments = part(&marked, &format!("xl/{target}")).unwrap();
        let cell = f.cell.as_deref().unwrap();
        let at = comments.find(&format!("<comment ref=\"{cell}\"")).unwrap_or_else(|| panic!("no note on {cell}"));
        let note = &comments[at..at + comments[at..].find("</comment>").unwrap()];
        assert!(note.contains(&escape(&f.message)), "{note}");
        assert!(note.contains(f.code));
        // The cell is coloured by a conditional format of the tool's (its
        // own format unchanged), in the severity's colour.
        let sheet = part(&marked, &format!("xl/worksheets/sheet{}.xml", index + 1)).unwrap();
        let original_sheet = String::from_utf8(raw(&original, &format!("xl/worksheets/sheet{}.xml", index + 1))).unwrap();
        let style = |xml: &str| xml.split(&format!("<c r=\"{cell}\"")).nth(1).map(|t| t.split('>').next().unwrap().to_string());
        assert_eq!(style(&sheet), style(&original_sheet), "{cell}: its own format");
        let block = sheet
            .split("<conditionalFormatting sqref=\"")
            .skip(1)
            .find(|b| b.split('"').next().unwrap().split(' ').any(|c| c == cell))
            .unwrap_or_else(|| panic!("{cell} is not coloured"));
        assert!(block.contains("gyokaku:指摘"), "{block}");
        let dxf: usize = block.split("dxfId=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
        let styles = part(&marked, "xl/styles.xml").unwrap();
        let dxfs = styles.split("<dxfs").nth(1).unwrap().split("</dxfs>").next().unwrap();
        let dxf_xml = dxfs.split("<dxf>").nth(dxf + 1).unwrap();
        assert!(["FFFFC7CE", "FFFFEB9C", "FFDDEBF7"].iter().any(|c| dxf_xml.contains(c)), "{cell}: {dxf_xml}");
        noted += 1;
    }
    assert!(noted > 0);

    // The listing: one row per finding, the cell a link to it.
    let listing = new.worksheet_range("指摘一覧").unwrap();
    // Column C holds each finding's code; the rows past them hold only the
    // 課 list to their right (I:J).
    let codes: Vec<String> = (3..listing.height()).map(|r| listing.get_value((r as u32, 2)).map(|v| v.to_string()).unwrap_or_default()).filter(|c| !c.is_empty()).collect();
    assert_eq!(listing.get_value((3, 9)).map(|v| v.to_string()).as_deref(), Some("総務課"), "the 課 list, the department's own first");
    let own_and_loose = run.findings.iter().filter(|f| f.department == "総務部" && (f.file == file || !f.file.ends_with(".xlsx"))).count();
    assert_eq!(codes.len(), own_and_loose);
    let listing_xml = part(&marked, "xl/worksheets/findings1.xml").unwrap();
    let f = findings.iter().find(|f| f.cell.is_some()).unwrap();
    assert!(listing_xml.contains(&format!("location=\"'{}'!{}\"", f.sheet.as_deref().unwrap(), f.cell.as_deref().unwrap())), "link to the cell");
}

/// True when the sheet is the one selected in the original (it loses its
/// selection to the listing).
fn is_selected(sheet: &[u8]) -> bool {
    String::from_utf8_lossy(sheet).contains("tabSelected=\"1\"")
}

#[test]
fn returns_are_the_same_bytes_each_run_and_progress_forms_get_theirs() {
    let config = PlanConfig::load(&sample_dir().join("plan.toml")).unwrap();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let first = returns::render(&run, &config, &sample_dir()).unwrap();
    let second = returns::render(&run, &config, &sample_dir()).unwrap();
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.path, b.path);
        assert!(a.bytes == b.bytes, "{} differs between runs", a.path);
    }
    // A finding on a progress form marks the form, in a file of its own.
    let progress = run.findings.iter().find(|f| f.file.starts_with("progress/") && f.file.ends_with(".xlsx")).unwrap();
    let back = first.iter().find(|r| r.source.as_deref() == Some(progress.file.as_str())).unwrap();
    assert!(back.path.ends_with("_R6進捗報告_差し戻し.xlsx"), "{}", back.path);
    assert!(back.marked > 0 || progress.cell.is_none());
}

#[test]
fn an_ods_gets_the_listing_alone_and_old_returns_go_when_fixed() {
    let inputs = common::Inputs::new();
    // An .ods that cannot be read: its finding still goes back to its department.
    std::fs::write(inputs.submission("02_都市建設部.ods"), b"not a spreadsheet").unwrap();
    let out = tempfile::tempdir().unwrap();
    let validate = || {
        Command::new(env!("CARGO_BIN_EXE_gyokaku"))
            .args(["validate", &inputs.path().to_string_lossy(), "--report", &out.path().to_string_lossy()])
            .output()
            .unwrap()
    };
    validate();
    let path = out.path().join("差し戻し/02_都市建設部_差し戻し.xlsx");
    let mut book = open_workbook_auto(&path).unwrap();
    assert_eq!(book.sheet_names(), ["指摘一覧"]);
    let range = book.worksheet_range("指摘一覧").unwrap();
    assert!(range.get_value((1, 0)).unwrap().to_string().contains(".ods 形式"));
    let codes: Vec<String> = (3..range.height()).map(|r| range.get_value((r as u32, 2)).map(|v| v.to_string()).unwrap_or_default()).filter(|c| !c.is_empty()).collect();
    assert_eq!(codes, ["R001"]);
    assert_eq!(range.get_value((3, 8)).map(|v| v.to_string()).as_deref(), Some("都市建設部"), "the 課 list beside the listing alone");

    // Fixed: the file is gone from the submissions, and so is its return.
    std::fs::remove_file(inputs.submission("02_都市建設部.ods")).unwrap();
    validate();
    assert!(!path.exists());
}

/// Text as the HTML template escapes it.
fn html_escape(text: &str) -> String {
    escape(text).replace('\'', "&#x27;").replace('/', "&#x2f;")
}

/// Text with line breaks and spaces removed, for "does this page say X".
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn each_department_has_a_page_to_forward_html_and_pdf() {
    let out = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_gyokaku"))
        .args(["validate", &sample_dir().to_string_lossy(), "--report", &out.path().to_string_lossy()])
        .output()
        .unwrap();
    let config = PlanConfig::load(&sample_dir().join("plan.toml")).unwrap();
    let run = pipeline::run(&sample_dir(), &config).unwrap();
    let main = std::fs::read_to_string(out.path().join("validation.html")).unwrap();
    for department in &config.departments {
        let stem = format!("{}_{}", department.code, department.name);
        let html = std::fs::read_to_string(out.path().join(format!("差し戻し/{stem}_確認結果.html"))).unwrap();
        assert!(main.contains(&format!("href=\"差し戻し&#x2f;{stem}_確認結果.html\"")), "the report links to {stem}");
        assert!(html.contains(&format!("<h2 id=\"dept-1\">{}</h2>", department.name)));
        assert_eq!(html.matches("<h2 ").count(), 1, "{stem}: one department only");
        // Its own findings, and none of another department's files.
        for f in &run.findings {
            let place = format!("{}{}", f.file, f.sheet.as_deref().map(|s| format!(" › {s}")).unwrap_or_default());
            let shown = html.contains(&html_escape(&place));
            if f.department == department.name {
                assert!(html.contains(f.code) && shown, "{stem}: {f}");
            } else if f.file.ends_with(".xlsx") && !f.file.contains(&department.name) {
                assert!(!html.contains(&html_escape(&f.file)) || f.file == "plan.toml", "{stem} shows {}", f.file);
            }
        }
        assert!(out.path().join(format!("差し戻し/{stem}_確認結果.pdf")).is_file());
    }

    // The PDF says who it is for, each finding with its place and fix.
    use gyokaku::documents::department_report::DepartmentReportData;
    use gyokaku::typeset::{Typesetter, fonts::FontSet, page_texts, templates::Templates};
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), &config.document_date()).unwrap();
    let groups = gyokaku::validation_report::by_department(&run, &config);
    let group = groups.iter().find(|g| g.department == "都市建設部").unwrap();
    let data = DepartmentReportData::new(&config, &group.department, &group.files, group.items, &group.findings, Some("07_都市建設部_差し戻し.xlsx"));
    let compiled = typesetter.compile("department_report.typ", &data).unwrap();
    let texts = page_texts(&compiled.document);
    assert!(texts.len() <= 2, "a department of the sample fits a page or two: {}", texts.len());
    let page: String = texts.iter().map(|t| squash(t)).collect();
    assert!(page.contains("都市建設部提出内容の確認結果"));
    assert!(page.contains("07_都市建設部_差し戻し.xlsx"));
    for f in &group.findings {
        assert!(page.contains(&squash(&f.message)), "{}", f.message);
        if let (Some(sheet), Some(cell)) = (&f.sheet, &f.cell) {
            assert!(page.contains(&squash(&format!("{} › {sheet} › {cell}", f.file))));
        }
    }
    let errors = group.findings.iter().filter(|f| f.severity == gyokaku::findings::Severity::Error).count();
    assert!(page.contains(&format!("エラー{errors}件")));
}

#[test]
fn a_sheet_with_notes_of_its_own_keeps_them_and_gets_ours() {
    let inputs = common::Inputs::new();
    let path = inputs.submission("01_総務部.xlsx");
    let write = |notes: &[(u32, u16, &str)]| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = common::add_item_sheet(&mut book, "出退勤管理の電子化");
        for (row, col, text) in notes {
            ws.insert_note(*row, *col, &rust_xlsxwriter::Note::new(*text)).unwrap();
        }
        book.save(&path).unwrap();
    };
    write(&[]);
    let run = inputs.run();
    let finding = run.findings.iter().find(|f| f.sheet.as_deref() == Some("1") && f.cell.is_some()).unwrap();
    let cell = finding.cell.clone().unwrap();
    let (row, col) = {
        let letters: String = cell.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        (cell[letters.len()..].parse::<u32>().unwrap() - 1, (letters.as_bytes()[0] - b'A') as u16)
    };
    // The department's own notes: one on the finding's cell, one elsewhere.
    write(&[(row, col, "部の確認メモ"), (0, 0, "様式の版")]);
    let original = std::fs::read(&path).unwrap();

    let config = PlanConfig::load(&inputs.path().join("plan.toml")).unwrap();
    let run = pipeline::run(inputs.path(), &config).unwrap();
    let back = returns::render(&run, &config, inputs.path()).unwrap();
    let marked = &back.iter().find(|r| r.source.as_deref() == Some("01_総務部.xlsx")).unwrap().bytes;
    let sheet = part(marked, "xl/worksheets/sheet1.xml").unwrap();
    assert_eq!(sheet.matches("<legacyDrawing").count(), 1);
    let rels = part(marked, "xl/worksheets/_rels/sheet1.xml.rels").unwrap();
    assert_eq!(rels.matches("/comments\"").count(), 1, "{rels}");
    let comments = part(marked, "xl/comments1.xml").unwrap();
    let on_cell = &comments[comments.find(&format!("<comment ref=\"{cell}\"")).unwrap()..];
    let on_cell = &on_cell[..on_cell.find("</comment>").unwrap()];
    assert!(on_cell.contains("部の確認メモ") && on_cell.contains(&escape(&finding.message)), "{on_cell}");
    assert!(comments.contains("様式の版"));
    // Every finding cell has a note, and the drawing a shape per note.
    let cells: std::collections::BTreeSet<&str> = run.findings.iter().filter(|f| f.file == "01_総務部.xlsx" && f.sheet.as_deref() == Some("1")).filter_map(|f| f.cell.as_deref()).collect();
    for c in &cells {
        assert!(comments.contains(&format!("<comment ref=\"{c}\"")), "{c}");
    }
    let vml = part(marked, "xl/drawings/vmlDrawing1.vml").unwrap();
    let ids: Vec<&str> = vml.split("<v:shape id=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(ids.len(), comments.matches("<comment ref=").count());
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    // And the values are as they were.
    let mut old: Xlsx<_> = Xlsx::new(Cursor::new(original)).unwrap();
    let mut new: Xlsx<_> = Xlsx::new(Cursor::new(marked.clone())).unwrap();
    assert_eq!(old.worksheet_range("1").unwrap(), new.worksheet_range("1").unwrap());
}
