//! The consolidated workbook: an index (目次), a flat table with one row per
//! item and one column per field for filtering and pivoting (項目一覧), and
//! one sheet per item in the 個票 layout the reader understands.

use crate::xlsx::{Formats, row_height};
use super::{ItemSheet, ListRow};
use crate::format::as_written;
use crate::config::PlanConfig;
use crate::model::{Amount, Item};
use crate::xlsx::properties;
use rust_xlsxwriter::{DataValidation, Format, FormatAlign, Formula, Url, Workbook, Worksheet};
use std::collections::BTreeMap;

/// A cell of the flat table.
enum Value {
    Text(String),
    Number(f64),
}

/// An amount as a number (canonical sign, for sums and pivots) when it is
/// only a number, else as the department wrote it.
fn amount_value(amount: Option<&Amount>) -> Value {
    match amount {
        Some(a) if a.value.is_some() && a.note.is_empty() => Value::Number(a.value.unwrap_or_default()),
        Some(a) => Value::Text(as_written(a)),
        None => Value::Text(String::new()),
    }
}

pub fn render(items: &[Item], config: &PlanConfig, title: &str) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    book.set_properties(&properties(config, title)?);
    let formats = Formats::new();

    write_index(book.add_worksheet(), items, &formats, title)?;
    write_flat(book.add_worksheet(), items, config, &formats)?;
    for item in items {
        let sheet = book.add_worksheet();
        sheet.set_name(item.number.to_string())?;
        write_item_sheet(sheet, &ItemSheet::new(item, config), &config_year_eras(config), &formats, None)?;
    }
    crate::xlsx::save(&mut book)
}

/// "1,920" → 1920, "△480" → -480; None for anything but a plain number
/// as format_number prints it.
pub(crate) fn plain_number(text: &str) -> Option<f64> {
    let (sign, digits) = match text.strip_prefix('△') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.') {
        return None;
    }
    digits.replace(',', "").parse::<f64>().ok().map(|v| sign * v)
}

pub fn config_year_eras(config: &PlanConfig) -> Vec<String> {
    config.years.iter().map(|y| y.era.clone()).collect()
}

fn write_index(sheet: &mut Worksheet, items: &[Item], f: &Formats, title: &str) -> anyhow::Result<()> {
    sheet.set_name("目次")?;
    sheet.write_with_format(0, 0, title, &f.title)?;
    let headers = ["項目番号", "部局名", "優先順位", "取組項目名（シートへ移動）", "主たる所管部署", "大分類", "小分類", "要確認"];
    let rows: Vec<ListRow> = items.iter().map(ListRow::new).collect();
    let header_row = 2u32;
    let widths = [8.0, 16.0, 8.0, 60.0, 22.0, 22.0, 18.0, 8.0];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_with_format(header_row, c as u16, *h, &f.header)?;
        sheet.set_column_width(c as u16, widths[c])?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = header_row + 1 + i as u32;
        sheet.write_number_with_format(r, 0, row.page as f64, &f.center)?;
        sheet.write_with_format(r, 1, &row.department, &f.cell)?;
        match row.priority.parse::<f64>() {
            Ok(p) => sheet.write_number_with_format(r, 2, p, &f.center)?,
            Err(_) => sheet.write_with_format(r, 2, "", &f.center)?,
        };
        let link = Url::new(format!("internal:'{}'!A1", row.page)).set_text(&row.title);
        sheet.write_url_with_format(r, 3, link, &f.link)?;
        sheet.write_with_format(r, 4, &row.section, &f.cell)?;
        sheet.write_with_format(r, 5, &row.daibunrui, &f.cell)?;
        sheet.write_with_format(r, 6, &row.shobunrui, &f.cell)?;
        sheet.write_with_format(r, 7, if row.needs_review { "要確認" } else { "" }, &f.review)?;
        sheet.set_row_height(r, row_height([(row.title.as_str(), widths[3])]))?;
    }
    sheet.autofilter(header_row, 0, header_row + rows.len().max(1) as u32, headers.len() as u16 - 1)?;
    sheet.set_freeze_panes(header_row + 1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(header_row, header_row)?;
    Ok(())
}

/// The flat table's columns: header and how to read the value from an item.
fn flat_columns<'a>(config: &'a PlanConfig, items: &[Item]) -> Vec<(String, f64, Box<dyn Fn(&Item) -> Value + 'a>)> {
    let text = |f: fn(&Item) -> String| -> Box<dyn Fn(&Item) -> Value> { Box::new(move |i| Value::Text(f(i))) };
    let mut columns: Vec<(String, f64, Box<dyn Fn(&Item) -> Value + '_>)> = vec![
        ("項目番号".into(), 8.0, Box::new(|i: &Item| Value::Number(i.number as f64))),
        ("部局名".into(), 16.0, text(super::department_label)),
        ("優先順位".into(), 8.0, Box::new(|i: &Item| match i.priority {
            Some(p) => Value::Number(p as f64),
            None => Value::Text(String::new()),
        })),
        ("取組項目名".into(), 40.0, text(|i| i.title.clone())),
        ("大分類".into(), 22.0, text(|i| i.daibunrui.clone())),
        ("小分類".into(), 18.0, text(|i| i.shobunrui.clone())),
        ("主たる所管部署".into(), 22.0, text(|i| i.written.primary.clone())),
        ("関係部署".into(), 22.0, text(|i| i.written.related.clone())),
        ("プラン策定時の現状及び課題認識".into(), 40.0, text(|i| i.situation.clone())),
        ("取組の方向性、内容".into(), 40.0, text(|i| i.approach.clone())),
        ("参考事例等".into(), 24.0, text(|i| i.references.clone())),
        ("3年後の目指す姿（最終目標）".into(), 30.0, text(|i| i.goal.clone())),
    ];
    for y in &config.years {
        let code = y.code.clone();
        columns.push((format!("年度計画 {}", y.era), 30.0, Box::new(move |i: &Item| {
            Value::Text(
                i.plan_rows
                    .iter()
                    .filter_map(|row| {
                        let t = row.years.get(&code)?.trim();
                        (!t.is_empty()).then(|| if row.label.is_empty() { t.to_string() } else { format!("{}：{t}", row.label) })
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })));
    }
    let per_year = |columns: &mut Vec<(String, f64, Box<dyn Fn(&Item) -> Value + '_>)>, name: &str, get: fn(&Item) -> &BTreeMap<String, Amount>| {
        for y in &config.years {
            let code = y.code.clone();
            columns.push((format!("{name} {}", y.era), 14.0, Box::new(move |i: &Item| amount_value(get(i).get(&code)))));
        }
    };
    for y in &config.years {
        let code = y.code.clone();
        columns.push((format!("各年度目標 {}", y.era), 14.0, Box::new(move |i: &Item| Value::Text(i.yearly_goals.get(&code).cloned().unwrap_or_default()))));
    }
    columns.push(("各年度目標 備考".into(), 20.0, text(|i| i.target_remarks.yearly_goals.clone())));
    per_year(&mut columns, "業務量削減目標値（時間）", |i| &i.workload_target);
    columns.push(("業務量削減目標値 計（時間）".into(), 14.0, Box::new(|i: &Item| total(&i.workload_target))));
    columns.push(("業務量削減目標値 備考".into(), 20.0, text(|i| i.target_remarks.workload.clone())));
    per_year(&mut columns, "財政効果目標額（千円）", |i| &i.fiscal_target);
    columns.push(("財政効果目標額 計（千円）".into(), 14.0, Box::new(|i: &Item| total(&i.fiscal_target))));
    columns.push(("財政効果目標額 備考".into(), 20.0, text(|i| i.target_remarks.fiscal.clone())));
    // 実績 and 評価, for each year any item has results for.
    for y in config.years.iter().filter(|y| items.iter().any(|i| i.results.contains_key(&y.code))) {
        let era = y.era.clone();
        let result = |code: String, get: fn(&crate::model::YearResult) -> Value| -> Box<dyn Fn(&Item) -> Value> {
            Box::new(move |i: &Item| i.results.get(&code).map(get).unwrap_or(Value::Text(String::new())))
        };
        columns.push((format!("年度目標実績値 {era}"), 24.0, result(y.code.clone(), |r| Value::Text(r.goal_result.clone()))));
        columns.push((format!("業務量削減実績値（時間） {era}"), 14.0, result(y.code.clone(), |r| amount_value(Some(&r.workload_result)))));
        columns.push((format!("財政効果実績額（千円） {era}"), 14.0, result(y.code.clone(), |r| amount_value(Some(&r.fiscal_result)))));
        columns.push((format!("評価 {era}"), 8.0, result(y.code.clone(), |r| Value::Text(r.evaluation.clone()))));
        columns.push((format!("課題 {era}"), 24.0, result(y.code.clone(), |r| Value::Text(r.issues.clone()))));
        columns.push((format!("次年度に向けた改善点 {era}"), 24.0, result(y.code.clone(), |r| Value::Text(r.improvements.clone()))));
    }
    columns.push(("一覧の備考".into(), 14.0, text(|i| i.list_note.clone())));
    columns.push(("要確認".into(), 8.0, text(|i| if i.has_errors { "要確認".into() } else { String::new() })));
    columns.push(("提出ファイル".into(), 24.0, text(|i| i.source.file.clone())));
    columns.push(("シート".into(), 8.0, text(|i| i.source.sheet.clone())));
    columns
}

/// Sum of the numeric targets, blank when no year has a number.
fn total(map: &BTreeMap<String, Amount>) -> Value {
    if map.values().any(|a| a.value.is_some()) {
        Value::Number(crate::figures::target_sum(map))
    } else {
        Value::Text(String::new())
    }
}

fn write_flat(sheet: &mut Worksheet, items: &[Item], config: &PlanConfig, f: &Formats) -> anyhow::Result<()> {
    sheet.set_name("項目一覧")?;
    let columns = flat_columns(config, items);
    for (c, (header, width, _)) in columns.iter().enumerate() {
        sheet.write_with_format(0, c as u16, header.as_str(), &f.header)?;
        sheet.set_column_width(c as u16, *width)?;
    }
    sheet.set_row_height(0, 45.0)?;
    // One line per item, as a table to filter and pivot: cells do not wrap,
    // the full text stays in each cell.
    for (i, item) in items.iter().enumerate() {
        let r = 1 + i as u32;
        for (c, (_, _, get)) in columns.iter().enumerate() {
            match get(item) {
                Value::Number(n) => sheet.write_number_with_format(r, c as u16, n, f.for_number(n))?,
                Value::Text(t) => sheet.write_with_format(r, c as u16, crate::xlsx::cell_text(&t).as_ref(), &f.cell)?,
            };
        }
    }
    sheet.autofilter(0, 0, items.len().max(1) as u32, columns.len() as u16 - 1)?;
    sheet.set_freeze_panes(1, 4)?;
    // One row per item across some forty columns: A3 landscape, fit to the
    // width (a clerk prints it to check, not to read every word).
    sheet.set_landscape();
    sheet.set_paper_size(8);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    Ok(())
}

/// Column widths of the 個票 layout: section, label, one per year, 備考.
const SECTION_WIDTH: f64 = 4.0;
const LABEL_WIDTH: f64 = 22.0;
const YEAR_WIDTH: f64 = 26.0;
const NOTE_WIDTH: f64 = 14.0;

/// The year a progress form is for: its 実績 and 評価 cells are the only ones
/// a department can edit.
pub struct OpenYear {
    /// Position of the year among the plan years (0 for R6).
    pub index: usize,
    /// 令和6年度, printed beside 対象年度.
    pub label: String,
    /// The evaluation scale: grade and its meaning.
    pub grades: Vec<(String, String)>,
}

/// Excel's check for an hours / 千円 cell: a number, or a number written
/// with △ (as departments write reductions and costs).
pub(crate) fn amount_validation(cell: &str) -> anyhow::Result<DataValidation> {
    let formula = format!("=OR(ISNUMBER({cell}),AND(LEFT({cell},1)=\"△\",ISNUMBER(--SUBSTITUTE(MID({cell},2,30),\",\",\"\"))))");
    Ok(DataValidation::new()
        .allow_custom(Formula::new(formula))
        .set_input_title("数値で入力")?
        .set_input_message("数値で入力してください。削減・効果はプラス、増加・費用は△を付けて入力します（例: 480、△120）")?
        .set_error_title("数値ではありません")?
        .set_error_message("数値（△付きも可）を入力してください。説明は備考欄や課題欄に書いてください")?)
}

/// Writes one item in the 個票 layout: title and 項目番号 on top, the 概要 /
/// 計画 / 実績 / 評価 sections with shaded labels in column B, years from
/// column C and 備考 last. `eras` are the year headers (令和6年度). With
/// `open`, the sheet is a progress form: protected without a password, the
/// open year's 実績 and 評価 cells unlocked and validated.
/// Returns the last row written.
pub fn write_item_sheet(sheet: &mut Worksheet, item: &ItemSheet, eras: &[String], f: &Formats, open: Option<&OpenYear>) -> anyhow::Result<u32> {
    let n = eras.len() as u16;
    let last_col = 2 + n; // 備考
    let wide_width = YEAR_WIDTH * n as f64 + NOTE_WIDTH;
    sheet.set_column_width(0, SECTION_WIDTH)?;
    sheet.set_column_width(1, LABEL_WIDTH)?;
    for c in 0..n {
        sheet.set_column_width(2 + c, YEAR_WIDTH)?;
    }
    sheet.set_column_width(last_col, NOTE_WIDTH)?;

    sheet.merge_range(0, 0, 0, last_col - 2, "取組項目個票（兼進捗管理表）", &f.title)?;
    sheet.write_with_format(0, last_col - 1, "<項目番号>", &Format::new().set_align(FormatAlign::Right).set_align(FormatAlign::VerticalCenter))?;
    sheet.write_number_with_format(0, last_col, item.number as f64, &f.center.clone().set_bold().set_font_size(12))?;
    sheet.set_row_height(0, 24.0)?;
    if item.needs_review {
        sheet.write_with_format(1, last_col, "要確認", &f.review)?;
    }
    if let Some(open) = open {
        sheet.write_with_format(1, 1, "対象年度", &f.label)?;
        sheet.write_with_format(1, 2, open.label.as_str(), &f.header)?;
    }
    // An open cell of the form: unlocked, tinted, validated.
    let open_cell = |sheet: &mut Worksheet, row: u32, value: &str, validation: Option<DataValidation>| -> anyhow::Result<()> {
        let Some(open) = open else { return Ok(()) };
        let col = 2 + open.index as u16;
        match plain_number(value) {
            Some(n) if validation.is_some() => sheet.write_number_with_format(row, col, n, &f.open)?,
            _ => sheet.write_with_format(row, col, value, &f.open)?,
        };
        if let Some(v) = validation {
            sheet.add_data_validation(row, col, row, col, &v)?;
        }
        Ok(())
    };

    let section = f.header.clone().set_rotation(270).set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter);
    let mut r: u32 = 2;
    let wide_row = |sheet: &mut Worksheet, r: &mut u32, label: &str, value: &str| -> anyhow::Result<()> {
        sheet.write_with_format(*r, 1, label, &f.label)?;
        sheet.merge_range(*r, 2, *r, last_col, &crate::xlsx::cell_text(value), &f.wrap)?;
        sheet.set_row_height(*r, row_height([(value, wide_width), (label, LABEL_WIDTH)]))?;
        *r += 1;
        Ok(())
    };
    // A row of the year grid; a header row (年度計画, 実績報告) is shaded
    // throughout, and numeric rows write plain numbers as numbers.
    let grid_row = |sheet: &mut Worksheet, r: &mut u32, label: &str, cells: &[String], note: &str, header: bool, numeric: bool| -> anyhow::Result<()> {
        let (label_format, cell_format) = if header { (&f.header, &f.header) } else { (&f.label, &f.wrap) };
        sheet.write_with_format(*r, 1, label, label_format)?;
        for (c, text) in cells.iter().enumerate() {
            match plain_number(text).filter(|_| numeric) {
                Some(n) => sheet.write_number_with_format(*r, 2 + c as u16, n, f.for_number(n))?,
                None => sheet.write_with_format(*r, 2 + c as u16, crate::xlsx::cell_text(text).as_ref(), cell_format)?,
            };
        }
        sheet.write_with_format(*r, last_col, crate::xlsx::cell_text(note).as_ref(), cell_format)?;
        let mut sizes: Vec<(&str, f64)> = cells.iter().map(|t| (t.as_str(), YEAR_WIDTH)).collect();
        sizes.push((note, NOTE_WIDTH));
        sizes.push((label, LABEL_WIDTH));
        sheet.set_row_height(*r, row_height(sizes))?;
        *r += 1;
        Ok(())
    };
    let section_label = |sheet: &mut Worksheet, first: u32, last: u32, name: &str| -> anyhow::Result<()> {
        if last > first {
            sheet.merge_range(first, 0, last, 0, name, &section)?;
        } else {
            sheet.write_with_format(first, 0, name, &section)?;
        }
        Ok(())
    };

    // 概要
    let start = r;
    wide_row(sheet, &mut r, "取組項目名", &item.title)?;
    wide_row(sheet, &mut r, "大分類", &item.daibunrui)?;
    wide_row(sheet, &mut r, "小分類", &item.shobunrui)?;
    wide_row(sheet, &mut r, "主たる所管部署", &item.primary)?;
    wide_row(sheet, &mut r, "関係部署", &item.related)?;
    wide_row(sheet, &mut r, "プラン策定時の現状及び課題認識", &item.situation)?;
    wide_row(sheet, &mut r, "取組の方向性、内容", &item.approach)?;
    wide_row(sheet, &mut r, "参考事例等", &item.references)?;
    section_label(sheet, start, r - 1, "概要")?;

    // 計画
    let start = r;
    wide_row(sheet, &mut r, "3年後の目指す姿（最終目標）", &item.goal)?;
    let headers: Vec<String> = eras.iter().map(|e| format!("{e}計画")).collect();
    grid_row(sheet, &mut r, "年度計画", &headers, "備考", true, false)?;
    for row in &item.plan_rows {
        grid_row(sheet, &mut r, &row.label, &row.cells, &row.note, false, false)?;
    }
    for row in &item.targets {
        grid_row(sheet, &mut r, &row.label, &row.cells, &row.note, false, true)?;
    }
    section_label(sheet, start, r - 1, "計画")?;

    // 実績
    let start = r;
    let headers: Vec<String> = eras.iter().map(|e| format!("{e}実績")).collect();
    grid_row(sheet, &mut r, "実績報告", &headers, "備考", true, false)?;
    for (i, row) in item.results.iter().enumerate() {
        let at = r;
        grid_row(sheet, &mut r, &row.label, &row.cells, &row.note, false, true)?;
        if let Some(open) = open {
            let value = row.cells.get(open.index).map(String::as_str).unwrap_or("");
            // Row 0 is 年度目標実績値 (free text); rows 1-2 are hours and 千円.
            let validation = if i == 0 { None } else { Some(amount_validation(&rust_xlsxwriter::utility::row_col_to_cell(at, 2 + open.index as u16))?) };
            open_cell(sheet, at, value, validation)?;
        }
    }
    section_label(sheet, start, r - 1, "実績")?;

    // 評価
    let start = r;
    for (i, row) in item.evaluation.iter().enumerate() {
        let at = r;
        grid_row(sheet, &mut r, &row.label, &row.cells, &row.note, false, false)?;
        if let Some(open) = open {
            let value = row.cells.get(open.index).map(String::as_str).unwrap_or("");
            let validation = if i == 0 && !open.grades.is_empty() {
                let grades: Vec<&str> = open.grades.iter().map(|(g, _)| g.as_str()).collect();
                let meaning: Vec<String> = open.grades.iter().map(|(g, m)| format!("{g}: {m}")).collect();
                Some(
                    DataValidation::new()
                        .allow_list_strings(&grades)?
                        .set_input_title("評価を選択")?
                        .set_input_message(meaning.join("\n"))?
                        .set_error_title("評価の区分にありません")?
                        .set_error_message(format!("{} から選んでください", grades.join("・")))?,
                )
            } else {
                None
            };
            open_cell(sheet, at, value, validation)?;
        }
    }
    section_label(sheet, start, r - 1, "評価")?;

    sheet.set_paper_size(9);
    sheet.set_portrait();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_area(0, 0, r - 1, last_col)?;
    if open.is_some() {
        // No password: a clerk can always unlock it, so nothing is lost.
        sheet.protect();
    }
    Ok(r - 1)
}
