"""The boundary between judge and student code: one child process at a time per submission.

Everything that touches student code at run time is here. The child (grader/child.py) gets the
submission as source text, so it needs no file of it; it answers call requests with plain JSON.
A child that exits, hangs, crashes or overruns is killed with its whole process group and costs
only the request it was serving; the next request starts a fresh child.
"""
from __future__ import annotations

import json
import os
import secrets
import select
import signal
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field

from grader.sandbox import isolation as sandbox
from grader.sandbox.cgroup import Cgroup
from grader.sandbox.confine import REFUSED_STATUS
from grader.sandbox.protocol import MAX_FRAME_BYTES, Malformed, load_report, parse_frame, results_of

MAX_REPLY_BYTES = MAX_FRAME_BYTES  # a reply larger than this is refused unread
OUTPUT_HEAD = OUTPUT_TAIL = 4096  # bytes of the student's own output kept from each end
GROUP_TASKS = 64                  # processes and threads one submission may have at once
GROUP_BASELINE = 256 << 20        # memory for the interpreter and NumPy, on top of the budget


@dataclass
class Limits:
    load_seconds: float = 10.0
    memory_bytes: int = 1 << 30
    file_bytes: int = 16 << 20
    open_files: int = 256
    modules: tuple[str, ...] = ()   # importable besides NumPy and the standard library

    def offer(self) -> str:
        """What a student should use instead of a module the sandbox lacks."""
        return " or ".join(["NumPy", *self.modules])


def wire(items: list[dict]) -> str:
    """A request's body, '"exprs": [...], "items": [{"e", "c", "w"?, "l"?}]': each distinct
    expression once, each item naming it by index (see child.run_item)."""
    index: dict[str, int] = {}
    compact = []
    for item in items:
        entry = {"e": index.setdefault(json.dumps(item["expr"]), len(index)), "c": item["case"]}
        if "with" in item:
            entry["w"] = item["with"]
        if item.get("mode") == "leaves":
            entry["l"] = 1
        compact.append(entry)
    return f'"exprs": [{", ".join(index)}], "items": {json.dumps(compact)}'


class ChildFailure(Exception):
    """The child could not answer: the message says what happened, for the student; kind, for
    machines: timeout, crashed, malformed, too_big, not_run or internal (grader.core.score)."""

    def __init__(self, message: str, *, kind: str = "internal"):
        super().__init__(message)
        self.kind = kind


def _malformed(what: str, err: Exception) -> str:
    return (f"{what}: the grader refuses the reply of the process running your code ({err}): "
            "a reply forged or garbled by code writing to the grader's pipes, or a value too large to judge")


@dataclass
class CappedOutput:
    """The student's stdout and stderr, keeping a head and a tail."""
    head: bytearray = field(default_factory=bytearray)
    tail: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def add(self, chunk: bytes) -> None:
        room = OUTPUT_HEAD - len(self.head)
        self.head += chunk[:room]
        chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > OUTPUT_TAIL:
                self.dropped += len(self.tail) - OUTPUT_TAIL
                del self.tail[:-OUTPUT_TAIL]

    def text(self) -> str:
        middle = f"\n[... {self.dropped} bytes of output dropped ...]\n" if self.dropped else ""
        return (bytes(self.head).decode(errors="replace") + middle
                + bytes(self.tail).decode(errors="replace"))


def child_env() -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "PYTHONHASHSEED": "0",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine fixes, keep them
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def before_exec(cgroup: Cgroup | None, then):
    """What the new process does between fork and exec: join its cgroup, then the mode's step."""
    steps = [step for step in (cgroup and cgroup.enter, then) if step]
    if not steps:
        return None

    def run() -> None:
        for step in steps:
            step()
    return run


_reaping: list[bool] = []


def _reaper_once() -> None:
    if not _reaping:
        _reaping.append(sandbox.become_subreaper())


def _signal_of(returncode: int, wrapped: bool) -> int | None:
    """A wrapper such as bwrap reports its child's death by signal N as exit status 128 + N."""
    if returncode < 0:
        return -returncode
    if wrapped and 128 < returncode < 128 + 65:
        return returncode - 128
    return None


def _describe_death(returncode: int | None, wrapped: bool = False) -> str:
    if returncode is None:
        return "the process running your code stopped answering"
    if returncode == REFUSED_STATUS:
        return "the grader could not wall off the process for your code (a fault of the grader's machine)"
    number = _signal_of(returncode, wrapped)
    if number is not None:
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        why = {"SIGSEGV": " (a segmentation fault)", "SIGKILL": " (killed, often by the memory limit)",
               "SIGXCPU": " (the CPU-time limit)"}.get(name, "")
        return f"the process running your code was killed by {name}{why}"
    return f"your code ended the process running it (exit status {returncode}, e.g. os._exit)"


class ChildSession:
    """Runs requests for one submission, restarting the child after a failure."""

    def __init__(self, units: list[dict], limits: Limits, deadline: float, isolation: str = "process",
                 case_table: str = "{}", server=None):
        self.units = units
        self.server = server              # a grader.sandbox.forkserver.ForkServer, or None for a new process
        self.case_table = case_table      # JSON of every case's inputs, sent once per child
        self.limits = limits
        self.isolation = isolation
        self.deadline = deadline          # time.monotonic() past which nothing more runs
        self.output = CappedOutput()
        self.load_report: dict | None = None
        self.load_failure: str | None = None
        self.load_failure_kind = "internal"   # the ChildFailure kind of load_failure
        self.proc: subprocess.Popen | None = None
        self.running = False
        self.cgroup: Cgroup | None = None
        self.child_cases: str | None = None

    # -- process management --
    def start(self) -> None:
        """Start a child and send it the submission; the reply is read by the first request.
        With a fork server the child is forked from it; else it is a new sandboxed process."""
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        out_r, out_w = os.pipe()
        theirs = (to_child_r, from_child_w, out_w)
        try:
            if self.server is not None:
                self.server.fork(theirs)
                self.proc = None
            else:
                env = child_env()
                launch = sandbox.launch(self.isolation, [str(to_child_r), str(from_child_w)], env,
                                        self.limits.modules)
                _reaper_once()
                self.cgroup = Cgroup.create(GROUP_TASKS, self.limits.memory_bytes + GROUP_BASELINE)
                self.proc = subprocess.Popen(
                    launch.argv, pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
                    stdout=out_w, stderr=out_w, env=env, cwd=launch.cwd, start_new_session=True,
                    preexec_fn=before_exec(self.cgroup, launch.preexec))
                sandbox.started(self.proc.pid)
        except (ChildFailure, sandbox.IsolationUnavailable) as failure:
            for fd in (*theirs, to_child_w, from_child_r, out_r):
                os.close(fd)
            self.load_failure = str(failure)
            self.load_failure_kind = getattr(failure, "kind", "internal")
            raise ChildFailure(self.load_failure, kind=self.load_failure_kind) from None
        for fd in theirs:
            os.close(fd)
        self.running = True
        self.exit_status: int | None = None
        self.wfd, self.rfd = to_child_w, from_child_r
        os.set_blocking(self.wfd, False)   # _send waits with select, up to a deadline
        self.out = os.fdopen(out_r, "rb", buffering=0)
        self.drain = threading.Thread(target=self._drain, args=(self.out,), daemon=True)
        self.drain.start()
        limits = {"memory_bytes": self.limits.memory_bytes, "file_bytes": self.limits.file_bytes,
                  "open_files": self.limits.open_files,
                  "cpu_seconds": max(1, int(self.deadline - time.monotonic()) + 1),
                  "processes": sandbox.process_cap(self.isolation)}
        hello = json.dumps({"units": self.units, "limits": limits, "offer": self.limits.offer()})[:-1] \
            + f', "cases": {self.case_table}}}'
        self._send(hello, time.monotonic() + self.limits.load_seconds)
        self.child_cases = self.case_table
        self.loaded = False

    def _drain(self, stream) -> None:
        try:
            for chunk in iter(lambda: stream.read(65536), b""):
                self.output.add(chunk)
        except (OSError, ValueError):
            pass   # closed under us by kill(): the output so far is kept

    def _end(self, dying: bool = False) -> int | None:
        """Stop the child and everything it started; its exit status if it had ended by itself
        (`dying`: it closed its pipe, so give it a moment to finish). See grader.sandbox.isolation and
        grader.sandbox.cgroup for how, per isolation mode."""
        if self.server is not None:
            return self.server.end(dying)
        try:
            status = self.proc.wait(timeout=1) if dying else self.proc.poll()
        except subprocess.TimeoutExpired:
            status = None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.cgroup:
            self.cgroup.remove()        # every process of the submission, wherever it went
        self.proc.wait()
        sandbox.stopped(self.proc.pid)
        sandbox.reap_orphans()          # without a cgroup: orphans that reparented to us
        sandbox.after_child(self.isolation)
        return status

    def kill(self) -> None:
        if not self.running:
            return
        self.running = False
        status = self._end()
        if self.exit_status is None:
            self.exit_status = status
        self.server = None   # after a failure, the rest of this submission runs in new processes
        self.drain.join(timeout=1)
        self.out.close()
        for fd in (self.wfd, self.rfd):
            os.close(fd)

    close = kill

    # -- framing --
    def _send(self, message: dict | str, deadline: float) -> None:
        """Write a frame, never blocking past the deadline (a child that stops reading)."""
        body = (message if isinstance(message, str) else json.dumps(message)).encode()
        data = memoryview(struct.pack(">I", len(body)) + body)
        try:
            while data:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([], [self.wfd], [], left)[1]:
                    return   # the read that follows times out and says so
                try:
                    data = data[os.write(self.wfd, data):]
                except BlockingIOError:
                    continue
        except BrokenPipeError:
            pass  # the child is gone; the read that follows reports how

    def _read(self, deadline: float, what: str) -> dict:
        head = self._read_exact(4, deadline, what)
        size = struct.unpack(">I", head)[0]
        if size > MAX_REPLY_BYTES:
            raise ChildFailure(f"{what} returned more than {MAX_REPLY_BYTES >> 20} MiB of data", kind="too_big")
        try:
            return parse_frame(self._read_exact(size, deadline, what))
        except Malformed as err:
            raise ChildFailure(_malformed(what, err), kind="malformed") from None

    def _read_exact(self, n: int, deadline: float, what: str) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                raise ChildFailure(f"{what} did not finish within the time budget", kind="timeout")
            chunk = os.read(self.rfd, min(n - len(buf), 1 << 20))
            if not chunk:
                self.exit_status = self._end(dying=True)
                wrapped = self.isolation == "bubblewrap" and self.server is None
                raise ChildFailure(f"{_describe_death(self.exit_status, wrapped)} during {what}", kind="crashed")
            buf += chunk
        return bytes(buf)

    # -- the two things a judge asks --
    def ensure_loaded(self) -> None:
        """Have a child with the submission loaded, or raise ChildFailure for good."""
        if self.load_failure:
            raise ChildFailure(self.load_failure, kind=self.load_failure_kind)
        if self.running and self.loaded:
            return
        if not self.running:
            self.start()
        deadline = min(self.deadline, time.monotonic() + self.limits.load_seconds)
        what = f"loading your submission ({self.limits.load_seconds:g} s budget)"
        try:
            try:
                report = load_report(self._read(deadline, what))
            except Malformed as err:
                raise ChildFailure(_malformed(what, err), kind="malformed") from None
        except ChildFailure as failure:
            self.kill()
            self.load_failure, self.load_failure_kind = str(failure), failure.kind
            raise
        self.loaded = True
        if self.load_report is None:
            self.load_report = report

    def call(self, items: list[dict], seconds: float, what: str) -> list[dict]:
        """Run items in the child; one raw result per item. ChildFailure costs only this request."""
        if time.monotonic() >= self.deadline:
            raise ChildFailure("the submission's total time budget was used up before this check", kind="not_run")
        self.ensure_loaded()
        deadline = min(self.deadline, time.monotonic() + seconds)
        nonce = secrets.token_hex(8)
        body = getattr(items, "wire", None) or wire(items)
        if isinstance(items, list) and type(items) is not list:
            items.wire = body     # a checks.Calls, asked for again by the next submission
        request = f'{{"nonce": "{nonce}", {body}}}'
        if self.child_cases is not self.case_table:     # the judge moved on to another seed
            request = request[:-1] + f', "cases": {self.case_table}}}'
            self.child_cases = self.case_table
        self._send(request, deadline)
        try:
            reply = self._read(deadline, what)
            while isinstance(reply, dict) and reply.get("nonce") != nonce:
                reply = self._read(deadline, what)   # stale or forged (a forked copy's): skip
            return results_of(reply, len(items))
        except (ChildFailure, Malformed) as failure:
            self.kill()
            if isinstance(failure, ChildFailure):
                raise
            raise ChildFailure(_malformed(what, failure), kind="malformed") from None
