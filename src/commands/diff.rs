//! `gyokaku diff`: the 新旧対照表 between two input folders, written as a
//! PDF and a workbook (the comparison itself is compare.rs).

use crate::engine::{ManifestEntry, sha256_hex};
use crate::config::PlanConfig;
use crate::pipeline;
use crate::typeset::Typesetter;
use crate::typeset::fonts::FontSet;
use crate::typeset::templates::Templates;
use crate::write::write_atomic;
use std::path::{Path, PathBuf};

/// What `gyokaku diff` wrote.
pub struct DiffOutcome {
    pub comparison: crate::compare::Comparison,
    pub files: Vec<ManifestEntry>,
}

/// `gyokaku diff OLD NEW`: the 新旧対照表 (PDF and xlsx) between two input
/// folders, written to `out_dir`. The new folder's plan.toml names it.
pub fn run(old_dir: &Path, new_dir: &Path, out_dir: &Path, templates: Option<&Path>, font_paths: &[PathBuf]) -> anyhow::Result<DiffOutcome> {
    use crate::documents::comparison::{self, ComparisonData};
    let old_config = PlanConfig::load_input(old_dir)?;
    let mut config = PlanConfig::load_input(new_dir)?;
    // On its own the 新旧対照表 is no meeting's 資料; a packet stamps it.
    config.document.material_number.clear();
    let (old, new) = rayon::join(|| pipeline::run(old_dir, &old_config), || pipeline::run(new_dir, &config));
    let (old, new) = (old?, new?);
    let result = crate::compare::compare(&old.items, &new.items);
    let data = ComparisonData::new(result.clone(), &config, &comparison::version_label(&old_config), &comparison::version_label(&config));
    let typesetter = Typesetter::new(FontSet::load(font_paths)?, Templates::load(templates)?, &config.document_date())?;
    let compiled = typesetter.compile("comparison.typ", &data).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pdf = typesetter.pdf(&compiled.document, "comparison")?;
    let xlsx = comparison::render(&data, &config)?;
    let mut files = Vec::new();
    for (kind, name, bytes, pages) in [
        ("comparison_pdf", "新旧対照表.pdf", pdf, Some(compiled.document.pages().len())),
        ("comparison_xlsx", "新旧対照表.xlsx", xlsx, None),
    ] {
        write_atomic(&out_dir.join(name), &bytes)?;
        files.push(ManifestEntry { kind, path: name.to_string(), pages, sha256: sha256_hex(&bytes) });
    }
    Ok(DiffOutcome { comparison: result, files })
}
