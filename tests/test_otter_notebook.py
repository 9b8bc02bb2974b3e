"""The student notebook of `grader otter build`, run by Jupyter (nbclient) as a student runs it,
with the cells real notebooks have (magics, a matplotlib import and plot, a Colab cell, a cell
that raised): every `grader.check` cell, in the instructor's environment and in a student's (the
kit plus otter-grader), and `otter check`. Then the in-notebook check's parts without a kernel."""
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.core import spec
from grader.platforms.otter import build, checks
from tests.conftest import AUTO_PARTS, ROOT, SOLUTIONS, venv_with_wheel

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

CORRECT = (SOLUTIONS / "correct" / "vectorized.py").read_text()
PASSED = "public checks passed; hidden checks run when you submit"
# (mutant, the question it fails, the words of grader's message for it)
WRONG = [("db1-no-mask", "q1c", "dy/db1 is missing the ReLU mask"),
         ("ridge-lam-squared", "q3a", "w_hat uses lam squared"),
         ("logp-no-prior", "q3b", "log p(w | y) is the log-likelihood alone")]
SETUP = "%matplotlib inline\n%precision 4\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
COLAB = "from google.colab import drive\ndrive.mount('/content/drive')"
RAISES = "np.linalg.inv(np.zeros((2, 2)))   # raised in the kernel; the student went on"
PLOT = ("xs = np.linspace(-2, 2, 9)\n"
        "plt.plot(xs, [relu_net(x, np.ones((2, 1)), np.zeros((2, 1)), np.ones((1, 2)), 0.0) for x in xs])\n"
        "plt.show()")
WHERE = "import sys, grader\nprint(sys.executable)\nprint(getattr(grader, '__file__', None))"
# nbclient, run by the environment's own Python (so the kernel is that environment's). The kernel
# talks over IPC files in a folder of its own, not TCP ports: kernels started at once (here, and
# in another test run on the machine) could otherwise be handed the same free port.
EXECUTE = """
import shutil, sys, tempfile, nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
sockets = tempfile.mkdtemp(prefix="k")   # short: a socket's path must fit in 107 bytes
try:
    manager = KernelManager(kernel_name="python3", transport="ipc", ip=sockets + "/kernel")
    NotebookClient(notebook, km=manager, timeout=180, allow_errors=True,
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
finally:
    shutil.rmtree(sockets, ignore_errors=True)
nbformat.write(notebook, sys.argv[1])
"""


def functions(source: str) -> tuple[str, dict[str, str]]:
    """(the solution's imports and helpers, {function name: its code})."""
    tree, lines = ast.parse(source), source.splitlines()
    code = {n.name: "\n".join(lines[n.lineno - 1:n.end_lineno]) for n in tree.body
            if isinstance(n, ast.FunctionDef)}
    return "\n\n".join(code.pop(n) for n in list(code) if n.startswith("_")), code


def student_notebook(source: str):
    """The built notebook with each part's cell filled in from source, in the built order (3a is
    checked before 3b's cell defines log_posterior), messy cells added, and 1d's check made in the
    cell defining dy_dW1 (with a statement after it)."""
    notebook = build.student_notebook(spec.load("dis02"))
    helpers, code = functions(source)
    cells = []
    for cell in notebook.cells:
        names = [n for n in code if f"def {n}(" in cell.source] if cell.cell_type == "code" else []
        if cell.cell_type == "code" and cell.source.startswith("import numpy"):
            cells += [nbformat.v4.new_code_cell(SETUP + helpers), nbformat.v4.new_code_cell(COLAB),
                      nbformat.v4.new_code_cell(RAISES)]
            continue
        if cell.source == 'grader.check("q1d")':
            cells[-1].source += '\nresult = grader.check("q1d")\nprint(result)'
            continue
        if names:
            cell.source = "\n\n\n".join(code[n] for n in names)
        cells.append(cell)
        if "relu_net" in names:
            cells.append(nbformat.v4.new_code_cell(PLOT))
    notebook.cells = [nbformat.v4.new_code_cell(WHERE)] + cells
    return notebook


def wrong_source() -> str:
    source = CORRECT
    for name, _, _ in WRONG:
        source = apply(source, next(m for m in MUTANTS if m.name == name))
    return source


def run_in_kernels(python: Path, notebooks: dict, folder: Path) -> dict:
    """Execute each notebook in its own folder (beside the built tests/) with python's Jupyter
    kernel, all at once (they wait on their kernels more than they compute)."""
    running = {}
    for name, notebook in notebooks.items():
        work = folder / name
        build.test_files(spec.load("dis02"), work / "tests")
        nbformat.write(notebook, work / "notebook.ipynb")
        running[name] = subprocess.Popen([str(python), "-c", EXECUTE, str(work / "notebook.ipynb"), str(work)],
                                         cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL, text=True)
    ran = {}
    for name, process in running.items():
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
        ran[name] = nbformat.read(folder / name / "notebook.ipynb", as_version=4)
    return ran


def text_of(cell) -> str:
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def shown(notebook) -> dict[str, str]:
    """What each grader.check call showed, by question."""
    found = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and "grader.check(" in cell.source:
            found[cell.source.split('grader.check("')[1].split('"')[0]] = text_of(cell)
    return found


def errors(notebook) -> dict[str, str]:
    return {cell.source: o["ename"] for cell in notebook.cells if cell.cell_type == "code"
            for o in cell.outputs if o.get("output_type") == "error"}


def assert_correct_notebook_passes(notebook):
    said = shown(notebook)
    assert set(said) == {f"q{p}" for p in AUTO_PARTS}
    for question, text in said.items():
        assert text.startswith(f"{question}: {PASSED}"), (question, text)
        assert "All test cases passed" not in text
    assert "run the cell that defines log_posterior, then check again" in said["q3a"]
    assert "log_posterior" not in said["q3b"]
    # the messy cells really ran in the kernel, and raised where they raise
    assert errors(notebook) == {COLAB: "ModuleNotFoundError", RAISES: "LinAlgError"}


def assert_wrong_notebook_fails_where_wrong(notebook):
    said = shown(notebook)
    failing = {question: words for _, question, words in WRONG}
    for question, text in said.items():
        if question in failing:
            assert re.match(rf"{question}: [\d.]+ / [\d.]+ on the public checks", text) and PASSED not in text
            assert failing[question] in text and "expected" in text, text
        else:
            assert text.startswith(f"{question}: {PASSED}"), (question, text)
    # what went wrong while the cells ran in the sandbox: the cell that raised in the kernel too
    # (not Otter's cells, the Colab cell or this test's own first cell, which do nothing there)
    loading = said["q1c"].split("while running your cells:\n")[1].splitlines()
    assert len(loading) == 1 and "line 1: LinAlgError: Singular matrix; the rest of this cell" in loading[0]


# ---- the instructor's environment (this one) ------------------------------------------------------

def test_in_the_instructors_kernel_a_messy_correct_notebook_passes_and_a_wrong_one_fails_where_wrong(tmp_path):
    ran = run_in_kernels(Path(sys.executable), {"right": student_notebook(CORRECT),
                                                "wrong": student_notebook(wrong_source())}, tmp_path)
    assert text_of(ran["right"].cells[0]).split() == [sys.executable, str(ROOT / "grader" / "__init__.py")]
    assert_correct_notebook_passes(ran["right"])
    assert_wrong_notebook_fails_where_wrong(ran["wrong"])
    assert "run the cell that defines log_posterior" in shown(ran["wrong"])["q3a"]   # still not counted


def test_otter_check_passes_a_correct_notebook(tmp_path):
    """`otter check` runs Otter's grading mode (`from otter import Notebook as notebook_X` first)."""
    work = tmp_path / "work"
    work.mkdir()
    build.test_files(spec.load("dis02"), work / "tests")
    nbformat.write(student_notebook(CORRECT), work / "dis02.ipynb")
    done = subprocess.run([sys.executable, "-m", "otter", "check", "dis02.ipynb"], cwd=work,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "All tests passed!", done.stdout[-3000:]


# ---- a student's environment: the kit's wheel plus otter-grader ---------------------------------------

@pytest.fixture(scope="module")
def student_python(dis02_kit, tmp_path_factory) -> Path:
    """A fresh venv with the student kit's wheel pip-installed; otter-grader and its dependencies
    (Jupyter, NumPy, ...) are the ones installed here (tests.conftest.venv_with_wheel): installing
    them afresh takes 1.5 minutes. Only the kit's grader is importable there."""
    base = tmp_path_factory.mktemp("student")
    python = venv_with_wheel(base / "env", next(dis02_kit.glob("sandgrade-*.whl")))
    site = next((base / "env" / "lib").glob("python*/site-packages"))
    where = subprocess.run([python, "-c", "import grader, otter; from grader.core import spec; "
                            "print(grader.__file__, spec.load('dis02').vectors is not None, otter.__version__)"],
                           capture_output=True, text=True, check=True, cwd=base).stdout.split()
    assert where == [str(site / "grader" / "__init__.py"), "True", "7.0.0"]   # the kit's grader, public only
    return python


def test_in_a_students_kernel_a_messy_correct_notebook_passes_and_a_wrong_one_fails_where_wrong(
        student_python, tmp_path):
    ran = run_in_kernels(student_python, {"right": student_notebook(CORRECT),
                                          "wrong": student_notebook(wrong_source())}, tmp_path)
    kernel_python, kernel_grader = text_of(ran["right"].cells[0]).split()
    assert kernel_python == str(student_python) and kernel_grader.startswith(str(student_python.parent.parent / "lib"))
    assert_correct_notebook_passes(ran["right"])
    assert_wrong_notebook_fails_where_wrong(ran["wrong"])


# ---- the parts, without a kernel -------------------------------------------------------------------

def in_cell(env: dict, code: str, cell: str = "<ipython-input>"):
    """Run code as the module-level code of a cell whose globals are env (as the kernel runs a
    cell), so checks.running_line finds the line making the check."""
    exec(compile(code, cell, "exec"), env)


def test_kernel_units_are_the_cells_run_as_cells_less_check_cells_and_what_follows_the_check(tmp_path, monkeypatch):
    from otter import Notebook
    monkeypatch.chdir(tmp_path)   # Otter logs each call to ./.OTTER_LOG
    env = {"grader": Notebook(tests_dir="tests"), "kernel_units": checks.kernel_units}
    env["In"] = ["", "import otter\ngrader = otter.Notebook()", "%matplotlib inline\nimport numpy as np",
                 "def f():\n    return 1", 'grader.check("q1y")', "%%bash\nls",
                 "x = 1/0\ndef g(): pass", 'grader.check("q1y"); print("again")',
                 "@staticmethod\ndef h(): pass\nunits = kernel_units(env)\nlater = 1", ]
    env["env"] = env
    in_cell(env, env["In"][-1])
    assert env["units"] == [
        {"name": "cell [1]", "source": "import otter\ngrader = otter.Notebook()", "cell": True},
        {"name": "cell [2]", "source": "pass\nimport numpy as np", "cell": True},
        {"name": "cell [3]", "source": "def f():\n    return 1", "cell": True},
        {"name": "cell [6]", "source": "x = 1/0\ndef g(): pass", "cell": True},
        {"name": "cell [7]", "source": 'grader.check("q1y"); print("again")', "cell": True},
        {"name": "cell [8]", "source": "@staticmethod\ndef h(): pass", "cell": True}]


def test_otter_grading_mode_cells_are_graded_as_the_kernel_ran_them(tmp_path):
    """`otter check`'s kernel: Otter's first cell, the student's, and Otter's last cell, which
    checks every question from inside a loop: only its import before the loop is graded."""
    from otter.execute import preprocessor
    init = preprocessor.INIT_CELL_SOURCE.format(notebook_name="notebook_ab12", test_dir="tests",
                                                logging_server_host="localhost", logging_server_port=1)
    last = preprocessor.EXPORT_CELL_SOURCE.format(tests_loop_var="t_x", tests_glob_json='["tests/q1y.py"]',
                                                  results_path=str(tmp_path / "results.pkl"))
    last = last.replace("Checker.check_if_not_already_checked(t_x)", "units = kernel_units(env)")
    env = {"kernel_units": checks.kernel_units, "In": ["", init, CORRECT, last]}
    env["env"] = env
    in_cell(env, last.split("import pickle")[0])
    assert [u["source"] for u in env["units"]] == [init.rstrip("\n"), CORRECT.rstrip("\n"),
                                                   "from otter.execute import Checker"]
    doc = checks.graded(env["units"], "dis02", 182)
    assert doc.score == doc.max_score and doc.load_messages == []
    # public checks only, though this environment has the reference: the kit's, as students see them
    names = [c.name for p in doc.parts for c in p.checks]
    assert names and all("fixed" in name for name in names)


def test_a_cell_stops_at_its_first_error_as_in_jupyter():
    relu_net = functions(CORRECT)[1]["relu_net"]
    env = {"In": ["", "import numpy as np", "z = 1 / 0\n" + relu_net, 'grader.check("q1y")']}
    with pytest.raises(AssertionError) as failed:
        checks.check_part("1y", env)
    said = str(failed.value)
    assert "no function named `relu_net` is defined" in said and "run the cell that defines relu_net" in said
    assert "cell [2], line 1: ZeroDivisionError: division by zero; the rest of this cell did not run" in said
    env["In"][2:3] = ["z = 1 / 0", relu_net]
    checks.check_part("1y", env)


def test_a_check_needing_a_function_not_run_yet_does_not_count_until_it_is():
    ridge = "\n\n".join(functions(CORRECT)[1][n] for n in ("ridge_map",))
    env = {"In": ["", "import numpy as np", ridge, 'grader.check("q3a")']}
    checks.check_part("3a", env)            # passes: the stationarity check waits for log_posterior
    passed, text = checks.feedback["q3a"]
    assert passed and text.splitlines()[0] == f"q3a: {PASSED}"
    assert text.splitlines()[-1] == "run the cell that defines log_posterior, then check again"
    assert "not checked yet (it needs log_posterior): ridge_map(X, y, lam) is a stationary point" in text

    # once it is defined, it counts: a log_posterior whose maximum is elsewhere fails 3a
    no_prior = functions(apply(CORRECT, next(m for m in MUTANTS if m.name == "logp-no-prior")))[1]
    env["In"][-1:] = [no_prior["log_posterior"], 'grader.check("q3a")']
    with pytest.raises(AssertionError) as failed:
        checks.check_part("3a", env)
    assert "stationary point" in str(failed.value) and "log_posterior, then check" not in str(failed.value)
    # a function of the part's own not run: fails, and says which cell to run
    env["In"] = ["", "import numpy as np", 'grader.check("q3a")']
    with pytest.raises(AssertionError) as failed:
        checks.check_part("3a", env)
    assert str(failed.value).startswith("q3a: 0 / 2 on the public checks")
    assert "run the cell that defines ridge_map, then check again" in str(failed.value)


def test_outside_a_kernel_the_check_says_so():
    with pytest.raises(AssertionError, match="run in a Jupyter kernel"):
        checks.check_part("1y", {})


def test_the_check_leaves_grading_to_the_plugin_when_it_runs_under_it(monkeypatch):
    monkeypatch.setenv(checks.SCORED_BY_PLUGIN, "1")
    checks.check_part("1y", {})   # no kernel, nothing to grade: the plugin scores it
