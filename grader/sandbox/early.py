"""`grader check`'s child, started before the judge imports NumPy, pydantic and the problem.

A child's start (bubblewrap, Python, NumPy) takes about as long as the judge's own imports and
plan, so `grader check` starts it first, in the mode presumed to work (bubblewrap, with
namespaces of its own), and the two overlap. It stands in for bubblewrap's probe
(grader.sandbox.isolation): once walled off, and before anything of the student's can run, it
writes confine.WALLS_UP on its reply pipe; if it exits instead, its exit status and words are
the probe's answer. The session adopts it (ChildSession.start) when the judge's mode is
bubblewrap and the problem lets students import nothing but NumPy; otherwise it is killed unused.
Its group's memory cap is the session's default until the problem's budget is known.
"""
from __future__ import annotations

import atexit
import os
import select
import shutil
import subprocess
import sys
from dataclasses import dataclass

from grader.errors import IsolationUnavailable
from grader.sandbox import isolation
from grader.sandbox.confine import REFUSED_STATUS, WALLS_UP

MODE = "bubblewrap"
MEMORY_BYTES = 1 << 30    # the cgroup's cap for the budget until the problem's is known
WAIT_SECONDS = 20         # as long as the probe it stands in for may take
WORDS_BYTES = 4096        # of a child that could not start: what it said, for the probe's answer


@dataclass
class Early(isolation.Started):
    settled: bool = False    # its first byte (or its end) has been read
    walled: bool = False     # that byte was WALLS_UP


_waiting: list[Early] = []


def start(requested: str) -> None:
    """Start the child, if `requested` isolation (auto, or bubblewrap) would be bubblewrap where
    it works, and bubblewrap is installed and not yet probed. Anything that stops it here is
    left to the probe to find and say."""
    if (_waiting or requested not in ("auto", MODE) or not sys.platform.startswith("linux")
            or os.environ.get("GRADER_NAMESPACES", "1") == "0" or shutil.which("bwrap") is None
            or isolation.bwrap_probed()):
        return
    try:
        child = isolation.start_child(MODE, MEMORY_BYTES, early=True)
    except (OSError, subprocess.SubprocessError, IsolationUnavailable):
        return
    _waiting.append(Early(**vars(child)))
    atexit.register(discard)


def settle() -> None:
    """Tell grader.sandbox.isolation what the early child showed of bubblewrap here, once: called
    by its probe, which then need not run."""
    if not _waiting or _waiting[0].settled:
        return
    early = _waiting[0]
    early.settled = True
    ready, _, _ = select.select([early.rfd], [], [], WAIT_SECONDS)
    first = os.read(early.rfd, 1) if ready else b""
    if first == WALLS_UP:
        early.walled = True
        isolation.learn_bwrap(None, None)
        return
    _end(early)
    words = _words(early)
    if not ready:
        isolation.learn_bwrap(f"bubblewrap cannot start here: no answer in {WAIT_SECONDS} s", None)
    elif early.proc.returncode == REFUSED_STATUS:   # bubblewrap ran; the child's own namespaces did not
        isolation.learn_bwrap(None, words)
    else:
        isolation.learn_bwrap(f"bubblewrap cannot start here: {words}", None)
    _close(early)
    _waiting.clear()


def take(mode: str, modules: tuple[str, ...]) -> Early | None:
    """The early child, walled off and waiting for a submission, if it fits a session of this
    mode and modules (the caller owns it from then on); else None, and it is gone."""
    settle()
    if not _waiting:
        return None
    early = _waiting.pop()
    if early.walled and mode == MODE and not modules and early.proc.poll() is None:
        return early
    _end(early)
    _close(early)
    return None


def discard() -> None:
    """At exit: an early child never adopted, stopped and its group removed."""
    while _waiting:
        early = _waiting.pop()
        _end(early)
        _close(early)


def _end(early: Early) -> None:
    isolation.stop(early.proc, early.cgroup)


def _words(early: Early) -> str:
    """What a dead child wrote (bwrap's error, or confine's)."""
    said = b""
    while len(said) < WORDS_BYTES and select.select([early.out_r], [], [], 1)[0]:
        chunk = os.read(early.out_r, WORDS_BYTES)
        if not chunk:
            break
        said += chunk
    return said.decode(errors="replace").strip()[:200] or f"exit status {early.proc.returncode}"


def _close(early: Early) -> None:
    for fd in (early.wfd, early.rfd, early.out_r):
        try:
            os.close(fd)
        except OSError:
            pass
