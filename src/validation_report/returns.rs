//! 差し戻し: per department with findings, its own workbook sent back with
//! every finding marked on its cell (see annotate.rs), named
//! `差し戻し/NN_部名_差し戻し.xlsx`. A .xls or .ods cannot be edited in
//! place, so it gets a workbook with the listing alone. Inputs are only read.

use super::annotate::{Listing, annotate};
use crate::config::PlanConfig;
use crate::findings::{Finding, Severity};
use crate::pipeline::Run;
use crate::write::safe_file_name;
use crate::xlsx::{Formats, properties};
use rust_xlsxwriter::{Format, Workbook};
use std::path::{Path, PathBuf};

/// The folder the returns (and the per-department reports) go in.
pub const FOLDER: &str = "差し戻し";
/// Name of the listing sheet.
pub const LISTING_SHEET: &str = crate::ingest::marks::LISTING_SHEET;

/// What a return's file name ends with.
const SUFFIX: &str = "_差し戻し";

/// One workbook to send back.
pub struct Return {
    pub department: String,
    /// Relative to the report folder: `差し戻し/01_総務部_差し戻し.xlsx`.
    pub path: String,
    pub bytes: Vec<u8>,
    /// The input it is a marked copy of; None for a listing alone.
    pub source: Option<String>,
    pub findings: usize,
    /// Findings put as a note on their cell.
    pub marked: usize,
    /// Cells given a note.
    pub notes: usize,
}

/// `01_総務部`: how the department's files start.
pub fn department_prefix(config: &PlanConfig, department: &str) -> Option<String> {
    config.department(department).map(|d| safe_file_name(&format!("{}_{}", d.code, d.name)))
}

/// One workbook to send back, before it is made: the department's input it
/// marks and the findings it carries. What goes in it is all here, so a
/// rebuild can tell from this alone whether the last one is still right.
pub struct Planned<'a> {
    pub department: &'a str,
    /// Relative to the report folder, as in `Return::path`.
    pub path: String,
    /// The input it marks (relative to submissions/ or the input folder);
    /// None for a department with no workbook, which gets a listing alone.
    pub file: Option<String>,
    pub findings: Vec<&'a Finding>,
}

/// The returns of every department with findings, in department order.
pub fn render(run: &Run, config: &PlanConfig, input_dir: &Path) -> anyhow::Result<Vec<Return>> {
    plan(run, config, input_dir).iter().map(|p| p.make(config, input_dir)).collect()
}

/// Which returns there are, and what each holds, without making them.
pub fn plan<'a>(run: &'a Run, config: &'a PlanConfig, input_dir: &Path) -> Vec<Planned<'a>> {
    let mut returns = Vec::new();
    for department in &config.departments {
        let findings: Vec<&Finding> = run.findings.iter().filter(|f| f.department == department.name).collect();
        if findings.is_empty() {
            continue;
        }
        let prefix = department_prefix(config, &department.name).unwrap_or_default();
        // The department's workbooks: its submissions first, then any
        // other workbook a finding names (a progress form).
        let mut files: Vec<String> = run.files.iter().filter(|s| s.department == department.name).map(|s| s.file.clone()).collect();
        for f in &findings {
            if !files.contains(&f.file) && locate(input_dir, &f.file).is_some() {
                files.push(f.file.clone());
            }
        }
        // Findings on no workbook (plan.toml, a folder) go in the first listing.
        let loose: Vec<&Finding> = findings.iter().copied().filter(|f| !files.contains(&f.file)).collect();
        if files.is_empty() {
            let path = format!("{FOLDER}/{prefix}_差し戻し.xlsx");
            returns.push(Planned { department: &department.name, path, file: None, findings: loose });
            continue;
        }
        for (i, file) in files.iter().enumerate() {
            let mut own: Vec<&Finding> = findings.iter().copied().filter(|f| f.file == *file).collect();
            if i == 0 {
                own.extend(&loose);
            }
            if own.is_empty() {
                continue;
            }
            let name = if i == 0 { format!("{prefix}{SUFFIX}.xlsx") } else { format!("{prefix}_{}{SUFFIX}.xlsx", file_label(file, &prefix)) };
            returns.push(Planned { department: &department.name, path: format!("{FOLDER}/{name}"), file: Some(file.clone()), findings: own });
        }
    }
    returns
}

impl Planned<'_> {
    /// Where the input it marks is, when it is there and the reader did
    /// not refuse it (a refused file is never read again: its return is
    /// the listing alone).
    pub fn source(&self, input_dir: &Path) -> Option<PathBuf> {
        self.file.as_deref().filter(|file| refusal(&self.findings, file).is_none()).and_then(|file| locate(input_dir, file))
    }

    /// The workbook: a marked copy of the input, or the listing alone.
    pub fn make(&self, config: &PlanConfig, input_dir: &Path) -> anyhow::Result<Return> {
        let department = self.department.to_string();
        let Some(file) = &self.file else {
            let note = "提出されたブックがないため、指摘の一覧のみです。".to_string();
            let bytes = listing_workbook(&self.findings, config, self.department, &format!("{}の確認結果", self.department), &note)?;
            return Ok(Return { department, path: self.path.clone(), bytes, source: None, findings: self.findings.len(), marked: 0, notes: 0 });
        };
        let (bytes, source, marked, notes) = return_for(input_dir, file, &self.findings, config, self.department)?;
        Ok(Return { department, path: self.path.clone(), bytes, source, findings: self.findings.len(), marked, notes })
    }
}

/// `progress/R6/01_総務部_R6進捗報告.xlsx` → `R6進捗報告` (the department's
/// prefix is already in the name; a return sent back,
/// `…_R6進捗報告_差し戻し.xlsx`, is labelled as its original).
fn file_label(file: &str, prefix: &str) -> String {
    let mut stem = Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or(file);
    while let Some(shorter) = stem.strip_suffix(SUFFIX).filter(|s| !s.is_empty()) {
        stem = shorter;
    }
    let label = stem.strip_prefix(prefix).unwrap_or(stem).trim_start_matches(['_', ' ', '-']);
    safe_file_name(if label.is_empty() { stem } else { label })
}

/// Why the reader refused `file`, when it did: a file it did not read
/// (not a regular file, over the size limit, unpacking past the limit,
/// not a workbook, password protected) is never opened to be marked.
fn refusal(findings: &[&Finding], file: &str) -> Option<&'static str> {
    use crate::findings::Code;
    let refused = [Code::NotARegularFile, Code::FileTooLarge, Code::UnpackedTooLarge, Code::Unreadable, Code::PasswordProtected];
    findings
        .iter()
        .filter(|f| f.file == file && f.sheet.is_none())
        .find_map(|f| refused.iter().find(|c| c.id() == f.code))
        .map(|c| match c {
            Code::NotARegularFile => "通常のファイルではないため",
            Code::FileTooLarge => "大きさが上限を超え、読み込んでいないため",
            Code::UnpackedTooLarge => "展開後の大きさが上限を超え、読み込んでいないため",
            Code::PasswordProtected => "パスワードで保護されているため",
            _ => "ブックとして読み込めなかったため",
        })
}

/// Where a finding's file is: under submissions/, or under the input folder
/// (progress/R6/…). Only files, never folders.
fn locate(input_dir: &Path, file: &str) -> Option<PathBuf> {
    // plan.toml is a file under the input folder too, but no workbook.
    let ext = Path::new(file).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !crate::ingest::workbook::WORKBOOK_EXTENSIONS.contains(&ext.as_str()) {
        return None;
    }
    [input_dir.join("submissions").join(file), input_dir.join(file)].into_iter().find(|p| p.is_file())
}

fn counts(findings: &[&Finding]) -> String {
    let n = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    format!("エラー {}件・警告 {}件・情報 {}件", n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}

/// The marked copy of `file`, or the listing alone when it cannot be
/// marked: (bytes, the file marked, findings marked, cells noted). The
/// reader's limits hold here too: a file it refused is not opened, and no
/// part inflates past `[limits] unpacked_mb`.
fn return_for(input_dir: &Path, file: &str, findings: &[&Finding], config: &PlanConfig, department: &str) -> anyhow::Result<(Vec<u8>, Option<String>, usize, usize)> {
    let title = format!("{file} の確認結果（{}）", department);
    let path = locate(input_dir, file);
    let ext = Path::new(file).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let size = path.as_ref().and_then(|p| std::fs::metadata(p).ok()).map(|m| m.len()).unwrap_or(0);
    let reason = match (&path, ext.as_str(), refusal(findings, file)) {
        (Some(_), "xlsx" | "xlsm", Some(why)) => format!("元のファイルは{why}、セルに印を付けられません。指摘の一覧のみです。"),
        (Some(_), "xlsx" | "xlsm", None) if size > config.limits.file_bytes() => "元のファイルが大きすぎるため、指摘の一覧のみです。".to_string(),
        (Some(path), "xlsx" | "xlsm", None) => {
            let original = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let listing = Listing {
                sheet_name: LISTING_SHEET,
                title: title.clone(),
                note: format!(
                    "{}。指摘のあるセルに色を付け、コメントに内容と修正方法を書いています（赤: エラー、黄: 警告、青: 情報）。「セル」の列から該当のセルへ移動できます。",
                    counts(findings)
                ),
                author: if config.plan.office.is_empty() { "事務局" } else { config.plan.office.as_str() },
                sections: section_list(config, department),
            };
            match annotate(&original, findings, &listing, config.limits.unpacked_bytes()) {
                Ok(annotated) => return Ok((annotated.bytes, Some(file.to_string()), annotated.marked, annotated.notes)),
                Err(e) => format!("元のブックに印を付けられなかったため（{e}）、指摘の一覧のみです。"),
            }
        }
        (Some(_), _, _) => format!("元のファイルが .{ext} 形式のためセルに印を付けられません。指摘の一覧のみです。"),
        (None, _, _) => "元のファイルが見つからないため、指摘の一覧のみです。".to_string(),
    };
    let note = format!("{}。{reason}", counts(findings));
    Ok((listing_workbook(findings, config, department, &title, &note)?, None, 0, 0))
}

/// The organisation's 課 as (部, 課), the department's own first: the
/// names its 主たる所管部署 and 関係部署 may be written with, listed beside
/// the findings so one can be picked rather than guessed.
pub fn section_list(config: &PlanConfig, department: &str) -> Vec<(String, String)> {
    let own = config.departments.iter().filter(|d| d.name == department);
    let others = config.departments.iter().filter(|d| d.name != department);
    own.chain(others).flat_map(|d| d.sections.iter().map(move |s| (d.name.clone(), s.name.clone()))).collect()
}

/// A workbook with the listing alone: the same columns as the marked copy's
/// first sheet, without links, and the 課 list beside them.
pub fn listing_workbook(findings: &[&Finding], config: &PlanConfig, department: &str, title: &str, note: &str) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    book.set_properties(&properties(config, title)?);
    let f = Formats::new();
    let sheet = book.add_worksheet();
    sheet.set_name(LISTING_SHEET)?;
    sheet.write_with_format(0, 0, title, &f.title)?;
    sheet.write(1, 0, note)?;
    // The header tells the listing from a department's sheet (ingest::marks).
    let widths = [5.0, 8.0, 7.0, 12.0, 8.0, 60.0, 45.0];
    let columns: Vec<(&str, f64)> = crate::ingest::marks::LISTING_ALONE_HEADER.into_iter().zip(widths).collect();
    for (c, (h, w)) in columns.iter().enumerate() {
        sheet.write_with_format(2, c as u16, *h, &f.header)?;
        sheet.set_column_width(c as u16, *w)?;
    }
    let error = f.wrap.clone().set_font_color(rust_xlsxwriter::Color::RGB(0xC00000)).set_bold();
    for (i, finding) in findings.iter().enumerate() {
        let r = 3 + i as u32;
        let severity: &Format = if finding.severity == Severity::Error { &error } else { &f.wrap };
        sheet.write_number_with_format(r, 0, (i + 1) as f64, &f.wrap)?;
        sheet.write_with_format(r, 1, finding.severity.label_ja(), severity)?;
        sheet.write_with_format(r, 2, finding.code, &f.wrap)?;
        sheet.write_with_format(r, 3, finding.sheet.as_deref().unwrap_or(""), &f.wrap)?;
        sheet.write_with_format(r, 4, finding.cell.as_deref().unwrap_or(""), &f.wrap)?;
        sheet.write_with_format(r, 5, &finding.message, &f.wrap)?;
        sheet.write_with_format(r, 6, &finding.hint, &f.wrap)?;
    }
    let sections = section_list(config, department);
    if !sections.is_empty() {
        sheet.set_column_width(7, 3)?;
        sheet.write(1, 8, crate::ingest::marks::SECTIONS_TITLE)?;
        for (c, (h, w)) in crate::ingest::marks::SECTIONS_HEADER.iter().zip([12.0, 30.0]).enumerate() {
            sheet.write_with_format(2, 8 + c as u16, *h, &f.header)?;
            sheet.set_column_width(8 + c as u16, w)?;
        }
        for (i, (department, section)) in sections.iter().enumerate() {
            sheet.write_with_format(3 + i as u32, 8, department, &f.wrap)?;
            sheet.write_with_format(3 + i as u32, 9, section, &f.wrap)?;
        }
    }
    sheet.set_freeze_panes(3, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    Ok(book.save_to_buffer()?)
}
