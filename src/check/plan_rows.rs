//! The 年度計画 rows checked like the rest of the sheet: a row with years but
//! no task label, a task label with nothing in any year, task labels left as
//! copied from a template or another item, and 一 / ー written as a dash.
//!
//! The rows are checked as read (with their cells), sheet by sheet as the
//! run reads them (`PlanRowChecks::add`); the rules across items of a
//! department run once every sheet is in (`PlanRowChecks::finish`).

use crate::findings::{Code, Finding};
use crate::ingest::reader::{CellText, Field, RawSheet};
use crate::text::{clean, label_key};
use std::collections::BTreeMap;

/// Fewest shared task labels for a 年度計画 to count as copied: one or two
/// labels such as 運用 or 予算化 are shared by chance.
pub const COPIED_MIN_ROWS: usize = 3;

/// Items named in a message before the rest are counted.
const NAMED: usize = 3;

/// Checks the 年度計画 rows of every sheet of a run: (sheet, file, 部).
pub fn check_plan_rows<'a>(sheets: impl Iterator<Item = (&'a RawSheet, &'a str, &'a str)>, findings: &mut Vec<Finding>) {
    let mut checks = PlanRowChecks::default();
    for (raw, file, department) in sheets {
        checks.add(raw, file, department);
    }
    checks.finish(findings);
}

/// One task row as read.
struct Row {
    label: String,
    label_cell: String,
    /// Nothing in any year.
    empty_years: bool,
    /// Something in 備考.
    has_note: bool,
}

/// One sheet's 年度計画.
struct Sheet {
    file: String,
    sheet: String,
    department: String,
    title: String,
    rows: Vec<Row>,
}

impl Sheet {
    fn labels(&self) -> Vec<String> {
        self.rows.iter().map(|r| label_key(&r.label)).collect()
    }

    /// Task rows with a label and nothing in any year or 備考.
    fn empty_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| !r.label.is_empty() && r.empty_years && !r.has_note)
    }

    fn name(&self) -> String {
        if self.title.is_empty() { format!("シート{}", self.sheet) } else { format!("「{}」", self.title) }
    }
}

/// Collects the sheets of a run and reports what is wrong with their
/// 年度計画 rows.
#[derive(Default)]
pub struct PlanRowChecks {
    sheets: Vec<Sheet>,
    findings: Vec<Finding>,
}

impl PlanRowChecks {
    /// Reads one sheet's rows; the findings of the sheet alone (a row
    /// without a label, 一 for a dash) are made here.
    pub fn add(&mut self, raw: &RawSheet, file: &str, department: &str) {
        let title = clean(&raw.text(Field::Title));
        let mut rows = Vec::new();
        for row in &raw.plan_rows {
            let label = clean(&row.label);
            let filled: Vec<(&String, &CellText)> = row.years.iter().filter(|(_, c)| !c.text.trim().is_empty()).collect();
            if label.is_empty() {
                if let Some((_, first)) = filled.first() {
                    let texts: Vec<String> = filled.iter().map(|(year, c)| format!("{year}「{}」", prefix(c.text.trim(), 20))).collect();
                    self.findings.push(
                        Finding::new(
                            Code::PlanRowUnlabelled,
                            file,
                            format!("年度計画の行に取組の見出しがありません（{}の{}）", title_or_sheet(&title, &raw.sheet), texts.join("、")),
                            "行の左端に何をする行か（検討・導入・運用など）を記入してください。上の行の続きなら、上の行の同じ年度の欄にまとめてください",
                        )
                        .at(&raw.sheet, Some(if row.label_cell.is_empty() { first.cell.as_str() } else { row.label_cell.as_str() })),
                    );
                }
            }
            for (year, cell) in &row.years {
                let text = cell.text.trim();
                if is_dash_lookalike(text) {
                    self.findings.push(
                        Finding::new(
                            Code::DashLookalike,
                            file,
                            format!(
                                "年度計画「{}」（{year}）の「{text}」は漢字・長音で、ダッシュ（—）ではありません",
                                if label.is_empty() { "見出しなし".to_string() } else { prefix(&label, 30) }
                            ),
                            "その年度に行うことがなければ「—」と記入するか空欄にしてください",
                        )
                        .at(&raw.sheet, Some(&cell.cell)),
                    );
                }
            }
            rows.push(Row { label, label_cell: row.label_cell.clone(), empty_years: filled.is_empty(), has_note: !row.remark.text.trim().is_empty() });
        }
        self.sheets.push(Sheet { file: file.to_string(), sheet: raw.sheet.clone(), department: department.to_string(), title, rows });
    }

    /// The rules across a department's items, then every finding.
    pub fn finish(mut self, findings: &mut Vec<Finding>) {
        // Sheets of one department sharing the same task labels (in order).
        let mut by_labels: BTreeMap<(&str, Vec<String>), Vec<usize>> = BTreeMap::new();
        for (i, sheet) in self.sheets.iter().enumerate() {
            let labels = sheet.labels();
            if sheet.department.is_empty() || labels.len() < COPIED_MIN_ROWS || labels.iter().any(String::is_empty) {
                continue;
            }
            by_labels.entry((sheet.department.as_str(), labels)).or_default().push(i);
        }
        let mut copied = vec![false; self.sheets.len()];
        for group in by_labels.values().filter(|g| g.len() > 1) {
            // A shared plan whose every row is filled is one plan for
            // several items (a system rolled out section by section): fine.
            if !group.iter().any(|&i| self.sheets[i].empty_rows().next().is_some()) {
                continue;
            }
            for &i in group {
                let sheet = &self.sheets[i];
                let empty: Vec<String> = sheet.empty_rows().map(|r| format!("「{}」", r.label)).collect();
                if empty.is_empty() {
                    continue;
                }
                copied[i] = true;
                let others: Vec<&Sheet> = group.iter().filter(|&&j| j != i).map(|&j| &self.sheets[j]).collect();
                let mut named: Vec<String> = others.iter().take(NAMED).map(|o| format!("シート{}{}", o.sheet, o.name())).collect();
                if others.len() > NAMED {
                    named.push(format!("ほか{}件", others.len() - NAMED));
                }
                let labels: Vec<&str> = sheet.rows.iter().map(|r| r.label.as_str()).collect();
                let first = sheet.rows.first().map(|r| r.label_cell.as_str());
                self.findings.push(
                    Finding::new(
                        Code::PlanRowsCopied,
                        &sheet.file,
                        format!(
                            "{}の年度計画の見出し（{}）が{}と同じで、{}はどの年度も空欄です。様式や他の個票から写したままではありませんか",
                            sheet.name(),
                            labels.join("、"),
                            named.join("、"),
                            empty.join("、")
                        ),
                        "この取組で行うことを見出しに書き、年度ごとの内容を記入してください。行わない行は削除してください",
                    )
                    .at(&sheet.sheet, first),
                );
            }
        }
        // A label with nothing in any year (the rows of a copied plan are
        // told once, above).
        for (i, sheet) in self.sheets.iter().enumerate() {
            if copied[i] {
                continue;
            }
            for row in sheet.empty_rows() {
                self.findings.push(
                    Finding::new(
                        Code::PlanRowEmpty,
                        &sheet.file,
                        format!("{}の年度計画「{}」がどの年度も空欄です", sheet.name(), row.label),
                        "その行で各年度に行うことを記入してください。行わない行なら削除し、計画期間の後に行うことなら備考にその旨を書いてください",
                    )
                    .at(&sheet.sheet, Some(&row.label_cell)),
                );
            }
        }
        findings.append(&mut self.findings);
    }
}

/// 一 (the kanji one) or ー (the long vowel mark) alone, where a dash was
/// meant: 一部 or モニター are words.
pub fn is_dash_lookalike(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| matches!(c, '一' | 'ー'))
}

fn title_or_sheet(title: &str, sheet: &str) -> String {
    if title.is_empty() { format!("シート{sheet}") } else { format!("「{}」", prefix(title, 30)) }
}

fn prefix(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if text.chars().count() > chars {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_lookalikes_are_the_characters_alone() {
        assert!(is_dash_lookalike("一"));
        assert!(is_dash_lookalike("ー"));
        assert!(!is_dash_lookalike("—"));
        assert!(!is_dash_lookalike("一部の交通機関で試行"));
        assert!(!is_dash_lookalike("モニター"));
        assert!(!is_dash_lookalike(""));
    }
}
