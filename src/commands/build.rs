//! `gyokaku build`: validate, then write every council document and a
//! manifest. Every document is a job, and the jobs run in parallel, the
//! largest first. Each finished file is staged beside its place at once
//! (memory holds the documents being made, not all of them) and the set
//! is renamed in together with the manifest. A document whose content key
//! is unchanged since the last build into the folder is kept as it is
//! (see cache.rs); a document that fails does not stop the others.

use crate::cache::BuildCache;
use crate::config::PlanConfig;
use crate::documents::booklet::{BookletData, BookletPart, DocumentMeta, ItemSheetsData, PriorityListData, booklet_title, volume_count};
use crate::documents::progress_report::ProgressReportData;
use crate::documents::summary::SummaryData;
use crate::documents::{items_xlsx, priority_xlsx, progress_report_xlsx};
use crate::findings::{Code, Finding, Severity, sort_findings};
use crate::model::Item;
use crate::pipeline::{self, Run};
use crate::typeset::fonts::FontSet;
use crate::typeset::templates::Templates;
use crate::typeset::{Compiled, TemplateError, Typesetter};
use crate::validation_report;
use crate::write::{Staging, safe_file_name};
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

/// A file of this build: its manifest entry, its content key, and whether
/// it was kept from the last build rather than written.
struct Placed {
    entry: ManifestEntry,
    key: String,
    reused: bool,
}

/// What a job gave: its files, template warnings, and the documents of
/// it that could not be made.
#[derive(Default)]
struct Done {
    files: Vec<Placed>,
    warnings: Vec<String>,
    failures: Vec<String>,
}

/// What every job reads, and where its files go.
struct Context<'a> {
    run: &'a Run,
    config: &'a PlanConfig,
    typesetter: &'a Typesetter,
    cache: &'a BuildCache,
    staging: &'a Staging,
    /// Each department's page as a PDF: its path and data.
    department_pdfs: Vec<(String, crate::documents::department_report::DepartmentReportData)>,
    input_dir: &'a Path,
    templates_dir: Option<&'a Path>,
    /// Whether Typst's memo is emptied between jobs: not when every job's
    /// estimate together fits in the memory budget (on the sample, dropping
    /// the memo while other jobs waited on its locks cost 0.06 s of 1 s).
    evict_memo: bool,
    /// When the build started, for `GYOKAKU_JOB_TIMES`.
    started: std::time::Instant,
}

impl Context<'_> {
    /// Empties Typst's memo of what no document used in the last `max_age`
    /// evictions, unless the whole build fits in the budget (`evict_memo`).
    fn evict(&self, max_age: usize) {
        if self.evict_memo {
            comemo::evict(max_age);
        }
    }

    /// A typeset document: kept when the last build made it with `key`,
    /// else made by `make` (bytes, pages, warnings) and staged.
    fn typeset(
        &self,
        kind: &'static str,
        path: String,
        key: String,
        make: impl FnOnce() -> Result<(Vec<u8>, Option<usize>, Vec<String>), String>,
    ) -> Result<(Placed, Vec<String>), String> {
        if let Some(kept) = self.kept(kind, &path, &key) {
            return Ok((kept, Vec::new()));
        }
        let (bytes, pages, warnings) = make()?;
        Ok((self.place(kind, path, key, &bytes, pages)?, warnings))
    }

    /// The file at `path` as the last build made it with `key`, when it is
    /// still there untouched.
    fn kept(&self, kind: &'static str, path: &str, key: &str) -> Option<Placed> {
        self.cache.reuse(path, key).map(|cached| Placed {
            entry: ManifestEntry { kind, path: path.to_string(), pages: cached.pages, sha256: cached.sha256.clone() },
            key: key.to_string(),
            reused: true,
        })
    }

    /// A cheap document, made every time: written only when its bytes
    /// differ from the file the last build left.
    fn written(&self, kind: &'static str, path: String, bytes: &[u8]) -> Result<Placed, String> {
        let sha256 = sha256_hex(bytes);
        if self.cache.holds(&path, &sha256) {
            return Ok(Placed { entry: ManifestEntry { kind, path, pages: None, sha256: sha256.clone() }, key: sha256, reused: true });
        }
        self.place(kind, path, sha256, bytes, None)
    }

    fn place(&self, kind: &'static str, path: String, key: String, bytes: &[u8], pages: Option<usize>) -> Result<Placed, String> {
        self.staging.stage(&path, bytes).map_err(|e| e.to_string())?;
        Ok(Placed { entry: ManifestEntry { kind, path, pages, sha256: sha256_hex(bytes) }, key, reused: false })
    }

    /// A content key over a document's kind, file and data.
    fn key(&self, path: &str, data: &impl Serialize) -> String {
        let json = serde_json::to_vec(data).expect("document data serialises");
        self.cache.key(&[path.as_bytes(), &json])
    }
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
        department_pdfs: crate::commands::validate::department_pdf_data(&run, &config),
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

/// Whether to print each job's and stage's wall time on stderr
/// (GYOKAKU_JOB_TIMES set), to see what a build waits for.
fn show_times() -> bool {
    std::env::var_os("GYOKAKU_JOB_TIMES").is_some()
}

/// Prints the wall time since `started` of a stage or a job, when asked
/// (`show_times`).
fn print_time(what: impl std::fmt::Display, started: std::time::Instant) {
    if show_times() {
        eprintln!("{:>8.3} s  {what}", started.elapsed().as_secs_f64());
    }
}

/// What the jobs in memory at once may need together, by their estimates
/// (`Job::memory_mb`). A job needing more than all of it runs alone; one
/// needing most of it (a booklet volume of 500 sheets) runs beside small
/// ones (a batch of item sheets), never beside another large one.
const MEMORY_BUDGET_MB: usize = 1100;

/// The memo is evicted once the jobs finished since the last eviction are
/// estimated to have needed this much: after every large job (a batch of
/// item sheets, a booklet volume), after a few small ones together.
const EVICT_AFTER_MB: usize = 100;

/// Runs the jobs on one thread per core, the largest first, so the small
/// ones fill in around them. A thread takes the first waiting job that fits
/// in the memory budget beside those running; a job too large to share it
/// runs alone, and Typst's memo is emptied after it. So peak memory is
/// bounded by design, whatever the number of items. A job's own parallel
/// work (Typst's layout, the per-item exports) runs on rayon's pool, which
/// never picks up another job while it waits. Returns each job's index
/// with its result.
fn run_jobs(jobs: &[Job], cx: &Context, progress: &ProgressBar) -> Vec<(usize, Result<Done, String>)> {
    use std::sync::{Condvar, Mutex};
    struct Queue {
        waiting: Vec<usize>,
        /// Estimated memory of the jobs running, and how many run.
        in_use: usize,
        running: usize,
        alone: bool,
        /// Estimated memory of the jobs finished since the memo was last
        /// evicted.
        unevicted: usize,
    }
    let mut waiting: Vec<usize> = (0..jobs.len()).collect();
    waiting.sort_by_key(|&i| std::cmp::Reverse(jobs[i].weight()));
    let memory: Vec<usize> = jobs.iter().map(|j| j.memory_mb(cx)).collect();
    let alone = |i: usize| memory[i] > MEMORY_BUDGET_MB;
    let queue = Mutex::new(Queue { waiting, in_use: 0, running: 0, alone: false, unevicted: 0 });
    let changed = Condvar::new();
    let finished = Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|scope| {
        for _ in 0..rayon::current_num_threads().clamp(1, jobs.len().max(1)) {
            crate::threads::builder().spawn_scoped(scope, || loop {
                let i = {
                    let mut q = queue.lock().expect("no job panicked");
                    loop {
                        let Some(&head) = q.waiting.first() else { break None };
                        let pick = if q.alone || (alone(head) && q.running > 0) {
                            // A job runs alone, or the next one must: wait.
                            None
                        } else if alone(head) {
                            Some(0)
                        } else {
                            q.waiting.iter().position(|&i| !alone(i) && (q.running == 0 || q.in_use + memory[i] <= MEMORY_BUDGET_MB))
                        };
                        if let Some(k) = pick {
                            let i = q.waiting.remove(k);
                            q.in_use += memory[i];
                            q.running += 1;
                            q.alone = alone(i);
                            break Some(i);
                        }
                        q = changed.wait(q).expect("no job panicked");
                    }
                };
                let Some(i) = i else { break };
                let started = std::time::Instant::now();
                let result = jobs[i].run(cx);
                print_time(format_args!("{:?}  (ended at {:.3} s)", jobs[i], cx.started.elapsed().as_secs_f64()), started);
                progress.inc(jobs[i].steps());
                finished.lock().expect("no job panicked").push((i, result));
                // Typst's memo of what no job touched lately goes (the
                // layouts of a finished document) once the jobs finished
                // since the last eviction may hold EVICT_AFTER_MB; after a
                // job that ran alone, all of it. (Walking the memo costs
                // time; after each small job it was 4% of the sample's.)
                let evict = {
                    let mut q = queue.lock().expect("no job panicked");
                    q.unevicted += memory[i];
                    let now = alone(i) || q.unevicted >= EVICT_AFTER_MB;
                    if now {
                        q.unevicted = 0;
                    }
                    now
                };
                if evict {
                    cx.evict(if alone(i) { 0 } else { 2 });
                }
                let mut q = queue.lock().expect("no job panicked");
                q.in_use -= memory[i];
                q.running -= 1;
                q.alone = false;
                changed.notify_all();
            })
            .expect("a job thread can start");
        }
    });
    finished.into_inner().expect("no job panicked")
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
    crate::commands::validate::remove_stale_returns(out_dir, &returns)
}

/// The files `build` writes, one job each (the per-item sheets in batches).
#[derive(Debug, Clone, Copy)]
enum Job {
    ValidationHtml,
    /// 差し戻し一覧.
    ValidationXlsx,
    /// Each department's own workbook, marked (差し戻し/).
    Returns,
    /// Each department's page of the report, HTML and PDF (差し戻し/).
    DepartmentHtml,
    /// The PDF page of the department at this index of `department_pdf_data`.
    DepartmentPdf(usize),
    /// The 素案 booklet, or this volume (from 1) of it.
    Booklet(usize),
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

impl Job {
    /// Progress steps the job accounts for: one per document or item.
    fn steps(self) -> u64 {
        match self {
            Job::ItemSheets(start, end) => (end - start) as u64,
            _ => 1,
        }
    }

    /// Roughly how long the job takes, to start the long ones first.
    fn weight(self) -> usize {
        match self {
            Job::Booklet(_) => 1000,
            Job::ItemSheets(start, end) => 7 * (end - start),
            Job::ProgressReportPdf(_) => 100,
            Job::DepartmentPdf(_) => 20,
            Job::PriorityListPdf => 50,
            Job::ValidationHtml | Job::ValidationXlsx | Job::ItemsXlsx | Job::Summary => 30,
            _ => 10,
        }
    }

    /// Roughly the memory the job needs while it runs, in MB, as measured
    /// on generated sets of 910 and 10,010 items: a laid-out page with
    /// Typst's memo of it takes about 1.2 MB.
    fn memory_mb(self, cx: &Context) -> usize {
        let items = cx.run.items.len();
        let per_volume = cx.config.limits.booklet_items;
        match self {
            Job::Booklet(_) if items <= per_volume => 20 + items * 6 / 5 + items / 4,
            // The front matter volume, then the volumes of sheets.
            Job::Booklet(1) => 20 + items / 4,
            Job::Booklet(_) => 20 + per_volume * 6 / 5,
            Job::ItemSheets(start, end) => 10 + (end - start) * 3 / 2,
            Job::DepartmentPdf(index) => 10 + cx.department_pdfs[index].1.findings.len() / 3,
            Job::PriorityListPdf => 10 + items / 4,
            Job::ProgressReportPdf(_) => 10 + items / 8,
            _ => 10 + items / 20,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Job::ValidationHtml => "validation report (HTML)",
            Job::ValidationXlsx => "validation report (xlsx)",
            Job::Returns => "marked workbooks",
            Job::DepartmentHtml | Job::DepartmentPdf(_) => "department page",
            Job::Booklet(_) => "booklet",
            Job::Summary => "概要版",
            Job::ItemSheets(..) => "per-item sheets",
            Job::ProgressReportPdf(_) => "progress report (PDF)",
            Job::ProgressReportXlsx(_) => "progress report (xlsx)",
            Job::PriorityListPdf => "priority list (PDF)",
            Job::PriorityListXlsx => "priority list (xlsx)",
            Job::ItemsXlsx => "consolidated workbook",
        }
    }

    fn run(self, cx: &Context) -> Result<Done, String> {
        let (run, config, typesetter) = (cx.run, cx.config, cx.typesetter);
        let items = &run.items;
        let names = &config.outputs;
        // [document] material_number is the booklet's 資料番号; every other
        // document gets its own when a meeting packet hands it out.
        let mut unstamped = config.clone();
        unstamped.document.material_number.clear();
        let list_title = format!("取組項目及び優先順位一覧（{}）", booklet_title(config));
        let one = |(placed, warnings): (Placed, Vec<String>)| Done { files: vec![placed], warnings, ..Done::default() };
        let error = |e: anyhow::Error| e.to_string();
        match self {
            Job::ValidationHtml => {
                let template = read_override(cx.templates_dir, "validation.html").map_err(error)?;
                let html = validation_report::html::render(run, config, template.as_deref()).map_err(error)?;
                Ok(one((cx.written("validation_html", "validation.html".into(), html.as_bytes())?, Vec::new())))
            }
            Job::ValidationXlsx => {
                let bytes = validation_report::xlsx::render(run, config).map_err(error)?;
                Ok(one((cx.written("validation_xlsx", format!("{}.xlsx", safe_file_name(&names.validation)), &bytes)?, Vec::new())))
            }
            Job::Returns => {
                let mut done = Done::default();
                // Each keyed over the input it marks, its findings and the
                // plan: at 10,000 items remaking them all takes seconds.
                for planned in validation_report::returns::plan(run, config, cx.input_dir) {
                    let source = planned.source(cx.input_dir).and_then(|p| std::fs::read(p).ok()).unwrap_or_default();
                    let key = cx.key(&planned.path, &(sha256_hex(&source), &planned.findings, config));
                    let (placed, _) = cx.typeset("return_xlsx", planned.path.clone(), key, || {
                        Ok((planned.make(config, cx.input_dir).map_err(error)?.bytes, None, Vec::new()))
                    })?;
                    done.files.push(placed);
                }
                Ok(done)
            }
            Job::DepartmentHtml => {
                let template = read_override(cx.templates_dir, "validation.html").map_err(error)?;
                let mut done = Done::default();
                for group in validation_report::by_department(run, config) {
                    if let Some(html) = validation_report::html::render_department(&group, config, template.as_deref()).map_err(error)? {
                        done.files.push(cx.written("department_html", group.page_html.clone(), html.as_bytes())?);
                    }
                }
                Ok(done)
            }
            Job::DepartmentPdf(index) => {
                let (path, data) = &cx.department_pdfs[index];
                Ok(one(cx.typeset("department_pdf", path.clone(), cx.key(path, data), || {
                    let page = crate::commands::validate::department_pdf(typesetter, path, data)?;
                    Ok((page.bytes, page.pages, Vec::new()))
                })?))
            }
            Job::Booklet(volume) => {
                let data = BookletData::volume(items, config, config.limits.booklet_items, volume);
                let (path, ident) = match &data.volume {
                    Some(v) => (pdf_name(&format!("{}_分冊{}", names.booklet, v.number)), format!("booklet-{}", v.number)),
                    None => (pdf_name(&names.booklet), "booklet".to_string()),
                };
                let done = booklet_volume(cx, &data, path, &ident)?;
                if data.volume.is_some() {
                    // The next volume starts from a small memo cache.
                    cx.evict(2);
                }
                Ok(done)
            }
            Job::Summary => {
                let data = SummaryData::new(items, &unstamped);
                let path = pdf_name(&names.summary);
                Ok(one(cx.typeset("summary_pdf", path.clone(), cx.key(&path, &data), || {
                    let compiled = typesetter.compile("summary.typ", &data).map_err(|e| e.to_string())?;
                    pdf(typesetter.pdf(&compiled.document, "summary"), compiled)
                })?))
            }
            Job::ProgressReportPdf(round) => {
                let year = &run.rounds[round].year;
                let data = ProgressReportData::new(items, &unstamped, year, run.rounds[round].sample);
                let path = pdf_name(&names.progress_report.replace("{year}", year));
                Ok(one(cx.typeset("progress_report_pdf", path.clone(), cx.key(&path, &data), || {
                    let compiled = typesetter.compile("progress_report.typ", &data).map_err(|e| e.to_string())?;
                    pdf(typesetter.pdf_dated(&compiled.document, &format!("progress-{year}"), &data.date), compiled)
                })?))
            }
            Job::ProgressReportXlsx(round) => {
                let year = &run.rounds[round].year;
                let data = ProgressReportData::new(items, config, year, run.rounds[round].sample);
                let bytes = progress_report_xlsx::render(&data, config).map_err(error)?;
                let path = xlsx_name(&names.progress_report.replace("{year}", year));
                Ok(one((cx.written("progress_report_xlsx", path, &bytes)?, Vec::new())))
            }
            Job::ItemSheets(start, end) => item_sheet_pdfs(cx, &items[start..end]),
            Job::PriorityListPdf => {
                let data = PriorityListData::new(items, &unstamped);
                let path = pdf_name(&names.priority_list);
                Ok(one(cx.typeset("priority_list_pdf", path.clone(), cx.key(&path, &data), || {
                    let compiled = typesetter.compile("priority_list.typ", &data).map_err(|e| e.to_string())?;
                    pdf(typesetter.pdf(&compiled.document, "priority_list"), compiled)
                })?))
            }
            Job::PriorityListXlsx => {
                let rows: Vec<_> = items.iter().map(crate::documents::ListRow::new).collect();
                let bytes = priority_xlsx::render(&rows, config, &list_title).map_err(error)?;
                Ok(one((cx.written("priority_list_xlsx", xlsx_name(&names.priority_list), &bytes)?, Vec::new())))
            }
            Job::ItemsXlsx => {
                let title = format!("取組項目個票 集約（{}）", booklet_title(config));
                let path = xlsx_name(&names.items_workbook);
                Ok(one(cx.typeset("items_xlsx", path.clone(), cx.key(&path, &(&title, items, config)), || {
                    Ok((items_xlsx::render(items, config, &title).map_err(error)?, None, Vec::new()))
                })?))
            }
        }
    }
}

/// A typeset PDF's bytes, pages and warnings.
fn pdf(bytes: anyhow::Result<Vec<u8>>, compiled: Compiled) -> Result<(Vec<u8>, Option<usize>, Vec<String>), String> {
    Ok((bytes.map_err(|e| e.to_string())?, Some(compiled.document.pages().len()), compiled.warnings))
}

fn pdf_name(name: &str) -> String {
    format!("{}.pdf", safe_file_name(name))
}

fn xlsx_name(name: &str) -> String {
    format!("{}.xlsx", safe_file_name(name))
}

/// Items laid out together for their 進捗管理表: enough to share the
/// template's evaluation and the table layouts, few enough that Typst's
/// memo cache, emptied after each batch, stays small at any scale.
const ITEM_BATCH: usize = 100;

/// Each item's own 進捗管理表, named `FOLDER/006_title.pdf`. The items
/// whose sheet changed since the last build are laid out as one document,
/// which is split into one tagged PDF per item (exported in parallel; an
/// item's pages do not depend on the others laid out with it). Typst's
/// memo cache is then evicted, so memory does not grow with the batches.
fn item_sheet_pdfs(cx: &Context, items: &[Item]) -> Result<Done, String> {
    let config = cx.config;
    let folder = safe_file_name(&config.outputs.item_sheets);
    let data = ItemSheetsData::new(items, config);
    // What every sheet prints besides its own item (the plan, the years).
    let shared = serde_json::to_vec(&DocumentMeta::new(config, String::new())).expect("document data serialises");
    let mut done = Done::default();
    let mut changed = Vec::new();
    for (item, page) in items.iter().zip(&data.items) {
        let path = format!("{folder}/{}.pdf", safe_file_name(&format!("{:03}_{}", item.number, short_title(&item.title))));
        let page_json = serde_json::to_vec(page).expect("document data serialises");
        let key = cx.cache.key(&[path.as_bytes(), &shared, &page_json]);
        match cx.kept("item_sheet_pdf", &path, &key) {
            Some(kept) => done.files.push(kept),
            None => {
                changed.push((done.files.len(), path, key, item.clone()));
                // A placeholder, replaced below in the same order.
                done.files.push(Placed { entry: ManifestEntry { kind: "item_sheet_pdf", path: String::new(), pages: None, sha256: String::new() }, key: String::new(), reused: false });
            }
        }
    }
    if changed.is_empty() {
        return Ok(done);
    }
    let changed_items: Vec<Item> = changed.iter().map(|(_, _, _, item)| item.clone()).collect();
    let data = ItemSheetsData::new(&changed_items, config);
    let compiled = cx.typesetter.compile("item_sheets.typ", &data).map_err(|e| e.to_string())?;
    let parts = crate::typeset::split_at(&compiled.document, "item-start");
    if parts.len() != changed.len() {
        return Err(format!("{} items laid out as {} sheets", changed.len(), parts.len()));
    }
    let placed: Vec<Result<Placed, String>> = parts
        .into_par_iter()
        .zip(changed.par_iter().zip(&data.items))
        .map(|((_, mut document), ((_, path, key, item), page))| {
            document.info_mut().title = Some(page.pdf_title.as_str().into());
            let bytes = cx.typesetter.pdf(&document, &format!("item-{}", item.number)).map_err(|e| e.to_string())?;
            cx.place("item_sheet_pdf", path.clone(), key.clone(), &bytes, Some(document.pages().len()))
        })
        .collect();
    let mut emptied = Vec::new();
    for ((slot, ..), result) in changed.iter().zip(placed) {
        match result {
            Ok(p) => done.files[*slot] = p,
            Err(message) => {
                done.failures.push(message);
                emptied.push(*slot);
            }
        }
    }
    for slot in emptied.into_iter().rev() {
        done.files.remove(slot);
    }
    done.warnings = compiled.warnings;
    drop(compiled.document);
    // What no batch touched lately goes; a document laid out meanwhile
    // keeps what it still uses.
    cx.evict(2);
    Ok(done)
}

/// Folder in the output folder with the booklet's parts as last laid out
/// (each a deflated PDF and its index), so a rebuild lays out only the parts whose
/// data changed and joins them with the others' kept PDFs.
pub const PARTS_FOLDER: &str = ".gyokaku-parts";

/// Kinds of the files in `PARTS_FOLDER`: kept in the build record, not
/// listed in the manifest.
const PART_KINDS: [&str; 2] = ["booklet_part", "booklet_part_index"];

/// A part's PDF as kept: deflated, as typst_pdf writes the dictionaries
/// uncompressed (a sample's parts take 1 MB, not 4).
fn pack_part(pdf: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::with_capacity(pdf.len() / 3), flate2::Compression::fast());
    encoder.write_all(pdf).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

fn unpack_part(packed: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut pdf = Vec::with_capacity(packed.len() * 3);
    flate2::read::ZlibDecoder::new(packed).read_to_end(&mut pdf).ok()?;
    Some(pdf)
}

/// What a part's index file holds beside its PDF.
#[derive(Serialize, serde::Deserialize)]
struct PartIndex {
    pages: usize,
    /// Each 個票's 項目番号 and the page (from 1) of the part it starts on.
    starts: Vec<(i64, usize)>,
    /// The folio each page prints (the PDF's page labels).
    #[serde(default)]
    folios: Vec<String>,
}

/// One part of a booklet volume laid out and exported as a part for
/// joining; `k` is its place among the volume's parts, the first of which
/// gives the whole its identifier.
fn lay_out_part(typesetter: &Typesetter, part: &BookletPart, ident: &str, k: usize) -> Result<(Vec<u8>, PartIndex, Vec<String>), String> {
    let compiled = typesetter.compile("booklet.typ", &part.data).map_err(|e| e.to_string())?;
    let starts = crate::typeset::labelled_metadata(&compiled.document, "item-start")
        .into_iter()
        .filter_map(|(value, page)| match value {
            typst::foundations::Value::Int(number) => Some((number, page)),
            _ => None,
        })
        .collect();
    let pdf = typesetter.pdf_part(&compiled.document, &part_ident(ident, k)).map_err(|e| e.to_string())?;
    let folios = crate::typeset::folios(&compiled.document);
    Ok((pdf, PartIndex { pages: compiled.document.pages().len(), starts, folios }, compiled.warnings))
}

fn part_ident(ident: &str, k: usize) -> String {
    if k == 0 { ident.to_string() } else { format!("{ident}-part-{k}") }
}

/// The parts, in order, joined into the volume's PDF (packed); with its
/// page count. A volume of one part (front matter only) goes through the
/// join too, for its page labels.
fn join_parts(typesetter: &Typesetter, parts: &[BookletPart], laid: Vec<(Vec<u8>, PartIndex)>, ident: &str) -> Result<(Vec<u8>, usize), String> {
    let (merged, pages) = join_parts_unpacked(typesetter, parts, laid, ident)?;
    Ok((crate::typeset::compact::compact(merged), pages))
}

/// The join not yet packed. The font files the parts were laid out with
/// let the join embed each face once.
fn join_parts_unpacked(typesetter: &Typesetter, parts: &[BookletPart], laid: Vec<(Vec<u8>, PartIndex)>, ident: &str) -> Result<(Vec<u8>, usize), String> {
    use crate::typeset::merge::{Part, Target, merge};
    let mut joined = Vec::with_capacity(laid.len());
    let mut links = std::collections::HashMap::new();
    let mut pages = 0;
    for (part, (pdf, index)) in parts.iter().zip(laid) {
        for (number, page) in index.starts {
            links.entry(number.to_string()).or_insert(Target { page: pages + page - 1, alt: format!("項目{number}の個票") });
        }
        pages += index.pages;
        // Labels only when every page names its folio (a city's own
        // template may print none).
        let folios = if index.folios.len() == index.pages && index.folios.iter().all(|f| !f.is_empty()) { index.folios } else { Vec::new() };
        joined.push(Part { pdf, nested: part.nested, bookmark: None, folios });
    }
    let started = std::time::Instant::now();
    let merged = merge(&joined, &links, &typesetter.fonts.fonts).map_err(|e| format!("joining the parts of {ident}: {e}"))?;
    print_time(format_args!("joining the {} parts of {ident}", joined.len()), started);
    Ok((merged, pages))
}

/// A booklet volume's PDF: its parts laid out side by side, each exported,
/// and joined (typeset::merge). Returns the bytes, the page count and the
/// template's warnings.
pub fn typeset_booklet_pdf(typesetter: &Typesetter, data: &BookletData, ident: &str) -> Result<(Vec<u8>, Option<usize>, Vec<String>), String> {
    let (merged, pages, warnings) = typeset_booklet_part(typesetter, data, ident)?;
    Ok((crate::typeset::compact::compact(merged), pages, warnings))
}

/// Like `typeset_booklet_pdf`, the join not yet packed: a part for
/// another join (a meeting's packet).
pub fn typeset_booklet_part(typesetter: &Typesetter, data: &BookletData, ident: &str) -> Result<(Vec<u8>, Option<usize>, Vec<String>), String> {
    let parts = data.parts();
    let laid: Vec<Result<(Vec<u8>, PartIndex, Vec<String>), String>> = parts.par_iter().enumerate().map(|(k, part)| lay_out_part(typesetter, part, ident, k)).collect();
    let mut warnings = Vec::new();
    let mut exported = Vec::new();
    for result in laid {
        let (pdf, index, part_warnings) = result?;
        exported.push((pdf, index));
        warnings.extend(part_warnings);
    }
    let (bytes, pages) = join_parts_unpacked(typesetter, &parts, exported, ident)?;
    Ok((bytes, Some(pages), warnings))
}

/// The booklet volume `data` at `path`, made as `typeset_booklet_pdf`
/// makes it, but with the parts kept in `PARTS_FOLDER`: a part whose data
/// is unchanged since the last build is not laid out again.
fn booklet_volume(cx: &Context, data: &BookletData, path: String, ident: &str) -> Result<Done, String> {
    let parts = data.parts();
    let stem = safe_file_name(path.trim_end_matches(".pdf"));
    // Each part's PDF and index file, and their content key.
    let files: Vec<(String, String, String)> = parts
        .iter()
        .enumerate()
        .map(|(k, part)| {
            let name = part.department.as_deref().map_or_else(|| "表紙".to_string(), safe_file_name);
            // By place and first department: two parts never share a file.
            let pdf = format!("{PARTS_FOLDER}/{stem}_{k:02}_{name}.part");
            let key = cx.key(&pdf, &(&part.data, part.nested, part_ident(ident, k)));
            (pdf.clone(), format!("{}.json", pdf.trim_end_matches(".part")), key)
        })
        .collect();
    let kept_part = |pdf: &str, index: &str, key: &str| cx.kept(PART_KINDS[0], pdf, key).into_iter().chain(cx.kept(PART_KINDS[1], index, key));
    let mut done = Done::default();
    let key = cx.key(&path, data);
    if let Some(booklet) = cx.kept("booklet", &path, &key) {
        // Unchanged: the parts stay for the next change.
        done.files.push(booklet);
        for (pdf, index, key) in &files {
            done.files.extend(kept_part(pdf, index, key));
        }
        return Ok(done);
    }
    // The parts kept from the last build, as bytes; the others laid out.
    let reused: Vec<Option<(Vec<u8>, PartIndex)>> = files
        .iter()
        .map(|(pdf, index, key)| {
            let (index_bytes, _) = cx.cache.reuse_bytes(index, key)?;
            let index = serde_json::from_slice(&index_bytes).ok()?;
            let (packed, _) = cx.cache.reuse_bytes(pdf, key)?;
            Some((unpack_part(&packed)?, index))
        })
        .collect();
    // Each part with its template's warnings when it was laid out now.
    let laid: Vec<Result<(Vec<u8>, PartIndex, Option<Vec<String>>), String>> = parts
        .par_iter()
        .enumerate()
        .zip(reused)
        .map(|((k, part), reused)| match reused {
            Some((pdf, index)) => Ok((pdf, index, None)),
            None => lay_out_part(cx.typesetter, part, ident, k).map(|(pdf, index, warnings)| (pdf, index, Some(warnings))),
        })
        .collect();
    let mut exported = Vec::with_capacity(parts.len());
    for ((pdf_path, index_path, key), laid) in files.iter().zip(laid) {
        let (pdf, index, warnings) = laid?;
        match warnings {
            None => done.files.extend(kept_part(pdf_path, index_path, key)),
            Some(warnings) => {
                done.files.push(cx.place(PART_KINDS[0], pdf_path.clone(), key.clone(), &pack_part(&pdf), Some(index.pages))?);
                let json = serde_json::to_vec(&index).expect("an index serialises");
                done.files.push(cx.place(PART_KINDS[1], index_path.clone(), key.clone(), &json, None)?);
                done.warnings.extend(warnings);
            }
        }
        exported.push((pdf, index));
    }
    let (bytes, pages) = join_parts(cx.typesetter, &parts, exported, ident)?;
    done.files.push(cx.place("booklet", path, key, &bytes, Some(pages))?);
    Ok(done)
}

/// Lays out the 素案 booklet (exposed for tests and benchmarks).
pub fn typeset_booklet(typesetter: &Typesetter, items: &[Item], config: &PlanConfig) -> Result<Compiled, TemplateError> {
    typesetter.compile("booklet.typ", &BookletData::new(items, config))
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

pub fn sha256_hex(bytes: &[u8]) -> String {
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
