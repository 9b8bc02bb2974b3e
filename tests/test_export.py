"""`grader batch` on Gradescope's "Export Submissions" as it comes (its zip, its folder, the folder
it was unzipped into), each student graded with the seed Gradescope used for them (issue 14)."""
import json
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.batch import export
from grader.platforms import gradescope
from grader.platforms.gradescope import Config, GradescopeResults
from grader.submitters import seed_for, seed_from
from grader.core import models, score
from grader.core.score import PartResult
from tests.conftest import BASE, GRADER, ROOT, run_cli

DAVE = (ROOT / "submissions_example" / "dave_no_relu_mask.py").read_text()   # fails 1c and 1d
ASSIGNMENT = 731422


def notebook(source: str, broken_cell: bool = False) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Discussion 2"), nbformat.v4.new_code_cell(source)]
    if broken_cell:   # a load error, so the load messages are compared too
        nb.cells.append(nbformat.v4.new_code_cell("import numpy as np\nnp.zeros(3)[7]"))
    return nbformat.writes(nb)


# Ada's upload: the file the assignment names (buggy) and a copy Jupyter made (correct)
ADA_FILES = {"dis02.ipynb": notebook(DAVE, broken_cell=True), "dis02-Copy1.ipynb": notebook(BASE)}


def metadata_yml(students: dict[str, list[dict]]) -> str:
    """submission_metadata.yml as Gradescope writes it: Ruby symbols as keys."""
    out = []
    for folder, people in students.items():
        out.append(f"{folder}:\n  :submitters:")
        for person in people:
            out.append(f"  - :name: {person['name']}\n    :sid: '{person['sid']}'\n    :email: {person['email']}")
        out.append("  :created_at: 2025-09-12 23:41:07.123456000 -07:00\n  :score: 12.0\n  :status: processed")
    return "\n".join(out) + "\n"


STUDENTS = {
    "submission_240118": [{"name": "Ada Lovelace", "sid": "3031", "email": "ada.lovelace@example.edu"}],
    "submission_240119": [{"name": "Bob Babbage", "sid": "3032", "email": "bob@example.edu"}],
    "submission_240120": [{"name": "Cy Group", "sid": "3033", "email": "cy@example.edu"},
                          {"name": "Di Group", "sid": "3034", "email": "di@example.edu"}],
}


def make_export(where: Path, assignment: int = ASSIGNMENT) -> Path:
    folder = where / f"assignment_{assignment}_export"
    for name, source in ADA_FILES.items():
        (folder / "submission_240118").mkdir(parents=True, exist_ok=True)
        (folder / "submission_240118" / name).write_text(source)
    (folder / "submission_240119").mkdir()
    (folder / "submission_240119" / "dis02.ipynb").write_text(notebook(DAVE))
    (folder / "submission_240120" / "work").mkdir(parents=True)
    (folder / "submission_240120" / "work" / "dis02.ipynb").write_text(notebook(BASE))
    (folder / "submission_metadata.yml").write_text(metadata_yml(STUDENTS))
    return folder


def zip_folder(folder: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(folder.parent).as_posix())
    return zip_path


def documents(path: Path) -> dict[str, dict]:
    return {d["submission"]: d for d in map(json.loads, path.read_text().splitlines())}


def batch(source: Path, out: Path, *extra, timeout=300):
    done = run_cli("batch", source, "--out", out, "-j", "2", *extra, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return documents(out), done.stderr


# ---- the seed: Gradescope and batch agree -----------------------------------------------------

def test_batch_gives_each_student_what_gradescope_showed(tmp_path):
    """The same upload and student, once through `grader gradescope run` (metadata.json, with
    the email written differently) and once through `grader batch` on the export: every part's
    score, status and output, and the summary's messages, are equal."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "source").mkdir()
    for name, source in ADA_FILES.items():
        (root / "submission" / name).write_text(source)
    config = Config(hidden_visibility="visible", submission_name="dis02.ipynb")
    (root / "source" / "grader_gradescope.json").write_text(config.model_dump_json())
    (root / "submission_metadata.json").write_text(json.dumps({
        "id": 240118, "created_at": "2025-09-12T23:41:07.123-07:00", "submission_method": "upload",
        "assignment": {"id": ASSIGNMENT, "title": "Discussion 2", "total_points": 16.0},
        "users": [{"email": "  Ada.Lovelace@EXAMPLE.edu ", "id": 5551, "name": "Ada Lovelace"}],
        "previous_submissions": []}))
    ran = run_cli("gradescope", "run", "--root", root, timeout=300)
    assert ran.returncode == 0, ran.stderr
    shown = GradescopeResults.model_validate_json((root / "results" / "results.json").read_text())

    docs, said = batch(make_export(tmp_path / "download"), tmp_path / "out.jsonl", "--submission-name", "dis02.ipynb")
    assert "each submission's seed as on Gradescope (assignment 731422" in said
    ada = docs["submission_240118"]
    seed = shown.extra_data["seed"]
    assert ada["seed"] == seed != 182 and f"seed {seed}, fixed by this assignment" in shown.output
    assert ada["score"] == shown.score and ada["score"] < 16     # the buggy file, not the copy

    tests = {t.number: t for t in shown.tests}
    assert [p["id"] for p in ada["parts"] if p["status"] != "manual"] == list(tests)
    for part in ada["parts"]:
        if part["status"] != "manual":
            assert gradescope.part_test(models.validate(PartResult, part), config) == tests[part["id"]], part["id"]
    doc = score.read(ada)
    assert doc.load_messages and "IndexError" in doc.load_messages[0]
    # the summary, but for its first line ("Graded dis02.ipynb" against the folder's name)
    assert gradescope.summary(doc, config, "").splitlines()[1:] == shown.output.splitlines()[1:]

    # the comparison means something: another seed gives other messages for the same file
    other = json.loads(run_cli("check", root / "submission" / "dis02.ipynb", "--json", "--seed", "182").stdout)
    failed = [p["id"] for p in ada["parts"] if p["status"] == "failed"]
    assert failed and any(_messages(other, pid) != _messages(ada, pid) for pid in failed)


def _messages(doc: dict, part_id: str) -> list[str]:
    return [c["message"] for p in doc["parts"] if p["id"] == part_id for c in p["checks"]]


def test_seeds_are_per_student_and_normalised():
    users = [{"email": "Cy@Example.edu", "id": 1}, {"email": " di@example.edu", "id": 2}]
    live = seed_for({"assignment": {"id": ASSIGNMENT}, "users": users})
    assert live == seed_from(str(ASSIGNMENT), list(reversed(STUDENTS["submission_240120"])))
    assert live != seed_for({"assignment": {"id": ASSIGNMENT + 1}, "users": users})
    assert live != seed_for({"assignment": {"id": ASSIGNMENT}, "users": users[:1]})
    # no email: the name counts (whitespace and case aside); nobody, or no assignment: no seed
    assert seed_from(1, [{"name": " Ann  Lee", "email": ""}]) == seed_from("1", [{"name": "ann lee"}])
    assert seed_from(1, [{"name": "Ann Lee"}]) != seed_from(1, [{"name": "Ann Le"}])
    assert seed_from(1, [{"email": "", "name": ""}]) is None and seed_from(None, users) is None
    assert seed_for({"users": users}) is None


def test_zip_folder_and_outer_folder_grade_the_same(tmp_path):
    download = tmp_path / "download"
    folder = make_export(download)
    zipped = zip_folder(folder, tmp_path / f"assignment_{ASSIGNMENT}_export.zip")
    results = {}
    for name, source in (("folder", folder), ("outer", download), ("zip", zipped)):
        docs, said = batch(source, tmp_path / f"{name}.jsonl", "--submission-name", "dis02.ipynb")
        results[name] = {k: {**d, "elapsed_s": 0} for k, d in docs.items()}
        assert "Traceback" not in said
    assert results["folder"] == results["outer"] == results["zip"]
    docs = results["zip"]
    assert set(docs) == set(STUDENTS)                        # a row per submission, never one for all
    assert {k: [s["name"] for s in d["students"]] for k, d in docs.items()} == \
        {k: [p["name"] for p in people] for k, people in STUDENTS.items()}
    assert docs["submission_240120"]["score"] == 16 and docs["submission_240119"]["score"] < 16
    assert docs["submission_240120"]["seed"] == seed_from(ASSIGNMENT, STUDENTS["submission_240120"])
    assert len({d["seed"] for d in docs.values()}) == 3


def test_the_unzipped_folder_is_removed_afterwards(tmp_path):
    zipped = zip_folder(make_export(tmp_path / "download"), tmp_path / "export.zip")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    done = subprocess.run([*GRADER, "batch", str(zipped), "--out", str(tmp_path / "out.jsonl"), "-j", "1",
                           "--submission-name", "dis02.ipynb"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={**os.environ, "TMPDIR": str(scratch)}, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert len(documents(tmp_path / "out.jsonl")) == 3
    # the assignment id came from the folder inside the zip, not the zip's name
    assert "assignment 731422" in done.stderr
    assert not [p for p in scratch.iterdir() if p.name.startswith("grader-export-")]


def test_an_explicit_seed_wins_and_a_lost_assignment_id_is_said(tmp_path):
    folder = make_export(tmp_path / "download")
    docs, said = batch(folder, tmp_path / "fixed.jsonl", "--seed", "7", "--submission-name", "dis02.ipynb")
    assert {d["seed"] for d in docs.values()} == {7} and "seed 7 for every submission (--seed)" in said
    renamed = folder.rename(tmp_path / "dis02-export")
    docs, said = batch(renamed, tmp_path / "renamed.jsonl", "--submission-name", "dis02.ipynb")
    assert {d["seed"] for d in docs.values()} == {182} and "pass --assignment-id" in said
    docs, _ = batch(renamed, tmp_path / "given.jsonl", "--submission-name", "dis02.ipynb",
                    "--assignment-id", str(ASSIGNMENT))
    assert docs["submission_240118"]["seed"] == seed_from(ASSIGNMENT, STUDENTS["submission_240118"])


def test_shards_of_an_export_merge_but_not_with_a_fixed_seed(tmp_path):
    folder = make_export(tmp_path / "download")
    shards = []
    for i in range(2):
        shards.append(tmp_path / f"shard{i}.jsonl")
        batch(folder, shards[-1], "--shard", f"{i}/2", "--submission-name", "dis02.ipynb")
    assert run_cli("merge", tmp_path / "all.jsonl", *shards).returncode == 0
    assert len(documents(tmp_path / "all.jsonl")) == 3
    batch(folder, tmp_path / "fixed.jsonl", "--seed", "182", "--shard", "0/2", "--submission-name", "dis02.ipynb")
    mixed = run_cli("merge", tmp_path / "mixed.jsonl", shards[1], tmp_path / "fixed.jsonl")
    assert mixed.returncode == 2 and "different seeds" in mixed.stderr


# ---- --submission-name --------------------------------------------------------------------------

def test_submission_name_picks_the_named_file(tmp_path):
    folder = make_export(tmp_path / "download")
    named, _ = batch(folder, tmp_path / "named.jsonl", "--submission-name", "dis02.ipynb")
    assert named["submission_240118"]["score"] < 16                 # dis02.ipynb, the buggy one
    copy, _ = batch(folder, tmp_path / "copy.jsonl", "--submission-name", "dis02-Copy1.ipynb")
    assert copy["submission_240118"]["score"] == 16
    # a folder holding only other names: the only file is graded, as on Gradescope
    assert copy["submission_240119"]["score"] == named["submission_240119"]["score"]
    unnamed, _ = batch(folder, tmp_path / "unnamed.jsonl")
    message = unnamed["submission_240118"]["parts"][0]["checks"][0]["message"]
    assert "holds 2 .py or .ipynb files (dis02-Copy1.ipynb, dis02.ipynb); expected one" in message
    missing, _ = batch(folder, tmp_path / "missing.jsonl", "--submission-name", "hw.ipynb")
    assert "(name it hw.ipynb)" in missing["submission_240118"]["parts"][0]["checks"][0]["message"]


# ---- what is not an export ---------------------------------------------------------------------

def test_two_exports_in_one_folder_and_a_file_that_is_no_zip(tmp_path):
    make_export(tmp_path / "downloads", ASSIGNMENT)
    make_export(tmp_path / "downloads", ASSIGNMENT + 1)
    two = run_cli("batch", tmp_path / "downloads", "--out", tmp_path / "o.jsonl")
    assert two.returncode == 2 and "holds 2 Gradescope exports" in two.stderr and "Traceback" not in two.stderr
    (tmp_path / "grades.zip").write_text("not a zip")
    for path in (tmp_path / "grades.zip", tmp_path / "downloads" / f"assignment_{ASSIGNMENT}_export" /
                 "submission_metadata.yml"):
        done = run_cli("batch", path, "--out", tmp_path / "o.jsonl")
        assert done.returncode == 2 and "is a file but not a zip" in done.stderr, done.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_unreadable_metadata_is_an_error_not_a_class_without_names(tmp_path):
    folder = make_export(tmp_path / "download")
    (folder / "submission_metadata.yml").write_text("submission_240118: [unclosed\n")
    done = run_cli("batch", folder, "--out", tmp_path / "o.jsonl")
    assert done.returncode == 2 and "not readable YAML" in done.stderr and "Traceback" not in done.stderr


# ---- a hostile zip -----------------------------------------------------------------------------

def _member(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = stat.S_IFREG | 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def hostile_zip(path: Path) -> Path:
    """Entries that would leave the folder (`..`, an absolute path beside the zip), a link, a bomb,
    a name given twice, macOS's resource forks and a file that is not needed."""
    top = f"assignment_{ASSIGNMENT}_export"
    with zipfile.ZipFile(path, "w") as archive:
        _member(archive, f"{top}/submission_metadata.yml", metadata_yml(STUDENTS).encode())
        _member(archive, f"{top}/submission_240118/../../../escaped.py", BASE.encode())
        _member(archive, str(path.parent / "absolute.py"), BASE.encode())
        _member(archive, f"{top}/submission_240118/dis02.py", b"/etc/passwd", stat.S_IFLNK | 0o777)
        _member(archive, f"{top}/submission_240119/dis02.py", b"# " + b"0" * (30 << 20))   # a bomb: 30 MiB
        _member(archive, f"{top}/submission_240120/dis02.py", BASE.encode())
        _member(archive, f"{top}/submission_240120/dis02.py", b"raise SystemExit  # the second copy")
        _member(archive, f"__MACOSX/{top}/submission_240120/._dis02.py", b"\x00\x05\x16\x07")
        _member(archive, f"{top}/submission_240120/data.npy", b"\x93NUMPY" + b"\x00" * 1000)
    return path


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_a_hostile_zip_unpacks_nothing_outside_and_no_link(tmp_path):
    zipped = hostile_zip(tmp_path / "export.zip")
    assert zipped.stat().st_size < 1 << 20                       # the bomb compresses to little
    into = tmp_path / "a" / "b" / "c" / "into"
    into.mkdir(parents=True)
    done = export.extract(zipped, into)
    made = sorted(p.relative_to(into).as_posix() for p in into.rglob("*") if not p.is_dir())
    assert made == [f"assignment_{ASSIGNMENT}_export/submission_240119/dis02.py",
                    f"assignment_{ASSIGNMENT}_export/submission_240120/dis02.py",
                    f"assignment_{ASSIGNMENT}_export/submission_metadata.yml"]
    assert not list(tmp_path.rglob("escaped.py")) and not list(tmp_path.rglob("absolute.py"))
    assert not [p for p in tmp_path.rglob("*") if p.is_symlink()]
    bomb = into / f"assignment_{ASSIGNMENT}_export" / "submission_240119" / "dis02.py"
    assert bomb.stat().st_size == (20 << 20) + 1                  # cut where the reader refuses it
    kept = (into / f"assignment_{ASSIGNMENT}_export" / "submission_240120" / "dis02.py").read_text()
    assert kept == BASE                                           # a name given twice: the first
    said = " | ".join(done.skipped)
    assert "escaped.py (a path outside the export)" in said and "absolute.py (a path outside" in said
    assert "dis02.py (a symbolic link)" in said and "named twice" in said


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_a_hostile_zip_through_batch(tmp_path):
    docs, said = batch(hostile_zip(tmp_path / "export.zip"), tmp_path / "out.jsonl")
    assert set(docs) == set(STUDENTS)                # nobody lost, not even the one with nothing left
    assert docs["submission_240120"]["score"] == 16
    assert docs["submission_240118"]["score"] == 0 and docs["submission_240118"]["students"][0]["name"] == "Ada Lovelace"
    assert "the export holds no folder for it" in docs["submission_240118"]["parts"][0]["checks"][0]["message"]
    assert "larger than 20 MiB" in docs["submission_240119"]["parts"][0]["checks"][0]["message"]
    assert "a symbolic link" in said and "a path outside the export" in said


@pytest.mark.parametrize("bound, value, words", [
    ("MAX_ZIP_ENTRIES", 5, "holds more than 5 entries"),
    ("MAX_EXTRACTED_BYTES", 10_000, "unpacks to more than"),
])
def test_a_zip_past_its_bounds_is_refused(tmp_path, monkeypatch, bound, value, words):
    monkeypatch.setattr(export, bound, value)
    zipped = zip_folder(make_export(tmp_path / "download"), tmp_path / "export.zip")
    (tmp_path / "into").mkdir()
    with pytest.raises(export.ExportError, match=words):
        export.extract(zipped, tmp_path / "into")


def test_the_temporary_folder_goes_even_when_grading_fails(tmp_path, monkeypatch):
    zipped = zip_folder(make_export(tmp_path / "download"), tmp_path / "export.zip")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with pytest.raises(RuntimeError):
        with export.opened(zipped) as (folder, _):
            assert (folder / f"assignment_{ASSIGNMENT}_export" / "submission_metadata.yml").is_file()
            raise RuntimeError("a crash while grading")
    assert not list(tmp_path.glob("grader-export-*"))
