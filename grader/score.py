"""The score document (CONTRACT.md section 3), as pydantic models."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["passed", "failed", "error", "manual"]


class CheckResult(BaseModel):
    name: str
    passed: bool
    message: str = ""
    points: float = 1.0           # weight within its part; 0 = advisory, shown but not scored
    hidden: bool = True           # details hidden from students where the platform can hide them
    notes: list[str] = Field(default_factory=list)


class PartResult(BaseModel):
    id: str
    title: str = ""
    score: float | None
    max_score: float
    status: Status
    checks: list[CheckResult] = Field(default_factory=list)


class ScoreDocument(BaseModel):
    submission: str
    problem: str
    students: list[dict[str, str]] = Field(default_factory=list)   # from a Gradescope export
    score: float
    max_score: float
    seed: int
    parts: list[PartResult]
    isolation: str                                   # how student code was kept apart
    load_messages: list[str] = Field(default_factory=list)
    output: str = ""                                 # the student's own prints, head and tail
    elapsed_s: float = 0.0
    grader_version: str = ""

    def part(self, part_id: str) -> PartResult:
        return next(p for p in self.parts if p.id == part_id)

    @property
    def all_passed(self) -> bool:
        return all(p.status in ("passed", "manual") for p in self.parts)
