//! A build: validate, then write every council document and a manifest.
//! Every document is a job (`jobs`), run in parallel the largest first
//! (`schedule`). Each finished file is staged beside its place at once
//! (memory holds the documents being made, not all of them) and the set
//! is renamed in together with the manifest. A document whose content key
//! is unchanged since the last build into the folder is kept as it is
//! (see cache.rs); a document that fails does not stop the others.

use super::booklet::{PART_KINDS, PARTS_FOLDER};
use super::context::{Context, Placed};
use super::jobs::{ITEM_BATCH, Job};
use super::schedule::{MEMORY_BUDGET_MB, run_jobs};
use super::{print_time, sha256_hex};
use crate::cache::BuildCache;
use crate::check::glyphs::glyph_findings;
use crate::config::PlanConfig;
use crate::documents::booklet::volume_count;
use crate::findings::{Severity, sort_findings};
use crate::pipeline::{self, Run};
use crate::typeset::Typesetter;
use crate::typeset::fonts::FontSet;
use crate::typeset::templates::Templates;
use crate::write::Staging;
use indicatif::ProgressBar;
use serde::Serialize;
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
    /// `--clean`: make every document again, ignoring what the last build
    /// into the folder recorded.
    pub clean: bool,
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
    /// Paths of `files` kept from the last build, unchanged.
    pub kept: std::collections::HashSet<String>,
    /// Documents that could not be made, with the reason.
    pub failures: Vec<String>,
    /// Template warnings (a city's override using a font it lacks, …).
    pub warnings: Vec<String>,
    /// True when `--final` refused to build because of errors.
    pub refused: bool,
}

pub fn build(options: &BuildOptions, progress: &ProgressBar) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let config = PlanConfig::load_input(&options.input_dir)?;
    progress.set_message("ブックを読んでいます");
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
    print_time("stage: read and check", started);
    progress.inc(1);
    progress.set_message("文書を組版しています");

    run.findings.extend(glyph_findings(&run.items, &typesetter.fonts));
    let order = |d: &str| config.departments.iter().position(|x| x.name == d).unwrap_or(usize::MAX);
    sort_findings(&mut run.findings, &order);

    let cache = BuildCache::load(&options.out_dir, &typesetter.fingerprint(), !options.clean);
    let staging = Staging::new(&options.out_dir);
    let mut context = Context {
        run: &run,
        config: &config,
        typesetter: &typesetter,
        cache: &cache,
        staging: &staging,
        department_pdfs: super::check::department_pdf_data(&run, &config),
        input_dir: &options.input_dir,
        templates_dir: options.templates.as_deref(),
        evict_memo: true,
        started,
    };
    let refused = options.handout && run.count(Severity::Error) > 0;
    let mut jobs = vec![Job::ValidationHtml, Job::ValidationXlsx, Job::Returns, Job::DepartmentHtml];
    jobs.extend((0..context.department_pdfs.len()).map(Job::DepartmentPdf));
    if !refused {
        let volumes = volume_count(run.items.len(), config.limits.booklet_items);
        jobs.extend((1..=volumes).map(Job::Booklet));
        jobs.extend([Job::Summary, Job::PriorityListPdf, Job::PriorityListXlsx, Job::ItemsXlsx]);
        for round in 0..run.rounds.len() {
            jobs.extend([Job::ProgressReportPdf(round), Job::ProgressReportXlsx(round)]);
        }
        jobs.extend((0..run.items.len()).step_by(ITEM_BATCH).map(|start| Job::ItemSheets(start, (start + ITEM_BATCH).min(run.items.len()))));
    }
    context.evict_memo = jobs.iter().map(|j| j.memory_mb(&context)).sum::<usize>() > MEMORY_BUDGET_MB;
    // Reading, each job's documents, writing.
    progress.set_length(2 + jobs.iter().map(|j| j.steps()).sum::<u64>());
    print_time("stage: plan the jobs", started);
    let finished = run_jobs(&jobs, &context, progress);
    print_time("stage: jobs", started);
    let mut results = finished;
    results.sort_by_key(|(i, _)| *i);

    let mut placed = Vec::new();
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    for (i, result) in results {
        match result {
            Ok(done) => {
                placed.extend(done.files);
                failures.extend(done.failures.into_iter().map(|f| format!("{}: {f}", jobs[i].describe())));
                // Per-item sheets repeat a template's warning; say it once.
                for w in done.warnings {
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                }
            }
            Err(message) => failures.push(format!("{}: {message}", jobs[i].describe())),
        }
    }

    if refused {
        // The handout refused: the last build's documents (an office copy,
        // say) stay as they are, listed again and kept in the record.
        placed.extend(carried(&cache, &placed));
    }

    progress.set_message("書き出しています");
    // The booklet's parts are the build's own, not deliverables: recorded
    // for the next build, not listed.
    let delivered = |p: &&Placed| !PART_KINDS.contains(&p.entry.kind);
    let mut files: Vec<ManifestEntry> = placed.iter().filter(delivered).map(|p| p.entry.clone()).collect();
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
    // The record goes first and comes back last, so it never claims a file
    // this build replaced; manifest.json always matches the files beside it.
    cache.invalidate()?;
    staging.commit("manifest.json", &manifest_bytes)?;
    let written: Vec<ManifestEntry> = placed.iter().map(|p| p.entry.clone()).collect();
    remove_left_over(&options.out_dir, &cache, &written, refused)?;
    let record: Vec<crate::cache::Recorded> = placed
        .iter()
        .map(|p| crate::cache::Recorded { path: &p.entry.path, kind: p.entry.kind, key: &p.key, sha256: &p.entry.sha256, pages: p.entry.pages })
        .collect();
    cache.save(&record)?;
    files.push(ManifestEntry {
        kind: "manifest",
        path: "manifest.json".into(),
        pages: None,
        sha256: sha256_hex(&manifest_bytes),
    });
    progress.inc(1);
    print_time("stage: commit", started);
    let kept = placed.iter().filter(delivered).filter(|p| p.reused).map(|p| p.entry.path.clone()).collect();
    Ok(Outcome { run, config, files, kept, failures, warnings, refused })
}

/// Kinds of the files a build makes even when `--final` refuses: the
/// validation report and what goes back to departments.
const REPORT_KINDS: [&str; 5] = ["validation_html", "validation_xlsx", "return_xlsx", "department_html", "department_pdf"];

/// Every kind of file a build writes (manifest.json's `kind`).
const KINDS: [&str; 15] = [
    "validation_html",
    "validation_xlsx",
    "return_xlsx",
    "department_html",
    "department_pdf",
    "booklet",
    "summary_pdf",
    "progress_report_pdf",
    "progress_report_xlsx",
    "item_sheet_pdf",
    "priority_list_pdf",
    "priority_list_xlsx",
    "items_xlsx",
    "booklet_part",
    "booklet_part_index",
];

/// What a refused `--final` leaves as the last build made it: each file
/// the record names that this build did not make, other than the report's,
/// still untouched, whichever tool made it; in the order it was listed.
fn carried(cache: &BuildCache, made: &[Placed]) -> Vec<Placed> {
    let made: std::collections::HashSet<&str> = made.iter().map(|p| p.entry.path.as_str()).collect();
    cache
        .recorded_untouched()
        .into_iter()
        .filter(|(path, cached)| !made.contains(path) && !REPORT_KINDS.contains(&cached.kind.as_str()))
        .filter_map(|(path, cached)| {
            let kind = KINDS.iter().copied().find(|k| *k == cached.kind)?;
            let entry = ManifestEntry { kind, path: path.to_string(), pages: cached.pages, sha256: cached.sha256.clone() };
            Some(Placed { entry, key: cached.key.clone(), reused: true })
        })
        .collect()
}

/// Removes the files the last build wrote that this one did not (the
/// 進捗管理表 of an item since withdrawn, a department's return once it has
/// nothing left to fix), and any stale file of ours in 差し戻し/. After a
/// refused `--final`, only the report's own files: the documents stay.
fn remove_left_over(out_dir: &Path, cache: &BuildCache, files: &[ManifestEntry], refused: bool) -> anyhow::Result<()> {
    let kept: std::collections::HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for path in cache.previous_paths().filter(|p| !kept.contains(p)) {
        if refused && !cache.recorded_kind(path).is_some_and(|k| REPORT_KINDS.contains(&k)) {
            continue;
        }
        let _ = std::fs::remove_file(out_dir.join(path));
    }
    // Parts no longer used (a department gone, a build without the record).
    let parts = if refused { None } else { std::fs::read_dir(out_dir.join(PARTS_FOLDER)).ok() };
    if let Some(entries) = parts {
        for entry in entries.flatten() {
            let path = format!("{PARTS_FOLDER}/{}", entry.file_name().to_string_lossy());
            if !kept.contains(path.as_str()) && !entry.file_name().to_string_lossy().starts_with(crate::write::TEMP_PREFIX) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let returns: Vec<String> = files.iter().filter(|f| matches!(f.kind, "return_xlsx" | "department_html" | "department_pdf")).map(|f| f.path.clone()).collect();
    super::check::remove_stale_returns(out_dir, &returns)
}
