//! The machine-readable result: `{"items": [...], "findings": [...], "decided": [...]}`
//! (decided: the findings the office decided, each with its decision).

use crate::pipeline::Run;
use serde::Serialize;

#[derive(Serialize)]
struct Document<'a> {
    items: &'a [crate::model::Item],
    findings: &'a [crate::findings::Finding],
    decided: &'a [crate::decisions::Decided],
}

pub fn render(run: &Run) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(&Document { items: &run.items, findings: &run.findings, decided: &run.decided })?;
    bytes.push(b'\n');
    Ok(bytes)
}
