"""`grader otter build`, graded by the real otter-grader (`otter run`), question by question
against `grader check`; and the student notebook's `grader.check` cells in a real kernel."""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

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


@pytest.fixture(scope="module")
def assignment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("otter")
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
    assert {f"tests/q{p}.py" for p in AUTO_PARTS} <= names
    assert config["plugins"] == [{"grader.otter.plugin.GraderPlugin": {"problem": "dis02"}}]
    assert any(n.startswith("files/grader-") for n in names)


def otter_run(assignment: Path, submission: Path, out: Path) -> dict[str, float]:
    out.mkdir()
    done = subprocess.run([*OTTER, "run", "-a", str(assignment / "autograder.zip"), "-o", str(out),
                           str(submission)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: t["score"] for t in results["tests"] if t["name"].startswith("q")}


def grader_check(submission: Path) -> dict[str, float]:
    done = run_cli("check", submission, "--json")
    return {f"q{p['id']}": p["score"] for p in json.loads(done.stdout)["parts"] if p["status"] != "manual"}


@pytest.mark.parametrize("name, source", [
    ("correct.py", CORRECT.read_text()),
    ("dx_missing_skip.py", mutant("dx-missing-skip")),     # 2c partly right: a fractional score
    ("db1_no_mask.py", mutant("db1-no-mask")),
    ("notebook.ipynb", NOTEBOOK.read_text()),
    ("patches_otter.py", mutant("dW1-no-mask") + PATCH_OTTER),
])
def test_otter_run_scores_each_question_as_grader_check_scores_the_part(assignment, tmp_path, name, source):
    submission = tmp_path / name
    submission.write_text(source)
    otter = otter_run(assignment, submission, tmp_path / "out")
    expected = grader_check(submission)
    assert set(otter) == set(expected) == {f"q{p}" for p in AUTO_PARTS}
    for question, score in expected.items():
        assert otter[question] == pytest.approx(score, abs=1e-5), question
    if name != "correct.py" and name != "notebook.ipynb":
        assert sum(otter.values()) < 16


def test_the_student_notebook_checks_run_in_a_real_kernel(assignment, tmp_path):
    """The student fills the notebook (here: 1c without the ReLU mask) and runs it."""
    from nbclient import NotebookClient
    notebook = nbformat.read(assignment / "dis02.ipynb", as_version=4)
    stubs = [c for c in notebook.cells if c.cell_type == "code" and "def " in c.source]
    for cell in stubs:
        notebook.cells.remove(cell)
    first_check = next(i for i, c in enumerate(notebook.cells) if "grader.check" in c.source)
    notebook.cells.insert(first_check, nbformat.v4.new_code_cell(mutant("db1-no-mask")))
    work = tmp_path / "work"
    work.mkdir()
    (work / "tests").mkdir()
    for test in (assignment / "tests").iterdir():
        (work / "tests" / test.name).write_text(test.read_text())
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(work)}}).execute()
    shown = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith("grader.check("):
            text = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in cell.outputs)
            shown[cell.source.split('"')[1]] = text
    assert "passed" in shown["q1y"] and "passed" in shown["q1d"]
    assert "q1c results" in shown["q1c"] and "dy_db1(x, W1, b1, W2, b2)" in shown["q1c"]
    assert "expected:" in shown["q1c"] and "passed!" not in shown["q1c"]
