//! The SQLite store: runs, verified episodes, failures, consolidated knowledge, eval runs and
//! adapters. One file, WAL mode, versioned migrations. Opening never damages a file that is not
//! ours, and a command that fails never leaves a new empty file behind.

mod schema;

pub mod adapters;
pub mod contrasts;
pub mod episodes;
pub mod evals;
pub mod knowledge;
pub mod retrieval;
pub mod rounds;
pub mod runs;
pub mod samples;
pub(crate) mod test_support;
pub mod wipe;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rusqlite::{Connection, OpenFlags};

pub use schema::{APPLICATION_ID, LATEST_VERSION};

/// An open, migrated rslm store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// What `open_or_create` did, for `init-db`'s report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOutcome {
    pub created: bool,
    pub from_version: i64,
    pub to_version: i64,
}

impl Store {
    /// Opens the store, creating the file (and its parent folders) and migrating as needed.
    pub fn open_or_create(path: &Path) -> anyhow::Result<(Store, OpenOutcome)> {
        let existed = path.exists();
        if existed {
            check_is_rslm_file(path)?;
        } else if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create folder {}", parent.display()))?;
        }
        let result = (|| -> anyhow::Result<(Store, OpenOutcome)> {
            let conn = Connection::open(path)
                .with_context(|| format!("cannot open database {}", path.display()))?;
            let mut store = Store {
                conn,
                path: path.to_path_buf(),
            };
            store.configure()?;
            let from_version = store.migrate()?;
            store.mark_stale_runs()?;
            Ok((
                store,
                OpenOutcome {
                    created: !existed,
                    from_version,
                    to_version: LATEST_VERSION,
                },
            ))
        })();
        if result.is_err() && !existed {
            remove_database_files(path);
        }
        // Whatever SQLite says (malformed, read-only, locked), it says it about this file.
        result.map_err(|e| explain_read_only(e, path))
    }

    /// SQLite's quick check of every page: a damaged file is an error naming it, instead of a
    /// store that answers some queries and fails others later.
    pub fn check_integrity(&self) -> anyhow::Result<()> {
        let problems: Vec<String> = {
            let mut statement = self.conn.prepare("PRAGMA quick_check(5)")?;
            statement
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()
                .with_context(|| format!("{} is damaged", self.path.display()))?
        };
        if problems.len() == 1 && problems[0] == "ok" {
            return Ok(());
        }
        anyhow::bail!(
            "{} is damaged ({}); restore it from a copy",
            self.path.display(),
            problems.join("; ")
        )
    }

    /// Opens an existing store; a missing file is an error and is not created.
    pub fn open_existing(path: &Path) -> anyhow::Result<Store> {
        if !path.exists() {
            anyhow::bail!(
                "database {} does not exist; create it with `rslm init-db --db {}`",
                path.display(),
                path.display()
            );
        }
        check_is_rslm_file(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open database {}", path.display()))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        (|| {
            store.configure()?;
            store.migrate()?;
            store.mark_stale_runs()
        })()
        .map_err(|e| explain_read_only(e, path))?;
        Ok(store)
    }

    /// Opens an existing store for reading only: nothing is created, migrated or written, and no
    /// journal, WAL or shared-memory file is left behind. A store of an older schema is read as
    /// it is (a table it lacks is an error of the query that needs it); writes fail. A file of
    /// another application or of a newer rslm is refused.
    pub fn open_read_only(path: &Path) -> anyhow::Result<Store> {
        let db = path.display();
        if !path.exists() {
            anyhow::bail!("database {db} does not exist");
        }
        let conn = read_only_connection(path)
            .and_then(|conn| {
                conn.busy_timeout(std::time::Duration::from_secs(10))?;
                Ok(conn)
            })
            .with_context(|| format!("cannot open database {db}"))?;
        let app: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .with_context(|| format!("cannot read database {db}"))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if app != 0 && app != APPLICATION_ID {
            anyhow::bail!("{db} is an SQLite database of another application, not an rslm store");
        }
        if app == APPLICATION_ID && version > LATEST_VERSION {
            anyhow::bail!(
                "{db} has schema version {version}, newer than this rslm understands ({LATEST_VERSION}); upgrade rslm"
            );
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// An in-memory store for unit tests.
    pub fn in_memory() -> anyhow::Result<Store> {
        let mut store = Store {
            conn: Connection::open_in_memory()?,
            path: PathBuf::from(":memory:"),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for this module's queries: SQL stays inside `store`.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The underlying connection, mutable, for this module's transactions.
    fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    fn configure(&mut self) -> anyhow::Result<()> {
        let db = self.path.display().to_string();
        // journal_mode returns a row, so it is a query, not an execute.
        let _mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .with_context(|| format!("{db}: cannot enable WAL"))?;
        self.conn
            .execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .with_context(|| format!("{db}: cannot configure"))?;
        self.conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(())
    }

    /// Applies pending migrations, each in its own transaction. Returns the version found.
    /// Written by hand rather than with `rusqlite_migration`, which does the same with `PRAGMA
    /// user_version` but pins rusqlite back to 0.40 (and its bundled SQLite); these 20 lines
    /// keep the current one.
    fn migrate(&mut self) -> anyhow::Result<i64> {
        let db = self.path.display().to_string();
        let found: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > LATEST_VERSION {
            anyhow::bail!(
                "{db} has schema version {found}, newer than this rslm understands ({LATEST_VERSION}); upgrade rslm"
            );
        }
        for version in found..LATEST_VERSION {
            let tx = self.conn.transaction()?;
            tx.execute_batch(&schema::migration_sql(version as usize))
                .with_context(|| {
                    format!("{db}: migration to schema version {} failed", version + 1)
                })?;
            tx.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
                version + 1
            ))?;
            tx.commit()?;
        }
        Ok(found)
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> anyhow::Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

/// Refuses files that are not SQLite, SQLite files of another application, and stores made by a
/// newer rslm — before anything writes to them.
/// Names the store in an error of opening it; a store that cannot be written (the file or its
/// folder is read-only) gets a message saying what still works.
fn explain_read_only(err: anyhow::Error, path: &Path) -> anyhow::Error {
    let read_only = err.chain().any(|cause| {
        cause
            .downcast_ref::<rusqlite::Error>()
            .is_some_and(|e| e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly))
    });
    if read_only {
        anyhow::anyhow!(
            "{} cannot be written (the file or its folder is read-only); this command writes to the store, while listings and plot only read it",
            path.display()
        )
    } else {
        err.context(path.display().to_string())
    }
}

fn check_is_rslm_file(path: &Path) -> anyhow::Result<()> {
    let db = path.display();
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot read {db}"))?
        .len();
    if len == 0 {
        // An empty file is what SQLite itself creates; treat it as a new database.
        return Ok(());
    }
    let mut header = [0u8; 16];
    {
        use std::io::Read as _;
        let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {db}"))?;
        if file.read_exact(&mut header).is_err() || &header != b"SQLite format 3\0" {
            anyhow::bail!(
                "{db} is not an rslm database (not an SQLite file); refusing to touch it"
            );
        }
    }
    let conn = read_only_connection(path).with_context(|| format!("cannot open database {db}"))?;
    let (app, version, tables) = (|| -> rusqlite::Result<(i32, i64, i64)> {
        Ok((
            conn.query_row("PRAGMA application_id", [], |r| r.get(0))?,
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))?,
            conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )?,
        ))
    })()
    .with_context(|| format!("cannot read database {db}"))?;
    if app != APPLICATION_ID && !(app == 0 && version == 0 && tables == 0) {
        anyhow::bail!(
            "{db} is an SQLite database of another application, not an rslm store; refusing to touch it"
        );
    }
    if version > LATEST_VERSION {
        anyhow::bail!(
            "{db} has schema version {version}, newer than this rslm understands ({LATEST_VERSION}); upgrade rslm"
        );
    }
    Ok(())
}

/// A read-only connection that leaves no file behind.
///
/// A read-only connection to a WAL-mode database still creates the `-wal` and `-shm` sidecar
/// files, and cannot remove them on close. Without a `-wal` file no writer is active and the
/// last one checkpointed everything into the main file, so it is read as immutable, which
/// touches nothing else. With one, a writer may be running: read through its sidecars, which
/// already exist, to see everything it committed.
fn read_only_connection(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        Connection::open_with_flags(path, flags)
    } else {
        let uri = format!("file:{}?mode=ro&immutable=1", uri_path(path));
        Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
    }
}

/// `path` percent-encoded for an SQLite `file:` URI.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for &byte in &crate::platform::os_path_bytes(path) {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn remove_database_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// sha256 of a candidate's code, hex: the de-duplication key of episodes.
pub fn code_hash(code: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(code.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candidate::Candidate;
    use crate::store::episodes::{Attempt, Pool};
    use crate::store::runs::{NewRun, RunKind};
    use crate::verify::{Verdict, VerdictKind};

    fn task(id: &str, prompt: &str) -> crate::tasks::Task {
        crate::tasks::Task {
            task_id: id.into(),
            prompt: prompt.into(),
            function_name: "f".into(),
            signature: "(x)".into(),
            reference_tests: "def test_a(): pass".into(),
            assert_tests: vec![],
            family: Some("fam".into()),
            category: None,
            difficulty: None,
            tags: vec![],
        }
    }

    fn attempt(code: &str, pass: bool) -> Attempt {
        Attempt {
            sample_index: 0,
            candidate: Candidate {
                code: code.into(),
                raw: code.into(),
                ..Candidate::default()
            },
            verdict: Verdict {
                verdict: if pass {
                    VerdictKind::Pass
                } else {
                    VerdictKind::Fail
                },
                tests_run: 1,
                tests_passed: u32::from(pass),
                first_failure: None,
                log: String::new(),
                duration_ms: 1.0,
            },
        }
    }

    fn run(store: &Store) -> i64 {
        store
            .start_run(&NewRun {
                kind: RunKind::Iteration,
                backend: "mock".into(),
                model: "m".into(),
                simulation: true,
                seed: 0,
                mode: Some("trainpool".into()),
                prompt_version: None,
                tasks_source: None,
                config: serde_json::json!({}),
            })
            .unwrap()
    }

    fn fts_hits(store: &Store, table: &str, word: &str) -> i64 {
        store
            .conn()
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE {table} MATCH ?1"),
                [format!("\"{word}\"")],
                |r| r.get(0),
            )
            .unwrap()
    }

    #[test]
    fn only_passing_candidates_become_episodes_and_fts_follows_updates_and_deletes() {
        let mut store = Store::in_memory().unwrap();
        let run_id = run(&store);
        let t = task("t1", "Reverse the words of a sentence");
        let stored = store
            .record_task(
                run_id,
                &t,
                Pool::Train,
                "baseline",
                &[
                    attempt("def f(x):\n    return x[::-1]", true),
                    attempt("def f(x):\n    return x", false),
                ],
                &Default::default(),
            )
            .unwrap();
        assert_eq!(stored, 1);
        assert_eq!(store.table_count("episodes").unwrap(), 1);
        assert_eq!(store.table_count("failures").unwrap(), 1);
        assert_eq!(
            store.recorded_episodes().unwrap(),
            [crate::store::episodes::RecordedEpisode {
                id: 1,
                task_id: "t1".into(),
                prompt: "Reverse the words of a sentence".into(),
                code: "def f(x):\n    return x[::-1]".into(),
                passed: true,
                verdict: "pass".into(),
            }]
        );
        assert_eq!(
            fts_hits(&store, "episodes_fts", "reversing"),
            1,
            "porter stemming matches reversing to Reverse"
        );
        store
            .conn()
            .execute("UPDATE episodes SET prompt = 'Sort the numbers'", [])
            .unwrap();
        assert_eq!(
            fts_hits(&store, "episodes_fts", "reverse"),
            0,
            "old text leaves the index on update"
        );
        assert_eq!(fts_hits(&store, "episodes_fts", "sort"), 1);
        store.conn().execute("DELETE FROM episodes", []).unwrap();
        assert_eq!(
            fts_hits(&store, "episodes_fts", "sort"),
            0,
            "deleted rows leave the index"
        );
    }

    #[test]
    fn heldout_attempts_are_never_episodes() {
        let mut store = Store::in_memory().unwrap();
        let run_id = run(&store);
        store
            .record_task(
                run_id,
                &task("h1", "p"),
                Pool::Heldout,
                "baseline",
                &[attempt("def f(x): return 1", true)],
                &Default::default(),
            )
            .unwrap();
        assert_eq!(store.table_count("episodes").unwrap(), 0);
        assert_eq!(store.table_count("heldout_attempts").unwrap(), 1);
        assert_eq!(store.finished_tasks(run_id).unwrap().len(), 1);
    }

    #[test]
    fn rule_fts_stays_in_sync() {
        use crate::store::knowledge::{KnowledgeKind, NewKnowledge};
        let mut store = Store::in_memory().unwrap();
        let rule = NewKnowledge {
            failure_ids: Vec::new(),
            scope: None,
            kind: KnowledgeKind::Rule,
            title: "Use slicing to rotate lists".into(),
            body: String::new(),
            family: None,
            episode_ids: vec![],
            evidence_count: 2,
            origin: "offline".into(),
            run_id: None,
            validation: None,
        };
        store.add_knowledge(&rule).unwrap();
        assert_eq!(fts_hits(&store, "rules_fts", "rotat"), 1);
        store
            .conn()
            .execute(
                "UPDATE semantic_rules SET rule_text = 'Count with a dict'",
                [],
            )
            .unwrap();
        assert_eq!(fts_hits(&store, "rules_fts", "rotate"), 0);
        assert_eq!(fts_hits(&store, "rules_fts", "dict"), 1);
        store
            .conn()
            .execute("DELETE FROM semantic_rules", [])
            .unwrap();
        assert_eq!(fts_hits(&store, "rules_fts", "dict"), 0);
    }

    #[test]
    fn an_old_schema_upgrades_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&schema::migration_sql(0)).unwrap();
            conn.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;"
            ))
            .unwrap();
            conn.execute("INSERT INTO runs (kind, rslm_version, config_json) VALUES ('iteration', '0.0.1', '{}')", []).unwrap();
        }
        let store = Store::open_existing(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
        assert_eq!(store.table_count("runs").unwrap(), 1);
        assert_eq!(store.table_count("adapter_activations").unwrap(), 0);
    }

    #[test]
    fn foreign_and_newer_files_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a database at all, just some text").unwrap();
        let err = Store::open_or_create(&text).unwrap_err().to_string();
        assert!(err.contains("not an rslm database"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&text).unwrap(),
            "not a database at all, just some text"
        );

        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        let before = std::fs::read(&other).unwrap();
        let err = Store::open_or_create(&other).unwrap_err().to_string();
        assert!(err.contains("another application"), "{err}");
        assert_eq!(std::fs::read(&other).unwrap(), before);

        let newer = dir.path().join("newer.sqlite");
        drop(Store::open_or_create(&newer).unwrap());
        Connection::open(&newer)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99;")
            .unwrap();
        let before = std::fs::read(&newer).unwrap();
        let err = Store::open_existing(&newer).unwrap_err().to_string();
        assert!(err.contains("newer than this rslm"), "{err}");
        assert_eq!(std::fs::read(&newer).unwrap(), before);
    }

    #[test]
    fn a_missing_store_is_not_created_by_readers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.sqlite");
        assert!(
            Store::open_existing(&path)
                .unwrap_err()
                .to_string()
                .contains("does not exist")
        );
        assert!(!path.exists());
    }

    /// The names of the files in `dir`, sorted.
    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_read_only_store_sees_a_live_writer_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory #1.sqlite");
        let payload = serde_json::json!({"conditions": []});
        {
            let (writer, _) = Store::open_or_create(&path).unwrap();
            let run_id = run(&writer);
            writer
                .insert_eval_run(run_id, 20, 1, "mock", &payload)
                .unwrap();
            // The writer is still open: its committed rows are in the WAL file.
            let reader = Store::open_read_only(&path).unwrap();
            assert_eq!(reader.eval_payloads().unwrap().len(), 1);
        }
        let before = std::fs::read(&path).unwrap();
        let names = files(dir.path());
        assert_eq!(names, ["memory #1.sqlite"]);
        {
            let reader = Store::open_read_only(&path).unwrap();
            assert_eq!(reader.eval_payloads().unwrap(), [(1, payload.to_string())]);
            assert_eq!(reader.schema_version().unwrap(), LATEST_VERSION);
            assert!(
                reader
                    .start_run(&NewRun {
                        kind: RunKind::Eval,
                        backend: "mock".into(),
                        model: "m".into(),
                        simulation: true,
                        seed: 0,
                        mode: None,
                        prompt_version: None,
                        tasks_source: None,
                        config: serde_json::json!({}),
                    })
                    .is_err(),
                "writes fail"
            );
        }
        assert_eq!(files(dir.path()), names, "no journal, WAL or shm file");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_read_only_store_refuses_foreign_newer_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.sqlite");
        let err = Store::open_read_only(&missing).unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{err}");
        assert!(!missing.exists());

        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("PRAGMA application_id = 42; CREATE TABLE t (x);")
            .unwrap();
        let err = Store::open_read_only(&other).unwrap_err().to_string();
        assert!(err.contains("another application"), "{err}");

        let newer = dir.path().join("newer.sqlite");
        drop(Store::open_or_create(&newer).unwrap());
        Connection::open(&newer)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99;")
            .unwrap();
        let err = Store::open_read_only(&newer).unwrap_err().to_string();
        assert!(err.contains("newer than this rslm"), "{err}");

        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a database at all, just some text").unwrap();
        assert!(Store::open_read_only(&text).is_err());

        // A bare SQLite file without rslm's marks is read as it is: its tables decide.
        let bare = dir.path().join("bare.sqlite");
        Connection::open(&bare)
            .unwrap()
            .execute_batch("CREATE TABLE t (x);")
            .unwrap();
        let store = Store::open_read_only(&bare).unwrap();
        let err = format!("{:#}", store.eval_payloads().unwrap_err());
        assert!(err.contains("no such table: eval_runs"), "{err}");
    }

    #[test]
    fn uri_paths_are_escaped() {
        assert_eq!(
            uri_path(Path::new("/tmp/a b/x?y#z%.sqlite")),
            "/tmp/a%20b/x%3Fy%23z%25.sqlite"
        );
        assert_eq!(
            uri_path(Path::new("artifacts/memory.sqlite")),
            "artifacts/memory.sqlite"
        );
    }

    #[test]
    fn knowledge_is_append_only_and_deduplicated() {
        use crate::store::knowledge::{Added, KnowledgeKind, NewKnowledge};
        let mut store = Store::in_memory().unwrap();
        let run_id = run(&store);
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            store
                .record_task(
                    run_id,
                    &task(id, &format!("Return n plus {i}")),
                    Pool::Train,
                    "memory",
                    &[attempt(&format!("def f(n): return n + {i}"), true)],
                    &Default::default(),
                )
                .unwrap();
        }
        let proc = |ids: Vec<i64>| NewKnowledge {
            failure_ids: Vec::new(),
            scope: None,
            kind: KnowledgeKind::Procedure,
            title: "Return n plus <N>".into(),
            body: "def <<name>>(<<p0>>): return <<p0>> + <<L0>>".into(),
            family: Some("add_const".into()),
            evidence_count: ids.len(),
            episode_ids: ids,
            origin: "offline".into(),
            run_id: Some(run_id),
            validation: None,
        };
        let first = store.add_knowledge(&proc(vec![1, 2])).unwrap();
        assert!(matches!(first, Added::Created(_)));
        assert!(matches!(
            store.add_knowledge(&proc(vec![1, 2])).unwrap(),
            Added::Unchanged(_)
        ));
        assert!(matches!(
            store.add_knowledge(&proc(vec![1, 2, 3])).unwrap(),
            Added::Reinforced(_)
        ));
        let items = store
            .list_knowledge(KnowledgeKind::Procedure, true)
            .unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].evidence_count, 3);
        assert_eq!(
            items[0]
                .sources
                .iter()
                .map(|s| s.1.as_str())
                .collect::<Vec<_>>(),
            vec!["a", "b", "c"]
        );
        let id = items[0].id;
        store
            .set_knowledge_status(KnowledgeKind::Procedure, id, false, "test")
            .unwrap();
        assert!(
            store
                .set_knowledge_status(KnowledgeKind::Procedure, id, false, "again")
                .is_err()
        );
        assert!(
            store
                .list_knowledge(KnowledgeKind::Procedure, false)
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .set_knowledge_status(KnowledgeKind::Procedure, 999, true, "x")
                .is_err()
        );
        let item = store
            .knowledge_item(KnowledgeKind::Procedure, id)
            .unwrap()
            .unwrap();
        assert_eq!(
            item.events.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
            vec!["created", "reinforced", "retired"]
        );
    }
}
