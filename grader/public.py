"""Public mode: the checks a student kit runs, built from stored data instead of a reference.

A kit's problem folder holds spec.toml and `vectors.json` (written by grader.kit from the
reference when the kit is built): a few fixed cases per case set, the expected outputs on them
as JSON numbers, and the values a `contains` check looks for. From these the same check
functions as the full grader are built (grader.judge.checks), so comparisons and messages are the
same; only the checks that need the reference itself (differences of its forward on new
points, randomized cases) are left for the submission. A student's gradient against finite
differences of their own forward, advisory in the full grader, counts here.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from grader.core import expr
from grader.core.cases import Case
from grader.core.plan import PlannedCheck
from grader.judge import checks, contains, gradcheck, own
from grader.judge.hints import Hints

VECTORS = "vectors.json"
FORMAT = 1
FD_CASES = 4                 # as the full grader: cases per finite-difference check


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Array(Strict):
    """As grader.judge.wire.encode_input: shape and flat data."""
    a: list[int]
    d: list[float]


Value = float | Array


class StoredCase(Strict):
    inputs: dict[str, Value]
    family: str
    index: int
    group: int
    label: str = ""
    radius: float | None = None
    context: str = ""                     # the case set's describe line, made when the kit was built


class Expected(Strict):
    case: str
    expected: list[Value]                 # every equally right answer
    # a common mistake's outputs on this case (one per convention; None: no claim), by its
    # message: only hints whose message gives no answer away (in_kit) are stored
    hints: dict[str, list[Value] | None] = {}


class OutputVectors(Strict):
    student: str
    values: list[Expected]


class Needles(Strict):
    case: str
    needles: list[Value]                  # the values any one of which must be found


class ContainsVectors(Strict):
    student: str
    label: str
    values: list[Needles]


class PartVectors(Strict):
    outputs: list[OutputVectors] = []
    contains: list[ContainsVectors] = []


class Vectors(Strict):
    format: Literal[1]
    problem: str
    seed: int                             # of the cases the vectors were picked from
    grader_version: str
    about: dict[str, dict[str, str]]      # case set -> family -> words for check names
    cases: dict[str, StoredCase]
    parts: dict[str, PartVectors]


def decode(value: Value):
    if isinstance(value, Array):
        return np.array(value.d, dtype=np.float64).reshape(value.a)
    return float(value)


def _stored(values: list[Value] | None) -> list[np.ndarray] | None:
    return None if values is None else [np.asarray(decode(v), dtype=np.float64) for v in values]


def load_vectors(folder: Path, spec) -> Vectors:
    """The folder's vectors, checked against its spec: every auto part, output and case there."""
    from grader.errors import SpecError
    path = folder / VECTORS
    try:
        vectors = Vectors.model_validate_json(path.read_text())
    except (OSError, ValidationError) as err:
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


def _fd_safe(cases: list[Case], wrt: str) -> list[Case]:
    return gradcheck.safe_cases(list({c.key: c for c in cases}.values()), wrt, FD_CASES)


def _output_checks(problem, output, stored: OutputVectors, cases: dict[str, Case],
                   about: dict[str, str]) -> list[PlannedCheck]:
    tree, text = expr.parse(output.student), output.student
    shown = expr.show(tree)
    tol = output.tolerance or problem.spec.tolerance
    found = []
    families: dict[str, list[Expected]] = {}
    for entry in stored.values:
        families.setdefault(cases[entry.case].family, []).append(entry)
    for family, entries in families.items():
        members = [cases[e.case] for e in entries]
        expected = [[np.asarray(decode(v), dtype=np.float64) for v in e.expected] for e in entries]
        count = len({c.group for c in members}) if output.up_to_constant else len(members)
        make = checks.differences_match if output.up_to_constant else checks.values_match
        messages = dict.fromkeys(m for e in entries for m in e.hints)
        told = Hints.known([(m, [_stored(e.hints.get(m)) for e in entries]) for m in messages],
                           members, expected, tol, output.up_to_constant) if messages else None
        found.append(PlannedCheck(
            name=f"{shown} matches the reference on {count} fixed {about.get(family, family + ' cases')}",
            points=output.points, hidden=False,
            check=make(tree=tree, text=shown, cases=members, expected=expected, tol=tol, about=family,
                       hints=told)))
    mine = [cases[e.case] for e in stored.values]
    if output.gradient:
        g = output.gradient
        safe = _fd_safe(mine, g.wrt)
        of_tree = expr.parse(g.of)
        found.append(PlannedCheck(
            name=f"{shown} agrees with finite differences of your own {expr.show(of_tree)} "
                 f"({len(safe)} fixed cases)",
            points=g.own_points or g.ref_points, hidden=False,
            check=own.gradient_vs_own(tree=tree, text=shown, of_tree=of_tree, of_text=expr.show(of_tree),
                                      wrt=g.wrt, cases=safe)))
    if output.stationary:
        s = output.stationary
        some = list({c.key: c for c in mine}.values())[:FD_CASES]
        shapes = {e.case: np.shape(decode(e.expected[0])) for e in stored.values}
        of_tree = expr.parse(s.of)
        found.append(PlannedCheck(
            name=f"{text} is a stationary point of your own {s.of} ({len(some)} fixed cases)",
            points=s.points or 1.0, hidden=False,
            check=own.stationary_point(tree=tree, text=shown, of_tree=of_tree, of_text=expr.show(of_tree),
                                       wrt=s.wrt, cases=some, shapes=[shapes[c.key] for c in some])))
    return found


def plan(problem) -> tuple[dict[str, list[PlannedCheck]], str]:
    """(part id -> checks, the case table the child holds), as engine.Plan makes them."""
    vectors = problem.vectors
    cases = _cases(vectors)
    made = {}
    for part in problem.spec.parts:
        stored = vectors.parts[part.id]
        about = vectors.about.get(part.cases, {})
        found = [c for output, kept in zip(part.outputs, stored.outputs)
                 for c in _output_checks(problem, output, kept, cases, about)]
        for item, kept in zip(part.contains, stored.contains):
            chosen = [(cases[e.case], [np.asarray(decode(n), dtype=np.float64) for n in e.needles])
                      for e in kept.values]
            tree = expr.parse(item.student)
            found.append(PlannedCheck(
                name=f"{item.student} holds {item.label} ({len(chosen)} fixed cases)", points=item.points,
                hidden=False, check=contains.holds(tree=tree, text=expr.show(tree), label=item.label,
                                                   chosen=chosen)))
        made[part.id] = found
    return made, json.dumps({key: case.encoded() for key, case in cases.items()})


def summary(problem) -> str:
    """What a kit's `grader check` ran, and what it did not, for the end of its report."""
    spec, vectors = problem.spec, problem.vectors
    cases = _cases(vectors)
    compared = sum(len({cases[e.case].family for e in kept.values})
                   for part in spec.parts for kept in vectors.parts[part.id].outputs)
    own = sum(1 for part in spec.parts for o in part.outputs if o.gradient)
    properties = sum(1 for part in spec.parts for o in part.outputs if o.stationary) + \
        sum(len(part.contains) for part in spec.parts)
    return textwrap.fill(f"Student kit: public checks only. It ran {compared} comparisons with the reference's "
            f"outputs on fixed test vectors (stored when the kit was built), {own} checks of your "
            f"gradients against finite differences of your own functions, and {properties} property "
            f"checks. When you submit, the grader also runs hidden checks on randomized inputs and "
            f"checks your gradients against finite differences of the reference, so passing here "
            f"does not promise full marks.", width=100)
