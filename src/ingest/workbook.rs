//! Opening a workbook file (.xlsx, .xls, .ods) into plain grids of cells.
//! The only module that talks to calamine; it never fails loudly: a file that
//! cannot be read becomes one finding and the run goes on.

use crate::findings::{Code, Finding};
use calamine::{Data, Reader, SheetVisible, open_workbook_auto};
use std::path::Path;

/// Workbook formats the reader understands.
pub const WORKBOOK_EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

/// Excel's limit on the characters of one cell.
pub const EXCEL_CELL_LIMIT: usize = 32_767;

/// One cell's content, already turned into text a person would read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    /// Text as displayed (numbers without a trailing ".0").
    pub text: String,
    /// Set when the cell holds a number (not text that looks like one).
    pub number: Option<f64>,
}

/// A sheet as a dense grid with absolute coordinates (row 0 = Excel row 1).
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub name: String,
    pub hidden: bool,
    /// rows[r][c]; missing cells are empty.
    pub rows: Vec<Vec<Cell>>,
}

impl Grid {
    pub fn cell(&self, row: usize, col: usize) -> Option<&Cell> {
        self.rows.get(row).and_then(|r| r.get(col))
    }

    pub fn text(&self, row: usize, col: usize) -> &str {
        self.cell(row, col).map(|c| c.text.as_str()).unwrap_or("")
    }

    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|r| r.iter().all(|c| c.text.trim().is_empty()))
    }
}

/// All sheets of one workbook, in workbook order.
#[derive(Debug, Default)]
pub struct Workbook {
    pub sheets: Vec<Grid>,
}

/// `(0, 2)` → `C1`.
pub fn a1(row: usize, col: usize) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8(letters).unwrap_or_default(), row + 1)
}

/// Formats a number as Excel shows it by default: no ".0" on whole numbers.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// OLE compound files start with this; an .xlsx in one is encrypted.
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Reads every sheet of `path`. `display` names the file in findings.
/// Returns what could be read plus findings; `None` when nothing could.
pub fn read_workbook(path: &Path, display: &str) -> (Option<Workbook>, Vec<Finding>) {
    let mut findings = Vec::new();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let head = read_head(path);
    if head.is_empty() {
        findings.push(Finding::new(
            Code::Unreadable,
            display,
            "ファイルが空です（0バイト）",
            "保存し直したファイルを再提出してください",
        ));
        return (None, findings);
    }
    if (ext == "xlsx" || ext == "xlsm") && head.starts_with(&CFB_MAGIC) {
        findings.push(Finding::new(
            Code::PasswordProtected,
            display,
            "パスワードで保護（暗号化）されたブックのため読み込めません",
            "パスワードを解除して保存し直し、再提出してください",
        ));
        return (None, findings);
    }
    let mut book = match open_workbook_auto(path) {
        Ok(book) => book,
        Err(e) => {
            findings.push(unreadable(display, &e.to_string()));
            return (None, findings);
        }
    };
    let metadata = book.sheets_metadata().to_vec();
    let mut workbook = Workbook::default();
    for sheet in metadata {
        let range = match book.worksheet_range(&sheet.name) {
            Ok(range) => range,
            Err(e) => {
                // Chart sheets and macro sheets have no cells; anything else is worth saying.
                if matches!(sheet.typ, calamine::SheetType::WorkSheet) {
                    findings.push(
                        Finding::new(
                            Code::Unreadable,
                            display,
                            format!("シートを読み込めません: {e}"),
                            "シートを新しいブックにコピーして保存し直してください",
                        )
                        .at(&sheet.name, None),
                    );
                }
                continue;
            }
        };
        let mut grid = Grid {
            name: sheet.name.clone(),
            hidden: !matches!(sheet.visible, SheetVisible::Visible),
            rows: Vec::new(),
        };
        if let Some((r0, c0)) = range.start() {
            let (r0, c0) = (r0 as usize, c0 as usize);
            grid.rows = vec![Vec::new(); r0 + range.height()];
            for (dr, row) in range.rows().enumerate() {
                let target = &mut grid.rows[r0 + dr];
                target.resize(c0 + row.len(), Cell::default());
                for (dc, data) in row.iter().enumerate() {
                    let (r, c) = (r0 + dr, c0 + dc);
                    target[c] = convert(data, display, &sheet.name, r, c, &mut findings);
                }
            }
        }
        workbook.sheets.push(grid);
    }
    if password_error(&findings) {
        return (None, findings);
    }
    (Some(workbook), findings)
}

fn password_error(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.code == Code::PasswordProtected.id())
}

fn unreadable(display: &str, error: &str) -> Finding {
    if error.to_ascii_lowercase().contains("password") {
        return Finding::new(
            Code::PasswordProtected,
            display,
            "パスワードで保護されたブックのため読み込めません",
            "パスワードを解除して保存し直し、再提出してください",
        );
    }
    Finding::new(
        Code::Unreadable,
        display,
        format!("ブックとして読み込めません（破損または形式違い）: {error}"),
        "Excelで開けるか確認し、.xlsx 形式で保存し直して再提出してください",
    )
}

fn read_head(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut buf = [0u8; 8];
    match std::fs::File::open(path).and_then(|mut f| f.read(&mut buf)) {
        Ok(n) => buf[..n].to_vec(),
        Err(_) => Vec::new(),
    }
}

fn convert(data: &Data, file: &str, sheet: &str, row: usize, col: usize, findings: &mut Vec<Finding>) -> Cell {
    match data {
        Data::Empty => Cell::default(),
        Data::String(s) => {
            let chars = s.chars().count();
            if chars > EXCEL_CELL_LIMIT {
                findings.push(
                    Finding::new(
                        Code::CellTooLong,
                        file,
                        format!(
                            "セルの文字数が{chars}字あり、Excelの上限（{EXCEL_CELL_LIMIT}字）を超えています（内容はすべて読み込みました）"
                        ),
                        "内容を要約するか、別紙に分けてください",
                    )
                    .at(sheet, Some(&a1(row, col))),
                );
            }
            Cell { text: s.clone(), number: None }
        }
        Data::Float(f) => Cell { text: number_text(*f), number: Some(*f) },
        Data::Int(i) => Cell { text: i.to_string(), number: Some(*i as f64) },
        Data::Bool(b) => Cell { text: if *b { "TRUE".into() } else { "FALSE".into() }, number: None },
        // Dates are not expected in a 個票; keep Excel's serial so nothing is lost.
        Data::DateTime(dt) => Cell { text: number_text(dt.as_f64()), number: None },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell { text: s.clone(), number: None },
        Data::Error(e) => {
            findings.push(
                Finding::new(
                    Code::FormulaError,
                    file,
                    format!("数式がエラー値（{e}）になっています"),
                    "数式を確認して正しい値にするか、値を直接入力してください",
                )
                .at(sheet, Some(&a1(row, col))),
            );
            Cell { text: String::new(), number: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_references() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(11, 2), "C12");
        assert_eq!(a1(0, 25), "Z1");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(9, 27), "AB10");
    }

    #[test]
    fn numbers_print_like_excel() {
        assert_eq!(number_text(1920.0), "1920");
        assert_eq!(number_text(-0.5), "-0.5");
    }
}
