//! What the last `build` into a folder wrote, so the next one redoes only
//! the documents whose inputs changed. Each document has a content key: a
//! hash over the data it prints, the templates, the fonts and the tool
//! itself (see `Typesetter::fingerprint`). A document whose key is
//! unchanged and whose file is still as written (same length and
//! modification time) is kept, not typeset again.
//!
//! The record is `.gyokaku-cache.json` in the output folder. It is removed
//! before any file there is replaced and written again only after the new
//! manifest, so a killed build leaves either the old record with the old
//! files or none: it never claims a file it did not write.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

pub const FILE_NAME: &str = ".gyokaku-cache.json";

/// One file as the last build wrote it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CachedFile {
    pub key: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<usize>,
    /// Its kind as manifest.json names it (empty in a record written
    /// before kinds were kept).
    #[serde(default)]
    pub kind: String,
    /// Its place among the build's files, for listing it in the same
    /// order again.
    #[serde(default)]
    pub position: usize,
    len: u64,
    modified_ns: u128,
}

/// One file of a build, as the record keeps it.
pub struct Recorded<'a> {
    pub path: &'a str,
    pub kind: &'a str,
    pub key: &'a str,
    pub sha256: &'a str,
    pub pages: Option<usize>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    /// The tool, templates and fonts the files were made with.
    fingerprint: String,
    files: BTreeMap<String, CachedFile>,
}

pub struct BuildCache {
    dir: PathBuf,
    fingerprint: String,
    /// What may be reused: the record, when its fingerprint matches and
    /// reuse is allowed.
    previous: BTreeMap<String, CachedFile>,
    /// Every file the record names, whatever tool made it: what a refused
    /// `build --final` leaves in place.
    recorded: BTreeMap<String, CachedFile>,
}

impl BuildCache {
    /// The record in `dir`, when it was made with the same `fingerprint`
    /// and `use_previous` (false for `build --clean`) allows it.
    pub fn load(dir: &Path, fingerprint: &str, use_previous: bool) -> BuildCache {
        let record = std::fs::read(dir.join(FILE_NAME)).ok().and_then(|bytes| serde_json::from_slice::<Record>(&bytes).ok());
        let recorded = record.as_ref().map(|r| r.files.clone()).unwrap_or_default();
        let previous = record
            .filter(|_| use_previous)
            .filter(|record| record.fingerprint == fingerprint)
            .map(|record| record.files)
            .unwrap_or_default();
        BuildCache { dir: dir.to_path_buf(), fingerprint: fingerprint.to_string(), previous, recorded }
    }

    /// The content key of a document from what determines its bytes.
    pub fn key(&self, parts: &[&[u8]]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.fingerprint.as_bytes());
        for part in parts {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hex(&hasher.finalize())
    }

    /// The file at `path` (relative to the folder) as the last build wrote
    /// it with `key`, when it is still there untouched.
    pub fn reuse(&self, path: &str, key: &str) -> Option<&CachedFile> {
        self.previous.get(path).filter(|cached| cached.key == key && self.untouched(path, cached))
    }

    /// The bytes of the file at `path` as the last build wrote it with
    /// `key`, when it is still there untouched and they hash as recorded:
    /// an intermediate file (a booklet's part) a document is made from.
    pub fn reuse_bytes(&self, path: &str, key: &str) -> Option<(Vec<u8>, &CachedFile)> {
        let cached = self.reuse(path, key)?;
        let bytes = std::fs::read(self.dir.join(path)).ok()?;
        (hex(&Sha256::digest(&bytes)) == cached.sha256).then_some((bytes, cached))
    }

    /// True when the file at `path` already holds bytes with `sha256` as
    /// the last build wrote them: a cheap document that came out the same
    /// need not be written again.
    pub fn holds(&self, path: &str, sha256: &str) -> bool {
        self.previous.get(path).is_some_and(|cached| cached.sha256 == sha256 && self.untouched(path, cached))
    }

    fn untouched(&self, path: &str, cached: &CachedFile) -> bool {
        stat(&self.dir.join(path)).is_some_and(|(len, modified_ns)| len == cached.len && modified_ns == cached.modified_ns)
    }

    /// Removes the record; call before replacing any file in the folder.
    pub fn invalidate(&self) -> anyhow::Result<()> {
        match std::fs::remove_file(self.dir.join(FILE_NAME)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(anyhow::anyhow!("{}: {e}", self.dir.join(FILE_NAME).display())),
            _ => Ok(()),
        }
    }

    /// Writes the record of this build: each file, in order, with its
    /// length and time as it now is on disk. Call after the manifest is in
    /// place.
    pub fn save(&self, files: &[Recorded<'_>]) -> anyhow::Result<()> {
        let mut record = Record { fingerprint: self.fingerprint.clone(), files: BTreeMap::new() };
        for (position, file) in files.iter().enumerate() {
            let Some((len, modified_ns)) = stat(&self.dir.join(file.path)) else { continue };
            let cached = CachedFile {
                key: file.key.to_string(),
                sha256: file.sha256.to_string(),
                pages: file.pages,
                kind: file.kind.to_string(),
                position,
                len,
                modified_ns,
            };
            record.files.insert(file.path.to_string(), cached);
        }
        crate::write::write_atomic(&self.dir.join(FILE_NAME), &serde_json::to_vec(&record)?)
    }

    /// The files the record names, with a kind, still as that build left
    /// them (whichever tool made them), in the order it listed them.
    pub fn recorded_untouched(&self) -> Vec<(&str, &CachedFile)> {
        let mut files: Vec<(&str, &CachedFile)> =
            self.recorded.iter().filter(|(path, cached)| !cached.kind.is_empty() && self.untouched(path, cached)).map(|(p, c)| (p.as_str(), c)).collect();
        files.sort_by_key(|(_, cached)| cached.position);
        files
    }

    /// The kind the record gives the file at `path`, when it names one.
    pub fn recorded_kind(&self, path: &str) -> Option<&str> {
        self.recorded.get(path).map(|c| c.kind.as_str()).filter(|k| !k.is_empty())
    }

    /// Paths the last build wrote, for removing those this one did not.
    pub fn previous_paths(&self) -> impl Iterator<Item = &str> {
        self.previous.keys().map(String::as_str)
    }
}

fn stat(path: &Path) -> Option<(u64, u128)> {
    let metadata = std::fs::metadata(path).ok()?;
    let modified = metadata.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    Some((metadata.len(), modified))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_changed_since_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.pdf"), b"one").unwrap();
        let first = BuildCache::load(dir.path(), "f", true);
        let key = first.key(&[b"data"]);
        first.save(&[Recorded { path: "a.pdf", kind: "booklet", key: &key, sha256: "s", pages: Some(1) }]).unwrap();

        let second = BuildCache::load(dir.path(), "f", true);
        assert!(second.reuse("a.pdf", &key).is_some());
        assert!(second.reuse("a.pdf", &second.key(&[b"other"])).is_none());
        assert!(BuildCache::load(dir.path(), "f", false).reuse("a.pdf", &key).is_none(), "--clean");
        assert!(BuildCache::load(dir.path(), "g", true).reuse("a.pdf", &key).is_none(), "another tool or template");

        std::fs::write(dir.path().join("a.pdf"), b"two!").unwrap();
        assert!(BuildCache::load(dir.path(), "f", true).reuse("a.pdf", &key).is_none());
        second.invalidate().unwrap();
        assert!(BuildCache::load(dir.path(), "f", true).previous_paths().next().is_none());
    }

    #[test]
    fn keys_separate_their_parts() {
        let cache = BuildCache::load(Path::new("/nonexistent"), "f", true);
        assert_ne!(cache.key(&[b"ab", b"c"]), cache.key(&[b"a", b"bc"]));
    }
}
