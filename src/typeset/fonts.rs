//! The fonts documents are typeset with: the shipped BIZ UD faces and a
//! symbol fallback compiled into the binary, plus any files `--font-path`
//! adds. Parsed once and shared by every document.

use std::path::{Path, PathBuf};
use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

/// The shipped font files (see fonts/README.md for licenses).
const SHIPPED: [&[u8]; 4] = [
    include_bytes!("../../fonts/BIZUDPMincho-Regular.ttf"),
    include_bytes!("../../fonts/BIZUDPGothic-Regular.ttf"),
    include_bytes!("../../fonts/BIZUDPGothic-Bold.ttf"),
    include_bytes!("../../fonts/DejaVuSans.ttf"),
];

/// Every font a document may use, in the order Typst indexes them.
pub struct FontSet {
    pub book: LazyHash<FontBook>,
    pub fonts: Vec<Font>,
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
                .map_err(|e| anyhow::anyhow!("{}: cannot read font: {e}", file.display()))?;
            let before = fonts.len();
            fonts.extend(Font::iter(Bytes::new(data)));
            if fonts.len() == before {
                anyhow::bail!("{}: not a font file Typst can read", file.display());
            }
        }
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        Ok(FontSet { book, fonts })
    }

    /// True when some loaded font has a glyph for `c`. Typst falls back to
    /// any such font, so a character is only lost when this is false.
    pub fn covers(&self, c: char) -> bool {
        // Control and formatting characters are never drawn.
        if c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}') {
            return true;
        }
        self.fonts.iter().any(|font| font.info().coverage.contains(c as u32))
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
            .map_err(|e| anyhow::anyhow!("{}: cannot list fonts: {e}", path.display()))?;
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
        anyhow::bail!("{}: font path not found", path.display())
    }
}

fn is_font_file(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    matches!(ext.as_str(), "ttf" | "otf" | "ttc" | "otc")
}
