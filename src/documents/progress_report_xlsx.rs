//! The annual progress report as a workbook: the same figures as the PDF
//! (概要, 累計, 評価の変化, 項目別, 未提出, 成果指標), numbers as numbers.

use super::progress_report::{Cumulative, GradeMove, ItemLine, ProgressReportData, Totals};
use crate::config::PlanConfig;
use crate::xlsx::{Formats, dated_workbook};
use rust_xlsxwriter::Worksheet;

pub fn render(data: &ProgressReportData, config: &PlanConfig) -> anyhow::Result<Vec<u8>> {
    let mut book = dated_workbook(config, &data.meta.title, &data.date)?;
    let f = Formats::new();

    let sheet = book.add_worksheet();
    sheet.set_name("概要")?;
    sheet.write_with_format(0, 0, data.meta.title.as_str(), &f.title)?;
    if data.sample {
        sheet.write_with_format(1, 0, "サンプル: この報告の実績・評価は記入例として作った架空の値です", &f.review)?;
    }
    let mut r = 3;
    r = totals_table(sheet, r, "大分類", &data.by_daibunrui, data, &f)?;
    totals_table(sheet, r + 1, "部", &data.by_department, data, &f)?;
    sheet.set_column_width(0, 26.0)?;
    for c in 1..30 {
        sheet.set_column_width(c, 11.0)?;
    }
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);

    if !data.cumulative_years.is_empty() {
        let sheet = book.add_worksheet();
        sheet.set_name("累計")?;
        sheet.write_with_format(0, 0, format!("{}から{}までの累計", data.cumulative_years[0], data.cumulative_years[data.cumulative_years.len() - 1]), &f.title)?;
        let mut r = 2;
        r = cumulative_table(sheet, r, "大分類", &data.cumulative_by_daibunrui, data, &f)?;
        cumulative_table(sheet, r + 1, "部", &data.cumulative_by_department, data, &f)?;
        sheet.set_column_width(0, 26.0)?;
        for c in 1..30 {
            sheet.set_column_width(c, 12.0)?;
        }
        sheet.set_freeze_panes(0, 1)?;
        sheet.set_landscape();
        sheet.set_paper_size(9);
        sheet.set_print_fit_to_pages(1, 0);
    }
    if !data.previous_year_label.is_empty() {
        let sheet = book.add_worksheet();
        sheet.set_name("評価の変化")?;
        let headers = [("番号", 7.0), ("部", 16.0), ("取組項目名", 60.0), (data.previous_era.as_str(), 10.0), (data.year_era.as_str(), 10.0), ("変化", 8.0)];
        for (c, (h, w)) in headers.iter().enumerate() {
            sheet.write_with_format(0, c as u16, *h, &f.header)?;
            sheet.set_column_width(c as u16, *w)?;
        }
        let moves: Vec<&GradeMove> = data.grades_rose.iter().chain(&data.grades_fell).collect();
        for (i, m) in moves.iter().enumerate() {
            let r = 1 + i as u32;
            sheet.write_number_with_format(r, 0, m.number as f64, &f.center)?;
            sheet.write_with_format(r, 1, m.department.as_str(), &f.cell)?;
            sheet.write_with_format(r, 2, m.title.as_str(), &f.wrap)?;
            sheet.write_with_format(r, 3, m.from.as_str(), &f.center)?;
            sheet.write_with_format(r, 4, m.to.as_str(), &f.center)?;
            sheet.write_with_format(r, 5, if m.rose { "上昇" } else { "低下" }, &f.center)?;
        }
        sheet.autofilter(0, 0, moves.len().max(1) as u32, headers.len() as u16 - 1)?;
        sheet.set_freeze_panes(1, 0)?;
        sheet.set_paper_size(9);
        sheet.set_print_fit_to_pages(1, 0);
    }

    lines_sheet(book.add_worksheet(), "項目別", &data.lines, &f)?;
    lines_sheet(book.add_worksheet(), "未提出", &data.missing, &f)?;
    if !data.previous_year_label.is_empty() {
        lines_sheet(book.add_worksheet(), "2年度続けて未提出", &data.missing_twice, &f)?;
    }

    let sheet = book.add_worksheet();
    sheet.set_name("成果指標")?;
    let mut headers = vec!["成果指標".to_string(), "出典".into(), "単位".into(), "基準値".into()];
    headers.extend(data.year_labels.iter().cloned());
    headers.extend(["方向".to_string(), "評価".into()]);
    for (c, h) in headers.iter().enumerate() {
        sheet.write_with_format(0, c as u16, h.as_str(), &f.header)?;
        sheet.set_column_width(c as u16, if c < 2 { 40.0 } else { 12.0 })?;
    }
    for (i, ind) in data.indicators.iter().enumerate() {
        let r = 1 + i as u32;
        sheet.write_with_format(r, 0, ind.name.as_str(), &f.wrap)?;
        sheet.write_with_format(r, 1, ind.source.as_str(), &f.wrap)?;
        sheet.write_with_format(r, 2, ind.unit.as_str(), &f.cell)?;
        let values = std::iter::once(&ind.baseline).chain(&ind.values);
        for (c, v) in values.enumerate() {
            match v.parse::<f64>() {
                Ok(n) => sheet.write_number_with_format(r, 3 + c as u16, n, &f.cell)?,
                Err(_) => sheet.write_with_format(r, 3 + c as u16, v.as_str(), &f.cell)?,
            };
        }
        let c = 4 + ind.values.len() as u16;
        sheet.write_with_format(r, c, ind.direction.as_str(), &f.cell)?;
        sheet.write_with_format(r, c + 1, ind.assessment.as_str(), &f.cell)?;
        sheet.set_row_height(r, 30.0)?;
    }
    crate::xlsx::save(&mut book)
}

/// A group table starting at row `r`; returns the first row after it.
fn totals_table(sheet: &mut Worksheet, r: u32, name: &str, rows: &[Totals], data: &ProgressReportData, f: &Formats) -> anyhow::Result<u32> {
    let mut headers = vec![name.to_string(), "項目数".into(), "報告".into()];
    headers.extend(data.grade_names.iter().map(|g| format!("評価{g}")));
    headers.extend(
        ["業務量削減 目標（時間）", "業務量削減 実績（時間）", "財政効果 目標（千円）", "財政効果 実績（千円）", "数値でない目標", "数値でない実績"]
            .map(String::from),
    );
    for (c, h) in headers.iter().enumerate() {
        sheet.write_with_format(r, c as u16, h.as_str(), &f.header)?;
    }
    sheet.set_row_height(r, 30.0)?;
    let all = rows.iter().chain(std::iter::once(&data.total));
    let mut row = r + 1;
    for t in all {
        sheet.write_with_format(row, 0, t.name.as_str(), &f.cell)?;
        let mut numbers: Vec<f64> = vec![t.items as f64, t.submitted as f64];
        numbers.extend(t.grades.iter().map(|g| *g as f64));
        numbers.extend([t.workload_target, t.workload_result, t.fiscal_target, t.fiscal_result]);
        numbers.extend([t.non_numeric_targets as f64, t.non_numeric_results as f64]);
        for (c, n) in numbers.iter().enumerate() {
            sheet.write_number_with_format(row, 1 + c as u16, *n, f.for_number(*n))?;
        }
        row += 1;
    }
    Ok(row)
}

/// Results to date of each group, then 合計; returns the first row after it.
fn cumulative_table(sheet: &mut Worksheet, r: u32, name: &str, rows: &[Cumulative], data: &ProgressReportData, f: &Formats) -> anyhow::Result<u32> {
    let mut headers = vec![name.to_string(), "項目数".into()];
    for kind in ["業務量削減（時間）", "財政効果（千円）"] {
        headers.extend(data.cumulative_years.iter().map(|y| format!("{kind} {y}実績")));
        headers.extend(["累計実績", "累計目標", "達成率（%）", "{}目標", "{}目標に対する進捗率（%）"].map(|h| format!("{kind} {}", h.replace("{}", &data.period))));
    }
    for (c, h) in headers.iter().enumerate() {
        sheet.write_with_format(r, c as u16, h.as_str(), &f.header)?;
    }
    sheet.set_row_height(r, 45.0)?;
    let mut row = r + 1;
    for t in rows.iter().chain(std::iter::once(&data.cumulative_total)) {
        sheet.write_with_format(row, 0, t.name.as_str(), &f.cell)?;
        sheet.write_number_with_format(row, 1, t.items as f64, &f.number)?;
        let mut c = 2;
        for k in [&t.workload, &t.fiscal] {
            for n in k.results.iter().chain([&k.result, &k.target]) {
                sheet.write_number_with_format(row, c, *n, f.for_number(*n))?;
                c += 1;
            }
            let cells = [k.rate, Some(k.plan_total), k.of_plan];
            for (i, v) in cells.iter().enumerate() {
                match v {
                    Some(n) => sheet.write_number_with_format(row, c, *n, if i == 1 { f.for_number(*n) } else { &f.decimal })?,
                    None => sheet.write_with_format(row, c, "—", &f.center)?,
                };
                c += 1;
            }
        }
        row += 1;
    }
    Ok(row)
}

fn lines_sheet(sheet: &mut Worksheet, name: &str, lines: &[ItemLine], f: &Formats) -> anyhow::Result<()> {
    sheet.set_name(name)?;
    let headers = [("番号", 7.0), ("部", 16.0), ("取組項目名", 50.0), ("所管課", 20.0), ("前回評価", 8.0), ("評価", 8.0), ("評価の注記", 10.0), ("業務量（時間） 実績 / 目標", 20.0), ("財政効果（千円） 実績 / 目標", 20.0), ("課題", 40.0)];
    for (c, (h, w)) in headers.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &f.header)?;
        sheet.set_column_width(c as u16, *w)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let r = 1 + i as u32;
        sheet.write_number_with_format(r, 0, l.number as f64, &f.center)?;
        for (c, text) in [&l.department, &l.title, &l.section, &l.previous_grade, &l.grade, &l.grade_note, &l.workload, &l.fiscal, &l.issues].iter().enumerate() {
            sheet.write_with_format(r, 1 + c as u16, text.as_str(), &f.cell)?;
        }
    }
    sheet.autofilter(0, 0, lines.len().max(1) as u32, headers.len() as u16 - 1)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    Ok(())
}
