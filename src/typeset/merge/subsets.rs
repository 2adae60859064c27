//! Each font face embedded once in a joined document.
//!
//! typst_pdf (through krilla) embeds, for each face a document uses, a
//! subset holding only the glyphs it shows, numbered in the order the
//! document first used them: a glyph's CID in the content streams is its
//! number in the subset. Parts laid out apart each carry their own subsets
//! of the same faces. The join makes one subset per face, from the font
//! file the parts were made with, holding every glyph any part shows:
//!
//! - each glyph of a part's subset is found in the font file by its
//!   outline and metrics (the subsetter copies a glyph's outline as it is
//!   and renumbers only the components of a composite glyph);
//! - the first part using the face keeps its numbering, so its pages are
//!   unchanged; the glyphs only later parts show are numbered after;
//! - one font dictionary, descendant font (its widths), descriptor (a box
//!   covering every part's), program, ToUnicode map and CID set stand for
//!   the face, and the later parts' font resources point to them;
//! - the strings the later parts' content streams show in that face are
//!   renumbered (`Tj`, `TJ`, `'`, `"`).
//!
//! A font this cannot account for — not a TrueType CID font as krilla
//! writes it, a glyph found in no font file of the run (a face instanced
//! at a variation, a supplied PDF's own font), used by a content stream it
//! cannot read (inline images, a graphics state that sets the font) —
//! keeps its own subset: the joined file is larger, never wrong.

use super::{Read, Shape, Value, parse, string_bytes};
use std::collections::{HashMap, HashSet};

/// What sharing the subsets changes in the join, by (part, object number
/// in the part).
#[derive(Default)]
pub(super) struct Shared {
    /// A later part's font, standing for the first part's of its face.
    pub redirect: HashMap<(usize, usize), (usize, usize)>,
    /// Objects of a later part's font no longer needed (its descendant
    /// font, descriptor, program, ToUnicode map and CID set).
    pub dropped: HashSet<(usize, usize)>,
    /// A new value (in the part's own numbering) and stream data: the
    /// shared font's objects, the later parts' renumbered content streams.
    pub replaced: HashMap<(usize, usize), (Value, Option<Vec<u8>>)>,
    /// Faces shared, for tests and benchmarks: PostScript name and parts.
    pub faces: Vec<(String, usize)>,
}

/// One part's font of a face, as krilla writes it.
struct Member {
    part: usize,
    type0: usize,
    cid_font: usize,
    descriptor: usize,
    program: usize,
    to_unicode: usize,
    cid_set: Option<usize>,
    /// The PostScript name after the subset tag.
    name: String,
    /// The subset, inflated.
    subset: Vec<u8>,
    /// Each CID's width as written.
    widths: HashMap<u16, Value>,
    /// Each CID's text as written in the ToUnicode map (`<0041>`).
    unicode: HashMap<u16, Vec<u8>>,
    bbox: [f64; 4],
}

/// A content stream and the fonts its resources name.
struct Content {
    number: usize,
    fonts: HashMap<Vec<u8>, usize>,
}

/// A part's content streams and its fonts that may share a subset.
struct Scanned {
    contents: Vec<Content>,
    members: Vec<Member>,
}

fn scan(part: &Read<'_>, shape: &Shape, k: usize) -> Scanned {
    let mut contents = Vec::new();
    let mut excluded = HashSet::new();
    // A part this cannot follow takes no part.
    if content_streams(part, shape, &mut contents, &mut excluded).is_err() {
        return Scanned { contents: Vec::new(), members: Vec::new() };
    }
    let used: std::collections::BTreeSet<usize> = contents.iter().flat_map(|c| c.fonts.values().copied()).filter(|f| !excluded.contains(f)).collect();
    let mut names = HashSet::new();
    let mut members = Vec::new();
    for font in used {
        if let Ok(member) = read_member(part, k, font) {
            // One font per face and part (krilla writes no more).
            if names.insert(member.name.clone()) {
                members.push(member);
            }
        }
    }
    Scanned { contents, members }
}

/// What sharing one face's subset changes.
#[derive(Default)]
struct Face {
    /// Each member's CID → the shared subset's CID (the first member's
    /// only when it changes).
    renumbered: Vec<((usize, usize), HashMap<u16, u16>)>,
    shared: Shared,
}

/// How the fonts of the parts can share subsets, given the font files the
/// parts were laid out with. A content stream to renumber that cannot be
/// read (see `rewrite`) is an error: the join then shares nothing. (On one
/// thread: the join ends a booklet job, and rayon's pool is busy with
/// other jobs' exports, which work handed to it would wait behind.)
pub(super) fn share(reads: &[Read<'_>], shapes: &[Shape], fonts: &[typst::text::Font]) -> Result<Shared, String> {
    let scanned: Vec<Scanned> = reads.iter().zip(shapes).enumerate().map(|(k, (part, shape))| scan(part, shape, k)).collect();
    let mut by_name: Vec<(String, Vec<&Member>)> = Vec::new();
    for member in scanned.iter().flat_map(|s| &s.members) {
        match by_name.iter_mut().find(|(name, _)| *name == member.name) {
            Some((_, group)) => group.push(member),
            None => by_name.push((member.name.clone(), vec![member])),
        }
    }
    let faces: Vec<Result<Face, String>> = by_name.into_iter().filter(|(_, group)| group.len() > 1).map(|(name, group)| share_face(reads, fonts, &name, group)).collect();
    let mut shared = Shared::default();
    // Each member's CID → the shared subset's CID.
    let mut renumbered: HashMap<(usize, usize), HashMap<u16, u16>> = HashMap::new();
    for face in faces {
        let face = face?;
        renumbered.extend(face.renumbered);
        shared.redirect.extend(face.shared.redirect);
        shared.dropped.extend(face.shared.dropped);
        shared.replaced.extend(face.shared.replaced);
        shared.faces.extend(face.shared.faces);
    }

    // The text in a renumbered font, renumbered.
    let rewritten: Vec<Result<Vec<((usize, usize), (Value, Option<Vec<u8>>))>, String>> = scanned
        .iter()
        .enumerate()
        .map(|(k, scanned)| {
            let mut out = Vec::new();
            let mut done = HashSet::new();
            for content in &scanned.contents {
                let maps: HashMap<Vec<u8>, &HashMap<u16, u16>> =
                    content.fonts.iter().filter_map(|(name, font)| renumbered.get(&(k, *font)).map(|m| (name.clone(), m))).collect();
                if maps.is_empty() || !done.insert(content.number) {
                    continue;
                }
                let data = stream_data(&reads[k], content.number)?;
                if let Some(new) = rewrite(&data, &maps)? {
                    let mut value = reads[k].value(content.number)?;
                    value.set(b"Filter", Value::Name(b"FlateDecode".to_vec()));
                    value.remove(b"DecodeParms");
                    out.push(((k, content.number), (value, Some(deflate(&new)))));
                }
            }
            Ok(out)
        })
        .collect();
    for part in rewritten {
        shared.replaced.extend(part?);
    }
    Ok(shared)
}

/// One face's shared subset, when a font file has the glyphs of two of
/// its members or more.
fn share_face(reads: &[Read<'_>], fonts: &[typst::text::Font], name: &str, group: Vec<&Member>) -> Result<Face, String> {
    let mut face = Face::default();
    let Some((file, group)) = original(fonts, name, &group) else { return Ok(face) };
    let mut remapper = subsetter::GlyphRemapper::new();
    for (_, glyphs) in &group {
        for &g in glyphs {
            remapper.remap(g);
        }
    }
    let Ok(subset) = subsetter::subset(file.data(), file.index(), &remapper) else { return Ok(face) };
    let keeper = group[0].0;
    for (i, (member, glyphs)) in group.iter().enumerate() {
        let cids: HashMap<u16, u16> = glyphs.iter().enumerate().map(|(cid, g)| (cid as u16, remapper.get(*g).expect("remapped"))).collect();
        // The first part's numbering stays, unless two of its glyphs are
        // one in the file (the same outline under two numbers).
        if i > 0 || cids.iter().any(|(old, new)| old != new) {
            face.renumbered.push(((member.part, member.type0), cids));
        }
        if i == 0 {
            continue;
        }
        face.shared.redirect.insert((member.part, member.type0), (keeper.part, keeper.type0));
        for object in [Some(member.cid_font), Some(member.descriptor), Some(member.program), Some(member.to_unicode), member.cid_set].into_iter().flatten() {
            face.shared.dropped.insert((member.part, object));
        }
    }
    face.shared.faces.push((name.to_string(), group.len()));
    write_shared_font(&reads[keeper.part], &group, &remapper, &subset, &mut face.shared)?;
    Ok(face)
}

/// Every content stream of a part (its pages', and the form XObjects,
/// tiling patterns and soft masks their resources name) with the fonts
/// its resources name; `excluded` gets the fonts used where this does
/// not follow (a Type 3 font's glyphs).
fn content_streams(part: &Read<'_>, shape: &Shape, found: &mut Vec<Content>, excluded: &mut HashSet<usize>) -> Result<(), String> {
    let mut seen = HashSet::new();
    for (page, _) in &shape.pages {
        let page = part.value(*page)?;
        let resources = resolve(part, page.get(b"Resources").ok_or("a page without resources")?)?;
        let fonts = walk_resources(part, &resources, found, excluded, &mut seen, 0)?;
        let streams = match page.get(b"Contents") {
            Some(Value::Ref(n)) => vec![*n],
            Some(Value::Array(items)) => items.iter().map(|v| v.as_ref().ok_or("a page's contents that are not references")).collect::<Result<_, _>>()?,
            None => Vec::new(),
            _ => return Err("a page's contents that are not references".into()),
        };
        for number in streams {
            found.push(Content { number, fonts: fonts.clone() });
        }
        // Annotations' appearances are content streams too.
        if let Some(annotations) = page.get(b"Annots") {
            let Value::Array(annotations) = resolve(part, annotations)? else { return Err("annotations that are not an array".into()) };
            for annotation in annotations {
                let annotation = resolve(part, &annotation)?;
                let Some(appearance) = annotation.get(b"AP") else { continue };
                let Value::Dict(states) = resolve(part, appearance)? else { return Err("an appearance that is not a dictionary".into()) };
                let mut forms = Vec::new();
                // A state is a form, or a dictionary of forms by name.
                let is_stream = |n: usize| part.objects.get(n).copied().flatten().is_some_and(|(_, stream)| stream.is_some());
                for (_, state) in states {
                    match state {
                        Value::Ref(n) if is_stream(n) => forms.push(n),
                        other => {
                            if let Value::Dict(entries) = resolve(part, &other)? {
                                forms.extend(entries.into_iter().filter_map(|(_, v)| v.as_ref()));
                            }
                        }
                    }
                }
                for form in forms {
                    if seen.insert(form) {
                        let value = part.value(form)?;
                        let inner = resolve(part, value.get(b"Resources").ok_or("an appearance without resources of its own")?)?;
                        let inner_fonts = walk_resources(part, &inner, found, excluded, &mut seen, 1)?;
                        found.push(Content { number: form, fonts: inner_fonts });
                    }
                }
            }
        }
    }
    Ok(())
}

fn resolve(part: &Read<'_>, value: &Value) -> Result<Value, String> {
    match value {
        Value::Ref(n) => part.value(*n),
        other => Ok(other.clone()),
    }
}

/// The fonts a resource dictionary names (name → object), after walking
/// the content streams it holds.
fn walk_resources(
    part: &Read<'_>,
    resources: &Value,
    found: &mut Vec<Content>,
    excluded: &mut HashSet<usize>,
    seen: &mut HashSet<usize>,
    depth: usize,
) -> Result<HashMap<Vec<u8>, usize>, String> {
    if depth > 20 {
        return Err("resources nested too deeply".into());
    }
    let entries = |key: &[u8]| -> Result<Vec<(Vec<u8>, Value)>, String> {
        match resources.get(key).map(|v| resolve(part, v)).transpose()? {
            Some(Value::Dict(entries)) => Ok(entries),
            Some(_) => Err("a resource category that is not a dictionary".into()),
            None => Ok(Vec::new()),
        }
    };
    let mut fonts = HashMap::new();
    for (name, font) in entries(b"Font")? {
        let Value::Ref(number) = font else { continue };
        let value = part.value(number)?;
        if value.is_name(b"Subtype", b"Type3") {
            // Its glyphs are content streams of their own: any font
            // their resources name keeps its subset.
            if let Some(inner) = value.get(b"Resources") {
                let inner = resolve(part, inner)?;
                let mut ignored = Vec::new();
                let named = walk_resources(part, &inner, &mut ignored, excluded, seen, depth + 1)?;
                excluded.extend(named.into_values());
                excluded.extend(ignored.iter().flat_map(|c| c.fonts.values().copied()));
            }
            continue;
        }
        fonts.insert(name, number);
    }
    // Forms, tiling patterns and soft masks: content streams of their own.
    let mut forms = Vec::new();
    for (_, xobject) in entries(b"XObject")? {
        if let Value::Ref(n) = xobject
            && part.value(n)?.is_name(b"Subtype", b"Form")
        {
            forms.push(n);
        }
    }
    for (_, pattern) in entries(b"Pattern")? {
        if let Value::Ref(n) = pattern
            && part.value(n)?.get(b"PatternType").and_then(Value::as_int) == Some(1)
        {
            forms.push(n);
        }
    }
    for (_, state) in entries(b"ExtGState")? {
        let state = resolve(part, &state)?;
        if state.get(b"Font").is_some() {
            return Err("a graphics state sets the font".into());
        }
        if let Some(mask) = state.get(b"SMask") {
            if let Some(Value::Ref(n)) = resolve(part, mask)?.get(b"G") {
                forms.push(*n);
            }
        }
    }
    for form in forms {
        if !seen.insert(form) {
            continue;
        }
        let value = part.value(form)?;
        let inner = resolve(part, value.get(b"Resources").ok_or("a form without resources of its own")?)?;
        let inner_fonts = walk_resources(part, &inner, found, excluded, seen, depth + 1)?;
        found.push(Content { number: form, fonts: inner_fonts });
    }
    Ok(fonts)
}

/// A stream's data, inflated when it is deflated.
fn stream_data(part: &Read<'_>, number: usize) -> Result<Vec<u8>, String> {
    let (start, stream) = part.objects.get(number).copied().flatten().ok_or_else(|| format!("object {number} is missing"))?;
    let (from, to) = stream.ok_or_else(|| format!("object {number} is not a stream"))?;
    let value = parse(part.pdf, start, 0)?.0;
    if value.get(b"DecodeParms").is_some() {
        return Err("a stream with decode parameters".into());
    }
    let data = &part.pdf[from..to];
    match value.get(b"Filter") {
        None => Ok(data.to_vec()),
        Some(Value::Name(n)) if n == b"FlateDecode" => inflate(data),
        Some(Value::Array(filters)) if filters.len() == 1 && filters[0] == Value::Name(b"FlateDecode".to_vec()) => inflate(data),
        Some(_) => Err("a stream with a filter other than FlateDecode".into()),
    }
}

fn inflate(data: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut out = Vec::with_capacity(data.len() * 4);
    flate2::read::ZlibDecoder::new(data).read_to_end(&mut out).map_err(|e| format!("a stream that does not inflate: {e}"))?;
    Ok(out)
}

/// Deflated as krilla deflates (zlib, level 6).
fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::with_capacity(data.len() / 2), flate2::Compression::new(6));
    encoder.write_all(data).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// A font as krilla writes a TrueType face: a Type 0 font, Identity-H,
/// over one CIDFontType2 with the identity CID-to-glyph map, whose
/// descriptor holds the subset as FontFile2, with a ToUnicode map.
fn read_member(part: &Read<'_>, k: usize, type0: usize) -> Result<Member, String> {
    let font = part.value(type0)?;
    let not = || "not a font as krilla writes it".to_string();
    if !font.is_name(b"Subtype", b"Type0") || !font.is_name(b"Encoding", b"Identity-H") {
        return Err(not());
    }
    let cid_font = match font.get(b"DescendantFonts") {
        Some(Value::Array(items)) if items.len() == 1 => items[0].as_ref().ok_or_else(not)?,
        _ => return Err(not()),
    };
    let to_unicode = font.get(b"ToUnicode").and_then(Value::as_ref).ok_or_else(not)?;
    let cid = part.value(cid_font)?;
    if !cid.is_name(b"Subtype", b"CIDFontType2") || !cid.is_name(b"CIDToGIDMap", b"Identity") {
        return Err(not());
    }
    let descriptor = cid.get(b"FontDescriptor").and_then(Value::as_ref).ok_or_else(not)?;
    let desc = part.value(descriptor)?;
    let program = desc.get(b"FontFile2").and_then(Value::as_ref).ok_or_else(not)?;
    let cid_set = desc.get(b"CIDSet").and_then(Value::as_ref);
    let name = match cid.get(b"BaseFont") {
        Some(Value::Name(n)) => String::from_utf8(n.clone()).map_err(|_| not())?,
        _ => return Err(not()),
    };
    let name = match name.split_once('+') {
        Some((tag, rest)) if tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()) => rest.to_string(),
        _ => return Err(not()),
    };
    if name.contains('#') {
        return Err(not());
    }
    let mut widths = HashMap::new();
    if let Some(Value::Array(w)) = cid.get(b"W") {
        let mut i = 0;
        while i < w.len() {
            let first = w[i].as_int().ok_or_else(not)?;
            match (w.get(i + 1), w.get(i + 2)) {
                (Some(Value::Array(list)), _) => {
                    for (j, width) in list.iter().enumerate() {
                        widths.insert(u16::try_from(first + j as i64).map_err(|_| not())?, width.clone());
                    }
                    i += 2;
                }
                (Some(Value::Int(last)), Some(width)) => {
                    for c in first..=*last {
                        widths.insert(u16::try_from(c).map_err(|_| not())?, width.clone());
                    }
                    i += 3;
                }
                _ => return Err(not()),
            }
        }
    }
    let bbox = match desc.get(b"FontBBox") {
        Some(Value::Array(items)) if items.len() == 4 => {
            let mut b = [0f64; 4];
            for (slot, item) in b.iter_mut().zip(items) {
                *slot = number(item).ok_or_else(not)?;
            }
            b
        }
        _ => return Err(not()),
    };
    let unicode = unicode_map(&stream_data(part, to_unicode)?)?;
    let subset = stream_data(part, program)?;
    Ok(Member { part: k, type0, cid_font, descriptor, program, to_unicode, cid_set, name, subset, widths, unicode, bbox })
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Int(n) => Some(*n as f64),
        Value::Real(raw) => std::str::from_utf8(raw).ok()?.parse().ok(),
        _ => None,
    }
}

/// A ToUnicode map's entries: CID → the text token as written (`<0041>`).
fn unicode_map(cmap: &[u8]) -> Result<HashMap<u16, Vec<u8>>, String> {
    let text = std::str::from_utf8(cmap).map_err(|_| "a ToUnicode map that is not text")?;
    let hex = |token: &str| token.strip_prefix('<').and_then(|t| t.strip_suffix('>')).and_then(|t| u16::from_str_radix(t, 16).ok());
    let mut map = HashMap::new();
    let mut section = "";
    for line in text.lines().map(str::trim) {
        if line.ends_with("beginbfchar") || line.ends_with("beginbfrange") {
            section = if line.ends_with("beginbfchar") { "char" } else { "range" };
            continue;
        }
        if line.starts_with("end") {
            section = "";
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        match (section, tokens.as_slice()) {
            ("", _) => {}
            ("char", [code, text]) => {
                map.insert(hex(code).ok_or("a ToUnicode entry it cannot read")?, text.as_bytes().to_vec());
            }
            ("range", [from, to, text]) if text.starts_with('<') && text.len() >= 6 => {
                let (from, to) = (hex(from).ok_or("a ToUnicode range it cannot read")?, hex(to).ok_or("a ToUnicode range it cannot read")?);
                let digits = &text[1..text.len() - 1];
                let (stem, last) = digits.split_at(digits.len() - 4);
                let last = u16::from_str_radix(last, 16).map_err(|_| "a ToUnicode range it cannot read")?;
                for (i, code) in (from..=to).enumerate() {
                    map.insert(code, format!("<{stem}{:04X}>", last.wrapping_add(i as u16)).into_bytes());
                }
            }
            _ => return Err("a ToUnicode map it cannot read".into()),
        }
    }
    Ok(map)
}

/// A TrueType font's tables.
struct Sfnt<'a> {
    data: &'a [u8],
    tables: HashMap<[u8; 4], (usize, usize)>,
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

impl<'a> Sfnt<'a> {
    fn new(data: &'a [u8], index: u32) -> Option<Sfnt<'a>> {
        let start = if data.starts_with(b"ttcf") { u32_at(data, 12 + 4 * index as usize)? as usize } else { 0 };
        let count = u16_at(data, start + 4)? as usize;
        let mut tables = HashMap::new();
        for i in 0..count {
            let record = start + 12 + 16 * i;
            let tag: [u8; 4] = data.get(record..record + 4)?.try_into().ok()?;
            let (offset, length) = (u32_at(data, record + 8)? as usize, u32_at(data, record + 12)? as usize);
            data.get(offset..offset + length)?;
            tables.insert(tag, (offset, length));
        }
        Some(Sfnt { data, tables })
    }

    fn table(&self, tag: &[u8; 4]) -> Option<&'a [u8]> {
        let (offset, length) = *self.tables.get(tag)?;
        self.data.get(offset..offset + length)
    }

    /// Each glyph's outline data (without padding) and horizontal metrics.
    fn glyphs(&self) -> Option<Vec<(&'a [u8], u16, i16)>> {
        let (head, maxp, hhea, hmtx, loca, glyf) =
            (self.table(b"head")?, self.table(b"maxp")?, self.table(b"hhea")?, self.table(b"hmtx")?, self.table(b"loca")?, self.table(b"glyf")?);
        let long = u16_at(head, 50)? != 0;
        let count = u16_at(maxp, 4)? as usize;
        let metrics = u16_at(hhea, 34)? as usize;
        let offset = |i: usize| if long { u32_at(loca, 4 * i).map(|o| o as usize) } else { u16_at(loca, 2 * i).map(|o| 2 * o as usize) };
        let mut glyphs = Vec::with_capacity(count);
        for gid in 0..count {
            let (from, to) = (offset(gid)?, offset(gid + 1)?);
            let data = glyf.get(from..to.max(from))?;
            let (advance, side) = if gid < metrics {
                (u16_at(hmtx, 4 * gid)?, u16_at(hmtx, 4 * gid + 2)? as i16)
            } else {
                (u16_at(hmtx, 4 * (metrics - 1))?, u16_at(hmtx, 4 * metrics + 2 * (gid - metrics))? as i16)
            };
            glyphs.push((trim_padding(data), advance, side));
        }
        Some(glyphs)
    }

    /// The font's Unicode cmap (its format 4 and 12 tables): character →
    /// glyph.
    fn cmap(&self) -> HashMap<u32, u16> {
        let mut map = HashMap::new();
        let Some(cmap) = self.table(b"cmap") else { return map };
        let count = u16_at(cmap, 2).unwrap_or(0) as usize;
        let mut tables: Vec<&[u8]> = (0..count)
            .filter_map(|i| {
                let (platform, encoding) = (u16_at(cmap, 4 + 8 * i)?, u16_at(cmap, 6 + 8 * i)?);
                (platform == 0 || (platform == 3 && matches!(encoding, 1 | 10))).then_some(())?;
                cmap.get(u32_at(cmap, 8 + 8 * i)? as usize..)
            })
            .collect();
        // Format 12 (all of Unicode) last, so it has the last word.
        tables.sort_by_key(|t| u16_at(t, 0) == Some(12));
        for table in tables {
            match u16_at(table, 0) {
                Some(4) => cmap4(table, &mut map),
                Some(12) => cmap12(table, &mut map),
                _ => None,
            };
        }
        map
    }

    /// The PostScript name (name ID 6).
    fn postscript_name(&self) -> Option<String> {
        let name = self.table(b"name")?;
        let (count, strings) = (u16_at(name, 2)? as usize, u16_at(name, 4)? as usize);
        for i in 0..count {
            let record = 6 + 12 * i;
            let (platform, id) = (u16_at(name, record)?, u16_at(name, record + 6)?);
            let (length, offset) = (u16_at(name, record + 8)? as usize, u16_at(name, record + 10)? as usize);
            if id != 6 {
                continue;
            }
            let raw = name.get(strings + offset..strings + offset + length)?;
            return match platform {
                0 | 3 => String::from_utf16(&raw.chunks(2).filter_map(|p| Some(u16::from_be_bytes(p.try_into().ok()?))).collect::<Vec<_>>()).ok(),
                _ => Some(raw.iter().map(|&b| b as char).collect()),
            };
        }
        None
    }
}

fn cmap4(table: &[u8], map: &mut HashMap<u32, u16>) -> Option<()> {
    let segments = u16_at(table, 6)? as usize / 2;
    let (ends, starts, deltas, offsets) = (14, 16 + 2 * segments, 16 + 4 * segments, 16 + 6 * segments);
    for s in 0..segments {
        let (start, end) = (u16_at(table, starts + 2 * s)?, u16_at(table, ends + 2 * s)?);
        let delta = u16_at(table, deltas + 2 * s)?;
        let offset = u16_at(table, offsets + 2 * s)? as usize;
        for c in start..=end.min(0xFFFE) {
            let g = if offset == 0 {
                c.wrapping_add(delta)
            } else {
                match u16_at(table, offsets + 2 * s + offset + 2 * (c - start) as usize)? {
                    0 => continue,
                    g => g.wrapping_add(delta),
                }
            };
            if g != 0 {
                map.insert(c as u32, g);
            }
        }
    }
    Some(())
}

fn cmap12(table: &[u8], map: &mut HashMap<u32, u16>) -> Option<()> {
    let groups = u32_at(table, 12)? as usize;
    for i in 0..groups {
        let at = 16 + 12 * i;
        let (start, end, glyph) = (u32_at(table, at)?, u32_at(table, at + 4)?, u32_at(table, at + 8)?);
        // A group is a run of characters; a run past the planes is not.
        for c in start..=end.min(start.saturating_add(0xFFFF)).min(0x10FFFF) {
            if let Ok(g) = u16::try_from(glyph + (c - start)) {
                map.insert(c, g);
            }
        }
    }
    Some(())
}

/// A glyph's data without the zero bytes that pad it to the next glyph
/// (the subsetter pads to two bytes, a font file to its own alignment).
fn trim_padding(data: &[u8]) -> &[u8] {
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &data[..end]
}

/// A font file's glyphs, to find a subset's glyphs in.
struct Originals<'a> {
    /// Each glyph's outline (without padding) and metrics, by number.
    glyphs: Vec<(&'a [u8], u16, i16)>,
    /// The file's Unicode cmap.
    cmap: HashMap<u32, u16>,
    /// Outline and metrics → the glyphs with them, lowest number first;
    /// made only when a glyph is not the one its text maps to.
    by_key: std::cell::OnceCell<HashMap<(&'a [u8], u16, i16), Vec<u16>>>,
}

/// The first font file of the run with the face's name that has the
/// glyphs of two members or more, and those members with their glyphs as
/// it numbers them (a member whose glyphs it lacks keeps its own subset).
fn original<'a, 'm>(fonts: &'a [typst::text::Font], name: &str, group: &[&'m Member]) -> Option<(&'a typst::text::Font, Vec<(&'m Member, Vec<u16>)>)> {
    for font in fonts {
        let Some(sfnt) = Sfnt::new(font.data(), font.index()) else { continue };
        if sfnt.postscript_name().as_deref() != Some(name) {
            continue;
        }
        let Some(glyphs) = sfnt.glyphs() else { continue };
        let originals = Originals { glyphs, cmap: sfnt.cmap(), by_key: std::cell::OnceCell::new() };
        let found: Vec<(&Member, Vec<u16>)> = group.iter().filter_map(|m| originals.glyphs_in(m).map(|g| (*m, g))).collect();
        if found.len() > 1 {
            return Some((font, found));
        }
    }
    None
}

impl Originals<'_> {
    /// The font file's number of each glyph of a member's subset, when it
    /// has them all: the glyph the member's text for it maps to in the
    /// file's cmap when it is drawn the same, else the first glyph drawn
    /// the same (two glyphs alike draw the same).
    fn glyphs_in(&self, member: &Member) -> Option<Vec<u16>> {
        let glyphs = Sfnt::new(&member.subset, 0)?.glyphs()?;
        let mut found: Vec<Option<u16>> = vec![None; glyphs.len()];
        // Simple glyphs first; a composite glyph once its components are found.
        for _ in 0..8 {
            let mut progress = false;
            for (gid, &(data, advance, side)) in glyphs.iter().enumerate() {
                if found[gid].is_some() {
                    continue;
                }
                let composite = u16_at(data, 0).is_some_and(|n| (n as i16) < 0);
                let key: Option<Vec<u8>> = if composite { components_as(data, &found) } else { Some(data.to_vec()) };
                let Some(key) = key else { continue };
                let key = (trim_padding(&key), advance, side);
                let by_text = member
                    .unicode
                    .get(&(gid as u16))
                    .and_then(|text| single_char(text))
                    .and_then(|c| self.cmap.get(&c).copied())
                    .filter(|&g| self.glyphs.get(g as usize) == Some(&key));
                let by_outline = || {
                    let index = self.by_key.get_or_init(|| {
                        let mut index: HashMap<(&[u8], u16, i16), Vec<u16>> = HashMap::with_capacity(self.glyphs.len());
                        for (g, key) in self.glyphs.iter().enumerate() {
                            index.entry(*key).or_default().push(g as u16);
                        }
                        index
                    });
                    index.get(&key).map(|candidates| candidates[0])
                };
                if let Some(g) = by_text.or_else(by_outline) {
                    found[gid] = Some(g);
                    progress = true;
                }
            }
            if !progress || found.iter().all(Option::is_some) {
                break;
            }
        }
        found.into_iter().collect()
    }
}

/// The one character a ToUnicode text token (`<4E00>`) stands for.
fn single_char(token: &[u8]) -> Option<u32> {
    let digits = std::str::from_utf8(token).ok()?.strip_prefix('<')?.strip_suffix('>')?;
    let units: Vec<u16> = (0..digits.len() / 4).map(|i| u16::from_str_radix(&digits[4 * i..4 * i + 4], 16).ok()).collect::<Option<_>>()?;
    let mut chars = char::decode_utf16(units);
    let c = chars.next()?.ok()?;
    chars.next().is_none().then_some(c as u32)
}

/// A composite glyph with its components numbered as `found` gives them,
/// or None while one is not found.
fn components_as(data: &[u8], found: &[Option<u16>]) -> Option<Vec<u8>> {
    let mut out = data.to_vec();
    let mut at = 10;
    loop {
        let flags = u16_at(data, at)?;
        let component = u16_at(data, at + 2)? as usize;
        let original = (*found.get(component)?)?;
        out[at + 2..at + 4].copy_from_slice(&original.to_be_bytes());
        at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
        at += if flags & 0x0008 != 0 {
            2
        } else if flags & 0x0040 != 0 {
            4
        } else if flags & 0x0080 != 0 {
            8
        } else {
            0
        };
        if flags & 0x0020 == 0 {
            return Some(out);
        }
    }
}

/// The first member's font objects made the shared font's: the new
/// subset, every member's widths and text, a box covering them all.
fn write_shared_font(keeper_part: &Read<'_>, group: &[(&Member, Vec<u16>)], remapper: &subsetter::GlyphRemapper, subset: &[u8], shared: &mut Shared) -> Result<(), String> {
    let keeper = group[0].0;
    let k = keeper.part;
    let count = remapper.num_gids();
    // Each new CID's width and text, from the first member that shows it.
    let mut widths: Vec<Option<Value>> = vec![None; count as usize];
    let mut unicode: Vec<Option<Vec<u8>>> = vec![None; count as usize];
    let mut bbox = keeper.bbox;
    for (member, glyphs) in group {
        for (cid, glyph) in glyphs.iter().enumerate() {
            let new = remapper.get(*glyph).expect("remapped") as usize;
            if widths[new].is_none() {
                widths[new] = member.widths.get(&(cid as u16)).cloned();
            }
            if unicode[new].is_none() {
                unicode[new] = member.unicode.get(&(cid as u16)).cloned();
            }
        }
        for i in 0..2 {
            bbox[i] = bbox[i].min(member.bbox[i]);
            bbox[i + 2] = bbox[i + 2].max(member.bbox[i + 2]);
        }
    }
    // The subset tag names this glyph set, as krilla's names its own.
    let tag: String = {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for g in remapper.remapped_gids() {
            hasher.update(g.to_be_bytes());
        }
        hasher.finalize()[..6].iter().map(|b| (b'A' + b % 26) as char).collect()
    };
    let base_font = Value::Name(format!("{tag}+{}", keeper.name).into_bytes());

    let mut type0 = keeper_part.value(keeper.type0)?;
    type0.set(b"BaseFont", base_font.clone());
    shared.replaced.insert((k, keeper.type0), (type0, None));

    let mut cid = keeper_part.value(keeper.cid_font)?;
    cid.set(b"BaseFont", base_font.clone());
    let mut w = Vec::new();
    let mut first = 0;
    while first < widths.len() {
        let mut last = first;
        while last + 1 < widths.len() && widths[last + 1] == widths[first] {
            last += 1;
        }
        if let Some(width) = &widths[first] {
            w.extend([Value::Int(first as i64), Value::Int(last as i64), width.clone()]);
        }
        first = last + 1;
    }
    cid.set(b"W", Value::Array(w));
    shared.replaced.insert((k, keeper.cid_font), (cid, None));

    let mut descriptor = keeper_part.value(keeper.descriptor)?;
    descriptor.set(b"FontName", base_font);
    descriptor.set(b"FontBBox", Value::Array(bbox.iter().map(|v| Value::Real(real(*v).into_bytes())).collect()));
    shared.replaced.insert((k, keeper.descriptor), (descriptor, None));

    let mut program = keeper_part.value(keeper.program)?;
    if program.get(b"Length1").is_some() {
        program.set(b"Length1", Value::Int(subset.len() as i64));
    }
    program.set(b"Filter", Value::Name(b"FlateDecode".to_vec()));
    shared.replaced.insert((k, keeper.program), (program, Some(deflate(subset))));

    if let Some(set) = keeper.cid_set {
        // One bit per CID, as krilla writes it.
        let mut bits = vec![0xFFu8; count as usize / 8];
        if count % 8 != 0 {
            bits.push(!(0xFFu8 >> (count % 8)));
        }
        let mut value = keeper_part.value(set)?;
        value.set(b"Filter", Value::Name(b"FlateDecode".to_vec()));
        shared.replaced.insert((k, set), (value, Some(deflate(&bits))));
    }

    // The keeper's ToUnicode map with every member's entries.
    let cmap = stream_data(keeper_part, keeper.to_unicode)?;
    let text = String::from_utf8(cmap).map_err(|_| "a ToUnicode map that is not text")?;
    let begin = text.find(" beginbf").and_then(|i| text[..i].rfind('\n')).map(|i| i + 1);
    let end = text.find("endcmap");
    let (Some(begin), Some(end)) = (begin, end) else { return Err("a ToUnicode map without entries".into()) };
    let entries: Vec<(usize, &Vec<u8>)> = unicode.iter().enumerate().filter_map(|(cid, t)| t.as_ref().map(|t| (cid, t))).collect();
    let mut body = String::new();
    for chunk in entries.chunks(100) {
        body.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (cid, text) in chunk {
            body.push_str(&format!("<{cid:04X}> {}\n", String::from_utf8_lossy(text)));
        }
        body.push_str("endbfchar\n");
    }
    let cmap = format!("{}{body}{}", &text[..begin], &text[end..]);
    let mut value = keeper_part.value(keeper.to_unicode)?;
    value.set(b"Filter", Value::Name(b"FlateDecode".to_vec()));
    shared.replaced.insert((k, keeper.to_unicode), (value, Some(deflate(cmap.as_bytes()))));
    Ok(())
}

/// A number as PDF writes a real: short, without exponent.
fn real(v: f64) -> String {
    let text = format!("{v:.5}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.into() }
}

/// What a content stream shows in the fonts `maps` names, renumbered:
/// the stream with those strings rewritten, or None when it shows none.
/// Refuses what it cannot follow: inline images, unbalanced `q`/`Q`, a
/// string of odd length or a CID a map lacks.
fn rewrite(data: &[u8], maps: &HashMap<Vec<u8>, &HashMap<u16, u16>>) -> Result<Option<Vec<u8>>, String> {
    enum Operand {
        Str(usize, usize),
        Array(Vec<(usize, usize)>),
        Name(usize, usize),
        Other,
    }
    let mut operands: Vec<Operand> = Vec::new();
    let mut font: Option<Vec<u8>> = None;
    let mut saved: Vec<Option<Vec<u8>>> = Vec::new();
    let mut replacements: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    let mut i = 0;
    loop {
        i = skip_blank(data, i);
        let Some(&b) = data.get(i) else { break };
        match b {
            b'(' | b'<' if !(b == b'<' && data.get(i + 1) == Some(&b'<')) => {
                let end = string_end(data, i)?;
                operands.push(Operand::Str(i, end));
                i = end;
            }
            b'[' => {
                let mut strings = Vec::new();
                let end = object_end(data, i, &mut strings, 0)?;
                operands.push(Operand::Array(strings));
                i = end;
            }
            b'<' => {
                let end = object_end(data, i, &mut Vec::new(), 0)?;
                operands.push(Operand::Other);
                i = end;
            }
            b'/' => {
                let end = token_end(data, i + 1);
                operands.push(Operand::Name(i + 1, end));
                i = end;
            }
            b')' | b'>' | b']' | b'{' | b'}' => return Err(format!("unexpected {:?} in a content stream", b as char)),
            _ => {
                let end = token_end(data, i);
                if end == i {
                    return Err("unexpected bytes in a content stream".into());
                }
                let token = &data[i..end];
                if token[0].is_ascii_digit() || matches!(token[0], b'+' | b'-' | b'.') || matches!(token, b"true" | b"false" | b"null") {
                    operands.push(Operand::Other);
                    i = end;
                    continue;
                }
                match token {
                    b"BI" | b"ID" | b"EI" => return Err("an inline image".into()),
                    b"q" => saved.push(font.clone()),
                    b"Q" => font = saved.pop().ok_or("a Q without its q")?,
                    b"Tf" => {
                        font = match operands.len().checked_sub(2).map(|k| &operands[k]) {
                            Some(Operand::Name(from, to)) => Some(data[*from..*to].to_vec()),
                            _ => return Err("a Tf without a font name".into()),
                        }
                    }
                    b"Tj" | b"'" | b"\"" | b"TJ" => {
                        if let Some(map) = font.as_ref().and_then(|f| maps.get(f)) {
                            let spans = match operands.last() {
                                Some(Operand::Str(from, to)) if token != b"TJ" => vec![(*from, *to)],
                                Some(Operand::Array(spans)) if token == b"TJ" => spans.clone(),
                                _ => return Err("a text operator without its string".into()),
                            };
                            for (from, to) in spans {
                                let codes = string_bytes_of(&data[from..to])?;
                                if codes.len() % 2 != 0 {
                                    return Err("a string of odd length in a two-byte font".into());
                                }
                                let mut renumbered = Vec::with_capacity(codes.len());
                                for pair in codes.chunks(2) {
                                    let cid = u16::from_be_bytes([pair[0], pair[1]]);
                                    renumbered.extend_from_slice(&map.get(&cid).ok_or_else(|| format!("CID {cid} is not in its font"))?.to_be_bytes());
                                }
                                replacements.push((from, to, literal(&renumbered)));
                            }
                        }
                    }
                    _ => {}
                }
                operands.clear();
                i = end;
            }
        }
    }
    if replacements.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(data.len() + data.len() / 8);
    let mut copied = 0;
    for (from, to, text) in replacements {
        out.extend_from_slice(&data[copied..from]);
        out.extend_from_slice(&text);
        copied = to;
    }
    out.extend_from_slice(&data[copied..]);
    Ok(Some(out))
}

fn skip_blank(data: &[u8], mut i: usize) -> usize {
    loop {
        i = super::skip_space(data, i);
        if data.get(i) == Some(&b'%') {
            while data.get(i).is_some_and(|&b| b != b'\n' && b != b'\r') {
                i += 1;
            }
        } else {
            return i;
        }
    }
}

fn token_end(data: &[u8], i: usize) -> usize {
    i + data[i..].iter().take_while(|&&b| super::is_regular(b)).count()
}

/// Where the string starting at `i` ends (past its closing delimiter).
fn string_end(data: &[u8], i: usize) -> Result<usize, String> {
    let unclosed = || "a string that is not closed".to_string();
    if data[i] == b'<' {
        return Ok(i + 2 + data[i + 1..].iter().position(|&b| b == b'>').ok_or_else(unclosed)?);
    }
    let mut nesting = 0usize;
    let mut j = i + 1;
    loop {
        match *data.get(j).ok_or_else(unclosed)? {
            b'\\' => j += 1,
            b'(' => nesting += 1,
            b')' if nesting == 0 => return Ok(j + 1),
            b')' => nesting -= 1,
            _ => {}
        }
        j += 1;
    }
}

/// Where the array or dictionary at `i` ends; the strings in it go to
/// `strings`.
fn object_end(data: &[u8], i: usize, strings: &mut Vec<(usize, usize)>, depth: usize) -> Result<usize, String> {
    if depth > 50 {
        return Err("values nested too deeply".into());
    }
    let (close, mut j): (&[u8], usize) = if data[i] == b'[' { (b"]", i + 1) } else { (b">>", i + 2) };
    loop {
        j = skip_blank(data, j);
        if data.get(j..).is_some_and(|rest| rest.starts_with(close)) {
            return Ok(j + close.len());
        }
        match *data.get(j).ok_or("an array or dictionary that is not closed")? {
            b'(' => {
                let end = string_end(data, j)?;
                strings.push((j, end));
                j = end;
            }
            b'<' if data.get(j + 1) == Some(&b'<') => j = object_end(data, j, &mut Vec::new(), depth + 1)?,
            b'<' => {
                let end = string_end(data, j)?;
                strings.push((j, end));
                j = end;
            }
            b'[' => j = object_end(data, j, strings, depth + 1)?,
            b'/' => j = token_end(data, j + 1),
            b')' | b'>' | b']' | b'{' | b'}' => return Err("unexpected bytes in an array or dictionary".into()),
            _ => {
                let end = token_end(data, j);
                if end == j {
                    return Err("unexpected bytes in an array or dictionary".into());
                }
                j = end;
            }
        }
    }
}

/// The bytes a literal or hex string stands for.
fn string_bytes_of(raw: &[u8]) -> Result<Vec<u8>, String> {
    if raw[0] == b'<' {
        return string_bytes(raw).ok_or_else(|| "a hex string it cannot read".to_string());
    }
    let inner = &raw[1..raw.len() - 1];
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        i += 1;
        if b != b'\\' {
            // A line end in a string is a newline, whichever it was.
            if b == b'\r' {
                if inner.get(i) == Some(&b'\n') {
                    i += 1;
                }
                out.push(b'\n');
            } else {
                out.push(b);
            }
            continue;
        }
        let Some(&e) = inner.get(i) else { break };
        i += 1;
        match e {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0C),
            b'0'..=b'7' => {
                let mut value = (e - b'0') as u32;
                for _ in 0..2 {
                    match inner.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            value = value * 8 + (d - b'0') as u32;
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(value as u8);
            }
            b'\r' => {
                if inner.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// A string as pdf-writer writes one: literal when every byte is ASCII,
/// with the same escapes, else hex.
fn literal(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2 + 2);
    if bytes.iter().all(u8::is_ascii) {
        out.push(b'(');
        for &b in bytes {
            match b {
                b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                b' '..=b'~' => out.push(b),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0C => out.extend_from_slice(b"\\f"),
                _ => out.extend_from_slice(&[b'\\', b'0' + (b >> 6), b'0' + (b >> 3 & 7), b'0' + (b & 7)]),
            }
        }
        out.push(b')');
    } else {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        out.push(b'<');
        for &b in bytes {
            out.extend_from_slice(&[HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        }
        out.push(b'>');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_read_back_as_written() {
        for bytes in [&b"\x00\x01\x00("[..], b"\x00\\\x00)\x0a\x0d", b"\x01\xff\x00\x80", b""] {
            assert_eq!(string_bytes_of(&literal(bytes)).unwrap(), bytes);
        }
        assert_eq!(string_bytes_of(b"(\\000\\b\\t)").unwrap(), b"\x00\x08\x09");
        assert_eq!(string_bytes_of(b"(a\\\nb)").unwrap(), b"ab");
        assert_eq!(string_bytes_of(b"<0041 42>").unwrap(), b"\x00AB");
    }

    #[test]
    fn text_in_a_renumbered_font_is_renumbered_and_the_rest_kept() {
        let map: HashMap<u16, u16> = [(1, 0x0203), (2, 7)].into();
        let maps: HashMap<Vec<u8>, &HashMap<u16, u16>> = [(b"f1".to_vec(), &map)].into();
        let content = b"/Span<</MCID 0>>BDC q BT/f1 9 Tf[(\\000\\001)-20(\\000\\002)]TJ ET Q BT/f0 9 Tf(\\000\\001)Tj ET q/f1 8 Tf Q(\\000\\001)Tj EMC";
        let out = rewrite(content, &maps).unwrap().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            "/Span<</MCID 0>>BDC q BT/f1 9 Tf[(\\002\\003)-20(\\000\\007)]TJ ET Q BT/f0 9 Tf(\\000\\001)Tj ET q/f1 8 Tf Q(\\000\\001)Tj EMC"
        );
        assert!(rewrite(b"BT/f0 9 Tf(\\000\\001)Tj ET", &maps).unwrap().is_none());
        assert!(rewrite(b"BI /W 1 ID \x00 EI", &maps).is_err());
        assert!(rewrite(b"Q", &maps).is_err());
        assert!(rewrite(b"/f1 9 Tf(\\000\\011)Tj", &maps).is_err(), "a CID its font lacks");
    }

    #[test]
    fn unicode_maps_read_chars_and_ranges() {
        let cmap = b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n2 beginbfchar\n<0001> <78BA>\n<0002> <00660069>\nendbfchar\n1 beginbfrange\n<0010> <0012> <0041>\nendbfrange\nendcmap";
        let map = unicode_map(cmap).unwrap();
        assert_eq!(map[&1], b"<78BA>");
        assert_eq!(map[&2], b"<00660069>");
        assert_eq!(map[&0x12], b"<0043>");
    }
}
