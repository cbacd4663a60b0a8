//! Finds the interpreter once: `RSLM_PYTHON` or `python3` on PATH, resolved to the real
//! executable by asking it for `sys.executable`. That skips a pyenv shim (a bash script costing
//! about 55 ms per start) and keeps a venv's `bin/python` as it is: canonicalizing the symlink
//! would leave the venv and lose its site-packages.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// An interpreter that answered, with its version.
#[derive(Debug, Clone)]
pub struct Python {
    pub executable: PathBuf,
    pub version: (u32, u32),
    /// Whether pytest is importable (found, not imported: importing it costs about 0.1 s).
    pub has_pytest: bool,
}

/// The interpreter looked up on PATH without `RSLM_PYTHON`: Windows' installer names it `python`.
const DEFAULT_PYTHON: &str = if cfg!(windows) { "python" } else { "python3" };

/// The interpreter asked for, before resolution: the config's, else `RSLM_PYTHON`, else
/// [`DEFAULT_PYTHON`].
pub fn requested(configured: Option<&Path>) -> PathBuf {
    if let Some(path) = configured {
        return path.to_path_buf();
    }
    match std::env::var_os("RSLM_PYTHON") {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => PathBuf::from(DEFAULT_PYTHON),
    }
}

/// Runs the interpreter once and returns the real executable behind it.
pub fn resolve(requested: &Path) -> anyhow::Result<Python> {
    let output = Command::new(requested)
        .args([
            "-c",
            "import sys, importlib.util; print(sys.executable); print('%d.%d' % sys.version_info[:2]); print(importlib.util.find_spec('pytest') is not None)",
        ])
        .output()
        .with_context(|| {
            format!(
                "cannot run the Python interpreter {:?} (set RSLM_PYTHON to a Python 3.8+ executable)",
                requested
            )
        })?;
    if !output.status.success() {
        bail!(
            "the Python interpreter {:?} failed to start ({}): {}",
            requested,
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    let executable = lines.next().unwrap_or("").trim();
    let version = lines.next().unwrap_or("").trim();
    let has_pytest = lines.next().unwrap_or("").trim() == "True";
    if executable.is_empty() {
        bail!("the Python interpreter {requested:?} did not report sys.executable");
    }
    let version = parse_version(version)
        .with_context(|| format!("{requested:?} reported an unreadable version {version:?}"))?;
    if version < (3, 8) {
        bail!(
            "{requested:?} is Python {}.{}; the verifier needs Python 3.8 or newer",
            version.0,
            version.1
        );
    }
    Ok(Python {
        executable: PathBuf::from(executable),
        version,
        has_pytest,
    })
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(parse_version("3.11"), Some((3, 11)));
        assert_eq!(parse_version("3"), None);
    }

    #[test]
    fn a_missing_interpreter_names_rslm_python() {
        let err = resolve(Path::new("/nonexistent/python3")).unwrap_err();
        assert!(format!("{err:#}").contains("RSLM_PYTHON"), "{err:#}");
    }
}
