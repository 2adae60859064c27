//! What every workbook we write shares: fixed document properties, and
//! sizing: column widths that fit Japanese text and row heights for wrapped
//! cells (LibreOffice and Excel do not grow rows of merged wrapped cells, so
//! printed text would be clipped).

use crate::config::PlanConfig;
use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

/// Document properties with a fixed date, so the same inputs give the same
/// bytes (the default stamps the current time).
pub fn properties(config: &PlanConfig, title: &str) -> anyhow::Result<DocProperties> {
    let date = ExcelDateTime::parse_from_str(&config.document.date)
        .or_else(|_| ExcelDateTime::parse_from_str("2000-01-01"))?;
    Ok(DocProperties::new()
        .set_title(title)
        .set_author(&config.plan.city)
        .set_company(&config.plan.city)
        .set_creation_datetime(&date))
}

/// Excel's limit on the characters of one cell.
pub const CELL_LIMIT: usize = 32_767;

/// `text` as a cell can hold it: whole when it fits, else cut with a note
/// saying so (a department's 40,000-character 現状 is read whole and
/// printed whole in the booklet; a workbook cell cannot take it, and the
/// writer refuses the cell — the whole workbook would be lost).
pub fn cell_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= CELL_LIMIT || text.chars().count() <= CELL_LIMIT {
        return std::borrow::Cow::Borrowed(text);
    }
    const CUT: &str = "…（Excelの上限を超えるため以下省略。全文はプラン素案のPDFにあります）";
    let keep = CELL_LIMIT - CUT.chars().count();
    std::borrow::Cow::Owned(text.chars().take(keep).collect::<String>() + CUT)
}

/// A new workbook whose properties carry `date` (a round's date) instead of
/// the plan's document date, so it is dated like the PDF beside it.
pub fn dated_workbook(config: &PlanConfig, title: &str, date: &str) -> anyhow::Result<Workbook> {
    let mut dated = config.clone();
    dated.document.date = date.to_string();
    let mut book = Workbook::new();
    book.set_properties(&properties(&dated, title)?);
    Ok(book)
}

/// The workbook's bytes, every sheet printing its page number and count in
/// the footer (a printed sheet of many pages must say where it is).
pub fn save(book: &mut Workbook) -> anyhow::Result<Vec<u8>> {
    for sheet in book.worksheets_mut() {
        sheet.set_footer("&C&P / &N");
    }
    Ok(book.save_to_buffer()?)
}

/// Width of `text` in Excel column units: full-width characters count two,
/// the widest line counts.
pub fn text_width(text: &str) -> f64 {
    text.lines()
        .map(|line| line.chars().map(|c| if c.is_ascii() || is_half_width_kana(c) { 1.1 } else { 1.8 }).sum::<f64>())
        .fold(0.0, f64::max)
}

fn is_half_width_kana(c: char) -> bool {
    ('\u{FF61}'..='\u{FF9F}').contains(&c)
}

/// A column width fitting the widest of `texts`, clamped to [min, max].
pub fn fit_width<'a>(texts: impl IntoIterator<Item = &'a str>, min: f64, max: f64) -> f64 {
    let widest = texts.into_iter().map(text_width).fold(0.0, f64::max) + 1.5;
    widest.clamp(min, max)
}

/// Lines `text` takes in a column `width` units wide.
pub fn line_count(text: &str, width: f64) -> u32 {
    let usable = (width - 1.0).max(2.0);
    text.lines()
        .map(|line| {
            let w = text_width(line);
            (w / usable).ceil().max(1.0) as u32
        })
        .sum::<u32>()
        .max(1)
}

/// Row height in points for a row whose cells hold `cells` (text, width).
pub fn row_height<'a>(cells: impl IntoIterator<Item = (&'a str, f64)>) -> f64 {
    let lines = cells.into_iter().map(|(text, width)| line_count(text, width)).max().unwrap_or(1);
    (lines as f64 * 13.5 + 4.0).max(18.0)
}

/// Formats shared by the generated workbooks.
pub struct Formats {
    pub title: Format,
    pub header: Format,
    pub label: Format,
    pub cell: Format,
    pub wrap: Format,
    pub center: Format,
    pub number: Format,
    pub decimal: Format,
    pub review: Format,
    pub link: Format,
    /// A cell a department fills in a progress form: unlocked, tinted.
    pub open: Format,
}

/// 1,920 and △480: the 千円 / hours convention.
pub const NUMBER_FORMAT: &str = "#,##0;\"△\"#,##0;0";
pub const DECIMAL_FORMAT: &str = "#,##0.0#;\"△\"#,##0.0#;0";

impl Formats {
    pub fn new() -> Formats {
        let base = Format::new()
            .set_font_name("BIZ UDPゴシック")
            .set_font_size(10)
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        Formats {
            title: Format::new().set_font_name("BIZ UDPゴシック").set_font_size(14).set_bold(),
            header: base.clone().set_bold().set_background_color(Color::RGB(0xD9D9D9)).set_align(FormatAlign::Center).set_text_wrap(),
            label: base.clone().set_background_color(Color::RGB(0xEDEDED)).set_text_wrap(),
            cell: base.clone(),
            wrap: base.clone().set_text_wrap().set_align(FormatAlign::Top),
            center: base.clone().set_align(FormatAlign::Center),
            number: base.clone().set_num_format(NUMBER_FORMAT),
            decimal: base.clone().set_num_format(DECIMAL_FORMAT),
            review: base.clone().set_font_color(Color::RGB(0xC00000)).set_bold().set_align(FormatAlign::Center),
            open: base.clone().set_unlocked().set_background_color(Color::RGB(0xFFF8D6)).set_text_wrap().set_align(FormatAlign::Top),
            link: base.set_font_color(Color::RGB(0x1A4F8B)).set_underline(rust_xlsxwriter::FormatUnderline::Single).set_text_wrap(),
        }
    }

    /// The number format for `value`: whole numbers without decimals.
    pub fn for_number(&self, value: f64) -> &Format {
        if value.fract() == 0.0 { &self.number } else { &self.decimal }
    }
}

impl Default for Formats {
    fn default() -> Self {
        Formats::new()
    }
}
