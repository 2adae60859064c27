//! How numbers and amounts print in every document and workbook.

use crate::model::Amount;

/// An amount as the department wrote it: a number cell with thousands
/// separators and △ for negatives, in the sign it was written; a text cell
/// exactly as typed (`3,395（千円）※令和2年度実績`, `△ 24時間（一人当たり）`).
/// Every document that reproduces a sheet prints this; the parsed value is
/// for sums and checks.
pub fn as_written(amount: &Amount) -> String {
    match amount.raw.trim().parse::<f64>() {
        Ok(number) if amount.number_cell => format_number(number),
        // A zero has no sign: `-0` and `△0` print 0 (finding N114).
        _ if is_signed_zero(&amount.raw) => "0".into(),
        _ => amount.raw.trim().to_string(),
    }
}

/// A zero typed with a sign: `-0`, `△0`, `▲ 0.0`, `－０`. It is read as 0
/// and printed 0; the cell is a finding (N114).
pub fn is_signed_zero(text: &str) -> bool {
    let text = crate::text::nfkc(text);
    let Some(rest) = text.trim().strip_prefix(['△', '▲', '▽', '▼', '-', '−']) else { return false };
    let rest = rest.trim_start();
    let (whole, fraction) = rest.split_once('.').unwrap_or((rest, "0"));
    let zeros = |s: &str| !s.is_empty() && s.chars().all(|c| c == '0');
    zeros(whole) && zeros(fraction)
}

/// 1920 → "1,920", -480 → "△480", 0.5 → "0.5".
pub fn format_number(value: f64) -> String {
    // Rounded to the two decimals printed first, so 5.999 prints 6, not "51.".
    let magnitude = (value.abs() * 100.0).round() / 100.0;
    let sign = if value < 0.0 && magnitude > 0.0 { "△" } else { "" };
    let whole = magnitude.trunc() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let fraction = magnitude - magnitude.trunc();
    if fraction > 1e-9 {
        let decimals = format!("{fraction:.2}");
        let decimals = decimals.trim_start_matches('0').trim_end_matches('0');
        grouped.push_str(decimals);
    }
    format!("{sign}{grouped}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_with_separators_and_triangle() {
        assert_eq!(format_number(1920.0), "1,920");
        assert_eq!(format_number(-480.0), "△480");
        assert_eq!(format_number(1234567.0), "1,234,567");
        assert_eq!(format_number(0.5), "0.5");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(5.999), "6");
        assert_eq!(format_number(-0.001), "0");
        assert_eq!(format_number(1.25), "1.25");
    }

    #[test]
    fn amounts_print_as_written() {
        let text = Amount { value: Some(3395.0), note: "※令和2年度実績".into(), raw: " 3,395（千円）※令和2年度実績".into(), number_cell: false };
        assert_eq!(as_written(&text), "3,395（千円）※令和2年度実績");
        let placeholder = Amount { value: None, note: "運用コスト".into(), raw: "(運用コスト)".into(), number_cell: false };
        assert_eq!(as_written(&placeholder), "(運用コスト)");
        // A number cell written -480 and stored as 480 (an all-△ row made
        // positive) prints as the department wrote it.
        let number = Amount { value: Some(480.0), note: String::new(), raw: "-480".into(), number_cell: true };
        assert_eq!(as_written(&number), "△480");
        let typed = Amount { value: Some(24.0), note: "一人当たり".into(), raw: "△24時間（一人当たり）".into(), number_cell: false };
        assert_eq!(as_written(&typed), "△24時間（一人当たり）");
    }

    #[test]
    fn signed_zeros_print_0() {
        for raw in ["-0", "△0", " ▲ 0.0", "－０", "−0"] {
            assert!(is_signed_zero(raw), "{raw}");
            let amount = Amount { value: Some(-0.0), note: String::new(), raw: raw.into(), number_cell: false };
            assert_eq!(as_written(&amount), "0", "{raw}");
        }
        let number = Amount { value: Some(-0.0), note: String::new(), raw: "-0".into(), number_cell: true };
        assert_eq!(as_written(&number), "0");
        for raw in ["0", "△10", "-0.5", "△0時間", "-", "△", "-.0", "△00.0"] {
            assert_eq!(is_signed_zero(raw), raw == "△00.0", "{raw}");
        }
    }
}
