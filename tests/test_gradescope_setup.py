"""The Gradescope zip's setup.sh on the Pythons of Gradescope's images (issue 14, item 7): it says
plainly that Ubuntu 18.04's and 20.04's Pythons (3.6, 3.8) are too old, and installs exactly the
dependency versions pinned when the zip was built, also on a Python older than the one that
built it (Ubuntu 22.04's 3.10, where this machine's NumPy release does not install)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.platforms import lock
from tests.conftest import SOLUTIONS, unzip_as_gradescope

TARGETS = ["3.10", "3.11", "3.12", "3.13"]
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"


def real_python(version: str) -> str | None:
    """An interpreter of that version on this machine (pyenv's shims are not one until chosen)."""
    candidates = [shutil.which(f"python{version}"), f"/usr/bin/python{version}",
                  *map(str, sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}")))]
    for path in filter(None, candidates):
        try:
            done = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=60)
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == version:
            return path
    return None


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith(("#", "--")):
            name, version = line.split("==")
            found[name] = version
    return found


@pytest.fixture(scope="module")
def unzipped(dis02_gradescope_zip, tmp_path_factory):
    """The autograder zip, unpacked as Gradescope does (with its modes)."""
    return unzip_as_gradescope(dis02_gradescope_zip, tmp_path_factory.mktemp("zip") / "source")


def setup_sh(source: Path, tmp_path: Path, python: str, timeout: int = 60) -> subprocess.CompletedProcess:
    """Run setup.sh where `python3` is the given interpreter, as on an image that has only it."""
    shim = tmp_path / "image-bin"
    shim.mkdir(exist_ok=True)
    (shim / "python3").symlink_to(python)
    env = {"PATH": f"{shim}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "GRADER_SKIP_APT": "1", "GRADER_VENV": str(tmp_path / "venv")}
    return subprocess.run(["bash", str(source / "setup.sh")], capture_output=True, text=True, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_the_zip_pins_every_dependency_for_each_python(unzipped):
    locks = sorted(p.name for p in (unzipped / "locks").iterdir())
    assert locks == [f"python{t}.txt" for t in TARGETS]
    for target in TARGETS:
        pinned = pins(unzipped / "locks" / f"python{target}.txt")
        assert {"numpy", "pydantic", "pydantic-core", "click", "nbformat", "pyyaml", "packaging"} <= set(pinned)
        assert ("tomli" in pinned) == (target == "3.10")      # grader reads TOML with tomli below 3.11
        assert "--only-binary=:all:" in (unzipped / "locks" / f"python{target}.txt").read_text()
    # the Python that built the zip gets this environment's versions, every one of them
    assert pins(unzipped / "locks" / f"python{HERE}.txt") == lock.installed_tree()


@pytest.mark.parametrize("version", ["3.6", "3.8"])
def test_setup_sh_says_plainly_that_an_old_python_is_too_old(unzipped, tmp_path, version):
    python = real_python(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine to stand for Gradescope's older images")
    done = setup_sh(unzipped, tmp_path, python)
    assert done.returncode == 1
    said = " ".join(done.stderr.split())
    assert f"grader needs Python 3.10 or newer, and this image's python3 is Python {version}." in said
    assert "choose the base image Ubuntu 22.04 (Python 3.10) or newer" in said
    assert not (tmp_path / "venv").exists()               # it stopped before doing anything


def test_setup_sh_says_which_pythons_its_locks_cover(unzipped, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(unzipped, source, symlinks=True)
    (source / "locks" / f"python{HERE}.txt").unlink()
    done = setup_sh(source, tmp_path, sys.executable)
    assert done.returncode == 1 and not (tmp_path / "venv").exists()
    said = " ".join(done.stderr.split())
    assert f"pins grader's dependencies for Python 3.10, 3.11, 3.12, 3.13, and this image has Python {HERE}" in said


@pytest.mark.slow
def test_setup_sh_on_python_3_10_installs_exactly_the_lock(unzipped, tmp_path):
    python = real_python("3.10")
    if python is None:
        pytest.skip("no Python 3.10 on this machine to stand for Gradescope's Ubuntu 22.04 image")
    # what is installed is what the lock says: one pin moved to an older release shows it
    source = tmp_path / "source"
    shutil.copytree(unzipped, source, symlinks=True)
    locked = source / "locks" / "python3.10.txt"
    pinned = pins(locked)
    assert pinned["click"] != "8.1.7"
    locked.write_text(locked.read_text().replace(f"click=={pinned['click']}", "click==8.1.7"))
    done = setup_sh(source, tmp_path, python, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    venv = tmp_path / "venv"
    listed = subprocess.run([venv / "bin" / "pip", "list", "--format=json", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True).stdout
    installed = {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(listed)}
    for tool in ("pip", "setuptools", "wheel", "sandgrade"):
        installed.pop(tool, None)
    assert installed == {**pinned, "click": "8.1.7"}

    right = subprocess.run([venv / "bin" / "grader", "check", SOLUTIONS / "correct" / "vectorized.py", "--json"],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert right.returncode == 0, right.stderr[-2000:]
    doc = json.loads(right.stdout)
    assert doc["score"] == doc["max_score"] == 16
