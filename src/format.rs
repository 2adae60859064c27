//! How numbers and amounts print in every document and workbook.

use crate::model::Amount;

/// An amount as a sheet prints it: the number in the canonical sign with
/// thousands separators and △ for negatives, then its note in brackets (so
/// the reader reads it back as number + note); a cell with no number prints
/// as written.
pub fn format_amount(amount: &Amount) -> String {
    match amount.value {
        Some(value) => {
            let number = format_number(value);
            if amount.note.is_empty() { number } else { format!("{number}（{}）", amount.note) }
        }
        None => amount.raw.trim().to_string(),
    }
}

/// 1920 → "1,920", -480 → "△480", 0.5 → "0.5".
pub fn format_number(value: f64) -> String {
    let sign = if value < 0.0 { "△" } else { "" };
    let magnitude = value.abs();
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
        let a = Amount { value: Some(3395.0), note: "※令和2年度実績".into(), raw: "3,395（千円）※令和2年度実績".into() };
        assert_eq!(format_amount(&a), "3,395（※令和2年度実績）");
        let p = Amount { value: None, note: "運用コスト".into(), raw: "(運用コスト)".into() };
        assert_eq!(format_amount(&p), "(運用コスト)");
    }
}
