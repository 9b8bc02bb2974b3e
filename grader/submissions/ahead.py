"""A notebook read by a forked process of ours while `grader check` imports NumPy and pydantic.

Reading a notebook imports nbformat (and jsonschema with it): as long as the rest of the judge's
start. On a second core, a fork reads it (grader.submissions.files.units) meanwhile and hands the
units back as JSON. Nothing of the student's runs there: it is the reading the judge would do.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Callable

from grader.submissions.files import BrokenSubmission, units

Reader = Callable[[Path], list]


def read_ahead(path: Path) -> Reader:
    """A reader of path's units (files.units' form) that a fork has begun on, for a notebook
    where a fork is safe (no other thread, which could hold a lock the fork would inherit);
    otherwise files.units itself."""
    if path.suffix != ".ipynb" or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        return units
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return units
    if pid == 0:   # the reader: a result on the pipe, then gone, whatever happens
        try:
            os.close(r)
            try:
                found = {"units": units(path)}
            except BrokenSubmission as err:
                found = {"broken": str(err)}
            view = memoryview(json.dumps(found).encode())
            while view:
                view = view[os.write(w, view):]
        finally:
            os._exit(0)
    os.close(w)
    return _Collect(path, pid, r)


class _Collect:
    def __init__(self, path: Path, pid: int, fd: int):
        self.path, self.pid, self.fd = path, pid, fd

    def __call__(self, asked: Path) -> list:
        if asked != self.path or self.fd < 0:
            return units(asked)
        with open(self.fd, "rb", closefd=True) as pipe:
            self.fd = -1
            said = pipe.read()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:   # reaped already
            pass
        try:
            found = json.loads(said)
        except ValueError:   # the reader died (out of memory, say): read here, which says why
            return units(asked)
        if "broken" in found:
            raise BrokenSubmission(found["broken"])
        return found["units"]
