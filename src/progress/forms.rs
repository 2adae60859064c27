//! Progress forms (進捗報告様式): one workbook per department for a year's
//! round. Each item's sheet is its 個票 with the plan filled in and locked;
//! only that year's 実績 and 評価 cells are open. The reader reads the filled
//! forms back (see results.rs).

use crate::config::PlanConfig;
use crate::documents::ItemSheet;
use crate::documents::items_xlsx::{OpenYear, config_year_eras, write_item_sheet};
use crate::xlsx::Formats;
use crate::model::Item;
use crate::xlsx::properties;
use crate::write::safe_file_name;
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

/// One department's form, ready to write.
pub struct Form {
    pub department: String,
    pub file_name: String,
    pub items: usize,
    pub bytes: Vec<u8>,
}

/// Marks every sheet of a form filled with example values (the sample
/// round), so no one takes them for the city's figures. The reader skips a
/// sheet whose cell says only 記入例, so the mark is a sentence.
pub const EXAMPLE_MARK: &str = "記入例（サンプル）：この様式の実績・評価は説明用の架空の値です。市の実際の数値ではありません。";

/// How a cell of a form's sheet starts when the form says it holds examples:
/// the round reader marks every result read from such a workbook as a
/// sample (and only those).
pub const EXAMPLE_MARK_START: &str = "記入例（サンプル）";

/// The forms for `year` (a year code such as R6), one per department that
/// has items, in department order. They carry the results of the earlier
/// years only (locked): a form regenerated after later rounds are in is
/// still the one the departments were sent.
pub fn department_forms(items: &[Item], config: &PlanConfig, year: &str) -> anyhow::Result<Vec<Form>> {
    forms_for(items, config, year, Fill::Blank)
}

/// Forms as a department returns them: every result the items carry is in
/// its cell, and nothing says they are examples (for tests).
pub fn filled_forms(items: &[Item], config: &PlanConfig, year: &str) -> anyhow::Result<Vec<Form>> {
    forms_for(items, config, year, Fill::Filled)
}

/// Forms carrying results up to `year`, marked as examples on every sheet
/// (the sample rounds).
pub fn example_forms(items: &[Item], config: &PlanConfig, year: &str) -> anyhow::Result<Vec<Form>> {
    forms_for(items, config, year, Fill::Example)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// The earlier years' results; the year's cells empty.
    Blank,
    /// Every result given.
    Filled,
    /// Results up to the year, every sheet marked 記入例（サンプル）.
    Example,
}

fn forms_for(items: &[Item], config: &PlanConfig, year: &str, fill: Fill) -> anyhow::Result<Vec<Form>> {
    let index = config
        .years
        .iter()
        .position(|y| y.code == year)
        .ok_or_else(|| anyhow::anyhow!("year {year} is not one of the plan's years ({})", config.year_codes().join(", ")))?;
    let codes = config.year_codes();
    let printed: Vec<&str> = match fill {
        Fill::Blank => codes[..index].iter().map(String::as_str).collect(),
        Fill::Example => codes[..=index].iter().map(String::as_str).collect(),
        Fill::Filled => codes.iter().map(String::as_str).collect(),
    };
    let open = OpenYear { index, label: config.years[index].era.clone(), grades: config.grades() };
    let mut forms = Vec::new();
    for department in &config.departments {
        let own: Vec<Item> = items
            .iter()
            .filter(|i| i.department == department.name)
            .map(|i| {
                let mut item = i.clone();
                item.results.retain(|y, _| printed.contains(&y.as_str()));
                item
            })
            .collect();
        if own.is_empty() {
            continue;
        }
        let title = format!("{}{} {}進捗報告（{}）", department.code, department.name, config.years[index].era, config.plan.name);
        let bytes = department_form(&own, config, &open, &title, fill == Fill::Example)?;
        forms.push(Form {
            department: department.name.clone(),
            file_name: format!("{}.xlsx", safe_file_name(&format!("{}_{}_{}進捗報告", department.code, department.name, year))),
            items: own.len(),
            bytes,
        });
    }
    Ok(forms)
}

fn department_form(items: &[Item], config: &PlanConfig, open: &OpenYear, title: &str, example: bool) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    book.set_properties(&properties(config, title)?);
    let f = Formats::new();
    let mark = Format::new().set_bold().set_font_color(rust_xlsxwriter::Color::RGB(0xC00000)).set_font_name("BIZ UDPゴシック");
    write_instructions(&mut book, config, open, title, &f)?;
    if example {
        book.worksheet_from_index(0)?.write_with_format(1, 1, EXAMPLE_MARK, &mark)?;
    }
    write_item_list(&mut book, items, &f)?;
    let eras = config_year_eras(config);
    for item in items {
        let sheet = book.add_worksheet();
        sheet.set_name(item.number.to_string())?;
        let mut view = ItemSheet::new(item, config);
        view.needs_review = false;
        let last_row = write_item_sheet(sheet, &view, &eras, &f, Some(open))?;
        if example {
            sheet.write_with_format(last_row + 1, 1, EXAMPLE_MARK, &mark)?;
        }
    }
    crate::xlsx::save(&mut book)
}

/// 記入要領: what to fill, how, and what not to touch.
fn write_instructions(book: &mut Workbook, config: &PlanConfig, open: &OpenYear, title: &str, f: &Formats) -> anyhow::Result<()> {
    let sheet = book.add_worksheet();
    sheet.set_name("記入要領")?;
    sheet.set_column_width(0, 4.0)?;
    sheet.set_column_width(1, 90.0)?;
    sheet.write_with_format(0, 1, title, &f.title)?;
    let text = Format::new().set_text_wrap().set_align(FormatAlign::Top).set_font_name("BIZ UDPゴシック").set_font_size(10);
    let grades: Vec<String> = open.grades.iter().map(|(g, m)| format!("{g}：{m}")).collect();
    let lines = [
        format!("この様式は{}の進捗報告用です。各個票シートの「{}実績」の列（黄色のセル）と、評価・課題・次年度に向けた改善点の{}の欄だけを記入してください。", config.plan.name, open.label, open.label),
        "プランの内容（取組項目名、年度計画、目標値など）は変更できないよう保護しています。内容を変えたい場合は、この様式ではなく担当課に連絡してください。保護はパスワードなしで解除できますが、プラン欄を書き換えても取り込まれません。".to_string(),
        "業務量削減実績値（時間）と財政効果実績額（千円）は数値で記入してください。削減・効果はプラス、増加・費用は△を付けます（例: 480、△120）。説明は課題欄に書いてください。".to_string(),
        format!("評価は次から選んでください（セルを選ぶと一覧が出ます）。{}", grades.join("　")),
        "年度目標実績値には、各年度目標に対する実績を文章または数値で記入してください。".to_string(),
        "シート名（項目番号）やシートの順番は変えないでください。ファイル名を変えても取り込めます。".to_string(),
        crate::config::submit_line(config),
    ];
    for (i, line) in lines.iter().enumerate() {
        let r = 2 + i as u32 * 2;
        sheet.write_with_format(r, 0, format!("{}.", i + 1), &text)?;
        sheet.write_with_format(r, 1, line.as_str(), &text)?;
        sheet.set_row_height(r, 30.0)?;
    }
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// 取組項目一覧: the department's items with their sheet names.
fn write_item_list(book: &mut Workbook, items: &[Item], f: &Formats) -> anyhow::Result<()> {
    let sheet = book.add_worksheet();
    sheet.set_name("取組項目一覧")?;
    let headers = [("項目番号", 9.0), ("取組項目名", 60.0), ("主たる所管部署", 24.0), ("大分類", 22.0), ("小分類", 18.0)];
    for (c, (h, w)) in headers.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &f.header)?;
        sheet.set_column_width(c as u16, *w)?;
    }
    for (i, item) in items.iter().enumerate() {
        let r = 1 + i as u32;
        sheet.write_number_with_format(r, 0, item.number as f64, &f.center)?;
        sheet.write_with_format(r, 1, &item.title, &f.wrap)?;
        sheet.write_with_format(r, 2, item.primary_sections.join("、"), &f.wrap)?;
        sheet.write_with_format(r, 3, &item.daibunrui, &f.cell)?;
        sheet.write_with_format(r, 4, &item.shobunrui, &f.cell)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    Ok(())
}
