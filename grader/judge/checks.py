"""Checks derived from a spec. Each is a generator: it yields the calls it needs the student's
code to run, receives their raw results, and returns a Verdict. Checks never touch processes;
the engine carries their requests across the boundary (so judging stays in this process).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Generator

import numpy as np

from grader.judge import compare as cmp
from grader.core import expr
from grader.judge import gradcheck, precision
from grader.core.cases import Case
from grader.child import evaluate
from grader.judge.hints import Hints, compare_differences, groups_of
from grader.judge.values import NotNumeric, as_array, failure_text, leaves
from grader.judge.wire import NUMBER_TYPES, encode_inputs

Calls = list[dict]
CheckRun = Generator[Calls, list[dict], "Verdict"]


Outcome = tuple[str, bool, str]   # (which case, passed, why not in one line)


@dataclass
class Verdict:
    name: str
    passed: bool
    message: str = ""
    points: float = 1.0
    hidden: bool = True
    error: bool = False            # failed because the code raised, was missing or died
    notes: list[str] = field(default_factory=list)
    hint: str | None = None        # the common mistake the values match, if one does
    cases: list[Outcome] | None = None   # every case's outcome, only when asked for


@dataclass
class Check:
    name: str
    points: float
    hidden: bool
    run: Callable[..., CheckRun]   # run(detail=False): detail collects every case's outcome
    hints: Hints | None = None     # common mistakes its values are matched against on a failure


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
    return cmp.distinct(reference_eval(tree, namespace, inputs) for namespace in references)


def show_inputs(case: Case) -> str:
    lines = [cmp.show(np.asarray(value), f"  {name} = ") for name, value in case.inputs.items()]
    if case.context:
        lines.append(f"  {case.context}")
    return "\n".join(lines)


def case_header(case: Case, about: str) -> str:
    label = f" ({case.label})" if case.label else ""
    return f"{about} case #{case.index}{label}, inputs:\n{show_inputs(case)}"


def case_name(case: Case) -> str:
    return f"{case.family} #{case.index}" + (f" ({case.label})" if case.label else "")


def _brief(text: str) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= 160 else line[:157] + "..."


def _with_hint(hint: str | None, message: str) -> str:
    return f"hint: {hint}\n{message}" if hint else message


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


class Outcomes:
    """Each case's outcome, collected only when asked for (grader check --verbose)."""

    def __init__(self, detail: bool):
        self.found: list[Outcome] | None = [] if detail else None

    def add(self, case: Case, passed: bool, why: str | None = "") -> None:
        if self.found is not None:
            self.found.append((case_name(case), passed, "" if passed else _brief(why or "")))

    def verdict(self, verdict: Verdict) -> Verdict:
        verdict.cases = self.found
        return verdict


def _numeric(raw: dict, like: tuple) -> tuple[np.ndarray | None, str, bool]:
    """(array, problem, is_error). `like`: the expected shape, which bounds the work: an array
    far bigger is refused, naming both shapes, before it is made (values.oversized)."""
    try:
        return as_array(raw, like), "", False
    except NotNumeric as err:
        return None, str(err), failure_text(raw) is not None


def _missing(raws: list[dict]) -> str:
    """A function, key or index that is not there at all: said once, without inputs."""
    first = raws[0] if raws else {}
    if isinstance(first, dict) and first.get("t") == "missing":
        return failure_text(first)
    return ""


def _like(answers: list[np.ndarray]) -> tuple:
    """The shape of the largest right answer: what bounds the work on a student's value."""
    return max(answers, key=lambda a: a.size).shape


def _closest(expected: list[np.ndarray], got: np.ndarray, tol, scale=None) -> cmp.Comparison:
    """Passes if got matches any equally right answer; otherwise the first one's message."""
    if scale is None and any(a.shape == got.shape and cmp.matches(a, got, tol.rtol, tol.atol) for a in expected):
        return cmp.Comparison(True)    # cheap, and the usual case: no message is made
    first = None
    for answer in expected:
        result = cmp.compare(answer, got, tol.rtol, tol.atol, scale)
        if result.passed:
            return result
        first = first or result
    return first


class AllClose:
    """Every case at once: the raw results, if each is a well-formed number or array of exactly
    the first right answer's shape, against those answers in one comparison. True means every
    case passed; False only that the case-by-case path must decide (and explain)."""

    def __init__(self, expected: list[list[np.ndarray]], tol):
        firsts = [answers[0] for answers in expected]
        self.shapes = [list(a.shape) for a in firsts]
        self.sizes = [a.size for a in firsts]
        reference = np.concatenate([a.ravel() for a in firsts]) if firsts else np.zeros(0)
        self.reference, self.limit = reference, tol.atol + tol.rtol * np.abs(reference)

    def __call__(self, raws: list) -> bool:
        data: list = []
        for raw, shape, size in zip(raws, self.shapes, self.sizes):
            if type(raw) is not dict:
                return False
            kind = raw.get("t")
            if kind == "num" and not shape:
                data.append(raw.get("v"))
            elif kind == "arr" and raw.get("shape") == shape and type(raw.get("d")) is list \
                    and len(raw["d"]) == size:
                data.extend(raw["d"])
            else:
                return False
        if len(data) != self.reference.size or not set(map(type, data)) <= NUMBER_TYPES:
            return False
        return bool(np.all(np.abs(np.array(data, dtype=np.float64) - self.reference) <= self.limit))


def values_match(name, tree, cases, expected, tol, about, points, hidden, hints=None) -> Check:
    """The student's value on each case against the reference's; on a failure, the first hint
    whose mistake the values match on every case."""
    text = expr.show(tree)
    all_close = AllClose(expected, tol)

    request = calls_for(tree, cases)

    def run(detail: bool = False) -> CheckRun:
        raws = yield request
        if not detail and all_close(raws):
            return Verdict(name, True, points=points, hidden=hidden)
        if (missing := _missing(raws)):
            return Verdict(name, False, missing, points, hidden, True)
        notes, failed_at, first, error = [], [], "", False
        gots, outcomes = [], ([] if detail else None)
        for i, (case, raw, answers) in enumerate(zip(cases, raws, expected)):
            got, problem, is_error = _numeric(raw, _like(answers))
            gots.append(got)
            brief = problem
            if got is not None and first and not detail:   # a failure is reported already: only count now
                if not any(cmp.matches(a, got, tol.rtol, tol.atol) for a in answers):
                    failed_at.append(i)
                continue
            if got is not None:
                result = _closest(answers, got, tol)
                problem, brief = result.message, result.brief
                if result.note and not notes:   # one example says it; k varies the rest
                    notes.append(result.note)
                if result.passed:
                    if detail:
                        outcomes.append((case_name(case), True, ""))
                    continue
            failed_at.append(i)
            if detail:
                outcomes.append((case_name(case), False, _brief(brief)))
            if not first:
                first, error = f"{case_header(case, about)}\n{text}:\n{problem}", is_error
        if not failed_at:
            return Verdict(name, True, notes=notes, points=points, hidden=hidden, cases=outcomes)
        explained = all(gots[i] is not None and any(precision.close32(a, gots[i]) for a in expected[i])
                        for i in failed_at)
        hint, note = _explain(hints, raws, gots, failed_at, explained, tol.rtol)
        head = f"{len(failed_at)} of {len(cases)} cases failed. First failure:\n"
        return Verdict(name, False, _with_hint(hint, head + first), points, hidden, error,
                       notes + ([note] if note else []), hint, outcomes)
    return Check(name, points, hidden, run, hints)


def differences_match(name, tree, cases, expected, tol, about, points, hidden, hints=None) -> Check:
    """Up to an additive constant: within each group, value minus the group's first value."""
    text = expr.show(tree)
    groups = groups_of(cases)

    request = calls_for(tree, cases)

    def run(detail: bool = False) -> CheckRun:
        raws = yield request
        if (missing := _missing(raws)):
            return Verdict(name, False, missing, points, hidden, True)
        failed_at, first, error, explained = [], "", False, True
        gots, outcomes = [None] * len(cases), ([] if detail else None)
        for members in groups:
            got = [_numeric(raws[i], ()) for i in members]
            for i, g in zip(members, got):
                gots[i] = g[0]
            bad = next((g for g in got if g[0] is None or g[0].size != 1), None)
            if bad is None:
                mine = np.array([g[0].item() for g in got])
                ref = np.array([expected[i][0].item() for i in members])
                result = compare_differences(ref, mine, tol)
                if result.passed:
                    if detail:
                        outcomes.append((case_name(cases[members[0]]), True, ""))
                    continue
                explained = explained and precision.close32_differences(ref, mine)
                problem = (f"differences f(w_j) - f(w_0) for j = 1..{len(members) - 1}\n"
                           f"{cmp.show(ref[1:] - ref[0], 'expected: ')}\n"
                           f"{cmp.show(mine[1:] - mine[0], 'got:      ')}\n{result.message}")
                brief, is_error = result.brief, False
            else:
                problem = bad[1] or "returned an array with more than one number, not a scalar"
                brief, is_error, explained = problem, bad[2], False
            failed_at += members
            if detail:
                outcomes.append((case_name(cases[members[0]]), False, _brief(brief)))
            if not first:
                shown = "\n".join(case_header(cases[i], about) for i in members[:2])
                first, error = f"{shown}\n(and {len(members) - 2} more w in this group)\n{text}:\n{problem}", is_error
        if not failed_at:
            return Verdict(name, True, points=points, hidden=hidden, cases=outcomes)
        hint, note = _explain(hints, raws, gots, failed_at, explained, tol.rtol)
        failures = sum(1 for members in groups if members[0] in failed_at)
        message = f"{failures} of {len(groups)} groups failed. First failure:\n{first}"
        return Verdict(name, False, _with_hint(hint, message), points, hidden, error,
                       [note] if note else [], hint, outcomes)
    return Check(name, points, hidden, run, hints)


def _fd_tolerance(rounding: np.ndarray) -> tuple[float, float]:
    return gradcheck.RTOL, gradcheck.ATOL + float(np.max(rounding, initial=0.0))


def gradient_vs_reference(name, tree, of_tree, wrt, cases, references, points, hidden,
                          hints=None) -> Check:
    """The student's gradient against central differences of the reference forward. On a
    failure, the first hint whose mistake the values match on every case, as for a value check
    (`hints` holds the reference's own gradients on these cases as the right answers)."""
    text = expr.show(tree)
    f = lambda inputs: float(reference_eval(of_tree, references[0], inputs))
    numeric = [gradcheck.numeric_gradient(f, case.inputs, wrt) for case in cases]   # made once

    request = calls_for(tree, cases)

    def run(detail: bool = False) -> CheckRun:
        raws = yield request
        if (missing := _missing(raws)):
            return Verdict(name, False, missing, points, hidden, True)
        first, outcomes, gots, failed_at = None, Outcomes(detail), [], []
        for i, (case, raw, (differences, rounding)) in enumerate(zip(cases, raws, numeric)):
            got, problem, is_error = _numeric(raw, differences.shape)
            gots.append(got)
            rtol, atol = _fd_tolerance(rounding)
            if first and not detail:     # a failure is reported already: only count now
                if got is None or not cmp.matches(differences, got, rtol, atol):
                    failed_at.append(i)
                continue
            brief = problem
            if got is not None:
                result = cmp.compare(differences, got, rtol, atol, expected_label="finite differences")
                if result.passed:
                    outcomes.add(case, True)
                    continue
                problem, brief = result.message, result.brief
            failed_at.append(i)
            outcomes.add(case, False, brief)
            first = first or (f"{case_header(case, 'finite-difference')}\n{text}:\n{problem}", is_error)
        if not first:
            return outcomes.verdict(Verdict(name, True, points=points, hidden=hidden))
        explained = all(gots[i] is not None and precision.close32(numeric[i][0], gots[i]) for i in failed_at)
        hint, note = _explain(hints, raws, gots, failed_at, explained, gradcheck.RTOL)
        return outcomes.verdict(Verdict(name, False, _with_hint(hint, first[0]), points, hidden,
                                        first[1], [note] if note else [], hint))
    return Check(name, points, hidden, run, hints)


def _forward_precision(forwards: list[list], of_text: str, judged: str,
                       centred: bool = False) -> str | None:
    """Why the student's forward cannot judge `judged` at the finite-difference step (it is
    float32, or as coarse), or None. forwards: per case, the raw results of the forward at its
    points; centred: the case itself comes first, so the noise between points can be measured."""
    raws = [raw for values in forwards for raw in values]
    if (dtype := precision.low_dtype(raws)):
        why = f"returns {dtype} values (about {precision.DIGITS[dtype]} significant digits)"
        return precision.forward_advice(of_text, why, gradcheck.STEP, judged, dtype)
    numbers = [[_numeric(raw, ())[0] for raw in values] for values in forwards]
    if any(v is None or v.size != 1 for values in numbers for v in values):
        return None
    if precision.float32_exact([v for values in numbers for v in values]):
        why = "returns float32 numbers made float64 again (about 7 significant digits)"
    elif centred and (noise := max(gradcheck.noise([v.item() for v in values]) for values in numbers)) \
            > precision.NOISE:
        why = (f"is computed to float32's precision: its values jump by {noise:.2g} of their "
               f"size between points a step apart, where float64 stays under {precision.NOISE:g}")
    else:
        return None
    return precision.forward_advice(of_text, why, gradcheck.STEP, judged)


def gradient_vs_own(name, tree, of_tree, wrt, cases, points, hidden) -> Check:
    """The student's gradient against central differences of the student's own forward (also
    run at the case itself, so a forward too coarse for the step can be told: float32)."""
    text, of_text = expr.show(tree), expr.show(of_tree)
    steps = [gradcheck.points(case.inputs, wrt) for case in cases]
    calls = Calls(c for case, moved in zip(cases, steps)
                  for c in [call(tree, case), call(of_tree, case)]
                  + [call(of_tree, case, changed={wrt: p[wrt]}) for p in moved])

    def judge(case, mine, forwards) -> tuple[Verdict | None, str]:
        got, problem, is_error = _numeric(mine[0], np.shape(case.inputs[wrt]))
        if got is None:
            return Verdict(name, False, f"{text}: {problem}", points, hidden, is_error), problem
        values = [_numeric(r, ()) for r in mine[2:]]
        broken = next((v for v in values if v[0] is None or v[0].size != 1), None)
        if broken:
            why = f"your {of_text} {broken[1] or 'did not return a scalar'}, so it cannot check your gradient"
            return Verdict(name, False, why, points, hidden, broken[2]), why
        numeric, rounding = gradcheck.differences(case.inputs, wrt, [v[0].item() for v in values])
        rtol, atol = _fd_tolerance(rounding)
        result = cmp.compare(numeric, got, rtol, atol, expected_label=f"differences of your {of_text}")
        if result.passed:
            return None, ""
        shown = f"{case_header(case, 'finite-difference')}\n{text}:\n{result.message}"
        advice = _forward_precision(forwards, of_text, "your gradient", centred=True)
        if advice:
            return Verdict(name, False, _with_hint(advice, shown), points, hidden, hint=advice), \
                "the step is below your forward's precision (float32?)"
        return Verdict(name, False, f"your gradient disagrees with your own forward, "
                       f"{of_text}\n{shown}", points, hidden), result.brief

    def run(detail: bool = False) -> CheckRun:
        raws = yield calls
        mine, start = [], 0
        for moved in steps:
            mine.append(raws[start:start + 2 + len(moved)])
            start += 2 + len(moved)
        forwards = [m[1:] for m in mine]
        failure, outcomes = None, Outcomes(detail)
        for case, results in zip(cases, mine):
            verdict, why = judge(case, results, forwards)
            outcomes.add(case, verdict is None, why)
            failure = failure or verdict
            if failure and not detail:
                break
        return outcomes.verdict(failure or Verdict(name, True, points=points, hidden=hidden))
    return Check(name, points, hidden, run)


STATIONARY_RTOL = 1e-5


def expected_shapes(references: list[dict], tree: list, cases: list[Case]) -> list[tuple]:
    """The reference's output shape on each case (what a student's value must fit)."""
    return [reference_value(references[:1], tree, case.inputs)[0].shape for case in cases]


def _point(raw: dict, shape: tuple) -> tuple[np.ndarray | None, str, bool]:
    """The student's output as a point to perturb: refused, naming both shapes, unless it has the
    expected shape (up to size-1 dimensions), since each of its entries costs two calls and a
    copy of it per call."""
    got, problem, is_error = _numeric(raw, shape)
    if got is None:
        return None, problem, is_error
    fitted, _, error = cmp.fit_shape(tuple(shape), got)
    return (None, error, False) if fitted is None else (fitted, "", False)


def stationary_point(name, tree, of_tree, wrt, cases, points, hidden, shapes: list[tuple]) -> Check:
    """The student's output is where the gradient of the student's own `of` vanishes, measured
    against that gradient's size at the origin. shapes: the expected output shape per case."""
    text, of_text = expr.show(tree), expr.show(of_tree)
    shape_of = {case.key: shape for case, shape in zip(cases, shapes)}

    request = calls_for(tree, cases)

    def run(detail: bool = False) -> CheckRun:
        raws = yield request
        failure, outcomes = None, Outcomes(detail)
        for case, raw in zip(cases, raws):
            verdict, why = yield from judge(case, raw)
            outcomes.add(case, verdict is None, why)
            failure = failure or verdict
            if failure and not detail:
                break
        return outcomes.verdict(failure or Verdict(name, True, points=points, hidden=hidden))

    def judge(case, raw):
        """(a failing Verdict or None, why in one line)"""
        got, problem, is_error = _point(raw, shape_of[case.key])
        if got is None:
            return Verdict(name, False, f"{text}: {problem}", points, hidden, is_error), problem
        at_point = {**case.inputs, wrt: got.reshape(-1)}
        at_origin = {**case.inputs, wrt: np.zeros(got.size)}
        pts = gradcheck.points(at_point, wrt) + gradcheck.points(at_origin, wrt)
        replies = yield [call(of_tree, case, changed={wrt: p[wrt]}) for p in pts]
        values = [_numeric(r, ()) for r in replies]
        broken = next((v for v in values if v[0] is None or v[0].size != 1), None)
        if broken:
            why = f"your {of_text}: {broken[1] or 'did not return a scalar'}"
            return Verdict(name, False, why, points, hidden, broken[2]), why
        numbers = [v[0].item() for v in values]
        half = len(numbers) // 2
        grad, rounding = gradcheck.differences(at_point, wrt, numbers[:half])
        grad0, _ = gradcheck.differences(at_origin, wrt, numbers[half:])
        scale = float(np.max(np.abs(grad0)))
        limit = STATIONARY_RTOL * scale + rounding + gradcheck.ATOL
        if np.all(np.abs(grad) <= limit):
            return None, ""
        sizes = f"largest entry {float(np.max(np.abs(grad))):.3g}; at {wrt} = 0 it is {scale:.3g}"
        advice = _forward_precision([replies], of_text, f"whether {text} is a stationary point")
        return Verdict(name, False, _with_hint(advice, (
            f"{case_header(case, 'stationarity')}\nat {wrt} = {text}, the gradient of your "
            f"{of_text} is not zero:\n{cmp.show(grad, '  ')}\n({sizes})")), points, hidden,
            hint=advice), f"the gradient there is not zero ({sizes})"
    return Check(name, points, hidden, run)


CONTAINS_RTOL, CONTAINS_ATOL = 1e-7, 1e-12


def _found(needle: np.ndarray, haystack: list[tuple[str, tuple, np.ndarray | None]]) -> str | None:
    for path, _, value in haystack:
        if value is not None and value.size == needle.size and np.allclose(value.ravel(), needle.ravel(),
                                                     rtol=CONTAINS_RTOL, atol=CONTAINS_ATOL):
            return path
    return None


def _informative(needles: list[np.ndarray], inputs: dict) -> bool:
    """A needle that is all zeros or equals an input by value would be found in any cache."""
    givens = [np.asarray(v, dtype=np.float64) for v in inputs.values()]
    for needle in needles:
        if not np.any(needle) or _found(needle, [("", g.shape, g) for g in givens]):
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

    def judge(case, needles, raw) -> Verdict | None:
        try:
            haystack = leaves(raw, {n.size for n in needles})   # only those sizes are made
        except NotNumeric as err:
            return Verdict(name, False, f"{text}: {err}", points, hidden, True)
        if not any(_found(n, haystack) for n in needles):
            seen = ", ".join(f"{p} {shape}" for p, shape, _ in haystack[:12]) or "no numbers at all"
            hint = _held32(needles, haystack)
            return Verdict(name, False, _with_hint(hint, (
                f"{case_header(case, 'cache')}\nnothing in {text} equals {needles_label} "
                f"(the numbers found there: {seen})")), points, hidden, hint=hint)
        return None

    def _held32(needles, haystack) -> str | None:
        """The precision hint when a value there is float32 numbers equal to a needle to float32's
        precision only (a near miss alone is no evidence: a y_hat of 0.9995 is near y = 1)."""
        for path, _, value in haystack:
            if value is None:
                continue
            if any(value.size == n.size and precision.close32(n.ravel(), value.ravel()) for n in needles) \
                    and precision.float32_exact([value]):
                return precision.held(path, needles_label, CONTAINS_RTOL)
        return None

    def run(detail: bool = False) -> CheckRun:
        raws = yield request
        failure, outcomes = None, Outcomes(detail)
        for (case, needles), raw in zip(chosen, raws):
            verdict = judge(case, needles, raw)
            outcomes.add(case, verdict is None, verdict and f"nothing in it equals {needles_label}")
            failure = failure or verdict
            if failure and not detail:
                break
        return outcomes.verdict(failure or Verdict(name, True, points=points, hidden=hidden))
    return Check(name, points, hidden, run)
