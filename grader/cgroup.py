"""A control group per child, where the machine lets us make one (root, a writable cgroup fs).

rlimits bound one process; a submission that forks bounds nothing with them (and RLIMIT_NPROC
does not apply to root outside a user namespace). A cgroup caps the whole tree: `pids.max`
processes and threads, and memory for all of them together; and it lists every process in it,
so cleanup kills exactly the submission's processes, wherever they moved (setsid, double fork).
Both cgroup v1 (a `pids` and a `memory` hierarchy) and v2 (one unified tree) are handled.
Without a usable cgroup fs the child runs with rlimits alone, and the score document says so.
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def _own(controller: str | None) -> Path | None:
    """Our own cgroup in a v1 controller's hierarchy (None = the v2 unified tree)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (controller is None and controllers == "") or controller in controllers.split(","):
            return Path(path.lstrip("/"))
    return None


def _plan(name: str, v2: bool, max_tasks: int, memory_bytes: int) -> list[tuple[Path, dict]]:
    """The folders to make, pids first, and what to write in each."""
    if v2:
        own = _own(None)
        if own is None:
            return []
        return [(ROOT / own / name, {"pids.max": str(max_tasks), "memory.max": str(memory_bytes)})]
    pids_own, memory_own = _own("pids"), _own("memory")
    if pids_own is None or not (ROOT / "pids").is_dir():
        return []
    plan = [(ROOT / "pids" / pids_own / name, {"pids.max": str(max_tasks)})]
    if memory_own is not None and (ROOT / "memory").is_dir():
        plan.append((ROOT / "memory" / memory_own / name, {"memory.limit_in_bytes": str(memory_bytes)}))
    return plan


class Cgroup:
    """One child's group. `create` returns None where cgroups cannot be used."""

    def __init__(self, folders: list[Path], v2: bool):
        self.folders = folders
        self.v2 = v2

    @classmethod
    def create(cls, max_tasks: int, memory_bytes: int) -> "Cgroup | None":
        name = f"grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        v2 = (ROOT / "cgroup.controllers").exists()
        plan = _plan(name, v2, max_tasks, memory_bytes)
        made: list[Path] = []
        try:
            for folder, settings in plan:
                folder.mkdir()
                made.append(folder)
                for file, value in settings.items():
                    if file.startswith("memory") and not (folder / file).exists():
                        continue   # a memory controller is welcome, not required
                    (folder / file).write_text(value)
        except OSError:
            for folder in reversed(made):
                try:
                    folder.rmdir()
                except OSError:
                    pass
            return None
        return cls(made, v2) if made else None

    def enter(self) -> None:
        """Move the calling process in: run in the child between fork and exec."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text("0")

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.folders[0] / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all(self) -> None:
        """SIGKILL every process in the group until none is left."""
        if self.v2 and (self.folders[0] / "cgroup.kill").exists():
            try:
                (self.folders[0] / "cgroup.kill").write_text("1")
            except OSError:
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.002)

    def remove(self) -> None:
        self.kill_all()
        for folder in self.folders:
            for _ in range(500):   # a killed task leaves the group a moment after it dies
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.002)
