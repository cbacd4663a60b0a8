//! The process-wide stop signal. Long work (an iteration, an eval, the promotion gate, rule
//! validation) checks one flag between tasks; Ctrl-C and a used-up time budget both set it, so
//! both end a run the same way: the tasks in flight finish, the run is `interrupted`, and
//! `--resume` continues it. A second Ctrl-C exits at once (the store's transactions keep it
//! consistent).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static FLAG: OnceLock<AtomicBool> = OnceLock::new();
static REASON: OnceLock<String> = OnceLock::new();

/// The stop flag, with the Ctrl-C handler installed on first use.
pub(crate) fn flag() -> &'static AtomicBool {
    let mut installed = false;
    let flag = FLAG.get_or_init(|| {
        installed = true;
        AtomicBool::new(false)
    });
    if installed {
        let _ = ctrlc::set_handler(|| {
            if flag_set("interrupted") {
                eprintln!("\ninterrupted twice: exiting now");
                std::process::exit(130);
            }
            eprintln!("\ninterrupted: finishing the tasks in flight (Ctrl-C again to exit now)");
        });
    }
    flag
}

/// Sets the flag for `reason`; says whether it was already set.
fn flag_set(reason: &str) -> bool {
    let _ = REASON.set(reason.to_string());
    flag().swap(true, Ordering::SeqCst)
}

/// Why the work stopped: "interrupted" (Ctrl-C) or the time budget that ran out.
pub(crate) fn reason() -> &'static str {
    REASON.get().map_or("interrupted", String::as_str)
}

/// Stops `what` (for example "the run") once `budget` has passed, as Ctrl-C would, saying so
/// up front and when it happens, on stderr. The timer thread is detached: it ends with the
/// process.
pub(crate) fn after(budget: Duration, what: &str) {
    let flag = flag();
    let seconds = budget.as_secs();
    eprintln!("time budget: {what} stops after {seconds} s");
    std::thread::spawn(move || {
        std::thread::sleep(budget);
        if !flag.load(Ordering::SeqCst) {
            let reason = format!("time budget of {seconds} s used up");
            flag_set(&reason);
            eprintln!("\n{reason}: finishing the tasks in flight");
        }
    });
}
