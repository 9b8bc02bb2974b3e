"""What the q<part>.py test files call inside the student's Jupyter kernel.

The student's code is graded from the cells the kernel ran (IPython's `In`), in grader's
sandbox, not through the live objects: a kernel can be patched by the code it runs. This is
the student's own check; the score that counts comes from plugin.py, outside the kernel.
"""
from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

from grader.cases import DEFAULT_SEED
from grader.spec import DEFAULT_PROBLEM

# lines that only make sense in Otter's kernel: Otter itself and its check calls
_OTTER_LINE = re.compile(r"^\s*(import otter\b|from otter\b|\w+\s*=\s*otter\.Notebook\(|\w+\.(check|check_all|export)\()")
_graded: dict[tuple[str, str], object] = {}


def _source(env: dict) -> str:
    cells = env.get("In")
    if not isinstance(cells, list):
        raise AssertionError("grader's Otter checks run in a Jupyter kernel (they read the cells it ran)")
    kept = []
    for cell in cells[:-1]:   # the last is the cell running this check
        lines = ["pass" if _OTTER_LINE.match(line) else line for line in str(cell).splitlines()]
        kept.append("\n".join(lines))
    return "\n\n".join(kept)


def graded(env: dict, problem: str, seed: int):
    from grader import spec
    from grader.engine import grade
    source = _source(env)
    key = (hashlib.sha256(source.encode()).hexdigest(), f"{problem}:{seed}")
    if key not in _graded:
        with tempfile.TemporaryDirectory(prefix="grader-otter-") as tmp:
            path = Path(tmp) / "notebook_cells.py"
            path.write_text(source)
            _graded[key] = grade(path, spec.load(problem), seed, submission_id="this notebook")
    return _graded[key]


def check_part(part_id: str, env: dict, problem: str = DEFAULT_PROBLEM, seed: int = DEFAULT_SEED) -> None:
    """Raise AssertionError with grader's feedback unless the part passed."""
    part = graded(env, problem, seed).part(part_id)
    if part.status == "passed":
        return
    from grader.render import plain_details
    raise AssertionError(f"part {part_id}: {part.score or 0:g} / {part.max_score:g}\n"
                         + plain_details(part, verbose=False))
