//! The fonts documents are typeset with: the shipped BIZ UD faces and a
//! symbol fallback compiled into the binary, plus any files `--font-path`
//! adds. Parsed once and shared by every document.

use std::path::{Path, PathBuf};
use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

/// The shipped font files (see fonts/README.md for licenses); the intake
/// site serves the Gothic ones to browsers that lack a Japanese font.
pub const SHIPPED: [&[u8]; 4] = [
    include_bytes!("../../fonts/BIZUDPMincho-Regular.ttf"),
    include_bytes!("../../fonts/BIZUDPGothic-Regular.ttf"),
    include_bytes!("../../fonts/BIZUDPGothic-Bold.ttf"),
    include_bytes!("../../fonts/DejaVuSans.ttf"),
];

/// Every font a document may use, in the order Typst indexes them.
pub struct FontSet {
    pub book: LazyHash<FontBook>,
    pub fonts: Vec<Font>,
    /// One bit per code point some font draws: a font's own coverage is a
    /// list of ranges scanned from the start, and every character of every
    /// cell is asked about.
    covered: Vec<u64>,
}

impl FontSet {
    /// The shipped fonts, then the font files found under `extra` (files or
    /// folders, searched recursively for .ttf / .otf / .ttc / .otc).
    pub fn load(extra: &[PathBuf]) -> anyhow::Result<FontSet> {
        let mut fonts: Vec<Font> = SHIPPED
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        let mut files = Vec::new();
        for path in extra {
            collect_font_files(path, &mut files)?;
        }
        // Sorted so the font order, and so the PDF bytes, do not depend on
        // directory listing order.
        files.sort();
        for file in files {
            let data = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("{}: フォントを読めません（{e}）", file.display()))?;
            let before = fonts.len();
            fonts.extend(Font::iter(Bytes::new(data)));
            if fonts.len() == before {
                anyhow::bail!("{}: 使えるフォントのファイルではありません（TrueType / OpenType を指定してください）", file.display());
            }
        }
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        let mut covered = vec![0u64; (char::MAX as usize + 1).div_ceil(64)];
        for font in &fonts {
            for c in font.info().coverage.iter() {
                if let Some(word) = covered.get_mut(c as usize / 64) {
                    *word |= 1 << (c % 64);
                }
            }
        }
        Ok(FontSet { book, fonts, covered })
    }

    /// True when some loaded font has a glyph for `c`. Typst falls back to
    /// any such font, so a character is only lost when this is false.
    pub fn covers(&self, c: char) -> bool {
        // Control and formatting characters are never drawn.
        if c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}') {
            return true;
        }
        let c = c as usize;
        self.covered[c / 64] & (1 << (c % 64)) != 0
    }

    /// The characters of `text` no loaded font can draw, each once, in order.
    pub fn missing(&self, text: &str) -> Vec<char> {
        let mut missing: Vec<char> = Vec::new();
        for c in text.chars() {
            if !c.is_ascii() && !missing.contains(&c) && !self.covers(c) {
                missing.push(c);
            }
        }
        missing
    }
}

fn collect_font_files(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| anyhow::anyhow!("{}: フォントのフォルダを読めません（{e}）", path.display()))?;
        for entry in entries {
            let entry_path = entry?.path();
            if entry_path.is_dir() {
                collect_font_files(&entry_path, out)?;
            } else if is_font_file(&entry_path) {
                out.push(entry_path);
            }
        }
        Ok(())
    } else if path.is_file() {
        out.push(path.to_path_buf());
        Ok(())
    } else {
        anyhow::bail!("{}: --font-path に指定したファイル・フォルダがありません", path.display())
    }
}

fn is_font_file(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    matches!(ext.as_str(), "ttf" | "otf" | "ttc" | "otc")
}
