//! `gyokaku diff`: exactly the changes made to a copy of the inputs, a
//! retitled item matched as the same item, and the sample revisions.

mod common;

use common::{Inputs, item_rows, write_rows};
use gyokaku::compare::{MatchMethod, compare};
use rust_xlsxwriter::Workbook;
use std::path::Path;

/// A 総務部 workbook with one sheet per (title, approach).
fn write_department(inputs: &Inputs, items: &[(&str, &str)]) {
    let mut book = Workbook::new();
    for (i, (title, approach)) in items.iter().enumerate() {
        let ws = book.add_worksheet();
        ws.set_name((i + 1).to_string()).unwrap();
        let mut rows = item_rows(title);
        rows.iter_mut().find(|r| r[0] == "取組の方向性、内容").unwrap()[1] = approach.to_string();
        write_rows(ws, &rows, 3, 1);
    }
    book.save(inputs.submission("01_総務部.xlsx")).unwrap();
}

#[test]
fn diff_finds_exactly_the_changes_made() {
    let old = Inputs::new();
    write_department(&old, &[
        ("入り参加資格申請のオンライン化", "電子申請にする。"),
        ("出退勤管理の電子化", "打刻をやめる。"),
        ("窓口応対事務の効率化", "手順を見直す。"),
        ("会議録作成支援システムの活用", "使う。"),
    ]);
    let new = Inputs::new();
    write_department(&new, &[
        // Title corrected: the same item.
        ("入札参加資格申請のオンライン化", "電子申請にする。"),
        // A field changed.
        ("出退勤管理の電子化", "紙の打刻をやめ、端末で記録する。"),
        // Unchanged.
        ("窓口応対事務の効率化", "手順を見直す。"),
        // 会議録 removed; a new item added.
        ("公用車の予約のオンライン化", "予約を電子化する。"),
    ]);
    let (old_run, new_run) = (old.run(), new.run());
    let c = compare(&old_run.items, &new_run.items);
    assert_eq!(c.added.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), ["公用車の予約のオンライン化"]);
    assert_eq!(c.removed.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), ["会議録作成支援システムの活用"]);
    assert_eq!(c.matched.len(), 3);
    let retitled = c.matched.iter().find(|m| m.title.starts_with("入札参加")).unwrap();
    assert!(matches!(retitled.method, MatchMethod::SimilarTitle(_)), "{:?}", retitled.method);
    assert_eq!(retitled.changes.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["取組項目名"]);
    let changed_title = &retitled.changes[0];
    assert!(changed_title.new.iter().any(|s| s.changed && s.text == "札"));
    assert!(changed_title.old.iter().any(|s| s.changed && s.text == "り"));
    let edited = c.matched.iter().find(|m| m.title == "出退勤管理の電子化").unwrap();
    assert_eq!(edited.method, MatchMethod::Title);
    assert_eq!(edited.changes.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["取組の方向性、内容"]);
    let same = c.matched.iter().find(|m| m.title == "窓口応対事務の効率化").unwrap();
    assert!(same.changes.is_empty());
    assert_eq!(c.changed().count(), 2);
}

#[path = "../examples/make_sample_revisions.rs"]
#[allow(dead_code)]
mod revisions;

#[test]
fn sample_revisions_are_the_generators_output_and_diff_shows_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    for made in revisions::make(root, out.path()) {
        let relative = made.strip_prefix(out.path()).unwrap();
        let committed = std::fs::read(root.join("inputs/revisions").join(relative)).unwrap();
        assert!(std::fs::read(&made).unwrap() == committed, "{relative:?} differs: run `cargo run --example make_sample_revisions`");
    }

    let report = tempfile::tempdir().unwrap();
    let outcome = gyokaku::commands::diff::run(&root.join("inputs"), &root.join("inputs/revisions"), report.path(), None, &[]).unwrap();
    let c = &outcome.comparison;
    assert!(c.added.is_empty());
    assert_eq!(c.removed.len(), 1);
    assert!(c.removed[0].title.starts_with("会議等の改革③"));
    let changed: Vec<(&str, Vec<&str>)> = c.changed().map(|m| (m.title.as_str(), m.changes.iter().map(|f| f.field.as_str()).collect())).collect();
    let field_of = |prefix: &str| changed.iter().find(|(t, _)| t.starts_with(prefix)).map(|(_, f)| f.clone()).unwrap_or_else(|| panic!("{prefix} not changed: {changed:?}"));
    assert_eq!(field_of("職員の意識改革に係る各種研修の実施③"), ["主たる所管部署"]);
    assert_eq!(field_of("職員の資格取得の奨励"), ["業務量削減目標値（時間）"]);
    assert_eq!(field_of("会議等の改革④"), ["取組の方向性、内容"]);
    assert_eq!(field_of("多様な働き方の推進"), ["取組項目名"]);
    assert!(field_of("タブレット等を活用した予算要求").contains(&"取組項目名"));
    assert_eq!(changed.len(), 5);
    assert_eq!(c.matched.iter().filter(|m| m.method != MatchMethod::Title).count(), 2, "two corrected titles");
    // Items after the removed one in the same department move up by one.
    assert!(c.renumbered().all(|m| m.new_number + 1 == m.old_number));
    let kinds: Vec<&str> = outcome.files.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, ["comparison_pdf", "comparison_xlsx"]);
    assert!(std::fs::read(report.path().join("新旧対照表.pdf")).unwrap().starts_with(b"%PDF-"));
    // The versions are named by their plan.toml (stage and date), not by folder.
    let old_config = gyokaku::config::PlanConfig::load(&root.join("inputs/plan.toml")).unwrap();
    let new_config = gyokaku::config::PlanConfig::load(&root.join("inputs/revisions/plan.toml")).unwrap();
    use gyokaku::documents::comparison::version_label;
    assert_eq!((version_label(&old_config).as_str(), version_label(&new_config).as_str()), ("素案 令和5(2023)年8月", "素案 令和5(2023)年10月"));
    // The workbook: one row per changed field, new and old side by side.
    use calamine::{Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(report.path().join("新旧対照表.xlsx")).unwrap();
    let range = book.worksheet_range("新旧対照表").unwrap();
    let rows: Vec<Vec<String>> = range.rows().skip(1).map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows.len(), c.changed().map(|m| m.changes.len()).sum::<usize>());
    let title_fix = rows.iter().find(|r| r[6] == "多様な働き方の推進").unwrap();
    assert_eq!((title_fix[5].as_str(), title_fix[7].as_str()), ("取組項目名", "多用な働き方の推進"));
}
