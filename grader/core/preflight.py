"""Everything of grading that depends on the problem alone, made before a batch starts, so a
mistake in the problem set (a reference or a hint's mistake that raises, an `of` that is not a
scalar) stops the command with a message naming it, rather than failing every submission in the
workers. `grader lint` goes further (grader.authoring.lint)."""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from grader.core import spec as specs
from grader.core.plan import Plan, plan_for
from grader.core.spec import Problem
from grader.errors import SpecError


def preflight(problem: Problem, seed: int) -> Plan:
    """The plan at this seed, with every hint's values made (they are otherwise made the first
    time a check fails). Raises grader.errors.SpecError."""
    plan = plan_for(problem, seed)
    plan.complete()
    for planned in (p for checks in plan.parts.values() for p in checks):
        if planned.check.hints:
            planned.check.hints.mistakes()
    return plan


def before_batch(problem: str, seed: int) -> None:
    """preflight, in a process of its own: the problem's code may do anything a judge survives
    (kill its process, exhaust memory), which the batch's workers are made to weather and
    document per submission; only a SpecError stops the batch here."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        try:
            message = pool.submit(_message, problem, seed).result()
        except Exception:   # it died or ran out of memory: the workers will say so, per submission
            return
    if message:
        raise SpecError(message)


def _message(problem: str, seed: int) -> str | None:
    try:
        preflight(specs.load(problem), seed)
    except SpecError as err:
        return str(err)
    return None
