//! Files rslm writes for the user (results JSON, task sets, per-sample results, plots): never
//! over a store, and always whole. A target that is an SQLite file (the `--db` of the command or
//! any other) is refused before any work starts; a file is written beside its target and renamed
//! into place, so a failure or an interrupt leaves the old file or none, never half of one.

use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;

use crate::error::UsageError;

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Refuses `target` when it is the command's store or any SQLite file (or one of its `-wal`,
/// `-shm` or `-journal` companions). `flag` names the option in the message.
pub fn check_target(flag: &str, target: &Path, db: Option<&Path>) -> Result<(), UsageError> {
    let refuse = |why: String| {
        Err(UsageError(format!(
            "{flag} {}: {why}; nothing was written (choose another path)",
            target.display()
        )))
    };
    if let Some(db) = db {
        if same_file(target, db) {
            return refuse(format!("that is the store (--db {})", db.display()));
        }
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned());
        for suffix in ["-wal", "-shm", "-journal"] {
            let companion = format!(
                "{}{suffix}",
                db.file_name().unwrap_or_default().to_string_lossy()
            );
            if name.as_deref() == Some(companion.as_str())
                && target.parent() == db.parent().or(Some(Path::new("")))
            {
                return refuse(format!(
                    "that is a file of the store (--db {})",
                    db.display()
                ));
            }
        }
    }
    if is_sqlite(target) {
        return refuse("that is an SQLite database".into());
    }
    if target.is_dir() {
        return refuse("that is a folder".into());
    }
    Ok(())
}

/// Whether `path` is an existing SQLite database file.
pub fn is_sqlite(path: &Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == SQLITE_MAGIC)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    }
}

/// Writes `bytes` to `path` whole: a temporary file in the same folder (created if missing),
/// made readable by everyone (0644, as files a user writes usually are), then renamed over it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(tmp.as_file_mut(), bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    make_readable(tmp.path());
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Pretty JSON, written whole.
pub fn write_json(path: &Path, payload: &serde_json::Value) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec_pretty(payload)?;
    text.push(b'\n');
    write_atomic(path, &text)
}

/// Mode 0644: a file the user wrote, readable by everyone (a temporary file starts at 0600).
#[cfg(unix)]
pub fn make_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
}

#[cfg(not(unix))]
pub fn make_readable(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_store_its_companions_and_any_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("m.sqlite");
        let mut page = SQLITE_MAGIC.to_vec();
        page.resize(4096, 0);
        std::fs::write(&db, &page).unwrap();
        let err = check_target("--output", &db, Some(&db)).unwrap_err();
        assert!(err.0.contains("that is the store"), "{}", err.0);
        let other = dir.path().join("other.db");
        std::fs::copy(&db, &other).unwrap();
        assert!(check_target("--out", &other, Some(&db)).is_err());
        assert!(check_target("--out", &other, None).is_err());
        let wal = dir.path().join("m.sqlite-wal");
        assert!(check_target("--out", &wal, Some(&db)).is_err());
        assert!(check_target("--out", &dir.path().join("r.json"), Some(&db)).is_ok());
        assert!(check_target("--out", dir.path(), None).is_err());
    }

    #[test]
    fn writes_whole_files_readable_by_everyone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("r.json");
        write_json(&path, &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"a\": 1\n}\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }
}
