"""The `grader` command. Each subcommand is a small function over the engine."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# The judge's arrays are tiny: BLAS threads would only spin. Set before NumPy is imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import click

from grader import sandbox
from grader import spec as specs
from grader.cases import DEFAULT_SEED
from grader.engine import grade
from grader.render import report
from grader.submission import UsageError, check_path

problem_option = click.option("--problem", default=specs.DEFAULT_PROBLEM, show_default=True,
                              help="A problem set under problems/, or a folder holding spec.toml.")
isolation_option = click.option(
    "--isolation", type=click.Choice(["auto", *sandbox.MODES]), default="auto", show_default=True,
    help="How student code is walled off. auto takes the strongest available and warns when it "
         "is weaker than bubblewrap; naming a mode demands it and fails when it is unavailable.")
seed_option = click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
                           help="Seed of the randomized cases; the same seed gives the same result.")


def isolation_mode(requested: str) -> str:
    try:
        mode, warning = sandbox.choose(requested)
    except sandbox.IsolationUnavailable as err:
        raise click.UsageError(str(err)) from None
    if warning:
        click.echo(f"warning: {warning}", err=True)
    return mode


def load_problem(name: str) -> specs.Problem:
    try:
        return specs.load(name)
    except specs.SpecError as err:
        raise click.UsageError(str(err)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="grader")
def cli() -> None:
    """Grade numeric deep-learning homework in a sandbox."""


@cli.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the score document as JSON, and nothing else.")
@click.option("-v", "--verbose", is_flag=True,
              help="List passing checks too, and every case of every check (with --json: each "
                   "check's per-case results).")
@seed_option
@problem_option
@isolation_option
def check(submission: Path, as_json: bool, verbose: bool, seed: int, problem: str, isolation: str) -> None:
    """Grade one SUBMISSION (.py or .ipynb). Exit status: 0 all passed, 1 not, 2 misuse."""
    try:
        check_path(submission)
    except UsageError as err:
        raise click.UsageError(str(err)) from None
    doc = grade(submission, load_problem(problem), seed, isolation=isolation_mode(isolation),
                detail=verbose)
    if as_json:
        click.echo(doc.model_dump_json(indent=2))
    else:   # colours on a terminal only (click strips them otherwise), and never under NO_COLOR
        click.echo(report(doc, verbose), color=False if os.environ.get("NO_COLOR") else None)
    sys.exit(0 if doc.all_passed else 1)


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON Lines file; a score document is appended as each submission finishes.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=os.cpu_count() or 1, show_default=True,
              help="Submissions graded at once (one judge process each).")
@click.option("--resume", is_flag=True, help="Skip the submissions OUT already holds.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a gradebook: a row per student, a column per part, the total.")
@click.option("--shard", default="0/1", show_default=True,
              help="Grade only shard i of N (0 <= i < N), for a job array; join with `grader merge`.")
@seed_option
@problem_option
@isolation_option
def batch(folder: Path, out: Path, jobs: int, resume: bool, csv_path: Path | None, shard: str,
          seed: int, problem: str, isolation: str) -> None:
    """Grade every submission in FOLDER: its .py and .ipynb files, and each sub-folder holding one
    (a Gradescope export's submission_metadata.yml names the students)."""
    from grader import gradebook, parallel   # here, so `grader check` does not pay for them
    from grader.batch import discover, in_shard, mend_tail, parse_shard, read_documents
    try:
        index, count = parse_shard(shard)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--shard") from None
    load_problem(problem)
    mode = isolation_mode(isolation)
    items = [item for item in discover(folder) if in_shard(item.id, index, count)]
    mend_tail(out)
    done = {doc.get("submission") for doc in read_documents(out)} if resume else set()
    todo = [item for item in items if item.id not in done]
    click.echo(f"grading {len(todo)} submissions ({len(items) - len(todo)} already in {out}) "
               f"with {jobs} jobs, {mode} isolation, seed {seed}", err=True)
    with progress(len(todo)) as bar:
        try:
            parallel.run(todo, out, jobs, seed, problem, mode, on_done=lambda line: bar.update(1))
        except KeyboardInterrupt:
            sys.exit(130)
    if csv_path:
        gradebook.write_csv(read_documents(out), csv_path)
    click.echo(f"wrote {out}" + (f" and {csv_path}" if csv_path else ""), err=True)


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def progress(length: int):
    """click's progress bar on a terminal; nothing when stderr is a file or a pipe."""
    if sys.stderr.isatty():
        return click.progressbar(length=length, label="grading", file=sys.stderr, show_pos=True, show_eta=True)
    return _NoBar()


@cli.command()
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw the totals' distribution and each part's pass rate to this PNG.")
@click.option("--top", type=click.IntRange(1, 100), default=5, show_default=True,
              help="How many failing checks and slowest submissions to list.")
def summary(results: Path, plot_path: Path | None, top: int) -> None:
    """Per-part means and pass rates, common failures, errors, timeouts, slowest submissions."""
    from grader import gradebook
    from grader.batch import read_documents
    documents = read_documents(results)
    stats = gradebook.summarize(documents, top)
    click.echo(gradebook.render(stats))
    if plot_path:
        try:
            gradebook.plot(stats, plot_path)
        except ImportError:
            raise click.UsageError("--plot needs matplotlib: pip install 'grader[plot]'") from None
        click.echo(f"wrote {plot_path}", err=True)


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("parts", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def merge(out: Path, parts: tuple[Path, ...]) -> None:
    """Join the JSON Lines files of shards into OUT, one document per submission."""
    from grader import gradebook
    from grader.batch import read_documents
    documents = gradebook.latest([doc for part in parts for doc in read_documents(part)])
    seeds = {doc.get("seed") for doc in documents}
    if len(seeds) > 1:
        raise click.UsageError(f"the shards were graded with different seeds: {sorted(seeds)}")
    with open(out, "w", encoding="utf-8") as sink:
        for doc in documents:
            sink.write(json.dumps(doc) + "\n")
    click.echo(f"wrote {len(documents)} documents to {out}", err=True)


def main() -> None:
    try:
        cli(prog_name="grader")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
