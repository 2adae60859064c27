//! One department's file through the whole per-file path of a run: the
//! reader's limits, read_sheet, the normaliser, the checks, the progress
//! reader. The sample's plan.toml; the first byte picks the format and
//! where the file goes (a 素案 submission or an R6 progress form) and is
//! dropped. No panic, and the file is left as it was.
#![no_main]

use gyokaku::config::PlanConfig;
use libfuzzer_sys::fuzz_target;

const PLAN: &str = include_str!("../../inputs/plan.toml");

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let ext = ["xlsx", "xls", "ods"][selector as usize % 3];
    let progress = selector & 0x80 != 0;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.toml"), PLAN).unwrap();
    std::fs::create_dir(dir.path().join("submissions")).unwrap();
    let path = if progress {
        std::fs::create_dir_all(dir.path().join("progress/R6")).unwrap();
        dir.path().join(format!("progress/R6/01_総務部_R6進捗報告.{ext}"))
    } else {
        dir.path().join(format!("submissions/01_総務部.{ext}"))
    };
    std::fs::write(&path, bytes).unwrap();
    let config = PlanConfig::load_input(dir.path()).unwrap();
    let run = gyokaku::pipeline::run(dir.path(), &config).unwrap();
    // Every finding names the file it is about.
    assert!(run.findings.iter().all(|f| !f.file.is_empty()));
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the input was changed");
});
