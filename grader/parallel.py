"""Grade many submissions with N worker processes; append each document to a JSON Lines file the
moment it is done, so an interrupted batch keeps everything it graded.

Each worker is a judge: it loads the problem once and starts a sandboxed fork server, then grades
one submission at a time, each in a fresh child forked from that server (grader.forkserver). Workers ignore Ctrl-C; the parent stops handing out
work, lets the running submissions finish, writes them, and leaves a valid file.
"""
from __future__ import annotations

import atexit
import os
import signal
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Callable

from grader import spec as specs
from grader.batch import Found
from grader.engine import grade, unreadable
from grader.forkserver import ForkServer

_worker: dict = {}


def _start_worker(problem: str, seed: int, isolation: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    loaded = specs.load(problem)
    server = ForkServer(isolation, loaded.spec.budgets.memory_mib << 20, tuple(loaded.spec.modules))
    atexit.register(server.close)
    _worker.update(problem=loaded, seed=seed, isolation=isolation, server=server)


def _grade_one(item: Found) -> str:
    problem, seed, isolation = _worker["problem"], _worker["seed"], _worker["isolation"]
    if item.path is None:
        doc = unreadable(problem, seed, item.id, item.problem, isolation)
    else:
        doc = grade(item.path, problem, seed, submission_id=item.id, isolation=isolation,
                    server=_worker["server"])
    doc.students = item.students
    return doc.model_dump_json()


def run(items: list[Found], out: Path, jobs: int, seed: int, problem: str, isolation: str,
        on_done: Callable[[str], None] = lambda line: None) -> int:
    """Grade items, appending one line per document to out. Returns how many were written."""
    written = 0
    with open(out, "a", encoding="utf-8") as sink, ProcessPoolExecutor(
            max_workers=jobs, initializer=_start_worker, initargs=(problem, seed, isolation)) as pool:
        pending = set()
        queue = iter(items)
        try:
            for item in queue:          # keep every worker busy, and no more in flight than that
                pending.add(pool.submit(_grade_one, item))
                if len(pending) >= 2 * jobs:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    written += _write(done, sink, on_done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                written += _write(done, sink, on_done)
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            running = [f for f in pending if not f.cancelled()]
            print(f"\ninterrupted: finishing the {len(running)} submissions being graded; "
                  f"{out} keeps every finished one (--resume goes on from there)", file=sys.stderr)
            done, _ = wait(running)
            written += _write(done, sink, on_done)
            raise
    return written


def _write(done, sink, on_done) -> int:
    count = 0
    for future in done:
        if future.cancelled():
            continue
        try:
            line = future.result()
        except Exception as err:   # a fault of ours: say so, keep going; --resume retries it
            print(f"grader: internal error, a submission was not graded: {type(err).__name__}: {err}",
                  file=sys.stderr)
            continue
        sink.write(line + "\n")     # one write per document: a line is whole or absent
        sink.flush()
        os.fsync(sink.fileno())
        on_done(line)
        count += 1
    return count
