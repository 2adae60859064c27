//! A corpus of broken and hostile inputs, each made by a generator rather
//! than kept as a binary blob: what damaged e-mail attachments, odd
//! exports and a careful attacker would put in submissions/ or plan.toml.
//! `tests/hostile.rs` runs each one; `make_corpus` writes them all to a
//! folder (fuzzing seeds, manual runs).

#![allow(dead_code)]

use crate::common::{Inputs, PLAN, add_item_sheet, item_rows, simple_workbook, write_rows};
use rust_xlsxwriter::{ExcelDateTime, Workbook};
use std::io::Write;
use std::path::Path;

/// One kind of bad input: the files it puts in an input folder and the
/// findings (code, place) it must give.
pub struct Case {
    pub name: &'static str,
    pub make: fn(&Inputs),
    pub expect: &'static [(&'static str, &'static str)],
}

/// The file each case writes its bad workbook to (a 総務部 name, so the
/// department is known and the finding is grouped).
pub const BAD: &str = "01_総務部.xlsx";

pub fn cases() -> Vec<Case> {
    vec![
        Case { name: "zero_bytes", make: |i| write(i, BAD, b""), expect: &[("R001", BAD)] },
        Case { name: "truncated_xlsx", make: |i| write(i, BAD, &good_bytes()[..2000]), expect: &[("R001", BAD)] },
        Case { name: "random_bytes", make: |i| write(i, BAD, &random_bytes(50_000, 7)), expect: &[("R001", BAD)] },
        Case { name: "pdf_renamed", make: |i| write(i, BAD, b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"), expect: &[("R001", BAD)] },
        Case { name: "zip_of_nothing", make: |i| write(i, BAD, &zip_of(&[("hello.txt", b"hi".to_vec())])), expect: &[("R001", BAD)] },
        Case {
            name: "password_protected",
            make: |i| {
                let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/password_protected.xlsx");
                std::fs::copy(fixture, i.submission(BAD)).unwrap();
            },
            expect: &[("R002", BAD)],
        },
        Case { name: "zip_bomb", make: |i| write(i, BAD, &zip_bomb(1 << 30)), expect: &[("R015", BAD)] },
        // Declared sizes are checked as the parts inflate, so the lie makes
        // the file unreadable rather than a way past the cap.
        Case { name: "zip_bomb_lying_sizes", make: |i| write(i, BAD, &lie_about_sizes(&zip_bomb(300 << 20))), expect: &[("R001", BAD)] },
        Case { name: "billion_laughs", make: |i| write(i, BAD, &with_part("xl/sharedStrings.xml", billion_laughs())), expect: &[("R001", BAD)] },
        Case { name: "deeply_nested_xml", make: |i| write(i, BAD, &with_part("xl/worksheets/sheet1.xml", deeply_nested(200_000))), expect: &[("R003", BAD)] },
        Case { name: "sheet_xml_garbage", make: |i| write(i, BAD, &with_part("xl/worksheets/sheet1.xml", random_bytes(5000, 3))), expect: &[("R001", "01_総務部.xlsx › 1")] },
        Case { name: "far_cell", make: |i| item_with(i, |ws| { ws.write(1_048_575, 16_383, "x").unwrap(); }), expect: &[("R016", "01_総務部.xlsx › 1 › XFD1048576")] },
        Case {
            name: "far_cells_everywhere",
            make: |i| item_with(i, |ws| {
                for r in 0..200u32 {
                    ws.write(20_000 + r * 100, 16_000, "x").unwrap();
                }
            }),
            expect: &[("R016", "01_総務部.xlsx › 1 › WQK20001")],
        },
        Case { name: "claimed_dimension_huge", make: |i| write(i, BAD, &claim_dimension(&good_bytes())), expect: &[] },
        // rust_xlsxwriter refuses cells past Excel's 32,767 characters, as
        // Excel does; other tools write them, so the shared string is patched.
        Case {
            name: "cell_100k_characters",
            make: |i| write(i, BAD, &replace_text(&good_bytes(), "紙で管理している。", &"あ".repeat(100_000))),
            expect: &[("R006", "01_総務部.xlsx › 1 › C9")],
        },
        Case {
            name: "formula_errors",
            make: |i| item_with(i, |ws| {
                use rust_xlsxwriter::Formula;
                ws.write_formula(16, 2, Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
                ws.write_formula(16, 3, Formula::new("=#REF!").set_result("#REF!")).unwrap();
                ws.write_formula(17, 4, Formula::new("=NA()").set_result("#N/A")).unwrap();
            }),
            expect: &[("R007", "01_総務部.xlsx › 1 › C17"), ("R007", "01_総務部.xlsx › 1 › D17"), ("R007", "01_総務部.xlsx › 1 › E18")],
        },
        Case {
            name: "date_where_a_number_belongs",
            make: |i| item_with(i, |ws| {
                let date = ExcelDateTime::from_ymd(2024, 4, 1).unwrap();
                let format = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
                ws.write_datetime_with_format(16, 2, &date, &format).unwrap();
            }),
            expect: &[("N101", "01_総務部.xlsx › 1 › C17")],
        },
        Case {
            name: "extreme_numbers",
            make: |i| item_with(i, |ws| {
                ws.write_number(16, 2, 1e308).unwrap();
                ws.write_number(16, 3, -1.7e308).unwrap();
                ws.write(17, 4, "1e999").unwrap();
            }),
            expect: &[("N101", "01_総務部.xlsx › 1 › C17"), ("N101", "01_総務部.xlsx › 1 › D17"), ("N101", "01_総務部.xlsx › 1 › E18")],
        },
        Case {
            name: "emoji_and_controls_in_names",
            make: |i| {
                let mut book = Workbook::new();
                let ws = book.add_worksheet();
                ws.set_name("🚀\u{1b}cシート\u{7}").unwrap();
                write_rows(ws, &item_rows("🚀電子化\u{1}\u{202E}fdp.exe\u{0}"), 3, 1);
                book.save(i.submission(BAD)).unwrap();
            },
            expect: &[],
        },
        Case { name: "path_traversal_title", make: |i| simple_workbook(&i.submission(BAD), "../../../../etc/passwd", None), expect: &[] },
        Case { name: "reserved_name_title", make: |i| simple_workbook(&i.submission(BAD), "CON", None), expect: &[] },
        // A department's file twice (a resent copy): only the newer is read.
        Case {
            name: "duplicate_workbooks",
            make: |i| {
                simple_workbook(&i.submission(BAD), "出退勤管理の電子化", None);
                std::fs::copy(i.submission(BAD), i.submission("01_総務部 (1).xlsx")).unwrap();
                let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
                std::fs::File::options().write(true).open(i.submission("01_総務部 (1).xlsx")).unwrap().set_modified(later).unwrap();
            },
            expect: &[("R018", "01_総務部 (1).xlsx")],
        },
        Case {
            name: "symlink_leaving_the_folder",
            make: |i| std::os::unix::fs::symlink("/etc/passwd", i.submission(BAD)).unwrap(),
            expect: &[("R013", BAD)],
        },
        Case {
            name: "symlink_loop",
            make: |i| std::os::unix::fs::symlink("..", i.submission("loop.xlsx")).unwrap(),
            expect: &[("R013", "loop.xlsx")],
        },
        Case { name: "fifo", make: |i| mkfifo(&i.submission(BAD)), expect: &[("R013", BAD)] },
        Case { name: "folder_named_like_a_workbook", make: |i| std::fs::create_dir(i.submission(BAD)).unwrap(), expect: &[("R009", BAD)] },
        Case { name: "xls_garbage", make: |i| write(i, "01_総務部.xls", &cfb_garbage()), expect: &[("R001", "01_総務部.xls")] },
        Case { name: "ods_garbage", make: |i| write(i, "01_総務部.ods", &zip_of(&[("content.xml", b"<office:document-content".to_vec())])), expect: &[("R001", "01_総務部.ods")] },
        Case {
            name: "over_the_size_limit",
            make: |i| {
                append_plan(i, "\n[limits]\nfile_mb = 1\n");
                write(i, BAD, &random_bytes(1_500_000, 5));
            },
            expect: &[("R014", BAD)],
        },
    ]
}

/// Broken plan.toml files: each must stop the run with one clear error
/// naming the file (the text it must contain).
pub fn plan_cases() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let huge = [PLAN.as_bytes(), &b"# padding\n".repeat(200_000)].concat();
    let nested = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    let sjis: Vec<u8> = [b"[plan]\nname = \"".as_slice(), &[0x83, 0x76, 0x83, 0x89, 0x83, 0x93], b"\"\n"].concat();
    vec![
        ("malformed", b"[plan\nname = ".to_vec(), "1行目"),
        ("huge", huge, "1000000 バイトまで"),
        ("non_utf8", sjis, "UTF-8 の文字ではありません"),
        ("deeply_nested", nested, "plan.toml"),
        ("indicator_out_of_range", format!("{}\n[[indicators]]\nname = \"x\"\nbaseline = 1e308\n", PLAN).into_bytes(), "範囲外"),
        ("empty", Vec::new(), "plan.toml"),
    ]
}

pub fn write(inputs: &Inputs, name: &str, bytes: &[u8]) {
    std::fs::write(inputs.submission(name), bytes).unwrap();
}

fn append_plan(inputs: &Inputs, text: &str) {
    let path = inputs.path().join("plan.toml");
    let mut plan = std::fs::read_to_string(&path).unwrap();
    plan.push_str(text);
    std::fs::write(path, plan).unwrap();
}

/// The bad file is a plain item sheet with one change.
fn item_with(inputs: &Inputs, edit: fn(&mut rust_xlsxwriter::Worksheet)) {
    let mut book = Workbook::new();
    let ws = add_item_sheet(&mut book, "出退勤管理の電子化");
    edit(ws);
    book.save(inputs.submission(BAD)).unwrap();
}

/// A valid one-item workbook's bytes.
pub fn good_bytes() -> Vec<u8> {
    let mut book = Workbook::new();
    add_item_sheet(&mut book, "出退勤管理の電子化");
    book.save_to_buffer().unwrap()
}

/// Deterministic noise (xorshift), so a failure can be replayed.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn zip_of(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        out.start_file(*name, options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// `xlsx` with `from` replaced by `to` in its shared strings.
fn replace_text(xlsx: &[u8], from: &str, to: &str) -> Vec<u8> {
    rewrite_parts(xlsx, |name, bytes| {
        if name == "xl/sharedStrings.xml" { String::from_utf8(bytes).unwrap().replace(from, to).into_bytes() } else { bytes }
    })
}

/// The good workbook with one part replaced.
fn with_part(name: &str, content: Vec<u8>) -> Vec<u8> {
    rewrite_parts(&good_bytes(), |n, bytes| if n == name { content.clone() } else { bytes })
}

fn rewrite_parts(xlsx: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
        parts.push((name.clone(), edit(&name, bytes)));
    }
    let parts: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    zip_of(&parts)
}

/// The good workbook whose shared strings hold one string of `size` bytes
/// (spaces, which deflate about a thousandfold): a few MB on disk.
/// Made once per size and kept in the temp folder, as deflating a gigabyte
/// takes a few seconds.
pub fn zip_bomb(size: usize) -> Vec<u8> {
    let cache = std::env::temp_dir().join(format!("gyokaku-zip-bomb-v2-{size}.xlsx"));
    if let Ok(bytes) = std::fs::read(&cache) {
        return bytes;
    }
    let good = good_bytes();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(good.as_slice())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(size as u64 >= u32::MAX as u64);
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
        out.start_file(name.as_str(), options).unwrap();
        if name == "xl/sharedStrings.xml" {
            let text = String::from_utf8(bytes).unwrap();
            let (head, tail) = text.split_once("紙で管理している。").unwrap();
            out.write_all(head.as_bytes()).unwrap();
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

/// Sets every declared uncompressed size to 1000 bytes, in the local
/// headers and the central directory: a reader trusting them is fooled.
fn lie_about_sizes(zip: &[u8]) -> Vec<u8> {
    let mut bytes = zip.to_vec();
    let le32 = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let mut i = 0;
    while i + 46 < bytes.len() {
        let sig = le32(&bytes, i);
        // Local header: size at 22 (skip zip64 ones, marked 0xFFFFFFFF).
        if sig == 0x0403_4b50 && le32(&bytes, i + 22) != u32::MAX {
            bytes[i + 22..i + 26].copy_from_slice(&1000u32.to_le_bytes());
        }
        if sig == 0x0201_4b50 && le32(&bytes, i + 24) != u32::MAX {
            bytes[i + 24..i + 28].copy_from_slice(&1000u32.to_le_bytes());
        }
        i += 1;
    }
    bytes
}

/// Shared strings that define entities expanding to 10^9 "lol"s.
fn billion_laughs() -> Vec<u8> {
    let mut dtd = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE sst [\n<!ENTITY lol0 \"lol\">\n");
    for n in 1..10 {
        dtd.push_str(&format!("<!ENTITY lol{n} \"{}\">\n", format!("&lol{};", n - 1).repeat(10)));
    }
    dtd.push_str("]>\n<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"1\"><si><t>&lol9;</t></si></sst>");
    dtd.into_bytes()
}

/// A worksheet whose sheetData holds `depth` nested elements.
fn deeply_nested(depth: usize) -> Vec<u8> {
    let mut xml = String::from("<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>");
    xml.push_str(&"<row>".repeat(depth));
    xml.push_str(&"</row>".repeat(depth));
    xml.push_str("</sheetData></worksheet>");
    xml.into_bytes()
}

/// Claims the sheet spans A1:XFD1048576 while holding a few cells.
fn claim_dimension(xlsx: &[u8]) -> Vec<u8> {
    rewrite_parts(xlsx, |name, bytes| {
        if name != "xl/worksheets/sheet1.xml" {
            return bytes;
        }
        let xml = String::from_utf8(bytes).unwrap();
        let start = xml.find("<dimension ref=\"").unwrap() + "<dimension ref=\"".len();
        let end = start + xml[start..].find('"').unwrap();
        format!("{}A1:XFD1048576{}", &xml[..start], &xml[end..]).into_bytes()
    })
}

/// An OLE compound file header followed by noise (an .xls that is not).
fn cfb_garbage() -> Vec<u8> {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.extend(random_bytes(4096, 11));
    bytes
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo failed");
}

/// Writes every case into `dir/NAME/` as an input folder (one bad file
/// beside plan.toml), for fuzzing seeds or a manual run.
pub fn make_corpus(dir: &Path) {
    for case in cases() {
        let inputs = Inputs::new();
        (case.make)(&inputs);
        let target = dir.join(case.name);
        let _ = std::fs::remove_dir_all(&target);
        std::process::Command::new("cp").arg("-a").arg(inputs.path()).arg(&target).status().unwrap();
    }
}
