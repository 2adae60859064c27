//! Writes the sample progress round, inputs/progress/R6/: the R6 forms
//! `gyokaku forms` makes, filled with example results. Every value is an
//! example, and every sheet says so (記入例（サンプル）); plan.toml lists R6
//! in [progress] sample_years, so the report says サンプル on its cover.
//!
//! Some departments' forms carry the mistakes real forms have, so the
//! report and the validation show their findings:
//! - 市民協働部 leaves two items empty (未提出);
//! - 経済部 writes a text where hours belong (約20時間);
//! - 都市建設部 renamed its file;
//! - 教育部 uses a grade outside the scale (S);
//! - 行政経営部 edited a plan field in the form (not taken).
//!
//!     cargo run --release --example make_sample_progress

use gyokaku::config::PlanConfig;
use gyokaku::progress::forms::example_forms;
use gyokaku::model::{Amount, Item, YearResult};
use gyokaku::pipeline;
use std::path::{Path, PathBuf};

const YEAR: &str = "R6";

/// A deterministic example grade: most items B, some A, C or D.
fn grade(number: u32) -> &'static str {
    match number % 7 {
        0 => "A",
        3 => "C",
        5 if number % 2 == 1 => "D",
        _ => "B",
    }
}

/// The share of its target an item reached, by grade.
fn reached(grade: &str) -> f64 {
    match grade {
        "A" => 1.1,
        "B" => 0.9,
        "C" => 0.5,
        _ => 0.0,
    }
}

fn amount(value: f64) -> Amount {
    let rounded = value.round();
    let raw = if rounded < 0.0 { format!("△{}", -rounded) } else { rounded.to_string() };
    Amount { value: Some(rounded), note: String::new(), raw, number_cell: false }
}

fn example_result(item: &Item) -> YearResult {
    let g = grade(item.number);
    let result_of = |target: Option<&Amount>| match target.and_then(|a| a.value) {
        Some(t) => amount(t * reached(g)),
        None => Amount::default(),
    };
    let goal = item.yearly_goals.get(YEAR).cloned().unwrap_or_default();
    YearResult {
        goal_result: if goal.is_empty() { "（記入例）計画どおり実施".into() } else { format!("（記入例）{goal}：{}", if reached(g) >= 0.9 { "実施" } else { "一部実施" }) },
        workload_result: result_of(item.workload_target.get(YEAR)),
        fiscal_result: result_of(item.fiscal_target.get(YEAR)),
        evaluation: g.to_string(),
        issues: match g {
            "A" | "B" => "（記入例）関係課との調整に時間を要した".into(),
            "C" => "（記入例）予算化が次年度にずれ込んだ".into(),
            _ => "（記入例）担当の異動により着手が遅れた".into(),
        },
        improvements: "（記入例）進捗を四半期ごとに確認する".into(),
    }
}

fn main() -> anyhow::Result<()> {
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let out = input.join("progress").join(YEAR);
    if out.is_dir() {
        std::fs::remove_dir_all(&out)?;
    }
    for path in make(&input, &out)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Writes the round's forms for the plan in `input` into `out`.
pub fn make(input: &Path, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let config = PlanConfig::load(&input.join("plan.toml"))?;
    let mut run = pipeline::run(input, &config)?;
    // Start from the plan alone: results already in the folder are not reused.
    for item in &mut run.items {
        item.results.clear();
    }
    let first_of = |dept: &str, k: usize| run.items.iter().filter(|i| i.department == dept).nth(k).map(|i| i.number);
    let skipped = [first_of("市民協働部", 2), first_of("市民協働部", 6)];
    let text_hours = first_of("経済部", 0);
    let bad_grade = first_of("教育部", 1);
    let edited = first_of("行政経営部", 3);
    for item in &mut run.items {
        if skipped.contains(&Some(item.number)) {
            continue;
        }
        let mut result = example_result(item);
        if Some(item.number) == text_hours {
            result.workload_result = Amount { value: None, note: String::new(), raw: "約20時間".into(), number_cell: false };
        }
        if Some(item.number) == bad_grade {
            result.evaluation = "S".into();
        }
        item.results.insert(YEAR.into(), result);
        if Some(item.number) == edited {
            item.approach.push_str("（様式で追記）");
        }
    }
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for form in example_forms(&run.items, &config, YEAR)? {
        let name = if form.department == "都市建設部" { "都市建設部_R6報告_最終.xlsx".to_string() } else { form.file_name.clone() };
        std::fs::write(out.join(&name), &form.bytes)?;
        written.push(out.join(&name));
    }
    Ok(written)
}
