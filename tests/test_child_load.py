"""How the child runs a submission (grader.sandbox.child.load): a script statement by statement,
so a failing statement costs only itself, and a cell up to its first error; while a unit that
raises nothing is compiled and run whole (a syntax tree of it costs more than running it)."""
from __future__ import annotations

import contextlib
import io
import sys
import warnings

import pytest

from grader.sandbox import child


@pytest.fixture(autouse=True)
def no_finder_left():
    yield
    sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "StandInFinder"]


def load(source: str, cell: bool = False) -> tuple[dict, list[dict], str]:
    unit = {"name": "cell 1" if cell else "dis02.py", "source": source, **({"cell": True} if cell else {})}
    shown = io.StringIO()
    with contextlib.redirect_stderr(shown):
        namespace, report = child.load([unit, {"name": "cell 2", "source": "tail = 1\n", "cell": True}])
    return namespace, report["problems"], shown.getvalue()


@pytest.mark.parametrize("source, defined, missing, where", [
    ("from __future__ import annotations\nz = 1/0\ndef f(x: undefined): pass\n", "f", "z", "dis02.py, line 2"),
    ("a = 1; b = 1/0; c = 3\nd = 4\n", "a c d", "b", "dis02.py, line 1"),
    ("a = 1/0; b = 2\nc = 3\n", "b c", "a", "dis02.py, line 1"),
    ("@(lambda f: 1/0)\ndef g(): pass\nh = 5\n", "h", "g", "dis02.py, line 1 (in `<lambda>`, line 1)"),
    ("x = (1 +\n     2 /\n     0)\ny = 1\n", "y", "x", "dis02.py, line 2"),
    ("for i in range(3):\n    if i == 1:\n        q = 1/0\nw = 1\n", "i w", "q", "dis02.py, line 3"),
    ("class A:\n    x = 1/0\nclass B:\n    pass\n", "B", "A", "dis02.py, line 1 (in `A`, line 2)"),
    ("def f():\n    raise ValueError('x')\nf()\ny = 2\nf()\nz = 3\n", "f y z", "", "dis02.py, line 3 (in `f`, line 2)"),
])
def test_a_failing_statement_costs_only_itself(source, defined, missing, where):
    namespace, problems, _ = load(source)
    assert all(name in namespace for name in defined.split() + ["tail"])
    assert not any(name in namespace for name in missing.split())
    assert problems[0]["where"] == where and problems[0]["unit"] == "dis02.py"
    assert len(problems) == (2 if "\nf()\ny" in source else 1)   # each failure once
    assert not problems[0].get("stopped")


def test_a_cell_stops_at_its_first_error_and_exit_ends_a_script():
    namespace, problems, _ = load("a = 1; b = 1/0; c = 3\nd = 4\n", cell=True)
    assert "a" in namespace and "c" not in namespace and "d" not in namespace and "tail" in namespace
    assert problems[0]["stopped"]
    namespace, problems, _ = load("a = 1\nexit(3)\nb = 2\n")
    assert "b" not in namespace and problems[0]["stopped"] and problems[0]["msg"] == "your code called exit(3)"


def test_what_compiles_only_statement_by_statement_still_runs_so():
    """A `from __future__` import after other statements, a `return` outside a function, a
    syntax error: each only costs its own statement (or, for a syntax error, the file)."""
    namespace, problems, _ = load("a = 1\nfrom __future__ import annotations\ndef f(x: undefined): pass\nb = 2\n")
    assert problems == [] and namespace["f"].__annotations__ == {"x": "undefined"} and namespace["b"] == 2
    namespace, problems, _ = load("a = 1\nreturn 5\nb = 2\n")
    assert namespace["b"] == 2 and problems[0]["type"] == "SyntaxError"
    namespace, problems, _ = load("a = 1\ndef (:\nb = 2\n")
    assert "a" not in namespace and problems[0]["whole"] and problems[0]["where"] == "dis02.py, line 2"


def test_a_warning_of_the_compiler_is_shown_once():
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")
        _, problems, _ = load("a = 1 is 1\nb = 1/0\nc = 2 is 2\nd = 5\n")
    assert sorted(w.lineno for w in shown if w.category is SyntaxWarning) == [1, 3]
    assert problems[0]["where"] == "dis02.py, line 2"


def test_an_import_in_a_try_is_not_stood_in_for():
    namespace, problems, _ = load("try:\n    import no_such_module_1\nexcept ImportError:\n    gone = None\n"
                                  "import no_such_module_2\nk = 1\n")
    assert namespace["gone"] is None and namespace["k"] == 1
    assert type(namespace["no_such_module_2"]).__name__ == "PlaceholderModule"
    assert problems == []


def test_without_a_column_the_statements_of_later_lines_run():
    """Where the code's positions do not say the column (none recorded), the statements starting
    on later lines than the failing one run; the rest of its own line does not."""
    import ast
    body = ast.parse("a = 1; b = 2\nc = (3 +\n4)\nd = 5\n").body
    assert child._after(body, 1, None) == 2
    assert child._after(body, 3, None) == 3 and child._after(body, 99, None) == 4
    assert child._after(body, 1, 7) == 2 and child._after(body, 2, 0) == 3 and child._after(body, 1, 0) == 1
