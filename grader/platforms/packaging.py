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
from grader.errors import PackagingError

PACKAGE_ROOT = Path(grader.__file__).resolve().parent
# a problem's name is its folder and package in a wheel (problems/<name>/) and what `--problem`
# finds there once installed
PACKAGE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def installed_name(problem) -> str:
    """The name a loaded problem gets in a wheel: its spec's name, whatever its folder is called."""
    name = problem.spec.name
    if not PACKAGE_NAME.fullmatch(name):
        raise PackagingError(f"{problem.folder / 'spec.toml'}: name = {name!r} cannot name a folder in a "
                             "package: use letters, digits and _ (not starting with a digit)")
    return name


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
"*" = ["*.toml", "*.json", "__pycache__/*.json"]
"""


def copy_package(dest: Path) -> None:
    """grader/ itself into a staged tree."""
    shutil.copytree(PACKAGE_ROOT, dest / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


def stage(dest: Path, problems: list) -> Path:
    """A buildable source tree in dest: grader/, each loaded problem's folder (wherever it is) as
    problems/<its spec's name>/, a pyproject.toml."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    copy_package(dest)
    (dest / "problems").mkdir()
    (dest / "problems" / "__init__.py").write_text("")
    for problem in problems:
        target = dest / "problems" / installed_name(problem)
        shutil.copytree(problem.folder, target, ignore=ignore)
        (target / "__init__.py").touch()    # a package, so setuptools ships its files
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


def wheel(out_dir: Path, problems: list) -> Path:
    """A wheel of grader with the loaded problems (grader.core.spec.Problem), copied into out_dir."""
    with tempfile.TemporaryDirectory(prefix="grader-stage-") as tmp:
        built = build_wheel(stage(Path(tmp) / "src", problems), Path(tmp) / "dist")
        out_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(built, out_dir / built.name))
