//! Running a build's jobs within a memory budget.

use super::context::{Context, Done};
use super::jobs::Job;
use super::print_time;
use indicatif::ProgressBar;

/// What the jobs in memory at once may need together, by their estimates
/// (`Job::memory_mb`). A job needing more than all of it runs alone; one
/// needing most of it (a booklet volume of 500 sheets) runs beside small
/// ones (a batch of item sheets), never beside another large one.
pub(crate) const MEMORY_BUDGET_MB: usize = 1100;

/// The memo is evicted once the jobs finished since the last eviction are
/// estimated to have needed this much: after every large job (a batch of
/// item sheets, a booklet volume), after a few small ones together.
const EVICT_AFTER_MB: usize = 100;

/// Runs the jobs on one thread per core, the largest first, so the small
/// ones fill in around them. A thread takes the first waiting job that fits
/// in the memory budget beside those running; a job too large to share it
/// runs alone, and Typst's memo is emptied after it. So peak memory is
/// bounded by design, whatever the number of items. A job's own parallel
/// work (Typst's layout, the per-item exports) runs on rayon's pool, which
/// never picks up another job while it waits. Returns each job's index
/// with its result.
pub(crate) fn run_jobs(jobs: &[Job], cx: &Context, progress: &ProgressBar) -> Vec<(usize, Result<Done, String>)> {
    use std::sync::{Condvar, Mutex};
    struct Queue {
        waiting: Vec<usize>,
        /// Estimated memory of the jobs running, and how many run.
        in_use: usize,
        running: usize,
        alone: bool,
        /// Estimated memory of the jobs finished since the memo was last
        /// evicted.
        unevicted: usize,
    }
    let mut waiting: Vec<usize> = (0..jobs.len()).collect();
    waiting.sort_by_key(|&i| std::cmp::Reverse(jobs[i].weight()));
    let memory: Vec<usize> = jobs.iter().map(|j| j.memory_mb(cx)).collect();
    let alone = |i: usize| memory[i] > MEMORY_BUDGET_MB;
    let queue = Mutex::new(Queue { waiting, in_use: 0, running: 0, alone: false, unevicted: 0 });
    let changed = Condvar::new();
    let finished = Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|scope| {
        for _ in 0..rayon::current_num_threads().clamp(1, jobs.len().max(1)) {
            crate::threads::builder().spawn_scoped(scope, || loop {
                let i = {
                    let mut q = queue.lock().expect("no job panicked");
                    loop {
                        let Some(&head) = q.waiting.first() else { break None };
                        let pick = if q.alone || (alone(head) && q.running > 0) {
                            // A job runs alone, or the next one must: wait.
                            None
                        } else if alone(head) {
                            Some(0)
                        } else {
                            q.waiting.iter().position(|&i| !alone(i) && (q.running == 0 || q.in_use + memory[i] <= MEMORY_BUDGET_MB))
                        };
                        if let Some(k) = pick {
                            let i = q.waiting.remove(k);
                            q.in_use += memory[i];
                            q.running += 1;
                            q.alone = alone(i);
                            break Some(i);
                        }
                        q = changed.wait(q).expect("no job panicked");
                    }
                };
                let Some(i) = i else { break };
                let started = std::time::Instant::now();
                let result = jobs[i].run(cx);
                print_time(format_args!("{:?}  (ended at {:.3} s)", jobs[i], cx.started.elapsed().as_secs_f64()), started);
                progress.inc(jobs[i].steps());
                finished.lock().expect("no job panicked").push((i, result));
                // Typst's memo of what no job touched lately goes (the
                // layouts of a finished document) once the jobs finished
                // since the last eviction may hold EVICT_AFTER_MB; after a
                // job that ran alone, all of it. (Walking the memo costs
                // time; after each small job it was 4% of the sample's.)
                let evict = {
                    let mut q = queue.lock().expect("no job panicked");
                    q.unevicted += memory[i];
                    let now = alone(i) || q.unevicted >= EVICT_AFTER_MB;
                    if now {
                        q.unevicted = 0;
                    }
                    now
                };
                if evict {
                    cx.evict(if alone(i) { 0 } else { 2 });
                }
                let mut q = queue.lock().expect("no job panicked");
                q.in_use -= memory[i];
                q.running -= 1;
                q.alone = false;
                changed.notify_all();
            })
            .expect("a job thread can start");
        }
    });
    finished.into_inner().expect("no job panicked")
}
