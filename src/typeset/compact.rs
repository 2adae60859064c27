//! Packs the PDFs that typst_pdf writes into compressed object streams.
//!
//! typst_pdf (through krilla and pdf-writer) writes every object on its own,
//! `N 0 obj … endobj`, with a classic `xref` table and `trailer`. Content
//! streams and fonts are compressed, but the dictionaries are not, and a
//! tagged booklet has many thousands of them: each table cell is a
//! `/StructElem` of its own. [`compact`] moves every non-stream object into
//! Flate-compressed object streams (`/Type/ObjStm`, PDF 1.5) and replaces the
//! table and trailer by a cross-reference stream (`/Type/XRef`). The objects
//! keep their numbers and their bytes; streams are copied byte for byte; the
//! document shows and tags the same, and the same input gives the same bytes.
//!
//! The reader here knows only what pdf-writer writes. Anything it does not
//! expect (another xref layout, an incremental update, an encrypted file, a
//! stream whose `/Length` is not a direct integer, bytes between objects) and
//! the input is returned unchanged.

use flate2::Compression;
use flate2::write::ZlibEncoder;
use std::io::Write;

/// At most this many objects in one object stream. A reader loads a whole
/// stream to reach one of its objects, so they stay moderate; past a few
/// hundred the compression gains little.
const PER_STREAM: usize = 256;

/// The PDF `pdf` as object streams and a cross-reference stream, or `pdf`
/// itself when it is not laid out as typst_pdf lays out its files.
pub fn compact(pdf: Vec<u8>) -> Vec<u8> {
    match pack(&pdf) {
        Some(packed) => packed,
        None => pdf,
    }
}

/// One in-use object of the input, in file order.
struct Object {
    number: usize,
    /// Where `N G obj` starts.
    start: usize,
    /// Just past `endobj`.
    end: usize,
    /// The object's value (a non-stream object of generation 0), which goes
    /// into an object stream; `None` keeps the object as it is.
    value: Option<(usize, usize)>,
}

/// A cross-reference table entry.
#[derive(Clone, Copy)]
pub(super) enum Entry {
    Free { next: usize, generation: usize },
    InUse { offset: usize, generation: usize },
}

fn pack(pdf: &[u8]) -> Option<Vec<u8>> {
    // Object streams and cross-reference streams are PDF 1.5.
    let version = pdf.strip_prefix(b"%PDF-")?;
    let (major, minor) = (version.first()?, version.get(2)?);
    if version.get(1) != Some(&b'.') || !major.is_ascii_digit() || !minor.is_ascii_digit() || (*major, *minor) < (b'1', b'5') {
        return None;
    }

    let (startxref_at, xref_at) = startxref(pdf)?;
    let (entries, trailer_at) = xref_table(pdf, xref_at)?;
    let trailer = trailer(pdf, trailer_at, startxref_at)?;
    if trailer.size != entries.len() || !matches!(entries.first(), Some(Entry::Free { generation: 65535, .. })) {
        return None;
    }

    // The in-use objects in file order, each bounded by the next one.
    let mut in_use: Vec<(usize, usize, usize)> = entries
        .iter()
        .enumerate()
        .filter_map(|(number, entry)| match *entry {
            Entry::InUse { offset, generation } => Some((offset, number, generation)),
            Entry::Free { .. } => None,
        })
        .collect();
    in_use.sort_unstable();
    // The header and its binary comment stay as they are.
    let header_end = in_use.first()?.0;
    if header_end < 8 {
        return None;
    }
    let mut objects = Vec::with_capacity(in_use.len());
    for (i, &(start, number, generation)) in in_use.iter().enumerate() {
        let bound = in_use.get(i + 1).map_or(xref_at, |next| next.0);
        if bound <= start {
            return None;
        }
        objects.push(object(pdf, start, bound, number, generation)?);
    }

    let mut out = Vec::with_capacity(pdf.len() / 2);
    out.extend_from_slice(&pdf[..header_end]);
    // (type, field 2, field 3) of every cross-reference stream entry.
    let mut rows: Vec<(u8, usize, usize)> = entries
        .iter()
        .map(|entry| match *entry {
            Entry::Free { next, generation } => (0, next, generation),
            Entry::InUse { generation, .. } => (1, 0, generation),
        })
        .collect();

    // Streams and other kept objects, byte for byte, in their order.
    for object in objects.iter().filter(|o| o.value.is_none()) {
        rows[object.number].1 = out.len();
        out.extend_from_slice(&pdf[object.start..object.end]);
        out.push(b'\n');
    }

    // The rest, a few hundred to an object stream, numbered after the last
    // object of the input.
    let packed: Vec<&Object> = objects.iter().filter(|o| o.value.is_some()).collect();
    let mut next_number = trailer.size;
    for chunk in packed.chunks(PER_STREAM) {
        let stream_number = next_number;
        next_number += 1;
        let mut index = String::new();
        let mut bodies = Vec::new();
        for (i, object) in chunk.iter().enumerate() {
            let (from, to) = object.value.expect("packed objects have a value");
            if i > 0 {
                bodies.push(b'\n');
            }
            index.push_str(&format!("{} {} ", object.number, bodies.len()));
            bodies.extend_from_slice(&pdf[from..to]);
            rows[object.number] = (2, stream_number, i);
        }
        let mut data = index.into_bytes();
        let first = data.len();
        data.extend_from_slice(&bodies);
        let data = deflate(&data)?;
        rows.push((1, out.len(), 0));
        out.extend_from_slice(format!("{stream_number} 0 obj\n<</Type/ObjStm/N {}/First {first}/Filter/FlateDecode/Length {}>>\nstream\n", chunk.len(), data.len()).as_bytes());
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    // The cross-reference stream, the last object, describes itself too.
    let xref_number = next_number;
    let xref_offset = out.len();
    rows.push((1, xref_offset, 0));
    let size = rows.len();
    debug_assert_eq!(size, xref_number + 1);
    let widest = rows.iter().map(|r| r.1).max().unwrap_or(0);
    let width2 = (1..=8).find(|&w| w == 8 || widest >> (8 * w) == 0)?;
    if rows.iter().any(|r| r.2 > 0xFFFF) {
        return None;
    }
    let columns = 1 + width2 + 2;
    // PNG Up prediction: each row as the difference from the row above,
    // which makes runs of consecutive entries compress to almost nothing.
    let mut table = Vec::with_capacity(size * (columns + 1));
    let mut above = vec![0u8; columns];
    for &(kind, field2, field3) in &rows {
        let mut row = Vec::with_capacity(columns);
        row.push(kind);
        row.extend_from_slice(&field2.to_be_bytes()[8 - width2..]);
        row.extend_from_slice(&(field3 as u16).to_be_bytes());
        table.push(2);
        table.extend(row.iter().zip(&above).map(|(b, a)| b.wrapping_sub(*a)));
        above = row;
    }
    let table = deflate(&table)?;
    let mut dict = format!("{xref_number} 0 obj\n<</Type/XRef/Size {size}/W[1 {width2} 2]/Root ");
    dict.push_str(std::str::from_utf8(trailer.root).ok()?);
    if let Some(info) = trailer.info {
        dict.push_str("/Info ");
        dict.push_str(std::str::from_utf8(info).ok()?);
    }
    out.extend_from_slice(dict.as_bytes());
    if let Some(id) = trailer.id {
        out.extend_from_slice(b"/ID");
        out.extend_from_slice(id);
    }
    out.extend_from_slice(format!("/Filter/FlateDecode/DecodeParms<</Columns {columns}/Predictor 12>>/Length {}>>\nstream\n", table.len()).as_bytes());
    out.extend_from_slice(&table);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_offset}\n%%EOF").as_bytes());
    Some(out)
}

/// Level 3: the dictionaries are so repetitive that it packs within 3% of
/// the default level, in well under half the time (the sample's 91 item
/// PDFs and booklet are deflated on every build).
fn deflate(data: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(data.len() / 4), Compression::new(3));
    encoder.write_all(data).ok()?;
    encoder.finish().ok()
}

/// Where the last `startxref` keyword is, near the end of the file, and the
/// offset it gives.
pub(super) fn startxref(pdf: &[u8]) -> Option<(usize, usize)> {
    let tail_from = pdf.len().saturating_sub(1024);
    let at = tail_from + find_last(&pdf[tail_from..], b"startxref")?;
    // White space only: `%%EOF` reads as a comment.
    let blank = |mut i: usize| {
        while pdf.get(i).is_some_and(|&b| is_space(b)) {
            i += 1;
        }
        i
    };
    let (offset, next) = integer(pdf, blank(at + 9))?;
    let i = blank(next);
    let rest = pdf.get(i..)?.strip_prefix(b"%%EOF")?;
    if !rest.iter().all(|&b| is_space(b)) || offset >= at {
        return None;
    }
    Some((at, offset))
}

/// The entries of a classic cross-reference table at `at` (one subsection,
/// from object 0), and where the `trailer` keyword starts.
pub(super) fn xref_table(pdf: &[u8], at: usize) -> Option<(Vec<Entry>, usize)> {
    let mut i = skip_space(pdf, pdf.get(at..)?.strip_prefix(b"xref").map(|_| at + 4)?);
    let (first, next) = integer(pdf, i)?;
    let (count, next) = integer(pdf, skip_space(pdf, next))?;
    if first != 0 {
        return None;
    }
    i = skip_space(pdf, next);
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let line = pdf.get(i..i + 20)?;
        let digits = |range: std::ops::Range<usize>| -> Option<usize> {
            let field = &line[range];
            if !field.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(field).ok()?.parse().ok()
        };
        let (field1, generation) = (digits(0..10)?, digits(11..16)?);
        if line[10] != b' ' || line[16] != b' ' || !matches!(&line[18..20], b"\r\n" | b" \n" | b" \r") {
            return None;
        }
        entries.push(match line[17] {
            b'n' => Entry::InUse { offset: field1, generation },
            b'f' => Entry::Free { next: field1, generation },
            _ => return None,
        });
        i += 20;
    }
    let i = skip_space(pdf, i);
    pdf.get(i..)?.starts_with(b"trailer").then_some((entries, i))
}

pub(super) struct Trailer<'a> {
    pub(super) size: usize,
    pub(super) root: &'a [u8],
    pub(super) info: Option<&'a [u8]>,
    pub(super) id: Option<&'a [u8]>,
}

/// The trailer dictionary after `trailer` at `at`, which must end just
/// before the `startxref` at `startxref_at`. Only /Size, /Root, /Info and
/// /ID are expected: anything else (/Prev, /Encrypt, /XRefStm) is not what
/// typst_pdf writes.
pub(super) fn trailer(pdf: &[u8], at: usize, startxref_at: usize) -> Option<Trailer<'_>> {
    let start = skip_space(pdf, at + 7);
    let entries = dict_entries(pdf, start)?;
    if skip_space(pdf, entries.end) != startxref_at {
        return None;
    }
    let mut trailer = Trailer { size: 0, root: &[], info: None, id: None };
    for &(key, (from, to)) in &entries.entries {
        let value = &pdf[from..to];
        match key {
            b"Size" => trailer.size = integer(value, 0).filter(|&(_, end)| end == value.len())?.0,
            b"Root" => trailer.root = reference(value)?,
            b"Info" => trailer.info = Some(reference(value)?),
            b"ID" if value.starts_with(b"[") => trailer.id = Some(value),
            _ => return None,
        }
    }
    (!trailer.root.is_empty()).then_some(trailer)
}

/// `value` when it is an indirect reference `N G R`.
fn reference(value: &[u8]) -> Option<&[u8]> {
    let (_, end) = integer(value, 0)?;
    let (_, end) = integer(value, skip_space(value, end))?;
    let end = skip_space(value, end);
    (value.get(end..) == Some(b"R")).then_some(value)
}

/// The object `number` that starts at `start`, within `start..bound`.
fn object(pdf: &[u8], start: usize, bound: usize, number: usize, generation: usize) -> Option<Object> {
    let slice = &pdf[start..bound];
    let (found, i) = integer(slice, 0)?;
    let (found_generation, i) = integer(slice, skip_space(slice, i))?;
    let i = skip_space(slice, i);
    if found != number || found_generation != generation || !slice[i..].starts_with(b"obj") {
        return None;
    }
    let body_start = i + 3;
    let endobj = find_last(slice, b"endobj")?;
    if endobj < body_start || !slice[endobj + 6..].iter().all(|&b| is_space(b)) {
        return None;
    }
    let end = start + endobj + 6;
    let value_start = skip_space(slice, body_start);
    let value_end = skip_value(slice, value_start, 0)?;
    let after = skip_space(slice, value_end);
    if after == endobj {
        // A bare reference cannot be an object of an object stream.
        let packable = generation == 0 && reference(&slice[value_start..value_end]).is_none();
        let value = packable.then_some((start + value_start, start + value_end));
        return Some(Object { number, start, end, value });
    }
    // A stream: `<<…/Length L…>>`, `stream`, EOL, L bytes, EOL, `endstream`.
    let rest = &slice[after..endobj];
    let data_start = after + if rest.starts_with(b"stream\r\n") { 8 } else if rest.starts_with(b"stream\n") { 7 } else { return None };
    let entries = dict_entries(slice, value_start)?;
    let (from, to) = entries.entries.iter().find(|(key, _)| *key == b"Length")?.1;
    let (length, length_end) = integer(&slice[from..to], 0)?;
    if from + length_end != to {
        return None;
    }
    let data_end = data_start.checked_add(length)?;
    let tail = slice.get(data_end..endobj)?;
    let tail = &tail[skip_space(tail, 0)..];
    let tail = tail.strip_prefix(b"endstream")?;
    if !tail.iter().all(|&b| is_space(b)) {
        return None;
    }
    Some(Object { number, start, end, value: None })
}

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0C' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

pub(super) fn is_regular(b: u8) -> bool {
    !is_space(b) && !is_delimiter(b)
}

/// Past white space and comments from `i`.
pub(super) fn skip_space(data: &[u8], mut i: usize) -> usize {
    while let Some(&b) = data.get(i) {
        if is_space(b) {
            i += 1;
        } else if b == b'%' {
            while data.get(i).is_some_and(|&b| b != b'\n' && b != b'\r') {
                i += 1;
            }
        } else {
            break;
        }
    }
    i
}

/// An unsigned integer at `i` and the offset after it.
pub(super) fn integer(data: &[u8], i: usize) -> Option<(usize, usize)> {
    let digits = data.get(i..)?.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 18 || data.get(i + digits).is_some_and(|&b| is_regular(b)) {
        return None;
    }
    let value = std::str::from_utf8(&data[i..i + digits]).ok()?.parse().ok()?;
    Some((value, i + digits))
}

fn find_last(data: &[u8], needle: &[u8]) -> Option<usize> {
    data.windows(needle.len()).rposition(|w| w == needle)
}

/// The top-level entries of a dictionary: each key (without its slash)
/// and the range of its value.
struct DictEntries<'a> {
    entries: Vec<(&'a [u8], (usize, usize))>,
    end: usize,
}

fn dict_entries(data: &[u8], start: usize) -> Option<DictEntries<'_>> {
    if !data.get(start..)?.starts_with(b"<<") {
        return None;
    }
    let mut entries = Vec::new();
    let mut i = start + 2;
    loop {
        i = skip_space(data, i);
        if data.get(i..)?.starts_with(b">>") {
            return Some(DictEntries { entries, end: i + 2 });
        }
        if data[i] != b'/' {
            return None;
        }
        let key_end = skip_value(data, i, 1)?;
        let value_start = skip_space(data, key_end);
        let value_end = skip_value(data, value_start, 1)?;
        entries.push((&data[i + 1..key_end], (value_start, value_end)));
        i = value_end;
    }
}

/// Past the object that starts at `i` (a reference `N G R` counting as one).
fn skip_value(data: &[u8], i: usize, depth: usize) -> Option<usize> {
    if depth > 64 {
        return None;
    }
    match *data.get(i)? {
        b'<' if data.get(i + 1) == Some(&b'<') => {
            let mut i = i + 2;
            loop {
                i = skip_space(data, i);
                if data.get(i..)?.starts_with(b">>") {
                    return Some(i + 2);
                }
                if data[i] != b'/' {
                    return None;
                }
                i = skip_value(data, i, depth + 1)?;
                i = skip_value(data, skip_space(data, i), depth + 1)?;
            }
        }
        b'<' => {
            let close = i + 1 + data.get(i + 1..)?.iter().position(|&b| b == b'>')?;
            data[i + 1..close].iter().all(|&b| b.is_ascii_hexdigit() || is_space(b)).then_some(close + 1)
        }
        b'(' => {
            let mut nesting = 0usize;
            let mut j = i + 1;
            loop {
                match *data.get(j)? {
                    b'\\' => j += 1,
                    b'(' => nesting += 1,
                    b')' if nesting == 0 => return Some(j + 1),
                    b')' => nesting -= 1,
                    _ => {}
                }
                j += 1;
            }
        }
        b'[' => {
            let mut i = i + 1;
            loop {
                i = skip_space(data, i);
                if *data.get(i)? == b']' {
                    return Some(i + 1);
                }
                i = skip_value(data, i, depth + 1)?;
            }
        }
        b'/' => Some(i + 1 + data[i + 1..].iter().take_while(|&&b| is_regular(b)).count()),
        b if b.is_ascii_digit() => {
            let end = i + data[i..].iter().take_while(|&&b| is_regular(b)).count();
            if !data[i..end].iter().all(|&b| b.is_ascii_digit() || b == b'.') {
                return None;
            }
            // `N G R`: two unsigned integers and R.
            if data[i..end].iter().all(u8::is_ascii_digit) {
                let g = skip_space(data, end);
                if let Some((_, g_end)) = integer(data, g).filter(|_| g > end) {
                    let r = skip_space(data, g_end);
                    if r > g_end && data.get(r) == Some(&b'R') && !data.get(r + 1).is_some_and(|&b| is_regular(b)) {
                        return Some(r + 1);
                    }
                }
            }
            Some(end)
        }
        b'+' | b'-' | b'.' => {
            let end = i + data[i..].iter().take_while(|&&b| is_regular(b)).count();
            data[i + 1..end].iter().all(|&b| b.is_ascii_digit() || b == b'.').then_some(end)
        }
        _ => {
            let end = i + data[i..].iter().take_while(|&&b| is_regular(b)).count();
            matches!(&data[i..end], b"true" | b"false" | b"null").then_some(end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_skipped_whole() {
        let cases: [(&[u8], usize); 9] = [
            (b"<</A[1 0 R 2 3]/B(a\\)b(c)d)>> x", 29),
            (b"12 0 R]", 6),
            (b"12 0 obj", 2),
            (b"[1 2 3]", 7),
            (b"/Name/Other", 5),
            (b"<00ff>", 6),
            (b"-1.5 ", 4),
            (b"null]", 4),
            (b"(endobj)", 8),
        ];
        for (data, end) in cases {
            assert_eq!(skip_value(data, 0, 0), Some(end), "{}", String::from_utf8_lossy(data));
        }
        assert_eq!(skip_value(b"<zz>", 0, 0), None);
        assert_eq!(skip_value(b"(open", 0, 0), None);
        assert_eq!(skip_value(b"stream", 0, 0), None);
    }

    #[test]
    fn not_a_pdf_comes_back_unchanged() {
        for bytes in [&b""[..], b"%PDF-1.7\n", b"PK\x03\x04 not a pdf", b"%PDF-1.4\n%\x80\x80\n1 0 obj\n<<>>\nendobj\n"] {
            assert_eq!(compact(bytes.to_vec()), bytes);
        }
    }
}
