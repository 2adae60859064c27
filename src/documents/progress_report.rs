//! The annual progress report (進捗状況報告) for one year's round: grades,
//! targets against results by 大分類 and department, missing submissions,
//! one line per item, and the vision's 成果指標; from the second year on,
//! the results so far against the targets so far and the three-year total,
//! grades that rose or fell, and items 未提出 two rounds running. Every
//! number is computed here from the model; the template and the workbook
//! only print them.

use super::booklet::DocumentMeta;
use super::department_label;
use crate::figures;
use crate::format::format_number;
use crate::config::PlanConfig;
use crate::model::{Amount, Item};
use crate::progress::history::{self, GradeState, Kind};

use serde::Serialize;

/// Sums of one group of items (a 大分類, a department, or all).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Totals {
    pub name: String,
    pub items: u32,
    /// Items with a result for the year.
    pub submitted: u32,
    /// Count per grade of the scale, then 区分外 (a grade not on the
    /// scale), 未評価 (submitted, no grade) and 未提出.
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
    /// The grade as written, 未評価, or 未提出.
    pub grade: String,
    /// 区分外 when what was written is not a grade of the scale.
    pub grade_note: String,
    /// The previous round's grade (empty in the first year).
    pub previous_grade: String,
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
    /// The latest value less the baseline (+0.6), empty when not measured.
    pub change: String,
    /// The chart's points: the baseline, then each plan year (None when
    /// not measured).
    pub points: Vec<Option<f64>>,
}

/// One amount kind of a group, from the first plan year to the report's.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ToDate {
    /// Numeric results per year, in plan order.
    pub results: Vec<f64>,
    /// Their sum.
    pub result: f64,
    /// The plan's numeric targets of the same years.
    pub target: f64,
    /// The plan's numeric targets of every plan year (three-year total).
    pub plan_total: f64,
    /// result / target and result / plan_total in %, when the target is positive.
    pub rate: Option<f64>,
    pub of_plan: Option<f64>,
}

/// A group's results to date (a 大分類, a department, or all).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Cumulative {
    pub name: String,
    pub items: u32,
    pub workload: ToDate,
    pub fiscal: ToDate,
}

/// An item whose grade moved since the previous round.
#[derive(Debug, Clone, Serialize)]
pub struct GradeMove {
    pub number: u32,
    pub title: String,
    pub department: String,
    pub from: String,
    pub to: String,
    pub rose: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgressReportData {
    pub meta: DocumentMeta,
    pub year: String,
    /// 令和6(2024)年度.
    pub year_label: String,
    /// The round's date (YYYY-MM-DD): [progress] dates, else the document date.
    pub date: String,
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
    /// The plan period as tables name it: 3か年 for three plan years.
    pub period: String,
    /// The years summed in `cumulative`, as column heads (令和6年度).
    pub cumulative_years: Vec<String>,
    /// Results to date by 大分類, by 部, and in all; empty in the first year.
    pub cumulative_by_daibunrui: Vec<Cumulative>,
    pub cumulative_by_department: Vec<Cumulative>,
    pub cumulative_total: Cumulative,
    /// The round compared with (R6 in the R7 report), empty when none:
    /// 令和6(2024)年度, and 令和6年度 for column heads.
    pub previous_year_label: String,
    pub previous_era: String,
    /// This round's year as a column head (令和7年度).
    pub year_era: String,
    pub grades_rose: Vec<GradeMove>,
    pub grades_fell: Vec<GradeMove>,
    /// Items graded on the scale in both rounds with the same grade.
    pub grades_same: u32,
    /// Items with no result in this round and the previous one.
    pub missing_twice: Vec<ItemLine>,
    /// 財政効果 the sums leave out (V223) or count on the office's word.
    pub fiscal_notes: Vec<figures::FiscalNote>,
    /// 達成率 not shown though the target is positive, with both numbers.
    pub rate_notes: Vec<String>,
    /// figures::RATE_LIMIT, for the rule the report states.
    pub rate_limit: u32,
}

fn numeric(amount: Option<&Amount>) -> Option<f64> {
    amount.and_then(|a| a.value)
}

fn written_but_not_number(amount: Option<&Amount>) -> bool {
    amount.is_some_and(|a| !a.is_blank() && a.value.is_none())
}

impl Totals {
    fn of<'a>(name: &str, items: impl IntoIterator<Item = &'a Item>, year: &str, scale: &[String]) -> Totals {
        let mut t = Totals { name: name.to_string(), grades: vec![0; scale.len() + 3], ..Default::default() };
        for item in items {
            t.items += 1;
            t.workload_target += numeric(item.workload_target.get(year)).unwrap_or(0.0);
            let fiscal = figures::counts_fiscal(item);
            if fiscal {
                t.fiscal_target += numeric(item.fiscal_target.get(year)).unwrap_or(0.0);
            }
            t.non_numeric_targets += u32::from(
                written_but_not_number(item.workload_target.get(year)) || written_but_not_number(item.fiscal_target.get(year)),
            );
            t.grades[GradeState::of(item, year, scale).slot(scale.len())] += 1;
            if let Some(r) = item.result(year) {
                t.submitted += 1;
                t.workload_result += r.workload_result.value.unwrap_or(0.0);
                if fiscal {
                    t.fiscal_result += r.fiscal_result.value.unwrap_or(0.0);
                }
                t.non_numeric_results += u32::from(
                    written_but_not_number(Some(&r.workload_result)) || written_but_not_number(Some(&r.fiscal_result)),
                );
            }
        }
        t
    }
}

impl ToDate {
    fn of(items: &[&Item], kind: Kind, years: &[String], all_years: &[String]) -> ToDate {
        // A questioned 財政効果 (V223) counts in no sum, targets or results.
        let items: Vec<&Item> = items.iter().copied().filter(|i| kind == Kind::Workload || figures::counts_fiscal(i)).collect();
        let results: Vec<f64> = years.iter().map(|y| items.iter().filter_map(|i| kind.result(i, y)).sum()).collect();
        let result = results.iter().sum();
        let target = items.iter().map(|i| history::sums(i, kind, years).1).sum();
        let plan_total = items.iter().map(|i| history::sums(i, kind, all_years).1).sum();
        ToDate { results, result, target, plan_total, rate: figures::rate(result, target), of_plan: figures::rate(result, plan_total) }
    }
}

impl Cumulative {
    pub fn of(name: &str, items: &[&Item], years: &[String], all_years: &[String]) -> Cumulative {
        Cumulative {
            name: name.to_string(),
            items: items.len() as u32,
            workload: ToDate::of(items, Kind::Workload, years, all_years),
            fiscal: ToDate::of(items, Kind::Fiscal, years, all_years),
        }
    }
}

/// Items by 大分類 and by 部, in plan.toml's order, with their names as
/// the reports print them (部 with their order code).
pub fn groups<'a>(items: &'a [Item], config: &PlanConfig) -> (Vec<(String, Vec<&'a Item>)>, Vec<(String, Vec<&'a Item>)>) {
    let by_daibunrui = config
        .taxonomy
        .iter()
        .map(|d| (d.daibunrui.clone(), items.iter().filter(|i| i.daibunrui == d.daibunrui).collect()))
        .collect();
    let by_department = config
        .departments
        .iter()
        .filter(|d| items.iter().any(|i| i.department == d.name))
        .map(|d| (format!("{}{}", d.code, d.name), items.iter().filter(|i| i.department == d.name).collect()))
        .collect();
    (by_daibunrui, by_department)
}

/// "480 / 1,920" (result / target) for one amount kind; "—" when neither.
/// `result` is None for an item with no result in the round: "未提出 / 1,920",
/// or 未提出 alone when there is no target either.
fn versus(result: Option<&Amount>, target: Option<&Amount>) -> String {
    let show = |a: Option<&Amount>| match a {
        Some(a) if a.value.is_some() => format_number(a.value.unwrap_or_default()),
        Some(a) if !a.is_blank() => a.raw.trim().to_string(),
        _ => "—".to_string(),
    };
    match (result, target.is_none_or(|a| a.is_blank())) {
        (None, true) => history::MISSING.into(),
        (None, false) => format!("{} / {}", history::MISSING, show(target)),
        (Some(r), true) if r.is_blank() => "—".into(),
        (Some(r), _) => format!("{} / {}", show(Some(r)), show(target)),
    }
}

impl ProgressReportData {
    /// `sample`: the round's forms are marked as examples (記入例（サンプル）;
    /// `Round::sample`), and the report says サンプル.
    pub fn new(items: &[Item], config: &PlanConfig, year: &str, sample: bool) -> ProgressReportData {
        let scale: Vec<(String, String)> = config.grades();
        let codes: Vec<String> = scale.iter().map(|(g, _)| g.clone()).collect();
        let grade_names = history::grade_columns(&codes);
        let grade_labels: Vec<String> =
            scale.iter().map(|(_, l)| l.clone()).chain(["評価区分にない記入".into(), "評価の記入なし".into(), "報告なし".into()]).collect();
        let total = Totals::of("合計", items, year, &codes);
        let (daibunrui_groups, department_groups) = groups(items, config);
        let by_daibunrui = daibunrui_groups.iter().map(|(name, members)| Totals::of(name, members.iter().copied(), year, &codes)).collect();
        let by_department = department_groups.iter().map(|(name, members)| Totals::of(name, members.iter().copied(), year, &codes)).collect();

        let previous = history::previous_round(items, config, year);
        let line = |item: &Item| {
            let r = item.result(year);
            let state = GradeState::of(item, year, &codes);
            ItemLine {
                number: item.number,
                title: item.title.clone(),
                department: department_label(item),
                section: item.proposing_section.as_ref().map(|s| s.section.clone()).unwrap_or_default(),
                grade: state.text(&codes),
                grade_note: if matches!(state, GradeState::OffScale(_)) { history::OFF_SCALE.into() } else { String::new() },
                previous_grade: previous.as_deref().map(|p| GradeState::of(item, p, &codes).text(&codes)).unwrap_or_default(),
                workload: versus(r.map(|r| &r.workload_result), item.workload_target.get(year)),
                fiscal: versus(r.map(|r| &r.fiscal_result), item.fiscal_target.get(year)),
                issues: r.map(|r| r.issues.clone()).unwrap_or_default(),
            }
        };
        let lines: Vec<ItemLine> = items.iter().map(line).collect();
        let missing = lines.iter().filter(|l| l.grade == history::MISSING).cloned().collect();

        // Across rounds: results to date from the second plan year on;
        // grade moves and repeated 未提出 when an earlier round was read.
        let to_date = history::years_to(config, year);
        let all_years = config.year_codes();
        let cumulative_of = |groups: &[(String, Vec<&Item>)]| -> Vec<Cumulative> {
            if to_date.len() < 2 { Vec::new() } else { groups.iter().map(|(name, members)| Cumulative::of(name, members, &to_date, &all_years)).collect() }
        };
        let everyone: Vec<&Item> = items.iter().collect();
        let by_number = |n: u32| items.iter().find(|i| i.number == n);
        let (mut grades_rose, mut grades_fell, mut grades_same, mut missing_twice) = (Vec::new(), Vec::new(), 0, Vec::new());
        if let Some(previous) = &previous {
            for change in history::grade_changes(items, previous, year, &codes) {
                let Some(item) = by_number(change.number) else { continue };
                let moved = GradeMove { number: item.number, title: item.title.clone(), department: department_label(item), from: change.from, to: change.to, rose: change.rose };
                if moved.rose { grades_rose.push(moved) } else { grades_fell.push(moved) }
            }
            grades_same = items
                .iter()
                .filter(|i| matches!((GradeState::of(i, previous, &codes), GradeState::of(i, year, &codes)), (GradeState::Graded(a), GradeState::Graded(b)) if a == b))
                .count() as u32;
            let twice = history::missing_in_all(items, &[previous.clone(), year.to_string()]);
            missing_twice = lines.iter().filter(|l| twice.contains(&l.number)).cloned().collect();
        }

        let cumulative_by_daibunrui = cumulative_of(&daibunrui_groups);
        let cumulative_by_department = cumulative_of(&department_groups);
        let cumulative_total = if to_date.len() < 2 { Cumulative::default() } else { Cumulative::of("合計", &everyone, &to_date, &all_years) };
        let mut rate_notes: Vec<String> = Vec::new();
        for c in cumulative_by_daibunrui.iter().chain(&cumulative_by_department).chain([&cumulative_total]).filter(|c| !c.name.is_empty()) {
            for (what, unit, d) in [("業務量削減", "時間", &c.workload), ("財政効果", "千円", &c.fiscal)] {
                let notes = [
                    figures::rate_note(&format!("{}の{what}（累計目標）", c.name), d.result, d.target, unit),
                    figures::rate_note(&format!("{}の{what}（{}目標）", c.name, format_args!("{}か年", config.years.len())), d.result, d.plan_total, unit),
                ];
                rate_notes.extend(notes.into_iter().flatten());
            }
        }
        let year_label = config.year_label(year);
        let title = format!("{}　{}進捗状況報告", config.plan.name, year_label);
        let date = config.round_date(year);
        let mut meta = DocumentMeta::new(config, title);
        meta.date = crate::era::era_date(&date).map(|d| d.full).unwrap_or_else(|| date.clone());
        ProgressReportData {
            meta,
            year: year.to_string(),
            year_label,
            date,
            sample,
            grade_names,
            grade_labels,
            total,
            by_daibunrui,
            by_department,
            missing,
            lines,
            indicators: indicator_rows(config, year),
            year_labels: config.years.iter().map(|y| config.year_label(&y.code)).collect(),
            period: format!("{}か年", config.years.len()),
            cumulative_years: if to_date.len() < 2 { Vec::new() } else { to_date.iter().filter_map(|y| config.years.iter().find(|c| &c.code == y)).map(|y| y.era.clone()).collect() },
            cumulative_by_daibunrui,
            cumulative_by_department,
            cumulative_total,
            previous_year_label: previous.as_deref().map(|p| config.year_label(p)).unwrap_or_default(),
            previous_era: previous.as_deref().map(|p| era_of(config, p)).unwrap_or_default(),
            year_era: era_of(config, year),
            grades_rose,
            grades_fell,
            grades_same,
            missing_twice,
            fiscal_notes: figures::fiscal_notes(items),
            rate_notes,
            rate_limit: figures::RATE_LIMIT as u32,
        }
    }
}

/// 令和6年度: a year as a column head prints it.
fn era_of(config: &PlanConfig, code: &str) -> String {
    config.years.iter().find(|y| y.code == code).map(|y| y.era.clone()).unwrap_or_else(|| code.to_string())
}

/// The 成果指標 as measured up to `year`, each against its baseline.
pub fn indicator_rows(config: &PlanConfig, year: &str) -> Vec<IndicatorRow> {
    let known = history::years_to(config, year);
    let year_codes = config.year_codes();
    let measured = |ind: &crate::config::Indicator, y: &String| known.contains(y).then(|| ind.measured.get(y).copied()).flatten();
    config
        .indicators
        .iter()
        .map(|ind| {
            let latest = known.iter().rev().find_map(|y| measured(ind, y));
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
            let change = latest.map(|v| {
                let d = ((v - ind.baseline) * 100.0).round() / 100.0;
                if d > 0.0 { format!("+{}", trim_number(d)) } else if d < 0.0 { format!("△{}", trim_number(-d)) } else { "±0".into() }
            });
            IndicatorRow {
                name: ind.name.clone(),
                source: ind.source.clone(),
                unit: ind.unit.clone(),
                baseline: trim_number(ind.baseline),
                values: year_codes.iter().map(|y| measured(ind, y).map(trim_number).unwrap_or_default()).collect(),
                direction: ind.direction.clone(),
                assessment,
                change: change.unwrap_or_default(),
                points: std::iter::once(Some(ind.baseline)).chain(year_codes.iter().map(|y| measured(ind, y))).collect(),
            }
        })
        .collect()
}

/// 6.8 → "6.8", 47.89 → "47.89", 7.0 → "7.0" (survey percentages keep one decimal).
pub fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0');
    if s.ends_with('.') { format!("{s}0") } else { s.to_string() }
}
