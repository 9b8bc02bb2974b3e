"""Compare a student's array with an expected one, and say what mismatched, by how much, where.

Modelled on numpy.testing.assert_allclose: elementwise |got - expected| <= atol + rtol*|expected|,
NaN equal only to NaN, and a message with the mismatch count and the largest absolute and
relative differences with their indices. The contract's shape rule lives here too.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

np_print = dict(precision=6, suppress=False, threshold=40, edgeitems=3, linewidth=88)


@dataclass
class Comparison:
    passed: bool
    message: str = ""      # why it failed
    note: str = ""         # something accepted, worth telling (a squeezed shape)
    brief: str = ""        # why it failed, in one line (per-case listings)
    kind: str = "passed"   # why, for machines: wrong_shape, wrong_value or not_a_number


def show(array: np.ndarray, label: str = "") -> str:
    """label, then the array; rows after the first line up under the first row."""
    if array.dtype.kind in "biu":   # an int or bool input shows as the student got it
        return label + (repr(array.item()) if array.ndim == 0 else np.array2string(array, separator=", ", prefix=label))
    array = array + 0.0   # -0.0 shows as 0.0: the sign of a zero is noise here
    if array.ndim == 0:
        return f"{label}{float(array)!r}"
    with np.printoptions(**np_print):
        return label + np.array2string(array, separator=", ", prefix=label)


def distinct(values) -> list[np.ndarray]:
    """float64 arrays of the values, duplicates (same shape, same numbers, NaN equal) dropped."""
    kept: list[np.ndarray] = []
    for value in values:
        value = np.asarray(value, dtype=np.float64)
        if not any(v.shape == value.shape and np.array_equal(v, value, equal_nan=True) for v in kept):
            kept.append(value)
    return kept


def squeezed(shape: tuple) -> tuple:
    return tuple(n for n in shape if n != 1)


def _what(shape: tuple) -> str:
    return "a scalar" if shape == () else f"shape {shape}"


def shape_advice(expected_shape: tuple, got_shape: tuple) -> str:
    """What a wrong shape usually means, when it is one of the common slips."""
    if len(expected_shape) == 2 and got_shape == expected_shape[::-1]:
        return " (the transpose of the expected shape?)"
    if len(expected_shape) == 2 and 1 in expected_shape and got_shape == (max(expected_shape),) * 2:
        return (f" (a ({got_shape[0]}, 1) and a (1, {got_shape[0]}) array broadcast into a square; "
                "a transpose missing or extra?)")
    return ""


def shape_note(expected_shape: tuple, got_shape: tuple) -> str:
    """The note on a shape accepted because only size-1 dimensions differ."""
    return (f"returned shape {got_shape} where {_what(expected_shape)} was expected; "
            "accepted (only size-1 dimensions differ)")


def fit_shape(expected_shape: tuple, got: np.ndarray) -> tuple[np.ndarray | None, str, str]:
    """(got reshaped to expected, note, error). Shapes that differ only by size-1 dims pass with a note."""
    if got.shape == expected_shape:
        return got, "", ""
    if squeezed(got.shape) == squeezed(expected_shape):
        return got.reshape(expected_shape), shape_note(expected_shape, got.shape), ""
    return None, "", (f"wrong shape: expected {_what(expected_shape)}, got shape {got.shape}"
                      + shape_advice(expected_shape, got.shape))


def _index(flat: int, shape: tuple) -> str:
    return str(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else "(scalar)"


MAX_LISTED = 5   # mismatched entries listed one by one, as numpy.testing does


def _listed(bad: np.ndarray, expected: np.ndarray, got: np.ndarray) -> list[str]:
    """Which entries are off, when the arrays printed above do not make it plain already."""
    if expected.size <= 1 or (bad.all() and expected.size <= np_print["threshold"]):
        return []
    where = np.flatnonzero(bad)
    lines = ["Mismatch at index:"] + [
        f"  {_index(int(i), expected.shape)}: got {float(got.ravel()[i]) + 0.0!r}, "
        f"expected {float(expected.ravel()[i]) + 0.0!r}"
        for i in where[:MAX_LISTED]]
    if len(where) > MAX_LISTED:
        lines.append(f"  ... and {len(where) - MAX_LISTED} more")
    return lines


def _not_finite(got: np.ndarray, expected: np.ndarray) -> list[str]:
    """Say so when got holds NaN or inf where the expected value is finite."""
    lines = []
    for word, found in (("NaN", np.isnan(got)), ("inf", np.isinf(got))):
        found &= np.isfinite(expected)
        if found.any():
            first = _index(int(np.flatnonzero(found)[0]), expected.shape)
            lines.append(f"got holds {int(found.sum())} {word} where a finite number was expected "
                         f"(first at {first})")
    return lines


def allclose(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float,
             scale: float | np.ndarray | None = None) -> Comparison:
    """got already has expected's shape. scale replaces |expected| in the tolerance when given."""
    reference = np.abs(expected) if scale is None else np.broadcast_to(scale, expected.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got - expected)
        bad = ~(error <= atol + rtol * reference)
    both_nan = np.isnan(got) & np.isnan(expected)
    same_inf = np.isinf(got) & (got == expected)
    bad &= ~(both_nan | same_inf)
    if not bad.any():
        return Comparison(True)
    kind = "not_a_number" if np.any(bad & ~np.isfinite(got) & np.isfinite(expected)) else "wrong_value"
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(bad, error / np.abs(expected), 0.0)   # inf where expected is 0
        absolute = np.where(bad, error, 0.0)
    absolute = np.nan_to_num(absolute, nan=np.inf, posinf=np.inf)
    relative = np.nan_to_num(relative, nan=np.inf, posinf=np.inf)
    worst_abs, worst_rel = int(np.argmax(absolute)), int(np.argmax(relative))
    largest = f"{absolute.ravel()[worst_abs]:.6g} at {_index(worst_abs, expected.shape)}"
    lines = [
        f"Mismatched elements: {int(bad.sum())} / {bad.size} ({100 * bad.mean():.3g}%)",
        *_listed(bad, expected, got),
        f"Max absolute difference: {largest}",
        f"Max relative difference: {relative.ravel()[worst_rel]:.6g} at {_index(worst_rel, expected.shape)}",
        *_not_finite(got, expected),
        f"tolerance: |got - expected| <= {atol:g} + {rtol:g} * |expected|",
    ]
    if bad.size == 1:
        brief = f"expected {expected.item() + 0.0:.6g}, got {got.item() + 0.0:.6g}"
    else:
        brief = f"{int(bad.sum())} of {bad.size} entries off, max absolute difference {largest}"
    return Comparison(False, "\n".join(lines), brief=brief, kind=kind)


def matches(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> bool:
    """The verdict of compare() without its message, cheaply. Call it under
    np.errstate(all="ignore"), as the engine does: an errstate per call would cost more than
    the comparison, and a student's inf or NaN is a verdict, not a warning."""
    if got.shape != expected.shape:
        fitted, _, error = fit_shape(expected.shape, got)
        if error:
            return False
        got = fitted
    close = np.abs(got - expected) <= atol + rtol * np.abs(expected)
    if close.all():
        return True
    same = (np.isnan(got) & np.isnan(expected)) | (np.isinf(got) & (got == expected))
    return bool((close | same).all())


def compare(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float,
            scale=None, expected_label: str = "expected") -> Comparison:
    """Shape rule, then values; the message shows expected against got, labels padded alike."""
    if scale is None and got.shape == expected.shape and matches(expected, got, rtol, atol):
        return Comparison(True)   # the common case, kept cheap
    width = max(len(expected_label), len("got")) + 2
    fitted, note, error = fit_shape(expected.shape, got)
    if fitted is None:
        shown = (f"{show(expected, f'{expected_label}:'.ljust(width))}\n"
                 f"{show(got if got.size <= 10 * max(expected.size, 1) else got.ravel()[:40], 'got:'.ljust(width))}")
        return Comparison(False, f"{error}\n{shown}", brief=error, kind="wrong_shape")
    result = allclose(expected, fitted, rtol, atol, scale)
    result.note = note
    if not result.passed:
        shown = f"{show(expected, f'{expected_label}:'.ljust(width))}\n{show(fitted, 'got:'.ljust(width))}"
        result.message = f"{shown}\n{result.message}"
    return result
