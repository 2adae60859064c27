//! The annual progress report (進捗状況報告) for one year's round: grades,
//! targets against results by 大分類 and department, missing submissions,
//! one line per item, and the vision's 成果指標. Every number is computed
//! here from the model; the template and the workbook only print them.

use super::booklet::DocumentMeta;
use super::department_label;
use crate::format::format_number;
use crate::config::PlanConfig;
use crate::model::{Amount, Item};

use serde::Serialize;

/// Sums of one group of items (a 大分類, a department, or all).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Totals {
    pub name: String,
    pub items: u32,
    /// Items with a result for the year.
    pub submitted: u32,
    /// Count per grade of the scale, then 未評価 (submitted, no grade) and 未提出.
    pub grades: Vec<u32>,
    /// Numeric targets for the year only.
    pub workload_target: f64,
    pub workload_result: f64,
    pub fiscal_target: f64,
    pub fiscal_result: f64,
    /// Items whose target for the year is written but is not a number.
    pub non_numeric_targets: u32,
    /// Items whose hours / 千円 result is written but is not a number.
    pub non_numeric_results: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemLine {
    pub number: u32,
    pub title: String,
    pub department: String,
    pub section: String,
    /// The grade, 未評価, or 未提出.
    pub grade: String,
    pub workload: String,
    pub fiscal: String,
    pub issues: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub name: String,
    pub source: String,
    pub unit: String,
    pub baseline: String,
    /// Measured value per plan year, empty when not measured.
    pub values: Vec<String>,
    pub direction: String,
    /// How the latest value compares with the baseline in the wanted direction.
    pub assessment: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgressReportData {
    pub meta: DocumentMeta,
    pub year: String,
    /// 令和6(2024)年度.
    pub year_label: String,
    /// The round's figures are examples (サンプル on the cover).
    pub sample: bool,
    /// Grade names in column order: the scale, 未評価, 未提出.
    pub grade_names: Vec<String>,
    pub grade_labels: Vec<String>,
    pub total: Totals,
    pub by_daibunrui: Vec<Totals>,
    pub by_department: Vec<Totals>,
    pub missing: Vec<ItemLine>,
    pub lines: Vec<ItemLine>,
    pub indicators: Vec<IndicatorRow>,
    pub year_labels: Vec<String>,
}

fn numeric(amount: Option<&Amount>) -> Option<f64> {
    amount.and_then(|a| a.value)
}

fn written_but_not_number(amount: Option<&Amount>) -> bool {
    amount.is_some_and(|a| !a.is_blank() && a.value.is_none())
}

impl Totals {
    fn of<'a>(name: &str, items: impl IntoIterator<Item = &'a Item>, year: &str, scale: &[String]) -> Totals {
        let mut t = Totals { name: name.to_string(), grades: vec![0; scale.len() + 2], ..Default::default() };
        for item in items {
            t.items += 1;
            t.workload_target += numeric(item.workload_target.get(year)).unwrap_or(0.0);
            t.fiscal_target += numeric(item.fiscal_target.get(year)).unwrap_or(0.0);
            t.non_numeric_targets += u32::from(
                written_but_not_number(item.workload_target.get(year)) || written_but_not_number(item.fiscal_target.get(year)),
            );
            match item.result(year) {
                Some(r) => {
                    t.submitted += 1;
                    let slot = scale.iter().position(|g| *g == r.evaluation).unwrap_or(scale.len());
                    t.grades[slot] += 1;
                    t.workload_result += r.workload_result.value.unwrap_or(0.0);
                    t.fiscal_result += r.fiscal_result.value.unwrap_or(0.0);
                    t.non_numeric_results += u32::from(
                        written_but_not_number(Some(&r.workload_result)) || written_but_not_number(Some(&r.fiscal_result)),
                    );
                }
                None => t.grades[scale.len() + 1] += 1,
            }
        }
        t
    }
}

/// "480 / 1,920" (result / target) for one amount kind; "—" when neither.
fn versus(result: Option<&Amount>, target: Option<&Amount>) -> String {
    let show = |a: Option<&Amount>| match a {
        Some(a) if a.value.is_some() => format_number(a.value.unwrap_or_default()),
        Some(a) if !a.is_blank() => a.raw.trim().to_string(),
        _ => "—".to_string(),
    };
    if result.is_none_or(|a| a.is_blank()) && target.is_none_or(|a| a.is_blank()) {
        return "—".into();
    }
    format!("{} / {}", show(result), show(target))
}

impl ProgressReportData {
    /// `sample`: the round's forms are marked as examples (the report also
    /// says サンプル when plan.toml lists the year in [progress] sample_years).
    pub fn new(items: &[Item], config: &PlanConfig, year: &str, sample: bool) -> ProgressReportData {
        let scale: Vec<(String, String)> = config.grades();
        let grade_names: Vec<String> = scale.iter().map(|(g, _)| g.clone()).chain(["未評価".into(), "未提出".into()]).collect();
        let grade_labels: Vec<String> = scale.iter().map(|(_, l)| l.clone()).chain(["評価の記入なし".into(), "報告なし".into()]).collect();
        let codes: Vec<String> = scale.iter().map(|(g, _)| g.clone()).collect();
        let total = Totals::of("合計", items, year, &codes);
        let by_daibunrui = config
            .taxonomy
            .iter()
            .map(|d| Totals::of(&d.daibunrui, items.iter().filter(|i| i.daibunrui == d.daibunrui), year, &codes))
            .collect();
        let by_department = config
            .departments
            .iter()
            .filter(|d| items.iter().any(|i| i.department == d.name))
            .map(|d| Totals::of(&format!("{}{}", d.code, d.name), items.iter().filter(|i| i.department == d.name), year, &codes))
            .collect();
        let line = |item: &Item| {
            let r = item.result(year);
            ItemLine {
                number: item.number,
                title: item.title.clone(),
                department: department_label(item),
                section: item.proposing_section.as_ref().map(|s| s.section.clone()).unwrap_or_default(),
                grade: match r {
                    Some(r) if !r.evaluation.is_empty() => r.evaluation.clone(),
                    Some(_) => "未評価".into(),
                    None => "未提出".into(),
                },
                workload: versus(r.map(|r| &r.workload_result), item.workload_target.get(year)),
                fiscal: versus(r.map(|r| &r.fiscal_result), item.fiscal_target.get(year)),
                issues: r.map(|r| r.issues.clone()).unwrap_or_default(),
            }
        };
        let lines: Vec<ItemLine> = items.iter().map(line).collect();
        let missing = lines.iter().filter(|l| l.grade == "未提出").cloned().collect();
        let year_codes = config.year_codes();
        let indicators = config
            .indicators
            .iter()
            .map(|ind| {
                let latest = year_codes.iter().rev().find_map(|y| ind.measured.get(y).copied());
                let assessment = match latest {
                    None => "未測定".to_string(),
                    Some(v) => {
                        let up = ind.direction.contains("上昇") || ind.direction.contains("増");
                        let down = ind.direction.contains("低下") || ind.direction.contains("減");
                        let delta = v - ind.baseline;
                        if delta.abs() < 1e-9 {
                            "横ばい".to_string()
                        } else if (delta > 0.0 && up) || (delta < 0.0 && down) {
                            "改善".to_string()
                        } else if up || down {
                            "悪化".to_string()
                        } else {
                            (if delta > 0.0 { "上昇" } else { "低下" }).to_string()
                        }
                    }
                };
                IndicatorRow {
                    name: ind.name.clone(),
                    source: ind.source.clone(),
                    unit: ind.unit.clone(),
                    baseline: trim_number(ind.baseline),
                    values: year_codes.iter().map(|y| ind.measured.get(y).map(|v| trim_number(*v)).unwrap_or_default()).collect(),
                    direction: ind.direction.clone(),
                    assessment,
                }
            })
            .collect();
        let year_label = config.year_label(year);
        let title = format!("{}　{}進捗状況報告", config.plan.name, year_label);
        ProgressReportData {
            meta: DocumentMeta::new(config, title),
            year: year.to_string(),
            year_label,
            sample: sample || config.progress.sample_years.iter().any(|y| y == year),
            grade_names,
            grade_labels,
            total,
            by_daibunrui,
            by_department,
            missing,
            lines,
            indicators,
            year_labels: config.years.iter().map(|y| config.year_label(&y.code)).collect(),
        }
    }
}

/// 6.8 → "6.8", 47.89 → "47.89", 7.0 → "7.0" (survey percentages keep one decimal).
pub fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0');
    if s.ends_with('.') { format!("{s}0") } else { s.to_string() }
}
