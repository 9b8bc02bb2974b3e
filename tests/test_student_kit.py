"""`grader student-kit`: a wheel with public checks only and nothing of the reference in it.

The kit is built once through the CLI; its wheel is scanned for reference.py's code, its problem
folder is graded in public mode in this process (every correct solution, every mutant), and the
slow test installs it into a fresh virtual environment and runs the installed `grader check`,
as an unprivileged user without bubblewrap, as on a student's laptop."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader.platforms import kit
from grader.sandbox import isolation as sandbox
from grader.sandbox.child import evaluate
from grader.core import expr, spec
from grader.core.engine import grade
from grader.errors import KitError
from tests.conftest import AUTO_PARTS, CORRECT, MANUAL_PARTS, ROOT, SOLUTIONS, failing, run_cli

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

DIS02 = ROOT / "problems" / "dis02"
TOY = ROOT / "tests" / "toy_problem"
BASE_SOURCE = (SOLUTIONS / "correct" / "vectorized.py").read_text()
OWN = "your own"          # in the names of checks against the student's own functions


def reference_lines() -> list[str]:
    """Every line of reference.py that gives something away, whitespace removed: this test's own
    reading, not the kit's: skip blank lines, comments, docstrings, imports, def lines (the
    names are public) and lines under 10 characters (`return 1.0`)."""
    found, in_doc = [], False
    for line in (DIS02 / "reference.py").read_text().splitlines():
        code = line.split("  #")[0].strip()
        quotes = code.count('"""')
        if in_doc or quotes:
            in_doc = in_doc != (quotes % 2 == 1)
            continue
        if not code or code.startswith(("#", "def ", "import ", "from ")):
            continue
        compact = "".join(code.split())
        if len(compact) >= 10:
            found.append(compact)
    return found


def leaked_lines(wheel: Path, extra: list[Path] = ()) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        texts = [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
    texts += [p.read_text() for p in extra]
    everything = "".join("".join(t.split()) for t in texts)
    return [line for line in reference_lines() if line in everything]


@pytest.fixture(scope="module")
def built(dis02_kit, tmp_path_factory):
    wheels = list(dis02_kit.glob("*.whl"))
    assert len(wheels) == 1
    unpacked = tmp_path_factory.mktemp("kit") / "unpacked"
    with zipfile.ZipFile(wheels[0]) as archive:
        archive.extractall(unpacked)
    return wheels[0], unpacked


@pytest.fixture(scope="module")
def public(built):
    problem = spec.load(str(built[1] / "problems" / "dis02"))
    assert problem.vectors is not None and problem.references == []
    return problem


def test_the_scan_reads_the_reference():
    lines = reference_lines()
    assert len(lines) >= 15
    for formula in ("np.linalg.solve(", "relu_grad(", "np.exp(-z)", "c[\"W1\"].T@dz1", "(r@r)"):
        assert any(formula in line for line in lines), formula


def test_wheel_holds_no_reference(built):
    wheel, unpacked = built
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"grader", "problems", wheel.name.split("-py3")[0] + ".dist-info"}
    assert not [n for n in names if Path(n).name in ("reference.py", "mistakes.py")]
    # plots.py (the plotted network and where its kinks are) is the only problem code shipped
    assert not [n for n in names if n.startswith("problems/") and n.endswith(".py")
                and not n.endswith(("__init__.py", "/plots.py"))]
    shipped = sorted(n for n in names if n.startswith("problems/dis02/"))
    copies = [n for n in shipped if "/__pycache__/" in n]    # validated copies (grader.core.validated)
    assert [n for n in shipped if n not in copies] == [
        "problems/dis02/__init__.py", "problems/dis02/plots.py", "problems/dis02/spec.toml",
        "problems/dis02/vectors.json"]
    assert [re.sub(r"\.[0-9a-f]{24}\.json$", "", n) for n in copies] == [
        "problems/dis02/__pycache__/spec.toml", "problems/dis02/__pycache__/vectors.json"]
    assert leaked_lines(wheel, [wheel.parent / "README.md"]) == []


def test_vectors_are_plain_json_numbers_from_the_reference(public, built, dis02):
    text = (built[1] / "problems" / "dis02" / "vectors.json").read_text()
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the vectors"))
    assert data["problem"] == "dis02"
    decode = lambda v: np.array(v["d"]).reshape(v["a"]) if isinstance(v, dict) else v
    for part in public.spec.parts:
        for output in data["parts"][part.id]["outputs"]:
            labels = [data["cases"][e["case"]]["label"] for e in output["values"]]
            assert len(labels) >= 3, (part.id, output["student"])
            if "W1" in data["cases"][output["values"][0]["case"]]["inputs"]:
                assert any("exactly at its kink" in label for label in labels)
                assert any("just below" in label or "just above" in label for label in labels)
            for entry in output["values"]:
                inputs = {k: decode(v) for k, v in data["cases"][entry["case"]]["inputs"].items()}
                ours = [np.asarray(evaluate(expr.parse(output["student"]), ns, inputs)) for ns in dis02.references]
                stored = [np.asarray(decode(v)) for v in entry["expected"]]
                assert all(any(s.shape == o.shape and np.array_equal(s, o) for o in ours) for s in stored)
                assert any(np.array_equal(stored[0], o) for o in ours[:1])


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_correct_solutions_pass_the_public_checks(path, public):
    doc = grade(path, public, 182)
    assert [p.id for p in doc.parts] == AUTO_PARTS + MANUAL_PARTS
    assert {p.id: p.status for p in doc.parts if p.status != "passed"} == {m: "manual" for m in MANUAL_PARTS}
    assert doc.score == doc.max_score == 16
    names = [c.name for p in doc.parts for c in p.checks]
    assert not any("of the reference" in n for n in names)     # those need the reference itself
    assert sum(OWN in n for n in names) == 10                  # 9 gradients and a stationary point count
    assert all(c.points > 0 and not c.hidden for p in doc.parts for c in p.checks)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_fails_its_parts_on_the_public_checks(mutant, public, grade_source):
    doc = grade_source(apply(BASE_SOURCE, mutant), problem=public)
    # The parts whose fixed vectors or properties fail are exactly the mutant's; a part may also
    # fail its check against the student's own (wrong) forward, which counts in the kit.
    by_vectors = {p.id for p in doc.parts if any(not c.passed and OWN not in c.name for c in p.checks)}
    assert by_vectors == set(mutant.fails), mutant.why
    assert set(mutant.fails) <= failing(doc)
    for part in doc.parts:
        if part.id in failing(doc) - set(mutant.fails):
            assert all(OWN in c.name for c in part.checks if not c.passed), (part.id, mutant.why)


def test_public_mode_checks_a_notebook_and_names_what_ran(built):
    wheel, unpacked = built
    folder = unpacked / "problems" / "dis02"
    result = run_cli("check", SOLUTIONS / "correct" / "notebook.ipynb", "--problem", folder)
    assert result.returncode == 0, result.stdout
    assert "ok  ridge_map(X, y, lam) matches the reference on 3 fixed problems" in result.stdout
    said = " ".join(result.stdout.split())
    assert "public checks only" in said and "hidden checks on randomized inputs" in said
    as_json = run_cli("check", SOLUTIONS / "correct" / "notebook.ipynb", "--problem", folder, "--json")
    assert json.loads(as_json.stdout)["score"] == 16          # nothing else on stdout


def test_a_kit_cannot_build_a_kit(built, tmp_path):
    result = run_cli("student-kit", tmp_path / "again", "--problem", built[1] / "problems" / "dis02")
    assert result.returncode == 1
    assert "itself a student kit" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "again").exists()


def test_a_bad_pick_is_a_clear_message(tmp_path):
    folder = tmp_path / "dis02copy"
    shutil.copytree(DIS02, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "kit.toml").write_text("[case_sets.ridge]\nrandom = { pick = [0, 99] }\n")
    result = run_cli("student-kit", tmp_path / "out", "--problem", folder)
    assert result.returncode == 1
    assert "family 'random' has 24 cases; there is no case 99" in result.stderr
    assert "Traceback" not in result.stderr


def _leaky_stage(line: str):
    real = kit.stage

    def stage(problem, vectors, folder, readme):
        staged = real(problem, vectors, folder, readme)
        render = staged / "grader" / "reports" / "terminal.py"
        render.write_text(render.read_text() + f"\n# {line}\n")
        return staged
    return stage


def test_the_scan_catches_a_leak(tmp_path, dis02, monkeypatch):
    vectors = kit.make_vectors(dis02, kit.load_config(dis02.folder))
    staged = kit.stage(dis02, vectors, tmp_path / "src", "readme")
    shutil.copy(DIS02 / "reference.py", staged / "problems" / "dis02" / "reference.py")
    wheel = kit.build_wheel(staged, tmp_path / "dist")
    found = kit.leaks(wheel, kit.secrets(DIS02))
    assert any(f.endswith("problems/dis02/reference.py is in the kit") for f in found)
    assert leaked_lines(wheel)          # this test's own scan sees it too
    # one formula, pasted into a comment of an engine module: the build refuses, writes nothing
    solve = next(line for line in (DIS02 / "reference.py").read_text().splitlines() if "linalg.solve" in line)
    monkeypatch.setattr(kit, "stage", _leaky_stage(solve.strip()))
    with pytest.raises(KitError, match="give away the reference"):
        kit.build("dis02", tmp_path / "out")
    assert not (tmp_path / "out").exists()


TOY_RIGHT = "def cube(a, t):\n    return a * t ** 3\n\ndef grads(a, t):\n    return {'t': 3 * a * t * t}\n"


def test_kit_of_another_problem_set(tmp_path):
    """No kit.toml: the first cases of each family; the engine names nothing of the worksheet."""
    toy = spec.load(str(TOY))
    folder = tmp_path / "toy"
    folder.mkdir()
    shutil.copy(TOY / "spec.toml", folder)
    (folder / "vectors.json").write_text(kit._json(kit.make_vectors(toy, kit.KitConfig())))
    problem = spec.load(str(folder))
    answer = tmp_path / "answer.py"
    answer.write_text(TOY_RIGHT)
    assert grade(answer, problem, 1).score == 5
    answer.write_text(TOY_RIGHT.replace("3 * a * t * t", "3 * a * t * abs(t)"))
    doc = grade(answer, problem, 1)
    negative = next(c for c in doc.part("g").checks if "negative" in c.name)
    assert doc.part("v").status == "passed" and not negative.passed
    assert "2 of 2 cases failed" in negative.message


# ---- installed into a fresh virtual environment -----------------------------------------------------

def _first_mutant(prefix: str):
    return next(m for m in MUTANTS if all(p.startswith(prefix) for p in m.fails))


@pytest.mark.slow
def test_installed_kit_in_a_fresh_venv(built):
    wheel, _ = built
    root = os.geteuid() == 0
    python = sandbox._public_interpreter() if root else sys.executable
    assert python, "a Python that an unprivileged user can run is needed to check the kit without root"
    base = Path(tempfile.mkdtemp(prefix="grader-kit-venv-"))   # not under pytest's 0700 folder
    try:
        os.chmod(base, 0o755)
        subprocess.run([python, "-m", "venv", base / "env"], check=True, capture_output=True)
        started = time.monotonic()
        install = subprocess.run([base / "env" / "bin" / "pip", "install", "--quiet", wheel],
                                 capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert install.returncode == 0, install.stderr[-2000:]
        print(f"kit installed in {time.monotonic() - started:.1f} s")
        site = next((base / "env" / "lib").glob("python*/site-packages"))
        assert (site / "problems" / "dis02" / "vectors.json").exists()
        assert not list(site.rglob("reference.py")) and not list(site.rglob("mistakes.py"))

        subs = base / "subs"
        subs.mkdir()
        shutil.copy(SOLUTIONS / "correct" / "vectorized.py", subs / "right.py")
        shutil.copy(SOLUTIONS / "correct" / "notebook.ipynb", subs / "right.ipynb")
        shutil.copy(ROOT / "submissions_example" / "dave_no_relu_mask.py", subs / "dave.py")
        mutants = [_first_mutant(p) for p in ("1", "2", "3")]
        for m in mutants:
            (subs / f"{m.name}.py").write_text(apply(BASE_SOURCE, m))
        subprocess.run(["chmod", "-R", "a+rX", base], check=True)
        # as a student: unprivileged, and bubblewrap is not on the PATH
        as_student = [shutil.which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups"] if root else []
        env = {"PATH": str(base / "env" / "bin"), "HOME": str(subs), "NO_COLOR": "1", "LANG": "C.UTF-8"}

        def grader(*args):
            return subprocess.run([*as_student, base / "env" / "bin" / "grader", *map(str, args)],
                                  capture_output=True, text=True, env=env, cwd=subs, timeout=120,
                                  stdin=subprocess.DEVNULL)

        right = grader("check", subs / "right.py", "--json")
        assert right.returncode == 0, right.stdout + right.stderr
        # the wheel ships spec.toml's and vectors.json's validated copies (grader.core.validated):
        # this student can write neither site-packages nor a cache folder, and still checks
        # without importing pydantic; pip's uninstall removes the copies with the rest
        shipped = sorted(p.name.rsplit(".", 2)[0] for p in (site / "problems" / "dis02" / "__pycache__").glob("*.json"))
        assert shipped == ["spec.toml", "vectors.json"]
        timed = subprocess.run([*as_student, base / "env" / "bin" / "python", "-X", "importtime", "-m", "grader",
                                "check", subs / "right.py"], capture_output=True, text=True, env=env, cwd=subs,
                               timeout=120, stdin=subprocess.DEVNULL)
        assert timed.returncode == 0 and "import time" in timed.stderr, timed.stderr[-2000:]
        assert "pydantic" not in timed.stderr
        doc = json.loads(right.stdout)
        assert doc["score"] == doc["max_score"] == 16 and doc["isolation"] == "process"
        assert "warning: student code runs with process isolation" in right.stderr
        assert grader("check", subs / "right.ipynb").returncode == 0

        dave = grader("check", subs / "dave.py")
        assert dave.returncode == 1
        assert "FAIL   1c" in dave.stdout and "FAIL   1d" in dave.stdout and "PASS   1y" in dave.stdout
        said = " ".join(dave.stdout.split())
        assert "public checks only" in said and "hidden checks on randomized inputs" in said
        for m in mutants:
            result = grader("check", subs / f"{m.name}.py", "--json")
            assert result.returncode == 1
            doc = json.loads(result.stdout)
            failed = {p["id"] for p in doc["parts"] if p["status"] in ("failed", "error")}
            assert set(m.fails) <= failed, m.name
            assert {p["id"]: p["status"] for p in doc["parts"] if p["id"] in MANUAL_PARTS} == \
                {m: "manual" for m in MANUAL_PARTS}

        again = grader("student-kit", subs / "kit2")
        assert again.returncode == 1 and "itself a student kit" in again.stderr
        assert grader("check", subs / "nothing.py").returncode == 2
        gone = subprocess.run([base / "env" / "bin" / "pip", "uninstall", "--yes", "--quiet", "sandgrade"],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert gone.returncode == 0, gone.stderr
        assert not (site / "problems").exists(), "the uninstall left files of the kit behind"
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_kit_plots_problem_1_from_the_students_functions_alone(built, tmp_path):
    """`grader plot 1` from the kit: the student's curves, no reference curve (there is none)."""
    from grader.plotting import readings as plotting
    problem = spec.load(str(built[1] / "problems" / "dis02"), grading=False)
    result = plotting.make(ROOT / "submissions_example" / "alice_correct.py", problem, "1", tmp_path,
                           seed=182, unit=None, isolation="bubblewrap")
    assert all(panel.reference is None for panel in result.panels)
    assert all(panel.drawn for panel in result.panels)
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in result.files)


def test_the_kit_keeps_only_hints_that_give_nothing_away(built, public, dis02, grade_source, tmp_path):
    wheel, unpacked = built
    shipped = "\n".join((unpacked / "problems" / "dis02" / name).read_text() for name in ("spec.toml", "vectors.json"))
    hints = [h for part in dis02.spec.parts for h in part.hints]
    assert any(h.in_kit for h in hints) and any(not h.in_kit for h in hints)
    for hint in hints:
        assert (hint.message in shipped) == hint.in_kit, hint.message
    lines = (unpacked / "problems" / "dis02" / "spec.toml").read_text().splitlines()
    assert "[[parts.hints]]" not in [line.strip() for line in lines]
    # a kit hint fires in the kit as in the full grader: y without its ReLU
    kit_hint = next(h for h in hints if h.in_kit and h.output == "y")
    source = BASE_SOURCE.replace("a = np.maximum(z, 0.0)", "a = z")
    assert source != BASE_SOURCE
    path = tmp_path / "no_relu.py"
    path.write_text(source)
    doc = grade(path, public, 182)
    fired = {c.hint for c in doc.part("1y").checks if c.hint}
    assert fired == {kit_hint.message}


def test_the_kit_shows_which_hidden_units_are_on(public, tmp_path):
    path = tmp_path / "no_mask.py"
    path.write_text(apply(BASE_SOURCE, next(m for m in MUTANTS if m.name == "db1-no-mask")))
    doc = grade(path, public, 182)
    failed = next(c for c in doc.part("1c").checks if not c.passed)
    assert "hidden units on at this x" in failed.message
