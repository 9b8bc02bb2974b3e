"""The `grader` command. Each subcommand is a small function over the engine."""
from __future__ import annotations

import sys
from pathlib import Path

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
@click.option("-v", "--verbose", is_flag=True, help="List passing checks too.")
@seed_option
@problem_option
@isolation_option
def check(submission: Path, as_json: bool, verbose: bool, seed: int, problem: str, isolation: str) -> None:
    """Grade one SUBMISSION (.py or .ipynb). Exit status: 0 all passed, 1 not, 2 misuse."""
    try:
        check_path(submission)
    except UsageError as err:
        raise click.UsageError(str(err)) from None
    doc = grade(submission, load_problem(problem), seed, isolation=isolation_mode(isolation))
    if as_json:
        click.echo(doc.model_dump_json(indent=2))
    else:
        click.echo(report(doc, verbose))
    sys.exit(0 if doc.all_passed else 1)


def main() -> None:
    try:
        cli(prog_name="grader")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
