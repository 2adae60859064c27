//! The validator on the sample inputs (the seed's real content): the model it
//! builds and the findings it must report, by code and place.

use gyokaku::config::PlanConfig;
use gyokaku::findings::{Finding, Severity};
use gyokaku::model::Item;
use gyokaku::pipeline::{self, Run};
use std::path::Path;
use std::sync::OnceLock;

fn sample() -> &'static (PlanConfig, Run) {
    static RUN: OnceLock<(PlanConfig, Run)> = OnceLock::new();
    RUN.get_or_init(|| {
        let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
        let config = PlanConfig::load(&input.join("plan.toml")).expect("plan.toml");
        let run = pipeline::run(&input, &config).expect("run");
        (config, run)
    })
}

fn item(title_prefix: &str) -> &'static Item {
    let matches: Vec<&Item> = sample().1.items.iter().filter(|i| i.title.starts_with(title_prefix)).collect();
    assert_eq!(matches.len(), 1, "exactly one item titled {title_prefix}…");
    matches[0]
}

fn findings(code: &str) -> Vec<&'static Finding> {
    sample().1.findings.iter().filter(|f| f.code == code).collect()
}

fn places(code: &str) -> Vec<String> {
    findings(code).iter().map(|f| f.place()).collect()
}

#[test]
fn all_91_sheets_become_items_numbered_in_department_then_priority_order() {
    let run = &sample().1;
    assert_eq!(run.items.len(), 91);
    let numbers: Vec<u32> = run.items.iter().map(|i| i.number).collect();
    assert_eq!(numbers, (1..=91).collect::<Vec<_>>());
    // The seed's own page order: 入札参加 is page 6, 下水道 is 84, the unlisted sheets follow.
    assert_eq!(item("入札参加資格申請").number, 6);
    assert_eq!(item("下水道排水設備").number, 84);
    assert_eq!(item("会議録作成支援システムの活用").number, 87);
    let codes: Vec<&str> = run.items.iter().map(|i| i.department_code.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "departments in master order");
    assert_eq!(run.items.iter().filter(|i| i.department == "行政経営部").count(), 29);
}

#[test]
fn every_item_has_its_source_and_list_priority() {
    let run = &sample().1;
    for item in &run.items {
        assert!(!item.source.file.is_empty() && !item.source.sheet.is_empty());
        assert!(item.source.cells.contains_key("title"), "{}", item.title);
    }
    assert_eq!(run.items.iter().filter(|i| i.priority.is_some()).count(), 84);
    let drone = item("工事の現場確認用ドローン");
    assert_eq!((drone.priority, drone.source.list_row), (Some(3), Some(6)));
}

#[test]
fn fields_are_read_by_label_and_prose_is_kept() {
    let it = item("職員の資格取得の奨励");
    assert_eq!(it.daibunrui, "人（職員）の改革");
    assert_eq!(it.shobunrui, "人材の育成・確保");
    assert_eq!(it.primary_sections, ["総務部人事課"]);
    assert_eq!(it.references, "北見市（一級建築士）、三鷹市");
    assert_eq!(it.plan_rows.len(), 1);
    assert_eq!(it.plan_rows[0].label, "要綱等の整備、予算要求");
    assert_eq!(it.plan_rows[0].years["R6"], "要綱制定、予算要求");
    assert_eq!(it.plan_rows[0].years["R7"], "運用開始");
    // Several sections in one cell, and in several cells.
    let kaikei = item("会計年度任用職員1級");
    assert_eq!(kaikei.primary_sections, ["業務改善・DX推進課", "総務部人事課"]);
    assert_eq!(kaikei.primary_resolved[0].section, "業務改善・DX推進課");
    let renkei = item("実施計画、行政評価と予算の連動");
    assert_eq!(renkei.primary_sections.len(), 3);
    assert_eq!(renkei.primary_resolved[2].section, "業務改善・DX推進課");
}

#[test]
fn amounts_follow_the_canonical_sign_convention() {
    // Mixed signs are kept as written: extra hours while introducing, then savings.
    let nyusatsu = item("入札参加資格申請");
    assert_eq!(nyusatsu.workload_target["R6"].value, Some(-480.0));
    assert_eq!(nyusatsu.workload_target["R8"].value, Some(1920.0));
    assert_eq!(nyusatsu.workload_target["R8"].raw, "1,920");
    assert_eq!(nyusatsu.fiscal_target["R8"].value, None);
    assert_eq!(nyusatsu.fiscal_target["R8"].note, "設置運用コスト");
    // All-△ rows are taken as written (costs) until the office decides
    // otherwise; N103 gives both readings.
    let pc = item("パソコンの処理容量の増設");
    assert_eq!(pc.workload_target["R7"].value, Some(-24.0));
    assert_eq!(pc.workload_target["R7"].note, "一人当たり");
    assert_eq!(pc.fiscal_target["R8"].value, Some(-3000.0));
    assert!(pc.signs_unconfirmed);
    // A note beside the number.
    let chiho = item("筑穂支所（4階会議室）の貸付");
    assert_eq!(chiho.fiscal_target["R6"].value, Some(3395.0));
    assert_eq!(chiho.fiscal_target["R6"].note, "※令和2年度実績");
    // A number typed as a number (行政経営部's workbook) reads the same as text.
    let mobile = item("市長および副市長");
    assert_eq!(mobile.workload_target["R6"].value, Some(198.0));
}

#[test]
fn title_mismatches_between_list_and_sheet() {
    // The message marks where they differ (入【り】参加 / 入【札】参加); what
    // they are about is the two titles as written.
    let found: Vec<String> = findings("V201").iter().map(|f| f.written.clone().unwrap_or_default()).collect();
    for (list, sheet) in [
        ("入り参加資格申請のオンライン化", "入札参加資格申請のオンライン化"),
        ("カスタマーハラスマント", "カスタマーハラスメント"),
        ("完全ペーパーレス化", "完全ペーパレス化"),
        ("多様な働き方の推進", "多用な働き方の推進"),
        ("ミッドナイトオートレスの拡充", "ミッドナイトオートレースの拡充"),
    ] {
        assert!(found.iter().any(|m| m.contains(list) && m.contains(sheet)), "{list} / {sheet}");
    }
    assert!(places("V201").contains(&"01_総務部.xlsx › 優先順位一覧 › B9".to_string()));
    assert!(findings("V201").iter().any(|f| f.message.contains("入【り】参加") && f.message.contains("入【札】参加")));
    assert_eq!(item("入札参加資格申請").list_title.as_deref(), Some("入り参加資格申請のオンライン化"));
}

#[test]
fn sheets_without_a_list_row_and_departments_without_a_list() {
    assert_eq!(places("V202"), ["08_企業局.xlsx › 2 › C4", "08_企業局.xlsx › 3 › C4"]);
    assert_eq!(places("V204"), ["09_議会事務局.xlsx", "10_教育部.xlsx"]);
    assert!(findings("V203").is_empty(), "every list row of the seed has its sheet");
}

#[test]
fn daibunrui_differs_between_list_and_sheet() {
    assert_eq!(places("V205"), ["07_都市建設部.xlsx › 優先順位一覧 › D6"]);
    assert!(findings("V205")[0].message.contains("施設・モノの改革"));
    assert_eq!(findings("V205")[0].severity, Severity::Error);
}

#[test]
fn shobunrui_alias_is_accepted_and_reported() {
    // Six sheets and the six list cells that write the alias, each where
    // it is written.
    let alias = findings("N105");
    assert_eq!(alias.len(), 12);
    assert_eq!(alias.iter().filter(|f| f.sheet.as_deref() == Some("優先順位一覧")).count(), 6);
    assert!(alias.iter().all(|f| f.message.contains("歳出の抑制") && f.message.contains("歳出の適正化")));
    assert_eq!(item("行政評価の有効活用").shobunrui, "歳出の適正化");
    assert!(findings("N106").is_empty(), "no unknown taxonomy value in the seed");
}

#[test]
fn empty_required_field() {
    assert_eq!(places("V207"), ["02_行政経営部.xlsx › 10 › C7"]);
    assert!(findings("V207")[0].message.contains("主たる所管部署"));
}

#[test]
fn targets_that_are_not_numbers_and_mixed_signs() {
    assert!(places("N104").contains(&"01_総務部.xlsx › 6 › C18".to_string()));
    let expressions = findings("N102");
    assert!(expressions.iter().any(|f| f.message.contains("災害箇所1か所×0.5時間")));
    assert!(findings("N101").iter().any(|f| f.message.contains("人件費")));
    assert!(findings("N103").iter().any(|f| f.place() == "07_都市建設部.xlsx › 1 › D20"));
}

#[test]
fn items_without_a_quantified_target_match_the_model() {
    let run = &sample().1;
    let without = run.items.iter().filter(|i| !gyokaku::figures::has_numeric_target(i)).count();
    // Items whose targets say they are undecided were told so at the cell (N112).
    let undecided = |i: &&gyokaku::model::Item| i.workload_target.values().chain(i.fiscal_target.values()).any(|a| a.value.is_none() && !a.note.is_empty());
    let silent = run.items.iter().filter(|i| !gyokaku::figures::has_numeric_target(i)).filter(|i| !undecided(i)).count();
    assert_eq!(findings("V208").len(), silent);
    // N112 once per row, however many years say 未定.
    let rows: std::collections::HashSet<(String, String, String)> =
        findings("N112").iter().map(|f| (f.file.clone(), f.sheet.clone().unwrap_or_default(), f.message.split('が').next().unwrap_or("").to_string())).collect();
    assert_eq!(rows.len(), findings("N112").len(), "one N112 per target row");
    assert!(without > 40, "the council's complaint: most items have no number ({without})");
    assert!(gyokaku::figures::has_numeric_target(item("入札参加資格申請")));
}

#[test]
fn duplicate_priorities_within_a_department() {
    // 行政経営部: 8 three times, 9 four times; 福祉部: 1 five times.
    let dup = findings("V210");
    assert_eq!(dup.len(), 2 + 3 + 4);
    assert_eq!(dup.iter().filter(|f| f.department == "福祉部").count(), 4);
}

#[test]
fn proposal_counts_disagree_where_sheets_or_lists_do() {
    // Counted by the list, the seed's 組織一覧 matches; counted by each
    // sheet's first 主たる所管部署 it does not, and 企業局's two unlisted
    // sheets are on no list. Every disagreement names all three numbers
    // and where the items counted are (sheets, list rows).
    let mut messages: Vec<String> = findings("V209").iter().map(|f| f.message.clone()).collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "企業局上水道課: 組織一覧の提案件数 1件に対し、個票の主たる所管部署（先頭）1件、一覧の主たる所管部署 0件です（個票: 08_企業局.xlsx の シート 3）",
            "企業局企業管理課: 組織一覧の提案件数 1件に対し、個票の主たる所管部署（先頭）1件、一覧の主たる所管部署 0件です（個票: 08_企業局.xlsx の シート 2）",
            "総務部人事課: 組織一覧の提案件数 10件に対し、個票の主たる所管部署（先頭）9件、一覧の主たる所管部署 10件です（個票: 01_総務部.xlsx の シート 1、2、3、8、10、13、14、15、16／一覧: 01_総務部.xlsx › 優先順位一覧 の 4、5、6、11、13、15、16、17、18、19行目）",
            "行政経営部総合政策課: 組織一覧の提案件数 1件に対し、個票の主たる所管部署（先頭）0件、一覧の主たる所管部署 1件です（一覧: 02_行政経営部.xlsx › 優先順位一覧 の 7行目）",
            "行政経営部財政課: 組織一覧の提案件数 3件に対し、個票の主たる所管部署（先頭）4件、一覧の主たる所管部署 3件です（個票: 02_行政経営部.xlsx の シート 1、2、3、4／一覧: 02_行政経営部.xlsx › 優先順位一覧 の 4、5、6行目）",
        ]
    );
}

#[test]
fn misspelling_and_copy_slip() {
    assert!(findings("V212").iter().all(|f| f.message.contains("府内")));
    assert!(places("V212").contains(&"02_行政経営部.xlsx › 8 › C4".to_string()), "府内 in a title");
    assert_eq!(places("V213"), ["01_総務部.xlsx › 5 › C10"]);
}

#[test]
fn sections_resolve_with_spelling_variants_and_approximations() {
    let furusato = item("企業版ふるさと納税");
    assert_eq!(furusato.primary_resolved[0].section, "特産品振興・ふるさと応援課");
    let nougyou = item("農業委員会のペーパーレス化");
    assert_eq!(nougyou.primary_resolved[0].section, "農業委員会");
    assert!(findings("N109").is_empty(), "every section of the seed resolves");
    assert_eq!(places("N110"), ["01_総務部.xlsx › 12 › C7"]);
}

#[test]
fn example_and_helper_sheets_are_skipped_not_read() {
    assert_eq!(places("R005"), ["05_経済部.xlsx › 選択肢", "06_福祉部.xlsx › 記入例"]);
    assert!(sample().1.items.iter().all(|i| !i.title.contains("記入例")));
}

#[test]
fn clean_items_get_no_findings() {
    let run = &sample().1;
    // (人材の戦略的確保に向けた取組み, once used here, has no 年度計画 rows
    // and no 各年度目標 in the seed: V219 and V220 say so.)
    let it = item("公民共創による業務改善の促進");
    let on_it: Vec<&Finding> = run
        .findings
        .iter()
        .filter(|f| f.file == it.source.file && f.sheet.as_deref() == Some(it.source.sheet.as_str()))
        .filter(|f| f.code != "V208")
        .collect();
    assert!(on_it.is_empty(), "{on_it:?}");
    assert!(!it.has_errors);
    assert!(item("職員の意識改革に係る各種研修の実施③").has_errors);
}

#[test]
fn seed_problems_are_found_on_their_sheets() {
    // 関係部署: a misprint inside a list of 支所, a misprinted 支所, and a
    // description where a 課 belongs; the nearest names as the hint.
    assert_eq!(
        places("V216"),
        ["03_市民協働部.xlsx › 4 › C8", "03_市民協働部.xlsx › 5 › C8", "05_経済部.xlsx › 4 › C8", "07_都市建設部.xlsx › 4 › C13"]
    );
    let kenda = findings("V216").into_iter().find(|f| f.message.contains("顕田")).unwrap();
    assert!(kenda.hint.contains("穎田支所経済建設課"), "{}", kenda.hint);
    // Sheet 5's shifted rows: one error, not five fake sections.
    assert_eq!(places("V217"), ["01_総務部.xlsx › 5 › C8"]);
    assert!(item("デジタル版").has_errors);
    // The list's truncated and misnamed sections.
    assert_eq!(places("N108"), ["05_経済部.xlsx › 優先順位一覧 › C6", "05_経済部.xlsx › 優先順位一覧 › C8", "05_経済部.xlsx › 優先順位一覧 › C9"]);
    // 総合政策課 on the list, 財政課 first on the sheet.
    assert!(places("V214").contains(&"02_行政経営部.xlsx › 優先順位一覧 › C7".to_string()), "{:?}", places("V214"));
    // Targets that are not plain numbers.
    let noted: Vec<String> = findings("N111").iter().map(|f| f.message.clone()).collect();
    assert!(noted.iter().any(|m| m.contains("3,395（千円）※令和2年度実績")));
    assert!(noted.iter().any(|m| m.contains("△24時間（一人当たり）")));
    let undecided: Vec<String> = findings("N112").iter().map(|f| f.message.clone()).collect();
    for written in ["(運用コスト)", "未定", "不明（準備分は通常分に上乗せ）"] {
        assert!(undecided.iter().any(|m| m.contains(&format!("「{written}」"))), "{written}");
    }
    // Missing content: no task rows, no 各年度目標, a number only in 備考.
    assert!(places("V219").contains(&"01_総務部.xlsx › 2 › B13".to_string()));
    assert!(places("V220").contains(&"01_総務部.xlsx › 2 › C14".to_string()));
    assert_eq!(places("V222"), ["04_市民環境部.xlsx › 1 › C20"]);
    // A sales total and a donation total as "fiscal effects".
    let implausible: Vec<String> = findings("V223").iter().map(|f| f.message.clone()).collect();
    assert_eq!(implausible.len(), 2);
    assert!(implausible[0].contains("ミッドナイトオートレース") && implausible[0].contains("10,979,511"));
}

#[test]
fn dashes_and_plain_numbers_raise_nothing() {
    // A row of plain numbers and dashes is what the form asks for.
    for f in findings("N111").iter().chain(findings("N112").iter()).chain(findings("N113").iter()) {
        assert!(!f.message.contains("「—」") && !f.message.contains("「－」"), "{}", f.message);
    }
    // 関係部署 written as collective words or whole 部 is fine.
    // (庁内各課; 総務部、行政経営部 … 各行政委員会; 経済建設課 with 支所 names.)
    for title in ["組織や仕事への貢献意欲向上", "会議録作成支援システムの活用", "農業管理DX"] {
        let it = sample().1.items.iter().find(|i| i.title.starts_with(title)).unwrap_or_else(|| panic!("{title}"));
        let on_it = sample().1.findings.iter().filter(|f| f.code == "V216" && f.file == it.source.file && f.sheet.as_deref() == Some(it.source.sheet.as_str())).count();
        assert_eq!(on_it, 0, "{title}");
    }
}

#[test]
fn every_code_found_on_the_sample_is_documented() {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/findings.md")).unwrap();
    for f in &sample().1.findings {
        assert!(docs.contains(&format!("| {} |", f.code)), "{} missing from docs/findings.md", f.code);
    }
}
