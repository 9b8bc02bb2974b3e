"""The package as PyPI would get it: `python -m build` makes an sdist and a wheel named
`sandgrade`, and the wheel, installed into a fresh virtual environment, gives a working `grader`."""
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

import grader
from tests.conftest import ROOT, SOLUTIONS

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

VERSION = grader.__version__
# what the package must carry to grade anything: the engine, the command, the problem set
NEEDED = ["grader/cli.py", "grader/core/engine.py", "grader/sandbox/child.py", "problems/dis02/spec.toml",
          "problems/dis02/reference.py", "problems/dis02/cases.py", "problems/dis02/mistakes.py"]


def test_the_distribution_is_named_sandgrade_everywhere():
    """`grader` on PyPI is an unrelated project: no install line may name it."""
    assert grader.DISTRIBUTION == "sandgrade"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'name = "sandgrade"' in pyproject and 'grader = "grader.cli:main"' in pyproject
    from grader.platforms import gradescope_build
    from grader.platforms import packaging
    assert 'name = "sandgrade"' in packaging.pyproject(["numpy"])
    assert "sandgrade-*.whl" in gradescope_build.SETUP and "grader-*.whl" not in gradescope_build.SETUP
    for path in [ROOT / "README.md", *sorted((ROOT / "grader").rglob("*.py"))]:
        source = path.read_text()
        assert "pip install grader" not in source and "pip install 'grader[" not in source, path


@pytest.fixture(scope="module")
def built():
    """sdist and wheel from a copy of the project (the build writes egg-info into its source)."""
    base = Path(tempfile.mkdtemp(prefix="grader-build-"))
    try:
        source = base / "src"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "out"))
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(base / "dist"), str(source)],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        print(f"python -m build took {time.monotonic() - started:.1f} s")
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_build_makes_an_sdist_and_a_wheel_named_sandgrade(built):
    made = sorted(p.name for p in (built / "dist").iterdir())
    assert made == [f"sandgrade-{VERSION}-py3-none-any.whl", f"sandgrade-{VERSION}.tar.gz"]
    with zipfile.ZipFile(built / "dist" / made[0]) as wheel:
        names = wheel.namelist()
        meta = wheel.read(f"sandgrade-{VERSION}.dist-info/METADATA").decode()
        entry_points = wheel.read(f"sandgrade-{VERSION}.dist-info/entry_points.txt").decode()
    assert set(NEEDED) <= set(names)
    assert "Name: sandgrade\n" in meta and "Requires-Python: >=3.10" in meta
    assert "grader = grader.cli:main" in entry_points
    with tarfile.open(built / "dist" / made[1]) as sdist:
        members = sdist.getnames()
    # the wheel was built from this sdist (build's default), so the sdist is complete; check anyway
    assert {f"sandgrade-{VERSION}/{n}" for n in NEEDED + ["pyproject.toml", "README.md"]} <= set(members)


@pytest.mark.slow
def test_the_wheel_installs_in_a_fresh_venv_and_grades(built):
    """pip may take the dependencies from its cache or the package registry."""
    env_dir = built / "env"
    subprocess.run([sys.executable, "-m", "venv", env_dir], check=True, capture_output=True)
    wheel = built / "dist" / f"sandgrade-{VERSION}-py3-none-any.whl"
    started = time.monotonic()
    install = subprocess.run([env_dir / "bin" / "pip", "install", "--quiet", wheel], capture_output=True,
                             text=True, stdin=subprocess.DEVNULL, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    print(f"the wheel installed in {time.monotonic() - started:.1f} s")

    work = built / "work"      # outside the checkout, so nothing is imported from it
    work.mkdir()
    right = work / "right.py"
    shutil.copy(SOLUTIONS / "correct" / "vectorized.py", right)
    wrong = work / "wrong.py"
    mutant = next(m for m in MUTANTS if m.name == "db2-zero")
    wrong.write_text(apply((SOLUTIONS / "correct" / "vectorized.py").read_text(), mutant))
    env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(work), "NO_COLOR": "1", "LANG": "C.UTF-8"}

    def run(*args):
        return subprocess.run([env_dir / "bin" / "grader", *map(str, args)], capture_output=True, text=True,
                              env=env, cwd=work, timeout=300, stdin=subprocess.DEVNULL)

    where = subprocess.run([env_dir / "bin" / "python", "-c", "import grader; print(grader.__file__)"],
                           capture_output=True, text=True, env=env, cwd=work, check=True).stdout
    assert where.startswith(str(env_dir)), where
    version = run("--version")
    assert version.returncode == 0 and VERSION in version.stdout, version.stderr
    passed = run("check", right, "--json")
    assert passed.returncode == 0, passed.stderr[-2000:]
    doc = json.loads(passed.stdout)
    assert doc["score"] == doc["max_score"] == 16 and doc["grader_version"] == VERSION
    failed = run("check", wrong, "--json")
    assert failed.returncode == 1, failed.stderr[-2000:]
    assert {p["id"] for p in json.loads(failed.stdout)["parts"] if p["status"] == "failed"} == set(mutant.fails)
