//! `gyokaku build`: the booklet's pages and links, the priority list, the
//! workbooks read back with calamine, the manifest, reproducible bytes, and
//! user text that must print literally.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{Inputs, item_rows, write_rows};
use gyokaku::engine::{self as build, BuildOptions, Outcome, typeset_booklet};
use gyokaku::config::PlanConfig;
use gyokaku::format::format_number;
use gyokaku::model::Item;
use gyokaku::typeset::fonts::FontSet;
use gyokaku::typeset::templates::Templates;
use gyokaku::typeset::{Compiled, Typesetter, labelled_metadata, page_texts};
use indicatif::ProgressBar;
use rust_xlsxwriter::Workbook;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")
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

/// The sample built once for every test that only reads it.
struct Sample {
    out: tempfile::TempDir,
    outcome: Outcome,
    booklet: Compiled,
    texts: Vec<String>,
    /// 項目番号 → 1-based page its sheet starts on.
    item_pages: BTreeMap<u32, usize>,
}

static SAMPLE: LazyLock<Sample> = LazyLock::new(|| {
    let out = tempfile::tempdir().unwrap();
    let outcome = build_into(&sample_dir(), out.path());
    let booklet = typeset(&outcome.run.items, &outcome.config);
    let texts = page_texts(&booklet.document);
    let item_pages = item_pages(&booklet);
    Sample { out, outcome, booklet, texts, item_pages }
});

fn typeset(items: &[Item], config: &PlanConfig) -> Compiled {
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), &config.document_date()).unwrap();
    typeset_booklet(&typesetter, items, config).unwrap()
}

fn item_pages(booklet: &Compiled) -> BTreeMap<u32, usize> {
    labelled_metadata(&booklet.document, "item-start")
        .into_iter()
        .map(|(value, page)| (value.cast::<i64>().unwrap() as u32, page))
        .collect()
}

/// Text with line breaks and spaces removed, for "does this page say X".
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn manifest_entry<'a>(outcome: &'a Outcome, kind: &str) -> &'a build::ManifestEntry {
    outcome.files.iter().find(|f| f.kind == kind).unwrap_or_else(|| panic!("no {kind} in manifest"))
}

#[test]
fn booklet_pages_are_front_matter_list_and_one_sheet_per_item() {
    let s = &*SAMPLE;
    let pages = s.booklet.document.pages().len();
    assert_eq!(manifest_entry(&s.outcome, "booklet").pages, Some(pages));
    // Front matter: cover, 目次, then the organisation table and the list,
    // each as many pages as carry its (repeated) header.
    let org_pages = s.texts.iter().filter(|t| t.contains("所属課") && t.contains("提案件数")).count();
    let list_pages = s.texts.iter().filter(|t| squash(t).contains("ページ番号部局名優先順位")).count();
    assert!(org_pages >= 1 && list_pages >= 2, "org {org_pages}, list {list_pages}");
    // A 部 whose sections run onto the next page is named again there.
    for page in s.texts.iter().filter(|t| t.contains("所属課") && t.contains("提案件数")).skip(1) {
        assert!(squash(page).contains("（続き）"), "continued 組織一覧 page: {page}");
    }
    // Every sample item fits one page.
    let items = s.outcome.run.items.len();
    assert_eq!(items, 91);
    assert_eq!(pages, 2 + org_pages + list_pages + items);
    assert_eq!(*s.item_pages.values().min().unwrap(), 2 + org_pages + list_pages + 1);
    assert!(squash(&s.texts[0]).contains("飯塚市行政経営戦略推進プラン"));
    assert!(squash(&s.texts[0]).contains("令和5(2023)年8月"), "cover date: {}", s.texts[0]);
    assert!(s.texts.iter().all(|t| t.contains("資料2")), "資料番号 stamp on every page");
}

#[test]
fn every_item_appears_once_on_the_page_its_list_row_names() {
    let s = &*SAMPLE;
    let numbers: Vec<u32> = s.item_pages.keys().copied().collect();
    assert_eq!(numbers, (1..=91).collect::<Vec<u32>>(), "each 項目番号 exactly once");
    let list_text: String = s.texts[..s.item_pages[&1] - 1].iter().map(|t| squash(t)).collect();
    for item in &s.outcome.run.items {
        let page = s.item_pages[&item.number];
        let text = squash(&s.texts[page - 1]);
        assert!(text.contains(&squash(&item.title)), "page {page} should show item {} {}", item.number, item.title);
        assert!(text.contains(&format!("-{}-", item.number)), "page {page} footer should read - {} -", item.number);
        // The 素案 is the plan: the sample round's example results stay out.
        assert!(!text.contains("記入例"), "page {page} shows results");
        // The list row: number, then department and priority, then the
        // title as the department's list wrote it.
        assert!(list_text.contains(&squash(item.list_title.as_deref().unwrap_or(&item.title))));
        // Titles repeat across items only where the seed repeats them.
        let same_title = s.outcome.run.items.iter().filter(|i| i.title == item.title).count();
        let occurrences = s.texts[s.item_pages[&1] - 1..].iter().filter(|t| squash(t).contains(&squash(&item.title))).count();
        assert!(occurrences >= same_title);
    }
    // 入札 is sheet 6, as in the seed; the unlisted 議会事務局 sheet comes after the 企業局 ones.
    let nyusatsu = s.outcome.run.items.iter().find(|i| i.title.contains("入札参加資格")).unwrap();
    assert_eq!(nyusatsu.number, 6);
}

#[test]
fn bookmarks_and_items_with_errors_are_marked() {
    let s = &*SAMPLE;
    let flagged: Vec<&Item> = s.outcome.run.items.iter().filter(|i| i.has_errors).collect();
    assert!(!flagged.is_empty());
    for item in &s.outcome.run.items {
        let text = &s.texts[s.item_pages[&item.number] - 1];
        assert_eq!(text.contains("要確認"), item.has_errors, "item {}", item.number);
    }
    // The drone item's list row has the 大分類 error; the sheet is marked.
    assert!(flagged.iter().any(|i| i.title.contains("ドローン")));

    // PDF bookmarks: one per part, department and item.
    let pdf = std::fs::read(s.out.path().join(&manifest_entry(&s.outcome, "booklet").path)).unwrap();
    let titles = outline_titles(&pdf);
    for item in &s.outcome.run.items {
        let wanted = format!("{}\u{3000}{}", item.number, item.title);
        assert!(titles.contains(&wanted), "no bookmark {wanted}");
    }
    for label in ["01総務部", "08企業局", "10教育部", "取組項目及び優先順位一覧", "目次"] {
        assert!(titles.iter().any(|t| t == label), "no bookmark {label}");
    }
}

/// The /Title strings of a PDF's outline entries, in order, read from the
/// catalog's /Outlines tree (the objects sit in compressed object streams).
fn outline_titles(pdf: &[u8]) -> Vec<String> {
    use hayro_syntax::object::{Dict, String as PdfString};
    fn walk(mut node: Option<Dict<'_>>, titles: &mut Vec<String>) {
        while let Some(entry) = node {
            let title = entry.get::<PdfString>("Title").expect("outline entry with a /Title");
            let bytes = title.as_bytes();
            titles.push(match bytes.strip_prefix(b"\xFE\xFF") {
                Some(utf16) => String::from_utf16_lossy(&utf16.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect::<Vec<u16>>()),
                None => String::from_utf8_lossy(bytes).into_owned(),
            });
            assert!(titles.len() < 100_000, "outline loops");
            walk(entry.get::<Dict>("First"), titles);
            node = entry.get::<Dict>("Next");
        }
    }
    let pdf = hayro_syntax::Pdf::new(pdf.to_vec()).expect("PDF reads");
    let catalog: Dict = pdf.xref().get(pdf.xref().root_id()).expect("catalog");
    let mut titles = Vec::new();
    walk(catalog.get::<Dict>("Outlines").and_then(|outlines| outlines.get::<Dict>("First")), &mut titles);
    titles
}

#[test]
fn workbooks_read_back_equal_the_model() {
    let s = &*SAMPLE;
    let items = &s.outcome.run.items;
    let path = s.out.path().join(&manifest_entry(&s.outcome, "items_xlsx").path);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let names = book.sheet_names();
    assert_eq!(names[0], "目次");
    assert_eq!(names[1], "項目一覧");
    assert_eq!(names.len(), 2 + items.len());

    let flat = book.worksheet_range("項目一覧").unwrap();
    let header: Vec<String> = flat.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let workload_r7 = col("業務量削減目標値（時間） 令和7年度");
    let fiscal_total = col("財政効果目標額 計（千円）");
    for (item, row) in items.iter().zip(flat.rows().skip(1)) {
        assert_eq!(row[col("項目番号")], Data::Float(item.number as f64));
        assert_eq!(row[col("取組項目名")].to_string(), item.title);
        assert_eq!(row[col("大分類")].to_string(), item.daibunrui);
        match item.workload_target.get("R7") {
            Some(a) if a.value.is_some() && a.note.is_empty() => assert_eq!(row[workload_r7], Data::Float(a.value.unwrap()), "item {}", item.number),
            _ => assert!(!matches!(row[workload_r7], Data::Float(_))),
        }
        if item.fiscal_target.values().any(|a| a.value.is_some()) {
            assert_eq!(row[fiscal_total], Data::Float(item.fiscal_target.values().filter_map(|a| a.value).sum()));
        }
    }
    assert_eq!(flat.rows().count(), 1 + items.len());

    // A 個票 sheet: title, 項目番号 and targets where the layout puts them.
    let item = items.iter().find(|i| i.workload_target.values().any(|a| a.value.is_some())).unwrap();
    let sheet = book.worksheet_range(&item.number.to_string()).unwrap();
    let cells: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let find = |label: &str| cells.iter().position(|r| r.get(1).map(String::as_str) == Some(label)).unwrap();
    assert_eq!(cells[find("取組項目名")][2], item.title);
    assert_eq!(cells[0].last().unwrap(), &item.number.to_string());
    let workload = &cells[find("業務量削減目標値（時間）")];
    for (i, year) in ["R6", "R7", "R8"].iter().enumerate() {
        if let Some(v) = item.workload_target.get(*year).and_then(|a| a.value) {
            assert_eq!(workload[2 + i].parse::<f64>().unwrap(), v);
        }
    }

    // The priority list workbook: one row per item under the header.
    let path = s.out.path().join(&manifest_entry(&s.outcome, "priority_list_xlsx").path);
    let mut list: Xlsx<_> = open_workbook(&path).unwrap();
    let range = list.worksheet_range("優先順位一覧").unwrap();
    let rows: Vec<_> = range.rows().collect();
    let header = rows.iter().position(|r| r.first().map(|c| c.to_string()) == Some("ページ番号".into())).unwrap();
    let data = &rows[header + 1..];
    assert_eq!(data.len(), items.len());
    for (item, row) in items.iter().zip(data) {
        assert_eq!(row[0], Data::Float(item.number as f64));
        assert_eq!(row[3].to_string(), item.list_title.as_deref().unwrap_or(&item.title));
        match item.priority {
            Some(p) => assert_eq!(row[2], Data::Float(p as f64)),
            None => assert_eq!(row[2].to_string(), ""),
        }
    }
}

#[test]
fn consolidated_item_sheets_read_back_as_the_same_items() {
    // The 個票 sheets are in the layout the reader understands: fed back in
    // as a submission, every field and target comes out as it went in.
    let s = &*SAMPLE;
    let inputs = tempfile::tempdir().unwrap();
    std::fs::copy(sample_dir().join("plan.toml"), inputs.path().join("plan.toml")).unwrap();
    std::fs::create_dir(inputs.path().join("submissions")).unwrap();
    let workbook = s.out.path().join(&manifest_entry(&s.outcome, "items_xlsx").path);
    std::fs::copy(workbook, inputs.path().join("submissions").join("01_総務部.xlsx")).unwrap();
    let config = PlanConfig::load(&inputs.path().join("plan.toml")).unwrap();
    let again = gyokaku::pipeline::run(inputs.path(), &config).unwrap();
    assert_eq!(again.items.len(), s.outcome.run.items.len());
    // As written: the sample's decisions (a row of △ read as reductions)
    // answer the departments' files, not this one.
    let values = |m: &BTreeMap<String, gyokaku::model::Amount>| {
        m.iter().map(|(y, a)| (y.clone(), gyokaku::ingest::amount::written_value(a, gyokaku::ingest::amount::Unit::Hours))).collect::<Vec<_>>()
    };
    for item in &s.outcome.run.items {
        let back = again.items.iter().find(|i| i.source.sheet == item.number.to_string()).unwrap();
        assert_eq!(back.title, item.title);
        assert_eq!((&back.daibunrui, &back.shobunrui), (&item.daibunrui, &item.shobunrui));
        assert_eq!(back.primary_sections, item.primary_sections);
        assert_eq!((&back.situation, &back.approach, &back.goal), (&item.situation, &item.approach, &item.goal));
        assert_eq!(back.plan_rows, item.plan_rows, "item {}", item.number);
        assert_eq!(values(&back.workload_target), values(&item.workload_target), "item {}", item.number);
        assert_eq!(values(&back.fiscal_target), values(&item.fiscal_target), "item {}", item.number);
        // What the department wrote survives: 各年度目標 text, every 備考,
        // targets as written, names as written.
        assert_eq!(back.yearly_goals, item.yearly_goals, "item {}", item.number);
        assert_eq!(back.target_remarks, item.target_remarks, "item {}", item.number);
        assert_eq!(back.written, item.written, "item {}", item.number);
        // (A plain number typed as text, △1500, is stored as a number cell
        // and shows with a separator, △1,500.)
        let written = |m: &BTreeMap<String, gyokaku::model::Amount>| m.values().map(|a| gyokaku::format::as_written(a).replace(',', "")).collect::<Vec<_>>();
        assert_eq!(written(&back.fiscal_target), written(&item.fiscal_target), "item {}", item.number);
        assert_eq!(written(&back.workload_target), written(&item.workload_target), "item {}", item.number);
    }
    // The seed's remarks beside the targets are among them.
    let remarks: Vec<String> = s.outcome.run.items.iter().flat_map(|i| [i.target_remarks.yearly_goals.clone(), i.target_remarks.workload.clone(), i.target_remarks.fiscal.clone()]).collect();
    for remark in ["年額360千円", "各年度売上目標3%増", "職員数を50名とした場合", "受注者の協力が必要となる。"] {
        assert!(remarks.iter().any(|r| r.contains(remark)), "{remark}");
    }
}

#[test]
fn manifest_lists_every_file_with_its_hash() {
    let s = &*SAMPLE;
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.out.path().join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    let kinds: Vec<&str> = files.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    for kind in ["booklet", "priority_list_pdf", "priority_list_xlsx", "items_xlsx", "validation_html", "validation_xlsx", "return_xlsx", "department_html", "department_pdf"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    for f in files {
        let bytes = std::fs::read(s.out.path().join(f["path"].as_str().unwrap())).unwrap();
        let digest: String = <sha2::Sha256 as sha2::Digest>::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(f["sha256"].as_str().unwrap(), digest);
        let is_pdf = f["path"].as_str().unwrap().ends_with(".pdf");
        assert_eq!(f.get("pages").is_some(), is_pdf);
        if is_pdf {
            assert!(bytes.starts_with(b"%PDF-"));
        }
    }
    assert_eq!(manifest["items"], 91);
    // Japanese names from plan.toml.
    assert!(kinds.iter().zip(files).any(|(k, f)| *k == "booklet" && f["path"] == "行政経営戦略推進プラン（素案）.pdf"));
}

#[test]
fn pdfs_carry_title_language_and_tags() {
    let s = &*SAMPLE;
    let bytes = std::fs::read(s.out.path().join(&manifest_entry(&s.outcome, "booklet").path)).unwrap();
    // Read through the catalog: its dictionary sits in a compressed object stream.
    let pdf = hayro_syntax::Pdf::new(bytes).expect("PDF reads");
    let catalog: hayro_syntax::object::Dict = pdf.xref().get(pdf.xref().root_id()).expect("catalog");
    assert!(catalog.get::<hayro_syntax::object::Dict>("StructTreeRoot").is_some(), "tagged PDF");
    assert!(catalog.get::<hayro_syntax::object::String>("Lang").is_some_and(|lang| !lang.as_bytes().is_empty()), "document language");
    let xmp = catalog.get::<hayro_syntax::object::Stream>("Metadata").expect("XMP metadata").decoded().unwrap().into_owned();
    assert!(String::from_utf8_lossy(&xmp).contains("pdfuaid"), "PDF/UA-1 identification in XMP");
}

#[test]
fn two_builds_are_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    build_into(&sample_dir(), a.path());
    let s = &*SAMPLE;
    for file in &s.outcome.files {
        let first = std::fs::read(s.out.path().join(&file.path)).unwrap();
        let second = std::fs::read(a.path().join(&file.path)).unwrap();
        assert!(first == second, "{} differs between builds", file.path);
    }
}

/// An input folder with one 個票 whose cells a test chooses.
fn one_item(edit: impl Fn(&mut Vec<[String; 5]>)) -> Inputs {
    let inputs = Inputs::new();
    let mut rows = item_rows("出退勤管理の電子化");
    edit(&mut rows);
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("1").unwrap();
    write_rows(ws, &rows, 3, 1);
    book.save(inputs.submission("01_総務部.xlsx")).unwrap();
    inputs
}

fn set(rows: &mut [[String; 5]], label: &str, value: &str) {
    let row = rows.iter_mut().find(|r| r[0] == label).unwrap();
    row[1] = value.to_string();
}

#[test]
fn markup_in_cells_prints_literally() {
    let nasty = ["#set page(width: 1pt)", "$x$", "]", "\\", "\"quoted\"", "<label>", "@ref", "*bold*", "= heading"];
    let inputs = one_item(|rows| {
        set(rows, "プラン策定時の現状及び課題認識", &nasty.join(" "));
        set(rows, "取組項目名", "#text(red)[x] ]");
    });
    let out = tempfile::tempdir().unwrap();
    let outcome = build_into(inputs.path(), out.path());
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    let booklet = typeset(&outcome.run.items, &outcome.config);
    let pages = item_pages(&booklet);
    let text = page_texts(&booklet.document)[pages[&1] - 1].clone();
    for s in nasty.iter().chain(&["#text(red)[x] ]"]) {
        assert!(squash(&text).contains(&squash(s)), "{s:?} should print as written");
    }
    // The page kept its size: A4 (595.3pt wide), not 1pt.
    for page in booklet.document.pages() {
        assert!((page.frame.width().to_pt() - 595.3).abs() < 1.0);
    }
}

#[test]
fn a_long_item_runs_onto_further_pages_and_numbers_stay_right() {
    let long = "長い説明文です。".repeat(400);
    let inputs = one_item(|rows| set(rows, "取組の方向性、内容", &long));
    // A second item after it, in another sheet.
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("1").unwrap();
    write_rows(ws, &item_rows("土木現場のタブレット配備"), 3, 1);
    book.save(inputs.submission("02_都市建設部.xlsx")).unwrap();

    let out = tempfile::tempdir().unwrap();
    let outcome = build_into(inputs.path(), out.path());
    let booklet = typeset(&outcome.run.items, &outcome.config);
    let pages = item_pages(&booklet);
    let texts = page_texts(&booklet.document);
    let long_pages = pages[&2] - pages[&1];
    assert!(long_pages >= 2, "the long item takes {long_pages} page(s)");
    // Continuation pages repeat the title row and say "1-2".
    let second = squash(&texts[pages[&1]]);
    assert!(second.contains("取組項目名") && second.contains("出退勤管理の電子化"));
    assert!(second.contains("-1-2-"), "{second}");
    // No text lost: every character of the long text is on the item's pages.
    let all: String = texts[pages[&1] - 1..pages[&2] - 1].iter().map(|t| squash(t)).collect();
    // (A page break may fall inside a sentence, with the repeated header
    // between its halves, so count a character that occurs only there.)
    assert_eq!(all.matches('長').count(), 400);
    // Item 2 starts on its own page, labelled 2.
    assert!(squash(&texts[pages[&2] - 1]).contains("-2-"));
    assert!(squash(&texts[pages[&2] - 1]).contains("土木現場のタブレット配備"));
}

#[test]
fn characters_the_fonts_lack_fall_back_or_are_reported() {
    // ➢ is not in BIZ UD; the shipped fallback font has it.
    // U+13000 (an Egyptian hieroglyph) is in no shipped font.
    let inputs = one_item(|rows| {
        set(rows, "取組の方向性、内容", "➢ 電子化する");
        set(rows, "参考事例等", "記号\u{13000}");
    });
    let out = tempfile::tempdir().unwrap();
    let outcome = build_into(inputs.path(), out.path());
    let glyph: Vec<_> = outcome.run.findings.iter().filter(|f| f.code == "T301").collect();
    assert_eq!(glyph.len(), 1, "{glyph:?}");
    assert_eq!(glyph[0].sheet.as_deref(), Some("1"));
    assert_eq!(glyph[0].cell.as_deref(), Some("C11"), "参考事例等 is row 11, value in column C");
    assert!(glyph[0].message.contains("U+13000"));
    let booklet = typeset(&outcome.run.items, &outcome.config);
    let text = &page_texts(&booklet.document)[item_pages(&booklet)[&1] - 1];
    assert!(text.contains('➢'));
}

fn gyokaku(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gyokaku")).args(args).output().unwrap()
}

#[test]
fn final_refuses_to_build_while_errors_remain() {
    for flag in ["--final", "--strict"] {
        let out = tempfile::tempdir().unwrap();
        let o = out.path().to_string_lossy().into_owned();
        let result = gyokaku(&["build", &sample_dir().to_string_lossy(), "-o", &o, flag]);
        assert_eq!(result.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&result.stderr).contains("--final"));
        assert!(!out.path().join("行政経営戦略推進プラン（素案）.pdf").exists());
        assert!(out.path().join("validation.html").exists(), "the report says why");
    }
}

#[test]
fn the_office_copy_says_so_on_every_page_and_the_handout_does_not() {
    // The sample has errors: every booklet page carries the 確認用 notice
    // with the number of items marked.
    let s = &*SAMPLE;
    let flagged = s.outcome.run.items.iter().filter(|i| i.has_errors).count();
    assert!(flagged > 0);
    let notice = format!("確認用：修正待ちの項目{flagged}件");
    assert!(s.texts.iter().all(|t| squash(t).contains(&notice)), "{notice}");
    // Clean inputs: --final builds, and nothing says 確認用 or 要確認.
    let inputs = one_item(|_| {});
    assert_eq!(inputs.run().findings.iter().filter(|f| f.severity == gyokaku::findings::Severity::Error).count(), 0);
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_string_lossy().into_owned();
    let result = gyokaku(&["build", &inputs.path().to_string_lossy(), "-o", &o, "--final"]);
    assert_eq!(result.status.code(), Some(0), "{}", String::from_utf8_lossy(&result.stderr));
    let outcome = build_into(inputs.path(), out.path());
    let booklet = typeset(&outcome.run.items, &outcome.config);
    for text in page_texts(&booklet.document) {
        assert!(!text.contains("確認用") && !text.contains("要確認"), "{text}");
    }
}

#[test]
fn an_override_template_error_names_file_and_line_and_other_documents_still_build() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(templates.path().join("booklet.typ"), "#import \"common.typ\": *\n\n#let x = (\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_string_lossy().into_owned();
    let t = templates.path().to_string_lossy().into_owned();
    let result = gyokaku(&["build", &sample_dir().to_string_lossy(), "-o", &o, "--templates", &t]);
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains(&format!("{}:3:", templates.path().join("booklet.typ").display())), "{stderr}");
    assert!(!out.path().join("行政経営戦略推進プラン（素案）.pdf").exists());
    assert!(out.path().join("取組項目及び優先順位一覧.pdf").exists());
    assert!(out.path().join("manifest.json").exists());
}

#[test]
fn an_override_template_replaces_the_built_in_one() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(
        templates.path().join("priority_list.typ"),
        "#let data = json(\"/data.json\")\n#set document(title: data.meta.title)\n#set text(font: \"BIZ UDPGothic\", lang: \"ja\")\n= 市の独自様式\n#for row in data.list [#row.title \\ ]\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_string_lossy().into_owned();
    let t = templates.path().to_string_lossy().into_owned();
    let result = gyokaku(&["build", &sample_dir().to_string_lossy(), "-o", &o, "--templates", &t]);
    assert_eq!(result.status.code(), Some(0), "{}", String::from_utf8_lossy(&result.stderr));
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(Some(templates.path())).unwrap(), "2023-08-31").unwrap();
    let data = serde_json::json!({"meta": {"title": "t"}, "list": [{"title": "独自の行"}]});
    let compiled = typesetter.compile("priority_list.typ", &data).unwrap();
    let text = squash(&page_texts(&compiled.document).join(""));
    assert!(text.contains("市の独自様式") && text.contains("独自の行"), "{text}");
}

#[test]
fn numbers_print_as_the_department_wrote_them() {
    // An all-△ row is taken as written (a cost) until the office decides;
    // every document that reproduces the sheet prints △ as written.
    let inputs = one_item(|rows| {
        let row = rows.iter_mut().find(|r| r[0] == "財政効果目標額（千円）").unwrap();
        row[1] = "△1,000".into();
        row[2] = "△2,000".into();
        row[3] = "△ 1,500（一人当たり）".into();
    });
    let run = inputs.run();
    let item = &run.items[0];
    assert_eq!(item.workload_target["R6"].value, Some(-100.0));
    assert_eq!(item.fiscal_target["R8"].value, Some(-1500.0), "taken as written until the office decides");
    let out = tempfile::tempdir().unwrap();
    let outcome = build_into(inputs.path(), out.path());
    let booklet = typeset(&outcome.run.items, &outcome.config);
    let text = squash(&page_texts(&booklet.document)[item_pages(&booklet)[&1] - 1]);
    assert!(text.contains("業務量削減目標値（時間）△100200300"), "{text}");
    assert!(text.contains("財政効果目標額（千円）△1,000△2,000△1,500（一人当たり）"), "{text}");
    assert!(!text.contains(&format!("（千円）{}", format_number(1000.0))), "the canonical sign is for sums, not print: {text}");
}

/// Every non-empty cell of every sample item sheet, read with calamine
/// apart from the tool's reader, as Excel shows it: text as typed, numbers
/// with thousands separators (and △ for negatives, the city's convention).
fn sheet_cells(file: &Path, sheet: &str) -> Vec<(String, String)> {
    let mut book: Xlsx<_> = open_workbook(file).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let mut cells = Vec::new();
    for (r, c, value) in range.used_cells() {
        let text = match value {
            Data::String(t) => t.clone(),
            Data::Float(f) => format_number(*f),
            Data::Int(i) => format_number(*i as f64),
            Data::Empty => continue,
            other => other.to_string(),
        };
        if !text.trim().is_empty() {
            let (row, col) = range.start().map(|(r0, c0)| (r0 as usize + r, c0 as usize + c)).unwrap();
            cells.push((format!("{}{}", (b'A' + col as u8) as char, row + 1), text));
        }
    }
    cells
}

/// The labels of the 個票 form.
const FORM_LABELS: [&str; 5] = ["3年後の目指す姿（最終目標）", "業務量削減目標値（時間）", "財政効果目標額（千円）", "業務量削減実績値（時間）", "財政効果実績額（千円）"];

#[test]
fn every_cell_of_every_sheet_prints_verbatim_in_the_booklet() {
    let s = &*SAMPLE;
    let mut starts: Vec<(usize, u32)> = s.item_pages.iter().map(|(n, p)| (*p, *n)).collect();
    starts.sort();
    let mut missing = Vec::new();
    for (i, (page, number)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map(|(p, _)| *p - 1).unwrap_or(s.texts.len());
        let text: String = s.texts[page - 1..end].iter().map(|t| squash(t)).collect();
        let item = s.outcome.run.items.iter().find(|it| it.number == *number).unwrap();
        let file = sample_dir().join("submissions").join(&item.source.file);
        for (cell, written) in sheet_cells(&file, &item.source.sheet) {
            // Not the department's words: the sheet's own <項目番号> (the plan
            // assigns it), a 提出日 line above the form, the form's
            // instruction left in the 実績 cells, and the form's labels,
            // which print in the plan's spelling (full-width brackets).
            let is_item_number = written.trim().parse::<u32>().is_ok() && cell.starts_with(['E', 'F']) && cell.ends_with(['1', '2']) && cell.len() == 2;
            let is_form_text = written.starts_with("提出日") || written.contains("記載不要");
            let is_label = FORM_LABELS.iter().any(|l| gyokaku::text::label_key(l) == gyokaku::text::label_key(&written));
            if !is_item_number && !is_form_text && !is_label && !text.contains(&squash(&written)) {
                missing.push(format!("{} › {} › {cell}: {written}", item.source.file, item.source.sheet));
            }
        }
    }
    assert!(missing.is_empty(), "{} cells not printed as written:\n{}", missing.len(), missing.join("\n"));
}

#[test]
fn summary_counts_come_from_the_model_and_fit_one_page() {
    use gyokaku::documents::summary::SummaryData;
    let s = &*SAMPLE;
    assert_eq!(manifest_entry(&s.outcome, "summary_pdf").pages, Some(1));
    let items = &s.outcome.run.items;
    let config = &s.outcome.config;
    let data = SummaryData::new(items, config);
    for d in &data.directions {
        for row in &d.rows {
            let counted = items.iter().filter(|i| i.daibunrui == d.daibunrui && i.shobunrui == row.shobunrui).count() as u32;
            assert_eq!(row.items, counted, "{} / {}", d.daibunrui, row.shobunrui);
        }
        let workload: f64 = items.iter().filter(|i| i.daibunrui == d.daibunrui).flat_map(|i| i.workload_target.values()).filter_map(|a| a.value).sum();
        assert!((d.workload - workload).abs() < 1e-6);
    }
    assert_eq!(data.directions.iter().flat_map(|d| &d.rows).map(|r| r.items).sum::<u32>() + data.totals.unclassified, 91);
    let numeric = |i: &&Item| i.workload_target.values().chain(i.fiscal_target.values()).any(|a| a.value.is_some_and(|v| v != 0.0));
    assert_eq!(data.totals.quantified as usize, items.iter().filter(numeric).count());

    // Ten times the items: the counts grow, the page count does not.
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), "2023-08-31").unwrap();
    let many: Vec<Item> = (0..10).flat_map(|_| items.iter().cloned()).collect();
    let compiled = typesetter.compile("summary.typ", &SummaryData::new(&many, config)).unwrap();
    assert_eq!(compiled.document.pages().len(), 1);
    let text = squash(&page_texts(&compiled.document)[0]);
    assert!(text.contains("910項目"), "the total is live: {text}");
    assert!(text.contains("時代の変化をも追い風に成長を続ける"));
    // A3 landscape.
    let page = &compiled.document.pages()[0];
    assert!((page.frame.width().to_pt() - 1190.55).abs() < 1.0 && (page.frame.height().to_pt() - 841.89).abs() < 1.0);
}

#[test]
fn every_sheet_of_every_workbook_prints_page_numbers_and_numbers_are_numbers() {
    let s = &*SAMPLE;
    for kind in ["priority_list_xlsx", "items_xlsx", "validation_xlsx", "progress_report_xlsx"] {
        let path = s.out.path().join(&manifest_entry(&s.outcome, kind).path);
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let sheets: Vec<String> = zip.file_names().filter_map(|n| n.ok().map(|n| n.to_string())).filter(|n| n.starts_with("xl/worksheets/sheet")).collect();
        assert!(!sheets.is_empty());
        for name in sheets {
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut zip.by_name(&name).unwrap(), &mut xml).unwrap();
            assert!(xml.contains("<oddFooter>&amp;C&amp;P / &amp;N</oddFooter>"), "{kind} {name} has no page numbers");
        }
    }
    // ページ番号 and 優先順位 of the list are numbers, not text.
    let path = s.out.path().join(&manifest_entry(&s.outcome, "priority_list_xlsx").path);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let first = range.rows().position(|r| matches!(r.first(), Some(Data::Float(_)))).expect("a numeric ページ番号");
    assert_eq!(range.rows().nth(first).unwrap()[0], Data::Float(1.0));
    assert_eq!(range.rows().nth(first).unwrap()[2], Data::Float(1.0));
}

#[test]
fn a_long_booklet_comes_in_volumes_each_sheet_in_one() {
    use gyokaku::documents::booklet::{BookletData, volume_count};
    let config = &SAMPLE.outcome.config;
    let items = &SAMPLE.outcome.run.items;
    assert_eq!(volume_count(items.len(), config.limits.booklet_items), 1, "the sample is one file");
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), &config.document_date()).unwrap();
    let volumes = volume_count(items.len(), 40);
    assert_eq!(volumes, 4, "the front matter, then three volumes of sheets");
    let mut seen = Vec::new();
    let mut pages = 0;
    for number in 1..=volumes {
        let data = BookletData::volume(items, config, 40, number);
        let compiled = typesetter.compile("booklet.typ", &data).unwrap();
        let texts = page_texts(&compiled.document);
        // Every cover names its volume and what it holds.
        let cover = squash(&texts[0]);
        assert!(cover.contains(&format!("分冊{number}／4（")), "{cover}");
        let starts: Vec<u32> = item_pages(&compiled).keys().copied().collect();
        assert_eq!(starts.len(), match number { 1 => 0, 4 => items.len() - 80, _ => 40 });
        seen.extend(starts);
        pages += compiled.document.pages().len();
        if number == 1 {
            // The front matter covers every item; each department is named
            // with the volume of its first sheet.
            let all = squash(&texts.concat());
            assert!(all.contains(&squash(&items.last().unwrap().title)), "the list has the last item");
            assert!(squash(&texts[1]).contains("分冊2") && squash(&texts[1]).contains("分冊4"), "{}", texts[1]);
        } else {
            let first = items[(number - 2) * 40].number;
            assert!(cover.contains(&format!("項目{first}〜")), "{cover}");
            assert!(!squash(&texts.concat()).contains("取組項目及び優先順位一覧"), "only the first volume has the list");
        }
    }
    assert_eq!(seen, items.iter().map(|i| i.number).collect::<Vec<_>>(), "each sheet once, in order");
    // One more cover per extra volume.
    assert_eq!(pages, SAMPLE.booklet.document.pages().len() + volumes - 1);
}

/// Every file under `dir` (hidden ones too) with its bytes.
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn a_refused_final_leaves_the_last_office_copy_as_it_was() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_string_lossy().into_owned();
    let input = sample_dir().to_string_lossy().into_owned();
    let office = gyokaku(&["build", &input, "-o", &o, "-q"]);
    assert_eq!(office.status.code(), Some(0), "{}", String::from_utf8_lossy(&office.stderr));
    let before = files_under(out.path());
    assert!(before.keys().any(|p| p.to_string_lossy().ends_with("行政経営戦略推進プラン（素案）.pdf")));
    assert!(before.len() > 100, "{} files", before.len());

    let refused = gyokaku(&["build", &input, "-o", &o, "-q", "--final"]);
    assert_eq!(refused.status.code(), Some(1));
    let after = files_under(out.path());
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "the same files");
    for (path, bytes) in &before {
        assert!(after[path] == *bytes, "{} changed", path.display());
    }
    // And the next office build still finds every document as it left it.
    let again = gyokaku(&["build", &input, "-o", &o, "-q"]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(!stdout.lines().any(|l| l.starts_with("wrote ") && l.ends_with(".pdf")), "{stdout}");
}
