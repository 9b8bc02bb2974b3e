"""Batch grading cost: `grader batch -j 2` on a class of mixed submissions (correct and buggy, .py
and .ipynb), as CPU per submission over the cost of starting `python -c "import numpy"`, both
measured in the same run (numpy starts before and after each batch); and the largest memory any
one process of the batch used.

Goal (issue 12): CPU per submission at most 0.2 x the numpy start. Two ways of counting the CPU
are printed: wall x workers / submissions (the issue's measure: on an idle machine it is the CPU
the two workers had) over the numpy start's wall time; and the CPU time every process of the
batch used (getrusage of its children) over the numpy start's CPU time, which moves less when
others share the machine. Per batch also: when its first document was written (start-up: the
command's imports, the problem's preflight, each worker's plan and fork server) and how long
the CPUs were idle meanwhile, which the first measure counts against the batch.

    python benchmarks/batch_speed.py [--size 400] [--isolation auto|bubblewrap|user|process] [--runs 1]
                                     [--grader PATH ...] [--memory] [--export]

--export lays the class out as a Gradescope export (a submission_<id> folder each, and the
export's metadata), so each student is graded at a seed of their own, as Gradescope graded them:
every submission then pays for its own cases, reference answers and program.

--grader (repeatable) names other `grader` commands (another checkout's venv) to measure in turn
with this one, batch by batch, so a before/after comparison shares the machine's load.
GRADER_NAMESPACES=0 in the environment measures the way without namespaces of a child's own.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "solutions"))
from mutants import MUTANTS, apply  # noqa: E402

CORRECT = sorted((ROOT / "tests/solutions/correct").glob("*.py"))
JOBS = 2
NUMPY_STARTS = 5      # before and after each batch


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


def make_export(folder: Path, size: int) -> None:
    """make_class's submissions as a Gradescope export: one folder and one student each."""
    make_class(folder, size)
    meta = []
    for number, path in enumerate(sorted(folder.iterdir()), 100000):
        own = folder / f"submission_{number}"
        own.mkdir()
        path.rename(own / path.name)
        meta.append(f"submission_{number}:\n  :submitters:\n  - :name: Student {number}\n    :sid: '{number}'\n"
                    f"    :email: s{number}@example.edu\n  :created_at: 2026-09-12 23:41:07.123456000 -07:00\n"
                    f"  :score: 0.0\n  :status: processed")
    (folder / "submission_metadata.yml").write_text("\n".join(meta) + "\n")


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuGroup:
    """A cpuacct control group (cgroup v1, as root) counting the CPU of a command and every
    process below it, whoever reaps them: getrusage misses a process killed under a parent that
    dies with it (a fork server inside bubblewrap). None where it cannot be made."""

    def __init__(self):
        self.folder = Path(f"/sys/fs/cgroup/cpuacct/batch_speed_{os.getpid()}")
        self.folder.mkdir()

    @classmethod
    def make(cls):
        try:
            return cls()
        except OSError:
            return None

    def enter(self) -> None:
        (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def used(self) -> float:
        return int((self.folder / "cpuacct.usage").read_text()) / 1e9

    def remove(self) -> None:
        self.folder.rmdir()


def timed(command: list[str], group: CpuGroup | None, out: Path | None = None) -> tuple[float, float, float | None]:
    """(wall seconds, CPU seconds of the process and all it started: by the control group where
    there is one, else by getrusage; with out, when the command's first line appeared in that
    file, to a hundredth of a second). The end is waited for, not polled: a start of NumPy takes
    tens of milliseconds, and polling every 50 ms once counted it as 100 ms and more."""
    before = group.used() if group else cpu_of_children()
    first: list[float] = []
    with tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, text=True,
                                preexec_fn=group and group.enter)
        if out is not None:
            threading.Thread(target=_first_line, args=(out, proc, started, first), daemon=True).start()
        proc.wait()
        took = time.perf_counter() - started
        if proc.returncode:
            errors.seek(0)
            sys.exit(f"{' '.join(command[:2])} failed: {errors.read()[-2000:]}")
    return took, (group.used() if group else cpu_of_children()) - before, first[0] if first else None


def _first_line(out: Path, proc: subprocess.Popen, started: float, first: list[float]) -> None:
    while proc.poll() is None:
        if out.exists() and out.stat().st_size:
            first.append(time.perf_counter() - started)
            return
        time.sleep(0.01)


def idle_seconds() -> float:
    """Seconds every CPU of the machine has been idle (or waiting on the disk), summed."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def numpy_start() -> tuple[float, float]:
    """Outside the control group: entering one (writing cgroup.procs) takes 20 ms of wall time
    here, which would inflate the yardstick by a quarter; getrusage counts a plain process whole."""
    return timed([sys.executable, "-c", "import numpy"], None)[:2]


def batch(grader: str, folder: Path, isolation: str, group: CpuGroup | None) -> dict:
    """One batch, with numpy starts measured just before and after it."""
    starts = [numpy_start() for _ in range(NUMPY_STARTS)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        idle = idle_seconds()
        wall, cpu, first = timed([grader, "batch", str(folder), "--out", str(out), "-j", str(JOBS),
                                  "--isolation", isolation], group, out)
        idle = idle_seconds() - idle
        lines = out.read_text().splitlines()
    starts += [numpy_start() for _ in range(NUMPY_STARTS)]
    graded = len(lines)
    return {"wall": wall, "cpu": cpu, "graded": graded, "first": first, "idle": idle,
            "perfect": sum(json.loads(line)["score"] == 16 for line in lines),
            "numpy_wall": statistics.median(s[0] for s in starts),
            "numpy_cpu": statistics.median(s[1] for s in starts)}


def report(grader: str, runs: list[dict]) -> None:
    wall_ratio = statistics.median(r["wall"] * JOBS / r["graded"] / r["numpy_wall"] for r in runs)
    cpu_ratio = statistics.median(r["cpu"] / r["graded"] / r["numpy_cpu"] for r in runs)
    first = runs[0]
    print(f"{grader}: {first['graded']} graded, {first['perfect']} with every point, {len(runs)} run(s)")
    for r in runs:
        print(f"  batch {r['wall']:.1f} s wall ({r['graded'] / r['wall']:.1f} submissions/s), "
              f"{r['cpu'] * 1000 / r['graded']:.1f} ms CPU per submission; "
              f"numpy start {r['numpy_wall'] * 1000:.0f} ms wall, {r['numpy_cpu'] * 1000:.0f} ms CPU")
        first = "?" if r["first"] is None else f"{r['first']:.2f} s"
        print(f"    first document after {first}; CPUs idle {r['idle']:.1f} s of {r['wall'] * os.cpu_count():.1f} "
              f"(the machine's, others' work included)")
    print(f"  CPU per submission / numpy start: {wall_ratio:.2f} x as wall x {JOBS} workers / submissions "
          f"(the issue's measure), {cpu_ratio:.2f} x as CPU time used (goal <= 0.2)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--isolation", default="auto")
    parser.add_argument("--runs", type=int, default=1, help="batches per grader; medians are reported")
    parser.add_argument("--grader", action="append", default=[],
                        help="another grader command to measure in turn with this one")
    parser.add_argument("--export", action="store_true",
                        help="the class as a Gradescope export: each student at a seed of their own")
    parser.add_argument("--memory", action="store_true",
                        help="first grade a class a quarter the size, to show peak memory does not grow with it")
    args = parser.parse_args()
    if args.size < 200:
        sys.exit("--size: at least 200 submissions, so start-up costs do not dominate")
    graders = [str(Path(sys.executable).with_name("grader")), *args.grader]
    results: dict[str, list[dict]] = {g: [] for g in graders}
    group = CpuGroup.make()
    print(f"CPU counted by {'a cpuacct control group' if group else 'getrusage'}"
          + ("; the class as a Gradescope export, a seed per student" if args.export else ""))
    try:
        run_all(args, graders, results, group)
    finally:
        if group:
            group.remove()
    for grader in graders:
        report(grader, results[grader])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest process of all the batches of {args.size}: {peak:.0f} MiB")


def run_all(args, graders: list[str], results: dict, group) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if args.memory:
            small = Path(tmp) / "small"
            small.mkdir()
            make_class(small, args.size // 4)
            batch(graders[0], small, args.isolation, group)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"largest process grading {args.size // 4} submissions: {peak:.0f} MiB")
        folder = Path(tmp) / ("assignment_731422_export" if args.export else "class")
        folder.mkdir()
        (make_export if args.export else make_class)(folder, args.size)
        for _ in range(args.runs):
            for grader in graders:   # interleaved, so each sees the same load
                results[grader].append(batch(grader, folder, args.isolation, group))


if __name__ == "__main__":
    main()
