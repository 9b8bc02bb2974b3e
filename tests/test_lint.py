"""`grader lint`: the real problem sets pass; a copy of hw_softmax with one planted mistake is
caught, the finding naming the part, output, hint, case set or file, with exit status 1 and no
traceback; misuse is exit status 2."""
import re
import shutil

import pytest

from grader.authoring import lint
from tests.conftest import ROOT, run_cli


@pytest.mark.parametrize("problem", ["dis02", "hw_softmax", str(ROOT / "tests" / "toy_problem")])
def test_the_real_problem_sets_pass(problem):
    result = run_cli("lint", problem, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems found (seeds 182, 0, 1)" in result.stdout


def test_toy_problem_is_told_it_has_no_template():
    result = run_cli("lint", ROOT / "tests" / "toy_problem", "--no-kit")
    assert "note: template.py: there is none" in result.stdout and result.returncode == 0


@pytest.fixture
def copy(tmp_path):
    """hw_softmax, copied: edit(file, old, new) plants a mistake; errors() lints it."""
    folder = tmp_path / "hw"
    shutil.copytree(ROOT / "problems" / "hw_softmax", folder, ignore=shutil.ignore_patterns("__pycache__"))

    class Copy:
        path = folder

        @staticmethod
        def edit(name, old, new):
            text = (folder / name).read_text()
            assert text.count(old) == 1, (name, old)
            (folder / name).write_text(text.replace(old, new))

        @staticmethod
        def errors(kit=False, seeds=(182, 0)):
            _, found = lint.lint(str(folder), seeds, kit=kit)
            return [f.text() for f in found.errors]
    return Copy


def one(errors, *words):
    matching = [e for e in errors if all(w in e for w in words)]
    assert matching, errors
    return matching[0]


def test_a_reference_gradient_that_disagrees_with_its_forward(copy):
    copy.edit("reference.py", "dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat",
              "dx = inv_std / n * (n * dx_hat - x_hat")
    errors = copy.errors()
    found = one(errors, "part 2b", "the reference fails its own check",
                "[0] agrees with finite differences of the reference sum(dout * bn_forward(x, gamma, beta, eps)[0])")
    assert "Max absolute difference" in found and "(seeds 182, 0)" in found
    # the dgamma and dbeta outputs stay right, and are not blamed
    assert not [e for e in errors if "[1] agrees" in e or "[2] agrees" in e]


def test_a_reference_scalar_gradient_that_disagrees(copy):
    copy.edit("reference.py", "grad[label] -= 1.0", "grad[label] -= 0.5")
    one(copy.errors(), "part 1c", "cross_entropy_grad(z, label) agrees with finite differences of the reference "
                                  "cross_entropy(z, label)")


def test_an_array_of_without_weights(copy):
    copy.edit("spec.toml", 'wrt = "x", weights = "dout", ', 'wrt = "x", ')
    one(copy.errors(), "error: plan", "part 2b, output 'dx': gradient.of = 'bn_forward(x, gamma, beta, eps)[0]'",
        "gives shape", "not a scalar")


def test_a_function_the_reference_lacks(copy):
    copy.edit("reference.py", '"bn_backward": bn_backward}', "}")
    one(copy.errors(), "error: spec", "part 2b, output 'dx'", "calls ['bn_backward']")


def test_a_case_generator_that_is_not_deterministic(copy):
    copy.edit("cases.py", '"dout": rng.normal(size=(n, d))', '"dout": np.random.normal(size=(n, d))')
    one(copy.errors(), "case set 'batches'", "batch_cases is not deterministic", "draw every random number from the `rng`")


def test_a_case_input_that_is_not_finite(copy):
    copy.edit("cases.py", "z = rng.normal(0.0, 2.0, size=shape)", "z = rng.normal(0.0, 2.0, size=shape)\n    z[0] = np.inf")
    one(copy.errors(), "case set 'logits'", "input 'Z' is not finite")


def test_a_gradient_with_respect_to_an_int(copy):
    copy.edit("spec.toml", 'gradient = { of = "cross_entropy(z, label)", wrt = "z"',
              'gradient = { of = "cross_entropy(z, label)", wrt = "label"')
    one(copy.errors(), "part 1c, output 'dloss/dz': gradient.wrt = 'label' is a int", "need a float")


def test_a_hint_that_can_never_fire(copy):
    copy.edit("mistakes.py", "def softmax_over_columns(Z):\n    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))\n    return e / np.sum(e, axis=0, keepdims=True)",
              "def softmax_over_columns(Z):\n    return _softmax(Z)")
    one(copy.errors(), "part 1a, output 'softmax', hint \"softmax normalises each column",
        "never differs from the right answers on any case: it can never fire")


def test_a_hint_whose_mistake_raises(copy):
    copy.edit("mistakes.py", "    return dout\n", "    return dout[5]\n")
    one(copy.errors(), "part 2b, output 'dbeta', hint 'dbeta is not summed", "its mistake bn_dbeta_not_summed",
        "raised IndexError", "(mistakes.py, line")


def test_a_kit_hint_that_is_not_finite(copy):
    copy.edit("mistakes.py", "    return float(np.log(_softmax(z)[label]))", "    return float(np.log(_softmax(z)[label])) * np.nan")
    one(copy.errors(), "hint \"the loss has the wrong sign", "its mistake is not finite on large #0", "in_kit = true")


def test_two_hints_with_one_message(copy):
    copy.edit("spec.toml", 'message = "dbeta is not summed over the batch: beta is shared by all N examples, so its gradient is dout summed over axis 0"',
              'message = "dgamma is not summed over the batch: gamma is shared by all N examples, so its gradient is the sum of dout * x_hat over axis 0"\n  # (copied)')
    copy.edit("spec.toml", '  output = "dbeta"\n  mistake = "bn_dbeta_not_summed', '  output = "dgamma"\n  mistake = "bn_dbeta_not_summed')
    one(copy.errors(), "part 2b, output 'dgamma': two hints share the message")


def test_template_mistakes(copy):
    copy.edit("template.py", "def cross_entropy_grad(z, label):", "def cross_entropy_gradient(z, label):")
    copy.edit("template.py", "def bn_backward(dout, cache):", "def bn_backward(cache):")
    copy.edit("template.py", "# %% part 2b", "# %% part 2c")
    copy.edit("template.py", "# %% setup", "# %% imports")
    copy.edit("template.py", '    """The gradient of cross_entropy(z, label)',
              '    grad = softmax(z)\n    grad[label] -= 1.0\n    """The gradient of cross_entropy(z, label)')
    errors = copy.errors()
    one(errors, "template.py", "has no stub for cross_entropy_grad(), which the spec calls")
    one(errors, "template.py", "bn_backward() takes 1 arguments (cache); the spec calls it with 2")
    one(errors, "template.py", "cell '# %% part 2c' names no auto-graded part of the spec")
    one(errors, "template.py", "cell '# %% imports' would be left out of the notebook")
    one(errors, "template.py", "holds a line of reference.py or mistakes.py (grad[label]-=1.0)")


def test_a_hint_message_that_gives_the_reference_away_fails_the_trial_kit(copy):
    copy.edit("spec.toml", 'message = "dloss/dz has the wrong sign: raising the label\'s logit lowers the loss"',
              'message = "dloss/dz has the wrong sign; the answer is grad[label] -= 1.0 after softmax"')
    found = one(copy.errors(kit=True, seeds=(182,)), "student kit", "the hint 'dloss/dz has the wrong sign",
                "holds a line of reference.py or mistakes.py")
    assert "part 1c, output 'dloss/dz'" in found


def test_lint_through_the_command_line(copy, tmp_path):
    copy.edit("reference.py", "mu = x.mean(axis=0)", "mu = x.mean(axis=0) + undefined_name")
    result = run_cli("lint", copy.path, "--no-kit", "--seeds", "1")
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert re.search(r"error: plan \(seed 182\): part 2a, output 'out': the reference's bn_forward\(x, gamma, beta, "
                     r"eps\)\[0\] raised NameError: name 'undefined_name' is not defined \(reference.py, line \d+, in "
                     r"bn_forward\) on case random #0", result.stdout), result.stdout
    assert "1 problem found" in result.stdout
    missing = run_cli("lint", tmp_path / "nowhere")
    assert missing.returncode == 2 and "no problem set named" in missing.stderr
    (tmp_path / "empty").mkdir()
    assert run_cli("lint", tmp_path / "empty").returncode == 2


def test_a_spec_that_does_not_load(copy):
    copy.edit("spec.toml", 'points = 3\ncases = "batches"', 'points = 3\ncases = "batchez"')
    result = run_cli("lint", copy.path, "--no-kit")
    assert result.returncode == 1 and "error: spec" in result.stdout and "unknown case set 'batchez'" in result.stdout


def test_a_case_generator_that_raises_is_said_once(copy):
    copy.edit("cases.py", "    c = int(rng.integers(2, 9))", "    c = int(rng.integers(2, 9)) / 0")
    errors = copy.errors()
    assert len(errors) == 1, errors
    one(errors, "error: case set 'labelled' (seeds 182, 0): labelled_cases(rng, 'random', 0) raised ZeroDivisionError",
        "(cases.py, line")
