"""Wall time of one `grader check` on one submission, interpreter start included (goal: < 1 s).

Runs the installed command as a user would, RUNS times per submission, and prints the median.

    python benchmarks/check_time.py [--runs 15]
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = [ROOT / "submissions_example" / "alice_correct.py",
               ROOT / "submissions_example" / "bob_correct_notebook.ipynb",
               ROOT / "submissions_example" / "carol_missing_skip.py"]


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    grader = shutil.which("grader", path=str(Path(sys.executable).parent)) or "grader"
    baseline = statistics.median(timed([sys.executable, "-c", "import numpy"]) for _ in range(args.runs))
    print(f"python -c 'import numpy': median {baseline * 1000:.0f} ms")
    for path in SUBMISSIONS:
        times = [timed([grader, "check", str(path), "--json"]) for _ in range(args.runs)]
        print(f"grader check {path.name}: median {statistics.median(times) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms over {args.runs} runs (goal < 1000 ms)")


if __name__ == "__main__":
    main()
