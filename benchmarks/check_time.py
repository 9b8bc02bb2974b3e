"""Wall time of one `grader check` on one submission, interpreter start included, over the wall
time of `python -c "import numpy"`: runs of the two interleaved (a numpy start, then a check of
each submission, RUNS rounds), medians of each. Goal (issue 12): under 2.5 x.

A check reads the problem's spec as last validated (grader.core.validated); the first check after
spec.toml changes validates it with pydantic. That case is timed too, on a copy of the problem
whose spec.toml gets a new comment before each of its runs.

    python benchmarks/check_time.py [--runs 15] [--grader PATH ...]

Bytecode caches are written first, as pip does when it installs grader (see ENV).

--grader (repeatable) names other `grader` commands (another checkout's venv), interleaved in the
same rounds, for a before/after comparison under the same load.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = [ROOT / "submissions_example" / "alice_correct.py",
               ROOT / "submissions_example" / "bob_correct_notebook.ipynb",
               ROOT / "submissions_example" / "carol_missing_skip.py"]


# As installed: pip writes each module's bytecode cache when it installs a wheel, so a user's
# `grader check` does not compile grader's sources on every run (an environment that sets
# PYTHONDONTWRITEBYTECODE, as some sandboxes do, would make this checkout's editable install do so).
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--grader", action="append", default=[])
    args = parser.parse_args()
    graders = [shutil.which("grader", path=str(Path(sys.executable).parent)) or "grader", *args.grader]
    numpy_times: list[float] = []
    times = {(g, p): [] for g in graders for p in SUBMISSIONS}
    for grader in graders:   # a first run of each writes any bytecode cache it lacks
        timed([grader, "check", str(SUBMISSIONS[0]), "--json"])
    edited = Path(tempfile.mkdtemp()) / "dis02"
    shutil.copytree(ROOT / "problems" / "dis02", edited, ignore=shutil.ignore_patterns("__pycache__"))
    after_edit: list[float] = []
    for number in range(args.runs):
        numpy_times.append(timed([sys.executable, "-c", "import numpy"]))
        for grader in graders:
            for path in SUBMISSIONS:
                times[grader, path].append(timed([grader, "check", str(path), "--json"]))
        with (edited / "spec.toml").open("a") as spec:
            spec.write(f"# edit {number}\n")
        after_edit.append(timed([graders[0], "check", str(SUBMISSIONS[0]), "--json", "--problem", str(edited)]))
    shutil.rmtree(edited.parent)
    baseline = statistics.median(numpy_times)
    print(f"python -c 'import numpy': median {baseline * 1000:.0f} ms over {args.runs} runs")
    for grader in graders:
        print(grader)
        for path in SUBMISSIONS:
            took = times[grader, path]
            median = statistics.median(took)
            print(f"  grader check {path.name}: median {median * 1000:.0f} ms = {median / baseline:.2f} x "
                  f"the numpy start (goal < 2.5), max {max(took) * 1000:.0f} ms")
    median = statistics.median(after_edit)
    print(f"{graders[0]}, the first check after spec.toml changes (validated with pydantic):\n"
          f"  grader check {SUBMISSIONS[0].name}: median {median * 1000:.0f} ms = {median / baseline:.2f} x")


if __name__ == "__main__":
    main()
