//! Any text as plan.toml: read strictly, never a panic; a refusal is a
//! message naming the file. A plan that loads is then used for a run over
//! the sample's 総務部 workbook.
#![no_main]

use gyokaku::config::PlanConfig;
use libfuzzer_sys::fuzz_target;

const WORKBOOK: &[u8] = include_bytes!("../../inputs/submissions/01_総務部.xlsx");

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.toml"), data).unwrap();
    match PlanConfig::load_input(dir.path()) {
        Err(e) => assert!(e.to_string().contains("plan.toml"), "{e}"),
        Ok(config) => {
            std::fs::create_dir(dir.path().join("submissions")).unwrap();
            std::fs::write(dir.path().join("submissions/01_総務部.xlsx"), WORKBOOK).unwrap();
            let _ = gyokaku::pipeline::run(dir.path(), &config);
        }
    }
});
