//! Checking: the rules that compare items with each other, with the list
//! and with plan.toml, and turn what is wrong into findings.

pub mod glyphs;
pub mod names;
pub mod plan_rows;
pub mod sections;
pub mod signs;
pub mod targets;
pub mod titles;
pub mod validate;

/// Where a department finds the names to write: each return lists the
/// organisation's 課 beside its findings (validation_report::returns).
pub const SECTION_LIST_HINT: &str = "（課名は、差し戻しブックの「指摘一覧」シートの右の「課の一覧」から選べます）";

/// The checks across the items of the whole plan, once every item is read
/// and its own checks are done: one classification per item across
/// departments (V230), signs read both ways across the plan (V232).
pub fn check_across_items(items: &[crate::model::Item], findings: &mut Vec<crate::findings::Finding>) {
    titles::check_classification_across(items, findings);
    signs::check_signs_across(items, "plan.toml", findings);
}
