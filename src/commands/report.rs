//! `gyokaku report --final`: the plan period's 最終評価 (PDF and xlsx),
//! once the last plan year's round is in INPUT_DIR/progress/.

use crate::engine::{ManifestEntry, sha256_hex};
use crate::config::PlanConfig;
use crate::documents::final_evaluation::FinalEvaluationData;
use crate::documents::final_evaluation_xlsx;
use crate::pipeline::{self, Run};
use crate::typeset::Typesetter;
use crate::typeset::fonts::FontSet;
use crate::typeset::templates::Templates;
use crate::write::{safe_file_name, write_atomic};
use std::path::{Path, PathBuf};

/// What `gyokaku report --final` wrote.
pub struct ReportOutcome {
    pub run: Run,
    pub data: FinalEvaluationData,
    pub files: Vec<ManifestEntry>,
    pub warnings: Vec<String>,
}

/// Refuses, naming the missing folder, when the plan's last year has no
/// round in `input_dir`: the period is judged on its last year.
pub fn require_last_round(run: &Run, config: &PlanConfig, input_dir: &Path) -> anyhow::Result<()> {
    let last = config.years.last().map(|y| y.code.clone()).unwrap_or_default();
    if !run.rounds.iter().any(|r| r.year == last) {
        let read: Vec<&str> = run.rounds.iter().map(|r| r.year.as_str()).collect();
        anyhow::bail!(
            "最終評価には計画の最終年度 {last} の進捗報告が必要です。{} に入れてください（読んだ年度: {}）",
            input_dir.join("progress").join(&last).display(),
            if read.is_empty() { "なし".to_string() } else { read.join("、") }
        );
    }
    Ok(())
}

/// Writes the 最終評価 into `out_dir`. Refuses when the last plan year has
/// no round: an evaluation of the period needs its last year.
pub fn final_evaluation(input_dir: &Path, out_dir: &Path, templates: Option<&Path>, font_paths: &[PathBuf]) -> anyhow::Result<ReportOutcome> {
    let mut config = PlanConfig::load_input(input_dir)?;
    // On its own the evaluation is no meeting's 資料.
    config.document.material_number.clear();
    let run = pipeline::run(input_dir, &config)?;
    require_last_round(&run, &config, input_dir)?;
    let sample = run.rounds.iter().any(|r| r.sample);
    let data = FinalEvaluationData::new(&run.items, &config, sample);
    let typesetter = Typesetter::new(FontSet::load(font_paths)?, Templates::load(templates)?, &config.document_date())?;
    let compiled = typesetter.compile("final_evaluation.typ", &data).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pdf = typesetter.pdf_dated(&compiled.document, "final-evaluation", &data.date)?;
    let xlsx = final_evaluation_xlsx::render(&data, &config)?;
    let name = safe_file_name(&config.outputs.final_evaluation);
    let mut files = Vec::new();
    for (kind, file, bytes, pages) in [
        ("final_evaluation_pdf", format!("{name}.pdf"), pdf, Some(compiled.document.pages().len())),
        ("final_evaluation_xlsx", format!("{name}.xlsx"), xlsx, None),
    ] {
        write_atomic(&out_dir.join(&file), &bytes)?;
        files.push(ManifestEntry { kind, path: file, pages, sha256: sha256_hex(&bytes) });
    }
    Ok(ReportOutcome { run, data, files, warnings: compiled.warnings })
}
