//! From a sheet as read to an item of the model: amounts become numbers in
//! the canonical sign, names resolve against the plan configuration. Prose is
//! kept exactly as written (only the stray spaces around it are trimmed).

use crate::ingest::amount::{Kind, Unit, parse_amount};
use crate::config::PlanConfig;
use crate::decisions::{Choice, Decisions};
use crate::findings::{Code, Finding};
use crate::model::{Amount, Item, PlanRow, Source, Written, YearResult};
use crate::ingest::reader::{Field, RawSheet, YearRow};
use crate::ingest::resolve::{Match, Organisation, Taxonomy, split_sections};
use crate::text::clean;
use std::collections::BTreeMap;

/// Everything normalisation needs, built once per run.
pub struct Normalizer<'a> {
    pub config: &'a PlanConfig,
    pub organisation: Organisation,
    pub taxonomy: Taxonomy<'a>,
    /// The office's decisions (a row of △ read as reductions).
    pub decisions: Decisions,
}

impl<'a> Normalizer<'a> {
    pub fn new(config: &'a PlanConfig) -> Self {
        Normalizer { config, organisation: Organisation::new(config), taxonomy: Taxonomy::new(config), decisions: Decisions::default() }
    }

    pub fn with_decisions(config: &'a PlanConfig, decisions: Decisions) -> Self {
        Normalizer { decisions, ..Normalizer::new(config) }
    }

    /// Turns one sheet into an item of `department` (the submitting 部).
    /// `tool_form`: the workbook is one of the tool's own forms, whose
    /// 記入要領 states the sign convention, so numbers mean what they say.
    pub fn item(&self, raw: &RawSheet, file: &str, department: &str, tool_form: bool, findings: &mut Vec<Finding>) -> Item {
        let at = |field: Field| raw.cell(field).map(str::to_string);
        let found = |code: Code, field: Field, message: String, hint: String| {
            Finding::new(code, file, message, hint).at(&raw.sheet, at(field).as_deref())
        };

        let mut item = Item {
            department: department.to_string(),
            department_code: self
                .config
                .department(department)
                .map(|d| d.code.clone())
                .unwrap_or_default(),
            title: clean(&raw.text(Field::Title)),
            situation: clean(&raw.text(Field::Situation)),
            approach: clean(&raw.text(Field::Approach)),
            references: clean(&raw.text(Field::References)),
            goal: clean(&raw.text(Field::Goal)),
            ..Default::default()
        };

        // 大分類 / 小分類
        let dai_written = clean(&raw.text(Field::Daibunrui));
        let sho_written = clean(&raw.text(Field::Shobunrui));
        for (written, field) in [(&dai_written, Field::Daibunrui), (&sho_written, Field::Shobunrui)] {
            if written.is_empty() && raw.cell(field).is_some() {
                findings.push(found(
                    Code::RequiredEmpty,
                    field,
                    format!("必須項目「{}」が空欄です", field.label()),
                    format!("「{}」を記入してください", field.label()),
                ));
            }
        }
        let (dai, dai_match) = self.taxonomy.daibunrui(&dai_written);
        if !dai_written.is_empty() {
            match (&dai, dai_match) {
                (Some(name), Match::Alias) => findings.push(found(
                    Code::TaxonomyAlias,
                    Field::Daibunrui,
                    format!("大分類「{dai_written}」を「{name}」として読みました"),
                    format!("ビジョンの表記「{name}」に揃えてください"),
                )),
                (None, _) => findings.push(found(
                    Code::TaxonomyUnknown,
                    Field::Daibunrui,
                    format!("大分類「{dai_written}」はビジョンの大分類にありません"),
                    format!("次のいずれかを記入してください: {}", self.taxonomy.daibunrui_names().join("、")),
                )),
                _ => {}
            }
        }
        let (sho, sho_match) = self.taxonomy.shobunrui(&sho_written);
        if !sho_written.is_empty() {
            match (&sho, sho_match) {
                (Some((name, _)), Match::Alias) => findings.push(found(
                    Code::TaxonomyAlias,
                    Field::Shobunrui,
                    format!("小分類「{sho_written}」を「{name}」として読みました（ビジョンの表記は「{name}」）"),
                    format!("ビジョンの表記「{name}」に揃えてください"),
                )),
                (None, _) => findings.push(found(
                    Code::TaxonomyUnknown,
                    Field::Shobunrui,
                    format!("小分類「{sho_written}」はビジョンの小分類にありません"),
                    match &dai {
                        Some(d) => format!("大分類「{d}」の小分類は次のいずれかです: {}", self.taxonomy.shobunrui_of(d).join("、")),
                        None => "ビジョンの6「取り組みの方向性」の小分類から選んでください".to_string(),
                    },
                )),
                _ => {}
            }
        }
        if let (Some(d), Some((s, parent))) = (&dai, &sho) {
            if d != parent {
                findings.push(found(
                    Code::TaxonomyUnknown,
                    Field::Shobunrui,
                    format!("小分類「{s}」は大分類「{parent}」の分類で、記入された大分類「{d}」に属しません"),
                    format!("大分類「{d}」の小分類（{}）から選ぶか、大分類を直してください", self.taxonomy.shobunrui_of(d).join("、")),
                ));
            }
        }
        item.daibunrui = dai.unwrap_or_default();
        item.shobunrui = sho.map(|(s, _)| s).unwrap_or_default();
        item.written = Written {
            daibunrui: dai_written.clone(),
            shobunrui: sho_written.clone(),
            primary: clean(&raw.text(Field::Primary)),
            related: clean(&raw.text(Field::Related)),
        };

        // 主たる所管部署 / 関係部署
        for cell in raw.single.get(&Field::Primary).into_iter().flatten() {
            for written in split_sections(&cell.text) {
                let (resolved, how) = self.organisation.resolve(&written);
                let place = Some(cell.cell.as_str());
                let mut push = |code: Code, message: String, hint: String| {
                    findings.push(Finding::new(code, file, message, hint).at(&raw.sheet, place));
                };
                match (&resolved, how) {
                    (Some(r), Match::Spelling | Match::Alias) => push(
                        Code::SectionSpelling,
                        format!("所管部署「{written}」を「{}{}」として読みました", r.department, r.section),
                        format!("組織の正式名称「{}」で記入してください", r.section),
                    ),
                    (Some(r), Match::Approximate(score)) => push(
                        Code::SectionApproximate,
                        format!(
                            "所管部署「{written}」は組織一覧にありません。最も近い「{}{}」とみなしました（一致度{:.0}%）",
                            r.department,
                            r.section,
                            score * 100.0
                        ),
                        format!("組織一覧の正式名称「{}」で記入してください（別の課なら、その課名を組織一覧のとおりに）", r.section),
                    ),
                    (None, _) => push(
                        Code::SectionUnknown,
                        format!("所管部署「{written}」が組織一覧にありません"),
                        match self.organisation.misprints_of(&written) {
                            near if near.is_empty() => {
                                format!("組織一覧にある課名で記入してください{}", crate::check::SECTION_LIST_HINT)
                            }
                            near => format!("「{}」の誤りではありませんか。組織一覧にある課名で記入してください", near.join("」または「")),
                        },
                    ),
                    _ => {}
                }
                item.primary_sections.push(written);
                if let Some(r) = resolved {
                    item.primary_resolved.push(r);
                }
            }
        }
        if let Some(first) = item.primary_resolved.first() {
            if !department.is_empty() && first.department != department {
                findings.push(found(
                    Code::SectionOtherDepartment,
                    Field::Primary,
                    format!(
                        "主たる所管部署の先頭「{}」は{}の課ですが、{}の提出ファイルにあります",
                        first.section, first.department, department
                    ),
                    "主として所管する課を先頭に書いてください。他部の取組なら、その部から提出してください".to_string(),
                ));
            }
        }
        item.related_sections = raw
            .single
            .get(&Field::Related)
            .into_iter()
            .flatten()
            .flat_map(|c| split_sections(&c.text))
            .collect();

        // 年度計画
        item.plan_rows = raw
            .plan_rows
            .iter()
            .map(|row| PlanRow {
                label: clean(&row.label),
                years: row.years.iter().map(|(y, c)| (y.clone(), clean(&c.text))).collect(),
                note: clean(&row.remark.text),
            })
            .collect();

        // Targets
        let years = self.config.year_codes();
        // 各年度目標 is prose about the goal ("15,000万円以上の工事で導入"):
        // kept as written, never parsed as a number.
        if let Some(row) = raw.per_year.get(&Field::YearlyGoals) {
            item.yearly_goals = years
                .iter()
                .filter_map(|y| row.years.get(y).map(|c| (y.clone(), clean(&c.text))))
                .filter(|(_, t)| !t.is_empty())
                .collect();
            item.target_remarks.yearly_goals = clean(&row.remark.text);
        }
        for (field, unit) in [(Field::WorkloadTarget, Unit::Hours), (Field::FiscalTarget, Unit::ThousandYen)] {
            let Some(row) = raw.per_year.get(&field) else { continue };
            let (mut values, kinds) = amounts(row, &years, unit);
            let mut undecided: Vec<(String, String, String)> = Vec::new();
            // Hints point at 備考 only where the row has one.
            let remark = if row.remark.cell.is_empty() { "「取組の方向性、内容」" } else { "備考" };
            for (year, (kind, cell)) in &kinds {
                let written = row.years.get(year).map(|c| c.text.trim().to_string()).unwrap_or_default();
                let place = Some(cell.as_str());
                match kind {
                    Kind::Expression => findings.push(
                        Finding::new(
                            Code::Expression,
                            file,
                            format!("{}（{year}）が計算式「{written}」で書かれています。文字として残し、数値には数えません", field.label()),
                            format!("計算した結果の数値を記入し、計算の根拠は{remark}に書いてください"),
                        )
                        .at(&raw.sheet, place),
                    ),
                    Kind::Text => findings.push(
                        Finding::new(
                            Code::NotANumber,
                            file,
                            format!("{}（{year}）が数値ではありません:「{written}」", field.label()),
                            format!("数値（削減・効果はプラス、増加・費用は△）を記入し、説明は{remark}に書いてください"),
                        )
                        .at(&raw.sheet, place),
                    ),
                    Kind::Number => {
                        let amount = &values[year];
                        if !amount.number_cell && !amount.note.is_empty() {
                            let per_person = ["当たり", "あたり", "一人", "1人", "毎"].iter().any(|w| amount.note.contains(w));
                            findings.push(
                                Finding::new(
                                    Code::NumberWithNote,
                                    file,
                                    format!(
                                        "{}（{year}）は数値に注記が付いています:「{written}」。{}として読みました",
                                        field.label(),
                                        crate::format::format_number(amount.value.unwrap_or_default())
                                    ),
                                    if per_person {
                                        format!("一人当たり・1件当たりの値では合計できません。年間の総量を数値だけで記入し、算定の前提は{remark}に書いてください")
                                    } else {
                                        format!("セルには数値だけを記入し、「{}」は{remark}に書いてください", amount.note)
                                    },
                                )
                                .at(&raw.sheet, place),
                            );
                        }
                    }
                    Kind::Placeholder => {
                        let amount = &values[year];
                        if !amount.note.is_empty() {
                            undecided.push((year.clone(), written.clone(), cell.clone()));
                        } else if written.contains(['一', 'ー']) {
                            // A dash is "no number"; 一 (one) and ー (long vowel)
                            // look like one but read as text, and 一 as the number 1.
                            findings.push(
                                Finding::new(
                                    Code::DashLookalike,
                                    file,
                                    format!("{}（{year}）の「{written}」は漢字・長音で、ダッシュ（—）ではありません", field.label()),
                                    "目標がない年度は「—」と記入するか空欄にしてください",
                                )
                                .at(&raw.sheet, place),
                            );
                        }
                    }
                    _ => {}
                }
            }
            // One finding per row, at its first such cell, naming every year.
            if let Some((_, _, first)) = undecided.first() {
                let listing: Vec<String> = undecided.iter().map(|(y, w, _)| format!("{y}「{w}」")).collect();
                findings.push(
                    Finding::new(
                        Code::TargetUndecided,
                        file,
                        format!("{}が数値ではありません: {}。数値の目標として数えていません", field.label(), listing.join("、")),
                        format!("見込みの数値を記入してください。算定できない年度は「—」とし、理由を{remark}に書いてください（業務量削減・財政効果の少なくとも一つは数値の目標が必要です。どちらも算定できない場合は事務局の確認を受けてください）"),
                    )
                    .at(&raw.sheet, Some(first.as_str())),
                );
            }
            if !tool_form && self.settle_signs(&mut values, field, &kinds, file, &raw.sheet, findings) {
                item.signs_unconfirmed = true;
            }
            if field == Field::WorkloadTarget {
                item.workload_target = values;
                item.target_remarks.workload = clean(&row.remark.text);
            } else {
                item.fiscal_target = values;
                item.target_remarks.fiscal = clean(&row.remark.text);
            }
        }

        // 実績 / 評価 (filled in the progress year)
        for year in &years {
            let text = |field: Field| {
                raw.per_year
                    .get(&field)
                    .and_then(|r| r.years.get(year))
                    .map(|c| clean(&c.text))
                    .unwrap_or_default()
            };
            let amount = |field: Field, unit: Unit| {
                raw.per_year
                    .get(&field)
                    .and_then(|r| r.years.get(year))
                    .map(|c| parse_amount(&c.text, c.number, unit).0)
                    .unwrap_or_default()
            };
            let result = YearResult {
                goal_result: text(Field::GoalResult),
                workload_result: amount(Field::WorkloadResult, Unit::Hours),
                fiscal_result: amount(Field::FiscalResult, Unit::ThousandYen),
                evaluation: text(Field::Evaluation),
                issues: text(Field::Issues),
                improvements: text(Field::Improvements),
            };
            if !result.is_empty() {
                item.results.insert(year.clone(), result);
            }
        }

        item.source = Source {
            file: file.to_string(),
            sheet: raw.sheet.clone(),
            cells: raw
                .field_cell
                .iter()
                .map(|(f, c)| (field_name(*f).to_string(), c.clone()))
                .collect(),
            list_sheet: None,
            list_row: None,
        };
        item
    }
}

/// The JSON name of a field (as in the item's keys).
pub fn field_name(field: Field) -> &'static str {
    use Field::*;
    match field {
        Title => "title",
        Daibunrui => "daibunrui",
        Shobunrui => "shobunrui",
        Primary => "primary_sections",
        Related => "related_sections",
        Situation => "situation",
        Approach => "approach",
        References => "references",
        Goal => "goal",
        PlanHeader => "plan_rows",
        YearlyGoals => "yearly_goals",
        WorkloadTarget => "workload_target",
        FiscalTarget => "fiscal_target",
        ResultHeader => "results",
        GoalResult => "goal_result",
        WorkloadResult => "workload_result",
        FiscalResult => "fiscal_result",
        Evaluation => "evaluation",
        Issues => "issues",
        Improvements => "improvements",
    }
}

type Kinds = BTreeMap<String, (Kind, String)>;

/// Reads each year's cell of a target row; blank years are left out.
fn amounts(row: &YearRow, years: &[String], unit: Unit) -> (BTreeMap<String, Amount>, Kinds) {
    let mut values = BTreeMap::new();
    let mut kinds = BTreeMap::new();
    for year in years {
        let Some(cell) = row.years.get(year) else { continue };
        let (amount, kind) = parse_amount(&cell.text, cell.number, unit);
        if kind == Kind::Blank {
            continue;
        }
        kinds.insert(year.clone(), (kind, cell.cell.clone()));
        values.insert(year.clone(), amount);
    }
    (values, kinds)
}

impl Normalizer<'_> {
    /// The sign rule for workbooks not made from the tool's forms (the
    /// seed's layout), whose △ may mean either thing: numbers are taken as
    /// written (△ is extra hours or a cost), as the forms' 記入要領 says.
    /// A row written all in △ may mean reductions, which would change what
    /// every number of it means, so it is a warning giving both readings,
    /// and the office decides (decisions.toml, choice = "reduction"). A row
    /// mixing signs reads naturally (costs in the set-up years, savings
    /// after) and is flagged for a look.
    /// Returns true when the row's reading awaits the office's decision.
    fn settle_signs(&self, values: &mut BTreeMap<String, Amount>, field: Field, kinds: &Kinds, file: &str, sheet: &str, findings: &mut Vec<Finding>) -> bool {
        let numbers: Vec<(String, f64)> = values
            .iter()
            .filter_map(|(y, a)| a.value.filter(|v| *v != 0.0).map(|v| (y.clone(), v)))
            .collect();
        if numbers.is_empty() {
            return false;
        }
        let negatives = numbers.iter().filter(|(_, v)| *v < 0.0).count();
        let first_cell = numbers.first().and_then(|(y, _)| kinds.get(y)).map(|(_, c)| c.as_str());
        let listing = numbers
            .iter()
            .map(|(y, _)| format!("{y}「{}」", values[y].raw.trim()))
            .collect::<Vec<_>>()
            .join("、");
        let (saving, cost, unit) = if field == Field::WorkloadTarget {
            ("削減する時間", "増える時間", "時間")
        } else {
            ("財政効果（削減額・増収額）", "費用（支出の増加）", "千円")
        };
        if negatives == numbers.len() {
            let sum: f64 = numbers.iter().map(|(_, v)| v.abs()).sum();
            let finding = Finding::new(
                Code::SignConverted,
                file,
                format!(
                    "{}がすべて△で書かれています: {listing}。様式の決まり（△は増加・費用）どおり{cost}として読みました（合計 △{}{unit}）。△が{saving}の意味なら合計 {}{unit} になります",
                    field.label(),
                    crate::format::format_number(sum),
                    crate::format::format_number(sum)
                ),
                format!("{saving}ならプラス、{cost}なら△で記入してください。どちらの意味かを確かめ、事務局は読み方を記録してください（gyokaku decide）"),
            )
            .at(sheet, first_cell)
            .about(listing);
            let decision = self.decisions.holding(&finding).map(|d| d.choice);
            if decision == Some(Choice::Reduction) {
                for amount in values.values_mut() {
                    // + 0.0: a zero of the row stays 0, not -0.
                    if let Some(v) = amount.value.as_mut() {
                        *v = -*v + 0.0;
                    }
                }
            }
            findings.push(finding);
            return decision.is_none();
        } else if negatives > 0 {
            findings.push(
                Finding::new(
                    Code::MixedSigns,
                    file,
                    format!("{}に△とプラスが混在しています: {listing}（△は{cost}として読みました）", field.label()),
                    format!("{saving}はプラス、導入期の増加や費用は△で記入されているか確認してください"),
                )
                .at(sheet, first_cell),
            );
        }
        false
    }
}
