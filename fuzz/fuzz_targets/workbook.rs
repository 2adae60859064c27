//! Any bytes as a workbook file (.xlsx, .xls, .ods): no panic, no abort,
//! and bounded memory (run with -rss_limit_mb=2048). Seed the corpus with
//! the hostile inputs: see docs/fuzzing.md.
#![no_main]

use gyokaku::ingest::workbook::read_workbook;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ext = match data.first() {
        Some(b) if b % 3 == 0 => "xls",
        Some(b) if b % 3 == 1 => "ods",
        _ => "xlsx",
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("01_総務部.{ext}"));
    std::fs::write(&path, data).unwrap();
    let _ = read_workbook(&path, "01_総務部.xlsx");
});
