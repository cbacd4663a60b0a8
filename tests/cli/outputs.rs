//! Output flags never overwrite a store: every flag that names a file to write refuses the
//! command's `--db`, any other SQLite file, and the store's companions, with exit 2 before any
//! work, and the store is intact afterwards. Outputs appear whole, readable by everyone.

use std::path::Path;

use predicates::str::contains;

use crate::support::tempdir;

/// The binary, driven by `assert_cmd` (these tests chain its assertions).
fn rslm() -> assert_cmd::Command {
    assert_cmd::Command::from_std(crate::support::command::Rslm::new().into_command())
}

/// A store made by `init-db`, with what `PRAGMA integrity_check` says and its table count.
fn store(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("memory.sqlite");
    rslm().args(["init-db", "--db"]).arg(&db).assert().success();
    db
}

fn intact(db: &Path) -> (String, i64) {
    let conn = rusqlite::Connection::open(db).expect("still a database");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check runs");
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .expect("tables");
    (check, tables)
}

#[test]
fn every_output_flag_refuses_the_store_and_leaves_it_intact() {
    let dir = tempdir();
    let db = store(dir.path());
    let before = intact(&db);
    assert_eq!(before.0, "ok");
    let dbs = db.to_string_lossy().to_string();
    // plot wants a .png target: the store under such a name.
    let png = dir.path().join("store.png");
    std::fs::copy(&db, &png).unwrap();
    let pngs = png.to_string_lossy().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "eval",
            "--db",
            &dbs,
            "--fast",
            "--heldout-size",
            "4",
            "--output",
            &dbs,
        ],
        vec!["seed-tasks", "--regen", "--count", "120", "--out", &dbs],
        vec![
            "verify",
            "--fast",
            "--samples",
            "missing.jsonl",
            "--out",
            &dbs,
        ],
        vec!["plot", "--input", &pngs, "--output", &pngs],
        vec![
            "import-tasks",
            "--format",
            "humaneval",
            "missing.jsonl",
            "--out",
            &dbs,
        ],
        vec![
            "self-improve",
            "--db",
            &dbs,
            "--fast",
            "--cycles",
            "1",
            "--output-dir",
            &dbs,
        ],
    ];
    for args in cases {
        rslm()
            .args(&args)
            .assert()
            .code(2)
            .stderr(contains("nothing was written"));
        assert_eq!(intact(&db), before, "after {args:?}");
        assert_eq!(intact(&png), before, "after {args:?}");
    }
    // Another SQLite file, not the command's store, is refused too.
    let other = dir.path().join("other.sqlite");
    std::fs::copy(&db, &other).unwrap();
    rslm()
        .args(["seed-tasks", "--regen", "--count", "120", "--out"])
        .arg(&other)
        .assert()
        .code(2)
        .stderr(contains("SQLite database"));
    assert_eq!(intact(&other), before);
}

#[test]
fn outputs_are_written_whole_and_readable_by_everyone() {
    let dir = tempdir();
    let out = dir.path().join("tasks.jsonl");
    rslm()
        .args(["seed-tasks", "--regen", "--count", "120", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 120);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "mode {mode:o}");
    }
    // Nothing else was left in the folder (no temporary file).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
