//! The project's Python environment, `.rslm/venv` with pytest (what `scripts/python_env.sh`
//! makes), found or set up when pytest mode meets an interpreter without pytest: the seed
//! README's commands then work out of the box, without the user learning about RSLM_PYTHON
//! first. Looked for in the current directory and its parents only, so what runs is decided by
//! where the user is, never by where the binary happens to be installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use super::python::{self, Python};

/// The venv's interpreter inside a project folder.
fn venv_python(root: &Path) -> PathBuf {
    if cfg!(windows) {
        root.join(".rslm/venv/Scripts/python.exe")
    } else {
        root.join(".rslm/venv/bin/python")
    }
}

/// An interpreter with pytest for pytest mode, in place of `without` (which has none): an
/// existing `.rslm/venv` of the current directory or a parent, else one set up by the project's
/// `scripts/python_env.sh` (found the same way). `None` when neither exists; the caller then
/// reports how to install pytest. What it does is said on stderr.
pub(super) fn find_or_set_up(without: &Python) -> anyhow::Result<Option<Python>> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    for root in cwd.ancestors() {
        let candidate = venv_python(root);
        if !candidate.is_file() {
            continue;
        }
        if let Ok(found) = python::resolve(&candidate) {
            if found.has_pytest {
                eprintln!(
                    "pytest mode: {} has no pytest; using the project environment {}",
                    without.executable.display(),
                    candidate.display()
                );
                return Ok(Some(found));
            }
        }
    }
    let Some(root) = cwd
        .ancestors()
        .find(|root| root.join("scripts/python_env.sh").is_file())
    else {
        return Ok(None);
    };
    eprintln!(
        "pytest mode: {} has no pytest; setting up the project environment {} with \
         scripts/python_env.sh (pytest from the package registry, once)",
        without.executable.display(),
        venv_python(root).display()
    );
    let output = Command::new("bash")
        .arg(root.join("scripts/python_env.sh"))
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run scripts/python_env.sh")?;
    if !output.status.success() {
        bail!(
            "scripts/python_env.sh failed ({}); see its message above, or verify with fast mode \
             (--fast or RSLM_FAST_VERIFY=1)",
            output.status
        );
    }
    let made = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let found = python::resolve(&made)?;
    if !found.has_pytest {
        bail!("{} was set up but cannot import pytest", made.display());
    }
    Ok(Some(found))
}
