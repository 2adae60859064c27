//! A department's sheet as a grid on its page, the cells with findings
//! marked, so the problem is seen where it is, as in the returned workbook.

use crate::config::PlanConfig;
use crate::findings::{Finding, Severity};
use crate::ingest::workbook::{a1, read_workbook_limited};
use serde::Serialize;
use std::path::Path;

/// Rows and columns shown at most: a 個票 fits well inside; a sheet past
/// them is cut, and the page says so.
const MAX_ROWS: usize = 120;
const MAX_COLUMNS: usize = 26;
/// Characters a cell shows before it is cut (its whole text is in the
/// cell's title).
const CELL_CHARS: usize = 60;

#[derive(Serialize)]
pub struct SheetView {
    pub name: String,
    /// Its place among the workbook's own sheets (ids of its cells).
    pub index: usize,
    /// An id for links to the sheet.
    pub anchor: String,
    pub columns: Vec<String>,
    pub rows: Vec<RowView>,
    pub cut: bool,
}

#[derive(Serialize)]
pub struct RowView {
    pub number: usize,
    pub cells: Vec<CellView>,
}

#[derive(Serialize)]
pub struct CellView {
    pub text: String,
    pub full: String,
    pub id: String,
    /// error, warning or info when a finding is on the cell.
    pub mark: &'static str,
}

pub fn anchor(sheet_index: usize, cell: &str) -> String {
    format!("s{sheet_index}-{cell}")
}

/// The sheets of `path` that have findings, in workbook order, each as a
/// grid with the cells of `findings` marked.
pub fn sheets(path: &Path, findings: &[&Finding], config: &PlanConfig) -> Vec<SheetView> {
    let (Some(workbook), _) = read_workbook_limited(path, "", &config.limits) else { return Vec::new() };
    let mut views = Vec::new();
    for (index, grid) in workbook.own_sheets().enumerate() {
        let on_sheet: Vec<&&Finding> = findings.iter().filter(|f| f.sheet.as_deref() == Some(grid.name.as_str())).collect();
        if on_sheet.is_empty() {
            continue;
        }
        let mark_of = |cell: &str| -> &'static str {
            let worst = on_sheet.iter().filter(|f| f.cell.as_deref() == Some(cell)).map(|f| f.severity).min();
            match worst {
                Some(Severity::Error) => "error",
                Some(Severity::Warning) => "warning",
                Some(Severity::Info) => "info",
                None => "",
            }
        };
        let used_rows = grid.rows.iter().rposition(|r| r.iter().any(|c| !c.text.trim().is_empty())).map_or(0, |r| r + 1);
        let used_columns = grid.width();
        // Findings beyond the used area (a blank required cell) are shown too.
        let (mut last_row, mut last_column) = (used_rows, used_columns);
        for f in &on_sheet {
            if let Some((row, column)) = f.cell.as_deref().and_then(parse_a1) {
                last_row = last_row.max(row + 1);
                last_column = last_column.max(column + 1);
            }
        }
        let rows_shown = last_row.min(MAX_ROWS);
        let columns_shown = last_column.min(MAX_COLUMNS);
        let rows = (0..rows_shown)
            .map(|r| RowView {
                number: r + 1,
                cells: (0..columns_shown)
                    .map(|c| {
                        let full = grid.text(r, c).to_string();
                        let reference = a1(r, c);
                        let text = if full.chars().count() > CELL_CHARS { full.chars().take(CELL_CHARS).collect::<String>() + "…" } else { full.clone() };
                        CellView { text, full, mark: mark_of(&reference), id: anchor(index, &reference) }
                    })
                    .collect(),
            })
            .collect();
        views.push(SheetView {
            name: grid.name.clone(),
            index,
            anchor: format!("sheet-{index}"),
            columns: (0..columns_shown).map(|c| a1(0, c).trim_end_matches('1').to_string()).collect(),
            rows,
            cut: last_row > MAX_ROWS || last_column > MAX_COLUMNS,
        });
    }
    views
}

/// `C12` → (row 11, column 2).
fn parse_a1(cell: &str) -> Option<(usize, usize)> {
    let letters: String = cell.chars().take_while(|c| c.is_ascii_uppercase()).collect();
    let digits = &cell[letters.len()..];
    if letters.is_empty() || letters.len() > 3 || digits.is_empty() {
        return None;
    }
    let column = letters.bytes().fold(0usize, |n, b| n * 26 + (b - b'A' + 1) as usize) - 1;
    let row: usize = digits.parse().ok()?;
    (row > 0).then_some((row - 1, column))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a1_references_read_back() {
        assert_eq!(super::parse_a1("C12"), Some((11, 2)));
        assert_eq!(super::parse_a1("AA1"), Some((0, 26)));
        assert_eq!(super::parse_a1("C0"), None);
        assert_eq!(super::parse_a1("12"), None);
    }
}
