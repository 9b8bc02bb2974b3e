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


def show(array: np.ndarray) -> str:
    if array.ndim == 0:
        return repr(float(array))
    with np.printoptions(**np_print):
        return np.array2string(array, separator=", ", prefix="    ").replace("\n", "\n    ")


def squeezed(shape: tuple) -> tuple:
    return tuple(n for n in shape if n != 1)


def fit_shape(expected_shape: tuple, got: np.ndarray) -> tuple[np.ndarray | None, str, str]:
    """(got reshaped to expected, note, error). Shapes that differ only by size-1 dims pass with a note."""
    if got.shape == expected_shape:
        return got, "", ""
    if squeezed(got.shape) == squeezed(expected_shape):
        what = "a scalar" if expected_shape == () else f"shape {expected_shape}"
        note = f"returned shape {got.shape} where {what} was expected; accepted (only size-1 dimensions differ)"
        return got.reshape(expected_shape), note, ""
    what = "a scalar" if expected_shape == () else f"shape {expected_shape}"
    return None, "", f"wrong shape: expected {what}, got shape {got.shape}"


def _index(flat: int, shape: tuple) -> str:
    return str(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else "(scalar)"


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
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(bad, error / np.abs(expected), 0.0)
        absolute = np.where(bad, error, 0.0)
    absolute = np.nan_to_num(absolute, nan=np.inf)
    relative = np.nan_to_num(relative, nan=np.inf)
    worst_abs, worst_rel = int(np.argmax(absolute)), int(np.argmax(relative))
    lines = [
        f"Mismatched elements: {int(bad.sum())} / {bad.size} ({100 * bad.mean():.3g}%)",
        f"Max absolute difference: {absolute.ravel()[worst_abs]:.6g} at {_index(worst_abs, expected.shape)}",
        f"Max relative difference: {relative.ravel()[worst_rel]:.6g} at {_index(worst_rel, expected.shape)}",
        f"tolerance: |got - expected| <= {atol:g} + {rtol:g} * |expected|",
    ]
    return Comparison(False, "\n".join(lines))


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
            scale=None) -> Comparison:
    """Shape rule, then values; the message shows expected against got."""
    if scale is None and got.shape == expected.shape and matches(expected, got, rtol, atol):
        return Comparison(True)   # the common case, kept cheap
    fitted, note, error = fit_shape(expected.shape, got)
    if fitted is None:
        return Comparison(False, error)
    result = allclose(expected, fitted, rtol, atol, scale)
    result.note = note
    if not result.passed:
        result.message = f"expected: {show(expected)}\ngot:      {show(fitted)}\n{result.message}"
    return result
