//! Inputs that are bombs (issue 16, item 8), through the binary: a gzip that expands to 1 GiB,
//! a task file with no line breaks, bytes that are not UTF-8, and prompts that differ only in
//! whitespace on both sides of the split. Each is a clear error (exit 1) naming the file, and
//! the line where there is one; the bombs are refused in small memory and nothing is written.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::Compression;
use flate2::write::GzEncoder;

/// The most memory (resident, in KiB) a refused bomb may cost: the 16 MiB line cap, the
/// decoder and the binary itself, with room to spare. Reading the bomb whole costs over 1 GiB.
const PEAK_KIB_ALLOWED: u64 = 128 * 1024;

/// The outcome of one run of `rslm`.
struct Run {
    code: Option<i32>,
    stderr: String,
    /// Peak resident memory in KiB, when `/usr/bin/time -v` could measure it.
    peak_kib: Option<u64>,
}

/// Runs `rslm ARGS` with a clean `RSLM_*` environment (but `RSLM_PYTHON`), under
/// `/usr/bin/time -v` when it is there so the peak memory is known.
fn rslm(args: &[&str], files: &[&Path]) -> Run {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_rslm"));
    let timer = Path::new("/usr/bin/time");
    let measured = timer.exists()
        && Command::new(timer)
            .args(["-v", "true"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stderr).contains("Maximum resident"));
    let mut cmd = if measured {
        let mut cmd = Command::new(timer);
        cmd.arg("-v").arg(&binary);
        cmd
    } else {
        Command::new(&binary)
    };
    cmd.args(args).args(files);
    for (key, _) in std::env::vars() {
        if key.starts_with("RSLM_") && key != "RSLM_PYTHON" {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().expect("rslm runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let peak_kib = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|n| n.trim().parse().ok());
    Run {
        code: out.status.code(),
        stderr,
        peak_kib,
    }
}

impl Run {
    /// Asserts exit 1 with `expected` in the error.
    fn fails_with(&self, expected: &str) {
        assert_eq!(self.code, Some(1), "{}", self.stderr);
        assert!(
            self.stderr.contains(expected),
            "stderr should contain {expected:?}:\n{}",
            self.stderr
        );
    }

    /// Asserts the peak memory stayed under the allowance, or says why it cannot.
    fn stayed_small(&self) {
        match self.peak_kib {
            Some(kib) => assert!(
                kib < PEAK_KIB_ALLOWED,
                "peak memory {kib} KiB, more than {PEAK_KIB_ALLOWED} KiB:\n{}",
                self.stderr
            ),
            None => eprintln!("/usr/bin/time -v is not available: peak memory not checked"),
        }
    }
}

/// Writes a gzip of `repeat` copies of `chunk`, compressing as it goes, so the test never
/// holds the expanded content.
fn gzip_bomb(path: &Path, chunk: &[u8], repeat: usize) {
    let file = BufWriter::new(File::create(path).unwrap());
    let mut encoder = GzEncoder::new(file, Compression::fast());
    for _ in 0..repeat {
        encoder.write_all(chunk).unwrap();
    }
    encoder.finish().unwrap().flush().unwrap();
}

fn gzip(path: &Path, content: &[u8]) {
    gzip_bomb(path, content, 1);
}

/// 1 GiB of zero bytes: no line break anywhere.
fn zeros_bomb(dir: &Path) -> PathBuf {
    let path = dir.join("bomb.jsonl.gz");
    gzip_bomb(&path, &vec![0u8; 1 << 20], 1024);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 8 << 20, "the bomb is small: {size} bytes");
    path
}

const TASK: &str = r#"{"task_id":"t-1","prompt":"Return x plus one.","function_name":"f","signature":"(x)","reference_tests":"from solution import f\n\ndef test_a():\n    assert f(1) == 2\n","assert_tests":["assert f(1) == 2"]}"#;

const RECORD: &str = r#"{"task_id":"HumanEval/0","prompt":"def f(x):\n","entry_point":"f","canonical_solution":"    return x\n","test":"def check(c):\n    assert c(1) == 1\n"}"#;

#[test]
fn a_gzip_bomb_stops_at_the_line_cap_in_small_memory_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = zeros_bomb(dir.path());
    let out = dir.path().join("out.jsonl");
    let out_arg = out.to_str().unwrap();

    let import = rslm(
        &["import-tasks", "--format", "humaneval", "--out", out_arg],
        &[&bomb],
    );
    import.fails_with(&format!(
        "{}:1: line longer than 16 MiB, the most one task may hold: refused",
        bomb.display()
    ));
    import.stayed_small();
    assert!(!out.exists(), "nothing is written");

    // The task loader (here: seed-tasks validating a file) reads gzip under the same caps.
    let validate = rslm(&["seed-tasks", "--out"], &[&bomb]);
    validate.fails_with(&format!("{}:1: line longer than 16 MiB", bomb.display()));
    validate.stayed_small();
}

#[test]
fn a_gzip_bomb_of_short_lines_stops_at_the_file_cap_in_small_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 1 GiB of blank lines (64 KiB of spaces each): every line is short, the whole is not.
    let bomb = dir.path().join("lines.jsonl.gz");
    let mut line = vec![b' '; 64 << 10];
    *line.last_mut().unwrap() = b'\n';
    gzip_bomb(&bomb, &line, 16 << 10);
    let out = dir.path().join("out.jsonl");

    let import = rslm(
        &[
            "import-tasks",
            "--format",
            "humaneval",
            "--out",
            out.to_str().unwrap(),
        ],
        &[&bomb],
    );
    import.fails_with(&format!(
        "{}: larger decompressed than 256 MiB, the most a task file may hold: refused",
        bomb.display()
    ));
    import.stayed_small();
    assert!(!out.exists(), "nothing is written");

    let validate = rslm(&["seed-tasks", "--out"], &[&bomb]);
    validate.fails_with(&format!(
        "{}: larger decompressed than 256 MiB",
        bomb.display()
    ));
    validate.stayed_small();
}

#[test]
fn a_plain_task_file_without_line_breaks_stops_at_the_line_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.jsonl");
    let mut file = BufWriter::new(File::create(&path).unwrap());
    writeln!(file, "{TASK}").unwrap();
    for _ in 0..17 {
        file.write_all(&[b'x'; 1 << 20]).unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let run = rslm(&["seed-tasks", "--out"], &[&path]);
    run.fails_with(&format!(
        "{}:2: line longer than 16 MiB, the most one task may hold: refused",
        path.display()
    ));
    run.stayed_small();
}

/// `text` as bytes with its one `~` replaced by `byte`.
fn with_byte(text: &str, byte: u8) -> Vec<u8> {
    assert_eq!(text.matches('~').count(), 1);
    text.bytes()
        .map(|b| if b == b'~' { byte } else { b })
        .collect()
}

#[test]
fn bytes_that_are_not_utf8_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // Line 3 says café in Latin-1: the é is the byte 0xe9.
    let second = TASK
        .replace("t-1", "t-2")
        .replace("plus one.", "plus one, caf~.");
    let tasks = with_byte(&format!("{TASK}\n\n{second}\n"), 0xe9);

    let plain = dir.path().join("tasks.jsonl");
    std::fs::write(&plain, &tasks).unwrap();
    rslm(&["seed-tasks", "--out"], &[&plain]).fails_with(&format!(
        "{}:3: not UTF-8 (byte 0xe9 at byte",
        plain.display()
    ));

    let gz = dir.path().join("tasks.jsonl.gz");
    gzip(&gz, &tasks);
    rslm(&["seed-tasks", "--out"], &[&gz])
        .fails_with(&format!("{}:3: not UTF-8 (byte 0xe9", gz.display()));

    // A HumanEval file, gzip as it is published, with a bad byte in its second record.
    let second = RECORD
        .replace("HumanEval/0", "HumanEval/1")
        .replace("def f(x):", "def f(x): # ~");
    let records = with_byte(&format!("{RECORD}\n{second}\n"), 0xff);
    let humaneval = dir.path().join("HumanEval.jsonl.gz");
    gzip(&humaneval, &records);
    let out = dir.path().join("out.jsonl");
    rslm(
        &[
            "import-tasks",
            "--format",
            "humaneval",
            "--out",
            out.to_str().unwrap(),
        ],
        &[&humaneval],
    )
    .fails_with(&format!("{}:2: not UTF-8 (byte 0xff", humaneval.display()));
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn prompts_that_differ_only_in_whitespace_are_refused_across_the_split() {
    let dir = tempfile::tempdir().unwrap();
    let task = |id: &str, prompt: &str| {
        let mut value: serde_json::Value = serde_json::from_str(TASK).unwrap();
        value["task_id"] = id.into();
        value["prompt"] = prompt.into();
        value.to_string()
    };
    // Two tasks and one held out: one is on each side whatever the hash order.
    let path = dir.path().join("near-duplicates.jsonl");
    std::fs::write(
        &path,
        format!(
            "{}\n{}\n",
            task("plus-one-a", "Return x plus one.\n\nExample: f(1) == 2"),
            task(
                "plus-one-b",
                "  Return x\tplus  one.\r\nExample:   f(1) == 2\n"
            ),
        ),
    )
    .unwrap();
    let db = dir.path().join("m.sqlite");
    let run = rslm(
        &[
            "run-iteration",
            "--fast",
            "--backend",
            "mock",
            "--heldout-size",
            "1",
            "--db",
            db.to_str().unwrap(),
            "--tasks",
        ],
        &[&path],
    );
    run.fails_with("have the same prompt (up to whitespace): held-out tasks would leak");
    for id in ["plus-one-a", "plus-one-b"] {
        assert!(
            run.stderr.contains(&format!("task {id} (")),
            "{}",
            run.stderr
        );
    }
}
