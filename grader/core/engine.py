"""From a submission and a problem to a score document: plan -> run -> judge -> score.

The engine takes a problem's plan (grader.core.plan), carries each check's calls to the student's
code through the boundary (grader.sandbox.session), and scores the verdicts (grader.core.score).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from grader import __version__, sandbox
from grader.core.plan import Plan, PlannedCheck, plan_for
from grader.core.score import CaseResult, CheckResult, PartResult, ScoreDocument
from grader.core.spec import Part, Problem
from grader.judge.verdict import ERROR_KINDS, Check, Verdict
from grader.sandbox import ChildFailure, ChildSession, Limits
from grader.submissions.files import BrokenSubmission, units


def drive(check: Check, session: ChildSession, seconds: float, detail: bool = False) -> Verdict:
    """Carry a check's calls to the child and its results back; a failed child fails the check.
    detail: collect every case's outcome (costs a little; for a person's report, not a batch)."""
    if seconds <= 0:
        return Verdict(passed=False, kind="not_run",
                       message="not run: earlier checks of this part used up its time budget")
    run = check.run(detail)
    try:
        calls = next(run)
        while True:
            try:
                raws = session.call(calls, seconds, f"this check ({seconds:g} s budget)")
            except ChildFailure as failure:
                run.close()
                return Verdict(passed=False, message=str(failure), kind=failure.kind)
            calls = run.send(raws)
    except StopIteration as stop:
        return stop.value
    except MemoryError:   # past every bound of grader.judge.values: the judge's own memory cap
        run.close()
        session.kill()    # a frame may be half read: the next check starts a fresh child
        return Verdict(passed=False, kind="internal", message="the grader ran out of memory judging "
                       "what your code returned for this check")


def check_result(planned: PlannedCheck, verdict: Verdict) -> CheckResult:
    """A check's entry in the score document: the plan's name, points and visibility, and why."""
    return CheckResult(name=planned.name, passed=verdict.passed, message=verdict.message, kind=verdict.kind,
                       points=planned.points, hidden=planned.hidden, notes=verdict.notes, hint=verdict.hint,
                       cases=None if verdict.cases is None else
                       [CaseResult(case=c, passed=ok, detail=why) for c, ok, why in verdict.cases])


def score_part(part: Part, results: list[CheckResult]) -> PartResult:
    """Points times the weighted fraction of checks passed; status "error" when every scored
    failure was the code giving no answer to judge (its kind), else "failed"."""
    weight = sum(r.points for r in results)
    earned = sum(r.points for r in results if r.passed)
    score = round(part.points * earned / weight, 6) if weight else 0.0
    if score == part.points:
        status = "passed"
    else:
        scored_failures = [r for r in results if r.points and not r.passed]
        status = "error" if all(r.kind in ERROR_KINDS for r in scored_failures) else "failed"
    return PartResult(id=part.id, title=part.title, score=score, max_score=part.points,
                      status=status, checks=results)


def errored_part(part: Part, reason: str, kind: str) -> PartResult:
    check = CheckResult(name="the submission could be run", passed=False, message=reason, kind=kind)
    return PartResult(id=part.id, title=part.title, score=0.0, max_score=part.points,
                      status="error", checks=[check])


def _consequence(problem: dict) -> str:
    cell = str(problem.get("unit", "")).startswith("cell")
    if problem.get("whole"):   # a syntax error: nothing of the unit ran
        return "; none of this cell ran, the cells after it did" if cell else "; so none of the file ran"
    if cell:
        return "; the rest of this cell did not run, the cells after it did"
    if problem.get("stopped"):
        return "; only what was defined before that line is graded"
    return "; the rest of the file still ran"


def load_messages(session: ChildSession) -> list[str]:
    """What went wrong while the child loaded the submission, a line each, for people."""
    report = session.load_report or {}
    messages = []
    for problem in report.get("problems", [])[:20] if isinstance(report.get("problems"), list) else []:
        if isinstance(problem, dict):
            where = problem.get("where") or problem.get("unit")
            messages.append(f"{str(where)[:160]}: {str(problem.get('type'))[:60]}: {str(problem.get('msg'))[:300]}"
                            + _consequence(problem))
    return messages


_MODULE_NAME = re.compile(r"[A-Za-z_][\w.]{0,79}")


def _imported(session: ChildSession, key: str) -> list[str]:
    """Module names the child's load report lists under key (stand-ins, placeholders): checked,
    since the report is the student's process's word."""
    found = (session.load_report or {}).get(key)
    if not isinstance(found, list):
        return []
    return [name for name in found[:20] if isinstance(name, str) and _MODULE_NAME.fullmatch(name)]


def judge_parts(problem: Problem, session: ChildSession, seed: int,
                detail: bool = False) -> list[PartResult]:
    """Every auto part's checks, carried out through one session."""
    plan = plan_for(problem, seed)
    session.case_table = plan.case_table
    parts = []
    with np.errstate(all="ignore"):   # students' infs and NaNs are verdicts, not warnings
        for part in problem.spec.parts:
            parts.append(_judge_part(problem, plan, part, session, detail))
    return parts


def _judge_part(problem: Problem, plan: Plan, part: Part, session: ChildSession,
                detail: bool) -> PartResult:
    part_deadline = time.monotonic() + problem.spec.budgets.part
    results = [check_result(planned, drive(planned.check, session, part_deadline - time.monotonic(), detail))
               for planned in plan.parts[part.id]]
    if session.load_failure:
        return errored_part(part, session.load_failure, session.load_failure_kind)
    return score_part(part, results)


def open_session(source_units: list[dict], problem: Problem, deadline: float,
                 isolation: str, seed: int, server=None) -> ChildSession:
    """A started child (it imports NumPy while the judge goes on), holding seed's cases;
    forked from `server` (a grader.sandbox.forkserver.ForkServer) when there is one."""
    budgets = problem.spec.budgets
    limits = Limits(load_seconds=budgets.load, memory_bytes=budgets.memory_mib << 20,
                    modules=tuple(problem.spec.modules))
    session = ChildSession(source_units, limits, deadline, isolation,
                           plan_for(problem, seed).case_table, server)
    try:
        session.start()
    except ChildFailure:
        pass   # recorded as the session's load failure: every part says so
    return session


def grade(path: Path, problem: Problem, seed: int, submission_id: str | None = None,
          isolation: str | None = None, server=None, detail: bool = False) -> ScoreDocument:
    """isolation: a mode of grader.sandbox.isolation; None takes the strongest available. server: a
    grader.sandbox.forkserver.ForkServer of that mode to fork the child from (a batch keeps one).
    detail: every check lists each case's outcome (`grader check --verbose`)."""
    submission_id = submission_id or str(path)
    try:
        source_units = units(path)
    except BrokenSubmission as err:
        return unreadable(problem, seed, submission_id, str(err), isolation or sandbox.strongest())
    return grade_units(source_units, problem, seed, submission_id, isolation, server, detail)


def grade_units(source_units: list[dict], problem: Problem, seed: int, submission_id: str,
                isolation: str | None = None, server=None, detail: bool = False) -> ScoreDocument:
    """grade, for code already in units (grader.submissions.files.units' form): the cells a Jupyter
    kernel ran, for the in-notebook check of grader.platforms.otter.checks."""
    started = time.monotonic()
    isolation = isolation or sandbox.strongest()
    session = open_session(source_units, problem, started + problem.spec.budgets.submission, isolation,
                           seed, server)
    try:
        parts = judge_parts(problem, session, seed, detail)
    finally:
        session.close()
    return _document(problem, seed, submission_id, parts, isolation, started,
                     load_messages=load_messages(session), output=session.output.text(),
                     stand_ins=_imported(session, "stand_ins"), not_provided=_imported(session, "placeholders"))


def not_graded(problem: Problem, seed: int, submission_id: str, reason: str,
               isolation: str) -> ScoreDocument:
    """The document of a submission the grader could not finish judging: every auto part an
    error with the reason, score 0."""
    parts = [errored_part(p, reason, "internal") for p in problem.spec.parts]
    return _document(problem, seed, submission_id, parts, isolation, time.monotonic(), [reason])


def unreadable(problem: Problem, seed: int, submission_id: str, reason: str,
               isolation: str) -> ScoreDocument:
    """The document of a submission that cannot be run at all: every auto part an error."""
    parts = [errored_part(p, f"the submission could not be read: {reason}", "unreadable") for p in problem.spec.parts]
    return _document(problem, seed, submission_id, parts, isolation, time.monotonic(), [reason])


def _document(problem: Problem, seed: int, submission_id: str, parts: list[PartResult],
              isolation: str, started: float, load_messages: list[str], output: str = "",
              stand_ins: list[str] = (), not_provided: list[str] = ()) -> ScoreDocument:
    spec = problem.spec
    manual = [PartResult(id=m.id, title=m.title, score=None, max_score=m.points, status="manual")
              for m in spec.manual]
    return ScoreDocument(
        submission=submission_id, problem=spec.name,
        score=round(sum(p.score for p in parts), 6), max_score=sum(p.max_score for p in parts),
        seed=seed, parts=parts + manual, isolation=isolation, load_messages=load_messages,
        stand_ins=list(stand_ins), not_provided=list(not_provided), output=output, elapsed_s=round(time.monotonic() - started, 3), grader_version=__version__)
