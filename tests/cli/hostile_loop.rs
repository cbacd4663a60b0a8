//! Issue 12 end to end: a model (a fake OpenAI-compatible server) that answers every task with
//! one of the generic cheats of `tests/support/hostile_cheats.rs`. After `run-iteration` the
//! store holds no episode, and `train-lora` has nothing to train on.

use std::os::unix::process::CommandExt as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::Connection;

use crate::support::command::rslm;
use crate::support::fake_openai::{FakeOpenAi, Reply};
use crate::support::hostile_cheats::{self, Ctx};
use crate::support::{count, serial, tempdir};

/// The function name the prompt asks for.
fn function_name(user: &str) -> String {
    user.lines()
        .find_map(|l| l.strip_prefix("Function name: "))
        .unwrap_or("f")
        .trim()
        .to_string()
}

fn cheating_model(fast: bool) {
    // The cheats fork and hang: not at the same time as the verifier's heavy tests.
    let _serial = serial();
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    // What the cheats may aim at: nothing of it is needed for them to try.
    let socket = dir.path().join("judge.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let mut victim = std::process::Command::new("sleep")
        .arg("600")
        .process_group(0)
        .spawn()
        .unwrap();
    let ctx = Ctx {
        function: String::new(),
        mark: format!("hostile-loop-{}", std::process::id()),
        dir: dir.path().to_path_buf(),
        tasks: dir.path().join("tasks.jsonl"),
        exe: env!("CARGO_BIN_EXE_rslm").into(),
        unix_socket: socket,
        abstract_socket: format!("rslm-hostile-loop-{}", std::process::id()),
        victim: victim.id(),
        udp_port: 0,
        tcp_port: 0,
        tcp6_port: 0,
        stop: std::process::id(),
    };
    let served = Arc::new(AtomicUsize::new(0));
    let next = served.clone();
    let server = FakeOpenAi::builder()
        .responder(move |req| {
            let c = ctx.for_function(&function_name(&req.user_message()));
            let choices = (0..req.n().max(1))
                .map(|_| {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let name = hostile_cheats::STRONGEST[i % hostile_cheats::STRONGEST.len()];
                    format!(
                        "Here is my solution.\n```python\n{}\n```",
                        hostile_cheats::by_name(&c, name).code
                    )
                })
                .collect();
            Reply::Choices(choices)
        })
        .start();
    let mut cmd = rslm("run-iteration --k 2 --task-limit 10 --verify-timeout 2 --json")
        .backend_openai(&server)
        .db(&db);
    if fast {
        cmd = cmd.arg("--fast");
    }
    let run = cmd
        .timeout(std::time::Duration::from_secs(300))
        .run()
        .success();
    let _ = victim.kill();
    let _ = victim.wait();
    let summary = run.json();
    let served = served.load(Ordering::SeqCst);
    assert!(
        served >= 20,
        "every candidate was a cheat from the server: {served}"
    );
    assert_eq!(summary["candidates"], 20, "{summary}");
    let episodes = count(&db, "SELECT count(*) FROM episodes");
    let mut verdicts = Vec::new();
    {
        let conn = Connection::open(&db).unwrap();
        let mut stmt = conn
            .prepare("SELECT verdict, count(*) FROM failures GROUP BY verdict ORDER BY verdict")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .unwrap();
        verdicts.extend(rows.map(Result::unwrap));
    }
    eprintln!(
        "{} mode: {summary}\nfailures by verdict: {verdicts:?}",
        if fast { "fast" } else { "pytest" }
    );
    assert_eq!(
        (summary["passed_candidates"].as_i64(), episodes),
        (Some(0), 0),
        "cheats became memory: {} passed, {episodes} episodes stored; failures by verdict {verdicts:?}",
        summary["passed_candidates"]
    );
    // The cheats were verified and failed, not dropped before verification.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM failures WHERE first_failure IS NOT 'extract' AND verdict != 'pass'"
        ),
        count(&db, "SELECT count(*) FROM failures")
    );
    assert!(count(&db, "SELECT count(*) FROM failures") > 0);
    // Nothing to train on.
    rslm("train-lora --dry-run")
        .db(&db)
        .arg("--out")
        .arg(dir.path().join("train"))
        .run()
        .failure(1)
        .stderr_contains("no training examples");
    assert!(!dir.path().join("train").join("train.jsonl").exists());
}

#[test]
fn hostile_a_cheating_model_leaves_no_memory_and_no_training_data_fast_mode() {
    cheating_model(true);
}

#[test]
fn hostile_a_cheating_model_leaves_no_memory_and_no_training_data_pytest_mode() {
    if std::env::var_os("RSLM_PYTHON").is_none_or(|p| p.is_empty()) {
        eprintln!(
            "SKIPPED hostile_a_cheating_model_..._pytest_mode: RSLM_PYTHON is not set (scripts/test.sh sets it to .rslm/venv with pytest)"
        );
        return;
    }
    cheating_model(false);
}
