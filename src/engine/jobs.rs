//! The files a build writes, one job each (the per-item sheets in batches).

use super::booklet::booklet_volume;
use super::build::ManifestEntry;
use super::context::{Context, Done, Placed};
use super::sha256_hex;
use crate::documents::booklet::{BookletData, DocumentMeta, ItemSheetsData, PriorityListData, booklet_title};
use crate::documents::progress_report::ProgressReportData;
use crate::documents::summary::SummaryData;
use crate::documents::{items_xlsx, priority_xlsx, progress_report_xlsx};
use crate::model::Item;
use crate::typeset::Compiled;
use crate::validation_report::{self, read_override};
use crate::write::safe_file_name;
use rayon::prelude::*;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Job {
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
    pub(crate) fn steps(self) -> u64 {
        match self {
            Job::ItemSheets(start, end) => (end - start) as u64,
            _ => 1,
        }
    }

    /// Roughly how long the job takes, to start the long ones first.
    pub(crate) fn weight(self) -> usize {
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
    pub(crate) fn memory_mb(self, cx: &Context) -> usize {
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

    pub(crate) fn describe(self) -> &'static str {
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

    pub(crate) fn run(self, cx: &Context) -> Result<Done, String> {
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
                    let page = super::check::department_pdf(typesetter, path, data)?;
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

pub(crate) fn pdf_name(name: &str) -> String {
    format!("{}.pdf", safe_file_name(name))
}

fn xlsx_name(name: &str) -> String {
    format!("{}.xlsx", safe_file_name(name))
}

/// Items laid out together for their 進捗管理表: enough to share the
/// template's evaluation and the table layouts, few enough that Typst's
/// memo cache, emptied after each batch, stays small at any scale.
pub(crate) const ITEM_BATCH: usize = 100;

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
