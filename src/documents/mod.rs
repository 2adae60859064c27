//! The council documents: what each one shows, built from the model and
//! plan.toml as plain data. PDFs get this data as JSON for their Typst
//! template; workbooks are written from the same views, so a PDF and its
//! workbook never disagree.

pub mod booklet;
pub mod comparison;
pub mod department_report;
pub mod final_evaluation;
pub mod final_evaluation_xlsx;
pub mod items_xlsx;
pub mod priority_xlsx;
pub mod progress_report;
pub mod progress_report_xlsx;
pub mod summary;

use crate::config::PlanConfig;
use crate::format::as_written;
use crate::model::{Amount, Item};
use serde::Serialize;

/// A row of the 個票 grid: a label, one text per plan year, and 備考.
#[derive(Debug, Clone, Serialize)]
pub struct GridRow {
    pub label: String,
    pub cells: Vec<String>,
    pub note: String,
}

/// One 取組項目個票, every value as the sheet prints it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemSheet {
    pub number: u32,
    /// 01総務部, as the priority list writes it.
    pub department: String,
    pub title: String,
    pub daibunrui: String,
    pub shobunrui: String,
    pub primary: String,
    pub related: String,
    pub situation: String,
    pub approach: String,
    pub references: String,
    pub goal: String,
    pub plan_rows: Vec<GridRow>,
    /// 各年度目標, 業務量削減目標値（時間）, 財政効果目標額（千円）.
    pub targets: Vec<GridRow>,
    /// 年度目標実績値, 業務量削減実績値（時間）, 財政効果実績額（千円）.
    pub results: Vec<GridRow>,
    /// 評価, 課題, 次年度に向けた改善点.
    pub evaluation: Vec<GridRow>,
    /// Validation found an error: printed with a 要確認 mark.
    pub needs_review: bool,
    /// The sheet is short enough to print with room to write in (minimum
    /// row heights) and still fit one A4 page; see `fits_roomy`.
    pub roomy: bool,
}

/// One row of 取組項目及び優先順位一覧.
#[derive(Debug, Clone, Serialize)]
pub struct ListRow {
    /// ページ番号: the item's number, which is also its sheet's page label.
    pub page: u32,
    pub department: String,
    /// 優先順位, empty for an item its department did not list.
    pub priority: String,
    pub title: String,
    pub section: String,
    pub daibunrui: String,
    pub shobunrui: String,
    pub note: String,
    pub needs_review: bool,
}

/// Labels of the target, result and evaluation rows, in sheet order.
pub const TARGET_LABELS: [&str; 3] = ["各年度目標", "業務量削減目標値（時間）", "財政効果目標額（千円）"];
pub const RESULT_LABELS: [&str; 3] = ["年度目標実績値", "業務量削減実績値（時間）", "財政効果実績額（千円）"];
pub const EVALUATION_LABELS: [&str; 3] = ["評価", "課題", "次年度に向けた改善点"];

/// 01総務部: the department as the list's 部局名 column writes it.
pub fn department_label(item: &Item) -> String {
    format!("{}{}", item.department_code, item.department)
}

impl ItemSheet {
    pub fn new(item: &Item, config: &PlanConfig) -> ItemSheet {
        let years = config.year_codes();
        let per_year = |f: &dyn Fn(&str) -> String| years.iter().map(|y| f(y)).collect::<Vec<String>>();
        let amounts = |map: &std::collections::BTreeMap<String, Amount>| per_year(&|y| map.get(y).map(as_written).unwrap_or_default());
        let plan_rows = item
            .plan_rows
            .iter()
            .map(|row| GridRow {
                label: row.label.clone(),
                cells: per_year(&|y| row.years.get(y).cloned().unwrap_or_default()),
                note: row.note.clone(),
            })
            .collect();
        let targets = vec![
            GridRow { label: TARGET_LABELS[0].into(), cells: per_year(&|y| item.yearly_goals.get(y).cloned().unwrap_or_default()), note: item.target_remarks.yearly_goals.clone() },
            GridRow { label: TARGET_LABELS[1].into(), cells: amounts(&item.workload_target), note: item.target_remarks.workload.clone() },
            GridRow { label: TARGET_LABELS[2].into(), cells: amounts(&item.fiscal_target), note: item.target_remarks.fiscal.clone() },
        ];
        let result = |f: &dyn Fn(&crate::model::YearResult) -> String| per_year(&|y| item.results.get(y).map(f).unwrap_or_default());
        let results = vec![
            GridRow { label: RESULT_LABELS[0].into(), cells: result(&|r| r.goal_result.clone()), note: String::new() },
            GridRow { label: RESULT_LABELS[1].into(), cells: result(&|r| as_written(&r.workload_result)), note: String::new() },
            GridRow { label: RESULT_LABELS[2].into(), cells: result(&|r| as_written(&r.fiscal_result)), note: String::new() },
        ];
        let evaluation = vec![
            GridRow { label: EVALUATION_LABELS[0].into(), cells: result(&|r| r.evaluation.clone()), note: String::new() },
            GridRow { label: EVALUATION_LABELS[1].into(), cells: result(&|r| r.issues.clone()), note: String::new() },
            GridRow { label: EVALUATION_LABELS[2].into(), cells: result(&|r| r.improvements.clone()), note: String::new() },
        ];
        ItemSheet {
            number: item.number,
            department: department_label(item),
            title: item.title.clone(),
            daibunrui: item.written.daibunrui.clone(),
            shobunrui: item.written.shobunrui.clone(),
            primary: item.written.primary.clone(),
            related: item.written.related.clone(),
            situation: item.situation.clone(),
            approach: item.approach.clone(),
            references: item.references.clone(),
            goal: item.goal.clone(),
            plan_rows,
            targets,
            results,
            evaluation,
            needs_review: item.has_errors,
            roomy: false,
        }
        .with_roominess()
    }

    fn with_roominess(mut self) -> ItemSheet {
        self.roomy = fits_roomy(&self);
        self
    }
}

/// A conservative estimate of the 個票 table's height on A4 with its
/// minimum row heights: true when it surely fits the page. The template's
/// column widths and type sizes are assumed (common.typ); an item close to
/// the limit prints compact, and a long one runs onto further pages.
fn fits_roomy(sheet: &ItemSheet) -> bool {
    // Millimetres: value column widths, line height, cell padding.
    const WIDE: f64 = 140.0;
    const LABEL: f64 = 33.0;
    const NOTE: f64 = 20.0;
    const LINE: f64 = 4.9;
    const PAD: f64 = 3.2;
    const BODY: f64 = 297.0 - 22.0 - 16.0 - 16.0; // page less margins and title line
    let years = sheet.targets.first().map(|r| r.cells.len()).unwrap_or(3).max(1) as f64;
    let year = (WIDE - NOTE) / years;
    let lines = |text: &str, width: f64| -> f64 {
        let per_line = ((width - 2.8) / 3.2).max(1.0);
        text.split('\n')
            .map(|l| {
                let w: f64 = l.chars().map(|c| if c.is_ascii() { 0.55 } else { 1.0 }).sum();
                (w / per_line).ceil().max(1.0)
            })
            .sum()
    };
    let row = |cells: &[(&str, f64)], min: f64| -> f64 {
        let tallest = cells.iter().map(|(t, w)| lines(t, *w)).fold(1.0, f64::max);
        (tallest * LINE + PAD).max(min + PAD)
    };
    let grid = |r: &GridRow, min: f64| -> f64 {
        let mut cells: Vec<(&str, f64)> = r.cells.iter().map(|c| (c.as_str(), year)).collect();
        cells.push((r.note.as_str(), NOTE));
        cells.push((r.label.as_str(), LABEL * 0.8));
        row(&cells, min)
    };
    let mut height = row(&[(&sheet.title, WIDE * 0.85)], 0.0);
    for (text, min) in [
        (&sheet.daibunrui, 0.0),
        (&sheet.shobunrui, 0.0),
        (&sheet.primary, 0.0),
        (&sheet.related, 0.0),
        (&sheet.situation, 12.0),
        (&sheet.approach, 12.0),
        (&sheet.references, 0.0),
        (&sheet.goal, 8.0),
    ] {
        height += row(&[(text.as_str(), WIDE)], min);
    }
    height += 2.0 * row(&[("", year)], 0.0); // the two year-header rows
    height += sheet.plan_rows.iter().map(|r| grid(r, 0.0)).sum::<f64>().max(row(&[("", year)], 0.0));
    height += sheet.targets.iter().map(|r| grid(r, 0.0)).sum::<f64>();
    height += sheet.results.iter().map(|r| grid(r, 6.0)).sum::<f64>();
    height += sheet.evaluation.iter().map(|r| grid(r, 9.0)).sum::<f64>();
    height <= BODY * 0.92
}

impl ListRow {
    /// The department's list row as it wrote its cells (取組項目名, 主たる所管部署,
    /// 大分類, 小分類); where the item is not on a list, or the list left a
    /// cell empty, the sheet's value.
    pub fn new(item: &Item) -> ListRow {
        ListRow {
            page: item.number,
            department: department_label(item),
            priority: item.priority.map(|p| p.to_string()).unwrap_or_default(),
            title: item.list_title.clone().unwrap_or_else(|| item.title.clone()),
            section: item
                .list_section
                .clone()
                .or_else(|| item.proposing_section.as_ref().map(|s| s.section.clone()))
                .unwrap_or_default(),
            daibunrui: item.list_daibunrui.clone().unwrap_or_else(|| item.daibunrui.clone()),
            shobunrui: item.list_shobunrui.clone().unwrap_or_else(|| item.shobunrui.clone()),
            note: item.list_note.clone(),
            needs_review: item.has_errors,
        }
    }
}
