"""Isolation modes: bubblewrap where it runs (always in CI), and the fallbacks, forced by option."""
import json
import os
import subprocess
import sys
import time

import pytest

from grader import sandbox
from grader.cgroup import Cgroup
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
    assert warning == ("student code runs with process isolation, weaker than bubblewrap "
                       "(no bubblewrap here; no user here)")
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
    assert "the user nobody cannot read" in sandbox.unavailable("user")
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
