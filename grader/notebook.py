"""Notebook cells to plain Python, read with nbformat (JSON only: nothing in the file runs here).

Each code cell becomes one unit the child runs, named "cell N" as Jupyter numbers cells. IPython
syntax is rewritten by IPython's own rules (grader/ipython_syntax.py), line for line, so a
message's line numbers are the cell's own; a cell in another language (`%%bash`) is left out.
"""
from __future__ import annotations

from grader.ipython_syntax import to_python

# Otter skips cells tagged so when it grades (its own setup and check calls); so does grader
SKIP_TAG = "otter_ignore"


class NotebookError(Exception):
    pass


def strip_ipython(source: str) -> str | None:
    """Plain Python for one cell (as many lines), or None when the cell is another language."""
    python = to_python(source)
    return None if python is None else python.rstrip("\n")


def code_units(text: str) -> list[dict]:
    """[{"name": "cell N", "source": ..., "cell": True}] for the code cells, numbered from 1."""
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
            units.append({"name": f"cell {number}", "source": source, "cell": True})
    return units
