//! One Python worker process (`harness.py`) and the line protocol to it over a Unix socket.
//! A socket rather than pipes because it has read timeouts: a worker that stops answering
//! (frozen, or a bug) must never hold a caller past its deadline.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::{Isolation, Mode, VerdictKind};

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
    /// The worker's own pids cgroup, removed once it is dead.
    cgroup: Option<PathBuf>,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    line: String,
}

impl Worker {
    /// Starts a worker and waits until it reports ready.
    pub fn spawn(launch: &Launch, index: u64) -> anyhow::Result<(Worker, Ready)> {
        let (ours, theirs) = UnixStream::pair().context("cannot create a socket pair")?;
        let log_path = launch.root.join(format!("worker-{index}.log"));
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let config = serde_json::json!({
            "mode": launch.mode.as_str(),
            "root": launch.root,
            "strict_equal": crate::tasks::render::STRICT_EQUAL_PY,
            "disable": launch.disable,
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
            .envs([
                ("PATH", "/usr/bin:/bin"),
                ("HOME", &launch.root.to_string_lossy()),
                ("TMPDIR", &launch.root.to_string_lossy()),
                ("TZ", "UTC"),
                ("LANG", "C.UTF-8"),
                ("PYTHONHASHSEED", "0"),
                ("PYTHONDONTWRITEBYTECODE", "1"),
                ("PYTHONNOUSERSITE", "1"),
            ])
            .current_dir(&launch.root)
            .stdin(Stdio::from(OwnedFd::from(theirs.try_clone()?)))
            .stdout(Stdio::from(OwnedFd::from(theirs)))
            .stderr(Stdio::from(log))
            .process_group(0);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", launch.python.display()))?;
        let writer = ours.try_clone()?;
        let mut worker = Worker {
            child,
            cgroup: None,
            reader: BufReader::new(ours),
            writer,
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
        self.writer
            .set_write_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| Failure::Protocol(e.to_string()))?;
        if let Err(e) = self.writer.write_all(&payload) {
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
        self.line.clear();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Failure::Unresponsive { candidate: None });
            }
            if let Err(e) = self.reader.get_ref().set_read_timeout(Some(remaining)) {
                return Err(Failure::Protocol(e.to_string()));
            }
            match self.reader.read_line(&mut self.line) {
                Ok(0) => return Err(Failure::Died { candidate: None }),
                Ok(_) if self.line.ends_with('\n') => return Ok(()),
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return Err(Failure::Died { candidate: None }),
            }
        }
    }

    /// Ends an idle worker the way it expects: its socket closes, it reaps its zygote and exits
    /// (so the CPU of both is accounted to this process), killed only if it takes longer than
    /// a moment.
    pub fn shutdown(self) {
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut worker = self;
        while Instant::now() < deadline {
            if matches!(worker.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        worker.kill();
    }

    /// Kills the worker and reaps it. Its current candidate (if any) dies with it through
    /// PR_SET_PDEATHSIG; the caller kills that candidate's group too.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(cgroup) = self.cgroup.take() {
            // Its last tasks may take a moment to exit after the worker's death.
            for _ in 0..100 {
                if std::fs::remove_dir(&cgroup).is_ok() || !cgroup.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
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

/// Kills a candidate's whole process group (after its worker died or hung).
pub(super) fn kill_group(pgid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pgid) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}
