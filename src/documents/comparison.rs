//! The 新旧対照表 as documents: data for its template, and its workbook.

use super::booklet::DocumentMeta;
use crate::xlsx::Formats;
use crate::compare::{Comparison, Segment};
use crate::config::PlanConfig;
use crate::xlsx::properties;
use rust_xlsxwriter::{Color, Format, Workbook};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ComparisonData {
    pub meta: DocumentMeta,
    pub old_label: String,
    pub new_label: String,
    pub renumbered: usize,
    pub changed: usize,
    pub comparison: Comparison,
}

/// How the 新旧対照表 names one version of the inputs: its plan.toml's
/// stage and document date (素案 令和5(2023)年8月), never a folder path.
pub fn version_label(config: &PlanConfig) -> String {
    let date = crate::era::era_date(&config.document_date()).map(|d| d.month).unwrap_or_else(|| config.document.date_label.clone());
    [config.plan.stage.as_str(), date.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ")
}

impl ComparisonData {
    pub fn new(comparison: Comparison, config: &PlanConfig, old_label: &str, new_label: &str) -> ComparisonData {
        let title = format!("{} 新旧対照表", super::booklet::booklet_title(config));
        ComparisonData {
            meta: DocumentMeta::new(config, title),
            old_label: old_label.to_string(),
            new_label: new_label.to_string(),
            renumbered: comparison.renumbered().count(),
            changed: comparison.changed().count(),
            comparison,
        }
    }
}

/// One row per changed field, changed characters in red; a second sheet
/// lists items added, removed and renumbered.
pub fn render(data: &ComparisonData, config: &PlanConfig) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    book.set_properties(&properties(config, &data.meta.title)?);
    let f = Formats::new();
    let plain = Format::new().set_font_name("BIZ UDPゴシック").set_font_size(10);
    let marked = plain.clone().set_font_color(Color::RGB(0xC00000)).set_bold().set_underline(rust_xlsxwriter::FormatUnderline::Single);

    let sheet = book.add_worksheet();
    sheet.set_name("新旧対照表")?;
    let headers = [("新番号", 7.0), ("旧番号", 7.0), ("部", 14.0), ("取組項目名", 30.0), ("対応付け", 14.0), ("欄", 18.0), ("新", 50.0), ("旧", 50.0)];
    for (c, (h, w)) in headers.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &f.header)?;
        sheet.set_column_width(c as u16, *w)?;
    }
    let mut r = 1;
    for m in data.comparison.changed() {
        for change in &m.changes {
            sheet.write_number_with_format(r, 0, m.new_number as f64, &f.center)?;
            sheet.write_number_with_format(r, 1, m.old_number as f64, &f.center)?;
            sheet.write_with_format(r, 2, m.department.as_str(), &f.wrap)?;
            sheet.write_with_format(r, 3, m.title.as_str(), &f.wrap)?;
            sheet.write_with_format(r, 4, m.method_label.as_str(), &f.wrap)?;
            sheet.write_with_format(r, 5, change.field.as_str(), &f.label)?;
            for (c, segments) in [(6u16, &change.new), (7u16, &change.old)] {
                write_marked(sheet, r, c, segments, &plain, &marked, &f.wrap)?;
            }
            r += 1;
        }
    }
    sheet.autofilter(0, 0, r.max(2) - 1, headers.len() as u16 - 1)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;

    let sheet = book.add_worksheet();
    sheet.set_name("追加・削除・番号変更")?;
    for (c, (h, w)) in [("区分", 10.0), ("新番号", 8.0), ("旧番号", 8.0), ("部", 14.0), ("取組項目名", 60.0)].iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &f.header)?;
        sheet.set_column_width(c as u16, *w)?;
    }
    let mut r = 1;
    let mut row = |kind: &str, new: Option<u32>, old: Option<u32>, department: &str, title: &str| -> anyhow::Result<()> {
        sheet.write_with_format(r, 0, kind, &f.cell)?;
        for (c, n) in [(1u16, new), (2u16, old)] {
            match n {
                Some(n) => sheet.write_number_with_format(r, c, n as f64, &f.center)?,
                None => sheet.write_with_format(r, c, "", &f.center)?,
            };
        }
        sheet.write_with_format(r, 3, department, &f.cell)?;
        sheet.write_with_format(r, 4, title, &f.wrap)?;
        r += 1;
        Ok(())
    };
    for i in &data.comparison.added {
        row("追加", Some(i.number), None, &i.department, &i.title)?;
    }
    for i in &data.comparison.removed {
        row("削除", None, Some(i.number), &i.department, &i.title)?;
    }
    for m in data.comparison.renumbered() {
        row("番号変更", Some(m.new_number), Some(m.old_number), &m.department, &m.title)?;
    }
    crate::xlsx::save(&mut book)
}

fn write_marked(
    sheet: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    c: u16,
    segments: &[Segment],
    plain: &Format,
    marked: &Format,
    cell: &Format,
) -> anyhow::Result<()> {
    let parts: Vec<(&Format, &str)> =
        segments.iter().filter(|s| !s.text.is_empty()).map(|s| (if s.changed { marked } else { plain }, s.text.as_str())).collect();
    match parts.len() {
        0 => sheet.write_with_format(r, c, "", cell)?,
        // A rich string needs two runs or more.
        1 => sheet.write_with_format(r, c, parts[0].1, if segments.iter().any(|s| s.changed) { marked } else { cell })?,
        _ => sheet.write_rich_string_with_format(r, c, &parts, cell)?,
    };
    Ok(())
}
