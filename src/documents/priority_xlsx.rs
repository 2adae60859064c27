//! 取組項目及び優先順位一覧 as a workbook: frozen header, auto-filter, column
//! widths that fit the text, A4 landscape with the header row repeated.

use super::ListRow;
use crate::xlsx::{Formats, fit_width, row_height};
use crate::config::PlanConfig;
use crate::xlsx::properties;
use rust_xlsxwriter::Workbook;

pub const HEADERS: [&str; 9] = ["ページ番号", "部局名", "優先順位", "取組項目名", "主たる所管部署", "大分類", "小分類", "備考", "要確認"];

pub fn render(rows: &[ListRow], config: &PlanConfig, title: &str) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    book.set_properties(&properties(config, title)?);
    let formats = Formats::new();
    let sheet = book.add_worksheet();
    sheet.set_name("優先順位一覧")?;

    // Row 0: title; row 2: header; data from row 3.
    sheet.write_with_format(0, 0, title, &formats.title)?;
    let header_row = 2u32;
    let texts = |i: usize| -> Vec<String> {
        rows.iter()
            .map(|r| match i {
                0 => r.page.to_string(),
                1 => r.department.clone(),
                2 => r.priority.clone(),
                3 => r.title.clone(),
                4 => r.section.clone(),
                5 => r.daibunrui.clone(),
                6 => r.shobunrui.clone(),
                7 => r.note.clone(),
                _ => if r.needs_review { "要確認".into() } else { String::new() },
            })
            .collect()
    };
    let mut widths = Vec::new();
    for (c, header) in HEADERS.iter().enumerate() {
        let column = texts(c);
        let max = if c == 3 { 60.0 } else { 30.0 };
        let width = fit_width(column.iter().map(String::as_str).chain([*header]), 6.0, max);
        sheet.set_column_width(c as u16, width)?;
        widths.push(width);
        sheet.write_with_format(header_row, c as u16, *header, &formats.header)?;
    }
    sheet.set_row_height(header_row, 30.0)?;
    for (i, row) in rows.iter().enumerate() {
        let r = header_row + 1 + i as u32;
        sheet.write_number_with_format(r, 0, row.page as f64, &formats.center)?;
        sheet.write_with_format(r, 1, &row.department, &formats.cell)?;
        match row.priority.parse::<f64>() {
            Ok(p) => sheet.write_number_with_format(r, 2, p, &formats.center)?,
            Err(_) => sheet.write_with_format(r, 2, "", &formats.center)?,
        };
        sheet.write_with_format(r, 3, &row.title, &formats.wrap)?;
        sheet.write_with_format(r, 4, &row.section, &formats.wrap)?;
        sheet.write_with_format(r, 5, &row.daibunrui, &formats.cell)?;
        sheet.write_with_format(r, 6, &row.shobunrui, &formats.cell)?;
        sheet.write_with_format(r, 7, &row.note, &formats.wrap)?;
        sheet.write_with_format(r, 8, if row.needs_review { "要確認" } else { "" }, &formats.review)?;
        sheet.set_row_height(r, row_height([(row.title.as_str(), widths[3]), (row.section.as_str(), widths[4]), (row.note.as_str(), widths[7])]))?;
    }
    let last = header_row + rows.len().max(1) as u32;
    sheet.autofilter(header_row, 0, last, HEADERS.len() as u16 - 1)?;
    sheet.set_freeze_panes(header_row + 1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(header_row, header_row)?;
    sheet.set_header("&R&\"BIZ UDPゴシック\"&P / &N");
    crate::xlsx::save(&mut book)
}
