"""The score document (dataclasses that pydantic validates where a document is read;
grader.core.models says why): what `grader check --json` prints and a batch writes,
one per submission.

Each check carries `kind`, why it failed, for machines (the gradebook, `grader summary`, the HTML
report and a part's status read it, never the message's words):
  passed        it passed
  raised        the student's code raised an exception
  missing       a function, key or index the check calls is not defined
  too_big       the code returned more than the sandbox carries (an array of over a million
                numbers, or a reply of over 16 MiB)
  malformed     the reply was not one the child writes (forged or garbled by the student's code)
  wrong_shape   a value of the wrong shape (or a scalar where an array was expected, or more)
  wrong_value   values of the right shape that are wrong (or a point that is not stationary, a
                cache that does not hold what is needed)
  not_a_number  NaN or inf where a finite number was expected, or not a number at all (None, a
                string, a dict)
  timeout       the check, or loading the submission, ran past its time budget
  crashed       the process running the student's code died (os._exit, a signal, the memory limit)
  not_run       not run: the part's or the submission's time budget was used up before it
  internal      the grader itself failed (it ran out of memory judging a reply, or its sandboxed
                worker could not start or was lost)
  unreadable    the submission could not be read at all (not a regular file, not UTF-8, no file)
A part whose scored failures are all raised, missing, too_big, malformed, timeout, crashed,
not_run, internal or unreadable (the code gave no answer to judge) has status "error".
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Literal

from grader.core import models
from grader.judge.verdict import Kind
from grader.text import line, visible

# Text a submission can influence (names, messages, prints) is stored as grader.text shows it:
# no control or format character but newline and tab, and no lone surrogate (an undecodable
# byte of a file name, or one the child sent, which would make the document unwritable as JSON).
# So a document is safe wherever it goes (a terminal, `jq -r`, Otter); each display cleans again.
# Each model's __post_init__ cleans its text fields: `line` (one line) or `visible` (a few lines).
Status = Literal["passed", "failed", "error", "manual"]


def _clean(model, lines: tuple[str, ...] = (), texts: tuple[str, ...] = ()) -> None:
    for name in lines:
        value = getattr(model, name)
        if isinstance(value, str):
            setattr(model, name, line(value))
    for name in texts:
        value = getattr(model, name)
        if isinstance(value, str):
            setattr(model, name, visible(value))
        elif isinstance(value, list):
            setattr(model, name, [visible(v) if isinstance(v, str) else v for v in value])


@dataclass(kw_only=True)
class CaseResult:
    case: str                     # "random #3 (unit 0 just below its kink ...)"
    passed: bool
    detail: str = ""              # why it failed, in one line

    def __post_init__(self) -> None:
        _clean(self, lines=("case", "detail"))


@dataclass(kw_only=True)
class CheckResult:
    name: str
    passed: bool
    message: str = ""
    kind: Kind | None = None      # why, for machines (see above); None: a document from before kinds
    points: float = 1.0           # weight within its part; 0 = advisory, shown but not scored
    hidden: bool = True           # details hidden from students where the platform can hide them
    notes: list[str] = field(default_factory=list)
    hint: str | None = None       # a common mistake the values match (also the message's first line)
    cases: list[CaseResult] | None = None   # every case's outcome; only from `grader check --verbose`

    def __post_init__(self) -> None:
        _clean(self, lines=("name", "hint"), texts=("message", "notes"))


@dataclass(kw_only=True)
class PartResult:
    id: str
    title: str = ""
    score: float | None
    max_score: float
    status: Status
    checks: list[CheckResult] = field(default_factory=list)


@dataclass(kw_only=True)
class ScoreDocument:
    submission: str
    problem: str
    students: list[dict[str, str]] = field(default_factory=list)   # from a Gradescope export
    score: float
    max_score: float
    seed: int
    seed_rule: str = ""      # how a batch chose its seeds, when not one for all (a Gradescope export's)
    parts: list[PartResult]
    isolation: str                                   # how student code was kept apart
    load_messages: list[str] = field(default_factory=list)
    stand_ins: list[str] = field(default_factory=list)      # display modules that imported as do-nothing stand-ins
    not_provided: list[str] = field(default_factory=list)   # modules the sandbox lacks: placeholders that fail when used
    output: str = ""                                 # the student's own prints, head and tail
    elapsed_s: float = 0.0
    grader_version: str = ""

    def __post_init__(self) -> None:
        _clean(self, lines=("submission", "seed_rule"), texts=("load_messages", "output"))
        self.students = [{key: line(value) if isinstance(value, str) else value
                          for key, value in person.items()} for person in self.students]

    def part(self, part_id: str) -> PartResult:
        return next(p for p in self.parts if p.id == part_id)

    @property
    def all_passed(self) -> bool:
        return all(p.status in ("passed", "manual") for p in self.parts)


def plain(doc: ScoreDocument) -> dict:
    """The document as JSON data; a check's per-case results only where they were asked for, so
    documents stay small."""
    data = dataclasses.asdict(doc)
    for part in data["parts"]:
        for check in part["checks"]:
            if check["cases"] is None:
                del check["cases"]
    return data


def to_json(doc: ScoreDocument, indent: int | None = None) -> str:
    return json.dumps(plain(doc), indent=indent, ensure_ascii=False)


def read(data) -> ScoreDocument:
    """A document from JSON data (a results file's line), checked by pydantic: models.Invalid if
    it is not one."""
    return models.validate(ScoreDocument, data)
