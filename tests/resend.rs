//! The department loop, second time round: a returned workbook sent back
//! reads as the original did and is returned once more with one listing
//! and marks only where findings remain; every return opens whatever
//! wrote the input (well-formed parts, namespaces declared, values read
//! back); of two files of one department the newer is read; office lock
//! files are skipped; a zip bomb gets the listing alone, within a memory
//! bound. Every input is made here.

mod common;

use calamine::{Data, Reader, Xlsx};
use common::{Inputs, item_rows};
use gyokaku::config::PlanConfig;
use gyokaku::findings::Finding;
use gyokaku::pipeline::Run;
use gyokaku::validation_report::returns;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

// ---------------------------------------------------------------------------
// Inputs

/// A cell value of a hand-written workbook.
#[derive(Clone)]
enum Value {
    Text(String),
    Number(f64),
}

/// The plain 個票 of `common::item_rows` as (row, column, value), 0-based,
/// labels in column B from row 4 (as `common::add_item_sheet` writes it);
/// numbers typed as numbers.
fn item_cells(title: &str) -> Vec<(u32, u32, Value)> {
    let mut cells = Vec::new();
    for (r, row) in item_rows(title).iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let value = match text.parse::<f64>() {
                Ok(n) => Value::Number(n),
                Err(_) => Value::Text(text.clone()),
            };
            cells.push((3 + r as u32, 1 + c as u32, value));
        }
    }
    cells
}

fn a1(row: u32, col: u32) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        letters.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A workbook written the way openpyxl writes one: no XML declaration, the
/// main namespace as the default, the relationships namespace declared
/// only on each `<sheet>` element of workbook.xml (never on a root),
/// absolute relationship targets, `<definedNames/>` empty, no calcChain,
/// no dxfs, empty cells as `t="n"`; strings inline or shared. Cell C4 has
/// a fill of the department's own (style 1).
fn openpyxl_style(sheets: &[(&str, Vec<(u32, u32, Value)>)], shared: bool) -> Vec<u8> {
    let mut strings: Vec<String> = Vec::new();
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut overrides = String::new();
    let mut workbook_sheets = String::new();
    let mut workbook_rels = String::new();
    for (i, (name, cells)) in sheets.iter().enumerate() {
        let n = i + 1;
        let mut rows: BTreeMap<u32, Vec<(u32, Value)>> = BTreeMap::new();
        for (r, c, v) in cells {
            rows.entry(*r).or_default().push((*c, v.clone()));
        }
        let mut data = String::new();
        for (r, mut cells) in rows {
            cells.sort_by_key(|(c, _)| *c);
            data.push_str(&format!("<row r=\"{}\">", r + 1));
            for (c, v) in cells {
                let style = if (r, c) == (3, 2) { " s=\"1\"" } else { "" };
                let reference = a1(r, c);
                match v {
                    Value::Number(x) => data.push_str(&format!("<c r=\"{reference}\"{style} t=\"n\"><v>{x}</v></c>")),
                    Value::Text(t) if shared => {
                        let index = strings.iter().position(|s| *s == t).unwrap_or_else(|| {
                            strings.push(t.clone());
                            strings.len() - 1
                        });
                        data.push_str(&format!("<c r=\"{reference}\"{style} t=\"s\"><v>{index}</v></c>"));
                    }
                    Value::Text(t) => data.push_str(&format!("<c r=\"{reference}\"{style} t=\"inlineStr\"><is><t>{}</t></is></c>", xml_escape(&t))),
                }
            }
            // An empty, styled cell at the end of the row, as openpyxl keeps them.
            data.push_str(&format!("<c r=\"{}\" t=\"n\" /></row>", a1(r, 7)));
        }
        parts.push((
            format!("xl/worksheets/sheet{n}.xml"),
            format!(
                "<worksheet xmlns=\"{MAIN_NS}\"><sheetPr><outlinePr summaryBelow=\"1\" summaryRight=\"1\" /><pageSetUpPr /></sheetPr><dimension ref=\"A1:H30\" /><sheetViews><sheetView workbookViewId=\"0\"><selection activeCell=\"A1\" sqref=\"A1\" /></sheetView></sheetViews><sheetFormatPr baseColWidth=\"8\" defaultRowHeight=\"15\" /><sheetData>{data}</sheetData><pageMargins left=\"0.75\" right=\"0.75\" top=\"1\" bottom=\"1\" header=\"0.5\" footer=\"0.5\" /></worksheet>"
            ),
        ));
        overrides.push_str(&format!("<Override PartName=\"/xl/worksheets/sheet{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\" />"));
        workbook_sheets.push_str(&format!("<sheet xmlns:r=\"{REL_NS}\" name=\"{}\" sheetId=\"{n}\" state=\"visible\" r:id=\"rId{n}\" />", xml_escape(name)));
        workbook_rels.push_str(&format!("<Relationship Type=\"{REL_NS}/worksheet\" Target=\"/xl/worksheets/sheet{n}.xml\" Id=\"rId{n}\" />"));
    }
    let next = sheets.len() + 1;
    workbook_rels.push_str(&format!("<Relationship Type=\"{REL_NS}/styles\" Target=\"styles.xml\" Id=\"rId{next}\" />"));
    if shared {
        workbook_rels.push_str(&format!("<Relationship Type=\"{REL_NS}/sharedStrings\" Target=\"sharedStrings.xml\" Id=\"rId{}\" />", next + 1));
        overrides.push_str("<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\" />");
        let items: String = strings.iter().map(|s| format!("<si><t>{}</t></si>", xml_escape(s))).collect();
        parts.push(("xl/sharedStrings.xml".into(), format!("<sst xmlns=\"{MAIN_NS}\" uniqueCount=\"{}\">{items}</sst>", strings.len())));
    }
    parts.push((
        "xl/workbook.xml".into(),
        format!(
            "<workbook xmlns=\"{MAIN_NS}\"><workbookPr /><workbookProtection /><bookViews><workbookView visibility=\"visible\" minimized=\"0\" showHorizontalScroll=\"1\" showVerticalScroll=\"1\" showSheetTabs=\"1\" tabRatio=\"600\" firstSheet=\"0\" activeTab=\"0\" autoFilterDateGrouping=\"1\" /></bookViews><sheets>{workbook_sheets}</sheets><definedNames /><calcPr calcId=\"124519\" fullCalcOnLoad=\"1\" /></workbook>"
        ),
    ));
    parts.push(("xl/_rels/workbook.xml.rels".into(), format!("<Relationships xmlns=\"{PKG_REL_NS}\">{workbook_rels}</Relationships>")));
    parts.push((
        "xl/styles.xml".into(),
        format!(
            "<styleSheet xmlns=\"{MAIN_NS}\"><numFmts count=\"0\" /><fonts count=\"1\"><font><name val=\"Calibri\" /><family val=\"2\" /><color theme=\"1\" /><sz val=\"11\" /><scheme val=\"minor\" /></font></fonts><fills count=\"3\"><fill><patternFill /></fill><fill><patternFill patternType=\"gray125\" /></fill><fill><patternFill patternType=\"solid\"><fgColor rgb=\"FFC6E0B4\" /><bgColor indexed=\"64\" /></patternFill></fill></fills><borders count=\"1\"><border><left /><right /><top /><bottom /><diagonal /></border></borders><cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" /></cellStyleXfs><cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" pivotButton=\"0\" quotePrefix=\"0\" xfId=\"0\" /><xf numFmtId=\"0\" fontId=\"0\" fillId=\"2\" borderId=\"0\" applyFill=\"1\" pivotButton=\"0\" quotePrefix=\"0\" xfId=\"0\" /></cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\" hidden=\"0\" /></cellStyles><tableStyles count=\"0\" defaultTableStyle=\"TableStyleMedium9\" defaultPivotStyle=\"PivotStyleLight16\" /></styleSheet>"
        ),
    ));
    parts.push((
        "docProps/core.xml".into(),
        "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:creator>openpyxl</dc:creator><dcterms:created xsi:type=\"dcterms:W3CDTF\">2024-04-01T00:00:00Z</dcterms:created></cp:coreProperties>".into(),
    ));
    parts.push((
        "_rels/.rels".into(),
        format!(
            "<Relationships xmlns=\"{PKG_REL_NS}\"><Relationship Id=\"rId1\" Type=\"{REL_NS}/officeDocument\" Target=\"xl/workbook.xml\" /><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\" /></Relationships>"
        ),
    ));
    parts.push((
        "[Content_Types].xml".into(),
        format!(
            "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\" /><Default Extension=\"xml\" ContentType=\"application/xml\" /><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\" />{overrides}<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\" /><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\" /></Types>"
        ),
    ));
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in &parts {
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(text.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The same 個票 written by rust_xlsxwriter, with a note of the
/// department's own on B4 and C4 filled in its own colour.
fn xlsxwriter_book(title: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = common::add_item_sheet(&mut book, title);
    let own = rust_xlsxwriter::Format::new().set_background_color(rust_xlsxwriter::Color::RGB(0xC6E0B4));
    ws.write_with_format(3, 2, title, &own).unwrap();
    ws.insert_note(3, 1, &rust_xlsxwriter::Note::new("部の確認メモ").set_author("田中")).unwrap();
    book.save_to_buffer().unwrap()
}

fn set_modified(path: &Path, seconds: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)).unwrap();
}

fn config(inputs: &Inputs) -> PlanConfig {
    PlanConfig::load(&inputs.path().join("plan.toml")).unwrap()
}

/// The return made from `file` in this run.
fn return_of(inputs: &Inputs, run: &Run, file: &str) -> returns::Return {
    let config = config(inputs);
    returns::render(run, &config, inputs.path()).unwrap().into_iter().find(|r| r.source.as_deref() == Some(file)).unwrap_or_else(|| panic!("no marked return of {file}"))
}

/// A finding without the file it is on (a return sent back has another name).
fn key(f: &Finding) -> (String, Option<String>, Option<String>, String) {
    (f.code.to_string(), f.sheet.clone(), f.cell.clone(), f.message.clone())
}

// ---------------------------------------------------------------------------
// Looking into a return

fn parts(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().unwrap().to_string(), data)
        })
        .collect()
}

fn text(parts: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(parts.get(name).unwrap_or_else(|| panic!("no part {name}")).clone()).unwrap()
}

/// Well-formed XML with one root and every element and attribute prefix
/// declared (a checker of the test's own, on quick-xml).
fn well_formed(name: &str, xml: &str) {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    let mut reader = quick_xml::reader::NsReader::from_str(xml);
    let (mut depth, mut roots) = (0i64, 0);
    loop {
        let (unknown, event) = match reader.read_resolved_event() {
            Ok((ResolveResult::Unknown(p), e)) => (Some(p), e),
            Ok((_, e)) => (None, e),
            Err(e) => panic!("{name}: not well-formed: {e}"),
        };
        assert!(unknown.is_none(), "{name}: element prefix {unknown:?} not declared");
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                roots += (depth == 0) as i32;
                for a in e.attributes().with_checks(true) {
                    let a = a.unwrap_or_else(|e| panic!("{name}: bad attribute: {e}"));
                    if a.key.as_namespace_binding().is_none() {
                        let (resolved, _) = reader.resolver().resolve_attribute(a.key);
                        assert!(!matches!(resolved, ResolveResult::Unknown(_)), "{name}: attribute {:?} has an undeclared prefix", a.key);
                    }
                }
                depth += matches!(event, Event::Start(_)) as i64;
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
        assert!(depth >= 0, "{name}: unbalanced");
    }
    assert_eq!((roots, depth), (1, 0), "{name}: one root, every element closed");
}

/// The package opens: every XML part well-formed with its namespaces
/// declared, every relationship's target there, every part typed.
fn opens(bytes: &[u8]) {
    let parts = parts(bytes);
    let types = text(&parts, "[Content_Types].xml");
    for (name, data) in &parts {
        let lower = name.to_ascii_lowercase();
        if [".xml", ".rels", ".vml"].iter().any(|e| lower.ends_with(e)) {
            well_formed(name, std::str::from_utf8(data).unwrap_or_else(|_| panic!("{name}: not UTF-8")));
        }
        let extension = name.rsplit('.').next().unwrap();
        assert!(
            types.contains(&format!("PartName=\"/{name}\"")) || types.contains(&format!("Extension=\"{extension}\"")),
            "{name} has no content type"
        );
        if let Some((dir, file)) = name.rsplit_once("_rels/").filter(|_| lower.ends_with(".rels")) {
            let source_dir = dir.to_string();
            let _ = file;
            let rels = std::str::from_utf8(data).unwrap();
            for relationship in rels.split("<Relationship ").skip(1) {
                if relationship.contains("TargetMode=\"External\"") {
                    continue;
                }
                let target = relationship.split("Target=\"").nth(1).unwrap().split('"').next().unwrap();
                let resolved = if let Some(absolute) = target.strip_prefix('/') {
                    absolute.to_string()
                } else {
                    let mut path: Vec<&str> = source_dir.split('/').filter(|p| !p.is_empty()).collect();
                    for piece in target.split('/') {
                        match piece {
                            ".." => {
                                path.pop();
                            }
                            "." | "" => {}
                            p => path.push(p),
                        }
                    }
                    path.join("/")
                };
                assert!(parts.contains_key(&resolved), "{name}: target {target} ({resolved}) is not in the package");
            }
        }
    }
}

/// Every value of every sheet of `original` reads the same in `returned`.
fn values_read_back(original: &[u8], returned: &[u8]) {
    let mut old: Xlsx<_> = Xlsx::new(Cursor::new(original.to_vec())).unwrap();
    let mut new: Xlsx<_> = Xlsx::new(Cursor::new(returned.to_vec())).unwrap();
    for name in old.sheet_names() {
        assert!(!name.starts_with("指摘一覧"), "the original has no listing");
        let (a, b) = (old.worksheet_range(&name).unwrap(), new.worksheet_range(&name).unwrap());
        let cells = |r: &calamine::Range<Data>| r.cells().filter(|(_, _, v)| !matches!(v, Data::Empty)).map(|(row, col, v)| (row, col, v.to_string())).collect::<Vec<_>>();
        assert_eq!(a.start(), b.start(), "{name}");
        assert_eq!(cells(&a), cells(&b), "values of {name}");
    }
}

/// Sheet names of a workbook, in order.
fn sheet_names(bytes: &[u8]) -> Vec<String> {
    Xlsx::new(Cursor::new(bytes.to_vec())).unwrap().sheet_names()
}

/// Per sheet part: (cells with a note, the notes' texts).
fn notes(bytes: &[u8]) -> BTreeMap<String, BTreeMap<String, String>> {
    let parts = parts(bytes);
    let mut out = BTreeMap::new();
    for (name, _) in parts.iter().filter(|(n, _)| n.starts_with("xl/worksheets/_rels/")) {
        let rels = text(&parts, name);
        let Some(target) = rels.split("<Relationship ").find(|r| r.contains("/comments\"")).map(|r| r.split("Target=\"").nth(1).unwrap().split('"').next().unwrap().to_string()) else { continue };
        let comments = text(&parts, &format!("xl/{}", target.trim_start_matches("../").trim_start_matches("/xl/")));
        let mut cells = BTreeMap::new();
        for comment in comments.split("<comment ref=\"").skip(1) {
            let cell = comment.split('"').next().unwrap().to_string();
            let body = comment.split("</comment>").next().unwrap();
            let text: String = body.split("<t").skip(1).map(|t| t.split_once('>').unwrap().1.split("</t>").next().unwrap()).collect();
            cells.insert(cell, text);
        }
        let sheet = name.trim_start_matches("xl/worksheets/_rels/").trim_end_matches(".rels").to_string();
        out.insert(sheet, cells);
    }
    out
}

/// Per sheet part: the cells under the tool's conditional formats.
fn marks(bytes: &[u8]) -> BTreeMap<String, BTreeSet<String>> {
    let parts = parts(bytes);
    let mut out = BTreeMap::new();
    for (name, data) in parts.iter().filter(|(n, _)| n.starts_with("xl/worksheets/") && n.ends_with(".xml")) {
        let xml = String::from_utf8(data.clone()).unwrap();
        let cells: BTreeSet<String> = xml
            .split("<conditionalFormatting sqref=\"")
            .skip(1)
            .filter(|block| block.split("</conditionalFormatting>").next().unwrap().contains("gyokaku:指摘"))
            .flat_map(|block| block.split('"').next().unwrap().split(' ').map(str::to_string).collect::<Vec<_>>())
            .collect();
        if !cells.is_empty() {
            out.insert(name.trim_start_matches("xl/worksheets/").to_string(), cells);
        }
    }
    out
}

/// The style index of a cell in a sheet part.
fn style_of(bytes: &[u8], part: &str, cell: &str) -> Option<String> {
    let xml = text(&parts(bytes), part);
    let tag = xml.split(&format!("<c r=\"{cell}\"")).nth(1)?.split('>').next()?.to_string();
    tag.split("s=\"").nth(1).map(|s| s.split('"').next().unwrap().to_string())
}

// ---------------------------------------------------------------------------
// Tests

/// Returns of an openpyxl-style workbook (inline and shared strings), of
/// one written by rust_xlsxwriter, and of the tool's own return as input:
/// each opens, reads back with every value, has one listing first and a
/// note on every cell with a finding.
#[test]
fn every_return_opens_whatever_wrote_the_input() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("openpyxl, inline strings", openpyxl_style(&[("1", item_cells("出退勤管理の電子化"))], false)),
        ("openpyxl, shared strings", openpyxl_style(&[("1", item_cells("出退勤管理の電子化"))], true)),
        ("rust_xlsxwriter", xlsxwriter_book("出退勤管理の電子化")),
    ];
    for (what, bytes) in cases {
        let inputs = Inputs::new();
        std::fs::write(inputs.submission("01_総務部.xlsx"), &bytes).unwrap();
        let run = inputs.run();
        assert!(run.items.iter().any(|i| i.title == "出退勤管理の電子化"), "{what}: read");
        let cells: BTreeSet<String> = run.findings.iter().filter(|f| f.sheet.as_deref() == Some("1")).filter_map(|f| f.cell.clone()).collect();
        assert!(!cells.is_empty(), "{what}: the item has findings at cells");
        let back = return_of(&inputs, &run, "01_総務部.xlsx");
        opens(&back.bytes);
        values_read_back(&bytes, &back.bytes);
        assert_eq!(sheet_names(&back.bytes), ["指摘一覧", "1"], "{what}");
        let noted: BTreeSet<String> = notes(&back.bytes).values().flat_map(|c| c.keys().cloned()).collect();
        assert!(cells.is_subset(&noted), "{what}: {cells:?} noted in {noted:?}");
        assert_eq!(marks(&back.bytes).values().flatten().cloned().collect::<BTreeSet<_>>(), cells, "{what}: coloured where noted");
        // The department's own colour on C4 is its format still.
        assert_eq!(style_of(&back.bytes, "xl/worksheets/sheet1.xml", "C4"), style_of(&bytes, "xl/worksheets/sheet1.xml", "C4"), "{what}");

        // The return as input: its return opens too and reads back.
        std::fs::write(inputs.submission("01_総務部.xlsx"), &back.bytes).unwrap();
        let again = inputs.run();
        let second = return_of(&inputs, &again, "01_総務部.xlsx");
        opens(&second.bytes);
        values_read_back(&bytes, &second.bytes);
        assert_eq!(sheet_names(&second.bytes), ["指摘一覧", "1"], "{what}: one listing");
    }
}

/// Sent back unchanged, a return reads as the original did: the same
/// items, the same findings, no finding about the listing; its own return
/// has one listing, the same notes and colours, the department's note and
/// fill kept, and no doubled suffix in its name. A cell then fixed loses
/// its note and colour.
#[test]
fn a_return_sent_back_reads_as_the_original_and_comes_back_clean() {
    let inputs = Inputs::new();
    let original = xlsxwriter_book("出退勤管理の電子化");
    std::fs::write(inputs.submission("01_総務部.xlsx"), &original).unwrap();
    let first = inputs.run();
    let back = return_of(&inputs, &first, "01_総務部.xlsx");
    assert!(back.path.ends_with("/01_総務部_差し戻し.xlsx"), "{}", back.path);

    // The office accepted one finding (decisions.toml), on the file first sent.
    let accepted = first.findings.iter().find(|f| f.code == "N112").unwrap().clone();
    let request = gyokaku::commands::decide::Request {
        code: accepted.code.to_string(),
        place: accepted.place(),
        choice: gyokaku::decisions::Choice::Accept,
        reason: "運用コストは未定と確認".into(),
        by: "行政経営課".into(),
        date: Some("2025-01-01".into()),
    };
    gyokaku::commands::decide::run(inputs.path(), &request).unwrap();
    let first = inputs.run();
    assert_eq!(first.decided.len(), 1);
    let back = return_of(&inputs, &first, "01_総務部.xlsx");

    // The department saves the return under its name and sends it back,
    // beside the file it first sent.
    let resent = inputs.submission("01_総務部_差し戻し.xlsx");
    std::fs::write(&resent, &back.bytes).unwrap();
    set_modified(&inputs.submission("01_総務部.xlsx"), 0);
    set_modified(&resent, 3600);
    let second = inputs.run();
    let items = |run: &Run| run.items.iter().map(|i| (i.title.clone(), i.daibunrui.clone(), i.workload_target.clone(), i.fiscal_target.clone())).collect::<Vec<_>>();
    assert_eq!(items(&second), items(&first), "the same items");
    let findings = |run: &Run| run.findings.iter().filter(|f| f.code != "R018").map(key).collect::<Vec<_>>();
    assert_eq!(findings(&second), findings(&first), "the same findings");
    assert!(!second.findings.iter().any(|f| f.code == "R004"), "the listing is not the department's sheet");
    assert_eq!(second.findings.iter().filter(|f| f.code == "R018").count(), 1);
    // The office's decision on the first file holds for the same cell of the resent one.
    assert_eq!(second.decided.len(), 1, "{:?}", second.findings.iter().filter(|f| f.code.starts_with('D')).collect::<Vec<_>>());
    assert_eq!(second.decided[0].finding.file, "01_総務部_差し戻し.xlsx");

    let again = return_of(&inputs, &second, "01_総務部_差し戻し.xlsx");
    assert!(again.path.ends_with("/01_総務部_差し戻し.xlsx"), "no doubled suffix: {}", again.path);
    assert_eq!(sheet_names(&again.bytes), ["指摘一覧", "1"], "one listing");
    assert_eq!(notes(&again.bytes), notes(&back.bytes), "the same notes");
    assert_eq!(marks(&again.bytes), marks(&back.bytes), "the same colours");
    let own = &notes(&again.bytes)["sheet1.xml"]["B4"];
    assert!(own.contains("部の確認メモ") && !own.contains('['), "the department's own note, alone: {own}");
    assert_eq!(style_of(&again.bytes, "xl/worksheets/sheet1.xml", "C4"), style_of(&original, "xl/worksheets/sheet1.xml", "C4"));
    opens(&again.bytes);
    // The listing of the second return lists the findings once each.
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(again.bytes.clone())).unwrap();
    let listing = book.worksheet_range("指摘一覧").unwrap();
    let listed = second.findings.iter().filter(|f| f.department == "総務部").count();
    let numbered = (3..listing.height() as u32).filter(|&r| listing.get_value((r, 0)).is_some_and(|v| !v.to_string().is_empty())).count();
    assert_eq!(numbered, listed);
    // Beside the findings, the organisation's 課 to pick from, the
    // department's own first; read back, it is the tool's, not the department's.
    let cell = |r: u32, c: u32| listing.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    assert_eq!((cell(2, 8), cell(2, 9)), ("部".to_string(), "課（所管部署・関係部署に書く名前）".to_string()));
    assert_eq!((cell(3, 8), cell(3, 9), cell(4, 9), cell(5, 8), cell(5, 9)), ("総務部".into(), "人事課".into(), "契約課".into(), "都市建設部".into(), "土木建設課".into()));
    let alone = returns::listing_workbook(&[], &config(&inputs), "都市建設部", "t", "n").unwrap();
    let mut alone: Xlsx<_> = Xlsx::new(Cursor::new(alone)).unwrap();
    let alone = alone.worksheet_range("指摘一覧").unwrap();
    assert_eq!(alone.get_value((3, 9)).map(|v| v.to_string()).as_deref(), Some("土木建設課"), "the listing alone carries it too, own department first");

    // A fixed cell: the hours row mixing △100 with plain numbers (N104)
    // gets 100 in its first year.
    let fixed_cell = first.findings.iter().find(|f| f.code == "N104").and_then(|f| f.cell.clone()).unwrap();
    let fixed = fix_cell(&back.bytes, &fixed_cell, "100");
    std::fs::write(&resent, &fixed).unwrap();
    set_modified(&resent, 7200);
    let third = inputs.run();
    let still: BTreeSet<String> = third.findings.iter().filter(|f| f.sheet.as_deref() == Some("1")).filter_map(|f| f.cell.clone()).collect();
    assert!(!still.contains(&fixed_cell), "{fixed_cell} fixed: {still:?}");
    let clean = return_of(&inputs, &third, "01_総務部_差し戻し.xlsx");
    let noted: BTreeSet<String> = notes(&clean.bytes)["sheet1.xml"].keys().cloned().collect();
    let mut expected = still.clone();
    expected.insert("B4".into());
    assert_eq!(noted, expected, "notes only where findings remain, and the department's");
    assert_eq!(marks(&clean.bytes).get("sheet1.xml").cloned().unwrap_or_default(), still, "colours only where findings remain");
    assert_eq!(sheet_names(&clean.bytes), ["指摘一覧", "1"]);
    opens(&clean.bytes);
}

/// `bytes` with `cell` of sheet1 holding `value` (typed as Excel saves a
/// typed cell: a number, or an inline string), its style kept.
fn fix_cell(bytes: &[u8], cell: &str, value: &str) -> Vec<u8> {
    let mut all: Vec<(String, Vec<u8>)> = parts(bytes).into_iter().collect();
    // Keep the archive's order for the content types first, as any writer would.
    all.sort_by_key(|(n, _)| n != "[Content_Types].xml");
    let part = all.iter_mut().find(|(n, _)| n == "xl/worksheets/sheet1.xml").unwrap();
    let mut xml = String::from_utf8(part.1.clone()).unwrap();
    let start = xml.find(&format!("<c r=\"{cell}\"")).unwrap_or_else(|| panic!("{cell} is not in the sheet"));
    let open_end = start + xml[start..].find('>').unwrap() + 1;
    let end = if xml[..open_end].ends_with("/>") { open_end } else { open_end + xml[open_end..].find("</c>").unwrap() + 4 };
    let style = xml[start..open_end].split("s=\"").nth(1).map(|s| format!(" s=\"{}\"", s.split('"').next().unwrap())).unwrap_or_default();
    let typed = match value.parse::<f64>() {
        Ok(n) => format!("<c r=\"{cell}\"{style}><v>{n}</v></c>"),
        Err(_) => format!("<c r=\"{cell}\"{style} t=\"inlineStr\"><is><t>{}</t></is></c>", xml_escape(value)),
    };
    xml.replace_range(start..end, &typed);
    part.1 = xml.into_bytes();
    common::repack(&all)
}

/// Two files of one department in submissions/: the newer is read (by
/// modification time, whatever the names), the older never — no item, no
/// finding, no return — and one info finding names both.
#[test]
fn the_newer_of_two_files_is_read_in_a_proposal_round() {
    for (old_name, new_name) in [("01_総務部.xlsx", "01_総務部_修正.xlsx"), ("01_総務部_修正.xlsx", "01_総務部.xlsx")] {
        let inputs = Inputs::new();
        common::simple_workbook(&inputs.submission(old_name), "古い取組", None);
        common::simple_workbook(&inputs.submission(new_name), "新しい取組", None);
        set_modified(&inputs.submission(old_name), 0);
        set_modified(&inputs.submission(new_name), 60);
        let run = inputs.run();
        let titles: Vec<&str> = run.items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, ["新しい取組"], "{old_name} → {new_name}");
        assert!(!run.findings.iter().any(|f| f.file == old_name), "nothing reported on the older file");
        assert!(!run.findings.iter().any(|f| f.code == "V211"), "not duplicates");
        let notices: Vec<&Finding> = run.findings.iter().filter(|f| f.code == "R018").collect();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].file, new_name);
        assert_eq!(notices[0].department, "", "the office's to know, not in the department's return");
        assert!(notices[0].message.contains(old_name) && notices[0].message.contains(new_name), "{}", notices[0].message);
        let config = config(&inputs);
        let back = returns::render(&run, &config, inputs.path()).unwrap();
        assert!(back.iter().all(|r| r.source.as_deref() != Some(old_name)), "no return of the older file");
        for r in &back {
            let mut book: Xlsx<_> = Xlsx::new(Cursor::new(r.bytes.clone())).unwrap();
            let listing = book.worksheet_range("指摘一覧").unwrap();
            assert!(!listing.cells().any(|(_, _, v)| v.to_string() == "R018"), "{}", r.path);
        }
    }
    // The same time: the name that sorts last.
    let inputs = Inputs::new();
    common::simple_workbook(&inputs.submission("01_総務部.xlsx"), "最初の取組", None);
    common::simple_workbook(&inputs.submission("01_総務部_差し戻し.xlsx"), "直した取組", None);
    set_modified(&inputs.submission("01_総務部.xlsx"), 0);
    set_modified(&inputs.submission("01_総務部_差し戻し.xlsx"), 0);
    let titles: Vec<String> = inputs.run().items.into_iter().map(|i| i.title).collect();
    assert_eq!(titles, ["直した取組"]);
}

/// Two forms of one department in a progress round: the newer is read,
/// the older never (its off-scale grade is no finding), one info finding
/// names both; a returned form sent back gets a return without a doubled
/// suffix.
#[test]
fn the_newer_of_two_forms_is_read_in_a_progress_round() {
    use gyokaku::progress::forms::filled_forms;
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(sample.join("plan.toml"), dir.path().join("plan.toml")).unwrap();
    std::fs::create_dir_all(dir.path().join("submissions")).unwrap();
    for entry in std::fs::read_dir(sample.join("submissions")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join("submissions").join(path.file_name().unwrap())).unwrap();
    }
    let round = dir.path().join("progress/R6");
    std::fs::create_dir_all(&round).unwrap();
    let config = PlanConfig::load(&dir.path().join("plan.toml")).unwrap();
    let plan = gyokaku::pipeline::run(dir.path(), &config).unwrap();
    let forms_with = |grade: &str| {
        let mut items = plan.items.clone();
        for item in &mut items {
            item.results.clear();
            let mut result = gyokaku::model::YearResult::default();
            result.goal_result = "達成".into();
            result.evaluation = grade.into();
            item.results.insert("R6".into(), result);
        }
        filled_forms(&items, &config, "R6").unwrap()
    };
    let old = forms_with("S");
    let new = forms_with("A");
    // Every department's form, and 総務部's twice: the first version
    // (grade S, off the scale) and the corrected one.
    for form in &new {
        std::fs::write(round.join(&form.file_name), &form.bytes).unwrap();
    }
    let first = old.iter().find(|f| f.department == "総務部").unwrap();
    let corrected = new.iter().find(|f| f.department == "総務部").unwrap();
    let old_path = round.join(&first.file_name);
    let new_name = first.file_name.replace(".xlsx", "_修正.xlsx");
    std::fs::write(&old_path, &first.bytes).unwrap();
    std::fs::write(round.join(&new_name), &corrected.bytes).unwrap();
    set_modified(&old_path, 0);
    set_modified(&round.join(&new_name), 60);

    let run = gyokaku::pipeline::run(dir.path(), &config).unwrap();
    let old_file = format!("progress/R6/{}", first.file_name);
    let new_file = format!("progress/R6/{new_name}");
    assert!(!run.findings.iter().any(|f| f.code == "P404"), "the older form's grade S is not read");
    assert!(!run.findings.iter().any(|f| f.code == "P409"), "not two reports");
    assert!(!run.findings.iter().any(|f| f.file == old_file));
    for item in run.items.iter().filter(|i| i.department == "総務部") {
        assert_eq!(item.results["R6"].evaluation, "A", "{}", item.title);
    }
    let notices: Vec<&Finding> = run.findings.iter().filter(|f| f.code == "R018").collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!((notices[0].file.as_str(), notices[0].department.as_str()), (new_file.as_str(), ""));
    assert!(notices[0].message.contains(&old_file) && notices[0].message.contains(&new_file));

    // The older one is newer now: it is read (its grade S reported), by time.
    set_modified(&old_path, 120);
    let run = gyokaku::pipeline::run(dir.path(), &config).unwrap();
    assert!(run.findings.iter().any(|f| f.code == "P404" && f.file == old_file));
    assert!(!run.findings.iter().any(|f| f.file == new_file && f.code != "R018"));

    // Its return, sent back, is returned as …_R6進捗報告_差し戻し.xlsx.
    let back = returns::render(&run, &config, dir.path()).unwrap();
    let marked = back.iter().find(|r| r.source.as_deref() == Some(old_file.as_str())).unwrap();
    let resent_name = marked.path.rsplit('/').next().unwrap().to_string();
    assert!(resent_name.ends_with("_R6進捗報告_差し戻し.xlsx"), "{resent_name}");
    std::fs::write(round.join(&resent_name), &marked.bytes).unwrap();
    set_modified(&round.join(&resent_name), 180);
    let run = gyokaku::pipeline::run(dir.path(), &config).unwrap();
    let resent_file = format!("progress/R6/{resent_name}");
    assert!(run.findings.iter().any(|f| f.code == "P404" && f.file == resent_file), "the return reads as the form did");
    let again = returns::render(&run, &config, dir.path()).unwrap();
    let again = again.iter().find(|r| r.source.as_deref() == Some(resent_file.as_str())).unwrap();
    assert_eq!(again.path, marked.path, "no doubled suffix");
    assert_eq!(sheet_names(&again.bytes).iter().filter(|n| n.starts_with("指摘一覧")).count(), 1);
}

/// Lock and temporary files of office programs, in submissions/ and in a
/// progress round: never read, never returned, one info line per folder.
#[test]
fn lock_files_are_skipped_with_one_line_and_no_return() {
    let inputs = Inputs::new();
    common::simple_workbook(&inputs.submission("01_総務部.xlsx"), "出退勤管理の電子化", None);
    // Excel's lock file holds the user's name, not a workbook.
    std::fs::write(inputs.submission("~$01_総務部.xlsx"), b"\x08tanaka  ").unwrap();
    std::fs::write(inputs.submission(".~lock.01_総務部.xlsx#"), b"tanaka,host,/home,01.01.2025 09:00;").unwrap();
    std::fs::write(inputs.submission("~WRL0001.tmp"), b"partial").unwrap();
    let round = inputs.path().join("progress/R6");
    std::fs::create_dir_all(&round).unwrap();
    std::fs::write(round.join("~$01_総務部_R6進捗報告.xlsx"), b"\x08tanaka  ").unwrap();
    let run = inputs.run();
    let lock = |f: &&Finding| f.file.contains("~$") || f.file.contains(".~lock") || f.file.contains(".tmp");
    assert!(!run.findings.iter().any(|f| lock(&f)), "no finding on a lock file: {:?}", run.findings.iter().filter(lock).collect::<Vec<_>>());
    let lines: Vec<&Finding> = run.findings.iter().filter(|f| f.code == "R017").collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0].file, "progress/R6");
    assert!(lines[0].message.contains("~$01_総務部_R6進捗報告.xlsx"));
    assert_eq!(lines[1].file, "submissions");
    for name in ["~$01_総務部.xlsx", ".~lock.01_総務部.xlsx#", "~WRL0001.tmp"] {
        assert!(lines[1].message.contains(name), "{}", lines[1].message);
    }
    assert!(lines.iter().all(|f| f.department.is_empty() && f.severity == gyokaku::findings::Severity::Info));
    assert_eq!(run.items.len(), 1);
    let config = config(&inputs);
    let back = returns::render(&run, &config, inputs.path()).unwrap();
    assert!(back.iter().all(|r| r.source.as_deref() == Some("01_総務部.xlsx")), "{:?}", back.iter().map(|r| &r.path).collect::<Vec<_>>());
    for r in &back {
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(r.bytes.clone())).unwrap();
        let listing = book.worksheet_range("指摘一覧").unwrap();
        let all: String = listing.cells().map(|(_, _, v)| v.to_string()).collect();
        assert!(!all.contains("~$") && !all.to_lowercase().contains("zip"), "{}", r.path);
    }
}

#[test]
fn a_damaged_styles_part_gets_the_listing_alone_not_a_crash() {
    // Found by the return writer's fuzz target: a styles.xml whose <fills>
    // is never closed made the writer slice past its end and panic. Now the
    // department gets the listing alone, like any workbook it cannot mark.
    let inputs = Inputs::new();
    let original = xlsxwriter_book("出退勤管理の電子化");
    let mut parts = common::parts(&original);
    let (_, styles) = parts.iter_mut().find(|(n, _)| n == "xl/styles.xml").unwrap();
    let xml = String::from_utf8(styles.clone()).unwrap();
    assert!(xml.contains("</fills>"));
    *styles = xml.replacen("</fills>", "", 1).into_bytes();
    std::fs::write(inputs.submission("01_総務部.xlsx"), common::repack(&parts)).unwrap();
    let run = inputs.run();
    let back = returns::render(&run, &config(&inputs), inputs.path()).unwrap();
    let back = back.iter().find(|r| r.department == "総務部").unwrap();
    assert_eq!(back.marked, 0, "nothing marked on a workbook it cannot edit");
    assert_eq!(sheet_names(&back.bytes), ["指摘一覧"]);
    opens(&back.bytes);
}

/// A workbook whose sheet inflates to a gigabyte (8 MB on disk): refused
/// by the reader (R015) and returned as the listing alone — no copy of
/// the bomb, nothing inflated: the whole validate stays within a memory
/// bound. The return writer alone, given the bomb, stops at the limit.
#[test]
fn a_zip_bomb_gets_the_listing_alone_within_bounded_memory() {
    let bomb = sheet_bomb(1 << 30);
    assert!(bomb.len() < 20 << 20, "{} bytes on disk", bomb.len());
    let inputs = Inputs::new();
    std::fs::write(inputs.submission("01_総務部.xlsx"), &bomb).unwrap();
    common::simple_workbook(&inputs.submission("02_都市建設部.xlsx"), "ドローンの配備", None);
    let report = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gyokaku"))
        .args(["validate", &inputs.path().to_string_lossy(), "--report", &report.path().to_string_lossy(), "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The peak resident size, sampled until the process ends.
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let started = std::time::Instant::now();
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()) {
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "validate still running");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(status.code(), Some(1), "errors found (R015)");
    eprintln!("validate with a 1 GiB sheet: peak {} MB, {:?}", peak_kb / 1024, started.elapsed());
    assert!(peak_kb < 600 * 1024, "peak {} MB", peak_kb / 1024);

    let returned = std::fs::read(report.path().join("差し戻し/01_総務部_差し戻し.xlsx")).unwrap();
    assert!(returned.len() < 100_000, "{} bytes", returned.len());
    assert_eq!(sheet_names(&returned), ["指摘一覧"], "the listing alone");
    let names: Vec<String> = parts(&returned).into_keys().collect();
    assert!(!names.iter().any(|n| n.starts_with("xl/worksheets/sheet") && n != "xl/worksheets/sheet1.xml"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(returned.clone())).unwrap();
    let listing = book.worksheet_range("指摘一覧").unwrap();
    assert!(listing.get_value((1, 0)).unwrap().to_string().contains("展開後の大きさが上限を超え、読み込んでいない"));
    let codes: Vec<String> = (3..listing.height()).map(|r| listing.get_value((r as u32, 2)).unwrap().to_string()).collect();
    assert!(codes.contains(&"R015".to_string()), "{codes:?}");
    opens(&returned);

    // The writer on its own never inflates past the limit it is given.
    let findings: Vec<Finding> = Vec::new();
    let listing = gyokaku::validation_report::annotate::Listing { sheet_name: "指摘一覧", title: "t".into(), note: "n".into(), author: "事務局", sections: Vec::new() };
    let refs: Vec<&Finding> = findings.iter().collect();
    let error = gyokaku::validation_report::annotate::annotate(&bomb, &refs, &listing, 200_000_000).err().expect("refused");
    assert!(error.to_string().contains("limit"), "{error}");
}

/// A one-item workbook whose sheet XML holds `size` bytes of spaces
/// between its elements (well-formed, deflating about a thousandfold).
/// Made once per size and kept in the temp folder.
fn sheet_bomb(size: usize) -> Vec<u8> {
    let cache = std::env::temp_dir().join(format!("gyokaku-sheet-bomb-v1-{size}.xlsx"));
    if let Ok(bytes) = std::fs::read(&cache) {
        return bytes;
    }
    let mut book = rust_xlsxwriter::Workbook::new();
    common::add_item_sheet(&mut book, "出退勤管理の電子化");
    let good = book.save_to_buffer().unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(good)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(1));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        out.start_file(name.as_str(), options).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(bytes).unwrap();
            let (head, tail) = xml.split_once("<sheetData>").unwrap();
            out.write_all(head.as_bytes()).unwrap();
            out.write_all(b"<sheetData>").unwrap();
            let block = vec![b' '; 1 << 20];
            for _ in 0..size.div_ceil(block.len()) {
                out.write_all(&block).unwrap();
            }
            out.write_all(tail.as_bytes()).unwrap();
        } else {
            out.write_all(&bytes).unwrap();
        }
    }
    let bytes = out.finish().unwrap().into_inner();
    let tmp = cache.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, &bytes).unwrap();
    let _ = std::fs::rename(&tmp, &cache);
    bytes
}
