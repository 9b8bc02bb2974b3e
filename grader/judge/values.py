"""Raw student outputs (results grader.sandbox.protocol checked) into float64 arrays: read-only
views of the numbers the judge read from the wire, never objects of the student's. A well-formed
result can fail a check but never make the judge compare an object by the student's own methods,
or work in proportion to what the student sent.
"""
from __future__ import annotations

import math

import numpy as np

from grader.judge import compare as cmp
from grader.sandbox.protocol import MAX_DIMS, MAX_ELEMENTS, MAX_LEAVES, NUMBER_TYPES, WIRE_DTYPE, Results


class NotNumeric(Exception):
    """The output is not the number or array asked for; the message says what it was, and kind
    why, for machines (a grader.judge.verdict.Kind)."""

    def __init__(self, message: str, kind: str = "not_a_number"):
        super().__init__(message)
        self.kind = kind


# ---- results: checked dicts -> arrays -----------------------------------------------------------

def _is_number(v) -> bool:
    return type(v) in NUMBER_TYPES


def _array(shape, data) -> np.ndarray:
    """The array of a result (protocol.parse_reply made `data`, a flat float64 view), checked again."""
    if not (isinstance(shape, list) and len(shape) <= MAX_DIMS
            and all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape)):
        raise NotNumeric("a malformed array", "malformed")
    if type(data) is not np.ndarray or data.dtype != WIRE_DTYPE or data.ndim != 1 \
            or data.size != math.prod(shape) or data.size > MAX_ELEMENTS:
        raise NotNumeric("a malformed array", "malformed")
    return data.reshape(shape)


def declared_shape(raw) -> tuple | None:
    """The shape an array result says it has (checked by clean_result), before any array is made."""
    if type(raw) is dict and raw.get("t") == "arr" and type(raw.get("shape")) is list:
        return tuple(raw["shape"])
    return None


def oversized(raw, expected_shape: tuple) -> str | None:
    """A refusal naming both shapes, for an array result too big to be the expected shape or to
    be shown beside it (compare.compare shows at most 10 times the expected size): so judging
    a result costs at most a multiple of what the reference returns, whatever the student sent."""
    shape = declared_shape(raw)
    if shape is None or not all(type(n) is int for n in shape):
        return None
    size = math.prod(shape)
    if size <= max(10 * math.prod(expected_shape), 40):
        return None
    return f"wrong shape: expected {cmp._what(tuple(expected_shape))}, got shape {shape} ({size} numbers)"


FAILURE_KINDS = {"raised": "raised", "missing": "missing", "toobig": "too_big"}   # the child's words


def failure(raw: dict) -> NotNumeric | None:
    """For a raw result that is an error (raised, missing, too big, unreadable), what to raise."""
    text = failure_text(raw)
    if text is None:
        return None
    return NotNumeric(text, FAILURE_KINDS.get(raw.get("t"), "malformed") if isinstance(raw, dict) else "malformed")


def missing(raw) -> str | None:
    """The sentence for a function, key or index that is not there at all, else None."""
    return failure_text(raw) if isinstance(raw, dict) and raw.get("t") == "missing" else None


def failure_text(raw: dict) -> str | None:
    """For a raw result that is an error (raised, missing, too big), the sentence for it."""
    if not isinstance(raw, dict):
        return "an unreadable result"
    kind = raw.get("t")
    if kind == "raised":
        where = f" at {raw.get('where')}" if raw.get("where") else ""
        text = f"raised {str(raw.get('type'))[:80]}{where}: {str(raw.get('msg'))[:300]}"
        if "only 0-dimensional arrays can be converted" in str(raw.get("msg")) or \
                "only length-1 arrays" in str(raw.get("msg")):
            text += (" (NumPy 2 no longer converts an array of shape (1, 1) with float(); "
                     "use .item() or index it)")
        return text
    if kind in ("missing", "toobig"):
        return str(raw.get("msg"))[:400]
    return None


def describe(raw: dict) -> str:
    kind = raw.get("t") if isinstance(raw, dict) else None
    if kind == "none":
        return "None"
    if kind in ("dict", "seq", "other"):
        return f"a {str(raw.get('type'))[:60]}"
    return "something else"


def as_array(raw: dict, expected_shape: tuple | None = None) -> np.ndarray:
    """A float64 array (0-d for a number) from a raw result, or NotNumeric. With the expected
    shape, an array far bigger than it is refused before it is made (see oversized)."""
    if (error := failure(raw)):
        raise error
    if expected_shape is not None and (refusal := oversized(raw, expected_shape)):
        raise NotNumeric(refusal, "wrong_shape")
    kind = raw.get("t")
    if kind == "num" and _is_number(raw.get("v")):
        return np.array(float(raw["v"]))
    if kind == "arr":
        return _array(raw.get("shape"), raw.get("a"))
    raise NotNumeric(f"returned {describe(raw)}, not a number or an array of numbers")


def flat_numbers(raws: list, shapes: list[list[int]], sizes: list[int],
                 squeezed: list[list[int]] | None = None) -> tuple[np.ndarray, int | None] | None:
    """Every result's numbers in one flat float64 array, if each is a well-formed number or
    array of exactly its shape (a number for shape []), or with `squeezed` (each shape without
    its size-1 dimensions) of a shape that differs from it only by size-1 dimensions; else None.
    With the array, the index of the first result whose shape differs (None: none does). For
    checking all cases at once. A reply read at once (protocol.Results) whose results have
    exactly these shapes gives its numbers as they are."""
    if type(raws) is Results and raws.shapes == shapes:
        return raws.numbers, None
    data: list = []
    reshaped = None
    for i, (raw, shape, size) in enumerate(zip(raws, shapes, sizes)):
        if type(raw) is not dict:
            return None
        kind = raw.get("t")
        if kind == "num" and type(raw.get("v")) is float:
            if shape and (squeezed is None or squeezed[i]):
                return None
            if shape and reshaped is None:
                reshaped = i
            data.append(np.array([raw["v"]]))
            continue
        if kind != "arr" or type(raw.get("a")) is not np.ndarray or raw["a"].dtype != WIRE_DTYPE \
                or raw["a"].size != size:
            return None
        got = raw.get("shape")
        if got != shape:
            if squeezed is None or type(got) is not list or not all(type(n) is int for n in got) \
                    or [n for n in got if n != 1] != squeezed[i]:
                return None
            if reshaped is None:
                reshaped = i
        data.append(raw["a"])
    if len(data) != len(shapes):
        return None
    return (np.concatenate(data) if data else np.zeros(0)), reshaped


# The dtype names a reply may carry ("dt" of an array, "type" of a number); any other name is
# ignored, so a forged reply can at most change the words of its own message.
DTYPES = frozenset({"float16", "float32", "float64", "longdouble", "float128", "float", "int",
                    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"})


def dtype_of(raw) -> str | None:
    """The dtype the student's value had before the child made it float64, if it says a known one."""
    if not isinstance(raw, dict):
        return None
    name = raw.get("dt") if raw.get("t") == "arr" else raw.get("type") if raw.get("t") == "num" else None
    return name if type(name) is str and name in DTYPES else None


def leaves(raw: dict, sizes: set[int]) -> list[tuple[str, tuple, np.ndarray | None]]:
    """The (path, shape, array) of each leaf of a leaves result; the array only for a leaf whose
    size is one of `sizes` (what is looked for), so the judge never converts the rest."""
    if (error := failure(raw)):
        raise error
    if raw.get("t") != "leaves" or not isinstance(raw.get("items"), list):
        raise NotNumeric("an unreadable result", "malformed")
    found = []
    for item in raw["items"][:MAX_LEAVES]:
        shape = item.get("shape") if isinstance(item, dict) else None
        if not (isinstance(shape, list) and all(type(n) is int for n in shape)):
            continue
        wanted = math.prod(shape) in sizes
        found.append((str(item.get("path"))[:200], tuple(shape),
                      _array(shape, item.get("a")) if wanted else None))
    return found
