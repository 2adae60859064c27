//! A department's own .xlsx, sent back with its findings marked: each
//! finding a note (comment) on its cell, the cell filled in the finding's
//! colour, and a first sheet listing the findings with links to their cells.
//!
//! The package is edited part by part instead of being read into a model
//! and written out again: every part we do not touch (other sheets, charts,
//! images, data validations, shared strings, the theme…) is copied byte for
//! byte, so nothing a department made can be lost or changed. What changes:
//! the marked sheets (a style index on the marked cells, a legacyDrawing
//! element), styles.xml (fills, fonts and cell formats appended, none
//! changed), workbook.xml (the listing sheet first), their rels and
//! [Content_Types].xml; added: the listing sheet, one comments part and one
//! VML drawing per marked sheet (a sheet with notes of its own keeps its
//! parts, and ours join them: a note of its own on a marked cell stays
//! first, ours follows).

use crate::findings::{Finding, Severity};
use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read, Write};

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const REL_WORKSHEET: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet";
const REL_COMMENTS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments";
const REL_VML: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing";
const REL_OFFICE_DOCUMENT: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument";
const CT_WORKSHEET: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
const CT_COMMENTS: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml";
const CT_VML: &str = "application/vnd.openxmlformats-officedocument.vmlDrawing";

/// Fill colours of a marked cell, by severity (Excel's own "bad", "neutral"
/// and a light blue for information).
fn fill_colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "FFFFC7CE",
        Severity::Warning => "FFFFEB9C",
        Severity::Info => "FFDDEBF7",
    }
}

/// What the listing sheet says at its top.
pub struct Listing<'a> {
    /// Sheet name of the listing (指摘一覧).
    pub sheet_name: &'a str,
    pub title: String,
    /// A line under the title (how to read the marks).
    pub note: String,
    /// Who the notes are from (the office).
    pub author: &'a str,
}

/// The edited package, and which findings could be marked on their cell.
pub struct Annotated {
    pub bytes: Vec<u8>,
    /// Findings put as a note on their cell.
    pub marked: usize,
}

/// `original` with `findings` (all of this workbook) marked and listed.
/// Fails on a package it does not understand; the caller then sends the
/// listing alone.
pub fn annotate(original: &[u8], findings: &[&Finding], listing: &Listing) -> anyhow::Result<Annotated> {
    let mut package = Package::open(original)?;
    let workbook_path = package.workbook_path()?;
    let workbook_dir = parent(&workbook_path);
    let workbook_rels_path = rels_path(&workbook_path);
    let mut workbook = package.text(&workbook_path)?;
    let mut workbook_rels = package.text(&workbook_rels_path)?;
    let styles_path = relationships(&workbook_rels)
        .into_iter()
        .find(|r| r.kind.ends_with("/styles"))
        .map(|r| resolve(&workbook_dir, &r.target))
        .ok_or_else(|| anyhow::anyhow!("no styles part"))?;
    let mut styles = Styles::parse(package.text(&styles_path)?)?;
    let mut content_types = package.text("[Content_Types].xml")?;

    // Sheets by name, with their part paths.
    let targets: HashMap<String, String> = relationships(&workbook_rels).into_iter().map(|r| (r.id, resolve(&workbook_dir, &r.target))).collect();
    let mut sheets: Vec<(String, String)> = Vec::new();
    for tag in start_tags(&workbook, "sheet") {
        let tag = &workbook[tag.0..tag.1];
        let name = attr(tag, "name").unwrap_or_default();
        let id = attr_suffix(tag, ":id").unwrap_or_default();
        if let Some(path) = targets.get(&id) {
            sheets.push((name, path.clone()));
        }
    }
    let sheet_path = |name: &str| sheets.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone());

    // Notes per sheet and cell: the findings joined, the worst severity.
    let mut notes: BTreeMap<String, BTreeMap<(u32, u32), (Severity, Vec<String>)>> = BTreeMap::new();
    for f in findings {
        let (Some(sheet), Some(cell)) = (&f.sheet, &f.cell) else { continue };
        let (Some(_), Some(at)) = (sheet_path(sheet), parse_a1(cell)) else { continue };
        let entry = notes.entry(sheet.clone()).or_default().entry(at).or_insert((f.severity, Vec::new()));
        entry.0 = entry.0.min(f.severity);
        entry.1.push(note_text(f));
    }

    let mut marked = 0;
    let mut drawing = 0;
    for (sheet, cells) in &notes {
        let path = sheet_path(sheet).expect("sheet was looked up");
        let mut xml = package.text(&path)?;
        for (&(row, col), (severity, _)) in cells {
            let base = cell_base_style(&xml, row, col);
            let style = styles.marked(base, *severity);
            xml = set_cell_style(&xml, row, col, style)?;
        }
        // A sheet with notes (or controls) of its own: ours join them; if
        // that cannot be done, they are in the listing only.
        if xml.contains("<legacyDrawing") {
            if let Ok(types) = add_to_existing_notes(&mut package, &workbook_dir, &path, &xml, cells, listing.author, &content_types) {
                content_types = types;
                marked += cells.values().map(|(_, texts)| texts.len()).sum::<usize>();
            }
            package.replace(&path, xml);
            continue;
        }
        drawing += 1;
        let comments_path = package.free_name(&format!("{workbook_dir}comments"), "xml", drawing);
        let vml_path = package.free_name(&format!("{workbook_dir}drawings/vmlDrawing"), "vml", drawing);
        let sheet_rels_path = rels_path(&path);
        let mut sheet_rels = package.text(&sheet_rels_path).unwrap_or_else(|_| empty_rels());
        let comments_id = free_rel_id(&sheet_rels);
        sheet_rels = add_relationship(&sheet_rels, &comments_id, REL_COMMENTS, &relative(&parent(&path), &comments_path));
        let vml_id = free_rel_id(&sheet_rels);
        sheet_rels = add_relationship(&sheet_rels, &vml_id, REL_VML, &relative(&parent(&path), &vml_path));
        xml = insert_legacy_drawing(&xml, &vml_id)?;
        package.replace(&path, xml);
        package.replace(&sheet_rels_path, sheet_rels);
        package.add(&comments_path, comments_xml(cells, listing.author));
        package.add(&vml_path, vml_xml(cells, drawing));
        content_types = add_override(&content_types, &comments_path, CT_COMMENTS);
        if !content_types.contains("Extension=\"vml\"") {
            content_types = content_types.replacen("<Override", &format!("<Default Extension=\"vml\" ContentType=\"{CT_VML}\"/><Override"), 1);
        }
        marked += cells.values().map(|(_, texts)| texts.len()).sum::<usize>();
    }

    // The listing, first in the workbook and the sheet it opens on.
    let sheet_names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    let mut name = listing.sheet_name.to_string();
    let mut n = 2;
    while sheet_names.contains(&name.as_str()) {
        name = format!("{} ({n})", listing.sheet_name);
        n += 1;
    }
    let listing_path = package.free_name(&format!("{workbook_dir}worksheets/findings"), "xml", 1);
    let listing_xml = listing_sheet(findings, listing, &sheet_names, &mut styles);
    package.add(&listing_path, listing_xml);
    let listing_id = free_rel_id(&workbook_rels);
    workbook_rels = add_relationship(&workbook_rels, &listing_id, REL_WORKSHEET, &relative(&workbook_dir, &listing_path));
    workbook = add_listing_to_workbook(&workbook, &name, &listing_id)?;
    content_types = add_override(&content_types, &listing_path, CT_WORKSHEET);
    // Only the listing is selected, so the sheets are not grouped.
    for (_, path) in &sheets {
        let xml = package.text(path)?;
        if xml.contains("tabSelected=\"1\"") {
            package.replace(path, xml.replace(" tabSelected=\"1\"", ""));
        }
    }

    package.replace(&workbook_path, workbook);
    package.replace(&workbook_rels_path, workbook_rels);
    package.replace(&styles_path, styles.finish());
    package.replace("[Content_Types].xml", content_types);
    Ok(Annotated { bytes: package.save()?, marked })
}

/// `[エラー V201] message` and the hint on its own line.
fn note_text(f: &Finding) -> String {
    let mut text = format!("[{} {}] {}", f.severity.label_ja(), f.code, f.message);
    if !f.hint.is_empty() {
        text.push_str(&format!("\n→ {}", f.hint));
    }
    text
}

// ---------------------------------------------------------------------------
// The package: parts read on demand, replaced or added; the rest copied raw.

struct Package {
    archive: zip::ZipArchive<Cursor<Vec<u8>>>,
    names: Vec<String>,
    replaced: HashMap<String, Vec<u8>>,
    added: Vec<(String, Vec<u8>)>,
}

impl Package {
    fn open(bytes: &[u8]) -> anyhow::Result<Package> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec()))?;
        // Entry names in the archive's own order.
        let mut ordered = Vec::with_capacity(archive.len());
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i)?;
            ordered.push(entry.name()?.to_string());
        }
        Ok(Package { archive, names: ordered, replaced: HashMap::new(), added: Vec::new() })
    }

    fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name) || self.added.iter().any(|(n, _)| n == name)
    }

    /// A part as text: its replacement if there is one.
    fn text(&mut self, name: &str) -> anyhow::Result<String> {
        if let Some(bytes) = self.replaced.get(name).or_else(|| self.added.iter().find(|(n, _)| n == name).map(|(_, b)| b)) {
            return Ok(String::from_utf8(bytes.clone())?);
        }
        let mut file = self.archive.by_name(name).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        Ok(text)
    }

    fn replace(&mut self, name: &str, text: String) {
        if self.names.iter().any(|n| n == name) {
            self.replaced.insert(name.to_string(), text.into_bytes());
        } else {
            self.add(name, text);
        }
    }

    fn add(&mut self, name: &str, text: String) {
        self.added.retain(|(n, _)| n != name);
        self.added.push((name.to_string(), text.into_bytes()));
    }

    /// `stemN.ext` with the first N from `from` that no part has.
    fn free_name(&self, stem: &str, ext: &str, from: usize) -> String {
        (from..).map(|n| format!("{stem}{n}.{ext}")).find(|name| !self.has(name)).expect("a free name")
    }

    /// The main workbook part, as the package's root relationships name it.
    fn workbook_path(&mut self) -> anyhow::Result<String> {
        let rels = self.text("_rels/.rels")?;
        relationships(&rels)
            .into_iter()
            .find(|r| r.kind == REL_OFFICE_DOCUMENT)
            .map(|r| r.target.trim_start_matches('/').to_string())
            .ok_or_else(|| anyhow::anyhow!("no workbook part"))
    }

    /// The package with its untouched entries copied as they are
    /// (compressed bytes included) and a fixed date on new ones, so the
    /// same inputs give the same bytes.
    fn save(mut self) -> anyhow::Result<Vec<u8>> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        for name in self.names.clone() {
            match self.replaced.remove(&name) {
                Some(bytes) => {
                    out.start_file(name.as_str(), options)?;
                    out.write_all(&bytes)?;
                }
                None => out.raw_copy_file(self.archive.by_name(&name)?)?,
            }
        }
        for (name, bytes) in &self.added {
            out.start_file(name.as_str(), options)?;
            out.write_all(bytes)?;
        }
        Ok(out.finish()?.into_inner())
    }
}

// ---------------------------------------------------------------------------
// Small XML helpers over the text: enough for the parts Excel and other
// tools write (default namespace, attributes in double or single quotes).

/// Start tags `<name …>` or `<name …/>` as (start, end) byte ranges.
fn start_tags(xml: &str, name: &str) -> Vec<(usize, usize)> {
    let open = format!("<{name}");
    let mut tags = Vec::new();
    let mut from = 0;
    while let Some(i) = xml[from..].find(&open) {
        let start = from + i;
        let after = xml[start + open.len()..].chars().next();
        from = start + open.len();
        if !matches!(after, Some(' ' | '>' | '/' | '\n' | '\r' | '\t')) {
            continue;
        }
        let Some(end) = xml[start..].find('>') else { break };
        tags.push((start, start + end + 1));
        from = start + end + 1;
    }
    tags
}

/// The whole element whose start tag is `tag` (up to its `</name>`).
fn element_end(xml: &str, tag: (usize, usize), name: &str) -> usize {
    if xml[..tag.1].ends_with("/>") {
        return tag.1;
    }
    let close = format!("</{name}>");
    xml[tag.1..].find(&close).map(|i| tag.1 + i + close.len()).unwrap_or(tag.1)
}

fn attr(tag: &str, name: &str) -> Option<String> {
    for quote in ['"', '\''] {
        let key = format!(" {name}={quote}");
        if let Some(i) = tag.find(&key).or_else(|| tag.find(&format!("\n{name}={quote}"))) {
            let rest = &tag[i + key.len()..];
            let end = rest.find(quote)?;
            return Some(unescape(&rest[..end]));
        }
    }
    None
}

/// The value of the first attribute whose name ends in `suffix` (r:id with
/// whatever prefix the file uses).
fn attr_suffix(tag: &str, suffix: &str) -> Option<String> {
    let i = tag.find(&format!("{suffix}=\""))?;
    let rest = &tag[i + suffix.len() + 2..];
    Some(unescape(&rest[..rest.find('"')?]))
}

/// `tag` with attribute `name` set to `value` (added before the tag's end).
fn set_attr(tag: &str, name: &str, value: &str) -> String {
    for quote in ['"', '\''] {
        let key = format!(" {name}={quote}");
        if let Some(i) = tag.find(&key) {
            let start = i + key.len();
            if let Some(len) = tag[start..].find(quote) {
                return format!("{}{}{}", &tag[..start], value, &tag[start + len..]);
            }
        }
    }
    let end = if tag.ends_with("/>") { tag.len() - 2 } else { tag.len() - 1 };
    format!("{} {name}=\"{value}\"{}", tag[..end].trim_end(), &tag[end..])
}

fn remove_attr(tag: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    match tag.find(&key) {
        Some(i) => match tag[i + key.len()..].find('"') {
            Some(len) => format!("{}{}", &tag[..i], &tag[i + key.len() + len + 1..]),
            None => tag.to_string(),
        },
        None => tag.to_string(),
    }
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 cannot carry are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

struct Relationship {
    id: String,
    kind: String,
    target: String,
}

fn relationships(xml: &str) -> Vec<Relationship> {
    start_tags(xml, "Relationship")
        .into_iter()
        .map(|(s, e)| {
            let tag = &xml[s..e];
            Relationship {
                id: attr(tag, "Id").unwrap_or_default(),
                kind: attr(tag, "Type").unwrap_or_default(),
                target: attr(tag, "Target").unwrap_or_default(),
            }
        })
        .collect()
}

fn empty_rels() -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"{PKG_REL_NS}\"></Relationships>")
}

/// An Id no relationship of `rels` has.
fn free_rel_id(rels: &str) -> String {
    let ids: Vec<String> = relationships(rels).into_iter().map(|r| r.id).collect();
    (1..).map(|n| format!("rId{n}")).find(|id| !ids.contains(id)).expect("a free id")
}

fn add_relationship(rels: &str, id: &str, kind: &str, target: &str) -> String {
    let element = format!("<Relationship Id=\"{id}\" Type=\"{kind}\" Target=\"{}\"/>", escape(target));
    match rels.rfind("</Relationships>") {
        Some(i) => format!("{}{element}{}", &rels[..i], &rels[i..]),
        // <Relationships …/> with no children.
        None => match rels.rfind("/>") {
            Some(i) => format!("{}>{element}</Relationships>{}", &rels[..i], &rels[i + 2..]),
            None => rels.to_string(),
        },
    }
}

fn add_override(types: &str, part: &str, content_type: &str) -> String {
    let element = format!("<Override PartName=\"/{}\" ContentType=\"{content_type}\"/>", escape(part));
    match types.rfind("</Types>") {
        Some(i) => format!("{}{element}{}", &types[..i], &types[i..]),
        None => types.to_string(),
    }
}

/// `xl/worksheets/sheet1.xml` → `xl/worksheets/_rels/sheet1.xml.rels`.
fn rels_path(part: &str) -> String {
    let (dir, file) = part.rsplit_once('/').map(|(d, f)| (format!("{d}/"), f)).unwrap_or((String::new(), part));
    format!("{dir}_rels/{file}.rels")
}

/// The folder of a part, with its trailing slash (`xl/`).
fn parent(part: &str) -> String {
    part.rsplit_once('/').map(|(d, _)| format!("{d}/")).unwrap_or_default()
}

/// A relationship target resolved against the folder of its source part.
fn resolve(dir: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_string();
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for piece in target.split('/') {
        match piece {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The target to write in a relationship from a part in `dir` to `to`.
fn relative(dir: &str, to: &str) -> String {
    let from: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from.iter().zip(&to_parts).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; from.len() - common];
    out.extend(&to_parts[common..]);
    out.join("/")
}

/// `C12` → (row 12, column 3), both 1-based.
fn parse_a1(cell: &str) -> Option<(u32, u32)> {
    let letters: String = cell.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let row: u32 = cell[letters.len()..].parse().ok()?;
    if letters.is_empty() || row == 0 {
        return None;
    }
    let col = letters.bytes().fold(0u32, |acc, b| acc * 26 + (b.to_ascii_uppercase() - b'A' + 1) as u32);
    Some((row, col))
}

fn a1(row: u32, col: u32) -> String {
    crate::ingest::workbook::a1(row as usize - 1, col as usize - 1)
}

// ---------------------------------------------------------------------------
// Styles: fills, fonts and cell formats appended; existing indices unchanged.

struct Styles {
    xml: String,
    /// Existing and added <xf> elements of cellXfs.
    xfs: Vec<String>,
    xfs_original: usize,
    fonts_added: Vec<String>,
    fonts_original: usize,
    fills_added: Vec<String>,
    fills_original: usize,
    /// (base xf, severity) → marked xf.
    marked: HashMap<(usize, Severity), usize>,
    listing: Option<ListingStyles>,
}

/// Cell formats of the listing sheet.
#[derive(Clone, Copy)]
struct ListingStyles {
    title: usize,
    header: usize,
    text: usize,
    link: usize,
    severity: [usize; 3],
}

fn section_span(xml: &str, name: &str) -> Option<(usize, usize, usize)> {
    let tag = *start_tags(xml, name).first()?;
    let end = element_end(xml, tag, name);
    Some((tag.0, tag.1, end))
}

fn children(xml: &str, inner: (usize, usize), name: &str) -> Vec<String> {
    let body = &xml[inner.0..inner.1];
    start_tags(body, name).into_iter().map(|t| body[t.0..element_end(body, t, name)].to_string()).collect()
}

impl Styles {
    fn parse(xml: String) -> anyhow::Result<Styles> {
        let missing = |what: &str| anyhow::anyhow!("styles.xml has no {what}");
        let (_, fonts_open, fonts_end) = section_span(&xml, "fonts").ok_or_else(|| missing("fonts"))?;
        let (_, fills_open, fills_end) = section_span(&xml, "fills").ok_or_else(|| missing("fills"))?;
        let (_, xfs_open, xfs_end) = section_span(&xml, "cellXfs").ok_or_else(|| missing("cellXfs"))?;
        let fonts = children(&xml, (fonts_open, fonts_end), "font").len();
        let fills = children(&xml, (fills_open, fills_end), "fill").len();
        let xfs = children(&xml, (xfs_open, xfs_end), "xf");
        if xfs.is_empty() {
            return Err(missing("cell formats"));
        }
        Ok(Styles {
            xfs_original: xfs.len(),
            xfs,
            fonts_original: fonts,
            fonts_added: Vec::new(),
            fills_original: fills,
            fills_added: Vec::new(),
            marked: HashMap::new(),
            listing: None,
            xml,
        })
    }

    fn add_fill(&mut self, rgb: &str) -> usize {
        let fill = format!("<fill><patternFill patternType=\"solid\"><fgColor rgb=\"{rgb}\"/><bgColor indexed=\"64\"/></patternFill></fill>");
        if let Some(i) = self.fills_added.iter().position(|f| *f == fill) {
            return self.fills_original + i;
        }
        self.fills_added.push(fill);
        self.fills_original + self.fills_added.len() - 1
    }

    fn add_font(&mut self, font: String) -> usize {
        self.fonts_added.push(font);
        self.fonts_original + self.fonts_added.len() - 1
    }

    fn add_xf(&mut self, xf: String) -> usize {
        self.xfs.push(xf);
        self.xfs.len() - 1
    }

    /// The format `base` with the fill of `severity`.
    fn marked(&mut self, base: usize, severity: Severity) -> usize {
        if let Some(&xf) = self.marked.get(&(base, severity)) {
            return xf;
        }
        let fill = self.add_fill(fill_colour(severity));
        let source = self.xfs.get(base).or(self.xfs.first()).cloned().unwrap_or_default();
        let open_end = source.find('>').map(|i| i + 1).unwrap_or(source.len());
        let tag = set_attr(&set_attr(&source[..open_end], "fillId", &fill.to_string()), "applyFill", "1");
        let xf = self.add_xf(format!("{tag}{}", &source[open_end..]));
        self.marked.insert((base, severity), xf);
        xf
    }

    fn listing(&mut self) -> ListingStyles {
        if let Some(styles) = self.listing {
            return styles;
        }
        let font = |extra: &str, size: u32, colour: &str| {
            format!("<font>{extra}<sz val=\"{size}\"/><color rgb=\"{colour}\"/><name val=\"BIZ UDPゴシック\"/><family val=\"3\"/><charset val=\"128\"/></font>")
        };
        let title_font = self.add_font(font("<b/>", 14, "FF000000"));
        let bold = self.add_font(font("<b/>", 10, "FF000000"));
        let plain = self.add_font(font("", 10, "FF000000"));
        let link_font = self.add_font(font("<u/>", 10, "FF1A4F8B"));
        let header_fill = self.add_fill("FFD9D9D9");
        let top = "<alignment vertical=\"top\" wrapText=\"1\"/>";
        let xf = |font: usize, fill: usize, alignment: &str| {
            format!("<xf numFmtId=\"0\" fontId=\"{font}\" fillId=\"{fill}\" borderId=\"0\" xfId=\"0\" applyFont=\"1\" applyFill=\"1\" applyAlignment=\"1\">{alignment}</xf>")
        };
        let title = self.add_xf(xf(title_font, 0, ""));
        let header = self.add_xf(xf(bold, header_fill, "<alignment vertical=\"center\" wrapText=\"1\"/>"));
        let text = self.add_xf(xf(plain, 0, top));
        let link = self.add_xf(xf(link_font, 0, top));
        let mut severity = [0; 3];
        for (i, s) in [Severity::Error, Severity::Warning, Severity::Info].into_iter().enumerate() {
            let fill = self.add_fill(fill_colour(s));
            severity[i] = self.add_xf(xf(bold, fill, "<alignment horizontal=\"center\" vertical=\"top\"/>"));
        }
        let styles = ListingStyles { title, header, text, link, severity };
        self.listing = Some(styles);
        styles
    }

    /// styles.xml with the additions appended and the counts updated.
    fn finish(self) -> String {
        let mut xml = self.xml;
        // Edit from the end of the file backwards so earlier offsets hold.
        let mut sections: Vec<(&str, &str, Vec<String>, usize)> = vec![
            ("fonts", "font", self.fonts_added, self.fonts_original),
            ("fills", "fill", self.fills_added, self.fills_original),
            ("cellXfs", "xf", self.xfs[self.xfs_original..].to_vec(), self.xfs_original),
        ];
        sections.sort_by_key(|(name, ..)| std::cmp::Reverse(section_span(&xml, name).map(|s| s.0).unwrap_or(0)));
        for (name, _, added, original) in sections {
            if added.is_empty() {
                continue;
            }
            let Some((start, open_end, end)) = section_span(&xml, name) else { continue };
            let count = (original + added.len()).to_string();
            let open = set_attr(&xml[start..open_end], "count", &count);
            let self_closing = xml[..open_end].ends_with("/>");
            let body = if self_closing { String::new() } else { xml[open_end..end - name.len() - 3].to_string() };
            let open = if self_closing { format!("{}>", open.trim_end_matches("/>").trim_end()) } else { open };
            xml = format!("{}{open}{body}{}</{name}>{}", &xml[..start], added.concat(), &xml[end..]);
        }
        xml
    }
}

// ---------------------------------------------------------------------------
// Sheets: a style on a cell, created when the cell is not in the file.

/// The format an empty cell shows: its row's when the row has one, else
/// its column's, else the default.
fn cell_base_style(xml: &str, row: u32, col: u32) -> usize {
    for (s, e) in start_tags(xml, "c") {
        let tag = &xml[s..e];
        if attr(tag, "r").and_then(|r| parse_a1(&r)) == Some((row, col)) {
            return attr(tag, "s").and_then(|v| v.parse().ok()).unwrap_or(0);
        }
    }
    for (s, e) in start_tags(xml, "row") {
        let tag = &xml[s..e];
        if attr(tag, "r").and_then(|r| r.parse::<u32>().ok()) == Some(row) && attr(tag, "customFormat").as_deref() == Some("1") {
            return attr(tag, "s").and_then(|v| v.parse().ok()).unwrap_or(0);
        }
    }
    for (s, e) in start_tags(xml, "col") {
        let tag = &xml[s..e];
        let min: u32 = attr(tag, "min").and_then(|v| v.parse().ok()).unwrap_or(0);
        let max: u32 = attr(tag, "max").and_then(|v| v.parse().ok()).unwrap_or(0);
        if (min..=max).contains(&col) {
            return attr(tag, "style").and_then(|v| v.parse().ok()).unwrap_or(0);
        }
    }
    0
}

/// Sets cell (row, col)'s style, adding the cell (and its row) in order
/// when the sheet does not have it.
fn set_cell_style(xml: &str, row: u32, col: u32, style: usize) -> anyhow::Result<String> {
    let mut xml = xml.to_string();
    if let Some((s, e)) = start_tags(&xml, "sheetData").first().copied() {
        if xml[..e].ends_with("/>") {
            xml.replace_range(s..e, "<sheetData></sheetData>");
        }
    }
    let data_start = xml.find("<sheetData").ok_or_else(|| anyhow::anyhow!("no sheetData"))?;
    let data_end = xml.find("</sheetData>").ok_or_else(|| anyhow::anyhow!("no sheetData end"))?;
    let new_cell = format!("<c r=\"{}\" s=\"{style}\"/>", a1(row, col));
    for (s, e) in start_tags(&xml[data_start..data_end], "row").into_iter().map(|(s, e)| (s + data_start, e + data_start)) {
        let tag = xml[s..e].to_string();
        let r: u32 = attr(&tag, "r").and_then(|v| v.parse().ok()).ok_or_else(|| anyhow::anyhow!("a row without its number"))?;
        if r > row {
            xml.insert_str(s, &format!("<row r=\"{row}\">{new_cell}</row>"));
            return Ok(xml);
        }
        if r < row {
            continue;
        }
        // This row: find the cell, or the place for it.
        let open = remove_attr(&tag, "spans");
        if tag.ends_with("/>") {
            let open = format!("{}>", open.trim_end_matches("/>").trim_end());
            xml.replace_range(s..e, &format!("{open}{new_cell}</row>"));
            return Ok(xml);
        }
        let row_end = element_end(&xml, (s, e), "row");
        let body_start = e;
        let body_end = row_end - "</row>".len();
        let cells = start_tags(&xml[body_start..body_end], "c");
        for (cs, ce) in cells.into_iter().map(|(a, b)| (a + body_start, b + body_start)) {
            let cell_tag = xml[cs..ce].to_string();
            let (_, c) = attr(&cell_tag, "r").and_then(|v| parse_a1(&v)).ok_or_else(|| anyhow::anyhow!("a cell without its reference"))?;
            if c == col {
                xml.replace_range(cs..ce, &set_attr(&cell_tag, "s", &style.to_string()));
                return Ok(xml);
            }
            if c > col {
                xml.insert_str(cs, &new_cell);
                xml.replace_range(s..e, &open);
                return Ok(xml);
            }
        }
        xml.insert_str(body_end, &new_cell);
        xml.replace_range(s..e, &open);
        return Ok(xml);
    }
    xml.insert_str(data_end, &format!("<row r=\"{row}\">{new_cell}</row>"));
    Ok(xml)
}

/// Elements that follow legacyDrawing in a worksheet, in schema order.
const AFTER_LEGACY_DRAWING: [&str; 7] = ["legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts"];

fn insert_legacy_drawing(xml: &str, id: &str) -> anyhow::Result<String> {
    let root = start_tags(xml, "worksheet").first().map(|&(s, e)| xml[s..e].to_string()).unwrap_or_default();
    let element = if root.contains(&format!("xmlns:r=\"{REL_NS}\"")) {
        format!("<legacyDrawing r:id=\"{id}\"/>")
    } else {
        format!("<legacyDrawing xmlns:r=\"{REL_NS}\" r:id=\"{id}\"/>")
    };
    let at = AFTER_LEGACY_DRAWING
        .iter()
        .chain(["extLst"].iter())
        .filter_map(|name| start_tags(xml, name).first().map(|t| t.0))
        .min()
        .or_else(|| xml.rfind("</worksheet>"))
        .ok_or_else(|| anyhow::anyhow!("no worksheet end"))?;
    let mut out = xml.to_string();
    out.insert_str(at, &element);
    Ok(out)
}

type Notes = BTreeMap<(u32, u32), (Severity, Vec<String>)>;

/// Adds our notes to a sheet that has a VML drawing already: into its
/// comments part (a cell with a note of its own gets ours appended to it)
/// and its drawing (new shapes, ids after the existing ones). Returns the
/// content types, with the comments part when it had to be created.
fn add_to_existing_notes(package: &mut Package, workbook_dir: &str, path: &str, sheet: &str, cells: &Notes, author: &str, content_types: &str) -> anyhow::Result<String> {
    let dir = parent(path);
    let rels_path = rels_path(path);
    let mut rels = package.text(&rels_path)?;
    let tag = start_tags(sheet, "legacyDrawing").first().map(|&(s, e)| sheet[s..e].to_string()).unwrap_or_default();
    let vml_id = attr_suffix(&tag, ":id").ok_or_else(|| anyhow::anyhow!("legacyDrawing without its id"))?;
    let all = relationships(&rels);
    let vml_path = all.iter().find(|r| r.id == vml_id).map(|r| resolve(&dir, &r.target)).ok_or_else(|| anyhow::anyhow!("no drawing"))?;
    let mut types = content_types.to_string();
    // Nothing is changed in the package until everything below worked.
    let (comments_path, mut comments) = match all.iter().find(|r| r.kind == REL_COMMENTS) {
        Some(r) => {
            let path = resolve(&dir, &r.target);
            let text = package.text(&path)?;
            (path, text)
        }
        None => {
            let name = package.free_name(&format!("{workbook_dir}comments"), "xml", 1);
            let id = free_rel_id(&rels);
            rels = add_relationship(&rels, &id, REL_COMMENTS, &relative(&dir, &name));
            types = add_override(&types, &name, CT_COMMENTS);
            let empty = format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<comments xmlns=\"{MAIN_NS}\"><authors></authors><commentList></commentList></comments>");
            (name, empty)
        }
    };
    let mut vml = package.text(&vml_path)?;
    let authors_end = comments.find("</authors>").ok_or_else(|| anyhow::anyhow!("comments without authors"))?;
    let author_id = start_tags(&comments, "author").len();
    comments.insert_str(authors_end, &format!("<author>{}</author>", escape(author)));
    let run = |text: &str| format!("<r><rPr><sz val=\"9\"/><rFont val=\"BIZ UDPゴシック\"/><family val=\"3\"/><charset val=\"128\"/></rPr><t xml:space=\"preserve\">{}</t></r>", escape(text));
    let mut new_shapes = Notes::new();
    for (&(row, col), note) in cells {
        let reference = format!("<comment ref=\"{}\"", a1(row, col));
        match comments.find(&reference) {
            // The department's own note stays first; ours follows it.
            Some(at) => {
                let end = at + comments[at..].find("</text>").ok_or_else(|| anyhow::anyhow!("a comment without text"))?;
                comments.insert_str(end, &run(&format!("\n\n{}", note.1.join("\n\n"))));
            }
            None => {
                let end = comments.rfind("</commentList>").ok_or_else(|| anyhow::anyhow!("comments without a list"))?;
                let element = format!("{reference} authorId=\"{author_id}\"><text>{}</text></comment>", run(&note.1.join("\n\n")));
                comments.insert_str(end, &element);
                new_shapes.insert((row, col), note.clone());
            }
        }
    }
    if !new_shapes.is_empty() {
        // Our shapes, numbered after the drawing's own.
        let last = vml
            .match_indices("_x0000_s")
            .filter_map(|(i, m)| vml[i + m.len()..].split(|c: char| !c.is_ascii_digit()).next()?.parse::<usize>().ok())
            .max()
            .unwrap_or(1024);
        let ours = vml_xml(&new_shapes, 0);
        let shapes_start = ours.find("<v:shape ").unwrap_or(ours.len());
        let mut shapes = ours[shapes_start..ours.len() - "</xml>".len()].to_string();
        for i in (1..=new_shapes.len()).rev() {
            shapes = shapes.replace(&format!("\"_x0000_s{i}\""), &format!("\"_x0000_s{}\"", last + i));
        }
        if !vml.contains("_x0000_t202") {
            shapes = format!("{}{shapes}", &ours[ours.find("<v:shapetype").unwrap_or(0)..shapes_start]);
        }
        let end = vml.rfind("</xml>").ok_or_else(|| anyhow::anyhow!("a drawing without its end"))?;
        vml.insert_str(end, &shapes);
    }
    package.replace(&comments_path, comments);
    package.replace(&vml_path, vml);
    package.replace(&rels_path, rels);
    Ok(types)
}

fn comments_xml(cells: &Notes, author: &str) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<comments xmlns=\"{MAIN_NS}\"><authors><author>{}</author></authors><commentList>",
        escape(author)
    );
    for (&(row, col), (_, texts)) in cells {
        xml.push_str(&format!(
            "<comment ref=\"{}\" authorId=\"0\"><text><r><rPr><sz val=\"9\"/><rFont val=\"BIZ UDPゴシック\"/><family val=\"3\"/><charset val=\"128\"/></rPr><t xml:space=\"preserve\">{}</t></r></text></comment>",
            a1(row, col),
            escape(&texts.join("\n\n"))
        ));
    }
    xml.push_str("</commentList></comments>");
    xml
}

/// The VML shapes Excel draws notes with, one per note, hidden until the
/// cell is pointed at; anchored to the right of the cell, sized by text.
fn vml_xml(cells: &Notes, drawing: usize) -> String {
    let mut xml = format!(
        "<xml xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><o:shapelayout v:ext=\"edit\"><o:idmap v:ext=\"edit\" data=\"{drawing}\"/></o:shapelayout><v:shapetype id=\"_x0000_t202\" coordsize=\"21600,21600\" o:spt=\"202\" path=\"m,l,21600r21600,l21600,xe\"><v:stroke joinstyle=\"miter\"/><v:path gradientshapeok=\"t\" o:connecttype=\"rect\"/></v:shapetype>"
    );
    for (i, (&(row, col), (_, texts))) in cells.iter().enumerate() {
        let lines: usize = texts.iter().map(|t| t.chars().count() / 22 + 1 + t.matches('\n').count()).sum::<usize>() + texts.len();
        let rows_tall = (lines as u32).clamp(4, 30);
        let (r0, c0) = (row - 1, col - 1);
        xml.push_str(&format!(
            "<v:shape id=\"_x0000_s{}\" type=\"#_x0000_t202\" style=\"position:absolute;margin-left:60pt;margin-top:1.5pt;width:240pt;height:{}pt;z-index:{};visibility:hidden\" fillcolor=\"#ffffe1\" o:insetmode=\"auto\"><v:fill color2=\"#ffffe1\"/><v:shadow on=\"t\" color=\"black\" obscured=\"t\"/><v:path o:connecttype=\"none\"/><v:textbox style=\"mso-direction-alt:auto\"><div style=\"text-align:left\"></div></v:textbox><x:ClientData ObjectType=\"Note\"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{}, 15, {}, 2, {}, 15, {}, 16</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{r0}</x:Row><x:Column>{c0}</x:Column></x:ClientData></v:shape>",
            drawing * 1024 + i + 1,
            rows_tall * 15,
            i + 1,
            c0 + 1,
            r0,
            c0 + 3,
            r0 + rows_tall,
        ));
    }
    xml.push_str("</xml>");
    xml
}

// ---------------------------------------------------------------------------
// The listing sheet and its place in the workbook.

/// `'3'!C12`: a link target inside the workbook.
fn location(sheet: &str, cell: &str) -> String {
    format!("'{}'!{cell}", sheet.replace('\'', "''"))
}

fn listing_sheet(findings: &[&Finding], listing: &Listing, sheet_names: &[&str], styles: &mut Styles) -> String {
    let st = styles.listing();
    let text_cell = |r: u32, c: u32, s: usize, text: &str| {
        format!("<c r=\"{}\" s=\"{s}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>", a1(r, c), escape(text))
    };
    let columns: [(&str, f64); 7] = [("No", 5.0), ("重要度", 8.0), ("コード", 7.0), ("シート", 12.0), ("セル（移動）", 12.0), ("内容", 60.0), ("修正方法", 45.0)];
    let mut rows = String::new();
    rows.push_str(&format!("<row r=\"1\" ht=\"24\" customHeight=\"1\">{}</row>", text_cell(1, 1, st.title, &listing.title)));
    rows.push_str(&format!("<row r=\"2\">{}</row>", text_cell(2, 1, 0, &listing.note)));
    let header: String = columns.iter().enumerate().map(|(i, (h, _))| text_cell(3, i as u32 + 1, st.header, h)).collect();
    rows.push_str(&format!("<row r=\"3\">{header}</row>"));
    let mut links = String::new();
    for (i, f) in findings.iter().enumerate() {
        let r = i as u32 + 4;
        let severity = match f.severity {
            Severity::Error => st.severity[0],
            Severity::Warning => st.severity[1],
            Severity::Info => st.severity[2],
        };
        let sheet = f.sheet.as_deref().unwrap_or("");
        let in_book = sheet_names.contains(&sheet);
        let place = match (&f.cell, in_book) {
            (Some(cell), true) => cell.clone(),
            (None, true) => "シートへ".to_string(),
            (Some(cell), false) => cell.clone(),
            (None, false) => String::new(),
        };
        let lines = (f.message.chars().count() / 34 + 1).max(f.hint.chars().count() / 25 + 1) as f64;
        rows.push_str(&format!(
            "<row r=\"{r}\" ht=\"{}\" customHeight=\"1\"><c r=\"{}\" s=\"{}\"><v>{}</v></c>{}{}{}{}{}{}</row>",
            (lines * 13.5 + 3.0).max(18.0),
            a1(r, 1),
            st.text,
            i + 1,
            text_cell(r, 2, severity, f.severity.label_ja()),
            text_cell(r, 3, st.text, f.code),
            text_cell(r, 4, st.text, sheet),
            text_cell(r, 5, if in_book { st.link } else { st.text }, &place),
            text_cell(r, 6, st.text, &f.message),
            text_cell(r, 7, st.text, &f.hint),
        ));
        if in_book {
            let target = location(sheet, f.cell.as_deref().unwrap_or("A1"));
            links.push_str(&format!("<hyperlink ref=\"{}\" location=\"{}\" display=\"{}\"/>", a1(r, 5), escape(&target), escape(&place)));
        }
    }
    let cols: String = columns
        .iter()
        .enumerate()
        .map(|(i, (_, w))| format!("<col min=\"{n}\" max=\"{n}\" width=\"{w}\" customWidth=\"1\"/>", n = i + 1))
        .collect();
    let last = findings.len() as u32 + 3;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\"><sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr><dimension ref=\"A1:G{last}\"/><sheetViews><sheetView tabSelected=\"1\" workbookViewId=\"0\"><pane ySplit=\"3\" topLeftCell=\"A4\" activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\" activeCell=\"A4\" sqref=\"A4\"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/><cols>{cols}</cols><sheetData>{rows}</sheetData>{}<pageMargins left=\"0.5\" right=\"0.5\" top=\"0.6\" bottom=\"0.6\" header=\"0.3\" footer=\"0.3\"/><pageSetup paperSize=\"9\" orientation=\"landscape\" fitToHeight=\"0\"/></worksheet>",
        if links.is_empty() { String::new() } else { format!("<hyperlinks>{links}</hyperlinks>") }
    )
}

/// workbook.xml with the listing as its first sheet, opened on it; sheet
/// positions in defined names (print areas, filters) shift by one.
fn add_listing_to_workbook(xml: &str, name: &str, id: &str) -> anyhow::Result<String> {
    let tags = start_tags(xml, "sheet");
    let first = *tags.first().ok_or_else(|| anyhow::anyhow!("a workbook without sheets"))?;
    let first_tag = &xml[first.0..first.1];
    // The relationships prefix the file uses for r:id.
    let prefix = first_tag
        .split_whitespace()
        .find_map(|a| a.split_once(":id=").map(|(p, _)| p.to_string()))
        .ok_or_else(|| anyhow::anyhow!("a sheet without its relationship"))?;
    let next_id = tags.iter().filter_map(|&(s, e)| attr(&xml[s..e], "sheetId")?.parse::<u32>().ok()).max().unwrap_or(0) + 1;
    let mut out = String::with_capacity(xml.len() + 200);
    out.push_str(&xml[..first.0]);
    out.push_str(&format!("<sheet name=\"{}\" sheetId=\"{next_id}\" {prefix}:id=\"{id}\"/>", escape(name)));
    out.push_str(&xml[first.0..]);
    // localSheetId="N" → N + 1.
    let mut shifted = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("localSheetId=\"") {
        let start = i + "localSheetId=\"".len();
        let len = rest[start..].find('"').unwrap_or(0);
        let n: u32 = rest[start..start + len].parse().unwrap_or(0);
        shifted.push_str(&rest[..start]);
        shifted.push_str(&(n + 1).to_string());
        rest = &rest[start + len..];
    }
    shifted.push_str(rest);
    let mut out = shifted;
    if let Some(&(s, e)) = start_tags(&out, "workbookView").first() {
        let tag = set_attr(&remove_attr(&out[s..e], "firstSheet"), "activeTab", "0");
        out.replace_range(s..e, &tag);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_and_relate() {
        assert_eq!(resolve("xl/", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl/worksheets/", "../comments1.xml"), "xl/comments1.xml");
        assert_eq!(resolve("xl/", "/xl/styles.xml"), "xl/styles.xml");
        assert_eq!(relative("xl/worksheets/", "xl/comments1.xml"), "../comments1.xml");
        assert_eq!(relative("xl/worksheets/", "xl/drawings/vmlDrawing1.vml"), "../drawings/vmlDrawing1.vml");
        assert_eq!(relative("xl/", "xl/worksheets/findings1.xml"), "worksheets/findings1.xml");
        assert_eq!(rels_path("xl/worksheets/sheet2.xml"), "xl/worksheets/_rels/sheet2.xml.rels");
    }

    #[test]
    fn a_cell_gets_its_style_in_order() {
        let xml = "<worksheet><sheetData><row r=\"2\" spans=\"1:3\"><c r=\"A2\" s=\"1\"/><c r=\"C2\" s=\"2\" t=\"s\"><v>0</v></c></row><row r=\"5\"/></sheetData></worksheet>";
        let set = set_cell_style(xml, 2, 3, 9).unwrap();
        assert!(set.contains("<c r=\"C2\" s=\"9\" t=\"s\"><v>0</v></c>"), "{set}");
        let between = set_cell_style(xml, 2, 2, 9).unwrap();
        assert!(between.contains("<row r=\"2\"><c r=\"A2\" s=\"1\"/><c r=\"B2\" s=\"9\"/><c r=\"C2\""), "{between}");
        let new_row = set_cell_style(xml, 3, 1, 9).unwrap();
        assert!(new_row.contains("</row><row r=\"3\"><c r=\"A3\" s=\"9\"/></row><row r=\"5\"/>"), "{new_row}");
        let empty_row = set_cell_style(xml, 5, 4, 9).unwrap();
        assert!(empty_row.contains("<row r=\"5\"><c r=\"D5\" s=\"9\"/></row>"), "{empty_row}");
        let last = set_cell_style(xml, 9, 1, 9).unwrap();
        assert!(last.contains("<row r=\"9\"><c r=\"A9\" s=\"9\"/></row></sheetData>"), "{last}");
    }

    #[test]
    fn styles_are_appended_with_counts() {
        let xml = "<styleSheet><fonts count=\"1\"><font/></fonts><fills count=\"2\"><fill/><fill/></fills><cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\"/><xf numFmtId=\"3\" fontId=\"0\" fillId=\"0\"><alignment wrapText=\"1\"/></xf></cellXfs></styleSheet>".to_string();
        let mut styles = Styles::parse(xml).unwrap();
        assert_eq!(styles.marked(1, Severity::Error), 2);
        assert_eq!(styles.marked(1, Severity::Error), 2);
        let out = styles.finish();
        assert!(out.contains("<fills count=\"3\">"), "{out}");
        assert!(out.contains("<cellXfs count=\"3\">"), "{out}");
        assert!(out.contains("<xf numFmtId=\"3\" fontId=\"0\" fillId=\"2\" applyFill=\"1\"><alignment wrapText=\"1\"/></xf></cellXfs>"), "{out}");
        assert!(out.contains("<fonts count=\"1\">"), "fonts untouched");
    }
}
