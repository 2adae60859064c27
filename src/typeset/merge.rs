//! Joins tagged PDFs that typst_pdf wrote for the parts of one document into
//! one tagged PDF, as if the document had been laid out whole.
//!
//! The 素案 booklet is laid out in parts (its front matter, then each
//! department's 個票), so a build after one department resent its workbook
//! lays out that department's part and the front matter again and reuses
//! the other parts' PDFs. Typst cannot join laid-out parts itself: element
//! locations collide between separate compilations, so the join happens
//! here, on the PDFs, after export:
//!
//! - the objects of every part are renumbered into one file;
//! - one page tree holds every page, in order;
//! - one structure tree: the later parts' top elements join the first
//!   part's `/Document` element; the parent tree keys of each part's pages
//!   and annotations move past those of the parts before it; the IDs of
//!   table headers (`/ID`, `/Headers`, the `/IDTree`) get a per-part prefix
//!   so they stay unique;
//! - one outline: a part marked `nested` hangs its top-level bookmarks under
//!   the last top-level bookmark of the parts before it;
//! - links a part makes to another part's pages are written by the template
//!   as URI links to a placeholder (`gyokaku-page:N`) and become links to the
//!   page they name here;
//! - the first part's catalog, document information and XMP metadata stand
//!   for the whole (its page count updated, and the file's version
//!   identifiers made from every part's bytes).
//!
//! The reader knows only what typst_pdf writes (see `compact`); anything
//! else is an error, never a silently wrong file. The result is a classic
//! PDF for [`super::compact::compact`] to pack.

use super::compact::{integer, is_regular, is_space, skip_space, startxref, trailer, xref_table, Entry};
use std::collections::HashMap;

mod subsets;

/// A URI link to this prefix and a key is a link to another part's page:
/// the caller maps each key to a page of the merged document.
pub const LINK_PREFIX: &str = "gyokaku-page:";

/// One part: a PDF as typst_pdf exported it (or as `merge` joined it).
pub struct Part {
    pub pdf: Vec<u8>,
    /// Its top-level bookmarks belong under the last top-level bookmark
    /// before it.
    pub nested: bool,
    /// A bookmark made for the part (a meeting's 資料): this title, going
    /// to its first page, with the part's own top-level bookmarks under it.
    pub bookmark: Option<String>,
    /// The folio printed on each of its pages, for the whole's page labels
    /// (what a viewer shows as the page's number); empty: the part's own
    /// page labels, when it has any.
    pub folios: Vec<String>,
}

impl Part {
    /// A part with no bookmark or folios of its own.
    pub fn new(pdf: Vec<u8>, nested: bool) -> Part {
        Part { pdf, nested, bookmark: None, folios: Vec::new() }
    }
}

/// A PDF value. Numbers other than integers, strings and names keep their
/// bytes as written.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Real(Vec<u8>),
    /// Without the slash.
    Name(Vec<u8>),
    /// With its delimiters: `(…)` or `<…>`.
    Str(Vec<u8>),
    Array(Vec<Value>),
    Dict(Vec<(Vec<u8>, Value)>),
    Ref(usize),
}

impl Value {
    fn get(&self, key: &[u8]) -> Option<&Value> {
        match self {
            Value::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        match self {
            Value::Dict(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn set(&mut self, key: &[u8], value: Value) {
        if let Value::Dict(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key.to_vec(), value)),
            }
        }
    }

    fn remove(&mut self, key: &[u8]) -> Option<Value> {
        match self {
            Value::Dict(entries) => entries.iter().position(|(k, _)| k == key).map(|i| entries.remove(i).1),
            _ => None,
        }
    }

    fn is_name(&self, key: &[u8], name: &[u8]) -> bool {
        matches!(self.get(key), Some(Value::Name(n)) if n == name)
    }

    fn as_ref(&self) -> Option<usize> {
        match self {
            Value::Ref(n) => Some(*n),
            _ => None,
        }
    }

    fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether the value as written starts with a regular character (not a
    /// delimiter), so it needs a space after what comes before; pdf-writer
    /// writes no more spaces than that, and neither does the join.
    fn starts_regular(&self) -> bool {
        matches!(self, Value::Null | Value::Bool(_) | Value::Int(_) | Value::Real(_) | Value::Ref(_))
    }

    /// Whether the value as written ends with a regular character.
    fn ends_regular(&self) -> bool {
        !matches!(self, Value::Str(_) | Value::Array(_) | Value::Dict(_))
    }

    /// Every reference in the value, renumbered by `map`.
    fn renumber(&mut self, map: &dyn Fn(usize) -> Option<usize>) -> Result<(), String> {
        match self {
            Value::Ref(n) => *n = map(*n).ok_or_else(|| format!("reference to object {n}, which the part does not have"))?,
            Value::Array(items) => items.iter_mut().try_for_each(|v| v.renumber(map))?,
            Value::Dict(entries) => entries.iter_mut().try_for_each(|(_, v)| v.renumber(map))?,
            _ => {}
        }
        Ok(())
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Value::Real(raw) | Value::Str(raw) => out.extend_from_slice(raw),
            Value::Name(name) => {
                out.push(b'/');
                out.extend_from_slice(name);
            }
            Value::Ref(n) => out.extend_from_slice(format!("{n} 0 R").as_bytes()),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 && items[i - 1].ends_regular() && item.starts_regular() {
                        out.push(b' ');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Value::Dict(entries) => {
                out.extend_from_slice(b"<<");
                for (key, value) in entries {
                    out.push(b'/');
                    out.extend_from_slice(key);
                    if value.starts_regular() {
                        out.push(b' ');
                    }
                    value.write(out);
                }
                out.extend_from_slice(b">>");
            }
        }
    }
}

/// Parses the value at `i`; returns it and the offset after it.
fn parse(data: &[u8], i: usize, depth: usize) -> Result<(Value, usize), String> {
    let bad = || format!("unexpected bytes at offset {i}");
    if depth > 100 {
        return Err("values nested too deeply".into());
    }
    let regular_end = |from: usize| from + data[from..].iter().take_while(|&&b| is_regular(b)).count();
    match *data.get(i).ok_or_else(bad)? {
        b'<' if data.get(i + 1) == Some(&b'<') => {
            let mut entries = Vec::new();
            let mut j = i + 2;
            loop {
                j = skip_space(data, j);
                if data.get(j..).is_some_and(|rest| rest.starts_with(b">>")) {
                    return Ok((Value::Dict(entries), j + 2));
                }
                if data.get(j) != Some(&b'/') {
                    return Err(bad());
                }
                let key_end = regular_end(j + 1);
                let (value, next) = parse(data, skip_space(data, key_end), depth + 1)?;
                entries.push((data[j + 1..key_end].to_vec(), value));
                j = next;
            }
        }
        b'<' => {
            let close = i + 1 + data[i + 1..].iter().position(|&b| b == b'>').ok_or_else(bad)?;
            Ok((Value::Str(data[i..=close].to_vec()), close + 1))
        }
        b'(' => {
            let mut nesting = 0usize;
            let mut j = i + 1;
            loop {
                match *data.get(j).ok_or_else(bad)? {
                    b'\\' => j += 1,
                    b'(' => nesting += 1,
                    b')' if nesting == 0 => return Ok((Value::Str(data[i..=j].to_vec()), j + 1)),
                    b')' => nesting -= 1,
                    _ => {}
                }
                j += 1;
            }
        }
        b'[' => {
            let mut items = Vec::new();
            let mut j = i + 1;
            loop {
                j = skip_space(data, j);
                if data.get(j) == Some(&b']') {
                    return Ok((Value::Array(items), j + 1));
                }
                let (value, next) = parse(data, j, depth + 1)?;
                items.push(value);
                j = next;
            }
        }
        b'/' => {
            let end = regular_end(i + 1);
            Ok((Value::Name(data[i + 1..end].to_vec()), end))
        }
        b'0'..=b'9' | b'+' | b'-' | b'.' => {
            let end = regular_end(i);
            let token = &data[i..end];
            if token.iter().all(u8::is_ascii_digit) {
                // `N G R` is a reference.
                let g = skip_space(data, end);
                if g > end
                    && let Some((_, g_end)) = integer(data, g)
                {
                    let r = skip_space(data, g_end);
                    if r > g_end && data.get(r) == Some(&b'R') && !data.get(r + 1).is_some_and(|&b| is_regular(b)) {
                        let (n, _) = integer(data, i).ok_or_else(bad)?;
                        return Ok((Value::Ref(n), r + 1));
                    }
                }
            }
            let text = std::str::from_utf8(token).map_err(|_| bad())?;
            match text.parse::<i64>() {
                Ok(n) => Ok((Value::Int(n), end)),
                Err(_) if text.parse::<f64>().is_ok() => Ok((Value::Real(token.to_vec()), end)),
                Err(_) => Err(bad()),
            }
        }
        _ => {
            let end = regular_end(i);
            match &data[i..end] {
                b"true" => Ok((Value::Bool(true), end)),
                b"false" => Ok((Value::Bool(false), end)),
                b"null" => Ok((Value::Null, end)),
                _ => Err(bad()),
            }
        }
    }
}

/// A part read: where each object's value (and stream data) is, and its
/// trailer's references. Objects are parsed when needed, one at a time, so
/// joining holds the parts' bytes and the result, not a tree of every
/// object.
struct Read<'a> {
    pdf: &'a [u8],
    /// Each object's value offset and stream data range, by number.
    objects: Vec<Option<(usize, Option<(usize, usize)>)>>,
    root: usize,
    info: Option<usize>,
    id: Option<Vec<u8>>,
    header: &'a [u8],
}

fn read(pdf: &[u8]) -> Result<Read<'_>, String> {
    let unexpected = || "not laid out as typst_pdf writes its files".to_string();
    let (startxref_at, xref_at) = startxref(pdf).ok_or_else(unexpected)?;
    let (entries, trailer_at) = xref_table(pdf, xref_at).ok_or_else(unexpected)?;
    let trailer = trailer(pdf, trailer_at, startxref_at).ok_or_else(unexpected)?;
    let reference = |raw: &[u8]| integer(raw, 0).map(|(n, _)| n).ok_or_else(unexpected);
    let root = reference(trailer.root)?;
    let info = trailer.info.map(reference).transpose()?;
    let mut objects = vec![None; entries.len()];
    let mut header_end = pdf.len();
    for (number, entry) in entries.iter().enumerate() {
        let Entry::InUse { offset, generation } = *entry else { continue };
        if generation != 0 {
            return Err(unexpected());
        }
        header_end = header_end.min(offset);
        let (found, i) = integer(pdf, offset).ok_or_else(unexpected)?;
        let (_, i) = integer(pdf, skip_space(pdf, i)).ok_or_else(unexpected)?;
        let i = skip_space(pdf, i);
        if found != number || !pdf[i..].starts_with(b"obj") {
            return Err(unexpected());
        }
        let start = skip_space(pdf, i + 3);
        let (value, end) = parse(pdf, start, 0).map_err(|e| format!("object {number}: {e}"))?;
        let after = skip_space(pdf, end);
        let stream = if pdf[after..].starts_with(b"stream") {
            let data_start = after + if pdf[after..].starts_with(b"stream\r\n") { 8 } else { 7 };
            let length = value.get(b"Length").and_then(Value::as_int).ok_or_else(unexpected)? as usize;
            let data_end = data_start + length;
            if data_end > pdf.len() || !pdf[skip_space(pdf, data_end)..].starts_with(b"endstream") {
                return Err(unexpected());
            }
            Some((data_start, data_end))
        } else if pdf[after..].starts_with(b"endobj") {
            None
        } else {
            return Err(unexpected());
        };
        objects[number] = Some((start, stream));
    }
    let id = trailer.id.map(<[u8]>::to_vec);
    Ok(Read { pdf, objects, root, info, id, header: &pdf[..header_end.min(pdf.len())] })
}

impl Read<'_> {
    fn value(&self, number: usize) -> Result<Value, String> {
        let (start, _) = self.objects.get(number).copied().flatten().ok_or_else(|| format!("object {number} is missing"))?;
        Ok(parse(self.pdf, start, 0)?.0)
    }

    /// The page objects in order with the top edge of each (where a link
    /// to it shows), and the page tree nodes.
    fn pages(&self, node: usize, pages: &mut Vec<(usize, Value)>, nodes: &mut Vec<usize>) -> Result<(), String> {
        let value = self.value(node)?;
        if value.is_name(b"Type", b"Pages") {
            // Attributes a node passes on to its pages would be lost with it.
            if let Value::Dict(entries) = &value {
                if let Some((key, _)) = entries.iter().find(|(k, _)| !matches!(k.as_slice(), b"Type" | b"Kids" | b"Count" | b"Parent")) {
                    return Err(format!("a page tree node has /{}, which joining does not know", String::from_utf8_lossy(key)));
                }
            }
            nodes.push(node);
            for kid in value.get(b"Kids").and_then(Value::as_array).ok_or("a page tree node without /Kids")? {
                self.pages(kid.as_ref().ok_or("a page tree kid that is not a reference")?, pages, nodes)?;
            }
        } else {
            // Parent tree keys are moved in objects of their own only.
            if value.get(b"Annots").and_then(Value::as_array).is_some_and(|a| a.iter().any(|v| v.as_ref().is_none())) {
                return Err("a page has an annotation that is not an object of its own".into());
            }
            let top = value.get(b"MediaBox").and_then(Value::as_array).and_then(|b| b.get(3)).cloned().unwrap_or(Value::Null);
            pages.push((node, top));
        }
        Ok(())
    }

    /// The outline items under `first` and its siblings: (object, children).
    fn outline(&self, first: Option<usize>, items: &mut Vec<Bookmark>) -> Result<(), String> {
        let mut next = first;
        let mut seen = 0;
        while let Some(number) = next {
            seen += 1;
            if seen > self.objects.len() {
                return Err("the outline has a loop".into());
            }
            let value = self.value(number)?;
            let mut children = Vec::new();
            self.outline(value.get(b"First").and_then(Value::as_ref), &mut children)?;
            let open = value.get(b"Count").and_then(Value::as_int).is_some_and(|c| c > 0);
            items.push(Bookmark { number, open, children });
            next = value.get(b"Next").and_then(Value::as_ref);
        }
        Ok(())
    }
}

/// An outline item (by its object number in the merged file) and those
/// under it.
struct Bookmark {
    number: usize,
    open: bool,
    children: Vec<Bookmark>,
}

impl Bookmark {
    /// The same items by their numbers in the merged file.
    fn renumbered(self, map: &[Option<usize>]) -> Option<Bookmark> {
        let number = map.get(self.number).copied().flatten()?;
        let children = self.children.into_iter().map(|c| c.renumbered(map)).collect::<Option<Vec<_>>>()?;
        Some(Bookmark { number, open: self.open, children })
    }

    /// How many items show under this one when it is open.
    fn visible(&self) -> i64 {
        self.children.iter().map(|c| 1 + if c.open { c.visible() } else { 0 }).sum()
    }
}

/// What joining needs of one part.
struct Shape {
    catalog: Value,
    /// Each page and its top edge.
    pages: Vec<(usize, Value)>,
    page_nodes: Vec<usize>,
    struct_root: usize,
    /// The part's `/Document` element and its kids.
    document: usize,
    kids: Vec<Value>,
    /// The parent tree as a direct value, and its object when it has one.
    nums: Vec<Value>,
    parent_tree_object: Option<usize>,
    next_key: i64,
    ids: Vec<Value>,
    role_map: Vec<(Vec<u8>, Value)>,
    outline: Option<usize>,
    /// Named destinations (name bytes, destination), of a later part: the
    /// links and bookmarks naming them are made to go there directly.
    dests: HashMap<Vec<u8>, Value>,
    /// The part's page labels: (page index, label dictionary).
    labels: Vec<(i64, Value)>,
}

fn shape(part: &Read<'_>, first: bool) -> Result<Shape, String> {
    let catalog = part.value(part.root)?;
    let pages_root = catalog.get(b"Pages").and_then(Value::as_ref).ok_or("no page tree")?;
    let (mut pages, mut page_nodes) = (Vec::new(), Vec::new());
    part.pages(pages_root, &mut pages, &mut page_nodes)?;
    let struct_root = catalog.get(b"StructTreeRoot").and_then(Value::as_ref).ok_or("not tagged")?;
    let root = part.value(struct_root)?;
    if let Value::Dict(entries) = &root {
        for (key, _) in entries {
            if !matches!(key.as_slice(), b"Type" | b"K" | b"ParentTree" | b"ParentTreeNextKey" | b"RoleMap" | b"IDTree") {
                return Err(format!("the structure tree has /{}, which joining does not know", String::from_utf8_lossy(key)));
            }
        }
    }
    let document = match root.get(b"K") {
        Some(Value::Array(kids)) if kids.len() == 1 => kids[0].as_ref(),
        Some(Value::Ref(n)) => Some(*n),
        _ => None,
    }
    .filter(|&n| part.value(n).is_ok_and(|d| d.is_name(b"S", b"Document")))
    .ok_or("the structure tree has not one /Document element")?;
    let kids = match part.value(document)?.get(b"K") {
        Some(Value::Array(kids)) => kids.clone(),
        Some(kid) => vec![kid.clone()],
        None => Vec::new(),
    };
    let (parent_tree, parent_tree_object) = match root.get(b"ParentTree").ok_or("no parent tree")? {
        Value::Ref(n) => (part.value(*n)?, Some(*n)),
        direct => (direct.clone(), None),
    };
    if parent_tree.get(b"Kids").is_some() {
        return Err("the parent tree has /Kids, which joining does not know".into());
    }
    // Only direct values are expected where typst_pdf writes them direct:
    // anything else is refused, not read as empty.
    let direct_array = |value: Option<&Value>, what: &str| -> Result<Vec<Value>, String> {
        match value {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(_) => Err(format!("{what} is not a direct array, which joining does not know")),
        }
    };
    let nums = direct_array(parent_tree.get(b"Nums"), "the parent tree's /Nums")?;
    let ids = match root.get(b"IDTree") {
        Some(Value::Dict(_)) if root.get(b"IDTree").and_then(|t| t.get(b"Kids")).is_some() => return Err("the ID tree has /Kids, which joining does not know".into()),
        Some(tree @ Value::Dict(_)) => direct_array(tree.get(b"Names"), "the ID tree's /Names")?,
        Some(_) => return Err("the ID tree is not a direct dictionary, which joining does not know".into()),
        None => Vec::new(),
    };
    let role_map = match root.get(b"RoleMap") {
        Some(Value::Dict(entries)) => entries.clone(),
        Some(_) => return Err("the role map is not a direct dictionary, which joining does not know".into()),
        None => Vec::new(),
    };
    // The next part's keys start past every key of this one.
    let highest = nums.iter().step_by(2).filter_map(Value::as_int).max().map_or(0, |k| k + 1);
    let next_key = root.get(b"ParentTreeNextKey").and_then(Value::as_int).unwrap_or(0).max(highest);
    if let Value::Dict(entries) = &catalog {
        let known = |key: &[u8]| matches!(key, b"Type" | b"Pages" | b"StructTreeRoot" | b"MarkInfo" | b"Lang" | b"ViewerPreferences" | b"Metadata" | b"Outlines" | b"Names" | b"PageLabels");
        if let Some((key, _)) = entries.iter().find(|(k, _)| !known(k)) {
            return Err(format!("the catalog has /{}, which joining does not know", String::from_utf8_lossy(key)));
        }
    }
    if catalog.get(b"Names").is_some_and(|names| !matches!(names, Value::Dict(entries) if entries.iter().all(|(k, _)| k == b"Dests"))) {
        return Err("the catalog's /Names holds more than destinations, which joining does not know".into());
    }
    let mut dests = HashMap::new();
    if !first && let Some(tree) = catalog.get(b"Names").and_then(|n| n.get(b"Dests")) {
        let tree = match tree {
            Value::Ref(n) => part.value(*n)?,
            direct => direct.clone(),
        };
        if tree.get(b"Kids").is_some() {
            return Err("the named destinations have /Kids, which joining does not know".into());
        }
        let names = direct_array(tree.get(b"Names"), "the named destinations' /Names")?;
        for pair in names.chunks(2) {
            let [Value::Str(raw), dest] = pair else { return Err("the named destinations are not name, destination pairs".into()) };
            let name = string_bytes(raw).ok_or("a named destination whose name is not a plain string")?;
            dests.insert(name, dest.clone());
        }
    }
    let mut labels = Vec::new();
    if let Some(tree) = catalog.get(b"PageLabels") {
        let tree = match tree {
            Value::Ref(n) => part.value(*n)?,
            direct => direct.clone(),
        };
        if tree.get(b"Kids").is_some() {
            return Err("the page labels have /Kids, which joining does not know".into());
        }
        for pair in direct_array(tree.get(b"Nums"), "the page labels' /Nums")?.chunks(2) {
            let [Value::Int(page), label @ Value::Dict(_)] = pair else { return Err("the page labels are not page, label pairs".into()) };
            labels.push((*page, label.clone()));
        }
    }
    let outline = catalog.get(b"Outlines").and_then(Value::as_ref);
    Ok(Shape { catalog, pages, page_nodes, struct_root, document, kids, nums, parent_tree_object, next_key, ids, role_map, outline, dests, labels })
}

/// `(…)` or `<…>` with `prefix` (plain ASCII) put in front of its bytes.
fn prefixed(raw: &[u8], prefix: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + prefix.len() * 2);
    out.push(raw[0]);
    if raw[0] == b'<' {
        for b in prefix.bytes() {
            out.extend_from_slice(format!("{b:02X}").as_bytes());
        }
    } else {
        out.extend_from_slice(prefix.as_bytes());
    }
    out.extend_from_slice(&raw[1..]);
    out
}

/// The bytes a string stands for (for sorting the ID tree), or None when
/// it is not a plain literal or hex string.
fn string_bytes(raw: &[u8]) -> Option<Vec<u8>> {
    match raw.first()? {
        b'(' if !raw.contains(&b'\\') => Some(raw[1..raw.len() - 1].to_vec()),
        b'<' => {
            let digits: Vec<u8> = raw[1..raw.len() - 1].iter().copied().filter(|b| !is_space(*b)).collect();
            digits.chunks(2).map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok().map(|b| if pair.len() == 1 { b << 4 } else { b })).collect()
        }
        _ => None,
    }
}

/// How a later part's IDs of table header cells are made unique in the
/// whole. typst_pdf names a cell `U{table}x{column}y{row}`, numbering the
/// tables of a document from 1: a part's tables are numbered on after the
/// parts before it, so the IDs are those of the document laid out whole.
/// An ID of another form gets a per-part prefix (`p3-…`).
struct Rename {
    /// Added to a part's table numbers.
    tables: u64,
    prefix: String,
}

impl Rename {
    /// The table number of a typst_pdf cell ID (`U12x0y3` → 12).
    fn table(bytes: &[u8]) -> Option<(u64, &[u8])> {
        let rest = bytes.strip_prefix(b"U")?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || rest[0] == b'0' {
            return None;
        }
        let tail = &rest[digits..];
        let coords = tail.strip_prefix(b"x")?;
        let at = coords.iter().position(|&b| b == b'y')?;
        let (x, y) = (&coords[..at], &coords[at + 1..]);
        if x.is_empty() || y.is_empty() || !x.iter().chain(y).all(u8::is_ascii_digit) {
            return None;
        }
        Some((std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?, tail))
    }

    /// The highest table number among a part's IDs (its ID tree's keys).
    fn highest(ids: &[Value]) -> u64 {
        ids.iter().step_by(2).filter_map(|v| if let Value::Str(raw) = v { string_bytes(raw) } else { None }).filter_map(|b| Self::table(&b).map(|(n, _)| n)).max().unwrap_or(0)
    }

    /// `raw` (`(…)` or `<…>`) as the whole names it.
    fn id(&self, raw: &[u8]) -> Vec<u8> {
        if let Some(bytes) = string_bytes(raw)
            && let Some((n, tail)) = Self::table(&bytes)
        {
            let renamed = [format!("U{}", n + self.tables).as_bytes(), tail].concat();
            if raw[0] == b'(' && !renamed.iter().any(|b| matches!(b, b'(' | b')' | b'\\')) {
                return [&b"("[..], &renamed, b")"].concat();
            }
            return format!("<{}>", crate::cache::hex(&renamed).to_uppercase()).into_bytes();
        }
        prefixed(raw, &self.prefix)
    }

    /// Renames the IDs of table headers in a value (a structure element's
    /// `/ID`, the `/Headers` of a cell's attributes).
    fn ids_in(&self, value: &mut Value) {
        match value {
            Value::Dict(entries) => {
                let element = entries.iter().any(|(k, v)| k == b"Type" && *v == Value::Name(b"StructElem".to_vec()));
                for (key, item) in entries.iter_mut() {
                    match (key.as_slice(), &mut *item) {
                        (b"ID", Value::Str(raw)) if element => *raw = self.id(raw),
                        (b"Headers", Value::Array(ids)) => {
                            for id in ids.iter_mut() {
                                if let Value::Str(raw) = id {
                                    *raw = self.id(raw);
                                }
                            }
                        }
                        _ => self.ids_in(item),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.ids_in(v)),
            _ => {}
        }
    }
}

/// A string as UTF-16BE hex, as typst_pdf writes text strings.
fn text_string(text: &str) -> Value {
    let mut raw = b"<FEFF".to_vec();
    for unit in text.encode_utf16() {
        raw.extend_from_slice(format!("{unit:04X}").as_bytes());
    }
    raw.push(b'>');
    Value::Str(raw)
}

/// Where a placeholder link goes: a page of the merged document (from 0)
/// and the link's alternative text.
pub struct Target {
    pub page: usize,
    pub alt: String,
}

/// The merged document: the parts in order. `links` maps each placeholder
/// key (after [`LINK_PREFIX`]) to where it goes. `fonts` are the font
/// files the parts were laid out with: a face several parts use is then
/// embedded once, one subset with every part's glyphs (see `subsets`);
/// without them, each part keeps its own subsets.
pub fn merge(parts: &[Part], links: &HashMap<String, Target>, fonts: &[typst::text::Font]) -> Result<Vec<u8>, String> {
    Ok(merge_with(parts, links, fonts)?.0)
}

/// What a join did besides its bytes, for tests and benchmarks.
pub struct Joined {
    /// Faces embedded once for several parts: PostScript name and how
    /// many parts' subsets the one stands for.
    pub shared_faces: Vec<(String, usize)>,
}

/// `merge`, and what it did.
pub fn merge_with(parts: &[Part], links: &HashMap<String, Target>, fonts: &[typst::text::Font]) -> Result<(Vec<u8>, Joined), String> {
    if parts.is_empty() {
        return Err("no parts to join".into());
    }
    let reads: Vec<Read> = parts.iter().enumerate().map(|(k, p)| read(&p.pdf).map_err(|e| format!("part {}: {e}", k + 1))).collect::<Result<_, _>>()?;
    let shapes: Vec<Shape> = reads.iter().enumerate().map(|(k, r)| shape(r, k == 0).map_err(|e| format!("part {}: {e}", k + 1))).collect::<Result<_, _>>()?;
    // Shared subsets. Should anything about the fonts be unexpected, the
    // parts keep their own: larger, as correct.
    let mut shared = if parts.len() > 1 && !fonts.is_empty() { subsets::share(&reads, &shapes, fonts).unwrap_or_default() } else { subsets::Shared::default() };
    shared.redirect.extend(repeated_profiles(&reads));

    // New numbers: 1 catalog, 2 page tree, 3 structure tree root, 4 outline
    // root; then every kept object of every part, in order.
    const CATALOG: usize = 1;
    const PAGES: usize = 2;
    const STRUCT_ROOT: usize = 3;
    const OUTLINES: usize = 4;
    const FIRST_OF_PARTS: usize = 5;
    let mut next = FIRST_OF_PARTS;
    // Objects dropped, standing for one made for the whole, or standing
    // for another part's (the first part's /Document element, a shared
    // font or profile).
    enum Special {
        Drop,
        Made(usize),
        Same(usize, usize),
    }
    let mut specials: Vec<HashMap<usize, Special>> = Vec::with_capacity(reads.len());
    for (k, (part, shape)) in reads.iter().zip(&shapes).enumerate() {
        let mut special: HashMap<usize, Special> = HashMap::new();
        special.insert(part.root, Special::Drop);
        for node in &shape.page_nodes {
            special.insert(*node, Special::Made(PAGES));
        }
        special.insert(shape.struct_root, Special::Made(STRUCT_ROOT));
        if let Some(n) = shape.parent_tree_object {
            special.insert(n, Special::Drop);
        }
        if let Some(n) = shape.outline {
            special.insert(n, Special::Made(OUTLINES));
        }
        if k > 0 {
            special.insert(shape.document, Special::Same(0, shapes[0].document));
            if let Some(info) = part.info {
                special.insert(info, Special::Drop);
            }
            if let Some(metadata) = shape.catalog.get(b"Metadata").and_then(Value::as_ref) {
                special.insert(metadata, Special::Drop);
            }
        }
        specials.push(special);
    }
    for (&(k, number), &(keeper_part, keeper)) in &shared.redirect {
        specials[k].insert(number, Special::Same(keeper_part, keeper));
    }
    for &(k, number) in &shared.dropped {
        specials[k].insert(number, Special::Drop);
    }
    // Numbered (and written) kind by kind, every part's objects of a kind
    // together, in the order typst_pdf writes a document's kinds (`rank`):
    // packed into object streams, like objects side by side compress as
    // well as in the document laid out whole. An object standing for
    // another's is of its kind, so numbered after it.
    let mut maps: Vec<Vec<Option<usize>>> = reads.iter().map(|p| vec![None; p.objects.len()]).collect();
    let ranks: Vec<Vec<u8>> = reads.iter().map(ranks).collect();
    let mut order: Vec<(usize, usize)> = Vec::new();
    for rank in 0..=RANKS {
        for (k, part) in reads.iter().enumerate() {
            for (number, object) in part.objects.iter().enumerate() {
                if object.is_none() || ranks[k][number] != rank {
                    continue;
                }
                maps[k][number] = match specials[k].get(&number) {
                    Some(Special::Drop) => None,
                    Some(Special::Made(n)) => Some(*n),
                    Some(Special::Same(k0, n0)) => Some(maps[*k0][*n0].ok_or("an object standing for one not yet numbered")?),
                    None => {
                        order.push((k, number));
                        next += 1;
                        Some(next - 1)
                    }
                };
            }
        }
    }
    // A bookmark made for a part, numbered after every part's objects.
    let made_bookmarks: Vec<Option<usize>> = parts
        .iter()
        .map(|p| {
            p.bookmark.as_ref().map(|_| {
                next += 1;
                next - 1
            })
        })
        .collect();
    let size = next;

    // What the joined parts share, from their shapes: the pages, the
    // /Document element's kids, the parent tree, the IDs and the roles.
    let mut offsets = Vec::with_capacity(shapes.len());
    let (mut pages, mut tops, mut kids, mut nums) = (Vec::new(), HashMap::new(), Vec::new(), Vec::new());
    let mut ids: Vec<(Vec<u8>, Value)> = Vec::new();
    let mut role_map: Vec<(Vec<u8>, Value)> = Vec::new();
    let mut offset = 0i64;
    let mut renames = Vec::with_capacity(shapes.len());
    let mut tables = 0;
    for shape in &shapes {
        renames.push(Rename { tables, prefix: format!("p{}-", renames.len()) });
        tables += Rename::highest(&shape.ids);
    }
    for (k, shape) in shapes.iter().enumerate() {
        let context = |e: String| format!("part {}: {e}", k + 1);
        let renumber = |n: usize| maps[k].get(n).copied().flatten();
        offsets.push(offset);
        for (page, top) in &shape.pages {
            let new = renumber(*page).expect("pages are kept");
            pages.push(new);
            tops.insert(new, top.clone());
        }
        let mut part_kids = Value::Array(shape.kids.clone());
        part_kids.renumber(&renumber).map_err(context)?;
        if let Value::Array(items) = part_kids {
            kids.extend(items);
        }
        for pair in shape.nums.chunks(2) {
            let [Value::Int(key), value] = pair else { return Err(context("the parent tree is not key, value pairs".into())) };
            let mut value = value.clone();
            value.renumber(&renumber).map_err(context)?;
            nums.push(Value::Int(key + offset));
            nums.push(value);
        }
        for pair in shape.ids.chunks(2) {
            let [Value::Str(raw), value] = pair else { return Err(context("the ID tree is not name, value pairs".into())) };
            let raw = if k > 0 { renames[k].id(raw) } else { raw.clone() };
            let mut value = value.clone();
            value.renumber(&renumber).map_err(context)?;
            ids.push((raw, value));
        }
        for (role, target) in &shape.role_map {
            match role_map.iter().find(|(r, _)| r == role) {
                Some((_, existing)) if existing != target => return Err(context(format!("the role /{} maps differently", String::from_utf8_lossy(role)))),
                Some(_) => {}
                None => role_map.push((role.clone(), target.clone())),
            }
        }
        offset += shape.next_key;
    }
    role_map.sort_by(|a, b| a.0.cmp(&b.0));
    let page_count = pages.len();
    // Each page's first destination object (`[page /XYZ …]`), for links.
    let mut page_dests: HashMap<usize, usize> = HashMap::new();
    for &(k, number) in &order {
        let part = &reads[k];
        let Some((start, None)) = part.objects[number] else { continue };
        if !part.pdf[start..].starts_with(b"[") {
            continue;
        }
        if let Ok((Value::Array(items), _)) = parse(part.pdf, start, 0)
            && let [Value::Ref(page), Value::Name(kind), ..] = items.as_slice()
            && kind == b"XYZ"
            && let Some(Some(page)) = maps[k].get(*page).copied()
            && tops.contains_key(&page)
            && let Some(Some(dest)) = maps[k].get(number).copied()
        {
            page_dests.entry(page).or_insert(dest);
        }
    }

    // The outline: each part's bookmarks, a nested part's under the last
    // top-level one before it; each item's links, by its new number.
    let mut top: Vec<Bookmark> = Vec::new();
    // Each part's first page, for the bookmarks made for parts.
    let mut first_pages = Vec::with_capacity(parts.len());
    let mut seen_pages = 0;
    for (k, (part, shape)) in reads.iter().zip(&shapes).enumerate() {
        first_pages.push(pages.get(seen_pages).copied());
        seen_pages += shape.pages.len();
        let mut bookmarks = Vec::new();
        if let Some(root) = shape.outline {
            part.outline(part.value(root)?.get(b"First").and_then(Value::as_ref), &mut bookmarks)?;
        }
        let mut bookmarks = bookmarks.into_iter().map(|b| b.renumbered(&maps[k])).collect::<Option<Vec<_>>>().ok_or("an outline item is missing")?;
        if let Some(number) = made_bookmarks[k] {
            if shape.pages.is_empty() {
                return Err(format!("part {}: a bookmark for a part without pages", k + 1));
            }
            bookmarks = vec![Bookmark { number, open: false, children: bookmarks }];
        }
        match top.last_mut() {
            Some(last) if parts[k].nested => last.children.extend(bookmarks),
            _ => top.extend(bookmarks),
        }
    }
    let mut outline_links: HashMap<usize, Vec<(&'static [u8], Value)>> = HashMap::new();
    fn link_outline(links: &mut HashMap<usize, Vec<(&'static [u8], Value)>>, items: &[Bookmark], parent: usize) {
        for (i, item) in items.iter().enumerate() {
            let mut entries: Vec<(&'static [u8], Value)> = vec![(b"Parent", Value::Ref(parent))];
            if i > 0 {
                entries.push((b"Prev", Value::Ref(items[i - 1].number)));
            }
            if let Some(next) = items.get(i + 1) {
                entries.push((b"Next", Value::Ref(next.number)));
            }
            if let (Some(first), Some(last)) = (item.children.first(), item.children.last()) {
                entries.push((b"First", Value::Ref(first.number)));
                entries.push((b"Last", Value::Ref(last.number)));
                // Negative: closed, with that many items under it.
                let count = item.visible();
                entries.push((b"Count", Value::Int(if item.open { count } else { -count })));
            }
            links.insert(item.number, entries);
            link_outline(links, &item.children, item.number);
        }
    }
    link_outline(&mut outline_links, &top, OUTLINES);

    // The objects made for the whole: catalog, page tree, structure tree
    // root and outline root.
    let document = maps[0][shapes[0].document].expect("kept");
    let mut root = vec![
        (b"Type".to_vec(), Value::Name(b"StructTreeRoot".to_vec())),
        (b"K".to_vec(), Value::Array(vec![Value::Ref(document)])),
        (b"ParentTree".to_vec(), Value::Dict(vec![(b"Nums".to_vec(), Value::Array(nums))])),
        (b"ParentTreeNextKey".to_vec(), Value::Int(offset)),
    ];
    if !role_map.is_empty() {
        root.push((b"RoleMap".to_vec(), Value::Dict(role_map)));
    }
    if !ids.is_empty() {
        // A name tree's keys are sorted by their bytes.
        let mut keyed = Vec::with_capacity(ids.len());
        for (raw, value) in ids {
            keyed.push((string_bytes(&raw).ok_or("an ID that is not a plain string")?, raw, value));
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let names = keyed.into_iter().flat_map(|(_, raw, value)| [Value::Str(raw), value]).collect();
        root.push((b"IDTree".to_vec(), Value::Dict(vec![(b"Names".to_vec(), Value::Array(names))])));
    }
    let mut catalog = shapes[0].catalog.clone();
    catalog.remove(b"Outlines");
    catalog.remove(b"PageLabels");
    catalog.renumber(&|n| maps[0].get(n).copied().flatten())?;
    if !top.is_empty() {
        catalog.set(b"Outlines", Value::Ref(OUTLINES));
    }
    let labels = page_labels(parts, &shapes)?;
    if !labels.is_empty() {
        catalog.set(b"PageLabels", Value::Dict(vec![(b"Nums".to_vec(), Value::Array(labels))]));
    }
    let metadata = catalog.get(b"Metadata").and_then(Value::as_ref);
    // This version of the whole: a booklet whose later parts changed is
    // another instance even when its first part did not.
    let instance: [u8; 16] = {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.pdf.len() as u64).to_le_bytes());
            hasher.update(&part.pdf);
        }
        hasher.finalize()[..16].try_into().expect("16 bytes")
    };
    let mut writer = Writer::new(reads[0].header, size);
    // The objects made for the whole where typst_pdf puts them: the page
    // tree first, the outline items (with those made for parts), the
    // outline and structure tree roots, …, the catalog last.
    writer.object(
        PAGES,
        &Value::Dict(vec![
            (b"Type".to_vec(), Value::Name(b"Pages".to_vec())),
            (b"Count".to_vec(), Value::Int(page_count as i64)),
            (b"Kids".to_vec(), Value::Array(pages.iter().map(|&p| Value::Ref(p)).collect())),
        ]),
        None,
    );
    let mut roots = Some(Value::Dict(root));
    let mut write_roots = |writer: &mut Writer, outline_links: &mut HashMap<usize, Vec<(&'static [u8], Value)>>| {
        let Some(root) = roots.take() else { return };
        // The bookmarks made for parts.
        for (k, number) in made_bookmarks.iter().enumerate() {
            let (Some(number), Some(title), Some(page)) = (*number, parts[k].bookmark.as_ref(), first_pages[k]) else { continue };
            let top_edge = tops.get(&page).cloned().unwrap_or(Value::Null);
            let mut value = Value::Dict(vec![(b"Title".to_vec(), text_string(title))]);
            for (key, entry) in outline_links.remove(&number).unwrap_or_default() {
                value.set(key, entry);
            }
            value.set(b"Dest", Value::Array(vec![Value::Ref(page), Value::Name(b"XYZ".to_vec()), Value::Int(0), top_edge, Value::Null]));
            writer.object(number, &value, None);
        }
        if !top.is_empty() {
            let count: i64 = top.iter().map(|b| 1 + if b.open { b.visible() } else { 0 }).sum();
            let outlines = Value::Dict(vec![
                (b"Type".to_vec(), Value::Name(b"Outlines".to_vec())),
                (b"Count".to_vec(), Value::Int(count)),
                (b"First".to_vec(), Value::Ref(top[0].number)),
                (b"Last".to_vec(), Value::Ref(top[top.len() - 1].number)),
            ]);
            writer.object(OUTLINES, &outlines, None);
        }
        writer.object(STRUCT_ROOT, &root, None);
    };

    // Every part's kept objects, one at a time, in the order numbered:
    // renumbered, their parent tree keys moved, header IDs renamed,
    // placeholder links resolved.
    {
        for &(k, number) in &order {
            if ranks[k][number] > OUTLINE_ITEMS {
                write_roots(&mut writer, &mut outline_links);
            }
            let (part, shape) = (&reads[k], &shapes[k]);
            let context = |e: String| format!("part {}: {e}", k + 1);
            let map = &maps[k];
            let renumber = |n: usize| map.get(n).copied().flatten();
            let (Some((start, stream)), Some(new)) = (&part.objects[number], map[number]) else { continue };
            // Dropped, or standing for an object made for the whole or
            // for a shared font.
            if new < FIRST_OF_PARTS || (k > 0 && number == shape.document) || shared.redirect.contains_key(&(k, number)) {
                continue;
            }
            let replaced = shared.replaced.get(&(k, number));
            let mut value = match replaced {
                Some((value, _)) => value.clone(),
                None => parse(part.pdf, *start, 0).map_err(context)?.0,
            };
            if k > 0 {
                resolve_named(&mut value, &shape.dests, 0).map_err(context)?;
            }
            value.renumber(&renumber).map_err(context)?;
            for key in [&b"StructParents"[..], b"StructParent"] {
                if let Some(Value::Int(n)) = value.get_mut(key) {
                    *n += offsets[k];
                }
            }
            if k > 0 {
                renames[k].ids_in(&mut value);
            }
            if let Some(entries) = outline_links.remove(&new) {
                // In place, keys kept in their order.
                for key in [&b"Parent"[..], b"Prev", b"Next", b"First", b"Last", b"Count"] {
                    if !entries.iter().any(|(k, _)| *k == key) {
                        value.remove(key);
                    }
                }
                for (key, entry) in entries {
                    value.set(key, entry);
                }
            }
            if new == document {
                value.set(b"K", Value::Array(std::mem::take(&mut kids)));
            }
            resolve_link(&mut value, links, &pages, &tops, &page_dests)?;
            let mut data = match replaced {
                Some((_, Some(data))) => Some(std::borrow::Cow::Borrowed(data.as_slice())),
                _ => stream.map(|(from, to)| std::borrow::Cow::Borrowed(&part.pdf[from..to])),
            };
            if Some(new) == metadata && k == 0 {
                // The XMP metadata counts the pages.
                if value.get(b"Filter").is_some() {
                    return Err("the XMP metadata is compressed".into());
                }
                data = data.map(|d| xmp_for_whole(&d, page_count, &instance).map(std::borrow::Cow::Owned)).transpose()?;
            }
            writer.object(new, &value, data.as_deref());
        }
    }
    write_roots(&mut writer, &mut outline_links);
    writer.object(CATALOG, &catalog, None);
    let info = reads[0].info.and_then(|n| maps[0].get(n).copied().flatten());
    // The file identifier's first half names the document (the first
    // part's); the second names this version of it, all parts included.
    let id = match reads[0].id.as_deref().map(|raw| parse(raw, 0, 0)).transpose()?.map(|(v, _)| v) {
        Some(Value::Array(mut halves)) if halves.len() == 2 => {
            halves[1] = Value::Str(format!("<{}>", crate::cache::hex(&instance)).into_bytes());
            let mut raw = Vec::new();
            Value::Array(halves).write(&mut raw);
            Some(raw)
        }
        _ => reads[0].id.clone(),
    };
    Ok((writer.finish(CATALOG, info, id.as_deref()), Joined { shared_faces: shared.faces }))
}

/// The highest `rank`.
const RANKS: u8 = 8;

/// The `rank` of outline items.
const OUTLINE_ITEMS: u8 = 0;

/// Each object's kind, in the order typst_pdf writes them: outline items,
/// the rest of what comes before the structure elements (the parent
/// tree's arrays), the structure elements, annotations, arrays
/// (destinations, color spaces), resource dictionaries, fonts, pages, the
/// rest.
fn ranks(part: &Read<'_>) -> Vec<u8> {
    let starts = |start: usize, prefix: &[u8]| part.pdf[start..].starts_with(prefix);
    let first_element = part.objects.iter().flatten().map(|(start, _)| *start).filter(|&s| starts(s, b"<</Type/StructElem")).min().unwrap_or(usize::MAX);
    part.objects
        .iter()
        .map(|object| {
            let Some((start, _)) = *object else { return RANKS };
            if starts(start, b"<</Type/StructElem") {
                2
            } else if start < first_element {
                if starts(start, b"<</Parent") || starts(start, b"<</Title") { OUTLINE_ITEMS } else { 1 }
            } else if starts(start, b"<</Type/Annot") {
                3
            } else if starts(start, b"[") {
                4
            } else if starts(start, b"<</ProcSet") {
                5
            } else if starts(start, b"<</Type/Font") {
                6
            } else if starts(start, b"<</Type/Page") {
                7
            } else {
                RANKS
            }
        })
        .collect()
}

/// The ICC profiles a later part repeats (every part has the same sRGB and
/// gray profiles), and the color spaces naming them: each stands for the
/// first part's.
fn repeated_profiles(reads: &[Read<'_>]) -> HashMap<(usize, usize), (usize, usize)> {
    fn has_ref(value: &Value) -> bool {
        match value {
            Value::Ref(_) => true,
            Value::Array(items) => items.iter().any(has_ref),
            Value::Dict(entries) => entries.iter().any(|(_, v)| has_ref(v)),
            _ => false,
        }
    }
    let mut redirect = HashMap::new();
    let mut profiles: HashMap<Vec<u8>, (usize, usize)> = HashMap::new();
    for (k, part) in reads.iter().enumerate() {
        for (number, object) in part.objects.iter().enumerate() {
            let Some((start, Some((from, to)))) = *object else { continue };
            let Ok((Value::Dict(entries), _)) = parse(part.pdf, start, 0) else { continue };
            let profile = entries.iter().any(|(key, _)| key == b"N")
                && entries.iter().all(|(key, value)| matches!(key.as_slice(), b"Length" | b"Filter" | b"N" | b"Alternate" | b"Range") && !has_ref(value));
            if !profile {
                continue;
            }
            let mut key = Vec::new();
            Value::Dict(entries.into_iter().filter(|(key, _)| key != b"Length").collect()).write(&mut key);
            key.extend_from_slice(&part.pdf[from..to]);
            match profiles.get(&key) {
                Some(&first) if first.0 != k => {
                    redirect.insert((k, number), first);
                }
                Some(_) => {}
                None => {
                    profiles.insert(key, (k, number));
                }
            }
        }
    }
    let mut spaces: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
    for (k, part) in reads.iter().enumerate() {
        for (number, object) in part.objects.iter().enumerate() {
            let Some((start, None)) = *object else { continue };
            if !part.pdf[start..].starts_with(b"[/ICCBased") {
                continue;
            }
            let Ok((Value::Array(items), _)) = parse(part.pdf, start, 0) else { continue };
            let [Value::Name(_), Value::Ref(profile)] = items.as_slice() else { continue };
            let target = redirect.get(&(k, *profile)).copied().unwrap_or((k, *profile));
            match spaces.get(&target) {
                Some(&first) if first.0 != k => {
                    redirect.insert((k, number), first);
                }
                Some(_) => {}
                None => {
                    spaces.insert(target, (k, number));
                }
            }
        }
    }
    redirect
}

/// A later part's links and bookmarks to its named destinations made to
/// go to the destination itself (`/Dest` by name, a GoTo action's `/D`):
/// names are the part's own, and only the first part's stay in the whole.
fn resolve_named(value: &mut Value, dests: &HashMap<Vec<u8>, Value>, depth: usize) -> Result<(), String> {
    if depth > 100 {
        return Err("values nested too deeply".into());
    }
    match value {
        Value::Dict(entries) => {
            let go_to = entries.iter().any(|(k, v)| k == b"S" && *v == Value::Name(b"GoTo".to_vec()));
            for (key, item) in entries.iter_mut() {
                let names = key.as_slice() == b"Dest" || (go_to && key.as_slice() == b"D");
                if names && let Value::Str(raw) = item {
                    let name = string_bytes(raw).ok_or("a destination name that is not a plain string")?;
                    *item = dests.get(&name).cloned().ok_or_else(|| format!("a link to the destination {:?}, which the part does not name", String::from_utf8_lossy(&name)))?;
                } else {
                    resolve_named(item, dests, depth + 1)?;
                }
            }
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| resolve_named(v, dests, depth + 1))?,
        _ => {}
    }
    Ok(())
}

/// The whole's page labels (/Nums of its number tree): each part's folios
/// made into ranges, or its own labels moved to where its pages now are.
/// None when no part has any; a part without when others have them is
/// labelled with its pages' numbers in the whole.
fn page_labels(parts: &[Part], shapes: &[Shape]) -> Result<Vec<Value>, String> {
    if parts.iter().zip(shapes).all(|(p, s)| p.folios.is_empty() && s.labels.is_empty()) {
        return Ok(Vec::new());
    }
    let mut nums = Vec::new();
    let mut start = 0usize;
    // The folios of consecutive parts that give them, made into ranges
    // together (a range runs on from one part into the next).
    let mut run: (usize, Vec<String>) = (0, Vec::new());
    let flush = |run: &mut (usize, Vec<String>), nums: &mut Vec<Value>| {
        for (page, label) in folio_ranges(&run.1) {
            nums.push(Value::Int((run.0 + page) as i64));
            nums.push(label);
        }
        run.1.clear();
    };
    for (k, (part, shape)) in parts.iter().zip(shapes).enumerate() {
        let count = shape.pages.len();
        if !part.folios.is_empty() {
            if part.folios.len() != count {
                return Err(format!("part {}: {} folios for {count} pages", k + 1, part.folios.len()));
            }
            if run.1.is_empty() {
                run.0 = start;
            }
            run.1.extend(part.folios.iter().cloned());
            start += count;
            continue;
        }
        flush(&mut run, &mut nums);
        if !shape.labels.is_empty() {
            for (page, label) in &shape.labels {
                if *page < 0 || *page as usize >= count.max(1) {
                    return Err(format!("part {}: a page label for page {} of {count}", k + 1, page + 1));
                }
                nums.push(Value::Int(start as i64 + page));
                nums.push(label.clone());
            }
            if shape.labels[0].0 != 0 {
                return Err(format!("part {}: its page labels do not start on its first page", k + 1));
            }
        } else if count > 0 {
            nums.push(Value::Int(start as i64));
            nums.push(Value::Dict(vec![(b"S".to_vec(), Value::Name(b"D".to_vec())), (b"St".to_vec(), Value::Int(start as i64 + 1))]));
        }
        start += count;
    }
    flush(&mut run, &mut nums);
    Ok(nums)
}

/// Page label ranges (first page, label dictionary) that give each page
/// its folio: a folio ending in a number continues the range before it
/// when it is the next number with the same prefix; small roman numerals
/// (i, ii, …) make a roman range; anything else is a prefix alone.
fn folio_ranges(folios: &[String]) -> Vec<(usize, Value)> {
    // (prefix, style, first number) of the range the page would continue.
    let mut current: Option<(String, u8, i64, usize)> = None;
    let mut ranges = Vec::new();
    for (page, folio) in folios.iter().enumerate() {
        if let Some((prefix, style, first, from)) = &current
            && *style != 0
            && folio_of(prefix, *style, first + (page - from) as i64) == *folio
        {
            continue;
        }
        let (prefix, style, first) = if let Some(n) = roman_value(folio) {
            (String::new(), b'r', n)
        } else {
            let digits = folio.len() - folio.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            let number = folio[folio.len() - digits..].parse::<i64>().ok().filter(|n| *n > 0 && !folio[folio.len() - digits..].starts_with('0'));
            match number {
                Some(n) => (folio[..folio.len() - digits].to_string(), b'D', n),
                None => (folio.clone(), 0, 0),
            }
        };
        let mut label = Vec::new();
        if style != 0 {
            label.push((b"S".to_vec(), Value::Name(vec![style])));
        }
        if !prefix.is_empty() {
            label.push((b"P".to_vec(), text_string(&prefix)));
        }
        if style != 0 && first != 1 {
            label.push((b"St".to_vec(), Value::Int(first)));
        }
        ranges.push((page, Value::Dict(label)));
        current = Some((prefix, style, first, page));
    }
    ranges
}

/// The label a range gives its page with this number.
fn folio_of(prefix: &str, style: u8, number: i64) -> String {
    match style {
        b'r' => format!("{prefix}{}", roman(number)),
        _ => format!("{prefix}{number}"),
    }
}

/// Lower-case roman numerals, as Typst's "i" numbering prints them.
fn roman(mut n: i64) -> String {
    const NUMERALS: [(i64, &str); 13] =
        [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")];
    let mut out = String::new();
    for (value, numeral) in NUMERALS {
        while n >= value {
            out.push_str(numeral);
            n -= value;
        }
    }
    out
}

/// The number a lower-case roman numeral stands for, when the folio is
/// one as `roman` writes it (up to 3999).
fn roman_value(folio: &str) -> Option<i64> {
    if folio.is_empty() || !folio.chars().all(|c| "ivxlcdm".contains(c)) {
        return None;
    }
    (1..4000).find(|&n| roman(n) == folio)
}

/// A link annotation to a placeholder made a link to the page it names:
/// to a destination object a part already has for that page (a bookmark's,
/// as the document laid out whole does), else to the page's top.
fn resolve_link(value: &mut Value, links: &HashMap<String, Target>, pages: &[usize], tops: &HashMap<usize, Value>, dests: &HashMap<usize, usize>) -> Result<(), String> {
    if !value.is_name(b"Subtype", b"Link") {
        return Ok(());
    }
    let Some(Value::Str(uri)) = value.get(b"A").filter(|a| a.is_name(b"S", b"URI")).and_then(|a| a.get(b"URI")) else { return Ok(()) };
    let Some(key) = string_bytes(uri).and_then(|b| String::from_utf8(b).ok()).and_then(|s| s.strip_prefix(LINK_PREFIX).map(str::to_string)) else { return Ok(()) };
    let link = links.get(&key).ok_or_else(|| format!("a link to {LINK_PREFIX}{key}, which no part has"))?;
    let target = *pages.get(link.page).ok_or_else(|| format!("a link to page {} of {}", link.page + 1, pages.len()))?;
    value.remove(b"A");
    let top = tops.get(&target).cloned().unwrap_or(Value::Null);
    let dest = match dests.get(&target) {
        Some(dest) => Value::Ref(*dest),
        None => Value::Array(vec![Value::Ref(target), Value::Name(b"XYZ".to_vec()), Value::Int(0), top, Value::Null]),
    };
    value.set(b"Dest", dest);
    value.set(b"Contents", text_string(&link.alt));
    Ok(())
}

/// The first part's XMP packet for the whole: its page count, and its
/// instance ID (base64, as krilla writes it) for this version.
fn xmp_for_whole(xmp: &[u8], pages: usize, instance: &[u8; 16]) -> Result<Vec<u8>, String> {
    let xmp = replace_element(xmp, "xmpTPg:NPages", pages.to_string().as_bytes())?;
    replace_element(&xmp, "xmpMM:InstanceID", base64(instance).as_bytes())
}

/// `xmp` with the text of its element `name` (when it has one) replaced.
fn replace_element(xmp: &[u8], name: &str, text: &[u8]) -> Result<Vec<u8>, String> {
    let (open, close) = (format!("<{name}>").into_bytes(), format!("</{name}>").into_bytes());
    let Some(start) = xmp.windows(open.len()).position(|w| w == open) else { return Ok(xmp.to_vec()) };
    let from = start + open.len();
    let end = from + xmp[from..].windows(close.len()).position(|w| w == close).ok_or_else(|| format!("the XMP <{name}> is not closed"))?;
    Ok([&xmp[..from], text, &xmp[end..]].concat())
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// Writes a classic PDF as pdf-writer lays one out, object by object: the
/// header, the objects, the cross-reference table and the trailer.
struct Writer {
    out: Vec<u8>,
    offsets: Vec<Option<usize>>,
}

impl Writer {
    fn new(header: &[u8], size: usize) -> Writer {
        let mut out = Vec::with_capacity(1 << 20);
        out.extend_from_slice(header);
        Writer { out, offsets: vec![None; size] }
    }

    fn object(&mut self, number: usize, value: &Value, stream: Option<&[u8]>) {
        let out = &mut self.out;
        self.offsets[number] = Some(out.len());
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        match stream {
            Some(data) => {
                let mut value = value.clone();
                value.set(b"Length", Value::Int(data.len() as i64));
                value.write(out);
                out.extend_from_slice(b"\nstream\n");
                out.extend_from_slice(data);
                out.extend_from_slice(b"\nendstream");
            }
            None => value.write(out),
        }
        out.extend_from_slice(b"\nendobj\n\n");
    }

    fn finish(mut self, root: usize, info: Option<usize>, id: Option<&[u8]>) -> Vec<u8> {
        let size = self.offsets.len();
        let out = &mut self.out;
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {size}\n").as_bytes());
        // Free entries chain to the next free one, the last back to 0.
        let free: Vec<usize> = (0..size).filter(|&n| self.offsets[n].is_none()).collect();
        let mut next_free = free.iter().skip(1).copied().chain([0]);
        for number in 0..size {
            match self.offsets[number] {
                Some(offset) => out.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes()),
                None => {
                    let generation = if number == 0 { 65535 } else { 0 };
                    out.extend_from_slice(format!("{:010} {generation:05} f\r\n", next_free.next().unwrap_or(0)).as_bytes());
                }
            }
        }
        out.extend_from_slice(format!("trailer\n<</Size {size}/Root {root} 0 R").as_bytes());
        if let Some(info) = info {
            out.extend_from_slice(format!("/Info {info} 0 R").as_bytes());
        }
        if let Some(id) = id {
            out.extend_from_slice(b"/ID ");
            out.extend_from_slice(id);
        }
        out.extend_from_slice(format!(">>\nstartxref\n{xref}\n%%EOF").as_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_as_written() {
        let cases: [&[u8]; 8] = [
            b"<</A(a\\)b(c)d)/B<00ff>/C/Na#20me/D[-.5 +3 5. 12 0 R true null]>>",
            b"[1 0 R 2 0 R]",
            b"(nested (parens) and \\\\ escapes)",
            b"<</Count -10/First 547 0 R>>",
            b"3.25",
            b"/Name",
            b"false",
            b"[]",
        ];
        for case in cases {
            let (value, end) = parse(case, 0, 0).unwrap();
            assert_eq!(end, case.len(), "{}", String::from_utf8_lossy(case));
            let mut out = Vec::new();
            value.write(&mut out);
            let (again, _) = parse(&out, 0, 0).unwrap();
            assert_eq!(again, value, "{}", String::from_utf8_lossy(case));
        }
        assert!(matches!(parse(b"12 0 R", 0, 0).unwrap().0, Value::Ref(12)));
        assert!(parse(b"<</A", 0, 0).is_err());
        assert!(parse(b"(open", 0, 0).is_err());
    }

    #[test]
    fn ids_are_renumbered_or_prefixed_in_both_string_forms() {
        let rename = Rename { tables: 40, prefix: "p2-".into() };
        assert_eq!(rename.id(b"(U1x0y0)"), b"(U41x0y0)");
        assert_eq!(rename.id(b"<55317830793132>"), b"<5534317830793132>");
        assert_eq!(rename.id(b"(U01x0y0)"), b"(p2-U01x0y0)");
        assert_eq!(rename.id(b"(Ux0y0)"), b"(p2-Ux0y0)");
        assert_eq!(rename.id(b"(U1x0)"), b"(p2-U1x0)");
        assert_eq!(Rename::highest(&[Value::Str(b"(U3x0y0)".to_vec()), Value::Null, Value::Str(b"(U12x1y0)".to_vec()), Value::Null]), 12);
        assert_eq!(prefixed(b"(U1x0y0)", "p2-"), b"(p2-U1x0y0)");
        assert_eq!(prefixed(b"<55>", "p2-"), b"<70322D55>");
        assert_eq!(string_bytes(b"<70322D55>"), Some(b"p2-U".to_vec()));
        assert_eq!(string_bytes(b"(a\\)b)"), None);
    }

    #[test]
    fn folios_become_the_fewest_label_ranges() {
        let folios: Vec<String> = ["表紙", "i", "ii", "1", "2", "3", "3-2", "4", "5", "別紙"].map(String::from).to_vec();
        let mut written = Vec::new();
        for (page, label) in folio_ranges(&folios) {
            let mut raw = Vec::new();
            label.write(&mut raw);
            written.push((page, String::from_utf8(raw).unwrap()));
        }
        let expected = [
            (0, "<</P<FEFF88687D19>>>"),
            (1, "<</S/r>>"),
            (3, "<</S/D>>"),
            (6, "<</S/D/P<FEFF0033002D>/St 2>>"),
            (7, "<</S/D/St 4>>"),
            (9, "<</P<FEFF52257D19>>>"),
        ];
        assert_eq!(written, expected.map(|(p, l)| (p, l.to_string())));
        assert_eq!(roman(4), "iv");
        assert_eq!(roman_value("xiv"), Some(14));
        assert_eq!(roman_value("civic"), None);
    }

    #[test]
    fn base64_pads_as_krilla_writes_it() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(base64(&[0xff; 16]), "/////////////////////w==");
    }
}
