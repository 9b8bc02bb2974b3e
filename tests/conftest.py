import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from grader.sandbox import isolation as sandbox
from grader.core import spec
from grader.core.engine import grade
from grader.sandbox.forkserver import ForkServer

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "tests" / "solutions"
CORRECT = sorted(p for p in (SOLUTIONS / "correct").iterdir() if p.suffix in (".py", ".ipynb"))
AUTO_PARTS = ["1y", "1a", "1b", "1c", "1d", "2a", "2b", "2c", "2d", "3a", "3b"]
MANUAL_PARTS = ["1-sketch", "2d-why", "3-proof"]
GRADER = [sys.executable, "-m", "grader"]


@pytest.fixture(scope="session", autouse=True)
def _orphans_come_to_us():
    """Whatever a test's children orphan reparents to this process, so leftovers are looked for
    among our own descendants only (another test run on the machine is none of our business)."""
    sandbox.become_subreaper()


def descendants(root: int | None = None) -> set[int]:
    """Every live process below root (default: this test process)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(parent, []).append(int(entry))
    found, todo = set(), [root or os.getpid()]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def our_processes_running(*markers: bytes, keep=frozenset()) -> list[int]:
    """Our descendants (but keep) whose command line holds one of markers."""
    found = []
    for pid in sorted(descendants() - set(keep)):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if any(marker in cmdline for marker in markers):
            found.append(pid)
    return found


@pytest.fixture(scope="session")
def dis02():
    return spec.load("dis02")


@pytest.fixture
def grade_source(tmp_path, dis02):
    """Grade source text written to a file; returns the ScoreDocument."""
    def run(source: str, suffix: str = ".py", seed: int = 182, problem=None, server=None):
        path = tmp_path / f"submission{suffix}"
        path.write_text(source)
        return grade(path, problem or dis02, seed, server=server)
    return run


@pytest.fixture(scope="session")
def forkserver():
    """One warm fork server for the tests that grade through one, as a batch worker does."""
    server = ForkServer(sandbox.strongest())
    yield server
    server.close()


def run_cli(*args, cwd=None, timeout=120):
    return subprocess.run([*GRADER, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**os.environ, "NO_COLOR": "1"})


# ---- what the platform tests build, built once per session (each build takes seconds to a minute) --

@pytest.fixture(scope="session")
def dis02_kit(tmp_path_factory) -> Path:
    """`grader student-kit` of dis02: the folder holding its wheel and README.md (not to be changed)."""
    out = tmp_path_factory.mktemp("dis02-kit") / "dist"
    done = run_cli("student-kit", out, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def dis02_gradescope_zip(tmp_path_factory) -> Path:
    """`grader gradescope build` of dis02 (not to be changed)."""
    zip_path = tmp_path_factory.mktemp("dis02-gradescope") / "autograder.zip"
    done = run_cli("gradescope", "build", zip_path, timeout=600)
    assert done.returncode == 0, done.stderr
    return zip_path


def unzip_as_gradescope(zip_path: Path, dest: Path) -> Path:
    """The zip unpacked as Gradescope does, with its files' modes (zipfile drops them)."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(dest)
        for info in archive.infolist():
            os.chmod(dest / info.filename, info.external_attr >> 16)
    return dest


def venv_with_wheel(base: Path, wheel: Path) -> Path:
    """A fresh virtual environment with `wheel` pip-installed (no dependencies); the packages of this
    one (NumPy, pydantic, otter-grader, ...) are seen through a .pth file, as installing them afresh
    takes minutes. .pth files are not read from there, so this checkout's editable grader is not
    importable: only the wheel's is. Returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", base], check=True)
    site = next((base / "lib").glob("python*/site-packages"))
    (site / "instructor_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = base / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                              "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert install.returncode == 0, install.stderr[-2000:]
    return python


BASE = (SOLUTIONS / "correct" / "vectorized.py").read_text()


def sabotage(function: str, body: str, imports: str = "import os, sys, signal") -> str:
    """A correct solution with `body` run first inside `function`."""
    header = f"def {function}("
    assert BASE.count(header) == 1
    start = BASE.index(header)
    line_end = BASE.index(":\n", start) + 2
    return f"{imports}\n" + BASE[:line_end] + f"    {body}\n" + BASE[line_end:]


def statuses(doc) -> dict[str, str]:
    return {p.id: p.status for p in doc.parts}


def failing(doc) -> set[str]:
    return {p.id for p in doc.parts if p.status in ("failed", "error")}
