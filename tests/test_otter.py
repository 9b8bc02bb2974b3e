"""`grader otter build`, graded by the real otter-grader (`otter run`), question by question
against `grader check`, beside an instructor's own Otter question; and the Otter internals the
plugin relies on. The student notebook's `grader.check` cells: tests/test_otter_notebook.py."""
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.core.spec import tomllib
from tests.conftest import AUTO_PARTS, ROOT, SOLUTIONS, run_cli

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

OTTER = [sys.executable, "-m", "otter"]
CORRECT = SOLUTIONS / "correct" / "vectorized.py"
NOTEBOOK = SOLUTIONS / "correct" / "notebook.ipynb"


def mutant(name: str) -> str:
    return apply(CORRECT.read_text(), next(m for m in MUTANTS if m.name == name))


# Otter's own exploit: code in the kernel replaces the test runner so that every test passes.
PATCH_OTTER = """
from otter.test_files.exception_test import ExceptionTestFile
from otter.test_files.abstract_test import TestCaseResult
def _all_pass(self, env):
    self.test_case_results = [TestCaseResult(test_case=tc, message="ok", passed=True) for tc in self.test_cases]
ExceptionTestFile.run = _all_pass
"""


# kills nothing, but Otter cannot read the kernel's results: its pickle.dump writes nothing
SPOILS_RESULTS = "\nimport pickle\npickle.dump = lambda *args, **kwargs: None\n"

# an instructor's own Otter question beside grader's, written by hand into DIR/tests before
# `grader otter build DIR`: Otter grades it in its kernel, and it keeps Otter's result
HAND_WRITTEN = '''from otter.test_files import test_case

OK_FORMAT = False
name = "q4"
points = 2


@test_case(points=2, hidden=False)
def an_off_unit_passes_no_gradient(dy_db1):
    import numpy as np
    W1, b1, W2 = np.array([[1.0], [-1.0]]), np.zeros((2, 1)), np.array([[3.0, 5.0]])
    assert np.allclose(dy_db1(1.0, W1, b1, W2, 0.0), [[3.0], [0.0]])
'''


@pytest.fixture(scope="module")
def assignment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("otter")
    (folder / "tests").mkdir()
    (folder / "tests" / "q4.py").write_text(HAND_WRITTEN)
    done = run_cli("otter", "build", folder, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder


def test_the_assignment_has_a_notebook_tests_and_a_zip_naming_our_plugin(assignment):
    notebook = nbformat.read(assignment / "dis02.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    for part in AUTO_PARTS:
        assert f'grader.check("q{part}")' in code
        assert (assignment / "tests" / f"q{part}.py").is_file()
    assert any("def dy_dW1(x, W1, b1, W2, b2):" in c for c in code)
    with zipfile.ZipFile(assignment / "autograder.zip") as archive:
        names = set(archive.namelist())
        config = json.loads(archive.read("otter_config.json"))
    assert {f"tests/q{p}.py" for p in AUTO_PARTS} | {"tests/q4.py"} <= names
    assert config["plugins"] == [{"grader.platforms.otter.plugin.GraderPlugin": {
        "problem": "dis02", "folder": "grader_problem"}}]
    assert any(n.startswith("files/sandgrade-") for n in names)
    # the problem the plugin grades with, so `otter run` needs none installed
    assert {"files/grader_problem/spec.toml", "files/grader_problem/reference.py"} <= names


def otter_run(assignment: Path, submission: Path, out: Path) -> dict[str, dict]:
    out.mkdir()
    done = subprocess.run([*OTTER, "run", "-a", str(assignment / "autograder.zip"), "-o", str(out),
                           str(submission)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: t for t in results["tests"] if t["name"].startswith("q")}


def grader_check(submission: Path) -> dict[str, float]:
    done = run_cli("check", submission, "--json")
    return {f"q{p['id']}": p["score"] for p in json.loads(done.stdout)["parts"] if p["status"] != "manual"}


@pytest.mark.parametrize("name, source, q4", [
    ("correct.py", CORRECT.read_text(), 2),
    ("dx_missing_skip.py", mutant("dx-missing-skip"), 2),     # 2c partly right: a fractional score
    ("db1_no_mask.py", mutant("db1-no-mask"), 0),             # q4 fails too, in Otter's kernel
    ("notebook.ipynb", NOTEBOOK.read_text(), 2),
    ("patches_otter.py", mutant("dW1-no-mask") + PATCH_OTTER, 2),   # q4 is Otter's: patched, it passes
    ("spoils_results.py", CORRECT.read_text() + SPOILS_RESULTS, 0),  # Otter's kernel reported nothing
])
def test_otter_run_scores_each_question_as_grader_check_scores_the_part(assignment, tmp_path, name, source, q4):
    submission = tmp_path / name
    submission.write_text(source)
    otter = otter_run(assignment, submission, tmp_path / "out")
    expected = grader_check(submission)
    assert set(otter) == set(expected) | {"q4"} and set(expected) == {f"q{p}" for p in AUTO_PARTS}
    for question, score in expected.items():
        assert otter[question]["score"] == pytest.approx(score, abs=1e-5), question
    if name not in ("correct.py", "notebook.ipynb", "spoils_results.py"):
        assert sum(otter[q]["score"] for q in expected) < 16
    assert (otter["q4"]["score"], otter["q4"]["max_score"]) == (q4, 2)
    if name == "spoils_results.py":
        assert "not run: the notebook's kernel did not finish" in otter["q4"]["output"]


def test_the_otter_internals_the_plugin_relies_on_are_there():
    """An Otter upgrade that moves any of them fails here, naming what changed, before a course
    finds out from wrong scores (the plugin also refuses to grade with such an Otter)."""
    import otter
    from grader.platforms.otter import compat
    assert compat.changed() == [], f"otter-grader {otter.__version__}: these changed: {compat.changed()}"
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["otter"]
    pinned = re.fullmatch(r"otter-grader\[grading\]==([\w.]+)", extra[0]).group(1)
    assert pinned == compat.TESTED_WITH == otter.__version__, (
        f"otter-grader {otter.__version__} is installed, pyproject.toml pins {pinned}, grader.platforms.otter.compat "
        f"was read from {compat.TESTED_WITH}: read the internals it lists again, then move all three")


def test_compat_notices_a_changed_internal(monkeypatch):
    from otter.test_files import GradingResults
    from grader.platforms.otter import compat
    monkeypatch.delattr(GradingResults, "clear_results")
    assert compat.changed() == ["GradingResults has clear_results() and set_output(text)"]
