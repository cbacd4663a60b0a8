//! The SQLite store: runs, verified episodes, failures, consolidated knowledge, eval runs and
//! adapters. One file, WAL mode, versioned migrations. Opening never damages a file that is not
//! ours, and a command that fails never leaves a new empty file behind.

mod schema;

pub mod episodes;
pub mod evals;
pub mod knowledge;
pub mod runs;

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
        let result = (|| {
            let conn = Connection::open(path)
                .with_context(|| format!("cannot open database {}", path.display()))?;
            let mut store = Store {
                conn,
                path: path.to_path_buf(),
            };
            store.configure()?;
            let from_version = store.migrate()?;
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
        result
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
        store.configure()?;
        store.migrate()?;
        Ok(store)
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

    /// The underlying connection, for the stages that own their queries (retrieval).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
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
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open database {db}"))?;
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        [],
        |r| r.get(0),
    )?;
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
