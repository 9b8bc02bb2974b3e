"""A submission file as the units of source the child runs, read without trusting the folder.

We read as whoever runs grader (root on Gradescope), so a student's folder must not steer the
read elsewhere: only a regular file inside the submission folder is read. Every name from that
folder down is opened relative to its parent's descriptor with O_NOFOLLOW, so a symbolic link
is refused even when it is swapped in after the folder was searched; the file is opened with
O_NONBLOCK (a FIFO cannot hang us) and checked with fstat after opening (only a regular file),
and at most MAX_BYTES are read from that descriptor.
"""
from __future__ import annotations

import ast
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from grader import text
from grader.errors import UsageError
from grader.submissions.ipython_syntax import TooMuchToRead, to_python
from grader.submissions.notebook import NotebookError, code_units

SUFFIXES = (".py", ".ipynb")
MAX_BYTES = 20 << 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class BrokenSubmission(Exception):
    """A submission that cannot be run at all; it is graded, every part an error."""


@dataclass(frozen=True)
class Source:
    """A file found by searching a folder: `folder` is the instructor's or the platform's (opened
    as given), `parts` the names below it, none of which may be a symbolic link."""
    folder: str
    parts: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.parts[-1]

    @property
    def suffix(self) -> str:
        return os.path.splitext(self.name)[1]

    @property
    def shown(self) -> str:
        """The names below the folder, safe to show and to store (any bytes)."""
        return text.line("/".join(self.parts))

    def __str__(self) -> str:
        return os.path.join(self.folder, *self.parts)


def kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    for test, words in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return words
    return "not a regular file"


def _refusal(shown: str, mode: int) -> BrokenSubmission:
    why = "links are not followed; " if stat.S_ISLNK(mode) else ""
    return BrokenSubmission(f"{shown} is {kind(mode)}: {why}only regular files inside the "
                            "submission folder are read")


def open_below(folder_fd: int, parts: tuple[str, ...], shown: str) -> int:
    """A descriptor of the folder folder_fd/parts..., each step opened without following a link."""
    fd = os.dup(folder_fd)
    try:
        for depth, part in enumerate(parts):
            try:
                below = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as err:
                where = text.line("/".join(parts[:depth + 1]))
                try:
                    mode = os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode
                except OSError:
                    raise BrokenSubmission(f"{shown}: cannot open {where} ({err.strerror})") from None
                raise _refusal(where, mode) from None
            os.close(fd)
            fd = below
        return fd
    except BaseException:
        os.close(fd)
        raise


def _read_fd(fd: int, shown: str) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):          # checked after opening: nothing swapped in between
        raise _refusal(shown, info.st_mode)
    if info.st_size > MAX_BYTES:
        raise BrokenSubmission(f"the file is larger than {MAX_BYTES >> 20} MiB")
    chunks, size = [], 0
    while size <= MAX_BYTES:
        chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_BYTES:
        raise BrokenSubmission(f"the file is larger than {MAX_BYTES >> 20} MiB")
    return b"".join(chunks)


def read_found(source: Source) -> bytes:
    """The bytes of a file found by a search: every name below the folder a real folder or a
    regular file, never a link, a FIFO or a device."""
    try:
        top = os.open(source.folder, _DIR_FLAGS)
    except OSError as err:
        raise BrokenSubmission(f"cannot open the submission folder ({err.strerror})") from None
    try:
        folder = open_below(top, source.parts[:-1], source.shown)
    finally:
        os.close(top)
    try:
        try:   # lstat first, so a device is never even opened (opening some has side effects)
            mode = os.stat(source.name, dir_fd=folder, follow_symlinks=False).st_mode
        except OSError as err:
            raise BrokenSubmission(f"{source.shown}: cannot read it ({err.strerror})") from None
        if not stat.S_ISREG(mode):
            raise _refusal(source.shown, mode)
        try:
            fd = os.open(source.name, _FILE_FLAGS | os.O_NOFOLLOW, dir_fd=folder)
        except OSError as err:
            if err.errno == errno.ELOOP:   # it became a link since the look above
                raise _refusal(source.shown, stat.S_IFLNK) from None
            raise BrokenSubmission(f"{source.shown}: cannot read it ({err.strerror})") from None
    finally:
        os.close(folder)
    try:
        return _read_fd(fd, source.shown)
    finally:
        os.close(fd)


def read_named(path: Path) -> bytes:
    """The bytes of a file a person named on the command line. A link they typed is followed
    (it is theirs to choose); what it reaches must still be a regular file."""
    shown = text.line(str(path))
    try:
        fd = os.open(path, _FILE_FLAGS)
    except OSError as err:
        raise BrokenSubmission(f"{shown}: cannot read it ({err.strerror})") from None
    try:
        return _read_fd(fd, shown)
    finally:
        os.close(fd)


def check_path(path: Path) -> None:
    """A path typed by a person: usage errors (exit 2) for what is not a submission at all."""
    shown = text.line(str(path))
    if not path.exists():
        raise UsageError(f"no such file: {shown}")
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise UsageError(f"not a file: {shown} is {kind(mode)}")
    if path.suffix not in SUFFIXES:
        raise UsageError(f"{shown}: expected a .py file or a .ipynb notebook")


def units(path: Path | Source) -> list[dict]:
    """The submission as the child's units: one for a .py file, one per code cell of a notebook.
    A Path is one a person named (grader check, which checks it first: check_path); a Source
    was found by searching a folder."""
    if isinstance(path, Source):
        raw, name = read_found(path), path.name
    else:
        raw, name = read_named(path), path.name
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BrokenSubmission("the file is not UTF-8 text") from None
    if os.path.splitext(name)[1] == ".ipynb":
        try:
            return code_units(source)
        except NotebookError as err:
            raise BrokenSubmission(str(err)) from None
    return [{"name": text.line(name), "source": script_source(source)}]


SCRIPT_IPYTHON_BYTES = 1 << 20   # larger files are not parsed here twice


def script_source(code: str) -> str:
    """A .py file as Python. A notebook saved as a script can keep IPython lines (`!pip ...`,
    `%matplotlib inline`), which are not Python: such a file, and only such a file, is read by
    IPython's rules, line for line, as its cells were."""
    if len(code) > SCRIPT_IPYTHON_BYTES:
        return code
    try:
        compile(code, "<submission>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return code
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        try:
            python = to_python(code)
        except TooMuchToRead:
            return code
    try:
        compile(python or "", "<submission>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code   # not IPython either: the child reports the syntax error as it stands
    return python
