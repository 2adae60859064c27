//! `forms --year`: the progress forms of a year's round, one workbook per
//! department.

use crate::config::PlanConfig;
use crate::pipeline;
use crate::progress::forms::department_forms;
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
