//! Japanese era dates (和暦) with the Western year, as public documents
//! print them: 令和5(2023)年8月31日.

/// Era name and its year for a Western date, or None before 明治.
pub fn era_year(year: i32, month: u32, day: u32) -> Option<(&'static str, i32)> {
    // (era, first day) newest first.
    const ERAS: [(&str, (i32, u32, u32)); 5] = [
        ("令和", (2019, 5, 1)),
        ("平成", (1989, 1, 8)),
        ("昭和", (1926, 12, 25)),
        ("大正", (1912, 7, 30)),
        ("明治", (1868, 1, 25)),
    ];
    ERAS.iter()
        .find(|(_, start)| (year, month, day) >= *start)
        .map(|(name, start)| (*name, year - start.0 + 1))
}

/// A YYYY-MM-DD date as 令和5(2023)年8月 (month precision, as on covers)
/// and 令和5(2023)年8月31日 (full).
pub struct EraDate {
    pub month: String,
    pub full: String,
}

pub fn era_date(iso: &str) -> Option<EraDate> {
    let mut parts = iso.trim().split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let (era, era_year) = era_year(year, month, day)?;
    let era_year = if era_year == 1 { "元".to_string() } else { era_year.to_string() };
    let month_text = format!("{era}{era_year}({year})年{month}月");
    Some(EraDate { full: format!("{month_text}{day}日"), month: month_text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn era_dates_carry_the_western_year() {
        let d = era_date("2023-08-31").unwrap();
        assert_eq!(d.month, "令和5(2023)年8月");
        assert_eq!(d.full, "令和5(2023)年8月31日");
        assert_eq!(era_date("2019-05-01").unwrap().month, "令和元(2019)年5月");
        assert_eq!(era_date("2019-04-30").unwrap().month, "平成31(2019)年4月");
        assert!(era_date("2023/08/31").is_none());
    }
}
