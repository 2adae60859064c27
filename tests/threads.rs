//! Typst's recursion needs deep stacks even when the caller made rayon's
//! global pool first with the default 2 MiB (as a test harness or an
//! embedding program may): `with_big_stacks` then runs the work on a pool
//! of its own.

use rayon::prelude::*;

/// Recurses through about `kib` KiB of stack; returns `kib + 1`.
fn deep(kib: usize) -> u64 {
    let frame = std::hint::black_box([1u8; 1024]);
    if kib == 0 { frame[0] as u64 } else { deep(kib - 1) + frame[kib % 1024] as u64 }
}

#[test]
fn deep_work_gets_deep_stacks_under_a_small_global_pool() {
    // The global pool, made here with small stacks, is not ours.
    rayon::ThreadPoolBuilder::new().stack_size(2 * 1024 * 1024).build_global().expect("first to make the global pool");
    assert!(!gyokaku::threads::init());
    // 8 MiB of recursion on each of several pool threads at once: it would
    // overflow (and abort the process) on the global pool's 2 MiB stacks.
    let sums: Vec<u64> = gyokaku::threads::with_big_stacks(|| (0..4).into_par_iter().map(|i| deep(8 * 1024 + i)).collect());
    assert_eq!(sums, (0..4u64).map(|i| 8 * 1024 + i + 1).collect::<Vec<_>>());
    // Threads of our own (the build's job runners) are deep too.
    let handle = gyokaku::threads::builder().spawn(|| deep(8 * 1024)).expect("thread starts");
    assert_eq!(handle.join().expect("no overflow"), 8 * 1024 + 1);
}
