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

import numpy as np

from grader.sandbox.protocol import encode_inputs

DEFAULT_SEED = 182   # EECS 182; `grader check --seed N` changes it


@dataclass
class Case:
    inputs: dict                      # name -> Python float or float64 array
    radius: float | None = None       # the function is smooth within this max-norm distance; None = everywhere
    family: str = ""
    index: int = 0                    # position within its family, for messages
    group: int = 0                    # cases with the same group share all but the free input
    label: str = ""                   # what is special about it, for messages ("unit 2 at its kink")
    key: str = ""                     # "case set/number": how a request names it to the child
    context: str = ""                 # a line of context for messages (the case set's describe)
    _encoded: dict | None = field(default=None, repr=False)

    def encoded(self) -> dict:
        """The inputs as the child receives them, made once: many checks send the same case."""
        if self._encoded is None:
            self._encoded = encode_inputs(self.inputs)
        return self._encoded


def _stream(seed: int, *names: str) -> np.random.Generator:
    keys = [seed] + [zlib.crc32(name.encode()) for name in names]
    return np.random.default_rng(np.random.SeedSequence(keys))


def generate(generator, case_set_name: str, families: dict[str, int], seed: int) -> list[Case]:
    cases: list[Case] = []
    group = 0
    for family, count in families.items():
        rng = _stream(seed, case_set_name, family)
        for index in range(count):
            made = generator(rng, family, index)
            for case in made if isinstance(made, list) else [made]:
                case.family, case.index, case.group = family, index, group
                case.key = f"{case_set_name}/{len(cases)}"
                cases.append(case)
            group += 1
    return cases
