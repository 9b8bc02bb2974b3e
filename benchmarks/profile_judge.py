"""Where a batch worker's time goes: grade a mixed class in this process, as one worker of
`grader batch` does (one fork server, one child per submission), optionally under cProfile;
print the CPU per submission of this judge and of the sandbox's side (fork server and children,
counted by a cpuacct control group where one can be made), the requests per submission, and with
--cprofile the top functions by own and by cumulative time (the judge's only).

    python benchmarks/profile_judge.py [--size 100] [--cprofile [--cpu-timer]] [--top 25] [--isolation auto]

--cpu-timer: cProfile counts CPU time, so waits for the child (select, reading replies) drop out
of the listing; every call then costs more to count, so compare shares, not milliseconds.
"""
import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from batch_speed import CpuGroup, make_class  # noqa: E402
from grader.core import spec  # noqa: E402
from grader.core.engine import grade  # noqa: E402
from grader.sandbox import isolation as sandbox  # noqa: E402
from grader.sandbox.forkserver import ForkServer  # noqa: E402
from grader.sandbox.session import ChildSession  # noqa: E402


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--cpu-timer", action="store_true",
                        help="cProfile counts CPU time (time.process_time), not wall time: waits for the child drop out")
    parser.add_argument("--isolation", default="auto")
    args = parser.parse_args()
    group = CpuGroup.make()
    if group:
        (group.folder / "cgroup.procs").write_text(str(os.getpid()))
    mode = sandbox.choose(args.isolation)[0]
    problem = spec.load("dis02")
    server = ForkServer(mode, problem.spec.budgets.memory_mib << 20)
    requests = [0]
    asking = "send" if hasattr(ChildSession, "send") else "call"   # older checkouts: one call a request
    ask = getattr(ChildSession, asking)

    def counted(self, *a, **k):
        requests[0] += 1
        return ask(self, *a, **k)
    setattr(ChildSession, asking, counted)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_class(folder, args.size)
        paths = sorted(folder.iterdir())
        grade(paths[0], problem, 182, isolation=mode, server=server)   # the plan, made once
        requests[0] = 0
        profile = cProfile.Profile(time.process_time) if args.cpu_timer else cProfile.Profile()
        started, cpu, total = time.perf_counter(), own_cpu(), group.used() if group else 0.0
        if args.cprofile:
            profile.enable()
        for path in paths:
            grade(path, problem, 182, isolation=mode, server=server)
        profile.disable()
        took, cpu, total = time.perf_counter() - started, own_cpu() - cpu, (group.used() if group else 0.0) - total
    server.close()
    n = len(paths)
    sandbox_side = f", sandbox side {(total - cpu) / n * 1000:.1f} ms" if group else ""
    print(f"{n} submissions, {mode} isolation{' under cProfile' if args.cprofile else ''}: "
          f"{took / n * 1000:.1f} ms wall each; CPU each: judge {cpu / n * 1000:.1f} ms{sandbox_side}; "
          f"{requests[0] / n:.1f} requests each")
    if group:
        (Path("/sys/fs/cgroup/cpuacct") / "cgroup.procs").write_text(str(os.getpid()))
        group.remove()
    if args.cprofile:
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
