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
    return {key: protocol.decode_inputs(encoded) for key, encoded in json.loads(case_table).items()}


def answer(item: dict, namespace: dict, cases: dict[str, dict], folder: Path) -> dict:
    """One call of a check's request, answered by the namespace, as a result the judge reads:
    written into a reply frame as the child writes it, and read back as the judge reads it."""
    inputs = cases[item["case"]]
    if "with" in item:
        inputs = {**inputs, **protocol.decode_inputs(item["with"])}
    reply = protocol.Reply("reference", 0)
    try:
        value = child.evaluate(item["expr"], namespace, inputs)
        if item.get("mode") == "leaves":
            reply.leaves(protocol.leaves(value))
        else:
            protocol.encode(value, reply)
    except child.Missing as err:
        reply.other({"t": "missing", "msg": str(err)})
    except protocol.TooBig as err:
        reply.other({"t": "toobig", "msg": f"returned {err}"})
    except Exception as err:   # the author's code: its line, as a student's would be shown
        reply.other({"t": "raised", "type": type(err).__name__, "msg": str(err)[:500],
                     "where": author_line(err, folder)})
    return protocol.parse_reply(*protocol.split(reply.frame()), 1)[0]


def run(check: Check, namespace: dict, cases: dict[str, dict], folder: Path) -> Verdict:
    """A check's verdict on the namespace's answers (the generator protocol of grader.judge.verdict)."""
    steps = check.run(False)
    try:
        calls = next(steps)
        while True:
            calls = steps.send([answer(item, namespace, cases, folder) for item in calls])
    except StopIteration as stop:
        return stop.value
