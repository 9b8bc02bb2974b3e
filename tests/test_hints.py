"""Misconception hints: each fires for its own mistake (a mutant or a test-local edit of a
correct solution, graded by the real engine), no other hint fires for it, no hint fires for a
mistake it does not describe, and none can fire for any correct solution; summary counts them."""
import json
import sys
import time

import numpy as np
import pytest

from grader.batch import gradebook
from grader.sandbox import isolation as sandbox
from grader.core import expr, score, spec
from grader.core.cases import Case
from grader.core.engine import open_session
from grader.core.plan import plan_for
from grader.core.spec import Tolerance
from grader.errors import SpecError
from grader.judge import hints
from grader.judge.values import NotNumeric, as_array
from grader.submissions.files import units
from tests.conftest import CORRECT, SOLUTIONS, run_cli

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, Mutant, apply  # noqa: E402

BASE = (SOLUTIONS / "correct" / "vectorized.py").read_text()

# Mistakes no mutant makes, as one edit of correct/vectorized.py each.
LOCAL = [
    Mutant("db1-without-W2", "return W2.T * active ", "return 1.0 * active ", frozenset({"1c"}), ""),
    Mutant("yhat-without-sigmoid", "return float(_sigmoid(logit))", "return float(logit)", frozenset({"2a"}), ""),
    Mutant("db2-without-y", "db2 = dz2", "db2 = yh", frozenset({"2b"}), ""),
    Mutant("logp-without-lam", "log_lik = -(r @ r) / (2 * lam)", "log_lik = -(r @ r) / 2", frozenset({"3b"}), ""),
    Mutant("logp-wrong-sign", "return float(log_lik + log_prior)", "return -float(log_lik + log_prior)",
           frozenset({"3b"}), ""),
    Mutant("ridge-lstsq", "return np.linalg.solve(A, X.T @ y)", "return np.linalg.lstsq(X, y, rcond=None)[0]",
           frozenset({"3a"}), "least squares by lstsq: the minimum-norm solution when n < d"),
    Mutant("db1-raises", "return W2.T * active ", "raise ValueError('not done yet')", frozenset({"1c"}),
           "no values at all: nothing to match a mistake against"),
    Mutant("ridge-intercept-ones-column", "return np.linalg.solve(A, X.T @ y)",
           "X1 = np.hstack([np.ones((X.shape[0], 1)), X])   # a column of ones: the intercept\n"
           "    P = lam * np.eye(d + 1)\n"
           "    P[0, 0] = 0.0                                   # left out of the penalty\n"
           "    return np.linalg.solve(X1.T @ X1 + P, X1.T @ y)[1:]",
           frozenset({"3a"}), "an unpenalized intercept as a column of ones, dropped from w"),
    Mutant("dz2-extra-sigmoid-prime-from-z2", "dz2 = yh - y ",
           'dz2 = (yh - y) * _sigmoid(cache["z2"]) * (1 - _sigmoid(cache["z2"])) ', frozenset({"2b", "2c"}),
           "sigma'(z2) written from z2 rather than y_hat"),
]
ABS_NET = {"J_relu_abs", "dJ_dW2_relu_abs", "dJ_db2_relu_abs"}
WITHOUT_SIGMOID = {f"dJ_d{v}_dz2_without_sigmoid" for v in ("W2", "b2", "W1", "b1", "x")}
EXTRA_SLOPE = {f"dJ_d{v}_extra_sigmoid_slope" for v in ("W2", "b2", "W1", "b1", "x")}
EDITS = {m.name: m for m in MUTANTS + LOCAL}

# Which hints (by mistakes.py function) each edit must raise; every other edit raises none.
FIRES = {
    "y-relu-identity": {"y_without_relu"},
    "dW2-pre-activation": {"dy_dW2_pre_activation"},
    "dW2-relu-slope": {"dy_dW2_relu_slope"},
    "db1-no-mask": {"dy_db1_without_mask"},
    "db1-without-W2": {"dy_db1_without_W2"},
    "db1-mask-missing-b1": {"dy_db1_mask_without_b1"},
    "dW1-missing-x": {"dy_dW1_without_x"},
    "dW1-no-mask": {"dy_dW1_without_mask"},
    "dW1-mask-missing-b1": {"dy_dW1_mask_without_b1"},
    "yhat-no-skip": {"y_hat_without_skip"},
    "yhat-without-sigmoid": {"y_hat_without_sigmoid"},
    "J-sign-flip": {"J_wrong_sign"},
    "dz2-sign-flip": {"dJ_dW2_wrong_sign"},
    "dW2-uses-z1": {"dJ_dW2_pre_activation"},
    "db2-without-y": {"dJ_db2_without_y"},
    "db2-one": {"dJ_db2_one"},
    "back-no-mask": {"dJ_dW1_without_mask", "dJ_db1_without_mask", "dJ_dx_without_mask"},
    "back-mask-a1-geq": {"dJ_dW1_without_mask", "dJ_db1_without_mask", "dJ_dx_without_mask"},
    "back-mask-is-a1": {"dJ_dW1_mask_is_a1", "dJ_db1_mask_is_a1"},
    "back-dW1-missing-x": {"dJ_dW1_without_x"},
    "dx-missing-skip": {"dJ_dx_without_skip"},
    "dx-only-skip": {"dJ_dx_only_skip"},
    "ridge-no-lam": {"w_least_squares"},
    "ridge-lstsq": {"w_least_squares"},
    "ridge-lam-inverse": {"w_lam_as_precision"},
    "ridge-sqrt-lam": {"w_sqrt_lam"},
    "ridge-lam-squared": {"w_lam_squared"},
    "logp-no-prior": {"log_posterior_without_prior"},
    "logp-without-lam": {"log_posterior_without_lam"},
    "logp-lam-inverse": {"log_posterior_lam_as_precision"},
    "logp-ridge-objective": {"log_posterior_ridge_objective"},
    "logp-wrong-sign": {"log_posterior_wrong_sign"},
    "logp-sign-flip": {"log_posterior_likelihood_wrong_sign"},
    # |z| for the ReLU: each output it reaches
    "y-relu-abs": {"y_relu_abs"},
    "dW2-relu-abs": {"dy_dW2_relu_abs"},
    "db1-relu-abs": {"dy_db1_relu_abs"},
    "dW1-relu-abs": {"dy_dW1_relu_abs"},
    "yhat-relu-abs": {"y_hat_relu_abs"},
    "fwd-relu-abs": ABS_NET,          # backward keeps the ReLU's mask: 2c matches no mistake
    "net-relu-abs": ABS_NET | {"dJ_dW1_relu_abs", "dJ_db1_relu_abs", "dJ_dx_relu_abs"},
    # dJ/dz2 wrong: every gradient of 2b and 2c flows through it
    "dz2-without-sigmoid": WITHOUT_SIGMOID,
    "dz2-extra-sigmoid-prime": EXTRA_SLOPE,
    "dz2-extra-sigmoid-prime-from-z2": EXTRA_SLOPE,
    "ridge-two-lam": {"w_two_lam"},
    "ridge-intercept": {"w_unpenalized_intercept"},
    "ridge-intercept-ones-column": {"w_unpenalized_intercept"},
    "logp-prior-without-half": {"log_posterior_prior_without_half"},
}


@pytest.fixture(scope="module")
def dis02_hints(dis02):
    """message -> (part id, output label, mistakes.py function)"""
    return {h.message: (part.id, h.output, expr.parse(h.mistake)[1])
            for part in dis02.spec.parts for h in part.hints}


def fired(doc, by_message) -> dict[str, set[str]]:
    """mistake function -> the output labels whose checks named it"""
    found: dict[str, set[str]] = {}
    for part in doc.parts:
        for check in part.checks:
            if check.hint:
                assert not check.passed
                assert check.message.splitlines()[0] == f"hint: {check.hint}"
                part_id, label, function = by_message[check.hint]
                assert part_id == part.id
                found.setdefault(function, set()).add(label)
    return found


def test_spec_has_hints_for_every_problem_and_each_is_tested(dis02):
    hinted = {part.id for part in dis02.spec.parts if part.hints}
    assert len([h for p in dis02.spec.parts for h in p.hints]) >= 10
    assert {"1", "2", "3"} == {pid[0] for pid in hinted}
    functions = {expr.parse(h.mistake)[1] for p in dis02.spec.parts for h in p.hints}
    assert functions == set().union(*FIRES.values()), "every hint has an edit that must raise it"
    assert any(h.in_kit for p in dis02.spec.parts for h in p.hints)
    assert any(not h.in_kit for p in dis02.spec.parts for h in p.hints)


@pytest.mark.parametrize("name", sorted(EDITS), ids=str)
def test_each_mistake_raises_exactly_its_hints(name, grade_source, dis02_hints):
    doc = grade_source(apply(BASE, EDITS[name]))
    found = fired(doc, dis02_hints)
    assert set(found) == FIRES.get(name, set()), name
    for function, labels in found.items():
        # the hint names the output that holds the mistake
        assert labels == {label for _, label, f in dis02_hints.values() if f == function}


@pytest.mark.parametrize("seed", [7, 2024])
@pytest.mark.parametrize("name", ["db1-no-mask", "dx-missing-skip", "ridge-no-lam", "logp-no-prior",
                                  "yhat-no-skip", "dW1-missing-x", "y-relu-abs", "db1-relu-abs",
                                  "net-relu-abs", "dz2-without-sigmoid", "dz2-extra-sigmoid-prime",
                                  "ridge-two-lam", "ridge-intercept", "logp-prior-without-half"], ids=str)
def test_hints_fire_on_other_seeds(name, seed, grade_source, dis02_hints):
    assert set(fired(grade_source(apply(BASE, EDITS[name]), seed=seed), dis02_hints)) == FIRES[name]


def _raw_values(check, session):
    """The student's values on a check's cases, from the real sandboxed child."""
    calls = next(check.run())
    values = []
    for raw in session.call(calls, 10.0, "test"):
        try:
            values.append(as_array(raw))
        except NotNumeric:
            values.append(None)
    return values


@pytest.mark.parametrize("seed", [182, 7, 2024])
@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_no_hint_matches_a_correct_solution_even_if_every_case_had_failed(path, seed, dis02):
    """Stronger than grading (a correct solution never fails, so hints are never looked at):
    its values, taken from the child, are matched against every hint of every check as if
    every case had failed."""
    session = open_session(units(path), dis02, time.monotonic() + 60, sandbox.strongest(), seed)
    checked = 0
    try:
        for part in dis02.spec.parts:
            for planned in plan_for(dis02, seed).parts[part.id]:
                check = planned.check
                if check.hints:
                    values = _raw_values(check, session)
                    assert check.hints(values, range(len(values))) is None, (path.name, planned.name)
                    # nor when matched to float32's precision, as float32 values are
                    assert check.hints(values, range(len(values)), float32=True) is None, (path.name, planned.name)
                    checked += len(check.hints.mistakes())
    finally:
        session.close()
    assert checked >= 60   # there were hints to match (34 over their checks' case families)


def test_hint_values_are_made_once_per_plan_and_only_on_a_failure(dis02, grade_source):
    plan_for.cache_clear()
    grade_source(BASE, seed=11)
    made = [c for planned in plan_for(dis02, 11).parts.values() for c in planned if c.check.hints]
    assert len(made) >= 30   # outputs with hints, one check per case family
    assert all(not c.check.hints.made_so_far() for c in made), "a correct submission made hint values"
    grade_source(apply(BASE, EDITS["db1-no-mask"]), seed=11)
    now = {id(c): c.check.hints.made_so_far() for c in made if c.check.hints.made_so_far()}
    assert now and all("dy_db1" in c.name for c in made if id(c) in now)
    # at any seed, not only a batch's: made on the cases looked at, none on every case
    assert all(not c.check.hints._each for c in made)
    grade_source(apply(BASE, EDITS["db1-no-mask"]), seed=11)
    assert all(all(a is b for a, b in zip(c.check.hints.made_so_far(), now[id(c)]))
               for c in made if id(c) in now)    # reused, not remade


def test_a_finite_difference_check_carries_the_hint_of_its_output(grade_source, dis02_hints):
    """The check against finite differences of the reference fails too, and names the same
    mistake (the value checks' rule, on its own cases)."""
    for name, part_id in (("back-no-mask", "2c"), ("dx-missing-skip", "2c"), ("db1-no-mask", "1c"),
                          ("dz2-without-sigmoid", "2b")):
        doc = grade_source(apply(BASE, EDITS[name]))
        fd = [c for c in doc.part(part_id).checks if "finite differences of the reference" in c.name and not c.passed]
        assert fd, name
        for check in fd:
            assert check.hint and dis02_hints[check.hint][2] in FIRES[name], (name, check.name)
            assert check.message.startswith(f"hint: {check.hint}\nfinite-difference case #")


def test_a_finite_difference_check_names_a_mistake_by_the_value_rule():
    from grader.judge import checks, gradcheck
    f = lambda inputs: float(np.sum(inputs["a"] ** 3))
    cases = [Case({"a": np.array([v])}, family="random", index=i, key=f"s/{i}")
             for i, v in enumerate([1.5, -0.5, 2.0])]
    right = [[3 * c.inputs["a"] ** 2] for c in cases]                  # 6.75, 0.75, 12
    told = hints.Hints([("uses |a|", ["call", "m", [["input", "a"]]])],
                       [{"m": lambda a: 3 * a * np.abs(a)}], cases, right, Tolerance())   # -0.75 at a < 0
    check = checks.gradient_vs_reference(
        tree=["call", "g", [["input", "a"]]], text="g(a)", cases=cases, hints=told,
        differences=[gradcheck.numeric_gradient(f, c.inputs, "a") for c in cases])

    def verdict(values):
        run = check.run()
        next(run)
        with np.errstate(all="ignore"), pytest.raises(StopIteration) as stop:
            run.send([{"t": "arr", "shape": [1], "a": np.array([v])} for v in values])
        return stop.value.value

    assert verdict([6.75, 0.75, 12.0]).passed
    named = verdict([6.75, -0.75, 12.0])
    assert not named.passed and named.hint == "uses |a|" and named.message.startswith("hint: uses |a|\n")
    assert verdict([6.75, 0.25, 12.0]).hint is None       # fails where the mistake differs, but not as it
    assert verdict([6.75, -0.75, 11.0]).hint is None      # as the mistake where it fails, not on every case


def _case(a):
    return Case({"a": a}, family="random", index=0, key="s/0")


def test_a_mistake_is_no_evidence_where_it_equals_the_right_answer():
    """Tolerances overlap at the edges: with rtol 0.1, right 1.0 and mistake 1.09 are the same
    answer, so a student at 1.18 who fails there and matches the mistake everywhere (2.19 passes
    right 2.0 and matches mistake 2.38) has not shown the mistake: the hint stays silent."""
    tol = Tolerance(rtol=0.1, atol=0.0)
    cases = [_case(1.0), _case(2.0)]
    expected = [[np.array(1.0)], [np.array(2.0)]]
    told = [("off", ["call", "m", [["input", "a"]]])]
    found = hints.Hints(told, [{"m": lambda a: a * (1.09 if a == 1.0 else 1.19)}], cases, expected, tol)
    assert [m.distinct for m in found.mistakes()] == [[False, True]]
    assert found([np.array(1.18), np.array(2.19)], [0]) is None
    assert found([np.array(1.18), np.array(2.38)], [0, 1]) == "off"   # failed where it differs
    assert found([np.array(1.18), np.array(2.0)], [0]) is None       # right where it differs
    same = hints.Hints(told, [{"m": lambda a: a}], cases, expected, tol)
    assert same.mistakes() == []            # equal everywhere: never offered


def test_a_mistake_may_make_no_claim_on_a_case():
    tol = Tolerance()
    cases = [_case(1.0), _case(-1.0)]
    expected = [[np.array(1.0)], [np.array(1.0)]]
    told = [("neg", ["call", "m", [["input", "a"]]])]
    found = hints.Hints(told, [{"m": lambda a: 5.0 if a > 0 else None}], cases, expected, tol)
    assert found([np.array(5.0), None], [0, 1]) == "neg"          # the student raised on case 1
    assert found([np.array(4.0), np.array(1.0)], [0]) is None


def test_generic_engine_hint_fires_only_where_it_differs(tmp_path):
    source = "def cube(a, t):\n    return a * t ** 3\n\ndef grads(a, t):\n    return {'t': 3 * a * t * abs(t)}\n"
    path = tmp_path / "toy.py"
    path.write_text(source)
    doc = json.loads(run_cli("check", path, "--problem", "tests/toy_problem", "--json").stdout)
    g = doc["parts"][1]
    by_name = {c["name"]: c for c in g["checks"]}
    negative = next(c for n, c in by_name.items() if "5 negative cases" in n)
    random = next(c for n, c in by_name.items() if "12 random cases" in n)
    assert random["passed"] and random["hint"] is None
    assert negative["hint"] == "df/dt uses |t| where t belongs: right for t > 0 only"
    assert negative["message"].startswith("hint: df/dt uses |t|")
    assert "t is negative here" in negative["message"]          # the case set's describe line


def test_a_spec_whose_hint_calls_nothing_known_is_refused(tmp_path):
    toy = SOLUTIONS.parent / "toy_problem"
    for name in ("cases.py", "reference.py", "mistakes.py"):
        (tmp_path / name).write_text((toy / name).read_text())
    text = (toy / "spec.toml").read_text()
    (tmp_path / "spec.toml").write_text(text.replace("grad_with_abs(a, t)", "no_such_mistake(a, t)"))
    with pytest.raises(SpecError, match="no_such_mistake"):
        spec.load(str(tmp_path))
    (tmp_path / "spec.toml").write_text(text.replace('output = "df/dt"', 'output = "dg/dt"'))
    with pytest.raises(SpecError, match="dg/dt"):
        spec.load(str(tmp_path))


def test_summary_counts_the_most_common_mistakes(grade_source, tmp_path):
    docs = [grade_source(apply(BASE, EDITS[name]), seed=182) for name in
            ("db1-no-mask", "db1-no-mask", "back-no-mask", "ridge-sqrt-lam")]
    docs.append(grade_source(BASE))
    rows = [{**score.plain(d), "submission": f"student{i}"} for i, d in enumerate(docs)]
    stats = gradebook.summarize(rows, top=10)
    counts = dict(stats.mistakes)
    assert counts["1c: dy/db1 is missing the ReLU mask: a hidden unit that is off (z1_i < 0) passes no "
                  "gradient back"] == 2        # two students, each counted once (3 checks fired)
    assert counts["3a: w_hat uses sqrt(lam), the noise's standard deviation, where its variance lam belongs"] == 1
    assert len([k for k in counts if k.startswith("2c: ")]) == 3   # W1, b1 and x of one student
    assert stats.mistakes[0][1] == 2 and len(counts) == 5          # 1c, three of 2c, 3a
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = run_cli("summary", results).stdout
    section = out.split("most common mistakes")[1].split("errors (")[0]
    assert "     2  1c: dy/db1 is missing the ReLU mask" in section
    assert "     1  3a: w_hat uses sqrt(lam)" in section


def test_a_mistake_follows_the_students_choice_at_a_kink(grade_source, dis02_hints):
    """loops.py takes ReLU'(0) = 1; the same slip made there is named at the kinks too, since a
    mistake is evaluated under each convention the reference accepts."""
    source = (SOLUTIONS / "correct" / "loops.py").read_text()
    old = "g[i, 0] = W2[0, i] * relu_slope(W1[i, 0] * x + b1[i, 0]) * x"
    assert source.count(old) == 1
    doc = grade_source(source.replace(old, "g[i, 0] = W2[0, i] * relu_slope(W1[i, 0] * x + b1[i, 0])"))
    checks = {c.name: c for c in doc.part("1d").checks}
    at_kink = next(c for n, c in checks.items() if "exactly at a ReLU kink" in n)
    assert not at_kink.passed and at_kink.hint == next(
        m for m, (_, _, f) in dis02_hints.items() if f == "dy_dW1_without_x")


def test_a_failure_makes_the_mistakes_only_up_to_the_one_that_fits(dis02, grade_source):
    """Hints are tried in the spec's order, each mistake's values made when reached: the one that
    fits stops the search, the same one that making them all and taking the first would give."""
    plan_for.cache_clear()
    doc = grade_source(apply(BASE, EDITS["db1-no-mask"]), seed=12)
    hinted = [c for c in doc.part("1c").checks if c.hint]
    assert hinted
    checks = [c for planned in plan_for(dis02, 12).parts.values() for c in planned
              if c.check.hints and c.check.hints.made_so_far()]
    assert checks and any(len(c.check.hints.made_so_far()) < len(c.check.hints.told) for c in checks)
    for c in checks:
        lazily = c.check.hints.made_so_far()
        assert [m.message for m in c.check.hints.every_mistake()][:len(lazily)] == [m.message for m in lazily]


@pytest.mark.parametrize("up_to_constant", [False, True])
def test_made_lazily_the_same_hint_fires(up_to_constant):
    """Grading makes a mistake's values only where they are looked at (Hints.__call__): the hint
    told is the one made in full tells, on values right, wrong, of a mistake, or none at all."""
    rng = np.random.default_rng(5)
    tol = Tolerance()
    for trial in range(60):
        count = int(rng.integers(2, 9))
        cases = [Case({"a": float(rng.normal())}, family="random", index=i, group=i // 4, key=f"s/{i}")
                 for i in range(count)]
        expected = [[np.array(2 * c.inputs["a"])] for c in cases]
        shifts = [0.0, 1.0, 2.0, 3.0]      # mistake k is off by shifts[k]; 0: the right answer
        claims = rng.random(count) < 0.8   # where mistake 2 makes a claim
        told = [(f"off by {s}", ["call", f"m{k}", [["input", "a"]]]) for k, s in enumerate(shifts)]
        namespaces = [{**{f"m{k}": (lambda a, s=s: 2 * a + s) for k, s in enumerate(shifts)},
                       "m2": lambda a: 2 * a + 2.0 if claims[[c.inputs["a"] for c in cases].index(a)] else None}]
        made = {lazy: hints.Hints(told, namespaces, cases, expected, tol, up_to_constant=up_to_constant)
                for lazy in (False, True)}
        made[False].mistakes()   # in full, as lint, a preflight and a kit's stored hints have them
        for _ in range(8):
            picked = rng.integers(0, len(shifts) + 1, count)   # per case: a mistake's value, or noise
            observed = [None if rng.random() < 0.05 else
                        np.array(2 * c.inputs["a"] + (shifts[k] if k < len(shifts) else rng.normal()))
                        for c, k in zip(cases, picked)]
            failed = [i for i, k in enumerate(picked) if k != 0]
            if failed:
                assert made[True](observed, failed) == made[False](observed, failed)
    # lazily, no mistake was made on every case; in full, every one was
    assert made[True]._made is None and not made[True]._each and made[False]._each
