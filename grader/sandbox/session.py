"""The boundary between judge and student code: one child process at a time per submission.

Everything that touches student code at run time is here. The child (grader/sandbox/child.py)
gets the submission as source text, so it needs no file of it; it answers requests for groups of
calls with plain data (grader.sandbox.protocol), one reply per group, as each is done: so a
request may hold many groups (a part's checks) and still a child that exits, hangs, crashes or
overruns costs only the group it was serving. It is killed with its whole process group; the
next request starts a fresh child.
"""
from __future__ import annotations

import os
import secrets
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

from grader.sandbox import early
from grader.sandbox import isolation as sandbox
from grader.sandbox import protocol
from grader.sandbox.cgroup import GROUP_BASELINE, Cgroup
from grader.sandbox.confine import REFUSED_STATUS
from grader.sandbox.protocol import Malformed, TooBig, load_report, parse_reply

OUTPUT_HEAD = OUTPUT_TAIL = 4096  # bytes of the student's own output kept from each end
SKIP_WAIT = 0.01                  # how long a reply that will not be judged is waited for


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


def wire(items: list) -> str:
    """A group's JSON (protocol.group), kept on a checks' Calls: the same for every submission."""
    body = getattr(items, "wire", None)
    if body is None:
        body = protocol.group(items)
        if type(items) is not list:
            items.wire = body
    return body


class Program:
    """What every child of a plan is sent before any request: the case table (JSON) and the
    groups of calls it will be asked for (checks' Calls, sent again by their index in `groups`).
    A fork server makes it ready once for all its children."""

    def __init__(self, case_table: str = "{}", groups: list = ()):
        self.case_table = case_table
        self.groups = list(groups)
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:
            self._text = protocol.program(self.case_table, [wire(g) for g in self.groups])
        return self._text


@dataclass
class Sent:
    """A request on its way: its nonce, and how many results each of its groups must have."""
    nonce: str
    counts: list[int]


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
        self.program = Program(case_table)  # every case's inputs and the groups asked for, sent once per child
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
        self.child_program: Program | None = None   # what the running child holds
        self._inbox = bytearray()                   # read from the child, not yet parsed
        self._outbox = b""                          # for the child, not yet written

    @property
    def case_table(self) -> str:
        return self.program.case_table

    @case_table.setter
    def case_table(self, table: str) -> None:
        if table is not self.program.case_table:
            self.program = Program(table)

    def use(self, program: Program) -> None:
        """The program children are sent from now on. Before start, a fork server makes it ready
        for the child it forks; a running child that lacks it is sent it now, without waiting (it
        makes it ready once loaded, while the judge waits for its load report)."""
        self.program = program
        if self.running and self.child_program is not program and not self.load_failure:
            self._send(protocol.frame(f'{{"nonce": "", "run": [], "program": {program.text()}}}'),
                       time.monotonic())
            self.child_program = program

    # -- process management --
    def start(self) -> None:
        """Start a child and send it the submission; the reply is read by the first request.
        With a fork server the child is forked from it; else it is the early child, where one
        fits (grader.sandbox.early), or a new sandboxed process."""
        adopted = early.take(self.isolation, self.limits.modules) if self.server is None else None
        if adopted is not None:
            to_child_w, from_child_r, out_r = self._take(adopted)
            if self.cgroup:
                self.cgroup.limit_memory(self.limits.memory_bytes + GROUP_BASELINE)
        else:
            to_child_w, from_child_r, out_r = self._launch()
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
        self._inbox, self._outbox = bytearray(), b""
        # written as far as the pipe takes it now; the rest before the load report is read, so
        # the judge goes on (making its plan) while the child starts
        self._send(protocol.frame({"units": self.units, "limits": limits, "offer": self.limits.offer()}),
                   time.monotonic())
        self.loaded = False

    def _launch(self) -> tuple[int, int, int]:
        """A new child, forked from the server or started: the judge's ends of its request, reply
        and output pipes."""
        try:
            if self.server is None:
                return self._take(sandbox.start_child(self.isolation, self.limits.memory_bytes, self.limits.modules))
            return self._fork()
        except (ChildFailure, sandbox.IsolationUnavailable) as failure:
            self.load_failure = str(failure)
            self.load_failure_kind = getattr(failure, "kind", "internal")
            raise ChildFailure(self.load_failure, kind=self.load_failure_kind) from None

    def _take(self, child: sandbox.Started) -> tuple[int, int, int]:
        """A child started on its own (not forked): it holds no program yet."""
        self.proc, self.cgroup, self.child_program = child.proc, child.cgroup, None
        return child.wfd, child.rfd, child.out_r

    def _fork(self) -> tuple[int, int, int]:
        with sandbox.child_pipes() as (theirs, ours):
            self.child_program = self.server.fork(theirs, self.program)
            self.proc = None
        return ours

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
        sandbox.stop(self.proc, self.cgroup)
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
    def _send(self, data: bytes, deadline: float) -> None:
        """Write what is waiting and then data, never blocking past the deadline (a child that
        stops reading); what is left waits for the next _send."""
        data = memoryview(self._outbox + data) if self._outbox else memoryview(data)
        try:
            while data:
                try:
                    data = data[os.write(self.wfd, data):]
                    continue
                except BlockingIOError:
                    pass
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([], [self.wfd], [], left)[1]:
                    break   # the read that follows times out and says so
        except BrokenPipeError:
            data = memoryview(b"")  # the child is gone; the read that follows reports how
        self._outbox = bytes(data)

    def _frame(self, deadline: float, what: str) -> tuple[object, bytes]:
        """The next frame: its JSON part parsed with bounded work (Malformed if it is not), and its
        binary part. Sizes are read first: a frame over the bounds is refused unread."""
        head = protocol.HEAD.size
        self._fill(head, deadline, what)
        try:
            text, blob = protocol.sizes(bytes(self._inbox[:head]))
        except TooBig as err:
            raise ChildFailure(f"{what} returned {err}", kind="too_big") from None
        end = head + text + blob
        self._fill(end, deadline, what)
        if len(self._inbox) == end:   # the usual case: the frame and nothing after it, not copied
            data, self._inbox = self._inbox, bytearray()
        else:
            data = self._inbox[:end]
            del self._inbox[:end]
        return protocol.split(data)

    def _fill(self, n: int, deadline: float, what: str) -> None:
        """At least n bytes from the child in the inbox (reading what more is there, in one go)."""
        while len(self._inbox) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                raise ChildFailure(f"{what} did not finish within the time budget", kind="timeout")
            chunk = os.read(self.rfd, max(n - len(self._inbox), 1 << 16))
            if not chunk:
                self.exit_status = self._end(dying=True)
                wrapped = self.isolation == "bubblewrap" and self.server is None
                raise ChildFailure(f"{_describe_death(self.exit_status, wrapped)} during {what}", kind="crashed")
            self._inbox += chunk

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
                self._send(b"", deadline)
                report = load_report(self._frame(deadline, what)[0])
            except Malformed as err:
                raise ChildFailure(_malformed(what, err), kind="malformed") from None
        except ChildFailure as failure:
            self.kill()
            self.load_failure, self.load_failure_kind = str(failure), failure.kind
            raise
        self.loaded = True
        if self.load_report is None:
            self.load_report = report

    def send(self, groups: list, seconds: float) -> Sent:
        """Ask the child for groups of calls, in order: each an index into the program's groups,
        or a list of calls (grader.judge.verdict.call). Their replies come one by one (receive).
        ChildFailure if nothing can be run (no time left, or the submission does not load)."""
        if time.monotonic() >= self.deadline:
            raise ChildFailure("the submission's total time budget was used up before this check", kind="not_run")
        self.ensure_loaded()
        deadline = min(self.deadline, time.monotonic() + seconds)
        nonce = secrets.token_hex(8)
        wanted = [str(g) if type(g) is int else wire(g) for g in groups]
        request = f'{{"nonce": "{nonce}", "run": [{", ".join(wanted)}]'
        if self.child_program is not self.program:     # a new child, or the judge moved on to another seed
            request += f', "program": {self.program.text()}'
            self.child_program = self.program
        self._send(protocol.frame(request + "}"), deadline)
        return Sent(nonce, [len(self.program.groups[g]) if type(g) is int else len(g) for g in groups])

    def receive(self, sent: Sent, position: int, seconds: float, what: str) -> list[dict]:
        """The raw results of group `position` of a request (those before it already received or
        skipped). ChildFailure costs only this group: the child is killed, so later groups of the
        request must be asked of a new one."""
        deadline = min(self.deadline, time.monotonic() + seconds)
        try:
            return self._reply(sent, position, deadline, what)
        except (ChildFailure, Malformed) as failure:
            self.kill()
            if isinstance(failure, ChildFailure):
                raise
            raise ChildFailure(_malformed(what, failure), kind="malformed") from None

    def _reply(self, sent: Sent, position: int, deadline: float, what: str) -> list[dict]:
        while True:
            message, blob = self._frame(deadline, what)
            if type(message) is not dict:
                raise Malformed("a reply that is not an object")
            nonce, at = protocol.reply_head(message)
            if nonce == sent.nonce and not (type(at) is int and at < position):
                break   # else stale or forged (a forked copy's, a call's already judged): skip
        if at != position:
            raise Malformed(f"a reply to call {at} where call {position} was due")
        return parse_reply(message, blob, sent.counts[position])

    def skip(self, sent: Sent, position: int) -> None:
        """Group `position` will not be judged (its part's time is up): drop its reply if it is
        here already; else the child is still at it, and is stopped."""
        if self.running:
            try:
                self._reply(sent, position, time.monotonic() + SKIP_WAIT, "skipping")
            except (ChildFailure, Malformed):
                self.kill()

    def call(self, items: list[dict], seconds: float, what: str) -> list[dict]:
        """Run items in the child; one raw result per item. ChildFailure costs only this request."""
        sent = self.send([items], seconds)
        return self.receive(sent, 0, seconds, what)
