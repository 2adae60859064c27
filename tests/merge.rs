//! The 素案 booklet joined from parts (typeset::merge) against the same
//! booklet laid out whole: the same pages, tags, bookmarks and link targets,
//! a consistent structure tree (unique parent tree keys and header IDs), no
//! placeholder link left, and the same bytes every time.

use gyokaku::engine::{typeset_booklet, typeset_booklet_pdf};
use gyokaku::config::PlanConfig;
use gyokaku::model::Item;
use gyokaku::documents::booklet::BookletData;
use gyokaku::pipeline;
use gyokaku::typeset::Typesetter;
use gyokaku::typeset::fonts::FontSet;
use gyokaku::typeset::merge::{Part, merge};
use gyokaku::typeset::templates::Templates;
use hayro_syntax::Pdf;
use hayro_syntax::object::{Array, Dict, Name, Object, ObjectIdentifier};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

struct Sample {
    whole: Vec<u8>,
    /// The whole with its page labels, as a booklet laid out whole is
    /// made (a meeting's packet): exported, labelled, packed.
    whole_labelled: Vec<u8>,
    joined: Vec<u8>,
    parts: usize,
}

/// A typesetter of its own and the sample's plan and items.
fn sample() -> (Typesetter, PlanConfig, Vec<Item>) {
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let config = PlanConfig::load(&input.join("plan.toml")).unwrap();
    let typesetter = Typesetter::new(FontSet::load(&[]).unwrap(), Templates::load(None).unwrap(), &config.document_date()).unwrap();
    let run = pipeline::run(&input, &config).unwrap();
    (typesetter, config, run.items)
}

static SAMPLE: LazyLock<Sample> = LazyLock::new(|| {
    let (typesetter, config, items) = sample();
    let whole = typeset_booklet(&typesetter, &items, &config).unwrap();
    let data = BookletData::new(&items, &config);
    let (joined, pages, _) = typeset_booklet_pdf(&typesetter, &data, "booklet").unwrap();
    assert_eq!(pages, Some(whole.document.pages().len()));
    let folios = gyokaku::typeset::folios(&whole.document);
    let part = Part { pdf: typesetter.pdf_part(&whole.document, "booklet").unwrap(), nested: false, bookmark: None, folios };
    let whole_labelled = gyokaku::typeset::compact::compact(merge(&[part], &HashMap::new(), &[]).unwrap());
    Sample { whole: typesetter.pdf(&whole.document, "booklet").unwrap(), whole_labelled, joined, parts: data.parts().len() }
});

fn catalog<'a>(pdf: &'a Pdf) -> Dict<'a> {
    pdf.xref().get(pdf.xref().root_id()).expect("catalog")
}

fn id_of(dict: &Dict<'_>) -> ObjectIdentifier {
    dict.obj_id().expect("an indirect object")
}

/// Every structure element, depth first: (type, /ID, /Headers of its
/// attributes).
fn elements(pdf: &Pdf) -> Vec<(Vec<u8>, Option<Vec<u8>>, Vec<Vec<u8>>)> {
    fn walk(kids: Object<'_>, out: &mut Vec<(Vec<u8>, Option<Vec<u8>>, Vec<Vec<u8>>)>) {
        match kids {
            Object::Array(array) => array.iter::<Object>().for_each(|kid| walk(kid, out)),
            Object::Dict(dict) => {
                if let Some(kind) = dict.get::<Name>("S") {
                    let id = dict.get::<hayro_syntax::object::String>("ID").map(|s| s.as_bytes().to_vec());
                    let mut headers = Vec::new();
                    if let Some(attributes) = dict.get::<Array>("A") {
                        for attribute in attributes.iter::<Dict>() {
                            if let Some(list) = attribute.get::<Array>("Headers") {
                                headers.extend(list.iter::<hayro_syntax::object::String>().map(|s| s.as_bytes().to_vec()));
                            }
                        }
                    }
                    out.push((kind.as_ref().to_vec(), id, headers));
                }
                if let Some(kids) = dict.get::<Object>("K") {
                    walk(kids, out);
                }
            }
            _ => {}
        }
    }
    let root: Dict = catalog(pdf).get("StructTreeRoot").expect("tagged");
    let mut out = Vec::new();
    walk(root.get::<Object>("K").expect("tag tree"), &mut out);
    out
}

/// Every bookmark, depth first: (depth, title, page index).
fn bookmarks(pdf: &Pdf) -> Vec<(usize, Vec<u8>, usize)> {
    let pages: HashMap<ObjectIdentifier, usize> = pdf.pages().iter().enumerate().map(|(i, p)| (id_of(p.raw()), i)).collect();
    fn walk(item: Option<Dict<'_>>, depth: usize, pages: &HashMap<ObjectIdentifier, usize>, out: &mut Vec<(usize, Vec<u8>, usize)>) {
        let mut next = item;
        while let Some(item) = next {
            let title = item.get::<hayro_syntax::object::String>("Title").unwrap().as_bytes().to_vec();
            let dest: Array = item.get("Dest").expect("a bookmark goes to a page");
            let page: Dict = dest.iter::<Dict>().next().unwrap();
            out.push((depth, title, pages[&id_of(&page)]));
            walk(item.get("First"), depth + 1, pages, out);
            next = item.get("Next");
        }
    }
    let outline: Dict = catalog(pdf).get("Outlines").expect("an outline");
    let mut out = Vec::new();
    walk(outline.get("First"), 0, &pages, &mut out);
    out
}

/// Where each link annotation goes, page by page: (page, target page),
/// named destinations resolved.
fn links(pdf: &Pdf) -> Vec<(usize, usize)> {
    let pages: HashMap<ObjectIdentifier, usize> = pdf.pages().iter().enumerate().map(|(i, p)| (id_of(p.raw()), i)).collect();
    let mut named: HashMap<Vec<u8>, usize> = HashMap::new();
    if let Some(names) = catalog(pdf).get::<Dict>("Names").and_then(|n| n.get::<Dict>("Dests")).and_then(|d| d.get::<Array>("Names")) {
        let entries: Vec<Object> = names.iter::<Object>().collect();
        for pair in entries.chunks(2) {
            if let (Object::String(name), Object::Array(dest)) = (&pair[0], &pair[1]) {
                named.insert(name.as_bytes().to_vec(), pages[&id_of(&dest.iter::<Dict>().next().unwrap())]);
            }
        }
    }
    let mut out = Vec::new();
    for (i, page) in pdf.pages().iter().enumerate() {
        let Some(annotations) = page.raw().get::<Array>("Annots") else { continue };
        for annotation in annotations.iter::<Dict>() {
            assert!(annotation.get::<Dict>("A").is_none(), "page {}: a link left as an action", i + 1);
            let target = match annotation.get::<Object>("Dest").expect("a link goes somewhere") {
                Object::Array(dest) => pages[&id_of(&dest.iter::<Dict>().next().unwrap())],
                Object::String(name) => named[name.as_bytes()],
                other => panic!("page {}: destination {other:?}", i + 1),
            };
            out.push((i, target));
        }
    }
    out
}

#[test]
fn the_joined_booklet_has_the_pages_tags_bookmarks_and_links_of_the_whole() {
    assert!(SAMPLE.parts > 5, "{} parts", SAMPLE.parts);
    let whole = Pdf::new(SAMPLE.whole.clone()).unwrap();
    let joined = Pdf::new(SAMPLE.joined.clone()).unwrap();
    assert_eq!(joined.pages().len(), whole.pages().len());
    for (i, (a, b)) in whole.pages().iter().zip(joined.pages().iter()).enumerate() {
        assert_eq!(format!("{:?}", a.media_box()), format!("{:?}", b.media_box()), "page {}", i + 1);
    }
    let kinds = |pdf: &Pdf| elements(pdf).into_iter().map(|(kind, ..)| kind).collect::<Vec<_>>();
    let (a, b) = (kinds(&whole), kinds(&joined));
    assert!(a.len() > 5000, "{} structure elements", a.len());
    assert_eq!(a, b, "the same structure elements in the same order");

    let outline = bookmarks(&joined);
    assert_eq!(outline, bookmarks(&whole));
    // 目次, 組織一覧, 優先順位一覧, 取組項目個票 with the departments under it.
    assert_eq!(outline.iter().filter(|b| b.0 == 0).count(), 4);
    assert_eq!(outline.iter().filter(|b| b.0 == 1).count(), 10);
    assert_eq!(outline.iter().filter(|b| b.0 == 2).count(), 91);

    let targets = links(&joined);
    assert_eq!(targets, links(&whole), "every link goes to the page it went to");
    // (`links` also fails on a link left as an action: no placeholder.)
    assert!(targets.len() > 95, "{} links", targets.len());
}

/// The font programs a PDF embeds: each face's name (after the subset
/// tag) and the program's length.
fn font_programs(pdf: &Pdf) -> Vec<(String, usize)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for page in pdf.pages().iter() {
        let Some(fonts) = page.raw().get::<Dict>("Resources").and_then(|r| r.get::<Dict>("Font")) else { continue };
        for key in fonts.keys() {
            let font: Dict = fonts.get(key.as_ref()).unwrap();
            let descendant: Dict = font.get::<Array>("DescendantFonts").unwrap().iter::<Dict>().next().unwrap();
            let descriptor: Dict = descendant.get("FontDescriptor").unwrap();
            let program: hayro_syntax::object::Stream = descriptor.get("FontFile2").unwrap();
            if seen.insert(program.obj_id()) {
                let name = String::from_utf8_lossy(font.get::<Name>("BaseFont").unwrap().as_ref()).to_string();
                out.push((name.split_once('+').unwrap().1.to_string(), program.raw_data().len()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_joined_booklet_embeds_each_face_once_and_is_no_larger_than_the_whole() {
    let whole = Pdf::new(SAMPLE.whole.clone()).unwrap();
    let joined = Pdf::new(SAMPLE.joined.clone()).unwrap();
    let (a, b) = (font_programs(&whole), font_programs(&joined));
    let names = |fonts: &[(String, usize)]| fonts.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&b), ["BIZUDPGothic-Bold", "BIZUDPGothic-Regular", "BIZUDPMincho-Regular"], "each face once");
    assert_eq!(names(&a), names(&b));
    // Against the whole as it is made (with the page labels the join
    // writes too).
    let whole = &SAMPLE.whole_labelled;
    assert_eq!(names(&font_programs(&Pdf::new(whole.clone()).unwrap())), names(&b));
    eprintln!("whole {} bytes ({} with page labels), fonts {a:?}; joined {} bytes, fonts {b:?}", SAMPLE.whole.len(), whole.len(), SAMPLE.joined.len());
    assert!(SAMPLE.joined.len() <= whole.len(), "joined {} bytes, whole {}", SAMPLE.joined.len(), whole.len());
}

#[test]
fn the_joined_booklet_labels_its_pages_with_the_printed_folios() {
    let pdf = Pdf::new(SAMPLE.joined.clone()).unwrap();
    let nums: Vec<Object> = catalog(&pdf).get::<Dict>("PageLabels").expect("page labels").get::<Array>("Nums").unwrap().iter::<Object>().collect();
    let ranges: Vec<(i32, Vec<u8>, Option<i32>)> = nums
        .chunks(2)
        .map(|pair| {
            let label = pair[1].clone().into_dict().unwrap();
            (pair[0].clone().into_i32().unwrap(), label.get::<Name>("S").map(|s| s.as_ref().to_vec()).unwrap_or_default(), label.get::<i32>("St"))
        })
        .collect();
    // The cover, the front matter i–vi, then 個票 1–91 (each one page on
    // the sample) in one range: what the pages print.
    assert_eq!(ranges.len(), 3, "{ranges:?}");
    assert_eq!((ranges[0].0, ranges[0].1.as_slice()), (0, &b""[..]));
    assert_eq!((ranges[1].0, ranges[1].1.as_slice(), ranges[1].2.unwrap_or(1)), (1, &b"r"[..], 1));
    assert_eq!((ranges[2].0, ranges[2].1.as_slice(), ranges[2].2.unwrap_or(1)), (7, &b"D"[..], 1));
    assert_eq!(pdf.pages().len(), 7 + 91);
}

#[test]
fn the_joined_structure_tree_is_consistent() {
    let pdf = Pdf::new(SAMPLE.joined.clone()).unwrap();
    let root: Dict = catalog(&pdf).get("StructTreeRoot").unwrap();
    let nums: Vec<Object> = root.get::<Dict>("ParentTree").unwrap().get::<Array>("Nums").unwrap().iter::<Object>().collect();
    let keys: Vec<i32> = nums.chunks(2).map(|pair| pair[0].clone().into_i32().expect("a key")).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "parent tree keys ascend and are unique");
    let next_key = root.get::<i32>("ParentTreeNextKey").unwrap();
    assert_eq!(keys.last().copied(), Some(next_key - 1));
    // Every page and annotation names a key of its own.
    let mut used = HashSet::new();
    for page in pdf.pages().iter() {
        assert!(used.insert(page.raw().get::<i32>("StructParents").expect("a page's key")));
        for annotation in page.raw().get::<Array>("Annots").iter().flat_map(|a| a.iter::<Dict>()) {
            assert!(used.insert(annotation.get::<i32>("StructParent").expect("an annotation's key")));
        }
    }
    assert_eq!(used, keys.iter().copied().collect::<HashSet<_>>());

    let names: Vec<Vec<u8>> = root
        .get::<Dict>("IDTree")
        .unwrap()
        .get::<Array>("Names")
        .unwrap()
        .iter::<Object>()
        .step_by(2)
        .map(|o| o.into_string().unwrap().as_bytes().to_vec())
        .collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "IDs sorted and unique");
    let ids: HashSet<Vec<u8>> = names.iter().cloned().collect();
    let mut headers = 0;
    for (_, id, refs) in elements(&pdf) {
        if let Some(id) = id {
            assert!(ids.contains(&id), "{} is in the ID tree", String::from_utf8_lossy(&id));
        }
        for r in refs {
            headers += 1;
            assert!(ids.contains(&r), "header {} names an element", String::from_utf8_lossy(&r));
        }
    }
    assert!(headers > 500, "{headers} header references");
}

#[test]
fn joining_gives_the_same_bytes_every_time() {
    let (typesetter, config, items) = sample();
    let (again, ..) = typeset_booklet_pdf(&typesetter, &BookletData::new(&items, &config), "booklet").unwrap();
    assert!(again == SAMPLE.joined);
}

#[test]
fn what_is_not_a_typst_pdf_is_refused() {
    let parts = [Part::new(b"%PDF-1.7\nnot really".to_vec(), false)];
    let error = merge(&parts, &HashMap::new(), &[]).unwrap_err();
    assert!(error.contains("part 1"), "{error}");
    assert!(merge(&[], &HashMap::new(), &[]).is_err());
}
