"""From a submission and a problem to a score document: plan -> run -> judge -> score.

The engine takes a problem's plan (grader.core.plan), carries each check's calls to the student's
code through the boundary (grader.sandbox.session), and scores the verdicts (grader.core.score).
A part's checks are asked of the child in one request (up to a check that may ask again), and
judged one by one as their replies come; the child already holds every check's calls (the plan's
program), so the request only names them.
"""
from __future__ import annotations

import re
import time
import weakref
from pathlib import Path

import numpy as np

from grader import __version__, sandbox
from grader.core.plan import Plan, PlannedCheck, plan_for
from grader.core.score import CaseResult, CheckResult, PartResult, ScoreDocument
from grader.core.spec import Part, Problem
from grader.judge.verdict import ERROR_KINDS, Verdict
from grader.sandbox import ChildFailure, ChildSession, Limits, Program
from grader.submissions.files import BrokenSubmission, units


NOT_RUN = "not run: earlier checks of this part used up its time budget"


def _what(seconds: float) -> str:
    return f"this check ({seconds:g} s budget)"


def _finish(run, raws: list[dict], session: ChildSession, seconds: float) -> Verdict:
    """A check's verdict from its first results, carrying any more calls it asks for."""
    try:
        while True:
            calls = run.send(raws)
            try:
                raws = session.call(calls, seconds, _what(seconds))
            except ChildFailure as failure:
                run.close()
                return Verdict(passed=False, message=str(failure), kind=failure.kind)
    except StopIteration as stop:
        return stop.value
    except MemoryError:   # past every bound of grader.judge.values: the judge's own memory cap
        run.close()
        session.kill()    # a frame may be half read: the next check starts a fresh child
        return Verdict(passed=False, kind="internal", message="the grader ran out of memory judging "
                       "what your code returned for this check")


_programs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def program_for(plan: Plan) -> tuple[Program, dict[int, int]]:
    """The plan's program (every check's first calls, which the child is sent once) and each
    check's place in it (by id of the check), made once per plan."""
    if plan not in _programs:
        groups, places = [], {}
        for planned in (p for checks in plan.parts.values() for p in checks):
            run = planned.check.run(False)
            try:
                groups.append(next(run))
                places[id(planned.check)] = len(groups) - 1
            except StopIteration:
                pass
            run.close()
        _programs[plan] = (Program(plan.case_table, groups), places)
    return _programs[plan]


def drive_part(planned: list[PlannedCheck], session: ChildSession, deadline: float, places: dict[int, int],
               detail: bool = False) -> list[Verdict]:
    """A part's checks, each with the time left of the part: asked of the child in requests that
    end at a check that may ask again, so a check's calls run when they would one by one. A
    failed child fails the check it was answering; the checks after it go to a new one."""
    verdicts: list[Verdict | None] = [None] * len(planned)
    k = 0
    while k < len(planned):
        if deadline - time.monotonic() <= 0:
            verdicts[k], k = Verdict(passed=False, kind="not_run", message=NOT_RUN), k + 1
            continue
        end = k
        while end < len(planned) - 1 and not planned[end].asks_again:
            end += 1
        k = _request(planned, range(k, end + 1), session, deadline, places, detail, verdicts)
    return verdicts


def _request(planned, segment: range, session: ChildSession, deadline: float, places: dict[int, int],
             detail: bool, verdicts: list) -> int:
    """One request for the segment's checks; returns where the next request starts."""
    runs, groups = {}, []
    for i in segment:
        run = planned[i].check.run(detail)
        try:
            calls = next(run)
        except StopIteration as stop:
            verdicts[i] = stop.value
            continue
        place = places.get(id(planned[i].check))
        same = place is not None and place < len(session.program.groups) and session.program.groups[place] is calls
        runs[i] = run
        groups.append(place if same else calls)
    asked = list(runs)
    if not asked:
        return segment.stop
    try:
        sent = session.send(groups, deadline - time.monotonic())
    except ChildFailure as failure:   # nothing ran: the first check says why, the rest ask again
        for run in runs.values():
            run.close()
        verdicts[asked[0]] = Verdict(passed=False, message=str(failure), kind=failure.kind)
        return asked[0] + 1
    for position, i in enumerate(asked):
        seconds = deadline - time.monotonic()
        if seconds <= 0 or time.monotonic() >= session.deadline:
            session.skip(sent, position)
            runs.pop(i).close()
            verdicts[i] = Verdict(passed=False, kind="not_run", message=NOT_RUN) if seconds <= 0 else \
                Verdict(passed=False, kind="not_run",
                        message="the submission's total time budget was used up before this check")
        else:
            run = runs.pop(i)
            try:
                raws = session.receive(sent, position, seconds, _what(seconds))
            except ChildFailure as failure:
                run.close()
                verdicts[i] = Verdict(passed=False, message=str(failure), kind=failure.kind)
            except MemoryError:
                run.close()
                session.kill()
                verdicts[i] = Verdict(passed=False, kind="internal", message="the grader ran out of memory "
                                      "judging what your code returned for this check")
            else:
                verdicts[i] = _finish(run, raws, session, seconds)
        if runs and not session.running:   # the child is gone: the rest ask a new one
            for run in runs.values():
                run.close()
            return i + 1
    return segment.stop


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
    program, places = program_for(plan)
    session.use(program)
    parts = []
    with np.errstate(all="ignore"):   # students' infs and NaNs are verdicts, not warnings
        for part in problem.spec.parts:
            parts.append(_judge_part(plan, part, session, places, problem.spec.budgets.part, detail))
    return parts


def _judge_part(plan: Plan, part: Part, session: ChildSession, places: dict[int, int], budget: float,
                detail: bool) -> PartResult:
    planned = plan.parts[part.id]
    verdicts = drive_part(planned, session, time.monotonic() + budget, places, detail)
    results = [check_result(p, verdict) for p, verdict in zip(planned, verdicts)]
    if session.load_failure:
        return errored_part(part, session.load_failure, session.load_failure_kind)
    return score_part(part, results)


def open_session(source_units: list[dict], problem: Problem, deadline: float,
                 isolation: str, seed: int, server=None) -> ChildSession:
    """A started child, loading the submission while the judge goes on. Forked from `server` (a
    grader.sandbox.forkserver.ForkServer) when there is one, after the server has made seed's
    program ready (once per seed); else a new process, started before the plan is made (it
    imports NumPy meanwhile) and sent the program with its first request. Either way the session
    holds seed's program."""
    budgets = problem.spec.budgets
    limits = Limits(load_seconds=budgets.load, memory_bytes=budgets.memory_mib << 20,
                    modules=tuple(problem.spec.modules))
    session = ChildSession(source_units, limits, deadline, isolation, server=server)
    if server is not None:
        session.use(program_for(plan_for(problem, seed))[0])
    try:
        session.start()
    except ChildFailure:
        pass   # recorded as the session's load failure: every part says so
    session.use(program_for(plan_for(problem, seed))[0])
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
