"""Files as students hand them in (tests/real_world/), each pinned to the parts it must fail.

Written in the styles of real public code and notebooks: Colab notebooks that import matplotlib
first and mount Drive, black-formatted cells whose continuation lines start with `%` or `!=`,
Jupyter magics everywhere (`%%time` around definitions, `%time`, `x = !ls`, `obj?`, `%%bash`), a
notebook downloaded as .py (with `get_ipython()` lines and a bare `!pip`), CS231n-style layers,
a micrograd-style autograd engine, code that uses scipy, sklearn or torch.
"""
import json
import shutil
from pathlib import Path

import pytest

from grader.sandbox import isolation as sandbox
from grader.core import spec
from grader.core.engine import grade
from grader.errors import SpecError
from tests.conftest import ROOT, failing, run_cli

CORPUS = ROOT / "tests" / "real_world"

# file: (parts it must fail, display stand-ins it must report, placeholders it must report)
PINNED = {
    "colab_black_formatted.ipynb": (set(), {"matplotlib", "google.colab", "tqdm"}, set()),
    "jupyter_magics.ipynb": (set(), {"matplotlib", "seaborn", "IPython"}, set()),
    "raises_in_helper.ipynb": (set(), set(), set()),
    "downloaded_from_colab.py": (set(), {"google.colab", "matplotlib"}, set()),
    "header_imports.py": (set(), {"matplotlib", "seaborn", "tqdm", "IPython"}, set()),
    "display_api_tour.py": (set(), {"matplotlib", "mpl_toolkits", "seaborn", "ipywidgets", "IPython", "tqdm",
                                    "pylab"}, set()),
    "cs231n_layers.py": (set(), set(), set()),
    "micrograd_style.py": (set(), set(), set()),
    "torch_optional.py": (set(), set(), {"torch"}),
    "scipy_ridge.py": ({"3a"}, set(), {"scipy", "sklearn"}),
    "sklearn_ridge.py": ({"3a"}, set(), {"sklearn"}),
}


def test_every_file_is_pinned():
    assert sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".py", ".ipynb")) == sorted(PINNED)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_graded_as_pinned(name, dis02):
    must_fail, stand_ins, placeholders = PINNED[name]
    doc = grade(CORPUS / name, dis02, 182)
    assert failing(doc) == must_fail, [c.message for p in doc.parts for c in p.checks if not c.passed and c.points]
    assert set(doc.stand_ins) == stand_ins
    assert set(doc.not_provided) == placeholders


@pytest.mark.parametrize("name, module", [("scipy_ridge.py", "scipy.linalg.cho_factor"),
                                          ("sklearn_ridge.py", "sklearn.linear_model.Ridge")])
def test_a_placeholder_says_which_function_used_what(name, module, dis02):
    message = grade(CORPUS / name, dis02, 182).part("3a").checks[0].message
    assert f"`ridge_map` uses {module}, which this problem set does not provide: use NumPy" in message


def test_a_top_level_failure_does_not_lose_the_rest_of_a_script(dis02):
    doc = grade(CORPUS / "scipy_ridge.py", dis02, 182)
    first = doc.load_messages[0]
    assert first.startswith("scipy_ridge.py, line 7: ModuleNotProvided: your code uses sklearn.datasets.make_regression")
    assert first.endswith("the rest of the file still ran")


def test_a_load_error_names_the_cell_that_was_running(dis02):
    doc = grade(CORPUS / "raises_in_helper.ipynb", dis02, 182)
    assert doc.load_messages == [
        "cell 4, line 2 (in `plot_derivative`, cell 3, line 3): IndexError: index 5 is out of bounds "
        "for axis 0 with size 2; the rest of this cell did not run, the cells after it did"]


def test_an_early_cell_calling_what_is_defined_later(dis02):
    doc = grade(CORPUS / "jupyter_magics.ipynb", dis02, 182)
    assert doc.load_messages == ["cell 3, line 1: NameError: name 'relu_net' is not defined; the rest "
                                 "of this cell did not run, the cells after it did"]


def test_the_report_says_what_was_stood_in_for():
    report = run_cli("check", CORPUS / "scipy_ridge.py")
    assert "note: scipy, sklearn: not provided by this problem set" in report.stdout
    report = run_cli("check", CORPUS / "header_imports.py")
    assert report.returncode == 0
    assert "note: matplotlib, seaborn, tqdm, IPython: imported as do-nothing stand-ins" in report.stdout


def test_exit_still_ends_a_script(grade_source):
    """exit() at the top of a script ends it (the rest is not graded), unlike a failing line."""
    doc = grade_source("import sys\ndef relu_net(x, W1, b1, W2, b2):\n    return 0.0\nsys.exit(0)\n"
                       "def dy_db2(x, W1, b1, W2, b2):\n    return 1.0\n")
    assert doc.part("1a").status == "error"
    assert "only what was defined before that line is graded" in doc.load_messages[0]


# ---- a problem set may allow real modules; nothing else becomes real ----------------------------

USES_SCIPY = """
import numpy as np
import scipy.linalg


def cube(a, t):
    return float(a * scipy.linalg.det(np.array([[t]])) ** 3)


def grads(a, t):
    return {"t": 3.0 * a * t ** 2}
"""

PROBES_REAL_MODULES = """
import importlib
import importlib.util
import numpy as np
import pandas
import matplotlib.pyplot as plt


def _real(module):
    return getattr(module, "__file__", None) is not None


def cube(a, t):
    leaks = [_real(pandas), _real(plt), importlib.util.find_spec("torch") is not None,
             _real(importlib.import_module("pandas"))]
    return float(a * t ** 3) + 1000.0 * sum(leaks)


def grads(a, t):
    return {"t": 3.0 * a * t ** 2}
"""


@pytest.fixture(scope="module")
def toy_with_scipy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy_scipy") / "toy_scipy"
    shutil.copytree(ROOT / "tests" / "toy_problem", folder)
    text = (folder / "spec.toml").read_text().replace('name = "toy"', 'name = "toy_scipy"\nmodules = ["scipy"]')
    (folder / "spec.toml").write_text(text)
    return spec.load(str(folder))


MODES = [m for m in sandbox.MODES if m != "user" or not sandbox.unavailable("user")]


@pytest.mark.parametrize("mode", MODES)
def test_an_allowed_module_is_real_inside_the_sandbox(mode, toy_with_scipy, tmp_path):
    path = tmp_path / "uses_scipy.py"
    path.write_text(USES_SCIPY)
    doc = grade(path, toy_with_scipy, 182, isolation=mode)
    assert doc.isolation == mode and failing(doc) == set() and doc.not_provided == []


@pytest.mark.parametrize("mode", MODES)
def test_a_module_not_allowed_is_a_placeholder_in_every_mode(mode, tmp_path):
    toy = spec.load(str(ROOT / "tests" / "toy_problem"))
    path = tmp_path / "uses_scipy.py"
    path.write_text(USES_SCIPY)
    doc = grade(path, toy, 182, isolation=mode)
    assert failing(doc) == {"v", "g"}   # g: its gradient is checked against differences of cube
    assert "`cube` uses scipy.linalg.det, which this problem set does not provide: use NumPy" \
        in doc.part("v").checks[0].message
    path.write_text(PROBES_REAL_MODULES)
    assert failing(grade(path, toy, 182, isolation=mode)) == set(), "a real module was importable"


def test_the_spec_says_what_it_allows(tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(ROOT / "tests" / "toy_problem", folder)
    text = (folder / "spec.toml").read_text().replace('name = "toy"', 'name = "toy"\nmodules = ["scipy.linalg"]')
    (folder / "spec.toml").write_text(text)
    with pytest.raises(SpecError, match="not a top-level module name"):
        spec.load(str(folder))


def test_json_document_lists_stand_ins():
    doc = json.loads(run_cli("check", CORPUS / "torch_optional.py", "--json").stdout)
    assert doc["not_provided"] == ["torch"] and doc["score"] == 16
