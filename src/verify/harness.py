"""rslm verifier worker: a warm Python process that forks one isolated child per candidate.

Started by rslm (src/verify/worker.rs) as `python -S|-s [-P] harness.py CONFIG_JSON` (-S in fast
mode: no site-packages needed, and a lean worker forks faster), with a
scrubbed environment and one Unix socket on fds 0 and 1. Protocol, one JSON object per line:

    worker -> rslm   {"ready": true, "isolation": {...}, ...} or {"ready": false, "error": "..."}
    rslm -> worker   {"code", "function_name", "kind": "asserts"|"module"|"pytest", "tests",
                      "cpu_budget", "timeout" (wall-clock seconds), "memory_mb"}
    worker -> rslm   {"started": PID}            (the child's pid = its process group)
    worker -> rslm   {"verdict": "pass"|..., "tests_run", "tests_passed", "first_failure",
                      "log", "duration_ms"}

The child runs the candidate and the tests in one process, so its exit code proves nothing. It
reports on a private pipe, after the last test, a line carrying a per-run nonce and its pid; a
child that exits without that line (os._exit, sys.exit at the wrong time, a signal) is a crash.
"""

import builtins
import ctypes
import errno
import importlib
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback
import types

CONFIG = json.loads(sys.argv[1])
MODE = CONFIG["mode"]
ROOT = CONFIG["root"]
STRICT_EQUAL = CONFIG["strict_equal"]
LANDLOCK = None  # the worker's Landlock helper, once the ABI is known
# Captured output of the current candidate; truncated per candidate (strays are dead by then).
OUTPUT_PATH = os.path.join(ROOT, "output-%d" % os.getpid())
LOG_CAP = 6000
OUTPUT_CAP = 2000
FILE_SIZE_LIMIT = 16 << 20
VERDICT_CAP = 1 << 20

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446


_DIRS_MADE = [0]


def make_dir(prefix):
    """A fresh private directory under ROOT. Not the tempfile module: it imports `random`,
    whose at-fork reseed costs every candidate a tenth of a millisecond."""
    _DIRS_MADE[0] += 1
    path = os.path.join(ROOT, "%s%d-%d" % (prefix, os.getpid(), _DIRS_MADE[0]))
    os.mkdir(path, 0o700)
    return path


def _prctl(option, arg):
    return LIBC.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


# --- Landlock -----------------------------------------------------------------------------

# Filesystem rights that change something; reads and execution are not confined.
LL_WRITE_FILE = 1 << 1
LL_DIR_WRITE_RIGHTS = (
    (1 << 1)  # WRITE_FILE
    | (1 << 4)  # REMOVE_DIR
    | (1 << 5)  # REMOVE_FILE
    | (1 << 6)  # MAKE_CHAR
    | (1 << 7)  # MAKE_DIR
    | (1 << 8)  # MAKE_REG
    | (1 << 9)  # MAKE_SOCK
    | (1 << 10)  # MAKE_FIFO
    | (1 << 11)  # MAKE_BLOCK
    | (1 << 12)  # MAKE_SYM
)
LL_REFER = 1 << 13  # ABI 2
LL_TRUNCATE = 1 << 14  # ABI 3
LL_NET_BIND_TCP = 1 << 0  # ABI 4
LL_NET_CONNECT_TCP = 1 << 1
LL_SCOPE_ABSTRACT_UNIX = 1 << 0  # ABI 6
LL_SCOPE_SIGNAL = 1 << 1


def landlock_abi():
    abi = LIBC.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return abi if abi > 0 else 0


class Landlock:
    """A per-candidate Landlock domain: writes only beneath the candidate's dir (and to
    /dev/null), no TCP bind/connect (ABI 4+), signals and abstract Unix sockets scoped to the
    candidate's own processes (ABI 6+). The constant parts are built once per worker."""

    def __init__(self, abi):
        self.abi = abi
        fs = LL_DIR_WRITE_RIGHTS | (LL_REFER if abi >= 2 else 0) | (LL_TRUNCATE if abi >= 3 else 0)
        self.dir_rights = fs
        fields = [fs]
        if abi >= 4:
            fields.append(LL_NET_BIND_TCP | LL_NET_CONNECT_TCP)
        if abi >= 6:
            fields.append(LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL)
        self.attr = (ctypes.c_uint64 * len(fields))(*fields)
        self.attr_size = ctypes.c_size_t(ctypes.sizeof(self.attr))
        self.null_fd = os.open(os.devnull, os.O_PATH | os.O_CLOEXEC)
        file_rights = LL_WRITE_FILE | (LL_TRUNCATE if abi >= 3 else 0)
        self.null_rule = ctypes.create_string_buffer(file_rights.to_bytes(8, "little") + self.null_fd.to_bytes(4, "little"), 12)
        self.dir_rule = ctypes.create_string_buffer(12)
        self.syscall, self.get_errno = LIBC.syscall, ctypes.get_errno
        self.zero, self.one = ctypes.c_uint32(0), ctypes.c_int(1)

    def confine(self, writable_dir):
        syscall = self.syscall
        ruleset = syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(self.attr), self.attr_size, self.zero)
        if ruleset < 0:
            raise OSError(self.get_errno(), "landlock_create_ruleset")
        fd = os.open(writable_dir, os.O_PATH | os.O_CLOEXEC)
        try:
            self.dir_rule.raw = self.dir_rights.to_bytes(8, "little") + fd.to_bytes(4, "little")
            for rule in (self.dir_rule, self.null_rule):
                if syscall(SYS_LANDLOCK_ADD_RULE, ruleset, self.one, rule, self.zero) != 0:
                    raise OSError(self.get_errno(), "landlock_add_rule")
            if _prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
                raise OSError(self.get_errno(), "PR_SET_NO_NEW_PRIVS")
            if syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, self.zero) != 0:
                raise OSError(self.get_errno(), "landlock_restrict_self")
        finally:
            os.close(fd)
            os.close(ruleset)


def landlock_confine(abi, writable_dir):
    Landlock(abi).confine(writable_dir)


# --- worker set-up ----------------------------------------------------------------------------

def send(obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(1, data):]


def setup_isolation():
    """Tries each layer once at worker start; the child applies the per-candidate ones."""
    disabled = set(filter(None, CONFIG.get("disable", "").split(",")))
    iso = {"process_group": True, "rlimits": True}
    iso["pids_cgroup"] = None if "pids" in disabled else join_pids_cgroup()
    iso["pids_limit"] = PIDS_LIMIT if iso["pids_cgroup"] else 0
    iso["subreaper"] = _prctl(PR_SET_CHILD_SUBREAPER, 1) == 0
    iso["network_namespace"] = False
    if "netns" not in disabled:
        iso["network_namespace"] = LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0
    iso["landlock_abi"] = 0 if "landlock" in disabled else landlock_abi()
    if iso["landlock_abi"]:
        # Prove it works here (some container runtimes refuse restrict_self) in a throwaway child.
        probe = make_dir("probe-")
        pid = os.fork()
        if pid == 0:
            try:
                landlock_confine(iso["landlock_abi"], probe)
                try:
                    open(os.path.join(ROOT, "landlock-probe"), "w")
                    os._exit(3)
                except PermissionError:
                    os._exit(0)
            except BaseException:
                os._exit(4)
        _, status = os.waitpid(pid, 0)
        shutil.rmtree(probe, ignore_errors=True)
        if status != 0:
            iso["landlock_abi"] = 0
    iso["pidfd"] = hasattr(os, "pidfd_open")
    return iso


PIDS_LIMIT = 64


def join_pids_cgroup():
    """Moves this worker into its own cgroup-v1 `pids` group capped at PIDS_LIMIT tasks, so a
    fork bomb stays small (RLIMIT_NPROC does nothing for root). Must run before unshare. rslm
    removes the group after the worker is gone. Returns the path, or None where unavailable."""
    base = "/sys/fs/cgroup/pids"
    if not os.path.isfile(os.path.join(base, "cgroup.procs")):
        return None
    # Nest under the group this worker is already in, so no limit above it is escaped.
    current = None
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if "pids" in controllers.split(","):
                    current = path
    except (OSError, ValueError):
        return None
    if current is None:
        return None
    parent = os.path.join(base + current.rstrip("/"), "rslm-verify")
    path = os.path.join(parent, "worker-%d" % os.getpid())
    for stale in os.listdir(parent) if os.path.isdir(parent) else []:
        owner = stale[len("worker-"):]
        if owner.isdigit() and not os.path.exists("/proc/" + owner):
            try:
                os.rmdir(os.path.join(parent, stale))  # empty groups of dead workers only
            except OSError:
                pass
    try:
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "pids.max"), "w") as f:
            f.write(str(PIDS_LIMIT))
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    except OSError:
        try:
            os.rmdir(path)
        except OSError:
            pass
        return None
    return path


def preload():
    """Imports what every child needs, once, so a fork starts warm."""
    extra = {}
    if MODE == "pytest":
        import pytest  # noqa: F401 - raises ImportError with a clear name when missing
        import _pytest.assertion.rewrite  # noqa: F401
        import _pytest.python  # noqa: F401
        import _pytest.runner  # noqa: F401
        import _pytest.terminal  # noqa: F401

        extra["pytest"] = pytest.__version__
        warm_up_pytest()
        if "pytest-config" not in CONFIG.get("disable", "").split(","):
            extra["pytest_config_reused"] = prepare_pytest_config()
    return extra


# pytest mode: the parsed configuration (plugins loaded, options parsed) is the same for every
# candidate, so the worker builds it once for a fixed per-worker test path and every forked
# child runs a session from its own copy. That saves about a quarter of pytest's cost. It
# relies on pytest's private `_prepareconfig`; if that fails, each child runs pytest.main.
PYTEST_CONFIG = None
PYTEST_DIR = os.path.join(ROOT, "pytest-%d" % os.getpid())
PYTEST_FILE = os.path.join(PYTEST_DIR, "test_hidden.py")


def prepare_pytest_config():
    global PYTEST_CONFIG
    try:
        from _pytest.config import _prepareconfig

        os.mkdir(PYTEST_DIR, 0o700)
        os.chdir(PYTEST_DIR)
        try:
            PYTEST_CONFIG = _prepareconfig(pytest_args(PYTEST_FILE, PYTEST_DIR), plugins=[])
        finally:
            os.chdir(ROOT)
    except Exception as exc:  # noqa: BLE001 - fall back to pytest.main per candidate
        sys.stderr.write("rslm worker: no reusable pytest config (%s: %s)\n" % (type(exc).__name__, exc))
        PYTEST_CONFIG = None
    return PYTEST_CONFIG is not None


def fresh_pytest_dir():
    """The fixed directory of the reused config, emptied for the next candidate; None if it
    cannot be (then the candidate gets a unique directory and pytest.main)."""
    try:
        if os.path.lexists(PYTEST_DIR):
            shutil.rmtree(PYTEST_DIR)
        os.mkdir(PYTEST_DIR, 0o700)
        return PYTEST_DIR
    except OSError:
        return None


def warm_up_pytest():
    """One real pytest run in the worker, so the lazy imports and caches are paid once."""
    import pytest

    folder = make_dir("warmup-")
    path = os.path.join(folder, "test_rslm_warmup.py")
    with open(path, "w") as f:
        f.write("def test_warm():\n    assert [1] == [1]\n")
    saved = list(sys.path)
    fd_out, fd_err = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        pytest.main(pytest_args(path, folder))
    finally:
        os.dup2(fd_out, 1)
        os.dup2(fd_err, 2)
        for fd in (fd_out, fd_err, null):
            os.close(fd)
        sys.path[:] = saved
        sys.modules.pop("test_rslm_warmup", None)
        shutil.rmtree(folder, ignore_errors=True)


# Plugins a hidden test module never needs. The terminal reporter goes too (outcomes come from
# hooks): together this halves pytest's cost per candidate. Fixtures (tmp_path, monkeypatch,
# recwarn) and skip/xfail markers stay.
PYTEST_DISABLED = (
    "terminal", "cacheprovider", "pastebin", "junitxml", "doctest", "legacypath", "stepwise",
    "warnings", "faulthandler", "logging", "debugging", "unraisableexception", "threadexception",
    "setuponly", "setupplan", "python_path",
)


def pytest_args(path, folder):
    args = [path, "--capture=no", "--rootdir", folder, "-c", os.devnull]
    for name in PYTEST_DISABLED:
        args += ["-p", "no:" + name]
    return args


# --- running one candidate (worker side) ------------------------------------------------------

def handle(request, isolation):
    started = time.monotonic()
    nonce = os.urandom(16).hex()
    folder = None
    request["reuse_config"] = False
    if request["kind"] == "pytest" and PYTEST_CONFIG is not None:
        folder = fresh_pytest_dir()
        request["reuse_config"] = folder is not None
    if folder is None:
        folder = make_dir("c-")
    out_path = OUTPUT_PATH
    test_path = None
    with open(os.path.join(folder, "solution.py"), "w", encoding="utf-8") as f:
        f.write(request["code"])
    if request["kind"] == "pytest":
        test_path = PYTEST_FILE if request["reuse_config"] else os.path.join(folder, "test_%s.py" % nonce[:12])
        with open(test_path, "w", encoding="utf-8") as f:
            f.write(request["tests"])
    if request["kind"] == "asserts":
        request["compiled_tests"] = compile_asserts(request["tests"])
    request["compiled"] = precompile(request["code"])
    out_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    verdict_r, verdict_w = os.pipe()
    go_r, go_w = os.pipe()
    worker_pid = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(verdict_r)
            os.close(go_w)
            child(request, isolation, nonce, folder, test_path, out_fd, verdict_w, worker_pid, go_r)
        finally:
            os._exit(70)
    os.close(verdict_w)
    os.close(out_fd)
    os.close(go_r)
    # rslm learns the child's pid (its process group) before any candidate code runs, so it can
    # kill the group even if the candidate kills this worker.
    send({"started": pid})
    os.write(go_w, b"g")
    os.close(go_w)
    exited, status, timed_out, raw = watch(pid, verdict_r, started + float(request["timeout"]))
    os.close(verdict_r)
    strays = reap_strays()
    result = judge(raw, nonce, pid, status, timed_out, request)
    output = read_head(out_path)
    if output:
        result["log"] = (result["log"] + "\n--- output ---\n" + output).strip()
    if strays:
        result["log"] += "\n[rslm: killed %d stray process(es) left by the candidate]" % strays
    # Lone surrogates (e.g. in a candidate's exception message) are valid for Python's json but
    # not for rslm's parser: replace them, or a candidate could turn its failure into `infra`.
    result["log"] = result["log"][:LOG_CAP].encode("utf-8", "replace").decode("utf-8")
    if result.get("first_failure") is not None:
        result["first_failure"] = str(result["first_failure"]).encode("utf-8", "replace").decode("utf-8")
    result["duration_ms"] = (time.monotonic() - started) * 1000.0
    shutil.rmtree(folder, ignore_errors=True)
    return result


def watch(pid, verdict_r, deadline):
    """Waits for the child's exit (not for pipe EOF: a grandchild may hold the pipe) or the
    deadline, collecting what the child reports meanwhile."""
    os.set_blocking(verdict_r, False)
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    chunks, size, timed_out, status = [], 0, False, None
    pipe_open = True
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if pidfd is not None:
                watched = [pidfd] + ([verdict_r] if pipe_open else [])
                ready, _, _ = select.select(watched, [], [], remaining)
                if verdict_r in ready:
                    pipe_open, size = drain(verdict_r, chunks, size)
                if pidfd in ready:
                    break
            else:
                got, st = os.waitpid(pid, os.WNOHANG)
                if got:
                    status = st
                    break
                if pipe_open:
                    pipe_open, size = drain(verdict_r, chunks, size)
                time.sleep(0.0005)
    finally:
        if pidfd is not None:
            os.close(pidfd)
    # The child is dead or about to be: stop its whole group while its pid is still reserved.
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if status is None:
        _, status = os.waitpid(pid, 0)
    if pipe_open:
        drain(verdict_r, chunks, size)
    return True, status, timed_out, b"".join(chunks)


def drain(fd, chunks, size):
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True, size
        except OSError:
            return False, size
        if not data:
            return False, size
        if size < VERDICT_CAP:
            chunks.append(data)
            size += len(data)


def children_of(ppid):
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == ppid:
            found.append(int(name))
    return found


def reap_strays():
    """Kills and reaps every process the candidate left behind. They were re-parented to this
    worker (a child subreaper); one WNOHANG wait tells cheaply whether there are any."""
    killed = 0
    give_up = time.monotonic() + 10.0
    me = os.getpid()
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return killed
        if pid:
            continue
        for stray in children_of(me):
            for kill in (os.killpg, os.kill):
                try:
                    kill(stray, signal.SIGKILL)
                except OSError:
                    pass
            killed += 1
        if time.monotonic() > give_up:
            sys.stderr.write("rslm worker: gave up reaping strays\n")
            return killed
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return killed


def read_head(path):
    try:
        with open(path, "rb") as f:
            head = f.read(OUTPUT_CAP + 1)
            total = os.fstat(f.fileno()).st_size
    except OSError:
        return ""
    text = head[:OUTPUT_CAP].decode("utf-8", "replace")
    if total > OUTPUT_CAP:
        text += "\n[output truncated: %d bytes in all]" % total
    return text.strip()


def judge(raw, nonce, pid, status, timed_out, request):
    """Turns what was observed into a verdict. Only a report from the child itself (its pid,
    this run's nonce) counts, and a pass also needs a clean exit."""
    def verdict(kind, log, first=None, run=0, passed=0):
        return {"verdict": kind, "tests_run": run, "tests_passed": passed,
                "first_failure": first, "log": log}

    report = None
    prefix = (nonce + " %d " % pid).encode()
    for line in raw.split(b"\n"):
        if line.startswith(prefix):
            try:
                report = json.loads(line[len(prefix):])
            except ValueError:
                report = None
            break
    if timed_out:
        return verdict("timeout", "wall-clock deadline of %gs passed (the candidate slept, blocked or evaded its CPU budget); the process group was killed" % request["timeout"])
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGPROF:
            return verdict("timeout", "CPU time budget of %gs used up; the process group was killed" % request["cpu_budget"])
        if sig == signal.SIGXCPU:
            return verdict("timeout", "CPU time limit exceeded")
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        why = {signal.SIGXFSZ: " (output or file size limit of %d bytes exceeded)" % FILE_SIZE_LIMIT,
               signal.SIGKILL: " (killed: memory exhausted, or the candidate killed itself)"}.get(sig, "")
        return verdict("crash", "killed by %s%s" % (name, why))
    code = os.WEXITSTATUS(status)
    if report is None:
        return verdict("crash", "the process exited with code %d before the harness reported "
                       "(os._exit, exit at import, or a closed report channel)" % code)
    if code != 0:
        return verdict("crash", "the process exited with code %d after the harness reported" % code)
    kind = report.get("verdict")
    if kind not in ("pass", "fail", "error", "infra"):
        kind = "infra"
    run, passed = int(report.get("tests_run", 0)), int(report.get("tests_passed", 0))
    if kind == "pass" and not (run > 0 and passed == run):
        kind = "infra"
    return verdict(kind, str(report.get("log", ""))[:LOG_CAP], report.get("first_failure"), run, passed)


# --- the child: isolation, then the tests ----------------------------------------------------

def child(request, isolation, nonce, folder, test_path, out_fd, verdict_w, worker_pid, go_r):
    os.setpgid(0, 0)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != worker_pid:
        os._exit(71)
    os.chdir(folder)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    keep = sorted({verdict_w, go_r} | ({LANDLOCK.null_fd} if LANDLOCK is not None else set()))
    low = 3
    for fd in keep:
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 16)
    # rslm started the worker with a scrubbed environment (PATH, TZ=UTC, PYTHONHASHSEED=0, ...);
    # rebuilding it here would cost a third of a millisecond in copy-on-write faults.
    os.environ["HOME"] = folder
    os.environ["TMPDIR"] = folder
    if "tempfile" in sys.modules:  # pytest mode imported it; fast mode leaves it to TMPDIR
        sys.modules["tempfile"].tempdir = folder
    cpu = int(float(request["timeout"])) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if request.get("memory_mb"):
        limit = int(request["memory_mb"]) << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    reporter = Reporter(verdict_w, nonce)
    if LANDLOCK is not None:
        try:
            LANDLOCK.confine(folder)
        except OSError as exc:
            reporter.send("infra", 0, 0, None, "landlock failed in the child: %s" % exc)
    if LANDLOCK is not None:
        os.close(LANDLOCK.null_fd)
    if os.read(go_r, 1) != b"g":  # the worker announced this child to rslm
        os._exit(72)
    os.close(go_r)
    # The binding limit is CPU time, which a busy machine does not inflate: SIGPROF (default
    # action: terminate) ends a runaway loop after its budget; the wall-clock deadline is only
    # the backstop for a candidate that sleeps or blocks, or that catches SIGPROF.
    signal.setitimer(signal.ITIMER_PROF, float(request["cpu_budget"]))
    sys.argv = ["solution.py"]
    if request["kind"] == "pytest":
        run_pytest(request, test_path, reporter)
    else:
        run_fast(request, reporter)


class Reporter:
    """Writes the one report line on the private pipe, with primitives bound before the
    candidate loads, then ends the process at once (no atexit, no finally of the candidate)."""

    def __init__(self, fd, nonce):
        self._head = ("%s %d " % (nonce, os.getpid())).encode()
        self._fd, self._write, self._exit, self._dumps = fd, os.write, os._exit, json.dumps

    def send(self, kind, run, passed, first, log):
        data = self._head + (self._dumps({"verdict": kind, "tests_run": run, "tests_passed": passed,
                                           "first_failure": first, "log": log[:LOG_CAP]}) + "\n").encode()
        try:
            while data:
                data = data[self._write(self._fd, data):]
        finally:
            self._exit(0)


BUILTINS_SNAPSHOT = dict(builtins.__dict__)
_type, _id, _len, _isinstance, _getattr = type, id, len, isinstance, getattr
_PLAIN = frozenset([int, float, complex, str, bytes, bool, type(None)])
_SEQUENCES = frozenset([list, tuple, set, frozenset])


def restore_builtins():
    d = builtins.__dict__
    for key in [k for k in d if k not in BUILTINS_SNAPSHOT]:
        del d[key]
    for key, value in BUILTINS_SNAPSHOT.items():
        if d.get(key, d) is not value:
            d[key] = value


class NotAPlainValue(AssertionError):
    """The candidate returned something other than plain built-in data (e.g. an object whose
    `==` always returns True): counted as a wrong answer."""


def is_plain(value):
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        kind = _type(item)
        if kind in _PLAIN:
            continue
        if kind in _SEQUENCES or kind is dict:
            if _id(item) in seen:
                continue
            seen.add(_id(item))
            if kind is dict:
                for key, val in item.items():
                    stack.append(key)
                    stack.append(val)
            else:
                stack.extend(item)
            continue
        return False
    return True


def guard(function):
    def candidate(*args, **kwargs):
        result = function(*args, **kwargs)
        if not is_plain(result):
            raise NotAPlainValue("the candidate returned a %s, not plain built-in data" % _type(result).__name__)
        return result

    candidate.__name__ = _getattr(function, "__name__", "candidate")
    candidate.__wrapped_candidate__ = function
    return candidate


HARNESS_FILE = os.path.abspath(__file__)


def describe(exc):
    """The traceback without the harness's own frames, capped."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != HARNESS_FILE]
    text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(_type(exc), exc))
    return ("Traceback (most recent call last):\n" + text if frames else text)[-LOG_CAP:]


def classify(exc):
    return "fail" if _isinstance(exc, AssertionError) else "error"


def load_candidate(request, reporter):
    """Imports the candidate as module `solution` and wraps the function under test. Anything
    raised at import, SystemExit included, is an error of stage `import`."""
    module = types.ModuleType("solution")
    module.__file__ = os.path.abspath("solution.py")
    sys.modules["solution"] = module
    try:
        code = request.get("compiled") or compile(request["code"], "solution.py", "exec")
        exec(code, module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
        restore_builtins()
        reporter.send("error", 0, 0, "import", describe(exc))
    restore_builtins()
    name = request["function_name"]
    function = module.__dict__.get(name)
    if not callable(function):
        reporter.send("error", 0, 0, "import", "solution does not define a function named %r" % name)
    module.__dict__[name] = guard(function)
    return module


STRICT_EQUAL_CODE = compile(STRICT_EQUAL, "<rslm _same>", "exec")
COMPILED_ASSERTS = {}


def compile_asserts(tests):
    """Compiles a task's assert lines once per worker (the pipeline sends k candidates per task;
    forked children inherit the cache). Returns None for a line that does not compile."""
    key = tuple(tests)
    compiled = COMPILED_ASSERTS.get(key)
    if compiled is None:
        try:
            compiled = [(compile(line, "<assert_tests[%d]>" % i, "exec"), line) for i, line in enumerate(tests)]
        except SyntaxError:
            return None
        if len(COMPILED_ASSERTS) >= 512:
            COMPILED_ASSERTS.clear()
        COMPILED_ASSERTS[key] = compiled
    return compiled


def precompile(source):
    """Compiles the candidate in the worker, before the fork: parsing runs none of its code
    (CPython caps constant folding), and compiling here spares the child the copy-on-write
    faults the compiler would cause there. Anything unusual is left to the child, whose
    compile error then becomes the verdict's log."""
    if len(source) > 200_000:
        return None
    try:
        return compile(source, "solution.py", "exec")
    except BaseException:  # noqa: BLE001 - SyntaxError, RecursionError, MemoryError...
        return None


def run_fast(request, reporter):
    """The light harness: assert lines, or the plain test functions of a module, called
    directly. Every test runs; builtins are restored after each."""
    if request["kind"] == "asserts":
        compiled = request.get("compiled_tests")
        if compiled is None:
            reporter.send("infra", 0, 0, None, "a task assert line does not compile")
        module = load_candidate(request, reporter)
        namespace = {"__name__": "__rslm_tests__", "__builtins__": dict(BUILTINS_SNAPSHOT)}
        namespace.update({k: v for k, v in module.__dict__.items() if not k.startswith("_")})
        exec(STRICT_EQUAL_CODE, namespace)
        tests = [("assert_tests[%d]: %s" % (i, line), _bind(namespace, code)) for i, (code, line) in enumerate(compiled)]
    else:
        module = load_candidate(request, reporter)
        tests_module = types.ModuleType("__rslm_tests__")
        tests_module.__dict__["__builtins__"] = dict(BUILTINS_SNAPSHOT)
        try:
            exec(compile(request["tests"], "reference_tests.py", "exec"), tests_module.__dict__)
        except BaseException as exc:  # noqa: BLE001
            restore_builtins()
            kind = "infra" if _isinstance(exc, ImportError) and "solution" not in str(exc) else "error"
            reporter.send(kind, 0, 0, "import", "loading the tests failed:\n" + describe(exc))
        restore_builtins()
        tests = []
        for name, value in list(tests_module.__dict__.items()):
            if not name.startswith("test") or not callable(value):
                continue
            code = _getattr(value, "__code__", None)
            if code is None or code.co_argcount or _isinstance(value, type):
                reporter.send("infra", 0, 0, name, "test %s needs pytest (fixtures, parameters or a class): use pytest mode" % name)
            tests.append((name, value))
        if not tests:
            reporter.send("infra", 0, 0, None, "reference_tests defines no test functions")
    run = passed = 0
    first, first_kind, log = None, None, ""
    for name, test in tests:
        run += 1
        try:
            test()
            passed += 1
        except BaseException as exc:  # noqa: BLE001
            if first is None:
                restore_builtins()
                first, first_kind, log = name, classify(exc), describe(exc)
    restore_builtins()
    if passed == run:
        reporter.send("pass", run, passed, None, "")
    reporter.send(first_kind, run, passed, first, log)


def _bind(namespace, code):
    return lambda: exec(code, namespace)


def run_pytest(request, test_path, reporter):
    import pytest

    plugin = PytestPlugin(request, test_path, reporter)
    try:
        if request["reuse_config"]:
            PYTEST_CONFIG.pluginmanager.register(plugin, "rslm")
            code = PYTEST_CONFIG.hook.pytest_cmdline_main(config=PYTEST_CONFIG)
        else:
            code = pytest.main(pytest_args(test_path, os.getcwd()), plugins=[plugin])
    except BaseException as exc:  # noqa: BLE001
        reporter.send("error", plugin.run, plugin.passed, plugin.first, "pytest stopped:\n" + describe(exc))
    restore_builtins()
    if plugin.removed_error:
        reporter.send("infra", 0, 0, None, plugin.removed_error)
    if not plugin.collected:
        # The candidate is imported after collection, so a broken test module is not its fault
        # (unless the module imports it at the top, the original's style, and that failed).
        blamed = "error" if plugin.first and "solution" in plugin.log else "infra"
        reporter.send(blamed, 0, 0, "collection",
                      plugin.log or "pytest collected no tests (exit code %s)" % int(code))
    complete = plugin.run == plugin.collected and plugin.passed == plugin.run
    if complete and int(code) == 0:
        reporter.send("pass", plugin.run, plugin.passed, None, "")
    if plugin.first is None:
        reporter.send("error", plugin.run, plugin.passed, "session",
                      "pytest exit code %s before every test ran" % int(code))
    reporter.send(plugin.first_kind, plugin.run, plugin.passed, plugin.first, plugin.log)


class PytestPlugin:
    """Deletes the test file once collected (tests import the candidate lazily, so the
    candidate runs only afterwards), wraps the function under test, and records outcomes."""

    def __init__(self, request, test_path, reporter):
        self.request, self.test_path, self.reporter = request, test_path, reporter
        self.collected, self.run, self.passed = 0, 0, 0
        self.first, self.first_kind, self.log = None, None, ""
        self.removed_error = None
        self.last_exception = None

    def pytest_collection_finish(self, session):
        self.collected = len(session.items)
        try:
            os.unlink(self.test_path)
        except OSError as exc:
            self.removed_error = "could not hide the test file: %s" % exc
        if not self.collected:
            return
        module = sys.modules.get("solution")
        if module is None:
            module = load_candidate(self.request, self.reporter)
        else:  # tests that import the candidate at module level loaded it during collection
            name = self.request["function_name"]
            function = module.__dict__.get(name)
            if not callable(function):
                self.reporter.send("error", 0, 0, "import", "solution does not define a function named %r" % name)
            module.__dict__[name] = guard(function)
        wrapped = module.__dict__[self.request["function_name"]]
        original = wrapped.__wrapped_candidate__
        for item in session.items:
            test_globals = _getattr(_getattr(item, "module", None), "__dict__", {})
            for key, value in list(test_globals.items()):
                if value is original:
                    test_globals[key] = wrapped
        restore_builtins()

    def pytest_collectreport(self, report):
        if report.failed and self.first is None:
            self.first, self.first_kind = "collection", "error"
            self.log = "collecting the tests failed:\n" + (report.longreprtext or "")[-LOG_CAP:]

    def pytest_runtest_makereport(self, item, call):
        if call.when == "call" or call.excinfo is not None:
            self.last_exception = call.excinfo.type if call.excinfo is not None else None

    def pytest_runtest_logreport(self, report):
        restore_builtins()
        if report.when == "call" or (report.failed and report.when == "setup"):
            self.run += 1
            if report.passed and report.when == "call":
                self.passed += 1
            elif self.first is None:
                self.first = report.nodeid.split("::")[-1]
                excinfo = _getattr(report, "longrepr", None)
                text = _getattr(report, "longreprtext", "") or str(excinfo)
                self.log = text[-LOG_CAP:]
                failed_assert = self.last_exception is not None and issubclass(self.last_exception, AssertionError)
                self.first_kind = "fail" if (failed_assert or report.skipped) else "error"
                if report.skipped:
                    self.log = "test skipped by the candidate: " + self.log


# --- main loop --------------------------------------------------------------------------------

def main():
    sys.dont_write_bytecode = True
    try:
        extra = preload()
        isolation = setup_isolation()
    except BaseException as exc:  # noqa: BLE001
        send({"ready": False, "error": "%s: %s" % (type(exc).__name__, exc)})
        return
    global LANDLOCK
    if isolation["landlock_abi"]:
        LANDLOCK = Landlock(isolation["landlock_abi"])
    send(dict({"ready": True, "isolation": isolation, "python": sys.version.split()[0],
               "pid": os.getpid()}, **extra))
    stdin = os.fdopen(0, "rb", buffering=1 << 16)
    while True:
        line = stdin.readline()
        if not line:
            return
        request = json.loads(line)
        try:
            result = handle(request, isolation)
        except BaseException as exc:  # noqa: BLE001 - a worker bug is an infra verdict, not a hang
            result = {"verdict": "infra", "tests_run": 0, "tests_passed": 0, "first_failure": None,
                      "log": "worker error:\n" + describe(exc), "duration_ms": 0.0}
        send(result)


if __name__ == "__main__":
    main()
