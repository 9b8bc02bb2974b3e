"""A warm, sandboxed process that forks a fresh child per submission (see child.forkserver).

A batch worker keeps one: starting an interpreter and importing NumPy costs more than grading a
submission, and a fork costs almost nothing. Every child is still a new process, so nothing of
one student reaches the next. The server lives in the sandbox and in one cgroup (where there
are cgroups) with its current child; after each submission, it kills everything the child left
(it is their subreaper), and the judge kills whatever else is in the cgroup but the server.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess

from grader import sandbox
from grader.cgroup import Cgroup
from grader.runner import GROUP_BASELINE, GROUP_TASKS, ChildFailure, before_exec, child_env

READY_SECONDS = 20.0
REPLY_SECONDS = 10.0


class ForkServer:
    def __init__(self, isolation: str, memory_bytes: int = 1 << 30, modules: tuple[str, ...] = ()):
        self.isolation = isolation
        self.modules = modules          # what the problem set lets students import beside NumPy
        self.memory_bytes = memory_bytes
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.cgroup: Cgroup | None = None
        self.keep: set[int] = set()
        # bubblewrap gives the server a private /tmp and /dev/shm that all its children share:
        # emptied after each child, so nothing written there reaches the next student
        self.private = ["/tmp", "/dev/shm"] if isolation == "bubblewrap" else []

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = child_env()
        launch = sandbox.launch(self.isolation, ["forkserver", str(theirs.fileno())], env, self.modules)
        self.cgroup = Cgroup.create(GROUP_TASKS + 8, self.memory_bytes + 2 * GROUP_BASELINE)
        self.proc = subprocess.Popen(
            launch.argv, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=launch.cwd,
            start_new_session=True, preexec_fn=before_exec(self.cgroup, launch.preexec))
        sandbox.started(self.proc.pid)
        theirs.close()
        self.sock = ours
        if self._reply(READY_SECONDS) is None:
            self.close()
            raise ChildFailure("the grader could not start its sandboxed worker")
        self.keep = set(self.cgroup.pids()) if self.cgroup else set()

    def _reply(self, seconds: float) -> dict | None:
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(4096)
            reply = json.loads(data) if data else None
        except (OSError, ValueError, RecursionError):   # a child that got hold of the socket
            return None
        return reply if isinstance(reply, dict) else None

    def fork(self, fds: tuple[int, int, int]) -> None:
        """A new child that reads requests on fds[0], replies on fds[1], prints to fds[2].
        A server that died since (a child may kill its parent) is replaced, once."""
        for attempt in range(2):
            if self.proc is None:
                self._start()
            try:
                socket.send_fds(self.sock, [b'{"op": "fork"}'], list(fds))
                if self._reply(REPLY_SECONDS) is not None:
                    return
            except OSError:
                pass
            self.close()
        raise ChildFailure("the grader's sandboxed worker could not start a child for your code")

    def end(self, dying: bool = False) -> int | None:
        """Kill the current child and all it started; its exit status if it had ended by itself
        (`dying`: it closed its pipe, so the server waits a moment for it to finish)."""
        if self.proc is None:
            return None
        try:
            self.sock.send(json.dumps({"op": "end", "wait": dying, "wipe": self.private}).encode())
            reply = self._reply(REPLY_SECONDS)
        except OSError:
            reply = None
        if reply is None:                 # the server itself died or hung: start afresh next time
            self.close()
            return None
        if self.cgroup:
            for pid in set(self.cgroup.pids()) - self.keep:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        return reply.get("status")

    def close(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self.cgroup:
                self.cgroup.remove()
            self.proc.wait()
            sandbox.stopped(self.proc.pid)
            sandbox.reap_orphans()
        if self.sock is not None:
            self.sock.close()
        self.proc, self.sock, self.cgroup = None, None, None
