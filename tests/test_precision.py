"""Precision mistakes are named: correct formulas computed in float32 still fail under the spec's
tolerance, and every check they fail says why (float32, compute in float64); correct float64 work
and ordinary wrong answers never hear of precision."""
import sys
import time

import numpy as np
import pytest

from grader.sandbox import isolation as sandbox
from grader.sandbox import protocol
from grader.core.engine import grade, open_session
from grader.core.plan import plan_for
from grader.judge import contains, own, precision
from grader.judge.values import as_array, dtype_of
from grader.submissions.files import units
from tests.conftest import CORRECT, SOLUTIONS, failing

sys.path.insert(0, str(SOLUTIONS))
from float32_solutions import FLOAT32  # noqa: E402
from mutants import MUTANTS, apply  # noqa: E402

SEEDS = [182, 7, 2024]
OWN_DISAGREES = "your gradient disagrees with your own forward"
AS_FLOAT32 = "your values are float32 ("                     # the dtype said so
AS_NUMBERS = "your values are float32 numbers made float64 again"   # every value is a float32 number
AS_CLOSE = "your values agree with the expected ones only to about 7 significant digits"
VALUE_WORDS = {"dtype": (AS_FLOAT32,), "exact": (AS_NUMBERS,), "mixed": (AS_FLOAT32, AS_NUMBERS, AS_CLOSE)}


def precision_texts(doc) -> list[str]:
    return [text for part in doc.parts for check in part.checks
            for text in [check.message, check.hint or "", *check.notes] if precision.PREFIX in text]


# ---- what the child says and the judge accepts --------------------------------------------------

def as_judged(value) -> dict:
    """A value as the child writes it and the judge reads it back."""
    reply = protocol.Reply("n", 0)
    protocol.encode(value, reply)
    data = reply.frame()
    text, _ = protocol.sizes(data[:protocol.HEAD.size])
    message = protocol.parse_json(data[protocol.HEAD.size:protocol.HEAD.size + text])
    return protocol.parse_reply(message, data[protocol.HEAD.size + text:], 1)[0]


def test_the_child_reports_the_dtype_it_converted_from():
    f32 = np.float32
    assert as_judged(np.ones((2, 1), dtype=f32))["dt"] == "float32"
    assert as_judged(np.ones(3))["dt"] == "float64"
    assert as_judged([f32(1.5), f32(2.5)])["dt"] == "float32"     # a list of float32 scalars
    assert as_judged(np.arange(3))["dt"] == "int64"
    assert as_judged(f32(0.1)) == {"t": "num", "v": float(f32(0.1)), "type": "float32"}
    assert as_judged(np.array([1.0, 2], dtype=object))["dt"] == ""   # numbers, but no dtype of theirs
    array = as_judged(np.full(2, 0.1, dtype=np.float16))
    assert array["dt"] == "float16" and array["a"].tolist() == [float(np.float16(0.1))] * 2


def test_the_judge_takes_only_known_dtype_names():
    assert dtype_of({"t": "arr", "dt": "float32"}) == "float32"
    assert dtype_of({"t": "num", "type": "float16"}) == "float16"
    for forged in ({"t": "arr", "dt": "float32\nhint: you pass"}, {"t": "arr", "dt": ["float32"]},
                   {"t": "arr", "dt": "object"}, {"t": "num", "type": "MyFloat"}, {"t": "arr"},
                   {"t": "seq", "dt": "float32"}, "float32", None):
        assert dtype_of(forged) is None, forged


def test_float32_evidence_and_agreement():
    rng = np.random.default_rng(0)
    values = rng.normal(size=20)
    assert precision.float32_exact([values.astype(np.float32).astype(np.float64)])
    assert not precision.float32_exact([values])
    assert not precision.float32_exact([np.array([0.5, 3.0, -2.25, 0.0])])   # exact in every dtype
    assert not precision.float32_exact([None])
    # agreement to float32's precision: float32 rounding of a sum passes, a 1% slip does not
    expected = np.array([[1e-4], [2.0], [0.0]])
    as32 = (expected.astype(np.float32) + np.float32(3.0) - np.float32(3.0)).astype(np.float64)
    assert not np.array_equal(as32, expected) and precision.close32(expected, as32)
    assert precision.close32(expected, as32.ravel())                  # the contract's shape rule
    assert not precision.close32(expected, expected * 1.01)
    assert not precision.close32(expected, np.full((3, 1), np.nan))
    right = np.array([-2000.0, -2001.5, -1999.25])
    assert precision.close32_differences(right, right.astype(np.float32).astype(np.float64) + 7.0)
    assert not precision.close32_differences(right, right + np.array([0.0, 5.0, -5.0]))   # 0.25% of its size


# ---- float32 solutions --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("solution", FLOAT32, ids=lambda s: s.name)
def test_a_float32_solution_fails_its_parts_and_every_failure_names_precision(solution, seed, dis02):
    doc = grade(solution.path, dis02, seed)
    assert solution.fails <= failing(doc), solution.name
    assert not failing(doc) & solution.passes, solution.name
    for part in doc.parts:
        for check in part.checks:
            if check.passed:
                continue
            assert check.hint and check.hint.startswith(precision.PREFIX), (part.id, check.name, check.message)
            assert check.message.splitlines()[0] == f"hint: {check.hint}"
            assert "compute in float64" in check.hint and OWN_DISAGREES not in check.message
            if "your own" in check.name:        # a forward too coarse for the step
                assert "below float32's resolution, so this check cannot judge" in check.hint
            elif "matches the reference" in check.name:
                assert any(words in check.hint for words in VALUE_WORDS[solution.values]), check.hint


def test_float32_plus_a_float64_scalar_is_seen_by_its_precision_alone(dis02):
    """dtype_arrays.py's relu_net is float32's W2 a1, then + b2 as a Python float: neither a
    float32 dtype nor float32 numbers reach the judge; its values agree with the reference's to
    float32's precision only, and its noise between finite-difference points shows."""
    solution = next(s for s in FLOAT32 if s.name == "dtype_arrays.py")
    doc = grade(solution.path, dis02, 7)
    y = [c for c in doc.part("1y").checks if not c.passed]
    assert y and all(c.hint.startswith(precision.PREFIX + AS_CLOSE) for c in y)
    own = [c for c in doc.part("1c").checks if "of your own relu_net" in c.name]
    assert len(own) == 1 and not own[0].passed
    assert own[0].hint.startswith(precision.PREFIX + "your relu_net(x, W1, b1, W2, b2) is computed "
                                  "to float32's precision: its values jump by")


def test_float32_and_a_mistake_get_the_mistakes_hint_and_a_precision_note(grade_source, dis02):
    """Float32 values are matched against the mistakes to float32's precision: a ridge with
    sqrt(lam) computed in float32 is off from the sqrt(lam) answer by more than 1e-6, yet named."""
    source = next(s for s in FLOAT32 if s.name == "cast_at_top.py").path.read_text()
    old = "X.T @ X + lam * np.eye(d, dtype=np.float32)"
    assert source.count(old) == 1
    doc = grade_source(source.replace(old, "X.T @ X + np.sqrt(lam) * np.eye(d, dtype=np.float32)"))
    sqrt_hint = next(h.message for p in dis02.spec.parts for h in p.hints if h.mistake.startswith("w_sqrt_lam"))
    check = next(c for c in doc.part("3a").checks if "matches the reference" in c.name)
    assert check.hint == sqrt_hint
    assert [n for n in check.notes if n.startswith(precision.PREFIX)] == [
        precision.PREFIX + "your values are float32 (NumPy float32 keeps about 7 significant digits): "
        + precision.ADVICE + "; rounding alone does not explain this failure, though"]


# ---- never for float64 work ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_correct_float64_work_shows_no_evidence_of_float32(path, seed, dis02):
    """Stronger than grading (a correct solution never fails, so precision is never looked at):
    every value and forward the checks receive from a correct solution carries no float32 dtype,
    is not all float32 numbers, and has no noise between finite-difference points."""
    session = open_session(units(path), dis02, time.monotonic() + 60, sandbox.strongest(), seed)
    forwards_seen = 0
    try:
        for part in dis02.spec.parts:
            for check in plan_for(dis02, seed).parts[part.id]:
                calls = next(check.check.run())
                raws = session.call(calls, 20.0, "test")
                assert precision.low_dtype(raws) is None, (path.name, check.name)
                if all(r.get("t") in ("num", "arr") for r in raws):
                    assert not precision.float32_exact([as_array(r) for r in raws]), (path.name, check.name)
                if "your own" in check.name and "stationary" not in check.name:
                    by_case: dict[str, list] = {}      # per case: the gradient, then the forward's
                    for item, raw in zip(calls, raws):
                        by_case.setdefault(item["case"], []).append(raw)
                    forwards = [results[1:] for results in by_case.values()]
                    assert own.forward_precision(forwards, "f", "g", centred=True) is None, check.name
                    forwards_seen += 1
    finally:
        session.close()
    assert forwards_seen == 9        # every gradient's check against the student's own forward


def test_ordinary_wrong_answers_never_hear_of_precision(grade_source, forkserver):
    for mutant in MUTANTS:
        doc = grade_source(apply((SOLUTIONS / "correct" / "vectorized.py").read_text(), mutant),
                           server=forkserver)
        assert failing(doc) and precision_texts(doc) == [], mutant.name


def test_a_float32_report_in_plain_words(dis02):
    """The person's report: the hint is the check's first line, the advice is in it."""
    from grader.reports import terminal as render
    doc = grade(next(s for s in FLOAT32 if s.name == "cast_at_top.py").path, dis02, 182)
    text = render.report(doc)
    assert "hint: precision: your values are float32 (NumPy float32 keeps about 7 significant digits; " \
           "the grader compares to 1e-06 relative): compute in float64 (the inputs are float64: avoid " \
           ".astype(np.float32), dtype=np.float32 and np.float32(...))" in text
    assert OWN_DISAGREES not in text


def test_a_cache_value_is_named_float32_only_when_it_is_float32_numbers():
    """The cache check looks for its values to 1e-7; a float32 z1 misses by more, and is named.
    A near miss of another kind is no evidence: a label y = 1 beside y_hat = 0.9995."""
    from grader.core.cases import Case
    case = Case({"x": 1.0}, family="random", index=0, key="s/0")
    wanted = np.array([[0.123456789], [-1.87654321]])
    check = contains.holds(tree=["input", "x"], text="x", label="z1", chosen=[(case, [wanted, np.array(0.9995)])])

    def verdict(path, value):
        run = check.run()
        next(run)
        with pytest.raises(StopIteration) as stop:
            run.send([{"t": "leaves", "items": [{"path": path, "shape": list(value.shape),
                                                 "a": value.ravel()}]}])
        return stop.value.value

    as32 = (wanted * (1 + 4e-7)).astype(np.float32).astype(np.float64)   # a few float32 roundings off
    assert not verdict("cache['z1']", as32).passed
    assert verdict("cache['z1']", as32).hint == (
        "precision: cache['z1'] equals z1 only to about float32's 7 significant digits (the grader looks "
        "for it to 1e-07 relative): compute in float64 (the inputs are float64: avoid .astype(np.float32), "
        "dtype=np.float32 and np.float32(...))")
    assert verdict("cache['y']", np.array(1.0)).hint is None
    assert verdict("cache['z1']", wanted * (1 + 1e-4)).hint is None      # near, but not float32 numbers
    assert verdict("cache['z1']", wanted).passed
