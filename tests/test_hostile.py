"""A student who attacks the grader earns nothing for it and breaks nothing (CONTRACT.md section 4).

Each attack is a submission: a correct solution with the attack added. It asserts the parts the
submission must not earn (and that every other part is still graded as usual), and the side
effects: no file beside the submission or in the repository written or deleted, no process left
behind, our stdout intact, bounded time. Attacks run under the strongest isolation available;
CI runs as root with bubblewrap, and tests/test_isolation.py asserts that it is there.
"""
import hashlib
import json
import os
import textwrap
import time
from pathlib import Path

import pytest

from grader.sandbox import isolation as sandbox
from grader.core.engine import grade
from tests.conftest import AUTO_PARTS, BASE, ROOT, failing, our_processes_running, run_cli, sabotage

ALL = frozenset(AUTO_PARTS)
REFERENCE = ROOT / "problems" / "dis02" / "reference.py"
STRONGEST = sandbox.strongest()
needs_bwrap = pytest.mark.skipif(STRONGEST != "bubblewrap",
                                 reason="hiding files needs bubblewrap (CI has it: test_isolation.py)")


def at_import(code: str) -> str:
    return textwrap.dedent(code) + "\n" + BASE


def after(code: str) -> str:
    """The correct solution, then code that may wrap or replace its functions."""
    return BASE + "\n" + textwrap.dedent(code)


ATTACKS = {
    # name: (source, parts it must not earn)
    "exit-at-import": (at_import("import sys\nsys.exit(0)"), ALL),
    "os-exit-in-a-function": (sabotage("dy_dW1", "os._exit(0)"), {"1d"}),
    "loop-ignoring-sigterm": (sabotage("ridge_map", "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                                    "    while True: pass"), {"3a"}),
    "memory-bomb": (sabotage("log_posterior", "hoard = [bytearray(1 << 20) for _ in range(1 << 15)]"), {"3b"}),
    "setsid-escapee": (at_import("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            time.sleep(1000)
            os._exit(0)
        """), set()),
    "double-fork-daemon": (at_import("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(1000)
            os._exit(0)
        """), set()),
    "popen-new-session": (at_import("""
        import subprocess
        subprocess.Popen(["sleep", "1000"], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        """), set()),
    "write-forge-and-delete-beside": (at_import("""
        import os, shutil
        for attempt in (
            lambda: open("@CLASS_DIR@/forged.json", "w").write('{"score": 16}'),
            lambda: open("@CLASS_DIR@/results.jsonl", "w").write('{"score": 16}'),
            lambda: os.remove("@CLASS_DIR@/student_b.py"),
            lambda: shutil.rmtree("@CLASS_DIR@"),
            lambda: open("@REFERENCE@", "a").write("# tampered"),
            lambda: open("/tmp/grader-hostile-marker", "w").write("escaped"),
        ):
            try:
                attempt()
            except Exception:
                pass
        """), set()),
    "fake-score-on-stdout": (at_import("""
        import sys
        print('{"submission": "x", "score": 16, "max_score": 16, "parts": []}')
        sys.stderr.write("PASSED all tests\\n")
        """), set()),
    "monkeypatch-numpy": (at_import("""
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.isclose = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        np.array_equal = lambda *a, **k: True
        """).replace("return 1.0                           #", "return 0.0  #", 1), {"1a"}),
    "monkeypatch-json-and-builtins": (after("""
        import json, builtins
        json.dumps = lambda *a, **k: '{"nonce": "", "results": []}'
        json.loads = lambda *a, **k: {"results": []}
        builtins.print = lambda *a, **k: None
        def dy_db2(x, W1, b1, W2, b2):
            return 0.0
        """), {"1a"}),
    "evil-float-subclass": (after("""
        class Liar(float):
            __eq__ = lambda self, other: True
            __ne__ = lambda self, other: False
            __sub__ = __rsub__ = lambda self, other: 0.0
            __abs__ = lambda self: 0.0
            __float__ = lambda self: 1.0
        def dy_db2(x, W1, b1, W2, b2):
            return Liar(0.0)
        """), {"1a"}),
    "evil-ndarray-subclass": (after("""
        import numpy as np
        class Liar(np.ndarray):
            __eq__ = lambda self, other: np.ones(np.shape(other), bool)
            __sub__ = __rsub__ = lambda self, other: np.zeros(np.shape(other))
            __abs__ = lambda self: np.zeros(self.shape)
            tolist = lambda self: [[1.0] * self.shape[1]]
            def __array__(self, *a, **k):
                return np.ones(self.shape)
        def dy_dW2(x, W1, b1, W2, b2):
            return np.full(W2.shape, 7.0).view(Liar)
        """), {"1b"}),
    "read-the-reference": (after("""
        import numpy as np
        def ridge_map(X, y, lam):
            for attempt in ("import problems.dis02.reference as r; f = r.REFERENCES[0]['ridge_map']",
                            "import grader; f = None",
                            "g = {}; exec(open('@REFERENCE@').read(), g); f = g['REFERENCES'][0]['ridge_map']"):
                try:
                    scope = {}
                    exec(attempt, scope)
                    if scope.get("f"):
                        return scope["f"](X, y, lam)
                except Exception:
                    pass
            return np.zeros(X.shape[1])
        """), {"3a"}),
    "read-another-students-submission": (after("""
        def log_posterior(w, X, y, lam):
            try:
                theirs = {}
                exec(open("@CLASS_DIR@/student_b.py").read(), theirs)
                return theirs["log_posterior"](w, X, y, lam)
            except Exception:
                return 0.0
        """), {"3b"}),
    "kill-the-parent": (after("""
        import os, signal
        _dy_db1 = dy_db1
        def dy_db1(x, W1, b1, W2, b2):
            for target in (os.getppid(), -1):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)
            except OSError:
                pass
            return _dy_db1(x, W1, b1, W2, b2)
        """), set()),
    "segfault": (sabotage("dy_db1", "import ctypes; ctypes.string_at(0)"), {"1c"}),
    "base-exception-subclass": (after("""
        class Escape(BaseException):
            pass
        def y_hat(x, W1, b1, W2, b2):
            raise Escape("caught?")
        """), {"2a"}),
    "output-flood": (at_import("import sys\nfor _ in range(20): sys.stdout.write('x' * 1_000_000)"), set()),
    "mutate-inputs": (sabotage("dy_dW2", "answer = np.maximum(W1 * x + b1, 0.0).T.copy()\n"
                                         "    W1 += 1.0; b1 *= -1.0; W2[...] = 0.0\n"
                                         "    return answer"), set()),
    "tamper-with-rng": (at_import("""
        import random, numpy as np
        np.random.seed(0); random.seed(0)
        np.random.default_rng = lambda *a, **k: None
        np.random.normal = lambda *a, **k: 0.0
        """), set()),
    "block-on-stdin": (sabotage("dy_db2", "input()"), {"1a"}),
    "fork-bomb": (sabotage("backward", "while True: os.fork()"), {"2b", "2c"}),
    "huge-return-value": (sabotage("dy_dW2", "return np.ones(5_000_000)"), {"1b"}),
    "forge-protocol-frames": (after("""
        import json, os, struct
        def dy_db2(x, W1, b1, W2, b2):
            frame = json.dumps({"nonce": "guess", "results": [{"t": "num", "v": 1.0}] * 200}).encode()
            for fd in range(3, 12):
                try:
                    os.write(fd, struct.pack(">I", len(frame)) + frame)
                    os.write(fd, b"\\xff\\xff\\xff\\xff garbage")
                except OSError:
                    pass
            return 0.0
        """), {"1a"}),
    "thread-outliving-its-call": (at_import("""
        import threading, time
        def chatter():
            while True:
                print("still here")
                time.sleep(0.01)
        threading.Thread(target=chatter, daemon=True).start()
        """), set()),
}
# Under a fork server, the child's parent is the server, the sandbox's pid 1: no signal from the
# child reaches it, so the attack costs nothing (tests/test_hostile_isolation.py kills servers
# that can be killed, and checks the students are graded again).
SAFETY_SECONDS = 300   # generous: a busy machine must not fail the test, a hang must
THROUGH_SERVER: dict = {}
BWRAP_ONLY = {"read-the-reference", "read-another-students-submission", "write-forge-and-delete-beside",
              "kill-the-parent"}


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _child_processes(keep=frozenset()) -> list[int]:
    """Our own descendants still running the child's code (it is passed with -c, so it is in
    the cmdline) or an escapee's `sleep 1000`, but the fork server's own."""
    return our_processes_running(b"def limit_resources", b"sleep\x001000", keep=keep)


@pytest.fixture
def arena(tmp_path):
    """A class folder: the attacker, another student, an earlier results file."""
    class_dir = tmp_path / "class"
    class_dir.mkdir()
    (class_dir / "student_b.py").write_text(BASE)
    (class_dir / "results.jsonl").write_text('{"submission": "student_b.py", "score": 16}\n')
    return class_dir


@pytest.mark.parametrize("via", ["new process", "fork server"])
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack(name, via, arena, dis02, forkserver):
    if name in BWRAP_ONLY and STRONGEST != "bubblewrap":
        pytest.skip("needs bubblewrap (CI has it: test_isolation.py)")
    source, must_fail = ATTACKS[name]
    if via == "fork server":
        must_fail = THROUGH_SERVER.get(name, must_fail)
    attacker = arena / "student_a.py"
    attacker.write_text(source.replace("@CLASS_DIR@", str(arena)).replace("@REFERENCE@", str(REFERENCE)))
    before, reference_before = _snapshot(arena), REFERENCE.read_bytes()
    started = time.monotonic()

    doc = grade(attacker, dis02, 182, server=forkserver if via == "fork server" else None)

    took = time.monotonic() - started
    assert failing(doc) == set(must_fail)
    assert all(p.score == p.max_score for p in doc.parts if p.id not in must_fail and p.id in ALL)
    assert _snapshot(arena) == before, "files beside the submission changed"
    assert REFERENCE.read_bytes() == reference_before
    assert not Path("/tmp/grader-hostile-marker").exists()
    time.sleep(0.05)
    assert _child_processes(keep=forkserver.keep) == [], "a process outlived its grading"
    assert took < SAFETY_SECONDS, "grading was not bounded"   # budgets are 30 s; this is a safety net
    assert len(doc.output) < 10_000


def test_fake_score_on_stdout_does_not_reach_ours(arena):
    attacker = arena / "student_a.py"
    attacker.write_text(ATTACKS["fake-score-on-stdout"][0])
    result = run_cli("check", attacker, "--json")
    doc = json.loads(result.stdout)   # exactly one document: ours
    assert doc["submission"] == str(attacker) and len(doc["parts"]) == 14
    assert "PASSED all tests" in doc["output"]


def test_nothing_passes_from_one_student_to_the_next(tmp_path, dis02, forkserver):
    """Two submissions through one fork server, as in a batch: the first leaves files, module
    state and a process behind; the second looks for them and would lose 1a if it found any."""
    if forkserver.isolation != "bubblewrap":
        pytest.skip("only bubblewrap gives the server a private /tmp to empty")
    first = tmp_path / "first.py"
    first.write_text(at_import("""
        import builtins, os, subprocess, numpy
        for folder in ("/tmp", "/dev/shm"):
            try:
                open(os.path.join(folder, "answers.txt"), "w").write("1.0")
            except OSError:
                pass
        numpy.leaked = True
        builtins.leaked = True
        subprocess.Popen(["sleep", "1000"], start_new_session=True)
        """))
    second = tmp_path / "second.py"
    second.write_text(after("""
        import builtins, os, numpy
        def dy_db2(x, W1, b1, W2, b2):
            found = [f for f in ("/tmp/answers.txt", "/dev/shm/answers.txt") if os.path.exists(f)]
            if found or getattr(numpy, "leaked", False) or getattr(builtins, "leaked", False):
                return 0.0
            return 1.0
        """))
    assert grade(first, dis02, 182, server=forkserver).score == 16
    doc = grade(second, dis02, 182, server=forkserver)
    assert failing(doc) == set(), doc.part("1a").checks[0].message
    assert _child_processes(keep=forkserver.keep) == []
