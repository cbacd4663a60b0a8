//! Candidates that try to fool, hang or escape the verifier. Each must get the right verdict,
//! quickly, and leave no process behind. Both modes run the same table.

use std::time::{Duration, Instant};

use rslm::verify::{Mode, VerdictKind, Verifier, VerifierConfig};

use super::common::*;

use VerdictKind::{Crash, Error, Fail, Pass, Timeout};

struct Case {
    name: &'static str,
    code: String,
    /// Acceptable verdicts (a memory bomb may die by MemoryError or by signal, for example).
    want: &'static [VerdictKind],
}

fn case(name: &'static str, code: &str, want: &'static [VerdictKind]) -> Case {
    Case {
        name,
        code: code.to_string(),
        want,
    }
}

/// The table, parametrized by what the test owns (a path outside the temp dir, a listening port).
fn cases(outside: &str, port: u16) -> Vec<Case> {
    vec![
        case(
            "infinite loop",
            "def add_const_1(n):\n    while True:\n        pass\n",
            &[Timeout],
        ),
        case("long sleep", "import time\ntime.sleep(3600)\n", &[Timeout]),
        case(
            "fork bomb",
            "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
            &[Timeout, Error, Crash],
        ),
        case(
            "memory bomb, one huge allocation",
            "hoard = bytearray(16 << 30)\n",
            &[Error],
        ),
        case(
            // Zero-filling 1 GiB takes long on a loaded machine: the limit or the deadline stops it.
            "memory bomb, gradual",
            "blocks = []\nwhile True:\n    blocks.append(bytearray(64 << 20))\n",
            &[Error, Crash, Timeout],
        ),
        case(
            "gigabytes of output",
            "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(4096):\n    sys.stdout.write(chunk)\ndef add_const_1(n):\n    return n + 1\n",
            &[Error, Crash],
        ),
        case(
            "os._exit(0) at import",
            "import os\nos._exit(0)\n",
            &[Crash],
        ),
        case(
            "os._exit(0) in the function",
            "import os\ndef add_const_1(n):\n    os._exit(0)\n",
            &[Crash],
        ),
        case(
            "sys.exit(0) at import",
            "import sys\nsys.exit(0)\n",
            &[Error],
        ),
        case(
            "sys.exit(0) in the function",
            "import sys\ndef add_const_1(n):\n    sys.exit(0)\n",
            &[Error, Fail],
        ),
        case("raise SystemExit", "raise SystemExit\n", &[Error]),
        case(
            "unencodable error message",
            "def add_const_1(n):\n    raise ValueError('\\ud800 \\udfff')\n",
            &[Error],
        ),
        case(
            "always-equal object",
            "class Anything:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\ndef add_const_1(n):\n    return Anything()\n",
            &[Fail],
        ),
        case(
            "int subclass that equals everything",
            "class Liar(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\ndef add_const_1(n):\n    return Liar(0)\n",
            &[Fail],
        ),
        case(
            "monkeypatching builtins",
            "import builtins\nbuiltins.type = lambda *a: int\nbuiltins.len = lambda x: 0\nbuiltins.all = lambda x: True\nbuiltins.isinstance = lambda *a: True\ndef add_const_1(n):\n    return None\n",
            // Only the candidate's own process is patched: whatever it then sends is not a pass.
            &[Fail, Error, Crash],
        ),
        case(
            "reading the test file",
            "import glob, os\ndef add_const_1(n):\n    mine = [p for p in glob.glob('*') + glob.glob('../*/*') if 'test' in os.path.basename(p)]\n    return n + 1 if mine else None\n",
            &[Fail],
        ),
        case(
            "network connect",
            &format!(
                "import socket\ndef add_const_1(n):\n    socket.create_connection(('127.0.0.1', {port}), timeout=0.5).close()\n    return n + 1\n"
            ),
            &[Error],
        ),
        case(
            "write outside the temp dir",
            &format!(
                "open({outside:?}, 'w').write('pwned')\ndef add_const_1(n):\n    return n + 1\n"
            ),
            &[Error],
        ),
        case(
            // The sleeper holds the candidate's socket; the zygote (a subreaper) must kill it. Its
            // command line is the worker's, so the count of processes after each case sees it.
            "detached grandchild holding the socket",
            "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n    os._exit(0)\ndef add_const_1(n):\n    return n + 1\n",
            &[Pass],
        ),
        case(
            "kill of the parent process",
            "import os, signal\ndef add_const_1(n):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return n + 1\n",
            // Landlock's signal scoping refuses the kill (an error); without it the worker dies
            // and the candidate gets `crash` (see kill_of_the_parent_without_landlock).
            &[Error, Crash],
        ),
        case(
            "stopping the parent process",
            "import os, signal\ndef add_const_1(n):\n    os.kill(os.getppid(), signal.SIGSTOP)\n    return n + 1\n",
            &[Error, Crash, Timeout],
        ),
    ]
}

/// Runs the table (or the cases named in `only`) with the layers in `disable` left out.
pub(super) fn run_table(mode: Mode, test: &str, disable: &str, only: Option<&[&str]>) {
    let _serial = serial();
    let Some(verifier) = verifier_without(mode, test, disable) else {
        return;
    };
    let root = verifier.work_dir().to_string_lossy().to_string();
    let outside_dir = tempfile::tempdir().unwrap();
    let outside = outside_dir.path().join("pwned.txt");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = add_one_task();
    // Sleepers and fork bombs (whose processes each stay under the CPU budget) meet the wall clock.
    let deadline = rslm::verify::wall_limit(verifier.timeout());
    let mut problems = Vec::new();
    eprintln!("{}", verifier.isolation());
    let table = cases(&outside.to_string_lossy(), port);
    if let Some(names) = only {
        let known: Vec<&str> = table.iter().map(|c| c.name).collect();
        assert!(
            names.iter().all(|n| known.contains(n)),
            "unknown case in {names:?}"
        );
    }
    for case in table {
        if only.is_some_and(|names| !names.contains(&case.name)) {
            continue;
        }
        let started = Instant::now();
        let verdict = verifier.verify(&task, &case.code);
        let took = started.elapsed();
        eprintln!(
            "{mode:?} {:40} -> {:8} in {:6.0} ms",
            case.name,
            verdict.verdict.as_str(),
            took.as_secs_f64() * 1000.0
        );
        if !case.want.contains(&verdict.verdict) {
            problems.push(format!(
                "{}: got {} (want {:?})\n{}",
                case.name, verdict.verdict, case.want, verdict.log
            ));
        }
        if took > deadline + Duration::from_secs(3) {
            problems.push(format!("{}: took {took:?}", case.name));
        }
        if verdict.log.len() > 9000 {
            problems.push(format!("{}: log of {} bytes", case.name, verdict.log.len()));
        }
        // After every candidate only the idle workers and their zygotes remain: no grandchild.
        let workers = processes_matching(&root);
        if workers.len() > 2 * PROCESSES_PER_WORKER
            || workers.iter().any(|(_, state)| *state == 'Z')
        {
            problems.push(format!("{}: after it, processes {workers:?}", case.name));
        }
        // The pool still works.
        let honest = verifier.verify(&task, ADD_ONE);
        if honest.verdict != Pass {
            problems.push(format!(
                "{}: the next honest candidate got {honest:?}",
                case.name
            ));
        }
    }
    if outside.exists() {
        problems.push("a candidate wrote outside its temp dir".into());
    }
    drop(verifier);
    let alive = leftovers(&root);
    if !alive.is_empty() {
        problems.push(format!("processes survived the verifier: {alive:?}"));
    }
    drop(listener);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn adversarial_candidates_fast_mode() {
    run_table(Mode::Fast, "adversarial_candidates_fast_mode", "", None);
}

#[test]
fn adversarial_candidates_pytest_mode() {
    run_table(Mode::Pytest, "adversarial_candidates_pytest_mode", "", None);
}

#[test]
fn kill_of_the_parent_without_landlock_is_a_crash_and_the_worker_is_replaced() {
    let _serial = serial();
    let config = config(Mode::Fast, None, Duration::from_secs(2));
    let verifier = Verifier::start_with_disabled(config, "landlock,seccomp").unwrap();
    assert!(!verifier.isolation().scopes_signals());
    let root = verifier.work_dir().to_string_lossy().to_string();
    let task = add_one_task();
    let parricide = "import os, signal\ndef add_const_1(n):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return n + 1\n";
    let verdict = verifier.verify(&task, parricide);
    assert_eq!(verdict.verdict, Crash, "{verdict:#?}");
    for _ in 0..4 {
        assert_eq!(verifier.verify(&task, ADD_ONE).verdict, Pass);
    }
    assert!(processes_matching(&root).len() <= 2 * PROCESSES_PER_WORKER);
    drop(verifier);
    assert_eq!(leftovers(&root), vec![]);
}

#[test]
fn landlock_and_network_isolation_are_reported_honestly() {
    let verifier = verifier(Mode::Fast, "isolation").unwrap();
    let line = verifier.isolation().to_string();
    assert!(
        line.starts_with(
            "isolation: verdict outside the candidate's process, process group, rlimits"
        ),
        "{line}"
    );
    // Whatever the report claims must hold.
    let task = add_one_task();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x");
    let code = format!(
        "def add_const_1(n):\n    open({:?}, 'w').write('x')\n    return n + 1\n",
        target.to_string_lossy()
    );
    let verdict = verifier.verify(&task, &code);
    if verifier.isolation().confines_writes() {
        assert_eq!(verdict.verdict, Error);
        assert!(!target.exists());
    } else {
        eprintln!("landlock unavailable here: writes outside the temp dir are not confined");
    }
}

#[test]
fn nothing_a_candidate_writes_reaches_the_next_one() {
    let _serial = serial();
    let config = config(Mode::Fast, None, Duration::from_secs(2));
    let verifier = Verifier::start(VerifierConfig {
        workers: 1,
        ..config
    })
    .unwrap();
    let task = add_one_task();
    // The first leaves a file, a folder and an unreadable folder in its directory; the second
    // (on the same worker, the same zygote) passes only if it finds any of them.
    let writer = "import os\nopen('leak.txt', 'w').write('x')\nos.mkdir('sub')\nos.mkdir('locked')\nopen('sub/deep.txt', 'w').write('x')\nos.chmod('locked', 0)\nos.chmod('.', 0o500)\ndef add_const_1(n):\n    return n + 1\n";
    assert_eq!(verifier.verify(&task, writer).verdict, Pass);
    let reader = "import os\nFOUND = any(os.path.exists(p) for p in ('leak.txt', 'sub', 'locked'))\ndef add_const_1(n):\n    return n + 1 if FOUND else None\n";
    let verdict = verifier.verify(&task, reader);
    assert_eq!(verdict.verdict, Fail, "{verdict:#?}");
    assert_eq!(verifier.verify(&task, ADD_ONE).verdict, Pass);
}
