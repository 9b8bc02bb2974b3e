"""The installed grader as a wheel, for autograder zips (and, without the answers, for students).

The package is staged from where it is installed (a checkout or site-packages), so a wheel can be
built wherever `grader` runs; pip builds it (PEP 517, setuptools from the package registry).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import grader
from grader.core.spec import PROBLEMS_ROOT
from grader.errors import PackagingError

PACKAGE_ROOT = Path(grader.__file__).resolve().parent


def dependencies() -> list[str]:
    """The package's own requirements, without extras."""
    try:
        requires = metadata.requires(grader.DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        raise PackagingError(f"{grader.DISTRIBUTION} is not installed (pip install -e .), so its dependencies are "
                             "unknown and a wheel of it would install without them") from None
    return [r for r in requires if "extra ==" not in r]


def pyproject(dependencies: list[str], version: str = grader.__version__, extra: str = "") -> str:
    """A pyproject.toml for a staged tree of grader/ and problems/; `extra`: more [project] lines."""
    listed = ",\n".join(f"    {d!r}" for d in dependencies)
    return f"""[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{grader.DISTRIBUTION}"
version = "{version}"
requires-python = ">=3.10"
dependencies = [
{listed}
]
{extra}

[project.scripts]
grader = "grader.cli:main"

[tool.setuptools.packages.find]
include = ["grader*", "problems*"]

[tool.setuptools.package-data]
"*" = ["*.toml", "*.json"]
"""


def copy_package(dest: Path) -> None:
    """grader/ itself into a staged tree."""
    shutil.copytree(PACKAGE_ROOT, dest / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


def stage(dest: Path, problems: list[str], leave_out: tuple[str, ...] = ()) -> Path:
    """A buildable source tree in dest: grader/, the named problem folders, a pyproject.toml.
    `leave_out`: file names never copied (say, a reference solution)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", *leave_out)
    copy_package(dest)
    (dest / "problems").mkdir()
    (dest / "problems" / "__init__.py").write_text("")
    for name in problems:
        shutil.copytree(PROBLEMS_ROOT / name, dest / "problems" / name, ignore=ignore)
    (dest / "pyproject.toml").write_text(pyproject(dependencies()))
    return dest


def _setuptools_builds_alone() -> bool:
    """setuptools >= 70.1 builds wheels without the `wheel` package, so pip needs no network."""
    try:
        found = tuple(int(n) for n in re.findall(r"\d+", metadata.version("setuptools"))[:2])
    except metadata.PackageNotFoundError:
        return False
    return found >= (70, 1)


def build_wheel(staged: Path, out_dir: Path) -> Path:
    """pip builds the wheel of a staged tree into out_dir; returns its path. With this
    environment's setuptools when it can (no network), else in pip's isolated build."""
    isolation = ["--no-build-isolation"] if _setuptools_builds_alone() else []
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PIP_NO_INPUT": "1"}   # same files, same zip
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
         *isolation, "-w", str(out_dir), str(staged)], capture_output=True, text=True, env=env,
        stdin=subprocess.DEVNULL)
    made = sorted(out_dir.glob(f"{grader.DISTRIBUTION}-*.whl"))
    if done.returncode != 0 or len(made) != 1:
        raise PackagingError(f"pip could not build the wheel:\n{(done.stderr or done.stdout).strip()[-2000:]}")
    return made[0]


def wheel(out_dir: Path, problems: list[str], leave_out: tuple[str, ...] = ()) -> Path:
    """A wheel of grader with the named problems, copied into out_dir."""
    with tempfile.TemporaryDirectory(prefix="grader-stage-") as tmp:
        built = build_wheel(stage(Path(tmp) / "src", problems, leave_out), Path(tmp) / "dist")
        out_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(built, out_dir / built.name))
