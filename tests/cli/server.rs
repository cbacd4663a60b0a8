//! `rslm server` and `self-improve --serve` manage a model server's processes: a fake server
//! (tests/support/fake_server.py, which forks a helper that ignores SIGTERM) is started in its
//! own process group, answers, and is gone with its helper after a stop, a failed start, a
//! Ctrl-C during start-up, a completed self-improve run and a self-improve run killed with -9.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::command::rslm;
use crate::support::tempdir;

fn python() -> String {
    std::env::var("RSLM_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn fake_server() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fake_server.py")
}

/// The fake server's command line after `--`.
fn fake(pids: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        python(),
        fake_server().display().to_string(),
        "--port".into(),
        "{port}".into(),
        "--pids".into(),
        pids.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The pids the fake server wrote (the server and its helper).
fn pids(file: &Path) -> Vec<u32> {
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    vec![
        value["server"].as_u64().unwrap() as u32,
        value["helper"].as_u64().unwrap() as u32,
    ]
}

/// Alive and not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .and_then(|(_, r)| r.trim_start().chars().next()),
            Some('Z' | 'X') | None
        ),
        Err(_) => false,
    }
}

fn assert_gone(file: &Path) {
    for pid in pids(file) {
        assert!(
            !alive(pid),
            "process {pid} of the fake server is still alive"
        );
    }
}

fn server(state: &Path, action: &str) -> crate::support::command::Rslm {
    rslm("server").arg(action).arg("--state-dir").arg(state)
}

#[test]
fn start_status_env_and_stop_leave_no_process() {
    let dir = tempdir();
    let (state, pid_file) = (dir.path().join("run"), dir.path().join("pids.json"));
    let started = server(&state, "start")
        .args(["--kind", "command", "--"])
        .args(fake(&pid_file, &[]))
        .run()
        .success();
    let text = started.stdout_text();
    assert!(text.contains("RSLM_BASE_URL=http://127.0.0.1:"), "{text}");
    assert!(text.contains("RSLM_MODEL=fake-served"), "{text}");
    let [server_pid, helper] = pids(&pid_file)[..] else {
        unreachable!()
    };
    assert!(alive(server_pid) && alive(helper));
    server(&state, "status")
        .run()
        .success()
        .stdout_contains("running: http://127.0.0.1:");
    server(&state, "env")
        .run()
        .success()
        .stdout_contains("export RSLM_MODEL=fake-served");
    // A second start is refused while it runs.
    server(&state, "start")
        .args(["--kind", "command", "--"])
        .args(fake(&dir.path().join("other.json"), &[]))
        .run()
        .failure(1)
        .stderr_contains("already runs");
    server(&state, "stop")
        .run()
        .success()
        .stderr_contains("stopped");
    assert_gone(&pid_file);
    server(&state, "status")
        .run()
        .failure(3)
        .stdout_contains("not running");
}

#[test]
fn a_server_that_fails_to_start_is_stopped_with_its_helpers() {
    let dir = tempdir();
    let (state, pid_file) = (dir.path().join("run"), dir.path().join("pids.json"));
    server(&state, "start")
        .args(["--kind", "command", "--"])
        .args(fake(&pid_file, &["--exit-at-start"]))
        .run()
        .failure(1)
        .stderr_contains("exited during start-up");
    assert_gone(&pid_file);
    // Never healthy: the start times out and stops the group.
    let pid_file = dir.path().join("pids2.json");
    server(&state, "start")
        .args(["--kind", "command", "--timeout", "2", "--"])
        .args(fake(&pid_file, &["--never-ready"]))
        .run()
        .failure(1)
        .stderr_contains("did not answer within 2 s");
    assert_gone(&pid_file);
}

#[test]
fn ctrl_c_during_start_up_stops_the_server() {
    let dir = tempdir();
    let (state, pid_file) = (dir.path().join("run"), dir.path().join("pids.json"));
    let mut child = server(&state, "start")
        .args(["--kind", "command", "--timeout", "600", "--"])
        .args(fake(&pid_file, &["--never-ready"]))
        .into_command()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !pid_file.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_gone(&pid_file);
    assert!(!state.join("rslm-server-default.json").exists());
}

/// `self-improve --serve command` on a fake server that answers every task wrongly: the run
/// completes (nothing verified, nothing trained) and the server is gone with its helper after
/// it; a run killed with -9 mid-way takes its server down too.
#[test]
fn self_improve_stops_the_server_it_runs_on_success_and_on_kill() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let pid_file = dir.path().join("pids.json");
    rslm("self-improve --fast --rounds 1 --k 1 --task-limit 3 --heldout-size 40 --eval-task-limit 3 --serve command --serve-state-dir")
        .arg(dir.path().join("run"))
        .db(&db)
        .arg("--")
        .args(fake(&pid_file, &[]))
        .run()
        .success()
        .stdout_contains("round 1 train: skipped");
    assert_gone(&pid_file);

    let pid_file = dir.path().join("pids2.json");
    let killed = rslm("self-improve --fast --rounds 1 --k 1 --task-limit 3 --heldout-size 40 --eval-task-limit 3 --serve command --serve-state-dir")
        .arg(dir.path().join("run"))
        .db(dir.path().join("n.sqlite"))
        .env("RSLM_TEST_ABORT_AT", "1:consolidate")
        .arg("--")
        .args(fake(&pid_file, &[]))
        .run();
    assert_eq!(killed.output().status.code(), None);
    // The parent-death signal ends the server (the process rslm started) when rslm dies; the
    // kernel delivers it asynchronously, so wait for it with a generous bound.
    let started = Instant::now();
    while pids(&pid_file)[0..1].iter().any(|p| alive(*p)) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server survived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
