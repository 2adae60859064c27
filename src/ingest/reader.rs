//! Reading department workbooks: which sheets are 個票, which is the
//! department's list, and the fields of each, found by their label text.
//! Knows nothing of documents; produces raw text with cell references.

use crate::config::FiscalYear;
use crate::findings::{Code, Finding};
use crate::text::{label_key, name_key, nfkc};
use crate::ingest::workbook::{Grid, a1};
use std::collections::BTreeMap;

/// The labelled fields of a 個票, in sheet order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Title,
    Daibunrui,
    Shobunrui,
    Primary,
    Related,
    Situation,
    Approach,
    References,
    Goal,
    PlanHeader,
    YearlyGoals,
    WorkloadTarget,
    FiscalTarget,
    ResultHeader,
    GoalResult,
    WorkloadResult,
    FiscalResult,
    Evaluation,
    Issues,
    Improvements,
}

impl Field {
    /// The label as printed on the city's form.
    pub fn label(self) -> &'static str {
        use Field::*;
        match self {
            Title => "取組項目名",
            Daibunrui => "大分類",
            Shobunrui => "小分類",
            Primary => "主たる所管部署",
            Related => "関係部署",
            Situation => "プラン策定時の現状及び課題認識",
            Approach => "取組の方向性、内容",
            References => "参考事例等",
            Goal => "3年後の目指す姿（最終目標）",
            PlanHeader => "年度計画",
            YearlyGoals => "各年度目標",
            WorkloadTarget => "業務量削減目標値（時間）",
            FiscalTarget => "財政効果目標額（千円）",
            ResultHeader => "実績報告",
            GoalResult => "年度目標実績値",
            WorkloadResult => "業務量削減実績値（時間）",
            FiscalResult => "財政効果実績額（千円）",
            Evaluation => "評価",
            Issues => "課題",
            Improvements => "次年度に向けた改善点",
        }
    }

    /// Other spellings seen on real forms (compared as `label_key`s).
    fn variants(self) -> &'static [&'static str] {
        use Field::*;
        match self {
            Title => &["取組項目", "取組名"],
            Primary => &["主たる所管課", "所管部署", "所管課", "主管課"],
            Related => &["関係課", "関係部署等"],
            Situation => &["現状及び課題認識", "現状と課題", "現状及び課題"],
            Approach => &["取組の方向性・内容", "取組の方向性内容", "取組の方向性及び内容", "取組の方向性,内容", "取組内容"],
            References => &["参考事例"],
            Goal => &["3年後の目指す姿", "目指す姿(最終目標)", "最終目標"],
            YearlyGoals => &["年度目標"],
            WorkloadTarget => &["業務量削減目標値", "業務量削減目標(時間)", "業務量削減目標"],
            FiscalTarget => &["財政効果目標額", "財政効果目標(千円)", "財政効果目標"],
            WorkloadResult => &["業務量削減実績値"],
            FiscalResult => &["財政効果実績額"],
            Improvements => &["改善点", "次年度への改善点"],
            _ => &[],
        }
    }

    const ALL: [Field; 20] = [
        Field::Title,
        Field::Daibunrui,
        Field::Shobunrui,
        Field::Primary,
        Field::Related,
        Field::Situation,
        Field::Approach,
        Field::References,
        Field::Goal,
        Field::PlanHeader,
        Field::YearlyGoals,
        Field::WorkloadTarget,
        Field::FiscalTarget,
        Field::ResultHeader,
        Field::GoalResult,
        Field::WorkloadResult,
        Field::FiscalResult,
        Field::Evaluation,
        Field::Issues,
        Field::Improvements,
    ];

    /// Which field a label cell names, if any.
    pub fn from_label(text: &str) -> Option<Field> {
        // Label keys of every field and variant, computed once per process.
        static KEYS: std::sync::OnceLock<std::collections::HashMap<String, Field>> = std::sync::OnceLock::new();
        let keys = KEYS.get_or_init(|| {
            let mut keys = std::collections::HashMap::new();
            for f in Field::ALL.into_iter().rev() {
                for label in std::iter::once(f.label()).chain(f.variants().iter().copied()) {
                    keys.insert(label_key(label), f);
                }
            }
            keys
        });
        if text.trim().is_empty() || text.chars().count() > 40 {
            return None;
        }
        keys.get(&label_key(text)).copied()
    }

    /// Fields whose value is one text (possibly spread over merged cells).
    fn is_single(self) -> bool {
        use Field::*;
        matches!(self, Title | Daibunrui | Shobunrui | Primary | Related | Situation | Approach | References | Goal)
    }
}

/// A cell's text with its address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellText {
    pub text: String,
    pub number: Option<f64>,
    /// A1 reference.
    pub cell: String,
}

/// A row with one value per fiscal year plus 備考.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearRow {
    pub label: String,
    pub label_cell: String,
    /// Year code → cell (only the plan's years).
    pub years: BTreeMap<String, CellText>,
    pub remark: CellText,
}

/// One 個票 as read, before normalisation.
#[derive(Debug, Clone, Default)]
pub struct RawSheet {
    pub sheet: String,
    /// Non-empty value cells of single-value fields, left to right.
    pub single: BTreeMap<Field, Vec<CellText>>,
    /// Where each field's value is (or would be, when empty).
    pub field_cell: BTreeMap<Field, String>,
    pub plan_rows: Vec<YearRow>,
    /// Per-year fields: targets and results.
    pub per_year: BTreeMap<Field, YearRow>,
}

impl RawSheet {
    /// The field's text: its non-empty cells joined by line breaks.
    pub fn text(&self, field: Field) -> String {
        self.single
            .get(&field)
            .map(|cells| cells.iter().map(|c| c.text.trim()).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    pub fn cell(&self, field: Field) -> Option<&str> {
        self.field_cell.get(&field).map(String::as_str)
    }

    /// Labels only: no value in any field, plan row or target.
    pub fn is_blank(&self) -> bool {
        self.single.values().all(Vec::is_empty)
            && self.plan_rows.is_empty()
            && self.per_year.values().all(|row| {
                row.years.values().all(|c| c.text.trim().is_empty()) && row.remark.text.trim().is_empty()
            })
    }
}

/// One row of a department's list sheet (優先順位一覧).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListRow {
    pub sheet: String,
    /// Excel row number (1-based).
    pub row: u32,
    pub priority: CellText,
    pub title: CellText,
    pub section: CellText,
    pub daibunrui: CellText,
    pub shobunrui: CellText,
    pub note: CellText,
}

/// What a sheet turned out to be.
#[derive(Debug)]
pub enum SheetContent {
    Item(RawSheet),
    List(Vec<ListRow>),
    /// Nothing to read (empty, example, helper); findings say why when it matters.
    Skipped,
}

/// Phrases that mark a cell as an instruction to the person filling the
/// form, not a value (e.g. a merged note over the 実績 rows at plan time).
const INSTRUCTION_PHRASES: [&str; 3] = ["記載不要", "記入不要", "進捗管理時に記載"];

/// Sheet names of the instructions in the tool's own forms (記入要領).
const INSTRUCTION_SHEETS: [&str; 2] = ["記入要領", "記入方法"];

/// The sentence of the sign convention the tool's forms state on their
/// 記入要領 sheet (「削減・効果はプラス、増加・費用は△」).
const FORM_CONVENTION: &str = "増加・費用は△";

/// True when a workbook is one of the tool's own forms: its 記入要領 sheet
/// states the sign convention, so the numbers in it follow that convention
/// as written.
pub fn is_tool_form(grids: &[Grid]) -> bool {
    grids.iter().any(|g| {
        INSTRUCTION_SHEETS.contains(&nfkc(&g.name).trim()) && g.rows.iter().flatten().any(|c| c.text.contains(FORM_CONVENTION))
    })
}

/// Rows searched for the labels that identify a sheet's layout.
const SCAN_ROWS: usize = 200;

/// Classifies and reads one sheet.
pub fn read_sheet(grid: &Grid, file: &str, years: &[FiscalYear]) -> (SheetContent, Vec<Finding>) {
    let mut findings = Vec::new();
    if grid.is_empty() {
        return (SheetContent::Skipped, findings);
    }
    let title_at = find_label(grid, Field::Title);
    let list_header = find_list_header(grid);
    if grid.hidden {
        if title_at.is_some() {
            findings.push(
                Finding::new(
                    Code::HiddenItemSheet,
                    file,
                    "非表示のシートに取組項目個票があります。読み込んでいません",
                    "提出する個票なら再表示してください。不要なら削除してください",
                )
                .at(&grid.name, None),
            );
        } else {
            findings.push(
                Finding::new(Code::SkippedSheet, file, "非表示の補助シートのため読み飛ばしました", "")
                    .at(&grid.name, None),
            );
        }
        return (SheetContent::Skipped, findings);
    }
    // The instructions sheet of the tool's own forms: nothing to read.
    if INSTRUCTION_SHEETS.contains(&nfkc(&grid.name).trim()) {
        return (SheetContent::Skipped, findings);
    }
    if is_example(grid) {
        findings.push(
            Finding::new(Code::SkippedSheet, file, "記入例のシートのため読み飛ばしました", "")
                .at(&grid.name, None),
        );
        return (SheetContent::Skipped, findings);
    }
    // A list's header row also says 取組項目名, so look for the list first.
    if let Some((row, columns)) = list_header {
        return (SheetContent::List(read_list(grid, row, &columns)), findings);
    }
    if let Some((row, col)) = title_at {
        let sheet = read_item(grid, file, row, col, years, &mut findings);
        // A spare sheet of a proposal form left unfilled is not an item.
        if sheet.is_blank() {
            return (SheetContent::Skipped, findings);
        }
        return (SheetContent::Item(sheet), findings);
    }
    findings.push(
        Finding::new(
            Code::UnknownLayout,
            file,
            "取組項目個票でも優先順位一覧でもないシートです（「取組項目名」の見出しが見つかりません）。読み飛ばしました",
            "個票ならB列に「取組項目名」などの見出しを様式どおりに入れてください。不要なシートなら削除してください",
        )
        .at(&grid.name, None),
    );
    (SheetContent::Skipped, findings)
}

/// A 記入例 sheet: named so, or saying so in its first rows.
fn is_example(grid: &Grid) -> bool {
    let name = nfkc(&grid.name);
    if name.contains("記入例") || name.contains("記載例") || name.eq_ignore_ascii_case("sample") || name == "例" {
        return true;
    }
    grid.rows.iter().take(5).any(|row| {
        row.iter().any(|c| {
            let t = label_key(&c.text);
            t == "記入例" || t == "記載例" || t.starts_with("記入例") && t.chars().count() <= 8
        })
    })
}

fn find_label(grid: &Grid, field: Field) -> Option<(usize, usize)> {
    for (r, row) in grid.rows.iter().enumerate().take(SCAN_ROWS) {
        for (c, cell) in row.iter().enumerate().take(8) {
            if Field::from_label(&cell.text) == Some(field) {
                return Some((r, c));
            }
        }
    }
    None
}

/// Columns of the list sheet, by header text.
#[derive(Debug, Default, Clone)]
struct ListColumns {
    priority: usize,
    title: usize,
    section: Option<usize>,
    daibunrui: Option<usize>,
    shobunrui: Option<usize>,
    note: Option<usize>,
}

fn find_list_header(grid: &Grid) -> Option<(usize, ListColumns)> {
    for (r, row) in grid.rows.iter().enumerate().take(SCAN_ROWS) {
        let mut columns = ListColumns::default();
        let (mut priority, mut title) = (None, None);
        for (c, cell) in row.iter().enumerate() {
            match label_key(&cell.text).as_str() {
                "優先順位" | "順位" => priority = Some(c),
                "取組項目名" | "取組項目" => title = Some(c),
                "主たる所管部署" | "所管部署" | "所管課" | "主たる所管課" => columns.section = Some(c),
                "大分類" => columns.daibunrui = Some(c),
                "小分類" => columns.shobunrui = Some(c),
                "備考" => columns.note = Some(c),
                _ => {}
            }
        }
        if let (Some(p), Some(t)) = (priority, title) {
            columns.priority = p;
            columns.title = t;
            return Some((r, columns));
        }
    }
    None
}

fn cell_text(grid: &Grid, row: usize, col: usize) -> CellText {
    let cell = grid.cell(row, col);
    CellText {
        text: cell.map(|c| c.text.clone()).unwrap_or_default(),
        number: cell.and_then(|c| c.number),
        cell: a1(row, col),
    }
}

fn read_list(grid: &Grid, header: usize, columns: &ListColumns) -> Vec<ListRow> {
    let opt = |row: usize, col: Option<usize>| col.map(|c| cell_text(grid, row, c)).unwrap_or_default();
    let mut rows = Vec::new();
    for r in header + 1..grid.rows.len() {
        let title = cell_text(grid, r, columns.title);
        let priority = cell_text(grid, r, columns.priority);
        if title.text.trim().is_empty() && priority.text.trim().is_empty() {
            continue;
        }
        rows.push(ListRow {
            sheet: grid.name.clone(),
            row: r as u32 + 1,
            priority,
            title,
            section: opt(r, columns.section),
            daibunrui: opt(r, columns.daibunrui),
            shobunrui: opt(r, columns.shobunrui),
            note: opt(r, columns.note),
        });
    }
    rows
}

/// Which column holds which fiscal year, and where 備考 is.
#[derive(Debug, Clone)]
struct YearColumns {
    /// (year code, column)
    years: Vec<(String, usize)>,
    remark: Option<usize>,
}

/// Reads the year columns of a header row (年度計画 or 実績報告).
fn year_columns(grid: &Grid, row: usize, label_col: usize, years: &[FiscalYear]) -> Option<YearColumns> {
    let mut found = Vec::new();
    let mut remark = None;
    for c in label_col + 1..grid.rows[row].len() {
        let text = grid.text(row, c);
        if let Some(code) = year_of(text, years) {
            if !found.iter().any(|(k, _)| *k == code) {
                found.push((code, c));
            }
        } else if label_key(text) == "備考" {
            remark = Some(c);
        }
    }
    if found.is_empty() { None } else { Some(YearColumns { years: found, remark }) }
}

/// `令和6年度計画`, `令和６年度`, `R6`, `2024年度` → "R6" (by the plan's years).
pub fn year_of(header: &str, years: &[FiscalYear]) -> Option<String> {
    let key = name_key(header).to_uppercase();
    if key.is_empty() {
        return None;
    }
    years
        .iter()
        .find(|y| {
            let era = name_key(y.era.trim_end_matches("年度")).to_uppercase();
            let code = name_key(&y.code).to_uppercase();
            contains_number_token(&key, &era)
                || contains_number_token(&key, &code)
                || contains_number_token(&key, &y.western.to_string())
        })
        .map(|y| y.code.clone())
}

/// `needle` occurs in `hay` and is not followed by another digit
/// (so R6 does not match R60).
fn contains_number_token(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    hay.match_indices(needle).any(|(i, m)| {
        !hay[i + m.len()..].chars().next().is_some_and(|c| c.is_ascii_digit())
            && !hay[..i].chars().next_back().is_some_and(|c| c.is_ascii_digit())
    })
}

/// Reads an item sheet whose 取組項目名 label is at (title_row, label_col).
fn read_item(
    grid: &Grid,
    file: &str,
    title_row: usize,
    label_col: usize,
    years: &[FiscalYear],
    findings: &mut Vec<Finding>,
) -> RawSheet {
    let mut sheet = RawSheet { sheet: grid.name.clone(), ..Default::default() };
    // Without a readable header, years are taken left to right from column C.
    let default_columns = YearColumns {
        years: years.iter().enumerate().map(|(i, y)| (y.code.clone(), label_col + 1 + i)).collect(),
        remark: Some(label_col + 1 + years.len()),
    };
    let mut plan_columns: Option<YearColumns> = None;
    let mut result_columns: Option<YearColumns> = None;
    let mut in_plan = false;
    let value_end = label_col + 1 + years.len() + 1;

    for r in title_row..grid.rows.len() {
        let (label_text, field) = row_label(grid, r, label_col);
        match field {
            Some(Field::PlanHeader) => {
                in_plan = true;
                plan_columns = year_columns(grid, r, label_col, years);
                if plan_columns.is_none() {
                    findings.push(year_guess(file, &grid.name, r, label_col, years));
                }
                sheet.field_cell.insert(Field::PlanHeader, a1(r, label_col));
                continue;
            }
            Some(Field::ResultHeader) => {
                in_plan = false;
                result_columns = year_columns(grid, r, label_col, years);
                sheet.field_cell.insert(Field::ResultHeader, a1(r, label_col));
                continue;
            }
            _ => {}
        }
        let ends_plan = matches!(
            field,
            Some(Field::YearlyGoals | Field::WorkloadTarget | Field::FiscalTarget | Field::GoalResult | Field::WorkloadResult | Field::FiscalResult)
        );
        if in_plan && !ends_plan {
            let columns = plan_columns.clone().unwrap_or_else(|| default_columns.clone());
            let row = year_row(grid, r, label_col, &label_text, &columns);
            if !row.label.trim().is_empty() || row.years.values().any(|c| !c.text.trim().is_empty()) || !row.remark.text.trim().is_empty() {
                sheet.plan_rows.push(row);
            }
            continue;
        }
        if ends_plan {
            in_plan = false;
        }
        let Some(field) = field else { continue };
        if field.is_single() {
            if sheet.single.contains_key(&field) {
                continue; // first occurrence wins
            }
            let cells: Vec<CellText> = (label_col + 1..value_end.max(grid.rows[r].len()))
                .map(|c| cell_text(grid, r, c))
                .filter(|c| !c.text.trim().is_empty())
                .collect();
            let at = cells.first().map(|c| c.cell.clone()).unwrap_or_else(|| a1(r, label_col + 1));
            sheet.field_cell.insert(field, at);
            sheet.single.insert(field, cells);
        } else if !sheet.per_year.contains_key(&field) {
            let is_result = matches!(
                field,
                Field::GoalResult | Field::WorkloadResult | Field::FiscalResult | Field::Evaluation | Field::Issues | Field::Improvements
            );
            let columns = if is_result { result_columns.clone().or_else(|| plan_columns.clone()) } else { plan_columns.clone() }
                .unwrap_or_else(|| default_columns.clone());
            let mut row = year_row(grid, r, label_col, &label_text, &columns);
            if is_result {
                row.years.retain(|_, c| !INSTRUCTION_PHRASES.iter().any(|p| c.text.contains(p)));
            }
            let first = columns.years.first().map(|(_, c)| *c).unwrap_or(label_col + 1);
            sheet.field_cell.insert(field, a1(r, first));
            sheet.per_year.insert(field, row);
        }
    }

    let expected = [
        Field::Daibunrui,
        Field::Shobunrui,
        Field::Primary,
        Field::Situation,
        Field::Approach,
        Field::Goal,
        Field::PlanHeader,
        Field::WorkloadTarget,
        Field::FiscalTarget,
    ];
    for field in expected {
        if !sheet.field_cell.contains_key(&field) {
            findings.push(
                Finding::new(
                    Code::MissingLabel,
                    file,
                    format!("見出し「{}」が見つかりません", field.label()),
                    format!("様式どおり「{}」の行を入れて記入してください", field.label()),
                )
                .at(&grid.name, None),
            );
        }
    }
    sheet
}

/// The label of row `r`: the cell in the label column, or, when that is
/// empty, a known label in the column to its left (labels merged across A:B).
fn row_label(grid: &Grid, r: usize, label_col: usize) -> (String, Option<Field>) {
    let text = grid.text(r, label_col);
    if !text.trim().is_empty() {
        return (text.to_string(), Field::from_label(text));
    }
    if label_col > 0 {
        let left = grid.text(r, label_col - 1);
        if let Some(field) = Field::from_label(left) {
            return (left.to_string(), Some(field));
        }
    }
    (String::new(), None)
}

fn year_row(grid: &Grid, r: usize, label_col: usize, label: &str, columns: &YearColumns) -> YearRow {
    YearRow {
        label: label.trim().to_string(),
        label_cell: a1(r, label_col),
        years: columns.years.iter().map(|(code, c)| (code.clone(), cell_text(grid, r, *c))).collect(),
        remark: columns.remark.map(|c| cell_text(grid, r, c)).unwrap_or_default(),
    }
}

fn year_guess(file: &str, sheet: &str, r: usize, label_col: usize, years: &[FiscalYear]) -> Finding {
    let names: Vec<&str> = years.iter().map(|y| y.era.as_str()).collect();
    Finding::new(
        Code::YearColumnsGuessed,
        file,
        format!("年度計画の見出しに年度（{}）が見つからないため、左から順に年度とみなしました", names.join("・")),
        "年度計画の行の見出しに「令和6年度計画」のように年度を入れてください",
    )
    .at(sheet, Some(&a1(r, label_col + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn years() -> Vec<FiscalYear> {
        [("R6", "令和6年度", 2024), ("R7", "令和7年度", 2025), ("R8", "令和8年度", 2026)]
            .into_iter()
            .map(|(c, e, w)| FiscalYear { code: c.into(), era: e.into(), western: w })
            .collect()
    }

    #[test]
    fn year_headers_in_their_many_spellings() {
        let y = years();
        assert_eq!(year_of("令和6年度計画", &y).as_deref(), Some("R6"));
        assert_eq!(year_of("令和７年度", &y).as_deref(), Some("R7"));
        assert_eq!(year_of("R8", &y).as_deref(), Some("R8"));
        assert_eq!(year_of("2024年度", &y).as_deref(), Some("R6"));
        assert_eq!(year_of("令和60年度", &y), None);
        assert_eq!(year_of("備考", &y), None);
    }

    #[test]
    fn labels_in_their_many_spellings() {
        assert_eq!(Field::from_label(" 業務量削減目標値(時間)"), Some(Field::WorkloadTarget));
        assert_eq!(Field::from_label("財政効果目標額（千円）"), Some(Field::FiscalTarget));
        assert_eq!(Field::from_label("取組の方向性・内容"), Some(Field::Approach));
        assert_eq!(Field::from_label("大　分　類"), Some(Field::Daibunrui));
        assert_eq!(Field::from_label("対象業務の選定"), None);
    }
}
