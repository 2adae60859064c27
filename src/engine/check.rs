//! Validation without the documents (`gyokaku validate`): read and check every workbook, write the HTML report, the
//! 差し戻し一覧 workbook, each department's marked workbook and its page of
//! the report as HTML and PDF (差し戻し/) and, on request, the JSON of items
//! and findings.

use crate::config::PlanConfig;
use crate::pipeline::{self, Run};
use crate::validation_report::{self, read_override};
use crate::documents::department_report::DepartmentReportData;
use crate::typeset::Typesetter;
use crate::typeset::fonts::FontSet;
use crate::typeset::templates::Templates;
use crate::write::write_atomic;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub struct ValidateOutcome {
    pub config: PlanConfig,
    pub run: Run,
    /// The files written, in order.
    pub written: Vec<PathBuf>,
}

pub fn validate(input_dir: &Path, report_dir: &Path, json: Option<&Path>, templates: Option<&Path>) -> anyhow::Result<ValidateOutcome> {
    let config = PlanConfig::load_input(input_dir)?;
    let run = pipeline::run(input_dir, &config)?;
    let mut written = Vec::new();

    let template = read_override(templates, "validation.html")?;
    let html = validation_report::html::render(&run, &config, template.as_deref())?;
    let html_path = report_dir.join("validation.html");
    write_atomic(&html_path, html.as_bytes())?;
    written.push(html_path);
    let xlsx_path = report_dir.join("差し戻し一覧.xlsx");
    write_atomic(&xlsx_path, &validation_report::xlsx::render(&run, &config)?)?;
    written.push(xlsx_path);
    let returns = validation_report::returns::render(&run, &config, input_dir)?;
    let keep: Vec<String> = returns.iter().map(|r| r.path.clone()).collect();
    for r in &returns {
        let path = report_dir.join(&r.path);
        write_atomic(&path, &r.bytes)?;
        written.push(path);
    }
    // Each department's page, HTML and PDF, beside its marked workbook.
    let fonts = FontSet::load(&[])?;
    let typesetter = Typesetter::new(fonts, Templates::load(templates)?, &config.document_date())?;
    let mut keep = keep;
    let mut write_page = |page: DepartmentPage| -> anyhow::Result<()> {
        let path = report_dir.join(&page.path);
        write_atomic(&path, &page.bytes)?;
        written.push(path);
        keep.push(page.path);
        Ok(())
    };
    for page in department_html(&run, &config, template.as_deref())? {
        write_page(page)?;
    }
    // A few PDFs at a time, each written once made, and Typst's memo of
    // the ones before emptied: memory stays that of a few departments'
    // pages however many departments there are.
    let pdfs = department_pdf_data(&run, &config);
    for chunk in pdfs.chunks(rayon::current_num_threads().max(1)) {
        let pages: Vec<Result<DepartmentPage, String>> = chunk.par_iter().map(|(path, data)| department_pdf(&typesetter, path, data)).collect();
        for page in pages {
            write_page(page.map_err(|e| anyhow::anyhow!(e))?)?;
        }
        comemo::evict(2);
    }
    remove_stale_returns(report_dir, &keep)?;
    if let Some(json) = json {
        write_atomic(json, &validation_report::json::render(&run)?)?;
        written.push(json.to_path_buf());
    }
    Ok(ValidateOutcome { config, run, written })
}

/// A department's page of the report, ready to write.
pub struct DepartmentPage {
    /// department_html or department_pdf (manifest kinds).
    pub kind: &'static str,
    /// Relative to the report folder.
    pub path: String,
    pub bytes: Vec<u8>,
    pub pages: Option<usize>,
}

/// Every department's page as HTML, from the report's template.
pub fn department_html(run: &Run, config: &PlanConfig, template: Option<&str>) -> anyhow::Result<Vec<DepartmentPage>> {
    let mut pages = Vec::new();
    for group in &validation_report::by_department(run, config) {
        if let Some(html) = validation_report::html::render_department(group, config, template)? {
            pages.push(DepartmentPage { kind: "department_html", path: group.page_html.clone(), bytes: html.into_bytes(), pages: None });
        }
    }
    Ok(pages)
}

/// Each department's page as a PDF: its path (差し戻し/…) and the data it prints.
pub fn department_pdf_data(run: &Run, config: &PlanConfig) -> Vec<(String, DepartmentReportData)> {
    validation_report::by_department(run, config)
        .iter()
        .filter(|g| !g.page_pdf.is_empty())
        .map(|g| {
            let return_file = g.return_xlsx.rsplit('/').next().filter(|n| !n.is_empty());
            (g.page_pdf.clone(), DepartmentReportData::new(config, &g.department, &g.files, g.items, &g.findings, return_file))
        })
        .collect()
}

/// Typesets one department's page (`path` as `department_pdf_data` gives it).
pub fn department_pdf(typesetter: &Typesetter, path: &str, data: &DepartmentReportData) -> Result<DepartmentPage, String> {
    let compiled = typesetter.compile("department_report.typ", data).map_err(|e| format!("{path}: {e}"))?;
    let bytes = typesetter.pdf(&compiled.document, &format!("department-{path}")).map_err(|e| format!("{path}: {e}"))?;
    Ok(DepartmentPage { kind: "department_pdf", path: path.to_string(), bytes, pages: Some(compiled.document.pages().len()) })
}

/// Removes files of an earlier run in 差し戻し/ that this run did not write
/// (a department with nothing left to fix must not find an old list).
pub fn remove_stale_returns(report_dir: &Path, keep: &[String]) -> anyhow::Result<()> {
    let folder = report_dir.join(validation_report::returns::FOLDER);
    let Ok(entries) = std::fs::read_dir(&folder) else { return Ok(()) };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = ["_差し戻し.xlsx", "_確認結果.html", "_確認結果.pdf"].iter().any(|s| name.ends_with(s));
        if ours && !keep.iter().any(|k| k.rsplit('/').next() == Some(name.as_str())) {
            std::fs::remove_file(entry.path()).map_err(|e| anyhow::anyhow!("{}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}
