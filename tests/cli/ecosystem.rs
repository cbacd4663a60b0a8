//! The conventions researchers bring from other tools, through the binary: OpenAI's environment
//! variables, the completions endpoint and sampling settings, every variable in `--help`,
//! plain-text logs in files, and the original's commands and meanings (`rollback-adapter
//! --name`, `seed-tasks --regen`, `wipe-memory`), and pytest mode finding the project venv.

use std::path::Path;

use rslm::store::Store;
use rslm::store::runs::{NewRun, RunKind};

use crate::support::add_tasks::write_add_tasks;
use crate::support::command::rslm;
use crate::support::fake_openai::{DEFAULT_MODEL, FakeOpenAi, Reply, SeenRequest};
use crate::support::{count, tempdir};

/// A correct answer for the add tasks, for the task of the request: the last `Function name:`
/// of its text (a completions prompt holds the worked examples' names before it).
fn add_answer(request: &SeenRequest) -> Reply {
    let text = request.user_message();
    let name = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("Function name: "))
        .unwrap_or("f")
        .trim()
        .to_string();
    let k: String = name.chars().filter(char::is_ascii_digit).collect();
    Reply::text(format!("def {name}(n):\n    return n + {k}\n"))
}

fn generation_requests(server: &FakeOpenAi) -> Vec<SeenRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.is_chat() || r.is_completion())
        .collect()
}

#[test]
fn openai_variables_are_fallbacks_after_the_rslm_ones_and_the_key_stays_secret() {
    let dir = tempdir();
    let tasks = write_add_tasks(dir.path(), 6);
    let openai_key = "sk-openai-fallback-7c1d";
    let fallback = FakeOpenAi::builder()
        .require_api_key(openai_key)
        .responder(add_answer)
        .start();
    let db = dir.path().join("a.sqlite");
    let run = rslm("run-iteration --fast --k 1 --heldout-size 2 --backend openai --json")
        .args(["--model", DEFAULT_MODEL])
        .tasks(&tasks)
        .db(&db)
        .env("OPENAI_BASE_URL", fallback.base_url())
        .env("OPENAI_API_KEY", openai_key)
        .run()
        .success();
    assert_eq!(run.json()["passed_candidates"], 4);
    let sent = generation_requests(&fallback);
    assert_eq!(sent.len(), 4);
    assert!(
        sent.iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {openai_key}")))
    );
    for text in [run.stdout_text(), run.stderr_text()] {
        assert!(!text.contains(openai_key), "the key was printed: {text}");
    }
    let stored = std::fs::read(&db).unwrap();
    assert!(
        !stored
            .windows(openai_key.len())
            .any(|w| w == openai_key.as_bytes()),
        "the key reached the store"
    );

    // RSLM_BASE_URL and RSLM_API_KEY win over OpenAI's variables.
    let rslm_key = "sk-rslm-wins-42";
    let preferred = FakeOpenAi::builder()
        .require_api_key(rslm_key)
        .responder(add_answer)
        .start();
    rslm("run-iteration --fast --k 1 --heldout-size 2 --backend openai")
        .args(["--model", DEFAULT_MODEL])
        .tasks(&tasks)
        .db(dir.path().join("b.sqlite"))
        .env("OPENAI_BASE_URL", fallback.base_url())
        .env("OPENAI_API_KEY", openai_key)
        .env("RSLM_BASE_URL", preferred.base_url())
        .env("RSLM_API_KEY", rslm_key)
        .run()
        .success();
    assert_eq!(generation_requests(&preferred).len(), 4);
    assert_eq!(
        generation_requests(&fallback).len(),
        4,
        "the fallback was used"
    );

    // A bad fallback key is a usage error naming its variable, never the key.
    let pasted = "sk-pasted key";
    let refused = rslm("run-iteration --fast --k 1 --heldout-size 2 --backend openai")
        .args(["--model", DEFAULT_MODEL])
        .tasks(&tasks)
        .db(dir.path().join("c.sqlite"))
        .env("OPENAI_BASE_URL", fallback.base_url())
        .env("OPENAI_API_KEY", pasted)
        .run()
        .failure(2)
        .stderr_contains("OPENAI_API_KEY holds a space");
    assert!(!refused.stderr_text().contains(pasted));
}

#[test]
fn the_completions_api_sends_the_prompt_as_text_to_a_model_without_a_chat_template() {
    let dir = tempdir();
    let tasks = write_add_tasks(dir.path(), 8);
    let db = dir.path().join("m.sqlite");
    let server = FakeOpenAi::builder()
        .without_chat_template()
        .responder(add_answer)
        .start();
    // The chat endpoint of such a server answers 400: one clear error.
    rslm("run-iteration --fast --k 1 --heldout-size 2")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .failure(1)
        .stderr_contains("400");

    let first = rslm("run-iteration --fast --k 2 --heldout-size 2 --api completions --json")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    assert_eq!(
        first.json()["passed_candidates"],
        12,
        "{}",
        first.stdout_text()
    );
    let sent: Vec<SeenRequest> = server
        .requests()
        .into_iter()
        .filter(SeenRequest::is_completion)
        .collect();
    assert!(!sent.is_empty());
    for request in &sent {
        let body = request.json();
        assert!(body.get("messages").is_none(), "{body}");
        let prompt = request.prompt();
        assert!(
            prompt.starts_with("Return ONLY valid Python code."),
            "{prompt}"
        );
        assert!(prompt.contains("Task:\nReturn n plus"), "{prompt}");
        assert!(prompt.ends_with(":\n"), "{prompt:?}");
        // Sampling settings that were not given are not sent.
        for field in ["top_p", "top_k", "stop"] {
            assert!(body.get(field).is_none(), "{field} sent unasked: {body}");
        }
    }

    // With memory, the worked examples come before the task: each task, then its verified code.
    let before = server.requests().len();
    rslm("run-iteration --fast --k 1 --heldout-size 2 --memory-enabled --task-order split --api completions")
        .args(["--top-p", "0.9", "--top-k", "40", "--stop", "\nclass ", "--stop", "</s>"])
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    let with_memory: Vec<SeenRequest> = server.requests()[before..]
        .iter()
        .filter(|r| r.is_completion())
        .cloned()
        .collect();
    assert!(!with_memory.is_empty());
    let prompt = with_memory[0].prompt();
    let example = prompt
        .find("\n\ndef add_")
        .expect("a worked example's code");
    assert!(prompt.find("Task:").unwrap() < example, "{prompt}");
    assert!(prompt.rfind("Task:").unwrap() > example, "{prompt}");
    let body = with_memory[0].json();
    assert!(
        (body["top_p"].as_f64().unwrap() - 0.9).abs() < 1e-6,
        "{body}"
    );
    assert_eq!(body["top_k"], 40);
    assert_eq!(body["stop"], serde_json::json!(["\nclass ", "</s>"]));
}

#[test]
fn sampling_flags_have_bounds() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    for (flags, named) in [
        (vec!["--top-p", "0"], "--top-p"),
        (vec!["--top-p", "1.5"], "--top-p"),
        (vec!["--top-p", "nan"], "--top-p"),
        (vec!["--top-k", "0"], "--top-k"),
        (vec!["--top-k", "1001"], "--top-k"),
        (vec!["--stop", ""], "--stop"),
        (vec!["--api", "embeddings"], "--api"),
        (
            vec![
                "--stop", "a", "--stop", "b", "--stop", "c", "--stop", "d", "--stop", "e",
            ],
            "--stop is given 5 times",
        ),
    ] {
        rslm("run-iteration --fast --k 1")
            .args(&flags)
            .db(&db)
            .run()
            .failure(2)
            .stderr_contains(named);
    }
    assert!(!db.exists(), "a refused command created the store");
}

#[test]
fn every_command_shows_the_environment_it_reads_in_its_help() {
    let backend_vars = [
        "RSLM_BACKEND",
        "RSLM_BASE_URL",
        "OPENAI_BASE_URL",
        "RSLM_MODEL",
        "RSLM_API_KEY",
        "OPENAI_API_KEY",
        "RSLM_TEMPERATURE",
        "RSLM_MAX_TOKENS",
        "RSLM_REQUEST_TIMEOUT",
        "RSLM_REQUEST_DEADLINE",
        "RSLM_MAX_RETRIES",
    ];
    let verifier_vars = [
        "RSLM_FAST_VERIFY",
        "RSLM_PYTHON",
        "RSLM_VERIFY_START_TIMEOUT",
    ];
    let mut expected: Vec<(&str, Vec<&str>)> = Vec::new();
    for command in [
        "run-iteration",
        "consolidate",
        "eval",
        "self-improve",
        "promote-adapter",
    ] {
        let mut vars = vec!["RSLM_DB", "RSLM_LOG"];
        vars.extend(backend_vars);
        vars.extend(verifier_vars);
        expected.push((command, vars));
    }
    expected.push(("verify", verifier_vars.to_vec()));
    expected.push((
        "train-lora",
        vec!["RSLM_DB", "RSLM_HF_MODEL_PATH", "RSLM_TRAIN_PYTHON"],
    ));
    for command in [
        "init-db",
        "wipe-memory",
        "list-adapters",
        "rollback-adapter",
    ] {
        expected.push((command, vec!["RSLM_DB", "RSLM_LOG"]));
    }
    for (command, vars) in expected {
        let help = rslm(command).arg("--help").run().success().stdout_text();
        for var in vars {
            assert!(
                help.contains(var),
                "`rslm {command} --help` does not show {var}"
            );
        }
    }
    // clap wraps help text: compare it with single spaces.
    let flat = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let eval = flat(rslm("eval --help").run().success().stdout_text());
    assert!(
        eval.contains("baseline, memory, semantic, memory_learning with the mock")
            && eval.contains("baseline, memory, learning, memory_learning with openai"),
        "{eval}"
    );
    let run = flat(rslm("run-iteration --help").run().success().stdout_text());
    assert!(run.contains("no chat template"), "{run}");
}

#[test]
fn logs_in_a_file_carry_no_colour_codes() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = write_add_tasks(dir.path(), 8);
    let server = FakeOpenAi::builder().responder(add_answer).start();
    let run = rslm("run-iteration --fast --k 2 --heldout-size 2")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .env("RSLM_LOG", "info")
        .run()
        .success();
    let logged = run.stderr_text();
    assert!(
        logged.contains("INFO"),
        "RSLM_LOG=info logged nothing: {logged}"
    );
    assert!(
        !logged.contains('\u{1b}'),
        "escape codes in a log file: {logged:?}"
    );
    for command in [
        "consolidate --fast --min-evidence 1 --heldout-size 2",
        "eval --fast --heldout-size 2",
    ] {
        let run = rslm(command)
            .tasks(&tasks)
            .db(&db)
            .env("RSLM_LOG", "debug")
            .run()
            .success();
        let logged = run.stderr_text();
        assert!(
            !logged.contains('\u{1b}'),
            "escape codes in a log file: {logged:?}"
        );
    }
}

#[test]
fn rollback_adapter_with_a_name_takes_that_adapter_out_of_service_as_the_original_did() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let store = Store::open_or_create(&db).unwrap().0;
    for name in ["first", "second"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        store
            .register_adapter(&rslm::store::adapters::NewAdapter {
                name,
                path: &dir.path().join(name).display().to_string(),
                base_model: "base.gguf",
                manifest: &serde_json::json!({}),
                notes: "",
            })
            .unwrap();
    }
    drop(store);
    let active = |db: &Path| {
        Store::open_existing(db)
            .unwrap()
            .active_adapter()
            .unwrap()
            .map(|a| a.name)
    };
    rslm("set-active-adapter --name first")
        .db(&db)
        .run()
        .success();
    rslm("set-active-adapter --name second")
        .db(&db)
        .run()
        .success();
    // Not the active one: nothing changes, and the output says so.
    rslm("rollback-adapter --name first")
        .db(&db)
        .run()
        .success()
        .stdout_contains("unchanged (first is not active)");
    assert_eq!(active(&db).as_deref(), Some("second"));
    // The active one: rolled back from it to the adapter before it, even when its files are gone.
    std::fs::remove_dir(dir.path().join("second")).unwrap();
    rslm("rollback-adapter --name second")
        .db(&db)
        .run()
        .success()
        .stdout_contains("active adapter first (was second)");
    rslm("rollback-adapter --name first")
        .db(&db)
        .run()
        .success()
        .stdout_contains("active adapter (none: base model) (was first)");
    assert_eq!(active(&db), None);
    rslm("rollback-adapter --name nope")
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("no adapter named \"nope\"");
}

#[test]
fn seed_tasks_regen_without_out_writes_nothing_and_tasks_is_honoured() {
    let dir = tempdir();
    rslm("seed-tasks --regen")
        .current_dir(dir.path())
        .run()
        .success()
        .stdout_contains("regenerated, identical to the bundled set: 200 tasks");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "--regen without --out wrote a file that --tasks bundled never reads"
    );
    rslm("seed-tasks --regen --count 300")
        .current_dir(dir.path())
        .run()
        .failure(2)
        .stderr_contains("write a set of 300 tasks with --out FILE and use it with --tasks FILE");

    let tasks = write_add_tasks(dir.path(), 5);
    rslm("seed-tasks")
        .tasks(&tasks)
        .run()
        .success()
        .stdout_contains("valid: 5 tasks");
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{\"task_id\": 1}\n").unwrap();
    rslm("seed-tasks")
        .tasks(&broken)
        .run()
        .failure(1)
        .stderr_contains("broken.jsonl:1");
}

#[test]
fn wipe_memory_deletes_what_was_learned_and_keeps_the_record() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    rslm("wipe-memory")
        .db(&db)
        .run()
        .failure(1)
        .stderr_contains("does not exist");
    assert!(!db.exists(), "wipe-memory created a store");

    rslm("run-iteration --fast --k 4 --task-limit 30 --heldout-size 20 --memory-enabled")
        .db(&db)
        .run()
        .success();
    rslm("consolidate --fast --min-evidence 1 --heldout-size 20")
        .db(&db)
        .run()
        .success();
    rslm("eval --fast --heldout-size 20 --task-limit 10 --skip-precision")
        .db(&db)
        .run()
        .success();
    let episodes = count(&db, "SELECT count(*) FROM episodes");
    let procedures = count(&db, "SELECT count(*) FROM procedures");
    assert!(episodes > 0 && procedures > 0);

    // A run in progress (this live process's) refuses the wipe, and nothing is deleted.
    let running = Store::open_existing(&db)
        .unwrap()
        .start_run(&NewRun {
            kind: RunKind::Iteration,
            backend: "mock".into(),
            model: "m".into(),
            simulation: true,
            seed: 0,
            mode: None,
            prompt_version: None,
            tasks_source: None,
            config: serde_json::json!({}),
        })
        .unwrap();
    rslm("wipe-memory")
        .db(&db)
        .run()
        .failure(1)
        .stderr_contains(format!("run {running} (iteration) is still running"));
    assert_eq!(count(&db, "SELECT count(*) FROM episodes"), episodes);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE runs SET status = 'completed' WHERE id = ?1",
            [running],
        )
        .unwrap();

    let runs = count(&db, "SELECT count(*) FROM runs");
    let wiped = rslm("wipe-memory --json").db(&db).run().success().json();
    assert_eq!(wiped["episodes"], episodes);
    assert_eq!(wiped["procedures"], procedures);
    assert_eq!(wiped["kept_runs"], runs);
    for table in [
        "episodes",
        "failures",
        "procedures",
        "semantic_rules",
        "procedure_sources",
        "rule_sources",
        "knowledge_events",
    ] {
        assert_eq!(
            count(&db, &format!("SELECT count(*) FROM {table}")),
            0,
            "{table}"
        );
    }
    // The indexes followed: nothing is retrievable any more.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM episodes_fts WHERE episodes_fts MATCH 'return'"
        ),
        0
    );
    // The record stays: runs and eval results.
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), runs);
    assert_eq!(count(&db, "SELECT count(*) FROM eval_runs"), 1);
    rslm("procedures list").db(&db).run().success();
    // With nothing to retrieve, memory sends baseline's prompts: the same outcomes.
    let report = rslm("eval --fast --heldout-size 20 --task-limit 10 --skip-precision --json --conditions baseline,memory")
        .db(&db)
        .run()
        .success()
        .json();
    assert_eq!(
        report["conditions"][0]["pass_at_1"],
        report["conditions"][1]["pass_at_1"]
    );
    assert_eq!(count(&db, "SELECT count(*) FROM eval_runs"), 2);
}

#[cfg(unix)]
#[test]
fn pytest_mode_uses_the_project_venv_when_the_interpreter_has_no_pytest() {
    let Some(venv) = std::env::var_os("RSLM_PYTHON")
        .map(std::path::PathBuf::from)
        .and_then(|p| p.parent()?.parent().map(Path::to_path_buf))
        .filter(|v| v.join("pyvenv.cfg").is_file())
    else {
        eprintln!("SKIPPED pytest_mode_uses_the_project_venv: RSLM_PYTHON is not a venv");
        return;
    };
    let bare_has_pytest = std::process::Command::new("python3")
        .args(["-c", "import pytest"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(true);
    if bare_has_pytest {
        eprintln!("SKIPPED pytest_mode_uses_the_project_venv: python3 on PATH has pytest");
        return;
    }
    let project = tempdir();
    std::fs::create_dir(project.path().join(".rslm")).unwrap();
    std::os::unix::fs::symlink(&venv, project.path().join(".rslm/venv")).unwrap();
    let inside = project.path().join("artifacts");
    std::fs::create_dir(&inside).unwrap();
    let tasks = write_add_tasks(project.path(), 1);
    rslm("verify --task-id add_1-t")
        .tasks(&tasks)
        .env("RSLM_PYTHON", "python3")
        .current_dir(&inside)
        .stdin("def add_1(n):\n    return n + 1\n")
        .run()
        .success()
        .stdout_contains("pass: 1/1 tests passed")
        .stderr_contains("has no pytest; using the project environment")
        .stderr_contains(".rslm/venv/bin/python");
}

#[test]
fn a_terminal_gets_a_progress_bar_and_a_pipe_does_not() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = write_add_tasks(dir.path(), 8);
    rslm("run-iteration --fast --k 1 --heldout-size 4")
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    let eval = "eval --fast --heldout-size 4 --skip-precision";
    let piped = rslm(eval).tasks(&tasks).db(&db).run().success();
    assert!(!piped.stderr_text().contains("tasks x conditions"));
    assert!(!piped.stderr_text().contains('\u{1b}'));
    // `script` gives the command a terminal (util-linux; skipped where it is missing).
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED the terminal half: no `script` command");
        return;
    }
    let line = format!(
        "{} {eval} --tasks {} --db {}",
        env!("CARGO_BIN_EXE_rslm"),
        tasks.display(),
        db.display()
    );
    let terminal = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env(
            "RSLM_PYTHON",
            std::env::var_os("RSLM_PYTHON").unwrap_or_default(),
        )
        .output()
        .unwrap();
    assert!(terminal.status.success());
    let shown = String::from_utf8_lossy(&terminal.stdout);
    assert!(shown.contains("eval ["), "{shown}");
    assert!(shown.contains("/16 tasks x conditions"), "{shown}");
}
