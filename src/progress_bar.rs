//! A progress bar for work that takes more than a second, drawn only on a
//! terminal: piped output and CI logs stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

pub struct Progress {
    pub bar: ProgressBar,
    done: Option<mpsc::Sender<()>>,
    watcher: Option<thread::JoinHandle<()>>,
}

impl Progress {
    /// A hidden bar of `steps` (the work may set the real length once it
    /// knows it); after a second, if the work is not done and
    /// stderr is a terminal, it appears.
    pub fn start(steps: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::hidden());
        if !std::io::stderr().is_terminal() {
            return Progress { bar, done: None, watcher: None };
        }
        let (done, wait) = mpsc::channel::<()>();
        let shown = bar.clone();
        let watcher = thread::spawn(move || {
            if wait.recv_timeout(Duration::from_secs(1)).is_err() {
                if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed}] {bar:30} {pos}/{len} {msg}") {
                    shown.set_style(style);
                }
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
                let _ = wait.recv();
            }
        });
        Progress { bar, done: Some(done), watcher: Some(watcher) }
    }

    pub fn finish(mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
        self.bar.finish_and_clear();
    }
}
