//! Progress bars for long commands (eval, consolidate, verify --samples): on stderr, drawn only
//! when stderr is a terminal, so piped output and log files get no control codes. Workflows
//! say how far they are (`advance`); how that looks is decided here alone.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over a known number of steps; cleared when dropped, so an early return or an error
/// leaves no half-drawn line.
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar labelled `label` over `total` steps of `unit` (e.g. "tasks x conditions").
    pub(crate) fn new(label: &str, total: usize, unit: &str) -> Progress {
        // Styled while hidden, so the first frame already has its label and unit; indicatif's
        // stderr target then draws nothing when stderr is not a terminal.
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:25}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(label.to_string());
        bar.set_message(unit.to_string());
        bar.set_draw_target(ProgressDrawTarget::stderr());
        Progress { bar }
    }

    /// `steps` more are done.
    pub(crate) fn advance(&self, steps: usize) {
        self.bar.inc(steps as u64);
    }

    /// Replaces the text after the counts (e.g. "samples, 12 passed").
    pub(crate) fn say(&self, message: String) {
        self.bar.set_message(message);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
