//! Any bytes as a workbook file (.xlsx, .xls, .ods): no panic, no abort,
//! and bounded memory (run with -rss_limit_mb=2048). The first byte picks
//! the format and is dropped, so a real .xls or .ods seeds its own opener.
//! Seed the corpus with fuzz/seed.sh (the sample and the hostile inputs).
#![no_main]

use gyokaku::ingest::workbook::read_workbook;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let ext = ["xlsx", "xls", "ods"][selector as usize % 3];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("01_総務部.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let _ = read_workbook(&path, &format!("01_総務部.{ext}"));
});
