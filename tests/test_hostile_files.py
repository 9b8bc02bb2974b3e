"""Students who attack the file layer and the instructor's terminal (issue 11, items 3, 4, 7).

A student decides the names and kinds of the files in their folder. Grader reads as root, so a
symbolic link, a FIFO or a device in place of the submission must get a score document saying
what it was, never the score of the file it points to; a name of any bytes, a folder of any
depth or size must not stop anyone else being graded; and no name, exception type or message
may put a control character on the instructor's terminal, a raw one in the CSV gradebook, or a
formula in a spreadsheet. Each test runs the commands as an instructor would.
"""
import csv
import dataclasses
import io
import json
import os
import stat
import subprocess
import unicodedata
from pathlib import Path

import click
import pytest

from grader import text
from grader.sandbox import isolation as sandbox
from grader.batch.folders import MAX_DEPTH, MAX_ENTRIES, discover
from grader.core.engine import grade
from tests.conftest import AUTO_PARTS, BASE, MANUAL_PARTS, run_cli, sabotage

# written out by hand, not taken from grader.text: what must never reach a terminal or a cell
HOSTILE = ["\x1b", "\x07", "\x08", "\r", "\x00", "\x7f", "\x9b", "\x9d", "\x90", "\x85",
           "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
           "\u200b", "\u200e", "\u200f", "\u061c", "\u2028", "\u2029", "\ufeff", "\U000e0041"]
# an exception class whose name and message carry an OSC title, a clear-screen, an 8-bit CSI,
# a bidi override and an undecodable byte
EVIL_RAISE = ('raise type("Evil\\x1b]0;owned\\x07\\x1b[2J\\u202e", (Exception,), {})'
              '("boom\\x9b31m\\x9d0;t\\x90\\udcff\\u2066")')


def shown_badly(output: str, allowed: str = "\n") -> list[str]:
    """Characters a terminal or a spreadsheet would act on or hide: controls (but `allowed`),
    format characters (bidi, zero-width), separators, surrogates."""
    return [c for c in output if c not in allowed and (
        c in HOSTILE or unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp"))]


def _unchecked(model, **fields):
    """A score model made without its own cleaning (__post_init__), as a document from elsewhere
    might hold: the renderers must clean it themselves."""
    made = object.__new__(model)
    defaults = {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
                for f in dataclasses.fields(model)
                if (f.default, f.default_factory) != (dataclasses.MISSING, dataclasses.MISSING)}
    made.__dict__.update({**defaults, **fields})
    return made


def documents(path: Path) -> dict[str, dict]:
    raw = path.read_bytes()
    assert b"\x1b" not in raw and "\u202e".encode() not in raw and "\x9b".encode() not in raw
    return {d["submission"]: d for d in map(json.loads, raw.decode("utf-8").splitlines())}


def first_message(doc: dict) -> str:
    return doc["parts"][0]["checks"][0]["message"]


def assert_refused(doc: dict, *words: str) -> None:
    """Nothing earned, every part present, every auto part an error that says why."""
    assert doc["score"] == 0
    assert [p["id"] for p in doc["parts"]] == AUTO_PARTS + MANUAL_PARTS
    assert all(p["status"] == "error" for p in doc["parts"] if p["id"] in AUTO_PARTS)
    assert all(p["status"] == "manual" for p in doc["parts"] if p["id"] in MANUAL_PARTS)
    for word in words:
        assert word in first_message(doc), (word, first_message(doc))


def make_deep(folder: Path, levels: int, source: str) -> None:
    """folder/a/a/.../a/sol.py, `levels` deep: made through descriptors (the path is too long)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(levels):
        os.mkdir("a", dir_fd=fd)
        below = os.open("a", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = below
    file_fd = os.open("sol.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(file_fd, source.encode())
    os.close(file_fd)
    os.close(fd)


def remove_deep(folder: Path) -> None:
    """Undo make_deep without recursion (shutil.rmtree recurses once per level)."""
    fds = [os.open(folder, os.O_RDONLY | os.O_DIRECTORY)]
    while True:
        try:
            fds.append(os.open("a", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
        except FileNotFoundError:
            break
    for name in os.listdir(fds[-1]):
        os.unlink(name, dir_fd=fds[-1])
    os.close(fds.pop())
    while fds:
        os.rmdir("a", dir_fd=fds[-1])
        os.close(fds.pop())


@pytest.fixture
def secret(tmp_path):
    """A correct solution outside the class folder that only root may read."""
    folder = tmp_path / "secret"
    folder.mkdir(mode=0o700)
    path = folder / "sol.py"
    path.write_text(BASE)
    os.chmod(path, 0o600)
    return path


def _device(path) -> bool:
    """A character device node (a copy of /dev/null's numbers), where this machine allows one."""
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        return True
    except (PermissionError, OSError):
        return False


@pytest.fixture
def hostile_class(tmp_path, secret):
    """A class folder: honest students, students with odd names who must be graded as usual,
    and attackers, each mapped to what their document must say."""
    root = tmp_path / "class"
    root.mkdir()
    raw = os.fsencode(root) + b"/"

    def put(name: bytes, source: str = BASE) -> None:
        os.makedirs(os.path.dirname(raw + name), exist_ok=True)
        with open(raw + name, "w") as f:
            f.write(source)

    # honest, and oddly named (each must score 16): id in the documents -> file
    put(b"ann.py")
    put(b"bob/hw/sol.py")
    put(b"caf\xe9.py")                                        # Latin-1, not UTF-8
    put(b"d\xff\xfe/sol.py")
    put(b"\x1b]0;owned\x07\x1b[2J\xc2\x9b31m\x9b/sol.py")     # OSC, clear, C1 CSI (UTF-8 and raw)
    put("ann\u202e\u2066yp.py".encode())                     # bidi: shows as "annpy.py" reversed
    put(b"new\nline\rx/sol.py")
    put(b"\\xff/sol.py")                                     # shown like the next one: numbered
    put(b"\xff/sol.py")
    put(b"=HYPERLINK(\"http:evil\";\"x\")/sol.py")
    for name in (b"+SUM(1+1)", b"-2+3", b"@cmd", b"\t=1+1", "\uff1d1".encode()):
        put(name + b"/sol.py")
    put(b"raiser.py", sabotage("dy_db2", EVIL_RAISE))           # loses 1a, with a hostile exception
    put(b"submission_7/sol.py")
    (root / "submission_metadata.yml").write_text(
        "submission_7:\n  :submitters:\n  - :name: '=HYPERLINK(\"http://evil\",\"x\")'\n"
        "    :email: \"@evil\\e]0;t\\a\"\n    :sid: '-1+1'\n")
    for i in range(2000):                                     # a crowded class folder
        (root / f"notes{i:04}.txt").write_text("not a submission")

    # attackers: id -> words their document must hold
    refused = {}
    os.makedirs(raw + b"mal")
    os.symlink("../bob/hw/sol.py", raw + b"mal/sol.py")                # a classmate's file
    refused["mal"] = ("mal/sol.py is a symbolic link",)
    os.makedirs(raw + b"tru")
    os.symlink(secret, raw + b"tru/sol.py")                             # root-only, outside
    refused["tru"] = ("tru/sol.py is a symbolic link",)
    os.symlink(root / "ann.py", raw + b"top.py")                        # at the top of the class
    refused["top.py"] = ("top.py is a symbolic link",)
    os.symlink(root / "bob", raw + b"lnk")                              # a whole folder
    refused["lnk"] = ("lnk is a symbolic link to a folder",)
    os.makedirs(raw + b"nest")
    os.symlink(secret.parent, raw + b"nest/inner")                      # a folder inside a folder
    refused["nest"] = ("holds no .py or .ipynb file", "inner (a symbolic link)")
    os.makedirs(raw + b"pair/real")
    put(b"pair/real/sol.py")
    os.symlink(secret, raw + b"pair/extra.py")                          # a link beside a real file
    refused["pair"] = ("holds 2 .py or .ipynb files",)
    os.mkfifo(raw + b"fifo.py")
    refused["fifo.py"] = ("fifo.py is a FIFO",)
    os.makedirs(raw + b"pipe")
    os.mkfifo(raw + b"pipe/sol.py")
    refused["pipe"] = ("pipe/sol.py is a FIFO",)
    os.makedirs(raw + b"dev")
    if _device(raw + b"dev/sol.py"):
        refused["dev"] = ("dev/sol.py is a character device",)
    else:                      # no CAP_MKNOD here: the folder then holds nothing to grade
        refused["dev"] = ("holds no .py or .ipynb file",)
    (root / "deep").mkdir()
    make_deep(root / "deep", 1100, BASE)
    refused["deep"] = (f"nested more than {MAX_DEPTH} levels deep",)
    (root / "many").mkdir()
    for i in range(MAX_ENTRIES + 1):
        (root / "many" / f"f{i:05}.txt").touch()
    put(b"many/sol.py")
    refused["many"] = (f"more than {MAX_ENTRIES} files and folders",)
    yield root, refused
    remove_deep(root / "deep")


# the odd names as an instructor sees them: undecodable bytes and controls escaped, by hand
GRADED = {
    "ann.py": 16, "bob": 16, "caf\\xe9.py": 16, "d\\xff\\xfe": 16,
    "\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\x9b": 16, "ann\\u202e\\u2066yp.py": 16,
    "new\\x0aline\\x0dx": 16, "\\xff": 16, "\\xff (2)": 16,
    '=HYPERLINK("http:evil";"x")': 16, "+SUM(1+1)": 16, "-2+3": 16, "@cmd": 16, "\\x09=1+1": 16,
    "\uff1d1": 16, "raiser.py": 15, "submission_7": 16,
}


def test_a_hostile_class_through_the_cli(hostile_class, tmp_path):
    root, refused = hostile_class
    out, gradebook = tmp_path / "out.jsonl", tmp_path / "grades.csv"
    result = run_cli("batch", root, "--out", out, "--csv", gradebook, "-j", "2", timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and not shown_badly(result.stderr)

    docs = documents(out)
    assert set(docs) == set(GRADED) | set(refused)            # one document each, nobody lost
    for name, score in GRADED.items():                        # everyone else graded as usual
        assert docs[name]["score"] == score, (name, first_message(docs[name]))
    for name, words in refused.items():                       # the attacker gets nothing, and why
        assert_refused(docs[name], *words)
    raised = next(c["message"] for p in docs["raiser.py"]["parts"] if p["id"] == "1a"
                  for c in p["checks"] if not c["passed"])
    assert "Evil\\x1b]0;owned\\x07\\x1b[2J\\u202e" in raised and "\\x9b31m" in raised
    assert [s["name"] for s in docs["submission_7"]["students"]] == ['=HYPERLINK("http://evil","x")']

    rows = list(csv.reader(io.StringIO(gradebook.read_text(encoding="utf-8"), newline="")))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if shown_badly(cell, allowed="")]
    assert not [cell for cell in cells if cell.lstrip().startswith(("=", "+", "-", "@", "\uff1d"))]
    firsts = {row[0] for row in rows}
    assert {"'=HYPERLINK(\"http:evil\";\"x\")", "'+SUM(1+1)", "'-2+3", "'@cmd", "'\uff1d1"} <= firsts
    seven = next(row for row in rows if row[0] == "submission_7")
    assert seven[1:4] == ["'=HYPERLINK(\"http://evil\",\"x\")", "'@evil\\x1b]0;t\\x07", "'-1+1"]

    summary = run_cli("summary", out)
    assert summary.returncode == 0, summary.stderr
    assert not shown_badly(summary.stdout), shown_badly(summary.stdout)
    assert f"{len(docs)} submissions" in summary.stdout
    assert f"errors ({len(refused) + 1} submissions):" in summary.stdout      # and raiser's 1a
    assert "  mal: part 1y: the submission could not be read: mal/sol.py is a symbolic link" in summary.stdout


def test_a_link_swapped_in_after_the_search_is_refused(tmp_path, secret, dis02):
    """The search saw real folders and files; by the time of reading they are links (a student
    racing the grader on a shared disk). Every name is opened without following links."""
    root = tmp_path / "class"
    for name in ("amy", "ben", "cat"):
        (root / name / "hw").mkdir(parents=True)
        (root / name / "hw" / "sol.py").write_text("def relu_net(*a):\n    return 0.0\n")
    found = {item.id: item for item in discover(root)}
    assert all(item.path is not None for item in found.values())
    (root / "amy").rename(root / "amy.old")                # the student's own folder
    os.symlink(secret.parent, root / "amy")
    (secret.parent / "hw").mkdir()
    os.link(secret, secret.parent / "hw" / "sol.py")
    (root / "ben" / "hw").rename(root / "ben" / "hw.old")  # a folder further down
    os.symlink(secret.parent, root / "ben" / "hw")
    (root / "cat" / "hw" / "sol.py").unlink()              # the file itself
    os.symlink(secret, root / "cat" / "hw" / "sol.py")
    for name, where in (("amy", "amy"), ("ben", "ben/hw"), ("cat", "cat/hw/sol.py")):
        doc = grade(found[name].path, dis02, 182, submission_id=name, isolation="process")
        assert doc.score == 0, name
        assert f"{where} is a symbolic link" in doc.parts[0].checks[0].message


def autograder(tmp_path: Path, config: dict | None = None) -> tuple[Path, bytes]:
    root = tmp_path / "autograder"
    for folder in ("submission", "results", "source"):
        (root / folder).mkdir(parents=True)
    if config:
        (root / "source" / "grader_gradescope.json").write_text(json.dumps(config))
    return root, os.fsencode(root / "submission") + b"/"


def gradescope_run(root: Path, *extra) -> dict:
    done = run_cli("gradescope", "run", "--root", root, *extra, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert [t["number"] for t in results["tests"]] == AUTO_PARTS
    everything = results["output"] + "".join(t["output"] + t["name"] for t in results["tests"])
    assert not shown_badly(everything), shown_badly(everything)
    return results


def _upload_link_to_secret(upload: bytes, secret: Path) -> str:
    os.symlink(secret, upload + b"sol.py")
    return "sol.py is a symbolic link"


def _upload_link_to_the_source(upload: bytes, secret: Path) -> str:
    source = Path(os.fsdecode(upload)).parent / "source" / "reference_copy.py"
    source.write_text(BASE)
    os.chmod(source, 0o600)
    os.symlink(source, upload + b"dis02.py")
    return "dis02.py is a symbolic link"


def _upload_folder_link(upload: bytes, secret: Path) -> str:
    os.symlink(secret.parent, upload + b"work")
    return "work (a symbolic link)"


def _upload_fifo(upload: bytes, secret: Path) -> str:
    os.mkfifo(upload + b"sol.py")
    return "sol.py is a FIFO"


def _upload_deep(upload: bytes, secret: Path) -> str:
    make_deep(Path(os.fsdecode(upload)), 1100, BASE)
    return f"nested more than {MAX_DEPTH} levels deep"


def _upload_many(upload: bytes, secret: Path) -> str:
    os.makedirs(upload + b"junk")
    for i in range(MAX_ENTRIES + 1):
        open(upload + b"junk/%05d" % i, "w").close()
    with open(upload + b"sol.py", "w") as f:
        f.write(BASE)
    return f"more than {MAX_ENTRIES} files and folders"


UPLOADS = {"link-to-root-only-file": _upload_link_to_secret, "link-into-source": _upload_link_to_the_source,
           "folder-link": _upload_folder_link, "fifo": _upload_fifo, "1100-deep": _upload_deep,
           "10001-entries": _upload_many}


@pytest.mark.parametrize("attack", UPLOADS)
def test_gradescope_upload_attacks_get_nothing_and_a_reason(tmp_path, secret, attack):
    root, upload = autograder(tmp_path)
    words = UPLOADS[attack](upload, secret)
    try:
        results = gradescope_run(root)
    finally:
        if attack == "1100-deep":
            remove_deep(root / "submission")
    assert results["score"] == 0 and all(t["score"] == 0 for t in results["tests"])
    assert words in results["tests"][0]["output"] and words in results["output"]


@pytest.mark.parametrize("mode", sandbox.MODES)
def test_gradescope_named_file_that_is_a_link_in_every_mode(tmp_path, secret, mode):
    """The assignment names dis02.py; the upload holds it, a link in a sub-folder, and a helper.
    File selection comes before any sandbox, so every isolation mode refuses it alike."""
    if sandbox.unavailable(mode):
        pytest.skip(f"{mode}: {sandbox.unavailable(mode)}")
    root, upload = autograder(tmp_path, {"submission_name": "dis02.py"})
    os.makedirs(upload + b"hw")
    os.symlink(secret, upload + b"hw/dis02.py")
    with open(upload + b"helper.py", "w") as f:
        f.write("x = 1\n")
    results = gradescope_run(root, "--isolation", mode)
    assert results["score"] == 0
    assert "hw/dis02.py is a symbolic link" in results["tests"][0]["output"]


def test_gradescope_odd_names_are_graded_and_shown_safely(tmp_path):
    root, upload = autograder(tmp_path)
    os.makedirs(upload + b"\xff\x1b[2J\xe2\x80\xae")
    with open(upload + b"\xff\x1b[2J\xe2\x80\xae/sol\x9b.py", "w") as f:
        f.write(sabotage("dy_db2", EVIL_RAISE))
    results = gradescope_run(root)
    assert results["score"] == 15
    assert "Graded \\xff\\x1b[2J\\u202e/sol\\x9b.py" in results["output"]
    failed = next(t for t in results["tests"] if t["number"] == "1a")
    assert "raised Evil\\x1b]0;owned\\x07\\x1b[2J\\u202e" in failed["output"]


def test_check_follows_a_link_the_user_typed_and_refuses_pipes_and_devices(tmp_path, secret):
    """`grader check PATH`: PATH is the user's choice, so a link they typed is followed (with a
    note); what it reaches must be a regular file, and a FIFO must not hang us."""
    link = tmp_path / "mine.py"
    os.symlink(secret, link)
    done = run_cli("check", link, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["score"] == 16
    assert f"{link} is a symbolic link; grading the file it points to, {secret}" in done.stderr
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.py"
    os.symlink("/dev/zero", zero)
    for path, words in ((fifo, "is a FIFO"), (zero, "is a character device")):
        done = run_cli("check", path, timeout=60)
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_check_report_of_hostile_names_and_exceptions_holds_no_control(tmp_path):
    folder = os.fsencode(tmp_path) + b"/\x1b]0;owned\x07\xe2\x80\xae\xff"
    os.makedirs(folder)
    path = folder + b"/sol\x9b\x1b[2J.py"
    with open(path, "w") as f:
        f.write(sabotage("dy_db2", EVIL_RAISE) + "\nprint('\\x1b]0;title\\x07\\x1b[2J\\u202e\\x9b31m')\n")
    report = run_cli("check", os.fsdecode(path))
    assert report.returncode == 1, report.stderr
    assert not shown_badly(report.stdout), shown_badly(report.stdout)
    assert "sol\\x9b\\x1b[2J.py" in report.stdout and "raised Evil\\x1b]0;owned" in report.stdout
    as_json = run_cli("check", os.fsdecode(path), "--json")
    doc = json.loads(as_json.stdout)                       # no UnicodeEncodeError: a whole document
    assert doc["score"] == 15 and not shown_badly(json.dumps(doc, ensure_ascii=False))
    assert not shown_badly(as_json.stdout)


def test_displays_clean_documents_they_did_not_make(tmp_path):
    """A JSON Lines file from elsewhere (an older grader, a hand edit) holding raw controls:
    summary and the CSV clean it themselves; they do not rely on the documents being clean."""
    from grader.batch import gradebook
    from grader.platforms import gradescope
    from grader.reports import terminal as render
    from grader.core.score import CheckResult, PartResult, ScoreDocument
    doc = {"submission": "=1+1\x1b]0;t\x07\u202e\x9b", "problem": "dis02", "score": 0, "max_score": 1,
           "seed": 1, "isolation": "process", "students": [{"name": "@x\x9d", "email": "", "sid": ""}],
           "parts": [{"id": "1y", "score": 0, "max_score": 1, "status": "error", "checks": [
               {"name": "c\x1b[2J", "passed": False, "message": "raised E\x1b]0;t\x07\u2066\x90"}]}]}
    out = tmp_path / "raw.jsonl"
    out.write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")
    shown = run_cli("summary", out)
    assert shown.returncode == 0 and not shown_badly(shown.stdout), shown_badly(shown.stdout)
    assert "raised E\\x1b]0;t\\x07\\u2066\\x90" in shown.stdout
    gradebook.write_csv([doc], tmp_path / "g.csv")
    rows = list(csv.reader((tmp_path / "g.csv").open(encoding="utf-8", newline="")))
    assert rows[1][:2] == ["'=1+1\\x1b]0;t\\x07\\u202e\\x9b", "'@x\\x9d"]
    check = _unchecked(CheckResult, name="c\x1b[2J", passed=False, message="raised E\x9d0;t\x07\u2066",
                       points=1.0, hidden=False, notes=["\u202e"], hint=None, cases=None)
    part = _unchecked(PartResult, id="1y", title="", score=0.0, max_score=1.0, status="error", checks=[check])
    unchecked = _unchecked(ScoreDocument, **{**doc, "parts": [part]}, load_messages=["\x1b[2J\u202e"],
                           output="\x9b\x1b]0;x\x07")
    report = click.unstyle(render.report(unchecked))        # our own colours aside
    assert not shown_badly(report) and "\\x9b\\x1b]0;x\\x07" in report and "\\x1b[2J\\u202e" in report
    results = gradescope.results_for(unchecked, gradescope.Config(hidden_visibility="visible"), "seed 1", 0.0)
    shown = results.output + "".join(t.output for t in results.tests)
    assert not shown_badly(shown) and "raised E\\x9d0;t" in shown
    assert "Graded =1+1\\x1b]0;t\\x07\\u202e\\x9b" in shown


@pytest.mark.parametrize("swap", ["fifo", "link"])
def test_a_file_swapped_after_it_was_checked(tmp_path, secret, dis02, monkeypatch, swap):
    """The window between looking at a name and opening it: the student swaps in a FIFO or a
    link. The open does not follow links, and the file is checked again after opening (fstat);
    a FIFO opened in that window cannot block the read."""
    import grader.submissions.files as submission
    root = tmp_path / "class"
    (root / "amy").mkdir(parents=True)
    target = root / "amy" / "sol.py"
    target.write_text("def relu_net(*a):\n    return 0.0\n")
    found = {item.id: item for item in discover(root)}
    real_stat = os.stat

    def stat_then_swap(path, *args, **kwargs):
        seen = real_stat(path, *args, **kwargs)
        if path == "sol.py" and target.is_file() and not target.is_symlink():   # the student wins
            target.unlink()
            os.mkfifo(target) if swap == "fifo" else os.symlink(secret, target)
        return seen
    monkeypatch.setattr(submission.os, "stat", stat_then_swap)
    doc = grade(found["amy"].path, dis02, 182, submission_id="amy", isolation="process")
    monkeypatch.undo()
    assert doc.score == 0
    assert f"amy/sol.py is {'a FIFO' if swap == 'fifo' else 'a symbolic link'}" in doc.parts[0].checks[0].message
    if swap == "fifo":                                  # and for a path a person named
        with pytest.raises(submission.BrokenSubmission, match="is a FIFO"):
            submission.read_named(target)


def test_the_sanitiser_on_every_kind_of_character():
    hostile = "".join(HOSTILE) + "".join(chr(c) for c in range(0x20)) + "".join(chr(c) for c in range(0x7f, 0xa0)) \
        + "\udcff\ud800" + "".join(chr(c) for c in range(0x2060, 0x2070)) + "\u3164\u115f"
    for made in (text.visible(hostile), text.line(hostile), text.csv_cell(hostile), text.html(hostile)):
        assert not shown_badly(made, allowed="\n\t")
        made.encode("utf-8")                                # no lone surrogate left
    assert "\n" not in text.line("a\nb") and "\t" not in text.line("a\tb")
    assert text.visible("a\r\nb\tc") == "a\nb\tc"          # a Windows line end is just a line end
    plain = "José: ŷ = σ(z₂), λ = 0.1 — 中文 ✓"
    assert text.visible(plain) == text.line(plain) == text.csv_cell(plain) == plain
    assert text.visible("caf\udce9") == "caf\\xe9"           # an undecodable byte, as a byte
    for formula in ("=1+1", "+1", "-1", "@SUM(A1)", " =1", "\uff1d1"):
        assert text.csv_cell(formula).startswith("'"), formula
    for formula in ("\t=1", "\r=1", "\r\n@x"):     # the control is escaped: no longer a formula
        assert not text.csv_cell(formula).lstrip().startswith(("=", "+", "-", "@", "\t", "\r"))
    assert text.csv_cell("ann.py") == "ann.py" and text.csv_cell("1-2") == "1-2"
    assert text.html('<script>"x"</script>\x1b') == "&lt;script&gt;&quot;x&quot;&lt;/script&gt;\\x1b"


def test_a_hard_link_is_the_file_it_names(tmp_path):
    """A hard link is a second name for the same file: it cannot be told from a copy, so it is
    graded as one. It grants nothing a copy would not: the kernel (protected_hardlinks) lets a
    user link only a file they own or may read and write, which this test shows for nobody."""
    assert Path("/proc/sys/fs/protected_hardlinks").read_text().strip() == "1"
    secret = tmp_path / "secret.py"
    secret.write_text(BASE)
    os.chmod(secret, 0o600)
    drop = tmp_path / "drop"
    drop.mkdir(mode=0o777)
    os.chmod(drop, 0o777)
    attempt = subprocess.run(
        ["python3", "-c", f"import os; os.setgid(65534); os.setuid(65534); "
                          f"os.link({str(secret)!r}, {str(drop / 'mine.py')!r})"],
        capture_output=True, text=True, timeout=60)
    assert attempt.returncode != 0 and "PermissionError" in attempt.stderr
    root = tmp_path / "class"
    (root / "amy").mkdir(parents=True)
    (root / "amy" / "sol.py").write_text(BASE)
    (root / "ben").mkdir()
    os.link(root / "amy" / "sol.py", root / "ben" / "sol.py")
    out = tmp_path / "out.jsonl"
    assert run_cli("batch", root, "--out", out).returncode == 0
    assert {name: d["score"] for name, d in documents(out).items()} == {"amy": 16, "ben": 16}
