//! The return writer (validation_report::annotate), which edits the
//! department's own XML: the sample's 総務部 workbook with one of its parts
//! replaced by the input (the first byte picks the part and is dropped),
//! marked with findings on its cells. When a return is made, every XML part
//! is well-formed with its prefixes declared, and the department's sheets
//! read back with the values they had.
#![no_main]

use gyokaku::findings::{Code, Finding};
use gyokaku::ingest::workbook::{Workbook, read_workbook};
use gyokaku::validation_report::annotate::{Listing, annotate, check_xml};
use libfuzzer_sys::fuzz_target;
use std::io::{Cursor, Read, Write};

const WORKBOOK: &[u8] = include_bytes!("../../inputs/submissions/01_総務部.xlsx");
const PARTS: [&str; 6] = ["xl/worksheets/sheet2.xml", "xl/sharedStrings.xml", "xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"];

fn with_part(name: &str, content: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(WORKBOOK)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let entry_name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.start_file(entry_name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(if entry_name == name { content } else { &bytes }).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn values(book: &Workbook) -> Vec<(String, Vec<Vec<String>>)> {
    book.own_sheets().map(|g| (g.name.clone(), g.rows.iter().map(|r| r.iter().map(|c| c.text.clone()).collect()).collect())).collect()
}

fn read(bytes: &[u8]) -> Option<Workbook> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("01_総務部.xlsx");
    std::fs::write(&path, bytes).unwrap();
    read_workbook(&path, "01_総務部.xlsx").0
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, content)) = data.split_first() else { return };
    let original = with_part(PARTS[selector as usize % PARTS.len()], content);
    let findings: Vec<Finding> = ["1", "2", "優先順位一覧"]
        .iter()
        .flat_map(|sheet| {
            ["C4", "B9", "A1", "XFD1048576"].map(|cell| Finding::new(Code::RequiredEmpty, "01_総務部.xlsx", "「大分類」が空欄です", "記入してください").at(sheet, Some(cell)))
        })
        .collect();
    let refs: Vec<&Finding> = findings.iter().collect();
    let listing = Listing { sheet_name: "指摘一覧", title: "総務部の確認結果".into(), note: "n".into(), author: "事務局", sections: vec![("総務部".into(), "人事課".into())] };
    let Ok(returned) = annotate(&original, &refs, &listing, 200_000_000) else { return };
    // Every part is well-formed with its prefixes declared, unless the
    // department's own part already was not (the writer never makes a part
    // worse; a part broken in the input stays as broken).
    let part_text = |bytes: &[u8], name: &str| -> Option<String> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let mut entry = archive.by_name(name).ok()?;
        let mut text = String::new();
        entry.read_to_string(&mut text).ok()?;
        Some(text)
    };
    let archive = zip::ZipArchive::new(Cursor::new(&returned.bytes)).expect("a return is a zip");
    let names: Vec<String> = archive.file_names().filter_map(|n| n.ok().map(|n| n.to_string())).collect();
    for name in names.iter().filter(|n| n.ends_with(".xml") || n.ends_with(".rels")) {
        let Some(text) = part_text(&returned.bytes, name) else { continue };
        if let Err(e) = check_xml(&text) {
            let was_fine = part_text(&original, name).is_none_or(|before| check_xml(&before).is_ok());
            assert!(!was_fine, "{name}: {e}");
        }
    }
    // Values are compared when the input is a well-formed package: a
    // workbook.xml naming one sheet twice or one attribute twice is read in
    // no defined way, before or after.
    let well_formed = names.iter().filter(|n| n.ends_with(".xml") || n.ends_with(".rels")).all(|n| part_text(&original, n).is_none_or(|t| check_xml(&t).is_ok()));
    if !well_formed {
        return;
    }
    if let Some(before) = read(&original) {
        let after = read(&returned.bytes).expect("the return reads back");
        assert_eq!(values(&after), values(&before), "the department's values changed");
    }
});
