"""A submission file as the units of source the child runs."""
from __future__ import annotations

import ast
from pathlib import Path

from grader.ipython_syntax import TooMuchToRead, to_python
from grader.notebook import NotebookError, code_units

SUFFIXES = (".py", ".ipynb")
MAX_BYTES = 20 << 20


class UsageError(Exception):
    """The command was used wrongly (exit status 2), not a broken submission."""


class BrokenSubmission(Exception):
    """A submission that cannot be run at all; it is graded, every part an error."""


def check_path(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    if not path.is_file():
        raise UsageError(f"not a file: {path}")
    if path.suffix not in SUFFIXES:
        raise UsageError(f"{path}: expected a .py file or a .ipynb notebook")


def units(path: Path) -> list[dict]:
    check_path(path)
    if path.stat().st_size > MAX_BYTES:
        raise BrokenSubmission(f"the file is larger than {MAX_BYTES >> 20} MiB")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BrokenSubmission("the file is not UTF-8 text") from None
    if path.suffix == ".ipynb":
        try:
            return code_units(text)
        except NotebookError as err:
            raise BrokenSubmission(str(err)) from None
    return [{"name": path.name, "source": script_source(text)}]


SCRIPT_IPYTHON_BYTES = 1 << 20   # larger files are not parsed here twice


def script_source(text: str) -> str:
    """A .py file as Python. A notebook saved as a script can keep IPython lines (`!pip ...`,
    `%matplotlib inline`), which are not Python: such a file, and only such a file, is read by
    IPython's rules, line for line, as its cells were."""
    if len(text) > SCRIPT_IPYTHON_BYTES:
        return text
    try:
        compile(text, "<submission>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return text
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        try:
            python = to_python(text)
        except TooMuchToRead:
            return text
    try:
        compile(python or "", "<submission>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text   # not IPython either: the child reports the syntax error as it stands
    return python
