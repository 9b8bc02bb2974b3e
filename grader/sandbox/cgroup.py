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
import re
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
GROUP_TASKS = 64                  # processes and threads one submission may have at once
GROUP_BASELINE = 256 << 20        # memory for the interpreter and NumPy, on top of the budget
POLL_SECONDS = 0.0005             # how often a killed group is looked at: a close waits for the deaths, not the clock
REMOVE_SECONDS = 5                # how long its folders are tried, as its killing is
LEFTOVER_SECONDS = 600            # a dead judge's empty group this old is removed by the next batch
_OURS = re.compile(r"grader-(\d+)-[0-9a-f]{8}")   # create()'s names: grader-<judge pid>-<random>


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


def _parents(v2: bool) -> list[tuple[Path, str]]:
    """Our own groups, where new groups go unless a parent is named: (folder, hierarchy), pids
    first in v1 ("" for the v2 unified tree)."""
    if v2:
        own = _own(None)
        return [] if own is None else [(ROOT / own, "")]
    pids_own, memory_own = _own("pids"), _own("memory")
    if pids_own is None or not (ROOT / "pids").is_dir():
        return []
    parents = [(ROOT / "pids" / pids_own, "pids")]
    if memory_own is not None and (ROOT / "memory").is_dir():
        parents.append((ROOT / "memory" / memory_own, "memory"))
    return parents


def _plan(name: str, v2: bool, max_tasks: int | None, memory_bytes: int | None) -> list[tuple[Path, dict]]:
    """The folders to make below our own groups, pids first, and what to write in each."""
    return [(parent / name, _limits(v2, hierarchy, max_tasks, memory_bytes)) for parent, hierarchy in _parents(v2)]


def _deepest_first(top: Path) -> list[str]:
    """A group's folder and every folder below it, each before the one holding it."""
    return sorted((folder for folder, _, _ in os.walk(top)), key=lambda folder: -len(folder))


def _limits(v2: bool, hierarchy: str, max_tasks: int | None, memory_bytes: int | None) -> dict:
    limits = {}
    if max_tasks is not None and (v2 or hierarchy == "pids"):
        limits["pids.max"] = str(max_tasks)
    if memory_bytes is not None and (v2 or hierarchy == "memory"):
        limits["memory.max" if v2 else "memory.limit_in_bytes"] = str(memory_bytes)
    return limits


def _hierarchy(folder: Path) -> str:
    """"pids" or "memory" for a v1 folder."""
    return folder.relative_to(ROOT).parts[0]


class Cgroup:
    """A group of processes, in each hierarchy we use. `create` returns None where cgroups cannot
    be used. Groups nest: a fork server's group holds its own and one per child."""

    scope: "Cgroup | None" = None   # where new groups go by default (a batch's, see grader.batch.workers)

    def __init__(self, folders: list[Path], v2: bool):
        self.folders = folders
        self.v2 = v2

    @classmethod
    def create(cls, max_tasks: int | None, memory_bytes: int | None, parent: "Cgroup | None" = None,
               name: str | None = None) -> "Cgroup | None":
        """A new group with these limits (None: none), below parent, or the scope, or our own."""
        parent = parent or cls.scope
        name = name or f"grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if parent is None:
            v2 = (ROOT / "cgroup.controllers").exists()
            plan = _plan(name, v2, max_tasks, memory_bytes)
        else:
            v2 = parent.v2
            plan = [(folder / name, _limits(v2, "" if v2 else _hierarchy(folder), max_tasks, memory_bytes))
                    for folder in parent.folders]
            if v2:   # a v2 group's limits need its parent to hand the controllers down
                try:
                    (parent.folders[0] / "cgroup.subtree_control").write_text("+pids +memory")
                except OSError:
                    pass
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

    def limit_memory(self, memory_bytes: int) -> None:
        """A new memory cap for the group (a child started before its problem's budget was read)."""
        for folder in self.folders:
            file = folder / ("memory.max" if self.v2 else "memory.limit_in_bytes")
            if file.exists():
                file.write_text(str(memory_bytes))

    def entries(self) -> list[Path]:
        """The files a process writes "0" to, to move itself in. A v1 `tasks` file moves the one
        thread, which spares the kernel a wait for an RCU grace period (about 10 ms) that moving
        a whole process through `cgroup.procs` costs; the mover is single-threaded anyway."""
        return [folder / "tasks" if (folder / "tasks").exists() else folder / "cgroup.procs"
                for folder in self.folders]

    def enter(self) -> None:
        """Move the calling process in: run in the child between fork and exec."""
        for entry in self.entries():
            entry.write_text("0")

    def open_entries(self) -> list[int]:
        """Descriptors of `entries`, for a process that cannot see this file system (inside
        bubblewrap) to move itself in. The kernel checks the opener's rights, so whoever holds
        one can move any process in: it must be closed before anything untrusted runs."""
        return [os.open(entry, os.O_WRONLY | os.O_CLOEXEC) for entry in self.entries()]

    def add(self, pid: int) -> None:
        """Move a process in (it must not have started others yet: they would stay behind)."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        """The processes in this group itself (not in groups below it)."""
        return _members(self.folders[0])

    def all_pids(self) -> list[int]:
        """The processes in this group and every group below it."""
        found = []
        for folder, _, _ in os.walk(self.folders[0]):
            found += _members(Path(folder))
        return found

    def kill_all(self) -> None:
        """SIGKILL every process in the group and below until none is left."""
        if self.v2 and (self.folders[0] / "cgroup.kill").exists():
            try:
                (self.folders[0] / "cgroup.kill").write_text("1")
            except OSError:
                pass
        deadline = time.monotonic() + REMOVE_SECONDS
        while time.monotonic() < deadline:
            pids = self.all_pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(POLL_SECONDS)

    def remove(self) -> None:
        """Kill everything in the group and below, and remove their folders."""
        self.kill_all()
        deadline = time.monotonic() + REMOVE_SECONDS
        for top in self.folders:
            for folder in _deepest_first(top):
                while True:   # a killed task leaves the group a moment after it dies (longer on a busy machine)
                    try:
                        os.rmdir(folder)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            break
                        time.sleep(POLL_SECONDS)


def remove_leftovers(parents: list[Path] | None = None, older_than: float = LEFTOVER_SECONDS) -> int:
    """Remove the groups a judge killed outright (SIGKILL, the OOM killer) could not: below
    `parents` (default: where create() puts groups of ours), those named by create() whose judge
    is no longer running, untouched for `older_than` seconds, and holding no process (the kernel
    refuses to remove one that does). Returns how many folders went. A batch calls it before it
    starts, so such groups do not pile up on a machine that grades often."""
    if parents is None:
        parents = [folder for folder, _ in _parents((ROOT / "cgroup.controllers").exists())]
    removed, now = 0, time.time()
    for parent in parents:
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            found = _OURS.fullmatch(name)
            if not found or _running(int(found.group(1))):
                continue
            try:
                if now - os.stat(parent / name).st_mtime < older_than:
                    continue
            except OSError:
                continue
            for folder in _deepest_first(parent / name):
                try:
                    os.rmdir(folder)
                    removed += 1
                except OSError:   # a process is still in it (or in one below): left alone
                    pass
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)   # PermissionError: running, as someone else
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _members(folder: Path) -> list[int]:
    try:
        return [int(p) for p in (folder / "cgroup.procs").read_text().split()]
    except OSError:
        return []
