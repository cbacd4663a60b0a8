//! The strict task loader: every problem names its file and line, and nothing half-valid loads.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::Task;

/// At most this many bytes of a task or benchmark file are read, after decompression. A
/// generated set of 6,379 tasks (the most the families allow) is about 21 MB and HumanEval
/// about 1 MB, so a file beyond this is a mistake or a decompression bomb (a 1 MB gzip that
/// expands to 1 GiB), and it is refused while reading, before it can take the memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// At most this many bytes in one line (one task or record). Tasks are a few kB; the cap
/// bounds the one buffer the reader grows, so a file with no line breaks cannot fill memory.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// The two caps of a read, apart so that unit tests can use small ones.
#[derive(Debug, Clone, Copy)]
struct Limits {
    file_bytes: u64,
    line_bytes: usize,
}

const LIMITS: Limits = Limits {
    file_bytes: MAX_FILE_BYTES,
    line_bytes: MAX_LINE_BYTES,
};

/// A byte count for messages: whole MiB when it is one, bytes otherwise.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// The task set compiled into the binary (`--tasks bundled`).
pub const BUNDLED_JSONL: &str = include_str!("../../tasks/bundled_tasks.jsonl");

/// Where tasks come from: the embedded bundled set or a JSONL file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskSource {
    Bundled,
    File(PathBuf),
}

impl TaskSource {
    /// Parses the value of `--tasks`: `bundled` or a path.
    pub fn parse(value: &str) -> TaskSource {
        if value == "bundled" {
            TaskSource::Bundled
        } else {
            TaskSource::File(PathBuf::from(value))
        }
    }

    /// A label for reports and run records.
    pub fn label(&self) -> String {
        match self {
            TaskSource::Bundled => "bundled".to_string(),
            TaskSource::File(p) => p.display().to_string(),
        }
    }

    pub fn load(&self) -> anyhow::Result<Vec<Task>> {
        match self {
            TaskSource::Bundled => {
                parse_jsonl(BUNDLED_JSONL, "bundled tasks (tasks/bundled_tasks.jsonl)")
            }
            TaskSource::File(path) => load_file(path),
        }
    }
}

/// Reads and strictly parses a task file, plain or gzip.
pub fn load_file(path: &Path) -> anyhow::Result<Vec<Task>> {
    let origin = path.display().to_string();
    let mut parser = Parser::default();
    for_each_line(path, |line_no, line| parser.line(line_no, line, &origin))?;
    parser.finish(&origin)
}

/// Parses JSONL text; `origin` names the file in error messages (`origin:LINE: reason`).
pub fn parse_jsonl(text: &str, origin: &str) -> anyhow::Result<Vec<Task>> {
    let mut parser = Parser::default();
    read_lines(
        text.as_bytes(),
        origin,
        Encoding::Plain,
        LIMITS,
        |line_no, line| parser.line(line_no, line, origin),
    )?;
    parser.finish(origin)
}

/// The tasks read so far and the line each task id was first defined on.
#[derive(Default)]
struct Parser {
    tasks: Vec<Task>,
    first_line: HashMap<String, usize>,
}

impl Parser {
    fn line(&mut self, line_no: usize, line: &str, origin: &str) -> anyhow::Result<()> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let task: Task = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{origin}:{line_no}: {}", describe_json_error(&e)))?;
        validate(&task).map_err(|reason| anyhow::anyhow!("{origin}:{line_no}: {reason}"))?;
        if let Some(first) = self.first_line.insert(task.task_id.clone(), line_no) {
            anyhow::bail!(
                "{origin}:{line_no}: duplicate task_id {:?} (first defined on line {first})",
                task.task_id
            );
        }
        self.tasks.push(task);
        Ok(())
    }

    fn finish(self, origin: &str) -> anyhow::Result<Vec<Task>> {
        if self.tasks.is_empty() {
            anyhow::bail!("{origin}: no tasks in file");
        }
        Ok(self.tasks)
    }
}

/// Calls `visit(line_no, line)` for each line of a JSONL file, plain or gzip (told by its
/// magic bytes), streaming: at most one line is held. A line longer than [`MAX_LINE_BYTES`]
/// or a file longer than [`MAX_FILE_BYTES`] (decompressed) stops the read with an error naming
/// the file (and the line), and so does a line that is not UTF-8 (`FILE:LINE: not UTF-8`).
pub fn for_each_line(
    path: &Path,
    visit: impl FnMut(usize, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let origin = path.display().to_string();
    let file = File::open(path).with_context(|| format!("cannot read {origin}"))?;
    let file_size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut file = BufReader::new(file);
    let head = file
        .fill_buf()
        .with_context(|| format!("cannot read {origin}"))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::read::MultiGzDecoder::new(file);
        read_lines(
            BufReader::new(decoder),
            &origin,
            Encoding::Gzip,
            LIMITS,
            visit,
        )
    } else if file_size > MAX_FILE_BYTES {
        // Plain and too large: refused before reading a byte of it.
        anyhow::bail!("{origin}: {}", too_large(Encoding::Plain, LIMITS));
    } else {
        read_lines(file, &origin, Encoding::Plain, LIMITS, visit)
    }
}

/// How a file is stored, for the wording of errors.
#[derive(Clone, Copy)]
enum Encoding {
    Plain,
    Gzip,
}

fn too_large(encoding: Encoding, limits: Limits) -> String {
    let what = match encoding {
        Encoding::Plain => "larger",
        Encoding::Gzip => "larger decompressed",
    };
    format!(
        "{what} than {}, the most a task file may hold: refused",
        size(limits.file_bytes)
    )
}

/// The lines of `reader` under the caps of [`for_each_line`].
fn read_lines(
    mut reader: impl BufRead,
    origin: &str,
    encoding: Encoding,
    limits: Limits,
    mut visit: impl FnMut(usize, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    let mut total: u64 = 0;
    let mut line_no = 0usize;
    loop {
        line_no += 1;
        buf.clear();
        // At most one byte past the cap, so a line without end stops there.
        let n = (&mut reader)
            .take(limits.line_bytes as u64 + 1)
            .read_until(b'\n', &mut buf)
            .with_context(|| match encoding {
                Encoding::Plain => format!("cannot read {origin} (line {line_no})"),
                Encoding::Gzip => {
                    format!("{origin}: not a valid gzip file (stopped in line {line_no})")
                }
            })?;
        if n == 0 {
            return Ok(());
        }
        total += n as u64;
        if total > limits.file_bytes {
            anyhow::bail!("{origin}: {}", too_large(encoding, limits));
        }
        let mut line = buf.as_slice();
        if let Some(rest) = line.strip_suffix(b"\n") {
            line = rest.strip_suffix(b"\r").unwrap_or(rest);
        } else if line.len() > limits.line_bytes {
            anyhow::bail!(
                "{origin}:{line_no}: line longer than {}, the most one task may hold: refused",
                size(limits.line_bytes as u64)
            );
        }
        let text = std::str::from_utf8(line).map_err(|e| {
            let at = e.valid_up_to();
            anyhow::anyhow!(
                "{origin}:{line_no}: not UTF-8 (byte 0x{:02x} at byte {} of the line)",
                line[at],
                at + 1
            )
        })?;
        visit(line_no, text)?;
    }
}

fn describe_json_error(e: &serde_json::Error) -> String {
    // serde_json appends "at line 1 column N" (the line within this one JSON line): keep the reason.
    let text = e.to_string();
    let reason = text.split(" at line ").next().unwrap_or(&text);
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("malformed JSON: {reason}")
        }
        _ => reason.to_string(),
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn validate(task: &Task) -> Result<(), String> {
    if task.task_id.trim().is_empty() {
        return Err("field `task_id` is empty".into());
    }
    if task.prompt.trim().is_empty() {
        return Err("field `prompt` is empty".into());
    }
    if !is_identifier(&task.function_name) {
        return Err(format!(
            "field `function_name` {:?} is not a Python identifier",
            task.function_name
        ));
    }
    let sig = task.signature.trim();
    if !(sig.starts_with('(') && sig.ends_with(')')) {
        return Err(format!(
            "field `signature` {:?} must be a parameter list in parentheses, e.g. \"(values)\"",
            task.signature
        ));
    }
    if task.reference_tests.trim().is_empty() && task.assert_tests.is_empty() {
        return Err(
            "task has no tests: `reference_tests` is empty and there are no `assert_tests`".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"task_id":"f-1","prompt":"p","function_name":"f","signature":"(x)","reference_tests":"def test_a():\n    pass"}"#;

    #[test]
    fn loads_a_valid_line_and_skips_blank_lines() {
        let tasks = parse_jsonl(&format!("{GOOD}\n\n"), "t.jsonl").unwrap();
        assert_eq!(tasks.len(), 1);
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            (format!("{GOOD}\n{{not json"), "t.jsonl:2: malformed JSON"),
            (
                GOOD.replace(r#""prompt":"p","#, ""),
                "t.jsonl:1: missing field `prompt`",
            ),
            (
                GOOD.replace(r#""signature":"(x)""#, r#""signature":3"#),
                "t.jsonl:1: invalid type: integer `3`, expected a string",
            ),
            (
                GOOD.replace(r#""f-1""#, r#""f-1","extra":1"#),
                "t.jsonl:1: unknown field `extra`",
            ),
            (
                format!("{GOOD}\n{GOOD}"),
                "t.jsonl:2: duplicate task_id \"f-1\" (first defined on line 1)",
            ),
            (
                GOOD.replace(r#""function_name":"f""#, r#""function_name":"1f""#),
                "t.jsonl:1: field `function_name` \"1f\" is not a Python identifier",
            ),
            (GOOD.replace("(x)", "x"), "t.jsonl:1: field `signature`"),
            (String::new(), "t.jsonl: no tasks in file"),
        ];
        for (text, expected) in cases {
            let err = parse_jsonl(&text, "t.jsonl").unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }

    /// The lines `read_lines` passes on, or its error, under small caps.
    fn lines(input: &[u8], file_bytes: u64, line_bytes: usize) -> Result<Vec<String>, String> {
        let limits = Limits {
            file_bytes,
            line_bytes,
        };
        let mut seen = Vec::new();
        read_lines(input, "t", Encoding::Plain, limits, |n, line| {
            seen.push(format!("{n}:{line}"));
            Ok(())
        })
        .map(|()| seen)
        .map_err(|e| format!("{e:#}"))
    }

    #[test]
    fn a_line_may_hold_the_cap_and_not_a_byte_more() {
        assert_eq!(
            lines(b"12345678\n1234\r\n12345678", 100, 8).unwrap(),
            ["1:12345678", "2:1234", "3:12345678"]
        );
        assert_eq!(
            lines(b"ok\n123456789\nok\n", 100, 8).unwrap_err(),
            "t:2: line longer than 8 bytes, the most one task may hold: refused"
        );
        assert_eq!(
            lines(b"ok\n123456789", 100, 8).unwrap_err(),
            "t:2: line longer than 8 bytes, the most one task may hold: refused"
        );
    }

    #[test]
    fn a_file_may_hold_the_cap_and_not_a_byte_more() {
        // Blank lines count: a file of line breaks is a bomb too.
        assert_eq!(lines(b"ab\n\n\ncd\n", 8, 8).unwrap().len(), 4);
        assert_eq!(
            lines(b"ab\n\n\ncd\n\n", 8, 8).unwrap_err(),
            "t: larger than 8 bytes, the most a task file may hold: refused"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_name_the_line() {
        assert_eq!(
            lines(b"ok\n{\"a\xff\"}\n", 100, 8).unwrap_err(),
            "t:2: not UTF-8 (byte 0xff at byte 4 of the line)"
        );
        let text = format!("{GOOD}\n{}\n", GOOD.replace("\"p\"", "\"caf\u{e9}\""));
        let mut bytes = text.into_bytes();
        let at = bytes.iter().position(|&b| b == 0xc3).unwrap();
        bytes[at] = 0xe9; // Latin-1 é
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, &bytes).unwrap();
        let err = format!("{:#}", load_file(&path).unwrap_err());
        assert!(
            err.starts_with(&format!("{}:2: not UTF-8 (byte 0xe9", path.display())),
            "{err}"
        );
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn loads_gzip_task_files_with_the_same_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl.gz");
        std::fs::write(&path, gzip(format!("{GOOD}\n").as_bytes())).unwrap();
        assert_eq!(load_file(&path).unwrap()[0].task_id, "f-1");

        let mut bad = format!("{GOOD}\n\n").into_bytes();
        bad.extend_from_slice(b"\"\xff\"\n");
        std::fs::write(&path, gzip(&bad)).unwrap();
        let err = format!("{:#}", load_file(&path).unwrap_err());
        assert_eq!(
            err,
            format!(
                "{}:3: not UTF-8 (byte 0xff at byte 2 of the line)",
                path.display()
            )
        );

        let mut corrupt = gzip(format!("{GOOD}\n").as_bytes());
        let middle = corrupt.len() / 2;
        corrupt.truncate(middle);
        std::fs::write(&path, corrupt).unwrap();
        let err = format!("{:#}", load_file(&path).unwrap_err());
        assert!(
            err.starts_with(&format!("{}: not a valid gzip file", path.display())),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_plain_file_above_the_cap_before_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.jsonl");
        // Sparse: no disk space or time is spent on it.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = format!("{:#}", load_file(&path).unwrap_err());
        assert_eq!(
            err,
            format!(
                "{}: larger than 256 MiB, the most a task file may hold: refused",
                path.display()
            )
        );
    }

    #[test]
    fn accepts_the_originals_integer_difficulty_and_category() {
        let line = GOOD.replace(r#""f-1","#, r#""f-1","category":"math","difficulty":2,"#);
        let tasks = parse_jsonl(&line, "t.jsonl").unwrap();
        assert_eq!(tasks[0].difficulty, Some(super::super::Difficulty::Medium));
    }
}
