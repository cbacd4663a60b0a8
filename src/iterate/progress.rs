//! The progress line on stderr (only when stderr is a terminal) for long runs.

use std::sync::atomic::Ordering;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::pipeline::Counters;

/// A progress bar over tasks that also shows passes, candidates/s and tokens/s.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
}

impl Progress {
    pub fn new(total: usize, label: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} tasks {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_string());
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    pub fn update(&self, counters: &Counters) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let candidates = counters.candidates.load(Ordering::Relaxed);
        self.bar
            .set_position(counters.tasks_done.load(Ordering::Relaxed));
        self.bar.set_message(format!(
            "| {} passed | {:.0} cand/s | {:.0} tok/s",
            counters.passed.load(Ordering::Relaxed),
            candidates as f64 / secs,
            counters.completion_tokens.load(Ordering::Relaxed) as f64 / secs
        ));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
