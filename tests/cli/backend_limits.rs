//! Issue 16 against the real binary: a model server that floods, never answers, echoes the API
//! key or is misnamed must not grow the store, hold a run for many minutes or leak the key.
//! Items: 3 (replies are bounded), 4 (deadlines a user can see), 7 (secrets stay secret) and the
//! base-URL part of 8 (an unparsable URL is a usage error).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::add_tasks;
use crate::support::fake_openai::{FakeOpenAi, Reply, SeenRequest};
use assert_cmd::Command;
use rusqlite::Connection;

const KEY: &str = "sk-limits-7d41c0ffee-very-secret";

/// `rslm` with every `RSLM_*` variable of the calling environment removed, except the Python
/// interpreter the test suite provides.
fn rslm() -> Command {
    let mut cmd = Command::cargo_bin("rslm").expect("rslm binary builds");
    for (key, _) in std::env::vars() {
        if key.starts_with("RSLM_") && key != "RSLM_PYTHON" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// `run-iteration --backend openai` on `n` add tasks (2 held out), fast verification.
fn run_iteration(dir: &Path, base_url: &str, tasks: usize) -> Command {
    let tasks = add_tasks::write_add_tasks(dir, tasks);
    let mut cmd = rslm();
    cmd.args(["run-iteration", "--fast", "--backend", "openai"])
        .args(["--model", "fake-model", "--heldout-size", "2", "--json"])
        .arg("--tasks")
        .arg(tasks)
        .args(["--base-url", base_url])
        .arg("--db")
        .arg(db(dir));
    cmd
}

fn db(dir: &Path) -> PathBuf {
    dir.join("m.sqlite")
}

/// The function name the prompt asks for (`Function name: add_3`).
fn function_name(req: &SeenRequest) -> String {
    req.user_message()
        .lines()
        .find_map(|l| l.strip_prefix("Function name: "))
        .unwrap_or("f")
        .trim()
        .to_string()
}

/// A right answer to an add task, in a fence.
fn add_answer(req: &SeenRequest) -> String {
    let name = function_name(req);
    let k: String = name.chars().filter(char::is_ascii_digit).collect();
    format!("```python\ndef {name}(n):\n    return n + {k}\n```")
}

fn query(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn integrity(db: &Path) -> String {
    Connection::open(db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// The bytes of the store on disk: the database and any WAL or shared-memory file beside it.
fn store_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("m.sqlite") {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

// ---- 3. Replies are bounded ----

#[test]
fn a_flood_of_text_per_choice_is_cut_and_the_store_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    // Every choice: the right function, then 6 MB of rambling.
    let flood = "blah ".repeat(1_200_000);
    let server = FakeOpenAi::builder()
        .responder(move |req| Reply::text(format!("{}\n{flood}", add_answer(req))))
        .start();
    let out = run_iteration(dir.path(), &server.base_url(), 5)
        .args(["--k", "2", "--max-tokens", "256"])
        .assert()
        .success()
        .get_output()
        .clone();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The code before the cut still counts: every candidate passed.
    assert_eq!(summary["passed_candidates"], 6, "{summary}");
    let db = db(dir.path());
    assert_eq!(integrity(&db), "ok");
    let size = store_bytes(dir.path()).len();
    assert!(size < 2_000_000, "the store grew to {size} bytes");
    // What is kept of a choice is capped, and says that it was cut.
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM episodes WHERE raw_response LIKE '%[rslm: reply cut after%'"
        ),
        query(&db, "SELECT count(*) FROM episodes")
    );
    assert!(
        query(&db, "SELECT max(length(raw_response)) FROM episodes") < 40_000,
        "a raw response is not capped"
    );
}

/// A server that answers every chat request with a body that never ends (up to `cap` bytes),
/// counting what it managed to write.
struct EndlessServer {
    addr: std::net::SocketAddr,
    written: Arc<AtomicUsize>,
}

impl EndlessServer {
    fn start(cap: usize) -> EndlessServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let written = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&written);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || {
                    let _ = EndlessServer::serve(stream, cap, &counter);
                });
            }
        });
        EndlessServer { addr, written }
    }

    fn serve(stream: TcpStream, cap: usize, written: &AtomicUsize) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(v) = header.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        reader.read_exact(&mut vec![0; length])?;
        let mut out = stream;
        if line.starts_with("GET /v1/models") {
            let body = r#"{"object":"list","data":[{"id":"fake-model"}]}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            out.write_all(head.as_bytes())?;
            return out.write_all(body.as_bytes());
        }
        // No Content-Length: the body ends when the connection does.
        out.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
        )?;
        let start = "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"```python\\ndef add_1(n):\\n    return n + 1\\n```\\n";
        out.write_all(start.as_bytes())?;
        written.fetch_add(start.len(), Ordering::SeqCst);
        let chunk = "x".repeat(64 * 1024);
        let mut sent = 0;
        while sent < cap {
            out.write_all(chunk.as_bytes())?;
            sent += chunk.len();
            written.fetch_add(chunk.len(), Ordering::SeqCst);
        }
        out.write_all(b"\"}}]}")
    }

    fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

#[test]
fn an_endless_answer_is_read_only_up_to_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = EndlessServer::start(96 * 1024 * 1024);
    run_iteration(dir.path(), &server.base_url(), 3)
        .args(["--k", "1", "--task-limit", "1", "--concurrency", "1"])
        .assert()
        .success();
    // rslm stopped reading after about 100 KB; the rest never left the server (the kernel's
    // socket buffers hold a few MB at most).
    let written = server.written.load(Ordering::SeqCst);
    assert!(
        written < 32 * 1024 * 1024,
        "the server wrote {written} bytes"
    );
    let db = db(dir.path());
    assert_eq!(integrity(&db), "ok");
    let kept = "(SELECT raw_response FROM episodes UNION ALL SELECT raw_response FROM failures)";
    assert_eq!(query(&db, &format!("SELECT count(*) FROM {kept}")), 1);
    assert!(
        query(
            &db,
            &format!("SELECT max(length(raw_response)) FROM {kept}")
        ) < 40_000
    );
    assert_eq!(
        query(
            &db,
            &format!("SELECT count(*) FROM {kept} WHERE raw_response LIKE '%[rslm: reply cut%'")
        ),
        1
    );
}

// ---- 4. Deadlines a user can see ----

#[test]
fn max_retries_is_honoured_and_the_limits_are_said_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOpenAi::builder().default_reply(Reply::Hang).start();
    let out = run_iteration(dir.path(), &server.base_url(), 3)
        .args(["--k", "1", "--task-limit", "1", "--concurrency", "1"])
        .args(["--request-timeout", "0.3", "--max-retries", "2"])
        .args(["--request-deadline", "60"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "model server: requests time out after 0.3 s each, give up after 60 s and 2 retries"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("3 attempts"), "{stderr}");
    assert_eq!(server.chat_requests(), 3, "1 attempt + 2 retries");

    // The same from the environment; 0 retries is one attempt.
    let server = FakeOpenAi::builder().default_reply(Reply::Hang).start();
    run_iteration(dir.path(), &server.base_url(), 3)
        .args(["--k", "1", "--task-limit", "1", "--concurrency", "1"])
        .env("RSLM_REQUEST_TIMEOUT", "0.3")
        .env("RSLM_MAX_RETRIES", "0")
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "give up after 300 s and 0 retries",
        ));
    assert_eq!(server.chat_requests(), 1);

    rslm()
        .args(["run-iteration", "--max-retries", "21"])
        .assert()
        .code(2);
}

#[test]
fn a_server_that_never_answers_is_given_up_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOpenAi::builder().default_reply(Reply::Hang).start();
    let out = run_iteration(dir.path(), &server.base_url(), 3)
        .args(["--k", "1", "--task-limit", "1", "--concurrency", "1"])
        .args(["--request-timeout", "0.5", "--max-retries", "10"])
        .args(["--request-deadline", "1.2"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("request deadline of 1.2 s (--request-deadline)"),
        "{stderr}"
    );
    // Two attempts of 0.5 s and a backoff fit in 1.2 s; ten retries would be eleven attempts.
    let attempts = server.chat_requests();
    assert!((1..=2).contains(&attempts), "{attempts} attempts");
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for a moment.
fn http_date(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        months[(month - 1) as usize],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    assert_eq!(
        http_date(UNIX_EPOCH + Duration::from_secs(784_111_777)),
        "Sun, 06 Nov 1994 08:49:37 GMT"
    );
    let dir = tempfile::tempdir().unwrap();
    // The first chat request is told to come back in 2 s (1 to 2 s at the date's resolution).
    let seen: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let times = Arc::clone(&seen);
    let server = FakeOpenAi::builder()
        .responder(move |req| {
            let mut times = times.lock().unwrap();
            times.push(Instant::now());
            if times.len() == 1 {
                Reply::Status {
                    status: 429,
                    body: r#"{"error": {"message": "slow down"}}"#.into(),
                    retry_after: Some(http_date(SystemTime::now() + Duration::from_secs(2))),
                }
            } else {
                Reply::text(add_answer(req))
            }
        })
        .start();
    run_iteration(dir.path(), &server.base_url(), 3)
        .args(["--k", "1", "--task-limit", "1", "--concurrency", "1"])
        .assert()
        .success();
    let times = seen.lock().unwrap();
    assert_eq!(times.len(), 2);
    let waited = times[1] - times[0];
    assert!(waited >= Duration::from_millis(900), "waited {waited:?}");

    // A date past the deadline: give up at once, saying why, rather than retry early.
    let server = FakeOpenAi::start();
    server.push(Reply::Status {
        status: 503,
        body: r#"{"error": {"message": "down for maintenance"}}"#.into(),
        retry_after: Some("Fri, 01 Jan 2100 00:00:00 GMT".into()),
    });
    run_iteration(dir.path(), &server.base_url(), 3)
        .args(["--k", "1", "--task-limit", "1", "--concurrency", "1"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "past the request deadline of 300 s",
        ));
    assert_eq!(server.chat_requests(), 1);
}

// ---- 7. Secrets stay secret ----

#[test]
fn a_key_echoed_in_successful_replies_is_stored_and_printed_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    // Odd tasks: prose quoting the Authorization header (a failure); even tasks: right code
    // with the key in a comment (an episode).
    let server = FakeOpenAi::builder()
        .responder(|req| {
            let auth = req.header("authorization").unwrap_or("").to_string();
            let name = function_name(req);
            let k: u32 = name
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0);
            if k % 2 == 1 {
                Reply::text(format!("I was called with {auth}, so no code today."))
            } else {
                Reply::text(format!(
                    "```python\ndef {name}(n):\n    # {auth}\n    return n + {k}\n```"
                ))
            }
        })
        .start();
    let out = run_iteration(dir.path(), &server.base_url(), 8)
        .args(["--k", "1"])
        .env("RSLM_API_KEY", KEY)
        .env("RSLM_LOG", "debug")
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        server
            .chat_log()
            .iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {KEY}")))
    );
    let db = db(dir.path());
    assert_eq!(integrity(&db), "ok");
    assert!(
        query(
            &db,
            "SELECT count(*) FROM failures WHERE raw_response LIKE '%Bearer [redacted]%'"
        ) > 0
    );
    assert!(
        query(
            &db,
            "SELECT count(*) FROM episodes WHERE candidate_code LIKE '%Bearer [redacted]%'"
        ) > 0
    );
    for text in [
        store_bytes(dir.path()),
        out.stdout.clone(),
        out.stderr.clone(),
    ] {
        assert!(!contains(&text, KEY), "the API key was kept or shown");
        assert!(
            !contains(&text, "7d41c0ffee"),
            "part of the API key was kept"
        );
    }
}

#[test]
fn an_api_key_a_header_cannot_carry_is_a_usage_error_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOpenAi::start();
    for key in [
        format!("{KEY}\n"),
        format!("sk-with space-{KEY}"),
        format!("{KEY}\u{e9}"),
    ] {
        let out = run_iteration(dir.path(), &server.base_url(), 3)
            .args(["--k", "1"])
            .env("RSLM_API_KEY", &key)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: RSLM_API_KEY"), "{stderr}");
        assert!(!stderr.contains("very-secret"), "{stderr}");
    }
    assert!(server.requests().is_empty(), "no request before the check");
    assert!(!db(dir.path()).exists());
}

// ---- 8. The base URL ----

#[test]
fn an_unparsable_base_url_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "not a url",
        "localhost:8080",
        "ftp://127.0.0.1/v1",
        "http://",
    ] {
        rslm()
            .args(["run-iteration", "--fast", "--backend", "openai"])
            .args(["--model", "m", "--base-url", url])
            .arg("--db")
            .arg(db(dir.path()))
            .assert()
            .code(2)
            .stderr(predicates::str::starts_with(
                "error: --base-url (RSLM_BASE_URL)",
            ));
        rslm()
            .args(["eval", "--fast", "--backend", "openai", "--model", "m"])
            .arg("--db")
            .arg(db(dir.path()))
            .env("RSLM_BASE_URL", url)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("RSLM_BASE_URL"));
    }
    assert!(!db(dir.path()).exists());
}
