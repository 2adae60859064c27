//! Several rounds read together: what the reports across years need —
//! which years have been reported, each item's grade per year, how grades
//! moved, who did not report twice running, and sums over the years.

use crate::config::PlanConfig;
use crate::model::{Amount, Item};
use std::collections::BTreeMap;

/// An item's 評価 for one year, as the reports count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GradeState {
    /// A grade of the scale, by its position (0 is the best).
    Graded(usize),
    /// Something was written that is not a grade of the scale (S, 済).
    OffScale(String),
    /// A result without a grade.
    Ungraded,
    /// No result at all (未提出).
    Missing,
}

impl GradeState {
    pub fn of(item: &Item, year: &str, scale: &[String]) -> GradeState {
        match item.result(year) {
            None => GradeState::Missing,
            Some(r) if r.evaluation.trim().is_empty() => GradeState::Ungraded,
            Some(r) => match scale.iter().position(|g| *g == r.evaluation) {
                Some(k) => GradeState::Graded(k),
                None => GradeState::OffScale(r.evaluation.trim().to_string()),
            },
        }
    }

    /// The column it counts in: the scale's grades, then 区分外, 未評価, 未提出.
    pub fn slot(&self, scale_len: usize) -> usize {
        match self {
            GradeState::Graded(k) => *k,
            GradeState::OffScale(_) => scale_len,
            GradeState::Ungraded => scale_len + 1,
            GradeState::Missing => scale_len + 2,
        }
    }

    /// As a table prints it: the grade, or what was written, 未評価, 未提出.
    pub fn text(&self, scale: &[String]) -> String {
        match self {
            GradeState::Graded(k) => scale[*k].clone(),
            GradeState::OffScale(written) => written.clone(),
            GradeState::Ungraded => UNGRADED.into(),
            GradeState::Missing => MISSING.into(),
        }
    }
}

pub const OFF_SCALE: &str = "区分外";
pub const UNGRADED: &str = "未評価";
pub const MISSING: &str = "未提出";

/// The column names of a grade count: the scale, 区分外, 未評価, 未提出.
pub fn grade_columns(scale: &[String]) -> Vec<String> {
    scale.iter().cloned().chain([OFF_SCALE.into(), UNGRADED.into(), MISSING.into()]).collect()
}

/// Plan years up to and including `year`, in plan order.
pub fn years_to(config: &PlanConfig, year: &str) -> Vec<String> {
    let codes = config.year_codes();
    match codes.iter().position(|y| y == year) {
        Some(k) => codes[..=k].to_vec(),
        None => Vec::new(),
    }
}

/// The latest plan year before `year` whose round gave any result: the
/// year the report compares grades and 未提出 with.
pub fn previous_round(items: &[Item], config: &PlanConfig, year: &str) -> Option<String> {
    let earlier = years_to(config, year);
    earlier[..earlier.len().saturating_sub(1)]
        .iter()
        .rev()
        .find(|y| items.iter().any(|i| i.result(y).is_some()))
        .cloned()
}

/// An item whose grade moved between two rounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeChange {
    pub number: u32,
    pub from: String,
    pub to: String,
    /// True when the grade got better (A is better than B).
    pub rose: bool,
}

/// Items graded on the scale in both years whose grade differs.
pub fn grade_changes(items: &[Item], from: &str, to: &str, scale: &[String]) -> Vec<GradeChange> {
    items
        .iter()
        .filter_map(|item| match (GradeState::of(item, from, scale), GradeState::of(item, to, scale)) {
            (GradeState::Graded(a), GradeState::Graded(b)) if a != b => {
                Some(GradeChange { number: item.number, from: scale[a].clone(), to: scale[b].clone(), rose: b < a })
            }
            _ => None,
        })
        .collect()
}

/// 項目番号 of the items with no result in any of `years`.
pub fn missing_in_all(items: &[Item], years: &[String]) -> Vec<u32> {
    items.iter().filter(|i| years.iter().all(|y| i.result(y).is_none())).map(|i| i.number).collect()
}

/// Hours or 千円.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Workload,
    Fiscal,
}

impl Kind {
    pub fn targets(self, item: &Item) -> &BTreeMap<String, Amount> {
        match self {
            Kind::Workload => &item.workload_target,
            Kind::Fiscal => &item.fiscal_target,
        }
    }

    /// The numeric result of `year`, when one was written.
    pub fn result(self, item: &Item, year: &str) -> Option<f64> {
        let r = item.result(year)?;
        match self {
            Kind::Workload => r.workload_result.value,
            Kind::Fiscal => r.fiscal_result.value,
        }
    }

    /// The numeric target of `year` (0 when none).
    pub fn target(self, item: &Item, year: &str) -> f64 {
        self.targets(item).get(year).and_then(|a| a.value).unwrap_or(0.0)
    }
}

/// Sums over `years` of one kind: numeric results and numeric targets.
pub fn sums(item: &Item, kind: Kind, years: &[String]) -> (f64, f64) {
    let result = years.iter().filter_map(|y| kind.result(item, y)).sum();
    let target = years.iter().map(|y| kind.target(item, y)).sum();
    (result, target)
}

pub use crate::figures::rate;
