"""`grader plot 1`: Problem 1's four derivatives drawn from the student's own functions. The
readings (kinks, jumps, slopes) are checked against values computed here from the network."""
import runpy
import shutil
import sys

import numpy as np
import pytest
from matplotlib.image import imread

from grader.plotting import readings as plotting
from grader.sandbox import isolation as sandbox
from grader.core import spec
from tests.conftest import ROOT, SOLUTIONS, run_cli

ALICE = ROOT / "submissions_example" / "alice_correct.py"
DAVE = ROOT / "submissions_example" / "dave_no_relu_mask.py"
NAMES = ["dy_db2", "dy_dW2", "dy_db1", "dy_dW1"]
FILES = ["problem1.png"] + [f"problem1_{n}.png" for n in NAMES]
TOL = 1e-9


@pytest.fixture(scope="module")
def problem():
    return spec.load("dis02", grading=False)


def _evaluate(problem, path, seed=182, unit=None):
    plot_set, setup = plotting.plot_setup(problem, "1", seed, unit)
    panels, _ = plotting.evaluate(path, problem, plot_set, setup, sandbox.strongest())
    return setup, {p.name: p for p in panels}


def _expected(setup):
    """From the network alone: per derivative, (slope left, slope right, limit left, limit right)
    at unit i's kink x* = -b_i / w_i."""
    i = setup.unit
    w, b, v = setup.inputs["W1"][i, 0], setup.inputs["b1"][i, 0], setup.inputs["W2"][0, i]
    kink = -b / w
    on_right = w > 0          # z_i = w x + b > 0 right of the kink when w > 0

    def sides(active, inactive):
        return (active, inactive)[::-1] if on_right else (active, inactive)

    return kink, {
        "dy_db2": (0.0, 0.0, 1.0, 1.0),
        "dy_dW2": (*sides(w, 0.0), 0.0, 0.0),
        "dy_db1": (0.0, 0.0, *sides(v, 0.0)),
        "dy_dW1": (*sides(v, 0.0), *sides(v * kink, 0.0)),
    }


def _assert_readings(panel, kink, expected):
    slope_left, slope_right, left, right = expected
    shape = panel.student_shape
    (reading,) = shape.kinks
    assert reading.x == pytest.approx(kink, abs=1e-12)
    before, after = shape.pieces
    assert before.straight and after.straight
    assert before.slope == pytest.approx(slope_left, abs=TOL) and after.slope == pytest.approx(slope_right, abs=TOL)
    assert reading.left == pytest.approx(left, abs=TOL) and reading.right == pytest.approx(right, abs=TOL)
    assert reading.jump == pytest.approx(right - left, abs=TOL)


def _own(path, name, setup, xs):
    """What the submission's function itself returns for unit i (run here: it is our example)."""
    fn = runpy.run_path(str(path))[name]
    inputs = {k: v for k, v in setup.inputs.items() if k != "x"}
    return np.array([np.ravel(fn(float(x), **{k: np.copy(v) for k, v in inputs.items()}))[
        0 if name == "dy_db2" else setup.unit] for x in xs])


@pytest.mark.parametrize("seed,unit", [(182, None), (182, 1), (182, 2), (7, 0), (7, 1)])
def test_correct_solution_readings_match_the_network(problem, seed, unit):
    setup, panels = _evaluate(problem, ALICE, seed, unit)
    kink, expected = _expected(setup)
    assert setup.span[0] < kink < setup.span[1]
    i = setup.unit
    assert setup.inputs["W1"][i, 0] * kink + setup.inputs["b1"][i, 0] == 0.0   # on the kink exactly
    assert list(panels) == NAMES
    for name, panel in panels.items():
        assert not panel.problems and np.all(np.isfinite(panel.student))
        _assert_readings(panel, kink, expected[name])
        assert np.allclose(panel.student, panel.reference, rtol=0, atol=1e-12)
        # the value drawn at the kink is the student's own one-sided choice
        assert panel.student_shape.kinks[0].at == _own(ALICE, name, setup, [kink])[0]


def test_buggy_solution_draws_its_own_curves(problem):
    setup, panels = _evaluate(problem, DAVE)
    kink, expected = _expected(setup)
    v = setup.inputs["W2"][0, setup.unit]
    for name in NAMES:
        assert np.array_equal(panels[name].student, _own(DAVE, name, setup, panels[name].xs))
    for name in ("dy_db2", "dy_dW2"):
        _assert_readings(panels[name], kink, expected[name])
    # dave forgot the ReLU mask: dy_db1 = w2_i and dy_dW1 = w2_i x, no jump at the kink
    _assert_readings(panels["dy_db1"], kink, (0.0, 0.0, v, v))
    _assert_readings(panels["dy_dW1"], kink, (v, v, v * kink, v * kink))
    for name in ("dy_db1", "dy_dW1"):
        assert not np.allclose(panels[name].student, panels[name].reference)
        reference = panels[name].reference_shape
        assert reference.kinks[0].jump == pytest.approx(expected[name][3] - expected[name][2], abs=TOL)


def _valid_pngs(folder):
    for name in FILES:
        path = folder / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        image = imread(path)
        assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 500, name
        assert image[..., :3].std() > 0.05, f"{name} is blank"


def test_cli_writes_the_pngs_and_prints_the_readings(tmp_path):
    result = run_cli("plot", "1", DAVE, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    _valid_pngs(tmp_path / "out")
    assert "Traceback" not in result.stderr
    assert "dy_db1(x, W1, b1, W2, b2)" in result.stdout and "jump 0" in result.stdout
    assert "unit i = 0" in result.stdout and "problem1_dy_dW1.png" in result.stdout


def test_make_returns_its_files(problem, tmp_path):
    result = plotting.make(ALICE, problem, "1", tmp_path, 182, 2, sandbox.strongest())
    assert [f.name for f in result.files] == FILES and result.setup.unit == 2
    _valid_pngs(tmp_path)


CRASHY = ALICE.read_text().replace(
    "def dy_db1(x, W1, b1, W2, b2):\n",
    "def dy_db1(x, W1, b1, W2, b2):\n    if x < 0:\n        raise ValueError('no negative $x$')\n").replace(
    "def dy_dW1(", "def not_dy_dW1(").replace(
    "def dy_db2(x, W1, b1, W2, b2):\n", "def dy_db2(x, W1, b1, W2, b2):\n    import os; os._exit(3)\n")


def test_crashing_and_missing_functions_cost_only_their_panels(tmp_path, problem):
    path = tmp_path / "crashy.py"
    path.write_text(CRASHY)
    result = run_cli("plot", "1", path, "--out", tmp_path / "out")
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    _valid_pngs(tmp_path / "out")
    assert "os._exit" in result.stdout
    assert "raised ValueError" in result.stdout and "no negative $x$" in result.stdout
    assert "no function named `dy_dW1` is defined" in result.stdout
    setup, panels = _evaluate(problem, path)
    kink, expected = _expected(setup)
    assert not panels["dy_db2"].drawn and not panels["dy_dW1"].drawn
    _assert_readings(panels["dy_dW2"], kink, expected["dy_dW2"])
    db1 = panels["dy_db1"]
    assert np.all(np.isnan(db1.student[db1.xs < 0])) and np.all(np.isfinite(db1.student[db1.xs >= 0]))


WEIRD = ALICE.read_text().replace(
    "    return 1.0 ", "    return 'one' #").replace(
    "    return hidden.T ", "    return hidden @ hidden.T ").replace(
    "    return W2.T * active ", "    return W2.T * active * 1e308 * x * x ").replace(
    "    return W2.T * gate * x ", "    return W2.T * gate * x if x < 1.7 else float(x) ")


def test_odd_values_are_reported_and_the_rest_drawn(tmp_path, problem):
    path = tmp_path / "weird.py"
    path.write_text(WEIRD)
    result = plotting.make(path, problem, "1", tmp_path / "out", 182, None, sandbox.strongest())
    _valid_pngs(tmp_path / "out")
    panels = {p.name: p for p in result.panels}
    assert "returned a str, not a number" in panels["dy_db2"].problems[0] and not panels["dy_db2"].drawn
    assert "returned 9 numbers (shape (3, 3)); expected 3 numbers" in panels["dy_dW2"].problems[0]
    db1 = panels["dy_db1"]           # overflow to inf where x is far from 0, 1e308 x^2 elsewhere
    assert any("inf or nan" in p for p in db1.problems) and any("beyond 1e+12" in p for p in db1.problems)
    dW1 = panels["dy_dW1"]
    assert "returned a scalar; expected 3 numbers" in dW1.problems[0]
    assert np.all(np.isnan(dW1.student[dW1.xs >= 1.7])) and np.all(np.isfinite(dW1.student[dW1.xs < 1.7]))


def test_a_file_that_does_not_load_says_why(tmp_path):
    path = tmp_path / "syntax.py"
    path.write_text("def dy_db2(x, W1, b1, W2, b2)\n    return 1\n")
    result = run_cli("plot", "1", path, "--out", tmp_path / "out")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "SyntaxError" in result.stdout and result.stdout.count("not drawn") == 4
    _valid_pngs(tmp_path / "out")


def test_without_a_reference_only_the_students_curves(tmp_path):
    kit = tmp_path / "dis02"
    shutil.copytree(ROOT / "problems" / "dis02", kit, ignore=shutil.ignore_patterns("reference.py", "__pycache__"))
    problem = spec.load(str(kit), grading=False)
    assert problem.references == []
    setup, panels = _evaluate(problem, ALICE)
    kink, expected = _expected(setup)
    for name, panel in panels.items():
        assert panel.reference is None and panel.reference_shape is None
        _assert_readings(panel, kink, expected[name])
    result = run_cli("plot", "1", SOLUTIONS / "correct" / "loops.py", "--problem", kit, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    _valid_pngs(tmp_path / "out")


def test_misuse_is_a_usage_error(tmp_path):
    for args, words in [(["plot", "9", ALICE], "no plot set '9'"),
                        (["plot", "1", ALICE, "--unit", "3"], "3 hidden units, numbered 0 to 2"),
                        (["plot", "1", tmp_path / "none.py"], "no such file")]:
        result = run_cli(*args, "--out", tmp_path / "out")
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_without_matplotlib_a_clear_message(tmp_path):
    import subprocess
    code = ("import sys; sys.modules['matplotlib'] = None; sys.argv = ['grader', 'plot', '1', "
            f"{str(ALICE)!r}, '--out', {str(tmp_path / 'out')!r}]; from grader.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "grader plot needs matplotlib: pip install 'sandgrade[plot]'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
