"""Notebook cells to plain Python: IPython syntax removed, never run."""
import json

import nbformat
import pytest

from grader.notebook import NotebookError, code_units, strip_ipython


@pytest.mark.parametrize("line, becomes", [
    ("%matplotlib inline", "pass"),
    ("!pip install numpy", "pass"),
    ("    !ls", "    pass"),
    ("files = !ls", "files = None"),
    ("t = %timeit -o f()", "t = None"),
    ("np.sum?", "pass"),
    ("??np.sum", "pass"),
    ("x = a % b", "x = a % b"),
    ("if a != b: pass", "if a != b: pass"),
    ("s = '!not a shell'", "s = '!not a shell'"),
])
def test_line_magics(line, becomes):
    assert strip_ipython(line) == becomes


def test_cell_magics():
    assert strip_ipython("%%time\nx = 1") == "pass\nx = 1"
    assert strip_ipython("%%bash\nrm -rf /") is None
    assert strip_ipython("%%capture out\ny = 2") == "pass\ny = 2"


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title")] + [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


def test_code_cells_numbered_as_jupyter_shows():
    units = code_units(_notebook("a = 1", "%%bash\necho hi", "b = 2"))
    assert units == [{"name": "cell 2", "source": "a = 1"}, {"name": "cell 4", "source": "b = 2"}]


@pytest.mark.parametrize("text", ["{ not json", json.dumps({"cells": 3}), json.dumps([1, 2])])
def test_invalid_notebooks_are_explained(text):
    with pytest.raises(NotebookError, match="not a valid Jupyter notebook"):
        code_units(text)


def test_a_raising_cell_does_not_stop_later_cells(grade_source):
    source = _notebook("from google.colab import files",
                       "def relu_net(x, W1, b1, W2, b2):\n    return 0.0")
    doc = grade_source(source, suffix=".ipynb")
    assert doc.load_messages and "cell 2" in doc.load_messages[0] and "still ran" in doc.load_messages[0]
    assert "no function named" not in doc.part("1y").checks[0].message
