//! Proposal forms (素案提出様式): one workbook per department for the 素案
//! round, so departments fill the layout the reader understands instead of
//! inventing their own. A 記入要領 sheet (which also holds the drop-down
//! lists), the department's 優先順位一覧 and blank 個票 sheets, with the
//! plan's years, drop-downs from plan.toml and number checks on the targets.
//! Items carried from the previous plan (`carry_forms`) come prefilled, with
//! their 前期 history in a locked block below the sheet.

use crate::config::PlanConfig;
use crate::documents::ItemSheet;
use crate::documents::items_xlsx::{amount_validation, plain_number};
use crate::ingest::reader::Field;
use crate::model::Item;
use crate::write::safe_file_name;
use crate::xlsx::{Formats, properties};
use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign, Formula, ProtectionOptions, Workbook,
    Worksheet,
};

/// One department's proposal form, ready to write.
pub struct ProposalForm {
    pub department: String,
    pub file_name: String,
    /// 個票 sheets in it, prefilled and blank.
    pub sheets: usize,
    /// Sheets prefilled with an item carried from the previous plan.
    pub carried: usize,
    pub bytes: Vec<u8>,
}

/// Blank sheets beyond the department's last count.
pub const SPARE_SHEETS: usize = 3;
/// Task rows of the 年度計画 block (more can be inserted).
pub const PLAN_ROWS: usize = 5;

const INSTRUCTIONS: &str = "記入要領";
const LIST_SHEET: &str = "優先順位一覧";
/// Where the drop-down lists live on the 記入要領 sheet: 大分類 in D, 小分類
/// in E (its 大分類 beside it in F), the department's 課 in G.
const CHOICE_COLS: [u16; 3] = [3, 4, 6];
const CHOICE_FIRST_ROW: u32 = 3;

const SECTION_WIDTH: f64 = 4.0;
const LABEL_WIDTH: f64 = 24.0;
const YEAR_WIDTH: f64 = 26.0;
const NOTE_WIDTH: f64 = 14.0;

/// An item the previous plan's 最終評価 proposes to carry into this one.
pub struct Carry<'a> {
    pub item: &'a Item,
    /// Its 個票 in the previous plan, for the history rows.
    pub history: ItemSheet,
    /// The previous plan's years as column heads (令和6年度 …).
    pub eras: Vec<String>,
    /// Why it is carried, as the 最終評価 says.
    pub reasons: Vec<String>,
}

/// The forms for every department of plan.toml, in department order. Each
/// gets as many 個票 sheets as it sent last time (its items in `items`, or
/// else the 提案件数 the organisation table declares) plus spares.
pub fn proposal_forms(items: &[Item], config: &PlanConfig) -> anyhow::Result<Vec<ProposalForm>> {
    forms(config, &[], |department| {
        let submitted = items.iter().filter(|i| i.department == department.name).count();
        let declared: u32 = department.sections.iter().filter_map(|s| s.declared).sum();
        submitted.max(declared as usize)
    })
}

/// The forms of a new plan (`config`) with the carried items prefilled in
/// their department's form, in the previous plan's order, plus spares.
/// Items of a department `config` no longer has are left out.
pub fn carry_forms(carried: &[Carry], config: &PlanConfig) -> anyhow::Result<Vec<ProposalForm>> {
    forms(config, carried, |_| 0)
}

fn forms(config: &PlanConfig, carried: &[Carry], last_count: impl Fn(&crate::config::Department) -> usize) -> anyhow::Result<Vec<ProposalForm>> {
    let mut forms = Vec::new();
    for (index, department) in config.departments.iter().enumerate() {
        let mine: Vec<&Carry> = carried.iter().filter(|c| c.item.department == department.name).collect();
        let sheets = mine.len().max(last_count(department)) + SPARE_SHEETS;
        let stage = if config.plan.stage.is_empty() { "素案" } else { config.plan.stage.as_str() };
        let title = format!("{}{} {}提出様式（{}）", department.code, department.name, stage, config.plan.name);
        let bytes = department_form(config, index, sheets, &title, &mine)?;
        forms.push(ProposalForm {
            department: department.name.clone(),
            file_name: format!("{}.xlsx", safe_file_name(&format!("{}_{}_{stage}提出様式", department.code, department.name))),
            sheets,
            carried: mine.len(),
            bytes,
        });
    }
    Ok(forms)
}

/// Formats of the form: what a department fills is tinted and unlocked.
struct FormFormats {
    base: Formats,
    /// A value cell to fill.
    fill: Format,
    /// A value cell that keeps numbers in the 1,920 / △480 convention.
    fill_number: Format,
    /// Not for this round (実績 and 評価).
    later: Format,
}

impl FormFormats {
    fn new() -> FormFormats {
        let base = Formats::new();
        let fill = base.open.clone();
        let fill_number = fill.clone().set_num_format(crate::xlsx::NUMBER_FORMAT).set_align(FormatAlign::Right);
        let later = base.cell.clone().set_background_color(Color::RGB(0xF2F2F2)).set_font_color(Color::RGB(0x7F7F7F)).set_align(FormatAlign::Center);
        FormFormats { base, fill, fill_number, later }
    }
}

/// Sheet protection without a password: labels stay in place, rows can
/// still be inserted (the 年度計画 block grows) and a clerk can unlock it.
fn protection() -> ProtectionOptions {
    ProtectionOptions { insert_rows: true, delete_rows: true, format_rows: true, format_columns: true, ..ProtectionOptions::new() }
}

fn department_form(config: &PlanConfig, index: usize, sheets: usize, title: &str, carried: &[&Carry]) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    book.set_properties(&properties(config, title)?);
    let f = FormFormats::new();
    let choices = write_instructions(&mut book, config, index, title, sheets, !carried.is_empty(), &f.base)?;
    write_list(book.add_worksheet(), sheets, &choices, &f, carried)?;
    for n in 1..=sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(n.to_string())?;
        write_blank_item(sheet, config, &choices, &f, carried.get(n - 1).copied())?;
    }
    Ok(book.save_to_buffer()?)
}

/// The ranges of the drop-down lists on the 記入要領 sheet.
struct Choices {
    daibunrui: String,
    shobunrui: String,
    sections: String,
}

/// 記入要領: what to fill and how, and the lists the drop-downs offer.
fn write_instructions(book: &mut Workbook, config: &PlanConfig, index: usize, title: &str, sheets: usize, carried: bool, f: &Formats) -> anyhow::Result<Choices> {
    let department = &config.departments[index];
    let sheet = book.add_worksheet();
    sheet.set_name(INSTRUCTIONS)?;
    sheet.set_column_width(0, 4.0)?;
    sheet.set_column_width(1, 90.0)?;
    sheet.set_column_width(2, 2.0)?;
    sheet.write_with_format(0, 1, title, &f.title)?;
    let text = Format::new().set_text_wrap().set_align(FormatAlign::Top).set_font_name("BIZ UDPゴシック").set_font_size(10);
    let eras: Vec<&str> = config.years.iter().map(|y| y.era.as_str()).collect();
    let mut lines = vec![
        format!(
            "この様式は{}（{}）の取組項目の提出用です。取組ごとに個票シート（1〜{sheets}）を1枚ずつ使い、黄色のセルに記入してください。使わないシートは空欄のままで構いません（読み込みません）。足りない場合は個票シートをコピーしてください。",
            config.plan.name, config.plan.stage
        ),
        format!("「{LIST_SHEET}」シートに、すべての取組を優先順位の順に記入してください。取組項目名・主たる所管部署・大分類・小分類は個票と同じ表記にしてください。"),
        "大分類・小分類・主たる所管部署は、セルを選ぶと一覧から選べます。小分類は選んだ大分類に属するものを選んでください（右の表）。主たる所管部署が複数のときは「、」で区切り、主として所管する課を先頭に書いてください。".to_string(),
        format!("年度計画は{}の取組内容を、作業ごとに1行で記入してください（B列に作業名）。行が足りなければ行を挿入してください。", eras.join("・")),
        "業務量削減目標値（時間）と財政効果目標額（千円）は数値で記入してください。削減・効果はプラス、増加・費用は△を付けます（例: 480、△120）。数値にできない事情は備考に書き、少なくとも一つは数値の目標を記入してください。".to_string(),
        "実績・評価の欄は進捗管理の年度に記入するため、今は記入不要です。項目番号は事務局が付けます。".to_string(),
        format!(
            "B列の見出しやシートの構成は変えないでください（保護はパスワードなしで解除できます）。ファイル名は「{}_{}」を含めたままにしてください。{}",
            department.code,
            department.name,
            crate::config::submit_line(config)
        ),
    ];
    if carried {
        lines.push(
            "前期から継続する取組は、個票と優先順位一覧に前期の内容を記入してあります。後期の内容に見直して修正し、年度計画と目標値を記入してください。個票の下の「前期の経過」（目標・実績・評価）は参考で、変更できません。"
                .to_string(),
        );
    }
    for (i, line) in lines.iter().enumerate() {
        let r = 2 + i as u32 * 2;
        sheet.write_with_format(r, 0, format!("{}.", i + 1), &text)?;
        sheet.write_with_format(r, 1, line.as_str(), &text)?;
        sheet.set_row_height(r, 42.0)?;
    }

    // The drop-down lists, visible so a department sees what each means.
    let daibunrui: Vec<&str> = config.taxonomy.iter().map(|d| d.daibunrui.as_str()).collect();
    let shobunrui: Vec<String> = config.taxonomy.iter().flat_map(|d| d.shobunrui.iter().map(|s| s.name.clone())).collect();
    let parents: Vec<&str> = config.taxonomy.iter().flat_map(|d| d.shobunrui.iter().map(|_| d.daibunrui.as_str())).collect();
    let sections: Vec<&str> = department.sections.iter().map(|s| s.name.as_str()).collect();
    let [dai_col, sho_col, sec_col] = CHOICE_COLS;
    sheet.write_with_format(CHOICE_FIRST_ROW - 2, dai_col, "選択肢（ドロップダウンの一覧）", &f.title)?;
    for (col, header, width) in [(dai_col, "大分類", 24.0), (sho_col, "小分類", 18.0), (sec_col, format!("{}の課", department.name).as_str(), 24.0)] {
        sheet.write_with_format(CHOICE_FIRST_ROW - 1, col, header, &f.header)?;
        sheet.set_column_width(col, width)?;
    }
    for (i, name) in daibunrui.iter().enumerate() {
        sheet.write_with_format(CHOICE_FIRST_ROW + i as u32, dai_col, *name, &f.cell)?;
    }
    // Each 小分類 with the 大分類 it belongs to; the drop-down offers the
    // bare names, in a column of their own.
    for (i, (name, parent)) in shobunrui.iter().zip(&parents).enumerate() {
        sheet.write_with_format(CHOICE_FIRST_ROW + i as u32, sho_col, name.as_str(), &f.cell)?;
        sheet.write_with_format(CHOICE_FIRST_ROW + i as u32, sho_col + 1, format!("（{parent}）"), &text)?;
    }
    sheet.set_column_width(sho_col + 1, 26.0)?;
    for (i, name) in sections.iter().enumerate() {
        sheet.write_with_format(CHOICE_FIRST_ROW + i as u32, sec_col, *name, &f.cell)?;
    }
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    let range = |col: u16, len: usize| {
        format!(
            "='{INSTRUCTIONS}'!${}:${}",
            absolute(CHOICE_FIRST_ROW, col),
            absolute(CHOICE_FIRST_ROW + len.max(1) as u32 - 1, col)
        )
    };
    Ok(Choices { daibunrui: range(dai_col, daibunrui.len()), shobunrui: range(sho_col, shobunrui.len()), sections: range(sec_col, sections.len()) })
}

/// `D4` → `D$4` (the column is made absolute by the caller's `$`).
fn absolute(row: u32, col: u16) -> String {
    let cell = row_col_to_cell(row, col);
    let split = cell.find(|c: char| c.is_ascii_digit()).unwrap_or(cell.len());
    format!("{}${}", &cell[..split], &cell[split..])
}

/// A drop-down of the values in `range`. `strict` refuses anything else;
/// otherwise a value outside the list asks once (several sections joined
/// with 、 are allowed in 主たる所管部署).
fn list_validation(range: &str, title: &str, strict: bool) -> anyhow::Result<DataValidation> {
    let validation = DataValidation::new()
        .allow_list_formula(Formula::new(range))
        .set_input_title(title)?
        .set_input_message("一覧から選んでください")?
        .set_error_title("一覧にない値です")?
        .set_error_message("記入要領の選択肢から選んでください")?;
    Ok(if strict { validation } else { validation.set_error_style(DataValidationErrorStyle::Warning) })
}

/// 優先順位一覧: one blank row per 個票 sheet.
fn write_list(sheet: &mut Worksheet, rows: usize, choices: &Choices, f: &FormFormats, carried: &[&Carry]) -> anyhow::Result<()> {
    sheet.set_name(LIST_SHEET)?;
    let headers = [("優先順位", 9.0), ("取組項目名", 60.0), ("主たる所管部署", 24.0), ("大分類", 24.0), ("小分類", 18.0), ("備考", 24.0)];
    for (c, (h, w)) in headers.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &f.base.header)?;
        sheet.set_column_width(c as u16, *w)?;
    }
    let last = rows as u32;
    for r in 1..=last {
        sheet.write_blank(r, 0, &f.fill_number)?;
        for c in 1..headers.len() as u16 {
            sheet.write_blank(r, c, &f.fill)?;
        }
        sheet.set_row_height(r, 30.0)?;
    }
    // Carried items first, numbered in the previous plan's order; the
    // department reorders them as it sees fit.
    for (i, carry) in carried.iter().enumerate() {
        let r = 1 + i as u32;
        let item = carry.item;
        sheet.write_number_with_format(r, 0, (i + 1) as f64, &f.fill_number)?;
        // The list names one 課, the first 主たる所管部署, as the master
        // names it, so the row reads back cleanly (V214 compares the two).
        let sections = item.primary_resolved.first().map_or_else(|| item.written.primary.clone(), |s| s.section.clone());
        for (c, value) in [(1, &item.title), (2, &sections), (3, &item.daibunrui), (4, &item.shobunrui)] {
            sheet.write_with_format(r, c, value.as_str(), &f.fill)?;
        }
    }
    let priority = DataValidation::new()
        .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(1))
        .set_input_title("優先順位")?
        .set_input_message("1, 2, 3 … の整数（重複なし）")?
        .set_error_title("整数ではありません")?
        .set_error_message("優先順位は 1 以上の整数で記入してください")?;
    sheet.add_data_validation(1, 0, last, 0, &priority)?;
    sheet.add_data_validation(1, 2, last, 2, &list_validation(&choices.sections, "主たる所管部署", false)?)?;
    sheet.add_data_validation(1, 3, last, 3, &list_validation(&choices.daibunrui, "大分類", true)?)?;
    sheet.add_data_validation(1, 4, last, 4, &list_validation(&choices.shobunrui, "小分類", true)?)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.protect_with_options(&protection());
    Ok(())
}

/// A blank 個票 in the layout the reader understands: column A the section,
/// B the labels, the value merged across C:備考 or one cell per plan year
/// with 備考 last.
/// With `carry`, the sheet is prefilled with the carried item and ends with
/// its 前期 history, locked.
fn write_blank_item(sheet: &mut Worksheet, config: &PlanConfig, choices: &Choices, f: &FormFormats, carry: Option<&Carry>) -> anyhow::Result<()> {
    let n = config.years.len() as u16;
    let last_col = 2 + n; // 備考
    sheet.set_column_width(0, SECTION_WIDTH)?;
    sheet.set_column_width(1, LABEL_WIDTH)?;
    for c in 0..n {
        sheet.set_column_width(2 + c, YEAR_WIDTH)?;
    }
    sheet.set_column_width(last_col, NOTE_WIDTH)?;
    let b = &f.base;
    sheet.merge_range(0, 0, 0, last_col - 2, "取組項目個票（兼進捗管理表）", &b.title)?;
    sheet.write_with_format(0, last_col - 1, "<項目番号>", &Format::new().set_align(FormatAlign::Right).set_align(FormatAlign::VerticalCenter))?;
    sheet.write_blank(0, last_col, &b.center)?;
    sheet.set_row_height(0, 24.0)?;
    let note = Format::new().set_font_name("BIZ UDPゴシック").set_font_size(9).set_font_color(Color::RGB(0x595959));
    sheet.write_with_format(1, 1, "黄色のセルに記入してください（記入要領シート参照）。", &note)?;

    let section = b.header.clone().set_rotation(270).set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter);
    let section_label = |sheet: &mut Worksheet, first: u32, last: u32, name: &str| -> anyhow::Result<()> {
        sheet.merge_range(first, 0, last, 0, name, &section)?;
        Ok(())
    };
    let mut r: u32 = 2;
    // A label with one value merged across the year and 備考 columns.
    let wide = |sheet: &mut Worksheet, r: &mut u32, field: Field, height: f64, validation: Option<DataValidation>| -> anyhow::Result<()> {
        sheet.write_with_format(*r, 1, field.label(), &b.label)?;
        let value = carry.map(|c| prefill(c.item, field)).unwrap_or_default();
        sheet.merge_range(*r, 2, *r, last_col, &crate::xlsx::cell_text(value), &f.fill)?;
        if let Some(v) = validation {
            sheet.add_data_validation(*r, 2, *r, 2, &v)?;
        }
        sheet.set_row_height(*r, height)?;
        *r += 1;
        Ok(())
    };

    // 概要
    let start = r;
    wide(sheet, &mut r, Field::Title, 30.0, None)?;
    wide(sheet, &mut r, Field::Daibunrui, 20.0, Some(list_validation(&choices.daibunrui, "大分類", true)?))?;
    wide(sheet, &mut r, Field::Shobunrui, 20.0, Some(list_validation(&choices.shobunrui, "小分類", true)?))?;
    wide(sheet, &mut r, Field::Primary, 20.0, Some(list_validation(&choices.sections, "主たる所管部署", false)?))?;
    wide(sheet, &mut r, Field::Related, 20.0, None)?;
    wide(sheet, &mut r, Field::Situation, 80.0, None)?;
    wide(sheet, &mut r, Field::Approach, 80.0, None)?;
    wide(sheet, &mut r, Field::References, 30.0, None)?;
    section_label(sheet, start, r - 1, "概要")?;

    // 計画
    let start = r;
    wide(sheet, &mut r, Field::Goal, 50.0, None)?;
    sheet.write_with_format(r, 1, Field::PlanHeader.label(), &b.header)?;
    for (c, y) in config.years.iter().enumerate() {
        sheet.write_with_format(r, 2 + c as u16, format!("{}計画", y.era), &b.header)?;
    }
    sheet.write_with_format(r, last_col, "備考", &b.header)?;
    r += 1;
    for _ in 0..PLAN_ROWS {
        for c in 1..=last_col {
            sheet.write_blank(r, c, &f.fill)?;
        }
        sheet.set_row_height(r, 36.0)?;
        r += 1;
    }
    for field in [Field::YearlyGoals, Field::WorkloadTarget, Field::FiscalTarget] {
        sheet.write_with_format(r, 1, field.label(), &b.label)?;
        let numeric = field != Field::YearlyGoals;
        for c in 0..n {
            let col = 2 + c;
            sheet.write_blank(r, col, if numeric { &f.fill_number } else { &f.fill })?;
            if numeric {
                sheet.add_data_validation(r, col, r, col, &amount_validation(&row_col_to_cell(r, col))?)?;
            }
        }
        sheet.write_blank(r, last_col, &f.fill)?;
        sheet.set_row_height(r, if numeric { 20.0 } else { 36.0 })?;
        r += 1;
    }
    section_label(sheet, start, r - 1, "計画")?;

    // 実績 and 評価: filled in the progress year, not now.
    let later_rows = |sheet: &mut Worksheet, r: &mut u32, fields: &[Field]| -> anyhow::Result<()> {
        for field in fields {
            sheet.write_with_format(*r, 1, field.label(), &b.label)?;
            sheet.merge_range(*r, 2, *r, last_col - 1, "進捗管理時に記載（素案では記入不要）", &f.later)?;
            sheet.write_blank(*r, last_col, &f.later)?;
            *r += 1;
        }
        Ok(())
    };
    let start = r;
    sheet.write_with_format(r, 1, Field::ResultHeader.label(), &b.header)?;
    for (c, y) in config.years.iter().enumerate() {
        sheet.write_with_format(r, 2 + c as u16, format!("{}実績", y.era), &b.header)?;
    }
    sheet.write_with_format(r, last_col, "備考", &b.header)?;
    r += 1;
    later_rows(sheet, &mut r, &[Field::GoalResult, Field::WorkloadResult, Field::FiscalResult])?;
    section_label(sheet, start, r - 1, "実績")?;
    let start = r;
    later_rows(sheet, &mut r, &[Field::Evaluation, Field::Issues, Field::Improvements])?;
    section_label(sheet, start, r - 1, "評価")?;
    if let Some(carry) = carry {
        r = write_history(sheet, r + 1, carry, b)?;
    }

    sheet.set_paper_size(9);
    sheet.set_portrait();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_area(0, 0, r - 1, last_col)?;
    sheet.protect_with_options(&protection());
    Ok(())
}

/// What a carried item's sheet starts with: the previous plan's text, for
/// the department to revise.
fn prefill(item: &Item, field: Field) -> &str {
    match field {
        Field::Title => &item.title,
        Field::Daibunrui => &item.daibunrui,
        Field::Shobunrui => &item.shobunrui,
        Field::Primary => &item.written.primary,
        Field::Related => &item.written.related,
        Field::Situation => &item.situation,
        Field::Approach => &item.approach,
        Field::References => &item.references,
        Field::Goal => &item.goal,
        _ => "",
    }
}

/// The 前期 history below a carried sheet, from row `r`: each previous
/// year's targets, results and grades, and why the item is carried. Locked
/// (the sheet is protected), and labelled 前期… so the reader never takes
/// them for this plan's fields. Returns the row after the block.
fn write_history(sheet: &mut Worksheet, mut r: u32, carry: &Carry, b: &Formats) -> anyhow::Result<u32> {
    let start = r;
    let span = 1 + carry.eras.len().max(2) as u16;
    sheet.write_with_format(r, 1, HISTORY_HEADER, &b.header)?;
    for (c, era) in carry.eras.iter().enumerate() {
        sheet.write_with_format(r, 2 + c as u16, era.as_str(), &b.header)?;
    }
    r += 1;
    let h = &carry.history;
    // 各年度目標 and the result text are prose; the other rows are amounts.
    let rows = [(&h.targets[..], true), (&h.results[..], true), (&h.evaluation[..], false)];
    for (group, amounts) in rows {
        for (i, row) in group.iter().enumerate() {
            sheet.write_with_format(r, 1, format!("前期{}", row.label), &b.label)?;
            for (c, text) in row.cells.iter().enumerate() {
                let col = 2 + c as u16;
                match plain_number(text).filter(|_| amounts && i > 0) {
                    Some(n) => sheet.write_number_with_format(r, col, n, b.for_number(n))?,
                    None => sheet.write_with_format(r, col, crate::xlsx::cell_text(text).as_ref(), &b.wrap)?,
                };
            }
            r += 1;
        }
    }
    sheet.write_with_format(r, 1, "継続の理由", &b.label)?;
    sheet.merge_range(r, 2, r, span, &carry.reasons.join("、"), &b.wrap)?;
    let section = b.header.clone().set_rotation(270).set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter);
    sheet.merge_range(start, 0, r, 0, "前期", &section)?;
    Ok(r + 1)
}

/// The label heading the 前期 history block.
pub const HISTORY_HEADER: &str = "前期の経過";
