"""Isolation modes: bubblewrap where it runs (always in CI), and the fallbacks, forced by option."""
import json
import os
import random
import secrets
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader.sandbox import confine
from grader.sandbox import isolation as sandbox
from grader.sandbox import uids
from grader.sandbox.cgroup import Cgroup
from grader.core.engine import grade
from tests.conftest import BASE, failing, our_processes_running, run_cli, sabotage

IN_CI = bool(os.environ.get("CI"))
AS_ROOT_ON_LINUX = sys.platform.startswith("linux") and os.geteuid() == 0
USER_MODE_WHY = sandbox.unavailable("user")


def test_ci_has_bubblewrap_and_cgroups():
    """CI runs as root on Linux, where `make` installs bubblewrap: the strongest mode must run there,
    so the attacks that need it (tests/test_hostile.py) are never skipped in CI."""
    if not (IN_CI or AS_ROOT_ON_LINUX):
        pytest.skip("only CI and root on Linux promise bubblewrap")
    assert sandbox.unavailable("bubblewrap") is None
    assert sandbox.strongest() == "bubblewrap"
    group = Cgroup.create(8, 64 << 20)
    assert group is not None, "root here can make cgroups"
    group.remove()


def test_auto_takes_the_strongest_and_warns_when_it_is_weaker(monkeypatch):
    monkeypatch.setattr(sandbox, "unavailable", lambda mode: None if mode == "process" else f"no {mode} here")
    mode, warning = sandbox.choose("auto")
    assert mode == "process"
    assert warning.startswith("student code runs with process isolation, weaker than bubblewrap "
                              "(no bubblewrap here; no user here)")
    assert ("AS ROOT" in warning) == (os.geteuid() == 0)
    with pytest.raises(sandbox.IsolationUnavailable, match="bubblewrap isolation is not available: no bubblewrap here"):
        sandbox.choose("bubblewrap")


def test_demanding_bubblewrap_without_it_fails_loudly(tmp_path):
    path = tmp_path / "answer.py"
    path.write_text(BASE)
    env_path = os.environ.get("PATH", "")
    try:
        os.environ["PATH"] = str(tmp_path)          # no bwrap to be found
        result = run_cli("check", path, "--isolation", "bubblewrap")
        auto = run_cli("check", path, "--json")
    finally:
        os.environ["PATH"] = env_path
    assert result.returncode == 2
    assert "bubblewrap isolation is not available: bubblewrap (bwrap) is not installed" in result.stderr
    assert "Traceback" not in result.stderr
    assert "warning: student code runs with" in auto.stderr and "weaker than bubblewrap" in auto.stderr
    assert json.loads(auto.stdout)["isolation"] in ("user", "process")


def test_process_mode_is_recorded_and_shown(tmp_path):
    path = tmp_path / "answer.py"
    path.write_text(BASE)
    report = run_cli("check", path, "--isolation", "process")
    assert report.returncode == 0
    assert "note: student code ran with process isolation" in report.stdout
    doc = json.loads(run_cli("check", path, "--isolation", "process", "--json").stdout)
    assert doc["isolation"] == "process" and doc["score"] == 16


@pytest.mark.parametrize("mode", ["process", "user"])
def test_fallback_grades_and_contains(mode, dis02, tmp_path):
    if mode == "user" and USER_MODE_WHY:
        pytest.skip(f"user isolation unavailable here: {USER_MODE_WHY}")
    hang = sabotage("ridge_map", "while True: pass")
    escape = "import subprocess\nsubprocess.Popen(['sleep', '1000'], start_new_session=True)\n" + BASE
    path = tmp_path / "attack.py"
    for source, must_fail in ((BASE, set()), (hang, {"3a"}), (escape, set()),
                              (sabotage("dy_dW1", "os._exit(0)"), {"1d"})):
        path.write_text(source)
        doc = grade(path, dis02, 182, isolation=mode)
        assert doc.isolation == mode
        assert failing(doc) == must_fail
    time.sleep(0.05)
    assert our_processes_running(b"sleep\x001000") == []


def test_user_mode_cannot_write_our_files_or_signal_us(tmp_path, dis02):
    if USER_MODE_WHY:
        pytest.skip(f"user isolation unavailable here: {USER_MODE_WHY}")
    target = tmp_path / "results.jsonl"
    target.write_text("kept\n")
    tmp_path.chmod(0o755)
    attack = BASE + (f"\nimport os, signal\ntry:\n    open({str(target)!r}, 'w').write('forged')\nexcept OSError:\n    pass\n"
                     "try:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n    pass\n")
    path = tmp_path / "attack.py"
    path.write_text(attack)
    doc = grade(path, dis02, 182, isolation="user")
    assert doc.score == 16 and target.read_text() == "kept\n"


def test_user_mode_says_why_it_cannot_run(monkeypatch):
    """Each reason user mode can be unavailable is named, and naming the mode then fails."""
    monkeypatch.setattr(sandbox.sys, "platform", "linux")
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    assert "needs root" in sandbox.unavailable("user")
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "_public_interpreter", lambda: None)
    assert "a student's uid cannot read" in sandbox.unavailable("user")
    with pytest.raises(sandbox.IsolationUnavailable, match="user isolation is not available"):
        sandbox.choose("user")
    monkeypatch.setattr(sandbox, "_public_interpreter", lambda: "/usr/bin/python3")
    monkeypatch.setattr(sandbox, "_readable_by_others", lambda path: "numpy" not in path.lower())
    assert "cannot read NumPy" in sandbox.unavailable("user")


def test_cgroup_caps_and_cleans_a_process_tree():
    group = Cgroup.create(8, 256 << 20)
    if group is None:
        assert not (IN_CI or AS_ROOT_ON_LINUX), "root on Linux can make cgroups"
        pytest.skip("no writable cgroup fs here")
    bomb = subprocess.Popen([sys.executable, "-c",
                             "import os, time\nfor _ in range(50):\n    try: os.fork()\n    except OSError: break\n"
                             "time.sleep(100)"], preexec_fn=group.enter)
    time.sleep(0.5)
    assert 1 <= len(group.pids()) <= 8
    group.remove()
    assert bomb.wait(timeout=5) == -9
    assert group.pids() == [] and not any(folder.exists() for folder in group.folders)


# ---- student uids (user isolation), and what grader.sandbox.confine builds -----------------------------

def _as(uid: int):
    def drop():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return drop


def test_a_student_uid_is_never_one_in_use(tmp_path, monkeypatch):
    """In a range of two: a uid running someone else's process is skipped; one whose lock holder
    died holding it is taken, and what that holder's student left (a process, a file) is cleared."""
    if USER_MODE_WHY:
        pytest.skip(f"user isolation unavailable here: {USER_MODE_WHY}")
    base = random.randrange(1_950_000_000, 1_990_000_000, 16)
    monkeypatch.setenv("GRADER_UID_BASE", str(base))
    monkeypatch.setenv("GRADER_UID_COUNT", "2")
    foreign = subprocess.Popen(["sleep", "300"], preexec_fn=_as(base))
    leftover = subprocess.Popen(["sleep", "300"], preexec_fn=_as(base + 1))
    left_file = Path("/tmp") / f"grader-test-{secrets.token_hex(6)}"
    left_file.write_text("left by a student")
    os.chown(left_file, base + 1, base + 1)
    locks = [Path(uids.LOCKS) / str(base), Path(uids.LOCKS) / str(base + 1)]
    os.makedirs(uids.LOCKS, mode=0o700, exist_ok=True)
    locks[1].write_text("12345\n")   # its holder died holding it
    try:
        (lock,) = uids.lease()
        assert lock.uid == base + 1
        assert leftover.wait(timeout=60) == -signal.SIGKILL
        assert foreign.poll() is None and not left_file.exists()
        with pytest.raises(uids.UidError, match="no free uid"):
            uids.lease()
        lock.release()
        assert locks[1].read_text() == "", "a clean release: the next holder need not clear"
    finally:
        for process in (foreign, leftover):
            process.kill()
            process.wait()
        left_file.unlink(missing_ok=True)
        for path in locks:
            path.unlink(missing_ok=True)


def test_a_bad_uid_range_is_a_clear_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_UID_BASE", "lots")
    with pytest.raises(uids.UidError, match="whole numbers"):
        uids.uid_range()
    monkeypatch.setenv("GRADER_UID_BASE", "1000")
    with pytest.raises(uids.UidError, match="must lie within 65536"):
        uids.uid_range()
    if not AS_ROOT_ON_LINUX:
        return
    path = tmp_path / "answer.py"
    path.write_text(BASE)
    result = run_cli("check", path, "--isolation", "user")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no uid for students" in result.stderr and "GRADER_UID_BASE" in result.stderr


def test_clear_removes_whatever_tree_a_student_made(tmp_path):
    """As a fork server in bubblewrap meets it (not root: modes count): folders with mode 000,
    deeper than PATH_MAX; a symbolic link in it is removed, not followed."""
    if not AS_ROOT_ON_LINUX:
        pytest.skip("needs root to act as another user")
    student = random.randrange(1_950_000_000, 1_990_000_000, 16)
    public = Path(tempfile.mkdtemp())   # like /tmp (pytest's own folders are root's alone)
    public.chmod(0o1777)
    outside = public / "outside.txt"
    outside.write_text("keep me")
    top = public / "left"
    top.mkdir()
    os.chown(top, student, student)
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            _as(student)()
            here, locked = os.open(top, os.O_RDONLY), []
            for depth in range(2100):
                os.mkdir("d", dir_fd=here)
                os.symlink(str(outside), "link", dir_fd=here)
                below = os.open("d", os.O_RDONLY, dir_fd=here)
                if here not in locked:
                    os.close(here)
                if depth % 100 == 0:
                    locked.append(below)   # mode 000 once the tree is built
                here = below
            for folder in locked:
                os.fchmod(folder, 0)
            confine.clear(str(top))
            status = 0 if not top.exists() else 2
        finally:
            os._exit(status)
    _, raw = os.waitpid(pid, 0)
    try:
        assert os.waitstatus_to_exitcode(raw) == 0
        assert outside.read_text() == "keep me" and stat.S_IMODE(outside.stat().st_mode) == 0o644
    finally:
        subprocess.run(["rm", "-rf", str(public)], check=False)


def test_the_filter_refuses_sockets_and_sysv_ipc():
    if not sys.platform.startswith("linux") or os.uname().machine not in confine.SYSCALLS:
        pytest.skip("the seccomp filter is written for x86_64 and aarch64 Linux")
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            confine.deny_syscalls(["socket", "sysv"])
            import ctypes
            import socket
            libc = ctypes.CDLL(None, use_errno=True)
            try:
                socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                status = 2
            except PermissionError:
                left, right = socket.socketpair()     # a pair reaches nothing: still allowed
                left.close()
                right.close()
                refused = libc.shmget(0, 4096, 0o1000 | 0o600) == -1 and ctypes.get_errno() == 13
                status = 0 if refused else 3
        finally:
            os._exit(status)
    _, raw = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(raw) == 0


def test_process_isolation_as_root_is_said_loudly(tmp_path):
    if not AS_ROOT_ON_LINUX:
        pytest.skip("the warning is for root")
    path = tmp_path / "answer.py"
    path.write_text(BASE)
    result = run_cli("check", path, "--isolation", "process")
    assert result.returncode == 0 and "runs student code AS ROOT" in result.stderr


def test_a_python_living_in_tmp_is_not_hidden_from_its_own_child(monkeypatch):
    """A venv made in /tmp (a clean clone there): a fresh tmpfs over /tmp would hide NumPy and the
    stdlib from the child, and every submission would die loading. That folder stays, read-only."""
    from grader.sandbox import isolation
    monkeypatch.setattr(sys, "prefix", "/tmp/clone/.venv")
    plan = isolation._child_plan("process", True)
    assert "/tmp" not in plan["scratch"] and "/dev/shm" in plan["scratch"] and plan["readonly"]
    monkeypatch.setattr(sys, "prefix", "/opt/venv")
    monkeypatch.setattr(sys, "path", ["/opt/venv/lib/python3/site-packages"])
    assert "/tmp" in isolation._child_plan("process", True)["scratch"]
