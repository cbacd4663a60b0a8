//! Issue 16 against the real binary: a model server that floods, never answers, echoes the API
//! key or is misnamed must not grow the store, hold a run for many minutes or leak the key.
//! Items: 7 (secrets stay secret) and the base-URL part of 8 (an unparsable URL is a usage
//! error).

#[path = "support/add_tasks.rs"]
mod add_tasks;
#[path = "support/fake_openai.rs"]
mod fake_openai;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use fake_openai::FakeOpenAi;

const KEY: &str = "sk-limits-7d41c0ffee-very-secret";

/// `rslm` with every `RSLM_*` variable of the calling environment removed, except the Python
/// interpreter the test suite provides.
fn rslm() -> Command {
    let mut cmd = Command::cargo_bin("rslm").expect("rslm binary builds");
    for (key, _) in std::env::vars() {
        if key.starts_with("RSLM_") && key != "RSLM_PYTHON" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// `run-iteration --backend openai` on `n` add tasks (2 held out), fast verification.
fn run_iteration(dir: &Path, base_url: &str, tasks: usize) -> Command {
    let tasks = add_tasks::write_add_tasks(dir, tasks);
    let mut cmd = rslm();
    cmd.args(["run-iteration", "--fast", "--backend", "openai"])
        .args(["--model", "fake-model", "--heldout-size", "2", "--json"])
        .arg("--tasks")
        .arg(tasks)
        .args(["--base-url", base_url])
        .arg("--db")
        .arg(db(dir));
    cmd
}

fn db(dir: &Path) -> PathBuf {
    dir.join("m.sqlite")
}

// ---- 7. Secrets stay secret ----

#[test]
fn an_api_key_a_header_cannot_carry_is_a_usage_error_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOpenAi::start();
    for key in [
        format!("{KEY}\n"),
        format!("sk-with space-{KEY}"),
        format!("{KEY}\u{e9}"),
    ] {
        let out = run_iteration(dir.path(), &server.base_url(), 3)
            .args(["--k", "1"])
            .env("RSLM_API_KEY", &key)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: RSLM_API_KEY"), "{stderr}");
        assert!(!stderr.contains("very-secret"), "{stderr}");
    }
    assert!(server.requests().is_empty(), "no request before the check");
    assert!(!db(dir.path()).exists());
}

// ---- 8. The base URL ----

#[test]
fn an_unparsable_base_url_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "not a url",
        "localhost:8080",
        "ftp://127.0.0.1/v1",
        "http://",
    ] {
        rslm()
            .args(["run-iteration", "--fast", "--backend", "openai"])
            .args(["--model", "m", "--base-url", url])
            .arg("--db")
            .arg(db(dir.path()))
            .assert()
            .code(2)
            .stderr(predicates::str::starts_with(
                "error: --base-url (RSLM_BASE_URL)",
            ));
        rslm()
            .args(["eval", "--fast", "--backend", "openai", "--model", "m"])
            .arg("--db")
            .arg(db(dir.path()))
            .env("RSLM_BASE_URL", url)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("RSLM_BASE_URL"));
    }
    assert!(!db(dir.path()).exists());
}
