//! Validation findings: stable code, severity, place (file › sheet › cell),
//! what is wrong and how to fix it — the shape of a rustc diagnostic.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// The word a clerk reads in the reports.
    pub fn label_ja(self) -> &'static str {
        match self {
            Severity::Error => "エラー",
            Severity::Warning => "警告",
            Severity::Info => "情報",
        }
    }
}

/// Every finding code the tool emits, with its severity. Codes are stable:
/// departments and scripts may refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// R001 the file cannot be read as a workbook.
    Unreadable,
    /// R002 the workbook is password protected.
    PasswordProtected,
    /// R003 the workbook has no sheet with content.
    EmptyWorkbook,
    /// R004 a sheet has content but no known layout.
    UnknownLayout,
    /// R005 a 記入例 or hidden helper sheet was skipped.
    SkippedSheet,
    /// R006 a cell is longer than Excel allows.
    CellTooLong,
    /// R007 a cell holds a formula error (#DIV/0! ...).
    FormulaError,
    /// R008 a hidden sheet holds an item; it was not read.
    HiddenItemSheet,
    /// R009 a file in the submissions folder is not a workbook.
    NotAWorkbook,
    /// R010 a label expected on an item sheet is missing.
    MissingLabel,
    /// R011 the 年度計画 header does not name the plan's years.
    YearColumnsGuessed,
    /// R012 the workbook's department could not be told from its name or items.
    UnknownDepartment,
    /// R013 not a regular file (a FIFO, a device) or a link leading out of the folder.
    NotARegularFile,
    /// R014 a file over the size limit; not read.
    FileTooLarge,
    /// R015 a workbook that unpacks past the limit (a zip bomb); not read.
    UnpackedTooLarge,
    /// R016 values outside the area read (far cells); not read.
    CellsOutOfBounds,
    /// R017 office temporary files (lock files) in a folder; not read.
    OfficeTempFiles,
    /// R018 two files of one department in a round: the newer is read.
    Superseded,
    /// N101 a target is not a number.
    NotANumber,
    /// N102 a target is an expression, kept as text.
    Expression,
    /// N103 a target's sign was converted to the canonical convention.
    SignConverted,
    /// N104 a target row mixes signs.
    MixedSigns,
    /// N105 a 大分類 / 小分類 alias was used.
    TaxonomyAlias,
    /// N106 a 大分類 / 小分類 is unknown.
    TaxonomyUnknown,
    /// N107 a section was matched by normalising its spelling.
    SectionSpelling,
    /// N108 a section was matched approximately.
    SectionApproximate,
    /// N109 a section is not in the organisation master.
    SectionUnknown,
    /// N110 the primary section belongs to another 部 than the submitting one.
    SectionOtherDepartment,
    /// N111 a target is a number written with a note, unit or qualifier.
    NumberWithNote,
    /// N112 a target says it is undecided or unknown (未定, 不明, (運用コスト)).
    TargetUndecided,
    /// N113 a kanji or kana (一, ー) written as a dash in a target.
    DashLookalike,
    /// N114 a zero written with a sign (-0, △0) in a target or result; read as 0.
    SignedZero,
    /// V201 the title differs between the list and the sheet.
    TitleMismatch,
    /// V202 a sheet has no row in the department's list.
    SheetNotInList,
    /// V203 a list row has no sheet.
    ListRowWithoutSheet,
    /// V204 the workbook has no list sheet.
    NoListSheet,
    /// V205 大分類 differs between list and sheet.
    DaibunruiMismatch,
    /// V206 小分類 differs between list and sheet.
    ShobunruiMismatch,
    /// V207 a required field is empty.
    RequiredEmpty,
    /// V208 no year has a numeric 業務量 or 財政効果 target.
    NoQuantifiedTarget,
    /// V209 the organisation table's proposal count differs from what was submitted.
    ProposalCountMismatch,
    /// V210 two list rows of a department share a priority.
    DuplicatePriority,
    /// V211 the same item was submitted twice.
    DuplicateItem,
    /// V212 a known misspelling (府内 for 庁内).
    Misspelling,
    /// V213 a field holds another field's label (copy slip).
    LabelAsValue,
    /// V214 主たる所管部署 differs between list and sheet.
    SectionMismatch,
    /// V215 a list row's priority is not a whole number.
    BadPriority,
    /// V216 a 関係部署 is not in the organisation master.
    RelatedUnknown,
    /// V217 関係部署 holds prose: the sheet's rows look shifted.
    RowsShifted,
    /// V218 関係部署 is empty.
    RelatedEmpty,
    /// V219 the 年度計画 has no task rows.
    NoPlanRows,
    /// V220 各年度目標 is empty in every year.
    YearlyGoalsEmpty,
    /// V221 各年度目標 is empty in some years.
    YearlyGoalsPartly,
    /// V222 a target row looks one column off (a number only in 備考).
    TargetColumnOff,
    /// V223 a 財政効果 an order of magnitude above every other item's.
    ImplausibleFiscalEffect,
    /// V224 a 年度計画 row with values in its years but no label.
    PlanRowUnlabelled,
    /// V225 a 年度計画 row with a label but nothing in any year (nor 備考).
    PlanRowEmpty,
    /// V226 年度計画 labels shared with other items of the department, with rows empty in every year (a template left as copied).
    PlanRowsCopied,
    /// V227 a title differs from its other copy only by a space.
    TitleSpacing,
    /// V228 several 課 written as 主たる所管部署 (the first is taken as primary).
    SeveralPrimary,
    /// V229 the primary section repeated in 関係部署.
    PrimaryInRelated,
    /// V230 the same or nearly the same title filed by another department under another 大分類 / 小分類.
    ClassificationAcrossDepartments,
    /// V231 a 課 or 支所 named in prose that is not in the organisation master.
    NameInProseUnknown,
    /// V232 △ used in both senses across the plan (rows all in △ beside rows mixing signs).
    SignsBothWays,
    /// T301 a character no shipped or added font can draw.
    MissingGlyph,
    /// P401 a progress form's sheet matches no item of the plan.
    ProgressUnknownItem,
    /// P402 results written for a year the round is not for.
    ProgressYearNotOpen,
    /// P403 an hours / 千円 result that is not a number.
    ProgressNotANumber,
    /// P404 a grade outside the evaluation scale.
    ProgressBadGrade,
    /// P405 a plan field edited in a progress form (not taken).
    ProgressPlanEdited,
    /// P406 a form for another year in the round's folder.
    ProgressWrongYear,
    /// P407 items with no result for the year (未提出).
    ProgressMissing,
    /// P408 a form matched by title only or by number only.
    ProgressMatched,
    /// P409 two reports for one item.
    ProgressDuplicate,
    /// D501 a decision no longer holds: the cell changed since.
    DecisionStale,
    /// D502 a decision answers no finding any more.
    DecisionUnused,
}

impl Code {
    pub fn id(self) -> &'static str {
        use Code::*;
        match self {
            Unreadable => "R001",
            PasswordProtected => "R002",
            EmptyWorkbook => "R003",
            UnknownLayout => "R004",
            SkippedSheet => "R005",
            CellTooLong => "R006",
            FormulaError => "R007",
            HiddenItemSheet => "R008",
            NotAWorkbook => "R009",
            MissingLabel => "R010",
            YearColumnsGuessed => "R011",
            UnknownDepartment => "R012",
            NotARegularFile => "R013",
            FileTooLarge => "R014",
            UnpackedTooLarge => "R015",
            CellsOutOfBounds => "R016",
            OfficeTempFiles => "R017",
            Superseded => "R018",
            NotANumber => "N101",
            Expression => "N102",
            SignConverted => "N103",
            MixedSigns => "N104",
            TaxonomyAlias => "N105",
            TaxonomyUnknown => "N106",
            SectionSpelling => "N107",
            SectionApproximate => "N108",
            SectionUnknown => "N109",
            SectionOtherDepartment => "N110",
            NumberWithNote => "N111",
            TargetUndecided => "N112",
            DashLookalike => "N113",
            SignedZero => "N114",
            TitleMismatch => "V201",
            SheetNotInList => "V202",
            ListRowWithoutSheet => "V203",
            NoListSheet => "V204",
            DaibunruiMismatch => "V205",
            ShobunruiMismatch => "V206",
            RequiredEmpty => "V207",
            NoQuantifiedTarget => "V208",
            ProposalCountMismatch => "V209",
            DuplicatePriority => "V210",
            DuplicateItem => "V211",
            Misspelling => "V212",
            LabelAsValue => "V213",
            SectionMismatch => "V214",
            BadPriority => "V215",
            RelatedUnknown => "V216",
            RowsShifted => "V217",
            RelatedEmpty => "V218",
            NoPlanRows => "V219",
            YearlyGoalsEmpty => "V220",
            YearlyGoalsPartly => "V221",
            TargetColumnOff => "V222",
            ImplausibleFiscalEffect => "V223",
            PlanRowUnlabelled => "V224",
            PlanRowEmpty => "V225",
            PlanRowsCopied => "V226",
            TitleSpacing => "V227",
            SeveralPrimary => "V228",
            PrimaryInRelated => "V229",
            ClassificationAcrossDepartments => "V230",
            NameInProseUnknown => "V231",
            SignsBothWays => "V232",
            MissingGlyph => "T301",
            ProgressUnknownItem => "P401",
            ProgressYearNotOpen => "P402",
            ProgressNotANumber => "P403",
            ProgressBadGrade => "P404",
            ProgressPlanEdited => "P405",
            ProgressWrongYear => "P406",
            ProgressMissing => "P407",
            ProgressMatched => "P408",
            ProgressDuplicate => "P409",
            DecisionStale => "D501",
            DecisionUnused => "D502",
        }
    }

    pub fn severity(self) -> Severity {
        use Code::*;
        match self {
            Unreadable | PasswordProtected | CellTooLong | FormulaError | TaxonomyUnknown
            | SheetNotInList | ListRowWithoutSheet | DaibunruiMismatch | ShobunruiMismatch
            | RequiredEmpty | SectionUnknown | BadPriority | ProgressUnknownItem | ProgressBadGrade
            | ProgressWrongYear | RowsShifted | FileTooLarge | UnpackedTooLarge => Severity::Error,
            EmptyWorkbook | UnknownLayout | UnknownDepartment | HiddenItemSheet | MissingLabel | YearColumnsGuessed
            | NotANumber | Expression | MixedSigns | SectionApproximate
            | SectionOtherDepartment | TitleMismatch | NoListSheet | NoQuantifiedTarget
            | ProposalCountMismatch | DuplicatePriority | DuplicateItem | Misspelling
            | LabelAsValue | SectionMismatch | MissingGlyph | ProgressYearNotOpen | ProgressNotANumber
            | ProgressPlanEdited | ProgressMissing | ProgressDuplicate | NumberWithNote | TargetUndecided
            | RelatedUnknown | NoPlanRows | YearlyGoalsEmpty | TargetColumnOff | ImplausibleFiscalEffect
            | NotARegularFile | CellsOutOfBounds | SignedZero | DecisionStale | SignConverted | PlanRowUnlabelled
            | PlanRowEmpty | PlanRowsCopied | ClassificationAcrossDepartments | NameInProseUnknown | SignsBothWays => Severity::Warning,
            SkippedSheet | NotAWorkbook | OfficeTempFiles | Superseded | DecisionUnused | TaxonomyAlias | SectionSpelling | ProgressMatched
            | DashLookalike | RelatedEmpty | YearlyGoalsPartly | TitleSpacing | SeveralPrimary | PrimaryInRelated => {
                Severity::Info
            }
        }
    }
}

/// One finding, ready for the terminal, JSON, HTML and xlsx.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    /// 部 the finding belongs to (for grouping); empty when none applies.
    pub department: String,
    pub file: String,
    pub sheet: Option<String>,
    /// A1 reference, or None when the finding is about a whole file or sheet.
    pub cell: Option<String>,
    pub message: String,
    pub hint: String,
    /// The cells the finding is about, as written, where the message says
    /// more than that (a decision on the finding holds while this reads
    /// the same; see decisions.rs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
}

impl Finding {
    pub fn new(code: Code, file: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Finding {
            code: code.id(),
            severity: code.severity(),
            department: String::new(),
            file: file.to_string(),
            sheet: None,
            cell: None,
            message: message.into(),
            hint: hint.into(),
            written: None,
        }
    }

    /// Records what the finding is about as written (see `subject`).
    pub fn about(mut self, written: impl Into<String>) -> Self {
        self.written = Some(written.into());
        self
    }

    /// What a decision on this finding answers: the cells as written, or
    /// else the message itself.
    pub fn subject(&self) -> &str {
        self.written.as_deref().unwrap_or(&self.message)
    }

    pub fn at(mut self, sheet: &str, cell: Option<&str>) -> Self {
        self.sheet = Some(sheet.to_string());
        self.cell = cell.map(str::to_string);
        self
    }

    pub fn in_department(mut self, department: &str) -> Self {
        self.department = department.to_string();
        self
    }

    /// `07_都市建設部.xlsx › 3 › C12`
    pub fn place(&self) -> String {
        let mut place = self.file.clone();
        if let Some(sheet) = &self.sheet {
            place.push_str(" › ");
            place.push_str(sheet);
        }
        if let Some(cell) = &self.cell {
            place.push_str(" › ");
            place.push_str(cell);
        }
        place
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}] {}: {}", self.severity.label_ja(), self.code, self.place(), self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\n    直し方: {}", self.hint)?;
        }
        Ok(())
    }
}

/// Orders findings for every output: department order, file, sheet, row, code.
pub fn sort_findings(findings: &mut [Finding], department_order: &dyn Fn(&str) -> usize) {
    findings.sort_by(|a, b| {
        department_order(&a.department)
            .cmp(&department_order(&b.department))
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| sheet_key(a.sheet.as_deref()).cmp(&sheet_key(b.sheet.as_deref())))
            .then_with(|| cell_key(a.cell.as_deref()).cmp(&cell_key(b.cell.as_deref())))
            .then_with(|| a.code.cmp(b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// Sheets named by numbers sort numerically ("2" before "10").
fn sheet_key(sheet: Option<&str>) -> (u8, u64, String) {
    match sheet {
        None => (0, 0, String::new()),
        Some(s) => match s.trim().parse::<u64>() {
            Ok(n) => (2, n, String::new()),
            Err(_) => (1, 0, s.to_string()),
        },
    }
}

/// A1 refs sort by row, then column.
fn cell_key(cell: Option<&str>) -> (u32, u32) {
    let Some(cell) = cell else { return (0, 0) };
    let letters: String = cell.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let row: u32 = cell[letters.len()..].parse().unwrap_or(0);
    let col = letters.bytes().fold(0u32, |acc, b| acc * 26 + (b.to_ascii_uppercase() - b'A' + 1) as u32);
    (row, col)
}
