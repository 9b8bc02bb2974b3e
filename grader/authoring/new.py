"""`grader new FOLDER`: a working problem set to start from, named after its folder: spec.toml
with every key commented, reference.py, cases.py, mistakes.py, template.py, kit.toml and
examples/correct.py and examples/wrong.py. `grader lint FOLDER` passes it as written.

The files are kept as .tmpl text (grader/authoring/starter/), not as Python modules of the
package: a student kit's wheel holds grader/ but only its .py, .toml and .json files, so the
starter's reference lines are never in a kit to trip its leak scan when an author keeps them."""
from __future__ import annotations

import re
from pathlib import Path

from grader.errors import GraderError, UsageError

STARTER = Path(__file__).parent / "starter"
SUFFIX = ".tmpl"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def create(folder: Path) -> list[Path]:
    """Write the starter problem set into folder (new, or empty); returns the files written."""
    name = folder.resolve().name
    if not NAME.fullmatch(name):
        raise UsageError(f"{name!r} cannot name a problem set: use letters, digits, '_', '.' and '-'")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder} already exists and is not an empty folder: grader new writes a fresh one")
    templates = sorted(STARTER.rglob(f"*{SUFFIX}"))
    if not templates:
        raise GraderError(f"the starter files are missing from this installation ({STARTER})")
    written = []
    for template in templates:
        target = folder / template.relative_to(STARTER).with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template.read_text().replace("__NAME__", name))
        written.append(target)
    (folder / "__init__.py").write_text("")     # a package, like the problem sets under problems/
    return written
