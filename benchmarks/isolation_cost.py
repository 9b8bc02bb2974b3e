"""What each isolation mode adds per submission: the time to start a child and load a submission
(the only step that differs by mode), and a whole grading, median of RUNS.

    python benchmarks/isolation_cost.py [--runs 30]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import sandbox  # noqa: E402
from grader.core import spec  # noqa: E402
from grader.core.engine import grade  # noqa: E402
from grader.runner import ChildSession, Limits  # noqa: E402
from grader.submission import units  # noqa: E402

SUBMISSION = ROOT / "submissions_example" / "alice_correct.py"


def start_and_load(mode: str) -> float:
    started = time.perf_counter()
    session = ChildSession(units(SUBMISSION), Limits(), time.monotonic() + 60, mode)
    session.start()
    session.ensure_loaded()
    took = time.perf_counter() - started
    session.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    problem = spec.load("dis02")
    modes = [m for m in sandbox.MODES if sandbox.unavailable(m) is None]
    startup, whole = {}, {}
    for mode in modes:
        start_and_load(mode)   # warm the page cache
        startup[mode] = statistics.median(start_and_load(mode) for _ in range(args.runs))
        times = []
        for _ in range(max(5, args.runs // 3)):
            t = time.perf_counter()
            grade(SUBMISSION, problem, 182, isolation=mode)
            times.append(time.perf_counter() - t)
        whole[mode] = statistics.median(times)
    for mode in modes:
        extra = (startup[mode] - startup["process"]) * 1000
        print(f"{mode:10} start+load median {startup[mode] * 1000:6.1f} ms "
              f"({extra:+5.1f} ms over process), whole grading {whole[mode] * 1000:6.1f} ms")
    for mode in sandbox.MODES:
        if mode not in modes:
            print(f"{mode:10} unavailable: {sandbox.unavailable(mode)}")


if __name__ == "__main__":
    main()
