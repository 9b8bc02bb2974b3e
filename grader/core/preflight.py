"""Everything of grading that depends on the problem alone, made before a batch starts, so a
mistake in the problem set (a reference or a hint's mistake that raises, an `of` that is not a
scalar) stops the command with a message naming it, rather than failing every submission in the
workers. `grader lint` goes further (grader.authoring.lint)."""
from __future__ import annotations

from grader.core.plan import Plan, plan_for
from grader.core.spec import Problem


def preflight(problem: Problem, seed: int) -> Plan:
    """The plan at this seed, with every hint's values made (they are otherwise made the first
    time a check fails). Raises grader.errors.SpecError."""
    plan = plan_for(problem, seed)
    for planned in (p for checks in plan.parts.values() for p in checks):
        if planned.check.hints:
            planned.check.hints.mistakes()
    return plan
