//! Which files of a folder are read: office temporary files (lock files
//! and the like) are never read, and of two files of the same department
//! only the newer is. Shared by the submissions folder (and a revisions
//! folder, read the same way) and each progress round's folder.

use crate::config::PlanConfig;
use crate::findings::{Code, Finding};
use crate::text::nfkc;
use std::time::SystemTime;

/// A file an office program keeps beside a workbook while it is open or
/// being saved, never a submission: Excel's `~$名前.xlsx` lock file, its
/// `~ABCD.tmp` saves, LibreOffice's `.~lock.名前.xlsx#`, and any `.tmp`.
pub fn is_office_temp(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with("~$") || name.starts_with(".~lock.") || lower.ends_with(".tmp")
}

/// One info finding for a folder's office temporary files, naming them
/// (None when there are none). `folder` is how findings name the folder.
pub fn temp_files_finding(folder: &str, names: &[String]) -> Option<Finding> {
    if names.is_empty() {
        return None;
    }
    let mut names = names.to_vec();
    names.sort();
    Some(Finding::new(
        Code::OfficeTempFiles,
        folder,
        format!("Excel などが作業中に作る一時ファイル（ロックファイル）{}件を読み飛ばしました: {}", names.len(), names.join("、")),
        "提出されたブックではないため対応は不要です（ブックを閉じると消えます）",
    ))
}

/// The department a file name names (`01_総務部_差し戻し.xlsx` → 総務部):
/// the longest department name or alias in it.
pub fn department_in_name(config: &PlanConfig, file: &str) -> Option<String> {
    let stem = nfkc(file);
    config
        .departments
        .iter()
        .filter(|d| stem.contains(&nfkc(&d.name)) || d.aliases.iter().any(|a| stem.contains(&nfkc(a))))
        .max_by_key(|d| d.name.chars().count())
        .map(|d| d.name.clone())
}

/// A file that is one department's submission for a round.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// How findings name the file (`01_総務部.xlsx`, `progress/R6/…`).
    pub file: String,
    pub department: String,
    /// The file's modification time.
    pub modified: Option<SystemTime>,
}

/// Of each department's files, the current one: the newest by
/// modification time, and of files saved at the same moment the one whose
/// name sorts last (so `…_差し戻し.xlsx` wins over `….xlsx` when a copy
/// lost its time). Returns the files not to read, each with the file read
/// in its place, and one info finding per department naming the file read
/// and the ones set aside (for the office: it belongs to no department). Candidates without a department are never set
/// aside.
pub fn superseded(candidates: &[Candidate]) -> (Vec<(String, String)>, Vec<Finding>) {
    let mut departments: Vec<&str> = candidates.iter().filter(|c| !c.department.is_empty()).map(|c| c.department.as_str()).collect();
    departments.sort();
    departments.dedup();
    let mut dropped = Vec::new();
    let mut findings = Vec::new();
    for department in departments {
        let mut files: Vec<&Candidate> = candidates.iter().filter(|c| c.department == department).collect();
        if files.len() < 2 {
            continue;
        }
        // Newest first; a file whose time cannot be read counts as oldest.
        files.sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| b.file.cmp(&a.file)));
        let current = files[0];
        let older: Vec<&str> = files[1..].iter().map(|c| c.file.as_str()).collect();
        dropped.extend(older.iter().map(|f| (f.to_string(), current.file.clone())));
        // The office's to know, not the department's to fix: it goes to
        // the office's report, not to the department's return.
        findings.push(Finding::new(
            Code::Superseded,
            &current.file,
            format!(
                "{department}のファイルが{}つあります。更新日時の新しい {} を読み込み、古い {} は読み込んでいません",
                files.len(),
                current.file,
                older.join("、")
            ),
            "古いファイルは削除しなくてもかまいません（新しいほうだけを読みます）。古いほうを使う場合は新しいほうを提出フォルダから外してください",
        ));
    }
    (dropped, findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn lock_and_temporary_files_are_told() {
        for name in ["~$01_総務部.xlsx", ".~lock.01_総務部.xlsx#", "~ABCD1234.tmp", "01_総務部.xlsx.tmp"] {
            assert!(is_office_temp(name), "{name}");
        }
        for name in ["01_総務部.xlsx", "~01_総務部.xlsx", "総務部~$.xlsx", ".DS_Store"] {
            assert!(!is_office_temp(name), "{name}");
        }
    }

    #[test]
    fn the_newest_file_of_a_department_is_read() {
        let at = |s: u64| Some(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        let c = |file: &str, department: &str, modified| Candidate { file: file.into(), department: department.into(), modified };
        let (dropped, findings) = superseded(&[
            c("01_総務部.xlsx", "総務部", at(200)),
            c("01_総務部_差し戻し.xlsx", "総務部", at(100)),
            c("02_都市建設部.xlsx", "都市建設部", at(50)),
            c("提出.xlsx", "", at(300)),
            c("提出2.xlsx", "", at(400)),
        ]);
        assert_eq!(dropped, [("01_総務部_差し戻し.xlsx".to_string(), "01_総務部.xlsx".to_string())]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].file, "01_総務部.xlsx");
        assert!(findings[0].message.contains("01_総務部_差し戻し.xlsx"));
        // The same time: the name that sorts last.
        let (dropped, _) = superseded(&[c("01_総務部_差し戻し.xlsx", "総務部", at(100)), c("01_総務部.xlsx", "総務部", at(100))]);
        assert_eq!(dropped, [("01_総務部.xlsx".to_string(), "01_総務部_差し戻し.xlsx".to_string())]);
    }
}
