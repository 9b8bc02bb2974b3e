"""Gradescope's default image is Ubuntu 22.04, with Python 3.10: nothing newer may be used."""
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

VERMIN = str(Path(sys.executable).with_name("vermin"))   # the test extra installs it beside us


def test_grader_and_problems_need_nothing_newer_than_python_310():
    done = subprocess.run([VERMIN, "--target=3.10-", "--violations", "--no-tips",
                           "--eval-annotations", "grader", "problems"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Target versions not met" not in done.stdout
