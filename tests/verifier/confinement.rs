//! The confinement layers (`src/verify/confine.py`) proven by their own self-test: every denial
//! a candidate depends on (reads outside the Python installation, /proc, writes, Unix sockets,
//! signals, ptrace) and every allowance (stdlib imports, threads, fork), the seccomp filters of
//! both architectures run through an interpreter for every syscall number, and the pids-cgroup
//! code on fake cgroup v1 and v2 trees.

use std::process::Command;

#[test]
fn confinement_self_test_passes() {
    let _serial = crate::support::serial();
    let python = std::env::var_os("RSLM_PYTHON").unwrap_or_else(|| "python3".into());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/verify/confine_selftest.py"
    );
    let out = Command::new(&python)
        .arg(script)
        .output()
        .expect("python runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("all checks passed"), "{text}");
}
