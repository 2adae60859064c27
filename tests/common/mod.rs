//! Builds small input folders for tests: a plan.toml and workbooks written
//! with rust_xlsxwriter in whatever layout a test needs.

#![allow(dead_code)]

pub mod site;

use gyokaku::config::PlanConfig;
use gyokaku::pipeline::{self, Run};
use rust_xlsxwriter::{Workbook, Worksheet};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use calamine::{Data, Reader, Xlsx};

pub const PLAN: &str = r#"
[plan]
name = "テストプラン"
city = "テスト市"

[[years]]
code = "R6"
era = "令和6年度"
western = 2024
[[years]]
code = "R7"
era = "令和7年度"
western = 2025
[[years]]
code = "R8"
era = "令和8年度"
western = 2026

[[taxonomy]]
daibunrui = "情報・デジタル化の改革"
shobunrui = [{ name = "業務の効率化" }, { name = "利便性の向上" }]
[[taxonomy]]
daibunrui = "財政の改革"
shobunrui = [{ name = "歳入の確保" }, { name = "歳出の適正化", aliases = ["歳出の抑制"] }]

[[departments]]
code = "01"
name = "総務部"
sections = [{ name = "人事課", declared = 1 }, { name = "契約課" }]
[[departments]]
code = "02"
name = "都市建設部"
sections = [{ name = "土木建設課" }]
"#;

/// A temporary input folder with plan.toml and an empty submissions/.
pub struct Inputs {
    pub dir: tempfile::TempDir,
}

impl Inputs {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plan.toml"), PLAN).unwrap();
        std::fs::create_dir(dir.path().join("submissions")).unwrap();
        Inputs { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn submission(&self, name: &str) -> PathBuf {
        self.dir.path().join("submissions").join(name)
    }

    pub fn run(&self) -> Run {
        let config = PlanConfig::load(&self.path().join("plan.toml")).unwrap();
        pipeline::run(self.path(), &config).unwrap()
    }
}

/// The rows of a plain, well-formed 個票: (label, C, D, E, F).
pub fn item_rows(title: &str) -> Vec<[String; 5]> {
    let r = |a: &str, b: &str, c: &str, d: &str, e: &str| [a, b, c, d, e].map(str::to_string);
    vec![
        r("取組項目名", title, "", "", ""),
        r("大分類", "情報・デジタル化の改革", "", "", ""),
        r("小分類", "業務の効率化", "", "", ""),
        r("主たる所管部署", "総務部人事課", "", "", ""),
        r("関係部署", "庁内各課", "", "", ""),
        r("プラン策定時の現状及び課題認識", "紙で管理している。", "", "", ""),
        r("取組の方向性、内容", "電子化する。", "", "", ""),
        r("参考事例等", "", "", "", ""),
        r("3年後の目指す姿（最終目標）", "すべて電子化する。", "", "", ""),
        r("年度計画", "令和6年度計画", "令和7年度計画", "令和8年度計画", "備考"),
        r("調査", "調査", "", "", ""),
        r("導入", "", "導入", "運用", "予算次第"),
        r("各年度目標", "調査", "導入", "運用", ""),
        r("業務量削減目標値（時間）", "△100", "200", "300", ""),
        r("財政効果目標額（千円）", "—", "(運用コスト)", "1,500", ""),
        r("実績報告", "令和6年度実績", "令和7年度実績", "令和8年度実績", "備考"),
        r("年度目標実績値", "", "", "", ""),
        r("業務量削減実績値（時間）", "", "", "", ""),
        r("財政効果実績額（千円）", "", "", "", ""),
        r("評価", "", "", "", ""),
        r("課題", "", "", "", ""),
        r("次年度に向けた改善点", "", "", "", ""),
    ]
}

/// Writes rows at (first_row, first_col) with the label in first_col; the
/// section column is first_col - 1 when there is room.
pub fn write_rows(ws: &mut Worksheet, rows: &[[String; 5]], first_row: u32, label_col: u16) {
    for (i, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write(first_row + i as u32, label_col + c as u16, v.as_str()).unwrap();
            }
        }
    }
}

/// Adds a plain item sheet named "1" to `book`, for a test to alter.
pub fn add_item_sheet<'a>(book: &'a mut Workbook, title: &str) -> &'a mut Worksheet {
    let ws = book.add_worksheet();
    ws.set_name("1").unwrap();
    write_rows(ws, &item_rows(title), 3, 1);
    ws
}

/// A workbook with one plain item sheet named "1" and, optionally, a list.
pub fn simple_workbook(path: &Path, title: &str, list: Option<&[(&str, &str)]>) {
    let mut book = Workbook::new();
    if let Some(rows) = list {
        let ws = book.add_worksheet();
        ws.set_name("一覧").unwrap();
        for (c, h) in ["優先順位", "取組項目名", "主たる所管部署", "大分類", "小分類", "備考"].iter().enumerate() {
            ws.write(0, c as u16, *h).unwrap();
        }
        for (i, (priority, t)) in rows.iter().enumerate() {
            ws.write(1 + i as u32, 0, *priority).unwrap();
            ws.write(1 + i as u32, 1, *t).unwrap();
            ws.write(1 + i as u32, 2, "人事課").unwrap();
            ws.write(1 + i as u32, 3, "情報・デジタル化の改革").unwrap();
            ws.write(1 + i as u32, 4, "業務の効率化").unwrap();
        }
    }
    add_item_sheet(&mut book, title);
    book.save(path).unwrap();
}

// Typing into the tool's own forms as a department would.

/// A value typed into a cell.
#[derive(Clone, Copy)]
pub enum Typed<'a> {
    Text(&'a str),
    Number(f64),
}

/// Every part of an xlsx package, in order.
pub fn parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().unwrap().to_string(), data)
        })
        .collect()
}

pub fn repack(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in parts {
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Types `values` into sheet number `sheet` (1-based, workbook order) of a
/// form: each cell the form left blank (`<c r="C3" s="6"/>`) gets the value,
/// keeping its style, as Excel saves a typed cell.
pub fn type_into(bytes: &[u8], sheet: usize, values: &[(String, Typed)]) -> Vec<u8> {
    let mut parts = parts(bytes);
    let name = format!("xl/worksheets/sheet{sheet}.xml");
    let part = parts.iter_mut().find(|(n, _)| *n == name).unwrap();
    let mut xml = String::from_utf8(part.1.clone()).unwrap();
    for (cell, value) in values {
        let start = xml.find(&format!("<c r=\"{cell}\" ")).unwrap_or_else(|| panic!("{cell} is not a cell of the form"));
        let end = start + xml[start..].find("/>").unwrap();
        let open = &xml[start..end];
        assert!(!open.contains('>'), "{cell} already holds a value");
        let typed = match value {
            Typed::Text(t) => format!("{open} t=\"inlineStr\"><is><t>{t}</t></is></c>"),
            Typed::Number(n) => format!("{open}><v>{n}</v></c>"),
        };
        xml.replace_range(start..end + 2, &typed);
    }
    part.1 = xml.into_bytes();
    repack(&parts)
}

/// Row (1-based) of each label in column B of a sheet.
pub fn label_rows(bytes: &[u8], sheet: &str) -> Vec<(String, u32)> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let mut rows = Vec::new();
    for r in 0..range.height() as u32 {
        if let Some(Data::String(s)) = range.get_value((r, 1)) {
            rows.push((s.clone(), r + 1));
        }
    }
    rows
}

pub fn row_of(rows: &[(String, u32)], label: &str) -> u32 {
    rows.iter().find(|(l, _)| l == label).unwrap_or_else(|| panic!("no label {label}")).1
}


/// The text on each page of a PDF, read back as a viewer extracts it:
/// every string a content stream shows (form XObjects included), through
/// its font's ToUnicode map, one line per string.
pub fn pdf_page_texts(bytes: &[u8]) -> Vec<String> {
    use hayro_syntax::Pdf;
    let pdf = Pdf::new(bytes.to_vec()).expect("a PDF");
    pdf.pages()
        .iter()
        .map(|page| {
            let mut out = String::new();
            show_text(page.page_stream().unwrap_or(&[]), page.resources(), &mut out, 0);
            out
        })
        .collect()
}

fn show_text(content: &[u8], resources: &hayro_syntax::page::Resources<'_>, out: &mut String, depth: usize) {
    use hayro_syntax::content::TypedIter;
    use hayro_syntax::content::ops::TypedInstruction as Op;
    use hayro_syntax::object::{Dict, Name, Object, Stream};
    let mut font: std::collections::HashMap<u32, String> = Default::default();
    let decode = |bytes: &[u8], font: &std::collections::HashMap<u32, String>, out: &mut String| {
        for pair in bytes.chunks(2) {
            let code = pair.iter().fold(0u32, |n, &b| n << 8 | b as u32);
            out.push_str(font.get(&code).map(String::as_str).unwrap_or("\u{FFFD}"));
        }
        out.push('\n');
    };
    let mut ops = TypedIter::new(content);
    while let Some(op) = ops.next() {
        match op {
            Op::TextFont(f) => {
                font = resources
                    .get_font(f.0)
                    .and_then(|d| d.get::<Stream>("ToUnicode"))
                    .and_then(|s| s.decoded().ok().map(|d| to_unicode(&d)))
                    .unwrap_or_default();
            }
            Op::ShowText(s) => decode(s.0.as_bytes(), &font, out),
            Op::NextLineAndShowText(s) => decode(s.0.as_bytes(), &font, out),
            Op::ShowTexts(array) => {
                let mut bytes = Vec::new();
                for item in array.0.iter::<Object>() {
                    if let Object::String(s) = item {
                        bytes.extend_from_slice(s.as_bytes());
                    }
                }
                decode(&bytes, &font, out);
            }
            Op::XObject(name) if depth < 8 => {
                let Some(stream) = resources.get_x_object(name.0) else { continue };
                if stream.dict().get::<Name>("Subtype").is_none_or(|s| s.as_ref() != b"Form") {
                    continue;
                }
                let inner = hayro_syntax::page::Resources::from_parent(stream.dict().get::<Dict>("Resources").unwrap_or_default(), resources.clone());
                if let Ok(data) = stream.decoded() {
                    show_text(&data, &inner, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// A ToUnicode CMap's code → text (bfchar and bfrange entries).
fn to_unicode(cmap: &[u8]) -> std::collections::HashMap<u32, String> {
    let text = String::from_utf8_lossy(cmap);
    let hex = |s: &str| u32::from_str_radix(s.trim_matches(['<', '>']), 16).ok();
    let utf16 = |s: &str| {
        let s = s.trim_matches(['<', '>']);
        let units: Vec<u16> = (0..s.len() / 4).filter_map(|i| u16::from_str_radix(&s[4 * i..4 * i + 4], 16).ok()).collect();
        String::from_utf16_lossy(&units)
    };
    let mut map = std::collections::HashMap::new();
    let mut section = "";
    for line in text.lines() {
        let line = line.trim();
        if line.ends_with("beginbfchar") || line.ends_with("beginbfrange") {
            section = if line.ends_with("beginbfchar") { "char" } else { "range" };
            continue;
        }
        if line.starts_with("end") {
            section = "";
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        match (section, tokens.as_slice()) {
            ("char", [code, dst]) => {
                if let Some(code) = hex(code) {
                    map.insert(code, utf16(dst));
                }
            }
            ("range", [from, to, dst]) if dst.starts_with('<') => {
                if let (Some(from), Some(to)) = (hex(from), hex(to)) {
                    let first = utf16(dst);
                    let base = first.chars().last().map_or(0, |c| c as u32);
                    let stem: String = first.chars().take(first.chars().count().saturating_sub(1)).collect();
                    for (i, code) in (from..=to).enumerate() {
                        let c = char::from_u32(base + i as u32).unwrap_or('\u{FFFD}');
                        map.insert(code, format!("{stem}{c}"));
                    }
                }
            }
            _ => {}
        }
    }
    map
}

/// The bookmarks of a PDF, depth first: (depth, title).
pub fn pdf_bookmarks(bytes: &[u8]) -> Vec<(usize, String)> {
    use hayro_syntax::Pdf;
    use hayro_syntax::object::Dict;
    fn walk(item: Option<Dict<'_>>, depth: usize, out: &mut Vec<(usize, String)>) {
        let mut next = item;
        while let Some(item) = next {
            let raw = item.get::<hayro_syntax::object::String>("Title").map(|t| t.as_bytes().to_vec()).unwrap_or_default();
            let title = match raw.strip_prefix(&[0xFE, 0xFF]) {
                Some(units) => String::from_utf16_lossy(&units.chunks(2).map(|p| u16::from_be_bytes([p[0], *p.get(1).unwrap_or(&0)])).collect::<Vec<_>>()),
                None => String::from_utf8_lossy(&raw).into_owned(),
            };
            out.push((depth, title));
            walk(item.get("First"), depth + 1, out);
            next = item.get("Next");
        }
    }
    let pdf = Pdf::new(bytes.to_vec()).expect("a PDF");
    let catalog: Dict = pdf.xref().get(pdf.xref().root_id()).expect("a catalog");
    let mut out = Vec::new();
    if let Some(outline) = catalog.get::<Dict>("Outlines") {
        walk(outline.get("First"), 0, &mut out);
    }
    out
}

/// The fonts a PDF's pages name (not those of the forms they draw): each
/// font's name after its subset tag, once per font program embedded.
pub fn pdf_page_fonts(bytes: &[u8]) -> Vec<String> {
    use hayro_syntax::Pdf;
    use hayro_syntax::object::{Array, Dict, Name, Stream};
    let pdf = Pdf::new(bytes.to_vec()).expect("a PDF");
    let mut seen = std::collections::HashSet::new();
    let mut names = Vec::new();
    for page in pdf.pages().iter() {
        let Some(fonts) = page.raw().get::<Dict>("Resources").and_then(|r| r.get::<Dict>("Font")) else { continue };
        for key in fonts.keys() {
            let font: Dict = fonts.get(key.as_ref()).unwrap();
            let Some(descendant) = font.get::<Array>("DescendantFonts").and_then(|a| a.iter::<Dict>().next()) else { continue };
            let program: Stream = descendant.get::<Dict>("FontDescriptor").unwrap().get("FontFile2").unwrap();
            if seen.insert(program.obj_id()) {
                let name = String::from_utf8_lossy(font.get::<Name>("BaseFont").unwrap().as_ref()).to_string();
                names.push(name.split_once('+').map_or(name.clone(), |(_, n)| n.to_string()));
            }
        }
    }
    names.sort();
    names
}

/// Copies a folder and everything under it (a sample input set for a test to change).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            copy_dir(&path, &to.join(path.file_name().unwrap()));
        } else {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// A proposal form (its bytes) filled the way a department fills it: one
/// row on the list (優先順位 1, 人事課) and sheet 1 with every required field,
/// one 年度計画 row (システム導入: 仕様検討 / 導入 / 運用), each year's goal,
/// and `targets` typed into the target rows (label, column, value).
pub fn fill_proposal_form(form: &[u8], title: &str, targets: &[(&str, char, Typed)]) -> Vec<u8> {
    let list = vec![
        ("A2".to_string(), Typed::Number(1.0)),
        ("B2".to_string(), Typed::Text(title)),
        ("C2".to_string(), Typed::Text("人事課")),
        ("D2".to_string(), Typed::Text("情報・デジタル化の改革")),
        ("E2".to_string(), Typed::Text("業務の効率化")),
    ];
    let bytes = type_into(form, 2, &list);
    // Sheet 1, found by its labels as a department would.
    let rows = label_rows(&bytes, "1");
    let at = |label: &str, col: char| format!("{col}{}", row_of(&rows, label));
    let plan = row_of(&rows, "年度計画") + 1;
    let mut item = vec![
        (at("取組項目名", 'C'), Typed::Text(title)),
        (at("大分類", 'C'), Typed::Text("情報・デジタル化の改革")),
        (at("小分類", 'C'), Typed::Text("業務の効率化")),
        (at("主たる所管部署", 'C'), Typed::Text("人事課")),
        (at("関係部署", 'C'), Typed::Text("契約課")),
        (at("プラン策定時の現状及び課題認識", 'C'), Typed::Text("出退勤を紙で管理している。")),
        (at("取組の方向性、内容", 'C'), Typed::Text("勤怠管理システムを導入する。")),
        (at("3年後の目指す姿（最終目標）", 'C'), Typed::Text("出退勤の記録がすべて電子化されている。")),
        (format!("B{plan}"), Typed::Text("システム導入")),
        (format!("C{plan}"), Typed::Text("仕様検討")),
        (format!("D{plan}"), Typed::Text("導入")),
        (format!("E{plan}"), Typed::Text("運用")),
        (at("各年度目標", 'C'), Typed::Text("仕様決定")),
        (at("各年度目標", 'D'), Typed::Text("全課導入")),
        (at("各年度目標", 'E'), Typed::Text("運用定着")),
    ];
    item.extend(targets.iter().map(|(label, col, value)| (at(label, *col), *value)));
    type_into(&bytes, 3, &item)
}
