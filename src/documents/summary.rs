//! The 概要版: one A3 landscape page of the vision, its wording from
//! plan.toml and every number from the model (items per 大分類 × 小分類,
//! the totals of quantified targets).

use super::booklet::DocumentMeta;
use crate::config::{PlanConfig, Vision};
use crate::era::era_year;
use crate::figures::{self, FiscalNote};
use crate::model::Item;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DirectionRow {
    pub shobunrui: String,
    pub summary: String,
    pub items: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Direction {
    pub daibunrui: String,
    pub rows: Vec<DirectionRow>,
    pub items: u32,
    /// Sums of numeric targets over the plan years (canonical sign).
    pub workload: f64,
    pub fiscal: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryTotals {
    pub items: u32,
    /// Items with a numeric 業務量 or 財政効果 target (figures::has_numeric_target).
    pub quantified: u32,
    pub workload: f64,
    pub fiscal: f64,
    /// Items whose 分類 is not the vision's (counted in no cell).
    pub unclassified: u32,
    /// Items with a row of △ whose reading awaits the office (N103).
    pub signs_unconfirmed: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineYear {
    pub western: i32,
    /// R6
    pub short: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryData {
    pub meta: DocumentMeta,
    pub vision: Vision,
    /// R6(2024) - R10(2028): the vision's own period (its second bar).
    pub period: String,
    pub directions: Vec<Direction>,
    pub totals: SummaryTotals,
    pub years: Vec<TimelineYear>,
    /// 成果指標: name and baseline with its unit.
    pub indicators: Vec<(String, String)>,
    /// 財政効果 totals leave out (V223) or count on the office's word.
    pub fiscal_notes: Vec<FiscalNote>,
    /// The same as printed: one line each, or grouped when many (the page
    /// stays one page).
    pub fiscal_note_lines: Vec<String>,
}

/// R6 for 2024 (令和), H30 for 2018.
fn short_era(western: i32) -> String {
    match era_year(western, 4, 1) {
        Some(("令和", y)) => format!("R{y}"),
        Some(("平成", y)) => format!("H{y}"),
        Some((_, y)) => format!("{y}"),
        None => western.to_string(),
    }
}

impl SummaryData {
    pub fn new(items: &[Item], config: &PlanConfig) -> SummaryData {
        let directions: Vec<Direction> = config
            .taxonomy
            .iter()
            .map(|d| {
                let own: Vec<&Item> = items.iter().filter(|i| i.daibunrui == d.daibunrui).collect();
                Direction {
                    daibunrui: d.daibunrui.clone(),
                    rows: d
                        .shobunrui
                        .iter()
                        .map(|s| DirectionRow {
                            shobunrui: s.name.clone(),
                            summary: s.summary.clone(),
                            items: own.iter().filter(|i| i.shobunrui == s.name).count() as u32,
                        })
                        .collect(),
                    items: own.len() as u32,
                    workload: own.iter().map(|i| figures::target_sum(&i.workload_target)).sum(),
                    fiscal: own.iter().map(|i| figures::counted_fiscal_target(i)).sum(),
                }
            })
            .collect();
        let classified: u32 = directions.iter().flat_map(|d| &d.rows).map(|r| r.items).sum();
        let totals = SummaryTotals {
            items: items.len() as u32,
            quantified: items.iter().filter(|i| figures::has_numeric_target(i)).count() as u32,
            workload: items.iter().map(|i| figures::target_sum(&i.workload_target)).sum(),
            fiscal: items.iter().map(figures::counted_fiscal_target).sum(),
            unclassified: items.len() as u32 - classified,
            signs_unconfirmed: items.iter().filter(|i| i.signs_unconfirmed).count() as u32,
        };
        let first = config.vision.timeline.iter().map(|b| b.from).min();
        let last = config.vision.timeline.iter().map(|b| b.to).max();
        let years = match (first, last) {
            (Some(a), Some(b)) => (a..=b).map(|w| TimelineYear { western: w, short: short_era(w) }).collect(),
            _ => Vec::new(),
        };
        let period = config
            .vision
            .timeline
            .iter()
            .find(|b| b.label.contains("ビジョン"))
            .map(|b| format!("{}({}) - {}({})", short_era(b.from), b.from, short_era(b.to), b.to))
            .unwrap_or_default();
        let title = format!("{} {} <概要版>", config.vision.name, period);
        let indicators = config.indicators.iter().map(|i| (i.name.clone(), format!("{}{}", super::progress_report::trim_number(i.baseline), i.unit))).collect();
        let fiscal_notes = figures::fiscal_notes(items);
        let fiscal_note_lines = figures::note_lines(&fiscal_notes, 3);
        SummaryData { meta: DocumentMeta::new(config, title), vision: config.vision.clone(), period, directions, totals, years, indicators, fiscal_notes, fiscal_note_lines }
    }
}
