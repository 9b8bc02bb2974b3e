"""Central finite differences in float64, the way gradient checkers do them.

Defaults, and why (compare torch.autograd.gradcheck: eps 1e-6, atol 1e-5, rtol 1e-3):
- STEP = 1e-6, scaled by max(1, |v|) per element: central differences have truncation error
  O(h^2 f''') ~ 1e-12 and rounding error ~ eps_machine |f| / h ~ 1e-10 |f|, both far below
  the tolerances for the O(1) inputs our generators make.
- RTOL = 1e-4, ATOL = 1e-5, plus the rounding error the differences themselves carry
  (4 eps_machine max|f| / h): so a large objective (a log posterior of 1e4) is not held to a
  precision its differences cannot have. CS231n calls relative errors above 1e-2 wrong and
  below 1e-4 fine for kinked objectives; we are between torch and them.
- Never across a kink: a case is used only if its generator promises the function is smooth
  within `radius` of it, and radius >= SAFETY * the largest step (the engine filters).
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

STEP = 1e-6
RTOL = 1e-4
ATOL = 1e-5
SAFETY = 100.0
EPS_MACHINE = np.finfo(np.float64).eps


def safe_cases(cases: list, wrt: str, count: int) -> list:
    """The first `count` cases whose generator promises smoothness within SAFETY steps of `wrt`
    (a case's radius; None: smooth everywhere)."""
    return [c for c in cases if c.radius is None or c.radius >= SAFETY * max_step(c.inputs[wrt])][:count]


def steps(value) -> Iterator[tuple[tuple, float]]:
    """(index, h) for each element of a float or array input."""
    array = np.asarray(value, dtype=np.float64)
    for index in np.ndindex(array.shape):
        yield index, STEP * max(1.0, abs(float(array[index])))


def max_step(value) -> float:
    return STEP * max(1.0, float(np.max(np.abs(value))))


def perturbed(value, index: tuple, delta: float):
    """A copy of value with one element moved by delta; a float stays a float."""
    if isinstance(value, np.ndarray):
        moved = value.copy()
        moved[index] += delta
        return moved
    return float(value) + delta


def points(inputs: dict, wrt: str) -> list[dict]:
    """The 2n input sets a central difference in `wrt` needs: (+h, -h) for each element."""
    out = []
    for index, h in steps(inputs[wrt]):
        for sign in (1.0, -1.0):
            out.append({**inputs, wrt: perturbed(inputs[wrt], index, sign * h)})
    return out


def differences(inputs: dict, wrt: str, values: list[float],
                scale: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(gradient estimate shaped like inputs[wrt], its rounding error) from f at points(...).
    scale: the size of f's terms, where f is a sum whose terms may cancel (sum(weights * out)):
    its rounding follows them, not the sum."""
    shape = np.shape(inputs[wrt])
    hs = np.array([h for _, h in steps(inputs[wrt])])
    f = np.asarray(values, dtype=np.float64).reshape(-1, 2)
    with np.errstate(invalid="ignore", over="ignore"):
        grad = (f[:, 0] - f[:, 1]) / (2 * hs)
        rounding = 4 * EPS_MACHINE * np.maximum(np.max(np.abs(f), axis=1), scale) / hs
    return grad.reshape(shape), rounding.reshape(shape)


def numeric_gradient(f: Callable[[dict], float], inputs: dict, wrt: str, scale: float = 0.0):
    """For a trusted f (the reference) in this process."""
    return differences(inputs, wrt, [f(p) for p in points(inputs, wrt)], scale)


def pick(cases: list, wrt: str, families: list[str], count: int) -> list:
    """A finite-difference check's cases: the first `count` safe ones (safe_cases) of the named
    families (every family when none are named)."""
    return safe_cases([c for c in cases if not families or c.family in families], wrt, count)


def noise(values: list[float]) -> float:
    """The largest second difference |f(v+h) - 2 f(v) + f(v-h)| over the elements, on the scale
    max(1, |f(v)|), from f at the case then at points(...). For a function smooth within the
    steps and computed in float64 it is h^2 f'' plus rounding (about 1e-12 for our inputs); one
    computed in float32 jumps by its rounding, about 1e-7."""
    centre = values[0]
    pairs = np.asarray(values[1:], dtype=np.float64).reshape(-1, 2)
    with np.errstate(invalid="ignore", over="ignore"):
        second = np.abs(pairs[:, 0] - 2 * centre + pairs[:, 1]) / max(1.0, abs(centre))
    return float(np.nan_to_num(np.max(second, initial=0.0), nan=0.0))
