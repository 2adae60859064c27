//! `gyokaku packet --meeting N`: a council meeting's materials — the 次第,
//! each 資料 stamped with its number, and all of them in one PDF.

use crate::commands::build::{ManifestEntry, sha256_hex, typeset_booklet};
use crate::config::PlanConfig;
use crate::documents::booklet::PriorityListData;
use crate::documents::progress_report::ProgressReportData;
use crate::documents::summary::SummaryData;
use crate::pipeline;
use crate::typeset::Typesetter;
use crate::typeset::fonts::FontSet;
use crate::typeset::templates::Templates;
use crate::write::{safe_file_name, write_atomic};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A meeting material as the 次第 lists it.
#[derive(Debug, Clone, Serialize)]
pub struct PacketMaterial {
    pub number: String,
    pub title: String,
    pub pages: usize,
}

#[derive(Debug, Clone, Serialize)]
struct PacketData<'a> {
    meta: crate::documents::booklet::DocumentMeta,
    meeting: &'a crate::config::Meeting,
    materials: Vec<PacketMaterial>,
}

/// `gyokaku packet --meeting N`: the meeting's 次第, each 資料 stamped with
/// its number on every page, and all of them in one PDF with a bookmark per
/// document, written to `OUT_DIR/第N回/`.
/// What `packet` wrote, and the text of each material's pages (where a
/// reader, or a test, finds the stamps).
pub struct PacketOutcome {
    pub files: Vec<ManifestEntry>,
    pub material_texts: Vec<Vec<String>>,
}

pub fn run(input_dir: &Path, meeting: u32, out_dir: &Path, templates: Option<&Path>, font_paths: &[PathBuf]) -> anyhow::Result<PacketOutcome> {
    use crate::documents::booklet::DocumentMeta;
    use crate::documents::comparison::ComparisonData;
    let config = PlanConfig::load_input(input_dir)?;
    let Some(meeting) = config.meetings.iter().find(|m| m.number == meeting) else {
        anyhow::bail!(
            "plan.toml: no [[meetings]] with number = {meeting} (meetings: {})",
            config.meetings.iter().map(|m| m.number.to_string()).collect::<Vec<_>>().join(", ")
        );
    };
    let run = pipeline::run(input_dir, &config)?;
    let typesetter = Typesetter::new(FontSet::load(font_paths)?, Templates::load(templates)?, &config.document_date())?;

    // Each material, stamped with its number.
    let made: Vec<anyhow::Result<(Vec<u8>, usize, Vec<String>)>> = meeting
        .materials
        .par_iter()
        .map(|m| {
            let mut stamped = config.clone();
            stamped.document.material_number = m.number.clone();
            let compiled = match m.document.as_str() {
                "summary" => typesetter.compile("summary.typ", &SummaryData::new(&run.items, &stamped)),
                "booklet" => typeset_booklet(&typesetter, &run.items, &stamped),
                "priority_list" => typesetter.compile("priority_list.typ", &PriorityListData::new(&run.items, &stamped)),
                "progress_report" => {
                    let sample = run.rounds.iter().any(|r| r.year == m.year && r.sample);
                    typesetter.compile("progress_report.typ", &ProgressReportData::new(&run.items, &stamped, &m.year, sample))
                }
                "comparison" => {
                    let old_dir = input_dir.join(&m.old);
                    let old_config = PlanConfig::load(&old_dir.join("plan.toml"))?;
                    let old = pipeline::run(&old_dir, &old_config)?;
                    let result = crate::compare::compare(&old.items, &run.items);
                    let data = ComparisonData::new(result, &stamped, &crate::documents::comparison::version_label(&old_config), &crate::documents::comparison::version_label(&stamped));
                    typesetter.compile("comparison.typ", &data)
                }
                "file" => {
                    let path = input_dir.join(&m.file);
                    let bytes = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                    let pages = hayro_syntax::Pdf::new(bytes.clone())
                        .map_err(|_| anyhow::anyhow!("{}: not a PDF that can be read", path.display()))?
                        .pages()
                        .len();
                    let data = serde_json::json!({ "meta": DocumentMeta::new(&stamped, m.title.clone()), "number": m.number, "pages": pages });
                    typesetter.compile_with_files("stamped.typ", &data, vec![("/supplied.pdf".into(), bytes)])
                }
                other => anyhow::bail!(
                    "plan.toml: meeting {} material {}: unknown document {other:?} (summary, booklet, priority_list, progress_report, comparison, file)",
                    meeting.number,
                    m.number
                ),
            }
            .map_err(|e| anyhow::anyhow!("{}: {e}", m.number))?;
            let pdf = if m.document == "file" {
                typesetter.pdf_embedding(&compiled.document, &format!("meeting-{}-{}", meeting.number, m.number))?
            } else {
                typesetter.pdf(&compiled.document, &format!("meeting-{}-{}", meeting.number, m.number))?
            };
            Ok((pdf, compiled.document.pages().len(), crate::typeset::page_texts(&compiled.document)))
        })
        .collect();
    let made: Vec<(Vec<u8>, usize, Vec<String>)> = made.into_iter().collect::<anyhow::Result<_>>()?;
    let materials: Vec<PacketMaterial> = meeting
        .materials
        .iter()
        .zip(&made)
        .map(|(m, (_, pages, _))| PacketMaterial { number: m.number.clone(), title: m.title.clone(), pages: *pages })
        .collect();

    let data = |title: String| PacketData { meta: DocumentMeta::new(&config, title), meeting, materials: materials.clone() };
    let agenda = typesetter.compile("agenda.typ", &data(format!("{} 次第", meeting.name))).map_err(|e| anyhow::anyhow!("{e}"))?;
    let agenda_pdf = typesetter.pdf(&agenda.document, &format!("meeting-{}-agenda", meeting.number))?;
    let files: Vec<(String, Vec<u8>)> = made.iter().enumerate().map(|(i, (pdf, _, _))| (format!("/materials/{}.pdf", i + 1), pdf.clone())).collect();
    let combined = typesetter
        .compile_with_files("packet.typ", &data(format!("{} 会議資料", meeting.name)), files)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let combined_pdf = typesetter.pdf_embedding(&combined.document, &format!("meeting-{}", meeting.number))?;

    let folder = format!("第{}回", meeting.number);
    let mut outputs: Vec<(&'static str, String, Vec<u8>, usize)> = vec![("agenda_pdf", "00_次第.pdf".into(), agenda_pdf, agenda.document.pages().len())];
    let mut material_texts = Vec::new();
    for (m, (pdf, pages, texts)) in meeting.materials.iter().zip(made) {
        material_texts.push(texts);
        outputs.push(("material_pdf", format!("{}.pdf", safe_file_name(&format!("{}_{}", m.number, m.title))), pdf, pages));
    }
    outputs.push(("packet_pdf", format!("{}.pdf", safe_file_name(&format!("第{}回_会議資料一式", meeting.number))), combined_pdf, combined.document.pages().len()));
    let mut entries = Vec::new();
    for (kind, name, bytes, pages) in outputs {
        let path = format!("{folder}/{name}");
        write_atomic(&out_dir.join(&path), &bytes)?;
        entries.push(ManifestEntry { kind, path, pages: Some(pages), sha256: sha256_hex(&bytes) });
    }
    Ok(PacketOutcome { files: entries, material_texts })
}
