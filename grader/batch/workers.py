"""Grade many submissions with N worker processes; append each document to a JSON Lines file the
moment it is done, so an interrupted batch keeps everything it graded.

Each worker is a judge: it loads the problem once and starts a sandboxed fork server, then grades
one submission at a time, each in a fresh child forked from that server (grader.sandbox.forkserver). A
submission whose server died under it is graded again on a fresh one, REGRADES times at most.
Workers ignore Ctrl-C; the parent stops handing out work, lets the running submissions finish,
writes them, and leaves a valid file.

The main process makes what the workers share, and removes it whatever becomes of them (a worker
killed outright runs no exit code): a cgroup scope that every worker's groups go in, and in user
isolation one student uid per worker (grader.sandbox.uids), cleared of processes, files and IPC objects
at the end. It is the subreaper of everything below it, so what a dead worker leaves comes back
to it, and is killed and reaped at the end. A worker that dies breaks the pool: a new one is made, and the submissions that were
in flight are graded again one at a time, so one that kills its worker again is found; it gets a
document saying so, and the batch goes on.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Callable

from grader.sandbox import isolation as sandbox
from grader.sandbox import uids
from grader.batch.folders import Found
from grader.sandbox import cgroup
from grader.sandbox.cgroup import Cgroup
from grader.core import score
from grader.core import spec as specs
from grader.core.engine import grade, not_graded, program_for, unreadable
from grader.core.plan import plan_for
from grader.sandbox.forkserver import ForkServer

REGRADES = 2
GIVE_UP = 3          # workers dying this many times in a row, each grading one submission alone
WORKER_DIED = ("the grader's worker process died while grading this submission, twice (the "
               "second time it was the only one being graded), so it was not graded")

_worker: dict = {}


def _start_worker(problem: str, seed: int, isolation: str, shared: dict) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sandbox.cap_own_memory()
    if shared["scope"]:
        Cgroup.scope = Cgroup([Path(folder) for folder in shared["scope"]], shared["v2"])
    if shared["uids"]:
        uids.use(uids.claim(shared["uids"]))
    loaded = specs.load(problem)
    server = ForkServer(isolation, loaded.spec.budgets.memory_mib << 20, tuple(loaded.spec.modules))
    Finalize(server, server.close, exitpriority=10)   # atexit does not run in pool workers
    _worker.update(problem=loaded, seed=seed, isolation=isolation, server=server)
    _warm(loaded, seed, server)
    # What the worker holds from now on (modules, the problem, the batch seed's plan) is never
    # garbage: collections skip it. Each submission at a seed of its own (a Gradescope export)
    # makes a plan of some 20,000 objects, and collections scanning all the rest with it cost
    # a third of the judge's time.
    gc.collect()
    gc.freeze()


def _warm(problem, seed: int, server: ForkServer) -> None:
    """Before the first submission (while the batch's preflight runs): the fork server started,
    the plan made while it imports NumPy, and its program handed to the server. Whatever fails
    here fails again in the first grading, which says why."""
    server.launch()
    try:
        program = program_for(plan_for(problem, seed))[0]
    except Exception:
        return
    server.warm(program)


def _grade_one(item: Found) -> str:
    problem, seed, isolation, server = (_worker[key] for key in ("problem", "seed", "isolation", "server"))
    seed = seed if item.seed is None else item.seed     # a Gradescope export's student: their own
    if item.path is None:
        doc = unreadable(problem, seed, item.id, item.problem, isolation)
    else:
        server.take_spoiled()
        for _ in range(1 + REGRADES):
            doc = grade(item.path, problem, seed, submission_id=item.id, isolation=isolation, server=server)
            if not server.take_spoiled():
                break
    doc.students, doc.seed_rule = item.students, item.seed_rule
    return score.to_json(doc)


def _nothing() -> None:
    pass


@contextmanager
def _shared(isolation: str, jobs: int):
    """What the workers share (see the module's docstring), removed when the batch ends."""
    sandbox.namespaces_refused(isolation)   # probed once here, not once per worker
    sandbox.become_subreaper()   # what a dead worker leaves comes back here, not to init
    cgroup.remove_leftovers()    # what earlier batches killed outright could not remove
    scope = Cgroup.create(None, None)
    leases: list[uids.Lock] = []
    try:
        try:
            leases = uids.lease(jobs) if isolation == "user" else []
        except uids.UidError as err:
            print(f"grader: {err}", file=sys.stderr)
            raise SystemExit(2) from None
        yield {"scope": [str(f) for f in scope.folders] if scope else None, "v2": bool(scope and scope.v2),
               "uids": [lease.uid for lease in leases]}
    finally:
        if scope:
            scope.remove()          # every process of every worker's server and children
        sandbox.reap_orphans()      # and whatever came back to us from a worker that died
        for lease in leases:
            lease.release()         # each uid cleared: processes, files, IPC objects


def run(items: list[Found], out: Path, jobs: int, seed: int, problem: str, isolation: str,
        on_done: Callable[[str], None] = lambda line: None, preflight=None) -> int:
    """Grade items, appending one line per document to out. Returns how many were written.
    preflight: a grader.core.preflight.BeforeBatch at `seed`, asked once the workers have
    started (they warm up meanwhile) and before anything is handed out; its SpecError stops the
    batch with nothing graded."""
    with open(out, "a", encoding="utf-8") as sink, _shared(isolation, jobs) as shared:
        batch = _Batch(items, sink, on_done, jobs, (problem, seed, isolation, shared))
        try:
            if preflight is not None:
                if items:
                    batch.start()
                preflight.check()
            batch.run()
        finally:
            batch.close()
        return batch.written


class _Batch:
    def __init__(self, items, sink, on_done, jobs: int, initargs: tuple):
        self.todo = deque(items)       # not handed out yet
        self.suspects = deque()        # in flight when a worker died: graded one at a time
        self.pending: dict = {}        # future -> (item, whether it ran alone)
        self.sink, self.on_done, self.jobs, self.initargs = sink, on_done, jobs, initargs
        self.pool: ProcessPoolExecutor | None = None
        self.written = 0
        self.deaths_alone = 0          # in a row

    def run(self) -> None:
        try:
            while self.todo or self.suspects or self.pending:
                if self.deaths_alone >= GIVE_UP:
                    print(f"grader: the grader's workers died {GIVE_UP} times in a row; stopping with "
                          f"{len(self.todo) + len(self.suspects)} submissions not graded (--resume "
                          "grades them)", file=sys.stderr)
                    return
                if not self._hand_out():
                    self._replace_pool()
                    continue
                done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
                if self._collect(done):
                    self._replace_pool()
        except KeyboardInterrupt:
            for future in self.pending:
                future.cancel()
            running = [f for f in self.pending if not f.cancelled()]
            print(f"\ninterrupted: finishing the {len(running)} submissions being graded; "
                  f"{self.sink.name} keeps every finished one (--resume goes on from there)", file=sys.stderr)
            wait(running)
            self._collect(running)
            raise

    def start(self) -> None:
        """The workers started now, not at the first hand-out: each warms up as it starts
        (grader.batch.workers._warm) while the batch's preflight runs."""
        self._pool()
        try:
            for _ in range(self.jobs):   # a pool starts its workers at its first task
                self.pool.submit(_nothing)
        except BrokenProcessPool:        # the first hand-out finds it broken and replaces it
            pass

    def _pool(self) -> None:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=_start_worker,
                                            initargs=self.initargs)

    def _hand_out(self) -> bool:
        """Returns False when the pool broke since the last wait (a worker died meanwhile)."""
        self._pool()
        if self.suspects:   # one at a time, so a worker's death names its cause
            return bool(self.pending) or self._submit(self.suspects, alone=True)
        while self.todo and len(self.pending) < 2 * self.jobs:   # every worker busy, no more
            if not self._submit(self.todo, alone=False):
                return False
        return True

    def _submit(self, queue: deque, alone: bool) -> bool:
        item = queue.popleft()
        try:
            self.pending[self.pool.submit(_grade_one, item)] = (item, alone)
        except BrokenProcessPool:
            queue.appendleft(item)    # not started: it goes out again on the new pool
            return False
        return True

    def _collect(self, done) -> bool:
        """Write what finished. Returns whether a worker died (the pool is broken then)."""
        broken = False
        for future in done:
            item, alone = self.pending.pop(future)
            if future.cancelled():
                continue
            try:
                line = future.result()
                self.deaths_alone = 0
            except BrokenProcessPool:
                broken = True
                if not alone:
                    self.suspects.append(item)
                    continue
                self.deaths_alone += 1
                line = self._not_graded(item)
            except Exception as err:   # a fault of ours: say so, keep going; --resume retries it
                print(f"grader: internal error, a submission was not graded: {type(err).__name__}: {err}",
                      file=sys.stderr)
                continue
            self._write(line)
        return broken

    def _replace_pool(self) -> None:
        """Everything still in flight failed with the pool, or finished just before: keep what
        finished, grade the rest again one at a time."""
        wait(self.pending)
        self._collect(list(self.pending))
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None

    def _not_graded(self, item: Found) -> str:
        problem, seed, isolation, _ = self.initargs
        doc = not_graded(specs.load(problem), seed, item.id, WORKER_DIED, isolation)
        doc.students, doc.seed_rule = item.students, item.seed_rule
        return score.to_json(doc)

    def _write(self, line: str) -> None:
        self.sink.write(line + "\n")     # one write per document: a line is whole or absent
        self.sink.flush()
        os.fsync(self.sink.fileno())
        self.on_done(line)
        self.written += 1

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
