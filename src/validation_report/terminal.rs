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
            visible(&group.department), group.items, group.errors, group.warnings, group.infos
        );
        for f in shown {
            let _ = writeln!(out, "{}", visible(&f.to_string()));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "ファイル {} 件・個票 {} 件: エラー {} / 警告 {} / 情報 {}{}",
        run.files.len(),
        run.items.len(),
        run.count(Severity::Error),
        run.count(Severity::Warning),
        run.count(Severity::Info),
        if run.decided.is_empty() { String::new() } else { format!("（ほかに事務局の確認済 {} 件）", run.decided.len()) }
    );
    for round in &run.rounds {
        let count = |m: crate::progress::results::MatchMethod| round.matched.iter().filter(|x| x.method == m).count();
        let _ = writeln!(
            out,
            "{} 進捗報告{}: 報告 {} 件（項目番号と名称で {}、名称のみで {}、番号のみで {}）、未提出 {} 件",
            round.year,
            if round.sample { "（サンプル）" } else { "" },
            round.matched.len(),
            count(crate::progress::results::MatchMethod::NumberAndTitle),
            count(crate::progress::results::MatchMethod::Title),
            count(crate::progress::results::MatchMethod::Number),
            round.missing.len()
        );
    }
    out
}

/// Text from a workbook (sheet names, cell text in messages) with control
/// and bidi characters shown as `\u{1B}`: an escape sequence in a sheet
/// name must not clear or rewrite the clerk's terminal.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (c.is_control() && c != '\n') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
                format!("\\u{{{:X}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_sequences_are_shown_not_sent() {
        assert_eq!(super::visible("a\u{1b}[2Jb\u{202E}c\nd"), "a\\u{1B}[2Jb\\u{202E}c\nd");
    }
}
