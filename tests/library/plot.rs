//! `rslm plot` end to end through the library: results JSON and SQLite inputs, PNG output.

use std::path::{Path, PathBuf};

use rslm::commands::plot::{Args, load_reports, run};
use rslm::eval::report::{ConditionResult, EvalReport, TaskOutcome};
use rslm::plot::{HEIGHT, WIDTH};

use crate::support::command::rslm;

const CONDITIONS: [&str; 4] = ["baseline", "memory", "semantic", "memory_learning"];

/// A mock run over 20 tasks where condition `i` solves the first `solved[i]` of them.
fn report(run_id: i64, solved: [usize; 4], samples: usize) -> EvalReport {
    let mut r = EvalReport::new("mock", "mock-weak-v1", true);
    r.created_at = Some("2026-11-24T01:02:03Z".to_owned());
    r.run_id = Some(run_id);
    r.seed = Some(1);
    r.k = Some(1);
    r.n = Some(samples);
    r.heldout_size = Some(20);
    r.split_seed = Some(1337);
    r.tasks_source = Some("bundled".to_owned());
    r.task_count = Some(20);
    for (name, count) in CONDITIONS.iter().zip(solved) {
        let per_task = (0..20)
            .map(|i| {
                let passed = if i < count { samples } else { 0 };
                TaskOutcome::new(format!("task{i:02}"), "arith", passed, samples)
            })
            .collect();
        r.conditions
            .push(ConditionResult::from_outcomes(*name, "", per_task, 1, 1).unwrap());
    }
    r.compare_with_baseline().unwrap();
    r.notes = vec!["SIMULATION: mock backend".to_owned()];
    r
}

/// Creates an rslm-shaped database holding `payloads` as eval runs.
fn database(path: &Path, payloads: &[String]) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(
        "CREATE TABLE eval_runs (id INTEGER PRIMARY KEY, run_id INTEGER, created_at TEXT,
         heldout_size INTEGER, k INTEGER, backend TEXT, payload_json TEXT NOT NULL);",
    )
    .unwrap();
    for (i, payload) in payloads.iter().enumerate() {
        db.execute(
            "INSERT INTO eval_runs (run_id, created_at, heldout_size, k, backend, payload_json)
             VALUES (?1, '2026-11-24T01:02:03Z', 20, 1, 'mock', ?2)",
            rusqlite::params![i as i64 + 1, payload],
        )
        .unwrap();
    }
}

/// Decodes the PNG and checks its size and that it holds a real picture.
fn assert_rich_png(path: &Path) {
    let image = image::open(path).unwrap().to_rgb8();
    assert_eq!(image.dimensions(), (WIDTH, HEIGHT));
    let colours: std::collections::HashSet<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    assert!(colours.len() > 50, "only {} colours", colours.len());
    let inked = image.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    let total = (WIDTH * HEIGHT) as usize;
    assert!(
        inked > total / 50,
        "the picture is almost blank: {inked} pixels inked"
    );
}

fn plot(input: &Path, output: &Path) -> anyhow::Result<()> {
    run(Args {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        latest_compatible: false,
    })
}

#[test]
fn one_results_json_becomes_a_bar_chart() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("results.json");
    let json = serde_json::to_string_pretty(&report(1, [7, 12, 7, 13], 1)).unwrap();
    std::fs::write(&input, json).unwrap();
    let output = dir.path().join("plots/results.png");
    plot(&input, &output).unwrap();
    assert_rich_png(&output);
}

#[test]
fn a_database_of_several_runs_becomes_a_trend() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("memory.sqlite");
    let payloads: Vec<String> = [[7, 9, 7, 10], [7, 12, 8, 13], [7, 14, 9, 16]]
        .into_iter()
        .enumerate()
        .map(|(i, solved)| serde_json::to_string(&report(i as i64 + 1, solved, 4)).unwrap())
        .collect();
    database(&db, &payloads);
    let before = std::fs::read(&db).unwrap();
    assert_eq!(load_reports(&db).unwrap().len(), 3);
    let output = dir.path().join("results.png");
    plot(&db, &output).unwrap();
    assert_rich_png(&output);
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "plot changed the database"
    );
}

#[test]
fn payloads_of_the_original_plot_without_whiskers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("memory.sqlite");
    let legacy = |memory: f64| {
        format!(
            r#"{{"conditions":[{{"condition":"baseline","pass_at_1":0.35,"pass_at_k":0.35,"notes":"x"}},
            {{"condition":"memory","pass_at_1":{memory},"pass_at_k":{memory},"notes":"y"}}],
            "memory_precision":1.0,"regression_check":null}}"#
        )
    };
    database(&db, &[legacy(0.6), legacy(0.65)]);
    let output = dir.path().join("results.png");
    plot(&db, &output).unwrap();
    assert_rich_png(&output);
}

#[test]
fn an_empty_database_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("memory.sqlite");
    database(&db, &[]);
    let err = plot(&db, &dir.path().join("results.png")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: no eval runs in DB; run rslm eval first", db.display())
    );
}

#[test]
fn a_malformed_payload_names_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("memory.sqlite");
    database(&db, &["{oops".to_owned()]);
    let err = plot(&db, &dir.path().join("results.png")).unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.starts_with(&format!(
            "{}: eval run 1: payload is not a results JSON: ",
            db.display()
        )),
        "{message}"
    );
}

#[test]
fn a_database_without_eval_runs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER);")
        .unwrap();
    let err = plot(&db, &dir.path().join("results.png")).unwrap_err();
    assert!(
        err.to_string().contains("is this an rslm database?"),
        "{err:#}"
    );
}

#[test]
fn a_missing_input_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("memory.sqlite");
    let err = plot(&db, &dir.path().join("results.png")).unwrap_err();
    assert!(err.to_string().contains("no such file"), "{err:#}");
    assert!(!db.exists());
    assert!(!dir.path().join("results.png").exists());
}

/// Stores one eval run per entry of `solved` through the real store.
fn store_runs(store: &rslm::store::Store, solved: &[[usize; 4]]) {
    use rslm::store::runs::{NewRun, RunKind};
    for solved in solved {
        let run_id = store
            .start_run(&NewRun {
                kind: RunKind::Eval,
                backend: "mock".to_owned(),
                model: "mock-weak-v1".to_owned(),
                simulation: true,
                seed: 1,
                mode: None,
                prompt_version: None,
                tasks_source: Some("bundled".to_owned()),
                config: serde_json::json!({}),
            })
            .unwrap();
        let payload = serde_json::to_value(report(run_id, *solved, 1)).unwrap();
        store
            .insert_eval_run(run_id, 20, 1, "mock", &payload)
            .unwrap();
    }
}

/// Through the real binary, on a database made by the real store.
#[test]
fn rslm_plot_reads_the_store_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("memory.sqlite");
    {
        let (store, _) = rslm::store::Store::open_or_create(&db).unwrap();
        store_runs(&store, &[[7, 10, 7, 11], [7, 12, 8, 13]]);
    }
    let list = || {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let files_before = list();
    let output = dir.path().join("out/results.png");
    rslm("plot --input")
        .arg(&db)
        .arg("--output")
        .arg(&output)
        .run()
        .success()
        .stdout(format!("{}\n", output.display()));
    assert_rich_png(&output);
    // Only the new output folder appeared: no journal, WAL or shared-memory file was left.
    let mut expected = files_before;
    expected.push("out".to_owned());
    assert_eq!(list(), expected);
}

#[test]
fn rslm_plot_of_a_missing_database_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("memory.sqlite");
    rslm("plot --input")
        .arg(&db)
        .arg("--output")
        .arg(dir.path().join("results.png"))
        .run()
        .failure(2)
        .stderr_contains("no such file");
    assert!(!db.exists());
}

#[test]
fn runs_committed_by_a_live_writer_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("memory.sqlite");
    let (store, _) = rslm::store::Store::open_or_create(&db).unwrap();
    store_runs(&store, &[[7, 10, 7, 11], [7, 12, 8, 13], [7, 13, 8, 14]]);
    let reports = load_reports(&db).unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[2].run_id, Some(3));
    drop(store);
}
