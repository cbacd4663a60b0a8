//! The generation -> verification -> storage pipeline. Generation threads (bounded by the
//! backend's concurrency) keep the model busy while verifier threads judge earlier candidates;
//! the calling thread collects verdicts and hands over each task once all its candidates are
//! judged, so storage is one transaction per task. Stopping (Ctrl-C or a backend failure)
//! lets in-flight tasks finish and starts no new ones.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use crate::backend::{Backend, Candidate, GenerationRequest};
use crate::store::episodes::Attempt;
use crate::tasks::Task;
use crate::verify::{Verdict, VerdictKind};

/// Something that judges a candidate against a task's hidden tests.
pub trait Judge: Sync {
    fn judge(&self, task: &Task, code: &str) -> Verdict;
}

impl Judge for crate::verify::Verifier {
    fn judge(&self, task: &Task, code: &str) -> Verdict {
        self.verify(task, code)
    }
}

/// Remembers verdicts within one command, so a candidate that comes back verbatim (several
/// samples of one task, or the same answer under several eval conditions) runs once. The key
/// holds the task's tests, the code and the verifier's mode; only deterministic outcomes
/// (pass, fail, error) are kept, never a timeout, crash or infra verdict.
pub struct CachedJudge<'a> {
    inner: &'a dyn Judge,
    /// Part of every key: what makes verdicts of the same code differ (the verifier's mode).
    salt: &'static str,
    seen: Mutex<HashMap<[u8; 32], Verdict>>,
}

impl<'a> CachedJudge<'a> {
    pub fn new(verifier: &'a crate::verify::Verifier) -> Self {
        Self::wrapping(verifier, verifier.mode().as_str())
    }

    fn wrapping(inner: &'a dyn Judge, salt: &'static str) -> Self {
        CachedJudge {
            inner,
            salt,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn key(&self, task: &Task, code: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [
            self.salt,
            &task.task_id,
            &task.reference_tests,
            &task.assert_tests.join("\n"),
            code,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }
}

impl Judge for CachedJudge<'_> {
    fn judge(&self, task: &Task, code: &str) -> Verdict {
        let key = self.key(task, code);
        if let Some(v) = self.seen.lock().expect("cache lock").get(&key) {
            return v.clone();
        }
        let verdict = self.inner.judge(task, code);
        if matches!(
            verdict.verdict,
            VerdictKind::Pass | VerdictKind::Fail | VerdictKind::Error
        ) {
            self.seen
                .lock()
                .expect("cache lock")
                .insert(key, verdict.clone());
        }
        verdict
    }
}

/// One task with its prepared prompt.
#[derive(Debug, Clone)]
pub struct Job {
    pub task: Task,
    pub request: GenerationRequest,
}

/// A task with all its candidates judged.
#[derive(Debug, Clone)]
pub struct TaskOutcome {
    pub task: Task,
    pub attempts: Vec<Attempt>,
}

/// Live counters, for progress display.
#[derive(Debug, Default)]
pub struct Counters {
    pub tasks_done: AtomicU64,
    pub candidates: AtomicU64,
    pub passed: AtomicU64,
    pub completion_tokens: AtomicU64,
}

/// How many threads of each kind.
#[derive(Debug, Clone, Copy)]
pub struct PipelineShape {
    pub generators: usize,
    pub verifiers: usize,
}

impl PipelineShape {
    /// The threads a pipeline over `lab` runs: its backend's generators, its verifier's workers.
    pub fn of(lab: &crate::lab::Lab) -> PipelineShape {
        PipelineShape {
            generators: lab.backend_config.generators(),
            verifiers: lab.verifier.workers(),
        }
    }
}

/// Why the pipeline stopped early, if it did.
#[derive(Debug)]
pub enum Stop {
    Completed,
    Cancelled,
    BackendFailed(anyhow::Error),
}

/// Runs every job through generation and verification; `on_task` is called on the calling
/// thread for each finished task, in completion order. An error from `on_task` stops the run.
pub fn run(
    jobs: Vec<Job>,
    backend: &dyn Backend,
    judge: &dyn Judge,
    shape: PipelineShape,
    cancel: &AtomicBool,
    counters: &Counters,
    mut on_task: impl FnMut(TaskOutcome) -> anyhow::Result<()>,
) -> anyhow::Result<Stop> {
    let total = jobs.len();
    let queue = Mutex::new(
        jobs.into_iter()
            .enumerate()
            .collect::<std::collections::VecDeque<_>>(),
    );
    let backend_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    // Bounded, so a backend that answers at once (the simulator) cannot run ahead of the
    // verifiers: what is queued when Ctrl-C comes is a few candidates, not the whole run.
    let (to_verify, verify_rx) =
        mpsc::sync_channel::<(usize, Arc<Task>, usize, Candidate)>(shape.verifiers.max(1) * 4);
    let verify_rx = Mutex::new(verify_rx);
    let (to_collect, collect_rx) = mpsc::channel::<Collected>();
    let stop_all = AtomicBool::new(false);

    std::thread::scope(|scope| -> anyhow::Result<Stop> {
        for _ in 0..shape.generators.max(1) {
            let to_verify = to_verify.clone();
            let to_collect = to_collect.clone();
            let (queue, backend_error, stop_all) = (&queue, &backend_error, &stop_all);
            scope.spawn(move || {
                loop {
                    if cancel.load(Ordering::Relaxed) || stop_all.load(Ordering::Relaxed) {
                        break;
                    }
                    let Some((index, job)) = queue.lock().expect("queue lock").pop_front() else {
                        break;
                    };
                    let task = Arc::new(job.task);
                    match backend.generate(&job.request) {
                        Ok(candidates) => {
                            let _ = to_collect.send(Collected::Expect(
                                index,
                                task.clone(),
                                candidates.len(),
                            ));
                            for (sample, candidate) in candidates.into_iter().enumerate() {
                                counters.completion_tokens.fetch_add(
                                    u64::from(candidate.completion_tokens.unwrap_or(0)),
                                    Ordering::Relaxed,
                                );
                                let _ = to_verify.send((index, task.clone(), sample, candidate));
                            }
                        }
                        Err(e) => {
                            backend_error.lock().expect("error lock").get_or_insert(e);
                            stop_all.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                }
            });
        }
        drop(to_verify);
        for _ in 0..shape.verifiers.max(1) {
            let to_collect = to_collect.clone();
            let (verify_rx, stop_all) = (&verify_rx, &stop_all);
            scope.spawn(move || {
                loop {
                    let next = verify_rx.lock().expect("verify lock").recv();
                    let Ok((index, task, sample, candidate)) = next else {
                        break;
                    };
                    // After Ctrl-C (or a failure) the queue is drained unjudged, so generators
                    // blocked on it can see the stop and end; unfinished tasks stay unrecorded.
                    if cancel.load(Ordering::Relaxed) || stop_all.load(Ordering::Relaxed) {
                        continue;
                    }
                    let verdict = if candidate.code.trim().is_empty() {
                        no_code_verdict(&candidate)
                    } else {
                        judge.judge(&task, &candidate.code)
                    };
                    let _ = to_collect.send(Collected::Judged(
                        index,
                        Attempt {
                            sample_index: sample,
                            candidate,
                            verdict,
                        },
                    ));
                }
            });
        }
        drop(to_collect);

        let mut pending: HashMap<usize, (Arc<Task>, usize, Vec<Attempt>)> = HashMap::new();
        let mut early: HashMap<usize, Vec<Attempt>> = HashMap::new();
        // Finished tasks are handed on in job order, whatever order the threads finish them in,
        // so what is stored (and so what later iterations retrieve) does not depend on timing.
        let mut in_order = InOrder::default();
        let mut finished = 0usize;
        let mut callback_error = None;
        let mut deliver = |outcome: TaskOutcome,
                           finished: &mut usize,
                           callback_error: &mut Option<anyhow::Error>| {
            if callback_error.is_some() {
                return;
            }
            *finished += 1;
            counters.tasks_done.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = on_task(outcome) {
                *callback_error = Some(e);
                stop_all.store(true, Ordering::Relaxed);
            }
        };
        for message in collect_rx {
            let index = match message {
                Collected::Expect(index, task, n) => {
                    let got = early.remove(&index).unwrap_or_default();
                    pending.insert(index, (task, n, got));
                    index
                }
                Collected::Judged(index, attempt) => {
                    counters.candidates.fetch_add(1, Ordering::Relaxed);
                    if attempt.verdict.passed() {
                        counters.passed.fetch_add(1, Ordering::Relaxed);
                    }
                    match pending.get_mut(&index) {
                        Some(entry) => entry.2.push(attempt),
                        None => early.entry(index).or_default().push(attempt),
                    }
                    index
                }
            };
            let complete = pending
                .get(&index)
                .is_some_and(|(_, n, got)| got.len() == *n);
            if complete {
                let (task, _, mut attempts) = pending.remove(&index).expect("pending task");
                attempts.sort_by_key(|a| a.sample_index);
                in_order.push(
                    index,
                    TaskOutcome {
                        task: Arc::unwrap_or_clone(task),
                        attempts,
                    },
                );
            }
            for outcome in in_order.ready() {
                deliver(outcome, &mut finished, &mut callback_error);
            }
        }
        // A stop leaves gaps (tasks never generated): what did finish is still handed on.
        for outcome in in_order.rest() {
            deliver(outcome, &mut finished, &mut callback_error);
        }
        if let Some(e) = callback_error {
            return Err(e);
        }
        if let Some(e) = backend_error.lock().expect("error lock").take() {
            return Ok(Stop::BackendFailed(e));
        }
        Ok(if finished < total {
            Stop::Cancelled
        } else {
            Stop::Completed
        })
    })
}

/// Finished tasks held until every earlier job has been handed on.
#[derive(Default)]
struct InOrder {
    next: usize,
    waiting: std::collections::BTreeMap<usize, TaskOutcome>,
}

impl InOrder {
    fn push(&mut self, index: usize, outcome: TaskOutcome) {
        self.waiting.insert(index, outcome);
    }

    /// The outcomes that are next in job order.
    fn ready(&mut self) -> Vec<TaskOutcome> {
        let mut out = Vec::new();
        while let Some(outcome) = self.waiting.remove(&self.next) {
            out.push(outcome);
            self.next += 1;
        }
        out
    }

    /// Everything still waiting, in job order.
    fn rest(&mut self) -> Vec<TaskOutcome> {
        std::mem::take(&mut self.waiting).into_values().collect()
    }
}

enum Collected {
    Expect(usize, Arc<Task>, usize),
    Judged(usize, Attempt),
}

/// A candidate whose response held no code fails without running anything.
fn no_code_verdict(candidate: &Candidate) -> Verdict {
    Verdict {
        verdict: crate::verify::VerdictKind::Error,
        tests_run: 0,
        tests_passed: 0,
        first_failure: Some("extract".into()),
        log: candidate
            .error
            .clone()
            .unwrap_or_else(|| "no Python code in the response".into()),
        duration_ms: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Judges by the code's first word and counts what reaches it.
    struct Counting(AtomicUsize);

    impl Judge for Counting {
        fn judge(&self, _task: &Task, code: &str) -> Verdict {
            self.0.fetch_add(1, Ordering::SeqCst);
            let kind = match code.split_whitespace().next() {
                Some("pass") => VerdictKind::Pass,
                Some("fail") => VerdictKind::Fail,
                Some("error") => VerdictKind::Error,
                Some("timeout") => VerdictKind::Timeout,
                Some("crash") => VerdictKind::Crash,
                _ => VerdictKind::Infra,
            };
            Verdict {
                verdict: kind,
                tests_run: 1,
                tests_passed: u32::from(kind == VerdictKind::Pass),
                first_failure: None,
                log: code.to_string(),
                duration_ms: 1.0,
            }
        }
    }

    fn task(id: &str, tests: &str) -> Task {
        crate::tasks::loader::parse_jsonl(
            &serde_json::json!({
                "task_id": id, "prompt": "Return n plus 1.", "function_name": "f",
                "signature": "(n)", "reference_tests": tests, "assert_tests": ["assert f(1) == 2"],
            })
            .to_string(),
            "test",
        )
        .unwrap()
        .remove(0)
    }

    #[test]
    fn deterministic_verdicts_are_judged_once_per_task_tests_and_code() {
        let inner = Counting(AtomicUsize::new(0));
        let judge = CachedJudge::wrapping(&inner, "fast");
        let a = task("a", "def test_a():\n    assert f(1) == 2\n");
        for code in ["pass 1", "fail 1", "error 1"] {
            let first = judge.judge(&a, code);
            assert_eq!(judge.judge(&a, code), first, "{code}: the same verdict");
        }
        assert_eq!(
            inner.0.load(Ordering::SeqCst),
            3,
            "each answer verified once"
        );

        // Another task, other tests under the same id, or other code: verified again.
        judge.judge(
            &task("b", "def test_a():\n    assert f(1) == 2\n"),
            "pass 1",
        );
        judge.judge(
            &task("a", "def test_a():\n    assert f(2) == 3\n"),
            "pass 1",
        );
        judge.judge(&a, "pass 2");
        assert_eq!(inner.0.load(Ordering::SeqCst), 6);
        // A verifier in another mode does not share the cache.
        CachedJudge::wrapping(&inner, "pytest").judge(&a, "pass 1");
        assert_eq!(inner.0.load(Ordering::SeqCst), 7);
    }

    #[test]
    fn timeouts_crashes_and_infra_failures_are_never_cached() {
        let inner = Counting(AtomicUsize::new(0));
        let judge = CachedJudge::wrapping(&inner, "fast");
        let a = task("a", "def test_a():\n    assert f(1) == 2\n");
        for code in ["timeout 1", "crash 1", "infra 1"] {
            judge.judge(&a, code);
            judge.judge(&a, code);
        }
        assert_eq!(inner.0.load(Ordering::SeqCst), 6, "each judged every time");
    }
}
