#!/usr/bin/env python3
"""Base model against adapter, answer by answer: what the adapter changed in the text.

Asks a running llama.cpp server (scripts/model_server.sh start --lora FILE) for every task of a
promote-adapter result (--output JSON) twice at temperature 0 - every loaded adapter at scale 0
(the base model) and adapter ID at scale 1 - with the prompt rslm sends (src/prompt.rs, no
memory), and counts the habits that make an answer fail verification although its function may
be right: markdown fences, print(...) or example calls after the function, prose.

    scripts/compare_adapter_answers.py --tasks T.jsonl --result promotion.json --id 0 \
        --base-url http://127.0.0.1:PORT [--out answers.jsonl]
Stdlib only.
"""
import argparse
import json
import re
import urllib.request
from pathlib import Path

# The system prompt rslm sends: src/prompt.rs includes this file and trims trailing whitespace.
SYSTEM = (Path(__file__).resolve().parent.parent / "src" / "prompt" / "system.txt").read_text(
    encoding="utf-8").rstrip(" \t\n\r\f")


def user_message(task):
    return (f"Task:\n{task['prompt'].strip()}\n\n"
            f"Function name: {task['function_name']}\n"
            f"Signature: def {task['function_name']}{task['signature'].strip()}:\n")


def ask(url, model, task, lora):
    body = {"model": model, "temperature": 0, "max_tokens": 96, "seed": 0, "stream": False,
            "messages": [{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": user_message(task)}],
            "lora": lora}
    req = urllib.request.Request(url + "/v1/chat/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        reply = json.load(r)
    return reply["choices"][0]["message"]["content"], reply["usage"]["completion_tokens"]


def habits(text, name):
    after = text.split(f"def {name}", 1)[-1]
    lines = [l for l in after.splitlines()[1:] if l.strip()]
    tail = []
    for l in lines:  # lines after the function body (not indented)
        if not l.startswith((" ", "\t")):
            tail.append(l)
    return {
        "fence": "```" in text,
        "print": "print(" in text,
        "example_call": any(re.match(rf"\s*(print\()?{re.escape(name)}\(", l) for l in tail),
        "text_after": bool(tail),
        "no_def": f"def {name}" not in text,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", required=True)
    p.add_argument("--result", required=True)
    p.add_argument("--id", type=int, default=0)
    p.add_argument("--base-url", required=True)
    p.add_argument("--model", default="SmolLM2-135M-Instruct-Q4_1")
    p.add_argument("--set", default="heldout", choices=["heldout", "check"])
    p.add_argument("--out")
    a = p.parse_args()
    tasks = {t["task_id"]: t for t in map(json.loads, open(a.tasks))}
    result = json.load(open(a.result))
    side = result["heldout"] if a.set == "heldout" else result["check"]["figures"]
    loaded = json.load(urllib.request.urlopen(a.base_url + "/lora-adapters"))
    base = [{"id": l["id"], "scale": 0.0} for l in loaded]
    tuned = [{"id": l["id"], "scale": 1.0 if l["id"] == a.id else 0.0} for l in loaded]
    rows, counts = [], {}
    for pair in side["per_task"]:
        task = tasks[pair["task_id"]]
        row = {"task_id": pair["task_id"], "passed_base": pair["current"],
               "passed_adapter": pair["candidate"]}
        for label, lora in (("base", base), ("adapter", tuned)):
            text, n = ask(a.base_url, a.model, task, lora)
            h = habits(text, task["function_name"])
            row[label] = {"text": text, "tokens": n, **h}
            for k, v in h.items():
                counts.setdefault((label, k), 0)
                counts[(label, k)] += int(v)
            counts.setdefault((label, "tokens"), 0)
            counts[(label, "tokens")] += n
        rows.append(row)
    n = len(rows)
    print(f"{n} {a.set} tasks; answers with each habit (base -> adapter):")
    for k in ("fence", "print", "example_call", "text_after", "no_def"):
        print(f"  {k:<13} {counts.get(('base', k), 0):>3} -> {counts.get(('adapter', k), 0):>3}")
    print(f"  mean tokens   {counts[('base', 'tokens')] / n:.1f} -> "
          f"{counts[('adapter', 'tokens')] / n:.1f}")
    won = [r for r in rows if r["passed_adapter"] and not r["passed_base"]]
    habit_won = sum(1 for r in won if r["base"]["text_after"] or r["base"]["fence"])
    print(f"  tasks won by the adapter: {len(won)}; of them, the base answer had text, calls or "
          f"fences around the function: {habit_won}")
    if a.out:
        with open(a.out, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
