"""Raw student outputs (plain JSON from the child) into float64 arrays the judge made itself.

Nothing here trusts the child: every field is type-checked, so a forged reply can fail a check but
never make the judge compare an object by the student's own methods.
"""
from __future__ import annotations

import math

import numpy as np

MAX_ELEMENTS = 1_000_000


class NotNumeric(Exception):
    """The output is not the number or array asked for; the message says what it was."""


def encode_input(value) -> float | dict:
    """Judge -> child: a Python float, or {"a": shape, "d": flat list} for an array."""
    if isinstance(value, np.ndarray):
        return {"a": list(value.shape), "d": value.ravel().tolist()}
    return float(value)


def encode_inputs(inputs: dict) -> dict:
    return {name: encode_input(v) for name, v in inputs.items()}


def _is_number(v) -> bool:
    return type(v) in (int, float)


NUMBER_TYPES = {int, float}


def _array(shape, data) -> np.ndarray:
    if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
        raise NotNumeric("a malformed array")
    if not isinstance(data, list) or len(data) != math.prod(shape) or len(data) > MAX_ELEMENTS \
            or not set(map(type, data)) <= NUMBER_TYPES:     # no bools, strings or lists
        raise NotNumeric("a malformed array")
    return np.array(data, dtype=np.float64).reshape(shape)


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


def as_array(raw: dict) -> np.ndarray:
    """A float64 array (0-d for a number) from a raw result, or NotNumeric."""
    error = failure_text(raw)
    if error:
        raise NotNumeric(error)
    kind = raw.get("t")
    if kind == "num" and _is_number(raw.get("v")):
        return np.array(float(raw["v"]))
    if kind == "arr":
        return _array(raw.get("shape"), raw.get("d"))
    raise NotNumeric(f"returned {describe(raw)}, not a number or an array of numbers")


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


def leaves(raw: dict) -> list[tuple[str, np.ndarray]]:
    """The (path, array) pairs of a leaves result."""
    error = failure_text(raw)
    if error:
        raise NotNumeric(error)
    if raw.get("t") != "leaves" or not isinstance(raw.get("items"), list):
        raise NotNumeric("an unreadable result")
    found = []
    for item in raw["items"][:1000]:
        if isinstance(item, dict):
            found.append((str(item.get("path"))[:200], _array(item.get("shape"), item.get("d"))))
    return found
