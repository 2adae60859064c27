//! The figures documents compute from the model, by one set of rules, so
//! the 概要版, the progress reports and the final evaluation agree: which
//! items have a numeric target, what a total counts, and when a 達成率
//! means something.

use crate::format::format_number;
use crate::model::{Amount, Item};
use serde::Serialize;
use std::collections::BTreeMap;

/// True when some year holds a numeric target other than zero (a target
/// of zero asks for nothing; a placeholder such as 未定 is no number).
pub fn has_numeric(targets: &BTreeMap<String, Amount>) -> bool {
    targets.values().any(|a| a.value.is_some_and(|v| v != 0.0))
}

/// "An item with a numeric target": a numeric 業務量削減 or 財政効果
/// target in some year. The one count every document prints.
pub fn has_numeric_target(item: &Item) -> bool {
    has_numeric(&item.workload_target) || has_numeric(&item.fiscal_target)
}

/// Whether totals count the item's 財政効果 (targets and results): not
/// when validation questions it (V223) and the office has not accepted it.
pub fn counts_fiscal(item: &Item) -> bool {
    !item.fiscal_doubt
}

/// The sum of an item's numeric targets over the plan years.
pub fn target_sum(targets: &BTreeMap<String, Amount>) -> f64 {
    targets.values().filter_map(|a| a.value).sum()
}

/// The sum of the item's 財政効果 targets that totals count (0 when left out).
pub fn counted_fiscal_target(item: &Item) -> f64 {
    if counts_fiscal(item) { target_sum(&item.fiscal_target) } else { 0.0 }
}

/// A 達成率 is shown only when its target is positive and the result is at
/// most this many times the target: past it the target is too small to
/// measure the result against (64 hours against a target of 2 is not
/// "3,200%"), and the rate is replaced by a note giving both numbers.
pub const RATE_LIMIT: f64 = 10.0;

/// result / target in %, rounded to one decimal: None when the target is
/// zero or negative (a cost ceiling has no rate) or too small (RATE_LIMIT).
pub fn rate(result: f64, target: f64) -> Option<f64> {
    (target > 0.0 && result <= RATE_LIMIT * target).then(|| (result / target * 1000.0).round() / 10.0)
}

/// Why a rate is not shown, when a positive target was too small for it;
/// `what` names the row (財政の改革の財政効果).
pub fn rate_note(what: &str, result: f64, target: f64, unit: &str) -> Option<String> {
    (target > 0.0 && result > RATE_LIMIT * target).then(|| {
        format!(
            "{what}: 実績 {}{unit} に対し目標が {}{unit} と小さく（実績の{}分の1未満）、達成率は示していません",
            format_number(result),
            format_number(target),
            RATE_LIMIT as u32
        )
    })
}

/// A 財政効果 totals treat specially: left out (questioned, V223) or
/// counted on the office's word. Documents print one footnote each.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FiscalNote {
    pub number: u32,
    pub title: String,
    /// The item's 財政効果 target over the plan years, as it would count.
    pub amount: f64,
    pub included: bool,
    /// The footnote as printed.
    pub text: String,
}

/// The footnotes of a set of items' 財政効果 totals, in 項目番号 order.
pub fn fiscal_notes<'a>(items: impl IntoIterator<Item = &'a Item>) -> Vec<FiscalNote> {
    items
        .into_iter()
        .filter_map(|item| {
            let amount = target_sum(&item.fiscal_target);
            let (included, text) = if item.fiscal_doubt {
                (
                    false,
                    format!(
                        "No.{}「{}」の財政効果目標 {}千円は、桁違いに大きく効果額でない可能性がある（検証 V223）ため合計に含めていません",
                        item.number,
                        item.title,
                        format_number(amount)
                    ),
                )
            } else if let Some(reason) = &item.fiscal_included {
                (
                    true,
                    format!(
                        "No.{}「{}」の財政効果目標 {}千円は、検証で桁違いに大きいとされましたが、事務局の確認（{reason}）により合計に含めています",
                        item.number,
                        item.title,
                        format_number(amount)
                    ),
                )
            } else {
                return None;
            };
            Some(FiscalNote { number: item.number, title: item.title.clone(), amount, included, text })
        })
        .collect()
}

/// The footnotes as printed where room is short (the 概要版's one page):
/// each note when there are at most `each`, else one line for the amounts
/// left out and one for those counted on the office's word.
pub fn note_lines(notes: &[FiscalNote], each: usize) -> Vec<String> {
    if notes.len() <= each {
        return notes.iter().map(|n| n.text.clone()).collect();
    }
    let mut lines = Vec::new();
    for included in [false, true] {
        let some: Vec<&FiscalNote> = notes.iter().filter(|n| n.included == included).collect();
        if some.is_empty() {
            continue;
        }
        let numbers: Vec<String> = some.iter().map(|n| n.number.to_string()).collect();
        let amount: f64 = some.iter().map(|n| n.amount).sum();
        lines.push(if included {
            format!("No.{} の財政効果目標（計 {}千円）は、検証で桁違いに大きいとされましたが、事務局の確認により合計に含めています", numbers.join("、"), format_number(amount))
        } else {
            format!("No.{} の財政効果目標（計 {}千円）は、桁違いに大きく効果額でない可能性がある（検証 V223）ため合計に含めていません", numbers.join("、"), format_number(amount))
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_needs_a_target_that_can_measure_the_result() {
        assert_eq!(rate(50.0, 100.0), Some(50.0));
        assert_eq!(rate(1000.0, 100.0), Some(1000.0));
        assert_eq!(rate(64.0, 2.0), None);
        assert!(rate_note("合計", 64.0, 2.0, "時間").unwrap().contains("実績 64時間"));
        assert_eq!(rate(5.0, 0.0), None);
        assert_eq!(rate(-5.0, -10.0), None);
        assert_eq!(rate_note("合計", -5.0, -10.0, "千円"), None);
        assert_eq!(rate(-20.0, 100.0), Some(-20.0));
    }
}
