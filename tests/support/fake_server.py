"""A fake model server for the process-management tests of `rslm server` and `self-improve
--serve command`: it serves a tiny OpenAI API on 127.0.0.1:PORT, forks a helper that sleeps
(as real servers fork workers) so that stopping must reach the whole process group, and writes
the pids of both to a file so a test can check that none is left.

    fake_server.py --port PORT --pids FILE [--exit-at-start] [--never-ready]
"""

import argparse
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pids", required=True)
    ap.add_argument("--exit-at-start", action="store_true")
    ap.add_argument("--never-ready", action="store_true")
    args = ap.parse_args()

    helper = os.fork()
    if helper == 0:
        # The helper ignores SIGTERM, as a stuck worker would: only SIGKILL ends it.
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(3600)
    with open(args.pids + ".tmp", "w") as f:
        json.dump({"server": os.getpid(), "helper": helper}, f)
    os.replace(args.pids + ".tmp", args.pids)
    if args.exit_at_start:
        sys.exit(1)
    adapters = [a for a in os.environ.get("RSLM_SERVER_ADAPTERS", "").split(",") if a]
    loaded = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, code, payload):
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if args.never_ready:
                self.send(503, {"error": "loading"})
            elif self.path == "/v1/models":
                self.send(200, {"data": [{"id": "fake-served"}]})
            elif self.path == "/lora-adapters":
                self.send(200, [{"id": i, "path": a.split("=", 1)[1]} for i, a in enumerate(adapters)])
            else:
                self.send(404, {"error": "no such path"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/v1/load_lora_adapter":
                loaded.append(request["lora_name"])
                self.send(200, {"loaded": request["lora_name"]})
            elif self.path == "/v1/chat/completions":
                n = request.get("n", 1)
                text = "```python\ndef f(*a):\n    return 0\n```"
                self.send(200, {
                    "choices": [{"index": i, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"} for i in range(n)],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1},
                })
            else:
                self.send(404, {"error": "no such path"})

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
