//! Property tests of reading amounts: over a million generated cell
//! strings through the amount parser and NFKC normalisation, and thousands
//! of generated target rows through the sheet reader and normaliser.
//! Deterministic (a fixed seed, printed on failure); set
//! `GYOKAKU_PROP_CASES` to run more, `GYOKAKU_PROP_SEED` to replay.
//! The open-ended search is cargo-fuzz (docs/fuzzing.md).

mod common;

use gyokaku::config::PlanConfig;
use gyokaku::format::format_number;
use gyokaku::ingest::amount::{AMOUNT_LIMIT, Kind, Unit, parse_amount};
use gyokaku::ingest::normalize::Normalizer;
use gyokaku::ingest::reader::{SheetContent, read_sheet};
use gyokaku::ingest::workbook::{Cell, Grid};

/// xorshift64*: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn seed() -> u64 {
    std::env::var("GYOKAKU_PROP_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x6779_6F6B_616B_75)
}

fn cases(default: usize) -> usize {
    std::env::var("GYOKAKU_PROP_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// Pieces departments type, and pieces an attacker would.
const ATOMS: &[&str] = &[
    "0", "1", "7", "9", "１", "９", "０", ",", "，", ".", "．", "△", "▲", "-", "−", "ー", "一", "—", " ", "　", "(", ")",
    "（", "）", "時間", "千円", "h", "e", "E", "+", "×", "*", "=", "/", ":", "~", "〜", "未定", "約", "※", "令和2年度",
    "円", "%", "件", "\u{202E}", "\u{0}", "\u{7}", "\n", "🚀", "\u{FEFF}", "㍻", "①", "½", "ｶ", "#", "$", "\\", "\"",
    "e999", "1e308", "NaN", "inf", "9999999999999", "0.000001",
];

fn random_text(rng: &mut Rng) -> String {
    let n = 1 + rng.below(8);
    (0..n).map(|_| *rng.pick(ATOMS)).collect()
}

/// A well-formed amount and the value it must read as.
fn written_amount(rng: &mut Rng) -> (String, f64) {
    let whole = match rng.below(4) {
        0 => rng.below(10) as u64,
        1 => rng.below(10_000) as u64,
        2 => rng.next() % 1_000_000_000,
        _ => rng.next() % 1_000_000_000_000,
    };
    let cents = if rng.chance(30) { Some(rng.below(100) as u64) } else { None };
    let mut digits = if rng.chance(50) {
        // with thousands separators
        let plain = whole.to_string();
        let mut out = String::new();
        for (i, c) in plain.chars().enumerate() {
            if i > 0 && (plain.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        whole.to_string()
    };
    if let Some(c) = cents {
        digits.push_str(&format!(".{c:02}"));
    }
    let value = whole as f64 + cents.map(|c| c as f64 / 100.0).unwrap_or(0.0);
    let negative = rng.chance(40);
    let sign = if negative { *rng.pick(&["△", "▲", "-", "−", "△ ", "△　"]) } else { "" };
    let mut text = format!("{sign}{digits}");
    if rng.chance(30) {
        // typed full-width
        text = text.chars().map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap(),
            ',' => '，',
            '.' => '．',
            other => other,
        }).collect();
    }
    if rng.chance(40) {
        text.push_str(*rng.pick(&["時間", "千円", "（千円）", "件", "時間（一人当たり）", " ※見込み", "回"]));
    }
    (text, if negative { -value } else { value })
}

/// A number that carries on in a way that is not read (a fraction, a
/// time, a range, a date, a second decimal point): must give no number.
fn continued_number(rng: &mut Rng) -> String {
    let sign = *rng.pick(&["", "△", "-"]);
    let a = rng.below(100_000);
    let b = rng.below(100);
    match rng.below(2) {
        0 => {
            let joint = *rng.pick(&["/", ":", "-", "~", "〜", " ", "／", "：", "－", "　"]);
            format!("{sign}{a}{joint}{b}")
        }
        _ => format!("{sign}{a}.{b}.{}", rng.below(10)),
    }
}

fn check_invariants(text: &str, number: Option<f64>) {
    let (amount, kind) = parse_amount(text, number, Unit::Hours);
    assert_eq!(amount.raw, text, "raw is kept as written");
    assert_eq!(amount.value.is_some(), kind == Kind::Number, "{text:?}: value set exactly for numbers");
    if let Some(v) = amount.value {
        assert!(v.is_finite() && v.abs() <= AMOUNT_LIMIT, "{text:?} read as {v}");
        // What a document prints reads back as the same value (to the two
        // decimals it prints).
        let printed = format_number(v);
        let (back, back_kind) = parse_amount(&printed, None, Unit::Hours);
        assert_eq!(back_kind, Kind::Number, "{text:?} → {printed:?} does not read back");
        let rounded = (v * 100.0).round() / 100.0;
        let back = back.value.unwrap();
        assert!((back - rounded).abs() <= rounded.abs() * 1e-15, "{text:?}: {v} printed {printed:?} reads back as {back}");
    }
}

#[test]
fn a_million_cell_strings_keep_the_invariants() {
    let mut rng = Rng(seed());
    let total = cases(1_000_000);
    let seed = seed();
    let result = std::panic::catch_unwind(move || {
        for i in 0..total {
            match i % 4 {
                0 | 1 => check_invariants(&random_text(&mut rng), None),
                2 => {
                    let (text, value) = written_amount(&mut rng);
                    let (amount, kind) = parse_amount(&text, None, Unit::Free);
                    assert_eq!(kind, Kind::Number, "{text:?}");
                    let got = amount.value.unwrap();
                    assert!((got - value).abs() <= value.abs() * 1e-15, "{text:?} read as {got}, written {value}");
                    check_invariants(&text, None);
                    // NFKC is idempotent: reading normalised text gives the same.
                    let once = gyokaku::text::nfkc(&text);
                    assert_eq!(gyokaku::text::nfkc(&once), once);
                }
                _ => {
                    let text = continued_number(&mut rng);
                    let (amount, _) = parse_amount(&text, None, Unit::Hours);
                    assert_eq!(amount.value, None, "{text:?} must not be read as its first part");
                    // A numeric cell: any f64 bit pattern.
                    let n = f64::from_bits(rng.next());
                    check_invariants(&n.to_string(), Some(n));
                }
            }
        }
    });
    if let Err(e) = result {
        panic!("failed with GYOKAKU_PROP_SEED={seed}: {e:?}");
    }
}

/// A 個票 grid with the 業務量削減目標値 row holding `values` (R6–R8).
fn sheet_with_workload(values: &[String; 3]) -> Grid {
    let mut rows = common::item_rows("出退勤管理の電子化");
    let row = rows.iter_mut().find(|r| r[0] == "業務量削減目標値（時間）").unwrap();
    row[1..4].clone_from_slice(values);
    let mut grid = Grid { name: "1".into(), hidden: false, rows: vec![Vec::new(); 3] };
    for r in rows {
        let mut cells = vec![Cell::default()];
        cells.extend(r.iter().map(|t| Cell { text: t.clone(), number: None }));
        grid.rows.push(cells);
    }
    grid
}

#[test]
fn a_triangle_row_is_taken_as_written_and_reported_once() {
    let config: PlanConfig = toml::from_str(common::PLAN).unwrap();
    let normalizer = Normalizer::new(&config);
    let mut rng = Rng(seed() ^ 0x5eed);
    for _ in 0..cases(1_000_000) / 200 {
        // Three cells, each a △ number, a plain number, or left empty.
        let mut written = [0.0f64; 3];
        let texts: [String; 3] = std::array::from_fn(|i| {
            let magnitude = 1 + rng.below(99_999);
            match rng.below(3) {
                0 => {
                    written[i] = -(magnitude as f64);
                    format!("{}{}", rng.pick(&["△", "▲", "-"]), magnitude)
                }
                1 => {
                    written[i] = magnitude as f64;
                    magnitude.to_string()
                }
                _ => String::new(),
            }
        });
        let grid = sheet_with_workload(&texts);
        let (content, _) = read_sheet(&grid, "01_総務部.xlsx", &config.years);
        let SheetContent::Item(raw) = content else { panic!("not read as an item: {texts:?}") };
        let mut findings = Vec::new();
        let item = normalizer.item(&raw, "01_総務部.xlsx", "総務部", false, &mut findings);
        let count = |code: &str| findings.iter().filter(|f| f.code == code).count();
        let numbers: Vec<f64> = written.iter().copied().filter(|v| *v != 0.0).collect();
        let all_negative = !numbers.is_empty() && numbers.iter().all(|v| *v < 0.0);
        let mixed = numbers.iter().any(|v| *v < 0.0) && numbers.iter().any(|v| *v > 0.0);
        for (i, year) in ["R6", "R7", "R8"].iter().enumerate() {
            let got = item.workload_target.get(*year).and_then(|a| a.value);
            // Taken as written, whatever the signs (no decision recorded).
            let expected = (written[i] != 0.0).then_some(written[i]);
            assert_eq!(got, expected, "{texts:?} {year}");
        }
        assert_eq!(count("N103"), usize::from(all_negative), "{texts:?}: one N103 (both readings) when every number is △");
        assert_eq!(count("N104"), usize::from(mixed), "{texts:?}: one N104 when signs are mixed");
    }
}
