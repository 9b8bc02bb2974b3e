"""Notebook cells to plain Python: IPython syntax removed, never run."""
import json
import subprocess
import sys

import nbformat
import pytest

from grader.submissions import notebook as notebook_module
from grader.submissions.notebook import NotebookError, code_units, strip_ipython
from tests.conftest import ROOT


@pytest.mark.parametrize("line, becomes", [
    ("%matplotlib inline", "pass"),
    ("!pip install numpy", "pass"),
    ("    !ls", "pass"),                    # IPython first removes a cell's common indent
    ("for f in x:\n    !ls", "for f in x:\n    pass"),
    ("files = !ls", "files = []"),
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
    assert strip_ipython("%%time\nx = 1") == "\nx = 1"
    assert strip_ipython("%%bash\nrm -rf /") is None
    assert strip_ipython("%%capture out\ny = 2") == "\ny = 2"
    assert strip_ipython("%%timeit\ny = 2") is None     # timeit's body runs in a function of its own


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title")] + [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


def test_code_cells_numbered_as_jupyter_shows():
    units = code_units(_notebook("a = 1", "%%bash\necho hi", "b = 2"))
    assert units == [{"name": "cell 2", "source": "a = 1", "cell": True},
                     {"name": "cell 4", "source": "b = 2", "cell": True}]


@pytest.mark.parametrize("text", ["{ not json", json.dumps({"cells": 3}), json.dumps([1, 2])])
def test_invalid_notebooks_are_explained(text):
    with pytest.raises(NotebookError, match="not a valid Jupyter notebook"):
        code_units(text)


def test_a_raising_cell_does_not_stop_later_cells(grade_source):
    source = _notebook("x = 1 / 0\ny = 2",
                       "def relu_net(x, W1, b1, W2, b2):\n    return 0.0")
    doc = grade_source(source, suffix=".ipynb")
    assert len(doc.load_messages) == 1 and "cell 2, line 1" in doc.load_messages[0]
    assert "ZeroDivisionError" in doc.load_messages[0] and "the cells after it did" in doc.load_messages[0]
    assert "no function named" not in doc.part("1y").checks[0].message


def _code_notebook(cells: int, lines: int) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"x{i} = {i}\n" * lines) for i in range(cells)]
    return nbformat.writes(nb)


def test_reading_a_huge_notebook_is_bounded():
    """The judge reads a notebook before any budget of the student's runs: refuse early."""
    with pytest.raises(NotebookError, match="MiB of code, more than 2 MiB"):
        code_units(_code_notebook(4000, 200))
    with pytest.raises(NotebookError, match="cells, more than 5000"):
        code_units(_code_notebook(6000, 1))


def test_outputs_and_pasted_images_cost_nothing():
    nb = nbformat.v4.new_notebook()
    image = "A" * (8 << 20)
    code = nbformat.v4.new_code_cell("y = 1")
    code.outputs = [nbformat.v4.new_output("display_data", data={"image/png": image})]
    nb.cells = [nbformat.v4.new_markdown_cell(f"![x](data:image/png;base64,{image})"), code]
    assert code_units(nbformat.writes(nb)) == [{"name": "cell 2", "source": "y = 1", "cell": True}]


def test_ipython_syntax_that_takes_too_long_to_read_is_refused():
    cell = "def f():\n" + "\n".join("    %time x = 1" if i % 40 == 0 else f"    x{i} = {i}" for i in range(4000))
    with pytest.raises(NotebookError, match="takes too long to read"):
        code_units(_notebook(cell))


# ---- version 4 notebooks are read as JSON; nbformat reads the rest ------------------------------

NOTEBOOKS = sorted([*ROOT.glob("tests/**/*.ipynb"), *ROOT.glob("submissions_example/*.ipynb")])


def _through_nbformat(monkeypatch):
    monkeypatch.setattr(notebook_module, "_plain_version_4", lambda raw: False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_version_4_notebook_gives_the_units_nbformat_gives(path, monkeypatch):
    text = path.read_text()
    assert notebook_module._plain_version_4(json.loads(text))
    as_json = code_units(text)
    _through_nbformat(monkeypatch)
    assert code_units(text) == as_json and as_json


def test_line_lists_tags_and_a_minor_version_read_as_nbformat_reads_them(monkeypatch):
    """Jupyter saves a source as a list of lines; Colab adds fields of its own; Otter's setup
    cells are tagged otter_ignore."""
    text = json.dumps({
        "nbformat": 4, "nbformat_minor": 2, "metadata": {"colab": {"provenance": []}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Homework\n", "![](data:image/png;base64,AAAA)"]},
            {"cell_type": "code", "execution_count": 3, "metadata": {"id": "x1"}, "outputs": [],
             "source": ["import numpy as np\n", "%matplotlib inline\n", "def relu(x):\n", "    return np.maximum(x, 0)"]},
            {"cell_type": "code", "execution_count": None, "metadata": {"tags": ["otter_ignore"]}, "outputs": [],
             "source": "import otter\ngrader = otter.Notebook()"},
            {"cell_type": "raw", "metadata": {}, "source": "raw text"},
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": []},
        ]})
    as_json = code_units(text)
    assert as_json[0] == {"name": "cell 2", "source": "import numpy as np\npass\ndef relu(x):\n    return np.maximum(x, 0)",
                          "cell": True}
    assert [u["name"] for u in as_json] == ["cell 2", "cell 5"]
    _through_nbformat(monkeypatch)
    assert code_units(text) == as_json


def test_an_old_notebook_is_converted_by_nbformat():
    old = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[
        nbformat.v3.new_code_cell(input="x = 1"), nbformat.v3.new_text_cell("markdown", source="# hi"),
        nbformat.v3.new_code_cell(input="y = 2")])])
    text = nbformat.writes(old, version=3)
    assert not notebook_module._plain_version_4(json.loads(text))
    assert code_units(text) == [{"name": "cell 1", "source": "x = 1", "cell": True},
                                {"name": "cell 3", "source": "y = 2", "cell": True}]


@pytest.mark.parametrize("cells", [
    [{"cell_type": "code", "source": 7}],
    [{"cell_type": "code", "source": ["a", 7]}],
    [{"cell_type": "code", "source": "x", "metadata": {"tags": "otter_ignore"}}],
    ["not a cell"],
])
def test_a_notebook_of_odd_shapes_goes_to_nbformat(cells):
    assert not notebook_module._plain_version_4({"nbformat": 4, "cells": cells})


def test_a_version_4_notebook_is_read_without_importing_nbformat():
    """nbformat's import (jsonschema with it) costs about as much as grading a .py file."""
    code = ("import sys; from pathlib import Path; from grader.submissions.files import units; "
            "units(Path('submissions_example/bob_correct_notebook.ipynb')); print('nbformat' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
