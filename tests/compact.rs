//! PDFs packed into object streams (typeset::compact): the same objects,
//! pages and tag tree, a cross-reference stream every entry of which points
//! where it says, and anything unexpected left as it was.

use gyokaku::engine::typeset_booklet;
use gyokaku::config::PlanConfig;
use gyokaku::documents::booklet::ItemSheetsData;
use gyokaku::pipeline;
use gyokaku::typeset::Typesetter;
use gyokaku::typeset::compact::compact;
use gyokaku::typeset::fonts::FontSet;
use gyokaku::typeset::templates::Templates;
use hayro_syntax::Pdf;
use hayro_syntax::object::{Array, Dict, Object, ObjectIdentifier, Stream};
use std::path::Path;
use std::sync::LazyLock;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

/// The sample's booklet and its first item sheet, as typst_pdf writes them
/// (before compaction) and as `Typesetter::pdf` writes them.
struct Sample {
    booklet: Vec<u8>,
    item: Vec<u8>,
    exported_item: Vec<u8>,
}

static SAMPLE: LazyLock<Sample> = LazyLock::new(|| {
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let config = PlanConfig::load(&input.join("plan.toml")).unwrap();
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), &config.document_date()).unwrap();
    let run = pipeline::run(&input, &config).unwrap();
    let booklet = typeset_booklet(&typesetter, &run.items, &config).unwrap();
    let item = typesetter.compile("item_sheets.typ", &ItemSheetsData::new(&run.items[..1], &config)).unwrap();
    Sample {
        booklet: uncompacted(&booklet.document, "booklet"),
        item: uncompacted(&item.document, "item-1"),
        exported_item: typesetter.pdf(&item.document, "item-1").unwrap(),
    }
});

fn uncompacted(document: &PagedDocument, ident: &str) -> Vec<u8> {
    let options = PdfOptions {
        ident: typst::foundations::Smart::Custom(ident.to_string()),
        standards: PdfStandards::new(&[PdfStandard::Ua_1]).unwrap(),
        ..PdfOptions::default()
    };
    typst_pdf::pdf(document, &options).unwrap()
}

fn id(number: usize, generation: usize) -> ObjectIdentifier {
    ObjectIdentifier::new(number as i32, generation as i32)
}

/// Reads the cross-reference stream itself and checks every entry: an
/// uncompressed object starts at its offset, a compressed one is listed at
/// its index of its object stream. hayro-syntax would silently repair a
/// wrong offset, so this does not leave it to the reader. Returns the
/// entries as (type, field 2, field 3).
fn checked_xref_stream(pdf: &[u8]) -> Vec<(u8, usize, usize)> {
    let at = pdf.windows(9).rposition(|w| w == b"startxref").expect("startxref");
    let tail = std::str::from_utf8(&pdf[at + 9..]).unwrap();
    let offset: usize = tail.trim().strip_suffix("%%EOF").expect("%%EOF at the end").trim().parse().unwrap();
    let head = std::str::from_utf8(&pdf[offset..offset + 20]).unwrap_or("");
    let number: usize = head.split(' ').next().unwrap().parse().unwrap();
    assert!(head.starts_with(&format!("{number} 0 obj")), "{head:?}");
    let parsed = Pdf::new(pdf.to_vec()).unwrap();
    let xref: Stream = parsed.xref().get(id(number, 0)).unwrap();
    let dict = xref.dict();
    assert_eq!(dict.get::<hayro_syntax::object::Name>("Type").unwrap().as_ref(), b"XRef");
    let widths: Vec<usize> = dict.get::<Array>("W").unwrap().iter::<i32>().map(|w| w as usize).collect();
    let size = dict.get::<i32>("Size").unwrap() as usize;
    assert_eq!(size, number + 1, "the cross-reference stream is the last object");
    let data = xref.decoded().unwrap();
    let row = widths.iter().sum::<usize>();
    assert_eq!(data.len(), size * row);
    let field = |bytes: &[u8]| bytes.iter().fold(0usize, |v, &b| v << 8 | b as usize);
    let rows: Vec<(u8, usize, usize)> = data
        .chunks(row)
        .map(|r| (field(&r[..widths[0]]) as u8, field(&r[widths[0]..widths[0] + widths[1]]), field(&r[widths[0] + widths[1]..])))
        .collect();
    let mut streams: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    for (n, &(kind, f2, f3)) in rows.iter().enumerate() {
        match kind {
            0 => assert!(n > 0 || f3 == 65535),
            1 => {
                let want = format!("{n} {f3} obj");
                assert_eq!(&pdf[f2..f2 + want.len()], want.as_bytes(), "object {n} at {f2}");
            }
            2 => {
                let listed = streams.entry(f2).or_insert_with(|| {
                    let stream: Stream = parsed.xref().get(id(f2, 0)).unwrap();
                    assert_eq!(stream.dict().get::<hayro_syntax::object::Name>("Type").unwrap().as_ref(), b"ObjStm");
                    let count = stream.dict().get::<i32>("N").unwrap() as usize;
                    let first = stream.dict().get::<i32>("First").unwrap() as usize;
                    let data = stream.decoded().unwrap();
                    let header = std::str::from_utf8(&data[..first]).unwrap();
                    let numbers: Vec<usize> = header.split_whitespace().map(|t| t.parse().unwrap()).collect();
                    assert_eq!(numbers.len(), 2 * count);
                    numbers.chunks(2).map(|pair| pair[0]).collect()
                });
                assert_eq!(listed.get(f3), Some(&n), "object {n} at index {f3} of object stream {f2}");
                assert_eq!(rows[f2].0, 1, "object streams are not compressed themselves");
            }
            other => panic!("entry {n} of type {other}"),
        }
    }
    rows
}

/// How many structure elements hang from the catalog's /StructTreeRoot.
fn struct_elements(pdf: &Pdf) -> usize {
    fn walk(kids: Object<'_>, count: &mut usize) {
        match kids {
            Object::Array(array) => array.iter::<Object>().for_each(|kid| walk(kid, count)),
            Object::Dict(dict) => {
                if dict.contains_key("S") {
                    *count += 1;
                }
                if let Some(kids) = dict.get::<Object>("K") {
                    walk(kids, count);
                }
            }
            _ => {}
        }
    }
    let catalog: Dict = pdf.xref().get(pdf.xref().root_id()).expect("catalog");
    let root: Dict = catalog.get("StructTreeRoot").expect("/StructTreeRoot in the catalog");
    let mut count = 0;
    walk(root.get::<Object>("K").expect("tag tree"), &mut count);
    count
}

/// `packed` holds every object of `original` under its number, with the
/// same bytes, and the same pages and tag tree.
fn assert_equivalent(original: &[u8], packed: &[u8]) {
    let before = Pdf::new(original.to_vec()).unwrap();
    let after = Pdf::new(packed.to_vec()).unwrap();
    let rows = checked_xref_stream(packed);
    assert_eq!(before.pages().len(), after.pages().len());
    for (a, b) in before.pages().iter().zip(after.pages().iter()) {
        assert_eq!(a.page_stream(), b.page_stream());
    }
    let elements = struct_elements(&before);
    assert!(elements > 10, "{elements} structure elements");
    assert_eq!(struct_elements(&after), elements);
    let size = before.len();
    let mut compressed = 0;
    for n in 1..size {
        let a = before.xref().get::<Object>(id(n, 0));
        assert!(a.is_some(), "object {n}");
        let b = after.xref().get::<Object>(id(n, 0));
        if matches!(a, Some(Object::Stream(_))) {
            assert_eq!(rows[n].0, 1, "stream {n} stays uncompressed");
        } else {
            compressed += usize::from(rows[n].0 == 2);
        }
        assert!(a == b, "object {n} differs");
    }
    assert!(compressed * 2 > size, "{compressed} of {size} objects in object streams");
    assert_eq!(before.metadata(), after.metadata());
}

#[test]
fn booklet_keeps_its_objects_pages_and_tags() {
    let packed = compact(SAMPLE.booklet.clone());
    assert!(packed.len() * 2 < SAMPLE.booklet.len(), "{} -> {} bytes", SAMPLE.booklet.len(), packed.len());
    assert!(packed.starts_with(b"%PDF-1.7\n%\x80\x80\x80\x80\n"), "header and binary comment kept");
    assert_equivalent(&SAMPLE.booklet, &packed);
}

#[test]
fn item_sheet_keeps_its_objects_pages_and_tags() {
    let packed = compact(SAMPLE.item.clone());
    assert!(packed.len() < SAMPLE.item.len());
    assert_equivalent(&SAMPLE.item, &packed);
}

#[test]
fn every_exported_pdf_is_packed() {
    let pdf = &SAMPLE.exported_item;
    let rows = checked_xref_stream(pdf);
    assert!(rows.iter().filter(|r| r.0 == 2).count() * 2 > rows.len());
    assert!(!pdf.windows(8).any(|w| w == b"\ntrailer"), "no classic trailer");
}

#[test]
fn the_same_pdf_packs_to_the_same_bytes() {
    let once = compact(SAMPLE.item.clone());
    assert_eq!(once, compact(SAMPLE.item.clone()));
    // A packed PDF has no classic table left to read: it stays as it is.
    assert_eq!(compact(once.clone()), once);
}

/// Replaces the first `from` in `pdf` by `to`.
fn replaced(pdf: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = pdf.windows(from.len()).position(|w| w == from).unwrap_or_else(|| panic!("{} not found", String::from_utf8_lossy(from)));
    [&pdf[..at], to, &pdf[at + from.len()..]].concat()
}

#[test]
fn anything_unexpected_comes_back_unchanged() {
    let pdf = &SAMPLE.item;
    let xref = pdf.windows(6).rposition(|w| w == b"\nxref\n").unwrap();
    let first_entry = xref + pdf[xref..].windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let mut shifted = pdf.clone();
    // Object 1's offset, one byte late.
    shifted[first_entry + 9] += 1;
    let length_at = pdf.windows(8).position(|w| w == b"/Length ").unwrap() + 8;
    let mut wrong_length = pdf.clone();
    wrong_length[length_at] = if pdf[length_at] == b'9' { b'1' } else { pdf[length_at] + 1 };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", pdf[..pdf.len() - 30].to_vec()),
        ("cut in the middle", pdf[..pdf.len() / 2].to_vec()),
        ("an offset one byte off", shifted),
        ("a stream's /Length wrong", wrong_length),
        ("an incremental update's /Prev", replaced(pdf, b"trailer\n<<", b"trailer\n<</Prev 9")),
        ("encrypted", replaced(pdf, b"trailer\n<<", b"trailer\n<</Encrypt 1 0 R")),
        ("PDF 1.4, before object streams", replaced(pdf, b"%PDF-1.7", b"%PDF-1.4")),
        // The same length: every offset still right.
        ("bytes between objects", replaced(pdf, b">>\nendobj\n2 0 obj", b">>endobj\nx2 0 obj")),
        ("a /Length by reference", replaced(pdf, b"/Length ", b"/Length 1 0 R/L ")),
        ("not a PDF", b"PK\x03\x04 a zip, not a PDF".to_vec()),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in cases {
        assert_ne!(&bytes, pdf, "{what}: the case changes the PDF");
        assert!(compact(bytes.clone()) == bytes, "{what}: not returned unchanged");
    }
}

/// A PDF written by hand the way pdf-writer writes one, with the objects
/// given (number, generation, body) and object 0 the only free one.
fn handmade(objects: &[(usize, usize, &[u8])]) -> Vec<u8> {
    let size = 1 + objects.iter().map(|o| o.0).max().unwrap();
    let mut out = b"%PDF-1.7\n%\x80\x80\x80\x80\n\n".to_vec();
    let mut offsets = vec![(0, 65535); size];
    for &(number, generation, body) in objects {
        offsets[number] = (out.len(), generation);
        out.extend_from_slice(format!("{number} {generation} obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {size}\n").as_bytes());
    for (n, (offset, generation)) in offsets.iter().enumerate() {
        let kind = if n == 0 { 'f' } else { 'n' };
        out.extend_from_slice(format!("{offset:010} {generation:05} {kind}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("trailer\n<</Size {size}/Root 1 0 R/ID[(a\\)b)(c)]>>\nstartxref\n{xref}\n%%EOF").as_bytes());
    out
}

#[test]
fn strings_that_look_like_keywords_stay_inside_their_objects() {
    let pdf = handmade(&[
        (1, 0, b"<</Type/Catalog/Pages 2 0 R/Note(endobj\n3 0 obj \\) (stream) >>)/Other<656e646f626a>>>"),
        (2, 0, b"<</Type/Pages/Count 1/Kids[3 0 R]>>"),
        (3, 0, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]/Contents 4 0 R/Resources<<>>>>"),
        (4, 0, b"<</Length 14>>\nstream\n0 0 m (endobj)\nendstream"),
        (5, 0, b"1 0 R"),
        (6, 0, b"[(endstream) 42 -1.5 /N true null]"),
        (7, 1, b"<</Generation 1>>"),
        (8, 0, b"(endobj)"),
    ]);
    let before = Pdf::new(pdf.clone()).unwrap();
    assert_eq!(before.pages().len(), 1);
    let packed = compact(pdf.clone());
    assert_ne!(packed, pdf);
    let rows = checked_xref_stream(&packed);
    let after = Pdf::new(packed.clone()).unwrap();
    assert_eq!(after.pages().len(), 1);
    for (n, generation) in [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 1), (8, 0)] {
        let a = before.xref().get::<Object>(id(n, generation));
        assert!(a.is_some(), "object {n}");
        assert!(a == after.xref().get::<Object>(id(n, generation)), "object {n} differs");
    }
    let kinds: Vec<u8> = rows.iter().map(|r| r.0).collect();
    // Streams, a bare reference and an object of generation 1 stay as they are.
    assert_eq!(kinds[..9], [0, 2, 2, 2, 1, 1, 2, 1, 2]);
    let catalog: Dict = after.xref().get(id(1, 0)).unwrap();
    assert_eq!(catalog.get::<hayro_syntax::object::String>("Note").unwrap().as_bytes(), b"endobj\n3 0 obj ) (stream) >>");
    assert!(packed.windows(14).any(|w| w == b"/ID[(a\\)b)(c)]"), "the trailer's /ID carried over");
}
