"""The boundary: where student code runs, walled off, and how the judge talks to it.

- child.py: runs in the sandbox (with standins.py, confine.py and protocol.py sent along as text):
  loads the submission and answers the judge's calls with plain data; it imports nothing of ours.
- protocol.py: the wire format, on both sides.
- session.py: one submission's child, restarted after a failure; isolation.py: the modes
  (bubblewrap, user, process) and what each child does to wall itself off; cgroup.py, uids.py,
  forkserver.py: control groups, student uids and the warm server a batch forks children from.

The rest of grader uses what this file exports.
"""
from grader.errors import IsolationUnavailable
from grader.sandbox.forkserver import ForkServer
from grader.sandbox.isolation import MODES, become_subreaper, cap_own_memory, choose, strongest, unavailable
from grader.sandbox.session import ChildFailure, ChildSession, Limits, Program

__all__ = ["MODES", "ChildFailure", "ChildSession", "ForkServer", "IsolationUnavailable", "Limits", "Program",
           "become_subreaper", "cap_own_memory", "choose", "strongest", "unavailable"]
