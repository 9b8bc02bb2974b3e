"""How a child is walled off, strongest first: bubblewrap, an unprivileged user, a bare process.

- "bubblewrap": new pid, network, ipc, uts, cgroup and user namespaces, `--die-with-parent`,
  `--new-session`, all capabilities dropped. The filesystem holds the Python runtime (its
  site-packages hidden), NumPy, /dev, /proc and a private empty /tmp, all read-only but /tmp:
  no repository, no reference, no submissions, no home. Killing bwrap ends the pid namespace,
  and with it everything the submission started.
- "user": (root only) the child runs under a uid of its own (grader.sandbox.uids), never shared with a
  student graded at the same time; the fork server stays root, so no student can signal it or
  read its memory. The interpreter and NumPy must be readable by every user.
- "process": its own session and process group, and rlimits.

On top of that, each child walls itself off before any student code runs (grader.sandbox.confine), as
far as the machine allows. Where namespaces can be made (probed once): its own mount namespace
with everything read-only and a fresh size-capped tmpfs on /tmp, /var/tmp and /dev/shm, its own
IPC, network and UTS namespaces (in bubblewrap: a nested user namespace with its own mount and
IPC namespaces and tmpfs), and in user isolation a /proc showing only its own processes. So
nothing a student makes outlives it: files, SysV objects, sockets all go with its namespaces.
Where they cannot (Docker's default seccomp profile, as on Gradescope): a seccomp filter refuses
SysV IPC and POSIX queues, and the judge clears the student's uid after each child (processes,
files, IPC objects). In user and process isolation a seccomp filter refuses socket(), io_uring
and keyrings everywhere. GRADER_NAMESPACES=0 forces the second way.

In every mode the child starts with `-I -S` (no site-packages) and can import only NumPy and the
standard library. Where the machine allows it, grader.sandbox.cgroup adds a control group per child
capping its whole process tree. The child's code is passed with `-c`, and the submission as text
over a pipe, so no file of ours or the student's needs to be visible inside.
"""
from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.sandbox import uids
from grader.sandbox.cgroup import GROUP_BASELINE, GROUP_TASKS, Cgroup
from grader.sandbox.confine import REFUSED_STATUS, landlock_abi
from grader.errors import IsolationUnavailable

MODES = ("bubblewrap", "user", "process")
NOBODY = 65534
CHILD_SOURCE = (Path(__file__).with_name("child.py")).read_text()
# The modules of ours the child imports, sent along as text (no file of ours need be visible
# inside) and registered under their own names: confine first, to wall the process off (its
# `begin`) before the others import NumPy.
SENT_ALONG = ("grader.sandbox.confine", "grader.sandbox.standins", "grader.sandbox.protocol")


def _module(name: str) -> str:
    source = (Path(__file__).with_name(name.rpartition(".")[2] + ".py")).read_text()
    return (f"_m = sys.modules[{name!r}] = types.ModuleType({name!r})\n"
            f"exec(compile({source!r}, {name.replace('.', '/') + '.py'!r}, 'exec'), _m.__dict__)\n")


# What `python -c` runs: the child's source with, first thing after its __future__ import, a
# prologue: not dumpable before anything else, so no process of the same user can open our memory
# while we start; then grader.sandbox.confine, the walls (grader.sandbox.confine.begin: a child, a
# fork server, or a probe of whether a child can be walled off here), and the other modules sent
# along.
_PROLOGUE = ("import ctypes\nctypes.CDLL(None).prctl(4, 0, 0, 0, 0)\nimport sys, types\n"
             + _module(SENT_ALONG[0])
             + "if __name__ == '__main__' and len(sys.argv) > 4:\n    _m.begin(sys.argv[1:])\n"
             + "".join(_module(name) for name in SENT_ALONG[1:]) + "del _m\n")
_FUTURE = "from __future__ import annotations\n"
assert CHILD_SOURCE.count(_FUTURE) == 1
PROGRAM = CHILD_SOURCE.replace(_FUTURE, _FUTURE + _PROLOGUE)
# A probe (can a child be walled off here?) ends in confine.begin: the prologue's first part is
# all it runs, so that is all it is sent (less to compile on the way to every `grader check`).
PROBE = _FUTURE + _PROLOGUE[:_PROLOGUE.index(_module(SENT_ALONG[1]))]
SITE = "/sandbox/site"            # where NumPy appears inside bubblewrap
PR_SET_CHILD_SUBREAPER = 36
SCRATCH_BYTES = 64 << 20          # each private /tmp, /var/tmp, /dev/shm


@dataclass
class Launch:
    argv: list[str]
    preexec: Callable[[], None] | None
    cwd: str


def interpreter() -> str:
    """The real interpreter behind a virtual environment's symlink."""
    return os.path.realpath(sys.executable)


def _packages(modules: tuple[str, ...] = ()) -> list[Path]:
    """The package (or single-file module) of NumPy and of each of `modules`, in that order."""
    found = []
    for name in ("numpy", *modules):
        spec = importlib.util.find_spec(name)   # found, not imported: `grader check` starts its child first
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin is None:
            raise IsolationUnavailable(f"the problem set lets students import {name}, "
                                       f"but it is not installed where grader runs")
        found.append(origin.resolve().parent if origin.name == "__init__.py" else origin.resolve())
    return found


def numpy_paths(modules: tuple[str, ...] = ()) -> list[Path]:
    """What the child may import, NumPy and the problem set's `modules`, each with its bundled
    libraries (`scipy.libs`) when the wheel has them."""
    return [p for package in _packages(modules)
            for p in (package, package.parent / f"{package.name.split('.')[0]}.libs") if p.exists()]


def _site_folders() -> list[str]:
    """Folders where installed packages live (ours among them): hidden inside the sandbox."""
    base = {"base": sys.base_prefix, "platbase": sys.base_prefix}
    found = {sysconfig.get_paths(vars=base)[key] for key in ("purelib", "platlib")}
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    found |= {"/usr/lib/python3/dist-packages", f"/usr/local/lib/{version}/dist-packages",
              f"/usr/local/lib/{version}/site-packages", f"/usr/lib/{version}/site-packages"}
    return sorted(p for p in found if os.path.isdir(p))


def _readable_by_others(path: str) -> bool:
    """Every folder on the way is o+x and the file itself o+r."""
    current = Path(path).resolve()
    for folder in current.parents:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return False
    return bool(os.stat(current).st_mode & stat.S_IROTH)


def unavailable(mode: str) -> str | None:
    """Why a mode cannot run here, or None."""
    if mode == "process":
        return None
    if not sys.platform.startswith("linux"):
        return f"{mode} isolation needs Linux"
    if mode == "bubblewrap":
        if shutil.which("bwrap") is None:
            return "bubblewrap (bwrap) is not installed"
        return _bwrap_probe()
    if os.geteuid() != 0:
        return "dropping to an unprivileged user needs root"
    if _public_interpreter() is None:
        return (f"a student's uid cannot read {interpreter()} (a Python installed under a private "
                f"home such as /root), and no other Python {_version()} on this machine is readable "
                f"by every user")
    for path in numpy_paths():
        if not _readable_by_others(str(path)):
            return f"a student's uid cannot read NumPy at {path}"
    try:
        uids.lease()[0].release(clear_first=False)   # a uid can be had here
    except (uids.UidError, OSError) as err:
        return f"no uid for students: {err}"
    return None


def _version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _public_interpreter() -> str | None:
    """An interpreter of our version (NumPy's compiled parts need it) that every user can run."""
    candidates = [interpreter(), shutil.which(f"python{_version()}"), f"/usr/bin/python{_version()}",
                  f"/usr/local/bin/python{_version()}"]
    for candidate in candidates:
        if candidate and os.path.exists(candidate) and _readable_by_others(os.path.realpath(candidate)):
            return os.path.realpath(candidate)
    return None


_bwrap_result: list[tuple[str | None, str | None]] = []


def bwrap_probed() -> bool:
    return bool(_bwrap_result)


def learn_bwrap(unavailable_why: str | None, namespaces_refused_why: str | None) -> None:
    """The probe's answer, learned otherwise (from an early child: grader.sandbox.early)."""
    _bwrap_result[:] = [(unavailable_why, namespaces_refused_why)]


def _bwrap_probe() -> str | None:
    """Whether bwrap runs here (some containers forbid the namespaces it needs); and, in the same
    start, whether a child inside may make its own nested namespaces. Tried once; an early
    child's start, where there is one, is the try."""
    if not _bwrap_result:
        from grader.sandbox import early   # here: early builds on this module
        early.settle()
    if not _bwrap_result:
        plan = _child_plan("bubblewrap", True)
        argv = bwrap_argv([interpreter(), "-I", "-S", "-c", PROBE, "probe", "-", SITE, json.dumps({"child": plan})])
        try:
            done = subprocess.run(argv, capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
            why = done.stderr.decode(errors="replace").strip()[:200]
            if done.returncode == 0:
                _bwrap_result.append((None, None))
            elif done.returncode == REFUSED_STATUS:
                _bwrap_result.append((None, why))
            else:
                _bwrap_result.append((f"bubblewrap cannot start here: {why}", None))
        except (OSError, subprocess.TimeoutExpired) as err:
            _bwrap_result.append((f"bubblewrap cannot start here: {err}", None))
    return _bwrap_result[0][0]


def choose(requested: str = "auto") -> tuple[str, str]:
    """(mode, warning). 'auto' takes the strongest that works; a named mode must work."""
    if requested != "auto":
        if requested not in MODES:
            raise IsolationUnavailable(f"unknown isolation {requested!r}; choose from auto, {', '.join(MODES)}")
        why = unavailable(requested)
        if why:
            raise IsolationUnavailable(f"{requested} isolation is not available: {why}")
        return requested, _as_root(requested)
    reasons = []
    for mode in MODES:
        why = unavailable(mode)
        if why is None:
            warning = "" if mode == MODES[0] else (
                f"student code runs with {mode} isolation, weaker than bubblewrap ({'; '.join(reasons)})"
                + (f"; {_as_root(mode)}" if _as_root(mode) else ""))
            return mode, warning
        reasons.append(why)
    raise AssertionError("process isolation is always available")


def _as_root(mode: str) -> str:
    """The loud warning process isolation as root deserves."""
    if mode == "process" and hasattr(os, "geteuid") and os.geteuid() == 0:
        return ("process isolation runs student code AS ROOT: a submission can kill any "
                "process on this machine and read any file; install bubblewrap")
    return ""


JUDGE_MEMORY = 1 << 30   # a judge's own address space, on top of what it has at start


def cap_own_memory(extra: int = JUDGE_MEMORY) -> None:
    """A runaway computation in this judge fails as MemoryError, which the engine catches and
    documents (engine.drive_part), rather than waking the OOM killer. Soft limit only: the sandboxed
    processes it starts inherit it, and each sets its own (child.limit_resources)."""
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):   # no /proc: no cap
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + extra if hard == resource.RLIM_INFINITY else min(current + extra, hard)
    if soft == resource.RLIM_INFINITY or soft > wanted:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


_strongest: list[str] = []


def strongest() -> str:
    """The strongest mode that works here, found once per process."""
    if not _strongest:
        _strongest.append(choose("auto")[0])
    return _strongest[0]


def bwrap_argv(command: list[str], modules: tuple[str, ...] = ()) -> list[str]:
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", str(NOBODY), "--gid", str(NOBODY), "--clearenv", "--hostname", "sandbox"]
    for system in ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/alternatives"):
        if os.path.exists(system):
            argv += ["--ro-bind", system, system]
    argv += ["--ro-bind", sys.base_prefix, sys.base_prefix]
    for folder in _site_folders():     # installed packages, ours and the reference among them
        argv += ["--tmpfs", folder, "--remount-ro", folder]
    for path in numpy_paths(modules):
        argv += ["--ro-bind", str(path), f"{SITE}/{path.name}"]
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--chdir", "/tmp"]
    return argv + ["--"] + command


# ---- what each child does to itself (grader.sandbox.confine) --------------------------------------------

def _kernel_at_least(major: int, minor: int) -> bool:
    try:
        found = tuple(int(part) for part in os.uname().release.split("-")[0].split(".")[:2])
    except ValueError:
        return False
    return found >= (major, minor)


def _imports_from(folder: str) -> bool:
    """Whether the child's Python or its packages live in folder (a venv made in /tmp): a fresh
    tmpfs there would hide them from it. Such a folder stays, read-only like the rest."""
    inside = folder.rstrip("/") + "/"
    return any(path.startswith(inside) for path in (sys.prefix, sys.base_prefix, *filter(None, sys.path)))


def _child_plan(mode: str, namespaces: bool) -> dict:
    """The child's steps (see grader.sandbox.confine), with or without namespaces of its own."""
    if mode == "bubblewrap":
        # bwrap already gives pid, net, uts and a read-only world; per child, a nested user
        # namespace owns a fresh mount and IPC namespace and tmpfs mounts
        return {"unshare": ["user", "mount", "ipc"], "map_ids": True, "scratch": ["/tmp", "/dev/shm"],
                "scratch_bytes": SCRATCH_BYTES, "caps": True} if namespaces else {}
    plan: dict = {}
    if os.uname().machine in SECCOMP_MACHINES:
        plan["deny"] = ["socket", "io_uring", "keys"] + ([] if namespaces else ["sysv", "mqueue"])
    if namespaces:
        spaces = ["mount", "ipc", "net", "uts"]
        if os.geteuid() != 0:
            spaces, plan["map_ids"] = ["user"] + spaces, True
        plan.update(unshare=spaces, readonly=True, scratch_bytes=SCRATCH_BYTES,
                    scratch=[f for f in ("/tmp", "/var/tmp", "/dev/shm") if os.path.isdir(f) and not _imports_from(f)])
        # a fresh proc instance per mount: before 5.8 a proc mount shared one, so hidepid would
        # hide processes from the whole machine
        if mode == "user" and _kernel_at_least(5, 8):
            plan["proc"] = True
        if mode == "process":
            plan["caps"] = True
    if mode == "user":
        plan["dumpable"] = True   # its own uid: only its own processes may look at it
    elif not namespaces and landlock_abi() >= 1:
        plan["landlock"] = ["/dev"]   # its files could not be told from ours: it may write none
    return plan


_namespaces: dict[str, str | None] = {}


def namespaces_refused(mode: str) -> str | None:
    """Why a child cannot make its own namespaces here (None: it can). Probed once per mode."""
    if os.environ.get("GRADER_NAMESPACES", "1") == "0":
        return "GRADER_NAMESPACES=0"
    if not sys.platform.startswith("linux"):
        return "not Linux"
    if mode not in _namespaces:
        if mode == "bubblewrap":
            _bwrap_probe()
            _namespaces[mode] = _bwrap_result[0][1] if _bwrap_result[0][0] is None else "no bubblewrap"
        else:
            python = _public_interpreter() if mode == "user" else interpreter()
            plan = _child_plan(mode, True)
            argv = [python, "-I", "-S", "-c", PROBE, "probe", "-", str(numpy_paths()[0].parent),
                    json.dumps({"child": plan})]
            try:
                done = subprocess.run(argv, capture_output=True, timeout=20, stdin=subprocess.DEVNULL,
                                      cwd="/")
                _namespaces[mode] = None if done.returncode == 0 else (
                    done.stderr.decode(errors="replace").strip()[:200] or f"status {done.returncode}")
            except (OSError, subprocess.TimeoutExpired) as err:
                _namespaces[mode] = str(err)
    return _namespaces[mode]


def plan(mode: str, modules: tuple[str, ...] = (), early: bool = False) -> dict:
    """What the child (and a fork server) do to wall a student off, and where it finds the modules
    it may import (NumPy and `modules`): sent to them as JSON. early: a bubblewrap child started
    before bubblewrap was probed (grader.sandbox.early), which presumes namespaces of its own and
    says when its walls are up, in place of the probe."""
    namespaces = early or namespaces_refused(mode) is None
    child = _child_plan(mode, namespaces)
    if early:
        child["announce"] = True
    if mode == "user":
        try:
            student = uids.current()
        except (uids.UidError, OSError) as err:
            raise IsolationUnavailable(f"no uid for the student's code: {err}") from None
        child.update(uid=student, gid=student)
    # without namespaces of its own, a bubblewrap child shares the server's /tmp, /dev/shm and
    # IPC namespace: the server empties them after each child
    server = {"sweep": ["/tmp", "/dev/shm"], "sysv": True} if mode == "bubblewrap" and not namespaces else {}
    site = {name: SITE for name in ("numpy", *modules)} if mode == "bubblewrap" else module_folders(modules)
    return {"child": child, "server": server, "site": site}


def clears_uid(mode: str) -> bool:
    """Whether the judge must clear the student's uid after each child: user isolation where the
    child's files and IPC objects do not go away with namespaces of its own."""
    return mode == "user" and namespaces_refused(mode) is not None


def after_child(mode: str) -> None:
    """Once a child and everything it started are dead (its cgroup emptied, its orphans killed
    by their subreaper, which no process can leave): what remains of it, gone."""
    student = uids.held() if clears_uid(mode) else None
    if student is not None:
        uids.clear(student, processes=False)


def launch(mode: str, args: list[str], env: dict[str, str], modules: tuple[str, ...] = (),
           early: bool = False) -> Launch:
    """The argv that starts grader/child.py under `mode` with args: `RFD WFD` for a child that
    reads requests on RFD and replies on WFD, or `forkserver SOCKET_FD`. The child walls itself
    off (grader.sandbox.confine) before it imports NumPy; a fork server does so in each child it forks.
    modules: what the problem set lets students import besides NumPy and the standard library."""
    python = _public_interpreter() if mode == "user" else interpreter()
    if mode == "bubblewrap":
        child = [python, "-I", "-S", "-u", "-c", PROGRAM, *args, SITE, json.dumps(plan(mode, modules, early))]
        settings = [arg for name, value in env.items() for arg in ("--setenv", name, value)]
        # a fork server is the sandbox's pid 1: no reaper process of bwrap's beside it whose memory
        # a child could open, and, as init, no signal from a child reaches it
        settings += ["--as-pid-1"] if args[0] == "forkserver" else []
        argv = bwrap_argv(child, modules)
        cut = argv.index("--")
        return Launch(argv[:cut] + settings + argv[cut:], None, "/tmp")
    # NumPy (and `modules`) are found by a finder that looks in their folders for them alone
    # (grader.sandbox.confine.begin), so the rest of our site-packages (this package, its reference
    # answers) is not on the path
    return Launch([python, "-I", "-S", "-u", "-c", PROGRAM, *args, "-", json.dumps(plan(mode, modules))],
                  None, "/tmp")


def child_env() -> dict[str, str]:
    """The environment every child starts with: nothing of ours."""
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


@dataclass
class Started:
    """A child started under a mode (start_child): the judge's ends of its request, reply and
    output pipes."""
    proc: subprocess.Popen
    cgroup: Cgroup | None
    wfd: int
    rfd: int
    out_r: int


@contextlib.contextmanager
def child_pipes():
    """(theirs, ours) for a new child: its ends (requests in, replies out, output out) and the
    judge's (requests out, replies in, output in). Its ends are closed on leaving (it holds its
    own copies by then); ours too if the child could not be made."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    out_r, out_w = os.pipe()
    theirs, ours = (to_child_r, from_child_w, out_w), (to_child_w, from_child_r, out_r)
    try:
        yield theirs, ours
    except BaseException:
        for fd in ours:
            os.close(fd)
        raise
    finally:
        for fd in theirs:
            os.close(fd)


def start_child(mode: str, memory_bytes: int, modules: tuple[str, ...] = (), early: bool = False) -> Started:
    """A new sandboxed process running grader/child.py, in a cgroup of its own where one can be
    made (its memory cap: the budget, plus the interpreter's and NumPy's). Raises
    IsolationUnavailable, OSError or SubprocessError, leaving no pipe or group behind."""
    with child_pipes() as (theirs, ours):
        cgroup = None
        try:
            env = child_env()
            launched = launch(mode, [str(theirs[0]), str(theirs[1])], env, modules, early)
            _subreaper_once()
            cgroup = Cgroup.create(GROUP_TASKS, memory_bytes + GROUP_BASELINE)
            proc = subprocess.Popen(
                launched.argv, pass_fds=theirs[:2], stdin=subprocess.DEVNULL,
                stdout=theirs[2], stderr=theirs[2], env=env, cwd=launched.cwd, start_new_session=True,
                preexec_fn=before_exec(cgroup, launched.preexec))
        except BaseException:
            if cgroup:
                cgroup.remove()
            raise
    started(proc.pid)
    return Started(proc, cgroup, *ours)


def module_folders(modules: tuple[str, ...] = ()) -> dict[str, str]:
    """Where the child finds each module it may import (NumPy and `modules`): the folder holding
    its package."""
    return {name: str(path.parent) for name, path in zip(("numpy", *modules), _packages(modules))}


# ---- bounding and leaving nothing behind (user and process modes) -----------------------------------------

EXTRA_PROCESSES = 32   # tasks (processes and threads) a child may start
SECCOMP_MACHINES = ("x86_64", "aarch64")


def _tasks_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                continue
    return count


def process_cap(mode: str) -> int:
    """RLIMIT_NPROC for the child, or 0 for none. The kernel counts every task of the child's
    user, so the cap is that count plus a margin. Inside bubblewrap's user namespace the child's
    user has only its own tasks, and so has a student's uid in user isolation; root outside one
    is exempt from the limit."""
    if mode in ("bubblewrap", "user"):
        return EXTRA_PROCESSES
    return 0 if os.geteuid() == 0 else _tasks_of(os.geteuid()) + EXTRA_PROCESSES


def become_subreaper() -> bool:
    """Orphans of our children reparent to us instead of init, so we can find and kill them."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


_subreaper: list[bool] = []


def _subreaper_once() -> None:
    if not _subreaper:
        _subreaper.append(become_subreaper())


_started: set[int] = set()


def started(pid: int) -> None:
    """A process we started on purpose (a child, a fork server): not an orphan to reap."""
    _started.add(pid)


def stopped(pid: int) -> None:
    _started.discard(pid)


def stop(proc: subprocess.Popen, group: Cgroup | None) -> None:
    """A process we started (a child, a fork server), killed with its process group and its
    cgroup (every process of it, wherever it went), and reaped."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if group:
        group.remove()
    proc.wait()
    stopped(proc.pid)


def reap_orphans() -> int:
    """Kill and reap every process that reparented to us, until none is left. Returns how many."""
    if not os.path.isdir("/proc"):
        return 0
    from grader.sandbox.child import kill_children   # here: the child's module imports NumPy
    return kill_children(keep=_started)
