
# --- spawned candidates: where the worker cannot fork ---------------------------------------------
#
# Appended to harness.py (rslm builds the worker as `[confine.py +] harness.py + spawned.py`). On
# Windows there is no fork, and on macOS the zygote's Linux layers (prctl, namespaces, cgroups,
# /proc) do not exist, so there the worker starts each candidate's process as a fresh interpreter
# running this same file in the candidate's role (`"candidate"` in its config). The verdict design
# is unchanged: the worker holds the tests and decides; the candidate's process gets only the
# source and calls carrying plain data, over a socket, and answers with plain data. What confines
# it differs by platform and is reported as such:
#
# - POSIX (macOS; Linux with RSLM_VERIFY_DISABLE=fork, which the tests use): its own session and
#   process group (killed as a whole), rlimits (CPU, address space where the kernel enforces it,
#   file size, open files, no core files), SIGPROF at its CPU budget, a scrubbed environment in
#   its own directory.
# - Windows: a Job Object per candidate, assigned before the candidate's source is sent: killed
#   as a whole when the worker closes it (or dies), at most PIDS_LIMIT processes, a memory limit,
#   a user-time limit (budget plus one second, the backstop of a CPU-time watchdog thread that
#   ends the candidate at its budget), and breakaway refused. Before it receives the source the
#   candidate lowers its own token to Low integrity: a process of the same user at Medium (the
#   worker, rslm) then refuses it the rights to read its memory or duplicate its handles (the
#   pipe to rslm among them), and it cannot write files outside Low-labelled folders. Without
#   that, any same-user process could read the tests out of the worker; if it fails, every
#   candidate is an `infra` verdict, never unconfined.
#
# Both: stdout and stderr go to a pipe that the worker drains, keeping OUTPUT_CAP bytes, so no
# output reaches a disk. pytest mode runs pytest in the worker itself (no fork for a judge), with
# the hidden test file removed once collected, as the forked judge does.

import subprocess  # noqa: E402
import threading  # noqa: E402

ROLE = CONFIG.get("candidate")
WINDOWS = os.name == "nt"
# Exit code of a candidate that its CPU-time watchdog ended (Windows), and of one whose set-up
# failed before any of its code ran.
BUDGET_EXIT = 124
SETUP_EXIT = 71
JOB_TIME_SLACK = 1.0


class SocketChannel(Channel):
    """Channel over a socket object: on Windows a socket is not a file descriptor, so reads and
    writes go through the socket itself (select works on sockets everywhere)."""

    def __init__(self, sock, deadline=None, pid=None, cpu_budget=0.0):
        self.sock = sock
        Channel.__init__(self, -1, None, pid, cpu_budget)
        self.deadline = deadline
        if deadline is not None:
            sock.setblocking(False)
            self.period = max(deadline - time.monotonic(), 0.001)

    def _wait(self, for_write):
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining > 0:
                ready = select.select([], [self.sock], [], remaining) if for_write else select.select([self.sock], [], [], remaining)
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
                data = data[self.sock.send(data):]
            except BlockingIOError:
                continue

    def _read(self, size):
        while len(self.buffer) < size:
            if self.deadline is not None:
                self._wait(False)
            try:
                chunk = self.sock.recv(max(65536, size - len(self.buffer)))
            except BlockingIOError:
                continue
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


class SpawnedSandbox(Sandbox):
    def __init__(self, sock, pid, deadline, cpu_budget):
        Sandbox.__init__(self, -1, pid, None, cpu_budget)
        self.sock = sock
        self.channel = SocketChannel(sock, deadline, pid, cpu_budget)


class OutputDrain:
    """Reads a candidate's stdout and stderr (one pipe) to its end, keeping the first
    OUTPUT_CAP + 1 bytes and counting the rest. Past FILE_SIZE_LIMIT bytes it ends the candidate,
    as the file-size limit does on the forking path: no output fills a disk or a log."""

    def __init__(self, pipe, kill):
        self.pipe, self.kill, self.head, self.total = pipe, kill, b"", 0
        self.exceeded, self.finished, self.lock = False, False, threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                chunk = self.pipe.read1(65536) if WINDOWS else os.read(self.pipe.fileno(), 65536)
                if not chunk:
                    break
                if len(self.head) <= OUTPUT_CAP:
                    self.head += chunk[:OUTPUT_CAP + 1 - len(self.head)]
                self.total += len(chunk)
                if self.total > FILE_SIZE_LIMIT and not self.exceeded:
                    with self.lock:
                        if not self.finished:
                            self.exceeded = True
                            self.kill()
        except (OSError, ValueError):
            pass

    def finish(self):
        """No kill after this: the candidate is being reaped (its job handle closed)."""
        with self.lock:
            self.finished = True

    def text(self, wait):
        self.thread.join(wait)
        text = self.head[:OUTPUT_CAP].decode("utf-8", "replace")
        if self.total > OUTPUT_CAP:
            text += "\n[output truncated: %d bytes in all]" % self.total
        return text.strip()


# --- Windows Job Objects, through ctypes (the worker runs no compiled code of its own) ------------

class JobObjects:
    """CreateJobObjectW and friends. Each candidate gets its own job; the worker holds the only
    handle, so the job (and every process in it) is killed when the worker closes it or dies."""

    EXTENDED_LIMIT_INFORMATION = 9
    BASIC_ACCOUNTING_INFORMATION = 1
    LIMIT_JOB_TIME = 0x4
    LIMIT_ACTIVE_PROCESS = 0x8
    LIMIT_JOB_MEMORY = 0x200
    LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x400
    LIMIT_KILL_ON_JOB_CLOSE = 0x2000
    PROCESS_SET_QUOTA = 0x0100
    PROCESS_TERMINATE = 0x0001

    def __init__(self):
        from ctypes import wintypes

        class Basic(ctypes.Structure):
            _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                        ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                        ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                        ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                        ("SchedulingClass", wintypes.DWORD)]

        class Extended(ctypes.Structure):
            _fields_ = [("BasicLimitInformation", Basic), ("IoInfo", ctypes.c_uint64 * 6),
                        ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                        ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]

        class Accounting(ctypes.Structure):
            _fields_ = [("TotalUserTime", ctypes.c_int64), ("TotalKernelTime", ctypes.c_int64),
                        ("ThisPeriodTotalUserTime", ctypes.c_int64), ("ThisPeriodTotalKernelTime", ctypes.c_int64),
                        ("TotalPageFaultCount", wintypes.DWORD), ("TotalProcesses", wintypes.DWORD),
                        ("ActiveProcesses", wintypes.DWORD), ("TotalTerminatedProcesses", wintypes.DWORD)]

        self.Extended, self.Accounting = Extended, Accounting
        k = ctypes.WinDLL("kernel32", use_last_error=True)
        self.create = k.CreateJobObjectW
        self.create.restype, self.create.argtypes = wintypes.HANDLE, [ctypes.c_void_p, wintypes.LPCWSTR]
        self.set_info = k.SetInformationJobObject
        self.set_info.restype = wintypes.BOOL
        self.set_info.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD]
        self.query_info = k.QueryInformationJobObject
        self.query_info.restype = wintypes.BOOL
        self.query_info.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD, ctypes.c_void_p]
        self.assign = k.AssignProcessToJobObject
        self.assign.restype, self.assign.argtypes = wintypes.BOOL, [wintypes.HANDLE, wintypes.HANDLE]
        self.open_process = k.OpenProcess
        self.open_process.restype = wintypes.HANDLE
        self.open_process.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
        self.terminate = k.TerminateJobObject
        self.terminate.restype, self.terminate.argtypes = wintypes.BOOL, [wintypes.HANDLE, wintypes.UINT]
        self.close = k.CloseHandle
        self.close.restype, self.close.argtypes = wintypes.BOOL, [wintypes.HANDLE]

    def _error(self, what):
        return OSError("%s failed (Windows error %d)" % (what, ctypes.get_last_error()))

    def make(self, limits):
        """A new job with the candidate's limits; raises OSError when any cannot be set."""
        job = self.create(None, None)
        if not job:
            raise self._error("CreateJobObjectW")
        info = self.Extended()
        basic = info.BasicLimitInformation
        basic.LimitFlags = (self.LIMIT_KILL_ON_JOB_CLOSE | self.LIMIT_ACTIVE_PROCESS | self.LIMIT_JOB_TIME
                            | self.LIMIT_DIE_ON_UNHANDLED_EXCEPTION)
        basic.ActiveProcessLimit = PIDS_LIMIT
        basic.PerJobUserTimeLimit = int((float(limits["cpu_budget"]) + JOB_TIME_SLACK) * 1e7)  # 100 ns units
        if limits.get("memory_mb"):
            basic.LimitFlags |= self.LIMIT_JOB_MEMORY
            info.JobMemoryLimit = int(limits["memory_mb"]) << 20
        if not self.set_info(job, self.EXTENDED_LIMIT_INFORMATION, ctypes.byref(info), ctypes.sizeof(info)):
            error = self._error("SetInformationJobObject")
            self.close(job)
            raise error
        return job

    def adopt(self, job, pid):
        process = self.open_process(self.PROCESS_SET_QUOTA | self.PROCESS_TERMINATE, False, pid)
        if not process:
            raise self._error("OpenProcess")
        try:
            if not self.assign(job, process):
                raise self._error("AssignProcessToJobObject")
        finally:
            self.close(process)

    def user_seconds(self, job):
        info = self.Accounting()
        if not self.query_info(job, self.BASIC_ACCOUNTING_INFORMATION, ctypes.byref(info), ctypes.sizeof(info), None):
            return 0.0
        return info.TotalUserTime / 1e7

    def kill(self, job):
        self.terminate(job, 1)
        self.close(job)


JOBS = None


def lower_to_low_integrity():
    """Sets this process's own token to Low integrity (S-1-16-4096); raises OSError if it cannot."""
    from ctypes import wintypes

    advapi = ctypes.WinDLL("advapi32", use_last_error=True)
    kernel = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel.GetCurrentProcess.restype = wintypes.HANDLE
    advapi.OpenProcessToken.argtypes = [wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE)]
    advapi.ConvertStringSidToSidW.argtypes = [wintypes.LPCWSTR, ctypes.POINTER(ctypes.c_void_p)]
    advapi.GetLengthSid.argtypes = [ctypes.c_void_p]
    advapi.GetLengthSid.restype = wintypes.DWORD
    advapi.SetTokenInformation.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD]

    class SidAndAttributes(ctypes.Structure):
        _fields_ = [("Sid", ctypes.c_void_p), ("Attributes", wintypes.DWORD)]

    token_adjust_default, token_query, token_integrity_level, se_group_integrity = 0x0080, 0x0008, 25, 0x20
    token = wintypes.HANDLE()
    if not advapi.OpenProcessToken(kernel.GetCurrentProcess(), token_adjust_default | token_query, ctypes.byref(token)):
        raise OSError("OpenProcessToken failed (Windows error %d)" % ctypes.get_last_error())
    sid = ctypes.c_void_p()
    if not advapi.ConvertStringSidToSidW("S-1-16-4096", ctypes.byref(sid)):
        raise OSError("ConvertStringSidToSidW failed (Windows error %d)" % ctypes.get_last_error())
    label = SidAndAttributes(sid, se_group_integrity)
    size = ctypes.sizeof(label) + advapi.GetLengthSid(sid)
    if not advapi.SetTokenInformation(token, token_integrity_level, ctypes.byref(label), size):
        raise OSError("SetTokenInformation(TokenIntegrityLevel) failed (Windows error %d)" % ctypes.get_last_error())


# --- the worker's side -------------------------------------------------------------------------

class Spawner:
    """The zygote's stand-in where candidates are spawned: the same `fork(request)` and
    `reap(pid)`, each candidate a fresh interpreter."""

    def __init__(self):
        self.running = {}
        self.isolation = spawned_isolation()

    def interpreter_args(self):
        args = [sys.executable, "-S" if sys.flags.no_site else "-s"]
        if getattr(sys.flags, "safe_path", False):
            args.append("-P")
        return args

    def fork(self, request):
        folder = os.path.join(CANDIDATES, "c")
        if not os.path.isdir(folder):
            os.mkdir(folder, 0o700)
        limits = {k: request[k] for k in ("cpu_budget", "timeout", "memory_mb")}
        ours, theirs = socket.socketpair()
        spec = {"folder": folder, "limits": limits, "fd": None if WINDOWS else theirs.fileno()}
        config = dict(CONFIG, candidate=spec)
        env = dict(os.environ, HOME=folder, TMPDIR=folder, TEMP=folder, TMP=folder, USERPROFILE=folder)
        options = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW} if WINDOWS \
            else {"start_new_session": True, "pass_fds": (theirs.fileno(),)}
        job = None
        try:
            if WINDOWS:
                job = JOBS.make(limits)
            proc = subprocess.Popen(self.interpreter_args() + [HARNESS_FILE, json.dumps(config)], cwd=folder, env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    close_fds=True, **options)
        except (OSError, ValueError) as exc:
            if job is not None:
                JOBS.kill(job)
            ours.close()
            theirs.close()
            raise ZygoteGone("cannot start a candidate process: %s" % exc)
        drain = OutputDrain(proc.stdout, lambda: self._kill(proc, job))
        try:
            if WINDOWS:
                # In its job before it can receive the source: none of its code runs unconfined.
                JOBS.adopt(job, proc.pid)
                proc.stdin.write(theirs.share(proc.pid))
            proc.stdin.close()
        except OSError as exc:
            drain.finish()
            self._end(proc, job)
            ours.close()
            theirs.close()
            raise ZygoteGone("cannot confine the candidate process: %s" % exc)
        theirs.close()
        self.running[proc.pid] = (proc, job, drain, ours)
        return proc.pid, folder, ours

    def _kill(self, proc, job):
        """Kills the candidate and whatever it started (its job, or its process group)."""
        if job is not None:
            JOBS.terminate(job, 1)
        elif not WINDOWS:
            for kill in (os.killpg, os.kill):
                try:
                    kill(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
        try:
            proc.kill()
        except OSError:
            pass

    def _end(self, proc, job):
        self._kill(proc, job)
        proc.wait()
        if job is not None:
            JOBS.close(job)

    def reap(self, pid):
        """Kills the candidate (its whole group or job) and waits for it: (exit code, CPU seconds
        its job used on Windows, its output)."""
        proc, job, drain, sock = self.running.pop(pid)
        used = JOBS.user_seconds(job) if job is not None else 0.0
        drain.finish()
        self._end(proc, job)
        sock.close()
        return proc.returncode, used, drain


def spawned_isolation():
    """What confines a spawned candidate here, tried once at start so the report is true."""
    iso = {"process_group": not WINDOWS, "rlimits": not WINDOWS, "caps_dropped": False, "subreaper": False,
           "network_namespace": False, "proc_hidden": False, "separate_uid": False, "landlock_abi": 0,
           "landlock_reads": False, "seccomp": False, "pids_limit": 0, "pids_cgroup_version": None,
           "pids_cgroup": None, "pidfd": False, "spawned": True, "job_object": False,
           "low_integrity": False, "no_proc": not os.path.isdir("/proc")}
    if WINDOWS:
        global JOBS
        JOBS = JobObjects()
        JOBS.close(JOBS.make({"cpu_budget": 1, "memory_mb": 64}))
        iso["job_object"] = True
        iso["low_integrity"] = True
        iso["pids_limit"] = PIDS_LIMIT
    return iso


def spawned_verdict(why, code, used, drain, request, run, passed):
    """The verdict when a spawned candidate stopped answering: its output or exit code says why."""
    if drain.exceeded:
        return verdict("crash", "killed: output limit of %d bytes exceeded" % FILE_SIZE_LIMIT, None, run, passed)
    if why != "died" or not WINDOWS:
        # POSIX: a negative return code is the signal that ended it, as a wait status says.
        status = None if code is None else (-code if code < 0 else code << 8)
        if why == "died" and code == BUDGET_EXIT:
            return verdict("timeout", "CPU time budget of %gs used up" % request["cpu_budget"], None, run, passed)
        return gone_verdict(why, status, request, run, passed)
    if code == BUDGET_EXIT or used >= float(request["cpu_budget"]):
        return verdict("timeout", "CPU time budget of %gs used up; its job was killed" % request["cpu_budget"], None, run, passed)
    return verdict("crash", "the candidate's process exited with code %s before answering "
                   "(a limit of its job, os._exit, or a closed channel)" % code, None, run, passed)


def run_pytest_here(request, sandbox):
    """pytest in the worker itself: the spawned path's judge. The test module and whatever it
    imported are dropped afterwards, so no candidate's session leaks into the next."""
    import io
    import pytest

    folder = os.path.join(ROOT, "judge-%d" % os.getpid())
    if os.path.lexists(folder):
        shutil.rmtree(folder, ignore_errors=True)
    os.mkdir(folder, 0o700)
    test_path = os.path.join(folder, "test_hidden.py")
    with open(test_path, "w", encoding="utf-8") as f:
        f.write(request["tests"])

    def hide_tests():
        try:
            os.unlink(test_path)
        except FileNotFoundError:
            pass

    module = CandidateModule(sandbox, request["code"], request["function_name"], hide_tests)
    modules, path, cwd = set(sys.modules), list(sys.path), os.getcwd()
    streams = sys.stdout, sys.stderr
    sys.modules["solution"] = module
    plugin = PytestPlugin(module, hide_tests)
    sys.stdout = sys.stderr = io.StringIO()  # fd 1 is rslm's channel: a test's print must not reach it
    os.chdir(folder)
    try:
        code = pytest.main(pytest_args(test_path, folder), plugins=[plugin])
        result = plugin.verdict(int(code))
    except LoadFailed as failed:
        result = verdict(failed.kind, failed.log, "import")
    except CandidateGone:
        raise
    except TestDeadline:
        raise
    except BaseException as exc:  # noqa: BLE001
        result = verdict("error" if sandbox.calls else "infra", "pytest stopped:\n" + describe(exc, HARNESS_FILE),
                         plugin.first, plugin.run, plugin.passed)
    finally:
        sys.stdout, sys.stderr = streams
        os.chdir(cwd)
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            where = getattr(sys.modules[name], "__file__", None) or ""
            if name in ("test_hidden", "conftest") or where.startswith(folder):
                sys.modules.pop(name, None)
        shutil.rmtree(folder, ignore_errors=True)
    if plugin.load_failed is not None:
        result = verdict(plugin.load_failed.kind, plugin.load_failed.log, "import")
    if sandbox.gone:
        raise CandidateGone(sandbox.gone)
    return result


def handle_spawned(request):
    """`handle` for a spawned candidate: start it, run the tests here, end it, decide."""
    started = time.monotonic()
    deadline = started + float(request["timeout"])
    try:
        pid, folder, sock = ZYGOTE.fork(request)
    except (ZygoteGone, OSError) as exc:
        return verdict("infra", "no candidate process: %s" % exc)
    send({"started": pid})
    sandbox = SpawnedSandbox(sock, pid, deadline, float(request["cpu_budget"]))
    final = deadline + Channel.EXTENSIONS * float(request["timeout"])
    alarm = hasattr(signal, "SIGALRM")
    if alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(final - time.monotonic(), 0.001))
    try:
        if request["kind"] == "pytest":
            result = run_pytest_here(request, sandbox)
        else:
            result = run_fast(request, sandbox)
    except CandidateGone:
        result = None
    except TestDeadline:
        sandbox.gone = "timeout"
        result = None
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        sys.modules.pop("solution", None)
    code, used, drain = ZYGOTE.reap(pid)
    if result is None:
        result = spawned_verdict(sandbox.gone, code, used, drain, request, 0, 0)
    elif (sandbox.gone is not None or drain.exceeded) and result["verdict"] == "pass":
        result = spawned_verdict(sandbox.gone, code, used, drain, request, result["tests_run"], result["tests_passed"])
    output = drain.text(5.0)
    if output:
        result["log"] = (result["log"] + "\n--- output ---\n" + output).strip()
    result["log"] = str(result["log"])[:LOG_CAP].encode("utf-8", "replace").decode("utf-8")
    if result.get("first_failure") is not None:
        result["first_failure"] = str(result["first_failure"]).encode("utf-8", "replace").decode("utf-8")
    result["duration_ms"] = (time.monotonic() - started) * 1000.0
    result["retire"] = False
    empty_for_the_next(folder)
    return result


def spawned_main():
    global ZYGOTE
    sys.dont_write_bytecode = True
    if LIBC is not None and hasattr(LIBC, "prctl"):
        prctl(PR_SET_DUMPABLE, 0)  # Linux: as the forking worker, its memory holds the tests
    try:
        os.mkdir(CANDIDATES, 0o700)
        ZYGOTE = Spawner()
        extra = {}
        if MODE == "pytest":
            import pytest

            warm_up_pytest()
            extra = {"pytest": pytest.__version__, "pytest_config_reused": False}
    except BaseException as exc:  # noqa: BLE001
        send({"ready": False, "error": "%s: %s" % (type(exc).__name__, exc)})
        return
    isolation = dict(ZYGOTE.isolation, trusted_judge=True)
    send(dict({"ready": True, "isolation": isolation, "python": sys.version.split()[0], "pid": os.getpid()}, **extra))
    stdin = os.fdopen(0, "rb", buffering=1 << 16)
    while True:
        line = stdin.readline()
        if not line:
            return
        try:
            result = handle_spawned(json.loads(line))
        except BaseException as exc:  # noqa: BLE001 - a worker bug is an infra verdict, not a hang
            result = verdict("infra", "worker error:\n" + describe(exc))
            result["duration_ms"] = 0.0
            result["retire"] = True
        send(result)
        if result.get("retire"):
            return


# --- the spawned candidate's side --------------------------------------------------------------

def spawned_candidate_main(spec):
    """Confines itself as far as this platform lets a process do it alone (the worker has put it
    in its job on Windows), then receives the source and answers calls."""
    limits = spec["limits"]
    try:
        if WINDOWS:
            sock = socket.fromshare(sys.stdin.buffer.read())
        else:
            sock = socket.socket(fileno=spec["fd"])
            if LIBC is not None and hasattr(LIBC, "prctl"):
                prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(spec["folder"])
        if resource is not None:
            cpu = int(float(limits["timeout"])) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if limits.get("memory_mb"):
                limit = int(limits["memory_mb"]) << 20
                try:
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                except (ValueError, OSError):
                    pass  # macOS does not enforce an address-space limit
    except BaseException:  # noqa: BLE001 - no candidate code has run; the worker sees it die
        os._exit(SETUP_EXIT)
    channel = SocketChannel(sock)
    if WINDOWS:
        try:
            lower_to_low_integrity()
        except OSError as exc:
            channel.send(["infra", "confining the candidate failed: %s" % exc])
            os._exit(0)
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_PROF, float(limits["cpu_budget"]))
    else:
        watch_cpu_budget(float(limits["cpu_budget"]))
    sys.argv = ["solution.py"]
    serve(channel)


def watch_cpu_budget(budget):
    """Windows has no SIGPROF: a thread ends the process once its CPU time passes the budget.
    Code that holds the GIL past it meets its job's user-time limit instead."""
    start = time.process_time()

    def watch():
        while time.process_time() - start < budget:
            time.sleep(0.005)
        os._exit(BUDGET_EXIT)

    threading.Thread(target=watch, daemon=True).start()


def entry():
    if ROLE is not None:
        spawned_candidate_main(ROLE)
    elif CONFIG.get("spawn"):
        spawned_main()
    else:
        main()


if __name__ == "__main__":
    entry()
