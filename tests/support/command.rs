//! The `rslm` binary under test as a builder: arguments, environment and stdin first, then one
//! run, then assertions on its exit code and output. It wraps `assert_cmd`, whose failure messages
//! show the command line, the exit code, stdout and stderr.
//!
//! ```ignore
//! rslm("run-iteration --fast --k 2").tasks(&tasks).db(&db).run().success();
//! let report = rslm("eval --fast --json").backend_openai(&server).db(&db).run().success().json();
//! rslm("rules list").db(&missing).run().failure(1).stderr_contains("does not exist");
//! ```

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::assert::{Assert, IntoOutputPredicate};
use predicates::Predicate;

use super::fake_openai::{DEFAULT_MODEL, FakeOpenAi};

/// `rslm` followed by the whitespace-separated words of `line`; `.arg` adds a word with spaces.
pub fn rslm(line: &str) -> Rslm {
    Rslm::new().args(line.split_whitespace())
}

/// One invocation of the binary, before it runs.
#[must_use]
pub struct Rslm {
    command: std::process::Command,
    stdin: Option<Vec<u8>>,
    timeout: Option<Duration>,
}

impl Rslm {
    /// The binary with every `RSLM_*` variable of the calling environment removed, except the
    /// Python interpreter the test suite provides (`RSLM_PYTHON`), and OpenAI's fallbacks
    /// (`OPENAI_BASE_URL`, `OPENAI_API_KEY`).
    pub fn new() -> Rslm {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rslm"));
        for (key, _) in std::env::vars_os() {
            let name = key.to_string_lossy();
            if (name.starts_with("RSLM_") && name != "RSLM_PYTHON") || name.starts_with("OPENAI_") {
                command.env_remove(&key);
            }
        }
        Rslm {
            command,
            stdin: None,
            timeout: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Rslm {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Rslm
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Rslm {
        self.command.env(key, value);
        self
    }

    /// `--db path`
    pub fn db(self, path: impl AsRef<Path>) -> Rslm {
        self.arg("--db").arg(path.as_ref())
    }

    /// `--tasks path`
    pub fn tasks(self, path: impl AsRef<Path>) -> Rslm {
        self.arg("--tasks").arg(path.as_ref())
    }

    /// `--backend openai --model fake-model --base-url URL`: the model the fake server serves.
    pub fn backend_openai(self, server: &FakeOpenAi) -> Rslm {
        self.args(["--backend", "openai", "--model", DEFAULT_MODEL])
            .arg("--base-url")
            .arg(server.base_url())
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Rslm {
        self.stdin = Some(input.into());
        self
    }

    /// Kills the command after `limit` (the run then fails).
    pub fn timeout(mut self, limit: Duration) -> Rslm {
        self.timeout = Some(limit);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Rslm {
        self.command.current_dir(dir);
        self
    }

    /// The command as built, to spawn and manage by hand (stdin and timeout do not apply).
    pub fn into_command(self) -> std::process::Command {
        self.command
    }

    /// Runs the command to its end.
    pub fn run(self) -> Run {
        let mut command = assert_cmd::Command::from_std(self.command);
        if let Some(input) = self.stdin {
            command.write_stdin(input);
        }
        if let Some(limit) = self.timeout {
            command.timeout(limit);
        }
        Run {
            assert: command.assert(),
        }
    }
}

/// A finished run: the assertions chain, the accessors read what it printed.
pub struct Run {
    assert: Assert,
}

impl Run {
    /// Exit code 0.
    pub fn success(self) -> Run {
        Run {
            assert: self.assert.success(),
        }
    }

    /// Exactly this exit code (rslm: 1 failure, 2 usage error).
    pub fn failure(self, code: i32) -> Run {
        Run {
            assert: self.assert.code(code),
        }
    }

    pub fn stdout<I, P>(self, predicate: I) -> Run
    where
        I: IntoOutputPredicate<P>,
        P: Predicate<[u8]>,
    {
        Run {
            assert: self.assert.stdout(predicate),
        }
    }

    pub fn stderr<I, P>(self, predicate: I) -> Run
    where
        I: IntoOutputPredicate<P>,
        P: Predicate<[u8]>,
    {
        Run {
            assert: self.assert.stderr(predicate),
        }
    }

    pub fn stdout_contains(self, text: impl Into<String>) -> Run {
        self.stdout(predicates::str::contains(text))
    }

    pub fn stderr_contains(self, text: impl Into<String>) -> Run {
        self.stderr(predicates::str::contains(text))
    }

    pub fn output(&self) -> &Output {
        self.assert.get_output()
    }

    /// Stdout, which must be UTF-8.
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.output().stdout.clone()).expect("stdout is UTF-8")
    }

    /// Stderr, which must be UTF-8.
    pub fn stderr_text(&self) -> String {
        String::from_utf8(self.output().stderr.clone()).expect("stderr is UTF-8")
    }

    /// Stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output().stdout).unwrap_or_else(|e| {
            let stdout = String::from_utf8_lossy(&self.output().stdout);
            panic!("stdout is not JSON ({e}):\n{stdout}")
        })
    }
}
