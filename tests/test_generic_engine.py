"""The engine knows nothing of Discussion 2: a second problem set, defined only here, is graded
by the same code, and the engine's source never names anything of the worksheet."""
import json
import re
from pathlib import Path

from grader.core import spec
from grader.errors import SpecError
from tests.conftest import ROOT, run_cli

TOY = Path(__file__).parent / "toy_problem"
RIGHT = "def cube(a, t):\n    return a * t ** 3\n\ndef grads(a, t):\n    return {'t': 3 * a * t * t}\n"


def _grade(tmp_path, source):
    path = tmp_path / "toy_answer.py"
    path.write_text(source)
    result = run_cli("check", path, "--problem", TOY, "--json")
    return result.returncode, json.loads(result.stdout)


def test_toy_problem_correct_answer(tmp_path):
    code, doc = _grade(tmp_path, RIGHT)
    assert code == 0
    assert doc["problem"] == "toy" and doc["max_score"] == 5 and doc["score"] == 5
    assert [p["id"] for p in doc["parts"]] == ["v", "g", "essay"]
    assert doc["parts"][2]["status"] == "manual"


def test_toy_problem_gradient_wrong_only_for_negative_t(tmp_path):
    code, doc = _grade(tmp_path, RIGHT.replace("3 * a * t * t", "3 * a * t * abs(t)"))
    assert code == 1
    v, g = doc["parts"][0], doc["parts"][1]
    assert v["status"] == "passed"
    assert g["status"] == "failed"
    by_name = {c["name"]: c for c in g["checks"]}
    negative = next(c for n, c in by_name.items() if "negative" in n)
    random = next(c for n, c in by_name.items() if "random" in n)
    assert random["passed"] and not negative["passed"]
    assert "5 of 5 cases failed" in negative["message"]


def test_gradient_disagreeing_with_own_forward_costs_its_weight(tmp_path):
    # cube wrong, grads right: part v fails; in part g the own-forward check (weight 1) fails
    code, doc = _grade(tmp_path, RIGHT.replace("a * t ** 3", "a * t ** 3 + a * t"))
    g = doc["parts"][1]
    own = next(c for c in g["checks"] if "your own" in c["name"])
    assert not own["passed"] and "disagrees with your own forward" in own["message"]
    assert g["score"] < g["max_score"]


def test_engine_source_names_nothing_of_the_worksheet():
    words = re.compile(r"relu|ridge|sigmoid|lam\b|W1|dy_d|backward|dis02", re.IGNORECASE)
    for path in (ROOT / "grader").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if words.search(line) and "DEFAULT_PROBLEM" not in line and not line.lstrip().startswith(("#", '"""')):
                raise AssertionError(f"{path.name}:{number} is worksheet-specific: {line.strip()}")


def test_a_broken_spec_gets_a_clear_message(tmp_path):
    (tmp_path / "spec.toml").write_text('name = "x"\ntitle = "x"\n[case_sets]\n[[parts]]\nid = "a"\n')
    try:
        spec.load(str(tmp_path))
    except SpecError as err:
        assert "spec.toml is not a valid spec" in str(err)
    else:
        raise AssertionError("a spec without points or cases loaded")


def test_toy_plot_set_is_drawn_by_the_same_engine(tmp_path):
    import numpy as np
    from grader.plotting import readings as plotting
    from grader.sandbox import isolation as sandbox
    path = tmp_path / "toy_answer.py"
    path.write_text(RIGHT.replace("3 * a * t * t", "3 * a * t * abs(t)"))
    problem = spec.load(str(TOY), grading=False)
    result = plotting.make(path, problem, "curves", tmp_path / "out", 182, None, sandbox.strongest())
    assert [f.name for f in result.files] == ["toy.png", "toy_f.png", "toy_dfdt.png"]
    f, g = result.panels
    t = f.xs
    assert np.allclose(f.student, 2 * t ** 3) and np.allclose(f.reference, 2 * t ** 3)
    assert np.allclose(g.student, 6 * t * abs(t)) and np.allclose(g.reference, 6 * t * t)
    assert not any(p.straight for p in f.student_shape.pieces)
    assert abs(g.student_shape.kinks[0].jump) < 1e-9 and not f.problems and not g.problems


def test_a_folder_with_nothing_to_grade_against_is_refused_but_can_plot(tmp_path):
    """A problem folder is a reference's (reference.py) or a student kit's (vectors.json), decided
    when it is loaded; with neither it cannot grade, with a clear message, but it can plot."""
    import shutil
    from grader.errors import SpecError
    folder = tmp_path / "toy"
    shutil.copytree(TOY, folder, ignore=shutil.ignore_patterns("reference.py", "__pycache__"))
    try:
        spec.load(str(folder))
    except SpecError as err:
        assert "has neither reference.py nor vectors.json" in str(err)
    else:
        raise AssertionError("a folder with no answers loaded for grading")
    plots_only = spec.load(str(folder), grading=False)
    assert not plots_only.kit and plots_only.references == []
    path = tmp_path / "toy_answer.py"
    path.write_text(RIGHT)
    done = run_cli("check", path, "--problem", folder)
    assert done.returncode == 2 and "nothing to grade against" in done.stderr and "Traceback" not in done.stderr
    assert not spec.load(str(TOY)).kit
