"""`grader gradescope run --root DIR` on simulated /autograder trees, and the zip it builds."""
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.platforms.gradescope import GradescopeResults
from grader.submitters import seed_for
from tests.conftest import AUTO_PARTS, ROOT, SOLUTIONS, run_cli, unzip_as_gradescope

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

CORRECT = SOLUTIONS / "correct" / "vectorized.py"
NOTEBOOK = SOLUTIONS / "correct" / "notebook.ipynb"
BUGGY = ROOT / "submissions_example" / "dave_no_relu_mask.py"
ALICE = {"assignment": {"id": 25828, "title": "dis02"},
         "users": [{"id": 1234, "name": "Alice", "email": "alice@example.edu"}]}
BOB = {"assignment": {"id": 25828, "title": "dis02"}, "users": [{"id": 99, "name": "Bob", "email": "bob@example.edu"}]}


def autograder(tmp_path: Path, files: dict[str, str | Path], metadata: dict | None = ALICE) -> Path:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    for name, content in files.items():
        target = root / "submission" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_text(content)
    if metadata is not None:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    return root


def run(root: Path, *extra) -> GradescopeResults:
    done = run_cli("gradescope", "run", "--root", root, *extra)
    assert done.returncode == 0, done.stderr
    return GradescopeResults.model_validate_json((root / "results" / "results.json").read_text())


def check_scores(path: Path, seed: int) -> dict[str, float]:
    done = run_cli("check", path, "--json", "--seed", seed)
    return {p["id"]: p["score"] for p in json.loads(done.stdout)["parts"] if p["status"] != "manual"}


@pytest.mark.parametrize("submission", [CORRECT, BUGGY, NOTEBOOK], ids=["correct", "buggy", "notebook"])
def test_results_match_grader_check_part_by_part(tmp_path, submission):
    root = autograder(tmp_path, {submission.name: submission})
    results = run(root)
    assert [t.number for t in results.tests] == AUTO_PARTS     # one test per auto part, no manual ones
    expected = check_scores(submission, seed_for(ALICE))
    assert {t.number: t.score for t in results.tests} == expected
    assert results.score == pytest.approx(sum(expected.values()))
    for test in results.tests:
        assert test.status == ("passed" if test.score == test.max_score else "failed")
    assert "Graded by hand, not here: 1-sketch, 2d-why, 3-proof" in results.output


def test_buggy_feedback_is_in_the_part_and_hidden_until_the_due_date(tmp_path):
    results = run(autograder(tmp_path, {"dave.py": BUGGY}))
    failed = {t.number: t for t in results.tests if t.status == "failed"}
    assert set(failed) == {"1c", "1d"}
    assert "dy_db1(x, W1, b1, W2, b2):" in failed["1c"].output and "expected:" in failed["1c"].output
    assert "hint: dy/db1 is missing the ReLU mask" in failed["1c"].output      # the misconception, named
    assert failed["1c"].visibility == "after_due_date"
    # the always-visible summary carries public checks only, never a hidden check's inputs
    assert "random case" not in results.output and "advisory" in results.output


def test_hidden_visibility_is_configurable(tmp_path):
    root = autograder(tmp_path, {"dave.py": BUGGY})
    (root / "source").mkdir()
    (root / "source" / "grader_gradescope.json").write_text(json.dumps({"hidden_visibility": "visible"}))
    results = run(root)
    assert {t.visibility for t in results.tests} == {"visible"}
    assert "random case" in results.output


def test_seed_is_per_student_and_a_regrade_reproduces_it(tmp_path):
    assert None != seed_for(ALICE) != seed_for(BOB)
    group = {"assignment": {"id": 1}, "users": [{"id": 2, "email": "b@x.edu"}, {"id": 1, "email": "a@x.edu"}]}
    same = {"assignment": {"id": 1}, "users": [{"id": 7, "email": "A@x.edu"}, {"id": 8, "email": "b@x.edu "}]}
    assert seed_for(group) == seed_for(same) is not None      # emails, not user ids; any order
    first = run(autograder(tmp_path / "a", {"s.py": BUGGY}))
    again = run(autograder(tmp_path / "b", {"s.py": BUGGY}))
    bob = run(autograder(tmp_path / "c", {"s.py": BUGGY}, BOB))
    assert first.extra_data["seed"] == again.extra_data["seed"] == seed_for(ALICE)
    assert [t.output for t in first.tests] == [t.output for t in again.tests]
    assert bob.extra_data["seed"] == seed_for(BOB)
    assert [t.output for t in bob.tests] != [t.output for t in first.tests]   # other random cases
    no_metadata = run(autograder(tmp_path / "d", {"s.py": CORRECT}, metadata=None))
    assert no_metadata.extra_data["seed"] == 182 and "no submitters" in no_metadata.output


@pytest.mark.parametrize("files, words", [
    ({}, "no .py or .ipynb"),
    ({"a.py": CORRECT, "b.ipynb": NOTEBOOK}, "2 .py or .ipynb files"),
    ({"notes.txt": "hello"}, "no .py or .ipynb"),
])
def test_no_or_several_submissions_are_explained(tmp_path, files, words):
    results = run(autograder(tmp_path, files))
    assert results.score == 0 and all(t.score == 0 for t in results.tests)
    assert words in results.tests[0].output


def test_the_named_file_wins_when_there_are_several(tmp_path):
    root = autograder(tmp_path, {"helper.py": "x = 1\n", "sub/dis02.py": CORRECT})
    (root / "source").mkdir()
    (root / "source" / "grader_gradescope.json").write_text(json.dumps({"submission_name": "dis02.py"}))
    assert run(root).score == 16


FORGER = """
import json, os, subprocess, sys
FAKE = {{"score": 1000, "tests": [{{"name": "forged", "score": 1000, "max_score": 16}}]}}
TARGET = {target!r}
for attempt in (lambda: open(TARGET, "w").write(json.dumps(FAKE)),
                lambda: os.makedirs(os.path.dirname(TARGET), exist_ok=True)):
    try:
        attempt()
    except OSError:
        pass
# and a straggler that tries again once grading is over
subprocess.Popen([sys.executable, "-c", "import time, json; time.sleep(1.0); "
                  "open(%r, 'w').write(json.dumps(%r))" % (TARGET, FAKE)], start_new_session=True)
"""


@pytest.mark.parametrize("isolation", ["bubblewrap", "process"])
def test_a_submission_writing_results_json_scores_what_it_earned(tmp_path, isolation):
    root = tmp_path / "autograder"
    target = root / "results" / "results.json"
    earned = CORRECT.read_text().split("# ---------------------------------------------------------------- Problem 2")[0]
    root = autograder(tmp_path, {"forger.py": earned + FORGER.format(target=str(target))})
    results = run(root, "--isolation", isolation)
    time.sleep(1.5)   # the straggler would have written by now
    on_disk = GradescopeResults.model_validate_json(target.read_text())
    assert on_disk == results
    scores = {t.number: t.score for t in results.tests}
    assert scores == {**dict.fromkeys(AUTO_PARTS, 0.0), "1y": 1, "1a": 1, "1b": 1, "1c": 1, "1d": 1}
    assert results.score == 5


def test_misconfigured_autograder_is_a_message_not_a_traceback(tmp_path):
    root = autograder(tmp_path, {"s.py": CORRECT})
    (root / "source").mkdir()
    (root / "source" / "grader_gradescope.json").write_text('{"problem": "no-such-problem"}')
    done = run_cli("gradescope", "run", "--root", root)
    assert done.returncode == 1 and "misconfigured" in done.stderr and "Traceback" not in done.stderr
    missing = run_cli("gradescope", "run", "--root", tmp_path / "nowhere")
    assert missing.returncode == 2 and "no such folder" in missing.stderr


def test_the_zip_installs_with_its_setup_sh_and_grades_like_check(tmp_path, dis02_gradescope_zip):
    """Unzip as Gradescope does, run setup.sh into a fresh virtual environment, then
    run_autograder; its results equal `grader check` with the student's seed."""
    with zipfile.ZipFile(dis02_gradescope_zip) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    unzip_as_gradescope(dis02_gradescope_zip, tmp_path / "source")
    assert {"setup.sh", "run_autograder", "grader_gradescope.json"} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert any(n.startswith("sandgrade-") and n.endswith(".whl") for n in names)
    assert "conda" not in (tmp_path / "source" / "setup.sh").read_text()

    venv = tmp_path / "venv"
    env = {**os.environ, "GRADER_SKIP_APT": "1", "GRADER_VENV": str(venv)}
    started = time.monotonic()
    setup = subprocess.run(["bash", str(tmp_path / "source" / "setup.sh")], env=env,
                           capture_output=True, text=True, timeout=600)
    print(f"setup.sh took {time.monotonic() - started:.1f} s")
    assert setup.returncode == 0, setup.stderr[-2000:]

    root = autograder(tmp_path, {"dave.py": BUGGY})
    shutil.copytree(tmp_path / "source", root / "source")
    graded = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                            env={**env, "GRADER_ROOT": str(root)}, timeout=120)
    assert graded.returncode == 0, graded.stderr
    results = GradescopeResults.model_validate_json((root / "results" / "results.json").read_text())
    assert {t.number: t.score for t in results.tests} == check_scores(BUGGY, seed_for(ALICE))
    assert results.extra_data["isolation"] == "bubblewrap"


# ---- a valid results.json, whatever happens (issue 11) -------------------------------------

FORGED = json.dumps({"score": 1000, "execution_time": 0, "output": "forged", "tests": []})


def run_autograder(tmp_path: Path, root: Path, venv: Path) -> subprocess.CompletedProcess:
    """The zip's run_autograder script, as Gradescope runs it (after a results.json that a
    student or an earlier run left behind)."""
    from grader.platforms.gradescope_build import RUN
    script = tmp_path / "run_autograder"
    script.write_text(RUN)
    script.chmod(0o755)
    (root / "results" / "results.json").write_text(FORGED)
    return subprocess.run([str(script)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GRADER_ROOT": str(root), "GRADER_VENV": str(venv)})


def fake_grader(tmp_path: Path, body: str) -> Path:
    """A virtual environment whose `grader` does `body` (bash; $4 is the root)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "grader").write_text(f"#!/usr/bin/env bash\n{body}\n")
    (venv / "bin" / "grader").chmod(0o755)
    return venv


@pytest.mark.parametrize("body, words", [
    (None, "the grader is not installed in this autograder"),
    ("kill -9 $$", "the grader was killed (signal 9)"),
    ("kill -SEGV $$", "the grader was killed by signal 11"),
    ("exit 3", "the grader stopped (exit status 3) before writing its results"),
    ("exit 0", "the grader stopped (exit status 0) before writing its results"),
    ("sleep 30", "the grader was killed (signal 9)"),     # past GRADER_TIMEOUT, set below
    ("echo '{\"score\": 16}' > \"$4/results/results.json\"; kill -9 $$", "the grader was killed"),
], ids=["not installed", "killed", "segfault", "exit 3", "exit 0 without results", "timeout",
        "wrote then killed"])
def test_run_autograder_always_leaves_valid_results(tmp_path, body, words, monkeypatch):
    monkeypatch.setenv("GRADER_TIMEOUT", "2")
    root = autograder(tmp_path, {"s.py": CORRECT})
    venv = tmp_path / "nowhere" if body is None else fake_grader(tmp_path, body)
    done = run_autograder(tmp_path, root, venv)
    assert done.returncode == 0, done.stderr
    results = GradescopeResults.model_validate_json((root / "results" / "results.json").read_text())
    assert results.score == 0 and results.tests == []          # never a made-up score
    assert words in results.output and "Please tell the course staff" in results.output
    assert words in done.stderr


def test_run_autograder_with_a_bad_config_says_so(tmp_path):
    """The real grader: an unreadable grader_gradescope.json is reported in results.json."""
    root = autograder(tmp_path, {"s.py": CORRECT})
    (root / "source").mkdir()
    (root / "source" / "grader_gradescope.json").write_text("{not json")
    done = run_autograder(tmp_path, root, Path(sys.executable).parent.parent)
    assert done.returncode == 0, done.stderr
    results = GradescopeResults.model_validate_json((root / "results" / "results.json").read_text())
    assert results.score == 0 and "the autograder is misconfigured" in results.output
    assert "misconfigured" in done.stderr


def test_run_autograder_grades_as_usual(tmp_path):
    root = autograder(tmp_path, {"s.py": CORRECT})
    done = run_autograder(tmp_path, root, Path(sys.executable).parent.parent)
    assert done.returncode == 0, done.stderr
    results = GradescopeResults.model_validate_json((root / "results" / "results.json").read_text())
    assert results.score == 16 and [t.number for t in results.tests] == AUTO_PARTS


@pytest.mark.parametrize("config, words", [
    ({"problem": "no-such-problem"}, "the autograder is misconfigured (SpecError"),
    ({"isolation": "no-such-mode"}, "the autograder is misconfigured (IsolationUnavailable"),
    ({"hidden_visibility": "sometimes"}, "the autograder is misconfigured (ValidationError"),
])
def test_a_misconfigured_autograder_writes_results_that_say_so(tmp_path, config, words):
    root = autograder(tmp_path, {"s.py": CORRECT})
    (root / "source").mkdir()
    (root / "source" / "grader_gradescope.json").write_text(json.dumps(config))
    (root / "results" / "results.json").write_text(FORGED)
    done = run_cli("gradescope", "run", "--root", root)
    assert done.returncode == 1 and "misconfigured" in done.stderr and "Traceback" not in done.stderr
    results = GradescopeResults.model_validate_json((root / "results" / "results.json").read_text())
    assert results.score == 0 and words in results.output
    # a test per part when the config and problem can still be read, each 0 and saying why
    if "isolation" in config:
        assert [t.number for t in results.tests] == AUTO_PARTS
        assert all(t.score == 0 and words in t.output for t in results.tests)


@pytest.fixture
def own_memory_cap_undone():
    """gradescope.run caps its process's address space (sandbox.cap_own_memory): in this test
    that is pytest's, so the cap is undone afterwards."""
    import resource
    before = resource.getrlimit(resource.RLIMIT_AS)
    yield
    resource.setrlimit(resource.RLIMIT_AS, before)


@pytest.mark.parametrize("error", [RuntimeError("a bug of ours"), MemoryError()])
def test_a_crash_of_ours_writes_results_that_say_so(tmp_path, monkeypatch, error, own_memory_cap_undone):
    from grader.platforms import gradescope
    from grader.core import engine

    def crash(*args, **kwargs):
        raise error
    monkeypatch.setattr(engine, "grade", crash)
    root = autograder(tmp_path, {"s.py": CORRECT})
    (root / "results" / "results.json").write_text(FORGED)
    with pytest.raises(type(error)):
        gradescope.run(root, "process")
    results = GradescopeResults.model_validate_json((root / "results" / "results.json").read_text())
    assert results.score == 0 and f"the grader failed ({type(error).__name__}" in results.output
    assert [t.number for t in results.tests] == AUTO_PARTS and all(t.score == 0 for t in results.tests)
