"""The score document, as pydantic models: what `grader check --json` prints and a batch writes,
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

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_serializer

from grader.judge.verdict import Kind
from grader.text import line, visible

# Text a submission can influence (names, messages, prints) is stored as grader.text shows it:
# no control or format character but newline and tab, and no lone surrogate (an undecodable
# byte of a file name, or one the child sent, which would make the document unwritable as JSON).
# So a document is safe wherever it goes (a terminal, `jq -r`, Otter); each display cleans again.
Text = Annotated[str, AfterValidator(visible)]
Line = Annotated[str, AfterValidator(line)]
Status = Literal["passed", "failed", "error", "manual"]


class CaseResult(BaseModel):
    case: Line                    # "random #3 (unit 0 just below its kink ...)"
    passed: bool
    detail: Line = ""             # why it failed, in one line


class CheckResult(BaseModel):
    name: Line
    passed: bool
    message: Text = ""
    kind: Kind | None = None      # why, for machines (see above); None: a document from before kinds
    points: float = 1.0           # weight within its part; 0 = advisory, shown but not scored
    hidden: bool = True           # details hidden from students where the platform can hide them
    notes: list[Text] = Field(default_factory=list)
    hint: Line | None = None      # a common mistake the values match (also the message's first line)
    cases: list[CaseResult] | None = None   # every case's outcome; only from `grader check --verbose`

    @model_serializer(mode="wrap")
    def _small(self, handler):
        data = handler(self)
        if data.get("cases") is None:   # documents stay small unless per-case results were asked for
            data.pop("cases", None)
        return data


class PartResult(BaseModel):
    id: str
    title: str = ""
    score: float | None
    max_score: float
    status: Status
    checks: list[CheckResult] = Field(default_factory=list)


class ScoreDocument(BaseModel):
    submission: Line
    problem: str
    students: list[dict[str, Line]] = Field(default_factory=list)   # from a Gradescope export
    score: float
    max_score: float
    seed: int
    seed_rule: Line = ""     # how a batch chose its seeds, when not one for all (a Gradescope export's)
    parts: list[PartResult]
    isolation: str                                   # how student code was kept apart
    load_messages: list[Text] = Field(default_factory=list)
    stand_ins: list[str] = Field(default_factory=list)      # display modules that imported as do-nothing stand-ins
    not_provided: list[str] = Field(default_factory=list)   # modules the sandbox lacks: placeholders that fail when used
    output: Text = ""                                # the student's own prints, head and tail
    elapsed_s: float = 0.0
    grader_version: str = ""

    def part(self, part_id: str) -> PartResult:
        return next(p for p in self.parts if p.id == part_id)

    @property
    def all_passed(self) -> bool:
        return all(p.status in ("passed", "manual") for p in self.parts)
