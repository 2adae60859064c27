//! Titles: where two copies of a title differ (the characters marked), and
//! the same item filed by two departments under different classifications.

use crate::findings::{Code, Finding};
use crate::model::Item;
use crate::text::{similarity, title_key};
use std::collections::{BTreeMap, BTreeSet};

/// Titles at least this similar (as keys) are "nearly the same": a typo or
/// a bracketed addition (現場に持ち出せるタブレット（字図入り）端末の配備).
pub const NEAR_TITLE: f64 = 0.8;

/// Longest pair of titles the character diff is computed for (characters
/// of one times the other); longer ones are shown unmarked.
const DIFF_LIMIT: usize = 40_000;

/// Items named in a message before the rest are counted.
const NAMED: usize = 3;

/// Characters a title is blocked by when looking for near titles: two
/// near titles share their first or their last few characters.
const BLOCK: usize = 4;

/// Largest block of distinct titles compared pairwise.
const BLOCK_LIMIT: usize = 300;

/// Marks where `a` and `b` differ: the characters of each not in their
/// longest common subsequence, in 【】 (入【り】参加 / 入【札】参加); a
/// space is shown as 【空白】.
pub fn mark_differences(a: &str, b: &str) -> (String, String) {
    let x: Vec<char> = a.chars().collect();
    let y: Vec<char> = b.chars().collect();
    if x.len() * y.len() > DIFF_LIMIT {
        return (a.to_string(), b.to_string());
    }
    // lcs[i][j]: longest common subsequence of x[i..] and y[j..].
    let mut lcs = vec![vec![0u32; y.len() + 1]; x.len() + 1];
    for i in (0..x.len()).rev() {
        for j in (0..y.len()).rev() {
            lcs[i][j] = if x[i] == y[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut in_x, mut in_y) = (vec![false; x.len()], vec![false; y.len()]);
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        if x[i] == y[j] {
            in_x[i] = true;
            in_y[j] = true;
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    (marked(&x, &in_x), marked(&y, &in_y))
}

fn marked(chars: &[char], common: &[bool]) -> String {
    let mut out = String::new();
    let mut open = false;
    for (c, &same) in chars.iter().zip(common) {
        if !same && !open {
            out.push('【');
            open = true;
        } else if same && open {
            out.push('】');
            open = false;
        }
        if !same && c.is_whitespace() {
            out.push_str("空白");
        } else {
            out.push(*c);
        }
    }
    if open {
        out.push('】');
    }
    out
}

/// The same title, or nearly, filed by another department under another
/// 大分類 or 小分類: reported on each item, naming the others.
pub fn check_classification_across(items: &[Item], findings: &mut Vec<Finding>) {
    // Distinct title keys, with the items of each.
    let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.title.is_empty() || item.department.is_empty() || item.daibunrui.is_empty() || item.shobunrui.is_empty() {
            continue;
        }
        by_key.entry(title_key(&item.title)).or_default().push(i);
    }
    let keys: Vec<&String> = by_key.keys().collect();
    // Near keys: compared within blocks of a shared beginning or end.
    let mut near: Vec<BTreeSet<usize>> = (0..keys.len()).map(|k| BTreeSet::from([k])).collect();
    let mut blocks: BTreeMap<(bool, String), Vec<usize>> = BTreeMap::new();
    for (k, key) in keys.iter().enumerate() {
        let chars: Vec<char> = key.chars().collect();
        if chars.len() < BLOCK * 2 {
            continue;
        }
        blocks.entry((true, chars[..BLOCK].iter().collect())).or_default().push(k);
        blocks.entry((false, chars[chars.len() - BLOCK..].iter().collect())).or_default().push(k);
    }
    for block in blocks.values().filter(|b| b.len() > 1 && b.len() <= BLOCK_LIMIT) {
        for (n, &a) in block.iter().enumerate() {
            for &b in &block[n + 1..] {
                if similarity(keys[a], keys[b]) >= NEAR_TITLE {
                    near[a].insert(b);
                    near[b].insert(a);
                }
            }
        }
    }
    for (k, key) in keys.iter().enumerate() {
        for &i in &by_key[*key] {
            let item = &items[i];
            let others: Vec<&Item> = near[k]
                .iter()
                .flat_map(|&o| by_key[keys[o]].iter().map(|&j| &items[j]))
                .filter(|o| o.department != item.department && (o.daibunrui != item.daibunrui || o.shobunrui != item.shobunrui))
                .collect();
            if others.is_empty() {
                continue;
            }
            let dai_differs = others.iter().any(|o| o.daibunrui != item.daibunrui);
            // The other department's 部 and title, not its file (a
            // department's return shows its own files only); the same item
            // on several sheets is named once with its count.
            let mut distinct: Vec<(String, usize)> = Vec::new();
            let mut index: BTreeMap<String, usize> = BTreeMap::new();
            for o in &others {
                let name = format!("{}「{}」（{}／{}）", o.department, o.title, o.daibunrui, o.shobunrui);
                match index.get(&name) {
                    Some(&k) => distinct[k].1 += 1,
                    None => {
                        index.insert(name.clone(), distinct.len());
                        distinct.push((name, 1));
                    }
                }
            }
            let mut named: Vec<String> =
                distinct.iter().take(NAMED).map(|(n, count)| if *count > 1 { format!("{n}{count}件") } else { n.clone() }).collect();
            if distinct.len() > NAMED {
                named.push(format!("ほか{}件", distinct[NAMED..].iter().map(|(_, c)| c).sum::<usize>()));
            }
            let same = if others.iter().all(|o| title_key(&o.title) == **key) { "同じ" } else { "ほぼ同じ" };
            findings.push(
                Finding::new(
                    Code::ClassificationAcrossDepartments,
                    &item.source.file,
                    format!(
                        "「{}」（{}／{}）と{same}名称の取組がほかの部で別の分類になっています: {}",
                        item.title,
                        item.daibunrui,
                        item.shobunrui,
                        named.join("、")
                    ),
                    "同じ種類の取組なら、部の間で大分類・小分類を揃えてください（どちらに揃えるかは事務局と相談してください）",
                )
                .at(&item.source.sheet, item.source.cells.get(if dai_differs { "daibunrui" } else { "shobunrui" }).map(String::as_str))
                .in_department(&item.department),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_differing_characters_are_marked() {
        assert_eq!(
            mark_differences("入り参加資格申請のオンライン化", "入札参加資格申請のオンライン化"),
            ("入【り】参加資格申請のオンライン化".to_string(), "入【札】参加資格申請のオンライン化".to_string())
        );
        assert_eq!(
            mark_differences("固定資産（償却資産）の適正な課税", "固定資産税（償却資産）の適正な課税"),
            ("固定資産（償却資産）の適正な課税".to_string(), "固定資産【税】（償却資産）の適正な課税".to_string())
        );
        assert_eq!(mark_differences("営繕工事 遠隔臨場", "営繕工事遠隔臨場").0, "営繕工事【空白】遠隔臨場");
        assert_eq!(mark_differences("同じ", "同じ"), ("同じ".to_string(), "同じ".to_string()));
    }
}
