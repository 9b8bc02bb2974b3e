"""`grader new FOLDER`: a working problem set named after its folder, which `grader lint` passes
at once, whose examples/correct.py earns every point and examples/wrong.py does not, and whose
spec.toml mentions every key the spec models read."""
import dataclasses
import json
from typing import get_args, get_type_hints

from grader.core import spec as specs
from tests.conftest import run_cli


def _keys(model) -> set[str]:
    """Every field name of a model (a dataclass) and the models inside it."""
    found = set()
    for name, annotation in get_type_hints(model).items():
        found.add(name)
        for inner in _models(annotation):
            found |= _keys(inner)
    return found


def _models(annotation) -> list:
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models(arg)]


def test_a_new_problem_set_works_at_once(tmp_path):
    folder = tmp_path / "week3_layers"
    made = run_cli("new", folder)
    assert made.returncode == 0, made.stderr
    for name in ("spec.toml", "reference.py", "cases.py", "mistakes.py", "template.py", "kit.toml",
                 "examples/correct.py", "examples/wrong.py"):
        assert (folder / name).is_file(), name
    assert specs.load(str(folder)).spec.name == "week3_layers"

    linted = run_cli("lint", folder, timeout=300)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "no problems found" in linted.stdout and "note:" not in linted.stdout

    right = run_cli("check", folder / "examples" / "correct.py", "--problem", folder, "--json")
    assert right.returncode == 0, right.stdout
    doc = json.loads(right.stdout)
    assert doc["problem"] == "week3_layers" and doc["score"] == doc["max_score"]

    wrong = run_cli("check", folder / "examples" / "wrong.py", "--problem", folder, "--json")
    assert wrong.returncode == 1
    parts = {p["id"]: p for p in json.loads(wrong.stdout)["parts"]}
    assert {i for i, p in parts.items() if p["status"] == "failed"} == {"2", "3"}
    hints = {c["hint"] for p in parts.values() for c in p["checks"] if c.get("hint")}
    assert hints == {"the loss is missing its factor 1/2",
                     "dloss/dW is transposed: it has W's shape (k, d), entry (i, j) is r_i x_j"}


def test_every_spec_key_is_in_the_new_spec(tmp_path):
    folder = tmp_path / "p"
    assert run_cli("new", folder).returncode == 0
    text = (folder / "spec.toml").read_text()
    missing = sorted(k for k in _keys(specs.ProblemSpec) if k not in text)
    assert missing == []


def test_new_never_overwrites(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = run_cli("new", tmp_path / "taken")
    assert result.returncode == 2 and "already exists and is not an empty folder" in result.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
    assert run_cli("new", tmp_path / "bad name!").returncode == 2
