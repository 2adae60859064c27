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
use crate::ingest::marks;
use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// The organisation's 課, (部, 課), listed beside the findings so a
    /// department can pick a name as written in the master.
    pub sections: Vec<(String, String)>,
}

/// The edited package, and which findings could be marked on their cell.
pub struct Annotated {
    pub bytes: Vec<u8>,
    /// Findings put as a note on their cell.
    pub marked: usize,
    /// Cells given a note.
    pub notes: usize,
}

/// `original` with `findings` (all of this workbook) marked and listed.
/// What an earlier return added (its listing, its notes, its colours; see
/// `ingest::marks`) is removed first, so a returned workbook sent back
/// gets one listing and marks only where findings remain. Inflates at most
/// `limit` bytes of the package's parts. Fails on a package it does not
/// understand, or when a part it wrote would not parse as namespaced XML;
/// the caller then sends the listing alone.
pub fn annotate(original: &[u8], findings: &[&Finding], listing: &Listing, limit: u64) -> anyhow::Result<Annotated> {
    let mut package = Package::open(original, limit)?;
    let workbook_path = package.workbook_path()?;
    let workbook_dir = parent(&workbook_path);
    let workbook_rels_path = rels_path(&workbook_path);
    let mut book = Book {
        workbook: package.text(&workbook_path)?,
        rels: package.text(&workbook_rels_path)?,
        types: package.text("[Content_Types].xml")?,
        dir: workbook_dir.clone(),
    };
    let styles_path = relationships(&book.rels)
        .into_iter()
        .find(|r| r.kind.ends_with("/styles"))
        .map(|r| resolve(&workbook_dir, &r.target))
        .ok_or_else(|| anyhow::anyhow!("no styles part"))?;
    let mut styles = Styles::parse(package.text(&styles_path)?)?;

    // What an earlier return added comes off first.
    remove_listings(&mut package, &mut book)?;
    let sheets = book.sheets();
    for (_, path) in &sheets {
        let xml = package.text(path)?;
        let stripped = strip_sheet(&mut package, &mut book, path, &xml, &mut styles)?;
        if stripped != xml {
            package.replace(path, stripped);
        }
    }
    let sheet_path = |name: &str| sheets.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone());

    // Notes per sheet and cell: the findings joined, the worst severity.
    let mut notes: BTreeMap<String, Notes> = BTreeMap::new();
    for f in findings {
        let (Some(sheet), Some(cell)) = (&f.sheet, &f.cell) else { continue };
        let (Some(_), Some(at)) = (sheet_path(sheet), parse_a1(cell)) else { continue };
        let entry = notes.entry(sheet.clone()).or_default().entry(at).or_insert((f.severity, Vec::new()));
        entry.0 = entry.0.min(f.severity);
        entry.1.push(note_text(f));
    }

    let mut marked = 0;
    let mut noted = 0;
    let mut drawing = 0;
    for (sheet, cells) in &notes {
        let path = sheet_path(sheet).expect("sheet was looked up");
        let mut xml = add_marks(&package.text(&path)?, cells, &mut styles)?;
        let count = cells.values().map(|(_, texts)| texts.len()).sum::<usize>();
        // A sheet with notes (or controls) of its own: ours join them; if
        // that cannot be done, they are in the listing only.
        if xml.contains("<legacyDrawing") {
            if let Ok(types) = add_to_existing_notes(&mut package, &workbook_dir, &path, &xml, cells, listing.author, &book.types) {
                book.types = types;
                marked += count;
                noted += cells.len();
            }
            package.replace(&path, xml);
            continue;
        }
        drawing += 1;
        let comments_path = package.free_name(&format!("{workbook_dir}comments"), "xml", drawing);
        let vml_path = package.free_name(&format!("{workbook_dir}drawings/vmlDrawing"), "vml", drawing);
        let sheet_rels_path = rels_path(&path);
        let mut sheet_rels = if package.has(&sheet_rels_path) { package.text(&sheet_rels_path)? } else { empty_rels() };
        let comments_id = free_rel_id(&sheet_rels);
        sheet_rels = add_relationship(&sheet_rels, &comments_id, REL_COMMENTS, &relative(&parent(&path), &comments_path));
        let vml_id = free_rel_id(&sheet_rels);
        sheet_rels = add_relationship(&sheet_rels, &vml_id, REL_VML, &relative(&parent(&path), &vml_path));
        xml = insert_legacy_drawing(&xml, &vml_id)?;
        package.replace(&path, xml);
        package.replace(&sheet_rels_path, sheet_rels);
        package.add(&comments_path, comments_xml(cells, listing.author));
        package.add(&vml_path, vml_xml(cells, drawing));
        book.types = add_override(&book.types, &comments_path, CT_COMMENTS);
        if !book.types.contains("Extension=\"vml\"") {
            book.types = add_default(&book.types, "vml", CT_VML)?;
        }
        marked += count;
        noted += cells.len();
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
    let listing_id = free_rel_id(&book.rels);
    book.rels = add_relationship(&book.rels, &listing_id, REL_WORKSHEET, &relative(&workbook_dir, &listing_path));
    book.workbook = add_listing_to_workbook(&book.workbook, &name, &listing_id)?;
    book.types = add_override(&book.types, &listing_path, CT_WORKSHEET);
    // Only the listing is selected, so the sheets are not grouped.
    for (_, path) in &sheets {
        let xml = package.text(path)?;
        if xml.contains("tabSelected=\"1\"") {
            package.replace(path, xml.replace(" tabSelected=\"1\"", ""));
        }
    }

    package.replace(&workbook_path, book.workbook);
    package.replace(&workbook_rels_path, book.rels);
    package.replace(&styles_path, styles.finish()?);
    package.replace("[Content_Types].xml", book.types);
    package.check()?;
    Ok(Annotated { bytes: package.save()?, marked, notes: noted })
}

/// `[エラー V201] message` and the hint on its own line (the form
/// `ingest::marks::is_tool_paragraph` recognises).
fn note_text(f: &Finding) -> String {
    let mut text = format!("[{} {}] {}", f.severity.label_ja(), f.code, f.message);
    if !f.hint.is_empty() {
        text.push_str(&format!("\n→ {}", f.hint));
    }
    text
}

/// The workbook part, its relationships and the content types, as edited.
struct Book {
    workbook: String,
    rels: String,
    types: String,
    /// The workbook part's folder (`xl/`).
    dir: String,
}

impl Book {
    /// Sheets by name, with their part paths, in workbook order.
    fn sheets(&self) -> Vec<(String, String)> {
        let targets: HashMap<String, String> = relationships(&self.rels).into_iter().map(|r| (r.id, resolve(&self.dir, &r.target))).collect();
        let mut sheets = Vec::new();
        for tag in start_tags(&self.workbook, "sheet") {
            let tag = &self.workbook[tag.0..tag.1];
            let name = attr(tag, "name").unwrap_or_default();
            let id = attr_suffix(tag, ":id").unwrap_or_default();
            if let Some(path) = targets.get(&id) {
                sheets.push((name, path.clone()));
            }
        }
        sheets
    }
}

// ---------------------------------------------------------------------------
// The package: parts read on demand, replaced, added or removed; the rest
// copied raw.

struct Package {
    archive: zip::ZipArchive<Cursor<Vec<u8>>>,
    names: Vec<String>,
    replaced: HashMap<String, Vec<u8>>,
    added: Vec<(String, Vec<u8>)>,
    removed: HashSet<String>,
    /// Parts as read from the archive (each inflated once).
    read: HashMap<String, String>,
    /// Bytes inflated so far, and the most that may be.
    inflated: u64,
    limit: u64,
}

impl Package {
    fn open(bytes: &[u8], limit: u64) -> anyhow::Result<Package> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec()))?;
        // Entry names in the archive's own order.
        let mut ordered = Vec::with_capacity(archive.len());
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i)?;
            ordered.push(entry.name()?.to_string());
        }
        Ok(Package {
            archive,
            names: ordered,
            replaced: HashMap::new(),
            added: Vec::new(),
            removed: HashSet::new(),
            read: HashMap::new(),
            inflated: 0,
            limit,
        })
    }

    fn has(&self, name: &str) -> bool {
        (self.names.iter().any(|n| n == name) && !self.removed.contains(name)) || self.added.iter().any(|(n, _)| n == name)
    }

    /// A part as text: its replacement if there is one. Inflating stops
    /// at the package's limit, whatever size the archive declares.
    fn text(&mut self, name: &str) -> anyhow::Result<String> {
        if let Some(bytes) = self.replaced.get(name).or_else(|| self.added.iter().find(|(n, _)| n == name).map(|(_, b)| b)) {
            return Ok(String::from_utf8(bytes.clone())?);
        }
        if self.removed.contains(name) {
            anyhow::bail!("{name}: removed");
        }
        if let Some(text) = self.read.get(name) {
            return Ok(text.clone());
        }
        let room = self.limit.saturating_sub(self.inflated);
        let file = self.archive.by_name(name).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        if file.size() > room {
            anyhow::bail!("{name}: unpacks past the limit");
        }
        let mut bytes = Vec::with_capacity(file.size() as usize);
        file.take(room + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > room {
            anyhow::bail!("{name}: unpacks past the limit");
        }
        self.inflated += bytes.len() as u64;
        let text = String::from_utf8(bytes)?;
        self.read.insert(name.to_string(), text.clone());
        Ok(text)
    }

    fn replace(&mut self, name: &str, text: String) {
        if self.names.iter().any(|n| n == name) && !self.removed.contains(name) {
            self.replaced.insert(name.to_string(), text.into_bytes());
        } else {
            self.add(name, text);
        }
    }

    fn add(&mut self, name: &str, text: String) {
        self.added.retain(|(n, _)| n != name);
        self.added.push((name.to_string(), text.into_bytes()));
    }

    fn remove(&mut self, name: &str) {
        self.replaced.remove(name);
        self.added.retain(|(n, _)| n != name);
        if self.names.iter().any(|n| n == name) {
            self.removed.insert(name.to_string());
        }
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

    /// Every XML part written parses, with each prefix declared: a part
    /// made here always, a part edited here whenever the original did (an
    /// edit must not make a part worse; some programs write VML that is
    /// not XML, and keep reading it).
    fn check(&self) -> anyhow::Result<()> {
        let xml_like = |name: &str| [".xml", ".rels", ".vml"].iter().any(|e| name.to_ascii_lowercase().ends_with(e));
        for (name, bytes) in self.replaced.iter().map(|(n, b)| (n, b)).chain(self.added.iter().map(|(n, b)| (n, b))) {
            if !xml_like(name) {
                continue;
            }
            let text = std::str::from_utf8(bytes)?;
            if let Err(e) = check_xml(text) {
                let was_fine = self.read.get(name.as_str()).is_none_or(|original| check_xml(original).is_ok());
                if was_fine {
                    anyhow::bail!("{name}: {e}");
                }
            }
        }
        Ok(())
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
            if self.removed.contains(&name) {
                continue;
            }
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

/// Checks that `text` is one well-formed XML element whose every element
/// and attribute prefix is declared.
pub fn check_xml(text: &str) -> Result<(), String> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    let mut reader = quick_xml::reader::NsReader::from_str(text);
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let (unknown, event) = match reader.read_resolved_event() {
            Ok((ResolveResult::Unknown(prefix), event)) => (Some(prefix), event),
            Ok((_, event)) => (None, event),
            Err(e) => return Err(format!("at byte {}: {e}", reader.buffer_position())),
        };
        if let Some(prefix) = unknown {
            return Err(format!("undeclared prefix {prefix}:"));
        }
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if depth == 0 {
                    roots += 1;
                }
                for attribute in e.attributes().with_checks(true) {
                    let attribute = attribute.map_err(|e| e.to_string())?;
                    let key = attribute.key;
                    if key.as_namespace_binding().is_some() {
                        continue;
                    }
                    if let (ResolveResult::Unknown(prefix), _) = reader.resolver().resolve_attribute(key) {
                        return Err(format!("undeclared prefix {prefix}: on an attribute"));
                    }
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.checked_sub(1).ok_or("an end tag with no start")?,
            Event::Text(ref t) if depth == 0 && !t.xml10_content().trim().is_empty() => return Err("text outside the root".into()),
            Event::Eof => break,
            _ => {}
        }
    }
    match (roots, depth) {
        (1, 0) => Ok(()),
        (0, _) => Err("no root element".into()),
        (1, _) => Err("an element is not closed".into()),
        _ => Err("more than one root element".into()),
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
/// Where the body of the element opened by `tag` ends (before its closing
/// tag); an error when it is never closed (a damaged part).
fn body_end(xml: &str, tag: (usize, usize), name: &str) -> anyhow::Result<usize> {
    if xml[..tag.1].ends_with("/>") {
        return Ok(tag.1);
    }
    let close = format!("</{name}>");
    xml[tag.1..].find(&close).map(|i| tag.1 + i).ok_or_else(|| anyhow::anyhow!("<{name}> is not closed"))
}

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

/// Text with XML's predefined entities and character references resolved.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let resolved = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "amp" => Some('&'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match resolved {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
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

/// `rels` without the relationship `id`.
fn remove_relationship(rels: &str, id: &str) -> String {
    let mut out = rels.to_string();
    for &tag in start_tags(rels, "Relationship").iter().rev() {
        if attr(&rels[tag.0..tag.1], "Id").as_deref() == Some(id) {
            out.replace_range(tag.0..element_end(rels, tag, "Relationship"), "");
        }
    }
    out
}

/// The content types without the override of `part`.
fn remove_override(types: &str, part: &str) -> String {
    let mut out = types.to_string();
    for &tag in start_tags(types, "Override").iter().rev() {
        let name = attr(&types[tag.0..tag.1], "PartName").unwrap_or_default();
        if name.trim_start_matches('/').eq_ignore_ascii_case(part) {
            out.replace_range(tag.0..element_end(types, tag, "Override"), "");
        }
    }
    out
}

/// The content types with a default for files ending in `extension`.
fn add_default(types: &str, extension: &str, content_type: &str) -> anyhow::Result<String> {
    let &(_, open_end) = start_tags(types, "Types").first().ok_or_else(|| anyhow::anyhow!("no content types"))?;
    let element = format!("<Default Extension=\"{extension}\" ContentType=\"{content_type}\"/>");
    if types[..open_end].ends_with("/>") {
        let open = types[..open_end - 2].trim_end();
        return Ok(format!("{open}>{element}</Types>{}", &types[open_end..]));
    }
    let mut out = types.to_string();
    out.insert_str(open_end, &element);
    Ok(out)
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
    fonts: Section,
    fills: Section,
    xfs: Section,
    dxfs: Section,
    /// xf → the same format without a fill (an older version's mark removed).
    unfilled: HashMap<usize, usize>,
    listing: Option<ListingStyles>,
}

/// One list of styles.xml (fonts, fills, cellXfs, dxfs): the elements it
/// had and the ones added. An element the same as one there is reused, so
/// a workbook returned again does not grow.
struct Section {
    /// Section and element names (`fonts`, `font`).
    name: &'static str,
    element: &'static str,
    original: Vec<String>,
    added: Vec<String>,
}

impl Section {
    fn parse(xml: &str, name: &'static str, element: &'static str) -> Section {
        let original = section_span(xml, name).map(|(_, open, end)| children(xml, (open, end), element)).unwrap_or_default();
        Section { name, element, original, added: Vec::new() }
    }

    fn get(&self, i: usize) -> Option<&String> {
        self.original.get(i).or_else(|| self.added.get(i.checked_sub(self.original.len())?))
    }

    /// The index of `element`, added when the section has no such element.
    fn add(&mut self, element: String) -> usize {
        if let Some(i) = self.original.iter().chain(&self.added).position(|e| *e == element) {
            return i;
        }
        self.added.push(element);
        self.original.len() + self.added.len() - 1
    }
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

/// Elements that follow dxfs in styles.xml, in schema order.
const AFTER_DXFS: [&str; 3] = ["tableStyles", "colors", "extLst"];

/// Fills an older version put on marked cells through their style (error
/// and warning; its information blue is also the forms' label colour, so
/// it is left alone).
const LEGACY_FILLS: [&str; 2] = ["FFFFC7CE", "FFFFEB9C"];

impl Styles {
    fn parse(xml: String) -> anyhow::Result<Styles> {
        let missing = |what: &str| anyhow::anyhow!("styles.xml has no {what}");
        section_span(&xml, "fonts").ok_or_else(|| missing("fonts"))?;
        section_span(&xml, "fills").ok_or_else(|| missing("fills"))?;
        let xfs = Section::parse(&xml, "cellXfs", "xf");
        if xfs.original.is_empty() {
            return Err(missing("cell formats"));
        }
        Ok(Styles {
            fonts: Section::parse(&xml, "fonts", "font"),
            fills: Section::parse(&xml, "fills", "fill"),
            dxfs: Section::parse(&xml, "dxfs", "dxf"),
            xfs,
            unfilled: HashMap::new(),
            listing: None,
            xml,
        })
    }

    fn add_fill(&mut self, rgb: &str) -> usize {
        self.fills.add(format!("<fill><patternFill patternType=\"solid\"><fgColor rgb=\"{rgb}\"/><bgColor indexed=\"64\"/></patternFill></fill>"))
    }

    /// A differential format filling the cell with `rgb` (solid fills of a
    /// conditional format take their colour from bgColor in Excel and from
    /// fgColor elsewhere: both are set).
    fn add_dxf(&mut self, rgb: &str) -> usize {
        self.dxfs.add(format!("<dxf><fill><patternFill patternType=\"solid\"><fgColor rgb=\"{rgb}\"/><bgColor rgb=\"{rgb}\"/></patternFill></fill></dxf>"))
    }

    /// Whether format `xf` is filled with a colour an older version marked cells with.
    fn has_legacy_fill(&self, xf: usize) -> bool {
        let Some(fill) = self.xfs.get(xf).and_then(|x| attr(x, "fillId")).and_then(|f| f.parse::<usize>().ok()) else { return false };
        self.fills.get(fill).is_some_and(|f| LEGACY_FILLS.iter().any(|c| f.contains(&format!("rgb=\"{c}\""))))
    }

    /// Format `xf` without its fill.
    fn unfilled(&mut self, xf: usize) -> usize {
        if let Some(&plain) = self.unfilled.get(&xf) {
            return plain;
        }
        let source = self.xfs.get(xf).cloned().unwrap_or_default();
        let open_end = source.find('>').map(|i| i + 1).unwrap_or(source.len());
        let tag = remove_attr(&set_attr(&source[..open_end], "fillId", "0"), "applyFill");
        let plain = self.xfs.add(format!("{tag}{}", &source[open_end..]));
        self.unfilled.insert(xf, plain);
        plain
    }

    fn listing(&mut self) -> ListingStyles {
        if let Some(styles) = self.listing {
            return styles;
        }
        let font = |extra: &str, size: u32, colour: &str| {
            format!("<font>{extra}<sz val=\"{size}\"/><color rgb=\"{colour}\"/><name val=\"BIZ UDPゴシック\"/><family val=\"3\"/><charset val=\"128\"/></font>")
        };
        let title_font = self.fonts.add(font("<b/>", 14, "FF000000"));
        let bold = self.fonts.add(font("<b/>", 10, "FF000000"));
        let plain = self.fonts.add(font("", 10, "FF000000"));
        let link_font = self.fonts.add(font("<u/>", 10, "FF1A4F8B"));
        let header_fill = self.add_fill("FFD9D9D9");
        let top = "<alignment vertical=\"top\" wrapText=\"1\"/>";
        let xf = |font: usize, fill: usize, alignment: &str| {
            format!("<xf numFmtId=\"0\" fontId=\"{font}\" fillId=\"{fill}\" borderId=\"0\" xfId=\"0\" applyFont=\"1\" applyFill=\"1\" applyAlignment=\"1\">{alignment}</xf>")
        };
        let title = self.xfs.add(xf(title_font, 0, ""));
        let header = self.xfs.add(xf(bold, header_fill, "<alignment vertical=\"center\" wrapText=\"1\"/>"));
        let text = self.xfs.add(xf(plain, 0, top));
        let link = self.xfs.add(xf(link_font, 0, top));
        let mut severity = [0; 3];
        for (i, s) in [Severity::Error, Severity::Warning, Severity::Info].into_iter().enumerate() {
            let fill = self.add_fill(fill_colour(s));
            severity[i] = self.xfs.add(xf(bold, fill, "<alignment horizontal=\"center\" vertical=\"top\"/>"));
        }
        let styles = ListingStyles { title, header, text, link, severity };
        self.listing = Some(styles);
        styles
    }

    /// styles.xml with the additions appended and the counts updated; an
    /// error when a section to extend is not closed (a damaged part: the
    /// caller sends the listing alone).
    fn finish(self) -> anyhow::Result<String> {
        let mut xml = self.xml;
        if !self.dxfs.added.is_empty() && section_span(&xml, "dxfs").is_none() {
            let at = AFTER_DXFS
                .iter()
                .filter_map(|n| start_tags(&xml, n).first().map(|t| t.0))
                .min()
                .or_else(|| xml.rfind("</styleSheet>"))
                .unwrap_or(xml.len());
            xml.insert_str(at, "<dxfs count=\"0\"></dxfs>");
        }
        // Edit from the end of the file backwards so earlier offsets hold.
        let mut sections = vec![self.fonts, self.fills, self.xfs, self.dxfs];
        sections.sort_by_key(|s| std::cmp::Reverse(section_span(&xml, s.name).map(|span| span.0).unwrap_or(0)));
        for section in sections {
            if section.added.is_empty() {
                continue;
            }
            let name = section.name;
            let Some((start, open_end, end)) = section_span(&xml, name) else { continue };
            let count = (section.original.len() + section.added.len()).to_string();
            let open = set_attr(&xml[start..open_end], "count", &count);
            let self_closing = xml[..open_end].ends_with("/>");
            if !self_closing && end < open_end + name.len() + 3 {
                anyhow::bail!("styles: <{name}> is not closed");
            }
            let body = if self_closing { String::new() } else { xml[open_end..end - name.len() - 3].to_string() };
            let open = if self_closing { format!("{}>", open.trim_end_matches("/>").trim_end()) } else { open };
            let _ = section.element;
            xml = format!("{}{open}{body}{}</{name}>{}", &xml[..start], section.added.concat(), &xml[end..]);
        }
        Ok(xml)
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
        let body_start = e;
        let body_end = body_end(&xml, (s, e), "row")?;
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
    for list in ["authors", "commentList"] {
        if let Some(&(s, e)) = start_tags(&comments, list).first().filter(|&&(_, e)| comments[..e].ends_with("/>")) {
            comments.replace_range(s..e, &format!("<{list}></{list}>"));
        }
    }
    // The office as an author once, however often the workbook comes back.
    let authors: Vec<String> = start_tags(&comments, "author")
        .into_iter()
        .map(|t| body_end(&comments, t, "author").map(|end| unescape(&comments[t.1..end])))
        .collect::<anyhow::Result<_>>()?;
    let author_id = match authors.iter().position(|a| a == author) {
        Some(i) => i,
        None => {
            let authors_end = comments.find("</authors>").ok_or_else(|| anyhow::anyhow!("comments without authors"))?;
            comments.insert_str(authors_end, &format!("<author>{}</author>", escape(author)));
            authors.len()
        }
    };
    let run = |text: &str| format!("<r><rPr><sz val=\"9\"/><rFont val=\"BIZ UDPゴシック\"/><family val=\"3\"/><charset val=\"128\"/></rPr><t xml:space=\"preserve\">{}</t></r>", escape(text));
    let mut new_shapes = Notes::new();
    for (&(row, col), note) in cells {
        let reference = format!("<comment ref=\"{}\"", a1(row, col));
        match comments.find(&reference) {
            // The department's own note stays first; ours follows it.
            Some(at) => {
                let comment_end = at + comments[at..].find("</comment>").ok_or_else(|| anyhow::anyhow!("a comment without its end"))?;
                let text_tag = start_tags(&comments[at..comment_end], "text").first().map(|&(s, e)| (at + s, at + e)).ok_or_else(|| anyhow::anyhow!("a comment without text"))?;
                let text_end = body_end(&comments, text_tag, "text")? + "</text>".len();
                if comments[..text_tag.1].ends_with("/>") {
                    comments.replace_range(text_tag.0..text_tag.1, &format!("<text>{}</text>", run(&note.1.join("\n\n"))));
                    continue;
                }
                // A plain <t> becomes a run, so the text is runs only.
                let body = comments[text_tag.1..text_end - "</text>".len()].to_string();
                let body = if start_tags(&body, "r").is_empty() {
                    let phonetic = body.find("<rPh").unwrap_or(body.len());
                    let plain: String = runs_of(&body).into_iter().map(|(_, t)| t).collect();
                    format!("<r><t xml:space=\"preserve\">{}</t></r>{}", escape(&plain), &body[phonetic..])
                } else {
                    body
                };
                // Runs go before any phonetic part.
                let at_runs_end = body.find("<rPh").or_else(|| body.find("<phoneticPr")).unwrap_or(body.len());
                let body = format!("{}{}{}", &body[..at_runs_end], run(&format!("\n\n{}", note.1.join("\n\n"))), &body[at_runs_end..]);
                comments.replace_range(text_tag.1..text_end - "</text>".len(), &body);
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
        // Our shapes, numbered after the drawing's own, written with the
        // prefixes the drawing uses (openpyxl writes ns0, ns1, ns2).
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
        let (declared, prefixes) = vml_prefixes(&vml);
        vml = declared;
        let shapes = with_prefixes(&shapes, &prefixes);
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
    // The header tells the listing from a department's sheet (ingest::marks).
    let widths = [5.0, 8.0, 7.0, 12.0, 12.0, 60.0, 45.0];
    let columns: Vec<(&str, f64)> = marks::LISTING_HEADER.into_iter().zip(widths).collect();
    let mut rows = String::new();
    rows.push_str(&format!("<row r=\"1\" ht=\"24\" customHeight=\"1\">{}</row>", text_cell(1, 1, st.title, &listing.title)));
    let list_title = if listing.sections.is_empty() { String::new() } else { text_cell(2, 9, 0, marks::SECTIONS_TITLE) };
    rows.push_str(&format!("<row r=\"2\">{}{list_title}</row>", text_cell(2, 1, 0, &listing.note)));
    let mut header: String = columns.iter().enumerate().map(|(i, (h, _))| text_cell(3, i as u32 + 1, st.header, h)).collect();
    if !listing.sections.is_empty() {
        for (i, h) in marks::SECTIONS_HEADER.iter().enumerate() {
            header.push_str(&text_cell(3, 9 + i as u32, st.header, h));
        }
    }
    rows.push_str(&format!("<row r=\"3\">{header}</row>"));
    let mut links = String::new();
    // Each row's cells: the finding's (A:G) and the 課 list's (I:J).
    let mut rows_at: BTreeMap<u32, (String, String)> = BTreeMap::new();
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
        let attributes = format!(" ht=\"{}\" customHeight=\"1\"", (lines * 13.5 + 3.0).max(18.0));
        let cells = format!(
            "<c r=\"{}\" s=\"{}\"><v>{}</v></c>{}{}{}{}{}{}",
            a1(r, 1),
            st.text,
            i + 1,
            text_cell(r, 2, severity, f.severity.label_ja()),
            text_cell(r, 3, st.text, f.code),
            text_cell(r, 4, st.text, sheet),
            text_cell(r, 5, if in_book { st.link } else { st.text }, &place),
            text_cell(r, 6, st.text, &f.message),
            text_cell(r, 7, st.text, &f.hint),
        );
        rows_at.insert(r, (attributes, cells));
        if in_book {
            let target = location(sheet, f.cell.as_deref().unwrap_or("A1"));
            links.push_str(&format!("<hyperlink ref=\"{}\" location=\"{}\" display=\"{}\"/>", a1(r, 5), escape(&target), escape(&place)));
        }
    }
    for (i, (department, section)) in listing.sections.iter().enumerate() {
        let r = i as u32 + 4;
        let row = rows_at.entry(r).or_default();
        row.1.push_str(&text_cell(r, 9, st.text, department));
        row.1.push_str(&text_cell(r, 10, st.text, section));
    }
    for (r, (attributes, cells)) in &rows_at {
        rows.push_str(&format!("<row r=\"{r}\"{attributes}>{cells}</row>"));
    }
    let mut cols: String = columns
        .iter()
        .enumerate()
        .map(|(i, (_, w))| format!("<col min=\"{n}\" max=\"{n}\" width=\"{w}\" customWidth=\"1\"/>", n = i + 1))
        .collect();
    if !listing.sections.is_empty() {
        cols.push_str("<col min=\"8\" max=\"8\" width=\"3\" customWidth=\"1\"/><col min=\"9\" max=\"9\" width=\"12\" customWidth=\"1\"/><col min=\"10\" max=\"10\" width=\"30\" customWidth=\"1\"/>");
    }
    let last = (findings.len().max(listing.sections.len())) as u32 + 3;
    let last_column = if listing.sections.is_empty() { "G" } else { "J" };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\"><sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr><dimension ref=\"A1:{last_column}{last}\"/><sheetViews><sheetView tabSelected=\"1\" workbookViewId=\"0\"><pane ySplit=\"3\" topLeftCell=\"A4\" activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\" activeCell=\"A4\" sqref=\"A4\"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/><cols>{cols}</cols><sheetData>{rows}</sheetData>{}<pageMargins left=\"0.5\" right=\"0.5\" top=\"0.6\" bottom=\"0.6\" header=\"0.3\" footer=\"0.3\"/><pageSetup paperSize=\"9\" orientation=\"landscape\" fitToHeight=\"0\"/></worksheet>",
        if links.is_empty() { String::new() } else { format!("<hyperlinks>{links}</hyperlinks>") }
    )
}

/// Elements that follow definedNames in workbook.xml, in schema order.
const AFTER_DEFINED_NAMES: [&str; 10] =
    ["calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst"];

/// workbook.xml with the listing as its first sheet, opened on it and
/// named by the tool's hidden defined name; sheet positions in defined
/// names (print areas, filters) shift by one.
fn add_listing_to_workbook(xml: &str, name: &str, id: &str) -> anyhow::Result<String> {
    let tags = start_tags(xml, "sheet");
    let first = *tags.first().ok_or_else(|| anyhow::anyhow!("a workbook without sheets"))?;
    // r:id with its namespace declared: on the root by Excel, on each
    // sheet element by other writers (openpyxl), or nowhere yet.
    let root = start_tags(xml, "workbook").first().map(|&(s, e)| xml[s..e].to_string()).ok_or_else(|| anyhow::anyhow!("no workbook element"))?;
    let declare = if root.contains(&format!("xmlns:r=\"{REL_NS}\"")) || root.contains(&format!("xmlns:r='{REL_NS}'")) {
        String::new()
    } else {
        format!(" xmlns:r=\"{REL_NS}\"")
    };
    let next_id = tags.iter().filter_map(|&(s, e)| attr(&xml[s..e], "sheetId")?.parse::<u32>().ok()).max().unwrap_or(0) + 1;
    let mut out = String::with_capacity(xml.len() + 200);
    out.push_str(&xml[..first.0]);
    out.push_str(&format!("<sheet{declare} name=\"{}\" sheetId=\"{next_id}\" r:id=\"{id}\"/>", escape(name)));
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
    // The name that tells the listing from the department's sheets.
    let element = format!("<definedName name=\"{}\" hidden=\"1\">{}</definedName>", marks::LISTING_NAME, escape(&marks::reference_to(name)));
    match start_tags(&out, "definedNames").first().copied() {
        Some((s, e)) if out[..e].ends_with("/>") => out.replace_range(s..e, &format!("<definedNames>{element}</definedNames>")),
        Some((_, e)) => out.insert_str(e, &element),
        None => {
            let at = AFTER_DEFINED_NAMES
                .iter()
                .filter_map(|n| start_tags(&out, n).first().map(|t| t.0))
                .min()
                .or_else(|| out.rfind("</workbook>"))
                .ok_or_else(|| anyhow::anyhow!("no workbook end"))?;
            out.insert_str(at, &format!("<definedNames>{element}</definedNames>"));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// What an earlier return added, removed before marking again.

/// Removes the listing sheets an earlier return added: the sheets the
/// defined name `_gyokaku_listing` points at, and any 指摘一覧 sheet whose
/// row 3 is the listing's header (a program may have dropped the name).
fn remove_listings(package: &mut Package, book: &mut Book) -> anyhow::Result<()> {
    let mut names: Vec<String> = defined_names(&book.workbook)
        .into_iter()
        .filter(|(name, _, _)| name == marks::LISTING_NAME)
        .filter_map(|(_, formula, _)| marks::sheet_of_reference(&formula))
        .collect();
    let mut shared: Option<Vec<String>> = None;
    for (name, path) in book.sheets() {
        if names.contains(&name) || !name.starts_with(marks::LISTING_SHEET) {
            continue;
        }
        if shared.is_none() {
            shared = Some(shared_strings(package, book)?);
        }
        let xml = package.text(&path)?;
        let row = row_texts(&xml, 3, shared.as_deref().unwrap_or_default());
        if marks::is_listing_header(&row.iter().map(String::as_str).collect::<Vec<_>>()) {
            names.push(name);
        }
    }
    for name in names {
        remove_sheet(package, book, &name)?;
    }
    // The name goes too; the new listing gets its own.
    for (name, _, range) in defined_names(&book.workbook).into_iter().rev() {
        if name == marks::LISTING_NAME {
            book.workbook.replace_range(range, "");
        }
    }
    Ok(())
}

/// Removes sheet `name` from the workbook: its entry, relationship,
/// content type and part; names scoped to it go, later sheets' scopes shift.
fn remove_sheet(package: &mut Package, book: &mut Book, name: &str) -> anyhow::Result<()> {
    let tags = start_tags(&book.workbook, "sheet");
    let Some(index) = tags.iter().position(|&(s, e)| attr(&book.workbook[s..e], "name").as_deref() == Some(name)) else { return Ok(()) };
    let tag = tags[index];
    let id = attr_suffix(&book.workbook[tag.0..tag.1], ":id").unwrap_or_default();
    let end = element_end(&book.workbook, tag, "sheet");
    book.workbook.replace_range(tag.0..end, "");
    // Names scoped to a sheet by position: the removed sheet's go, the
    // ones after it move up.
    for (_, _, range) in defined_names(&book.workbook).into_iter().rev() {
        let element = book.workbook[range.clone()].to_string();
        let Some(scope) = attr(&element, "localSheetId").and_then(|v| v.parse::<usize>().ok()) else { continue };
        if scope == index {
            book.workbook.replace_range(range, "");
        } else if scope > index {
            let open_end = element.find('>').map(|i| i + 1).unwrap_or(element.len());
            let open = set_attr(&element[..open_end], "localSheetId", &(scope - 1).to_string());
            book.workbook.replace_range(range, &format!("{open}{}", &element[open_end..]));
        }
    }
    if let Some(r) = relationships(&book.rels).into_iter().find(|r| r.id == id) {
        let path = resolve(&book.dir, &r.target);
        book.rels = remove_relationship(&book.rels, &id);
        book.types = remove_override(&book.types, &path);
        package.remove(&path);
        package.remove(&rels_path(&path));
    }
    Ok(())
}

/// Removes from one sheet what an earlier return put on it: the tool's
/// conditional formats, and its notes (a note of the department's own that
/// ours was appended to keeps its own text). A cell an older version
/// filled through its style (before conditional formats) loses that fill.
fn strip_sheet(package: &mut Package, book: &mut Book, path: &str, xml: &str, styles: &mut Styles) -> anyhow::Result<String> {
    let mut xml = remove_marks(xml);
    let Some(&(ts, te)) = start_tags(&xml, "legacyDrawing").first() else { return Ok(xml) };
    let drawing_tag = xml[ts..te].to_string();
    let sheet_rels_path = rels_path(path);
    if !package.has(&sheet_rels_path) {
        return Ok(xml);
    }
    let dir = parent(path);
    let mut rels = package.text(&sheet_rels_path)?;
    let all = relationships(&rels);
    let Some(comments_rel) = all.iter().find(|r| r.kind == REL_COMMENTS) else { return Ok(xml) };
    let comments_path = resolve(&dir, &comments_rel.target);
    if !package.has(&comments_path) {
        return Ok(xml);
    }
    let stripped = strip_comments(&package.text(&comments_path)?);
    if stripped.touched.is_empty() {
        return Ok(xml);
    }
    // Fills of an older version, on the cells it noted.
    for &(row, col) in &stripped.touched {
        let base = cell_base_style(&xml, row, col);
        if styles.has_legacy_fill(base) {
            let plain = styles.unfilled(base);
            xml = set_cell_style(&xml, row, col, plain)?;
        }
    }
    if stripped.remaining == 0 {
        package.remove(&comments_path);
        rels = remove_relationship(&rels, &comments_rel.id);
        book.types = remove_override(&book.types, &comments_path);
    } else {
        package.replace(&comments_path, stripped.xml);
    }
    // The drawing loses the shapes of the notes removed; with no shape
    // left, it goes.
    let vml_id = attr_suffix(&drawing_tag, ":id").unwrap_or_default();
    if let Some(vml_rel) = all.iter().find(|r| r.id == vml_id) {
        let vml_path = resolve(&dir, &vml_rel.target);
        if package.has(&vml_path) {
            let vml = remove_note_shapes(&package.text(&vml_path)?, &stripped.removed);
            let (_, [v, ..]) = vml_prefixes(&vml);
            if start_tags(&vml, &format!("{v}:shape")).is_empty() && stripped.remaining == 0 {
                package.remove(&vml_path);
                rels = remove_relationship(&rels, &vml_id);
                let end = element_end(&xml, (ts, te), "legacyDrawing");
                xml.replace_range(ts..end, "");
            } else {
                package.replace(&vml_path, vml);
            }
        }
    }
    package.replace(&sheet_rels_path, rels);
    Ok(xml)
}

/// A comments part with the tool's paragraphs taken out.
struct StrippedComments {
    xml: String,
    /// Cells whose note held a paragraph of the tool's.
    touched: Vec<(u32, u32)>,
    /// Cells whose note was the tool's alone (the note is gone).
    removed: Vec<(u32, u32)>,
    /// Notes left.
    remaining: usize,
}

fn strip_comments(xml: &str) -> StrippedComments {
    let mut out = StrippedComments { xml: xml.to_string(), touched: Vec::new(), removed: Vec::new(), remaining: 0 };
    let comments = start_tags(xml, "comment");
    // From the end backwards, so earlier offsets hold.
    for &tag in comments.iter().rev() {
        let end = element_end(xml, tag, "comment");
        let element = &xml[tag.0..end];
        let Some(cell) = attr(&xml[tag.0..tag.1], "ref").and_then(|r| parse_a1(&r)) else {
            out.remaining += 1;
            continue;
        };
        let Some(text_tag) = start_tags(element, "text").first().copied() else {
            out.remaining += 1;
            continue;
        };
        let text_end = element_end(element, text_tag, "text");
        let runs = runs_of(&element[text_tag.1..text_end.saturating_sub("</text>".len()).max(text_tag.1)]);
        let full: String = runs.iter().map(|(_, t)| t.as_str()).collect();
        let keep = kept_bytes(&full);
        if keep.iter().all(|&k| k) {
            out.remaining += 1;
            continue;
        }
        out.touched.push(cell);
        let left: String = full.char_indices().filter(|(i, _)| keep[*i]).map(|(_, c)| c).collect();
        if left.trim().is_empty() {
            out.removed.push(cell);
            out.xml.replace_range(tag.0..end, "");
            continue;
        }
        out.remaining += 1;
        // The department's text, run by run, formatting kept.
        let mut body = String::new();
        let mut at = 0;
        for (properties, text) in &runs {
            let kept: String = text.char_indices().filter(|(i, _)| keep[at + i]).map(|(_, c)| c).collect();
            at += text.len();
            if kept.is_empty() {
                continue;
            }
            body.push_str(&format!("<r>{}<t xml:space=\"preserve\">{}</t></r>", properties.as_deref().unwrap_or(""), escape(&kept)));
        }
        let new_element = format!("{}<text>{body}</text>{}", &element[..text_tag.0], &element[text_end..]);
        out.xml.replace_range(tag.0..end, &new_element);
    }
    out.touched.reverse();
    out.removed.reverse();
    out
}

/// The runs of a comment's `<text>`: (run properties as written, text).
/// A plain `<t>` is one run without properties; phonetic runs are left out.
fn runs_of(body: &str) -> Vec<(Option<String>, String)> {
    let text_of = |element: &str| -> String {
        start_tags(element, "t")
            .into_iter()
            .map(|t| {
                let end = element_end(element, t, "t");
                if element[..t.1].ends_with("/>") { String::new() } else { unescape(&element[t.1..end - "</t>".len()]) }
            })
            .collect()
    };
    let runs = start_tags(body, "r");
    if runs.is_empty() {
        // Only the direct <t>, not one inside a phonetic run.
        let phonetic_start = body.find("<rPh").unwrap_or(body.len());
        return vec![(None, text_of(&body[..phonetic_start]))];
    }
    runs.into_iter()
        .map(|r| {
            let end = element_end(body, r, "r");
            let run = &body[r.0..end];
            let properties = start_tags(run, "rPr").first().map(|&p| run[p.0..element_end(run, p, "rPr")].to_string());
            (properties, text_of(run))
        })
        .collect()
}

/// Which bytes of a note's text to keep: everything but the tool's
/// paragraphs (and the blank line before each).
fn kept_bytes(text: &str) -> Vec<bool> {
    let mut keep = vec![true; text.len()];
    let mut start = 0;
    loop {
        let end = text[start..].find("\n\n").map(|i| start + i).unwrap_or(text.len());
        if marks::is_tool_paragraph(&text[start..end]) {
            // With the separator before it (or after it, for the first).
            let from = if start >= 2 && &text[start - 2..start] == "\n\n" { start - 2 } else { start };
            let to = if from == start && end < text.len() { end + 2 } else { end };
            keep[from..to].iter_mut().for_each(|k| *k = false);
        }
        if end >= text.len() {
            break;
        }
        start = end + 2;
    }
    keep
}

/// The VML namespaces our shapes use, with the prefixes we write them with.
const VML_NAMESPACES: [(&str, &str); 3] =
    [("v", "urn:schemas-microsoft-com:vml"), ("o", "urn:schemas-microsoft-com:office:office"), ("x", "urn:schemas-microsoft-com:office:excel")];

/// The prefixes a VML drawing binds our namespaces to (v, o, x in that
/// order), and the drawing with any of them it lacked declared on its root.
fn vml_prefixes(vml: &str) -> (String, [String; 3]) {
    let root = start_tags(vml, "xml").first().copied();
    let root_tag = root.map(|(s, e)| &vml[s..e]).unwrap_or("");
    let mut out = vml.to_string();
    let mut prefixes: [String; 3] = Default::default();
    let mut missing = String::new();
    for (i, (ours, uri)) in VML_NAMESPACES.iter().enumerate() {
        let bound = root_tag.split("xmlns:").skip(1).find_map(|d| {
            let (prefix, rest) = d.split_once('=')?;
            let quote = rest.chars().next()?;
            (rest[1..].split(quote).next()? == *uri).then(|| prefix.trim().to_string())
        });
        prefixes[i] = match bound {
            Some(p) => p,
            None => {
                missing.push_str(&format!(" xmlns:{ours}=\"{uri}\""));
                ours.to_string()
            }
        };
    }
    if let (Some((_, e)), false) = (root, missing.is_empty()) {
        let at = if vml[..e].ends_with("/>") { e - 2 } else { e - 1 };
        out.insert_str(at, &missing);
    }
    (out, prefixes)
}

/// VML written with v:, o: and x: rewritten to `prefixes` (in that order).
fn with_prefixes(vml: &str, prefixes: &[String; 3]) -> String {
    if prefixes.iter().zip(VML_NAMESPACES).all(|(p, (ours, _))| p == ours) {
        return vml.to_string();
    }
    let mut out = String::with_capacity(vml.len());
    let bytes = vml.as_bytes();
    let mut i = 0;
    while i < vml.len() {
        // A name starts after '<', '</' or a space inside a tag.
        let starts_name = i > 0 && matches!(bytes[i - 1], b'<' | b'/' | b' ');
        let found = VML_NAMESPACES.iter().position(|(ours, _)| vml[i..].starts_with(&format!("{ours}:")));
        match (starts_name, found) {
            (true, Some(n)) => {
                out.push_str(&prefixes[n]);
                out.push(':');
                i += 2;
            }
            _ => {
                let c = vml[i..].chars().next().expect("in bounds");
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// The VML drawing without the note shapes anchored at `cells`.
fn remove_note_shapes(vml: &str, cells: &[(u32, u32)]) -> String {
    let (_, [v, _, x]) = vml_prefixes(vml);
    let shape_name = format!("{v}:shape");
    let mut out = vml.to_string();
    for &tag in start_tags(vml, &shape_name).iter().rev() {
        let end = element_end(vml, tag, &shape_name);
        let shape = &vml[tag.0..end];
        let number = |name: &str| {
            let open = format!("<{x}:{name}>");
            let i = shape.find(&open)? + open.len();
            shape[i..].split('<').next()?.trim().parse::<u32>().ok()
        };
        let is_note = shape.contains("ObjectType=\"Note\"") || shape.contains("ObjectType='Note'");
        if let (true, Some(row), Some(col)) = (is_note, number("Row"), number("Column")) {
            if cells.contains(&(row + 1, col + 1)) {
                out.replace_range(tag.0..end, "");
            }
        }
    }
    out
}

/// The sheet without the tool's conditional formats.
fn remove_marks(xml: &str) -> String {
    let mut out = xml.to_string();
    for &tag in start_tags(xml, "conditionalFormatting").iter().rev() {
        let end = element_end(xml, tag, "conditionalFormatting");
        if xml[tag.0..end].contains(marks::MARK_TOKEN) {
            out.replace_range(tag.0..end, "");
        }
    }
    out
}

/// Elements that follow conditionalFormatting in a worksheet, in schema order.
const AFTER_CONDITIONAL_FORMATTING: [&str; 22] = [
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF",
    "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst",
];

/// The sheet with the marked cells coloured by severity: one conditional
/// format per severity (always true, see `ingest::marks`), after the
/// sheet's own, so the cells' own formats are never changed.
fn add_marks(xml: &str, cells: &Notes, styles: &mut Styles) -> anyhow::Result<String> {
    let data_end = xml.find("</sheetData>").or_else(|| xml.find("<sheetData")).ok_or_else(|| anyhow::anyhow!("no sheetData"))?;
    let at = AFTER_CONDITIONAL_FORMATTING
        .iter()
        .filter_map(|name| start_tags(&xml[data_end..], name).first().map(|t| data_end + t.0))
        .min()
        .or_else(|| xml.rfind("</worksheet>"))
        .ok_or_else(|| anyhow::anyhow!("no worksheet end"))?;
    let mut priority = xml
        .match_indices("priority=\"")
        .filter_map(|(i, m)| xml[i + m.len()..].split('"').next()?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    let mut blocks = String::new();
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        let refs: Vec<String> = cells.iter().filter(|(_, (s, _))| *s == severity).map(|(&(r, c), _)| a1(r, c)).collect();
        if refs.is_empty() {
            continue;
        }
        priority += 1;
        let dxf = styles.add_dxf(fill_colour(severity));
        blocks.push_str(&format!(
            "<conditionalFormatting sqref=\"{}\"><cfRule type=\"expression\" dxfId=\"{dxf}\" priority=\"{priority}\"><formula>{}</formula></cfRule></conditionalFormatting>",
            refs.join(" "),
            escape(marks::MARK_FORMULA)
        ));
    }
    let mut out = xml.to_string();
    out.insert_str(at, &blocks);
    Ok(out)
}

/// Defined names of workbook.xml: (name, formula, byte range of the element).
fn defined_names(xml: &str) -> Vec<(String, String, std::ops::Range<usize>)> {
    start_tags(xml, "definedName")
        .into_iter()
        .map(|tag| {
            let end = element_end(xml, tag, "definedName");
            let name = attr(&xml[tag.0..tag.1], "name").unwrap_or_default();
            let formula = if end > tag.1 { unescape(&xml[tag.1..end - "</definedName>".len()]) } else { String::new() };
            (name, formula, tag.0..end)
        })
        .collect()
}

/// The shared strings of the workbook, as plain text (phonetic runs left out).
fn shared_strings(package: &mut Package, book: &Book) -> anyhow::Result<Vec<String>> {
    let Some(r) = relationships(&book.rels).into_iter().find(|r| r.kind.ends_with("/sharedStrings")) else { return Ok(Vec::new()) };
    let path = resolve(&book.dir, &r.target);
    if !package.has(&path) {
        return Ok(Vec::new());
    }
    let xml = package.text(&path)?;
    Ok(start_tags(&xml, "si")
        .into_iter()
        .map(|tag| {
            let end = element_end(&xml, tag, "si");
            let item = &xml[tag.0..end];
            runs_of(item).into_iter().map(|(_, t)| t).collect::<String>()
        })
        .collect())
}

/// The texts of row `row` (1-based) from column A, as far as the row goes.
fn row_texts(xml: &str, row: u32, shared: &[String]) -> Vec<String> {
    let mut texts = Vec::new();
    for tag in start_tags(xml, "row") {
        if attr(&xml[tag.0..tag.1], "r").and_then(|r| r.parse::<u32>().ok()) != Some(row) {
            continue;
        }
        let end = element_end(xml, tag, "row");
        let body = &xml[tag.0..end];
        for c in start_tags(body, "c") {
            let open = &body[c.0..c.1];
            let Some((_, col)) = attr(open, "r").and_then(|r| parse_a1(&r)) else { continue };
            let element = &body[c.0..element_end(body, c, "c")];
            let value = || start_tags(element, "v").first().map(|&v| unescape(&element[v.1..element_end(element, v, "v").saturating_sub(4).max(v.1)]));
            let text = match attr(open, "t").as_deref() {
                Some("s") => value().and_then(|v| v.trim().parse::<usize>().ok()).and_then(|i| shared.get(i).cloned()),
                Some("inlineStr") => Some(runs_of(element).into_iter().map(|(_, t)| t).collect()),
                _ => value(),
            }
            .unwrap_or_default();
            let col = col as usize;
            if texts.len() < col {
                texts.resize(col, String::new());
            }
            texts[col - 1] = text;
        }
        break;
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_checked_for_form_and_namespaces() {
        let main = format!("xmlns=\"{MAIN_NS}\"");
        assert_eq!(check_xml(&format!("<?xml version=\"1.0\"?>\n<workbook {main}><sheets><sheet xmlns:r=\"{REL_NS}\" r:id=\"rId1\"/></sheets></workbook>")), Ok(()));
        assert!(check_xml(&format!("<workbook {main}><sheets><sheet r:id=\"rId1\"/></sheets></workbook>")).unwrap_err().contains("r"));
        assert!(check_xml(&format!("<workbook {main}><x:sheets/></workbook>")).is_err());
        assert_eq!(check_xml("<comments><t xml:space=\"preserve\">a</t></comments>"), Ok(()));
        assert!(check_xml("<a><b></a>").is_err());
        assert!(check_xml("<a/><b/>").is_err());
        assert!(check_xml("<a x=\"1\" x=\"2\"/>").is_err());
        assert!(check_xml("").is_err());
    }

    #[test]
    fn the_tools_paragraphs_leave_a_note_and_the_departments_stay() {
        let xml = "<comments><authors><author>a</author></authors><commentList>\
            <comment ref=\"C4\" authorId=\"0\"><text><r><rPr><b/></rPr><t>田中:</t></r><r><t xml:space=\"preserve\">\n部の確認メモ</t></r><r><t xml:space=\"preserve\">\n\n[エラー V207] 空欄です\n→ 記入してください</t></r></text></comment>\
            <comment ref=\"D5\" authorId=\"0\"><text><r><t>[警告 N101] 数値ではありません\n\n[情報 V221] 空欄の年度があります</t></r></text></comment>\
            <comment ref=\"A1\" authorId=\"0\"><text><t>様式の版</t></text></comment>\
            </commentList></comments>";
        let out = strip_comments(xml);
        assert_eq!(out.touched, [(4, 3), (5, 4)]);
        assert_eq!(out.removed, [(5, 4)]);
        assert_eq!(out.remaining, 2);
        assert!(out.xml.contains("<r><rPr><b/></rPr><t xml:space=\"preserve\">田中:</t></r><r><t xml:space=\"preserve\">\n部の確認メモ</t></r></text>"), "{}", out.xml);
        assert!(!out.xml.contains("D5") && !out.xml.contains("V207") && out.xml.contains("様式の版"));
        assert_eq!(check_xml(&out.xml), Ok(()));
    }

    #[test]
    fn entities_and_character_references_read_back() {
        assert_eq!(unescape("a&amp;b&lt;&#10;&#x41;&unknown;&"), "a&b<\nA&unknown;&");
    }

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
    fn styles_are_appended_with_counts_and_reused() {
        let xml = "<styleSheet><fonts count=\"1\"><font/></fonts><fills count=\"3\"><fill/><fill/><fill><patternFill patternType=\"solid\"><fgColor rgb=\"FFFFC7CE\"/></patternFill></fill></fills><cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\"/><xf numFmtId=\"3\" fontId=\"0\" fillId=\"2\" applyFill=\"1\"><alignment wrapText=\"1\"/></xf></cellXfs><tableStyles count=\"0\"/></styleSheet>".to_string();
        let mut styles = Styles::parse(xml).unwrap();
        assert_eq!(styles.add_dxf("FFFFC7CE"), 0);
        assert_eq!(styles.add_dxf("FFFFC7CE"), 0);
        assert_eq!(styles.add_dxf("FFFFEB9C"), 1);
        // An older version's fill on format 1 comes off.
        assert!(styles.has_legacy_fill(1) && !styles.has_legacy_fill(0));
        assert_eq!(styles.unfilled(1), 2);
        assert_eq!(styles.unfilled(1), 2);
        let out = styles.finish().unwrap();
        assert!(out.contains("<cellXfs count=\"3\">"), "{out}");
        assert!(out.contains("<xf numFmtId=\"3\" fontId=\"0\" fillId=\"0\"><alignment wrapText=\"1\"/></xf></cellXfs>"), "{out}");
        assert!(out.contains("</cellXfs><dxfs count=\"2\"><dxf>"), "{out}");
        assert!(out.find("</dxfs>").unwrap() < out.find("<tableStyles").unwrap(), "{out}");
        assert!(out.contains("<fonts count=\"1\">") && out.contains("<fills count=\"3\">"), "fonts and fills untouched");
        // Parsed again, the same additions are found, not repeated.
        let mut again = Styles::parse(out.clone()).unwrap();
        assert_eq!(again.add_dxf("FFFFEB9C"), 1);
        assert_eq!(again.finish().unwrap(), out);
    }
}
