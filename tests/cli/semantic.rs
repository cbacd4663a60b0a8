//! Semantic memory through the binary: rules from contrasts of failed and verified attempts,
//! no near-duplicates, retirement of knowledge without a positive measured effect, procedures
//! shown with the task's own names and values, and consolidation that processes only what is
//! new.

use std::path::{Path, PathBuf};

use crate::support::add_tasks::write_add_tasks;
use crate::support::command::rslm;
use crate::support::fake_openai::{FakeOpenAi, Reply};
use crate::support::tempdir;

/// The task's function name and constant, read off the prompt the server receives.
fn asked(user: &str) -> (String, String) {
    let task_part = user.split("Relevant knowledge").next().unwrap_or(user);
    let name = task_part
        .lines()
        .find_map(|l| l.strip_prefix("Function name: "))
        .unwrap_or("f")
        .trim()
        .to_string();
    let k: String = name.chars().filter(char::is_ascii_digit).collect();
    (name, k)
}

/// A server whose first choice for every task makes `slip` and whose second is right.
fn server_with_slip(slip: fn(&str, &str) -> String) -> FakeOpenAi {
    FakeOpenAi::builder()
        .responder(move |req| {
            let (name, k) = asked(&req.user_message());
            Reply::Choices(vec![
                slip(&name, &k),
                format!("```python\ndef {name}(n):\n    return n + {k}\n```"),
            ])
        })
        .start()
}

fn renamed(name: &str, k: &str) -> String {
    format!("```python\ndef {name}_solution(n):\n    return n + {k}\n```")
}

fn prose(_name: &str, _k: &str) -> String {
    "I would add the constant to the argument and return the sum.".into()
}

/// One iteration of the add tasks (8 train, 4 held out) against `server`, k = 2.
fn iterate(server: &FakeOpenAi, tasks: &Path, db: &Path) {
    rslm("run-iteration --fast --k 2 --heldout-size 4")
        .backend_openai(server)
        .tasks(tasks)
        .db(db)
        .run()
        .success();
}

fn consolidate(tasks: &Path, db: &Path) -> serde_json::Value {
    rslm("consolidate --fast --min-evidence 2 --heldout-size 4 --json")
        .tasks(tasks)
        .db(db)
        .run()
        .success()
        .json()
}

fn rules(db: &Path) -> Vec<serde_json::Value> {
    rslm("rules list --all --json")
        .db(db)
        .run()
        .success()
        .json()
        .as_array()
        .unwrap()
        .clone()
}

fn fixture(slip: fn(&str, &str) -> String) -> (tempfile::TempDir, PathBuf, PathBuf, FakeOpenAi) {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    let tasks = write_add_tasks(dir.path(), 12);
    let server = server_with_slip(slip);
    iterate(&server, &tasks, &db);
    (dir, db, tasks, server)
}

#[test]
fn rules_come_from_contrasts_of_failed_and_verified_attempts() {
    let (_dir, db, tasks, _server) = fixture(renamed);
    let report = consolidate(&tasks, &db);
    assert_eq!(
        report["contrasts"], 8,
        "one failed attempt per train task: {report}"
    );
    assert_eq!(report["contrasts_classified"], 8, "{report}");
    assert_eq!(report["rules_created"], 1, "{report}");
    let rules = rules(&db);
    assert_eq!(rules.len(), 1, "{rules:?}");
    let rule = &rules[0];
    let text = rule["title"].as_str().unwrap();
    assert!(
        text.contains("\"Function name:\"") && text.contains("_solution"),
        "{text}"
    );
    assert!(
        !text.contains("mentions"),
        "no word-construct co-occurrence: {text}"
    );
    assert_eq!(rule["sources"].as_array().unwrap().len(), 8, "{rule}");
    assert_eq!(
        rule["failed_attempts"].as_array().unwrap().len(),
        8,
        "{rule}"
    );
    // Measured on a dev slice of the 8 train tasks, two samples each, with and without it.
    let effect = &rule["effect"];
    assert_eq!(effect["n"], 16, "{rule}");
    let helps = effect["with"].as_i64().unwrap() > effect["without"].as_i64().unwrap();
    assert_eq!(
        rule["status"] == "active",
        helps,
        "kept only if it helps: {rule}"
    );
    let listed = rslm("rules list --all")
        .db(&db)
        .run()
        .success()
        .stdout_text();
    assert!(listed.contains("(n=16)"), "{listed}");
}

#[test]
fn the_same_evidence_never_yields_a_second_rule() {
    let (_dir, db, tasks, server) = fixture(renamed);
    consolidate(&tasks, &db);
    // Nothing new: nothing processed, nothing added.
    let again = consolidate(&tasks, &db);
    assert_eq!(again["nothing_new"], true, "{again}");
    rslm("consolidate --fast --min-evidence 2 --heldout-size 4")
        .tasks(&tasks)
        .db(&db)
        .run()
        .success()
        .stdout_contains("processed nothing");
    // A reworded rule: the same slip seen again must reinforce it, not add a near-copy.
    let id = rules(&db)[0]["id"].to_string();
    rslm("rules edit")
        .arg(&id)
        .arg("--text")
        .arg("Name the function exactly as the task's \"Function name:\" line says: attempts that renamed it (for example with a \"_solution\" suffix) failed, and the same code under the asked name passed.")
        .db(&db)
        .run()
        .success();
    iterate(&server, &tasks, &db);
    let third = consolidate(&tasks, &db);
    assert_eq!(third["nothing_new"], false, "{third}");
    assert_eq!(
        third["contrasts"], 8,
        "only the new failed attempts: {third}"
    );
    assert_eq!(third["rules_created"], 0, "{third}");
    assert_eq!(third["rules_reinforced"], 1, "{third}");
    let all = rules(&db);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["failed_attempts"].as_array().unwrap().len(), 16);
    // Everything again: the same items, nothing new.
    let full = rslm("consolidate --fast --min-evidence 2 --heldout-size 4 --full --json")
        .tasks(&tasks)
        .db(&db)
        .run()
        .success()
        .json();
    assert_eq!(full["rules_created"], 0, "{full}");
    assert_eq!(full["procedures_created"], 0, "{full}");
    assert_eq!(rules(&db).len(), 1);
}

#[test]
fn a_rule_without_a_positive_effect_is_retired() {
    // The simulator cannot be talked out of a codeless reply: a rule about one changes none of
    // its answers, so its measured effect is exactly zero.
    let (_dir, db, tasks, _server) = fixture(prose);
    let report = consolidate(&tasks, &db);
    assert_eq!(report["rules_created"], 1, "{report}");
    assert_eq!(report["rules_retired"], 1, "{report}");
    let rule = &rules(&db)[0];
    assert!(
        rule["title"].as_str().unwrap().contains("no code"),
        "{rule}"
    );
    assert_eq!(rule["status"], "retired", "{rule}");
    assert_eq!(rule["effect"]["with"], rule["effect"]["without"], "{rule}");
    let events = rule["events"].to_string();
    assert!(events.contains("no positive effect"), "{events}");
    rslm("rules list")
        .db(&db)
        .run()
        .success()
        .stdout_contains("no rules (active)");
}

#[test]
fn procedures_are_shown_with_the_tasks_own_names_and_values() {
    let (_dir, db, tasks, server) = fixture(renamed);
    let report = consolidate(&tasks, &db);
    assert!(
        report["procedures_created"].as_i64().unwrap() >= 1,
        "{report}"
    );
    let procedures = rslm("procedures list --json")
        .db(&db)
        .run()
        .success()
        .json();
    let procedure = &procedures[0];
    assert_eq!(procedure["title"], "Return <P0> plus <N>.", "{procedure}");
    assert!(
        procedure["effect"]["n"].as_i64().unwrap() > 0,
        "{procedure}"
    );
    rslm("eval --fast --conditions semantic --k 1 --heldout-size 4")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success();
    let shown: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.is_chat())
        .map(|r| r.user_message())
        .filter(|u| u.contains("### Procedure"))
        .collect();
    assert_eq!(
        shown.len(),
        4,
        "every held-out task gets the procedure of its kind"
    );
    for user in &shown {
        let (name, k) = asked(user);
        assert!(
            user.contains(&format!("def {name}(n):\n    return n + {k}\n")),
            "filled in with the task's own name and constant: {user}"
        );
        assert!(!user.contains("<<"), "{user}");
    }
}

#[test]
fn a_store_of_the_previous_schema_is_upgraded_and_its_knowledge_measured() {
    let (_dir, db, tasks, _server) = fixture(renamed);
    consolidate(&tasks, &db);
    // Back to schema 5 (before the knowledge migration, v6): no effects, votes, scopes,
    // contrasts or marks, and none of what came after it (v7: round steps).
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut sql = String::from(
        "DROP TABLE round_steps; DROP INDEX procedures_by_pattern; DROP INDEX rules_by_scope; DROP TABLE rule_attempts;
         DROP TABLE contrasts; DROP TABLE consolidation_marks; ALTER TABLE semantic_rules DROP COLUMN scope;",
    );
    for table in ["semantic_rules", "procedures"] {
        for column in ["votes", "effect_with", "effect_without", "effect_n"] {
            sql.push_str(&format!("ALTER TABLE {table} DROP COLUMN {column};"));
        }
    }
    sql.push_str("PRAGMA user_version = 5;");
    conn.execute_batch(&sql).unwrap();
    drop(conn);
    let report = consolidate(&tasks, &db);
    assert_eq!(report["nothing_new"], false, "{report}");
    assert_eq!(report["rules_created"], 0, "the rule is known: {report}");
    assert!(report["measured"].as_i64().unwrap() >= 2, "{report}");
    for kind in ["rules", "procedures"] {
        let items = rslm(&format!("{kind} list --all --json"))
            .db(&db)
            .run()
            .success()
            .json();
        for item in items.as_array().unwrap() {
            assert!(
                item["effect"]["n"].as_i64().unwrap() > 0,
                "measured again: {item}"
            );
        }
    }
    assert_eq!(consolidate(&tasks, &db)["nothing_new"], true);
}

#[test]
fn with_a_model_the_model_writes_the_rule_from_contrasts_and_code_is_refused() {
    let (_dir, db, tasks, server) = fixture(renamed);
    let report = rslm("consolidate --fast --min-evidence 2 --heldout-size 4 --json")
        .backend_openai(&server)
        .tasks(&tasks)
        .db(&db)
        .run()
        .success()
        .json();
    // The fake model answers the writer with code, which is no rule.
    assert_eq!(report["rules_rejected"], 1, "{report}");
    assert_eq!(report["rules_created"], 0, "{report}");
    let writer = server
        .requests()
        .iter()
        .filter(|r| r.is_chat())
        .map(|r| r.user_message())
        .find(|u| u.contains("Failed attempt"))
        .expect("the model was shown the contrasts");
    assert!(
        writer.contains("_solution(n)") && writer.contains("Verified attempt"),
        "{writer}"
    );
}
