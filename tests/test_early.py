"""`grader check`'s early child (grader.sandbox.early): started before the judge imports NumPy,
it answers bubblewrap's probe and is adopted by the session, or is stopped when it does not fit."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.sandbox import early
from grader.sandbox import isolation as sandbox
from grader.sandbox import cgroup
from grader.sandbox.cgroup import GROUP_BASELINE
from grader.sandbox.session import ChildSession, Limits
from grader.core.engine import grade
from grader.submissions.files import units
from tests.conftest import BASE, GRADER, ROOT, descendants, our_processes_running

IN_CI = bool(os.environ.get("CI"))
AS_ROOT_ON_LINUX = sys.platform.startswith("linux") and os.geteuid() == 0
CHILD_MARK = b"The child side of the boundary"   # in every child's command line (its source)
BWRAP_WHY = sandbox.unavailable("bubblewrap")     # probed here, before the tests undo the probe


@pytest.fixture
def unprobed(monkeypatch):
    """This process as a fresh `grader check`: bubblewrap not yet probed, no early child."""
    monkeypatch.setattr(sandbox, "_bwrap_result", [])
    monkeypatch.setattr(sandbox, "_namespaces", {})
    monkeypatch.setattr(sandbox, "_strongest", [])
    monkeypatch.setattr(early, "_waiting", [])
    yield
    early.discard()


def _need_bubblewrap():
    """CI runs as root on Linux with bubblewrap installed: never skipped there."""
    if BWRAP_WHY and not (IN_CI or AS_ROOT_ON_LINUX):
        pytest.skip(f"bubblewrap: {BWRAP_WHY}")


def _dead(pid: int) -> bool:
    return pid not in descendants()


def test_the_early_child_answers_the_probe_and_is_the_one_that_grades(unprobed, monkeypatch, tmp_path, dis02):
    _need_bubblewrap()

    def no_probe(*args, **kwargs):
        raise AssertionError(f"the probe ran: {args[0][:3]}")
    monkeypatch.setattr(sandbox.subprocess, "run", no_probe)
    taken = []
    real_take = early.take
    monkeypatch.setattr(early, "take", lambda *args: taken.append(real_take(*args)) or taken[-1])

    early.start("auto")
    assert len(early._waiting) == 1
    pid = early._waiting[0].proc.pid
    assert pid in descendants()
    assert sandbox.choose("auto") == ("bubblewrap", "")    # learned from the child, not a probe
    assert sandbox.namespaces_refused("bubblewrap") is None

    path = tmp_path / "answer.py"
    path.write_text(BASE)
    doc = grade(path, dis02, 182, isolation="bubblewrap")
    assert doc.score == 16 and doc.isolation == "bubblewrap"
    assert taken and taken[0] is not None and taken[0].proc.pid == pid
    assert early._waiting == [] and _dead(pid)


def test_the_adopted_child_gets_the_problems_memory_budget(unprobed, tmp_path):
    _need_bubblewrap()
    early.start("bubblewrap")
    path = tmp_path / "answer.py"
    path.write_text(BASE)
    budget = 300 << 20
    session = ChildSession(units(path), Limits(memory_bytes=budget), time.monotonic() + 60, "bubblewrap")
    session.start()
    try:
        assert early._waiting == []
        if session.cgroup is None:
            assert not AS_ROOT_ON_LINUX, "root here can make cgroups"
            return
        caps = [f.read_text().strip() for folder in session.cgroup.folders
                for f in (folder / "memory.max", folder / "memory.limit_in_bytes") if f.exists()]
        assert caps == [str(budget + GROUP_BASELINE)]
    finally:
        session.close()


@pytest.mark.parametrize("mode, modules", [("bubblewrap", ("json",)), ("process", ()), ("user", ())])
def test_an_early_child_that_does_not_fit_the_session_is_stopped(unprobed, mode, modules):
    _need_bubblewrap()
    early.start("auto")
    waiting = early._waiting[0]
    groups = list(waiting.cgroup.folders) if waiting.cgroup else []
    assert early.take(mode, modules) is None
    assert _dead(waiting.proc.pid) and early._waiting == []
    assert not any(folder.exists() for folder in groups)


def _fake_bwrap(monkeypatch, script: str):
    """bubblewrap "installed", and the early child a Python that runs script instead."""
    monkeypatch.setattr(early.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(sandbox, "launch", lambda *args, **kwargs: sandbox.Launch(
        [sys.executable, "-I", "-S", "-c", script], None, "/"))


def test_a_child_refused_its_own_namespaces_is_the_probes_answer(unprobed, monkeypatch):
    _fake_bwrap(monkeypatch, "import os, sys\nsys.stderr.write('cannot make a user namespace')\n"
                             "sys.stderr.flush()\nos._exit(121)")
    early.start("auto")
    pid = early._waiting[0].proc.pid
    assert sandbox.unavailable("bubblewrap") is None      # bubblewrap ran...
    assert sandbox.namespaces_refused("bubblewrap") == "cannot make a user namespace"   # ...its child could not
    assert _dead(pid) and early._waiting == []


def test_bubblewrap_that_cannot_start_falls_back_with_its_words(unprobed, monkeypatch):
    _fake_bwrap(monkeypatch, "import os, sys\nsys.stderr.write('bwrap: setting up uid map: Permission denied')\n"
                             "sys.stderr.flush()\nos._exit(1)")
    early.start("auto")
    assert sandbox.unavailable("bubblewrap") == "bubblewrap cannot start here: bwrap: setting up uid map: Permission denied"
    mode, warning = sandbox.choose("auto")
    assert mode in ("user", "process")
    assert "bwrap: setting up uid map: Permission denied" in warning
    assert early._waiting == []


def test_no_early_child_where_it_could_not_be_used(unprobed, monkeypatch):
    early.start("process")
    early.start("user")
    assert early._waiting == []
    monkeypatch.setenv("GRADER_NAMESPACES", "0")   # the probe decides without namespaces of the child's own
    early.start("auto")
    assert early._waiting == []


def _our_group_folders() -> set[Path]:
    """The grader-* control groups in the folders where a `grader check` started by this process
    makes them (ours, inherited): listed one level deep, as another run may remove its own meanwhile."""
    parents = [cgroup.ROOT / own for own in [cgroup._own(None)] if own is not None] \
        if (cgroup.ROOT / "cgroup.controllers").exists() else \
        [cgroup.ROOT / name / own for name in ("pids", "memory") if (own := cgroup._own(name)) is not None]
    found = set()
    for parent in parents:
        try:
            found |= {parent / n for n in os.listdir(parent) if n.startswith("grader-")}
        except OSError:
            continue
    return found


def test_a_check_that_never_grades_leaves_no_child_and_no_cgroup(tmp_path):
    """An unreadable notebook: the early child was started, nothing took it; `grader check`
    stops it and removes its control group before it exits."""
    _need_bubblewrap()
    notebook = tmp_path / "answer.ipynb"
    notebook.write_text("{ not json")
    before, groups_before = descendants(), _our_group_folders()
    done = subprocess.Popen([*GRADER, "check", str(notebook)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 1, err
    assert "could not be read" in out and "Traceback" not in err
    assert our_processes_running(CHILD_MARK, keep=before) == []
    # a folder of an earlier process of the same pid may be there from before: not this run's
    assert not [g for g in _our_group_folders() - groups_before if g.name.startswith(f"grader-{done.pid}-")]


def test_an_in_process_check_that_never_grades_stops_its_early_child(unprobed, monkeypatch, tmp_path):
    """The command run in a longer-lived process (a test, a notebook): no child is left waiting."""
    _need_bubblewrap()
    from click.testing import CliRunner
    from grader.cli import cli
    notebook = tmp_path / "answer.ipynb"
    notebook.write_text("{ not json")
    started = []
    real_start = early.start
    monkeypatch.setattr(early, "start", lambda requested: (real_start(requested),
                                                           started.extend(e.proc.pid for e in early._waiting)))
    result = CliRunner().invoke(cli, ["check", str(notebook)])
    assert result.exit_code == 1, result.output
    assert started and _dead(started[0]) and early._waiting == []
