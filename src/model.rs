//! The one model every renderer reads: items (取組項目) with their plan,
//! targets and results, each carrying where it came from.
//!
//! Sign convention (see docs/glossary.md): amounts are stored so that a
//! positive number is a benefit to the city — hours of work saved per year
//! (業務量削減) and thousands of yen saved or earned (財政効果); a negative
//! number is extra hours or a net cost. Values written the other way are
//! converted by the normaliser, which reports every conversion.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A number read from a cell, after normalisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Amount {
    /// The number in canonical sign, or None when the cell holds no number.
    pub value: Option<f64>,
    /// Text beside the number (units dropped), or the placeholder's wording.
    pub note: String,
    /// The cell exactly as written (for a number cell, its digits).
    pub raw: String,
    /// The cell was a number in the workbook, not text.
    pub number_cell: bool,
}

impl Amount {
    pub fn is_blank(&self) -> bool {
        self.raw.trim().is_empty()
    }
}

/// One row of the 年度計画 grid: a task with what happens in each year.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PlanRow {
    pub label: String,
    /// Year code (R6) → text for that year.
    pub years: BTreeMap<String, String>,
    /// 備考.
    pub note: String,
}

/// 実績 and 評価 for one fiscal year (filled in the progress year).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct YearResult {
    /// 年度目標実績値.
    pub goal_result: String,
    /// 業務量削減実績値（時間）.
    pub workload_result: Amount,
    /// 財政効果実績額（千円）.
    pub fiscal_result: Amount,
    /// 評価 (a grade of the evaluation scale in the progress year).
    pub evaluation: String,
    /// 課題.
    pub issues: String,
    /// 次年度に向けた改善点.
    pub improvements: String,
}

impl YearResult {
    pub fn is_empty(&self) -> bool {
        self.goal_result.is_empty()
            && self.workload_result.is_blank()
            && self.fiscal_result.is_blank()
            && self.evaluation.is_empty()
            && self.issues.is_empty()
            && self.improvements.is_empty()
    }
}

/// A resolved organisational unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionRef {
    /// 部 name from the organisation master.
    pub department: String,
    /// 課 name from the organisation master.
    pub section: String,
}

/// Where an item was read from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Source {
    /// File name relative to the submissions folder.
    pub file: String,
    pub sheet: String,
    /// Field name → A1 reference of the cell it was read from.
    pub cells: BTreeMap<String, String>,
    /// The list sheet row this item was matched to, if any.
    pub list_sheet: Option<String>,
    pub list_row: Option<u32>,
}

/// Cells as written on the sheet, where the model keeps a normalised value
/// (canonical taxonomy, sections split one per entry). Documents that
/// reproduce the sheet print these.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Written {
    pub daibunrui: String,
    pub shobunrui: String,
    /// 主たる所管部署.
    pub primary: String,
    /// 関係部署.
    pub related: String,
}

/// 備考 of the three target rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TargetRemarks {
    /// Beside 各年度目標.
    pub yearly_goals: String,
    /// Beside 業務量削減目標値（時間）.
    pub workload: String,
    /// Beside 財政効果目標額（千円）.
    pub fiscal: String,
}

/// One 取組項目 (initiative), as the documents print it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Item {
    /// 項目番号: department order, then priority, then sheet order.
    pub number: u32,
    /// Submitting 部 (organisation master name).
    pub department: String,
    /// Its order code (01..).
    pub department_code: String,
    /// 取組項目名 as written on the sheet.
    pub title: String,
    /// 取組項目名 as written in the department's list, when the item is on
    /// it (the priority list prints it; a difference is V201).
    pub list_title: Option<String>,
    /// 大分類 / 小分類, canonical names after aliasing (empty when unknown).
    pub daibunrui: String,
    pub shobunrui: String,
    /// The cells the normaliser reads into other values, as written.
    pub written: Written,
    /// 主たる所管部署 as written, split into one entry per section.
    pub primary_sections: Vec<String>,
    /// 関係部署 as written.
    pub related_sections: Vec<String>,
    /// primary_sections resolved against the organisation master.
    pub primary_resolved: Vec<SectionRef>,
    /// プラン策定時の現状及び課題認識.
    pub situation: String,
    /// 取組の方向性、内容.
    pub approach: String,
    /// 参考事例等.
    pub references: String,
    /// 3年後の目指す姿（最終目標）.
    pub goal: String,
    /// 年度計画: the task rows with their per-year texts.
    pub plan_rows: Vec<PlanRow>,
    /// 各年度目標 per year: text, never parsed (`15,000万円以上の工事で導入`).
    pub yearly_goals: BTreeMap<String, String>,
    /// 業務量削減目標値（時間） per year, canonical sign.
    pub workload_target: BTreeMap<String, Amount>,
    /// 財政効果目標額（千円） per year, canonical sign.
    pub fiscal_target: BTreeMap<String, Amount>,
    /// 備考 beside the target rows.
    pub target_remarks: TargetRemarks,
    /// 優先順位 from the department's list, when the item is on it.
    pub priority: Option<u32>,
    /// 備考 column of the department's list.
    pub list_note: String,
    /// 主たる所管部署 as the department's list writes it.
    pub list_section: Option<String>,
    /// 大分類 / 小分類 as the department's list writes them, when the item
    /// is on it and the cell is not empty (differences are V205, V206).
    pub list_daibunrui: Option<String>,
    pub list_shobunrui: Option<String>,
    /// The 課 this item counts for in 組織一覧及び提案状況: the list's
    /// 主たる所管部署 when the item is on a list, else the sheet's first.
    pub proposing_section: Option<SectionRef>,
    /// 実績 / 評価 per year code; only years with something written.
    pub results: BTreeMap<String, YearResult>,
    /// Years whose round was read and gave no result for this item (未提出).
    pub unreported: BTreeSet<String>,
    /// Years whose result (or 未提出) comes from a round of forms marked as
    /// examples (記入例（サンプル）): documents printing them say サンプル.
    pub sample_results: BTreeSet<String>,
    /// True when validation found an error on this item.
    pub has_errors: bool,
    /// Validation questions the 財政効果 as implausible (V223, a sales or
    /// budget total rather than an effect) and no decision accepted it:
    /// totals leave the item's 財政効果 out and say so (figures.rs).
    pub fiscal_doubt: bool,
    /// The office's reason when it accepted a questioned 財政効果: totals
    /// count it and the documents say so.
    pub fiscal_included: Option<String>,
    /// A target row written all in △ awaits the office's reading (N103):
    /// taken as written (costs) meanwhile, and totals say so.
    pub signs_unconfirmed: bool,
    pub source: Source,
}

impl Item {
    /// Results of one item for one year, for reports (empty when none).
    pub fn result(&self, year: &str) -> Option<&YearResult> {
        self.results.get(year).filter(|r| !r.is_empty())
    }
}
