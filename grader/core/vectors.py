"""A student kit's test vectors: its source of cases and expected values, in place of a reference.

A kit's problem folder holds spec.toml and `vectors.json` (written by grader.platforms.kit from the
reference when the kit is built): a few fixed cases per case set, the expected outputs on them
as JSON numbers, the outputs of common mistakes whose hints give no answer away, and the values
a `contains` check looks for. The plan (grader.core.plan) builds the same checks from these as
from a reference, so comparisons and messages are the same; only the checks that need the
reference itself (differences of its forward on new points, randomized cases) are left for the
submission, and a student's gradient against finite differences of their own forward counts.
"""
from __future__ import annotations

import json
import textwrap
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from grader.core.cases import Case
from grader.core.defaults import VECTORS  # noqa: F401  (vectors.VECTORS, as before)
from grader.core import validated
from grader.core.models import strict
from grader.errors import SpecError
from grader.judge.hints import Hints
from grader.sandbox.protocol import INPUT_DTYPES

if TYPE_CHECKING:   # types only: spec.py loads the vectors
    from grader.core.spec import Contains, Output, Part, Problem, ProblemSpec

FORMAT = 1


@strict
class Array:
    """As grader.sandbox.protocol.encode_input: shape and flat data, and "t" for whole numbers
    or truth values."""
    a: list[int]
    d: list[float | int | bool]
    t: Literal["int64", "bool"] | None = None


@strict
class Whole:
    i: int


@strict
class Truth:
    b: bool


Value = float | Array | Whole | Truth


@strict
class StoredCase:
    inputs: dict[str, Value]
    family: str
    index: int
    group: int
    label: str = ""
    radius: float | None = None
    context: str = ""                     # the case set's describe line, made when the kit was built


@strict
class Expected:
    case: str
    expected: list[Value]                 # every equally right answer
    # a common mistake's outputs on this case (one per convention; None: no claim), by its
    # message: only hints whose message gives no answer away (in_kit) are stored
    hints: dict[str, list[Value] | None] = field(default_factory=dict)


@strict
class OutputVectors:
    student: str
    values: list[Expected]


@strict
class Needles:
    case: str
    needles: list[Value]                  # the values any one of which must be found


@strict
class ContainsVectors:
    student: str
    label: str
    values: list[Needles]


@strict
class PartVectors:
    outputs: list[OutputVectors] = field(default_factory=list)
    contains: list[ContainsVectors] = field(default_factory=list)


@strict
class Vectors:
    format: Literal[1]
    problem: str
    seed: int                             # of the cases the vectors were picked from
    grader_version: str
    about: dict[str, dict[str, str]]      # case set -> family -> words for check names
    cases: dict[str, StoredCase]
    parts: dict[str, PartVectors]


def decode(value: Value):
    if isinstance(value, Array):
        return np.array(value.d, dtype=INPUT_DTYPES.get(value.t, np.float64)).reshape(value.a)
    if isinstance(value, Whole):
        return value.i
    if isinstance(value, Truth):
        return value.b
    return float(value)


def _arrays(values: list[Value] | None) -> list[np.ndarray] | None:
    return None if values is None else [np.asarray(decode(v), dtype=np.float64) for v in values]


def load_vectors(folder: Path, spec: ProblemSpec, cached: bool = False) -> Vectors:
    """The folder's vectors, checked against its spec: every auto part, output and case there.
    cached: as last validated, if unchanged (grader.core.validated)."""
    path = folder / VECTORS
    try:
        vectors = validated.load(path, Vectors, json.loads, cached)
    except (OSError, ValueError) as err:   # unreadable, not JSON (or UTF-8), or not vectors (models.Invalid)
        raise SpecError(f"{path} is not a valid vectors file: {err}") from None
    for part in spec.parts:
        stored = vectors.parts.get(part.id)
        if stored is None:
            raise SpecError(f"{path} has no vectors for part {part.id}")
        wanted = [o.student for o in part.outputs], [(c.student, c.label) for c in part.contains]
        got = [o.student for o in stored.outputs], [(c.student, c.label) for c in stored.contains]
        if wanted != got:
            raise SpecError(f"{path}: part {part.id} stores {got}, but its spec checks {wanted}")
        keys = [e.case for o in stored.outputs for e in o.values] + \
               [e.case for c in stored.contains for e in c.values]
        if any(key not in vectors.cases for key in keys):
            raise SpecError(f"{path}: part {part.id} names a case it does not store")
    return vectors


def _cases(vectors: Vectors) -> dict[str, Case]:
    return {key: Case({name: decode(v) for name, v in c.inputs.items()}, radius=c.radius,
                      family=c.family, index=c.index, group=c.group, label=c.label, key=key,
                      context=c.context)
            for key, c in vectors.cases.items()}


class StoredVectors:
    """The plan's source of cases and expected values in a student kit (grader.core.plan says
    what a source gives): public checks only, on the stored cases."""
    kit = True

    def __init__(self, problem: Problem):
        self.vectors = problem.vectors
        self.stored = _cases(self.vectors)

    def _entries(self, part: Part, output: Output) -> dict[str, Expected]:
        kept = next(k for o, k in zip(part.outputs, self.vectors.parts[part.id].outputs) if o is output)
        return {e.case: e for e in kept.values}

    def about(self, part: Part) -> dict[str, str]:
        return self.vectors.about.get(part.cases, {})

    def cases(self, part: Part, output: Output) -> list[Case]:
        return [self.stored[key] for key in self._entries(part, output)]

    def expected(self, part: Part, output: Output, tree: list, cases: list[Case]) -> list[list[np.ndarray]]:
        entries = self._entries(part, output)
        return [_arrays(entries[c.key].expected) for c in cases]

    def hints(self, part: Part, output: Output, cases: list[Case], expected: list, tol,
              up_to_constant: bool = False) -> Hints | None:
        entries = [self._entries(part, output)[c.key] for c in cases]
        messages = dict.fromkeys(m for e in entries for m in e.hints)
        return Hints.known([(m, [_arrays(e.hints.get(m)) for e in entries]) for m in messages],
                           cases, expected, tol, up_to_constant) if messages else None

    def reference_differences(self, part: Part, output: Output, cases: list[Case]) -> None:
        return None    # no reference here: the kit's gradients are checked against the student's own

    def shapes(self, part: Part, output: Output, tree: list, cases: list[Case]) -> list[tuple]:
        entries = self._entries(part, output)
        return [np.shape(decode(entries[c.key].expected[0])) for c in cases]

    def needles(self, part: Part, item: Contains, count: int) -> list[tuple[Case, list[np.ndarray]]]:
        kept = next(k for c, k in zip(part.contains, self.vectors.parts[part.id].contains) if c is item)
        return [(self.stored[e.case], _arrays(e.needles)) for e in kept.values]

    def case_table(self) -> str:
        return json.dumps({key: case.encoded() for key, case in self.stored.items()})


def summary(problem) -> str:
    """What a kit's `grader check` ran, and what it did not, for the end of its report."""
    spec, vectors = problem.spec, problem.vectors
    cases = _cases(vectors)
    compared = sum(len({cases[e.case].family for e in kept.values})
                   for part in spec.parts for kept in vectors.parts[part.id].outputs)
    own = sum(1 for part in spec.parts for o in part.outputs if o.gradient and o.gradient.checks_own)
    properties = sum(1 for part in spec.parts for o in part.outputs if o.stationary and o.stationary.runs) + \
        sum(len(part.contains) for part in spec.parts)
    return textwrap.fill(f"Student kit: public checks only. It ran {_count(compared, 'comparison')} with the "
            f"reference's outputs on fixed test vectors (stored when the kit was built), "
            f"{_count(own, 'check')} of your gradients against finite differences of your own functions, and "
            f"{_count(properties, 'property check')}. When you submit, the grader also runs hidden checks on randomized inputs and "
            f"checks your gradients against finite differences of the reference, so passing here "
            f"does not promise full marks.", width=100)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
