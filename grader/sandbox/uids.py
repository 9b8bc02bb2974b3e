"""Student uids for user isolation: no two students graded at the same time share a uid.

Every judge process (a batch worker, or `grader check` alone) runs its students under a uid of its
own, taken from a reserved range (GRADER_UID_BASE, default 1900000000, and GRADER_UID_COUNT
uids, default 1000; the gid is the same number). A uid is taken only if it has no passwd or group
entry and no running process, and it is held with a lock file in /run/grader-uids: `flock` ends
with its holder, however it dies. A batch's main process leases one uid per worker (LEASE lock);
each worker claims one of those (WORKER lock), so a worker that dies is replaced on the same uid
after everything of it is cleared. The lock file keeps the holder's pid while held: a lock found
free with a pid in it means its holder died, and the uid is cleared before it is used again.

Clearing a uid (`clear`): kill every process it has (a helper that becomes the uid and sends
kill(-1, SIGKILL) until nothing is left: the kernel finds them all), remove its files in the
folders every user may write, and its SysV IPC objects.
"""
from __future__ import annotations

import atexit
import fcntl
import grp
import os
import pwd
import random
import stat
from dataclasses import dataclass

from grader.sandbox.confine import clear as remove_tree, remove_sysv

LOCKS = "/run/grader-uids"
DEFAULT_BASE, DEFAULT_COUNT = 1_900_000_000, 1000
SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")


class UidError(Exception):
    """No uid can be had: the message says why."""


def uid_range() -> range:
    """The reserved range, from the environment; a bad value is an error that names it."""
    try:
        base = int(os.environ.get("GRADER_UID_BASE", DEFAULT_BASE))
        count = int(os.environ.get("GRADER_UID_COUNT", DEFAULT_COUNT))
    except ValueError:
        raise UidError("GRADER_UID_BASE and GRADER_UID_COUNT must be whole numbers") from None
    if not (65536 <= base and 1 <= count and base + count <= 2**31 - 1):
        raise UidError(f"the student uid range {base}..{base + count - 1} must lie within "
                       f"65536..{2**31 - 2} (GRADER_UID_BASE, GRADER_UID_COUNT)")
    return range(base, base + count)


def _lock_folder() -> str:
    os.makedirs(LOCKS, mode=0o700, exist_ok=True)
    info = os.lstat(LOCKS)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise UidError(f"{LOCKS} must be a folder of root's that no one else may write")
    return LOCKS


def _registered(uid: int) -> bool:
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
            return True
        except KeyError:
            pass
    return False


def _ids_running() -> set[int]:
    """Every uid and gid (real, effective, saved, filesystem) of a running process."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    for line in f:
                        if line.startswith(("Uid:", "Gid:")):
                            found.update(int(v) for v in line.split()[1:])
            except (OSError, ValueError):
                continue
    return found


@dataclass
class Lock:
    uid: int
    fd: int

    def release(self, clear_first: bool = True) -> None:
        if self.fd < 0:
            return
        if clear_first:
            clear(self.uid)
        os.ftruncate(self.fd, 0)   # a clean release: the next holder need not clear
        os.close(self.fd)
        self.fd = -1


def _try_lock(path: str) -> tuple[int, bool] | None:
    """(fd, whether its last holder died holding it), or None if it is held."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    died = bool(os.pread(fd, 32, 0).strip())
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd, died


def lease(count: int = 1) -> list[Lock]:
    """`count` uids of the range, each held until released (or its holder dies)."""
    folder = _lock_folder()
    reserved = uid_range()
    running = _ids_running()
    taken: list[Lock] = []
    start = random.randrange(len(reserved))   # concurrent graders seldom try the same uids
    for i in range(len(reserved)):
        if len(taken) == count:
            break
        uid = reserved[(start + i) % len(reserved)]
        if _registered(uid):
            continue
        got = _try_lock(os.path.join(folder, str(uid)))
        if got is None:
            continue
        fd, died = got
        if uid in running and not died:   # processes of someone who is not a grader: leave it
            os.ftruncate(fd, 0)
            os.close(fd)
            continue
        if died or uid in running:
            clear(uid)
        taken.append(Lock(uid, fd))
    if len(taken) == count:
        return taken
    for lock in taken:
        lock.release(clear_first=False)
    raise UidError(f"no free uid in {reserved.start}..{reserved.stop - 1} for {count} student(s); "
                   f"set GRADER_UID_BASE and GRADER_UID_COUNT to a free range")


def claim(leased: list[int]) -> Lock:
    """A batch worker's uid: one of the batch's leased uids that no live worker holds, cleared of
    whatever a dead worker left on it."""
    folder = _lock_folder()
    for uid in leased:
        got = _try_lock(os.path.join(folder, f"{uid}.worker"))
        if got is not None:
            clear(uid)
            return Lock(uid, got[0])
    raise UidError("every uid of this batch is held by a live worker")


_current: dict[int, Lock] = {}   # pid -> this process's uid


def use(lock: Lock) -> None:
    """Students of this process run under lock.uid from now on."""
    _current.clear()
    _current[os.getpid()] = lock


def current() -> int:
    """This process's student uid, leased on first use and released at exit."""
    lock = _current.get(os.getpid())
    if lock is None:
        inherited = list(_current.values())   # a forked process must not use its parent's
        _current.clear()
        for old in inherited:
            os.close(old.fd)                  # the parent keeps its own lock
        lock = lease()[0]
        _current[os.getpid()] = lock
        atexit.register(_release_current, os.getpid())
    return lock.uid


def held() -> int | None:
    """This process's student uid, if it has one now."""
    lock = _current.get(os.getpid())
    return lock.uid if lock is not None and lock.fd >= 0 else None


def _release_current(pid: int) -> None:
    if os.getpid() == pid and pid in _current:
        _current.pop(pid).release()


def kill_all(uid: int) -> None:
    """SIGKILL every process of uid: a helper that becomes uid sends kill(-1), which reaches all
    of them (whatever session, parent or pid namespace), until none is left. A zombie still
    counts as found, so the helper stops after a bounded number of rounds."""
    helper = os.fork()
    if helper == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(200):
                os.kill(-1, 9)
        except ProcessLookupError:
            os._exit(0)
        except BaseException:
            os._exit(1)
        os._exit(0)
    os.waitpid(helper, 0)


def remove_files(uid: int) -> int:
    """Remove what uid owns in the folders every user may write (and in world-writable folders
    below them). Returns how many entries went."""
    removed = 0
    pending = [(folder, 0) for folder in SHARED_FOLDERS]
    while pending:
        folder, depth = pending.pop()
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if info.st_uid == uid:
                remove_tree(path)
                removed += 1
            elif stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH and depth < 3:
                pending.append((path, depth + 1))
    return removed


def clear(uid: int, processes: bool = True) -> None:
    """Nothing of uid left: processes (unless the caller killed them all already: the helper
    costs a fork of this process, about 10 ms), files, SysV IPC objects."""
    if processes:
        kill_all(uid)
    remove_files(uid)
    remove_sysv(uid)
