//! Crash safety: `gyokaku build` killed at random moments, many times,
//! never leaves a half-written PDF, workbook or manifest, and a manifest
//! present always matches the files beside it. Builds alternate between
//! two input folders whose documents differ, so a mix of old and new files
//! under a manifest would show.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")
}

/// The sample with another document date: every PDF and workbook differs.
fn second_inputs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let plan = std::fs::read_to_string(sample_dir().join("plan.toml")).unwrap();
    let (head, rest) = plan.split_once("[document]").unwrap();
    std::fs::write(dir.path().join("plan.toml"), format!("{head}[document]\ndate = \"2023-10-02\"\n{}", strip_date(rest))).unwrap();
    let status = Command::new("cp").arg("-r").arg(sample_dir().join("submissions")).arg(dir.path()).status().unwrap();
    assert!(status.success());
    dir
}

/// `rest` of plan.toml after [document] without its own `date = ` line.
fn strip_date(rest: &str) -> String {
    let mut lines = rest.lines();
    let mut out = Vec::new();
    let mut in_document = true;
    for line in lines.by_ref() {
        if line.starts_with('[') {
            in_document = false;
        }
        if in_document && line.trim_start().starts_with("date =") {
            continue;
        }
        out.push(line);
    }
    out.join("\n") + "\n"
}

fn build(input: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_gyokaku"))
        .arg("build")
        .arg(input)
        .arg("-o")
        .arg(out)
        .arg("-q")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn sha(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

/// What must hold in `out` whenever a build has stopped, however. Returns
/// whether a manifest was there.
fn check_consistent(out: &Path, when: &str) -> bool {
    for path in files_under(out) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with(gyokaku::write::TEMP_PREFIX) {
            continue; // a killed run's leftover, hidden; the next build removes it
        }
        let bytes = std::fs::read(&path).unwrap();
        if name.ends_with(".pdf") {
            assert!(bytes.starts_with(b"%PDF-") && bytes.trim_ascii_end().ends_with(b"%%EOF"), "{when}: {} is half written", path.display());
        } else if name.ends_with(".xlsx") {
            assert!(zip::ZipArchive::new(std::io::Cursor::new(bytes)).is_ok(), "{when}: {} is half written", path.display());
        } else if name.ends_with(".json") {
            assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(), "{when}: {} is half written", path.display());
        }
    }
    // The rebuild record never claims a file the build did not write.
    let record = out.join(gyokaku::cache::FILE_NAME);
    if record.exists() {
        let record: serde_json::Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
        for (path, file) in record["files"].as_object().unwrap() {
            let path = out.join(path);
            assert!(path.exists(), "{when}: the rebuild record lists {} which is missing", path.display());
            assert_eq!(sha(&path), file["sha256"].as_str().unwrap(), "{when}: {} does not match the rebuild record", path.display());
        }
        assert!(out.join("manifest.json").exists(), "{when}: a rebuild record without a manifest");
    }
    let manifest = out.join("manifest.json");
    if !manifest.exists() {
        return false;
    }
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    for file in manifest["files"].as_array().unwrap() {
        let path = out.join(file["path"].as_str().unwrap());
        assert!(path.exists(), "{when}: manifest lists {} which is missing", path.display());
        assert_eq!(sha(&path), file["sha256"].as_str().unwrap(), "{when}: {} does not match the manifest", path.display());
    }
    true
}

fn has_temp_file(dir: &Path) -> bool {
    files_under(dir).iter().any(|p| p.file_name().unwrap().to_string_lossy().starts_with(gyokaku::write::TEMP_PREFIX))
}

#[test]
fn a_build_killed_at_any_moment_leaves_complete_files_and_a_true_manifest() {
    let second = second_inputs();
    let inputs = [sample_dir(), second.path().to_path_buf()];
    let out = tempfile::tempdir().unwrap();
    let start = Instant::now();
    assert!(build(&inputs[0], out.path()).wait().unwrap().success());
    let full = start.elapsed();
    assert!(check_consistent(out.path(), "first build"));

    let kills: u64 = std::env::var("GYOKAKU_CRASH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(8);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut with_manifest = 0;
    for run in 0..kills {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut child = build(&inputs[(run % 2) as usize], out.path());
        let began = Instant::now();
        if run % 2 == 0 {
            // Anywhere from the start to a little past a whole build.
            std::thread::sleep(Duration::from_millis(x % (full.as_millis() as u64 * 12 / 10 + 1)));
        } else {
            // Aimed at the writing: once the first temporary file appears,
            // within the next 40 ms.
            while began.elapsed() < full * 3 && !has_temp_file(out.path()) {
                std::thread::sleep(Duration::from_micros(500));
            }
            std::thread::sleep(Duration::from_micros(x % 40_000));
        }
        let _ = child.kill();
        let _ = child.wait();
        let delay = began.elapsed();
        if check_consistent(out.path(), &format!("killed after {delay:?}")) {
            with_manifest += 1;
        }
    }
    eprintln!("{kills} kills over {full:?} builds; {with_manifest} left a manifest");
    // A build after all that completes, removes the leftovers and matches.
    assert!(build(&inputs[1], out.path()).wait().unwrap().success());
    assert!(check_consistent(out.path(), "last build"));
    let leftovers: Vec<_> = files_under(out.path())
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(gyokaku::write::TEMP_PREFIX))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
