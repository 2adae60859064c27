//! The plan period's 最終評価: once the last plan year's round is in, each
//! item's three years, whether it reached its three-year targets, totals by
//! 大分類 and 部, the 成果指標 against their baselines, and the items
//! proposed to carry into the 後期 plan. Every number is computed here; the
//! template and the workbook only print them.
//!
//! The judgement (`Verdict`), for each kind (hours, 千円) with a numeric
//! target (figures::has_numeric: some year other than zero):
//! - 実績不足 when a year the target covers (a year with a numeric target)
//!   has no numeric result — 未提出 is never 達成;
//! - else 達成 when the results of the plan years add up to the target's
//!   sum, 未達成 when they fall short. A negative target is a cost ceiling:
//!   the result (as signed, △ a cost) must not fall below it, so a cost of
//!   △30 against a ceiling of △40 is 達成;
//! - an item is 達成 when every kind is, 未達成 when one is, 実績不足
//!   before either; 数値目標なし with no numeric target.
//! - 要確認 instead of 達成 when every year is graded and every grade is in
//!   the lower half of the scale (C, D), and instead of 未達成 when every
//!   grade is in the upper half (A, B): the figures and the grades disagree.
//! It is proposed to carry into the 後期 plan when it is not 達成, or its
//! last year's grade is in the lower half of the scale, or the last year
//! has no grade on the scale (未提出, 未評価, 区分外): its status is open.

use super::booklet::DocumentMeta;
use super::department_label;
use super::progress_report::{IndicatorRow, groups, indicator_rows};
use crate::config::PlanConfig;
use crate::figures;
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
    /// None when the item has no numeric target of this kind; false when
    /// a covered year has no result (`missing`) or the results fall short.
    pub achieved: Option<bool>,
    /// Years with a numeric target and no numeric result (R8).
    pub missing: Vec<String>,
    /// 財政効果 left out of totals (V223) and not accepted.
    pub left_out: bool,
}

/// What the final evaluation concludes for an item (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    Achieved,
    NotAchieved,
    /// The figures and the grades disagree.
    Review,
    /// A year the target covers has no result.
    Incomplete,
    NoTarget,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Achieved => "達成",
            Verdict::NotAchieved => "未達成",
            Verdict::Review => "要確認",
            Verdict::Incomplete => "実績不足",
            Verdict::NoTarget => "数値目標なし",
        }
    }
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
    /// 達成 / 未達成 / 要確認 / 実績不足 / 数値目標なし (`Verdict::label`).
    pub verdict: String,
    pub judgement: Verdict,
    /// Why the verdict is 要確認 or 実績不足.
    pub verdict_reasons: Vec<String>,
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
    pub review: u32,
    pub incomplete: u32,
    pub no_target: u32,
    pub carried: u32,
    /// The last year's grade counts: the scale, 区分外, 未評価, 未提出.
    pub last_grades: Vec<u32>,
    pub workload_target: f64,
    pub workload_result: f64,
    pub fiscal_target: f64,
    pub fiscal_result: f64,
    /// result / target in %, when it means something (figures::rate).
    pub workload_rate: Option<f64>,
    pub fiscal_rate: Option<f64>,
    /// Why a rate is not shown though the target is positive.
    pub rate_notes: Vec<String>,
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
    /// 財政効果 the sums leave out (V223) or count on the office's word.
    pub fiscal_notes: Vec<crate::figures::FiscalNote>,
    /// Rates not shown, with both numbers, for every group.
    pub rate_notes: Vec<String>,
    /// figures::RATE_LIMIT, for the rule the document states.
    pub rate_limit: u32,
}

impl AmountOutcome {
    fn of(item: &Item, kind: Kind, years: &[String]) -> AmountOutcome {
        let results: Vec<Option<f64>> = years.iter().map(|y| kind.result(item, y)).collect();
        let (result, target) = history::sums(item, kind, years);
        let targets = kind.targets(item);
        let missing: Vec<String> = years
            .iter()
            .zip(&results)
            .filter(|(y, r)| r.is_none() && targets.get(*y).and_then(|a| a.value).is_some_and(|v| v != 0.0))
            .map(|(y, _)| y.clone())
            .collect();
        // Rounding noise is not a miss; a negative target is a ceiling, and
        // the same comparison holds for it (△30 ≥ △40).
        let achieved = figures::has_numeric(targets).then_some(missing.is_empty() && result >= target - 1e-6);
        let left_out = kind == Kind::Fiscal && !figures::counts_fiscal(item);
        AmountOutcome { results, result, target, achieved, missing, left_out }
    }
}

impl FinalItem {
    fn new(item: &Item, config: &PlanConfig, scale: &[String]) -> FinalItem {
        let years = config.year_codes();
        let last = years.last().cloned().unwrap_or_default();
        let states: Vec<GradeState> = years.iter().map(|y| GradeState::of(item, y, scale)).collect();
        let workload = AmountOutcome::of(item, Kind::Workload, &years);
        let fiscal = AmountOutcome::of(item, Kind::Fiscal, &years);
        let kinds = [("業務量削減", &workload), ("財政効果", &fiscal)];
        let era_of = |code: &str| config.years.iter().find(|y| y.code == code).map(|y| y.era.clone()).unwrap_or_else(|| code.to_string());
        let mut verdict_reasons = Vec::new();
        for (name, outcome) in kinds {
            if !outcome.missing.is_empty() {
                let years: Vec<String> = outcome.missing.iter().map(|y| era_of(y)).collect();
                verdict_reasons.push(format!("{}の{name}の実績なし", years.join("・")));
            }
        }
        let judged: Vec<bool> = kinds.iter().filter_map(|(_, o)| o.achieved).collect();
        let mut judgement = if judged.is_empty() {
            Verdict::NoTarget
        } else if !verdict_reasons.is_empty() {
            Verdict::Incomplete
        } else if judged.iter().all(|a| *a) {
            Verdict::Achieved
        } else {
            Verdict::NotAchieved
        };
        // Figures and grades that disagree are for the office to look at,
        // not to be counted either way.
        let graded: Option<Vec<usize>> = states.iter().map(|s| if let GradeState::Graded(k) = s { Some(*k) } else { None }).collect();
        if let Some(grades) = graded.filter(|g| !g.is_empty()) {
            let low = grades.iter().all(|k| *k >= carry_from(scale));
            let high = grades.iter().all(|k| *k < carry_from(scale));
            let written: Vec<&str> = grades.iter().map(|k| scale[*k].as_str()).collect();
            if judgement == Verdict::Achieved && low {
                judgement = Verdict::Review;
                verdict_reasons.push(format!("実績は目標に届いているが、評価はすべて{}（{}）", scale[carry_from(scale)..].join("・"), written.join("/")));
            } else if judgement == Verdict::NotAchieved && high {
                judgement = Verdict::Review;
                verdict_reasons.push(format!("実績は目標に届いていないが、評価はすべて{}（{}）", scale[..carry_from(scale)].join("・"), written.join("/")));
            }
        }
        let mut reasons = Vec::new();
        match judgement {
            Verdict::NotAchieved => {
                for (name, outcome) in kinds {
                    if outcome.achieved == Some(false) {
                        reasons.push(format!("目標未達成（{name}）"));
                    }
                }
            }
            Verdict::Incomplete | Verdict::Review => reasons.push(format!("{}：{}", judgement.label(), verdict_reasons.join("、"))),
            Verdict::Achieved | Verdict::NoTarget => {}
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
            verdict: judgement.label().into(),
            judgement,
            verdict_reasons,
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
            match item.judgement {
                Verdict::Achieved => g.achieved += 1,
                Verdict::NotAchieved => g.not_achieved += 1,
                Verdict::Review => g.review += 1,
                Verdict::Incomplete => g.incomplete += 1,
                Verdict::NoTarget => g.no_target += 1,
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
            if !item.fiscal.left_out {
                g.fiscal_target += item.fiscal.target;
                g.fiscal_result += item.fiscal.result;
            }
        }
        g.workload_rate = figures::rate(g.workload_result, g.workload_target);
        g.fiscal_rate = figures::rate(g.fiscal_result, g.fiscal_target);
        g.rate_notes = [
            figures::rate_note(&format!("{}の業務量削減", g.name), g.workload_result, g.workload_target, "時間"),
            figures::rate_note(&format!("{}の財政効果", g.name), g.fiscal_result, g.fiscal_target, "千円"),
        ]
        .into_iter()
        .flatten()
        .collect();
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
        let total = FinalGroup::of("合計", &finals, &scale);
        let by_daibunrui: Vec<FinalGroup> = daibunrui_groups.iter().map(|(name, m)| FinalGroup::of(name, of_numbers(m), &scale)).collect();
        let by_department: Vec<FinalGroup> = department_groups.iter().map(|(name, m)| FinalGroup::of(name, of_numbers(m), &scale)).collect();
        let mut rate_notes: Vec<String> = Vec::new();
        for note in by_daibunrui.iter().chain(&by_department).chain([&total]).flat_map(|g| &g.rate_notes) {
            if !rate_notes.contains(note) {
                rate_notes.push(note.clone());
            }
        }
        FinalEvaluationData {
            fiscal_notes: figures::fiscal_notes(items),
            rate_notes,
            rate_limit: figures::RATE_LIMIT as u32,
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
            total,
            by_daibunrui,
            by_department,
            carried: finals.iter().filter(|f| f.carry).cloned().collect(),
            items: finals,
            indicators: indicator_rows(config, &last),
        }
    }
}
