"""A plan: all of grading that does not depend on the submission, for one problem and seed.

The cases (generated once per case set), the reference's answers on them, and the checks built
from the spec's parts: comparisons with the reference per case family, finite differences of
the reference and of the student's own forward, stationary points, values a cache must hold.
Made once per (problem, seed) and reused, so a batch pays for the reference once.
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from grader.core import expr
from grader.core.cases import Case, generate
from grader.core.spec import Hint, Output, Part, Problem
from grader.judge import checks, gradcheck
from grader.judge.hints import Hints

FD_CASES = 4            # cases per finite-difference check
ADVISORY_CASES = 2      # cases per check that is shown but not scored
CONTAINS_CASES = 4      # cases per "the cache holds..." check


class Cases:
    """Each case set generated once per grading, shared by the parts that use it."""

    def __init__(self, problem: Problem, seed: int):
        self.problem, self.seed, self.made = problem, seed, {}

    def __call__(self, name: str) -> list[Case]:
        if name not in self.made:
            case_set = self.problem.spec.case_sets[name]
            self.made[name] = generate(self.problem.generators[name], name, case_set.families, self.seed)
            describe = self.problem.describers.get(name)
            for case in self.made[name] if describe else ():
                case.context = str(describe(case.inputs))
        return self.made[name]


def _largest(cases: list[Case], count: int) -> list[Case]:
    """The cases with the most numbers in their inputs: few cases, but the richest (the widest
    network has the best chance of showing every kind of entry)."""
    return sorted(cases, key=lambda c: -sum(np.size(v) for v in c.inputs.values()))[:count]


def output_checks(problem: Problem, output: Output, cases: list[Case],
                  about: dict[str, str], hints: list[Hint] = ()) -> list[checks.Check]:
    tree = expr.parse(output.student)
    tol = output.tolerance or problem.spec.tolerance
    found: list[checks.Check] = []
    families: dict[str, list[Case]] = {}
    for case in cases:
        families.setdefault(case.family, []).append(case)
    for family, members in families.items():
        words = about.get(family, f"{family} cases")
        expected = [checks.reference_value(problem.references, tree, c.inputs) for c in members]
        count = len({c.group for c in members}) if output.up_to_constant else len(members)
        name = f"{expr.show(tree)} matches the reference on {count} {words}"
        make = checks.differences_match if output.up_to_constant else checks.values_match
        told = Hints([(h.message, expr.parse(h.mistake)) for h in hints], problem.hint_namespaces,
                     members, expected, tol, output.up_to_constant) if problem.hint_namespaces else None
        found.append(make(name, tree, members, expected, tol, family, output.points, output.hidden, told))
    if output.gradient:
        g = output.gradient
        of_tree, safe = expr.parse(g.of), gradcheck.safe_cases(cases, g.wrt, FD_CASES)
        of_text = expr.show(of_tree)
        if g.ref_points:
            # the same hints, on these cases: a mistake that explains the values explains this too
            told = Hints([(h.message, expr.parse(h.mistake)) for h in hints], problem.hint_namespaces,
                         safe, [checks.reference_value(problem.references, tree, c.inputs) for c in safe],
                         tol) if problem.hint_namespaces and hints else None
            found.append(checks.gradient_vs_reference(
                f"{expr.show(tree)} agrees with finite differences of the reference {of_text} "
                f"({len(safe)} cases)", tree, of_tree, g.wrt, safe, problem.references, g.ref_points,
                output.hidden, told))
        found.append(checks.gradient_vs_own(
            f"{expr.show(tree)} agrees with finite differences of your own {of_text}"
            + ("" if g.own_points else " (advisory, not scored)"),
            tree, of_tree, g.wrt, safe if g.own_points else _largest(safe, ADVISORY_CASES), g.own_points, False))
    if output.stationary:
        s = output.stationary
        chosen = cases[:FD_CASES if s.points else ADVISORY_CASES]
        found.append(checks.stationary_point(
            f"{expr.show(tree)} is a stationary point of your own {s.of}"
            + ("" if s.points else " (advisory, not scored)"),
            tree, expr.parse(s.of), s.wrt, chosen, s.points, False,
            checks.expected_shapes(problem.references, tree, chosen)))
    return found


def part_checks(problem: Problem, part: Part, cases: list[Case]) -> list[checks.Check]:
    about = problem.spec.case_sets[part.cases].about
    found = [c for output in part.outputs
             for c in output_checks(problem, output, cases, about, part.hints_for(output))]
    for item in part.contains:
        found.append(checks.contains(
            f"{item.student} holds {item.label}", expr.parse(item.student), item.label,
            [expr.parse(t) for t in item.any_of], cases, problem.references, CONTAINS_CASES,
            item.points, False))
    return found


class Plan:
    """All of grading that does not depend on the submission, for one problem and seed: the
    cases, the reference's answers, and the checks built on them. Made once and reused, so a
    batch pays for the reference once, not once per student."""

    def __init__(self, problem: Problem, seed: int):
        if problem.vectors is not None:   # a student kit: public checks on stored test vectors
            from grader import public
            self.checks, self.case_table = public.plan(problem)
            return
        make_cases = Cases(problem, seed)
        self.checks = {part.id: part_checks(problem, part, make_cases(part.cases))
                       for part in problem.spec.parts}
        self.case_table = json.dumps({case.key: case.encoded()
                                      for made in make_cases.made.values() for case in made})


@lru_cache(maxsize=4)
def plan_for(problem: Problem, seed: int) -> Plan:
    return Plan(problem, seed)
