//! Checks across items, lists and the organisation table — the findings a
//! department must act on. Each check is a function over the model.

use crate::config::PlanConfig;
use crate::findings::{Code, Finding};
use crate::model::{Item, SectionRef};
use crate::ingest::reader::{Field, ListRow};
use crate::ingest::resolve::{Match, Organisation, Taxonomy};
use crate::check::titles::mark_differences;
use crate::text::{similarity, title_key};
use std::collections::BTreeMap;

/// A department's items together with its list rows (from any of its files).
pub struct DepartmentSubmission {
    pub department: String,
    /// (file, list row)
    pub list: Vec<(String, ListRow)>,
    /// Indices into the run's items.
    pub items: Vec<usize>,
    /// True when at least one of its workbooks has a list sheet.
    pub has_list: bool,
    /// Files of the department (for findings about the whole submission).
    pub files: Vec<String>,
}

/// Lowest title similarity at which a list row and a sheet are the same item.
const TITLE_MATCH_THRESHOLD: f64 = 0.6;

/// Pairs each list row with a sheet, reports what does not pair, and copies
/// the list's priority onto the items.
pub fn match_list(sub: &DepartmentSubmission, items: &mut [Item], organisation: &Organisation, taxonomy: &Taxonomy, findings: &mut Vec<Finding>) {
    if !sub.has_list {
        if let Some(file) = sub.files.first() {
            findings.push(Finding::new(
                Code::NoListSheet,
                file,
                format!("{}の優先順位一覧（優先順位・取組項目名・主たる所管部署・大分類・小分類・備考）のシートがありません", sub.department),
                "優先順位一覧のシートを追加し、すべての個票の優先順位を記入してください",
            ));
        }
        return;
    }
    let row_sections: Vec<Option<SectionRef>> =
        sub.list.iter().map(|(_, r)| organisation.resolve(r.section.text.trim()).0).collect();
    let (sheet_of_row, row_of_sheet) = pair_rows_with_sheets(sub, items, &row_sections);

    for (li, (file, row)) in sub.list.iter().enumerate() {
        let place = |f: Finding, cell: &str| f.at(&row.sheet, Some(cell)).in_department(&sub.department);
        list_taxonomy_findings(row, taxonomy, file, &sub.department, findings);
        let Some(si) = sheet_of_row[li] else {
            findings.push(place(
                Finding::new(
                    Code::ListRowWithoutSheet,
                    file,
                    format!("優先順位一覧の「{}」に対応する個票がありません", row.title.text.trim()),
                    "この取組の個票シートを追加するか、一覧から行を削除してください",
                ),
                &row.title.cell,
            ));
            continue;
        };
        let item = &mut items[sub.items[si]];
        item.source.list_sheet = Some(row.sheet.clone());
        item.source.list_row = Some(row.row);
        item.list_note = row.note.text.trim().to_string();
        item.list_section = Some(row.section.text.trim().to_string()).filter(|s| !s.is_empty());
        item.list_daibunrui = Some(row.daibunrui.text.trim().to_string()).filter(|s| !s.is_empty());
        item.list_shobunrui = Some(row.shobunrui.text.trim().to_string()).filter(|s| !s.is_empty());
        item.priority = parse_priority(&row.priority.text, row.priority.number);
        if item.priority.is_none() && !row.priority.text.trim().is_empty() {
            findings.push(place(
                Finding::new(
                    Code::BadPriority,
                    file,
                    format!("優先順位「{}」が整数ではありません", row.priority.text.trim()),
                    "優先順位は 1, 2, 3 … の整数で記入してください",
                ),
                &row.priority.cell,
            ));
        }
        let sheet_title = item.title.clone();
        let list_title = row.title.text.trim().to_string();
        item.list_title = Some(list_title.clone()).filter(|t| !t.is_empty());
        if title_key(&list_title) != title_key(&sheet_title) {
            let (list_marked, sheet_marked) = mark_differences(&list_title, &sheet_title);
            findings.push(place(
                Finding::new(
                    Code::TitleMismatch,
                    file,
                    format!(
                        "取組項目名が一覧と個票で異なります（【】が違う箇所）: 一覧「{list_marked}」／個票（シート{} {}）「{sheet_marked}」",
                        item.source.sheet,
                        item.source.cells.get("title").map(String::as_str).unwrap_or("")
                    ),
                    "正しい名称に揃えてください（誤字の可能性があります）",
                )
                .about(format!("{list_title}／{sheet_title}")),
                &row.title.cell,
            ));
        } else if without_spaces(&list_title) == without_spaces(&sheet_title) && list_title != sheet_title {
            let (list_marked, sheet_marked) = mark_differences(&list_title, &sheet_title);
            findings.push(place(
                Finding::new(
                    Code::TitleSpacing,
                    file,
                    format!(
                        "取組項目名が一覧と個票で空白だけ異なります: 一覧「{list_marked}」／個票（シート{} {}）「{sheet_marked}」",
                        item.source.sheet,
                        item.source.cells.get("title").map(String::as_str).unwrap_or("")
                    ),
                    "一覧と個票で同じ書き方に揃えてください（空白を入れるか入れないか）",
                )
                .about(format!("{list_title}／{sheet_title}")),
                &row.title.cell,
            ));
        }
        // 大分類 / 小分類 as the list says them, resolved like the sheet's.
        let list_dai = taxonomy.daibunrui(&row.daibunrui.text).0;
        if list_dai.is_some() && !item.daibunrui.is_empty() && list_dai.as_deref() != Some(item.daibunrui.as_str()) {
            findings.push(place(
                Finding::new(
                    Code::DaibunruiMismatch,
                    file,
                    format!(
                        "「{}」の大分類が一覧「{}」と個票「{}」で異なります",
                        sheet_title,
                        row.daibunrui.text.trim(),
                        item.daibunrui
                    ),
                    "どちらが正しいか確認し、一覧と個票を揃えてください",
                ),
                &row.daibunrui.cell,
            ));
        }
        let list_sho = taxonomy.shobunrui(&row.shobunrui.text).0.map(|(s, _)| s);
        if list_sho.is_some() && !item.shobunrui.is_empty() && list_sho.as_deref() != Some(item.shobunrui.as_str()) {
            findings.push(place(
                Finding::new(
                    Code::ShobunruiMismatch,
                    file,
                    format!(
                        "「{}」の小分類が一覧「{}」と個票「{}」で異なります",
                        sheet_title,
                        row.shobunrui.text.trim(),
                        item.shobunrui
                    ),
                    "どちらが正しいか確認し、一覧と個票を揃えてください",
                ),
                &row.shobunrui.cell,
            ));
        }
        if let Some(section) = &row_sections[li] {
            // The list names the one 課 the item counts for: the sheet's
            // first 主たる所管部署 must be it.
            if !item.primary_resolved.is_empty() && item.primary_resolved.first() != Some(section) {
                findings.push(place(
                    Finding::new(
                        Code::SectionMismatch,
                        file,
                        format!(
                            "「{}」の主たる所管部署が一覧「{}」と個票「{}」で異なります",
                            sheet_title,
                            row.section.text.trim(),
                            item.primary_sections.join("、")
                        ),
                        "主として所管する課を個票の先頭に書き、一覧と揃えてください",
                    ),
                    &row.section.cell,
                ));
            }
        }
        list_section_findings(row, &row_sections[li], organisation, file, &sub.department, findings);
    }

    for (si, &ii) in sub.items.iter().enumerate() {
        if row_of_sheet[si].is_some() {
            continue;
        }
        let item = &items[ii];
        findings.push(
            Finding::new(
                Code::SheetNotInList,
                &item.source.file,
                format!("個票「{}」が優先順位一覧にありません", item.title),
                "優先順位一覧に行を追加し、優先順位を記入してください",
            )
            .at(&item.source.sheet, item.source.cells.get("title").map(String::as_str))
            .in_department(&sub.department),
        );
    }

    // Duplicate priorities among the list rows.
    let mut by_priority: BTreeMap<u32, Vec<&(String, ListRow)>> = BTreeMap::new();
    for entry in &sub.list {
        if let Some(p) = parse_priority(&entry.1.priority.text, entry.1.priority.number) {
            by_priority.entry(p).or_default().push(entry);
        }
    }
    for (priority, rows) in by_priority {
        if rows.len() < 2 {
            continue;
        }
        // Each finding names the rows sharing the number; past a few, the
        // count says the rest (a message per row listing every row would
        // grow with the square of the rows).
        const NAMED: usize = 5;
        let mut titles: Vec<String> = rows.iter().take(NAMED).map(|(_, r)| format!("「{}」", r.title.text.trim())).collect();
        if rows.len() > NAMED {
            titles.push(format!("ほか{}件", rows.len() - NAMED));
        }
        for (file, row) in rows.iter().skip(1) {
            findings.push(
                Finding::new(
                    Code::DuplicatePriority,
                    file,
                    format!("優先順位{priority}が{}件あります: {}", rows.len(), titles.join("、")),
                    if row.note.cell.is_empty() {
                        "優先順位は重複しないよう 1, 2, 3 … で付け直してください"
                    } else {
                        "優先順位は重複しないよう 1, 2, 3 … で付け直してください（関連する取組は備考で示せます）"
                    },
                )
                .at(&row.sheet, Some(&row.priority.cell))
                .in_department(&sub.department),
            );
        }
    }
}

/// The list's 主たる所管部署 checked against the master, as the sheet's is.
fn list_section_findings(row: &ListRow, resolved: &Option<SectionRef>, organisation: &Organisation, file: &str, department: &str, findings: &mut Vec<Finding>) {
    let written = row.section.text.trim();
    if written.is_empty() {
        return;
    }
    let near = || {
        let near = organisation.misprints_of(written);
        if near.is_empty() {
            format!("組織一覧にある課名で記入してください{}", crate::check::SECTION_LIST_HINT)
        } else {
            format!("「{}」の誤りではありませんか。組織一覧の課名で記入してください", near.join("」または「"))
        }
    };
    let finding = match (resolved, organisation.resolve(written).1) {
        (Some(r), Match::Approximate(_)) => Finding::new(
            Code::SectionApproximate,
            file,
            format!("一覧の主たる所管部署「{written}」は組織一覧にありません。最も近い「{}」とみなしました", r.section),
            format!("組織一覧の正式名称「{}」で記入してください（別の課なら、その課名を組織一覧のとおりに）", r.section),
        ),
        (None, _) => Finding::new(
            Code::SectionUnknown,
            file,
            format!("一覧の主たる所管部署「{written}」が組織一覧にありません"),
            near(),
        ),
        _ => return,
    };
    findings.push(finding.at(&row.sheet, Some(&row.section.cell)).in_department(department));
}

/// The list's 大分類 / 小分類 checked against the vision's taxonomy where
/// they are written, as the sheet's are (N105 alias, N106 unknown).
fn list_taxonomy_findings(row: &ListRow, taxonomy: &Taxonomy, file: &str, department: &str, findings: &mut Vec<Finding>) {
    let mut push = |code: Code, cell: &str, message: String, hint: String| {
        findings.push(Finding::new(code, file, message, hint).at(&row.sheet, Some(cell)).in_department(department));
    };
    let dai_written = row.daibunrui.text.trim();
    let (dai, dai_match) = taxonomy.daibunrui(dai_written);
    if !dai_written.is_empty() {
        match (&dai, dai_match) {
            (Some(name), Match::Alias) => push(
                Code::TaxonomyAlias,
                &row.daibunrui.cell,
                format!("一覧の大分類「{dai_written}」を「{name}」として読みました"),
                format!("ビジョンの表記「{name}」に揃えてください"),
            ),
            (None, _) => push(
                Code::TaxonomyUnknown,
                &row.daibunrui.cell,
                format!("一覧の大分類「{dai_written}」はビジョンの大分類にありません"),
                format!("次のいずれかを記入してください: {}", taxonomy.daibunrui_names().join("、")),
            ),
            _ => {}
        }
    }
    let sho_written = row.shobunrui.text.trim();
    if sho_written.is_empty() {
        return;
    }
    let (sho, sho_match) = taxonomy.shobunrui(sho_written);
    match (&sho, sho_match) {
        (Some((name, _)), Match::Alias) => push(
            Code::TaxonomyAlias,
            &row.shobunrui.cell,
            format!("一覧の小分類「{sho_written}」を「{name}」として読みました（ビジョンの表記は「{name}」）"),
            format!("ビジョンの表記「{name}」に揃えてください"),
        ),
        (None, _) => push(
            Code::TaxonomyUnknown,
            &row.shobunrui.cell,
            format!("一覧の小分類「{sho_written}」はビジョンの小分類にありません"),
            match &dai {
                Some(d) => format!("大分類「{d}」の小分類は次のいずれかです: {}", taxonomy.shobunrui_of(d).join("、")),
                None => "ビジョンの6「取り組みの方向性」の小分類から選んでください".to_string(),
            },
        ),
        (Some((name, parent)), _) => {
            if let Some(d) = dai.as_ref().filter(|d| *d != parent) {
                push(
                    Code::TaxonomyUnknown,
                    &row.shobunrui.cell,
                    format!("一覧の小分類「{name}」は大分類「{parent}」の分類で、記入された大分類「{d}」に属しません"),
                    format!("大分類「{d}」の小分類（{}）から選ぶか、大分類を直してください", taxonomy.shobunrui_of(d).join("、")),
                );
            }
        }
    }
}

/// Two titles equal once spaces are left out (half- and full-width).
fn without_spaces(title: &str) -> String {
    title.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Pairs list rows with sheets. Rows and sheets whose titles are equal (as
/// keys) pair first, within their title; what is left pairs by similarity.
/// Identical titles (the same initiative in several sections) are told apart
/// by section, then by order. Comparing only the leftovers keeps the cost
/// near linear in the number of items.
fn pair_rows_with_sheets(sub: &DepartmentSubmission, items: &[Item], row_sections: &[Option<SectionRef>]) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    let row_keys: Vec<String> = sub.list.iter().map(|(_, r)| title_key(&r.title.text)).collect();
    let sheet_keys: Vec<String> = sub.items.iter().map(|&i| title_key(&items[i].title)).collect();
    let total = (sub.list.len() + sub.items.len()).max(1) as f64;
    let score = |li: usize, si: usize, sim: f64| {
        let item = &items[sub.items[si]];
        let section_bonus = match &row_sections[li] {
            Some(r) if item.primary_resolved.contains(r) => 0.05,
            _ => 0.0,
        };
        let order_penalty = (li as f64 - si as f64).abs() / (1000.0 * total);
        sim + section_bonus - order_penalty
    };
    let mut sheet_of_row: Vec<Option<usize>> = vec![None; sub.list.len()];
    let mut row_of_sheet: Vec<Option<usize>> = vec![None; sub.items.len()];
    let assign = |mut pairs: Vec<(f64, usize, usize)>, sheet_of_row: &mut Vec<Option<usize>>, row_of_sheet: &mut Vec<Option<usize>>| {
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        for (_, li, si) in pairs {
            if sheet_of_row[li].is_none() && row_of_sheet[si].is_none() {
                sheet_of_row[li] = Some(si);
                row_of_sheet[si] = Some(li);
            }
        }
    };
    // Equal titles first.
    let mut sheets_by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (si, key) in sheet_keys.iter().enumerate() {
        sheets_by_key.entry(key.as_str()).or_default().push(si);
    }
    let mut exact = Vec::new();
    for (li, key) in row_keys.iter().enumerate() {
        for &si in sheets_by_key.get(key.as_str()).into_iter().flatten() {
            exact.push((score(li, si, 1.0), li, si));
        }
    }
    assign(exact, &mut sheet_of_row, &mut row_of_sheet);
    // Then the rest by similarity.
    let mut near = Vec::new();
    for li in (0..sub.list.len()).filter(|&li| sheet_of_row[li].is_none()) {
        for si in (0..sub.items.len()).filter(|&si| row_of_sheet[si].is_none()) {
            let sim = similarity(&row_keys[li], &sheet_keys[si]);
            if sim >= TITLE_MATCH_THRESHOLD {
                near.push((score(li, si, sim), li, si));
            }
        }
    }
    assign(near, &mut sheet_of_row, &mut row_of_sheet);
    (sheet_of_row, row_of_sheet)
}

/// `3`, `３`, `3.0` → 3.
pub fn parse_priority(text: &str, number: Option<f64>) -> Option<u32> {
    if let Some(n) = number {
        return (n >= 0.0 && n.fract() == 0.0).then_some(n as u32);
    }
    crate::text::nfkc(text.trim()).parse().ok()
}

/// Checks on each item alone.
pub fn check_item(item: &Item, config: &PlanConfig, findings: &mut Vec<Finding>) {
    let file = item.source.file.as_str();
    let sheet = item.source.sheet.as_str();
    let cell = |name: &str| item.source.cells.get(name).map(String::as_str);
    // 大分類 / 小分類 are checked by the normaliser, which sees what was written.
    let required: [(&str, &str, bool); 5] = [
        ("title", Field::Title.label(), item.title.is_empty()),
        ("primary_sections", Field::Primary.label(), item.primary_sections.is_empty()),
        ("situation", Field::Situation.label(), item.situation.is_empty()),
        ("approach", Field::Approach.label(), item.approach.is_empty()),
        ("goal", Field::Goal.label(), item.goal.is_empty()),
    ];
    for (name, label, empty) in required {
        if empty && cell(name).is_some() {
            findings.push(
                Finding::new(
                    Code::RequiredEmpty,
                    file,
                    format!("必須項目「{label}」が空欄です（{}）", display_title(item)),
                    format!("「{label}」を記入してください"),
                )
                .at(sheet, cell(name)),
            );
        }
    }
    // An item whose targets say they are undecided (N112, at their cells)
    // has been told already; V208 is for items that say nothing.
    let undecided = item.workload_target.values().chain(item.fiscal_target.values()).any(|a| a.value.is_none() && !a.note.is_empty());
    // How an item says its effect cannot be quantified, the same way in
    // V208 and N112: "—" in the years and the reason in the row's 備考;
    // at least one row still needs a number, unless the office accepts
    // the reason (decisions.toml).
    if !crate::figures::has_numeric_target(item) && !undecided && !item.title.is_empty() {
        let reasons: Vec<String> = [("業務量削減", &item.target_remarks.workload), ("財政効果", &item.target_remarks.fiscal)]
            .into_iter()
            .filter(|(_, r)| !r.is_empty())
            .map(|(row, r)| format!("{row}の備考「{}」", r))
            .collect();
        let (message, hint) = if reasons.is_empty() {
            (
                format!("「{}」に数値の目標（業務量削減目標値・財政効果目標額）が一つもありません", item.title),
                "何をどれだけ改善するかが分かるよう、削減時間（時間）または財政効果（千円）の目標を少なくとも一つ数値で記入してください。どうしても算定できない場合は各年度を「—」とし、その理由を書いて事務局の確認を受けてください",
            )
        } else {
            (
                format!("「{}」に数値の目標（業務量削減目標値・財政効果目標額）が一つもありません（{}）", item.title, reasons.join("、")),
                "削減時間（時間）または財政効果（千円）の目標を少なくとも一つ数値で記入してください。備考の理由で算定できないなら、事務局の確認を受けてください（事務局が確認済として記録します）",
            )
        };
        findings.push(Finding::new(Code::NoQuantifiedTarget, file, message, hint).at(sheet, cell("workload_target")));
    }
    // Known misspellings in the title and prose.
    let prose = [
        ("title", &item.title),
        ("situation", &item.situation),
        ("approach", &item.approach),
        ("references", &item.references),
        ("goal", &item.goal),
    ];
    let related = item.related_sections.join("、");
    for spelling in &config.spelling {
        for (name, text) in prose.iter().copied().chain([("related_sections", &related)]) {
            if text.contains(&spelling.wrong) {
                findings.push(
                    Finding::new(
                        Code::Misspelling,
                        file,
                        format!("「{}」と書かれています（「{}」の誤りではありませんか）", spelling.wrong, spelling.right),
                        format!("「{}」に直してください", spelling.right),
                    )
                    .at(sheet, cell(name)),
                );
            }
        }
    }
    // A field holding another field's label: a copy slip on the form.
    for (name, text) in prose {
        if let Some(field) = crate::ingest::reader::Field::from_label(text) {
            if crate::ingest::normalize::field_name(field) != name {
                findings.push(
                    Finding::new(
                        Code::LabelAsValue,
                        file,
                        format!("欄の内容が見出し「{}」そのものになっています（貼り付け誤りの可能性）", text.trim()),
                        "この欄に入れるべき内容を記入してください",
                    )
                    .at(sheet, cell(name)),
                );
            }
        }
    }
}

fn display_title(item: &Item) -> String {
    if item.title.is_empty() { format!("シート{}", item.source.sheet) } else { format!("「{}」", item.title) }
}

/// The same item submitted twice: same title and same first section.
pub fn check_duplicates(items: &[Item], findings: &mut Vec<Finding>) {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.title.is_empty() {
            continue;
        }
        let section = item.primary_resolved.first().map(|r| r.section.clone()).unwrap_or_default();
        let key = (title_key(&item.title), section);
        if let Some(&first) = seen.get(&key) {
            let other = &items[first];
            findings.push(
                Finding::new(
                    Code::DuplicateItem,
                    &item.source.file,
                    format!(
                        "「{}」は {} › {} と同じ取組（同じ名称・同じ所管部署）です",
                        item.title, other.source.file, other.source.sheet
                    ),
                    "重複して提出していないか確認し、不要な方を削除してください",
                )
                .at(&item.source.sheet, item.source.cells.get("title").map(String::as_str)),
            );
        } else {
            seen.insert(key, i);
        }
    }
}

/// Where items name each 課 as primary: on their sheet (first
/// 主たる所管部署) and on their department's list.
pub struct ProposalCounts {
    /// (部, 課, where: file › sheet) of each item's first primary section.
    pub on_sheets: Vec<(String, String, String)>,
    /// (部, 課, where: file › list sheet › row) of each list row's section.
    pub on_lists: Vec<(String, String, String)>,
    /// 部 that submitted a list (for the others, only sheets count).
    pub departments_with_list: Vec<String>,
}

/// `a.xlsx › 1`, `a.xlsx › 2` → `a.xlsx のシート 1、2`; `a.xlsx › 一覧 › 4行目`,
/// `a.xlsx › 一覧 › 5行目` → `a.xlsx › 一覧 の 4、5行目`: places grouped by
/// what they share before their last part.
fn grouped(places: &[String], label: &str) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for place in places {
        let (head, last) = place.rsplit_once(" › ").unwrap_or(("", place.as_str()));
        match groups.iter_mut().find(|(h, _)| h == head) {
            Some((_, lasts)) => lasts.push(last.to_string()),
            None => groups.push((head.to_string(), vec![last.to_string()])),
        }
    }
    groups
        .into_iter()
        .map(|(head, lasts)| {
            let rows = lasts.iter().all(|l| l.ends_with("行目"));
            let lasts: Vec<&str> = lasts.iter().map(|l| l.trim_end_matches("行目")).collect();
            format!("{head} の {label}{}{}", lasts.join("、"), if rows { "行目" } else { "" })
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Compares the organisation table's 提案件数 with the items that name the
/// 課 as primary, on the sheets and on the lists; every disagreement is
/// reported with all three numbers and where the items counted are.
pub fn check_proposal_counts(config: &PlanConfig, counts: &ProposalCounts, plan_file: &str, findings: &mut Vec<Finding>) {
    let tally = |entries: &[(String, String, String)]| {
        let mut map: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for (department, section, place) in entries {
            map.entry((department.clone(), section.clone())).or_default().push(place.clone());
        }
        map
    };
    let (sheets, lists) = (tally(&counts.on_sheets), tally(&counts.on_lists));
    for d in &config.departments {
        let has_list = counts.departments_with_list.contains(&d.name);
        for s in &d.sections {
            let Some(declared) = s.declared else { continue };
            let key = (d.name.clone(), s.name.clone());
            let sheet_places = sheets.get(&key).cloned().unwrap_or_default();
            let list_places = lists.get(&key).cloned().unwrap_or_default();
            let (on_sheets, on_list) = (sheet_places.len() as u32, list_places.len() as u32);
            if on_sheets == declared && (!has_list || on_list == declared) {
                continue;
            }
            let list_part = if has_list { format!("、一覧の主たる所管部署 {on_list}件") } else { String::new() };
            // Where the counted items are, so the office can check them.
            let mut counted = Vec::new();
            if !sheet_places.is_empty() {
                counted.push(format!("個票: {}", grouped(&sheet_places, "シート ")));
            }
            if has_list && !list_places.is_empty() {
                counted.push(format!("一覧: {}", grouped(&list_places, "")));
            }
            let counted = if counted.is_empty() { String::new() } else { format!("（{}）", counted.join("／")) };
            findings.push(
                Finding::new(
                    Code::ProposalCountMismatch,
                    plan_file,
                    format!("{}{}: 組織一覧の提案件数 {declared}件に対し、個票の主たる所管部署（先頭）{on_sheets}件{list_part}です{counted}", d.name, s.name),
                    "提出漏れ・所管部署の記入誤りがないか確認し、個票・一覧・組織一覧の件数を揃えてください",
                ),
                // The office's to fix (plan.toml's organisation table): it
                // goes to the office's report, not to the department's return.
            );
        }
    }
}
