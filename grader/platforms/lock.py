"""Exact versions of grader's dependencies for the Gradescope zip, made when it is built, so the
image installs the same versions whenever Gradescope builds it, months later included.

One lock per Python a Gradescope image may have (TARGETS). pip's resolver picks the versions
without installing anything (`--dry-run`), for Linux x86_64 wheels, preferring the version this
environment has wherever that version supports the target Python: the Python you build with gets
exactly your versions, an older one the newest release that still supports it (NumPy 2.3 and
later need Python 3.11, Gradescope's Ubuntu 22.04 image has 3.10). pip judges dependencies'
markers by the Python running it, not by the target, so the set is closed here: a requirement
whose marker holds on the target but that pip left out (tomli below Python 3.11) is added and
pip asked again.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from grader import DISTRIBUTION
from grader.platforms.packaging import PackagingError

TARGETS = ("3.10", "3.11", "3.12", "3.13")     # 22.04 has 3.10, 24.04 3.12; 3.11 and 3.13 for other images
# wheels a Gradescope image (x86_64, glibc 2.35 on 22.04) can install; pip does not widen these itself
PLATFORMS = ["manylinux2014_x86_64", *(f"manylinux_2_{minor}_x86_64" for minor in range(17, 36))]
ROUNDS = 4


class LockError(PackagingError):
    pass


def file_name(target: str) -> str:
    return f"python{target}.txt"


def _environment(target: str) -> dict[str, str]:
    """Marker variables of a CPython `target` on Gradescope's Linux x86_64."""
    return {**default_environment(), "python_version": target, "python_full_version": f"{target}.0",
            "implementation_name": "cpython", "implementation_version": f"{target}.0",
            "platform_python_implementation": "CPython", "sys_platform": "linux", "platform_system": "Linux",
            "platform_machine": "x86_64", "os_name": "posix", "extra": ""}


def _applies(requirement: Requirement, environment: dict[str, str]) -> bool:
    return requirement.marker is None or requirement.marker.evaluate(environment)


def installed_tree() -> dict[str, str]:
    """This environment's versions of grader's dependencies, all the way down (name -> version)."""
    found, todo = {}, [DISTRIBUTION]
    environment = {**default_environment(), "extra": ""}
    while todo:
        name = todo.pop()
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            key = canonicalize_name(requirement.name)
            if key not in found and _applies(requirement, environment):
                try:
                    found[key] = metadata.version(requirement.name)
                except metadata.PackageNotFoundError:
                    continue
                todo.append(requirement.name)
    return found


def _supports(name: str, target: str) -> bool:
    """Whether this environment's release of `name` declares support for Python `target`."""
    try:
        declared = metadata.metadata(name).get("Requires-Python")
        return not declared or SpecifierSet(declared).contains(f"{target}.0")
    except (metadata.PackageNotFoundError, InvalidSpecifier):
        return False


def _resolve(wheel: Path, target: str, extra: list[str], constraints: list[str], work: Path) -> list[dict]:
    """pip's choice for `target` (the report's `install` items); nothing is installed."""
    (work / "constraints.txt").write_text("\n".join(constraints) + "\n")
    report = work / "report.json"
    major, minor = target.split(".")
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--disable-pip-version-check", "--report", str(report), "--target", str(work / "target"),
               "--only-binary=:all:", "--python-version", target, "--implementation", "cp",
               "--abi", f"cp{major}{minor}", *(f"--platform={p}" for p in PLATFORMS),
               "-c", str(work / "constraints.txt"), str(wheel), *extra]
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PIP_NO_INPUT": "1"})
    if done.returncode != 0:
        raise LockError(f"pip could not pin grader's dependencies for Python {target} (it needs the "
                        f"package index):\n{(done.stderr or done.stdout).strip()[-1500:]}")
    return json.loads(report.read_text())["install"]


def _closure(items: list[dict], target: str) -> tuple[dict[str, str], list[str]]:
    """What grader needs on `target`, from pip's report: (name -> version, requirements missing)."""
    by_name = {canonicalize_name(item["metadata"]["name"]): item["metadata"] for item in items}
    environment = _environment(target)
    needed, missing, todo = {}, [], [canonicalize_name(DISTRIBUTION)]
    while todo:
        for line in by_name[todo.pop()].get("requires_dist") or []:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            key = canonicalize_name(requirement.name)
            if key in needed or not _applies(requirement, environment):
                continue
            if key not in by_name:
                requirement.marker = None
                missing.append(str(requirement))
                continue
            needed[key] = by_name[key]["version"]
            todo.append(key)
    return needed, missing


def lock(wheel: Path, target: str) -> dict[str, str]:
    """name -> version of everything grader needs on Python `target`."""
    preferred = [f"{name}=={version}" for name, version in installed_tree().items() if _supports(name, target)]
    extra: list[str] = []
    with tempfile.TemporaryDirectory(prefix="grader-lock-") as tmp:
        for _ in range(ROUNDS):
            try:
                items = _resolve(wheel, target, extra, preferred, Path(tmp))
            except LockError:
                if not preferred:
                    raise
                preferred = []     # a release of ours that lacks a wheel for the target: pip chooses
                continue
            needed, missing = _closure(items, target)
            if not missing:
                return needed
            extra += missing
    raise LockError(f"grader's dependencies for Python {target} did not settle in {ROUNDS} rounds")


def text(pins: dict[str, str], target: str) -> str:
    lines = [f"# grader's dependencies for Python {target}, pinned by `grader gradescope build`;",
             "# setup.sh installs exactly these (pip install --no-deps -r), from wheels only.",
             "--only-binary=:all:"]
    return "\n".join(lines + [f"{name}=={version}" for name, version in sorted(pins.items())]) + "\n"


def write_all(wheel: Path, folder: Path) -> list[Path]:
    """A lock per target Python in folder (pip runs for them at once: mostly waiting on the index)."""
    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(len(TARGETS)) as pool:
        pins = list(pool.map(lambda target: lock(wheel, target), TARGETS))
    paths = []
    for target, pinned in zip(TARGETS, pins):
        paths.append(folder / file_name(target))
        paths[-1].write_text(text(pinned, target))
    return paths
