//! The 最終評価 as a workbook: the same figures as the PDF (概要, 項目別,
//! 後期への継続, 成果指標), numbers as numbers.

use super::final_evaluation::{FinalEvaluationData, FinalGroup, FinalItem};
use crate::config::PlanConfig;
use crate::xlsx::{Formats, dated_workbook};
use rust_xlsxwriter::Worksheet;

pub fn render(data: &FinalEvaluationData, config: &PlanConfig) -> anyhow::Result<Vec<u8>> {
    let mut book = dated_workbook(config, &data.meta.title, &data.date)?;
    let f = Formats::new();

    let sheet = book.add_worksheet();
    sheet.set_name("概要")?;
    sheet.write_with_format(0, 0, data.meta.title.as_str(), &f.title)?;
    if data.sample {
        sheet.write_with_format(1, 0, "サンプル: この評価の実績・評価は記入例として作った架空の値です", &f.review)?;
    }
    let r = groups_table(sheet, 3, "大分類", &data.by_daibunrui, data, &f)?;
    let mut r = groups_table(sheet, r + 1, "部", &data.by_department, data, &f)?;
    // What the sums leave out or count on the office's word, and rates
    // not shown: the same notes as the PDF.
    for note in data.fiscal_notes.iter().map(|n| &n.text).chain(&data.rate_notes) {
        r += 1;
        sheet.write_with_format(r, 0, format!("※ {note}"), &f.cell)?;
    }
    sheet.set_column_width(0, 26.0)?;
    for c in 1..30 {
        sheet.set_column_width(c, 11.0)?;
    }
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);

    items_sheet(book.add_worksheet(), "項目別", &data.items, data, &f)?;
    items_sheet(book.add_worksheet(), "後期への継続", &data.carried, data, &f)?;

    let sheet = book.add_worksheet();
    sheet.set_name("成果指標")?;
    let mut headers = vec!["成果指標".to_string(), "出典".into(), "単位".into(), "基準値".into()];
    headers.extend(data.year_eras.iter().cloned());
    headers.extend(["基準値からの変化".to_string(), "方向".into(), "評価".into()]);
    for (c, h) in headers.iter().enumerate() {
        sheet.write_with_format(0, c as u16, h.as_str(), &f.header)?;
        sheet.set_column_width(c as u16, if c < 2 { 40.0 } else { 12.0 })?;
    }
    for (i, ind) in data.indicators.iter().enumerate() {
        let r = 1 + i as u32;
        sheet.write_with_format(r, 0, ind.name.as_str(), &f.wrap)?;
        sheet.write_with_format(r, 1, ind.source.as_str(), &f.wrap)?;
        sheet.write_with_format(r, 2, ind.unit.as_str(), &f.cell)?;
        for (c, v) in ind.points.iter().enumerate() {
            match v {
                Some(n) => sheet.write_number_with_format(r, 3 + c as u16, *n, &f.decimal)?,
                None => sheet.write_with_format(r, 3 + c as u16, "", &f.cell)?,
            };
        }
        let c = 3 + ind.points.len() as u16;
        sheet.write_with_format(r, c, ind.change.as_str(), &f.cell)?;
        sheet.write_with_format(r, c + 1, ind.direction.as_str(), &f.cell)?;
        sheet.write_with_format(r, c + 2, ind.assessment.as_str(), &f.cell)?;
        sheet.set_row_height(r, 30.0)?;
    }
    Ok(book.save_to_buffer()?)
}

/// A group table starting at row `r`; returns the first row after it.
fn groups_table(sheet: &mut Worksheet, r: u32, name: &str, rows: &[FinalGroup], data: &FinalEvaluationData, f: &Formats) -> anyhow::Result<u32> {
    let mut headers: Vec<String> = [name, "項目数", "達成", "未達成", "要確認", "実績不足", "数値目標なし", "後期への継続"].map(String::from).to_vec();
    headers.extend(data.grade_names.iter().map(|g| format!("{}評価{g}", data.year_eras.last().map(String::as_str).unwrap_or(""))));
    headers.extend(
        ["業務量削減 {}目標（時間）", "業務量削減 {}実績（時間）", "業務量削減 達成率（%）", "財政効果 {}目標（千円）", "財政効果 {}実績（千円）", "財政効果 達成率（%）"]
            .map(|h| h.replace("{}", &data.period)),
    );
    for (c, h) in headers.iter().enumerate() {
        sheet.write_with_format(r, c as u16, h.as_str(), &f.header)?;
    }
    sheet.set_row_height(r, 45.0)?;
    let mut row = r + 1;
    for g in rows.iter().chain(std::iter::once(&data.total)) {
        sheet.write_with_format(row, 0, g.name.as_str(), &f.cell)?;
        let mut c = 1;
        for n in [g.items, g.achieved, g.not_achieved, g.review, g.incomplete, g.no_target, g.carried].iter().chain(&g.last_grades) {
            sheet.write_number_with_format(row, c, *n as f64, &f.number)?;
            c += 1;
        }
        for (amount, rate) in [((g.workload_target, g.workload_result), g.workload_rate), ((g.fiscal_target, g.fiscal_result), g.fiscal_rate)] {
            sheet.write_number_with_format(row, c, amount.0, f.for_number(amount.0))?;
            sheet.write_number_with_format(row, c + 1, amount.1, f.for_number(amount.1))?;
            match rate {
                Some(p) => sheet.write_number_with_format(row, c + 2, p, &f.decimal)?,
                None => sheet.write_with_format(row, c + 2, "—", &f.center)?,
            };
            c += 3;
        }
        row += 1;
    }
    Ok(row)
}

fn items_sheet(sheet: &mut Worksheet, name: &str, items: &[FinalItem], data: &FinalEvaluationData, f: &Formats) -> anyhow::Result<()> {
    sheet.set_name(name)?;
    let mut headers: Vec<(String, f64)> = [("番号", 7.0), ("部", 16.0), ("取組項目名", 50.0), ("所管課", 18.0), ("大分類", 20.0)].map(|(h, w)| (h.to_string(), w)).to_vec();
    headers.extend(data.year_eras.iter().map(|e| (format!("評価 {e}"), 9.0)));
    for kind in ["業務量削減（時間）", "財政効果（千円）"] {
        headers.extend(data.year_eras.iter().map(|e| (format!("{kind} {e}実績"), 12.0)));
        headers.extend([(format!("{kind} {}実績", data.period), 12.0), (format!("{kind} {}目標", data.period), 12.0)]);
    }
    headers.extend([("判定".to_string(), 12.0), ("後期への継続".to_string(), 9.0), ("理由".to_string(), 40.0)]);
    for (c, (h, w)) in headers.iter().enumerate() {
        sheet.write_with_format(0, c as u16, h.as_str(), &f.header)?;
        sheet.set_column_width(c as u16, *w)?;
    }
    sheet.set_row_height(0, 45.0)?;
    for (i, item) in items.iter().enumerate() {
        let r = 1 + i as u32;
        sheet.write_number_with_format(r, 0, item.number as f64, &f.center)?;
        for (c, text) in [&item.department, &item.title, &item.section, &item.daibunrui].iter().enumerate() {
            sheet.write_with_format(r, 1 + c as u16, text.as_str(), &f.cell)?;
        }
        let mut c = 5;
        for g in &item.grades {
            sheet.write_with_format(r, c, g.as_str(), &f.center)?;
            c += 1;
        }
        for outcome in [&item.workload, &item.fiscal] {
            for v in &outcome.results {
                match v {
                    Some(n) => sheet.write_number_with_format(r, c, *n, f.for_number(*n))?,
                    None => sheet.write_with_format(r, c, "", &f.cell)?,
                };
                c += 1;
            }
            sheet.write_number_with_format(r, c, outcome.result, f.for_number(outcome.result))?;
            sheet.write_number_with_format(r, c + 1, outcome.target, f.for_number(outcome.target))?;
            c += 2;
        }
        sheet.write_with_format(r, c, item.verdict.as_str(), &f.center)?;
        sheet.write_with_format(r, c + 1, if item.carry { "提案" } else { "" }, &f.center)?;
        sheet.write_with_format(r, c + 2, item.carry_reasons.join("、"), &f.cell)?;
    }
    sheet.autofilter(0, 0, items.len().max(1) as u32, headers.len() as u16 - 1)?;
    sheet.set_freeze_panes(1, 3)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    Ok(())
}
