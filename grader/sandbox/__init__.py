"""The boundary: where student code runs, walled off, and how the judge talks to it.

- child.py: runs in the sandbox (with standins.py, confine.py and protocol.py sent along as text):
  loads the submission and answers the judge's calls with plain data; it imports nothing of ours.
- protocol.py: the wire format, on both sides.
- session.py: one submission's child, restarted after a failure; isolation.py: the modes
  (bubblewrap, user, process) and what each child does to wall itself off; cgroup.py, uids.py,
  forkserver.py: control groups, student uids and the warm server a batch forks children from;
  early.py: a `grader check` child started before the judge has imported NumPy.

The rest of grader uses what this file exports. The session and the fork server are imported
on first use: they bring NumPy, and `grader check` starts its child before it imports NumPy.
"""
from grader.errors import IsolationUnavailable
from grader.sandbox.isolation import MODES, become_subreaper, cap_own_memory, choose, strongest, unavailable

_LATER = {"ForkServer": "grader.sandbox.forkserver", "ChildFailure": "grader.sandbox.session",
          "ChildSession": "grader.sandbox.session", "Limits": "grader.sandbox.session",
          "Program": "grader.sandbox.session"}


def __getattr__(name: str):
    if name in _LATER:
        import importlib
        return getattr(importlib.import_module(_LATER[name]), name)
    raise AttributeError(f"module 'grader.sandbox' has no attribute {name!r}")


__all__ = ["MODES", "ChildFailure", "ChildSession", "ForkServer", "IsolationUnavailable", "Limits", "Program",
           "become_subreaper", "cap_own_memory", "choose", "strongest", "unavailable"]
