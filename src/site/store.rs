//! Uploads kept as they arrived, by content (`.gyokaku-site/uploads/<sha256>.xlsx`,
//! never overwritten, never deleted by the site), and the department's
//! current file — its latest upload — kept in the plan folder where the
//! command line reads it.

use super::{PROPOSAL_ROUND, Site, db};
use crate::config::PlanConfig;
use crate::write::{safe_file_name, write_atomic};
use std::io::Read;
use std::path::PathBuf;

/// What a workbook's bytes are, by their content: the name a department
/// gave the file is not trusted.
pub fn workbook_kind(bytes: &[u8], config: &PlanConfig) -> Result<&'static str, String> {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(&OLE) {
        return Ok("xls");
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err("Excel のブック（.xlsx / .xls）または .ods ではありません。Excel で保存したブックを選んでください。".into());
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| "ブックとして開けません（ファイルが壊れているか、途中までしか送られていません）。保存し直してからもう一度送ってください。".to_string())?;
    // What the parts would take unpacked, as the archive declares it: a
    // file that inflates past the limit is refused before anything reads it.
    let mut unpacked: u64 = 0;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else { continue };
        unpacked = unpacked.saturating_add(entry.size());
    }
    if unpacked > config.limits.unpacked_bytes() {
        return Err(format!(
            "展開すると {} MB になり、上限の {} MB を超えます。不要なシートや画像を削除して保存し直してください。",
            unpacked / 1_000_000,
            config.limits.unpacked_mb
        ));
    }
    if let Ok(mut mimetype) = zip.by_name("mimetype") {
        let mut text = String::new();
        let _ = mimetype.by_ref().take(100).read_to_string(&mut text);
        if text.trim() == "application/vnd.oasis.opendocument.spreadsheet" {
            return Ok("ods");
        }
    }
    if zip.by_name("[Content_Types].xml").is_ok() && zip.by_name("xl/workbook.xml").is_ok() {
        return Ok("xlsx");
    }
    Err("Excel のブック（.xlsx）ではない ZIP ファイルです。Excel で保存したブックを選んでください。".into())
}

/// Where the upload with this content is kept.
pub fn blob_path(site: &Site, sha256: &str, extension: &str) -> PathBuf {
    site.plan_dir.join(super::SITE_FOLDER).join("uploads").join(format!("{sha256}.{extension}"))
}

/// Keeps the bytes (once per content).
pub fn keep(site: &Site, sha256: &str, extension: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    let path = blob_path(site, sha256, extension);
    if !path.is_file() {
        write_atomic(&path, bytes)?;
    }
    Ok(path)
}

/// The name the site gives a department's current file in a round's
/// folder, relative to the plan folder: always the same, so a new upload
/// replaces the last one and never piles up beside it.
pub fn placed_name(config: &PlanConfig, department: &str, round: &str, extension: &str) -> String {
    let prefix = crate::validation_report::returns::department_prefix(config, department).unwrap_or_else(|| safe_file_name(department));
    if round == PROPOSAL_ROUND {
        format!("submissions/{prefix}.{extension}")
    } else {
        format!("progress/{round}/{prefix}_{round}進捗報告.{extension}")
    }
}

/// Puts the upload in the plan folder as the department's current file.
/// A file of another extension the site placed before is left: the newer
/// file is read (the rule for two files of one department).
pub fn place(site: &Site, placed_as: &str, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic(&site.plan_dir.join(placed_as), bytes)
}

/// At start: each department's latest upload is in the plan folder. A
/// server killed after recording an upload and before placing it places
/// it now; a file the office replaced by hand since is left as it is.
pub fn restore_placed(site: &Site) -> anyhow::Result<()> {
    let latest = db::latest_uploads(&site.db.lock().expect("no panic holds the database"))?;
    for upload in latest {
        let target = site.plan_dir.join(&upload.placed_as);
        if target.exists() {
            continue;
        }
        let blob = blob_path(site, &upload.sha256, &upload.extension);
        if let Ok(bytes) = std::fs::read(&blob) {
            place(site, &upload.placed_as, &bytes)?;
        }
    }
    Ok(())
}

/// The file name as given, without any folder part (a name like
/// `../../plan.toml` or `C:\\x\\y.xlsx` keeps only its last part) and made
/// safe to show and to store.
pub fn given_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    safe_file_name(last)
}

/// Whether a file name is an office program's temporary or lock file.
pub fn is_temporary(name: &str) -> bool {
    crate::ingest::files::is_office_temp(name)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::engine::sha256_hex(bytes)
}
