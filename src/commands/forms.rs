//! `forms`: the workbooks departments fill, one per department — the
//! progress forms of a year's round (`--year`) or the 素案 proposal forms
//! (`--proposal`), optionally prefilled with the items the previous plan's
//! 最終評価 carries (`--proposal --carry-from`).

use crate::config::PlanConfig;
use crate::pipeline;
use crate::progress::forms::department_forms;
use crate::documents::ItemSheet;
use crate::documents::final_evaluation::FinalEvaluationData;
use crate::documents::items_xlsx::config_year_eras;
use crate::proposal::forms::{Carry, carry_forms, proposal_forms};
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

/// What `forms --proposal --carry-from` wrote: each file with its sheets
/// and how many of them are carried items.
pub struct CarryOutcome {
    pub files: Vec<(PathBuf, usize, usize)>,
    /// Carried items of a department the new plan.toml does not have.
    pub left_out: Vec<String>,
}

/// Writes the new plan's proposal forms (plan.toml of `input_dir`) with
/// the items the 最終評価 of the plan in `carry_from` proposes to carry,
/// prefilled. Refuses, as `report --final` does, without the last year's
/// round in `carry_from`.
pub fn run_carry(carry_from: &Path, input_dir: &Path, out_dir: &Path) -> anyhow::Result<CarryOutcome> {
    let earlier = PlanConfig::load_input(carry_from)?;
    let run = pipeline::run(carry_from, &earlier)?;
    crate::commands::report::require_last_round(&run, &earlier, carry_from)?;
    let evaluation = FinalEvaluationData::new(&run.items, &earlier, false);
    let config = PlanConfig::load_input(input_dir)?;
    let eras = config_year_eras(&earlier);
    let carried: Vec<Carry> = evaluation
        .carried
        .iter()
        .filter_map(|line| {
            let item = run.items.iter().find(|i| i.number == line.number)?;
            Some(Carry { item, history: ItemSheet::new(item, &earlier), eras: eras.clone(), reasons: line.carry_reasons.clone() })
        })
        .collect();
    let left_out = carried
        .iter()
        .filter(|c| !config.departments.iter().any(|d| d.name == c.item.department))
        .map(|c| format!("{} {}（{}）", c.item.number, c.item.title, c.item.department))
        .collect();
    let mut files = Vec::new();
    for form in carry_forms(&carried, &config)? {
        let path = out_dir.join(&form.file_name);
        write_atomic(&path, &form.bytes)?;
        files.push((path, form.sheets, form.carried));
    }
    Ok(CarryOutcome { files, left_out })
}
