"""The models are dataclasses that pydantic validates where a file is read (grader.core.models),
and `grader check` keeps a validated spec.toml or vectors.json in the folder's __pycache__
(grader.core.validated), so that its next run never imports pydantic. What is built from that
copy must be exactly what pydantic makes, an edit to the file must be seen, and nothing but
`grader check` may trust the copy."""
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grader.core import models, score, spec, validated, vectors
from tests.conftest import BASE, GRADER, ROOT, run_cli

FOLDERS = [ROOT / "problems" / "dis02", ROOT / "problems" / "hw_softmax", ROOT / "tests" / "toy_problem"]
ALICE = ROOT / "submissions_example" / "alice_correct.py"

# `grader check` in-process, then whether pydantic was imported: the one thing the cache is for.
CHECK_AND_TELL = """
import sys
from grader import cli
try:
    cli.cli(sys.argv[1:], standalone_mode=False)
except SystemExit as done:
    code = done.code
print("pydantic imported:", "pydantic" in sys.modules, "exit:", code)
"""


def check_in_process(*args, user_cache: Path) -> tuple[str, bool]:
    done = subprocess.run([sys.executable, "-c", CHECK_AND_TELL, "check", *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "XDG_CACHE_HOME": str(user_cache)})
    assert "Traceback" not in done.stderr, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("pydantic imported:"), done.stdout + done.stderr
    return done.stdout, last.split()[2] == "True"


def cached_copies(folder: Path, name: str = "spec.toml") -> list[Path]:
    return sorted((folder / validated.FOLDER).glob(f"{name}.*.json"))


@pytest.fixture
def user_cache(tmp_path) -> Path:
    return tmp_path / "user-cache"


@pytest.fixture
def problem_copy(tmp_path) -> Path:
    """dis02 in a folder of this test's own, so its cache is this test's."""
    folder = tmp_path / "dis02"
    shutil.copytree(ROOT / "problems" / "dis02", folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_a_spec_built_from_its_json_is_the_one_pydantic_validated(folder):
    made = spec.read_spec(folder)
    again = models.build(spec.ProblemSpec, json.loads(json.dumps(models.plain(made))))
    assert again == made
    assert type(again.parts[0].points) is float and type(again.budgets.memory_mib) is int


def test_a_kits_vectors_built_from_their_json_are_the_ones_pydantic_validated():
    from grader.platforms.otter.checks import public_problem
    stored = public_problem("dis02").vectors
    again = models.build(vectors.Vectors, json.loads(json.dumps(models.plain(stored))))
    assert again == stored
    kinds = {type(v).__name__ for case in again.cases.values() for v in case.inputs.values()}
    assert kinds >= {"Array", "float"}, kinds    # the union's members told apart by their keys


def test_a_score_document_reads_back_as_written(grade_source):
    doc = grade_source(BASE.replace("return dW1", "return 2 * dW1"))
    text = score.to_json(doc, indent=2)
    assert score.read(json.loads(text)) == doc
    assert "cases" not in json.loads(text)["parts"][0]["checks"][0]    # only asked for with --verbose


def test_the_second_check_does_not_import_pydantic(problem_copy, user_cache):
    out, imported = check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
    assert imported and "16/16" in out and "exit: 0" in out
    assert len(cached_copies(problem_copy)) == 1
    out, imported = check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
    assert not imported and "16/16" in out and "exit: 0" in out


def test_a_kits_second_check_does_not_import_pydantic(tmp_path, user_cache):
    from grader.platforms import kit
    from grader.platforms.otter.checks import public_problem
    folder = tmp_path / "dis02"
    folder.mkdir()
    (folder / "spec.toml").write_text(kit.spec_without_hints(ROOT / "problems" / "dis02" / "spec.toml"))
    (folder / "vectors.json").write_text(json.dumps(models.plain(public_problem("dis02").vectors)))
    first, imported = check_in_process(ALICE, "--problem", folder, user_cache=user_cache)
    assert imported and "Student kit: public checks only" in first
    assert len(cached_copies(folder, "vectors.json")) == 1
    second, imported = check_in_process(ALICE, "--problem", folder, user_cache=user_cache)
    assert not imported
    assert second.splitlines()[:-1] == first.splitlines()[:-1]    # the same report


def test_an_edited_spec_is_read_again(problem_copy, user_cache):
    check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
    path = problem_copy / "spec.toml"
    path.write_text(path.read_text().replace('title = "the MAP derivation"', 'title = "derive the MAP"'))
    out, imported = check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
    assert imported and "derive the MAP" in out and "the MAP derivation" not in out
    assert len(cached_copies(problem_copy)) == 1          # the old key's copy is gone
    path.write_text(path.read_text().replace("memory_mib = ", "memory_mib = -"))
    done = run_cli("check", ALICE, "--problem", problem_copy)
    assert done.returncode == 2 and "spec.toml is not a valid spec" in done.stderr
    assert "memory_mib must be greater than 0" in done.stderr and "Traceback" not in done.stderr


def test_a_damaged_copy_is_validated_again_and_replaced(problem_copy, user_cache):
    check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
    (copy,) = cached_copies(problem_copy)
    for damage in ("{not json", json.dumps({"name": "dis02"}), json.dumps({"typo": 1})):
        copy.write_text(damage)
        out, imported = check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
        assert imported and "16/16" in out
        assert json.loads(copy.read_text())["name"] == "dis02" and "parts" in json.loads(copy.read_text())


def test_a_folder_that_cannot_hold_a_copy_keeps_it_in_the_users_cache(problem_copy, user_cache):
    """A kit installed for everyone (a shared JupyterHub): its folder is not the student's to
    write, so the copy goes to their own cache folder; where neither can be written, every check
    validates, and still grades."""
    (problem_copy / validated.FOLDER).write_text("a file where the cache folder would go")
    out, imported = check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
    assert imported and "16/16" in out and "exit: 0" in out
    (copy,) = user_cache.glob("grader/*/spec.toml.*.json")
    out, imported = check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
    assert not imported and "16/16" in out
    user_cache.joinpath("grader").rename(user_cache / "moved")
    user_cache.joinpath("grader").write_text("nor here")
    for _ in range(2):
        out, imported = check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
        assert imported and "16/16" in out and "exit: 0" in out


def test_only_grader_check_trusts_the_copy(problem_copy, tmp_path, user_cache):
    """A copy planted under the right key changes what `grader check` reads (so the key is what
    guards it), and nothing else: a batch and lint validate spec.toml itself."""
    check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
    (copy,) = cached_copies(problem_copy)
    planted = json.loads(copy.read_text())
    planted["manual"][0]["title"] = "PLANTED"
    copy.write_text(json.dumps(planted))
    out, _ = check_in_process(ALICE, "--problem", problem_copy, user_cache=user_cache)
    assert "PLANTED" in out
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(ALICE, folder / "alice.py")
    done = run_cli("batch", folder, "--out", tmp_path / "results.jsonl", "--problem", problem_copy, "-j", "1")
    assert done.returncode == 0, done.stderr
    (doc,) = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [p["title"] for p in doc["parts"] if p["status"] == "manual"][0] != "PLANTED"
    # a hint calling a function nothing defines: refused by what reads the copy, not by lint
    part = planted["parts"][0]
    part["hints"] = [{"output": part["outputs"][0]["label"], "mistake": "planted_mistake(x)",
                      "message": "planted", "in_kit": False}]
    copy.write_text(json.dumps(planted))
    refused = run_cli("check", ALICE, "--problem", problem_copy)
    assert refused.returncode == 2 and "planted_mistake" in refused.stderr
    linted = run_cli("lint", problem_copy)
    assert linted.returncode == 0 and "no problems found" in linted.stdout, linted.stdout + linted.stderr


def test_a_bound_broken_in_a_spec_is_named():
    base = (ROOT / "problems" / "dis02" / "spec.toml").read_text()
    for edit, words in ((("points = 1\n", "points = -1\n"), "points must be at least 0"),
                        (("part = 3", "part = 0"), "part must be greater than 0"),
                        (("[budgets]", "[budgets]\nparts = 3"), "parts\n.*Unexpected keyword argument"),
                        (("part = 3", "part = \"soon\""), "part\n.*Input should be a valid number")):
        assert edit[0] in base, edit
        with pytest.raises(models.Invalid, match=words):
            models.validate(spec.ProblemSpec, tomllib.loads(base.replace(*edit, 1)))
