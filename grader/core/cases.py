"""Seeded inputs. A problem's cases.py supplies generators; this module seeds and labels them.

A generator is `fn(rng, family, index) -> Case | list[Case]`: a list is a group of cases that
share everything but one free input (used to compare values up to an additive constant).
Each (seed, case set, family) pair gets its own stream, so changing one part's counts never
changes another's inputs, and the same seed gives the same cases on any machine with the
same NumPy (PCG64 and its distributions are platform independent).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.core.defaults import DEFAULT_SEED  # noqa: F401  (cases.DEFAULT_SEED, as before)
from grader.errors import SpecError, author_error
from grader.sandbox.protocol import encode_inputs


def _doc(text: str, default=None) -> field:
    """A Case field with its description (docs/authoring.md is generated from these)."""
    return field(default=default, metadata={"doc": text})


@dataclass
class Case:
    """One set of inputs, made by a problem's generator."""
    inputs: dict = field(metadata={"doc": (
        "input name -> value: a Python float, int or bool, or a float64, int or bool NumPy "
        "array; the student's functions get them with these types, fresh for every call")})
    radius: float | None = _doc(
        "the functions are smooth within this max-norm distance of the inputs (no kink, no "
        "jump): finite differences use a case only if radius >= 100 steps; None: smooth everywhere")
    family: str = _doc("set by the engine: the family it was made for", "")
    index: int = _doc("set by the engine: its index within the family (the generator's `index`)", 0)
    group: int = _doc("set by the engine: the cases of one generator call share a group "
                      "(compared up to a constant within it)", 0)
    label: str = _doc("what is special about it, shown in messages (\"unit 2 at its kink\")", "")
    key: str = _doc("set by the engine: \"case set/number\", how a request names it to the child", "")
    context: str = _doc("set by the engine from the case set's `describe`: a line shown under the inputs", "")

    def encoded(self) -> dict:
        """The inputs as the child receives them (a plan's case table holds each case once)."""
        return encode_inputs(self.inputs)


def check_case(case, where: str) -> None:
    """A Case whose inputs are what reaches the student unchanged: Python floats, ints and bools,
    and float64, int or bool arrays."""
    if not isinstance(case, Case):
        raise SpecError(f"{where} gave a {type(case).__name__}, not a Case (or a list of Cases)")
    if not isinstance(case.inputs, dict) or not case.inputs:
        raise SpecError(f"{where} gave a Case whose inputs are not a dict of input name -> value")
    for name, value in case.inputs.items():
        array = isinstance(value, np.ndarray)
        if not isinstance(name, str) or not name.isidentifier():
            raise SpecError(f"{where}: input name {name!r} is not a Python identifier")
        if array and value.dtype != np.float64 and value.dtype.kind not in "biu":
            raise SpecError(f"{where}: input {name!r} is an array of {value.dtype}; the student receives "
                            f"float64, int64 or bool arrays only (make it float64)")
        if not array and not isinstance(value, (float, int, bool, np.floating, np.integer, np.bool_)):
            raise SpecError(f"{where}: input {name!r} is a {type(value).__name__}; inputs are floats, "
                            f"ints, bools and NumPy arrays")
    if case.radius is not None and not case.radius >= 0:
        raise SpecError(f"{where}: radius {case.radius!r} is not a distance (>= 0, or None: smooth everywhere)")


def _stream(seed: int, *names: str) -> np.random.Generator:
    keys = [seed] + [zlib.crc32(name.encode()) for name in names]
    return np.random.default_rng(np.random.SeedSequence(keys))


def generate(generator, case_set_name: str, families: dict[str, int], seed: int,
             folder: Path | None = None) -> list[Case]:
    """Every case of a case set at a seed. A generator that raises or makes something other than
    Cases of the types the child receives is the problem set's mistake: a SpecError naming it
    (folder: the problem's, to say which line of cases.py raised)."""
    cases: list[Case] = []
    group = 0
    for family, count in families.items():
        rng = _stream(seed, case_set_name, family)
        for index in range(count):
            where = f"case set {case_set_name!r}: {getattr(generator, '__name__', 'its generator')}" \
                    f"(rng, {family!r}, {index})"
            try:
                made = generator(rng, family, index)
            except MemoryError:   # past the judge's memory cap: not a mistake of the spec's
                raise
            except Exception as err:
                raise SpecError(f"{where} raised {author_error(err, folder or Path())}") from None
            for case in made if isinstance(made, list) else [made]:
                check_case(case, where)
                case.family, case.index, case.group = family, index, group
                case.key = f"{case_set_name}/{len(cases)}"
                cases.append(case)
            group += 1
    return cases
