//! Text normalisation for matching. Prose is never rewritten: these functions
//! make keys to compare labels, names and titles, not text to print.

use unicode_normalization::UnicodeNormalization;

/// NFKC: full-width digits, letters and brackets become half-width.
pub fn nfkc(s: &str) -> String {
    s.nfkc().collect()
}

/// Key for field labels: NFKC, no whitespace, no brackets or colons, so
/// `業務量削減目標値（時間）`, `業務量削減目標値(時間)` and `業務量削減目標値 (時間) `
/// compare equal.
pub fn label_key(s: &str) -> String {
    nfkc(s)
        .chars()
        .filter(|c| !c.is_whitespace() && !"()[]{}【】<>〈〉:「」『』".contains(*c))
        .collect()
}

/// Key for organisation and taxonomy names: like `label_key`, and also
/// ignoring the middle dot that departments drop or add (特産品振興・ふるさと応援課).
pub fn name_key(s: &str) -> String {
    label_key(s).chars().filter(|c| !"・･".contains(*c)).collect()
}

/// Key for comparing titles between a list and its sheets.
pub fn title_key(s: &str) -> String {
    name_key(s)
}

/// Similarity of two keys in 0..=1 (normalised Levenshtein over characters).
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

/// Trims the stray spaces (half- and full-width) around a cell's text.
pub fn clean(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_ignore_bracket_width_and_spaces() {
        assert_eq!(label_key("業務量削減目標値（時間）"), label_key(" 業務量削減目標値 (時間)"));
        assert_eq!(label_key("大　分　類"), "大分類");
    }

    #[test]
    fn name_keys_ignore_middle_dots() {
        assert_eq!(name_key("特産品振興・ふるさと応援課"), name_key("特産品振興ふるさと応援課"));
        assert_eq!(name_key("経済政策推進室（企業誘致担当）"), name_key("経済政策推進室企業誘致担当"));
    }
}
