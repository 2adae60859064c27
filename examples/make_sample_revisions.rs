//! Writes inputs/revisions/: the sample inputs as the departments revised
//! them after the council's comments, for `gyokaku diff inputs
//! inputs/revisions`. Made from the same transcription as the sample, with
//! the changes the minutes ask for:
//! - the empty 主たる所管部署 of 職員の意識改革③ filled;
//! - typos corrected: 多用な働き方 → 多様な働き方 and ペーパレス → ペーパーレス in
//!   two sheet titles (the items keep their identity: `diff` matches them
//!   by a similar title), ハラスマント → ハラスメント in a list;
//! - a quantified target added to 職員の資格取得の奨励;
//! - 会議等の改革③ merged into ④ (its sheet and list row removed).
//!
//!     cargo run --release --example make_sample_revisions

#[path = "make_sample_inputs.rs"]
#[allow(dead_code)]
mod inputs;

use std::path::{Path, PathBuf};

/// The value cell of `label` in a sheet (the cell right of the label).
fn set_field(sheet: &mut [Vec<String>], label: &str, value: &str) {
    let row = sheet.iter_mut().find(|r| r.first().map(String::as_str) == Some(label)).unwrap_or_else(|| panic!("no {label}"));
    if row.len() < 2 {
        row.resize(2, String::new());
    }
    row[1] = value.to_string();
}

fn title(sheet: &[Vec<String>]) -> &str {
    sheet.iter().find(|r| r[0] == "取組項目名").map(|r| r[1].as_str()).unwrap_or("")
}

fn revise(dept: &mut inputs::Department) {
    // Typos, everywhere they are written.
    for cell in dept.list.iter_mut().chain(dept.sheets.iter_mut().flatten()).flatten() {
        for (wrong, right) in [("ハラスマント", "ハラスメント"), ("多用な働き方", "多様な働き方"), ("ペーパレス", "ペーパーレス")] {
            if cell.contains(wrong) {
                *cell = cell.replace(wrong, right);
            }
        }
    }
    for sheet in &mut dept.sheets {
        let t = title(sheet).to_string();
        if t.starts_with("職員の意識改革に係る各種研修の実施③") {
            set_field(sheet, "主たる所管部署", "行政経営部業務改善・DX推進課");
        }
        if t == "職員の資格取得の奨励" {
            let row = sheet.iter_mut().find(|r| r[0] == "業務量削減目標値（時間）").unwrap();
            row.resize(5, String::new());
            row[1] = "20".into();
            row[2] = "40".into();
            row[3] = "60".into();
        }
        if t.starts_with("会議等の改革④") {
            let row = sheet.iter_mut().find(|r| r[0] == "取組の方向性、内容").unwrap();
            row[1].push_str("あわせて、会議録作成支援システムの積極的活用を促進する（会議等の改革③を統合）。");
        }
    }
    // 会議等の改革③ merged into ④: its sheet and list row go.
    dept.sheets.retain(|s| !title(s).starts_with("会議等の改革③"));
    dept.list.retain(|r| !r.get(1).is_some_and(|t| t.starts_with("会議等の改革③")));
}

/// Writes the revised inputs (plan.toml and submissions/) into `out`.
pub fn make(root: &Path, out: &Path) -> Vec<PathBuf> {
    let submissions = out.join("submissions");
    std::fs::create_dir_all(&submissions).unwrap();
    // The same plan, dated after the 4th meeting whose minutes ask for the
    // changes, so the 新旧対照表 tells the two versions apart by date.
    let plan = std::fs::read_to_string(root.join("inputs/plan.toml")).unwrap();
    let revised = plan
        .replacen("date = \"2023-08-31\"", "date = \"2023-10-31\"", 1)
        .replacen("date_label = \"令和5年8月\"", "date_label = \"令和5年10月\"", 1);
    assert_ne!(plan, revised, "inputs/plan.toml's [document] date moved: update the revision's date");
    std::fs::write(out.join("plan.toml"), revised).unwrap();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("samples/transcription"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    sources.sort();
    let mut written = vec![out.join("plan.toml")];
    for source in sources {
        let mut dept = inputs::parse(&source);
        revise(&mut dept);
        written.push(inputs::build(&dept, None, &submissions).unwrap());
    }
    written
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("inputs/revisions");
    if out.is_dir() {
        std::fs::remove_dir_all(&out).unwrap();
    }
    for path in make(root, &out) {
        println!("wrote {}", path.display());
    }
}
