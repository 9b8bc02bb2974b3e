"""grader's own errors (grader.errors) end a command with their message and exit status, turned
into messages in one place (grader.cli.Command); grading a submission raises none of them."""
import json

import click
import pytest
from click.testing import CliRunner

from grader import errors
from grader.cli import Group
from grader.core import models
from grader.core.engine import grade
from tests.conftest import AUTO_PARTS, run_cli


def _group_raising(error: BaseException) -> click.Group:
    @click.group(cls=Group)
    def top():
        pass

    @top.group()
    def inner():
        pass

    @inner.command()
    def act():
        raise error
    return top


@pytest.mark.parametrize("error, status, usage", [
    (errors.SpecError("spec.toml is not a valid spec"), 2, False),   # a folder's content: no usage line
    (errors.UsageError("no such file: x.py"), 2, True),
    (errors.IsolationUnavailable("bubblewrap isolation is not available"), 2, True),
    (errors.KitError("the kit would give away the reference"), 1, False),
    (errors.Misconfigured("the autograder is misconfigured: x"), 1, False),
])
def test_an_error_of_ours_is_its_message_and_exit_status(error, status, usage):
    result = CliRunner().invoke(_group_raising(error), ["inner", "act"])
    assert result.exit_code == status, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)   # not ours, raised
    assert f"Error: {error}" in result.output
    assert ("Usage: top inner act" in result.output) == usage     # the command's own usage line
    assert "Traceback" not in result.output


def test_an_error_that_is_not_ours_is_not_hidden():
    result = CliRunner().invoke(_group_raising(RuntimeError("a bug of ours")), ["inner", "act"])
    assert isinstance(result.exception, RuntimeError)


def test_every_error_of_ours_has_an_exit_status():
    found = [cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, Exception)]
    assert len(found) >= 10
    for cls in found:
        assert issubclass(cls, errors.GraderError) and cls.exit_status in (1, 2), cls
        assert (cls.exit_status == 2) == issubclass(cls, errors.UsageError), cls


def test_the_engine_grades_a_missing_file_rather_than_raise_a_usage_error(tmp_path, dis02):
    doc = grade(tmp_path / "gone.py", dis02, 182)
    assert doc.score == 0 and {p.status for p in doc.parts if p.id in AUTO_PARTS} == {"error"}
    assert {c.kind for p in doc.parts for c in p.checks} == {"unreadable"}
    assert "gone.py: cannot read it (No such file or directory)" in doc.parts[0].checks[0].message


def test_a_kit_cannot_build_a_kit(tmp_path):
    kit_folder = tmp_path / "dis02"
    kit_folder.mkdir()
    from grader.platforms.otter.checks import public_problem
    from grader.platforms import kit
    problem = public_problem("dis02")
    (kit_folder / "spec.toml").write_text(kit.spec_without_hints(problem.folder / "spec.toml"))
    (kit_folder / "vectors.json").write_text(json.dumps(models.plain(problem.vectors)))
    done = run_cli("student-kit", tmp_path / "out", "--problem", kit_folder)
    assert done.returncode == 1, done.stderr
    assert "Error: this grader is itself a student kit" in done.stderr
    assert "Usage:" not in done.stderr and "Traceback" not in done.stderr
