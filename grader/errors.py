"""grader's own errors that end a command, each with the exit status it ends with. The CLI turns
them into messages in one place (grader.cli.Command): never a traceback.

What a submission does wrong is not an error here: it is graded, and its checks say why they
failed (grader.core.score's kinds). Errors that stay inside one layer (a child that could not
answer, a result that is not a number) live beside the code that raises and catches them.
"""
from __future__ import annotations

import traceback
from pathlib import Path


class GraderError(Exception):
    """The message is for the person who ran the command."""
    exit_status = 1


class UsageError(GraderError):
    """The command was used wrongly: a missing file, a bad option or value (exit status 2)."""
    exit_status = 2
    show_usage = True      # the command's usage line helps with an option, not with a file's content


class SpecError(UsageError):
    """A problem folder that cannot be loaded; the message says which file and why."""
    show_usage = False


class IsolationUnavailable(UsageError):
    """The isolation asked for cannot run on this machine."""


class PlotError(UsageError):
    """`grader plot` cannot run as asked (no such plot set, a bad unit, no matplotlib)."""


class ReportError(UsageError):
    """A results file with nothing to report on, or something that is not a score document."""


class KitError(GraderError):
    """A student kit that cannot be built (or would give the reference away)."""


class PackagingError(GraderError):
    """A wheel that pip could not build."""


class OtterUnavailable(GraderError):
    """An Otter-Grader assignment that cannot be built (no otter-grader, or `otter generate` failed)."""


class Misconfigured(GraderError):
    """The Gradescope autograder's own files are wrong (its config, problem or isolation)."""


def author_error(err: BaseException, folder: Path) -> str:
    """An exception raised by a problem folder's own code (reference.py, cases.py, ...), in one
    line for its author: its type, message and the innermost line of the folder's files."""
    where = author_line(err, folder)
    return f"{type(err).__name__}: {str(err)[:300]}" + (f" ({where})" if where else "")


def author_line(err: BaseException, folder: Path) -> str:
    """Where in the folder's files an exception was raised ("reference.py, line 3, in layer"), or ""."""
    if isinstance(err, SyntaxError) and err.lineno:
        return f"{Path(str(err.filename)).name}, line {err.lineno}"
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).parent == folder]
    return f"{Path(frames[-1].filename).name}, line {frames[-1].lineno}, in {frames[-1].name}" if frames else ""
