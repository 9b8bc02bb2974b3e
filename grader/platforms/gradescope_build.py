"""The Gradescope autograder zip: setup.sh, run_autograder, grader as a wheel, and its config.

setup.sh checks the image's Python first, makes a plain virtual environment and pip-installs the
wheel with the dependency versions pinned when the zip was built (grader.platforms.lock; from the package
registry): no conda, which is what makes Otter's Gradescope builds take tens of minutes.
"""
from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from grader import DISTRIBUTION
from grader.platforms import lock
from grader.platforms import packaging
from grader.platforms.gradescope import CONFIG_NAME, Config
from grader.errors import PackagingError

VENV = "/opt/grader"
NEEDS = (3, 10)      # the oldest Python grader runs on (pyproject's requires-python)
LOCKS = "locks"      # the zip's folder of pinned dependency versions, one file per Python
RUN_SECONDS = 300    # then grader is killed and the fallback writes results: far past a submission's
                     # own budget, and before Gradescope's default limit (10 minutes) ends it all

SETUP = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${{GRADER_VENV:-{VENV}}}"
python="${{GRADER_PYTHON:-python3}}"
use_apt() {{ [ "${{GRADER_SKIP_APT:-0}}" != 1 ] && command -v apt-get >/dev/null; }}

# First the Python: grader needs {NEEDS[0]}.{NEEDS[1]} or newer.
if ! command -v "$python" >/dev/null && use_apt; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3
fi
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < {NEEDS})' 2>/dev/null; then
    echo "setup.sh: grader needs Python {NEEDS[0]}.{NEEDS[1]} or newer, and this image's $python is" \\
         "$([ "$version" = none ] && echo missing || echo "Python $version")." >&2
    echo "setup.sh: in the autograder's settings, choose the base image Ubuntu 22.04 (Python 3.10) or" \\
         "newer; Ubuntu 18.04 and 20.04 have Python 3.6 and 3.8, too old for grader." >&2
    exit 1
fi
# The versions pinned when the zip was built, for this Python.
lock="$here/{LOCKS}/python$version.txt"
if [ ! -f "$lock" ]; then
    echo "setup.sh: this autograder pins grader's dependencies for Python {", ".join(lock.TARGETS)}," \\
         "and this image has Python $version: choose an image with one of those." >&2
    exit 1
fi

if use_apt; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip
    # the sandbox; where the image forbids namespaces, grader runs students as an unprivileged user
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap || echo "no bubblewrap here"
fi
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$lock" "$here"/{DISTRIBUTION}-*.whl
"$venv/bin/pip" check --disable-pip-version-check    # every dependency there, at a version grader takes
"$venv/bin/grader" --version
"""

# Fixed sentences only go into the fallback's JSON (no quoting needed), with numbers.
RUN = f"""#!/usr/bin/env bash
# Gradescope runs this as root for each submission; grader writes results/results.json itself.
# When grader cannot (not installed, killed, stopped before writing), the plain shell below
# writes a valid one that says so and scores 0. This script always exits 0.
root="${{GRADER_ROOT:-/autograder}}"
venv="${{GRADER_VENV:-{VENV}}}"
results="$root/results/results.json"
mkdir -p "$root/results"
rm -f "$results"     # only a file grader writes in this run counts
status=127
if [ -x "$venv/bin/grader" ]; then
    limit=()
    if command -v timeout >/dev/null; then limit=(timeout -s KILL "${{GRADER_TIMEOUT:-{RUN_SECONDS}}}"); fi
    status=0
    "${{limit[@]}}" "$venv/bin/grader" gradescope run --root "$root" || status=$?
fi
# 0: graded; 1: grader wrote results that say what went wrong (and printed it above)
if {{ [ "$status" = 0 ] || [ "$status" = 1 ]; }} && [ -s "$results" ]; then
    exit 0
fi
case "$status" in
    127) why="the grader is not installed in this autograder (did setup.sh fail?)" ;;
    137) why="the grader was killed (signal 9), most likely for using more memory or time than the autograder allows" ;;
    *) if [ "$status" -gt 128 ]; then why="the grader was killed by signal $((status - 128))"
       else why="the grader stopped (exit status $status) before writing its results"; fi ;;
esac
text="Your submission could not be graded: $why. This is a fault of the autograder, not a verdict on your code: it scores 0 until it is regraded. Please tell the course staff."
echo "run_autograder: $why" >&2
tmp="$(mktemp "$root/results/.results-XXXXXX")"
printf '{{"score": 0, "execution_time": 0, "output": "%s", "tests": [], "extra_data": {{"grader_exit_status": %d}}}}\\n' "$text" "$status" > "$tmp"
mv -f "$tmp" "$results"
exit 0
"""

README = """Upload this zip as a Gradescope "Autograder" (base image: Ubuntu 22.04 or newer, Python 3.10+).
setup.sh installs grader into {venv} with the dependency versions in locks/ (pinned when this zip
was built, one file per Python); run_autograder grades /autograder/submission.
One test per auto-graded part; parts graded by hand are not tests: grade them on Gradescope.
"""


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build(zip_path: Path, problem, config: Config) -> Path:
    """Write the autograder zip for a loaded problem (from any folder: the wheel holds it as
    problems/<its name>, which the config names); returns the zip's path."""
    if problem.kit:
        raise PackagingError(f"{problem.folder} is a student kit's problem: it has no reference to grade "
                             "with; build the autograder from the problem's own folder")
    config = config.model_copy(update={"problem": packaging.installed_name(problem)})
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as tmp:
        wheel = packaging.wheel(Path(tmp), [problem])
        locks = lock.write_all(wheel, Path(tmp) / LOCKS)
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w") as archive:
            for path in locks:
                _add(archive, f"{LOCKS}/{path.name}", path.read_bytes())
            _add(archive, "setup.sh", SETUP.encode(), executable=True)
            _add(archive, "run_autograder", RUN.encode(), executable=True)
            _add(archive, CONFIG_NAME, config.model_dump_json(indent=2).encode())
            _add(archive, "README.txt", README.format(venv=VENV).encode())
            _add(archive, wheel.name, wheel.read_bytes())
    return zip_path
