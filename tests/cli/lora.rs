//! Learning through the real binary: train-lora's checks and dry run, the adapter registry, and
//! the PEFT -> GGUF conversion (`convert-lora`, pure Rust: it runs everywhere). Tests that need
//! the training venv (`scripts/train_env.sh`) skip with a message on stderr when it is absent.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use rslm::store::Store;
use rslm::store::adapters::NewAdapter;
use rslm::train::base_model::BaseModel;
use rslm::train::gguf::{Gguf, TensorType, Value};

use crate::support::command::rslm;
use crate::support::tempdir;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A store with verified episodes: two per train-pool task of the first `tasks` train tasks, one
/// duplicate, and one episode of a held-out task (which must never be trained on).
fn store_with_episodes(dir: &Path, tasks: usize) -> PathBuf {
    let db = dir.join("memory.sqlite");
    drop(Store::open_or_create(&db).unwrap());
    let all = rslm::tasks::loader::TaskSource::Bundled.load().unwrap();
    let split = rslm::tasks::split::split(&all, 40, 1337).unwrap();
    // The test writes its fixture rows with its own connection: the store keeps SQL private.
    let conn = rusqlite::Connection::open(&db).unwrap();
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
    rusqlite::Connection::open(db)
        .unwrap()
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
    let stderr = rslm("train-lora")
        .db(&db)
        .arg("--out")
        .arg(&out)
        .arg("--base-model")
        .arg(dir.path().join("no-such-model.gguf"))
        .env("RSLM_TRAIN_PYTHON", dir.path().join("no-venv/bin/python"))
        .run()
        .failure(1)
        .stderr_text();
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
    rslm("train-lora")
        .db(&db)
        .arg("--out")
        .arg(dir.path().join("a"))
        .arg("--base-model")
        .arg(&model)
        .env("RSLM_TRAIN_PYTHON", &python)
        .run()
        .failure(1)
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
    let report = rslm("train-lora --dry-run --json --max-per-family 3")
        .db(&db)
        .arg("--out")
        .arg(&out)
        .run()
        .success()
        .json();
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
    rslm("train-lora")
        .db(&db)
        .arg("--out")
        .arg(&existing)
        .run()
        .failure(2)
        .stderr_contains("already exists");
    let empty = dir.path().join("empty.sqlite");
    Store::open_or_create(&empty).unwrap();
    rslm("train-lora --dry-run")
        .db(&empty)
        .arg("--out")
        .arg(dir.path().join("x"))
        .run()
        .failure(1)
        .stderr_contains("no training examples");
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
    rslm("list-adapters")
        .db(&db)
        .run()
        .success()
        .stdout_contains("no adapters registered");
    register(&db, dir.path(), "first");
    register(&db, dir.path(), "second");

    rslm("set-active-adapter --name first")
        .db(&db)
        .run()
        .success()
        .stdout_contains("active adapter first");
    // The original's defect: an unknown name deactivated everything and reported success.
    rslm("set-active-adapter --name nope")
        .db(&db)
        .run()
        .failure(2)
        .stderr_contains("no adapter named \"nope\"")
        .stderr_contains("first, second")
        .stderr_contains("nothing changed");
    assert_eq!(active(&db).as_deref(), Some("first"));
    assert_eq!(count(&db, "adapter_activations"), 1);

    rslm("set-active-adapter --name second --reason better")
        .db(&db)
        .run()
        .success();
    let json = rslm("list-adapters --json --history")
        .db(&db)
        .run()
        .success()
        .json();
    assert_eq!(json["active"], "second");
    assert_eq!(json["adapters"].as_array().unwrap().len(), 2);
    assert_eq!(json["adapters"][0]["examples"], 3);
    assert_eq!(json["history"][1]["reason"], "set-active-adapter: better");
    assert_eq!(json["history"][1]["previous"], "first");
    assert!(json["history"][1]["activated_at"].as_str().unwrap().len() >= 19);

    for want in ["first", "(none: base model)"] {
        rslm("rollback-adapter")
            .db(&db)
            .run()
            .success()
            .stdout_contains(format!("active adapter {want}"));
    }
    assert_eq!(active(&db), None);
    rslm("rollback-adapter")
        .db(&db)
        .run()
        .failure(1)
        .stderr_contains("nothing to roll back");
    rslm("set-active-adapter --name second")
        .db(&db)
        .run()
        .success();
    assert_eq!(active(&db).as_deref(), Some("second"));
    rslm("set-active-adapter --none").db(&db).run().success();
    assert_eq!(active(&db), None);
    assert_eq!(count(&db, "adapter_activations"), 6);
    rslm("set-active-adapter").db(&db).run().failure(2);
}

/// How a test tensor is stored in the safetensors file.
#[derive(Clone, Copy)]
enum Dtype {
    F32,
    F16,
    BF16,
}

/// A test tensor: name, PyTorch shape, values, storage type.
type TestTensor = (String, Vec<usize>, Vec<f32>, Dtype);

/// The f16 bits of `v`, for the small whole numbers the tests use (exact in f16).
fn f16_bits(v: f32) -> u16 {
    if v == 0.0 {
        return 0;
    }
    let bits = v.to_bits();
    assert_eq!(bits & 0x1fff, 0, "{v} is not exact in f16");
    let exponent = ((bits >> 23) & 0xff) as i32 - 127 + 15;
    assert!(
        (1..31).contains(&exponent),
        "{v} is out of the test's f16 range"
    );
    (((bits >> 16) & 0x8000) | ((exponent as u32) << 10) | ((bits >> 13) & 0x3ff)) as u16
}

/// A safetensors file, written from the format's description: u64 header length, JSON header,
/// little-endian data.
fn write_safetensors(path: &Path, tensors: &[TestTensor]) {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape, values, dtype) in tensors {
        let start = data.len();
        for &v in values {
            match dtype {
                Dtype::F32 => data.extend_from_slice(&v.to_le_bytes()),
                Dtype::F16 => data.extend_from_slice(&f16_bits(v).to_le_bytes()),
                Dtype::BF16 => data.extend_from_slice(&((v.to_bits() >> 16) as u16).to_le_bytes()),
            }
        }
        let dtype = match dtype {
            Dtype::F32 => "F32",
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
        };
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
    let mut header = serde_json::to_vec(&serde_json::Value::Object(header)).unwrap();
    while header.len() % 8 != 0 {
        header.push(b' ');
    }
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend(header);
    file.extend(data);
    std::fs::write(path, file).unwrap();
}

fn seq(n: usize) -> Vec<f32> {
    (0..n).map(|i| i as f32).collect()
}

/// A PEFT tensor of layer 0: `lora(module, "A", ...)`.
fn lora(module: &str, ab: &str, shape: [usize; 2], dtype: Dtype) -> TestTensor {
    (
        format!("base_model.model.model.layers.0.{module}.lora_{ab}.weight"),
        shape.to_vec(),
        seq(shape[0] * shape[1]),
        dtype,
    )
}

/// A PEFT adapter folder of rank 2 with the given tensors.
fn write_adapter(dir: &Path, tensors: &[TestTensor]) -> PathBuf {
    let adapter = dir.join("peft");
    std::fs::create_dir_all(&adapter).unwrap();
    std::fs::write(
        adapter.join("adapter_config.json"),
        r#"{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "use_rslora": false, "use_dora": false,
            "rank_pattern": {}, "alpha_pattern": {}, "target_modules": ["q_proj", "k_proj", "down_proj"]}"#,
    )
    .unwrap();
    write_safetensors(&adapter.join("adapter_model.safetensors"), tensors);
    adapter
}

/// `rslm convert-lora`, asserted to succeed; returns its JSON report.
fn convert(adapter: &Path, base: &Path, out: &Path) -> serde_json::Value {
    rslm("convert-lora --json --adapter")
        .arg(adapter)
        .arg("--base-model")
        .arg(base)
        .arg("--out")
        .arg(out)
        .run()
        .success()
        .json()
}

/// The rows of a tensor whose GGUF dims are [columns, rows] (PyTorch (rows, columns)).
fn rows(gguf: &Gguf, name: &str) -> Vec<Vec<f32>> {
    let columns = gguf.tensor(name).unwrap().dims[0] as usize;
    gguf.read_f32(name)
        .unwrap()
        .chunks(columns)
        .map(<[f32]>::to_vec)
        .collect()
}

/// Row `r` of a (rows, 2) tensor filled with 0, 1, 2, ...
fn row(r: usize) -> Vec<f32> {
    vec![2.0 * r as f32, 2.0 * r as f32 + 1.0]
}

#[test]
fn a_peft_adapter_converts_to_gguf_lora_with_llama_names_shapes_and_permuted_q_k() {
    let dir = tempdir();
    // A tiny llama: hidden 8, 2 heads of 4 for q, 1 kv head for k (k rows = 4), rank 2.
    let base = dir.path().join("base");
    std::fs::create_dir(&base).unwrap();
    std::fs::write(
        base.join("config.json"),
        r#"{"model_type": "llama", "num_attention_heads": 2, "num_key_value_heads": 1}"#,
    )
    .unwrap();
    // Each input type PEFT saves in: F32, BF16 (k) and F16 (down_proj).
    let adapter = write_adapter(
        dir.path(),
        &[
            lora("self_attn.q_proj", "A", [2, 8], Dtype::F32),
            lora("self_attn.q_proj", "B", [8, 2], Dtype::F32),
            lora("self_attn.k_proj", "A", [2, 8], Dtype::BF16),
            lora("self_attn.k_proj", "B", [4, 2], Dtype::BF16),
            lora("mlp.down_proj", "A", [2, 12], Dtype::F16),
            lora("mlp.down_proj", "B", [8, 2], Dtype::F16),
        ],
    );
    let out = dir.path().join("adapter.gguf");
    let report = convert(&adapter, &base, &out);
    assert_eq!(
        report["conversion"],
        serde_json::json!({"tensors": 6, "rank": 2, "alpha": 4.0, "architecture": "llama"})
    );

    let gguf = Gguf::open(&out).unwrap();
    let text = |key: &str| gguf.get(key).and_then(Value::as_str).map(str::to_string);
    assert_eq!(text("general.architecture").as_deref(), Some("llama"));
    assert_eq!(text("general.type").as_deref(), Some("adapter"));
    assert_eq!(text("adapter.type").as_deref(), Some("lora"));
    assert_eq!(text("general.name").as_deref(), Some("peft"));
    assert_eq!(gguf.get("adapter.lora.alpha"), Some(&Value::F32(4.0)));
    assert_eq!(gguf.alignment, 32);
    assert_eq!(gguf.data_start % 32, 0);
    // Ordered by layer, then Hugging Face module name (mlp before self_attn), A before B.
    let names: Vec<&str> = gguf.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "blk.0.ffn_down.weight.lora_a",
            "blk.0.ffn_down.weight.lora_b",
            "blk.0.attn_k.weight.lora_a",
            "blk.0.attn_k.weight.lora_b",
            "blk.0.attn_q.weight.lora_a",
            "blk.0.attn_q.weight.lora_b",
        ]
    );
    // GGUF lists dimensions innermost first: A is [in, r], B is [r, out]; all written as F32.
    let dims = |name: &str| gguf.tensor(name).unwrap().dims.clone();
    assert_eq!(dims("blk.0.attn_q.weight.lora_a"), [8, 2]);
    assert_eq!(dims("blk.0.attn_q.weight.lora_b"), [2, 8]);
    assert_eq!(dims("blk.0.attn_k.weight.lora_b"), [2, 4]);
    assert_eq!(dims("blk.0.ffn_down.weight.lora_a"), [12, 2]);
    assert_eq!(dims("blk.0.ffn_down.weight.lora_b"), [2, 8]);
    assert!(
        gguf.tensors.iter().all(|t| t.kind == TensorType::F32),
        "{:?}",
        gguf.tensors
    );
    for t in &gguf.tensors {
        assert_eq!(t.offset % 32, 0, "{} is aligned", t.name);
    }

    // A keeps its values whatever the input type.
    assert_eq!(
        gguf.read_f32("blk.0.attn_q.weight.lora_a").unwrap(),
        seq(16)
    );
    assert_eq!(
        gguf.read_f32("blk.0.attn_k.weight.lora_a").unwrap(),
        seq(16)
    );
    assert_eq!(
        gguf.read_f32("blk.0.ffn_down.weight.lora_a").unwrap(),
        seq(24)
    );
    // q: 2 heads of 4 rows; within a head, rows 0,1 | 2,3 interleave to 0,2,1,3.
    let permuted = |order: &[usize]| order.iter().map(|&r| row(r)).collect::<Vec<_>>();
    assert_eq!(
        rows(&gguf, "blk.0.attn_q.weight.lora_b"),
        permuted(&[0, 2, 1, 3, 4, 6, 5, 7])
    );
    assert_eq!(
        rows(&gguf, "blk.0.attn_k.weight.lora_b"),
        permuted(&[0, 2, 1, 3]),
        "k uses the kv head count"
    );
    assert_eq!(
        rows(&gguf, "blk.0.ffn_down.weight.lora_b"),
        permuted(&[0, 1, 2, 3, 4, 5, 6, 7]),
        "other tensors keep their rows"
    );
}

/// A GGUF model header written from the specification (not by rslm's writer): metadata of
/// several types, one F32 tensor, alignment 32.
fn write_gguf_base(path: &Path, architecture: &str, heads: u32, kv_heads: Option<u32>) {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend((s.len() as u64).to_le_bytes());
        out.extend(s.as_bytes());
    }
    let mut kv = Vec::new();
    let mut n_kv = 0u64;
    let mut entry = |key: &str, type_id: u32, value: &[u8]| {
        string(&mut kv, key);
        kv.extend(type_id.to_le_bytes());
        kv.extend(value);
        n_kv += 1;
    };
    let mut arch = Vec::new();
    string(&mut arch, architecture);
    entry("general.architecture", 8, &arch);
    let mut tokens = 8u32.to_le_bytes().to_vec();
    tokens.extend(2u64.to_le_bytes());
    string(&mut tokens, "<s>");
    string(&mut tokens, "def");
    entry("tokenizer.ggml.tokens", 9, &tokens);
    entry(
        &format!("{architecture}.context_length"),
        10,
        &8192u64.to_le_bytes(),
    );
    entry(
        &format!("{architecture}.attention.head_count"),
        4,
        &heads.to_le_bytes(),
    );
    if let Some(kv_heads) = kv_heads {
        entry(
            &format!("{architecture}.attention.head_count_kv"),
            4,
            &kv_heads.to_le_bytes(),
        );
    }
    entry(
        &format!("{architecture}.rope.freq_base"),
        6,
        &10000f32.to_le_bytes(),
    );
    let mut file = b"GGUF".to_vec();
    file.extend(3u32.to_le_bytes());
    file.extend(1u64.to_le_bytes());
    file.extend(n_kv.to_le_bytes());
    file.extend(kv);
    string(&mut file, "token_embd.weight");
    file.extend(2u32.to_le_bytes());
    file.extend(2u64.to_le_bytes());
    file.extend(2u64.to_le_bytes());
    file.extend(0u32.to_le_bytes());
    file.extend(0u64.to_le_bytes());
    file.resize(file.len().next_multiple_of(32), 0);
    for v in [1f32, 2.0, 3.0, 4.0] {
        file.extend(v.to_le_bytes());
    }
    std::fs::write(path, file).unwrap();
}

#[test]
fn a_gguf_base_model_gives_the_architecture_and_head_counts() {
    let dir = tempdir();
    let base = dir.path().join("base.gguf");
    write_gguf_base(&base, "llama", 2, Some(1));
    let model = Gguf::open(&base).unwrap();
    assert_eq!(
        model.get("llama.attention.head_count").unwrap().as_u64(),
        Some(2)
    );
    assert_eq!(model.get("llama.context_length"), Some(&Value::U64(8192)));
    assert_eq!(
        model.read_f32("token_embd.weight").unwrap(),
        [1.0, 2.0, 3.0, 4.0]
    );
    assert_eq!(
        rslm::train::peft_to_gguf::base_architecture(&BaseModel::Gguf(base.clone())).unwrap(),
        rslm::train::peft_to_gguf::BaseArchitecture {
            architecture: "llama".into(),
            head_count: 2,
            head_count_kv: 1
        }
    );

    // q: 16 rows in 2 heads of 8, k: 8 rows in 1 kv head; the halves of each head interleave.
    let adapter = write_adapter(
        dir.path(),
        &[
            lora("self_attn.q_proj", "A", [2, 8], Dtype::F32),
            lora("self_attn.q_proj", "B", [16, 2], Dtype::F32),
            lora("self_attn.k_proj", "A", [2, 8], Dtype::F32),
            lora("self_attn.k_proj", "B", [8, 2], Dtype::F32),
        ],
    );
    let out = dir.path().join("adapter.gguf");
    let report = convert(&adapter, &base, &out);
    assert_eq!(report["conversion"]["architecture"], "llama");
    let gguf = Gguf::open(&out).unwrap();
    assert_eq!(
        gguf.get("general.architecture").and_then(Value::as_str),
        Some("llama")
    );
    let permuted = |order: &[usize]| order.iter().map(|&r| row(r)).collect::<Vec<_>>();
    assert_eq!(
        rows(&gguf, "blk.0.attn_q.weight.lora_b"),
        permuted(&[0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15])
    );
    assert_eq!(
        rows(&gguf, "blk.0.attn_k.weight.lora_b"),
        permuted(&[0, 4, 1, 5, 2, 6, 3, 7])
    );

    // Without a kv-head count, k is split like q (llama.cpp reads it as the head count).
    write_gguf_base(&base, "llama", 2, None);
    convert(&adapter, &base, &out);
    assert_eq!(
        rows(&Gguf::open(&out).unwrap(), "blk.0.attn_k.weight.lora_b"),
        permuted(&[0, 2, 1, 3, 4, 6, 5, 7])
    );

    // An architecture whose conversion does not permute q/k keeps B's rows.
    write_gguf_base(&base, "qwen2", 2, Some(1));
    convert(&adapter, &base, &out);
    let gguf = Gguf::open(&out).unwrap();
    assert_eq!(
        gguf.get("general.architecture").and_then(Value::as_str),
        Some("qwen2")
    );
    assert_eq!(
        rows(&gguf, "blk.0.attn_q.weight.lora_b"),
        permuted(&(0..16).collect::<Vec<_>>())
    );
}

#[test]
fn the_real_base_model_metadata_is_read_when_present() {
    let model = Path::new(ROOT).join(".rslm/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    if !model.exists() {
        skip(&format!(
            "{} is absent (run scripts/train_env.sh)",
            model.display()
        ));
        return;
    }
    let base = rslm::train::peft_to_gguf::base_architecture(&BaseModel::Gguf(model)).unwrap();
    assert_eq!(
        (
            base.architecture.as_str(),
            base.head_count,
            base.head_count_kv
        ),
        ("llama", 9, 3)
    );
}

/// Runs `rslm convert-lora` expecting failure: exit 1, ONE line on stderr, no output file.
fn conversion_error(adapter: &Path, base: &Path) -> String {
    let out = adapter.parent().unwrap().join("bad.gguf");
    let stderr = rslm("convert-lora --adapter")
        .arg(adapter)
        .arg("--base-model")
        .arg(base)
        .arg("--out")
        .arg(&out)
        .run()
        .failure(1)
        .stderr_text();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!out.exists(), "nothing is written: {stderr}");
    stderr
}

#[test]
fn bad_adapters_fail_with_one_line_naming_the_file() {
    let dir = tempdir();
    let base = dir.path().join("base.gguf");
    write_gguf_base(&base, "llama", 2, Some(1));
    let good = || {
        vec![
            lora("self_attn.q_proj", "A", [2, 8], Dtype::F32),
            lora("self_attn.q_proj", "B", [8, 2], Dtype::F32),
        ]
    };
    let case = |name: &str, tensors: &[TestTensor]| write_adapter(&dir.path().join(name), tensors);
    let weights = |adapter: &Path| {
        adapter
            .join("adapter_model.safetensors")
            .display()
            .to_string()
    };

    let adapter = case("truncated", &good());
    let file = adapter.join("adapter_model.safetensors");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 3]).unwrap();
    let e = conversion_error(&adapter, &base);
    assert!(e.contains(&weights(&adapter)), "{e}");
    assert!(e.contains("truncated"), "{e}");

    let adapter = case("dtype", &good());
    let file = adapter.join("adapter_model.safetensors");
    let text = std::fs::read(&file).unwrap();
    // Same width, another type: F32 -> I32.
    let patched = String::from_utf8_lossy(&text).replacen("\"F32\"", "\"I32\"", 1);
    std::fs::write(&file, patched.as_bytes()).unwrap();
    let e = conversion_error(&adapter, &base);
    assert!(e.contains(&weights(&adapter)), "{e}");
    assert!(e.contains("unsupported dtype I32"), "{e}");

    let mut tensors = good();
    tensors.push(lora("mlp.fc1", "A", [2, 8], Dtype::F32));
    let adapter = case("module", &tensors);
    let e = conversion_error(&adapter, &base);
    assert!(e.contains(&weights(&adapter)), "{e}");
    assert!(
        e.contains(
            "unsupported adapter tensor base_model.model.model.layers.0.mlp.fc1.lora_A.weight"
        ),
        "{e}"
    );

    let adapter = case(
        "rank",
        &[
            lora("self_attn.q_proj", "A", [3, 8], Dtype::F32),
            lora("self_attn.q_proj", "B", [8, 3], Dtype::F32),
        ],
    );
    let e = conversion_error(&adapter, &base);
    assert!(e.contains(&weights(&adapter)), "{e}");
    assert!(
        e.contains("shapes [3, 8] (lora_A) and [8, 3] (lora_B) do not match rank 2"),
        "{e}"
    );

    let adapter = case("half", &good()[..1]);
    let e = conversion_error(&adapter, &base);
    assert!(e.contains(&weights(&adapter)), "{e}");
    assert!(
        e.contains("layer 0 self_attn.q_proj lacks lora_A or lora_B"),
        "{e}"
    );

    let adapter = case("dora", &good());
    let config = adapter.join("adapter_config.json");
    std::fs::write(
        &config,
        r#"{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "use_dora": true}"#,
    )
    .unwrap();
    let e = conversion_error(&adapter, &base);
    assert!(e.contains(&config.display().to_string()), "{e}");
    assert!(e.contains("use_dora is set"), "{e}");

    let adapter = case("base", &good());
    let no_heads = dir.path().join("no-heads.gguf");
    let mut model = std::fs::read(&base).unwrap();
    let key = b"llama.attention.head_count";
    let at = model.windows(key.len()).position(|w| w == key).unwrap();
    model[at..at + 5].copy_from_slice(b"gemma");
    std::fs::write(&no_heads, model).unwrap();
    let e = conversion_error(&adapter, &no_heads);
    assert!(e.contains(&no_heads.display().to_string()), "{e}");
    assert!(e.contains("has no llama.attention.head_count"), "{e}");

    let e = conversion_error(&adapter, &dir.path().join("missing.gguf"));
    assert!(e.contains("missing.gguf does not exist"), "{e}");
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
    let json = rslm("train-lora --json --epochs 1 --max-per-task 1 --rank 4")
        .current_dir(ROOT)
        .db(&db)
        .arg("--out")
        .arg(&out)
        .run()
        .success()
        .json();
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
    // Converted by rslm's own converter: a GGUF LoRA for the base model's architecture.
    let gguf = Gguf::open(&out.join("adapter.gguf")).unwrap();
    assert_eq!(
        gguf.get("general.type").and_then(Value::as_str),
        Some("adapter")
    );
    assert_eq!(
        gguf.get("general.architecture").and_then(Value::as_str),
        Some("llama")
    );
    assert_eq!(
        gguf.tensors.len() as u64,
        manifest["files"]["gguf_tensors"].as_u64().unwrap()
    );
    assert!(out.join("peft/adapter_model.safetensors").is_file());
    assert!(out.join("train.jsonl").is_file());
    assert_eq!(count(&db, "adapters"), 1);
    assert_eq!(active(&db), None, "registered inactive");
}
