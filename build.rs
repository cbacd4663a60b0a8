//! Records the git commit the binary was built from (`RSLM_GIT_COMMIT`), so results files can
//! say which code produced them. Outside a git checkout (a crate tarball, no git installed) it
//! is "unknown"; the build never fails for it.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RSLM_GIT_COMMIT={commit}");
    // Rebuild the value when HEAD moves: a checkout changes HEAD, a commit changes the branch's
    // ref (or packed-refs). In a worktree these live in the worktree's and the common git dir.
    println!("cargo:rerun-if-changed=build.rs");
    for (flag, files) in [
        ("--git-dir", &["HEAD"][..]),
        ("--git-common-dir", &["packed-refs", "refs/heads"][..]),
    ] {
        if let Some(dir) = git(&["rev-parse", flag]) {
            for file in files {
                let path = std::path::Path::new(&dir).join(file);
                if path.exists() {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
        }
    }
    if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(dir) = git(&["rev-parse", "--git-common-dir"]) {
            let path = std::path::Path::new(&dir).join(head);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}
