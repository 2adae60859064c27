//! Building the documents from the site: one build at a time, on a
//! snapshot of the plan folder's current files (an upload during a build is
//! kept and goes into the next one), with the engine the `build` command
//! uses, into `.gyokaku-site/reports/`.

use super::{SITE_FOLDER, Site, db, now};
use crate::engine::{self, BuildOptions};
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The build running now, if any: its record's id and its progress.
#[derive(Default)]
pub struct Builds {
    running: Mutex<Option<(i64, ProgressBar)>>,
}

/// What the page shows of the build running.
#[derive(serde::Serialize)]
pub struct Progress {
    pub running: bool,
    pub id: i64,
    pub done: u64,
    pub total: u64,
    pub message: String,
}

impl Builds {
    pub fn progress(&self) -> Progress {
        match &*self.running.lock().expect("no panic holds the lock") {
            Some((id, bar)) => Progress { running: true, id: *id, done: bar.position(), total: bar.length().unwrap_or(0), message: bar.message() },
            None => Progress { running: false, id: 0, done: 0, total: 0, message: String::new() },
        }
    }
}

/// Where the site's build writes.
pub fn reports_dir(site: &Site) -> PathBuf {
    site.plan_dir.join(SITE_FOLDER).join("reports")
}

/// Starts a build unless one runs; returns its id, or None when busy.
pub fn start(site: &Arc<Site>, account: i64) -> anyhow::Result<Option<i64>> {
    let bar = ProgressBar::hidden();
    let id = {
        let mut running = site.builds.running.lock().expect("no panic holds the lock");
        if running.is_some() {
            return Ok(None);
        }
        let id = db::start_build(&site.db.lock().expect("no panic holds the database"), account, now())?;
        *running = Some((id, bar.clone()));
        id
    };
    let site = site.clone();
    std::thread::Builder::new().name(format!("build-{id}")).spawn(move || {
        let (status, summary) = match run(&site, id, &bar) {
            Ok(summary) => ("done", summary),
            Err(e) => ("failed", e.to_string()),
        };
        let _ = db::finish_build(&site.db.lock().expect("no panic holds the database"), id, status, &summary, now());
        *site.builds.running.lock().expect("no panic holds the lock") = None;
    })?;
    Ok(Some(id))
}

fn run(site: &Site, id: i64, bar: &ProgressBar) -> anyhow::Result<String> {
    bar.set_message("提出ファイルを写しています");
    let snapshot = site.plan_dir.join(SITE_FOLDER).join("snapshot");
    let _ = std::fs::remove_dir_all(&snapshot);
    copy_inputs(&site.plan_dir, &snapshot)?;
    let options = BuildOptions {
        input_dir: snapshot.clone(),
        out_dir: reports_dir(site),
        templates: None,
        font_paths: Vec::new(),
        handout: false,
        clean: false,
    };
    let outcome = engine::build(&options, bar)?;
    let _ = std::fs::remove_dir_all(&snapshot);
    let written = outcome.files.len() - outcome.kept.len();
    let mut summary = format!(
        "第{id}回: 項目 {} 件、文書 {} 件（新しく作成 {written}、変更なし {}）、エラー {} 件、警告 {} 件",
        outcome.run.items.len(),
        outcome.files.len(),
        outcome.kept.len(),
        outcome.run.count(crate::findings::Severity::Error),
        outcome.run.count(crate::findings::Severity::Warning)
    );
    if !outcome.failures.is_empty() {
        summary.push_str(&format!("。作れなかった文書: {}", outcome.failures.join("、")));
    }
    Ok(summary)
}

/// The inputs of a build: plan.toml, decisions.toml, submissions/ and
/// progress/, with their files' times (of two files of one department
/// the newer is read, so the snapshot reads what the plan folder would).
fn copy_inputs(plan_dir: &Path, snapshot: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(snapshot)?;
    for name in ["plan.toml", "decisions.toml"] {
        let from = plan_dir.join(name);
        if from.is_file() {
            copy_file(&from, &snapshot.join(name))?;
        }
    }
    for folder in ["submissions", "progress"] {
        copy_tree(&plan_dir.join(folder), &snapshot.join(folder))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(from) else { return Ok(()) };
    std::fs::create_dir_all(to)?;
    for entry in entries.flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&path, &target)?;
        } else if kind.is_file() {
            copy_file(&path, &target)?;
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to).map_err(|e| anyhow::anyhow!("{}: 写せません（{e}）", from.display()))?;
    if let Ok(modified) = std::fs::metadata(from).and_then(|m| m.modified()) {
        std::fs::File::options().write(true).open(to)?.set_modified(modified)?;
    }
    Ok(())
}
