//! The committed sample workbooks are exactly what the generator makes from
//! the committed transcription: neither can change without the other.

#[path = "../examples/make_sample_inputs.rs"]
#[allow(dead_code)]
mod generator;

use std::path::Path;

#[test]
fn sample_workbooks_match_the_transcription() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let mut sources: Vec<_> = std::fs::read_dir(root.join("samples/transcription"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    sources.sort();
    assert_eq!(sources.len(), 10);
    let mut sheets = 0;
    for source in &sources {
        let department = generator::parse(source);
        sheets += department.sheets.len();
        let made = generator::build(&department, None, out.path()).unwrap();
        let name = made.file_name().unwrap();
        let committed = std::fs::read(root.join("inputs/submissions").join(name)).unwrap();
        assert!(std::fs::read(&made).unwrap() == committed, "{name:?} differs: run `cargo run --example make_sample_inputs`");
    }
    assert_eq!(sheets, 91);
}
