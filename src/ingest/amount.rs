//! Reading amounts (hours, 千円, counts) out of what departments type.
//!
//! `△1,500`, `▲1500`, `-1500` are negative; full-width digits and commas are
//! read; a unit or note beside the number (`3,395（千円）※令和2年度実績`)
//! becomes number + note; placeholders (`—`, `(運用コスト)`, `未定（…）`) are
//! "no number" with a note; an expression (`災害箇所1か所×0.5時間`) is kept as
//! text and flagged.

use crate::model::Amount;
use crate::text::nfkc;

/// The unit a row is expressed in; written units equal to it are dropped
/// from the note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Hours,
    ThousandYen,
    /// 各年度目標: any unit, kept in the note.
    Free,
}

/// What kind of content a cell turned out to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Blank,
    Number,
    Placeholder,
    Expression,
    Text,
}

/// Reads one cell. `number` is set when the cell itself is numeric.
/// The returned amount keeps the sign as written; sign conventions are
/// settled per item by the normaliser.
/// The number an amount holds as the department wrote it: its `value`
/// before any decision of the office changed its reading (decisions.toml).
pub fn written_value(amount: &Amount, unit: Unit) -> Option<f64> {
    let number = if amount.number_cell { amount.raw.trim().parse::<f64>().ok() } else { None };
    parse_amount(&amount.raw, number, unit).0.value
}

pub fn parse_amount(raw: &str, number: Option<f64>, unit: Unit) -> (Amount, Kind) {
    let raw_trimmed = raw.trim();
    let mut amount = Amount { value: None, note: String::new(), raw: raw.to_string(), number_cell: false };
    if let Some(n) = number {
        if !in_range(n) {
            amount.note = OUT_OF_RANGE.to_string();
            return (amount, Kind::Text);
        }
        amount.value = Some(n);
        amount.number_cell = true;
        return (amount, Kind::Number);
    }
    let text = nfkc(raw_trimmed);
    let text = text.trim();
    if text.is_empty() {
        return (amount, Kind::Blank);
    }
    if text.chars().all(is_dash) {
        return (amount, Kind::Placeholder);
    }
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        if !inner.contains('(') || balanced(inner) {
            amount.note = inner.trim().to_string();
            return (amount, Kind::Placeholder);
        }
    }
    if ["未定", "不明", "なし", "無し"].iter().any(|w| text.starts_with(w)) || text.contains("未定") && leading_number(text).is_none() {
        amount.note = raw_trimmed.to_string();
        return (amount, Kind::Placeholder);
    }
    match leading_number(text) {
        Some((value, _)) if !in_range(value) => {
            amount.note = OUT_OF_RANGE.to_string();
            (amount, Kind::Text)
        }
        Some((value, rest)) if !is_expression(&outside_brackets(rest)) => {
            amount.value = Some(value);
            amount.note = note_from_rest(rest, unit);
            (amount, Kind::Number)
        }
        Some(_) => {
            amount.note = raw_trimmed.to_string();
            (amount, Kind::Expression)
        }
        None if text.chars().any(|c| c.is_ascii_digit()) && is_expression(text) => {
            amount.note = raw_trimmed.to_string();
            (amount, Kind::Expression)
        }
        None => {
            amount.note = raw_trimmed.to_string();
            (amount, Kind::Text)
        }
    }
}

/// The largest amount read as a number: far beyond any city's hours or
/// 千円, and small enough that sums of them print and lay out exactly.
pub const AMOUNT_LIMIT: f64 = 1e12;

const OUT_OF_RANGE: &str = "数値が大きすぎます（±10^12まで）";

fn in_range(value: f64) -> bool {
    value.is_finite() && value.abs() <= AMOUNT_LIMIT
}

/// Characters used on their own as "no value": dashes, and 一 / ー typed as one.
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '—' | '―' | '‐' | '−' | '–' | '─' | 'ー' | '一' | '‒' | '〃') || c.is_whitespace()
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Splits `△ 1,500千円` into (-1500, "千円"). Accepts △ ▲ - − as minus,
/// spaces after the sign, thousands separators and a decimal part.
fn leading_number(text: &str) -> Option<(f64, &str)> {
    let mut chars = text.char_indices().peekable();
    let mut negative = false;
    if let Some(&(_, c)) = chars.peek() {
        if matches!(c, '△' | '▲' | '-' | '−' | '▽' | '▼') {
            negative = true;
            chars.next();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() {
                    chars.next();
                } else {
                    break;
                }
            }
        }
    }
    let mut digits = String::new();
    let mut end = None;
    let mut seen_dot = false;
    while let Some(&(i, c)) = chars.peek() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c == ',' && !digits.is_empty() && !seen_dot {
            // thousands separator: only when a digit follows
            let next = text[i + 1..].chars().next();
            if !next.is_some_and(|n| n.is_ascii_digit()) {
                break;
            }
        } else if c == '.' && !seen_dot && !digits.is_empty() {
            let next = text[i + 1..].chars().next();
            if !next.is_some_and(|n| n.is_ascii_digit()) {
                break;
            }
            seen_dot = true;
            digits.push('.');
        } else {
            break;
        }
        chars.next();
        end = Some(i + c.len_utf8());
    }
    if digits.is_empty() {
        return None;
    }
    let mut rest = &text[end.unwrap_or(text.len())..];
    // 1e999, 1.5E+3: the exponent is part of the number, read whole.
    if let Some(exponent) = exponent_len(rest) {
        digits.push_str(&rest[..exponent]);
        rest = &rest[exponent..];
    }
    // The number goes on in a way we do not read (1.2.3, 1/2, 12:30,
    // 2024/4/1, 100-200, 1 000): not a number, rather than its first part.
    if continues_number(rest) {
        return None;
    }
    let value: f64 = digits.parse().ok()?;
    Some((if negative { -value } else { value }, rest))
}

/// Length of an exponent (`e5`, `E+3`, `e-2`) at the start of `rest`.
fn exponent_len(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    if !matches!(bytes.first(), Some(b'e' | b'E')) {
        return None;
    }
    let sign = usize::from(matches!(bytes.get(1), Some(b'+' | b'-')));
    let digits = bytes[1 + sign..].iter().take_while(|b| b.is_ascii_digit()).count();
    (digits > 0).then_some(1 + sign + digits)
}

/// True when `rest` carries on the number just read: a separator followed
/// by a digit (`.3`, `/2`, `:30`, `-04`, `~200`), or more digits after a space.
fn continues_number(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        Some('.' | ',' | '/' | ':' | '-' | '−' | '~' | '〜') => chars.next().is_some_and(|c| c.is_ascii_digit()),
        Some(c) if c.is_whitespace() => rest.trim_start().starts_with(|c: char| c.is_ascii_digit()),
        _ => false,
    }
}

/// The text with bracketed parts removed: a calculation given in brackets
/// after the number (`△2,240時間 (28時間/日 ×80日)`) explains it, not replaces it.
fn outside_brackets(text: &str) -> String {
    let mut depth = 0i32;
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = (depth - 1).max(0),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// An arithmetic operator after or around numbers: the department wrote a
/// calculation, not a value.
fn is_expression(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().any(|c| matches!(c, '×' | '*' | '÷' | '+' | '='))
        || chars.windows(3).any(|w| w[0].is_ascii_digit() && matches!(w[1], 'x' | 'X') && w[2].is_ascii_digit())
}

/// The note left after the number: the row's own unit removed, brackets
/// around what remains removed.
fn note_from_rest(rest: &str, unit: Unit) -> String {
    let mut note = rest.trim().to_string();
    let units: &[&str] = match unit {
        Unit::Hours => &["(時間)", "時間", "hours", "h", "H"],
        Unit::ThousandYen => &["(千円)", "千円"],
        Unit::Free => &[],
    };
    for u in units {
        if let Some(stripped) = note.strip_prefix(u) {
            note = stripped.trim().to_string();
            break;
        }
    }
    if let Some(inner) = note.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        if balanced(inner) {
            note = inner.trim().to_string();
        }
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(raw: &str, unit: Unit) -> (Option<f64>, String, Kind) {
        let (a, k) = parse_amount(raw, None, unit);
        (a.value, a.note, k)
    }

    #[test]
    fn triangle_and_commas_are_negative_numbers() {
        assert_eq!(value("△1,500", Unit::ThousandYen), (Some(-1500.0), String::new(), Kind::Number));
        assert_eq!(value("▲1500", Unit::ThousandYen).0, Some(-1500.0));
        assert_eq!(value("-1500", Unit::ThousandYen).0, Some(-1500.0));
        assert_eq!(value("△ 20", Unit::Hours).0, Some(-20.0));
        assert_eq!(value("1,920", Unit::Hours).0, Some(1920.0));
    }

    #[test]
    fn full_width_digits_and_commas() {
        assert_eq!(value("１，９２０", Unit::Hours).0, Some(1920.0));
        assert_eq!(value("△３９６", Unit::Hours).0, Some(-396.0));
        assert_eq!(value("０．５", Unit::Hours).0, Some(0.5));
    }

    #[test]
    fn unit_and_note_beside_the_number() {
        assert_eq!(
            value("3,395（千円）※令和2年度実績", Unit::ThousandYen),
            (Some(3395.0), "※令和2年度実績".to_string(), Kind::Number)
        );
        assert_eq!(
            value("△24時間（一人当たり）", Unit::Hours),
            (Some(-24.0), "一人当たり".to_string(), Kind::Number)
        );
        assert_eq!(value("△ 24時間（一人当たり）", Unit::Hours).0, Some(-24.0));
    }

    #[test]
    fn placeholders_are_no_number_with_a_note() {
        assert_eq!(value("(運用コスト)", Unit::ThousandYen), (None, "運用コスト".to_string(), Kind::Placeholder));
        assert_eq!(value("（設置運用コスト）", Unit::ThousandYen).1, "設置運用コスト");
        for dash in ["—", "－", "-", "一", "―", "ー"] {
            assert_eq!(value(dash, Unit::Hours), (None, String::new(), Kind::Placeholder), "{dash}");
        }
        assert_eq!(
            value("未定（システム導入経費）", Unit::ThousandYen),
            (None, "未定（システム導入経費）".to_string(), Kind::Placeholder)
        );
        assert_eq!(value("不明（国の説明では効果あり）", Unit::ThousandYen).2, Kind::Placeholder);
        assert_eq!(value("システム改修費（未定）", Unit::ThousandYen).2, Kind::Placeholder);
    }

    #[test]
    fn expressions_are_kept_as_text() {
        assert_eq!(
            value("災害箇所1か所×0.5時間", Unit::Hours),
            (None, "災害箇所1か所×0.5時間".to_string(), Kind::Expression)
        );
        assert_eq!(value("1日8h*20日*2人", Unit::Hours).2, Kind::Expression);
        // A calculation in brackets explains the number before it.
        assert_eq!(
            value("△2,240時間 (36時間-8時間=28時間/日 ×80日開催)", Unit::Hours),
            (Some(-2240.0), "36時間-8時間=28時間/日 ×80日開催".to_string(), Kind::Number)
        );
    }

    #[test]
    fn prose_is_text_not_a_number() {
        let (v, note, kind) = value("メール申請分が移行と仮定 システムそのものの利用料は不要", Unit::ThousandYen);
        assert_eq!((v, kind), (None, Kind::Text));
        assert!(note.starts_with("メール申請分"));
    }

    #[test]
    fn numeric_cells_keep_their_value_and_raw() {
        let (a, k) = parse_amount("198", Some(198.0), Unit::Hours);
        assert_eq!((a.value, a.raw.as_str(), k), (Some(198.0), "198", Kind::Number));
    }

    #[test]
    fn a_number_is_read_whole_or_not_at_all() {
        assert_eq!(value("1e3", Unit::Hours).0, Some(1000.0));
        assert_eq!(value("1.5E+3時間", Unit::Hours), (Some(1500.0), String::new(), Kind::Number));
        // Out of range: no number, and never 1 with a note "e999".
        assert_eq!(value("1e999", Unit::Hours), (None, OUT_OF_RANGE.to_string(), Kind::Text));
        assert_eq!(value("2,000,000,000,000", Unit::ThousandYen).2, Kind::Text);
        assert_eq!(value("1,000,000,000,000", Unit::ThousandYen).0, Some(1e12));
        for text in ["1.2.3", "1/2", "12:30", "2024/4/1", "100-200", "100〜200", "1 000", "△5.5.5"] {
            let (v, _, kind) = value(text, Unit::Hours);
            assert_eq!(v, None, "{text}");
            assert_ne!(kind, Kind::Number, "{text}");
        }
        // Units and notes after the number are still read as before.
        assert_eq!(value("20 時間", Unit::Hours).0, Some(20.0));
        assert_eq!(value("△2,240時間 (28時間/日 ×80日)", Unit::Hours).0, Some(-2240.0));
    }

    #[test]
    fn numeric_cells_out_of_range_are_no_number() {
        for n in [1e308, -1e13, f64::INFINITY, f64::NAN] {
            let (a, k) = parse_amount("x", Some(n), Unit::Hours);
            assert_eq!((a.value, k), (None, Kind::Text), "{n}");
        }
    }

    #[test]
    fn blank_is_blank() {
        assert_eq!(value("  ", Unit::Hours).2, Kind::Blank);
    }
}
