"""Walls a child puts up around itself after it starts and before any student code runs, from a
plan the judge makes (grader.sandbox.isolation.plan). Standard library only: this module also runs inside
the sandbox, where the package is not importable, so grader.sandbox.isolation sends its source along with
the child's and registers it as `grader.sandbox.confine` there.

A plan (a dict, every key optional) is applied in this order:
  unshare   namespaces to make: "user" (then "map_ids"), "mount", "ipc", "net", "uts"
  readonly  every mount made read-only, so nothing on disk can be written
  scratch   folders that get a fresh, size-capped tmpfs (the student's /tmp, /var/tmp, /dev/shm)
  proc      a fresh /proc with hidepid=invisible: other users' processes cannot be seen
  uid, gid  the student's own ids (user isolation; dropped from root)
  caps      drop every capability (root in process isolation, or a new user namespace)
  dumpable  whether the student's processes may read each other (they share a uid of their own)
  deny      syscall families refused with EACCES by a seccomp filter: "socket", "sysv", "mqueue",
            "io_uring", "keys"
  landlock  folders below which existing files may still be written (/dev: /dev/null); nothing
            else anywhere may be written, made or removed (Landlock, for a child that has no
            mount namespace of its own and no uid whose files the judge could find)
A step the plan names that fails raises Refused: the child must not run student code then.
"""
from __future__ import annotations

import ctypes
import errno
import json
import os
import signal
import stat
import struct
import sys
import uuid

CLONE = {"mount": 0x00020000, "uts": 0x04000000, "ipc": 0x08000000, "user": 0x10000000,
         "net": 0x40000000}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MOUNT_OPTIONS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": 1024,
                 "nodiratime": 2048, "relatime": 1 << 21, "strictatime": 1 << 24}
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_SECCOMP, PR_CAPBSET_DROP = 1, 4, 22, 24
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 36, 38, 47
REFUSED_STATUS = 121    # a child's exit status when its walls could not be built
WALLS_UP = b"\x06"      # an early child's first byte on its reply pipe: walled off, nothing of the student's run yet

# Syscall numbers per machine: (AUDIT_ARCH, {family: numbers}). A machine not listed gets no filter.
SYSCALLS = {
    "x86_64": (0xC000003E, {"socket": (41,), "sysv": (29, 64, 68), "mqueue": (240,),
                            "io_uring": (425,), "keys": (248, 249, 250)}),
    "aarch64": (0xC00000B7, {"socket": (198,), "sysv": (194, 190, 186), "mqueue": (180,),
                             "io_uring": (425,), "keys": (217, 218, 219)}),
}

_libc = ctypes.CDLL(None, use_errno=True)
if hasattr(_libc, "prctl"):   # Linux; elsewhere (a student's Mac) only the removal helpers are used
    _libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                            ctypes.c_char_p]


class Refused(Exception):
    """A step of the plan failed."""


def _check(result: int, what: str) -> None:
    if result != 0:
        raise Refused(f"{what}: {os.strerror(ctypes.get_errno())}")


def prctl(option: int, value: int = 0, arg3: int = 0) -> int:
    return _libc.prctl(option, value, arg3, 0, 0)


def not_dumpable() -> None:
    """Nobody but root may ptrace us or open our memory (/proc/PID/mem)."""
    _check(prctl(PR_SET_DUMPABLE, 0), "PR_SET_DUMPABLE")


def become_subreaper() -> None:
    _check(prctl(PR_SET_CHILD_SUBREAPER, 1), "PR_SET_CHILD_SUBREAPER")


def die_with_parent(parent: int) -> None:
    """SIGKILL when our parent dies; and now, if it died already."""
    _check(prctl(PR_SET_PDEATHSIG, signal.SIGKILL), "PR_SET_PDEATHSIG")
    if os.getppid() != parent:
        os._exit(REFUSED_STATUS)


def begin(args: list[str]) -> dict:
    """A child's first steps, before NumPy is imported. args: ROLE ARG SITE PLAN, where ROLE is
    `forkserver` (which confines each child it forks instead), `probe` (confine, then exit 0: can
    the plan be carried out here?) or a child's request fd. Returns the plan."""
    import site
    site.setquit()   # started with -S: exit() and quit() still work as students expect
    plan = json.loads(args[3])
    _importable(plan.get("site") or {"numpy": args[2]})
    if args[0] != "forkserver":
        confine_or_exit(plan["child"])
        if args[0] == "probe":
            os._exit(0)
        if plan["child"].get("announce"):   # an early child (grader.sandbox.early): the probe's answer
            os.write(int(args[1]), WALLS_UP)
    return plan


def confine_or_exit(plan: dict) -> None:
    """confine, or say why not on stderr and exit with REFUSED_STATUS: no student code then."""
    try:
        confine(plan)
    except (Refused, OSError) as err:
        os.write(2, f"grader: the sandbox could not be set up: {err}\n".encode())
        os._exit(REFUSED_STATUS)


def _importable(site: dict) -> None:
    """NumPy (and the problem set's own `modules`) are the only packages a child may import: a
    finder that looks in each one's folder for it alone, so nothing else there (this package, its
    reference answers) is on the path. site: {top-level name: folder holding it}."""
    from importlib.machinery import PathFinder

    class Allowed:
        @staticmethod
        def find_spec(name, path=None, target=None):
            return PathFinder.find_spec(name, [site[name]]) if name in site else None
    sys.meta_path.append(Allowed)


def confine(plan: dict) -> None:
    parent = os.getppid()
    uid, gid = os.getuid(), os.getgid()
    spaces = plan.get("unshare", [])
    if spaces:
        flags = 0
        for name in spaces:
            flags |= CLONE[name]
        _check(_libc.unshare(flags), f"unshare({', '.join(spaces)})")
    if plan.get("map_ids"):   # in the new user namespace, be who we were outside
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    if "uts" in spaces:
        _check(_libc.sethostname(b"sandbox", 7), "sethostname")
    if "mount" in spaces:
        # private first: nothing mounted below may reach the namespace we came from
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")
        if plan.get("readonly"):
            _all_read_only()
        size = int(plan.get("scratch_bytes", 64 << 20))
        for folder in plan.get("scratch", []):
            options = f"size={size},nr_inodes=16384,mode=1777".encode()
            _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options),
                   f"a fresh tmpfs on {folder}")
        if plan.get("proc"):
            _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               b"hidepid=invisible"), "a fresh /proc")
        os.chdir(plan.get("cwd", "/tmp"))   # the old /tmp is hidden: a relative path must not reach it
    if plan.get("uid") is not None:
        os.setgroups([])
        os.setresgid(plan["gid"], plan["gid"], plan["gid"])
        os.setresuid(plan["uid"], plan["uid"], plan["uid"])
    if plan.get("caps"):
        _drop_capabilities()
    _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "PR_SET_NO_NEW_PRIVS")   # setuid programs gain nothing
    if plan.get("dumpable"):
        _check(prctl(PR_SET_DUMPABLE, 1), "PR_SET_DUMPABLE")
    if plan.get("deny"):
        deny_syscalls(plan["deny"])
    if "landlock" in plan:
        _write_nothing_but(plan["landlock"])
    die_with_parent(parent)   # after any change of uid, which clears it


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as err:
        raise Refused(f"writing {path}: {err.strerror}") from None


def _unescape(field: str) -> str:
    """A mountinfo path: space, tab, newline and backslash are written as octal escapes."""
    for code in ("\\040", "\\011", "\\012", "\\134"):
        field = field.replace(code, chr(int(code[1:], 8)))
    return field


def _all_read_only() -> None:
    """Remount every mount read-only, keeping its other flags (a user namespace may not drop them).
    The root must succeed; a mount hidden under another or gone meanwhile may fail."""
    with open("/proc/self/mountinfo") as f:
        lines = f.read().splitlines()
    for line in lines:
        fields = line.split()
        target, options = _unescape(fields[4]), fields[5].split(",")
        if "ro" in options:
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for option in options:
            flags |= MOUNT_OPTIONS.get(option, 0)
        result = _libc.mount(None, target.encode(), None, flags, None)
        if target == "/":
            _check(result, "making / read-only")


def _drop_capabilities() -> None:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        prctl(PR_CAPBSET_DROP, cap)     # fails harmlessly for a capability already gone
    prctl(PR_CAP_AMBIENT, 4)            # PR_CAP_AMBIENT_CLEAR_ALL
    header = struct.pack("Ii", 0x20080522, 0)   # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)       # effective, permitted, inheritable: all empty
    _check(_libc.capset(ctypes.c_char_p(header), data), "dropping capabilities")


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def deny_syscalls(families: list[str]) -> None:
    """A seccomp filter refusing the families' syscalls with EACCES. Hand-written BPF (a dozen
    instructions): the stdlib has no seccomp binding and libseccomp's is not on PyPI."""
    arch, table = SYSCALLS[os.uname().machine]
    numbers = sorted({n for family in families for n in table[family]})
    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    program = [(load, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, 0x00050000 | errno.EPERM), (load, 0, 0, 0)]
    tests = [(jge, 0x40000000)] if arch == 0xC000003E else []   # x32 calls: the other ABI on x86_64
    tests += [(jeq, n) for n in numbers]
    refuse_at = len(program) + len(tests) + 1
    for code, value in tests:
        program.append((code, refuse_at - len(program) - 1, 0, value))
    program += [(ret, 0, 0, 0x7FFF0000), (ret, 0, 0, 0x00050000 | errno.EACCES)]
    code = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(code)
    fprog = _Filter(len(program), ctypes.addressof(buffer))
    _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "PR_SET_NO_NEW_PRIVS")
    _check(prctl(PR_SET_SECCOMP, 2, ctypes.addressof(fprog)), "a seccomp filter")


LANDLOCK_WRITES = {1: 0x1FF2, 2: 0x3FF2, 3: 0x7FF2}   # by ABI: every right that changes the disk
LANDLOCK_WRITE_FILE = 2


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers (0: none, or refused by a seccomp profile)."""
    if not hasattr(_libc, "syscall"):
        return 0
    return max(0, _libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))


def _write_nothing_but(folders: list[str]) -> None:
    abi = landlock_abi()
    if abi < 1:
        raise Refused("Landlock is not available")
    handled = LANDLOCK_WRITES[min(abi, 3)]
    ruleset = _libc.syscall(444, ctypes.c_char_p(struct.pack("Q", handled)), ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0:
        raise Refused(f"a Landlock ruleset: {os.strerror(ctypes.get_errno())}")
    try:
        for folder in folders:
            where = os.open(folder, os.O_PATH | os.O_CLOEXEC)
            rule = struct.pack("=Qi", LANDLOCK_WRITE_FILE, where)   # packed, as the kernel's struct
            result = _libc.syscall(445, ruleset, 1, ctypes.c_char_p(rule), ctypes.c_uint32(0))
            os.close(where)
            _check(0 if result == 0 else -1, f"a Landlock rule for {folder}")
        _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "PR_SET_NO_NEW_PRIVS")
        _check(_libc.syscall(446, ruleset, ctypes.c_uint32(0)), "Landlock")
    finally:
        os.close(ruleset)


# ---- removing what a student left (no student process may be alive while these run) -----------

def clear(path: str) -> None:
    """Remove a file, or a folder and everything in it, whatever modes the student gave them and
    however deep it goes. A symbolic link is removed, never followed."""
    parent, name = os.path.split(os.path.normpath(path))
    try:
        parent_fd = os.open(parent or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        _clear_at(parent_fd, name)
    finally:
        os.close(parent_fd)


def _is_folder(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _open_folder(name: str, dir_fd: int) -> int:
    os.chmod(name, 0o700, dir_fd=dir_fd)   # a real folder (checked), so nothing is followed
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)


def _unlinked(name: str, dir_fd: int) -> bool:
    """Whether name was not a folder (and is now removed, if it could be)."""
    if _is_folder(name, dir_fd):
        return False
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass
    return True


def _clear_at(parent_fd: int, name: str) -> None:
    if _unlinked(name, parent_fd):
        return
    # Flatten: each sub-folder's own sub-folders are moved up into the top one as they are met,
    # so neither a path nor the number of open descriptors grows with the depth.
    try:
        top = _open_folder(name, parent_fd)
    except OSError:
        return
    try:
        previous = None
        while True:
            entries = sorted(os.listdir(top))
            if not entries or entries == previous:   # empty, or nothing more can go
                break
            previous = entries
            for entry in entries:
                _flatten_one(top, entry)
    finally:
        os.close(top)
    try:
        os.rmdir(name, dir_fd=parent_fd)
    except OSError:
        pass


def _flatten_one(top: int, entry: str) -> None:
    if _unlinked(entry, top):
        return
    try:
        os.rmdir(entry, dir_fd=top)
        return
    except OSError:
        pass
    try:
        inner = _open_folder(entry, top)
    except OSError:
        return
    try:
        for name in os.listdir(inner):
            try:
                if _is_folder(name, inner):   # moving a folder needs write access to it (its "..")
                    os.chmod(name, 0o700, dir_fd=inner)
                    os.rename(name, f".clear-{uuid.uuid4().hex}", src_dir_fd=inner, dst_dir_fd=top)
                else:
                    os.unlink(name, dir_fd=inner)
            except OSError:
                pass
    finally:
        os.close(inner)
    try:
        os.rmdir(entry, dir_fd=top)
    except OSError:
        pass


SYSV = {"shm": ("shmid", "shmctl"), "sem": ("semid", "semctl"), "msg": ("msqid", "msgctl")}


def sysv_objects(uid: int | None = None) -> list[tuple[str, int]]:
    """(kind, id) of every SysV shared memory segment, semaphore set and message queue in our IPC
    namespace; only those a uid owns or made, when given."""
    found = []
    for kind, (id_column, _) in SYSV.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                header, *rows = f.read().splitlines()
        except (OSError, ValueError):
            continue
        columns = header.split()
        for row in rows:
            values = dict(zip(columns, row.split()))
            if uid is None or str(uid) in (values.get("uid"), values.get("cuid")):
                found.append((kind, int(values[id_column])))
    return found


def remove_sysv(uid: int | None = None) -> int:
    """Remove the SysV objects sysv_objects finds (IPC_RMID). Returns how many went."""
    removed = 0
    for kind, number in sysv_objects(uid):
        control = getattr(_libc, SYSV[kind][1])
        if (control(number, 0, 0) if kind == "sem" else control(number, 0, None)) == 0:
            removed += 1
    return removed
