//! Threads with stacks deep enough for Typst.
//!
//! Typst lays out nested content recursively; a booklet of several hundred
//! pages overflows the 2 MiB stack Rust and rayon give a thread by default.
//! The CLI makes rayon's global pool with 64 MiB stacks (`init`). A caller
//! that reached rayon first (a test harness, a program embedding the
//! library) already has a global pool with small stacks, so Typst's work
//! then runs on a pool of our own (`with_big_stacks`).

use std::sync::OnceLock;

/// Stack of every thread that lays out or exports a document.
pub const STACK_BYTES: usize = 64 * 1024 * 1024;

/// Whether rayon's global pool is the one `init` made.
static GLOBAL_IS_OURS: OnceLock<bool> = OnceLock::new();
/// Used only when the global pool was made by someone else.
static OWN_POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();

/// Makes rayon's global pool with deep stacks, if nothing made it before.
/// Returns whether the global pool has deep stacks.
pub fn init() -> bool {
    *GLOBAL_IS_OURS.get_or_init(|| rayon::ThreadPoolBuilder::new().stack_size(STACK_BYTES).build_global().is_ok())
}

/// Runs `f`, and the parallel work it starts, on threads with deep stacks:
/// in place when the global pool is ours, else on a pool of the same size
/// made for it.
pub fn with_big_stacks<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if init() {
        return f();
    }
    OWN_POOL
        .get_or_init(|| {
            rayon::ThreadPoolBuilder::new()
                .stack_size(STACK_BYTES)
                .num_threads(rayon::current_num_threads())
                .thread_name(|i| format!("gyokaku-typst-{i}"))
                .build()
                .expect("a thread pool can be made")
        })
        .install(f)
}

/// A thread builder for threads of our own (the build's job runners).
pub fn builder() -> std::thread::Builder {
    std::thread::Builder::new().stack_size(STACK_BYTES)
}
