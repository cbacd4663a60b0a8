//! One Python worker process (`harness.py`) and the line protocol to it. Every read has a
//! deadline: a worker that stops answering (frozen, or a bug) must never hold a caller past it.
//! The link is a Unix socket where workers fork candidates, else pipes read by a thread
//! (`crate::platform`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::{Isolation, Mode, VerdictKind};
use crate::platform::{self, Link, LinkError, PendingLink};

/// How long a new worker may take to import what it needs and report ready, unless
/// [`START_TIMEOUT_ENV`] says otherwise (a heavily loaded machine can need more).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Seconds a worker may take to start (default 60).
pub const START_TIMEOUT_ENV: &str = "RSLM_VERIFY_START_TIMEOUT";

fn ready_timeout() -> Duration {
    std::env::var(START_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map_or(READY_TIMEOUT, Duration::from_secs_f64)
}

/// Everything needed to start a worker; shared by the pool.
#[derive(Debug, Clone)]
pub(super) struct Launch {
    pub python: PathBuf,
    pub python_version: (u32, u32),
    pub harness: PathBuf,
    pub root: PathBuf,
    pub mode: Mode,
    /// Layers to leave out (`landlock`, `netns`), for diagnosis and for tests.
    pub disable: String,
    /// Candidates are spawned as fresh interpreters (`spawned.py`) instead of forked from a
    /// zygote: where there is no fork or no Linux, and with `fork` in `disable`.
    pub spawned: bool,
}

/// What a worker says once it is ready.
#[derive(Debug, Deserialize)]
pub(super) struct Ready {
    pub ready: bool,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub isolation: Option<Isolation>,
    #[serde(default)]
    pub pytest: Option<String>,
}

/// One candidate to verify, as the worker reads it.
#[derive(Debug, Serialize)]
pub(super) struct Request<'a> {
    pub code: &'a str,
    pub function_name: &'a str,
    /// `asserts` (tests: list of lines), `module` (plain test functions, no pytest) or `pytest`.
    pub kind: &'static str,
    pub tests: serde_json::Value,
    /// CPU seconds the candidate may use (the binding limit).
    pub cpu_budget: f64,
    /// Wall-clock seconds before the process group is killed (the backstop).
    pub timeout: f64,
    pub memory_mb: u64,
}

/// The worker's answer for one candidate.
#[derive(Debug, Deserialize)]
pub(super) struct Response {
    pub verdict: VerdictKind,
    pub tests_run: u32,
    pub tests_passed: u32,
    pub first_failure: Option<String>,
    pub log: String,
    pub duration_ms: f64,
    /// The worker can no longer fork pristine candidate processes (its zygote died): it exits
    /// after this answer and the pool replaces it.
    #[serde(default)]
    pub retire: bool,
}

/// Why a round trip with a worker did not produce a response.
#[derive(Debug)]
pub(super) enum Failure {
    /// The worker exited or closed its socket; `candidate` is the child's pid if it had started.
    Died { candidate: Option<i32> },
    /// No answer before the deadline.
    Unresponsive { candidate: Option<i32> },
    /// The request could not be sent, or the answer was not understood.
    Protocol(String),
}

#[derive(Debug, Deserialize)]
struct Started {
    started: i32,
}

pub(super) struct Worker {
    child: Child,
    /// The worker and whatever it started, killed together.
    tree: platform::ProcessTree,
    /// The worker's own pids cgroup, removed once it is dead.
    cgroup: Option<PathBuf>,
    link: Link,
    line: String,
}

impl Worker {
    /// Starts a worker and waits until it reports ready.
    pub fn spawn(launch: &Launch, index: u64) -> anyhow::Result<(Worker, Ready)> {
        let log_path = launch.root.join(format!("worker-{index}.log"));
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let config = serde_json::json!({
            "mode": launch.mode.as_str(),
            "root": launch.root,
            "strict_equal": crate::tasks::render::STRICT_EQUAL_PY,
            "disable": launch.disable,
            "spawn": launch.spawned,
        });
        let mut command = Command::new(&launch.python);
        // Fast mode needs only the standard library: -S skips site (and any .pth files a
        // machine's Python runs at start), and a leaner worker forks faster. pytest mode needs
        // site-packages (the venv's pytest), so only user site is skipped.
        command.arg(match launch.mode {
            Mode::Fast => "-S",
            Mode::Pytest => "-s",
        });
        if launch.python_version >= (3, 11) {
            command.arg("-P");
        }
        command
            .arg(&launch.harness)
            .arg(config.to_string())
            .env_clear()
            .envs(platform::worker_env(&launch.root))
            .current_dir(&launch.root)
            .stderr(Stdio::from(log));
        let pending = PendingLink::attach(&mut command, !launch.spawned)
            .context("cannot create the worker's link")?;
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", launch.python.display()))?;
        let started = platform::ProcessTree::adopt(&child)
            .and_then(|tree| Ok((tree, pending.connect(&mut child)?)));
        let (tree, link) = match started {
            Ok(started) => started,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(anyhow::anyhow!("cannot set up the worker's process: {e}"));
            }
        };
        let mut worker = Worker {
            child,
            tree,
            cgroup: None,
            link,
            line: String::new(),
        };
        let wait = ready_timeout();
        let ready = match worker.read_line(Instant::now() + wait) {
            Ok(()) => serde_json::from_str::<Ready>(&worker.line)
                .with_context(|| format!("unreadable ready line {:?}", worker.line)),
            Err(failure) => {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail: String = log
                    .chars()
                    .rev()
                    .take(2000)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let why = match failure {
                    Failure::Unresponsive { .. } => format!(
                        "did not report ready within {} s (an overloaded machine can need more: set {START_TIMEOUT_ENV} to more seconds, or start fewer with --verify-workers)",
                        wait.as_secs_f64()
                    ),
                    Failure::Died { .. } => "exited before it was ready".to_string(),
                    Failure::Protocol(why) => why,
                };
                Err(anyhow::anyhow!(
                    "the Python worker {why}{}",
                    if tail.trim().is_empty() {
                        String::new()
                    } else {
                        format!("; its last words: {}", tail.trim())
                    }
                ))
            }
        };
        match ready {
            Ok(ready) => {
                worker.cgroup = ready.isolation.as_ref().and_then(|i| i.pids_cgroup.clone());
                Ok((worker, ready))
            }
            Err(e) => {
                worker.kill();
                Err(e)
            }
        }
    }

    /// Sends one candidate and waits for its verdict until `deadline`.
    pub fn run(&mut self, request: &Request<'_>, deadline: Instant) -> Result<Response, Failure> {
        let mut payload =
            serde_json::to_vec(request).map_err(|e| Failure::Protocol(e.to_string()))?;
        payload.push(b'\n');
        if let Err(e) = self.link.write_all(&payload) {
            return Err(match e.kind() {
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset => {
                    Failure::Died { candidate: None }
                }
                _ => Failure::Protocol(format!("cannot send the request: {e}")),
            });
        }
        self.read_line(deadline)
            .map_err(|f| f.with_candidate(None))?;
        let candidate = serde_json::from_str::<Started>(&self.line)
            .map_err(|e| {
                Failure::Protocol(format!(
                    "expected the started line, got {:?}: {e}",
                    self.line
                ))
            })?
            .started;
        self.read_line(deadline)
            .map_err(|f| f.with_candidate(Some(candidate)))?;
        serde_json::from_str::<Response>(&self.line)
            .map_err(|e| Failure::Protocol(format!("unreadable verdict {:?}: {e}", self.line)))
    }

    fn read_line(&mut self, deadline: Instant) -> Result<(), Failure> {
        self.link
            .read_line(&mut self.line, deadline)
            .map_err(|e| match e {
                LinkError::Closed => Failure::Died { candidate: None },
                LinkError::TimedOut => Failure::Unresponsive { candidate: None },
                LinkError::Other(why) => Failure::Protocol(why),
            })
    }

    /// Ends an idle worker the way it expects: its socket closes, it reaps its zygote and exits
    /// (so the CPU of both is accounted to this process), killed only if it takes longer than
    /// a moment.
    pub fn shutdown(self) {
        let Worker {
            mut child,
            mut tree,
            cgroup,
            link,
            ..
        } = self;
        link.close();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        end(&mut child, &mut tree, cgroup);
    }

    /// Kills the worker and reaps it. Its current candidate (if any) dies with it through
    /// PR_SET_PDEATHSIG; the caller kills that candidate's group too.
    pub fn kill(mut self) {
        end(&mut self.child, &mut self.tree, self.cgroup.take());
    }
}

fn end(child: &mut Child, tree: &mut platform::ProcessTree, cgroup: Option<PathBuf>) {
    let _ = child.kill();
    tree.kill();
    let _ = child.wait();
    if let Some(cgroup) = cgroup {
        // Its last tasks may take a moment to exit after the worker's death.
        for _ in 0..100 {
            if std::fs::remove_dir(&cgroup).is_ok() || !cgroup.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Failure {
    fn with_candidate(self, pid: Option<i32>) -> Failure {
        match self {
            Failure::Died { .. } => Failure::Died { candidate: pid },
            Failure::Unresponsive { .. } => Failure::Unresponsive { candidate: pid },
            other => other,
        }
    }

    /// The candidate's process group, if the worker had started one.
    pub fn candidate(&self) -> Option<i32> {
        match self {
            Failure::Died { candidate } | Failure::Unresponsive { candidate } => *candidate,
            Failure::Protocol(_) => None,
        }
    }
}

/// Kills a candidate's whole process group or job (after its worker died or hung).
pub(super) fn kill_candidate(pid: i32) {
    platform::kill_candidate(pid);
}
