//! The validation report as one self-contained HTML page (no scripts, no
//! external files), a section per department, ready to forward.

use super::{DepartmentFindings, by_department};
use crate::config::PlanConfig;
use crate::findings::Severity;
use crate::pipeline::Run;
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};

/// The built-in template; a city may replace it (see `--templates`).
pub const TEMPLATE: &str = include_str!("../../templates/validation.html");

pub fn render(run: &Run, config: &PlanConfig, template: Option<&str>) -> anyhow::Result<String> {
    let groups = by_department(run, config);
    render_groups(config, template, &groups, run.files.len(), run.items.len(), None, &run.decided)
}

/// One department's page (差し戻し/01_総務部_確認結果.html), from the same
/// template, for the clerk to forward on its own; None for a group that is
/// no department of plan.toml.
pub fn render_department(group: &DepartmentFindings, config: &PlanConfig, template: Option<&str>) -> anyhow::Result<Option<String>> {
    if group.page_html.is_empty() {
        return Ok(None);
    }
    let page = render_groups(config, template, std::slice::from_ref(group), group.files.len(), group.items, Some(&group.department), &[])?;
    Ok(Some(page))
}

/// `decided`: the findings the office decided (listed as 確認済 with the
/// reason; the full report only).
fn render_groups(
    config: &PlanConfig,
    template: Option<&str>,
    groups: &[DepartmentFindings],
    files: usize,
    items: usize,
    department: Option<&str>,
    decided: &[crate::decisions::Decided],
) -> anyhow::Result<String> {
    let mut env = Environment::new();
    env.add_template("validation.html", template.unwrap_or(TEMPLATE))?;
    let count = |s: Severity| groups.iter().flat_map(|g| &g.findings).filter(|f| f.severity == s).count();
    // A department's page sits in 差し戻し/ beside its files: links drop the folder.
    let here = |path: &str| match department {
        Some(_) => path.rsplit('/').next().unwrap_or(path).to_string(),
        None => path.to_string(),
    };
    let links: Vec<serde_json::Value> = groups
        .iter()
        .map(|g| {
            serde_json::json!({
                "html": if department.is_some() || g.page_html.is_empty() { String::new() } else { here(&g.page_html) },
                "pdf": if g.page_pdf.is_empty() { String::new() } else { here(&g.page_pdf) },
                "xlsx": if g.return_xlsx.is_empty() { String::new() } else { here(&g.return_xlsx) },
            })
        })
        .collect();
    let text = env.get_template("validation.html")?.render(context! {
        plan => Value::from(Serde(&config.plan)),
        document => Value::from(Serde(&config.document)),
        department => department,
        files => files,
        items => items,
        errors => count(Severity::Error),
        warnings => count(Severity::Warning),
        infos => count(Severity::Info),
        departments => Value::from(Serde(groups)),
        links => Value::from(Serde(&links)),
        decided => Value::from(Serde(decided.iter().map(|d| serde_json::json!({
            "place": d.finding.place(),
            "code": d.finding.code,
            "message": d.finding.message,
            "choice": d.decision.choice.label_ja(),
            "reason": d.decision.reason,
            "by": d.decision.by,
            "date": d.decision.date,
        })).collect::<Vec<_>>())),
    })?;
    Ok(text)
}
