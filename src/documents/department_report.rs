//! One department's page of the validation report, for those who print:
//! what was read, the counts, and each finding with its place and how to
//! fix it. Typeset by templates/department_report.typ.

use super::booklet::DocumentMeta;
use crate::config::PlanConfig;
use crate::findings::Finding;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DepartmentReportData {
    pub meta: DocumentMeta,
    pub department: String,
    pub files: Vec<String>,
    pub items: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// The marked workbook sent with it (差し戻し/…), when there is one.
    pub return_file: String,
    pub findings: Vec<FindingRow>,
    /// Findings left out of the PDF past `PDF_ROWS` (warnings and info
    /// only); the HTML page and the marked workbook have them all.
    pub omitted: usize,
}

/// Most findings one department's PDF lists: about 35 pages. A department
/// with thousands of findings (a prefecture's set) still gets every error
/// and a PDF that opens; the rest are in its HTML page and workbook.
pub const PDF_ROWS: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    /// error, warning or info (the template's colour).
    pub severity: &'static str,
    /// エラー, 警告, 情報.
    pub label: &'static str,
    pub code: String,
    pub file: String,
    /// `3 › C12`, or the sheet alone, or empty for the whole file.
    pub place: String,
    pub message: String,
    pub hint: String,
    /// The hint is the row above's: printed 同上, so a long list of one
    /// kind of finding takes less paper.
    pub same_hint: bool,
}

impl DepartmentReportData {
    pub fn new(config: &PlanConfig, department: &str, files: &[String], items: usize, all: &[&Finding], return_file: Option<&str>) -> DepartmentReportData {
        let count = |s| all.iter().filter(|f| f.severity == s).count();
        // Errors, then warnings, then info (each in the order given); every
        // error, and the others up to PDF_ROWS.
        let mut all = all.to_vec();
        all.sort_by_key(|f| f.severity);
        let errors = count(crate::findings::Severity::Error);
        let mut room = PDF_ROWS.saturating_sub(errors);
        let findings: Vec<&Finding> = all
            .iter()
            .filter(|f| {
                f.severity == crate::findings::Severity::Error || {
                    let keep = room > 0;
                    room = room.saturating_sub(1);
                    keep
                }
            })
            .copied()
            .collect();
        let omitted = all.len() - findings.len();
        let stage = if config.plan.stage.is_empty() { String::new() } else { format!("（{}）", config.plan.stage) };
        DepartmentReportData {
            meta: DocumentMeta::new(config, format!("{}{stage} 提出内容の確認結果 {department}", config.plan.name)),
            department: department.to_string(),
            files: files.to_vec(),
            items,
            errors: count(crate::findings::Severity::Error),
            warnings: count(crate::findings::Severity::Warning),
            infos: count(crate::findings::Severity::Info),
            return_file: return_file.unwrap_or_default().to_string(),
            findings: findings
                .iter()
                .map(|f| FindingRow {
                    severity: f.severity.as_str(),
                    label: f.severity.label_ja(),
                    code: f.code.to_string(),
                    file: f.file.clone(),
                    place: match (&f.sheet, &f.cell) {
                        (Some(s), Some(c)) => format!("{s} › {c}"),
                        (Some(s), None) => s.clone(),
                        _ => String::new(),
                    },
                    message: f.message.clone(),
                    hint: f.hint.clone(),
                    same_hint: false,
                })
                .scan(String::new(), |previous, mut row| {
                    row.same_hint = !row.hint.is_empty() && row.hint == *previous;
                    previous.clone_from(&row.hint);
                    Some(row)
                })
                .collect(),
            omitted,
        }
    }
}
