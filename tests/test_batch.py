"""`grader batch`, `summary` and `merge` on small classes whose answers we know."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from tests.conftest import BASE, GRADER, ROOT, SOLUTIONS, run_cli, sabotage

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

WRONG_DB2 = apply(BASE, next(m for m in MUTANTS if m.name == "db2-zero"))   # loses 1a: 15 / 16


def notebook(source: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# hw"), nbformat.v4.new_code_cell(source)]
    return nbformat.writes(nb)


def documents(path):
    return {d["submission"]: d for d in map(json.loads, path.read_text().splitlines())}


@pytest.fixture
def mixed_class(tmp_path):
    """All three layouts in one folder, with the awkward cases."""
    root = tmp_path / "class"
    root.mkdir()
    (root / "ann.py").write_text(BASE)
    (root / "ben.ipynb").write_text(notebook(BASE))
    (root / "cal.py").write_text(WRONG_DB2)
    (root / "notes.txt").write_text("not a submission")
    (root / "dee" / "hw2").mkdir(parents=True)
    (root / "dee" / "hw2" / "answers.py").write_text(BASE)
    (root / "eve").mkdir()
    (root / "fay").mkdir()
    (root / "fay" / "a.py").write_text(BASE)
    (root / "fay" / "b.py").write_text(BASE)
    (root / "submission_101").mkdir()
    (root / "submission_101" / "dis02.ipynb").write_text(notebook(WRONG_DB2))
    (root / "submission_metadata.yml").write_text(
        "submission_101:\n  :submitters:\n  - :name: Gus Grey\n    :email: gus@example.edu\n    :sid: '3141'\n"
        "  - :name: Hal Hue\n    :email: hal@example.edu\n    :sid: '2718'\n  :score: 0\n")
    return root


def test_three_layouts_and_awkward_folders(mixed_class, tmp_path):
    out, gradebook = tmp_path / "out.jsonl", tmp_path / "grades.csv"
    result = run_cli("batch", mixed_class, "--out", out, "-j", "2", "--csv", gradebook)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    docs = documents(out)
    assert set(docs) == {"ann.py", "ben.ipynb", "cal.py", "dee", "eve", "fay", "submission_101"}
    scores = {name: doc["score"] for name, doc in docs.items()}
    assert scores == {"ann.py": 16, "ben.ipynb": 16, "cal.py": 15, "dee": 16, "eve": 0, "fay": 0,
                      "submission_101": 15}
    assert "holds no .py or .ipynb file" in docs["eve"]["parts"][0]["checks"][0]["message"]
    assert "holds 2 .py or .ipynb files (a.py, b.py); expected one" in docs["fay"]["parts"][0]["checks"][0]["message"]
    assert [s["name"] for s in docs["submission_101"]["students"]] == ["Gus Grey", "Hal Hue"]
    rows = list(csv.DictReader(gradebook.open()))
    assert [(r["submission"], r["name"], r["sid"], r["total"]) for r in rows if r["submission"] == "submission_101"] \
        == [("submission_101", "Gus Grey", "3141", "15"), ("submission_101", "Hal Hue", "2718", "15")]
    cal = next(r for r in rows if r["submission"] == "cal.py")
    assert cal["1a"] == "0" and cal["1y"] == "1" and cal["2c"] == "3" and cal["1-sketch"] == ""


def test_summary_numbers(mixed_class, tmp_path):
    out, png = tmp_path / "out.jsonl", tmp_path / "class.png"
    assert run_cli("batch", mixed_class, "--out", out).returncode == 0
    result = run_cli("summary", out, "--plot", png)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    # 7 submissions: 3 perfect (16), 2 lose 1a (15), 2 unreadable (0): mean 78 / 7
    assert "7 submissions; total mean 11.14 / 16, median 15, min 0, max 16" in text
    assert "1a           0.43     1    42.9%" in text        # 3 of 7 pass 1a
    assert "2c           2.14     3    71.4%" in text        # the 2 unreadable fail everything
    assert "errors (2 submissions):" in text and "  eve: part 1y" in text
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_shards_merged_equal_one_run(mixed_class, tmp_path):
    whole = tmp_path / "whole.jsonl"
    assert run_cli("batch", mixed_class, "--out", whole).returncode == 0
    shards = [tmp_path / f"shard{i}.jsonl" for i in range(3)]
    for i, shard in enumerate(shards):
        assert run_cli("batch", mixed_class, "--out", shard, "--shard", f"{i}/3").returncode == 0
    sizes = [len(s.read_text().splitlines()) for s in shards]
    assert sum(sizes) == 7 and max(sizes) < 7
    merged = tmp_path / "merged.jsonl"
    assert run_cli("merge", merged, *shards).returncode == 0

    def comparable(path):
        return {k: {**d, "elapsed_s": 0} for k, d in documents(path).items()}
    assert comparable(merged) == comparable(whole)


def test_bad_shard_and_missing_folder_are_usage_errors(tmp_path):
    for args in (["batch", tmp_path, "--out", tmp_path / "o", "--shard", "3/3"],
                 ["batch", tmp_path, "--out", tmp_path / "o", "--shard", "x"],
                 ["batch", tmp_path / "nope", "--out", tmp_path / "o"],
                 ["batch", tmp_path, "--out", tmp_path / "o", "-j", "0"]):
        result = run_cli(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, args


def _start_batch(folder, out, *extra):
    return subprocess.Popen([*GRADER, "batch", str(folder), "--out", str(out), "-j", "2", *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def _wait_for_lines(out, count, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if out.exists() and len(out.read_text().splitlines()) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{out} never reached {count} lines")


@pytest.fixture
def slow_class(tmp_path):
    """Twelve students, each slowed by a hang in one part, so a batch can be stopped midway."""
    root = tmp_path / "slow"
    root.mkdir()
    for i in range(12):
        (root / f"s{i:02}.py").write_text(sabotage("ridge_map", "while True: pass") if i % 2 else BASE)
    return root


def test_killed_batch_resumes_without_repeats(slow_class, tmp_path):
    out = tmp_path / "out.jsonl"
    batch = _start_batch(slow_class, out)
    _wait_for_lines(out, 3)
    os.killpg(batch.pid, signal.SIGKILL)              # the batch and its workers, mid-flight
    batch.wait()
    with open(out, "a") as f:
        f.write('{"submission": "s11.py", "sco')            # what a kill mid-write leaves
    kept = len(documents_lenient(out))
    assert 3 <= kept < 12
    result = run_cli("batch", slow_class, "--out", out, "--resume", timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"({kept} already in" in result.stderr
    lines = out.read_text().splitlines()
    names = [json.loads(line)["submission"] for line in lines]
    assert sorted(names) == [f"s{i:02}.py" for i in range(12)], "each exactly once"


def documents_lenient(path):
    found = []
    for line in path.read_text().splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            pass
    return found


def test_interrupt_leaves_a_valid_file(slow_class, tmp_path):
    out = tmp_path / "out.jsonl"
    batch = _start_batch(slow_class, out)
    _wait_for_lines(out, 2)
    batch.send_signal(signal.SIGINT)
    _, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    docs = [json.loads(line) for line in out.read_text().splitlines()]   # every line whole
    assert 2 <= len(docs) < 12


def test_hostile_students_do_not_disturb_honest_ones(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    attacks = {
        "exit.py": "import sys\nsys.exit(0)\n" + BASE,
        "bomb.py": sabotage("backward", "while True: os.fork()"),
        "hog.py": sabotage("log_posterior", "hoard = [bytearray(1 << 20) for _ in range(1 << 15)]"),
        "hang.py": sabotage("dy_db1", "while True: pass"),
        "vandal.py": "import glob, os\nfor f in glob.glob('/**/*.jsonl', recursive=True):\n"
                     "    try:\n        os.remove(f)\n    except OSError:\n        pass\n" + BASE,
    }
    for name, source in attacks.items():
        (root / name).write_text(source)
    for i in range(6):
        (root / f"honest{i}.py").write_text(BASE)
    out = tmp_path / "out.jsonl"
    result = run_cli("batch", root, "--out", out, "-j", "2", timeout=300)
    assert result.returncode == 0, result.stderr
    docs = documents(out)
    assert len(docs) == 11
    assert all(docs[f"honest{i}.py"]["score"] == 16 for i in range(6))
    assert docs["exit.py"]["score"] == 0
    assert docs["bomb.py"]["score"] < 16 and docs["hog.py"]["score"] < 16 and docs["hang.py"]["score"] < 16


class _PoolThatBreaks:
    """A stand-in for ProcessPoolExecutor whose first pool breaks at its second submit, as a real
    one does when a worker dies between a wait and the next hand-out; later pools answer at once."""
    made = 0

    def __init__(self, **_):
        type(self).made += 1
        self.submits = 0

    def submit(self, fn, item):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool
        self.submits += 1
        if type(self).made == 1 and self.submits == 2:
            raise BrokenProcessPool("a child process terminated abruptly")
        future = Future()
        if type(self).made == 1:
            future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        else:
            future.set_result(json.dumps({"submission": item}))
        return future

    def shutdown(self, **_):
        pass


def test_a_pool_that_breaks_at_hand_out_loses_no_submission(tmp_path, monkeypatch):
    from grader.batch import workers
    monkeypatch.setattr(workers, "ProcessPoolExecutor", _PoolThatBreaks)
    written = []
    with open(tmp_path / "out.jsonl", "a") as sink:
        batch = workers._Batch(["a", "b", "c"], sink, written.append, 1, ())
        batch.run()
    assert sorted(json.loads(line)["submission"] for line in written) == ["a", "b", "c"]
    assert _PoolThatBreaks.made == 2


def test_a_batch_names_the_mistakes_check_names(tmp_path):
    """A batch's workers make their hints' values only where a student's values are held against
    them (grader.judge.hints.Hints.__call__), on a plan the preflight (another process) made in full:
    each document names the same mistakes, with the same messages, as `grader check` does."""
    root = tmp_path / "class"
    root.mkdir()
    names = ["db1-no-mask", "logp-no-prior", "dz2-without-sigmoid", "ridge-two-lam", "dx-missing-skip"]
    for name in names:
        (root / f"{name}.py").write_text(apply(BASE, next(m for m in MUTANTS if m.name == name)))
    out = tmp_path / "out.jsonl"
    assert run_cli("batch", root, "--out", out, "-j", "2").returncode == 0
    graded = documents(out)
    hinted = 0
    for name in names:
        alone = json.loads(run_cli("check", root / f"{name}.py", "--json").stdout)
        in_batch = graded[f"{name}.py"]
        for part, same in zip(alone["parts"], in_batch["parts"]):
            assert [(c["hint"], c["message"]) for c in part["checks"]] == \
                [(c["hint"], c["message"]) for c in same["checks"]], (name, part["id"])
            hinted += sum(c["hint"] is not None for c in part["checks"])
    assert hinted >= len(names)


def test_a_worker_is_warm_before_its_first_submission(tmp_path, monkeypatch):
    """A batch's worker starts its fork server, makes its plan while the server imports NumPy, and
    hands the server the plan's program before any submission comes (the batch's preflight runs
    meanwhile): the first grading forks at once and prepares nothing. A problem whose plan fails
    leaves the worker to meet the failure in its first grading, which says why."""
    from grader.batch import workers
    from grader.core import spec
    from grader.core.engine import grade, program_for
    from grader.core.plan import plan_for
    from grader.sandbox import isolation as sandbox
    from grader.sandbox.forkserver import ForkServer
    from tests.test_spec_features import REFERENCE, write_problem
    problem = spec.load("dis02")
    server = ForkServer(sandbox.strongest())
    try:
        workers._warm(problem, 182, server)
        assert server.proc.poll() is None and not server.starting
        assert server.prepared is program_for(plan_for(problem, 182))[0]
        prepared = []
        monkeypatch.setattr(ForkServer, "_prepare", lambda self, program: prepared.append(program))
        answer = tmp_path / "answer.py"
        answer.write_text(BASE)
        doc = grade(answer, problem, 182, server=server)
        assert doc.score == doc.max_score and prepared == []
    finally:
        server.close()
    broken = spec.load(str(write_problem(tmp_path / "p", reference=REFERENCE.replace("return", "return y +", 1))))
    server = ForkServer(sandbox.strongest())
    try:
        workers._warm(broken, 182, server)   # the plan raised: nothing raised here
        assert server.proc is not None and server.prepared is None
    finally:
        server.close()
