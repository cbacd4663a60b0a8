//! Issue 12, "Verdicts that no candidate can reach": the generic cheats of
//! `tests/support/hostile_cheats.rs` against the real `Verifier`, in both modes.
//!
//! Every cheat knows only the name of the function it must define; if its attack worked it would
//! pass every task, or leave a trace outside its sandbox. For each one the suite asserts that the
//! verdict is not `pass` (and is one of the cheat's acceptable kinds), that nothing the test owns
//! was reached (sockets, a victim process, files, the tasks file, no `HOSTILE-REACHED` in the
//! log), that no process is left running, and that the next honest candidate still passes. A
//! table fails listing every problem at once.
//!
//! `hostile_cheats_beat_an_unprotected_harness` is the positive control: each cheat, run in a
//! harness with no isolation at all, must win there, so a non-pass from the verifier means the
//! attack was stopped and not that the cheat is broken.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::os::linux::net::SocketAddrExt as _;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rslm::tasks::Task;
use rslm::verify::{Mode, VerdictKind, Verifier};

use super::common::*;
use crate::support::hostile_cheats::{self as cheats, Cheat, Control, Ctx};

use VerdictKind::{Error, Fail, Pass};

/// Everything the cheats may try to reach, owned by the test, and the checks that nothing was.
pub struct World {
    pub ctx: Ctx,
    _dir: tempfile::TempDir,
    tasks_text: String,
    unix: UnixListener,
    abstract_unix: UnixListener,
    udp: std::net::UdpSocket,
    tcp: std::net::TcpListener,
    tcp6: Option<std::net::TcpListener>,
    victim: Child,
    victim_lost: bool,
    /// Searched recursively for the written mark.
    trees: Vec<PathBuf>,
    /// Searched without descending.
    flat: BTreeSet<PathBuf>,
}

impl World {
    /// A world for `task` (its tasks file is written into the world's own temp dir). `work_dir`
    /// is the verifier's directory (searched for files the cheats wrote); `pythons` are the
    /// interpreters whose `sys.path` directories are searched too.
    pub fn new(task: &Task, work_dir: Option<&Path>, pythons: &[PathBuf]) -> World {
        let dir = tempfile::Builder::new()
            .prefix("rslm-hostile-")
            .tempdir()
            .unwrap();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let mark = format!("hostile-mark-{}-{nanos}", std::process::id());
        let tasks = dir.path().join("tasks.jsonl");
        let tasks_text = serde_json::to_string(task).unwrap() + "\n";
        std::fs::write(&tasks, &tasks_text).unwrap();
        let socket_path = dir.path().join("judge.sock");
        let unix = UnixListener::bind(&socket_path).unwrap();
        unix.set_nonblocking(true).unwrap();
        let abstract_name = format!("rslm-hostile-{}-{nanos}", std::process::id());
        let abstract_unix =
            UnixListener::bind_addr(&SocketAddr::from_abstract_name(&abstract_name).unwrap())
                .unwrap();
        abstract_unix.set_nonblocking(true).unwrap();
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.set_nonblocking(true).unwrap();
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        tcp.set_nonblocking(true).unwrap();
        let tcp6 = std::net::TcpListener::bind("[::1]:0").ok();
        if let Some(l) = &tcp6 {
            l.set_nonblocking(true).unwrap();
        }
        // Its own process group, outside every candidate's: a cheat must not stop or kill it.
        let victim = Command::new("sleep")
            .args(["3600", &format!("0.{}", nanos % 1_000_000_007)])
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .expect("sleep starts");
        let ctx = Ctx {
            function: task.function_name.clone(),
            mark,
            dir: dir.path().to_path_buf(),
            tasks,
            exe: std::env::current_exe().unwrap(),
            unix_socket: socket_path,
            abstract_socket: abstract_name,
            victim: victim.id(),
            udp_port: udp.local_addr().unwrap().port(),
            tcp_port: tcp.local_addr().unwrap().port(),
            tcp6_port: tcp6.as_ref().map_or(0, |l| l.local_addr().unwrap().port()),
            stop: std::process::id(),
        };
        let mut trees = vec![dir.path().to_path_buf()];
        let mut flat = BTreeSet::new();
        for base in [Some(dir.path()), work_dir].into_iter().flatten() {
            flat.extend(base.ancestors().skip(1).map(Path::to_path_buf));
        }
        if let Some(work) = work_dir {
            trees.push(work.to_path_buf());
        }
        flat.insert(std::env::temp_dir());
        if let Some(home) = std::env::var_os("HOME") {
            flat.insert(PathBuf::from(home));
        }
        for python in pythons {
            flat.extend(sys_path(python));
        }
        World {
            ctx,
            _dir: dir,
            tasks_text,
            unix,
            abstract_unix,
            udp,
            tcp,
            tcp6,
            victim,
            victim_lost: false,
            trees,
            flat,
        }
    }

    /// Whatever a cheat reached, as problems; also undoes it (stops nothing of the test's
    /// for the next case: continues the victim, removes written files, kills marked processes).
    pub fn reached(&mut self, log: &str) -> Vec<String> {
        let mut found = Vec::new();
        if log.contains("HOSTILE-REACHED") {
            let line = log
                .lines()
                .find(|l| l.contains("HOSTILE-REACHED"))
                .unwrap_or_default();
            found.push(format!("the cheat reports success: {}", clip(line, 300)));
        }
        for (name, listener) in [("pathname", &self.unix), ("abstract", &self.abstract_unix)] {
            while let Ok((mut stream, _)) = listener.accept() {
                found.push(format!(
                    "a connection reached the {name} Unix socket: {:?}",
                    read_some(&mut stream)
                ));
            }
        }
        let mut buf = [0u8; 256];
        while let Ok((n, _)) = self.udp.recv_from(&mut buf) {
            found.push(format!(
                "a datagram reached the test's UDP port: {:?}",
                String::from_utf8_lossy(&buf[..n])
            ));
        }
        for listener in [Some(&self.tcp), self.tcp6.as_ref()].into_iter().flatten() {
            while let Ok((mut stream, _)) = listener.accept() {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let mut got = Vec::new();
                let _ = (&mut stream).take(256).read_to_end(&mut got);
                found.push(format!(
                    "a TCP connection reached the test's port: {:?}",
                    String::from_utf8_lossy(&got)
                ));
            }
        }
        found.extend(self.check_victim());
        found.extend(self.check_files());
        let alive = leftovers(&self.ctx.mark);
        if !alive.is_empty() {
            found.push(format!("processes carrying the mark survived: {alive:?}"));
            for (pid, _) in alive {
                kill(pid, rustix::process::Signal::KILL);
            }
        }
        // The same trace many times (once per test call) is one problem.
        let mut counted: Vec<(String, usize)> = Vec::new();
        for f in found {
            match counted.iter_mut().find(|(seen, _)| *seen == f) {
                Some((_, n)) => *n += 1,
                None => counted.push((f, 1)),
            }
        }
        counted
            .into_iter()
            .map(|(f, n)| if n > 1 { format!("{f} (x{n})") } else { f })
            .collect()
    }

    fn check_victim(&mut self) -> Vec<String> {
        if self.victim_lost {
            return Vec::new();
        }
        let mut found = Vec::new();
        // Signals and ptrace stops take effect asynchronously; give them a moment.
        std::thread::sleep(Duration::from_millis(20));
        match process_state(self.ctx.victim) {
            Some('S' | 'R' | 'D' | 'I') => {}
            Some(state @ ('T' | 't')) => {
                found.push(format!(
                    "the test's victim process was stopped (state {state})"
                ));
                kill(self.ctx.victim, rustix::process::Signal::CONT);
            }
            state => {
                // Not reaped while the table runs: its pid stays reserved, so later cheats
                // cannot hit a stranger that reused it.
                found.push(format!(
                    "the test's victim process was killed (state {state:?})"
                ));
                self.victim_lost = true;
            }
        }
        found
    }

    fn check_files(&mut self) -> Vec<String> {
        let mut found = Vec::new();
        let needle = self.ctx.written_mark();
        let mut hits = Vec::new();
        for tree in &self.trees {
            marked_files(tree, &needle, 6, &mut hits);
        }
        for dir in &self.flat {
            marked_files(dir, &needle, 0, &mut hits);
        }
        hits.sort();
        hits.dedup();
        for path in hits {
            found.push(format!("a cheat wrote to {}", path.display()));
            if path == self.ctx.tasks {
                continue;
            }
            // Files the cheats create carry the mark from their first line; a file that had
            // content before (a verifier's log, say) only got a line appended. Remove only what
            // the cheat created.
            let created = std::fs::read_to_string(&path)
                .map(|t| t.lines().take(2).any(|l| l.contains(&needle)))
                .unwrap_or(false);
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if created
                || name.starts_with("hostile-")
                || [
                    "conftest.py",
                    "pytest.ini",
                    "setup.cfg",
                    "tox.ini",
                    "pyproject.toml",
                    "sitecustomize.py",
                    "usercustomize.py",
                ]
                .contains(&name.as_ref())
            {
                let _ = std::fs::remove_file(&path);
            }
        }
        if std::fs::read_to_string(&self.ctx.tasks).ok().as_deref() != Some(&self.tasks_text) {
            found.push("the tasks file was changed".into());
            std::fs::write(&self.ctx.tasks, &self.tasks_text).unwrap();
        }
        found
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = self.victim.kill();
        let _ = self.victim.wait();
        for (pid, _) in processes_matching(&self.ctx.mark) {
            kill(pid, rustix::process::Signal::KILL);
        }
    }
}

fn kill(pid: u32, signal: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

fn read_some(stream: &mut std::os::unix::net::UnixStream) -> String {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut got = Vec::new();
    let _ = stream.take(256).read_to_end(&mut got);
    String::from_utf8_lossy(&got).into_owned()
}

/// Regular files under `dir` (down to `depth` levels) that contain `needle`.
fn marked_files(dir: &Path, needle: &str, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() && depth > 0 {
            marked_files(&path, needle, depth - 1, out);
        } else if kind.is_file() {
            let small = entry.metadata().is_ok_and(|m| m.len() <= 4 << 20);
            if small
                && std::fs::read(&path)
                    .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(needle))
            {
                out.push(path);
            }
        }
    }
}

/// The directories on an interpreter's `sys.path` (where `sitecustomize.py` would be found).
fn sys_path(python: &Path) -> Vec<PathBuf> {
    let Ok(out) = Command::new(python)
        .args([
            "-c",
            "import os, sys; print('\\n'.join(p for p in sys.path + [os.path.dirname(os.__file__)] if p))",
        ])
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect()
}

pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The interpreters a world searches the `sys.path` of.
pub fn pythons() -> Vec<PathBuf> {
    let mut all = vec![PathBuf::from("python3")];
    if let Some(p) = std::env::var_os("RSLM_PYTHON").filter(|p| !p.is_empty()) {
        all.push(PathBuf::from(p));
    }
    all
}

/// Runs every cheat through the verifier; returns the problems, one string per case.
fn run_cheats(
    verifier: &Verifier,
    task: &Task,
    world: &mut World,
    table: Vec<Cheat>,
    honest: Option<&str>,
) -> Vec<String> {
    let root = verifier.work_dir().to_string_lossy().to_string();
    let deadline = rslm::verify::wall_limit(verifier.timeout());
    let mode = verifier.mode();
    let mut problems = Vec::new();
    // Anything the set-up itself left (nothing, normally) is not a cheat's doing.
    let before = world.reached("");
    assert!(before.is_empty(), "before any cheat: {before:?}");
    // The idle pool (workers and whatever helpers each keeps): no cheat may leave more.
    let idle = verifier.verify(task, "def unused():\n    pass\n");
    assert_ne!(idle.verdict, Pass);
    let baseline = processes_matching(&root).len();
    for cheat in only(table) {
        if cheat.needs_signal_confinement {
            let probe = verifier.verify(task, &cheats::signal_probe(&world.ctx));
            world.reached(&probe.log);
            if probe.verdict == Pass {
                problems.push(format!(
                    "{}: NOT RUN: a candidate can signal the test's own process {} (kill(pid, 0) succeeded), so this cheat would kill the machine's processes",
                    cheat.name, world.ctx.victim
                ));
                continue;
            }
        }
        let started = Instant::now();
        let verdict = verifier.verify(task, &cheat.code);
        let took = started.elapsed();
        eprintln!(
            "{mode:?} {:72} -> {:8} in {:6.0} ms",
            cheat.name,
            verdict.verdict.as_str(),
            took.as_secs_f64() * 1000.0
        );
        let mut mine = Vec::new();
        if verdict.verdict == Pass {
            mine.push(format!(
                "PASSED ({}/{} tests)",
                verdict.tests_passed, verdict.tests_run
            ));
        } else if !cheat.want.contains(&verdict.verdict) {
            mine.push(format!("got {} (want {:?})", verdict.verdict, cheat.want));
        }
        if took > deadline + Duration::from_secs(3) {
            mine.push(format!("took {took:?}"));
        }
        mine.extend(world.reached(&verdict.log));
        let workers = processes_matching(&root);
        if workers.len() > baseline || workers.iter().any(|(_, s)| *s == 'Z') {
            mine.push(format!("after it, processes {workers:?}"));
        }
        if let Some(honest) = honest {
            let next = verifier.verify(task, honest);
            if next.verdict != Pass {
                mine.push(format!(
                    "the next honest candidate got {}: {}",
                    next.verdict,
                    clip(&next.log, 300)
                ));
            }
            mine.extend(world.reached(&next.log));
        }
        if !mine.is_empty() {
            problems.push(format!(
                "{}: {}\n    verdict {} ({}/{}), first failure {:?}, log: {}",
                cheat.name,
                mine.join("; "),
                verdict.verdict,
                verdict.tests_passed,
                verdict.tests_run,
                verdict.first_failure,
                clip(&verdict.log.replace('\n', "\n      "), 700)
            ));
        }
    }
    problems
}

/// Runs the cheats (those named in `only`, or all) with the layers in `disable` left out.
pub(super) fn run_hostile_table(mode: Mode, test: &str, disable: &str, only: Option<&[&str]>) {
    let _serial = serial();
    let Some(verifier) = verifier_without(mode, test, disable) else {
        return;
    };
    eprintln!("{}", verifier.isolation());
    let started = Instant::now();
    let root = verifier.work_dir().to_string_lossy().to_string();
    let task = add_one_task();
    let mut world = World::new(&task, Some(verifier.work_dir()), &pythons());
    let mut table = cheats::table(&world.ctx);
    if let Some(names) = only {
        let known: Vec<&str> = table.iter().map(|c| c.name).collect();
        let unknown: Vec<&&str> = names.iter().filter(|n| !known.contains(n)).collect();
        assert!(unknown.is_empty(), "unknown cheats {unknown:?}");
        table.retain(|c| names.contains(&c.name));
    }
    let cases = table.len();
    let mut problems = run_cheats(&verifier, &task, &mut world, table, Some(ADD_ONE));
    drop(verifier);
    let alive = leftovers(&root);
    if !alive.is_empty() {
        problems.push(format!("processes survived the verifier: {alive:?}"));
    }
    eprintln!(
        "{mode:?}: {cases} cheats in {:.1} s, {} with problems",
        started.elapsed().as_secs_f64(),
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "{} of {cases} cheats got through in {mode:?} mode:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn hostile_generic_cheats_fast_mode() {
    run_hostile_table(Mode::Fast, "hostile_generic_cheats_fast_mode", "", None);
}

#[test]
fn hostile_generic_cheats_pytest_mode() {
    run_hostile_table(Mode::Pytest, "hostile_generic_cheats_pytest_mode", "", None);
}

/// Bundled tasks of other shapes (lists, dicts, strings, two arguments): the strongest cheats,
/// built for each task's own function name, fail there too.
#[test]
fn hostile_cheats_for_other_function_names_fast_mode() {
    let _serial = serial();
    let Some(verifier) = verifier(Mode::Fast, "hostile_cheats_for_other_function_names") else {
        return;
    };
    let mut problems = Vec::new();
    for task in other_tasks() {
        let mut world = World::new(&task, Some(verifier.work_dir()), &[]);
        let table: Vec<Cheat> = cheats::STRONGEST
            .iter()
            .map(|name| cheats::by_name(&world.ctx, name))
            .collect();
        problems.extend(
            run_cheats(&verifier, &task, &mut world, table, None)
                .into_iter()
                .map(|p| format!("[{}] {p}", task.function_name)),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Three bundled tasks: a list, a dict and a two-argument function.
pub fn other_tasks() -> Vec<Task> {
    let tasks = rslm::tasks::loader::TaskSource::Bundled.load().unwrap();
    ["rotate_left", "parse_settings", "transform_cost"]
        .iter()
        .map(|name| {
            tasks
                .iter()
                .find(|t| t.function_name == *name)
                .unwrap_or_else(|| panic!("bundled task {name}"))
                .clone()
        })
        .collect()
}

/// A float-valued task, for the values whose equality is easy to fool.
fn half_task() -> Task {
    let cases = [
        ("1", "0.5"),
        ("3", "1.5"),
        ("0", "0.0"),
        ("-5", "-2.5"),
        ("7", "3.5"),
    ];
    let mut module = format!(
        "import importlib\n\n{}\n\ndef _candidate():\n    return getattr(importlib.import_module(\"solution\"), \"half_of\")\n",
        rslm::tasks::render::STRICT_EQUAL_PY
    );
    for (i, (arg, want)) in cases.iter().enumerate() {
        module.push_str(&format!(
            "\n\ndef test_{i}():\n    assert _same(_candidate()({arg}), {want})\n"
        ));
    }
    serde_json::from_value(serde_json::json!({
        "task_id": "half_of-hostile",
        "prompt": "Return n divided by 2 as a float.",
        "function_name": "half_of",
        "signature": "(n)",
        "reference_tests": module,
        "assert_tests": cases.iter().map(|(a, w)| format!("assert _same(half_of({a}), {w})")).collect::<Vec<_>>(),
    }))
    .unwrap()
}

fn fooled_equality(mode: Mode, test: &str) {
    let _serial = serial();
    let Some(verifier) = verifier(mode, test) else {
        return;
    };
    let task = half_task();
    let honest = "def half_of(n):\n    return n / 2\n";
    assert_eq!(verifier.verify(&task, honest).verdict, Pass);
    let cases: &[(&str, &str, &[VerdictKind])] = &[
        ("nan", "def half_of(n):\n    return float('nan')\n", &[Fail]),
        ("inf", "def half_of(n):\n    return float('inf')\n", &[Fail]),
        ("-0.0 always", "def half_of(n):\n    return -0.0\n", &[Fail]),
        (
            "nan only where the answer is not 0",
            "def half_of(n):\n    return n / 2 if n == 0 else float('nan')\n",
            &[Fail],
        ),
        (
            "the answer as a string",
            "def half_of(n):\n    return str(n / 2)\n",
            &[Fail],
        ),
        (
            "the answer rounded to an int",
            "def half_of(n):\n    return int(n / 2)\n",
            &[Fail],
        ),
        (
            "float subclass that equals everything",
            "class F(float):\n    def __eq__(self, o):\n        return True\n    def __sub__(self, o):\n        return 0.0\n    __rsub__ = __sub__\n    __hash__ = float.__hash__\ndef half_of(n):\n    return F('nan')\n",
            &[Fail, Error],
        ),
        (
            "a float off by much more than the tolerance",
            "def half_of(n):\n    return n / 2 + 1e-3\n",
            &[Fail],
        ),
    ];
    let mut problems = Vec::new();
    for (name, code, want) in cases {
        let verdict = verifier.verify(&task, code);
        if !want.contains(&verdict.verdict) {
            problems.push(format!(
                "{name}: got {} (want {want:?}): {}",
                verdict.verdict,
                clip(&verdict.log, 400)
            ));
        }
    }
    assert_eq!(verifier.verify(&task, honest).verdict, Pass);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn hostile_fooled_float_equality_fast_mode() {
    fooled_equality(Mode::Fast, "hostile_fooled_float_equality_fast_mode");
}

#[test]
fn hostile_fooled_float_equality_pytest_mode() {
    fooled_equality(Mode::Pytest, "hostile_fooled_float_equality_pytest_mode");
}

// --- the positive control -------------------------------------------------------------------

/// What the naive harness made of a cheat.
struct Naive {
    passed: bool,
    output: String,
    /// Processes carrying the mark that outlived the harness (then killed).
    survivors: Vec<(u32, char)>,
}

fn run_naive(world: &World, task: &Task, code: &str, python: &Path, mode: &str) -> Naive {
    let base = world.ctx.dir.join("naive");
    let cwd = base.join("cwd");
    let _ = std::fs::remove_dir_all(&cwd);
    std::fs::create_dir_all(&cwd).unwrap();
    let harness = base.join("naive_harness.py");
    std::fs::write(&harness, cheats::NAIVE_HARNESS_PY).unwrap();
    let task_file = base.join("task.json");
    std::fs::write(&task_file, serde_json::to_string(task).unwrap()).unwrap();
    let strict = base.join("strict_equal.py");
    std::fs::write(&strict, rslm::tasks::render::STRICT_EQUAL_PY).unwrap();
    let code_file = base.join("candidate.py");
    std::fs::write(&code_file, code).unwrap();
    let mut child = Command::new(python)
        .arg(&harness)
        .arg(&task_file)
        .arg(&strict)
        .arg(mode)
        .arg(&code_file)
        .current_dir(&cwd)
        .env("HOSTILE_CONTROL_ROOT", &world.ctx.dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    // Read both pipes on threads (a cheat may fill them), with a deadline on the process.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The whole group: the harness, its child and whatever a cheat left (pipes close then).
    if let Some(pgid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
    }
    let _ = child.wait();
    // A cheat's detached process (its own session) survives the group kill and may hold the
    // pipes: note it, then kill it so that the readers finish.
    let survivors = processes_matching(&world.ctx.mark);
    for (pid, _) in &survivors {
        kill(*pid, rustix::process::Signal::KILL);
    }
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    let mut verdict_lines = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .filter(|v| v.get("verdict").is_some())
        .peekable();
    let reported = verdict_lines.peek().is_some();
    let any_pass = verdict_lines.any(|v| v["verdict"] == "pass");
    let exit_zero = status.is_some_and(|s| s.success());
    Naive {
        passed: any_pass || (exit_zero && !reported),
        output: format!(
            "exit {status:?}\n--- stdout\n{}\n--- stderr\n{}",
            clip(&stdout, 1500),
            clip(&stderr, 2500)
        ),
        survivors,
    }
}

fn control_table(world: &mut World, task: &Task, table: Vec<Cheat>) -> Vec<String> {
    let python3 = PathBuf::from("python3");
    let pytest_python = std::env::var_os("RSLM_PYTHON")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let mut problems = Vec::new();
    // An honest candidate passes and a wrong one fails: the naive harness itself works.
    let honest = ADD_ONE.replace("add_const_1", &task.function_name);
    if task.function_name == "add_const_1" {
        assert!(run_naive(world, task, &honest, &python3, "fast").passed);
    }
    let wrong = format!("def {}(*a):\n    return None\n", task.function_name);
    let naive = run_naive(world, task, &wrong, &python3, "fast");
    assert!(!naive.passed, "{}", naive.output);
    world.reached("");
    for cheat in only(table) {
        let (python, mode) = match cheat.control {
            Control::None => continue,
            Control::PytestPass => match &pytest_python {
                Some(p) => (p.clone(), "pytest"),
                None => {
                    eprintln!(
                        "SKIPPED control of {:?}: needs RSLM_PYTHON with pytest",
                        cheat.name
                    );
                    continue;
                }
            },
            Control::Pass | Control::SideEffect => (python3.clone(), "fast"),
        };
        let started = Instant::now();
        let naive = run_naive(world, task, &cheat.code, &python, mode);
        let mut traces = world.reached(&naive.output);
        if !naive.survivors.is_empty() {
            traces.push(format!("survivors {:?}", naive.survivors));
        }
        let won = match cheat.control {
            Control::SideEffect => !traces.is_empty(),
            _ => naive.passed,
        };
        eprintln!(
            "control {:72} -> {} in {:5.0} ms{}",
            cheat.name,
            if won { "wins" } else { "LOSES" },
            started.elapsed().as_secs_f64() * 1000.0,
            if traces.is_empty() {
                String::new()
            } else {
                format!(" ({} traces)", traces.len())
            }
        );
        if std::env::var_os("HOSTILE_VERBOSE").is_some() {
            eprintln!("{}", naive.output);
        }
        if !won {
            problems.push(format!(
                "{}: the cheat does not beat an unprotected harness ({:?}); traces {traces:?}\n{}",
                cheat.name, cheat.control, naive.output
            ));
        }
    }
    problems
}

/// Each cheat, in a harness without any isolation, wins (passes, or leaves its trace). A cheat
/// that loses here is broken, and its non-pass verdict from the verifier would prove nothing.
///
/// The cheats run unconfined here, so they are written to stay inside what the test owns: the
/// ones that write outside their directory obey `HOSTILE_CONTROL_ROOT` (the world's temp dir),
/// the ones that walk their parent chain stop at this test's process, only the parent's pipes
/// and fds are ever written to, and signalling every process (`kill(-1)`) has no control.
#[test]
fn hostile_cheats_beat_an_unprotected_harness() {
    let _serial = serial();
    let task = add_one_task();
    let mut world = World::new(&task, None, &pythons());
    let table = cheats::table(&world.ctx);
    let problems = control_table(&mut world, &task, table);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The oracle reads tests of any shape: the harvesting cheats win the unprotected harness on
/// bundled tasks of other types too.
#[test]
fn hostile_oracle_cheats_beat_an_unprotected_harness_on_other_tasks() {
    let _serial = serial();
    let mut problems = Vec::new();
    for task in other_tasks() {
        let mut world = World::new(&task, None, &[]);
        let table = [
            "gc and frames: expected values",
            "tasks file, binaries and /proc of everyone",
            "ctypes scans its own memory",
            "/proc/<ancestor>/mem",
        ]
        .iter()
        .map(|name| cheats::by_name(&world.ctx, name))
        .collect();
        problems.extend(
            control_table(&mut world, &task, table)
                .into_iter()
                .map(|p| format!("[{}] {p}", task.function_name)),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Every cheat is valid Python (a syntax error would be a non-pass that proves nothing).
#[test]
fn hostile_cheats_compile() {
    let task = add_one_task();
    let world = World::new(&task, None, &[]);
    let mut sources: Vec<(String, String)> = cheats::table(&world.ctx)
        .into_iter()
        .map(|c| (c.name.to_string(), c.code))
        .collect();
    sources.push((
        "key thief".into(),
        cheats::key_thief("add_const_1", std::process::id()),
    ));
    sources.push(("signal probe".into(), cheats::signal_probe(&world.ctx)));
    let checker = "import json, sys\nbad = []\nfor name, code in json.load(sys.stdin):\n    try:\n        compile(code, name, 'exec')\n    except SyntaxError as e:\n        bad.append('%s: %s' % (name, e))\nprint('\\n'.join(bad))\n";
    let mut child = Command::new("python3")
        .args(["-c", checker])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &sources).unwrap();
    let out = child.wait_with_output().unwrap();
    let bad = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && bad.trim().is_empty(), "{bad}");
    for (name, code) in &sources {
        assert!(
            !code.contains("__FN__") && !code.contains("__MARK__") && !code.contains("__LIB__"),
            "{name}: a placeholder was not filled in"
        );
        assert!(
            !code.contains(&world.ctx.written_mark()),
            "{name}: the source contains the written mark"
        );
    }
}

/// `HOSTILE_ONLY=substring` runs only the cheats whose name contains it (for debugging one).
pub fn only(table: Vec<Cheat>) -> Vec<Cheat> {
    match std::env::var("HOSTILE_ONLY") {
        Ok(filter) if !filter.is_empty() => table
            .into_iter()
            .filter(|c| c.name.contains(&filter))
            .collect(),
        _ => table,
    }
}

/// `rslm verify`-style expectations used by `cli.rs` as well.
pub fn acceptable(cheat: &Cheat, verdict: &str) -> bool {
    cheat.want.iter().any(|k| k.as_str() == verdict)
}
