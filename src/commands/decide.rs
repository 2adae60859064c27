//! `gyokaku decide`: records the office's decision on one finding in
//! INPUT_DIR/decisions.toml (see decisions.rs), after checking that the
//! finding is there as the office saw it.

use crate::config::PlanConfig;
use crate::decisions::{Choice, Decision, Decisions, same_place};
use crate::findings::Finding;
use crate::pipeline;
use std::path::{Path, PathBuf};

/// What the office decided, as given on the command line.
pub struct Request {
    pub code: String,
    /// `file › sheet › cell`, as the finding prints it.
    pub place: String,
    pub choice: Choice,
    pub reason: String,
    pub by: String,
    /// YYYY-MM-DD; today when None.
    pub date: Option<String>,
}

/// Records the decision; returns the file written and the finding decided.
pub fn run(input_dir: &Path, request: &Request) -> anyhow::Result<(PathBuf, Finding)> {
    if request.reason.trim().is_empty() {
        anyhow::bail!("理由（--reason）を書いてください。検証結果に「確認済」として表示されます");
    }
    let config = PlanConfig::load_input(input_dir)?;
    let run = pipeline::run(input_dir, &config)?;
    let code = request.code.trim().to_ascii_uppercase();
    let probe = Decision {
        code: code.clone(),
        place: request.place.clone(),
        choice: request.choice,
        reason: String::new(),
        by: String::new(),
        date: String::new(),
        written: String::new(),
    };
    // The finding as it reads now, decided before or not.
    let finding = run
        .findings
        .iter()
        .chain(run.decided.iter().map(|d| &d.finding))
        .find(|f| f.code == code && same_place(&f.place(), &request.place))
        .cloned();
    let Some(finding) = finding else {
        let here: Vec<String> = run.findings.iter().filter(|f| same_place(&f.place(), &request.place)).map(|f| f.code.to_string()).collect();
        anyhow::bail!(
            "{} に {code} の指摘はありません{}。場所は端末や検証結果に表示されるとおり「ファイル › シート › セル」で指定してください",
            request.place,
            if here.is_empty() { String::new() } else { format!("（この場所の指摘: {}）", here.join("、")) }
        );
    };
    if request.choice == Choice::Reduction && code != crate::findings::Code::SignConverted.id() {
        anyhow::bail!("--choice reduction は N103（すべて△の行）の指摘にだけ使えます");
    }
    let decision = Decision {
        place: finding.place(),
        reason: request.reason.trim().to_string(),
        by: request.by.trim().to_string(),
        date: request.date.clone().unwrap_or_else(today),
        written: finding.subject().to_string(),
        ..probe
    };
    let path = Decisions::record(input_dir, &decision)?;
    Ok((path, finding))
}

/// Today's date (UTC) as YYYY-MM-DD: the day a decision is recorded.
fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a Gregorian date (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_to_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_428), (2025, 12, 6));
        assert_eq!(super::civil_from_days(19_782), (2024, 2, 29));
    }
}
