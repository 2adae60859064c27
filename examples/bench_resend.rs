//! Two versions of what one department (福祉部) resends, for the rebuild
//! benchmark in scripts/bench.sh: its R7 progress form with one grade as
//! the input folder has it (OUT/0) and changed (OUT/1), and its 素案
//! workbook as the sample has it (OUT/sub0) and with one cell changed
//! (OUT/sub1).
//!
//!     cargo run --release --example bench_resend -- INPUT_DIR OUT

#[path = "make_sample_inputs.rs"]
#[allow(dead_code)]
mod sample_inputs;

use gyokaku::config::PlanConfig;
use gyokaku::pipeline;
use gyokaku::progress::forms::example_forms;
use std::path::PathBuf;

const DEPARTMENT: &str = "福祉部";

fn main() -> anyhow::Result<()> {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let [input, out] = &args[..] else { anyhow::bail!("usage: bench_resend INPUT_DIR OUT") };
    let config = PlanConfig::load_input(input)?;
    let mut run = pipeline::run(input, &config)?;
    for version in 0..2 {
        if version == 1 {
            let item = run.items.iter_mut().find(|i| i.department == DEPARTMENT && i.results.contains_key("R7"));
            let result = item.and_then(|i| i.results.get_mut("R7")).ok_or_else(|| anyhow::anyhow!("no R7 result of {DEPARTMENT}"))?;
            result.evaluation = if result.evaluation == "D" { "A".into() } else { "D".into() };
        }
        let dir = out.join(version.to_string());
        std::fs::create_dir_all(&dir)?;
        for form in example_forms(&run.items, &config, "R7")?.into_iter().filter(|f| f.file_name.contains(DEPARTMENT)) {
            std::fs::write(dir.join(&form.file_name), &form.bytes)?;
        }
    }
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/transcription/06_福祉部.tsv");
    let mut department = sample_inputs::parse(&source);
    for version in 0..2 {
        if version == 1 {
            // The longest text of the first sheet gets one more sentence.
            let cell = department.sheets[0].iter_mut().flatten().max_by_key(|c| c.len()).ok_or_else(|| anyhow::anyhow!("empty sheet"))?;
            cell.push_str("（再提出で追記）");
        }
        let dir = out.join(format!("sub{version}"));
        std::fs::create_dir_all(&dir)?;
        sample_inputs::build(&department, None, &dir)?;
    }
    Ok(())
}
