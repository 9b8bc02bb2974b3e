"""What each isolation mode adds per submission, median of RUNS: the time to start a child and
load a submission (the only step that differs by mode), a whole grading, and the same two through
a warm fork server, as a batch worker grades (fork, wall the child off, load; and end it).

    python benchmarks/isolation_cost.py [--runs 30]

GRADER_NAMESPACES=0 in the environment measures the way without namespaces of a child's own.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import isolation as sandbox  # noqa: E402
from grader.core import spec  # noqa: E402
from grader.core.engine import grade  # noqa: E402
from grader.sandbox.forkserver import ForkServer  # noqa: E402
from grader.sandbox.session import ChildSession, Limits  # noqa: E402
from grader.submissions.files import units  # noqa: E402

SUBMISSION = ROOT / "submissions_example" / "alice_correct.py"


def start_and_load(mode: str, server=None) -> float:
    started = time.perf_counter()
    session = ChildSession(units(SUBMISSION), Limits(), time.monotonic() + 60, mode, server=server)
    session.start()
    session.ensure_loaded()
    took = time.perf_counter() - started
    session.close()
    return took


def through_server(mode: str, runs: int, problem) -> tuple[float, float]:
    """(fork + load + end, whole grading) through one warm fork server."""
    server = ForkServer(mode)
    try:
        start_and_load(mode, server)   # the server's own start is not counted
        loads = [start_and_load(mode, server) for _ in range(runs)]
        wholes = []
        for _ in range(runs):
            t = time.perf_counter()
            grade(SUBMISSION, problem, 182, isolation=mode, server=server)
            wholes.append(time.perf_counter() - t)
    finally:
        server.close()
    return statistics.median(loads), statistics.median(wholes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    problem = spec.load("dis02")
    modes = [m for m in sandbox.MODES if sandbox.unavailable(m) is None]
    startup, whole, forked = {}, {}, {}
    for mode in modes:
        start_and_load(mode)   # warm the page cache
        startup[mode] = statistics.median(start_and_load(mode) for _ in range(args.runs))
        times = []
        for _ in range(max(5, args.runs // 3)):
            t = time.perf_counter()
            grade(SUBMISSION, problem, 182, isolation=mode)
            times.append(time.perf_counter() - t)
        whole[mode] = statistics.median(times)
        forked[mode] = through_server(mode, args.runs, problem)
    for mode in modes:
        extra = (startup[mode] - startup["process"]) * 1000
        refused = getattr(sandbox, "namespaces_refused", lambda m: "n/a")(mode)
        print(f"{mode:10} start+load median {startup[mode] * 1000:6.1f} ms "
              f"({extra:+5.1f} ms over process), whole grading {whole[mode] * 1000:6.1f} ms; "
              f"fork server: fork+load+end {forked[mode][0] * 1000:6.1f} ms, whole grading "
              f"{forked[mode][1] * 1000:6.1f} ms; child namespaces: {'yes' if refused is None else 'no (' + refused + ')'}")
    for mode in sandbox.MODES:
        if mode not in modes:
            print(f"{mode:10} unavailable: {sandbox.unavailable(mode)}")


if __name__ == "__main__":
    main()
