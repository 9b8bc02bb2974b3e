"""Attacks on the judge itself (issue 11, items 1 and 6): a student who cannot beat the sandbox
tries to make the judging process do unbounded work, run out of memory, or crash on a frame.

Each attack asserts that the attacker earns nothing for the part it attacked, that every other
part is graded as usual, that a document is produced, and that the judge stays small and quick.
Forged frames are written the way a real attacker would: the child's reply pipe and the current
request's nonce are both local variables of child.answer, found by walking up the student's stack.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from grader.plotting import readings as plotting
from grader.sandbox import isolation as sandbox
from grader.core import spec
from grader.core.engine import grade
from grader.core import score
from grader.judge.values import leaves
from grader.sandbox import protocol
from grader.sandbox.protocol import Malformed
from tests.conftest import AUTO_PARTS, BASE, ROOT, failing, run_cli

STRONGEST = sandbox.strongest()
ALL = frozenset(AUTO_PARTS)

FORGER = r'''
import os as _os, struct as _struct, sys as _sys

def _locals_of(name):
    frame = _sys._getframe(1)
    while frame is not None and frame.f_code.co_name != name:
        frame = frame.f_back
    return frame.f_locals if frame is not None else {}

def frame(text, blob=b""):
    return _struct.pack(">II", len(text), len(blob)) + text + blob

def reply(nonce, position, count, others=b"[]", descriptors=(), numbers=(), n=None, i=None):
    # a reply frame as the child writes one: `others` the JSON of "x", descriptors and numbers
    # the binary part
    text = (b'{"nonce": "' + nonce.encode() + b'", "g": ' + str(position).encode()
            + b', "n": ' + str(count if n is None else n).encode()
            + b', "i": ' + str(len(descriptors) if i is None else i).encode() + b', "x": ' + others + b"}")
    return frame(text, _struct.pack(f"<{len(descriptors)}q", *descriptors) + _struct.pack(f"<{len(numbers)}d", *numbers))

def each(count, result):
    # "x" holding `count` copies of one result
    return b"[" + b", ".join(b"[" + str(k).encode() + b", " + result + b"]" for k in range(count)) + b"]"

def forge(make):
    # write make(nonce, position, count) to the judge, as the child would, while it answers a
    # group of calls: the reply pipe and the request's nonce are locals of child.answer
    found = _locals_of("answer") or _locals_of("serve")
    data = make(found.get("nonce", ""), found.get("position", 0), len(found.get("group", ())))
    while data:
        data = data[_os.write(found["wfd"], data):]
'''

# name: a Python expression over `nonce`, `position` and `count` making the frame's bytes
FRAMES = {
    "65-dimension shape": 'reply(nonce, position, count, descriptors=[1, 3, 65] + [1] * 65, numbers=[1.0])',
    "400-digit integer": 'reply(nonce, position, count, others=b"[[0, {\\"t\\": \\"none\\", \\"k\\": 1" + b"0" * 400 + b"}]]")',
    "2**64 as a count": 'reply(nonce, position, count, n=18446744073709551616)',
    "100000-deep nesting, no nonce": 'frame(b"[" * 100_000 + b"]" * 100_000)',
    "nesting just past the protocol's depth": 'reply(nonce, position, count, others=b"[[0, {\\"t\\": \\"seq\\", \\"type\\": \\"list\\", \\"items\\": " + b"[" * 40 + b"]" * 40 + b"}]]")',
    "huge shape, tiny data": 'reply(nonce, position, count, descriptors=[1, 3, 3, 1000000, 1000000, 1000000], numbers=[1.0])',
    "huge size beside a zero": 'reply(nonce, position, count, descriptors=[1, 3, 2, 0, 10 ** 18])',
    "negative size": 'reply(nonce, position, count, descriptors=[1, 3, 1, -1], numbers=[1.0])',
    "negative dimensions": 'reply(nonce, position, count, descriptors=[1, 3, -1], numbers=[1.0])',
    "a dtype past the allow-list": 'reply(nonce, position, count, descriptors=[0, 99, 0] * count, numbers=[1.0] * count)',
    "a kind that is not a number or array": 'reply(nonce, position, count, descriptors=[7, 3, 0] * count, numbers=[1.0] * count)',
    "a number with dimensions": 'reply(nonce, position, count, descriptors=[0, 3, 1, 1] * count, numbers=[1.0] * count)',
    "data short of its shape": 'reply(nonce, position, count, descriptors=[1, 3, 1, 5] + [0, 3, 0] * (count - 1), numbers=[1.0, 2.0])',
    "numbers past the results": 'reply(nonce, position, count, descriptors=[0, 3, 0] * count, numbers=[1.0] * (count + 1))',
    "descriptors past the binary part": 'reply(nonce, position, count, i=1000, descriptors=[0, 3, 0], numbers=[1.0])',
    "a binary part of odd length": 'frame(reply(nonce, position, count)[8:], b"1234567")',
    "a result without its descriptor": 'reply(nonce, position, count, descriptors=[0, 3, 0], numbers=[1.0])',
    "a reply to another call": 'reply(nonce, position + 5, count, descriptors=[0, 3, 0] * count, numbers=[1.0] * count)',
    "a string for a number": 'reply(nonce, position, count, others=each(count, b\'{"t": "num", "v": "1.0"}\'))',
    "an array in the JSON part": 'reply(nonce, position, count, others=each(count, b\'{"t": "arr", "shape": [1], "d": ["1.0"]}\'))',
    "an other result twice": 'reply(nonce, position, count, others=b\'[[0, {"t": "none"}], [0, {"t": "none"}]]\')',
    "duplicate keys": 'frame(b\'{"nonce": "\' + nonce.encode() + b\'", "g": \' + str(position).encode() + b\', "n": 0, "n": \' + str(count).encode() + b\', "i": 0, "x": \' + each(count, b\'{"t": "none"}\') + b"}")',
    "a million results": 'reply(nonce, position, count, n=1_000_000, others=each(1000, b\'{"t": "none"}\'))',
    "four million empty lists": 'frame(b"[" + b"[], " * 4_000_000 + b"[]]")',
    "eight million compact zeros": 'frame(b\'{"nonce": "\' + nonce.encode() + b\'", "x": [\' + b"0," * 7_999_999 + b"0]}")',
    "not UTF-8": 'frame(b"\\xff\\xfe" * 100)',
    "not JSON": 'frame(b"{garbage")',
    "a number for a frame": 'frame(b"1")',
    "a result of no known kind": 'reply(nonce, position, count, others=each(count, b\'{"t": "evil"}\'))',
    "text fields that are not text": 'reply(nonce, position, count, others=each(count, b\'{"t": "raised", "type": [1, 2], "msg": {"a": 1}, "where": 3}\'))',
}
# what the refusal says, for those refused by one particular rule
REASONS = {
    "65-dimension shape": "a descriptor of no known kind, dtype or number of dimensions",
    "400-digit integer": "an integer of 401 digits",
    "2**64 as a count": "an integer of 20 digits",
    "100000-deep nesting, no nonce": "nesting deeper than",
    "nesting just past the protocol's depth": "nesting deeper than 32 levels",
    "huge shape, tiny data": "an array of more than 1000000 numbers",
    "huge size beside a zero": "an array shape that is not a short list of sizes",
    "negative size": "an array shape that is not a short list of sizes",
    "negative dimensions": "a descriptor of no known kind, dtype or number of dimensions",
    "a dtype past the allow-list": "a descriptor of no known kind, dtype or number of dimensions",
    "a kind that is not a number or array": "a descriptor of no known kind, dtype or number of dimensions",
    "a number with dimensions": "a descriptor of no known kind, dtype or number of dimensions",
    "data short of its shape": "array data that does not fill its shape (5,)",
    "numbers past the results": "a binary part longer than its results",
    "descriptors past the binary part": "a count of descriptors that does not fit the binary part",
    "a binary part of odd length": "a binary part that is not whole float64 numbers",
    "a result without its descriptor": "a result without its descriptor",
    "a reply to another call": "a reply to call",
    "a string for a number": "a result of no known kind",
    "an array in the JSON part": "a result of no known kind",
    "an other result twice": "an other result without its own place",
    "duplicate keys": "an object with a duplicate key",
    "a million results": "not the 24 results asked for",
    "four million empty lists": "more than 1677721 lists and objects",
    "eight million compact zeros": "more than 3355443 values",
    "not UTF-8": "not JSON",
    "a number for a frame": "a reply that is not an object",
    "a result of no known kind": "a result of no known kind",
    "text fields that are not text": "that is not text",
}
MEMORY_HEAVY = ["a million results", "four million empty lists", "eight million compact zeros",
                "100000-deep nesting, no nonce"]


def forging_in_dy_db2(make: str, answer: str = "_honest_dy_db2(x, W1, b1, W2, b2)") -> str:
    """A correct solution whose dy_db2 forges a frame on every call, then answers (by default
    rightly: if the judge skipped the forged frame, 1a would pass)."""
    return BASE + FORGER + f"""
_honest_dy_db2 = dy_db2
def dy_db2(x, W1, b1, W2, b2):
    forge(lambda nonce, position, count: {make})
    return {answer}
"""


def replace(source: str, code: str) -> str:
    return source + "\n" + code


def huge_ridge(n: int) -> str:
    return replace(BASE, f"def ridge_map(X, y, lam):\n    return np.ones({n})\n")


HUGE_POSTERIOR = replace(BASE, "def log_posterior(w, X, y, lam):\n    return np.ones(40_000)\n")
STUFFED_CACHE = replace(BASE, """
_honest_forward, _honest_backward = forward, backward
def forward(x, y, W1, b1, W2, b2):
    J, _ = _honest_forward(x, y, W1, b1, W2, b2)
    junk = [np.full(1000, float(i)) for i in range(200)]     # nothing backprop needs
    return J, {"inputs": [x, y, W1, b1, W2, b2], "junk": junk}
def backward(cache):
    return _honest_backward(_honest_forward(*cache["inputs"])[1])
""")


JUDGE = """
import json, sys, time
from pathlib import Path
from grader.core import score, spec
from grader.core.engine import grade
from grader.sandbox.isolation import cap_own_memory
cap_own_memory(512 << 20)   # a runaway judge would fail with MemoryError, and the check say so
started = time.monotonic()
doc = grade(Path(sys.argv[1]), spec.load("dis02"), 182, isolation=sys.argv[2])
peak_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"doc": score.plain(doc), "seconds": time.monotonic() - started,
                  "maxrss_mib": peak_kib / 1024}))
"""


def judge_capped(tmp_path: Path, source: str) -> dict:
    """The judge alone in a process of its own, capped (see JUDGE): the document, the judge's
    peak resident size (VmHWM: this process only, not the children it starts; ru_maxrss would
    also count the parent it was forked from, until exec), the time."""
    path = tmp_path / "attack.py"
    path.write_text(source)
    done = subprocess.run([sys.executable, "-c", JUDGE, str(path), STRONGEST], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout)
    messages = [c["message"] for p in found["doc"]["parts"] for c in p["checks"]]
    assert not any("ran out of memory" in m for m in messages)
    return found


def _check_bounded(doc, must_fail: set, took: float) -> None:
    assert {p.id for p in doc.parts} >= ALL                      # a whole document
    assert failing(doc) == must_fail, {p.id: [c.message[:300] for c in p.checks if not c.passed]
                                       for p in doc.parts if p.id in failing(doc) ^ must_fail}
    for part in doc.parts:
        if part.id in must_fail:
            assert part.score == 0, (part.id, part.checks[0].message)
        elif part.id in ALL:
            assert part.score == part.max_score, (part.id, [c.message for c in part.checks if not c.passed])
    assert took < 60
    assert all(len(c.message) < 5000 for p in doc.parts for c in p.checks)


@pytest.mark.parametrize("via", ["new process", "fork server"])
@pytest.mark.parametrize("name", sorted(FRAMES))
def test_forged_frame_fails_its_call_only(name, via, tmp_path, dis02, forkserver):
    path = tmp_path / "forger.py"
    path.write_text(forging_in_dy_db2(FRAMES[name]))
    started = time.monotonic()
    doc = grade(path, dis02, 182, server=forkserver if via == "fork server" else None)
    _check_bounded(doc, {"1a"}, time.monotonic() - started)
    scored = [c for c in doc.part("1a").checks if c.points]
    # each scored check of 1a failed on the frame and says so (or, after a large one, found
    # the part's time budget used up, or nearly, by the attacker's own frames: on a busy
    # machine what is left may be a few milliseconds, and the check times out in them)
    assert "refuses" in scored[0].message and REASONS.get(name, "") in scored[0].message, scored[0].message
    assert scored[0].kind == "malformed" and {c.kind for c in scored} <= {"malformed", "not_run", "timeout"}
    for check in scored:
        if check.kind == "timeout":
            assert float(check.message.split("(")[1].split(" s budget")[0]) < 1, check.message


def test_a_forged_inf_is_a_wrong_number(tmp_path, dis02):
    """A well-formed forged reply holding inf is what the child sends for a student's inf: a
    wrong number, not a refusal. (The child lives on: the frames it writes after it, for the
    same call, are stale and skipped, and its memo answers later checks without calling dy_db2
    again: its own return value, 0.0, fails those.)"""
    path = tmp_path / "inf.py"
    path.write_text(forging_in_dy_db2('reply(nonce, position, count, descriptors=[0, 3, 0] * count, '
                                      'numbers=[float("inf")] * count)', "0.0"))
    doc = grade(path, dis02, 182)
    _check_bounded(doc, {"1a"}, 0)
    first = doc.part("1a").checks[0].message
    assert doc.part("1a").status == "failed" and "got:      inf" in first and "refuses" not in first
    assert not any("refuses" in c.message for c in doc.part("1a").checks)   # the later frames were stale


@pytest.mark.parametrize("mode", [m for m in sandbox.MODES if sandbox.unavailable(m) is None])
@pytest.mark.parametrize("name", ["65-dimension shape", "400-digit integer", "100000-deep nesting, no nonce"])
def test_the_issue_frames_in_every_isolation_mode(name, mode, tmp_path, dis02):
    path = tmp_path / "forger.py"
    path.write_text(forging_in_dy_db2(FRAMES[name]))
    started = time.monotonic()
    doc = grade(path, dis02, 182, isolation=mode)
    _check_bounded(doc, {"1a"}, time.monotonic() - started)
    assert doc.isolation == mode


LOAD_FORGERIES = {
    "a list for a report": 'frame(b"[1, 2, 3]")',
    "a report whose message is a deep list": 'frame(b\'{"problems": [{"msg": \' + b"[" * 20 + b"]" * 20 + b\'}], "functions": []}\')',
    "a 400-digit line number": 'frame(b\'{"problems": [{"where": 1\' + b"0" * 400 + b\'}], "functions": []}\')',
    "a report past the size bound": '(1 << 30).to_bytes(4, "big") + bytes(4)',
}


@pytest.mark.parametrize("name", sorted(LOAD_FORGERIES))
def test_a_forged_load_report_fails_the_load(name, tmp_path, dis02, forkserver):
    """Written while the file is imported, before the child's own report: the load fails, so
    every part is an error that says why, and the document is whole."""
    path = tmp_path / "forger.py"
    path.write_text(FORGER + f"forge(lambda nonce, position, count: {LOAD_FORGERIES[name]})\n" + BASE)
    for server in (None, forkserver):
        doc = grade(path, dis02, 182, server=server)
        assert failing(doc) == ALL and doc.score == 0
        why = "returned more than 16 MiB of data" if "size bound" in name else "refuses"
        assert all(why in p.checks[0].message for p in doc.parts if p.id in ALL)


def test_the_childs_deepest_honest_reply_is_not_refused(tmp_path, dis02):
    """The depth and size caps sit above anything the child writes: a value nested far deeper
    than the child encodes is an ordinary wrong answer, not a refused frame."""
    path = tmp_path / "deep.py"
    path.write_text(replace(BASE, """
def dy_db2(x, W1, b1, W2, b2):
    value = 1.0
    for level in range(30):
        value = {"k": [value, (value,)]} if level % 2 else [{"a": value}]
    return value
"""))
    doc = grade(path, dis02, 182)
    assert failing(doc) == {"1a"}
    message = doc.part("1a").checks[0].message
    assert "refuses" not in message and "returned a dict, not a number" in message


def _written(reply: protocol.Reply) -> tuple[dict, bytes]:
    """A reply as the judge reads it: the JSON part parsed (bounded), and the binary part."""
    data = reply.frame()
    text, blob = protocol.sizes(data[:protocol.HEAD.size])
    assert protocol.HEAD.size + text + blob == len(data)
    return protocol.parse_json(data[protocol.HEAD.size:protocol.HEAD.size + text]), data[protocol.HEAD.size + text:]


def test_caps_never_refuse_what_the_child_itself_writes():
    """The largest and densest replies the child writes parse: an array of the most numbers it
    sends, and the most results that are not numbers (the JSON part's densest); forged JSON
    parts denser than those do not."""
    largest = protocol.Reply("n", 0)
    protocol.encode(np.zeros(protocol.MAX_ELEMENTS), largest)
    message, blob = _written(largest)
    [result] = protocol.parse_reply(message, blob, 1)
    assert result["shape"] == [protocol.MAX_ELEMENTS] and not result["a"].any()
    densest = protocol.Reply("n", 0)
    count = 600_000
    for _ in range(count):
        protocol.encode(None, densest)
    message, blob = _written(densest)
    assert protocol.parse_reply(message, blob, count)[-1] == {"t": "none"}
    limit = protocol.MAX_FRAME_BYTES
    for forged in (b"[" + b"[]," * (limit // 3 - 1) + b"[]]", b"[" + b"0," * (limit // 2 - 1) + b"0]",
                   b"[" * 33 + b"]" * 33, b'{"a": 1, "a": 2}', b"[1" + b"0" * 30 + b"]"):
        with pytest.raises(Malformed):
            protocol.parse_json(forged)


def test_a_frame_over_the_size_bounds_is_refused_unread():
    largest = (protocol.MAX_FRAME_BYTES, protocol.MAX_BLOB_BYTES)
    assert protocol.sizes(protocol.HEAD.pack(*largest)) == largest
    for text, blob in ((largest[0] + 1, 0), (0, largest[1] + 1), (2 ** 32 - 1, 2 ** 32 - 1)):
        with pytest.raises(protocol.TooBig):
            protocol.sizes(protocol.HEAD.pack(text, blob))


@pytest.mark.parametrize("n", [4000, 50_000])
def test_a_huge_ridge_map_is_refused_before_any_work(n, tmp_path):
    """The issue's attack: once 2.4 GB and 14 s of the judge's for 4000 entries (run capped, so
    a regression fails with MemoryError rather than taking the machine's memory)."""
    found = judge_capped(tmp_path, huge_ridge(n))
    doc = score.read(found["doc"])
    _check_bounded(doc, {"3a"}, found["seconds"])
    messages = [c.message for c in doc.part("3a").checks]
    assert all(f"got shape ({n},)" in m and "expected shape (" in m for m in messages), messages
    stationarity = next(c for c in doc.part("3a").checks if "stationary" in c.name)
    assert "wrong shape: expected shape (7,)" in stationarity.message   # case #0 has d = 7
    assert found["maxrss_mib"] < 200, found["maxrss_mib"]


def test_stationarity_perturbs_only_a_point_of_the_expected_shape(tmp_path, dis02):
    """One entry too many is not too big to judge, but still not a point of log_posterior's
    domain: refused naming both shapes, rather than handed to the student's function."""
    path = tmp_path / "longer.py"
    path.write_text(replace(BASE, "def ridge_map(X, y, lam):\n    return np.ones(X.shape[1] + 1)\n"))
    doc = grade(path, dis02, 182)
    assert failing(doc) == {"3a"}
    stationarity = next(c for c in doc.part("3a").checks if "stationary" in c.name)
    assert "wrong shape: expected shape (7,), got shape (8,)" in stationarity.message


def test_a_huge_log_posterior_is_refused_before_any_work(tmp_path, dis02):
    path = tmp_path / "huge.py"
    path.write_text(HUGE_POSTERIOR)
    started = time.monotonic()
    doc = grade(path, dis02, 182)
    # 3a's own-function stationarity is advisory: 3a keeps its points
    _check_bounded(doc, {"3b"}, time.monotonic() - started)
    assert "expected a scalar, got shape (40000,)" in doc.part("3b").checks[0].message


def test_leaves_makes_arrays_of_the_sizes_looked_for_only():
    written = protocol.Reply("n", 0)
    written.leaves(protocol.leaves({"z1": np.array([[1.0], [2.0], [3.0]]), "junk": np.zeros(1000)}))
    [raw] = protocol.parse_reply(*_written(written), 1)
    found = leaves(raw, {3})
    assert [(path, shape) for path, shape, _ in found] == [("['z1']", (3, 1)), ("['junk']", (1000,))]
    assert found[0][2].tolist() == [[1.0], [2.0], [3.0]] and found[1][2] is None


def test_a_stuffed_cache_is_searched_for_the_right_sizes_only(tmp_path, dis02):
    path = tmp_path / "stuffed.py"
    path.write_text(STUFFED_CACHE)
    started = time.monotonic()
    doc = grade(path, dis02, 182)
    _check_bounded(doc, {"2d"}, time.monotonic() - started)
    message = doc.part("2d").checks[0].message
    assert "the numbers found there:" in message and "(1000,)" in message   # read, not timed out
    # paths from the student's value, the case named by its family: no worksheet words in the engine
    assert "['junk'][0] (1000,)" in message and message.startswith("random case #")


MEASURED = {
    **{name: (forging_in_dy_db2(FRAMES[name]), {"1a"}) for name in MEMORY_HEAVY},
    "huge ridge_map": (huge_ridge(50_000), {"3a"}),
    "huge log_posterior": (HUGE_POSTERIOR, {"3b"}),
    "stuffed cache": (STUFFED_CACHE, {"2d"}),
}


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_the_judge_stays_small(name, tmp_path):
    """The judge alone (its peak resident size, in a process that only judges), under a cap
    of its size plus 512 MiB: it never needs more, and never needs long."""
    source, must_fail = MEASURED[name]
    found = judge_capped(tmp_path, source)
    _check_bounded(score.read(found["doc"]), must_fail, found["seconds"])
    print(f"{name}: judge max RSS {found['maxrss_mib']:.0f} MiB, {found['seconds']:.1f} s")
    assert found["maxrss_mib"] < 400 and found["seconds"] < 60, found["maxrss_mib"]


def test_plot_readings_refuse_a_huge_value(tmp_path):
    problem = spec.load("dis02", grading=False)
    path = tmp_path / "huge.py"
    path.write_text(replace(BASE, "def dy_dW2(x, W1, b1, W2, b2):\n    return np.ones(10_000)\n"))
    plot_set, setup = plotting.plot_setup(problem, "1", 182, None)
    started = time.monotonic()
    panels, _ = plotting.evaluate(path, problem, plot_set, setup, STRONGEST)
    assert time.monotonic() - started < 60
    panel = {p.name: p for p in panels}
    assert not panel["dy_dW2"].drawn
    assert any("wrong shape: expected shape (3,), got shape (10000,)" in p for p in panel["dy_dW2"].problems)
    assert all(panel[n].drawn and not panel[n].problems for n in ("dy_db2", "dy_db1", "dy_dW1"))


def test_huge_ridge_map_in_a_batch_beside_ten_honest_students(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    (root / "attacker.py").write_text(huge_ridge(50_000))
    for i in range(10):
        (root / f"honest{i}.py").write_text(BASE)
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    done = run_cli("batch", root, "--out", out, "-j", "2", timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert time.monotonic() - started < 120
    docs = {d["submission"]: d for d in map(json.loads, out.read_text().splitlines())}
    assert sorted(docs) == ["attacker.py"] + [f"honest{i}.py" for i in range(10)]
    assert all(docs[f"honest{i}.py"]["score"] == 16 for i in range(10))
    scores = {p["id"]: p["score"] for p in docs["attacker.py"]["parts"] if p["id"] in ALL}
    assert scores["3a"] == 0 and sum(scores.values()) == 14


TOY = ROOT / "tests" / "toy_problem"
TOY_RIGHT = "def cube(a, t):\n    return a * t ** 3\n\ndef grads(a, t):\n    return {'t': 3 * a * t ** 2}\n"
TOY_WRONG = TOY_RIGHT.replace("3 * a * t ** 2", "3 * a * t * abs(t)")   # the toy hint's mistake


def _toy_with_mistakes(tmp_path: Path, mistakes: str) -> Path:
    """The toy problem, whose mistakes.py runs in the judge when a check fails (hints): a way
    to make the judge itself die, or hog memory, on one submission and not on the others."""
    folder = tmp_path / "toy"
    shutil.copytree(TOY, folder)
    (folder / "mistakes.py").write_text(mistakes)
    return folder


def _toy_batch(tmp_path: Path, folder: Path) -> tuple[dict, subprocess.CompletedProcess]:
    root = tmp_path / "class"
    root.mkdir()
    (root / "early_wrong.py").write_text(TOY_WRONG)   # first: honest ones are in flight beside it
    for i in range(6):
        (root / f"right{i}.py").write_text(TOY_RIGHT)
    out = tmp_path / "out.jsonl"
    done = run_cli("batch", root, "--out", out, "-j", "2", "--problem", folder, timeout=300)
    docs = {d["submission"]: d for d in map(json.loads, out.read_text().splitlines())}
    return docs, done


def test_a_judge_worker_that_dies_is_replaced_and_its_submission_documented(tmp_path):
    folder = _toy_with_mistakes(tmp_path, "import os, signal\n\ndef grad_with_abs(a, t):\n"
                                          "    os.kill(os.getpid(), signal.SIGKILL)\n\n"
                                          "MISTAKES = [{'grad_with_abs': grad_with_abs}]\n")
    docs, done = _toy_batch(tmp_path, folder)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert sorted(docs) == ["early_wrong.py"] + [f"right{i}.py" for i in range(6)]
    assert all(docs[f"right{i}.py"]["score"] == 5 for i in range(6))   # those in flight too
    wrong = docs["early_wrong.py"]
    assert wrong["score"] == 0 and {p["status"] for p in wrong["parts"] if p["id"] in ("v", "g")} == {"error"}
    assert "the grader's worker process died while grading this submission, twice" in wrong["parts"][0]["checks"][0]["message"]
    assert {c["kind"] for p in wrong["parts"] for c in p["checks"]} == {"internal"}


def test_a_runaway_judge_computation_is_a_memory_error_not_an_oom_kill(tmp_path):
    """A batch judge has an address-space cap: a computation past it (here 8 GiB for a mistake's
    value, never touched, so harmless where there is no cap) fails as MemoryError in that one
    check, which says so; the batch goes on."""
    folder = _toy_with_mistakes(tmp_path, "import numpy as np\n\ndef grad_with_abs(a, t):\n"
                                          "    hoard = np.empty(8 << 30, dtype=np.uint8)\n"
                                          "    return 3 * a * t * abs(t) + hoard.size * 0\n\n"
                                          "MISTAKES = [{'grad_with_abs': grad_with_abs}]\n")
    docs, done = _toy_batch(tmp_path, folder)
    assert done.returncode == 0, done.stderr
    assert len(docs) == 7 and all(docs[f"right{i}.py"]["score"] == 5 for i in range(6))
    wrong = {p["id"]: p for p in docs["early_wrong.py"]["parts"]}
    assert wrong["v"]["score"] == 2                       # the other part graded as usual
    assert any("the grader ran out of memory" in c["message"] and c["kind"] == "internal"
               for c in wrong["g"]["checks"])


STEAL_THE_SERVERS_SOCKET = r'''
import ctypes, os, socket
def _steal():
    """As root without bubblewrap, pidfd_getfd copies the fork server's control socket."""
    libc = ctypes.CDLL(None, use_errno=True)
    server = libc.syscall(434, os.getppid(), 0)           # pidfd_open
    for fd in range(3, 64):
        copy = libc.syscall(438, server, fd, 0)            # pidfd_getfd
        if copy < 0:
            continue
        stolen = socket.socket(fileno=copy)
        if stolen.type == socket.SOCK_SEQPACKET:
            for forged in (b"[" * 3000 + b"]" * 3000, b"[1]", b'{"status": [1]}'):
                stolen.send(forged)
            print("sent forged server replies")
            return
    print("could not steal the server's socket")
_steal()
'''


@pytest.mark.skipif(os.geteuid() != 0 or sandbox.unavailable("process") is not None,
                    reason="stealing the server's socket needs root in process isolation")
def test_forged_fork_server_replies_cost_only_a_new_server(tmp_path, dis02):
    """The fork server's replies are frames too: a child that copies the server's socket and
    writes to it makes the judge start a new server, nothing more. (Children now drop their
    capabilities first, so the copy itself is refused: either way, nothing is gained.)"""
    from grader.sandbox.forkserver import ForkServer
    path = tmp_path / "thief.py"
    path.write_text(STEAL_THE_SERVERS_SOCKET + BASE)
    server = ForkServer("process")
    try:
        doc = grade(path, dis02, 182, isolation="process", server=server)
        assert "sent forged server replies" in doc.output or "could not steal" in doc.output   # it ran
        assert doc.score == 16
        honest = tmp_path / "honest.py"
        honest.write_text(BASE)
        assert grade(honest, dis02, 182, isolation="process", server=server).score == 16
    finally:
        server.close()
