//! One run over an input folder: read every workbook, normalise, validate,
//! number the items. Renderers take its result; nothing here writes files.

use crate::config::PlanConfig;
use crate::decisions::{Decided, Decisions};
use crate::findings::{Code, Finding, Severity, sort_findings};
use crate::model::Item;
use crate::ingest::normalize::Normalizer;
use crate::ingest::reader::{Field, ListRow, RawSheet, SheetContent, read_sheet};
use crate::check::sections::check_related;
use crate::check::targets::{check_plausibility, check_targets, signed_zeros};
use crate::check::validate::{DepartmentSubmission, ProposalCounts, check_duplicates, check_item, check_proposal_counts, match_list};
use crate::ingest::files;
use crate::ingest::workbook::{WORKBOOK_EXTENSIONS, read_workbook_limited};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The model after validation, and everything found on the way.
#[derive(Debug, Default)]
pub struct Run {
    /// Items in 項目番号 order.
    pub items: Vec<Item>,
    /// Findings in department, file, sheet, cell order.
    pub findings: Vec<Finding>,
    /// One line per file read.
    pub files: Vec<FileSummary>,
    /// Progress rounds read from INPUT_DIR/progress/ (results are attached
    /// to the items).
    pub rounds: Vec<crate::progress::results::Round>,
    /// Findings the office decided (decisions.toml), out of `findings`.
    pub decided: Vec<Decided>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FileSummary {
    pub file: String,
    pub department: String,
    pub items: usize,
    pub list_rows: usize,
}

impl Run {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }
}

/// What one workbook yielded.
#[derive(Default)]
struct WorkbookRead {
    file: String,
    sheets: Vec<RawSheet>,
    list: Vec<ListRow>,
    has_list: bool,
    /// Made from the tool's own form (its 記入要領 states the sign convention).
    tool_form: bool,
    findings: Vec<Finding>,
    /// Modification time of a workbook file (None for anything else): of
    /// two files of one department, the newer is read.
    modified: Option<std::time::SystemTime>,
}

/// Runs the whole pipeline on `input_dir` (which holds `submissions/`).
pub fn run(input_dir: &Path, config: &PlanConfig) -> anyhow::Result<Run> {
    let submissions = input_dir.join("submissions");
    if !submissions.is_dir() {
        anyhow::bail!("{}: フォルダがありません。各部のブックは入力フォルダの submissions/ に入れてください（gyokaku init で作れます）", submissions.display());
    }
    let mut decisions = Decisions::load(input_dir)?;
    let (files, skipped, temporary) = list_files(&submissions)?;
    let mut reads: Vec<WorkbookRead> = files
        .par_iter()
        .map(|path| read_one(path, &submissions, config))
        .collect();
    reads.extend(skipped.into_iter().map(|f| WorkbookRead { file: f.file.clone(), findings: vec![f], ..Default::default() }));
    if let Some(f) = files::temp_files_finding("submissions", &temporary) {
        reads.push(WorkbookRead { file: f.file.clone(), findings: vec![f], ..Default::default() });
    }
    // One current file per department: of two, the newer is read, and the
    // older is neither read nor reported on (one info line names both).
    let (reads, notices, renames) = current_files(reads, config);
    retarget(&mut decisions, &renames);
    let mut run = assemble(reads, config, &decisions);
    run.findings.extend(notices);
    if input_dir.join("progress").is_dir() {
        run.rounds = crate::progress::results::read_rounds(input_dir, config, &mut run.items, &mut run.findings);
        let renames: Vec<(String, String)> = run.rounds.iter().flat_map(|r| r.superseded.iter().cloned()).collect();
        retarget(&mut decisions, &renames);
    }
    run.decided = decisions.settle(&mut run.findings);
    include_decided_amounts(&mut run);
    mark_items_with_errors(&mut run.items, &run.findings);
    let rank = |d: &str| if d.is_empty() { usize::MAX } else { config.departments.iter().position(|x| x.name == d).unwrap_or(usize::MAX - 1) };
    sort_findings(&mut run.findings, &rank);
    Ok(run)
}

/// The reads of each department's current file (and of everything that is
/// no department's file), the info findings naming the files set aside,
/// and which file each set-aside file gave way to.
fn current_files(reads: Vec<WorkbookRead>, config: &PlanConfig) -> (Vec<WorkbookRead>, Vec<Finding>, Vec<(String, String)>) {
    let normalizer = Normalizer::new(config);
    let candidates: Vec<files::Candidate> = reads
        .iter()
        .filter(|r| r.modified.is_some())
        .map(|r| files::Candidate { file: r.file.clone(), department: department_of(r, &normalizer).unwrap_or_default(), modified: r.modified })
        .collect();
    let (renames, notices) = files::superseded(&candidates);
    let reads = reads.into_iter().filter(|r| !renames.iter().any(|(older, _)| *older == r.file)).collect();
    (reads, notices, renames)
}

/// Decisions taken on a file that a newer one of its department replaced
/// answer the same place in the newer file: a department resending its
/// workbook under another name (its return, `…_差し戻し.xlsx`) keeps the
/// office's decisions while the cells read as they did.
fn retarget(decisions: &mut Decisions, renames: &[(String, String)]) {
    for decision in &mut decisions.list {
        let Some((file, rest)) = decision.place.split_once('›') else { continue };
        if let Some((_, current)) = renames.iter().find(|(older, _)| older == file.trim()) {
            decision.place = format!("{current} ›{rest}");
        }
    }
}

/// An amount validation questioned (V223) is left out of totals, unless the
/// office accepted it (decisions.toml): then it counts, and the documents
/// say who decided and why.
fn include_decided_amounts(run: &mut Run) {
    for decided in &run.decided {
        if decided.finding.code != Code::ImplausibleFiscalEffect.id() {
            continue;
        }
        let place = (decided.finding.file.as_str(), decided.finding.sheet.as_deref());
        for item in run.items.iter_mut().filter(|i| (i.source.file.as_str(), Some(i.source.sheet.as_str())) == place) {
            item.fiscal_doubt = false;
            item.fiscal_included = Some(decided.decision.reason.clone());
        }
    }
}

/// `has_errors` of each item: an error left (not decided) on its sheet or
/// on its row of its department's list.
fn mark_items_with_errors(items: &mut [Item], findings: &[Finding]) {
    let sheets_with_errors: HashSet<(&str, &str)> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| f.sheet.as_deref().map(|s| (f.file.as_str(), s)))
        .collect();
    let list_rows_with_errors: HashSet<(&str, &str, u32)> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| Some((f.file.as_str(), f.sheet.as_deref()?, row_of(f.cell.as_deref()?)?)))
        .collect();
    for item in items.iter_mut() {
        let on_list = match (&item.source.list_sheet, item.source.list_row) {
            (Some(sheet), Some(row)) => list_rows_with_errors.contains(&(item.source.file.as_str(), sheet.as_str(), row)),
            _ => false,
        };
        item.has_errors = on_list || sheets_with_errors.contains(&(item.source.file.as_str(), item.source.sheet.as_str()));
    }
}

/// Every file under `dir`, sorted by path, so runs are deterministic, and
/// a finding for each entry that is not read: a link leading out of the
/// folder (or to a folder, which could loop), and a folder named like a
/// workbook (its contents are read like any subfolder's). Office temporary
/// files (lock files) are neither read nor reported one by one: their
/// names come back apart, for one line.
fn list_files(dir: &Path) -> anyhow::Result<(Vec<PathBuf>, Vec<Finding>, Vec<String>)> {
    let root = dir.canonicalize().map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let display = |path: &Path| path.strip_prefix(dir).unwrap_or(path).to_string_lossy().replace('\\', "/");
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut temporary = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| anyhow::anyhow!("{}: {e}", d.display()))? {
            let entry = entry?;
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if files::is_office_temp(name) {
                temporary.push(display(&path));
                continue;
            }
            if name.starts_with('.') {
                continue;
            }
            // file_type() does not follow links, so a link to a parent
            // folder cannot send the walk round in circles.
            let kind = entry.file_type()?;
            if kind.is_symlink() {
                let target = path.canonicalize().ok();
                let inside = target.as_ref().is_some_and(|t| t.starts_with(&root) && t.is_file());
                if inside {
                    out.push(path);
                } else {
                    skipped.push(Finding::new(
                        Code::NotARegularFile,
                        &display(&path),
                        "提出フォルダの外（またはフォルダ）を指すリンクのため読み飛ばしました",
                        "リンクではなくブックそのものを提出フォルダに置いてください",
                    ));
                }
            } else if kind.is_dir() {
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
                if WORKBOOK_EXTENSIONS.contains(&ext.as_str()) {
                    skipped.push(Finding::new(
                        Code::NotAWorkbook,
                        &display(&path),
                        "ブックの名前を持つフォルダです（ブックではありません）。中のファイルは通常のフォルダとして読みました",
                        "ブックそのものを提出フォルダに置いてください",
                    ));
                }
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    temporary.sort();
    Ok((out, skipped, temporary))
}

fn read_one(path: &Path, root: &Path, config: &PlanConfig) -> WorkbookRead {
    let display = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
    let mut read = WorkbookRead { file: display.clone(), ..Default::default() };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !WORKBOOK_EXTENSIONS.contains(&ext.as_str()) {
        read.findings.push(Finding::new(
            Code::NotAWorkbook,
            &display,
            "ブック（.xlsx / .xls / .ods）ではないため読み飛ばしました",
            "個票はExcelのブックで提出してください",
        ));
        return read;
    }
    read.modified = std::fs::metadata(path).ok().filter(|m| m.is_file()).and_then(|m| m.modified().ok());
    let (workbook, findings) = read_workbook_limited(path, &display, &config.limits);
    read.findings = findings;
    let Some(workbook) = workbook else { return read };
    read.tool_form = crate::ingest::reader::is_tool_form(&workbook.sheets);
    // A returned workbook sent back: the tool's listing is not the department's.
    for grid in workbook.own_sheets() {
        let (content, findings) = read_sheet(grid, &display, &config.years);
        read.findings.extend(findings);
        match content {
            SheetContent::Item(sheet) => read.sheets.push(sheet),
            SheetContent::List(rows) => {
                read.has_list = true;
                read.list.extend(rows);
            }
            SheetContent::Skipped => {}
        }
    }
    if read.sheets.is_empty() && !read.has_list {
        read.findings.push(Finding::new(
            Code::EmptyWorkbook,
            &display,
            "取組項目個票も優先順位一覧も見つからないブックです",
            "提出するファイルを間違えていないか確認してください",
        ));
    }
    read
}

/// The department a file belongs to: named in its file name, or else the one
/// most of its items' primary sections belong to.
/// The department a workbook's own sheets name as their 主たる所管部署,
/// whatever the file is called: the site checks that an upload is the
/// uploader's before it becomes that department's current file.
pub fn department_in_content(path: &Path, config: &PlanConfig) -> Option<String> {
    let mut read = read_one(path, path.parent().unwrap_or(Path::new("")), config);
    read.file.clear();
    department_of(&read, &Normalizer::new(config))
}

fn department_of(read: &WorkbookRead, normalizer: &Normalizer) -> Option<String> {
    if let Some(d) = files::department_in_name(normalizer.config, &read.file) {
        return Some(d);
    }
    let mut votes: Vec<(String, usize)> = Vec::new();
    for sheet in &read.sheets {
        let first = sheet.text(crate::ingest::reader::Field::Primary);
        let first = crate::ingest::resolve::split_sections(&first).into_iter().next().unwrap_or_default();
        if let (Some(r), _) = normalizer.organisation.resolve(&first) {
            match votes.iter_mut().find(|(d, _)| *d == r.department) {
                Some((_, n)) => *n += 1,
                None => votes.push((r.department, 1)),
            }
        }
    }
    votes.into_iter().max_by_key(|(_, n)| *n).map(|(d, _)| d)
}

fn assemble(reads: Vec<WorkbookRead>, config: &PlanConfig, decisions: &Decisions) -> Run {
    let normalizer = Normalizer::with_decisions(config, decisions.clone());
    let mut findings = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut sheet_order: Vec<usize> = Vec::new();
    let mut submissions: Vec<DepartmentSubmission> = Vec::new();
    let mut files = Vec::new();
    let mut file_department: Vec<(String, String)> = Vec::new();

    for read in &reads {
        let department = department_of(read, &normalizer).unwrap_or_default();
        if department.is_empty() && (!read.sheets.is_empty() || read.has_list) {
            findings.push(Finding::new(
                Code::UnknownDepartment,
                &read.file,
                "どの部の提出ファイルか分かりません（ファイル名に部名がなく、所管部署も読めません）",
                "ファイル名に部名を入れてください（例: 01_総務部.xlsx）",
            ));
        }
        file_department.push((read.file.clone(), department.clone()));
        findings.extend(read.findings.iter().cloned());
        let sub_index = match submissions.iter().position(|s| s.department == department) {
            Some(i) => i,
            None => {
                submissions.push(DepartmentSubmission {
                    department: department.clone(),
                    list: Vec::new(),
                    items: Vec::new(),
                    has_list: false,
                    files: Vec::new(),
                });
                submissions.len() - 1
            }
        };
        let sub = &mut submissions[sub_index];
        if !read.sheets.is_empty() || read.has_list {
            sub.files.push(read.file.clone());
        }
        sub.has_list |= read.has_list;
        sub.list.extend(read.list.iter().map(|r| (read.file.clone(), r.clone())));
        for (i, sheet) in read.sheets.iter().enumerate() {
            let item = normalizer.item(sheet, &read.file, &department, read.tool_form, &mut findings);
            findings.extend(signed_zeros(sheet, &read.file, &[Field::WorkloadTarget, Field::FiscalTarget, Field::WorkloadResult, Field::FiscalResult], None));
            sub.items.push(items.len());
            items.push(item);
            sheet_order.push(i);
        }
        files.push(FileSummary {
            file: read.file.clone(),
            department,
            items: read.sheets.len(),
            list_rows: read.list.len(),
        });
    }

    for sub in &submissions {
        if sub.department.is_empty() || sub.files.is_empty() {
            continue;
        }
        match_list(sub, &mut items, &normalizer.organisation, &normalizer.taxonomy, &mut findings);
    }
    for item in &items {
        check_item(item, config, &mut findings);
        check_related(item, &normalizer.organisation, &mut findings);
        check_targets(item, config, &mut findings);
    }
    check_duplicates(&items, &mut findings);
    check_plausibility(&mut items, &mut findings);
    crate::check::check_across_items(&items, &mut findings);
    crate::check::plan_rows::check_plan_rows(reads.iter().zip(&file_department).flat_map(|(r, (_, d))| r.sheets.iter().map(move |s| (s, r.file.as_str(), d.as_str()))), &mut findings);

    // The proposing section: the list's 主たる所管部署 when the item is on a
    // list, else the sheet's first primary section.
    for item in &mut items {
        let from_list = item.list_section.as_deref().and_then(|s| normalizer.organisation.resolve(s).0);
        item.proposing_section = from_list.or_else(|| item.primary_resolved.first().cloned());
    }
    let counts = ProposalCounts {
        on_sheets: items
            .iter()
            .filter_map(|i| i.primary_resolved.first().map(|r| (r.department.clone(), r.section.clone(), format!("{} › {}", i.source.file, i.source.sheet))))
            .collect(),
        on_lists: items
            .iter()
            .filter_map(|i| i.list_section.as_deref().and_then(|s| normalizer.organisation.resolve(s).0).map(|r| (r, i)))
            .map(|(r, i)| {
                let place = match (&i.source.list_sheet, i.source.list_row) {
                    (Some(sheet), Some(row)) => format!("{} › {sheet} › {row}行目", i.source.file),
                    _ => i.source.file.clone(),
                };
                (r.department, r.section, place)
            })
            .collect(),
        departments_with_list: submissions.iter().filter(|s| s.has_list).map(|s| s.department.clone()).collect(),
    };
    check_proposal_counts(config, &counts, "plan.toml", &mut findings);

    // 項目番号: department order, then priority, then the order sheets were read.
    let department_rank = |name: &str| {
        config.departments.iter().position(|d| d.name == name).unwrap_or(config.departments.len())
    };
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| {
        let item = &items[i];
        (
            department_rank(&item.department),
            item.priority.unwrap_or(u32::MAX),
            item.source.list_row.unwrap_or(u32::MAX),
            item.source.file.clone(),
            sheet_order[i],
        )
    });
    let mut numbered: Vec<Item> = order.into_iter().map(|i| items[i].clone()).collect();
    for (n, item) in numbered.iter_mut().enumerate() {
        item.number = n as u32 + 1;
    }

    let department_of_file: HashMap<String, String> = file_department.into_iter().collect();
    for f in findings.iter_mut().filter(|f| f.department.is_empty()) {
        if let Some(d) = department_of_file.get(&f.file) {
            f.department = d.clone();
        }
    }
    sort_findings(&mut findings, &|d: &str| if d.is_empty() { usize::MAX } else { department_rank(d) });
    Run { items: numbered, findings, files, ..Default::default() }
}

/// The row number of an A1 reference ("D6" → 6).
fn row_of(cell: &str) -> Option<u32> {
    cell.trim_start_matches(|c: char| c.is_ascii_alphabetic()).parse().ok()
}
