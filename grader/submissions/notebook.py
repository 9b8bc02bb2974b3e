"""Notebook cells to plain Python, read as JSON (nothing in the file runs here).

Each code cell becomes one unit the child runs, named "cell N" as Jupyter numbers cells. IPython
syntax is rewritten by IPython's own rules (grader/ipython_syntax.py), line for line, so a
message's line numbers are the cell's own; a cell in another language (`%%bash`) is left out.
"""
from __future__ import annotations

import json

from grader.submissions.ipython_syntax import Budget, TooMuchToRead, to_python

# Otter skips cells tagged so when it grades (its own setup and check calls); so does grader
SKIP_TAG = "otter_ignore"
MAX_CELLS = 5000             # a long real notebook has a few hundred
MAX_SOURCE_CHARS = 2 << 20   # and some tens of kilobytes of source


class NotebookError(Exception):
    pass


def strip_ipython(source: str, budget: Budget | None = None) -> str | None:
    """Plain Python for one cell (as many lines), or None when the cell is another language."""
    python = to_python(source, budget)
    return None if python is None else python.rstrip("\n")


def code_units(text: str) -> list[dict]:
    """[{"name": "cell N", "source": ..., "cell": True}] for the code cells, numbered from 1."""
    units, budget = [], Budget()
    for number, cell in enumerate(_cells(text), start=1):
        if cell.get("cell_type") != "code" or SKIP_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        try:
            source = strip_ipython(cell.get("source", ""), budget)
        except TooMuchToRead as err:
            raise NotebookError(f"the notebook cannot be graded: {err} (cell {number})") from None
        if source is not None:
            units.append({"name": f"cell {number}", "source": source, "cell": True})
    return units


def _cells(text: str) -> list[dict]:
    """The notebook's cells, each source one string. Outputs (images, long logs) are dropped
    first: they are most of a notebook's bytes, and grading never looks at them. A version 4
    notebook whose cells have the shapes grading reads is read as it stands; any other (an older
    version, an odd shape) goes through nbformat, which converts what it can and says why not."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise NotebookError(f"not a valid Jupyter notebook (not JSON: {str(err)[:200]})") from None
    cells = raw.get("cells") if isinstance(raw, dict) else None
    if isinstance(cells, list):
        if len(cells) > MAX_CELLS:
            raise NotebookError(f"the notebook has {len(cells)} cells, more than {MAX_CELLS}")
        size = 0
        for cell in cells:
            if isinstance(cell, dict):
                if "outputs" in cell:
                    cell["outputs"] = []
                cell.pop("attachments", None)
                if cell.get("cell_type") != "code":   # markdown can hold pasted images
                    cell["source"] = ""
                source = cell.get("source")
                size += len(source) if isinstance(source, str) else \
                    sum(len(s) for s in source if isinstance(s, str)) if isinstance(source, list) else 0
        if size > MAX_SOURCE_CHARS:
            raise NotebookError(f"the notebook holds {size >> 20} MiB of code, more than "
                                f"{MAX_SOURCE_CHARS >> 20} MiB")
    if _plain_version_4(raw):
        return [{**cell, "source": _joined(cell.get("source", ""))} for cell in raw["cells"]]
    # nbformat's import (jsonschema with it) costs more than grading a .py file: only when needed
    import nbformat
    try:
        return nbformat.reads(json.dumps(raw), as_version=4).cells
    except Exception as err:  # nbformat raises version and conversion errors of many kinds
        raise NotebookError(f"not a valid Jupyter notebook ({type(err).__name__}: {str(err)[:200]})") from None


def _joined(source) -> str:
    """A cell's source as nbformat gives it: a list of lines joined into one string."""
    return source if isinstance(source, str) else "".join(source)


def _plain_version_4(raw) -> bool:
    """A version 4 notebook whose cells are what grading reads: a cell type, a source (a string
    or a list of strings), metadata and tags of the right kinds. nbformat would give the same
    cells (its schema check only logs; a 4.x minor version needs no conversion)."""
    if not (isinstance(raw, dict) and raw.get("nbformat") == 4 and isinstance(raw.get("cells"), list)):
        return False
    for cell in raw["cells"]:
        if not (isinstance(cell, dict) and isinstance(cell.get("cell_type"), str)):
            return False
        source, metadata = cell.get("source", ""), cell.get("metadata", {})
        if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))):
            return False
        if not isinstance(metadata, dict) or not isinstance(metadata.get("tags", []), list):
            return False
    return True
