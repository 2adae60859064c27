//! The validation report as one self-contained HTML page (no scripts, no
//! external files), a section per department, ready to forward.

use super::by_department;
use crate::config::PlanConfig;
use crate::findings::Severity;
use crate::pipeline::Run;
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};

/// The built-in template; a city may replace it (see `--templates`).
pub const TEMPLATE: &str = include_str!("../../templates/validation.html");

pub fn render(run: &Run, config: &PlanConfig, template: Option<&str>) -> anyhow::Result<String> {
    let mut env = Environment::new();
    env.add_template("validation.html", template.unwrap_or(TEMPLATE))?;
    let groups = by_department(run, config);
    let text = env.get_template("validation.html")?.render(context! {
        plan => Value::from(Serde(&config.plan)),
        document => Value::from(Serde(&config.document)),
        files => run.files.len(),
        items => run.items.len(),
        errors => run.count(Severity::Error),
        warnings => run.count(Severity::Warning),
        infos => run.count(Severity::Info),
        departments => Value::from(Serde(&groups)),
    })?;
    Ok(text)
}
