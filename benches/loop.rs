//! Loop throughput, measured side by side in one run (`cargo bench --bench loop`):
//! - one run-iteration of the mock over 200 tasks with k = 4 (target: under 2 s of wall time);
//! - run-iteration against a fake OpenAI server that answers after 200 ms, with 1, 4 and 16
//!   requests in flight: throughput must scale with `--concurrency`.

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

fn main() {
    let dir = tempfile::tempdir().unwrap();

    // The mock over the whole bundled set: 200 tasks, 800 candidates.
    let mock: Vec<Duration> = (0..3)
        .map(|i| {
            let db = dir.path().join(format!("mock{i}.sqlite"));
            run(rslm()
                .args(["run-iteration", "--k", "4", "--heldout-size", "0", "--db"])
                .arg(&db))
        })
        .collect();
    let m = median(mock);
    println!(
        "mock: 200 tasks x k=4 in {:.2} s (median of 3), {:.0} candidates/s",
        m.as_secs_f64(),
        800.0 / m.as_secs_f64()
    );

    // A fake server answering after 200 ms.
    let tasks = dir.path().join("tasks.jsonl");
    let lines: Vec<String> = (1..=48)
        .map(|i| {
            serde_json::json!({"task_id": format!("add_{i}-t"), "prompt": format!("Return n plus {i}."), "function_name": format!("add_{i}"),
                "signature": "(n)", "reference_tests": "", "assert_tests": [format!("assert add_{i}(1) == {}", i + 1)]})
            .to_string()
        })
        .collect();
    std::fs::write(&tasks, lines.join("\n")).unwrap();
    let server = FakeOpenAi::builder()
        .responder(|req| {
            let user = req.user_message();
            let name = user
                .lines()
                .find_map(|l| l.strip_prefix("Function name: "))
                .unwrap_or("f")
                .trim()
                .to_string();
            let k: String = name.chars().filter(char::is_ascii_digit).collect();
            Reply::delayed(
                Duration::from_millis(200),
                Reply::text(format!(
                    "```python\ndef {name}(n):\n    return n + {k}\n```"
                )),
            )
        })
        .start();
    let mut base = 0.0;
    for concurrency in [1, 4, 16] {
        let db = dir.path().join(format!("c{concurrency}.sqlite"));
        let tasks_run = if concurrency == 1 { 16 } else { 48 };
        let elapsed = run(rslm()
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
            .arg(tasks_run.to_string())
            .arg("--concurrency")
            .arg(concurrency.to_string())
            .arg("--base-url")
            .arg(server.base_url())
            .arg("--tasks")
            .arg(&tasks)
            .arg("--db")
            .arg(&db));
        let rate = tasks_run as f64 / elapsed.as_secs_f64();
        if concurrency == 1 {
            base = rate;
        }
        println!(
            "fake server (200 ms per answer): --concurrency {concurrency:>2}: {tasks_run} tasks in {:.2} s, {rate:.1} tasks/s, {:.1}x concurrency 1 (max in flight {})",
            elapsed.as_secs_f64(),
            rate / base,
            server.max_in_flight()
        );
    }
}
