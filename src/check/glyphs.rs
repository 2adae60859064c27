//! T301: characters no loaded font can draw.

use crate::findings::{Code, Finding};
use crate::model::Item;
use crate::typeset::fonts::FontSet;

/// T301: text that no loaded font can draw would print as an empty box, so
/// each such character is reported at the cell it came from.
pub fn glyph_findings(items: &[Item], fonts: &FontSet) -> Vec<Finding> {
    let mut findings = Vec::new();
    for item in items {
        let mut fields: Vec<(&str, String)> = vec![
            ("title", item.title.clone()),
            ("daibunrui", item.written.daibunrui.clone()),
            ("shobunrui", item.written.shobunrui.clone()),
            ("primary_sections", item.written.primary.clone()),
            ("related_sections", item.written.related.clone()),
            ("situation", item.situation.clone()),
            ("approach", item.approach.clone()),
            ("references", item.references.clone()),
            ("goal", item.goal.clone()),
        ];
        let plan: String = item
            .plan_rows
            .iter()
            .flat_map(|r| std::iter::once(r.label.as_str()).chain(r.years.values().map(String::as_str)).chain([r.note.as_str()]))
            .collect();
        fields.push(("plan_rows", plan));
        fields.push(("yearly_goals", item.yearly_goals.values().chain([&item.target_remarks.yearly_goals]).map(String::as_str).collect()));
        for (name, map, remark) in [
            ("workload_target", &item.workload_target, &item.target_remarks.workload),
            ("fiscal_target", &item.fiscal_target, &item.target_remarks.fiscal),
        ] {
            fields.push((name, map.values().map(|a| a.raw.as_str()).chain([remark.as_str()]).collect()));
        }
        fields.push(("list_note", item.list_note.clone()));
        for (field, text) in fields {
            let missing = fonts.missing(&text);
            if missing.is_empty() {
                continue;
            }
            let chars: Vec<String> = missing.iter().map(|c| format!("「{c}」(U+{:04X})", *c as u32)).collect();
            findings.push(
                Finding::new(
                    Code::MissingGlyph,
                    &item.source.file,
                    format!("項目{}の文字 {} を印刷できるフォントがありません（空白の四角になります）", item.number, chars.join("、")),
                    "別の文字に置き換えるか、その文字を含むフォントを --font-path で追加してください",
                )
                .at(&item.source.sheet, item.source.cells.get(field).map(String::as_str))
                .in_department(&item.department),
            );
        }
    }
    findings
}
