"""Misconception hints: a spec's common mistakes, matched against a student's values when a check
fails, so the feedback can name the mistake ("dJ/dx is missing the skip connection's term").

A mistake is an expression evaluated, like the reference, in the judge only (over reference.py and
the problem's mistakes.py). It fires on a failing check when the student's values match it on
every case it makes a claim on, and it differs from every right answer on at least one case the
student failed; a mistake that equals a right answer on some case (a forgotten mask when every
unit is on) is no evidence there. Its values are made the first time a check of the plan needs
them: once per seed at most, and never for a submission that passes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np

from grader.sandbox.child import evaluate
from grader.judge import compare as cmp
from grader.judge import precision

if TYPE_CHECKING:
    from grader.core.cases import Case


@dataclass
class Mistake:
    message: str
    values: list            # per case: the mistake's arrays (one per convention), or None: no claim
    distinct: list[bool]    # per unit (a case, or a group): it differs from every right answer


def compare_differences(right: np.ndarray, mine: np.ndarray, tol) -> cmp.Comparison:
    """mine[j] - mine[0] against right[j] - right[0], scaled by the size of right's values."""
    scale = np.max(np.abs(right)) + np.max(np.abs(right - right[0]))
    return cmp.allclose(right[1:] - right[0], mine[1:] - mine[0], tol.rtol, tol.atol, scale)


def groups_of(cases: list[Case]) -> list[list[int]]:
    found: dict[int, list[int]] = {}
    for i, case in enumerate(cases):
        found.setdefault(case.group, []).append(i)
    return list(found.values())


def mistake_values(namespaces: list[dict], tree: list, inputs: dict,
                   up_to_constant: bool = False, evaluate=evaluate) -> list[np.ndarray] | None:
    """The mistake's value under every convention (the first only, up to a constant), duplicates
    dropped; None if it makes no claim here. evaluate: how to run it (the core's says which hint
    a mistake that raises belongs to)."""
    values = []
    for namespace in namespaces[:1] if up_to_constant else namespaces:
        value = evaluate(tree, namespace, inputs)
        if value is None:
            return None
        values.append(value)
    return cmp.distinct(values)


class Hints:
    """The hints of one check: (message, mistake tree) pairs over the check's cases, compared
    value by value, or (up_to_constant) by differences within each group of cases."""

    def __init__(self, told: list[tuple[str, list]], namespaces: list[dict], cases: list[Case],
                 expected: list[list[np.ndarray]], tol, up_to_constant: bool = False, evaluate=evaluate):
        self.told, self.namespaces, self.cases, self.expected, self.tol = told, namespaces, cases, expected, tol
        self.evaluate = evaluate
        self.up_to_constant = up_to_constant
        self.units = groups_of(cases) if up_to_constant else [[i] for i in range(len(cases))]
        self._made: list[Mistake] | None = None
        self._each: dict[int, Mistake] = {}   # told's mistakes made in full, by place (every_mistake)
        self._values: dict[tuple[int, int], list | None] = {}   # (mistake, case) -> values, made lazily
        self._distincts: dict[tuple[int, int], bool] = {}        # (mistake, unit) -> _distinct, lazily
        self._lazily: dict[int, Mistake] = {}   # told's mistakes looked at lazily, by place

    @classmethod
    def known(cls, values: list[tuple[str, list]], cases: list[Case], expected: list[list[np.ndarray]],
              tol, up_to_constant: bool = False) -> "Hints":
        """Hints whose values were worked out elsewhere (a student kit stores them as data):
        (message, per case the arrays of each convention, or None for no claim)."""
        made = cls([], [], cases, expected, tol, up_to_constant)
        with np.errstate(all="ignore"):
            found = [made._mistake(message, per_case) for message, per_case in values]
        made._made = [m for m in found if any(m.distinct)]
        return made

    def __bool__(self) -> bool:
        return bool(self.told) or bool(self._made)

    def mistakes(self) -> list[Mistake]:
        """Those that differ from the right answers somewhere (others could never be told apart)."""
        if self._made is None:
            self._made = [m for m in self.every_mistake() if any(m.distinct)]
        return self._made

    def every_mistake(self) -> list[Mistake]:
        """Every mistake's values on these cases, told apart from the right answers or not (for
        a problem set's author: `grader lint`)."""
        return [self._told(k) for k in range(len(self.told))]

    def made_so_far(self) -> list[Mistake]:
        """The spec's mistakes run so far, in its order (each once, when a failure first needed it):
        in full, or on the cases looked at."""
        looked_at = {k for k, _ in self._values} | set(self._each)
        return [self._each.get(k) or self._lazily[k] for k in sorted(looked_at)]

    def _told(self, k: int) -> Mistake:
        if k not in self._each:
            message, tree = self.told[k]
            with np.errstate(all="ignore"):
                self._each[k] = self._make(message, tree)
        return self._each[k]

    def values(self, tree: list, case: Case) -> list[np.ndarray] | None:
        """A mistake's arrays on a case, one per convention (None: no claim)."""
        return mistake_values(self.namespaces, tree, case.inputs, self.up_to_constant, self.evaluate)

    def _make(self, message: str, tree: list) -> Mistake:
        return self._mistake(message, [self.values(tree, case) for case in self.cases])

    def _mistake(self, message: str, values: list) -> Mistake:
        return Mistake(message, values, [self._distinct(values, unit) for unit in self.units])

    def _distinct(self, values, unit: list[int]) -> bool:
        """Whether the mistake's values differ from every right answer on a unit."""
        if any(values[i] is None for i in unit):
            return False
        if self.up_to_constant:
            mistaken = np.array([values[i][0].item() for i in unit])
            right = np.array([self.expected[i][0].item() for i in unit])
            return not compare_differences(right, mistaken, self.tol).passed \
                and not compare_differences(mistaken, right, self.tol).passed
        i = unit[0]
        return not any(self._close(r, m) for r in self.expected[i] for m in values[i])

    def _first_made_lazily(self, observed: list, failed_units: list[int], float32: bool) -> str | None:
        """__call__'s answer, making each mistake's values case by case, in the order they are
        looked at, and keeping them: a mistake is ruled out at the first unit where it differs
        from the student's values, so most are made on a few cases only."""
        with np.errstate(all="ignore"):
            for index, (message, tree) in enumerate(self.told):
                mistake = self._lazily.get(index)
                if mistake is None:
                    mistake = self._lazily[index] = Mistake(message, _Made(self, index, tree), [])
                if any(self._distinct_kept(index, mistake.values, k) for k in failed_units) and \
                        all(self._agrees(mistake, unit, observed, float32) for unit in self.units):
                    return message
        return None

    def _distinct_kept(self, index: int, values, k: int) -> bool:
        if (index, k) not in self._distincts:
            self._distincts[index, k] = self._distinct(values, self.units[k])
        return self._distincts[index, k]

    def _close(self, a: np.ndarray, b: np.ndarray) -> bool:
        rtol, atol = self.tol.rtol, self.tol.atol
        return cmp.matches(a, b, rtol, atol) or cmp.matches(b, a, rtol, atol)

    def _agrees(self, mistake: Mistake, unit: list[int], observed: list, float32: bool) -> bool:
        if any(mistake.values[i] is None for i in unit):
            return True                 # no claim here: anything goes
        got = [observed[i] for i in unit]
        if any(g is None for g in got):
            return False
        if self.up_to_constant:
            if any(g.size != 1 for g in got):
                return False
            mistaken = np.array([mistake.values[i][0].item() for i in unit])
            mine = np.array([g.item() for g in got])
            if float32:
                return precision.close32_differences(mistaken, mine)
            return compare_differences(mistaken, mine, self.tol).passed
        if float32:
            return any(precision.close32(v, got[0]) for v in mistake.values[unit[0]])
        return any(cmp.matches(v, got[0], self.tol.rtol, self.tol.atol) for v in mistake.values[unit[0]])

    def __call__(self, observed: list, failed: Iterable[int], float32: bool = False) -> str | None:
        """The first mistake the student's values (a float64 array per case, None where there was
        none) match on every unit, that differs from the right answers on a unit the student
        failed. `failed`: indices of failed cases. float32: the values are float32's, so they
        need match a mistake only to float32's precision (grader.judge.precision.close32).
        Unless every mistake was made in full already, each is made only on the cases looked at:
        the hint told is the one making them in full tells (tests/test_hints.py), at a fraction
        of the cost. Only a mistake that raises on a case never looked at goes unnoticed, and
        that is the problem set's to find: `grader lint` and a batch's preflight make them all."""
        failed = set(failed)
        failed_units = [k for k, unit in enumerate(self.units) if failed.intersection(unit)]
        if self._made is None:
            return self._first_made_lazily(observed, failed_units, float32)
        for mistake in self._made:   # made in full (mistakes(): lint, a preflight; a kit's stored ones)
            if any(mistake.distinct[k] for k in failed_units) and \
                    all(self._agrees(mistake, unit, observed, float32) for unit in self.units):
                return mistake.message
        return None


class _Made:
    """A mistake's values, case by case, made the first time each is read and kept on its Hints."""

    def __init__(self, hints: Hints, index: int, tree: list):
        self.hints, self.index, self.tree = hints, index, tree

    def __getitem__(self, i: int):
        kept = self.hints._values
        if (self.index, i) not in kept:
            kept[self.index, i] = self.hints.values(self.tree, self.hints.cases[i])
        return kept[self.index, i]
