//! Typst embedded as a library: compile a template with its data into a
//! laid-out document, export it as a tagged PDF, and read back what the
//! layout holds (page texts, where labelled marks landed).

pub mod compact;
pub mod merge;
pub mod fonts;
pub mod templates;
pub mod world;

use fonts::FontSet;
use serde::Serialize;
use templates::Templates;
use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Datetime, Label, Selector, Smart, Value};
use typst::introspection::{Introspector, MetadataElem};
use typst::layout::{Frame, FrameItem};
use typst::utils::PicoStr;
use typst::WorldExt;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};
use world::DocWorld;

/// Fonts and templates, loaded once and shared by every document of a run.
pub struct Typesetter {
    pub fonts: FontSet,
    pub templates: Templates,
    /// The document date: Typst's `today()` and the PDF creation date.
    date: Datetime,
}

/// A template failed to compile: messages name the template file and line.
#[derive(Debug)]
pub struct TemplateError {
    pub messages: Vec<String>,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.messages.join("\n"))
    }
}

impl std::error::Error for TemplateError {}

/// A laid-out document and the template warnings it produced.
pub struct Compiled {
    pub document: PagedDocument,
    pub warnings: Vec<String>,
}

impl Typesetter {
    /// `date` is plan.toml's document date (YYYY-MM-DD); outputs never read
    /// the clock, so the same inputs give the same bytes.
    pub fn new(fonts: FontSet, templates: Templates, date: &str) -> anyhow::Result<Typesetter> {
        let date = parse_date(date).ok_or_else(|| {
            anyhow::anyhow!("plan.toml: [document] date {date:?} は日付ではありません（2023-08-31 のように書いてください）")
        })?;
        Ok(Typesetter { fonts, templates, date })
    }

    /// Lays out `template` (a file name such as `booklet.typ`) with `data`
    /// served as JSON under `/data.json`.
    pub fn compile(&self, template: &str, data: &impl Serialize) -> Result<Compiled, TemplateError> {
        self.compile_with_files(template, data, Vec::new())
    }

    /// Like `compile`, with more files served by virtual path (PDFs the
    /// document embeds as images).
    pub fn compile_with_files(&self, template: &str, data: &impl Serialize, files: Vec<(String, Vec<u8>)>) -> Result<Compiled, TemplateError> {
        if self.templates.source(template).is_none() {
            return Err(TemplateError { messages: vec![format!("template {template} not found")] });
        }
        let mut value = serde_json::to_value(data).expect("document data serialises");
        printable(&mut value, &self.fonts, &mut std::collections::HashMap::new());
        let json = serde_json::to_vec(&value).expect("document data serialises");
        let world = DocWorld::new(&self.fonts, &self.templates, template, json, self.date).with_files(files);
        let result = crate::threads::with_big_stacks(|| typst::compile::<PagedDocument>(&world));
        let warnings = result.warnings.iter().map(|d| self.describe(&world, d)).collect();
        match result.output {
            Ok(document) => Ok(Compiled { document, warnings }),
            Err(errors) => Err(TemplateError {
                messages: errors
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .map(|d| self.describe(&world, d))
                    .collect(),
            }),
        }
    }

    /// What besides its data decides a document's bytes: the tool (its
    /// version and the binary's own length and time, so a rebuilt tool
    /// counts as another), every template, the fonts and the date. Part
    /// of every content key of the build cache.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(env!("CARGO_PKG_VERSION"));
        if let Some(metadata) = std::env::current_exe().ok().and_then(|exe| std::fs::metadata(exe).ok()) {
            hasher.update(metadata.len().to_le_bytes());
            let modified = metadata.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            hasher.update(modified.map_or(0, |d| d.as_nanos()).to_le_bytes());
        }
        for (name, text) in self.templates.all() {
            hasher.update(format!("{name}\0{}\0", text.len()));
            hasher.update(text);
        }
        for font in &self.fonts.fonts {
            hasher.update(format!("{}\0{}\0{}\0", font.info().family, font.index(), font.data().len()));
        }
        hasher.update(format!("{:?}", self.date));
        crate::cache::hex(&hasher.finalize())
    }

    /// Exports a tagged PDF (PDF/UA-1) with a stable identifier and the
    /// document date as its creation date, so the bytes are reproducible.
    /// Every PDF is written with its objects in compressed object streams
    /// (see `compact`).
    pub fn pdf(&self, document: &PagedDocument, ident: &str) -> anyhow::Result<Vec<u8>> {
        self.export(document, ident, true, self.date)
    }

    /// Like `pdf`, created on `date` (YYYY-MM-DD) instead of the document
    /// date: a progress round's report carries the round's own date.
    pub fn pdf_dated(&self, document: &PagedDocument, ident: &str, date: &str) -> anyhow::Result<Vec<u8>> {
        let date = parse_date(date).ok_or_else(|| anyhow::anyhow!("{date:?} is not a date like 2025-05-31"))?;
        self.export(document, ident, true, date)
    }

    /// A PDF that embeds other PDFs (a meeting packet): Typst cannot embed
    /// PDFs under PDF/UA-1, so this one is tagged but claims no standard.
    pub fn pdf_embedding(&self, document: &PagedDocument, ident: &str) -> anyhow::Result<Vec<u8>> {
        self.export(document, ident, false, self.date)
    }

    /// A tagged PDF as typst_pdf writes it, not yet packed: a part for
    /// `merge::merge`, which then goes through `compact::compact`.
    pub fn pdf_part(&self, document: &PagedDocument, ident: &str) -> anyhow::Result<Vec<u8>> {
        self.export_unpacked(document, ident, true, self.date)
    }

    /// Like `pdf_part`, for a document that embeds other PDFs (see
    /// `pdf_embedding`).
    pub fn pdf_part_embedding(&self, document: &PagedDocument, ident: &str) -> anyhow::Result<Vec<u8>> {
        self.export_unpacked(document, ident, false, self.date)
    }

    fn export(&self, document: &PagedDocument, ident: &str, ua: bool, date: Datetime) -> anyhow::Result<Vec<u8>> {
        // The tag tree alone is thousands of small dictionaries: packed into
        // compressed object streams, a booklet is less than half the size.
        Ok(compact::compact(self.export_unpacked(document, ident, ua, date)?))
    }

    fn export_unpacked(&self, document: &PagedDocument, ident: &str, ua: bool, date: Datetime) -> anyhow::Result<Vec<u8>> {
        let standards = if ua { PdfStandards::new(&[PdfStandard::Ua_1]).map_err(|e| anyhow::anyhow!("{}", e.message()))? } else { PdfStandards::default() };
        let options = PdfOptions {
            ident: Smart::Custom(ident.to_string()),
            creator: Smart::Custom(Some(format!("gyokaku {}", env!("CARGO_PKG_VERSION")))),
            timestamp: Some(Timestamp::new_utc(date)),
            standards,
            ..PdfOptions::default()
        };
        let pdf = crate::threads::with_big_stacks(|| typst_pdf::pdf(document, &options)).map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(|d| d.message.to_string()).collect();
            anyhow::anyhow!("PDF export of {ident} failed: {}", messages.join("; "))
        })?;
        Ok(pdf)
    }

    /// One diagnostic as `file:line:column: message (hint: …)`.
    fn describe(&self, world: &DocWorld, diagnostic: &SourceDiagnostic) -> String {
        let mut place = String::new();
        if let Some(id) = diagnostic.span.id() {
            let name = id.get().vpath().get_without_slash().to_string();
            place = self.templates.display_path(&name);
            if let (Some(range), Some(source)) = (world.range(diagnostic.span), self.templates.source(&name)) {
                if let Some((line, column)) = source.lines().byte_to_line_column(range.start) {
                    place = format!("{place}:{}:{}", line + 1, column + 1);
                }
            }
        }
        let mut text = if place.is_empty() {
            diagnostic.message.to_string()
        } else {
            format!("{place}: {}", diagnostic.message)
        };
        for hint in &diagnostic.hints {
            text.push_str(&format!(" (hint: {})", hint.v));
        }
        text
    }
}

fn parse_date(date: &str) -> Option<Datetime> {
    let mut parts = date.trim().split('-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Datetime::from_ymd(year, month, day)
}

/// The text on each page, in layout order (text runs joined, one line per
/// run). What a reader or a test finds on a page.
pub fn page_texts(document: &PagedDocument) -> Vec<String> {
    document
        .pages()
        .iter()
        .map(|page| {
            let mut text = String::new();
            collect_text(&page.frame, &mut text);
            text
        })
        .collect()
}

fn collect_text(frame: &Frame, out: &mut String) {
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(group) => collect_text(&group.frame, out),
            FrameItem::Text(text) => {
                out.push_str(&text.text);
                out.push('\n');
            }
            _ => {}
        }
    }
}

/// The values of every `metadata(..)` carrying `label`, with the 1-based
/// page each landed on, in document order.
pub fn labelled_metadata(document: &PagedDocument, label: &str) -> Vec<(Value, usize)> {
    let introspector = document.introspector();
    let selector = Selector::Label(Label::new(PicoStr::intern(label)).expect("label is not empty"));
    introspector
        .query(&selector)
        .iter()
        .filter_map(|content| {
            let value = content.to_packed::<MetadataElem>()?.value.clone();
            let page = introspector.page(content.location()?)?;
            Some((value, page.get()))
        })
        .collect()
}

/// The folio each page prints, as the template marks it (`folio` in
/// common.typ): one per page, empty where a page marks none. For the
/// PDF's page labels.
pub fn folios(document: &PagedDocument) -> Vec<String> {
    let mut folios = vec![String::new(); document.pages().len()];
    for (value, page) in labelled_metadata(document, "folio") {
        if let (Value::Str(text), Some(slot)) = (value, folios.get_mut(page - 1)) {
            *slot = text.to_string();
        }
    }
    folios
}

/// Splits a laid-out document at each `[#metadata(..) <label>]`: one
/// document per mark, holding the pages from the mark's page up to the
/// next mark's, with the mark's value. Laying many items out at once and
/// exporting each one's pages is far cheaper than a compile per item, and
/// unlike a page range a document of its own can be tagged. Each mark must
/// start a page (the template breaks the page before it).
pub fn split_at(document: &PagedDocument, label: &str) -> Vec<(Value, PagedDocument)> {
    use typst::model::Document as _;
    let marks = labelled_metadata(document, label);
    let pages = document.pages();
    marks
        .iter()
        .enumerate()
        .map(|(k, (value, page))| {
            let start = page - 1;
            let end = marks.get(k + 1).map_or(pages.len(), |(_, next)| next - 1).max(start);
            let part = PagedDocument::new(pages[start..end].iter().cloned().collect(), document.info().clone());
            (value.clone(), part)
        })
        .collect()
}

/// Makes every string of a document's data exportable under PDF/UA-1,
/// which refuses text no font can draw: control characters (but line
/// breaks and tabs) and bidi controls are dropped, and a character no font
/// has becomes 〓, as Japanese print marks a missing character. Such
/// characters are reported at their cell (T301) before this, so nothing
/// goes unsaid; without it one emoji in a title would stop the booklet.
/// `covered` remembers each character's answer: a font's coverage is a
/// list scanned from the start, and a booklet holds many thousands.
fn printable(value: &mut serde_json::Value, fonts: &FontSet, covered: &mut std::collections::HashMap<char, bool>) {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            let needs = text.chars().any(|c| (c.is_control() && !matches!(c, '\n' | '\t')) || !c.is_ascii());
            if !needs {
                return;
            }
            let substitute = if *covered.entry('〓').or_insert_with(|| fonts.covers('〓')) { '〓' } else { '?' };
            let mut fixed = String::with_capacity(text.len());
            for c in text.chars() {
                if (c.is_control() && !matches!(c, '\n' | '\t')) || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{FEFF}') {
                    continue;
                }
                let drawn = c.is_ascii() || *covered.entry(c).or_insert_with(|| fonts.covers(c));
                fixed.push(if drawn { c } else { substitute });
            }
            *text = fixed;
        }
        Value::Array(values) => values.iter_mut().for_each(|v| printable(v, fonts, covered)),
        Value::Object(map) => map.values_mut().for_each(|v| printable(v, fonts, covered)),
        _ => {}
    }
}
