"""Batch grading speed: `grader batch` with -j 2 on a class of mixed submissions (correct and
buggy, .py and .ipynb), against the cost of starting `python -c "import numpy"`, measured in the
same run; and the largest memory any one process of the batch used, at two class sizes.

Goals (issue 4): at least 50 submissions per second; a per-submission cost of at most 0.3 x the
numpy start; peak memory independent of the class size.

    python benchmarks/batch_speed.py [--size 400] [--isolation auto|bubblewrap|user|process] [--runs 1]

GRADER_NAMESPACES=0 in the environment measures the way without namespaces of a child's own. The
CPU time every process of the batch used is reported too: on a machine others share, it moves
less than the wall time does.
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "solutions"))
from mutants import MUTANTS, apply  # noqa: E402

CORRECT = sorted((ROOT / "tests/solutions/correct").glob("*.py"))


def make_class(folder: Path, size: int) -> None:
    """Half correct, half one mistake each; every fifth a notebook."""
    base = (ROOT / "tests/solutions/correct/vectorized.py").read_text()
    for i in range(size):
        source = CORRECT[i % len(CORRECT)].read_text() if i % 2 == 0 else apply(base, MUTANTS[i % len(MUTANTS)])
        if i % 5 == 0:
            notebook = nbformat.v4.new_notebook()
            notebook.cells = [nbformat.v4.new_code_cell(source)]
            (folder / f"student{i:04}.ipynb").write_text(nbformat.writes(notebook))
        else:
            (folder / f"student{i:04}.py").write_text(source)


def peak_rss_mib_of_children() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def batch(size: int, isolation: str = "auto") -> tuple[float, float, int, float]:
    """(seconds, peak MiB, documents, CPU seconds of every process of the batch)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        make_class(folder, size)
        out = Path(tmp) / "out.jsonl"
        grader = str(Path(sys.executable).with_name("grader"))
        started, cpu = time.perf_counter(), cpu_of_children()
        done = subprocess.run([grader, "batch", str(folder), "--out", str(out), "-j", "2",
                               "--isolation", isolation], capture_output=True, text=True)
        took, cpu = time.perf_counter() - started, cpu_of_children() - cpu
        if done.returncode:
            sys.exit(f"batch failed: {done.stderr[-2000:]}")
        graded = len(out.read_text().splitlines())
        perfect = sum(json.loads(line)["score"] == 16 for line in out.read_text().splitlines())
        print(f"  {graded} graded, {perfect} with every point")
        return took, peak_rss_mib_of_children(), graded, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--isolation", default="auto")
    parser.add_argument("--runs", type=int, default=1, help="batches of --size; the median is reported")
    args = parser.parse_args()
    numpy_start = statistics.median(
        _timed([sys.executable, "-c", "import numpy"]) for _ in range(10))
    small_peak = batch(args.size // 4, args.isolation)[1]
    runs = [batch(args.size, args.isolation) for _ in range(args.runs)]
    took = statistics.median(run[0] for run in runs)
    cpu = statistics.median(run[3] for run in runs)
    peak, graded = max(run[1] for run in runs), runs[0][2]
    per = took / graded
    print(f"python -c 'import numpy': median {numpy_start * 1000:.0f} ms")
    print(f"grader batch -j 2 --isolation {args.isolation}, {graded} submissions: {took:.1f} s, "
          f"{graded / took:.1f} submissions/s (goal >= 50), {per * 1000:.1f} ms each = "
          f"{per / numpy_start:.2f} x the numpy start (goal <= 0.3); CPU {cpu / graded * 1000:.1f} ms "
          f"per submission, all processes (steadier than wall time on a busy machine)")
    print(f"largest process of the batch: {small_peak:.0f} MiB for {args.size // 4} submissions, "
          f"{peak:.0f} MiB for {args.size}")


def _timed(command) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
