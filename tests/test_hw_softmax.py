"""The second worksheet, problems/hw_softmax (softmax, cross-entropy with an integer label, batch
norm forward and backward): correct solutions in several styles earn every point through
`grader check` and `grader batch`; each mutant (tests/hw_softmax/mutants.py) fails exactly its
parts, with its hint; the student kit's checks catch every mutant too."""
import json
from pathlib import Path

import pytest

from grader.core import spec
from grader.core.engine import grade
from grader.platforms import kit
from tests.conftest import failing, run_cli

from tests.hw_softmax.mutants import MUTANTS, patched

HERE = Path(__file__).parent / "hw_softmax"

CORRECT = sorted(p for p in (HERE / "correct").iterdir() if p.suffix in (".py", ".ipynb"))
AUTO = ["1a", "1b", "1c", "2a", "2b"]


@pytest.fixture(scope="module")
def problem():
    return spec.load("hw_softmax")


def test_enough_evidence():
    assert len(CORRECT) >= 5 and any(p.suffix == ".ipynb" for p in CORRECT)
    assert len(MUTANTS) >= 15
    assert set().union(*(m.fails for m in MUTANTS)) == set(AUTO), "every part has a mutant that must fail it"
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_correct_solution_through_grader_check(path):
    result = run_cli("check", path, "--problem", "hw_softmax", "--json")
    doc = json.loads(result.stdout)
    problems = {p["id"]: [c["message"] for c in p["checks"] if not c["passed"] and c["points"]]
                for p in doc["parts"] if p["status"] not in ("passed", "manual")}
    assert result.returncode == 0 and problems == {}
    assert [p["id"] for p in doc["parts"]] == AUTO + ["1-why"]
    assert doc["score"] == doc["max_score"] == 10


@pytest.mark.parametrize("seed", [7, 2024])
def test_correct_solutions_at_other_seeds(seed, problem):
    for path in CORRECT:
        assert failing(grade(path, problem, seed)) == set(), (path.name, seed)


@pytest.fixture(scope="module")
def batch_documents(tmp_path_factory):
    """Every mutant and every correct solution, graded by one `grader batch`."""
    folder = tmp_path_factory.mktemp("class")
    for mutant in MUTANTS:
        (folder / f"{mutant.name}.py").write_text(patched(mutant))
    for path in CORRECT:
        (folder / f"correct-{path.name}").write_bytes(path.read_bytes())
    out = folder.parent / "results.jsonl"
    result = run_cli("batch", folder, "--out", out, "--problem", "hw_softmax", "-j", "2", timeout=600)
    assert result.returncode == 0, result.stderr
    documents = [json.loads(line) for line in out.read_text().splitlines()]
    return {Path(doc["submission"]).stem: doc for doc in documents}


def _failing(doc) -> set[str]:
    return {p["id"] for p in doc["parts"] if p["status"] in ("failed", "error")}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_fails_exactly_its_parts_through_grader_batch(mutant, batch_documents):
    doc = batch_documents[mutant.name]
    assert _failing(doc) == set(mutant.fails), mutant.why
    if mutant.hint:
        hints = [c["hint"] for p in doc["parts"] for c in p["checks"] if c.get("hint")]
        assert any(h.startswith(mutant.hint) for h in hints), hints


def test_correct_solutions_through_grader_batch(batch_documents):
    correct = {name: doc for name, doc in batch_documents.items() if name.startswith("correct-")}
    assert len(correct) == len(CORRECT)
    assert all(doc["score"] == doc["max_score"] == 10 for doc in correct.values())


def test_a_mutant_through_grader_check(tmp_path):
    mutant = next(m for m in MUTANTS if m.name == "bn-dgamma-not-summed")
    path = tmp_path / "answer.py"
    path.write_text(patched(mutant))
    result = run_cli("check", path, "--problem", "hw_softmax")
    assert result.returncode == 1
    assert "hint: dgamma is not summed over the batch" in result.stdout


@pytest.mark.parametrize("seed", [7, 2024])
def test_mutants_at_other_seeds(seed, problem, tmp_path):
    path = tmp_path / "answer.py"
    for mutant in MUTANTS:
        path.write_text(patched(mutant))
        assert failing(grade(path, problem, seed)) == set(mutant.fails), (mutant.name, seed)


def test_the_kit_catches_every_mutant(problem, tmp_path):
    """The student kit's public checks (its fixed vectors, kit.toml's picks, and finite
    differences of the student's own forward, which the kit scores) fail each mutant on its
    parts, and on no other part but the gradient of a wrong forward (1b's in 1c, 2a's in 2b)."""
    public = tmp_path / "hw_softmax"
    public.mkdir()
    (public / "spec.toml").write_text(kit.spec_without_hints(problem.folder / "spec.toml"))
    (public / "vectors.json").write_text(json.dumps(kit.make_vectors(problem, kit.load_config(problem.folder))))
    kit_problem = spec.load(str(public))
    assert kit_problem.kit
    for path in CORRECT:
        assert failing(grade(path, kit_problem, 182)) == set(), path.name
    answer = tmp_path / "answer.py"
    for mutant in MUTANTS:
        answer.write_text(patched(mutant))
        forward_of = {"1b": "1c", "2a": "2b"}
        found = failing(grade(answer, kit_problem, 182))
        assert set(mutant.fails) <= found <= set(mutant.fails) | {forward_of[p] for p in mutant.fails
                                                                  if p in forward_of}, (mutant.name, found)
