//! Learning through the real binary: train-lora's checks and dry run, the adapter registry, and
//! the PEFT -> GGUF conversion. Tests that need the training venv (`scripts/train_env.sh`) skip
//! with a message on stderr when it is absent.

#[path = "cli/common.rs"]
mod common;

use std::path::{Path, PathBuf};

use common::{rslm, tempdir};
use predicates::prelude::*;
use rslm::store::Store;
use rslm::store::adapters::NewAdapter;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A store with verified episodes: two per train-pool task of the first `tasks` train tasks, one
/// duplicate, and one episode of a held-out task (which must never be trained on).
fn store_with_episodes(dir: &Path, tasks: usize) -> PathBuf {
    let db = dir.join("memory.sqlite");
    let (store, _) = Store::open_or_create(&db).unwrap();
    let all = rslm::tasks::loader::TaskSource::Bundled.load().unwrap();
    let split = rslm::tasks::split::split(&all, 40, 1337).unwrap();
    let conn = store.conn();
    conn.execute(
        "INSERT INTO runs (kind, rslm_version, config_json) VALUES ('iteration', 'test', '{}')",
        [],
    )
    .unwrap();
    let insert = |task: &rslm::tasks::Task, code: &str| {
        conn.execute(
            "INSERT OR IGNORE INTO episodes (run_id, task_id, family, condition, prompt, function_name, candidate_code, code_hash, sample_index)
             VALUES (1, ?1, ?2, 'baseline', ?3, ?4, ?5, ?6, 0)",
            rusqlite::params![task.task_id, task.family, task.prompt, task.function_name, code, rslm::store::code_hash(code)],
        )
        .unwrap();
    };
    for task in split.train.iter().take(tasks) {
        let name = &task.function_name;
        insert(
            task,
            &format!("def {name}(*args):\n    return 'test data A'"),
        );
        insert(
            task,
            &format!("def {name}(*args):\n    return 'test data B'"),
        );
        // The same code with trailing spaces inside: a duplicate the store's own key misses.
        insert(
            task,
            &format!("def {name}(*args):   \n    return 'test data A'"),
        );
    }
    let held = &split.heldout[0];
    insert(
        held,
        &format!("def {}(*args):\n    return 'held out'", held.function_name),
    );
    db
}

fn count(db: &Path, table: &str) -> i64 {
    Store::open_existing(db)
        .unwrap()
        .conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Says on the real stderr (not the captured one) that a test is skipped, so `cargo test` shows it.
fn skip(reason: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
}

fn train_python() -> Option<PathBuf> {
    let python = Path::new(ROOT).join(".rslm/train-venv/bin/python");
    if python.exists() {
        Some(python)
    } else {
        skip(&format!(
            "the training venv {} is absent (run scripts/train_env.sh)",
            python.display()
        ));
        None
    }
}

#[test]
fn missing_dependencies_give_one_message_and_change_nothing() {
    let dir = tempdir();
    let db = store_with_episodes(dir.path(), 5);
    let out = dir.path().join("adapters/first");
    let runs = count(&db, "runs");
    let before = std::fs::read(&db).unwrap();
    let assert = rslm()
        .args(["train-lora", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&out)
        .arg("--base-model")
        .arg(dir.path().join("no-such-model.gguf"))
        .env("RSLM_TRAIN_PYTHON", dir.path().join("no-venv/bin/python"))
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].starts_with("error: cannot train: "), "{stderr}");
    assert!(
        errors[0].contains("no-such-model.gguf does not exist"),
        "{stderr}"
    );
    assert!(errors[0].contains("training environment"), "{stderr}");
    assert!(errors[0].contains("scripts/train_env.sh"), "{stderr}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the store is not even opened"
    );
    assert!(!out.exists(), "no adapter folder");
    assert!(
        !dir.path().join("adapters").exists(),
        "no staging folder either"
    );
    assert_eq!(count(&db, "adapters"), 0);
    assert_eq!(count(&db, "runs"), runs);
}

#[test]
fn an_interpreter_without_the_packages_is_named_with_the_fix() {
    let dir = tempdir();
    let db = store_with_episodes(dir.path(), 3);
    let model = dir.path().join("m.gguf");
    std::fs::write(&model, b"GGUF\x03\0\0\0").unwrap();
    // Any Python without PyTorch: the interpreter the verifier uses, or python3.
    let python = std::env::var("RSLM_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = std::process::Command::new(&python)
        .args([
            "-c",
            "import importlib.util as u; print(u.find_spec('torch') is None)",
        ])
        .output();
    if !probe.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "True") {
        skip("no Python without torch to test with");
        return;
    }
    rslm()
        .args(["train-lora", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(dir.path().join("a"))
        .arg("--base-model")
        .arg(&model)
        .env("RSLM_TRAIN_PYTHON", &python)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("error: cannot train: the training packages torch")
                .and(predicate::str::contains("are missing from"))
                .and(predicate::str::contains("scripts/train_env.sh"))
                .and(predicate::str::contains("base model").not()),
        );
    assert!(!dir.path().join("a").exists());
    assert_eq!(count(&db, "adapters"), 0);
}

#[test]
fn dry_run_writes_a_balanced_training_set_without_held_out_tasks() {
    let dir = tempdir();
    let db = store_with_episodes(dir.path(), 30);
    let out = dir.path().join("dry");
    let assert = rslm()
        .args([
            "train-lora",
            "--dry-run",
            "--json",
            "--max-per-family",
            "3",
            "--db",
        ])
        .arg(&db)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let dataset = &report["dataset"];
    assert_eq!(dataset["excluded_heldout"], 1);
    assert_eq!(dataset["duplicates"], 30);
    let text = std::fs::read_to_string(out.join("train.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, dataset["examples"].as_u64().unwrap());
    assert!(!text.contains("held out"));
    let mut per_family = std::collections::HashMap::new();
    for line in &lines {
        *per_family
            .entry(line["family"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
        let roles: Vec<&str> = line["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant"]);
    }
    assert!(per_family.values().all(|&n| n <= 3), "{per_family:?}");
    assert_eq!(count(&db, "adapters"), 0, "a dry run registers nothing");
    assert_eq!(
        report["data_sha256"].as_str().unwrap().len(),
        64,
        "the data hash is reported"
    );
}

#[test]
fn train_lora_refuses_an_existing_out_folder_and_an_empty_store() {
    let dir = tempdir();
    let db = store_with_episodes(dir.path(), 1);
    let existing = dir.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    rslm()
        .args(["train-lora", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&existing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    let empty = dir.path().join("empty.sqlite");
    Store::open_or_create(&empty).unwrap();
    rslm()
        .args(["train-lora", "--dry-run", "--db"])
        .arg(&empty)
        .arg("--out")
        .arg(dir.path().join("x"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no training examples"));
    assert!(!dir.path().join("x").exists());
}

fn register(db: &Path, dir: &Path, name: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    Store::open_existing(db)
        .unwrap()
        .register_adapter(&NewAdapter {
            name,
            path: &path.display().to_string(),
            base_model: "base.gguf",
            manifest: &serde_json::json!({"serving": {"llamacpp_id": 0}, "data": {"examples": 3}}),
            notes: "",
        })
        .unwrap();
}

fn active(db: &Path) -> Option<String> {
    Store::open_existing(db)
        .unwrap()
        .active_adapter()
        .unwrap()
        .map(|a| a.name)
}

#[test]
fn the_registry_activates_rolls_back_and_refuses_unknown_names() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    Store::open_or_create(&db).unwrap();
    rslm()
        .args(["list-adapters", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("no adapters registered"));
    register(&db, dir.path(), "first");
    register(&db, dir.path(), "second");

    rslm()
        .args(["set-active-adapter", "--name", "first", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("active adapter first"));
    // The original's defect: an unknown name deactivated everything and reported success.
    rslm()
        .args(["set-active-adapter", "--name", "nope", "--db"])
        .arg(&db)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no adapter named \"nope\"")
                .and(predicate::str::contains("first, second"))
                .and(predicate::str::contains("nothing changed")),
        );
    assert_eq!(active(&db).as_deref(), Some("first"));
    assert_eq!(count(&db, "adapter_activations"), 1);

    rslm()
        .args([
            "set-active-adapter",
            "--name",
            "second",
            "--reason",
            "better",
            "--db",
        ])
        .arg(&db)
        .assert()
        .success();
    let listed = rslm()
        .args(["list-adapters", "--json", "--history", "--db"])
        .arg(&db)
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&listed.get_output().stdout).unwrap();
    assert_eq!(json["active"], "second");
    assert_eq!(json["adapters"].as_array().unwrap().len(), 2);
    assert_eq!(json["adapters"][0]["examples"], 3);
    assert_eq!(json["history"][1]["reason"], "set-active-adapter: better");
    assert_eq!(json["history"][1]["previous"], "first");
    assert!(json["history"][1]["activated_at"].as_str().unwrap().len() >= 19);

    for want in ["first", "(none: base model)"] {
        rslm()
            .args(["rollback-adapter", "--db"])
            .arg(&db)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("active adapter {want}")));
    }
    assert_eq!(active(&db), None);
    rslm()
        .args(["rollback-adapter", "--db"])
        .arg(&db)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing to roll back"));
    rslm()
        .args(["rollback-adapter", "--name", "second", "--db"])
        .arg(&db)
        .assert()
        .success();
    assert_eq!(active(&db).as_deref(), Some("second"));
    rslm()
        .args(["set-active-adapter", "--none", "--db"])
        .arg(&db)
        .assert()
        .success();
    assert_eq!(active(&db), None);
    assert_eq!(count(&db, "adapter_activations"), 6);
    rslm()
        .args(["set-active-adapter", "--db"])
        .arg(&db)
        .assert()
        .code(2);
}

/// A safetensors file of F32 tensors.
fn write_safetensors(path: &Path, tensors: &[(&str, Vec<usize>, Vec<f32>)]) {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape, values) in tensors {
        let start = data.len();
        for v in values {
            data.extend_from_slice(&v.to_le_bytes());
        }
        header.insert(
            (*name).to_string(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let mut header = serde_json::to_vec(&serde_json::Value::Object(header)).unwrap();
    while header.len() % 8 != 0 {
        header.push(b' ');
    }
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend(header);
    file.extend(data);
    std::fs::write(path, file).unwrap();
}

#[test]
fn a_peft_adapter_converts_to_gguf_lora_with_llama_names_shapes_and_permuted_q_k() {
    let Some(python) = train_python() else { return };
    let dir = tempdir();
    // A tiny llama: hidden 8, 2 heads of 4 for q, 1 kv head for k (k rows = 4), rank 2.
    let base = dir.path().join("base");
    std::fs::create_dir(&base).unwrap();
    std::fs::write(
        base.join("config.json"),
        r#"{"model_type": "llama", "num_attention_heads": 2, "num_key_value_heads": 1}"#,
    )
    .unwrap();
    let adapter = dir.path().join("peft");
    std::fs::create_dir(&adapter).unwrap();
    std::fs::write(
        adapter.join("adapter_config.json"),
        r#"{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "k_proj", "down_proj"]}"#,
    )
    .unwrap();
    let seq = |n: usize| (0..n).map(|i| i as f32).collect::<Vec<_>>();
    let p = "base_model.model.model.layers.0";
    write_safetensors(
        &adapter.join("adapter_model.safetensors"),
        &[
            (
                &format!("{p}.self_attn.q_proj.lora_A.weight"),
                vec![2, 8],
                seq(16),
            ),
            (
                &format!("{p}.self_attn.q_proj.lora_B.weight"),
                vec![8, 2],
                seq(16),
            ),
            (
                &format!("{p}.self_attn.k_proj.lora_A.weight"),
                vec![2, 8],
                seq(16),
            ),
            (
                &format!("{p}.self_attn.k_proj.lora_B.weight"),
                vec![4, 2],
                seq(8),
            ),
            (
                &format!("{p}.mlp.down_proj.lora_A.weight"),
                vec![2, 12],
                seq(24),
            ),
            (
                &format!("{p}.mlp.down_proj.lora_B.weight"),
                vec![8, 2],
                seq(16),
            ),
        ],
    );
    let out = dir.path().join("adapter.gguf");
    let converted = std::process::Command::new(&python)
        .arg(Path::new(ROOT).join("scripts/lora_to_gguf.py"))
        .arg("--adapter")
        .arg(&adapter)
        .arg("--base-model")
        .arg(&base)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    // Read it back with the gguf package: names, shapes in GGUF order, metadata, values.
    let dump = std::process::Command::new(&python)
        .arg("-c")
        .arg(
            "import json, sys\nfrom gguf import GGUFReader\nr = GGUFReader(sys.argv[1])\n\
             meta = {k: f.contents() for k, f in r.fields.items() if not k.startswith('GGUF.')}\n\
             ts = {t.name: {'shape': [int(x) for x in t.shape], 'type': t.tensor_type.name, 'data': [float(x) for x in t.data.flatten()]} for t in r.tensors}\n\
             print(json.dumps({'meta': meta, 'tensors': ts}))",
        )
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let gguf: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    assert_eq!(gguf["meta"]["general.architecture"], "llama");
    assert_eq!(gguf["meta"]["general.type"], "adapter");
    assert_eq!(gguf["meta"]["adapter.type"], "lora");
    assert_eq!(gguf["meta"]["adapter.lora.alpha"], 4.0);
    let t = &gguf["tensors"];
    assert_eq!(t.as_object().unwrap().len(), 6);
    // GGUF lists dimensions innermost first: A is (in, r), B is (r, out).
    assert_eq!(
        t["blk.0.attn_q.weight.lora_a"]["shape"],
        serde_json::json!([8, 2])
    );
    assert_eq!(
        t["blk.0.attn_q.weight.lora_b"]["shape"],
        serde_json::json!([2, 8])
    );
    assert_eq!(
        t["blk.0.attn_k.weight.lora_b"]["shape"],
        serde_json::json!([2, 4])
    );
    assert_eq!(
        t["blk.0.ffn_down.weight.lora_a"]["shape"],
        serde_json::json!([12, 2])
    );
    assert_eq!(t["blk.0.attn_q.weight.lora_a"]["type"], "F32");
    let rows = |name: &str| -> Vec<Vec<f64>> {
        t[name]["data"]
            .as_array()
            .unwrap()
            .chunks(2)
            .map(|c| c.iter().map(|v| v.as_f64().unwrap()).collect())
            .collect()
    };
    // q: 2 heads of 4 rows; within a head, rows 0,1 | 2,3 interleave to 0,2,1,3.
    let q = rows("blk.0.attn_q.weight.lora_b");
    let order: Vec<f64> = q.iter().map(|r| r[0] / 2.0).collect();
    assert_eq!(order, [0.0, 2.0, 1.0, 3.0, 4.0, 6.0, 5.0, 7.0]);
    let k = rows("blk.0.attn_k.weight.lora_b");
    let order: Vec<f64> = k.iter().map(|r| r[0] / 2.0).collect();
    assert_eq!(order, [0.0, 2.0, 1.0, 3.0], "k uses the kv head count");
    let down = rows("blk.0.ffn_down.weight.lora_b");
    let order: Vec<f64> = down.iter().map(|r| r[0] / 2.0).collect();
    assert_eq!(
        order,
        seq(8).iter().map(|&x| f64::from(x)).collect::<Vec<_>>(),
        "other tensors keep their rows"
    );
}

#[test]
fn train_lora_trains_converts_and_registers_a_real_adapter() {
    let Some(_) = train_python() else { return };
    let model = Path::new(ROOT).join(".rslm/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    if !model.exists() {
        skip(&format!(
            "{} is absent (run scripts/train_env.sh)",
            model.display()
        ));
        return;
    }
    let dir = tempdir();
    let db = store_with_episodes(dir.path(), 2);
    let out = dir.path().join("adapters/tiny");
    let assert = rslm()
        .current_dir(ROOT)
        .args([
            "train-lora",
            "--json",
            "--epochs",
            "1",
            "--max-per-task",
            "1",
            "--rank",
            "4",
            "--db",
        ])
        .arg(&db)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(json["active"], false);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["base_model"]["sha256"],
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    );
    assert_eq!(manifest["data"]["examples"], 2);
    assert_eq!(manifest["serving"]["llamacpp_id"], 0);
    assert_eq!(manifest["hyper_parameters"]["rank"], 4);
    assert!(
        !manifest["training"]["loss_curve"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(out.join("adapter.gguf").is_file());
    assert!(out.join("peft/adapter_model.safetensors").is_file());
    assert!(out.join("train.jsonl").is_file());
    assert_eq!(count(&db, "adapters"), 1);
    assert_eq!(active(&db), None, "registered inactive");
}
