"""A submission file as the units of source the child runs."""
from __future__ import annotations

from pathlib import Path

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
    return [{"name": path.name, "source": text}]
