//! Opening a workbook file (.xlsx, .xls, .ods) into plain grids of cells.
//! The only module that talks to calamine; it never fails loudly: a file that
//! cannot be read becomes one finding and the run goes on.

use crate::config::Limits;
use crate::findings::{Code, Finding};
use calamine::{Data, Reader, SheetVisible, Sheets, open_workbook_auto};
use std::path::Path;

/// Workbook formats the reader understands.
pub const WORKBOOK_EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

/// Excel's limit on the characters of one cell.
pub const EXCEL_CELL_LIMIT: usize = 32_767;

/// One cell's content, already turned into text a person would read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    /// Text as displayed (numbers without a trailing ".0").
    pub text: String,
    /// Set when the cell holds a number (not text that looks like one).
    pub number: Option<f64>,
}

/// A sheet as a dense grid with absolute coordinates (row 0 = Excel row 1).
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub name: String,
    pub hidden: bool,
    /// rows[r][c]; missing cells are empty.
    pub rows: Vec<Vec<Cell>>,
}

impl Grid {
    pub fn cell(&self, row: usize, col: usize) -> Option<&Cell> {
        self.rows.get(row).and_then(|r| r.get(col))
    }

    pub fn text(&self, row: usize, col: usize) -> &str {
        self.cell(row, col).map(|c| c.text.as_str()).unwrap_or("")
    }

    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|r| r.iter().all(|c| c.text.trim().is_empty()))
    }
}

/// All sheets of one workbook, in workbook order.
#[derive(Debug, Default)]
pub struct Workbook {
    pub sheets: Vec<Grid>,
    /// Sheets the tool added to a returned workbook (its 指摘一覧, see
    /// `marks`): never read as the department's content.
    pub listing_sheets: Vec<String>,
}

impl Workbook {
    /// The department's sheets: every sheet but the tool's listing.
    pub fn own_sheets(&self) -> impl Iterator<Item = &Grid> {
        self.sheets.iter().filter(|g| !self.listing_sheets.contains(&g.name))
    }
}

/// `(0, 2)` → `C1`.
pub fn a1(row: usize, col: usize) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8(letters).unwrap_or_default(), row + 1)
}

/// Formats a number as Excel shows it by default: no ".0" on whole numbers.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else if n.abs() >= 1e15 {
        // As Excel shows it (1E+308), not 309 digits.
        format!("{n:E}")
    } else {
        format!("{n}")
    }
}

/// A date or time cell as Japanese Excel shows it by default: 2024/4/1,
/// 2024/4/1 9:30, or 9:30 for a time or duration. Never the serial number,
/// so a date typed where a number belongs cannot pass for one (45383).
pub fn date_text(dt: &calamine::ExcelDateTime) -> String {
    let serial = dt.as_f64();
    if dt.is_duration() || (0.0..1.0).contains(&serial) {
        let minutes = (serial * 24.0 * 60.0).round() as i64;
        return format!("{}:{:02}", minutes / 60, minutes % 60);
    }
    let (y, m, d, hh, mm, _, _) = dt.to_ymd_hms_milli();
    if hh == 0 && mm == 0 { format!("{y}/{m}/{d}") } else { format!("{y}/{m}/{d} {hh}:{mm:02}") }
}

/// OLE compound files start with this; an .xlsx in one is encrypted.
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Zip archives (.xlsx, .xlsm, .ods) start with this.
const ZIP_MAGIC: [u8; 4] = [b'P', b'K', 0x03, 0x04];

/// The area of a sheet that is read: rows 1–10000, columns A–IV. A 個票 or
/// a list fits many times over; a value far outside (XFD1048576) would
/// otherwise make the grid as large as the sheet claims to be.
pub const MAX_ROWS: usize = 10_000;
pub const MAX_COLS: usize = 256;

/// Reads every sheet of `path` with the default [`Limits`].
pub fn read_workbook(path: &Path, display: &str) -> (Option<Workbook>, Vec<Finding>) {
    read_workbook_limited(path, display, &Limits::default())
}

/// Reads every sheet of `path`. `display` names the file in findings.
/// Returns what could be read plus findings; `None` when nothing could.
/// A file is skipped with a finding before anything inflates it when it is
/// not a regular file, is larger than `limits` allow, or unpacks past them.
pub fn read_workbook_limited(path: &Path, display: &str, limits: &Limits) -> (Option<Workbook>, Vec<Finding>) {
    let mut findings = Vec::new();
    if let Some(finding) = check_file(path, display, limits) {
        findings.push(finding);
        return (None, findings);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let head = read_head(path);
    if head.is_empty() {
        findings.push(Finding::new(
            Code::Unreadable,
            display,
            "ファイルが空です（0バイト）",
            "保存し直したファイルを再提出してください",
        ));
        return (None, findings);
    }
    if (ext == "xlsx" || ext == "xlsm") && head.starts_with(&CFB_MAGIC) {
        findings.push(Finding::new(
            Code::PasswordProtected,
            display,
            "パスワードで保護（暗号化）されたブックのため読み込めません",
            "パスワードを解除して保存し直し、再提出してください",
        ));
        return (None, findings);
    }
    // Sheets with a cell reference outside Excel's grid are not given to
    // calamine, whose column arithmetic overflows on seven letters.
    let mut outside: Vec<(String, String)> = Vec::new();
    if head.starts_with(&ZIP_MAGIC) {
        let checked = check_parts(path, display, limits);
        if let Some(finding) = checked.refusal {
            findings.push(finding);
            return (None, findings);
        }
        outside = checked.outside;
    }
    let mut book = match open_workbook_auto(path) {
        Ok(book) => book,
        Err(e) => {
            findings.push(unreadable(display, &e.to_string()));
            return (None, findings);
        }
    };
    let metadata = book.sheets_metadata().to_vec();
    let mut workbook = Workbook::default();
    // The listing sheet of a returned workbook sent back, by the name the
    // tool gave it (a sheet that lost the name is told by its header below).
    workbook.listing_sheets = book
        .defined_names()
        .iter()
        .filter(|(name, _)| name == crate::ingest::marks::LISTING_NAME)
        .filter_map(|(_, formula)| crate::ingest::marks::sheet_of_reference(formula))
        .collect();
    for sheet in metadata {
        if let Some((_, reference)) = outside.iter().find(|(name, _)| *name == sheet.name) {
            findings.push(
                Finding::new(
                    Code::Unreadable,
                    display,
                    format!("セル番地「{}」は Excel のシートにない位置です（列は XFD、行は 1048576 まで）。このシートは読み込みませんでした", prefix_of(reference)),
                    "Excel で開いて保存し直すか、シートを新しいブックにコピーして再提出してください",
                )
                .at(&sheet.name, Some(&prefix_of(reference))),
            );
            continue;
        }
        let mut grid = Grid {
            name: sheet.name.clone(),
            hidden: !matches!(sheet.visible, SheetVisible::Visible),
            rows: Vec::new(),
        };
        let mut far = FarCells::default();
        let mut place = |r: usize, c: usize, data: &Data, findings: &mut Vec<Finding>| {
            if matches!(data, Data::Empty) {
                return;
            }
            if r >= MAX_ROWS || c >= MAX_COLS {
                far.note(r, c);
                return;
            }
            let cell = convert(data, display, &sheet.name, r, c, findings);
            if grid.rows.len() <= r {
                grid.rows.resize(r + 1, Vec::new());
            }
            let row = &mut grid.rows[r];
            if row.len() <= c {
                row.resize(c + 1, Cell::default());
            }
            row[c] = cell;
        };
        // An .xlsx sheet is streamed cell by cell: calamine's own range is
        // dense over the used area, so A1 plus XFD1048576 would need 17
        // billion cells. .xls (65536 × 256 at most) and .ods come as ranges.
        let read: Result<(), String> = match &mut book {
            Sheets::Xlsx(xlsx) => match xlsx.worksheet_cells_reader(&sheet.name) {
                Ok(mut cells) => loop {
                    match cells.next_cell() {
                        Ok(Some(cell)) => {
                            let (r, c) = cell.get_position();
                            let data: Data = cell.get_value().clone().into();
                            place(r as usize, c as usize, &data, &mut findings);
                        }
                        Ok(None) => break Ok(()),
                        Err(e) => break Err(e.to_string()),
                    }
                },
                Err(e) => Err(e.to_string()),
            },
            other => match other.worksheet_range(&sheet.name) {
                Ok(range) => {
                    let (r0, c0) = range.start().unwrap_or((0, 0));
                    for (dr, dc, data) in range.used_cells() {
                        place(r0 as usize + dr, c0 as usize + dc, data, &mut findings);
                    }
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            },
        };
        if let Err(e) = read {
            // Chart sheets and macro sheets have no cells; anything else is worth saying.
            if matches!(sheet.typ, calamine::SheetType::WorkSheet) {
                findings.push(
                    Finding::new(
                        Code::Unreadable,
                        display,
                        format!("シートを読み込めません: {e}"),
                        "シートを新しいブックにコピーして保存し直してください",
                    )
                    .at(&sheet.name, None),
                );
            }
            if grid.rows.is_empty() {
                continue;
            }
        }
        if let Some(finding) = far.finding(display, &sheet.name) {
            findings.push(finding);
        }
        if crate::ingest::marks::is_listing_grid(&grid) && !workbook.listing_sheets.contains(&grid.name) {
            workbook.listing_sheets.push(grid.name.clone());
        }
        workbook.sheets.push(grid);
    }
    if password_error(&findings) {
        return (None, findings);
    }
    (Some(workbook), findings)
}

/// Values outside the area read, reported once per sheet.
#[derive(Default)]
struct FarCells {
    first: Option<(usize, usize)>,
    count: usize,
}

impl FarCells {
    fn note(&mut self, row: usize, col: usize) {
        self.count += 1;
        if self.first.is_none_or(|f| (row, col) < f) {
            self.first = Some((row, col));
        }
    }

    fn finding(&self, file: &str, sheet: &str) -> Option<Finding> {
        let (row, col) = self.first?;
        let others = if self.count > 1 { format!("ほか{}個のセル", self.count - 1) } else { String::new() };
        Some(
            Finding::new(
                Code::CellsOutOfBounds,
                file,
                format!(
                    "セル{}{others}に値がありますが、読み取る範囲（{}まで）の外にあるため読み込みませんでした",
                    a1(row, col),
                    a1(MAX_ROWS - 1, MAX_COLS - 1)
                ),
                "離れたセルの値を消すか、必要なら個票の欄の中に移してください",
            )
            .at(sheet, Some(&a1(row, col))),
        )
    }
}

/// Non-regular files (a FIFO would block the read forever, a device never
/// ends) and files over the size limit are skipped before they are opened.
fn check_file(path: &Path, display: &str, limits: &Limits) -> Option<Finding> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            return Some(Finding::new(
                Code::Unreadable,
                display,
                format!("ファイルを開けません: {e}"),
                "ファイルの置き場所と読み取り権限を確認してください",
            ));
        }
    };
    if !meta.is_file() {
        return Some(Finding::new(
            Code::NotARegularFile,
            display,
            "通常のファイルではない（名前付きパイプ・デバイスなど）ため読み飛ばしました",
            "ブックを通常のファイルとして保存し直して提出してください",
        ));
    }
    if meta.len() > limits.file_bytes() {
        return Some(Finding::new(
            Code::FileTooLarge,
            display,
            format!(
                "ファイルが{:.1}MBあり、上限（{}MB）を超えるため読み込みませんでした",
                meta.len() as f64 / 1e6,
                limits.file_mb
            ),
            "画像や不要なシートを削除して保存し直してください（上限は plan.toml の [limits] file_mb で変えられます）",
        ));
    }
    None
}

/// Checks what a zip-based workbook unpacks to before calamine inflates it:
/// first the sizes its directory declares, then the bytes each XML part
/// really inflates to, read through a capped reader (a declared size can
/// lie). Only XML parts count: calamine reads nothing else (images are
/// never inflated). A zip that cannot be opened is left to calamine, which
/// reports it as unreadable.
/// What reading a package's parts found before calamine opens it: a
/// refusal (the parts unpack past the limit), and the sheets holding a cell
/// reference outside Excel's grid, by name, with the first such reference.
#[derive(Default)]
struct PartsCheck {
    refusal: Option<Finding>,
    outside: Vec<(String, String)>,
}

fn check_parts(path: &Path, display: &str, limits: &Limits) -> PartsCheck {
    use std::io::Read;
    let cap = limits.unpacked_bytes();
    let Ok(file) = std::fs::File::open(path) else { return PartsCheck::default() };
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else { return PartsCheck::default() };
    let is_xml = |name: &str| {
        let name = name.to_ascii_lowercase();
        name.ends_with(".xml") || name.ends_with(".rels")
    };
    let too_large = |what: &str| PartsCheck {
        refusal: Some(Finding::new(
            Code::UnpackedTooLarge,
            display,
            format!("展開すると{what}、上限（{}MB）を超えるため読み込みませんでした（破損または不正なファイルの可能性があります）", limits.unpacked_mb),
            "Excelで開けるか確認し、新しいブックにコピーして保存し直してください（上限は plan.toml の [limits] unpacked_mb で変えられます）",
        )),
        outside: Vec::new(),
    };
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(i) else { continue };
        if entry.name().is_ok_and(|n| is_xml(&n)) {
            declared = declared.saturating_add(entry.size());
        }
    }
    if declared > cap {
        return too_large(&format!("{:.0}MBになると記録されており", declared as f64 / 1e6));
    }
    let mut total: u64 = 0;
    let mut outside_parts: Vec<(String, String)> = Vec::new();
    let mut workbook_xml = String::new();
    let mut workbook_rels = String::new();
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index(i) else { continue };
        let Ok(name) = entry.name().map(|n| n.to_string()) else { continue };
        if !is_xml(&name) {
            continue;
        }
        let mut scanner = ReferenceScanner::default();
        let keep = name == "xl/workbook.xml" || name == "xl/_rels/workbook.xml.rels";
        let mut kept = Vec::new();
        let mut capped = entry.take(cap - total + 1);
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match capped.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            total += n as u64;
            if name.starts_with("xl/worksheets/") {
                scanner.feed(&buffer[..n]);
            }
            if keep {
                kept.extend_from_slice(&buffer[..n]);
            }
        }
        if total > cap {
            return too_large(&format!("{}MBを超える大きさになり", limits.unpacked_mb));
        }
        if let Some(reference) = scanner.first_outside {
            outside_parts.push((name.clone(), reference));
        }
        if name == "xl/workbook.xml" {
            workbook_xml = String::from_utf8_lossy(&kept).into_owned();
        } else if keep {
            workbook_rels = String::from_utf8_lossy(&kept).into_owned();
        }
    }
    let outside = outside_parts
        .into_iter()
        .filter_map(|(part, reference)| sheet_of_part(&workbook_xml, &workbook_rels, &part).map(|sheet| (sheet, reference)))
        .collect();
    PartsCheck { refusal: None, outside }
}

/// Finds, in a worksheet's XML as it streams by, the first cell or range
/// reference (`r="…"`, `ref="…"`) outside Excel's grid: more than three
/// column letters, or a row past 1,048,576.
#[derive(Default)]
struct ReferenceScanner {
    /// The tail of the last chunk, so an attribute split between chunks is seen.
    carry: Vec<u8>,
    first_outside: Option<String>,
}

impl ReferenceScanner {
    fn feed(&mut self, chunk: &[u8]) {
        if self.first_outside.is_some() {
            return;
        }
        let mut text = std::mem::take(&mut self.carry);
        text.extend_from_slice(chunk);
        let mut at = 0;
        while let Some(found) = find(&text[at..], b"=\"") {
            let equals = at + found;
            let start = equals + 2;
            let Some(len) = text[start..].iter().position(|&b| b == b'"') else { break };
            // The attribute's name: back from `=` to the space before it.
            let name_start = text[..equals].iter().rposition(|b| b.is_ascii_whitespace()).map_or(0, |p| p + 1);
            if matches!(&text[name_start..equals], b"r" | b"ref") {
                let value = String::from_utf8_lossy(&text[start..start + len]);
                if let Some(bad) = value.split([':', ' ']).find(|r| outside_grid(r)) {
                    self.first_outside = Some(bad.to_string());
                    return;
                }
            }
            at = start + len + 1;
        }
        // An attribute cut at the chunk's end is looked at again with the next.
        let keep_from = text.len().saturating_sub(256).max(at.min(text.len()));
        self.carry = text[keep_from..].to_vec();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `AAAAAAA1` or `A2000000`: letters then digits past Excel's last column
/// (XFD, three letters) or row (1,048,576). Anything else is left to calamine.
fn outside_grid(reference: &str) -> bool {
    let reference = reference.trim_start_matches('$');
    let letters = reference.bytes().take_while(u8::is_ascii_alphabetic).count();
    let digits = reference[letters..].trim_start_matches('$');
    let row_too_far = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && (digits.len() > 7 || digits.parse::<u64>().is_ok_and(|r| r > 1_048_576));
    letters > 3 || row_too_far
}

/// The name of the sheet whose part is `part` (xl/worksheets/sheet2.xml),
/// from workbook.xml and its relationships.
fn sheet_of_part(workbook: &str, rels: &str, part: &str) -> Option<String> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!(" {name}=\"");
        let start = tag.find(&key)? + key.len();
        let end = tag[start..].find('"')?;
        Some(tag[start..start + end].to_string())
    };
    let target = part.strip_prefix("xl/")?;
    let id = rels.split("<Relationship").find_map(|tag| {
        let t = attr(tag, "Target")?;
        (t.trim_start_matches("/xl/") == target).then(|| attr(tag, "Id")).flatten()
    })?;
    workbook.split("<sheet ").skip(1).find_map(|tag| {
        let tag = tag[..tag.find('>').unwrap_or(tag.len())].trim_end_matches('/');
        let rid = tag.split_whitespace().find_map(|a| a.strip_suffix('"').and_then(|a| a.split_once(":id=\"")).map(|(_, v)| v.to_string()))?;
        (rid == id).then(|| attr(&format!(" {tag}"), "name")).flatten().map(|n| unescape_xml(&n))
    })
}

fn unescape_xml(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// A reference as written, cut to a length a message can carry.
fn prefix_of(reference: &str) -> String {
    reference.chars().take(24).collect()
}

fn password_error(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.code == Code::PasswordProtected.id())
}

fn unreadable(display: &str, error: &str) -> Finding {
    if error.to_ascii_lowercase().contains("password") {
        return Finding::new(
            Code::PasswordProtected,
            display,
            "パスワードで保護されたブックのため読み込めません",
            "パスワードを解除して保存し直し、再提出してください",
        );
    }
    Finding::new(
        Code::Unreadable,
        display,
        format!("ブックとして読み込めません（破損または形式違い）: {error}"),
        "Excelで開けるか確認し、.xlsx 形式で保存し直して再提出してください",
    )
}

fn read_head(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut buf = [0u8; 8];
    match std::fs::File::open(path).and_then(|mut f| f.read(&mut buf)) {
        Ok(n) => buf[..n].to_vec(),
        Err(_) => Vec::new(),
    }
}

fn convert(data: &Data, file: &str, sheet: &str, row: usize, col: usize, findings: &mut Vec<Finding>) -> Cell {
    match data {
        Data::Empty => Cell::default(),
        Data::String(s) => {
            let chars = s.chars().count();
            if chars > EXCEL_CELL_LIMIT {
                findings.push(
                    Finding::new(
                        Code::CellTooLong,
                        file,
                        format!(
                            "セルの文字数が{chars}字あり、Excelの上限（{EXCEL_CELL_LIMIT}字）を超えています（内容はすべて読み込みました）"
                        ),
                        "内容を要約するか、別紙に分けてください",
                    )
                    .at(sheet, Some(&a1(row, col))),
                );
            }
            Cell { text: s.clone(), number: None }
        }
        Data::Float(f) => Cell { text: number_text(*f), number: Some(*f) },
        Data::Int(i) => Cell { text: i.to_string(), number: Some(*i as f64) },
        Data::Bool(b) => Cell { text: if *b { "TRUE".into() } else { "FALSE".into() }, number: None },
        // Dates are not expected in a 個票; printed as a date, never as a number.
        Data::DateTime(dt) => Cell { text: date_text(dt), number: None },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell { text: s.clone(), number: None },
        Data::Error(e) => {
            findings.push(
                Finding::new(
                    Code::FormulaError,
                    file,
                    format!("数式がエラー値（{e}）になっています"),
                    "数式を確認して正しい値にするか、値を直接入力してください",
                )
                .at(sheet, Some(&a1(row, col))),
            );
            Cell { text: String::new(), number: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_references() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(11, 2), "C12");
        assert_eq!(a1(0, 25), "Z1");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(9, 27), "AB10");
    }

    #[test]
    fn numbers_print_like_excel() {
        assert_eq!(number_text(1920.0), "1920");
        assert_eq!(number_text(-0.5), "-0.5");
    }
}
