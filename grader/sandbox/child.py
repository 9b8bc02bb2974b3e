"""The child side of the boundary: runs the student's code and reports raw outputs as plain data.

Started by grader.sandbox.session through grader.sandbox.isolation as `python -I -S -u -c <this file> ...`
(unbuffered, so prints survive a kill), after a prologue that walls the process off
(grader.sandbox.confine) and registers the modules of ours it uses, sent along as text
(isolation.SENT_ALONG): it imports only those, the standard library and NumPy, so it runs inside a
sandbox that shows nothing else. It talks to the judge over two pipe fds in the wire format of
grader.sandbox.protocol and never pickles. The student's prints go to fd 1 and 2, which the judge
reads separately and caps. The judge also imports this module, for `evaluate`, to compute the
reference's values the same way.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import gc
import json
import os
import resource
import sys
import time
import traceback
import warnings

import numpy as np

from grader.sandbox.protocol import Reply, TooBig, decode_inputs, encode, frame, leaves, read_frame
from grader.sandbox.standins import StandInFinder, guarded_imports, notebook_builtins

# Bound now, before any student code runs: patching json or os later cannot touch the protocol.
_loads, _dumps, _read, _write = json.loads, json.dumps, os.read, os.write
_catch_warnings, _simplefilter = warnings.catch_warnings, warnings.simplefilter


def _send(fd: int, data: bytes) -> None:
    while data:
        data = data[_write(fd, data):]


def fresh(value):
    """A copy for each call, so a function that mutates its inputs changes nothing else."""
    return value.copy() if isinstance(value, np.ndarray) else value


def evaluate(tree, namespace, inputs, decode=fresh):
    """Evaluate a grader.core.expr tree, handing every call its own copy of each input."""
    kind = tree[0]
    if kind == "input":
        return decode(inputs[tree[1]])
    if kind == "call":
        fn = _function(namespace, tree[1])
        return fn(*[evaluate(arg, namespace, inputs, decode) for arg in tree[2]])
    return take(evaluate(tree[1], namespace, inputs, decode), tree[2])


def _function(namespace, name: str):
    fn = namespace.get(name)
    if fn is None:
        raise Missing(f"no function named `{name}` is defined")
    if not callable(fn):
        raise Missing(f"`{name}` is defined but is a {type(fn).__name__}, not a function")
    return fn


_ndarray = np.ndarray


def compiled(tree):
    """evaluate(tree, ...) as a function of (namespace, inputs), made once per expression."""
    kind = tree[0]
    if kind == "input":
        name = tree[1]

        def get(namespace, inputs):
            value = inputs[name]
            return value.copy() if isinstance(value, _ndarray) else value   # fresh, inline
        return get
    if kind == "call" and all(arg[0] == "input" for arg in tree[2]):   # the usual call: inputs only
        name, names = tree[1], tuple(arg[1] for arg in tree[2])

        def call_on_inputs(namespace, inputs):
            fn = _function(namespace, name)
            return fn(*[value.copy() if isinstance(value, _ndarray) else value
                        for value in [inputs[n] for n in names]])
        return call_on_inputs
    if kind == "call":
        name, args = tree[1], [compiled(arg) for arg in tree[2]]

        def call(namespace, inputs):
            fn = _function(namespace, name)
            return fn(*[arg(namespace, inputs) for arg in args])
        return call
    inner, key = compiled(tree[1]), tree[2]
    return lambda namespace, inputs: take(inner(namespace, inputs), key)


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


class Item:
    """One call of a group, made ready once (in a fork server, for every child it forks): its
    expression compiled, its case's inputs and its changed inputs decoded. Without changed inputs,
    the outermost call is shared by every item of the same call and case (`slot`), so five
    gradients can read one gradient pass; only keys are taken from a shared value, which nothing
    else touches."""
    __slots__ = ("run", "inputs", "changed", "slot", "keys", "leaves")

    def __init__(self, entry: dict, exprs: list, calls: list, shared: Shared):
        tree = exprs[entry["e"]]
        self.inputs, self.leaves = shared.cases[entry["c"]], bool(entry.get("l"))
        self.changed = decode_inputs(entry["w"]) if "w" in entry else None
        if self.changed is None:
            call, keys = outermost_call(tree)
            self.slot, self.keys = shared.one((calls[entry["e"]], entry["c"])), shared.one(tuple(keys))
            self.run = shared.compiled(calls[entry["e"]], call)
        else:
            self.slot, self.keys, self.run = None, (), shared.compiled(_dumps(tree), tree)


class Shared:
    """What a program's items have in common, made once and shared by all that use it: every
    case's inputs, each distinct expression's function, memo slot and keys. A child running the
    items writes (reference counts) to few pages of the server's memory, so few are copied."""

    def __init__(self, cases: dict):
        self.cases = cases
        self.runs: dict = {}
        self.ones: dict = {}

    def compiled(self, key: str, tree):
        run = self.runs.get(key)
        if run is None:
            run = self.runs[key] = compiled(tree)
        return run

    def one(self, value):
        """value, or the equal one met first."""
        return self.ones.setdefault(value, value)


def prepare_group(group: dict, shared: Shared) -> list[Item]:
    """A group's items, sharing what they can with the program's others."""
    exprs = group["exprs"]
    calls = [_dumps(outermost_call(tree)[0]) for tree in exprs]   # the memo's key
    return [Item(entry, exprs, calls, shared) for entry in group["items"]]


class _Cases(dict):
    """Cases decoded when first asked for."""

    def __init__(self, encoded: dict):
        super().__init__()
        self.encoded = encoded

    def __missing__(self, key):
        value = self[key] = decode_inputs(self.encoded[key])
        return value


class Program:
    """What a child needs before any request (grader.sandbox.protocol): every case's inputs and
    the groups of calls it will be asked for, decoded and compiled once: all at once in a fork
    server (every child it forks inherits them), else each when first asked for (the judge waits
    for a child's first reply, not for the groups of parts it has not asked about yet)."""

    def __init__(self, program: dict, now: bool = True):
        self.encoded_groups = program.get("groups", [])
        if now:
            self.cases = {key: decode_inputs(encoded) for key, encoded in program["cases"].items()}
        else:
            self.cases = _Cases(program["cases"])   # a group's cases decoded as it is made
        self.shared = Shared(self.cases)
        self.groups = [prepare_group(g, self.shared) for g in self.encoded_groups] if now \
            else [None] * len(self.encoded_groups)

    def group(self, index: int) -> list:
        if self.groups[index] is None:
            self.groups[index] = prepare_group(self.encoded_groups[index], self.shared)
        return self.groups[index]


def run_item(item: Item, namespace: dict, memo: dict, reply: Reply) -> None:
    """One item's raw result, added to reply."""
    inputs = item.inputs
    try:
        if item.changed is not None:
            value = item.run(namespace, {**inputs, **item.changed})
        else:
            value = memo.get(item.slot, _UNSET)
            if value is _UNSET:
                value = _outcome(item.run, namespace, inputs)
                if _small(value):   # a huge value is made again rather than kept for the session
                    memo[item.slot] = value
            if isinstance(value, _Failed):
                return reply.other(value.result)
            for key in item.keys:
                value = take(value, key)
    except Missing as err:
        return reply.other({"t": "missing", "msg": str(err)})
    except BaseException as err:  # SystemExit and KeyboardInterrupt are the student's too
        return reply.other(_raised(err))
    try:
        if item.leaves:
            reply.leaves(leaves(value))
        else:
            encode(value, reply)
    except TooBig as err:
        reply.other({"t": "toobig", "msg": f"returned {err}"})
    except BaseException as err:
        reply.other(_raised(err))


_UNSET = object()
MEMO_BYTES = 1 << 20     # the largest value the memo keeps


def _small(value) -> bool:
    """Whether a value's arrays (looked for two containers deep) stay under MEMO_BYTES; a value
    that cannot be looked at is not kept."""
    kind = type(value)
    if kind is float or kind is _ndarray:   # the usual values, first
        return kind is float or value.nbytes <= MEMO_BYTES
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
        return call(namespace, inputs)
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
    names = frozenset(f"<{unit['name']}>" for unit in units)
    finder = StandInFinder(names, _Guarded(units), offer)
    sys.meta_path.append(finder)
    namespace = {"__name__": "submission",
                 "__builtins__": {**vars(builtins), **notebook_builtins()}}
    problems: list[dict] = []
    for unit in units:
        _run_unit(unit, namespace, problems)
    return namespace, {"problems": problems[:50], "stand_ins": finder.display,
                       "placeholders": finder.placeholders,
                       "functions": sorted(k for k, v in namespace.items()
                                           if callable(v) and not k.startswith("__"))}


class _Guarded:
    """(filename, line) of the units' imports inside a `try` that handles ImportError (what
    StandInFinder asks with `in`), found from their syntax trees the first time it is asked:
    a submission whose imports all exist is never parsed for it."""

    def __init__(self, units: list[dict]):
        self.units, self.found = units, None

    def __contains__(self, where) -> bool:
        if self.found is None:
            trees = [(unit, _parse(unit)) for unit in self.units]
            self.found = frozenset(g for unit, tree in trees if not isinstance(tree, SyntaxError)
                                   for g in guarded_imports(tree, f"<{unit['name']}>"))
        return where in self.found


# Where an exception was raised in a unit run whole is read from its code's positions (3.11+);
# before, every unit runs statement by statement.
_WHOLE = hasattr(compile("", "", "exec"), "co_positions")


def _run_unit(unit: dict, namespace: dict, problems: list[dict]) -> None:
    """A unit compiled and run whole, the usual case (a syntax tree of it costs more than running
    it); split into statements only when it does not compile as a whole, or when a statement
    of a script fails: the statements after that one still run, one by one."""
    filename = f"<{unit['name']}>"
    code = None
    if _WHOLE:
        try:
            code = compile(unit["source"], filename, "exec", dont_inherit=True)
        except BaseException:   # reported as before, from its syntax tree
            code = None
    if code is not None:
        try:
            exec(code, namespace)
            return
        except BaseException as err:
            if _report(err, unit, filename, problems):
                return
            tree, start = _parse(unit), _failed_statement(code, err)
    else:
        tree, start = _parse(unit), 0
    if isinstance(tree, SyntaxError):
        if start == 0:
            problems.append({"t": "raised", "type": "SyntaxError", "msg": tree.msg, "unit": unit["name"],
                             "where": f"{unit['name']}, line {tree.lineno}", "whole": True})
        return
    again = bool(start)   # these statements were compiled once: their warnings were shown then
    if start:
        start = _after(tree.body, *start)
    flags = _future_flags(tree.body[:start])
    pieces = [tree.body] if unit.get("cell") else [[statement] for statement in tree.body[start:]]
    for piece in pieces:
        flags |= _future_flags(piece)
        try:
            with _quiet() if again else _as_is:
                code = compile(ast.Module(piece, type_ignores=[]), filename, "exec", flags=flags, dont_inherit=True)
            exec(code, namespace)
        except BaseException as err:
            if _report(err, unit, filename, problems):
                break


_as_is = contextlib.nullcontext()


@contextlib.contextmanager
def _quiet():
    with _catch_warnings():
        _simplefilter("ignore")
        yield


def _report(err: BaseException, unit: dict, filename: str, problems: list[dict]) -> bool:
    """Add what a unit raised to problems; whether the unit stops there (a cell, exit(), Ctrl-C)."""
    problem = _raised(err, outermost=filename)
    problem["unit"] = unit["name"]
    problems.append(problem)
    if unit.get("cell") or isinstance(err, (SystemExit, KeyboardInterrupt)):
        problem["stopped"] = True
        return True
    return False


def _failed_statement(code, err: BaseException) -> tuple[int, int | None]:
    """(line, column or None) in the unit of the instruction of its top-level code that was
    running when err was raised."""
    tb = err.__traceback__
    while tb is not None and tb.tb_frame.f_code is not code:
        tb = tb.tb_next
    if tb is None:   # not raised in the unit's own code: nothing known, nothing after it runs
        return (1 << 30, None)
    positions = list(code.co_positions())
    line, _, column, _ = positions[tb.tb_lasti // 2] if 0 <= tb.tb_lasti // 2 < len(positions) else (None,) * 4
    return (line, column) if line is not None and column is not None else (tb.tb_lineno, None)


def _after(body: list, line: int, column: int | None) -> int:
    """The index of the statement after the top-level statement holding (line, column): by its
    source span, decorators included; without a column, the last one starting on or before the
    line (statements sharing that line after it do not run)."""
    held = len(body) - 1
    for index, node in enumerate(body):
        begin = min([(node.lineno, node.col_offset)]
                    + [(d.lineno, d.col_offset) for d in getattr(node, "decorator_list", ())])
        if column is None:
            if begin[0] > line:
                return index
            continue
        if begin <= (line, column) < (node.end_lineno, node.end_col_offset):
            return index + 1
        if begin > (line, column):
            held = index - 1
            break
    return held + 1


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


def serve(rfd: int, wfd: int, program: Program | None = None) -> None:
    """One submission: load it, then answer the judge's requests until it hangs up. program:
    what a fork server made ready before forking us; a request may bring another."""
    hello, _ = read_frame(rfd, _read)
    limit_resources(hello["limits"])
    namespace, report = load(hello["units"], hello.get("offer", "NumPy"))
    _send(wfd, frame(report))
    memo: dict = {}
    while True:
        received = read_frame(rfd, _read)
        if received is None:
            return
        request = received[0]
        if "program" in request:
            program, memo = Program(request["program"], now=False), {}
        for position, wanted in enumerate(request["run"]):
            group = program.group(wanted) if type(wanted) is int else prepare_group(wanted, program.shared)
            answer(group, request["nonce"], position, namespace, memo, wfd)


def answer(group: list[Item], nonce: str, position: int, namespace: dict, memo: dict, wfd: int) -> None:
    """One group's reply, written the moment it is made: a call that hangs after it costs the
    judge nothing of what came before."""
    reply = Reply(nonce, position)
    for item in group:
        run_item(item, namespace, memo, reply)
    _send(wfd, reply.frame())


def children_of(pid: int) -> list[int]:
    """The processes whose parent is pid: from /proc/PID/task/*/children where the kernel has
    it, else by reading every process's parent (a scan of all of /proc)."""
    try:
        found = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
        return found
    except (OSError, ValueError):
        pass
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


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def forkserver(control_fd: int, plan: dict) -> None:
    """A warm process (NumPy imported) that forks a fresh child per submission, so no student
    pays for interpreter start and none inherits another's state. It never runs student code.
    It was made not dumpable before anything else ran in it (grader.sandbox.isolation.PROGRAM), so no
    child can ptrace it or read its memory. Each child walls itself off (plan["child"], see
    grader.sandbox.confine) before it reads the submission; a child that kills the server makes the
    judge start another. As a subreaper the server gets back whatever a child orphans, and "end"
    kills all of it, then empties what plan["server"] names (a shared /tmp, SysV IPC objects).
    "prepare" hands it a program (a file of the judge's, by descriptor): its cases decoded and its
    expressions compiled here, once, for every child forked after."""
    import socket
    from grader.sandbox.confine import become_subreaper, confine_or_exit, die_with_parent, remove_sysv
    become_subreaper()
    die_with_parent(os.getppid())
    control = socket.socket(fileno=control_fd)
    gc.freeze()   # NumPy and ours, as for a program below
    control.send(b'{"ready": true}')
    child, program = 0, None
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
                serve(fds[0], fds[1], program)
                os._exit(0)
            control.send(_dumps({"pid": child}).encode())
        elif command["op"] == "prepare" and len(fds) == 1:
            program = Program(_loads(_read_all(fds[0])))
            gc.collect()
            gc.freeze()   # children never scan what is ours, so their collections copy none of its pages
            control.send(b'{"prepared": true}')
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
