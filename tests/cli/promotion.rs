//! The promotion gate and the adapter conditions of eval, through the real binary against the
//! fake OpenAI-compatible server on loopback. The fake acts as a llama.cpp server loading two
//! adapters (`GET /lora-adapters`): its answer depends on which adapter a request applies, so a
//! test decides what the base model, the current adapter and the candidate solve.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rslm::store::Store;
use rslm::store::adapters::NewAdapter;

use crate::support::add_tasks;
use crate::support::command::{Run, rslm};
use crate::support::fake_openai::{DEFAULT_MODEL, FakeOpenAi, Reply, SeenRequest};
use crate::support::tempdir;

const TASKS: usize = 60;
const HELDOUT: usize = 20;

struct Setup {
    _dir: tempfile::TempDir,
    db: PathBuf,
    tasks: PathBuf,
    /// Adapter folders: `current` (llama.cpp id 0) and `candidate` (id 1).
    current: PathBuf,
    candidate: PathBuf,
    heldout: HashSet<String>,
    /// Train-pool tasks the candidate trained on (the first ten in split order).
    trained: HashSet<String>,
}

fn gguf(dir: &Path) -> String {
    dir.join("adapter.gguf").display().to_string()
}

/// A store with two registered adapters; the candidate's train.jsonl names ten train-pool
/// tasks. With `active_current` the first adapter is active.
fn setup(active_current: bool) -> Setup {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = add_tasks::write_add_tasks(dir.path(), TASKS);
    let all = rslm::tasks::loader::TaskSource::parse(&tasks.display().to_string())
        .load()
        .unwrap();
    let split = rslm::tasks::split::split(&all, HELDOUT, 1337).unwrap();
    let heldout = split
        .heldout
        .iter()
        .map(|t| t.function_name.clone())
        .collect();
    let trained: HashSet<String> = split
        .train
        .iter()
        .take(10)
        .map(|t| t.task_id.clone())
        .collect();
    let (mut store, _) = Store::open_or_create(&db).unwrap();
    let mut folders = Vec::new();
    for name in ["current", "candidate"] {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("adapter.gguf"), b"GGUF test").unwrap();
        let lines: Vec<String> = trained
            .iter()
            .map(|id| serde_json::json!({"task_id": id, "messages": []}).to_string())
            .collect();
        std::fs::write(folder.join("train.jsonl"), lines.join("\n") + "\n").unwrap();
        store
            .register_adapter(&NewAdapter {
                name,
                path: &folder.display().to_string(),
                base_model: "base.gguf",
                manifest: &serde_json::json!({"serving": {"llamacpp_id": 0, "gguf": gguf(&folder)}}),
                notes: "",
            })
            .unwrap();
        folders.push(folder);
    }
    if active_current {
        store.activate_adapter(Some(1), "test setup").unwrap();
    }
    let trained_names = split
        .train
        .iter()
        .filter(|t| trained.contains(&t.task_id))
        .map(|t| t.function_name.clone())
        .collect();
    Setup {
        db,
        tasks,
        current: folders[0].clone(),
        candidate: folders[1].clone(),
        heldout,
        trained: trained_names,
        _dir: dir,
    }
}

/// The function name and its number, read off the prompt.
fn function(req: &SeenRequest) -> (String, u64) {
    let user = req.user_message();
    let name = user
        .lines()
        .find_map(|l| l.strip_prefix("Function name: "))
        .unwrap_or("f")
        .trim()
        .to_string();
    let k = name
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0);
    (name, k)
}

fn answer(name: &str, k: u64, right: bool) -> Reply {
    let value = if right {
        format!("n + {k}")
    } else {
        "n".into()
    };
    Reply::text(format!(
        "```python\ndef {name}(n):\n    return {value}\n```"
    ))
}

/// A fake llama.cpp server loading both adapters; `solves(applied lora ids, function name, k)`
/// decides whether the answer is right.
fn server(
    s: &Setup,
    solves: impl Fn(&[u64], &str, u64) -> bool + Send + Sync + 'static,
) -> FakeOpenAi {
    FakeOpenAi::builder()
        .lora_adapters([gguf(&s.current), gguf(&s.candidate)])
        .responder(move |req| {
            let (name, k) = function(req);
            answer(&name, k, solves(&req.applied_loras(), &name, k))
        })
        .start()
}

/// The base model solves one task in four, whatever the set.
fn base_solves(k: u64) -> bool {
    k % 4 == 0
}

fn promote(s: &Setup, server: &FakeOpenAi, extra: &[&str]) -> Run {
    rslm("promote-adapter --fast --temperature 0 --heldout-size")
        .arg(HELDOUT.to_string())
        .backend_openai(server)
        .tasks(&s.tasks)
        .db(&s.db)
        .args(extra)
        .run()
}

/// Everything the registry holds: adapters and the activation history.
fn registry(db: &Path) -> (Vec<(String, bool)>, Vec<String>) {
    let store = Store::open_existing(db).unwrap();
    let adapters = store
        .adapters()
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.active))
        .collect();
    let history = store
        .activations()
        .unwrap()
        .into_iter()
        .map(|h| format!("{:?} {:?} {}", h.adapter, h.previous, h.reason))
        .collect();
    (adapters, history)
}

#[test]
fn a_candidate_that_clearly_wins_is_promoted_with_the_figures_recorded() {
    let s = setup(false);
    // The candidate (id 1) solves everything; the base model one task in four.
    let fake = server(&s, |lora, _, k| lora == [1] || base_solves(k));
    let result = promote(&s, &fake, &["--name", "candidate", "--json"])
        .success()
        .json();
    assert_eq!(result["promoted"], true, "{result:#}");
    assert_eq!(result["current"], serde_json::Value::Null);
    assert_eq!(result["heldout"]["tasks"], HELDOUT);
    assert_eq!(result["heldout"]["candidate_passed"], HELDOUT);
    // The check set: the 40 train-pool tasks minus the 10 the candidate trained on.
    assert_eq!(result["check"]["figures"]["tasks"], 30);
    assert_eq!(result["check"]["trained_tasks_excluded"], 10);
    let checked: Vec<String> = result["check"]["figures"]["per_task"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"].as_str().unwrap().to_string())
        .collect();
    for id in &checked {
        let name = id.trim_end_matches("-t");
        assert!(
            !s.heldout.contains(name) && !s.trained.contains(name),
            "{id}"
        );
    }
    assert!(result["decision"]["p_value"].as_f64().unwrap() < 0.05);

    let store = Store::open_existing(&s.db).unwrap();
    assert_eq!(store.active_adapter().unwrap().unwrap().name, "candidate");
    let last = store.activations().unwrap().pop().unwrap();
    assert!(
        last.reason.starts_with("promote-adapter: candidate"),
        "{}",
        last.reason
    );
    assert!(last.reason.contains("held-out"), "{}", last.reason);
    assert!(last.reason.contains("McNemar p"), "{}", last.reason);

    // Both sides were asked for explicitly: the base model as every adapter at scale 0, the
    // candidate as id 1 alone.
    let chats = fake.chat_log();
    assert_eq!(chats.len(), 2 * (HELDOUT + 30));
    for req in &chats {
        let lora = req.json()["lora"].clone();
        assert_eq!(lora.as_array().map(Vec::len), Some(2), "{lora}");
    }
    assert_eq!(
        chats.iter().filter(|r| r.applied_loras() == [1]).count(),
        HELDOUT + 30
    );
    assert_eq!(
        chats
            .iter()
            .filter(|r| r.applied_loras().is_empty())
            .count(),
        HELDOUT + 30
    );
}

#[test]
fn a_tie_is_refused_and_changes_nothing() {
    let s = setup(true);
    // The candidate answers exactly as the current adapter (id 0) does.
    let fake = server(&s, |lora, _, k| !lora.is_empty() && k % 3 == 0);
    let before = registry(&s.db);
    promote(&s, &fake, &["--name", "candidate"])
        .success()
        .stdout_contains("refused: candidate was not promoted")
        .stdout_contains("no held-out gain")
        .stdout_contains("registry is unchanged (active: current)");
    assert_eq!(registry(&s.db), before);
    // The current side is adapter 0 at scale 1 with the candidate at 0, and the other way round.
    let chats = fake.chat_log();
    assert!(chats.iter().all(|r| r.applied_loras().len() == 1));
    assert_eq!(
        chats.iter().filter(|r| r.applied_loras() == [0]).count(),
        chats.len() / 2
    );
}

#[test]
fn a_check_set_regression_is_refused_and_changes_nothing() {
    let s = setup(false);
    let heldout = s.heldout.clone();
    // The candidate solves every held-out task but nothing else: a clear held-out win, and a
    // loss on every check-set task the base model solves.
    let fake = server(&s, move |lora, name, k| {
        if lora == [1] {
            heldout.contains(name)
        } else {
            base_solves(k)
        }
    });
    let before = registry(&s.db);
    let result = promote(&s, &fake, &["--name", "candidate", "--json"])
        .success()
        .json();
    assert_eq!(result["promoted"], false);
    assert!(
        result["decision"]["reason"]
            .as_str()
            .unwrap()
            .contains("regression on the check set"),
        "{result:#}"
    );
    assert!(result["decision"]["p_value"].as_f64().unwrap() < 0.05);
    assert_eq!(result["active"], serde_json::Value::Null);
    assert_eq!(registry(&s.db), before);
}

#[test]
fn a_server_without_the_candidate_or_an_unknown_name_is_an_error_that_changes_nothing() {
    let s = setup(false);
    let fake = FakeOpenAi::builder()
        .lora_adapters([gguf(&s.current)])
        .start();
    let before = registry(&s.db);
    promote(&s, &fake, &["--name", "candidate"])
        .failure(1)
        .stderr_contains("does not load adapter candidate")
        .stderr_contains(gguf(&s.candidate));
    promote(&s, &fake, &["--name", "nope"])
        .failure(2)
        .stderr_contains("no adapter named \"nope\"");
    promote(&s, &fake, &["--name", "candidate", "--check-limit", "0"])
        .failure(2)
        .stderr_contains("--check-limit");
    assert_eq!(registry(&s.db), before);
    assert_eq!(fake.chat_requests(), 0);
}

#[test]
fn eval_sends_the_active_adapter_and_reports_base_against_adapter() {
    let s = setup(true);
    // Adapter 0 (active) solves everything; the base model one task in four.
    let fake = server(&s, |lora, _, k| lora == [0] || base_solves(k));
    let report = rslm("eval --fast --temperature 0 --json --heldout-size")
        .arg(HELDOUT.to_string())
        .args(["--conditions", "baseline,learning,memory,memory_learning"])
        .backend_openai(&fake)
        .tasks(&s.tasks)
        .db(&s.db)
        .run()
        .success()
        .json();
    let pass = |c: &str| {
        report["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["condition"] == c)
            .unwrap()["pass_at_1"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(pass("learning"), 1.0);
    assert_eq!(pass("memory_learning"), 1.0);
    assert!(pass("baseline") < 0.5);
    let check = &report["regression_check"];
    assert_eq!(check["adapter"], "current");
    assert_eq!(check["regression"], false);
    let first = &check["comparisons"][0];
    assert_eq!(first["base_model"], "baseline");
    assert_eq!(first["adapter"], "learning");
    assert_eq!(first["pass_at_1_adapter"], 1.0);
    assert_eq!(first["tasks_lost"], 0);
    assert!(first["tasks_won"].as_u64().unwrap() > 10);
    assert_eq!(check["comparisons"][1]["adapter"], "memory_learning");
    // Every request named both adapters; the adapter conditions applied id 0 only.
    let chats = fake.chat_log();
    assert_eq!(chats.len(), 4 * HELDOUT);
    assert!(
        chats
            .iter()
            .all(|r| r.json()["lora"].as_array().map(Vec::len) == Some(2))
    );
    assert_eq!(
        chats.iter().filter(|r| r.applied_loras() == [0]).count(),
        2 * HELDOUT
    );
    assert_eq!(
        chats
            .iter()
            .filter(|r| r.applied_loras().is_empty())
            .count(),
        2 * HELDOUT
    );
}

#[test]
fn eval_of_an_adapter_condition_needs_a_server_that_loads_the_active_adapter() {
    let s = setup(true);
    // A llama.cpp server started without --lora: it lists no adapters.
    let fake = FakeOpenAi::builder()
        .lora_adapters(Vec::<String>::new())
        .start();
    let eval = |conditions: &str| {
        rslm("eval --fast --skip-precision --heldout-size")
            .arg(HELDOUT.to_string())
            .args(["--conditions", conditions])
            .backend_openai(&fake)
            .tasks(&s.tasks)
            .db(&s.db)
            .run()
    };
    eval("baseline,learning")
        .failure(1)
        .stderr_contains("does not load adapter current")
        .stderr_contains("it loads no adapters")
        .stderr_contains(gguf(&s.current));
    assert_eq!(fake.chat_requests(), 0, "nothing ran");
    // Without an adapter condition the active adapter is not needed.
    eval("baseline").success();
    assert!(
        fake.chat_log()
            .iter()
            .all(|r| r.json().get("lora").is_none())
    );
}

#[test]
fn a_vllm_adapter_is_gated_by_model_name() {
    let s = setup(false);
    // vLLM serves the candidate under its own model name and the base model under the base name.
    rusqlite::Connection::open(&s.db)
        .unwrap()
        .execute(
            "UPDATE adapters SET manifest_json = '{\"serving\": {\"model_name\": \"candidate-lora\"}}' WHERE name = 'candidate'",
            [],
        )
        .unwrap();
    let fake = FakeOpenAi::builder()
        .models([DEFAULT_MODEL, "candidate-lora"])
        .responder(|req| {
            let (name, k) = function(req);
            let tuned = req.model().as_deref() == Some("candidate-lora");
            answer(&name, k, tuned || base_solves(k))
        })
        .start();
    promote(&s, &fake, &["--name", "candidate"])
        .success()
        .stdout_contains("promoted: candidate is now the active adapter");
    let chats = fake.chat_log();
    assert!(chats.iter().all(|r| r.json().get("lora").is_none()));
    assert_eq!(
        chats
            .iter()
            .filter(|r| r.model().as_deref() == Some("candidate-lora"))
            .count(),
        chats.len() / 2
    );
    assert_eq!(
        Store::open_existing(&s.db)
            .unwrap()
            .active_adapter()
            .unwrap()
            .unwrap()
            .name,
        "candidate"
    );
}
