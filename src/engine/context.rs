//! What every job of a build reads, and where its files go.

use super::build::ManifestEntry;
use super::sha256_hex;
use crate::cache::BuildCache;
use crate::config::PlanConfig;
use crate::pipeline::Run;
use crate::typeset::Typesetter;
use crate::write::Staging;
use serde::Serialize;
use std::path::Path;

/// A file of this build: its manifest entry, its content key, and whether
/// it was kept from the last build rather than written.
pub(crate) struct Placed {
    pub(crate) entry: ManifestEntry,
    pub(crate) key: String,
    pub(crate) reused: bool,
}

/// What a job gave: its files, template warnings, and the documents of
/// it that could not be made.
#[derive(Default)]
pub(crate) struct Done {
    pub(crate) files: Vec<Placed>,
    pub(crate) warnings: Vec<String>,
    pub(crate) failures: Vec<String>,
}

/// What every job reads, and where its files go.
pub(crate) struct Context<'a> {
    pub(crate) run: &'a Run,
    pub(crate) config: &'a PlanConfig,
    pub(crate) typesetter: &'a Typesetter,
    pub(crate) cache: &'a BuildCache,
    pub(crate) staging: &'a Staging,
    /// Each department's page as a PDF: its path and data.
    pub(crate) department_pdfs: Vec<(String, crate::documents::department_report::DepartmentReportData)>,
    pub(crate) input_dir: &'a Path,
    pub(crate) templates_dir: Option<&'a Path>,
    /// Whether Typst's memo is emptied between jobs: not when every job's
    /// estimate together fits in the memory budget (on the sample, dropping
    /// the memo while other jobs waited on its locks cost 0.06 s of 1 s).
    pub(crate) evict_memo: bool,
    /// When the build started, for `GYOKAKU_JOB_TIMES`.
    pub(crate) started: std::time::Instant,
}

impl Context<'_> {
    /// Empties Typst's memo of what no document used in the last `max_age`
    /// evictions, unless the whole build fits in the budget (`evict_memo`).
    pub(crate) fn evict(&self, max_age: usize) {
        if self.evict_memo {
            comemo::evict(max_age);
        }
    }

    /// A typeset document: kept when the last build made it with `key`,
    /// else made by `make` (bytes, pages, warnings) and staged.
    pub(crate) fn typeset(
        &self,
        kind: &'static str,
        path: String,
        key: String,
        make: impl FnOnce() -> Result<(Vec<u8>, Option<usize>, Vec<String>), String>,
    ) -> Result<(Placed, Vec<String>), String> {
        if let Some(kept) = self.kept(kind, &path, &key) {
            return Ok((kept, Vec::new()));
        }
        let (bytes, pages, warnings) = make()?;
        Ok((self.place(kind, path, key, &bytes, pages)?, warnings))
    }

    /// The file at `path` as the last build made it with `key`, when it is
    /// still there untouched.
    pub(crate) fn kept(&self, kind: &'static str, path: &str, key: &str) -> Option<Placed> {
        self.cache.reuse(path, key).map(|cached| Placed {
            entry: ManifestEntry { kind, path: path.to_string(), pages: cached.pages, sha256: cached.sha256.clone() },
            key: key.to_string(),
            reused: true,
        })
    }

    /// A cheap document, made every time: written only when its bytes
    /// differ from the file the last build left.
    pub(crate) fn written(&self, kind: &'static str, path: String, bytes: &[u8]) -> Result<Placed, String> {
        let sha256 = sha256_hex(bytes);
        if self.cache.holds(&path, &sha256) {
            return Ok(Placed { entry: ManifestEntry { kind, path, pages: None, sha256: sha256.clone() }, key: sha256, reused: true });
        }
        self.place(kind, path, sha256, bytes, None)
    }

    pub(crate) fn place(&self, kind: &'static str, path: String, key: String, bytes: &[u8], pages: Option<usize>) -> Result<Placed, String> {
        self.staging.stage(&path, bytes).map_err(|e| e.to_string())?;
        Ok(Placed { entry: ManifestEntry { kind, path, pages, sha256: sha256_hex(bytes) }, key, reused: false })
    }

    /// A content key over a document's kind, file and data.
    pub(crate) fn key(&self, path: &str, data: &impl Serialize) -> String {
        let json = serde_json::to_vec(data).expect("document data serialises");
        self.cache.key(&[path.as_bytes(), &json])
    }
}
