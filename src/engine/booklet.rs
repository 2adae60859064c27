//! The 素案 booklet laid out from parts: the front matter, then groups of
//! departments' 個票, each laid out on its own and joined (typeset::merge).
//! A build keeps the parts in `PARTS_FOLDER`, so a rebuild lays out only
//! the parts whose data changed.

use super::context::{Context, Done};
use super::print_time;
use crate::config::PlanConfig;
use crate::documents::booklet::{BookletData, BookletPart};
use crate::model::Item;
use crate::typeset::{Compiled, TemplateError, Typesetter};
use crate::write::safe_file_name;
use rayon::prelude::*;
use serde::Serialize;

/// Folder in the output folder with the booklet's parts as last laid out
/// (each a deflated PDF and its index), so a rebuild lays out only the parts whose
/// data changed and joins them with the others' kept PDFs.
pub const PARTS_FOLDER: &str = ".gyokaku-parts";

/// Kinds of the files in `PARTS_FOLDER`: kept in the build record, not
/// listed in the manifest.
pub(crate) const PART_KINDS: [&str; 2] = ["booklet_part", "booklet_part_index"];

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
pub(crate) fn booklet_volume(cx: &Context, data: &BookletData, path: String, ident: &str) -> Result<Done, String> {
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
