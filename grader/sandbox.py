"""How a child is walled off, strongest first: bubblewrap, an unprivileged user, a bare process.

- "bubblewrap": new pid, network, ipc, uts, cgroup and user namespaces, `--die-with-parent`,
  `--new-session`, all capabilities dropped. The filesystem holds the Python runtime (its
  site-packages hidden), NumPy, /dev, /proc and a private empty /tmp, all read-only but /tmp:
  no repository, no reference, no submissions, no home. Killing bwrap ends the pid namespace,
  and with it everything the submission started.
- "user": (root only) the child drops to nobody in its own session; orphans it leaves are
  reaped through PR_SET_CHILD_SUBREAPER and killed. The interpreter and NumPy must be readable
  by nobody (a Python under /root is not).
- "process": its own session and process group, the same reaping, and rlimits: nothing more.

In every mode the child starts with `-I -S` (no site-packages) and sees only NumPy and the
standard library, so a submission imports the same things whatever the mode. Where the machine
allows it, grader.cgroup adds a control group capping the whole process tree.

The child's code is passed with `-c`, and the submission as text over a pipe, so no file of ours
or the student's needs to be visible inside.
"""
from __future__ import annotations

import atexit
import ctypes
import importlib.util
import os
import shutil
import stat
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy

from grader.child import kill_children
from grader.errors import IsolationUnavailable

MODES = ("bubblewrap", "user", "process")
NOBODY = 65534


def _child_program() -> str:
    """The child's `-c` program: grader/standins.py made a module (`grader_standins`), then
    grader/child.py run as __main__. Sent as text, so no file of ours need be visible inside."""
    here = Path(__file__).parent
    standins, child = (here / "standins.py").read_text(), (here / "child.py").read_text()
    return ("import sys as _sys, types as _types\n"
            "_module = _types.ModuleType('grader_standins')\n"
            "_sys.modules['grader_standins'] = _module\n"
            f"exec(compile({standins!r}, '<string>', 'exec'), _module.__dict__)\n"
            "del _sys, _types, _module\n"
            f"exec(compile({child!r}, '<string>', 'exec'))\n")


CHILD_SOURCE = _child_program()
SITE = "/sandbox/site"            # where NumPy appears inside bubblewrap
PR_SET_CHILD_SUBREAPER = 36


@dataclass
class Launch:
    argv: list[str]
    preexec: Callable[[], None] | None
    cwd: str


def interpreter() -> str:
    """The real interpreter behind a virtual environment's symlink."""
    return os.path.realpath(sys.executable)


def numpy_paths(modules: tuple[str, ...] = ()) -> list[Path]:
    """The package folders the child may import, NumPy's and those of the problem set's
    `modules`, each with its bundled libraries (`scipy.libs`) when the wheel has them."""
    found = []
    for name in ("numpy", *modules):
        spec = importlib.util.find_spec(name) if name != "numpy" else None
        origin = Path(numpy.__file__) if name == "numpy" else Path(spec.origin) if spec and spec.origin else None
        if origin is None:
            raise IsolationUnavailable(f"the problem set lets students import {name}, "
                                       f"but it is not installed where grader runs")
        package = origin.resolve().parent if origin.name == "__init__.py" else origin.resolve()
        found += [p for p in (package, package.parent / f"{name}.libs") if p.exists()]
    return found


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
        return (f"the user nobody cannot read {interpreter()} (a Python installed under a private "
                f"home such as /root), and no other Python {_version()} on this machine is readable "
                f"by every user")
    for path in numpy_paths():
        if not _readable_by_others(str(path)):
            return f"the user nobody cannot read NumPy at {path}"
    return None


def _version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _public_interpreter() -> str | None:
    """An interpreter of our version (NumPy's compiled parts need it) that nobody can run."""
    candidates = [interpreter(), shutil.which(f"python{_version()}"), f"/usr/bin/python{_version()}",
                  f"/usr/local/bin/python{_version()}"]
    for candidate in candidates:
        if candidate and os.path.exists(candidate) and _readable_by_others(os.path.realpath(candidate)):
            return os.path.realpath(candidate)
    return None


_probe_result: list[str | None] = []


def _bwrap_probe() -> str | None:
    """Some containers forbid the namespaces bwrap needs; try once."""
    if not _probe_result:
        import subprocess
        argv = bwrap_argv([interpreter(), "-I", "-c", "pass"])
        try:
            done = subprocess.run(argv, capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
            _probe_result.append(None if done.returncode == 0 else
                                 f"bubblewrap cannot start here: {done.stderr.decode(errors='replace').strip()[:200]}")
        except (OSError, subprocess.TimeoutExpired) as err:
            _probe_result.append(f"bubblewrap cannot start here: {err}")
    return _probe_result[0]


def choose(requested: str = "auto") -> tuple[str, str]:
    """(mode, warning). 'auto' takes the strongest that works; a named mode must work."""
    if requested != "auto":
        if requested not in MODES:
            raise IsolationUnavailable(f"unknown isolation {requested!r}; choose from auto, {', '.join(MODES)}")
        why = unavailable(requested)
        if why:
            raise IsolationUnavailable(f"{requested} isolation is not available: {why}")
        return requested, ""
    reasons = []
    for mode in MODES:
        why = unavailable(mode)
        if why is None:
            warning = "" if mode == MODES[0] else (
                f"student code runs with {mode} isolation, weaker than bubblewrap ({'; '.join(reasons)})")
            return mode, warning
        reasons.append(why)
    raise AssertionError("process isolation is always available")


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


def _drop_to_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def launch(mode: str, args: list[str], env: dict[str, str], modules: tuple[str, ...] = ()) -> Launch:
    """The argv that starts grader/child.py under `mode` with args: `RFD WFD` for a child that
    reads requests on RFD and replies on WFD, or `forkserver SOCKET_FD`. modules: what the
    problem set lets students import besides NumPy and the standard library."""
    python = _public_interpreter() if mode == "user" else interpreter()
    child = [python, "-I", "-S", "-u", "-c", CHILD_SOURCE, *args]
    if mode == "bubblewrap":
        settings = [arg for name, value in env.items() for arg in ("--setenv", name, value)]
        argv = bwrap_argv(child + [SITE], modules)
        cut = argv.index("--")
        return Launch(argv[:cut] + settings + argv[cut:], None, "/tmp")
    return Launch(child + [numpy_only_folder(modules)], _drop_to_nobody if mode == "user" else None, "/tmp")


_numpy_folder: dict[tuple[str, ...], str] = {}


def numpy_only_folder(modules: tuple[str, ...] = ()) -> str:
    """A folder (readable by all) holding links to NumPy (and `modules`) alone: what the child
    may import, without the rest of our site-packages (this package, its reference answers)."""
    if modules not in _numpy_folder:
        folder = tempfile.mkdtemp(prefix="grader-site-")
        os.chmod(folder, 0o755)
        for path in numpy_paths(modules):
            os.symlink(path, os.path.join(folder, path.name))
        atexit.register(shutil.rmtree, folder, True)
        _numpy_folder[modules] = folder
    return _numpy_folder[modules]


# ---- bounding and leaving nothing behind (user and process modes) -----------------------------------------

EXTRA_PROCESSES = 32   # tasks (processes and threads) a child may start


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
    user has only its own tasks; root outside one is exempt from the limit."""
    if mode == "bubblewrap":
        return EXTRA_PROCESSES
    if mode == "user":
        return _tasks_of(NOBODY) + EXTRA_PROCESSES
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


_started: set[int] = set()


def started(pid: int) -> None:
    """A process we started on purpose (a child, a fork server): not an orphan to reap."""
    _started.add(pid)


def stopped(pid: int) -> None:
    _started.discard(pid)


def reap_orphans() -> int:
    """Kill and reap every process that reparented to us, until none is left. Returns how many."""
    if not os.path.isdir("/proc"):
        return 0
    return kill_children(keep=_started)
