//! The plan period's 最終評価: once the last plan year's round is in, each
//! item's three years, whether it reached its three-year targets, totals by
//! 大分類 and 部, the 成果指標 against their baselines, and the items
//! proposed to carry into the 後期 plan. Every number is computed here; the
//! template and the workbook only print them.
//!
//! An item is 達成 when, for every kind (hours, 千円) with a numeric
//! three-year target, its numeric results over the three years reach that
//! target; 未達成 when one falls short; 数値目標なし when it has no numeric
//! target. It is proposed to carry into the 後期 plan when it is 未達成, or
//! its last year's grade is in the lower half of the scale (C or D on the
//! default scale), or the last year has no grade on the scale (未提出,
//! 未評価, 区分外): its status is still open.

use super::booklet::DocumentMeta;
use super::department_label;
use super::progress_report::{IndicatorRow, groups, indicator_rows};
use crate::config::PlanConfig;
use crate::model::Item;
use crate::progress::history::{self, GradeState, Kind};
use serde::Serialize;

/// One amount kind of an item over the plan period.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AmountOutcome {
    /// Numeric result per plan year (None when none was written as a number).
    pub results: Vec<Option<f64>>,
    pub result: f64,
    /// The three-year target (numeric targets only).
    pub target: f64,
    /// None when the item has no numeric target of this kind.
    pub achieved: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FinalItem {
    pub number: u32,
    pub title: String,
    pub department: String,
    pub section: String,
    pub daibunrui: String,
    /// Grade per plan year as written, or 未評価 / 未提出.
    pub grades: Vec<String>,
    /// Per plan year: the grade written is not on the scale.
    pub off_scale: Vec<bool>,
    pub workload: AmountOutcome,
    pub fiscal: AmountOutcome,
    /// 達成 / 未達成 / 数値目標なし.
    pub verdict: String,
    pub achieved: Option<bool>,
    /// Proposed to carry into the 後期 plan, and why.
    pub carry: bool,
    pub carry_reasons: Vec<String>,
}

/// Counts and sums of a group (a 大分類, a department, or all).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FinalGroup {
    pub name: String,
    pub items: u32,
    pub achieved: u32,
    pub not_achieved: u32,
    pub no_target: u32,
    pub carried: u32,
    /// The last year's grade counts: the scale, 区分外, 未評価, 未提出.
    pub last_grades: Vec<u32>,
    pub workload_target: f64,
    pub workload_result: f64,
    pub fiscal_target: f64,
    pub fiscal_result: f64,
    /// result / target in %, when the target is positive.
    pub workload_rate: Option<f64>,
    pub fiscal_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FinalEvaluationData {
    pub meta: DocumentMeta,
    /// The last round's date (YYYY-MM-DD).
    pub date: String,
    /// Some round's figures are examples.
    pub sample: bool,
    /// The plan period as tables name it: 3か年 for three plan years.
    pub period: String,
    /// 令和6(2024)年度～令和8(2026)年度.
    pub period_label: String,
    /// Plan years as column heads (令和6年度) and codes (R6).
    pub year_eras: Vec<String>,
    pub year_codes: Vec<String>,
    pub last_year_label: String,
    pub grade_names: Vec<String>,
    /// Grades that propose carrying an item (C, D).
    pub carry_grades: Vec<String>,
    pub total: FinalGroup,
    pub by_daibunrui: Vec<FinalGroup>,
    pub by_department: Vec<FinalGroup>,
    pub items: Vec<FinalItem>,
    pub carried: Vec<FinalItem>,
    pub indicators: Vec<IndicatorRow>,
}

impl AmountOutcome {
    fn of(item: &Item, kind: Kind, years: &[String]) -> AmountOutcome {
        let results: Vec<Option<f64>> = years.iter().map(|y| kind.result(item, y)).collect();
        let (result, target) = history::sums(item, kind, years);
        // A target of zero asks for nothing; rounding noise is not a miss.
        let achieved = (target.abs() > 1e-9).then_some(result >= target - 1e-6);
        AmountOutcome { results, result, target, achieved }
    }
}

impl FinalItem {
    fn new(item: &Item, config: &PlanConfig, scale: &[String]) -> FinalItem {
        let years = config.year_codes();
        let last = years.last().cloned().unwrap_or_default();
        let states: Vec<GradeState> = years.iter().map(|y| GradeState::of(item, y, scale)).collect();
        let workload = AmountOutcome::of(item, Kind::Workload, &years);
        let fiscal = AmountOutcome::of(item, Kind::Fiscal, &years);
        let achieved = match (workload.achieved, fiscal.achieved) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(true) && b.unwrap_or(true)),
        };
        let mut reasons = Vec::new();
        for (name, outcome) in [("業務量削減", &workload), ("財政効果", &fiscal)] {
            if outcome.achieved == Some(false) {
                reasons.push(format!("目標未達成（{name}）"));
            }
        }
        let last_era = config.years.last().map(|y| y.era.clone()).unwrap_or(last);
        match states.last() {
            Some(GradeState::Graded(k)) if *k >= carry_from(scale) => reasons.push(format!("{last_era}の評価{}", scale[*k])),
            Some(GradeState::Graded(_)) => {}
            Some(GradeState::OffScale(g)) => reasons.push(format!("{last_era}の評価が区分外（{g}）")),
            Some(GradeState::Ungraded) => reasons.push(format!("{last_era}の評価なし")),
            Some(GradeState::Missing) | None => reasons.push(format!("{last_era}未提出")),
        }
        FinalItem {
            number: item.number,
            title: item.title.clone(),
            department: department_label(item),
            section: item.proposing_section.as_ref().map(|s| s.section.clone()).unwrap_or_default(),
            daibunrui: item.daibunrui.clone(),
            grades: states.iter().map(|s| s.text(scale)).collect(),
            off_scale: states.iter().map(|s| matches!(s, GradeState::OffScale(_))).collect(),
            workload,
            fiscal,
            verdict: match achieved {
                Some(true) => "達成",
                Some(false) => "未達成",
                None => "数値目標なし",
            }
            .into(),
            achieved,
            carry: !reasons.is_empty(),
            carry_reasons: reasons,
        }
    }
}

/// The first grade (by position on the scale) that proposes carrying an
/// item: the lower half of the scale, C and D on the default one.
fn carry_from(scale: &[String]) -> usize {
    scale.len() / 2
}

impl FinalGroup {
    fn of<'a>(name: &str, members: impl IntoIterator<Item = &'a FinalItem>, scale: &[String]) -> FinalGroup {
        let mut g = FinalGroup { name: name.to_string(), last_grades: vec![0; scale.len() + 3], ..Default::default() };
        for item in members {
            g.items += 1;
            match item.achieved {
                Some(true) => g.achieved += 1,
                Some(false) => g.not_achieved += 1,
                None => g.no_target += 1,
            }
            g.carried += u32::from(item.carry);
            let last = item.grades.last().map(String::as_str).unwrap_or(history::MISSING);
            let slot = match scale.iter().position(|s| s == last) {
                Some(k) => k,
                None if item.off_scale.last() == Some(&true) => scale.len(),
                None if last == history::UNGRADED => scale.len() + 1,
                None => scale.len() + 2,
            };
            g.last_grades[slot] += 1;
            g.workload_target += item.workload.target;
            g.workload_result += item.workload.result;
            g.fiscal_target += item.fiscal.target;
            g.fiscal_result += item.fiscal.result;
        }
        g.workload_rate = history::rate(g.workload_result, g.workload_target);
        g.fiscal_rate = history::rate(g.fiscal_result, g.fiscal_target);
        g
    }
}

impl FinalEvaluationData {
    /// `sample`: some round's forms are marked as examples (記入例（サンプル）).
    pub fn new(items: &[Item], config: &PlanConfig, sample: bool) -> FinalEvaluationData {
        let scale: Vec<String> = config.grades().into_iter().map(|(g, _)| g).collect();
        let years = config.year_codes();
        let last = years.last().cloned().unwrap_or_default();
        let finals: Vec<FinalItem> = items.iter().map(|i| FinalItem::new(i, config, &scale)).collect();
        let of_numbers = |members: &[&Item]| -> Vec<&FinalItem> {
            members.iter().filter_map(|m| finals.iter().find(|f| f.number == m.number)).collect()
        };
        let (daibunrui_groups, department_groups) = groups(items, config);
        let period_label = match (years.first(), years.last()) {
            (Some(a), Some(b)) => format!("{}～{}", config.year_label(a), config.year_label(b)),
            _ => String::new(),
        };
        let date = config.round_date(&last);
        let mut meta = DocumentMeta::new(config, format!("{}　最終評価（{period_label}）", config.plan.name));
        meta.date = crate::era::era_date(&date).map(|d| d.full).unwrap_or_else(|| date.clone());
        FinalEvaluationData {
            meta,
            date,
            sample,
            period: format!("{}か年", years.len()),
            period_label,
            year_eras: config.years.iter().map(|y| y.era.clone()).collect(),
            year_codes: years.clone(),
            last_year_label: config.year_label(&last),
            grade_names: history::grade_columns(&scale),
            carry_grades: scale[carry_from(&scale)..].to_vec(),
            total: FinalGroup::of("合計", &finals, &scale),
            by_daibunrui: daibunrui_groups.iter().map(|(name, m)| FinalGroup::of(name, of_numbers(m), &scale)).collect(),
            by_department: department_groups.iter().map(|(name, m)| FinalGroup::of(name, of_numbers(m), &scale)).collect(),
            carried: finals.iter().filter(|f| f.carry).cloned().collect(),
            items: finals,
            indicators: indicator_rows(config, &last),
        }
    }
}
