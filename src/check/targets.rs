//! What a reader of a 個票 asks about its plan and targets: no task rows, no
//! 各年度目標, a number that slipped into 備考, a 財政効果 too large to be
//! an effect, and a zero written with a sign.

use crate::config::PlanConfig;
use crate::findings::{Code, Finding};
use crate::format::{format_number, is_signed_zero};
use crate::ingest::amount::{Kind, Unit, parse_amount};
use crate::ingest::reader::{Field, RawSheet};
use crate::model::{Amount, Item};
use std::collections::BTreeMap;

/// A 財政効果 this many times the largest of the other items' is asked
/// about: the seed's 10,349,242 千円 is a sales total and 2,500,000 千円 a
/// donation total, some 40 times the next item's 56,946 千円.
pub const IMPLAUSIBLE_FACTOR: f64 = 10.0;
/// Below this (千円) no effect is implausible, whatever the others are.
pub const IMPLAUSIBLE_FLOOR: f64 = 100_000.0;

/// Plan rows and targets of one item.
pub fn check_targets(item: &Item, config: &PlanConfig, findings: &mut Vec<Finding>) {
    if item.title.is_empty() {
        return;
    }
    let file = item.source.file.as_str();
    let sheet = item.source.sheet.as_str();
    let cell = |name: &str| item.source.cells.get(name).map(String::as_str);
    let eras: BTreeMap<String, String> = config.years.iter().map(|y| (y.code.clone(), y.era.clone())).collect();

    if item.plan_rows.iter().all(|r| r.label.is_empty() && r.years.values().all(|t| t.is_empty())) && cell("plan_rows").is_some() {
        findings.push(
            Finding::new(
                Code::NoPlanRows,
                file,
                format!("「{}」の年度計画に取組の行がありません", item.title),
                "年度ごとに何をするか（検討・導入・運用など）を年度計画の行に記入してください",
            )
            .at(sheet, cell("plan_rows")),
        );
    }

    if cell("yearly_goals").is_some() {
        // A year whose 年度計画 plans nothing needs no goal either: a year
        // with no plan is not a goal left out.
        let planned = |code: &str| item.plan_rows.iter().any(|r| r.years.get(code).is_some_and(|t| !t.is_empty()));
        let missing: Vec<&str> = eras
            .iter()
            .filter(|(code, _)| !item.yearly_goals.contains_key(*code))
            .filter(|(code, _)| item.yearly_goals.is_empty() || planned(code))
            .map(|(_, era)| era.as_str())
            .collect();
        if item.yearly_goals.is_empty() {
            findings.push(
                Finding::new(
                    Code::YearlyGoalsEmpty,
                    file,
                    format!("「{}」の各年度目標がすべての年度で空欄です", item.title),
                    "年度ごとの到達目標（何をどこまで）を記入してください",
                )
                .at(sheet, cell("yearly_goals")),
            );
        } else if !missing.is_empty() {
            findings.push(
                Finding::new(
                    Code::YearlyGoalsPartly,
                    file,
                    format!("「{}」の各年度目標が{}で空欄です", item.title, missing.join("・")),
                    "目標がない年度は「—」と記入してください（空欄は記入漏れと区別できません）",
                )
                .at(sheet, cell("yearly_goals")),
            );
        }
    }

    for (name, label, values, remark, unit) in [
        ("workload_target", "業務量削減目標値（時間）", &item.workload_target, &item.target_remarks.workload, Unit::Hours),
        ("fiscal_target", "財政効果目標額（千円）", &item.fiscal_target, &item.target_remarks.fiscal, Unit::ThousandYen),
    ] {
        if let Some(problem) = column_off(values, remark, unit, &eras) {
            findings.push(
                Finding::new(Code::TargetColumnOff, file, format!("{label}: {problem}"), "数値は各年度の欄に、説明だけを備考に記入してください（列が一つずれていないか確認してください）")
                    .at(sheet, cell(name)),
            );
        }
    }
}

/// N114: amounts of `fields` typed as a zero with a sign (-0, △0), in
/// `year` only or in every year. They are read as 0 and print 0; the cell
/// is pointed at so the form is corrected.
pub fn signed_zeros(raw: &RawSheet, file: &str, fields: &[Field], year: Option<&str>) -> Vec<Finding> {
    let mut found = Vec::new();
    for &field in fields {
        let Some(row) = raw.per_year.get(&field) else { continue };
        for (code, cell) in &row.years {
            if year.is_some_and(|y| y != code) || cell.number.is_some() || !is_signed_zero(&cell.text) {
                continue;
            }
            found.push(
                Finding::new(
                    Code::SignedZero,
                    file,
                    format!("{}（{code}）に「{}」と書かれています。0として読みました", field.label(), cell.text.trim()),
                    "0には△や-を付けずに「0」と記入してください（△は増加・費用を表します）",
                )
                .at(&raw.sheet, Some(&cell.cell)),
            );
        }
    }
    found
}

/// A bare number in 備考 where a year is empty: the row was typed one
/// column to the right.
fn column_off(values: &BTreeMap<String, Amount>, remark: &str, unit: Unit, eras: &BTreeMap<String, String>) -> Option<String> {
    let (amount, kind) = parse_amount(remark, None, unit);
    if kind != Kind::Number || !amount.note.is_empty() {
        return None;
    }
    let number = format_number(amount.value.unwrap_or_default());
    let first = eras.keys().next()?;
    if values.is_empty() {
        Some(format!("各年度が空欄で、備考にだけ数値「{number}」があります"))
    } else if !values.contains_key(first) {
        Some(format!("{}が空欄で、備考に数値「{number}」があります", eras[first]))
    } else {
        None
    }
}

/// Items whose 財政効果 is an order of magnitude above every other item's:
/// likely a turnover, donation or budget total, not an effect. Walking down
/// from the largest, the first gap of `IMPLAUSIBLE_FACTOR` among the top few
/// separates them from the rest.
pub fn check_plausibility(items: &mut [Item], findings: &mut Vec<Finding>) {
    let largest = |item: &Item| item.fiscal_target.values().filter_map(|a| a.value).map(f64::abs).fold(0.0, f64::max);
    let mut ranked: Vec<(f64, usize)> = items.iter().enumerate().map(|(k, i)| (largest(i), k)).filter(|(v, _)| *v > 0.0).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(items[a.1].number.cmp(&items[b.1].number)).then(a.1.cmp(&b.1)));
    // Outliers are a few items, not a part of the plan.
    let at_most = (ranked.len() / 20).max(3);
    let Some(gap) = (0..at_most.min(ranked.len().saturating_sub(1)))
        .take_while(|&k| ranked[k].0 >= IMPLAUSIBLE_FLOOR)
        .find(|&k| ranked[k].0 >= IMPLAUSIBLE_FACTOR * ranked[k + 1].0)
    else {
        return;
    };
    let (next, other) = ranked[gap + 1];
    let other = &items[other];
    for &(value, k) in &ranked[..=gap] {
        let item = &items[k];
        let row: Vec<String> = item.fiscal_target.iter().map(|(y, a)| format!("{y}「{}」", a.raw.trim())).collect();
        findings.push(
            Finding::new(
                Code::ImplausibleFiscalEffect,
                &item.source.file,
                format!(
                    "「{}」の財政効果目標額 {} 千円は、ほかの取組（最大は「{}」の {} 千円）より桁違いに大きい値です",
                    item.title,
                    format_number(value),
                    other.title,
                    format_number(next)
                ) + "。合計には含めていません",
                "売上・寄附・事業費などの総額ではなく、取組による効果額（増収・削減の差額）を記入してください（正しい値なら、事務局が確認済として記録すると合計に含めます）",
            )
            .at(&item.source.sheet, item.source.cells.get("fiscal_target").map(String::as_str))
            .about(row.join("、")),
        );
    }
    for &(_, k) in &ranked[..=gap] {
        items[k].fiscal_doubt = true;
    }
}
