//! `forms`: the workbooks departments fill, one per department — the
//! progress forms of a year's round (`--year`) or the 素案 proposal forms
//! (`--proposal`).

use crate::config::PlanConfig;
use crate::pipeline;
use crate::progress::forms::department_forms;
use crate::proposal::forms::proposal_forms;
use crate::write::write_atomic;
use std::path::{Path, PathBuf};

/// Writes the forms into `out_dir`; returns each file with its item count.
pub fn run(input_dir: &Path, year: &str, out_dir: &Path) -> anyhow::Result<Vec<(PathBuf, usize)>> {
    let config = PlanConfig::load_input(input_dir)?;
    let run = pipeline::run(input_dir, &config)?;
    let mut written = Vec::new();
    for form in department_forms(&run.items, &config, year)? {
        let path = out_dir.join(&form.file_name);
        write_atomic(&path, &form.bytes)?;
        written.push((path, form.items));
    }
    Ok(written)
}

/// Writes the proposal forms into `out_dir`; returns each file with its
/// number of blank 個票 sheets. The last round's submissions, when there
/// are any, size each department's form.
pub fn run_proposal(input_dir: &Path, out_dir: &Path) -> anyhow::Result<Vec<(PathBuf, usize)>> {
    let config = PlanConfig::load_input(input_dir)?;
    let items = if input_dir.join("submissions").is_dir() { pipeline::run(input_dir, &config)?.items } else { Vec::new() };
    let mut written = Vec::new();
    for form in proposal_forms(&items, &config)? {
        let path = out_dir.join(&form.file_name);
        write_atomic(&path, &form.bytes)?;
        written.push((path, form.sheets));
    }
    Ok(written)
}
