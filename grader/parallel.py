"""Grade many submissions with N worker processes; append each document to a JSON Lines file the
moment it is done, so an interrupted batch keeps everything it graded.

Each worker is a judge: it loads the problem once and starts a sandboxed fork server, then grades
one submission at a time, each in a fresh child forked from that server (grader.forkserver). Workers ignore Ctrl-C; the parent stops handing out
work, lets the running submissions finish, writes them, and leaves a valid file.
"""
from __future__ import annotations

import atexit
import os
import resource
import signal
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable

from grader.core import spec as specs
from grader.batch import Found
from grader.core.engine import grade, not_graded, unreadable
from grader.forkserver import ForkServer

_worker: dict = {}
JUDGE_MEMORY = 1 << 30    # a judge's own address space beyond its size at start: far above use


def cap_own_memory(extra: int = JUDGE_MEMORY) -> None:
    """A runaway computation in this judge fails as MemoryError, which the engine catches and
    documents (engine.drive), rather than waking the OOM killer. Soft limit only: the sandboxed
    processes it starts inherit it, and each sets its own (child.limit_resources)."""
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):   # no /proc: no cap
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + extra if hard == resource.RLIM_INFINITY else min(current + extra, hard)
    if soft == resource.RLIM_INFINITY or soft > wanted:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _start_worker(problem: str, seed: int, isolation: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cap_own_memory()
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
    """Grade items, appending one line per document to out. Returns how many were written.
    A worker that dies breaks its pool: the submissions in flight are graded again alone
    (_regrade_alone) and a new pool takes the rest."""
    written, queue, init = 0, iter(items), (problem, seed, isolation)
    with open(out, "a", encoding="utf-8") as sink:
        while True:
            lost: list[Found] = []
            written += _run_pool(queue, sink, jobs, init, on_done, lost)
            if not lost:
                return written
            written += _regrade_alone(lost, sink, init, on_done)


def _run_pool(queue, sink, jobs: int, init: tuple, on_done, lost: list) -> int:
    """Grade from the queue until it is empty or a worker dies (then `lost` holds what was in flight)."""
    written = 0
    with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=init) as pool:
        pending, items = set(), {}
        try:
            for item in queue:          # keep every worker busy, and no more in flight than that
                try:
                    future = pool.submit(_grade_one, item)
                except BrokenProcessPool:
                    lost.append(item)
                    break
                pending.add(future)
                items[future] = item
                if len(pending) >= 2 * jobs:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    written += _write(done, sink, on_done, items, lost)
                    if lost:
                        break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                written += _write(done, sink, on_done, items, lost)
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            running = [f for f in pending if not f.cancelled()]
            print(f"\ninterrupted: finishing the {len(running)} submissions being graded; "
                  f"{sink.name} keeps every finished one (--resume goes on from there)", file=sys.stderr)
            done, _ = wait(running)
            written += _write(done, sink, on_done, items, [])
            raise
    return written


def _regrade_alone(lost: list[Found], sink, init: tuple, on_done) -> int:
    """Grade each submission that was in flight when a worker died, one at a time in a
    one-worker pool: a death now is that submission's, and its document says so (score 0);
    the others, caught in the same broken pool, are graded as usual."""
    written, pool = 0, None
    try:
        for item in lost:
            pool = pool or ProcessPoolExecutor(max_workers=1, initializer=_start_worker, initargs=init)
            future = pool.submit(_grade_one, item)
            wait([future])
            if not isinstance(future.exception(), BrokenProcessPool):
                written += _write([future], sink, on_done, {}, [])
                continue
            pool.shutdown()
            pool = None
            written += _put(_judge_died(item, *init), sink, on_done)
    finally:
        if pool is not None:
            pool.shutdown()
    return written


def _judge_died(item: Found, problem: str, seed: int, isolation: str) -> str:
    """The document of a submission whose grading killed the judge, twice."""
    reason = ("the grader's own process died while judging this submission, twice (the second "
              "time graded alone), for example killed for using too much memory: it could not be "
              "graded, so it scores 0; tell the course staff")
    doc = not_graded(specs.load(problem), seed, item.id, reason, isolation)
    doc.students = item.students
    return doc.model_dump_json()


def _write(done, sink, on_done, items: dict, lost: list) -> int:
    """Write each finished document; a future broken by a dead worker goes to `lost`."""
    count = 0
    for future in done:
        if future.cancelled():
            continue
        if isinstance(future.exception(), BrokenProcessPool):
            lost.append(items[future])
            continue
        try:
            line = future.result()
        except Exception as err:   # a fault of ours: say so, keep going; --resume retries it
            print(f"grader: internal error, a submission was not graded: {type(err).__name__}: {err}",
                  file=sys.stderr)
            continue
        count += _put(line, sink, on_done)
    return count


def _put(line: str, sink, on_done) -> int:
    sink.write(line + "\n")     # one write per document: a line is whole or absent
    sink.flush()
    os.fsync(sink.fileno())
    on_done(line)
    return 1
