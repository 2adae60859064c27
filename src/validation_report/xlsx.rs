//! 差し戻し一覧: the findings as a filterable workbook, one row per finding,
//! plus a summary sheet per department.

use super::by_department;
use crate::xlsx::properties;
use crate::config::PlanConfig;
use crate::pipeline::Run;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};

pub fn render(run: &Run, config: &PlanConfig) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    book.set_properties(&properties(config, "差し戻し一覧")?);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDE6F0))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter);
    let cell = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::Top);
    let wrap = cell.clone().set_text_wrap();
    let error = cell.clone().set_font_color(Color::RGB(0xC00000)).set_bold();

    let sheet = book.add_worksheet();
    sheet.set_name("差し戻し一覧")?;
    let columns: [(&str, f64); 9] = [
        ("No", 5.0),
        ("部", 12.0),
        ("ファイル", 22.0),
        ("シート", 10.0),
        ("セル", 7.0),
        ("重要度", 8.0),
        ("コード", 7.0),
        ("内容", 60.0),
        ("修正方法", 45.0),
    ];
    for (c, (title, width)) in columns.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *title, &header)?;
        sheet.set_column_width(c as u16, *width)?;
    }
    for (i, f) in run.findings.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_number_with_format(r, 0, (i + 1) as f64, &cell)?;
        sheet.write_with_format(r, 1, &f.department, &cell)?;
        sheet.write_with_format(r, 2, &f.file, &cell)?;
        sheet.write_with_format(r, 3, f.sheet.as_deref().unwrap_or(""), &cell)?;
        sheet.write_with_format(r, 4, f.cell.as_deref().unwrap_or(""), &cell)?;
        let severity_format = if f.severity == crate::findings::Severity::Error { &error } else { &cell };
        sheet.write_with_format(r, 5, f.severity.label_ja(), severity_format)?;
        sheet.write_with_format(r, 6, f.code, &cell)?;
        sheet.write_with_format(r, 7, &f.message, &wrap)?;
        sheet.write_with_format(r, 8, &f.hint, &wrap)?;
    }
    let last = run.findings.len() as u32;
    sheet.autofilter(0, 0, last.max(1), 8)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;

    let summary = book.add_worksheet();
    summary.set_name("部別集計")?;
    for (c, (title, width)) in [("部", 16.0), ("提出ファイル", 30.0), ("個票", 8.0), ("エラー", 8.0), ("警告", 8.0), ("情報", 8.0)]
        .iter()
        .enumerate()
    {
        summary.write_with_format(0, c as u16, *title, &header)?;
        summary.set_column_width(c as u16, *width)?;
    }
    for (i, d) in by_department(run, config).iter().enumerate() {
        let r = i as u32 + 1;
        summary.write_with_format(r, 0, &d.department, &cell)?;
        summary.write_with_format(r, 1, d.files.join("、"), &wrap)?;
        for (c, n) in [d.items, d.errors, d.warnings, d.infos].iter().enumerate() {
            summary.write_number_with_format(r, 2 + c as u16, *n as f64, &cell)?;
        }
    }
    summary.set_freeze_panes(1, 0)?;

    // The findings the office decided (decisions.toml), with its reasons.
    if !run.decided.is_empty() {
        let decided = book.add_worksheet();
        decided.set_name("確認済")?;
        let columns: [(&str, f64); 8] =
            [("部", 12.0), ("場所", 34.0), ("コード", 7.0), ("指摘", 60.0), ("判断", 22.0), ("理由", 45.0), ("判断者", 14.0), ("日付", 11.0)];
        for (c, (title, width)) in columns.iter().enumerate() {
            decided.write_with_format(0, c as u16, *title, &header)?;
            decided.set_column_width(c as u16, *width)?;
        }
        for (i, d) in run.decided.iter().enumerate() {
            let r = i as u32 + 1;
            let texts = [
                d.finding.department.as_str(),
                &d.finding.place(),
                d.finding.code,
                &d.finding.message,
                d.decision.choice.label_ja(),
                &d.decision.reason,
                &d.decision.by,
                &d.decision.date,
            ];
            for (c, text) in texts.iter().enumerate() {
                decided.write_with_format(r, c as u16, *text, &wrap)?;
            }
        }
        decided.set_freeze_panes(1, 0)?;
    }
    crate::xlsx::save(&mut book)
}
