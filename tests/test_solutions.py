"""The evidence: correct solutions in many styles earn every point; each mutant (a plausible
mistake, tests/solutions/mutants.py) fails exactly the parts it breaks and passes the rest."""
import sys

import pytest

from grader.core.engine import grade
from tests.conftest import AUTO_PARTS, CORRECT, MANUAL_PARTS, SOLUTIONS, failing

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

BASE_SOURCE = (SOLUTIONS / "correct" / "vectorized.py").read_text()


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
@pytest.mark.parametrize("seed", [182, 7, 2024])
def test_correct_solution_gets_every_point(path, seed, dis02):
    doc = grade(path, dis02, seed)
    assert [p.id for p in doc.parts] == AUTO_PARTS + MANUAL_PARTS
    problems = {p.id: [c.message for c in p.checks if not c.passed and c.points] for p in doc.parts
                if p.status not in ("passed", "manual")}
    assert problems == {}
    assert doc.score == doc.max_score == 16


def test_enough_evidence():
    assert len(MUTANTS) >= 25
    assert len(CORRECT) >= 5 and any(p.suffix == ".ipynb" for p in CORRECT)
    covered = set().union(*(m.fails for m in MUTANTS))
    assert covered == set(AUTO_PARTS), "every part has a mutant that must fail it"


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_fails_exactly_its_parts(mutant, grade_source):
    doc = grade_source(apply(BASE_SOURCE, mutant))
    assert failing(doc) == set(mutant.fails), mutant.why
    for part in doc.parts:
        if part.id in mutant.fails:
            assert part.score < part.max_score
            assert any(not c.passed and c.message for c in part.checks)


def test_notebook_grades_like_its_source(dis02):
    notebook = grade(SOLUTIONS / "correct" / "notebook.ipynb", dis02, 182)
    source = grade(SOLUTIONS / "correct" / "notebook_source.py", dis02, 182)
    assert [(p.id, p.score) for p in notebook.parts] == [(p.id, p.score) for p in source.parts]
    assert "google.colab" in notebook.stand_ins and notebook.load_messages == []
