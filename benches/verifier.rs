//! Verifier throughput: rslm's fast and pytest modes (warm forked workers, one per core) against
//! the original's way (a fresh `python3` from PATH per candidate, serially: a plain assert
//! script, and `python3 -m pytest`), in one run, on tasks like the bundled ones.
//!
//!     cargo bench --bench verifier
//!
//! pytest runs use `RSLM_PYTHON` (else `.rslm/venv/bin/python`; see scripts/python_env.sh); the
//! original's `python3 -m pytest` runs with that venv's `bin` first on PATH, as an activated venv
//! would. Counts scale with `RSLM_BENCH_SCALE` (default 1.0). With `RSLM_BENCH_JSON=PATH` the
//! rows are also written there as JSON (scripts/bench_scale.sh keeps them for docs/scale.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rslm::tasks::Task;
use rslm::tasks::families;
use rslm::tasks::render::render;
use rslm::verify::{Mode, Verifier, VerifierConfig};

/// A task and a candidate for it, and whether the candidate is right.
struct Job {
    task: Task,
    code: String,
    good: bool,
}

/// Tasks from every family (as the bundled set is built); half right, half wrong candidates.
fn jobs() -> Vec<Job> {
    let mut jobs = Vec::new();
    for family in families::all() {
        for index in (0..family.variants())
            .step_by((family.variants() / 4).max(1))
            .take(4)
        {
            let spec = family.build(index);
            let task = render(&spec, family.name());
            let wrong = format!(
                "def {}({}):\n    return None\n",
                spec.function_name,
                spec.params.join(", ")
            );
            jobs.push(Job {
                task: task.clone(),
                code: spec.reference_solution.clone(),
                good: true,
            });
            jobs.push(Job {
                task,
                code: wrong,
                good: false,
            });
        }
    }
    jobs
}

struct Row {
    name: String,
    candidates: usize,
    seconds: f64,
    wrong_verdicts: usize,
    /// CPU seconds of this process and its reaped children (workers, interpreters).
    cpu_seconds: f64,
    /// CPU seconds of this process alone (rslm's side: pool, protocol, threads).
    own_cpu_seconds: f64,
}

/// User + system CPU of this process alone, in seconds.
fn own_cpu_seconds() -> f64 {
    proc_stat_ticks(11..13) / 100.0
}

/// User + system CPU of this process and of its reaped children, in seconds.
fn cpu_seconds() -> f64 {
    proc_stat_ticks(11..15) / 100.0
}

fn proc_stat_ticks(range: std::ops::Range<usize>) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the command name).
    range
        .filter_map(|i| fields.get(i)?.parse::<f64>().ok())
        .sum()
}

impl Row {
    fn rate(&self) -> f64 {
        self.candidates as f64 / self.seconds
    }
}

fn scaled(n: usize) -> usize {
    let scale: f64 = std::env::var("RSLM_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * scale).round() as usize).max(4)
}

fn run_rslm(name: &str, config: VerifierConfig, jobs: &[Job], count: usize) -> Row {
    let started = Instant::now();
    let verifier = Verifier::start(config).expect("verifier starts");
    eprintln!(
        "{name}: started {} workers in {:.0} ms; {}",
        verifier.workers(),
        started.elapsed().as_secs_f64() * 1000.0,
        verifier.isolation()
    );
    let cpu_before = cpu_seconds();
    let own_before = own_cpu_seconds();
    // Warm-up outside the measurement.
    for job in jobs.iter().take(verifier.workers()) {
        verifier.verify(&job.task, &job.code);
    }
    let next = AtomicUsize::new(0);
    let wrong = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        // Two callers per worker keep every worker busy while Rust handles the other answer.
        for _ in 0..verifier.workers() * 2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let job = &jobs[i % jobs.len()];
                    if verifier.verify(&job.task, &job.code).passed() != job.good {
                        wrong.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let workers = verifier.workers();
    drop(verifier); // reaps the workers, so their CPU (and their children's) is counted
    Row {
        name: name.to_string(),
        candidates: count + workers,
        seconds: seconds * (count + workers) as f64 / count as f64,
        wrong_verdicts: wrong.into_inner(),
        cpu_seconds: cpu_seconds() - cpu_before,
        own_cpu_seconds: own_cpu_seconds() - own_before,
    }
}

/// The original's fast mode: solution + assert lines in a script, a fresh interpreter per
/// candidate, judged by its exit code.
fn run_original_fast(jobs: &[Job], count: usize) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = 0;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    for i in 0..count {
        let job = &jobs[i % jobs.len()];
        let script = format!(
            "{}\n{}\n{}\n",
            rslm::tasks::render::STRICT_EQUAL_PY,
            job.code,
            job.task.assert_tests.join("\n")
        );
        let path = dir.path().join("run_tests.py");
        std::fs::write(&path, script).unwrap();
        let ok = Command::new("python3")
            .arg(&path)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        wrong += usize::from(ok != job.good);
    }
    Row {
        name: "original fast (python3 per candidate)".into(),
        candidates: count,
        seconds: started.elapsed().as_secs_f64(),
        wrong_verdicts: wrong,
        cpu_seconds: cpu_seconds() - cpu_before,
        own_cpu_seconds: 0.0,
    }
}

/// The original's pytest mode: `python3 -m pytest -q` per candidate on solution.py + test file.
fn run_original_pytest(venv_bin: &Path, jobs: &[Job], count: usize) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut wrong = 0;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    for i in 0..count {
        let job = &jobs[i % jobs.len()];
        std::fs::write(dir.path().join("solution.py"), &job.code).unwrap();
        std::fs::write(
            dir.path().join("test_solution.py"),
            &job.task.reference_tests,
        )
        .unwrap();
        let ok = Command::new("python3")
            .args([
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "test_solution.py",
            ])
            .env("PATH", &path)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        wrong += usize::from(ok != job.good);
    }
    Row {
        name: "original pytest (python3 -m pytest per candidate)".into(),
        candidates: count,
        seconds: started.elapsed().as_secs_f64(),
        wrong_verdicts: wrong,
        cpu_seconds: cpu_seconds() - cpu_before,
        own_cpu_seconds: 0.0,
    }
}

fn pytest_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RSLM_PYTHON").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".rslm/venv/bin/python");
    venv.exists().then_some(venv)
}

fn main() {
    let jobs = jobs();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    eprintln!(
        "{} tasks from {} families, half right and half wrong candidates; {cores} cores",
        jobs.len() / 2,
        families::all().len()
    );
    let fast = |spawn: bool| VerifierConfig {
        spawn_per_candidate: spawn,
        ..VerifierConfig::new(Mode::Fast)
    };
    let mut rows = vec![run_rslm("rslm fast", fast(false), &jobs, scaled(3000))];
    let original_fast = run_original_fast(&jobs, scaled(40));
    rows.push(run_rslm(
        "rslm fast, fresh interpreter per candidate",
        fast(true),
        &jobs,
        scaled(200),
    ));
    let mut original_pytest = None;
    match pytest_python() {
        Some(python) => {
            let config = VerifierConfig {
                python: Some(python.clone()),
                ..VerifierConfig::new(Mode::Pytest)
            };
            rows.push(run_rslm("rslm pytest", config, &jobs, scaled(240)));
            let bin = python.parent().unwrap().to_path_buf();
            original_pytest = Some(run_original_pytest(&bin, &jobs, scaled(24)));
        }
        None => eprintln!(
            "SKIPPED pytest rows: no RSLM_PYTHON and no .rslm/venv (run scripts/python_env.sh)"
        ),
    }
    println!();
    println!(
        "{:<52} {:>10} {:>9} {:>13} {:>10} {:>10} {:>7}",
        "way", "candidates", "seconds", "candidates/s", "cpu ms/c", "rslm ms/c", "wrong"
    );
    let all: Vec<&Row> = rows
        .iter()
        .chain(std::iter::once(&original_fast))
        .chain(original_pytest.iter())
        .collect();
    if let Some(path) = std::env::var_os("RSLM_BENCH_JSON") {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|row| {
                serde_json::json!({
                    "way": row.name, "candidates": row.candidates, "seconds": row.seconds,
                    "candidates_per_second": row.rate(),
                    "cpu_ms_per_candidate": row.cpu_seconds * 1000.0 / row.candidates as f64,
                    "candidates_per_cpu_second": row.candidates as f64 / row.cpu_seconds.max(1e-9),
                    "wrong_verdicts": row.wrong_verdicts,
                })
            })
            .collect();
        let figures = serde_json::json!({"cores": cores, "rows": rows});
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&figures).unwrap() + "\n",
        )
        .unwrap();
    }
    for row in &all {
        println!(
            "{:<52} {:>10} {:>9.2} {:>13.1} {:>10.2} {:>10.2} {:>7}",
            row.name,
            row.candidates,
            row.seconds,
            row.rate(),
            row.cpu_seconds * 1000.0 / row.candidates as f64,
            row.own_cpu_seconds * 1000.0 / row.candidates as f64,
            row.wrong_verdicts
        );
    }
    println!();
    println!(
        "rslm fast / original fast:     {:>6.1}x",
        rows[0].rate() / original_fast.rate()
    );
    if let (Some(pytest), Some(original)) = (rows.get(2), &original_pytest) {
        println!(
            "rslm pytest / original pytest: {:>6.1}x",
            pytest.rate() / original.rate()
        );
        println!(
            "rslm fast / original pytest:   {:>6.1}x",
            rows[0].rate() / original.rate()
        );
    }
}
