//! `gyokaku build`: validate, then write every council document and a
//! manifest. Documents are typeset in parallel; each file is written
//! atomically, and a document that fails does not stop the others.

use crate::config::PlanConfig;
use crate::documents::booklet::{BookletData, ItemSheetsData, PriorityListData, booklet_title};
use crate::documents::progress_report::ProgressReportData;
use crate::documents::summary::SummaryData;
use crate::documents::{items_xlsx, priority_xlsx, progress_report_xlsx};
use crate::findings::{Code, Finding, Severity, sort_findings};
use crate::model::Item;
use crate::pipeline::{self, Run};
use crate::validation_report;
use crate::typeset::fonts::FontSet;
use crate::typeset::templates::Templates;
use crate::typeset::{Compiled, TemplateError, Typesetter};
use crate::write::{safe_file_name, write_set};
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub struct BuildOptions {
    /// Folder holding plan.toml and submissions/.
    pub input_dir: PathBuf,
    /// Where documents and manifest.json go.
    pub out_dir: PathBuf,
    /// A city's template overrides.
    pub templates: Option<PathBuf>,
    /// Extra font files or folders.
    pub font_paths: Vec<PathBuf>,
    /// `--final`: the handout. Refuse to build documents while validation
    /// finds errors, so none carries a 要確認 mark or the 確認用 notice.
    pub handout: bool,
}

/// One file `build` wrote, as manifest.json lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestEntry {
    pub kind: &'static str,
    /// Relative to the output folder.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<usize>,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub plan: String,
    pub document_date: String,
    pub items: usize,
    pub errors: usize,
    pub warnings: usize,
    pub files: Vec<ManifestEntry>,
}

/// What a build did.
pub struct Outcome {
    pub run: Run,
    pub config: PlanConfig,
    /// Files written, in manifest order (manifest.json itself last).
    pub files: Vec<ManifestEntry>,
    /// Documents that could not be made, with the reason.
    pub failures: Vec<String>,
    /// Template warnings (a city's override using a font it lacks, …).
    pub warnings: Vec<String>,
    /// True when `--final` refused to build because of errors.
    pub refused: bool,
}

/// A finished document before it is written.
struct Output {
    kind: &'static str,
    file_name: String,
    bytes: Vec<u8>,
    pages: Option<usize>,
}

pub fn build(options: &BuildOptions, progress: &ProgressBar) -> anyhow::Result<Outcome> {
    let config = PlanConfig::load_input(&options.input_dir)?;
    progress.set_message("reading workbooks");
    // Fonts and templates load while the workbooks are read.
    let (typesetter, run) = rayon::join(
        || -> anyhow::Result<Typesetter> {
            let fonts = FontSet::load(&options.font_paths)?;
            let templates = Templates::load(options.templates.as_deref())?;
            Typesetter::new(fonts, templates, &config.document_date())
        },
        || pipeline::run(&options.input_dir, &config),
    );
    let typesetter = typesetter?;
    let mut run = run?;
    progress.set_length(progress_steps(run.items.len(), run.rounds.len()));
    progress.inc(1);
    progress.set_message("typesetting");

    run.findings.extend(glyph_findings(&run.items, &typesetter.fonts));
    let order = |d: &str| config.departments.iter().position(|x| x.name == d).unwrap_or(usize::MAX);
    sort_findings(&mut run.findings, &order);

    let names = &config.outputs;
    let mut outputs: Vec<Output> = vec![
        Output {
            kind: "validation_html",
            file_name: "validation.html".into(),
            bytes: validation_report::html::render(&run, &config, read_override(options.templates.as_deref(), "validation.html")?.as_deref())?
                .into_bytes(),
            pages: None,
        },
        Output {
            kind: "validation_xlsx",
            file_name: format!("{}.xlsx", safe_file_name(&names.validation)),
            bytes: validation_report::xlsx::render(&run, &config)?,
            pages: None,
        },
    ];
    // Each department's own workbook, marked (差し戻し/).
    for r in validation_report::returns::render(&run, &config, &options.input_dir)? {
        outputs.push(Output { kind: "return_xlsx", file_name: r.path, bytes: r.bytes, pages: None });
    }
    let mut failures = Vec::new();
    // Each department's page of the report, HTML and PDF (差し戻し/).
    let template = read_override(options.templates.as_deref(), "validation.html")?;
    for page in crate::commands::validate::department_pages(&run, &config, template.as_deref(), &typesetter)? {
        match page {
            Ok(page) => outputs.push(Output { kind: page.kind, file_name: page.path, bytes: page.bytes, pages: page.pages }),
            Err(message) => failures.push(format!("department page: {message}")),
        }
    }
    let mut warnings = Vec::new();
    let refused = options.handout && run.count(Severity::Error) > 0;
    if !refused {
        // The booklet is laid out first (Typst spreads its pages over the
        // cores); the per-item sheets then reuse its memoised table layouts.
        let booklet = typeset_booklet(&typesetter, &run.items, &config).map_err(|e| e.to_string());
        progress.inc(1);
        // One flat list of tasks (each item's sheet is its own task): nested
        // parallel loops here would queue behind each other.
        let mut jobs = vec![Job::Booklet, Job::Summary, Job::PriorityListPdf, Job::PriorityListXlsx, Job::ItemsXlsx];
        for round in 0..run.rounds.len() {
            jobs.extend([Job::ProgressReportPdf(round), Job::ProgressReportXlsx(round)]);
        }
        jobs.extend((0..run.items.len()).step_by(ITEM_BATCH).map(|start| Job::ItemSheets(start, (start + ITEM_BATCH).min(run.items.len()))));
        let results: Vec<(Job, Result<(Vec<Output>, Vec<String>), String>)> = jobs
            .par_iter()
            .map(|job| {
                let result = job.render(&run, &config, &typesetter, &booklet);
                progress.inc(job.steps());
                (*job, result)
            })
            .collect();
        for (job, result) in results {
            match result {
                Ok((job_outputs, job_warnings)) => {
                    outputs.extend(job_outputs);
                    // Per-item sheets repeat a template's warning; say it once.
                    for w in job_warnings {
                        if !warnings.contains(&w) {
                            warnings.push(w);
                        }
                    }
                }
                Err(message) => failures.push(format!("{}: {message}", job.describe())),
            }
        }
    }

    progress.set_message("writing");
    let mut files: Vec<ManifestEntry> = outputs
        .iter()
        .map(|output| ManifestEntry {
            kind: output.kind,
            path: output.file_name.clone(),
            pages: output.pages,
            sha256: sha256_hex(&output.bytes),
        })
        .collect();
    let manifest = Manifest {
        plan: config.plan.name.clone(),
        document_date: config.document_date(),
        items: run.items.len(),
        errors: run.count(Severity::Error),
        warnings: run.count(Severity::Warning),
        files: files.clone(),
    };
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    manifest_bytes.push(b'\n');
    // All or nothing, so manifest.json always matches the files beside it.
    let set: Vec<(&str, &[u8])> = outputs.iter().map(|o| (o.file_name.as_str(), o.bytes.as_slice())).collect();
    write_set(&options.out_dir, &set, "manifest.json", &manifest_bytes)?;
    let returns: Vec<String> = files.iter().filter(|f| matches!(f.kind, "return_xlsx" | "department_html" | "department_pdf")).map(|f| f.path.clone()).collect();
    crate::commands::validate::remove_stale_returns(&options.out_dir, &returns)?;
    files.push(ManifestEntry {
        kind: "manifest",
        path: "manifest.json".into(),
        pages: None,
        sha256: sha256_hex(&manifest_bytes),
    });
    progress.inc(1);
    Ok(Outcome { run, config, files, failures, warnings, refused })
}

/// The documents `build` typesets or writes, besides the validation report.
#[derive(Debug, Clone, Copy)]
enum Job {
    Booklet,
    /// The 概要版.
    Summary,
    /// The per-item 進捗管理表 of the items at these indices (start..end),
    /// laid out together.
    ItemSheets(usize, usize),
    /// The progress report of the round at this index, PDF and workbook.
    ProgressReportPdf(usize),
    ProgressReportXlsx(usize),
    PriorityListPdf,
    PriorityListXlsx,
    ItemsXlsx,
}

/// How many progress steps a build of `items` takes (reading, the booklet,
/// each document and item sheet, writing).
pub fn progress_steps(items: usize, rounds: usize) -> u64 {
    7 + items as u64 + 2 * rounds as u64
}

impl Job {
    /// Progress steps the job accounts for: one per document or item.
    fn steps(self) -> u64 {
        match self {
            Job::ItemSheets(start, end) => (end - start) as u64,
            _ => 1,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Job::Booklet => "booklet",
            Job::Summary => "概要版",
            Job::ItemSheets(..) => "per-item sheets",
            Job::ProgressReportPdf(_) => "progress report (PDF)",
            Job::ProgressReportXlsx(_) => "progress report (xlsx)",
            Job::PriorityListPdf => "priority list (PDF)",
            Job::PriorityListXlsx => "priority list (xlsx)",
            Job::ItemsXlsx => "consolidated workbook",
        }
    }

    fn render(
        self,
        run: &Run,
        config: &PlanConfig,
        typesetter: &Typesetter,
        booklet: &Result<Compiled, String>,
    ) -> Result<(Vec<Output>, Vec<String>), String> {
        let items = &run.items;
        let names = &config.outputs;
        // [document] material_number is the booklet's 資料番号; every other
        // document gets its own when a meeting packet hands it out.
        let mut unstamped = config.clone();
        unstamped.document.material_number.clear();
        let list_title = format!("取組項目及び優先順位一覧（{}）", booklet_title(config));
        match self {
            Job::Booklet => {
                let compiled = booklet.as_ref().map_err(|e| e.clone())?;
                let bytes = typesetter.pdf(&compiled.document, "booklet").map_err(|e| e.to_string())?;
                Ok((vec![pdf_output("booklet", &names.booklet, bytes, compiled)], compiled.warnings.clone()))
            }
            Job::Summary => {
                let compiled = typesetter.compile("summary.typ", &SummaryData::new(items, &unstamped)).map_err(|e| e.to_string())?;
                let bytes = typesetter.pdf(&compiled.document, "summary").map_err(|e| e.to_string())?;
                Ok((vec![pdf_output("summary_pdf", &names.summary, bytes, &compiled)], compiled.warnings))
            }
            Job::ProgressReportPdf(round) => {
                let year = &run.rounds[round].year;
                let data = ProgressReportData::new(items, &unstamped, year, run.rounds[round].sample);
                let compiled = typesetter.compile("progress_report.typ", &data).map_err(|e| e.to_string())?;
                let bytes = typesetter.pdf_dated(&compiled.document, &format!("progress-{year}"), &data.date).map_err(|e| e.to_string())?;
                let name = names.progress_report.replace("{year}", year);
                Ok((vec![pdf_output("progress_report_pdf", &name, bytes, &compiled)], compiled.warnings))
            }
            Job::ProgressReportXlsx(round) => {
                let year = &run.rounds[round].year;
                let data = ProgressReportData::new(items, config, year, run.rounds[round].sample);
                let bytes = progress_report_xlsx::render(&data, config).map_err(|e| e.to_string())?;
                let name = names.progress_report.replace("{year}", year);
                Ok((vec![xlsx_output("progress_report_xlsx", &name, bytes)], Vec::new()))
            }
            Job::ItemSheets(start, end) => item_sheet_pdfs(typesetter, &items[start..end], config, &names.item_sheets),
            Job::PriorityListPdf => {
                let compiled = typesetter
                    .compile("priority_list.typ", &PriorityListData::new(items, &unstamped))
                    .map_err(|e| e.to_string())?;
                let bytes = typesetter.pdf(&compiled.document, "priority_list").map_err(|e| e.to_string())?;
                Ok((vec![pdf_output("priority_list_pdf", &names.priority_list, bytes, &compiled)], compiled.warnings))
            }
            Job::PriorityListXlsx => {
                let rows: Vec<_> = items.iter().map(crate::documents::ListRow::new).collect();
                let bytes = priority_xlsx::render(&rows, config, &list_title).map_err(|e| e.to_string())?;
                Ok((vec![xlsx_output("priority_list_xlsx", &names.priority_list, bytes)], Vec::new()))
            }
            Job::ItemsXlsx => {
                let title = format!("取組項目個票 集約（{}）", booklet_title(config));
                let bytes = items_xlsx::render(items, config, &title).map_err(|e| e.to_string())?;
                Ok((vec![xlsx_output("items_xlsx", &names.items_workbook, bytes)], Vec::new()))
            }
        }
    }
}

/// Lays out the 素案 booklet (exposed for tests and benchmarks).
pub fn typeset_booklet(typesetter: &Typesetter, items: &[Item], config: &PlanConfig) -> Result<Compiled, TemplateError> {
    typesetter.compile("booklet.typ", &BookletData::new(items, config))
}

/// Items laid out together for their 進捗管理表: enough to share the
/// template's evaluation and the table layouts, few enough that Typst's
/// memo cache, emptied after each batch, stays small at any scale.
const ITEM_BATCH: usize = 100;

/// Each item's own 進捗管理表, named `FOLDER/006_title.pdf`: the items are
/// laid out as one document, which is split into one tagged PDF per item
/// (exported in parallel). Typst's memo cache is then evicted, so memory
/// does not grow with the number of batches.
fn item_sheet_pdfs(typesetter: &Typesetter, items: &[Item], config: &PlanConfig, folder: &str) -> Result<(Vec<Output>, Vec<String>), String> {
    let data = ItemSheetsData::new(items, config);
    let compiled = typesetter.compile("item_sheets.typ", &data).map_err(|e| e.to_string())?;
    let parts = crate::typeset::split_at(&compiled.document, "item-start");
    if parts.len() != items.len() {
        return Err(format!("{} items laid out as {} sheets", items.len(), parts.len()));
    }
    let outputs = parts
        .into_par_iter()
        .zip(items.par_iter().zip(&data.items))
        .map(|((_, mut document), (item, page))| {
            document.info_mut().title = Some(page.pdf_title.as_str().into());
            let bytes = typesetter.pdf(&document, &format!("item-{}", item.number)).map_err(|e| e.to_string())?;
            let file_name = format!("{}/{}.pdf", safe_file_name(folder), safe_file_name(&format!("{:03}_{}", item.number, short_title(&item.title))));
            Ok(Output { kind: "item_sheet_pdf", file_name, bytes, pages: Some(document.pages().len()) })
        })
        .collect::<Result<Vec<Output>, String>>()?;
    let warnings = compiled.warnings;
    drop(compiled.document);
    comemo::evict(0);
    Ok((outputs, warnings))
}

/// Longest title a file name carries whole (every seed title fits).
const FILE_TITLE_CHARS: usize = 60;

/// The title for a file name: whole when it fits, else cut where a word
/// ends — before a bracket, after 、 or a space, or where a run of kanji or
/// katakana meets the particle after it — never inside a word.
pub fn short_title(title: &str) -> String {
    let chars: Vec<char> = title.chars().collect();
    if chars.len() <= FILE_TITLE_CHARS {
        return title.to_string();
    }
    let is_hiragana = |c: char| ('\u{3041}'..='\u{309F}').contains(&c);
    let ends_word = |i: usize| {
        let (before, next) = (chars[i - 1], chars[i]);
        matches!(next, '（' | '(' | '「') || matches!(before, '、' | ' ' | '\u{3000}' | '）' | ')') || (!is_hiragana(before) && is_hiragana(next))
    };
    let cut = (FILE_TITLE_CHARS / 2..=FILE_TITLE_CHARS).rev().find(|&i| ends_word(i)).unwrap_or(FILE_TITLE_CHARS);
    chars[..cut].iter().collect::<String>().trim_end_matches(['、', ' ', '\u{3000}']).to_string() + "…"
}

fn pdf_output(kind: &'static str, name: &str, bytes: Vec<u8>, compiled: &Compiled) -> Output {
    Output {
        kind,
        file_name: format!("{}.pdf", safe_file_name(name)),
        bytes,
        pages: Some(compiled.document.pages().len()),
    }
}

fn xlsx_output(kind: &'static str, name: &str, bytes: Vec<u8>) -> Output {
    Output { kind, file_name: format!("{}.xlsx", safe_file_name(name)), bytes, pages: None }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A city's own version of a non-Typst template, when it has one.
pub fn read_override(dir: Option<&Path>, name: &str) -> anyhow::Result<Option<String>> {
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join(name);
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?))
}

/// T301: text that no loaded font can draw would print as an empty box, so
/// each such character is reported at the cell it came from.
pub fn glyph_findings(items: &[Item], fonts: &FontSet) -> Vec<Finding> {
    let mut findings = Vec::new();
    for item in items {
        let mut fields: Vec<(&str, String)> = vec![
            ("title", item.title.clone()),
            ("daibunrui", item.written.daibunrui.clone()),
            ("shobunrui", item.written.shobunrui.clone()),
            ("primary_sections", item.written.primary.clone()),
            ("related_sections", item.written.related.clone()),
            ("situation", item.situation.clone()),
            ("approach", item.approach.clone()),
            ("references", item.references.clone()),
            ("goal", item.goal.clone()),
        ];
        let plan: String = item
            .plan_rows
            .iter()
            .flat_map(|r| std::iter::once(r.label.as_str()).chain(r.years.values().map(String::as_str)).chain([r.note.as_str()]))
            .collect();
        fields.push(("plan_rows", plan));
        fields.push(("yearly_goals", item.yearly_goals.values().chain([&item.target_remarks.yearly_goals]).map(String::as_str).collect()));
        for (name, map, remark) in [
            ("workload_target", &item.workload_target, &item.target_remarks.workload),
            ("fiscal_target", &item.fiscal_target, &item.target_remarks.fiscal),
        ] {
            fields.push((name, map.values().map(|a| a.raw.as_str()).chain([remark.as_str()]).collect()));
        }
        fields.push(("list_note", item.list_note.clone()));
        for (field, text) in fields {
            let missing = fonts.missing(&text);
            if missing.is_empty() {
                continue;
            }
            let chars: Vec<String> = missing.iter().map(|c| format!("「{c}」(U+{:04X})", *c as u32)).collect();
            findings.push(
                Finding::new(
                    Code::MissingGlyph,
                    &item.source.file,
                    format!("項目{}の文字 {} を印刷できるフォントがありません（空白の四角になります）", item.number, chars.join("、")),
                    "別の文字に置き換えるか、その文字を含むフォントを --font-path で追加してください",
                )
                .at(&item.source.sheet, item.source.cells.get(field).map(String::as_str))
                .in_department(&item.department),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::short_title;

    #[test]
    fn file_titles_are_whole_or_cut_where_a_word_ends() {
        let seed = "システム標準化に伴う業務運用方法の見直しによる関連業務の効率化";
        assert_eq!(short_title(seed), seed);
        let long = "職員の意識改革に係る各種研修の実施③（タイムマネジメントの徹底に向けた意識改革及び環境整備）".repeat(2);
        let short = short_title(&long);
        assert!(short.chars().count() <= 61, "{short}");
        let kept = short.trim_end_matches('…');
        let next = long[kept.len()..].chars().next().unwrap();
        let last = kept.chars().last().unwrap();
        // Cut before a bracket or a particle, or after a closing bracket.
        assert!(matches!(next, '（' | 'の' | 'に' | 'を' | 'と' | 'へ' | 'が') || last == '）', "{kept} | {next}");
    }
}
