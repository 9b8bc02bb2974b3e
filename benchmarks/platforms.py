"""Wall time per submission of `grader gradescope run` and of `otter run` on the zip of
`grader otter build`, and how long the Gradescope zip's setup.sh takes in a fresh virtual
environment (apt skipped; pip's cache as this machine has it).

    python benchmarks/platforms.py [--runs 5]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = [ROOT / "tests" / "solutions" / "correct" / "vectorized.py",
               ROOT / "submissions_example" / "dave_no_relu_mask.py",
               ROOT / "tests" / "solutions" / "correct" / "notebook.ipynb"]
GRADER = [sys.executable, "-m", "grader"]


def timed(argv, **kw) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, argv))} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def gradescope_times(work: Path, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        for submission in SUBMISSIONS:
            root = work / f"gs{i}-{submission.stem}"
            (root / "submission").mkdir(parents=True)
            shutil.copy(submission, root / "submission")
            (root / "submission_metadata.json").write_text(json.dumps(
                {"assignment": {"id": 1}, "users": [{"id": i}]}))
            times.append(timed([*GRADER, "gradescope", "run", "--root", str(root)]))
    return times


def otter_times(work: Path, runs: int) -> list[float]:
    timed([*GRADER, "otter", "build", str(work / "otter")])
    times = []
    for i in range(runs):
        for submission in SUBMISSIONS:
            out = work / f"otter-out{i}-{submission.stem}"
            out.mkdir()
            times.append(timed([sys.executable, "-m", "otter", "run", "-a", str(work / "otter" / "autograder.zip"),
                                "-o", str(out), str(submission)]))
    return times


def setup_time(work: Path) -> float:
    timed([*GRADER, "gradescope", "build", str(work / "ag.zip")])
    with zipfile.ZipFile(work / "ag.zip") as archive:
        archive.extractall(work / "source")
    env = {**os.environ, "GRADER_SKIP_APT": "1", "GRADER_VENV": str(work / "fresh-venv")}
    return timed(["bash", str(work / "source" / "setup.sh")], env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        gs = gradescope_times(work, args.runs)
        ot = otter_times(work, args.runs)
        setup = setup_time(work)
    n = len(SUBMISSIONS) * args.runs
    print(f"grader gradescope run: median {statistics.median(gs):.2f} s per submission "
          f"(min {min(gs):.2f}, max {max(gs):.2f}; {n} runs: a .py correct, a .py buggy, a notebook)")
    print(f"otter run (grader otter build's zip): median {statistics.median(ot):.2f} s per submission "
          f"(min {min(ot):.2f}, max {max(ot):.2f}; {n} runs)")
    print(f"setup.sh of the Gradescope zip, fresh virtual environment: {setup:.1f} s")


if __name__ == "__main__":
    main()
