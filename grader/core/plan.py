"""A plan: all of grading that does not depend on the submission, for one problem and seed.

The cases (generated once per case set), the reference's answers on them, and the checks built
from the spec's parts: comparisons with the reference per case family, finite differences of
the reference and of the student's own forward, stationary points, values a cache must hold.
Made once per (problem, seed) and reused, so a batch pays for the reference once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from grader.child import evaluate
from grader.core import expr
from grader.core.cases import Case, generate
from grader.core.spec import Hint, Output, Part, Problem
from grader.judge import checks, contains, gradcheck, own
from grader.judge import compare as cmp
from grader.judge.contains import informative
from grader.judge.hints import Hints
from grader.judge.verdict import Check

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


@dataclass(frozen=True, kw_only=True)
class PlannedCheck:
    """A check as a part holds it: its name in the score document, its weight within the part
    (0: advisory, shown but not scored), whether its details may be hidden from students, and
    the judge's check (grader.judge.verdict.Check)."""
    name: str
    points: float
    hidden: bool
    check: Check


def reference_eval(tree: list, namespace: dict, inputs: dict):
    """The reference's value, run here (it is ours), on copies of the inputs."""
    return evaluate(tree, namespace, inputs)


def reference_value(references: list[dict], tree: list, inputs: dict) -> list[np.ndarray]:
    """The value under every equally right reference, duplicates dropped."""
    return cmp.distinct(reference_eval(tree, namespace, inputs) for namespace in references)


def expected_shapes(references: list[dict], tree: list, cases: list[Case]) -> list[tuple]:
    """The reference's output shape on each case (what a student's value must fit)."""
    return [reference_value(references[:1], tree, case.inputs)[0].shape for case in cases]


def needles_for(needle_trees, cases, references, count) -> list[tuple[Case, list[np.ndarray]]]:
    """The first `count` cases where every needle is informative, with the reference's needles."""
    chosen = []
    for case in cases:
        needles = [reference_value(references[:1], t, case.inputs)[0] for t in needle_trees]
        if informative(needles, case.inputs):
            chosen.append((case, needles))
        if len(chosen) == count:
            break
    return chosen


def output_checks(problem: Problem, output: Output, cases: list[Case],
                  about: dict[str, str], hints: list[Hint] = ()) -> list[PlannedCheck]:
    tree = expr.parse(output.student)
    text = expr.show(tree)
    tol = output.tolerance or problem.spec.tolerance
    found: list[PlannedCheck] = []
    families: dict[str, list[Case]] = {}
    for case in cases:
        families.setdefault(case.family, []).append(case)
    for family, members in families.items():
        words = about.get(family, f"{family} cases")
        expected = [reference_value(problem.references, tree, c.inputs) for c in members]
        count = len({c.group for c in members}) if output.up_to_constant else len(members)
        make = checks.differences_match if output.up_to_constant else checks.values_match
        told = Hints([(h.message, expr.parse(h.mistake)) for h in hints], problem.hint_namespaces,
                     members, expected, tol, output.up_to_constant) if problem.hint_namespaces else None
        found.append(PlannedCheck(
            name=f"{text} matches the reference on {count} {words}", points=output.points,
            hidden=output.hidden, check=make(tree=tree, text=text, cases=members, expected=expected,
                                             tol=tol, about=family, hints=told)))
    if output.gradient:
        g = output.gradient
        of_tree, safe = expr.parse(g.of), gradcheck.safe_cases(cases, g.wrt, FD_CASES)
        of_text = expr.show(of_tree)
        if g.ref_points:
            # the same hints, on these cases: a mistake that explains the values explains this too
            told = Hints([(h.message, expr.parse(h.mistake)) for h in hints], problem.hint_namespaces,
                         safe, [reference_value(problem.references, tree, c.inputs) for c in safe],
                         tol) if problem.hint_namespaces and hints else None
            forward = lambda inputs: float(reference_eval(of_tree, problem.references[0], inputs))
            found.append(PlannedCheck(
                name=f"{text} agrees with finite differences of the reference {of_text} ({len(safe)} cases)",
                points=g.ref_points, hidden=output.hidden,
                check=checks.gradient_vs_reference(
                    tree=tree, text=text, cases=safe, hints=told,
                    differences=[gradcheck.numeric_gradient(forward, c.inputs, g.wrt) for c in safe])))
        found.append(PlannedCheck(
            name=f"{text} agrees with finite differences of your own {of_text}"
                 + ("" if g.own_points else " (advisory, not scored)"),
            points=g.own_points, hidden=False,
            check=own.gradient_vs_own(tree=tree, text=text, of_tree=of_tree, of_text=of_text, wrt=g.wrt,
                                      cases=safe if g.own_points else _largest(safe, ADVISORY_CASES))))
    if output.stationary:
        s = output.stationary
        chosen = cases[:FD_CASES if s.points else ADVISORY_CASES]
        of_tree = expr.parse(s.of)
        found.append(PlannedCheck(
            name=f"{text} is a stationary point of your own {s.of}"
                 + ("" if s.points else " (advisory, not scored)"),
            points=s.points, hidden=False,
            check=own.stationary_point(tree=tree, text=text, of_tree=of_tree, of_text=expr.show(of_tree),
                                       wrt=s.wrt, cases=chosen,
                                       shapes=expected_shapes(problem.references, tree, chosen))))
    return found


def part_checks(problem: Problem, part: Part, cases: list[Case]) -> list[PlannedCheck]:
    about = problem.spec.case_sets[part.cases].about
    found = [c for output in part.outputs
             for c in output_checks(problem, output, cases, about, part.hints_for(output))]
    for item in part.contains:
        tree = expr.parse(item.student)
        chosen = needles_for([expr.parse(t) for t in item.any_of], cases, problem.references, CONTAINS_CASES)
        found.append(PlannedCheck(
            name=f"{item.student} holds {item.label}", points=item.points, hidden=False,
            check=contains.holds(tree=tree, text=expr.show(tree), label=item.label, chosen=chosen)))
    return found


class Plan:
    """All of grading that does not depend on the submission, for one problem and seed: the
    cases, the reference's answers, and the checks built on them. Made once and reused, so a
    batch pays for the reference once, not once per student."""

    def __init__(self, problem: Problem, seed: int):
        if problem.vectors is not None:   # a student kit: public checks on stored test vectors
            from grader import public
            self.parts, self.case_table = public.plan(problem)
            return
        make_cases = Cases(problem, seed)
        self.parts = {part.id: part_checks(problem, part, make_cases(part.cases))
                       for part in problem.spec.parts}
        self.case_table = json.dumps({case.key: case.encoded()
                                      for made in make_cases.made.values() for case in made})


@lru_cache(maxsize=4)
def plan_for(problem: Problem, seed: int) -> Plan:
    return Plan(problem, seed)
