"""Checks against expected values: the student's value on each case against the right answers
(or their differences within a group, up to an additive constant), and a gradient against
finite differences of the reference's forward. Where the expected values come from (the
reference, or a student kit's stored vectors) is the plan's business (grader.core.plan).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from grader.judge import compare as cmp
from grader.judge import gradcheck, precision
from grader.judge.at_once import AllClose, AllDifferences
from grader.judge.hints import Hints, compare_differences, groups_of
from grader.judge.values import NotNumeric, as_array, missing
from grader.judge.verdict import (Check, CheckRun, Miss, Verdict, calls_for, case_header, case_name,
                                  each_case, with_hint)

if TYPE_CHECKING:
    from grader.core.cases import Case


def numeric(raw: dict, like: tuple) -> tuple[np.ndarray | None, Miss | None]:
    """(array, None), or (None, why not). `like`: the expected shape, which bounds the work: an
    array far bigger is refused, naming both shapes, before it is made (values.oversized)."""
    try:
        return as_array(raw, like), None
    except NotNumeric as err:
        return None, Miss(kind=err.kind, brief=str(err), message=str(err))


def _missing(raws: list[dict]) -> Verdict | None:
    """A function, key or index that is not there at all: said once, without inputs."""
    text = missing(raws[0]) if raws else None
    return None if text is None else Verdict(passed=False, message=text, kind="missing")


def _like(answers: list[np.ndarray]) -> tuple:
    """The shape of the largest right answer: what bounds the work on a student's value."""
    return max(answers, key=lambda a: a.size).shape


def _closest(expected: list[np.ndarray], got: np.ndarray, tol) -> cmp.Comparison:
    """Passes if got matches any equally right answer; otherwise the first one's message."""
    if any(a.shape == got.shape and cmp.matches(a, got, tol.rtol, tol.atol) for a in expected):
        return cmp.Comparison(True)    # cheap, and the usual case: no message is made
    first = None
    for answer in expected:
        result = cmp.compare(answer, got, tol.rtol, tol.atol)
        if result.passed:
            return result
        first = first or result
    return first


def _explain(hints, raws, gots, failed_at, explained, rtol) -> tuple[str | None, str | None]:
    """(hint, note) for a failing check: a common mistake the values match, else what precision
    says (float32 values, or values right to float32's precision only). Float32 values are
    matched against the mistakes to float32's precision, and the note says they are float32."""
    found = precision.finding(raws, gots, explained)
    hint = hints(gots, failed_at) if hints else None
    if hint is None and found and found.dtype and hints and not found.explained:
        hint = hints(gots, failed_at, float32=True)
    if hint:
        return hint, precision.note(found) if found and found.dtype else None
    return precision.tell(found, rtol)


def values_match(*, tree: list, text: str, cases: list[Case], expected: list[list[np.ndarray]],
                 tol, about: str, hints: Hints | None = None) -> Check:
    """The student's value on each case against the right answers (`expected`, per case every
    equally right one); on a failure, the first hint whose mistake the values match on every
    case. about: words for a case's family in messages."""
    all_close = AllClose(expected, tol)
    request = calls_for(tree, cases)

    def run(detail: bool = False) -> CheckRun:
        raws = yield request
        if not detail and (judged := all_close.each(raws)) is not None:
            passed, reshaped = judged
            if passed.all():
                return Verdict(passed=True, notes=all_close.notes(raws, reshaped, len(cases) - 1))
            failed = np.flatnonzero(~passed).tolist()
            gots = [np.array(raw["v"]) if raw["t"] == "num" else raw["a"].reshape(raw["shape"]) for raw in raws]
            result = _closest(expected[failed[0]], gots[failed[0]], tol)   # as values.as_array makes them
            first = Miss(kind=result.kind, brief=result.brief, message=result.message)
            return failure(raws, first, failed, gots, all_close.notes(raws, reshaped, failed[0]))
        if (gone := _missing(raws)):
            return gone
        gots, notes = [None] * len(cases), []

        def judge(i: int, explain: bool) -> Miss | None:
            answers = expected[i]
            gots[i], miss = numeric(raws[i], _like(answers))
            if miss:
                return miss
            if not explain:   # a failure is reported already: only count now
                matched = any(cmp.matches(a, gots[i], tol.rtol, tol.atol) for a in answers)
                return None if matched else Miss(kind="wrong_value", brief="")
            result = _closest(answers, gots[i], tol)
            if result.note and not notes:   # one example says it; k varies the rest
                notes.append(result.note)
            return None if result.passed else Miss(kind=result.kind, brief=result.brief,
                                                   message=result.message)

        tally = yield from each_case([case_name(c) for c in cases], judge, detail, every=True)
        if not tally.failed:
            return Verdict(passed=True, notes=notes, cases=tally.cases)
        return failure(raws, tally.first, tally.failed, gots, notes, tally.cases)

    def failure(raws: list, first: Miss, failed: list[int], gots: list, notes: list[str], outcomes=None) -> Verdict:
        explained = all(gots[i] is not None and any(precision.close32(a, gots[i]) for a in expected[i])
                        for i in failed)
        hint, note = _explain(hints, raws, gots, failed, explained, tol.rtol)
        message = (f"{len(failed)} of {len(cases)} cases failed. First failure:\n"
                   f"{case_header(cases[failed[0]], about)}\n{text}:\n{first.message}")
        return Verdict(passed=False, message=with_hint(hint, message), kind=first.kind,
                       notes=notes + ([note] if note else []), hint=hint, cases=outcomes)
    return Check(run=run, hints=hints)


def differences_match(*, tree: list, text: str, cases: list[Case], expected: list[list[np.ndarray]],
                      tol, about: str, hints: Hints | None = None) -> Check:
    """Up to an additive constant: within each group of cases, the value minus the group's first
    value, against the same differences of the first right answer."""
    groups = groups_of(cases)
    request = calls_for(tree, cases)
    all_close = AllDifferences(groups, expected, tol)

    def run(detail: bool = False) -> CheckRun:
        raws = yield request
        if not detail and all_close(raws):
            return Verdict(passed=True)
        if (gone := _missing(raws)):
            return gone
        gots = [None] * len(cases)

        def judge(g: int, explain: bool) -> Miss | None:
            members = groups[g]
            misses = []
            for i in members:
                gots[i], miss = numeric(raws[i], ())
                misses.append(miss)
            for i, miss in zip(members, misses):   # the first member that is not a number
                if miss:
                    return miss
                if gots[i].size != 1:
                    problem = "returned an array with more than one number, not a scalar"
                    return Miss(kind="wrong_shape", brief=problem, message=problem)
            mine = np.array([gots[i].item() for i in members])
            ref = np.array([expected[i][0].item() for i in members])
            result = compare_differences(ref, mine, tol)
            if result.passed:
                return None
            free = _free_input([cases[i] for i in members])
            return Miss(kind=result.kind, brief=result.brief, message=(
                f"differences f({free}_j) - f({free}_0) for j = 1..{len(members) - 1}\n"
                f"{cmp.show(ref[1:] - ref[0], 'expected: ')}\n"
                f"{cmp.show(mine[1:] - mine[0], 'got:      ')}\n{result.message}"))

        names = [case_name(cases[members[0]]) for members in groups]
        tally = yield from each_case(names, judge, detail, every=True)
        if not tally.failed:
            return Verdict(passed=True, cases=tally.cases)
        failed_at = [i for g in tally.failed for i in groups[g]]
        explained = all(_close32_group(groups[g], gots, expected) for g in tally.failed)
        hint, note = _explain(hints, raws, gots, failed_at, explained, tol.rtol)
        members = groups[tally.failed[0]]
        shown = "\n".join(case_header(cases[i], about) for i in members[:2])
        message = (f"{len(tally.failed)} of {len(groups)} groups failed. First failure:\n{shown}\n"
                   f"(and {len(members) - 2} more {_free_input([cases[i] for i in members])} in this group)\n"
                   f"{text}:\n{tally.first.message}")
        return Verdict(passed=False, message=with_hint(hint, message), kind=tally.first.kind,
                       notes=[note] if note else [], hint=hint, cases=tally.cases)
    return Check(run=run, hints=hints)


def _free_input(group: list[Case]) -> str:
    """The input a group's cases differ in (they share all others), to name its points by."""
    first = group[0].inputs
    free = [name for name in first
            if any(not np.array_equal(np.asarray(first[name]), np.asarray(c.inputs[name])) for c in group[1:])]
    return free[0] if len(free) == 1 else "case"


def _close32_group(members: list[int], gots: list, expected: list) -> bool:
    """A failed group's values agree with the right differences to float32's precision."""
    if any(gots[i] is None or gots[i].size != 1 for i in members):
        return False
    return precision.close32_differences(np.array([expected[i][0].item() for i in members]),
                                         np.array([gots[i].item() for i in members]))


def _fd_tolerance(rounding: np.ndarray) -> tuple[float, float]:
    return gradcheck.RTOL, gradcheck.ATOL + float(np.max(rounding, initial=0.0))


def gradient_vs_reference(*, tree: list, text: str, cases: list[Case],
                          differences: list[tuple[np.ndarray, np.ndarray]],
                          hints: Hints | None = None) -> Check:
    """The student's gradient against central differences of the reference forward
    (`differences`: per case, the estimate and its rounding error, gradcheck.numeric_gradient).
    On a failure, the first hint whose mistake the values match on every case, as for a value
    check (`hints` holds the reference's own gradients on these cases as the right answers)."""
    request = calls_for(tree, cases)
    tolerances = [_fd_tolerance(rounding) for _, rounding in differences]
    all_close = AllClose([[estimate] for estimate, _ in differences], rtol=gradcheck.RTOL,
                         atols=[atol for _, atol in tolerances])

    def run(detail: bool = False) -> CheckRun:
        raws = yield request
        if not detail and all_close(raws) is not None:
            return Verdict(passed=True)
        if (gone := _missing(raws)):
            return gone
        gots = [None] * len(cases)

        def judge(i: int, explain: bool) -> Miss | None:
            estimate, rounding = differences[i]
            gots[i], miss = numeric(raws[i], estimate.shape)
            if miss:
                return miss
            rtol, atol = tolerances[i]
            if not explain:   # a failure is reported already: only count now
                return None if cmp.matches(estimate, gots[i], rtol, atol) else Miss(kind="wrong_value", brief="")
            result = cmp.compare(estimate, gots[i], rtol, atol, expected_label="finite differences")
            return None if result.passed else Miss(kind=result.kind, brief=result.brief,
                                                   message=result.message)

        tally = yield from each_case([case_name(c) for c in cases], judge, detail, every=True)
        if not tally.failed:
            return Verdict(passed=True, cases=tally.cases)
        explained = all(gots[i] is not None and precision.close32(differences[i][0], gots[i])
                        for i in tally.failed)
        hint, note = _explain(hints, raws, gots, tally.failed, explained, gradcheck.RTOL)
        where = cases[tally.failed[0]]
        message = f"{case_header(where, 'finite-difference')}\n{text}:\n{tally.first.message}"
        return Verdict(passed=False, message=with_hint(hint, message), kind=tally.first.kind,
                       notes=[note] if note else [], hint=hint, cases=tally.cases)
    return Check(run=run, hints=hints)
