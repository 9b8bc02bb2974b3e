"""The child side of the boundary: runs the student's code and reports raw outputs as plain data.

Started by grader.sandbox.session through grader.sandbox.isolation as `python -I -S -u -c <this file> RFD WFD SITE`
(unbuffered, so prints survive a kill; SITE is where NumPy is). It imports only the standard
library and NumPy, so it runs inside a sandbox that shows nothing else. It talks to the judge over
two pipe fds with length-prefixed JSON frames and never pickles. The student's prints go to fd 1
and 2, which the judge reads separately and caps. The judge also imports this module, for
`evaluate`, to compute the reference's values the same way.
"""
from __future__ import annotations

import ast
import builtins
import json
import os
import resource
import struct
import sys
import time
import traceback

if __name__ == "__main__" and len(sys.argv) > 4:
    # Started by grader.sandbox.isolation (ROLE ARG SITE PLAN): wall ourselves off before NumPy is imported;
    # grader.sandbox.confine was registered as a module by the program that runs this file.
    from grader.sandbox.confine import begin
    begin(sys.argv[1:])

import numpy as np  # noqa: E402

MAX_ELEMENTS = 1_000_000   # numbers in one encoded value; bigger values are refused
MAX_DEPTH = 8              # how deep encode and leaves look into containers
MAX_LEAVES = 500


# ---- framing -------------------------------------------------------------------------------
# Bound now, before any student code runs: patching json or os later cannot touch the protocol.
_loads, _dumps, _read, _write, _pack, _unpack = json.loads, json.dumps, os.read, os.write, struct.pack, struct.unpack


def read_frame(fd: int) -> dict | None:
    head = _read_exact(fd, 4)
    if head is None:
        return None
    return _loads(_read_exact(fd, _unpack(">I", head)[0]))


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = _read(fd, n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, message: dict) -> None:
    data = _dumps(message).encode()
    data = _pack(">I", len(data)) + data
    while data:
        data = data[_write(fd, data):]


# ---- inputs: judge -> child ------------------------------------------------------------------

_INPUT_DTYPES = {"int64": np.int64, "bool": np.bool_}


def decode_input(value):
    """An input as the case generator made it (protocol.encode_input): a float, an int {"i"}, a
    bool {"b"}, or {"a": shape, "d": flat, "t"?} a fresh array, float64 unless "t" says int64 or
    bool."""
    if isinstance(value, dict):
        if "i" in value:
            return int(value["i"])
        if "b" in value:
            return bool(value["b"])
        return np.array(value["d"], dtype=_INPUT_DTYPES.get(value.get("t"), np.float64)).reshape(value["a"])
    return float(value)


def fresh(value):
    """A copy for each call, so a function that mutates its inputs changes nothing else."""
    return value.copy() if isinstance(value, np.ndarray) else value


def evaluate(tree, namespace, inputs, decode=fresh):
    """Evaluate a grader.core.expr tree, handing every call its own copy of each input."""
    kind = tree[0]
    if kind == "input":
        return decode(inputs[tree[1]])
    if kind == "call":
        fn = namespace.get(tree[1])
        if fn is None:
            raise Missing(f"no function named `{tree[1]}` is defined")
        if not callable(fn):
            raise Missing(f"`{tree[1]}` is defined but is a {type(fn).__name__}, not a function")
        return fn(*[evaluate(arg, namespace, inputs, decode) for arg in tree[2]])
    return take(evaluate(tree[1], namespace, inputs, decode), tree[2])


def take(container, key):
    try:
        return container[key]
    except (KeyError, IndexError, TypeError) as err:
        raise Missing(f"could not take [{key!r}] of the {_describe(container)} returned: "
                      f"{type(err).__name__}: {err}") from None


def outermost_call(tree) -> tuple[list, list]:
    """`backward(forward(...)[1])['W2']` -> (the backward call, ['W2'])."""
    keys = []
    while tree[0] == "item":
        keys.append(tree[2])
        tree = tree[1]
    return tree, keys[::-1]


class Missing(Exception):
    """A function, key or index the grader looks for is not there."""


def _describe(value) -> str:
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:10])
        return f"dict with keys [{keys}]"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


# ---- outputs: child -> judge -----------------------------------------------------------------

class TooBig(Exception):
    pass


def _numbers(array: np.ndarray) -> list:
    """Python floats (tolist of a float64 array gives exactly those)."""
    if array.size > MAX_ELEMENTS:
        raise TooBig(f"an array of {array.size} numbers (more than {MAX_ELEMENTS})")
    return array.ravel().tolist()


def _real_array(value) -> tuple[np.ndarray | None, str]:
    """(a float64 array from numbers, or None; the dtype the numbers had, "" if none). Complex
    and non-numeric values are not numbers. The dtype goes to the judge so it can tell float32
    work from float64 (the array it gets is always float64)."""
    try:
        array = np.asarray(value)
    except Exception:
        return None, ""
    if array.dtype.kind in "iuf":
        return np.array(array, dtype=np.float64), array.dtype.name
    if array.dtype.kind == "O" and array.size and array.size <= MAX_ELEMENTS:
        try:
            if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                   for v in array.ravel().tolist()):
                return np.array(array.tolist(), dtype=np.float64), ""
        except Exception:
            return None, ""
    return None, ""


def _as_real_array(value):
    return _real_array(value)[0]


def _encoded_array(array: np.ndarray, dtype: str, kind: str) -> dict:
    found = {"t": "arr", "shape": list(array.shape), "d": _numbers(array), "type": kind}
    if dtype:
        found["dt"] = dtype
    return found


def encode(value, depth: int = 0) -> dict:
    """Plain JSON for whatever the student returned. The judge re-checks all of it."""
    kind = type(value).__name__
    if isinstance(value, (bool, np.bool_)):
        return {"t": "other", "type": kind}
    if isinstance(value, (int, float, np.integer, np.floating)):
        return {"t": "num", "v": _stored_number(value), "type": kind}
    if isinstance(value, np.ndarray):
        array, dtype = _real_array(value)
        if array is None:
            return {"t": "other", "type": f"ndarray of dtype {value.dtype}"}
        return _encoded_array(array, dtype, kind)
    if value is None:
        return {"t": "none"}
    if depth >= MAX_DEPTH:
        return {"t": "other", "type": kind}
    if isinstance(value, dict):
        return {"t": "dict", "type": kind,
                "items": [[_key(k), encode(v, depth + 1)] for k, v in list(value.items())[:100]]}
    if isinstance(value, (list, tuple)):
        array, dtype = _real_array(value) if value else (None, "")
        if array is not None:
            return _encoded_array(array, dtype, kind)
        return {"t": "seq", "type": kind, "items": [encode(v, depth + 1) for v in list(value)[:100]]}
    return {"t": "other", "type": kind}


def _stored_number(value) -> float:
    """The number a scalar holds, not what a subclass's __float__ claims."""
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, int):
        return float(int.__int__(value))
    return float(value)


def _key(key) -> str:
    return key if isinstance(key, str) else repr(key)


def leaves(value) -> dict:
    """Every numeric array or number inside value, found through containers and attributes."""
    found, seen = [], set()

    def visit(node, path, depth):
        if len(found) >= MAX_LEAVES or depth > MAX_DEPTH or id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, (bool, np.bool_, str, bytes)) or node is None:
            return
        if isinstance(node, (int, float, np.integer, np.floating, np.ndarray, list, tuple)):
            array = _as_real_array(node)
            if array is not None:
                found.append({"path": path, "shape": list(array.shape), "d": _numbers(array)})
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

    visit(value, "cache", 0)
    return {"t": "leaves", "items": found}


def _raised(err: BaseException, outermost: str | None = None) -> dict:
    """What the student's code raised, with the student's innermost line; while loading
    (`outermost`: the unit running), the line of that unit that was running, then the innermost."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)   # the student's units only
              if f.filename.startswith("<") and not f.filename.startswith(("<frozen", "<string>"))]
    where = f"{frames[-1].filename.strip('<>')}, line {frames[-1].lineno}" if frames else ""
    running = [f for f in frames if f.filename == outermost]
    if running and running[0] is not frames[-1]:
        inner = frames[-1]
        named = next((f.name for f in reversed(frames) if not f.name.startswith("<")), inner.name)
        place = f"line {inner.lineno}" if inner.filename == outermost else where
        where = f"{outermost.strip('<>')}, line {running[0].lineno} (in `{named}`, {place})"
    elif isinstance(err, SyntaxError) and err.lineno:   # raised by exec() or compile() of theirs
        where = where or f"{str(err.filename).strip('<>')}, line {err.lineno}"
    message = str(err)[:500]
    if isinstance(err, SystemExit):
        message = f"your code called exit({err.code!r})"
    elif isinstance(err, KeyboardInterrupt):
        message = "your code raised KeyboardInterrupt"
    return {"t": "raised", "type": type(err).__name__, "msg": message, "where": where}


def decode_case(encoded: dict) -> dict:
    return {name: decode_input(value) for name, value in encoded.items()}


def run_item(item: dict, exprs: list, shared: list, namespace: dict, cases: dict, memo: dict) -> dict:
    """One item's raw result: {"e": expression index, "c": case key, "w": changed inputs, "l":
    leaves wanted}. An item without changed inputs shares its outermost call's value with every
    such item of the same call and case (so five gradients can read one gradient pass); only keys
    are taken from a shared value, which nothing else touches."""
    tree = exprs[item["e"]]
    inputs = cases[item["c"]]
    try:
        if "w" in item:
            value = evaluate(tree, namespace, {**inputs, **decode_case(item["w"])})
        else:
            call, keys = outermost_call(tree)
            slot = (shared[item["e"]], item["c"])
            value = memo.get(slot, _UNSET)
            if value is _UNSET:
                value = _outcome(call, namespace, inputs)
                if _small(value):   # a huge value is made again rather than kept for the session
                    memo[slot] = value
            if isinstance(value, _Failed):
                return value.result
            for key in keys:
                value = take(value, key)
    except Missing as err:
        return {"t": "missing", "msg": str(err)}
    except BaseException as err:  # SystemExit and KeyboardInterrupt are the student's too
        return _raised(err)
    try:
        return leaves(value) if item.get("l") else encode(value)
    except TooBig as err:
        return {"t": "toobig", "msg": f"returned {err}"}
    except BaseException as err:
        return _raised(err)


_UNSET = object()
MEMO_BYTES = 1 << 20     # the largest value the memo keeps


def _small(value) -> bool:
    """Whether a value's arrays (looked for two containers deep) stay under MEMO_BYTES; a value
    that cannot be looked at is not kept."""
    try:
        return _fits(value, 0)
    except BaseException:
        return False


def _fits(value, depth: int) -> bool:
    if isinstance(value, np.ndarray):
        return value.nbytes <= MEMO_BYTES
    if isinstance(value, (list, tuple, dict)):
        items = list(value.values() if isinstance(value, dict) else value)
        return depth < 2 and len(items) <= 1000 and all(_fits(v, depth + 1) for v in items)
    return True


class _Failed:
    def __init__(self, result: dict):
        self.result = result


def _outcome(call, namespace, inputs):
    """The call's value, or its failure (kept, so a shared call fails the same way each time)."""
    try:
        return evaluate(call, namespace, inputs)
    except Missing as err:
        return _Failed({"t": "missing", "msg": str(err)})
    except BaseException as err:
        return _Failed(_raised(err))


# ---- loading the submission ------------------------------------------------------------------

def load(units: list[dict], offer: str = "NumPy") -> tuple[dict, dict]:
    """Run each unit (a .py file, or one notebook cell) in one namespace. A notebook cell stops
    at its first error, as in Jupyter, and the later cells still run; a .py file runs statement
    by statement, and a statement that fails is reported while the rest still runs, but for
    exit() and KeyboardInterrupt, which end a script. Imports the
    sandbox lacks get stand-ins (grader/standins.py); `offer` names what to use instead."""
    standins = sys.modules.get("grader_standins")
    if standins is None:   # imported by the judge (tests), not started as a child
        from grader.sandbox import standins
    names = frozenset(f"<{unit['name']}>" for unit in units)
    parsed = {unit["name"]: _parse(unit) for unit in units}
    guarded = frozenset(g for unit in units if not isinstance(parsed[unit["name"]], SyntaxError)
                        for g in standins.guarded_imports(parsed[unit["name"]], f"<{unit['name']}>"))
    finder = standins.StandInFinder(names, guarded, offer)
    sys.meta_path.append(finder)
    namespace = {"__name__": "submission",
                 "__builtins__": {**vars(builtins), **standins.notebook_builtins()}}
    problems = []
    for unit in units:
        tree, filename = parsed[unit["name"]], f"<{unit['name']}>"
        if isinstance(tree, SyntaxError):
            problems.append({"t": "raised", "type": "SyntaxError", "msg": tree.msg, "unit": unit["name"],
                             "where": f"{unit['name']}, line {tree.lineno}", "whole": True})
            continue
        flags = 0
        pieces = [tree.body] if unit.get("cell") else [[statement] for statement in tree.body]
        for piece in pieces:
            flags |= _future_flags(piece)
            try:
                exec(compile(ast.Module(piece, type_ignores=[]), filename, "exec", flags=flags,
                             dont_inherit=True), namespace)
            except BaseException as err:
                problem = _raised(err, outermost=filename)
                problem["unit"] = unit["name"]
                problems.append(problem)
                if unit.get("cell") or isinstance(err, (SystemExit, KeyboardInterrupt)):
                    problem["stopped"] = True
                    break
    return namespace, {"problems": problems[:50], "stand_ins": finder.display,
                       "placeholders": finder.placeholders,
                       "functions": sorted(k for k, v in namespace.items()
                                           if callable(v) and not k.startswith("__"))}


def _parse(unit: dict):
    try:
        return ast.parse(unit["source"], f"<{unit['name']}>")
    except SyntaxError as err:
        return err
    except (ValueError, RecursionError, MemoryError) as err:   # null bytes, absurd nesting
        failure = SyntaxError(f"{type(err).__name__}: {err}"[:300])
        failure.lineno = 1
        return failure


def _future_flags(statements: list) -> int:
    import __future__
    flags = 0
    for node in statements:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for alias in node.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
    return flags


def limit_resources(limits: dict) -> None:
    """Budgets on top of what the interpreter and NumPy already use (an absolute RLIMIT_AS would
    starve a process that is already large). Hard limits drop too, so they cannot be raised."""
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:   # no /proc (macOS, a student's laptop): no address-space cap
        current = None
    wanted = [(resource.RLIMIT_AS, current + limits["memory_bytes"])] if current is not None else []
    wanted += [(resource.RLIMIT_CPU, limits["cpu_seconds"]),
              (resource.RLIMIT_CORE, 0),
              (resource.RLIMIT_FSIZE, limits["file_bytes"]),
              (resource.RLIMIT_NOFILE, limits["open_files"])]
    if limits.get("processes"):
        wanted.append((resource.RLIMIT_NPROC, limits["processes"]))
    for which, value in wanted:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass


def serve(rfd: int, wfd: int) -> None:
    """One submission: load it, then answer the judge's requests until it hangs up."""
    hello = read_frame(rfd)
    limit_resources(hello["limits"])
    cases = {key: decode_case(encoded) for key, encoded in hello["cases"].items()}
    namespace, report = load(hello["units"], hello.get("offer", "NumPy"))
    write_frame(wfd, report)
    memo: dict = {}
    while True:
        request = read_frame(rfd)
        if request is None:
            return
        if "cases" in request:
            cases = {key: decode_case(encoded) for key, encoded in request["cases"].items()}
            memo = {}
        exprs = request["exprs"]
        shared = [_dumps(outermost_call(tree)[0]) for tree in exprs]   # the memo's key
        results = [run_item(item, exprs, shared, namespace, cases, memo) for item in request["items"]]
        write_frame(wfd, {"nonce": request["nonce"], "results": results})


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def kill_children(keep=frozenset()) -> int:
    """SIGKILL and reap every child of ours but `keep`, until none is left (orphans come back to
    a subreaper as they are freed). Used by the fork server and, through grader.sandbox.isolation, the judge."""
    killed = 0
    for _ in range(100):
        orphans = [pid for pid in children_of(os.getpid()) if pid not in keep]
        if not orphans:
            break
        for pid in orphans:
            try:
                os.kill(pid, 9)
                killed += 1
            except OSError:
                pass
        for pid in orphans:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return killed


def _empty(folder: str) -> None:
    """Remove everything in folder, whatever modes the student gave it (a folder with mode 000
    too, however deep)."""
    from grader.sandbox.confine import clear
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for name in entries:
        clear(os.path.join(folder, name))


def _close_all_but(keep) -> None:
    """A forked child starts with every descriptor the server had: keep only its own."""
    for name in os.listdir("/proc/self/fd"):
        if int(name) > 2 and int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:
                pass


def forkserver(control_fd: int, plan: dict) -> None:
    """A warm process (NumPy imported) that forks a fresh child per submission, so no student
    pays for interpreter start and none inherits another's state. It never runs student code.
    It was made not dumpable before anything else ran in it (grader.sandbox.isolation.PROGRAM), so no
    child can ptrace it or read its memory. Each child walls itself off (plan["child"], see
    grader.sandbox.confine) before it reads the submission; a child that kills the server makes the
    judge start another. As a subreaper the server gets back whatever a child orphans, and "end"
    kills all of it, then empties what plan["server"] names (a shared /tmp, SysV IPC objects)."""
    import socket
    from grader.sandbox.confine import become_subreaper, confine_or_exit, die_with_parent, remove_sysv
    become_subreaper()
    die_with_parent(os.getppid())
    control = socket.socket(fileno=control_fd)
    control.send(b'{"ready": true}')
    child = 0
    while True:
        message, fds, _, _ = socket.recv_fds(control, 4096, 5)
        if not message:
            break
        command = _loads(message)
        if command["op"] == "fork" and len(fds) >= 3:
            child = os.fork()
            if child == 0:
                for entry in fds[3:]:   # into the group the judge made for this child, then gone
                    try:
                        os.write(entry, b"0")
                    except OSError:
                        pass
                control.close()
                os.setsid()
                _close_all_but(fds[:3])
                os.dup2(fds[2], 2)    # why confinement failed, if it does, reaches the judge
                confine_or_exit(plan["child"])
                os.dup2(fds[2], 1)
                serve(fds[0], fds[1])
                os._exit(0)
            control.send(_dumps({"pid": child}).encode())
        else:   # "end": the child's exit status if it had ended by itself, then nothing left of it
            status = None
            for attempt in range(200 if child and command.get("wait") else 1 if child else 0):
                if attempt:
                    time.sleep(0.005)
                pid, raw = os.waitpid(child, os.WNOHANG)
                if pid:
                    status = os.waitstatus_to_exitcode(raw)
                    break
            kill_children()
            for folder in plan["server"].get("sweep", []):   # what the child wrote, gone before the next
                _empty(folder)
            if plan["server"].get("sysv"):
                remove_sysv()
            control.send(_dumps({"status": status}).encode())
            child = 0
        for fd in fds:
            os.close(fd)
    kill_children()   # the judge hung up: nothing of ours outlives it


if __name__ == "__main__":
    if sys.argv[1] == "forkserver":
        forkserver(int(sys.argv[2]), _loads(sys.argv[4]))
    else:
        serve(int(sys.argv[1]), int(sys.argv[2]))
