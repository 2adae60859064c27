//! Any grid of cells through the label reader and the normaliser: no
//! panic whatever labels, values and layout a sheet has. Input: cells
//! separated by \t, rows by \n (the shape of text copied from Excel).
#![no_main]

use gyokaku::config::PlanConfig;
use gyokaku::ingest::normalize::Normalizer;
use gyokaku::ingest::reader::{SheetContent, read_sheet};
use gyokaku::ingest::workbook::{Cell, Grid};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CONFIG: LazyLock<PlanConfig> = LazyLock::new(|| {
    let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/../inputs/plan.toml");
    PlanConfig::load(std::path::Path::new(plan)).unwrap()
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let rows = text
        .split('\n')
        .take(500)
        .map(|line| line.split('\t').take(50).map(|t| Cell { text: t.to_string(), number: t.trim().parse().ok() }).collect())
        .collect();
    let grid = Grid { name: "1".into(), hidden: false, rows };
    let (content, _) = read_sheet(&grid, "01_総務部.xlsx", &CONFIG.years);
    if let SheetContent::Item(raw) = content {
        let mut findings = Vec::new();
        Normalizer::new(&CONFIG).item(&raw, "01_総務部.xlsx", "総務部", false, &mut findings);
    }
});
