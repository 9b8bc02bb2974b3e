"""Checks against the student's own functions, which need no reference: a gradient against
finite differences of the student's own forward, and an output that should be a stationary point
of the student's own objective. A forward too coarse for the finite-difference step (float32)
is told apart from a wrong gradient.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from grader.judge import compare as cmp
from grader.judge import gradcheck, precision
from grader.judge.at_once import AllOwnDifferences
from grader.judge.checks import _fd_tolerance, numeric
from grader.judge.verdict import (Calls, Check, CheckRun, Miss, Verdict, call, calls_for, case_header,
                                  case_name, each_case, first_failure, with_hint)

if TYPE_CHECKING:
    from grader.core.cases import Case

STATIONARY_RTOL = 1e-5


def forward_precision(forwards: list[list], of_text: str, judged: str,
                      centred: bool = False, sums: list[list[float]] | None = None) -> str | None:
    """Why the student's forward cannot judge `judged` at the finite-difference step (it is
    float32, or as coarse), or None. forwards: per case, the raw results of the forward at its
    points; centred: the case itself comes first, so the noise between points can be measured.
    sums: per case, the weighted sums of an array forward at those points (its numbers)."""
    raws = [raw for values in forwards for raw in values]
    if (dtype := precision.low_dtype(raws)):
        why = f"returns {dtype} values (about {precision.DIGITS[dtype]} significant digits)"
        return precision.forward_advice(of_text, why, gradcheck.STEP, judged, dtype)
    if sums is not None:
        numbers = [[np.array(v) for v in values] for values in sums]
    else:
        numbers = [[numeric(raw, ())[0] for raw in values] for values in forwards]
    if any(v is None or v.size != 1 for values in numbers for v in values):
        return None
    if sums is None and precision.float32_exact([v for values in numbers for v in values]):
        why = "returns float32 numbers made float64 again (about 7 significant digits)"
    elif centred and (noise := max(gradcheck.noise([v.item() for v in values]) for values in numbers)) \
            > precision.NOISE:
        why = (f"is computed to float32's precision: its values jump by {noise:.2g} of their "
               f"size between points a step apart, where float64 stays under {precision.NOISE:g}")
    else:
        return None
    return precision.forward_advice(of_text, why, gradcheck.STEP, judged)


def _scalars(raws: list[dict], of_text: str, prefix: str) -> tuple[list[float] | None, Miss | None]:
    """The student's forward at each point as numbers, or why it cannot judge."""
    values = [numeric(raw, ()) for raw in raws]
    for got, miss in values:
        if miss or got.size != 1:
            why = f"your {of_text}{prefix}{miss.message if miss else 'did not return a scalar'}"
            return None, Miss(kind=miss.kind if miss else "wrong_shape", brief=why, message=why)
    return [got.item() for got, _ in values], None


def _weighted(raws: list[dict], weights: np.ndarray, of_text: str) -> tuple[list[float] | None, float, Miss | None]:
    """sum(weights * value) of the student's array forward at each point, and the size of its
    terms (what its rounding follows), or why it cannot judge."""
    sums, scale = [], 0.0
    for raw in raws:
        got, miss = numeric(raw, weights.shape)
        fitted, _, error = cmp.fit_shape(weights.shape, got) if got is not None else (None, "", "")
        if fitted is None:
            why = f"your {of_text} {miss.message if miss else error}"
            return None, 0.0, Miss(kind=miss.kind if miss else "wrong_shape", brief=why, message=why)
        terms = weights * fitted
        sums.append(float(np.sum(terms)))
        scale = max(scale, float(np.sum(np.abs(terms))))
    return sums, scale, None


def gradient_vs_own(*, tree: list, text: str, of_tree: list, of_text: str, wrt: str,
                    cases: list[Case], weights: str | None = None) -> Check:
    """The student's gradient against central differences of the student's own forward (also
    run at the case itself, so a forward too coarse for the step can be told: float32).
    weights: an input the shape of the forward's array value; the gradient is then of
    sum(weights * forward), and of_text should say so."""
    steps = [gradcheck.points(case.inputs, wrt) for case in cases]
    request = Calls(c for case, moved in zip(cases, steps)
                    for c in [call(tree, case), call(of_tree, case)]
                    + [call(of_tree, case, changed={wrt: p[wrt]}) for p in moved])
    all_close = AllOwnDifferences([case.inputs for case in cases], wrt) if weights is None else None

    def run(detail: bool = False) -> CheckRun:
        raws = yield request
        if not detail and all_close is not None and all_close(raws):
            return Verdict(passed=True)
        mine, start = [], 0
        for moved in steps:     # per case: the gradient, the forward there, then at each point
            mine.append(raws[start:start + 2 + len(moved)])
            start += 2 + len(moved)
        forwards = [m[1:] for m in mine]
        sums: list[list[float]] = [[] for _ in cases]   # weighted: each case's sums, once judged

        def judge(i: int, explain: bool) -> Miss | None:
            case, results = cases[i], mine[i]
            got, miss = numeric(results[0], np.shape(case.inputs[wrt]))
            if miss:
                return Miss(kind=miss.kind, brief=miss.brief, message=f"{text}: {miss.message}")
            scale = 0.0
            if weights is None:
                values, broken = _scalars(results[2:], of_text, " ")
            else:
                values, scale, broken = _weighted(results[1:], np.asarray(case.inputs[weights], dtype=np.float64),
                                                  of_text)
                sums[i], values = values or [], values and values[1:]
            if broken:
                broken.message = broken.brief = f"{broken.message}, so it cannot check your gradient"
                return broken
            estimate, rounding = gradcheck.differences(case.inputs, wrt, values, scale)
            rtol, atol = _fd_tolerance(rounding)
            result = cmp.compare(estimate, got, rtol, atol, expected_label=f"differences of your {of_text}")
            if result.passed:
                return None
            shown = f"{case_header(case, 'finite-difference')}\n{text}:\n{result.message}"
            advice = forward_precision(forwards, of_text, "your gradient", centred=True,
                                       sums=None if weights is None else [v for v in sums if v])
            if advice:
                return Miss(kind=result.kind, brief="the step is below your forward's precision (float32?)",
                            message=with_hint(advice, shown), hint=advice)
            return Miss(kind=result.kind, brief=result.brief,
                        message=f"your gradient disagrees with your own forward, {of_text}\n{shown}")

        tally = yield from each_case([case_name(c) for c in cases], judge, detail)
        return first_failure(tally)
    return Check(run=run)


def _point(raw: dict, shape: tuple) -> tuple[np.ndarray | None, Miss | None]:
    """The student's output as a point to perturb: refused, naming both shapes, unless it has the
    expected shape (up to size-1 dimensions), since each of its entries costs two calls and a
    copy of it per call."""
    got, miss = numeric(raw, shape)
    if miss:
        return None, miss
    fitted, _, error = cmp.fit_shape(tuple(shape), got)
    return (None, Miss(kind="wrong_shape", brief=error, message=error)) if fitted is None else (fitted, None)


def stationary_point(*, tree: list, text: str, of_tree: list, of_text: str, wrt: str,
                     cases: list[Case], shapes: list[tuple]) -> Check:
    """The student's output is where the gradient of the student's own `of` vanishes, measured
    against that gradient's size at the origin. shapes: the expected output shape per case."""
    request = calls_for(tree, cases)

    def run(detail: bool = False) -> CheckRun:
        raws = yield request

        def judge(i: int, explain: bool):
            case = cases[i]
            got, miss = _point(raws[i], shapes[i])
            if miss:
                return Miss(kind=miss.kind, brief=miss.brief, message=f"{text}: {miss.message}")
            at_point = {**case.inputs, wrt: got.reshape(-1)}
            at_origin = {**case.inputs, wrt: np.zeros(got.size)}
            points = gradcheck.points(at_point, wrt) + gradcheck.points(at_origin, wrt)
            replies = yield [call(of_tree, case, changed={wrt: p[wrt]}) for p in points]
            numbers, broken = _scalars(replies, of_text, ": ")
            if broken:
                return broken
            half = len(numbers) // 2
            grad, rounding = gradcheck.differences(at_point, wrt, numbers[:half])
            grad0, _ = gradcheck.differences(at_origin, wrt, numbers[half:])
            scale = float(np.max(np.abs(grad0)))
            limit = STATIONARY_RTOL * scale + rounding + gradcheck.ATOL
            if np.all(np.abs(grad) <= limit):
                return None
            sizes = f"largest entry {float(np.max(np.abs(grad))):.3g}; at {wrt} = 0 it is {scale:.3g}"
            advice = forward_precision([replies], of_text, f"whether {text} is a stationary point")
            kind = "wrong_value" if np.all(np.isfinite(grad)) else "not_a_number"
            return Miss(kind=kind, brief=f"the gradient there is not zero ({sizes})", hint=advice,
                        message=with_hint(advice, (
                            f"{case_header(case, 'stationarity')}\nat {wrt} = {text}, the gradient of your "
                            f"{of_text} is not zero:\n{cmp.show(grad, '  ')}\n({sizes})")))

        tally = yield from each_case([case_name(c) for c in cases], judge, detail)
        return first_failure(tally)
    return Check(run=run)
