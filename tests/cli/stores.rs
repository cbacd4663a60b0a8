//! Stores that are not there or must not change: listings read without writing anything, and
//! an eval of a mistyped --db is an error instead of an empty store evaluated.

use predicates::prelude::PredicateBooleanExt as _;
use predicates::str::contains;

use crate::support::tempdir;

/// The binary, driven by `assert_cmd` (these tests chain its assertions).
fn rslm() -> assert_cmd::Command {
    assert_cmd::Command::from_std(crate::support::command::Rslm::new().into_command())
}

#[test]
fn listings_change_no_file_of_the_store() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    rslm().args(["init-db", "--db"]).arg(&db).assert().success();
    let files = || {
        let mut names: Vec<(String, u64, std::time::SystemTime)> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| {
                let meta = e.metadata().unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    meta.len(),
                    meta.modified().unwrap(),
                )
            })
            .collect();
        names.sort();
        names
    };
    let before = files();
    for args in [
        vec!["list-adapters"],
        vec!["rules", "list"],
        vec!["procedures", "list"],
    ] {
        rslm().args(&args).arg("--db").arg(&db).assert().success();
        assert_eq!(files(), before, "{args:?} changed the store's files");
    }
}

#[test]
fn an_eval_of_a_store_that_does_not_exist_is_an_error_and_creates_nothing() {
    let dir = tempdir();
    let db = dir.path().join("typo.sqlite");
    rslm()
        .args(["eval", "--fast", "--heldout-size", "4", "--db"])
        .arg(&db)
        .assert()
        .code(1)
        .stderr(contains("does not exist"));
    assert!(!db.exists());
}

#[test]
fn a_damaged_store_is_named_by_init_db_and_not_called_up_to_date() {
    let dir = tempdir();
    let db = dir.path().join("m.sqlite");
    rslm().args(["init-db", "--db"]).arg(&db).assert().success();
    // Garble the middle of the file (past the header: the schema pages).
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 8192, "a store of {} bytes", bytes.len());
    for b in &mut bytes[4096..8192] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    rslm()
        .args(["init-db", "--db"])
        .arg(&db)
        .assert()
        .code(1)
        .stderr(contains(db.display().to_string()))
        .stderr(contains("up to date").not());
}

/// `rslm` as a user for whom `path`'s folder is read-only. Root ignores file modes, so when the
/// tests run as root (CI does) the command runs as `nobody`, for whom the modes hold.
#[cfg(unix)]
fn rslm_without_write_access() -> assert_cmd::Command {
    use std::os::unix::process::CommandExt as _;
    let mut command = crate::support::command::Rslm::new().into_command();
    if rustix::process::geteuid().is_root() {
        command.uid(65534).gid(65534);
    }
    assert_cmd::Command::from_std(command)
}

#[cfg(unix)]
#[test]
fn a_store_in_a_read_only_folder_can_be_read_and_a_write_names_the_store() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempdir();
    let folder = dir.path().join("read-only");
    std::fs::create_dir(&folder).unwrap();
    let db = folder.join("m.sqlite");
    rslm().args(["init-db", "--db"]).arg(&db).assert().success();
    let before = std::fs::read(&db).unwrap();
    let mode = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    mode(dir.path(), 0o755);
    mode(&db, 0o444);
    mode(&folder, 0o555);

    for args in [
        vec!["list-adapters"],
        vec!["rules", "list"],
        vec!["procedures", "list"],
    ] {
        rslm_without_write_access()
            .args(&args)
            .arg("--db")
            .arg(&db)
            .assert()
            .success();
    }
    for args in [vec!["init-db"], vec!["rules", "retire", "1"]] {
        rslm_without_write_access()
            .args(&args)
            .arg("--db")
            .arg(&db)
            .assert()
            .code(1)
            .stderr(contains(format!("{} cannot be written", db.display())));
    }

    mode(&folder, 0o755);
    assert_eq!(std::fs::read(&db).unwrap(), before, "the store changed");
    let names: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, [std::ffi::OsString::from("m.sqlite")]);
}
