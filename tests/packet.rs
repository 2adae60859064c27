//! `gyokaku packet --meeting N`: the 次第, each 資料 stamped on every page
//! (a supplied PDF too), and the combined PDF.

use gyokaku::commands::packet::run as packet;
use std::path::Path;

/// A copy of the sample inputs with a city-supplied PDF as 資料3.
fn inputs_with_supplied_pdf() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let dir = tempfile::tempdir().unwrap();
    let mut plan = std::fs::read_to_string(root.join("plan.toml")).unwrap();
    plan.push_str("\n[[meetings.materials]]\nnumber = \"資料3\"\ntitle = \"市が用意した資料\"\ndocument = \"file\"\nfile = \"supplied/資料3.pdf\"\n");
    plan.push_str("\n[[meetings.materials]]\nnumber = \"資料4\"\ntitle = \"新旧対照表\"\ndocument = \"comparison\"\nold = \"old\"\n");
    std::fs::write(dir.path().join("plan.toml"), plan).unwrap();
    std::os::unix::fs::symlink(root.join("submissions"), dir.path().join("submissions")).unwrap();
    // The earlier version the 新旧対照表 compares with: the sample revisions.
    std::os::unix::fs::symlink(root.join("revisions"), dir.path().join("old")).unwrap();
    // Any PDF will do: the priority list the tool makes (3 pages).
    let made = tempfile::tempdir().unwrap();
    let outcome = gyokaku::commands::build::build(
        &gyokaku::commands::build::BuildOptions {
            input_dir: dir.path().to_path_buf(),
            out_dir: made.path().to_path_buf(),
            templates: None,
            font_paths: Vec::new(),
            handout: false,
            clean: false,
        },
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    let list = outcome.files.iter().find(|f| f.kind == "priority_list_pdf").unwrap();
    std::fs::create_dir(dir.path().join("supplied")).unwrap();
    std::fs::copy(made.path().join(&list.path), dir.path().join("supplied/資料3.pdf")).unwrap();
    dir
}

#[test]
fn every_page_of_every_material_carries_its_number() {
    let input = inputs_with_supplied_pdf();
    let out = tempfile::tempdir().unwrap();
    let outcome = packet(input.path(), 4, out.path(), None, &[]).unwrap();
    let kinds: Vec<&str> = outcome.files.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, ["agenda_pdf", "material_pdf", "material_pdf", "material_pdf", "material_pdf", "packet_pdf"]);
    let numbers = ["資料1", "資料2", "資料3", "資料4"];
    assert_eq!(outcome.material_texts.len(), 4);
    for (texts, number) in outcome.material_texts.iter().zip(numbers) {
        assert!(!texts.is_empty());
        for (i, page) in texts.iter().enumerate() {
            assert!(page.contains(number), "{number} page {} has no stamp", i + 1);
            for other in numbers.iter().filter(|n| **n != number) {
                assert!(!page.contains(other), "{number} page {} carries {other}", i + 1);
            }
        }
    }
    // 概要版 one page, the booklet its 98, the supplied PDF its 3.
    let pages: Vec<usize> = outcome.files.iter().map(|f| f.pages.unwrap()).collect();
    assert_eq!(pages[1], 1);
    assert_eq!(pages[3], 3);
    // The combined PDF: the 次第, then every page of every material.
    assert_eq!(pages[5], pages[..5].iter().sum::<usize>());
    assert!(outcome.material_texts[3].concat().contains("新旧対照表"));
    for f in &outcome.files {
        let bytes = std::fs::read(out.path().join(&f.path)).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{}", f.path);
        assert!(f.path.starts_with("第4回/"));
    }
}

#[test]
fn an_unknown_meeting_is_a_clear_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let out = tempfile::tempdir().unwrap();
    let err = packet(&root, 9, out.path(), None, &[]).err().unwrap().to_string();
    assert!(err.contains("number = 9") && err.contains("4"), "{err}");
}
