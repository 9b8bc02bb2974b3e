"""A plan: all of grading that does not depend on the submission, for one problem and seed.

One builder makes every part's checks from the spec, fed by a source of cases and expected
values: the reference (grader.core.answers: a seed's randomized cases and the reference's
answers on them) or, in a student kit, the stored test vectors (grader.core.vectors: public
checks only). Which one is decided once, when the problem is loaded (Problem.kit). A source gives:
  kit                                   public checks only: every check shown, the student's own
                                        finite differences and stationary points scored
  about(part)                           family -> words for check names
  cases(part, output)                   the cases an output is checked on
  expected(part, output, tree, cases)   per case, every equally right answer
  hints(part, output, cases, expected, tol, up_to_constant)   the output's hints there, or None
  reference_differences(part, output, cases)   differences of the reference's forward, or None
  shapes(part, output, tree, cases)     the expected output shape per case
  needles(part, item, count)            (case, values a `contains` check looks for) pairs
  case_table()                          every case, as the child holds them
Made once per (problem, seed) and reused, so a batch pays for the reference once.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from grader.core import expr
from grader.core.answers import ReferenceAnswers, fd_inputs, where
from grader.core.cases import Case
from grader.core.spec import Output, Part, Problem
from grader.judge import checks, contains, gradcheck, own
from grader.errors import SpecError
from grader.judge.verdict import Check

if TYPE_CHECKING:
    from grader.core.vectors import StoredVectors

FD_CASES = 4            # cases per finite-difference check
ADVISORY_CASES = 2      # cases per check that is shown but not scored
CONTAINS_CASES = 4      # cases per "the cache holds..." check


@dataclass(frozen=True, kw_only=True)
class PlannedCheck:
    """A check as a part holds it: its name in the score document, its weight within the part
    (0: advisory, shown but not scored), whether its details may be hidden from students, and
    the judge's check (grader.judge.verdict.Check). asks_again: the check may ask the child for
    more after seeing the first results, so the engine asks nothing after it until it is done."""
    name: str
    points: float
    hidden: bool
    check: Check
    asks_again: bool = False


def _largest(cases: list[Case], count: int) -> list[Case]:
    """The cases with the most numbers in their inputs: few cases, but the richest (the widest
    network has the best chance of showing every kind of entry)."""
    return sorted(cases, key=lambda c: -sum(np.size(v) for v in c.inputs.values()))[:count]


def _families(cases: list[Case]) -> dict[str, list[Case]]:
    found: dict[str, list[Case]] = {}
    for case in cases:
        found.setdefault(case.family, []).append(case)
    return found


def _on(source, count: int, scored: bool) -> str:
    """The end of a check's name: how many fixed cases (a kit), or that it is advisory."""
    if source.kit:
        return f" ({count} fixed cases)"
    return "" if scored else " (advisory, not scored)"


def output_checks(source, problem: Problem, part: Part, output: Output) -> list[PlannedCheck]:
    """An output's checks: against the expected values per case family, its gradient against
    finite differences (of the reference, and of the student's own forward), and a stationary
    point of the student's own objective."""
    tree = expr.parse(output.student)
    text = expr.show(tree)
    tol = output.tolerance or problem.spec.tolerance
    cases, about = source.cases(part, output), source.about(part)
    fixed = "fixed " if source.kit else ""
    found: list[PlannedCheck] = []
    for family, members in _families(cases).items():
        expected = source.expected(part, output, tree, members)
        count = len({c.group for c in members}) if output.up_to_constant else len(members)
        make = checks.differences_match if output.up_to_constant else checks.values_match
        hints = source.hints(part, output, members, expected, tol, output.up_to_constant)
        found.append(PlannedCheck(
            name=f"{text} matches the reference on {count} {fixed}{about.get(family, f'{family} cases')}",
            points=output.points, hidden=output.hidden and not source.kit,
            check=make(tree=tree, text=text, cases=members, expected=expected, tol=tol, about=family,
                       hints=hints)))
    if output.gradient:
        found += gradient_checks(source, part, output, tree, text, tol, cases)
    if output.stationary and output.stationary.runs:
        s = output.stationary
        of_tree = expr.parse(s.of)
        points = s.points or (1.0 if source.kit else 0.0)             # a kit scores it
        # the point moved is the student's output, not an input: any case of the named families
        chosen = [c for c in cases if not s.families or c.family in s.families]
        chosen = chosen[:s.count or (FD_CASES if points else ADVISORY_CASES)]
        found.append(PlannedCheck(
            name=f"{text} is a stationary point of your own {s.of}" + _on(source, len(chosen), points > 0),
            points=points, hidden=False, asks_again=True,
            check=own.stationary_point(tree=tree, text=text, of_tree=of_tree, of_text=expr.show(of_tree),
                                       wrt=s.wrt, cases=chosen,
                                       shapes=source.shapes(part, output, tree, chosen))))
    return found


def gradient_checks(source, part: Part, output: Output, tree: list, text: str, tol,
                    cases: list[Case]) -> list[PlannedCheck]:
    """An output that is a gradient, against finite differences of the reference's forward
    (scored) and of the student's own (advisory, scored or off: own_points), each on the cases
    the spec names (gradient.families, gradient.count) where the function is smooth."""
    g, found = output.gradient, []
    of_tree = expr.parse(g.of)
    of_text = expr.show(of_tree) if g.weights is None else f"sum({g.weights} * {expr.show(of_tree)})"
    fd_inputs(part, output, cases)
    safe = gradcheck.pick(cases, g.wrt, g.families, g.count or FD_CASES)
    if not safe:
        raise SpecError(f"{where(part, output)}: no case of case set {part.cases!r}"
                        f"{' in families ' + str(g.families) if g.families else ''} is smooth around its "
                        f"inputs (Case.radius) for finite differences in {g.wrt!r}")
    differences = source.reference_differences(part, output, safe) if g.ref_points else None
    if differences is not None:
        # the output's hints, on these cases: a mistake that explains the values explains this too
        hints = source.hints(part, output, safe, source.expected(part, output, tree, safe), tol)
        found.append(PlannedCheck(
            name=f"{text} agrees with finite differences of the reference {of_text} ({len(safe)} cases)",
            points=g.ref_points, hidden=output.hidden,
            check=checks.gradient_vs_reference(tree=tree, text=text, cases=safe,
                                               differences=differences, hints=hints)))
    if not g.checks_own:      # switched off in the spec: not run, not shown, in a kit too
        return found
    points = g.own_points or (g.ref_points if source.kit else 0.0)   # a kit scores it
    chosen = safe if points or source.kit or g.count else _largest(safe, ADVISORY_CASES)
    found.append(PlannedCheck(
        name=f"{text} agrees with finite differences of your own {of_text}"
             + _on(source, len(chosen), points > 0),
        points=points, hidden=False,
        check=own.gradient_vs_own(tree=tree, text=text, of_tree=of_tree, of_text=of_text, wrt=g.wrt,
                                  cases=chosen, weights=g.weights)))
    return found


def part_checks(source, problem: Problem, part: Part) -> list[PlannedCheck]:
    found = [c for output in part.outputs for c in output_checks(source, problem, part, output)]
    for item in part.contains:
        tree = expr.parse(item.student)
        chosen = source.needles(part, item, CONTAINS_CASES)
        found.append(PlannedCheck(
            name=f"{item.student} holds {item.label}" + _on(source, len(chosen), True),
            points=item.points, hidden=False,
            check=contains.holds(tree=tree, text=expr.show(tree), label=item.label, chosen=chosen)))
    return found


def source_for(problem: Problem, seed: int) -> "ReferenceAnswers | StoredVectors":
    """Where the cases and expected values come from: the stored vectors of a student kit, else
    the reference on the seed's cases."""
    if problem.kit:
        from grader.core.vectors import StoredVectors   # here: only a kit needs its models
        return StoredVectors(problem)
    return ReferenceAnswers(problem, seed)


class Plan:
    """Every part's checks for one problem and seed, and the case table the child holds."""

    def __init__(self, problem: Problem, seed: int):
        source = source_for(problem, seed)
        self.parts = {part.id: part_checks(source, problem, part) for part in problem.spec.parts}
        self.case_table = source.case_table()
        self._complete = getattr(source, "complete", lambda: None)

    def complete(self) -> None:
        """Every expected value made now, those made only when needed too: a mistake of the
        problem set's is found before any student is graded (grader lint, a batch's preflight)."""
        self._complete()


@lru_cache(maxsize=4)
def plan_for(problem: Problem, seed: int) -> Plan:
    return Plan(problem, seed)
