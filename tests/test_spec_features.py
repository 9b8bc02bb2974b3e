"""Spec features of issue 13: the gradient of a weighted sum of an array output (a layer's
gradient given an upstream gradient), finite-difference cases chosen in the spec, and the check
against the student's own forward switched off with own_points = 0 (also in a student kit).
A small problem set written here: layer(x, a) = a x^2 elementwise, and its gradient."""
import json

import pytest

from grader.core import spec
from grader.core.engine import grade
from grader.core.plan import Plan
from grader.platforms import kit
from tests.conftest import run_cli

SPEC = '''
name = "layer"
title = "An elementwise layer"

[case_sets.main]
function = "layer_cases"
families = { random = 6, wide = 3 }

[[parts]]
id = "f"
title = "the layer"
points = 1
cases = "main"
outputs = [{ label = "out", student = "layer(x, a)" }]

[[parts]]
id = "g"
title = "its gradient"
points = 2
cases = "main"
  [[parts.outputs]]
  label = "dx"
  student = "layer_grad(dout, x, a)"
  gradient = { of = "layer(x, a)", wrt = "x", weights = "dout" }
'''

CASES = '''
import numpy as np
from grader.core.cases import Case


def layer_cases(rng, family, index):
    """random: |x| < 1, 3 entries; wide: |x| in [2, 3], 5 entries."""
    n, low, high = (5, 2.0, 3.0) if family == "wide" else (3, 0.0, 1.0)
    x = rng.uniform(low, high, size=n) * rng.choice([-1.0, 1.0], size=n)
    return Case({"x": x, "a": float(rng.uniform(0.5, 2.0)), "dout": rng.normal(size=n)})
'''

REFERENCE = '''
def layer(x, a):
    return a * x ** 2


def layer_grad(dout, x, a):
    return 2 * a * x * dout


REFERENCES = [{"layer": layer, "layer_grad": layer_grad}]
'''

RIGHT = REFERENCE.split("REFERENCES")[0]
HALF_GRADIENT = RIGHT.replace("2 * a * x * dout", "a * x * dout")
# a consistent pair, but not the reference's: the forward is wrong, the gradient follows it
WRONG_FORWARD = RIGHT.replace("a * x ** 2", "a * x ** 3").replace("2 * a * x * dout", "3 * a * x * x * dout")
# wrong only for |x| > 1.5: on every wide case, on no random one
WRONG_FOR_LARGE_X = RIGHT.replace("return 2 * a * x * dout",
                                  "import numpy as np\n    return np.where(abs(x) > 1.5, 0.0, 2 * a * x * dout)")


def write_problem(folder, spec_text=SPEC, cases=CASES, reference=REFERENCE, mistakes=None):
    folder.mkdir(parents=True, exist_ok=True)
    files = {"spec.toml": spec_text, "cases.py": cases, "reference.py": reference}
    if mistakes is not None:
        files["mistakes.py"] = mistakes
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def graded(tmp_path, folder, source, seed=182):
    path = tmp_path / "answer.py"
    path.write_text(source)
    return grade(path, spec.load(str(folder)), seed)


def checks_of(doc, part):
    return {c.name: c for c in next(p for p in doc.parts if p.id == part).checks}


@pytest.fixture
def layer(tmp_path):
    return write_problem(tmp_path / "layer")


def test_weighted_gradient_passes_a_right_answer(tmp_path, layer):
    doc = graded(tmp_path, layer, RIGHT)
    assert doc.score == doc.max_score
    names = list(checks_of(doc, "g"))
    assert any("finite differences of the reference sum(dout * layer(x, a)) (4 cases)" in n for n in names), names
    assert any("your own sum(dout * layer(x, a)) (advisory, not scored)" in n for n in names), names


def test_weighted_gradient_catches_a_wrong_gradient(tmp_path, layer):
    doc = graded(tmp_path, layer, HALF_GRADIENT)
    checks = checks_of(doc, "g")
    reference = next(c for n, c in checks.items() if "of the reference" in n)
    own = next(c for n, c in checks.items() if "your own" in n)
    assert not reference.passed and not own.passed
    assert "disagrees with your own forward, sum(dout * layer(x, a))" in own.message


def test_weighted_gradient_against_the_students_own_forward(tmp_path, layer):
    """A wrong forward with a gradient that follows it: the reference's differences fail it, the
    student's own agree (so the own check is about consistency, not correctness)."""
    checks = checks_of(graded(tmp_path, layer, WRONG_FORWARD), "g")
    assert not next(c for n, c in checks.items() if "of the reference" in n).passed
    assert next(c for n, c in checks.items() if "your own" in n).passed


def test_a_forward_of_the_wrong_shape_cannot_judge_the_gradient(tmp_path, layer):
    source = RIGHT.replace("return a * x ** 2", "return (a * x ** 2)[:-1]")
    own = next(c for n, c in checks_of(graded(tmp_path, layer, source), "g").items() if "your own" in n)
    assert not own.passed and "wrong shape" in own.message and "cannot check your gradient" in own.message


def test_finite_difference_cases_are_chosen_in_the_spec(tmp_path):
    """gradient.families and count: the same wrong-for-large-x gradient passes differences on
    the random family and fails them on the wide one."""
    def reference_check(families, count):
        folder = write_problem(tmp_path / f"layer_{families}", SPEC.replace(
            'weights = "dout" }', f'weights = "dout", families = {json.dumps(families)}, count = {count} }}'))
        doc = graded(tmp_path, folder, WRONG_FOR_LARGE_X, seed=7)
        return next(c for n, c in checks_of(doc, "g").items() if "of the reference" in n)

    random = reference_check(["random"], 3)
    assert random.name.endswith("(3 cases)") and random.passed
    wide = reference_check(["wide"], 2)
    assert wide.name.endswith("(2 cases)") and not wide.passed


def test_wrong_for_large_x_fails_its_value_checks(tmp_path, layer):
    """The mutant above is a real mistake (so its pass on the random family is the spec's choice
    of cases at work, not a gradient that is right)."""
    doc = graded(tmp_path, layer, WRONG_FOR_LARGE_X, seed=7)
    values = {n: c.passed for n, c in checks_of(doc, "g").items() if "matches the reference" in n}
    assert values == {"layer_grad(dout, x, a) matches the reference on 6 random cases": True,
                      "layer_grad(dout, x, a) matches the reference on 3 wide cases": False}


def test_own_points_zero_switches_the_own_check_off(tmp_path):
    folder = write_problem(tmp_path / "off", SPEC.replace('weights = "dout" }', 'weights = "dout", own_points = 0 }'))
    names = list(checks_of(graded(tmp_path, folder, RIGHT), "g"))
    assert not any("your own" in n for n in names), names
    assert any("of the reference" in n for n in names)
    scored = write_problem(tmp_path / "scored", SPEC.replace('weights = "dout" }', 'weights = "dout", own_points = 2 }'))
    own = [c for c in checks_of(graded(tmp_path, scored, RIGHT), "g").values() if "your own" in c.name]
    assert [c.points for c in own] == [2.0] and "advisory" not in own[0].name


def _kit_plan(tmp_path, folder):
    """The plan a student kit of the folder's problem grades with (its vectors, no reference)."""
    problem = spec.load(str(folder))
    vectors = kit.make_vectors(problem, kit.KitConfig())
    kit_folder = tmp_path / f"{folder.name}_kit"
    kit_folder.mkdir()
    (kit_folder / "spec.toml").write_text((folder / "spec.toml").read_text())
    (kit_folder / "vectors.json").write_text(json.dumps(vectors))
    loaded = spec.load(str(kit_folder))
    assert loaded.kit
    return Plan(loaded, 182)


def test_the_kit_scores_the_own_check_unless_it_is_off(tmp_path, layer):
    on = [c for c in _kit_plan(tmp_path, layer).parts["g"] if "your own" in c.name]
    assert len(on) == 1 and on[0].points == 1.0
    off = write_problem(tmp_path / "off", SPEC.replace('weights = "dout" }', 'weights = "dout", own_points = 0 }'))
    assert not [c for c in _kit_plan(tmp_path, off).parts["g"] if "your own" in c.name]


def test_the_kit_runs_weighted_gradients_on_its_vectors(tmp_path, layer):
    """The kit's own check reads the weights from its stored cases and catches a wrong gradient."""
    problem = spec.load(str(layer))
    vectors = kit.make_vectors(problem, kit.KitConfig())
    kit_folder = tmp_path / "kit"
    kit_folder.mkdir()
    (kit_folder / "spec.toml").write_text(SPEC)
    (kit_folder / "vectors.json").write_text(json.dumps(vectors))
    wrong = tmp_path / "wrong.py"
    wrong.write_text(HALF_GRADIENT)
    result = run_cli("check", wrong, "--problem", kit_folder, "--json")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    own = [c for p in doc["parts"] if p["id"] == "g" for c in p["checks"] if "your own" in c["name"]]
    assert own and not own[0]["passed"]
