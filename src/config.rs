//! The plan configuration (`plan.toml`): everything the documents need that
//! does not come from the departments' workbooks.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The whole of `plan.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    /// Plan identity (name, city, office).
    pub plan: PlanInfo,
    /// Fiscal years of the plan period, in order.
    pub years: Vec<FiscalYear>,
    /// Document metadata (date, 資料番号).
    #[serde(default)]
    pub document: DocumentInfo,
    /// The vision's 大分類 with their 小分類.
    pub taxonomy: Vec<Daibunrui>,
    /// Organisation master: 部 in document order with their 課.
    pub departments: Vec<Department>,
    /// The vision's 成果指標 (KPIs) with baselines.
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    /// Grades used in the progress year's 評価.
    #[serde(default)]
    pub evaluation_scale: Vec<Grade>,
    /// Known misspellings to look for in prose (e.g. 府内 for 庁内).
    #[serde(default)]
    pub spelling: Vec<Spelling>,
    /// File names of the documents `build` writes (without extension).
    #[serde(default)]
    pub outputs: OutputNames,
    /// Progress rounds whose figures are examples, not the city's own
    /// (their report says サンプル on the cover).
    #[serde(default)]
    pub progress: ProgressInfo,
    /// The vision's wording for the 概要版.
    #[serde(default)]
    pub vision: Vision,
    /// Council meetings and their materials (`gyokaku packet --meeting N`).
    #[serde(default)]
    pub meetings: Vec<Meeting>,
    /// How large a submitted file may be before it is skipped.
    #[serde(default)]
    pub limits: Limits,
    /// What the forms departments fill say (where to send them).
    #[serde(default)]
    pub forms: FormsInfo,
}

/// The forms' line saying where the filled form goes: [forms] submit_to,
/// or else the office named in [plan] — never a folder only the office has.
pub fn submit_line(config: &PlanConfig) -> String {
    let to = config.forms.submit_to.trim();
    if !to.is_empty() {
        format!("提出先: {to}")
    } else if !config.plan.office.trim().is_empty() {
        format!("記入したファイルは{}へ提出してください。", config.plan.office.trim())
    } else {
        "記入したファイルは事務局へ提出してください。".to_string()
    }
}

/// The forms' own wording that comes from the office.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormsInfo {
    /// Where departments send the filled form: an address, a shared
    /// folder, the intake site's page. Printed on every form's 記入要領.
    #[serde(default)]
    pub submit_to: String,
    /// Each round's deadline as the office states it (素案 = "2023-07-31",
    /// R6 = "2025-05-30"), shown on the intake site.
    #[serde(default)]
    pub deadlines: std::collections::BTreeMap<String, String>,
}

/// Size limits on submitted files, so one damaged or hostile file cannot
/// exhaust an office PC's memory. A file past a limit is skipped with a
/// finding (R014, R015); the other workbooks are still read.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct Limits {
    /// Largest workbook file read, in MB (10^6 bytes).
    pub file_mb: u64,
    /// Largest total of the XML parts inside one .xlsx / .ods once
    /// unpacked, in MB: a few kB can unpack to gigabytes (a zip bomb).
    pub unpacked_mb: u64,
    /// Most 個票 in one file of the 素案 booklet: a longer booklet comes in
    /// volumes (分冊), each laid out on its own, so memory stays bounded and
    /// every file opens on an office PC. 500 sheets is about 520 pages.
    pub booklet_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { file_mb: 50, unpacked_mb: 200, booklet_items: 500 }
    }
}

impl Limits {
    pub fn file_bytes(&self) -> u64 {
        self.file_mb.saturating_mul(1_000_000)
    }

    pub fn unpacked_bytes(&self) -> u64 {
        self.unpacked_mb.saturating_mul(1_000_000)
    }
}

/// plan.toml is a hand-edited text of a few kB; anything past this is a
/// wrong file and is refused before it is read.
pub const PLAN_FILE_LIMIT: u64 = 1_000_000;

/// A council meeting: its 次第 and the materials handed out.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct Meeting {
    pub number: u32,
    pub name: String,
    pub date: String,
    pub place: String,
    pub attendees: Vec<String>,
    pub agenda: Vec<String>,
    pub materials: Vec<Material>,
}

/// One 資料 of a meeting: a document the tool makes, or a PDF the city
/// supplies, stamped with `number` on every page.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct Material {
    /// 資料1.
    pub number: String,
    pub title: String,
    /// summary, booklet, priority_list, progress_report (with `year`),
    /// comparison (with `old`, the earlier input folder), or file (with `file`).
    pub document: String,
    pub year: String,
    /// For a comparison: the earlier input folder, relative to this one.
    pub old: String,
    /// A PDF, relative to the input folder.
    pub file: String,
}

/// The vision the plan belongs to, as the 概要版 words it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct Vision {
    pub name: String,
    /// 目指す姿, one line.
    pub goal: String,
    pub goal_text: String,
    /// 大切にしたいこと.
    pub values: Vec<String>,
    pub approach_title: String,
    pub approach: String,
    /// 推進体制, one paragraph each.
    pub promotion: Vec<String>,
    pub timeline: Vec<TimelineBar>,
}

/// A period on the 概要版 timeline, in Western years (inclusive).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineBar {
    pub label: String,
    pub from: i32,
    pub to: i32,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressInfo {
    /// The date each round's report carries (YYYY-MM-DD), by year code:
    /// `dates = { R6 = "2025-05-31" }`. A round without one is dated by
    /// [document] date.
    #[serde(default)]
    pub dates: std::collections::BTreeMap<String, String>,
}

/// Output file names, without extension. Japanese by default; any
/// character a file system forbids is replaced when the file is written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct OutputNames {
    pub booklet: String,
    pub priority_list: String,
    pub items_workbook: String,
    /// Folder of the per-item 進捗管理表 PDFs.
    pub item_sheets: String,
    /// Annual progress report; `{year}` becomes the year code.
    pub progress_report: String,
    /// The one-page 概要版.
    pub summary: String,
    pub validation: String,
    /// The plan period's 最終評価 (`gyokaku report --final`).
    pub final_evaluation: String,
}

impl Default for OutputNames {
    fn default() -> Self {
        OutputNames {
            booklet: "プラン素案".into(),
            priority_list: "取組項目及び優先順位一覧".into(),
            items_workbook: "取組項目個票_集約".into(),
            item_sheets: "進捗管理表".into(),
            progress_report: "{year}進捗状況報告".into(),
            summary: "ビジョン概要版".into(),
            validation: "差し戻し一覧".into(),
            final_evaluation: "プラン最終評価".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInfo {
    pub name: String,
    #[serde(default)]
    pub short_name: String,
    pub city: String,
    #[serde(default)]
    pub office: String,
    #[serde(default)]
    pub stage: String,
}

/// One fiscal year: `code` (R6) is the key used everywhere in the model.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FiscalYear {
    pub code: String,
    pub era: String,
    pub western: i32,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentInfo {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub date_label: String,
    #[serde(default)]
    pub material_number: String,
    /// The 確認用 notice every page of an office copy prints (`packet
    /// --draft`); never read from plan.toml.
    #[serde(skip)]
    pub review: String,
}

/// A 大分類 and its 小分類, each with accepted aliases.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Daibunrui {
    pub daibunrui: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub shobunrui: Vec<Shobunrui>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Shobunrui {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One line for the 概要版 (e.g. 新しい技術の活用による業務の効率化など).
    #[serde(default)]
    pub summary: String,
}

/// A 部 of the organisation master.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Order code, "01".. ; orders departments in every document.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub sections: Vec<Section>,
}

/// A 課 (or 室, 事務局) with the proposal count the organisation table declares.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// 提案件数 as declared in the organisation table, if given.
    #[serde(default)]
    pub declared: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub name: String,
    #[serde(default)]
    pub source: String,
    pub baseline: f64,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub direction: String,
    /// Measured value per year code (R6 = 7.4), as each year's survey gives it.
    #[serde(default)]
    pub measured: std::collections::BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub grade: String,
    pub label: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Spelling {
    pub wrong: String,
    pub right: String,
}

impl PlanConfig {
    /// The grades of plan.toml's evaluation scale, or the default one.
    pub fn grades(&self) -> Vec<(String, String)> {
        if self.evaluation_scale.is_empty() {
            DEFAULT_SCALE.iter().map(|(g, m)| (g.to_string(), m.to_string())).collect()
        } else {
            self.evaluation_scale.iter().map(|g| (g.grade.clone(), g.label.clone())).collect()
        }
    }

    /// The plan.toml of an input folder, with a clear message when the
    /// folder itself is missing.
    pub fn load_input(input_dir: &Path) -> anyhow::Result<PlanConfig> {
        if !input_dir.is_dir() {
            anyhow::bail!("{}: 入力フォルダが見つかりません。フォルダの場所を確かめてください（新しく始めるときは gyokaku init でフォルダを作れます）", input_dir.display());
        }
        PlanConfig::load(&input_dir.join("plan.toml"))
    }

    /// Reads and checks `plan.toml`. Errors name the file and say what is wrong.
    pub fn load(path: &Path) -> anyhow::Result<PlanConfig> {
        let text = read_plan_text(path)?;
        let config: PlanConfig = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), describe_error(&text, &e)))?;
        config.check().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        if self.years.is_empty() {
            return Err("[[years]] がありません。計画期間の年度を一つ以上書いてください".into());
        }
        if self.taxonomy.is_empty() {
            return Err("[[taxonomy]] がありません。ビジョンの大分類と小分類を書いてください".into());
        }
        if self.departments.is_empty() {
            return Err("[[departments]] がありません。組織（部と課）を書いてください".into());
        }
        let mut codes: Vec<&str> = self.departments.iter().map(|d| d.code.as_str()).collect();
        codes.sort();
        if let Some(w) = codes.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("[[departments]] の code = \"{}\" が二つの部で使われています", w[0]));
        }
        for (year, date) in &self.progress.dates {
            if !self.years.iter().any(|y| &y.code == year) {
                return Err(format!("[progress] dates: {year} は計画期間の年度（[[years]] の code）にありません"));
            }
            if crate::era::era_date(date).is_none() {
                return Err(format!("[progress] dates: {year} = {date:?} は日付ではありません（2025-05-31 のように書いてください）"));
            }
        }
        // Indicator values go into the documents as numbers; one Typst
        // cannot lay out would stop the 概要版 and the progress report.
        for indicator in &self.indicators {
            let values = std::iter::once(("baseline".to_string(), indicator.baseline))
                .chain(indicator.measured.iter().map(|(y, v)| (format!("measured.{y}"), *v)));
            for (key, value) in values {
                if !value.is_finite() || value.abs() > 1e12 {
                    return Err(format!("[[indicators]] {}: {key} = {value} は範囲外です（±10^12 まで）", indicator.name));
                }
            }
        }
        if self.limits.file_mb == 0 || self.limits.unpacked_mb == 0 || self.limits.booklet_items == 0 {
            return Err("[limits] の file_mb、unpacked_mb、booklet_items は 1 以上にしてください".into());
        }
        Ok(())
    }

    /// Year codes in plan order (R6, R7, R8).
    pub fn year_codes(&self) -> Vec<String> {
        self.years.iter().map(|y| y.code.clone()).collect()
    }

    /// The date documents carry (YYYY-MM-DD): [document] date, or 1 April
    /// of the plan's first year when none is set. Never the clock, so the
    /// same inputs give the same bytes.
    pub fn document_date(&self) -> String {
        if self.document.date.trim().is_empty() {
            format!("{}-04-01", self.years.first().map(|y| y.western).unwrap_or(2000))
        } else {
            self.document.date.trim().to_string()
        }
    }

    /// The date a round's report carries: [progress] dates, else the
    /// document date.
    pub fn round_date(&self, year: &str) -> String {
        match self.progress.dates.get(year) {
            Some(date) => date.trim().to_string(),
            None => self.document_date(),
        }
    }

    /// The year's label as documents print it: 令和6(2024)年度.
    pub fn year_label(&self, code: &str) -> String {
        match self.years.iter().find(|y| y.code == code) {
            Some(y) => match y.era.strip_suffix("年度") {
                Some(era) => format!("{era}({})年度", y.western),
                None => format!("{}({})", y.era, y.western),
            },
            None => code.to_string(),
        }
    }

    pub fn department(&self, name: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.name == name)
    }
}

/// Reads plan.toml as text, refusing what cannot be a plan configuration
/// before reading it whole: not a regular file (a FIFO would block), over
/// [`PLAN_FILE_LIMIT`], or not UTF-8 (Shift_JIS from an old editor).
fn read_plan_text(path: &Path) -> anyhow::Result<String> {
    use std::io::Read;
    let fail = |what: String| anyhow::anyhow!("{}: {what}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("設定ファイルを読めません（{e}）。ファイルの場所と読み取りの権限を確かめてください")))?;
    if !meta.is_file() {
        return Err(fail("設定ファイルを読めません: 通常のファイルではありません（not a regular file）".into()));
    }
    if meta.len() > PLAN_FILE_LIMIT {
        return Err(fail(format!(
            "{} バイトあります。設定ファイルは {PLAN_FILE_LIMIT} バイトまでです（別のファイルではありませんか）",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(PLAN_FILE_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(|e| fail(format!("設定ファイルを読めません（{e}）。ファイルの場所と読み取りの権限を確かめてください")))?;
    if bytes.len() as u64 > PLAN_FILE_LIMIT {
        return Err(fail(format!("{PLAN_FILE_LIMIT} バイトを超えています。設定ファイルは {PLAN_FILE_LIMIT} バイトまでです")));
    }
    // Windows editors often start UTF-8 with a byte order mark.
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let upto = &body[..e.valid_up_to()];
            let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
            Err(fail(format!(
                "{line}行目: UTF-8 の文字ではありません（{} バイト目）。plan.toml を UTF-8 で保存し直してください（Shift_JIS かもしれません）",
                e.valid_up_to() + 1
            )))
        }
    }
}

/// The evaluation scale used when plan.toml declares none.
pub const DEFAULT_SCALE: [(&str, &str); 4] = [
    ("A", "十分に達成"),
    ("B", "概ね達成"),
    ("C", "一部未達成"),
    ("D", "未着手・大幅な遅れ"),
];

/// A TOML error as the office reads it: the line, and for a key or table
/// plan.toml does not know, the nearest name it does
/// (「[[department]] は使えません。[[departments]] のことですか」).
pub fn describe_error(text: &str, error: &toml::de::Error) -> String {
    let line_no = error.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let at = line_no.map(|n| format!("{n}行目: ")).unwrap_or_default();
    let message = error.message();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, rest) = rest.split_once('`').unwrap_or((rest, ""));
        let known: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
        // Written as a table header ([x] or [[x]]) or as a key.
        let line = line_no.and_then(|n| text.lines().nth(n - 1)).unwrap_or("").trim_start();
        let shape = |n: &str| {
            if line.starts_with("[[") {
                format!("[[{n}]]")
            } else if line.starts_with('[') {
                format!("[{n}]")
            } else {
                n.to_string()
            }
        };
        let nearest = known
            .iter()
            .map(|k| (strsim::jaro_winkler(name, k), *k))
            .filter(|(score, _)| *score >= 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k);
        return match nearest {
            Some(k) => format!("{at}{} は使えません。{} のことですか", shape(name), shape(k)),
            None if known.is_empty() => format!("{at}{} は使えません（ここには項目を書けません）", shape(name)),
            None => format!("{at}{} は使えません（使える項目: {}）", shape(name), known.join("、")),
        };
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return format!("{at}必要な項目 {name} がありません");
    }
    format!("{at}{message}")
}
