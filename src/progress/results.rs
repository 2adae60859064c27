//! Reading a progress round back: the filled forms in INPUT_DIR/progress/R6/
//! give each item its 実績 and 評価 for that year. Forms are matched to items
//! by 項目番号 and title (a renamed file or reordered sheets do not matter);
//! only the round's year is taken, and plan fields edited in a form are
//! reported, never taken.

use crate::config::PlanConfig;
use crate::findings::{Code, Finding};

use crate::model::Item;
use crate::check::targets::signed_zeros;
use crate::ingest::normalize::Normalizer;
use crate::progress::forms::EXAMPLE_MARK_START;
use crate::ingest::files;
use crate::ingest::workbook::WORKBOOK_EXTENSIONS;
use crate::ingest::reader::{Field, RawSheet, SheetContent, read_sheet, year_of};
use crate::text::{name_key, nfkc, similarity, title_key};
use crate::ingest::workbook::{Grid, a1, read_workbook_limited};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// How a form's sheet was matched to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MatchMethod {
    /// 項目番号 and title agree.
    NumberAndTitle,
    /// The title found the item; the 項目番号 was missing or wrong.
    Title,
    /// The 項目番号 found the item; the title differs.
    Number,
}

impl MatchMethod {
    pub fn label_ja(self) -> &'static str {
        match self {
            MatchMethod::NumberAndTitle => "項目番号と名称",
            MatchMethod::Title => "名称のみ",
            MatchMethod::Number => "項目番号のみ",
        }
    }
}

/// One sheet of a form that was matched to an item.
#[derive(Debug, Clone, Serialize)]
pub struct Matched {
    pub file: String,
    pub sheet: String,
    pub number: u32,
    pub method: MatchMethod,
}

/// What one year's round yielded.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// Year code (R6).
    pub year: String,
    pub matched: Vec<Matched>,
    /// 項目番号 of the items with no result for the year (未提出).
    pub missing: Vec<u32>,
    /// Some result taken comes from a workbook that says its values are
    /// examples (記入例（サンプル）); only the forms decide it.
    pub sample: bool,
    /// Forms set aside for a newer one of their department: (older, newer).
    pub superseded: Vec<(String, String)>,
}

/// Reads every round under INPUT_DIR/progress/ (one folder per plan year),
/// attaches the results to `items`, and returns what was matched and what
/// is missing. Findings go to `findings`.
pub fn read_rounds(input_dir: &Path, config: &PlanConfig, items: &mut [Item], findings: &mut Vec<Finding>) -> Vec<Round> {
    let mut rounds = Vec::new();
    for year in &config.years {
        let dir = input_dir.join("progress").join(&year.code);
        if dir.is_dir() {
            rounds.push(read_round(&dir, &year.code, config, items, findings));
        }
    }
    rounds
}

/// A sheet read from a form, before it is matched.
struct FormSheet {
    file: String,
    /// Its workbook says its values are examples.
    sample: bool,
    grid_name: String,
    raw: RawSheet,
    form_year: Option<(String, String)>,
    number: Option<u32>,
}

/// Reads one form of a round: its item sheets and what reading found.
fn read_form(path: &Path, display: &str, config: &PlanConfig) -> FormFile {
    let modified = std::fs::metadata(path).ok().filter(|m| m.is_file()).and_then(|m| m.modified().ok());
    let mut form = FormFile { file: display.to_string(), modified, findings: Vec::new(), sheets: Vec::new() };
    let (workbook, read_findings) = read_workbook_limited(path, display, &config.limits);
    form.findings = read_findings;
    let Some(workbook) = workbook else { return form };
    // A workbook whose sheets say 記入例（サンプル） holds example values
    // (the sample rounds); every result read from it is marked so.
    let mut sample = false;
    // A returned form sent back: the tool's listing is not the department's.
    for grid in workbook.own_sheets() {
        // The form's own instruction and list sheets hold no results.
        if ["記入要領", "取組項目一覧"].contains(&nfkc(&grid.name).trim()) {
            continue;
        }
        sample |= grid.rows.iter().flatten().any(|c| c.text.starts_with(EXAMPLE_MARK_START));
        let (content, sheet_findings) = read_sheet(grid, display, &config.years);
        if let SheetContent::Item(raw) = content {
            form.findings.extend(sheet_findings);
            form.sheets.push(FormSheet {
                file: display.to_string(),
                sample: false,
                grid_name: grid.name.clone(),
                form_year: labelled_value(grid, "対象年度"),
                number: labelled_value(grid, "<項目番号>").and_then(|(v, _)| nfkc(&v).trim().parse().ok()),
                raw,
            });
        }
    }
    for sheet in &mut form.sheets {
        sheet.sample = sample;
    }
    form
}

/// One file of a round's folder as read, before the current file of each
/// department is chosen.
struct FormFile {
    file: String,
    modified: Option<std::time::SystemTime>,
    findings: Vec<Finding>,
    sheets: Vec<FormSheet>,
}

fn read_round(dir: &Path, year: &str, config: &PlanConfig, items: &mut [Item], findings: &mut Vec<Finding>) -> Round {
    let folder = format!("progress/{year}");
    let mut paths: Vec<_> = std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    paths.sort();
    let mut forms = Vec::new();
    let mut temporary = Vec::new();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if files::is_office_temp(&name) {
            temporary.push(name);
            continue;
        }
        if name.starts_with('.') || !WORKBOOK_EXTENSIONS.contains(&ext.as_str()) {
            continue;
        }
        forms.push(read_form(&path, &format!("{folder}/{name}"), config));
    }
    findings.extend(files::temp_files_finding(&folder, &temporary));

    let normalizer = Normalizer::new(config);
    let scale = config.grades();
    let index = ItemIndex::new(items);

    // One current form per department: the newer of two is read (the
    // department from the file name, else from the items its sheets match).
    // A form of another year is no submission for this round (P406 below).
    let of_round = |f: &FormFile| {
        f.sheets.is_empty() || f.sheets.iter().any(|s| s.form_year.as_ref().is_none_or(|(text, _)| year_of(text, &config.years).as_deref() == Some(year)))
    };
    let candidates: Vec<files::Candidate> = forms
        .iter()
        .filter(|f| f.modified.is_some() && of_round(f))
        .map(|f| {
            let by_items = || {
                let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
                for sheet in &f.sheets {
                    if let Some((i, _)) = index.find(sheet.number, &sheet.raw.text(Field::Title)) {
                        *votes.entry(items[i].department.as_str()).or_default() += 1;
                    }
                }
                votes.into_iter().max_by_key(|(_, n)| *n).map(|(d, _)| d.to_string())
            };
            let department = files::department_in_name(config, &f.file).or_else(by_items).unwrap_or_default();
            files::Candidate { file: f.file.clone(), department, modified: f.modified }
        })
        .collect();
    let (superseded, notices) = files::superseded(&candidates);
    findings.extend(notices);
    let mut sheets = Vec::new();
    for form in forms.into_iter().filter(|f| !superseded.iter().any(|(older, _)| *older == f.file)) {
        findings.extend(form.findings);
        sheets.extend(form.sheets);
    }
    let mut matched = Vec::new();
    let mut taken: BTreeMap<u32, String> = BTreeMap::new();
    for sheet in &sheets {
        let place = |code: Code, cell: Option<&str>, message: String, hint: &str| {
            Finding::new(code, &sheet.file, message, hint).at(&sheet.grid_name, cell)
        };
        if let Some((text, cell)) = &sheet.form_year {
            let form_year = year_of(text, &config.years);
            if form_year.as_deref() != Some(year) {
                findings.push(place(
                    Code::ProgressWrongYear,
                    Some(cell),
                    format!("{text}の様式が{year}の提出フォルダにあります。取り込んでいません"),
                    "その年度の様式に記入し直すか、正しい年度のフォルダに置いてください",
                ));
                continue;
            }
        }
        let title = sheet.raw.text(Field::Title);
        let Some((index, method)) = index.find(sheet.number, &title) else {
            findings.push(place(
                Code::ProgressUnknownItem,
                sheet.raw.cell(Field::Title),
                format!("項目番号{}「{}」に当たる取組項目がプランにありません。取り込んでいません", sheet.number.map(|n| n.to_string()).unwrap_or_else(|| "（なし）".into()), title.trim()),
                "配布した様式のシートに記入してください（項目番号と取組項目名を変えないでください）",
            ));
            continue;
        };
        let item_number = items[index].number;
        let department = items[index].department.clone();
        let with_department = |f: Finding| f.in_department(&department);
        if method != MatchMethod::NumberAndTitle {
            findings.push(with_department(place(
                Code::ProgressMatched,
                sheet.raw.cell(Field::Title),
                format!("項目{item_number}「{}」に{}で対応付けました", items[index].title, method.label_ja()),
                "項目番号と取組項目名が配布した様式のままか確認してください",
            )));
        }
        if let Some(first) = taken.get(&item_number) {
            findings.push(with_department(place(
                Code::ProgressDuplicate,
                sheet.raw.cell(Field::Title),
                format!("項目{item_number}の報告が二つあります（先に読んだ {first} を使いました）"),
                "どちらか一つにしてください",
            )));
            continue;
        }

        let mut scratch = Vec::new();
        let form_item = normalizer.item(&sheet.raw, &sheet.file, &department, true, &mut scratch);
        for f in plan_edits(&items[index], &form_item, &sheet.raw) {
            findings.push(with_department(place(Code::ProgressPlanEdited, f.1.as_deref(), f.0, "プランの変更はこの様式では受け付けません。担当課に連絡してください")));
        }
        // Results written for years other than the round's are not taken.
        // Earlier rounds' results the form was printed with are not news.
        for field in [Field::GoalResult, Field::WorkloadResult, Field::FiscalResult, Field::Evaluation, Field::Issues, Field::Improvements] {
            if let Some(row) = sheet.raw.per_year.get(&field) {
                for (other, cell) in &row.years {
                    let recorded = items[index].results.get(other);
                    let prefilled = recorded.is_some() && field_value(form_item.results.get(other), field) == field_value(recorded, field);
                    if other != year && !cell.text.trim().is_empty() && !prefilled {
                        findings.push(with_department(place(
                            Code::ProgressYearNotOpen,
                            Some(&cell.cell),
                            format!("{}の{}欄に記入があります。この回は{year}分だけを取り込みます", field.label(), other),
                            "記入する年度の列を確認してください",
                        )));
                    }
                }
            }
        }
        let Some(mut result) = form_item.results.get(year).cloned() else { continue };
        let cell_of = |field: Field| sheet.raw.per_year.get(&field).and_then(|r| r.years.get(year)).map(|c| c.cell.clone());
        findings.extend(signed_zeros(&sheet.raw, &sheet.file, &[Field::WorkloadResult, Field::FiscalResult], Some(year)).into_iter().map(with_department));
        for (field, amount) in [(Field::WorkloadResult, &result.workload_result), (Field::FiscalResult, &result.fiscal_result)] {
            if !amount.is_blank() && amount.value.is_none() {
                findings.push(with_department(place(
                    Code::ProgressNotANumber,
                    cell_of(field).as_deref(),
                    format!("{}「{}」が数値ではありません（合計に含めません）", field.label(), amount.raw.trim()),
                    "数値（△付きも可）で記入し、説明は課題欄に書いてください",
                )));
            }
        }
        if !result.evaluation.trim().is_empty() {
            match grade_of(&result.evaluation, &scale) {
                Some(grade) => result.evaluation = grade,
                None => findings.push(with_department(place(
                    Code::ProgressBadGrade,
                    cell_of(Field::Evaluation).as_deref(),
                    format!("評価「{}」は評価区分（{}）にありません", result.evaluation.trim(), scale.iter().map(|(g, _)| g.as_str()).collect::<Vec<_>>().join("・")),
                    "一覧から選んでください",
                ))),
            }
        }
        if result.is_empty() {
            continue;
        }
        taken.insert(item_number, format!("{} › {}", sheet.file, sheet.grid_name));
        items[index].results.insert(year.to_string(), result);
        if sheet.sample {
            items[index].sample_results.insert(year.to_string());
        }
        matched.push(Matched { file: sheet.file.clone(), sheet: sheet.grid_name.clone(), number: item_number, method });
    }

    // 未提出: every item without a result for the year, by department.
    let missing: Vec<u32> = items.iter().filter(|i| !i.results.get(year).is_some_and(|r| !r.is_empty())).map(|i| i.number).collect();
    let missing_set: HashSet<u32> = missing.iter().copied().collect();
    // A round of example forms is an example throughout: its 未提出 too.
    let sample = items.iter().any(|i| i.sample_results.contains(year));
    for item in items.iter_mut().filter(|i| missing_set.contains(&i.number)) {
        item.unreported.insert(year.to_string());
        if sample {
            item.sample_results.insert(year.to_string());
        }
    }
    for department in &config.departments {
        let numbers: Vec<String> = items
            .iter()
            .filter(|i| i.department == department.name && missing_set.contains(&i.number))
            .map(|i| i.number.to_string())
            .collect();
        if !numbers.is_empty() {
            findings.push(
                Finding::new(
                    Code::ProgressMissing,
                    &format!("progress/{year}"),
                    format!("{}の{year}実績が未提出の項目: {}", department.name, numbers.join("、")),
                    "進捗報告様式を記入して提出フォルダに置いてください",
                )
                .in_department(&department.name),
            );
        }
    }
    Round { year: year.to_string(), matched, missing, sample, superseded }
}

/// One result field as compared between a form and the model: the
/// number for hours and 千円, else the text.
fn field_value(result: Option<&crate::model::YearResult>, field: Field) -> (Option<i64>, String) {
    let Some(r) = result else { return (None, String::new()) };
    let amount = |a: &crate::model::Amount| (a.value.map(|v| (v * 100.0).round() as i64), if a.value.is_some() { String::new() } else { name_key(&a.raw) });
    match field {
        Field::WorkloadResult => amount(&r.workload_result),
        Field::FiscalResult => amount(&r.fiscal_result),
        Field::GoalResult => (None, name_key(&r.goal_result)),
        Field::Evaluation => (None, name_key(&r.evaluation)),
        Field::Issues => (None, name_key(&r.issues)),
        _ => (None, name_key(&r.improvements)),
    }
}

/// The text right of a label cell (e.g. <項目番号> | 6), with its address.
fn labelled_value(grid: &Grid, label: &str) -> Option<(String, String)> {
    let key = name_key(label);
    for (r, row) in grid.rows.iter().enumerate().take(10) {
        for (c, cell) in row.iter().enumerate() {
            if name_key(&cell.text) == key {
                let (col, value) = row.iter().enumerate().skip(c + 1).find(|(_, v)| !v.text.trim().is_empty())?;
                return Some((value.text.clone(), a1(r, col)));
            }
        }
    }
    None
}

/// Items by 項目番号 and by title key, built once per round (a title key
/// costs a Unicode normalisation; comparing every sheet with every item
/// would cost sheets × items of them).
struct ItemIndex {
    by_number: HashMap<u32, usize>,
    by_title: HashMap<String, Vec<usize>>,
    keys: Vec<String>,
}

impl ItemIndex {
    fn new(items: &[Item]) -> ItemIndex {
        let keys: Vec<String> = items.iter().map(|i| title_key(&i.title)).collect();
        let mut by_title: HashMap<String, Vec<usize>> = HashMap::new();
        for (p, key) in keys.iter().enumerate() {
            by_title.entry(key.clone()).or_default().push(p);
        }
        ItemIndex { by_number: items.iter().enumerate().map(|(p, i)| (i.number, p)).collect(), by_title, keys }
    }

    /// The item a form sheet reports on, and how it was found.
    fn find(&self, number: Option<u32>, title: &str) -> Option<(usize, MatchMethod)> {
        let key = title_key(title);
        let by_number = number.and_then(|n| self.by_number.get(&n).copied());
        let by_title: &[usize] = if key.is_empty() { &[] } else { self.by_title.get(&key).map(Vec::as_slice).unwrap_or(&[]) };
        match by_number {
            Some(p) if by_title.contains(&p) => Some((p, MatchMethod::NumberAndTitle)),
            // Titles repeat across departments (補助金電子申請システムの導入), so
            // a title alone decides only when it is unique.
            _ if by_title.len() == 1 => Some((by_title[0], MatchMethod::Title)),
            Some(p) if similarity(&self.keys[p], &key) >= 0.6 => Some((p, MatchMethod::Number)),
            _ => None,
        }
    }
}

/// A grade of the scale: "B", "Ｂ", "B 概ね達成" and "概ね達成" all read as B.
fn grade_of(text: &str, scale: &[(String, String)]) -> Option<String> {
    let text = nfkc(text);
    let text = text.trim();
    scale
        .iter()
        .find(|(grade, label)| {
            text.eq_ignore_ascii_case(grade)
                || text == label
                || text.strip_prefix(grade.as_str()).is_some_and(|rest| rest.trim_start_matches([' ', ':', '：', '(', '（']).starts_with(label.as_str()))
        })
        .map(|(grade, _)| grade.clone())
}

/// Plan fields of the form that differ from the plan: (message, cell).
fn plan_edits(plan: &Item, form: &Item, raw: &RawSheet) -> Vec<(String, Option<String>)> {
    let mut edits = Vec::new();
    let mut check = |field: Field, ours: &str, theirs: &str| {
        if name_key(ours) != name_key(theirs) {
            edits.push((format!("プラン欄「{}」が書き換えられています（取り込んでいません）", field.label()), raw.cell(field).map(str::to_string)));
        }
    };
    check(Field::Situation, &plan.situation, &form.situation);
    check(Field::Approach, &plan.approach, &form.approach);
    check(Field::Goal, &plan.goal, &form.goal);
    check(Field::Daibunrui, &plan.daibunrui, &form.daibunrui);
    check(Field::Shobunrui, &plan.shobunrui, &form.shobunrui);
    // The numbers as written, not as read: the plan's reading of a row of
    // △ may be the office's decision (decisions.toml), which a form does not
    // carry.
    use crate::ingest::amount::Unit;
    let values = |m: &BTreeMap<String, crate::model::Amount>, unit: Unit| m.values().map(|a| crate::ingest::amount::written_value(a, unit)).collect::<Vec<_>>();
    if values(&plan.workload_target, Unit::Hours) != values(&form.workload_target, Unit::Hours) {
        edits.push(("プラン欄「業務量削減目標値（時間）」が書き換えられています（取り込んでいません）".into(), raw.cell(Field::WorkloadTarget).map(str::to_string)));
    }
    if values(&plan.fiscal_target, Unit::ThousandYen) != values(&form.fiscal_target, Unit::ThousandYen) {
        edits.push(("プラン欄「財政効果目標額（千円）」が書き換えられています（取り込んでいません）".into(), raw.cell(Field::FiscalTarget).map(str::to_string)));
    }
    edits
}

