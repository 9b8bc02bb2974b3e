"""Inputs reach the student as the case generator made them: ints as ints, bools as bools, int
and bool arrays with their dtype, floats as float64 (issue 13: `z[label]` with a float label
raised IndexError for correct work). In the full grader and in the student kit alike."""
import json

import pytest

from grader.core import spec
from grader.core.engine import grade
from grader.platforms import kit
from tests.conftest import failing

SPEC = '''
name = "typed"
title = "Inputs of every type"

[case_sets.pick]
function = "pick_cases"
families = { random = 8 }

[[parts]]
id = "p"
title = "z[label], scaled unless masked"
points = 1
cases = "pick"
outputs = [{ label = "picked", student = "pick(z, label, flip, rows)" }]
'''

CASES = '''
import numpy as np
from grader.core.cases import Case


def pick_cases(rng, family, index):
    return Case({"z": rng.normal(size=4), "label": int(rng.integers(0, 4)), "flip": bool(index % 2),
                 "rows": rng.integers(0, 4, size=3)})
'''

REFERENCE = '''
def pick(z, label, flip, rows):
    return float(-z[label] if flip else z[label]) + float(z[rows].sum())


REFERENCES = [{"pick": pick}]
'''

STRICT_ABOUT_TYPES = '''
import numpy as np


def pick(z, label, flip, rows):
    assert type(label) is int and type(flip) is bool, (type(label), type(flip))
    assert z.dtype == np.float64 and rows.dtype == np.int64, (z.dtype, rows.dtype)
    return float(-z[label] if flip else z[label]) + float(z[rows].sum())
'''


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("problems") / "typed"
    folder.mkdir()
    for name, text in (("spec.toml", SPEC), ("cases.py", CASES), ("reference.py", REFERENCE)):
        (folder / name).write_text(text)
    return folder


def test_inputs_keep_their_types(typed, tmp_path):
    path = tmp_path / "answer.py"
    path.write_text(STRICT_ABOUT_TYPES)
    doc = grade(path, spec.load(str(typed)), 182)
    assert failing(doc) == set(), [c.message for p in doc.parts for c in p.checks if not c.passed]


def test_a_float_label_is_still_caught(typed, tmp_path):
    """The check can fail: a student who turns the label into a float indexes with a float."""
    path = tmp_path / "answer.py"
    path.write_text(STRICT_ABOUT_TYPES.replace("    assert type", "    label = float(label)\n    assert type"))
    assert failing(grade(path, spec.load(str(typed)), 182)) == {"p"}


def test_the_kit_keeps_them_too(typed, tmp_path):
    vectors = kit.make_vectors(spec.load(str(typed)), kit.load_config(typed))
    public = tmp_path / "typed"
    public.mkdir()
    (public / "spec.toml").write_text(SPEC)
    (public / "vectors.json").write_text(json.dumps(vectors))
    path = tmp_path / "answer.py"
    path.write_text(STRICT_ABOUT_TYPES)
    doc = grade(path, spec.load(str(public)), 182)
    assert failing(doc) == set(), [c.message for p in doc.parts for c in p.checks if not c.passed]


def test_messages_show_them_as_the_student_got_them(typed, tmp_path):
    """A failing case's inputs show an int as 3, a bool as True and an int array as [0, 2, 1],
    not as the floats 3.0, 1.0 and [0., 2., 1.] the student never saw."""
    path = tmp_path / "answer.py"
    path.write_text(STRICT_ABOUT_TYPES.replace("return float(", "return 1.0 + float("))
    doc = grade(path, spec.load(str(typed)), 182)
    message = next(c.message for p in doc.parts for c in p.checks if not c.passed)
    inputs = dict(line.strip().split(" = ", 1) for line in message.splitlines() if line.startswith("  ") and " = " in line)
    assert inputs["label"].isdigit() and inputs["flip"] in ("True", "False"), inputs
    assert "." not in inputs["rows"] and inputs["rows"].startswith("["), inputs
