//! What the tool adds to a department's workbook when it sends it back
//! (validation_report/annotate.rs), marked so that it can be told from the
//! department's own sheets, comments and colours after any spreadsheet
//! program has saved the workbook again:
//!
//! - the listing sheet (指摘一覧): named by the hidden defined name
//!   `_gyokaku_listing`, and recognisable by its header row if a program
//!   dropped the name;
//! - notes: each finding a paragraph starting `[エラー V207] `, `[警告 …] ` or
//!   `[情報 …] `, alone in a note or after the department's own text;
//! - cell colours: a conditional format whose formula is [`MARK_FORMULA`]
//!   (the cell's own format is never changed, so the department's fill
//!   stays under ours and comes back when ours is removed).
//!
//! Reading skips the listing sheet (no finding); the next return removes
//! all three before marking what is still wrong.

use crate::ingest::workbook::Grid;

/// Name of the listing sheet.
pub const LISTING_SHEET: &str = "指摘一覧";

/// The hidden defined name that points at the listing sheet.
pub const LISTING_NAME: &str = "_gyokaku_listing";

/// The listing's column headers (row 3), in the marked copy.
pub const LISTING_HEADER: [&str; 7] = ["No", "重要度", "コード", "シート", "セル（移動）", "内容", "修正方法"];

/// The same, in the workbook with the listing alone (no links).
pub const LISTING_ALONE_HEADER: [&str; 7] = ["No", "重要度", "コード", "シート", "セル", "内容", "修正方法"];

/// The formula of the tool's conditional formats: always true, and a
/// token no department writes.
pub const MARK_FORMULA: &str = "\"gyokaku:指摘\"<>\"\"";

/// The part of [`MARK_FORMULA`] looked for when removing marks (the rest
/// may be escaped differently by whatever saved the file).
pub const MARK_TOKEN: &str = "gyokaku:指摘";

/// Severity words a note paragraph of the tool starts with.
const SEVERITY_WORDS: [&str; 3] = ["エラー", "警告", "情報"];

/// True when `paragraph` is one the tool wrote in a note:
/// `[エラー V207] …` (a severity word, a space, a letter and three digits).
pub fn is_tool_paragraph(paragraph: &str) -> bool {
    let Some(rest) = paragraph.trim_start_matches(['\n', '\r']).strip_prefix('[') else { return false };
    let Some(rest) = SEVERITY_WORDS.iter().find_map(|w| rest.strip_prefix(w)) else { return false };
    let Some(code) = rest.strip_prefix(' ') else { return false };
    let bytes = code.as_bytes();
    bytes.len() >= 5 && bytes[0].is_ascii_uppercase() && bytes[1..4].iter().all(u8::is_ascii_digit) && bytes[4] == b']'
}

/// The sheet a defined name's formula points at: `'指摘一覧'!$A$1` →
/// 指摘一覧 (None for `#REF!`, the sheet deleted).
pub fn sheet_of_reference(formula: &str) -> Option<String> {
    let formula = formula.trim().trim_start_matches('=');
    let (sheet, _) = formula.rsplit_once('!')?;
    let sheet = match sheet.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        Some(quoted) => quoted.replace("''", "'"),
        None => sheet.to_string(),
    };
    (!sheet.is_empty() && !sheet.contains("#REF")).then_some(sheet)
}

/// `'指摘一覧'!$A$1`: the reference the defined name holds.
pub fn reference_to(sheet: &str) -> String {
    format!("'{}'!$A$1", sheet.replace('\'', "''"))
}

/// The header of the organisation's 課 list the listing carries to its
/// right (column I on, after an empty column H): names a department may
/// write as 主たる所管部署 or 関係部署.
pub const SECTIONS_TITLE: &str = "課の一覧（組織一覧のとおりに書いてください）";

/// Its columns' header, in the listing's header row.
pub const SECTIONS_HEADER: [&str; 2] = ["部", "課（所管部署・関係部署に書く名前）"];

/// True when `row` (the texts of row 3 from column A) is the listing's
/// header, with or without the 課 list's beside it.
pub fn is_listing_header(row: &[&str]) -> bool {
    let row: Vec<&str> = row.iter().map(|t| t.trim()).collect();
    let rest_ok = |rest: &[&str]| {
        let rest: Vec<&str> = rest.iter().copied().collect::<Vec<_>>();
        let trimmed = match rest.iter().rposition(|t| !t.is_empty()) {
            Some(last) => &rest[..=last],
            None => return true,
        };
        trimmed.len() == SECTIONS_HEADER.len() + 1 && trimmed[0].is_empty() && trimmed[1..] == SECTIONS_HEADER[..]
    };
    [LISTING_HEADER, LISTING_ALONE_HEADER].iter().any(|h| row.len() >= h.len() && row[..h.len()] == h[..] && rest_ok(&row[h.len()..]))
}

/// True when `grid` looks like the tool's listing even without its
/// defined name: named 指摘一覧 (or 指摘一覧 (2) …) with the listing's header
/// in row 3.
pub fn is_listing_grid(grid: &Grid) -> bool {
    grid.name.starts_with(LISTING_SHEET) && grid.rows.get(2).is_some_and(|row| is_listing_header(&row.iter().map(|c| c.text.as_str()).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_paragraphs_are_told_from_the_departments() {
        assert!(is_tool_paragraph("[エラー V207] 必須項目「大分類」が空欄です\n→ 記入してください"));
        assert!(is_tool_paragraph("\n[情報 R018] …"));
        assert!(!is_tool_paragraph("[メモ] 確認済み"));
        assert!(!is_tool_paragraph("田中:\n[エラー V207] の件は修正しました"));
        assert!(!is_tool_paragraph("[警告 V20] 短い"));
    }

    #[test]
    fn references_name_their_sheet() {
        assert_eq!(sheet_of_reference("'指摘一覧'!$A$1").as_deref(), Some("指摘一覧"));
        assert_eq!(sheet_of_reference("'部の''メモ'!$A$1").as_deref(), Some("部の'メモ"));
        assert_eq!(sheet_of_reference("Sheet1!$A$1").as_deref(), Some("Sheet1"));
        assert_eq!(sheet_of_reference("#REF!$A$1"), None);
        assert_eq!(sheet_of_reference(&reference_to("部の'メモ")).as_deref(), Some("部の'メモ"));
    }

    #[test]
    fn the_listing_header_is_recognised() {
        assert!(is_listing_header(&LISTING_HEADER));
        assert!(is_listing_header(&["No", "重要度", "コード", "シート", "セル", "内容", "修正方法", ""]));
        assert!(!is_listing_header(&["No", "重要度", "コード"]));
        let with_sections = ["No", "重要度", "コード", "シート", "セル", "内容", "修正方法", "", "部", "課（所管部署・関係部署に書く名前）"];
        assert!(is_listing_header(&with_sections));
        assert!(!is_listing_header(&["No", "重要度", "コード", "シート", "セル", "内容", "修正方法", "", "部のメモ"]));
    }
}
