//! 関係部署 checked against the organisation master, the way a clerk reads
//! it: collective words (庁内各課, 各支所) and whole 部 are fine, a 課 that is
//! not in the master is a finding with the nearest names, and a cell of
//! prose means the sheet's rows have slipped.

use crate::check::names::unknown_names;
use crate::findings::{Code, Finding};
use crate::ingest::reader::Field;
use crate::ingest::resolve::{Match, Organisation, split_sections};
use crate::model::Item;

/// Longer than any section name with its 部 (the master's longest is about
/// 20 characters): the cell holds a sentence, not names.
const PROSE_LENGTH: usize = 60;

/// What one 関係部署 cell names that the master does not know.
#[derive(Debug, PartialEq)]
pub enum RelatedProblem {
    /// The whole cell is prose (it has 。 or is far longer than a name).
    Prose,
    /// A name not in the master, with the official names it is a misprint
    /// of (empty when none is near enough: then it is no misprint).
    Unknown { written: String, closest: Vec<String> },
}

/// Checks the 関係部署 of one item.
pub fn check_related(item: &Item, organisation: &Organisation, findings: &mut Vec<Finding>) {
    let file = item.source.file.as_str();
    let sheet = item.source.sheet.as_str();
    let cell = item.source.cells.get("related_sections").map(String::as_str);
    let written = item.written.related.as_str();
    section_structure(item, organisation, findings);
    if written.is_empty() {
        if cell.is_some() && !item.title.is_empty() {
            findings.push(
                Finding::new(
                    Code::RelatedEmpty,
                    file,
                    format!("「{}」の関係部署が空欄です", item.title),
                    "関係する課を記入してください。関係部署がない場合は「なし」と記入してください",
                )
                .at(sheet, cell),
            );
        }
        return;
    }
    let problems = related_problems(written, organisation);
    for problem in &problems {
        let finding = match problem {
            RelatedProblem::Prose => Finding::new(
                Code::RowsShifted,
                file,
                format!("関係部署の欄に文章が入っています（「{}…」）。シートの行が一つずれている可能性があります", prefix(written, 20)),
                "各欄の内容が正しい見出しの行にあるか確認してください（関係部署には課名を「、」で区切って記入します）",
            ),
            RelatedProblem::Unknown { written, closest } => Finding::new(
                Code::RelatedUnknown,
                file,
                format!("関係部署「{written}」が組織一覧にありません"),
                if closest.is_empty() {
                    format!("組織一覧にある課名を「、」で区切って記入してください（取組の説明は「取組の方向性、内容」に書きます）{}", crate::check::SECTION_LIST_HINT)
                } else {
                    format!("「{}」の誤りではありませんか。組織一覧の課名で記入してください", closest.join("」または「"))
                },
            ),
        };
        findings.push(finding.at(sheet, cell));
    }
    if problems.contains(&RelatedProblem::Prose) {
        prose_names(item, "related_sections", Field::Related.label(), written, organisation, findings);
    } else {
        primary_in_related(item, organisation, findings);
    }
}

/// V228 / V229 / V231 beside the 関係部署: several 課 as primary, the
/// primary again in 関係部署, names in 現状と課題 the master lacks.
fn section_structure(item: &Item, organisation: &Organisation, findings: &mut Vec<Finding>) {
    let cell = |name: &str| item.source.cells.get(name).map(String::as_str);
    if item.primary_sections.len() > 1 {
        let first = item.primary_resolved.first().map(|r| r.section.as_str()).unwrap_or(item.primary_sections[0].as_str());
        findings.push(
            Finding::new(
                Code::SeveralPrimary,
                &item.source.file,
                format!(
                    "主たる所管部署に{}つの課が書かれています（{}）。先頭の「{first}」を主たる所管課として数えました",
                    item.primary_sections.len(),
                    item.primary_sections.join("、")
                ),
                "主として所管する課が先頭にあるか確認してください。共同で所管するのでなければ、ほかの課は関係部署に書いてください",
            )
            .at(&item.source.sheet, cell("primary_sections")),
        );
    }
    prose_names(item, "situation", Field::Situation.label(), &item.situation, organisation, findings);
}

/// V229: a 関係部署 that names the primary section again.
fn primary_in_related(item: &Item, organisation: &Organisation, findings: &mut Vec<Finding>) {
    let mut repeated: Vec<&str> = Vec::new();
    for name in mentions(&item.written.related) {
        if let (Some(r), Match::Exact | Match::Spelling | Match::Alias) = organisation.resolve(&name) {
            if let Some(p) = item.primary_resolved.iter().find(|p| **p == r) {
                if !repeated.contains(&p.section.as_str()) {
                    repeated.push(p.section.as_str());
                }
            }
        }
    }
    if repeated.is_empty() {
        return;
    }
    findings.push(
        Finding::new(
            Code::PrimaryInRelated,
            &item.source.file,
            format!("関係部署に主たる所管部署と同じ「{}」が書かれています", repeated.join("」「")),
            "関係部署には主たる所管部署のほかに関係する課を書いてください（ほかにない場合は「なし」と記入してください）",
        )
        .at(&item.source.sheet, item.source.cells.get("related_sections").map(String::as_str)),
    );
}

/// V231: 課 and 支所 named in a field's prose that the master lacks.
fn prose_names(item: &Item, field: &str, label: &str, text: &str, organisation: &Organisation, findings: &mut Vec<Finding>) {
    for name in unknown_names(text, organisation) {
        let (message, hint) = if name.misprint_of.is_empty() {
            (
                format!("{label}に「{}」とありますが、組織一覧にない名称です", name.written),
                "組織一覧の課名で書いてください（組織が変わった場合は、事務局が plan.toml の組織一覧を更新します）".to_string(),
            )
        } else {
            (
                format!("{label}の「{}」は組織一覧にありません。「{}」の誤りではありませんか", name.written, name.misprint_of.join("」または「")),
                format!("組織一覧の正式名称「{}」で書いてください", name.misprint_of[0]),
            )
        };
        findings.push(
            Finding::new(Code::NameInProseUnknown, &item.source.file, message, hint)
                .at(&item.source.sheet, item.source.cells.get(field).map(String::as_str)),
        );
    }
}

/// The problems of a 関係部署 cell; empty when every name is known.
pub fn related_problems(text: &str, organisation: &Organisation) -> Vec<RelatedProblem> {
    if text.contains('。') || text.chars().count() > PROSE_LENGTH {
        return vec![RelatedProblem::Prose];
    }
    let mut problems = Vec::new();
    for name in mentions(text) {
        if !is_known(&name, organisation) {
            let closest = organisation.misprints_of(&name);
            problems.push(RelatedProblem::Unknown { written: name, closest });
        }
    }
    problems
}

/// The names a cell mentions: split at separators, 及び and spaces; a
/// trailing など / 他 / 等 dropped; `経済建設課(穂波、庄内)` read as
/// 穂波支所経済建設課 and 庄内支所経済建設課; a bracketed remark after a
/// name (`まちづくり推進課（12地区交流センター）`) dropped.
fn mentions(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for part in split_sections(text) {
        for piece in part.split("及び").flat_map(|p| p.split(|c: char| c.is_whitespace())) {
            let piece = piece.trim();
            let piece = ["など", "ほか", "他", "等"].iter().find_map(|s| piece.strip_suffix(s)).unwrap_or(piece);
            if piece.is_empty() {
                continue;
            }
            match split_bracket(piece) {
                Some((base, inner)) => {
                    let places: Vec<&str> = inner.split(['、', ',', '，', '・']).map(str::trim).filter(|p| !p.is_empty()).collect();
                    // A list of short place names: one section per 支所.
                    if base.ends_with('課') && !places.is_empty() && places.iter().all(|p| p.chars().count() <= 3) {
                        names.extend(places.iter().map(|p| format!("{p}支所{base}")));
                    } else {
                        names.push(base.to_string());
                    }
                }
                None => names.push(piece.to_string()),
            }
        }
    }
    names
}

/// `経済建設課(穂波、庄内)` → ("経済建設課", "穂波、庄内").
fn split_bracket(text: &str) -> Option<(&str, &str)> {
    let open = text.find(['(', '（'])?;
    let rest = &text[open..];
    let inner_start = rest.chars().next()?.len_utf8();
    let close = rest.rfind([')', '）'])?;
    Some((text[..open].trim(), &rest[inner_start..close]))
}

/// A name the master knows, a whole 部, or a collective word.
fn is_known(name: &str, organisation: &Organisation) -> bool {
    let collective = name.ends_with("各課")
        || name.starts_with('各') && !name.starts_with("各種")
        || name.starts_with("支所")
        || ["庁内", "全庁", "全課", "関係課", "なし", "無し"].contains(&name);
    if collective || organisation.is_department(name) || organisation.is_group(name) {
        return true;
    }
    let resolves = |n: &str| matches!(organisation.resolve(n).1, Match::Exact | Match::Spelling | Match::Alias);
    // まちづくり推進課・生涯学習課: a middle dot between two names (but
    // 業務改善・DX推進課 is one name, tried first).
    resolves(name) || name.contains('・') && name.split('・').all(|n| !n.is_empty() && (resolves(n) || organisation.is_department(n)))
}

fn prefix(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PlanConfig;

    fn organisation() -> Organisation {
        let config = PlanConfig::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/inputs/plan.toml"))).unwrap();
        Organisation::new(&config)
    }

    fn unknown(text: &str) -> Vec<String> {
        related_problems(text, &organisation())
            .into_iter()
            .map(|p| match p {
                RelatedProblem::Unknown { written, .. } => written,
                RelatedProblem::Prose => "(prose)".into(),
            })
            .collect()
    }

    #[test]
    fn seed_names_that_are_not_in_the_master_are_found() {
        // 顕田 for 穎田, inside a list of 支所.
        assert_eq!(unknown("土木建設課、建設政策課、農業土木課、都市計画課、財産活用課、経済建設課(穂波、庄内、顕田、筑穂)"), ["顕田支所経済建設課"]);
        // 穂田 for 穂波.
        assert_eq!(unknown("穂田支所経済建設課、庄内支所経済建設課、筑穂支所経済建設課"), ["穂田支所経済建設課"]);
        // A description where a 課 belongs.
        assert_eq!(unknown("各種使用料等キャッシュレス決済導入課"), ["各種使用料等キャッシュレス決済導入課"]);
        // The seed's sheet 5: the situation text in the 関係部署 row.
        assert_eq!(unknown("当初は広報所管部署（情報管理課）、事業拡大により議会だより（議会事務局）、ごみの分別カレンダー（環境施設課）などの部署にも適用可能 「広報いいづか」は視覚障がい者等に配慮し、PDFデータ内の文章等は音声読み上げ機能で読み上げができるものの完全な内容になっていない。"), ["(prose)"]);
    }

    #[test]
    fn seed_names_that_are_fine_raise_nothing() {
        for text in [
            "庁内各課",
            "高齢介護課、社会・障がい者福祉課他",
            "業務改善・DX推進課及び各課",
            "企業局企業管理課及び上水道課",
            "特産品振興・ふるさと応援課 総合政策課",
            "まちづくり推進課・生涯学習課",
            "学校教育課・学校給食課・生涯学習課・文化課",
            "経済政策推進室、国際政策課など",
            "経済政策推進室",
            "各支所市民窓口課、男女共同参画推進課、情報管理課",
            "情報管理課／支所市民窓口課",
            "都市建設部各課、行政経営部財産活用課",
            "総務部、行政経営部、市民協働部、市民環境部、経済部、福祉部、都市建設部、教育部、企業局、各行政委員会",
            "まちづくり推進課（12地区交流センター）、男女共同参画推進課、スポーツ振興課",
            "農業委員会事務局、各支所経済建設課",
            "福祉部高齢介護課\n総務部情報管理課\n教育部生涯学習課",
        ] {
            assert_eq!(unknown(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn the_hint_names_the_nearest_sections_only_for_a_misprint() {
        let misprint = |text: &str| match related_problems(text, &organisation()).remove(0) {
            RelatedProblem::Unknown { closest, .. } => closest,
            RelatedProblem::Prose => panic!("{text}"),
        };
        assert_eq!(misprint("顕田支所経済建設課"), ["穎田支所経済建設課"]);
        // 穂田: one off 穂波 and one off 穎田, both named.
        assert_eq!(misprint("穂田支所経済建設課"), ["穂波支所経済建設課", "穎田支所経済建設課"]);
        // A description where a 課 belongs is no misprint of any.
        assert!(misprint("各種使用料等キャッシュレス決済導入課").is_empty());
        assert!(misprint("施設利用等におけるスマートフォン予約導入課").is_empty());
    }
}
