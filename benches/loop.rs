//! Loop throughput, measured side by side in one run (`cargo bench --bench loop`):
//! - one run-iteration of the mock over 200 tasks with k = 4 (target: under 2 s of wall time);
//! - run-iteration against a fake OpenAI server that answers after 200 ms, with 1, 4 and 16
//!   requests in flight: throughput must scale with `--concurrency`;
//! - the same against a slow server (1 s per answer) with 1 to 256 requests in flight, the
//!   figures behind docs/scale.md;
//! - one store shared by several writers (run-iterations at once on one SQLite file);
//! - what an eval adds to the store, now that every candidate is kept.
//!
//! With `RSLM_BENCH_JSON=PATH` the figures are also written there (scripts/bench_scale.sh).
//! `RSLM_BENCH_QUICK=1` runs only the slow-server, writers and storage parts.

#[path = "../tests/support/fake_openai.rs"]
mod fake_openai;

use std::process::Command;
use std::time::{Duration, Instant};

use fake_openai::{FakeOpenAi, Reply};

fn rslm() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rslm"));
    cmd.env_remove("RSLM_DB")
        .env_remove("RSLM_BACKEND")
        .env("RSLM_FAST_VERIFY", "1");
    cmd
}

fn run(cmd: &mut Command) -> Duration {
    let started = Instant::now();
    let out = cmd.output().expect("rslm runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// Tasks `add_1-t` .. `add_{count}-t`: "Return n plus i." with one assert each.
fn add_tasks(path: &std::path::Path, count: usize) {
    let lines: Vec<String> = (1..=count)
        .map(|i| {
            serde_json::json!({"task_id": format!("add_{i}-t"), "prompt": format!("Return n plus {i}."), "function_name": format!("add_{i}"),
                "signature": "(n)", "reference_tests": "", "assert_tests": [format!("assert add_{i}(1) == {}", i + 1)]})
            .to_string()
        })
        .collect();
    std::fs::write(path, lines.join("\n")).unwrap();
}

/// A fake server whose every answer is the right function, after `delay`.
fn adding_server(delay: Duration) -> FakeOpenAi {
    FakeOpenAi::builder()
        .responder(move |req| {
            let user = req.user_message();
            let name = user
                .lines()
                .find_map(|l| l.strip_prefix("Function name: "))
                .unwrap_or("f")
                .trim()
                .to_string();
            let k: String = name.chars().filter(char::is_ascii_digit).collect();
            Reply::delayed(
                delay,
                Reply::text(format!(
                    "```python\ndef {name}(n):\n    return n + {k}\n```"
                )),
            )
        })
        .start()
}

/// One run-iteration of `tasks` against `server` with `concurrency` requests in flight.
fn openai_iteration(
    server: &FakeOpenAi,
    tasks: &std::path::Path,
    db: &std::path::Path,
    count: usize,
    concurrency: usize,
) -> Duration {
    run(rslm()
        .args([
            "run-iteration",
            "--backend",
            "openai",
            "--model",
            "fake-model",
            "--k",
            "1",
            "--heldout-size",
            "0",
        ])
        .arg("--task-limit")
        .arg(count.to_string())
        .arg("--concurrency")
        .arg(concurrency.to_string())
        .arg("--base-url")
        .arg(server.base_url())
        .arg("--tasks")
        .arg(tasks)
        .arg("--db")
        .arg(db))
}

/// `--concurrency` from 1 to 256 against a server that takes 1 s per answer: how close the
/// rate comes to concurrency / 1 s.
fn slow_server(dir: &std::path::Path) -> serde_json::Value {
    const DELAY: Duration = Duration::from_secs(1);
    let tasks = dir.join("slow_tasks.jsonl");
    add_tasks(&tasks, 512);
    let mut rows = Vec::new();
    for concurrency in [1usize, 4, 16, 64, 128, 256] {
        let server = adding_server(DELAY);
        let db = dir.join(format!("slow{concurrency}.sqlite"));
        // Two rounds of requests at each level (at least 8 tasks), so start-up is amortised.
        let count = (2 * concurrency).max(8);
        let elapsed = openai_iteration(&server, &tasks, &db, count, concurrency);
        let rate = count as f64 / elapsed.as_secs_f64();
        let ideal = concurrency as f64 / DELAY.as_secs_f64();
        println!(
            "slow server (1 s per answer): --concurrency {concurrency:>3}: {count} tasks in {:.2} s, {rate:.1} tasks/s ({:.0}% of {ideal:.0}/s), max in flight {}",
            elapsed.as_secs_f64(),
            100.0 * rate / ideal,
            server.max_in_flight()
        );
        rows.push(serde_json::json!({
            "concurrency": concurrency, "tasks": count, "seconds": elapsed.as_secs_f64(),
            "tasks_per_second": rate, "ideal_tasks_per_second": ideal,
            "efficiency": rate / ideal, "max_in_flight": server.max_in_flight(),
        }));
    }
    serde_json::json!({"server_delay_seconds": DELAY.as_secs_f64(), "runs": rows})
}

/// Several run-iterations at once on one store (mock backend, 200 tasks, k = 4 each): SQLite
/// serialises their writes; do they all finish, and at what cost?
fn shared_store(dir: &std::path::Path) -> serde_json::Value {
    let mut rows = Vec::new();
    for writers in [1usize, 2, 4, 8] {
        let db = dir.join(format!("shared{writers}.sqlite"));
        run(rslm().args(["init-db", "--db"]).arg(&db));
        let started = Instant::now();
        let children: Vec<_> = (0..writers)
            .map(|w| {
                rslm()
                    .args(["run-iteration", "--k", "4", "--heldout-size", "0", "--seed"])
                    .arg(w.to_string())
                    .arg("--db")
                    .arg(&db)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("rslm starts")
            })
            .collect();
        let mut failed = Vec::new();
        for child in children {
            let out = child.wait_with_output().expect("rslm runs");
            if !out.status.success() {
                failed.push(
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                        .to_string(),
                );
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "one store, {writers} run-iterations at once (mock, 200 tasks x k=4 each): {seconds:.2} s, {} failed{}",
            failed.len(),
            failed
                .first()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default()
        );
        rows.push(serde_json::json!({
            "writers": writers, "seconds": seconds, "failed": failed.len(), "first_error": failed.first(),
            "candidates": writers * 800, "candidates_per_second": (writers * 800) as f64 / seconds,
        }));
    }
    serde_json::json!({"runs": rows})
}

/// Bytes an eval adds to the store now that every candidate is kept: a mock eval of 40
/// held-out tasks, four conditions, n = 4 (640 candidates), after one iteration.
fn eval_storage(dir: &std::path::Path) -> serde_json::Value {
    let db = dir.join("storage.sqlite");
    run(rslm()
        .args(["run-iteration", "--k", "4", "--memory-enabled", "--db"])
        .arg(&db));
    let size = |db: &std::path::Path| {
        // After a checkpoint, so the WAL's pages are in the file.
        run(rslm().args(["init-db", "--db"]).arg(db));
        let wal = db.with_extension("sqlite-wal");
        std::fs::metadata(db).map_or(0, |m| m.len()) + std::fs::metadata(wal).map_or(0, |m| m.len())
    };
    let before = size(&db);
    let mut grown = Vec::new();
    for seed in 0..3 {
        let start = size(&db);
        run(rslm()
            .args(["eval", "--n", "4", "--k", "1", "--skip-precision", "--seed"])
            .arg(seed.to_string())
            .arg("--db")
            .arg(&db));
        grown.push(size(&db) - start);
    }
    let per_eval = grown.iter().sum::<u64>() as f64 / grown.len() as f64;
    println!(
        "store growth per eval (mock, 40 tasks x 4 conditions x n=4 = 640 candidates): {:.0} KiB ({:.0} bytes per candidate); store before: {} KiB",
        per_eval / 1024.0,
        per_eval / 640.0,
        before / 1024
    );
    serde_json::json!({
        "candidates_per_eval": 640, "bytes_per_eval": grown, "mean_bytes_per_eval": per_eval,
        "bytes_per_candidate": per_eval / 640.0, "store_bytes_before": before,
    })
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let quick = std::env::var_os("RSLM_BENCH_QUICK").is_some_and(|v| v == "1");
    let mut figures = serde_json::Map::new();
    figures.insert(
        "cores".into(),
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .into(),
    );
    if !quick {
        figures.insert("fake_server_200ms".into(), classic(dir.path()));
    }
    figures.insert("slow_server".into(), slow_server(dir.path()));
    figures.insert("shared_store".into(), shared_store(dir.path()));
    figures.insert("eval_storage".into(), eval_storage(dir.path()));
    if let Some(path) = std::env::var_os("RSLM_BENCH_JSON") {
        let text = serde_json::to_string_pretty(&serde_json::Value::Object(figures)).unwrap();
        std::fs::write(&path, text + "\n").unwrap();
        eprintln!("figures: {}", std::path::Path::new(&path).display());
    }
}

/// The original figures: the mock over the bundled set, and 1/4/16 in flight at 200 ms.
fn classic(dir: &std::path::Path) -> serde_json::Value {
    let mut out = serde_json::Map::new();

    // The mock over the whole bundled set: 200 tasks, 800 candidates.
    let mock: Vec<Duration> = (0..3)
        .map(|i| {
            let db = dir.join(format!("mock{i}.sqlite"));
            run(rslm()
                .args(["run-iteration", "--k", "4", "--heldout-size", "0", "--db"])
                .arg(&db))
        })
        .collect();
    let m = median(mock);
    out.insert("mock_200_tasks_k4_seconds".into(), m.as_secs_f64().into());
    println!(
        "mock: 200 tasks x k=4 in {:.2} s (median of 3), {:.0} candidates/s",
        m.as_secs_f64(),
        800.0 / m.as_secs_f64()
    );

    // A fake server answering after 200 ms.
    let tasks = dir.join("tasks.jsonl");
    add_tasks(&tasks, 48);
    let server = adding_server(Duration::from_millis(200));
    let mut base = 0.0;
    for concurrency in [1, 4, 16] {
        let db = dir.join(format!("c{concurrency}.sqlite"));
        let tasks_run = if concurrency == 1 { 16 } else { 48 };
        let elapsed = openai_iteration(&server, &tasks, &db, tasks_run, concurrency);
        let rate = tasks_run as f64 / elapsed.as_secs_f64();
        if concurrency == 1 {
            base = rate;
        }
        out.insert(
            format!("concurrency_{concurrency}_tasks_per_second"),
            rate.into(),
        );
        println!(
            "fake server (200 ms per answer): --concurrency {concurrency:>2}: {tasks_run} tasks in {:.2} s, {rate:.1} tasks/s, {:.1}x concurrency 1 (max in flight {})",
            elapsed.as_secs_f64(),
            rate / base,
            server.max_in_flight()
        );
    }
    serde_json::Value::Object(out)
}
