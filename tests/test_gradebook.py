"""Gradebooks an LMS takes (issue 14, item 4): a roster joined on email or SID, in Canvas's and
Gradescope's own column layouts. The rosters in tests/rosters/ are written by hand in the layouts
of Canvas's gradebook export and Gradescope's roster download."""
import csv
import io
import json
from pathlib import Path

import pytest

from grader.batch import roster as rosters
from tests.conftest import BASE, ROOT, run_cli

ROSTERS = ROOT / "tests" / "rosters"
CANVAS = ROSTERS / "canvas_gradebook.csv"
CANVAS_INTEGRATION = ROSTERS / "canvas_integration_id.csv"
GRADESCOPE = ROSTERS / "gradescope_roster.csv"
DAVE = (ROOT / "submissions_example" / "dave_no_relu_mask.py").read_text()   # 14 of 16

# submission folder -> (its file, its submitters as submission_metadata.yml has them)
CLASS = {
    "submission_1": (BASE, [("Ada Lovelace", "3031", "ada.lovelace@example.edu")]),
    "submission_2": (DAVE, [("Bob Babbage", "", "BOB@example.edu")]),
    # Cy's email differs from both rosters' (Canvas: login "cy", Gradescope: CY@...): joined on SID
    "submission_3": (DAVE, [("Cy Group", "3033", "cy.group@alumni.example.edu"),
                            ("Di Group", "3034", "di@example.edu")]),
    "submission_4": (BASE, [("Zed Nobody", "9999", "zed@example.edu")]),                 # on no roster
    "submission_5": (DAVE, [("=HYPERLINK(\"http://evil\",\"x\")", "3036", "mal@example.edu")]),
}


def metadata() -> str:
    lines = []
    for folder, (_, people) in CLASS.items():
        lines.append(f"{folder}:\n  :submitters:")
        for name, sid, email in people:
            lines.append(f"  - :name: '{name}'\n    :sid: '{sid}'\n    :email: {email}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A graded export: results.jsonl."""
    base = tmp_path_factory.mktemp("gradebook")
    export = base / "assignment_1012_export"
    for folder, (source, _) in CLASS.items():
        (export / folder).mkdir(parents=True)
        (export / folder / "dis02.py").write_text(source)
    (export / "submission_metadata.yml").write_text(metadata())
    out = base / "results.jsonl"
    done = run_cli("batch", export, "--out", out, "-j", "2", timeout=300)
    assert done.returncode == 0, done.stderr
    scores = {d["submission"]: d["score"] for d in map(json.loads, out.read_text().splitlines())}
    assert scores == {"submission_1": 16, "submission_2": 14, "submission_3": 14, "submission_4": 16,
                      "submission_5": 14}
    return out


def gradebook(results: Path, tmp_path: Path, *args) -> tuple[list[list[str]], str]:
    out = tmp_path / "grades.csv"
    done = run_cli("gradebook", results, "--out", out, *args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline=""))), done.stderr


def no_formula(rows: list[list[str]]) -> None:
    assert not [c for row in rows for c in row if c.lstrip().startswith(("=", "+", "-", "@"))]


# ---- reading rosters ---------------------------------------------------------------------------

def test_canvas_roster_is_read_as_canvas_exports_it():
    roster = rosters.read(CANVAS)          # a byte-order mark and CR LF line ends, as Excel leaves them
    assert roster.kind == "canvas"
    assert roster.identity == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert list(roster.assignments.values()) == ["Discussion 1", "Discussion 2", "Homework 1"]
    assert roster.points["Discussion 2 (1012)"] == "16.00"
    # "Points Possible" is no student; "Student, Test" is Canvas's own test student, kept
    assert [p.name for p in roster.people] == ["Lovelace, Ada", "Babbage, Bob", "Group, Cy", "Group, Di",
                                               "Absent, Eve", '=HYPERLINK("http://evil","x")', "Student, Test"]
    cy = roster.people[2]
    assert (cy.email, cy.login, cy.sid) == ("", "cy", "3033")
    with_integration = rosters.read(CANVAS_INTEGRATION)      # Integration ID, and a manual-posting row
    assert with_integration.identity == ["Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Section"]
    assert [p.name for p in with_integration.people] == ["Lovelace, Ada", "Absent, Eve"]


def test_gradescope_roster_keeps_students_only():
    roster = rosters.read(GRADESCOPE)
    assert roster.kind == "gradescope" and roster.split_names
    assert [p.email for p in roster.people] == ["ada.lovelace@example.edu", "bob@example.edu", "cy@example.edu",
                                                "di@example.edu", "eve@example.edu"]   # no TA, no instructor


@pytest.mark.parametrize("content, words", [
    ("Name,Score\nAda,3\n", "neither a Canvas gradebook export"),
    ("", "is empty"),
    (b"Student,ID\n\xff\xfe\n", "not UTF-8"),
])
def test_a_bad_roster_is_a_usage_error(results, tmp_path, content, words):
    path = tmp_path / "roster.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    done = run_cli("gradebook", results, "--out", tmp_path / "g.csv", "--roster", path)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


# ---- the three formats ---------------------------------------------------------------------------

def test_canvas_gradebook_fills_the_rosters_own_column(results, tmp_path):
    rows, said = gradebook(results, tmp_path, "--roster", CANVAS, "--csv-format", "canvas", "--column", "Discussion 2")
    # nothing Canvas would take for a new assignment: its identity columns and one assignment
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Discussion 2 (1012)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "16"]
    by_id = {row[1]: row for row in rows[2:]}
    assert by_id["90001"] == ["Lovelace, Ada", "90001", "3031", "ada.lovelace@example.edu", "EECS 182 LEC 001", "16"]
    assert by_id["90002"][-1] == "14"              # email, whatever its case
    assert by_id["90003"][-1] == by_id["90004"][-1] == "14"    # a group: SID for Cy, email for Di
    assert by_id["90005"][-1] == "0" and by_id["90099"][-1] == "0"
    assert by_id["90006"][0] == "'=HYPERLINK(\"http://evil\",\"x\")" and by_id["90006"][-1] == "14"
    assert len(rows) == 2 + 7
    no_formula(rows)
    assert "no submission: Absent, Eve (3035): 0" in said and "no submission: Student, Test" in said
    assert "not on the roster: submission_4 (Zed Nobody zed@example.edu)" in said
    assert "Canvas will create" not in said


def test_canvas_column_by_id_and_with_integration_ids(results, tmp_path):
    rows, _ = gradebook(results, tmp_path, "--roster", CANVAS_INTEGRATION, "--csv-format", "canvas", "--column", "1012")
    assert rows[0][-2:] == ["Section", "Dis 2: Backprop (1012)"]
    assert rows[2] == ["Lovelace, Ada", "90001", "3031", "ada.lovelace@example.edu", "int-1", "EECS 182 LEC 001", "16"]
    assert rows[3][-1] == "0"


def test_canvas_column_found_by_the_problems_name_or_made_new(results, tmp_path):
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(CANVAS.read_text(encoding="utf-8-sig").replace("Discussion 2 (1012)", "DIS02 (1012)"))
    rows, said = gradebook(results, tmp_path, "--roster", renamed, "--csv-format", "canvas")
    assert rows[0][-1] == "DIS02 (1012)" and "Canvas will create" not in said
    rows, said = gradebook(results, tmp_path, "--roster", CANVAS, "--csv-format", "canvas")
    assert rows[0][-1].startswith("EECS 182 Discussion 2")     # the problem's title
    assert "Canvas will create it on import" in said


def test_canvas_needs_a_canvas_roster_and_a_real_column(results, tmp_path):
    for args, words in [((), "--csv-format canvas needs --roster"),
                        (("--roster", GRADESCOPE), "--csv-format canvas needs --roster"),
                        (("--roster", CANVAS, "--column", "Homework 9"), "names no assignment of the roster")]:
        done = run_cli("gradebook", results, "--out", tmp_path / "g.csv", "--csv-format", "canvas", *args)
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr, args
        assert not (tmp_path / "g.csv").exists()


def test_gradescope_layout_with_a_gradescope_roster(results, tmp_path):
    rows, said = gradebook(results, tmp_path, "--roster", GRADESCOPE, "--csv-format", "gradescope")
    assert rows[0][:9] == ["First Name", "Last Name", "SID", "Email", "Sections", "Total Score", "Max Points",
                           "Status", "Submission ID"]
    assert rows[0][9] == "1y: y = W2 max(0, W1 x + b1) + b2 (1 pts)" and len(rows[0]) == 9 + 14
    people = {row[3]: row for row in rows[1:]}
    assert list(people) == ["ada.lovelace@example.edu", "bob@example.edu", "cy@example.edu", "di@example.edu",
                            "eve@example.edu"]
    assert people["ada.lovelace@example.edu"][5:9] == ["16", "16", "Graded", "1"]
    assert people["cy@example.edu"][5:9] == ["14", "16", "Graded", "3"]        # joined on SID
    assert people["eve@example.edu"][5:9] == ["0", "16", "Missing", ""]       # the note: Missing
    parts = dict(zip(rows[0][9:], people["bob@example.edu"][9:]))
    assert parts["1c: dy/db1 (1 pts)"] == "0" and parts["1-sketch: the four derivative plots, kinks, jumps and " \
                                                        "slopes labelled (4 pts)"] == ""
    assert "not on the roster: submission_4" in said and "not on the roster: submission_5" in said
    no_formula(rows)


def test_plain_with_a_roster_has_every_student_and_a_note(results, tmp_path):
    rows, said = gradebook(results, tmp_path, "--roster", GRADESCOPE)
    head = rows[0]
    assert head[:4] == ["submission", "name", "email", "sid"] and head[-3:] == ["total", "max_total", "note"]
    table = [dict(zip(head, row)) for row in rows[1:]]
    assert [(r["name"], r["submission"], r["total"], r["note"]) for r in table] == [
        ("Ada Lovelace", "submission_1", "16", ""), ("Bob Babbage", "submission_2", "14", ""),
        ("Cy Group", "submission_3", "14", ""), ("Di Group", "submission_3", "14", ""),
        ("Eve Absent", "", "0", "no submission: 0"),
        ("Zed Nobody", "submission_4", "16", "not on the roster"),
        ("'=HYPERLINK(\"http://evil\",\"x\")", "submission_5", "14", "not on the roster")]
    assert "not on the roster: submission_4" in said
    no_formula(rows)


def test_plain_without_a_roster_is_as_before(results, tmp_path):
    rows, said = gradebook(results, tmp_path)
    assert rows[0][:4] == ["submission", "name", "email", "sid"] and rows[0][-2:] == ["total", "max_total"]
    assert len(rows) == 1 + 6 and said.strip() == f"wrote {tmp_path / 'grades.csv'}"


def test_batch_writes_the_canvas_gradebook_and_checks_it_before_grading(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.lovelace@example.edu.py").write_text(BASE)     # not an export: joined by its name
    (folder / "3032.py").write_text(DAVE)
    out, grades = tmp_path / "out.jsonl", tmp_path / "grades.csv"
    bad = run_cli("batch", folder, "--out", out, "--csv", grades, "--csv-format", "canvas", "--roster", CANVAS,
                  "--column", "Homework 9")
    assert bad.returncode == 2 and "names no assignment" in bad.stderr and not out.exists()
    assert run_cli("batch", folder, "--out", out, "--roster", CANVAS).returncode == 2    # --roster needs --csv
    done = run_cli("batch", folder, "--out", out, "--csv", grades, "--csv-format", "canvas", "--roster", CANVAS,
                   "--column", "Discussion 2 (1012)", timeout=300)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(grades.open(newline="", encoding="utf-8")))
    assert {row[0]: row[-1] for row in rows[2:]}["Lovelace, Ada"] == "16"
    assert {row[0]: row[-1] for row in rows[2:]}["Babbage, Bob"] == "14"     # the file named by SID
    assert "no submission: Absent, Eve" in done.stderr
