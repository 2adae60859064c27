//! Writes the sample progress rounds, inputs/progress/R6/ and R7/: the
//! forms `gyokaku forms` makes for each year, filled with example results.
//! Every value is an example, and every sheet says so (記入例（サンプル）):
//! the round reader marks what it reads from such forms as examples, so
//! the reports and the 進捗管理表 say サンプル. The R7 forms carry the R6
//! results read back from the R6 round (locked), as a real second round's
//! forms do, so R6 is written first.
//!
//! Some departments' forms carry the mistakes real forms have, so the
//! reports and the validation show their findings:
//! - 市民協働部 leaves two items empty in R6 (未提出), one of them again in
//!   R7 (未提出 two years running); 福祉部 leaves one empty in R7;
//! - 経済部 writes a text where hours belong (約20時間, R6);
//! - 都市建設部 renamed its file;
//! - 教育部 uses a grade outside the scale (S, R6);
//! - 行政経営部 edited a plan field in the form (R6, not taken).
//!
//! Grades move between the years (some rise, some fall), so the R7 report
//! has changes to show.
//!
//!     cargo run --release --example make_sample_progress
//!     cargo run --release --example make_sample_progress -- --year R8 --out DIR
//!     cargo run --release --example make_sample_progress -- --input DIR --year R6 --out DIR/progress/R6
//!
//! The second form writes one further round elsewhere (the final
//! evaluation's tests use it); the sample itself holds R6 and R7.

use gyokaku::config::PlanConfig;
use gyokaku::progress::forms::example_forms;
use gyokaku::model::{Amount, Item, YearResult};
use gyokaku::pipeline;
use std::path::{Path, PathBuf};

/// The rounds the sample holds, in the order they must be written.
pub const SAMPLE_YEARS: [&str; 2] = ["R6", "R7"];

const GRADES: [&str; 4] = ["A", "B", "C", "D"];

/// A deterministic example grade: in R6 most items B, some A, C or D; each
/// later year some items rise a grade and some fall one.
fn grade(number: u32, year_index: usize) -> &'static str {
    let mut g = match number % 7 {
        0 => 0,
        3 => 2,
        5 if number % 2 == 1 => 3,
        _ => 1,
    };
    for k in 1..=year_index as u32 {
        if (number + k) % 5 == 0 && g > 0 {
            g -= 1;
        } else if (number + 2 * k) % 6 == 1 && g < 3 {
            g += 1;
        }
    }
    GRADES[g]
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
    // A zero has no sign (a D grade's share of a negative target is -0).
    let rounded = value.round() + 0.0;
    let raw = if rounded < 0.0 { format!("△{}", -rounded) } else { rounded.to_string() };
    Amount { value: Some(rounded), note: String::new(), raw, number_cell: false }
}

fn example_result(item: &Item, year: &str, year_index: usize) -> YearResult {
    let g = grade(item.number, year_index);
    let result_of = |target: Option<&Amount>| match target.and_then(|a| a.value) {
        Some(t) => amount(t * reached(g)),
        None => Amount::default(),
    };
    let goal = item.yearly_goals.get(year).cloned().unwrap_or_default();
    YearResult {
        goal_result: if goal.is_empty() { "（記入例）計画どおり実施".into() } else { format!("（記入例）{goal}：{}", if reached(g) >= 0.9 { "実施" } else { "一部実施" }) },
        workload_result: result_of(item.workload_target.get(year)),
        fiscal_result: result_of(item.fiscal_target.get(year)),
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|k| args.get(k + 1)).cloned();
    // --input: another plan's folder (a generated benchmark set).
    let input = arg("--input").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs"));
    let rounds: Vec<(String, PathBuf)> = match (arg("--year"), arg("--out")) {
        (Some(year), Some(out)) => vec![(year, PathBuf::from(out))],
        (None, None) => SAMPLE_YEARS.iter().map(|y| (y.to_string(), input.join("progress").join(y))).collect(),
        _ => anyhow::bail!("usage: make_sample_progress [--input DIR] [--year R8 --out DIR]"),
    };
    for (year, out) in rounds {
        if out.is_dir() {
            std::fs::remove_dir_all(&out)?;
        }
        for path in make(&input, &year, &out)? {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// Writes the `year` round's forms for the plan in `input` into `out`,
/// with the earlier rounds' results `input` holds printed in them.
pub fn make(input: &Path, year: &str, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let config = PlanConfig::load(&input.join("plan.toml"))?;
    let year_index = config.years.iter().position(|y| y.code == year).ok_or_else(|| anyhow::anyhow!("{year} is not a plan year"))?;
    let earlier: Vec<String> = config.years[..year_index].iter().map(|y| y.code.clone()).collect();
    let mut run = pipeline::run(input, &config)?;
    // Start from the plan and the earlier rounds: results of this year or
    // later already in the folder are not reused.
    for item in &mut run.items {
        item.results.retain(|y, _| earlier.contains(y));
    }
    let first_of = |dept: &str, k: usize| run.items.iter().filter(|i| i.department == dept).nth(k).map(|i| i.number);
    let skipped = match year_index {
        0 => vec![first_of("市民協働部", 2), first_of("市民協働部", 6)],
        _ => vec![first_of("市民協働部", 2), first_of("福祉部", 0)],
    };
    let first = year_index == 0;
    let text_hours = first_of("経済部", 0).filter(|_| first);
    let bad_grade = first_of("教育部", 1).filter(|_| first);
    let edited = first_of("行政経営部", 3).filter(|_| first);
    for item in &mut run.items {
        if skipped.contains(&Some(item.number)) {
            continue;
        }
        let mut result = example_result(item, year, year_index);
        if Some(item.number) == text_hours {
            result.workload_result = Amount { value: None, note: String::new(), raw: "約20時間".into(), number_cell: false };
        }
        if Some(item.number) == bad_grade {
            result.evaluation = "S".into();
        }
        item.results.insert(year.into(), result);
        if Some(item.number) == edited {
            item.approach.push_str("（様式で追記）");
        }
    }
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for form in example_forms(&run.items, &config, year)? {
        let name = if form.department == "都市建設部" { format!("都市建設部_{year}報告_最終.xlsx") } else { form.file_name.clone() };
        std::fs::write(out.join(&name), &form.bytes)?;
        written.push(out.join(&name));
    }
    Ok(written)
}
