//! Typst templates: the built-in ones compiled into the binary, each
//! replaceable by a file of the same name in a city's `--templates` folder.

use super::world::file_id;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use typst::syntax::Source;

/// Built-in templates by file name.
const BUILT_IN: [(&str, &str); 13] = [
    ("common.typ", include_str!("../../templates/common.typ")),
    ("booklet.typ", include_str!("../../templates/booklet.typ")),
    ("priority_list.typ", include_str!("../../templates/priority_list.typ")),
    ("item_sheets.typ", include_str!("../../templates/item_sheets.typ")),
    ("progress_report.typ", include_str!("../../templates/progress_report.typ")),
    ("progress_common.typ", include_str!("../../templates/progress_common.typ")),
    ("final_evaluation.typ", include_str!("../../templates/final_evaluation.typ")),
    ("summary.typ", include_str!("../../templates/summary.typ")),
    ("comparison.typ", include_str!("../../templates/comparison.typ")),
    ("agenda.typ", include_str!("../../templates/agenda.typ")),
    ("stamped.typ", include_str!("../../templates/stamped.typ")),
    ("separate.typ", include_str!("../../templates/separate.typ")),
    ("department_report.typ", include_str!("../../templates/department_report.typ")),
];

/// The template sources a document may import, with where each came from.
pub struct Templates {
    sources: BTreeMap<String, Source>,
    /// File name → the override file it was read from (built-ins absent).
    overrides: BTreeMap<String, PathBuf>,
}

impl Templates {
    /// The built-in templates, with any `.typ` file in `dir` taking the
    /// place of the built-in of the same name (or adding a new file that
    /// the others may import).
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Templates> {
        let mut sources = BTreeMap::new();
        for (name, text) in BUILT_IN {
            sources.insert(name.to_string(), Source::new(file_id(&format!("/{name}")), text.to_string()));
        }
        let mut overrides = BTreeMap::new();
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| anyhow::anyhow!("{}: テンプレートのフォルダを読めません（{e}）", dir.display()))?;
            let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                if path.extension().and_then(|e| e.to_str()) != Some("typ") {
                    continue;
                }
                let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
                    continue;
                };
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("{}: テンプレートを読めません（{e}）", path.display()))?;
                sources.insert(name.clone(), Source::new(file_id(&format!("/{name}")), text));
                overrides.insert(name, path);
            }
        }
        Ok(Templates { sources, overrides })
    }

    /// Every template by name, in name order.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.sources.iter().map(|(name, source)| (name.as_str(), source.text()))
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.get(name)
    }

    /// How to name a template file in a message: the override's path, or
    /// `templates/NAME` for a built-in.
    pub fn display_path(&self, name: &str) -> String {
        match self.overrides.get(name) {
            Some(path) => path.display().to_string(),
            None => format!("templates/{name} (built-in)"),
        }
    }
}
