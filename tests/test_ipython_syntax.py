"""grader.submissions.ipython_syntax agrees with IPython's own TransformerManager on what is special syntax.

IPython writes `get_ipython().run_line_magic(...)`; grader writes what grading needs (`pass`,
`None`, `[]`, or the statement `%time` runs) and keeps every line in place. The comparison maps
IPython's calls to grader's choices and compares the two syntax trees, on hand-written cells and
on a few hundred cells drawn at random from a pool of lines formatters and notebooks produce.
"""
import ast
import random

import pytest

from grader.submissions.ipython_syntax import to_python

IPython = pytest.importorskip("IPython", reason="IPython comes with otter-grader, a test dependency")
from IPython.core.inputtransformer2 import TransformerManager  # noqa: E402

KEEPS_BODY = {"time", "capture", "prun"}


class _AsGraderWrites(ast.NodeTransformer):
    """IPython's get_ipython() calls, rewritten to what grader puts in their place."""

    def __init__(self, manager):
        self.manager = manager

    @staticmethod
    def _method(node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Call) and getattr(node.func.value.func, "id", "") == "get_ipython":
            return node.func.attr, [a.value for a in node.args if isinstance(a, ast.Constant)]
        return None, []

    def visit_Expr(self, node):
        method, args = self._method(node.value)
        if method == "run_line_magic" and args[0] == "time" and args[1].strip():
            return ast.parse(args[1].strip()).body
        if method == "run_cell_magic":
            if args[0] not in KEEPS_BODY:
                raise _NotPython
            return self.visit(ast.parse(self.manager.transform_cell(args[2]))).body
        return ast.Pass() if method else node

    def visit_Assign(self, node):
        method, _ = self._method(node.value)
        if method == "getoutput":
            node.value = ast.List(elts=[], ctx=ast.Load())
        elif method == "run_line_magic":
            node.value = ast.Constant(None)
        return node


class _NotPython(Exception):
    pass


def ipython_says(cell: str):
    manager = TransformerManager()
    try:
        tree = _AsGraderWrites(manager).visit(ast.parse(manager.transform_cell(cell)))
    except _NotPython:
        return None
    except SyntaxError:
        return "invalid Python"
    return ast.dump(ast.fix_missing_locations(tree))


def grader_says(cell: str):
    python = to_python(cell)
    if python is None:
        return None
    assert python.count("\n") == (cell if cell.endswith("\n") else cell + "\n").count("\n"), \
        "every line of the cell keeps its number"
    try:
        return ast.dump(ast.parse(python))
    except SyntaxError:
        return "invalid Python"


HAND_WRITTEN = [
    "%matplotlib inline\nimport numpy as np",
    "import matplotlib.pyplot as plt\n%matplotlib inline\n%config InlineBackend.figure_format = 'retina'",
    "!pip install -q numpy\n!nvidia-smi",
    "!pip install \\\n    numpy \\\n    scipy\nx = 1",
    "files = !ls -la\nprint(files)",
    "a, b = !echo hi\n",
    "t = %timeit -o sum(range(10))",
    "np.linalg.solve?",
    "np.linalg.solve??",
    "?np.sum",
    "??np.sum",
    "%precision 4",
    "%load_ext autoreload\n%autoreload 2",
    "%time w = ridge(X, y, 1.0)",
    "%time",
    "%%time\ndef f(x):\n    return 2 * x\n%time y = f(3)",
    "%%capture captured\nimport numpy as np\nz = np.ones(3)",
    "%%bash\necho hi\nls",
    "%%timeit\nsum(range(100))",
    "%%writefile helper.py\ndef helper():\n    return 1",
    "\n\n%%time\nx = 1",
    "for i in range(3):\n    %time f(i)\n    !echo $i",
    "if True:\n    x = 1\n    y?",
    # black splits a long %-format before the operator, and a comparison before !=
    "message = (\n    \"expected %s, got %s\"\n    % (expected, got)\n)",
    "assert (\n    np.abs(a - b).max()\n    != 0\n), \"same values\"",
    "ok = (\n    first_value\n    != second_value\n)",
    "values = [\n    x % 3\n    for x in range(10)\n]",
    "call(\n    arg,\n    key=1,\n)",
    "text = '''\n%not a magic\n!not a shell\nwhat?\n'''",
    "s = \"100% sure?\"  # is it?",
    "x = y if a != b else c",
    "d = {'a': 1, 'b': 2}\nd['a'] % 2",
    "x = 10 \\\n    % 3",
    "    x = 1\n    y = x % 2",
    ">>> x = 1\n>>> y = x + 1\n... ",
    "In [1]: x = 1\n   ...: y = 2",
    "/print 1 2",
    ",print a b",
    ";print a b",
    "print(f'{x!r:>10}')",
    "lambda x: x % 2",
    "@decorator\ndef f():\n    %time g()\n    return 1",
    "x = 1 # comment with ? at the end?",
    "x = [1,\n     2]?",
]

POOL = [
    "import numpy as np", "import matplotlib.pyplot as plt", "%matplotlib inline", "!pip install tqdm",
    "files = !ls", "np.sum?", "x = (\n    a\n    % b\n)", "y = (\n    c\n    != d\n)", "def f(x):",
    "    return x % 2", "    %time g(x)", "    !echo hi", "z = 'a % b'", "w = \"!= here\"",
    "result = %time f(1)", "for i in range(2):", "    pass", "print(x) if x != 3 else None",
    "q = [i % 2 for i in range(5)]", "help(np.sum)", "# %matplotlib inline", "%precision 3",
    "?len", "a = 1; b = a % 2", "if a != b:", "    c = a % b", "val = f(\n    1,\n    2,\n)",
]


@pytest.mark.parametrize("cell", HAND_WRITTEN)
def test_agrees_with_ipython(cell):
    assert grader_says(cell) == ipython_says(cell)


def test_agrees_with_ipython_on_random_cells():
    rng = random.Random(182)
    valid = 0
    for _ in range(400):
        cell = "\n".join(rng.choice(POOL) for _ in range(rng.randint(1, 8)))
        expected = ipython_says(cell)
        assert grader_says(cell) == expected, cell
        valid += expected != "invalid Python"
    assert valid > 150   # most drawn cells are Python once IPython is done with them


def test_lines_keep_their_numbers():
    cell = "x = 1\n%matplotlib inline\n!pip install \\\n  numpy\ny = 1 / 0"
    assert to_python(cell).splitlines()[4] == "y = 1 / 0"


def test_a_cell_in_another_language_is_left_out():
    assert to_python("%%bash\nrm -rf /") is None
    assert to_python("%%html\n<b>hi</b>") is None
