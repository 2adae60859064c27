//! The office's decisions on findings, kept in `decisions.toml` beside
//! plan.toml: a finding accepted with a reason, or a row of △ numbers read
//! as reductions. A decided finding leaves the terminal, the returns and the
//! `--final` gate and is listed as 確認済 in the validation report. A
//! decision answers one finding as it read when it was taken (`written`);
//! when the cell changes, the finding reads differently, the decision no
//! longer holds and is reported as stale (D501), and a decision whose
//! finding is gone (the department fixed the cell) is reported too (D502).

use crate::findings::{Code, Finding};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file's name in the input folder.
pub const FILE_NAME: &str = "decisions.toml";

/// What the office decided about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Choice {
    /// The finding was checked and the cell stands as written (for V223:
    /// the amount is counted in totals).
    #[serde(rename = "accept", alias = "確認済")]
    Accept,
    /// A row written all in △ means reductions (N103): read it as positive
    /// savings, the opposite of the form's convention.
    #[serde(rename = "reduction", alias = "削減として読む")]
    Reduction,
}

impl Choice {
    /// As the reports print it.
    pub fn label_ja(self) -> &'static str {
        match self {
            Choice::Accept => "確認済（記入どおり）",
            Choice::Reduction => "確認済（△を削減として読む）",
        }
    }
}

/// One decision, as a `[[decisions]]` entry of decisions.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The finding's code (N103, V223, …).
    pub code: String,
    /// Where, as findings print it: `file › sheet › cell`.
    pub place: String,
    pub choice: Choice,
    /// Why: printed beside the finding in the validation report.
    pub reason: String,
    /// Who decided.
    #[serde(default)]
    pub by: String,
    /// When (YYYY-MM-DD).
    #[serde(default)]
    pub date: String,
    /// What the finding said when the decision was taken: the cells it is
    /// about as written (see `Finding::subject`).
    pub written: String,
}

impl Decision {
    fn answers(&self, finding: &Finding) -> bool {
        finding.code == self.code && same_place(&finding.place(), &self.place)
    }

    /// Answers the finding as it reads now (its cells unchanged since).
    fn holds_for(&self, finding: &Finding) -> bool {
        self.answers(finding) && self.written == finding.subject()
    }
}

/// Places compare with the separators' spacing ignored (`a.xlsx›5›F20`).
pub fn same_place(a: &str, b: &str) -> bool {
    a.split('›').map(str::trim).eq(b.split('›').map(str::trim))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DecisionsFile {
    #[serde(default)]
    decisions: Vec<Decision>,
}

/// A finding the office decided, with the decision.
#[derive(Debug, Clone, Serialize)]
pub struct Decided {
    pub finding: Finding,
    pub decision: Decision,
}

/// Every decision of an input folder.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    pub list: Vec<Decision>,
}

impl Decisions {
    /// Reads `INPUT_DIR/decisions.toml`; none when the file is absent. A
    /// file that cannot be read is an error naming the file and line.
    pub fn load(input_dir: &Path) -> anyhow::Result<Decisions> {
        let path = input_dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Decisions::default()),
            Err(e) => anyhow::bail!("{}: 読めません（{e}）", path.display()),
        };
        let file: DecisionsFile = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), describe_toml_error(&text, &e)))?;
        for d in &file.decisions {
            if d.reason.trim().is_empty() {
                anyhow::bail!("{}: {} の判断に理由（reason）がありません", path.display(), d.place);
            }
            if d.choice == Choice::Reduction && d.code != Code::SignConverted.id() {
                anyhow::bail!("{}: {} の choice = \"reduction\" は N103 の指摘にだけ使えます", path.display(), d.place);
            }
        }
        Ok(Decisions { list: file.decisions })
    }

    /// The decision that holds for a finding as it reads now: same code,
    /// same place, same cells as written.
    pub fn holding(&self, finding: &Finding) -> Option<&Decision> {
        self.list.iter().find(|d| d.holds_for(finding))
    }

    /// Moves every finding a decision holds for out of `findings`, and adds
    /// a finding for each decision that no longer holds.
    pub fn settle(&self, findings: &mut Vec<Finding>) -> Vec<Decided> {
        let mut decided = Vec::new();
        let mut kept = Vec::with_capacity(findings.len());
        let mut used = vec![false; self.list.len()];
        for finding in findings.drain(..) {
            match self.list.iter().position(|d| d.holds_for(&finding)) {
                Some(k) => {
                    used[k] = true;
                    decided.push(Decided { finding, decision: self.list[k].clone() });
                }
                None => kept.push(finding),
            }
        }
        for decision in self.list.iter().zip(&used).filter(|(_, u)| !**u).map(|(d, _)| d) {
            let changed = kept.iter().find(|f| decision.answers(f));
            let stale = match changed {
                Some(now) => Finding::new(
                    Code::DecisionStale,
                    FILE_NAME,
                    format!(
                        "{} の {} についての判断（{}、{}）の後でセルが変わりました。判断した時:「{}」、今:「{}」",
                        decision.place,
                        decision.code,
                        decision.choice.label_ja(),
                        decision.date,
                        decision.written,
                        now.subject()
                    ),
                    "今の内容を確かめて、改めて判断を記録してください（gyokaku decide）。それまでは記入どおりに扱います",
                ),
                None => Finding::new(
                    Code::DecisionUnused,
                    FILE_NAME,
                    format!("{} の {} についての判断（{}）に当たる指摘がなくなりました（修正済みの可能性があります）", decision.place, decision.code, decision.date),
                    "不要になった判断は decisions.toml から削除してください",
                ),
            };
            kept.push(stale.at("decisions", None));
        }
        *findings = kept;
        decided
    }

    /// Adds a decision to `INPUT_DIR/decisions.toml` (created when absent),
    /// replacing an earlier one on the same finding. Comments and other
    /// entries are kept; the file is written atomically.
    pub fn record(input_dir: &Path, decision: &Decision) -> anyhow::Result<PathBuf> {
        let path = input_dir.join(FILE_NAME);
        let existing = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HEADER.to_string(),
            Err(e) => anyhow::bail!("{}: 読めません（{e}）", path.display()),
        };
        // Checked before it is changed: a broken file is not made worse.
        let mut file: DecisionsFile = toml::from_str(&existing).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), describe_toml_error(&existing, &e)))?;
        let before = file.decisions.len();
        file.decisions.retain(|d| !(d.code == decision.code && same_place(&d.place, &decision.place)));
        let text = if file.decisions.len() == before {
            // Appended as text, so the office's own comments stay.
            let mut text = existing;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push('\n');
            text.push_str(&entry_toml(decision)?);
            text
        } else {
            file.decisions.push(decision.clone());
            let mut text = HEADER.to_string();
            for d in &file.decisions {
                text.push('\n');
                text.push_str(&entry_toml(d)?);
            }
            text
        };
        crate::write::write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }
}

fn entry_toml(decision: &Decision) -> anyhow::Result<String> {
    let table = toml::to_string(&DecisionsFile { decisions: vec![decision.clone()] })?;
    Ok(table)
}

/// The comment a new decisions.toml starts with: what the file is, for the
/// office reading it.
const HEADER: &str = "\
# 事務局の判断の記録（gyokaku decide で追記できます。手で書いても構いません）
#
# [[decisions]] 1件ごとに:
#   code    = 指摘のコード（例: \"N103\"、\"V223\"）
#   place   = 指摘の場所「ファイル › シート › セル」（端末や検証結果に表示されるとおり）
#   choice  = \"accept\"（確認済: 記入どおりとする。V223 の金額は合計に含める）
#             \"reduction\"（N103 のみ: △の行を削減として正の数に読む）
#   reason  = 理由（検証結果に「確認済」として表示されます）
#   by      = 判断した人
#   date    = 判断した日
#   written = 判断した時の指摘の対象（セルの記入内容）。セルが変わると判断は無効になり、D501 で知らせます
";

/// A TOML error as "N行目: message".
pub fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    match error.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("{line}行目: {}", error.message())
        }
        None => error.message().to_string(),
    }
}
