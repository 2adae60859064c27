//! `validate`: read and check every workbook, write the HTML report, the
//! 差し戻し一覧 workbook, each department's marked workbook (差し戻し/) and,
//! on request, the JSON of items and findings.

use crate::commands::build::read_override;
use crate::config::PlanConfig;
use crate::pipeline::{self, Run};
use crate::validation_report;
use crate::write::write_atomic;
use std::path::{Path, PathBuf};

pub struct ValidateOutcome {
    pub config: PlanConfig,
    pub run: Run,
    /// The files written, in order.
    pub written: Vec<PathBuf>,
}

pub fn run(input_dir: &Path, report_dir: &Path, json: Option<&Path>, templates: Option<&Path>) -> anyhow::Result<ValidateOutcome> {
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
    remove_stale_returns(report_dir, &keep)?;
    if let Some(json) = json {
        write_atomic(json, &validation_report::json::render(&run)?)?;
        written.push(json.to_path_buf());
    }
    Ok(ValidateOutcome { config, run, written })
}

/// Removes returns of an earlier run that this run did not write (a
/// department with nothing left to fix must not find an old list).
pub fn remove_stale_returns(report_dir: &Path, keep: &[String]) -> anyhow::Result<()> {
    let folder = report_dir.join(validation_report::returns::FOLDER);
    let Ok(entries) = std::fs::read_dir(&folder) else { return Ok(()) };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.ends_with("_差し戻し.xlsx");
        if ours && !keep.iter().any(|k| k.rsplit('/').next() == Some(name.as_str())) {
            std::fs::remove_file(entry.path()).map_err(|e| anyhow::anyhow!("{}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}
