"""The `grader` command. Each subcommand is a small function over the engine."""
from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from pathlib import Path

# The judge's arrays are tiny: BLAS threads would only spin. Set before NumPy is imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
# Our pydantic models are internal: no plugin (logfire and the like) has business with them, and
# looking for plugins reads every installed distribution's entry points on every command.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import click

from grader import DISTRIBUTION, sandbox, text
from grader.core import defaults
from grader.core.defaults import DEFAULT_PROBLEM, DEFAULT_SEED
from grader.errors import GraderError, ReportError, SpecError, UsageError
from grader.submissions.files import check_path

# NumPy, pydantic and the engine are imported by the commands that use them, not here: `grader
# check` starts its child first (grader.sandbox.early), and the child's start overlaps them.


def load_problem(name: str, **options):
    """grader.core.spec.load, imported on first use."""
    from grader.core import spec
    return spec.load(name, **options)


class Command(click.Command):
    """A command whose errors of ours (grader.errors) end it with their message and exit status,
    never a traceback: the one place they become messages."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GraderError as err:
            if getattr(err, "show_usage", False):   # misuse: click shows the command's usage too
                raise click.UsageError(str(err), ctx) from None
            failure = click.ClickException(str(err))
            failure.exit_code = err.exit_status
            raise failure from None


class Group(click.Group):
    command_class = Command
    group_class = type     # sub-groups are Groups too

def default_problem() -> str:
    """dis02 where it is installed (a checkout, the package); else the only problem installed, as
    in a student kit or an autograder's wheel, which hold just their own."""
    root = defaults.PROBLEMS_ROOT
    names = sorted(p.name for p in root.iterdir() if (p / "spec.toml").is_file()) if root.is_dir() else []
    return names[0] if len(names) == 1 and DEFAULT_PROBLEM not in names else DEFAULT_PROBLEM


problem_option = click.option("--problem", default=default_problem,
                              show_default=f"{DEFAULT_PROBLEM}, or a student kit's own problem",
                              help="A problem set by name (under problems/), or any folder holding spec.toml.")


def _file_in_the_way(folder: Path) -> Path | None:
    return next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)


def output_file(path: Path) -> Path:
    """A file the command will write: its folder is made if missing (`--out out/results.jsonl`);
    one that cannot be is a message, before any work is done."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        in_the_way = _file_in_the_way(path.parent)
        why = f"{in_the_way} is a file, not a folder" if in_the_way else \
            f"cannot make its folder {path.parent}: {err.strerror}"
        raise GraderError(f"cannot write {text.line(str(path))}: {text.line(why)}") from None
    if path.is_dir():
        raise UsageError(f"{text.line(str(path))} is a folder; name a file to write")
    return path


def output_folder(folder: Path) -> Path:
    """A folder a builder will write into (it makes it, once it has something to write): a file in
    the way is a message before any work is done."""
    in_the_way = _file_in_the_way(folder)
    if in_the_way:
        raise GraderError(f"cannot write into {text.line(str(folder))}: "
                          f"{text.line(str(in_the_way))} is a file, not a folder")
    return folder


isolation_option = click.option(
    "--isolation", type=click.Choice(["auto", *sandbox.MODES]), default="auto", show_default=True,
    help="How student code is walled off. auto takes the strongest available and warns when it "
         "is weaker than bubblewrap; naming a mode demands it and fails when it is unavailable.")
seed_option = click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
                           help="Seed of the randomized cases; the same seed gives the same result.")


_process_ends_after = [False]   # main(): this process runs one command, then exits (leave)


@contextlib.contextmanager
def no_cycle_collector():
    """One file's grading makes little cyclic garbage, but many objects (NumPy's, the plan's):
    Python's cycle collector would scan them over and over, a tenth of the time. In a
    process that exits next it stays off: turned on, its first pass would scan them all once more."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on and not _process_ends_after[0]:
            gc.enable()


def isolation_mode(requested: str) -> str:
    mode, warning = sandbox.choose(requested)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    return mode


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name=DISTRIBUTION)
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
    check_path(submission)
    from grader.sandbox import early
    early.start(isolation)   # first: its start overlaps the imports and the plan below
    if submission.is_symlink():   # named by the user, so followed; a batch never follows one
        click.echo(f"note: {text.line(str(submission))} is a symbolic link; grading the file it "
                   f"points to, {text.line(os.path.realpath(submission))}", err=True)
    with no_cycle_collector():
        from grader.core.engine import grade
        from grader.reports.terminal import report
        try:
            loaded = load_problem(problem, cached=True)   # as last validated: no pydantic (grader.core.validated)
            doc = grade(submission, loaded, seed, isolation=isolation_mode(isolation), detail=verbose)
        finally:
            early.discard()   # not taken (a problem set with its own modules, an unreadable file)
    kit = loaded.kit   # a student kit lists every check it ran, and what it did not
    if as_json:
        from grader.core.score import to_json
        click.echo(to_json(doc, indent=2))
    else:   # colours on a terminal only (click strips them otherwise), and never under NO_COLOR
        color = False if os.environ.get("NO_COLOR") else None
        click.echo(report(doc, verbose or kit), color=color)
        if kit:
            from grader.core.vectors import summary
            click.echo(summary(loaded), color=color)
    sys.exit(0 if doc.all_passed else 1)


def gradebook_options(command):
    """--csv-format, --roster and --column, shared by `batch` and `gradebook`."""
    for option in reversed([
        click.option("--csv-format", "csv_format", type=click.Choice(["plain", "canvas", "gradescope"]),
                     default="plain", show_default=True,
                     help="plain: a row per student, a column per part; canvas: the roster's columns and "
                          "one for this assignment, for Canvas's grade import; gradescope: the layout of "
                          "Gradescope's score export."),
        click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="A Canvas gradebook export or a Gradescope roster (CSV): a row per student on "
                          "it, joined on email or SID; those with no submission get 0."),
        click.option("--column", help="canvas: the roster's assignment column to fill (its name, with or "
                                      "without the \"(id)\", or the id); default: the one named as the "
                                      "problem, else a new one."),
    ]):
        command = option(command)
    return command


def _roster(path: Path | None, csv_format: str):
    from grader.batch.roster import RosterError, read
    if csv_format == "canvas" and path is None:
        raise click.UsageError("--csv-format canvas needs --roster: your Canvas gradebook export "
                               "(Grades > Export), whose columns Canvas matches students on")
    try:
        return read(path) if path else None
    except RosterError as err:
        raise click.UsageError(str(err)) from None


def _write_gradebook(documents: list[dict], path: Path, csv_format: str, roster, column: str | None,
                     problem_name: str) -> None:
    from grader.batch import gradebook
    from grader.batch.roster import RosterError
    try:
        loaded = load_problem(problem_name)
        titles = (loaded.spec.title, loaded.spec.name)
    except SpecError:
        titles = (problem_name,)
    try:
        notes = gradebook.write_csv(documents, path, csv_format, roster, column, titles)
    except RosterError as err:
        raise click.UsageError(str(err)) from None
    except OSError as err:
        raise click.ClickException(f"cannot write {text.line(str(path))}: {err.strerror}") from None
    for note in notes:
        click.echo(f"note: {text.line(note)}", err=True)


@cli.command()
@click.argument("folder", metavar="DIR_OR_ZIP", type=click.Path(exists=True, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON Lines file; a score document is appended as each submission finishes.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=os.cpu_count() or 1, show_default=True,
              help="Submissions graded at once (one judge process each).")
@click.option("--resume", is_flag=True, help="Skip the submissions OUT already holds.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a gradebook (see --csv-format).")
@gradebook_options
@click.option("--submission-name", help="In a folder holding several .py or .ipynb files, grade the one "
                                        "with this name (say homework.ipynb).")
@click.option("--assignment-id", help="The Gradescope assignment id, when the export's folder or zip is "
                                      "no longer named assignment_<id>_export.")
@click.option("--shard", default="0/1", show_default=True,
              help="Grade only shard i of N (0 <= i < N), for a job array; join with `grader merge`.")
@click.option("--seed", type=int, default=None,
              help="One seed for every submission. Default: in a Gradescope export, each submission's "
                   f"own, as Gradescope computed it; else {DEFAULT_SEED}.")
@problem_option
@isolation_option
def batch(folder: Path, out: Path, jobs: int, resume: bool, csv_path: Path | None, csv_format: str,
          roster: Path | None, column: str | None, submission_name: str | None, assignment_id: str | None,
          shard: str, seed: int | None, problem: str, isolation: str) -> None:
    """Grade every submission in DIR_OR_ZIP: its .py and .ipynb files, and each sub-folder holding
    one. A Gradescope export (its zip, its folder, or the folder it was unzipped into): each
    submission_<id> folder is one submission, its students and seed from submission_metadata.yml."""
    from grader.batch import export
    from grader.batch import workers as parallel   # here, so `grader check` does not pay for them
    from grader.batch.folders import assign_seeds, discover, in_shard, mend_tail, parse_shard, read_documents
    try:
        index, count = parse_shard(shard)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--shard") from None
    loaded = load_problem(problem)
    if not csv_path and (roster or column or csv_format != "plain"):
        raise click.UsageError("--roster, --column and --csv-format shape the gradebook: give --csv too")
    class_roster = _roster(roster, csv_format)
    if class_roster is not None and csv_format == "canvas":     # a wrong --column is found before grading
        from grader.batch.roster import RosterError, assignment_column
        try:
            assignment_column(class_roster, column, [loaded.spec.title, loaded.spec.name])
        except RosterError as err:
            raise click.UsageError(str(err)) from None
    mode = isolation_mode(isolation)
    output_file(out)
    if csv_path:
        output_file(csv_path)
    batch_seed = DEFAULT_SEED if seed is None else seed
    checking = None   # the command line is good: the preflight runs while the class is found
    if not loaded.kit:   # a problem set's mistake stops the batch, named, not every worker
        from grader.core.preflight import BeforeBatch
        checking = BeforeBatch(problem, batch_seed)
    try:
        with export.opened(folder) as (unpacked, extracted):
            if extracted is not None:
                for note in extracted.skipped[:10]:
                    click.echo(f"note: not unpacked from {text.line(folder.name)}: {note}", err=True)
            root = export.locate(unpacked) or unpacked
            if root != unpacked and extracted is None:
                click.echo(f"note: grading the Gradescope export in {text.line(str(root))}", err=True)
            found_id = assignment_id or export.assignment_id(root.name) or (
                export.assignment_id(folder.name) if extracted is not None else None)
            all_items = discover(root, submission_name, found_id)
            said = assign_seeds(all_items, seed, found_id, export.has_metadata(root))
            items = [item for item in all_items if in_shard(item.id, index, count)]
            mend_tail(out)
            done = {doc.get("submission") for doc in read_documents(out)} if resume else set()
            todo = [item for item in items if item.id not in done]
            click.echo(f"grading {len(todo)} submissions ({len(items) - len(todo)} already in {out}) "
                       f"with {jobs} jobs, {mode} isolation, {said}", err=True)
            with progress(len(todo)) as bar:
                try:
                    parallel.run(todo, out, jobs, batch_seed, problem, mode, on_done=lambda line: bar.update(1),
                                 preflight=checking)
                except KeyboardInterrupt:
                    sys.exit(130)
    except export.ExportError as err:
        raise click.UsageError(str(err)) from None
    if csv_path:
        _write_gradebook(read_documents(out), csv_path, csv_format, class_roster, column, problem)
    click.echo(f"wrote {out}" + (f" and {csv_path}" if csv_path else ""), err=True)


@cli.command("gradebook")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The CSV file to write.")
@gradebook_options
def gradebook_command(results: Path, out: Path, csv_format: str, roster: Path | None, column: str | None) -> None:
    """Write a gradebook CSV from RESULTS (a batch's JSON Lines) without grading again."""
    from grader.batch.folders import read_documents
    documents = read_documents(results)
    if not documents:
        raise click.UsageError(f"{text.line(str(results))} holds no score documents")
    _write_gradebook(documents, output_file(out), csv_format, _roster(roster, csv_format), column,
                     str(documents[0].get("problem", default_problem())))
    click.echo(f"wrote {out}", err=True)


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


@cli.command("student-kit")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@problem_option
def student_kit(folder: Path, problem: str) -> None:
    """Write into FOLDER a wheel that students pip install to run `grader check` with public
    checks only (fixed test vectors, finite differences of their own code), and a README.md.
    No reference solution goes in it."""
    from grader.platforms import kit
    load_problem(problem)
    try:
        wheel = kit.build(problem, output_folder(folder))
    except OSError as err:
        raise GraderError(f"cannot write into {text.line(str(folder))}: {err.strerror}") from None
    click.echo(f"wrote {wheel} and {folder / 'README.md'}", err=True)


@cli.command("new")
@click.argument("folder", type=click.Path(path_type=Path))
def new_command(folder: Path) -> None:
    """Write a working problem set into FOLDER (a new or empty folder; the problem is named after
    it): spec.toml with every key commented, reference.py, cases.py, mistakes.py, template.py,
    kit.toml, and examples/correct.py and examples/wrong.py to grade. See docs/authoring.md."""
    from grader.authoring.new import create
    for path in create(folder):
        click.echo(f"wrote {path}", err=True)
    click.echo(f"next: grader lint {folder}\n      grader check {folder / 'examples' / 'correct.py'} --problem {folder}",
               err=True)


@cli.command("lint")
@click.argument("problem", metavar="PROBLEM")
@click.option("--seeds", type=click.IntRange(1, 100), default=3, show_default=True,
              help=f"How many seeds to check at: {DEFAULT_SEED}, then 0, 1, 2, ...")
@click.option("--no-kit", is_flag=True, help="Skip the trial student-kit build and its leak scan.")
def lint_command(problem: str, seeds: int, no_kit: bool) -> None:
    """Check the problem set PROBLEM (a name under problems/, or a folder anywhere): its cases,
    every check run on the reference, its hints, template.py and a trial student kit. Says what
    is wrong, naming the part, output or hint. Exit status: 0 no problems, 1 problems found, 2 misuse."""
    from grader.authoring import lint
    chosen = (DEFAULT_SEED, *range(seeds - 1))
    folder, findings = lint.lint(problem, chosen, kit=not no_kit)
    click.echo(lint.summary(folder, findings, chosen))
    sys.exit(1 if findings.errors else 0)


@cli.command()
@click.argument("which")
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PNG files (made if missing).")
@click.option("--unit", type=int, default=None, help="Which hidden unit i to draw (the plot set's default if not given).")
@seed_option
@problem_option
@isolation_option
def plot(which: str, submission: Path, out: Path, unit: int | None, seed: int, problem: str, isolation: str) -> None:
    """Draw plot set WHICH (e.g. 1) from SUBMISSION's own functions, over the reference's where
    there is one. Exit status: 0 every curve drawn, 1 some could not be, 2 misuse."""
    from grader.plotting import readings as plotting
    check_path(submission)
    loaded = load_problem(problem, grading=False)   # the reference, where there is one, is drawn too
    result = plotting.make(submission, loaded, which, out, seed, unit, isolation_mode(isolation))
    click.echo(plotting.summary(result))
    sys.exit(0 if all(p.drawn and not p.problems for p in result.panels) else 1)


@cli.command()
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw the totals' distribution and each part's pass rate to this PNG.")
@click.option("--top", type=click.IntRange(1, 100), default=5, show_default=True,
              help="How many failing checks and slowest submissions to list.")
def summary(results: Path, plot_path: Path | None, top: int) -> None:
    """Per-part means and pass rates, common failures, errors, timeouts, slowest submissions."""
    from grader.batch import gradebook
    from grader.batch.folders import read_documents
    documents = read_documents(results)
    stats = gradebook.summarize(documents, top)
    click.echo(gradebook.render(stats))
    if plot_path:
        try:
            gradebook.plot(stats, output_file(plot_path))
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'sandgrade[plot]'") from None
        click.echo(f"wrote {plot_path}", err=True)


@cli.command("report")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--html", "html_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this HTML file: one self-contained page, plots inside.")
@click.option("--top", type=click.IntRange(1, 100), default=10, show_default=True,
              help="How many mistakes, failing checks and slowest submissions to list.")
def report_command(results: Path, html_path: Path, top: int) -> None:
    """A class report from RESULTS as one HTML file to open in a browser and share: the totals,
    each part's pass rate, common mistakes, errors and timeouts, and a sortable, searchable table
    of students whose rows open each one's feedback. Its numbers are `grader summary`'s."""
    from grader.reports import html as html_report
    from grader.batch.folders import read_documents
    try:
        page, plotted = html_report.build(read_documents(results), top, source=results.name)
    except ReportError as err:
        raise ReportError(f"{results}: {err}") from None
    try:
        output_file(html_path).write_text(page, encoding="utf-8")
    except OSError as err:
        raise GraderError(f"cannot write {html_path}: {err.strerror}") from None
    if not plotted:
        click.echo("note: no plots, as matplotlib is not installed (pip install 'sandgrade[plot]'); "
                   "the report shows tables instead", err=True)
    click.echo(f"wrote {html_path}", err=True)


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("parts", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def merge(out: Path, parts: tuple[Path, ...]) -> None:
    """Join the JSON Lines files of shards into OUT, one document per submission."""
    from grader.batch import gradebook
    from grader.batch.folders import read_documents
    documents = gradebook.latest([doc for part in parts for doc in read_documents(part)])
    # one seed for all, or one rule for all (a Gradescope export: each student's own seed)
    seeds = {doc.get("seed_rule") or doc.get("seed") for doc in documents}
    if len(seeds) > 1:
        raise UsageError(f"the shards were graded with different seeds: {sorted(map(str, seeds))}")
    with open(output_file(out), "w", encoding="utf-8") as sink:
        for doc in documents:
            sink.write(json.dumps(doc) + "\n")
    click.echo(f"wrote {len(documents)} documents to {out}", err=True)


@cli.group()
def gradescope() -> None:
    """A Gradescope autograder: build its zip, or run it as Gradescope does."""


@gradescope.command("build")
@click.argument("zip_path", metavar="ZIP", type=click.Path(dir_okay=False, path_type=Path))
@problem_option
@click.option("--hidden-visibility", type=click.Choice(["after_due_date", "after_published", "visible"]),
              default="after_due_date", show_default=True,
              help="When students see the parts graded by hidden randomized checks (their scores and "
                   "details); public checks are always shown in the summary.")
@click.option("--submission-name", help="The file to grade when an upload holds several (say homework.ipynb).")
def gradescope_build(zip_path: Path, problem: str, hidden_visibility: str, submission_name: str | None) -> None:
    """Write a Gradescope autograder ZIP (setup.sh, run_autograder, grader as a wheel)."""
    from grader.platforms.gradescope import Config
    from grader.platforms.gradescope_build import build
    loaded = load_problem(problem)
    output_folder(zip_path.parent)
    config = Config(hidden_visibility=hidden_visibility, submission_name=submission_name)
    try:
        build(zip_path, loaded, config)   # which makes the folder, once the problem is found buildable
    except OSError as err:
        raise GraderError(str(err)) from None
    click.echo(f"wrote {zip_path}", err=True)


@gradescope.command("run")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("/autograder"),
              show_default=True, help="Gradescope's folder: submission/, submission_metadata.json, results/.")
@isolation_option
def gradescope_run(root: Path, isolation: str) -> None:
    """Grade ROOT/submission and write ROOT/results/results.json, as run_autograder does."""
    from grader.platforms import gradescope as gs
    if not root.is_dir():
        raise UsageError(f"no such folder: {root}")
    results = gs.run(root, None if isolation == "auto" else isolation_mode(isolation))
    click.echo(f"wrote {root / 'results' / 'results.json'}: {results.score:g} points", err=True)


@cli.group()
def otter() -> None:
    """An Otter-Grader assignment scored by grader (needs pip install 'sandgrade[otter]')."""


@otter.command("build")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@problem_option
def otter_build(folder: Path, problem: str) -> None:
    """Write FOLDER: the student notebook, tests/ and autograder.zip, questions q<part>."""
    from grader.platforms.otter.build import build, template_warnings
    loaded = load_problem(problem)
    try:
        made = build(loaded, output_folder(folder))
    except OSError as err:
        raise GraderError(str(err)) from None
    for path in made:
        click.echo(f"wrote {path}", err=True)
    for warning in template_warnings(loaded):
        click.echo(f"warning: {text.line(warning)}", err=True)


def main() -> None:
    _process_ends_after[0] = True
    try:
        cli(prog_name="grader")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit as done:
        leave(done.code)


def leave(code) -> None:
    """Exit without tearing the interpreter down: freeing NumPy's and pydantic's objects one by one
    takes longer than grading a small file. The exit handlers still run and the output is flushed;
    where a thread of ours is still working, the ordinary exit waits for it."""
    import threading
    status = 0 if code is None else code if isinstance(code, int) else 1
    if not isinstance(code, (int, type(None))):
        click.echo(code, err=True)
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        sys.exit(status)
    import atexit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe (`grader check f.py | head`)
            pass
    os._exit(status)
