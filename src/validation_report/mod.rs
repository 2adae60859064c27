//! Renderers of the validation result: terminal text, JSON, the HTML page a
//! clerk forwards to departments, and the 差し戻し一覧 workbook. They read the
//! run; only the returns (each department's own workbook sent back marked)
//! read an input, and never write it.

pub mod annotate;
pub mod html;
pub mod json;
pub mod returns;
pub mod terminal;
pub mod xlsx;

use crate::config::PlanConfig;
use crate::findings::{Finding, Severity};
use crate::pipeline::Run;
use serde::Serialize;

/// Findings of one department, with its counts, for the reports.
#[derive(Debug, Serialize)]
pub struct DepartmentFindings<'a> {
    /// 部 name, or 事務局・全体 for findings no department can fix
    /// (plan.toml's organisation table, decisions.toml, unreadable files).
    pub department: String,
    pub files: Vec<String>,
    pub items: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub findings: Vec<&'a Finding>,
    /// The department's own files in the report folder (差し戻し/…), empty
    /// when it has none: its page (HTML, PDF) and its marked workbook.
    pub page_html: String,
    pub page_pdf: String,
    pub return_xlsx: String,
}

/// Groups findings by department in the organisation master's order, each
/// department's errors first, then warnings, then info; the departments
/// with nothing to fix are listed too, so a clerk sees who is clean.
pub fn by_department<'a>(run: &'a Run, config: &PlanConfig) -> Vec<DepartmentFindings<'a>> {
    let mut names: Vec<String> = config.departments.iter().map(|d| d.name.clone()).collect();
    for f in &run.findings {
        if !names.contains(&f.department) {
            names.push(f.department.clone());
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            // Errors first, then warnings, then info; each kind in the
            // run's order (file, sheet, cell).
            let mut findings: Vec<&Finding> = run.findings.iter().filter(|f| f.department == name).collect();
            findings.sort_by_key(|f| f.severity);
            let files: Vec<String> =
                run.files.iter().filter(|s| s.department == name).map(|s| s.file.clone()).collect();
            let items = run.items.iter().filter(|i| i.department == name).count();
            if findings.is_empty() && files.is_empty() {
                return None;
            }
            let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
            let prefix = returns::department_prefix(config, &name);
            let path = |suffix: &str| prefix.as_ref().map(|p| format!("{}/{p}_{suffix}", returns::FOLDER)).unwrap_or_default();
            let return_xlsx = if findings.is_empty() { String::new() } else { path("差し戻し.xlsx") };
            Some(DepartmentFindings {
                page_html: path("確認結果.html"),
                page_pdf: path("確認結果.pdf"),
                return_xlsx,
                department: if name.is_empty() { "事務局・全体（plan.toml など）".to_string() } else { name },
                files,
                items,
                errors: count(Severity::Error),
                warnings: count(Severity::Warning),
                infos: count(Severity::Info),
                findings,
            })
        })
        .collect()
}

/// A city's own version of a non-Typst template, when it has one.
pub fn read_override(dir: Option<&std::path::Path>, name: &str) -> anyhow::Result<Option<String>> {
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join(name);
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?))
}
