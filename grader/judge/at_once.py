"""All of a check's cases judged in one NumPy comparison, when every result is a well-formed
number or array of the shape expected (up to size-1 dimensions): the common case, a check that
passes. Each returns None when it cannot settle the check, and the case-by-case path of the check
(grader.judge.checks, grader.judge.own) then decides and explains; where it settles it, the
verdict (and any note) is the one the case-by-case path would reach, by the same floating-point
operations on the same numbers.
"""
from __future__ import annotations

import numpy as np

from grader.judge import compare as cmp
from grader.judge import gradcheck
from grader.judge.values import flat_numbers


_UNMADE = object()
_LISTS: dict[tuple, list] = {}


def _shared(shape: tuple) -> list[int]:
    """A shape as the list a reply's shape is compared with: one list per shape, shared by every
    check (read, never changed), so a plan holds a few lists for the collector, not one a case."""
    found = _LISTS.get(shape)
    if found is None:
        found = list(shape)
        if len(_LISTS) < 4096:   # problems have few shapes; bounded all the same
            _LISTS[shape] = found
    return found


def _squeezed(shape: tuple) -> list[int]:
    return _shared(tuple(n for n in shape if n != 1))


class AllClose:
    """Every case at once: the raw results, if each is a well-formed number or array of its first
    right answer's shape (or one differing from it only by size-1 dimensions, which the contract
    accepts), against the right answers in one comparison, each element within its limit (atol +
    rtol * |answer|, as compare.matches). A case with several equally right answers (at a kink)
    passes on any one of them, all of a case's numbers against the same one. Called with the
    results: the notes of a check that passed on every case (what case by case would note: the
    first accepted shape), or None: the case-by-case path must decide (and explain)."""

    def __init__(self, expected: list[list[np.ndarray]], tol=None, *, atols: list[float] | None = None,
                 rtol: float | None = None):
        """atols, rtol: per-case absolute tolerances and one relative one, in place of tol's."""
        rtol = tol.rtol if rtol is None else rtol
        atols = [tol.atol] * len(expected) if atols is None else atols
        self.firsts = [answers[0] for answers in expected]
        self.shapes = [_shared(a.shape) for a in self.firsts]
        self.squeezed = [_squeezed(a.shape) for a in self.firsts]
        self.sizes = [a.size for a in self.firsts]
        self.usable = all(a.size for a in self.firsts)   # an empty answer: case by case decides
        starts = np.cumsum([0] + self.sizes[:-1]).astype(np.intp)
        self.starts = starts
        self.reference = np.concatenate([a.ravel() for a in self.firsts]) if self.firsts else np.zeros(0)
        self.limit = np.repeat(np.asarray(atols, dtype=np.float64), self.sizes) + rtol * np.abs(self.reference) \
            if self.firsts else np.zeros(0)
        # the other right answers are looked at only when a case misses its first: a plan makes
        # them only then (grader.core.answers.Answers), and most checks pass on the first
        self._expected, self._atols, self._rtol = expected, atols, rtol
        self._alternates = _UNMADE

    def alternates(self) -> list | None:
        """The other right answers, rank by rank: which cases have one, where their numbers are
        in the flat results, the numbers, their limits, where each case starts among them. None
        when a case's answers differ in shape: case by case decides."""
        if self._alternates is _UNMADE:
            self._alternates = self._other_answers()
        return self._alternates

    def _other_answers(self) -> list | None:
        expected, atols, rtol, starts = self._expected, self._atols, self._rtol, self.starts
        if not all(b.shape == a.shape for a, answers in zip(self.firsts, expected) for b in answers):
            return None
        found = []
        for rank in range(1, max((len(answers) for answers in expected), default=1)):
            cases = [i for i, answers in enumerate(expected) if len(answers) > rank]
            values = np.concatenate([expected[i][rank].ravel() for i in cases])
            positions = np.concatenate([np.arange(starts[i], starts[i] + self.sizes[i]) for i in cases])
            limit = np.repeat(np.asarray([atols[i] for i in cases], dtype=np.float64),
                              [self.sizes[i] for i in cases]) + rtol * np.abs(values)
            within = np.cumsum([0] + [self.sizes[i] for i in cases[:-1]]).astype(np.intp)
            found.append((np.array(cases, dtype=np.intp), positions, values, limit, within))
        return found

    def __call__(self, raws: list) -> list[str] | None:
        found = self.each(raws)
        if found is None or not found[0].all():
            return None
        return self.notes(raws, found[1], len(raws) - 1)

    def each(self, raws: list) -> tuple[np.ndarray, int | None] | None:
        """(per case whether it passed, by compare.matches' rules, the first result whose shape
        differs from its answer's or None), if every result is well-formed; else None."""
        if not self.usable or len(raws) != len(self.sizes):
            return None
        flat = flat_numbers(raws, self.shapes, self.sizes, self.squeezed)
        if flat is None:
            return None
        data, reshaped = flat
        close = np.abs(data - self.reference) <= self.limit
        if close.all():
            return np.ones(len(self.sizes), dtype=bool), reshaped
        odd = ~np.isfinite(data)   # NaN matches NaN, inf the same inf (compare.matches)
        if odd.any():
            close |= _same(data, self.reference, odd)
        passed = np.logical_and.reduceat(close, self.starts)
        alternates = self.alternates()
        if alternates is None:
            return None
        for cases, positions, values, limit, within in alternates:
            if passed[cases].all():
                break
            got = data[positions]
            close = np.abs(got - values) <= limit
            if odd.any():
                close |= _same(got, values, odd[positions])
            passed[cases] |= np.logical_and.reduceat(close, within)
        return passed, reshaped

    def notes(self, raws: list, reshaped: int | None, last: int) -> list[str]:
        """What case by case notes when it explains cases 0..last (well-formed results, each()
        found the first of another shape): the first accepted shape among them."""
        if reshaped is None or reshaped > last:
            return []
        for i in range(reshaped, last + 1):
            got = raws[i]
            shape = tuple(got["shape"]) if got["t"] == "arr" else ()
            if shape != self.firsts[i].shape:
                return [cmp.shape_note(self.firsts[i].shape, shape)]
        return []


def _same(got: np.ndarray, answer: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """Where got is NaN and so is the answer, or inf and the same inf: compare.matches' other
    rule. odd: where got is not finite."""
    return odd & ((np.isnan(got) & np.isnan(answer)) | (got == answer))


def _scalars(raws: list) -> np.ndarray | None:
    """The results as numbers, if each is a well-formed number or an array of one number."""
    count = len(raws)
    flat = flat_numbers(raws, [[]] * count, [1] * count, [[]] * count)
    return None if flat is None else flat[0]


class AllDifferences:
    """Up to an additive constant (checks.differences_match): every case one number, and in each
    group its differences to the group's first value within tolerance of the right ones, on the
    scale of the group's right values (hints.compare_differences). True: every group passed."""

    def __init__(self, groups: list[list[int]], expected: list[list[np.ndarray]], tol):
        self.count = len(expected)
        firsts, others, right, limits = [], [], [], []
        for members in groups:
            values = np.array([expected[i][0].item() for i in members])
            scale = np.max(np.abs(values)) + np.max(np.abs(values - values[0]))
            firsts += [members[0]] * (len(members) - 1)
            others += members[1:]
            right.append(values[1:] - values[0])
            limits.append(tol.atol + tol.rtol * np.broadcast_to(scale, values[1:].shape))
        self.firsts, self.others = np.array(firsts, dtype=np.intp), np.array(others, dtype=np.intp)
        self.right = np.concatenate(right) if right else np.zeros(0)
        self.limit = np.concatenate(limits) if limits else np.zeros(0)

    def __call__(self, raws: list) -> bool:
        if len(raws) != self.count or (mine := _scalars(raws)) is None:
            return False
        return bool(np.all(np.abs((mine[self.others] - mine[self.firsts]) - self.right) <= self.limit))


class AllOwnDifferences:
    """A gradient against central differences of the student's own forward (own.gradient_vs_own,
    a scalar forward): per case the results are the gradient, the forward at the case, then at
    each point (gradcheck.points). Every gradient of its input's shape (up to size-1 dimensions),
    every forward at the points one number, every entry within the tolerance of its case's
    differences (checks._fd_tolerance). True: every case passed."""

    def __init__(self, inputs: list[dict], wrt: str):
        self.steps = [np.array([h for _, h in gradcheck.steps(values[wrt])]) for values in inputs]
        shapes = [np.shape(values[wrt]) for values in inputs]
        self.shapes = [_shared(shape) for shape in shapes]
        self.squeezed = [_squeezed(shape) for shape in shapes]
        self.sizes = [int(np.prod(shape)) for shape in shapes]
        self.hs = np.concatenate(self.steps) if self.steps else np.zeros(0)
        self.grads, self.points, start = [], [], 0
        for size in self.sizes:     # where each case's gradient and points are among the results
            self.grads.append(start)
            self.points += range(start + 2, start + 2 + 2 * size)
            start += 2 + 2 * size
        self.count = start
        self.starts = np.cumsum([0] + self.sizes[:-1]).astype(np.intp)
        self.usable = all(self.sizes)

    def __call__(self, raws: list) -> bool:
        if not self.usable or len(raws) != self.count:
            return False
        grads = flat_numbers([raws[i] for i in self.grads], self.shapes, self.sizes, self.squeezed)
        values = _scalars([raws[i] for i in self.points])
        if grads is None or values is None:
            return False
        f, hs = values.reshape(-1, 2), self.hs
        with np.errstate(invalid="ignore", over="ignore"):   # as gradcheck.differences
            estimate = (f[:, 0] - f[:, 1]) / (2 * hs)
            rounding = 4 * gradcheck.EPS_MACHINE * np.maximum(np.max(np.abs(f), axis=1), 0.0) / hs
            atol = gradcheck.ATOL + np.maximum.reduceat(rounding, self.starts)
            limit = np.repeat(atol, self.sizes) + gradcheck.RTOL * np.abs(estimate)
            return bool(np.all(np.abs(grads[0] - estimate) <= limit))
