"""The wire format as the judge reads and writes it: frames from the child parsed with bounded
work, each result checked field by field (the child's own encoding: grader/child.py), and inputs
encoded for the child. The sandbox's protocol will take this over (issue 12); until then, nothing
else in grader parses a frame.

Nothing here trusts the child: a frame is any bytes the student's code chose to write (the pipe
and the nonce can both be found from inside the child), so it is parsed with bounded work and
checked field by field before anything else reads it. A malformed frame raises Malformed, which
fails the call that sent it.
"""
from __future__ import annotations

import json
import math

import numpy as np

from grader.sandbox.child import MAX_DEPTH, MAX_ELEMENTS, MAX_LEAVES

MAX_FRAME_BYTES = 16 << 20     # a longer frame is refused by its length header, unread
# Caps a frame written by the child cannot reach within MAX_FRAME_BYTES (json.dumps puts ", "
# between values, a number takes 3 characters or more, and the densest containers it writes,
# a dict's ["", {"t": "none"}] pairs, take 10.5 bytes each); a forged frame of "0," or "[],"
# could, and would cost the judge tens of bytes of memory per byte.
MAX_FRAME_VALUES = MAX_FRAME_BYTES // 5
MAX_FRAME_CONTAINERS = MAX_FRAME_BYTES // 10
MAX_FRAME_DEPTH = 3 * MAX_DEPTH + 8   # the child nests 3 levels per container it encodes
MAX_DIMS = 32                  # NumPy < 2 allowed no more; no answer needs as many
MAX_INT_DIGITS = 19            # shapes are the only integers the child sends
MAX_RESULT_TEXT = 500          # characters kept of a message from the child

NUMBER_TYPES = {int, float}


class Malformed(ValueError):
    """A frame the child's own code never writes: the call that sent it fails."""


# ---- frames -----------------------------------------------------------------------------------

def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise Malformed(f"an integer of {len(text)} digits")
    return int(text)


def _unique_keys(pairs: list) -> dict:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise Malformed("an object with a duplicate key")
    return found


def _depth_within(value, limit: int) -> bool:
    """Level by level, not recursively: a deep frame must not be able to exhaust our stack."""
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > limit:
            return False
        below = []
        for node in level:
            items = node.values() if type(node) is dict else node
            below.extend(v for v in items if type(v) in (list, dict))
        level = below
    return True


def parse_frame(data: bytes):
    """A frame's JSON, with bounded work and memory: counts first (cheap byte scans), then the
    parse with integers of bounded length and no duplicate keys, then the nesting depth. NaN and
    Infinity (and a literal such as 1e999, which reads as inf) are kept: the child sends them for
    a student's NaN or inf, which a check then judges like any other wrong number."""
    containers = data.count(b"[") + data.count(b"{")
    if containers > MAX_FRAME_CONTAINERS:
        raise Malformed(f"more than {MAX_FRAME_CONTAINERS} lists and objects")
    if data.count(b",") + containers > MAX_FRAME_VALUES:
        raise Malformed(f"more than {MAX_FRAME_VALUES} values")
    try:
        value = json.loads(data, parse_int=_bounded_int, object_pairs_hook=_unique_keys)
    except Malformed:
        raise
    except RecursionError:
        raise Malformed(f"nesting deeper than {MAX_FRAME_DEPTH} levels") from None
    except (ValueError, TypeError, OverflowError) as err:   # not JSON, not UTF-8
        raise Malformed(f"not JSON ({str(err)[:80]})") from None
    if type(value) in (list, dict) and not _depth_within(value, MAX_FRAME_DEPTH):
        raise Malformed(f"nesting deeper than {MAX_FRAME_DEPTH} levels")
    return value


def _text(raw: dict, key: str, limit: int = MAX_RESULT_TEXT) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if type(value) is not str:
        raise Malformed(f"a {key!r} that is not text")
    return value[:limit]


def _array_fields(raw: dict) -> dict:
    """shape and data of an array, checked for sizes and types before any array is made."""
    shape, data = raw.get("shape"), raw.get("d")
    if type(shape) is not list or len(shape) > MAX_DIMS \
            or not all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape):
        raise Malformed("an array shape that is not a short list of sizes")
    if type(data) is not list or len(data) > MAX_ELEMENTS or len(data) != math.prod(shape):
        raise Malformed(f"array data that does not fill its shape {tuple(shape)}")
    if not set(map(type, data)) <= NUMBER_TYPES:           # no bools, strings or lists
        raise Malformed("array data that is not all numbers")
    return {"shape": shape, "d": data}


def clean_result(raw) -> dict:
    """One result of a reply, as the child encodes it (child.encode, child.leaves, run_item),
    with only the fields the judge reads; anything else is Malformed."""
    if type(raw) is not dict:
        raise Malformed("a result that is not an object")
    kind = raw.get("t")
    if kind == "num":
        if type(raw.get("v")) not in NUMBER_TYPES:
            raise Malformed("a number that is not a number")
        return {"t": "num", "v": float(raw["v"]), "type": _text(raw, "type", 40)}
    if kind == "arr":   # "dt": the dtype before the child made it float64 (see dtype_of)
        return {"t": "arr", **_array_fields(raw), "dt": _text(raw, "dt", 40)}
    if kind == "raised":
        return {"t": "raised", "type": _text(raw, "type", 80), "msg": _text(raw, "msg"),
                "where": _text(raw, "where", 200)}
    if kind in ("missing", "toobig"):
        return {"t": kind, "msg": _text(raw, "msg")}
    if kind == "none":
        return {"t": "none"}
    if kind in ("dict", "seq", "other"):
        return {"t": kind, "type": _text(raw, "type", 80)}
    if kind == "leaves":
        items = raw.get("items")
        if type(items) is not list or len(items) > MAX_LEAVES:
            raise Malformed(f"a list of leaves that is not a list of at most {MAX_LEAVES}")
        if not all(type(item) is dict for item in items):
            raise Malformed("a leaf that is not an object")
        return {"t": "leaves", "items": [{"path": _text(item, "path", 200), **_array_fields(item)}
                                         for item in items]}
    raise Malformed("a result of no known kind")


def results_of(reply, count: int) -> list[dict]:
    """A call's results: the reply must be an object holding exactly `count` well-formed results."""
    results = reply.get("results") if type(reply) is dict else None
    if type(results) is not list or len(results) != count:
        raise Malformed(f"not the {count} results asked for")
    return [clean_result(raw) for raw in results]


def load_report(report) -> dict:
    """The child's report on loading the submission (child.load), checked as results are."""
    if type(report) is not dict or type(report.get("problems", [])) is not list \
            or type(report.get("functions", [])) is not list:
        raise Malformed("a load report that is not one")
    problems = []
    for problem in report.get("problems", [])[:1000]:
        if type(problem) is not dict:
            raise Malformed("a load problem that is not an object")
        checked = {key: _text(problem, key, 300) for key in ("type", "msg", "where", "unit")}
        checked.update({flag: problem.get(flag) is True for flag in ("whole", "stopped")})
        problems.append(checked)
    functions = report.get("functions", [])[:1000]
    if not all(type(name) is str for name in functions):
        raise Malformed("a function name that is not text")
    imported = {}
    for key in ("stand_ins", "placeholders"):   # module names; engine._imported checks each one
        names = report.get(key, [])
        if type(names) is not list or not all(type(name) is str for name in names):
            raise Malformed(f"a load report whose {key!r} is not a list of names")
        imported[key] = [name[:80] for name in names[:20]]
    return {"problems": problems, "functions": [name[:200] for name in functions], **imported}


# ---- inputs: judge -> child --------------------------------------------------------------------

INPUT_DTYPES = {"int64": np.int64, "bool": np.bool_}   # an array's "t"; float64 when it has none


def encode_input(value) -> float | dict:
    """Judge -> child, an input as the case generator made it: a float as a number, an int as
    {"i": n}, a bool as {"b": b}, an array as {"a": shape, "d": flat list} with "t": "int64" or
    "bool" when it holds whole numbers or truth values (child.decode_input undoes it)."""
    if isinstance(value, np.ndarray):
        encoded = {"a": list(value.shape), "d": value.ravel().tolist()}
        if value.dtype.kind == "b":
            encoded["t"] = "bool"
        elif value.dtype.kind in "iu":
            encoded["t"] = "int64"
        return encoded
    if isinstance(value, (bool, np.bool_)):
        return {"b": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"i": int(value)}
    return float(value)


def encode_inputs(inputs: dict) -> dict:
    return {name: encode_input(v) for name, v in inputs.items()}
