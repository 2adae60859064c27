//! Findings on the terminal, grouped by department, rustc style.

use super::by_department;
use crate::config::PlanConfig;
use crate::findings::Severity;
use crate::pipeline::Run;
use std::fmt::Write;

/// The text `gyokaku validate` prints. `quiet_info` leaves out info findings.
pub fn render(run: &Run, config: &PlanConfig, quiet_info: bool) -> String {
    let mut out = String::new();
    for group in by_department(run, config) {
        let shown: Vec<_> = group
            .findings
            .iter()
            .filter(|f| !(quiet_info && f.severity == Severity::Info))
            .collect();
        let _ = writeln!(
            out,
            "== {} ({}件の個票; エラー {} / 警告 {} / 情報 {})",
            group.department, group.items, group.errors, group.warnings, group.infos
        );
        for f in shown {
            let _ = writeln!(out, "{f}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} files, {} items: {} errors, {} warnings, {} info",
        run.files.len(),
        run.items.len(),
        run.count(Severity::Error),
        run.count(Severity::Warning),
        run.count(Severity::Info)
    );
    for round in &run.rounds {
        let count = |m: crate::progress::results::MatchMethod| round.matched.iter().filter(|x| x.method == m).count();
        let _ = writeln!(
            out,
            "progress {}{}: {} items reported ({} by number and title, {} by title only, {} by number only), {} 未提出",
            round.year,
            if round.sample { " (sample)" } else { "" },
            round.matched.len(),
            count(crate::progress::results::MatchMethod::NumberAndTitle),
            count(crate::progress::results::MatchMethod::Title),
            count(crate::progress::results::MatchMethod::Number),
            round.missing.len()
        );
    }
    out
}
