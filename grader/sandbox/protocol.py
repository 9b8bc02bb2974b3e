"""The wire format between the judge and the child, both sides: the only code that writes or
reads it. The standard library and NumPy only: the child has nothing else (grader.sandbox.isolation
sends this file along as text and registers it under this name before the child imports it).

A frame is `>II` (the JSON part's length, the binary part's length), the JSON part, then the
binary part. Judge -> child: a request (grader.sandbox.child.serve). Child -> judge: the load
report (JSON only), then one reply per group of calls: {"nonce", "g": position in the request,
"n": results, "i": descriptor count, "x": [[index, result], ...] for every result that is not a
number or array}, and in the binary part the descriptors (int64: per number or array, its kind,
its dtype's code in NAMES, its dimensions, its sizes) then all their numbers (float64), little
endian. Plain data only: no pickle, nothing that runs.

Nothing here trusts the child: a frame is any bytes the student's code chose to write (the pipe
and the nonce can both be found from inside the child), so it is read with bounded work and
checked field by field, sizes before anything is allocated, before anything else reads it. A
malformed frame raises Malformed, which fails the call that sent it.
"""
from __future__ import annotations

import itertools
import json
import math
import re
import struct

import numpy as np

MAX_FRAME_BYTES = 16 << 20     # a longer JSON part is refused by its length header, unread
# and a longer binary part: 8 bytes a number, room for every number a JSON part of
# MAX_FRAME_BYTES could hold (5 bytes or more each), so no reply the child could once send is refused
MAX_BLOB_BYTES = 32 << 20
MAX_ELEMENTS = 1_000_000       # numbers in one value; bigger values are refused
MAX_DEPTH = 8                  # how deep encode and leaves look into containers
MAX_LEAVES = 500
MAX_DIMS = 32                  # NumPy < 2 allowed no more; no answer needs as many
MAX_INT_DIGITS = 19            # in JSON, sizes and indices are the only integers the child sends
MAX_RESULT_TEXT = 500          # characters kept of a message from the child
# Caps a JSON part written by the child cannot reach within MAX_FRAME_BYTES (json.dumps puts
# ", " between values, a number takes 3 characters or more, the densest containers it writes
# take 10 bytes or more); a forged part of "0," or "[]," could, and would cost the judge tens of
# bytes of memory per byte.
MAX_FRAME_VALUES = MAX_FRAME_BYTES // 5
MAX_FRAME_CONTAINERS = MAX_FRAME_BYTES // 10
MAX_FRAME_DEPTH = 3 * MAX_DEPTH + 8

HEAD = struct.Struct(">II")
NUMBER, ARRAY = 0, 1            # a descriptor's kind
WIRE_DTYPE = np.dtype("<f8")    # the only dtype of numbers in a reply (the allow-list of one)
DESCRIPTOR_DTYPE = np.dtype("<i8")
# The dtype (or scalar type) names a reply may carry, by code: what the student's value was
# before the child made it float64. Any other name is sent as 0, "": none the judge knows.
NAMES = ("", "float16", "float32", "float64", "longdouble", "float128", "float", "int", "int8",
         "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_CODES = {name: code for code, name in enumerate(NAMES)}

NUMBER_TYPES = {int, float}

# Bound now, before any student code runs: a student's patch of json, struct or NumPy cannot
# change what the child writes or reads.
_dumps, _loads, _pack, _unpack, _concatenate, _asarray = (json.dumps, json.loads, HEAD.pack,
                                                          HEAD.unpack, np.concatenate, np.asarray)


class Malformed(ValueError):
    """A frame the child's own code never writes: the call that sent it fails."""


class TooBig(Exception):
    pass


# ---- frames -----------------------------------------------------------------------------------

def frame(message: dict | str, blob: bytes = b"") -> bytes:
    """A whole frame: message is a dict, or its JSON text already made."""
    data = (message if isinstance(message, str) else _dumps(message)).encode()
    return _pack(len(data), len(blob)) + data + blob


def sizes(head: bytes) -> tuple[int, int]:
    """(JSON length, binary length) of a frame from its 8-byte head; TooBig past the bounds."""
    text, blob = _unpack(head)
    if text > MAX_FRAME_BYTES:
        raise TooBig(f"more than {MAX_FRAME_BYTES >> 20} MiB of data")
    if blob > MAX_BLOB_BYTES:
        raise TooBig(f"more than {MAX_BLOB_BYTES >> 20} MiB of numbers")
    return text, blob


def split(data) -> tuple[object, memoryview]:
    """A whole frame (bytes or a view of them, its sizes checked): its JSON part parsed with
    bounded work (parse_json), and a view of its binary part."""
    text, _ = sizes(bytes(data[:HEAD.size]))
    view = memoryview(data)
    return parse_json(bytes(view[HEAD.size:HEAD.size + text])), view[HEAD.size + text:]


def read_frame(fd: int, read) -> tuple[dict, bytes] | None:
    """The child's side: the judge's next frame (the judge is trusted), or None at its end."""
    head = _read_exact(fd, HEAD.size, read)
    if head is None:
        return None
    text, blob = _unpack(head)
    body = _read_exact(fd, text + blob, read)
    if body is None:
        return None
    return _loads(body[:text]), body[text:]


def _read_exact(fd: int, n: int, read) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


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


_DECODER = json.JSONDecoder(parse_int=_bounded_int, object_pairs_hook=_unique_keys)


# The JSON part of a reply as the child writes it (Reply.frame) when every result is a number or
# an array: read by this pattern into the very dict the parser below would make (a hex nonce,
# integers without leading zeros and of at most MAX_INT_DIGITS digits), for it is most frames;
# anything else, however close, takes the parser.
_PLAIN_REPLY = re.compile(rb'\{"nonce": "([0-9a-f]{0,64})", "g": (0|[1-9][0-9]{0,18}), '
                          rb'"n": (0|[1-9][0-9]{0,18}), "i": (0|[1-9][0-9]{0,18}), "x": \[\]\}')


def parse_json(data: bytes):
    """A frame's JSON part, with bounded work and memory: counts first (cheap byte scans), then
    the parse with integers of bounded length and no duplicate keys, then the nesting depth.
    NaN and Infinity are kept (a literal such as 1e999 reads as inf)."""
    if (plain := _PLAIN_REPLY.fullmatch(data)) is not None:
        nonce, position, count, described = plain.groups()
        return {"nonce": nonce.decode(), "g": int(position), "n": int(count), "i": int(described), "x": []}
    containers = data.count(b"[") + data.count(b"{")
    if containers > MAX_FRAME_CONTAINERS:
        raise Malformed(f"more than {MAX_FRAME_CONTAINERS} lists and objects")
    if data.count(b",") + containers > MAX_FRAME_VALUES:
        raise Malformed(f"more than {MAX_FRAME_VALUES} values")
    try:
        value = _DECODER.decode(data.decode())
    except Malformed:
        raise
    except RecursionError:
        raise Malformed(f"nesting deeper than {MAX_FRAME_DEPTH} levels") from None
    except (ValueError, TypeError, OverflowError) as err:   # not JSON, not UTF-8
        raise Malformed(f"not JSON ({str(err)[:80]})") from None
    if type(value) in (list, dict) and not _depth_within(value, MAX_FRAME_DEPTH):
        raise Malformed(f"nesting deeper than {MAX_FRAME_DEPTH} levels")
    return value


# ---- outputs, the child's side: what the student returned, as plain data ------------------

def _real_array(value) -> tuple[np.ndarray | None, int]:
    """(a float64 array from numbers, or None; the code of the dtype the numbers had, 0 if none).
    Complex and non-numeric values are not numbers. The dtype goes to the judge so it can tell
    float32 work from float64 (the array it gets is always float64)."""
    try:
        array = _asarray(value)
    except Exception:
        return None, 0
    if array.dtype.kind in "iuf":
        return np.array(array, dtype=np.float64), _code(array.dtype)
    if array.dtype.kind == "O" and array.size and array.size <= MAX_ELEMENTS:
        try:
            if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                   for v in array.ravel().tolist()):
                return np.array(array.tolist(), dtype=np.float64), 0
        except Exception:
            return None, 0
    return None, 0


def _stored_number(value) -> float:
    """The number a scalar holds, not what a subclass's __float__ claims."""
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, int):
        return float(int.__int__(value))
    return float(value)


def _key(key) -> str:
    return key if isinstance(key, str) else repr(key)


def _checked(array: np.ndarray) -> np.ndarray:
    if array.size > MAX_ELEMENTS:
        raise TooBig(f"an array of {array.size} numbers (more than {MAX_ELEMENTS})")
    return array


_DTYPE_CODES: dict = {}
_FLOAT64 = np.dtype(np.float64)
_FLOAT64_CODE = _CODES["float64"]


def _code(dtype: np.dtype) -> int:
    """NAMES' code of a dtype's name (dtype.name is slow: looked up once per dtype)."""
    code = _DTYPE_CODES.get(dtype)
    if code is None:
        code = _DTYPE_CODES[dtype] = _CODES.get(dtype.name, 0)
    return code


class Reply:
    """One group's results as the child writes them: add each in order, then frame()."""

    def __init__(self, nonce: str, position: int):
        self.nonce, self.position = nonce, position
        self.descriptors: list[int] = []
        self.numbers: list[np.ndarray] = []     # in order; the numbers of results since the last array:
        self.scalars: list[float] = []          # kept as floats, made one array when an array comes
        self.others: list[list] = []
        self.count = 0

    def number(self, value: float, type_name: str) -> None:
        self.descriptors += (NUMBER, _CODES.get(type_name, 0), 0)
        self.scalars.append(value)
        self.count += 1

    def array(self, array: np.ndarray, dtype_code: int) -> None:
        """array: float64, the reply's own (a copy); dtype_code: what the student's had (_code)."""
        self.descriptors += (ARRAY, dtype_code, array.ndim, *array.shape)
        self._flush()
        self.numbers.append(array.ravel())
        self.count += 1

    def _flush(self) -> None:
        if self.scalars:
            self.numbers.append(np.array(self.scalars, dtype=np.float64))
            self.scalars = []

    def other(self, result: dict) -> None:
        self.others.append([self.count, result])
        self.count += 1

    def leaves(self, found: list[tuple[str, np.ndarray]]) -> None:
        """A leaves result: each leaf's path and shape, its numbers in the binary part."""
        self.other({"t": "leaves", "items": [{"path": path, "shape": list(a.shape)} for path, a in found]})
        self._flush()
        self.numbers += [a.ravel() for _, a in found]

    def frame(self) -> bytes:
        self._flush()
        blob = np.array(self.descriptors, dtype=DESCRIPTOR_DTYPE).tobytes()
        if self.numbers:
            blob += _concatenate(self.numbers).astype(WIRE_DTYPE, copy=False).tobytes()
        return frame({"nonce": self.nonce, "g": self.position, "n": self.count,
                      "i": len(self.descriptors), "x": self.others}, blob)


def encode(value, reply: Reply) -> None:
    """Plain data for whatever the student returned, added to reply. The judge re-checks all of it.
    A container is sent as its type alone; its contents are still looked at, so a huge array
    inside one is reported as too big, and a value that raises when looked at as raising."""
    exact = type(value)
    if exact is float or exact is np.float64:   # the usual answers, first
        return reply.number(float.__float__(value), exact.__name__)
    if exact is np.ndarray and value.dtype == _FLOAT64:
        return reply.array(_checked(np.array(value, dtype=np.float64)), _FLOAT64_CODE)
    kind = exact.__name__
    if isinstance(value, (bool, np.bool_)):
        return reply.other({"t": "other", "type": kind})
    if isinstance(value, (int, float, np.integer, np.floating)):
        return reply.number(_stored_number(value), kind)
    if isinstance(value, np.ndarray):
        array, dtype = _real_array(value)
        if array is None:
            return reply.other({"t": "other", "type": f"ndarray of dtype {value.dtype}"})
        return reply.array(_checked(array), dtype)
    if isinstance(value, (list, tuple)) and value:
        array, dtype = _real_array(value)
        if array is not None:
            return reply.array(_checked(array), dtype)
    reply.other(describe(value))


def describe(value, depth: int = 0) -> dict:
    """A value that is not a number or array of numbers: its kind and type (what the judge
    reads), after looking at its contents as deep as MAX_DEPTH (see encode)."""
    kind = type(value).__name__
    if isinstance(value, (bool, np.bool_)):
        return {"t": "other", "type": kind}
    if isinstance(value, (int, float, np.integer, np.floating)):
        _stored_number(value)
        return {"t": "num"}
    if isinstance(value, np.ndarray):
        array, _ = _real_array(value)
        if array is not None:
            _checked(array)
        return {"t": "arr"}
    if value is None:
        return {"t": "none"}
    if depth >= MAX_DEPTH:
        return {"t": "other", "type": kind}
    if isinstance(value, dict):
        for k, v in list(value.items())[:100]:
            _key(k)
            describe(v, depth + 1)
        return {"t": "dict", "type": kind}
    if isinstance(value, (list, tuple)):
        array, _ = _real_array(value) if value else (None, 0)
        if array is not None:
            _checked(array)
            return {"t": "arr"}
        for v in list(value)[:100]:
            describe(v, depth + 1)
        return {"t": "seq", "type": kind}
    return {"t": "other", "type": kind}


def leaves(value) -> list[tuple[str, np.ndarray]]:
    """Every numeric array or number inside value, found through containers and attributes,
    as (path from the value: "['z1']", ".W", "[0]", "" for the value itself, float64 array)."""
    found, seen = [], set()

    def visit(node, path, depth):
        if len(found) >= MAX_LEAVES or depth > MAX_DEPTH or id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, (bool, np.bool_, str, bytes)) or node is None:
            return
        if isinstance(node, (int, float, np.integer, np.floating, np.ndarray, list, tuple)):
            array = _real_array(node)[0]
            if array is not None:
                found.append((path, _checked(array)))
            if not isinstance(node, (list, tuple)):   # a list may also hold separate arrays
                return
        if isinstance(node, dict):
            for k, v in list(node.items())[:100]:
                visit(v, f"{path}[{_key(k)!r}]", depth + 1)
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(list(node)[:100]):
                visit(v, f"{path}[{i}]", depth + 1)
        elif hasattr(node, "__dict__") and not callable(node):
            for k, v in list(vars(node).items())[:100]:
                visit(v, f"{path}.{k}", depth + 1)
        elif hasattr(type(node), "__slots__"):
            for k in type(node).__slots__:
                if hasattr(node, k):
                    visit(getattr(node, k), f"{path}.{k}", depth + 1)

    visit(value, "", 0)
    return found


# ---- outputs, the judge's side -------------------------------------------------------------------

def _text(raw: dict, key: str, limit: int = MAX_RESULT_TEXT) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if type(value) is not str:
        raise Malformed(f"a {key!r} that is not text")
    return value[:limit]


def _shape(shape) -> list[int]:
    if type(shape) is not list or len(shape) > MAX_DIMS \
            or not all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape):
        raise Malformed("an array shape that is not a short list of sizes")
    if math.prod(shape) > MAX_ELEMENTS:
        raise Malformed(f"an array of more than {MAX_ELEMENTS} numbers")
    return shape


def clean_result(raw) -> dict:
    """A result that is not a number or an array, as the child writes it (encode, describe,
    Reply.leaves, child.run_item), with only the fields the judge reads; anything else is
    Malformed. A leaves result's items have no numbers yet (see parse_reply)."""
    if type(raw) is not dict:
        raise Malformed("a result that is not an object")
    kind = raw.get("t")
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
        return {"t": "leaves", "items": [{"path": _text(item, "path", 200), "shape": _shape(item.get("shape"))}
                                         for item in items]}
    raise Malformed("a result of no known kind")


def reply_head(message: dict) -> tuple[str | None, int | None]:
    """(nonce, position) of a reply's JSON part, if it has them: which call it claims to answer."""
    nonce, position = message.get("nonce"), message.get("g")
    return (nonce if type(nonce) is str else None), (position if type(position) is int else None)


class Results(list):
    """A group's results (parse_reply). When they are all numbers, or all arrays of one number of
    dimensions: `numbers`, every result's numbers in order in one read-only array (each
    result's "a" is a slice of it), and `shapes`, their shapes (a number's is []), so the judge
    can take them all at once; else both None."""
    numbers: np.ndarray | None = None
    shapes: list[list[int]] | None = None


def parse_reply(message: dict, blob: bytes, count: int) -> Results:
    """A group's results, from a reply whose JSON part (message, parsed by parse_json) names the
    call: exactly `count` well-formed results. A number is {"t": "num", "v", "type"}; an array
    {"t": "arr", "shape", "a": its numbers, flat, "dt"}, a read-only view of the frame's binary
    part; a leaves result's items get "a" too. Every size is checked against the binary part's
    length before any view is made."""
    if message.get("n") != count:
        raise Malformed(f"not the {count} results asked for")
    described, others = message.get("i"), message.get("x")
    if type(described) is not int or not 0 <= described * DESCRIPTOR_DTYPE.itemsize <= len(blob):
        raise Malformed("a count of descriptors that does not fit the binary part")
    if (len(blob) - described * 8) % WIRE_DTYPE.itemsize:
        raise Malformed("a binary part that is not whole float64 numbers")
    if type(others) is not list or len(others) > count:
        raise Malformed("a list of other results that is not one")
    special: dict[int, dict] = {}
    for entry in others:
        if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not int \
                or not 0 <= entry[0] < count or entry[0] in special:
            raise Malformed("an other result without its own place")
        special[entry[0]] = clean_result(entry[1])
    table = np.frombuffer(blob, DESCRIPTOR_DTYPE, described)
    numbers = np.frombuffer(blob, WIRE_DTYPE, offset=described * 8)
    numbers.flags.writeable = False
    if not others and (results := _uniform(table, numbers, count)) is not None:
        return results
    codes = table.tolist()
    total, names = len(numbers), len(NAMES)
    results, at, used = Results(), 0, 0
    for index in range(count):
        raw = special.get(index) if special else None
        if raw is not None:
            if raw["t"] == "leaves":
                for item in raw["items"]:
                    size = math.prod(item["shape"])
                    if used + size > total:
                        raise Malformed("leaves whose numbers are not in the frame")
                    item["a"], used = numbers[used:used + size], used + size
            results.append(raw)
            continue
        if at + 3 > described:
            raise Malformed("a result without its descriptor")
        kind, code, dims = codes[at], codes[at + 1], codes[at + 2]
        if not 0 <= code < names:
            raise Malformed("a descriptor of no known kind, dtype or number of dimensions")
        if kind == NUMBER and dims == 0:
            if used >= total:
                raise Malformed("array data that does not fill its shape ()")
            results.append({"t": "num", "v": float(numbers[used]), "type": NAMES[code]})
            at, used = at + 3, used + 1
            continue
        if kind != ARRAY or not 0 <= dims <= MAX_DIMS or at + 3 + dims > described:
            raise Malformed("a descriptor of no known kind, dtype or number of dimensions")
        shape = codes[at + 3:at + 3 + dims]
        if shape and (min(shape) < 0 or max(shape) > MAX_ELEMENTS):
            raise Malformed("an array shape that is not a short list of sizes")
        size = math.prod(shape)
        if size > MAX_ELEMENTS:
            raise Malformed(f"an array of more than {MAX_ELEMENTS} numbers")
        if used + size > total:
            raise Malformed(f"array data that does not fill its shape {tuple(shape)}")
        results.append({"t": "arr", "shape": shape, "a": numbers[used:used + size], "dt": NAMES[code]})
        at, used = at + 3 + dims, used + size
    if at != described or used != total:
        raise Malformed("a binary part longer than its results")
    return results


def _uniform(table: np.ndarray, numbers: np.ndarray, count: int) -> Results | None:
    """parse_reply's results when they are all numbers or all arrays of one number of dimensions
    and every descriptor is well-formed, checked column by column; else None (parse_reply then
    reads the descriptors one by one, and says what is wrong with them)."""
    codes = table.tolist()
    if not count or len(codes) < 3:
        return None
    kind, dims = codes[0], codes[2]
    width = 3 + dims
    if not 0 <= dims <= MAX_DIMS or len(codes) != count * width or (kind != ARRAY and (kind != NUMBER or dims)):
        return None
    dtypes = codes[1::width]
    if codes[0::width].count(kind) != count or codes[2::width].count(dims) != count \
            or min(dtypes) < 0 or max(dtypes) >= len(NAMES):
        return None
    names = [NAMES[code] for code in dtypes]
    if kind == NUMBER:
        if len(numbers) != count:
            return None
        results = Results([{"t": "num", "v": v, "type": name} for v, name in zip(numbers.tolist(), names)])
        results.numbers, results.shapes = numbers, [[]] * count
        return results
    columns = [codes[3 + j::width] for j in range(dims)]
    if columns and (min(map(min, columns)) < 0 or max(map(max, columns)) > MAX_ELEMENTS):
        return None
    shapes = [list(shape) for shape in zip(*columns)] if columns else [[] for _ in range(count)]
    sizes = [math.prod(shape) for shape in shapes]
    if max(sizes) > MAX_ELEMENTS or sum(sizes) != len(numbers):
        return None
    results = Results([{"t": "arr", "shape": shape, "a": numbers[end - size:end], "dt": name}
                       for shape, size, end, name in zip(shapes, sizes, itertools.accumulate(sizes), names)])
    results.numbers, results.shapes = numbers, shapes
    return results


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


# ---- inputs: judge -> child ------------------------------------------------------------------

INPUT_DTYPES = {"int64": np.int64, "bool": np.bool_}   # an array's "t"; float64 when it has none


def encode_input(value) -> float | dict:
    """Judge -> child, an input as the case generator made it: a float as a number, an int as
    {"i": n}, a bool as {"b": b}, an array as {"a": shape, "d": flat list} with "t": "int64" or
    "bool" when it holds whole numbers or truth values (decode_input undoes it)."""
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


def decode_input(value):
    """An input as the case generator made it (encode_input): a float, an int {"i"}, a bool
    {"b"}, or {"a": shape, "d": flat, "t"?} a fresh array, float64 unless "t" says int64 or bool."""
    if isinstance(value, dict):
        if "i" in value:
            return int(value["i"])
        if "b" in value:
            return bool(value["b"])
        return np.array(value["d"], dtype=INPUT_DTYPES.get(value.get("t"), np.float64)).reshape(value["a"])
    return float(value)


def decode_inputs(encoded: dict) -> dict:
    return {name: decode_input(value) for name, value in encoded.items()}


# ---- requests: judge -> child ----------------------------------------------------------------
# A group is one check's calls: {"exprs": [expression trees], "items": [{"e": expression index,
# "c": case key, "w"?: changed inputs (encode_inputs), "l"?: 1 for leaves}]}. A program is what a
# child needs before any request: {"cases": {key: encoded inputs}, "groups": [group, ...]}, sent
# to a fork server once (its children inherit it) or with a child's first request. A request is
# {"nonce", "run": [a program group's index, or a group], "program"?: a program}.

_tree_texts: dict[int, tuple[list, str]] = {}


def tree_json(tree: list) -> str:
    """An expression tree's JSON, made once per tree (grader.core.expr.parse keeps each one): the
    wire's name for it, and the judge's memo key."""
    held = _tree_texts.get(id(tree))
    if held is None or held[0] is not tree:   # the tree kept with its text: its id stays its own
        held = _tree_texts[id(tree)] = (tree, _dumps(tree))
    return held[1]


def group(items: list[dict]) -> str:
    """A group's JSON from calls ({"expr", "case", "mode", "with"?}; grader.judge.verdict.call):
    each distinct expression once, each item naming it by index."""
    index: dict[str, int] = {}
    compact = []
    for item in items:
        entry = {"e": index.setdefault(tree_json(item["expr"]), len(index)), "c": item["case"]}
        if "with" in item:
            entry["w"] = item["with"]
        if item.get("mode") == "leaves":
            entry["l"] = 1
        compact.append(entry)
    return f'{{"exprs": [{", ".join(index)}], "items": {_dumps(compact)}}}'


def program(case_table: str, groups: list[str]) -> str:
    """A program's JSON from the case table's JSON and its groups' (group)."""
    return f'{{"cases": {case_table}, "groups": [{", ".join(groups)}]}}'
