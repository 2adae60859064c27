//! `gyokaku packet --meeting N`: the handout refused while errors remain,
//! the office copy (`--draft`) with 確認用 on every page in a folder of its
//! own, each 資料 stamped on every page (a supplied PDF too), and the
//! combined PDF joined from the materials: their text, bookmarks and page
//! labels kept.

mod common;

use common::{Inputs, item_rows, pdf_bookmarks, pdf_page_fonts, pdf_page_texts, write_rows};
use gyokaku::commands::packet::{PacketOptions, PacketOutcome, run};
use rust_xlsxwriter::Workbook;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")
}

fn packet(input: &Path, meeting: u32, out: &Path, draft: bool) -> anyhow::Result<PacketOutcome> {
    run(&PacketOptions { input_dir: input, meeting, out_dir: out, templates: None, font_paths: &[], draft })
}

fn gyokaku(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gyokaku")).args(args).output().unwrap()
}

/// Text as laid out, without the spaces and line breaks between runs.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A copy of the sample inputs with a city-supplied PDF as 資料3 and a
/// 新旧対照表 as 資料4.
fn inputs_with_supplied_pdf() -> tempfile::TempDir {
    let root = sample_dir();
    let dir = tempfile::tempdir().unwrap();
    let mut plan = std::fs::read_to_string(root.join("plan.toml")).unwrap();
    plan.push_str("\n[[meetings.materials]]\nnumber = \"資料3\"\ntitle = \"市が用意した資料\"\ndocument = \"file\"\nfile = \"supplied/資料3.pdf\"\n");
    plan.push_str("\n[[meetings.materials]]\nnumber = \"資料4\"\ntitle = \"新旧対照表\"\ndocument = \"comparison\"\nold = \"old\"\n");
    std::fs::write(dir.path().join("plan.toml"), plan).unwrap();
    std::os::unix::fs::symlink(root.join("submissions"), dir.path().join("submissions")).unwrap();
    // The earlier version the 新旧対照表 compares with: the sample revisions.
    std::os::unix::fs::symlink(root.join("revisions"), dir.path().join("old")).unwrap();
    // Any PDF will do: the priority list the tool makes (3 pages).
    let made = tempfile::tempdir().unwrap();
    let outcome = gyokaku::engine::build(
        &gyokaku::engine::BuildOptions {
            input_dir: dir.path().to_path_buf(),
            out_dir: made.path().to_path_buf(),
            templates: None,
            font_paths: Vec::new(),
            handout: false,
            clean: false,
        },
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    let list = outcome.files.iter().find(|f| f.kind == "priority_list_pdf").unwrap();
    std::fs::create_dir(dir.path().join("supplied")).unwrap();
    std::fs::copy(made.path().join(&list.path), dir.path().join("supplied/資料3.pdf")).unwrap();
    dir
}

/// The sample's office copy with four materials, made once.
struct Draft {
    _input: tempfile::TempDir,
    out: tempfile::TempDir,
    outcome: PacketOutcome,
}

static DRAFT: LazyLock<Draft> = LazyLock::new(|| {
    let input = inputs_with_supplied_pdf();
    let out = tempfile::tempdir().unwrap();
    let outcome = packet(input.path(), 4, out.path(), true).unwrap();
    Draft { _input: input, out, outcome }
});

fn combined(draft: &Draft) -> Vec<u8> {
    let file = draft.outcome.files.iter().find(|f| f.kind == "packet_pdf").unwrap();
    std::fs::read(draft.out.path().join(&file.path)).unwrap()
}

#[test]
fn every_page_of_every_material_carries_its_number() {
    let outcome = &DRAFT.outcome;
    let kinds: Vec<&str> = outcome.files.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, ["agenda_pdf", "material_pdf", "material_pdf", "material_pdf", "material_pdf", "packet_pdf"]);
    let numbers = ["資料1", "資料2", "資料3", "資料4"];
    assert_eq!(outcome.material_texts.len(), 4);
    for (texts, number) in outcome.material_texts.iter().zip(numbers) {
        assert!(!texts.is_empty());
        for (i, page) in texts.iter().enumerate() {
            assert!(page.contains(number), "{number} page {} has no stamp", i + 1);
            for other in numbers.iter().filter(|n| **n != number) {
                assert!(!page.contains(other), "{number} page {} carries {other}", i + 1);
            }
        }
    }
    // 概要版 one page, the booklet its 98, the supplied PDF its 3.
    let pages: Vec<usize> = outcome.files.iter().map(|f| f.pages.unwrap()).collect();
    assert_eq!(pages[1], 1);
    assert_eq!(pages[3], 3);
    // The combined PDF: the 次第, then every page of every material.
    assert_eq!(pages[5], pages[..5].iter().sum::<usize>());
    assert!(outcome.material_texts[3].concat().contains("新旧対照表"));
    for f in &outcome.files {
        let bytes = std::fs::read(DRAFT.out.path().join(&f.path)).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{}", f.path);
        assert!(f.path.starts_with("第4回_確認用/"), "{}", f.path);
    }
}

#[test]
fn the_handout_is_refused_while_errors_remain() {
    let out = tempfile::tempdir().unwrap();
    let outcome = packet(&sample_dir(), 4, out.path(), false).unwrap();
    assert!(outcome.refused);
    assert_eq!(outcome.errors, 7, "the sample's errors");
    assert!(outcome.files.is_empty());
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written");

    let o = out.path().to_string_lossy().into_owned();
    let result = gyokaku(&["packet", &sample_dir().to_string_lossy(), "--meeting", "4", "-o", &o]);
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("--draft") && stderr.contains("誤りが 7 件"), "{stderr}");
    assert!(!out.path().join("第4回").exists());
}

#[test]
fn the_office_copy_says_so_on_every_page_of_every_file() {
    for f in &DRAFT.outcome.files {
        let bytes = std::fs::read(DRAFT.out.path().join(&f.path)).unwrap();
        for (i, page) in pdf_page_texts(&bytes).iter().enumerate() {
            assert!(squash(page).contains("確認用"), "{} page {}: {page}", f.path, i + 1);
        }
    }
}

#[test]
fn the_combined_pdf_keeps_the_materials_text_bookmarks_and_folios() {
    let bytes = combined(&DRAFT);
    let texts: Vec<String> = pdf_page_texts(&bytes).iter().map(|t| squash(t)).collect();
    assert_eq!(texts.len(), 1 + 1 + 98 + 3 + 3);
    // Each material's own text, on its pages, as text (not a picture).
    assert!(texts[0].contains("次第") && texts[0].contains("【配布資料】"), "{}", texts[0]);
    assert!(texts[1].contains("資料1") && texts[1].contains("目指す姿"), "{}", texts[1]);
    assert!(texts[2].contains("資料2") && texts[2].contains("行政経営戦略推進プラン"), "{}", texts[2]);
    assert!(texts[3].contains("目次"), "{}", texts[3]);
    assert!(texts[99].contains("取組項目個票"), "{}", texts[99]);
    // The supplied PDF's own text, embedded in its stamped pages.
    assert!(texts[100].contains("資料3") && texts[100].contains("取組項目及び優先順位一覧"), "{}", texts[100]);
    assert!(texts[103].contains("資料4") && texts[103].contains("新旧対照表"), "{}", texts[103]);

    let outline = pdf_bookmarks(&bytes);
    let top: Vec<&str> = outline.iter().filter(|b| b.0 == 0).map(|b| b.1.as_str()).collect();
    assert_eq!(top, ["次第", "資料1　飯塚市行政経営戦略推進ビジョン素案（概要版）", "資料2　飯塚市行政経営戦略推進プラン素案", "資料3　市が用意した資料", "資料4　新旧対照表"]);
    // The booklet's own bookmarks under its 資料: 目次, 組織一覧, 優先順位一覧,
    // 個票, then 10 departments and 91 items.
    let booklet: Vec<&(usize, String)> = outline.iter().skip_while(|b| !b.1.starts_with("資料2")).skip(1).take_while(|b| b.0 > 0).collect();
    assert_eq!(booklet.iter().filter(|b| b.0 == 1).count(), 4);
    assert_eq!(booklet.iter().filter(|b| b.0 == 3).count(), 91);
    assert!(outline.len() >= 5 + 4 + 10 + 91, "{} bookmarks", outline.len());

    // Page labels: 次第, 資料1 p.1, the booklet's printed folios, …
    let labels = page_labels(&bytes);
    assert_eq!(labels[0], "次第");
    assert_eq!(labels[1], "資料1 p.1");
    assert_eq!(&labels[2..10], ["表紙", "i", "ii", "iii", "iv", "v", "vi", "1"]);
    assert_eq!(labels[99], "91");
    assert_eq!(labels[100], "資料3 p.1");
    assert_eq!(labels[105], "資料4 p.3");

    // Each face the materials' pages use is embedded once for all of them.
    assert_eq!(pdf_page_fonts(&bytes), ["BIZUDPGothic-Bold", "BIZUDPGothic-Regular", "BIZUDPMincho-Regular"]);
    let materials: usize = DRAFT.outcome.files.iter().filter(|f| f.kind != "packet_pdf").map(|f| std::fs::metadata(DRAFT.out.path().join(&f.path)).unwrap().len() as usize).sum();
    assert!(bytes.len() < materials, "the combined PDF ({} bytes) is smaller than its files apart ({materials})", bytes.len());
}

#[test]
fn a_supplied_pdf_the_join_cannot_take_is_named_on_a_page_of_its_own() {
    // The page the combined PDF holds in its place.
    let typesetter = gyokaku::typeset::Typesetter::new(
        gyokaku::typeset::fonts::FontSet::load(&[]).unwrap(),
        gyokaku::typeset::templates::Templates::load(None).unwrap(),
        "2023-09-14",
    )
    .unwrap();
    let meta = serde_json::json!({ "title": "会議資料", "city": "市", "material_number": "", "review": "" });
    let data = serde_json::json!({ "meta": meta, "number": "資料3", "title": "市の資料", "file": "資料3_市の資料.pdf" });
    let page = typesetter.compile("separate.typ", &data).unwrap();
    let text = squash(&gyokaku::typeset::page_texts(&page.document).concat());
    assert!(text.contains("資料3") && text.contains("別ファイル「資料3_市の資料.pdf」"), "{text}");
}

#[test]
fn the_handout_has_no_review_marks_and_never_replaces_the_office_copy() {
    let inputs = Inputs::new();
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("1").unwrap();
    write_rows(ws, &item_rows("出退勤管理の電子化"), 3, 1);
    book.save(inputs.submission("01_総務部.xlsx")).unwrap();
    let mut plan = std::fs::read_to_string(inputs.path().join("plan.toml")).unwrap();
    plan.push_str(
        "\n[[meetings]]\nnumber = 2\nname = \"第2回 審議会\"\ndate = \"令和6年1月10日\"\nplace = \"会議室\"\n\
         [[meetings.materials]]\nnumber = \"資料1\"\ntitle = \"プラン素案\"\ndocument = \"booklet\"\n\
         [[meetings.materials]]\nnumber = \"資料2\"\ntitle = \"優先順位一覧\"\ndocument = \"priority_list\"\n",
    );
    std::fs::write(inputs.path().join("plan.toml"), plan).unwrap();

    let out = tempfile::tempdir().unwrap();
    let draft = packet(inputs.path(), 2, out.path(), true).unwrap();
    let handout = packet(inputs.path(), 2, out.path(), false).unwrap();
    assert!(!handout.refused && handout.errors == 0);
    assert_eq!(handout.folder, "第2回");
    assert_eq!(draft.folder, "第2回_確認用");
    for (outcome, marked) in [(&handout, false), (&draft, true)] {
        for f in &outcome.files {
            let bytes = std::fs::read(out.path().join(&f.path)).unwrap();
            assert_eq!(gyokaku::engine::sha256_hex(&bytes), f.sha256, "{} replaced", f.path);
            for (i, page) in pdf_page_texts(&bytes).iter().enumerate() {
                let page = squash(page);
                assert_eq!(page.contains("確認用"), marked, "{} page {}: {page}", f.path, i + 1);
                assert!(!page.contains("要確認"), "{} page {}", f.path, i + 1);
            }
        }
    }
}

/// The page label of every page, as a viewer shows it.
fn page_labels(bytes: &[u8]) -> Vec<String> {
    use hayro_syntax::Pdf;
    use hayro_syntax::object::{Array, Dict, Name, Object};
    let pdf = Pdf::new(bytes.to_vec()).unwrap();
    let catalog: Dict = pdf.xref().get(pdf.xref().root_id()).unwrap();
    let nums: Vec<Object> = catalog.get::<Dict>("PageLabels").expect("page labels").get::<Array>("Nums").unwrap().iter::<Object>().collect();
    let ranges: Vec<(usize, Dict)> = nums.chunks(2).map(|p| (p[0].clone().into_i32().unwrap() as usize, p[1].clone().into_dict().unwrap())).collect();
    let text = |raw: &[u8]| match raw.strip_prefix(&[0xFE, 0xFF]) {
        Some(units) => String::from_utf16_lossy(&units.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect::<Vec<_>>()),
        None => String::from_utf8_lossy(raw).into_owned(),
    };
    let roman = |mut n: i32| {
        let mut out = String::new();
        for (v, s) in [(10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")] {
            while n >= v {
                out.push_str(s);
                n -= v;
            }
        }
        out
    };
    (0..pdf.pages().len())
        .map(|page| {
            let (start, label) = ranges.iter().rev().find(|(s, _)| *s <= page).unwrap();
            let prefix = label.get::<hayro_syntax::object::String>("P").map(|p| text(p.as_bytes())).unwrap_or_default();
            let n = label.get::<i32>("St").unwrap_or(1) + (page - start) as i32;
            match label.get::<Name>("S").map(|s| s.as_ref().to_vec()) {
                Some(s) if s == b"D" => format!("{prefix}{n}"),
                Some(s) if s == b"r" => format!("{prefix}{}", roman(n)),
                _ => prefix,
            }
        })
        .collect()
}

#[test]
fn an_unknown_meeting_is_a_clear_error() {
    let out = tempfile::tempdir().unwrap();
    let err = packet(&sample_dir(), 9, out.path(), true).err().unwrap().to_string();
    assert!(err.contains("number = 9") && err.contains("4"), "{err}");
}
