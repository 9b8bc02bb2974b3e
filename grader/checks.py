"""Checks derived from a spec. Each is a generator: it yields the calls it needs the student's
code to run, receives their raw results, and returns a Verdict. Checks never touch processes;
the engine carries their requests across the boundary (so judging stays in this process).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Generator

import json

import numpy as np

from grader import compare as cmp
from grader import expr, gradcheck
from grader.cases import Case
from grader.child import evaluate
from grader.values import NotNumeric, as_array, encode_inputs, failure_text, leaves

Calls = list[dict]
CheckRun = Generator[Calls, list[dict], "Verdict"]


@dataclass
class Verdict:
    name: str
    passed: bool
    message: str = ""
    points: float = 1.0
    hidden: bool = True
    error: bool = False            # failed because the code raised, was missing or died
    notes: list[str] = field(default_factory=list)


@dataclass
class Check:
    name: str
    points: float
    hidden: bool
    run: Callable[[], CheckRun]


class Calls(list):
    """A request that is the same for every submission; the runner keeps its wire form on it."""


def calls_for(tree: list, cases: list[Case], mode: str = "value") -> Calls:
    return Calls(call(tree, case, mode) for case in cases)


def call(tree: list, case: Case, mode: str = "value", changed: dict | None = None) -> dict:
    """One call for the child: the expression on a case it already holds, with some inputs changed."""
    item = {"expr": tree, "case": case.key, "mode": mode}
    if changed:
        item["with"] = encode_inputs(changed)
    return item


def reference_eval(tree: list, namespace: dict, inputs: dict):
    """The reference's value, run here (it is ours), on copies of the inputs."""
    return evaluate(tree, namespace, inputs)


def reference_value(references: list[dict], tree: list, inputs: dict) -> list[np.ndarray]:
    """The value under every equally right reference, duplicates dropped."""
    values: list[np.ndarray] = []
    for namespace in references:
        value = np.asarray(reference_eval(tree, namespace, inputs), dtype=np.float64)
        if not any(v.shape == value.shape and np.array_equal(v, value, equal_nan=True) for v in values):
            values.append(value)
    return values


def show_inputs(case: Case) -> str:
    lines = [f"  {name} = {cmp.show(np.asarray(value))}" for name, value in case.inputs.items()]
    return "\n".join(lines)


def case_header(case: Case, about: str) -> str:
    label = f" ({case.label})" if case.label else ""
    return f"{about} case #{case.index}{label}, inputs:\n{show_inputs(case)}"


def _numeric(raw: dict) -> tuple[np.ndarray | None, str, bool]:
    """(array, problem, is_error)."""
    try:
        return as_array(raw), "", False
    except NotNumeric as err:
        return None, str(err), failure_text(raw) is not None


def _missing(raws: list[dict]) -> str:
    """A function, key or index that is not there at all: said once, without inputs."""
    first = raws[0] if raws else {}
    if isinstance(first, dict) and first.get("t") == "missing":
        return failure_text(first)
    return ""


def _closest(expected: list[np.ndarray], got: np.ndarray, tol, scale=None) -> cmp.Comparison:
    """Passes if got matches any equally right answer; otherwise the first one's message."""
    first = None
    for answer in expected:
        result = cmp.compare(answer, got, tol.rtol, tol.atol, scale)
        if result.passed:
            return result
        first = first or result
    return first


def values_match(name, tree, cases, expected, tol, about, points, hidden) -> Check:
    """The student's value on each case against the reference's."""
    text = expr.show(tree)

    request = calls_for(tree, cases)

    def run() -> CheckRun:
        raws = yield request
        if (missing := _missing(raws)):
            return Verdict(name, False, missing, points, hidden, True)
        notes, failures, first, error = [], 0, "", False
        for case, raw, answers in zip(cases, raws, expected):
            got, problem, is_error = _numeric(raw)
            if got is not None and first:   # a failure is reported already: only count now
                if not any(cmp.matches(a, got, tol.rtol, tol.atol) for a in answers):
                    failures += 1
                continue
            if got is not None:
                result = _closest(answers, got, tol)
                problem = result.message
                if result.note and not notes:   # one example says it; k varies the rest
                    notes.append(result.note)
                if result.passed:
                    continue
            failures += 1
            if not first:
                first, error = f"{case_header(case, about)}\n{text}:\n{problem}", is_error
        if not failures:
            return Verdict(name, True, notes=notes, points=points, hidden=hidden)
        head = f"{failures} of {len(cases)} cases failed. First failure:\n"
        return Verdict(name, False, head + first, points, hidden, error, notes)
    return Check(name, points, hidden, run)


def differences_match(name, tree, cases, expected, tol, about, points, hidden) -> Check:
    """Up to an additive constant: within each group, value minus the group's first value."""
    text = expr.show(tree)

    request = calls_for(tree, cases)

    def run() -> CheckRun:
        raws = yield request
        groups: dict[int, list[int]] = {}
        for i, case in enumerate(cases):
            groups.setdefault(case.group, []).append(i)
        failures, first, error = 0, "", False
        for members in groups.values():
            got = [_numeric(raws[i]) for i in members]
            bad = next((g for g in got if g[0] is None or g[0].size != 1), None)
            if bad is None:
                mine = np.array([g[0].item() for g in got])
                ref = np.array([expected[i][0].item() for i in members])
                scale = np.max(np.abs(ref)) + np.max(np.abs(ref - ref[0]))
                result = cmp.allclose(ref[1:] - ref[0], mine[1:] - mine[0], tol.rtol, tol.atol, scale)
                if result.passed:
                    continue
                problem = (f"differences f(w_j) - f(w_0) for j = 1..{len(members) - 1}\n"
                           f"expected: {cmp.show(ref[1:] - ref[0])}\n"
                           f"got:      {cmp.show(mine[1:] - mine[0])}\n{result.message}")
                is_error = False
            else:
                problem = bad[1] or "returned an array with more than one number, not a scalar"
                is_error = bad[2]
            failures += 1
            if not first:
                shown = "\n".join(case_header(cases[i], about) for i in members[:2])
                first, error = f"{shown}\n(and {len(members) - 2} more w in this group)\n{text}:\n{problem}", is_error
        if not failures:
            return Verdict(name, True, points=points, hidden=hidden)
        return Verdict(name, False, f"{failures} of {len(groups)} groups failed. First failure:\n{first}",
                       points, hidden, error)
    return Check(name, points, hidden, run)


def _fd_tolerance(rounding: np.ndarray) -> tuple[float, float]:
    return gradcheck.RTOL, gradcheck.ATOL + float(np.max(rounding, initial=0.0))


def gradient_vs_reference(name, tree, of_tree, wrt, cases, references, points, hidden) -> Check:
    """The student's gradient against central differences of the reference forward."""
    text = expr.show(tree)
    f = lambda inputs: float(reference_eval(of_tree, references[0], inputs))
    numeric = [gradcheck.numeric_gradient(f, case.inputs, wrt) for case in cases]   # made once

    request = calls_for(tree, cases)

    def run() -> CheckRun:
        raws = yield request
        if (missing := _missing(raws)):
            return Verdict(name, False, missing, points, hidden, True)
        for case, raw, (differences, rounding) in zip(cases, raws, numeric):
            got, problem, is_error = _numeric(raw)
            if got is not None:
                rtol, atol = _fd_tolerance(rounding)
                result = cmp.compare(differences, got, rtol, atol)
                if result.passed:
                    continue
                problem = result.message.replace("expected:", "finite differences:", 1)
            return Verdict(name, False, f"{case_header(case, 'finite-difference')}\n{text}:\n{problem}",
                           points, hidden, is_error)
        return Verdict(name, True, points=points, hidden=hidden)
    return Check(name, points, hidden, run)


def gradient_vs_own(name, tree, of_tree, wrt, cases, points, hidden) -> Check:
    """The student's gradient against central differences of the student's own forward."""
    text, of_text = expr.show(tree), expr.show(of_tree)
    steps = [gradcheck.points(case.inputs, wrt) for case in cases]
    calls = Calls(c for case, moved in zip(cases, steps)
                  for c in [call(tree, case)] + [call(of_tree, case, changed={wrt: p[wrt]}) for p in moved])

    def run() -> CheckRun:
        raws = yield calls
        start = 0
        for case, moved in zip(cases, steps):
            mine, start = raws[start:start + 1 + len(moved)], start + 1 + len(moved)
            got, problem, is_error = _numeric(mine[0])
            if got is None:
                return Verdict(name, False, f"{text}: {problem}", points, hidden, is_error)
            values = [_numeric(r) for r in mine[1:]]
            broken = next((v for v in values if v[0] is None or v[0].size != 1), None)
            if broken:
                why = broken[1] or "did not return a scalar"
                return Verdict(name, False, f"your {of_text} {why}, so it cannot check your gradient",
                               points, hidden, broken[2])
            numeric, rounding = gradcheck.differences(case.inputs, wrt, [v[0].item() for v in values])
            rtol, atol = _fd_tolerance(rounding)
            result = cmp.compare(numeric, got, rtol, atol)
            if not result.passed:
                message = result.message.replace("expected:", f"differences of your {of_text}:", 1)
                return Verdict(name, False, f"your gradient disagrees with your own forward, "
                               f"{of_text}\n{case_header(case, 'finite-difference')}\n{text}:\n{message}",
                               points, hidden)
        return Verdict(name, True, points=points, hidden=hidden)
    return Check(name, points, hidden, run)


STATIONARY_RTOL = 1e-5


def stationary_point(name, tree, of_tree, wrt, cases, points, hidden) -> Check:
    """The student's output is where the gradient of the student's own `of` vanishes, measured
    against that gradient's size at the origin."""
    text, of_text = expr.show(tree), expr.show(of_tree)

    request = calls_for(tree, cases)

    def run() -> CheckRun:
        raws = yield request
        for case, raw in zip(cases, raws):
            got, problem, is_error = _numeric(raw)
            if got is None:
                return Verdict(name, False, f"{text}: {problem}", points, hidden, is_error)
            at_point = {**case.inputs, wrt: got.reshape(-1)}
            at_origin = {**case.inputs, wrt: np.zeros(got.size)}
            pts = gradcheck.points(at_point, wrt) + gradcheck.points(at_origin, wrt)
            replies = yield [call(of_tree, case, changed={wrt: p[wrt]}) for p in pts]
            values = [_numeric(r) for r in replies]
            broken = next((v for v in values if v[0] is None or v[0].size != 1), None)
            if broken:
                return Verdict(name, False, f"your {of_text}: {broken[1] or 'did not return a scalar'}",
                               points, hidden, broken[2])
            numbers = [v[0].item() for v in values]
            half = len(numbers) // 2
            grad, rounding = gradcheck.differences(at_point, wrt, numbers[:half])
            grad0, _ = gradcheck.differences(at_origin, wrt, numbers[half:])
            scale = float(np.max(np.abs(grad0)))
            limit = STATIONARY_RTOL * scale + rounding + gradcheck.ATOL
            if not np.all(np.abs(grad) <= limit):
                return Verdict(name, False, (
                    f"{case_header(case, 'stationarity')}\nat {wrt} = {text}, the gradient of your "
                    f"{of_text} is not zero:\n  {cmp.show(grad)}\n(largest entry "
                    f"{float(np.max(np.abs(grad))):.3g}; at {wrt} = 0 it is {scale:.3g})"), points, hidden)
        return Verdict(name, True, points=points, hidden=hidden)
    return Check(name, points, hidden, run)


CONTAINS_RTOL, CONTAINS_ATOL = 1e-7, 1e-12


def _found(needle: np.ndarray, haystack: list[tuple[str, np.ndarray]]) -> str | None:
    for path, value in haystack:
        if value.size == needle.size and np.allclose(value.ravel(), needle.ravel(),
                                                     rtol=CONTAINS_RTOL, atol=CONTAINS_ATOL):
            return path
    return None


def _informative(needles: list[np.ndarray], inputs: dict) -> bool:
    """A needle that is all zeros or equals an input by value would be found in any cache."""
    givens = [np.asarray(v, dtype=np.float64) for v in inputs.values()]
    for needle in needles:
        if not np.any(needle) or _found(needle, [("", g) for g in givens]):
            return False
    return True


def needles_for(needle_trees, cases, references, count) -> list[tuple[Case, list[np.ndarray]]]:
    """The first `count` cases where every needle is informative, with the reference's needles."""
    chosen = []
    for case in cases:
        needles = [reference_value(references[:1], t, case.inputs)[0] for t in needle_trees]
        if _informative(needles, case.inputs):
            chosen.append((case, needles))
        if len(chosen) == count:
            break
    return chosen


def contains(name, tree, needles_label, needle_trees, cases, references, count, points, hidden) -> Check:
    """Some value inside the student's (say, cache) equals one of the reference needles; judged
    on the first `count` cases where every needle is informative."""
    return holds(name, tree, needles_label, needles_for(needle_trees, cases, references, count),
                 points, hidden)


def holds(name, tree, needles_label, chosen, points, hidden) -> Check:
    """As contains, on given (case, needles) pairs (a student kit stores them)."""
    text = expr.show(tree)
    request = calls_for(tree, [case for case, _ in chosen], mode="leaves")

    def run() -> CheckRun:
        raws = yield request
        for (case, needles), raw in zip(chosen, raws):
            try:
                haystack = leaves(raw)
            except NotNumeric as err:
                return Verdict(name, False, f"{text}: {err}", points, hidden, True)
            if not any(_found(n, haystack) for n in needles):
                seen = ", ".join(f"{p} {v.shape}" for p, v in haystack[:12]) or "no numbers at all"
                return Verdict(name, False, (
                    f"{case_header(case, 'cache')}\nnothing in {text} equals {needles_label} "
                    f"(the numbers found there: {seen})"), points, hidden)
        return Verdict(name, True, points=points, hidden=hidden)
    return Check(name, points, hidden, run)
