"""The Gradescope autograder zip: setup.sh, run_autograder, grader as a wheel, and its config.

setup.sh makes a plain virtual environment and pip-installs the wheel (dependencies from the
package registry): no conda, which is what makes Otter's Gradescope builds take tens of minutes.
"""
from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from grader import packaging
from grader.gradescope import CONFIG_NAME, Config

VENV = "/opt/grader"

SETUP = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${{GRADER_VENV:-{VENV}}}"
if [ "${{GRADER_SKIP_APT:-0}}" != 1 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip
    # the sandbox; where the image forbids namespaces, grader runs students as an unprivileged user
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap || echo "no bubblewrap here"
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$here"/grader-*.whl
"$venv/bin/grader" --version
"""

RUN = f"""#!/usr/bin/env bash
# Gradescope runs this as root for each submission; grader writes results/results.json itself.
exec "${{GRADER_VENV:-{VENV}}}/bin/grader" gradescope run --root "${{GRADER_ROOT:-/autograder}}"
"""

README = """Upload this zip as a Gradescope "Autograder" (base image: Ubuntu, any version with Python 3.10+).
setup.sh installs grader into {venv}; run_autograder grades /autograder/submission.
One test per auto-graded part; parts graded by hand are not tests: grade them on Gradescope.
"""


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build(zip_path: Path, config: Config) -> Path:
    """Write the autograder zip; returns its path."""
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as tmp:
        wheel = packaging.wheel(Path(tmp), [config.problem])
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w") as archive:
            _add(archive, "setup.sh", SETUP.encode(), executable=True)
            _add(archive, "run_autograder", RUN.encode(), executable=True)
            _add(archive, CONFIG_NAME, config.model_dump_json(indent=2).encode())
            _add(archive, "README.txt", README.format(venv=VENV).encode())
            _add(archive, wheel.name, wheel.read_bytes())
    return zip_path
