"""Everything of grading that depends on the problem alone, made before a batch starts, so a
mistake in the problem set (a reference or a hint's mistake that raises, an `of` that is not a
scalar) stops the command with a message naming it, rather than failing every submission in the
workers. `grader lint` goes further (grader.authoring.lint)."""
from __future__ import annotations

import multiprocessing

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


class BeforeBatch:
    """preflight, in a process of its own, started now and asked (`check`) once the batch's
    workers have started: they warm up meanwhile. The problem's code may do anything a judge
    survives (kill its process, exhaust memory), which the batch's workers are made to weather and
    document per submission; only a SpecError stops the batch, before anything is graded. The
    answer comes back as text over a pipe, not pickled."""

    def __init__(self, problem: str, seed: int):
        context = multiprocessing.get_context("fork")
        self.reader, writer = context.Pipe(duplex=False)
        self.process = context.Process(target=_answer, args=(problem, seed, writer), daemon=True)
        self.process.start()
        writer.close()

    def check(self) -> None:
        """Wait for the answer; raises SpecError if the problem set has a mistake."""
        try:
            message = self.reader.recv_bytes().decode()
        except (EOFError, OSError):   # it died or ran out of memory: the workers will say so
            message = ""
        finally:
            self.reader.close()
            self.process.join()
        if message:
            raise SpecError(message)


def _answer(problem: str, seed: int, writer) -> None:
    try:
        message = _message(problem, seed) or ""
    except BaseException:   # not a mistake it can name (Ctrl-C too): the workers meet it, per submission
        message = ""
    writer.send_bytes(message.encode())


def _message(problem: str, seed: int) -> str | None:
    try:
        preflight(specs.load(problem), seed)
    except SpecError as err:
        return str(err)
    return None
