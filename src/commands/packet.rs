//! `gyokaku packet --meeting N`: a council meeting's materials — the 次第,
//! each 資料 stamped with its number, and all of them joined in one PDF.
//!
//! Two copies, as with `build`: the handout (`第N回/`), refused while
//! validation finds errors so that no page carries a 要確認 mark, and the
//! office copy (`--draft`, `第N回_確認用/`), made whatever the errors, with
//! 確認用 on every page. They live in folders of their own, so neither
//! ever replaces the other.

use crate::check::glyphs::glyph_findings;
use crate::engine::{ManifestEntry, sha256_hex, typeset_booklet};
use crate::config::PlanConfig;
use crate::documents::booklet::{DocumentMeta, PriorityListData, review_notice};
use crate::documents::progress_report::ProgressReportData;
use crate::documents::summary::SummaryData;
use crate::findings::Severity;
use crate::pipeline;
use crate::typeset::fonts::FontSet;
use crate::typeset::merge::{Part, merge};
use crate::typeset::templates::Templates;
use crate::typeset::{Typesetter, compact::compact};
use crate::write::{safe_file_name, write_atomic};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
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
    meta: DocumentMeta,
    meeting: &'a crate::config::Meeting,
    materials: Vec<PacketMaterial>,
}

/// What `packet` is asked for.
pub struct PacketOptions<'a> {
    /// Folder holding plan.toml (with `[[meetings]]`) and submissions/.
    pub input_dir: &'a Path,
    /// The meeting's number in plan.toml.
    pub meeting: u32,
    /// The materials go into a folder of the meeting's in here.
    pub out_dir: &'a Path,
    pub templates: Option<&'a Path>,
    pub font_paths: &'a [PathBuf],
    /// The office copy: made while errors remain, 確認用 on every page.
    pub draft: bool,
}

/// What `packet` wrote, and the text of each material's pages (where a
/// reader, or a test, finds the stamps).
pub struct PacketOutcome {
    pub files: Vec<ManifestEntry>,
    pub material_texts: Vec<Vec<String>>,
    /// Errors validation found (T301 included, as `build` counts them).
    pub errors: usize,
    /// The handout was refused because errors remain: nothing written.
    pub refused: bool,
    /// The folder (under the output folder) the files are in.
    pub folder: String,
    /// What the reader should know: a supplied PDF the join could not take.
    pub warnings: Vec<String>,
}

/// The folder of a meeting's handout, or of its office copy (`draft`).
pub fn folder_name(meeting: u32, draft: bool) -> String {
    if draft { format!("第{meeting}回_確認用") } else { format!("第{meeting}回") }
}

/// The notice every page of an office copy prints: the items still to fix
/// when some are marked 要確認, else the errors left, else 確認用 alone.
fn draft_notice(run: &pipeline::Run, errors: usize) -> String {
    match review_notice(&run.items) {
        notice if !notice.is_empty() => notice,
        _ if errors > 0 => format!("確認用：修正待ちの誤り {errors} 件（配布前に修正）"),
        _ => "確認用（配布前）".to_string(),
    }
}

/// One material as made: its PDF as a part for the join (not packed), its
/// page count, folios (empty: none printed), and each page's text.
struct Made {
    part: Vec<u8>,
    /// Tagged PDF/UA-1; a supplied PDF's pages are embedded, which Typst
    /// does not allow under PDF/UA.
    ua: bool,
    pages: usize,
    folios: Vec<String>,
    texts: Vec<String>,
}

/// `gyokaku packet --meeting N`: the meeting's 次第, each 資料 stamped with
/// its number on every page, and all of them joined in one PDF with a
/// bookmark per document, written to `OUT_DIR/第N回/` (the office copy:
/// `OUT_DIR/第N回_確認用/`).
pub fn run(options: &PacketOptions) -> anyhow::Result<PacketOutcome> {
    let input_dir = options.input_dir;
    let mut config = PlanConfig::load_input(input_dir)?;
    let Some(meeting) = config.meetings.iter().find(|m| m.number == options.meeting).cloned() else {
        anyhow::bail!(
            "plan.toml: no [[meetings]] with number = {} (meetings: {})",
            options.meeting,
            config.meetings.iter().map(|m| m.number.to_string()).collect::<Vec<_>>().join(", ")
        );
    };
    let mut run = pipeline::run(input_dir, &config)?;
    let fonts = FontSet::load(options.font_paths)?;
    run.findings.extend(glyph_findings(&run.items, &fonts));
    let errors = run.count(Severity::Error);
    let folder = folder_name(meeting.number, options.draft);
    if errors > 0 && !options.draft {
        return Ok(PacketOutcome { files: Vec::new(), material_texts: Vec::new(), errors, refused: true, folder, warnings: Vec::new() });
    }
    if options.draft {
        config.document.review = draft_notice(&run, errors);
    }
    let config = config;
    let typesetter = Typesetter::new(fonts, Templates::load(options.templates)?, &config.document_date())?;
    let ident = |what: &str| format!("meeting-{}-{what}", meeting.number);

    // Each material, stamped with its number.
    let made: Vec<anyhow::Result<Made>> = meeting
        .materials
        .par_iter()
        .map(|m| make_material(&typesetter, &config, &run, input_dir, &meeting, m, &ident(&m.number)))
        .collect();
    let made: Vec<Made> = made.into_iter().collect::<anyhow::Result<_>>()?;
    let materials: Vec<PacketMaterial> = meeting
        .materials
        .iter()
        .zip(&made)
        .map(|(m, made)| PacketMaterial { number: m.number.clone(), title: m.title.clone(), pages: made.pages })
        .collect();

    let data = |title: String| PacketData { meta: DocumentMeta::new(&config, title), meeting: &meeting, materials: materials.clone() };
    let agenda = typesetter.compile("agenda.typ", &data(format!("{} 次第", meeting.name))).map_err(|e| anyhow::anyhow!("{e}"))?;
    let agenda_pdf = typesetter.pdf(&agenda.document, &ident("agenda"))?;
    let (combined_pdf, combined_pages, warnings) = combine(&typesetter, &meeting, &made, &data(format!("{} 会議資料", meeting.name)), &ident("all"))?;

    let mut outputs: Vec<(&'static str, String, Vec<u8>, usize)> = vec![("agenda_pdf", "00_次第.pdf".into(), agenda_pdf, agenda.document.pages().len())];
    let mut material_texts = Vec::new();
    for (m, made) in meeting.materials.iter().zip(made) {
        material_texts.push(made.texts);
        outputs.push(("material_pdf", format!("{}.pdf", safe_file_name(&format!("{}_{}", m.number, m.title))), compact(made.part), made.pages));
    }
    outputs.push(("packet_pdf", format!("{}.pdf", safe_file_name(&format!("第{}回_会議資料一式", meeting.number))), combined_pdf, combined_pages));
    let mut entries = Vec::new();
    for (kind, name, bytes, pages) in outputs {
        let path = format!("{folder}/{name}");
        write_atomic(&options.out_dir.join(&path), &bytes)?;
        entries.push(ManifestEntry { kind, path, pages: Some(pages), sha256: sha256_hex(&bytes) });
    }
    Ok(PacketOutcome { files: entries, material_texts, errors, refused: false, folder, warnings })
}

/// One 資料, stamped with its number, as a part for the join.
fn make_material(
    typesetter: &Typesetter,
    config: &PlanConfig,
    run: &pipeline::Run,
    input_dir: &Path,
    meeting: &crate::config::Meeting,
    m: &crate::config::Material,
    ident: &str,
) -> anyhow::Result<Made> {
    use crate::documents::comparison::{ComparisonData, version_label};
    let mut stamped = config.clone();
    stamped.document.material_number = m.number.clone();
    let compiled = match m.document.as_str() {
        "summary" => typesetter.compile("summary.typ", &SummaryData::new(&run.items, &stamped)),
        "booklet" => typeset_booklet(typesetter, &run.items, &stamped),
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
            let data = ComparisonData::new(result, &stamped, &version_label(&old_config), &version_label(&stamped));
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
    let document = &compiled.document;
    let ua = m.document != "file";
    let part = if ua { typesetter.pdf_part(document, ident)? } else { typesetter.pdf_part_embedding(document, ident)? };
    // The booklet prints its folios (i, ii, …, then 項目番号): its page
    // labels, in its own PDF too.
    let folios = crate::typeset::folios(document);
    let folios = if folios.iter().all(|f| !f.is_empty()) { folios } else { Vec::new() };
    let part = if folios.is_empty() {
        part
    } else {
        merge(&[Part { pdf: part, nested: false, bookmark: None, folios: folios.clone() }], &HashMap::new(), &[])
            .map_err(|e| anyhow::anyhow!("{}: page labels: {e}", m.number))?
    };
    Ok(Made { part, ua, pages: document.pages().len(), folios, texts: crate::typeset::page_texts(document) })
}

/// The combined PDF: the 次第, then every material joined as it is (text,
/// tags, bookmarks and links kept), a bookmark per material with its own
/// bookmarks under it. Page labels: 次第, a material's own folios (the
/// booklet's i, ii, 1, 2 …), else `資料1 p.2`. Returns the packed bytes,
/// the page count and warnings.
///
/// A supplied PDF comes in as its stamped material (its pages embedded as
/// Typst embeds them). Should the join refuse that material, its place in
/// the combined PDF holds a page naming the separate file, and a warning
/// says so; a material the tool made is never left out (an error).
fn combine(typesetter: &Typesetter, meeting: &crate::config::Meeting, made: &[Made], data: &PacketData, ident: &str) -> anyhow::Result<(Vec<u8>, usize, Vec<String>)> {
    let mut warnings = Vec::new();
    let mut parts_made: Vec<Vec<u8>> = made.iter().map(|m| m.part.clone()).collect();
    let mut pages: Vec<usize> = made.iter().map(|m| m.pages).collect();
    let mut folios: Vec<Vec<String>> = made.iter().map(|m| m.folios.clone()).collect();
    loop {
        // Without PDF/UA when an embedded PDF comes in: Typst does not
        // allow one under it.
        let ua = made.iter().zip(&parts_made).all(|(m, p)| m.ua || p != &m.part);
        let agenda = typesetter.compile("agenda.typ", data).map_err(|e| anyhow::anyhow!("{e}"))?;
        let agenda_part = if ua { typesetter.pdf_part(&agenda.document, ident)? } else { typesetter.pdf_part_embedding(&agenda.document, ident)? };
        let mut parts = vec![Part { pdf: agenda_part, nested: false, bookmark: None, folios: vec!["次第".to_string(); agenda.document.pages().len()] }];
        for (k, (m, part)) in meeting.materials.iter().zip(&parts_made).enumerate() {
            let own = if folios[k].is_empty() { (1..=pages[k]).map(|p| format!("{} p.{p}", m.number)).collect() } else { folios[k].clone() };
            parts.push(Part { pdf: part.clone(), nested: false, bookmark: Some(format!("{}　{}", m.number, m.title)), folios: own });
        }
        let total = parts.iter().map(|p| p.folios.len()).sum();
        match merge(&parts, &HashMap::new(), &typesetter.fonts.fonts) {
            Ok(joined) => return Ok((compact(joined), total, warnings)),
            Err(e) => {
                // "part K: …": the agenda is part 1, material k part k + 2.
                let refused = e.strip_prefix("part ").and_then(|rest| rest.split(':').next()).and_then(|n| n.parse::<usize>().ok()).and_then(|n| n.checked_sub(2));
                let Some(k) = refused.filter(|&k| k < made.len() && meeting.materials[k].document == "file" && parts_made[k] == made[k].part) else {
                    anyhow::bail!("joining the materials of meeting {}: {e}", meeting.number);
                };
                let m = &meeting.materials[k];
                let file = format!("{}.pdf", safe_file_name(&format!("{}_{}", m.number, m.title)));
                warnings.push(format!("{}（{}）は一式のPDFにまとめられないため、別ファイル {file} を見るよう案内するページを入れました（{e}）", m.number, m.file));
                let notice = serde_json::json!({ "meta": data.meta, "number": m.number, "title": m.title, "file": file });
                let page = typesetter.compile("separate.typ", &notice).map_err(|e| anyhow::anyhow!("{e}"))?;
                parts_made[k] = typesetter.pdf_part(&page.document, &format!("{ident}-{}", m.number))?;
                pages[k] = page.document.pages().len();
                folios[k] = Vec::new();
            }
        }
    }
}
