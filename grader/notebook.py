"""Notebook cells to plain Python, read with nbformat (JSON only: nothing in the file runs here).

IPython syntax is removed, not run: line magics (`%matplotlib`), shell escapes (`!pip`),
`x = !ls`, help lines (`np.sum?`), and cell magics (`%%time` keeps its body; any other
`%%magic` cell, such as `%%bash`, is dropped). A removed line becomes `pass` with the same
indent, so the blocks around it stay valid and line numbers stay true.
"""
from __future__ import annotations

import re

# Otter skips cells tagged so when it grades (its own setup and check calls); so does grader
SKIP_TAG = "otter_ignore"
KEEP_BODY_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
_MAGIC = re.compile(r"^(\s*)(%|!)")
_ASSIGNED = re.compile(r"^(\s*)([\w.,\s]+?)\s*=\s*[%!]")
_HELP = re.compile(r"^(\s*)(\?\??[\w.]+|[\w.]+\?\??)\s*$")


class NotebookError(Exception):
    pass


def strip_ipython(source: str) -> str | None:
    """Plain Python for one cell, or None when the whole cell is another language."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split()[0] if lines[0].strip() != "%%" else ""
        if magic not in KEEP_BODY_CELL_MAGICS:
            return None
        lines[0] = "pass"
    out = []
    for line in lines:
        if (m := _ASSIGNED.match(line)):
            line = f"{m.group(1)}{m.group(2)} = None"
        elif (m := _MAGIC.match(line) or _HELP.match(line)):
            line = f"{m.group(1)}pass"
        out.append(line)
    return "\n".join(out)


def code_units(text: str) -> list[dict]:
    """[{"name": "cell N", "source": ...}] for the code cells, numbered from 1 as Jupyter shows."""
    import nbformat   # here: its import (jsonschema) costs more than grading a .py file
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as err:  # nbformat raises JSON, validation and version errors of many kinds
        raise NotebookError(f"not a valid Jupyter notebook ({type(err).__name__}: {str(err)[:200]})") from None
    units = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code" or SKIP_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        source = strip_ipython(cell.get("source", ""))
        if source is not None:
            units.append({"name": f"cell {number}", "source": source})
    return units
