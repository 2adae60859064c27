//! Resolving what departments write against the plan configuration: section
//! names against the organisation master, 大分類 / 小分類 against the vision's
//! taxonomy.

use crate::config::PlanConfig;
use crate::model::SectionRef;
use crate::text::{name_key, similarity};

/// How a written name was matched.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    /// Exactly as in the master (optionally prefixed with its 部).
    Exact,
    /// Same name once spaces, brackets, middle dots and widths are ignored.
    Spelling,
    /// A declared alias.
    Alias,
    /// The nearest name, by edit distance or as a prefix (score 0..1).
    Approximate(f64),
    Unknown,
}

/// Below this similarity a name is unknown rather than approximate.
const APPROXIMATE_THRESHOLD: f64 = 0.75;

struct SectionEntry {
    department: String,
    department_keys: Vec<String>,
    section: String,
    /// name_key of the official name.
    key: String,
    alias_keys: Vec<String>,
}

/// The organisation master, prepared for lookups.
pub struct Organisation {
    entries: Vec<SectionEntry>,
}

impl Organisation {
    pub fn new(config: &PlanConfig) -> Self {
        let mut entries = Vec::new();
        for d in &config.departments {
            let mut department_keys = vec![name_key(&d.name)];
            department_keys.extend(d.aliases.iter().map(|a| name_key(a)));
            for s in &d.sections {
                entries.push(SectionEntry {
                    department: d.name.clone(),
                    department_keys: department_keys.clone(),
                    section: s.name.clone(),
                    key: name_key(&s.name),
                    alias_keys: s.aliases.iter().map(|a| name_key(a)).collect(),
                });
            }
        }
        Organisation { entries }
    }

    /// The `n` official names nearest to `written`, for a hint.
    pub fn closest(&self, written: &str, n: usize) -> Vec<String> {
        let key = name_key(written);
        let mut scored: Vec<(f64, &str)> = self
            .entries
            .iter()
            .map(|e| {
                let without_department = e.department_keys.iter().find_map(|dk| key.strip_prefix(dk.as_str())).unwrap_or(&key);
                (similarity(without_department, &e.key).max(similarity(&key, &e.key)), e.section.as_str())
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.into_iter().take(n).map(|(_, s)| s.to_string()).collect()
    }

    /// The official names `written` is a misprint of: the nearest sections
    /// (read with or without a 部 in front) at most `misprint_distance`
    /// characters off, nearest first; empty when none is that near (then a
    /// list of "nearest" names would only be noise).
    pub fn misprints_of(&self, written: &str) -> Vec<String> {
        let key = name_key(written);
        if key.chars().count() < 3 {
            return Vec::new();
        }
        let mut found: Vec<(usize, &str)> = Vec::new();
        for e in &self.entries {
            let mut candidates = vec![key.as_str()];
            candidates.extend(e.department_keys.iter().filter_map(|dk| key.strip_prefix(dk.as_str())).filter(|rest| !rest.is_empty()));
            let distance = candidates.iter().map(|c| strsim::levenshtein(c, &e.key)).min().unwrap_or(usize::MAX);
            if distance > 0 && distance <= misprint_distance(&e.key) && !found.iter().any(|(_, s)| *s == e.section) {
                found.push((distance, e.section.as_str()));
            }
        }
        let Some(best) = found.iter().map(|(d, _)| *d).min() else { return Vec::new() };
        found.into_iter().filter(|(d, _)| *d == best).map(|(_, s)| s.to_string()).collect()
    }

    /// The places of the master's 支所 (穂波 for 穂波支所市民窓口課).
    pub fn branch_places(&self) -> Vec<String> {
        let mut places: Vec<String> = self.entries.iter().filter_map(|e| e.section.split_once("支所").map(|(p, _)| p.to_string())).filter(|p| !p.is_empty()).collect();
        places.sort();
        places.dedup();
        places
    }

    /// True when `written` names a group of sections the master lists by
    /// 担当 (経済政策推進室 for 経済政策推進室（企業誘致担当） and its siblings).
    pub fn is_group(&self, written: &str) -> bool {
        let key = name_key(written);
        !key.is_empty() && self.entries.iter().any(|e| e.section.contains(['（', '(']) && e.key.starts_with(&key))
    }

    /// True when `written` names a 部 of the master (or its alias).
    pub fn is_department(&self, written: &str) -> bool {
        let key = name_key(written);
        self.entries.iter().any(|e| e.department_keys.contains(&key))
    }

    fn to_ref(e: &SectionEntry) -> SectionRef {
        SectionRef { department: e.department.clone(), section: e.section.clone() }
    }

    /// Resolves one written section (`総務部人事課`, `人事課`, `企業局 上水道課`).
    pub fn resolve(&self, written: &str) -> (Option<SectionRef>, Match) {
        let written = written.trim();
        if written.is_empty() {
            return (None, Match::Unknown);
        }
        // Exact: the official name, or 部 + official name.
        for e in &self.entries {
            if written == e.section || written.strip_prefix(e.department.as_str()) == Some(e.section.as_str()) {
                return (Some(Self::to_ref(e)), Match::Exact);
            }
        }
        let key = name_key(written);
        // Every way to read the key: as is, and without a leading 部 name.
        let candidates = |e: &SectionEntry| -> Vec<String> {
            let mut c = vec![key.clone()];
            for dk in &e.department_keys {
                if let Some(rest) = key.strip_prefix(dk.as_str()) {
                    if !rest.is_empty() {
                        c.push(rest.to_string());
                    }
                }
            }
            c
        };
        for e in &self.entries {
            if candidates(e).iter().any(|c| *c == e.key) {
                return (Some(Self::to_ref(e)), Match::Spelling);
            }
        }
        for e in &self.entries {
            if candidates(e).iter().any(|c| e.alias_keys.contains(c)) {
                return (Some(Self::to_ref(e)), Match::Alias);
            }
        }
        let mut best: Option<(&SectionEntry, f64)> = None;
        for e in &self.entries {
            for c in candidates(e) {
                let mut score = similarity(&c, &e.key);
                // A name cut short in a narrow column (特産品振興・ふるさと).
                if c.chars().count() >= 4 && e.key.starts_with(&c) {
                    score = score.max(0.9);
                }
                if best.is_none_or(|(_, s)| score > s) {
                    best = Some((e, score));
                }
            }
        }
        match best {
            Some((e, score)) if score >= APPROXIMATE_THRESHOLD => (Some(Self::to_ref(e)), Match::Approximate(score)),
            _ => (None, Match::Unknown),
        }
    }
}

/// Characters a misprint may be off by: one in a short name, two in a name
/// of more than six characters (穂田支所経済建設課 for 穂波支所経済建設課 is
/// one; 環境施設課 for 環境整備課 is two in five, a different name).
pub fn misprint_distance(name: &str) -> usize {
    if name.chars().count() > 6 { 2 } else { 1 }
}

/// Splits a cell naming several sections (`業務改善・DX推進課、総務部人事課`).
/// Separators inside brackets do not split: `経済建設課(穂波、庄内)` is one.
pub fn split_sections(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => depth = (depth - 1).max(0),
            _ => {}
        }
        if depth == 0 && matches!(c, '、' | '，' | ',' | '\n' | '／' | '/' | '；' | ';') {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// The vision's taxonomy, prepared for lookups.
pub struct Taxonomy<'a> {
    config: &'a PlanConfig,
}

impl<'a> Taxonomy<'a> {
    pub fn new(config: &'a PlanConfig) -> Self {
        Taxonomy { config }
    }

    /// 大分類 → canonical name.
    pub fn daibunrui(&self, written: &str) -> (Option<String>, Match) {
        let key = name_key(written);
        if key.is_empty() {
            return (None, Match::Unknown);
        }
        for d in &self.config.taxonomy {
            if written.trim() == d.daibunrui {
                return (Some(d.daibunrui.clone()), Match::Exact);
            }
            if key == name_key(&d.daibunrui) {
                return (Some(d.daibunrui.clone()), Match::Spelling);
            }
        }
        for d in &self.config.taxonomy {
            if d.aliases.iter().any(|a| name_key(a) == key) {
                return (Some(d.daibunrui.clone()), Match::Alias);
            }
        }
        (None, Match::Unknown)
    }

    /// 小分類 → (canonical name, the 大分類 it belongs to).
    pub fn shobunrui(&self, written: &str) -> (Option<(String, String)>, Match) {
        let key = name_key(written);
        if key.is_empty() {
            return (None, Match::Unknown);
        }
        for d in &self.config.taxonomy {
            for s in &d.shobunrui {
                if written.trim() == s.name {
                    return (Some((s.name.clone(), d.daibunrui.clone())), Match::Exact);
                }
                if key == name_key(&s.name) {
                    return (Some((s.name.clone(), d.daibunrui.clone())), Match::Spelling);
                }
            }
        }
        for d in &self.config.taxonomy {
            for s in &d.shobunrui {
                if s.aliases.iter().any(|a| name_key(a) == key) {
                    return (Some((s.name.clone(), d.daibunrui.clone())), Match::Alias);
                }
            }
        }
        (None, Match::Unknown)
    }

    /// All 小分類 names of a 大分類, for hints.
    pub fn shobunrui_of(&self, daibunrui: &str) -> Vec<String> {
        self.config
            .taxonomy
            .iter()
            .filter(|d| d.daibunrui == daibunrui)
            .flat_map(|d| d.shobunrui.iter().map(|s| s.name.clone()))
            .collect()
    }

    pub fn daibunrui_names(&self) -> Vec<String> {
        self.config.taxonomy.iter().map(|d| d.daibunrui.clone()).collect()
    }
}
