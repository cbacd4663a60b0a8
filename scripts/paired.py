"""Pairs two conditions of an rslm results file task by task, as eval pairs each with baseline.

    python scripts/paired.py artifacts/results_iter003.json semantic memory

prints "semantic vs memory: 0.425 vs 0.412, 0 tasks solved only with semantic / 0 only with
memory, exact McNemar p = 1" (a task counts as solved when at least half its samples pass),
labelled SIMULATION when the results are. The demo prints it after each eval.
"""

import json
import math
import sys


def mcnemar(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value of b discordant pairs one way and c the other."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    path, first, second = sys.argv[1:]
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    by_name = {c["condition"]: c for c in report["conditions"]}
    for name in (first, second):
        if name not in by_name:
            print(f"{path}: no condition {name!r}", file=sys.stderr)
            return 1
    solved = {
        name: {t["task_id"]: 2 * t["passed"] >= t["samples"] for t in by_name[name]["per_task"]}
        for name in (first, second)
    }
    b = sum(1 for t, s in solved[first].items() if s and not solved[second].get(t, False))
    c = sum(1 for t, s in solved[second].items() if s and not solved[first].get(t, False))
    label = " (SIMULATION)" if report.get("simulation") else ""
    print(
        f"{first} vs {second}{label}: {by_name[first]['pass_at_1']:.3f} vs {by_name[second]['pass_at_1']:.3f}, "
        f"{b} tasks solved only with {first} / {c} only with {second}, exact McNemar p = {mcnemar(b, c):.3g}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
