//! What changed between two versions of the inputs (新旧対照表): items
//! added, removed and renumbered, and for each item in both the fields that
//! changed, old beside new with the changed characters marked. Items are
//! matched across versions by department and title, then by a similar title
//! (a corrected typo keeps the item), and the method is recorded.

use crate::format::as_written;
use crate::model::{Amount, Item};
use crate::text::{similarity, title_key};
use serde::Serialize;
use similar::{ChangeTag, TextDiff};
use std::collections::BTreeMap;

/// A run of text, marked when it differs from the other version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub text: String,
    pub changed: bool,
}

/// One field that differs.
#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    /// The field as the 個票 labels it (取組の方向性、内容).
    pub field: String,
    pub old: Vec<Segment>,
    pub new: Vec<Segment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MatchMethod {
    /// Same department and title.
    Title,
    /// Same department, a similar title (similarity in per mille).
    SimilarTitle(u32),
}

impl MatchMethod {
    pub fn label_ja(self) -> String {
        match self {
            MatchMethod::Title => "名称一致".into(),
            MatchMethod::SimilarTitle(s) => format!("名称類似（{}%）", s / 10),
        }
    }
}

/// An item present in both versions.
#[derive(Debug, Clone, Serialize)]
pub struct ItemChange {
    pub old_number: u32,
    pub new_number: u32,
    pub department: String,
    pub title: String,
    pub method: MatchMethod,
    pub method_label: String,
    pub changes: Vec<FieldChange>,
}

/// An item in one version only.
#[derive(Debug, Clone, Serialize)]
pub struct LoneItem {
    pub number: u32,
    pub department: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub added: Vec<LoneItem>,
    pub removed: Vec<LoneItem>,
    /// Items in both versions, in new 項目番号 order (with or without changes).
    pub matched: Vec<ItemChange>,
}

impl Comparison {
    /// Matched items whose number changed.
    pub fn renumbered(&self) -> impl Iterator<Item = &ItemChange> {
        self.matched.iter().filter(|m| m.old_number != m.new_number)
    }

    /// Matched items with at least one changed field.
    pub fn changed(&self) -> impl Iterator<Item = &ItemChange> {
        self.matched.iter().filter(|m| !m.changes.is_empty())
    }
}

/// The lowest title similarity that still counts as the same item.
const SAME_ITEM: f64 = 0.7;

pub fn compare(old: &[Item], new: &[Item]) -> Comparison {
    let mut old_taken = vec![false; old.len()];
    let mut pairs: BTreeMap<usize, (usize, MatchMethod)> = BTreeMap::new();
    let old_keys: Vec<String> = old.iter().map(|i| title_key(&i.title)).collect();
    let new_keys: Vec<String> = new.iter().map(|i| title_key(&i.title)).collect();
    // Equal titles in the same department first, in order (titles repeat:
    // the n-th old one pairs with the n-th new one).
    for (n, item) in new.iter().enumerate() {
        if let Some(o) = (0..old.len()).find(|&o| !old_taken[o] && old[o].department == item.department && old_keys[o] == new_keys[n]) {
            old_taken[o] = true;
            pairs.insert(n, (o, MatchMethod::Title));
        }
    }
    // Then the most similar remaining title in the same department.
    for (n, item) in new.iter().enumerate() {
        if pairs.contains_key(&n) {
            continue;
        }
        let best = (0..old.len())
            .filter(|&o| !old_taken[o] && old[o].department == item.department)
            .map(|o| (o, similarity(&old_keys[o], &new_keys[n])))
            .filter(|(_, s)| *s >= SAME_ITEM)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((o, s)) = best {
            old_taken[o] = true;
            pairs.insert(n, (o, MatchMethod::SimilarTitle((s * 1000.0).round() as u32)));
        }
    }
    let lone = |i: &Item| LoneItem { number: i.number, department: i.department.clone(), title: i.title.clone() };
    let added = new.iter().enumerate().filter(|(n, _)| !pairs.contains_key(n)).map(|(_, i)| lone(i)).collect();
    let removed = old.iter().enumerate().filter(|(o, _)| !old_taken[*o]).map(|(_, i)| lone(i)).collect();
    let matched = pairs
        .iter()
        .map(|(&n, &(o, method))| ItemChange {
            old_number: old[o].number,
            new_number: new[n].number,
            department: new[n].department.clone(),
            title: new[n].title.clone(),
            method,
            method_label: method.label_ja(),
            changes: field_changes(&old[o], &new[n]),
        })
        .collect();
    Comparison { added, removed, matched }
}

/// The printable text of each compared field, in sheet order.
fn fields(item: &Item) -> Vec<(&'static str, String)> {
    let amounts = |m: &BTreeMap<String, Amount>| m.iter().map(|(y, a)| format!("{y}: {}", as_written(a))).collect::<Vec<_>>().join("　");
    let texts = |m: &BTreeMap<String, String>| m.iter().map(|(y, t)| format!("{y}: {t}")).collect::<Vec<_>>().join("　");
    let plan = item
        .plan_rows
        .iter()
        .map(|r| {
            let years: Vec<String> = r.years.iter().filter(|(_, t)| !t.trim().is_empty()).map(|(y, t)| format!("{y}: {t}")).collect();
            format!("{}｜{}", r.label, years.join("　"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    vec![
        ("取組項目名", item.title.clone()),
        ("大分類", item.written.daibunrui.clone()),
        ("小分類", item.written.shobunrui.clone()),
        ("主たる所管部署", item.written.primary.clone()),
        ("関係部署", item.written.related.clone()),
        ("プラン策定時の現状及び課題認識", item.situation.clone()),
        ("取組の方向性、内容", item.approach.clone()),
        ("参考事例等", item.references.clone()),
        ("3年後の目指す姿（最終目標）", item.goal.clone()),
        ("年度計画", plan),
        ("各年度目標", texts(&item.yearly_goals)),
        ("業務量削減目標値（時間）", amounts(&item.workload_target)),
        ("財政効果目標額（千円）", amounts(&item.fiscal_target)),
        ("優先順位", item.priority.map(|p| p.to_string()).unwrap_or_default()),
    ]
}

fn field_changes(old: &Item, new: &Item) -> Vec<FieldChange> {
    fields(old)
        .into_iter()
        .zip(fields(new))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((field, a), (_, b))| {
            let (old, new) = char_segments(&a, &b);
            FieldChange { field: field.to_string(), old, new }
        })
        .collect()
}

/// Old and new text as runs, the characters that differ marked.
pub fn char_segments(old: &str, new: &str) -> (Vec<Segment>, Vec<Segment>) {
    let diff = TextDiff::from_chars(old, new);
    let mut old_runs: Vec<Segment> = Vec::new();
    let mut new_runs: Vec<Segment> = Vec::new();
    let push = |runs: &mut Vec<Segment>, text: &str, changed: bool| match runs.last_mut() {
        Some(last) if last.changed == changed => last.text.push_str(text),
        _ => runs.push(Segment { text: text.to_string(), changed }),
    };
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => {
                push(&mut old_runs, text, false);
                push(&mut new_runs, text, false);
            }
            ChangeTag::Delete => push(&mut old_runs, text, true),
            ChangeTag::Insert => push(&mut new_runs, text, true),
        }
    }
    (old_runs, new_runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_characters_are_marked() {
        let (old, new) = char_segments("入り参加資格申請", "入札参加資格申請");
        assert_eq!(old, vec![
            Segment { text: "入".into(), changed: false },
            Segment { text: "り".into(), changed: true },
            Segment { text: "参加資格申請".into(), changed: false },
        ]);
        assert_eq!(new[1], Segment { text: "札".into(), changed: true });
    }
}
