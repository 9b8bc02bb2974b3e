"""The reference as a submission: a plan's checks answered by a reference namespace in this
process, as the sandboxed child answers a student's. The reference is the problem author's own
trusted code (it already runs in the judge), so no sandbox is needed; what the checks receive
is made by the child's own encoders and the judge's own checks on results, so it is exactly
what they would get from a child running the reference.
"""
from __future__ import annotations

import json
from pathlib import Path

from grader.errors import author_line
from grader.judge.verdict import Check, Verdict
from grader.sandbox import child, protocol


def case_inputs(case_table: str) -> dict[str, dict]:
    """case key -> inputs as the child decodes them (ints as ints, fresh arrays)."""
    return {key: child.decode_case(encoded) for key, encoded in json.loads(case_table).items()}


def answer(item: dict, namespace: dict, cases: dict[str, dict], folder: Path) -> dict:
    """One call of a check's request, answered by the namespace, as a result the judge reads."""
    inputs = cases[item["case"]]
    if "with" in item:
        inputs = {**inputs, **child.decode_case(item["with"])}
    try:
        value = child.evaluate(item["expr"], namespace, inputs)
        raw = child.leaves(value) if item.get("mode") == "leaves" else child.encode(value)
    except child.Missing as err:
        raw = {"t": "missing", "msg": str(err)}
    except Exception as err:   # the author's code: its line, as a student's would be shown
        raw = {"t": "raised", "type": type(err).__name__, "msg": str(err)[:500],
               "where": author_line(err, folder)}
    return protocol.clean_result(raw)


def run(check: Check, namespace: dict, cases: dict[str, dict], folder: Path) -> Verdict:
    """A check's verdict on the namespace's answers (the generator protocol of grader.judge.verdict)."""
    steps = check.run(False)
    try:
        calls = next(steps)
        while True:
            calls = steps.send([answer(item, namespace, cases, folder) for item in calls])
    except StopIteration as stop:
        return stop.value
