"""Issue 13, the quick half: files the commands write go into folders made for them (or a clear
message), a kit's `grader` defaults to the problem it holds, and the builders take any problem
folder, refusing plainly what they cannot build. The builds themselves: tests/test_platforms.py."""
import json
import re
import shutil
from pathlib import Path

import pytest

from grader import cli
from grader.core import defaults, spec
from grader.platforms import kit
from grader.platforms.otter import build as otter_build
from grader.platforms.otter import checks as otter_checks
from tests.conftest import ROOT, run_cli

TOY = ROOT / "tests" / "toy_problem"
TOY_RIGHT = "def cube(a, t):\n    return a * t ** 3\n\ndef grads(a, t):\n    return {'t': 3 * a * t * t}\n"


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> Path:
    """A batch of one toy submission, its --out and --csv in folders that did not exist."""
    base = tmp_path_factory.mktemp("class")
    (base / "subs").mkdir()
    (base / "subs" / "ada.py").write_text(TOY_RIGHT)
    done = run_cli("batch", "subs", "--out", "out/deep/results.jsonl", "--csv", "grades/class.csv",
                   "-j", "1", "--problem", TOY, cwd=base)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return base


def test_batch_makes_the_folders_of_its_out_and_csv(graded_class):
    [doc] = [json.loads(line) for line in (graded_class / "out" / "deep" / "results.jsonl").read_text().splitlines()]
    assert doc["score"] == 5 and doc["problem"] == "toy"
    assert "ada.py" in (graded_class / "grades" / "class.csv").read_text()


@pytest.mark.parametrize("args, written", [
    (["gradebook", "out/deep/results.jsonl", "--out", "new/a/grades.csv"], "new/a/grades.csv"),
    (["merge", "new/b/all.jsonl", "out/deep/results.jsonl"], "new/b/all.jsonl"),
    (["report", "out/deep/results.jsonl", "--html", "new/c/report.html"], "new/c/report.html"),
    (["summary", "out/deep/results.jsonl", "--plot", "new/d/class.png"], "new/d/class.png"),
], ids=["gradebook", "merge", "report", "summary"])
def test_every_command_writing_a_file_makes_its_folder(graded_class, args, written):
    done = run_cli(*args, cwd=graded_class)
    assert done.returncode == 0, done.stderr
    assert (graded_class / written).is_file() and (graded_class / written).stat().st_size > 0


@pytest.mark.parametrize("args", [
    ["batch", "subs", "--out", "a_file/results.jsonl", "-j", "1", "--problem", TOY],
    ["merge", "a_file/all.jsonl", "out/deep/results.jsonl"],
    ["gradescope", "build", "a_file/autograder.zip", "--problem", TOY],
], ids=["batch", "merge", "gradescope"])
def test_a_folder_that_cannot_be_made_is_a_message_before_any_work(graded_class, args):
    (graded_class / "a_file").write_text("in the way")
    done = run_cli(*args, cwd=graded_class)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.search(r"cannot write (into )?a_file", done.stderr) and "a_file is a file, not a folder" in done.stderr


@pytest.mark.parametrize("builder", [["student-kit", "a_file/kit"], ["otter", "build", "a_file/otter"]],
                         ids=["kit", "otter"])
def test_a_builder_whose_folder_cannot_be_made_says_so_before_building(tmp_path, builder):
    (tmp_path / "a_file").write_text("in the way")
    done = run_cli(*builder, "--problem", TOY, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot write into a_file/" in done.stderr and "a_file is a file, not a folder" in done.stderr


# ---- a kit's grader defaults to the problem it holds --------------------------------------------------

@pytest.mark.parametrize("installed, default", [
    (["dis02", "toy"], "dis02"),           # a checkout: the contract's default
    (["hw_softmax"], "hw_softmax"),        # a student kit or an autograder's wheel: its only problem
    (["dis02"], "dis02"),
    (["a", "b"], "dis02"),                 # several, none dis02: name one (dis02 is not found, and says so)
], ids=["checkout", "kit", "dis02-kit", "several"])
def test_the_default_problem_is_dis02_or_the_only_one_installed(tmp_path, monkeypatch, installed, default):
    for name in installed:
        (tmp_path / name).mkdir()
        (tmp_path / name / "spec.toml").write_text("")
    (tmp_path / "not_a_problem").mkdir()     # no spec.toml: not counted
    monkeypatch.setattr(defaults, "PROBLEMS_ROOT", tmp_path)
    assert cli.default_problem() == default


# ---- the builders take any folder, and refuse what they cannot build ---------------------------------

@pytest.fixture(scope="module")
def toy_kit_folder(tmp_path_factory) -> Path:
    """A student kit's problem folder (spec.toml and vectors.json, no reference)."""
    folder = tmp_path_factory.mktemp("toy_kit")
    shutil.copy(TOY / "spec.toml", folder)
    (folder / "vectors.json").write_text(kit._json(kit.make_vectors(spec.load(str(TOY)), kit.KitConfig())))
    return folder


@pytest.mark.parametrize("builder", [["gradescope", "build", "{out}/a.zip"], ["otter", "build", "{out}/otter"]],
                         ids=["gradescope", "otter"])
def test_a_builder_refuses_a_kits_problem(toy_kit_folder, tmp_path, builder):
    done = run_cli(*[a.format(out=tmp_path / "new") for a in builder], "--problem", toy_kit_folder)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "is a student kit's problem: it has no reference" in " ".join(done.stderr.split())
    assert not (tmp_path / "new").exists()      # nothing written, not even a folder


@pytest.mark.parametrize("builder", [["gradescope", "build", "{out}/a.zip"], ["otter", "build", "{out}/otter"],
                                     ["student-kit", "{out}/kit"]], ids=["gradescope", "otter", "kit"])
def test_a_spec_name_that_cannot_be_a_package_is_refused(tmp_path, builder):
    folder = tmp_path / "problem"
    shutil.copytree(TOY, folder, ignore=shutil.ignore_patterns("__pycache__"))
    spec_toml = folder / "spec.toml"
    spec_toml.write_text(spec_toml.read_text().replace('name = "toy"', 'name = "my-toy"'))
    done = run_cli(*[a.format(out=tmp_path / "out") for a in builder], "--problem", folder)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "name = 'my-toy' cannot name a folder in a package" in " ".join(done.stderr.split())


def test_no_such_problem_is_a_usage_error_for_every_builder(tmp_path):
    for builder in (["gradescope", "build", tmp_path / "a.zip"], ["otter", "build", tmp_path / "o"],
                    ["student-kit", tmp_path / "k"]):
        done = run_cli(*builder, "--problem", tmp_path / "nowhere")
        assert done.returncode == 2 and "no problem set named" in done.stderr and "Traceback" not in done.stderr


def test_template_cells_naming_no_part_are_warned_about(tmp_path):
    folder = tmp_path / "toy"
    shutil.copytree(TOY, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "template.py").write_text("# %% setup\nimport numpy as np\n\n# %% part v\ndef cube(a, t):\n"
                                        "    ...\n\n# %% part gg\ndef grads(a, t):\n    ...\n")
    problem = spec.load(str(folder))
    [warning] = otter_build.template_warnings(problem)
    assert "the cell `# %% part gg` names no part of the spec (v, g)" in warning
    sources = [c.source for c in otter_build.student_notebook(problem).cells if c.cell_type == "code"]
    assert any("def cube(a, t):" in s for s in sources) and not any("def grads" in s for s in sources)
    assert not any("is checked by calling" in s for s in sources)    # a template: no placeholders
    (folder / "template.py").unlink()
    [warning] = otter_build.template_warnings(spec.load(str(folder)))
    assert "has no template.py" in warning and "(cube, grads)" in warning


def test_a_notebook_check_on_a_problem_not_installed_says_what_to_do():
    with pytest.raises(AssertionError, match="this environment has no problem set 'nowhere' to check with .*"
                                             "install the course's student kit"):
        otter_checks.check_part("v", {}, problem="nowhere")
