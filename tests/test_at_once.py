"""The judge's all-at-once paths (grader.judge.at_once) reach the verdict the case-by-case path
reaches, message, kind, notes and hint alike, on results of every kind: right (up to size-1
dimensions, either side of a kink), off by a little or a lot, NaN, of the wrong shape, raised."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

from grader.core.cases import Case
from grader.core.spec import Tolerance
from grader.judge import at_once, gradcheck
from grader.judge.checks import differences_match, gradient_vs_reference, values_match
from grader.judge.own import gradient_vs_own
from grader.sandbox import protocol

TREE = ["call", "f", [["input", "x"]]]


# each all-at-once comparison's entry points, and what it answers when it declines
FAST = [(at_once.AllClose, "__call__", None), (at_once.AllClose, "each", None),
        (at_once.AllDifferences, "__call__", False), (at_once.AllOwnDifferences, "__call__", False)]


@contextlib.contextmanager
def patched(make):
    """Each entry point replaced by make(what it answers when it declines, itself)."""
    saved = [(cls, name, getattr(cls, name)) for cls, name, _ in FAST]
    for (cls, name, call), (_, _, declined) in zip(saved, FAST):
        setattr(cls, name, make(declined, call))
    try:
        yield
    finally:
        for cls, name, call in saved:
            setattr(cls, name, call)


def verdict(check, raws):
    run = check.run(False)
    next(run)
    with np.errstate(all="ignore"), pytest.raises(StopIteration) as stop:
        run.send(raws)
    found = stop.value.value
    return found.passed, found.message, found.kind, found.notes, found.hint


def wired(raws: list) -> protocol.Results:
    """raws as the judge reads them: written into a reply as the child writes results, then read."""
    reply = protocol.Reply("n", 0)
    for raw in raws:
        if raw["t"] == "num":
            reply.number(raw["v"], raw["type"])
        elif raw["t"] == "arr":
            reply.array(np.asarray(raw["a"]).reshape(raw["shape"]), protocol.NAMES.index(raw["dt"]))
        else:
            reply.other(raw)
    data = reply.frame()
    message, blob = protocol.split(data)
    return protocol.parse_reply(message, blob, len(raws))


def both_ways(check, raws, settles: bool = False) -> tuple:
    """The verdict, the same with every all-at-once comparison declining (the case-by-case path),
    and the same again on the results as a reply brings them; settles: the all-at-once path must
    have settled it (right answers)."""
    first = one_way(check, raws, settles)
    assert one_way(check, wired(raws), settles) == first
    return first


def one_way(check, raws, settles: bool) -> tuple:
    said = []

    def spy(declined, call):
        def recorded(self, raws):
            said.append(call(self, raws))
            return said[-1]
        return recorded
    with patched(spy):
        fast = verdict(check, raws)
    with patched(lambda declined, call: lambda self, raws: declined):
        slow = verdict(check, raws)
    assert fast == slow, raws
    if settles:   # right answers: the first all-at-once look settled the check
        assert said and said[0] is not None and said[0] is not False, raws
        assert type(said[0]) is not tuple or said[0][0].all(), raws   # AllClose.each: every case
    return fast


def arr(shape, data) -> dict:   # as protocol.parse_reply makes it: a shape of Python ints
    return {"t": "arr", "shape": [int(n) for n in shape], "a": np.asarray(data, dtype=np.float64).ravel(), "dt": "float64"}


def result(value: np.ndarray, rng, shape=None) -> dict:
    """value as the child could send it: a number or an array, of its shape or another one."""
    shape = value.shape if shape is None else shape
    if shape == () and rng.random() < 0.8:
        return {"t": "num", "v": float(value.item()), "type": "float"}
    return arr(shape, value)


def right(value: np.ndarray, rng, limit: np.ndarray) -> dict:
    """A right result: value, within half its tolerance (limit: per entry), in its shape or
    one that differs only by size-1 dimensions."""
    value = value + limit * rng.uniform(-0.9, 0.9, value.shape) * (rng.random() < 0.5)
    if rng.random() < 0.3:   # size-1 dimensions dropped, then some put in anywhere
        shape = [n for n in value.shape if n != 1]
        for _ in range(int(rng.integers(0, 3))):
            shape.insert(int(rng.integers(0, len(shape) + 1)), 1)
        return result(value, rng, tuple(shape))
    return result(value, rng)


def wrong(value: np.ndarray, rng, limit: np.ndarray) -> dict:
    """A result that is not right: mostly one entry just past its tolerance."""
    pick = rng.random()
    if pick < 0.6:
        off = np.zeros(value.size)
        off[rng.integers(value.size)] = rng.choice([-1, 1]) * rng.uniform(1.02, 3)
        return result(value + (limit * off.reshape(value.shape)), rng)
    if pick < 0.7:
        return result(value + 0.1 + rng.standard_normal(value.shape), rng)
    if pick < 0.8:
        return result(np.full(value.shape, np.nan), rng)
    if pick < 0.87:
        if len([n for n in value.shape if n != 1]) > 1:   # as many numbers, flattened: a wrong shape
            return arr((value.size,), value)
        return arr((value.size + 1,), np.zeros(value.size + 1))
    if pick < 0.94:
        return {"t": "raised", "type": "ValueError", "msg": "no", "where": "cell 1, line 2"}
    return {"t": "num", "v": 2, "type": "int"}


def agrees(check, raws, all_right: bool) -> None:
    """The two ways agree (both_ways), and where every case was made right, the check passes."""
    passed, *_ = both_ways(check, raws, settles=all_right)
    assert passed or not all_right


def chooser(rng, count: int):
    """How each of count results is made: all right, one wrong, or each wrong a time in four."""
    mode, odd = rng.random(), int(rng.integers(count))
    return lambda i: right if mode < 0.4 or (mode < 0.85 and i != odd) or (mode >= 0.85 and rng.random() < 0.75) \
        else wrong, mode < 0.4


def cases_of(count: int, group_size: int = 1) -> list[Case]:
    return [Case({"x": float(i)}, family="f", index=i, group=i // group_size, key=f"f/{i}")
            for i in range(count)]


SHAPES = [(), (1,), (1, 1), (3, 1), (1, 4), (2, 3)]


def test_values_all_at_once_as_case_by_case():
    for seed in range(300):
        values_once(np.random.default_rng(seed))


def values_once(rng):
    count, tol = int(rng.integers(1, 6)), Tolerance(rtol=1e-6, atol=1e-9)
    expected = []
    for _ in range(count):
        shape = SHAPES[rng.integers(len(SHAPES))]
        answers = [rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4)]
        if rng.random() < 0.4:   # a kink: another right answer, or the same one again
            answers.append(answers[0] + (rng.random() < 0.8) * rng.integers(0, 2, shape))
        expected.append(answers)
    check = values_match(tree=TREE, text="f(x)", cases=cases_of(count), expected=expected, tol=tol, about="f")
    pick, all_right = chooser(rng, count)
    raws = [pick(i)(answer, rng, tol.atol + tol.rtol * np.abs(answer))
            for i, answer in enumerate(answers[rng.integers(len(answers))] for answers in expected)]
    agrees(check, raws, all_right)


def test_differences_all_at_once_as_case_by_case():
    for seed in range(200):
        differences_once(np.random.default_rng(seed))


def differences_once(rng):
    groups, size, tol = int(rng.integers(1, 4)), int(rng.integers(1, 5)), Tolerance(rtol=1e-6, atol=1e-9)
    values = rng.standard_normal(groups * size) * 100
    expected = [[np.array(v)] for v in values]
    check = differences_match(tree=TREE, text="f(x)", cases=cases_of(len(values), size), expected=expected,
                              tol=tol, about="f")
    shifted = values + np.repeat(rng.standard_normal(groups) * 1000, size)   # a constant per group
    limits = []
    for group in values.reshape(groups, size):   # the tolerance of a difference, halved: two values in it
        scale = np.max(np.abs(group)) + np.max(np.abs(group - group[0]))
        limits += [(tol.atol + tol.rtol * scale) / 2] * size
    pick, all_right = chooser(rng, len(values))
    raws = [pick(i)(np.array(v), rng, np.array(limit)) for i, (v, limit) in enumerate(zip(shifted, limits))]
    agrees(check, raws, all_right)


def test_gradient_against_the_reference_all_at_once_as_case_by_case():
    for seed in range(200):
        reference_once(np.random.default_rng(seed))


def reference_once(rng):
    count = int(rng.integers(1, 5))
    estimates = [rng.standard_normal(SHAPES[rng.integers(len(SHAPES))]) * 10.0 ** rng.integers(-3, 4)
                 for _ in range(count)]
    differences = [(e, np.abs(rng.standard_normal(e.shape)) * 10.0 ** rng.integers(-9, -4)) for e in estimates]
    check = gradient_vs_reference(tree=TREE, text="f(x)", cases=cases_of(count), differences=differences)
    pick, all_right = chooser(rng, count)
    raws = [pick(i)(e, rng, gradcheck.ATOL + np.max(rounding) + gradcheck.RTOL * np.abs(e))
            for i, (e, rounding) in enumerate(differences)]
    agrees(check, raws, all_right)


def cubic(x) -> float:
    return float(np.sum(np.asarray(x) ** 3) / 3 + 2.0)


def test_gradient_against_your_own_forward_all_at_once_as_case_by_case():
    for seed in range(200):
        own_once(np.random.default_rng(seed))


def own_once(rng):
    shapes = [SHAPES[rng.integers(len(SHAPES))] for _ in range(int(rng.integers(1, 4)))]
    values = [float(rng.standard_normal()) if shape == () else rng.standard_normal(shape) for shape in shapes]
    cases = [Case({"x": x}, family="f", index=i, key=f"f/{i}") for i, x in enumerate(values)]
    check = gradient_vs_own(tree=TREE, text="df(x)", of_tree=["call", "g", [["input", "x"]]], of_text="g(x)",
                            wrt="x", cases=cases)
    pick, all_right = chooser(rng, len(cases))
    raws = []
    for i, case in enumerate(cases):
        gradient = np.asarray(case.inputs["x"], dtype=np.float64) ** 2
        forwards = [cubic(case.inputs["x"])] + [cubic(p["x"]) for p in gradcheck.points(case.inputs, "x")]
        # the differences' own error (h^2, rounding) is far below the tolerance
        made = pick(i)
        raws.append(made(gradient, rng, gradcheck.ATOL + gradcheck.RTOL * np.abs(gradient)))
        for value in forwards:
            odd = rng.random()
            raws.append({"t": "num", "v": value, "type": "float"} if made is right or odd < 0.9 else
                        arr((1, 1), [value]) if odd < 0.95 else arr((2,), [value, value]))
    agrees(check, raws, all_right)


def test_a_kink_passes_on_either_answer_but_not_on_a_mix_of_them():
    tol = Tolerance(rtol=1e-6, atol=1e-9)
    left, right = np.array([[1.0], [0.0]]), np.array([[1.0], [2.0]])
    check = values_match(tree=TREE, text="f(x)", cases=cases_of(2), expected=[[left, right], [left, right]],
                         tol=tol, about="f")
    assert both_ways(check, [arr((2, 1), [1.0, 0.0]), arr((2,), [1.0, 2.0])]) == (
        True, "", "passed", ["returned shape (2,) where shape (2, 1) was expected; accepted (only size-1 "
                             "dimensions differ)"], None)
    mixed = both_ways(check, [arr((2, 1), [1.0, 0.0]), arr((1, 2), [1.0, 1.0])])
    assert not mixed[0] and mixed[2] == "wrong_value"


def test_nan_for_nan_and_inf_for_the_same_inf_count_as_right_when_others_fail():
    """compare.matches' rules, which the comparison at once leaves to case by case: a NaN where the
    answer is NaN, an inf where it is the same inf, are right; the failures counted are the rest."""
    tol = Tolerance(rtol=1e-6, atol=1e-9)
    expected = [[np.array([np.nan, 1.0])], [np.array([np.inf])], [np.array(2.0)]]
    check = values_match(tree=TREE, text="f(x)", cases=cases_of(3), expected=expected, tol=tol, about="f")
    raws = [arr((2,), [np.nan, 1.0]), arr((1,), [np.inf]), {"t": "num", "v": 3.0, "type": "float"}]
    passed, message, kind, _, _ = both_ways(check, raws)
    assert not passed and message.startswith("1 of 3 cases failed. First failure:\nf case #2") and kind == "wrong_value"
    assert both_ways(check, raws[:2] + [{"t": "num", "v": 2.0, "type": "float"}])[0]
    kink = values_match(tree=TREE, text="f(x)", cases=cases_of(2), tol=tol, about="f",
                        expected=[[np.array([1.0, 2.0]), np.array([1.0, np.inf])], [np.array(2.0)]])
    assert both_ways(kink, [arr((2,), [1.0, np.inf]), {"t": "num", "v": 2.0, "type": "float"}])[0]
    assert not both_ways(kink, [arr((2,), [3.0, np.inf]), {"t": "num", "v": 2.0, "type": "float"}])[0]
