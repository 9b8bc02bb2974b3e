"""Precision mistakes: values computed in float32 (or float16) where the grader compares at
float64's precision. The inputs are float64; a student who casts them (`.astype(np.float32)`,
`dtype=np.float32`, `np.float32(x)`) gets right values to about 7 significant digits, which the
spec's tolerance (1e-6 relative) does not accept. Float32 still fails; the message says why.

The evidence, from a failing check's values:
- the dtype the values had in the student's process (the child reports it, values.dtype_of);
- values that are all exactly float32 numbers (cast to float32 and back to float64);
- values that agree with the expected ones to about float32's precision on every failed case
  (BAND). Ordinary mistakes do not: on the first problem set's cases (3 to 5 seeds) float32
  solutions stay within 2.2e-5 of that scale (1.3e-7 for values up to a constant), and every
  mutant in tests/solutions is off by over 0.1 of it somewhere.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.judge import compare as cmp
from grader.judge.values import dtype_of

DIGITS = {"float16": 3, "float32": 7}    # significant decimal digits each keeps, about
BAND = 1e-3     # agreement "to float32 precision": |got - expected| <= BAND * scale
FLOOR = 1e-2    # added to the scale, so an expected 0 (a unit at its kink) allows float32's noise
NOISE = 1e-10   # gradcheck.noise above this: a forward too coarse for the step (float64
                # correct solutions stay under 2e-12 on the test problems, float32 ones reach 1e-8 to 1e-6)
EXACT = "float32 numbers"   # Finding.dtype when the values are exactly float32, dtype unknown
ADVICE = ("compute in float64 (the inputs are float64: avoid .astype(np.float32), "
          "dtype=np.float32 and np.float32(...))")
PREFIX = "precision: "      # every precision hint and note starts so (machine-readable)


@dataclass
class Finding:
    dtype: str | None     # "float32"/"float16" as reported, EXACT, or None (agreement only)
    explained: bool       # every failed case agrees with a right answer to float32 precision


def low_dtype(raws) -> str | None:
    found = {dtype_of(raw) for raw in raws}
    return next((name for name in DIGITS if name in found), None)


def float32_exact(arrays) -> bool:
    """Every value is a float32 number, and some need more than float16's 11 bits (0.5 or 3.0
    are exact in any dtype, so they say nothing)."""
    kept = [a.ravel() for a in arrays if a is not None and a.size]
    if not kept:
        return False
    flat = np.concatenate(kept)
    flat = flat[np.isfinite(flat)]
    with np.errstate(over="ignore"):
        exact = flat.astype(np.float32).astype(np.float64) == flat
        beyond_half = flat.astype(np.float16).astype(np.float64) != flat
    return bool(flat.size and exact.all() and beyond_half.any())


def close32(expected: np.ndarray, got: np.ndarray) -> bool:
    """got agrees with expected to about float32's precision, entry by entry, on the scale of
    the entry and of the largest entry (float32's rounding errors come from the largest terms)."""
    fitted, _, error = cmp.fit_shape(expected.shape, got)
    if error:
        return False
    scale = np.abs(expected) + np.max(np.abs(expected), initial=0.0) + FLOOR
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs(fitted - expected) <= BAND * scale))


def close32_differences(right: np.ndarray, mine: np.ndarray) -> bool:
    """As close32, for values compared up to an additive constant (grader.judge.hints.compare_differences)."""
    scale = np.max(np.abs(right)) + np.max(np.abs(right - right[0])) + FLOOR
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs((mine[1:] - mine[0]) - (right[1:] - right[0])) <= BAND * scale))


def finding(raws: list, gots: list, explained: bool) -> Finding | None:
    """What precision says about a failing check, or None: nothing. raws, gots: every case's raw
    result and array (None where there is none); explained: whether every failed case agrees
    with a right answer to float32 precision."""
    dtype = low_dtype(raws) or (EXACT if float32_exact(gots) else None)
    if dtype is None and not explained:
        return None
    return Finding(dtype, explained)


def _what(found: Finding) -> str:
    if found.dtype in DIGITS:
        return f"your values are {found.dtype} (NumPy {found.dtype} keeps about {DIGITS[found.dtype]} significant digits"
    if found.dtype == EXACT:
        return "your values are float32 numbers made float64 again (float32 keeps about 7 significant digits"
    return "your values agree with the expected ones only to about 7 significant digits (as float32 would"


def hint(found: Finding, rtol: float) -> str:
    """The hint when precision explains the failure (or the values are float16)."""
    return f"{PREFIX}{_what(found)}; the grader compares to {rtol:g} relative): {ADVICE}"


def note(found: Finding) -> str:
    """The note when the values are float32 but further off than float32's rounding explains
    (the same words for every check of a part, so a report says it once)."""
    return f"{PREFIX}{_what(found)}): {ADVICE}; rounding alone does not explain this failure, though"


def tell(found: Finding | None, rtol: float) -> tuple[str | None, str | None]:
    """(hint, note): at most one of them."""
    if found is None:
        return None, None
    if found.explained or found.dtype == "float16":
        return hint(found, rtol), None
    return None, note(found)


def forward_advice(of_text: str, why: str, step: float, judged: str, dtype: str = "float32") -> str:
    """For a check made of finite differences of the student's own float32 forward."""
    return (f"{PREFIX}your {of_text} {why}: the finite-difference step ({step:g}) is below "
            f"{dtype}'s resolution, so this check cannot judge {judged}; {ADVICE}")


def held(path: str, label: str, rtol: float) -> str:
    """For a cache whose value equals a wanted one only to float32's precision."""
    return (f"{PREFIX}{path} equals {label} only to about float32's 7 significant digits (the "
            f"grader looks for it to {rtol:g} relative): {ADVICE}")
