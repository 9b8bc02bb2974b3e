"""The reference's answers as the plan's source of cases and expected values: seeded cases from the
problem's cases.py, and the answers of its reference.py (every equally right one), its finite
differences and the values a cache must hold, all computed here, in the judge, from trusted code.
"""
from __future__ import annotations

import json

import numpy as np

from grader.sandbox.child import evaluate
from grader.core import expr
from grader.core.cases import Case, generate
from grader.core.spec import Contains, Output, Part, Problem
from grader.judge import compare as cmp
from grader.judge import gradcheck
from grader.judge.contains import informative
from grader.judge.hints import Hints


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


def reference_eval(tree: list, namespace: dict, inputs: dict):
    """The reference's value, run here (it is ours), on copies of the inputs."""
    return evaluate(tree, namespace, inputs)


def reference_value(references: list[dict], tree: list, inputs: dict) -> list[np.ndarray]:
    """The value under every equally right reference, duplicates dropped."""
    return cmp.distinct(reference_eval(tree, namespace, inputs) for namespace in references)


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


class ReferenceAnswers:
    """The plan's source of cases and expected values in the full grader (grader.core.plan says
    what a source gives): every check, on a seed's randomized cases."""
    kit = False

    def __init__(self, problem: Problem, seed: int):
        self.problem, self.made = problem, Cases(problem, seed)
        self.references = problem.references

    def about(self, part: Part) -> dict[str, str]:
        return self.problem.spec.case_sets[part.cases].about

    def cases(self, part: Part, output: Output | None = None) -> list[Case]:
        return self.made(part.cases)

    def expected(self, part: Part, output: Output, tree: list, cases: list[Case]) -> list[list[np.ndarray]]:
        return [reference_value(self.references, tree, c.inputs) for c in cases]

    def hints(self, part: Part, output: Output, cases: list[Case], expected: list, tol,
              up_to_constant: bool = False) -> Hints | None:
        told = [(h.message, expr.parse(h.mistake)) for h in part.hints_for(output)]
        namespaces = self.problem.hint_namespaces
        return Hints(told, namespaces, cases, expected, tol, up_to_constant) if namespaces and told else None

    def reference_differences(self, of_tree: list, wrt: str,
                              cases: list[Case]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Central differences of the reference's forward on each case, with their rounding error."""
        forward = lambda inputs: float(reference_eval(of_tree, self.references[0], inputs))
        return [gradcheck.numeric_gradient(forward, c.inputs, wrt) for c in cases]

    def shapes(self, part: Part, output: Output, tree: list, cases: list[Case]) -> list[tuple]:
        """The reference's output shape on each case (what a student's value must fit)."""
        return [reference_value(self.references[:1], tree, c.inputs)[0].shape for c in cases]

    def needles(self, part: Part, item: Contains, count: int) -> list[tuple[Case, list[np.ndarray]]]:
        return needles_for([expr.parse(t) for t in item.any_of], self.cases(part), self.references, count)

    def case_table(self) -> str:
        """Every case made so far, as the child receives them: call after building the checks."""
        return json.dumps({case.key: case.encoded() for made in self.made.made.values() for case in made})
