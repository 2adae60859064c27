//! 課 and 支所 named inside prose (現状と課題, or a 関係部署 cell holding a
//! sentence) checked against the organisation master.
//!
//! Prose has no separators, so a name is taken as the run of kanji, katakana
//! and letters that ends in 課 or 支所. Only what is clearly a name is
//! reported: a run within a misprint of an official name (穂田支所 for
//! 穂波支所, 顕田 for 穎田), or a run standing alone in brackets or after a
//! 部 name (…（環境施設課）) that the master does not have. Words that end in
//! 課 without naming one (各課, 所管課, 人事考課, 賦課) are not names.

use crate::ingest::resolve::{Match, Organisation, misprint_distance};

/// Longest run taken as one name (the master's longest with its 部 is
/// about 20 characters).
const MAX_NAME: usize = 24;

/// Shortest run reported as a misprint: a three-character 課 one off
/// another (住民課, 市民課) may well be another body's.
const MIN_MISPRINT: usize = 4;

/// Words ending in 課 that do not name a section: collective and relative
/// words (各課, 当課, 所管課) and words of their own (人事考課, 賦課, 日課).
const NOT_NAMES: [&str; 24] = [
    "各課", "他課", "当課", "本課", "同課", "来課", "全課", "両課", "原課", "主課", "所管課", "所属課", "関係課", "担当課", "主管課",
    "該当課", "関連課", "考課", "賦課", "日課", "放課", "正課", "部課", "各係課",
];

/// Characters after 課 that make it another word (課題, 課長, 課税 …).
const NOT_AFTER_KA: [char; 7] = ['題', '長', '税', '程', '金', '目', '外'];

/// A name in prose the master does not know.
#[derive(Debug, PartialEq)]
pub struct ProseName {
    pub written: String,
    /// The official names it is a misprint of (empty when none is near).
    pub misprint_of: Vec<String>,
}

/// The unknown 課 and 支所 names of a text.
pub fn unknown_names(text: &str, organisation: &Organisation) -> Vec<ProseName> {
    let chars: Vec<char> = text.chars().collect();
    let places = organisation.branch_places();
    let mut found: Vec<ProseName> = Vec::new();
    // Spans already taken by a 課 name (a 支所 inside one is part of it).
    let mut covered: Vec<(usize, usize)> = Vec::new();
    let push = |found: &mut Vec<ProseName>, name: ProseName| {
        if !found.iter().any(|f| f.written == name.written) {
            found.push(name);
        }
    };

    for end in 0..chars.len() {
        if chars[end] != '課' || chars.get(end + 1).is_some_and(|c| NOT_AFTER_KA.contains(c)) {
            continue;
        }
        let start = run_start(&chars, end, true);
        if end - start < 2 {
            continue; // 課 alone or after one character: 課す, 賦課
        }
        let run: String = chars[start..=end].iter().collect();
        covered.push((start, end));
        if NOT_NAMES.iter().any(|w| run.ends_with(w)) || known_suffix(&run, organisation) {
            continue;
        }
        // Collective words: 各支所市民窓口課, 支所市民窓口課 (every 支所's).
        if run.starts_with('各') && !run.starts_with("各種") || run.starts_with("支所") || run.starts_with("全庁") || run.starts_with("庁内") {
            continue;
        }
        // Within a misprint of an official name. Only the whole run: a tail
        // of a longer name is near too many names (建設課 of 土木建設課 is
        // one off 建築課), and a short run is too (住民課, 市民課).
        if run.chars().count() >= MIN_MISPRINT {
            let near = organisation.misprints_of(&run);
            if !near.is_empty() {
                push(&mut found, ProseName { written: run, misprint_of: near });
                continue;
            }
        }
        // A name standing alone: the whole of a bracket, or after a 部.
        let bracketed = start > 0 && matches!(chars[start - 1], '（' | '(') && matches!(chars.get(end + 1), Some('）' | ')'));
        let after_department = (start + 2..end).any(|k| organisation.is_department(&chars[start..k].iter().collect::<String>()));
        if bracketed || after_department {
            push(&mut found, ProseName { written: run, misprint_of: Vec::new() });
        }
    }

    // 支所 names: the place before 支所 against the master's places.
    let mut k = 0;
    while k + 1 < chars.len() {
        if chars[k] != '支' || chars[k + 1] != '所' || covered.iter().any(|&(s, e)| s <= k && k <= e) {
            k += 1;
            continue;
        }
        let start = run_start(&chars, k + 1, false);
        let before: String = chars[start..k].iter().collect();
        k += 2;
        if before.is_empty() || places.iter().any(|p| before.ends_with(p.as_str())) {
            continue;
        }
        let before_chars: Vec<char> = before.chars().collect();
        let mut near: Vec<String> = Vec::new();
        for place in &places {
            let n = place.chars().count();
            if before_chars.len() < n {
                continue;
            }
            let tail: String = before_chars[before_chars.len() - n..].iter().collect();
            if strsim::levenshtein(&tail, place) <= misprint_distance(place).min(n / 2) {
                near.push(format!("{place}支所"));
            }
        }
        if !near.is_empty() {
            let n = places.iter().map(|p| p.chars().count()).max().unwrap_or(2).min(before_chars.len());
            let written: String = before_chars[before_chars.len() - n..].iter().chain(['支', '所'].iter()).collect();
            push(&mut found, ProseName { written, misprint_of: near });
        }
    }
    found
}

/// Where the name ending at `end` starts: back over kanji, katakana and
/// letters (and the middle dot inside a 課 name, as in 業務改善・DX推進課).
fn run_start(chars: &[char], end: usize, allow_dot: bool) -> usize {
    let mut start = end;
    while start > 0 && end - start + 1 < MAX_NAME {
        let c = chars[start - 1];
        let name_char = is_kanji(c) || is_katakana(c) || c.is_ascii_alphanumeric() || ('Ａ'..='ｚ').contains(&c) || ('０'..='９').contains(&c) || allow_dot && c == '・';
        if !name_char {
            break;
        }
        start -= 1;
    }
    // A run does not start with a middle dot.
    while start < end && chars[start] == '・' {
        start += 1;
    }
    start
}

fn is_kanji(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '々'
}

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c) || c == 'ー'
}

/// The run, or a tail of it, is a name the master knows (本市情報管理課,
/// 企業局企業管理課).
fn known_suffix(run: &str, organisation: &Organisation) -> bool {
    let chars: Vec<char> = run.chars().collect();
    (0..chars.len().saturating_sub(2)).any(|s| {
        let tail: String = chars[s..].iter().collect();
        matches!(organisation.resolve(&tail).1, Match::Exact | Match::Spelling | Match::Alias) || organisation.is_group(&tail)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PlanConfig;

    fn organisation() -> Organisation {
        let config = PlanConfig::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/inputs/plan.toml"))).unwrap();
        Organisation::new(&config)
    }

    fn unknown(text: &str) -> Vec<(String, Vec<String>)> {
        unknown_names(text, &organisation()).into_iter().map(|n| (n.written, n.misprint_of)).collect()
    }

    #[test]
    fn misprinted_names_in_prose_are_found_with_the_official_name() {
        assert_eq!(
            unknown("経済建設課のうち顕田支所経済建設課と調整する。"),
            [("顕田支所経済建設課".to_string(), vec!["穎田支所経済建設課".to_string()])]
        );
        assert_eq!(unknown("顕田支所の会議室を貸し付ける。"), [("顕田支所".to_string(), vec!["穎田支所".to_string()])]);
        // The seed's sheet 5: a 課 the master does not have, alone in brackets.
        assert_eq!(
            unknown("当初は広報所管部署（情報管理課）、事業拡大により議会だより（議会事務局）、ごみの分別カレンダー（環境施設課）などの部署にも適用可能"),
            [("環境施設課".to_string(), vec![])]
        );
    }

    #[test]
    fn words_ending_in_ka_and_known_names_are_not_reported() {
        for text in [
            "筑穂支所（4階会議室）は現在使用されていない。",
            "下水道課管理係の排水設備関係と浄化槽の補助金事務は、再任用職員で対応している。",
            "企業管理課と下水道課2課にまたがっており、一本化する。",
            "各種手続きに関する電話での問合せや来課職員が多い。",
            "施設所管課へのヒアリングを行い、府内各課に周知する。",
            "人事考課制度の見直しと、住民税の賦課事務。",
            "課題を整理し、課長会議で報告する。",
            "対象者が本庁・支所の窓口で紙ベースの申請を行っている。",
            "各支所で無線を利用できる。",
            "本市情報管理課と企業局企業管理課が連携する。",
            "経済政策推進室と業務改善・DX推進課で検討する。",
        ] {
            assert_eq!(unknown(text), Vec::<(String, Vec<String>)>::new(), "{text}");
        }
    }
}
