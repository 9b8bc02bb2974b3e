"""A warm, sandboxed process that forks a fresh child per submission (see child.forkserver).

A batch worker keeps one: starting an interpreter and importing NumPy costs more than grading a
submission, and a fork costs almost nothing. Every child is still a new process, so nothing of
one student reaches the next. Where there are cgroups, the server's group holds a group for the
server itself and one made for each child, which the child enters the moment it is forked
(before it has read the submission, so before it could start anything): memory and tasks are
counted per student, and removing the child's group kills everything it started. The server is
also their subreaper; anything of a child's left in the server's own group is killed too.

A server that dies or stops answering is replaced. If it died while one of its children was
being graded, `spoiled` says so: that student's grading is not to be trusted (grader.batch.workers
grades it again on the fresh server).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile

from grader.sandbox import isolation as sandbox
from grader.sandbox.cgroup import GROUP_BASELINE, GROUP_TASKS, Cgroup
from grader.sandbox.isolation import before_exec, child_env
from grader.sandbox.session import ChildFailure

READY_SECONDS = 20.0
REPLY_SECONDS = 10.0


class ForkServer:
    def __init__(self, isolation: str, memory_bytes: int = 1 << 30, modules: tuple[str, ...] = ()):
        self.isolation = isolation
        self.modules = modules          # what the problem set lets students import beside NumPy
        self.memory_bytes = memory_bytes
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.group: Cgroup | None = None        # everything of this server: limits for all
        self.home: Cgroup | None = None         # the server itself (and bwrap's helper)
        self.child_group: Cgroup | None = None  # the current child and all it starts
        self.keep: set[int] = set()             # the processes in `home` that are the server's
        self.spoiled = False
        self.children = 0
        self.prepared = None                    # the session.Program the server holds, made ready
        self.starting = False                   # launched, its "ready" not read yet

    def _up(self) -> None:
        """The server started, unless it runs already, and ready."""
        if self.proc is None:
            self._launch()
        if self.starting:
            self._ready()

    def _launch(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = child_env()
        try:
            launch = sandbox.launch(self.isolation, ["forkserver", str(theirs.fileno())], env, self.modules)
        except Exception:
            ours.close()
            theirs.close()
            raise
        self.group = Cgroup.create(GROUP_TASKS + 8, self.memory_bytes + 2 * GROUP_BASELINE)
        self.home = Cgroup.create(None, None, parent=self.group, name="server") if self.group else None
        if self.group and not self.home:
            self.group.remove()
            self.group = None
        try:
            self.proc = subprocess.Popen(
                launch.argv, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=launch.cwd,
                start_new_session=True, preexec_fn=before_exec(self.home, launch.preexec))
        except BaseException:
            ours.close()
            self.close()   # the groups it made
            raise
        finally:
            theirs.close()
        sandbox.started(self.proc.pid)
        self.sock, self.prepared, self.starting = ours, None, True

    def _ready(self) -> None:
        """Wait for a server _launch started to say it is ready (it imports NumPy meanwhile)."""
        self.starting = False
        if self._reply(READY_SECONDS) is None:
            self.close()
            raise ChildFailure("the grader could not start its sandboxed worker")
        self.keep = set(self.home.pids()) if self.home else set()

    def launch(self) -> None:
        """Start the server without waiting for it: a batch's worker makes its plan meanwhile
        (warm). Failures wait for the first fork, which tries again and says why."""
        if self.proc is None:
            try:
                self._launch()
            except Exception:
                self.close()

    def warm(self, program) -> None:
        """The server started (if launch did not) and holding program, before the first fork."""
        try:
            self._up()
            self._prepare(program)
        except Exception:   # the first fork starts afresh and says why
            self.close()

    def _reply(self, seconds: float) -> dict | None:
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(4096)
            reply = json.loads(data) if data else None
        except (OSError, ValueError, RecursionError):   # a child that got hold of the socket
            return None
        return reply if isinstance(reply, dict) else None

    def fork(self, fds: tuple[int, int, int], program=None):
        """A new child that reads requests on fds[0], replies on fds[1], prints to fds[2]; it
        holds `program` (a session.Program), made ready in the server first unless it is already.
        Returns the program the child holds. A server that died since (a child may kill its
        parent) or misbehaves is replaced, once."""
        for attempt in range(2):
            self._up()
            if program is not None and program is not self.prepared:
                self._prepare(program)
            entries = self._child_group() if self.proc is not None else []
            try:
                if self.proc is not None:
                    socket.send_fds(self.sock, [b'{"op": "fork"}'], list(fds) + entries)
                    reply = self._reply(REPLY_SECONDS)
                    if reply is not None and isinstance(reply.get("pid"), int):
                        return self.prepared
            except OSError:
                pass
            finally:
                for fd in entries:
                    os.close(fd)
            self.close()
        raise ChildFailure("the grader's sandboxed worker could not start a child for your code")

    def _prepare(self, program) -> None:
        """Hand the server a program to make ready (in a file: it may be larger than a message)."""
        with tempfile.TemporaryFile() as data:
            data.write(program.text().encode())
            data.flush()
            try:
                socket.send_fds(self.sock, [b'{"op": "prepare"}'], [data.fileno()])
                reply = self._reply(REPLY_SECONDS)
            except OSError:
                reply = None
        if reply is None or reply.get("prepared") is not True:
            self.close()
            return
        self.prepared = program

    def _child_group(self) -> list[int]:
        """A group for the next child, made before it is forked; the child moves itself in
        through the descriptors returned (first thing, before it reads the submission) ."""
        if self.group is None:
            return []
        self.children += 1
        self.child_group = Cgroup.create(GROUP_TASKS, self.memory_bytes + GROUP_BASELINE,
                                         parent=self.group, name=f"child-{self.children}")
        if self.child_group is None:
            return []
        try:
            return self.child_group.open_entries()
        except OSError:
            return []

    def end(self, dying: bool = False) -> int | None:
        """Kill the current child and all it started; its exit status if it had ended by itself
        (`dying`: it closed its pipe, so the server waits a moment for it to finish)."""
        if self.proc is None:
            return None
        try:
            self.sock.send(json.dumps({"op": "end", "wait": dying}).encode())
            reply = self._reply(REPLY_SECONDS)
        except OSError:
            reply = None
        if reply is None:      # the server died or hung under a student: start afresh next time
            self.spoiled = True
            self.close()
            return None
        self._clear_child()
        return reply.get("status")

    def _clear_child(self) -> None:
        if self.child_group is not None:
            self.child_group.remove()
            self.child_group = None
        if self.home is not None:
            for pid in set(self.home.pids()) - self.keep:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        sandbox.after_child(self.isolation)

    def take_spoiled(self) -> bool:
        """Whether the server died under a student since last asked."""
        spoiled, self.spoiled = self.spoiled, False
        return spoiled

    def close(self) -> None:
        if self.proc is not None:
            sandbox.stop(self.proc, self.group)
            sandbox.reap_orphans()
            self.child_group = None
            sandbox.after_child(self.isolation)
        elif self.group is not None:   # its Popen failed
            self.group.remove()
        if self.sock is not None:
            self.sock.close()
        self.proc, self.sock, self.group, self.home, self.starting = None, None, None, None, False
