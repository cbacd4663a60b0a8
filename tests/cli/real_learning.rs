//! Learning for real: a tiny LoRA adapter trained on SmolLM2 (`train-lora`, the training
//! environment of scripts/train_env.sh), converted for llama.cpp, served by a real llama.cpp
//! server that rslm starts (`rslm server start`), and seen to change the model's answers.
//! scripts/test.sh installs both environments and sets `RSLM_REAL_TRAINING=1`; without it the
//! test says SKIPPED on the terminal and passes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::add_tasks::write_add_tasks;
use crate::support::command::rslm;
use crate::support::fake_openai::{FakeOpenAi, Reply};
use crate::support::{count, serial, tempdir};

fn project(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn enabled() -> bool {
    if std::env::var("RSLM_REAL_TRAINING").as_deref() == Ok("1") {
        return true;
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED real training test: RSLM_REAL_TRAINING is not 1 (scripts/test.sh sets it when scripts/train_env.sh and scripts/model_server.sh install work)"
    );
    false
}

/// A right answer to an add task, read off its prompt.
fn add_answer(user: &str) -> String {
    let name = user
        .lines()
        .find_map(|l| l.strip_prefix("Function name: "))
        .unwrap_or("f")
        .trim()
        .to_string();
    let k: String = name.chars().filter(char::is_ascii_digit).collect();
    format!("```python\ndef {name}(n):\n    return n + {k}\n```")
}

/// The model's answer at temperature 0 to one prompt, with llama.cpp adapter 0 at `scale`.
fn answer(base_url: &str, model: &str, scale: f32) -> String {
    let body = serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "Write a Python function add_const_5(n) that returns n plus 5."}],
        "temperature": 0, "max_tokens": 48, "seed": 0,
        "lora": [{"id": 0, "scale": scale}],
    });
    let script = "import json,sys,urllib.request as u\nr=u.Request(sys.argv[1]+'/chat/completions',data=sys.argv[2].encode(),headers={'Content-Type':'application/json'})\nprint(json.load(u.urlopen(r,timeout=300))['choices'][0]['message']['content'])";
    let python = std::env::var("RSLM_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .args(["-c", script, base_url, &body.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_tiny_adapter_trains_converts_serves_and_changes_the_answers() {
    if !enabled() {
        return;
    }
    let _heavy = serial();
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = write_add_tasks(dir.path(), 8);
    // Verified episodes from a fake server that answers right: the training set.
    let server = FakeOpenAi::builder()
        .responder(|req| Reply::text(add_answer(&req.user_message())))
        .start();
    rslm("run-iteration --fast --k 1 --heldout-size 2")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    assert_eq!(count(&db, "SELECT count(*) FROM episodes"), 6);
    let model = project(".rslm/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let adapter = dir.path().join("tiny");
    // One epoch over six examples at a high learning rate: enough to move greedy answers.
    rslm("train-lora --heldout-size 2 --epochs 1 --batch-size 2 --learning-rate 0.003 --threads 1 --max-length 256 --out")
        .arg(&adapter)
        .arg("--base-model")
        .arg(&model)
        .tasks(&tasks)
        .db(&db)
        .env("RSLM_TRAIN_PYTHON", project(".rslm/train-venv/bin/python"))
        .timeout(Duration::from_secs(1200))
        .run()
        .success()
        .stdout_contains("registered adapter tiny");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(adapter.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["trainer"]["kind"], "transformers.Trainer");
    // Converted again by hand, as a user would for an adapter trained elsewhere.
    let gguf = dir.path().join("again.gguf");
    rslm("convert-lora --adapter")
        .arg(adapter.join("peft"))
        .arg("--out")
        .arg(&gguf)
        .arg("--base-model")
        .arg(&model)
        .run()
        .success();
    let state = dir.path().join("run");
    let started =
        rslm("server start --kind llamacpp --threads 1 --parallel 1 --timeout 600 --state-dir")
            .arg(&state)
            .arg("--model")
            .arg(&model)
            .arg("--lora")
            .arg(format!("tiny={}", gguf.display()))
            .env("RSLM_MODEL_PYTHON", project(".rslm/model-venv/bin/python"))
            .run();
    let stop = || {
        rslm("server stop --state-dir").arg(&state).run().success();
    };
    if started.output().status.code() != Some(0) {
        stop();
        panic!("the server did not start: {}", started.stderr_text());
    }
    let env = started.stdout_text();
    let url = env
        .lines()
        .find_map(|l| l.strip_prefix("RSLM_BASE_URL="))
        .unwrap()
        .to_string();
    let served = env
        .lines()
        .find_map(|l| l.strip_prefix("RSLM_MODEL="))
        .unwrap()
        .to_string();
    let base = answer(&url, &served, 0.0);
    let tuned = answer(&url, &served, 1.0);
    stop();
    assert_ne!(base, tuned, "the adapter changed nothing:\n{base}");
}
