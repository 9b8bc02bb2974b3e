"""The score document (CONTRACT.md section 3), as pydantic models."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_serializer

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
