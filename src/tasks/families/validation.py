"""Validates task families for the Rust test suite (see validation.rs).

For every item: the family's reference solution must pass the task's assert_tests AND every
test function of its pytest module (called directly, no pytest needed); every trivial wrong
answer must fail both. Prints one JSON line per item.
"""
import json
import sys
import types

payload = json.load(open(sys.argv[1]))
strict = payload["strict_equal"]


def passes_asserts(code, item):
    ns = {}
    exec(strict, ns)
    try:
        exec(code, ns)
        for line in item["assert_tests"]:
            exec(line, ns)
        return True, ""
    except Exception as exc:  # noqa: BLE001 - any failure means "did not pass"
        return False, f"{type(exc).__name__}: {exc}"[:300]


def passes_module(code, item):
    solution = types.ModuleType("solution")
    try:
        exec(code, solution.__dict__)
    except Exception as exc:  # noqa: BLE001
        return False, f"import: {exc}"
    sys.modules["solution"] = solution
    tests = {}
    exec(item["reference_tests"], tests)
    names = [n for n in tests if n.startswith("test_")]
    if not names:
        return False, "no tests in module"
    for name in names:
        try:
            tests[name]()
        except Exception as exc:  # noqa: BLE001
            return False, f"{name}: {type(exc).__name__}: {exc}"[:300]
    return True, ""


for item in payload["items"]:
    ok_a, why_a = passes_asserts(item["reference"], item)
    ok_m, why_m = passes_module(item["reference"], item)
    wrong_passed = []
    for wrong in item["wrong"]:
        if passes_asserts(wrong, item)[0] or passes_module(wrong, item)[0]:
            wrong_passed.append(wrong)
    print(json.dumps({
        "task_id": item["task_id"],
        "reference_ok": ok_a and ok_m,
        "reference_problem": why_a or why_m,
        "wrong_passed": wrong_passed,
    }))
