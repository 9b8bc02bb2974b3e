"""False failures of correct solutions over many seeds (goal: zero).

Every correct variant in tests/solutions/correct is judged under SEEDS seeds. To keep the sweep
quick, each variant keeps one child for all its seeds (correct code keeps no state that matters);
each seed still gets its own cases, references and verdicts. Two worker processes, one per core.

    python benchmarks/seed_sweep.py [--seeds 1000]
"""
import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import isolation as sandbox  # noqa: E402
from grader.core import spec  # noqa: E402
from grader.core.engine import judge_parts, open_session  # noqa: E402
from grader.submissions.files import units  # noqa: E402

CORRECT = sorted(p for p in (ROOT / "tests/solutions/correct").iterdir() if p.suffix in (".py", ".ipynb"))


def sweep(path: Path, seeds: range) -> list[str]:
    problem = spec.load("dis02")
    deadline = time.monotonic() + 3600   # one long-lived child for all of this worker's seeds
    session = open_session(units(path), problem, deadline, sandbox.strongest(), seed=seeds[0])
    failures = []
    try:
        for seed in seeds:
            for part in judge_parts(problem, session, seed):
                if part.status != "passed":
                    bad = next(c for c in part.checks if not c.passed and c.points)
                    failures.append(f"{path.name} seed {seed} part {part.id}: {bad.name}\n{bad.message}")
    finally:
        session.close()
    return failures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=1000)
    args = parser.parse_args()
    started = time.perf_counter()
    halves = [range(0, args.seeds // 2), range(args.seeds // 2, args.seeds)]
    jobs = [(path, half) for path in CORRECT for half in halves]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(sweep, *zip(*jobs)))
    failures = [f for result in results for f in result]
    took = time.perf_counter() - started
    print(f"seed sweep: {len(CORRECT)} correct variants x {args.seeds} seeds = "
          f"{len(CORRECT) * args.seeds} gradings, {len(failures)} false failures ({took:.0f} s)")
    for failure in failures[:5]:
        print(failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
