"""A mistake in a problem set is the instructor's, not the student's: each kind gives a message
naming the part, output, hint or case set, and exit status 2 from `grader check`, `grader batch`
and `grader student-kit`, never a traceback (issue 13). Each test plants one mistake in the
small layer problem of test_spec_features."""
import json

import pytest

from grader.core import spec
from grader.core.plan import Plan
from grader.errors import SpecError
from grader.platforms import kit
from tests.conftest import run_cli
from tests.test_spec_features import CASES, REFERENCE, RIGHT, SPEC, write_problem

HINTED = SPEC + '''
  [[parts.hints]]
  output = "dx"
  mistake = "half_gradient(dout, x, a)"
  message = "dx is missing the factor 2 of d(x^2)/dx"
  in_kit = true
'''
MISTAKES = '''
def half_gradient(dout, x, a):
    return a * x * dout


MISTAKES = [{"half_gradient": half_gradient}]
'''
WRONG = RIGHT.replace("2 * a * x * dout", "a * x * dout")


def plan_error(folder, seed=182) -> str:
    with pytest.raises(SpecError) as caught:
        Plan(spec.load(str(folder)), seed)
    return str(caught.value)


def load_error(folder) -> str:
    with pytest.raises(SpecError) as caught:
        spec.load(str(folder))
    return str(caught.value)


def check_cli(tmp_path, folder, source=RIGHT, command="check"):
    answer = tmp_path / "answer.py"
    answer.write_text(source)
    if command == "batch":
        (tmp_path / "class").mkdir(exist_ok=True)
        (tmp_path / "class" / "a.py").write_text(source)
        result = run_cli("batch", tmp_path / "class", "--out", tmp_path / "out.jsonl", "--problem", folder, "-j", "2")
        out = tmp_path / "out.jsonl"      # the workers started while it was checked: none graded anyone
        assert not out.exists() or out.read_text() == "", out.read_text()
    else:
        result = run_cli("check", answer, "--problem", folder)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Usage:" not in result.stderr     # the folder is wrong, not the command line
    return result.stderr


def test_an_array_of_without_weights(tmp_path):
    folder = write_problem(tmp_path / "p", SPEC.replace(', weights = "dout"', ""))
    message = plan_error(folder)
    assert "part g, output 'dx': gradient.of = 'layer(x, a)'" in message
    assert "gives shape (3,), not a scalar" in message and "weights" in message
    assert "not a scalar" in check_cli(tmp_path, folder)


def test_weights_of_another_shape(tmp_path):
    folder = write_problem(tmp_path / "p", SPEC.replace('weights = "dout"', 'weights = "a"'))
    assert "gives shape (3,), but its weights have a scalar" in plan_error(folder)


def test_wrt_or_weights_not_an_input(tmp_path):
    cases = CASES.replace('"dout": rng.normal(size=n)}', '"dout": rng.normal(size=n)}, radius=1.0')
    folder = write_problem(tmp_path / "p", SPEC.replace('wrt = "x"', 'wrt = "z"'), cases=cases)
    assert "part g, output 'dx': gradient.wrt = 'z' is not an input of case set 'main' (its inputs: x, a, dout)" \
        in plan_error(folder)
    folder = write_problem(tmp_path / "q", SPEC.replace('weights = "dout"', 'weights = "upstream"'))
    assert "gradient.weights = 'upstream' is not an input" in plan_error(folder)


def test_unknown_finite_difference_family(tmp_path):
    folder = write_problem(tmp_path / "p", SPEC.replace('weights = "dout"', 'weights = "dout", families = ["probe"]'))
    message = load_error(folder)
    assert "part g, output 'dx': gradient.families names ['probe'], not families of case set 'main'" in message


def test_no_smooth_case_for_finite_differences(tmp_path):
    cases = CASES.replace('"dout": rng.normal(size=n)}', '"dout": rng.normal(size=n)}, radius=0.0')
    folder = write_problem(tmp_path / "p", cases=cases)
    assert "part g, output 'dx': no case of case set 'main' is smooth around its inputs" in plan_error(folder)


def test_a_function_the_reference_lacks(tmp_path):
    folder = write_problem(tmp_path / "p", reference=REFERENCE.replace(', "layer_grad": layer_grad', ""))
    message = load_error(folder)
    assert "part g, output 'dx': 'layer_grad(dout, x, a)' calls ['layer_grad'], which reference.py's " \
           "REFERENCES does not define" in message
    assert "does not define" in check_cli(tmp_path, folder)


def test_a_reference_that_raises(tmp_path):
    folder = write_problem(tmp_path / "p", reference=REFERENCE.replace("return a * x ** 2", "return a * x ** 2 + y"))
    message = plan_error(folder)
    assert message.startswith("part f, output 'out': the reference's layer(x, a) raised NameError: name 'y' "
                              "is not defined (reference.py, line 3, in layer) on case random #0"), message
    assert "raised NameError" in check_cli(tmp_path, folder, command="batch")


SECOND_RAISES = REFERENCE.replace('REFERENCES = [{"layer": layer, "layer_grad": layer_grad}]', """
def layer_other(x, a):
    return a * x ** 2 + y


REFERENCES = [{"layer": layer, "layer_grad": layer_grad}, {"layer": layer_other, "layer_grad": layer_grad}]""")


def test_a_second_reference_that_raises_is_found_before_any_student(tmp_path):
    """A case's other right answers are made only when a check looks past the first (most
    students never need them); lint and a batch's preflight make them all, so a mistake there
    still stops them, named, before anyone is graded."""
    folder = write_problem(tmp_path / "p", reference=SECOND_RAISES)
    plan = Plan(spec.load(str(folder)), 182)   # the first answers are fine
    with pytest.raises(SpecError, match=r"part f, output 'out': the reference's layer\(x, a\) raised NameError"):
        plan.complete()
    assert "raised NameError: name 'y' is not defined" in check_cli(tmp_path, folder, command="batch")
    linted = run_cli("lint", folder, "--no-kit")
    assert linted.returncode == 1 and "raised NameError: name 'y' is not defined" in linted.stdout, linted.stdout


def test_a_reference_that_does_not_load(tmp_path):
    folder = write_problem(tmp_path / "p", reference=REFERENCE.replace("def layer(x, a):", "def layer(x, a)"))
    message = load_error(folder)
    assert "reference.py could not be loaded: SyntaxError" in message and "(reference.py, line 2)" in message
    folder = write_problem(tmp_path / "q", reference="REFERENCES = {}\n")
    assert "REFERENCES must be a non-empty list of dicts" in load_error(folder)


def test_a_reference_value_that_is_not_numbers(tmp_path):
    folder = write_problem(tmp_path / "p", reference=REFERENCE.replace("return a * x ** 2", "return {'out': a * x ** 2}"))
    assert "part f, output 'out': the reference's layer(x, a) on case random #0 gives a dict" in plan_error(folder)


def test_a_case_generator_that_raises_or_makes_no_case(tmp_path):
    folder = write_problem(tmp_path / "p", cases=CASES.replace("    n, low, high", "    1 / 0\n    n, low, high"))
    message = plan_error(folder)
    assert "case set 'main': layer_cases(rng, 'random', 0) raised ZeroDivisionError: division by zero " \
           "(cases.py, line 8, in layer_cases)" in message, message
    folder = write_problem(tmp_path / "q", cases=CASES.replace("return Case(", "return dict("))
    assert "layer_cases(rng, 'random', 0) gave a dict, not a Case" in plan_error(folder)
    folder = write_problem(tmp_path / "r", cases=CASES.replace('"a": float(', '"a": list(['))
    folder.joinpath("cases.py").write_text(folder.joinpath("cases.py").read_text().replace(
        "uniform(0.5, 2.0))", "uniform(0.5, 2.0)])"))
    assert "input 'a' is a list; inputs are floats, ints, bools and NumPy arrays" in plan_error(folder)
    folder = write_problem(tmp_path / "s", cases=CASES.replace('"x": x,', '"x": x.astype("float32"),'))
    assert "input 'x' is an array of float32" in plan_error(folder)


def test_a_hint_whose_mistake_raises(tmp_path):
    folder = write_problem(tmp_path / "p", HINTED, mistakes=MISTAKES.replace("return a * x * dout", "return a * x * dout / 0 + q"))
    stderr = check_cli(tmp_path, folder, source=WRONG)     # hints are made when a check fails
    assert "part g, output 'dx': the hint 'dx is missing the factor 2 of d(x^2)/dx': its mistake " \
           "half_gradient(dout, x, a) raised NameError" in stderr
    assert "(mistakes.py, line 3, in half_gradient)" in stderr
    # a batch finds it before grading anyone, whatever they wrote
    assert "its mistake half_gradient(dout, x, a) raised NameError" in check_cli(tmp_path, folder, command="batch")


def test_a_hint_that_is_not_finite_stops_the_kit_naming_it(tmp_path):
    folder = write_problem(tmp_path / "p", HINTED, mistakes=MISTAKES.replace("return a * x * dout", "return a * x * dout * float('nan')"))
    with pytest.raises(SpecError) as caught:
        kit.make_vectors(spec.load(str(folder)), kit.KitConfig())
    assert "part g, output 'dx': the hint 'dx is missing the factor 2 of d(x^2)/dx': its mistake " \
           "half_gradient(dout, x, a) is not finite on the kit's case random #0" in str(caught.value)
    assert "Return None where it makes no claim, or set in_kit = false" in str(caught.value)
    result = run_cli("student-kit", tmp_path / "kit", "--problem", folder)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "is not finite" in result.stderr


def test_a_hint_message_holding_the_reference_stops_the_kit_naming_it(tmp_path):
    leaky = HINTED.replace('message = "dx is missing the factor 2 of d(x^2)/dx"',
                           'message = "dx should be: return 2 * a * x * dout"')
    folder = write_problem(tmp_path / "p", leaky, mistakes=MISTAKES)
    result = run_cli("student-kit", tmp_path / "kit", "--problem", folder)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "part g, output 'dx': the hint 'dx should be: return 2 * a * x * dout' holds a line of " \
           "reference.py or mistakes.py (return2*a*x*dout)" in result.stderr
    assert not (tmp_path / "kit").exists()


def test_a_hint_whose_mistake_kills_its_process_does_not_stop_a_batch(tmp_path):
    """The batch's preflight runs the problem's code in a process of its own: a mistake that kills
    it is not a mistake the preflight can name, so the batch goes on, and a right answer (which
    never meets the hint) gets every point."""
    killer = MISTAKES.replace("return a * x * dout", "import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)")
    folder = write_problem(tmp_path / "p", HINTED, mistakes=killer)
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "a.py").write_text(RIGHT)
    result = run_cli("batch", tmp_path / "class", "--out", tmp_path / "out.jsonl", "--problem", folder, "-j", "2")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    [doc] = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert doc["score"] == doc["max_score"] > 0, doc
