//! Signs across the plan: when some sheets write a row all in △ (which may
//! mean the saving itself) while others mix △ and plain numbers (△ for the
//! extra hours or costs of the set-up years), △ is used in both senses
//! across the plan. The office is told once, with the items on each side,
//! so it can ask the departments or record a reading per row
//! (decisions.toml).

use crate::findings::{Code, Finding};
use crate::model::Item;
use std::collections::BTreeSet;

/// Items named on each side before the rest are counted.
const NAMED: usize = 12;

/// One plan-wide finding when △ reads both ways across the plan's sheets.
/// `findings` are the run's so far (N104 marks the rows mixing signs).
pub fn check_signs_across(items: &[Item], plan_file: &str, findings: &mut Vec<Finding>) {
    let mixed_places: BTreeSet<(&str, &str)> =
        findings.iter().filter(|f| f.code == Code::MixedSigns.id()).filter_map(|f| Some((f.file.as_str(), f.sheet.as_deref()?))).collect();
    let all_delta: Vec<&Item> = items.iter().filter(|i| i.signs_unconfirmed).collect();
    let mixed: Vec<&Item> = items.iter().filter(|i| mixed_places.contains(&(i.source.file.as_str(), i.source.sheet.as_str()))).collect();
    if all_delta.is_empty() || mixed.is_empty() {
        return;
    }
    let listing = |side: &[&Item]| {
        let mut named: Vec<String> = side.iter().take(NAMED).map(|i| format!("{} シート{}「{}」", i.department, i.source.sheet, short(&i.title))).collect();
        if side.len() > NAMED {
            named.push(format!("ほか{}件", side.len() - NAMED));
        }
        named.join("、")
    };
    let finding = Finding::new(
        Code::SignsBothWays,
        plan_file,
        format!(
            "プラン全体で△が二つの意味で使われているとみられます。行がすべて△の取組 {}件（△が削減そのものの意味かもしれません）: {}。△とプラスが混在する取組 {}件（△は導入期に増える時間・費用）: {}",
            all_delta.len(),
            listing(&all_delta),
            mixed.len(),
            listing(&mixed)
        ),
        "様式の決まり（削減・効果はプラス、増加・費用は△）で書き直すよう各部に依頼するか、すべて△の行ごとに読み方を記録してください（gyokaku decide … --choice reduction または accept）。記録されるまで△は増加・費用として数えます",
    );
    // What the finding is about: the two lists (a decision holds while they read the same).
    let about = format!("{}／{}", listing(&all_delta), listing(&mixed));
    findings.push(finding.about(about));
}

fn short(title: &str) -> String {
    let mut out: String = title.chars().take(20).collect();
    if title.chars().count() > 20 {
        out.push('…');
    }
    out
}
