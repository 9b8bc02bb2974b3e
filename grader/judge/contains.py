"""A value a student keeps (a cache) must hold, somewhere inside and under any name, one of the
values a later step needs. The student's value arrives as its leaves (path, shape, numbers);
only leaves of the sizes looked for are made into arrays.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from grader.judge import precision
from grader.judge.values import NotNumeric, leaves
from grader.judge.verdict import (Check, CheckRun, Miss, calls_for, case_header, case_name, each_case,
                                  first_failure, with_hint)

if TYPE_CHECKING:
    from grader.core.cases import Case

CONTAINS_RTOL, CONTAINS_ATOL = 1e-7, 1e-12


def found(needle: np.ndarray, haystack: list[tuple[str, tuple, np.ndarray | None]]) -> str | None:
    """The path of a value in the haystack equal to the needle, or None."""
    needle = needle.ravel()
    limit, finite = CONTAINS_ATOL + CONTAINS_RTOL * np.abs(needle), np.isfinite(needle)
    with np.errstate(all="ignore"):
        for path, _, value in haystack:
            if value is not None and value.size == needle.size and _allclose(value.ravel(), needle, limit, finite):
                return path
    return None


def _allclose(value: np.ndarray, needle: np.ndarray, limit: np.ndarray, finite: np.ndarray) -> bool:
    """np.allclose(value, needle, CONTAINS_RTOL, CONTAINS_ATOL), by numpy.isclose's own formula,
    without its per-call checks (it is called for every leaf of every cache)."""
    return bool(np.all(((np.abs(value - needle) <= limit) & finite) | (value == needle)))


def informative(needles: list[np.ndarray], inputs: dict) -> bool:
    """A needle that is all zeros or equals an input by value would be found in any cache."""
    givens = [np.asarray(v, dtype=np.float64) for v in inputs.values()]
    for needle in needles:
        if not np.any(needle) or found(needle, [("", g.shape, g) for g in givens]):
            return False
    return True


def _held32(needles, haystack, label: str) -> str | None:
    """The precision hint when a value there is float32 numbers equal to a needle to float32's
    precision only (a near miss alone is no evidence: a y_hat of 0.9995 is near y = 1)."""
    for path, _, value in haystack:
        if value is None:
            continue
        if any(value.size == n.size and precision.close32(n.ravel(), value.ravel()) for n in needles) \
                and precision.float32_exact([value]):
            return precision.held(path or "the value itself", label, CONTAINS_RTOL)
    return None


def holds(*, tree: list, text: str, label: str, chosen: list[tuple[Case, list[np.ndarray]]]) -> Check:
    """On each (case, needles) pair, some value inside the student's equals one of the needles
    (`label` names them in messages)."""
    request = calls_for(tree, [case for case, _ in chosen], mode="leaves")
    missed = f"nothing in it equals {label}"

    def run(detail: bool = False) -> CheckRun:
        raws = yield request

        def judge(i: int, explain: bool) -> Miss | None:
            case, needles = chosen[i]
            try:
                haystack = leaves(raws[i], {n.size for n in needles})   # only those sizes are made
            except NotNumeric as err:
                return Miss(kind=err.kind, brief=missed, message=f"{text}: {err}")
            if any(found(n, haystack) for n in needles):
                return None
            seen = ", ".join(f"{p or 'the value itself'} {shape}" for p, shape, _ in haystack[:12]) \
                or "no numbers at all"
            hint = _held32(needles, haystack, label)
            return Miss(kind="wrong_value", brief=missed, hint=hint, message=with_hint(hint, (
                f"{case_header(case, case.family)}\nnothing in {text} equals {label} "
                f"(the numbers found there: {seen})")))

        tally = yield from each_case([case_name(case) for case, _ in chosen], judge, detail)
        return first_failure(tally)
    return Check(run=run)
