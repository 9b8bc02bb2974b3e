"""Each check in the score document says why it failed in a word a machine reads (`kind`), and
what reads it (a part's status, the gradebook's timeouts) reads the kind, never the message."""
import json
import re
import typing

import pytest

from grader.batch import gradebook
from grader.core import score
from grader.judge.verdict import ERROR_KINDS, Kind
from tests.conftest import AUTO_PARTS, BASE, SOLUTIONS, run_cli, sabotage

import sys
sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

WRONG_VALUE = next(m for m in MUTANTS if m.name == "db1-no-mask")

# (what the student wrote, the part it spoils, the kind of its first failing scored check)
SPOILERS = [
    (sabotage("dy_db1", "raise ValueError('not done yet')"), "1c", "raised"),
    (sabotage("dy_db1", "return None"), "1c", "not_a_number"),
    (sabotage("dy_dW1", "return W1 * float('nan')"), "1d", "not_a_number"),
    (sabotage("relu_net", "return 'one'"), "1y", "not_a_number"),
    (sabotage("dy_dW2", "return np.ones((W2.shape[1] + 1, 2))", "import numpy as np"), "1b", "wrong_shape"),
    (sabotage("dy_dW2", "return np.ones(2_000_000)", "import numpy as np"), "1b", "too_big"),
    (sabotage("dy_db1", "os._exit(3)"), "1c", "crashed"),
    (sabotage("ridge_map", "while True: pass"), "3a", "timeout"),
    (BASE.replace("def dy_db1(", "def dy_db1_renamed("), "1c", "missing"),
    (apply(BASE, WRONG_VALUE), "1c", "wrong_value"),
]


def _consistent(doc) -> None:
    """Every check's kind agrees with its passing, and every part's status with its kinds."""
    for part in doc.parts:
        for check in part.checks:
            assert check.kind in typing.get_args(Kind)
            assert (check.kind == "passed") == check.passed, (part.id, check.name, check.kind)
        if part.status in ("failed", "error"):
            scored = [c.kind for c in part.checks if c.points and not c.passed]
            assert part.status == ("error" if set(scored) <= ERROR_KINDS else "failed"), (part.id, scored)


@pytest.mark.parametrize("source, part_id, kind", SPOILERS, ids=[k for _, _, k in SPOILERS])
def test_a_failure_says_its_kind(source, part_id, kind, grade_source, forkserver):
    doc = grade_source(source, server=forkserver if kind not in ("crashed", "timeout") else None)
    _consistent(doc)
    part = doc.part(part_id)
    first = next(c for c in part.checks if c.points and not c.passed)
    assert first.kind == kind, (first.name, first.message[:300])
    assert part.status == ("error" if kind in ERROR_KINDS else "failed")
    assert all(p.status in ("passed", "manual") for p in doc.parts if p.id != part_id)
    if kind == "timeout":   # the rest of the part found its time budget used up
        assert {c.kind for c in part.checks if c.points} <= {"timeout", "not_run"}
        assert any(c.kind == "not_run" for c in part.checks)


def test_a_submission_that_cannot_load_or_be_read(grade_source, tmp_path, dis02):
    from grader.core.engine import grade
    dead = grade_source("import os\nos._exit(0)\n" + BASE)
    empty = grade_source("x = 1\n")
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\n")
    unread = grade(tmp_path / "latin1.py", dis02, 182)
    for doc, kind in ((dead, "crashed"), (empty, "missing"), (unread, "unreadable")):
        _consistent(doc)
        assert {c.kind for p in doc.parts if p.id in AUTO_PARTS for c in p.checks if c.points} == {kind}
        assert {p.status for p in doc.parts if p.id in AUTO_PARTS} == {"error"}


def test_the_kinds_are_documented_where_the_document_is():
    for kind in typing.get_args(Kind):
        assert re.search(rf"^  {kind} +\w", score.__doc__, re.M), kind
    assert ERROR_KINDS < set(typing.get_args(Kind))


def test_a_timeout_is_known_by_its_kind_not_its_words(grade_source, tmp_path):
    """A student whose exception says the grader's timeout words has not timed out; one whose
    function hangs has. Both fail with status error."""
    liar = grade_source(sabotage("ridge_map", "raise RuntimeError('did not finish within the time budget')"))
    hang = grade_source(sabotage("ridge_map", "while True: pass"))
    assert "did not finish within the time budget" in liar.part("3a").checks[0].message
    assert liar.part("3a").status == hang.part("3a").status == "error"
    rows = [{**score.plain(d), "submission": name} for name, d in (("liar", liar), ("hang", hang))]
    assert gradebook.summarize(rows).timeouts == ["hang"]
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = run_cli("summary", results).stdout
    assert re.search(r"timeouts \(1 submissions\):\n  hang\n", out), out
