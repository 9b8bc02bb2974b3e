"""Every platform builder on any problem folder (issues 12 and 13). For each folder in PROBLEMS,
named by its path (absolute for Gradescope, relative for Otter, a bare folder name for the kit):
- the Gradescope zip: unzipped as Gradescope does, setup.sh into a fresh virtual environment, then
  its run_autograder on a submission folder, writing results.json;
- the Otter assignment: graded by `otter run` (its plugin grades with the zip's copy of the problem);
- the student kit: installed in a fresh virtual environment, where `grader check` needs no --problem;
each grading a right and a wrong submission as `grader check` scores them.

The submissions are made from the problem itself, so a new worksheet needs nothing written for
it here: the right one is its reference.py with the first answer set's functions made top-level
names; the wrong one is that with the function its first part calls replaced by one that raises.
"""
import functools
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.core import expr, spec
from grader.platforms import kit
from grader.platforms.gradescope import GradescopeResults
from grader.submitters import seed_for
from tests.conftest import ROOT, run_cli, unzip_as_gradescope, venv_with_wheel

# The problem folders every builder must take; a new worksheet is one more line here.
PROBLEMS = [
    ROOT / "tests" / "toy_problem",   # no template.py, no kit.toml, its folder not named as its spec ("toy")
    ROOT / "problems" / "hw_softmax",   # the second worksheet (dis02's builds are tested at length elsewhere)
]
STUDENT = {"assignment": {"id": 4242, "title": "platforms"},
           "users": [{"id": 7, "name": "Ada", "email": "ada@example.edu"}]}
MAKE_TOP_LEVEL = "\n\n# the first answer set's functions, as a student defines them\nglobals().update(REFERENCES[0])\n"
BREAK = "\n\ndef {name}(*args, **kwargs):\n    raise RuntimeError('wrong on purpose')\n"


@pytest.fixture(scope="module", params=PROBLEMS, ids=lambda folder: folder.name)
def problem(request):
    return spec.load(str(request.param))


def broken_function(problem) -> str:
    return min(expr.functions(expr.parse(problem.spec.parts[0].outputs[0].student)))


def calls(part, name: str) -> bool:
    return any(name in expr.functions(expr.parse(text))
               for text in [o.student for o in part.outputs] + [c.student for c in part.contains])


@pytest.fixture(scope="module")
def submissions(problem, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("submissions")
    right = (problem.folder / "reference.py").read_text() + MAKE_TOP_LEVEL
    (folder / "right.py").write_text(right)
    (folder / "wrong.py").write_text(right + BREAK.format(name=broken_function(problem)))
    return {"right": folder / "right.py", "wrong": folder / "wrong.py"}


def check(problem, submission: Path, seed: int = 182) -> dict:
    """`grader check --json` of the checkout on the problem folder: what every platform must match."""
    return _checked(problem.folder, submission, seed)


@functools.lru_cache(maxsize=None)    # the same submission and seed give the same document
def _checked(folder: Path, submission: Path, seed: int) -> dict:
    done = run_cli("check", submission, "--problem", folder, "--seed", seed, "--json")
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def auto_scores(doc: dict) -> dict[str, float]:
    return {p["id"]: p["score"] for p in doc["parts"] if p["status"] != "manual"}


def assert_graded_as_made(problem, doc: dict, which: str) -> None:
    """The right submission earns everything; the wrong one fails every part calling what it broke."""
    total = sum(p.points for p in problem.spec.parts)
    if which == "right":
        assert doc["score"] == doc["max_score"] == total, doc
        return
    broken = broken_function(problem)
    failed = {p["id"] for p in doc["parts"] if p["status"] in ("failed", "error")}
    assert {p.id for p in problem.spec.parts if calls(p, broken)} <= failed
    assert doc["score"] < total


@pytest.mark.parametrize("which", ["right", "wrong"])
def test_the_submissions_are_what_they_claim(problem, submissions, which):
    assert_graded_as_made(problem, check(problem, submissions[which]), which)


# ---- Gradescope: the zip, its setup.sh and run_autograder ---------------------------------------------

@pytest.fixture(scope="module")
def gradescope_install(problem, tmp_path_factory) -> tuple[Path, Path]:
    """(the unzipped source, the virtual environment its setup.sh made)."""
    base = tmp_path_factory.mktemp("gradescope")
    done = run_cli("gradescope", "build", base / "zip" / "autograder.zip", "--problem", problem.folder.resolve(),
                   timeout=600)
    assert done.returncode == 0, done.stderr
    source = unzip_as_gradescope(base / "zip" / "autograder.zip", base / "source")
    config = json.loads((source / "grader_gradescope.json").read_text())
    assert config["problem"] == problem.spec.name
    env = {**os.environ, "GRADER_SKIP_APT": "1", "GRADER_VENV": str(base / "venv")}
    setup = subprocess.run(["bash", str(source / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=900, stdin=subprocess.DEVNULL)
    assert setup.returncode == 0, setup.stderr[-3000:]
    return source, base / "venv"


@pytest.mark.slow
@pytest.mark.parametrize("which", ["right", "wrong"])
def test_the_gradescope_zip_grades_like_check(problem, gradescope_install, submissions, which, tmp_path):
    source, venv = gradescope_install
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(submissions[which], root / "submission" / f"{which}.py")
    (root / "submission_metadata.json").write_text(json.dumps(STUDENT))
    shutil.copytree(source, root / "source", symlinks=True)
    done = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GRADER_ROOT": str(root), "GRADER_VENV": str(venv)},
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    results = GradescopeResults.model_validate_json((root / "results" / "results.json").read_text())
    expected = check(problem, submissions[which], seed_for(STUDENT))
    assert_graded_as_made(problem, expected, which)
    assert [t.number for t in results.tests] == [p.id for p in problem.spec.parts]
    assert {t.number: t.score for t in results.tests} == auto_scores(expected)
    assert results.score == pytest.approx(expected["score"]) and results.extra_data["seed"] == seed_for(STUDENT)


# ---- Otter: the notebook, the test files and the zip, graded by `otter run` ---------------------------

@pytest.fixture(scope="module")
def otter_assignment(problem, tmp_path_factory) -> tuple[Path, str]:
    """(the assignment folder, what the build said on stderr)."""
    out = tmp_path_factory.mktemp("otter") / "assignment"
    done = run_cli("otter", "build", out, "--problem", os.path.relpath(problem.folder, ROOT), cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return out, done.stderr


def test_the_otter_notebook_has_a_cell_per_part_and_a_missing_template_is_a_warning(problem, otter_assignment):
    folder, said = otter_assignment
    notebook = nbformat.read(folder / f"{problem.spec.name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    has_template = (problem.folder / "template.py").is_file()
    assert ("warning:" in said) == (not has_template), said
    for part in problem.spec.parts:
        assert (folder / "tests" / f"q{part.id}.py").is_file()
        checked = code.index(f'grader.check("q{part.id}")')
        if not has_template:   # the cell before each check names what the part's checks call
            assert all(text in code[checked - 1] for text in [o.student for o in part.outputs])
    if not has_template:
        warning = " ".join(said.split())
        assert f"has no template.py, so the notebook {problem.spec.name}.ipynb has no starter code" in warning
        assert "no def lines with the arguments to take" in warning and broken_function(problem) in warning
    with zipfile.ZipFile(folder / "autograder.zip") as archive:
        assert "files/grader_problem/spec.toml" in archive.namelist()


@pytest.mark.parametrize("which", ["right", "wrong"])
def test_otter_run_scores_each_question_as_check_scores_the_part(problem, otter_assignment, submissions, which,
                                                                 tmp_path):
    folder, _ = otter_assignment
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(folder / "autograder.zip"), "-o", str(out),
                           str(submissions[which])], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    otter = {t["name"]: t["score"] for t in json.loads((out / "results.json").read_text())["tests"]
             if t["name"].startswith("q")}
    expected = check(problem, submissions[which])
    assert_graded_as_made(problem, expected, which)
    assert otter.keys() == {f"q{part}" for part in auto_scores(expected)}
    for part, score in auto_scores(expected).items():
        assert otter[f"q{part}"] == pytest.approx(score, abs=1e-5), part


# ---- the student kit, installed ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def kit_grader(problem, tmp_path_factory) -> Path:
    """The `grader` of the problem's kit, installed in a fresh virtual environment."""
    base = tmp_path_factory.mktemp("kit")
    done = run_cli("student-kit", base / "dist", "--problem", problem.folder.name, cwd=problem.folder.parent,
                   timeout=300)
    assert done.returncode == 0, done.stderr
    [wheel] = (base / "dist").glob("sandgrade-*.whl")
    assert kit.leaks(wheel, kit.secrets(problem.folder)) == []
    with zipfile.ZipFile(wheel) as archive:   # under its spec's name, as the notebook's checks call it
        assert {n.split("/")[1] for n in archive.namelist() if n.startswith("problems/")} == \
            {"__init__.py", problem.spec.name}
    python = venv_with_wheel(base / "env", wheel)
    where = subprocess.run([python, "-c", "import grader; print(grader.__file__)"], capture_output=True,
                           text=True, check=True, cwd=base).stdout.strip()
    assert where.startswith(str(base / "env" / "lib"))     # the kit's grader, not this checkout's
    return python.parent / "grader"


@pytest.mark.parametrize("which", ["right", "wrong"])
def test_the_installed_kit_checks_its_own_problem_without_being_told(problem, kit_grader, submissions, which,
                                                                     tmp_path):
    shutil.copy(submissions[which], tmp_path / "sol.py")
    env = {"PATH": f"{kit_grader.parent}:/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1", "LANG": "C.UTF-8"}
    done = subprocess.run([str(kit_grader), "check", "sol.py", "--json"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == (0 if which == "right" else 1), done.stderr
    doc = json.loads(done.stdout)
    assert doc["problem"] == problem.spec.name
    assert_graded_as_made(problem, doc, which)
    named = subprocess.run([str(kit_grader), "check", "sol.py", "--json", "--problem", problem.spec.name],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, stdin=subprocess.DEVNULL)
    assert json.loads(named.stdout) == {**doc, "elapsed_s": json.loads(named.stdout)["elapsed_s"]}
    # public checks only: none against the reference's own functions, none hidden
    assert not any("of the reference" in c["name"] or c["hidden"] for p in doc["parts"] for c in p["checks"])
