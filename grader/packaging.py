"""The installed grader as a wheel, for autograder zips (and, without the answers, for students).

The package is staged from where it is installed (a checkout or site-packages), so a wheel can be
built wherever `grader` runs; pip builds it (PEP 517, setuptools from the package registry).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import grader
from grader.spec import PROBLEMS_ROOT

PACKAGE_ROOT = Path(grader.__file__).resolve().parent


class PackagingError(Exception):
    pass


def _dependencies() -> list[str]:
    """The package's own requirements, without extras."""
    try:
        requires = metadata.requires("grader") or []
    except metadata.PackageNotFoundError:
        requires = []
    return [r for r in requires if "extra ==" not in r]


def _pyproject(dependencies: list[str]) -> str:
    listed = ",\n".join(f"    {d!r}" for d in dependencies)
    return f"""[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "grader"
version = "{grader.__version__}"
requires-python = ">=3.10"
dependencies = [
{listed}
]

[project.scripts]
grader = "grader.cli:main"

[tool.setuptools.packages.find]
include = ["grader*", "problems*"]

[tool.setuptools.package-data]
"*" = ["*.toml", "*.json"]
"""


def stage(dest: Path, problems: list[str], leave_out: tuple[str, ...] = ()) -> Path:
    """A buildable source tree in dest: grader/, the named problem folders, a pyproject.toml.
    `leave_out`: file names never copied (say, a reference solution)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", *leave_out)
    shutil.copytree(PACKAGE_ROOT, dest / "grader", ignore=ignore)
    (dest / "problems").mkdir()
    (dest / "problems" / "__init__.py").write_text("")
    for name in problems:
        shutil.copytree(PROBLEMS_ROOT / name, dest / "problems" / name, ignore=ignore)
    (dest / "pyproject.toml").write_text(_pyproject(_dependencies()))
    return dest


def build_wheel(staged: Path, out_dir: Path) -> Path:
    """pip builds the wheel of a staged tree into out_dir; returns its path."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
         "-w", str(out_dir), str(staged)], capture_output=True, text=True)
    made = sorted(out_dir.glob("grader-*.whl"))
    if done.returncode != 0 or not made:
        raise PackagingError(f"pip could not build the wheel:\n{done.stderr.strip()[-2000:]}")
    return made[-1]


def wheel(out_dir: Path, problems: list[str], leave_out: tuple[str, ...] = ()) -> Path:
    """A wheel of grader with the named problems, copied into out_dir."""
    with tempfile.TemporaryDirectory(prefix="grader-stage-") as tmp:
        built = build_wheel(stage(Path(tmp) / "src", problems, leave_out), Path(tmp) / "dist")
        out_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(built, out_dir / built.name))
