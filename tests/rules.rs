//! The validator's later rules on small workbooks, each on the seed's
//! wording and on a near miss that must stay quiet: 年度計画 rows, titles
//! with spaces, the taxonomy on the list, names inside prose, section
//! structure, one classification per item across departments, and hints a
//! department can act on.

mod common;

use common::{Inputs, item_rows, write_rows};
use gyokaku::findings::Finding;
use rust_xlsxwriter::Workbook;

type Rows = Vec<[String; 5]>;

/// A clean sheet: the common rows with plain numeric targets.
fn sheet(title: &str) -> Rows {
    let mut rows = item_rows(title);
    set(&mut rows, "業務量削減目標値（時間）", ["100", "200", "300", ""]);
    set(&mut rows, "財政効果目標額（千円）", ["—", "500", "1,500", ""]);
    rows
}

fn set(rows: &mut [[String; 5]], label: &str, values: [&str; 4]) {
    let row = rows.iter_mut().find(|r| r[0] == label).unwrap_or_else(|| panic!("{label}"));
    for (i, v) in values.iter().enumerate() {
        row[i + 1] = v.to_string();
    }
}

/// Replaces the 年度計画 task rows (between 年度計画 and 各年度目標).
fn plan(rows: &mut Rows, tasks: &[[&str; 5]]) {
    let start = rows.iter().position(|r| r[0] == "年度計画").unwrap() + 1;
    let end = rows.iter().position(|r| r[0] == "各年度目標").unwrap();
    rows.splice(start..end, tasks.iter().map(|t| t.map(str::to_string)));
}

/// A list row: 優先順位, 取組項目名, 主たる所管部署, 大分類, 小分類.
fn list_row(priority: &str, title: &str) -> [String; 5] {
    [priority, title, "人事課", "情報・デジタル化の改革", "業務の効率化"].map(str::to_string)
}

/// Writes a department workbook: its list (when given) and its sheets 1, 2, ….
fn workbook(inputs: &Inputs, file: &str, list: Option<&[[String; 5]]>, sheets: &[Rows]) {
    let mut book = Workbook::new();
    if let Some(list) = list {
        let ws = book.add_worksheet();
        ws.set_name("一覧").unwrap();
        for (c, h) in ["優先順位", "取組項目名", "主たる所管部署", "大分類", "小分類", "備考"].iter().enumerate() {
            ws.write(0, c as u16, *h).unwrap();
        }
        for (r, row) in list.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write(1 + r as u32, c as u16, v.as_str()).unwrap();
            }
        }
    }
    for (i, rows) in sheets.iter().enumerate() {
        let ws = book.add_worksheet();
        ws.set_name((i + 1).to_string()).unwrap();
        write_rows(ws, rows, 3, 1);
    }
    book.save(inputs.submission(file)).unwrap();
}

/// One 総務部 workbook with a list row per sheet.
fn department(sheets: &[Rows]) -> Inputs {
    let inputs = Inputs::new();
    let list: Vec<[String; 5]> = sheets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut row = list_row(&(i + 1).to_string(), &s[0][1]);
            // The list names the sheet's first 主たる所管部署.
            let primary = &s.iter().find(|r| r[0] == "主たる所管部署").unwrap()[1];
            row[2] = primary.split('、').next().unwrap().trim_start_matches("総務部").to_string();
            row
        })
        .collect();
    workbook(&inputs, "01_総務部.xlsx", Some(&list), sheets);
    inputs
}

fn codes(inputs: &Inputs) -> Vec<String> {
    inputs.run().findings.iter().map(|f| format!("{} {}", f.code, f.place())).collect()
}

fn found(inputs: &Inputs, code: &str) -> Vec<Finding> {
    inputs.run().findings.into_iter().filter(|f| f.code == code).collect()
}

/// The test plan with a 部 of 支所 sections (for names inside prose).
fn with_branches(inputs: &Inputs) {
    let plan = format!(
        "{}\n[[departments]]\ncode = \"03\"\nname = \"市民環境部\"\nsections = [{{ name = \"環境整備課\" }}, {{ name = \"穂波支所市民窓口課\" }}, {{ name = \"筑穂支所市民窓口課\" }}, {{ name = \"穎田支所市民窓口課\" }}]\n",
        common::PLAN
    );
    std::fs::write(inputs.path().join("plan.toml"), plan).unwrap();
}

#[test]
fn the_clean_sheet_of_these_tests_has_no_findings() {
    assert_eq!(codes(&department(&[sheet("出退勤管理の電子化")])), Vec::<String>::new());
}

// 1. 年度計画 rows.

#[test]
fn a_plan_row_with_years_but_no_label_is_reported_at_its_label() {
    // The seed's 被災者支援システムの活用: the third row has R7 and R8 only.
    let mut rows = sheet("被災者支援システムの活用");
    plan(
        &mut rows,
        &[
            ["クラウド型被災者支援システムの本運用", "システムの本運用開始", "", "", ""],
            ["関係各（課）との調整", "災害対策本部の関係各班（課）とのシステム利用に係る調整", "", "", ""],
            ["", "", "災害対策本部の関係各班（課）に対する操作習得研修", "災害対策本部の関係各班（課）に対する操作習得研修", ""],
        ],
    );
    let inputs = department(&[rows.clone()]);
    assert_eq!(codes(&inputs), ["V224 01_総務部.xlsx › 1 › B16"]);
    assert!(found(&inputs, "V224")[0].message.contains("R7「災害対策本部"));
    // Near miss: a note alone on a row (no label, no years) is a remark.
    plan(&mut rows, &[["調査", "調査", "", "", ""], ["", "", "", "", "R9以降も継続"]]);
    assert_eq!(codes(&department(&[rows])), Vec::<String>::new());
}

#[test]
fn a_plan_label_with_nothing_in_any_year_is_reported_and_a_note_or_dashes_are_not() {
    // The seed's WEBによるリモートの保健指導事業: 本格導入 with nothing.
    let mut rows = sheet("WEBによるリモートの保健指導事業");
    plan(&mut rows, &[["利用方法", "", "試行", "", ""], ["本格導入", "", "", "", ""]]);
    let inputs = department(&[rows.clone()]);
    assert_eq!(codes(&inputs), ["V225 01_総務部.xlsx › 1 › B15"]);
    // Near miss: the seed's 試行導入 row whose 備考 says it comes after the
    // plan period; a row of dashes says "nothing" on purpose.
    plan(
        &mut rows,
        &[
            ["利用方法", "", "試行", "", ""],
            ["試行導入（9年度一部の交通機関に導入）", "", "", "", "R9年度（一部交通機関で試行）"],
            ["本導入", "—", "—", "—", ""],
        ],
    );
    assert_eq!(codes(&department(&[rows])), Vec::<String>::new());
}

/// The seed's 市民環境部 template: five labels, two never filled.
fn template(title: &str, filled: bool) -> Rows {
    let mut rows = sheet(title);
    let (entrust, staff) = if filled { ("委託契約", "配置見直し") } else { ("", "") };
    plan(
        &mut rows,
        &[
            ["収集業者との協議", "他自治体事例等調査・研究", "", "", ""],
            ["予算化", "", "仕様確定、予算化", "", ""],
            ["市民への周知", "", "", "システム導入", ""],
            ["委託", entrust, "", "", ""],
            ["職員配置の検討", staff, "", "", ""],
        ],
    );
    rows
}

#[test]
fn plan_labels_copied_with_empty_rows_are_one_finding_per_sheet() {
    // (The second sheet is 契約課's, so that 人事課's 提案件数 of 1 holds.)
    let contract = |mut rows: Rows| {
        set(&mut rows, "主たる所管部署", ["総務部契約課", "", "", ""]);
        rows
    };
    let inputs = department(&[template("支援措置管理システムの導入", false), contract(template("高額療養費支払業務の簡素化", false))]);
    assert_eq!(codes(&inputs), ["V226 01_総務部.xlsx › 1 › B14", "V226 01_総務部.xlsx › 2 › B14"]);
    let v226 = found(&inputs, "V226");
    assert!(v226[0].message.contains("シート2「高額療養費支払業務の簡素化」") && v226[0].message.contains("「委託」、「職員配置の検討」"), "{}", v226[0].message);
    // Near miss: the same plan fully filled on several sheets (one system
    // rolled out section by section) is fine.
    let inputs = department(&[template("支援措置管理システムの導入", true), contract(template("高額療養費支払業務の簡素化", true))]);
    assert_eq!(codes(&inputs), Vec::<String>::new());
    // On one sheet alone the empty rows are V225, not a copy.
    let inputs = department(&[template("支援措置管理システムの導入", false)]);
    assert_eq!(codes(&inputs), ["V225 01_総務部.xlsx › 1 › B17", "V225 01_総務部.xlsx › 1 › B18"]);
}

#[test]
fn a_kanji_one_for_a_dash_in_a_plan_cell_is_reported_and_words_are_not() {
    // The seed's 会計年度任用職員任用手続の簡素化: 一 in R6.
    let mut rows = sheet("会計年度任用職員任用手続の簡素化");
    plan(&mut rows, &[["本格導入、予算化", "一", "本格導入準備、予算化", "本格導入の実施", ""]]);
    assert_eq!(codes(&department(&[rows.clone()])), ["N113 01_総務部.xlsx › 1 › C14"]);
    plan(&mut rows, &[["試行導入", "一部の交通機関で試行", "モニター整備", "—", ""]]);
    assert_eq!(codes(&department(&[rows])), Vec::<String>::new());
}

// 2. Titles with spaces.

#[test]
fn a_title_that_differs_only_by_a_space_is_info_with_the_space_marked() {
    let inputs = Inputs::new();
    let rows = sheet("営繕工事 遠隔臨場（オンライン立会）の導入");
    workbook(&inputs, "01_総務部.xlsx", Some(&[list_row("1", "営繕工事遠隔臨場（オンライン立会）の導入")]), &[rows.clone()]);
    let run = inputs.run();
    let v227: Vec<&Finding> = run.findings.iter().filter(|f| f.code == "V227").collect();
    assert_eq!(run.findings.len(), 1, "{:?}", run.findings);
    assert_eq!(v227[0].place(), "01_総務部.xlsx › 一覧 › B2");
    assert_eq!(v227[0].severity, gyokaku::findings::Severity::Info);
    assert!(v227[0].message.contains("営繕工事【空白】遠隔臨場"), "{}", v227[0].message);
    // Near miss: the same spacing in both is nothing; another character is V201.
    let inputs = Inputs::new();
    workbook(&inputs, "01_総務部.xlsx", Some(&[list_row("1", "営繕工事 遠隔臨場（オンライン立会）の導入")]), &[rows.clone()]);
    assert_eq!(codes(&inputs), Vec::<String>::new());
    let inputs = Inputs::new();
    workbook(&inputs, "01_総務部.xlsx", Some(&[list_row("1", "営繕工事 遠隔臨場（オンライン立合）の導入")]), &[rows]);
    assert_eq!(codes(&inputs), ["V201 01_総務部.xlsx › 一覧 › B2"]);
}

// 3. The taxonomy where it is written.

#[test]
fn a_taxonomy_alias_or_unknown_value_on_the_list_is_reported_at_the_list_cell() {
    let fiscal = |rows: &mut Rows, sho: &str| {
        set(rows, "大分類", ["財政の改革", "", "", ""]);
        set(rows, "小分類", [sho, "", "", ""]);
    };
    let list = |sho: &str| [["1", "事務事業評価を活用した経費の削減", "人事課", "財政の改革", sho].map(str::to_string)];
    // The seed's 歳出の抑制, on the list and on the sheet: each cell told.
    let inputs = Inputs::new();
    let mut rows = sheet("事務事業評価を活用した経費の削減");
    fiscal(&mut rows, "歳出の抑制");
    workbook(&inputs, "01_総務部.xlsx", Some(&list("歳出の抑制")), &[rows.clone()]);
    assert_eq!(codes(&inputs), ["N105 01_総務部.xlsx › 一覧 › E2", "N105 01_総務部.xlsx › 1 › C6"]);
    // Near miss: the list in the vision's wording.
    let inputs = Inputs::new();
    workbook(&inputs, "01_総務部.xlsx", Some(&list("歳出の適正化")), &[rows.clone()]);
    assert_eq!(codes(&inputs), ["N105 01_総務部.xlsx › 1 › C6"]);
    // An unknown value on the list: N106 there, not also V206.
    let inputs = Inputs::new();
    fiscal(&mut rows, "歳出の適正化");
    workbook(&inputs, "01_総務部.xlsx", Some(&list("業務の改善")), &[rows]);
    assert_eq!(codes(&inputs), ["N106 01_総務部.xlsx › 一覧 › E2"]);
}

// 4. Names inside prose.

#[test]
fn a_section_in_prose_the_master_lacks_is_reported_with_the_official_name() {
    // A misprinted 支所 in 現状と課題.
    let inputs = Inputs::new();
    with_branches(&inputs);
    let mut rows = sheet("筑穂支所（4階会議室）の貸付");
    set(&mut rows, "プラン策定時の現状及び課題認識", ["穂田支所市民窓口課の会議室は現在使用されていない。", "", "", ""]);
    workbook(&inputs, "01_総務部.xlsx", Some(&[list_row("1", "筑穂支所（4階会議室）の貸付")]), &[rows.clone()]);
    let v231 = found(&inputs, "V231");
    assert_eq!(v231.iter().map(|f| f.place()).collect::<Vec<_>>(), ["01_総務部.xlsx › 1 › C9"]);
    assert!(v231[0].message.contains("穂田支所市民窓口課") && v231[0].hint.contains("穂波支所市民窓口課"), "{:?}", v231[0]);
    // The seed's sheet 5: a 課 in brackets inside the 関係部署 prose.
    let inputs = Inputs::new();
    with_branches(&inputs);
    let mut shifted = sheet("デジタル版「広報いいづか」による情報発信");
    set(&mut shifted, "関係部署", ["当初は広報所管部署（人事課）、ごみの分別カレンダー（環境施設課）などの部署にも適用可能。", "", "", ""]);
    workbook(&inputs, "01_総務部.xlsx", Some(&[list_row("1", "デジタル版「広報いいづか」による情報発信")]), &[shifted]);
    assert_eq!(codes(&inputs), ["V217 01_総務部.xlsx › 1 › C8", "V231 01_総務部.xlsx › 1 › C8"]);
    assert!(found(&inputs, "V231")[0].message.contains("「環境施設課」"));
    // Near misses: the master's 支所, words ending in 課, collective words.
    let inputs = Inputs::new();
    with_branches(&inputs);
    set(
        &mut rows,
        "プラン策定時の現状及び課題認識",
        ["筑穂支所（4階会議室）は使用されていない。人事考課と賦課の事務、施設所管課や各支所市民窓口課との調整、来課者対応が課題。", "", "", ""],
    );
    workbook(&inputs, "01_総務部.xlsx", Some(&[list_row("1", "筑穂支所（4階会議室）の貸付")]), &[rows]);
    assert_eq!(codes(&inputs), Vec::<String>::new());
}

// 5. Section structure.

#[test]
fn several_primary_sections_are_said_once() {
    let mut rows = sheet("出退勤管理の電子化");
    set(&mut rows, "主たる所管部署", ["総務部人事課、契約課", "", "", ""]);
    let inputs = department(&[rows.clone()]);
    assert_eq!(codes(&inputs), ["V228 01_総務部.xlsx › 1 › C7"]);
    assert!(found(&inputs, "V228")[0].message.contains("先頭の「人事課」"));
    set(&mut rows, "主たる所管部署", ["総務部人事課", "", "", ""]);
    assert_eq!(codes(&department(&[rows])), Vec::<String>::new());
}

#[test]
fn the_primary_section_repeated_in_related_sections_is_reported() {
    // The seed's 人材の戦略的確保: 人事課 primary, 総務部人事課 related.
    let mut rows = sheet("人材の戦略的確保に向けた取組み");
    set(&mut rows, "関係部署", ["総務部人事課", "", "", ""]);
    assert_eq!(codes(&department(&[rows.clone()])), ["V229 01_総務部.xlsx › 1 › C8"]);
    set(&mut rows, "関係部署", ["契約課", "", "", ""]);
    assert_eq!(codes(&department(&[rows])), Vec::<String>::new());
}

// 6. One classification per item across departments.

#[test]
fn the_same_title_in_two_departments_under_another_classification_is_reported_on_each() {
    let write = |inputs: &Inputs, title_b: &str, sho_b: &str| {
        let a = sheet("現場に持ち出せるタブレット端末の配備");
        workbook(inputs, "01_総務部.xlsx", Some(&[list_row("1", "現場に持ち出せるタブレット端末の配備")]), &[a]);
        let mut b = sheet(title_b);
        set(&mut b, "小分類", [sho_b, "", "", ""]);
        set(&mut b, "主たる所管部署", ["土木建設課", "", "", ""]);
        let list = [["1", title_b, "土木建設課", "情報・デジタル化の改革", sho_b].map(str::to_string)];
        workbook(inputs, "02_都市建設部.xlsx", Some(&list), &[b]);
    };
    let inputs = Inputs::new();
    write(&inputs, "現場に持ち出せるタブレット端末の配備", "利便性の向上");
    assert_eq!(codes(&inputs), ["V230 01_総務部.xlsx › 1 › C6", "V230 02_都市建設部.xlsx › 1 › C6"]);
    let v230 = found(&inputs, "V230");
    assert!(v230[0].message.contains("都市建設部") && v230[0].message.contains("利便性の向上"), "{}", v230[0].message);
    // Nearly the same title (a bracketed addition) counts too.
    let inputs = Inputs::new();
    write(&inputs, "現場に持ち出せるタブレット（字図入り）端末の配備", "利便性の向上");
    assert_eq!(found(&inputs, "V230").len(), 2);
    // Near misses: the same classification; a different item.
    let inputs = Inputs::new();
    write(&inputs, "現場に持ち出せるタブレット端末の配備", "業務の効率化");
    assert_eq!(codes(&inputs), Vec::<String>::new());
    let inputs = Inputs::new();
    write(&inputs, "道路台帳システムの更新", "利便性の向上");
    assert_eq!(codes(&inputs), Vec::<String>::new());
}

// 7. Signs across the plan.

#[test]
fn delta_used_both_ways_across_the_plan_is_said_once_to_the_office() {
    // The seed: 経済部's ▲100 ▲100 ▲100 (saved hours, by its text) beside
    // 総務部's △480 △480 1,920 (extra hours while setting up).
    let mut all_delta = sheet("各種産業祭りの歳出の適正化");
    set(&mut all_delta, "業務量削減目標値（時間）", ["▲100", "▲100", "▲100", ""]);
    let mut mixed = sheet("入札参加資格申請のオンライン化");
    set(&mut mixed, "主たる所管部署", ["総務部契約課", "", "", ""]);
    set(&mut mixed, "業務量削減目標値（時間）", ["△480", "△480", "1,920", ""]);
    let inputs = department(&[all_delta.clone(), mixed]);
    assert_eq!(codes(&inputs), ["N103 01_総務部.xlsx › 1 › C17", "N104 01_総務部.xlsx › 2 › C17", "V232 plan.toml"]);
    let v232 = found(&inputs, "V232");
    assert!(v232[0].message.contains("各種産業祭り") && v232[0].message.contains("入札参加資格申請"), "{}", v232[0].message);
    assert!(v232[0].department.is_empty(), "the office's, not a department's");
    // Near miss: rows all in △ alone (no row uses △ for set-up costs).
    let mut other = sheet("会計年度任用職員任用手続の簡素化");
    set(&mut other, "主たる所管部署", ["総務部契約課", "", "", ""]);
    let inputs = department(&[all_delta, other]);
    assert_eq!(codes(&inputs), ["N103 01_総務部.xlsx › 1 › C17"]);
}

// 8. Hints a department can act on.

#[test]
fn related_section_hints_name_a_section_only_for_a_misprint() {
    let inputs = Inputs::new();
    with_branches(&inputs);
    let mut rows = sheet("出退勤管理の電子化");
    set(&mut rows, "関係部署", ["顕田支所市民窓口課、各種使用料等キャッシュレス決済導入課", "", "", ""]);
    workbook(&inputs, "01_総務部.xlsx", Some(&[list_row("1", "出退勤管理の電子化")]), &[rows]);
    let v216 = found(&inputs, "V216");
    assert_eq!(v216.len(), 2);
    let hint = |written: &str| v216.iter().find(|f| f.message.contains(written)).unwrap().hint.clone();
    assert!(hint("顕田").contains("「穎田支所市民窓口課」の誤り"), "{}", hint("顕田"));
    // A description where a 課 belongs: no "nearest" names, a 課 name asked for.
    let description = hint("キャッシュレス決済導入課");
    assert!(!description.contains("誤り") && description.contains("課名"), "{description}");
}

#[test]
fn a_title_mismatch_marks_the_differing_characters() {
    let inputs = Inputs::new();
    workbook(&inputs, "01_総務部.xlsx", Some(&[list_row("1", "入り参加資格申請のオンライン化")]), &[sheet("入札参加資格申請のオンライン化")]);
    let v201 = found(&inputs, "V201");
    assert!(v201[0].message.contains("一覧「入【り】参加資格申請のオンライン化」") && v201[0].message.contains("「入【札】参加資格申請のオンライン化」"), "{}", v201[0].message);
}

#[test]
fn a_hint_names_remarks_only_where_the_sheet_has_a_remarks_column() {
    // The seed's 補助金電子申請システムの導入 (sheet 9): no 備考 column, the
    // explanation typed into the R8 cell.
    let explanation = "メール申請分が移行と仮定 システムそのものの利用料は不要";
    let mut rows = sheet("補助金電子申請システムの導入");
    set(&mut rows, "財政効果目標額（千円）", ["-", "-", explanation, ""]);
    let with_remarks = found(&department(&[rows.clone()]), "N101");
    assert!(with_remarks[0].hint.contains("備考"), "{}", with_remarks[0].hint);
    for r in rows.iter_mut().filter(|r| r[0] == "年度計画" || r[0] == "実績報告") {
        r[4] = String::new();
    }
    let without = found(&department(&[rows]), "N101");
    assert!(!without[0].hint.contains("備考"), "{}", without[0].hint);
}

#[test]
fn an_unquantified_item_is_told_the_same_way_by_n112_and_v208() {
    // N112: an undecided row; V208: no number at all. Both say: "—" with
    // the reason, at least one number, else the office confirms.
    let mut rows = sheet("出退勤管理の電子化");
    set(&mut rows, "業務量削減目標値（時間）", ["—", "—", "—", ""]);
    set(&mut rows, "財政効果目標額（千円）", ["未定", "未定", "未定", ""]);
    let n112 = found(&department(&[rows.clone()]), "N112");
    set(&mut rows, "財政効果目標額（千円）", ["—", "—", "—", "財政効果は令和9年度以降発現予定。"]);
    let inputs = department(&[rows]);
    assert_eq!(codes(&inputs), ["V208 01_総務部.xlsx › 1 › C17"]);
    let v208 = found(&inputs, "V208");
    assert!(v208[0].message.contains("財政効果の備考「財政効果は令和9年度以降発現予定。」"), "{}", v208[0].message);
    for hint in [&n112[0].hint, &v208[0].hint] {
        assert!(hint.contains("少なくとも一つ") && hint.contains("事務局の確認"), "{hint}");
    }
}
