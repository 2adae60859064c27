//! `gyokaku init [DIR]`: a new plan folder for the office — a plan.toml
//! whose every key has a Japanese comment, empty submissions/ and
//! progress/ folders, and a short guide.

use std::path::{Path, PathBuf};

/// The plan.toml a new folder starts with (every key commented).
pub const PLAN_TEMPLATE: &str = include_str!("../../templates/init/plan.toml");
/// The office's guide to the folder.
pub const GUIDE: &str = include_str!("../../templates/init/はじめに.txt");

/// Writes the folder; refuses to touch one that already holds a plan.toml.
/// Returns what was made.
pub fn run(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let plan = dir.join("plan.toml");
    if plan.exists() {
        anyhow::bail!("{}: すでにあります。既存の設定を上書きしないため、何も作りませんでした（別のフォルダを指定してください）", plan.display());
    }
    let fail = |path: &Path, e: std::io::Error| {
        anyhow::anyhow!("{}: 作れません（{e}）。フォルダの場所と書き込みの権限を確かめてください", path.display())
    };
    let mut made = Vec::new();
    for folder in [dir.to_path_buf(), dir.join("submissions"), dir.join("progress")] {
        std::fs::create_dir_all(&folder).map_err(|e| fail(&folder, e))?;
    }
    made.extend([dir.join("submissions"), dir.join("progress")]);
    for (path, text) in [(plan, PLAN_TEMPLATE), (dir.join("はじめに.txt"), GUIDE)] {
        if path.exists() {
            continue;
        }
        crate::write::write_atomic(&path, text.as_bytes())?;
        made.push(path);
    }
    Ok(made)
}
