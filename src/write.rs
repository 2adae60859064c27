//! Writing output files atomically: a reader never sees half a file, and a
//! failed or killed run leaves the previous output in place.

use std::io::Write;
use std::path::Path;

/// Temporary files start with this; a run killed while writing leaves
/// them behind (hidden), and the next [`write_set`] removes them.
pub const TEMP_PREFIX: &str = ".gyokaku-tmp-";

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// then renames it into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    staged(path, bytes)?.persist(path).map_err(|e| anyhow::anyhow!("{}: 書き込めません（{e}）。出力先フォルダの場所と書き込みの権限を確かめてください（ファイルを開いたままなら閉じてください）", path.display()))?;
    Ok(())
}

/// Writes a build's files and its manifest so that a manifest present
/// always describes the files beside it, wherever the run is stopped:
/// every file is first written in full beside its place (nothing visible
/// changes, so a run killed then leaves the previous outputs and manifest
/// as they were); then the old manifest is removed, the files are renamed
/// into place, and the new manifest is renamed in last. A run killed
/// during the renames (milliseconds) leaves no manifest.json, which says
/// the folder is mid-update; once it is there, the new outputs are complete.
pub fn write_set(dir: &Path, files: &[(&str, &[u8])], manifest_name: &str, manifest: &[u8]) -> anyhow::Result<()> {
    let staging = Staging::new(dir);
    for (name, bytes) in files {
        staging.stage(name, bytes)?;
    }
    staging.commit(manifest_name, manifest)
}

/// A build's files, each written beside its place as soon as it is made
/// (so memory holds one document at a time, not all of them) and renamed
/// into place together by [`Staging::commit`], with the same guarantees
/// as [`write_set`]. Dropped without a commit, the staged files vanish.
pub struct Staging {
    dir: std::path::PathBuf,
    staged: std::sync::Mutex<Vec<(tempfile::TempPath, std::path::PathBuf)>>,
}

impl Staging {
    /// Starts staging into `dir`, removing what a killed run left there.
    pub fn new(dir: &Path) -> Staging {
        remove_stale_temps(dir, 3);
        Staging { dir: dir.to_path_buf(), staged: Default::default() }
    }

    /// Writes `bytes` in full beside `name` (relative to the folder);
    /// nothing visible changes until the commit. The file is closed at
    /// once, so thousands of staged files hold no descriptors.
    pub fn stage(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.dir.join(name);
        let tmp = staged(&path, bytes)?.into_temp_path();
        self.staged.lock().expect("no writer panicked").push((tmp, path));
        Ok(())
    }

    /// Removes the old manifest, renames every staged file into place in
    /// the order staged, then renames the new manifest in last.
    pub fn commit(self, manifest_name: &str, manifest: &[u8]) -> anyhow::Result<()> {
        let manifest_path = self.dir.join(manifest_name);
        let staged_manifest = staged(&manifest_path, manifest)?;
        match std::fs::remove_file(&manifest_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                anyhow::bail!("{}: 置き換えられません（{e}）。出力先フォルダの場所と書き込みの権限を確かめてください（ファイルを開いたままなら閉じてください）", manifest_path.display())
            }
            _ => {}
        }
        for (tmp, path) in self.staged.into_inner().expect("no writer panicked") {
            tmp.persist(&path).map_err(|e| anyhow::anyhow!("{}: 書き込めません（{e}）。出力先フォルダの場所と書き込みの権限を確かめてください（ファイルを開いたままなら閉じてください）", path.display()))?;
        }
        staged_manifest
            .persist(&manifest_path)
            .map_err(|e| anyhow::anyhow!("{}: 書き込めません（{e}）。出力先フォルダの場所と書き込みの権限を確かめてください（ファイルを開いたままなら閉じてください）", manifest_path.display()))?;
        Ok(())
    }
}

/// Removes temporary files a killed run left in `dir` and its subfolders
/// (down to `depth`). Only names with [`TEMP_PREFIX`] are touched.
fn remove_stale_temps(dir: &Path, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let name = entry.file_name();
        if kind.is_file() && name.to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = std::fs::remove_file(entry.path());
        } else if kind.is_dir() && depth > 0 {
            remove_stale_temps(&entry.path(), depth - 1);
        }
    }
}

/// `bytes` written and flushed to disk in a temporary file beside `path`.
fn staged(path: &Path, bytes: &[u8]) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: 出力先フォルダを作れません（{e}）。場所と書き込みの権限を確かめてください", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // Temporary files are private (0600); outputs are ordinary documents.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    Ok(tmp)
}

/// A file name safe on Windows, macOS and Linux: characters any of them
/// forbids (`\\ / : * ? " < > |`, control characters) become `_`, bidi
/// controls and invisible format characters are dropped (U+202E would show
/// `fdp.exe` as `exe.pdf`), trailing
/// dots and spaces go, reserved device names get a `_`, and the name is cut
/// to 80 characters (well under every system's 255-byte limit in UTF-8).
pub fn safe_file_name(name: &str) -> String {
    let mut safe: String = name
        .chars()
        .filter(|c| !is_invisible_format(*c))
        .map(|c| if c.is_control() || matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c })
        .take(80)
        .collect();
    while safe.ends_with('.') || safe.ends_with(' ') || safe.ends_with('\u{3000}') {
        safe.pop();
    }
    let safe = safe.trim_start().to_string();
    if safe.is_empty() {
        return "_".to_string();
    }
    let stem = safe.split('.').next().unwrap_or("").to_ascii_uppercase();
    const RESERVED: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];
    let reserved = RESERVED.contains(&stem.as_str())
        || (stem.len() == 4 && (stem.starts_with("COM") || stem.starts_with("LPT")) && stem.as_bytes()[3].is_ascii_digit());
    if reserved { format!("_{safe}") } else { safe }
}

/// Bidi embedding, override and isolate controls, marks, zero-width
/// characters and the byte order mark: they change how a name looks, not
/// what it says.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn bidi_controls_never_reach_a_file_name() {
        assert_eq!(safe_file_name("申請\u{202E}fdp.exe"), "申請fdp.exe");
        assert_eq!(safe_file_name("\u{2067}名前\u{2069}\u{200F}\u{FEFF}"), "名前");
        assert_eq!(safe_file_name("\u{202E}"), "_");
    }

    #[test]
    fn file_names_are_safe_everywhere() {
        assert_eq!(safe_file_name("取組項目及び優先順位一覧"), "取組項目及び優先順位一覧");
        assert_eq!(safe_file_name("a/b\\c:d*e?f\"g<h>i|j"), "a_b_c_d_e_f_g_h_i_j");
        assert_eq!(safe_file_name("名前. "), "名前");
        assert_eq!(safe_file_name("CON"), "_CON");
        assert_eq!(safe_file_name("com1.txt"), "_com1.txt");
        assert_eq!(safe_file_name(""), "_");
        assert_eq!(safe_file_name(&"長".repeat(200)).chars().count(), 80);
    }
}
