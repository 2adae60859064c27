//! Builds the sample department workbooks (inputs/submissions/*.xlsx) from the
//! transcription of the seed document in samples/transcription/*.tsv.
//!
//!     cargo run --example make_sample_inputs                  # inputs/submissions
//!     cargo run --example make_sample_inputs -- --scale 10 --out /tmp/x10
//!
//! Each department's workbook follows the city's 個票 layout (column A the
//! section, B the label, C..F the values) and carries the kind of drift real
//! submissions have — extra blank rows, stray spaces and half-width brackets
//! in labels, numbers typed as numbers, a 記入例 sheet, a hidden helper sheet,
//! moved rows — so the reader is exercised on the sample itself. Cell texts
//! are the seed's, unchanged. `--scale N` writes N copies of every workbook
//! (titles suffixed) for benchmarks.

use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet};
use std::path::{Path, PathBuf};

/// One department's transcription.
pub struct Department {
    pub file_stem: String,
    pub name: String,
    /// Rows of the list: 優先順位, 取組項目名, 主たる所管部署, 大分類, 小分類, 備考.
    pub list: Vec<Vec<String>>,
    pub sheets: Vec<Vec<Vec<String>>>,
}

pub fn parse(path: &Path) -> Department {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    let mut dept = Department { file_stem: stem, name: String::new(), list: Vec::new(), sheets: Vec::new() };
    enum Mode {
        None,
        List,
        Sheet,
    }
    let mut mode = Mode::None;
    for line in text.lines() {
        let cells: Vec<String> = line.split('\t').map(str::to_string).collect();
        match cells[0].as_str() {
            "# 部" => dept.name = cells[1].clone(),
            "# 一覧" => mode = Mode::List,
            "# 個票" => {
                mode = Mode::Sheet;
                dept.sheets.push(Vec::new());
            }
            _ => match mode {
                Mode::List if cells[0] != "優先順位" => dept.list.push(cells),
                Mode::Sheet => dept.sheets.last_mut().unwrap().push(cells),
                _ => {}
            },
        }
    }
    dept
}

/// The kinds of drift a department's workbook carries.
#[derive(Default, Clone, Copy)]
struct Drift {
    numbers_as_numbers: bool,
    blank_rows: bool,
    stray_spaces: bool,
    half_width_brackets: bool,
    hidden_helper: bool,
    example_sheet: bool,
    moved_rows: bool,
    list_last: bool,
}

fn drift_for(code: &str) -> Drift {
    let mut d = Drift::default();
    match code {
        "02" => d.numbers_as_numbers = true,
        "03" => {
            d.blank_rows = true;
            d.stray_spaces = true;
        }
        "04" => {
            d.half_width_brackets = true;
            d.list_last = true;
        }
        "05" => d.hidden_helper = true,
        "06" => d.example_sheet = true,
        "07" => {
            d.moved_rows = true;
            d.numbers_as_numbers = true;
        }
        _ => {}
    }
    d
}

const SECTIONS: [(&str, &[&str]); 4] = [
    ("概要", &["取組項目名", "大分類", "小分類", "主たる所管部署", "関係部署", "プラン策定時の現状及び課題認識", "取組の方向性、内容", "参考事例等"]),
    ("計画", &["3年後の目指す姿（最終目標）", "年度計画", "各年度目標", "業務量削減目標値（時間）", "財政効果目標額（千円）"]),
    ("実績", &["実績報告", "年度目標実績値", "業務量削減実績値（時間）", "財政効果実績額（千円）"]),
    ("評価", &["評価", "課題", "次年度に向けた改善点"]),
];

/// Which section a row belongs to; plan task rows follow 年度計画.
fn section_of(label: &str, previous: usize) -> usize {
    SECTIONS.iter().position(|(_, labels)| labels.contains(&label)).unwrap_or(previous)
}

struct Formats {
    title: Format,
    label: Format,
    section: Format,
    value: Format,
    number: Format,
    header: Format,
}

fn formats() -> Formats {
    let base = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_font_name("BIZ UDPゴシック")
        .set_font_size(9);
    Formats {
        title: Format::new().set_bold().set_font_size(14).set_font_name("BIZ UDPゴシック"),
        label: base.clone().set_background_color(Color::RGB(0xDDEBF7)),
        section: base.clone().set_background_color(Color::RGB(0xBDD7EE)).set_align(FormatAlign::Center).set_bold(),
        value: base.clone(),
        number: base.clone().set_num_format("#,##0;\"△\"#,##0"),
        header: base.set_background_color(Color::RGB(0xDDEBF7)).set_align(FormatAlign::Center),
    }
}

fn is_plain_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == ',') || !t.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    t.replace(',', "").parse().ok()
}

/// Rough row height so printed text is not clipped (LibreOffice and Excel do
/// not grow rows for merged cells).
fn row_height(texts: &[(String, f64)]) -> f64 {
    let lines = texts
        .iter()
        .map(|(t, width)| {
            let per_line = (width * 1.1).max(4.0);
            (t.chars().count() as f64 / per_line).ceil().max(1.0)
        })
        .fold(1.0, f64::max);
    (lines * 12.5).max(16.0)
}

const WIDTHS: [f64; 6] = [4.5, 20.0, 26.0, 26.0, 26.0, 16.0];

fn write_item_sheet(ws: &mut Worksheet, rows: &[Vec<String>], drift: Drift, f: &Formats) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (c, w) in WIDTHS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    let mut r: u32 = 0;
    if drift.moved_rows {
        ws.write(r, 0, "提出日：令和5年7月")?;
        r += 2;
    }
    ws.merge_range(r, 0, r, 5, "取組項目個票（兼進捗管理表）", &f.title)?;
    ws.write_with_format(r + 1, 4, "<項目番号>", &f.header)?;
    ws.write_with_format(r + 1, 5, "", &f.value)?;
    r += 3;

    let mut rows: Vec<Vec<String>> = rows.to_vec();
    if drift.moved_rows {
        // 関係部署 moved below 参考事例等, as one department's copy of the form has it.
        if let Some(i) = rows.iter().position(|x| x[0] == "関係部署") {
            let row = rows.remove(i);
            let j = rows.iter().position(|x| x[0] == "参考事例等").map(|j| j + 1).unwrap_or(i);
            rows.insert(j, row);
        }
    }
    let mut section = 0usize;
    let mut section_start = r;
    let mut plan_zone = false;
    for (i, row) in rows.iter().enumerate() {
        let label = row[0].as_str();
        let next_section = section_of(label, section);
        if i > 0 && next_section != section {
            close_section(ws, section, section_start, r - 1, drift, f)?;
            section_start = r;
        }
        section = next_section;
        if label == "年度計画" {
            plan_zone = true;
        } else if label == "各年度目標" {
            plan_zone = false;
        }
        let mut shown_label = label.to_string();
        if drift.stray_spaces && i % 3 == 0 && !label.is_empty() {
            shown_label = format!(" {label} ");
        }
        if drift.stray_spaces && label == "大分類" {
            shown_label = "大　分　類".to_string();
        }
        if drift.half_width_brackets {
            shown_label = shown_label.replace('（', "(").replace('）', ")");
        }
        let values: Vec<&str> = (1..5).map(|c| row.get(c).map(String::as_str).unwrap_or("")).collect();
        let header_row = matches!(label, "年度計画" | "実績報告");
        ws.write_with_format(r, 1, &shown_label, if header_row { &f.header } else { &f.label })?;
        let single = !plan_zone && !header_row && values[1..].iter().all(|v| v.is_empty())
            && !matches!(label, "各年度目標" | "業務量削減目標値（時間）" | "財政効果目標額（千円）" | "年度目標実績値" | "業務量削減実績値（時間）" | "財政効果実績額（千円）" | "評価" | "課題" | "次年度に向けた改善点")
            || label == "年度目標実績値" && values[0].contains("記載不要");
        if single {
            ws.merge_range(r, 2, r, 5, values[0], &f.value)?;
            ws.set_row_height(r, row_height(&[(values[0].to_string(), 26.0 * 3.0 + 16.0)]))?;
        } else {
            let numeric_row = matches!(label, "業務量削減目標値（時間）" | "財政効果目標額（千円）");
            for (c, v) in values.iter().enumerate() {
                let col = c as u16 + 2;
                let format = if header_row { &f.header } else { &f.value };
                match is_plain_number(v) {
                    Some(n) if drift.numbers_as_numbers && numeric_row && c < 3 => {
                        ws.write_number_with_format(r, col, n, &f.number)?;
                    }
                    _ => {
                        ws.write_with_format(r, col, *v, format)?;
                    }
                }
            }
            let texts: Vec<(String, f64)> = values.iter().enumerate().map(|(c, v)| (v.to_string(), WIDTHS[c + 2])).collect();
            ws.set_row_height(r, row_height(&texts))?;
        }
        r += 1;
        if drift.blank_rows && matches!(label, "参考事例等" | "財政効果目標額（千円）") {
            r += 1; // an empty row a department inserted
        }
    }
    close_section(ws, section, section_start, r - 1, drift, f)?;
    Ok(())
}

/// Writes the section name in column A over the section's rows.
fn close_section(ws: &mut Worksheet, section: usize, first: u32, last: u32, drift: Drift, f: &Formats) -> Result<(), rust_xlsxwriter::XlsxError> {
    let name = SECTIONS[section].0;
    if first == last || drift.moved_rows {
        ws.write_with_format(first, 0, name, &f.section)?;
        for r in first + 1..=last {
            ws.write_with_format(r, 0, "", &f.section)?;
        }
    } else {
        ws.merge_range(first, 0, last, 0, name, &f.section)?;
    }
    Ok(())
}

fn write_list_sheet(ws: &mut Worksheet, dept: &Department, suffix: &str, f: &Formats) -> Result<(), rust_xlsxwriter::XlsxError> {
    ws.set_name("優先順位一覧")?;
    ws.write_with_format(0, 0, format!("取組項目及び優先順位一覧（{}）", dept.name), &f.title)?;
    let headers = [("優先順位", 9.0), ("取組項目名", 48.0), ("主たる所管部署", 20.0), ("大分類", 20.0), ("小分類", 16.0), ("備考", 14.0)];
    for (c, (h, w)) in headers.iter().enumerate() {
        ws.write_with_format(2, c as u16, *h, &f.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for (i, row) in dept.list.iter().enumerate() {
        let r = 3 + i as u32;
        for c in 0..6 {
            let v = row.get(c).map(String::as_str).unwrap_or("");
            if c == 0 {
                match v.parse::<f64>() {
                    Ok(n) => ws.write_number_with_format(r, 0, n, &f.value)?,
                    Err(_) => ws.write_with_format(r, 0, v, &f.value)?,
                };
            } else if c == 1 {
                ws.write_with_format(r, 1, format!("{v}{suffix}"), &f.value)?;
            } else {
                ws.write_with_format(r, c as u16, v, &f.value)?;
            }
        }
    }
    ws.set_freeze_panes(3, 0)?;
    Ok(())
}

pub fn build(dept: &Department, copy: Option<usize>, out: &Path) -> Result<PathBuf, rust_xlsxwriter::XlsxError> {
    let code = &dept.file_stem[..2];
    let drift = drift_for(code);
    let f = formats();
    let suffix = copy.map(|k| format!("（{k}）")).unwrap_or_default();
    let mut book = Workbook::new();
    let date = ExcelDateTime::parse_from_str("2023-07-31")?;
    book.set_properties(&DocProperties::new().set_author(&dept.name).set_creation_datetime(&date));
    let has_list = !dept.list.is_empty();
    if has_list && !drift.list_last {
        write_list_sheet(book.add_worksheet(), dept, &suffix, &f)?;
    }
    if drift.example_sheet {
        let ws = book.add_worksheet();
        ws.set_name("記入例")?;
        let mut example = dept.sheets[0].clone();
        example[0][1] = "（記入例）窓口受付業務のオンライン化".to_string();
        write_item_sheet(ws, &example, drift, &f)?;
        ws.write(0, 7, "記入例")?;
    }
    for (i, sheet) in dept.sheets.iter().enumerate() {
        let ws = book.add_worksheet();
        ws.set_name((i + 1).to_string())?;
        let mut rows = sheet.clone();
        if let Some(title) = rows.iter_mut().find(|r| r[0] == "取組項目名") {
            if title.len() > 1 {
                title[1] = format!("{}{suffix}", title[1]);
            }
        }
        write_item_sheet(ws, &rows, drift, &f)?;
    }
    if has_list && drift.list_last {
        write_list_sheet(book.add_worksheet(), dept, &suffix, &f)?;
    }
    if drift.hidden_helper {
        let ws = book.add_worksheet();
        ws.set_name("選択肢")?;
        for (i, v) in ["情報・デジタル化の改革", "人（職員）の改革", "財政の改革", "施設・モノの改革"].iter().enumerate() {
            ws.write(i as u32, 0, *v)?;
        }
        ws.set_hidden(true);
    }
    let name = match copy {
        Some(k) => format!("{}_{k:03}.xlsx", dept.file_stem),
        None => format!("{}.xlsx", dept.file_stem),
    };
    let path = out.join(name);
    book.save(&path)?;
    Ok(path)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut scale: Option<usize> = None;
    let mut out = PathBuf::from("inputs/submissions");
    let mut source = PathBuf::from("samples/transcription");
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--scale" => {
                scale = Some(args[i + 1].parse().expect("--scale takes a number"));
                i += 1;
            }
            "--out" => {
                out = PathBuf::from(&args[i + 1]);
                i += 1;
            }
            "--source" => {
                source = PathBuf::from(&args[i + 1]);
                i += 1;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 1;
    }
    std::fs::create_dir_all(&out).expect("create output folder");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&source)
        .unwrap_or_else(|e| panic!("{}: {e}", source.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    paths.sort();
    let mut sheets = 0;
    for path in &paths {
        let dept = parse(path);
        sheets += dept.sheets.len() * scale.unwrap_or(1);
        match scale {
            None => {
                build(&dept, None, &out).expect("write workbook");
            }
            Some(n) => {
                for k in 1..=n {
                    build(&dept, Some(k), &out).expect("write workbook");
                }
            }
        }
    }
    println!("{} workbooks, {} item sheets in {}", paths.len() * scale.unwrap_or(1), sheets, out.display());
}
