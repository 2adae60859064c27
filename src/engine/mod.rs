//! The engine both doors call: the `build` and `validate` commands and the
//! intake site. Reading and checking live in `pipeline`; here every
//! document of a build is made as a job (`jobs`), the jobs run within a
//! memory budget (`schedule`), each finished file is staged and the set
//! renamed in together with the manifest (`build`), a booklet is laid out
//! from parts kept between builds (`booklet`), and the validation report
//! with each department's return and page is written (`check`).

pub mod booklet;
pub mod build;
pub mod check;
mod context;
mod jobs;
mod schedule;

pub use booklet::{PARTS_FOLDER, typeset_booklet, typeset_booklet_part, typeset_booklet_pdf};
pub use build::{BuildOptions, Manifest, ManifestEntry, Outcome, build};
pub use check::{ValidateOutcome, validate};
pub use jobs::short_title;

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether to print each job's and stage's wall time on stderr
/// (GYOKAKU_JOB_TIMES set), to see what a build waits for.
pub(crate) fn show_times() -> bool {
    std::env::var_os("GYOKAKU_JOB_TIMES").is_some()
}

/// Prints the wall time since `started` of a stage or a job, when asked
/// (`show_times`).
pub(crate) fn print_time(what: impl std::fmt::Display, started: std::time::Instant) {
    if show_times() {
        eprintln!("{:>8.3} s  {what}", started.elapsed().as_secs_f64());
    }
}
