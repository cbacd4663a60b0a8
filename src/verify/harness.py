"""rslm verifier worker: decides verdicts where the candidate cannot reach.

Started by rslm (src/verify/worker.rs) as `python -S|-s [-P] harness.py CONFIG_JSON` with a scrubbed
environment and one Unix socket on fds 0 and 1. rslm prepends confine.py (Landlock, seccomp,
capabilities, pids cgroups) to this file. Three kinds of process, each with one job:

- the worker (this process, trusted) holds the hidden tests and decides every verdict. In fast
  mode it runs the assert lines or plain test functions itself; in pytest mode it forks a judge
  per candidate that runs real pytest. Either way the candidate's function is a proxy that sends
  the call's arguments as plain data to the candidate's process and decodes the plain data that
  comes back. The worker is not dumpable, so no process of the same user can read its memory.
- the zygote, forked from the worker at start, before the worker has seen any test or candidate.
  It only ever forks candidate processes, so a candidate's memory holds no test, no expected
  value and no other candidate's code. It owns the namespaces and the pids cgroup.
- the candidate process, forked by the zygote per candidate: its own process group, rlimits, no
  capabilities, Landlock (reads only of the Python installation, writes only in its own directory,
  no TCP, signals and abstract sockets scoped) and seccomp (no Unix sockets, ptrace or signals
  outside its group). It receives the candidate's source on its socket, runs it, then answers
  calls until the socket closes. Nothing it sends is trusted: a return value is a claim that the
  worker compares with what the test expects.

Protocol with rslm, one JSON object per line:

    worker -> rslm   {"ready": true, "isolation": {...}, ...} or {"ready": false, "error": "..."}
    rslm -> worker   {"code", "function_name", "kind": "asserts"|"module"|"pytest", "tests",
                      "cpu_budget", "timeout" (wall-clock seconds), "memory_mb"}
    worker -> rslm   {"started": PID}            (the candidate's pid = its process group)
    worker -> rslm   {"verdict": "pass"|..., "tests_run", "tests_passed", "first_failure",
                      "log", "duration_ms", "retire"}

Where the worker cannot fork (Windows, macOS, or RSLM_VERIFY_DISABLE=fork), spawned.py, appended
to this file, starts each candidate as a fresh interpreter instead of the zygote; it also holds
the entry point.
"""

import builtins
import ctypes
import gc
import json
import os
import select
import shutil
import signal
import socket
import stat
import struct
import sys
import time
import traceback
import types

try:  # POSIX only; on Windows the spawned path (spawned.py) limits candidates with a Job Object
    import resource
except ImportError:
    resource = None

CONFIG = json.loads(sys.argv[1])
MODE = CONFIG["mode"]
ROOT = CONFIG["root"]
STRICT_EQUAL = CONFIG["strict_equal"]
DISABLED = set(filter(None, CONFIG.get("disable", "").split(",")))
LOG_CAP = 6000
OUTPUT_CAP = 2000
FILE_SIZE_LIMIT = 16 << 20
# The largest message a candidate may send (its return values, encoded). Bigger is a failure.
FRAME_CAP = 64 << 20
# Deepest nesting of a value that crosses between the processes.
WIRE_DEPTH = 200
PIDS_LIMIT = 64

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000



LIBC = ctypes.CDLL(None, use_errno=True) if os.name == "posix" else None


def prctl(option, arg):
    c_ulong = ctypes.c_ulong
    return LIBC.prctl(option, c_ulong(arg), c_ulong(0), c_ulong(0), c_ulong(0))


# --- plain data across processes ---------------------------------------------------------------
#
# JSON with tagged objects for what JSON lacks: {"t": [...]} tuple, {"s": [...]} set, {"f": [...]}
# frozenset, {"d": [[k, v], ...]} dict (any plain key), {"b": "hex"} bytes, {"x": "hex"} a large
# int. Lists, str, int, float (inf and nan included, via Python's NaN/Infinity), bool and None
# are JSON's own.
# Only the exact built-in types cross: a subclass, or any object with its own __eq__, cannot. Every
# message is a JSON array, so object_hook only ever sees the tagged values.

class Unencodable(Exception):
    """A value that is not plain built-in data."""


_SCALARS = frozenset([float, str, bool, type(None)])
# Ints longer than this many bits cross as hex ({"x": "-0x..."}): converting decimal text is
# quadratic (Python refuses more than 4300 digits), hex is linear, so no reply can stall the
# trusted side however large the int.
_DECIMAL_BITS = 4096


def to_wire(value, depth=0):
    kind = type(value)
    if kind is int:
        return value if value.bit_length() <= _DECIMAL_BITS else {"x": hex(value)}
    if kind in _SCALARS:
        return value
    if depth >= WIRE_DEPTH:
        raise Unencodable("a value nested deeper than %d levels (or containing itself)" % WIRE_DEPTH)
    depth += 1
    if kind is list:
        return [to_wire(item, depth) for item in value]
    if kind is tuple:
        return {"t": [to_wire(item, depth) for item in value]}
    if kind is dict:
        return {"d": [[to_wire(k, depth), to_wire(v, depth)] for k, v in value.items()]}
    if kind is set:
        return {"s": [to_wire(item, depth) for item in value]}
    if kind is frozenset:
        return {"f": [to_wire(item, depth) for item in value]}
    if kind is bytes:
        return {"b": value.hex()}
    raise Unencodable("a %s is not plain built-in data" % kind.__name__)


def _tagged(obj):
    if len(obj) != 1:
        raise ValueError("not a tagged value")
    tag, items = next(iter(obj.items()))
    if tag == "t":
        return tuple(items)
    if tag == "d":
        return {key: val for key, val in items}
    if tag == "s":
        return set(items)
    if tag == "f":
        return frozenset(items)
    if tag == "b":
        return bytes.fromhex(items)
    if tag == "x":
        return int(items, 16)
    raise ValueError("unknown tag %r" % tag)


_dumps = json.JSONEncoder(separators=(",", ":")).encode
_loads = json.JSONDecoder(object_hook=_tagged).decode


def frame(message):
    data = _dumps(message).encode()
    return struct.pack(">I", len(data)) + data


def runnable_within_budget(pid, cpu_budget):
    """True when the candidate's process is runnable and its whole process group has used less
    CPU than its budget: then a passed deadline means the machine starved it, not that it slept
    or burned the CPU of many processes (a fork bomb starves its own leader)."""
    if not os.path.isdir("/proc"):  # macOS, Windows: no way to tell, so no extension
        return False
    tick = os.sysconf("SC_CLK_TCK")
    state, used = None, 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) < 13 or int(fields[2]) != pid:
            continue
        used += int(fields[11]) + int(fields[12])
        if int(name) == pid:
            state = fields[0]
    return state == b"R" and used / tick < cpu_budget


class Channel:
    """Length-prefixed JSON frames over a stream socket. With a deadline (the trusted side) every
    read and write waits at most until then; without one (the candidate's side) it blocks.

    The deadline is the wall-clock backstop for a candidate that sleeps or blocks; CPU time is
    what bounds one that computes. So when the deadline passes while the candidate's process is
    runnable (a loaded machine gave it too little CPU, and its own CPU budget has not run out),
    the wait is extended, at most EXTENSIONS times (see runnable_within_budget): the verdict
    depends on the task's cost, not on the machine's load."""

    EXTENSIONS = 4

    def __init__(self, fd, deadline=None, pid=None, cpu_budget=0.0):
        self.fd, self.deadline, self.buffer = fd, deadline, b""
        self.pid, self.cpu_budget, self.period, self.extended = pid, cpu_budget, None, 0
        if deadline is not None:
            os.set_blocking(fd, False)
            self.period = max(deadline - time.monotonic(), 0.001)

    def _extend(self):
        if self.pid is None or self.extended >= self.EXTENSIONS or not runnable_within_budget(self.pid, self.cpu_budget):
            return False
        self.extended += 1
        self.deadline += self.period
        return True

    def _wait(self, for_write):
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining > 0:
                ready = select.select([], [self.fd], [], remaining) if for_write else select.select([self.fd], [], [], remaining)
                if ready[1] if for_write else ready[0]:
                    return
            elif not self._extend():
                raise TimeoutError


    def send(self, message):
        data = memoryview(frame(message))
        while data:
            if self.deadline is not None:
                self._wait(True)
            try:
                data = data[os.write(self.fd, data):]
            except BlockingIOError:
                continue

    def _read(self, size):
        while len(self.buffer) < size:
            if self.deadline is not None:
                self._wait(False)
            try:
                chunk = os.read(self.fd, max(65536, size - len(self.buffer)))
            except BlockingIOError:
                continue
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def receive(self):
        (size,) = struct.unpack(">I", self._read(4))
        if size > FRAME_CAP:
            raise Oversized(size)
        return _loads(self._read(size).decode())


class Oversized(Exception):
    """A frame larger than FRAME_CAP."""


# --- the zygote --------------------------------------------------------------------------------

class Zygote:
    """The worker's handle on its zygote: a control socket (SOCK_SEQPACKET, one JSON message
    each, the candidate's socket passed back with SCM_RIGHTS)."""

    def __init__(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        worker_pid = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                zygote_main(theirs, worker_pid)
            finally:
                os._exit(0)
        theirs.close()
        self.pid, self.sock = pid, ours
        self.isolation = self._receive(60.0)[0]

    def _receive(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, 1 << 16, 1)
        except (OSError, socket.timeout) as exc:
            raise ZygoteGone("the zygote did not answer: %s" % exc)
        if not data:
            raise ZygoteGone("the zygote is gone")
        return json.loads(data), fds

    def fork(self, request):
        self.sock.sendall(json.dumps({"fork": {k: request[k] for k in ("cpu_budget", "timeout", "memory_mb")}}).encode())
        answer, fds = self._receive(30.0)
        if "error" in answer:
            for fd in fds:
                os.close(fd)
            raise ZygoteGone(answer["error"])
        return answer["pid"], answer["dir"], fds[0]

    def reap(self, pid):
        """Waits for the (killed) candidate, kills and reaps whatever it left; returns (wait
        status, strays killed)."""
        self.sock.sendall(json.dumps({"reap": pid}).encode())
        answer, _ = self._receive(30.0)
        return answer["status"], answer["strays"]


class ZygoteGone(Exception):
    """The zygote died (a candidate killed it) or misbehaved: this worker must retire."""


def zygote_main(control, worker_pid):
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != worker_pid:
        os._exit(0)
    for fd in (0, 1):
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, fd)
        os.close(null)
    isolation = setup_isolation(worker_pid)
    # Always built: even with Landlock and seccomp missing it drops capabilities and sets
    # no_new_privs. The probe's `disabled` turns off whatever did not hold here.
    confinement = Confinement(isolation["landlock_abi"], isolation["seccomp"], READ_PATHS, set(isolation["disabled"]))
    control.sendall(json.dumps(isolation).encode())
    # Every object the zygote holds moves to the permanent generation, so a candidate's garbage
    # collections never write to (and copy) the pages it shares with the zygote.
    gc.freeze()
    output = None
    while True:
        try:
            data = control.recv(1 << 16)
        except OSError:
            data = b""
        if not data:
            os._exit(0)
        command = json.loads(data)
        if "fork" in command:
            # One directory per zygote, reused while the worker leaves it empty (it removes what
            # a candidate left, or moves the directory aside when it cannot), and one output
            # file, truncated through its descriptor: no path is reopened that a candidate could
            # have replaced, and no directory or file is created per candidate.
            folder = os.path.join(CANDIDATES, "c")
            try:
                if not os.path.isdir(folder):
                    os.mkdir(folder, 0o700)
                if output is None:
                    output = os.open(OUTPUT_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
                os.ftruncate(output, 0)
                theirs, ours = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            except OSError as exc:
                control.sendall(json.dumps({"error": "cannot prepare a candidate: %s" % exc}).encode())
                continue
            pid = os.fork()
            if pid == 0:
                try:
                    control.close()
                    ours.close()
                    candidate_main(theirs.detach(), folder, command["fork"], confinement, output)
                finally:
                    os._exit(70)
            theirs.close()
            socket.send_fds(control, [json.dumps({"pid": pid, "dir": folder}).encode()], [ours.fileno()])
            ours.close()
        elif "reap" in command:
            _, status = os.waitpid(command["reap"], 0)
            control.sendall(json.dumps({"status": status, "strays": reap_strays()}).encode())


def setup_isolation(worker_pid):
    """Tries each layer once, in the zygote; the candidate applies the per-candidate ones."""
    iso = {"process_group": True, "rlimits": True}
    path, how = (None, "disabled") if "pids" in DISABLED else join_pids_cgroup_any(PIDS_LIMIT, os.getpid())
    iso["pids_cgroup"] = path
    iso["pids_limit"] = PIDS_LIMIT if path else 0
    iso["pids_cgroup_version"] = how if path else None
    # Without Landlock, reads are not confined: a candidate could open other processes' /proc
    # files (their descriptors, environment). Where rslm runs as root, candidates then run as
    # nobody, if nobody can still import the standard library; where user namespaces work, the
    # candidates' mount namespace covers /proc with an empty tmpfs (see hide_proc).
    no_landlock = "landlock" in DISABLED or not landlock_abi_version()
    if no_landlock and UNPRIVILEGED is not None and readable_as(UNPRIVILEGED, os.__file__):
        try:
            os.chown(CANDIDATES, UNPRIVILEGED, UNPRIVILEGED)
            os.setgroups([])
            os.setresgid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)
            os.setresuid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)
        except OSError:
            pass
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a change of credentials clears it
        if os.getppid() != worker_pid:
            os._exit(0)
    iso["uid"] = os.getuid()
    iso["separate_uid"] = UNPRIVILEGED is not None and os.getuid() == UNPRIVILEGED
    os.environ["TMPDIR"] = CANDIDATES  # the probe's scratch dir, writable by this uid
    iso["subreaper"] = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0
    iso["network_namespace"] = False
    if "netns" not in DISABLED:
        iso["network_namespace"] = LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0
    iso["proc_hidden"] = no_landlock and iso["network_namespace"] and hide_proc()
    iso.update(confinement_probe(READ_PATHS, DISABLED))
    iso["pidfd"] = hasattr(os, "pidfd_open")
    return iso


def readable_as(uid, path):
    """Whether `uid` can read `path` (a throwaway child changes to it and tries)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.close(os.open(path, os.O_RDONLY))
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    return os.waitpid(pid, 0)[1] == 0


CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
# The zygote's own view of /proc, kept open before hide_proc covers it (for reap_strays).
PROC_FD = None


def hide_proc():
    """In the zygote's user namespace: a private mount namespace whose /proc is an empty tmpfs,
    so candidates see no process's files. The zygote keeps the real /proc through PROC_FD."""
    global PROC_FD
    fd = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    mount = LIBC.mount
    if (LIBC.unshare(CLONE_NEWNS) != 0 or mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0
            or mount(b"tmpfs", b"/proc", b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, b"size=4k,mode=555") != 0):
        os.close(fd)
        return False
    PROC_FD = fd
    return True


def children_of(ppid):
    found = []
    proc = PROC_FD if PROC_FD is not None else "/proc"
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            fd = os.open("%s/stat" % name, os.O_RDONLY, dir_fd=PROC_FD) if PROC_FD is not None else os.open("/proc/%s/stat" % name, os.O_RDONLY)
            try:
                stat = os.read(fd, 4096)
            finally:
                os.close(fd)
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == ppid:
            found.append(int(name))
    return found


def reap_strays():
    """Kills and reaps every process a candidate left behind. They were re-parented to the zygote
    (a child subreaper); one WNOHANG wait tells cheaply whether there are any."""
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
            return killed
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return killed


# --- the candidate's process -------------------------------------------------------------------

def candidate_main(fd, folder, limits, confinement, output):
    """Confines itself, then runs the candidate's source and answers calls. Runs no code of the
    candidate before every limit is in force."""
    os.setpgid(0, 0)
    zygote = os.getppid()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != zygote:
        os._exit(71)
    os.chdir(folder)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    keep = sorted({fd} | set(confinement.keep_fds() if confinement is not None else ()))
    low = 3
    for kept in keep:
        os.closerange(low, kept)
        low = kept + 1
    os.closerange(low, 1 << 16)
    os.environ["HOME"] = folder
    os.environ["TMPDIR"] = folder
    cpu = int(float(limits["timeout"])) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.get("memory_mb"):
        limit = int(limits["memory_mb"]) << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    channel = Channel(fd)
    if confinement is not None:
        try:
            confinement.apply(folder)
        except OSError as exc:
            channel.send(["infra", "confining the candidate failed: %s" % exc])
            os._exit(0)
        confinement.close_fds()
    # The binding limit is CPU time, which a busy machine does not inflate: SIGPROF (default
    # action: terminate) ends a runaway candidate after its budget; the worker's wall-clock
    # deadline is only the backstop for one that sleeps, blocks or catches SIGPROF.
    signal.setitimer(signal.ITIMER_PROF, float(limits["cpu_budget"]))
    sys.argv = ["solution.py"]
    serve(channel)


def describe(exc, skip=None):
    """The traceback without the harness's (or pytest's) own frames, capped."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename != skip and "/_pytest/" not in f.filename and "/pluggy/" not in f.filename]
    text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(exc), exc))
    return ("Traceback (most recent call last):\n" + text if frames else text)[-LOG_CAP:]


def serve(channel):
    """The candidate's side of the channel: load, then answer calls until the socket closes.
    Whatever the candidate does here can change only what this process claims."""
    _, code, name = channel.receive()
    module = types.ModuleType("solution")
    module.__file__ = os.path.abspath("solution.py")
    sys.modules["solution"] = module
    import linecache  # tracebacks show the candidate's lines without writing the file

    linecache.cache["solution.py"] = (len(code), None, code.splitlines(True), "solution.py")
    here = HARNESS_FILE
    # A process the candidate forked shares this channel; only the candidate's own process
    # answers on it (a child that ends up here, e.g. after a failed exec, just exits).
    me, send = os.getpid(), channel.send

    def reply(message):
        if os.getpid() != me:
            os._exit(0)
        send(message)

    channel.send = reply
    try:
        exec(compile(code, "solution.py", "exec"), module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
        channel.send(["error", describe(exc, here)])
        os._exit(0)
    space = module.__dict__
    if not callable(space.get(name)):
        channel.send(["missing", name])
        os._exit(0)
    names = [k for k, v in list(space.items()) if callable(v) and not isinstance(v, type) and not k.startswith("__")]
    channel.send(["loaded", names[:256]])
    while True:
        try:
            message = channel.receive()
        except EOFError:
            os._exit(0)
        if message[0] == "batch":
            channel.send(["results", [answer(space, message[1], args, kwargs, here) for args, kwargs in message[2]]])
        else:
            channel.send(answer(space, message[1], message[2], message[3], here))


def answer(space, target, args, kwargs, here):
    """One call of the candidate's function, as the reply that goes back: its return value (and
    the arguments it mutated), its exception, or why its value cannot be sent."""
    kwargs = dict(kwargs)
    mutable = [(i, to_wire(a)) for i, a in enumerate(args) if type(a) in (list, dict, set)]
    function = space.get(target)
    if not callable(function):
        return ["raise", "AttributeError", "solution has no function %r" % target, ""]
    try:
        result = function(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001
        try:
            message = str(exc)[:2000]
        except BaseException:  # noqa: BLE001
            message = "<unprintable>"
        return ["raise", type(exc).__name__, message, describe(exc, here)]
    try:
        wire = to_wire(result)
        changed = [[i, after] for i, before in mutable for after in [to_wire(args[i])] if after != before]
        return ["ok", wire, changed]
    except Unencodable as exc:
        return ["bad", "the candidate returned %s" % exc]
    except RecursionError:
        return ["bad", "the candidate returned a value too deeply nested to send"]


# --- the trusted side: proxies for the candidate's functions ----------------------------------

class CandidateError(Exception):
    """The candidate raised an exception that is not a built-in one."""


class NotAPlainValue(AssertionError):
    """The candidate returned something other than plain built-in data (e.g. an object whose
    `==` always returns True): counted as a wrong answer."""


class CandidateGone(BaseException):
    """The candidate's process died, timed out or broke the protocol; no further call can be
    answered. A BaseException, so a test's `except Exception` cannot swallow it."""


class TestNeedsMore(Exception):
    """A test passed the candidate something that is not plain data: the task needs the
    candidate's module in the test's own process, which this verifier does not allow."""


class LoadFailed(BaseException):
    def __init__(self, kind, log):
        super().__init__(log)
        self.kind, self.log = kind, log


class Sandbox:
    """The trusted side's handle on one candidate process."""

    def __init__(self, fd, pid, deadline, cpu_budget):
        self.fd, self.pid = fd, pid
        self.channel = Channel(fd, deadline, pid, cpu_budget)
        self.gone = None  # why no further call can be answered
        self.loaded = None  # the candidate's callable names, once loaded
        self.load_failed = None
        self.calls = 0
        self.last_traceback = ""

    def _exchange(self, message):
        try:
            self.channel.send(message)
            return self.channel.receive()
        except TimeoutError:
            self.gone = "timeout"
        except (EOFError, BrokenPipeError, ConnectionError):
            self.gone = "died"
        except Oversized as exc:
            self.gone = "the candidate sent %d bytes, more than the %d allowed" % (exc.args[0], FRAME_CAP)
        except (ValueError, TypeError, RecursionError, UnicodeDecodeError, struct.error) as exc:
            self.gone = "the candidate's process sent an unreadable message (%s)" % type(exc).__name__
        raise CandidateGone(self.gone)

    def load(self, code, name):
        """Sends the source; returns the candidate's callable names or raises LoadFailed."""
        if self.loaded is not None:
            return self.loaded
        if self.load_failed is not None:
            raise self.load_failed
        try:
            return self._load(code, name)
        except LoadFailed as failed:
            self.load_failed = failed
            raise

    def _load(self, code, name):
        reply = self._exchange(["load", code, name])
        if not isinstance(reply, list) or not reply:
            self.gone = "the candidate's process sent an unreadable message"
            raise CandidateGone(self.gone)
        tag = reply[0]
        if tag == "loaded" and len(reply) == 2 and isinstance(reply[1], list):
            self.loaded = [n for n in reply[1] if isinstance(n, str)]
            if name not in self.loaded:
                self.loaded.append(name)
            return self.loaded
        if tag == "error":
            raise LoadFailed("error", str(reply[1])[:LOG_CAP] if len(reply) > 1 else "")
        if tag == "missing":
            raise LoadFailed("error", "solution does not define a function named %r" % name)
        if tag == "infra":
            raise LoadFailed("infra", str(reply[1]) if len(reply) > 1 else "infra")
        self.gone = "the candidate's process sent an unreadable message"
        raise CandidateGone(self.gone)

    def call(self, target, args, kwargs):
        __tracebackhide__ = True  # noqa: F841
        if self.gone is not None:
            raise CandidateGone(self.gone)
        try:
            message = ["call", target, [to_wire(a) for a in args], [[k, to_wire(v)] for k, v in kwargs.items()]]
        except Unencodable as exc:
            raise TestNeedsMore("a test passed the candidate %s; only plain data crosses to it" % exc)
        self.calls += 1
        return self.interpret(self._exchange(message), args)

    def interpret(self, reply, args):
        """The value of one call from the candidate's reply, or its exception raised here."""
        __tracebackhide__ = True  # noqa: F841
        self.last_traceback = ""
        tag = reply[0] if type(reply) is list and reply else None
        if tag == "ok" and len(reply) == 3 and type(reply[2]) is list:
            for change in reply[2]:
                if type(change) is list and len(change) == 2 and type(change[0]) is int and 0 <= change[0] < len(args):
                    update_in_place(args[change[0]], change[1])
            return reply[1]
        if tag == "raise" and len(reply) == 4:
            self.last_traceback = str(reply[3])[-LOG_CAP:]
            raise rebuild_exception(str(reply[1]), str(reply[2]))
        if tag == "bad" and len(reply) == 2:
            raise NotAPlainValue(str(reply[1]))
        self.gone = "the candidate's process sent an unreadable reply"
        raise CandidateGone(self.gone)

    def batch(self, target, calls):
        """Every call of a test run in one message and one reply (each call still runs alone,
        in order, in the candidate's process): the replies, for `Replay`."""
        message = ["batch", target, [[[to_wire(a) for a in args], [[k, to_wire(v)] for k, v in kwargs.items()]]
                                     for args, kwargs in calls]]
        self.calls += len(calls)
        reply = self._exchange(message)
        if type(reply) is list and len(reply) == 2 and reply[0] == "results" and type(reply[1]) is list \
                and len(reply[1]) == len(calls):
            return reply[1]
        self.gone = "the candidate's process sent an unreadable reply"
        raise CandidateGone(self.gone)

    def proxy(self, name, load):
        sandbox = self

        def candidate(*args, **kwargs):
            __tracebackhide__ = True  # noqa: F841 - pytest shows the test's line, not the proxy's
            if sandbox.loaded is None:
                load()
            return sandbox.call(name, args, kwargs)

        candidate.__name__ = candidate.__qualname__ = name
        return candidate


def update_in_place(original, after):
    """A test that checks an argument the candidate mutated sees the mutation."""
    kind = type(original)
    if kind is list and type(after) is list:
        original[:] = after
    elif kind is dict and type(after) is dict:
        original.clear()
        original.update(after)
    elif kind is set and type(after) is set:
        original.clear()
        original.update(after)


def rebuild_exception(type_name, text):
    """The candidate's exception on the trusted side: a built-in Exception type of the same name
    (so `pytest.raises(ValueError)` works), else CandidateError. Never SystemExit and the like."""
    kind = getattr(builtins, type_name, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind not in (StopIteration, StopAsyncIteration):
        try:
            return kind(text)
        except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError wants five arguments
            pass
    return CandidateError("%s: %s" % (type_name, text))


class Replay:
    """The function under test in fast mode's assert lines when every line makes one call with
    literal arguments: the calls went to the candidate in one batch, and each line gets its own
    reply, in order. A line that calls with other arguments (it cannot, being literal) or more
    often than planned falls back to a live call."""

    def __init__(self, sandbox, name, calls):
        self.sandbox, self.name, self.calls = sandbox, name, calls
        self.replies, self.next = None, 0

    def __call__(self, *args, **kwargs):
        __tracebackhide__ = True  # noqa: F841
        sandbox, index = self.sandbox, self.next
        self.next += 1
        if self.replies is None:
            if sandbox.gone is not None:
                raise CandidateGone(sandbox.gone)
            self.replies = sandbox.batch(self.name, self.calls)
        if index < len(self.calls) and self.calls[index] == (list(args), kwargs):
            return sandbox.interpret(self.replies[index], args)
        return sandbox.call(self.name, args, kwargs)


def literal_calls(compiled, name):
    """The argument lists of `name`'s calls when each assert line calls it exactly once with
    literal arguments (the generated tasks' shape), else None."""
    import ast

    calls = []
    for _, line in compiled:
        found = [node for node in ast.walk(ast.parse(line)) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Name) and node.func.id == name]
        if len(found) != 1:
            return None
        try:
            args = [ast.literal_eval(arg) for arg in found[0].args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in found[0].keywords}
        except ValueError:
            return None
        if None in kwargs:  # **mapping
            return None
        calls.append((args, kwargs))
    return calls


class CandidateModule(types.ModuleType):
    """`solution` on the trusted side: a proxy for any function name a test asks for. Loading the
    candidate waits for the first call, or for `load()` (fast mode, and pytest mode once the
    tests are collected and their file hidden), so a test module that imports from `solution` at
    its top is collected without running the candidate."""

    def __init__(self, sandbox, code, name, before_load=None):
        super().__init__("solution")
        self.__dict__["_rslm"] = (sandbox, code, name, before_load)

    def __getattr__(self, attr):
        sandbox, _, name, _ = self.__dict__["_rslm"]
        if attr == "__all__":  # `from solution import *`, the original's test style
            return [name]
        if attr.startswith("__"):
            raise AttributeError(attr)
        proxy = self.__dict__[attr] = sandbox.proxy(attr, self.load)
        return proxy

    def load(self):
        sandbox, code, name, before_load = self.__dict__["_rslm"]
        if sandbox.loaded is None and sandbox.load_failed is None and before_load is not None:
            before_load()
        return sandbox.load(code, name)


# --- verdicts -----------------------------------------------------------------------------------

def verdict(kind, log="", first=None, run=0, passed=0):
    return {"verdict": kind, "tests_run": run, "tests_passed": passed, "first_failure": first, "log": log}


def classify(exc):
    return "fail" if isinstance(exc, AssertionError) else "error"


def describe_failure(exc, sandbox):
    text = describe(exc, HARNESS_FILE)
    if sandbox.last_traceback and not isinstance(exc, NotAPlainValue):
        text = "%s\nin the candidate:\n%s" % (text, sandbox.last_traceback)
        sandbox.last_traceback = ""
    return text[-LOG_CAP:]


def gone_verdict(why, status, request, run, passed):
    """The verdict when the candidate's process stopped answering: its exit status says why."""
    if why == "timeout":
        return verdict("timeout", "wall-clock deadline of %gs passed (the candidate slept, blocked or evaded its CPU "
                       "budget); its process group was killed" % request["timeout"], None, run, passed)
    if why != "died":
        return verdict("error", why, None, run, passed)
    if status is not None and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGPROF:
            return verdict("timeout", "CPU time budget of %gs used up; the process group was killed" % request["cpu_budget"], None, run, passed)
        if sig == signal.SIGXCPU:
            return verdict("timeout", "CPU time limit exceeded", None, run, passed)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        why = {signal.SIGXFSZ: " (output or file size limit of %d bytes exceeded)" % FILE_SIZE_LIMIT,
               signal.SIGKILL: " (killed: memory exhausted, or the candidate killed itself)"}.get(sig, "")
        return verdict("crash", "killed by %s%s" % (name, why), None, run, passed)
    code = os.WEXITSTATUS(status) if status is not None else -1
    return verdict("crash", "the candidate's process exited with code %d before answering "
                   "(os._exit, a killed parent, or a closed channel)" % code, None, run, passed)


# --- fast mode: the worker runs the tests itself ------------------------------------------------

STRICT_EQUAL_CODE = compile(STRICT_EQUAL, "<rslm _same>", "exec")
COMPILED_TESTS = {}


def compile_tests(kind, tests):
    """Compiles a task's assert lines or test module once per worker (the pipeline sends k
    candidates per task). Returns None when they do not compile."""
    key = (kind, tests if isinstance(tests, str) else tuple(tests))
    compiled = COMPILED_TESTS.get(key)
    if compiled is None:
        try:
            if kind == "asserts":
                compiled = [(compile(line, "<assert_tests[%d]>" % i, "exec"), line) for i, line in enumerate(tests)]
            else:
                compiled = compile(tests, "reference_tests.py", "exec")
        except SyntaxError:
            return None
        if len(COMPILED_TESTS) >= 512:
            COMPILED_TESTS.clear()
        COMPILED_TESTS[key] = compiled
    return compiled


LITERAL_CALLS = {}


def literal_calls_of(tests, compiled, name):
    """literal_calls, once per task and worker."""
    key = (name, tuple(tests))
    if key not in LITERAL_CALLS:
        if len(LITERAL_CALLS) >= 512:
            LITERAL_CALLS.clear()
        LITERAL_CALLS[key] = literal_calls(compiled, name)
    return LITERAL_CALLS[key]


class TestDeadline(BaseException):
    """The wall clock ran out while the worker ran a test's own code."""


def _on_alarm(signum, frame):
    raise TestDeadline


def run_fast(request, sandbox):
    """The light harness: assert lines, or the plain test functions of a module, called directly
    in this trusted process. Every test runs unless the candidate's process is gone."""
    compiled = compile_tests(request["kind"], request["tests"])
    if compiled is None:
        return verdict("infra", "the task's tests do not compile")
    name = request["function_name"]
    module = CandidateModule(sandbox, request["code"], name)
    try:
        module.load()
    except LoadFailed as failed:
        return verdict(failed.kind, failed.log, "import")
    if request["kind"] == "asserts":
        namespace = {"__name__": "__rslm_tests__", "__builtins__": builtins}
        exec(STRICT_EQUAL_CODE, namespace)
        calls = literal_calls_of(request["tests"], compiled, name)
        namespace[name] = getattr(module, name) if calls is None else Replay(sandbox, name, calls)
        tests = [("assert_tests[%d]: %s" % (i, line), _bind(namespace, code)) for i, (code, line) in enumerate(compiled)]
    else:
        tests_module = types.ModuleType("__rslm_tests__")
        sys.modules["solution"] = module
        try:
            exec(compiled, tests_module.__dict__)
        except CandidateGone:
            raise
        except BaseException as exc:  # noqa: BLE001
            return verdict("infra", "loading the tests failed:\n" + describe(exc, HARNESS_FILE), "import")
        tests = []
        for test_name, value in list(tests_module.__dict__.items()):
            if not test_name.startswith("test") or not callable(value):
                continue
            code = getattr(value, "__code__", None)
            if code is None or code.co_argcount or isinstance(value, type):
                return verdict("infra", "test %s needs pytest (fixtures, parameters or a class): use pytest mode" % test_name, test_name)
            tests.append((test_name, value))
        if not tests:
            return verdict("infra", "reference_tests defines no test functions")
    run = passed = 0
    first, first_kind, log = None, None, ""
    for test_name, test in tests:
        run += 1
        try:
            test()
            passed += 1
        except CandidateGone:
            raise
        except TestNeedsMore as exc:
            return verdict("infra", str(exc), test_name, run, passed)
        except BaseException as exc:  # noqa: BLE001 - TestDeadline propagates from the handler
            if isinstance(exc, TestDeadline):
                raise
            if first is None:
                first, first_kind, log = test_name, classify(exc), describe_failure(exc, sandbox)
    if passed == run:
        return verdict("pass", "", None, run, passed)
    return verdict(first_kind, log, first, run, passed)


def _bind(namespace, code):
    return lambda: exec(code, namespace)


# --- pytest mode: a forked judge runs real pytest -----------------------------------------------

# The parsed configuration (plugins loaded, options parsed) is the same for every candidate, so
# the worker builds it once for a fixed per-worker test path and every judge runs a session from
# its own copy. That saves about a quarter of pytest's cost. It relies on pytest's private
# `_prepareconfig`; if that fails, each judge runs pytest.main.
PYTEST_CONFIG = None
PYTEST_DIR = os.path.join(ROOT, "pytest-%d" % os.getpid())
PYTEST_FILE = os.path.join(PYTEST_DIR, "test_hidden.py")

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


def preload_pytest():
    import pytest
    import _pytest.assertion.rewrite  # noqa: F401
    import _pytest.python  # noqa: F401
    import _pytest.runner  # noqa: F401

    warm_up_pytest()
    global PYTEST_CONFIG
    if "pytest-config" not in DISABLED:
        try:
            from _pytest.config import _prepareconfig

            os.mkdir(PYTEST_DIR, 0o700)
            os.chdir(PYTEST_DIR)
            try:
                PYTEST_CONFIG = _prepareconfig(pytest_args(PYTEST_FILE, PYTEST_DIR), plugins=[])
                PYTEST_CONFIG.option.tbstyle = "native"
            finally:
                os.chdir(ROOT)
        except Exception as exc:  # noqa: BLE001 - fall back to pytest.main per candidate
            sys.stderr.write("rslm worker: no reusable pytest config (%s: %s)\n" % (type(exc).__name__, exc))
            PYTEST_CONFIG = None
    return {"pytest": pytest.__version__, "pytest_config_reused": PYTEST_CONFIG is not None}


def warm_up_pytest():
    """One real pytest run in the worker, so the lazy imports and caches are paid once."""
    import pytest

    folder = os.path.join(ROOT, "warmup-%d" % os.getpid())
    os.mkdir(folder, 0o700)
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


def run_pytest(request, sandbox, deadline):
    """Forks a judge that runs pytest on the hidden tests (in this worker's private directory,
    which the candidate cannot read) and reports its outcome on a pipe."""
    folder = None
    reuse = PYTEST_CONFIG is not None
    if reuse:
        try:
            if os.path.lexists(PYTEST_DIR):
                shutil.rmtree(PYTEST_DIR)
            os.mkdir(PYTEST_DIR, 0o700)
            folder = PYTEST_DIR
        except OSError:
            reuse = False
    if folder is None:
        folder = os.path.join(ROOT, "judge-%d-%d" % (os.getpid(), sandbox.pid))
        os.mkdir(folder, 0o700)
    test_path = PYTEST_FILE if reuse else os.path.join(folder, "test_hidden.py")
    with open(test_path, "w", encoding="utf-8") as f:
        f.write(request["tests"])
    result_r, result_w = os.pipe()
    worker = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(result_r)
            judge_main(request, sandbox, test_path, folder, reuse, result_w, worker)
        finally:
            os._exit(70)
    os.close(result_w)
    raw, timed_out = read_until(result_r, pid, deadline)
    os.close(result_r)
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass
    _, status = os.waitpid(pid, 0)
    if folder != PYTEST_DIR:
        shutil.rmtree(folder, ignore_errors=True)
    if timed_out:
        sandbox.gone = "timeout"
        raise CandidateGone("timeout")
    try:
        report = json.loads(raw)
    except ValueError:
        return verdict("infra", "the pytest judge ended without a report (status %d)" % status)
    if report.get("gone"):
        sandbox.gone = report["gone"]
        raise CandidateGone(sandbox.gone)
    return report["verdict"]


def read_until(fd, pid, deadline):
    """Reads the judge's report until it closes the pipe, or the deadline."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"", True
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return b"", True
        data = os.read(fd, 65536)
        if not data:
            return b"".join(chunks), False
        chunks.append(data)


def judge_main(request, sandbox, test_path, folder, reuse, result_w, worker):
    """The pytest judge: trusted, forked from the worker per candidate. Its only link to the
    candidate is the sandbox channel."""
    os.setpgid(0, 0)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != worker:
        os._exit(71)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    os.close(ZYGOTE.sock.fileno())
    os.chdir(folder)
    os.environ["HOME"] = folder
    os.environ["TMPDIR"] = folder
    if "tempfile" in sys.modules:
        sys.modules["tempfile"].tempdir = folder
    sys.argv = ["pytest"]

    def hide_tests():
        try:
            os.unlink(test_path)
        except FileNotFoundError:
            pass

    module = CandidateModule(sandbox, request["code"], request["function_name"], hide_tests)
    sys.modules["solution"] = module
    plugin = PytestPlugin(module, hide_tests)
    result = None
    try:
        import pytest

        if reuse:
            PYTEST_CONFIG.pluginmanager.register(plugin, "rslm")
            code = PYTEST_CONFIG.hook.pytest_cmdline_main(config=PYTEST_CONFIG)
        else:
            code = pytest.main(pytest_args(test_path, folder), plugins=[plugin])
        result = plugin.verdict(int(code))
    except LoadFailed as failed:
        result = verdict(failed.kind, failed.log, "import")
    except CandidateGone:
        pass
    except BaseException as exc:  # noqa: BLE001
        result = verdict("error" if sandbox.calls else "infra", "pytest stopped:\n" + describe(exc, HARNESS_FILE),
                         plugin.first, plugin.run, plugin.passed)
    if plugin.load_failed is not None:
        result = verdict(plugin.load_failed.kind, plugin.load_failed.log, "import")
    report = {"verdict": result, "gone": sandbox.gone}
    if sandbox.gone:
        report["verdict"] = verdict("error", "", None, plugin.run, plugin.passed)
    data = json.dumps(report).encode()
    while data:
        data = data[os.write(result_w, data):]
    os._exit(0)


class PytestPlugin:
    """Hides the test file once collected, loads the candidate (its errors are stage `import`),
    and records outcomes from pytest's reports."""

    def __init__(self, module, hide_tests):
        self.module, self.hide_tests = module, hide_tests
        self.collected, self.run, self.passed = 0, 0, 0
        self.first, self.first_kind, self.log = None, None, ""
        self.last_exception = None
        self.load_failed = None
        self.collect_error = None

    def pytest_configure(self, config):
        # Native tracebacks (`--tb` belongs to the disabled terminal plugin): pytest's own style
        # re-reads and parses the source of every frame, a quarter of a second per failure.
        config.option.tbstyle = "native"

    def pytest_collection_finish(self, session):
        self.collected = len(session.items)
        self.hide_tests()
        if self.collected:
            try:
                self.module.load()
            except LoadFailed as failed:
                self.load_failed = failed
                session.shouldstop = "the candidate did not load"

    def pytest_collectreport(self, report):
        if report.failed and self.collect_error is None:
            self.collect_error = "collecting the tests failed:\n" + (report.longreprtext or "")[-LOG_CAP:]

    def pytest_runtest_makereport(self, item, call):
        if call.when == "call" or call.excinfo is not None:
            self.last_exception = call.excinfo.value if call.excinfo is not None else None

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.failed and report.when == "setup"):
            self.run += 1
            if report.passed and report.when == "call":
                self.passed += 1
            elif self.first is None:
                self.first = report.nodeid.split("::")[-1]
                exc = self.last_exception
                if exc is not None:
                    self.log = describe_failure(exc, self.module.__dict__["_rslm"][0])
                else:
                    self.log = (getattr(report, "longreprtext", "") or "")[-LOG_CAP:]
                self.first_kind = "fail" if (isinstance(exc, AssertionError) or report.skipped) else "error"
                if isinstance(exc, TestNeedsMore):
                    self.first_kind = "infra"
                if report.skipped:
                    self.log = "test skipped: " + self.log

    def verdict(self, code):
        if not self.collected:
            return verdict("infra", self.collect_error or "pytest collected no tests (exit code %d)" % code, "collection")
        if self.run == self.collected and self.passed == self.run and code == 0:
            return verdict("pass", "", None, self.run, self.passed)
        if self.first is None:
            return verdict("error", "pytest exit code %d before every test ran" % code, "session", self.run, self.passed)
        return verdict(self.first_kind, self.log, self.first, self.run, self.passed)


# --- one candidate, start to end ---------------------------------------------------------------

ZYGOTE = None
HARNESS_FILE = os.path.abspath(__file__)


def handle(request):
    started = time.monotonic()
    deadline = started + float(request["timeout"])
    try:
        pid, folder, fd = ZYGOTE.fork(request)
    except (ZygoteGone, OSError) as exc:
        result = verdict("infra", "no candidate process: %s" % exc)
        result["retire"] = True
        return result
    # rslm learns the candidate's pid (its process group) before any of its code runs.
    send({"started": pid})
    sandbox = Sandbox(fd, pid, deadline, float(request["cpu_budget"]))
    # The candidate's waits may be extended while it is runnable (see Channel); the tests' own
    # code (here in fast mode, in the judge in pytest mode) gets until the last extension.
    final = deadline + Channel.EXTENSIONS * float(request["timeout"])
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    if request["kind"] != "pytest":
        signal.setitimer(signal.ITIMER_REAL, max(final - time.monotonic(), 0.001))
    try:
        if request["kind"] == "pytest":
            result = run_pytest(request, sandbox, final)
        else:
            result = run_fast(request, sandbox)
    except CandidateGone:
        result = None
    except TestDeadline:
        sandbox.gone = "timeout"
        result = None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.modules.pop("solution", None)
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os.close(fd)
    retire = False
    try:
        status, strays = ZYGOTE.reap(pid)
    except (ZygoteGone, OSError):
        status, strays, retire = None, 0, True
    if result is None:
        result = gone_verdict(sandbox.gone, status, request, 0, 0)
    elif sandbox.gone is not None and result["verdict"] == "pass":
        result = gone_verdict(sandbox.gone, status, request, result["tests_run"], result["tests_passed"])
    if retire and result["verdict"] == "pass":
        result = verdict("crash", "the candidate's zygote died while it ran")
    output = read_head(OUTPUT_FILE)
    if output:
        result["log"] = (result["log"] + "\n--- output ---\n" + output).strip()
    if strays:
        result["log"] += "\n[rslm: killed %d stray process(es) left by the candidate]" % strays
    # Lone surrogates (e.g. in a candidate's exception message) are valid for Python's json but
    # not for rslm's parser: replace them, or a candidate could turn its failure into `infra`.
    result["log"] = str(result["log"])[:LOG_CAP].encode("utf-8", "replace").decode("utf-8")
    if result.get("first_failure") is not None:
        result["first_failure"] = str(result["first_failure"]).encode("utf-8", "replace").decode("utf-8")
    result["duration_ms"] = (time.monotonic() - started) * 1000.0
    result["retire"] = retire
    empty_for_the_next(folder)
    return result


def empty_for_the_next(folder):
    """Leaves the candidates' directory empty for the next one, so nothing a candidate wrote
    reaches another: what it left is removed, and a directory that cannot be emptied (made
    unreadable, say) is moved aside for the zygote to make a fresh one."""
    try:
        if not os.listdir(folder):
            return
        shutil.rmtree(folder)
        return
    except OSError:
        pass
    try:
        os.rename(folder, "%s-trash-%s" % (folder, os.urandom(6).hex()))
    except OSError:
        pass


def read_head(path):
    """The start of a candidate's output. Not through a link: without Landlock a candidate could
    have put one in its place, pointing at a file it cannot read itself."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return ""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ""
        head = os.read(fd, OUTPUT_CAP + 1)
        total = info.st_size
    except OSError:
        return ""
    finally:
        os.close(fd)
    text = head[:OUTPUT_CAP].decode("utf-8", "replace")
    if total > OUTPUT_CAP:
        text += "\n[output truncated: %d bytes in all]" % total
    return text.strip()


def send(obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(1, data):]


READ_PATHS = []
# The candidates' directory (reused, emptied after each) and their output, below this worker's
# directory.
CANDIDATES = os.path.join(ROOT, "candidates-%d" % os.getpid())
OUTPUT_FILE = os.path.join(CANDIDATES, "output")
# The uid candidates run as when rslm runs as root (`nobody`); None: the user's own.
NOBODY = 65534
UNPRIVILEGED = NOBODY if hasattr(os, "getuid") and os.getuid() == 0 and "uid" not in DISABLED else None


def main():
    global ZYGOTE, READ_PATHS
    sys.dont_write_bytecode = True
    # Nobody of this user may read this process's memory or /proc files: it holds the tests.
    prctl(PR_SET_DUMPABLE, 0)
    try:
        READ_PATHS = python_read_paths()
        os.mkdir(CANDIDATES, 0o700)
        if UNPRIVILEGED is not None:
            # If the zygote changes to nobody, it makes the candidates' dirs in CANDIDATES;
            # the rest of the worker's directory (harness, hidden test files) stays root's
            # alone: traversable, not listable or readable.
            os.chmod(ROOT, 0o711)
        # The zygote is forked before pytest is imported (candidates stay lean) and before any
        # request arrives (its memory never holds a test).
        ZYGOTE = Zygote()
        extra = preload_pytest() if MODE == "pytest" else {}
    except BaseException as exc:  # noqa: BLE001
        send({"ready": False, "error": "%s: %s" % (type(exc).__name__, exc)})
        return
    isolation = dict(ZYGOTE.isolation)
    isolation["trusted_judge"] = True
    send(dict({"ready": True, "isolation": isolation, "python": sys.version.split()[0], "pid": os.getpid()}, **extra))
    stdin = os.fdopen(0, "rb", buffering=1 << 16)
    while True:
        line = stdin.readline()
        if not line:  # rslm is done with this worker: the zygote goes first
            ZYGOTE.sock.close()
            os.waitpid(ZYGOTE.pid, 0)
            return
        request = json.loads(line)
        try:
            result = handle(request)
        except BaseException as exc:  # noqa: BLE001 - a worker bug is an infra verdict, not a hang
            result = verdict("infra", "worker error:\n" + describe(exc))
            result["duration_ms"] = 0.0
            result["retire"] = True
        send(result)
        if result.get("retire"):
            return

