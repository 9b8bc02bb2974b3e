"""Gradescope: grading /autograder/submission into /autograder/results/results.json.

Gradescope runs `run_autograder` as root. The student's code runs in grader's sandbox like
anywhere else; this module only picks the file, derives the student's seed, and writes the
results itself, once, atomically, after the student's code has finished and been killed.
Schema: https://gradescope-autograders.readthedocs.io/en/latest/specs/
"""
from __future__ import annotations

import dataclasses
import json
import os
import stat
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grader import text
from grader.reports import terminal as render
from grader.batch.folders import choose
from grader.core import atomic
from grader.core.cases import DEFAULT_SEED
from grader.core.score import PartResult, ScoreDocument
from grader.core.spec import DEFAULT_PROBLEM
from grader.errors import IsolationUnavailable, Misconfigured, SpecError
from grader.submissions.files import Source
from grader.submitters import read_metadata, seed_for

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]
CONFIG_NAME = "grader_gradescope.json"


class GradescopeTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    number: str
    score: float
    max_score: float
    status: Literal["passed", "failed"]
    output: str = ""
    output_format: Literal["text", "html", "simple_format", "md", "ansi"] = "text"
    tags: list[str] = Field(default_factory=list)
    visibility: Visibility = "visible"
    extra_data: dict = Field(default_factory=dict)


class GradescopeResults(BaseModel):
    """results.json, the fields grader writes (Gradescope's spec lists them all as optional)."""
    model_config = ConfigDict(extra="forbid")
    score: float
    execution_time: float
    output: str
    output_format: Literal["text", "html", "simple_format", "md", "ansi"] = "text"
    visibility: Visibility = "visible"
    stdout_visibility: Visibility = "hidden"
    tests: list[GradescopeTest]
    extra_data: dict = Field(default_factory=dict)


class Config(BaseModel):
    """grader_gradescope.json in the autograder zip (written by `grader gradescope build`)."""
    model_config = ConfigDict(extra="forbid")
    problem: str = DEFAULT_PROBLEM
    # when students see a part whose checks include hidden randomized ones; public checks
    # are summarised in the always-visible top-level output
    hidden_visibility: Literal["after_due_date", "after_published", "visible"] = "after_due_date"
    submission_name: str | None = None      # the file to grade when the upload holds several
    isolation: str = "auto"


def load_config(path: Path) -> Config:
    if not path.is_file():
        return Config()
    return Config.model_validate(json.loads(path.read_text()))


def pick(folder: Path, preferred: str | None) -> tuple[Source | None, str]:
    """The file to grade: the one the assignment names if it is there, else the only .py or
    .ipynb in the upload (searched below it, hidden folders and checkpoints skipped). Nothing
    in the upload is followed: a link, FIFO or device gets a score document saying what it is."""
    if not folder.is_dir():
        return None, f"there is no submission folder ({folder})"
    return choose(folder, (), preferred)


def protect(root: Path) -> None:
    """Keep the reference and the results out of reach of an unprivileged child (the fallback
    when bubblewrap cannot run): only root may enter these folders."""
    if os.geteuid() != 0:
        return
    from grader.core.defaults import PROBLEMS_ROOT
    folders = [root / "source", root / "results"]
    if "site-packages" in PROBLEMS_ROOT.parts:   # installed from the wheel, not a checkout
        folders.append(PROBLEMS_ROOT)
    for folder in folders:
        if folder.is_dir():
            os.chmod(folder, stat.S_IRWXU)


def _public(part: PartResult) -> PartResult:
    return dataclasses.replace(part, checks=[c for c in part.checks if not c.hidden])


def part_test(part: PartResult, config: Config) -> GradescopeTest:
    has_hidden = any(c.hidden for c in part.checks)
    return GradescopeTest(
        name=f"{part.id}: {part.title}", number=part.id, score=part.score or 0.0,
        max_score=part.max_score, status="passed" if part.status == "passed" else "failed",
        output=f"{part.status}: {part.score or 0:g} / {part.max_score:g}\n"
               + render.plain_details(part, verbose=True),
        visibility=config.hidden_visibility if has_hidden else "visible", tags=[part.status])


def summary(doc: ScoreDocument, config: Config, seed_note: str) -> str:
    """The top-level output: always visible, so only public checks' details."""
    out = [f"Graded {text.line(doc.submission)} ({seed_note})."]
    out += [f"While loading your code: {text.visible(m)}" for m in doc.load_messages]
    if config.hidden_visibility != "visible":
        when = config.hidden_visibility.replace("_", " ")
        out.append(f"Each part's score and the details of its randomized checks are shown {when}. "
                   "Public checks:")
    for part in doc.parts:
        if part.status == "manual":
            continue
        shown = part if config.hidden_visibility == "visible" else _public(part)
        if shown.checks:
            out += [f"{part.id}: {part.title}", render.plain_details(shown, verbose=True)]
    manual = [p.id for p in doc.parts if p.status == "manual"]
    if manual:
        out.append(f"Graded by hand, not here: {', '.join(manual)}.")
    return "\n".join(out)


def results_for(doc: ScoreDocument, config: Config, seed_note: str, started: float) -> GradescopeResults:
    tests = [part_test(p, config) for p in doc.parts if p.status != "manual"]
    return GradescopeResults(score=doc.score, execution_time=round(time.monotonic() - started, 3),
                             output=summary(doc, config, seed_note), tests=tests,
                             extra_data={"seed": doc.seed, "isolation": doc.isolation,
                                         "grader_version": doc.grader_version})


def run(root: Path, isolation: str | None = None) -> GradescopeResults:
    """Grade root/submission and write root/results/results.json; returns what was written.
    Whatever goes wrong here (a bad grader_gradescope.json, a crash of ours, no memory left), a
    results.json that says so and scores 0 is written before the error goes on to the caller;
    run_autograder covers what this cannot (grader not installed, this process killed)."""
    started = time.monotonic()
    try:
        return _grade(root, isolation, started)
    except Exception as err:
        results = failure_results(root, err, started)
        atomic.write(root / "results" / "results.json", results.model_dump_json(indent=2))
        if _misconfigured(err):
            raise Misconfigured(f"the autograder is misconfigured: {err}") from None
        raise


def _misconfigured(err: BaseException) -> bool:
    return isinstance(err, (SpecError, ValidationError, json.JSONDecodeError, IsolationUnavailable))


def _grade(root: Path, isolation: str | None, started: float) -> GradescopeResults:
    from grader import sandbox
    from grader.core import engine, spec
    sandbox.cap_own_memory()    # a runaway judge fails as MemoryError here, not as an OOM kill
    config = load_config(root / "source" / CONFIG_NAME)
    problem = spec.load(config.problem)
    seed = seed_for(read_metadata(root / "submission_metadata.json"))
    seed_note = (f"seed {seed}, fixed by this assignment and its submitters' emails" if seed is not None
                 else f"seed {DEFAULT_SEED}: no submitters in submission_metadata.json")
    seed = DEFAULT_SEED if seed is None else seed
    mode, _ = sandbox.choose(isolation or config.isolation)
    protect(root)
    path, why = pick(root / "submission", config.submission_name)
    if path is None:
        doc = engine.unreadable(problem, seed, "submission", why, mode)
    else:
        doc = engine.grade(path, problem, seed, path.shown, mode)
    # the child and all it started are gone by now: nothing can overwrite what we write
    results = results_for(doc, config, seed_note, started)
    atomic.write(root / "results" / "results.json", results.model_dump_json(indent=2))
    return results


def failure_results(root: Path, err: BaseException, started: float) -> GradescopeResults:
    """results.json for a submission the autograder could not grade: score 0, never a guess, and
    what went wrong; a test per auto part when the problem can still be read."""
    from grader.core import spec
    what = (f"the autograder is misconfigured ({type(err).__name__}: {str(err)[:500]})" if _misconfigured(err)
            else f"the grader failed ({type(err).__name__}: {str(err)[:300]})")
    text = (f"Your submission could not be graded: {what}. This is a fault of the autograder, not "
            "a verdict on your code: it scores 0 until it is regraded. Please tell the course staff.")
    tests = []
    try:
        parts = spec.load(load_config(root / "source" / CONFIG_NAME).problem).spec.parts
    except Exception:   # the problem itself may be what failed: the summary alone says it
        parts = []
    for part in parts:
        tests.append(GradescopeTest(name=f"{part.id}: {part.title}", number=part.id, score=0.0,
                                    max_score=part.points, status="failed", output=text, tags=["error"]))
    return GradescopeResults(score=0.0, execution_time=round(time.monotonic() - started, 3),
                             output=text, tests=tests, extra_data={"error": type(err).__name__})


def validate(text: str) -> GradescopeResults:
    """Parse a results.json (for tests and for checking a zip before upload)."""
    try:
        return GradescopeResults.model_validate_json(text)
    except ValidationError as err:
        raise ValueError(str(err)) from None
