//! The machine-readable result: `{"items": [...], "findings": [...]}`.

use crate::pipeline::Run;
use serde::Serialize;

#[derive(Serialize)]
struct Document<'a> {
    items: &'a [crate::model::Item],
    findings: &'a [crate::findings::Finding],
}

pub fn render(run: &Run) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(&Document { items: &run.items, findings: &run.findings })?;
    bytes.push(b'\n');
    Ok(bytes)
}
